/* Boot arguments, on both sides of the card:
 *   - the runtime's parser (runtime/kernel/bootargs.c, its symbols renamed rt_* here) on the
 *     whole input as a command line: what it stores must obey its own grammar and limits;
 *   - the uk tool's (cli/manifest/bootargs.c): each line of the input is one --append KEY=VALUE for
 *     bootarg_split; when the tool accepts the set (bootargs_problem finds nothing), the line
 *     it writes to cmdline.txt (bootargs_format) must parse on the board to the very same
 *     arguments with no warning: what uk accepts, the board takes (issue 17.9). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define bootargs       rt_bootargs
#define bootargs_parse rt_bootargs_parse
#define bootargs_get   rt_bootargs_get
#include "kernel.h"
#undef bootargs
#undef bootargs_parse
#undef bootargs_get

#include "fuzz_util.h"
#include "uk.h"

static unsigned warnings;
static void warn(const char *arg, size_t len, const char *why)
{
	(void)arg, (void)len, (void)why;
	warnings++;
}

static int key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

/* What the runtime stored obeys its grammar: keys of 1-63 key characters, values of at most
 * 255 bytes without quotes or blanks outside quotes, each key once, all inside buf. */
static void check_runtime(const struct rt_bootargs *ba)
{
	if (ba->count > BOOTARGS_MAX)
		abort();
	const char *lo = ba->buf, *hi = ba->buf + sizeof(ba->buf);
	for (size_t i = 0; i < ba->count; i++) {
		const char *k = ba->key[i], *v = ba->value[i];
		if (k < lo || k >= hi || v < lo || v >= hi)
			abort();
		size_t kl = strlen(k), vl = strlen(v);
		if (kl == 0 || kl > BOOTARG_KEY_MAX || vl > BOOTARG_VALUE_MAX || strchr(v, '"'))
			abort();
		for (size_t j = 0; j < kl; j++)
			if (!key_char(k[j]))
				abort();
		for (size_t j = 0; j < i; j++)
			if (!strcmp(ba->key[j], k))
				abort();
		if (rt_bootargs_get(ba, k) != v)
			abort();
	}
}

static struct rt_bootargs rt;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fuzz_quiet();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;

	warnings = 0;
	rt_bootargs_parse(&rt, text, warn);
	check_runtime(&rt);

	struct bootargs b = {0};
	int refused = 0;
	for (char *line = text, *next; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		const char *why = NULL;
		if (bootarg_split(line, &b, &why) < 0) {
			if (!why)
				abort(); /* a refusal says why */
			refused = 1;
		}
	}
	char *problem = bootargs_problem(&b);
	if (!problem && !refused) {
		char *line = bootargs_format(&b);
		warnings = 0;
		rt_bootargs_parse(&rt, line, warn);
		check_runtime(&rt);
		if (warnings || rt.count != b.keys.n)
			abort(); /* the board would drop what uk accepted */
		for (size_t i = 0; i < b.keys.n; i++) {
			const char *v = rt_bootargs_get(&rt, b.keys.v[i]);
			if (!v || strcmp(v, b.values.v[i]))
				abort(); /* or read another value */
		}
		free(line);
	}
	free(problem);
	bootargs_free(&b);
	free(text);
	return 0;
}
