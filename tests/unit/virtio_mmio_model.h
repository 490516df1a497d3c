/* A modern (version 2) virtio-mmio slot in QEMU virt's window (32 slots of 0x200 from
 * 0x0a000000), for host tests of drivers over runtime/drivers/virtio_mmio.c: the transport's
 * registers (virtio 1.1 section 4.2.2). The device behind them, its queue and its answers, are
 * the test's; every other slot reads as empty (the magic, device id 0). */
#ifndef VIRTIO_MMIO_MODEL_H
#define VIRTIO_MMIO_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#define VMM_SLOT0 0x0a000000ul
#define VMM_SLOTS 32

struct virtio_mmio_model {
	bool present;
	uintptr_t base; /* this device's slot */
	uint32_t device_id;
	uint64_t offered; /* the device's features */
	uint32_t status, queue_sel, queue_num, ready, dfeat_sel, drv_feat_sel, drv_feat[2],
	    int_status;
	uint64_t desc, avail, used; /* queue 0's rings, as the driver set them */
	unsigned notifies, acks;
	void (*notified)(void); /* the driver notified queue 0 */
};

uint32_t virtio_mmio_model_read(struct virtio_mmio_model *m, uintptr_t addr);
void virtio_mmio_model_write(struct virtio_mmio_model *m, uintptr_t addr, uint32_t v);

#endif
