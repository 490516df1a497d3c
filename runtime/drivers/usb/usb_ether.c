/*
 * The part of the USB Ethernet drivers that does not depend on the device (see usb_ether.h):
 * register and PHY access, the MAC address, error recovery, the bulk receive and transmit rings
 * (cdc_ecm.c's too), the interrupt endpoint and the link check, and the chips' probe.
 */
#include "usb_ether.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "drivers.h"
#include "sysreg.h"

#define EEPROM_SIGNATURE 0xa5 /* byte 0 of a programmed EEPROM; the MAC address follows */
/* E2P_CMD, the same on both chips (LAN9514 and LAN7800 datasheets, E2P_CMD) */
#define E2P_CMD_BUSY	(1u << 31)
#define E2P_CMD_READ	(0u << 28)
#define E2P_CMD_TIMEOUT (1u << 10)
#define E2P_CMD_ADDR	0x1ffu

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ---- registers and the PHY ---- */

int ue_read(struct usb_ether *ue, uint16_t reg, uint32_t *val)
{
	uint8_t b[4];
	int r = usb_control(ue->dev, USB_REQ_IN | USB_REQ_VENDOR | USB_REQ_DEVICE,
			    USB_VENDOR_READ_REGISTER, 0, reg, b, 4);
	if (r != 4)
		return r < 0 ? r : -EIO;
	*val = le32(b);
	return 0;
}

int ue_write(struct usb_ether *ue, uint16_t reg, uint32_t val)
{
	uint8_t b[4] = {(uint8_t)val, (uint8_t)(val >> 8), (uint8_t)(val >> 16),
			(uint8_t)(val >> 24)};
	int r = usb_control(ue->dev, USB_REQ_VENDOR | USB_REQ_DEVICE, USB_VENDOR_WRITE_REGISTER, 0,
			    reg, b, 4);
	return r < 0 ? r : 0;
}

int ue_set(struct usb_ether *ue, uint16_t reg, uint32_t clear, uint32_t set)
{
	uint32_t v;
	int r = ue_read(ue, reg, &v);
	return r < 0 ? r : ue_write(ue, reg, (v & ~clear) | set);
}

int ue_wait(struct usb_ether *ue, uint16_t reg, uint32_t mask, uint32_t want)
{
	for (int i = 0; i < UE_WAIT_MS; i++) {
		uint32_t v;
		int r = ue_read(ue, reg, &v);
		if (r < 0)
			return r;
		if ((v & mask) == want)
			return 0;
		usb_sleep_ms(1);
	}
	return -ETIMEDOUT;
}

static uint32_t mii_cmd(const struct ue_mii *m, unsigned reg)
{
	return (uint32_t)m->phy << m->phy_shift | (uint32_t)reg << m->reg_shift | m->busy;
}

int ue_mii_read(struct usb_ether *ue, unsigned reg, uint16_t *val)
{
	const struct ue_mii *m = &ue->chip->mii;
	uint32_t v;
	int r = ue_wait(ue, m->acc, m->busy, 0);
	if (r == 0)
		r = ue_write(ue, m->acc, mii_cmd(m, reg));
	if (r == 0)
		r = ue_wait(ue, m->acc, m->busy, 0);
	if (r == 0)
		r = ue_read(ue, m->data, &v);
	if (r == 0)
		*val = (uint16_t)v;
	return r;
}

int ue_mii_write(struct usb_ether *ue, unsigned reg, uint16_t val)
{
	const struct ue_mii *m = &ue->chip->mii;
	int r = ue_wait(ue, m->acc, m->busy, 0);
	if (r == 0)
		r = ue_write(ue, m->data, val);
	if (r == 0)
		r = ue_write(ue, m->acc, mii_cmd(m, reg) | m->write);
	if (r == 0)
		r = ue_wait(ue, m->acc, m->busy, 0);
	return r;
}

/* ---- the MAC address ---- */

/* One EEPROM byte through E2P_CMD/E2P_DATA: -EIO when nothing answers (E2P_CMD's timeout). */
static int eeprom_read(struct usb_ether *ue, unsigned addr, uint8_t *val)
{
	const struct ue_chip *c = ue->chip;
	uint32_t v;
	int r = ue_write(ue, c->e2p_cmd, E2P_CMD_BUSY | E2P_CMD_READ | (addr & E2P_CMD_ADDR));
	if (r == 0)
		r = ue_wait(ue, c->e2p_cmd, E2P_CMD_BUSY, 0);
	if (r == 0)
		r = ue_read(ue, c->e2p_cmd, &v);
	if (r == 0 && (v & E2P_CMD_TIMEOUT))
		r = -EIO;
	if (r == 0)
		r = ue_read(ue, c->e2p_data, &v);
	if (r == 0)
		*val = (uint8_t)v;
	return r;
}

static bool mac_valid(const uint8_t m[6])
{
	static const uint8_t zero[6];
	return !(m[0] & 1) && memcmp(m, zero, 6) != 0; /* unicast (ff:..:ff is multicast) */
}

const char *ue_choose_mac(struct usb_ether *ue, uint8_t mac[6])
{
	uint8_t sig;
	bool ok = eeprom_read(ue, 0, &sig) == 0 && sig == EEPROM_SIGNATURE;
	for (unsigned i = 0; ok && i < 6; i++)
		ok = eeprom_read(ue, 1 + i, &mac[i]) == 0;
	if (ok && mac_valid(mac))
		return "eeprom";
	if (usb_net_board_mac(mac) == 0 && mac_valid(mac))
		return "board";
	const uint8_t fallback[6] = {0x02, 0x75, 0x6b, 0x00, 0x00, ue->chip->mac_last};
	memcpy(mac, fallback, 6);
	return "made up";
}

void ue_mac_words(const uint8_t m[6], uint32_t *lo, uint32_t *hi)
{
	*lo = le32(m);
	*hi = (uint32_t)m[4] | (uint32_t)m[5] << 8;
}

/* ---- error recovery (see usb_ether.h) ---- */

#define USB_REQ_ENDPOINT 0x02 /* bmRequestType recipient (USB 2.0 table 9-2) */
#define ENDPOINT_HALT	 0    /* feature selector (USB 2.0 table 9-6) */

void ue_retry_in(struct ue_recover *r, unsigned ms)
{
	uint64_t when = uk_now_ns() + (uint64_t)ms * 1000000u;
	if (!r->timer.armed || r->timer.deadline_ns > when)
		uk_timer_start(&r->timer, when);
}

static uint8_t halt_ep(const struct ue_recover *r)
{
	return r->clearing == UE_HALT_IN ? r->ep_in : r->ep_out;
}

/* IRQs masked. The setup stage of clearing the next halted endpoint; halt_done runs the
 * rest. */
static void halt_start(struct ue_recover *r)
{
	if (r->clearing || !r->halted)
		return;
	r->clearing = r->halted & UE_HALT_IN ? UE_HALT_IN : UE_HALT_OUT;
	uint8_t *s = r->ctl_buf;
	memset(s, 0, 8);
	s[0] = USB_REQ_ENDPOINT;
	s[1] = USB_CLEAR_FEATURE;
	s[2] = ENDPOINT_HALT;
	s[4] = halt_ep(r); /* wIndex: the endpoint */
	r->ctl.ep = 0;
	r->ctl.pid = USB_PID_SETUP;
	r->ctl.buf = s;
	r->ctl.len = 8;
	if (usb_submit(&r->ctl) != 0) {
		r->clearing = 0;
		ue_retry_in(r, 1);
	}
}

/* IRQs masked, or interrupt context: gets every stopped part going again. */
static void recover_resume(struct ue_recover *r)
{
	halt_start(r);
	r->resume(r->arg);
}

/* Interrupt context: a stage of clearing a halt is over. */
static void halt_done(struct usb_xfer *x)
{
	struct ue_recover *r = x->arg;
	if (x->status != 0) { /* start again from the setup stage, a little later */
		r->clearing = 0;
		ue_retry_in(r, 10);
		return;
	}
	if (x->pid == USB_PID_SETUP) { /* status stage: no data stage, so a zero-length IN */
		x->ep = USB_DIR_IN;
		x->pid = USB_PID_DATA1;
		x->len = 0;
		if (usb_submit(x) != 0) {
			r->clearing = 0;
			ue_retry_in(r, 1);
		}
		return;
	}
	uint8_t ep = halt_ep(r);
	r->dev->toggle &= ~(1u << ((ep & 0xf) + (ep & USB_DIR_IN ? 16 : 0)));
	r->halted &= (uint8_t)~r->clearing;
	r->clearing = 0;
	recover_resume(r);
}

/* Timer callback (interrupt context). */
static void recover_fired(struct uk_timer *t, void *arg)
{
	(void)t;
	recover_resume(arg);
}

void ue_halt(struct ue_recover *r, uint8_t which)
{
	r->halted |= which;
	halt_start(r);
}

void ue_rx_error(struct ue_recover *r)
{
	ue_retry_in(r, 10u << (r->rx_errors < 7 ? r->rx_errors : 7));
	r->rx_errors++;
}

int ue_recover_init(struct ue_recover *r, struct usb_device *d, uint8_t ep_in, uint8_t ep_out,
		    void (*resume)(void *arg), void *arg)
{
	r->ctl_buf = aligned_alloc(64, 64);
	if (!r->ctl_buf)
		return -ENOMEM;
	r->dev = d;
	r->ep_in = ep_in;
	r->ep_out = ep_out;
	r->resume = resume;
	r->arg = arg;
	r->ctl = (struct usb_xfer){.dev = d,
				   .type = USB_EP_CONTROL,
				   .mps = d->desc.bMaxPacketSize0,
				   .done = halt_done,
				   .arg = r};
	uk_timer_init(&r->timer, recover_fired, r);
	return 0;
}

/* ---- receive ---- */

/* IRQs masked. Starts the IN transfer on the tail slot if there is room. */
static void rx_start(struct usb_ether *ue)
{
	if (ue->rx_busy || ue->rx_count == ue->rx_slots || ue_halted(&ue->rec, UE_HALT_IN))
		return;
	ue->rx.buf = ue->rx_bufs + (size_t)ue->rx_tail * ue->rx_buf;
	ue->rx.len = ue->rx_buf;
	ue->rx_busy = true;
	if (usb_submit(&ue->rx) != 0) {
		ue->rx_busy = false;
		ue_retry_in(&ue->rec, 1); /* every channel busy: they free up quickly */
	}
}

static uint32_t frame_max(const struct ue_chip *c)
{
	return c->frame_max ? c->frame_max : ETH_FRAME_MAX_VLAN;
}

/* Interrupt context. */
static void rx_done(struct usb_xfer *x)
{
	struct usb_ether *ue = x->arg;
	ue->rx_busy = false;
	if (x->status != 0) {
		/* A chip starts each transfer with a header, so nothing of the lost one carries
		 * over; with one frame per transfer, what follows up to a short packet is the rest
		 * of the broken frame, except after a STALL (the device starts afresh once it is
		 * cleared). Count it, and clear the STALL or back off. */
		ue->netdev.stats.rx_dropped++;
		ue->rx_discard = x->status != -EPIPE;
		if (x->status == -EPIPE)
			ue_halt(&ue->rec, UE_HALT_IN);
		else
			ue_rx_error(&ue->rec);
		return;
	}
	ue_rx_ok(&ue->rec);
	bool keep = x->actual != 0;
	if (!ue->chip->rx_frame) {
		/* A short packet (a ZLP included) ended the transfer: a frame ends here. */
		bool ended = x->actual < ue->rx_buf;
		keep = !ue->rx_discard && ended && x->actual >= ETH_HLEN &&
		       x->actual <= frame_max(ue->chip);
		if (!keep && !ue->rx_discard)
			ue->netdev.stats.rx_dropped++; /* a runt, or longer than a frame */
		ue->rx_discard = !keep && !ended;
	}
	if (keep) {
		ue->rx_len[ue->rx_tail] = x->actual > ue->rx_buf ? ue->rx_buf : x->actual;
		ue->rx_tail = (ue->rx_tail + 1) % ue->rx_slots;
		ue->rx_count++;
	}
	rx_start(ue);
	if (ue->rx_count && ue->netdev.rx_ready)
		ue->netdev.rx_ready(&ue->netdev);
}

/* The next good frame of transfer b[0, len) at *off (FCS excluded): true with *frame and *flen set,
 * or false when the transfer is used up. Bad frames are counted as dropped and skipped; a length
 * that cannot be right ends the transfer, as nothing after it can be trusted. */
static bool next_frame(struct usb_ether *ue, const uint8_t *b, uint32_t len, uint32_t *off,
		       const uint8_t **frame, size_t *flen)
{
	const struct ue_chip *c = ue->chip;
	if (!c->rx_frame) { /* the transfer is the frame, checked in rx_done */
		*frame = b;
		*flen = len;
		*off = len;
		return true;
	}
	while (*off < len) {
		uint32_t start = *off, o = start;
		if (len - o < c->rx_hdr) { /* a truncated header */
			ue->netdev.stats.rx_dropped++;
			*off = len;
			return false;
		}
		bool bad = false;
		uint32_t n = c->rx_frame(b + o, &bad);
		o += c->rx_hdr;
		if (n < ETH_HLEN + ETH_FCS_LEN || n > frame_max(c) + ETH_FCS_LEN || n > len - o) {
			ue->netdev.stats.rx_dropped++; /* garbage or a truncated frame */
			*off = len;
			return false;
		}
		/* header and frame padded to whole 32-bit words: the next header starts there */
		uint32_t next = start + ((c->rx_hdr + n + 3) & ~3u);
		*off = next < len ? next : len;
		if (bad) {
			ue->netdev.stats.rx_dropped++;
			continue;
		}
		*frame = b + o;
		*flen = n - ETH_FCS_LEN;
		return true;
	}
	return false;
}

static size_t ue_receive(struct netdev *nd, void *buf, size_t max)
{
	struct usb_ether *ue = nd->priv;
	for (;;) {
		uint64_t flags = irq_save();
		if (!ue->rx_count) {
			irq_restore(flags);
			return 0;
		}
		unsigned slot = ue->rx_head;
		irq_restore(flags);
		const uint8_t *b = ue->rx_bufs + (size_t)slot * ue->rx_buf, *frame;
		size_t flen = 0;
		bool got = next_frame(ue, b, ue->rx_len[slot], &ue->rx_off, &frame, &flen);
		bool fits = got && flen <= max;
		if (fits)
			memcpy(buf, frame, flen);
		else if (got)
			nd->stats.rx_dropped++;
		if (ue->rx_off >= ue->rx_len[slot]) { /* the transfer is used up: hand it back */
			ue->rx_off = 0;
			flags = irq_save();
			ue->rx_head = (ue->rx_head + 1) % ue->rx_slots;
			ue->rx_count--;
			rx_start(ue);
			irq_restore(flags);
		}
		if (fits) {
			nd->stats.rx_frames++;
			return flen;
		}
	}
}

/* ---- transmit ---- */

/* IRQs masked. The head frame is over (sent or not): on to the next. */
static void tx_next(struct usb_ether *ue)
{
	ue->tx_off = 0;
	ue->tx_head = (ue->tx_head + 1) % UE_TX_SLOTS;
	ue->tx_count--;
}

/* IRQs masked. Puts the next piece of the head frame on the wire: up to tx_chunk bytes, or the
 * ZLP that ends a frame filling whole packets. */
static void tx_start(struct usb_ether *ue)
{
	if (!ue->tx_count || ue->tx_busy || ue_halted(&ue->rec, UE_HALT_OUT))
		return;
	uint32_t left = ue->tx_len[ue->tx_head] - ue->tx_off;
	/* a ZLP points at the slot's start: the controller wants an aligned address anyway */
	ue->tx.buf = ue->tx_bufs + (size_t)ue->tx_head * UE_TX_BUF + (left ? ue->tx_off : 0);
	ue->tx.len = left < ue->tx_chunk ? left : ue->tx_chunk;
	ue->tx_busy = true;
	if (usb_submit(&ue->tx) != 0) {
		ue->tx_busy = false; /* every channel busy: they free up quickly */
		ue_retry_in(&ue->rec, 1);
	}
}

/* Interrupt context. */
static void tx_done(struct usb_xfer *x)
{
	struct usb_ether *ue = x->arg;
	ue->tx_busy = false;
	if (x->status == -EPIPE) { /* STALL: clear the halt, then go on with the next frame */
		ue->netdev.stats.tx_dropped++;
		tx_next(ue);
		ue_halt(&ue->rec, UE_HALT_OUT);
	} else if (x->status != 0) {
		/* The device may hold part of the frame: end it now with a ZLP (tx_start sends
		 * one when nothing is left), so that it does not run into the next frame; the
		 * receiver's checks (FCS on a wire, IP checksums here) discard it. A ZLP that
		 * fails too leaves it to the next frame's short packet. */
		ue->netdev.stats.tx_dropped++;
		if (x->len)
			ue->tx_off = ue->tx_len[ue->tx_head];
		else
			tx_next(ue);
	} else {
		ue->tx_off += x->len;
		bool more = ue->tx_off < ue->tx_len[ue->tx_head];
		bool zlp_due = !more && x->len && x->len % ue->mps_out == 0;
		if (!more && !zlp_due)
			tx_next(ue);
	}
	tx_start(ue);
}

static int ue_transmit(struct netdev *nd, const void *frame, size_t len)
{
	struct usb_ether *ue = nd->priv;
	const struct ue_chip *c = ue->chip;
	if (len > frame_max(c) || len == 0) {
		nd->stats.tx_dropped++;
		return -EMSGSIZE;
	}
	uint64_t flags = irq_save();
	if (ue->tx_count == UE_TX_SLOTS) {
		irq_restore(flags);
		nd->stats.tx_dropped++;
		return -EAGAIN;
	}
	unsigned slot = (ue->tx_head + ue->tx_count) % UE_TX_SLOTS;
	irq_restore(flags);
	uint8_t *b = ue->tx_bufs + (size_t)slot * UE_TX_BUF;
	size_t n = len < ETH_ZLEN && !c->tx_unpadded ? ETH_ZLEN : len;
	memcpy(b + c->tx_hdr, frame, len);
	memset(b + c->tx_hdr + len, 0, n - len);
	if (c->tx_frame)
		c->tx_frame(b, (uint32_t)n);
	ue->tx_len[slot] = (uint16_t)(c->tx_hdr + n);
	flags = irq_save();
	ue->tx_count++;
	tx_start(ue);
	irq_restore(flags);
	nd->stats.tx_frames++;
	return 0;
}

/* ---- link ---- */

static void intr_submit(struct usb_ether *ue)
{
	if (usb_submit(&ue->intr) != 0)
		uk_timer_start(&ue->intr_poll, uk_now_ns() + (uint64_t)ue->intr_ms * 1000000);
}

/* Interrupt context: the interrupt endpoint answered with INT_STS (or NAKed). */
static void intr_done(struct usb_xfer *x)
{
	struct usb_ether *ue = x->arg;
	if (x->status == 0 && x->actual >= 4 && (le32(ue->intr_buf) & ue->chip->int_phy))
		usb_net_link_event();
	uk_timer_start(&ue->intr_poll, uk_now_ns() + (uint64_t)ue->intr_ms * 1000000);
}

static void intr_again(struct uk_timer *t, void *arg)
{
	(void)t;
	intr_submit(arg);
}

/* Thread context (usb-net thread): acknowledges the PHY's interrupt, reads the link and, when
 * it came up, what auto-negotiation settled on. */
static int ue_link_check(struct netdev *nd)
{
	struct usb_ether *ue = nd->priv;
	const struct ue_chip *c = ue->chip;
	uint16_t ack, bmsr, adv, lpa, c1000 = 0, s1000 = 0;
	int r = ue_mii_read(ue, c->phy_int_ack, &ack); /* read to clear */
	if (r == 0)
		r = ue_write(ue, c->int_sts, c->int_phy);
	if (r == 0)
		r = ue_mii_read(ue, MII_BMSR, &bmsr);
	if (r == 0)
		r = ue_mii_read(ue, MII_BMSR, &bmsr); /* latched low: now the current state */
	if (r < 0)
		return r;
	int up = !!(bmsr & BMSR_LSTATUS);
	if (up == ue->link)
		return up;
	if (up) {
		if ((r = ue_mii_read(ue, MII_ADVERTISE, &adv)) < 0 ||
		    (r = ue_mii_read(ue, MII_LPA, &lpa)) < 0 ||
		    (c->gigabit && (r = ue_mii_read(ue, MII_CTRL1000, &c1000)) < 0) ||
		    (c->gigabit && (r = ue_mii_read(ue, MII_STAT1000, &s1000)) < 0))
			return r;
		struct mii_mode m = mii_resolve(adv, lpa, c1000, s1000);
		if (!m.speed) /* nothing in common: a partner found by parallel detection, half
				 duplex */
			m.speed = 10;
		if (c->link_up && (r = c->link_up(ue, m)) < 0)
			return r;
		kprintf("%s: link up, %u Mb/s %s duplex\n", c->name, m.speed,
			m.full_duplex ? "full" : "half");
	} else {
		kprintf("%s: link down\n", c->name);
	}
	ue->link = up;
	netdev_link_changed(&ue->netdev, up); /* the stack's interface follows */
	return up;
}

/* ---- the data path ---- */

/* IRQs masked (ue_recover's resume): restarts receiving and sending. */
static void ue_resume(void *arg)
{
	rx_start(arg);
	tx_start(arg);
}

uint16_t ue_ep_mps(const uint8_t *ep)
{
	return (uint16_t)((ep[4] | ep[5] << 8) & 0x7ff);
}

/* A transfer on the endpoint whose descriptor is ep. */
static struct usb_xfer ep_xfer(struct usb_ether *ue, const uint8_t *ep, uint8_t type,
			       void (*done)(struct usb_xfer *x))
{
	return (struct usb_xfer){.dev = ue->dev,
				 .ep = ep[2],
				 .type = type,
				 .pid = USB_PID_AUTO,
				 .mps = ue_ep_mps(ep),
				 .done = done,
				 .arg = ue};
}

int ue_data_init(struct usb_ether *ue, struct usb_device *d, const struct ue_chip *c,
		 const uint8_t *in, const uint8_t *out)
{
	ue->dev = d;
	ue->chip = c;
	ue->rx_slots = c->rx_slots ? c->rx_slots : UE_RX_SLOTS;
	ue->rx_buf = c->rx_buf ? c->rx_buf : UE_RX_BUF;
	/* Bulk packets are 8, 16, 32 or 64 bytes at full speed and 512 at high (USB 2.0 section
	 * 5.8.3). A receive buffer must hold whole packets, no more than a channel may count
	 * (usb.h): then the controller never has more to write than the buffer holds, and a
	 * transfer that fills it was not ended by a short packet (rx_done relies on that). */
	uint16_t mps_in = ue_ep_mps(in), mps_out = ue_ep_mps(out);
	if (!mps_in || mps_in > 512 || ue->rx_buf % mps_in != 0 ||
	    ue->rx_buf / mps_in > USB_XFER_MAX_PACKETS || !mps_out || mps_out > 512) {
		kprintf("%s: device %u: bulk packet sizes %u/%u refused\n", c->name, d->addr,
			mps_in, mps_out);
		return -ENODEV;
	}
	if (ue->rx_slots > UE_RX_SLOTS_MAX)
		ue->rx_slots = UE_RX_SLOTS_MAX;
	ue->rx_bufs = aligned_alloc(64, (size_t)ue->rx_slots * ue->rx_buf);
	ue->tx_bufs = aligned_alloc(64, (size_t)UE_TX_SLOTS * UE_TX_BUF);
	if (!ue->rx_bufs || !ue->tx_bufs ||
	    ue_recover_init(&ue->rec, d, in[2], out[2], ue_resume, ue) < 0)
		return -ENOMEM;
	ue->mps_out = ue_ep_mps(out);
	ue->tx_chunk = UE_TX_BUF; /* a whole frame a transfer */
	ue->rx = ep_xfer(ue, in, USB_EP_BULK, rx_done);
	ue->tx = ep_xfer(ue, out, USB_EP_BULK, tx_done);
	ue->netdev.name = c->name;
	ue->netdev.mtu = 1500;
	ue->netdev.receive = ue_receive;
	ue->netdev.transmit = ue_transmit;
	ue->netdev.priv = ue;
	return 0;
}

void ue_data_start(struct usb_ether *ue)
{
	uint64_t flags = irq_save();
	rx_start(ue);
	irq_restore(flags);
}

void ue_data_free(struct usb_ether *ue)
{
	free(ue->rx_bufs);
	free(ue->tx_bufs);
	free(ue->rec.ctl_buf);
}

/* ---- probe ---- */

int ue_probe(const struct ue_chip *c, struct usb_device *d, const uint8_t *cfg, size_t len)
{
	bool known = false;
	for (size_t i = 0; i < c->npids; i++)
		known |= d->desc.idVendor == c->vid && d->desc.idProduct == c->pids[i];
	if (!known)
		return -ENODEV;
	/* One interface: bulk IN, bulk OUT, interrupt IN (both datasheets, "USB Descriptors"). */
	const uint8_t *end = cfg + len, *in = NULL, *out = NULL, *irq = NULL;
	for (const uint8_t *p = cfg; p; p = usb_desc_next(p, end)) {
		if (p[1] != USB_DT_ENDPOINT || p[0] < 7)
			continue;
		if ((p[3] & 3) == USB_EP_BULK && (p[2] & USB_DIR_IN) && !in)
			in = p;
		else if ((p[3] & 3) == USB_EP_BULK && !(p[2] & USB_DIR_IN) && !out)
			out = p;
		else if ((p[3] & 3) == USB_EP_INTR && (p[2] & USB_DIR_IN) && !irq)
			irq = p;
	}
	if (!in || !out || !irq)
		return -ENODEV;
	uint16_t mps_irq = ue_ep_mps(irq);
	if (!ue_ep_mps(in) || !ue_ep_mps(out) || !mps_irq || mps_irq > 64)
		return -ENODEV;

	struct usb_ether *ue = calloc(1, sizeof(*ue));
	if (!ue)
		return -ENOMEM;
	int r = ue_data_init(ue, d, c, in, out);
	ue->intr_buf = aligned_alloc(64, 64);
	if (r < 0 || !ue->intr_buf) {
		r = r < 0 ? r : -ENOMEM;
		goto fail;
	}
	ue->link = -1;
	ue->netdev.link_down = true; /* until the PHY reports a link */
	r = usb_control(d, USB_REQ_DEVICE, USB_SET_CONFIGURATION, cfg[5], 0, NULL, 0);
	if (r >= 0)
		r = c->init(ue);
	if (r < 0) {
		kprintf("%s: device %u: bring-up failed (%d, id %08x)\n", c->name, d->addr, r,
			(unsigned)ue->id);
		goto fail;
	}
	ue->intr = ep_xfer(ue, irq, USB_EP_INTR, intr_done);
	ue->intr.buf = ue->intr_buf;
	ue->intr.len = 4; /* the INT_STS word */
	ue->intr_ms = usb_interval_ms(d->speed, irq[6]);
	uk_timer_init(&ue->intr_poll, intr_again, ue);
	d->class_priv = ue;
	ue_data_start(ue);
	intr_submit(ue);
	usb_net_register(&ue->netdev, ue_link_check);
	return 0;
fail: /* nothing was submitted yet */
	ue_data_free(ue);
	free(ue->intr_buf);
	free(ue);
	return r;
}
