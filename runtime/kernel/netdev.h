/*
 * A network device as the network stack sees it (drivers/virtio_net.c, drivers/usb/cdc_ecm.c and
 * usb_ether.c, drivers/genet.c). Frames are whole Ethernet frames without FCS.
 */
#ifndef UK_NETDEV_H
#define UK_NETDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Ethernet frame sizes, as drivers and the stack pass frames: without the FCS. */
#define ETH_HLEN	   14	/* a header alone: the shortest frame a driver passes up */
#define ETH_FRAME_MAX	   1514 /* untagged: the header and a 1500-byte payload */
#define ETH_FRAME_MAX_VLAN 1518 /* with one 802.1Q tag */
#define ETH_ZLEN	   60	/* the shortest frame on the wire: shorter ones are padded */
#define ETH_FCS_LEN	   4

struct netdev_stats {
	uint64_t rx_frames, tx_frames;
	uint64_t rx_dropped; /* malformed, oversized, or no room upstream */
	uint64_t tx_dropped; /* ring full or frame too large */
};

struct netdev {
	const char *name;
	uint8_t mac[6];
	uint16_t mtu;
	/* Copies one frame out; -EAGAIN when the transmit ring is full, -EMSGSIZE when too big.
	 * Thread context. */
	int (*transmit)(struct netdev *dev, const void *frame, size_t len);
	/* Copies the next received frame into buf (at most max bytes); returns its length, or 0
	 * when none is waiting. Thread context. */
	size_t (*receive)(struct netdev *dev, void *buf, size_t max);
	/* Optional (NULL: transmit sends at once). The stack calls batch(dev, true) before taking
	 * a run of received frames and batch(dev, false) after: frames transmitted in between may
	 * wait in the device's ring until then, so one doorbell covers them all. Thread context. */
	void (*batch)(struct netdev *dev, bool begin);
	/* Set by the stack: called from the device's interrupt handler when frames arrive, or
	 * when the link changed (netdev_link_changed). */
	void (*rx_ready)(struct netdev *dev);
	/* Devices that know their link (a PHY) keep this true while the cable is out; the stack
	 * then marks its interface down, and DHCP starts over when the link returns. Devices
	 * that cannot tell leave it false: up. */
	bool link_down;
	struct netdev_stats stats;
	void *priv;
};

/* Drivers call this when their link went up or down: any context. */
static inline void netdev_link_changed(struct netdev *dev, bool up)
{
	dev->link_down = !up;
	if (dev->rx_ready)
		dev->rx_ready(dev); /* the network thread looks at link_down when it wakes */
}

/* The board's network device, probed on first use; NULL when it has none. Each board's
 * platform.c defines it, a free function like rng_probe and block_probe rather than a member
 * of struct platform: struct platform is in every image, so its members' drivers would be too,
 * while this pulls the NIC drivers (on the Pi the whole USB stack) only into apps that network. */
struct netdev *netdev_probe(void);

#endif
