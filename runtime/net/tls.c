/*
 * uk/tls.h over mbed TLS 2.28 (configured in kernel/mbedtls_config.h): a session's records go
 * through read() and write() on the app's socket, randomness comes from uk_random (the CTR_DRBG
 * the hardware RNG seeds), certificate dates are checked against kernel/walltime.c's clock, and
 * every failure is turned into one line of text for the app's console.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h> /* its error codes only: the records go through read/write */
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include <uk/random.h>
#include <uk/time.h>
#include <uk/tls.h>

struct uk_tls_config {
	enum uk_tls_role role;
	mbedtls_ssl_config conf;
	mbedtls_x509_crt ca, cert;
	mbedtls_pk_context key;
	bool verifies; /* the peer's certificate is checked (client always; server when asked) */
	char *server_name;
};

struct uk_tls {
	mbedtls_ssl_context ssl;
	int fd;
};

static void say(char *why, size_t len, const char *fmt, ...)
{
	if (!why || !len)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
}

/* "what: mbed TLS's words for err" */
static void say_mbedtls(char *why, size_t len, const char *what, int err)
{
	char text[120];
	mbedtls_strerror(err, text, sizeof text);
	say(why, len, "%s: %s", what, text);
}

static int rng(void *unused, unsigned char *out, size_t n)
{
	(void)unused;
	return uk_random(out, n) == 0 ? 0 : MBEDTLS_ERR_SSL_NO_RNG;
}

/* mbed TLS wants the socket readable (or writable) again. A non-blocking socket: wait for it
 * here (this thread only; lwIP's poll). A blocking one returned EAGAIN because its
 * SO_RCVTIMEO/SO_SNDTIMEO ran out: that is the caller's timeout, so give up (0: waited). */
static int wait_socket(int fd, int want)
{
	int flags = fcntl(fd, F_GETFL, 0);
	if (flags < 0 || !(flags & O_NONBLOCK))
		return -1;
	struct pollfd p = {.fd = fd,
			   .events = want == MBEDTLS_ERR_SSL_WANT_READ ? POLLIN : POLLOUT};
	return poll(&p, 1, -1) == 1 ? 0 : -1;
}

static int bio_send(void *ctx, const unsigned char *buf, size_t n)
{
	ssize_t r = write(*(int *)ctx, buf, n);
	if (r < 0)
		return errno == EAGAIN ? MBEDTLS_ERR_SSL_WANT_WRITE : MBEDTLS_ERR_NET_SEND_FAILED;
	return (int)r;
}

static int bio_recv(void *ctx, unsigned char *buf, size_t n)
{
	ssize_t r = read(*(int *)ctx, buf, n);
	if (r < 0)
		return errno == EAGAIN ? MBEDTLS_ERR_SSL_WANT_READ : MBEDTLS_ERR_NET_RECV_FAILED;
	return (int)r; /* 0: the peer closed the connection */
}

/* Certificates from a file (PEM or DER) or PEM text; 0 when neither is given. */
static int load_certs(mbedtls_x509_crt *crt, const char *file, const char *pem, const char *what,
		      char *why, size_t len)
{
	int r = 0;
	if (file)
		r = mbedtls_x509_crt_parse_file(crt, file);
	else if (pem)
		r = mbedtls_x509_crt_parse(crt, (const unsigned char *)pem, strlen(pem) + 1);
	if (r == MBEDTLS_ERR_PK_FILE_IO_ERROR)
		say(why, len, "%s %s: cannot read it: %s", what, file, strerror(errno));
	else if (r)
		say_mbedtls(why, len, what, r);
	return r;
}

static int load_key(mbedtls_pk_context *key, const struct uk_tls_options *o, char *why, size_t len)
{
	int r = 0;
	if (o->key_file)
		r = mbedtls_pk_parse_keyfile(key, o->key_file, NULL);
	else if (o->key_pem)
		r = mbedtls_pk_parse_key(key, (const unsigned char *)o->key_pem,
					 strlen(o->key_pem) + 1, NULL, 0);
	if (r == MBEDTLS_ERR_PK_FILE_IO_ERROR)
		say(why, len, "private key %s: cannot read it: %s", o->key_file, strerror(errno));
	else if (r)
		say_mbedtls(why, len, "private key", r);
	return r;
}

struct uk_tls_config *uk_tls_config_new(enum uk_tls_role role, const struct uk_tls_options *o,
					char *why, size_t why_len)
{
	unsigned char probe[1];
	if (uk_random(probe, sizeof probe) != 0) {
		say(why, why_len,
		    "no hardware random number generator on this board: TLS will not run on "
		    "predictable numbers");
		return NULL;
	}
	bool has_ca = o->ca_file || o->ca_pem, has_cert = o->cert_file || o->cert_pem,
	     has_key = o->key_file || o->key_pem;
	if (role == UK_TLS_CLIENT && (!has_ca || !o->server_name)) {
		say(why, why_len,
		    "a client needs ca_file (or ca_pem) and server_name: the server's "
		    "certificate is always checked");
		return NULL;
	}
	if (role == UK_TLS_SERVER && !has_cert) {
		say(why, why_len, "a server needs its certificate and key (cert_file, key_file)");
		return NULL;
	}
	if (has_cert != has_key) {
		say(why, why_len, "a certificate needs its key, and a key its certificate");
		return NULL;
	}
	if (role == UK_TLS_SERVER && o->require_client_cert && !has_ca) {
		say(why, why_len,
		    "require_client_cert needs ca_file (or ca_pem) to check them with");
		return NULL;
	}
	struct uk_tls_config *c = calloc(1, sizeof *c);
	if (!c) {
		say(why, why_len, "out of memory");
		return NULL;
	}
	c->role = role;
	mbedtls_ssl_config_init(&c->conf);
	mbedtls_x509_crt_init(&c->ca);
	mbedtls_x509_crt_init(&c->cert);
	mbedtls_pk_init(&c->key);
	int r = load_certs(&c->ca, o->ca_file, o->ca_pem, "CA certificates", why, why_len);
	if (!r)
		r = load_certs(&c->cert, o->cert_file, o->cert_pem, "certificate", why, why_len);
	if (!r)
		r = load_key(&c->key, o, why, why_len);
	/* a client's only: on a server, mbed TLS would check client certificates against it */
	if (!r && role == UK_TLS_CLIENT && !(c->server_name = strdup(o->server_name))) {
		say(why, why_len, "out of memory");
		r = -1;
	}
	if (!r) {
		r = mbedtls_ssl_config_defaults(
		    &c->conf, role == UK_TLS_CLIENT ? MBEDTLS_SSL_IS_CLIENT : MBEDTLS_SSL_IS_SERVER,
		    MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
		if (r)
			say_mbedtls(why, why_len, "TLS configuration", r);
	}
	if (!r && has_cert && (r = mbedtls_ssl_conf_own_cert(&c->conf, &c->cert, &c->key)))
		say_mbedtls(why, why_len, "certificate and key", r);
	if (r) {
		uk_tls_config_free(c);
		return NULL;
	}
	c->verifies = role == UK_TLS_CLIENT || o->require_client_cert;
	mbedtls_ssl_conf_rng(&c->conf, rng, NULL);
	mbedtls_ssl_conf_min_version(&c->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
				     MBEDTLS_SSL_MINOR_VERSION_3); /* TLS 1.2 */
	mbedtls_ssl_conf_authmode(&c->conf, c->verifies ? MBEDTLS_SSL_VERIFY_REQUIRED
							: MBEDTLS_SSL_VERIFY_NONE);
	if (has_ca)
		mbedtls_ssl_conf_ca_chain(&c->conf, &c->ca, NULL);
	return c;
}

void uk_tls_config_free(struct uk_tls_config *c)
{
	if (!c)
		return;
	mbedtls_ssl_config_free(&c->conf);
	mbedtls_x509_crt_free(&c->ca);
	mbedtls_x509_crt_free(&c->cert);
	mbedtls_pk_free(&c->key);
	free(c->server_name);
	free(c);
}

static struct uk_tls *handshake(int fd, const struct uk_tls_config *c, char *why, size_t len)
{
	if (c->verifies && !uk_walltime_known()) {
		say(why, len,
		    "the time of day is unknown (no RTC, no SNTP answer yet): the peer's "
		    "certificate "
		    "dates cannot be checked; wait for it with uk_walltime_wait()");
		return NULL;
	}
	struct uk_tls *t = calloc(1, sizeof *t);
	if (!t) {
		say(why, len, "out of memory");
		return NULL;
	}
	t->fd = fd;
	mbedtls_ssl_init(&t->ssl);
	int r = mbedtls_ssl_setup(&t->ssl, &c->conf);
	if (!r && c->server_name)
		r = mbedtls_ssl_set_hostname(&t->ssl, c->server_name);
	if (r) {
		say_mbedtls(why, len, "TLS session", r);
		uk_tls_close(t);
		return NULL;
	}
	mbedtls_ssl_set_bio(&t->ssl, &t->fd, bio_send, bio_recv, NULL);
	while ((r = mbedtls_ssl_handshake(&t->ssl)) != 0) {
		if ((r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE) &&
		    wait_socket(fd, r) == 0)
			continue;
		if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE) {
			say(why, len,
			    "TLS handshake: the peer went quiet (the socket's timeout ran out)");
			mbedtls_ssl_free(&t->ssl);
			free(t);
			return NULL;
		}
		uint32_t flags = mbedtls_ssl_get_verify_result(&t->ssl);
		const char *peer = c->role == UK_TLS_CLIENT ? "the server's" : "the client's";
		if (r == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED && flags != 0 &&
		    flags != (uint32_t)-1) {
			char reasons[200];
			mbedtls_x509_crt_verify_info(reasons, sizeof reasons, "", flags);
			for (char *p = reasons; *p; p++) /* one line: "a; b" */
				if (*p == '\n')
					*p = p[1] ? ';' : 0;
			say(why, len, "%s certificate is not accepted: %s", peer, reasons);
		} else {
			say_mbedtls(why, len, "TLS handshake", r);
		}
		/* shut the session down without close_notify: no session was agreed */
		mbedtls_ssl_free(&t->ssl);
		free(t);
		return NULL;
	}
	return t;
}

struct uk_tls *uk_tls_connect(int fd, const struct uk_tls_config *c, char *why, size_t why_len)
{
	if (!c || c->role != UK_TLS_CLIENT) {
		say(why, why_len, "uk_tls_connect needs a client configuration");
		return NULL;
	}
	return handshake(fd, c, why, why_len);
}

struct uk_tls *uk_tls_accept(int fd, const struct uk_tls_config *c, char *why, size_t why_len)
{
	if (!c || c->role != UK_TLS_SERVER) {
		say(why, why_len, "uk_tls_accept needs a server configuration");
		return NULL;
	}
	return handshake(fd, c, why, why_len);
}

ssize_t uk_tls_read(struct uk_tls *t, void *buf, size_t n)
{
	for (;;) {
		int r = mbedtls_ssl_read(&t->ssl, buf, n);
		if (r >= 0)
			return r;
		if (r == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY)
			return 0;
		if ((r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE) &&
		    wait_socket(t->fd, r) == 0)
			continue;
		/* a timeout of the socket's own: EAGAIN, as read() says it */
		errno = r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE ? EAGAIN
											  : EIO;
		return -1;
	}
}

ssize_t uk_tls_write(struct uk_tls *t, const void *buf, size_t n)
{
	size_t done = 0;
	while (done < n) {
		int r = mbedtls_ssl_write(&t->ssl, (const unsigned char *)buf + done, n - done);
		if (r > 0) {
			done += (size_t)r;
			continue;
		}
		if ((r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE) &&
		    wait_socket(t->fd, r) == 0)
			continue;
		errno = r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE ? EAGAIN
											  : EIO;
		return done ? (ssize_t)done : -1;
	}
	return (ssize_t)done;
}

void uk_tls_close(struct uk_tls *t)
{
	if (!t)
		return;
	mbedtls_ssl_close_notify(&t->ssl);
	mbedtls_ssl_free(&t->ssl);
	free(t);
}

const char *uk_tls_cipher(const struct uk_tls *t)
{
	return mbedtls_ssl_get_ciphersuite(&t->ssl);
}
