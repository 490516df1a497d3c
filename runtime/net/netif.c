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
 * (IPv4 without options, TCP without options or data, only the ACK flag) is held back, and a
 * later one on the same connection that acknowledges more replaces it, as Linux's GRO makes one
 * ACK of several segments: half the frames the host has to take. A duplicate ACK (the same
 * number) is never merged away: it is the sender's fast-retransmit signal. The held ACK goes out
 * before any other frame, after ACK_MERGE_MAX replacements, and at the end of the batch.
 */
#define ACK_LEN	      54 /* Ethernet 14 + IPv4 20 + TCP 20 */
#define ACK_MERGE_MAX 8	 /* at most ~16 segments acknowledged by one ACK */
static struct {
	uint8_t frame[ACK_LEN];
	bool held;
	unsigned merged;
} ack;
static bool in_batch;

static bool pure_ack(const uint8_t *f)
{
	return f[12] == 0x08 && f[13] == 0x00 &&	     /* IPv4 */
	       f[14] == 0x45 && f[16] == 0 && f[17] == 40 && /* no options, no payload */
	       (f[20] & 0x3f) == 0 && f[21] == 0 &&	     /* not a fragment */
	       f[23] == 6 &&				     /* TCP */
	       f[46] == 0x50 && f[47] == 0x10;		     /* no options; flags: ACK only */
}

static uint32_t ack_number(const uint8_t *f)
{
	return (uint32_t)f[42] << 24 | (uint32_t)f[43] << 16 | (uint32_t)f[44] << 8 | f[45];
}

static void send_held_ack(void)
{
	if (!ack.held)
		return;
	ack.held = false;
	dev->transmit(dev, ack.frame, ACK_LEN); /* a lost ACK is covered by the next one */
}

/* True when the ACK in f was taken (held, or merged into the held one). */
static bool hold_ack(const uint8_t *f)
{
	if (ack.held && !memcmp(ack.frame + 26, f + 26, 12) && /* same addresses, ports */
	    (int32_t)(ack_number(f) - ack_number(ack.frame)) > 0 && ack.merged < ACK_MERGE_MAX) {
		memcpy(ack.frame, f, ACK_LEN);
		ack.merged++;
		return true;
	}
	send_held_ack();
	memcpy(ack.frame, f, ACK_LEN);
	ack.held = true;
	ack.merged = 0;
	return true;
}

static err_t linkoutput(struct netif *netif, struct pbuf *p)
{
	(void)netif;
	if (in_batch && !p->next && p->len == ACK_LEN && pure_ack(p->payload) &&
	    hold_ack(p->payload))
		return ERR_OK;
	send_held_ack(); /* frames leave in the order lwIP sent them */
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

/* Hands every waiting frame to lwIP; returns false when pbufs ran out. */
static bool drain(struct netif *netif)
{
	for (;;) {
		/* The pool is fast; when it is empty (received data waiting in many sockets), the
		 * heap takes over, so ACKs still get in and a blocked sender can finish. */
		struct pbuf *p = pbuf_alloc(PBUF_RAW, 1514, PBUF_POOL);
		if (!p)
			p = pbuf_alloc(PBUF_RAW, 1514, PBUF_RAM);
		if (!p)
			return false; /* frames stay in the ring until memory is free again */
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
