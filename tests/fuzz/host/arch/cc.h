/* lwIP's compiler and platform glue for the fuzz harnesses: lwIP on the host (glibc), in place
 * of runtime/lwip_port/arch/cc.h (picolibc). An lwIP assertion aborts: it is a finding. */
#ifndef UK_FUZZ_LWIP_ARCH_CC_H
#define UK_FUZZ_LWIP_ARCH_CC_H

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/select.h>
#include <sys/time.h>
#include <sys/types.h>

#define LWIP_ERRNO_STDINCLUDE 1
#define LWIP_RAND()	      ((u32_t)fuzz_net_random())
#define LWIP_PLATFORM_DIAG(x)                                                                      \
	do {                                                                                       \
	} while (0)
#define LWIP_PLATFORM_ASSERT(msg) fuzz_lwip_assert(msg, __FILE__, __LINE__)

unsigned long fuzz_net_random(void); /* netstack.c */
__attribute__((noreturn)) void fuzz_lwip_assert(const char *msg, const char *file, int line);

#endif
