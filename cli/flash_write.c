/* flash_write.c: writes an image to a card so that a card is either right or has no partition
 * table. Order: zero the first block (the old partition table goes first), write every mapped
 * range but the first block, syncing as it goes, read everything back from the device and
 * compare it with what was written, check the image's hashes (each range's SHA-256 against the
 * block map's chksum, or the whole image's against build.json), and only then write the first
 * block (the MBR) and read it back.
 * The SHA-256s are computed by a thread from the very buffers that are written, and may
 * finish during the read-back; the read-back compares each chunk with a 256-bit tag of the
 * buffer written there (chunk_tag), so it costs a read and no second SHA-256 (which made a
 * verified write twice as slow as dd: bench/flash.sh). Ctrl-C, an I/O error, a corrupt image or a
 * mismatch stop before the MBR and zero the first block again. Test hooks (environment, for
 * tests/cli/flash.bats only): UK_FLASH_TEST_FLIP=OFFSET             flip the byte at OFFSET on the
 * target after writing UK_FLASH_TEST_INTERRUPT_AFTER=BYTES   raise SIGINT once BYTES are written
 *   UK_FLASH_TEST_DELAY_MS=MS             sleep MS after each chunk (a slow card) */
#define _GNU_SOURCE
#include "flash.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CHUNK	   (4u << 20)
#define SYNC_EVERY (32ull << 20)
#define FIRST	   4096 /* the first block: the MBR and what follows it */

static volatile sig_atomic_t stop_signal;

static void on_signal(int s)
{
	stop_signal = s;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int flash_open(const struct target_info *t, int *direct)
{
	/* /proc/self/fd/N opens the object behind the descriptor, never a path lookup */
	char self[64];
	snprintf(self, sizeof self, "/proc/self/fd/%d", t->fd);
	int flags = O_RDWR | O_CLOEXEC | (t->is_block ? O_EXCL : 0);
	int fd = open(self, flags | O_DIRECT);
	*direct = fd >= 0;
	if (fd < 0 && errno == EINVAL) /* no O_DIRECT here (tmpfs): buffered, synced as we go */
		fd = open(self, flags);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0 ||
	    (t->is_block ? st.st_rdev != t->ident.st_rdev
			 : st.st_ino != t->ident.st_ino || st.st_dev != t->ident.st_dev)) {
		close(fd);
		return -ESTALE;
	}
	return fd;
}

struct prog {
	enum progress_mode mode;
	const char *phase;
	uint64_t total, done;
	double start, last;
	int drawn;
};

static void progress(struct prog *p, int final)
{
	double t = now();
	if (p->mode == PROGRESS_NONE ||
	    (!final && t - p->last < (p->mode == PROGRESS_TTY ? 0.2 : 0.5)))
		return;
	p->last = t;
	double el = t - p->start, rate = el > 0 ? (double)p->done / el : 0;
	double left = rate > 0 ? (double)(p->total - p->done) / rate : 0;
	if (p->mode == PROGRESS_JSONL) {
		printf("{\"phase\":\"%s\",\"done\":%llu,\"total\":%llu,\"mb_per_s\":%.1f,"
		       "\"eta_s\":%.1f}\n",
		       p->phase, (unsigned long long)p->done, (unsigned long long)p->total,
		       rate / 1e6, left);
		fflush(stdout);
		return;
	}
	int pct = p->total ? (int)(100.0 * (double)p->done / (double)p->total) : 100;
	char bar[31];
	for (int i = 0; i < 30; i++)
		bar[i] = i < pct * 30 / 100 ? '#' : '.';
	bar[30] = 0;
	fprintf(stderr, "\r\033[K%-6s [%s] %3d%%  %.1f/%.1f MiB  %.1f MB/s  %d:%02d left", p->phase,
		bar, pct, (double)p->done / (1 << 20), (double)p->total / (1 << 20), rate / 1e6,
		(int)left / 60, (int)left % 60);
	if (final)
		fputc('\n', stderr);
	p->drawn = 1;
}

static void prog_start(struct prog *p, const char *phase, uint64_t total)
{
	p->phase = phase, p->total = total, p->done = 0;
	p->start = p->last = now();
	p->last -= 1;
	progress(p, 0);
}

static int pwrite_all(int fd, const void *buf, size_t n, uint64_t off, int *direct)
{
	size_t done = 0;
	while (done < n) {
		ssize_t w = pwrite(fd, (const char *)buf + done, n - done, (off_t)(off + done));
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EINVAL && *direct) {
			/* an unaligned tail: the rest buffered */
			int fl = fcntl(fd, F_GETFL);
			if (fl >= 0 && fcntl(fd, F_SETFL, fl & ~O_DIRECT) == 0) {
				*direct = 0;
				continue;
			}
		}
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			return -1;
		}
		done += (size_t)w;
	}
	return 0;
}

static int pread_all(int fd, void *buf, size_t n, uint64_t off, int *direct)
{
	size_t done = 0;
	while (done < n) {
		ssize_t r = pread(fd, (char *)buf + done, n - done, (off_t)(off + done));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EINVAL && direct && *direct) {
			int fl = fcntl(fd, F_GETFL);
			if (fl >= 0 && fcntl(fd, F_SETFL, fl & ~O_DIRECT) == 0) {
				*direct = 0;
				continue;
			}
		}
		if (r <= 0) {
			if (r == 0)
				errno = EIO;
			return -1;
		}
		done += (size_t)r;
	}
	return 0;
}

/* So that the read-back comes from the card, not from the page cache. */
static void drop_cache(int fd, const struct target_info *t)
{
	fdatasync(fd);
	if (t->is_block)
		ioctl(fd, BLKFLSBUF, 0);
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
}

/* Leaves the card without a partition table: the first block zeroed. */
static int zero_first(int fd, int *direct)
{
	static unsigned char z[FIRST] __attribute__((aligned(4096)));
	memset(z, 0, sizeof z);
	if (pwrite_all(fd, z, sizeof z, 0, direct) < 0)
		return -1;
	return fdatasync(fd);
}

static long env_num(const char *name, long dflt)
{
	const char *s = getenv(name);
	return s && *s ? strtol(s, NULL, 0) : dflt;
}

/* The test hook: corrupt one byte on the target, as a bad card would. */
static void test_flip(int fd, int *direct)
{
	long off = env_num("UK_FLASH_TEST_FLIP", -1);
	if (off < 0)
		return;
	unsigned char *b;
	if (posix_memalign((void **)&b, 4096, 4096))
		return;
	uint64_t blk = (uint64_t)off & ~4095ull;
	if (pread_all(fd, b, 4096, blk, direct) == 0) {
		b[off - (long)blk] ^= 0xff;
		pwrite_all(fd, b, 4096, blk, direct);
		fdatasync(fd);
	}
	free(b);
}

/* Hashing beside the I/O: the writer fills one of nbuf buffers and hands it to a thread that
 * hashes it while the next ones are written (SHA-256 would otherwise add its time to the
 * write). In order: the whole stream's digest (without a map) and each checked range's
 * digest (the block map's ranges, compared with their chksum as each range ends) are the same
 * as hashing inline. Up to NBUF (16 MiB) buffers: the writer runs ahead of the hasher, which
 * finishes during the read-back. */
#define NBUF 4
struct ahash {
	struct sha256 h; /* the whole stream, when whole */
	int whole;
	const struct bmap *check; /* ranges to check, or NULL */
	size_t ci;		  /* the range being hashed */
	struct sha256 rh;	  /* its digest so far, when open */
	int open;
	size_t bad;	  /* 1 + the first range whose digest differs, or 0 */
	char bad_hex[65]; /* what that range hashed to */
	size_t nbuf;	  /* buffers in use, at most NBUF */
	unsigned char *buf[NBUF];
	size_t len[NBUF];
	uint64_t pos[NBUF]; /* where each buffer's bytes are in the image */
	int full[NBUF], stop, threaded, running;
	size_t prod, cons;
	pthread_mutex_t m;
	pthread_cond_t c;
	pthread_t th;
};

/* n bytes of the image at pos, in image order */
static void ah_hash(struct ahash *a, const unsigned char *p, size_t n, uint64_t pos)
{
	if (a->whole)
		sha256_update(&a->h, p, n);
	const struct bmap *m = a->check;
	uint64_t end = pos + n;
	while (m && a->ci < m->n && m->r[a->ci][0] < end) {
		uint64_t r0 = m->r[a->ci][0], r1 = m->r[a->ci][1];
		uint64_t s = r0 > pos ? r0 : pos, e = r1 < end ? r1 : end;
		if (!a->open)
			sha256_init(&a->rh), a->open = 1;
		if (s < e)
			sha256_update(&a->rh, p + (s - pos), (size_t)(e - s));
		if (r1 > end)
			break;
		unsigned char d[32];
		char hex[65];
		sha256_final(&a->rh, d);
		a->open = 0;
		sha256_hex(d, hex);
		if (!a->bad && strcmp(hex, m->sum[a->ci]))
			a->bad = a->ci + 1, memcpy(a->bad_hex, hex, 65);
		a->ci++;
	}
}

static void *ah_run(void *arg)
{
	struct ahash *a = arg;
	for (;;) {
		pthread_mutex_lock(&a->m);
		size_t i = a->cons % a->nbuf;
		while (!a->full[i] && !a->stop)
			pthread_cond_wait(&a->c, &a->m);
		int have = a->full[i];
		pthread_mutex_unlock(&a->m);
		if (!have)
			return NULL; /* stopped, and everything handed over is hashed */
		ah_hash(a, a->buf[i], a->len[i], a->pos[i]);
		pthread_mutex_lock(&a->m);
		a->full[i] = 0, a->cons++;
		pthread_cond_broadcast(&a->c);
		pthread_mutex_unlock(&a->m);
	}
}

static void ah_start(struct ahash *a)
{
	if (a->whole)
		sha256_init(&a->h);
	a->ci = 0, a->open = 0, a->bad = 0;
	memset(a->full, 0, sizeof a->full);
	a->stop = 0, a->prod = a->cons = 0;
	pthread_mutex_init(&a->m, NULL);
	pthread_cond_init(&a->c, NULL);
	a->threaded = pthread_create(&a->th, NULL, ah_run, a) == 0;
	a->running = 1;
}

/* The next buffer to fill: free once its previous contents are hashed. */
static unsigned char *ah_get(struct ahash *a)
{
	size_t i = a->prod % a->nbuf;
	pthread_mutex_lock(&a->m);
	while (a->full[i])
		pthread_cond_wait(&a->c, &a->m);
	pthread_mutex_unlock(&a->m);
	return a->buf[i];
}

/* Hands the buffer from ah_get (n bytes of the image at pos) to the hasher; it stays readable
 * until the next nbuf-1 gets. */
static void ah_put(struct ahash *a, size_t n, uint64_t pos)
{
	size_t i = a->prod % a->nbuf;
	if (!a->threaded) {
		ah_hash(a, a->buf[i], n, pos);
		a->prod++;
		return;
	}
	pthread_mutex_lock(&a->m);
	a->len[i] = n, a->pos[i] = pos, a->full[i] = 1, a->prod++;
	pthread_cond_broadcast(&a->c);
	pthread_mutex_unlock(&a->m);
}

/* Waits for the hasher; the whole stream's digest in hex when hex is not NULL. */
static void ah_end(struct ahash *a, char *hex)
{
	if (!a->running)
		return;
	a->running = 0;
	if (a->threaded) {
		pthread_mutex_lock(&a->m);
		a->stop = 1;
		pthread_cond_broadcast(&a->c);
		pthread_mutex_unlock(&a->m);
		pthread_join(a->th, NULL);
	}
	pthread_mutex_destroy(&a->m);
	pthread_cond_destroy(&a->c);
	unsigned char d[32];
	if (a->open) /* stopped inside a range */
		sha256_final(&a->rh, d), a->open = 0;
	if (a->whole) {
		sha256_final(&a->h, d);
		if (hex)
			sha256_hex(d, hex);
	}
}

/* A 256-bit tag of a chunk, to tell whether the card gave back the bytes written there. Not a
 * cryptographic hash (the image's SHA-256 is that): the card is not an adversary. Each of eight
 * lanes takes every eighth 64-bit word through a bijection (xor, multiply by an odd constant,
 * xorshift), and lanes j and j+4 are folded by one more, so a difference in one word of a lane
 * always changes the tag. Eight independent lanes keep the multiplier busy: ~10 GB/s here. */
struct tag {
	uint64_t v[4];
};

static inline uint64_t tag_mix(uint64_t a, uint64_t w)
{
	uint64_t x = (a ^ w) * 0x9e3779b97f4a7c15ull; /* odd: multiplying by it is a bijection */
	return x ^ (x >> 29);
}

static struct tag chunk_tag(const unsigned char *p, size_t n)
{
	uint64_t a[8] = {n, 1, 2, 3, 4, 5, 6, 7};
	struct tag t;
	size_t i = 0;
	for (; i + 64 <= n; i += 64)
		for (int j = 0; j < 8; j++) {
			uint64_t w;
			memcpy(&w, p + i + 8 * j, 8);
			a[j] = tag_mix(a[j], w);
		}
	for (; i < n; i++)
		a[0] = tag_mix(a[0], p[i]);
	for (int j = 0; j < 4; j++)
		t.v[j] = tag_mix(a[j], a[j + 4]);
	return t;
}

int flash_write(int fd, const struct target_info *t, const struct flash_opts *o,
		struct flash_result *res)
{
	memset(res, 0, sizeof *res);
	res->verify_ok = -1;
	double t0 = now();
	int direct = (fcntl(fd, F_GETFL) & O_DIRECT) != 0;
	int in = open(o->image, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (in < 0 || fstat(in, &st) < 0) {
		res->error = xasprintf("cannot read %s: %s", o->image, strerror(errno));
		if (in >= 0)
			close(in);
		return EXIT_CORRUPT;
	}
	uint64_t size = (uint64_t)st.st_size;
	uint64_t one[1][2] = {{0, size}};
	const uint64_t(*r)[2] = one;
	size_t nr = 1;
	uint64_t total = size;
	const struct bmap *m = o->map ? o->map : o->check;
	if (m && m->image_size != size) {
		res->error = xasprintf("the block map is for a %llu-byte image, but %s has %llu "
				       "bytes: a stale or foreign map",
				       (unsigned long long)m->image_size, o->image,
				       (unsigned long long)size);
		close(in);
		return EXIT_CORRUPT;
	}
	if (o->map)
		r = (const uint64_t(*)[2])o->map->r, nr = o->map->n, total = o->map->mapped;
	if (size < FIRST) {
		res->error = xasprintf("%s (%llu bytes) is too small to be an SD card image",
				       o->image, (unsigned long long)size);
		close(in);
		return EXIT_CORRUPT;
	}
	size_t nchunks = 0, k = 0;
	for (size_t i = 0; i < nr; i++)
		nchunks += (size_t)((r[i][1] - r[i][0] + CHUNK - 1) / CHUNK);
	unsigned char *first, *rbuf;
	struct ahash ah = {.nbuf = nchunks < 2	    ? 2
				   : nchunks < NBUF ? nchunks
						    : NBUF,
			   .whole = !o->map,
			   .check = m};
	for (size_t b = 0; b < ah.nbuf; b++)
		if (posix_memalign((void **)&ah.buf[b], 4096, CHUNK))
			exit(EXIT_FAIL);
	struct tag *tags = o->verify ? xmalloc((nchunks ? nchunks : 1) * sizeof *tags) : NULL;
	if (posix_memalign((void **)&first, 4096, FIRST) ||
	    posix_memalign((void **)&rbuf, 4096, CHUNK))
		exit(EXIT_FAIL);
	struct sigaction sa = {.sa_handler = on_signal}, o_int, o_term, o_hup;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &o_int);
	sigaction(SIGTERM, &sa, &o_term);
	sigaction(SIGHUP, &sa, &o_hup);
	stop_signal = 0;
	long intr_after = env_num("UK_FLASH_TEST_INTERRUPT_AFTER", -1);
	long delay_ms = env_num("UK_FLASH_TEST_DELAY_MS", 0);
	struct prog p = {.mode = o->progress};
	int rc = 0;
	uint64_t pos = 0;
	char hex[65];

	if (!t->is_block && ftruncate(fd, (off_t)size) < 0)
		goto io;
	if (zero_first(fd, &direct) < 0 || pread_all(in, first, FIRST, 0, NULL) < 0)
		goto io;

	/* write */
	ah_start(&ah);
	prog_start(&p, "write", total);
	uint64_t since_sync = 0;
	for (size_t i = 0; i < nr && !stop_signal; i++)
		for (pos = r[i][0]; pos < r[i][1] && !stop_signal;) {
			size_t n = r[i][1] - pos < CHUNK ? (size_t)(r[i][1] - pos) : CHUNK;
			unsigned char *buf = ah_get(&ah);
			if (pread_all(in, buf, n, pos, NULL) < 0) {
				res->error = xasprintf("reading %s at %llu: %s", o->image,
						       (unsigned long long)pos, strerror(errno));
				rc = EXIT_CORRUPT;
				goto fail;
			}
			if (tags) /* what the read-back must find (the first block: `first`) */
				tags[k++] = chunk_tag(buf, n);
			ah_put(&ah, n, pos); /* hashed while written, and during the read-back */
			size_t skip = pos == 0 ? (n < FIRST ? n : FIRST) : 0;
			if (n > skip &&
			    pwrite_all(fd, buf + skip, n - skip, pos + skip, &direct) < 0)
				goto io;
			pos += n, p.done += n, res->written += n, since_sync += n;
			if (since_sync >= SYNC_EVERY) {
				if (fdatasync(fd) < 0)
					goto io;
				since_sync = 0;
			}
			if (intr_after >= 0 && res->written >= (uint64_t)intr_after) {
				intr_after = -1;
				raise(SIGINT);
			}
			if (delay_ms > 0) {
				struct timespec ts = {delay_ms / 1000, (delay_ms % 1000) * 1000000};
				nanosleep(&ts, NULL);
			}
			progress(&p, 0);
		}
	if (stop_signal)
		goto intr;
	if (fdatasync(fd) < 0)
		goto io;
	progress(&p, 1);
	test_flip(fd, &direct);

	/* verify: every written byte, from the card, against the tag of what was written there */
	if (o->verify) {
		drop_cache(fd, t);
		prog_start(&p, "verify", total);
		k = 0;
		for (size_t i = 0; i < nr && !stop_signal; i++)
			for (pos = r[i][0]; pos < r[i][1] && !stop_signal;) {
				size_t n = r[i][1] - pos < CHUNK ? (size_t)(r[i][1] - pos) : CHUNK;
				if (pread_all(fd, rbuf, n, pos, &direct) < 0)
					goto io;
				if (pos == 0) /* the MBR is not on the card yet: checked below */
					memcpy(rbuf, first, n < FIRST ? n : FIRST);
				struct tag g = chunk_tag(rbuf, n);
				if (memcmp(&g, &tags[k++], sizeof g)) {
					res->verify_ok = 0;
					res->error = xasprintf(
					    "the card does not hold what was written (the %llu "
					    "bytes at "
					    "offset %llu read back differently): a failing card or "
					    "reader",
					    (unsigned long long)n, (unsigned long long)pos);
					rc = EXIT_VERIFY;
					goto fail;
				}
				pos += n, p.done += n, res->verified += n;
				progress(&p, 0);
			}
		if (stop_signal)
			goto intr;
		progress(&p, 1);
	}

	/* the image's hashes, from the buffers that were written: the whole image's (without a
	 * map) against the recorded one, each range's against the block map */
	ah_end(&ah, hex);
	if (!o->map && o->expect_sha256 && *o->expect_sha256 && strcmp(o->expect_sha256, hex)) {
		res->error =
		    xasprintf("%s does not match its recorded hash (sha256 %s, recorded "
			      "%s): the image is corrupt or was changed after it was built",
			      o->image, hex, o->expect_sha256);
		rc = EXIT_CORRUPT;
		goto fail;
	}
	if (m && (ah.bad || ah.ci != m->n)) {
		size_t i = ah.bad ? ah.bad - 1 : ah.ci;
		uint64_t b0 = m->r[i][0] / BMAP_BLOCK, b1 = (m->r[i][1] - 1) / BMAP_BLOCK;
		res->error = xasprintf("%s does not match its block map (blocks %llu-%llu: sha256 "
				       "%s, the map has %s): the image is corrupt or was changed "
				       "after its map was written",
				       o->image, (unsigned long long)b0, (unsigned long long)b1,
				       ah.bad ? ah.bad_hex : "not read", m->sum[i]);
		rc = EXIT_CORRUPT;
		goto fail;
	}
	if (!o->map)
		snprintf(res->image_sha256, 65, "%s", hex);
	else if (o->map->image_sha256[0])
		snprintf(res->image_sha256, 65, "%s", o->map->image_sha256);
	else if (o->expect_sha256)
		snprintf(res->image_sha256, 65, "%s", o->expect_sha256);

	/* last: the partition table */
	if (pwrite_all(fd, first, FIRST, 0, &direct) < 0 || fdatasync(fd) < 0)
		goto io;
	if (o->verify) {
		drop_cache(fd, t);
		if (pread_all(fd, rbuf, FIRST, 0, &direct) < 0)
			goto io;
		if (memcmp(rbuf, first, FIRST)) {
			res->verify_ok = 0;
			res->error =
			    xasprintf("the first block read back differs from the image's");
			rc = EXIT_VERIFY;
			goto fail;
		}
		res->verify_ok = 1;
	}
	goto done;
intr:
	if (p.drawn)
		fputc('\n', stderr);
	rc = EXIT_INTR;
	res->error = xasprintf("interrupted (%s)", strsignal(stop_signal));
	goto fail;
io:
	if (p.drawn)
		fputc('\n', stderr);
	res->error =
	    xasprintf("writing %s at %llu: %s", t->path, (unsigned long long)pos, strerror(errno));
	rc = EXIT_WRITE;
fail:
	ah_end(&ah, NULL);
	if (zero_first(fd, &direct) < 0) {
		char *e = xasprintf("%s; zeroing its first block failed too (%s): do not boot this "
				    "card, flash it again",
				    res->error, strerror(errno));
		free(res->error);
		res->error = e;
	} else {
		char *e = xasprintf("%s; %s now holds no partition table (its first block is "
				    "zeroed): flash it again",
				    res->error, t->path);
		free(res->error);
		res->error = e;
	}
done:
	sigaction(SIGINT, &o_int, NULL);
	sigaction(SIGTERM, &o_term, NULL);
	sigaction(SIGHUP, &o_hup, NULL);
	res->direct = direct;
	res->seconds = now() - t0;
	ah_end(&ah, NULL);
	for (size_t b = 0; b < ah.nbuf; b++)
		free(ah.buf[b]);
	free(tags);
	free(rbuf);
	free(first);
	close(in);
	return rc;
}
