/* Test app: does something fatal, chosen by the boot argument fault=null|code|stack|none,
 * so the tests can check the runtime reports it and stops with a failure status. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <uk/config.h>

/* Recurses until the stack runs into its guard page (depth never goes negative). */
int recurse(volatile char *p, int depth)
{
	volatile char buf[512];
	buf[0] = (char)depth;
	if (depth < 0)
		return p[0];
	return recurse(buf, depth + 1) + buf[0];
}

static int *volatile null_pointer; /* volatile: the compiler may not see that it is NULL */

/* Global so the backtrace test can look them up by name. */
__attribute__((noinline)) void write_null(void)
{
	*null_pointer = 42;
}

__attribute__((noinline)) void write_code(void)
{
	*(volatile unsigned *)(uintptr_t)write_null = 0xd503201f; /* a NOP over our own code */
}

int main(void)
{
	const char *what = uk_config_get("fault");
	printf("fault: %s\n", what ? what : "none");
	if (!what || !strcmp(what, "none"))
		return 0;
	if (!strcmp(what, "null"))
		write_null();
	else if (!strcmp(what, "code"))
		write_code();
	else if (!strcmp(what, "stack"))
		recurse(NULL, 0);
	printf("fault: survived %s\n", what);
	return 3;
}
