/*
 * Test app: plain POSIX sockets, no uk header. One thread multiplexes with poll(): a UDP echo
 * and a TCP echo on port 7, a TCP server on port 80 answering one line, plus checks of
 * getaddrinfo, inet_pton/ntop, setsockopt and non-blocking mode, and select() on traffic to
 * 127.0.0.1 (a datagram, a connection to its own listener). The network comes up before
 * main because a net.* boot argument is given. The same file builds as a Linux program.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 120

static int listen_on(int type, int port)
{
	int s = socket(AF_INET, type, 0);
	int one = 1;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_ANY);
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) != 0) {
		printf("sockets: bind %d: %s\n", port, strerror(errno));
		return -1;
	}
	if (type == SOCK_STREAM && listen(s, 128) != 0) {
		printf("sockets: listen %d: %s\n", port, strerror(errno));
		return -1;
	}
	return s;
}

static int self_checks(void)
{
	struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res;
	int r = getaddrinfo("10.0.2.2", "80", &hints, &res);
	if (r != 0) {
		printf("sockets: getaddrinfo failed: %d\n", r);
		return 1;
	}
	char text[INET_ADDRSTRLEN];
	struct sockaddr_in *sin = (struct sockaddr_in *)res->ai_addr;
	inet_ntop(AF_INET, &sin->sin_addr, text, sizeof(text));
	printf("sockets: getaddrinfo 10.0.2.2:80 -> %s:%d\n", text, ntohs(sin->sin_port));
	freeaddrinfo(res);

	struct in_addr ia;
	if (inet_pton(AF_INET, "192.168.7.9", &ia) != 1 || ntohl(ia.s_addr) != 0xc0a80709) {
		printf("sockets: inet_pton wrong\n");
		return 1;
	}
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	fcntl(s, F_SETFL, fcntl(s, F_GETFL, 0) | O_NONBLOCK);
	char b[4];
	ssize_t n = recv(s, b, sizeof(b), 0);
	printf("sockets: non-blocking recv on an empty socket: %s\n",
	       n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ? "EAGAIN" : "wrong");
	close(s);
	return 0;
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* select() waits for its timeout on an empty socket, and sees a datagram sent to 127.0.0.1
 * and a connection to this program's own listener on 127.0.0.1:port. */
static void select_checks(int listener, int port)
{
	struct sockaddr_in lo = {.sin_family = AF_INET, .sin_port = htons(9)};
	lo.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	if (bind(u, (struct sockaddr *)&lo, sizeof(lo)) != 0)
		printf("sockets: bind 127.0.0.1:9: %s\n", strerror(errno));
	fd_set rd;
	FD_ZERO(&rd);
	FD_SET(u, &rd);
	struct timeval tv = {.tv_usec = 50000};
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int r = select(u + 1, &rd, NULL, NULL, &tv);
	printf("sockets: select on an empty socket: %d after %s\n", r,
	       ms_since(&t0) >= 49 ? "its 50 ms timeout" : "too short a wait");

	int c = socket(AF_INET, SOCK_DGRAM, 0);
	sendto(c, "ping", 4, 0, (struct sockaddr *)&lo, sizeof(lo));
	FD_ZERO(&rd);
	FD_SET(u, &rd);
	tv = (struct timeval){.tv_sec = 2};
	char b[8];
	ssize_t n = select(u + 1, &rd, NULL, NULL, &tv) == 1 ? recv(u, b, sizeof(b), 0) : -1;
	printf("sockets: select: a datagram to 127.0.0.1 is %s\n",
	       n == 4 && !memcmp(b, "ping", 4) ? "readable" : "missing");
	close(c);
	close(u);

	int t = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in to = lo;
	to.sin_port = htons((uint16_t)port);
	r = connect(t, (struct sockaddr *)&to, sizeof(to));
	FD_ZERO(&rd);
	FD_SET(listener, &rd);
	tv = (struct timeval){.tv_sec = 2};
	r = r == 0 ? select(listener + 1, &rd, NULL, NULL, &tv) : -1;
	printf("sockets: select: a connection to 127.0.0.1:%d is %s\n", port,
	       r == 1 && FD_ISSET(listener, &rd) ? "ready to accept" : "missing");
	close(t); /* the main loop accepts it and sees it closed */
}

int main(void)
{
	if (self_checks())
		return 1;
	int udp = listen_on(SOCK_DGRAM, 7), tcp = listen_on(SOCK_STREAM, 7);
	int web = listen_on(SOCK_STREAM, 80);
	if (udp < 0 || tcp < 0 || web < 0)
		return 1;
	select_checks(web, 80);
	struct pollfd p[3 + MAX_CONNS];
	int kind[3 + MAX_CONNS]; /* 0 echo connection, 1 web connection */
	int n = 3;
	p[0] = (struct pollfd){.fd = udp, .events = POLLIN};
	p[1] = (struct pollfd){.fd = tcp, .events = POLLIN};
	p[2] = (struct pollfd){.fd = web, .events = POLLIN};
	printf("sockets: serving udp/tcp echo on 7 and http on 80\n");
	fflush(stdout);
	for (;;) {
		if (poll(p, (nfds_t)n, -1) < 0) {
			printf("sockets: poll: %s\n", strerror(errno));
			return 1;
		}
		if (p[0].revents & POLLIN) {
			char buf[2048];
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			ssize_t len =
			    recvfrom(udp, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
			if (len >= 0)
				sendto(udp, buf, (size_t)len, 0, (struct sockaddr *)&from, fl);
		}
		for (int l = 1; l <= 2; l++) {
			if (!(p[l].revents & POLLIN) || n == 3 + MAX_CONNS)
				continue;
			int c = accept(p[l].fd, NULL, NULL);
			if (c < 0)
				continue;
			int one = 1;
			setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			kind[n] = l == 2;
			p[n++] = (struct pollfd){.fd = c, .events = POLLIN};
		}
		for (int i = 3; i < n; i++) {
			if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			char buf[4096];
			ssize_t len = recv(p[i].fd, buf, sizeof(buf), 0);
			if (len > 0 && kind[i]) {
				static const char page[] =
				    "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
				    "Content-Length: 12\r\n\r\nhello posix\n";
				send(p[i].fd, page, sizeof(page) - 1, 0);
				len = 0; /* one answer, then close */
			}
			if (len > 0) {
				/* echo everything, blocking until the send buffer takes it */
				for (ssize_t off = 0; off < len;) {
					ssize_t w =
					    send(p[i].fd, buf + off, (size_t)(len - off), 0);
					if (w <= 0)
						break;
					off += w;
				}
				continue;
			}
			close(p[i].fd);
			p[i] = p[--n];
			kind[i] = kind[n];
			i--;
		}
	}
}
