/* main.c: global options and dispatch to cmd_NAME(argc, argv), as git's builtin/ does. */
#include "uk.h"
#include "flash.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_main[] =
    "usage: uk [--version] [--help] [-v] [--color=auto|always|never] COMMAND [ARGS]\n"
    "\n"
    "Package a C application as an ARM64 unikernel for QEMU and the Raspberry Pi.\n"
    "\n"
    "Commands:\n"
    "  new       create an app directory that builds and boots as it is\n"
    "  build     compile, link and write kernel8.img, boot.vfat, sdcard.img, build.json\n"
    "  run       build when stale, then boot the image in QEMU (--qemu)\n"
    "  flash     write an SD card image to a card, safely, and verify it\n"
    "  devices   list the cards uk flash would write, and why others are hidden\n"
    "  data      list, get and put the files of a card image's /data partition\n"
    "  doctor    check the host for compiler, QEMU, firmware, FAT tools\n"
    "  version   print uk's version and the runtime it finds\n"
    "  help      show the help of a command: uk help build\n"
    "\n"
    "Exit codes: 0 ok, 1 build or app failure, 2 usage or uk.yaml error,\n"
    "3 missing runtime/tool/firmware, 124 timeout, 130 interrupted;\n"
    "'uk run' exits with the app's own status. See docs/cli.md.\n";

const struct command commands[] = {
    {"new", cmd_new, "create an app"},	      {"build", cmd_build, "build an app"},
    {"run", cmd_run, "boot an app in QEMU"},  {"flash", cmd_flash, "write a card"},
    {"devices", cmd_devices, "list cards"},   {"data", cmd_data, "files on a card's /data"},
    {"doctor", cmd_doctor, "check the host"}, {"version", cmd_version, "print the version"},
    {"help", cmd_help, "show help"},	      {NULL, NULL, NULL},
};

const struct command *find_command(const char *name)
{
	for (const struct command *c = commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

const char usage_help[] = "usage: uk help [COMMAND]\n"
			  "\n"
			  "Show the usage of COMMAND, or the list of commands.\n";

int cmd_help(int argc, char **argv)
{
	struct strlist rest = {0};
	struct option opts[] = {{OPT_END, 0, NULL, NULL, NULL, NULL}};
	parse_options(argc, argv, opts, usage_help, &rest);
	if (rest.n == 0) {
		fputs(usage_main, stdout);
		return EXIT_OK;
	}
	const struct command *c = find_command(rest.v[0]);
	if (!c)
		usage_error(usage_help, "no such command '%s'", rest.v[0]);
	/* the command prints its usage itself, with the options from its own table */
	char *v[] = {(char *)c->name, "--help", NULL};
	return c->fn(2, v);
}

int main(int argc, char **argv)
{
	const char *nc = getenv("NO_COLOR");
	use_color = isatty(2) && !(nc && *nc);
	use_color_out = isatty(1) && !(nc && *nc);
	argv0 = argv[0];
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage_main, stdout);
			return EXIT_OK;
		} else if (!strcmp(a, "--version")) {
			char *v[] = {"version", NULL};
			return cmd_version(1, v);
		} else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			verbose = 1;
		} else if (!strcmp(a, "--color=always")) {
			use_color = use_color_out = 1;
		} else if (!strcmp(a, "--color=never")) {
			use_color = use_color_out = 0;
		} else if (!strcmp(a, "--color=auto")) {
		} else {
			error("unknown option '%s'", a);
			fputs(usage_main, stderr);
			return EXIT_USAGE;
		}
	}
	if (i >= argc) {
		fputs(usage_main, stderr);
		return EXIT_USAGE;
	}
	const struct command *c = find_command(argv[i]);
	if (!c) {
		error("'%s' is not a uk command", argv[i]);
		hint("the commands are: new, build, run, flash, devices, data, doctor, version, "
		     "help ('uk --help')");
		return EXIT_USAGE;
	}
	return c->fn(argc - i, argv + i);
}
