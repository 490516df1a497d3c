/*
 * Boot arguments: the kernel command line (/chosen/bootargs: QEMU -append, cmdline.txt on a Pi)
 * split into key=value pairs. Pure code with no hardware access, so it is unit-tested on the host.
 *
 * Grammar: arguments are separated by spaces or tabs; each is KEY, KEY=VALUE or KEY="VALUE".
 * KEY is [A-Za-z0-9_.-], 1..BOOTARG_KEY_MAX chars; VALUE at most BOOTARG_VALUE_MAX chars. A bare
 * KEY is a flag with the empty value. A bad argument is passed to warn() and skipped; parsing
 * goes on with the next one. When a key repeats, the last value wins (as on Linux).
 */
#include <string.h>

#include "kernel.h"

static bool key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Finds the end of the argument starting at s: the next blank outside quotes. */
static const char *arg_end(const char *s, bool *unterminated)
{
	bool quoted = false;
	*unterminated = false;
	for (; *s; s++) {
		if (*s == '"')
			quoted = !quoted;
		else if (!quoted && blank(*s))
			break;
	}
	*unterminated = quoted;
	return s;
}

/* Stores one argument [s, e) if it is valid, else reports why not. */
static void add_arg(struct bootargs *ba, size_t *used, const char *s, const char *e,
		    bootargs_warn_fn warn)
{
	size_t len = (size_t)(e - s);
	const char *eq = memchr(s, '=', len);
	size_t klen = eq ? (size_t)(eq - s) : len;
	const char *v = eq ? eq + 1 : e;
	size_t vlen = (size_t)(e - v);

	if (klen == 0) {
		warn(s, len, "missing key before '='");
		return;
	}
	for (size_t i = 0; i < klen; i++) {
		if (!key_char(s[i])) {
			warn(s, len, "key may hold only letters, digits, '_', '.' and '-'");
			return;
		}
	}
	if (klen > BOOTARG_KEY_MAX) {
		warn(s, len, "key longer than 63 characters");
		return;
	}
	if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
		v++;
		vlen -= 2;
	}
	if (memchr(v, '"', vlen)) {
		warn(s, len, "quote in the middle of a value");
		return;
	}
	if (vlen > BOOTARG_VALUE_MAX) {
		warn(s, len, "value longer than 255 characters");
		return;
	}
	if (*used + klen + vlen + 2 > sizeof(ba->buf)) {
		warn(s, len, "boot arguments too long in total");
		return;
	}
	char *k = ba->buf + *used;
	memcpy(k, s, klen);
	k[klen] = '\0';
	char *val = k + klen + 1;
	memcpy(val, v, vlen);
	val[vlen] = '\0';

	for (size_t i = 0; i < ba->count; i++) {
		if (strcmp(ba->key[i], k) == 0) {
			ba->value[i] = val; /* last one wins */
			*used += klen + vlen + 2;
			return;
		}
	}
	if (ba->count == BOOTARGS_MAX) {
		warn(s, len, "more than 128 boot arguments");
		return;
	}
	ba->key[ba->count] = k;
	ba->value[ba->count] = val;
	ba->count++;
	*used += klen + vlen + 2;
}

void bootargs_parse(struct bootargs *ba, const char *cmdline, bootargs_warn_fn warn)
{
	size_t used = 0;
	ba->count = 0;
	if (!cmdline)
		return;
	const char *s = cmdline;
	while (*s) {
		while (blank(*s))
			s++;
		if (!*s)
			break;
		bool unterminated;
		const char *e = arg_end(s, &unterminated);
		if (unterminated)
			warn(s, (size_t)(e - s), "unterminated quote");
		else
			add_arg(ba, &used, s, e, warn);
		s = e;
	}
}

const char *bootargs_get(const struct bootargs *ba, const char *key)
{
	for (size_t i = 0; i < ba->count; i++)
		if (strcmp(ba->key[i], key) == 0)
			return ba->value[i];
	return NULL;
}

int bootargs_split(const char *s, char *buf, size_t size, char **argv, int max)
{
	int argc = 0;
	size_t n = 0;
	for (;;) {
		while (blank(*s))
			s++;
		if (!*s)
			return argc;
		if (argc == max)
			return -1;
		argv[argc++] = buf + n;
		char quote = 0; /* ' or ", while inside one */
		for (; *s && (quote || !blank(*s)); s++) {
			char c = *s;
			if (c == quote) {
				quote = 0;
				continue;
			}
			if (!quote && (c == '\'' || c == '"')) {
				quote = c;
				continue;
			}
			if (c == '\\' && quote != '\'' && s[1]) {
				c = *++s; /* escapes the next character (outside single quotes) */
			}
			if (n + 1 >= size)
				return -1;
			buf[n++] = c;
		}
		if (quote)
			return -1;
		if (n >= size)
			return -1;
		buf[n++] = '\0';
	}
}
