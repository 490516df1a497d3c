/*
 * The glue between a uk network device (kernel/netdev.h) and lwIP's netif. The receive
 * interrupt only posts a semaphore; the network thread copies each frame into a pbuf and hands
 * it to lwIP (tcpip_input, which takes the core lock), a whole batch per wakeup. Frames go out
 * through linkoutput.
 */
#include <errno.h>
#include <string.h>

#include <lwip/etharp.h>
#include <lwip/ethip6.h>
#include <lwip/netif.h>
#include <lwip/pbuf.h>
#include <lwip/tcpip.h>
#include <netif/ethernet.h>
#include <uk/thread.h>
#include <uk/time.h>

#include "kernel.h"
#include "netdev.h"
#include "netglue.h"

static struct netdev *dev;
static struct uk_sem rx_sem;

/* Interrupt context: frames are waiting in the device. */
static void rx_ready(struct netdev *d)
{
	(void)d;
	uk_sem_post(&rx_sem);
}

/*
 * ACK coalescing. lwIP acknowledges every second segment; within one receive batch, a pure ACK
 * (IPv4 without options or IPv6 without extension headers, TCP without options or data, only
 * the ACK flag) is held back, and a later one on the same connection that acknowledges more
 * replaces it, as Linux's GRO makes one ACK of several segments: half the frames the host has to
 * take. A duplicate ACK (the same number) is never merged away: it is the sender's
 * fast-retransmit signal. The held ACK goes out before any other frame, after ACK_MERGE_MAX
 * replacements, and at the end of the batch.
 */
#define ACK_MERGE_MAX 8 /* at most ~16 segments acknowledged by one ACK */

/* Where a pure ACK's fields lie in its Ethernet frame; only the IP header differs. */
struct ack_shape {
	size_t len; /* Ethernet 14 + IP + TCP 20 */
	size_t key; /* source and destination addresses, then the ports */
	size_t key_len;
	size_t tcp; /* the TCP header */
};
static const struct ack_shape ack_ipv4 = {54, 26, 12, 34}, ack_ipv6 = {74, 22, 36, 54};

static struct {
	uint8_t frame[74];
	const struct ack_shape *shape;
	unsigned merged;
} ack;
static bool in_batch;

/* The shape of the pure ACK in f (len bytes), or NULL when f is anything else. */
static const struct ack_shape *pure_ack(const uint8_t *f, size_t len)
{
	const struct ack_shape *shape = NULL;
	if (len == ack_ipv4.len && f[12] == 0x08 && f[13] == 0x00 && /* IPv4 */
	    f[14] == 0x45 && f[16] == 0 && f[17] == 40 &&	     /* no options, no payload */
	    (f[20] & 0x3f) == 0 && f[21] == 0 &&		     /* not a fragment */
	    f[23] == 6)						     /* TCP */
		shape = &ack_ipv4;
	else if (len == ack_ipv6.len && f[12] == 0x86 && f[13] == 0xdd && /* IPv6 */
		 (f[14] >> 4) == 6 && f[18] == 0 && f[19] == 20 &&	  /* no payload */
		 f[20] == 6) /* next header TCP: no extension headers */
		shape = &ack_ipv6;
	if (shape && f[shape->tcp + 12] == 0x50 && f[shape->tcp + 13] == 0x10) /* ACK only */
		return shape;
	return NULL;
}

static uint32_t ack_number(const uint8_t *f, const struct ack_shape *shape)
{
	const uint8_t *n = f + shape->tcp + 8;
	return (uint32_t)n[0] << 24 | (uint32_t)n[1] << 16 | (uint32_t)n[2] << 8 | n[3];
}

static void send_held_ack(void)
{
	if (!ack.shape)
		return;
	size_t len = ack.shape->len;
	ack.shape = NULL;
	dev->transmit(dev, ack.frame, len); /* a lost ACK is covered by the next one */
}

/* Holds the ACK in f, merged into the held one when it acknowledges more on the same
 * connection. */
static void hold_ack(const uint8_t *f, const struct ack_shape *shape)
{
	if (ack.shape == shape && !memcmp(ack.frame + shape->key, f + shape->key, shape->key_len) &&
	    (int32_t)(ack_number(f, shape) - ack_number(ack.frame, shape)) > 0 &&
	    ack.merged < ACK_MERGE_MAX) {
		memcpy(ack.frame, f, shape->len);
		ack.merged++;
		return;
	}
	send_held_ack();
	memcpy(ack.frame, f, shape->len);
	ack.shape = shape;
	ack.merged = 0;
}

static err_t linkoutput(struct netif *netif, struct pbuf *p)
{
	(void)netif;
	const struct ack_shape *shape = in_batch && !p->next ? pure_ack(p->payload, p->len) : NULL;
	if (shape) {
		hold_ack(p->payload, shape);
		return ERR_OK;
	}
	send_held_ack(); /* frames leave in the order lwIP sent them */
	static uint8_t frame[ETH_FRAME_MAX];
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

/* Hands every waiting frame to lwIP; returns false when pbufs ran out. */
static bool drain(struct netif *netif)
{
	for (;;) {
		/* The pool is fast; when it is empty (received data waiting in many sockets), the
		 * heap takes over, so ACKs still get in and a blocked sender can finish. */
		struct pbuf *p = pbuf_alloc(PBUF_RAW, ETH_FRAME_MAX, PBUF_POOL);
		if (!p)
			p = pbuf_alloc(PBUF_RAW, ETH_FRAME_MAX, PBUF_RAM);
		if (!p)
			return false; /* frames stay in the ring until memory is free again */
		size_t len;
		if (p->next == NULL)
			len = dev->receive(dev, p->payload, p->len);
		else {
			static uint8_t frame[ETH_FRAME_MAX];
			len = dev->receive(dev, frame, sizeof(frame));
			if (len)
				pbuf_take(p, frame, (u16_t)len);
		}
		if (!len) {
			pbuf_free(p);
			return true;
		}
		pbuf_realloc(p, (u16_t)len);
		if (netif->input(p, netif) != ERR_OK)
			pbuf_free(p);
	}
}

/* Network thread: one batch, so the answers lwIP sends meanwhile (ACKs, mostly) go to the
 * device with one notification at the end rather than one each. */
static bool poll_input(struct netif *netif)
{
	if (dev->batch)
		dev->batch(dev, true);
	in_batch = true;
	bool ok = drain(netif);
	in_batch = false;
	send_held_ack();
	if (dev->batch)
		dev->batch(dev, false);
	return ok;
}

/* Network thread, or under the core lock at start: the interface follows the device's link. */
void net_link_sync(struct netif *netif)
{
	bool up = !dev->link_down;
	if (up == !!netif_is_link_up(netif))
		return;
	kprintf("net: link %s\n", up ? "up" : "down");
	if (up)
		netif_set_link_up(netif); /* DHCP starts over, addresses are announced again */
	else
		netif_set_link_down(netif);
}

static void net_thread(void *arg)
{
	struct netif *netif = arg;
	for (;;) {
		uk_sem_wait(&rx_sem, 0);
		if (!dev->link_down != !!netif_is_link_up(netif)) {
			LOCK_TCPIP_CORE();
			net_link_sync(netif);
			UNLOCK_TCPIP_CORE();
		}
		while (!poll_input(netif))
			uk_thread_sleep_until(uk_now_ns() + 1000000); /* out of pbufs: 1 ms */
	}
}

/* Thread context, before lwIP's core lock exists is fine: called from uk_net_start. */
int net_attach(struct netif *netif)
{
	dev = netdev_probe();
	if (!dev)
		return -ENODEV;
	uk_sem_init(&rx_sem, 0);
	dev->rx_ready = rx_ready;
	if (!netif_add_noaddr(netif, NULL, netif_setup, tcpip_input))
		return -EIO;
	struct uk_thread *t = uk_thread_create("net-rx", net_thread, netif, 16 * 1024);
	if (!t)
		return -ENOMEM;
	uk_thread_detach(t);
	uk_sem_post(&rx_sem); /* frames may have arrived before the thread existed */
	return 0;
}

const struct netdev_stats *net_device_stats(void)
{
	return dev ? &dev->stats : NULL;
}
