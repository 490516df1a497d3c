/* https-server: HTTPS (TLS 1.2, uk/tls.h) with plain POSIX sockets, one client at a time.
 *   GET /             a short HTML page
 *   GET /files/NAME   the file /data/www/NAME (put it there with `uk data put`, or ship it in
 *                     the app's data/www/ folder)
 * Its certificate and key are /data/server.pem and /data/server.key (or https.cert= and
 * https.key=), e.g. made with openssl and put in the app's data/ folder before `uk build`:
 *     openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 \
 *         -subj /CN=uk.local -keyout data/server.key -out data/server.pem
 * https.port= (default 443). A client that sends no request within 10 s is dropped; one that
 * fails the handshake is reported and the server goes on.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <uk/config.h>
#include <uk/net.h>
#include <uk/tls.h>

static void send_text(struct uk_tls *t, const char *status, const char *type, const char *body)
{
	char head[160];
	int n = snprintf(head, sizeof head,
			 "HTTP/1.0 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n\r\n", status,
			 type, strlen(body));
	uk_tls_write(t, head, (size_t)n);
	uk_tls_write(t, body, strlen(body));
}

/* Sends /data/www/NAME; NAME may not leave the folder. */
static void send_file(struct uk_tls *t, const char *name)
{
	char path[160];
	if (!*name || strstr(name, "..") || strchr(name, '/') ||
	    snprintf(path, sizeof path, "/data/www/%s", name) >= (int)sizeof path) {
		send_text(t, "400 Bad Request", "text/plain", "bad file name\n");
		return;
	}
	FILE *f = fopen(path, "rb");
	if (!f) {
		send_text(t, "404 Not Found", "text/plain", "no such file\n");
		return;
	}
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	fseek(f, 0, SEEK_SET);
	char head[160];
	int n = snprintf(head, sizeof head,
			 "HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\n"
			 "Content-Length: %ld\r\n\r\n",
			 size);
	uk_tls_write(t, head, (size_t)n);
	static char buf[16384];
	size_t got;
	while ((got = fread(buf, 1, sizeof buf, f)) > 0)
		if (uk_tls_write(t, buf, got) < 0)
			break;
	fclose(f);
}

int main(void)
{
	char why[200];
	struct uk_tls_config *cfg = uk_tls_config_new(
	    UK_TLS_SERVER,
	    &(struct uk_tls_options){
		.cert_file =
		    uk_config_get("https.cert") ? uk_config_get("https.cert") : "/data/server.pem",
		.key_file =
		    uk_config_get("https.key") ? uk_config_get("https.key") : "/data/server.key"},
	    why, sizeof why);
	if (!cfg) {
		printf("https-server: %s\n", why);
		return 1;
	}
	if (uk_net_start() != 0 || uk_net_wait_up(30000000000ull) != 0) {
		printf("https-server: no network\n");
		return 1;
	}
	long port = uk_config_int("https.port", 443);
	int ls = socket(AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port)};
	if (bind(ls, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(ls, 8) != 0) {
		printf("https-server: port %ld: %s\n", port, strerror(errno));
		return 1;
	}
	printf("https-server: serving on port %ld\n", port);
	for (unsigned long served = 0;;) {
		int fd = accept(ls, NULL, NULL);
		if (fd < 0)
			continue;
		struct timeval idle = {10, 0};
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof idle);
		struct uk_tls *t = uk_tls_accept(fd, cfg, why, sizeof why);
		if (!t) {
			printf("https-server: a client failed the handshake: %s\n", why);
			close(fd);
			continue;
		}
		char req[1024];
		ssize_t n = uk_tls_read(t, req, sizeof req - 1);
		req[n > 0 ? n : 0] = 0;
		char method[8], target[256];
		if (sscanf(req, "%7s %255s", method, target) != 2)
			send_text(t, "400 Bad Request", "text/plain", "bad request\n");
		else if (strcmp(method, "GET"))
			send_text(t, "405 Method Not Allowed", "text/plain", "GET only\n");
		else if (!strcmp(target, "/"))
			send_text(
			    t, "200 OK", "text/html",
			    "<!doctype html><title>uk</title><h1>Hello over HTTPS from uk</h1>\n");
		else if (!strncmp(target, "/files/", 7))
			send_file(t, target + 7);
		else
			send_text(t, "404 Not Found", "text/plain", "not found\n");
		if (++served == 1)
			printf("https-server: first client served (%s)\n", uk_tls_cipher(t));
		uk_tls_close(t);
		close(fd);
	}
}
