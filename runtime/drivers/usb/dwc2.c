/*
 * Synopsys DesignWare Hi-Speed USB 2.0 OTG controller (DWC2) in host mode, buffer-DMA mode: the
 * Pi's USB controller (BCM2835 ARM Peripherals section 15 points at the Synopsys databook,
 * "DWC_otg" 2.x; register names and offsets below are the databook's). QEMU's raspi3b/raspi4b
 * model the same core.
 *
 * Each transfer gets a host channel of its own. The channel moves the whole transfer by DMA
 * and raises one interrupt when it halts (complete, STALL, error, or NAK on a periodic
 * endpoint); in DMA mode the core retries NAKed control and bulk transactions by itself
 * (databook "Host Programming Model: Buffer DMA"), so a bulk IN endpoint with nothing to say
 * costs the CPU nothing while it waits. Completion callbacks run in interrupt context.
 *
 * QEMU's model (10.0, hw/usb/hcd-dwc2.c) retries in its main loop instead: a NAKed bulk or
 * control packet stays pending and is tried again from a timer every 250 us (dwc2_work_bh),
 * with no guest interrupt, until it completes (disabling the channel does not stop it). A
 * posted bulk IN thus costs the host ~0.1 s of CPU a second and the guest nothing
 * (docs/architecture.md, "Cores"). It stays posted all the same: a frame is taken the moment
 * it arrives (usb-net wakes the model at once), and the ways around that timer, polling or
 * suspending the bus for remote wakeup, would slow a real board.
 *
 * Not supported: split transactions (a full/low-speed device behind a high-speed hub; QEMU's
 * hub is full-speed and the Pi's LAN951x is high-speed), isochronous endpoints, descriptor DMA.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "dcache.h"
#include "drivers.h"
#include "sysreg.h"
#include "usb.h"

/* ---- core global registers (databook "Core Global Registers") ---- */
#define GAHBCFG		    0x008
#define GAHBCFG_GLBLINTRMSK (1u << 0) /* 1: the core may raise its interrupt line */
/* Bits 4:1 are HBstLen in the databook; the BCM2835's core gives them its own meaning (Circle,
 * include/circle/usb/dwhci.h: bits 2:1 "max. AXI burst", 0 = 4 beats, bit 4 "wait for AXI
 * writes"). Linux's dwc2 sets 0x10 for the BCM2835 (params.c, dwc2_set_bcm_params: ahbcfg),
 * and Circle the same bit with a burst field of 0. */
#define GAHBCFG_BCM_WAIT_AXI  (1u << 4)
#define GAHBCFG_DMAEN	      (1u << 5) /* buffer DMA mode: channels fetch/store data themselves */
#define GUSBCFG		      0x00c
#define GUSBCFG_FORCEHST      (1u << 29) /* host mode regardless of the ID pin */
#define GUSBCFG_FORCEDEV      (1u << 30)
#define GRSTCTL		      0x010
#define GRSTCTL_CSFTRST	      (1u << 0) /* core soft reset; self-clearing */
#define GRSTCTL_RXFFLSH	      (1u << 4) /* flush the receive FIFO */
#define GRSTCTL_TXFFLSH	      (1u << 5) /* flush the transmit FIFO(s) named in TxFNum */
#define GRSTCTL_TXFNUM_ALL    (0x10u << 6)
#define GRSTCTL_AHBIDLE	      (1u << 31) /* the AHB master is idle: safe to reset */
#define GINTSTS		      0x014
#define GINTMSK		      0x018
#define GINT_CURMOD	      (1u << 0)	 /* 1: host mode */
#define GINT_PRTINT	      (1u << 24) /* a change on the root port: read HPRT */
#define GINT_HCHINT	      (1u << 25) /* a host channel interrupt: read HAINT */
#define GRXFSIZ		      0x024	 /* receive FIFO depth, in 32-bit words */
#define GNPTXFSIZ	      0x028	 /* non-periodic transmit FIFO: depth << 16 | start */
#define GSNPSID		      0x040	 /* 0x4f54xxxx: "OT" and the core release */
#define GHWCFG2		      0x048
#define GHWCFG2_NUMHSTCHNL(v) ((((v) >> 14) & 0xf) + 1) /* host channels */
#define GHWCFG2_DYNFIFOSIZING (1u << 19)		/* the FIFO size registers may be written */
#define GHWCFG3		      0x04c
#define GHWCFG3_DFIFODEPTH(v) ((v) >> 16) /* FIFO RAM, in 32-bit words */
#define FIFOSIZ_DEPTH(v)      ((v) >> 16) /* GNPTXFSIZ, HPTXFSIZ: depth << 16 | start */
/* Linux's dwc2 for the BCM2835 (params.c, dwc2_set_bcm_params: host_rx_fifo_size) */
#define RX_FIFO_WORDS 774
#define HPTXFSIZ      0x100 /* periodic transmit FIFO: depth << 16 | start */

/* ---- host mode registers (databook "Host Mode Registers") ---- */
#define HCFG		 0x400
#define HCFG_FSLSPCLKSEL 3u /* 0: PHY clock 30/60 MHz (the Pi's UTMI+ PHY) */
#define HFNUM		 0x408
#define HAINT		 0x414 /* bit n: channel n has an interrupt */
#define HAINTMSK	 0x418
#define HPRT		 0x440
#define HPRT_CONNSTS	 (1u << 0)  /* a device is attached */
#define HPRT_CONNDET	 (1u << 1)  /* W1C: attach detected */
#define HPRT_ENA	 (1u << 2)  /* W1C(!): enabled after reset; writing 1 disables the port */
#define HPRT_ENCHNG	 (1u << 3)  /* W1C: PrtEna changed */
#define HPRT_OVRCURRCHNG (1u << 5)  /* W1C */
#define HPRT_RST	 (1u << 8)  /* drive reset while set */
#define HPRT_PWR	 (1u << 12) /* port power */
#define HPRT_SPD(v)	 (((v) >> 17) & 3) /* 0 high, 1 full, 2 low speed */
#define HPRT_W1C	 (HPRT_CONNDET | HPRT_ENA | HPRT_ENCHNG | HPRT_OVRCURRCHNG)
#define PCGCCTL		 0xe00 /* power and clock gating: 0 = clocks running */

/* ---- host channel n registers, 0x20 apart from 0x500 ---- */
#define HC(n, r)	   (0x500 + 0x20 * (n) + (r))
#define HCCHAR		   0x00
#define HCCHAR_MPS(v)	   ((uint32_t)(v)&0x7ff) /* max packet size */
#define HCCHAR_EPNUM(v)	   ((uint32_t)(v) << 11)
#define HCCHAR_EPDIR_IN	   (1u << 15)
#define HCCHAR_LSPDDEV	   (1u << 17)		 /* a low-speed device */
#define HCCHAR_EPTYPE(v)   ((uint32_t)(v) << 18) /* USB_EP_* */
#define HCCHAR_MC(v)	   ((uint32_t)(v) << 20) /* transactions per (micro)frame */
#define HCCHAR_DEVADDR(v)  ((uint32_t)(v) << 22)
#define HCCHAR_ODDFRM	   (1u << 29) /* periodic: send in an odd frame */
#define HCCHAR_CHDIS	   (1u << 30)
#define HCCHAR_CHENA	   (1u << 31)
#define HCSPLT		   0x04
#define HCINT		   0x08 /* W1C */
#define HCINTMSK	   0x0c
#define HCINT_XFERCOMPL	   (1u << 0)
#define HCINT_CHHLTD	   (1u << 1) /* the channel stopped: the one bit DMA mode needs unmasked */
#define HCINT_AHBERR	   (1u << 2)
#define HCINT_STALL	   (1u << 3)
#define HCINT_NAK	   (1u << 4)
#define HCINT_XACTERR	   (1u << 7)
#define HCINT_BBLERR	   (1u << 8)
#define HCTSIZ		   0x10
#define HCTSIZ_XFERSIZE(v) ((v)&0x7ffff)
#define HCTSIZ_PKTCNT(v)   (((v) >> 19) & 0x3ff)
#define HCTSIZ_PID(v)	   (((v) >> 29) & 3) /* the next data PID, updated by the core */
#define HCDMA		   0x14		     /* bus address of the buffer (DWORD aligned) */

#define MAX_CHANNELS 16
/* What one channel is asked to move at most. wMaxPacketSize is at most 1024 for any USB 2.0
 * endpoint (USB 2.0 section 9.6.6, bits 10..0); the size and packet limits are the BCM2835's
 * as Linux's dwc2 runs it (drivers/usb/dwc2/params.c, dwc2_set_bcm_params: max_transfer_size
 * 65535, max_packet_count 511), below the widths GHWCFG3 may report. */
#define MPS_MAX	    USB_MAX_PACKET_SIZE
#define XFER_MAX    65535
#define PKTS_MAX    USB_XFER_MAX_PACKETS
#define BOUNCE_SIZE 1024 /* one channel's IN bounce buffer: a whole number of packets */

static struct dwc2 {
	uintptr_t base;
	/* CPU physical address -> VideoCore bus address (0xc0000000: the L2-uncached alias) */
	uint32_t bus_offset;
	unsigned nchan;
	struct usb_xfer *chan[MAX_CHANNELS];
	uint32_t chan_size[MAX_CHANNELS]; /* HCTSIZ.XferSize programmed */
	bool bounced[MAX_CHANNELS];	  /* the channel writes into bounce[ch], not x->buf */
} hc;

/* IN transfers are programmed in whole packets (databook, HCTSIZ.XferSize: "for IN transactions
 * ... a multiple of the maximum packet size"), so a device may send up to a packet more than
 * the caller asked for. Such a transfer lands here instead, and only what fits is copied out:
 * the channel never points at more bytes than the memory it may write holds. */
static uint8_t bounce[MAX_CHANNELS][BOUNCE_SIZE] __attribute__((aligned(DCACHE_LINE)));

static struct usb_xfer halting; /* marks a channel usb_cancel is stopping */

static uint32_t rd(uint32_t reg)
{
	return mmio_read32(hc.base + reg);
}
static void wr(uint32_t reg, uint32_t v)
{
	mmio_write32(hc.base + reg, v);
}

/* Writes HPRT without touching its write-1-to-clear bits (one of which disables the port). */
static void hprt_update(uint32_t set, uint32_t clear)
{
	uint32_t v = rd(HPRT) & ~HPRT_W1C;
	wr(HPRT, (v | set) & ~clear);
}

/* Interrupt context: channel ch halted; work out why and hand the transfer back. */
static void channel_halted(unsigned ch, uint32_t hcint)
{
	struct usb_xfer *x = hc.chan[ch];
	if (!x || x == &halting) { /* a cancelled transfer has stopped: the channel is free */
		hc.chan[ch] = NULL;
		wr(HAINTMSK, rd(HAINTMSK) & ~(1u << ch));
		return;
	}
	uint32_t tsiz = rd(HC(ch, HCTSIZ));
	bool in = x->ep & USB_DIR_IN;
	hc.chan[ch] = NULL;
	wr(HAINTMSK, rd(HAINTMSK) & ~(1u << ch));
	uint32_t size = hc.chan_size[ch];
	x->actual = 0;
	if (hcint & HCINT_XFERCOMPL) {
		uint32_t left = HCTSIZ_XFERSIZE(tsiz);
		x->actual = left <= size ? size - left : 0;
		x->status = 0;
		if (x->actual > x->len) { /* only into the bounce buffer: more than was asked for */
			x->actual = x->len;
			x->status = -EOVERFLOW;
		}
	} else if (hcint & HCINT_STALL) {
		x->status = -EPIPE;
	} else if (hcint & HCINT_NAK) {
		x->status = -EAGAIN; /* periodic endpoint with nothing to say this interval */
	} else if (hcint & HCINT_BBLERR) {
		x->status = -EOVERFLOW; /* babble: a packet longer than wMaxPacketSize */
	} else {
		x->status = -EIO; /* XactErr, AHBErr, or halted by usb_cancel */
	}
	/* The core leaves the next toggle in HCTSIZ.Pid after each packet that went through, also
	 * when a later one failed: keep it, so that a retry after an error (where the device
	 * resends the packet it was not acknowledged for) stays in step. After a STALL the
	 * endpoint restarts with DATA0 once its halt is cleared (USB 2.0 section 9.4.5); the class
	 * driver that clears it resets the toggle. */
	if (x->pid == USB_PID_AUTO && !(hcint & HCINT_STALL)) {
		uint32_t bit = 1u << ((x->ep & 0xf) + (in ? 16 : 0));
		if (HCTSIZ_PID(tsiz) == USB_PID_DATA1)
			x->dev->toggle |= bit;
		else
			x->dev->toggle &= ~bit;
	}
	if (in && size) {
		void *dma = hc.bounced[ch] ? (void *)bounce[ch] : x->buf;
		dcache_inval_range(dma, size);
		if (hc.bounced[ch] && x->actual)
			memcpy(x->buf, dma, x->actual);
	}
	if (x->done)
		x->done(x);
}

/* Interrupt handler (GINTSTS.HChInt, GINTSTS.PrtInt). */
static void dwc2_irq(void *arg)
{
	(void)arg;
	uint32_t sts = rd(GINTSTS) & rd(GINTMSK);
	if (sts & GINT_PRTINT) /* root port changes: acknowledge them (writing back the set W1C
				* bits), never PrtEna; enumeration reads HPRT itself */
		wr(HPRT, rd(HPRT) & ~HPRT_ENA);
	if (sts & GINT_HCHINT) {
		uint32_t haint = rd(HAINT);
		while (haint) {
			unsigned ch = (unsigned)__builtin_ctz(haint);
			haint &= haint - 1;
			uint32_t hcint = rd(HC(ch, HCINT));
			wr(HC(ch, HCINT), hcint);
			if (hcint & HCINT_CHHLTD)
				channel_halted(ch, hcint);
		}
	}
	wr(GINTSTS, sts & ~(GINT_HCHINT | GINT_PRTINT)); /* the others are W1C */
}

/* Programs channel ch for x and enables it (databook "Initialize Channel"): 0, or -EINVAL for a
 * transfer no channel may be given (see usb.h). IRQs masked. */
static int channel_start(unsigned ch, struct usb_xfer *x)
{
	bool in = x->ep & USB_DIR_IN;
	unsigned epnum = x->ep & 0xf;
	uint32_t mps = x->mps ? x->mps : 8;
	if (mps > MPS_MAX || x->len > XFER_MAX)
		return -EINVAL;
	uint32_t pkts = x->len ? (x->len + mps - 1) / mps : 1;
	/* IN transfers are sized in whole packets: a short packet ends them early. */
	uint32_t size = in && x->len ? pkts * mps : x->len;
	if (pkts > PKTS_MAX || (size > x->len && size > BOUNCE_SIZE))
		return -EINVAL;
	void *dma = size > x->len ? (void *)bounce[ch] : x->buf;
	hc.bounced[ch] = dma != x->buf;
	uint32_t pid = x->pid;
	if (pid == USB_PID_AUTO) /* USB 2.0 section 8.6: each endpoint alternates DATA0/DATA1 */
		pid = x->dev->toggle >> (epnum + (in ? 16 : 0)) & 1 ? USB_PID_DATA1 : USB_PID_DATA0;
	/* The controller is not coherent with the CPU caches on a Pi: clean what it reads,
	 * clean and invalidate what it writes (again once it has, in channel_halted). */
	if (size && in)
		dcache_inval_range(dma, size);
	else if (size)
		dcache_clean_range(dma, size);
	hc.chan_size[ch] = size;
	uint32_t hcchar = HCCHAR_MPS(mps) | HCCHAR_EPNUM(epnum) | (in ? HCCHAR_EPDIR_IN : 0) |
			  (x->dev->speed == USB_SPEED_LOW ? HCCHAR_LSPDDEV : 0) |
			  HCCHAR_EPTYPE(x->type) | HCCHAR_MC(1) | HCCHAR_DEVADDR(x->dev->addr);
	if (x->type == USB_EP_INTR && !(rd(HFNUM) & 1))
		hcchar |= HCCHAR_ODDFRM; /* periodic: go in the next (odd) frame */
	wr(HC(ch, HCINT), 0xffffffffu);
	wr(HC(ch, HCINTMSK), HCINT_CHHLTD);
	wr(HC(ch, HCSPLT), 0);
	wr(HC(ch, HCTSIZ), size | pkts << 19 | pid << 29);
	wr(HC(ch, HCDMA), (uint32_t)(uintptr_t)dma | hc.bus_offset);
	wr(HAINTMSK, rd(HAINTMSK) | 1u << ch);
	wr(HC(ch, HCCHAR), hcchar | HCCHAR_CHENA);
	return 0;
}

int usb_submit(struct usb_xfer *x)
{
	uint64_t flags = irq_save();
	for (unsigned ch = 0; ch < hc.nchan; ch++) {
		if (!hc.chan[ch]) {
			x->actual = 0;
			x->status = -EINPROGRESS;
			int r = channel_start(ch, x);
			if (r == 0)
				hc.chan[ch] = x;
			irq_restore(flags);
			return r;
		}
	}
	irq_restore(flags);
	return -EBUSY;
}

/* Gives up on x (a timeout): disables its channel, no callback. The channel stays taken until
 * the core reports it halted (databook "Halting a Channel"), so nothing reuses it while the
 * core may still write to x's buffer. Any context. */
void usb_cancel(struct usb_xfer *x)
{
	uint64_t flags = irq_save();
	for (unsigned ch = 0; ch < hc.nchan; ch++) {
		if (hc.chan[ch] == x) {
			hc.chan[ch] = &halting;
			wr(HC(ch, HCCHAR), rd(HC(ch, HCCHAR)) | HCCHAR_CHDIS | HCCHAR_CHENA);
		}
	}
	irq_restore(flags);
}

/* Sizes the FIFO RAM as Linux's dwc2 does on a BCM2835 (docs/boards.md, issue 19 item 7):
 * receive FIFO 774 words (params.c, dwc2_set_bcm_params), the two transmit FIFOs at the
 * depths the core reports after its soft reset in host mode (dwc2_get_host_hwparams keeps
 * them), laid out receive, non-periodic, periodic from word 0 (hcd.c, dwc2_config_fifos).
 * Like Linux, the receive size is capped at the core's reset depth (dwc2_check_params) and,
 * when the three do not fit in the FIFO RAM (GHWCFG3), falls back to 516 + channels, 256 and
 * 768 words (dwc2_calculate_dynamic_fifo). In DMA mode the core still stages every packet in
 * these FIFOs (databook "Host Programming Model"). Thread context, after the soft reset. */
static void fifo_config(void)
{
	if (!(rd(GHWCFG2) & GHWCFG2_DYNFIFOSIZING))
		return; /* fixed sizes: nothing to program (Linux skips it too) */
	uint32_t rx = RX_FIFO_WORDS, rx_reset = rd(GRXFSIZ) & 0xffff;
	uint32_t np = FIFOSIZ_DEPTH(rd(GNPTXFSIZ)), p = FIFOSIZ_DEPTH(rd(HPTXFSIZ));
	if (rx > rx_reset)
		rx = rx_reset;
	if (rx + np + p > GHWCFG3_DFIFODEPTH(rd(GHWCFG3))) {
		rx = 516 + hc.nchan;
		np = 256;
		p = 768;
	}
	wr(GRXFSIZ, rx);
	wr(GNPTXFSIZ, np << 16 | rx);
	wr(HPTXFSIZ, p << 16 | (rx + np));
}

/* Thread context. Databook "Host Initialization": reset the core, force host mode, size the
 * FIFOs (DMA mode still stages packets in them), power the root port. */
int dwc2_init(uintptr_t base, unsigned irq, uint32_t bus_offset)
{
	hc.base = base;
	hc.bus_offset = bus_offset;
	uint32_t id = rd(GSNPSID);
	if ((id & 0xffff0000u) != 0x4f540000u) {
		kprintf("usb: no DWC2 controller at %#lx (GSNPSID %#x)\n", (unsigned long)base, id);
		return -ENODEV;
	}
	wr(PCGCCTL, 0);
	/* Core soft reset: wait for the AHB master to go idle first (databook, GRSTCTL). These
	 * take microseconds; the loops sleep 1 ms per round and give up after 100 rounds. */
	for (int i = 0; i < 100 && !(rd(GRSTCTL) & GRSTCTL_AHBIDLE); i++)
		usb_sleep_ms(1);
	wr(GRSTCTL, GRSTCTL_CSFTRST);
	for (int i = 0; i < 100 && (rd(GRSTCTL) & GRSTCTL_CSFTRST); i++)
		usb_sleep_ms(1);
	for (int i = 0; i < 100 && !(rd(GRSTCTL) & GRSTCTL_AHBIDLE); i++)
		usb_sleep_ms(1);
	wr(GAHBCFG, 0); /* interrupts off until the channels are set up */
	wr(GUSBCFG, (rd(GUSBCFG) & ~GUSBCFG_FORCEDEV) | GUSBCFG_FORCEHST);
	usb_sleep_ms(25); /* databook, GUSBCFG.ForceHstMode: at least 25 ms to take effect */
	if (!(rd(GINTSTS) & GINT_CURMOD))
		kprintf("usb: DWC2 did not enter host mode\n");

	hc.nchan = GHWCFG2_NUMHSTCHNL(rd(GHWCFG2));
	if (hc.nchan > MAX_CHANNELS)
		hc.nchan = MAX_CHANNELS;
	fifo_config();
	wr(GRSTCTL, GRSTCTL_TXFFLSH | GRSTCTL_TXFNUM_ALL);
	for (int i = 0; i < 100 && (rd(GRSTCTL) & GRSTCTL_TXFFLSH); i++)
		usb_sleep_ms(1);
	wr(GRSTCTL, GRSTCTL_RXFFLSH);
	for (int i = 0; i < 100 && (rd(GRSTCTL) & GRSTCTL_RXFFLSH); i++)
		usb_sleep_ms(1);
	wr(HCFG, rd(HCFG) & ~HCFG_FSLSPCLKSEL);

	for (unsigned ch = 0; ch < hc.nchan; ch++) { /* halt whatever the firmware left running */
		hc.chan[ch] = NULL;
		if (rd(HC(ch, HCCHAR)) & HCCHAR_CHENA)
			wr(HC(ch, HCCHAR), HCCHAR_CHDIS | HCCHAR_CHENA);
		wr(HC(ch, HCINT), 0xffffffffu);
	}
	wr(HAINTMSK, 0);
	wr(GINTSTS, 0xffffffffu);
	wr(GINTMSK, GINT_HCHINT | GINT_PRTINT);
	irq_register(irq, dwc2_irq, NULL);
	wr(GAHBCFG, GAHBCFG_DMAEN | GAHBCFG_BCM_WAIT_AXI | GAHBCFG_GLBLINTRMSK);
	hprt_update(HPRT_PWR, 0);
	kprintf("usb: DWC2 %x.%03x, %u host channels\n", (id >> 12) & 0xf, id & 0xfff, hc.nchan);
	return 0;
}

/* Thread context. Waits up to 200 ms for a device (USB 2.0 section 7.1.7.3: a hub reports an
 * attach within 100 ms of power), then drives reset for 50 ms (TDRSTR, section 7.1.7.5) and
 * lets it recover for 10 ms (TRSTRCY). Polling, 10 ms per round: enumeration only. */
int dwc2_root_port_reset(uint8_t *speed)
{
	for (int i = 0; i < 20 && !(rd(HPRT) & HPRT_CONNSTS); i++)
		usb_sleep_ms(10);
	if (!(rd(HPRT) & HPRT_CONNSTS))
		return -ENODEV;
	hprt_update(HPRT_RST, 0);
	usb_sleep_ms(50);
	hprt_update(0, HPRT_RST);
	usb_sleep_ms(10);
	uint32_t h = rd(HPRT);
	if (!(h & HPRT_ENA))
		return -EIO;
	*speed = (uint8_t)HPRT_SPD(h);
	return 0;
}
