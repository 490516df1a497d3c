/*
 * CDC Ethernet Control Model (USB CDC ECM 1.2) class driver, as a struct netdev: QEMU's usb-net
 * (0525:a4a2) and any ECM adapter. Ethernet frames travel unframed on the data interface's bulk
 * endpoints (ECM 1.2 section 3.3.1): one frame per transfer, and a transfer ends with a short
 * packet, or with a zero-length packet when the frame is a whole number of packets. That is how
 * Linux's usbnet/cdc_ether sends, and what QEMU's usb-net waits for before it passes a frame on.
 *
 * Receive: a ring of 2 KiB buffers with one bulk IN transfer outstanding on the next free one;
 * its completion (interrupt context) files the frame, resubmits, and signals the stack. A
 * transfer that fills its whole buffer was not ended by a short packet: the frame goes on (a
 * device sending more than any Ethernet frame, or a ZLP still due), so it and what follows up
 * to the next short packet are one frame, dropped and counted once. Likewise after a
 * transfer error, when the next transfer may start in the middle of a frame.
 * Transmit: a ring of frames, sent in order (one packet per transfer at full speed, see
 * ecm_probe), each followed by a ZLP when it fills whole packets. A transfer that fails ends
 * its frame early with a ZLP (the device may hold part of it, which must not run into the next
 * frame); the frame is dropped and counted.
 * Every error path goes on by itself: a busy controller or a failed transfer retries from a
 * timer, and a STALLed bulk endpoint is cleared (CLEAR_FEATURE(ENDPOINT_HALT), issued from
 * interrupt context as two transfers on endpoint 0) before its direction resumes. Only that
 * needs endpoint 0 after probe, so it does not take usb_control's lock.
 * The notification endpoint (link up/down, section 6.3) is not read: the link counts as up.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <uk/time.h>

#include "drivers.h"
#include "netdev.h"
#include "sysreg.h"
#include "usb.h"

#define CDC_CLASS_COMM	      0x02 /* CDC 1.2 table 3 */
#define CDC_SUBCLASS_ECM      0x06 /* CDC 1.2 table 4 */
#define CDC_CLASS_DATA	      0x0a /* CDC 1.2 table 6 */
#define CDC_ETHERNET_FUNC     0x0f /* Ethernet Networking Functional Descriptor, ECM 1.2 5.4 */
#define CDC_SET_PACKET_FILTER 0x43 /* SetEthernetPacketFilter, ECM 1.2 section 6.2.4 */
#define USB_REQ_ENDPOINT      0x02 /* bmRequestType recipient (USB 2.0 table 9-2) */
#define ENDPOINT_HALT	      0	   /* feature selector (USB 2.0 table 9-6) */
#define PACKET_TYPE_DIRECTED  (1u << 2)
#define PACKET_TYPE_BROADCAST (1u << 3)
#define PACKET_TYPE_ALL_MCAST (1u << 1)

#define RX_SLOTS 32
#define RX_BUF	 2048 /* more than a frame: QEMU's DWC2 moves such transfers in one go */
#define TX_SLOTS 32
#define TX_BUF	 1536
#define ETH_MAX	 1514
#define ETH_MIN	 14
#define HALT_IN	 1 /* ecm.halted: the bulk IN endpoint STALLed */
#define HALT_OUT 2

struct ecm {
	struct netdev netdev;
	struct usb_device *dev;
	uint8_t ep_in, ep_out;
	uint16_t mps_in, mps_out;
	/* receive ring: [rx_head, rx_head + rx_count) hold frames; transfer fills rx_tail */
	uint8_t *rx_bufs;
	uint16_t rx_len[RX_SLOTS];
	unsigned rx_head, rx_tail, rx_count;
	bool rx_busy;	    /* the IN transfer is outstanding */
	bool rx_discard;    /* in the middle of a dropped frame: skip to its end (a short packet) */
	unsigned rx_errors; /* transfer errors in a row: the wait before the next try doubles */
	struct usb_xfer rx;
	/* transmit ring: [tx_head, tx_head + tx_count) wait; tx_head is on the wire when busy */
	uint8_t *tx_bufs;
	uint16_t tx_len[TX_SLOTS];
	unsigned tx_head, tx_count;
	uint32_t tx_off;   /* bytes of the head frame already sent */
	uint32_t tx_chunk; /* bytes per transfer, a whole number of packets */
	bool tx_busy;
	struct usb_xfer tx;
	struct uk_timer retry; /* resumes after an error or a busy controller */
	/* clearing a STALLed endpoint: setup and status stage on endpoint 0 */
	struct usb_xfer ctl;
	uint8_t *ctl_buf; /* the setup packet (64-byte aligned for DMA) */
	uint8_t halted;	  /* HALT_IN | HALT_OUT: endpoints whose halt is not cleared yet */
	uint8_t clearing; /* the one ctl is clearing, 0 when ctl is idle */
};

static struct ecm *ecm;

/* IRQs masked. Has resume() run in ms milliseconds, or sooner if it is due sooner already. */
static void retry_in(struct ecm *e, unsigned ms)
{
	uint64_t when = uk_now_ns() + (uint64_t)ms * 1000000u;
	if (!e->retry.armed || e->retry.deadline_ns > when)
		uk_timer_start(&e->retry, when);
}

/* IRQs masked. Starts clearing the next halted endpoint: the setup stage of
 * CLEAR_FEATURE(ENDPOINT_HALT) (USB 2.0 section 9.4.1); halt_done runs the rest. */
static void halt_start(struct ecm *e)
{
	if (e->clearing || !e->halted)
		return;
	e->clearing = e->halted & HALT_IN ? HALT_IN : HALT_OUT;
	uint8_t *s = e->ctl_buf;
	memset(s, 0, 8);
	s[0] = USB_REQ_ENDPOINT;
	s[1] = USB_CLEAR_FEATURE;
	s[2] = ENDPOINT_HALT;
	s[4] = e->clearing == HALT_IN ? e->ep_in : e->ep_out; /* wIndex: the endpoint */
	e->ctl.ep = 0;
	e->ctl.pid = USB_PID_SETUP;
	e->ctl.buf = s;
	e->ctl.len = 8;
	if (usb_submit(&e->ctl) != 0) {
		e->clearing = 0;
		retry_in(e, 1);
	}
}

static void rx_start(struct ecm *e);
static void tx_start(struct ecm *e);

/* IRQs masked, or interrupt context: gets every stopped part going again. */
static void resume(struct ecm *e)
{
	halt_start(e);
	rx_start(e);
	if (!e->tx_busy)
		tx_start(e);
}

/* Interrupt context: a stage of clearing a halt is over. */
static void halt_done(struct usb_xfer *x)
{
	struct ecm *e = x->arg;
	if (x->status != 0) { /* start again from the setup stage, a little later */
		e->clearing = 0;
		retry_in(e, 10);
		return;
	}
	if (x->pid == USB_PID_SETUP) { /* status stage: no data stage, so a zero-length IN */
		x->ep = USB_DIR_IN;
		x->pid = USB_PID_DATA1;
		x->len = 0;
		if (usb_submit(x) != 0) {
			e->clearing = 0;
			retry_in(e, 1);
		}
		return;
	}
	/* Cleared: the endpoint starts again with DATA0 (USB 2.0 section 9.4.5). */
	uint8_t ep = e->clearing == HALT_IN ? e->ep_in : e->ep_out;
	e->dev->toggle &= ~(1u << ((ep & 0xf) + (ep & USB_DIR_IN ? 16 : 0)));
	e->halted &= (uint8_t)~e->clearing;
	e->clearing = 0;
	resume(e);
}

/* IRQs masked. Starts the IN transfer on the tail slot if there is room. */
static void rx_start(struct ecm *e)
{
	if (e->rx_busy || e->rx_count == RX_SLOTS || (e->halted & HALT_IN))
		return;
	e->rx.buf = e->rx_bufs + (size_t)e->rx_tail * RX_BUF;
	e->rx.len = RX_BUF;
	e->rx_busy = true;
	if (usb_submit(&e->rx) != 0) {
		e->rx_busy = false;
		retry_in(e, 1); /* every channel busy: they free up quickly */
	}
}

/* Interrupt context. */
static void rx_done(struct usb_xfer *x)
{
	struct ecm *e = x->arg;
	e->rx_busy = false;
	if (x->status == 0) {
		e->rx_errors = 0;
		/* A short packet (a ZLP included) ended the transfer: a frame ends here. */
		bool ended = x->actual < RX_BUF;
		if (e->rx_discard) {
			e->rx_discard = !ended; /* the tail of a frame already counted */
		} else if (ended && x->actual >= ETH_MIN && x->actual <= ETH_MAX) {
			e->rx_len[e->rx_tail] = (uint16_t)x->actual;
			e->rx_tail = (e->rx_tail + 1) % RX_SLOTS;
			e->rx_count++;
		} else {
			e->netdev.stats.rx_dropped++; /* a runt, or longer than a frame */
			e->rx_discard = !ended;
		}
		rx_start(e);
	} else if (x->status == -EPIPE) {
		/* STALL: the endpoint is halted until cleared; the device starts afresh then */
		e->netdev.stats.rx_dropped++;
		e->rx_discard = false;
		e->halted |= HALT_IN;
		halt_start(e);
	} else {
		/* An error (XactErr after the core's retries, babble...): what already arrived of
		 * the frame is lost, so its rest is dropped too. Give the device a moment: 10 ms,
		 * doubling while errors go on (a device that went away), up to 1.28 s. */
		e->netdev.stats.rx_dropped++;
		e->rx_discard = true;
		retry_in(e, 10u << (e->rx_errors < 7 ? e->rx_errors : 7));
		e->rx_errors++;
	}
	if (e->rx_count && e->netdev.rx_ready)
		e->netdev.rx_ready(&e->netdev);
}

/* Timer callback (interrupt context). */
static void retry_fired(struct uk_timer *t, void *arg)
{
	(void)t;
	resume(arg);
}

static size_t ecm_receive(struct netdev *nd, void *buf, size_t max)
{
	struct ecm *e = nd->priv;
	for (;;) {
		uint64_t flags = irq_save();
		if (!e->rx_count) {
			irq_restore(flags);
			return 0;
		}
		unsigned slot = e->rx_head;
		irq_restore(flags);
		size_t len = e->rx_len[slot];
		bool ok = len <= max;
		if (ok)
			memcpy(buf, e->rx_bufs + (size_t)slot * RX_BUF, len);
		flags = irq_save();
		e->rx_head = (e->rx_head + 1) % RX_SLOTS;
		e->rx_count--;
		rx_start(e); /* the ring may have been full */
		irq_restore(flags);
		if (ok) {
			nd->stats.rx_frames++;
			return len;
		}
		nd->stats.rx_dropped++;
	}
}

/* IRQs masked. The head frame is over (sent or not): on to the next. */
static void tx_next(struct ecm *e)
{
	e->tx_off = 0;
	e->tx_head = (e->tx_head + 1) % TX_SLOTS;
	e->tx_count--;
}

/* IRQs masked. Puts the next piece of the head frame on the wire: up to tx_chunk bytes, or the
 * ZLP that ends a frame filling whole packets. */
static void tx_start(struct ecm *e)
{
	if (!e->tx_count || (e->halted & HALT_OUT))
		return;
	uint32_t left = e->tx_len[e->tx_head] - e->tx_off;
	/* a ZLP points at the slot's start: the controller wants an aligned address anyway */
	e->tx.buf = e->tx_bufs + (size_t)e->tx_head * TX_BUF + (left ? e->tx_off : 0);
	e->tx.len = left < e->tx_chunk ? left : e->tx_chunk;
	e->tx_busy = true;
	if (usb_submit(&e->tx) != 0) {
		e->tx_busy = false; /* every channel busy: they free up quickly */
		retry_in(e, 1);
	}
}

/* Interrupt context. */
static void tx_done(struct usb_xfer *x)
{
	struct ecm *e = x->arg;
	e->tx_busy = false;
	if (x->status == -EPIPE) { /* STALL: clear the halt, then go on with the next frame */
		e->netdev.stats.tx_dropped++;
		tx_next(e);
		e->halted |= HALT_OUT;
		halt_start(e);
	} else if (x->status != 0) {
		/* The device may hold part of the frame: end it now with a ZLP (tx_start sends
		 * one when nothing is left), so that it does not run into the next frame; the
		 * receiver's checks (FCS on a wire, IP checksums here) discard it. A ZLP that
		 * fails too leaves it to the next frame's short packet. */
		e->netdev.stats.tx_dropped++;
		if (x->len)
			e->tx_off = e->tx_len[e->tx_head];
		else
			tx_next(e);
	} else {
		e->tx_off += x->len;
		bool more = e->tx_off < e->tx_len[e->tx_head];
		bool zlp_due = !more && x->len && x->len % e->mps_out == 0;
		if (!more && !zlp_due)
			tx_next(e);
	}
	tx_start(e);
}

static int ecm_transmit(struct netdev *nd, const void *frame, size_t len)
{
	struct ecm *e = nd->priv;
	if (len > ETH_MAX || len == 0) {
		nd->stats.tx_dropped++;
		return -EMSGSIZE;
	}
	uint64_t flags = irq_save();
	if (e->tx_count == TX_SLOTS) {
		irq_restore(flags);
		nd->stats.tx_dropped++;
		return -EAGAIN;
	}
	unsigned slot = (e->tx_head + e->tx_count) % TX_SLOTS;
	irq_restore(flags);
	memcpy(e->tx_bufs + (size_t)slot * TX_BUF, frame, len);
	e->tx_len[slot] = (uint16_t)len;
	flags = irq_save();
	e->tx_count++;
	if (!e->tx_busy)
		tx_start(e);
	irq_restore(flags);
	nd->stats.tx_frames++;
	return 0;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
				      : -1;
}

static int ecm_probe(struct usb_device *d, const uint8_t *cfg, size_t len)
{
	if (ecm)
		return -EBUSY; /* one network device is all the stack uses */
	const uint8_t *end = cfg + len;
	int comm = -1, data = -1, data_alt = -1, cur_class = -1, cur_iface = -1, cur_alt = 0;
	uint8_t mac_idx = 0, ep_in = 0, ep_out = 0;
	uint16_t mps_in = 0, mps_out = 0;
	for (const uint8_t *p = cfg; p; p = usb_desc_next(p, end)) {
		if (p[1] == USB_DT_INTERFACE && p[0] >= 9) {
			cur_iface = p[2];
			cur_alt = p[3];
			cur_class = p[5];
			if (p[5] == CDC_CLASS_COMM && p[6] == CDC_SUBCLASS_ECM && comm < 0)
				comm = p[2];
		} else if (p[1] == USB_DT_CS_INTERFACE && p[0] >= 13 && p[2] == CDC_ETHERNET_FUNC &&
			   cur_iface == comm && comm >= 0) {
			mac_idx = p[3];
		} else if (p[1] == USB_DT_ENDPOINT && p[0] >= 7 && cur_class == CDC_CLASS_DATA &&
			   comm >= 0 && (p[3] & 3) == USB_EP_BULK &&
			   (data < 0 || data == cur_iface)) {
			uint16_t mps = (uint16_t)((p[4] | p[5] << 8) & 0x7ff);
			if (p[2] & USB_DIR_IN) {
				ep_in = p[2];
				mps_in = mps;
			} else {
				ep_out = p[2];
				mps_out = mps;
			}
			data = cur_iface;
			data_alt = cur_alt;
		}
	}
	if (comm < 0 || data < 0 || !ep_in || !ep_out || !mps_in || !mps_out)
		return -ENODEV;

	struct ecm *e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->rx_bufs = aligned_alloc(64, (size_t)RX_SLOTS * RX_BUF);
	e->tx_bufs = aligned_alloc(64, (size_t)TX_SLOTS * TX_BUF);
	e->ctl_buf = aligned_alloc(64, 64);
	if (!e->rx_bufs || !e->tx_bufs || !e->ctl_buf) {
		free(e->rx_bufs);
		free(e->tx_bufs);
		free(e->ctl_buf);
		free(e);
		return -ENOMEM;
	}
	if (usb_control(d, USB_REQ_DEVICE, USB_SET_CONFIGURATION, cfg[5], 0, NULL, 0) < 0)
		return -EIO;
	/* The data interface's alternate setting 0 has no endpoints; selecting the one with the
	 * bulk pair starts the function (ECM 1.2 section 3.3). */
	if (data_alt > 0)
		usb_control(d, USB_REQ_INTERFACE, USB_SET_INTERFACE, (uint16_t)data_alt,
			    (uint16_t)data, NULL, 0);
	usb_control(d, USB_REQ_CLASS | USB_REQ_INTERFACE, CDC_SET_PACKET_FILTER,
		    PACKET_TYPE_DIRECTED | PACKET_TYPE_BROADCAST | PACKET_TYPE_ALL_MCAST,
		    (uint16_t)comm, NULL, 0);

	/* iMACAddress: 12 hex digits, most significant first (ECM 1.2 section 5.4). */
	char s[16];
	bool mac_ok = usb_string(d, mac_idx, s, sizeof(s)) == 12;
	for (int i = 0; mac_ok && i < 6; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
		mac_ok = hi >= 0 && lo >= 0;
		e->netdev.mac[i] = (uint8_t)(hi << 4 | lo);
	}
	if (!mac_ok) { /* locally administered, unicast */
		static const uint8_t fallback[6] = {0x02, 0x75, 0x6b, 0x00, 0x00, 0x02};
		memcpy(e->netdev.mac, fallback, 6);
	}
	const uint8_t *m = e->netdev.mac;
	kprintf("usb-ecm: device %u: interfaces %d/%d, bulk in %#x out %#x (%u/%u bytes), "
		"mac %02x:%02x:%02x:%02x:%02x:%02x%s\n",
		d->addr, comm, data, ep_in, ep_out, mps_in, mps_out, m[0], m[1], m[2], m[3], m[4],
		m[5], mac_ok ? "" : " (no iMACAddress: made up)");

	e->dev = d;
	e->ep_in = ep_in;
	e->ep_out = ep_out;
	e->mps_in = mps_in;
	e->mps_out = mps_out;
	/* Full speed (64-byte packets, QEMU's usb-net among them): one packet per transfer.
	 * QEMU's DWC2 model moves one packet of a multi-packet OUT transfer per 250 us tick but
	 * completes a one-packet transfer at once; on the wire the packets are the same. High
	 * speed: the whole frame in one transfer. */
	e->tx_chunk = d->speed == USB_SPEED_HIGH ? TX_BUF : mps_out;
	e->rx = (struct usb_xfer){.dev = d,
				  .ep = ep_in,
				  .type = USB_EP_BULK,
				  .pid = USB_PID_AUTO,
				  .mps = mps_in,
				  .done = rx_done,
				  .arg = e};
	e->tx = (struct usb_xfer){.dev = d,
				  .ep = ep_out,
				  .type = USB_EP_BULK,
				  .pid = USB_PID_AUTO,
				  .mps = mps_out,
				  .done = tx_done,
				  .arg = e};
	e->ctl = (struct usb_xfer){.dev = d,
				   .type = USB_EP_CONTROL,
				   .mps = d->desc.bMaxPacketSize0,
				   .done = halt_done,
				   .arg = e};
	uk_timer_init(&e->retry, retry_fired, e);
	e->netdev.name = "usb-ecm";
	e->netdev.mtu = 1500;
	e->netdev.receive = ecm_receive;
	e->netdev.transmit = ecm_transmit;
	e->netdev.priv = e;
	d->class_priv = e;
	uint64_t flags = irq_save();
	rx_start(e);
	irq_restore(flags);
	ecm = e;
	return 0;
}

struct netdev *cdc_ecm_netdev(void)
{
	return ecm ? &ecm->netdev : NULL;
}

const struct usb_driver cdc_ecm_driver = {.name = "cdc-ecm", .probe = ecm_probe};
