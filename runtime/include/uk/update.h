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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

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
 * (a bundle of that same version is refused, and so is an older one when both versions are
 * dotted numbers: a replayed old bundle). Either may be NULL: not checked. */
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
/* The header's fields once its signature checked out; NULL before. */
const struct uk_update_info *uk_update_reader_info(const struct uk_update_reader *r);

/* ---- slots: an A/B card (uk.yaml `update: slots: ab`; docs/update.md) ---- */
struct uk_update_status {
	char slot;	    /* 'A' or 'B': the slot this boot runs */
	unsigned partition; /* its partition: 2 or 3 */
	char version[32];   /* uk.yaml's version: of the running build */
	bool trial;	  /* a trial boot of a new version: uk_update_confirm() or it rolls back */
	bool rolled_back; /* the last update was not confirmed: this boot went back to us */
	char failed_version[32]; /* ...and that update's version */
};
/* 0, or -ENODEV when the card has no slots (version is filled in either way). */
int uk_update_status(struct uk_update_status *s);
/* Reads a bundle from read() (bytes, 0 at its end, negative on error) and writes it into the
 * slot that is not running, checking it as it goes (uk_update_reader_*: the key is
 * /boot/update.pem, the app and version this build's). 0 when it is whole and checked; then
 * uk_update_reboot() tries it. -1 with why: nothing switched, the running slot untouched. */
int uk_update_install(ssize_t (*read)(void *arg, void *buf, size_t n), void *arg, char *why,
		      size_t why_len);
/* The same from https://HOST[:PORT]/PATH, the server checked against ca_file (and server_name,
 * or HOST when NULL). Needs the network up and the time of day known (uk/time.h). */
int uk_update_fetch(const char *url, const char *ca_file, const char *server_name, char *why,
		    size_t why_len);
/* Resets into the installed slot for one trial boot (the firmware's tryboot). Returns only on
 * failure: -EINVAL (nothing installed), -ENOTSUP (this board's firmware cannot). */
int uk_update_reboot(void);
/* On a trial boot, once the app is healthy: the new slot becomes the normal boot. Unconfirmed,
 * the next reset (the trial's deadline, uk.update.trial= seconds, default 120; the watchdog;
 * main returning; any reset) boots the previous version. 0 also when not on trial. */
int uk_update_confirm(void);

#endif
