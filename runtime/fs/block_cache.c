/*
 * The block cache between the file systems and the card: 4 KiB lines in RAM. Under QEMU TCG a
 * device request costs about 0.15 ms whatever its size, and littlefs asks for one 4 KiB block
 * (or one 512-byte pointer) at a time, so the cache turns many small requests into few large
 * ones (docs/bench.md has the numbers):
 *
 * - Reads: a miss right after the line before it (a sequential reader) fetches up to
 *   READ_AHEAD lines in one request; the same metadata and skip-list sectors read again and
 *   again are hits. Reads of LARGE sectors or more go straight to the device.
 * - Writes: kept in the cache (dirty) until the file system syncs or the cache needs room;
 *   then written back in the order they were last written, neighbours merged into requests of
 *   up to LARGE sectors, and the device's own write cache flushed (block_cache_sync).
 *
 * Why the order matters: littlefs (like any copy-on-write file system) writes a file's new
 * blocks, then the metadata commit that points at them, then syncs. A cut in the middle of a
 * write-back must leave a state the device could have reached writing in order, never the commit
 * without its data. Writing lines in the order of their last change keeps that: littlefs syncs
 * after every commit, so within one write-back the commit's lines are written last.
 *
 * A write-back that fails stops there: its lines and every dirty line after them are dropped
 * unwritten (a later line may be the commit that points at the failed data), and until the next
 * sync reports the error (once, so fsync() says what was lost) writes are refused with it, so no
 * commit made after the failure reaches the card either. Nothing that failed is retried forever.
 * One lock for all callers: /boot and /data share the card and are used from any thread.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <uk/thread.h>

#include "vfs.h"

#define LINE_SECTORS 8u	  /* 4 KiB: one littlefs block, eight FAT sectors */
#define LINES	     128u /* 512 KiB, allocated at the first use */
#define READ_AHEAD   32u  /* lines: 128 KiB per miss in a region being read */
#define LARGE	     256u /* sectors (128 KiB): bypass size and the longest merged write */

struct line {
	struct blockdev *bd; /* NULL: empty */
	uint64_t first;	     /* sector number, a multiple of LINE_SECTORS */
	uint32_t sectors;    /* LINE_SECTORS, fewer at the end of the device */
	uint64_t used;	     /* last use, for least-recently-used replacement */
	uint64_t dirty;	     /* 0: as on the device; else when it was last written */
	uint8_t *data;
};

static struct line lines[LINES];
static uint8_t *bounce; /* LARGE sectors: read-ahead and merged writes */
static uint64_t use_count, write_count;
static uint64_t last_miss = UINT64_MAX / 2; /* the first sector of the last line filled */
static int sticky_error; /* a write-back failed since the last sync reported it */
static struct uk_sem lock;
static bool ready;

/* 0, or -ENOMEM (the caller then goes to the device directly). */
static int cache_lock(void)
{
	if (!ready) { /* threads are cooperative: nothing runs between the test and the init */
		uk_sem_init(&lock, 1);
		ready = true;
	}
	uk_sem_wait(&lock, 0);
	if (!bounce) {
		uint8_t *p = malloc(((size_t)LINES * LINE_SECTORS + LARGE) * BLOCK_SIZE);
		if (!p) {
			uk_sem_post(&lock);
			return -ENOMEM;
		}
		for (unsigned i = 0; i < LINES; i++)
			lines[i].data = p + (size_t)i * LINE_SECTORS * BLOCK_SIZE;
		bounce = p + (size_t)LINES * LINE_SECTORS * BLOCK_SIZE;
	}
	return 0;
}

static void cache_unlock(void)
{
	uk_sem_post(&lock);
}

static struct line *find(const struct blockdev *bd, uint64_t first)
{
	for (unsigned i = 0; i < LINES; i++)
		if (lines[i].bd == bd && lines[i].first == first)
			return &lines[i];
	return NULL;
}

static uint32_t line_sectors(const struct blockdev *bd, uint64_t first)
{
	return bd->blocks - first < LINE_SECTORS ? (uint32_t)(bd->blocks - first) : LINE_SECTORS;
}

/* Writes every dirty line back, oldest change first, merging lines that are neighbours both
 * on the device and in that order. A failed request drops its lines and sets sticky_error. */
static void write_back(void)
{
	struct line *order[LINES];
	unsigned n = 0;
	for (unsigned i = 0; i < LINES; i++) {
		if (!lines[i].dirty)
			continue;
		unsigned j = n++; /* insertion sort by dirty: at most LINES entries */
		while (j > 0 && order[j - 1]->dirty > lines[i].dirty) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = &lines[i];
	}
	for (unsigned i = 0; i < n;) {
		struct line *l = order[i];
		uint64_t end = l->first + l->sectors;
		unsigned k = i + 1;
		while (k < n && order[k]->bd == l->bd && order[k]->first == end &&
		       end - l->first + order[k]->sectors <= LARGE)
			end += order[k++]->sectors;
		const void *src = l->data;
		if (k > i + 1) {
			uint8_t *p = bounce;
			for (unsigned m = i; m < k; m++, p += order[m - 1]->sectors * BLOCK_SIZE)
				memcpy(p, order[m]->data, (size_t)order[m]->sectors * BLOCK_SIZE);
			src = bounce;
		}
		int r = l->bd->write(l->first, (uint32_t)(end - l->first), src);
		if (r) { /* drop this request's lines and all later ones, unwritten */
			for (unsigned m = i; m < n; m++)
				order[m]->dirty = 0, order[m]->bd = NULL;
			if (!sticky_error)
				sticky_error = r;
			return;
		}
		for (unsigned m = i; m < k; m++)
			order[m]->dirty = 0;
		i = k;
	}
}

/* A line for sector first, not filled: a clean one least recently used (writing the dirty
 * ones back when none is clean). */
static struct line *claim(struct blockdev *bd, uint64_t first)
{
	struct line *l = NULL;
	for (;;) {
		for (unsigned i = 0; i < LINES; i++) {
			struct line *c = &lines[i];
			if (!c->bd) {
				l = c;
				break;
			}
			if (!c->dirty && (!l || c->used < l->used))
				l = c;
		}
		if (l)
			break;
		write_back(); /* afterwards every line is clean or empty */
	}
	*l = (struct line){
	    .bd = bd, .first = first, .sectors = line_sectors(bd, first), .data = l->data};
	return l;
}

/* Fills lines from sector first on with one request: up to READ_AHEAD lines (stopping at one
 * already cached) when the miss before was near this one: the reader works through a region
 * (littlefs walking a file's skip list reads blocks around the one it wants, in both
 * directions, before it reads that one); a lone miss reads one line. */
static int fill(struct blockdev *bd, uint64_t first, struct line **out)
{
	unsigned want = 1;
	uint64_t distance = first > last_miss ? first - last_miss : last_miss - first;
	last_miss = first;
	if (distance <= READ_AHEAD * LINE_SECTORS)
		while (want < READ_AHEAD && first + want * LINE_SECTORS < bd->blocks &&
		       !find(bd, first + want * LINE_SECTORS))
			want++;
	uint64_t end = first + (uint64_t)want * LINE_SECTORS;
	if (end > bd->blocks)
		end = bd->blocks;
	unsigned free_lines = 0;
	for (unsigned i = 0; i < LINES; i++)
		free_lines += !lines[i].bd || !lines[i].dirty;
	if (free_lines < want)
		write_back(); /* now, before the read-ahead fills the bounce buffer it uses */
	if (want == 1) {
		struct line *l = claim(bd, first);
		int r = bd->read(first, l->sectors, l->data);
		if (r)
			l->bd = NULL;
		*out = l;
		return r;
	}
	int r = bd->read(first, (uint32_t)(end - first), bounce);
	if (r)
		return r;
	for (unsigned i = 0; i < want; i++) { /* none is cached (want stopped there); claim
					       * finds clean lines without writing back */
		struct line *l = claim(bd, first + (uint64_t)i * LINE_SECTORS);
		memcpy(l->data, bounce + (size_t)i * LINE_SECTORS * BLOCK_SIZE,
		       (size_t)l->sectors * BLOCK_SIZE);
		l->used = ++use_count;
		if (i == 0)
			*out = l;
	}
	return 0;
}

static int get(struct blockdev *bd, uint64_t first, struct line **out)
{
	struct line *l = find(bd, first);
	if (!l) {
		int r = fill(bd, first, &l);
		if (r)
			return r;
	}
	l->used = ++use_count;
	*out = l;
	return 0;
}

/* The sectors [lba, lba + count) and line l have in common: [*from, *to). */
static bool overlap(const struct line *l, uint64_t lba, uint32_t count, uint64_t *from,
		    uint64_t *to)
{
	uint64_t lo = lba > l->first ? lba : l->first;
	uint64_t hi = lba + count < l->first + l->sectors ? lba + count : l->first + l->sectors;
	*from = lo, *to = hi;
	return lo < hi;
}

int block_cache_read(struct blockdev *bd, uint64_t lba, uint32_t count, void *buf)
{
	if (lba > bd->blocks || count > bd->blocks - lba)
		return -EIO;
	if (cache_lock())
		return bd->read(lba, count, buf);
	int r = 0;
	uint8_t *out = buf;
	if (count >= LARGE) {
		r = bd->read(lba, count, buf);
		for (unsigned i = 0; i < LINES && r == 0; i++) { /* newer than the device */
			uint64_t from, to;
			if (lines[i].bd == bd && lines[i].dirty &&
			    overlap(&lines[i], lba, count, &from, &to))
				memcpy(out + (from - lba) * BLOCK_SIZE,
				       lines[i].data + (from - lines[i].first) * BLOCK_SIZE,
				       (size_t)(to - from) * BLOCK_SIZE);
		}
		cache_unlock();
		return r;
	}
	for (uint64_t s = lba; s < lba + count && r == 0;) {
		struct line *l;
		r = get(bd, s - s % LINE_SECTORS, &l);
		if (r == 0) {
			uint64_t from, to;
			overlap(l, s, (uint32_t)(lba + count - s), &from, &to);
			memcpy(out, l->data + (from - l->first) * BLOCK_SIZE,
			       (size_t)(to - from) * BLOCK_SIZE);
			out += (to - from) * BLOCK_SIZE;
			s = to;
		}
	}
	cache_unlock();
	return r;
}

int block_cache_write(struct blockdev *bd, uint64_t lba, uint32_t count, const void *buf)
{
	if (lba > bd->blocks || count > bd->blocks - lba)
		return -EIO;
	if (cache_lock())
		return bd->write(lba, count, buf);
	int r = sticky_error; /* a write-back failed: nothing more until a sync reported it */
	const uint8_t *in = buf;
	if (r) {
		cache_unlock();
		return r;
	}
	if (count >= LARGE) {
		write_back(); /* what was written before reaches the device before this */
		r = sticky_error ? sticky_error : bd->write(lba, count, buf);
		for (unsigned i = 0; i < LINES; i++) {
			uint64_t from, to;
			if (lines[i].bd != bd || !overlap(&lines[i], lba, count, &from, &to))
				continue;
			if (r)
				lines[i].bd = NULL;
			else
				memcpy(lines[i].data + (from - lines[i].first) * BLOCK_SIZE,
				       in + (from - lba) * BLOCK_SIZE,
				       (size_t)(to - from) * BLOCK_SIZE);
		}
		cache_unlock();
		return r;
	}
	for (uint64_t s = lba; s < lba + count && r == 0;) {
		uint64_t first = s - s % LINE_SECTORS;
		struct line *l = find(bd, first);
		uint32_t n = line_sectors(bd, first);
		if (!l && s == first && lba + count >= first + n)
			l = claim(bd, first); /* all of it is overwritten: nothing to read */
		else if (!l)
			r = get(bd, first, &l);
		if (r == 0 && sticky_error)
			r = sticky_error; /* making room failed to write back: stop here too */
		if (r == 0) {
			uint64_t from, to;
			overlap(l, s, (uint32_t)(lba + count - s), &from, &to);
			memcpy(l->data + (from - first) * BLOCK_SIZE, in,
			       (size_t)(to - from) * BLOCK_SIZE);
			l->used = ++use_count;
			l->dirty = ++write_count;
			in += (to - from) * BLOCK_SIZE;
			s = to;
		}
	}
	cache_unlock();
	return r;
}

int block_cache_sync(struct blockdev *bd)
{
	int r = 0;
	if (cache_lock() == 0) {
		write_back();
		r = sticky_error;
		sticky_error = 0;
		cache_unlock();
	}
	int f = bd->flush();
	return r ? r : f;
}
