/* mbr.c: the SD card's partition table (libfdisk) and the sparse whole-disk image. */
#define _GNU_SOURCE
#include "uk.h"

#include <errno.h>
#include <fcntl.h>
#include <libfdisk.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The partition table through util-linux's libfdisk (Debian's libfdisk), as fdisk and sfdisk
 * write it: a DOS label with the given disk identifier and primary partitions at exact
 * sectors. Given the same identifier and partitions, libfdisk writes the same 512 bytes every
 * time (tests/cli/build.bats compares two builds byte for byte; tests/data.bats reads the
 * layout back with sfdisk), so the image stays byte-reproducible. */
static struct fdisk_context *fdisk_open(int fd, const char *path, int readonly)
{
	struct fdisk_context *cxt = fdisk_new_context();
	if (!cxt)
		return NULL;
	fdisk_disable_dialogs(cxt, 1); /* nothing to ask: every value is given */
	if (fdisk_assign_device_by_fd(cxt, fd, path, readonly) != 0) {
		fdisk_unref_context(cxt);
		return NULL;
	}
	return cxt;
}

int mbr_write(int fd, const char *path, uint32_t disk_sig, const struct mbr_part *p, int n)
{
	/* the descriptor stays the caller's: libfdisk does not close one it was given */
	struct fdisk_context *cxt = fdisk_open(fd, path, 0);
	if (!cxt) {
		error("libfdisk cannot open %s", path);
		return -1;
	}
	char id[16];
	snprintf(id, sizeof id, "0x%08x", disk_sig); /* Linux shows PARTUUID=<id>-01 */
	int rc = fdisk_create_disklabel(cxt, "dos");
	if (!rc)
		rc = fdisk_set_disklabel_id_from_string(cxt, id);
	struct fdisk_label *lb = fdisk_get_label(cxt, NULL);
	for (int i = 0; !rc && i < n && i < 4; i++) {
		struct fdisk_partition *pa = fdisk_new_partition();
		/* a type libfdisk has no name for (none of uk's) is still written as its code */
		struct fdisk_parttype *t = fdisk_label_get_parttype_from_code(lb, p[i].type),
				      *unknown = NULL;
		if (!t)
			t = unknown = fdisk_new_unknown_parttype(p[i].type, NULL);
		if (!pa || !t) {
			fdisk_unref_partition(pa);
			rc = -ENOMEM;
			break;
		}
		fdisk_partition_set_partno(pa, (size_t)i);
		fdisk_partition_set_start(pa, p[i].lba);
		fdisk_partition_set_size(pa, p[i].sectors);
		fdisk_partition_set_type(pa, t);
		rc = fdisk_add_partition(cxt, pa, NULL);
		fdisk_unref_partition(pa);
		fdisk_unref_parttype(unknown);
		if (!rc && p[i].boot)
			rc = fdisk_toggle_partition_flag(cxt, (size_t)i, DOS_FLAG_ACTIVE);
	}
	if (!rc)
		rc = fdisk_write_disklabel(cxt);
	/* the image is synced, or not, by whoever made it: the build swaps its folder in whole */
	fdisk_deassign_device(cxt, 1);
	fdisk_unref_context(cxt);
	if (rc) {
		error("writing the partition table of %s: %s", path, strerror(rc < 0 ? -rc : rc));
		return -1;
	}
	return 0;
}

int mbr_read(int fd, const char *path, uint32_t *disk_sig, struct mbr_part p[4])
{
	memset(p, 0, 4 * sizeof *p);
	struct fdisk_context *cxt = fdisk_open(fd, path, 1);
	if (!cxt)
		return -1;
	int rc = -1;
	if (fdisk_is_labeltype(cxt, FDISK_DISKLABEL_DOS)) {
		rc = 0;
		char *id = NULL;
		if (disk_sig && fdisk_get_disklabel_id(cxt, &id) == 0 && id)
			*disk_sig = (uint32_t)strtoul(id, NULL, 16);
		free(id);
		for (size_t i = 0; i < 4; i++) {
			struct fdisk_partition *pa = NULL;
			if (fdisk_get_partition(cxt, i, &pa) == 0 && fdisk_partition_is_used(pa)) {
				struct fdisk_parttype *t = fdisk_partition_get_type(pa);
				fdisk_sector_t start = fdisk_partition_get_start(pa);
				fdisk_sector_t size = fdisk_partition_get_size(pa);
				/* an MBR entry holds 32-bit sector numbers */
				if (start <= UINT32_MAX && size <= UINT32_MAX)
					p[i] = (struct mbr_part){
					    .boot = fdisk_partition_is_bootable(pa) ? 1 : 0,
					    .type = t ? (uint8_t)fdisk_parttype_get_code(t) : 0,
					    .lba = (uint32_t)start,
					    .sectors = (uint32_t)size};
			}
			fdisk_unref_partition(pa);
		}
	}
	fdisk_deassign_device(cxt, 1);
	fdisk_unref_context(cxt);
	return rc;
}

static int all_zero(const unsigned char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return 0;
	return 1;
}

/* Copies the data extents of the (sparse) image file in (size bytes) to out at offset,
 * skipping zero blocks: -1 after an I/O error (errno set). The buffer is static: one caller at
 * a time (the fleet stamper holds a lock). */
int copy_extents(int in, off_t size, int out, uint64_t offset)
{
	static unsigned char buf[1 << 16];
	off_t pos = 0;
	while (pos < size) {
		off_t data = lseek(in, pos, SEEK_DATA);
		if (data < 0) {
			if (errno == ENXIO)
				break; /* only a hole is left */
			data = pos;    /* no SEEK_DATA here: read everything */
		}
		off_t hole = lseek(in, data, SEEK_HOLE);
		if (hole < 0)
			hole = size;
		for (pos = data; pos < hole;) {
			size_t want =
			    (size_t)(hole - pos) < sizeof buf ? (size_t)(hole - pos) : sizeof buf;
			ssize_t r = pread(in, buf, want, pos);
			if (r < 0)
				return -1;
			if (r == 0)
				break;
			if (!all_zero(buf, (size_t)r) &&
			    pwrite(out, buf, (size_t)r, (off_t)offset + pos) != r)
				return -1;
			pos += r;
		}
		pos = hole;
	}
	return 0;
}

/* The size of an open file, or -1. */
static off_t file_size(int fd)
{
	off_t n = lseek(fd, 0, SEEK_END);
	lseek(fd, 0, SEEK_SET);
	return n;
}

int sdimage_write(const char *path, uint64_t total, const struct sd_part *p, int n,
		  uint32_t disk_sig)
{
	int in[4] = {-1, -1, -1, -1}, out = -1, rc = -1;
	off_t isize[4] = {0};
	struct mbr_part part[4];
	if (n < 1 || n > 4) {
		error("a card image holds 1 to 4 partitions, not %d", n);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		/* in order, inside the image and each image inside its partition: checked before
		 * anything is written */
		uint64_t start = i ? p[i - 1].offset + p[i - 1].size : MBR_SECTOR;
		if (p[i].offset < start || p[i].size == 0 || p[i].offset % MBR_SECTOR ||
		    p[i].size % MBR_SECTOR || p[i].offset + p[i].size > total ||
		    (p[i].offset + p[i].size) / MBR_SECTOR > UINT32_MAX) {
			error("partition %d (%llu bytes at %llu) does not fit a %llu-byte image",
			      i + 1, (unsigned long long)p[i].size, (unsigned long long)p[i].offset,
			      (unsigned long long)total);
			goto out;
		}
		part[i] = (struct mbr_part){.boot = p[i].boot,
					    .type = p[i].type,
					    .lba = (uint32_t)(p[i].offset / MBR_SECTOR),
					    .sectors = (uint32_t)(p[i].size / MBR_SECTOR)};
		if (!p[i].image)
			continue;
		if ((in[i] = open(p[i].image, O_RDONLY | O_CLOEXEC)) < 0) {
			error("cannot open %s: %s", p[i].image, strerror(errno));
			goto out;
		}
		isize[i] = file_size(in[i]);
		if (isize[i] < 0 || (uint64_t)isize[i] > p[i].size) {
			error("%s (%lld bytes) does not fit partition %d (%llu bytes)", p[i].image,
			      (long long)isize[i], i + 1, (unsigned long long)p[i].size);
			goto out;
		}
	}
	out = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0) {
		error("cannot create %s: %s", path, strerror(errno));
		goto out;
	}
	if (ftruncate(out, (off_t)total) < 0)
		goto io;
	for (int i = 0; i < n; i++)
		if (in[i] >= 0 && copy_extents(in[i], isize[i], out, p[i].offset) < 0)
			goto io;
	rc = mbr_write(out, path, disk_sig, part, n);
	goto out;
io:
	error("writing %s: %s", path, strerror(errno));
out:
	for (int i = 0; i < 4; i++)
		if (in[i] >= 0)
			close(in[i]);
	if (out >= 0 && close(out) < 0)
		rc = -1;
	return rc;
}
