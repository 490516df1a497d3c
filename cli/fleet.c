/* fleet.c: uk build --fleet INVENTORY: one SD image per device from one build. The images
 * differ only in the boot partition's cmdline.txt (the device's boot arguments: net.hostname,
 * net.ip, net.gateway, net.dns and any key the app reads) and the device's own files.
 * The inventory is YAML (a `devices:` list, in uk.yaml or its own file, or a bare list) or CSV
 * (a header line: name,hostname,ip,gateway,dns,files, and any other column is a boot argument).
 * Output, beside the build: OUT/fleet/NAME/{sdcard.img,sdcard.img.bmap,cmdline.txt} and
 * OUT/fleet/fleet.json, built in OUT/fleet.tmp-PID and swapped in whole. */
#define _GNU_SOURCE
#include "flash.h"
#include "yamlload.h"

#include <arpa/inet.h>
#include <csv.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

/* A device file is a key, a certificate or a small configuration: larger files are a mistake. */
#define FLEET_FILE_MAX (16u << 20)

struct device {
	char *name;
	struct bootargs args;	  /* the device's own boot arguments, checked */
	struct strlist dest, src; /* files: name on the boot partition, path on this host */
	int line;
	/* results */
	char sha256[65];
	uint64_t size;
	char *cmdline;
	int rc;
};

struct inventory {
	const char *path;
	char *dir; /* relative file paths start here */
	struct device *d;
	size_t n;
	int errors;
};

static void inv_err(struct inventory *inv, int line, int colm, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void inv_err(struct inventory *inv, int line, int colm, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s%s:%d:%d:%s %serror:%s ", col("\033[1m"), inv->path, line, colm,
		col("\033[0m"), col("\033[1;31m"), col("\033[0m"));
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	inv->errors++;
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

static const char *sbase(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
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

/* ---- stamping ---- */
struct base {
	const char *out;
	char *tmp;
	struct strlist files;	     /* the build's boot/ minus cmdline.txt (the Pi 3's A/B card:
				      * its root, the firmware and config.txt) */
	int dirs;		     /* the Pi 3's A/B card: slots a/ and b/ in one partition */
	struct strlist a_files;	     /* there: slot A's files minus cmdline.txt */
	const struct bootargs *args; /* the build's (uk.yaml's) boot arguments */
	struct bootfs bfs;
	uint64_t size;
	struct sd_part parts[4]; /* the build's layout, its images but the stamped partition's */
	int nparts, boot;	 /* boot: the partition stamped (slot A on an A/B card) */
	uint32_t sig;
	struct inventory *inv;
	pthread_mutex_t lock;
	size_t next;
};

static volatile sig_atomic_t fleet_stop;

static void on_stop(int s)
{
	fleet_stop = 1;
	request_stop(s);
}

static int read_build(struct base *b, const char *target)
{
	struct build_record r;
	char *why = NULL;
	if (build_record_read(b->out, &r, &why) < 0) {
		error("%s", why);
		hint("build first: uk build --target %s", target);
		free(why);
		return -1;
	}
	b->size = r.image_size;
	b->sig = r.disk_signature;
	b->bfs.volume_id = r.volume_id;
	b->bfs.epoch = r.source_date_epoch;
	b->nparts = r.nparts;
	memcpy(b->parts, r.parts, sizeof b->parts);
	build_record_free(&r);
	/* the other partitions are the build's own images, byte for byte */
	static const char *const images[][2] = {
	    {"data", "data.img"}, {"autoboot", SLOTS_AUTOBOOT_IMAGE}, {"slot-b", SLOTS_B_IMAGE}};
	b->boot = -1;
	for (int i = 0; i < b->nparts; i++) {
		const char *role = b->parts[i].role;
		if (!strcmp(role, "boot") || !strcmp(role, "slot-a"))
			b->boot = i;
		for (size_t k = 0; k < sizeof images / sizeof *images; k++)
			if (!strcmp(role, images[k][0]))
				b->parts[i].image = path_join(b->out, images[k][1]);
	}
	if (b->boot < 0) {
		for (int i = 0; i < b->nparts; i++)
			free((char *)b->parts[i].image);
		error("%s/build.json records no boot partition", b->out);
		hint("build again: uk build --target %s", target);
		return -1;
	}
	b->bfs.size = b->parts[b->boot].size;
	b->bfs.hidden_sectors = (uint32_t)(b->parts[b->boot].offset / 512);
	b->bfs.label = "UKBOOT";
	struct conf lay = {0};
	char *lp = xasprintf("%s/images/%s/layout.conf", uk_home(), target);
	static char label[16];
	if (conf_read(lp, &lay, uk_home(), uk_cache()) == 0) {
		const char *l = conf_get(&lay, "VOLUME_LABEL");
		if (l && *l) {
			snprintf(label, sizeof label, "%s", l);
			b->bfs.label = label;
		}
		conf_free(&lay);
	}
	free(lp);

	char *boot = path_join(b->out, "boot"), *a = path_join(boot, SLOTS_DIR_A);
	struct strlist all = {0};
	slots_dirs_list(boot, &all);
	if (b->dirs) /* cmdline.txt is slot A's; the root's files stay as they are */
		sl_append(&b->files, &all), sl_free(&all), slots_dirs_list(a, &all);
	for (size_t i = 0; i < all.n; i++)
		if (strcmp(sbase(all.v[i]), "cmdline.txt"))
			sl_push(b->dirs ? &b->a_files : &b->files, all.v[i]);
	sl_free(&all);
	free(boot), free(a);
	return 0;
}

static char *cmdline_of(const struct base *b, const struct device *d)
{
	struct bootargs all = {0};
	bootargs_merge(&all, b->args);
	bootargs_merge(&all, &d->args);
	char *s = bootargs_format(&all), *line = xasprintf("%s\n", s);
	free(s);
	bootargs_free(&all);
	return line;
}

static pthread_mutex_t sdimage_lock = PTHREAD_MUTEX_INITIALIZER;

static int stamp(struct base *b, struct device *d)
{
	char *dir = path_join(b->tmp, d->name), *stage = path_join(dir, ".stage");
	char *cl = path_join(dir, "cmdline.txt"), *vf = path_join(dir, ".boot.vfat");
	char *img = path_join(dir, "sdcard.img");
	struct strlist files = {0}, slot_a = {0}, own = {0};
	int rc = -1;
	if (mkdir_p(stage) < 0) {
		error("cannot create %s: %s", stage, strerror(errno));
		goto out;
	}
	d->cmdline = cmdline_of(b, d);
	if (write_file(cl, d->cmdline, strlen(d->cmdline)) < 0)
		goto out;
	/* on the Pi 3's A/B card the device's files sit at the root, beside the slot directories;
	 * they take no name slot A has either: one name, one file */
	sl_append(&own, &b->files), sl_append(&own, &b->a_files);
	if (b->dirs)
		sl_push(&own, SLOTS_DIR_A), sl_push(&own, "b");
	for (size_t i = 0; i < own.n; i++) {
		const char *bn = sbase(own.v[i]);
		for (size_t f = 0; f < d->dest.n; f++)
			if (fat_names_clash(bn, d->dest.v[f])) {
				error("device %s: file %s would replace the build's own %s",
				      d->name, d->dest.v[f], bn);
				goto out;
			}
	}
	sl_append(&files, &b->files);
	sl_append(&slot_a, &b->a_files);
	sl_push(b->dirs ? &slot_a : &files, cl);
	for (size_t f = 0; f < d->dest.n; f++) {
		if (fat_names_clash(d->dest.v[f], "cmdline.txt")) {
			error("device %s: cmdline.txt is written by uk; set boot arguments instead",
			      d->name);
			goto out;
		}
		char *to = path_join(stage, d->dest.v[f]);
		int c = copy_file(d->src.v[f], to);
		sl_push(&files, to);
		free(to);
		if (c < 0) {
			error("cannot copy %s: %s", d->src.v[f], strerror(errno));
			goto out;
		}
	}
	int w = b->dirs ? slots_dirs_write(vf, &files, &slot_a, &b->bfs)
			: bootfs_write_files(vf, &files, &b->bfs);
	if (w < 0)
		goto out;
	struct sd_part p[4];
	memcpy(p, b->parts, sizeof p);
	p[b->boot].image = vf;
	pthread_mutex_lock(&sdimage_lock); /* sdimage_write has a static buffer */
	w = sdimage_write(img, b->size, p, b->nparts, b->sig);
	pthread_mutex_unlock(&sdimage_lock);
	if (w < 0)
		goto out;
	if (sha256_sparse(img, d->sha256, &d->size) < 0 || bmap_write_for(img, d->sha256) < 0)
		goto out;
	rc = 0;
out:
	unlink(vf);
	rm_rf(stage);
	sl_free(&files), sl_free(&slot_a), sl_free(&own);
	free(dir), free(stage), free(cl), free(vf), free(img);
	return rc;
}

static void *worker(void *arg)
{
	struct base *b = arg;
	for (;;) {
		pthread_mutex_lock(&b->lock);
		size_t i = b->next++;
		pthread_mutex_unlock(&b->lock);
		if (i >= b->inv->n || fleet_stop)
			break;
		b->inv->d[i].rc = stamp(b, &b->inv->d[i]);
	}
	return NULL;
}

static int write_fleet_json(struct base *b, const struct manifest *m, const char *target)
{
	char *p = path_join(b->tmp, "fleet.json");
	FILE *f = fopen(p, "w");
	free(p);
	if (!f)
		return -1;
	char *sd = path_join(b->out, "sdcard.img"), hex[65] = "";
	char *bjhex = NULL;
	(void)bjhex;
	sha256_sparse(sd, hex, NULL);
	free(sd);
	struct json j;
	json_begin(&j, f, 1);
	json_obj(&j);
	json_kstr(&j, "name", m->name);
	json_kstr(&j, "target", target);
	json_kstr(&j, "uk", UK_VERSION);
	json_kstr(&j, "inventory", sbase(b->inv->path));
	json_kstr(&j, "base_sdcard_sha256", hex);
	json_key(&j, "devices");
	json_arr(&j);
	for (size_t i = 0; i < b->inv->n; i++) {
		struct device *d = &b->inv->d[i];
		json_obj(&j);
		json_kstr(&j, "name", d->name);
		char *path = xasprintf("%s/sdcard.img", d->name);
		json_kstr(&j, "path", path);
		free(path);
		json_kint(&j, "size", (long long)d->size);
		json_kstr(&j, "sha256", d->sha256);
		char *c = xstrdup(d->cmdline);
		c[strcspn(c, "\n")] = 0;
		json_kstr(&j, "cmdline", c);
		free(c);
		json_key(&j, "files");
		json_arr(&j);
		for (size_t k = 0; k < d->dest.n; k++)
			json_str(&j, d->dest.v[k]);
		json_end_arr(&j);
		json_end_obj(&j);
	}
	json_end_arr(&j);
	json_end_obj(&j);
	return fclose(f);
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

int fleet_build(struct manifest *m, const char *target, const char *out, struct inventory *invp)
{
	struct inventory inv = *invp; /* the devices' results are reset for each target */
	int rc;
	for (size_t i = 0; i < inv.n; i++) {
		free(inv.d[i].cmdline);
		inv.d[i].cmdline = NULL, inv.d[i].rc = 0, inv.d[i].size = 0;
		inv.d[i].sha256[0] = 0;
	}
	struct base b;
	memset(&b, 0, sizeof b);
	b.out = out;
	b.inv = &inv;
	b.args = &m->bootargs;
	b.dirs = m->slot_size && slots_in_dirs(target);
	if (read_build(&b, target) < 0)
		return EXIT_FAIL;
	char *fleet = path_join(out, "fleet");
	b.tmp = xasprintf("%s.tmp-%d", fleet, (int)getpid());
	rm_rf(b.tmp);
	if (mkdir_p(b.tmp) < 0) {
		error("cannot create %s: %s", b.tmp, strerror(errno));
		free(fleet);
		return EXIT_FAIL;
	}
	struct sigaction sa = {.sa_handler = on_stop}, oi, ot;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &oi);
	sigaction(SIGTERM, &sa, &ot);
	fleet_stop = 0;
	pthread_mutex_init(&b.lock, NULL);
	long nc = sysconf(_SC_NPROCESSORS_ONLN);
	size_t nt = nc > 0 ? (size_t)nc : 1;
	if (nt > inv.n)
		nt = inv.n;
	if (nt > 16)
		nt = 16;
	pthread_t th[16];
	size_t started = 0;
	for (size_t i = 0; i < nt; i++)
		if (pthread_create(&th[i], NULL, worker, &b) == 0)
			started++;
	if (!started)
		worker(&b);
	for (size_t i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	rc = 0;
	for (size_t i = 0; i < inv.n; i++)
		if (inv.d[i].rc || !inv.d[i].cmdline)
			rc = EXIT_FAIL;
	if (fleet_stop) {
		error("interrupted: the previous fleet output is untouched");
		rc = EXIT_INTR;
	}
	if (!rc && write_fleet_json(&b, m, target) < 0) {
		error("cannot write fleet.json");
		rc = EXIT_FAIL;
	}
	if (!rc) {
		if (is_dir(fleet)) {
			if (renameat2(AT_FDCWD, b.tmp, AT_FDCWD, fleet, RENAME_EXCHANGE) < 0)
				rc = EXIT_FAIL;
		} else if (rename(b.tmp, fleet) < 0) {
			rc = EXIT_FAIL;
		}
		if (rc)
			error("cannot replace %s: %s", fleet, strerror(errno));
	}
	rm_rf(b.tmp);
	sigaction(SIGINT, &oi, NULL);
	sigaction(SIGTERM, &ot, NULL);
	if (!rc && !json_mode) {
		printf("%sfleet:%s %zu device images in %s\n", col_out("\033[1;32m"),
		       col_out("\033[0m"), inv.n, fleet);
		for (size_t i = 0; i < inv.n; i++)
			printf("  %-16s %s/sdcard.img  sha256 %.16s...  %s", inv.d[i].name,
			       inv.d[i].name, inv.d[i].sha256, inv.d[i].cmdline);
	}
	free(fleet);
	sl_free(&b.files), sl_free(&b.a_files);
	for (int i = 0; i < b.nparts; i++)
		free((char *)b.parts[i].image);
	free(b.tmp);
	return rc;
}

/* DIR may be the fleet directory, a build output, or an app (one build/TARGET/fleet). */
char *fleet_image(const char *dir, const char *name)
{
	char *cands[] = {path_join(dir, "fleet.json"), xasprintf("%s/fleet/fleet.json", dir), NULL};
	char *found = NULL;
	for (int i = 0; cands[i]; i++)
		if (!found && file_exists(cands[i]))
			found = xstrdup(cands[i]);
	free(cands[0]), free(cands[1]);
	if (!found) {
		char *pat = xasprintf("%s/build/*/fleet/fleet.json", dir);
		glob_t g;
		if (glob(pat, 0, NULL, &g) == 0) {
			if (g.gl_pathc == 1)
				found = xstrdup(g.gl_pathv[0]);
			else
				error("%s has fleets for %zu targets; give the directory, e.g. %s",
				      dir, g.gl_pathc, g.gl_pathv[0]);
			globfree(&g);
		}
		free(pat);
	}
	if (!found) {
		error("no fleet.json in %s", dir);
		hint("build the fleet first: uk build --fleet INVENTORY; then uk flash --device "
		     "NAME "
		     "[FLEET-DIR] DEVICE");
		return NULL;
	}
	char *out = NULL, *fdir = xstrdup(found);
	*strrchr(fdir, '/') = 0;
	json_error_t err;
	json_t *root = json_load_file(found, JSON_REJECT_DUPLICATES, &err), *dev;
	size_t i;
	if (!root)
		error("%s:%d:%d: %s", found, err.line, err.column, err.text);
	json_array_foreach(json_object_get(root, "devices"), i, dev)
	{
		const char *n = json_string_value(json_object_get(dev, "name"));
		const char *p = json_string_value(json_object_get(dev, "path"));
		/* a path inside the fleet folder, as fleet.json is written */
		if (n && p && !strcmp(n, name) && *p && *p != '/' && strncmp(p, "../", 3) &&
		    !strstr(p, "/../"))
			out = path_join(fdir, p);
	}
	if (root && !out)
		error("no device '%s' in %s", name, found);
	json_decref(root);
	free(found), free(fdir);
	return out;
}

int build_after(struct manifest *m, const char *target, const char *out,
		struct inventory *inventory)
{
	char *img = path_join(out, "sdcard.img"), hex[65] = "";
	struct build_record r;
	if (build_record_read(out, &r, NULL) == 0)
		memcpy(hex, r.sdcard_sha256, sizeof hex);
	build_record_free(&r);
	int rc = bmap_write_for(img, hex[0] ? hex : NULL) < 0 ? EXIT_FAIL : 0;
	free(img);
	if (!rc && inventory)
		rc = fleet_build(m, target, out, inventory);
	return rc;
}
