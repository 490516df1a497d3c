/*
 * netprobe: the host side of uk's network tests and benchmarks.
 *   netprobe udp-echo HOST PORT COUNT [MAXSIZE]  COUNT datagrams of sizes 1..MAXSIZE (cycling),
 *                                                each checked byte for byte; prints round-trip
 *                                                median and p99 in microseconds
 *   netprobe tcp-echo HOST PORT CONNS BYTES      CONNS concurrent connections, each echoing BYTES
 *   netprobe wait-udp HOST PORT SECONDS          until the echo answers (boot finished)
 *   netprobe udp-flood HOST PORT COUNT SIZE      COUNT datagrams as fast as possible, answers
 *                                                ignored (a burst beyond the guest's rings)
 *   netprobe mdns NAME A|AAAA VIA                one mDNS query for NAME (e.g. uk.local) on the
 *                                                link of VIA (this side's IPv4 address there,
 *                                                or the interface for AAAA); prints each address
 *                                                answered
 *   netprobe frames QEMU_PORT MY_PORT GUEST_IP COUNT
 *                                                be the guest's whole Ethernet segment through
 *                                                QEMU's "-netdev socket,udp=127.0.0.1:MY_PORT,
 *                                                localaddr=127.0.0.1:QEMU_PORT": send COUNT
 *                                                malformed frames (runts, junk, bad IPv4, UDP and
 *                                                IPv6 headers, bad neighbour discovery,
 *                                                oversized), then check that the
 *                                                guest's UDP echo on port 7 still answers (this
 *                                                side answers the guest's ARP as 10.0.0.1)
 *   netprobe frames-count QEMU_PORT MY_PORT GUEST_IP BURST COUNT BATCH
 *                                                the same segment, against tests/apps/usb
 *                                                serve=1 on usb-net: BURST malformed frames
 *                                                as fast as QEMU reads them (its socket's
 *                                                receive queue in /proc/net/udp), then COUNT
 *                                                more in batches of BATCH,
 *                                                each batch followed by a request for the
 *                                                guest's counters (UDP port 9), which must
 *                                                account for every frame; then a UDP echo and
 *                                                a TCP connection echoing on port 7
 *   netprobe tcp-far-seq QEMU_PORT MY_PORT GUEST_IP
 *                                                the same segment, against a TCP echo on port
 *                                                7: segments whose sequence number is 2^31
 *                                                from the guest's rcv_nxt (a byte with the
 *                                                ACK completing the handshake, then a byte, a
 *                                                FIN, a RST, and the ends of the band
 *                                                net/listen.c drops), each to be answered by
 *                                                an ACK of rcv_nxt and nothing else; then the
 *                                                connection and UDP echo still work
 * HOST is an IPv4 or IPv6 address (fe80::...%IFACE for a link-local one).
 * Exits 0 when every answer was right, 1 otherwise, 2 on usage errors.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
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

/* A socket of the given type connected to HOST PORT, an IPv4 or an IPv6 address (fe80::1%tap0
 * for a link-local one); -1 when connect fails, exit 2 on a malformed address. */
static int connect_to(const char *host, const char *port, int type)
{
	struct addrinfo hints = {.ai_socktype = type, .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV};
	struct addrinfo *ai;
	if (getaddrinfo(host, port, &hints, &ai) != 0) {
		fprintf(stderr, "netprobe: bad address %s or port %s\n", host, port);
		exit(2);
	}
	int s = socket(ai->ai_family, type, 0);
	if (s >= 0 && connect(s, ai->ai_addr, ai->ai_addrlen) != 0) {
		fprintf(stderr, "netprobe: connect to %s port %s: %s\n", host, port,
			strerror(errno));
		close(s);
		s = -1;
	}
	freeaddrinfo(ai);
	return s;
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
	int s = connect_to(host, port, SOCK_DGRAM);
	if (s < 0)
		return 1;
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
	int s = connect_to(host, port, SOCK_DGRAM);
	if (s < 0)
		return 1;
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
	struct pollfd *p = calloc((size_t)conns, sizeof(*p));
	long *sent = calloc((size_t)conns, sizeof(long)),
	     *got = calloc((size_t)conns, sizeof(long));
	char *bad = calloc((size_t)conns, 1);
	static uint8_t out[65536], in[65536];
	for (size_t j = 0; j < sizeof(out); j++)
		out[j] = (uint8_t)(j * 13 + 5);
	for (long i = 0; i < conns; i++) {
		p[i].fd = connect_to(host, port, SOCK_STREAM);
		if (p[i].fd < 0) {
			fprintf(stderr, "tcp-echo: connection %ld failed\n", i);
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
	int s = connect_to(host, port, SOCK_DGRAM);
	if (s < 0)
		return 1;
	static uint8_t buf[65536];
	memset(buf, 0xa5, sizeof(buf));
	long sent = 0;
	for (long i = 0; i < count; i++)
		sent += send(s, buf, (size_t)size, MSG_DONTWAIT) == size;
	printf("udp-flood: %ld of %ld datagrams sent\n", sent, count);
	return 0;
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

/* ---- mDNS: one legacy unicast query (RFC 6762 6.7) ---- */

/* Skips a DNS name at p (labels or a compression pointer); NULL when it runs past end. */
static const uint8_t *skip_name(const uint8_t *p, const uint8_t *end)
{
	while (p < end) {
		if (*p == 0)
			return p + 1;
		if ((*p & 0xc0) == 0xc0)
			return p + 2 <= end ? p + 2 : NULL;
		p += 1 + *p;
	}
	return NULL;
}

/* Asks the link for NAME's A record (VIA: this side's IPv4 address on the link) or AAAA
 * record (VIA: the interface's name), from an ephemeral port, so the responder answers this
 * socket directly; prints "mdns: NAME TYPE ADDRESS" per address answered. */
static int mdns(const char *name, const char *type, const char *via)
{
	bool v6 = !strcmp(type, "AAAA");
	if (!v6 && strcmp(type, "A") != 0) {
		fprintf(stderr, "netprobe mdns: TYPE is A or AAAA\n");
		return 2;
	}
	uint8_t q[512] = {0, 42, 0, 0, 0, 1}; /* id 42, one question */
	size_t n = 12;
	for (const char *l = name; *l;) { /* the name as labels */
		size_t len = strcspn(l, ".");
		if (len == 0 || len > 63 || n + len + 6 > sizeof(q)) {
			fprintf(stderr, "netprobe mdns: bad name %s\n", name);
			return 2;
		}
		q[n++] = (uint8_t)len;
		memcpy(q + n, l, len);
		n += len;
		l += len + (l[len] == '.');
	}
	q[n++] = 0;
	put16(q + n, v6 ? 28 : 1);
	put16(q + n + 2, 1); /* class IN */
	n += 4;

	int s = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_storage to = {0};
	socklen_t tolen;
	if (v6) {
		unsigned idx = if_nametoindex(via);
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&to;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(5353);
		a->sin6_scope_id = idx;
		inet_pton(AF_INET6, "ff02::fb", &a->sin6_addr);
		tolen = sizeof(*a);
		if (!idx || setsockopt(s, IPPROTO_IPV6, IPV6_MULTICAST_IF, &idx, sizeof(idx)) != 0)
			return fprintf(stderr, "netprobe mdns: no interface %s\n", via), 2;
	} else {
		struct in_addr ifaddr;
		struct sockaddr_in *a = (struct sockaddr_in *)&to;
		a->sin_family = AF_INET;
		a->sin_port = htons(5353);
		inet_pton(AF_INET, "224.0.0.251", &a->sin_addr);
		tolen = sizeof(*a);
		if (inet_pton(AF_INET, via, &ifaddr) != 1 ||
		    setsockopt(s, IPPROTO_IP, IP_MULTICAST_IF, &ifaddr, sizeof(ifaddr)) != 0)
			return fprintf(stderr, "netprobe mdns: bad address %s\n", via), 2;
	}
	int found = 0;
	for (int attempt = 0; attempt < 5 && !found; attempt++) {
		if (sendto(s, q, n, 0, (struct sockaddr *)&to, tolen) != (ssize_t)n)
			return perror("netprobe mdns: sendto"), 1;
		struct pollfd p = {.fd = s, .events = POLLIN};
		uint8_t r[1500];
		ssize_t got;
		if (poll(&p, 1, 1000) <= 0 || (got = recv(s, r, sizeof(r), 0)) < 12 || r[0] != 0 ||
		    r[1] != 42)
			continue;
		const uint8_t *end = r + got, *c = r + 12;
		unsigned qd = (unsigned)(r[4] << 8 | r[5]), an = (unsigned)(r[6] << 8 | r[7]);
		for (unsigned i = 0; i < qd && c; i++)
			c = (c = skip_name(c, end)) && c + 4 <= end ? c + 4 : NULL;
		for (unsigned i = 0; i < an && c; i++) {
			if (!(c = skip_name(c, end)) || c + 10 > end)
				break;
			unsigned rtype = (unsigned)(c[0] << 8 | c[1]),
				 rdlen = (unsigned)(c[8] << 8 | c[9]);
			c += 10;
			if (c + rdlen > end)
				break;
			char text[INET6_ADDRSTRLEN];
			if ((rtype == 1 && rdlen == 4 && !v6) ||
			    (rtype == 28 && rdlen == 16 && v6)) {
				inet_ntop(v6 ? AF_INET6 : AF_INET, c, text, sizeof(text));
				printf("mdns: %s %s %s\n", name, type, text);
				found++;
			}
			c += rdlen;
		}
	}
	if (!found)
		printf("mdns: no answer for %s %s\n", name, type);
	close(s);
	return found ? 0 : 1;
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

/* An Ethernet + IPv6 frame from fe80::ff:fe00:1 (this side's link-local address) to ff02::1
 * (all nodes), hop limit 255 as neighbour discovery requires, carrying len bytes of next
 * header nh; when nh is ICMPv6 (58) its checksum is filled in, so the guest parses the message
 * instead of dropping it at the checksum. Returns the frame's length. */
static size_t ipv6_frame(uint8_t *f, uint8_t nh, const uint8_t *data, size_t len)
{
	static const uint8_t all_nodes_mac[6] = {0x33, 0x33, 0, 0, 0, 1};
	memcpy(f, all_nodes_mac, 6);
	memcpy(f + 6, my_mac, 6);
	put16(f + 12, 0x86dd);
	uint8_t *ip = f + 14;
	memset(ip, 0, 40);
	ip[0] = 0x60;
	put16(ip + 4, (uint16_t)len);
	ip[6] = nh;
	ip[7] = 255;
	static const uint8_t me[16] = {0xfe, 0x80, [11] = 0xff, 0xfe, 0x00, 0x00, 0x01};
	static const uint8_t all_nodes[16] = {0xff, 0x02, [15] = 0x01};
	memcpy(ip + 8, me, 16);
	memcpy(ip + 24, all_nodes, 16);
	memcpy(ip + 40, data, len);
	if (nh == 58 && len >= 4) {
		uint8_t *icmp = ip + 40;
		put16(icmp + 2, 0);
		/* RFC 8200 8.1: the pseudo-header is the addresses, the length and the next header
		 */
		static uint8_t sum[40 + 1600];
		memcpy(sum, ip + 8, 32);
		put32(sum + 32, (uint32_t)len);
		memset(sum + 36, 0, 3);
		sum[39] = 58;
		memcpy(sum + 40, icmp, len);
		put16(icmp + 2, ip_checksum(sum, 40 + len));
	}
	return 14 + 40 + len;
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
		long kind = getenv("NETPROBE_ONLY") ? atol(getenv("NETPROBE_ONLY")) : i % 14;
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
		case 7: /* IHL smaller than 5, unknown EtherType */
			n = udp_frame(f, bcast, guest_ip, payload, 8);
			f[14] = (uint8_t)(0x40 | (i % 5));
			if (i % 2)
				put16(f + 12, 0x88b5);
			break;
		case 8: /* IPv6 payload length larger than the frame */
			n = ipv6_frame(f, 17, payload, 8);
			put16(f + 14 + 4, 1400);
			break;
		case 9: { /* IPv6 hop-by-hop options whose option runs past the header */
			const uint8_t hbh[8] = {17, 0, 0x01, 200};
			n = ipv6_frame(f, 0, hbh, sizeof(hbh));
			break;
		}
		case 10: { /* router advertisement with a zero-length option (RFC 4861 4.6: invalid;
			    * a parser that steps by the length never ends) */
			const uint8_t ra[24] = {134, 0, 0, 0, 64, 0, 0, 0, [16] = 1, 0};
			n = ipv6_frame(f, 58, ra, sizeof(ra));
			break;
		}
		case 11: { /* neighbour solicitation whose option claims 2040 bytes */
			const uint8_t ns[32] = {135, [8] = 0xfe, 0x80, [23] = 2, [24] = 1, 0xff};
			n = ipv6_frame(f, 58, ns, sizeof(ns));
			break;
		}
		case 12: { /* IPv6 fragment with an absurd offset and the more-fragments flag */
			const uint8_t frag[16] = {17, 0, 0xff, 0xf9, 0, 0, 0, 1};
			n = ipv6_frame(f, 44, frag, sizeof(frag));
			break;
		}
		default: { /* router advertisement with an autonomous prefix of length 200 */
			uint8_t ra[48] = {134, 0, 0, 0, 64, 0, 0x07, 0x08};
			uint8_t *pi = ra + 16; /* prefix information, RFC 4861 4.6.2 */
			pi[0] = 3;
			pi[1] = 4;
			pi[2] = 200;
			pi[3] = 0xc0; /* on-link, autonomous */
			put32(pi + 4, 0xffffffff);
			put32(pi + 8, 0xffffffff);
			pi[16] = 0x20; /* 2001:db8:: */
			pi[17] = 0x01;
			pi[18] = 0x0d;
			pi[19] = 0xb8;
			n = ipv6_frame(f, 58, ra, sizeof(ra));
			break;
		}
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

/* ---- frames-count: malformed frames with the guest's own accounting (usb-net) ----
 * Kinds, by i % FC_KINDS. What QEMU's usb-net and uk's CDC-ECM driver do with each decides
 * where it must be counted: usb-net holds one frame of at most 2048 bytes (bigger ones it
 * refuses, so the guest never sees them) and ends a frame that fills whole 64-byte packets with
 * a zero-length packet; the driver drops transfers shorter than an Ethernet header or longer
 * than 1514 bytes; everything else reaches lwIP, which must drop it without answering. */
enum {
	FC_RUNT,	/* 1-13 bytes: driver */
	FC_OVERSIZED,	/* 1515-2047 bytes: driver */
	FC_FULL_BUFFER, /* 2048 bytes: fills the driver's 2 KiB transfer, then a ZLP: driver */
	FC_BEYOND,	/* 2049-9000 bytes: usb-net refuses it; the guest never sees it */
	FC_JUNK,	/* random bytes, an unassigned EtherType: lwIP */
	FC_ETHERTYPE,	/* a UDP datagram under EtherType 0x88b5: lwIP */
	FC_IP_TRUNC,	/* 12 bytes of IPv4 header: lwIP */
	FC_IP_CSUM,	/* IPv4 header checksum wrong: lwIP's ip.chkerr */
	FC_IP_LEN,	/* IPv4 total length beyond the frame: lwIP */
	FC_IP_IHL,	/* IHL below 5: lwIP */
	FC_UDP_TRUNC,	/* 4 bytes of UDP header: lwIP */
	FC_UDP_CSUM,	/* UDP checksum wrong: lwIP's udp.chkerr */
	FC_TCP_TRUNC,	/* 8 bytes of TCP header: lwIP */
	FC_TCP_CSUM,	/* a SYN to port 7 with a wrong checksum: lwIP's tcp.chkerr */
	FC_TCP_OFF,	/* a SYN to port 7 with data offset 4 (16-byte header): lwIP */
	FC_ARP_TRUNC,	/* 20 bytes of ARP: lwIP */
	FC_FRAGMENT,	/* a fragment at offset 65528 with more fragments to come: lwIP */
	FC_KINDS
};
#define FC_BAD_PORT 9998 /* the source port of every malformed datagram and segment */

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)(p[n - 1] << 8);
	return sum;
}

/* The UDP/TCP checksum over the IPv4 pseudo header and len bytes at l4 (RFC 768, RFC 793). */
static uint16_t l4_checksum(const uint8_t *ip, const uint8_t *l4, size_t len)
{
	uint8_t pseudo[12];
	memcpy(pseudo, ip + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = ip[9];
	put16(pseudo + 10, (uint16_t)len);
	uint32_t sum = csum_add(csum_add(0, pseudo, 12), l4, len);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* An IPv4 header for proto with l4len bytes after it, checksum right. */
static void ip_header(uint8_t *ip, uint8_t proto, size_t l4len, uint32_t guest_ip)
{
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + l4len));
	ip[8] = 64;
	ip[9] = proto;
	put32(ip + 12, my_ip);
	put32(ip + 16, guest_ip);
	put16(ip + 10, ip_checksum(ip, 20));
}

/* An Ethernet + IPv4 + TCP segment from 10.0.0.1:sport to guest:dport; returns its length. */
static size_t tcp_frame(uint8_t *f, const uint8_t *dst_mac, uint32_t guest_ip, uint16_t sport,
			uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags, const void *data,
			size_t len)
{
	memcpy(f, dst_mac, 6);
	memcpy(f + 6, my_mac, 6);
	put16(f + 12, 0x0800);
	uint8_t *ip = f + 14, *tcp = f + 34;
	ip_header(ip, 6, 20 + len, guest_ip);
	memset(tcp, 0, 20);
	put16(tcp, sport);
	put16(tcp + 2, dport);
	put32(tcp + 4, seq);
	put32(tcp + 8, ack);
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	put16(tcp + 14, 8192);
	memcpy(tcp + 20, data, len);
	put16(tcp + 16, l4_checksum(ip, tcp, 20 + len));
	return 54 + len;
}

static size_t fc_make(uint8_t *f, long i, long kind, uint32_t guest_ip, const uint8_t *dst)
{
	static const uint8_t bad[] = "malformed";
	size_t n;
	switch (kind) {
	case FC_RUNT:
		n = 1 + (size_t)(i % 13);
		memset(f, 0xee, n);
		return n;
	case FC_OVERSIZED:
	case FC_FULL_BUFFER:
	case FC_BEYOND:
		n = kind == FC_OVERSIZED     ? 1515 + (size_t)rand() % 533
		    : kind == FC_FULL_BUFFER ? 2048
					     : 2049 + (size_t)rand() % 6952;
		memset(f, 0x5a, n);
		memcpy(f, dst, 6);
		return n;
	case FC_JUNK:
		n = 14 + (size_t)rand() % 1501;
		for (size_t j = 0; j < n; j++)
			f[j] = (uint8_t)rand();
		memcpy(f, dst, 6);
		f[12] = 0x7f; /* unassigned: never IPv4, ARP or IPv6 by chance */
		return n;
	case FC_ETHERTYPE:
		n = udp_frame(f, dst, guest_ip, bad, sizeof(bad));
		put16(f + 34, FC_BAD_PORT);
		put16(f + 12, 0x88b5);
		return n;
	case FC_IP_TRUNC:
		udp_frame(f, dst, guest_ip, bad, sizeof(bad));
		return 14 + 12;
	case FC_IP_CSUM:
	case FC_IP_LEN:
	case FC_IP_IHL:
		n = udp_frame(f, dst, guest_ip, bad, sizeof(bad));
		put16(f + 34, FC_BAD_PORT);
		if (kind == FC_IP_LEN)
			put16(f + 16, 1400);
		if (kind == FC_IP_IHL)
			f[14] = (uint8_t)(0x40 | (i % 5));
		put16(f + 24, 0);
		put16(f + 24, ip_checksum(f + 14, 20));
		if (kind == FC_IP_CSUM)
			f[24] ^= 0x5a;
		return n;
	case FC_UDP_TRUNC:
		udp_frame(f, dst, guest_ip, bad, 0);
		put16(f + 34, FC_BAD_PORT);
		ip_header(f + 14, 17, 4, guest_ip);
		return 14 + 20 + 4;
	case FC_UDP_CSUM: {
		n = udp_frame(f, dst, guest_ip, bad, sizeof(bad));
		put16(f + 34, FC_BAD_PORT);
		uint16_t c = l4_checksum(f + 14, f + 34, 8 + sizeof(bad));
		put16(f + 40, (uint16_t)(c ^ 0x1234)); /* wrong, and never 0 (= "none") */
		return n;
	}
	case FC_TCP_TRUNC:
		tcp_frame(f, dst, guest_ip, FC_BAD_PORT, 7, 1000, 0, 0x02, NULL, 0);
		ip_header(f + 14, 6, 8, guest_ip);
		return 14 + 20 + 8;
	case FC_TCP_CSUM:
		n = tcp_frame(f, dst, guest_ip, FC_BAD_PORT, 7, 1000 + (uint32_t)i, 0, 0x02, NULL,
			      0);
		f[50] ^= 0x5a;
		return n;
	case FC_TCP_OFF:
		n = tcp_frame(f, dst, guest_ip, FC_BAD_PORT, 7, 1000 + (uint32_t)i, 0, 0x02, NULL,
			      0);
		f[46] = 4 << 4;
		put16(f + 50, 0);
		put16(f + 50, l4_checksum(f + 14, f + 34, 20));
		return n;
	case FC_ARP_TRUNC:
		memcpy(f, dst, 6);
		memcpy(f + 6, my_mac, 6);
		put16(f + 12, 0x0806);
		memset(f + 14, 0x01, 6);
		return 20;
	default: /* FC_FRAGMENT */
		n = udp_frame(f, dst, guest_ip, bad, sizeof(bad));
		put16(f + 34, FC_BAD_PORT);
		put16(f + 20, 0x2000 | 0x1fff);
		put16(f + 24, 0);
		put16(f + 24, ip_checksum(f + 14, 20));
		return n;
	}
}

/* The guest's counters, as tests/apps/usb answers "stats" on UDP port 9. */
struct fc_stats {
	unsigned long long rx_frames, rx_dropped, tx_frames, tx_dropped;
	unsigned link_drop, etharp_drop, ip_drop, ip_chkerr, ip_lenerr, udp_drop, udp_chkerr,
	    tcp_drop, tcp_chkerr;
};

struct fc {
	int s;
	uint32_t guest_ip;
	long to_guest;	 /* frames sent that reach the guest's driver (all but FC_BEYOND) */
	long violations; /* answers to malformed frames */
	struct fc_stats st;
	int got_stats;
	unsigned qseq;		    /* the tag of the latest request for counters */
	long q_to_guest;	    /* to_guest when it was sent (the request included) */
	long st_to_guest;	    /* the same for the request st answers */
	uint32_t tcp_seq, tcp_ack;  /* the guest's SYN-ACK, for the TCP check */
	int tcp_state;		    /* 1 SYN-ACK seen, 2 our data echoed */
	long tcp_acks, acks_wanted; /* bare ACKs from port 7 seen, and awaited (fc_have_ack) */
	uint32_t tcp_acked;	    /* the acknowledgment number of the latest */
	long tcp_other;		    /* anything else from port 7 after the SYN-ACK: data, RST */
	uint8_t tcp_data[16];
	int udp_echoed;
	uint8_t udp_data[32];
};

static void fc_send(struct fc *c, const uint8_t *f, size_t n)
{
	if (send(c->s, f, n, 0) == (ssize_t)n && n <= 2048)
		c->to_guest++;
}

/* Reads what the guest sends for up to ms milliseconds, or until done() says so: answers ARP
 * (through fc_send, so the answer is counted), notes the counters, echoes and SYN-ACKs, and
 * any answer to a malformed frame. */
static void fc_pump(struct fc *c, int ms, int (*done)(struct fc *))
{
	static uint8_t f[16384];
	uint64_t end = now_us() + (uint64_t)ms * 1000u;
	while (!(done && done(c)) && now_us() < end) {
		struct pollfd p = {.fd = c->s, .events = POLLIN};
		if (poll(&p, 1, 20) <= 0)
			continue;
		ssize_t r = recv(c->s, f, sizeof(f), 0);
		if (r < 42)
			continue;
		size_t n = (size_t)r;
		if (f[12] == 0x08 && f[13] == 0x06) {
			if (f[21] == 1 && ((uint32_t)f[38] << 24 | (uint32_t)f[39] << 16 |
					   (uint32_t)f[40] << 8 | f[41]) == my_ip) {
				uint8_t a[42];
				memcpy(a, f + 6, 6);
				memcpy(a + 6, my_mac, 6);
				put16(a + 12, 0x0806);
				memcpy(a + 14, f + 14, 6);
				put16(a + 20, 2);
				memcpy(a + 22, my_mac, 6);
				put32(a + 28, my_ip);
				memcpy(a + 32, f + 22, 10);
				memcpy(guest_mac, f + 22, 6);
				fc_send(c, a, sizeof(a));
			}
			continue;
		}
		if (f[12] != 0x08 || f[13] != 0x00 || (f[14] & 0x0f) != 5)
			continue;
		const uint8_t *l4 = f + 34;
		size_t l4len = n - 34;
		uint16_t sport = (uint16_t)(l4[0] << 8 | l4[1]),
			 dport = (uint16_t)(l4[2] << 8 | l4[3]);
		if ((f[23] == 17 || f[23] == 6) && dport == FC_BAD_PORT) {
			c->violations++;
			continue;
		}
		if (f[23] == 17 && sport == 9 && l4len > 8) {
			char line[512];
			size_t m = l4len - 8 < sizeof(line) - 1 ? l4len - 8 : sizeof(line) - 1;
			memcpy(line, l4 + 8, m);
			line[m] = 0;
			struct fc_stats st;
			char tag[20];
			int ok = sscanf(line,
					"stats rx_frames=%llu rx_dropped=%llu tx_frames=%llu "
					"tx_dropped=%llu link_drop=%u etharp_drop=%u ip_drop=%u "
					"ip_chkerr=%u ip_lenerr=%u udp_drop=%u udp_chkerr=%u "
					"tcp_drop=%u tcp_chkerr=%u %19s",
					&st.rx_frames, &st.rx_dropped, &st.tx_frames,
					&st.tx_dropped, &st.link_drop, &st.etharp_drop, &st.ip_drop,
					&st.ip_chkerr, &st.ip_lenerr, &st.udp_drop, &st.udp_chkerr,
					&st.tcp_drop, &st.tcp_chkerr, tag) == 14;
			/* an answer to an earlier request (it came late) is not the one wanted */
			if (ok && tag[0] == '#' && strtoul(tag + 1, NULL, 10) == c->qseq) {
				c->st = st;
				c->st_to_guest = c->q_to_guest;
				c->got_stats = 1;
			}
		} else if (f[23] == 17 && sport == 7 && l4len == 8 + sizeof(c->udp_data) &&
			   !memcmp(l4 + 8, c->udp_data, sizeof(c->udp_data))) {
			c->udp_echoed = 1;
		} else if (f[23] == 6 && sport == 7 && l4len >= 20) {
			uint8_t flags = l4[13];
			size_t hl = (size_t)(l4[12] >> 4) * 4;
			uint32_t seq = (uint32_t)l4[4] << 24 | (uint32_t)l4[5] << 16 |
				       (uint32_t)l4[6] << 8 | l4[7];
			if ((flags & 0x12) == 0x12) {
				c->tcp_seq = seq + 1;
				c->tcp_state = c->tcp_state ? c->tcp_state : 1;
			} else if (hl <= l4len && l4len - hl == sizeof(c->tcp_data) &&
				   !memcmp(l4 + hl, c->tcp_data, sizeof(c->tcp_data))) {
				c->tcp_state = 2;
			} else if (flags == 0x10 && hl == l4len) {
				c->tcp_acks++;
				c->tcp_acked = (uint32_t)l4[8] << 24 | (uint32_t)l4[9] << 16 |
					       (uint32_t)l4[10] << 8 | l4[11];
			} else {
				c->tcp_other++;
			}
		}
	}
}

static int fc_have_stats(struct fc *c)
{
	return c->got_stats;
}
static int fc_have_udp(struct fc *c)
{
	return c->udp_echoed;
}
static int fc_have_synack(struct fc *c)
{
	return c->tcp_state >= 1;
}
static int fc_have_tcp(struct fc *c)
{
	return c->tcp_state == 2;
}

static int fc_have_ack(struct fc *c)
{
	return c->tcp_acks >= c->acks_wanted;
}

/* The guest's MAC once its ARP request told it, broadcast before. */
static const uint8_t *fc_dst(void)
{
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	return guest_mac[0] || guest_mac[1] ? guest_mac : bcast;
}

/* Asks for the counters; the answer comes after the guest took every frame sent before. A
 * request lost (a full socket buffer after a burst) is asked again under a new tag. */
static int fc_query(struct fc *c)
{
	static uint8_t f[128];
	c->got_stats = 0;
	for (int t = 0; t < 10 && !c->got_stats; t++) {
		char q[24];
		int len = snprintf(q, sizeof(q), "stats #%u", ++c->qseq);
		size_t n = udp_frame(f, fc_dst(), c->guest_ip, q, (size_t)len);
		put16(f + 36, 9);
		fc_send(c, f, n);
		c->q_to_guest = c->to_guest;
		fc_pump(c, 2000, fc_have_stats);
	}
	return c->got_stats;
}

/* The UDP socket bound to 127.0.0.1:port (QEMU's end of the segment) in /proc/net/udp: the
 * bytes waiting in its receive buffer, and the datagrams the kernel dropped for it (the buffer
 * full); 0 when found, -1 when not. */
static int udp_socket_state(const char *port, long *queued, long *drops)
{
	FILE *f = fopen("/proc/net/udp", "r");
	if (!f)
		return -1;
	char want[32], line[512];
	snprintf(want, sizeof(want), "0100007F:%04X", (unsigned)atoi(port));
	int found = -1;
	while (fgets(line, sizeof(line), f)) {
		/* sl local rem st tx_queue:rx_queue tr:when retrnsmt uid timeout inode ref ptr
		 * drops */
		char *tok[16];
		int n = 0;
		for (char *t = strtok(line, " \t\n"); t && n < 16; t = strtok(NULL, " \t\n"))
			tok[n++] = t;
		if (n < 13 || strcmp(tok[1], want) != 0)
			continue;
		char *colon = strchr(tok[4], ':');
		*queued = colon ? strtol(colon + 1, NULL, 16) : 0;
		*drops = atol(tok[n - 1]);
		found = 0;
	}
	fclose(f);
	return found;
}

static long udp_drops(const char *port)
{
	long queued, drops;
	return udp_socket_state(port, &queued, &drops) == 0 ? drops : -1;
}

/* Waits while more than max bytes wait for QEMU in its socket's receive buffer: sends no faster
 * than QEMU reads (what QEMU does with the frames then is up to its netdevs). */
static void wait_qemu_reads(const char *port, long max)
{
	long queued, drops;
	for (int i = 0; i < 20000 && udp_socket_state(port, &queued, &drops) == 0 && queued > max;
	     i++)
		usleep(100);
}

static int frames_count(const char *qemu_port, const char *my_port, const char *guest, long burst,
			long count, long batch)
{
	struct fc c = {.s = socket(AF_INET, SOCK_DGRAM, 0)};
	struct sockaddr_in me = addr_of("127.0.0.1", my_port), q = addr_of("127.0.0.1", qemu_port);
	if (bind(c.s, (struct sockaddr *)&me, sizeof(me)) != 0 ||
	    connect(c.s, (struct sockaddr *)&q, sizeof(q)) != 0)
		return perror("frames-count: socket"), 1;
	int big = 4 << 20;
	setsockopt(c.s, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	struct in_addr gi;
	inet_pton(AF_INET, guest, &gi);
	c.guest_ip = ntohl(gi.s_addr);
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	static uint8_t f[16384];
	srand(11);
	if (!fc_query(&c))
		return printf("frames-count: the guest's counters never came\n"), 1;
	struct fc_stats s0 = c.st;
	long t0 = c.st_to_guest;

	/* 1. A burst as fast as QEMU reads it. With usb-net straight on the socket netdev, QEMU
	 * reads a frame only when the device has room (one frame), so the guest paces the burst;
	 * behind a QEMU hub with another port that always takes frames, QEMU queues them for
	 * usb-net and the guest gets them back to back, far beyond its 32-slot ring. */
	long i = 0, before = c.to_guest, burst_drops = udp_drops(qemu_port);
	long burst_kinds[FC_KINDS] = {0};
	for (long b = 0; b < burst; b++, i++) {
		size_t n = fc_make(f, i, i % FC_KINDS, c.guest_ip, bcast);
		if (b % 16 == 0)
			wait_qemu_reads(qemu_port, 64 * 1024);
		fc_send(&c, f, n);
		burst_kinds[i % FC_KINDS]++;
	}
	long burst_sent = c.to_guest - before;
	if (!fc_query(&c))
		return printf("frames-count: no counters after the burst\n"), 1;
	struct fc_stats s1 = c.st;
	long t1 = c.st_to_guest;
	burst_drops = burst_drops >= 0 ? udp_drops(qemu_port) - burst_drops : -1;
	long took = (long)(s1.rx_frames + s1.rx_dropped - s0.rx_frames - s0.rx_dropped) -
		    (t1 - t0 - burst_sent); /* less the queries and ARP answers */
	long burst_drop =
	    burst_kinds[FC_RUNT] + burst_kinds[FC_OVERSIZED] + burst_kinds[FC_FULL_BUFFER];
	int burst_ok = took == burst_sent && (long)(s1.rx_dropped - s0.rx_dropped) == burst_drop;
	printf("frames-count: burst of %ld malformed frames, %ld for the guest: it took %ld, its "
	       "driver dropped %llu (expected %ld); the host dropped %ld on the way to QEMU\n",
	       burst, burst_sent, took, s1.rx_dropped - s0.rx_dropped, burst_drop, burst_drops);

	/* 2. COUNT frames in batches of BATCH, each batch followed by a request for the counters,
	 * so that nothing is lost on the way and every frame must show in the guest's counters. */
	long kinds[FC_KINDS] = {0};
	long host_drops = udp_drops(qemu_port);
	for (long sent = 0; sent < count; i++) {
		long kind = i % FC_KINDS;
		size_t n = fc_make(f, i, kind, c.guest_ip, fc_dst());
		fc_send(&c, f, n);
		kinds[kind]++;
		sent++;
		if (sent % batch == 0 || sent == count) {
			if (!fc_query(&c))
				return printf("frames-count: no counters after %ld frames\n", sent),
				       1;
		}
	}
	struct fc_stats s2 = c.st;
	if (host_drops >= 0 && udp_drops(qemu_port) > host_drops)
		printf("frames-count: the host dropped %ld frames on the way to QEMU: the counts "
		       "cannot match (smaller batches)\n",
		       udp_drops(qemu_port) - host_drops);
	long want_drop = kinds[FC_RUNT] + kinds[FC_OVERSIZED] + kinds[FC_FULL_BUFFER];
	long want_up = c.st_to_guest - t1 - want_drop;
	unsigned long long drop = s2.rx_dropped - s1.rx_dropped, up = s2.rx_frames - s1.rx_frames;
	printf("frames-count: %ld malformed frames sent: %ld runts, %ld of 1515-2047 bytes, %ld of "
	       "2048, %ld beyond 2048, %ld with bad headers\n",
	       count, kinds[FC_RUNT], kinds[FC_OVERSIZED], kinds[FC_FULL_BUFFER], kinds[FC_BEYOND],
	       count - kinds[FC_RUNT] - kinds[FC_OVERSIZED] - kinds[FC_FULL_BUFFER] -
		   kinds[FC_BEYOND]);
	printf(
	    "frames-count: driver dropped %llu (expected %ld), passed up %llu (expected %ld: the "
	    "rest, queries and ARP answers included)\n",
	    drop, want_drop, up, want_up);
	printf(
	    "frames-count: lwIP dropped: link %u, etharp %u, ip %u (checksum %u, length %u), udp "
	    "%u (checksum %u), tcp %u (checksum %u)\n",
	    s2.link_drop - s1.link_drop, s2.etharp_drop - s1.etharp_drop, s2.ip_drop - s1.ip_drop,
	    s2.ip_chkerr - s1.ip_chkerr, s2.ip_lenerr - s1.ip_lenerr, s2.udp_drop - s1.udp_drop,
	    s2.udp_chkerr - s1.udp_chkerr, s2.tcp_drop - s1.tcp_drop,
	    s2.tcp_chkerr - s1.tcp_chkerr);
	int ok = burst_ok && (long)drop == want_drop && (long)up == want_up;
	/* lwIP 2.1.3 drops each bad header at its own layer and counts it there; a fragment
	 * waits for the rest of its datagram (reassembly) instead. */
	int layers =
	    s2.etharp_drop - s1.etharp_drop ==
		(unsigned)(kinds[FC_JUNK] + kinds[FC_ETHERTYPE] + kinds[FC_ARP_TRUNC]) &&
	    s2.ip_drop - s1.ip_drop == (unsigned)(kinds[FC_IP_TRUNC] + kinds[FC_IP_CSUM] +
						  kinds[FC_IP_LEN] + kinds[FC_IP_IHL]) &&
	    s2.ip_chkerr - s1.ip_chkerr == (unsigned)kinds[FC_IP_CSUM] &&
	    s2.udp_drop - s1.udp_drop == (unsigned)(kinds[FC_UDP_TRUNC] + kinds[FC_UDP_CSUM]) &&
	    s2.udp_chkerr - s1.udp_chkerr == (unsigned)kinds[FC_UDP_CSUM] &&
	    s2.tcp_drop - s1.tcp_drop ==
		(unsigned)(kinds[FC_TCP_TRUNC] + kinds[FC_TCP_CSUM] + kinds[FC_TCP_OFF]) &&
	    s2.tcp_chkerr - s1.tcp_chkerr == (unsigned)kinds[FC_TCP_CSUM];
	printf("frames-count: every frame counted %s\n", ok ? "exactly" : "WRONG");
	printf("frames-count: lwIP dropped every bad header at its layer %s\n",
	       layers ? "exactly" : "WRONG");

	/* 3. The guest still answers: a UDP echo, and a TCP connection on port 7 that echoes. */
	fc_pump(&c, 200, NULL);
	for (size_t j = 0; j < sizeof(c.udp_data); j++)
		c.udp_data[j] = (uint8_t)(j * 5 + 1);
	for (int t = 0; t < 20 && !c.udp_echoed; t++) {
		fc_send(&c, f, udp_frame(f, guest_mac, c.guest_ip, c.udp_data, sizeof(c.udp_data)));
		fc_pump(&c, 500, fc_have_udp);
	}
	uint16_t port = (uint16_t)(40000 + getpid() % 20000);
	uint32_t iss = 7000;
	for (int t = 0; t < 10 && c.tcp_state < 1; t++) {
		fc_send(&c, f, tcp_frame(f, guest_mac, c.guest_ip, port, 7, iss, 0, 0x02, NULL, 0));
		fc_pump(&c, 1000, fc_have_synack);
	}
	memcpy(c.tcp_data, "echo me over tcp", sizeof(c.tcp_data));
	for (int t = 0; t < 10 && c.tcp_state == 1; t++) {
		fc_send(&c, f,
			tcp_frame(f, guest_mac, c.guest_ip, port, 7, iss + 1, c.tcp_seq, 0x18,
				  c.tcp_data, sizeof(c.tcp_data)));
		fc_pump(&c, 1000, fc_have_tcp);
	}
	fc_send(&c, f, tcp_frame(f, guest_mac, c.guest_ip, port, 7, iss + 17, 0, 0x04, NULL, 0));
	fc_pump(&c, 300, NULL); /* late answers to malformed frames count too */
	printf("frames-count: answers to malformed frames: %ld\n", c.violations);
	printf("frames-count: guest %s UDP, %s TCP\n",
	       c.udp_echoed ? "still echoes" : "no longer echoes",
	       c.tcp_state == 2 ? "still echoes" : "no longer echoes");
	return ok && layers && !c.violations && c.udp_echoed && c.tcp_state == 2 ? 0 : 1;
}

/* ---- tcp-far-seq: segments 2^31 from the guest's receive window ----
 * lwIP 2.1.3 fails an assertion ("insane offset!", tcp_in.c) on a segment of one sequence
 * number exactly 2^31 from rcv_nxt, and the runtime panics on it; net/listen.c drops every
 * segment from 2^31 - 64 KiB to 2^31 + 64 KiB past rcv_nxt and answers it with an ACK (none for
 * a RST), as RFC 9293 says of a segment that is not acceptable. */
static int far_seq_send(struct fc *c, const char *what, uint16_t port, uint32_t seq, uint8_t flags,
			const char *data, uint32_t rcv_nxt)
{
	static uint8_t f[128];
	size_t len = data ? strlen(data) : 0;
	long other = c->tcp_other;
	c->acks_wanted = c->tcp_acks + 1;
	fc_send(c, f,
		tcp_frame(f, guest_mac, c->guest_ip, port, 7, seq, c->tcp_seq, flags, data, len));
	fc_pump(c, flags & 0x04 ? 500 : 3000, flags & 0x04 ? NULL : fc_have_ack);
	int ok =
	    flags & 0x04 ? c->tcp_acks < c->acks_wanted : fc_have_ack(c) && c->tcp_acked == rcv_nxt;
	ok = ok && c->tcp_other == other;
	printf("tcp-far-seq: %s at rcv_nxt + %#x: %s\n", what, seq - rcv_nxt,
	       !ok	      ? "WRONG (no answer, or not just an ACK of rcv_nxt)"
	       : flags & 0x04 ? "dropped, no answer"
			      : "dropped, ACK of rcv_nxt");
	return ok;
}

static int tcp_far_seq(const char *qemu_port, const char *my_port, const char *guest)
{
	struct fc c = {.s = socket(AF_INET, SOCK_DGRAM, 0)};
	struct sockaddr_in me = addr_of("127.0.0.1", my_port), q = addr_of("127.0.0.1", qemu_port);
	if (bind(c.s, (struct sockaddr *)&me, sizeof(me)) != 0 ||
	    connect(c.s, (struct sockaddr *)&q, sizeof(q)) != 0)
		return perror("tcp-far-seq: socket"), 1;
	struct in_addr gi;
	inet_pton(AF_INET, guest, &gi);
	c.guest_ip = ntohl(gi.s_addr);
	static uint8_t f[128];
	/* A UDP echo first: the guest is up, and its ARP request tells its MAC. */
	for (size_t j = 0; j < sizeof(c.udp_data); j++)
		c.udp_data[j] = (uint8_t)(j * 3 + 2);
	for (int t = 0; t < 20 && !c.udp_echoed; t++) {
		fc_send(&c, f, udp_frame(f, fc_dst(), c.guest_ip, c.udp_data, sizeof(c.udp_data)));
		fc_pump(&c, 500, fc_have_udp);
	}
	if (!c.udp_echoed)
		return printf("tcp-far-seq: the guest never echoed UDP\n"), 1;
	uint16_t port = (uint16_t)(40000 + getpid() % 20000);
	uint32_t iss = 0x5000, nxt = iss + 1, half = 0x80000000u, band = 0x10000u;
	for (int t = 0; t < 10 && c.tcp_state < 1; t++) {
		fc_send(&c, f, tcp_frame(f, guest_mac, c.guest_ip, port, 7, iss, 0, 0x02, NULL, 0));
		fc_pump(&c, 1000, fc_have_synack);
	}
	if (c.tcp_state < 1)
		return printf("tcp-far-seq: no SYN-ACK\n"), 1;
	c.tcp_other = 0;
	int ok = far_seq_send(&c, "SYN_RCVD, ACK with a byte", port, nxt + half, 0x18, "x", nxt);
	/* the handshake's ACK, which nothing answers */
	fc_send(&c, f, tcp_frame(f, guest_mac, c.guest_ip, port, 7, nxt, c.tcp_seq, 0x10, NULL, 0));
	fc_pump(&c, 200, NULL);
	ok &= far_seq_send(&c, "a byte", port, nxt + half, 0x18, "x", nxt);
	ok &= far_seq_send(&c, "a FIN", port, nxt + half, 0x11, NULL, nxt);
	ok &= far_seq_send(&c, "a RST", port, nxt + half, 0x14, NULL, nxt);
	ok &= far_seq_send(&c, "a byte", port, nxt + half - band, 0x18, "x", nxt);
	ok &= far_seq_send(&c, "a byte", port, nxt + half + band, 0x18, "x", nxt);
	memcpy(c.tcp_data, "echo me over tcp", sizeof(c.tcp_data));
	for (int t = 0; t < 10 && c.tcp_state == 1; t++) {
		fc_send(&c, f,
			tcp_frame(f, guest_mac, c.guest_ip, port, 7, nxt, c.tcp_seq, 0x18,
				  c.tcp_data, sizeof(c.tcp_data)));
		fc_pump(&c, 1000, fc_have_tcp);
	}
	fc_send(&c, f, tcp_frame(f, guest_mac, c.guest_ip, port, 7, nxt + 16, 0, 0x04, NULL, 0));
	c.udp_echoed = 0;
	for (int t = 0; t < 20 && !c.udp_echoed; t++) {
		fc_send(&c, f, udp_frame(f, guest_mac, c.guest_ip, c.udp_data, sizeof(c.udp_data)));
		fc_pump(&c, 500, fc_have_udp);
	}
	printf("tcp-far-seq: guest %s TCP on the connection, %s UDP\n",
	       c.tcp_state == 2 ? "still echoes" : "no longer echoes",
	       c.udp_echoed ? "still echoes" : "no longer echoes");
	return ok && c.tcp_state == 2 && c.udp_echoed ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc == 6 && !strcmp(argv[1], "frames"))
		return frames(argv[2], argv[3], argv[4], atol(argv[5]));
	if (argc == 8 && !strcmp(argv[1], "frames-count"))
		return frames_count(argv[2], argv[3], argv[4], atol(argv[5]), atol(argv[6]),
				    atol(argv[7]));
	if (argc == 5 && !strcmp(argv[1], "tcp-far-seq"))
		return tcp_far_seq(argv[2], argv[3], argv[4]);
	if (argc == 6 && !strcmp(argv[1], "udp-flood"))
		return udp_flood(argv[2], argv[3], atol(argv[4]), atol(argv[5]));
	if (argc >= 5 && !strcmp(argv[1], "udp-echo"))
		return udp_echo(argv[2], argv[3], atol(argv[4]), argc > 5 ? atol(argv[5]) : 1472);
	if (argc == 5 && !strcmp(argv[1], "wait-udp"))
		return wait_udp(argv[2], argv[3], atol(argv[4]));
	if (argc == 6 && !strcmp(argv[1], "tcp-echo"))
		return tcp_echo(argv[2], argv[3], atol(argv[4]), atol(argv[5]));
	if (argc == 5 && !strcmp(argv[1], "mdns"))
		return mdns(argv[2], argv[3], argv[4]);
	fprintf(stderr, "usage: netprobe udp-echo|wait-udp|udp-flood|tcp-echo HOST PORT ... | "
			"mdns NAME A|AAAA IFADDR|IFNAME | "
			"frames QPORT MYPORT GUEST COUNT | "
			"frames-count QPORT MYPORT GUEST BURST COUNT BATCH | "
			"tcp-far-seq QPORT MYPORT GUEST\n");
	return 2;
}
