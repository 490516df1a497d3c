/*
 * Test app for /data (littlefs on the card's second partition). What it does is chosen by a
 * boot argument:
 *   data.append   appends numbered 64-byte records to /data/log, each fsync'ed, printing
 *                 "ack N" once fsync returned for record N; runs until the power goes
 *   data.verify   reads /data/log back: every record must be whole and numbered in order
 *   data.fill     writes 10 records to /data/log, then /data/fill until the partition is full
 *                 (ENOSPC), then checks that /data/log is intact and that the full file system
 *                 still takes a delete
 *   data.cat=P    prints the file /data/P (a file the build seeded from the app's data/)
 *   data.format   makes a new, empty /data when it cannot be mounted (uk_fs_format)
 *   data.busy     asks uk_fs_format to format /data while a directory, then a file, is open
 * Without data.format, a /data that cannot be mounted is reported and the app goes on.
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
#include <uk/fs.h>

#define RECORD 64

static void record(char *b, long n)
{
	memset(b, 'a' + (int)(n % 26), RECORD);
	int k = snprintf(b, RECORD, "record %08ld ", n);
	b[k] = '.';
	b[RECORD - 1] = '\n';
}

static long count_records(int fd, int *bad)
{
	char got[RECORD], want[RECORD];
	long n = 0;
	ssize_t r;
	*bad = 0;
	lseek(fd, 0, SEEK_SET);
	while ((r = read(fd, got, RECORD)) == RECORD) {
		record(want, n);
		if (memcmp(got, want, RECORD)) {
			*bad = 1;
			printf("datalog: record %ld is damaged\n", n);
			return n;
		}
		n++;
	}
	if (r != 0) {
		*bad = 1;
		printf("datalog: a partial record after %ld (%zd bytes)\n", n, r);
	}
	return n;
}

static int append(void)
{
	int fd = open("/data/log", O_RDWR | O_CREAT | O_APPEND, 0644);
	if (fd < 0) {
		printf("datalog: open /data/log: %s\n", strerror(errno));
		return 1;
	}
	int bad;
	long n = count_records(fd, &bad);
	printf("datalog: %ld records before, %s\n", n, bad ? "DAMAGED" : "intact");
	for (;; n++) {
		char b[RECORD];
		record(b, n);
		if (write(fd, b, RECORD) != RECORD || fsync(fd) != 0) {
			printf("datalog: write or fsync of record %ld: %s\n", n, strerror(errno));
			return 1;
		}
		printf("ack %ld\n", n);
	}
}

static int verify(void)
{
	int fd = open("/data/log", O_RDONLY);
	if (fd < 0) {
		printf("datalog: open /data/log: %s\n", strerror(errno));
		return 1;
	}
	int bad;
	long n = count_records(fd, &bad);
	printf("datalog: verify: %ld records, %s\n", n, bad ? "DAMAGED" : "intact");
	close(fd);
	return bad;
}

static int fill(void)
{
	int fd = open("/data/log", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	for (long n = 0; n < 10; n++) {
		char b[RECORD];
		record(b, n);
		if (write(fd, b, RECORD) != RECORD) {
			printf("datalog: write record %ld: %s\n", n, strerror(errno));
			return 1;
		}
	}
	printf("datalog: 10 records written first\n");
	if (fsync(fd) != 0 || close(fd) != 0)
		return 1;
	fd = open("/data/fill", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	static char block[4096];
	long total = 0;
	ssize_t w;
	while ((w = write(fd, block, sizeof block)) > 0)
		total += w;
	int e = errno;
	int synced = fsync(fd);
	printf("datalog: full after %ld bytes: %s; fsync %s\n", total,
	       w < 0 ? strerror(e) : "no error", synced == 0 ? "ok" : strerror(errno));
	close(fd);
	int r = verify();
	printf("datalog: delete when full: %s\n",
	       unlink("/data/fill") == 0 ? "ok" : strerror(errno));
	return r;
}

int main(void)
{
	struct stat st;
	if (stat("/data", &st) < 0) {
		printf("datalog: /data: %s\n", strerror(errno));
		if (!uk_config_get("data.format"))
			return 0; /* the app still runs */
		int r = uk_fs_format("/data");
		printf("datalog: uk_fs_format: %s\n", r ? strerror(-r) : "ok");
		if (r)
			return 1;
	}
	if (uk_config_get("data.busy")) {
		DIR *d = opendir("/data");
		int with_dir = uk_fs_format("/data");
		closedir(d);
		int fd = open("/data/hello.txt", O_RDONLY);
		int with_file = uk_fs_format("/data");
		close(fd);
		printf("datalog: format with a directory open: %s, with a file open: %s\n",
		       strerror(-with_dir), strerror(-with_file));
		return 0;
	}
	const char *cat = uk_config_get("data.cat");
	if (cat) {
		char path[128], line[128];
		snprintf(path, sizeof path, "/data/%s", cat);
		FILE *f = fopen(path, "r");
		while (f && fgets(line, sizeof line, f))
			printf("datalog: %s: %s", path, line);
		if (!f)
			printf("datalog: %s: %s\n", path, strerror(errno));
		return !f || fclose(f) != 0;
	}
	if (uk_config_get("data.append"))
		return append();
	if (uk_config_get("data.fill"))
		return fill();
	if (uk_config_get("data.verify"))
		return verify();
	return 0;
}
