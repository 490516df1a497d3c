/*
 * The file layer between POSIX calls (libc/file.c) and the file systems (fs/fat.c for /boot,
 * later fs/littlefs.c for /data). Paths are absolute and normalised before they get here; each
 * mount sees paths inside it ("/" is its root). Every operation returns 0 (or a count) or a
 * negative errno. Operations on one mount run one at a time (the file systems are not
 * reentrant and a thread may block inside one while the device works).
 */
#ifndef UK_FS_VFS_H
#define UK_FS_VFS_H

#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <uk/thread.h>

#include "kernel.h"

/* A partition of a block device: what a file system reads and writes. */
struct volume {
	struct blockdev *bd;
	uint64_t first, blocks; /* in BLOCK_SIZE units */
	bool cached;		/* through fs/block_cache.c (the card; not a RAM disk) */
};
int volume_read(const struct volume *v, uint64_t lba, uint32_t count, void *buf);
int volume_write(const struct volume *v, uint64_t lba, uint32_t count, const void *buf);
/* Everything written is on the medium: the cache written back, the device's cache flushed. */
int volume_sync(const struct volume *v);

/* fs/block_cache.c: the card's cache (read-ahead, write-back until sync); the contract of
 * struct blockdev's read, write and flush */
int block_cache_read(struct blockdev *bd, uint64_t lba, uint32_t count, void *buf);
int block_cache_write(struct blockdev *bd, uint64_t lba, uint32_t count, const void *buf);
int block_cache_sync(struct blockdev *bd);

struct mount;
struct fs_ops {
	int (*open)(struct mount *m, const char *path, int flags, void **file);
	ssize_t (*read)(struct mount *m, void *file, void *buf, size_t n);
	ssize_t (*write)(struct mount *m, void *file, const void *buf, size_t n);
	off_t (*lseek)(struct mount *m, void *file, off_t offset, int whence);
	int (*fsync)(struct mount *m, void *file);
	int (*ftruncate)(struct mount *m, void *file, off_t length);
	int (*fstat)(struct mount *m, void *file, struct stat *st);
	int (*close)(struct mount *m, void *file);
	int (*stat)(struct mount *m, const char *path, struct stat *st);
	int (*unlink)(struct mount *m, const char *path);
	int (*rename)(struct mount *m, const char *from, const char *to);
	int (*mkdir)(struct mount *m, const char *path);
	int (*rmdir)(struct mount *m, const char *path);
	int (*opendir)(struct mount *m, const char *path, void **dir);
	int (*readdir)(struct mount *m, void *dir, struct dirent *out); /* 1, 0 at the end */
	int (*closedir)(struct mount *m, void *dir);
};

struct mount {
	const char *path;	  /* "/boot", "/data" */
	const struct fs_ops *ops; /* NULL: the file system could not be mounted (damaged) */
	void *fs;		  /* the file system's state */
	struct volume vol;
	struct uk_sem *lock;
	unsigned open_dirs; /* opendir streams on it (a format must wait for them too) */
};

/* Mounts what the card holds, once (the first file call does it): 0 or -ENODEV (no card). */
int vfs_init(void);
/* The mount that holds an absolute normalised path, and the path inside it ("/" for the mount
 * itself); NULL for "/" and anything outside every mount. */
struct mount *vfs_lookup(const char *path, const char **inside);
/* The mounts, for listing "/". */
struct mount *vfs_mount_at(size_t i);
void vfs_lock(struct mount *m);
void vfs_unlock(struct mount *m);

/* fs/fat.c: mounts the FAT volume m->vol: 0 or a negative errno; fat_format makes it first */
int fat_mount(struct mount *m);
int fat_format_mount(struct mount *m);
int fat32_format_mount(struct mount *m); /* FAT32, for a boot slot */
/* fs/littlefs.c: mounts m->vol as littlefs (on failure the mount stays with ops NULL);
 * littlefs_format makes a new, empty one and mounts it. 0 or a negative errno. */
int littlefs_mount(struct mount *m);
int littlefs_format(struct mount *m);
/* fs/slots.c: an A/B card (docs/update.md). Two schemes: the Pi 4's (and virt's) slots are
 * partitions 2 and 3 chosen by autoboot.txt on partition 1; the Pi 3's are directories a/ and b/
 * of the one boot partition, chosen by slot.txt's os_prefix. Slots are numbered 2 (A) and 3
 * (B) in both. */
struct card_slots {
	bool present;
	bool prefix;	       /* the Pi 3 scheme: slot directories on /boot */
	struct mount autoboot; /* partition scheme: partition 1, mounted privately */
	struct mount *state;   /* where autoboot.txt or slot.txt and uk-update.txt are */
	struct volume slot[2]; /* partition scheme: partitions 2 and 3 */
	unsigned booted;       /* the slot running: 2 (A) or 3 (B) */
	bool tryboot;	       /* this boot is a trial (the firmware's tryboot flag; on the Pi 3
				* update/update.c's state) */
};
/* part/type: the MBR's four entries. On a partition-scheme card the partition booted (2 or
 * 3; then vfs_slots() tells the rest), else -ENOENT and nothing changed. */
int slots_probe(const struct volume part[4], const uint8_t type[4]);
/* boot: the mounted /boot of a card with one boot partition: 0 when its slot.txt makes it a
 * Pi 3 A/B card, else -ENOENT. */
int slots_probe_prefix(struct mount *boot);
struct card_slots *vfs_slots(void); /* NULL: no card, or not an A/B card */
/* autoboot.txt's rules: which partition a normal boot and a tryboot take; -EINVAL unless it is
 * the A/B file uk writes (tryboot_a_b=1, partitions 2 and 3). */
int slots_parse_autoboot(const char *text, unsigned *normal, unsigned *trial);
/* A whole small file of a mount into buf (NUL-terminated): its length or a negative errno. */
int slots_read_file(struct mount *m, const char *path, char *buf, size_t size);

/* fs/ramdisk.c: a zeroed block device of bytes in RAM (once), or NULL */
struct blockdev *ramdisk_create(size_t bytes);

#endif
