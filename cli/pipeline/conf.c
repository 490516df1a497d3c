/* conf.c: reads target.conf and layout.conf: Make-style "KEY = value" lines, # comments. */
#include "uk.h"

#include <stdlib.h>
#include <string.h>

static char *substitute(const char *v, const char *home, const char *cache)
{
	size_t cap = strlen(v) + 1;
	char *out = xmalloc(cap);
	size_t n = 0;
	while (*v) {
		const char *rep = NULL;
		size_t skip = 0;
		if (!strncmp(v, "${UK_HOME}", 10) || !strncmp(v, "$(UK_HOME)", 10))
			rep = home, skip = 10;
		else if (!strncmp(v, "${UK_CACHE}", 11) || !strncmp(v, "$(UK_CACHE)", 11))
			rep = cache, skip = 11;
		if (rep) {
			size_t l = strlen(rep);
			cap += l;
			out = xrealloc(out, cap);
			memcpy(out + n, rep, l);
			n += l;
			v += skip;
		} else {
			out[n++] = *v++;
		}
	}
	out[n] = 0;
	return out;
}

int conf_read(const char *path, struct conf *c, const char *home, const char *cache)
{
	char *data;
	memset(c, 0, sizeof *c);
	c->path = xstrdup(path);
	if (read_file(path, &data, NULL) < 0)
		return -1;
	char *save = NULL;
	for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		char *eq = strchr(line, '=');
		if (!eq)
			continue;
		char *k = line, *v = eq + 1;
		/* accept "K = v", "K := v", "K ?= v" */
		char *ke = eq;
		if (ke > k && (ke[-1] == ':' || ke[-1] == '?' || ke[-1] == '+'))
			ke--;
		while (ke > k && (ke[-1] == ' ' || ke[-1] == '\t'))
			ke--;
		*ke = 0;
		while (*k == ' ' || *k == '\t')
			k++;
		while (*v == ' ' || *v == '\t')
			v++;
		size_t vl = strlen(v);
		while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t' || v[vl - 1] == '\r'))
			v[--vl] = 0;
		if (!*k)
			continue;
		char *sv = substitute(v, home ? home : "", cache ? cache : "");
		sl_push(&c->keys, k);
		sl_push(&c->vals, sv);
		free(sv);
	}
	free(data);
	return 0;
}

const char *conf_get(const struct conf *c, const char *key)
{
	/* last assignment wins, as in make */
	for (size_t i = c->keys.n; i-- > 0;)
		if (!strcmp(c->keys.v[i], key))
			return c->vals.v[i];
	return NULL;
}

void conf_free(struct conf *c)
{
	sl_free(&c->keys);
	sl_free(&c->vals);
	free(c->path);
}
