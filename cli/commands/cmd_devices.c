/* cmd_devices.c: uk devices: the disks uk flash would accept, and why each other one is hidden. */
#define _GNU_SOURCE
#include "flash.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

const char usage_devices[] =
    "usage: uk devices [--all] [--json]\n"
    "\n"
    "List the cards uk flash would write: removable or on USB/MMC, not mounted, not\n"
    "holding the system or swap, not held by LVM/RAID/device-mapper, writable, with a\n"
    "medium. Every other disk is listed as hidden with the reason (the same checks as\n"
    "uk flash). Loop devices count as hidden unless --allow-loop; detached ones are\n"
    "left out unless --all.\n"
    "\n"
    "Options:\n";

static void dev_json(struct json *j, const struct target_info *t, const struct refusals *r)
{
	json_obj(j);
	json_kstr(j, "device", t->path);
	json_kstr(j, "name", t->name);
	json_kint(j, "size", (long long)t->size);
	json_kstr(j, "bus", t->bus);
	json_kstr(j, "model", t->model);
	json_kstr(j, "serial", t->serial);
	json_kbool(j, "removable", t->removable);
	if (r)
		refusals_json(j, "reasons", r);
	json_end_obj(j);
}

int cmd_devices(int argc, char **argv)
{
	int all = 0, allow_loop = 0;
	struct strlist rest = {0};
	struct option opts[] = {
	    {OPT_BOOL, 0, "allow-loop", &allow_loop, NULL,
	     "list attached loop devices as candidates"},
	    {OPT_BOOL, 0, "all", &all, NULL, "also list detached loop devices and empty ram disks"},
	    {OPT_BOOL, 0, "json", &json_mode, NULL,
	     "{\"candidates\":[...],\"hidden\":[...]} on stdout"},
	    {OPT_END, 0, NULL, NULL, NULL, NULL},
	};
	parse_options(argc, argv, opts, usage_devices, &rest);
	if (rest.n)
		usage_error(usage_devices, "uk devices takes no arguments");
	char *sb = sys_path("/sys/block");
	DIR *d = opendir(sb);
	struct strlist names = {0};
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.')
			sl_push(&names, e->d_name);
	if (d)
		closedir(d);
	free(sb);
	sl_sort(&names);
	size_t n = names.n;
	struct target_info *t = xmalloc((n + 1) * sizeof *t);
	struct refusals *r = xmalloc((n + 1) * sizeof *r);
	int *show = xmalloc((n + 1) * sizeof *show);
	struct safety_opts so = {.allow_loop = allow_loop};
	size_t good = 0;
	for (size_t i = 0; i < n; i++) {
		memset(&r[i], 0, sizeof r[i]);
		show[i] = target_probe_name(names.v[i], &t[i]) == 0;
		if (!show[i])
			continue;
		int idle = t[i].size == 0 && (t[i].is_loop || !strncmp(t[i].name, "ram", 3) ||
					      !strncmp(t[i].name, "zram", 4));
		if (idle && !all) {
			show[i] = 0;
			target_free(&t[i]);
			continue;
		}
		if (target_check(&t[i], &so, &r[i]) == 0)
			good++;
	}
	if (json_mode) {
		struct json j;
		json_begin(&j, stdout, 1);
		json_obj(&j);
		for (int pass = 0; pass < 2; pass++) {
			json_key(&j, pass ? "hidden" : "candidates");
			json_arr(&j);
			for (size_t i = 0; i < n; i++)
				if (show[i] && (r[i].n != 0) == pass)
					dev_json(&j, &t[i], pass ? &r[i] : NULL);
			json_end_arr(&j);
		}
		json_end_obj(&j);
	} else {
		printf("%s\n", good ? "Cards uk flash would write:" : "No card found.");
		for (size_t i = 0; i < n; i++)
			if (show[i] && !r[i].n) {
				char *hs = human_size(t[i].size);
				printf("  %-14s %10s  %-6s %s%s%s\n", t[i].path, hs, t[i].bus,
				       t[i].model, *t[i].serial ? "  serial " : "", t[i].serial);
				free(hs);
			}
		int hidden = 0;
		for (size_t i = 0; i < n; i++)
			if (show[i] && r[i].n) {
				if (!hidden++)
					printf("Hidden:\n");
				char *hs = human_size(t[i].size);
				printf("  %-14s %10s  %-6s %s\n", t[i].path, hs, t[i].bus,
				       t[i].model);
				for (size_t k = 0; k < r[i].n; k++)
					printf("      %s: %s (override: %s)\n", r[i].v[k].code,
					       r[i].v[k].reason, r[i].v[k].fix);
				free(hs);
			}
	}
	for (size_t i = 0; i < n; i++)
		if (show[i]) {
			target_free(&t[i]);
			refusals_free(&r[i]);
		}
	free(t), free(r), free(show);
	sl_free(&names);
	return EXIT_OK;
}
