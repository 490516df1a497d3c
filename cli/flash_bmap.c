/* flash_bmap.c: the block map beside an image (sdcard.img.bmap): which byte ranges matter.
 * uk flash writes only those ranges; the rest of the card may keep any old contents because
 * nothing reads it: a FAT partition uk builds (FAT32, and an A/B card's FAT16 autoboot one) is
 * read only in its reserved sectors, its FATs, its root folder and the clusters the FAT marks
 * as used; anything else (/data) is mapped whole. The map is computed from the image's own MBR and
 * FAT, never from holes in the file (a FAT sector of zeros is a hole in sdcard.img but must still
 * be written). Text, one item a line:
 *   uk-bmap 1
 *   image-size BYTES
 *   block-size 4096
 *   image-sha256 HEX         (of the whole image; "-" when unknown)
 *   mapped-bytes BYTES
 *   mapped-sha256 HEX        (of the mapped bytes, range after range)
 *   range START END          (bytes, [START, END), 4 KiB aligned, sorted, disjoint) */
#define _GNU_SOURCE
#include "flash.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static uint32_t le16(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void add(struct bmap *b, uint64_t start, uint64_t end, size_t *cap)
{
	start &= ~(uint64_t)(BMAP_BLOCK - 1);
	end = (end + BMAP_BLOCK - 1) & ~(uint64_t)(BMAP_BLOCK - 1);
	if (end > b->image_size)
		end = b->image_size;
	if (start >= end)
		return;
	if (b->n && start <= b->r[b->n - 1][1]) {
		if (end > b->r[b->n - 1][1])
			b->r[b->n - 1][1] = end;
		return;
	}
	if (b->n == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		b->r = xrealloc(b->r, *cap * sizeof *b->r);
	}
	b->r[b->n][0] = start, b->r[b->n][1] = end;
	b->n++;
}

static int full_read(int fd, void *buf, size_t n, uint64_t off)
{
	size_t done = 0;
	while (done < n) {
		ssize_t r = pread(fd, (char *)buf + done, n - done, (off_t)(off + done));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		done += (size_t)r;
	}
	return 0;
}

/* sha256 of the mapped bytes, range after range */
static int hash_ranges(int fd, struct bmap *b)
{
	struct sha256 h;
	sha256_init(&h);
	size_t bs = 1 << 20;
	unsigned char *buf = xmalloc(bs);
	b->mapped = 0;
	for (size_t i = 0; i < b->n; i++)
		for (uint64_t o = b->r[i][0]; o < b->r[i][1];) {
			size_t n = b->r[i][1] - o < bs ? (size_t)(b->r[i][1] - o) : bs;
			if (full_read(fd, buf, n, o) < 0) {
				free(buf);
				return -1;
			}
			sha256_update(&h, buf, n);
			b->mapped += n;
			o += n;
		}
	free(buf);
	unsigned char d[32];
	sha256_final(&h, d);
	sha256_hex(d, b->mapped_sha256);
	return 0;
}

/* The ranges of the FAT partition at off (size bytes) that a reader uses: its reserved
 * sectors, FATs and root folder, and the clusters its FAT marks used. -1 when it is not a FAT
 * uk writes (FAT16 or FAT32); the caller then maps all of it. */
static int fat_ranges(int fd, struct bmap *b, uint64_t off, uint64_t size, size_t *cap)
{
	unsigned char bs[512];
	if (full_read(fd, bs, 512, off) < 0 || bs[510] != 0x55 || bs[511] != 0xaa)
		return -1;
	uint32_t bps = le16(bs + 11), spc = bs[13], res = le16(bs + 14), nfats = bs[16];
	uint32_t roots = le16(bs + 17), fat16 = le16(bs + 22) != 0;
	uint32_t fatsz = fat16 ? le16(bs + 22) : le32(bs + 36);
	uint32_t tot = le16(bs + 19) ? le16(bs + 19) : le32(bs + 32);
	if (memcmp(fat16 ? bs + 54 : bs + 82, fat16 ? "FAT16   " : "FAT32   ", 8) || bps < 512 ||
	    bps > 4096 || (bps & (bps - 1)) || !spc || !res || !nfats || !fatsz)
		return -1;
	uint64_t rootsz = ((uint64_t)roots * 32 + bps - 1) / bps;
	uint64_t metas = res + (uint64_t)nfats * fatsz + rootsz;
	if (tot <= metas || (uint64_t)tot * bps > size)
		return -1;
	uint64_t meta = metas * bps, fatbytes = (uint64_t)fatsz * bps;
	if (fatbytes > (1ull << 30))
		return -1;
	unsigned char *fat = xmalloc(fatbytes);
	if (full_read(fd, fat, fatbytes, off + (uint64_t)res * bps) < 0) {
		free(fat);
		return -1;
	}
	add(b, off, off + meta, cap);
	uint64_t clusters = (tot - metas) / spc, data = off + meta, csize = (uint64_t)spc * bps;
	uint32_t w = fat16 ? 2 : 4;
	for (uint64_t c = 2; c < clusters + 2 && (c + 1) * w <= fatbytes; c++)
		if (fat16 ? le16(fat + c * 2) : (le32(fat + c * 4) & 0x0fffffff))
			add(b, data + (c - 2) * csize, data + (c - 1) * csize, cap);
	free(fat);
	return 0;
}

int bmap_compute(const char *image, struct bmap *b)
{
	memset(b, 0, sizeof *b);
	int fd = open(image, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct stat st;
	unsigned char mbr[512];
	struct mbr_part part[4];
	size_t cap = 0;
	int rc = -1;
	if (fstat(fd, &st) < 0 || st.st_size < 1 << 20 || full_read(fd, mbr, 512, 0) < 0 ||
	    mbr_decode(mbr, NULL, part) < 0)
		goto out;
	b->image_size = (uint64_t)st.st_size;
	add(b, 0, 64 << 10, &cap); /* the MBR, and any old GPT header after it: zeroed */
	uint64_t end = 64 << 10;
	for (int i = 0; i < 4; i++) {
		uint64_t off = (uint64_t)part[i].lba * 512, size = (uint64_t)part[i].sectors * 512;
		if (!part[i].type || !size)
			continue;
		if (off < end || off + size > b->image_size || off % 4096)
			goto out; /* partitions in order, inside the image: as uk writes them */
		end = off + size;
		int fat = part[i].type == 0x0c || part[i].type == 0x0b || part[i].type == 0x0e;
		if (fat && fat_ranges(fd, b, off, size, &cap) == 0)
			continue;
		if (i == 0)
			goto out; /* not a card uk wrote: its first partition is no FAT it reads */
		/* /data (littlefs) and anything else: all of it, so that nothing an earlier card
		 * held there is taken for part of the new file system */
		add(b, off, off + size, &cap);
	}
	if (b->n < 2 || hash_ranges(fd, b) < 0)
		goto out;
	strcpy(b->image_sha256, "");
	rc = 0;
out:
	close(fd);
	if (rc)
		bmap_free(b);
	return rc;
}

int bmap_save(const char *path, const struct bmap *b)
{
	char *tmp = xasprintf("%s.tmp-%d", path, (int)getpid());
	FILE *f = fopen(tmp, "w");
	if (!f) {
		free(tmp);
		return -1;
	}
	fprintf(f,
		"uk-bmap 1\nimage-size %llu\nblock-size %d\nimage-sha256 %s\nmapped-bytes "
		"%llu\nmapped-sha256 %s\n",
		(unsigned long long)b->image_size, BMAP_BLOCK,
		b->image_sha256[0] ? b->image_sha256 : "-", (unsigned long long)b->mapped,
		b->mapped_sha256);
	for (size_t i = 0; i < b->n; i++)
		fprintf(f, "range %llu %llu\n", (unsigned long long)b->r[i][0],
			(unsigned long long)b->r[i][1]);
	int bad = ferror(f);
	bad |= fclose(f) != 0;
	if (bad || rename(tmp, path) < 0) {
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}

int bmap_load(const char *path, struct bmap *b)
{
	memset(b, 0, sizeof *b);
	char *text;
	if (read_file(path, &text, NULL) < 0)
		return -1;
	size_t cap = 0;
	int version = 0, ok = 1;
	uint64_t last = 0, sum = 0;
	char *save = NULL;
	for (char *l = strtok_r(text, "\n", &save); l && ok; l = strtok_r(NULL, "\n", &save)) {
		unsigned long long x, y;
		char hex[80];
		if (sscanf(l, "uk-bmap %d", &version) == 1)
			continue;
		if (sscanf(l, "image-size %llu", &x) == 1)
			b->image_size = x;
		else if (sscanf(l, "block-size %llu", &x) == 1)
			ok = x == BMAP_BLOCK;
		else if (sscanf(l, "image-sha256 %79s", hex) == 1) {
			if (strlen(hex) == 64)
				memcpy(b->image_sha256, hex, 65);
			else
				b->image_sha256[0] = 0;
		} else if (sscanf(l, "mapped-bytes %llu", &x) == 1)
			b->mapped = x;
		else if (sscanf(l, "mapped-sha256 %79s", hex) == 1)
			ok = strlen(hex) == 64, hex[64] = 0, memcpy(b->mapped_sha256, hex, 65);
		else if (sscanf(l, "range %llu %llu", &x, &y) == 2) {
			ok = x < y && x >= last && y <= b->image_size && !(x % BMAP_BLOCK) &&
			     (!(y % BMAP_BLOCK) || y == b->image_size);
			if (b->n == cap) {
				cap = cap ? cap * 2 : 64;
				b->r = xrealloc(b->r, cap * sizeof *b->r);
			}
			b->r[b->n][0] = x, b->r[b->n][1] = y;
			b->n++;
			last = y;
			sum += y - x;
		} else if (l[0] != '#')
			ok = 0;
	}
	free(text);
	if (!ok || version != 1 || !b->image_size || !b->n || sum != b->mapped ||
	    !b->mapped_sha256[0] || b->r[0][0] != 0) {
		bmap_free(b);
		return -2;
	}
	return 0;
}

void bmap_free(struct bmap *b)
{
	free(b->r);
	b->r = NULL, b->n = 0;
}

int bmap_write_for(const char *image, const char *image_sha256)
{
	char *path = xasprintf("%s.bmap", image);
	struct stat is, ms;
	if (stat(image, &is) == 0 && stat(path, &ms) == 0 &&
	    (ms.st_mtim.tv_sec > is.st_mtim.tv_sec || (ms.st_mtim.tv_sec == is.st_mtim.tv_sec &&
						       ms.st_mtim.tv_nsec >= is.st_mtim.tv_nsec))) {
		free(path);
		return 0;
	}
	struct bmap b;
	int rc = -1;
	if (bmap_compute(image, &b) == 0) {
		uint64_t sz;
		if (image_sha256)
			snprintf(b.image_sha256, 65, "%s", image_sha256);
		else if (sha256_file(image, b.image_sha256, &sz) < 0)
			b.image_sha256[0] = 0;
		rc = bmap_save(path, &b);
		bmap_free(&b);
	}
	if (rc < 0)
		error("cannot write the block map %s", path);
	free(path);
	return rc;
}

/* sha256 of a file that is mostly holes: the holes are hashed as zeros without reading them
 * (reading a hole makes the kernel zero page after page: most of the time of a plain read). */
int sha256_sparse(const char *path, char hex[65], uint64_t *size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	static const unsigned char zeros[1 << 16];
	size_t bs = 1 << 20;
	unsigned char *buf = xmalloc(bs);
	struct sha256 h;
	sha256_init(&h);
	off_t end = st.st_size, pos = 0;
	int rc = 0;
	while (pos < end && !rc) {
		off_t data = lseek(fd, pos, SEEK_DATA);
		if (data < 0)
			data = errno == ENXIO ? end : pos;
		for (; pos < data;) { /* a hole */
			size_t n = (size_t)(data - pos) < sizeof zeros ? (size_t)(data - pos)
								       : sizeof zeros;
			sha256_update(&h, zeros, n);
			pos += (off_t)n;
		}
		if (pos >= end)
			break;
		off_t hole = lseek(fd, pos, SEEK_HOLE);
		if (hole < 0 || hole > end)
			hole = end;
		while (pos < hole) {
			size_t n = (size_t)(hole - pos) < bs ? (size_t)(hole - pos) : bs;
			if (full_read(fd, buf, n, (uint64_t)pos) < 0) {
				rc = -1;
				break;
			}
			sha256_update(&h, buf, n);
			pos += (off_t)n;
		}
	}
	free(buf);
	close(fd);
	if (rc)
		return -1;
	unsigned char d[32];
	sha256_final(&h, d);
	sha256_hex(d, hex);
	if (size)
		*size = (uint64_t)end;
	return 0;
}
