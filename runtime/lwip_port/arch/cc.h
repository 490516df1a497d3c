/* lwIP's compiler and platform glue for uk: picolibc, little-endian AArch64, panics on asserts. */
#ifndef UK_LWIP_ARCH_CC_H
#define UK_LWIP_ARCH_CC_H

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>	/* one O_NONBLOCK for lwIP and apps: picolibc's */
#include <sys/select.h> /* one fd_set for lwIP and apps: picolibc's */
#include <sys/time.h>
#include <sys/types.h>

/* picolibc declares ssize_t but (outside POSIX mode) not SSIZE_MAX, by which lwIP knows it. */
#ifndef SSIZE_MAX
#define SSIZE_MAX LONG_MAX
#endif

/* picolibc's <sys/types.h> already gives BYTE_ORDER (little endian on AArch64). */
#define LWIP_ERRNO_STDINCLUDE 1
#define LWIP_RAND()	      ((u32_t)uk_net_random())
#define LWIP_PLATFORM_DIAG(x)                                                                      \
	do {                                                                                       \
		printf x;                                                                          \
	} while (0)
#define LWIP_PLATFORM_ASSERT(msg) uk_lwip_assert(msg, __FILE__, __LINE__)

unsigned long uk_net_random(void); /* lwip_port/random.c */
__attribute__((noreturn)) void uk_lwip_assert(const char *msg, const char *file, int line);

#endif
