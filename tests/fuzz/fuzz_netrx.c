/* The network receive path: what a device hands the driver, through the driver's framing, into
 * lwIP (netstack.c). Built once per driver:
 *   NETRX_USB="cdc_ecm.c" / "smsc95xx.c" / "lan78xx.c": the driver (included here for its
 *     struct ue_chip) on usb_ether.c's rings, on the unit tests' fake USB bus
 *     (tests/unit/shim/usb_model.c, which poisons what a transfer did not write);
 *   NETRX_VIRTIO: drivers/virtio_net.c over the real virtio_mmio.c, whose registers are a block
 *     of memory here; the harness is the device, filling posted buffers and reporting them in
 *     the used ring, ids and lengths included (a device may lie about both).
 * Input: a mode byte (netstack_begin), then records [control][length, 2 bytes LE][bytes]:
 * control bit 0 makes the record a failed transfer (USB) or a lying report (virtio: the length
 * and id come from the record's first bytes); bits 4-7 are the tens of milliseconds that pass
 * after it. After each record every frame the driver has is taken, as netif.c does. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netstack.h"

static const uint8_t *in_p;
static size_t in_n;

static unsigned take(size_t n) /* n <= 4 bytes, little-endian; 0 past the end */
{
	unsigned v = 0;
	for (size_t i = 0; i < n && in_n; i++, in_p++, in_n--)
		v |= (unsigned)*in_p << (8 * i);
	return v;
}

static uint8_t frame[NETSTACK_FRAME_MAX];

#ifdef NETRX_USB
#include NETRX_USB
#include "usb_model.h"

#if defined(NETRX_CHIP_ECM)
#define CHIP	ecm_chip
#define MPS	64
#define VID_PID 0x0525, 0xa4a2
#elif defined(NETRX_CHIP_SMSC)
#define CHIP	smsc95xx
#define MPS	512
#define VID_PID 0x0424, 0xec00
#else
#define CHIP	lan78xx
#define MPS	512
#define VID_PID 0x0424, 0x7800
#endif
#define EP_IN 0x81

static int control(uint8_t type, uint8_t req, uint16_t value, uint16_t index, uint8_t *data,
		   uint16_t len)
{
	(void)type, (void)req, (void)value, (void)index, (void)data, (void)len;
	return 0;
}

static void bulk_out(uint8_t ep, const uint8_t *data, uint32_t len)
{
	(void)ep, (void)data, (void)len;
}

static const struct chip_ops ops = {.control = control, .bulk_out = bulk_out};
static struct usb_device *dev;
static struct usb_ether *ue;
static uint8_t *xfer;

static void device_begin(void)
{
	static const uint8_t in[7] = {7, USB_DT_ENDPOINT, EP_IN, USB_EP_BULK, MPS & 0xff, MPS >> 8};
	static const uint8_t out[7] = {7, USB_DT_ENDPOINT, 0x02, USB_EP_BULK, MPS & 0xff, MPS >> 8};
	model_reset(&ops); /* nothing is in flight any more: the old rings may go */
	if (!dev)
		dev = model_device(VID_PID, MPS == 512 ? USB_SPEED_HIGH : USB_SPEED_FULL);
	if (ue) {
		ue_data_free(ue);
		free(ue);
	}
	ue = calloc(1, sizeof(*ue));
	if (!ue || ue_data_init(ue, dev, &CHIP, in, out) != 0)
		abort();
	ue_data_start(ue);
	free(xfer);
	xfer = malloc(ue->rx_buf);
	if (!xfer)
		abort();
}

static struct netdev *device_record(unsigned control, unsigned len)
{
	if (control & 1) {
		model_fail(EP_IN, -EIO);
		model_advance_ms(2000); /* the receive backoff runs out */
		return &ue->netdev;
	}
	if (len > ue->rx_buf)
		len = ue->rx_buf;
	unsigned n = 0;
	for (; n < len && in_n; n++, in_n--)
		xfer[n] = *in_p++;
	if (model_in(EP_IN, xfer, n) != 0)
		abort(); /* the driver stopped receiving */
	return &ue->netdev;
}
#endif

#ifdef NETRX_VIRTIO
#include "virtio_net.c"

#define SLOT_BASE 0x0a000000ul
/* QEMU virt's window, as platform/virt/platform.c gives it */
static const struct virtio_mmio_window virt_slots = {
    .base = SLOT_BASE, .slot_size = 0x200, .slots = 32, .irq0 = 48};
static uint32_t regs[0x200 / 4];
static uint16_t dev_avail; /* the next available-ring entry the device takes */

uint32_t mmio_read32(uintptr_t addr)
{
	if (addr >= SLOT_BASE + 0x200 && addr < SLOT_BASE + 32 * 0x200)
		return 0; /* other slots are empty */
	if (addr < SLOT_BASE || addr >= SLOT_BASE + 0x200)
		abort(); /* no other device here */
	unsigned reg = (unsigned)(addr - SLOT_BASE);
	switch (reg) {
	case 0x000:
		return 0x74726976; /* "virt" */
	case 0x004:
		return 2; /* modern */
	case 0x008:
		return VIRTIO_ID_NET;
	case 0x010: /* VIRTIO_F_VERSION_1 only: no MAC, no link status in the config space */
		return regs[0x014 / 4] == 1 ? 1 : 0;
	case 0x034:
		return 256;
	default:
		return regs[reg / 4];
	}
}

void mmio_write32(uintptr_t addr, uint32_t v)
{
	if (addr < SLOT_BASE || addr >= SLOT_BASE + 0x200)
		abort();
	regs[(addr - SLOT_BASE) / 4] = v;
}

void irq_register(unsigned irq, void (*handler)(void *arg), void *arg)
{
	(void)irq, (void)handler, (void)arg;
}

static void device_begin(void)
{
	struct vnet *v = &vnet;
	if (v->netdev.transmit) {
		free(v->rx_bufs), free(v->tx_bufs);
		free((void *)v->rx.desc), free((void *)v->tx.desc);
		memset(v, 0, sizeof(*v));
	}
	memset(regs, 0, sizeof(regs));
	dev_avail = 0;
	if (!virtio_net_probe(&virt_slots))
		abort();
}

static struct netdev *device_record(unsigned control, unsigned len)
{
	struct virtqueue *vq = &vnet.rx;
	unsigned lie_id = 0, lie_len = 0;
	if (control & 1) {
		lie_id = take(2);
		lie_len = take(4);
	}
	if (vq->avail[1] != dev_avail) { /* a buffer is posted: fill it */
		uint16_t id = vq->avail[2 + dev_avail % vq->size];
		dev_avail++;
		if (id >= vq->size)
			abort(); /* the driver posted a descriptor it does not have */
		volatile struct vring_desc *d = &vq->desc[id];
		uint8_t *buf = (uint8_t *)(uintptr_t)d->addr;
		unsigned n = 0;
		for (; n < len && n < d->len && in_n; n++, in_n--)
			buf[n] = *in_p++;
		uint16_t u = vq->used[1];
		volatile struct vring_used_elem *e =
		    (volatile struct vring_used_elem *)(vq->used + 2) + u % vq->size;
		e->id = (control & 1) && (lie_id & 1) ? lie_id >> 1 : id;
		e->len = (control & 1) && (lie_len & 1) ? lie_len >> 1 : n;
		vq->used[1] = (uint16_t)(u + 1);
	}
	return &vnet.netdev;
}
#endif

static int ready;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!ready) {
		netstack_init();
		ready = 1;
	}
	in_p = data, in_n = size;
	netstack_begin(take(1));
	device_begin();
	while (in_n) {
		unsigned control = take(1), len = take(2);
		struct netdev *nd = device_record(control, len);
		size_t n;
		while ((n = nd->receive(nd, frame, sizeof(frame))) != 0) {
			if (n > sizeof(frame))
				abort(); /* more than it was given room for */
			netstack_input(frame, n, 0);
		}
		netstack_input(NULL, 0, (control >> 4) * 10);
	}
	netstack_end();
	return 0;
}
