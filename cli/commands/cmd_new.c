/* cmd_new.c: uk new NAME: an app directory that builds and boots as it is. */
#include "uk.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char usage_new[] = "usage: uk new NAME [--target T]\n"
			 "\n"
			 "Create the directory NAME with uk.yaml, main.c and .gitignore.\n"
			 "The app's name is NAME's last path component.\n"
			 "\n"
			 "Options:\n"
			 "\n"
			 "Exit codes: 0 created, 1 cannot write, 2 bad name or NAME exists.\n";

static const char yaml_tpl[] = "# uk.yaml: every field is documented in manifests/README.md\n"
			       "name: %s\n"
			       "target: %s\n"
			       "sources:\n"
			       "  - main.c\n"
			       "# bootargs:\n"
			       "#   greeting: hello\n"
			       "# memory: 256M\n";

static const char main_tpl[] = "/* %s: a uk unikernel app. Run it with: uk run --qemu */\n"
			       "#include <stdio.h>\n"
			       "\n"
			       "int main(void)\n"
			       "{\n"
			       "\tprintf(\"Hello from %s!\\n\");\n"
			       "\treturn 0;\n"
			       "}\n";

int cmd_new(int argc, char **argv)
{
	const char *target = "virt";
	struct strlist rest = {0};
	struct option opts[] = {
	    {OPT_STRING, 't', "target", &target, " T", "virt (default), rpi3 or rpi4"},
	    {OPT_BOOL, 0, "json", &json_mode, NULL, "print the created files as JSON"},
	    {OPT_END, 0, NULL, NULL, NULL, NULL},
	};
	parse_options(argc, argv, opts, usage_new, &rest);
	if (rest.n != 1)
		usage_error(usage_new, "give the new app's name (one)");
	if (!valid_target(target))
		usage_error(usage_new, "unknown target '%s'; allowed: virt, rpi3, rpi4", target);
	const char *dir = rest.v[0];
	char *copy = xstrdup(dir);
	size_t l = strlen(copy);
	while (l > 1 && copy[l - 1] == '/')
		copy[--l] = 0;
	const char *name = strrchr(copy, '/') ? strrchr(copy, '/') + 1 : copy;
	int ok = *name != 0;
	for (const char *p = name; *p; p++)
		if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') &&
		    !(*p >= '0' && *p <= '9') && !strchr("_-.", *p))
			ok = 0;
	if (!ok || name[0] == '.')
		usage_error(usage_new, "'%s' is not a good app name: use letters, digits, '_', '-'",
			    name);
	if (file_exists(dir)) {
		error("%s already exists; choose another name or remove it", dir);
		json_error(EXIT_USAGE, "already exists");
		return EXIT_USAGE;
	}
	if (mkdir_p(dir) < 0) {
		error("cannot create %s: %s", dir, strerror(errno));
		json_error(EXIT_FAIL, "cannot create the directory");
		return EXIT_FAIL;
	}
	char *y = xasprintf(yaml_tpl, name, target), *c = xasprintf(main_tpl, name, name);
	char *py = path_join(dir, "uk.yaml"), *pc = path_join(dir, "main.c");
	char *pg = path_join(dir, ".gitignore");
	int rc = EXIT_OK;
	if (write_file(py, y, strlen(y)) < 0 || write_file(pc, c, strlen(c)) < 0 ||
	    write_file(pg, "build/\n", 7) < 0) {
		error("cannot write into %s: %s", dir, strerror(errno));
		rc = EXIT_FAIL;
	}
	if (rc == EXIT_OK && json_mode) {
		struct json j;
		json_begin(&j, stdout, 0);
		json_obj(&j);
		json_kbool(&j, "ok", 1);
		json_kstr(&j, "name", name);
		json_kstr(&j, "dir", dir);
		json_kstr(&j, "target", target);
		json_key(&j, "files");
		json_arr(&j);
		json_str(&j, py);
		json_str(&j, pc);
		json_str(&j, pg);
		json_end_arr(&j);
		json_end_obj(&j);
	} else if (rc == EXIT_OK) {
		printf("created %s (%s for %s). Next:\n  cd %s && uk run --qemu\n", dir, name,
		       target, dir);
	}
	free(y), free(c), free(py), free(pc), free(pg), free(copy);
	return rc;
}
