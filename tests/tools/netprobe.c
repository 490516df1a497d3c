/*
 * netprobe: the host side of uk's network tests and benchmarks.
 *   netprobe udp-echo HOST PORT COUNT [MAXSIZE]  COUNT datagrams of sizes 1..MAXSIZE (cycling),
 *                                                each checked byte for byte; prints round-trip
 *                                                median and p99 in microseconds
 *   netprobe tcp-echo HOST PORT CONNS BYTES      CONNS concurrent connections, each echoing BYTES
 *   netprobe wait-udp HOST PORT SECONDS          until the echo answers (boot finished)
 *   netprobe udp-flood HOST PORT COUNT SIZE      COUNT datagrams as fast as possible, answers
 *                                                ignored (a burst beyond the guest's rings)
 *   netprobe frames QEMU_PORT MY_PORT GUEST_IP COUNT
 *                                                be the guest's whole Ethernet segment through
 *                                                QEMU's "-netdev socket,udp=127.0.0.1:MY_PORT,
 *                                                localaddr=127.0.0.1:QEMU_PORT": send COUNT
 *                                                malformed frames (runts, junk, bad IPv4 and UDP
 *                                                headers, oversized), then check that the
 *                                                guest's UDP echo on port 7 still answers (this
 *                                                side answers the guest's ARP as 10.0.0.1)
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
		/* Up to three retries: UDP may drop a datagram (a busy host, a full ring); the test
		 * is about content, and a datagram lost four times is counted. */
		for (int retry = 0; t == 0 && retry < 3; retry++)
			t = udp_round_trip(s, buf, len, 1000);
		lost += t == 0;
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

/* ---- raw Ethernet through QEMU's socket netdev ---- */
static const uint8_t my_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
static uint8_t guest_mac[6];
static uint32_t my_ip = 0x0a000001; /* 10.0.0.1, host order */

static uint16_t ip_checksum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)(p[n - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* An Ethernet + IPv4 + UDP frame from 10.0.0.1:9999 to guest:7; returns its length. */
static size_t udp_frame(uint8_t *f, const uint8_t *dst_mac, uint32_t guest_ip, const void *data,
			size_t len)
{
	memcpy(f, dst_mac, 6);
	memcpy(f + 6, my_mac, 6);
	put16(f + 12, 0x0800);
	uint8_t *ip = f + 14;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(28 + len));
	ip[8] = 64;
	ip[9] = 17;
	put32(ip + 12, my_ip);
	put32(ip + 16, guest_ip);
	put16(ip + 10, ip_checksum(ip, 20));
	uint8_t *udp = ip + 20;
	put16(udp, 9999);
	put16(udp + 2, 7);
	put16(udp + 4, (uint16_t)(8 + len));
	put16(udp + 6, 0); /* no UDP checksum: allowed on IPv4 */
	memcpy(udp + 8, data, len);
	return 14 + 28 + len;
}

/* Answers ARP requests for my_ip; returns 1 when frame f was the guest's UDP echo of want. */
static int handle_frame(int s, const uint8_t *f, size_t n, const uint8_t *want, size_t wlen)
{
	if (n >= 42 && f[12] == 0x08 && f[13] == 0x06 && f[21] == 1 &&
	    ((uint32_t)f[38] << 24 | (uint32_t)f[39] << 16 | (uint32_t)f[40] << 8 | f[41]) ==
		my_ip) {
		uint8_t r[42];
		memcpy(r, f + 6, 6);
		memcpy(r + 6, my_mac, 6);
		put16(r + 12, 0x0806);
		memcpy(r + 14, f + 14, 6); /* htype, ptype, hlen, plen */
		put16(r + 20, 2);	   /* reply */
		memcpy(r + 22, my_mac, 6);
		put32(r + 28, my_ip);
		memcpy(r + 32, f + 22, 10); /* the asker's MAC and IP */
		memcpy(guest_mac, f + 22, 6);
		send(s, r, sizeof(r), 0);
		return 0;
	}
	return n == 14 + 28 + wlen && f[12] == 0x08 && f[13] == 0x00 && f[23] == 17 &&
	       memcmp(f + 42, want, wlen) == 0;
}

static int frames(const char *qemu_port, const char *my_port, const char *guest, long count)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in me = addr_of("127.0.0.1", my_port), q = addr_of("127.0.0.1", qemu_port);
	if (bind(s, (struct sockaddr *)&me, sizeof(me)) != 0 ||
	    connect(s, (struct sockaddr *)&q, sizeof(q)) != 0)
		return perror("frames: socket"), 1;
	struct in_addr gi;
	inet_pton(AF_INET, guest, &gi);
	uint32_t guest_ip = ntohl(gi.s_addr);
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	static uint8_t f[16384];
	srand(7);
	long sent = 0;
	for (long i = 0; i < count; i++) {
		size_t n;
		uint8_t payload[64] = "junk";
		/* NETPROBE_ONLY=K sends only kind K: for finding which kind a guest chokes on */
		long kind = getenv("NETPROBE_ONLY") ? atol(getenv("NETPROBE_ONLY")) : i % 8;
		switch (kind) {
		case 0: /* runt: 1 to 13 bytes, shorter than an Ethernet header (QEMU's socket
			 * backend takes an empty datagram for a closed connection: never 0) */
			n = 1 + (size_t)(i % 13);
			memset(f, 0xee, n);
			break;
		case 1: /* random bytes of random length */
			n = 14 + (size_t)rand() % 1500;
			for (size_t j = 0; j < n; j++)
				f[j] = (uint8_t)rand();
			memcpy(f, bcast, 6);
			break;
		case 2: /* IPv4 with a bad header checksum */
			n = udp_frame(f, bcast, guest_ip, payload, 8);
			f[14 + 10] ^= 0xff;
			break;
		case 3: /* IPv4 total length larger than the frame */
			n = udp_frame(f, bcast, guest_ip, payload, 8);
			put16(f + 14 + 2, 1400);
			put16(f + 14 + 10, 0);
			put16(f + 14 + 10, ip_checksum(f + 14, 20));
			break;
		case 4: /* UDP length larger than the datagram */
			n = udp_frame(f, bcast, guest_ip, payload, 8);
			put16(f + 14 + 20 + 4, 9000);
			break;
		case 5: /* oversized frame (beyond 1514 bytes) */
			n = 1515 + (size_t)rand() % 8000;
			memset(f, 0x5a, n);
			memcpy(f, bcast, 6);
			break;
		case 6: /* a fragment with an absurd offset and the more-fragments flag */
			n = udp_frame(f, bcast, guest_ip, payload, 32);
			put16(f + 14 + 6, 0x2000 | 0x1fff);
			put16(f + 14 + 10, 0);
			put16(f + 14 + 10, ip_checksum(f + 14, 20));
			break;
		default: /* IHL smaller than 5, unknown EtherType */
			n = udp_frame(f, bcast, guest_ip, payload, 8);
			f[14] = (uint8_t)(0x40 | (i % 5));
			if (i % 2)
				put16(f + 12, 0x88b5);
			break;
		}
		sent += send(s, f, n, 0) == (ssize_t)n;
	}
	printf("frames: %ld malformed frames sent\n", sent);

	/* Then the guest must still echo: send until answered (the first try ARPs for us). */
	uint8_t want[32];
	for (size_t j = 0; j < sizeof(want); j++)
		want[j] = (uint8_t)(j * 5 + 1);
	uint64_t end = now_us() + 10000000u;
	int echoed = 0;
	while (!echoed && now_us() < end) {
		size_t n = udp_frame(f, guest_mac[0] || guest_mac[1] ? guest_mac : bcast, guest_ip,
				     want, sizeof(want));
		send(s, f, n, 0);
		uint64_t wait_end = now_us() + 300000u;
		while (!echoed && now_us() < wait_end) {
			struct pollfd p = {.fd = s, .events = POLLIN};
			if (poll(&p, 1, 50) <= 0)
				continue;
			ssize_t r = recv(s, f, sizeof(f), 0);
			if (r > 0)
				echoed = handle_frame(s, f, (size_t)r, want, sizeof(want));
		}
	}
	printf("frames: guest %s\n", echoed ? "still echoes" : "did not answer");
	return echoed ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc == 6 && !strcmp(argv[1], "frames"))
		return frames(argv[2], argv[3], argv[4], atol(argv[5]));
	if (argc == 6 && !strcmp(argv[1], "udp-flood"))
		return udp_flood(argv[2], argv[3], atol(argv[4]), atol(argv[5]));
	if (argc >= 5 && !strcmp(argv[1], "udp-echo"))
		return udp_echo(argv[2], argv[3], atol(argv[4]), argc > 5 ? atol(argv[5]) : 1472);
	if (argc == 5 && !strcmp(argv[1], "wait-udp"))
		return wait_udp(argv[2], argv[3], atol(argv[4]));
	if (argc == 6 && !strcmp(argv[1], "tcp-echo"))
		return tcp_echo(argv[2], argv[3], atol(argv[4]), atol(argv[5]));
	fprintf(stderr, "usage: netprobe udp-echo|wait-udp|udp-flood|tcp-echo HOST PORT ... | "
			"frames QPORT MYPORT GUEST COUNT\n");
	return 2;
}
