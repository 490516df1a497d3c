/* json.c: a streaming JSON writer, so --json output is always well formed. */
#include "uk.h"

#include <string.h>

void json_begin(struct json *j, FILE *f, int pretty)
{
	memset(j, 0, sizeof *j);
	j->f = f;
	j->pretty = pretty;
	j->first[0] = 1;
}

static void indent(struct json *j)
{
	if (!j->pretty)
		return;
	fputc('\n', j->f);
	for (int i = 0; i < j->depth; i++)
		fputs("  ", j->f);
}

/* Separator before a value: a comma unless first, nothing right after a key. */
static void sep(struct json *j)
{
	if (j->after_key) {
		j->after_key = 0;
		return;
	}
	if (!j->first[j->depth])
		fputc(',', j->f);
	j->first[j->depth] = 0;
	if (j->depth)
		indent(j);
}

static void open(struct json *j, char c)
{
	sep(j);
	fputc(c, j->f);
	j->depth++;
	j->first[j->depth] = 1;
}

static void close_(struct json *j, char c)
{
	int empty = j->first[j->depth];
	j->depth--;
	if (!empty)
		indent(j);
	fputc(c, j->f);
	if (j->depth == 0)
		fputc('\n', j->f);
}

void json_obj(struct json *j)
{
	open(j, '{');
}
void json_arr(struct json *j)
{
	open(j, '[');
}
void json_end_obj(struct json *j)
{
	close_(j, '}');
}
void json_end_arr(struct json *j)
{
	close_(j, ']');
}

static void quoted(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p == '\t')
			fputs("\\t", f);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

void json_key(struct json *j, const char *k)
{
	sep(j);
	quoted(j->f, k);
	fputs(j->pretty ? ": " : ":", j->f);
	j->after_key = 1;
}

void json_str(struct json *j, const char *s)
{
	sep(j);
	if (s)
		quoted(j->f, s);
	else
		fputs("null", j->f);
}

void json_int(struct json *j, long long v)
{
	sep(j);
	fprintf(j->f, "%lld", v);
}

/* A value that is already valid JSON (a number with a chosen format, an embedded document). */
void json_raw(struct json *j, const char *text)
{
	sep(j);
	fputs(text, j->f);
}

void json_bool(struct json *j, int v)
{
	sep(j);
	fputs(v ? "true" : "false", j->f);
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
