/* cmd_flash.c: uk flash: writes an SD card image to a card, safely (flash_safety.c) and
 * verifiably (flash_write.c). */
#define _GNU_SOURCE
#include "flash.h"
#include "fleet.h"

#include <errno.h>
#include <glob.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

const char usage_flash[] =
    "usage: uk flash IMAGE|BUILD-DIR DEVICE [options]\n"
    "       uk flash --device NAME [FLEET-DIR] DEVICE [options]\n"
    "\n"
    "Write an SD card image (sdcard.img, or the one in BUILD-DIR) to DEVICE, a card\n"
    "(/dev/sdX, /dev/mmcblkN) or a plain file. uk refuses a device that is not removable,\n"
    "is mounted, holds /, /usr, /boot, /home, /var or swap, is held by LVM, RAID or\n"
    "device-mapper, is read-only, smaller than the image or holds the image itself. It\n"
    "prints the device's model, size, bus and serial and asks you to type its name.\n"
    "Only the blocks the image uses are written (sdcard.img.bmap, written by uk build),\n"
    "the partition table last; everything is read back and compared. A failure or\n"
    "Ctrl-C leaves the card without a partition table.\n"
    "\n"
    "Options:\n"
    "\n"
    "Exit codes: 0 written and verified, 2 usage, 10 refused target, 11 target busy,\n"
    "12 image corrupt, 13 write error, 14 verify mismatch, 15 not confirmed,\n"
    "130 interrupted. After 12, 13, 14 and 130 the card has no partition table.\n";

/* The sha256 of sdcard.img recorded in build.json beside it, or NULL. */
static char *recorded_sha256(const char *image)
{
	const char *b = strrchr(image, '/');
	b = b ? b + 1 : image;
	if (strcmp(b, "sdcard.img"))
		return NULL;
	char *dir = b == image ? xstrdup(".") : xasprintf("%.*s", (int)(b - 1 - image), image);
	struct build_record r;
	char *out = build_record_read(dir, &r, NULL) == 0 ? xstrdup(r.sdcard_sha256) : NULL;
	build_record_free(&r);
	free(dir);
	return out;
}

static char *resolve_image(const char *arg)
{
	if (!is_dir(arg))
		return file_exists(arg) ? xstrdup(arg) : NULL;
	char *p = path_join(arg, "sdcard.img");
	if (file_exists(p))
		return p;
	free(p);
	char *pat = path_join(arg, "build/*/sdcard.img");
	glob_t g;
	char *out = NULL;
	if (glob(pat, 0, NULL, &g) == 0) {
		if (g.gl_pathc == 1)
			out = xstrdup(g.gl_pathv[0]);
		else
			error("%s has %zu builds; give one: %s", arg, g.gl_pathc, g.gl_pathv[0]);
		globfree(&g);
	}
	free(pat);
	return out;
}

static void report(struct json *j, const struct target_info *t, const char *image, int rc,
		   const struct refusals *rf, const struct flash_result *res, int mapped)
{
	if (!json_mode)
		return;
	json_begin(j, stdout, 0);
	json_obj(j);
	json_kbool(j, "ok", rc == 0);
	json_kint(j, "exit", rc);
	if (t && t->path) {
		json_kstr(j, "device", t->path);
		json_kstr(j, "model", t->model ? t->model : "");
		json_kstr(j, "bus", t->bus ? t->bus : "");
		json_kstr(j, "serial", t->serial ? t->serial : "");
		json_kint(j, "device_size", (long long)t->size);
	}
	if (image)
		json_kstr(j, "image", image);
	if (res) {
		json_kstr(j, "image_sha256", res->image_sha256);
		json_kbool(j, "block_map", mapped);
		json_kint(j, "bytes_written", (long long)res->written);
		json_kstr(j, "verify",
			  res->verify_ok == 1	? "ok"
			  : res->verify_ok == 0 ? "mismatch"
						: "skipped");
		json_kbool(j, "direct_io", res->direct);
		char s[32];
		snprintf(s, sizeof s, "%.3f", res->seconds);
		json_key(j, "seconds");
		json_raw(j, s);
		if (res->error)
			json_kstr(j, "error", res->error);
	}
	if (rf && rf->n)
		refusals_json(j, "refusals", rf);
	json_end_obj(j);
}

static int fail(int rc, const char *msg, const struct target_info *t, const char *image)
{
	struct json j;
	if (json_mode) {
		report(&j, t, image, rc, NULL, NULL, 0);
	}
	(void)msg;
	return rc;
}

/* what uk flash was asked */
struct flash_req {
	int yes, allow_loop, allow_fixed, no_map, no_verify, overwrite;
	const char *expect_serial, *expect_size, *device, *progress;
	struct strlist rest;
	enum progress_mode pm;
};

/* the command line, checked before anything is opened */
static void parse_flash(int argc, char **argv, struct flash_req *q)
{
	struct option opts[] = {
	    {OPT_BOOL, 'y', "yes", &q->yes, NULL,
	     "do not ask (scripts); pin the card with --expect-*"},
	    {OPT_STRING, 0, "expect-serial", &q->expect_serial, " S",
	     "refuse unless the device's serial is S"},
	    {OPT_STRING, 0, "expect-size", &q->expect_size, " SIZE",
	     "refuse unless the device holds SIZE (bytes: exactly;\n"
	     "32G: within 10%)"},
	    {OPT_STRING, 0, "device", &q->device, " NAME",
	     "write fleet device NAME's image (uk build --fleet)"},
	    {OPT_BOOL, 0, "allow-loop", &q->allow_loop, NULL,
	     "accept a loop device (tests, image files)"},
	    {OPT_BOOL, 0, "allow-fixed", &q->allow_fixed, NULL,
	     "accept a disk that is neither removable nor on USB/MMC"},
	    {OPT_BOOL, 0, "overwrite-file", &q->overwrite, NULL,
	     "replace a plain file that does not look like a disk image"},
	    {OPT_BOOL, 0, "no-map", &q->no_map, NULL, "write every byte, even with a block map"},
	    {OPT_BOOL, 0, "no-verify", &q->no_verify, NULL, "do not read back"},
	    {OPT_STRING, 0, "progress", &q->progress, "=MODE",
	     "auto (a bar on a terminal), tty, jsonl (stdout), none"},
	    {OPT_BOOL, 0, "json", &json_mode, NULL, "a JSON report on stdout"},
	    {OPT_END, 0, NULL, NULL, NULL, NULL},
	};
	parse_options(argc, argv, opts, usage_flash, &q->rest);
	const char *progress = q->progress;
	q->pm = PROGRESS_NONE;
	if (!strcmp(progress, "auto"))
		q->pm = isatty(2) ? PROGRESS_TTY : PROGRESS_NONE;
	else if (!strcmp(progress, "tty"))
		q->pm = PROGRESS_TTY;
	else if (!strcmp(progress, "jsonl"))
		q->pm = PROGRESS_JSONL;
	else if (!strcmp(progress, "none"))
		q->pm = PROGRESS_NONE;
	else
		usage_error(usage_flash, "--progress is auto, tty, jsonl or none, not '%s'",
			    progress);
	if (q->expect_size) {
		uint64_t x;
		if (parse_size(q->expect_size, &x) < 0 || !x)
			usage_error(usage_flash, "--expect-size wants a size such as 32G, not '%s'",
				    q->expect_size);
	}
}

/* the image (given, or the fleet device's) and the device to write it to */
static int find_image(const struct flash_req *q, char **image, const char **dev, struct stat *ist)
{
	const struct strlist *rest = &q->rest;
	if (q->device) {
		if (rest->n < 1 || rest->n > 2)
			usage_error(usage_flash, "--device NAME takes [FLEET-DIR] DEVICE");
		*image = fleet_image(rest->n == 2 ? rest->v[0] : ".", q->device);
		if (!*image)
			return fail(EXIT_USAGE, "no such fleet device", NULL, NULL);
		*dev = rest->v[rest->n - 1];
	} else {
		if (rest->n != 2)
			usage_error(usage_flash, "give an image (or build directory) and a device");
		*image = resolve_image(rest->v[0]);
		if (!*image) {
			error("no image at %s", rest->v[0]);
			hint("give sdcard.img or a build directory ('uk build' writes "
			     "build/TARGET/sdcard.img)");
			json_error(EXIT_USAGE, "no image");
			return EXIT_USAGE;
		}
		*dev = rest->v[1];
	}
	if (stat(*image, ist) < 0 || !S_ISREG(ist->st_mode)) {
		error("cannot read the image %s", *image);
		json_error(EXIT_USAGE, "cannot read the image");
		return EXIT_USAGE;
	}
	return 0;
}

/* the block map (bmaptool's XML); with --no-map its range checksums (and the image's sha256
 * when build.json does not record it) are still checked. *ml: bmap_load's answer. */
static int load_map(const char *image, int no_map, struct bmap *map, int *ml, char **expect)
{
	char *mp = xasprintf("%s.bmap", image), *why = NULL;
	*ml = bmap_load(mp, map, &why);
	if (*ml == -2 && !no_map) {
		error("the block map %s cannot be used: %s", mp, why);
		hint("rebuild ('uk build'), or write every byte with --no-map");
		free(mp), free(why);
		return fail(EXIT_CORRUPT, "malformed block map", NULL, image);
	}
	free(mp), free(why);
	*expect = recorded_sha256(image);
	if (!*expect && *ml == 0 && map->image_sha256[0])
		*expect = xstrdup(map->image_sha256);
	return 0;
}

/* the target and the image, as the user is about to see them erased */
static void describe(const struct target_info *t, const char *image, uint64_t image_size,
		     const struct bmap *map, int have_map)
{
	char *hs = human_size(t->size), *is = human_size(image_size);
	note("target: %s: %s, %s, bus %s, serial %s", t->path,
	     *t->model ? t->model : "unknown model", t->is_block ? hs : "plain file", t->bus,
	     *t->serial ? t->serial : "none");
	if (have_map) {
		char *ms = human_size(map->mapped);
		note("image:  %s (%s, %s of it in use per its block map)", image, is, ms);
		free(ms);
	} else {
		note("image:  %s (%s, no block map: every byte is written)", image, is);
	}
	free(hs), free(is);
}

static int refuse(struct target_info *t, const char *image, const struct refusals *rf,
		  const char *fix_prefix, int have_map)
{
	struct json j;
	for (size_t i = 0; i < rf->n; i++) {
		error("refusing %s: %s", t->path, rf->v[i].reason);
		hint("%s%s", fix_prefix, rf->v[i].fix);
	}
	report(&j, t, image, EXIT_REFUSED, rf, NULL, have_map);
	target_discard(t);
	return EXIT_REFUSED;
}

/* unless --yes: the user types the target's name */
static int confirm(struct target_info *t, const char *image, int have_map)
{
	struct json j;
	fprintf(stderr, "Everything on %s will be erased. Type its name (%s) to go on: ", t->path,
		t->name);
	fflush(stderr);
	char line[256];
	if (!fgets(line, sizeof line, stdin))
		line[0] = 0;
	line[strcspn(line, "\r\n")] = 0;
	if (strcmp(line, t->name) && strcmp(line, t->path)) {
		error("not confirmed ('%s' is not '%s'): nothing was written", line, t->name);
		hint("scripts pass --yes, with --expect-serial or --expect-size to pin the "
		     "card");
		report(&j, t, image, EXIT_DECLINED, NULL, NULL, have_map);
		target_discard(t);
		return EXIT_DECLINED;
	}
	return 0;
}

/* the safety checks, the prompt, and the checks again */
static int check_target(struct target_info *t, const struct safety_opts *so, int yes,
			const struct bmap *map, int have_map)
{
	const char *image = so->image;
	struct refusals rf = {0};
	describe(t, image, so->image_size, map, have_map);
	if (target_check(t, so, &rf))
		return refuse(t, image, &rf, "override: ", have_map);
	int rc;
	if (!yes && (rc = confirm(t, image, have_map)))
		return rc;
	/* the prompt took time: the path must still name what was checked, and the checks
	 * (mounts, holders, size) must still pass */
	if (target_recheck(t, so, &rf))
		return refuse(t, image, &rf, "", have_map);
	return 0;
}

/* the write descriptor; the probe's is closed so the kernel can reread the table */
static int open_card(struct target_info *t, const char *image, int have_map, int *fd)
{
	int direct = 0;
	*fd = flash_open(t, &direct);
	if (*fd < 0) {
		struct json j;
		int e = -*fd;
		int rc = e == EBUSY ? EXIT_BUSY : EXIT_WRITE;
		error("cannot open %s: %s", t->path, strerror(e));
		if (e == EBUSY)
			hint("something holds it open (a mount, a partition in use, another "
			     "writer); "
			     "nothing was written");
		report(&j, t, image, rc, NULL, NULL, have_map);
		target_discard(t);
		return rc;
	}
	close(t->fd); /* the write descriptor is the same object; the kernel rereads the table
		       * with no other opener */
	t->fd = -1;
	return 0;
}

/* the write, the kernel told of the new table, and the outcome said */
static int write_card(int fd, struct target_info *t, const struct flash_opts *fo,
		      struct flash_result *res)
{
	int rc = flash_write(fd, t, fo, res);
	if (rc == 0 && t->is_block)
		ioctl(fd, BLKRRPART, 0); /* let the kernel see the new partition */
	if (close(fd) < 0 && rc == 0) {
		res->error = xasprintf("closing %s: %s", t->path, strerror(errno));
		rc = EXIT_WRITE;
	}
	if (rc) {
		error("%s", res->error);
	} else if (!json_mode) {
		char *w = human_size(res->written);
		printf("%s%s%s %s to %s: %s in %.2f s, %s", col_out("\033[1;32m"), "wrote",
		       col_out("\033[0m"), fo->image, t->path, w, res->seconds,
		       res->verify_ok == 1 ? "read back and verified"
					   : "not verified (--no-verify)");
		if (res->image_sha256[0])
			printf(" (sha256 %.16s...)", res->image_sha256);
		putchar('\n');
		free(w);
	}
	return rc;
}

int cmd_flash(int argc, char **argv)
{
	struct flash_req q = {.progress = "auto"};
	parse_flash(argc, argv, &q);
	char *image = NULL;
	const char *dev;
	struct stat ist;
	int rc = find_image(&q, &image, &dev, &ist);
	if (rc)
		return rc;
	struct bmap map;
	char *expect;
	int ml;
	if ((rc = load_map(image, q.no_map, &map, &ml, &expect)))
		return rc;
	int have_map = ml == 0 && !q.no_map;
	struct target_info t;
	if (target_probe(dev, &t) < 0) {
		target_free(&t);
		return fail(EXIT_REFUSED, "cannot probe", NULL, image);
	}
	struct safety_opts so = {.image = image,
				 .image_size = (uint64_t)ist.st_size,
				 .allow_loop = q.allow_loop,
				 .allow_fixed = q.allow_fixed,
				 .overwrite_file = q.overwrite,
				 .expect_serial = q.expect_serial,
				 .expect_size = q.expect_size};
	int fd;
	if ((rc = check_target(&t, &so, q.yes, &map, have_map)) ||
	    (rc = open_card(&t, image, have_map, &fd)))
		return rc;
	struct flash_opts fo = {.image = image,
				.map = have_map ? &map : NULL,
				.check = ml == 0 ? &map : NULL,
				.expect_sha256 = expect,
				.verify = !q.no_verify,
				.progress = q.pm};
	struct flash_result res;
	struct json j;
	rc = write_card(fd, &t, &fo, &res);
	report(&j, &t, image, rc, NULL, &res, have_map);
	if (ml == 0)
		bmap_free(&map);
	free(expect), free(image), free(res.error);
	target_free(&t);
	return rc;
}
