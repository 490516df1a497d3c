/*
 * virtio entropy device (virtio 1.1 spec, section 5.4) over the virtio-mmio transport: one
 * request queue (index 0), no feature bits, no configuration space. The driver offers a
 * device-writable buffer; the device hands it back holding as many random bytes as the used
 * element's length says (5.4.6.1: possibly fewer than asked, possibly none). QEMU:
 * `-device virtio-rng-device` (hw/virtio/virtio-rng.c, fed by the host's getrandom through the
 * default rng-builtin backend; `uk run` and the tests attach it on virt).
 *
 * Polled, with one buffer in flight: entropy is drawn only to seed and reseed
 * kernel/random.c's DRBG, a few dozen bytes at a time, so an interrupt handler would cost more
 * than the wait it saves. A request the device has not answered within a second is reported
 * as -ETIMEDOUT and stays owned by the device; the next read collects it before reusing the
 * buffer, so the device never writes into memory the driver has handed out again.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <uk/time.h>

#include "drivers.h"
#include "virtio_mmio.h"

#define REQUESTQ   0
#define QUEUE_SIZE 4  /* one descriptor is ever in flight */
#define BUF_SIZE   64 /* bytes per request: a DRBG seed (48) in one exchange */
#define TIMEOUT_NS 1000000000ull

static struct {
	struct virtio_dev dev;
	struct virtqueue vq;
	uint8_t *buf;
	bool ready;
	bool in_flight; /* a request timed out and the device still owns the buffer */
} rng;

/* Waits for the device to hand the buffer back: its byte count, or -ETIMEDOUT, or -EIO when
 * the device answers with something it was never given. */
static int wait_used(uint64_t deadline, uint32_t asked)
{
	uint16_t id;
	uint32_t len;
	while (!vq_take_used(&rng.vq, &id, &len))
		if (uk_now_ns() > deadline)
			return -ETIMEDOUT;
	rng.in_flight = false;
	if (id != 0 || len > asked)
		return -EIO;
	return (int)len;
}

static int virtio_rng_read(void *out, size_t n)
{
	uint8_t *p = out;
	uint64_t deadline = uk_now_ns() + TIMEOUT_NS;
	if (rng.in_flight) {
		int r = wait_used(deadline, BUF_SIZE);
		if (r == -ETIMEDOUT)
			return r;
	}
	while (n > 0) {
		uint32_t want = n < BUF_SIZE ? (uint32_t)n : BUF_SIZE;
		rng.vq.desc[0].addr = (uintptr_t)rng.buf;
		rng.vq.desc[0].len = want;
		rng.vq.desc[0].flags = VRING_DESC_F_WRITE;
		rng.vq.desc[0].next = 0;
		vq_publish(&rng.vq, 0);
		rng.in_flight = true;
		/* Always ring: the request is the device's only work, and a hint to skip the
		 * doorbell (VRING_USED_F_NO_NOTIFY) would leave it waiting for our timeout. */
		virtio_notify(&rng.dev, REQUESTQ);
		int got = wait_used(deadline, want);
		if (got < 0)
			return got;
		memcpy(p, rng.buf, (size_t)got); /* 0 bytes: ask again until the deadline */
		p += got;
		n -= (size_t)got;
	}
	return 0;
}

static const struct rng_dev virtio_rng_dev = {.name = "virtio-rng", .read = virtio_rng_read};

const struct rng_dev *virtio_rng_probe(const struct virtio_mmio_window *w)
{
	if (rng.ready)
		return &virtio_rng_dev;
	if (!virtio_mmio_find(w, VIRTIO_ID_RNG, &rng.dev))
		return NULL;
	int r = virtio_begin(&rng.dev, 0); /* the device defines no feature bits (5.4.3) */
	if (r == 0)
		r = virtio_queue_setup(&rng.dev, REQUESTQ, &rng.vq, QUEUE_SIZE);
	if (r == 0 && !(rng.buf = malloc(BUF_SIZE)))
		r = -ENOMEM;
	if (r != 0) {
		kprintf("virtio-rng: setup failed (%d)\n", r);
		return NULL;
	}
	vq_interrupts(&rng.vq, false); /* polled */
	virtio_driver_ok(&rng.dev);
	rng.ready = true;
	return &virtio_rng_dev;
}
