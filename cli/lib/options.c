/* options.c: the one option parser every subcommand uses (long, short, --x=V, --). */
#define _GNU_SOURCE
#include "uk.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* The usage parse_options was last given, and that usage with its option lines (the table is
 * gone by the time a later usage error prints it). */
static const char *last_usage;
static char *last_rendered;

/* The left column of an option's line: "  -t, --target T" or "      --json". */
static char *option_name(const struct option *o)
{
	char s[3] = {'-', o->short_name, 0};
	return xasprintf("  %s%s--%s%s", o->short_name ? s : "  ", o->short_name ? ", " : "  ",
			 o->long_name, o->arg ? o->arg : "");
}

/* usage, with a line per option of opts (name, then help from one column on) after its
 * "Options:\n" line; names wider than WIDE go on a line of their own. */
#define WIDE 24
static char *render_usage(const char *usage, const struct option *opts)
{
	const char *at = strstr(usage, "Options:\n");
	if (!at)
		return xstrdup(usage);
	at += strlen("Options:\n");
	size_t col = 0;
	for (const struct option *o = opts; o->type != OPT_END; o++) {
		char *name = option_name(o);
		size_t n = strlen(name);
		if (n <= WIDE && n + 2 > col)
			col = n + 2;
		free(name);
	}
	char *out = xasprintf("%.*s", (int)(at - usage), usage);
	for (const struct option *o = opts; o->type != OPT_END; o++) {
		char *name = option_name(o), *t;
		size_t n = strlen(name);
		if (n > WIDE)
			t = xasprintf("%s%s\n%*s", out, name, (int)col, "");
		else
			t = xasprintf("%s%s%*s", out, name, (int)(col - n), "");
		free(out), free(name);
		out = t;
		for (const char *h = o->help ? o->help : "", *nl;; h = nl + 1) {
			nl = strchr(h, '\n');
			int len = nl ? (int)(nl - h) : (int)strlen(h);
			t = xasprintf("%s%.*s\n%*s", out, len, h, nl ? (int)col : 0, "");
			free(out);
			out = t;
			if (!nl)
				break;
		}
	}
	char *t = xasprintf("%s%s", out, at);
	free(out);
	return t;
}

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
	fputs(usage == last_usage ? last_rendered : usage, stderr);
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
	free(last_rendered);
	last_rendered = render_usage(usage, opts);
	last_usage = usage;
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
			fputs(last_rendered, stdout);
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
