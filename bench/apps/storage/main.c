/*
 * Storage benchmark (issue 11), one source for uk and for the Debian arm64 Linux guest that
 * bench/storage.sh runs next to it on the same QEMU virtio-blk disk:
 *   write    a new 32 MiB file in 64 KiB write() calls, then fsync: MiB/s
 *   read     the same file back in 64 KiB read() calls, from the disk (Linux: the page cache
 *            dropped first; uk's block cache is far smaller than the file): MiB/s
 *   append   APPENDS records of 64 bytes to a new file opened O_APPEND, each followed by
 *            fsync: appends/s
 * It prints one line, "storage: write_us=W read_us=R append_us=A appends=N bytes=B", which
 * bench/storage.sh reads, and ends (uk: main returns and QEMU exits; Linux: power off).
 * On uk the file system is /data (littlefs on the card's second partition, uk.yaml
 * image: {data: 64M}). On Linux this program is /init of an initramfs: it mounts devtmpfs and
 * /proc, loads the block and ext4 modules (Debian builds them as modules) from /modules in name
 * order with finit_module, and mounts DATA_DEV (an ext4 file system made on the host) at /data:
 * /dev/vda on virt, /dev/mmcblk0 (the whole SD card) on raspi3b, where bench/storage.sh builds
 * it with -DDATA_DEV='"/dev/mmcblk0"'.
 * The Linux build defines LINUX_GUEST (uk's cross compiler defines __linux__ too).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FILE_SIZE (32L << 20)
#define CHUNK	  (64L << 10)
#define RECORD	  64
#define APPENDS	  300

#ifdef LINUX_GUEST
#include <dirent.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/syscall.h>

#ifndef DATA_DEV
#define DATA_DEV "/dev/vda"
#endif

static void end(int status)
{
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF); /* init must not exit: the kernel would panic */
	_exit(status);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static void fail(const char *what)
{
	printf("storage: %s: %s\n", what, strerror(errno));
	end(1);
}

/* what uk's runtime does before main: a console, the drivers, /data */
static void guest_setup(void)
{
	if (getpid() != 1)
		return;
	mkdir("/dev", 0755);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	int fd = open("/dev/console", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0), dup2(fd, 1), dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	mkdir("/proc", 0755);
	if (mount("proc", "/proc", "proc", 0, NULL) != 0)
		fail("mount /proc");
	struct dirent **e;
	int n = scandir("/modules", &e, NULL, by_name);
	if (n < 0)
		fail("/modules");
	for (int i = 0; i < n; i++) {
		char path[300];
		if (e[i]->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/modules/%s", e[i]->d_name);
		int m = open(path, O_RDONLY | O_CLOEXEC);
		if (m < 0 || syscall(SYS_finit_module, m, "", 0) != 0)
			fail(path);
		close(m);
	}
	/* the disk appears once its driver has probed it (virtio_blk at once; an SD card after
	 * its identification, which may take a few seconds under TCG) */
	for (int i = 0; i < 20000 && access(DATA_DEV, F_OK) != 0; i++)
		usleep(1000);
	mkdir("/data", 0755);
	if (mount(DATA_DEV, "/data", "ext4", 0, NULL) != 0)
		fail("mount " DATA_DEV " on /data");
}

/* the file's pages out of the page cache, so that read measures the disk */
static void drop_cache(void)
{
	sync();
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
	if (fd < 0 || write(fd, "3\n", 2) != 2)
		fail("drop_caches");
	close(fd);
}
#else
static void end(int status)
{
	fflush(stdout);
	exit(status);
}

static void fail(const char *what)
{
	printf("storage: %s: %s\n", what, strerror(errno));
	end(1);
}

static void guest_setup(void) {}

static void drop_cache(void) {}
#endif

static long long now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static char buf[CHUNK];

int main(void)
{
	guest_setup();
	unlink("/data/big");
	unlink("/data/log");
	for (long i = 0; i < CHUNK; i++)
		buf[i] = (char)(i * 7 + (i >> 9));

	long long t0 = now_us();
	int fd = open("/data/big", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		fail("open /data/big");
	for (long done = 0; done < FILE_SIZE; done += CHUNK)
		if (write(fd, buf, CHUNK) != CHUNK)
			fail("write /data/big");
	if (fsync(fd) != 0 || close(fd) != 0)
		fail("fsync /data/big");
	long long write_us = now_us() - t0;

	drop_cache();
	long long bytes = 0;
	unsigned sum = 0;
	t0 = now_us();
	fd = open("/data/big", O_RDONLY);
	if (fd < 0)
		fail("open /data/big");
	for (;;) {
		ssize_t r = read(fd, buf, CHUNK);
		if (r < 0)
			fail("read /data/big");
		if (r == 0)
			break;
		bytes += r;
		sum += (unsigned char)buf[r - 1];
	}
	close(fd);
	long long read_us = now_us() - t0;
	if (bytes != FILE_SIZE) {
		printf("storage: read %lld bytes of %ld\n", bytes, FILE_SIZE);
		end(1);
	}

	char rec[RECORD];
	t0 = now_us();
	fd = open("/data/log", O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (fd < 0)
		fail("open /data/log");
	for (int i = 0; i < APPENDS; i++) {
		memset(rec, 'a' + i % 26, RECORD);
		int k = snprintf(rec, RECORD, "record %08d ", i);
		rec[k] = '.';
		rec[RECORD - 1] = '\n';
		if (write(fd, rec, RECORD) != RECORD)
			fail("write /data/log");
		if (fsync(fd) != 0)
			fail("fsync /data/log");
	}
	close(fd);
	long long append_us = now_us() - t0;

	printf("storage: write_us=%lld read_us=%lld append_us=%lld appends=%d bytes=%ld sum=%u\n",
	       write_us, read_us, append_us, APPENDS, FILE_SIZE, sum);
	end(0);
}
