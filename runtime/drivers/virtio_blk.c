/*
 * virtio block device (virtio 1.1 spec, section 5.2) over the virtio-mmio transport: one request
 * queue (index 0). A request is three descriptors: a 16-byte header the device reads (type,
 * sector), the data, and one status byte the device writes (5.2.6). QEMU: `-drive if=none,
 * id=card,file=...,format=raw -device virtio-blk-device,drive=card` (uk run attaches the card so).
 *
 * One request in flight at a time (a semaphore orders callers); the caller's thread sleeps until
 * the used-buffer interrupt, so other threads run meanwhile. A request the device has not answered
 * within REQUEST_TIMEOUT_NS leaves the device owning our buffers: the driver then fails every
 * later request with -EIO instead of reusing memory the device may still write.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <uk/thread.h>

#include "drivers.h"
#include "kernel.h"
#include "virtio_mmio.h"

#define REQUESTQ   0
#define QUEUE_SIZE 8
/* Features (5.2.3) */
#define VIRTIO_BLK_F_RO	   (1ull << 5) /* the disk is read-only */
#define VIRTIO_BLK_F_FLUSH (1ull << 9) /* the device has a write cache and takes FLUSH */
/* Request types and status (5.2.6) */
#define VIRTIO_BLK_T_IN	       0
#define VIRTIO_BLK_T_OUT       1
#define VIRTIO_BLK_T_FLUSH     4
#define VIRTIO_BLK_S_OK	       0
#define MAX_BLOCKS_PER_REQUEST 256 /* 128 KiB: well within any device's segment size */
#define REQUEST_TIMEOUT_NS     10000000000ull

struct request_header {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

static struct {
	struct virtio_dev dev;
	struct virtqueue vq;
	struct request_header *header;
	volatile uint8_t *status;
	struct uk_sem one_at_a_time, done;
	bool broken;
	struct blockdev bd;
} vblk;

/* Interrupt context: the device returned a request. */
static void vblk_irq(void *arg)
{
	(void)arg;
	virtio_irq_ack(&vblk.dev);
	if (vq_has_used(&vblk.vq))
		uk_sem_post(&vblk.done);
}

/* Sends one request and waits for it: 0 or a negative errno. */
static int request(uint32_t type, uint64_t sector, void *data, uint32_t len)
{
	if (vblk.broken)
		return -EIO;
	uk_sem_wait(&vblk.one_at_a_time, 0);
	vblk.header->type = type;
	vblk.header->reserved = 0;
	vblk.header->sector = sector;
	*vblk.status = 0xff; /* a device that answers without writing it is an error */
	volatile struct vring_desc *d = vblk.vq.desc;
	d[0] =
	    (struct vring_desc){(uintptr_t)vblk.header, sizeof *vblk.header, VRING_DESC_F_NEXT, 1};
	unsigned status_desc = 1;
	if (len) {
		d[1] = (struct vring_desc){
		    (uintptr_t)data, len,
		    VRING_DESC_F_NEXT | (type == VIRTIO_BLK_T_IN ? VRING_DESC_F_WRITE : 0), 2};
		status_desc = 2;
	}
	d[status_desc] = (struct vring_desc){(uintptr_t)vblk.status, 1, VRING_DESC_F_WRITE, 0};
	vq_publish(&vblk.vq, 0);
	virtio_notify(&vblk.dev, REQUESTQ);
	uint16_t id;
	uint32_t used_len;
	int r = 0;
	while (!vq_take_used(&vblk.vq, &id, &used_len)) {
		if (uk_sem_wait(&vblk.done, REQUEST_TIMEOUT_NS) == -ETIMEDOUT &&
		    !vq_has_used(&vblk.vq)) {
			kprintf("virtio-blk: no answer to a request in 10 s: the disk is failed\n");
			vblk.broken = true;
			r = -ETIMEDOUT;
			break;
		}
	}
	if (r == 0 && (id != 0 || *vblk.status != VIRTIO_BLK_S_OK))
		r = -EIO;
	uk_sem_post(&vblk.one_at_a_time);
	return r;
}

static int transfer(uint32_t type, uint64_t lba, uint32_t count, void *buf)
{
	if (lba > vblk.bd.blocks || count > vblk.bd.blocks - lba)
		return -EINVAL;
	while (count) {
		uint32_t n = count < MAX_BLOCKS_PER_REQUEST ? count : MAX_BLOCKS_PER_REQUEST;
		int r = request(type, lba, buf, n * BLOCK_SIZE);
		if (r)
			return r;
		lba += n, count -= n;
		buf = (uint8_t *)buf + (size_t)n * BLOCK_SIZE;
	}
	return 0;
}

static int vblk_read(uint64_t lba, uint32_t count, void *buf)
{
	return transfer(VIRTIO_BLK_T_IN, lba, count, buf);
}

static int vblk_write(uint64_t lba, uint32_t count, const void *buf)
{
	if (vblk.bd.read_only)
		return -EROFS;
	return transfer(VIRTIO_BLK_T_OUT, lba, count, (void *)buf);
}

static int vblk_flush(void)
{
	/* without VIRTIO_BLK_F_FLUSH the device has no write cache: a completed write is on disk */
	if (!(vblk.dev.features & VIRTIO_BLK_F_FLUSH))
		return 0;
	return request(VIRTIO_BLK_T_FLUSH, 0, NULL, 0);
}

struct blockdev *virtio_blk_probe(const struct virtio_mmio_window *w)
{
	if (vblk.bd.name)
		return &vblk.bd;
	if (!virtio_mmio_find(w, VIRTIO_ID_BLOCK, &vblk.dev))
		return NULL;
	int r = virtio_begin(&vblk.dev, VIRTIO_BLK_F_RO | VIRTIO_BLK_F_FLUSH);
	if (r == 0)
		r = virtio_queue_setup(&vblk.dev, REQUESTQ, &vblk.vq, QUEUE_SIZE);
	if (r == 0 && (!(vblk.header = malloc(sizeof *vblk.header)) || !(vblk.status = malloc(1))))
		r = -ENOMEM;
	if (r != 0) {
		kprintf("virtio-blk: setup failed (%d)\n", r);
		return NULL;
	}
	uint64_t capacity = 0; /* in 512-byte sectors, whatever the block size (5.2.4) */
	for (unsigned i = 0; i < 8; i++)
		capacity |= (uint64_t)virtio_config8(&vblk.dev, i) << (8 * i);
	uk_sem_init(&vblk.one_at_a_time, 1);
	uk_sem_init(&vblk.done, 0);
	irq_register(vblk.dev.irq, vblk_irq, NULL);
	virtio_driver_ok(&vblk.dev);
	vblk.bd = (struct blockdev){.name = "virtio-blk",
				    .blocks = capacity,
				    .read_only = (vblk.dev.features & VIRTIO_BLK_F_RO) != 0,
				    .read = vblk_read,
				    .write = vblk_write,
				    .flush = vblk_flush};
	return &vblk.bd;
}
