/* cmd_build.c: uk build: compile the app's sources incrementally, link against the prebuilt
 * runtime, then write kernel8.img, boot/, boot.vfat, sdcard.img and build.json, atomically. */
#define _GNU_SOURCE
#include "uk.h"

#include <archive.h>
#include <yaml.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glob.h>
#include <pthread.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

const char usage_build[] =
    "usage: uk build [DIR] [--target T] [--out DIR] [-j N] [--json]\n"
    "\n"
    "Build the app in DIR (default: the current directory) for each target of its\n"
    "uk.yaml, or only for --target T (virt, rpi3, rpi4). Only the app's own sources\n"
    "are compiled, and only when they or their headers changed.\n"
    "\n"
    "Writes into DIR/build/TARGET (or --out DIR; with several targets --out DIR/TARGET):\n"
    "  app.elf      the linked image, with symbols (for gdb and backtraces)\n"
    "  kernel8.img  the raw image QEMU and the Pi firmware boot\n"
    "  boot/        the boot partition's files (firmware, dtb, config.txt, cmdline.txt)\n"
    "  boot.vfat    that partition as a FAT32 image\n"
    "  sdcard.img   a whole SD card: MBR and the partition at 4 MiB\n"
    "  build.json   size and sha256 of every artifact, versions of every tool\n"
    "A failed build leaves the previous output untouched.\n"
    "\n"
    "Options:\n"
    "  -t, --target T   build for T only\n"
    "  -o, --out DIR    output directory\n"
    "  -j, --jobs N     compile N sources at once (default: number of CPUs)\n"
    "      --json       print the results as JSON on stdout\n"
    "\n"
    "Exit codes: 0 built (or up to date), 1 compile/link/tool failure,\n"
    "2 usage or uk.yaml error (nothing written), 3 runtime or firmware missing.\n";

static int jobs;

struct ctx {
	struct manifest *m;
	const char *target;
	const char *out, *tmp, *old; /* old: previous output or NULL */
	struct conf tc, lay;
	struct strlist cc, cflags, ldflags, libs, objcopy;
	int64_t epoch;
};

static int64_t source_date_epoch(void)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");
	int64_t v = 315532800; /* 1980-01-01: the first date FAT can store */
	if (s && *s) {
		char *end;
		long long x = strtoll(s, &end, 10);
		if (!*end && x > v)
			v = x;
	}
	return v;
}

static uint32_t derive_id(const char *what, const struct manifest *m, const char *target)
{
	struct sha256 c;
	unsigned char d[32];
	sha256_init(&c);
	sha256_update(&c, what, strlen(what));
	sha256_update(&c, m->name, strlen(m->name) + 1);
	sha256_update(&c, target, strlen(target));
	sha256_final(&c, d);
	return (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3];
}

char *default_out(const struct manifest *m, const char *target, const char *out_opt, int multi)
{
	if (out_opt && !multi)
		return abs_path(out_opt);
	if (out_opt) {
		char *o = path_join(out_opt, target), *a = abs_path(o);
		free(o);
		return a;
	}
	char *o = xasprintf("%s/build/%s", m->dir, target);
	return o;
}

/* ---- incremental compile ---- */

static char *obj_rel(const char *src)
{
	return xasprintf("obj/%s.o", src);
}

/* Is the object older than any file in its dependency file (paths relative to the app)? */
static int deps_changed(const char *dfile, const char *appdir, int64_t obj_time)
{
	char *data;
	if (read_file(dfile, &data, NULL) < 0)
		return 1;
	char *p = strchr(data, ':');
	int changed = 0;
	if (!p) {
		free(data);
		return 1;
	}
	p++;
	while (*p && !changed) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || (*p == '\\' && p[1] == '\n'))
			p += (*p == '\\') ? 2 : 1;
		if (!*p)
			break;
		char *start = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n' && !(*p == '\\' && p[1] == '\n'))
			p++;
		char save = *p;
		*p = 0;
		size_t l = strlen(start);
		if (l && start[l - 1] == ':') { /* phony targets from -MP */
			*p = save;
			continue;
		}
		char *dep = path_join(appdir, start);
		int64_t t = mtime_ns(dep);
		if (t < 0 || t > obj_time)
			changed = 1;
		free(dep);
		*p = save;
	}
	free(data);
	return changed;
}

static char *join_words(const struct strlist *l)
{
	size_t n = 1;
	for (size_t i = 0; i < l->n; i++)
		n += strlen(l->v[i]) + 1;
	char *s = xmalloc(n);
	s[0] = 0;
	for (size_t i = 0; i < l->n; i++) {
		strcat(s, l->v[i]);
		strcat(s, "\n");
	}
	return s;
}

struct job {
	pid_t pid;
	size_t idx;
};

static int compile(struct ctx *c, int *any)
{
	struct manifest *m = c->m;
	size_t n = m->files.n;
	struct strlist *cmds = calloc(n, sizeof *cmds);
	char **sig = calloc(n, sizeof *sig);
	int *need = calloc(n, sizeof *need);
	int failed = 0;
	*any = 0;
	for (size_t i = 0; i < n; i++) {
		const char *src = m->files.v[i];
		char *orel = obj_rel(src);
		char *obj = path_join(c->tmp, orel);
		char *dir = xstrdup(obj);
		*strrchr(dir, '/') = 0;
		mkdir_p(dir);
		free(dir);
		struct strlist *a = &cmds[i];
		sl_append(a, &c->cc);
		sl_append(a, &c->cflags);
		sl_append(a, &m->cflags);
		for (size_t k = 0; k < m->include.n; k++)
			sl_pushf(a, "-I%s", m->include.v[k]);
		for (size_t k = 0; k < m->defines.n; k++)
			sl_pushf(a, "-D%s", m->defines.v[k]);
		/* the app's own path must not reach the objects: same bytes in any directory */
		sl_pushf(a, "-ffile-prefix-map=%s=.", m->dir);
		sl_push(a, "-c");
		sl_push(a, src);
		sig[i] = join_words(a); /* the command without its output paths */
		sl_push(a, "-MD");
		sl_push(a, "-MF");
		sl_pushf(a, "%s.d.tmp", obj);
		sl_push(a, "-MT");
		sl_push(a, orel);
		sl_push(a, "-o");
		sl_pushf(a, "%s.tmp", obj);

		char *cmdf = xasprintf("%s.cmd", obj), *dfile = xasprintf("%s.d", obj), *old;
		int64_t ot = mtime_ns(obj);
		need[i] = 1;
		if (ot >= 0 && read_file(cmdf, &old, NULL) == 0) {
			need[i] = strcmp(old, sig[i]) != 0 || deps_changed(dfile, m->dir, ot);
			free(old);
		}
		free(cmdf);
		free(dfile);
		free(obj);
		free(orel);
	}

	/* run up to `jobs` compilers at once; their diagnostics go straight to the terminal */
	struct job *run_ = calloc((size_t)jobs, sizeof *run_);
	int active = 0;
	size_t next = 0;
	while ((next < n || active) && !(failed && !active)) {
		while (!failed && active < jobs && next < n) {
			size_t i = next++;
			if (!need[i])
				continue;
			if (verbose)
				print_cmd(&cmds[i]);
			struct spawn_opts o = {.cwd = m->dir, .out_fd = -1};
			pid_t pid = spawn(cmds[i].v, &o);
			if (pid < 0) {
				error("cannot run %s: %s", cmds[i].v[0], strerror(errno));
				hint("run 'uk doctor' to see what to install");
				failed = 1;
				break;
			}
			run_[active].pid = pid;
			run_[active].idx = i;
			active++;
			*any = 1;
		}
		if (!active)
			break;
		int st;
		pid_t p = wait(&st);
		if (p < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int k = 0; k < active; k++) {
			if (run_[k].pid != p)
				continue;
			size_t i = run_[k].idx;
			run_[k] = run_[--active];
			char *orel = obj_rel(m->files.v[i]), *obj = path_join(c->tmp, orel);
			char *t1 = xasprintf("%s.tmp", obj), *d0 = xasprintf("%s.d.tmp", obj);
			char *d1 = xasprintf("%s.d", obj), *cf = xasprintf("%s.cmd", obj);
			if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
				/* rename, never rewrite: the old output may share these inodes */
				if (rename(t1, obj) < 0 || rename(d0, d1) < 0) {
					error("cannot write %s: %s", obj, strerror(errno));
					failed = 1;
				}
				unlink(cf);
				write_file(cf, sig[i], strlen(sig[i]));
			} else {
				failed = 1;
				unlink(t1);
				unlink(d0);
			}
			free(orel), free(obj), free(t1), free(d0), free(d1), free(cf);
			break;
		}
	}
	for (size_t i = 0; i < n; i++) {
		sl_free(&cmds[i]);
		free(sig[i]);
	}
	free(cmds), free(sig), free(need), free(run_);
	if (failed)
		error("compiling %s for %s failed", m->name, c->target);
	return failed ? -1 : 0;
}

static int link_app(struct ctx *c, int compiled, int *relinked)
{
	struct manifest *m = c->m;
	struct strlist a = {0};
	sl_append(&a, &c->cc);
	sl_append(&a, &c->ldflags);
	for (size_t i = 0; i < m->files.n; i++) {
		char *o = obj_rel(m->files.v[i]);
		sl_push(&a, o);
		free(o);
	}
	for (size_t i = 0; i < m->libs.n; i++) {
		const char *l = m->libs.v[i];
		if (strchr(l, '/') || strstr(l, ".a")) {
			char *p = path_join(m->dir, l);
			sl_push(&a, p);
			free(p);
		} else {
			sl_pushf(&a, "-l%s", l);
		}
	}
	sl_append(&a, &c->libs);
	sl_push(&a, "-o");
	sl_push(&a, "app.elf");
	char *sig = join_words(&a);
	char *sigf = path_join(c->tmp, "obj/link.cmd");
	char *old = NULL;
	int need = compiled || !c->old;
	if (!need) {
		char *oelf = path_join(c->old, "app.elf"),
		     *okern = path_join(c->old, "kernel8.img");
		int64_t t = mtime_ns(oelf);
		need = t < 0 || mtime_ns(okern) < 0 || read_file(sigf, &old, NULL) < 0 ||
		       strcmp(old, sig) != 0;
		/* a rebuilt runtime means a relink */
		const char *rt[] = {"libuk.a", "uk.ld", NULL};
		for (int i = 0; !need && rt[i]; i++) {
			char *p = xasprintf("%s/%s/%s", uk_home(), c->target, rt[i]);
			if (mtime_ns(p) > t)
				need = 1;
			free(p);
		}
		if (!need) {
			char *e = path_join(c->tmp, "app.elf"),
			     *k = path_join(c->tmp, "kernel8.img");
			need = link_or_copy(oelf, e) < 0 || link_or_copy(okern, k) < 0;
			free(e), free(k);
		}
		free(oelf), free(okern), free(old);
	}
	int rc = 0;
	*relinked = need;
	if (need) {
		struct spawn_opts o = {.cwd = c->tmp, .out_fd = -1};
		int r = run(a.v, &o);
		if (r != 0) {
			if (r > 0)
				error("linking %s for %s failed", m->name, c->target);
			rc = -1;
		} else {
			unlink(sigf);
			write_file(sigf, sig, strlen(sig));
			struct strlist oc = {0};
			sl_append(&oc, &c->objcopy);
			sl_push(&oc, "-O");
			sl_push(&oc, "binary");
			sl_push(&oc, "app.elf");
			sl_push(&oc, "kernel8.img");
			r = run(oc.v, &o);
			if (r != 0) {
				if (r > 0)
					error("objcopy failed making kernel8.img");
				rc = -1;
			}
			sl_free(&oc);
		}
	}
	free(sig);
	free(sigf);
	sl_free(&a);
	return rc;
}

/* ---- boot partition contents ---- */

static int write_text(const char *dir, const char *name, const char *text)
{
	char *p = path_join(dir, name);
	int r = write_file(p, text, strlen(text));
	if (r < 0)
		error("cannot write %s: %s", p, strerror(errno));
	free(p);
	return r;
}

static int gpu_mem_16(const struct manifest *m)
{
	for (size_t i = 0; i < m->config_txt.n; i++) {
		const char *s = m->config_txt.v[i];
		if (!strncmp(s, "gpu_mem=", 8) && atoi(s + 8) <= 16)
			return 1;
	}
	return 0;
}

static int boot_files(struct ctx *c, char **fw_version)
{
	struct manifest *m = c->m;
	char *boot = path_join(c->tmp, "boot");
	int rc = -1;
	mkdir_p(boot);

	/* config.txt: the board's template, then the manifest's lines */
	char *tpl = xasprintf("%s/images/%s/config.txt", uk_home(), c->target), *text = NULL;
	if (read_file(tpl, &text, NULL) < 0) {
		error("missing %s", tpl);
		hint("reinstall uk ('make' in the source tree stages images/ into build/lib/uk)");
		free(tpl);
		goto out;
	}
	free(tpl);
	if (m->config_txt.n) {
		char *extra = format_bootargs(&m->config_txt);
		for (char *p = extra; *p; p++)
			if (*p == ' ')
				*p = '\n'; /* lines never hold spaces: validated as key=value */
		char *t = xasprintf("%s\n# from uk.yaml\n%s\n", text, extra);
		free(text);
		free(extra);
		text = t;
	}
	if (write_text(boot, "config.txt", text) < 0)
		goto out;
	char *args = format_bootargs(&m->bootargs);
	char *line = xasprintf("%s\n", args);
	free(args);
	int w = write_text(boot, "cmdline.txt", line);
	free(line);
	if (w < 0)
		goto out;
	char *k = path_join(c->tmp, "kernel8.img"), *bk = path_join(boot, "kernel8.img");
	w = link_or_copy(k, bk);
	free(k), free(bk);
	if (w < 0)
		goto out;

	/* the board's device tree, from the Debian kernel package cached by install.sh */
	const char *dtb = conf_get(&c->tc, "BOARD_DTB");
	if (!dtb || !*dtb)
		dtb = conf_get(&c->lay, "BOARD_DTB");
	if (dtb && *dtb) {
		const char *base = strrchr(dtb, '/') ? strrchr(dtb, '/') + 1 : dtb;
		char *src = dtb[0] == '/' ? xstrdup(dtb) : xasprintf("%s/dtb/%s", uk_cache(), dtb);
		char *to = path_join(boot, base);
		if (copy_file(src, to) < 0) {
			error("missing device tree %s", src);
			hint("run ./install.sh to fetch it into UK_CACHE (%s), or set UK_CACHE",
			     uk_cache());
			free(src), free(to);
			rc = -2;
			goto out;
		}
		free(src), free(to);
	}

	/* firmware: reuse the previous build's copies when they came from the same .deb */
	const char *fw = conf_get(&c->lay, "FIRMWARE");
	struct strlist names = {0};
	if (fw)
		split_words(fw, &names);
	if (gpu_mem_16(m)) {
		const char *cd = conf_get(&c->lay, "FIRMWARE_CD");
		sl_free(&names);
		if (cd)
			split_words(cd, &names);
	}
	if (names.n) {
		char *deb = firmware_deb();
		if (!deb) {
			error("no raspi-firmware_*.deb in %s/debs", uk_cache());
			hint("run ./install.sh (it downloads Debian's raspi-firmware), or set "
			     "UK_CACHE");
			sl_free(&names);
			rc = -2;
			goto out;
		}
		struct stat st;
		stat(deb, &st);
		char *stamp =
		    xasprintf("%s %lld %lld\n", deb, (long long)st.st_size, (long long)st.st_mtime);
		char *oldstamp = NULL,
		     *oldf = c->old ? path_join(c->old, "obj/firmware.stamp") : NULL;
		int reuse =
		    oldf && read_file(oldf, &oldstamp, NULL) == 0 && !strcmp(oldstamp, stamp);
		for (size_t i = 0; reuse && i < names.n; i++) {
			char *from = xasprintf("%s/boot/%s", c->old, names.v[i]);
			char *to = path_join(boot, names.v[i]);
			if (!file_exists(from) || link_or_copy(from, to) < 0)
				reuse = 0;
			free(from), free(to);
		}
		if (!reuse && firmware_extract(deb, &names, boot) < 0) {
			free(stamp), free(oldstamp), free(oldf), free(deb);
			sl_free(&names);
			rc = -2;
			goto out;
		}
		char *sf = path_join(c->tmp, "obj/firmware.stamp");
		unlink(sf);
		write_file(sf, stamp, strlen(stamp));
		const char *b = strrchr(deb, '/') + 1;
		*fw_version = xstrdup(b);
		free(sf), free(stamp), free(oldstamp), free(oldf), free(deb);
	}
	sl_free(&names);
	rc = 0;
out:
	free(text);
	free(boot);
	return rc;
}

/* Hash of everything that decides boot.vfat and sdcard.img. */
static char *boot_stamp(struct ctx *c, uint64_t size, uint32_t vol, uint32_t sig)
{
	char *boot = path_join(c->tmp, "boot");
	struct strlist files = {0};
	DIR *d = opendir(boot);
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.')
			sl_push(&files, e->d_name);
	if (d)
		closedir(d);
	sl_sort(&files);
	struct sha256 h;
	sha256_init(&h);
	char *hdr = xasprintf("uk %s size %llu vol %08x sig %08x epoch %lld\n", UK_VERSION,
			      (unsigned long long)size, vol, sig, (long long)c->epoch);
	sha256_update(&h, hdr, strlen(hdr));
	free(hdr);
	for (size_t i = 0; i < files.n; i++) {
		char *p = path_join(boot, files.v[i]), hex[65];
		sha256_file(p, hex, NULL);
		sha256_update(&h, files.v[i], strlen(files.v[i]) + 1);
		sha256_update(&h, hex, 64);
		free(p);
	}
	unsigned char dg[32];
	char *out = xmalloc(65);
	sha256_final(&h, dg);
	sha256_hex(dg, out);
	sl_free(&files);
	free(boot);
	return out;
}

static int images(struct ctx *c, uint64_t *size_out, uint32_t *vol_out, uint32_t *sig_out)
{
	struct manifest *m = c->m;
	uint64_t size = m->image_size, offset = 4u << 20;
	const char *v;
	if (!size && (v = conf_get(&c->lay, "IMAGE_SIZE")))
		parse_size(v, &size);
	if (!size)
		size = 64u << 20;
	if ((v = conf_get(&c->lay, "BOOT_OFFSET")))
		parse_size(v, &offset);
	const char *label = conf_get(&c->lay, "VOLUME_LABEL");
	uint32_t vol = derive_id("volume", m, c->target), sig = derive_id("disk", m, c->target);
	*size_out = size, *vol_out = vol, *sig_out = sig;

	char *stamp = boot_stamp(c, size, vol, sig);
	char *sf = path_join(c->tmp, "obj/image.stamp");
	char *vf = path_join(c->tmp, "boot.vfat"), *sd = path_join(c->tmp, "sdcard.img");
	char *old = NULL, *of = c->old ? path_join(c->old, "obj/image.stamp") : NULL;
	int rc = -1;
	if (of && read_file(of, &old, NULL) == 0 && !strcmp(old, stamp)) {
		char *ov = path_join(c->old, "boot.vfat"), *os = path_join(c->old, "sdcard.img");
		int ok = link_or_copy(ov, vf) == 0 && link_or_copy(os, sd) == 0;
		free(ov), free(os);
		if (ok) {
			rc = 0;
			goto done;
		}
	}
	struct bootfs b = {.size = size - offset,
			   .volume_id = vol,
			   .label = label ? label : "UKBOOT",
			   .hidden_sectors = (uint32_t)(offset / 512),
			   .epoch = c->epoch};
	char *boot = path_join(c->tmp, "boot");
	int r = bootfs_write(vf, boot, &b);
	free(boot);
	if (r < 0)
		goto out;
	if (sdimage_write(sd, size, offset, vf, sig) < 0)
		goto out;
	rc = 0;
done:
	unlink(sf);
	write_file(sf, stamp, strlen(stamp));
out:
	free(stamp), free(sf), free(vf), free(sd), free(old), free(of);
	return rc;
}

/* ---- build.json ---- */

static char *first_line(char *const argv[])
{
	char *s = run_capture(argv, NULL);
	if (!s)
		return xstrdup("unknown");
	char *nl = strchr(s, '\n');
	if (nl)
		*nl = 0;
	return s;
}

static char *deb_version(const char *pkg)
{
	char *fmt = "-f=${Version}";
	char *argv[] = {"dpkg-query", "-W", fmt, (char *)pkg, NULL};
	int st;
	char *s = run_capture(argv, &st);
	if (!s || st != 0 || !*s) {
		free(s);
		return xstrdup("unknown");
	}
	return s;
}

/* sdcard.img is the biggest file to hash: a second thread hashes it while the rest are done. */
struct hash_job {
	char *path;
	char hex[65];
	uint64_t size;
	int rc;
};

static void *hash_thread(void *arg)
{
	struct hash_job *h = arg;
	h->rc = sha256_file(h->path, h->hex, &h->size);
	return NULL;
}

static void artifact_hashed(struct json *j, const char *name, const struct hash_job *h)
{
	if (h->rc == 0) {
		json_key(j, name);
		json_obj(j);
		json_kint(j, "size", (long long)h->size);
		json_kstr(j, "sha256", h->hex);
		json_end_obj(j);
	}
}

static void artifact(struct json *j, const char *dir, const char *name)
{
	char *p = path_join(dir, name), hex[65];
	uint64_t size;
	if (sha256_file(p, hex, &size) == 0) {
		json_key(j, name);
		json_obj(j);
		json_kint(j, "size", (long long)size);
		json_kstr(j, "sha256", hex);
		json_end_obj(j);
	}
	free(p);
}

static int build_json(struct ctx *c, const char *fw_version, uint64_t size, uint32_t vol,
		      uint32_t sig)
{
	char *path = path_join(c->tmp, "build.json");
	FILE *f = fopen(path, "w");
	free(path);
	if (!f)
		return -1;
	struct json j;
	struct hash_job sd = {.path = path_join(c->tmp, "sdcard.img"), .rc = -1};
	pthread_t th;
	int threaded = pthread_create(&th, NULL, hash_thread, &sd) == 0;
	if (!threaded)
		hash_thread(&sd);
	json_begin(&j, f, 1);
	json_obj(&j);
	json_kstr(&j, "name", c->m->name);
	json_kstr(&j, "target", c->target);
	json_kstr(&j, "uk", UK_VERSION);
	json_kint(&j, "source_date_epoch", c->epoch);
	json_key(&j, "artifacts");
	json_obj(&j);
	artifact(&j, c->tmp, "app.elf");
	artifact(&j, c->tmp, "kernel8.img");
	artifact(&j, c->tmp, "boot.vfat");
	if (threaded)
		pthread_join(th, NULL);
	artifact_hashed(&j, "sdcard.img", &sd);
	free(sd.path);
	char *boot = path_join(c->tmp, "boot");
	struct strlist files = {0};
	DIR *d = opendir(boot);
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.')
			sl_pushf(&files, "boot/%s", e->d_name);
	if (d)
		closedir(d);
	sl_sort(&files);
	for (size_t i = 0; i < files.n; i++)
		artifact(&j, c->tmp, files.v[i]);
	sl_free(&files);
	free(boot);
	json_end_obj(&j);

	json_key(&j, "image");
	json_obj(&j);
	json_kint(&j, "size", (long long)size);
	json_kint(&j, "partition_offset", 4 << 20);
	json_kstr(&j, "partition_type", "0x0c");
	char hx[16];
	snprintf(hx, sizeof hx, "%08x", sig);
	json_kstr(&j, "disk_signature", hx);
	snprintf(hx, sizeof hx, "%08X", vol);
	json_kstr(&j, "volume_id", hx);
	json_end_obj(&j);

	json_key(&j, "versions");
	json_obj(&j);
	struct strlist a = {0};
	sl_append(&a, &c->cc);
	sl_push(&a, "--version");
	char *s = first_line(a.v);
	json_kstr(&j, "compiler", s);
	free(s);
	sl_free(&a);
	sl_append(&a, &c->objcopy);
	sl_push(&a, "--version");
	s = first_line(a.v);
	json_kstr(&j, "objcopy", s);
	free(s);
	sl_free(&a);
	const char *rv = conf_get(&c->tc, "VERSION");
	if (!rv)
		rv = conf_get(&c->tc, "UK_VERSION");
	char *lib = xasprintf("%s/%s/libuk.a", uk_home(), c->target), hex[65];
	if (rv) {
		json_kstr(&j, "runtime", rv);
	} else if (sha256_file(lib, hex, NULL) == 0) {
		char *r = xasprintf("libuk.a sha256:%.16s", hex);
		json_kstr(&j, "runtime", r);
		free(r);
	}
	free(lib);
	s = deb_version("picolibc-aarch64-linux-gnu");
	json_kstr(&j, "picolibc", s);
	free(s);
	json_kstr(&j, "firmware", fw_version ? fw_version : "none");
	s = deb_version("dosfstools");
	json_kstr(&j, "dosfstools", s);
	free(s);
	s = deb_version("mtools");
	json_kstr(&j, "mtools", s);
	free(s);
	json_kstr(&j, "libarchive", archive_version_details());
	json_kstr(&j, "libyaml", yaml_get_version_string());
	json_kstr(&j, "uk", UK_VERSION);
	json_end_obj(&j);
	json_end_obj(&j);
	return fclose(f);
}

/* ---- one target ---- */

static int load_conf(struct ctx *c)
{
	char *p = xasprintf("%s/%s/target.conf", uk_home(), c->target);
	if (conf_read(p, &c->tc, uk_home(), uk_cache()) < 0) {
		error("no runtime for target '%s': %s is missing", c->target, p);
		hint("build the runtime ('make runtime' in the uk source tree) or point UK_HOME at "
		     "an installed one; 'uk doctor' checks this");
		free(p);
		return EXIT_ENV;
	}
	free(p);
	p = xasprintf("%s/images/%s/layout.conf", uk_home(), c->target);
	if (conf_read(p, &c->lay, uk_home(), uk_cache()) < 0) {
		error("missing %s", p);
		hint("stage uk's images/ ('make cli') or reinstall uk");
		free(p);
		return EXIT_ENV;
	}
	free(p);
	const char *cc = conf_get(&c->tc, "CC"), *oc = conf_get(&c->tc, "OBJCOPY");
	if (!cc || !oc) {
		error("%s/%s/target.conf sets no CC or OBJCOPY", uk_home(), c->target);
		return EXIT_ENV;
	}
	split_words(cc, &c->cc);
	split_words(oc, &c->objcopy);
	split_words(conf_get(&c->tc, "CFLAGS") ? conf_get(&c->tc, "CFLAGS") : "", &c->cflags);
	split_words(conf_get(&c->tc, "LDFLAGS") ? conf_get(&c->tc, "LDFLAGS") : "", &c->ldflags);
	split_words(conf_get(&c->tc, "LIBS") ? conf_get(&c->tc, "LIBS") : "", &c->libs);
	return 0;
}

/* Everything besides sources and headers that decides the output (checked on a no-op). */
static char *input_stamp(struct ctx *c)
{
	struct sha256 h;
	sha256_init(&h);
	char *hdr =
	    xasprintf("uk %s target %s epoch %lld\n", UK_VERSION, c->target, (long long)c->epoch);
	sha256_update(&h, hdr, strlen(hdr));
	free(hdr);
	char *paths[] = {
	    path_join(c->m->dir, "uk.yaml"),
	    xasprintf("%s/%s/target.conf", uk_home(), c->target),
	    xasprintf("%s/%s/libuk.a", uk_home(), c->target),
	    xasprintf("%s/%s/uk.ld", uk_home(), c->target),
	    xasprintf("%s/images/%s/config.txt", uk_home(), c->target),
	    xasprintf("%s/images/%s/layout.conf", uk_home(), c->target),
	    firmware_deb(),
	};
	for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
		if (!paths[i])
			continue;
		struct stat st;
		char *l = stat(paths[i], &st) == 0
			      ? xasprintf("%s %lld %lld.%09ld\n", paths[i], (long long)st.st_size,
					  (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec)
			      : xasprintf("%s missing\n", paths[i]);
		sha256_update(&h, l, strlen(l));
		free(l);
		free(paths[i]);
	}
	for (size_t i = 0; i < c->m->files.n; i++)
		sha256_update(&h, c->m->files.v[i], strlen(c->m->files.v[i]) + 1);
	unsigned char d[32];
	char *out = xmalloc(65);
	sha256_final(&h, d);
	sha256_hex(d, out);
	return out;
}

/* Nothing to do when the inputs stamp matches and no object is older than its sources. */
static int up_to_date(struct ctx *c, const char *stamp)
{
	char *sf = path_join(c->out, "obj/input.stamp"), *old = NULL;
	int ok = read_file(sf, &old, NULL) == 0 && !strcmp(old, stamp);
	free(sf), free(old);
	const char *must[] = {"app.elf",    "kernel8.img", "boot.vfat",
			      "sdcard.img", "build.json",  NULL};
	for (int i = 0; ok && must[i]; i++) {
		char *p = path_join(c->out, must[i]);
		ok = file_exists(p);
		free(p);
	}
	for (size_t i = 0; ok && i < c->m->files.n; i++) {
		char *orel = obj_rel(c->m->files.v[i]), *o = path_join(c->out, orel);
		char *d = xasprintf("%s.d", o);
		int64_t t = mtime_ns(o);
		ok = t >= 0 && !deps_changed(d, c->m->dir, t);
		free(orel), free(o), free(d);
	}
	return ok;
}

static void link_tree(const char *from, const char *to)
{
	DIR *d = opendir(from);
	if (!d)
		return;
	mkdir_p(to);
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char *f = path_join(from, e->d_name), *t = path_join(to, e->d_name);
		if (is_dir(f))
			link_tree(f, t);
		else
			link_or_copy(f, t);
		free(f), free(t);
	}
	closedir(d);
}

static volatile sig_atomic_t interrupted;

static void on_signal(int s)
{
	(void)s;
	interrupted = 1;
}

/* Temporary directories of builds that died (their process is gone) are removed. */
static void remove_stale(const char *out)
{
	char *pat = xasprintf("%s.tmp-*", out);
	glob_t g;
	if (glob(pat, 0, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++) {
			const char *dash = strrchr(g.gl_pathv[i], '-');
			long pid = dash ? strtol(dash + 1, NULL, 10) : 0;
			if (pid > 0 && kill((pid_t)pid, 0) < 0 && errno == ESRCH)
				rm_rf(g.gl_pathv[i]);
		}
		globfree(&g);
	}
	free(pat);
}

int build_target(struct manifest *m, const char *target, const char *out, struct build_result *r)
{
	struct ctx c;
	memset(&c, 0, sizeof c);
	memset(r, 0, sizeof *r);
	c.m = m;
	c.target = target;
	c.out = out;
	c.epoch = source_date_epoch();
	if (jobs <= 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		jobs = n > 0 ? (int)n : 1;
	}
	r->out = xstrdup(out);
	r->elf = path_join(out, "app.elf");
	r->kernel = path_join(out, "kernel8.img");
	int rc = load_conf(&c);
	if (rc)
		return rc;

	char *stamp = input_stamp(&c);
	if (is_dir(out) && up_to_date(&c, stamp)) {
		r->up_to_date = 1;
		free(stamp);
		return 0;
	}

	/* build beside the output, then swap: a failure leaves the previous output as it was */
	char *parent = xstrdup(out);
	*strrchr(parent, '/') = 0;
	if (mkdir_p(parent) < 0 || !dir_writable(parent)) {
		error("cannot write the output directory %s: %s", parent,
		      mkdir_p(parent) < 0 ? strerror(errno) : "permission denied");
		hint("choose another one with --out DIR, or fix its permissions");
		free(parent), free(stamp);
		return EXIT_FAIL;
	}
	free(parent);
	/* one build of an output at a time; the lock file sits beside it */
	char *lockp = xasprintf("%s.lock", out);
	int lock = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	free(lockp);
	if (lock >= 0 && flock(lock, LOCK_EX | LOCK_NB) < 0) {
		note("waiting for another build of %s", out);
		flock(lock, LOCK_EX);
	}
	remove_stale(out);
	char *tmp = xasprintf("%s.tmp-%d", out, (int)getpid());
	c.tmp = tmp;
	rm_rf(tmp);
	/* Ctrl-C: the compilers die with us; clean up the temporary directory, keep the output */
	struct sigaction sa = {.sa_handler = on_signal}, old_int, old_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	int compiled = 0, relinked = 0;
	char *fw = NULL;
	uint64_t size = 0;
	uint32_t vol = 0, sig = 0;
	if (mkdir(tmp, 0755) < 0) {
		error("cannot create %s: %s", tmp, strerror(errno));
		rc = EXIT_FAIL;
		goto done;
	}
	char *objdir = path_join(tmp, "obj");
	if (is_dir(out)) {
		c.old = out;
		char *oo = path_join(out, "obj");
		link_tree(oo, objdir);
		free(oo);
	}
	mkdir_p(objdir);
	free(objdir);

	rc = EXIT_FAIL;
	if (compile(&c, &compiled) < 0 || interrupted || link_app(&c, compiled, &relinked) < 0 ||
	    interrupted)
		goto fail;
	int b = boot_files(&c, &fw);
	if (b == -2)
		rc = EXIT_ENV;
	if (b < 0 || interrupted || images(&c, &size, &vol, &sig) < 0 ||
	    build_json(&c, fw, size, vol, sig) < 0 || interrupted)
		goto fail;
	char *sf = path_join(tmp, "obj/input.stamp");
	unlink(sf);
	write_file(sf, stamp, strlen(stamp));
	free(sf);

	if (c.old) {
		if (renameat2(AT_FDCWD, tmp, AT_FDCWD, out, RENAME_EXCHANGE) < 0) {
			error("cannot replace %s: %s", out, strerror(errno));
			goto fail;
		}
		rm_rf(tmp); /* now the previous output */
	} else if (rename(tmp, out) < 0) {
		error("cannot create %s: %s", out, strerror(errno));
		goto fail;
	}
	rc = 0;
	goto done;
fail:
	rm_rf(tmp);
	if (interrupted) {
		error("interrupted: the previous output is untouched");
		rc = EXIT_INTR;
	}
done:
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (lock >= 0)
		close(lock);
	free(tmp), free(stamp), free(fw);
	return rc;
}

static void print_result(struct json *j, const struct manifest *m, const char *target,
			 const struct build_result *r)
{
	if (!json_mode) {
		char *k = path_join(r->out, "kernel8.img"), hex[65];
		uint64_t size = 0;
		sha256_file(k, hex, &size);
		printf("%s%s%s %s for %s in %s (kernel8.img %llu bytes)\n", col("\033[1;32m"),
		       r->up_to_date ? "up to date:" : "built", col("\033[0m"), m->name, target,
		       r->out, (unsigned long long)size);
		free(k);
		return;
	}
	json_obj(j);
	json_kstr(j, "target", target);
	json_kstr(j, "out", r->out);
	json_kbool(j, "up_to_date", r->up_to_date);
	char *bj = path_join(r->out, "build.json"), *text;
	if (read_file(bj, &text, NULL) == 0) {
		json_key(j, "build");
		/* build.json is our own valid JSON: embed it as it is */
		size_t l = strlen(text);
		while (l && text[l - 1] == '\n')
			text[--l] = 0;
		j->after_key = 0;
		fputs(text, j->f);
		free(text);
	}
	free(bj);
	json_end_obj(j);
}

int cmd_build(int argc, char **argv)
{
	const char *target = NULL, *out = NULL;
	struct strlist rest = {0};
	struct option opts[] = {
	    {OPT_STRING, 't', "target", &target, "target"},
	    {OPT_STRING, 'o', "out", &out, "output directory"},
	    {OPT_INT, 'j', "jobs", &jobs, "parallel compiles"},
	    {OPT_BOOL, 0, "json", &json_mode, "JSON output"},
	    {OPT_END, 0, NULL, NULL, NULL},
	};
	parse_options(argc, argv, opts, usage_build, &rest);
	if (rest.n > 1)
		usage_error(usage_build, "one app directory at most, got %zu", rest.n);
	if (target && !valid_target(target))
		usage_error(usage_build, "unknown target '%s'; allowed: virt, rpi3, rpi4", target);
	struct manifest m;
	int rc = manifest_load(rest.n ? rest.v[0] : ".", &m);
	if (rc)
		return rc;
	struct strlist targets = {0};
	if (target)
		sl_push(&targets, target);
	else
		sl_append(&targets, &m.targets);
	struct json j;
	if (json_mode) {
		json_begin(&j, stdout, 0);
		json_obj(&j);
		json_key(&j, "builds");
		json_arr(&j);
	}
	for (size_t i = 0; i < targets.n; i++) {
		struct build_result r;
		char *o = default_out(&m, targets.v[i], out, targets.n > 1);
		rc = build_target(&m, targets.v[i], o, &r);
		free(o);
		if (rc)
			break;
		print_result(&j, &m, targets.v[i], &r);
	}
	if (json_mode) {
		json_end_arr(&j);
		json_kbool(&j, "ok", rc == 0);
		json_kint(&j, "exit", rc);
		json_end_obj(&j);
	}
	return rc;
}
