/* manifest.c: loads uk.yaml with libyaml and validates it against manifests/uk.schema.json's rules.
 * Every problem is reported as file:line:col with what is allowed; nothing is written on error. */
#include "uk.h"
#include "yamlload.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

struct ctx {
	struct manifest *m;
	yaml_document_t *doc;
	int errors;
};

static const char *const top_keys[] = {"name",	     "target",	"sources", "version", "include",
				       "cflags",     "defines", "libs",	   "memory",  "bootargs",
				       "config_txt", "image",	"network", "devices", "update",
				       "cores",	     NULL};
static const char *const image_keys[] = {"size", "data", NULL};
static const char *const update_keys[] = {"slots", "slot_size", "key", NULL};
static const char *const net_keys[] = {"ip", "gateway", "dns", "ntp", "hostname", "hostfwd", NULL};

static void perr(struct ctx *c, yaml_mark_t mk, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void perr(struct ctx *c, yaml_mark_t mk, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	verror_at(c->m->path, (int)mk.line + 1, (int)mk.column + 1, fmt, ap);
	va_end(ap);
	c->errors++;
}

static void yaml_problem(void *ctx, int line, int col, const char *msg)
{
	yaml_mark_t mk = {.line = (size_t)line - 1, .column = (size_t)col - 1};
	perr(ctx, mk, "%s", msg);
}

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), prev[64], cur[64];
	if (la > 62 || lb > 62)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, cur, sizeof cur);
	}
	return prev[lb];
}

static void unknown_key(struct ctx *c, yaml_node_t *k, const char *where,
			const char *const *allowed)
{
	const char *name = (const char *)k->data.scalar.value;
	const char *best = NULL;
	size_t bd = 3;
	char list[512] = "";
	for (int i = 0; allowed[i]; i++) {
		size_t d = edit_distance(name, allowed[i]);
		if (d < bd)
			bd = d, best = allowed[i];
		strcat(list, i ? ", " : "");
		strcat(list, allowed[i]);
	}
	if (best)
		perr(c, k->start_mark, "unknown key '%s'%s (did you mean '%s'?); allowed: %s", name,
		     where, best, list);
	else
		perr(c, k->start_mark, "unknown key '%s'%s; allowed: %s", name, where, list);
}

static const char *kind(yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return "a scalar";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "nothing";
	}
}

static int is_null(yaml_node_t *n)
{
	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	const char *s = (const char *)n->data.scalar.value;
	return !*s || !strcmp(s, "~") || !strcmp(s, "null");
}

static const char *scalar(struct ctx *c, yaml_node_t *n, const char *field)
{
	if (n->type != YAML_SCALAR_NODE || is_null(n)) {
		perr(c, n->start_mark, "'%s' must be a string, not %s", field,
		     is_null(n) ? "empty" : kind(n));
		return NULL;
	}
	return (const char *)n->data.scalar.value;
}

/* A list of strings; a single string is accepted as a list of one (or split into words). */
static void strings(struct ctx *c, yaml_node_t *n, const char *field, struct strlist *out,
		    int split, int *lines, int *cols)
{
	if (n->type == YAML_SCALAR_NODE && !is_null(n)) {
		if (lines && out->n < 64)
			lines[out->n] = (int)n->start_mark.line,
			cols[out->n] = (int)n->start_mark.column;
		if (split)
			split_words((const char *)n->data.scalar.value, out);
		else
			sl_push(out, (const char *)n->data.scalar.value);
		return;
	}
	if (n->type != YAML_SEQUENCE_NODE) {
		perr(c, n->start_mark, "'%s' must be a list of strings, not %s", field,
		     is_null(n) ? "empty" : kind(n));
		return;
	}
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		yaml_node_t *e = yaml_document_get_node(c->doc, *it);
		const char *s = scalar(c, e, field);
		if (!s)
			continue;
		if (lines && out->n < 64)
			lines[out->n] = (int)e->start_mark.line,
			cols[out->n] = (int)e->start_mark.column;
		sl_push(out, s);
	}
}

int parse_size(const char *s, uint64_t *out)
{
	char *end;
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -1;
	uint64_t mul = 1;
	if (*end) {
		switch (toupper((unsigned char)*end)) {
		case 'K':
			mul = 1ull << 10;
			break;
		case 'M':
			mul = 1ull << 20;
			break;
		case 'G':
			mul = 1ull << 30;
			break;
		default:
			return -1;
		}
		end++;
		if (*end == 'i' || *end == 'I')
			end++;
		if (*end == 'B' || *end == 'b')
			end++;
		if (*end)
			return -1;
	}
	if (v > UINT64_MAX / mul)
		return -1; /* 17592186044480M is not 64M */
	*out = v * mul;
	return 0;
}

static void check_keys(struct ctx *c, yaml_node_t *map, const char *where,
		       const char *const *allowed)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
		if (k->type != YAML_SCALAR_NODE) {
			perr(c, k->start_mark, "keys must be plain strings");
			continue;
		}
		int ok = 0;
		for (int i = 0; allowed[i]; i++)
			ok |= !strcmp((const char *)k->data.scalar.value, allowed[i]);
		if (!ok)
			unknown_key(c, k, where, allowed);
	} /* a key given twice is reported by yaml_load_checked */
}

static yaml_node_t *get(struct ctx *c, yaml_node_t *map, const char *key)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
		if (k->type == YAML_SCALAR_NODE && !strcmp((const char *)k->data.scalar.value, key))
			return yaml_document_get_node(c->doc, p->value);
	}
	return NULL;
}

static int want_map(struct ctx *c, yaml_node_t *n, const char *field)
{
	if (n->type == YAML_MAPPING_NODE)
		return 1;
	perr(c, n->start_mark, "'%s' must be a mapping (key: value lines), not %s", field,
	     is_null(n) ? "empty" : kind(n));
	return 0;
}

/* One network: key: the boot argument arg it becomes, checked by the rules every path shares
 * (netconf.c), and not set by bootargs: as well. */
static void net_value(struct ctx *c, yaml_node_t *map, const char *key, const char *arg)
{
	char field[32];
	snprintf(field, sizeof field, "network.%s", key);
	yaml_node_t *n = get(c, map, key);
	const char *s = n ? scalar(c, n, field) : NULL, *why;
	if (!s)
		return;
	if (bootargs_get(&c->m->bootargs, arg))
		perr(c, n->start_mark,
		     "%s and bootargs '%s' set the same boot argument; keep one (a later "
		     "--append overrides either)",
		     field, arg);
	else if ((why = net_arg_problem(arg, s)) || (why = bootarg_value_problem(s)))
		perr(c, n->start_mark, "%s '%s': %s", field, s, why);
	else
		bootargs_set(&c->m->bootargs, arg, s);
}

static void load_network(struct ctx *c, yaml_node_t *n)
{
	struct manifest *m = c->m;
	yaml_node_t *v;
	m->has_network = 1;
	check_keys(c, n, " in 'network'", net_keys);
	/* any net.* boot argument brings the network up before main; DHCP unless told */
	if (!get(c, n, "ip") && !bootargs_get(&m->bootargs, "net.ip"))
		bootargs_set(&m->bootargs, "net.ip", "dhcp");
	net_value(c, n, "ip", "net.ip");
	net_value(c, n, "gateway", "net.gateway");
	net_value(c, n, "dns", "net.dns");
	net_value(c, n, "ntp", "net.ntp");
	net_value(c, n, "hostname", "net.hostname");
	if ((v = get(c, n, "hostfwd"))) {
		struct strlist specs = {0};
		int lines[64], cols[64];
		strings(c, v, "network.hostfwd", &specs, 0, lines, cols);
		for (size_t i = 0; i < specs.n; i++) {
			yaml_mark_t mk = v->start_mark;
			if (i < 64)
				mk.line = (size_t)lines[i], mk.column = (size_t)cols[i];
			struct hostfwd f;
			const char *why;
			if (hostfwd_parse(specs.v[i], &f, &why) < 0) {
				perr(c, mk, "hostfwd '%s': %s", specs.v[i], why);
				continue;
			}
			char clash[200];
			size_t j = 0;
			for (; j < m->n_hostfwd; j++)
				if (hostfwd_clash(&m->hostfwd[j], &f, clash, sizeof clash))
					break;
			if (j < m->n_hostfwd) {
				int udp = m->hostfwd[j].host != f.host;
				perr(c, mk, "hostfwd '%s': %s (also by '%s:%u:%u')%s%s", specs.v[i],
				     clash, m->hostfwd[j].proto, m->hostfwd[j].host,
				     m->hostfwd[j].guest, udp ? "; " : "",
				     udp ? hostfwd_udp_note : "");
				continue;
			}
			m->hostfwd = xrealloc(m->hostfwd, (m->n_hostfwd + 1) * sizeof *m->hostfwd);
			m->hostfwd[m->n_hostfwd++] = f;
		}
		sl_free(&specs);
	}
}

/* update: the A/B card layout (docs/update.md, cli/pipeline/slots.c) and the key devices trust. */
static void load_update(struct ctx *c, yaml_node_t *n, yaml_node_t *image_size)
{
	struct manifest *m = c->m;
	check_keys(c, n, " in 'update'", update_keys);
	yaml_node_t *v = get(c, n, "slots");
	const char *s = v ? scalar(c, v, "update.slots") : NULL;
	if (!v)
		perr(c, n->start_mark, "'update' needs 'slots: ab' (two boot slots, A and B)");
	else if (s && strcmp(s, "ab"))
		perr(c, v->start_mark,
		     "update.slots '%s': only 'ab' (two boot slots, A and B) is built", s);
	uint64_t size = 48ull << 20;
	if ((v = get(c, n, "slot_size")) && (s = scalar(c, v, "update.slot_size"))) {
		if (parse_size(s, &size) < 0 || size % (1 << 20))
			perr(c, v->start_mark,
			     "update.slot_size '%s' is not a whole number of MiB; write e.g. 64M",
			     s);
		else if (size < (40ull << 20) || size > (16ull << 30))
			perr(c, v->start_mark,
			     "update.slot_size '%s' is out of range: each slot is a FAT32 boot "
			     "partition, at least 40M, at most 16G",
			     s);
	}
	if (!(v = get(c, n, "key"))) {
		perr(c, n->start_mark,
		     "'update' needs 'key: FILE', the PEM public key devices check updates with; "
		     "make it from the signing key: %s",
		     UPDATE_KEY_HOWTO);
	} else if ((s = scalar(c, v, "update.key"))) {
		char *p = path_join(m->dir, s), *why = update_key_problem(p);
		if (why)
			perr(c, v->start_mark,
			     "update.key '%s': %s; make it from the signing key: %s", s, why,
			     UPDATE_KEY_HOWTO);
		else
			m->update_key = abs_path(p);
		free(p), free(why);
	}
	if (!m->version)
		perr(c, n->start_mark,
		     "'update' needs 'version:' (bundles carry it, devices report it): add e.g. "
		     "'version: 1.0.0'");
	if (image_size)
		perr(c, image_size->start_mark,
		     "image.size and update both set the card's size: remove image.size (with "
		     "slots the card is 4M, an 8M autoboot partition, two update.slot_size "
		     "slots, then image.data; on rpi3 4M, one boot partition of 16M and both "
		     "slots, then image.data)");
	if (c->errors == 0)
		m->slot_size = size;
}

/* What is wrong with an expanded source path (relative to the app), or NULL. Checked after
 * the glob: '.?' matches '..'. A name gcc would read as an option or a response file ('-x.c',
 * '@o.c') is refused too (compile.c passes ./NAME besides). */
static const char *source_name_problem(const char *p)
{
	for (const char *s = p; *s; s = strchr(s, '/') ? strchr(s, '/') + 1 : s + strlen(s)) {
		size_t l = strcspn(s, "/");
		if ((l == 1 && s[0] == '.') || (l == 2 && !strncmp(s, "..", 2)))
			return "leaves the app directory or names it twice ('.' or '..')";
		if (s[0] == '-' || s[0] == '@')
			return "starts with '-' or '@' (gcc would take it for an option): rename "
			       "it";
	}
	return NULL;
}

static void expand_sources(struct ctx *c, yaml_node_t *n)
{
	struct manifest *m = c->m;
	for (size_t i = 0; i < m->sources.n; i++) {
		const char *pat = m->sources.v[i];
		yaml_mark_t mk = n->start_mark;
		if (i < 64) {
			mk.line = (size_t)m->source_line[i];
			mk.column = (size_t)m->source_col[i];
		}
		if (pat[0] == '/' || !strncmp(pat, "../", 3) || strstr(pat, "/../")) {
			perr(c, mk, "source '%s' must be a path inside the app directory", pat);
			continue;
		}
		char *full = path_join(m->dir, pat);
		glob_t g;
		int r = glob(full, GLOB_NOSORT, NULL, &g);
		free(full);
		size_t found = 0;
		if (r == 0) {
			size_t dl = strlen(m->dir);
			for (size_t j = 0; j < g.gl_pathc; j++) {
				const char *p = g.gl_pathv[j] + dl + 1;
				const char *dot = strrchr(p, '.');
				if (!dot ||
				    (strcmp(dot, ".c") && strcmp(dot, ".S") && strcmp(dot, ".s")) ||
				    is_dir(g.gl_pathv[j]))
					continue;
				found++;
				const char *why = source_name_problem(p);
				if (why)
					perr(c, mk, "source '%s' matches %s, which %s", pat, p,
					     why);
				else if (!sl_has(&m->files, p))
					sl_push(&m->files, p);
			}
			globfree(&g);
		}
		if (!found)
			perr(c, mk,
			     "source '%s' matches no .c, .S or .s file in %s; fix the path or "
			     "glob, or remove the entry",
			     pat, m->dir);
	}
	sl_sort(&m->files);
}

/* name: and version: */
static void load_name(struct ctx *c, yaml_node_t *root)
{
	struct manifest *m = c->m;
	yaml_node_t *n;
	if (!(n = get(c, root, "name"))) {
		perr(c, root->start_mark, "missing field 'name': add a line such as 'name: hello'");
	} else {
		const char *s = scalar(c, n, "name");
		if (s && !ident_ok(s, "_-."))
			perr(c, n->start_mark,
			     "name '%s' may hold only letters, digits, '_', '-' and '.'", s);
		else if (s)
			m->name = xstrdup(s);
	}

	if ((n = get(c, root, "version"))) {
		const char *s = scalar(c, n, "version");
		if (s && (strlen(s) < 1 || strlen(s) > 31 || !ident_ok(s, "_-.+")))
			perr(c, n->start_mark,
			     "version '%s': 1 to 31 letters, digits, '.', '-', '_' or '+' (e.g. "
			     "1.4.2)",
			     s);
		else if (s)
			m->version = xstrdup(s);
	}
}

/* target: (default virt) */
static void load_targets(struct ctx *c, yaml_node_t *root)
{
	struct manifest *m = c->m;
	yaml_node_t *n;
	if ((n = get(c, root, "target"))) {
		int lines[64], cols[64];
		strings(c, n, "target", &m->targets, 0, lines, cols);
		for (size_t i = 0; i < m->targets.n; i++)
			if (!valid_target(m->targets.v[i])) {
				yaml_mark_t mk = n->start_mark;
				if (i < 64)
					mk.line = (size_t)lines[i], mk.column = (size_t)cols[i];
				perr(c, mk, "unknown target '%s'; allowed: virt, rpi3, rpi4",
				     m->targets.v[i]);
			}
		if (n->type == YAML_SEQUENCE_NODE && m->targets.n == 0)
			perr(c, n->start_mark,
			     "'target' lists no target; allowed: virt, rpi3, rpi4");
	} else {
		sl_push(&m->targets, "virt");
	}
}

/* sources:, include:, cflags: and libs:. Returns sources: (NULL when missing) */
static yaml_node_t *load_code(struct ctx *c, yaml_node_t *root)
{
	struct manifest *m = c->m;
	yaml_node_t *n;
	yaml_node_t *src = get(c, root, "sources");
	if (!src)
		perr(c, root->start_mark,
		     "missing field 'sources': add a list of C files such as 'sources: [main.c]'");
	else
		strings(c, src, "sources", &m->sources, 0, m->source_line, m->source_col);

	if ((n = get(c, root, "include"))) {
		strings(c, n, "include", &m->include, 0, NULL, NULL);
		for (size_t i = 0; i < m->include.n; i++) {
			char *p = path_join(m->dir, m->include.v[i]);
			if (!is_dir(p))
				perr(c, n->start_mark, "include directory '%s' does not exist",
				     m->include.v[i]);
			free(p);
		}
	}
	if ((n = get(c, root, "cflags")))
		strings(c, n, "cflags", &m->cflags, 1, NULL, NULL);
	if ((n = get(c, root, "libs"))) {
		strings(c, n, "libs", &m->libs, 0, NULL, NULL);
		for (size_t i = 0; i < m->libs.n; i++)
			if (!ident_ok(m->libs.v[i], "_-.+/"))
				perr(
				    c, n->start_mark,
				    "library '%s': write a name such as 'm' or a path to a .a file",
				    m->libs.v[i]);
	}
	return src;
}

/* defines: a mapping (NAME: value, or NAME: with no value) or a list */
static void load_defines(struct ctx *c, yaml_node_t *root)
{
	struct manifest *m = c->m;
	yaml_node_t *n;
	if ((n = get(c, root, "defines"))) {
		if (n->type == YAML_MAPPING_NODE) {
			for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
			     p < n->data.mapping.pairs.top; p++) {
				yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
				yaml_node_t *v = yaml_document_get_node(c->doc, p->value);
				const char *ks = scalar(c, k, "defines");
				if (!ks)
					continue;
				if (!ident_ok(ks, "_") || isdigit((unsigned char)ks[0]))
					perr(c, k->start_mark, "define '%s' is not a C identifier",
					     ks);
				if (v->type != YAML_SCALAR_NODE)
					perr(c, v->start_mark,
					     "define '%s' needs a scalar value, not %s", ks,
					     kind(v));
				else if (is_null(v))
					sl_push(&m->defines, ks);
				else
					sl_pushf(&m->defines, "%s=%s", ks, v->data.scalar.value);
			}
		} else {
			strings(c, n, "defines", &m->defines, 0, NULL, NULL);
		}
	}
}

/* memory: and cores: */
static void load_machine(struct ctx *c, yaml_node_t *root)
{
	struct manifest *m = c->m;
	yaml_node_t *n;
	if ((n = get(c, root, "memory"))) {
		const char *s = scalar(c, n, "memory");
		uint64_t b;
		if (s && (parse_size(s, &b) < 0 || b == 0))
			perr(c, n->start_mark, "memory '%s' is not a size; write e.g. 256M or 1G",
			     s);
		else if (s) {
			int bare = isdigit((unsigned char)s[strlen(s) - 1]);
			if (bare && b > (64ull << 10))
				b = UINT64_MAX; /* a bare number means MiB, as QEMU's -m */
			else if (bare)
				b <<= 20;
			if (b > (64ull << 30))
				perr(c, n->start_mark, "memory '%s' is too large; use at most 64G",
				     s);
			else if (b < (16ull << 20))
				perr(c, n->start_mark, "memory '%s' is too small; use at least 16M",
				     s);
			m->memory = xasprintf("%lluM", (unsigned long long)(b >> 20));
		}
	}

	/* cores: how many QEMU virt gets (-smp); uk/core.h uses at most 4, and the Pi has 4 */
	if ((n = get(c, root, "cores"))) {
		const char *s = scalar(c, n, "cores");
		if (s && (strlen(s) != 1 || s[0] < '1' || s[0] > '4'))
			perr(c, n->start_mark,
			     "cores '%s': write a number from 1 to 4 (QEMU virt gets that many; "
			     "a Pi always has 4)",
			     s);
		else if (s)
			m->cores = s[0] - '0';
	}
}

/* bootargs: key: value, checked by the rules every path shares */
static void load_bootargs(struct ctx *c, yaml_node_t *root)
{
	struct manifest *m = c->m;
	yaml_node_t *n;
	if ((n = get(c, root, "bootargs")) && want_map(c, n, "bootargs")) {
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
		     p < n->data.mapping.pairs.top; p++) {
			yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
			yaml_node_t *v = yaml_document_get_node(c->doc, p->value);
			const char *ks = scalar(c, k, "bootargs"), *why;
			if (!ks)
				continue;
			if (v->type != YAML_SCALAR_NODE) {
				perr(c, v->start_mark,
				     "boot argument '%s' needs a scalar value, not %s", ks,
				     kind(v));
				continue;
			}
			const char *vs = (const char *)v->data.scalar.value;
			if ((why = bootarg_key_problem(ks)))
				perr(c, k->start_mark, "boot argument '%s': %s", ks, why);
			else if (!strcmp(ks, "uk.qemu"))
				perr(c, k->start_mark, "'uk.qemu' is set by 'uk run'; remove it");
			else if ((why = bootarg_value_problem(vs)) ||
				 (why = net_arg_problem(ks, vs)))
				perr(c, v->start_mark, "boot argument %s '%s': %s", ks, vs, why);
			else
				bootargs_set(&m->bootargs, ks, vs);
		}
	}
}

/* config_txt: the Pi firmware's config.txt lines */
static void load_config_txt(struct ctx *c, yaml_node_t *root)
{
	struct manifest *m = c->m;
	yaml_node_t *n;
	if ((n = get(c, root, "config_txt"))) {
		strings(c, n, "config_txt", &m->config_txt, 0, NULL, NULL);
		for (size_t i = 0; i < m->config_txt.n; i++)
			if (strpbrk(m->config_txt.v[i], "\r\n\t\v\f"))
				perr(
				    c, n->start_mark,
				    "config_txt entries are one line each; split '%s' into entries",
				    m->config_txt.v[i]);
			else if (!strchr(m->config_txt.v[i], '=') && m->config_txt.v[i][0] != '[')
				perr(c, n->start_mark,
				     "config_txt line '%s' must look like 'key=value' or "
				     "'[section]'",
				     m->config_txt.v[i]);
	}
}

/* image: data: and size:. Returns image.size's node, which update: checks against */
static yaml_node_t *load_image(struct ctx *c, yaml_node_t *root)
{
	struct manifest *m = c->m;
	yaml_node_t *n;
	yaml_node_t *image_size = NULL;
	if ((n = get(c, root, "image")) && want_map(c, n, "image")) {
		check_keys(c, n, " in 'image'", image_keys);
		yaml_node_t *dn = get(c, n, "data");
		const char *dv = dn ? scalar(c, dn, "image.data") : NULL;
		uint64_t db;
		if (dv && (parse_size(dv, &db) < 0 || db < (1ull << 20) || db > (32ull << 30) ||
			   db % (1 << 20)))
			perr(c, dn->start_mark,
			     "image data '%s': the /data partition is a whole number of MiB, from "
			     "1M "
			     "to 32G, e.g. 64M",
			     dv);
		else if (dv)
			m->data_size = db;
		yaml_node_t *s = image_size = get(c, n, "size");
		const char *v = s ? scalar(c, s, "image.size") : NULL;
		if (v) {
			uint64_t b;
			if (parse_size(v, &b) < 0)
				perr(c, s->start_mark,
				     "image size '%s' is not a size; write e.g. 64M", v);
			else if (b < (40ull << 20) || b > (32ull << 30))
				perr(c, s->start_mark,
				     "image size '%s' is out of range: FAT32 needs at least 40M "
				     "(4M before the partition), at most 32G",
				     v);
			else if (b % (1 << 20))
				perr(c, s->start_mark,
				     "image size '%s' must be a whole number of MiB", v);
			else
				m->image_size = b;
		}
	}
	return image_size;
}

static void load(struct ctx *c, yaml_node_t *root)
{
	struct manifest *m = c->m;
	yaml_node_t *n;
	if (root->type != YAML_MAPPING_NODE) {
		perr(c, root->start_mark,
		     "uk.yaml must be a mapping of keys such as 'name:', 'target:' and 'sources:'");
		return;
	}
	check_keys(c, root, "", top_keys);

	load_name(c, root);
	load_targets(c, root);
	yaml_node_t *src = load_code(c, root);
	load_defines(c, root);
	load_machine(c, root);
	load_bootargs(c, root);
	load_config_txt(c, root);
	yaml_node_t *image_size = load_image(c, root);

	if ((n = get(c, root, "update")) && want_map(c, n, "update"))
		load_update(c, n, image_size);

	if ((n = get(c, root, "network")) && want_map(c, n, "network"))
		load_network(c, n);
	char *too_many = bootargs_problem(&m->bootargs);
	if (too_many) {
		perr(c, root->start_mark, "%s", too_many);
		free(too_many);
	}

	/* the fleet inventory, for uk build --fleet uk.yaml: inventory.c checks each entry */
	if ((n = get(c, root, "devices")) && n->type != YAML_SEQUENCE_NODE)
		perr(c, n->start_mark,
		     "'devices' must be a list of devices such as '- name: sensor-1'");

	if (src && c->errors == 0)
		expand_sources(c, src);
}

int manifest_load(const char *dir, struct manifest *m)
{
	memset(m, 0, sizeof *m);
	m->dir = abs_path(dir);
	char *full = path_join(m->dir, "uk.yaml");
	m->path = !strcmp(dir, ".") ? xstrdup("uk.yaml") : path_join(dir, "uk.yaml");
	char *data;
	size_t len;
	if (read_file(full, &data, &len) < 0) {
		error("no uk.yaml in %s", m->dir);
		hint("create an app with 'uk new NAME', or pass the app directory: 'uk build DIR'");
		json_error(EXIT_USAGE, "no uk.yaml");
		free(full);
		return EXIT_USAGE;
	}
	free(full);

	struct ctx c = {.m = m};
	yaml_document_t doc;
	if (yaml_load_checked(data, len, &doc, yaml_problem, &c) < 0) {
		free(data);
		json_error(EXIT_USAGE, "malformed uk.yaml");
		return EXIT_USAGE;
	}
	c.doc = &doc;
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (!root) {
		yaml_mark_t mk = {0, 0, 0};
		perr(&c, mk, "uk.yaml is empty; it needs at least 'name:' and 'sources:'");
	} else {
		load(&c, root);
	}
	yaml_document_delete(&doc);
	free(data);
	if (c.errors) {
		hint("manifests/README.md documents every field of uk.yaml");
		json_error(EXIT_USAGE, "invalid uk.yaml");
		return EXIT_USAGE;
	}
	return 0;
}
