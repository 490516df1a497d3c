/* cmd_doctor.c: uk doctor: is everything uk needs on this host? Says exactly what to install. */
#include "uk.h"

#include <stdlib.h>
#include <string.h>

const char usage_doctor[] =
    "usage: uk doctor [--json]\n"
    "\n"
    "Check the cross compiler, picolibc, QEMU and its machines, the FAT tools,\n"
    "the firmware and device-tree cache (UK_CACHE) and the runtime (UK_HOME),\n"
    "and say what to install for each missing piece.\n"
    "\n"
    "Options:\n"
    "\n"
    "Exit codes: 0 everything required is present, 3 something is missing.\n";

struct check {
	const char *what;
	int ok, required;
	char *detail;
	const char *fix;
};

static struct check checks[32];
static int nchecks;

static void add(const char *what, int ok, int required, char *detail, const char *fix)
{
	if (nchecks < 32)
		checks[nchecks++] = (struct check){what, ok, required, detail, fix};
}

static void program(const char *what, const char *prog, const char *fix, int required)
{
	char *p = find_program(prog);
	add(what, p != NULL, required, p ? p : xasprintf("%s not found", prog), fix);
}

static void qemu_checks(void)
{
	char *v[] = {"qemu-system-aarch64", "--version", NULL};
	int st;
	char *out = run_capture(v, &st);
	const char *fix = "apt-get install -t bookworm-backports qemu-system-arm (QEMU >= 9.0)";
	if (!out || st != 0) {
		add("QEMU", 0, 1, xstrdup("qemu-system-aarch64 not found"), fix);
		free(out);
		return;
	}
	char *nl = strchr(out, '\n');
	if (nl)
		*nl = 0;
	const char *ver = strstr(out, "version ");
	int major = ver ? atoi(ver + 8) : 0;
	add("QEMU >= 9.0", major >= 9, 1, xstrdup(out), fix);
	free(out);
	char *mv[] = {"qemu-system-aarch64", "-machine", "help", NULL};
	out = run_capture(mv, &st);
	const char *machines[] = {"virt", "raspi3b", "raspi4b", NULL};
	for (int i = 0; machines[i]; i++) {
		char key[32];
		snprintf(key, sizeof key, "\n%s ", machines[i]);
		int ok = out && strstr(out, key);
		add(i == 0   ? "QEMU machine virt"
		    : i == 1 ? "QEMU machine raspi3b"
			     : "QEMU machine raspi4b",
		    ok, 1, xstrdup(ok ? "available" : "missing"), fix);
	}
	free(out);
}

/* Every board tree the target's cards carry (images/TARGET/layout.conf BOARD_DTB) is in the
 * cache: uk build fails without one, since that board would boot without its tree. */
static void dtb_check(const char *target, const char *what)
{
	const char *fix = "./install.sh (extracts them from Debian's linux-image-arm64)";
	char *lp = xasprintf("%s/images/%s/layout.conf", uk_home(), target);
	struct conf lay = {0};
	if (conf_read(lp, &lay, uk_home(), uk_cache()) < 0) {
		add(what, 0, 1, xasprintf("cannot read %s", lp),
		    "make (stages images/ into UK_HOME)");
		free(lp);
		return;
	}
	free(lp);
	struct strlist names = {0}, missing = {0};
	const char *v = conf_get(&lay, "BOARD_DTB");
	if (v)
		split_words(v, &names);
	for (size_t i = 0; i < names.n; i++) {
		char *p = xasprintf("%s/dtb/%s", uk_cache(), names.v[i]);
		if (!file_exists(p))
			sl_push(&missing, names.v[i]);
		free(p);
	}
	char *detail;
	if (!missing.n) {
		detail = xasprintf("%zu boards in %s/dtb", names.n, uk_cache());
	} else {
		size_t len = 0;
		for (size_t i = 0; i < missing.n; i++)
			len += strlen(missing.v[i]) + 1;
		char *list = xmalloc(len + 1), *q = list;
		for (size_t i = 0; i < missing.n; i++)
			q += sprintf(q, "%s%s", i ? " " : "", missing.v[i]);
		detail = xasprintf("%s/dtb lacks %s: %s cards would not boot those boards",
				   uk_cache(), list, target);
		free(list);
	}
	add(what, missing.n == 0, 1, detail, fix);
	sl_free(&names), sl_free(&missing);
	conf_free(&lay);
}

int cmd_doctor(int argc, char **argv)
{
	struct strlist rest = {0};
	struct option opts[] = {
	    {OPT_BOOL, 0, "json", &json_mode, NULL, "print the checks as JSON on stdout"},
	    {OPT_END, 0, NULL, NULL, NULL, NULL},
	};
	parse_options(argc, argv, opts, usage_doctor, &rest);
	if (rest.n)
		usage_error(usage_doctor, "uk doctor takes no arguments");

	program("cross compiler", "aarch64-linux-gnu-gcc", "apt-get install gcc-aarch64-linux-gnu",
		1);
	program("objcopy", "aarch64-linux-gnu-objcopy",
		"apt-get install binutils-aarch64-linux-gnu", 1);
	program("addr2line", "aarch64-linux-gnu-addr2line",
		"apt-get install binutils-aarch64-linux-gnu", 1);
	const char *specs = "/usr/lib/picolibc/aarch64-linux-gnu/picolibc.specs";
	add("picolibc", file_exists(specs), 1,
	    xstrdup(file_exists(specs) ? specs : "picolibc.specs not found"),
	    "apt-get install picolibc-aarch64-linux-gnu");
	qemu_checks();
	program("mkfs.fat", "mkfs.fat", "apt-get install dosfstools", 1);
	program("fsck.fat", "fsck.fat", "apt-get install dosfstools", 0);
	program("mcopy", "mcopy", "apt-get install mtools", 1);
	program("gdb-multiarch", "gdb-multiarch", "apt-get install gdb-multiarch", 0);
	char *deb = firmware_deb();
	add("Pi firmware", deb != NULL, 1,
	    deb ? deb : xasprintf("no raspi-firmware_*.deb in %s/debs", uk_cache()),
	    "./install.sh (downloads Debian's raspi-firmware into UK_CACHE)");
	dtb_check("rpi3", "Pi 3 device trees");
	dtb_check("rpi4", "Pi 4 device trees");
	for (int i = 0; uk_targets[i]; i++) {
		char *p = xasprintf("%s/%s/target.conf", uk_home(), uk_targets[i]);
		char *l = xasprintf("%s/%s/libuk.a", uk_home(), uk_targets[i]);
		int ok = file_exists(p) && file_exists(l);
		static char names[3][32];
		snprintf(names[i], sizeof names[i], "runtime %s", uk_targets[i]);
		add(names[i], ok, 1,
		    ok ? xasprintf("%s/%s", uk_home(), uk_targets[i])
		       : xasprintf("%s missing", ok		  ? l
						 : file_exists(p) ? l
								  : p),
		    "make runtime (in the uk source tree), or set UK_HOME");
		free(p), free(l);
	}

	int bad = 0;
	for (int i = 0; i < nchecks; i++)
		bad |= checks[i].required && !checks[i].ok;
	if (json_mode) {
		struct json j;
		json_begin(&j, stdout, 0);
		json_obj(&j);
		json_kbool(&j, "ok", !bad);
		json_kstr(&j, "uk_home", uk_home());
		json_kstr(&j, "uk_cache", uk_cache());
		json_key(&j, "checks");
		json_arr(&j);
		for (int i = 0; i < nchecks; i++) {
			json_obj(&j);
			json_kstr(&j, "check", checks[i].what);
			json_kbool(&j, "ok", checks[i].ok);
			json_kbool(&j, "required", checks[i].required);
			json_kstr(&j, "detail", checks[i].detail);
			if (!checks[i].ok)
				json_kstr(&j, "fix", checks[i].fix);
			json_end_obj(&j);
		}
		json_end_arr(&j);
		json_end_obj(&j);
	} else {
		for (int i = 0; i < nchecks; i++) {
			struct check *c = &checks[i];
			const char *mark = c->ok ? "ok" : c->required ? "MISSING" : "missing";
			const char *color = c->ok	  ? "\033[32m"
					    : c->required ? "\033[1;31m"
							  : "\033[33m";
			printf("%s%-8s%s %-22s %s\n", col_out(color), mark, col_out("\033[0m"),
			       c->what, c->detail);
			if (!c->ok)
				printf("         %-22s fix: %s\n", "", c->fix);
		}
		printf(bad ? "uk doctor: something required is missing (see fix: lines)\n"
			   : "uk doctor: everything required is here\n");
	}
	return bad ? EXIT_ENV : EXIT_OK;
}
