/* flash.h: what uk flash, uk devices and the fleet stamper share: the target safety checks
 * (flash_safety.c), the block map (flash_bmap.c) and the writer (flash_write.c). */
#ifndef UK_FLASH_H
#define UK_FLASH_H

#include "uk.h"

#include <sys/stat.h>

/* Exit codes of uk flash (docs/cli.md); 2 (usage) and 130 (interrupted) are uk's own. */
enum {
	EXIT_REFUSED = 10,  /* the target failed a safety check: nothing was written */
	EXIT_BUSY = 11,	    /* the target is in use (exclusive open failed): nothing written */
	EXIT_CORRUPT = 12,  /* the image does not match its recorded hash or block map */
	EXIT_WRITE = 13,    /* an I/O error while writing: the card has no partition table */
	EXIT_VERIFY = 14,   /* read-back differs from the image: no partition table */
	EXIT_DECLINED = 15, /* the typed confirmation did not match: nothing written */
};

/* ---- flash_safety.c ---- */
/* What uk knows about a target. Paths under /sys and /proc honour UK_SYSFS_ROOT and
 * UK_PROC_ROOT (tests point them at fake trees). */
struct target_info {
	char *path;	  /* as given */
	int is_block;	  /* a block device (else a regular file) */
	char *name;	  /* sysfs name: sdb, mmcblk0, loop3 */
	char *sysdir;	  /* resolved /sys/.../block/NAME */
	uint64_t size;	  /* bytes */
	char *model;	  /* vendor + model, or "" */
	char *serial;	  /* or "" */
	char *bus;	  /* usb, mmc, loop, nvme, virtio, ata, scsi, file, unknown */
	int removable;	  /* removable flag, or a USB/MMC bus */
	int ro;		  /* read-only flag */
	int is_loop;	  /* a loop device */
	int is_partition; /* a partition, not a whole disk */
	unsigned maj, min;
	char *backing;	   /* loop: backing file */
	int fd;		   /* uk flash: the target, opened before any check (-1: not open) */
	int created;	   /* the file did not exist: this run made it */
	char *resolved;	   /* the path with every link resolved, as opened */
	struct stat ident; /* what fd is: a re-resolved path must name the same */
};

struct safety_opts {
	const char *image;	   /* the image to be written (NULL: uk devices) */
	uint64_t image_size;	   /* 0: not checked */
	int allow_loop;		   /* --allow-loop */
	int allow_fixed;	   /* --allow-fixed: a disk that is not removable */
	int overwrite_file;	   /* --overwrite-file: a plain file that is not a disk image */
	const char *expect_serial; /* --expect-serial */
	const char *expect_size;   /* --expect-size */
};

/* A refusal: the reason and what overrides it ("--allow-loop", or a hint when nothing does). */
struct refusal {
	char *code;   /* short tag: not-removable, mounted, system, swap, holders, ... */
	char *reason; /* a sentence */
	char *fix;    /* "--allow-fixed" or what to do */
};
struct refusals {
	struct refusal *v;
	size_t n;
};

char *sys_path(const char *p);	/* /sys/... under UK_SYSFS_ROOT */
char *proc_path(const char *p); /* /proc/... under UK_PROC_ROOT */
/* Opens a path (block device or regular file; a new file is created) and fills info from the
 * open descriptor. -1 with a message if it cannot. */
int target_probe(const char *path, struct target_info *t);
/* After the prompt: the path must still name the opened target, and every check still pass. */
int target_recheck(struct target_info *t, const struct safety_opts *o, struct refusals *r);
/* A file target_probe created and nothing wrote is removed (refused, declined). */
void target_discard(struct target_info *t);
/* The same for /sys/block/NAME (uk devices). */
int target_probe_name(const char *name, struct target_info *t);
/* Every reason not to write t; 0 when there is none. */
size_t target_check(const struct target_info *t, const struct safety_opts *o, struct refusals *r);
void refusals_free(struct refusals *r);
/* Writes r under key as [{"code", "reason", "override"}, ...] (uk flash and uk devices). */
void refusals_json(struct json *j, const char *key, const struct refusals *r);
void target_free(struct target_info *t);
char *human_size(uint64_t bytes); /* "29.7 GiB" */

/* ---- flash_bmap.c: the block map beside an image (sdcard.img.bmap), bmaptool's XML ---- */
#define BMAP_BLOCK 4096
struct bmap {
	uint64_t image_size;
	uint64_t mapped;       /* bytes in ranges */
	char image_sha256[65]; /* of the whole image (uk's UkImageChecksum), "" if unknown */
	uint64_t (*r)[2];      /* [start, end) byte ranges, sorted, block aligned (the last may
				* end at image_size) */
	char (*sum)[65];       /* the sha256 of each range's bytes */
	size_t n;
};
/* Computes the map of an image uk wrote (MBR + FAT32): the first 64 KiB, the FAT32 reserved
 * sectors and FATs, and every allocated cluster. -1 if the image is not such an image. */
int bmap_compute(const char *image, struct bmap *b);
int bmap_save(const char *path, const struct bmap *b);
/* -1 missing, -2 not a map uk can use: *why (free it) says why. Checks the file's own
 * BmapFileChecksum as bmaptool does; the ranges' checksums are checked by flash_write. */
int bmap_load(const char *path, struct bmap *b, char **why);
/* Writes IMAGE.bmap unless it is newer than the image; image_sha256 (of the whole image, for
 * UkImageChecksum) is computed when NULL. */
int bmap_write_for(const char *image, const char *image_sha256);
void bmap_free(struct bmap *b);
/* sha256 of a (sparse) file without reading its holes */
int sha256_sparse(const char *path, char hex[65], uint64_t *size);

/* ---- flash_write.c ---- */
enum progress_mode { PROGRESS_NONE, PROGRESS_TTY, PROGRESS_JSONL };
struct flash_opts {
	const char *image;
	const struct bmap *map;	   /* NULL: write every byte */
	const struct bmap *check;  /* ranges whose sha256 is checked (the map, or with --no-map
				    * a map beside the image), or NULL */
	const char *expect_sha256; /* of the whole image (checked without a map), or NULL */
	int verify;
	enum progress_mode progress;
};
struct flash_result {
	uint64_t written, verified;
	double seconds;
	int verify_ok; /* 1 ok, 0 mismatch, -1 not run */
	int direct;    /* O_DIRECT was used */
	char image_sha256[65];
	char *error;
};
/* Writes the image to the open target. Returns 0 or an EXIT_* code, with the card left
 * without a partition table on any failure. */
int flash_write(int fd, const struct target_info *t, const struct flash_opts *o,
		struct flash_result *res);
/* Reopens the probed descriptor for writing: the same device or file whatever its path names
 * now; O_EXCL (block devices) and O_DIRECT when possible. */
int flash_open(const struct target_info *t, int *direct);

/* ---- subcommands ---- */
int cmd_flash(int argc, char **argv);
int cmd_devices(int argc, char **argv);
extern const char usage_flash[], usage_devices[];

#endif
