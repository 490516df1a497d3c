/* cmd_version.c: uk version: the tool's version and the runtime it would use. */
#include "uk.h"

#include <stdlib.h>

const char usage_version[] = "usage: uk version [--json]\n"
			     "\n"
			     "Print uk's version, UK_HOME, UK_CACHE and the targets whose runtime\n"
			     "is installed.\n"
			     "\n"
			     "Options:\n";

int cmd_version(int argc, char **argv)
{
	struct strlist rest = {0}, have = {0};
	struct option opts[] = {
	    {OPT_BOOL, 0, "json", &json_mode, NULL, "print the same as JSON on stdout"},
	    {OPT_END, 0, NULL, NULL, NULL, NULL},
	};
	parse_options(argc, argv, opts, usage_version, &rest);
	for (int i = 0; uk_targets[i]; i++) {
		char *p = xasprintf("%s/%s/target.conf", uk_home(), uk_targets[i]);
		if (file_exists(p))
			sl_push(&have, uk_targets[i]);
		free(p);
	}
	if (json_mode) {
		struct json j;
		json_begin(&j, stdout, 0);
		json_obj(&j);
		json_kstr(&j, "version", UK_VERSION);
		json_kstr(&j, "uk_home", uk_home());
		json_kstr(&j, "uk_cache", uk_cache());
		json_key(&j, "targets");
		json_arr(&j);
		for (size_t i = 0; i < have.n; i++)
			json_str(&j, have.v[i]);
		json_end_arr(&j);
		json_end_obj(&j);
	} else {
		printf("uk %s\n", UK_VERSION);
		printf("UK_HOME  %s\n", uk_home());
		printf("UK_CACHE %s\n", uk_cache());
		char *t = sl_join(&have, " ");
		printf("targets  %s\n", have.n ? t : "(no runtime installed: make runtime)");
		free(t);
	}
	return EXIT_OK;
}
