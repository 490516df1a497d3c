/* cmd_data.c: uk data: files into and out of the /data partition of a card image (the MBR's
 * partition of type 0xda, littlefs), through the littlefs and the geometry that made it
 * (data_image.c) and mounted as the runtime mounts it (8 KiB blocks, then the 4 KiB of older
 * cards).
 *
 * ls and get open the card read-only. put, mkdir and rm refuse a card that a QEMU has open
 * (QEMU's image locks) and hold the same locks while they write, so a QEMU started meanwhile
 * refuses the card. A put writes a temporary file beside PATH and renames it over PATH: littlefs
 * commits the rename atomically, so a put that fails (a full partition, an I/O error, Ctrl-C)
 * leaves the card's files as they were. */
#define _GNU_SOURCE
#include "uk.h"
#include "flash.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lfs2.h"

#define DATA_USAGE                                                                                 \
	"usage: uk data ls CARD [PATH] [--json]\n"                                                 \
	"   or: uk data get CARD PATH [DEST] [--force]\n"                                          \
	"   or: uk data put CARD SRC PATH [--force]\n"                                             \
	"   or: uk data mkdir CARD PATH\n"                                                         \
	"   or: uk data rm CARD PATH\n"

#define DATA_CARD                                                                                  \
	"CARD is a card image with a /data partition (uk.yaml 'image: {data: SIZE}'): an\n"        \
	"app's build/TARGET/sdcard.img, or build/TARGET.card.img, the copy 'uk run' boots.\n"      \
	"PATH is inside the partition: 'notes/a.txt' or '/notes/a.txt' is what the app\n"          \
	"opens as /data/notes/a.txt.\n"

const char usage_data[] = DATA_USAGE
    "\n"
    "Lists, copies out and copies in the files of the littlefs /data partition of a card\n"
    "image, as the app on that card sees them.\n"
    "\n" DATA_CARD "\n"
    "Commands:\n"
    "  ls      list a folder (default: the top): type, size, name\n"
    "  get     copy a file out to DEST (default: its name in the current folder; '-':\n"
    "          stdout)\n"
    "  put     copy the host file SRC in as PATH (into PATH when it is a folder)\n"
    "  mkdir   make a folder; its parent must exist\n"
    "  rm      remove a file or an empty folder\n"
    "\n"
    "ls and get only read CARD. put, mkdir and rm refuse a card a QEMU has open (stop the\n"
    "uk run first); a block map beside CARD (CARD.bmap) is updated for uk flash.\n"
    "\n"
    "Exit codes: 0 ok, 1 failed (an I/O error, the partition is full, the card is in use),\n"
    "2 usage or bad input (CARD holds no /data partition, PATH is not there, DEST exists).\n"
    "'uk data COMMAND --help' shows each command's options.\n";

static const char usage_ls[] =
    "usage: uk data ls CARD [PATH] [--json]\n"
    "\n"
    "Lists the folder PATH of CARD's /data partition (default: the top), sorted by name,\n"
    "one entry a line: 'file SIZE NAME' or 'dir - NAME/'. A file PATH lists that file.\n"
    "\n" DATA_CARD "\n"
    "Options:\n";

static const char usage_get[] =
    "usage: uk data get CARD PATH [DEST] [--force]\n"
    "\n"
    "Copies the file PATH out of CARD's /data partition to DEST: by default the file's\n"
    "name in the current folder; into DEST when it is a folder; '-' writes it to stdout.\n"
    "DEST is written whole or not at all (a temporary file beside it, renamed into place).\n"
    "CARD is only read.\n"
    "\n" DATA_CARD "\n"
    "Options:\n";

static const char usage_put[] =
    "usage: uk data put CARD SRC PATH [--force]\n"
    "\n"
    "Copies the host file SRC into CARD's /data partition as PATH, or into PATH with SRC's\n"
    "name when PATH is a folder ('/' is the top). The folder must exist: make it with\n"
    "'uk data mkdir CARD FOLDER'. The file is written beside PATH and renamed over it, so a\n"
    "put that fails (the partition is full, Ctrl-C) leaves the card as it was.\n"
    "\n" DATA_CARD "\n"
    "Options:\n";

static const char usage_mkdir[] = "usage: uk data mkdir CARD PATH\n"
				  "\n"
				  "Makes the folder PATH on CARD's /data partition. Its parent "
				  "must exist (make each\n"
				  "level in turn).\n"
				  "\n" DATA_CARD;

static const char usage_rm[] = "usage: uk data rm CARD PATH\n"
			       "\n"
			       "Removes the file or the empty folder PATH from CARD's /data "
			       "partition.\n"
			       "\n" DATA_CARD;

/* The temporary file of a put, in the folder of its PATH (removed when a put finds one left by
 * a put that was killed). */
#define PUT_TMP ".uk-put.tmp"

/* Prints the error, the hint (when not NULL) and in --json mode a JSON error; returns code. */
static int fail(int code, const char *hint_text, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(int code, const char *hint_text, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	error("%s", msg ? msg : fmt);
	if (hint_text)
		hint("%s", hint_text);
	json_error(code, msg ? msg : fmt);
	free(msg);
	return code;
}

static volatile sig_atomic_t stop_signal;

static void on_signal(int s)
{
	stop_signal = s;
}

static void catch_signals(void)
{
	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* ---- the card ---- */

struct card {
	const char *path;
	int fd, writable, mounted;
	uint64_t size; /* of the partition */
	struct data_dev dev;
	struct lfs2_config cfg;
	lfs2_t lfs;
};

/* QEMU locks bytes 100-299 of an image it opens: byte 100+i while it holds permission i, 200+i
 * while it lets nobody else have it (permission 1 is write; QEMU's block/file-posix.c). */
#define QEMU_LOCK_BYTES 100

static int locked_by_other(int fd, off_t start, off_t len)
{
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
	return fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
}

/* Holds write permission and shares it with nobody, as a QEMU writing the card does. */
static void lock_for_writing(int fd)
{
	off_t at[] = {QEMU_LOCK_BYTES + 1, 2 * QEMU_LOCK_BYTES + 1};
	for (size_t i = 0; i < 2; i++) {
		struct flock fl = {
		    .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = at[i], .l_len = 1};
		(void)fcntl(fd, F_OFD_SETLK, &fl); /* no locks on this file system: no protection */
	}
}

static const char *lfs_why(const struct card *c, int e)
{
	switch (e) {
	case LFS2_ERR_IO:
		return c->dev.error ? strerror(c->dev.error) : "I/O error";
	case LFS2_ERR_CORRUPT:
		return "the file system is damaged";
	case LFS2_ERR_NOENT:
		return "no such file or folder";
	case LFS2_ERR_EXIST:
		return "it exists already";
	case LFS2_ERR_NOTDIR:
		return "a part of the path is a file, not a folder";
	case LFS2_ERR_ISDIR:
		return "it is a folder";
	case LFS2_ERR_NOTEMPTY:
		return "the folder is not empty";
	case LFS2_ERR_FBIG:
		return "the file is too large for littlefs";
	case LFS2_ERR_NOSPC:
		return "no space left on the partition";
	case LFS2_ERR_NOMEM:
		return "out of memory";
	case LFS2_ERR_NAMETOOLONG:
		return "a name is longer than littlefs takes (255 bytes)";
	case LFS2_ERR_INVAL:
		return "invalid path";
	default:
		return "littlefs error";
	}
}

/* A bad PATH is bad input (2); anything else went wrong while doing it (1). */
static int lfs_exit(int e)
{
	switch (e) {
	case LFS2_ERR_NOENT:
	case LFS2_ERR_EXIST:
	case LFS2_ERR_NOTDIR:
	case LFS2_ERR_ISDIR:
	case LFS2_ERR_NOTEMPTY:
	case LFS2_ERR_NAMETOOLONG:
	case LFS2_ERR_INVAL:
		return EXIT_USAGE;
	default:
		return EXIT_FAIL;
	}
}

static int card_open(struct card *c, const char *path, int writable)
{
	memset(c, 0, sizeof *c);
	c->path = path, c->fd = -1, c->writable = writable;
	struct stat st;
	if (stat(path, &st) < 0)
		return errno == ENOENT
			   ? fail(EXIT_USAGE,
				  "give a card image: an app's build/TARGET/sdcard.img, "
				  "or build/TARGET.card.img (the copy uk run boots)",
				  "%s: no such file", path)
			   : fail(EXIT_FAIL, NULL, "cannot read %s: %s", path, strerror(errno));
	if (S_ISDIR(st.st_mode)) {
		char *h = xasprintf("give the card image, e.g. %s/build/virt/sdcard.img", path);
		int rc = fail(EXIT_USAGE, h, "%s is a folder, not a card image", path);
		free(h);
		return rc;
	}
	if (!S_ISREG(st.st_mode))
		return fail(EXIT_USAGE,
			    "uk data works on image files: change the image, then uk flash it",
			    "%s is not a regular file", path);
	c->fd = open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (c->fd < 0)
		return fail(EXIT_FAIL, NULL, "cannot open %s%s: %s", path,
			    writable ? " for writing" : "", strerror(errno));
	struct mbr_part part[4];
	if (mbr_read(c->fd, path, NULL, part) < 0)
		return fail(EXIT_USAGE, "uk build writes card images: build/TARGET/sdcard.img",
			    "%s has no partition table (no MBR): it is not a card image", path);
	int dp = 0; /* partition 2 on a card with one boot partition, 4 on an A/B card */
	while (dp < 4 && (part[dp].type != 0xda || !part[dp].sectors))
		dp++;
	if (dp == 4)
		return fail(EXIT_USAGE,
			    "add 'image: {data: 64M}' to the app's uk.yaml and rebuild (uk build)",
			    "%s has no /data partition (no partition of type 0xda)", path);
	uint64_t off = (uint64_t)part[dp].lba * MBR_SECTOR;
	c->size = (uint64_t)part[dp].sectors * MBR_SECTOR;
	if (off + c->size > (uint64_t)st.st_size)
		return fail(EXIT_USAGE, "copy the whole image again (uk build writes it)",
			    "%s is cut short: its /data partition ends at byte %llu, the file at "
			    "%lld",
			    path, (unsigned long long)(off + c->size), (long long)st.st_size);
	if (writable) {
		if (locked_by_other(c->fd, QEMU_LOCK_BYTES, 2 * QEMU_LOCK_BYTES))
			return fail(EXIT_FAIL,
				    "stop it first (the uk run or QEMU that boots this card), "
				    "then try again",
				    "%s is in use: a QEMU (or another uk data) has it open", path);
		lock_for_writing(c->fd);
	} else if (locked_by_other(c->fd, QEMU_LOCK_BYTES + 1, 1)) {
		warning("%s is open for writing by a QEMU: what is read may be out of date", path);
	}
	c->dev = (struct data_dev){.fd = c->fd, .offset = off, .durable = writable};
	int e = data_lfs_mount(&c->lfs, &c->cfg, &c->dev, c->size);
	if (e == LFS2_ERR_IO)
		return fail(EXIT_FAIL, NULL, "reading %s: %s", path, lfs_why(c, e));
	if (e)
		return fail(EXIT_USAGE,
			    "an app makes a new, empty one with uk_fs_format(\"/data\"); or start "
			    "from the built image again (uk run --fresh, uk build)",
			    "%s: partition %d is not a littlefs /data partition or is damaged "
			    "(littlefs error %d)",
			    path, dp + 1, e);
	c->mounted = 1;
	return 0;
}

/* Unmounts and closes; after a write, makes it durable and updates the block map beside the
 * card. rc: the command's result so far; returns it, or EXIT_FAIL when this fails. */
static int card_close(struct card *c, int rc)
{
	if (c->mounted && lfs2_unmount(&c->lfs) < 0 && !rc)
		rc = fail(EXIT_FAIL, NULL, "%s: cannot unmount /data", c->path);
	c->mounted = 0;
	if (c->fd >= 0 && c->writable && fsync(c->fd) < 0 && !rc)
		rc = fail(EXIT_FAIL, NULL, "writing %s: %s", c->path, strerror(errno));
	if (c->fd >= 0 && close(c->fd) < 0 && c->writable && !rc)
		rc = fail(EXIT_FAIL, NULL, "writing %s: %s", c->path, strerror(errno));
	c->fd = -1;
	char *map = xasprintf("%s.bmap", c->path);
	/* uk flash checks the image against its map: a changed image needs a new one */
	if (c->writable && file_exists(map) && mtime_ns(c->path) > mtime_ns(map)) {
		char hex[65];
		if (bmap_write_for(c->path, sha256_sparse(c->path, hex, NULL) == 0 ? hex : NULL) <
		    0) {
			if (!rc)
				rc = EXIT_FAIL;
		} else {
			note("updated %s for uk flash; a rebuild starts %s again (files every card "
			     "needs belong in the app's data/ folder)",
			     map, c->path);
		}
	}
	free(map);
	return rc;
}

/* ---- paths inside the partition ---- */

/* PATH without leading, trailing or doubled '/': "" is the top. */
static char *inner_path(const char *p)
{
	char *out = xmalloc(strlen(p) + 1), *o = out;
	for (const char *s = p; *s; s++)
		if (*s != '/' || (o > out && o[-1] != '/'))
			*o++ = *s;
	if (o > out && o[-1] == '/')
		o--;
	*o = 0;
	return out;
}

/* As littlefs takes it. */
static const char *lp(const char *in)
{
	return *in ? in : "/";
}

/* As the app sees it: /data/... (static: one at a time per message). */
static const char *shown(const char *in)
{
	static char buf[2][4096];
	static int k;
	k ^= 1;
	snprintf(buf[k], sizeof buf[k], "/data%s%s", *in ? "/" : "", in);
	return buf[k];
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* The folder of in ("" for the top), allocated. */
static char *parent_of(const char *in)
{
	const char *s = strrchr(in, '/');
	return s ? xasprintf("%.*s", (int)(s - in), in) : xstrdup("");
}

/* PATH (as given) could not be used: e; a hint for a path given as the app sees it. */
static int path_fail(const struct card *c, const char *given, const char *in, int e)
{
	const char *h = NULL;
	if (e == LFS2_ERR_NOENT && (!strncmp(given, "/data/", 6) || !strncmp(given, "data/", 5) ||
				    !strcmp(given, "/data")))
		h = "PATH is inside the partition: what the app opens as /data/x is x here";
	else if (e == LFS2_ERR_NOENT)
		h = "uk data ls CARD [FOLDER] lists what is there";
	return fail(lfs_exit(e), h, "%s: %s: %s", c->path, shown(in), lfs_why(c, e));
}

/* ---- ls ---- */

struct entry {
	char *name;
	int dir;
	uint64_t size;
};

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

/* A JSON string of a name that may not be UTF-8 (littlefs names are bytes). */
static json_t *name_json(const char *name)
{
	json_t *s = json_string(name);
	if (s)
		return s;
	char *t = xstrdup(name);
	for (char *p = t; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	s = json_string(t);
	free(t);
	return s;
}

static int data_ls(int argc, char **argv)
{
	struct strlist rest = {0};
	struct option opts[] = {
	    {OPT_BOOL, 0, "json", &json_mode, NULL,
	     "a JSON array on stdout: [{\"name\":...,\"type\":\"file\"|\"dir\","
	     "\"size\":BYTES}]\n"
	     "(a folder's size is 0)"},
	    {OPT_END, 0, NULL, NULL, NULL, NULL},
	};
	parse_options(argc, argv, opts, usage_ls, &rest);
	if (rest.n < 1 || rest.n > 2)
		usage_error(usage_ls, rest.n ? "too many arguments" : "uk data ls needs a CARD");
	struct card c;
	int rc = card_open(&c, rest.v[0], 0);
	if (rc) {
		rc = card_close(&c, rc); /* c.path is in rest */
		sl_free(&rest);
		return rc;
	}
	const char *given = rest.n > 1 ? rest.v[1] : "";
	char *in = inner_path(given);
	struct lfs2_info info;
	struct entry *ents = NULL;
	size_t n = 0, cap = 0;
	int e = lfs2_stat(&c.lfs, lp(in), &info);
	if (e == 0 && info.type == LFS2_TYPE_REG) {
		ents = xmalloc(sizeof *ents);
		ents[n++] = (struct entry){xstrdup(base_name(in)), 0, info.size};
	} else if (e == 0) {
		lfs2_dir_t d;
		e = lfs2_dir_open(&c.lfs, &d, lp(in));
		int r = 0;
		while (!e && (r = lfs2_dir_read(&c.lfs, &d, &info)) > 0) {
			if (!strcmp(info.name, ".") || !strcmp(info.name, ".."))
				continue;
			if (n == cap)
				ents = xrealloc(ents, (cap = cap ? 2 * cap : 16) * sizeof *ents);
			int dir = info.type == LFS2_TYPE_DIR;
			ents[n++] = (struct entry){xstrdup(info.name), dir, dir ? 0 : info.size};
		}
		if (!e) {
			e = r;
			lfs2_dir_close(&c.lfs, &d);
		}
	}
	if (e) {
		rc = path_fail(&c, given, in, e);
	} else {
		qsort(ents, n, sizeof *ents, by_name);
		if (json_mode) {
			json_t *arr = json_array();
			for (size_t i = 0; i < n; i++) {
				json_t *o = json_object();
				json_object_set_new(o, "name", name_json(ents[i].name));
				json_object_set_new(o, "type",
						    json_string(ents[i].dir ? "dir" : "file"));
				json_object_set_new(o, "size",
						    json_integer((json_int_t)ents[i].size));
				json_array_append_new(arr, o);
			}
			json_dumpf(arr, stdout, JSON_INDENT(2));
			putchar('\n');
			json_decref(arr);
		} else {
			for (size_t i = 0; i < n; i++)
				if (ents[i].dir)
					printf("dir  %10s  %s/\n", "-", ents[i].name);
				else
					printf("file %10llu  %s\n",
					       (unsigned long long)ents[i].size, ents[i].name);
		}
		if (fflush(stdout) != 0 || ferror(stdout))
			rc = fail(EXIT_FAIL, NULL, "writing the listing: %s", strerror(errno));
	}
	for (size_t i = 0; i < n; i++)
		free(ents[i].name);
	free(ents), free(in);
	rc = card_close(&c, rc); /* c.path is in rest */
	sl_free(&rest);
	return rc;
}

/* ---- get ---- */

static int write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR && !stop_signal)
			continue;
		if (w < 0)
			return -1;
		p += w, n -= (size_t)w;
	}
	return 0;
}

static int data_get(int argc, char **argv)
{
	int force = 0;
	struct strlist rest = {0};
	struct option opts[] = {
	    {OPT_BOOL, 'f', "force", &force, NULL, "replace DEST when it exists"},
	    {OPT_END, 0, NULL, NULL, NULL, NULL},
	};
	parse_options(argc, argv, opts, usage_get, &rest);
	if (rest.n < 2 || rest.n > 3)
		usage_error(usage_get, rest.n > 3 ? "too many arguments"
						  : "uk data get needs a CARD and a PATH");
	struct card c;
	int rc = card_open(&c, rest.v[0], 0);
	if (rc) {
		rc = card_close(&c, rc); /* c.path is in rest */
		sl_free(&rest);
		return rc;
	}
	char *in = inner_path(rest.v[1]), *dest = NULL, *tmp = NULL;
	struct lfs2_info info;
	lfs2_file_t f;
	int e = lfs2_stat(&c.lfs, lp(in), &info), opened = 0, out = -1;
	if (e) {
		rc = path_fail(&c, rest.v[1], in, e);
		goto done;
	}
	if (info.type == LFS2_TYPE_DIR) {
		rc = fail(EXIT_USAGE, "uk data ls CARD PATH lists it; get copies one file",
			  "%s: %s is a folder", c.path, shown(in));
		goto done;
	}
	int to_stdout = rest.n > 2 && !strcmp(rest.v[2], "-");
	if (!to_stdout) {
		if (rest.n < 3)
			dest = xstrdup(base_name(in));
		else if (is_dir(rest.v[2]))
			dest = path_join(rest.v[2], base_name(in));
		else
			dest = xstrdup(rest.v[2]);
		struct stat st;
		if (lstat(dest, &st) == 0) {
			if (S_ISDIR(st.st_mode))
				rc = fail(EXIT_USAGE, NULL, "%s is a folder", dest);
			else if (!force)
				rc = fail(EXIT_USAGE, "--force replaces it", "%s exists", dest);
			else if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode))
				rc = fail(EXIT_USAGE, "give '-' to write to stdout",
					  "%s is not a regular file: uk data get writes files",
					  dest);
			if (rc)
				goto done;
		}
		tmp = xasprintf("%s.uk-get-XXXXXX", dest);
		catch_signals();
		out = mkostemp(tmp, O_CLOEXEC);
		if (out < 0) {
			rc = fail(EXIT_FAIL, NULL, "cannot create %s: %s", dest, strerror(errno));
			free(tmp), tmp = NULL;
			goto done;
		}
		mode_t mask = umask(0);
		umask(mask);
		if (fchmod(out, 0666 & ~mask) < 0) {
			rc = fail(EXIT_FAIL, NULL, "%s: %s", tmp, strerror(errno));
			goto done;
		}
	} else {
		out = 1;
	}
	e = lfs2_file_open(&c.lfs, &f, lp(in), LFS2_O_RDONLY);
	if (e) {
		rc = path_fail(&c, rest.v[1], in, e);
		goto done;
	}
	opened = 1;
	static char buf[1 << 16];
	uint64_t total = 0;
	for (;;) {
		lfs2_ssize_t r = lfs2_file_read(&c.lfs, &f, buf, sizeof buf);
		if (r < 0) {
			rc = fail(EXIT_FAIL, NULL, "%s: reading %s: %s", c.path, shown(in),
				  lfs_why(&c, (int)r));
			goto done;
		}
		if (stop_signal) {
			rc = fail(EXIT_INTR, NULL, "interrupted (%s)%s", strsignal(stop_signal),
				  dest ? ": nothing was written" : "");
			goto done;
		}
		if (r == 0)
			break;
		if (write_all(out, buf, (size_t)r) < 0) {
			rc = fail(EXIT_FAIL, NULL, "writing %s: %s", dest ? tmp : "stdout",
				  strerror(errno));
			goto done;
		}
		total += (uint64_t)r;
	}
	if (dest) {
		int bad = fsync(out) < 0 ? errno : 0;
		if (close(out) < 0 && !bad)
			bad = errno;
		out = -1;
		if (bad) {
			rc = fail(EXIT_FAIL, NULL, "writing %s: %s", tmp, strerror(bad));
			goto done;
		}
		if (rename(tmp, dest) < 0) {
			rc = fail(EXIT_FAIL, NULL, "cannot rename %s to %s: %s", tmp, dest,
				  strerror(errno));
			goto done;
		}
		free(tmp), tmp = NULL;
		note("got %s (%llu bytes) into %s", shown(in), (unsigned long long)total, dest);
	}
done:
	if (opened)
		lfs2_file_close(&c.lfs, &f);
	if (out > 1)
		close(out);
	if (tmp)
		unlink(tmp); /* a failure leaves no half-written DEST */
	free(tmp), free(dest), free(in);
	rc = card_close(&c, rc); /* c.path is in rest */
	sl_free(&rest);
	return rc;
}

/* ---- put ---- */

/* Bytes in use on the partition, or -1. */
static long long used_bytes(struct card *c)
{
	lfs2_ssize_t b = lfs2_fs_size(&c->lfs);
	return b < 0 ? -1 : (long long)b * c->cfg.block_size;
}

/* put, first: SRC must be a regular file this user can read; 0 with it open, or an exit code. */
static int put_source(const char *src, struct stat *st, int *fd)
{
	if (stat(src, st) < 0)
		return errno == ENOENT
			   ? fail(EXIT_USAGE, NULL, "%s: no such file", src)
			   : fail(EXIT_FAIL, NULL, "cannot read %s: %s", src, strerror(errno));
	if (!S_ISREG(st->st_mode))
		return fail(EXIT_USAGE,
			    S_ISDIR(st->st_mode)
				? "put copies one file: make the folder (uk data mkdir), then put "
				  "each file"
				: NULL,
			    "%s is not a regular file", src);
	*fd = open(src, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return fail(EXIT_FAIL, NULL, "cannot open %s: %s", src, strerror(errno));
	return 0;
}

/* put, second: where on the partition SRC goes (PATH, or PATH/SRC's name when PATH is a
 * folder), in *target with its folder in *parent, which must exist; an existing file there is
 * replaced only with --force (*replacing). 0, or an exit code. */
static int put_target(struct card *c, const char *given, const char *src, int force, char **target,
		      char **parent, int *replacing)
{
	char *in = inner_path(given);
	struct lfs2_info info;
	int rc = 0, e = lfs2_stat(&c->lfs, lp(in), &info);
	if (e == 0 && info.type == LFS2_TYPE_DIR) {
		*target = *in ? xasprintf("%s/%s", in, base_name(src)) : xstrdup(base_name(src));
		e = lfs2_stat(&c->lfs, *target, &info);
	} else {
		*target = xstrdup(in);
	}
	*parent = parent_of(*target);
	*replacing = e == 0;
	if (e == 0 && info.type == LFS2_TYPE_DIR) {
		rc = fail(EXIT_USAGE, NULL, "%s: %s is a folder", c->path, shown(*target));
		goto out;
	}
	if (e == 0 && !force) {
		rc = fail(EXIT_USAGE, "--force replaces it", "%s: %s exists", c->path,
			  shown(*target));
		goto out;
	}
	if (e == LFS2_ERR_NOENT && *given && given[strlen(given) - 1] == '/')
		*parent = (free(*parent), xstrdup(in)); /* PATH/ names a folder: it is missing */
	if (e == LFS2_ERR_NOENT && **parent) {
		int pe = lfs2_stat(&c->lfs, *parent, &info);
		if (pe == LFS2_ERR_NOENT) {
			char *h = xasprintf("make it first: uk data mkdir %s %s", c->path, *parent);
			rc = fail(EXIT_USAGE, h, "%s: the folder %s does not exist", c->path,
				  shown(*parent));
			free(h);
			goto out;
		}
		if (pe == 0 && info.type != LFS2_TYPE_DIR) {
			rc = fail(EXIT_USAGE, NULL, "%s: %s is a file, not a folder", c->path,
				  shown(*parent));
			goto out;
		}
	}
	if (e && e != LFS2_ERR_NOENT)
		rc = path_fail(c, given, *target, e);
	else if (strlen(base_name(*target)) > LFS2_NAME_MAX)
		rc = path_fail(c, given, *target, LFS2_ERR_NAMETOOLONG);
out:
	free(in);
	return rc;
}

/* put, third: SRC into tmp, then renamed over target (atomic: the old file, if any, stays
 * until the new one is whole). 0, a littlefs error, or -1 with *rerr (reading SRC) or
 * stop_signal set; *total counts the bytes copied. */
static int put_copy(struct card *c, int in_fd, const char *tmp, const char *target, uint64_t *total,
		    int *rerr)
{
	static char buf[1 << 16];
	lfs2_file_t f;
	int e = lfs2_file_open(&c->lfs, &f, tmp, LFS2_O_WRONLY | LFS2_O_CREAT | LFS2_O_EXCL);
	if (e)
		return e;
	while (!e && !stop_signal) {
		ssize_t r = read(in_fd, buf, sizeof buf);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			*rerr = errno;
		if (r <= 0)
			break;
		lfs2_ssize_t w = lfs2_file_write(&c->lfs, &f, buf, (lfs2_size_t)r);
		if (w != (lfs2_ssize_t)r)
			e = w < 0 ? (int)w : LFS2_ERR_NOSPC;
		else
			*total += (uint64_t)r;
	}
	/* commits the file unless a write failed (littlefs then drops what it wrote) */
	int ce = lfs2_file_close(&c->lfs, &f);
	if (e)
		return e;
	if (*rerr || stop_signal)
		return -1;
	return ce ? ce : lfs2_rename(&c->lfs, tmp, target);
}

static int data_put(int argc, char **argv)
{
	int force = 0;
	struct strlist rest = {0};
	struct option opts[] = {
	    {OPT_BOOL, 'f', "force", &force, NULL, "replace PATH when it exists"},
	    {OPT_END, 0, NULL, NULL, NULL, NULL},
	};
	parse_options(argc, argv, opts, usage_put, &rest);
	if (rest.n != 3)
		usage_error(usage_put, rest.n > 3 ? "too many arguments"
						  : "uk data put needs a CARD, a SRC and a PATH");
	const char *src = rest.v[1], *given = rest.v[2];
	struct stat st;
	int in_fd = -1;
	int rc = put_source(src, &st, &in_fd);
	if (rc) {
		sl_free(&rest);
		return rc;
	}
	struct card c;
	char *target = NULL, *parent = NULL, *tmp = NULL;
	int replacing = 0, rerr = 0;
	uint64_t total = 0;
	rc = card_open(&c, rest.v[0], 1);
	if (!rc)
		rc = put_target(&c, given, src, force, &target, &parent, &replacing);
	if (rc)
		goto done;
	tmp = *parent ? xasprintf("%s/%s", parent, PUT_TMP) : xstrdup(PUT_TMP);
	catch_signals();
	lfs2_remove(&c.lfs, tmp); /* left by a put that was killed */
	long long used = used_bytes(&c);
	int e = put_copy(&c, in_fd, tmp, target, &total, &rerr);
	if (!e) {
		note("put %s as %s on %s (%llu bytes)", src, shown(target), c.path,
		     (unsigned long long)total);
		goto done;
	}
	if (rerr)
		rc = fail(EXIT_FAIL, NULL, "reading %s: %s; %s is as it was", src, strerror(rerr),
			  c.path);
	else if (stop_signal)
		rc = fail(EXIT_INTR, NULL, "interrupted (%s); %s is as it was",
			  strsignal(stop_signal), c.path);
	else if (e == LFS2_ERR_NOSPC) {
		char *what = used < 0
				 ? xstrdup("")
				 : xasprintf(" (%lld of its %llu bytes were in use%s)", used,
					     (unsigned long long)c.size,
					     replacing ? ", and the old file stays until the new "
							 "one is whole"
						       : "");
		rc = fail(EXIT_FAIL,
			  "free some room (uk data rm), or make /data larger (image: {data: SIZE} "
			  "in uk.yaml) and rebuild",
			  "%s: /data is full: %s (%lld bytes) does not fit%s; nothing was changed",
			  c.path, src, (long long)st.st_size, what);
		free(what);
	} else
		rc = fail(lfs_exit(e), NULL, "%s: cannot put %s as %s: %s", c.path, src,
			  shown(target), lfs_why(&c, e));
	/* whatever part of the copy was made goes; the old file (if any) was never touched */
	e = c.mounted ? lfs2_remove(&c.lfs, tmp) : 0;
	if (e && e != LFS2_ERR_NOENT)
		warning("%s: cannot remove the partial %s (%s): uk data rm it", c.path, shown(tmp),
			lfs_why(&c, e));
done:
	close(in_fd);
	free(target), free(parent), free(tmp);
	rc = card_close(&c, rc); /* c.path is in rest */
	sl_free(&rest);
	return rc;
}

/* ---- mkdir, rm ---- */

/* Opens CARD for writing and PATH in it, for mkdir and rm. */
static int two_args(int argc, char **argv, const char *usage, const char *what, struct card *c,
		    char **in, char **given)
{
	struct strlist rest = {0};
	struct option opts[] = {{OPT_END, 0, NULL, NULL, NULL, NULL}};
	parse_options(argc, argv, opts, usage, &rest);
	if (rest.n != 2)
		usage_error(usage,
			    rest.n > 2 ? "too many arguments"
				       : "uk data %s needs a CARD "
					 "and a PATH",
			    what);
	*given = xstrdup(rest.v[1]);
	*in = inner_path(rest.v[1]);
	int rc = card_open(c, rest.v[0], 1);
	c->path = xstrdup(rest.v[0]); /* outlives rest */
	sl_free(&rest);
	return rc;
}

static int data_mkdir(int argc, char **argv)
{
	struct card c;
	char *in, *given;
	int rc = two_args(argc, argv, usage_mkdir, "mkdir", &c, &in, &given);
	if (!rc && !*in)
		rc = fail(EXIT_USAGE, NULL, "%s: /data exists already", c.path);
	if (!rc) {
		int e = lfs2_mkdir(&c.lfs, in);
		if (e == LFS2_ERR_NOENT) {
			char *p = parent_of(in);
			char *h = xasprintf("make it first: uk data mkdir %s %s", c.path, p);
			rc = fail(EXIT_USAGE, h, "%s: the folder %s does not exist", c.path,
				  shown(p));
			free(h), free(p);
		} else if (e) {
			rc = path_fail(&c, given, in, e);
		} else {
			note("made the folder %s on %s", shown(in), c.path);
		}
	}
	rc = card_close(&c, rc);
	free((char *)c.path), free(in), free(given);
	return rc;
}

static int data_rm(int argc, char **argv)
{
	struct card c;
	char *in, *given;
	int rc = two_args(argc, argv, usage_rm, "rm", &c, &in, &given);
	if (!rc && !*in)
		rc = fail(EXIT_USAGE, "remove what is in it, one by one",
			  "%s: /data itself cannot be removed", c.path);
	struct lfs2_info info;
	int e = rc ? 0 : lfs2_stat(&c.lfs, in, &info);
	if (!rc && !e)
		e = lfs2_remove(&c.lfs, in);
	if (!rc && e == LFS2_ERR_NOTEMPTY) {
		char *h =
		    xasprintf("remove what is in it first (uk data ls %s %s lists it)", c.path, in);
		rc = fail(EXIT_USAGE, h, "%s: the folder %s is not empty", c.path, shown(in));
		free(h);
	} else if (!rc && e) {
		rc = path_fail(&c, given, in, e);
	} else if (!rc) {
		note("removed the %s %s from %s", info.type == LFS2_TYPE_DIR ? "folder" : "file",
		     shown(in), c.path);
	}
	rc = card_close(&c, rc);
	free((char *)c.path), free(in), free(given);
	return rc;
}

/* ---- dispatch ---- */

static const struct {
	const char *name;
	int (*fn)(int, char **);
} subcommands[] = {
    {"ls", data_ls}, {"get", data_get}, {"put", data_put}, {"mkdir", data_mkdir}, {"rm", data_rm},
};

int cmd_data(int argc, char **argv)
{
	if (argc < 2)
		usage_error(usage_data, "uk data needs a command: ls, get, put, mkdir or rm");
	const char *sub = argv[1];
	if (!strcmp(sub, "-h") || !strcmp(sub, "--help")) {
		fputs(usage_data, stdout);
		return EXIT_OK;
	}
	for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
		if (!strcmp(subcommands[i].name, sub))
			return subcommands[i].fn(argc - 1, argv + 1);
	usage_error(usage_data, "'%s' is not a uk data command; they are: ls, get, put, mkdir, rm",
		    sub);
	return EXIT_USAGE;
}
