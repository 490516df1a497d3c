/* home.c: where uk finds its runtime (UK_HOME) and the Debian download cache (UK_CACHE). */
#include "uk.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *argv0 = "uk";
const char *const uk_targets[] = {"virt", "rpi3", "rpi4", NULL};

int valid_target(const char *t)
{
	for (int i = 0; uk_targets[i]; i++)
		if (!strcmp(t, uk_targets[i]))
			return 1;
	return 0;
}

/* UK_HOME, else <dir of the uk binary>/../lib/uk: build/bin/uk finds build/lib/uk. */
const char *uk_home(void)
{
	static char *home;
	if (home)
		return home;
	const char *e = getenv("UK_HOME");
	if (e && *e) {
		home = abs_path(e);
		return home;
	}
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = 0;
		char *slash = strrchr(exe, '/');
		if (slash)
			*slash = 0;
		char *p = path_join(exe, "../lib/uk");
		home = abs_path(p);
		free(p);
	} else {
		home = xstrdup("/usr/local/lib/uk");
	}
	return home;
}

#ifndef UK_CACHE_DEFAULT
#define UK_CACHE_DEFAULT "/var/cache/uk" /* cli/Makefile passes $(UK_CACHE) */
#endif

const char *uk_cache(void)
{
	const char *e = getenv("UK_CACHE");
	return e && *e ? e : UK_CACHE_DEFAULT;
}
