/*
 * Test app: POSIX files and stdio on the card's /boot (FAT), the way an ordinary C program uses
 * them: a listing of / and /boot, a boot file read with stdio, then a file written, synced,
 * read back with pread, renamed, truncated and removed, a directory made and removed, and the
 * errors a program checks for. With the boot argument files.keep=NAME it appends a line to
 * /boot/NAME and leaves it, so the next run can see it (the card lasts from run to run); with
 * files.cat=NAME it prints /boot/NAME's size and bytes in hex (a fleet device's own key).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <uk/config.h>

static int failures;

static void check(int ok, const char *what)
{
	printf("files: %s: %s\n", what, ok ? "ok" : "FAILED");
	if (!ok) {
		printf("files:   errno %d (%s)\n", errno, strerror(errno));
		failures++;
	}
}

static void list(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d) {
		printf("files: opendir %s: %s\n", dir, strerror(errno));
		failures++;
		return;
	}
	struct dirent *e;
	printf("files: ls %s:", dir);
	while ((e = readdir(d)))
		printf(" %s%s", e->d_name, e->d_type == DT_DIR ? "/" : "");
	printf("\n");
	closedir(d);
}

int main(void)
{
	const char *cat = uk_config_get("files.cat");
	if (cat) {
		char path[128];
		unsigned char b[256];
		snprintf(path, sizeof path, "/boot/%s", cat);
		int fd = open(path, O_RDONLY);
		ssize_t n = fd >= 0 ? read(fd, b, sizeof b) : -1;
		if (n < 0) {
			printf("files: %s: %s\n", path, strerror(errno));
			return 1;
		}
		printf("files: %s: %zd bytes: ", path, n);
		for (ssize_t i = 0; i < n; i++)
			printf("%02x", b[i]);
		printf("\n");
		return close(fd) != 0;
	}
	const char *keep = uk_config_get("files.keep");
	if (keep) {
		char path[128];
		snprintf(path, sizeof path, "/boot/%s", keep);
		FILE *f = fopen(path, "a+");
		char line[64] = "";
		int lines = 0;
		if (f) {
			rewind(f);
			while (fgets(line, sizeof line, f))
				lines++;
			fprintf(f, "run %d\n", lines + 1);
		}
		check(f && fclose(f) == 0, "append a line to the kept file");
		printf("files: %s had %d lines\n", path, lines);
		return failures;
	}
	list("/");
	list("/boot");

	FILE *cfg = fopen("/boot/config.txt", "r");
	char line[256];
	int arm64 = 0;
	while (cfg && fgets(line, sizeof line, cfg))
		arm64 |= !strncmp(line, "arm_64bit=1", 11);
	check(cfg && arm64, "fopen and fgets /boot/config.txt finds arm_64bit=1");
	if (cfg)
		fclose(cfg);

	int fd = open("/boot/t.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
	check(fd >= 0, "open /boot/t.txt O_CREAT");
	const char msg[] = "hello, card\n";
	check(write(fd, msg, sizeof msg - 1) == (ssize_t)sizeof msg - 1, "write 12 bytes");
	check(fsync(fd) == 0, "fsync");
	char buf[32] = {0};
	check(pread(fd, buf, 5, 7) == 5 && !memcmp(buf, "card\n", 5), "pread 5 bytes at 7");
	check(lseek(fd, 0, SEEK_CUR) == 12, "pread leaves the offset at 12");
	check(lseek(fd, 0, SEEK_SET) == 0 && read(fd, buf, sizeof buf) == 12 &&
		  !memcmp(buf, msg, 12),
	      "lseek 0 and read back");
	struct stat st;
	check(fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 12, "fstat: 12 bytes");
	check(ftruncate(fd, 5) == 0 && fstat(fd, &st) == 0 && st.st_size == 5, "ftruncate to 5");
	check(close(fd) == 0, "close");
	check(rename("/boot/t.txt", "/boot/u.txt") == 0, "rename to u.txt");
	check(stat("/boot/t.txt", &st) < 0 && errno == ENOENT, "t.txt is gone (ENOENT)");
	check(stat("/boot/u.txt", &st) == 0 && st.st_size == 5, "stat u.txt: 5 bytes");
	/* FAT cannot let an open file's entry go: rename refuses, unlink waits for the close */
	int o = open("/boot/u.txt", O_RDONLY);
	check(o >= 0 && rename("/boot/u.txt", "/boot/v.txt") < 0 && errno == EBUSY,
	      "rename an open file: EBUSY");
	check(unlink("/boot/u.txt") == 0, "unlink an open file");
	check(pread(o, buf, 5, 0) == 5 && !memcmp(buf, "hello", 5),
	      "an unlinked open file still reads");
	check(close(o) == 0 && access("/boot/u.txt", F_OK) < 0 && errno == ENOENT,
	      "unlink u.txt: gone at the last close");
	check(mkdir("/boot/d", 0755) == 0 && stat("/boot/d", &st) == 0 && S_ISDIR(st.st_mode),
	      "mkdir /boot/d");
	check(open("/boot/d", O_RDONLY) < 0 && errno == EISDIR, "open a directory: EISDIR");
	check(rmdir("/boot/d") == 0, "rmdir /boot/d");
	check(open("/boot/missing", O_RDONLY) < 0 && errno == ENOENT,
	      "open a missing file: ENOENT");
	check(open("/nowhere/x", O_RDONLY | O_CREAT, 0644) < 0 && errno == ENOENT,
	      "a path outside the mounts: ENOENT");
	check(read(fd, buf, 1) < 0 && errno == EBADF, "read a closed descriptor: EBADF");
	FILE *t = tmpfile();
	check(t && fputs("scratch", t) >= 0 && fseek(t, 0, SEEK_SET) == 0 && fgets(buf, 8, t) &&
		  !strcmp(buf, "scratch"),
	      "tmpfile");
	if (t)
		fclose(t);
	printf("files: %d failures\n", failures);
	return failures;
}
