/* stamp.c: uk build --fleet: one SD image per device from one build. The images differ only in
 * the boot partition's cmdline.txt (the device's boot arguments: net.hostname, net.ip,
 * net.gateway, net.dns and any key the app reads) and the device's own files.
 * Output, beside the build: OUT/fleet/NAME/{sdcard.img,sdcard.img.bmap,cmdline.txt} and
 * OUT/fleet/fleet.json, built in OUT/fleet.tmp-PID and swapped in whole. */
#define _GNU_SOURCE
#include "flash.h"
#include "fleet.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- stamping ---- */
struct base {
	const char *out;
	char *tmp;
	struct strlist files;	     /* the build's boot/ minus cmdline.txt (the Pi 3's A/B card:
				      * its root, the firmware and config.txt) */
	int dirs;		     /* the Pi 3's A/B card: slots a/ and b/ in one partition */
	struct strlist a_files;	     /* there: slot A's files minus cmdline.txt */
	const struct bootargs *args; /* the build's (uk.yaml's) boot arguments */
	struct bootfs bfs;
	uint64_t size;
	struct sd_part parts[4]; /* the build's layout, its images but the stamped partition's */
	int nparts, boot;	 /* boot: the partition stamped (slot A on an A/B card) */
	uint32_t sig;
	struct inventory *inv;
	pthread_mutex_t lock;
	size_t next;
};

static volatile sig_atomic_t fleet_stop;

static void on_stop(int s)
{
	fleet_stop = 1;
	request_stop(s);
}

static int read_build(struct base *b, const char *target)
{
	struct build_record r;
	char *why = NULL;
	if (build_record_read(b->out, &r, &why) < 0) {
		error("%s", why);
		hint("build first: uk build --target %s", target);
		free(why);
		return -1;
	}
	b->size = r.image_size;
	b->sig = r.disk_signature;
	b->bfs.volume_id = r.volume_id;
	b->bfs.epoch = r.source_date_epoch;
	b->nparts = r.nparts;
	memcpy(b->parts, r.parts, sizeof b->parts);
	build_record_free(&r);
	/* the other partitions are the build's own images, byte for byte */
	static const char *const images[][2] = {
	    {"data", "data.img"}, {"autoboot", SLOTS_AUTOBOOT_IMAGE}, {"slot-b", SLOTS_B_IMAGE}};
	b->boot = -1;
	for (int i = 0; i < b->nparts; i++) {
		const char *role = b->parts[i].role;
		if (!strcmp(role, "boot") || !strcmp(role, "slot-a"))
			b->boot = i;
		for (size_t k = 0; k < sizeof images / sizeof *images; k++)
			if (!strcmp(role, images[k][0]))
				b->parts[i].image = path_join(b->out, images[k][1]);
	}
	if (b->boot < 0) {
		for (int i = 0; i < b->nparts; i++)
			free((char *)b->parts[i].image);
		error("%s/build.json records no boot partition", b->out);
		hint("build again: uk build --target %s", target);
		return -1;
	}
	b->bfs.size = b->parts[b->boot].size;
	b->bfs.hidden_sectors = (uint32_t)(b->parts[b->boot].offset / 512);
	b->bfs.label = "UKBOOT";
	struct conf lay = {0};
	char *lp = xasprintf("%s/images/%s/layout.conf", uk_home(), target);
	static char label[16];
	if (conf_read(lp, &lay, uk_home(), uk_cache()) == 0) {
		const char *l = conf_get(&lay, "VOLUME_LABEL");
		if (l && *l) {
			snprintf(label, sizeof label, "%s", l);
			b->bfs.label = label;
		}
		conf_free(&lay);
	}
	free(lp);

	char *boot = path_join(b->out, "boot"), *a = path_join(boot, SLOTS_DIR_A);
	struct strlist all = {0};
	slots_dirs_list(boot, &all);
	if (b->dirs) /* cmdline.txt is slot A's; the root's files stay as they are */
		sl_append(&b->files, &all), sl_free(&all), slots_dirs_list(a, &all);
	for (size_t i = 0; i < all.n; i++)
		if (strcmp(sbase(all.v[i]), "cmdline.txt"))
			sl_push(b->dirs ? &b->a_files : &b->files, all.v[i]);
	sl_free(&all);
	free(boot), free(a);
	return 0;
}

static char *cmdline_of(const struct base *b, const struct device *d)
{
	struct bootargs all = {0};
	bootargs_merge(&all, b->args);
	bootargs_merge(&all, &d->args);
	char *s = bootargs_format(&all), *line = xasprintf("%s\n", s);
	free(s);
	bootargs_free(&all);
	return line;
}

static pthread_mutex_t sdimage_lock = PTHREAD_MUTEX_INITIALIZER;

static int stamp(struct base *b, struct device *d)
{
	char *dir = path_join(b->tmp, d->name), *stage = path_join(dir, ".stage");
	char *cl = path_join(dir, "cmdline.txt"), *vf = path_join(dir, ".boot.vfat");
	char *img = path_join(dir, "sdcard.img");
	struct strlist files = {0}, slot_a = {0}, own = {0};
	int rc = -1;
	if (mkdir_p(stage) < 0) {
		error("cannot create %s: %s", stage, strerror(errno));
		goto out;
	}
	d->cmdline = cmdline_of(b, d);
	if (write_file(cl, d->cmdline, strlen(d->cmdline)) < 0)
		goto out;
	/* on the Pi 3's A/B card the device's files sit at the root, beside the slot directories;
	 * they take no name slot A has either: one name, one file */
	sl_append(&own, &b->files), sl_append(&own, &b->a_files);
	if (b->dirs)
		sl_push(&own, SLOTS_DIR_A), sl_push(&own, "b");
	for (size_t i = 0; i < own.n; i++) {
		const char *bn = sbase(own.v[i]);
		for (size_t f = 0; f < d->dest.n; f++)
			if (fat_names_clash(bn, d->dest.v[f])) {
				error("device %s: file %s would replace the build's own %s",
				      d->name, d->dest.v[f], bn);
				goto out;
			}
	}
	sl_append(&files, &b->files);
	sl_append(&slot_a, &b->a_files);
	sl_push(b->dirs ? &slot_a : &files, cl);
	for (size_t f = 0; f < d->dest.n; f++) {
		if (fat_names_clash(d->dest.v[f], "cmdline.txt")) {
			error("device %s: cmdline.txt is written by uk; set boot arguments instead",
			      d->name);
			goto out;
		}
		char *to = path_join(stage, d->dest.v[f]);
		int c = copy_file(d->src.v[f], to);
		sl_push(&files, to);
		free(to);
		if (c < 0) {
			error("cannot copy %s: %s", d->src.v[f], strerror(errno));
			goto out;
		}
	}
	int w = b->dirs ? slots_dirs_write(vf, &files, &slot_a, &b->bfs)
			: bootfs_write_files(vf, &files, &b->bfs);
	if (w < 0)
		goto out;
	struct sd_part p[4];
	memcpy(p, b->parts, sizeof p);
	p[b->boot].image = vf;
	pthread_mutex_lock(&sdimage_lock); /* sdimage_write has a static buffer */
	w = sdimage_write(img, b->size, p, b->nparts, b->sig);
	pthread_mutex_unlock(&sdimage_lock);
	if (w < 0)
		goto out;
	if (sha256_sparse(img, d->sha256, &d->size) < 0 || bmap_write_for(img, d->sha256) < 0)
		goto out;
	rc = 0;
out:
	unlink(vf);
	rm_rf(stage);
	sl_free(&files), sl_free(&slot_a), sl_free(&own);
	free(dir), free(stage), free(cl), free(vf), free(img);
	return rc;
}

static void *worker(void *arg)
{
	struct base *b = arg;
	for (;;) {
		pthread_mutex_lock(&b->lock);
		size_t i = b->next++;
		pthread_mutex_unlock(&b->lock);
		if (i >= b->inv->n || fleet_stop)
			break;
		b->inv->d[i].rc = stamp(b, &b->inv->d[i]);
	}
	return NULL;
}

static int write_fleet_json(struct base *b, const struct manifest *m, const char *target)
{
	char *p = path_join(b->tmp, "fleet.json");
	FILE *f = fopen(p, "w");
	free(p);
	if (!f)
		return -1;
	char *sd = path_join(b->out, "sdcard.img"), hex[65] = "";
	sha256_sparse(sd, hex, NULL);
	free(sd);
	struct json j;
	json_begin(&j, f, 1);
	json_obj(&j);
	json_kstr(&j, "name", m->name);
	json_kstr(&j, "target", target);
	json_kstr(&j, "uk", UK_VERSION);
	json_kstr(&j, "inventory", sbase(b->inv->path));
	json_kstr(&j, "base_sdcard_sha256", hex);
	json_key(&j, "devices");
	json_arr(&j);
	for (size_t i = 0; i < b->inv->n; i++) {
		struct device *d = &b->inv->d[i];
		json_obj(&j);
		json_kstr(&j, "name", d->name);
		char *path = xasprintf("%s/sdcard.img", d->name);
		json_kstr(&j, "path", path);
		free(path);
		json_kint(&j, "size", (long long)d->size);
		json_kstr(&j, "sha256", d->sha256);
		char *c = xstrdup(d->cmdline);
		c[strcspn(c, "\n")] = 0;
		json_kstr(&j, "cmdline", c);
		free(c);
		json_key(&j, "files");
		json_arr(&j);
		for (size_t k = 0; k < d->dest.n; k++)
			json_str(&j, d->dest.v[k]);
		json_end_arr(&j);
		json_end_obj(&j);
	}
	json_end_arr(&j);
	json_end_obj(&j);
	return fclose(f);
}

int fleet_build(struct manifest *m, const char *target, const char *out, struct inventory *invp)
{
	struct inventory inv = *invp; /* the devices' results are reset for each target */
	int rc;
	for (size_t i = 0; i < inv.n; i++) {
		free(inv.d[i].cmdline);
		inv.d[i].cmdline = NULL, inv.d[i].rc = 0, inv.d[i].size = 0;
		inv.d[i].sha256[0] = 0;
	}
	struct base b;
	memset(&b, 0, sizeof b);
	b.out = out;
	b.inv = &inv;
	b.args = &m->bootargs;
	b.dirs = m->slot_size && slots_in_dirs(target);
	if (read_build(&b, target) < 0)
		return EXIT_FAIL;
	char *fleet = path_join(out, "fleet");
	b.tmp = xasprintf("%s.tmp-%d", fleet, (int)getpid());
	rm_rf(b.tmp);
	if (mkdir_p(b.tmp) < 0) {
		error("cannot create %s: %s", b.tmp, strerror(errno));
		free(fleet);
		return EXIT_FAIL;
	}
	struct sigaction sa = {.sa_handler = on_stop}, oi, ot;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &oi);
	sigaction(SIGTERM, &sa, &ot);
	fleet_stop = 0;
	pthread_mutex_init(&b.lock, NULL);
	long nc = sysconf(_SC_NPROCESSORS_ONLN);
	size_t nt = nc > 0 ? (size_t)nc : 1;
	if (nt > inv.n)
		nt = inv.n;
	if (nt > 16)
		nt = 16;
	pthread_t th[16];
	size_t started = 0;
	for (size_t i = 0; i < nt; i++)
		if (pthread_create(&th[i], NULL, worker, &b) == 0)
			started++;
	if (!started)
		worker(&b);
	for (size_t i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	rc = 0;
	for (size_t i = 0; i < inv.n; i++)
		if (inv.d[i].rc || !inv.d[i].cmdline)
			rc = EXIT_FAIL;
	if (fleet_stop) {
		error("interrupted: the previous fleet output is untouched");
		rc = EXIT_INTR;
	}
	if (!rc && write_fleet_json(&b, m, target) < 0) {
		error("cannot write fleet.json");
		rc = EXIT_FAIL;
	}
	if (!rc) {
		if (is_dir(fleet)) {
			if (renameat2(AT_FDCWD, b.tmp, AT_FDCWD, fleet, RENAME_EXCHANGE) < 0)
				rc = EXIT_FAIL;
		} else if (rename(b.tmp, fleet) < 0) {
			rc = EXIT_FAIL;
		}
		if (rc)
			error("cannot replace %s: %s", fleet, strerror(errno));
	}
	rm_rf(b.tmp);
	sigaction(SIGINT, &oi, NULL);
	sigaction(SIGTERM, &ot, NULL);
	if (!rc && !json_mode) {
		printf("%sfleet:%s %zu device images in %s\n", col_out("\033[1;32m"),
		       col_out("\033[0m"), inv.n, fleet);
		for (size_t i = 0; i < inv.n; i++)
			printf("  %-16s %s/sdcard.img  sha256 %.16s...  %s", inv.d[i].name,
			       inv.d[i].name, inv.d[i].sha256, inv.d[i].cmdline);
	}
	free(fleet);
	sl_free(&b.files), sl_free(&b.a_files);
	for (int i = 0; i < b.nparts; i++)
		free((char *)b.parts[i].image);
	free(b.tmp);
	return rc;
}

/* DIR may be the fleet directory, a build output, or an app (one build/TARGET/fleet). */
char *fleet_image(const char *dir, const char *name)
{
	char *cands[] = {path_join(dir, "fleet.json"), xasprintf("%s/fleet/fleet.json", dir), NULL};
	char *found = NULL;
	for (int i = 0; cands[i]; i++)
		if (!found && file_exists(cands[i]))
			found = xstrdup(cands[i]);
	free(cands[0]), free(cands[1]);
	if (!found) {
		char *pat = xasprintf("%s/build/*/fleet/fleet.json", dir);
		glob_t g;
		if (glob(pat, 0, NULL, &g) == 0) {
			if (g.gl_pathc == 1)
				found = xstrdup(g.gl_pathv[0]);
			else
				error("%s has fleets for %zu targets; give the directory, e.g. %s",
				      dir, g.gl_pathc, g.gl_pathv[0]);
			globfree(&g);
		}
		free(pat);
	}
	if (!found) {
		error("no fleet.json in %s", dir);
		hint("build the fleet first: uk build --fleet INVENTORY; then uk flash --device "
		     "NAME "
		     "[FLEET-DIR] DEVICE");
		return NULL;
	}
	char *out = NULL, *fdir = xstrdup(found);
	*strrchr(fdir, '/') = 0;
	json_error_t err;
	json_t *root = json_load_file(found, JSON_REJECT_DUPLICATES, &err), *dev;
	size_t i;
	if (!root)
		error("%s:%d:%d: %s", found, err.line, err.column, err.text);
	json_array_foreach(json_object_get(root, "devices"), i, dev)
	{
		const char *n = json_string_value(json_object_get(dev, "name"));
		const char *p = json_string_value(json_object_get(dev, "path"));
		/* a path inside the fleet folder, as fleet.json is written */
		if (n && p && !strcmp(n, name) && *p && *p != '/' && strncmp(p, "../", 3) &&
		    !strstr(p, "/../"))
			out = path_join(fdir, p);
	}
	if (root && !out)
		error("no device '%s' in %s", name, found);
	json_decref(root);
	free(found), free(fdir);
	return out;
}

int build_after(struct manifest *m, const char *target, const char *out,
		struct inventory *inventory)
{
	char *img = path_join(out, "sdcard.img"), hex[65] = "";
	struct build_record r;
	if (build_record_read(out, &r, NULL) == 0)
		memcpy(hex, r.sdcard_sha256, sizeof hex);
	build_record_free(&r);
	int rc = bmap_write_for(img, hex[0] ? hex : NULL) < 0 ? EXIT_FAIL : 0;
	free(img);
	if (!rc && inventory)
		rc = fleet_build(m, target, out, inventory);
	return rc;
}
