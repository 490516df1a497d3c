/* https-get: downloads one file over HTTPS (TLS 1.2, uk/tls.h) to /data, checking the server's
 * certificate against a CA file.
 *   https.url=https://HOST[:PORT]/PATH   required; HOST a name (DNS) or an IPv4 address
 *   https.name=NAME     the name the certificate must carry (default HOST)
 *   https.ca=FILE       default /data/ca.pem (ship it in the app's data/ folder)
 *   https.out=FILE      default /data/ and the URL's last path element
 * Waits up to 30 s for the time of day (RTC or SNTP: certificate dates need it). Writes to
 * FILE.part and renames it when the whole body (Content-Length) arrived, so a cut download
 * never looks complete. Exit status 0 on success.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <uk/config.h>
#include <uk/net.h>
#include <uk/time.h>
#include <uk/tls.h>

static int fail(const char *fmt, const char *what)
{
	printf("https-get: ");
	printf(fmt, what);
	printf("\n");
	return 1;
}

int main(void)
{
	const char *url = uk_config_get("https.url");
	char host[128], port[8] = "443", path[256] = "/";
	if (!url || strncmp(url, "https://", 8) || sscanf(url + 8, "%127[^:/]", host) != 1)
		return fail("give https.url=https://HOST[:PORT]/PATH (got %s)", url ? url : "none");
	const char *rest = url + 8 + strlen(host);
	if (*rest == ':' && sscanf(rest + 1, "%7[0-9]", port) != 1)
		return fail("bad port in %s", url);
	if (strchr(rest, '/'))
		snprintf(path, sizeof path, "%s", strchr(rest, '/'));
	char out[200];
	const char *base = strrchr(path, '/') + 1;
	snprintf(out, sizeof out, "%s",
		 uk_config_get("https.out") ? uk_config_get("https.out") : "");
	if (!*out && snprintf(out, sizeof out, "/data/%s", *base ? base : "index.html") >= 200)
		return fail("%s: name too long", path);

	if (uk_net_start() != 0 || uk_net_wait_up(30000000000ull) != 0)
		return fail("%s", "no network");
	if (uk_walltime_wait(30000000000ull) != 0)
		return fail("%s", "the time of day is still unknown after 30 s (no RTC, no SNTP)");
	char why[200];
	struct uk_tls_config *cfg = uk_tls_config_new(
	    UK_TLS_CLIENT,
	    &(struct uk_tls_options){
		.ca_file = uk_config_get("https.ca") ? uk_config_get("https.ca") : "/data/ca.pem",
		.server_name = uk_config_get("https.name") ? uk_config_get("https.name") : host},
	    why, sizeof why);
	if (!cfg)
		return fail("%s", why);
	struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *ai;
	if (getaddrinfo(host, port, &hints, &ai) != 0)
		return fail("cannot resolve %s", host);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0)
		return fail("cannot connect: %s", strerror(errno));
	freeaddrinfo(ai);
	struct uk_tls *t = uk_tls_connect(fd, cfg, why, sizeof why);
	if (!t)
		return fail("%s", why);
	char req[512];
	int n = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", path, host);
	uk_tls_write(t, req, (size_t)n);

	/* the header, up to its blank line; then the body into FILE.part */
	static char buf[16384];
	size_t have = 0;
	char *body = NULL;
	while (!body && have < sizeof buf - 1) {
		ssize_t got = uk_tls_read(t, buf + have, sizeof buf - 1 - have);
		if (got <= 0)
			return fail("%s", "the server closed before its header ended");
		have += (size_t)got;
		buf[have] = 0;
		body = strstr(buf, "\r\n\r\n");
	}
	if (!body || strncmp(buf, "HTTP/1.", 7) || strncmp(buf + 9, "200", 3))
		return fail("the server answered: %.40s", buf);
	const char *cl = strstr(buf, "Content-Length:");
	long long want = cl && cl < body ? atoll(cl + 15) : -1;
	body += 4;
	char part[210];
	snprintf(part, sizeof part, "%s.part", out);
	FILE *f = fopen(part, "wb");
	if (!f)
		return fail("cannot write %s", part);
	long long total = (long long)(have - (size_t)(body - buf));
	fwrite(body, 1, (size_t)total, f);
	ssize_t got;
	while ((got = uk_tls_read(t, buf, sizeof buf)) > 0) {
		fwrite(buf, 1, (size_t)got, f);
		total += got;
	}
	uk_tls_close(t);
	close(fd);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0 || fclose(f) != 0 || got < 0 ||
	    (want >= 0 && total != want)) {
		printf("https-get: incomplete: %lld of %lld bytes; %s left as it is\n", total, want,
		       part);
		return 1;
	}
	if (rename(part, out) != 0)
		return fail("cannot rename to %s", out);
	printf("https-get: %s: %lld bytes to %s\n", url, total, out);
	return 0;
}
