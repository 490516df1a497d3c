/*
 * sysconf(): the limits of this system, for programs that size buffers or tables by them.
 * One core, 4 KiB pages, clock ticks of CLOCKS_PER_SEC (times() counts in them), and as many
 * open descriptors as the table has (console, sockets, files: libc/fd.c).
 */
#include <errno.h>
#include <limits.h>
#include <time.h>
#include <unistd.h>

#include <uk/system.h>

#include "file.h"

#define PAGE 4096

long sysconf(int name)
{
	switch (name) {
	case _SC_CLK_TCK:
		return CLOCKS_PER_SEC;
	case _SC_PAGESIZE:
		return PAGE;
	case _SC_NPROCESSORS_CONF:
	case _SC_NPROCESSORS_ONLN:
		return 1;
	case _SC_PHYS_PAGES:
		return (long)(uk_system()->ram_size / PAGE);
	case _SC_OPEN_MAX:
		return FILE_FD_FIRST + FILE_MAX;
	case _SC_ARG_MAX:
		return 256; /* app.args holds at most 255 characters */
	case _SC_CHILD_MAX:
		return 0;
	case _SC_HOST_NAME_MAX:
		return 255;
	case _SC_LINE_MAX:
		return 2048;
	case _SC_NGROUPS_MAX:
		return 0;
	case _SC_TTY_NAME_MAX:
		return 32;
	case _SC_LOGIN_NAME_MAX:
		return 256;
	case _SC_SYMLOOP_MAX:
		return 0;
	case _SC_IOV_MAX:
		return 1024;
	}
	errno = EINVAL;
	return -1;
}

int getpagesize(void)
{
	return PAGE;
}
