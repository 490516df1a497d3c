/*
 * tls: uk/tls.h in QEMU over the network (net.ip from the boot arguments).
 *   client: tls.connect=A.B.C.D:PORT tls.name=NAME tls.get=/PATH [tls.cert= tls.key=]
 *           GETs PATH over HTTPS (HTTP/1.0) and prints the body's length and FNV-1a hash;
 *           tls.nonblock=1 makes the socket non-blocking first (TLS must still finish)
 *   server: tls.serve=PORT [tls.count=N] [tls.mutual=1]
 *           answers N HTTPS requests with "hello over TLS", printing each client's outcome
 * Certificates are read from /data (ca.pem, server.pem, server.key, client.pem, client.key),
 * or from tls.ca, tls.cert, tls.key.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <uk/config.h>
#include <uk/net.h>
#include <uk/time.h>
#include <uk/tls.h>

static const char *arg(const char *key, const char *fallback)
{
	const char *v = uk_config_get(key);
	return v && *v ? v : fallback;
}

static int client(const char *where)
{
	char host[32];
	const char *colon = strchr(where, ':');
	if (!colon || (size_t)(colon - where) >= sizeof host)
		return printf("tls: tls.connect=A.B.C.D:PORT\n"), 1;
	memcpy(host, where, (size_t)(colon - where));
	host[colon - where] = 0;
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons((uint16_t)atoi(colon + 1))};
	inet_pton(AF_INET, host, &sa.sin_addr);
	char why[200];
	struct uk_tls_config *cfg =
	    uk_tls_config_new(UK_TLS_CLIENT,
			      &(struct uk_tls_options){.ca_file = arg("tls.ca", "/data/ca.pem"),
						       .cert_file = uk_config_get("tls.cert"),
						       .key_file = uk_config_get("tls.key"),
						       .server_name = arg("tls.name", "host.test")},
			      why, sizeof why);
	if (!cfg)
		return printf("tls: config: %s\n", why), 1;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
		return printf("tls: connect %s: %s\n", where, strerror(errno)), 1;
	if (uk_config_get("tls.nonblock"))
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL, 0) | O_NONBLOCK);
	struct uk_tls *t = uk_tls_connect(fd, cfg, why, sizeof why);
	if (!t) {
		printf("tls: handshake failed: %s\n", why);
		close(fd);
		return 1;
	}
	printf("tls: connected with %s\n", uk_tls_cipher(t));
	char req[160];
	int n = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\n\r\n", arg("tls.get", "/"));
	uk_tls_write(t, req, (size_t)n);
	static char buf[16384];
	uint64_t hash = 14695981039346656037ull, body = 0;
	int in_header = 1, state = 0;
	ssize_t got;
	while ((got = uk_tls_read(t, buf, sizeof buf)) > 0) {
		for (ssize_t i = 0; i < got; i++) {
			if (in_header) { /* the body starts after "\r\n\r\n" */
				state = buf[i] == (state % 2 ? '\n' : '\r') ? state + 1
									    : buf[i] == '\r';
				in_header = state < 4;
				continue;
			}
			hash = (hash ^ (uint8_t)buf[i]) * 1099511628211ull;
			body++;
		}
	}
	printf("tls: body %" PRIu64 " bytes, fnv1a %016" PRIx64 "%s\n", body, hash,
	       got < 0 ? " (read error)" : "");
	uk_tls_close(t);
	close(fd);
	uk_tls_config_free(cfg);
	return got < 0;
}

static int server(int port)
{
	char why[200];
	bool mutual = uk_config_get("tls.mutual") != NULL;
	struct uk_tls_config *cfg = uk_tls_config_new(
	    UK_TLS_SERVER,
	    &(struct uk_tls_options){.ca_file = mutual ? arg("tls.ca", "/data/ca.pem") : NULL,
				     .cert_file = arg("tls.cert", "/data/server.pem"),
				     .key_file = arg("tls.key", "/data/server.key"),
				     .require_client_cert = mutual},
	    why, sizeof why);
	if (!cfg)
		return printf("tls: config: %s\n", why), 1;
	int ls = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (bind(ls, (struct sockaddr *)&sa, sizeof sa) || listen(ls, 4))
		return printf("tls: listen: %s\n", strerror(errno)), 1;
	printf("tls: serving HTTPS on port %d%s\n", port, mutual ? " (client certificates)" : "");
	for (long i = 0, count = uk_config_int("tls.count", 1); i < count; i++) {
		int fd = accept(ls, NULL, NULL);
		if (fd < 0) { /* a connection reset before it was taken: not a client */
			printf("tls: accept: %s\n", strerror(errno));
			i--;
			continue;
		}
		struct uk_tls *t = uk_tls_accept(fd, cfg, why, sizeof why);
		if (!t) {
			printf("tls: client %ld refused: %s\n", i + 1, why);
			close(fd);
			continue;
		}
		char req[512];
		ssize_t asked = uk_tls_read(t, req, sizeof req);
		const char reply[] =
		    "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nhello over TLS\n";
		ssize_t sent = uk_tls_write(t, reply, sizeof reply - 1);
		uk_tls_close(t);
		close(fd);
		printf("tls: client %ld served (request %zd bytes, reply %zd)\n", i + 1, asked,
		       sent);
	}
	close(ls);
	uk_tls_config_free(cfg);
	return 0;
}

int main(void)
{
	if (uk_net_start() != 0 || uk_net_wait_up(30000000000ull) != 0)
		return printf("tls: no network\n"), 1;
	const char *to = uk_config_get("tls.connect");
	if (to)
		return client(to);
	long port = uk_config_int("tls.serve", 0);
	if (port > 0)
		return server((int)port);
	printf("tls: give tls.connect=A.B.C.D:PORT or tls.serve=PORT\n");
	return 1;
}
