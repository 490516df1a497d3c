/*
 * POSIX files over fs/vfs.c: open, read, write, pread, pwrite, lseek, fstat, stat, fsync,
 * ftruncate, unlink, rename, mkdir, rmdir, access, opendir/readdir/closedir. picolibc's stdio
 * (fopen, fgets, fprintf, tmpfile) runs on these. File descriptors FILE_FD_FIRST and up (after
 * the console's 0-2 and lwIP's sockets, 3 to 3 + MEMP_NUM_NETCONN), in the same table: read(),
 * write() and close() in libc/fd.c hand them here. The current directory starts as /tmp (a
 * FAT file system in RAM: where tmpfile() and relative scratch files go); chdir() moves it. "/"
 * itself is a directory listing the mounts (/boot, /data, /tmp).
 *
 * FAT frees a file's clusters when its entry goes, and an open file keeps writing to its entry:
 * so unlink() of an open file is deferred to its last close (as POSIX promises the data stays
 * readable), and rename() of an open file is refused (EBUSY).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"
#include "vfs.h"

struct open_file {
	struct mount *m; /* NULL: a free slot */
	void *handle;
	int flags;
	char *path;	  /* inside the mount */
	bool unlink_last; /* unlinked while open: removed at the last close */
};
static struct open_file files[FILE_MAX];
static char cwd[PATH_MAX] = "/tmp";

/* Sets errno from a negative result and returns -1; passes other results on. */
static long result(long r)
{
	if (r >= 0)
		return r;
	errno = (int)-r;
	return -1;
}

static struct open_file *file_of(int fd)
{
	if (fd < FILE_FD_FIRST || fd >= FILE_FD_FIRST + FILE_MAX || !files[fd - FILE_FD_FIRST].m)
		return NULL;
	return &files[fd - FILE_FD_FIRST];
}

/* path made absolute and normal ("//", "." and ".." resolved) into out[PATH_MAX]: 0 or -errno */
static int normalise(const char *path, char *out)
{
	if (!path)
		return -EFAULT;
	if (!*path)
		return -ENOENT;
	size_t n = 0;
	char joined[PATH_MAX];
	if (path[0] != '/') { /* relative: from the current directory */
		if (snprintf(joined, sizeof joined, "%s/%s", cwd, path) >= (int)sizeof joined)
			return -ENAMETOOLONG;
		path = joined;
	}
	out[n++] = '/';
	for (const char *s = path; *s;) {
		while (*s == '/')
			s++;
		size_t l = strcspn(s, "/");
		if (!l)
			break;
		if (l == 1 && s[0] == '.') {
		} else if (l == 2 && s[0] == '.' && s[1] == '.') {
			while (n > 1 && out[n - 1] != '/')
				n--;
			if (n > 1)
				n--; /* the slash before the removed name */
		} else {
			if (n + l + 2 > PATH_MAX)
				return -ENAMETOOLONG;
			if (n > 1)
				out[n++] = '/';
			memcpy(out + n, s, l);
			n += l;
		}
		s += l;
	}
	out[n] = 0;
	return 0;
}

/* The mount and the path inside it, the card mounted first: 0, or -errno (-ENOENT outside every
 * mount; -EISDIR-like cases are the caller's). */
static int resolve(const char *path, char *buf, struct mount **m, const char **inside)
{
	int r = normalise(path, buf);
	if (r)
		return r;
	vfs_init();
	*m = vfs_lookup(buf, inside);
	return *m && !(*m)->ops ? -ENODEV : 0; /* a damaged /data, until uk_fs_format */
}

int uk_fs_format(const char *mount_point)
{
	char buf[PATH_MAX];
	const char *in;
	int r = normalise(mount_point, buf);
	if (r)
		return r;
	vfs_init();
	struct mount *m = vfs_lookup(buf, &in);
	if (!m || strcmp(in, "/"))
		return -ENOENT;
	if (strcmp(m->path, "/data"))
		return -EPERM; /* /boot holds the firmware and the kernel; /tmp is new each boot */
	for (size_t i = 0; i < FILE_MAX; i++)
		if (files[i].m == m)
			return -EBUSY;
	if (m->open_dirs)
		return -EBUSY;
	vfs_lock(m);
	r = littlefs_format(m);
	vfs_unlock(m);
	return r;
}

int open(const char *path, int flags, ...)
{
	char buf[PATH_MAX];
	struct mount *m;
	const char *in;
	int r = resolve(path, buf, &m, &in);
	if (r)
		return (int)result(r);
	if (!m)
		return (int)result(!strcmp(buf, "/") ? -EISDIR : -ENOENT);
	int slot = 0;
	while (slot < FILE_MAX && files[slot].m)
		slot++;
	if (slot == FILE_MAX)
		return (int)result(-EMFILE);
	void *h;
	vfs_lock(m);
	struct stat st;
	/* a directory is listed with opendir, not opened (FAT and littlefs open files only) */
	r = 0;
	if (m->ops->stat(m, in, &st) == 0)
		r = S_ISDIR(st.st_mode) ? -EISDIR : (flags & O_DIRECTORY) ? -ENOTDIR : 0;
	if (r == 0)
		r = m->ops->open(m, in, flags, &h);
	vfs_unlock(m);
	char *copy = r ? NULL : strdup(in);
	if (!r && !copy) {
		vfs_lock(m);
		m->ops->close(m, h);
		vfs_unlock(m);
		r = -ENOMEM;
	}
	if (r)
		return (int)result(r);
	files[slot] = (struct open_file){.m = m, .handle = h, .flags = flags, .path = copy};
	return FILE_FD_FIRST + slot;
}

int creat(const char *path, mode_t mode)
{
	return open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
}

/* How many open files name path in m (FAT compares names without case). */
static size_t open_count(struct mount *m, const char *path)
{
	size_t n = 0;
	for (size_t i = 0; i < FILE_MAX; i++)
		n += files[i].m == m && !strcasecmp(files[i].path, path);
	return n;
}

ssize_t uk_file_read(int fd, void *buf, size_t n)
{
	struct open_file *f = file_of(fd);
	if (!f)
		return result(-EBADF);
	if ((f->flags & O_ACCMODE) == O_WRONLY)
		return result(-EBADF);
	vfs_lock(f->m);
	ssize_t r = f->m->ops->read(f->m, f->handle, buf, n);
	vfs_unlock(f->m);
	return result(r);
}

ssize_t uk_file_write(int fd, const void *buf, size_t n)
{
	struct open_file *f = file_of(fd);
	if (!f || (f->flags & O_ACCMODE) == O_RDONLY)
		return result(-EBADF);
	vfs_lock(f->m);
	ssize_t r = 0;
	if (f->flags & O_APPEND) /* each write at the end, whatever the offset */
		r = f->m->ops->lseek(f->m, f->handle, 0, SEEK_END);
	if (r >= 0)
		r = f->m->ops->write(f->m, f->handle, buf, n);
	vfs_unlock(f->m);
	return result(r);
}

off_t uk_file_lseek(int fd, off_t offset, int whence)
{
	struct open_file *f = file_of(fd);
	if (!f)
		return result(-EBADF);
	vfs_lock(f->m);
	off_t r = f->m->ops->lseek(f->m, f->handle, offset, whence);
	vfs_unlock(f->m);
	return result(r);
}

int uk_file_close(int fd)
{
	struct open_file *f = file_of(fd);
	if (!f)
		return (int)result(-EBADF);
	struct mount *m = f->m;
	vfs_lock(m);
	int r = m->ops->close(m, f->handle);
	f->m = NULL;
	if (f->unlink_last && !open_count(m, f->path))
		m->ops->unlink(m, f->path);
	vfs_unlock(m);
	free(f->path);
	f->path = NULL;
	return (int)result(r);
}

/* pread and pwrite: the offset is moved, used and put back under the mount's lock, so no other
 * thread sees it moved. */
static ssize_t positioned(int fd, void *buf, size_t n, off_t offset, bool write)
{
	struct open_file *f = file_of(fd);
	if (!f || (f->flags & O_ACCMODE) == (write ? O_RDONLY : O_WRONLY))
		return result(-EBADF);
	if (offset < 0)
		return result(-EINVAL);
	vfs_lock(f->m);
	off_t was = f->m->ops->lseek(f->m, f->handle, 0, SEEK_CUR);
	ssize_t r = was;
	if (r >= 0)
		r = f->m->ops->lseek(f->m, f->handle, offset, SEEK_SET);
	if (r >= 0)
		r = write ? f->m->ops->write(f->m, f->handle, buf, n)
			  : f->m->ops->read(f->m, f->handle, buf, n);
	if (was >= 0)
		f->m->ops->lseek(f->m, f->handle, was, SEEK_SET);
	vfs_unlock(f->m);
	return result(r);
}

ssize_t pread(int fd, void *buf, size_t n, off_t offset)
{
	return positioned(fd, buf, n, offset, false);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t offset)
{
	return positioned(fd, (void *)buf, n, offset, true);
}

int fsync(int fd)
{
	struct open_file *f = file_of(fd);
	if (!f)
		return (int)result(fd >= 0 && fd <= 2 ? -EINVAL : -EBADF);
	vfs_lock(f->m);
	int r = f->m->ops->fsync(f->m, f->handle);
	vfs_unlock(f->m);
	return (int)result(r);
}

int fdatasync(int fd)
{
	return fsync(fd);
}

int ftruncate(int fd, off_t length)
{
	struct open_file *f = file_of(fd);
	if (!f || (f->flags & O_ACCMODE) == O_RDONLY)
		return (int)result(f ? -EINVAL : -EBADF);
	vfs_lock(f->m);
	int r = f->m->ops->ftruncate(f->m, f->handle, length);
	vfs_unlock(f->m);
	return (int)result(r);
}

int uk_file_fstat(int fd, struct stat *st)
{
	struct open_file *f = file_of(fd);
	if (!f)
		return (int)result(-EBADF);
	vfs_lock(f->m);
	int r = f->m->ops->fstat(f->m, f->handle, st);
	vfs_unlock(f->m);
	return (int)result(r);
}

int stat(const char *restrict path, struct stat *restrict st)
{
	char buf[PATH_MAX];
	struct mount *m;
	const char *in;
	int r = resolve(path, buf, &m, &in);
	if (r)
		return (int)result(r);
	if (!m) {
		if (strcmp(buf, "/"))
			return (int)result(-ENOENT);
		memset(st, 0, sizeof *st);
		st->st_mode = S_IFDIR | 0755;
		return 0;
	}
	vfs_lock(m);
	r = m->ops->stat(m, in, st);
	vfs_unlock(m);
	return (int)result(r);
}

int lstat(const char *restrict path, struct stat *restrict st)
{
	return stat(path, st); /* no symbolic links on FAT or littlefs */
}

int access(const char *path, int mode)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return -1;
	if ((mode & W_OK) && !(st.st_mode & S_IWUSR))
		return (int)result(-EACCES);
	return 0;
}

/* An operation on one path inside a mount. */
static int on_path(const char *path, int (*op)(struct mount *, const char *))
{
	char buf[PATH_MAX];
	struct mount *m;
	const char *in;
	int r = resolve(path, buf, &m, &in);
	if (r)
		return (int)result(r);
	if (!m || !strcmp(in, "/")) /* "/" and the mount points themselves stay */
		return (int)result(m || !strcmp(buf, "/") ? -EBUSY : -ENOENT);
	vfs_lock(m);
	r = op(m, in);
	vfs_unlock(m);
	return (int)result(r);
}

static int do_unlink(struct mount *m, const char *in)
{
	if (!open_count(m, in))
		return m->ops->unlink(m, in);
	struct stat st; /* still checked: a directory is not unlinked */
	int r = m->ops->stat(m, in, &st);
	if (r == 0 && S_ISDIR(st.st_mode))
		return -EISDIR;
	for (size_t i = 0; r == 0 && i < FILE_MAX; i++)
		if (files[i].m == m && !strcasecmp(files[i].path, in))
			files[i].unlink_last = true;
	return r;
}

static int do_rmdir(struct mount *m, const char *in)
{
	return m->ops->rmdir(m, in);
}

static int do_mkdir(struct mount *m, const char *in)
{
	return m->ops->mkdir(m, in);
}

int unlink(const char *path)
{
	return on_path(path, do_unlink);
}

int rmdir(const char *path)
{
	return on_path(path, do_rmdir);
}

int mkdir(const char *path, mode_t mode)
{
	(void)mode; /* the file systems keep no permissions */
	return on_path(path, do_mkdir);
}

int remove(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return -1;
	return S_ISDIR(st.st_mode) ? rmdir(path) : unlink(path);
}

int rename(const char *from, const char *to)
{
	char a[PATH_MAX], b[PATH_MAX];
	struct mount *ma, *mb;
	const char *ia, *ib;
	int r = resolve(from, a, &ma, &ia);
	if (!r)
		r = resolve(to, b, &mb, &ib);
	if (r)
		return (int)result(r);
	if (!ma || !mb)
		return (int)result(-ENOENT);
	if (ma != mb)
		return (int)result(-EXDEV);
	vfs_lock(ma);
	r = open_count(ma, ia) || open_count(ma, ib) ? -EBUSY : ma->ops->rename(ma, ia, ib);
	vfs_unlock(ma);
	return (int)result(r);
}

int chdir(const char *path)
{
	char buf[PATH_MAX];
	struct stat st;
	int r = normalise(path, buf);
	if (r)
		return (int)result(r);
	if (stat(buf, &st) < 0)
		return -1;
	if (!S_ISDIR(st.st_mode))
		return (int)result(-ENOTDIR);
	strcpy(cwd, buf);
	return 0;
}

char *getcwd(char *buf, size_t size)
{
	if (!buf || size <= strlen(cwd)) {
		errno = buf ? ERANGE : EINVAL;
		return NULL;
	}
	strcpy(buf, cwd);
	return buf;
}

/* ---- directories ---- */
struct uk_dir {
	struct mount *m; /* NULL: "/", listing the mounts */
	void *handle;	 /* NULL after a failed rewind */
	char *inside;	 /* the path in the mount, to rewind */
	size_t next_mount;
	struct dirent entry;
};

DIR *opendir(const char *path)
{
	char buf[PATH_MAX];
	struct mount *m;
	const char *in;
	int r = resolve(path, buf, &m, &in);
	if (!r && !m && strcmp(buf, "/"))
		r = -ENOENT;
	struct uk_dir *d = r ? NULL : calloc(1, sizeof *d);
	if (!r && !d)
		r = -ENOMEM;
	if (!r && m) {
		d->m = m;
		d->inside = strdup(in);
		vfs_lock(m);
		r = d->inside ? m->ops->opendir(m, in, &d->handle) : -ENOMEM;
		m->open_dirs += r == 0;
		vfs_unlock(m);
	}
	if (r) {
		if (d)
			free(d->inside);
		free(d);
		result(r);
		return NULL;
	}
	return d;
}

struct dirent *readdir(DIR *d)
{
	if (!d) {
		errno = EBADF;
		return NULL;
	}
	if (!d->m) {
		struct mount *m = vfs_mount_at(d->next_mount++);
		if (!m)
			return NULL;
		memset(&d->entry, 0, sizeof d->entry);
		strncpy(d->entry.d_name, m->path + 1, sizeof d->entry.d_name - 1);
		d->entry.d_type = DT_DIR;
		return &d->entry;
	}
	if (!d->handle)
		return NULL;
	vfs_lock(d->m);
	int r = d->m->ops->readdir(d->m, d->handle, &d->entry);
	vfs_unlock(d->m);
	if (r <= 0) {
		if (r < 0)
			result(r);
		return NULL;
	}
	return &d->entry;
}

int closedir(DIR *d)
{
	if (!d)
		return (int)result(-EBADF);
	int r = 0;
	if (d->m) {
		vfs_lock(d->m);
		if (d->handle)
			r = d->m->ops->closedir(d->m, d->handle);
		d->m->open_dirs--;
		vfs_unlock(d->m);
	}
	free(d->inside);
	free(d);
	return (int)result(r);
}

void rewinddir(DIR *d)
{
	if (!d)
		return;
	if (!d->m) {
		d->next_mount = 0;
		return;
	}
	/* closed and opened again: the file systems' own directory streams cannot rewind */
	vfs_lock(d->m);
	if (d->handle)
		d->m->ops->closedir(d->m, d->handle);
	d->handle = NULL;
	void *h;
	if (d->m->ops->opendir(d->m, d->inside, &h) == 0)
		d->handle = h;
	vfs_unlock(d->m);
}
