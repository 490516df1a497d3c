/* flash_safety.c: is this device a card uk may write? Every check reads sysfs and procfs only;
 * UK_SYSFS_ROOT and UK_PROC_ROOT move /sys and /proc (the tests' fake trees).
 * The checks, each naming its reason and what overrides it:
 *   partition      a partition, not a whole disk              give the disk
 *   loop-device    a loop device                              --allow-loop
 *   not-removable  no removable flag, not on USB, MMC or a      --allow-fixed
 *                  hotplug port (removable="removable" above)
 *   read-only      the kernel's ro flag (lock switch)          nothing
 *   no-medium      size 0                                      nothing
 *   too-small      smaller than the image                      nothing
 *   holders        held by device-mapper, LVM or RAID          nothing
 *   system         holds /, /usr, /boot, /home or /var         nothing
 *   mounted        a filesystem on it is mounted               nothing (unmount it)
 *   swap           swap is active on it                        nothing (swapoff)
 *   holds-image    the image file lives on it (or backs it)    nothing
 *   serial, size   --expect-serial / --expect-size differ      nothing */
#define _GNU_SOURCE
#include "flash.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static char *rooted(const char *env, const char *prefix, const char *p)
{
	const char *root = getenv(env);
	size_t l = strlen(prefix);
	if (root && *root && !strncmp(p, prefix, l))
		return xasprintf("%s%s", root, p + l);
	return xstrdup(p);
}

char *sys_path(const char *p)
{
	return rooted("UK_SYSFS_ROOT", "/sys", p);
}

char *proc_path(const char *p)
{
	return rooted("UK_PROC_ROOT", "/proc", p);
}

/* One sysfs attribute, trimmed; "" when absent. */
static char *attr(const char *dir, const char *name)
{
	char *p = path_join(dir, name), *s = NULL;
	if (read_file(p, &s, NULL) < 0)
		s = xstrdup("");
	free(p);
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = 0;
	size_t i = 0;
	while (s[i] == ' ')
		i++;
	memmove(s, s + i, n - i + 1);
	return s;
}

static const char *base(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

char *human_size(uint64_t b)
{
	if (b >= (1ull << 30))
		return xasprintf("%.1f GiB", (double)b / (1ull << 30));
	if (b >= (1ull << 20))
		return xasprintf("%.1f MiB", (double)b / (1ull << 20));
	return xasprintf("%llu bytes", (unsigned long long)b);
}

/* The serial of the USB device above a disk (usb-storage puts it there). */
static char *usb_serial(const char *sysdir)
{
	char *d = xstrdup(sysdir);
	char *s = NULL;
	while (!s) {
		char *slash = strrchr(d, '/');
		if (!slash || slash == d)
			break;
		*slash = 0;
		char *idv = path_join(d, "idVendor");
		if (file_exists(idv))
			s = attr(d, "serial");
		free(idv);
	}
	free(d);
	return s ? s : xstrdup("");
}

/* Hotplug, as lsblk sees it: a device above the disk says removable="removable" (a hot-pluggable
 * port, e.g. USB or Thunderbolt). */
static int hotplug(const char *sysdir)
{
	char *d = xstrdup(sysdir);
	int hot = 0;
	char *devices = strstr(d, "/devices/");
	while (!hot && devices) {
		char *slash = strrchr(d, '/');
		if (!slash || slash <= devices)
			break;
		*slash = 0;
		char *v = attr(d, "removable");
		hot = !strcmp(v, "removable");
		free(v);
	}
	free(d);
	return hot;
}

static void fill(struct target_info *t)
{
	char *s = attr(t->sysdir, "size");
	t->size = strtoull(s, NULL, 10) * 512;
	free(s);
	s = attr(t->sysdir, "ro");
	t->ro = !strcmp(s, "1");
	free(s);
	s = attr(t->sysdir, "removable");
	t->removable = !strcmp(s, "1");
	free(s);
	char *part = path_join(t->sysdir, "partition");
	t->is_partition = file_exists(part);
	free(part);
	t->is_loop = !strncmp(t->name, "loop", 4);
	const char *sd = t->sysdir;
	if (t->is_loop)
		t->bus = xstrdup("loop");
	else if (strstr(sd, "/usb"))
		t->bus = xstrdup("usb");
	else if (strstr(sd, "/mmc"))
		t->bus = xstrdup("mmc");
	else if (strstr(sd, "/nvme"))
		t->bus = xstrdup("nvme");
	else if (strstr(sd, "/virtio"))
		t->bus = xstrdup("virtio");
	else if (strstr(sd, "/ata"))
		t->bus = xstrdup("ata");
	else if (strstr(sd, "/host"))
		t->bus = xstrdup("scsi");
	else
		t->bus = xstrdup(strstr(sd, "/virtual/") ? "virtual" : "unknown");
	if (!strcmp(t->bus, "usb") || !strcmp(t->bus, "mmc"))
		t->removable = 1;
	if (!t->removable && !t->is_loop && hotplug(t->sysdir))
		t->removable = 1;

	char *dev = path_join(t->sysdir, "device");
	char *vendor = attr(dev, "vendor"), *model = attr(dev, "model");
	if (!*model) {
		free(model);
		model = attr(dev, "name"); /* MMC/SD: the card's product name */
	}
	t->model = *vendor && *model ? xasprintf("%s %s", vendor, model) : xstrdup(model);
	free(vendor), free(model);
	t->serial = attr(dev, "serial"); /* MMC/SD, NVMe */
	if (!*t->serial) {
		free(t->serial);
		t->serial = !strcmp(t->bus, "usb") ? usb_serial(t->sysdir) : xstrdup("");
	}
	free(dev);
	if (t->is_loop) {
		t->backing = attr(t->sysdir, "loop/backing_file");
		if (!*t->model) {
			free(t->model);
			t->model = xasprintf("loop on %s", *t->backing ? t->backing : "nothing");
		}
	}
}

/* The size and the lock switch from the open device itself, not from a name. */
static void read_open_device(struct target_info *t)
{
	uint64_t bytes = 0;
	int ro = 0;
	if (ioctl(t->fd, BLKGETSIZE64, &bytes) == 0)
		t->size = bytes;
	if (ioctl(t->fd, BLKROGET, &ro) == 0 && ro)
		t->ro = 1;
}

/* The open target's identity: what a re-resolved path must still name. */
static int same_file(const struct stat *a, const struct stat *b)
{
	if ((a->st_mode & S_IFMT) != (b->st_mode & S_IFMT))
		return 0;
	if (S_ISBLK(a->st_mode))
		return a->st_rdev == b->st_rdev;
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* Opens the target once, before any check, so that every check and the write see the same
 * device or file: the path is resolved (a /dev/disk/by-id link is fine) and the result is
 * opened with O_NOFOLLOW; a path that does not exist becomes a new file (O_CREAT|O_EXCL). The
 * descriptor is read-only and not exclusive (a mounted card must still be described);
 * flash_open() reopens this very descriptor for writing. */
static int open_target(const char *path, struct target_info *t, struct stat *st)
{
	char real[PATH_MAX];
	if (realpath(path, real)) {
		t->resolved = xstrdup(real);
		t->fd = open(real, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	} else if (errno == ENOENT && strncmp(path, "/dev/", 5)) {
		/* a new plain file: create it now, so nothing can be put in its place later */
		t->fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		t->created = t->fd >= 0;
		char *abs = abs_path(path);
		t->resolved = abs;
	}
	if (t->fd < 0 || fstat(t->fd, st) < 0) {
		error("cannot use %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int target_probe(const char *path, struct target_info *t)
{
	memset(t, 0, sizeof *t);
	t->fd = -1;
	t->path = xstrdup(path);
	struct stat st;
	if (open_target(path, t, &st) < 0)
		return -1;
	t->ident = st;
	if (S_ISREG(st.st_mode)) {
		t->name = xstrdup(base(path));
		t->bus = xstrdup("file");
		t->model = xstrdup(t->created ? "a new file" : "a plain file");
		t->serial = xstrdup("");
		t->size = (uint64_t)st.st_size;
		t->removable = 1;
		t->maj = major(st.st_dev), t->min = minor(st.st_dev);
		return 0;
	}
	if (!S_ISBLK(st.st_mode)) {
		error("%s is neither a block device nor a plain file", path);
		hint("give the card's device, e.g. /dev/sdb or /dev/mmcblk0 ('uk devices' lists "
		     "them)");
		return -1;
	}
	t->is_block = 1;
	t->maj = major(st.st_rdev), t->min = minor(st.st_rdev);
	char *link = xasprintf("/sys/dev/block/%u:%u", t->maj, t->min), *sp = sys_path(link);
	char real[PATH_MAX];
	free(link);
	if (!realpath(sp, real)) {
		error("%s: no sysfs entry %s, so uk cannot check what it is", path, sp);
		free(sp);
		return -1;
	}
	free(sp);
	t->sysdir = xstrdup(real);
	t->name = xstrdup(base(real));
	fill(t);
	read_open_device(t);
	return 0;
}

int target_probe_name(const char *name, struct target_info *t)
{
	memset(t, 0, sizeof *t);
	t->fd = -1;
	char *l = xasprintf("/sys/block/%s", name), *sp = sys_path(l);
	char real[PATH_MAX];
	free(l);
	if (!realpath(sp, real)) {
		free(sp);
		return -1;
	}
	free(sp);
	t->path = xasprintf("/dev/%s", name);
	t->sysdir = xstrdup(real);
	t->name = xstrdup(name);
	t->is_block = 1;
	char *d = attr(real, "dev");
	if (sscanf(d, "%u:%u", &t->maj, &t->min) != 2)
		t->maj = t->min = 0;
	free(d);
	fill(t);
	return 0;
}

void target_free(struct target_info *t)
{
	if (t->fd >= 0)
		close(t->fd);
	free(t->resolved);
	free(t->path), free(t->name), free(t->sysdir), free(t->model), free(t->serial);
	free(t->bus), free(t->backing);
	memset(t, 0, sizeof *t);
}

static void refuse(struct refusals *r, const char *code, const char *fix, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void refuse(struct refusals *r, const char *code, const char *fix, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		exit(EXIT_FAIL);
	va_end(ap);
	r->v = xrealloc(r->v, (r->n + 1) * sizeof *r->v);
	r->v[r->n].code = xstrdup(code);
	r->v[r->n].reason = msg;
	r->v[r->n].fix = xstrdup(fix);
	r->n++;
}

void refusals_free(struct refusals *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i].code), free(r->v[i].reason), free(r->v[i].fix);
	free(r->v);
	r->v = NULL, r->n = 0;
}

/* The disk and its partitions: names and device numbers. */
struct parts {
	struct strlist names;
	unsigned maj[256], min[256];
};

static void list_parts(const struct target_info *t, struct parts *p)
{
	memset(p, 0, sizeof *p);
	sl_push(&p->names, t->name);
	p->maj[0] = t->maj, p->min[0] = t->min;
	DIR *d = opendir(t->sysdir);
	struct dirent *e;
	while (d && (e = readdir(d)) && p->names.n < 256) {
		if (e->d_name[0] == '.')
			continue;
		char *sub = path_join(t->sysdir, e->d_name), *pf = path_join(sub, "partition");
		if (file_exists(pf)) {
			char *dv = attr(sub, "dev");
			unsigned a = 0, b = 0;
			if (sscanf(dv, "%u:%u", &a, &b) == 2) {
				p->maj[p->names.n] = a, p->min[p->names.n] = b;
				sl_push(&p->names, e->d_name);
			}
			free(dv);
		}
		free(sub), free(pf);
	}
	if (d)
		closedir(d);
}

static int part_index(const struct parts *p, unsigned a, unsigned b, const char *devname)
{
	for (size_t i = 0; i < p->names.n; i++) {
		if ((a || b) && p->maj[i] == a && p->min[i] == b)
			return (int)i;
		if (devname && !strcmp(devname, p->names.v[i]))
			return (int)i;
	}
	return -1;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo */
static void unescape(char *s)
{
	char *o = s;
	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '7' && s[2] && s[3]) {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = 0;
}

static const char *const system_mounts[] = {"/",     "/usr",	       "/boot", "/boot/efi",
					    "/home", "/boot/firmware", "/var",	NULL};

static void check_mounts(const struct target_info *t, const struct parts *p, struct refusals *r)
{
	char *mi = proc_path("/proc/self/mountinfo"), *text = NULL;
	if (read_file(mi, &text, NULL) < 0) {
		refuse(r, "mounts-unknown", "no flag overrides this: mount /proc",
		       "cannot read %s, so uk cannot tell whether %s is mounted", mi, t->path);
		free(mi);
		return;
	}
	free(mi);
	/* the mount points of each partition (bind mounts repeat a device: listed once) */
	struct strlist *mps = xmalloc(p->names.n * sizeof *mps);
	memset(mps, 0, p->names.n * sizeof *mps);
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct strlist f = {0};
		char *s2 = NULL;
		for (char *w = strtok_r(line, " ", &s2); w; w = strtok_r(NULL, " ", &s2))
			sl_push(&f, w);
		size_t dash = 0;
		for (size_t i = 6; i < f.n; i++)
			if (!strcmp(f.v[i], "-")) {
				dash = i;
				break;
			}
		if (f.n < 5 || !dash || dash + 2 >= f.n) {
			sl_free(&f);
			continue;
		}
		unsigned a = 0, b = 0;
		sscanf(f.v[2], "%u:%u", &a, &b);
		char *mp = f.v[4], *src = f.v[dash + 2];
		unescape(mp), unescape(src);
		const char *srcname = !strncmp(src, "/dev/", 5) ? base(src) : NULL;
		int i = part_index(p, a, b, srcname);
		if (i >= 0 && !sl_has(&mps[i], mp))
			sl_push(&mps[i], mp);
		sl_free(&f);
	}
	free(text);
	for (size_t i = 0; i < p->names.n; i++) {
		if (!mps[i].n)
			continue;
		struct strlist sys = {0};
		for (size_t k = 0; k < mps[i].n; k++)
			for (int s = 0; system_mounts[s]; s++)
				if (!strcmp(mps[i].v[k], system_mounts[s]))
					sl_push(&sys, mps[i].v[k]);
		char *list = sl_join(sys.n ? &sys : &mps[i], " ");
		if (sys.n) {
			refuse(r, "system", "no flag overrides this: it is part of this system",
			       "%s holds this system's %s (/dev/%s)", t->path, list, p->names.v[i]);
		} else {
			char *fix = xasprintf(
			    "no flag overrides this: unmount it first (umount %s)", mps[i].v[0]);
			refuse(r, "mounted", fix, "/dev/%s is mounted on %s", p->names.v[i], list);
			free(fix);
		}
		free(list);
		sl_free(&sys), sl_free(&mps[i]);
	}
	free(mps);
}

static void check_swaps(const struct target_info *t, const struct parts *p, struct refusals *r)
{
	char *sw = proc_path("/proc/swaps"), *text = NULL;
	if (read_file(sw, &text, NULL) == 0) {
		char *save = NULL;
		for (char *line = strtok_r(text, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			char *sp = strpbrk(line, " \t");
			if (sp)
				*sp = 0;
			unescape(line);
			if (strncmp(line, "/dev/", 5))
				continue;
			int i = part_index(p, 0, 0, base(line));
			if (i >= 0)
				refuse(r, "swap", "no flag overrides this: swapoff it first",
				       "%s holds active swap (/dev/%s)", t->path, p->names.v[i]);
		}
		free(text);
	}
	free(sw);
}

static void check_holders(const struct target_info *t, const struct parts *p, struct refusals *r)
{
	for (size_t i = 0; i < p->names.n; i++) {
		char *dir = i ? xasprintf("%s/%s/holders", t->sysdir, p->names.v[i])
			      : path_join(t->sysdir, "holders");
		DIR *d = opendir(dir);
		struct dirent *e;
		while (d && (e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			refuse(
			    r, "holders",
			    "no flag overrides this: stop what holds it (dmsetup remove, vgchange "
			    "-an, mdadm --stop)",
			    "/dev/%s is held by %s (device-mapper, LVM or RAID)", p->names.v[i],
			    e->d_name);
		}
		if (d)
			closedir(d);
		free(dir);
	}
}

static int size_matches(uint64_t have, const char *want)
{
	uint64_t w;
	if (parse_size(want, &w) < 0)
		return 0;
	size_t l = strlen(want);
	if (l && want[l - 1] >= '0' && want[l - 1] <= '9')
		return have == w; /* bytes: exact */
	/* with a unit, the label on the card: within 10% (a "32G" card holds 31.9e9 bytes) */
	return (double)have >= 0.9 * (double)w && (double)have <= 1.1 * (double)w;
}

size_t target_check(const struct target_info *t, const struct safety_opts *o, struct refusals *r)
{
	struct stat ist;
	int have_img = o->image && stat(o->image, &ist) == 0;
	if (!t->is_block) {
		struct stat st;
		int opened = t->fd >= 0 && fstat(t->fd, &st) == 0;
		if (have_img && opened && st.st_dev == ist.st_dev && st.st_ino == ist.st_ino)
			refuse(r, "holds-image", "no flag overrides this: write to another file",
			       "%s is the image file itself", t->path);
		else if (t->size && !o->overwrite_file) {
			/* an existing file is replaced only when it looks like a disk image */
			unsigned char s0[512] = {0};
			ssize_t n = opened ? pread(t->fd, s0, sizeof s0, 0) : -1;
			size_t got = n > 0 ? (size_t)n : 0;
			int zero = 1;
			for (size_t i = 0; i < sizeof s0; i++)
				zero &= s0[i] == 0;
			if (got < sizeof s0 || (!zero && (s0[510] != 0x55 || s0[511] != 0xaa)))
				refuse(
				    r, "not-an-image", "--overwrite-file",
				    "%s is an existing file that does not look like a disk image "
				    "(no MBR)",
				    t->path);
		}
		return r->n;
	}
	if (t->is_partition) {
		char *disk = xstrdup(t->sysdir);
		*strrchr(disk, '/') = 0;
		refuse(r, "partition", "no flag overrides this: give the whole device",
		       "%s is a partition; uk writes whole cards: /dev/%s", t->path, base(disk));
		free(disk);
		return r->n;
	}
	if (t->is_loop && !o->allow_loop)
		refuse(r, "loop-device", "--allow-loop", "%s is a loop device (on %s), not a card",
		       t->path, t->backing && *t->backing ? t->backing : "nothing");
	if (t->is_loop && have_img && t->backing && *t->backing) {
		struct stat bst;
		if (stat(t->backing, &bst) == 0 && bst.st_dev == ist.st_dev &&
		    bst.st_ino == ist.st_ino)
			refuse(r, "holds-image", "no flag overrides this",
			       "%s is backed by the image file itself", t->path);
	}
	if (!t->is_loop && !t->removable && !o->allow_fixed)
		refuse(r, "not-removable", "--allow-fixed, if you are sure it is the card",
		       "%s is not removable: no removable flag, not on a USB or MMC bus, not "
		       "hot-pluggable (bus: %s)",
		       t->path, t->bus);
	if (t->ro)
		refuse(r, "read-only",
		       "no flag overrides this: slide the card's lock switch, or use another "
		       "reader",
		       "%s is read-only", t->path);
	if (t->size == 0)
		refuse(r, "no-medium", "no flag overrides this: insert a card",
		       "%s has no medium (size 0)", t->path);
	else if (o->image_size && t->size < o->image_size) {
		char *a = human_size(t->size), *b = human_size(o->image_size);
		refuse(r, "too-small", "no flag overrides this: use a bigger card",
		       "%s (%s) is smaller than the image (%s)", t->path, a, b);
		free(a), free(b);
	}
	struct parts p;
	list_parts(t, &p);
	check_holders(t, &p, r);
	check_mounts(t, &p, r);
	check_swaps(t, &p, r);
	if (have_img) {
		int i = part_index(&p, major(ist.st_dev), minor(ist.st_dev), NULL);
		if (i >= 0)
			refuse(r, "holds-image",
			       "no flag overrides this: copy the image to another disk first",
			       "%s holds the image file itself (%s is on /dev/%s)", t->path,
			       o->image, p.names.v[i]);
	}
	sl_free(&p.names);
	if (o->expect_serial && strcmp(o->expect_serial, t->serial))
		refuse(r, "serial", "no flag overrides this: check which card is in the reader",
		       "%s has serial '%s', not '%s' (--expect-serial)", t->path, t->serial,
		       o->expect_serial);
	if (o->expect_size && !size_matches(t->size, o->expect_size))
		refuse(r, "size", "no flag overrides this: check which card is in the reader",
		       "%s holds %llu bytes, not %s (--expect-size)", t->path,
		       (unsigned long long)t->size, o->expect_size);
	return r->n;
}

void refusals_json(struct json *j, const char *key, const struct refusals *r)
{
	json_key(j, key);
	json_arr(j);
	for (size_t i = 0; i < r->n; i++) {
		json_obj(j);
		json_kstr(j, "code", r->v[i].code);
		json_kstr(j, "reason", r->v[i].reason);
		json_kstr(j, "override", r->v[i].fix);
		json_end_obj(j);
	}
	json_end_arr(j);
}

int target_recheck(struct target_info *t, const struct safety_opts *o, struct refusals *r)
{
	struct stat now, named;
	char real[PATH_MAX];
	int gone = fstat(t->fd, &now) < 0 || !same_file(&now, &t->ident);
	int moved = !realpath(t->path, real) || stat(real, &named) < 0 || !same_file(&named, &now);
	if (gone || moved) {
		refuse(r, "target-changed",
		       "no flag overrides this: check what the path names, then run uk flash again",
		       "%s no longer names the %s uk checked (%s): something changed it while you "
		       "were asked",
		       t->path, t->is_block ? "device" : "file", t->resolved);
		return r->n;
	}
	if (t->is_block) {
		read_open_device(t);
	} else {
		t->size = (uint64_t)now.st_size;
	}
	return target_check(t, o, r);
}

void target_discard(struct target_info *t)
{
	struct stat named;
	/* a file this run created and never wrote goes again, if the path still names it */
	if (t->created && t->fd >= 0 && lstat(t->path, &named) == 0 && same_file(&named, &t->ident))
		unlink(t->path);
	t->created = 0;
}
