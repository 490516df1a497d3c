/* slots.c: where a card's partitions lie, and the A/B card's own partitions (docs/update.md,
 * uk.yaml update: slots: ab). With slots the Pi 4 firmware (and the virt test firmware) reads
 * autoboot.txt from partition 1 and boots slot A (2) or, on a tryboot, slot B (3); the runtime
 * keeps its update state in uk-update.txt beside it, one sector it rewrites in place.
 * The Pi 3 firmware has no tryboot: its slots are the directories a/ and b/ of the one boot
 * partition, and config.txt ends by including slot.txt, whose os_prefix names the slot. */
#define _GNU_SOURCE
#include "uk.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The runtime reads and rewrites these bytes: they are part of the card format. */
static const char autoboot_txt[] = "[all]\ntryboot_a_b=1\nboot_partition=2\n"
				   "[tryboot]\nboot_partition=3\n";
#define STATE_TEXT "state=none\n"
/* The Pi 3's: appended to config.txt whatever it ends with, and slot A's prefix (the runtime
 * rewrites slot.txt to switch). */
static const char include_slot[] = "\n[all]\ninclude slot.txt\n";
static const char slot_txt[] = "os_prefix=a/\n";

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

static int write_state(const char *path)
{
	char state[512]; /* one sector, so the runtime's rewrite is all or nothing */
	memset(state, '\n', sizeof state);
	memcpy(state, STATE_TEXT, strlen(STATE_TEXT));
	return write_file(path, state, sizeof state);
}

int slots_write(const char *dir, const struct sd_part *autoboot, const struct sd_part *slot_b,
		uint32_t vol_autoboot, uint32_t vol_b, int64_t epoch)
{
	char *files = path_join(dir, ".autoboot"), *a = path_join(files, "autoboot.txt");
	char *u = path_join(files, "uk-update.txt");
	char *av = path_join(dir, SLOTS_AUTOBOOT_IMAGE), *bv = path_join(dir, SLOTS_B_IMAGE);
	int rc = -1;
	if (mkdir_p(files) < 0 || write_file(a, autoboot_txt, strlen(autoboot_txt)) < 0 ||
	    write_state(u) < 0) {
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

int slots_in_dirs(const char *target)
{
	return target && !strcmp(target, "rpi3");
}

int slots_dirs_arrange(const char *boot_dir, const struct strlist *root_names)
{
	char *a = path_join(boot_dir, SLOTS_DIR_A), *b = path_join(boot_dir, "b");
	char *cfg = path_join(boot_dir, "config.txt"), *st = path_join(boot_dir, "slot.txt");
	char *up = path_join(boot_dir, "uk-update.txt"), *text = NULL;
	struct strlist move = {0};
	size_t len = 0;
	int rc = -1;
	if (mkdir_p(a) < 0 || mkdir_p(b) < 0 || read_file(cfg, &text, &len) < 0) {
		error("cannot arrange %s: %s", boot_dir, strerror(errno));
		goto out;
	}
	slots_dirs_list(boot_dir, &move); /* listed first: the folder changes as they move */
	for (size_t i = 0; i < move.n; i++) {
		const char *name = strrchr(move.v[i], '/') + 1;
		if (!strcmp(name, "config.txt") || sl_has(root_names, name))
			continue;
		char *to = path_join(a, name);
		int r = rename(move.v[i], to);
		free(to);
		if (r < 0) {
			error("cannot move %s into %s: %s", move.v[i], a, strerror(errno));
			goto out;
		}
	}
	char *t = xmalloc(len + sizeof include_slot);
	memcpy(t, text, len);
	memcpy(t + len, include_slot, sizeof include_slot);
	int w = write_file(cfg, t, len + strlen(include_slot));
	free(t);
	if (w < 0 || write_file(st, slot_txt, strlen(slot_txt)) < 0 || write_state(up) < 0) {
		error("cannot write %s: %s", boot_dir, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	sl_free(&move);
	free(a), free(b), free(cfg), free(st), free(up), free(text);
	return rc;
}

void slots_dirs_list(const char *dir, struct strlist *out)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct strlist names = {0};
	while (d && (e = readdir(d))) {
		char *p = path_join(dir, e->d_name);
		struct stat st;
		if (e->d_name[0] != '.' && stat(p, &st) == 0 && S_ISREG(st.st_mode))
			sl_push(&names, e->d_name);
		free(p);
	}
	if (d)
		closedir(d);
	sl_sort(&names);
	for (size_t i = 0; i < names.n; i++) {
		char *p = path_join(dir, names.v[i]);
		sl_push(out, p);
		free(p);
	}
	sl_free(&names);
}

static const char *base(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

static int by_base(const void *x, const void *y)
{
	return strcmp(base(*(char *const *)x), base(*(char *const *)y));
}

/* mtools with bootfs.c's environment: the same dates, so the same bytes. */
static int mtool(struct strlist *argv, int64_t epoch)
{
	char *ep = xasprintf("SOURCE_DATE_EPOCH=%lld", (long long)epoch);
	char *env[] = {"TZ=UTC", "MTOOLS_SKIP_CHECK=1", "MTOOLSRC=/dev/null", ep, NULL};
	struct spawn_opts o = {.env = env, .out_fd = -1};
	int r = run(argv->v, &o);
	if (r > 0)
		error("%s failed (status %d) filling %s", argv->v[0], r, argv->v[2]);
	free(ep);
	return r ? -1 : 0;
}

int slots_dirs_write(const char *path, const struct strlist *root, const struct strlist *a_files,
		     const struct bootfs *b)
{
	struct strlist a = {0}, argv = {0};
	sl_append(&a, a_files);
	if (a.n) /* entry order decides the bytes */
		qsort(a.v, a.n, sizeof(char *), by_base);
	int rc = -1;
	for (size_t i = 0; i < a.n; i++)
		for (size_t k = 0; k < i; k++)
			if (fat_names_clash(base(a.v[i]), base(a.v[k]))) {
				error("two boot files, %s and %s, are one file on FAT",
				      base(a.v[k]), base(a.v[i]));
				goto out;
			}
	for (size_t i = 0; i < root->n; i++)
		if (fat_names_clash(base(root->v[i]), SLOTS_DIR_A) ||
		    fat_names_clash(base(root->v[i]), "b")) {
			error("a boot file named %s would hide the slot directory",
			      base(root->v[i]));
			goto out;
		}
	if (bootfs_write_files(path, root, b) < 0)
		goto out;
	sl_push(&argv, "mmd");
	sl_push(&argv, "-i");
	sl_push(&argv, path);
	sl_push(&argv, "::/" SLOTS_DIR_A);
	sl_push(&argv, "::/b");
	if (mtool(&argv, b->epoch) < 0)
		goto out;
	sl_free(&argv);
	sl_push(&argv, "mcopy");
	sl_push(&argv, "-i");
	sl_push(&argv, path);
	sl_append(&argv, &a);
	sl_push(&argv, "::/" SLOTS_DIR_A "/");
	if (a.n && mtool(&argv, b->epoch) < 0)
		goto out;
	rc = 0;
out:
	sl_free(&argv);
	sl_free(&a);
	return rc;
}
