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
	unsigned char mbr[512];
	mbr_encode(mbr, disk_sig, part, n);
	if (pwrite(out, mbr, sizeof mbr, 0) != (ssize_t)sizeof mbr)
		goto io;
	for (int i = 0; i < n; i++)
		if (in[i] >= 0 && copy_extents(in[i], isize[i], out, p[i].offset) < 0)
			goto io;
	rc = 0;
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
