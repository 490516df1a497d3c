/* flash_bmap.c: the block map beside an image (sdcard.img.bmap): which blocks matter.
 * uk flash writes only those; the rest of the card may keep any old contents because nothing
 * reads it: a FAT partition uk builds (FAT32, and an A/B card's FAT16 autoboot one) is read only
 * in its reserved sectors, its FATs, its root folder and the clusters the FAT marks as used;
 * anything else (/data) is mapped whole. The map is computed from the image's own MBR and FAT,
 * never from holes in the file (a FAT sector of zeros is a hole in sdcard.img but must still be
 * written).
 * The file is bmaptool's XML, format 2.0 (Debian's bmap-tools: `bmaptool copy --bmap
 * sdcard.img.bmap sdcard.img /dev/sdX` flashes a uk card too), written and read with libxml2:
 *   <bmap version="2.0">
 *     <ImageSize> BYTES </ImageSize> <BlockSize> 4096 </BlockSize>
 *     <BlocksCount> N </BlocksCount> <MappedBlocksCount> N </MappedBlocksCount>
 *     <ChecksumType> sha256 </ChecksumType>
 *     <BmapFileChecksum> HEX </BmapFileChecksum>  (of this file, with HEX as 64 '0's)
 *     <UkImageChecksum> HEX </UkImageChecksum>    (uk's own, bmaptool ignores it: the sha256 of
 *                                                  the whole image, for uk flash --no-map)
 *     <BlockMap> <Range chksum="HEX"> FIRST-LAST </Range> ... </BlockMap>
 *   </bmap>
 * Ranges are block numbers, inclusive (one block: "FIRST"), sorted; chksum is the sha256 of the
 * range's bytes (the last block ends at the image's end). */
#define _GNU_SOURCE
#include "flash.h"

#include <errno.h>
#include <fcntl.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlwriter.h>
#include <pthread.h>
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

/* the sha256 of each range */
static int hash_ranges(int fd, struct bmap *b)
{
	size_t bs = 1 << 20;
	unsigned char *buf = xmalloc(bs);
	b->sum = xrealloc(b->sum, (b->n ? b->n : 1) * sizeof *b->sum);
	b->mapped = 0;
	int rc = 0;
	for (size_t i = 0; i < b->n && !rc; i++) {
		struct sha256 h;
		sha256_init(&h);
		for (uint64_t o = b->r[i][0]; o < b->r[i][1] && !rc;) {
			size_t n = b->r[i][1] - o < bs ? (size_t)(b->r[i][1] - o) : bs;
			if (full_read(fd, buf, n, o) < 0)
				rc = -1;
			else
				sha256_update(&h, buf, n);
			b->mapped += n;
			o += n;
		}
		unsigned char d[32];
		sha256_final(&h, d);
		sha256_hex(d, b->sum[i]);
	}
	free(buf);
	return rc;
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
	struct mbr_part part[4];
	size_t cap = 0;
	int rc = -1;
	if (fstat(fd, &st) < 0 || st.st_size < 1 << 20 || mbr_read(fd, image, NULL, part) < 0)
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
	b->image_sha256[0] = 0;
	rc = 0;
out:
	close(fd);
	if (rc)
		bmap_free(b);
	return rc;
}

/* "FIRST-LAST" or "FIRST", spaces allowed around the dash (bmaptool strips them) */
static int parse_range(const char *s, uint64_t *first, uint64_t *last)
{
	char *e;
	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	*first = *last = strtoull(s, &e, 10);
	e += strspn(e, " \t");
	if (*e == '-') {
		e++;
		e += strspn(e, " \t");
		if (*e < '0' || *e > '9')
			return -1;
		*last = strtoull(e, &e, 10);
	}
	return *e || errno ? -1 : 0;
}

/* path, replaced whole (a temporary file renamed over it) */
static int write_atomic(const char *path, const void *data, size_t len)
{
	char *tmp = xasprintf("%s.tmp-%d", path, (int)getpid());
	int rc = write_file(tmp, data, len);
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -1;
	if (rc)
		unlink(tmp);
	free(tmp);
	return rc;
}

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void xml_init(void)
{
	xmlInitParser(); /* once, before any thread (fleet workers write maps) uses libxml2 */
}

#define ZEROS "0000000000000000000000000000000000000000000000000000000000000000"

/* The map as bmaptool's XML, in xb. Numbers and ranges are padded with a space each side as
 * bmaptool writes them; the file checksum is written as 64 '0's, filled in by the caller. */
static int bmap_xml(const struct bmap *b, xmlBufferPtr xb)
{
	xmlTextWriterPtr w = xmlNewTextWriterMemory(xb, 0);
	if (!w)
		return -1;
	uint64_t blocks = (b->image_size + BMAP_BLOCK - 1) / BMAP_BLOCK, mapped = 0;
	for (size_t i = 0; i < b->n; i++)
		mapped += (b->r[i][1] - 1) / BMAP_BLOCK - b->r[i][0] / BMAP_BLOCK + 1;
	int bad = xmlTextWriterSetIndent(w, 1) < 0;
	bad |= xmlTextWriterSetIndentString(w, BAD_CAST "  ") < 0;
	bad |= xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL) < 0;
	/* (an XML comment may not hold a double hyphen: no option names here) */
	bad |=
	    xmlTextWriterWriteComment(
		w, BAD_CAST " The blocks of a uk image in use, in bmaptool's format 2.0: uk flash "
			    "and bmaptool copy write only these. ") < 0;
	bad |= xmlTextWriterStartElement(w, BAD_CAST "bmap") < 0;
	bad |= xmlTextWriterWriteAttribute(w, BAD_CAST "version", BAD_CAST "2.0") < 0;
	const char *num[] = {"ImageSize", "BlockSize", "BlocksCount", "MappedBlocksCount"};
	uint64_t val[] = {b->image_size, BMAP_BLOCK, blocks, mapped};
	for (int i = 0; i < 4; i++)
		bad |= xmlTextWriterWriteFormatElement(w, BAD_CAST num[i], " %llu ",
						       (unsigned long long)val[i]) < 0;
	bad |= xmlTextWriterWriteElement(w, BAD_CAST "ChecksumType", BAD_CAST " sha256 ") < 0;
	bad |=
	    xmlTextWriterWriteElement(w, BAD_CAST "BmapFileChecksum", BAD_CAST " " ZEROS " ") < 0;
	if (b->image_sha256[0]) {
		bad |= xmlTextWriterWriteComment(w, BAD_CAST " uk's own (bmaptool ignores it): the "
							     "sha256 of the whole image ") < 0;
		bad |= xmlTextWriterWriteFormatElement(w, BAD_CAST "UkImageChecksum", " %s ",
						       b->image_sha256) < 0;
	}
	bad |= xmlTextWriterStartElement(w, BAD_CAST "BlockMap") < 0;
	for (size_t i = 0; i < b->n && !bad; i++) {
		unsigned long long first = b->r[i][0] / BMAP_BLOCK,
				   last = (b->r[i][1] - 1) / BMAP_BLOCK;
		bad |= xmlTextWriterStartElement(w, BAD_CAST "Range") < 0;
		bad |= xmlTextWriterWriteAttribute(w, BAD_CAST "chksum", BAD_CAST b->sum[i]) < 0;
		bad |= (first == last
			    ? xmlTextWriterWriteFormatString(w, " %llu ", first)
			    : xmlTextWriterWriteFormatString(w, " %llu-%llu ", first, last)) < 0;
		bad |= xmlTextWriterEndElement(w) < 0;
	}
	bad |= xmlTextWriterEndDocument(w) < 0;
	xmlFreeTextWriter(w);
	return bad ? -1 : 0;
}

int bmap_save(const char *path, const struct bmap *b)
{
	pthread_once(&xml_once, xml_init);
	xmlBufferPtr xb = xmlBufferCreate();
	if (!xb || bmap_xml(b, xb) < 0) {
		if (xb)
			xmlBufferFree(xb);
		return -1;
	}
	/* BmapFileChecksum: the sha256 of the file with its own value as 64 '0's (bmaptool's
	 * rule: BmapCreate writes zeros, hashes the file, then writes the digest over them) */
	unsigned char *text = (unsigned char *)xmlBufferContent(xb);
	size_t len = (size_t)xmlBufferLength(xb);
	char *at = strstr((char *)text, "<BmapFileChecksum> " ZEROS);
	int rc = -1;
	if (at) {
		char hex[65];
		sha256_data_hex(text, len, hex);
		memcpy(at + strlen("<BmapFileChecksum> "), hex, 64);
		rc = write_atomic(path, text, len);
	}
	xmlBufferFree(xb);
	return rc;
}

/* The trimmed text of an element (xmlFree it), or NULL. */
static char *text_of(xmlNode *n)
{
	if (!n)
		return NULL;
	xmlChar *c = xmlNodeGetContent(n);
	if (!c)
		return NULL;
	char *s = (char *)c, *e = s + strlen(s);
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		e--;
	memmove(c, s, (size_t)(e - s));
	c[e - s] = 0;
	return (char *)c;
}

static int parse_u64(const char *s, uint64_t *v)
{
	if (!s || !*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 18)
		return -1;
	*v = strtoull(s, NULL, 10);
	return 0;
}

static xmlNode *child(xmlNode *parent, const char *name)
{
	for (xmlNode *n = parent->children; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name))
			return n;
	return NULL;
}

static int num_of(xmlNode *root, const char *name, uint64_t *v)
{
	char *s = text_of(child(root, name));
	int rc = parse_u64(s, v);
	xmlFree(s);
	return rc;
}

static int is_hex64(const char *s)
{
	return s && strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

/* bmaptool's check of BmapFileChecksum: the first occurrence of the recorded digest in the
 * file replaced by 64 '0's, the file hashed, the digests compared. */
static int file_checksum_ok(const char *text, size_t len, const char *want)
{
	char *at = memmem(text, len, want, 64);
	if (!at)
		return 0;
	char *copy = xmalloc(len);
	memcpy(copy, text, len);
	memcpy(copy + (at - text), ZEROS, 64);
	char hex[65];
	sha256_data_hex(copy, len, hex);
	free(copy);
	return !strcmp(hex, want);
}

/* Fills b from the parsed document; a sentence in *why when it is not a map uk can use. */
static int bmap_from_xml(xmlNode *root, const char *text, size_t len, struct bmap *b, char **why)
{
	char *version = root && !strcmp((const char *)root->name, "bmap")
			    ? (char *)xmlGetProp(root, BAD_CAST "version")
			    : NULL;
	int rc = -1;
	char *type = NULL, *fsum = NULL, *isum = NULL;
	uint64_t bs, blocks, mapped, nmapped = 0, next = 0;
	if (!version) {
		*why = xasprintf("it is not a bmap file (no <bmap version=\"...\"> element)");
		goto out;
	}
	if (strncmp(version, "2.", 2) && strcmp(version, "1.4")) {
		*why = xasprintf("it is bmap format %s; uk reads format 2.0", version);
		goto out;
	}
	if (num_of(root, "ImageSize", &b->image_size) || num_of(root, "BlockSize", &bs) ||
	    num_of(root, "BlocksCount", &blocks) || num_of(root, "MappedBlocksCount", &mapped)) {
		*why =
		    xasprintf("ImageSize, BlockSize, BlocksCount or MappedBlocksCount is missing "
			      "or not a number");
		goto out;
	}
	type = text_of(child(root, "ChecksumType"));
	if (!type || strcmp(type, "sha256")) {
		*why = xasprintf("its ChecksumType is %s; uk checks sha256 maps",
				 type ? type : "missing");
		goto out;
	}
	fsum = text_of(child(root, "BmapFileChecksum"));
	if (!is_hex64(fsum) || !file_checksum_ok(text, len, fsum)) {
		*why =
		    xasprintf("its BmapFileChecksum does not match the file: the map was changed "
			      "or damaged");
		goto out;
	}
	if (bs < 512 || bs > (1 << 20) || bs % 512 || !b->image_size ||
	    b->image_size > (1ull << 50) || blocks != (b->image_size + bs - 1) / bs) {
		*why = xasprintf("its ImageSize, BlockSize and BlocksCount do not agree");
		goto out;
	}
	isum = text_of(child(root, "UkImageChecksum"));
	if (is_hex64(isum))
		memcpy(b->image_sha256, isum, 65);
	xmlNode *map = child(root, "BlockMap");
	size_t cap = 0;
	for (xmlNode *n = map ? map->children : NULL; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE || strcmp((const char *)n->name, "Range"))
			continue;
		char *t = text_of(n), *sum = (char *)xmlGetProp(n, BAD_CAST "chksum");
		uint64_t first = 0, last = 0;
		int ok = parse_range(t, &first, &last) == 0;
		if (!ok || first > last || last >= blocks || first < next) {
			*why =
			    xasprintf("a Range (%s) is not a block range in order inside the image",
				      t ? t : "");
			ok = 0;
		} else if (!is_hex64(sum)) {
			*why = xasprintf("the Range of blocks %llu-%llu has no sha256 chksum: uk "
					 "verifies every range",
					 (unsigned long long)first, (unsigned long long)last);
			ok = 0;
		}
		if (ok) {
			if (b->n == cap) {
				cap = cap ? cap * 2 : 64;
				b->r = xrealloc(b->r, cap * sizeof *b->r);
				b->sum = xrealloc(b->sum, cap * sizeof *b->sum);
			}
			uint64_t end = (last + 1) * bs;
			b->r[b->n][0] = first * bs;
			b->r[b->n][1] = end < b->image_size ? end : b->image_size;
			memcpy(b->sum[b->n], sum, 65);
			b->mapped += b->r[b->n][1] - b->r[b->n][0];
			b->n++;
			nmapped += last - first + 1;
			next = last + 1;
		}
		xmlFree(t);
		xmlFree(sum);
		if (!ok)
			goto out;
	}
	if (!b->n || b->r[0][0] != 0) {
		*why = xasprintf("its BlockMap does not map block 0 (the partition table)");
		goto out;
	}
	if (nmapped != mapped) {
		*why = xasprintf("MappedBlocksCount is %llu but its ranges hold %llu blocks",
				 (unsigned long long)mapped, (unsigned long long)nmapped);
		goto out;
	}
	rc = 0;
out:
	xmlFree(version);
	xmlFree(type);
	xmlFree(fsum);
	xmlFree(isum);
	return rc;
}

int bmap_load(const char *path, struct bmap *b, char **why)
{
	memset(b, 0, sizeof *b);
	*why = NULL;
	char *text;
	size_t len;
	if (read_file(path, &text, &len) < 0)
		return -1;
	pthread_once(&xml_once, xml_init);
	xmlDoc *doc =
	    len > INT32_MAX
		? NULL
		: xmlReadMemory(text, (int)len, path, NULL,
				XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	int rc;
	if (!doc) {
		const xmlError *e = xmlGetLastError();
		char *m = e && e->message ? xstrdup(e->message) : xstrdup("unreadable");
		m[strcspn(m, "\n")] = 0;
		*why = xasprintf("it is not well-formed XML (line %d: %s)", e ? e->line : 0, m);
		free(m);
		rc = -1;
	} else {
		rc = bmap_from_xml(xmlDocGetRootElement(doc), text, len, b, why);
		xmlFreeDoc(doc);
	}
	free(text);
	if (rc) {
		bmap_free(b);
		return -2;
	}
	return 0;
}

void bmap_free(struct bmap *b)
{
	free(b->r);
	free(b->sum);
	b->r = NULL, b->sum = NULL, b->n = 0;
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
