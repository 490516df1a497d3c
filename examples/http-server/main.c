/* http-server: a small HTTP/1.0 and 1.1 server in plain POSIX sockets. The same file builds
 * for uk (its sockets layer) and as a Linux program (`cc main.c`).
 *   http-server [PORT]      (default 80; the PORT environment variable works too)
 *   GET /        an HTML page
 *   GET /status  JSON: uptime, requests served, connections; on uk also the target, the
 *                network address and the NIC's frame counters
 *   anything else 404 (405 for methods other than GET and HEAD, 400 for malformed requests)
 * One thread serves every client with poll() and non-blocking sockets; each response is
 * built whole, sent as the socket takes it, and the connection closed ("Connection: close").
 * A client that sends no complete request within 30 s is dropped. Overload is refused, never
 * left waiting: with MAX_CONNS clients open a new one gets "503 Service Unavailable" at once
 * (on uk the stack runs out of sockets first and refuses the connection itself with a reset).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* On uk the runtime's headers are on the include path; on Linux they are not. */
#if defined(__has_include)
#if __has_include(<uk/net.h>)
#include <uk/net.h>
#include <uk/system.h>
#endif
#endif
#ifndef UK_NET_H
#include <sys/utsname.h>
#endif

#define MAX_CONNS  256 /* more than uk's sockets (157), so on uk the stack is the limit */
#define REQ_MAX	   2048
#define RESP_MAX   4096
#define IDLE_LIMIT 30000 /* ms without a complete request */

struct conn {
	char req[REQ_MAX];
	size_t req_len;
	char *resp; /* NULL while reading the request */
	size_t resp_len, resp_off;
	uint64_t since_ms;
};

static struct pollfd fds[1 + MAX_CONNS]; /* fds[0] is the listening socket */
static struct conn *conns[1 + MAX_CONNS];
static int nfds = 1;
static uint64_t start_ms, requests, connections, refused;

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* A growing text buffer; appends that do not fit are cut off (the response stays valid
 * because Content-Length is computed from what was kept). */
struct text {
	char *p;
	size_t len, cap;
};

__attribute__((format(printf, 2, 3))) static void add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->len = t->len + (size_t)n < t->cap ? t->len + (size_t)n : t->cap - 1;
}

/* Appends s as a JSON string literal. */
static void add_json_string(struct text *t, const char *s)
{
	add(t, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			add(t, "\\%c", c);
		else if (c < 0x20)
			add(t, "\\u%04x", c);
		else
			add(t, "%c", c);
	}
	add(t, "\"");
}

static void status_json(struct text *t)
{
	uint64_t up = now_ms() - start_ms;
	add(t, "{\"uptime_s\": %llu.%03u, \"requests\": %llu, \"connections\": %llu, ",
	    (unsigned long long)(up / 1000), (unsigned)(up % 1000), (unsigned long long)requests,
	    (unsigned long long)connections);
	add(t, "\"open_connections\": %d, \"refused\": %llu, \"system\": ", nfds - 1,
	    (unsigned long long)refused);
#ifdef UK_NET_H
	const struct uk_system *s = uk_system();
	struct uk_net_info info;
	struct uk_net_stats st;
	uk_net_get_info(&info);
	uk_net_get_stats(&st);
	add(t, "\"uk\", \"target\": ");
	add_json_string(t, s->target);
	add(t, ", \"model\": ");
	add_json_string(t, s->model);
	add(t, ", \"ram_mib\": %llu, \"hostname\": ", (unsigned long long)(s->ram_size >> 20));
	add_json_string(t, info.hostname);
	add(t, ", \"ipv4\": ");
	add_json_string(t, info.ipv4);
	add(t, ", \"ipv6\": ");
	add_json_string(t, info.ipv6);
	add(t, ", \"mac\": ");
	add_json_string(t, info.mac);
	add(t,
	    ", \"dhcp\": %s, \"rx_frames\": %llu, \"tx_frames\": %llu, \"rx_dropped\": %llu, "
	    "\"tx_dropped\": %llu, \"tcp_refused\": %llu",
	    info.dhcp ? "true" : "false", (unsigned long long)st.rx_frames,
	    (unsigned long long)st.tx_frames, (unsigned long long)st.rx_dropped,
	    (unsigned long long)st.tx_dropped, (unsigned long long)st.tcp_refused);
#else
	struct utsname u;
	if (uname(&u) == 0) {
		add_json_string(t, u.sysname);
		add(t, ", \"release\": ");
		add_json_string(t, u.release);
		add(t, ", \"hostname\": ");
		add_json_string(t, u.nodename);
	} else {
		add(t, "null");
	}
#endif
	add(t, "}\n");
}

static void index_html(struct text *t)
{
	add(t, "<!DOCTYPE html>\n<html><head><title>uk http-server</title></head>\n<body>\n"
	       "<h1>Hello from http-server</h1>\n");
#ifdef UK_NET_H
	add(t, "<p>A uk unikernel on %s.</p>\n", uk_system()->model);
#else
	add(t, "<p>A plain POSIX sockets program.</p>\n");
#endif
	add(t, "<p>Status: <a href=\"/status\">/status</a></p>\n</body></html>\n");
}

/* Builds the whole response to the request in c->req. */
static void respond(struct conn *c)
{
	char method[8] = "", path[256] = "", version[16] = "";
	c->req[c->req_len < REQ_MAX ? c->req_len : REQ_MAX - 1] = '\0';
	int fields = sscanf(c->req, "%7s %255s %15s", method, path, version);
	bool head = !strcmp(method, "HEAD");
	char *query = strchr(path, '?');
	if (query)
		*query = '\0';

	requests++; /* this one included */
	static char body_buf[RESP_MAX - 256];
	struct text body = {body_buf, 0, sizeof(body_buf)};
	const char *status = "200 OK", *type = "text/html; charset=utf-8";
	if (c->req_len >= REQ_MAX - 1) {
		status = "431 Request Header Fields Too Large";
	} else if (fields != 3 || strncmp(version, "HTTP/1.", 7) != 0 || path[0] != '/') {
		status = "400 Bad Request";
	} else if (strcmp(method, "GET") != 0 && !head) {
		status = "405 Method Not Allowed";
	} else if (!strcmp(path, "/")) {
		index_html(&body);
	} else if (!strcmp(path, "/status")) {
		type = "application/json";
		status_json(&body);
	} else {
		status = "404 Not Found";
	}
	if (strncmp(status, "200", 3) != 0) {
		type = "text/plain; charset=utf-8";
		add(&body, "%s\n", status + 4);
	}
	c->resp = malloc(RESP_MAX);
	if (!c->resp)
		return;
	struct text r = {c->resp, 0, RESP_MAX};
	add(&r,
	    "HTTP/1.1 %s\r\nServer: http-server\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
	    "%sConnection: close\r\n\r\n",
	    status, type, body.len, strncmp(status, "405", 3) == 0 ? "Allow: GET, HEAD\r\n" : "");
	if (!head && r.len + body.len < r.cap) {
		memcpy(r.p + r.len, body.p, body.len);
		r.len += body.len;
	}
	c->resp_len = r.len;
	c->resp_off = 0;
}

static void set_nonblocking(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL, 0) | O_NONBLOCK);
}

static void drop(int i)
{
	close(fds[i].fd);
	free(conns[i]->resp);
	free(conns[i]);
	nfds--;
	fds[i] = fds[nfds];
	conns[i] = conns[nfds];
}

/* The answer to a client there is no room for: sent whole into the empty socket, then closed
 * (if its request is already here unread, the close resets the connection, which refuses it
 * just as well). */
static void refuse(int s)
{
	static const char busy[] =
	    "HTTP/1.1 503 Service Unavailable\r\nServer: http-server\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 20\r\n"
	    "Retry-After: 1\r\nConnection: close\r\n\r\n"
	    "Service Unavailable\n";
	send(s, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	close(s);
	refused++;
}

static void accept_all(int listener)
{
	for (;;) {
		int s = accept(listener, NULL, NULL);
		if (s < 0) {
			/* a connection the stack gave up on before we took it: take the next */
			if (errno == ECONNABORTED || errno == EINTR)
				continue;
			return; /* EAGAIN: no more waiting (or no descriptor left: the stack
				   refuses) */
		}
		struct conn *c = nfds <= MAX_CONNS ? calloc(1, sizeof(*c)) : NULL;
		if (!c) {
			refuse(s);
			continue;
		}
		set_nonblocking(s);
		c->since_ms = now_ms();
		fds[nfds] = (struct pollfd){.fd = s, .events = POLLIN};
		conns[nfds] = c;
		nfds++;
		connections++;
	}
}

static bool again(void)
{
	return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

/* Reads the request or sends the response; false when the connection is finished. */
static bool serve(int i)
{
	struct conn *c = conns[i];
	if (!c->resp) {
		ssize_t n = recv(fds[i].fd, c->req + c->req_len, REQ_MAX - 1 - c->req_len, 0);
		if (n == 0 || (n < 0 && !again()))
			return false;
		if (n < 0)
			return true;
		c->req_len += (size_t)n;
		c->req[c->req_len] = '\0';
		/* A request without a body ends with an empty line (a bare LF accepted too). */
		if (!strstr(c->req, "\r\n\r\n") && !strstr(c->req, "\n\n") &&
		    c->req_len < REQ_MAX - 1)
			return true;
		respond(c);
		if (!c->resp)
			return false;
		fds[i].events = POLLOUT;
	}
	while (c->resp_off < c->resp_len) {
		ssize_t n =
		    send(fds[i].fd, c->resp + c->resp_off, c->resp_len - c->resp_off, MSG_NOSIGNAL);
		if (n < 0)
			return again();
		c->resp_off += (size_t)n;
	}
	return false; /* all sent: close */
}

int main(int argc, char **argv)
{
	const char *p = argc > 1 ? argv[1] : getenv("PORT");
	int port = p ? atoi(p) : 80;
	start_ms = now_ms();
	/* One socket for both families: IPv4 clients appear as ::ffff:a.b.c.d (RFC 3493). */
	int s = socket(AF_INET6, SOCK_STREAM, 0);
	if (s < 0) {
		printf("http-server: no socket\n");
		return 1;
	}
	int one = 1, zero = 0;
	setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons((unsigned short)port)};
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(s, 128) != 0) {
		printf("http-server: cannot listen on port %d: %s\n", port, strerror(errno));
		return 1;
	}
	set_nonblocking(s);
	fds[0] = (struct pollfd){.fd = s, .events = POLLIN};
	printf("http-server: serving http on port %d\n", port);
	fflush(stdout);
	for (;;) {
		if (poll(fds, (nfds_t)nfds, 1000) < 0) {
			if (errno == EINTR)
				continue;
			printf("http-server: poll: %s\n", strerror(errno));
			return 1;
		}
		uint64_t now = now_ms();
		/* Connections first: one accepted now is polled from the next round on. */
		for (int i = nfds - 1; i >= 1; i--) {
			bool idle = !conns[i]->resp && now - conns[i]->since_ms > IDLE_LIMIT;
			if (idle || (fds[i].revents && !serve(i)))
				drop(i);
		}
		if (fds[0].revents & POLLIN)
			accept_all(s);
	}
}
