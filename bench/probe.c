/* bench/probe: the host side of bench/net.sh's measurements, through QEMU's hostfwd on
 * 127.0.0.1 (tests/tools/netprobe polls every 200 ms, too coarse for a boot of a few ms, and
 * cycles its datagram sizes; this one polls every millisecond and sends fixed sizes).
 *   probe wait PORT SECONDS QEMU_PID   a 4-byte UDP datagram every ms until one is echoed:
 *                                      the echo of any datagram sent so far counts, however
 *                                      late it arrives (a guest that answers a datagram 5 ms
 *                                      after it came is up then, not at the next one it
 *                                      answers within a millisecond)
 *   probe http PORT SECONDS QEMU_PID [EVERY [OPEN]]
 *                                      a new "GET /" every EVERY ms (default 1) until one is
 *                                      answered "HTTP/1.x 200", at most OPEN (default 256)
 *                                      open at once (the oldest is closed for a new one once
 *                                      it has waited 1 s)
 *   probe rtt PORT COUNT SIZE          COUNT echoes of SIZE bytes after 200 warm-up ones,
 *                                      one at a time, each given up after 1 s (lost): prints
 *                                      "median p99 lost", the times in microseconds (median:
 *                                      the mean of the two middle ones for an even count;
 *                                      p99: nearest rank), lost a count
 * wait and http exit 0 on success, 1 when the time is up or QEMU_PID has exited.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Sends datagram seq and waits up to ms for its own echo (late echoes are skipped).
 * Returns the round trip + 1 in us, 0 for none. */
static uint64_t rtt(int s, uint64_t seq, size_t size, int ms)
{
	uint8_t out[1500] = {0}, in[1500];
	memcpy(out, &seq, sizeof(seq));
	uint64_t t0 = now_us();
	send(s, out, size, 0); /* may fail with ECONNREFUSED while QEMU starts: retried */
	for (;;) {
		int left = ms * 1000 - (int)(now_us() - t0);
		struct pollfd p = {.fd = s, .events = POLLIN};
		if (left <= 0 || poll(&p, 1, (left + 999) / 1000) <= 0)
			return 0;
		ssize_t r = recv(s, in, sizeof(in), 0);
		if (r == (ssize_t)size && !memcmp(in, out, size))
			return now_us() - t0 + 1;
		if (r < 0 && now_us() - t0 < 1000)
			return 0;
	}
}

/* QEMU exited (a zombie until the script waits for it): no answer will come. */
static int alive(const char *pid)
{
	char stat[64];
	snprintf(stat, sizeof(stat), "/proc/%s/stat", pid);
	FILE *f = fopen(stat, "r");
	char state = 'Z';
	if (f && fscanf(f, "%*d (%*[^)]) %c", &state) != 1)
		state = 'Z';
	if (f)
		fclose(f);
	return state != 'Z';
}

static struct sockaddr_in loopback(const char *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port))};
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	return a;
}

/* One HTTP attempt: a connection, what it has sent and received. */
struct attempt {
	int fd;
	size_t sent, got;
	uint64_t opened_us;
	char buf[16];
};

#define ATTEMPTS 256
/* An open attempt is given up for a new one only after this long: a server that has started
 * listening answers its queued connections in order, and closing them after a fixed count
 * (256 ms at one a millisecond) starved a Linux guest whose answers took longer under the
 * flood (it never answered one in 60 s). */
#define PATIENCE_US 1000000u

/* The attempt slot to use now: a free one, else the oldest if it has had its patience; NULL to
 * skip this tick. */
static struct attempt *free_slot(struct attempt *at, int n)
{
	struct attempt *oldest = NULL;
	for (int i = 0; i < n; i++) {
		if (at[i].fd < 0)
			return &at[i];
		if (!oldest || at[i].opened_us < oldest->opened_us)
			oldest = &at[i];
	}
	return oldest && now_us() - oldest->opened_us >= PATIENCE_US ? oldest : NULL;
}

static int open_max = ATTEMPTS, every_ms = 1;

/* Until the guest listens, QEMU accepts each connection on the host and then retries its
 * SYN to the guest on its own schedule; so rather than wait on one attempt, start a new one
 * every ms and keep the last open_max open: the first answer from any of them counts. */
static int http_wait(const char *port, int seconds, const char *pid)
{
	static const char req[] = "GET / HTTP/1.0\r\n\r\n";
	struct sockaddr_in a = loopback(port);
	struct attempt at[ATTEMPTS];
	struct pollfd p[ATTEMPTS];
	for (int i = 0; i < ATTEMPTS; i++)
		at[i].fd = -1;
	uint64_t end = now_us() + 1000000u * (uint64_t)seconds, next = 0;
	while (now_us() < end) {
		struct attempt *t;
		if (now_us() >= next && (t = free_slot(at, open_max))) { /* a new attempt */
			if (!alive(pid))
				return 1;
			if (t->fd >= 0)
				close(t->fd);
			t->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
			t->sent = t->got = 0;
			t->opened_us = now_us();
			if (connect(t->fd, (struct sockaddr *)&a, sizeof(a)) != 0 &&
			    errno != EINPROGRESS) {
				close(t->fd);
				t->fd = -1;
			}
			next = now_us() + 1000u * (unsigned)every_ms;
		} else if (now_us() >= next) {
			if (!alive(pid))
				return 1;
			next = now_us() + 1000u; /* all slots busy: look again in a millisecond */
		}
		for (int i = 0; i < ATTEMPTS; i++) {
			p[i].fd = at[i].fd;
			p[i].events = at[i].sent < sizeof(req) - 1 ? POLLOUT : POLLIN;
			p[i].revents = 0;
		}
		int left = (int)((next - now_us() + 999) / 1000);
		if (poll(p, ATTEMPTS, left > 0 ? left : 0) <= 0)
			continue;
		for (int i = 0; i < ATTEMPTS; i++) {
			struct attempt *t = &at[i];
			if (t->fd < 0 || !p[i].revents)
				continue;
			ssize_t r = 0;
			if (t->sent < sizeof(req) - 1 && (p[i].revents & POLLOUT)) {
				r = send(t->fd, req + t->sent, sizeof(req) - 1 - t->sent,
					 MSG_NOSIGNAL);
				if (r > 0)
					t->sent += (size_t)r;
			} else if (p[i].revents & (POLLIN | POLLHUP | POLLERR)) {
				r = recv(t->fd, t->buf + t->got, sizeof(t->buf) - 1 - t->got, 0);
				if (r > 0)
					t->got += (size_t)r;
				t->buf[t->got] = 0;
				/* "HTTP/1.0 200" or "HTTP/1.1 200" */
				if (t->got >= 12 && !strncmp(t->buf, "HTTP/1.", 7) &&
				    !strncmp(t->buf + 8, " 200", 4))
					return 0;
				if (t->got == sizeof(t->buf) - 1)
					r = 0; /* something else: give up on it */
			}
			if (r <= 0 && !(r < 0 && errno == EAGAIN)) { /* refused, reset, closed */
				close(t->fd);
				t->fd = -1;
			}
		}
	}
	return 1;
}

/* Sends a 4-byte datagram (its sequence number) every ms and returns 0 as soon as any of
 * them comes back, whichever and however late: the time the guest first answered. */
static int udp_wait(int s, int seconds, const char *pid)
{
	uint64_t end = now_us() + 1000000u * (uint64_t)seconds, next = 0;
	uint32_t seq = 0;
	while (now_us() < end) {
		if (now_us() >= next) {
			if (!alive(pid))
				return 1;
			seq++;
			/* may fail with ECONNREFUSED while QEMU has not bound the port: one
			 * datagram a ms all the same, not a busy loop taking a core from QEMU */
			send(s, &seq, sizeof(seq), 0);
			next = now_us() + 1000u;
		}
		struct pollfd p = {.fd = s, .events = POLLIN};
		int left = (int)((next - now_us() + 999) / 1000);
		if (poll(&p, 1, left > 0 ? left : 0) <= 0)
			continue;
		uint32_t in[2];
		ssize_t r = recv(s, in, sizeof(in), 0);
		if (r == (ssize_t)sizeof(seq) && in[0] >= 1 && in[0] <= seq)
			return 0;
	}
	return 1;
}

int main(int argc, char **argv)
{
	if (argc >= 6 && argc <= 7 && !strcmp(argv[1], "http")) {
		every_ms = atoi(argv[5]);
		open_max = argc == 7 ? atoi(argv[6]) : ATTEMPTS;
		if (every_ms < 1 || open_max < 1 || open_max > ATTEMPTS) {
			fprintf(stderr, "probe http: EVERY >= 1, OPEN 1 to %d\n", ATTEMPTS);
			return 2;
		}
		argc = 5;
	}
	if (argc != 5) {
		fprintf(stderr,
			"usage: probe wait|http PORT SECONDS QEMU_PID | rtt PORT COUNT SIZE\n");
		return 2;
	}
	if (!strcmp(argv[1], "http"))
		return http_wait(argv[2], atoi(argv[3]), argv[4]);
	struct sockaddr_in a = loopback(argv[2]);
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	connect(s, (struct sockaddr *)&a, sizeof(a));
	if (!strcmp(argv[1], "wait"))
		return udp_wait(s, atoi(argv[3]), argv[4]);
	long count = atol(argv[3]), size = atol(argv[4]), ok = 0;
	if (count <= 0 || size < 8 || size > 1472) {
		fprintf(stderr, "probe rtt: COUNT > 0 and SIZE 8 to 1472\n");
		return 2;
	}
	uint64_t *v = calloc((size_t)count, sizeof(*v));
	for (long i = 0; i < 200; i++)
		rtt(s, 1u << 31 | (uint64_t)i, (size_t)size, 1000);
	for (long i = 0; i < count; i++) {
		uint64_t t = rtt(s, (uint64_t)i, (size_t)size, 1000);
		if (t)
			v[ok++] = t - 1;
	}
	qsort(v, (size_t)ok, sizeof(*v), cmp);
	if (ok) {
		uint64_t med = ok % 2 ? v[ok / 2] : (v[ok / 2 - 1] + v[ok / 2]) / 2;
		long p99 = (ok * 99 + 99) / 100 - 1; /* nearest rank: ceil(0.99 ok) - 1 */
		printf("%llu %llu %ld\n", (unsigned long long)med, (unsigned long long)v[p99],
		       count - ok);
	}
	return ok ? 0 : 1;
}
