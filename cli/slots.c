/* slots.c: where a card's partitions lie, and the A/B card's own partitions (docs/update.md,
 * uk.yaml update: slots: ab). With slots the Pi 4 firmware (and the virt test firmware) reads
 * autoboot.txt from partition 1 and boots slot A (2) or, on a tryboot, slot B (3); the runtime
 * keeps its update state in uk-update.txt beside it, one sector it rewrites in place. */
#define _GNU_SOURCE
#include "uk.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The runtime reads and rewrites these bytes: they are part of the card format. */
static const char autoboot_txt[] = "[all]\ntryboot_a_b=1\nboot_partition=2\n"
				   "[tryboot]\nboot_partition=3\n";
#define STATE_TEXT "state=none\n"

static const char *const part_roles[] = {"boot", "autoboot", "slot-a", "slot-b", "data", NULL};

const char *part_role(const char *s)
{
	for (int i = 0; s && part_roles[i]; i++)
		if (!strcmp(s, part_roles[i]))
			return part_roles[i];
	return NULL;
}

int card_layout(struct sd_part p[4], uint64_t offset, uint64_t boot_size, uint64_t slot_size,
		uint64_t data_size, uint64_t *total)
{
	int n = 0;
	uint64_t at = offset;
	memset(p, 0, 4 * sizeof *p);
	if (slot_size) {
		/* the firmware boots from the partition autoboot.txt names, not from a flag; the
		 * flag is set on partition 1 for the tools that look for one */
		p[n++] = (struct sd_part){.role = "autoboot",
					  .type = 0x0e, /* FAT16 LBA */
					  .boot = 1,
					  .offset = at,
					  .size = AUTOBOOT_SIZE};
		at += AUTOBOOT_SIZE;
		p[n++] = (struct sd_part){
		    .role = "slot-a", .type = 0x0c, .offset = at, .size = slot_size};
		at += slot_size;
		p[n++] = (struct sd_part){
		    .role = "slot-b", .type = 0x0c, .offset = at, .size = slot_size};
		at += slot_size;
	} else {
		p[n++] =
		    (struct sd_part){.role = "boot",
				     .type = 0x0c, /* FAT32 LBA: the Pi 3 ROM boots nothing else */
				     .boot = 1,
				     .offset = at,
				     .size = boot_size};
		at += boot_size;
	}
	if (data_size) {
		/* 0xda: non-file-system data to other systems; uk's littlefs /data */
		p[n++] =
		    (struct sd_part){.role = "data", .type = 0xda, .offset = at, .size = data_size};
		at += data_size;
	}
	*total = at;
	return n;
}

int card_find(const struct sd_part *p, int n, const char *role)
{
	for (int i = 0; i < n; i++)
		if (p[i].role && !strcmp(p[i].role, role))
			return i;
	return -1;
}

int slots_write(const char *dir, const struct sd_part *autoboot, const struct sd_part *slot_b,
		uint32_t vol_autoboot, uint32_t vol_b, int64_t epoch)
{
	char *files = path_join(dir, ".autoboot"), *a = path_join(files, "autoboot.txt");
	char *u = path_join(files, "uk-update.txt");
	char *av = path_join(dir, SLOTS_AUTOBOOT_IMAGE), *bv = path_join(dir, SLOTS_B_IMAGE);
	char state[512];
	int rc = -1;
	memset(state, '\n', sizeof state);
	memcpy(state, STATE_TEXT, strlen(STATE_TEXT));
	if (mkdir_p(files) < 0 || write_file(a, autoboot_txt, strlen(autoboot_txt)) < 0 ||
	    write_file(u, state, sizeof state) < 0) {
		error("cannot write %s: %s", files, strerror(errno));
		goto out;
	}
	struct strlist l = {0};
	sl_push(&l, a);
	sl_push(&l, u);
	struct bootfs fa = {.size = autoboot->size,
			    .volume_id = vol_autoboot,
			    .label = "UKAUTO",
			    .hidden_sectors = (uint32_t)(autoboot->offset / MBR_SECTOR),
			    .epoch = epoch,
			    .fat_bits = 16};
	struct bootfs fb = {.size = slot_b->size,
			    .volume_id = vol_b,
			    .label = "UKSLOTB",
			    .hidden_sectors = (uint32_t)(slot_b->offset / MBR_SECTOR),
			    .epoch = epoch};
	struct strlist none = {0};
	int r = bootfs_write_files(av, &l, &fa);
	sl_free(&l);
	if (r < 0 || bootfs_write_files(bv, &none, &fb) < 0)
		goto out;
	rc = 0;
out:
	rm_rf(files);
	free(files), free(a), free(u), free(av), free(bv);
	return rc;
}
