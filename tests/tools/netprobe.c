/*
 * netprobe: the host side of uk's network tests and benchmarks.
 *   netprobe udp-echo HOST PORT COUNT [MAXSIZE]  COUNT datagrams of sizes 1..MAXSIZE (cycling),
 *                                                each checked byte for byte; prints round-trip
 *                                                median and p99 in microseconds
 *   netprobe tcp-echo HOST PORT CONNS BYTES      CONNS concurrent connections, each echoing BYTES
 *   netprobe wait-udp HOST PORT SECONDS          until the echo answers (boot finished)
 *   netprobe udp-flood HOST PORT COUNT SIZE      COUNT datagrams as fast as possible, answers
 *                                                ignored (a burst beyond the guest's rings)
 * Exits 0 when every answer was right, 1 otherwise, 2 on usage errors.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
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
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static struct sockaddr_in addr_of(const char *host, const char *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port))};
	if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
		fprintf(stderr, "netprobe: bad IPv4 address %s\n", host);
		exit(2);
	}
	return a;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Sends one datagram and waits up to timeout_ms for its echo; returns the round trip in us,
 * or 0 on timeout, or UINT64_MAX when the echo differs. */
static uint64_t udp_round_trip(int s, const uint8_t *out, size_t len, int timeout_ms)
{
	static uint8_t in[65536];
	uint64_t t0 = now_us();
	if (send(s, out, len, 0) != (ssize_t)len)
		return 0;
	for (;;) {
		struct pollfd p = {.fd = s, .events = POLLIN};
		int left = timeout_ms - (int)((now_us() - t0) / 1000);
		if (left <= 0 || poll(&p, 1, left) <= 0)
			return 0;
		ssize_t n = recv(s, in, sizeof(in), 0);
		if (n < 0)
			return 0;
		if ((size_t)n == len && memcmp(in, out, len) == 0)
			return now_us() - t0 + (now_us() == t0);
		if ((size_t)n == len)
			return UINT64_MAX;
		/* a late echo of an earlier datagram: keep waiting for ours */
	}
}

static int udp_echo(const char *host, const char *port, long count, long maxsize)
{
	struct sockaddr_in a = addr_of(host, port);
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	if (connect(s, (struct sockaddr *)&a, sizeof(a)) != 0)
		return perror("connect"), 1;
	uint64_t *rtt = calloc((size_t)count, sizeof(*rtt));
	uint8_t *buf = malloc((size_t)maxsize);
	long ok = 0, lost = 0, bad = 0;
	for (long i = 0; i < count; i++) {
		size_t len = (size_t)(i % maxsize) + 1;
		for (size_t j = 0; j < len; j++)
			buf[j] = (uint8_t)(i * 31 + j * 7);
		uint64_t t = udp_round_trip(s, buf, len, 1000);
		if (t == 0) {
			/* one retry: UDP may drop a datagram; the test is about content, not loss
			 */
			t = udp_round_trip(s, buf, len, 1000);
			lost += t == 0;
		}
		if (t == UINT64_MAX)
			bad++;
		else if (t)
			rtt[ok++] = t;
	}
	qsort(rtt, (size_t)ok, sizeof(*rtt), cmp_u64);
	printf("udp-echo: %ld sent, %ld echoed intact, %ld lost, %ld corrupted\n", count, ok, lost,
	       bad);
	if (ok)
		printf("udp-echo: round trip median %llu us, p99 %llu us\n",
		       (unsigned long long)rtt[ok / 2], (unsigned long long)rtt[(ok * 99) / 100]);
	return ok == count ? 0 : 1;
}

static int wait_udp(const char *host, const char *port, long seconds)
{
	struct sockaddr_in a = addr_of(host, port);
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	connect(s, (struct sockaddr *)&a, sizeof(a));
	uint64_t end = now_us() + (uint64_t)seconds * 1000000u;
	uint8_t ping[4] = {'p', 'i', 'n', 'g'};
	while (now_us() < end) {
		uint64_t t = udp_round_trip(s, ping, sizeof(ping), 200);
		if (t && t != UINT64_MAX) {
			printf("wait-udp: answered\n");
			return 0;
		}
	}
	printf("wait-udp: no answer in %ld s\n", seconds);
	return 1;
}

/* CONNS connections open at once, each sending BYTES and reading the echo back at the same
 * time (poll), checked byte for byte; prints the aggregate throughput. */
static int tcp_echo(const char *host, const char *port, long conns, long bytes)
{
	struct sockaddr_in a = addr_of(host, port);
	struct pollfd *p = calloc((size_t)conns, sizeof(*p));
	long *sent = calloc((size_t)conns, sizeof(long)),
	     *got = calloc((size_t)conns, sizeof(long));
	char *bad = calloc((size_t)conns, 1);
	static uint8_t out[65536], in[65536];
	for (size_t j = 0; j < sizeof(out); j++)
		out[j] = (uint8_t)(j * 13 + 5);
	for (long i = 0; i < conns; i++) {
		p[i].fd = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(p[i].fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
			fprintf(stderr, "tcp-echo: connection %ld: %s\n", i, strerror(errno));
			return 1;
		}
		fcntl(p[i].fd, F_SETFL, O_NONBLOCK);
	}
	/* Every connection is open before any data moves: they are served concurrently. */
	uint64_t t0 = now_us(), end = t0 + 60000000u;
	long done = 0;
	while (done < conns && now_us() < end) {
		for (long i = 0; i < conns; i++)
			p[i].events = (got[i] < bytes && !bad[i] ? POLLIN : 0) |
				      (sent[i] < bytes ? POLLOUT : 0);
		if (poll(p, (nfds_t)conns, 1000) <= 0)
			continue;
		for (long i = 0; i < conns; i++) {
			if (p[i].revents & POLLOUT) {
				size_t off = (size_t)sent[i] % sizeof(out);
				size_t n = sizeof(out) - off;
				if ((long)n > bytes - sent[i])
					n = (size_t)(bytes - sent[i]);
				ssize_t w = write(p[i].fd, out + off, n);
				if (w > 0)
					sent[i] += w;
			}
			if (p[i].revents & (POLLIN | POLLHUP | POLLERR)) {
				ssize_t r = read(p[i].fd, in, sizeof(in));
				if (r <= 0) {
					bad[i] =
					    1; /* closed or reset before the whole echo came back */
					done++;
					continue;
				}
				for (ssize_t j = 0; j < r; j++)
					if (in[j] != out[(got[i] + j) % (long)sizeof(out)])
						bad[i] = 1;
				got[i] += r;
				if (got[i] >= bytes)
					done++;
			}
		}
	}
	double secs = (double)(now_us() - t0) / 1e6;
	long good = 0;
	for (long i = 0; i < conns; i++) {
		good += got[i] == bytes && !bad[i];
		close(p[i].fd);
	}
	printf("tcp-echo: %ld of %ld connections echoed %ld bytes intact\n", good, conns, bytes);
	printf("tcp-echo: %.1f Mbit/s each way in %.2f s\n",
	       (double)bytes * (double)conns * 8 / secs / 1e6, secs);
	return good == conns ? 0 : 1;
}

static int udp_flood(const char *host, const char *port, long count, long size)
{
	struct sockaddr_in a = addr_of(host, port);
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	if (connect(s, (struct sockaddr *)&a, sizeof(a)) != 0)
		return perror("connect"), 1;
	static uint8_t buf[65536];
	memset(buf, 0xa5, sizeof(buf));
	long sent = 0;
	for (long i = 0; i < count; i++)
		sent += send(s, buf, (size_t)size, MSG_DONTWAIT) == size;
	printf("udp-flood: %ld of %ld datagrams sent\n", sent, count);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 6 && !strcmp(argv[1], "udp-flood"))
		return udp_flood(argv[2], argv[3], atol(argv[4]), atol(argv[5]));
	if (argc >= 5 && !strcmp(argv[1], "udp-echo"))
		return udp_echo(argv[2], argv[3], atol(argv[4]), argc > 5 ? atol(argv[5]) : 1472);
	if (argc == 5 && !strcmp(argv[1], "wait-udp"))
		return wait_udp(argv[2], argv[3], atol(argv[4]));
	if (argc == 6 && !strcmp(argv[1], "tcp-echo"))
		return tcp_echo(argv[2], argv[3], atol(argv[4]), atol(argv[5]));
	fprintf(stderr, "usage: netprobe udp-echo|wait-udp|udp-flood|tcp-echo HOST PORT ...\n");
	return 2;
}
