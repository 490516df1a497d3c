/*
 * Host tests for uk/update.h's bundle reader (runtime/update/update_bundle.c) against bundles
 * the real writer made (uk build --sign, in DIR/bundle: see update_bundle.mk): a good bundle in
 * any chunking gives every file's bytes, in order, and its header's fields; a wrong key, another
 * board's bundle, a changed header or payload byte, a cut or a longer bundle, and a sink that
 * fails are each refused with their reason, and nothing of the payload reaches the sink before
 * the signature checked out.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uk/update.h>

#include "kernel.h"
#include "tap.h"

const struct platform platform = {.target = "virt"};

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		exit(1);
	}
	fseek(f, 0, SEEK_END);
	*len = (size_t)ftell(f);
	rewind(f);
	unsigned char *b = malloc(*len + 1);
	if (fread(b, 1, *len, f) != *len)
		exit(1);
	b[*len] = 0;
	fclose(f);
	return b;
}

/* what the sink saw */
static unsigned char got[1 << 22];
static size_t got_len;
static unsigned calls_before_header;
static bool fail_sink;
static const char *expect_app = "app", *expect_running = "7.0.0";

static int sink(void *arg, unsigned file, const void *bytes, size_t n)
{
	(void)arg, (void)file;
	if (fail_sink)
		return -1;
	memcpy(got + got_len, bytes, n);
	got_len += n;
	return 0;
}

/* Feeds the bundle in chunks of step bytes (0: random sizes); 0 or -1 and why. */
static int run(const char *key, const unsigned char *b, size_t len, size_t step, char *why,
	       const struct uk_update_info **info)
{
	got_len = 0;
	struct uk_update_reader *r =
	    uk_update_reader_new(key, expect_app, expect_running, why, 160);
	if (!r)
		return -1;
	int rc = 0;
	for (size_t at = 0; at < len && rc == 0;) {
		size_t n = step ? step : (size_t)(rand() % 9000) + 1;
		if (n > len - at)
			n = len - at;
		rc = uk_update_reader_feed(r, b + at, n, sink, NULL, why, 160);
		at += n;
	}
	if (rc == 0)
		rc = uk_update_reader_finish(r, info, why, 160);
	static struct uk_update_info copy;
	if (rc == 0 && info) {
		copy = **info;
		*info = &copy;
	}
	uk_update_reader_free(r);
	return rc;
}

int main(int argc, char **argv)
{
	char path[512], why[160];
	const char *dir = argc > 1 ? argv[1] : ".";
	size_t len, rpi3_len, key_len;
	snprintf(path, sizeof path, "%s/bundle/sign.pub", dir);
	char *key = (char *)slurp(path, &key_len);
	snprintf(path, sizeof path, "%s/bundle/other.pub", dir);
	char *other = (char *)slurp(path, &key_len);
	snprintf(path, sizeof path, "%s/bundle/app/build/virt/update.ukb", dir);
	unsigned char *b = slurp(path, &len);
	snprintf(path, sizeof path, "%s/bundle/app/build/rpi3/update.ukb", dir);
	unsigned char *rpi3 = slurp(path, &rpi3_len);

	const struct uk_update_info *info = NULL;
	int rc = run(key, b, len, 0, why, &info);
	CHECK(rc == 0 && info && !strcmp(info->target, "virt") && !strcmp(info->app, "app") &&
		  !strcmp(info->version, "7.1.0"),
	      "a good bundle in random chunks is accepted: target, app and version read (%s)",
	      rc ? why : "ok");
	CHECK(rc == 0 && got_len == len - 4096 && !memcmp(got, b + 4096, got_len),
	      "the sink got the whole payload, in order (%zu bytes)", got_len);
	bool names = rc == 0 && info->n_files >= 3;
	for (unsigned i = 0; names && i < info->n_files; i++)
		names = strcmp(info->files[i].name, "kernel8.img") == 0 ||
			strcmp(info->files[i].name, "cmdline.txt") == 0 ||
			strcmp(info->files[i].name, "config.txt") == 0;
	CHECK(names, "its files are the boot partition's (kernel8.img, cmdline.txt, config.txt)");
	rc = run(key, b, len, 1, why, NULL);
	CHECK(rc == 0, "byte by byte too (%s)", rc ? why : "ok");

	rc = run(other, b, len, 0, why, NULL);
	CHECK(rc == -1 && strstr(why, "bad signature") && got_len == 0,
	      "another key: refused before any payload byte (%s)", why);
	rc = run(key, rpi3, rpi3_len, 0, why, NULL);
	CHECK(rc == -1 && !strcmp(why, "the bundle is for rpi3, this board is virt") &&
		  got_len == 0,
	      "another board's bundle: %s", why);

	unsigned char *bad = malloc(len);
	memcpy(bad, b, len);
	bad[100] ^= 1; /* the version field */
	rc = run(key, bad, len, 0, why, NULL);
	CHECK(rc == -1 && strstr(why, "bad signature"), "a changed header: %s", why);
	memcpy(bad, b, len);
	bad[len - 5] ^= 0x40;
	rc = run(key, bad, len, 0, why, NULL);
	CHECK(rc == -1 && strstr(why, "SHA-256 mismatch"), "a changed payload byte: %s", why);
	rc = run(key, b, len - 7, 0, why, NULL);
	CHECK(rc == -1 && strstr(why, "ended early"), "a cut bundle: %s", why);
	rc = run(key, b, 3000, 0, why, NULL);
	CHECK(rc == -1 && strstr(why, "inside its header"), "cut inside the header: %s", why);
	unsigned char *longer = malloc(len + 3);
	memcpy(longer, b, len);
	memcpy(longer + len, "xyz", 3);
	rc = run(key, longer, len + 3, 0, why, NULL);
	CHECK(rc == -1 && strstr(why, "bytes after the last file"), "a longer bundle: %s", why);
	fail_sink = true;
	rc = run(key, b, len, 0, why, NULL);
	fail_sink = false;
	CHECK(rc == -1 && strstr(why, "could not be stored"), "a sink that fails: %s", why);
	expect_app = "other";
	rc = run(key, b, len, 0, why, NULL);
	CHECK(rc == -1 && !strcmp(why, "the bundle is of the app app, this device runs other") &&
		  got_len == 0,
	      "another app's bundle: %s", why);
	expect_app = "app", expect_running = "7.1.0";
	rc = run(key, b, len, 0, why, NULL);
	CHECK(rc == -1 && strstr(why, "version 7.1.0, which this device runs already"),
	      "the version the device runs: %s", why);
	expect_running = "7.2.0";
	rc = run(key, b, len, 0, why, NULL);
	CHECK(rc == -1 && strstr(why, "version 7.1.0, older than the 7.2.0 this device runs") &&
		  got_len == 0,
	      "an older version (a replayed bundle): %s", why);
	expect_running = "7.0.10";
	rc = run(key, b, len, 0, why, NULL);
	CHECK(rc == 0, "7.1.0 over 7.0.10: newer, numbers compared as numbers (%s)",
	      rc ? why : "ok");
	expect_running = "10";
	rc = run(key, b, len, 0, why, NULL);
	CHECK(rc == -1 && strstr(why, "older than the 10"), "7.1.0 over 10: older: %s", why);
	expect_running = "7.1.0-rc1";
	rc = run(key, b, len, 0, why, NULL);
	CHECK(rc == 0, "a running version that is not dotted numbers: no order, taken (%s)",
	      rc ? why : "ok");
	expect_running = NULL;
	rc = run(key, b, len, 0, why, NULL);
	CHECK(rc == 0, "no running version given: not checked (%s)", rc ? why : "ok");
	struct uk_update_reader *r = uk_update_reader_new("not a key", NULL, NULL, why, sizeof why);
	CHECK(!r && strstr(why, "not an ECDSA P-256 public key"), "a bad key: %s", why);
	free(bad);
	free(longer);
	free(b);
	free(rpi3);
	free(key);
	free(other);
	return TAP_DONE();
}
