/* bundle.c: signed update bundles (docs/update.md): the files of a build's boot partition, the
 * slot a device installs, behind one 4 KiB header that names the app, its version and target
 * and every file with its size and SHA-256, signed with ECDSA P-256 (OpenSSL's libcrypto) so a
 * device can check it with its own mbed TLS before writing a byte. */
#define _GNU_SOURCE
#include "uk.h"

#include <dirent.h>
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HEADER	     4096
#define SIGNED	     3968 /* the signature covers bytes [0, SIGNED) */
#define MAX_FILES    32
#define ENTRY	     96
#define TABLE	     144
#define NAME_MAX_LEN 55

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* An EC P-256 private key from a PEM file, or NULL with the reason printed. */
static EVP_PKEY *load_key(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		error("signing key %s: %s", path, strerror(errno));
		return NULL;
	}
	EVP_PKEY *key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (!key) {
		error("signing key %s: not a PEM private key (unencrypted); make one with: openssl "
		      "ecparam -name prime256v1 -genkey -noout -out %s",
		      path, path);
		return NULL;
	}
	char group[32] = "";
	size_t glen = 0;
	if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC ||
	    !EVP_PKEY_get_utf8_string_param(key, "group", group, sizeof group, &glen) ||
	    strcmp(group, "prime256v1")) {
		error("signing key %s: an ECDSA P-256 key (prime256v1) is needed: devices check "
		      "bundles with it",
		      path);
		EVP_PKEY_free(key);
		return NULL;
	}
	return key;
}

int bundle_write(const char *out_path, const char *boot_dir, const struct manifest *m,
		 const char *target, const char *key_path)
{
	if (!m->version) {
		error("%s: --sign needs a version: add e.g. 'version: 1.0.0' to uk.yaml (devices "
		      "report it and refuse nothing older by mistake)",
		      m->path);
		return EXIT_USAGE;
	}
	if (strlen(target) > 15 || strlen(m->name) > 63 || strlen(m->version) > 31) {
		error("%s: a bundle names the app in at most 63 characters and its version in 31",
		      m->path);
		return EXIT_USAGE;
	}
	EVP_PKEY *key = load_key(key_path);
	if (!key)
		return EXIT_USAGE;
	/* the Pi 3 writes a bundle's files into its inactive slot directory: they are slot A's */
	char *dir = m->slot_size && slots_in_dirs(target) ? path_join(boot_dir, SLOTS_DIR_A)
							  : xstrdup(boot_dir);
	boot_dir = dir;
	unsigned char *h = calloc(1, HEADER);
	struct dirent **ents = NULL;
	int n = scandir(boot_dir, &ents, NULL, by_name), rc = EXIT_FAIL, files = 0;
	uint64_t total = 0;
	FILE *out = NULL;
	char *tmp = NULL;
	if (!h || n < 0) {
		error("%s: %s", boot_dir, strerror(errno));
		goto done;
	}
	memcpy(h, "UKBUNDLE", 8);
	put32(h + 8, 1);
	put32(h + 12, HEADER);
	snprintf((char *)h + 16, 16, "%s", target);
	snprintf((char *)h + 32, 64, "%s", m->name);
	snprintf((char *)h + 96, 32, "%s", m->version);
	for (int i = 0; i < n; i++) {
		char *p = path_join(boot_dir, ents[i]->d_name);
		struct stat st;
		if (ents[i]->d_name[0] == '.' || stat(p, &st) || !S_ISREG(st.st_mode)) {
			free(p);
			continue;
		}
		if (files == MAX_FILES || strlen(ents[i]->d_name) > NAME_MAX_LEN) {
			error("%s: a bundle holds at most %d files of names up to %d characters",
			      boot_dir, MAX_FILES, NAME_MAX_LEN);
			free(p);
			goto done;
		}
		unsigned char *e = h + TABLE + ENTRY * files++;
		char hex[65];
		uint64_t size;
		if (sha256_file(p, hex, &size)) {
			error("%s: %s", p, strerror(errno));
			free(p);
			goto done;
		}
		memcpy(e, ents[i]->d_name, strlen(ents[i]->d_name)); /* <= 55: NUL-padded */
		put64(e + 56, size);
		for (int k = 0; k < 32; k++)
			sscanf(hex + 2 * k, "%2hhx", &e[64 + k]);
		total += size;
		free(p);
	}
	if (files == 0) {
		error("%s: no files to put in the bundle", boot_dir);
		goto done;
	}
	put64(h + 128, total);
	put32(h + 136, (uint32_t)files);
	size_t sig_len = 0;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	if (!md || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(md, NULL, &sig_len, h, SIGNED) != 1 || sig_len > HEADER - SIGNED - 2 ||
	    EVP_DigestSign(md, h + SIGNED + 2, &sig_len, h, SIGNED) != 1) {
		EVP_MD_CTX_free(md);
		error("signing the bundle failed (libcrypto)");
		goto done;
	}
	EVP_MD_CTX_free(md);
	h[SIGNED] = (unsigned char)sig_len, h[SIGNED + 1] = (unsigned char)(sig_len >> 8);

	/* header, then each file's bytes in table order; written aside, renamed when whole */
	if (asprintf(&tmp, "%s.tmp", out_path) < 0 || !(out = fopen(tmp, "wb")) ||
	    fwrite(h, 1, HEADER, out) != HEADER) {
		error("%s: %s", tmp ? tmp : out_path, strerror(errno));
		goto done;
	}
	for (int i = 0; i < files; i++) {
		const unsigned char *e = h + TABLE + ENTRY * i;
		char *p = path_join(boot_dir, (const char *)e);
		char *data = NULL;
		size_t len = 0;
		int unread = read_file(p, &data, &len);
		/* hashed a moment ago: a file that changed since would make a bundle no device
		 * takes */
		unsigned char now[32];
		struct sha256 c;
		sha256_init(&c);
		sha256_update(&c, data, unread ? 0 : len);
		sha256_final(&c, now);
		int bad = unread || len != get64(e + 56) || memcmp(now, e + 64, 32) ||
			  fwrite(data, 1, len, out) != len;
		free(data);
		free(p);
		if (bad) {
			error("writing %s: %s changed while the bundle was made, or %s", tmp,
			      (const char *)e, strerror(errno));
			goto done;
		}
	}
	int bad = fflush(out) || fsync(fileno(out));
	bad = fclose(out) || bad;
	out = NULL;
	if (bad) {
		error("writing %s: %s", tmp, strerror(errno));
		unlink(tmp);
		goto done;
	}
	if (rename(tmp, out_path)) {
		error("%s: %s", out_path, strerror(errno));
		goto done;
	}
	rc = 0;
done:
	if (out) {
		fclose(out);
		unlink(tmp);
	}
	free(tmp);
	for (int i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	free(h);
	free(dir);
	EVP_PKEY_free(key);
	return rc;
}
