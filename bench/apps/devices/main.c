/*
 * I2C and SPI benchmark (issue 12), one source for uk and for the Debian arm64 Linux guest that
 * bench/devices.sh runs next to it on the same QEMU raspi3b with the same devices:
 *   i2c   I2C_READS reads of a TMP105's temperature register on bus 1 (BSC1, 100 kHz): each one
 *         transaction, the pointer byte 0 written and 2 bytes read back (write-then-read);
 *         one untimed read first; transactions/s
 *   spi   1 MiB from an M25P80 flash on SPI0 (CE0, mode 0, SPI_HZ): a READ command (0x03 and a
 *         3-byte address 0) in a transfer of its own, then SPI_CHUNK-byte transfers clocking
 *         the data out (zeros sent); MiB/s. Every word read is checked against the pattern
 *         bench/devices.sh wrote into the flash image (big-endian k * 2654435761 at 4k).
 * QEMU's SPI0 model drives no chip-select line, so the flash never sees the end of a command:
 * the READ stays in force across the transfers (uk's driver ends each transfer by clearing TA,
 * Linux's by releasing its chip select; neither reaches the model), which is why only the first
 * transfer carries the command. On a board, the chip select would have to stay low across them
 * (Linux: one SPI_IOC_MESSAGE with cs_change 0, uk: one transfer per command).
 * It prints "devices: i2c_us=T i2c_n=N temp=X", then "devices: spi_us=S spi_bytes=B spi_bad=W"
 * and "devices: end", which bench/devices.sh reads (a failure prints "devices: error WHAT: WHY"
 * instead, after the I2C line if I2C worked), and ends (uk: main returns and QEMU exits; Linux:
 * the script stops QEMU once the last line is there).
 * On Linux this program is /init of an initramfs: it mounts devtmpfs, loads the modules in
 * /modules (i2c-bcm2835, i2c-dev, spi-bcm2835; spidev is built into Debian's kernel) in name
 * order with finit_module, and uses /dev/i2c-1 with ioctl(I2C_RDWR) (one write message and one
 * read message: the same transaction) and /dev/spidev0.0 with SPI_IOC_MESSAGE(1).
 * The Linux build defines LINUX_GUEST (uk's cross compiler defines __linux__ too).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define I2C_READS 1000
#define TMP105	  0x48
#define I2C_BUS	  1
#define SPI_HZ	  10000000
#define SPI_BYTES (1L << 20)
#define SPI_CHUNK 32768 /* uk takes up to 65535 bytes a transfer */

static uint8_t flash[SPI_BYTES];

#ifdef LINUX_GUEST
#include <dirent.h>
#include <fcntl.h>
#include <linux/i2c-dev.h>
#include <linux/i2c.h>
#include <linux/spi/spidev.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static void end(void)
{
	fflush(stdout);
	reboot(RB_POWER_OFF); /* the raspi3b model may not power off: the script stops QEMU */
	for (;;)
		pause(); /* init must not exit: the kernel would panic */
}

static void fail(const char *what, int e)
{
	printf("devices: error %s: %s\n", what, strerror(e));
	end();
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int wait_for(const char *path)
{
	for (int i = 0; i < 5000 && access(path, F_OK) != 0; i++)
		usleep(1000);
	return open(path, O_RDWR);
}

static int i2c_fd, spi_fd;

/* what uk's runtime does before main: a console, the drivers */
static void setup(void)
{
	mkdir("/dev", 0755);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	int fd = open("/dev/console", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0), dup2(fd, 1), dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	struct dirent **e;
	int n = scandir("/modules", &e, NULL, by_name);
	if (n < 0)
		fail("/modules", errno);
	for (int i = 0; i < n; i++) {
		char path[300];
		if (e[i]->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/modules/%s", e[i]->d_name);
		int m = open(path, O_RDONLY | O_CLOEXEC);
		if (m < 0 || syscall(SYS_finit_module, m, "", 0) != 0)
			fail(path, errno);
		close(m);
	}
	i2c_fd = wait_for("/dev/i2c-1");
	if (i2c_fd < 0)
		fail("/dev/i2c-1", errno);
}

static void spi_setup(void)
{
	spi_fd = wait_for("/dev/spidev0.0");
	if (spi_fd < 0)
		fail("/dev/spidev0.0", errno);
	uint8_t mode = SPI_MODE_0, bits = 8;
	uint32_t hz = SPI_HZ;
	if (ioctl(spi_fd, SPI_IOC_WR_MODE, &mode) < 0 ||
	    ioctl(spi_fd, SPI_IOC_WR_BITS_PER_WORD, &bits) < 0 ||
	    ioctl(spi_fd, SPI_IOC_WR_MAX_SPEED_HZ, &hz) < 0)
		fail("spidev set-up", errno);
}

static int tmp105_read(uint8_t t[2])
{
	uint8_t reg = 0;
	struct i2c_msg m[2] = {
	    {.addr = TMP105, .flags = 0, .len = 1, .buf = &reg},
	    {.addr = TMP105, .flags = I2C_M_RD, .len = 2, .buf = t},
	};
	struct i2c_rdwr_ioctl_data d = {.msgs = m, .nmsgs = 2};
	return ioctl(i2c_fd, I2C_RDWR, &d) == 2 ? 0 : -errno;
}

static int spi_xfer(const void *tx, void *rx, size_t len)
{
	struct spi_ioc_transfer x = {
	    .tx_buf = (uintptr_t)tx,
	    .rx_buf = (uintptr_t)rx,
	    .len = len,
	    .speed_hz = SPI_HZ,
	    .bits_per_word = 8,
	};
	return ioctl(spi_fd, SPI_IOC_MESSAGE(1), &x) == (int)len ? 0 : -errno;
}
#else
#include <uk/i2c.h>
#include <uk/spi.h>

static void end(void)
{
	fflush(stdout);
	exit(0);
}

static void fail(const char *what, int e)
{
	printf("devices: error %s: %s\n", what, strerror(e));
	end();
}

static void setup(void)
{
	int r = uk_i2c_set_speed(I2C_BUS, 100000); /* the default, said for the record */
	if (r)
		fail("uk_i2c_set_speed", -r);
}

static void spi_setup(void) {}

static int tmp105_read(uint8_t t[2])
{
	uint8_t reg = 0;
	return uk_i2c_write_read(I2C_BUS, TMP105, &reg, 1, t, 2);
}

static const struct uk_spi_config flash_cfg = {.mode = 0, .hz = SPI_HZ, .chip_select = 0};

static int spi_xfer(const void *tx, void *rx, size_t len)
{
	return uk_spi_transfer(0, &flash_cfg, tx, rx, len);
}
#endif

static long long now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000000000 + t.tv_nsec;
}

int main(void)
{
	setup();

	uint8_t t[2];
	int r = tmp105_read(t); /* untimed: the first transfer routes the pins on uk */
	if (r)
		fail("tmp105 first read", -r);
	long long t0 = now_ns();
	for (int i = 0; i < I2C_READS; i++)
		if ((r = tmp105_read(t)) != 0)
			fail("tmp105 read", -r);
	long long i2c_ns = now_ns() - t0;
	printf("devices: i2c_us=%lld i2c_n=%d temp=%02x%02x\n", i2c_ns / 1000, I2C_READS, t[0],
	       t[1]);

	spi_setup();

	/* one READ command from address 0, then the data clocked out */
	static const uint8_t cmd[4] = {0x03, 0x00, 0x00, 0x00};
	uint8_t echo[4];
	t0 = now_ns();
	if ((r = spi_xfer(cmd, echo, sizeof cmd)) != 0)
		fail("spi read command", -r);
	for (long off = 0; off < SPI_BYTES; off += SPI_CHUNK)
		if ((r = spi_xfer(NULL, flash + off, SPI_CHUNK)) != 0)
			fail("spi transfer", -r);
	long long spi_ns = now_ns() - t0;
	long bad = 0;
	for (uint32_t k = 0; k < SPI_BYTES / 4; k++) {
		uint32_t want = k * 2654435761u;
		const uint8_t *p = flash + 4 * k;
		if ((uint32_t)(p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]) != want)
			bad++;
	}

	printf("devices: spi_us=%lld spi_bytes=%ld spi_bad=%ld\ndevices: end\n", spi_ns / 1000,
	       SPI_BYTES, bad);
	end();
	return 0;
}
