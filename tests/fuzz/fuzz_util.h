/* Helpers the uk tool's harnesses share: its messages silenced, and one temporary directory
 * per process that the inputs are written into and that is removed at exit. */
#ifndef UK_FUZZ_UTIL_H
#define UK_FUZZ_UTIL_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char fuzz_dir[512];
static char fuzz_path[600];

static inline void fuzz_cleanup(void)
{
	if (fuzz_path[0])
		unlink(fuzz_path);
	if (fuzz_dir[0])
		rmdir(fuzz_dir);
}

/* The uk tool reports every problem on stderr: millions of inputs would bury libFuzzer's own
 * report, which keeps the original stream (it took stderr before this runs) as do the
 * sanitizers (they write to file descriptor 2). FUZZ_VERBOSE=1 keeps the messages. */
static inline void fuzz_quiet(void)
{
	const char *v = getenv("FUZZ_VERBOSE");
	if (v && *v == '1')
		return;
	FILE *null = fopen("/dev/null", "w");
	if (null)
		stderr = null;
}

/* Makes the temporary directory and names the one file in it, DIR/name. In memory (/dev/shm)
 * unless TMPDIR says otherwise: on ext4 every input rewritten with O_TRUNC is flushed to the
 * disk at its close (the replace-by-truncate heuristic), a fifth of the inputs per second. */
static inline void fuzz_tmpfile(const char *name)
{
	const char *t = getenv("TMPDIR");
	if (!t || !*t)
		t = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(fuzz_dir, sizeof fuzz_dir, "%s/uk-fuzz-XXXXXX", t);
	if (!mkdtemp(fuzz_dir)) {
		perror("mkdtemp");
		abort();
	}
	snprintf(fuzz_path, sizeof fuzz_path, "%s/%s", fuzz_dir, name);
	atexit(fuzz_cleanup);
}

/* Writes the input to the file: 0, or -1 (then the input is skipped). */
static inline int fuzz_write(const unsigned char *data, size_t len)
{
	int fd = open(fuzz_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return -1;
	int rc = write(fd, data, len) == (ssize_t)len ? 0 : -1;
	close(fd);
	return rc;
}

#endif
