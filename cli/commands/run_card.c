/* run_card.c: the SD card uk run attaches: a working copy of the build's sdcard.img beside the
 * output (OUT.card.img), so what the app writes in one run is there in the next. A rebuilt
 * image, a missing copy or --fresh start it again from sdcard.img. virt gets it as a virtio
 * block device, raspi3b and raspi4b in their SD slot (-drive if=sd).
 *
 * QEMU's SD card model refuses an image whose size is not a power of two, and sdcard.img
 * (4 MiB + the partitions) rarely is one. The working copy is grown (sparsely) to the next power
 * of two rather than refused: it is uk's own file, the MBR describes only the partitions, so the
 * tail is unpartitioned space as on any real card larger than the image, and sdcard.img itself,
 * the bytes uk flash writes, is untouched. */
#define _GNU_SOURCE
#include "uk.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A sparse copy, made beside and renamed into place: only the image's data extents are
 * read and written (mbr.c's copier, which reads everything where SEEK_DATA is missing). */
static int copy_sparse(const char *from, const char *to)
{
	int in = open(from, O_RDONLY | O_CLOEXEC), out = -1, rc = -1;
	struct stat st;
	char *tmp = xasprintf("%s.tmp-%d", to, (int)getpid());
	if (in < 0 || fstat(in, &st) < 0)
		goto done;
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0 || ftruncate(out, st.st_size) < 0)
		goto done;
	if (copy_extents(in, st.st_size, out, 0) < 0)
		goto done;
	if (fsync(out) == 0 && rename(tmp, to) == 0)
		rc = 0;
done:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (rc)
		unlink(tmp);
	free(tmp);
	return rc;
}

/* Grows the card to the next power of two (QEMU's SD card model takes no other size). */
static int grow_to_power_of_two(const char *card)
{
	struct stat st;
	if (stat(card, &st) < 0)
		return -1;
	uint64_t size = (uint64_t)st.st_size, p2 = 1;
	while (p2 < size)
		p2 <<= 1;
	return p2 == size ? 0 : truncate(card, (off_t)p2);
}

int run_card(const char *target, const char *out, int fresh, struct strlist *qemu)
{
	bool sd_slot = !strcmp(target, "rpi3") || !strcmp(target, "rpi4");
	if (strcmp(target, "virt") && !sd_slot)
		return 0;
	char *img = path_join(out, "sdcard.img"), *card = xasprintf("%s.card.img", out);
	int rc = 0;
	int64_t built = mtime_ns(img), copied = mtime_ns(card);
	if (built < 0) {
		error("no %s to attach as the card", img);
		hint("rebuild: uk build");
		rc = EXIT_FAIL;
	} else if (fresh || copied < built) {
		if (copy_sparse(img, card) < 0) {
			error("cannot make the card %s: %s", card, strerror(errno));
			rc = EXIT_FAIL;
		} else if (copied >= 0) {
			note("the card starts again from %s%s", img,
			     fresh ? " (--fresh)" : " (rebuilt)");
		}
	}
	if (!rc && sd_slot && grow_to_power_of_two(card) < 0) {
		error("cannot size the card %s for QEMU's SD slot: %s", card, strerror(errno));
		rc = EXIT_FAIL;
	}
	if (!rc && sd_slot) {
		sl_push(qemu, "-drive");
		sl_pushf(qemu, "if=sd,format=raw,file=%s", card);
	} else if (!rc) {
		sl_push(qemu, "-drive");
		sl_pushf(qemu, "if=none,id=card,format=raw,file=%s", card);
		sl_push(qemu, "-device");
		sl_push(qemu, "virtio-blk-device,drive=card");
	}
	free(img), free(card);
	return rc;
}
