/* firmware.c: takes the Pi boot firmware out of Debian's raspi-firmware .deb with libarchive.
 * A .deb is an ar archive holding data.tar.*; the inner tar is read as a stream from the outer. */
#include "uk.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FW_DIR "usr/lib/raspi-firmware/"

struct outer {
	struct archive *a;
	char buf[65536];
};

static la_ssize_t read_outer(struct archive *inner, void *data, const void **buf)
{
	(void)inner;
	struct outer *o = data;
	*buf = o->buf;
	return archive_read_data(o->a, o->buf, sizeof o->buf);
}

static int extract_entry(struct archive *a, const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	char buf[65536];
	la_ssize_t r;
	while ((r = archive_read_data(a, buf, sizeof buf)) > 0)
		if (write(fd, buf, (size_t)r) != r) {
			close(fd);
			return -1;
		}
	close(fd);
	return r < 0 ? -1 : 0;
}

int firmware_extract(const char *deb, const struct strlist *names, const char *dest)
{
	struct outer o;
	int found = 0, rc = -1;
	o.a = archive_read_new();
	archive_read_support_format_ar(o.a);
	if (archive_read_open_filename(o.a, deb, 65536) != ARCHIVE_OK) {
		error("cannot read %s: %s", deb, archive_error_string(o.a));
		archive_read_free(o.a);
		return -1;
	}
	struct archive_entry *e;
	while (archive_read_next_header(o.a, &e) == ARCHIVE_OK) {
		if (strncmp(archive_entry_pathname(e), "data.tar", 8))
			continue;
		struct archive *in = archive_read_new();
		archive_read_support_filter_all(in);
		archive_read_support_format_tar(in);
		if (archive_read_open(in, &o, NULL, read_outer, NULL) != ARCHIVE_OK) {
			error("cannot read data.tar of %s: %s", deb, archive_error_string(in));
			archive_read_free(in);
			break;
		}
		struct archive_entry *ie;
		int r;
		while ((r = archive_read_next_header(in, &ie)) == ARCHIVE_OK) {
			const char *p = archive_entry_pathname(ie);
			if (!strncmp(p, "./", 2))
				p += 2;
			if (strncmp(p, FW_DIR, strlen(FW_DIR)))
				continue;
			const char *base = p + strlen(FW_DIR);
			if (!sl_has(names, base))
				continue;
			char *to = path_join(dest, base);
			if (extract_entry(in, to) < 0) {
				error("cannot extract %s from %s: %s", base, deb,
				      archive_error_string(in) ? archive_error_string(in)
							       : strerror(errno));
				free(to);
				archive_read_free(in);
				goto out;
			}
			free(to);
			if (++found == (int)names->n)
				break;
		}
		if (r != ARCHIVE_OK && r != ARCHIVE_EOF)
			error("reading %s: %s", deb, archive_error_string(in));
		archive_read_free(in);
		break;
	}
	if (found == (int)names->n) {
		rc = 0;
	} else {
		for (size_t i = 0; i < names->n; i++) {
			char *to = path_join(dest, names->v[i]);
			if (!file_exists(to))
				error("%s has no %s%s", deb, FW_DIR, names->v[i]);
			free(to);
		}
	}
out:
	archive_read_free(o.a);
	return rc;
}

/* The newest raspi-firmware_*.deb in $UK_CACHE/debs (names sort by version here). */
char *firmware_deb(void)
{
	char *dir = path_join(uk_cache(), "debs");
	DIR *d = opendir(dir);
	char *best = NULL;
	if (d) {
		struct dirent *e;
		while ((e = readdir(d))) {
			size_t l = strlen(e->d_name);
			if (strncmp(e->d_name, "raspi-firmware_", 15) || l < 4 ||
			    strcmp(e->d_name + l - 4, ".deb"))
				continue;
			if (!best || strcmp(e->d_name, best) > 0) {
				free(best);
				best = xstrdup(e->d_name);
			}
		}
		closedir(d);
	}
	char *r = best ? path_join(dir, best) : NULL;
	free(best);
	free(dir);
	return r;
}
