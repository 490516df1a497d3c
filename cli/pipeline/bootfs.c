/* bootfs.c: the FAT32 boot partition (and the A/B card's small FAT16 one), made with mkfs.fat and
 * mcopy (no root, no loop device). Reusable on its own (fleet stamping): a list of files in, a
 * partition image out. */
#include "uk.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

static int by_base(const void *a, const void *b)
{
	return strcmp(base_name(*(char *const *)a), base_name(*(char *const *)b));
}

int bootfs_write_files(const char *path, const struct strlist *files, const struct bootfs *b)
{
	struct strlist argv = {0}, sorted = {0};
	sl_append(&sorted, files);
	if (sorted.n) /* directory order decides entry order: sort for the same bytes */
		qsort(sorted.v, sorted.n, sizeof(char *), by_base);
	for (size_t i = 0; i < sorted.n; i++)
		for (size_t k = 0; k < i; k++)
			if (fat_names_clash(base_name(sorted.v[i]), base_name(sorted.v[k]))) {
				error("two boot files, %s and %s, are one file on FAT",
				      base_name(sorted.v[k]), base_name(sorted.v[i]));
				sl_free(&sorted);
				return -1;
			}

	/* 512-byte clusters keep even a 36 MiB partition above FAT32's 65525-cluster floor. */
	sl_push(&argv, "mkfs.fat");
	sl_push(&argv, "-F");
	sl_pushf(&argv, "%d", b->fat_bits ? b->fat_bits : 32);
	sl_push(&argv, "-S");
	sl_push(&argv, "512");
	sl_push(&argv, "-s");
	sl_push(&argv, "1");
	sl_push(&argv, "-h");
	sl_pushf(&argv, "%u", b->hidden_sectors);
	sl_push(&argv, "-n");
	sl_push(&argv, b->label);
	sl_push(&argv, "--invariant"); /* dosfstools 4.2 ignores SOURCE_DATE_EPOCH */
	sl_push(&argv, "-i");
	sl_pushf(&argv, "%08X", b->volume_id);
	sl_push(&argv, "-C");
	sl_push(&argv, path);
	sl_pushf(&argv, "%llu", (unsigned long long)(b->size / 1024));
	struct spawn_opts q = {.out_path = "/dev/null", .out_fd = -1};
	int r = run(argv.v, &q);
	sl_free(&argv);
	if (r != 0) {
		if (r > 0)
			error("mkfs.fat failed (status %d) making %s", r, path);
		sl_free(&sorted);
		return -1;
	}

	/* mtools dates new files SOURCE_DATE_EPOCH, in local time: pin TZ too, for the same bytes
	 */
	char *epoch = xasprintf("SOURCE_DATE_EPOCH=%lld", (long long)b->epoch);
	char *env[] = {"TZ=UTC", "MTOOLS_SKIP_CHECK=1", "MTOOLSRC=/dev/null", epoch, NULL};
	sl_push(&argv, "mcopy");
	sl_push(&argv, "-i");
	sl_push(&argv, path);
	sl_append(&argv, &sorted);
	sl_push(&argv, "::/");
	struct spawn_opts o = {.env = env, .out_fd = -1};
	r = sorted.n ? run(argv.v, &o) : 0;
	sl_free(&argv);
	sl_free(&sorted);
	free(epoch);
	if (r != 0) {
		if (r > 0)
			error("mcopy failed (status %d) filling %s", r, path);
		return -1;
	}
	return 0;
}

int bootfs_write(const char *path, const char *src_dir, const struct bootfs *b)
{
	struct strlist files = {0};
	DIR *d = opendir(src_dir);
	if (!d) {
		error("cannot read %s", src_dir);
		return -1;
	}
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			char *p = path_join(src_dir, e->d_name);
			sl_push(&files, p);
			free(p);
		}
	closedir(d);
	int r = bootfs_write_files(path, &files, b);
	sl_free(&files);
	return r;
}
