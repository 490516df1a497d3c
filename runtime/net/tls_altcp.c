/*
 * TLS for lwIP's altcp apps (the MQTT client) with the rules of uk/tls.h: lwIP 2.1.3's mbed TLS
 * adapter (apps/altcp_tls) makes a configuration from certificates in memory but leaves the
 * server's certificate optional and never checks its name. Here the configuration comes from
 * files or PEM, verification is made required, a verify callback refuses every certificate
 * while the wall clock is unknown and keeps the reason of the last refusal for the app, and
 * uk_tls_altcp_check_name gives a connection the name to check (and send as SNI).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lwip/altcp_tls.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include <uk/random.h>
#include <uk/time.h>
#include <uk/tls.h>

static char last_failure[200];

static void say(char *why, size_t len, const char *text)
{
	if (why && len)
		snprintf(why, len, "%s", text);
}

/* A whole file, NUL-terminated (mbed TLS's PEM parser counts the NUL); NULL if unreadable. */
static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	unsigned char *buf = NULL;
	size_t n = 0, cap = 0, got;
	do {
		if (n + 4096 + 1 > cap) {
			unsigned char *more = realloc(buf, cap = n + 65536);
			if (!more) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = more;
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
	} while (got > 0);
	fclose(f);
	buf[n] = 0;
	*len = n + 1;
	return buf;
}

/* PEM text or a file's bytes, as the adapter wants them; *owned says whether to free. */
static const unsigned char *material(const char *file, const char *pem, size_t *len, bool *owned,
				     const char *what, char *why, size_t why_len)
{
	*owned = false;
	*len = 0;
	if (pem) {
		*len = strlen(pem) + 1;
		return (const unsigned char *)pem;
	}
	if (!file)
		return NULL;
	unsigned char *b = slurp(file, len);
	if (!b) {
		char text[200];
		snprintf(text, sizeof text, "%s %s: cannot read it: %s", what, file,
			 strerror(errno));
		say(why, why_len, text);
		return NULL;
	}
	*owned = true;
	return b;
}

/* The checks every certificate gets: the time of day must be known; the reason of the first
 * refusal is kept for the app. */
static int verify_checked(void *unused, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
	(void)unused, (void)crt;
	if (!uk_walltime_known()) {
		*flags |= MBEDTLS_X509_BADCERT_OTHER;
		snprintf(
		    last_failure, sizeof last_failure,
		    "the time of day is unknown (no RTC, no SNTP answer yet): certificate dates "
		    "cannot be checked");
	} else if (*flags && !last_failure[0]) { /* the first certificate of the chain refused */
		char reasons[180];
		mbedtls_x509_crt_verify_info(reasons, sizeof reasons, "", *flags);
		for (char *p = reasons; *p; p++)
			if (*p == '\n')
				*p = p[1] ? ';' : 0;
		snprintf(last_failure, sizeof last_failure,
			 "the peer's certificate%s is not accepted: %s", depth ? " chain" : "",
			 reasons);
	}
	return 0; /* the flags decide: any left set fails the handshake */
}

/* The configuration's callback, for a connection nobody named: mbed TLS 2.28 checks no name
 * when none was set, so the certificate is refused (fail closed). uk_tls_altcp_check_name
 * replaces it on the connection with verify_checked. */
static int verify_unnamed(void *unused, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
	if (depth == 0) {
		*flags |= MBEDTLS_X509_BADCERT_CN_MISMATCH;
		snprintf(
		    last_failure, sizeof last_failure,
		    "the connection was not given the server's name (uk_tls_altcp_check_name)");
	}
	return verify_checked(unused, crt, depth, flags);
}

/* The certificate parses, the key parses and is the certificate's: checked here because lwIP's
 * adapter, on a certificate that does not parse, frees memory it did not allocate. */
static bool parses(const unsigned char *cert, size_t cert_len, const unsigned char *key,
		   size_t key_len, char *why, size_t why_len)
{
	mbedtls_x509_crt crt;
	mbedtls_pk_context pk;
	mbedtls_x509_crt_init(&crt);
	mbedtls_pk_init(&pk);
	const char *bad = NULL;
	if (mbedtls_x509_crt_parse(&crt, cert, cert_len) != 0)
		bad = "the certificate does not parse (PEM or DER expected)";
	else if (mbedtls_pk_parse_key(&pk, key, key_len, NULL, 0) != 0)
		bad = "the private key does not parse (unencrypted PEM or DER expected)";
	else if (mbedtls_pk_check_pair(&crt.pk, &pk) != 0)
		bad = "the private key is not the certificate's";
	mbedtls_x509_crt_free(&crt);
	mbedtls_pk_free(&pk);
	if (bad)
		say(why, why_len, bad);
	return !bad;
}

static bool ca_parses(const unsigned char *ca, size_t len, char *why, size_t why_len)
{
	mbedtls_x509_crt crt;
	mbedtls_x509_crt_init(&crt);
	bool ok = mbedtls_x509_crt_parse(&crt, ca, len) == 0;
	mbedtls_x509_crt_free(&crt);
	if (!ok)
		say(why, why_len, "the CA certificates do not parse (PEM or DER expected)");
	return ok;
}

struct altcp_tls_config *uk_tls_altcp_config(enum uk_tls_role role, const struct uk_tls_options *o,
					     char *why, size_t why_len)
{
	unsigned char probe[1];
	if (uk_random(probe, sizeof probe) != 0) {
		say(why, why_len,
		    "no hardware random number generator on this board: TLS will not "
		    "run on predictable numbers");
		return NULL;
	}
	if (role != UK_TLS_CLIENT || !(o->ca_file || o->ca_pem) || !o->server_name) {
		say(why, why_len,
		    "lwIP's altcp TLS is used here as a client: give ca_file (or "
		    "ca_pem) and server_name");
		return NULL;
	}
	if (!(o->cert_file || o->cert_pem) != !(o->key_file || o->key_pem)) {
		say(why, why_len, "a certificate needs its key, and a key its certificate");
		return NULL;
	}
	size_t ca_len, cert_len, key_len;
	bool ca_owned, cert_owned, key_owned;
	const unsigned char *ca =
	    material(o->ca_file, o->ca_pem, &ca_len, &ca_owned, "CA certificates", why, why_len);
	const unsigned char *cert = ca ? material(o->cert_file, o->cert_pem, &cert_len, &cert_owned,
						  "certificate", why, why_len)
				       : NULL;
	const unsigned char *key = cert ? material(o->key_file, o->key_pem, &key_len, &key_owned,
						   "private key", why, why_len)
					: NULL;
	struct altcp_tls_config *cfg = NULL;
	bool mutual = o->cert_file || o->cert_pem;
	/* lwIP 2.1.3 frees a pointer into its own block when these do not parse: check first */
	bool usable = ca && ca_parses(ca, ca_len, why, why_len) &&
		      (!mutual || (key && parses(cert, cert_len, key, key_len, why, why_len)));
	if (usable) {
		cfg = mutual ? altcp_tls_create_config_client_2wayauth(ca, ca_len, key, key_len,
								       NULL, 0, cert, cert_len)
			     : altcp_tls_create_config_client(ca, ca_len);
		if (!cfg)
			say(why, why_len,
			    "the CA certificates, the certificate or the key could not "
			    "be parsed (PEM or DER expected; keys unencrypted)");
	}
	if (ca_owned)
		free((void *)ca);
	if (cert && cert_owned)
		free((void *)cert);
	if (key && key_owned)
		free((void *)key);
	if (!cfg)
		return NULL;
	/* the adapter's configuration starts with its mbedtls_ssl_config */
	mbedtls_ssl_config *conf = (mbedtls_ssl_config *)cfg;
	mbedtls_ssl_conf_authmode(conf, MBEDTLS_SSL_VERIFY_REQUIRED);
	mbedtls_ssl_conf_verify(conf, verify_unnamed, NULL);
	return cfg;
}

int uk_tls_altcp_check_name(struct altcp_pcb *conn, const char *server_name)
{
	mbedtls_ssl_context *ssl = conn ? altcp_tls_context(conn) : NULL;
	if (!ssl || !server_name)
		return -EINVAL;
	last_failure[0] = 0;
	if (mbedtls_ssl_set_hostname(ssl, server_name) != 0)
		return -ENOMEM; /* the configuration's callback still refuses the connection */
	mbedtls_ssl_set_verify(ssl, verify_checked, NULL);
	return 0;
}

const char *uk_tls_altcp_failure(void)
{
	return last_failure;
}
