/*
 * What the file systems do not keep: FAT and littlefs have no owners, permission bits, link
 * counts or links (FAT's timestamps are FatFs's fixed date until the runtime knows the time
 * of day). Setting owners, modes and times of a file that exists succeeds and changes
 * nothing, as on Linux's FAT without permission options, so programs that copy a file's
 * attributes along with its bytes (bzip2, gzip, cp -p) work; a missing file still gives
 * ENOENT. Hard and symbolic links cannot be made (EPERM, as Linux's FAT answers) and
 * readlink() finds no link to read (EINVAL for an existing file).
 */
#include <errno.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include <utime.h>

static mode_t mask = 022;

mode_t umask(mode_t m)
{
	mode_t old = mask;
	mask = m & 0777;
	return old;
}

static int exists(const char *path)
{
	struct stat st;
	return stat(path, &st);
}

static int open_fd(int fd)
{
	struct stat st;
	return fstat(fd, &st);
}

int chmod(const char *path, mode_t mode)
{
	(void)mode;
	return exists(path);
}

int fchmod(int fd, mode_t mode)
{
	(void)mode;
	return open_fd(fd);
}

int chown(const char *path, uid_t owner, gid_t group)
{
	(void)owner, (void)group;
	return exists(path);
}

int lchown(const char *path, uid_t owner, gid_t group)
{
	(void)owner, (void)group;
	return exists(path);
}

int fchown(int fd, uid_t owner, gid_t group)
{
	(void)owner, (void)group;
	return open_fd(fd);
}

int utime(const char *path, const struct utimbuf *times)
{
	(void)times;
	return exists(path);
}

int utimes(const char *path, const struct timeval times[2])
{
	(void)times;
	return exists(path);
}

int futimes(int fd, const struct timeval times[2])
{
	(void)times;
	return open_fd(fd);
}

int link(const char *from, const char *to)
{
	(void)to;
	if (exists(from))
		return -1;
	errno = EPERM;
	return -1;
}

int symlink(const char *target, const char *path)
{
	(void)target, (void)path;
	errno = EPERM;
	return -1;
}

ssize_t readlink(const char *restrict path, char *restrict buf, size_t size)
{
	(void)buf, (void)size;
	if (exists(path))
		return -1;
	errno = EINVAL; /* not a symbolic link: there are none */
	return -1;
}
