/*
 * uk/config.h: the app's settings are the boot arguments (cmdline.txt on a Pi, -append under
 * QEMU), parsed once at boot into uk_bootargs (kernel/bootargs.c's grammar and limits, the
 * same the uk tool checks at build time).
 */
#include <stdlib.h>
#include <string.h>

#include <uk/config.h>

#include "kernel.h"

const char *uk_config_get(const char *key)
{
	return bootargs_get(&uk_bootargs, key);
}

long uk_config_int(const char *key, long fallback)
{
	const char *v = uk_config_get(key);
	if (!v || !*v)
		return fallback;
	char *end;
	long n = strtol(v, &end, 0);
	return *end ? fallback : n;
}

bool uk_config_bool(const char *key, bool fallback)
{
	const char *v = uk_config_get(key);
	if (!v)
		return fallback;
	if (!*v || !strcmp(v, "1") || !strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "on"))
		return true;
	if (!strcmp(v, "0") || !strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "off"))
		return false;
	return fallback;
}

size_t uk_config_count(void)
{
	return uk_bootargs.count;
}

const char *uk_config_key(size_t i)
{
	return i < uk_bootargs.count ? uk_bootargs.key[i] : NULL;
}

const char *uk_config_value(size_t i)
{
	return i < uk_bootargs.count ? uk_bootargs.value[i] : NULL;
}
