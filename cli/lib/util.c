/* util.c: strings, lists, files and messages shared by every subcommand. */
#define _GNU_SOURCE
#include "uk.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int use_color;
int use_color_out;
int json_mode;

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p) {
		fprintf(stderr, "uk: out of memory\n");
		exit(EXIT_FAIL);
	}
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p) {
		fprintf(stderr, "uk: out of memory\n");
		exit(EXIT_FAIL);
	}
	return p;
}

char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(xmalloc(n), s, n);
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0) {
		fprintf(stderr, "uk: out of memory\n");
		exit(EXIT_FAIL);
	}
	va_end(ap);
	return s;
}

void sl_push(struct strlist *l, const char *s)
{
	if (l->n + 2 > l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->v = xrealloc(l->v, l->cap * sizeof(char *));
	}
	l->v[l->n++] = xstrdup(s);
	l->v[l->n] = NULL; /* always NULL-terminated so it can be an argv */
}

void sl_pushf(struct strlist *l, const char *fmt, ...)
{
	va_list ap;
	char *s;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		exit(EXIT_FAIL);
	va_end(ap);
	sl_push(l, s);
	free(s);
}

void sl_append(struct strlist *l, const struct strlist *from)
{
	for (size_t i = 0; i < from->n; i++)
		sl_push(l, from->v[i]);
}

void sl_free(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void sl_sort(struct strlist *l)
{
	if (l->n)
		qsort(l->v, l->n, sizeof(char *), cmpstr);
}

int sl_has(const struct strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], s))
			return 1;
	return 0;
}

/* Splits like a shell without expansion: spaces separate, '...' and "..." group, \ escapes. */
int split_words(const char *s, struct strlist *out)
{
	size_t cap = strlen(s) + 1;
	char *w = xmalloc(cap);
	while (*s) {
		while (*s == ' ' || *s == '\t' || *s == '\n')
			s++;
		if (!*s)
			break;
		size_t n = 0;
		char q = 0;
		while (*s && (q || (*s != ' ' && *s != '\t' && *s != '\n'))) {
			if (q && *s == q) {
				q = 0;
			} else if (!q && (*s == '\'' || *s == '"')) {
				q = *s;
			} else if (*s == '\\' && s[1] && q != '\'') {
				w[n++] = *++s;
			} else {
				w[n++] = *s;
			}
			s++;
		}
		if (q) {
			free(w);
			return -1;
		}
		w[n] = 0;
		sl_push(out, w);
	}
	free(w);
	return 0;
}

char *path_join(const char *a, const char *b)
{
	if (b[0] == '/' || !a[0])
		return xstrdup(b);
	size_t la = strlen(a);
	return xasprintf("%s%s%s", a, a[la - 1] == '/' ? "" : "/", b);
}

/* Lexical normalisation: removes "." and "name/.." without touching the filesystem. */
char *abs_path(const char *p)
{
	char cwd[PATH_MAX];
	char *full;
	if (p[0] == '/') {
		full = xstrdup(p);
	} else {
		if (!getcwd(cwd, sizeof cwd))
			strcpy(cwd, "/");
		full = path_join(cwd, p);
	}
	char *out = xmalloc(strlen(full) + 2);
	size_t n = 0;
	char *save = NULL;
	for (char *seg = strtok_r(full, "/", &save); seg; seg = strtok_r(NULL, "/", &save)) {
		if (!strcmp(seg, "."))
			continue;
		if (!strcmp(seg, "..")) {
			while (n > 0 && out[n - 1] != '/')
				n--;
			if (n > 0)
				n--;
			continue;
		}
		out[n++] = '/';
		size_t l = strlen(seg);
		memcpy(out + n, seg, l);
		n += l;
	}
	if (n == 0)
		out[n++] = '/';
	out[n] = 0;
	free(full);
	return out;
}

const char *col(const char *code)
{
	return use_color ? code : "";
}

const char *col_out(const char *code)
{
	return use_color_out ? code : "";
}

static void vmsg(const char *label, const char *color, const char *fmt, va_list ap)
{
	fprintf(stderr, "%suk: %s%s", col(color), label, col("\033[0m"));
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void verror_at(const char *file, int line, int column, const char *fmt, va_list ap)
{
	fprintf(stderr, "%s%s:%d:%d:%s %serror:%s ", col("\033[1m"), file, line, column,
		col("\033[0m"), col("\033[1;31m"), col("\033[0m"));
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int ident_ok(const char *s, const char *extra)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(extra, *s))
			return 0;
	return 1;
}

void error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg("error: ", "\033[1;31m", fmt, ap);
	va_end(ap);
}

void warning(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg("warning: ", "\033[1;33m", fmt, ap);
	va_end(ap);
}

void hint(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg("hint: ", "\033[1;36m", fmt, ap);
	va_end(ap);
}

void note(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg("", "\033[1m", fmt, ap);
	va_end(ap);
}

int read_file(const char *path, char **data, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	size_t cap = 4096, n = 0;
	char *buf = xmalloc(cap);
	size_t r;
	while ((r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += r;
		if (cap - n - 1 == 0) {
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
	}
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		free(buf);
		return -1;
	}
	buf[n] = 0;
	*data = buf;
	if (len)
		*len = n;
	return 0;
}

int write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	const char *p = data;
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return close(fd);
}

int file_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

int is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int mkdir_p(const char *path)
{
	char *p = xstrdup(path);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = 0;
		if (mkdir(p, 0755) < 0 && errno != EEXIST) {
			free(p);
			return -1;
		}
		*s = '/';
	}
	int r = mkdir(p, 0755);
	free(p);
	return r < 0 && errno != EEXIST ? -1 : 0;
}

int rm_rf(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlink(path);
	DIR *d = opendir(path);
	if (!d)
		return -1;
	struct dirent *e;
	int r = 0;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char *sub = path_join(path, e->d_name);
		r |= rm_rf(sub);
		free(sub);
	}
	closedir(d);
	return r | rmdir(path);
}

int copy_file(const char *from, const char *to)
{
	int in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -1;
	int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0) {
		close(in);
		return -1;
	}
	char buf[65536];
	ssize_t r;
	int bad = 0;
	while ((r = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, (size_t)r) != r) {
			bad = 1;
			break;
		}
	if (r < 0)
		bad = 1;
	close(in);
	if (close(out) < 0)
		bad = 1;
	return bad ? -1 : 0;
}

/* Outputs are never modified in place, so a hard link shares them safely between builds. */
int link_or_copy(const char *from, const char *to)
{
	unlink(to);
	if (link(from, to) == 0)
		return 0;
	return copy_file(from, to);
}

int64_t mtime_ns(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return -1;
	return (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
}

int dir_writable(const char *path)
{
	return access(path, W_OK | X_OK) == 0;
}

char *sl_join(const struct strlist *l, const char *sep)
{
	size_t len = 1;
	for (size_t i = 0; i < l->n; i++)
		len += strlen(l->v[i]) + strlen(sep);
	char *s = xmalloc(len), *p = s;
	*p = 0;
	for (size_t i = 0; i < l->n; i++) {
		if (i)
			p = stpcpy(p, sep);
		p = stpcpy(p, l->v[i]);
	}
	return s;
}
