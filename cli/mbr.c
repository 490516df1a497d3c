/* mbr.c: the SD card's master boot record and the sparse whole-disk image. */
#define _GNU_SOURCE
#include "uk.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static uint32_t get32(const unsigned char *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v, p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16), p[3] = (unsigned char)(v >> 24);
}

/* CHS in the classic 255 heads x 63 sectors geometry; past 1023 cylinders it saturates. */
static void chs(unsigned char *p, uint32_t lba)
{
	uint32_t c = lba / (255 * 63), h = (lba / 63) % 255, s = lba % 63 + 1;
	if (c > 1023)
		c = 1023, h = 254, s = 63;
	p[0] = (unsigned char)h;
	p[1] = (unsigned char)(s | ((c >> 2) & 0xc0));
	p[2] = (unsigned char)c;
}

void mbr_encode(unsigned char out[512], uint32_t disk_sig, const struct mbr_part *p, int n)
{
	memset(out, 0, 512);
	put32(out + 440, disk_sig); /* Linux shows it as PARTUUID=<sig>-01 */
	for (int i = 0; i < n && i < 4; i++) {
		unsigned char *e = out + 446 + 16 * i;
		e[0] = p[i].boot ? 0x80 : 0x00;
		chs(e + 1, p[i].lba);
		e[4] = p[i].type;
		chs(e + 5, p[i].lba + p[i].sectors - 1);
		put32(e + 8, p[i].lba);
		put32(e + 12, p[i].sectors);
	}
	out[510] = 0x55;
	out[511] = 0xaa;
}

int mbr_decode(const unsigned char in[512], uint32_t *disk_sig, struct mbr_part p[4])
{
	if (in[510] != 0x55 || in[511] != 0xaa)
		return -1;
	if (disk_sig)
		*disk_sig = get32(in + 440);
	for (int i = 0; i < 4; i++) {
		const unsigned char *e = in + 446 + 16 * i;
		p[i] = (struct mbr_part){.boot = e[0] == 0x80,
					 .type = e[4],
					 .lba = get32(e + 8),
					 .sectors = get32(e + 12)};
	}
	return 0;
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

int sdimage_write(const char *path, uint64_t total, uint64_t offset, const char *part_image,
		  uint64_t data_offset, const char *data_image, uint32_t disk_sig)
{
	int in = open(part_image, O_RDONLY | O_CLOEXEC), din = -1, out = -1, rc = -1;
	if (in < 0 || (data_image && (din = open(data_image, O_RDONLY | O_CLOEXEC)) < 0)) {
		error("cannot open %s: %s", in < 0 ? part_image : data_image, strerror(errno));
		goto out;
	}
	out = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0) {
		error("cannot create %s: %s", path, strerror(errno));
		goto out;
	}
	uint64_t boot_end = data_image ? data_offset : total;
	off_t psize = file_size(in), dsize = din >= 0 ? file_size(din) : 0;
	if (psize < 0 || offset + (uint64_t)psize > boot_end) {
		error("the boot partition (%lld bytes) does not fit in a %llu-byte image",
		      (long long)psize, (unsigned long long)boot_end);
		goto out;
	}
	if (dsize < 0 || data_offset + (uint64_t)dsize > total) {
		error("the data partition (%lld bytes) does not fit in a %llu-byte image",
		      (long long)dsize, (unsigned long long)total);
		goto out;
	}
	if (ftruncate(out, (off_t)total) < 0)
		goto io;
	struct mbr_part part[2] = {
	    {.boot = 1,
	     .type = 0x0c, /* FAT32 LBA: the Pi 3 ROM boots nothing else */
	     .lba = (uint32_t)(offset / MBR_SECTOR),
	     .sectors = (uint32_t)((boot_end - offset) / MBR_SECTOR)},
	    {.boot = 0,
	     .type = 0xda, /* non-file-system data to other systems; uk's littlefs /data */
	     .lba = (uint32_t)(data_offset / MBR_SECTOR),
	     .sectors = (uint32_t)((total - data_offset) / MBR_SECTOR)},
	};
	unsigned char mbr[512];
	mbr_encode(mbr, disk_sig, part, data_image ? 2 : 1);
	if (pwrite(out, mbr, sizeof mbr, 0) != (ssize_t)sizeof mbr ||
	    copy_extents(in, psize, out, offset) < 0 ||
	    (din >= 0 && copy_extents(din, dsize, out, data_offset) < 0))
		goto io;
	rc = 0;
	goto out;
io:
	error("writing %s: %s", path, strerror(errno));
out:
	if (in >= 0)
		close(in);
	if (din >= 0)
		close(din);
	if (out >= 0 && close(out) < 0)
		rc = -1;
	return rc;
}
