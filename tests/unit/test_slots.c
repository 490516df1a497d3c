/*
 * Host tests for runtime/fs/slots.c, which decides which slot of an A/B card is /boot: the Pi 4
 * (and virt) rules of autoboot.txt with the firmware's /chosen/bootloader, and the Pi 3's
 * slot.txt. A file system is faked by one in-memory file per path; the device tree by what
 * dt_bootloader answers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "vfs.h"

/* ---- the fakes slots.c calls ---- */
static const char *autoboot_txt, *slot_txt; /* NULL: no such file */
static int dt_partition = -1, dt_tryboot;   /* -1: the firmware gave no /chosen/bootloader */
const void *uk_fdt;

int vfs_init(void)
{
	return 0;
}

int dt_bootloader(const void *fdt, uint32_t *partition, uint32_t *tryboot)
{
	(void)fdt;
	if (dt_partition < 0)
		return -ENOENT;
	*partition = (uint32_t)dt_partition;
	*tryboot = (uint32_t)dt_tryboot;
	return 0;
}

struct fake_file {
	const char *text;
	size_t at;
};

static int fake_open(struct mount *m, const char *path, int flags, void **file)
{
	(void)m, (void)flags;
	const char *t = !strcmp(path, "/autoboot.txt") ? autoboot_txt
			: !strcmp(path, "/slot.txt")   ? slot_txt
						       : NULL;
	if (!t)
		return -ENOENT;
	struct fake_file *f = calloc(1, sizeof *f);
	f->text = t;
	*file = f;
	return 0;
}

static ssize_t fake_read(struct mount *m, void *file, void *buf, size_t n)
{
	(void)m;
	struct fake_file *f = file;
	size_t left = strlen(f->text) - f->at;
	n = n < left ? n : left;
	memcpy(buf, f->text + f->at, n);
	f->at += n;
	return (ssize_t)n;
}

static int fake_close(struct mount *m, void *file)
{
	(void)m;
	free(file);
	return 0;
}

static const struct fs_ops fake_ops = {.open = fake_open, .read = fake_read, .close = fake_close};

static void *mounted[32]; /* each probe mounts again: kept reachable for the leak checker */
static int n_mounted;

int fat_mount(struct mount *m)
{
	m->ops = &fake_ops;
	m->fs = mounted[n_mounted++ % 32] = malloc(1);
	return 0;
}

/* ---- the cases ---- */
static const char uk_autoboot[] =
    "[all]\ntryboot_a_b=1\nboot_partition=2\n[tryboot]\nboot_partition=3\n";
static const char swapped[] =
    "[all]\ntryboot_a_b=1\nboot_partition=3\n[tryboot]\nboot_partition=2\n";

static int probe(void)
{
	struct volume part[4] = {{.first = 8192}, {.first = 24576}, {.first = 122880}, {0}};
	uint8_t type[4] = {0x0e, 0x0c, 0x0c, 0xda};
	return slots_probe(part, type);
}

int main(void)
{
	unsigned normal, trial;
	CHECK(slots_parse_autoboot(uk_autoboot, &normal, &trial) == 0 && normal == 2 && trial == 3,
	      "uk build's autoboot.txt: a normal boot takes 2, a tryboot 3");
	CHECK(slots_parse_autoboot(swapped, &normal, &trial) == 0 && normal == 3 && trial == 2,
	      "after a confirmed update: 3 and 2");
	CHECK(slots_parse_autoboot("[all]\r\ntryboot_a_b=1\r\nboot_partition=2\r\n[tryboot]\r\n"
				   "boot_partition=3\r\n",
				   &normal, &trial) == 0 &&
		  normal == 2 && trial == 3,
	      "CR LF line ends read the same");
	CHECK(slots_parse_autoboot("[all]\nboot_partition=2\n[tryboot]\nboot_partition=3\n",
				   &normal, &trial) == -EINVAL,
	      "without tryboot_a_b=1: not an A/B card");
	CHECK(slots_parse_autoboot("[all]\ntryboot_a_b=1\nboot_partition=2\n", &normal, &trial) ==
		  -EINVAL,
	      "no [tryboot] partition (a tryboot would boot the same slot): refused");
	CHECK(slots_parse_autoboot(
		  "[all]\ntryboot_a_b=1\nboot_partition=2\n[tryboot]\nboot_partition=4\n", &normal,
		  &trial) == -EINVAL,
	      "a slot outside partitions 2 and 3: refused");
	CHECK(
	    slots_parse_autoboot("[all]\ntryboot_a_b=1\nboot_partition=2\n[pi3]\nboot_partition=3\n"
				 "[tryboot]\nboot_partition=3\n",
				 &normal, &trial) == 0 &&
		normal == 2,
	    "another section's boot_partition does not count for a normal boot");

	/* the partition scheme: the firmware's word first */
	autoboot_txt = uk_autoboot;
	dt_partition = 3, dt_tryboot = 1;
	int r = probe();
	struct card_slots *s = vfs_slots();
	CHECK(r == 3 && s && s->booted == 3 && s->tryboot && !s->prefix,
	      "the firmware says partition 3, tryboot: /boot is slot B, a trial (%d)", r);
	CHECK(s && s->slot[0].first == 24576 && s->slot[1].first == 122880,
	      "the slots are partitions 2 and 3");
	dt_partition = -1;
	r = probe();
	CHECK(r == 2 && !vfs_slots()->tryboot,
	      "no /chosen/bootloader (uk run --qemu): the normal boot's partition, not a trial");
	autoboot_txt = swapped;
	CHECK(probe() == 3, "...which autoboot.txt names (3 after a confirmed update)");
	autoboot_txt = "[all]\nboot_partition=2\n";
	CHECK(probe() == -ENOENT, "an autoboot.txt without the A/B rules: not an A/B card");
	autoboot_txt = NULL;
	CHECK(probe() == -ENOENT, "no autoboot.txt: not an A/B card");

	/* the Pi 3 scheme */
	struct mount boot = {.path = "/boot", .ops = &fake_ops};
	slot_txt = "os_prefix=b/\n";
	CHECK(slots_probe_prefix(&boot) == 0 && vfs_slots()->prefix && vfs_slots()->booted == 3 &&
		  vfs_slots()->state == &boot,
	      "slot.txt os_prefix=b/: slot B, its state on /boot");
	slot_txt = "os_prefix=a/\n";
	CHECK(slots_probe_prefix(&boot) == 0 && vfs_slots()->booted == 2, "os_prefix=a/: slot A");
	slot_txt = "os_prefix=c/\n";
	CHECK(slots_probe_prefix(&boot) == -ENOENT, "any other prefix: not an A/B card");
	slot_txt = NULL;
	CHECK(slots_probe_prefix(&boot) == -ENOENT, "no slot.txt: not an A/B card");
	return TAP_DONE();
}
