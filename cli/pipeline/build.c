/* build.c: one target's build: up-to-date check, then compile, link, boot/, images and
 * build.json in a temporary directory beside the output, swapped in at the end (atomic). */
#define _GNU_SOURCE
#include "build.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int build_jobs;

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
	    xstrdup("/proc/self/exe"), /* a new uk may write its outputs differently */
	    c->m->update_key ? xstrdup(c->m->update_key) : NULL, /* copied as update.pem */
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
	data_seed_stamp(&h, c->m);
	return sha256_final_hex(&h);
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
	const char *slots[] = {SLOTS_AUTOBOOT_IMAGE, SLOTS_B_IMAGE}; /* the fleet stamper's too */
	for (size_t i = 0; ok && c->m->slot_size && !slots_in_dirs(c->target) && i < 2; i++) {
		char *p = path_join(c->out, slots[i]);
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

/* An existing output is replaced as a whole: refuse anything uk did not provably write
 * (--out ~/docs, or a folder that merely holds a build.json). Returns 1 when out may go. */
static int replaceable(const char *out, char **why)
{
	struct stat st;
	*why = NULL;
	if (lstat(out, &st) < 0)
		return errno == ENOENT || errno == ENOTDIR; /* mkdir says what is wrong */
	if (!S_ISDIR(st.st_mode)) {
		*why = xstrdup(S_ISLNK(st.st_mode) ? "it is a symbolic link"
						   : "it is not a directory");
		return 0;
	}
	return build_output_check(out, why) == 0;
}

static volatile sig_atomic_t interrupted;

static void on_signal(int s)
{
	interrupted = 1;
	request_stop(s);
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

/* An output that is not provably uk's is refused (replaceable says why). */
static int check_output(const char *out)
{
	char *why = NULL;
	if (!replaceable(out, &why)) {
		error("%s exists and is not a uk build output (%s); uk replaces its output as a "
		      "whole, so it touched nothing",
		      out, why ? why : strerror(errno));
		hint("give --out a new or empty directory (an output of an older uk, without the "
		     "marker, can be removed by hand)");
		free(why);
		json_error(EXIT_USAGE, "the output directory is not a uk build output");
		return EXIT_USAGE;
	}
	return 0;
}

/* The directory the output and its temporary sibling go in, created when missing. */
static int make_parent(const char *out)
{
	char *parent = xstrdup(out);
	*strrchr(parent, '/') = 0;
	if (mkdir_p(parent) < 0 || !dir_writable(parent)) {
		error("cannot write the output directory %s: %s", parent,
		      mkdir_p(parent) < 0 ? strerror(errno) : "permission denied");
		hint("choose another one with --out DIR, or fix its permissions");
		free(parent);
		return EXIT_FAIL;
	}
	free(parent);
	return 0;
}

/* One build of an output at a time; the lock file sits beside it. *lock: its descriptor, or -1.
 * Returns 1 when the build waited for holds the output up to date (the lock is closed then). */
static int lock_output(struct ctx *c, const char *stamp, int *lock)
{
	char *lockp = xasprintf("%s.lock", c->out);
	*lock = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	free(lockp);
	if (*lock >= 0 && flock(*lock, LOCK_EX | LOCK_NB) < 0) {
		note("waiting for another build of %s", c->out);
		flock(*lock, LOCK_EX);
		if (is_dir(c->out) &&
		    up_to_date(c, stamp)) { /* that build may have done our work */
			close(*lock);
			return 1;
		}
	}
	return 0;
}

/* The temporary directory, with the previous output's objects linked in for an incremental
 * build. */
static int make_tmp(struct ctx *c)
{
	if (mkdir(c->tmp, 0755) < 0) {
		error("cannot create %s: %s", c->tmp, strerror(errno));
		return EXIT_FAIL;
	}
	char *objdir = path_join(c->tmp, "obj");
	if (is_dir(c->out)) {
		c->old = c->out;
		char *oo = path_join(c->out, "obj");
		link_tree(oo, objdir);
		free(oo);
	}
	mkdir_p(objdir);
	free(objdir);
	return 0;
}

/* In the temporary directory: compile, link, boot/, the images, build.json, the marker and the
 * input stamp. Returns 0 or an exit code. */
static int produce(struct ctx *c, const char *stamp, char **fw)
{
	int compiled = 0, relinked = 0;
	uint64_t size = 0;
	uint32_t vol = 0, sig = 0;
	if (compile(c, &compiled) < 0 || interrupted || link_app(c, compiled, &relinked) < 0 ||
	    interrupted)
		return EXIT_FAIL;
	int b = boot_files(c, fw);
	if (b < 0 || interrupted || images(c, &size, &vol, &sig) < 0 ||
	    build_json(c, *fw, size, vol, sig) < 0 || interrupted)
		return b == -2 ? EXIT_ENV : EXIT_FAIL;
	if (build_marker_write(c->tmp) < 0) {
		error("cannot write %s/%s: %s", c->tmp, build_marker_name, strerror(errno));
		return EXIT_FAIL;
	}
	char *sf = path_join(c->tmp, "obj/input.stamp");
	unlink(sf);
	write_file(sf, stamp, strlen(stamp));
	free(sf);
	return 0;
}

/* The new output takes the old one's place in one step. */
static int swap_in(const struct ctx *c)
{
	if (c->old) {
		if (renameat2(AT_FDCWD, c->tmp, AT_FDCWD, c->out, RENAME_EXCHANGE) < 0) {
			error("cannot replace %s: %s", c->out, strerror(errno));
			return EXIT_FAIL;
		}
		rm_rf(c->tmp); /* now the previous output */
	} else if (rename(c->tmp, c->out) < 0) {
		error("cannot create %s: %s", c->out, strerror(errno));
		return EXIT_FAIL;
	}
	return 0;
}

/* A failed build: the temporary directory goes; the previous output stays as it was. */
static int failed(const struct ctx *c, int rc)
{
	rm_rf(c->tmp);
	if (tool_missing)
		rc = EXIT_ENV;
	if (interrupted) {
		error("interrupted: the previous output is untouched");
		rc = EXIT_INTR;
	}
	return rc;
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
	if (build_jobs <= 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		build_jobs = n > 0 ? (int)n : 1;
	}
	r->out = xstrdup(out);
	r->elf = path_join(out, "app.elf");
	r->kernel = path_join(out, "kernel8.img");
	int rc = load_conf(&c);
	if (rc || (rc = check_output(out)))
		return rc;
	char *stamp = input_stamp(&c);
	if (is_dir(out) && up_to_date(&c, stamp)) {
		r->up_to_date = 1;
		free(stamp);
		return 0;
	}

	/* build beside the output, then swap: a failure leaves the previous output as it was */
	int lock;
	if ((rc = make_parent(out)) || (r->up_to_date = lock_output(&c, stamp, &lock))) {
		free(stamp);
		return rc;
	}
	remove_stale(out);
	char *tmp = xasprintf("%s.tmp-%d", out, (int)getpid()), *fw = NULL;
	c.tmp = tmp;
	rm_rf(tmp);
	/* Ctrl-C: the compilers die with us; clean up the temporary directory, keep the output */
	struct sigaction sa = {.sa_handler = on_signal}, old_int, old_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	if (!(rc = make_tmp(&c))) {
		rc = produce(&c, stamp, &fw);
		if (!rc)
			rc = swap_in(&c);
		if (rc)
			rc = failed(&c, rc);
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (lock >= 0)
		close(lock);
	free(tmp), free(stamp), free(fw);
	return rc;
}
