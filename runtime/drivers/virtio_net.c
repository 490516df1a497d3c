/*
 * virtio network device (virtio 1.1 spec, section 5.1) over virtio-mmio: QEMU virt's NIC.
 * One receive and one transmit queue of fixed 2 KiB buffers; no offloads, so every frame is
 * a plain Ethernet frame behind the virtio-net header. The receive interrupt only signals the
 * stack; frames are copied out in thread context, and the buffer goes straight back to the
 * device. Frames the device reports with impossible lengths are dropped and counted.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "drivers.h"
#include "netdev.h"
#include "sysreg.h"
#include "virtio_mmio.h"

#define VIRTIO_NET_F_MAC     (1ull << 5)
#define VIRTIO_NET_F_STATUS  (1ull << 16) /* config has a link status (5.1.3) */
#define VIRTIO_NET_S_LINK_UP 1		  /* config offset 6, status (5.1.4) */
#define CONFIG_STATUS	     6
#define ISR_QUEUE	     1u /* virtio-mmio InterruptStatus bits (4.2.2) */
#define ISR_CONFIG	     2u
#define RX_QUEUE	     0
#define TX_QUEUE	     1
#define QUEUE_SIZE	     128
#define BUF_SIZE	     2048
#define RX_KICK_BATCH	     16

struct vnet {
	struct netdev netdev;
	struct virtio_dev dev;
	struct virtqueue rx, tx;
	size_t hdr_len; /* 10 legacy, 12 with VERSION_1 (num_buffers is always present) */
	uint8_t *rx_bufs, *tx_bufs;
	uint16_t tx_free[QUEUE_SIZE]; /* stack of free transmit descriptors */
	unsigned tx_nfree;
	bool tx_hold;	  /* in a receive batch: transmit publishes, batch end notifies */
	unsigned tx_held; /* published since the last notification */
	unsigned rx_held; /* receive buffers given back since the last notification */
};

static struct vnet vnet;

static bool vnet_link_up(struct vnet *v)
{
	if (!(v->dev.features & VIRTIO_NET_F_STATUS))
		return true; /* the device cannot tell: always up */
	return virtio_config8(&v->dev, CONFIG_STATUS) & VIRTIO_NET_S_LINK_UP;
}

static void vnet_irq(void *arg)
{
	struct vnet *v = arg;
	uint32_t isr = virtio_irq_ack(&v->dev);
	if (isr & ISR_CONFIG) /* QEMU's set_link, a cable on real hardware */
		netdev_link_changed(&v->netdev, vnet_link_up(v));
	if (!(isr & ISR_QUEUE) || !v->netdev.rx_ready)
		return;
	/* Quiet until the stack has taken every frame: vnet_receive turns it back on. */
	vq_interrupts(&v->rx, false);
	v->netdev.rx_ready(&v->netdev);
}

static void post_rx(struct vnet *v, uint16_t id)
{
	v->rx.desc[id].addr = (uintptr_t)(v->rx_bufs + (size_t)id * BUF_SIZE);
	v->rx.desc[id].len = BUF_SIZE;
	v->rx.desc[id].flags = VRING_DESC_F_WRITE;
	vq_publish(&v->rx, id);
}

static void rx_kick(struct vnet *v)
{
	if (v->rx_held) {
		v->rx_held = 0;
		virtio_kick(&v->dev, &v->rx, RX_QUEUE);
	}
}

static size_t vnet_receive(struct netdev *nd, void *buf, size_t max)
{
	struct vnet *v = (struct vnet *)nd;
	uint16_t id;
	uint32_t len;
	for (;;) {
		if (!vq_take_used(&v->rx, &id, &len)) {
			/* Empty: interrupts back on, then one more look for a frame that came
			 * before the device saw them on. */
			rx_kick(v);
			vq_interrupts(&v->rx, true);
			if (!vq_has_used(&v->rx))
				return 0;
			vq_interrupts(&v->rx, false);
			continue;
		}
		if (id >= v->rx.size) {
			nd->stats.rx_dropped++; /* a device bug: nothing to give back */
			continue;
		}
		size_t frame = len > v->hdr_len ? len - v->hdr_len : 0;
		bool ok =
		    frame >= ETH_HLEN && frame <= ETH_FRAME_MAX && frame <= max && len <= BUF_SIZE;
		if (ok)
			memcpy(buf, v->rx_bufs + (size_t)id * BUF_SIZE + v->hdr_len, frame);
		post_rx(v, id);
		/* Buffers go back in groups: a device that ran dry asks for a notification, and
		 * one per buffer would be one trap per frame until it has a few again. */
		if (++v->rx_held >= RX_KICK_BATCH)
			rx_kick(v);
		if (ok) {
			nd->stats.rx_frames++;
			return frame;
		}
		nd->stats.rx_dropped++;
	}
}

static void reclaim_tx(struct vnet *v)
{
	uint16_t id;
	uint32_t len;
	while (vq_take_used(&v->tx, &id, &len))
		if (id < v->tx.size)
			v->tx_free[v->tx_nfree++] = id;
}

static void tx_kick(struct vnet *v)
{
	if (v->tx_held) {
		v->tx_held = 0;
		virtio_kick(&v->dev, &v->tx, TX_QUEUE);
	}
}

static int vnet_transmit(struct netdev *nd, const void *frame, size_t len)
{
	struct vnet *v = (struct vnet *)nd;
	if (len > ETH_FRAME_MAX || len + v->hdr_len > BUF_SIZE) {
		nd->stats.tx_dropped++;
		return -EMSGSIZE;
	}
	reclaim_tx(v);
	if (v->tx_nfree == 0) {
		tx_kick(v); /* the device may not have been told about the full ring yet */
		nd->stats.tx_dropped++;
		return -EAGAIN;
	}
	uint16_t id = v->tx_free[--v->tx_nfree];
	uint8_t *b = v->tx_bufs + (size_t)id * BUF_SIZE;
	memset(b, 0, v->hdr_len); /* no checksum offload, no segmentation */
	memcpy(b + v->hdr_len, frame, len);
	v->tx.desc[id].addr = (uintptr_t)b;
	v->tx.desc[id].len = (uint32_t)(v->hdr_len + len);
	v->tx.desc[id].flags = 0;
	vq_publish(&v->tx, id);
	/* Held frames wait for the batch's end, but never more than a quarter of the ring. */
	if (++v->tx_held >= v->tx.size / 4 || !v->tx_hold)
		tx_kick(v);
	nd->stats.tx_frames++;
	return 0;
}

static void vnet_batch(struct netdev *nd, bool begin)
{
	struct vnet *v = (struct vnet *)nd;
	v->tx_hold = begin;
	if (!begin) {
		tx_kick(v);
		rx_kick(v);
	}
}

struct netdev *virtio_net_probe(const struct virtio_mmio_window *w)
{
	struct vnet *v = &vnet;
	if (v->netdev.transmit)
		return &v->netdev; /* already probed */
	if (!virtio_mmio_find(w, VIRTIO_ID_NET, &v->dev))
		return NULL;
	if (virtio_begin(&v->dev, VIRTIO_NET_F_MAC | VIRTIO_NET_F_STATUS) != 0)
		return NULL;
	v->hdr_len = v->dev.legacy ? 10 : 12;
	if (virtio_queue_setup(&v->dev, RX_QUEUE, &v->rx, QUEUE_SIZE) != 0 ||
	    virtio_queue_setup(&v->dev, TX_QUEUE, &v->tx, QUEUE_SIZE) != 0)
		return NULL;
	v->rx_bufs = aligned_alloc(64, (size_t)v->rx.size * BUF_SIZE);
	v->tx_bufs = aligned_alloc(64, (size_t)v->tx.size * BUF_SIZE);
	if (!v->rx_bufs || !v->tx_bufs)
		return NULL;
	for (uint16_t i = 0; i < v->tx.size; i++)
		v->tx_free[v->tx_nfree++] = i;
	/* Sent buffers are taken back on the next transmit: no interrupt for them. */
	vq_interrupts(&v->tx, false);

	if (v->dev.features & VIRTIO_NET_F_MAC) {
		for (unsigned i = 0; i < 6; i++)
			v->netdev.mac[i] = virtio_config8(&v->dev, i);
	} else {
		/* locally administered, unicast: QEMU always offers a MAC, so this is a fallback */
		static const uint8_t fallback[6] = {0x02, 0x75, 0x6b, 0x00, 0x00, 0x01};
		memcpy(v->netdev.mac, fallback, 6);
	}
	v->netdev.name = "virtio-net";
	v->netdev.mtu = 1500;
	v->netdev.receive = vnet_receive;
	v->netdev.batch = vnet_batch;
	v->netdev.priv = v;
	v->netdev.link_down = !vnet_link_up(v);
	for (uint16_t i = 0; i < v->rx.size; i++)
		post_rx(v, i);
	irq_register(v->dev.irq, vnet_irq, v);
	virtio_driver_ok(&v->dev);
	virtio_notify(&v->dev, RX_QUEUE);
	v->netdev.transmit = vnet_transmit; /* last: marks the device ready */
	return &v->netdev;
}
