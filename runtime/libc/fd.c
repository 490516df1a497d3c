/*
 * File descriptors: 0-2 are the console, 3 and up are lwIP sockets. The socket calls are weak
 * references, so an app that never opens a socket does not link the network stack just
 * because it calls write(1, ...).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <unistd.h>

#include "kernel.h"

#define SOCKET_OFFSET 3 /* LWIP_SOCKET_OFFSET in net/lwipopts.h */

extern ssize_t lwip_read(int s, void *mem, size_t len) __attribute__((weak));
extern ssize_t lwip_write(int s, const void *data, size_t size) __attribute__((weak));
extern int closesocket(int s) __attribute__((weak)); /* lwip_close under its compat name */
extern int lwip_fcntl(int s, int cmd, int val) __attribute__((weak));

static int bad_fd(void)
{
	errno = EBADF;
	return -1;
}

ssize_t read(int fd, void *buf, size_t n)
{
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
	if (fd >= SOCKET_OFFSET)
		return lwip_write ? lwip_write(fd, buf, n) : bad_fd();
	if (fd != 1 && fd != 2)
		return bad_fd();
	console_write(buf, n);
	return (ssize_t)n;
}

int close(int fd)
{
	if (fd >= SOCKET_OFFSET)
		return closesocket ? closesocket(fd) : bad_fd();
	if (fd < 0)
		return bad_fd();
	return 0; /* the console stays */
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
