/* data_image.c: the data partition (/data on the device) as a littlefs image, made on the host
 * with the same littlefs the runtime mounts (Debian's micropython source, lib/littlefs), and
 * the same geometry as the runtime (runtime/fs/littlefs_geometry.h). The
 * app's data/ folder seeds it, walked in sorted order so the same folder gives the same bytes.
 * uk data (cmd_data.c) mounts a card's partition through the same geometry and I/O. */
#define _GNU_SOURCE
#include "uk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../runtime/fs/littlefs_geometry.h"
#include "lfs2.h"

/* Where byte off of littlefs block b is in the file: past the partition's offset. */
static off_t at(const struct lfs2_config *c, lfs2_block_t b, lfs2_off_t off)
{
	const struct data_dev *dev = c->context;
	return (off_t)(dev->offset + (uint64_t)b * c->block_size + off);
}

static int img_read(const struct lfs2_config *c, lfs2_block_t b, lfs2_off_t off, void *buf,
		    lfs2_size_t n)
{
	struct data_dev *dev = c->context;
	ssize_t r = pread(dev->fd, buf, n, at(c, b, off));
	if (r == (ssize_t)n)
		return 0;
	dev->error = r < 0 ? errno : EIO; /* short: the image ends inside the partition */
	return LFS2_ERR_IO;
}

static int img_prog(const struct lfs2_config *c, lfs2_block_t b, lfs2_off_t off, const void *buf,
		    lfs2_size_t n)
{
	struct data_dev *dev = c->context;
	ssize_t r = pwrite(dev->fd, buf, n, at(c, b, off));
	if (r == (ssize_t)n)
		return 0;
	dev->error = r < 0 ? errno : ENOSPC; /* short: the host's disk is full */
	return LFS2_ERR_IO;
}

static int img_erase(const struct lfs2_config *c, lfs2_block_t b)
{
	(void)c, (void)b;
	return 0;
}

/* littlefs syncs after each commit: what it wrote before must be down before what follows */
static int img_sync(const struct lfs2_config *c)
{
	struct data_dev *dev = c->context;
	if (dev->durable && fdatasync(dev->fd) < 0) {
		dev->error = errno;
		return LFS2_ERR_IO;
	}
	return 0;
}

void data_lfs_config(struct lfs2_config *cfg, struct data_dev *dev, uint32_t block_size,
		     uint64_t size)
{
	lfs2_size_t blocks = (lfs2_size_t)(size / block_size);
	*cfg = (struct lfs2_config){.context = dev,
				    .read = img_read,
				    .prog = img_prog,
				    .erase = img_erase,
				    .sync = img_sync,
				    .read_size = UK_LFS_IO_SIZE,
				    .prog_size = UK_LFS_IO_SIZE,
				    .block_size = block_size,
				    .block_count = blocks,
				    .block_cycles = UK_LFS_BLOCK_CYCLES,
				    .cache_size = UK_LFS_IO_SIZE,
				    .lookahead_size = UK_LFS_LOOKAHEAD(blocks)};
}

int data_lfs_mount(lfs2_t *lfs, struct lfs2_config *cfg, struct data_dev *dev, uint64_t size)
{
	/* as the runtime's littlefs_mount: a block size other than the superblock's fails, and
	 * the next one is tried */
	static const uint32_t geometries[] = {UK_LFS_BLOCK_SIZE, UK_LFS_OLD_BLOCK_SIZE};
	int first_error = 0;
	for (size_t i = 0; i < sizeof geometries / sizeof geometries[0]; i++) {
		data_lfs_config(cfg, dev, geometries[i], size);
		int r = lfs2_mount(lfs, cfg);
		if (r == 0)
			return 0;
		if (!first_error)
			first_error = r;
	}
	return first_error;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Copies the host folder dir into the littlefs directory at (ends with '/' unless ""). */
static int seed(lfs2_t *lfs, const char *dir, const char *at)
{
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, by_name), rc = 0;
	if (n < 0) {
		error("cannot read %s: %s", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		if (rc || !strcmp(name, ".") || !strcmp(name, ".."))
			continue;
		char *host = path_join(dir, name), *in = xasprintf("%s/%s", at, name);
		struct stat st;
		if (lstat(host, &st) < 0 || (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))) {
			error("%s: only files and folders go into /data", host);
			rc = -1;
		} else if (S_ISDIR(st.st_mode)) {
			rc = lfs2_mkdir(lfs, in) ? -1 : seed(lfs, host, in);
		} else {
			char *data = NULL;
			size_t len = 0;
			lfs2_file_t f;
			rc = read_file(host, &data, &len) < 0 ||
				     lfs2_file_open(lfs, &f, in, LFS2_O_WRONLY | LFS2_O_CREAT) < 0
				 ? -1
				 : 0;
			if (!rc) {
				rc = lfs2_file_write(lfs, &f, data, (lfs2_size_t)len) !=
					     (lfs2_ssize_t)len
					 ? -1
					 : 0;
				if (lfs2_file_close(lfs, &f) < 0)
					rc = -1;
			}
			if (rc)
				error(
				    "cannot put %s into /data (is the data partition big enough?)",
				    host);
			free(data);
		}
		free(host), free(in);
	}
	for (int i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	return rc;
}

static void dir_stamp(struct sha256 *h, const char *dir)
{
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, by_name);
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		char *p = path_join(dir, name);
		struct stat st;
		if (strcmp(name, ".") && strcmp(name, "..") && lstat(p, &st) == 0) {
			char *l = xasprintf("%s %o %lld %lld.%09ld\n", p, (unsigned)st.st_mode,
					    (long long)st.st_size, (long long)st.st_mtim.tv_sec,
					    st.st_mtim.tv_nsec);
			sha256_update(h, l, strlen(l));
			free(l);
			if (S_ISDIR(st.st_mode))
				dir_stamp(h, p);
		}
		free(p);
	}
	for (int i = 0; i < n; i++)
		free(ents[i]);
	if (n >= 0)
		free(ents);
}

int data_image_write(const char *path, uint64_t size, const char *seed_dir)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0) {
		error("cannot create %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	struct lfs2_config cfg;
	lfs2_t lfs;
	struct data_dev dev = {.fd = fd};
	data_lfs_config(&cfg, &dev, UK_LFS_BLOCK_SIZE, size);
	int rc = lfs2_format(&lfs, &cfg) || lfs2_mount(&lfs, &cfg) ? -1 : 0;
	if (rc) {
		error("cannot make a littlefs of %llu bytes in %s", (unsigned long long)size, path);
	} else {
		if (seed_dir && is_dir(seed_dir))
			rc = seed(&lfs, seed_dir, "");
		if (lfs2_unmount(&lfs) < 0)
			rc = -1;
	}
	if (close(fd) < 0)
		rc = -1;
	return rc;
}

void data_seed_stamp(struct sha256 *h, const struct manifest *m)
{
	if (!m->data_size)
		return;
	char *dd = path_join(m->dir, "data");
	dir_stamp(h, dd);
	free(dd);
}
