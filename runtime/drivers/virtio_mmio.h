/* virtio over MMIO (virtio 1.1 spec, section 4.2), modern and legacy, and split virtqueues. */
#ifndef UK_VIRTIO_MMIO_H
#define UK_VIRTIO_MMIO_H

#include <stdbool.h>
#include <stdint.h>

#define VIRTIO_ID_NET	1
#define VIRTIO_ID_BLOCK 2 /* block device (virtio 1.1 section 5.2) */
#define VIRTIO_ID_RNG	4 /* entropy device (virtio 1.1 section 5.4) */

/* Split virtqueue (virtio 1.1 section 2.6) */
struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};
#define VRING_DESC_F_NEXT	   1
#define VRING_DESC_F_WRITE	   2 /* device writes this buffer */
#define VRING_AVAIL_F_NO_INTERRUPT 1 /* driver: no used-buffer interrupts please (2.6.7) */
#define VRING_USED_F_NO_NOTIFY	   1 /* device: no available-buffer notifications needed (2.6.10) */

struct vring_used_elem {
	uint32_t id;
	uint32_t len;
};

struct virtqueue {
	uint16_t size;
	uint16_t last_used; /* next used entry we have not consumed */
	volatile struct vring_desc *desc;
	volatile uint16_t *avail; /* flags, idx, ring[size] */
	volatile uint16_t *used;  /* flags, idx, then elems */
};

struct virtio_dev {
	uintptr_t base;
	unsigned irq;
	bool legacy;
	uint64_t features; /* negotiated */
};

/* A board's virtio-mmio transports: slots of slot_size bytes from base, slot i interrupting on
 * irq0 + i. The platform file gives it (platform/virt/platform.c). */
struct virtio_mmio_window {
	uintptr_t base;
	uintptr_t slot_size;
	unsigned slots;
	unsigned irq0;
};

/* Finds the first transport in w holding a device of type id; returns false when none. */
bool virtio_mmio_find(const struct virtio_mmio_window *w, uint32_t device_id,
		      struct virtio_dev *dev);
/* Resets the device and negotiates: wanted & offered (VERSION_1 is added for modern). */
int virtio_begin(struct virtio_dev *dev, uint64_t wanted);
/* Sets up queue index with up to size entries (memory from the heap, zeroed). */
int virtio_queue_setup(struct virtio_dev *dev, unsigned index, struct virtqueue *vq, uint16_t size);
void virtio_driver_ok(struct virtio_dev *dev);
uint8_t virtio_config8(struct virtio_dev *dev, unsigned offset);
void virtio_notify(struct virtio_dev *dev, unsigned queue);
/* Notifies the device of new available buffers unless it said it does not need it: each
 * notification is a trap into the hypervisor, the costliest step of a frame under QEMU. */
void virtio_kick(struct virtio_dev *dev, struct virtqueue *vq, unsigned queue);
uint32_t virtio_irq_ack(struct virtio_dev *dev); /* returns the interrupt status it cleared */

/* Makes descriptor id available to the device. */
void vq_publish(struct virtqueue *vq, uint16_t id);
/* Takes the next used descriptor: returns false when the device has returned none. */
bool vq_take_used(struct virtqueue *vq, uint16_t *id, uint32_t *len);
/* True when the device has returned a descriptor not yet taken. */
bool vq_has_used(struct virtqueue *vq);
/* Asks the device to interrupt (on) or not (off) when it returns buffers; only a hint to the
 * device (2.6.7.1), so callers still look at the used ring after turning interrupts on. */
void vq_interrupts(struct virtqueue *vq, bool on);

#endif
