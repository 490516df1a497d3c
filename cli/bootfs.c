/* bootfs.c: the FAT32 boot partition, made with mkfs.fat and mcopy (no root, no loop device).
 * Reusable on its own: give it a flat directory of files, get a partition image. */
#include "uk.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

int bootfs_write(const char *path, const char *src_dir, const struct bootfs *b)
{
	struct strlist files = {0}, argv = {0};
	DIR *d = opendir(src_dir);
	if (!d) {
		error("cannot read %s", src_dir);
		return -1;
	}
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			sl_push(&files, e->d_name);
	closedir(d);
	sl_sort(&files); /* directory order decides entry order: sort for the same bytes */

	/* 512-byte clusters keep even a 36 MiB partition above FAT32's 65525-cluster floor. */
	sl_push(&argv, "mkfs.fat");
	sl_push(&argv, "-F");
	sl_push(&argv, "32");
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
		sl_free(&files);
		return -1;
	}

	/* mtools writes local time: pin TZ so the dates, and so the bytes, do not vary. */
	char *env[] = {"TZ=UTC", "MTOOLS_SKIP_CHECK=1", "MTOOLSRC=/dev/null", NULL};
	for (size_t i = 0; i < files.n; i++) {
		char *p = path_join(src_dir, files.v[i]);
		set_mtime(p, b->epoch);
		free(p);
	}
	sl_push(&argv, "mcopy");
	sl_push(&argv, "-m"); /* keep the (pinned) modification time */
	sl_push(&argv, "-i");
	sl_push(&argv, path);
	for (size_t i = 0; i < files.n; i++)
		sl_push(&argv, "PLACEHOLDER");
	sl_push(&argv, "::/");
	for (size_t i = 0; i < files.n; i++) {
		free(argv.v[4 + i]);
		argv.v[4 + i] = path_join(src_dir, files.v[i]);
	}
	struct spawn_opts o = {.env = env, .out_fd = -1};
	r = files.n ? run(argv.v, &o) : 0;
	sl_free(&argv);
	sl_free(&files);
	if (r != 0) {
		if (r > 0)
			error("mcopy failed (status %d) filling %s", r, path);
		return -1;
	}
	return 0;
}
