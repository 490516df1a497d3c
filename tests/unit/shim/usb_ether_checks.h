/*
 * The checks test_smsc95xx.c and test_lan78xx.c run alike against their chip models: what
 * drivers/usb/usb_ether.c does for both (the receive ring and its unpacking, malformed and
 * random transfers, the transmit ring with its ZLPs, the interrupt endpoint and the link check
 * around a cable pulled and plugged back), told apart only by the chip's RX header format.
 * A header of static functions, included once by each test after tap.h: CHECK counts per
 * program, so the checks must be compiled into it.
 */
#ifndef UK_TEST_USB_ETHER_CHECKS_H
#define UK_TEST_USB_ETHER_CHECKS_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "usb_ether.h"
#include "usb_ether_model.h"
#include "usb_model.h"

struct ether_dut {
	struct netdev *(*probe)(int *result); /* a fresh chip, probed at high speed */
	/* Appends one received frame of n bytes as the chip delivers it, with header flags: the
	 * offset after it (header, frame, FCS, padding to 4 bytes). */
	uint32_t (*put_frame)(uint8_t *b, uint32_t off, uint32_t flags, const uint8_t *f,
			      uint32_t n);
	unsigned rx_hdr;	  /* bytes of header before each received frame */
	uint32_t bad[2];	  /* header flags that mark a frame bad (two different ones) */
	uint32_t sizes[3];	  /* three frames of one transfer */
	uint32_t good[2];	  /* two frame sizes between bad ones */
	unsigned seed;		  /* for the random transfers */
	struct bulk_out_log *out; /* the chip's bulk OUT endpoint */
	struct phy_model *phy;
	uint32_t *int_sts, phy_int; /* the chip's INT_STS and its PHY interrupt bit */
};

/* The bytes of one frame: header (hlen bytes), frame, FCS, padding to the next 4 bytes. */
static inline uint32_t put_raw(uint8_t *b, uint32_t off, const uint8_t *hdr, unsigned hlen,
			       const uint8_t *f, uint32_t n)
{
	memcpy(b + off, hdr, hlen);
	memcpy(b + off + hlen, f, n);
	memset(b + off + hlen + n, 0xcc, 4); /* FCS */
	off += hlen + n + 4;
	while (off % 4)
		b[off++] = 0xee;
	return off;
}

static inline void fill(uint8_t *f, uint32_t n, unsigned seed)
{
	for (uint32_t i = 0; i < n; i++)
		f[i] = (uint8_t)(seed * 31 + i * 7);
}

static inline unsigned drain(struct netdev *nd, uint8_t (*out)[2048], size_t *lens, unsigned max)
{
	unsigned k = 0;
	size_t n;
	static uint8_t scratch[2048];
	while ((n = nd->receive(nd, k < max ? out[k] : scratch, 2048)) != 0) {
		if (k < max)
			lens[k] = n;
		k++;
	}
	return k;
}

static unsigned ready_calls;
static inline void on_ready(struct netdev *nd)
{
	(void)nd;
	ready_calls++;
}

/* The interrupt endpoint answers with INT_STS (after bInterval) when anything is set. */
static inline void deliver_interrupt(const struct ether_dut *d)
{
	uint8_t w[4];
	put_le32(w, *d->int_sts);
	model_advance_ms(10); /* the driver polls again after bInterval */
	if (*d->int_sts)
		model_in(0x83, w, 4);
}

/* After probe: the data path and the interrupt endpoint are running. */
static inline void check_started(void)
{
	struct usb_xfer *in = model_pending(0x81);
	CHECK(in && in->len == 16384 && in->type == USB_EP_BULK, "a bulk IN transfer waits");
	CHECK(model_pending(0x83) && model_pending(0x83)->type == USB_EP_INTR,
	      "the interrupt endpoint is polled");
}

/* The link is up; the cable is pulled (down_status raised in the PHY), then plugged back into
 * a partner offering partner/partner1000: each change reaches the link check through the
 * interrupt endpoint, which is acknowledged, and the new mode is logged as up_log. */
static inline void check_link_cycle(const struct ether_dut *d, uint16_t down_status,
				    uint16_t partner, uint16_t partner1000, const char *up_log)
{
	unsigned events = model_link_events;
	phy_model_unplug(d->phy, down_status);
	deliver_interrupt(d);
	CHECK(model_link_events == events + 1, "the interrupt endpoint's PHY_INT asks for a check");
	CHECK(model_link_check() == 0 && strstr(model_log, "link down"), "cable out: link down");
	CHECK(model_netdev()->link_down, "the stack is told: netdev.link_down");
	CHECK(!(*d->int_sts & d->phy_int) && d->phy->reg[d->phy->int_status] == 0,
	      "the PHY's interrupt status and INT_STS.PHY_INT acknowledged");
	deliver_interrupt(d);
	CHECK(model_link_events == events + 1, "no interrupt while nothing changed");
	d->phy->cable = true;
	d->phy->partner = partner;
	d->phy->partner1000 = partner1000;
	phy_model_aneg(d->phy);
	deliver_interrupt(d);
	CHECK(model_link_events == events + 2 && model_link_check() == 1,
	      "cable back: link up again");
	CHECK(!model_netdev()->link_down, "the stack is told: link up");
	CHECK(strstr(model_log, up_log) != NULL, "logged: %s", up_log);
}

static inline void check_receive(const struct ether_dut *d)
{
	int r;
	struct netdev *nd = d->probe(&r);
	if (!nd)
		return;
	nd->rx_ready = on_ready;
	ready_calls = 0;
	static uint8_t xfer[16384], f[3][1600], got[8][2048];
	size_t lens[8];
	uint32_t off = 0;
	for (int i = 0; i < 3; i++) {
		fill(f[i], d->sizes[i], (unsigned)i + 1);
		off = d->put_frame(xfer, off, 0, f[i], d->sizes[i]);
	}
	CHECK(model_in(0x81, xfer, off) == 0 && ready_calls == 1, "a transfer of three frames");
	unsigned k = drain(nd, got, lens, 8);
	bool same = k == 3;
	for (unsigned i = 0; same && i < 3; i++)
		same = lens[i] == d->sizes[i] && memcmp(got[i], f[i], d->sizes[i]) == 0;
	CHECK(same, "three frames out, byte for byte, FCS stripped (%u)", k);
	CHECK(nd->stats.rx_frames == 3 && nd->stats.rx_dropped == 0, "counted");
	CHECK(model_pending(0x81) != NULL, "the next IN transfer waits");

	/* frames the chip flagged bad between good ones */
	off = d->put_frame(xfer, 0, d->bad[0], f[0], 60);
	off = d->put_frame(xfer, off, 0, f[1], d->good[0]);
	off = d->put_frame(xfer, off, d->bad[1], f[2], 61);
	off = d->put_frame(xfer, off, 0, f[2], d->good[1]);
	model_in(0x81, xfer, off);
	k = drain(nd, got, lens, 8);
	CHECK(k == 2 && lens[0] == d->good[0] && lens[1] == d->good[1] &&
		  memcmp(got[1], f[2], d->good[1]) == 0,
	      "frames the chip flagged bad dropped, the good ones kept");
	CHECK(nd->stats.rx_dropped == 2, "two counted as dropped (%llu)",
	      (unsigned long long)nd->stats.rx_dropped);

	/* a frame running past the end of the transfer */
	off = d->put_frame(xfer, 0, 0, f[0], 60);
	uint32_t cut = d->put_frame(xfer, off, 0, f[1], 1000);
	model_in(0x81, xfer, cut - 600);
	uint64_t dropped = nd->stats.rx_dropped;
	k = drain(nd, got, lens, 8);
	CHECK(k == 1 && lens[0] == 60 && nd->stats.rx_dropped == dropped + 1,
	      "a truncated frame: dropped, the one before it kept");

	/* stray bytes after a frame, one short of a header; a zero header; a runt length */
	off = d->put_frame(xfer, 0, 0, f[0], 60);
	model_in(0x81, xfer, off + d->rx_hdr - 1);
	k = drain(nd, got, lens, 8);
	CHECK(k == 1 && nd->stats.rx_dropped == dropped + 2, "a truncated header dropped");
	memset(xfer, 0, 64);
	model_in(0x81, xfer, 64);
	CHECK(drain(nd, got, lens, 8) == 0 && nd->stats.rx_dropped == dropped + 3,
	      "zeros: dropped once, no frame");
	off = d->put_frame(xfer, 0, 0, f[0], 6); /* 10 bytes with FCS: shorter than a header */
	model_in(0x81, xfer, off);
	CHECK(drain(nd, got, lens, 8) == 0 && nd->stats.rx_dropped == dropped + 4,
	      "a runt length dropped");

	/* a caller's buffer too small for the frame */
	off = d->put_frame(xfer, 0, 0, f[1], 1514);
	off = d->put_frame(xfer, off, 0, f[0], 60);
	model_in(0x81, xfer, off);
	uint8_t small[100];
	size_t n = nd->receive(nd, small, sizeof(small));
	CHECK(n == 60 && memcmp(small, f[0], 60) == 0 && nd->stats.rx_dropped == dropped + 5,
	      "a frame bigger than the caller's buffer is dropped, the next delivered");
	CHECK(model_in(0x81, xfer, 0) == 0 && nd->receive(nd, small, sizeof(small)) == 0,
	      "an empty transfer is no frame");
	CHECK(model_errors == 0, "no misuse");
}

static inline void check_ring(const struct ether_dut *d)
{
	int r;
	struct netdev *nd = d->probe(&r);
	if (!nd)
		return;
	static uint8_t xfer[16384], f[1600], got[8][2048];
	size_t lens[8];
	unsigned filled = 0;
	for (unsigned i = 0; i < 20 && model_pending(0x81); i++) {
		fill(f, 100, i);
		model_in(0x81, xfer, d->put_frame(xfer, 0, 0, f, 100));
		filled++;
	}
	CHECK(filled == 8 && !model_pending(0x81), "eight transfers fill the ring; no more asked");
	unsigned k = drain(nd, got, lens, 8);
	bool order = k == 8;
	for (unsigned i = 0; order && i < 8; i++) {
		fill(f, 100, i);
		order = lens[i] == 100 && memcmp(got[i], f, 100) == 0;
	}
	CHECK(order, "all eight delivered in order (%u)", k);
	CHECK(model_pending(0x81) != NULL, "and receiving resumes");
	model_fail(0x81, -EIO);
	CHECK(!model_pending(0x81) && nd->stats.rx_dropped == 1, "a failed transfer counts");
	model_advance_ms(20);
	CHECK(model_pending(0x81) != NULL, "and is retried after a pause");
	CHECK(model_errors == 0, "no misuse");
}

/* One CLEAR_FEATURE(ENDPOINT_HALT) for ep, as the driver runs it on endpoint 0 from interrupt
 * context: a setup stage that fails first (sent again 10 ms later), then setup and status. */
static inline void check_clear_halt(const struct ether_dut *d, struct usb_device *dev, uint8_t ep)
{
	struct bulk_out_log *o = d->out;
	struct usb_xfer *s = model_pending(0);
	CHECK(s && s->len == 8 && s->pid == USB_PID_SETUP && s->type == USB_EP_CONTROL,
	      "a setup stage goes out on endpoint 0");
	model_fail(0, -EIO);
	CHECK(!model_pending(0), "it fails: nothing at once");
	model_advance_ms(10);
	unsigned setups = o->setups;
	dev->toggle = 0xffffffffu;
	model_run_out();
	const uint8_t want[8] = {0x02, USB_CLEAR_FEATURE, 0, 0, ep, 0, 0, 0};
	CHECK(o->setups == setups + 1 && memcmp(o->setup, want, 8) == 0,
	      "10 ms later again: CLEAR_FEATURE(ENDPOINT_HALT) for endpoint %#x", ep);
	s = model_pending(0x80);
	CHECK(s && s->len == 0 && s->pid == USB_PID_DATA1, "then the status stage, DATA1 IN");
	uint8_t none[1];
	model_in(0x80, none, 0);
	uint32_t bit = 1u << ((ep & 0xf) + (ep & USB_DIR_IN ? 16 : 0));
	CHECK(!(dev->toggle & bit) && (dev->toggle & ~bit) == ~bit,
	      "cleared: that endpoint's toggle back to DATA0, the others untouched");
}

/* What goes wrong on the bus: receive errors (backing off), STALLs on either endpoint, a busy
 * controller, a failed OUT transfer. Each time the driver goes on by itself. */
static inline void check_faults(const struct ether_dut *d)
{
	int r;
	struct netdev *nd = d->probe(&r);
	if (!nd)
		return;
	struct usb_device *ud = ((struct usb_ether *)nd->priv)->dev;
	struct bulk_out_log *o = d->out;
	static uint8_t xfer[16384], f[1600], got[2048];

	unsigned waits[9], ok_waits = 1;
	for (int i = 0; i < 9; i++) {
		model_fail(0x81, -EIO);
		uint64_t t0 = model_now_ms();
		while (!model_pending(0x81) && model_now_ms() - t0 < 5000)
			model_advance_ms(1);
		waits[i] = (unsigned)(model_now_ms() - t0);
		ok_waits &= waits[i] == (10u << (i < 7 ? i : 7));
	}
	CHECK(ok_waits && nd->stats.rx_dropped == 9,
	      "receive errors in a row: retried after 10, 20 ... 1280, 1280 ms (%u ... %u)",
	      waits[0], waits[8]);
	fill(f, 100, 1);
	model_in(0x81, xfer, d->put_frame(xfer, 0, 0, f, 100));
	CHECK(nd->receive(nd, got, sizeof(got)) == 100, "a transfer that arrives ends the backoff");
	model_fail(0x81, -EIO);
	model_advance_ms(10);
	CHECK(model_pending(0x81) != NULL, "the next error waits 10 ms again");

	model_fail(0x81, -EPIPE);
	CHECK(!model_pending(0x81) && nd->stats.rx_dropped == 11, "bulk IN STALLs: counted");
	check_clear_halt(d, ud, 0x81);
	CHECK(model_pending(0x81) != NULL, "receiving again");
	fill(f, 300, 2);
	model_in(0x81, xfer, d->put_frame(xfer, 0, 0, f, 300));
	CHECK(nd->receive(nd, got, sizeof(got)) == 300 && memcmp(got, f, 300) == 0,
	      "and the next frame is intact");

	model_refuse = 1; /* the next IN transfer finds every channel busy */
	model_in(0x81, xfer, d->put_frame(xfer, 0, 0, f, 300));
	CHECK(!model_pending(0x81) && nd->receive(nd, got, sizeof(got)) == 300,
	      "the controller is busy: no IN transfer for now, the frame delivered");
	model_advance_ms(1);
	CHECK(model_pending(0x81) != NULL, "1 ms later receiving again");

	/* transmit: a busy controller, a failed transfer, a STALL */
	unsigned count = o->count;
	fill(f, 200, 3);
	model_refuse = 1;
	CHECK(nd->transmit(nd, f, 200) == 0 && !model_pending(0x02),
	      "the controller is busy: the frame waits");
	model_advance_ms(1);
	model_run_out();
	CHECK(o->count == count + 1 && o->len[count] == 200 && memcmp(o->frame[count], f, 200) == 0,
	      "1 ms later it goes out");
	uint64_t dropped = nd->stats.tx_dropped;
	nd->transmit(nd, f, 150);
	fill(f, 120, 4);
	nd->transmit(nd, f, 120);
	model_fail(0x02, -EIO);
	struct usb_xfer *x = model_pending(0x02);
	CHECK(nd->stats.tx_dropped == dropped + 1 && x && x->len == 0,
	      "a failed bulk OUT transfer: counted, and a ZLP ends it");
	o->zlp_due = true; /* the model expects a ZLP only after whole packets */
	model_run_out();
	CHECK(o->count == count + 2 && o->len[count + 1] == 120 &&
		  memcmp(o->frame[count + 1], f, 120) == 0,
	      "the next frame goes out whole");
	fill(f, 90, 5);
	nd->transmit(nd, f, 90);
	model_fail(0x02, -EPIPE);
	fill(f, 80, 6);
	nd->transmit(nd, f, 80);
	CHECK(!model_pending(0x02) && nd->stats.tx_dropped == dropped + 2,
	      "bulk OUT STALLs: counted, sending waits");
	check_clear_halt(d, ud, 0x02);
	model_run_out();
	CHECK(o->count == count + 3 && o->len[count + 2] == 80 &&
		  memcmp(o->frame[count + 2], f, 80) == 0,
	      "then the frame queued after it goes out");
	CHECK(o->bad == 0 && model_errors == 0, "no misuse, nothing wrong on the wire");
}

/* Random and mutated transfers: nothing may crash or read past the data (ASan poisons the rest
 * of the buffer), and whatever comes out must be a plausible frame. */
static inline void check_fuzz(const struct ether_dut *d)
{
	int r;
	struct netdev *nd = d->probe(&r);
	if (!nd)
		return;
	static uint8_t xfer[16384], f[1600], got[2048];
	srand(d->seed);
	unsigned frames = 0, bad = 0;
	for (int it = 0; it < 3000; it++) {
		uint32_t len;
		if (it % 2) { /* random bytes */
			len = (uint32_t)rand() % 4096;
			for (uint32_t i = 0; i < len; i++)
				xfer[i] = (uint8_t)rand();
		} else { /* valid frames, then flipped bytes and a random cut */
			len = 0;
			while (len < 3000) {
				uint32_t n = 14 + (uint32_t)rand() % 1500;
				fill(f, n, (unsigned)it);
				len = d->put_frame(xfer, len, 0, f, n);
			}
			for (int j = 0; j < 4; j++)
				xfer[(uint32_t)rand() % len] ^= (uint8_t)(1u << (rand() % 8));
			len = (uint32_t)rand() % (len + 1);
		}
		if (model_in(0x81, xfer, len) != 0) {
			bad++;
			break;
		}
		size_t n;
		while ((n = nd->receive(nd, got, sizeof(got))) != 0) {
			frames++;
			if (n < 14 || n > 1518)
				bad++;
		}
	}
	CHECK(bad == 0, "3000 random or damaged transfers: no crash, %u plausible frames", frames);
	CHECK(model_pending(0x81) != NULL && model_errors == 0, "still receiving, no misuse");
}

/* tx_format: what the chip model checked in each transfer's command header. */
static inline void check_transmit(const struct ether_dut *d, const char *tx_format)
{
	int r;
	struct netdev *nd = d->probe(&r);
	if (!nd)
		return;
	struct bulk_out_log *o = d->out;
	static uint8_t f[3][1600];
	static const uint32_t sizes[3] = {20, 1514, 504};
	for (int i = 0; i < 3; i++) {
		fill(f[i], sizes[i], (unsigned)i + 7);
		CHECK(nd->transmit(nd, f[i], sizes[i]) == 0, "transmit %u bytes", sizes[i]);
	}
	unsigned n = model_run_out();
	CHECK(o->bad == 0, "%s, one whole frame per transfer", tx_format);
	CHECK(o->count == 3 && n == 4 && o->zlps == 1,
	      "three frames; the one filling a whole packet (8 + 504) ended by a ZLP");
	CHECK(o->len[0] == 60 && memcmp(o->frame[0], f[0], 20) == 0 && o->frame[0][20] == 0 &&
		  o->frame[0][59] == 0,
	      "a short frame padded with zeros to 60 bytes");
	CHECK(o->len[1] == 1514 && memcmp(o->frame[1], f[1], 1514) == 0 && o->len[2] == 504 &&
		  memcmp(o->frame[2], f[2], 504) == 0,
	      "the others byte for byte");
	CHECK(nd->stats.tx_frames == 3, "counted");
	int last = 0;
	unsigned ok = 0;
	for (int i = 0; i < 40 && (last = nd->transmit(nd, f[0], 100)) == 0; i++)
		ok++;
	CHECK(ok == 32 && last == -EAGAIN, "a full ring says -EAGAIN (%u queued)", ok);
	CHECK(nd->transmit(nd, f[1], 1519) == -EMSGSIZE && nd->transmit(nd, f[1], 0) == -EMSGSIZE,
	      "too long or empty: -EMSGSIZE");
	model_run_out();
	CHECK(o->count == 35 && o->bad == 0 && model_errors == 0, "the queue drains in order (%u)",
	      o->count);
}

#endif
