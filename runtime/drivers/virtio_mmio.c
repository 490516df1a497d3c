/*
 * virtio-mmio transport (virtio 1.1 spec, section 4.2.2 for version 2, 4.2.4 for the legacy
 * version 1 that QEMU uses by default) and split virtqueues (section 2.6).
 * Where the transports are is the board's to say (struct virtio_mmio_window).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "drivers.h"
#include "sysreg.h"
#include "virtio_mmio.h"

#define MAGIC		  0x000 /* "virt" */
#define VERSION		  0x004 /* 1 legacy, 2 modern */
#define DEVICE_ID	  0x008
#define DEVICE_FEATURES	  0x010
#define DEVICE_FEAT_SEL	  0x014
#define DRIVER_FEATURES	  0x020
#define DRIVER_FEAT_SEL	  0x024
#define GUEST_PAGE_SIZE	  0x028 /* legacy */
#define QUEUE_SEL	  0x030
#define QUEUE_NUM_MAX	  0x034
#define QUEUE_NUM	  0x038
#define QUEUE_ALIGN	  0x03c /* legacy */
#define QUEUE_PFN	  0x040 /* legacy */
#define QUEUE_READY	  0x044
#define QUEUE_NOTIFY	  0x050
#define INTERRUPT_STATUS  0x060
#define INTERRUPT_ACK	  0x064
#define STATUS		  0x070
#define QUEUE_DESC_LOW	  0x080
#define QUEUE_DESC_HIGH	  0x084
#define QUEUE_DRIVER_LOW  0x090
#define QUEUE_DRIVER_HIGH 0x094
#define QUEUE_DEVICE_LOW  0x0a0
#define QUEUE_DEVICE_HIGH 0x0a4
#define CONFIG		  0x100

#define STATUS_ACKNOWLEDGE 1
#define STATUS_DRIVER	   2
#define STATUS_DRIVER_OK   4
#define STATUS_FEATURES_OK 8
#define VIRTIO_F_VERSION_1 (1ull << 32)

#define LEGACY_ALIGN 4096

static uint32_t rd(struct virtio_dev *d, unsigned reg)
{
	return mmio_read32(d->base + reg);
}
static void wr(struct virtio_dev *d, unsigned reg, uint32_t v)
{
	mmio_write32(d->base + reg, v);
}

bool virtio_mmio_find(const struct virtio_mmio_window *w, uint32_t device_id,
		      struct virtio_dev *dev)
{
	for (unsigned i = 0; i < w->slots; i++) {
		uintptr_t base = w->base + i * w->slot_size;
		if (mmio_read32(base + MAGIC) != 0x74726976 ||
		    mmio_read32(base + DEVICE_ID) != device_id)
			continue;
		dev->base = base;
		dev->irq = w->irq0 + i;
		dev->legacy = mmio_read32(base + VERSION) == 1;
		return true;
	}
	return false;
}

int virtio_begin(struct virtio_dev *dev, uint64_t wanted)
{
	wr(dev, STATUS, 0); /* reset */
	wr(dev, STATUS, STATUS_ACKNOWLEDGE);
	wr(dev, STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER);
	if (!dev->legacy)
		wanted |= VIRTIO_F_VERSION_1;
	uint64_t offered = 0;
	for (unsigned sel = 0; sel < 2; sel++) {
		wr(dev, DEVICE_FEAT_SEL, sel);
		offered |= (uint64_t)rd(dev, DEVICE_FEATURES) << (32 * sel);
	}
	dev->features = offered & wanted;
	for (unsigned sel = 0; sel < 2; sel++) {
		wr(dev, DRIVER_FEAT_SEL, sel);
		wr(dev, DRIVER_FEATURES, (uint32_t)(dev->features >> (32 * sel)));
	}
	if (dev->legacy) {
		wr(dev, GUEST_PAGE_SIZE, LEGACY_ALIGN);
		return 0;
	}
	if (!(dev->features & VIRTIO_F_VERSION_1))
		return -ENOTSUP;
	wr(dev, STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK);
	return (rd(dev, STATUS) & STATUS_FEATURES_OK) ? 0 : -ENOTSUP;
}

int virtio_queue_setup(struct virtio_dev *dev, unsigned index, struct virtqueue *vq, uint16_t size)
{
	wr(dev, QUEUE_SEL, index);
	uint32_t max = rd(dev, QUEUE_NUM_MAX);
	if (max == 0)
		return -ENODEV;
	if (size > max)
		size = (uint16_t)max;
	/* One block in the legacy layout: descriptors, available ring, then the used ring on the
	 * next 4 KiB boundary (section 2.6.2). Modern devices take the same block piecewise. */
	size_t desc_bytes = 16u * size, avail_bytes = 6u + 2u * size;
	size_t used_off =
	    (desc_bytes + avail_bytes + LEGACY_ALIGN - 1) & ~(size_t)(LEGACY_ALIGN - 1);
	size_t total = used_off + 6u + 8u * size;
	void *mem =
	    aligned_alloc(LEGACY_ALIGN, (total + LEGACY_ALIGN - 1) & ~(size_t)(LEGACY_ALIGN - 1));
	if (!mem)
		return -ENOMEM;
	memset(mem, 0, total);
	vq->size = size;
	vq->last_used = 0;
	vq->desc = mem;
	vq->avail = (volatile uint16_t *)((char *)mem + desc_bytes);
	vq->used = (volatile uint16_t *)((char *)mem + used_off);

	wr(dev, QUEUE_NUM, size);
	uintptr_t a = (uintptr_t)mem;
	if (dev->legacy) {
		wr(dev, QUEUE_ALIGN, LEGACY_ALIGN);
		wr(dev, QUEUE_PFN, (uint32_t)(a / LEGACY_ALIGN));
		return 0;
	}
	uintptr_t av = (uintptr_t)vq->avail, us = (uintptr_t)vq->used;
	wr(dev, QUEUE_DESC_LOW, (uint32_t)a);
	wr(dev, QUEUE_DESC_HIGH, (uint32_t)(a >> 32));
	wr(dev, QUEUE_DRIVER_LOW, (uint32_t)av);
	wr(dev, QUEUE_DRIVER_HIGH, (uint32_t)(av >> 32));
	wr(dev, QUEUE_DEVICE_LOW, (uint32_t)us);
	wr(dev, QUEUE_DEVICE_HIGH, (uint32_t)(us >> 32));
	wr(dev, QUEUE_READY, 1);
	return 0;
}

void virtio_driver_ok(struct virtio_dev *dev)
{
	uint32_t s = STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_DRIVER_OK;
	wr(dev, STATUS, dev->legacy ? s : s | STATUS_FEATURES_OK);
}

uint8_t virtio_config8(struct virtio_dev *dev, unsigned offset)
{
	return *(volatile uint8_t *)(dev->base + CONFIG + offset);
}

void virtio_notify(struct virtio_dev *dev, unsigned queue)
{
	dsb(sy); /* ring updates visible before the doorbell */
	wr(dev, QUEUE_NOTIFY, queue);
}

void virtio_kick(struct virtio_dev *dev, struct virtqueue *vq, unsigned queue)
{
	dmb(ish); /* the published index before the flag read (2.6.13.6, "Notifying the device") */
	if (!(vq->used[0] & VRING_USED_F_NO_NOTIFY))
		virtio_notify(dev, queue);
}

/* Interrupt context. */
uint32_t virtio_irq_ack(struct virtio_dev *dev)
{
	uint32_t s = rd(dev, INTERRUPT_STATUS);
	wr(dev, INTERRUPT_ACK, s);
	return s;
}

void vq_publish(struct virtqueue *vq, uint16_t id)
{
	uint16_t idx = vq->avail[1];
	vq->avail[2 + idx % vq->size] = id;
	dmb(ish); /* the ring entry before the index that exposes it */
	vq->avail[1] = (uint16_t)(idx + 1);
}

bool vq_take_used(struct virtqueue *vq, uint16_t *id, uint32_t *len)
{
	if (vq->used[1] == vq->last_used)
		return false;
	dmb(ish); /* the index before the entry it covers */
	const volatile struct vring_used_elem *e =
	    (const volatile struct vring_used_elem *)(vq->used + 2) + vq->last_used % vq->size;
	*id = (uint16_t)e->id;
	*len = e->len;
	vq->last_used++;
	return true;
}

bool vq_has_used(struct virtqueue *vq)
{
	return vq->used[1] != vq->last_used;
}

void vq_interrupts(struct virtqueue *vq, bool on)
{
	vq->avail[0] = on ? 0 : VRING_AVAIL_F_NO_INTERRUPT;
	dmb(ish); /* the flag before the caller's next look at the used index */
}
