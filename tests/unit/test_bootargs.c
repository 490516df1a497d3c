/* Host unit tests for the boot-argument parser (runtime/kernel/bootargs.c). */
#include <string.h>

#include "kernel.h"
#include "tap.h"

static char warned[1024];
static int warnings;
static void warn(const char *arg, size_t len, const char *why)
{
	warnings++;
	snprintf(warned + strlen(warned), sizeof(warned) - strlen(warned), "[%.*s: %s]", (int)len,
		 arg, why);
}

static struct bootargs ba;
static void parse(const char *s)
{
	warned[0] = '\0';
	warnings = 0;
	bootargs_parse(&ba, s, warn);
}

static int eq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

int main(void)
{
	parse("a=1 b=two  c=\"x y\"\tflag");
	CHECK(ba.count == 4 && warnings == 0, "four arguments, no warnings");
	CHECK(eq(bootargs_get(&ba, "a"), "1") && eq(bootargs_get(&ba, "b"), "two"), "plain values");
	CHECK(eq(bootargs_get(&ba, "c"), "x y"), "quoted value keeps its space");
	CHECK(eq(bootargs_get(&ba, "flag"), ""), "bare word is a flag with an empty value");
	CHECK(bootargs_get(&ba, "missing") == NULL, "absent key gives NULL");

	parse("k=1 k=2");
	CHECK(ba.count == 1 && eq(bootargs_get(&ba, "k"), "2"),
	      "last value wins for a repeated key");

	parse("=x good=1");
	CHECK(warnings == 1 && strstr(warned, "missing key"), "empty key is reported");
	CHECK(eq(bootargs_get(&ba, "good"), "1"), "arguments after a bad one still count");

	parse("b@d=1 x=\"unterminated");
	CHECK(warnings == 2 && strstr(warned, "key may hold only") &&
		  strstr(warned, "unterminated quote"),
	      "bad key character and unterminated quote are reported: %s", warned);
	CHECK(ba.count == 0, "and skipped");

	parse("a=x\"y\"");
	CHECK(warnings == 1 && strstr(warned, "quote in the middle"), "stray quote rejected");

	char big[600];
	memset(big, 'v', sizeof(big));
	memcpy(big, "long=", 5);
	big[5 + 256] = '\0';
	parse(big);
	CHECK(warnings == 1 && strstr(warned, "value longer than 255"), "256-char value rejected");
	big[5 + 255] = '\0';
	parse(big);
	CHECK(warnings == 0 && strlen(bootargs_get(&ba, "long")) == 255, "255-char value accepted");

	memset(big, 'k', 64);
	strcpy(big + 64, "=1");
	parse(big);
	CHECK(warnings == 1 && strstr(warned, "key longer than 63"), "64-char key rejected");

	/* More arguments than fit: the first 128 are kept, the rest reported. */
	static char many[8192];
	many[0] = '\0';
	for (int i = 0; i < 130; i++)
		sprintf(many + strlen(many), "k%d=%d ", i, i);
	parse(many);
	CHECK(ba.count == BOOTARGS_MAX && warnings == 2, "128 kept, 2 reported (%d)", warnings);
	CHECK(eq(bootargs_get(&ba, "k127"), "127") && !bootargs_get(&ba, "k128"),
	      "first ones kept");

	/* A command line longer than the buffer: what fits is kept, the rest reported. */
	static char huge[32768];
	huge[0] = '\0';
	for (int i = 0; i < 100; i++)
		sprintf(huge + strlen(huge), "key%d=%0200d ", i, 0);
	parse(huge);
	CHECK(ba.count > 10 && ba.count < 100 && warnings == (int)(100 - ba.count),
	      "oversized command line: %zu kept, %d reported", ba.count, warnings);

	parse(NULL);
	CHECK(ba.count == 0, "no command line");
	parse("   ");
	CHECK(ba.count == 0 && warnings == 0, "blank command line");
	/* app.args: main's argv, split as a shell would */
	char words[64], *av[8];
	int n = bootargs_split("  -d  -k file.bz2 ", words, sizeof words, av, 8);
	CHECK(n == 3 && eq(av[0], "-d") && eq(av[1], "-k") && eq(av[2], "file.bz2"),
	      "app.args: blanks separate words");
	n = bootargs_split("-c 'a b' x\\ y \\'q\\' '' \"d q\"", words, sizeof words, av, 8);
	CHECK(n == 6 && eq(av[1], "a b") && eq(av[2], "x y") && eq(av[3], "'q'") && eq(av[4], "") &&
		  eq(av[5], "d q"),
	      "app.args: quotes, backslashes and empty words");
	CHECK(bootargs_split("'a\\b'", words, sizeof words, av, 8) == 1 && eq(av[0], "a\\b"),
	      "app.args: a backslash is literal inside single quotes");
	CHECK(bootargs_split("", words, sizeof words, av, 8) == 0,
	      "app.args: empty gives no words");
	CHECK(bootargs_split("a 'b", words, sizeof words, av, 8) == -1,
	      "app.args: an unterminated quote is refused");
	CHECK(bootargs_split("a b c", words, sizeof words, av, 2) == -1,
	      "app.args: more words than argv holds are refused");
	CHECK(bootargs_split("abcdef", words, 6, av, 8) == -1 &&
		  bootargs_split("abcde", words, 6, av, 8) == 1,
	      "app.args: the buffer bound holds, its terminator included");

	return TAP_DONE();
}
