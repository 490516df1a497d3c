/* json.c: the --json output and build.json, written through jansson (Debian's libjansson, as
 * the records are read): callers describe the document value by value, in order; jansson does
 * the encoding (escapes, UTF-8, numbers), and the document goes out whole when its outermost
 * object or array closes, so the output is always well formed. */
#include "uk.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* Reals (seconds and the like) with up to 10 significant digits: 0.123 stays 0.123; a value
 * outside any container is a document too. */
#define DUMP_FLAGS (JSON_REAL_PRECISION(10) | JSON_ENCODE_ANY)

void json_begin(struct json *j, FILE *f, int pretty)
{
	memset(j, 0, sizeof *j);
	j->f = f;
	j->pretty = pretty;
}

static void emit(struct json *j, json_t *root)
{
	json_dumpf(root, j->f, DUMP_FLAGS | (j->pretty ? JSON_INDENT(2) : JSON_COMPACT));
	fputc('\n', j->f);
	json_decref(root);
}

/* Puts v where the document is: under the pending key, at the end of the array, or as a whole
 * document of its own (a value outside any container). */
static void add(struct json *j, json_t *v)
{
	if (!v) {
		fprintf(stderr, "uk: out of memory\n");
		exit(EXIT_FAIL);
	}
	if (j->depth == 0) {
		json_incref(v);
		emit(j, v);
	} else if (json_is_object(j->stack[j->depth - 1])) {
		int r = json_object_set(j->stack[j->depth - 1], j->key ? j->key : "", v);
		free(j->key);
		j->key = NULL;
		if (r) {
			fprintf(stderr, "uk: cannot add a JSON value (out of memory)\n");
			exit(EXIT_FAIL);
		}
	} else if (json_array_append(j->stack[j->depth - 1], v)) {
		fprintf(stderr, "uk: cannot add a JSON value (out of memory)\n");
		exit(EXIT_FAIL);
	}
}

static void open_container(struct json *j, json_t *c)
{
	if (j->depth == (int)(sizeof j->stack / sizeof j->stack[0])) {
		fprintf(stderr, "uk: JSON output nested too deep\n");
		exit(EXIT_FAIL);
	}
	if (j->depth > 0)
		add(j, c); /* the parent holds a reference; ours is on the stack */
	j->stack[j->depth++] = c;
}

static void close_container(struct json *j)
{
	json_t *c = j->stack[--j->depth];
	if (j->depth == 0)
		emit(j, c); /* the document is complete */
	else
		json_decref(c);
}

void json_obj(struct json *j)
{
	open_container(j, json_object());
}
void json_arr(struct json *j)
{
	open_container(j, json_array());
}
void json_end_obj(struct json *j)
{
	close_container(j);
}
void json_end_arr(struct json *j)
{
	close_container(j);
}

/* Text that is not UTF-8 (a file name can be anything): its non-ASCII bytes become '?'. */
static char *utf8_or_ascii(const char *s)
{
	char *copy = xstrdup(s);
	json_t *probe = json_string(s);
	if (probe) {
		json_decref(probe);
		return copy;
	}
	for (unsigned char *p = (unsigned char *)copy; *p; p++)
		if (*p >= 0x80)
			*p = '?';
	return copy;
}

void json_key(struct json *j, const char *k)
{
	free(j->key);
	j->key = utf8_or_ascii(k); /* jansson refuses keys that are not UTF-8 */
}

static json_t *text(const char *s)
{
	char *copy = utf8_or_ascii(s);
	json_t *v = json_string(copy);
	free(copy);
	return v;
}

static void add_new(struct json *j, json_t *v)
{
	add(j, v);
	json_decref(v);
}

void json_str(struct json *j, const char *s)
{
	add_new(j, s ? text(s) : json_null());
}

void json_int(struct json *j, long long v)
{
	add_new(j, json_integer(v));
}

/* A value that is already JSON (a number with a chosen format, an embedded document). */
void json_raw(struct json *j, const char *raw)
{
	json_error_t err;
	json_t *v = json_loads(raw, JSON_DECODE_ANY, &err);
	add_new(j, v ? v : json_null());
}

void json_bool(struct json *j, int v)
{
	add_new(j, json_boolean(v));
}

void json_kstr(struct json *j, const char *k, const char *s)
{
	json_key(j, k);
	json_str(j, s);
}

void json_kint(struct json *j, const char *k, long long v)
{
	json_key(j, k);
	json_int(j, v);
}

void json_kbool(struct json *j, const char *k, int v)
{
	json_key(j, k);
	json_bool(j, v);
}

void json_error(int code, const char *msg)
{
	if (!json_mode)
		return;
	struct json j;
	json_begin(&j, stdout, 0);
	json_obj(&j);
	json_kbool(&j, "ok", 0);
	json_kint(&j, "exit", code);
	json_kstr(&j, "error", msg);
	json_end_obj(&j);
	fflush(stdout);
}
