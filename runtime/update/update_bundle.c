/*
 * uk/update.h's bundle reader (the format: docs/update.md; the writer: cli/pipeline/bundle.c): the
 * 4 KiB header is collected, its ECDSA P-256 signature checked with mbed TLS against the device's
 * public key, its fields checked (format, this board's target, the file table: names that stay
 * inside the slot, sizes that add up); then the payload streams through, each file hashed with
 * SHA-256 and compared when its last byte has passed. Nothing reaches the caller before the
 * signature checked out.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>

#include <uk/update.h>

#include "kernel.h"

#define HEADER 4096
#define SIGNED 3968
#define TABLE  144
#define ENTRY  96

struct uk_update_reader {
	mbedtls_pk_context key;
	uint8_t header[HEADER];
	size_t have; /* header bytes collected */
	bool checked, failed;
	char app[64], running[32]; /* "" : not checked */
	struct uk_update_info info;
	unsigned file;	 /* the file the payload is in */
	uint64_t at;	 /* bytes of it passed */
	uint64_t passed; /* payload bytes passed */
	mbedtls_sha256_context sha;
};

static int refuse(struct uk_update_reader *r, char *why, size_t len, const char *fmt, ...)
{
	r->failed = true;
	if (why && len) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(why, len, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static uint64_t le(const uint8_t *p, int bytes)
{
	uint64_t v = 0;
	for (int i = bytes - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* Versions of dotted numbers ("1.4.2" < "1.10.0"): -1, 0 or 1; 0 also when either is anything
 * else ("1.4-rc1"): no order is known, so an old signed bundle replayed to the device is refused
 * only between numbered versions (docs/update.md). */
static int version_order(const char *a, const char *b)
{
	for (const char *p = a; *p; p++)
		if (!(*p >= '0' && *p <= '9') && *p != '.')
			return 0;
	for (const char *p = b; *p; p++)
		if (!(*p >= '0' && *p <= '9') && *p != '.')
			return 0;
	while (*a || *b) {
		unsigned long x = strtoul(a, (char **)&a, 10), y = strtoul(b, (char **)&b, 10);
		if (x != y)
			return x < y ? -1 : 1;
		a += *a == '.';
		b += *b == '.';
	}
	return 0;
}

/* A NUL-terminated string of at most size - 1 bytes from a fixed field. */
static bool field(char *out, const uint8_t *p, size_t size)
{
	if (!memchr(p, 0, size))
		return false;
	memcpy(out, p, size);
	return true;
}

struct uk_update_reader *uk_update_reader_new(const char *key_pem, const char *app,
					      const char *running, char *why, size_t why_len)
{
	struct uk_update_reader *r = calloc(1, sizeof *r);
	if (!r) {
		if (why && why_len)
			snprintf(why, why_len, "out of memory");
		return NULL;
	}
	mbedtls_pk_init(&r->key);
	int e = key_pem ? mbedtls_pk_parse_public_key(&r->key, (const unsigned char *)key_pem,
						      strlen(key_pem) + 1)
			: -1;
	if (e != 0 || !mbedtls_pk_can_do(&r->key, MBEDTLS_PK_ECDSA) ||
	    mbedtls_pk_get_bitlen(&r->key) != 256) {
		refuse(r, why, why_len, "the update key is not an ECDSA P-256 public key (PEM)");
		uk_update_reader_free(r);
		return NULL;
	}
	mbedtls_sha256_init(&r->sha);
	snprintf(r->app, sizeof r->app, "%s", app ? app : "");
	snprintf(r->running, sizeof r->running, "%s", running ? running : "");
	return r;
}

static int check_header(struct uk_update_reader *r, char *why, size_t len)
{
	const uint8_t *h = r->header;
	if (memcmp(h, "UKBUNDLE", 8))
		return refuse(r, why, len, "not an update bundle");
	if (le(h + 8, 4) != 1 || le(h + 12, 4) != HEADER)
		return refuse(r, why, len, "bundle format %u: this runtime reads format 1",
			      (unsigned)le(h + 8, 4));
	uint8_t digest[32];
	size_t sig_len = le(h + SIGNED, 2);
	if (sig_len > HEADER - SIGNED - 2 || mbedtls_sha256_ret(h, SIGNED, digest, 0) != 0 ||
	    mbedtls_pk_verify(&r->key, MBEDTLS_MD_SHA256, digest, sizeof digest, h + SIGNED + 2,
			      sig_len) != 0)
		return refuse(r, why, len,
			      "bad signature: not signed with this device's update key");
	struct uk_update_info *i = &r->info;
	if (!field(i->target, h + 16, 16) || !field(i->app, h + 32, 64) ||
	    !field(i->version, h + 96, 32))
		return refuse(r, why, len, "a header field is not terminated");
	if (strcmp(i->target, platform.target))
		return refuse(r, why, len, "the bundle is for %s, this board is %s", i->target,
			      platform.target);
	if (r->app[0] && strcmp(i->app, r->app))
		return refuse(r, why, len, "the bundle is of the app %s, this device runs %s",
			      i->app, r->app);
	if (r->running[0] && !strcmp(i->version, r->running))
		return refuse(r, why, len,
			      "the bundle is version %s, which this device runs already",
			      i->version);
	if (r->running[0] && version_order(i->version, r->running) < 0)
		return refuse(r, why, len,
			      "the bundle is version %s, older than the %s this device runs: a "
			      "downgrade (publish the old code under a newer version)",
			      i->version, r->running);
	i->payload = le(h + 128, 8);
	i->n_files = (unsigned)le(h + 136, 4);
	if (i->n_files == 0 || i->n_files > UK_UPDATE_MAX_FILES)
		return refuse(r, why, len, "%u files: 1 to %d", i->n_files, UK_UPDATE_MAX_FILES);
	uint64_t sum = 0;
	for (unsigned k = 0; k < i->n_files; k++) {
		const uint8_t *e = h + TABLE + ENTRY * k;
		struct uk_update_file *f = &i->files[k];
		if (!field(f->name, e, 56) || !f->name[0] || strchr(f->name, '/') ||
		    !strcmp(f->name, ".") || !strcmp(f->name, ".."))
			return refuse(r, why, len, "file %u: a name that is not a plain file name",
				      k);
		for (unsigned other = 0; other < k; other++)
			if (!strcmp(i->files[other].name, f->name))
				return refuse(r, why, len, "%s: named twice in the file table",
					      f->name);
		f->size = le(e + 56, 8);
		memcpy(f->sha256, e + 64, 32);
		if (f->size > i->payload - sum)
			return refuse(r, why, len, "the file sizes do not add up to the payload");
		sum += f->size;
	}
	if (sum != i->payload)
		return refuse(r, why, len, "the file sizes do not add up to the payload");
	r->checked = true;
	return mbedtls_sha256_starts_ret(&r->sha, 0) ? refuse(r, why, len, "SHA-256") : 0;
}

/* The current file is complete: its hash must match. Then the next one starts. */
static int file_done(struct uk_update_reader *r, char *why, size_t len)
{
	uint8_t digest[32];
	const struct uk_update_file *f = &r->info.files[r->file];
	if (mbedtls_sha256_finish_ret(&r->sha, digest) || memcmp(digest, f->sha256, 32))
		return refuse(r, why, len, "%s: SHA-256 mismatch", f->name);
	r->file++;
	r->at = 0;
	return mbedtls_sha256_starts_ret(&r->sha, 0) ? refuse(r, why, len, "SHA-256") : 0;
}

int uk_update_reader_feed(struct uk_update_reader *r, const void *data, size_t n,
			  int (*sink)(void *arg, unsigned file, const void *bytes, size_t n),
			  void *arg, char *why, size_t why_len)
{
	const uint8_t *p = data;
	if (r->failed)
		return refuse(r, why, why_len, "the bundle was already refused");
	if (!r->checked) {
		size_t take = n < HEADER - r->have ? n : HEADER - r->have;
		memcpy(r->header + r->have, p, take);
		r->have += take, p += take, n -= take;
		if (r->have < HEADER)
			return 0;
		if (check_header(r, why, why_len))
			return -1;
	}
	while (n > 0) {
		while (r->file < r->info.n_files && r->at == r->info.files[r->file].size)
			if (file_done(r, why, why_len)) /* empty files, and one just completed */
				return -1;
		if (r->file == r->info.n_files)
			return refuse(r, why, why_len, "bytes after the last file");
		uint64_t left = r->info.files[r->file].size - r->at;
		size_t take = n < left ? n : (size_t)left;
		if (mbedtls_sha256_update_ret(&r->sha, p, take))
			return refuse(r, why, why_len, "SHA-256");
		if (sink && sink(arg, r->file, p, take) != 0)
			return refuse(r, why, why_len, "%s: could not be stored",
				      r->info.files[r->file].name);
		r->at += take, r->passed += take, p += take, n -= take;
	}
	return 0;
}

int uk_update_reader_finish(struct uk_update_reader *r, const struct uk_update_info **info,
			    char *why, size_t why_len)
{
	if (r->failed)
		return refuse(r, why, why_len, "the bundle was refused");
	if (!r->checked)
		return refuse(r, why, why_len, "the bundle ended inside its header");
	while (r->file < r->info.n_files && r->at == r->info.files[r->file].size)
		if (file_done(r, why, why_len))
			return -1;
	if (r->file < r->info.n_files)
		return refuse(r, why, why_len, "the bundle ended early: %llu of %llu payload bytes",
			      (unsigned long long)r->passed, (unsigned long long)r->info.payload);
	if (info)
		*info = &r->info;
	return 0;
}

const struct uk_update_info *uk_update_reader_info(const struct uk_update_reader *r)
{
	return r->checked ? &r->info : NULL;
}

void uk_update_reader_free(struct uk_update_reader *r)
{
	if (!r)
		return;
	mbedtls_pk_free(&r->key);
	mbedtls_sha256_free(&r->sha);
	free(r);
}
