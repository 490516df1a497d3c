/* inventory.c: a fleet inventory (uk build --fleet INVENTORY, docs/fleet.md): YAML (a
 * `devices:` list, in uk.yaml or its own file, or a bare list) or CSV (a header line:
 * name,hostname,ip,gateway,dns,files, and any other column is a boot argument). Each device's
 * boot arguments are checked by the rules uk.yaml's follow (bootargs.c, netconf.c), its files
 * by FAT's name rules (fatname.c); every mistake is reported as FILE:LINE:COL before anything
 * is built. */
#define _GNU_SOURCE
#include "fleet.h"
#include "yamlload.h"

#include <csv.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

/* A device file is a key, a certificate or a small configuration: larger files are a mistake. */
#define FLEET_FILE_MAX (16u << 20)

static void inv_err(struct inventory *inv, int line, int colm, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void inv_err(struct inventory *inv, int line, int colm, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	verror_at(inv->path, line, colm, fmt, ap);
	va_end(ap);
	inv->errors++;
}

static struct device *new_device(struct inventory *inv, int line)
{
	inv->d = xrealloc(inv->d, (inv->n + 1) * sizeof *inv->d);
	struct device *d = &inv->d[inv->n++];
	memset(d, 0, sizeof *d);
	d->line = line;
	return d;
}

/* One value: key (hostname, ip, gateway, dns, or a boot argument) = v, checked by the rules
 * uk.yaml's values follow (bootargs.c, netconf.c). */
static void device_value(struct inventory *inv, struct device *d, const char *key, const char *v,
			 int line, int colm)
{
	static const char *const net[] = {"hostname", "ip", "gateway", "dns", NULL};
	char *arg = NULL;
	for (int i = 0; net[i] && !arg; i++)
		if (!strcmp(key, net[i]))
			arg = xasprintf("net.%s", key);
	if (!arg)
		arg = xstrdup(key);
	const char *why;
	if ((why = bootarg_key_problem(arg)))
		inv_err(inv, line, colm, "boot argument '%s': %s", key, why);
	else if (!strcmp(arg, "uk.qemu"))
		inv_err(inv, line, colm, "'uk.qemu' is set by 'uk run'; remove it");
	else if ((why = bootarg_value_problem(v)) || (why = net_arg_problem(arg, v)))
		inv_err(inv, line, colm, "%s '%s': %s", key, v, why);
	else
		bootargs_set(&d->args, arg, v);
	free(arg);
}

/* Is path (normalised) below dir? */
static int path_inside(const char *path, const char *dir)
{
	char *a = abs_path(path);
	size_t l = strlen(dir);
	int in = !strncmp(a, dir, l) && (a[l] == '/' || !strcmp(dir, "/"));
	free(a);
	return in;
}

static void device_file(struct inventory *inv, struct device *d, const char *dest, const char *src,
			int line, int colm)
{
	const char *why;
	if (!fat_name_ok(dest, &why)) {
		inv_err(inv, line, colm, "file name '%s' on the boot partition %s", dest, why);
		return;
	}
	char *p = path_join(inv->dir, src);
	struct stat st;
	/* lstat-free on purpose: a link to a key is fine; what it names must be a file */
	if (stat(p, &st) < 0)
		inv_err(inv, line, colm, "file '%s' does not exist (%s)", src, p);
	else if (!S_ISREG(st.st_mode))
		inv_err(inv, line, colm,
			"file '%s' (%s) is not a regular file; a card gets copies of files only",
			src, p);
	else if ((uint64_t)st.st_size > FLEET_FILE_MAX)
		inv_err(inv, line, colm,
			"file '%s' has %lld bytes; device files may have at most %d MiB", src,
			(long long)st.st_size, FLEET_FILE_MAX >> 20);
	else if (!path_inside(p, inv->dir))
		warning("%s:%d:%d: file '%s' is outside the inventory's folder %s: check that it "
			"belongs on a card",
			inv->path, line, colm, src, inv->dir);
	sl_push(&d->dest, dest);
	sl_push(&d->src, p);
	free(p);
}

/* ---- YAML ---- */
static const char *yscalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* Hands each "key: value" string pair of a YAML mapping to take(); anything else is reported
 * with what (bootargs and files are both such mappings). */
static void string_pairs(struct inventory *inv, yaml_document_t *doc, yaml_node_t *map,
			 struct device *d, const char *what,
			 void (*take)(struct inventory *, struct device *, const char *,
				      const char *, int, int))
{
	for (yaml_node_pair_t *b = map->data.mapping.pairs.start; b < map->data.mapping.pairs.top;
	     b++) {
		yaml_node_t *bv = yaml_document_get_node(doc, b->value);
		const char *bk = yscalar(yaml_document_get_node(doc, b->key)), *bs = yscalar(bv);
		int bl = (int)bv->start_mark.line + 1, bc = (int)bv->start_mark.column + 1;
		if (!bk || !bs)
			inv_err(inv, bl, bc, "%s", what);
		else
			take(inv, d, bk, bs, bl, bc);
	}
}

static void yaml_problem(void *ctx, int line, int col, const char *msg)
{
	inv_err(ctx, line, col, "%s", msg);
}

static int parse_yaml(struct inventory *inv, const char *text, size_t len)
{
	yaml_document_t doc;
	if (yaml_load_checked(text, len, &doc, yaml_problem, inv) < 0)
		return -1;
	yaml_node_t *root = yaml_document_get_root_node(&doc), *list = root;
	if (root && root->type == YAML_MAPPING_NODE) {
		list = NULL;
		for (yaml_node_pair_t *q = root->data.mapping.pairs.start;
		     q < root->data.mapping.pairs.top; q++) {
			const char *k = yscalar(yaml_document_get_node(&doc, q->key));
			if (k && !strcmp(k, "devices"))
				list = yaml_document_get_node(&doc, q->value);
		}
	}
	if (!list || list->type != YAML_SEQUENCE_NODE) {
		inv_err(inv, 1, 1,
			"no device list: write 'devices:' followed by '- name: ...' items");
		goto out;
	}
	for (yaml_node_item_t *it = list->data.sequence.items.start;
	     it < list->data.sequence.items.top; it++) {
		yaml_node_t *dn = yaml_document_get_node(&doc, *it);
		int dl = (int)dn->start_mark.line + 1, dc = (int)dn->start_mark.column + 1;
		if (dn->type != YAML_MAPPING_NODE) {
			inv_err(inv, dl, dc, "a device is a mapping such as '- name: sensor-1'");
			continue;
		}
		struct device *d = new_device(inv, dl);
		for (yaml_node_pair_t *q = dn->data.mapping.pairs.start;
		     q < dn->data.mapping.pairs.top; q++) {
			yaml_node_t *kn = yaml_document_get_node(&doc, q->key);
			yaml_node_t *vn = yaml_document_get_node(&doc, q->value);
			const char *k = yscalar(kn), *v = yscalar(vn);
			int l = (int)vn->start_mark.line + 1, c = (int)vn->start_mark.column + 1;
			if (!k) {
				inv_err(inv, l, c, "keys must be plain strings");
				continue;
			}
			if (!strcmp(k, "name")) {
				if (!v || !ident_ok(v, "_-.") || v[0] == '.')
					inv_err(inv, l, c,
						"device name must hold only letters, digits, '_', "
						"'-', '.'");
				else /* a second name: yamlload.c reported the repeated key */
					free(d->name), d->name = xstrdup(v);
			} else if (!strcmp(k, "hostname") || !strcmp(k, "ip") ||
				   !strcmp(k, "gateway") || !strcmp(k, "dns")) {
				if (!v)
					inv_err(inv, l, c, "'%s' must be a string", k);
				else
					device_value(inv, d, k, v, l, c);
			} else if (!strcmp(k, "bootargs")) {
				if (vn->type != YAML_MAPPING_NODE) {
					inv_err(inv, l, c,
						"'bootargs' must be a mapping key: value");
					continue;
				}
				string_pairs(inv, &doc, vn, d,
					     "boot arguments are 'key: value' strings",
					     device_value);
			} else if (!strcmp(k, "files")) {
				if (vn->type == YAML_MAPPING_NODE) {
					string_pairs(inv, &doc, vn, d,
						     "files are 'name-on-card: path'", device_file);
				} else if (vn->type == YAML_SEQUENCE_NODE) {
					for (yaml_node_item_t *f = vn->data.sequence.items.start;
					     f < vn->data.sequence.items.top; f++) {
						yaml_node_t *fn = yaml_document_get_node(&doc, *f);
						const char *fs = yscalar(fn);
						int fl = (int)fn->start_mark.line + 1,
						    fc = (int)fn->start_mark.column + 1;
						if (!fs)
							inv_err(inv, fl, fc, "a file is a path");
						else
							device_file(inv, d, sbase(fs), fs, fl, fc);
					}
				} else {
					inv_err(inv, l, c,
						"'files' is a list of paths or a mapping "
						"name-on-card: path");
				}
			} else {
				inv_err(inv, (int)kn->start_mark.line + 1,
					(int)kn->start_mark.column + 1,
					"unknown device key '%s'; allowed: name, hostname, ip, "
					"gateway, dns, bootargs, files",
					k);
			}
		}
	}
out:
	yaml_document_delete(&doc);
	return 0;
}

/* ---- CSV (RFC 4180, read with libcsv in strict mode) ---- */
struct csv_read {
	struct inventory *inv;
	struct strlist hdr, rec;
	int line;     /* of the byte being read */
	int rec_line; /* where the record being read starts */
	int at_start; /* the next byte that is not a line break starts a record */
	int broken;   /* a field of this record holds a line break */
};

static void csv_field(void *data, size_t len, void *ctx)
{
	struct csv_read *r = ctx;
	char *f = xasprintf("%.*s", (int)len, data ? (const char *)data : "");
	if (strpbrk(f, "\r\n"))
		r->broken = 1;
	sl_push(&r->rec, f);
	free(f);
}

static void csv_device(struct csv_read *r)
{
	struct inventory *inv = r->inv;
	int line = r->rec_line;
	struct strlist *f = &r->rec, *hdr = &r->hdr;
	if (!f->n || f->v[0][0] == '#')
		return; /* a comment line */
	if (r->broken) {
		inv_err(inv, line, 1,
			"a quoted value holds a line break; boot arguments and file names are one "
			"line");
		return;
	}
	if (!hdr->n) {
		for (size_t i = 0; i < f->n; i++) {
			/* a second column of one name would silently win over the first */
			if (sl_has(hdr, f->v[i]))
				inv_err(inv, line, (int)i + 1,
					"the header names the column '%s' twice", f->v[i]);
			sl_push(hdr, f->v[i]);
		}
		if (!sl_has(hdr, "name"))
			inv_err(inv, line, 1, "the header line needs a 'name' column");
		return;
	}
	struct device *d = new_device(inv, line);
	for (size_t i = 0; i < f->n && i < hdr->n; i++) {
		const char *k = hdr->v[i], *v = f->v[i];
		int c = (int)i + 1;
		if (!*v)
			continue;
		if (!strcmp(k, "name")) {
			if (!ident_ok(v, "_-.") || v[0] == '.')
				inv_err(
				    inv, line, c,
				    "device name '%s' must hold only letters, digits, '_', '-', "
				    "'.'",
				    v);
			else
				free(d->name), d->name = xstrdup(v);
		} else if (!strcmp(k, "files")) {
			struct strlist w = {0};
			split_words(v, &w);
			for (size_t x = 0; x < w.n; x++) {
				char *eq = strchr(w.v[x], '=');
				if (eq) {
					*eq = 0;
					device_file(inv, d, w.v[x], eq + 1, line, c);
				} else {
					device_file(inv, d, sbase(w.v[x]), w.v[x], line, c);
				}
			}
			sl_free(&w);
		} else {
			device_value(inv, d, k, v, line, c);
		}
	}
	if (f->n > hdr->n)
		inv_err(inv, line, (int)hdr->n + 1, "more fields than the header has columns");
}

static void csv_record(int term, void *ctx)
{
	struct csv_read *r = ctx;
	(void)term;
	csv_device(r);
	sl_free(&r->rec);
	r->broken = 0;
	r->at_start = 1;
}

static void csv_problem(void *ctx, int line, int col, const char *msg)
{
	inv_err(ctx, line, col, "%s", msg);
}

static int parse_csv(struct inventory *inv, const char *text, size_t len)
{
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3)) /* a UTF-8 byte-order mark */
		text += 3, len -= 3;
	if (input_check_bytes(text, len, csv_problem, inv) < 0)
		return -1;
	struct csv_read r = {.inv = inv, .line = 1, .rec_line = 1, .at_start = 1};
	struct csv_parser p;
	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0)
		return -1;
	int rc = 0;
	/* a byte at a time: each record's first line is known exactly */
	for (size_t i = 0; i < len && !rc; i++) {
		char ch = text[i];
		if (r.at_start && ch != '\n' && ch != '\r') {
			r.rec_line = r.line;
			r.at_start = 0;
		}
		if (csv_parse(&p, text + i, 1, csv_field, csv_record, &r) != 1) {
			inv_err(inv, r.line, 1,
				"malformed CSV: %s (a quote inside an unquoted value?)",
				csv_strerror(csv_error(&p)));
			rc = -1;
		}
		if (ch == '\n')
			r.line++;
	}
	if (!rc && csv_fini(&p, csv_field, csv_record, &r) != 0) {
		inv_err(inv, r.rec_line, 1, "malformed CSV: a quoted value that never ends");
		rc = -1;
	}
	csv_free(&p);
	sl_free(&r.rec), sl_free(&r.hdr);
	return rc;
}

static int inventory_load(const char *path, struct inventory *inv, const struct bootargs *base)
{
	memset(inv, 0, sizeof *inv);
	inv->path = path;
	char *abs = abs_path(path);
	inv->dir = xstrdup(abs);
	*strrchr(inv->dir, '/') = 0;
	if (!*inv->dir)
		strcpy(inv->dir, "/");
	free(abs);
	char *text;
	size_t len;
	if (read_file(path, &text, &len) < 0) {
		error("cannot read the inventory %s: %s", path, strerror(errno));
		return EXIT_USAGE;
	}
	size_t pl = strlen(path);
	if (pl > 4 && !strcasecmp(path + pl - 4, ".csv"))
		parse_csv(inv, text, len);
	else
		parse_yaml(inv, text, len);
	free(text);
	for (size_t i = 0; i < inv->n; i++) {
		struct device *d = &inv->d[i];
		if (!d->name) {
			inv_err(inv, d->line, 1, "a device without a 'name'");
			continue;
		}
		for (size_t k = 0; k < i; k++)
			if (inv->d[k].name && !strcmp(inv->d[k].name, d->name))
				inv_err(inv, d->line, 1, "device '%s' appears twice (line %d)",
					d->name, inv->d[k].line);
		if (!bootargs_get(&d->args, "net.hostname")) {
			/* the hostname defaults to the device's name, first */
			const char *why = net_arg_problem("net.hostname", d->name);
			if (why) {
				inv_err(inv, d->line, 1,
					"device '%s' needs a 'hostname': its name is %s", d->name,
					why);
			} else {
				struct bootargs a = {0};
				bootargs_set(&a, "net.hostname", d->name);
				bootargs_merge(&a, &d->args);
				bootargs_free(&d->args);
				d->args = a;
			}
		}
		/* what the card will hold: the build's arguments, then the device's */
		struct bootargs all = {0};
		bootargs_merge(&all, base);
		bootargs_merge(&all, &d->args);
		char *over = bootargs_problem(&all);
		if (over)
			inv_err(inv, d->line, 1, "device '%s': %s", d->name, over);
		free(over);
		bootargs_free(&all);
		for (size_t a = 0; a < d->dest.n; a++)
			for (size_t b = 0; b < a; b++)
				if (fat_names_clash(d->dest.v[a], d->dest.v[b]))
					inv_err(
					    inv, d->line, 1,
					    "device '%s' has two files, %s and %s, that are one "
					    "file on FAT",
					    d->name, d->dest.v[b], d->dest.v[a]);
	}
	if (!inv->n && !inv->errors)
		inv_err(inv, 1, 1, "the inventory lists no device");
	if (inv->errors) {
		hint("docs/fleet.md describes the inventory");
		return EXIT_USAGE;
	}
	return 0;
}

/* ---- secrets shared by several devices ---- */
static int secret_key(const char *k)
{
	const char *w[] = {"key", "secret", "token", "pass", "psk", "cred", NULL};
	char low[128];
	size_t i = 0;
	for (; k[i] && k[i] != '=' && i < sizeof low - 1; i++)
		low[i] = (char)tolower((unsigned char)k[i]);
	low[i] = 0;
	for (int x = 0; w[x]; x++)
		if (strstr(low, w[x]))
			return 1;
	return 0;
}

static void warn_shared(struct inventory *inv)
{
	/* every secret as "what\tdigest", per device */
	struct strlist what = {0}, who = {0};
	for (size_t i = 0; i < inv->n; i++) {
		struct device *d = &inv->d[i];
		for (size_t a = 0; a < d->args.keys.n; a++)
			if (secret_key(d->args.keys.v[a])) {
				sl_pushf(&what, "boot argument '%s'\t%s", d->args.keys.v[a],
					 d->args.values.v[a]);
				sl_push(&who, d->name);
			}
		for (size_t f = 0; f < d->src.n; f++) {
			char hex[65];
			if (sha256_file(d->src.v[f], hex, NULL) < 0)
				continue;
			sl_pushf(&what, "file '%s'\t%s", d->dest.v[f], hex);
			sl_push(&who, d->name);
		}
	}
	int *done = xmalloc((what.n + 1) * sizeof(int));
	memset(done, 0, (what.n + 1) * sizeof(int));
	for (size_t i = 0; i < what.n; i++) {
		if (done[i])
			continue;
		char *tab = strchr(what.v[i], '\t');
		struct strlist names = {0};
		sl_push(&names, who.v[i]);
		for (size_t k = i + 1; k < what.n; k++)
			if (!done[k] && !strcmp(strchr(what.v[k], '\t') + 1, tab + 1)) {
				done[k] = 1;
				if (!sl_has(&names, who.v[k]))
					sl_push(&names, who.v[k]);
			}
		if (names.n > 1) {
			char *list = sl_join(&names, " ");
			warning("%.*s: the same secret on %zu devices (%s): one lost card exposes "
				"them all",
				(int)(tab - what.v[i]), what.v[i], names.n, list);
			free(list);
		}
		sl_free(&names);
	}
	free(done);
	sl_free(&what), sl_free(&who);
}

struct inventory *fleet_inventory_load(const char *path, const struct manifest *m)
{
	struct inventory *inv = xmalloc(sizeof *inv);
	int rc = inventory_load(path, inv, &m->bootargs);
	if (rc) {
		fleet_inventory_free(inv);
		json_error(rc, "invalid inventory");
		return NULL;
	}
	warn_shared(inv);
	return inv;
}

void fleet_inventory_free(struct inventory *inv)
{
	if (!inv)
		return;
	for (size_t i = 0; i < inv->n; i++) {
		struct device *d = &inv->d[i];
		free(d->name), free(d->cmdline);
		bootargs_free(&d->args), sl_free(&d->dest), sl_free(&d->src);
	}
	free(inv->d), free(inv->dir), free(inv);
}
