/* bootargs.c: boot arguments on the host: the one place that sets, reads, checks and formats
 * them for uk build (cmdline.txt), uk run (-append) and the fleet stamper. It enforces, at build
 * time, the grammar and limits of the runtime's parser (runtime/kernel/bootargs.c), which skips
 * what breaks them with only a console warning: what uk accepts, the board takes. */
#include "uk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

static long find(const struct bootargs *b, const char *key)
{
	for (size_t i = 0; i < b->keys.n; i++)
		if (!strcmp(b->keys.v[i], key))
			return (long)i;
	return -1;
}

void bootargs_set(struct bootargs *b, const char *key, const char *value)
{
	long i = find(b, key);
	if (i >= 0) {
		free(b->values.v[i]);
		b->values.v[i] = xstrdup(value);
		return;
	}
	sl_push(&b->keys, key);
	sl_push(&b->values, value);
}

const char *bootargs_get(const struct bootargs *b, const char *key)
{
	long i = find(b, key);
	return i >= 0 ? b->values.v[i] : NULL;
}

int bootargs_has_prefix(const struct bootargs *b, const char *prefix)
{
	for (size_t i = 0; i < b->keys.n; i++)
		if (!strncmp(b->keys.v[i], prefix, strlen(prefix)))
			return 1;
	return 0;
}

void bootargs_merge(struct bootargs *to, const struct bootargs *from)
{
	for (size_t i = 0; i < from->keys.n; i++)
		bootargs_set(to, from->keys.v[i], from->values.v[i]);
}

void bootargs_free(struct bootargs *b)
{
	sl_free(&b->keys), sl_free(&b->values);
}

const char *bootarg_key_problem(const char *key)
{
	if (!*key)
		return "a boot argument needs a key";
	for (const char *s = key; *s; s++)
		if (!key_char(*s))
			return "a boot argument's key may hold only letters, digits, '_', '-', '.'";
	if (strlen(key) > BOOTARG_KEY_MAX)
		return "a boot argument's key may have at most 63 characters";
	return NULL;
}

const char *bootarg_value_problem(const char *value)
{
	for (const unsigned char *s = (const unsigned char *)value; *s; s++) {
		if (*s == '"')
			return "a boot argument's value may not contain '\"'";
		if (*s < 0x20 || *s == 0x7f)
			return "a boot argument's value may not contain a line break, tab or other "
			       "control character (cmdline.txt is one line)";
	}
	if (strlen(value) > BOOTARG_VALUE_MAX)
		return "a boot argument's value may have at most 255 characters";
	return NULL;
}

static int needs_quotes(const char *v)
{
	return strchr(v, ' ') != NULL;
}

char *bootargs_problem(const struct bootargs *b)
{
	size_t stored = 0;
	for (size_t i = 0; i < b->keys.n; i++) {
		const char *why = bootarg_key_problem(b->keys.v[i]);
		if (!why)
			why = bootarg_value_problem(b->values.v[i]);
		if (why)
			return xasprintf("%s=%s: %s", b->keys.v[i], b->values.v[i], why);
		stored += strlen(b->keys.v[i]) + strlen(b->values.v[i]) + 2; /* as the runtime */
	}
	if (b->keys.n > BOOTARGS_MAX)
		return xasprintf("%zu boot arguments; the runtime takes at most %d", b->keys.n,
				 BOOTARGS_MAX);
	/* the runtime copies each KEY and VALUE with their NULs into one buffer */
	if (stored > BOOTARGS_LEN_MAX + BOOTARGS_MAX)
		return xasprintf("the boot arguments take %zu bytes; the runtime stores at most %d",
				 stored, BOOTARGS_LEN_MAX + BOOTARGS_MAX);
	return NULL;
}

char *bootargs_format(const struct bootargs *b)
{
	size_t len = 1;
	for (size_t i = 0; i < b->keys.n; i++)
		len += strlen(b->keys.v[i]) + strlen(b->values.v[i]) + 4;
	char *s = xmalloc(len), *p = s;
	*p = 0;
	for (size_t i = 0; i < b->keys.n; i++) {
		const char *v = b->values.v[i];
		p += sprintf(p, needs_quotes(v) ? "%s%s=\"%s\"" : "%s%s=%s", i ? " " : "",
			     b->keys.v[i], v);
	}
	return s;
}

int bootarg_split(const char *kv, struct bootargs *b, const char **why)
{
	const char *eq = strchr(kv, '=');
	if (!eq || eq == kv) {
		*why = "write KEY=VALUE";
		return -1;
	}
	char *key = xasprintf("%.*s", (int)(eq - kv), kv);
	const char *v = eq + 1;
	size_t vl = strlen(v);
	char *value = vl >= 2 && v[0] == '"' && v[vl - 1] == '"'
			  ? xasprintf("%.*s", (int)(vl - 2), v + 1)
			  : xstrdup(v);
	*why = bootarg_key_problem(key);
	if (!*why)
		*why = bootarg_value_problem(value);
	if (!*why)
		*why = net_arg_problem(key, value);
	if (!*why)
		bootargs_set(b, key, value);
	free(key), free(value);
	return *why ? -1 : 0;
}
