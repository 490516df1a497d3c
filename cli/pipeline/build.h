/* build.h: what the build pipeline's files (build.c, compile.c, bootdir.c, buildjson.c) share. */
#ifndef UK_BUILD_H
#define UK_BUILD_H

#include "uk.h"

extern int build_jobs; /* parallel compiles; 0: the number of CPUs */

struct ctx {
	struct manifest *m;
	const char *target;
	const char *out, *tmp, *old; /* old: previous output or NULL */
	struct conf tc, lay;
	struct strlist cc, cflags, ldflags, libs, objcopy;
	int64_t epoch;
	uint64_t part_offset;	 /* where the partition starts in sdcard.img */
	uint64_t data_offset;	 /* where /data starts in sdcard.img; 0: no data partition */
	struct sd_part parts[4]; /* sdcard.img's partitions, in MBR order */
	int nparts;
};

/* compile.c: incremental compile and link; *any / *relinked say whether work was done */
char *obj_rel(const char *src);
int deps_changed(const char *dfile, const char *appdir, int64_t obj_time);
int compile(struct ctx *c, int *any);
int link_app(struct ctx *c, int compiled, int *relinked);

/* bootdir.c: boot/ (config.txt, cmdline.txt, kernel, dtb, firmware), boot.vfat, sdcard.img */
int boot_files(struct ctx *c, char **fw_version); /* -2: firmware or dtb missing */
/* boot/'s files relative to it, sorted; a slot directory's as a/NAME (the Pi 3's A/B card) */
void boot_tree(const char *boot, struct strlist *out);
int images(struct ctx *c, uint64_t *size, uint32_t *vol, uint32_t *sig);

/* buildjson.c */
int build_json(struct ctx *c, const char *fw_version, uint64_t size, uint32_t vol, uint32_t sig);

#endif
