/*
 * uk/update.h: signed update bundles (docs/update.md). This part checks a bundle as it streams
 * in: the header's ECDSA P-256 signature against the public key the device trusts, the target,
 * then each file's size and SHA-256; bytes reach the caller only after the header checked out,
 * and a file counts only once its last byte matched its hash. Installing into a slot, switching
 * and confirming come with the slot layouts.
 *
 *     #include <stdio.h>
 *     #include <uk/update.h>
 *
 *     static int store(void *arg, unsigned file, const void *bytes, size_t n)
 *     {
 *             // write to the inactive slot's file (a temporary name until finish says ok)
 *             return 0;
 *     }
 *
 *     char why[160];
 *     struct uk_update_reader *r = uk_update_reader_new(public_key_pem, "sensor", "1.4.2",
 *                                                       why, sizeof why);
 *     while ((n = read(fd, buf, sizeof buf)) > 0)
 *             if (uk_update_reader_feed(r, buf, n, store, NULL, why, sizeof why) != 0)
 *                     break;                          // e.g. "bad signature"
 *     const struct uk_update_info *info;
 *     if (uk_update_reader_finish(r, &info, why, sizeof why) == 0)
 *             printf("version %s checked\n", info->version);
 *     else
 *             printf("update refused: %s\n", why);    // nothing of it may be used
 *     uk_update_reader_free(r);
 */
#ifndef UK_UPDATE_H
#define UK_UPDATE_H

#include <stddef.h>
#include <stdint.h>

#define UK_UPDATE_MAX_FILES 32

struct uk_update_file {
	char name[56];
	uint64_t size;
	uint8_t sha256[32];
};

struct uk_update_info {
	char target[16], app[64], version[32];
	uint64_t payload;
	unsigned n_files;
	struct uk_update_file files[UK_UPDATE_MAX_FILES];
};

struct uk_update_reader;

/* key_pem: the public key (PEM) whose private half signs the bundles this device takes; app:
 * the app this device runs (a bundle of another app is refused); running: the version it runs
 * (a bundle of that same version is refused). Either may be NULL: not checked. Replaying an
 * older signed version is not refused yet (that needs a counter kept on the device). */
struct uk_update_reader *uk_update_reader_new(const char *key_pem, const char *app,
					      const char *running, char *why, size_t why_len);
/* The next n bytes of the bundle. Payload bytes go to sink (file: its index in the table) once
 * the header is checked; sink returns 0, or non-zero to stop. 0, or -1 with why said. */
int uk_update_reader_feed(struct uk_update_reader *r, const void *data, size_t n,
			  int (*sink)(void *arg, unsigned file, const void *bytes, size_t n),
			  void *arg, char *why, size_t why_len);
/* After the last byte: 0 when every file arrived whole with its hash (info: the header's). */
int uk_update_reader_finish(struct uk_update_reader *r, const struct uk_update_info **info,
			    char *why, size_t why_len);
void uk_update_reader_free(struct uk_update_reader *r);

#endif
