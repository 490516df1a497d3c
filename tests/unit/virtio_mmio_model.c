/* The virtio-mmio transport registers of virtio_mmio_model.h. */
#include "virtio_mmio_model.h"

#define MAGIC 0x74726976 /* "virt" */

uint32_t virtio_mmio_model_read(struct virtio_mmio_model *m, uintptr_t addr)
{
	if (addr < VMM_SLOT0 || addr >= VMM_SLOT0 + VMM_SLOTS * 0x200)
		return 0;
	if (!m->present || addr - (addr - VMM_SLOT0) % 0x200 != m->base)
		return (addr - VMM_SLOT0) % 0x200 == 0 ? MAGIC : 0; /* empty slots: magic, id 0 */
	switch (addr - m->base) {
	case 0x000:
		return MAGIC;
	case 0x004:
		return 2; /* version: modern */
	case 0x008:
		return m->device_id;
	case 0x010:
		return (uint32_t)(m->offered >> (m->dfeat_sel == 1 ? 32 : 0));
	case 0x034:
		return 8; /* QueueNumMax */
	case 0x044:
		return m->ready;
	case 0x060:
		return m->int_status;
	case 0x070:
		return m->status;
	}
	return 0;
}

static void set_half(uint64_t *reg, int high, uint32_t v)
{
	*reg = high ? (*reg & 0xffffffffull) | (uint64_t)v << 32 : (*reg & ~0xffffffffull) | v;
}

void virtio_mmio_model_write(struct virtio_mmio_model *m, uintptr_t addr, uint32_t v)
{
	if (!m->present || addr < m->base || addr >= m->base + 0x200)
		return;
	switch (addr - m->base) {
	case 0x014:
		m->dfeat_sel = v;
		break;
	case 0x020:
		m->drv_feat[m->drv_feat_sel & 1] = v;
		break;
	case 0x024:
		m->drv_feat_sel = v;
		break;
	case 0x030:
		m->queue_sel = v;
		break;
	case 0x038:
		m->queue_num = v;
		break;
	case 0x044:
		m->ready = v;
		break;
	case 0x050:
		m->notifies++;
		if (v == 0 && m->notified)
			m->notified();
		break;
	case 0x064:
		m->acks++;
		m->int_status &= ~v;
		break;
	case 0x070:
		m->status = v;
		break;
	case 0x080:
	case 0x084:
		set_half(&m->desc, addr - m->base == 0x084, v);
		break;
	case 0x090:
	case 0x094:
		set_half(&m->avail, addr - m->base == 0x094, v);
		break;
	case 0x0a0:
	case 0x0a4:
		set_half(&m->used, addr - m->base == 0x0a4, v);
		break;
	}
}
