/* yamlload.c: loads a YAML file (uk.yaml, a fleet inventory) with libyaml, after the checks
 * libyaml does not make or makes too slowly: a size cap, NUL bytes and bad UTF-8 reported where
 * they are, a nesting cap (libyaml's scanner is quadratic in the depth of flow collections:
 * 64k '[' took 24 s), and keys repeated in one mapping (found by sorting, not pair by pair). */
#include "uk.h"
#include "yamlload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* line and column (1-based, columns in bytes) of text[off] */
static void position(const char *text, size_t off, int *line, int *col)
{
	int l = 1, c = 1;
	for (size_t i = 0; i < off; i++) {
		if (text[i] == '\n')
			l++, c = 1;
		else
			c++;
	}
	*line = l, *col = c;
}

/* The length of the UTF-8 sequence at s (of at most n bytes), or 0 if it is not valid
 * (overlong forms, surrogates and code points above U+10FFFF included). */
static size_t utf8_length(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	unsigned min, cp;
	if (c < 0x80)
		return 1;
	if ((c & 0xe0) == 0xc0)
		len = 2, min = 0x80, cp = c & 0x1f;
	else if ((c & 0xf0) == 0xe0)
		len = 3, min = 0x800, cp = c & 0x0f;
	else if ((c & 0xf8) == 0xf0)
		len = 4, min = 0x10000, cp = c & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

int input_check_bytes(const char *text, size_t len, yaml_report rep, void *ctx)
{
	const unsigned char *u = (const unsigned char *)text;
	for (size_t i = 0; i < len;) {
		int line, col;
		if (u[i] == 0) {
			position(text, i, &line, &col);
			rep(ctx, line, col, "a NUL byte: the file is binary or damaged");
			return -1;
		}
		size_t l = utf8_length(u + i, len - i);
		if (!l) {
			position(text, i, &line, &col);
			rep(ctx, line, col, "invalid UTF-8: save the file as UTF-8");
			return -1;
		}
		i += l;
	}
	return 0;
}

static void report_problem(yaml_parser_t *p, yaml_report rep, void *ctx)
{
	char msg[256];
	if (p->context)
		snprintf(msg, sizeof msg, "malformed YAML: %s (%s that starts on line %zu)",
			 p->problem ? p->problem : "parse error", p->context,
			 p->context_mark.line + 1);
	else
		snprintf(msg, sizeof msg, "malformed YAML: %s",
			 p->problem ? p->problem : "parse error");
	rep(ctx, (int)p->problem_mark.line + 1, (int)p->problem_mark.column + 1, msg);
}

/* One pass over the events, stopping at the first collection nested too deep. */
static int check_depth(const char *text, size_t len, yaml_report rep, void *ctx)
{
	yaml_parser_t p;
	yaml_event_t e;
	int depth = 0, rc = 0;
	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	for (;;) {
		if (!yaml_parser_parse(&p, &e)) {
			report_problem(&p, rep, ctx);
			rc = -1;
			break;
		}
		if (e.type == YAML_SEQUENCE_START_EVENT || e.type == YAML_MAPPING_START_EVENT)
			depth++;
		else if (e.type == YAML_SEQUENCE_END_EVENT || e.type == YAML_MAPPING_END_EVENT)
			depth--;
		int end = e.type == YAML_STREAM_END_EVENT;
		if (depth > YAML_MAX_DEPTH) {
			char msg[96];
			snprintf(msg, sizeof msg, "nested more than %d levels deep",
				 YAML_MAX_DEPTH);
			rep(ctx, (int)e.start_mark.line + 1, (int)e.start_mark.column + 1, msg);
			rc = -1;
			end = 1;
		}
		yaml_event_delete(&e);
		if (end)
			break;
	}
	yaml_parser_delete(&p);
	return rc;
}

struct key_at {
	const char *key;
	const yaml_node_t *node;
	size_t order;
};

static int by_key(const void *a, const void *b)
{
	const struct key_at *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	return c ? c : (x->order > y->order) - (x->order < y->order);
}

static void check_duplicates(yaml_document_t *doc, yaml_report rep, void *ctx)
{
	for (yaml_node_t *n = doc->nodes.start; n < doc->nodes.top; n++) {
		if (n->type != YAML_MAPPING_NODE)
			continue;
		size_t np = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start),
		       k = 0;
		if (np < 2)
			continue;
		struct key_at *v = xmalloc(np * sizeof *v);
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
		     p < n->data.mapping.pairs.top; p++) {
			yaml_node_t *kn = yaml_document_get_node(doc, p->key);
			if (kn && kn->type == YAML_SCALAR_NODE) {
				v[k].key = (const char *)kn->data.scalar.value;
				v[k].node = kn;
				v[k].order = k;
				k++;
			}
		}
		qsort(v, k, sizeof *v, by_key);
		for (size_t i = 1; i < k; i++)
			if (!strcmp(v[i].key, v[i - 1].key)) {
				const struct key_at *first = &v[i - 1];
				while (first > v && !strcmp((first - 1)->key, v[i].key))
					first--;
				char msg[160];
				snprintf(msg, sizeof msg,
					 "key '%.64s' appears twice (first on line %zu)", v[i].key,
					 first->node->start_mark.line + 1);
				rep(ctx, (int)v[i].node->start_mark.line + 1,
				    (int)v[i].node->start_mark.column + 1, msg);
			}
		free(v);
	}
}

int yaml_load_checked(const char *text, size_t len, yaml_document_t *doc, yaml_report rep,
		      void *ctx)
{
	if (len > YAML_MAX_BYTES) {
		char msg[96];
		snprintf(msg, sizeof msg, "the file has %zu bytes; uk reads at most %d MiB", len,
			 YAML_MAX_BYTES >> 20);
		rep(ctx, 1, 1, msg);
		return -1;
	}
	if (input_check_bytes(text, len, rep, ctx) < 0 || check_depth(text, len, rep, ctx) < 0)
		return -1;
	yaml_parser_t p;
	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	int ok = yaml_parser_load(&p, doc);
	if (!ok)
		report_problem(&p, rep, ctx);
	yaml_parser_delete(&p);
	if (!ok)
		return -1;
	check_duplicates(doc, rep, ctx);
	return 0;
}
