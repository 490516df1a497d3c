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

/* one write of an image to a card, shared by its phases */
struct job {
	int fd, in, direct;
	const struct target_info *t;
	const struct flash_opts *o;
	struct flash_result *res;
	const struct bmap *m;	/* the map the image is checked against: o->map, else o->check */
	uint64_t one[1][2];	/* without a map: the whole image, one range */
	const uint64_t (*r)[2]; /* the ranges written: the map's, or `one` */
	size_t nr, nchunks;
	uint64_t size, total, pos;
	struct ahash ah;
	struct tag *tags; /* with verify: each chunk's tag, as written */
	unsigned char *first, *rbuf;
	struct prog p;
	long intr_after, delay_ms;
	struct sigaction o_int, o_term, o_hup;
};

/* what a phase returns besides 0 and an exit code with res->error set */
#define STOP_IO	  (-1) /* an I/O error on the card (errno says which) */
#define STOP_INTR (-2) /* a signal: stop_signal */

/* the image, and the block map checked against it */
static int open_image(struct job *j)
{
	const struct flash_opts *o = j->o;
	j->in = open(o->image, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (j->in < 0 || fstat(j->in, &st) < 0) {
		j->res->error = xasprintf("cannot read %s: %s", o->image, strerror(errno));
		if (j->in >= 0)
			close(j->in);
		return EXIT_CORRUPT;
	}
	j->size = (uint64_t)st.st_size;
	j->one[0][0] = 0, j->one[0][1] = j->size;
	j->r = j->one, j->nr = 1, j->total = j->size;
	j->m = o->map ? o->map : o->check;
	if (j->m && j->m->image_size != j->size) {
		j->res->error = xasprintf("the block map is for a %llu-byte image, but %s has %llu "
					  "bytes: a stale or foreign map",
					  (unsigned long long)j->m->image_size, o->image,
					  (unsigned long long)j->size);
		close(j->in);
		return EXIT_CORRUPT;
	}
	if (o->map)
		j->r = (const uint64_t(*)[2])o->map->r, j->nr = o->map->n,
		j->total = o->map->mapped;
	if (j->size < FIRST) {
		j->res->error = xasprintf("%s (%llu bytes) is too small to be an SD card image",
					  o->image, (unsigned long long)j->size);
		close(j->in);
		return EXIT_CORRUPT;
	}
	return 0;
}

/* the buffers, the signals caught, and the test hooks read */
static void setup(struct job *j)
{
	for (size_t i = 0; i < j->nr; i++)
		j->nchunks += (size_t)((j->r[i][1] - j->r[i][0] + CHUNK - 1) / CHUNK);
	size_t nchunks = j->nchunks;
	j->ah = (struct ahash){.nbuf = nchunks < 2	? 2
				       : nchunks < NBUF ? nchunks
							: NBUF,
			       .whole = !j->o->map,
			       .check = j->m};
	for (size_t b = 0; b < j->ah.nbuf; b++)
		if (posix_memalign((void **)&j->ah.buf[b], 4096, CHUNK))
			exit(EXIT_FAIL);
	j->tags = j->o->verify ? xmalloc((nchunks ? nchunks : 1) * sizeof *j->tags) : NULL;
	if (posix_memalign((void **)&j->first, 4096, FIRST) ||
	    posix_memalign((void **)&j->rbuf, 4096, CHUNK))
		exit(EXIT_FAIL);
	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &j->o_int);
	sigaction(SIGTERM, &sa, &j->o_term);
	sigaction(SIGHUP, &sa, &j->o_hup);
	stop_signal = 0;
	j->intr_after = env_num("UK_FLASH_TEST_INTERRUPT_AFTER", -1);
	j->delay_ms = env_num("UK_FLASH_TEST_DELAY_MS", 0);
	j->p = (struct prog){.mode = j->o->progress};
}

/* first: the card's old partition table goes, and the image's first block is kept aside */
static int clear_first(struct job *j)
{
	if (!j->t->is_block && ftruncate(j->fd, (off_t)j->size) < 0)
		return STOP_IO;
	if (zero_first(j->fd, &j->direct) < 0 || pread_all(j->in, j->first, FIRST, 0, NULL) < 0)
		return STOP_IO;
	return 0;
}

/* write: every range but the first block, hashed while written, synced as it goes */
static int write_ranges(struct job *j)
{
	struct flash_result *res = j->res;
	size_t k = 0;
	ah_start(&j->ah);
	prog_start(&j->p, "write", j->total);
	uint64_t since_sync = 0;
	for (size_t i = 0; i < j->nr && !stop_signal; i++)
		for (j->pos = j->r[i][0]; j->pos < j->r[i][1] && !stop_signal;) {
			uint64_t pos = j->pos;
			size_t n = j->r[i][1] - pos < CHUNK ? (size_t)(j->r[i][1] - pos) : CHUNK;
			unsigned char *buf = ah_get(&j->ah);
			if (pread_all(j->in, buf, n, pos, NULL) < 0) {
				res->error = xasprintf("reading %s at %llu: %s", j->o->image,
						       (unsigned long long)pos, strerror(errno));
				return EXIT_CORRUPT;
			}
			if (j->tags) /* what the read-back must find (the first block: `first`) */
				j->tags[k++] = chunk_tag(buf, n);
			ah_put(&j->ah, n, pos); /* hashed while written, and during the read-back */
			size_t skip = pos == 0 ? (n < FIRST ? n : FIRST) : 0;
			if (n > skip &&
			    pwrite_all(j->fd, buf + skip, n - skip, pos + skip, &j->direct) < 0)
				return STOP_IO;
			j->pos += n, j->p.done += n, res->written += n, since_sync += n;
			if (since_sync >= SYNC_EVERY) {
				if (fdatasync(j->fd) < 0)
					return STOP_IO;
				since_sync = 0;
			}
			if (j->intr_after >= 0 && res->written >= (uint64_t)j->intr_after) {
				j->intr_after = -1;
				raise(SIGINT);
			}
			if (j->delay_ms > 0) {
				struct timespec ts = {j->delay_ms / 1000,
						      (j->delay_ms % 1000) * 1000000};
				nanosleep(&ts, NULL);
			}
			progress(&j->p, 0);
		}
	if (stop_signal)
		return STOP_INTR;
	if (fdatasync(j->fd) < 0)
		return STOP_IO;
	progress(&j->p, 1);
	test_flip(j->fd, &j->direct);
	return 0;
}

/* verify: every written byte, from the card, against the tag of what was written there */
static int verify_ranges(struct job *j)
{
	struct flash_result *res = j->res;
	size_t k = 0;
	drop_cache(j->fd, j->t);
	prog_start(&j->p, "verify", j->total);
	for (size_t i = 0; i < j->nr && !stop_signal; i++)
		for (j->pos = j->r[i][0]; j->pos < j->r[i][1] && !stop_signal;) {
			uint64_t pos = j->pos;
			size_t n = j->r[i][1] - pos < CHUNK ? (size_t)(j->r[i][1] - pos) : CHUNK;
			if (pread_all(j->fd, j->rbuf, n, pos, &j->direct) < 0)
				return STOP_IO;
			if (pos == 0) /* the MBR is not on the card yet: checked below */
				memcpy(j->rbuf, j->first, n < FIRST ? n : FIRST);
			struct tag g = chunk_tag(j->rbuf, n);
			if (memcmp(&g, &j->tags[k++], sizeof g)) {
				res->verify_ok = 0;
				res->error = xasprintf(
				    "the card does not hold what was written (the %llu "
				    "bytes at "
				    "offset %llu read back differently): a failing card or "
				    "reader",
				    (unsigned long long)n, (unsigned long long)pos);
				return EXIT_VERIFY;
			}
			j->pos += n, j->p.done += n, res->verified += n;
			progress(&j->p, 0);
		}
	if (stop_signal)
		return STOP_INTR;
	progress(&j->p, 1);
	return 0;
}

/* the image's hashes, from the buffers that were written: the whole image's (without a map)
 * against the recorded one, each range's against the block map */
static int check_hashes(struct job *j)
{
	const struct flash_opts *o = j->o;
	const struct bmap *m = j->m;
	struct flash_result *res = j->res;
	char hex[65];
	ah_end(&j->ah, hex);
	if (!o->map && o->expect_sha256 && *o->expect_sha256 && strcmp(o->expect_sha256, hex)) {
		res->error =
		    xasprintf("%s does not match its recorded hash (sha256 %s, recorded "
			      "%s): the image is corrupt or was changed after it was built",
			      o->image, hex, o->expect_sha256);
		return EXIT_CORRUPT;
	}
	if (m && (j->ah.bad || j->ah.ci != m->n)) {
		size_t i = j->ah.bad ? j->ah.bad - 1 : j->ah.ci;
		uint64_t b0 = m->r[i][0] / BMAP_BLOCK, b1 = (m->r[i][1] - 1) / BMAP_BLOCK;
		res->error = xasprintf("%s does not match its block map (blocks %llu-%llu: sha256 "
				       "%s, the map has %s): the image is corrupt or was changed "
				       "after its map was written",
				       o->image, (unsigned long long)b0, (unsigned long long)b1,
				       j->ah.bad ? j->ah.bad_hex : "not read", m->sum[i]);
		return EXIT_CORRUPT;
	}
	if (!o->map)
		snprintf(res->image_sha256, 65, "%s", hex);
	else if (o->map->image_sha256[0])
		snprintf(res->image_sha256, 65, "%s", o->map->image_sha256);
	else if (o->expect_sha256)
		snprintf(res->image_sha256, 65, "%s", o->expect_sha256);
	return 0;
}

/* last: the partition table */
static int write_first(struct job *j)
{
	if (pwrite_all(j->fd, j->first, FIRST, 0, &j->direct) < 0 || fdatasync(j->fd) < 0)
		return STOP_IO;
	if (j->o->verify) {
		drop_cache(j->fd, j->t);
		if (pread_all(j->fd, j->rbuf, FIRST, 0, &j->direct) < 0)
			return STOP_IO;
		if (memcmp(j->rbuf, j->first, FIRST)) {
			j->res->verify_ok = 0;
			j->res->error =
			    xasprintf("the first block read back differs from the image's");
			return EXIT_VERIFY;
		}
		j->res->verify_ok = 1;
	}
	return 0;
}

/* a phase stopped: says why, and zeroes the first block again. Returns the exit code. */
static int undo(struct job *j, int rc)
{
	struct flash_result *res = j->res;
	if (rc == STOP_INTR) {
		if (j->p.drawn)
			fputc('\n', stderr);
		rc = EXIT_INTR;
		res->error = xasprintf("interrupted (%s)", strsignal(stop_signal));
	} else if (rc == STOP_IO) {
		if (j->p.drawn)
			fputc('\n', stderr);
		res->error = xasprintf("writing %s at %llu: %s", j->t->path,
				       (unsigned long long)j->pos, strerror(errno));
		rc = EXIT_WRITE;
	}
	ah_end(&j->ah, NULL);
	if (zero_first(j->fd, &j->direct) < 0) {
		char *e = xasprintf("%s; zeroing its first block failed too (%s): do not boot this "
				    "card, flash it again",
				    res->error, strerror(errno));
		free(res->error);
		res->error = e;
	} else {
		char *e = xasprintf("%s; %s now holds no partition table (its first block is "
				    "zeroed): flash it again",
				    res->error, j->t->path);
		free(res->error);
		res->error = e;
	}
	return rc;
}

int flash_write(int fd, const struct target_info *t, const struct flash_opts *o,
		struct flash_result *res)
{
	memset(res, 0, sizeof *res);
	res->verify_ok = -1;
	double t0 = now();
	struct job j = {.fd = fd, .t = t, .o = o, .res = res};
	j.direct = (fcntl(fd, F_GETFL) & O_DIRECT) != 0;
	int rc = open_image(&j);
	if (rc)
		return rc;
	setup(&j);
	rc = clear_first(&j);
	if (!rc)
		rc = write_ranges(&j);
	if (!rc && o->verify)
		rc = verify_ranges(&j);
	if (!rc)
		rc = check_hashes(&j);
	if (!rc)
		rc = write_first(&j);
	if (rc)
		rc = undo(&j, rc);
	sigaction(SIGINT, &j.o_int, NULL);
	sigaction(SIGTERM, &j.o_term, NULL);
	sigaction(SIGHUP, &j.o_hup, NULL);
	res->direct = j.direct;
	res->seconds = now() - t0;
	ah_end(&j.ah, NULL);
	for (size_t b = 0; b < j.ah.nbuf; b++)
		free(j.ah.buf[b]);
	free(j.tags);
	free(j.rbuf);
	free(j.first);
	close(j.in);
	return rc;
}
