/* update_key.c: uk.yaml's update.key, the public key devices check bundles with (it becomes
 * update.pem in slot A and in every bundle), read with libcrypto as bundle.c reads the private
 * half: it must be ECDSA P-256, because the runtime verifies with mbed TLS's P-256. */
#define _GNU_SOURCE
#include "uk.h"

#include <errno.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

static int p256(EVP_PKEY *k)
{
	char group[32] = "";
	size_t glen = 0;
	return EVP_PKEY_get_base_id(k) == EVP_PKEY_EC &&
	       EVP_PKEY_get_utf8_string_param(k, "group", group, sizeof group, &glen) &&
	       !strcmp(group, "prime256v1");
}

static EVP_PKEY *read_public(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	EVP_PKEY *k = PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	return k;
}

char *update_key_problem(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return xasprintf("cannot read it: %s", strerror(errno));
	fclose(f);
	EVP_PKEY *k = read_public(path);
	if (!k)
		return xstrdup("it is not a PEM public key (BEGIN PUBLIC KEY)");
	int ok = p256(k);
	EVP_PKEY_free(k);
	return ok ? NULL : xstrdup("it is not an ECDSA P-256 (prime256v1) key");
}

int update_key_matches(const char *pub_path, const char *priv_path)
{
	FILE *f = fopen(priv_path, "r");
	if (!f)
		return -1;
	EVP_PKEY *priv = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	EVP_PKEY *pub = read_public(pub_path);
	int r = -1;
	if (priv && pub)
		r = EVP_PKEY_eq(pub, priv) == 1; /* compares the public halves */
	EVP_PKEY_free(priv);
	EVP_PKEY_free(pub);
	return r;
}
