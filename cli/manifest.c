/* manifest.c: loads uk.yaml with libyaml and validates it against manifests/uk.schema.json's rules.
#define _GNU_SOURCE
 * Every problem is reported as file:line:col with what is allowed; nothing is written on error. */
#include "uk.h"
#include "yamlload.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <glob.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

struct ctx {
	struct manifest *m;
	yaml_document_t *doc;
	int errors;
};

static const char *const top_keys[] = {"name",	  "target",  "sources", "include",  "cflags",
				       "defines", "libs",    "memory",	"bootargs", "config_txt",
				       "image",	  "network", "devices", NULL};
static const char *const image_keys[] = {"size", NULL};
static const char *const net_keys[] = {"ip", "gateway", "dns", "hostname", "hostfwd", NULL};

static void perr(struct ctx *c, yaml_mark_t mk, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void perr(struct ctx *c, yaml_mark_t mk, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s%s:%zu:%zu:%s %serror:%s ", col("\033[1m"), c->m->path, mk.line + 1,
		mk.column + 1, col("\033[0m"), col("\033[1;31m"), col("\033[0m"));
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
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
	unsigned long long v = strtoull(s, &end, 10);
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
	*out = v * mul;
	return 0;
}

static int ident_ok(const char *s, const char *extra)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(extra, *s))
			return 0;
	return 1;
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

/* Quotes a boot argument value when it holds spaces, as the runtime's parser expects. */
static void push_kv(struct strlist *l, const char *k, const char *v)
{
	if (strpbrk(v, " \t"))
		sl_pushf(l, "%s=\"%s\"", k, v);
	else
		sl_pushf(l, "%s=%s", k, v);
}

char *format_bootargs(const struct strlist *kvs)
{
	size_t len = 1;
	for (size_t i = 0; i < kvs->n; i++)
		len += strlen(kvs->v[i]) + 1;
	char *s = xmalloc(len);
	s[0] = 0;
	for (size_t i = 0; i < kvs->n; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, kvs->v[i]);
	}
	return s;
}

int bootargs_has(const struct strlist *kvs, const char *key)
{
	size_t n = strlen(key);
	for (size_t i = 0; i < kvs->n; i++)
		if (!strncmp(kvs->v[i], key, n) && kvs->v[i][n] == '=')
			return 1;
	return 0;
}

/* A decimal port, up to 9 digits so that 70000 is reported as out of range, not malformed. */
static int port_num(const char *s, size_t n, unsigned *out)
{
	unsigned v = 0;
	if (n == 0 || n > 9)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*out = v;
	return 0;
}

int hostfwd_parse(const char *spec, char proto[4], unsigned *host, unsigned *guest,
		  const char **why)
{
	const char *s = spec, *c1 = strchr(spec, ':');
	memcpy(proto, "tcp", 4);
	if (c1 && strchr(c1 + 1, ':')) { /* PROTO:HOST:GUEST */
		if (c1 - s != 3 || (strncmp(s, "tcp", 3) && strncmp(s, "udp", 3))) {
			*why = "the protocol must be tcp or udp";
			return -1;
		}
		memcpy(proto, s, 3);
		s = c1 + 1;
		c1 = strchr(s, ':');
	}
	if (!c1 || port_num(s, (size_t)(c1 - s), host) || port_num(c1 + 1, strlen(c1 + 1), guest)) {
		*why = "write [tcp:|udp:]HOSTPORT:GUESTPORT, e.g. 8080:80 or udp:5000:7";
		return -1;
	}
	if (!*host || *host > 65535 || !*guest || *guest > 65535) {
		*why = "ports are 1 to 65535";
		return -1;
	}
	return 0;
}

static int ipv4_ok(const char *s)
{
	struct in_addr a;
	return inet_pton(AF_INET, s, &a) == 1;
}

/* A.B.C.D/PREFIX, as the runtime's net.ip wants it. */
static int cidr_ok(const char *s)
{
	const char *slash = strchr(s, '/');
	char buf[INET_ADDRSTRLEN];
	unsigned prefix;
	if (!slash || (size_t)(slash - s) >= sizeof buf ||
	    port_num(slash + 1, strlen(slash + 1), &prefix) || prefix > 32)
		return 0;
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = 0;
	return ipv4_ok(buf);
}

/* One DNS label (RFC 1123): 1-63 letters, digits and '-', not starting or ending with '-'. */
static int label_ok(const char *s)
{
	size_t n = strlen(s);
	return n >= 1 && n <= 63 && ident_ok(s, "-") && s[0] != '-' && s[n - 1] != '-';
}

/* One network: key: its value (NULL if absent or not a string), and a check that bootargs does
 * not set the same boot argument too. */
static const char *net_value(struct ctx *c, yaml_node_t *map, const char *key, const char *arg,
			     yaml_node_t **node)
{
	char field[32];
	snprintf(field, sizeof field, "network.%s", key);
	*node = get(c, map, key);
	if (!*node)
		return NULL;
	const char *s = scalar(c, *node, field);
	if (s && bootargs_has(&c->m->bootargs, arg))
		perr(c, (*node)->start_mark,
		     "%s and bootargs '%s' set the same boot argument; keep one (a later "
		     "--append overrides either)",
		     field, arg);
	return s;
}

static void load_network(struct ctx *c, yaml_node_t *n)
{
	struct manifest *m = c->m;
	yaml_node_t *v;
	const char *s;
	m->has_network = 1;
	check_keys(c, n, " in 'network'", net_keys);
	if ((s = net_value(c, n, "ip", "net.ip", &v))) {
		if (strcmp(s, "dhcp") && !cidr_ok(s))
			perr(c, v->start_mark,
			     "network.ip '%s': write 'dhcp' or an IPv4 address with its prefix "
			     "length, e.g. 192.168.1.20/24",
			     s);
		m->net_ip = xstrdup(s);
	}
	if ((s = net_value(c, n, "gateway", "net.gateway", &v))) {
		if (!ipv4_ok(s))
			perr(c, v->start_mark,
			     "network.gateway '%s' is not an IPv4 address such as 192.168.1.1", s);
		m->net_gateway = xstrdup(s);
	}
	if ((s = net_value(c, n, "dns", "net.dns", &v))) {
		struct in6_addr a6;
		if (!ipv4_ok(s) && inet_pton(AF_INET6, s, &a6) != 1)
			perr(c, v->start_mark,
			     "network.dns '%s' is not an IP address such as 192.168.1.1", s);
		m->net_dns = xstrdup(s);
	}
	if ((s = net_value(c, n, "hostname", "net.hostname", &v))) {
		if (!label_ok(s))
			perr(c, v->start_mark,
			     "network.hostname '%s' is not a DNS label: 1 to 63 letters, digits "
			     "and '-', not starting or ending with '-' (it is answered as "
			     "NAME.local)",
			     s);
		m->net_hostname = xstrdup(s);
	}
	if ((v = get(c, n, "hostfwd"))) {
		struct strlist specs = {0};
		int lines[64], cols[64];
		strings(c, v, "network.hostfwd", &specs, 0, lines, cols);
		for (size_t i = 0; i < specs.n; i++) {
			yaml_mark_t mk = v->start_mark;
			if (i < 64)
				mk.line = (size_t)lines[i], mk.column = (size_t)cols[i];
			char proto[4];
			unsigned hp, gp;
			const char *why;
			if (hostfwd_parse(specs.v[i], proto, &hp, &gp, &why) < 0) {
				perr(c, mk, "hostfwd '%s': %s", specs.v[i], why);
				continue;
			}
			char *norm = xasprintf("%s:%u:%u", proto, hp, gp), *pre = NULL;
			int udp_twice = 0;
			for (size_t j = 0; j < m->net_hostfwd.n && !pre; j++) {
				char p2[4];
				unsigned h2, g2;
				hostfwd_parse(m->net_hostfwd.v[j], p2, &h2, &g2, &why);
				if (!strcmp(p2, proto) && h2 == hp)
					pre = m->net_hostfwd.v[j];
			}
			for (size_t j = 0; j < m->net_hostfwd.n && !pre; j++) {
				char p2[4];
				unsigned h2, g2;
				hostfwd_parse(m->net_hostfwd.v[j], p2, &h2, &g2, &why);
				if (!strcmp(p2, "udp") && !strcmp(proto, "udp") && g2 == gp)
					pre = m->net_hostfwd.v[j], udp_twice = 1;
			}
			if (pre && udp_twice)
				perr(
				    c, mk,
				    "hostfwd '%s': guest port udp %u is already forwarded by '%s'; "
				    "QEMU's user networking sends every UDP reply from one guest "
				    "port "
				    "through its first forward",
				    specs.v[i], gp, pre);
			else if (pre)
				perr(c, mk,
				     "hostfwd '%s': host port %s %u is already forwarded by '%s'",
				     specs.v[i], proto, hp, pre);
			else
				sl_push(&m->net_hostfwd, norm);
			free(norm);
		}
		sl_free(&specs);
	}
	/* the boot arguments the runtime reads: any net.* brings the network up before main */
	if (m->net_ip)
		sl_pushf(&m->bootargs, "net.ip=%s", m->net_ip);
	else if (!bootargs_has(&m->bootargs, "net.ip"))
		sl_push(&m->bootargs, "net.ip=dhcp");
	if (m->net_gateway)
		sl_pushf(&m->bootargs, "net.gateway=%s", m->net_gateway);
	if (m->net_dns)
		sl_pushf(&m->bootargs, "net.dns=%s", m->net_dns);
	if (m->net_hostname)
		sl_pushf(&m->bootargs, "net.hostname=%s", m->net_hostname);
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
			return "starts with '-' or '@' (gcc would take it for an option): rename it";
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
					perr(c, mk, "source '%s' matches %s, which %s", pat, p, why);
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

	if ((n = get(c, root, "memory"))) {
		const char *s = scalar(c, n, "memory");
		uint64_t b;
		if (s && (parse_size(s, &b) < 0 || b == 0))
			perr(c, n->start_mark, "memory '%s' is not a size; write e.g. 256M or 1G",
			     s);
		else if (s) {
			if (isdigit((unsigned char)s[strlen(s) - 1]))
				b <<= 20; /* a bare number means MiB, as QEMU's -m */
			if (b < (16ull << 20))
				perr(c, n->start_mark, "memory '%s' is too small; use at least 16M",
				     s);
			m->memory = xasprintf("%lluM", (unsigned long long)(b >> 20));
		}
	}

	if ((n = get(c, root, "bootargs")) && want_map(c, n, "bootargs")) {
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
		     p < n->data.mapping.pairs.top; p++) {
			yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
			yaml_node_t *v = yaml_document_get_node(c->doc, p->value);
			const char *ks = scalar(c, k, "bootargs");
			if (!ks)
				continue;
			if (!ident_ok(ks, "_-."))
				perr(c, k->start_mark,
				     "boot argument '%s' may hold only letters, digits, '_', '-', "
				     "'.'",
				     ks);
			if (!strcmp(ks, "uk.qemu"))
				perr(c, k->start_mark, "'uk.qemu' is set by 'uk run'; remove it");
			if (v->type != YAML_SCALAR_NODE) {
				perr(c, v->start_mark,
				     "boot argument '%s' needs a scalar value, not %s", ks,
				     kind(v));
				continue;
			}
			if (strchr((const char *)v->data.scalar.value, '"'))
				perr(c, v->start_mark, "boot argument values may not contain '\"'");
			push_kv(&m->bootargs, ks, (const char *)v->data.scalar.value);
		}
	}

	if ((n = get(c, root, "config_txt"))) {
		strings(c, n, "config_txt", &m->config_txt, 0, NULL, NULL);
		for (size_t i = 0; i < m->config_txt.n; i++)
			if (!strchr(m->config_txt.v[i], '=') && m->config_txt.v[i][0] != '[')
				perr(c, n->start_mark,
				     "config_txt line '%s' must look like 'key=value' or "
				     "'[section]'",
				     m->config_txt.v[i]);
	}

	if ((n = get(c, root, "image")) && want_map(c, n, "image")) {
		check_keys(c, n, " in 'image'", image_keys);
		yaml_node_t *s = get(c, n, "size");
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

	if ((n = get(c, root, "network")) && want_map(c, n, "network"))
		load_network(c, n);

	/* the fleet inventory, for uk build --fleet uk.yaml: fleet.c checks each entry */
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
