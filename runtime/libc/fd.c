/*
 * File descriptors: 0-2 are the console, 3 to 3 + MEMP_NUM_NETCONN lwIP sockets, FILE_FD_FIRST
 * and up files (libc/file.c). The socket and file calls are weak references, so an app that
 * never opens a socket or a file does not link the network stack or the file systems just
 * because it calls write(1, ...). Descriptors are not duplicated: dup() and dup2() to another
 * number fail with ENOSYS (a console, socket or file has one number for its life).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"
#include "kernel.h"

#define SOCKET_OFFSET 3 /* LWIP_SOCKET_OFFSET in lwip_port/lwipopts.h */

extern ssize_t lwip_read(int s, void *mem, size_t len) __attribute__((weak));
extern ssize_t lwip_write(int s, const void *data, size_t size) __attribute__((weak));
extern int closesocket(int s) __attribute__((weak)); /* lwip_close under its compat name */
extern int lwip_fcntl(int s, int cmd, int val) __attribute__((weak));

extern ssize_t uk_file_read(int fd, void *buf, size_t n) __attribute__((weak));
extern ssize_t uk_file_write(int fd, const void *buf, size_t n) __attribute__((weak));
extern off_t uk_file_lseek(int fd, off_t offset, int whence) __attribute__((weak));
extern int uk_file_close(int fd) __attribute__((weak));
extern int uk_file_fstat(int fd, struct stat *st) __attribute__((weak));

static int bad_fd(void)
{
	errno = EBADF;
	return -1;
}

static bool is_file(int fd)
{
	return fd >= FILE_FD_FIRST && uk_file_close; /* no file code: no file is open */
}

ssize_t read(int fd, void *buf, size_t n)
{
	if (is_file(fd))
		return uk_file_read(fd, buf, n);
	if (fd >= SOCKET_OFFSET)
		return lwip_read ? lwip_read(fd, buf, n) : bad_fd();
	if (fd != 0)
		return bad_fd();
	char *p = buf;
	size_t got = 0;
	while (got < n) { /* like a terminal: return once a line (or the buffer) is complete */
		p[got] = (char)console_getc();
		if (p[got++] == '\n')
			break;
	}
	return (ssize_t)got;
}

ssize_t write(int fd, const void *buf, size_t n)
{
	if (is_file(fd))
		return uk_file_write(fd, buf, n);
	if (fd >= SOCKET_OFFSET)
		return lwip_write ? lwip_write(fd, buf, n) : bad_fd();
	if (fd != 1 && fd != 2)
		return bad_fd();
	console_write(buf, n);
	return (ssize_t)n;
}

int close(int fd)
{
	if (is_file(fd))
		return uk_file_close(fd);
	if (fd >= SOCKET_OFFSET)
		return closesocket ? closesocket(fd) : bad_fd();
	if (fd < 0)
		return bad_fd();
	return 0; /* the console stays */
}

off_t lseek(int fd, off_t offset, int whence)
{
	if (is_file(fd))
		return uk_file_lseek(fd, offset, whence);
	errno = fd >= 0 && fd < FILE_FD_FIRST ? ESPIPE : EBADF; /* the console, a socket */
	return -1;
}

int fstat(int fd, struct stat *st)
{
	if (is_file(fd))
		return uk_file_fstat(fd, st);
	if (fd < 0 || fd > 2)
		return bad_fd(); /* sockets: lwIP has no fstat */
	memset(st, 0, sizeof *st);
	st->st_mode = S_IFCHR | 0620; /* the console, a terminal */
	return 0;
}

int isatty(int fd)
{
	if (fd >= 0 && fd <= 2)
		return 1;
	errno = fd < 0 || (fd >= FILE_FD_FIRST && !is_file(fd)) ? EBADF : ENOTTY;
	return 0;
}

int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	va_start(ap, cmd);
	int arg = va_arg(ap, int);
	va_end(ap);
	if (fd >= SOCKET_OFFSET)
		return lwip_fcntl ? lwip_fcntl(fd, cmd, arg) : bad_fd();
	errno = fd >= 0 && fd <= 2 ? EINVAL : EBADF;
	return -1;
}

static bool valid_fd(int fd)
{
	struct stat st;
	return (fd >= 0 && fd <= 2) || (fd >= SOCKET_OFFSET && fd < FILE_FD_FIRST && lwip_read) ||
	       (is_file(fd) && uk_file_fstat(fd, &st) == 0);
}

int dup(int fd)
{
	if (!valid_fd(fd))
		return bad_fd();
	errno = ENOSYS;
	return -1;
}

int dup2(int fd, int to)
{
	if (!valid_fd(fd))
		return bad_fd();
	if (fd == to)
		return to; /* POSIX: nothing to do */
	errno = ENOSYS;
	return -1;
}
