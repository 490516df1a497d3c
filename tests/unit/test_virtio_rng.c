/*
 * Host tests for the virtio entropy driver (runtime/drivers/virtio_rng.c) over the real
 * virtio-mmio transport (runtime/drivers/virtio_mmio.c), against a model of a modern (version
 * 2) virtio-mmio slot holding an entropy device (virtio 1.1 sections 4.2.2 and 5.4): the model
 * reads the driver's split queue from host memory when notified and answers as told: filled,
 * short, empty, late, never, or with an impossible length or descriptor id.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "drivers.h"
#include "tap.h"
#include "virtio_mmio.h"
#include "virtio_mmio_model.h"

#define SLOT0	 0x0a000000ul
#define RNG_SLOT 5
#define BASE	 (SLOT0 + RNG_SLOT * 0x200ul)
/* QEMU virt's window, as platform/virt/platform.c gives it */
static const struct virtio_mmio_window virt_slots = {
    .base = SLOT0, .slot_size = 0x200, .slots = 32, .irq0 = 48};

enum mode { FILL, SHORT, EMPTY_ONCE, SILENT, LATE, BAD_LEN, BAD_ID };
static struct {
	struct virtio_mmio_model t; /* the transport (virtio_mmio_model.c) */
	uint16_t seen_avail;	    /* available entries the model has consumed */
	enum mode mode;
	unsigned requests;
	bool pending; /* a request taken but not answered (SILENT, LATE) */
	uint16_t pending_id;
	bool not_writable; /* the driver offered a buffer the device may not write */
	uint8_t next_byte;
} dev;
static uint64_t now_ns;

static void process(void);

static void model_reset(enum mode m)
{
	memset(&dev, 0, sizeof(dev));
	dev.t = (struct virtio_mmio_model){.present = true,
					   .base = BASE,
					   .device_id = VIRTIO_ID_RNG,
					   .offered = 1ull << 32, /* VIRTIO_F_VERSION_1 only */
					   .notified = process};
	dev.mode = m;
	dev.next_byte = 1;
}

static void answer(uint16_t id, uint32_t len)
{
	volatile struct vring_desc *d = (volatile struct vring_desc *)(uintptr_t)dev.t.desc;
	volatile uint16_t *used = (volatile uint16_t *)(uintptr_t)dev.t.used;
	if (id < dev.t.queue_num) {
		uint8_t *buf = (uint8_t *)(uintptr_t)d[id].addr;
		for (uint32_t i = 0; i < len && i < d[id].len; i++)
			buf[i] = dev.next_byte++;
	}
	volatile struct vring_used_elem *e =
	    (volatile struct vring_used_elem *)(used + 2) + used[1] % dev.t.queue_num;
	e->id = dev.mode == BAD_ID ? id + 1u : id;
	e->len = len;
	used[1]++;
}

static void process(void)
{
	volatile struct vring_desc *d = (volatile struct vring_desc *)(uintptr_t)dev.t.desc;
	volatile uint16_t *avail = (volatile uint16_t *)(uintptr_t)dev.t.avail;
	while (dev.seen_avail != avail[1]) {
		uint16_t id = avail[2 + dev.seen_avail % dev.t.queue_num];
		dev.seen_avail++;
		dev.requests++;
		if (!(d[id].flags & VRING_DESC_F_WRITE))
			dev.not_writable = true;
		uint32_t len = d[id].len;
		switch (dev.mode) {
		case FILL:
			answer(id, len);
			break;
		case SHORT:
			answer(id, len < 5 ? len : 5);
			break;
		case EMPTY_ONCE:
			answer(id, 0);
			dev.mode = FILL;
			break;
		case SILENT:
		case LATE:
			dev.pending = true;
			dev.pending_id = id;
			break;
		case BAD_LEN:
			answer(id, len + 1);
			break;
		case BAD_ID:
			answer(id, len);
			break;
		}
	}
}

/* The clock the driver's timeouts read; each read is 100 us of the device's time, in which
 * a LATE device gets round to the request it held back. */
uint64_t uk_now_ns(void)
{
	now_ns += 100000;
	if (dev.pending && dev.mode == FILL) {
		dev.pending = false;
		answer(dev.pending_id, 8);
	}
	return now_ns;
}

void kprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("# console: ");
	vprintf(fmt, ap);
	va_end(ap);
}

uint32_t shim_mmio_read32(uintptr_t addr)
{
	return virtio_mmio_model_read(&dev.t, addr);
}

void shim_mmio_write32(uintptr_t addr, uint32_t v)
{
	virtio_mmio_model_write(&dev.t, addr, v);
}

static bool counting(const uint8_t *p, size_t n, uint8_t first)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != (uint8_t)(first + i))
			return false;
	return true;
}

int main(void)
{
	uint8_t buf[200];

	model_reset(FILL);
	dev.t.present = false;
	CHECK(virtio_rng_probe(&virt_slots) == NULL,
	      "no entropy device in any slot: probe finds none");

	model_reset(FILL);
	const struct rng_dev *rng = virtio_rng_probe(&virt_slots);
	CHECK(rng != NULL && strcmp(rng->name, "virtio-rng") == 0,
	      "probe finds the device in slot %d", RNG_SLOT);
	CHECK(dev.t.status == 0xf, "status: ACKNOWLEDGE, DRIVER, FEATURES_OK, DRIVER_OK (got %#x)",
	      dev.t.status);
	CHECK(dev.t.drv_feat[1] == 1 && dev.t.drv_feat[0] == 0,
	      "features: VERSION_1 only (the device defines none of its own)");
	CHECK(dev.t.queue_sel == 0 && dev.t.ready == 1 && dev.t.queue_num >= 1 &&
		  dev.t.queue_num <= 8,
	      "request queue 0 set up within the device's maximum (%u entries)", dev.t.queue_num);
	CHECK(virtio_rng_probe(&virt_slots) == rng, "a second probe returns the same device");

	memset(buf, 0, sizeof(buf));
	CHECK(rng->read(buf, 48) == 0 && counting(buf, 48, 1), "48 bytes: what the device wrote");
	CHECK(!dev.not_writable, "the buffer is offered device-writable");
	CHECK(dev.t.notifies == dev.requests && dev.requests == 1,
	      "one request, one doorbell for a 48-byte read");
	CHECK(rng->read(buf, 150) == 0 && counting(buf, 150, 49),
	      "150 bytes: split into requests of at most 64, all used, in order");

	dev.mode = SHORT;
	unsigned before = dev.requests;
	CHECK(rng->read(buf, 23) == 0 && dev.requests - before == 5,
	      "a device that returns 5 bytes at a time is asked again until 23 arrive");
	dev.mode = EMPTY_ONCE;
	CHECK(rng->read(buf, 16) == 0, "an answer of 0 bytes is asked again");

	dev.mode = SILENT;
	uint64_t t0 = now_ns;
	CHECK(rng->read(buf, 16) == -ETIMEDOUT, "a device that never answers: -ETIMEDOUT");
	CHECK(now_ns - t0 >= 1000000000ull && now_ns - t0 < 1100000000ull,
	      "after the 1 s bound (%llu ms)", (unsigned long long)((now_ns - t0) / 1000000));
	before = dev.requests;
	CHECK(rng->read(buf, 16) == -ETIMEDOUT && dev.requests == before,
	      "still silent: the buffer the device owns is not offered again");
	dev.mode = FILL; /* it answers the held request late (in uk_now_ns), then normally */
	memset(buf, 0, sizeof(buf));
	CHECK(rng->read(buf, 16) == 0 && !dev.pending,
	      "a late answer is collected, then a new read works");

	dev.mode = BAD_LEN;
	CHECK(rng->read(buf, 16) == -EIO,
	      "a used length beyond the buffer: -EIO, nothing copied past it");
	dev.mode = BAD_ID;
	CHECK(rng->read(buf, 16) == -EIO, "a used id the driver never offered: -EIO");
	dev.mode = FILL;
	CHECK(rng->read(buf, 16) == 0, "the device behaves again: reads work");
	return TAP_DONE();
}
