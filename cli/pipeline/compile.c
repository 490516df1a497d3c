/* compile.c: compiles only the app's own sources, and only those that changed (object, .d
 * dependency file and command per source under obj/), then links app.elf and kernel8.img. */
#define _GNU_SOURCE
#include "build.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

char *obj_rel(const char *src)
{
	return xasprintf("obj/%s.o", src);
}

/* Is the object older than any file in its dependency file (paths relative to the app)? */
int deps_changed(const char *dfile, const char *appdir, int64_t obj_time)
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

int compile(struct ctx *c, int *any)
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
		sl_pushf(a, "./%s", src); /* never an option or a response file to gcc */
		sig[i] = join_words(a);	  /* the command without its output paths */
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

	/* up to build_jobs compilers at once; their messages go straight to the terminal */
	struct job *run_ = calloc((size_t)build_jobs, sizeof *run_);
	int active = 0;
	size_t next = 0;
	while ((next < n || active) && !(failed && !active)) {
		while (!failed && active < build_jobs && next < n) {
			size_t i = next++;
			if (!need[i])
				continue;
			if (verbose)
				print_cmd(&cmds[i]);
			struct spawn_opts o = {.cwd = m->dir, .out_fd = -1};
			pid_t pid = spawn(cmds[i].v, &o);
			if (pid < 0) {
				int e = errno;
				error("cannot run %s: %s", cmds[i].v[0], strerror(e));
				if (e == ENOENT)
					tool_missing = 1;
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

int link_app(struct ctx *c, int compiled, int *relinked)
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
	/* argv[0]: the app's name (letters, digits, '_', '-', '.'), compiled on the link line from
	 * a one-line file, the name itself a -D so that the link signature carries it */
	char *namef = path_join(c->tmp, "obj/app_name.c");
	static const char name_src[] = "const char uk_app_name[] = UK_APP_NAME;\n"
				       "const char uk_app_version[] = UK_APP_VERSION;\n";
	unlink(namef); /* a hard link to the previous output's: never write through it */
	write_file(namef, name_src, strlen(name_src));
	free(namef);
	sl_pushf(&a, "-DUK_APP_NAME=\"%s\"", m->name);
	sl_pushf(&a, "-DUK_APP_VERSION=\"%s\"", m->version ? m->version : "");
	sl_push(&a, "obj/app_name.c");
	/* an A/B card's runtime always runs the update checks at boot (the trial's deadline, the
	 * Pi 3's revert), even in an app that never calls uk/update.h: it cannot confirm, so it
	 * must not stay */
	if (m->slot_size)
		sl_push(&a, "-Wl,-u,uk_update_boot");
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
