/*
 * /data: littlefs (Debian's micropython source, lib/littlefs, the v2 "lfs2" build): a file
 * system made to survive a power cut at any instant. Every metadata change is a copy-on-write
 * commit, so after a cut the last committed state is found whole; what fsync() (lfs2_file_sync)
 * returned from is committed, and the device's write cache is flushed before it returns.
 *
 * Geometry on the card: fs/littlefs_geometry.h (shared with the host tool that makes the
 * partition). SD cards erase internally, so littlefs's erase is a no-op. Requests go through the
 * card's block cache (fs/block_cache.c), which littlefs's sync writes back.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lfs2.h"
#include "littlefs_geometry.h"
#include "vfs.h"

struct littlefs {
	lfs2_t lfs;
	struct lfs2_config cfg;
};

static int lfs_read(const struct lfs2_config *c, lfs2_block_t block, lfs2_off_t off, void *buf,
		    lfs2_size_t size)
{
	const struct volume *v = c->context;
	uint64_t lba = ((uint64_t)block * c->block_size + off) / BLOCK_SIZE;
	return volume_read(v, lba, size / BLOCK_SIZE, buf) ? LFS2_ERR_IO : 0;
}

static int lfs_prog(const struct lfs2_config *c, lfs2_block_t block, lfs2_off_t off,
		    const void *buf, lfs2_size_t size)
{
	const struct volume *v = c->context;
	uint64_t lba = ((uint64_t)block * c->block_size + off) / BLOCK_SIZE;
	return volume_write(v, lba, size / BLOCK_SIZE, buf) ? LFS2_ERR_IO : 0;
}

static int lfs_erase(const struct lfs2_config *c, lfs2_block_t block)
{
	(void)c, (void)block; /* the card erases on its own */
	return 0;
}

static int lfs_sync(const struct lfs2_config *c)
{
	return volume_sync(c->context) ? LFS2_ERR_IO : 0;
}

/* littlefs's errors are Linux's numbers; picolibc's differ for some. */
static int to_errno(int r)
{
	switch (r) {
	case LFS2_ERR_OK:
		return 0;
	case LFS2_ERR_NOENT:
		return -ENOENT;
	case LFS2_ERR_EXIST:
		return -EEXIST;
	case LFS2_ERR_NOTDIR:
		return -ENOTDIR;
	case LFS2_ERR_ISDIR:
		return -EISDIR;
	case LFS2_ERR_NOTEMPTY:
		return -ENOTEMPTY;
	case LFS2_ERR_BADF:
		return -EBADF;
	case LFS2_ERR_FBIG:
		return -EFBIG;
	case LFS2_ERR_INVAL:
		return -EINVAL;
	case LFS2_ERR_NOSPC:
		return -ENOSPC;
	case LFS2_ERR_NOMEM:
		return -ENOMEM;
	case LFS2_ERR_NAMETOOLONG:
		return -ENAMETOOLONG;
	default: /* LFS2_ERR_IO, LFS2_ERR_CORRUPT */
		return r < 0 ? -EIO : r;
	}
}

static lfs2_t *lfs_of(struct mount *m)
{
	return &((struct littlefs *)m->fs)->lfs;
}

static int l_open(struct mount *m, const char *path, int flags, void **file)
{
	int acc = flags & O_ACCMODE, lf = 0;
	lf |= acc == O_RDONLY ? LFS2_O_RDONLY : acc == O_WRONLY ? LFS2_O_WRONLY : LFS2_O_RDWR;
	lf |= (flags & O_CREAT) ? LFS2_O_CREAT : 0;
	lf |= (flags & O_EXCL) ? LFS2_O_EXCL : 0;
	lf |= (flags & O_TRUNC) ? LFS2_O_TRUNC : 0;
	lfs2_file_t *f = calloc(1, sizeof *f);
	if (!f)
		return -ENOMEM;
	int r = lfs2_file_open(lfs_of(m), f, path, lf);
	if (r) {
		free(f);
		return to_errno(r);
	}
	*file = f;
	return 0;
}

static ssize_t l_read(struct mount *m, void *file, void *buf, size_t n)
{
	return to_errno((int)lfs2_file_read(lfs_of(m), file, buf, n > 0x40000000 ? 0x40000000 : n));
}

static ssize_t l_write(struct mount *m, void *file, const void *buf, size_t n)
{
	return to_errno(
	    (int)lfs2_file_write(lfs_of(m), file, buf, n > 0x40000000 ? 0x40000000 : n));
}

static off_t l_lseek(struct mount *m, void *file, off_t offset, int whence)
{
	int w = whence == SEEK_SET   ? LFS2_SEEK_SET
		: whence == SEEK_CUR ? LFS2_SEEK_CUR
		: whence == SEEK_END ? LFS2_SEEK_END
				     : -1;
	if (w < 0 || offset > 0x7fffffffll || offset < -0x7fffffffll)
		return -EINVAL;
	return to_errno((int)lfs2_file_seek(lfs_of(m), file, (lfs2_soff_t)offset, w));
}

static int l_fsync(struct mount *m, void *file)
{
	return to_errno(lfs2_file_sync(lfs_of(m), file));
}

static int l_ftruncate(struct mount *m, void *file, off_t length)
{
	if (length < 0 || length > 0x7fffffffll)
		return -EINVAL;
	return to_errno(lfs2_file_truncate(lfs_of(m), file, (lfs2_off_t)length));
}

static void fill_stat(struct mount *m, struct stat *st, bool dir, lfs2_size_t size)
{
	memset(st, 0, sizeof *st);
	st->st_mode = dir ? S_IFDIR | 0755 : S_IFREG | 0644;
	st->st_size = dir ? 0 : (off_t)size;
	st->st_nlink = 1;
	st->st_blksize = (blksize_t)((struct littlefs *)m->fs)->cfg.block_size;
	st->st_blocks = (blkcnt_t)((st->st_size + BLOCK_SIZE - 1) / BLOCK_SIZE);
}

static int l_fstat(struct mount *m, void *file, struct stat *st)
{
	lfs2_soff_t size = lfs2_file_size(lfs_of(m), file);
	if (size < 0)
		return to_errno((int)size);
	fill_stat(m, st, false, (lfs2_size_t)size);
	return 0;
}

static int l_close(struct mount *m, void *file)
{
	int r = lfs2_file_close(lfs_of(m), file);
	free(file);
	return to_errno(r);
}

static int l_stat(struct mount *m, const char *path, struct stat *st)
{
	struct lfs2_info info;
	int r = lfs2_stat(lfs_of(m), path, &info);
	if (r == 0)
		fill_stat(m, st, info.type == LFS2_TYPE_DIR, info.size);
	return to_errno(r);
}

static int l_unlink(struct mount *m, const char *path)
{
	struct stat st;
	int r = l_stat(m, path, &st);
	if (r == 0 && S_ISDIR(st.st_mode))
		return -EISDIR;
	return r ? r : to_errno(lfs2_remove(lfs_of(m), path));
}

static int l_rename(struct mount *m, const char *from, const char *to)
{
	return to_errno(lfs2_rename(lfs_of(m), from, to)); /* replaces to, atomically */
}

static int l_mkdir(struct mount *m, const char *path)
{
	return to_errno(lfs2_mkdir(lfs_of(m), path));
}

static int l_rmdir(struct mount *m, const char *path)
{
	struct stat st;
	int r = l_stat(m, path, &st);
	if (r == 0 && !S_ISDIR(st.st_mode))
		return -ENOTDIR;
	return r ? r : to_errno(lfs2_remove(lfs_of(m), path));
}

static int l_opendir(struct mount *m, const char *path, void **dir)
{
	lfs2_dir_t *d = calloc(1, sizeof *d);
	if (!d)
		return -ENOMEM;
	int r = lfs2_dir_open(lfs_of(m), d, path);
	if (r) {
		free(d);
		return to_errno(r);
	}
	*dir = d;
	return 0;
}

static int l_readdir(struct mount *m, void *dir, struct dirent *out)
{
	struct lfs2_info info;
	for (;;) {
		int r = lfs2_dir_read(lfs_of(m), dir, &info);
		if (r <= 0)
			return to_errno(r);
		if (strcmp(info.name, ".") && strcmp(info.name, ".."))
			break;
	}
	memset(out, 0, sizeof *out);
	strncpy(out->d_name, info.name, sizeof out->d_name - 1);
	out->d_type = info.type == LFS2_TYPE_DIR ? DT_DIR : DT_REG;
	return 1;
}

static int l_closedir(struct mount *m, void *dir)
{
	int r = lfs2_dir_close(lfs_of(m), dir);
	free(dir);
	return to_errno(r);
}

static const struct fs_ops littlefs_ops = {
    .open = l_open,
    .read = l_read,
    .write = l_write,
    .lseek = l_lseek,
    .fsync = l_fsync,
    .ftruncate = l_ftruncate,
    .fstat = l_fstat,
    .close = l_close,
    .stat = l_stat,
    .unlink = l_unlink,
    .rename = l_rename,
    .mkdir = l_mkdir,
    .rmdir = l_rmdir,
    .opendir = l_opendir,
    .readdir = l_readdir,
    .closedir = l_closedir,
};

static struct littlefs *config(struct mount *m, lfs2_size_t block_size)
{
	struct littlefs *l = m->fs ? m->fs : calloc(1, sizeof *l);
	if (!l)
		return NULL;
	lfs2_size_t blocks = (lfs2_size_t)(m->vol.blocks / (block_size / BLOCK_SIZE));
	l->cfg = (struct lfs2_config){
	    .context = &m->vol,
	    .read = lfs_read,
	    .prog = lfs_prog,
	    .erase = lfs_erase,
	    .sync = lfs_sync,
	    .read_size = UK_LFS_IO_SIZE,
	    .prog_size = UK_LFS_IO_SIZE,
	    .block_size = block_size,
	    .block_count = blocks,
	    .block_cycles = UK_LFS_BLOCK_CYCLES,
	    .cache_size = block_size, /* a block per request, not a sector */
	    .lookahead_size = UK_LFS_LOOKAHEAD(blocks),
	};
	m->fs = l;
	return l;
}

int littlefs_mount(struct mount *m)
{
	static const lfs2_size_t geometries[] = {UK_LFS_BLOCK_SIZE, UK_LFS_OLD_BLOCK_SIZE};
	int first_error = 0;
	for (size_t i = 0; i < sizeof geometries / sizeof geometries[0]; i++) {
		struct littlefs *l = config(m, geometries[i]);
		if (!l)
			return -ENOMEM;
		/* a block size other than the superblock's fails: the next one is tried */
		int r = lfs2_mount(&l->lfs, &l->cfg);
		if (r == 0) {
			m->ops = &littlefs_ops;
			return 0;
		}
		if (!first_error)
			first_error = r;
	}
	m->ops = NULL; /* the mount stays, unusable, until uk_fs_format */
	return to_errno(first_error);
}

int littlefs_format(struct mount *m)
{
	if (m->ops)
		lfs2_unmount(lfs_of(m));
	m->ops = NULL;
	struct littlefs *l = config(m, UK_LFS_BLOCK_SIZE);
	if (!l)
		return -ENOMEM;
	int r = lfs2_format(&l->lfs, &l->cfg);
	return r ? to_errno(r) : littlefs_mount(m);
}
