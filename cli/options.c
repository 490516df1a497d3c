/* options.c: the one option parser every subcommand uses (long, short, --x=V, --). */
#define _GNU_SOURCE
#include "uk.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void usage_error(const char *usage, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		exit(EXIT_USAGE);
	va_end(ap);
	error("%s", msg);
	json_error(EXIT_USAGE, msg);
	fputs(usage, stderr);
	free(msg);
	exit(EXIT_USAGE);
}

static int to_int(const char *usage, const char *name, const char *s)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < 0 || v > 1000000000)
		usage_error(usage, "--%s wants a whole number, not '%s'", name, s);
	return (int)v;
}

static void set(const struct option *o, const char *usage, const char *val)
{
	switch (o->type) {
	case OPT_BOOL:
		*(int *)o->value = 1;
		break;
	case OPT_STRING:
		*(const char **)o->value = val;
		break;
	case OPT_INT:
	case OPT_OPTINT:
		*(int *)o->value = to_int(usage, o->long_name, val);
		break;
	case OPT_LIST:
		sl_push(o->value, val);
		break;
	case OPT_END:
		break;
	}
}

void parse_options(int argc, char **argv, const struct option *opts, const char *usage,
		   struct strlist *rest)
{
	int only_args = 0;
	for (int i = 1; i < argc; i++) {
		char *a = argv[i];
		if (only_args || a[0] != '-' || !a[1]) {
			sl_push(rest, a);
			continue;
		}
		if (!strcmp(a, "--")) {
			only_args = 1;
			continue;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage, stdout);
			exit(EXIT_OK);
		}
		if (!strcmp(a, "--json")) {
			json_mode = 1;
		}
		const struct option *o = NULL;
		const char *val = NULL;
		if (a[1] == '-') {
			const char *name = a + 2;
			const char *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);
			for (const struct option *p = opts; p->type != OPT_END; p++)
				if (p->long_name && strlen(p->long_name) == len &&
				    !strncmp(p->long_name, name, len))
					o = p;
			if (!o)
				usage_error(usage, "unknown option '%.*s'", (int)len + 2, a);
			if (eq)
				val = eq + 1;
			if (eq && o->type == OPT_BOOL)
				usage_error(usage, "--%s takes no value", o->long_name);
		} else {
			for (const struct option *p = opts; p->type != OPT_END; p++)
				if (p->short_name && p->short_name == a[1])
					o = p;
			if (!o)
				usage_error(usage, "unknown option '-%c'", a[1]);
			if (a[2]) {
				if (o->type == OPT_BOOL)
					usage_error(usage, "unknown option '%s'", a);
				val = a + 2;
			}
		}
		if (o->type == OPT_OPTINT) {
			/* only --name=VALUE: a following path is never taken as the value */
			*(int *)o->value =
			    val ? to_int(usage, o->long_name, val) : -1; /* -1: default */
			continue;
		}
		if (o->type != OPT_BOOL && !val) {
			if (i + 1 >= argc)
				usage_error(usage, "option '%s' needs a value", a);
			val = argv[++i];
		}
		set(o, usage, val);
	}
}
