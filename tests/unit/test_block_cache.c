/*
 * Host tests for the card's block cache (runtime/fs/block_cache.c, #included so its state can be
 * reset between cases) over a RAM disk model that logs every request and fails the ones it is
 * told to. What the file systems rely on: reads always see the newest data, nothing reaches the
 * device before a sync or a need for room, then it does in the order it was last written (a cut
 * never leaves a commit without its data), a failed write-back is reported by the next sync, and
 * the requests are few and large.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "vfs.h"

/* uk_sem_*: fake_lock.c (one thread: a wait that would block aborts) */

#include "../../runtime/fs/block_cache.c"

/* ---- the disk model ---- */
#define DISK_SECTORS 4100u /* not a multiple of a line: the last line is short */
struct request {
	char op; /* 'r', 'w', 'f' */
	uint64_t lba;
	uint32_t count;
};
static uint8_t disk[DISK_SECTORS * BLOCK_SIZE];
static struct request log_[4096];
static unsigned n_log;
static uint64_t fail_write_at = UINT64_MAX, fail_read_at = UINT64_MAX; /* a sector */

static int model_read(uint64_t lba, uint32_t count, void *buf)
{
	log_[n_log++ % 4096] = (struct request){'r', lba, count};
	if (lba + count > DISK_SECTORS)
		abort(); /* the cache asked past the end */
	if (fail_read_at >= lba && fail_read_at < lba + count)
		return -EIO;
	memcpy(buf, disk + lba * BLOCK_SIZE, (size_t)count * BLOCK_SIZE);
	return 0;
}
static int model_write(uint64_t lba, uint32_t count, const void *buf)
{
	log_[n_log++ % 4096] = (struct request){'w', lba, count};
	if (lba + count > DISK_SECTORS)
		abort();
	if (fail_write_at >= lba && fail_write_at < lba + count)
		return -EIO;
	memcpy(disk + lba * BLOCK_SIZE, buf, (size_t)count * BLOCK_SIZE);
	return 0;
}
static int model_flush(void)
{
	log_[n_log++ % 4096] = (struct request){'f', 0, 0};
	return 0;
}
static struct blockdev bd = {.name = "model",
			     .blocks = DISK_SECTORS,
			     .read = model_read,
			     .write = model_write,
			     .flush = model_flush};

/* Each case starts with an empty cache and a disk whose sector s holds bytes of value s. */
static void reset(void)
{
	free(lines[0].data); /* one block: the lines, then the bounce buffer */
	bounce = NULL;
	memset(lines, 0, sizeof lines);
	use_count = write_count = 0;
	sticky_error = 0;
	last_miss = UINT64_MAX / 2;
	for (unsigned s = 0; s < DISK_SECTORS; s++)
		memset(disk + (size_t)s * BLOCK_SIZE, (int)(s & 0xff), BLOCK_SIZE);
	n_log = 0;
	fail_write_at = fail_read_at = UINT64_MAX;
}

static bool sector_is(const uint8_t *p, uint8_t v)
{
	for (unsigned i = 0; i < BLOCK_SIZE; i++)
		if (p[i] != v)
			return false;
	return true;
}

static unsigned count_ops(char op)
{
	unsigned n = 0;
	for (unsigned i = 0; i < n_log; i++)
		n += log_[i].op == op;
	return n;
}

static uint8_t buf[300 * BLOCK_SIZE], pattern[300 * BLOCK_SIZE];

int main(void)
{
	/* hits: one request for a line, none for the same line again */
	reset();
	int r1 = block_cache_read(&bd, 17, 1, buf);
	bool v1 = sector_is(buf, 17);
	int r2 = block_cache_read(&bd, 18, 2, buf);
	CHECK(r1 == 0 && r2 == 0 && v1 && sector_is(buf, 18) && sector_is(buf + BLOCK_SIZE, 19),
	      "small reads return the disk's bytes");
	CHECK(n_log == 1 && log_[0].op == 'r' && log_[0].lba == 16 && log_[0].count == 8,
	      "the first read fills its 4 KiB line, the second is a hit (%u requests)", n_log);

	/* read-ahead: a miss near the last miss reads READ_AHEAD lines at once */
	reset();
	for (unsigned s = 1000; s < 1000 + 64 * 8; s += 8)
		block_cache_read(&bd, s, 1, buf);
	CHECK(n_log <= 4, "a sequential reader of 64 lines costs %u requests (<= 4)", n_log);
	CHECK(n_log >= 2 && log_[1].count == READ_AHEAD * LINE_SECTORS,
	      "the second miss reads ahead %u sectors", n_log >= 2 ? log_[1].count : 0);
	block_cache_read(&bd, 3000, 1, buf);
	CHECK(log_[n_log - 1].count == LINE_SECTORS, "a lone miss far away reads one line");

	/* a large read goes to the device and sees dirty lines over it */
	reset();
	memset(pattern, 0xab, BLOCK_SIZE);
	block_cache_write(&bd, 205, 1, pattern);
	unsigned before = n_log;
	int r = block_cache_read(&bd, 100, 280, buf);
	CHECK(r == 0 && n_log == before + 1 && log_[before].count == 280,
	      "a read of 280 sectors is one device request");
	CHECK(sector_is(buf + 105 * BLOCK_SIZE, 0xab) && sector_is(buf + 104 * BLOCK_SIZE, 204) &&
		  sector_is(buf + 106 * BLOCK_SIZE, 206),
	      "...with the unsynced write at sector 205 in it");

	/* write-back: nothing on the device before a sync, then all of it and a flush */
	reset();
	for (unsigned i = 0; i < 40; i++)
		memset(pattern + i * BLOCK_SIZE, 0x80 + (int)i, BLOCK_SIZE);
	r = block_cache_write(&bd, 64, 40, pattern); /* 5 whole lines: nothing to read first */
	CHECK(r == 0 && count_ops('w') == 0 && count_ops('r') == 0,
	      "a write of whole lines neither reads nor writes the device before a sync");
	block_cache_read(&bd, 70, 1, buf);
	CHECK(sector_is(buf, 0x86) && sector_is(disk + 70 * BLOCK_SIZE, 70),
	      "a read before the sync sees the new data; the disk still has the old");
	r = block_cache_sync(&bd);
	CHECK(r == 0 && count_ops('w') == 1 && log_[n_log - 2].lba == 64 &&
		  log_[n_log - 2].count == 40 && log_[n_log - 1].op == 'f',
	      "the sync writes the 5 neighbouring lines as one request, then flushes");
	CHECK(memcmp(disk + 64 * BLOCK_SIZE, pattern, 40 * BLOCK_SIZE) == 0,
	      "the disk holds what was written");

	/* a partial write of a line not cached reads it first, and keeps the rest */
	reset();
	memset(pattern, 0x11, BLOCK_SIZE);
	block_cache_write(&bd, 2003, 1, pattern);
	block_cache_sync(&bd);
	CHECK(sector_is(disk + 2003 * BLOCK_SIZE, 0x11) &&
		  sector_is(disk + 2002 * BLOCK_SIZE, 2002 & 0xff) &&
		  sector_is(disk + 2004 * BLOCK_SIZE, 2004 & 0xff),
	      "writing one sector of a line keeps its other seven");

	/* order: data lines, then a commit line, then the data again: the commit goes last */
	reset();
	memset(pattern, 0x22, 8 * BLOCK_SIZE);
	block_cache_write(&bd, 800, 8, pattern); /* "commit" A */
	block_cache_write(&bd, 16, 8, pattern);	 /* data */
	block_cache_write(&bd, 24, 8, pattern);	 /* data */
	block_cache_write(&bd, 801, 1, pattern); /* commit B, same line as A */
	block_cache_sync(&bd);
	CHECK(n_log == 3 && log_[0].op == 'w' && log_[0].lba == 16 && log_[0].count == 16 &&
		  log_[1].lba == 800 && log_[2].op == 'f',
	      "write-back follows the last write: the data (one merged request), then the commit");

	/* lines written out of disk order are written in time order, not merged backwards */
	reset();
	block_cache_write(&bd, 24, 8, pattern);
	block_cache_write(&bd, 16, 8, pattern);
	block_cache_sync(&bd);
	CHECK(n_log == 3 && log_[0].lba == 24 && log_[1].lba == 16,
	      "a line written before its left neighbour is written before it");

	/* more dirty lines than the cache holds: written back when room is needed, in order */
	reset();
	for (unsigned l = 0; l < LINES + 10; l++) {
		memset(pattern, (int)(l + 1), 8 * BLOCK_SIZE);
		block_cache_write(&bd, 8 + (uint64_t)l * 8, 8, pattern);
	}
	CHECK(count_ops('w') > 0 && count_ops('f') == 0,
	      "a full cache writes back without waiting for a sync (%u writes)", count_ops('w'));
	bool ordered = true;
	for (unsigned i = 1; i < n_log; i++)
		if (log_[i].op == 'w' && log_[i - 1].op == 'w' && log_[i].lba < log_[i - 1].lba)
			ordered = false;
	block_cache_sync(&bd);
	bool all = true;
	for (unsigned l = 0; l < LINES + 10; l++)
		all = all && sector_is(disk + (8 + (size_t)l * 8) * BLOCK_SIZE, (uint8_t)(l + 1));
	CHECK(ordered && all, "every line reaches the disk, in the order written");
	unsigned largest = 0;
	for (unsigned i = 0; i < n_log; i++)
		if (log_[i].op == 'w' && log_[i].count > largest)
			largest = log_[i].count;
	CHECK(largest == LARGE, "write-back merges up to %u sectors per request (%u)", LARGE,
	      largest);

	/* read-ahead while every line is dirty gets the right bytes (it used to share the buffer
	 * the write-back merges in) */
	reset();
	block_cache_read(&bd, 992, 8, buf); /* a reader starts; then every line becomes dirty */
	for (unsigned l = 0; l < LINES; l++) {
		memset(pattern, 0xee, 8 * BLOCK_SIZE);
		block_cache_write(&bd, 2400 + (uint64_t)l * 8, 8, pattern);
	}
	bool right = true;
	for (unsigned s = 1000; s < 1000 + 48 * 8; s += 8) {
		block_cache_read(&bd, s, 8, buf);
		for (unsigned k = 0; k < 8; k++)
			right = right && sector_is(buf + k * BLOCK_SIZE, (uint8_t)((s + k) & 0xff));
	}
	CHECK(right, "sequential reads with a cache full of dirty lines return the disk's bytes");
	block_cache_sync(&bd);
	CHECK(sector_is(disk + (2400 + 8 * (LINES - 1)) * BLOCK_SIZE, 0xee),
	      "...and the dirty lines still reach the disk");

	/* a failed write-back: the next sync says so, once; the line is not kept */
	reset();
	memset(pattern, 0x33, 8 * BLOCK_SIZE);
	block_cache_write(&bd, 512, 8, pattern);
	fail_write_at = 515;
	r1 = block_cache_sync(&bd);
	fail_write_at = UINT64_MAX;
	r2 = block_cache_sync(&bd);
	block_cache_read(&bd, 512, 1, buf);
	CHECK(r1 == -EIO && r2 == 0, "a failed write-back makes the sync fail (%d), once (%d)", r1,
	      r2);
	CHECK(sector_is(buf, 0), "...and a later read gets what the disk holds (sector 512: 0)");

	/* a failed write-back stops there: what was written after the failed lines (a commit that
	 * points at them) never reaches the disk, and writes are refused until a sync reports it */
	reset();
	memset(pattern, 0x44, 8 * BLOCK_SIZE);
	block_cache_write(&bd, 1000, 8, pattern); /* data */
	block_cache_write(&bd, 40, 8, pattern);	  /* the commit, written after it */
	fail_write_at = 1003;
	r1 = block_cache_sync(&bd);
	fail_write_at = UINT64_MAX;
	CHECK(r1 == -EIO && count_ops('w') == 1 && sector_is(disk + 40 * BLOCK_SIZE, 40),
	      "the data's write-back failed: the commit after it was not written");
	reset();
	fail_write_at = 1003;
	block_cache_write(&bd, 1000, 8, pattern);
	for (unsigned l = 0; l < LINES - 1; l++) /* the cache full of dirty lines */
		block_cache_write(&bd, 2400 + (uint64_t)l * 8, 8, pattern);
	r1 = block_cache_write(&bd, 40, 8, pattern); /* making room: its write-back fails */
	fail_write_at = UINT64_MAX;
	r2 = block_cache_write(&bd, 48, 8, pattern);
	int r3 = block_cache_sync(&bd);
	int r4 = block_cache_write(&bd, 48, 8, pattern);
	CHECK(r1 == -EIO && r2 == -EIO && r3 == -EIO && r4 == 0 &&
		  sector_is(disk + 40 * BLOCK_SIZE, 40) && sector_is(disk + 48 * BLOCK_SIZE, 48),
	      "a write-back failing while making room: that write and the next are refused, the "
	      "sync says so, then writes go again");

	/* a failed read caches nothing and is retried */
	reset();
	fail_read_at = 42;
	r1 = block_cache_read(&bd, 41, 1, buf);
	fail_read_at = UINT64_MAX;
	r2 = block_cache_read(&bd, 41, 1, buf);
	CHECK(r1 == -EIO && r2 == 0 && sector_is(buf, 41) && count_ops('r') == 2,
	      "a failed fill returns -EIO and the next read asks the device again");

	/* the end of the disk: a short last line; out of range is refused before any request */
	reset();
	r1 = block_cache_read(&bd, DISK_SECTORS - 1, 1, buf);
	CHECK(r1 == 0 && sector_is(buf, (DISK_SECTORS - 1) & 0xff) &&
		  log_[0].count == DISK_SECTORS % LINE_SECTORS,
	      "the last line is as short as the disk (%u sectors)", log_[0].count);
	n_log = 0;
	r1 = block_cache_read(&bd, DISK_SECTORS, 1, buf);
	r2 = block_cache_write(&bd, DISK_SECTORS - 1, 2, buf);
	CHECK(r1 == -EIO && r2 == -EIO && n_log == 0, "requests past the end fail with no request");
	return TAP_DONE();
}
