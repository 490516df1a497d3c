/*
 * Host tests for mounting /data (runtime/fs/littlefs.c with the card's block cache and Debian's
 * littlefs, all built for the host) on a RAM disk: a partition in today's geometry
 * (fs/littlefs_geometry.h) and one made by uk before it changed to 8 KiB blocks both mount and
 * read back what they hold, writes reach the disk by the time fsync returns, and noise is
 * refused with -EIO (the app then may format).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lfs2.h"
#include "littlefs_geometry.h"
#include "tap.h"
#include "vfs.h"

/* uk_sem_*: fake_lock.c (one thread: a wait that would block aborts) */

/* vfs.c (for its volume_read, volume_write and volume_sync) names these; the cases never
 * call vfs_init, so none of them runs */
struct blockdev *block_probe(void)
{
	abort();
}
struct blockdev *ramdisk_create(size_t bytes)
{
	(void)bytes;
	abort();
}
int fat_mount(struct mount *m)
{
	(void)m;
	abort();
}
int fat_format_mount(struct mount *m)
{
	(void)m;
	abort();
}
int slots_probe(const struct volume part[4], const uint8_t type[4])
{
	(void)part, (void)type;
	abort();
}
int slots_probe_prefix(struct mount *boot)
{
	(void)boot;
	abort();
}
void kprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("# console: ");
	vprintf(fmt, ap);
	va_end(ap);
}

#define DISK_BYTES (4u << 20)
static uint8_t disk[DISK_BYTES];
static unsigned flushes;

static int ram_read(uint64_t lba, uint32_t count, void *buf)
{
	memcpy(buf, disk + lba * BLOCK_SIZE, (size_t)count * BLOCK_SIZE);
	return 0;
}
static int ram_write(uint64_t lba, uint32_t count, const void *buf)
{
	memcpy(disk + lba * BLOCK_SIZE, buf, (size_t)count * BLOCK_SIZE);
	return 0;
}
static int ram_flush(void)
{
	flushes++;
	return 0;
}
static struct blockdev bd = {.name = "ram",
			     .blocks = DISK_BYTES / BLOCK_SIZE,
			     .read = ram_read,
			     .write = ram_write,
			     .flush = ram_flush};

/* ---- a partition made directly with littlefs, as uk's host tool would have, any block size */
static lfs2_size_t made_block;
static int img_read(const struct lfs2_config *c, lfs2_block_t b, lfs2_off_t off, void *buf,
		    lfs2_size_t n)
{
	(void)c;
	memcpy(buf, disk + (size_t)b * made_block + off, n);
	return 0;
}
static int img_prog(const struct lfs2_config *c, lfs2_block_t b, lfs2_off_t off, const void *buf,
		    lfs2_size_t n)
{
	(void)c;
	memcpy(disk + (size_t)b * made_block + off, buf, n);
	return 0;
}
static int img_erase(const struct lfs2_config *c, lfs2_block_t b)
{
	(void)c, (void)b;
	return 0;
}
static int img_sync(const struct lfs2_config *c)
{
	(void)c;
	return 0;
}

static void make_partition(lfs2_size_t block, const char *text)
{
	memset(disk, 0xff, sizeof disk);
	made_block = block;
	struct lfs2_config cfg = {.read = img_read,
				  .prog = img_prog,
				  .erase = img_erase,
				  .sync = img_sync,
				  .read_size = 512,
				  .prog_size = 512,
				  .block_size = block,
				  .block_count = DISK_BYTES / block,
				  .block_cycles = 500,
				  .cache_size = 512,
				  .lookahead_size = 64};
	lfs2_t lfs;
	lfs2_file_t f;
	if (lfs2_format(&lfs, &cfg) || lfs2_mount(&lfs, &cfg) ||
	    lfs2_file_open(&lfs, &f, "note.txt", LFS2_O_WRONLY | LFS2_O_CREAT) ||
	    lfs2_file_write(&lfs, &f, text, (lfs2_size_t)strlen(text)) < 0 ||
	    lfs2_file_close(&lfs, &f) || lfs2_unmount(&lfs))
		abort();
}

/* A mount of the disk as it is now. The card's cache knows lines by their device, and the cases
 * rewrite the disk behind its back, so each mount gets a device of its own. */
static struct mount new_mount(void)
{
	static struct uk_sem lock;
	static struct blockdev devices[8];
	static unsigned n_devices;
	uk_sem_init(&lock, 1);
	struct blockdev *d = &devices[n_devices++ % 8];
	*d = bd;
	return (struct mount){.path = "/data",
			      .vol = {.bd = d, .first = 0, .blocks = d->blocks, .cached = true},
			      .lock = &lock};
}

/* The runtime never unmounts (the card stays until power-off); the test does, to stay leak-free.
 * littlefs.c's state begins with its lfs2_t. */
static void unmount(struct mount *m)
{
	if (m->ops)
		lfs2_unmount(m->fs);
	free(m->fs);
	m->fs = NULL;
}

/* Reads /note.txt of the mounted m into out: its length or a negative errno. */
static long read_note(struct mount *m, char *out, size_t n)
{
	void *f;
	int r = m->ops->open(m, "/note.txt", O_RDONLY, &f);
	if (r)
		return r;
	ssize_t got = m->ops->read(m, f, out, n - 1);
	m->ops->close(m, f);
	if (got >= 0)
		out[got] = 0;
	return got;
}

int main(void)
{
	char text[64];
	struct mount m = new_mount();
	make_partition(UK_LFS_BLOCK_SIZE, "today's geometry");
	int r = littlefs_mount(&m);
	long n = r ? r : read_note(&m, text, sizeof text);
	CHECK(r == 0 && n > 0 && !strcmp(text, "today's geometry"),
	      "a partition with %u-byte blocks mounts and reads back (%d, %ld)", UK_LFS_BLOCK_SIZE,
	      r, n);
	struct stat st;
	CHECK(r == 0 && m.ops->stat(&m, "/note.txt", &st) == 0 &&
		  st.st_blksize == UK_LFS_BLOCK_SIZE,
	      "stat gives the mount's block size");

	unmount(&m);
	m = new_mount();
	make_partition(UK_LFS_OLD_BLOCK_SIZE, "made by an older uk");
	r = littlefs_mount(&m);
	n = r ? r : read_note(&m, text, sizeof text);
	CHECK(r == 0 && n > 0 && !strcmp(text, "made by an older uk"),
	      "a partition with %u-byte blocks (uk before 8 KiB) still mounts and reads back",
	      UK_LFS_OLD_BLOCK_SIZE);
	/* and takes new data in its own geometry, durable once fsync returns */
	void *f;
	unsigned flushes_before = flushes;
	static uint8_t copy[sizeof disk];
	int w = r ? r : m.ops->open(&m, "/new.txt", O_WRONLY | O_CREAT, &f);
	if (w == 0) {
		m.ops->write(&m, f, "appended", 8);
		w = m.ops->fsync(&m, f);
		memcpy(copy, disk, sizeof disk); /* a power cut now: only what the disk holds */
		m.ops->close(&m, f);
	}
	memcpy(disk, copy, sizeof disk);
	struct mount again = new_mount();
	int r2 = w ? w : littlefs_mount(&again);
	void *g;
	char got[16] = {0};
	if (r2 == 0 && (r2 = again.ops->open(&again, "/new.txt", O_RDONLY, &g)) == 0) {
		again.ops->read(&again, g, got, 8);
		again.ops->close(&again, g);
	}
	CHECK(w == 0 && r2 == 0 && !strcmp(got, "appended") && flushes > flushes_before,
	      "what fsync returned from is on the disk, device cache flushed (%d, %d)", w, r2);

	unmount(&m);
	unmount(&again);
	m = new_mount();
	for (size_t i = 0; i < sizeof disk; i++)
		disk[i] = (uint8_t)(i * 2654435761u >> 13);
	r = littlefs_mount(&m);
	CHECK(r == -EIO && m.ops == NULL,
	      "noise is refused with -EIO (%d) and the mount stays unusable", r);
	r = littlefs_format(&m);
	n = r ? r : m.ops->stat(&m, "/", &st);
	CHECK(r == 0 && n == 0 && S_ISDIR(st.st_mode),
	      "uk_fs_format's path makes a new, empty one");
	unmount(&m);
	return TAP_DONE();
}
