/*
 * A block device in RAM, for /tmp: what tmpfile() and scratch files need, gone at the next boot,
 * never written to the card. Its memory is taken when the file layer first starts.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vfs.h"

static uint8_t *ram;

static int ram_read(uint64_t lba, uint32_t count, void *buf)
{
	memcpy(buf, ram + lba * BLOCK_SIZE, (size_t)count * BLOCK_SIZE);
	return 0;
}

static int ram_write(uint64_t lba, uint32_t count, const void *buf)
{
	memcpy(ram + lba * BLOCK_SIZE, buf, (size_t)count * BLOCK_SIZE);
	return 0;
}

static int ram_flush(void)
{
	return 0;
}

static struct blockdev ramdisk = {
    .name = "ramdisk", .read = ram_read, .write = ram_write, .flush = ram_flush};

struct blockdev *ramdisk_create(size_t bytes)
{
	if (ram)
		return &ramdisk;
	if (!(ram = calloc(1, bytes)))
		return NULL;
	ramdisk.blocks = bytes / BLOCK_SIZE;
	return &ramdisk;
}
