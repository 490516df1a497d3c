/* tcp-echo: a TCP echo server in plain POSIX sockets, no uk headers, so the same file builds
 * for uk (its sockets layer) and as a Linux program (`cc main.c`).
 *   tcp-echo [PORT]      (default 7; the PORT environment variable works too)
 * One thread serves every client with poll() and non-blocking sockets. Each connection has a
 * buffer: while it holds data not yet sent back, the connection waits for POLLOUT and reads
 * nothing more, so a client that does not read its echo slows only itself down.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_CONNS 256
#define BUF_SIZE  4096

struct conn {
	char *buf;
	size_t len, off; /* buf[off..len) still to be sent back */
};

static struct pollfd fds[1 + MAX_CONNS]; /* fds[0] is the listening socket */
static struct conn conns[1 + MAX_CONNS];
static int nfds = 1;

static void set_nonblocking(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL, 0) | O_NONBLOCK);
}

static void drop(int i)
{
	close(fds[i].fd);
	free(conns[i].buf);
	nfds--;
	fds[i] = fds[nfds];
	conns[i] = conns[nfds];
}

static void accept_all(int listener)
{
	for (;;) {
		int c = accept(listener, NULL, NULL);
		if (c < 0)
			return; /* EAGAIN: no more waiting */
		char *buf = nfds <= MAX_CONNS ? malloc(BUF_SIZE) : NULL;
		if (!buf) {
			close(c); /* full: the client sees the connection closed */
			continue;
		}
		set_nonblocking(c);
		fds[nfds] = (struct pollfd){.fd = c, .events = POLLIN};
		conns[nfds] = (struct conn){.buf = buf};
		nfds++;
	}
}

/* Reads or writes what the connection is ready for; false when it is finished. */
static bool serve(int i)
{
	struct conn *c = &conns[i];
	if (c->off == c->len) {
		ssize_t n = recv(fds[i].fd, c->buf, BUF_SIZE, 0);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
			return false;
		c->off = 0;
		c->len = n > 0 ? (size_t)n : 0;
	}
	while (c->off < c->len) {
		ssize_t n = send(fds[i].fd, c->buf + c->off, c->len - c->off, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				break;
			return false;
		}
		c->off += (size_t)n;
	}
	fds[i].events = c->off < c->len ? POLLOUT : POLLIN;
	return true;
}

int main(int argc, char **argv)
{
	const char *p = argc > 1 ? argv[1] : getenv("PORT");
	int port = p ? atoi(p) : 7;
	/* One socket for both families: IPv4 clients appear as ::ffff:a.b.c.d (RFC 3493). */
	int s = socket(AF_INET6, SOCK_STREAM, 0);
	if (s < 0) {
		printf("tcp-echo: no socket\n");
		return 1;
	}
	int one = 1, zero = 0;
	setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons((unsigned short)port)};
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(s, 128) != 0) {
		printf("tcp-echo: cannot listen on port %d: %s\n", port, strerror(errno));
		return 1;
	}
	set_nonblocking(s);
	fds[0] = (struct pollfd){.fd = s, .events = POLLIN};
	printf("tcp-echo: serving tcp on port %d\n", port);
	fflush(stdout);
	for (;;) {
		if (poll(fds, (nfds_t)nfds, -1) < 0) {
			if (errno == EINTR)
				continue;
			printf("tcp-echo: poll: %s\n", strerror(errno));
			return 1;
		}
		/* Connections first: one accepted now is polled from the next round on. */
		for (int i = nfds - 1; i >= 1; i--)
			if (fds[i].revents && !serve(i))
				drop(i);
		if (fds[0].revents & POLLIN)
			accept_all(s);
	}
}
