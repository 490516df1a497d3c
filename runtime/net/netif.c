/*
 * The glue between a uk network device (kernel/netdev.h) and lwIP's netif: frames in through
 * net_poll_input() in loop context, frames out through linkoutput. The receive interrupt only
 * raises a flag; all lwIP work happens in the loop.
 */
#include <errno.h>
#include <string.h>

#include <lwip/etharp.h>
#include <lwip/ethip6.h>
#include <lwip/netif.h>
#include <lwip/pbuf.h>
#include <netif/ethernet.h>

#include "netdev.h"
#include "netglue.h"

static struct netdev *dev;
volatile bool net_rx_pending;

/* Interrupt context: frames are waiting in the device. */
static void rx_ready(struct netdev *d)
{
	(void)d;
	net_rx_pending = true;
}

static err_t linkoutput(struct netif *netif, struct pbuf *p)
{
	(void)netif;
	static uint8_t frame[1514];
	const void *data = p->payload;
	if (p->next) { /* chained: make it contiguous, the device copies one buffer */
		if (p->tot_len > sizeof(frame))
			return ERR_BUF;
		pbuf_copy_partial(p, frame, p->tot_len, 0);
		data = frame;
	}
	int r = dev->transmit(dev, data, p->tot_len);
	if (r == -EAGAIN) /* ring full: TCP retransmits, UDP is best effort */
		return ERR_MEM;
	return r == 0 ? ERR_OK : ERR_BUF;
}

static err_t netif_setup(struct netif *netif)
{
	netif->name[0] = 'e';
	netif->name[1] = 'n';
	netif->hwaddr_len = 6;
	memcpy(netif->hwaddr, dev->mac, 6);
	netif->mtu = dev->mtu;
	netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET |
		       NETIF_FLAG_IGMP | NETIF_FLAG_MLD6;
	netif->output = etharp_output;
	netif->output_ip6 = ethip6_output;
	netif->linkoutput = linkoutput;
	return ERR_OK;
}

int net_attach(struct netif *netif)
{
	dev = netdev_probe();
	if (!dev)
		return -ENODEV;
	dev->rx_ready = rx_ready;
	if (!netif_add_noaddr(netif, NULL, netif_setup, netif_input))
		return -EIO;
	return 0;
}

/* Loop context: hands every waiting frame to lwIP; returns how many. */
unsigned net_poll_input(struct netif *netif)
{
	unsigned n = 0;
	net_rx_pending = false;
	for (;;) {
		struct pbuf *p = pbuf_alloc(PBUF_RAW, 1514, PBUF_POOL);
		if (!p) {
			/* No buffers: leave frames in the ring; try again on the next pass. */
			net_rx_pending = true;
			return n;
		}
		size_t len;
		if (p->next == NULL)
			len = dev->receive(dev, p->payload, p->len);
		else {
			static uint8_t frame[1514];
			len = dev->receive(dev, frame, sizeof(frame));
			if (len)
				pbuf_take(p, frame, (u16_t)len);
		}
		if (!len) {
			pbuf_free(p);
			return n;
		}
		pbuf_realloc(p, (u16_t)len);
		if (netif->input(p, netif) != ERR_OK)
			pbuf_free(p);
		n++;
	}
}

const struct netdev_stats *net_device_stats(void)
{
	return dev ? &dev->stats : NULL;
}
