/*
 * uk_update_fetch (uk/update.h): a bundle over HTTPS (HTTP/1.0 GET, uk/tls.h) streamed into
 * uk_update_install, which checks it while it writes the inactive slot. Nothing custom on the
 * server: any web server that serves a file will do (docs/update.md, "Rollout").
 */
#define _GNU_SOURCE /* strcasestr */
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <uk/tls.h>
#include <uk/update.h>

struct download {
	struct uk_tls *tls;
	char head[4096];      /* the response header, then the body bytes read with it */
	size_t body_at, have; /* where the body starts in head, and how much of head is filled */
	long long want, got;  /* Content-Length (-1: until the server closes), body bytes passed */
};

static void say(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
}

/* uk_update_install's reader: the body bytes that came with the header, then the stream. */
static ssize_t body(void *arg, void *buf, size_t n)
{
	struct download *d = arg;
	if (d->want >= 0 && d->got >= d->want)
		return 0;
	ssize_t r;
	if (d->body_at < d->have) {
		r = (ssize_t)(d->have - d->body_at < n ? d->have - d->body_at : n);
		memcpy(buf, d->head + d->body_at, (size_t)r);
		d->body_at += (size_t)r;
	} else {
		r = uk_tls_read(d->tls, buf, n);
		if (r < 0)
			return -1;
		if (r == 0) /* closed: the end only when no length was promised */
			return d->want < 0 ? 0 : -1;
	}
	d->got += r;
	return r;
}

int uk_update_fetch(const char *url, const char *ca_file, const char *server_name, char *why,
		    size_t why_len)
{
	char host[128], port[8] = "443";
	const char *path;
	if (!url || strncmp(url, "https://", 8) || sscanf(url + 8, "%127[^:/]", host) != 1) {
		say(why, why_len, "not an https://HOST[:PORT]/PATH address: %s", url ? url : "");
		return -1;
	}
	const char *rest = url + 8 + strlen(host);
	if (*rest == ':' && sscanf(rest + 1, "%7[0-9]", port) != 1) {
		say(why, why_len, "a bad port in %s", url);
		return -1;
	}
	path = strchr(rest, '/') ? strchr(rest, '/') : "/";
	struct uk_tls_config *cfg = uk_tls_config_new(
	    UK_TLS_CLIENT,
	    &(struct uk_tls_options){.ca_file = ca_file,
				     .server_name = server_name ? server_name : host},
	    why, why_len);
	if (!cfg)
		return -1;
	int rc = -1, fd = -1;
	struct download *d = calloc(1, sizeof *d);
	struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *ai = NULL;
	if (!d) {
		say(why, why_len, "out of memory");
		goto out;
	}
	if (getaddrinfo(host, port, &hints, &ai) != 0) {
		say(why, why_len, "cannot resolve %s", host);
		goto out;
	}
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		say(why, why_len, "cannot connect to %s:%s: %s", host, port, strerror(errno));
		goto out;
	}
	d->tls = uk_tls_connect(fd, cfg, why, why_len);
	if (!d->tls)
		goto out;
	char req[600];
	int n = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", path, host);
	if (n >= (int)sizeof req || uk_tls_write(d->tls, req, (size_t)n) != n) {
		say(why, why_len, "cannot send the request");
		goto out;
	}
	char *end = NULL;
	while (!end && d->have < sizeof d->head - 1) {
		ssize_t got = uk_tls_read(d->tls, d->head + d->have, sizeof d->head - 1 - d->have);
		if (got <= 0) {
			say(why, why_len, "the server closed before its answer's header ended");
			goto out;
		}
		d->have += (size_t)got;
		d->head[d->have] = 0;
		end = strstr(d->head, "\r\n\r\n");
	}
	if (!end || strncmp(d->head, "HTTP/1.", 7) || strncmp(d->head + 9, "200", 3)) {
		say(why, why_len, "the server answered: %.60s", end ? d->head : "(no header)");
		goto out;
	}
	*end = 0; /* the header is a string now; the body follows the blank line */
	const char *cl = strcasestr(d->head, "\r\ncontent-length:");
	d->want = cl ? atoll(cl + 17) : -1;
	d->body_at = (size_t)(end - d->head) + 4;
	rc = uk_update_install(body, d, why, why_len);
	if (rc != 0 && d->want >= 0 && d->got < d->want) {
		size_t l = strlen(why);
		snprintf(why + l, why_len - l, " (%lld of %lld bytes arrived)", d->got, d->want);
	}
out:
	if (d && d->tls)
		uk_tls_close(d->tls);
	if (fd >= 0)
		close(fd);
	if (ai)
		freeaddrinfo(ai);
	free(d);
	uk_tls_config_free(cfg);
	return rc;
}
