/* cmd_build.c: uk build: builds the app for each target (the pipeline is build.c). */
#include "build.h"
#include "flash.h"
#include "fleet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char usage_build[] =
    "usage: uk build [DIR] [--target T] [--out DIR] [-j N] [--fleet INVENTORY] [--sign KEY]\n"
    "                [--json]\n"
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
    "  sdcard.img   a whole SD card: MBR and the partition at 4 MiB (with uk.yaml\n"
    "               update: slots, autoboot.vfat, slot A (boot.vfat), slot-b.vfat)\n"
    "  sdcard.img.bmap  the blocks of sdcard.img in use (uk flash writes only those)\n"
    "  build.json   size and sha256 of every artifact, versions of every tool\n"
    "A failed build leaves the previous output untouched.\n"
    "\n"
    "Options:\n"
    "\n"
    "Exit codes: 0 built (or up to date), 1 compile/link/tool failure,\n"
    "2 usage or uk.yaml error (nothing written), 3 runtime or firmware missing.\n";

static void print_result(struct json *j, const struct manifest *m, const char *target,
			 const struct build_result *r)
{
	if (!json_mode) {
		char *k = path_join(r->out, "kernel8.img"), hex[65];
		uint64_t size = 0;
		sha256_file(k, hex, &size);
		printf("%s%s%s %s for %s in %s (kernel8.img %llu bytes)\n", col_out("\033[1;32m"),
		       r->up_to_date ? "up to date:" : "built", col_out("\033[0m"), m->name, target,
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
		json_raw(j, text);
		free(text);
	}
	free(bj);
	json_end_obj(j);
}

int cmd_build(int argc, char **argv)
{
	const char *target = NULL, *out = NULL, *fleet = NULL, *sign = NULL;
	struct strlist rest = {0};
	struct option opts[] = {
	    {OPT_STRING, 't', "target", &target, " T", "build for T only"},
	    {OPT_STRING, 'o', "out", &out, " DIR", "output directory"},
	    {OPT_INT, 'j', "jobs", &build_jobs, " N",
	     "compile N sources at once (default: number of CPUs)"},
	    {OPT_STRING, 0, "fleet", &fleet, " INV",
	     "then one sdcard.img per device of the inventory INV (YAML or\n"
	     "CSV) in OUT/fleet/NAME/, and OUT/fleet/fleet.json (docs/fleet.md)"},
	    {OPT_STRING, 0, "sign", &sign, " KEY",
	     "also write OUT/update.ukb: the boot partition's files as an update\n"
	     "bundle signed with the ECDSA P-256 private key KEY (PEM); needs\n"
	     "version: in uk.yaml (docs/update.md)"},
	    {OPT_BOOL, 0, "json", &json_mode, NULL, "print the results as JSON on stdout"},
	    {OPT_END, 0, NULL, NULL, NULL, NULL},
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
	/* the inventory is checked before anything is built: exit 2 writes nothing */
	struct inventory *inv = NULL;
	if (fleet && !(inv = fleet_inventory_load(fleet, &m)))
		return EXIT_USAGE;
	if (sign && !m.version) {
		error("%s: --sign needs a version: add e.g. 'version: 1.0.0' to uk.yaml", m.path);
		return EXIT_USAGE;
	}
	if (sign && m.update_key && update_key_matches(m.update_key, sign) == 0) {
		error(
		    "%s: --sign %s: devices trust update.key; this signing key's bundles would be "
		    "refused",
		    m.path, sign);
		hint("sign with the private half of update.key, or make update.key from this key: "
		     "openssl ec -in %s -pubout -out update.pub.pem",
		     sign);
		json_error(EXIT_USAGE, "the signing key is not update.key's");
		return EXIT_USAGE;
	}
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
		if ((rc = build_after(&m, targets.v[i], r.out, inv)))
			break;
		if (sign) {
			char *bundle = path_join(r.out, "update.ukb"),
			     *boot = path_join(r.out, "boot");
			rc = bundle_write(bundle, boot, &m, targets.v[i], sign);
			if (rc == 0)
				note("update bundle %s (version %s), signed with %s", bundle,
				     m.version, sign);
			free(bundle);
			free(boot);
			if (rc)
				break;
		}
	}
	if (json_mode) {
		json_end_arr(&j);
		json_kbool(&j, "ok", rc == 0);
		json_kint(&j, "exit", rc);
		json_end_obj(&j);
	}
	fleet_inventory_free(inv);
	return rc;
}
