/*
 * dwc2.c against a register-level model of the DWC2 core in host mode, buffer DMA: a host
 * channel enabled through HCCHAR "moves" the packets a scripted device sends into the memory
 * HCDMA points at, packet by packet, the way the databook's "Host Programming Model: Buffer
 * DMA" describes it: a packet shorter than HCCHAR.MPS or the last of HCTSIZ.PktCnt ends the
 * transfer (XferCompl), a packet longer than MPS is babble (BblErr), and the model writes at
 * most what HCTSIZ.XferSize has left (an assumption about the real core: see docs/boards.md).
 * The test buffers are globals, so AddressSanitizer's redzones catch a driver that points a
 * channel at more memory than its buffer has: the model's write past the end aborts the test.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers.h"
#include "tap.h"
#include "usb.h"

#define BASE 0x3f980000u
/* registers the model gives meaning to (databook names and offsets, as in dwc2.c) */
#define GAHBCFG	  0x008
#define GRSTCTL	  0x010
#define GINTSTS	  0x014
#define GRXFSIZ	  0x024
#define GNPTXFSIZ 0x028
#define GSNPSID	  0x040
#define GHWCFG2	  0x048
#define GHWCFG3	  0x04c
#define HPTXFSIZ  0x100
#define HAINT	  0x414
#define HC(n, r)  (0x500 + 0x20 * (n) + (r))
#define HCCHAR	  0x00
#define HCINT	  0x08
#define HCTSIZ	  0x10
#define HCDMA	  0x14
#define CHENA	  (1u << 31)
#define CHDIS	  (1u << 30)
#define XFERCOMPL (1u << 0)
#define CHHLTD	  (1u << 1)
#define BBLERR	  (1u << 8)
#define NCHAN	  8

static uint32_t regs[0x1000 / 4];

/* The device's answer to the next IN transfer: packets of these lengths, bytes 0xa5. */
static struct {
	unsigned n;
	uint32_t len[8];
} script;

/* Bus addresses are 32 bits; the model's buffers are globals of this program, which share
 * their upper 32 address bits with regs (checked in main). */
static uint8_t *dma_ptr(uint32_t bus)
{
	return (uint8_t *)(((uintptr_t)regs & ~(uintptr_t)0xffffffffu) | bus);
}

static void run_channel(unsigned ch)
{
	uint32_t hcchar = regs[HC(ch, HCCHAR) / 4], tsiz = regs[HC(ch, HCTSIZ) / 4];
	uint32_t mps = hcchar & 0x7ff, size = tsiz & 0x7ffff, pkts = (tsiz >> 19) & 0x3ff;
	uint8_t *mem = dma_ptr(regs[HC(ch, HCDMA) / 4]);
	uint32_t off = 0, hcint = 0;
	if (!(hcchar & (1u << 15))) { /* OUT: the device takes it all */
		off = size;
		hcint = XFERCOMPL | CHHLTD;
	}
	for (unsigned i = 0; !hcint && i < script.n; i++) {
		uint32_t n = script.len[i];
		if (n > mps || n > size - off) { /* babble: at most what XferSize has left lands */
			uint32_t w = n < size - off ? n : size - off;
			memset(mem + off, 0xa5, w);
			off += w;
			hcint = BBLERR | CHHLTD;
			break;
		}
		memset(mem + off, 0xa5, n);
		off += n;
		pkts--;
		if (n < mps || pkts == 0)
			hcint = XFERCOMPL | CHHLTD;
	}
	if (!hcint)
		hcint = XFERCOMPL | CHHLTD;
	regs[HC(ch, HCTSIZ) / 4] = (size - off) | pkts << 19 | (tsiz & (3u << 29));
	regs[HC(ch, HCINT) / 4] = hcint;
	regs[HAINT / 4] |= 1u << ch;
	regs[GINTSTS / 4] |= 1u << 25;
}

uint32_t shim_mmio_read32(uintptr_t addr)
{
	uint32_t off = (uint32_t)(addr - BASE);
	switch (off) {
	case GSNPSID:
		return 0x4f54280a;
	case GRSTCTL:
		return 1u << 31; /* AHB idle; resets and flushes done at once */
	case GINTSTS:
		return regs[off / 4] | 1; /* host mode */
	case GHWCFG2:
		return (NCHAN - 1u) << 14 | 1u << 19; /* channels, dynamic FIFO sizing */
	default:
		return regs[off / 4];
	}
}

void shim_mmio_write32(uintptr_t addr, uint32_t v)
{
	uint32_t off = (uint32_t)(addr - BASE);
	if (off == GINTSTS || (off >= HC(0, HCINT) && (off - 0x500) % 0x20 == HCINT)) {
		regs[off / 4] &= ~v; /* write 1 to clear */
		return;
	}
	if (off == HAINT)
		return;
	regs[off / 4] = v;
	if (off >= 0x500 && off < HC(NCHAN, 0) && (off - 0x500) % 0x20 == HCCHAR && (v & CHENA) &&
	    !(v & CHDIS))
		run_channel((off - 0x500) / 0x20);
}

/* ---- what dwc2.c links against ---- */
static void (*handler)(void *);
void irq_register(unsigned irq, void (*fn)(void *arg), void *arg)
{
	(void)irq, (void)arg;
	handler = fn;
}
void usb_sleep_ms(unsigned ms)
{
	(void)ms;
}
void kprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("# ");
	vprintf(fmt, ap);
	va_end(ap);
}

/* ---- the tests ---- */
static struct usb_device dev = {.addr = 2, .speed = USB_SPEED_HIGH};
static unsigned completions;
static void done(struct usb_xfer *x)
{
	(void)x;
	completions++;
}

/* Submits an IN transfer of len bytes on an endpoint of packet size mps into buf; the device
 * answers with the scripted packets. usb_submit's result. */
static int in_xfer(struct usb_xfer *x, void *buf, uint32_t len, uint16_t mps, unsigned npkts,
		   const uint32_t *pkts)
{
	script.n = npkts;
	if (npkts)
		memcpy(script.len, pkts, npkts * sizeof(*pkts));
	*x = (struct usb_xfer){.dev = &dev,
			       .ep = 1 | USB_DIR_IN,
			       .type = USB_EP_BULK,
			       .pid = USB_PID_DATA0,
			       .mps = mps,
			       .buf = buf,
			       .len = len,
			       .done = done};
	completions = 0;
	int r = usb_submit(x);
	if (r == 0)
		handler(NULL);
	return r;
}

static uint8_t buf18[18] __attribute__((aligned(64)));
static uint8_t buf64[64] __attribute__((aligned(64)));
static uint8_t buf2k[2048] __attribute__((aligned(64)));
static uint8_t buf16k[16384] __attribute__((aligned(64)));

static bool all(const uint8_t *p, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

static void test_in_transfers(void)
{
	struct usb_xfer x;
	int r;

	/* What a device descriptor read looks like: 18 bytes, 8-byte packets. */
	memset(buf18, 0, sizeof(buf18));
	r = in_xfer(&x, buf18, 18, 8, 3, (const uint32_t[]){8, 8, 2});
	CHECK(r == 0 && completions == 1 && x.status == 0 && x.actual == 18 && all(buf18, 18, 0xa5),
	      "18 bytes in 8-byte packets: status %d, %u bytes", x.status, (unsigned)x.actual);

	/* The device sends a whole third packet: 24 bytes for an 18-byte buffer. */
	memset(buf18, 0, sizeof(buf18));
	r = in_xfer(&x, buf18, 18, 8, 3, (const uint32_t[]){8, 8, 8});
	CHECK(r == 0 && x.status == -EOVERFLOW && x.actual == 18 && all(buf18, 18, 0xa5),
	      "a device sending 24 bytes for 18: -EOVERFLOW, 18 bytes, nothing past the buffer "
	      "(status %d, %u bytes)",
	      x.status, (unsigned)x.actual);

	/* A hub's status change endpoint with a 512-byte wMaxPacketSize: one byte asked for. */
	memset(buf64, 0, sizeof(buf64));
	r = in_xfer(&x, buf64, 1, 512, 1, (const uint32_t[]){512});
	CHECK(r == 0 && x.status == -EOVERFLOW && x.actual == 1 && buf64[0] == 0xa5 &&
		  all(buf64 + 1, 63, 0),
	      "1 byte asked, a 512-byte packet sent: one byte lands (status %d, %u bytes)",
	      x.status, (unsigned)x.actual);

	/* wMaxPacketSize 2047: no USB 2.0 endpoint has it, and no channel is given it. */
	r = in_xfer(&x, buf64, 1, 2047, 1, (const uint32_t[]){100});
	CHECK(r == -EINVAL && completions == 0, "mps 2047 refused (%d)", r);

	/* Babble: a 100-byte packet on a 64-byte endpoint. */
	memset(buf64, 0, sizeof(buf64));
	r = in_xfer(&x, buf64, 64, 64, 1, (const uint32_t[]){100});
	CHECK(r == 0 && x.status == -EOVERFLOW && x.actual == 0,
	      "babble: -EOVERFLOW, no bytes (status %d, %u bytes)", x.status, (unsigned)x.actual);
	r = in_xfer(&x, buf18, 18, 64, 1, (const uint32_t[]){100});
	CHECK(r == 0 && x.status == -EOVERFLOW && x.actual == 0,
	      "babble into an 18-byte buffer on a 64-byte endpoint: nothing past it (status %d)",
	      x.status);

	/* A bulk ring buffer, whole packets: straight into it, short packet ends it. */
	memset(buf2k, 0, sizeof(buf2k));
	r = in_xfer(&x, buf2k, 2048, 512, 3, (const uint32_t[]){512, 512, 100});
	CHECK(r == 0 && x.status == 0 && x.actual == 1124 && all(buf2k, 1124, 0xa5) &&
		  all(buf2k + 1124, 2048 - 1124, 0) &&
		  regs[HC(0, HCDMA) / 4] == (uint32_t)(uintptr_t)buf2k,
	      "2048 bytes in 512-byte packets: direct DMA, 1124 bytes");

	/* A receive buffer that is no whole number of packets, too big to bounce. */
	r = in_xfer(&x, buf2k, 2048, 1000, 3, (const uint32_t[]){1000, 1000, 1000});
	CHECK(r == -EINVAL && completions == 0, "2048 bytes with mps 1000 refused (%d)", r);

	/* More packets than the channel's packet counter takes (Linux: 511 on the BCM2835). */
	r = in_xfer(&x, buf16k, 16384, 8, 0, NULL);
	CHECK(r == -EINVAL, "16384 bytes in 8-byte packets (2048 packets) refused (%d)", r);
	r = in_xfer(&x, buf16k, 16384, 64, 1, (const uint32_t[]){10});
	CHECK(r == 0 && x.status == 0 && x.actual == 10, "16384 bytes in 64-byte packets taken");
}

/* dwc2_init on a core whose reset values are these: what it leaves in the FIFO size registers
 * and GAHBCFG (issue 19 item 7: Linux's dwc2 values for the BCM2835). */
static void init_with(uint32_t grxfsiz, uint32_t gnptxfsiz, uint32_t hptxfsiz, uint32_t total)
{
	memset(regs, 0, sizeof(regs));
	regs[GRXFSIZ / 4] = grxfsiz;
	regs[GNPTXFSIZ / 4] = gnptxfsiz;
	regs[HPTXFSIZ / 4] = hptxfsiz;
	regs[GHWCFG3 / 4] = total << 16;
	dwc2_init(BASE, 9, 0);
}

static void test_fifos_and_bursts(void)
{
	/* Transmit depths of 256 and 512 words at reset in a 4080-word FIFO RAM (the BCM2835's
	 * real reset values are for a board to show: docs/boards.md, section 7). */
	init_with(4096, 256u << 16 | 4096, 512u << 16 | 4352, 4080);
	CHECK(regs[GRXFSIZ / 4] == 774, "receive FIFO: 774 words (Linux's BCM2835 value), %u",
	      regs[GRXFSIZ / 4]);
	CHECK(regs[GNPTXFSIZ / 4] == (256u << 16 | 774),
	      "non-periodic transmit FIFO: the reset depth (256) from word 774 (%#x)",
	      regs[GNPTXFSIZ / 4]);
	CHECK(regs[HPTXFSIZ / 4] == (512u << 16 | 1030),
	      "periodic transmit FIFO: the reset depth (512) from word 1030 (%#x)",
	      regs[HPTXFSIZ / 4]);
	CHECK(regs[GAHBCFG / 4] == (0x10u | 1u << 5 | 1u),
	      "GAHBCFG = 0x31: Linux's ahbcfg 0x10 (BCM2835: wait for AXI writes, burst field 0), "
	      "DMA, interrupts (%#x)",
	      regs[GAHBCFG / 4]);

	/* QEMU's model resets to 1024/1024/500 in 4096 words: the same rule. */
	init_with(1024, 1024u << 16, 500u << 16, 4096);
	CHECK(regs[GRXFSIZ / 4] == 774 && regs[GNPTXFSIZ / 4] == (1024u << 16 | 774) &&
		  regs[HPTXFSIZ / 4] == (500u << 16 | 1798),
	      "QEMU's reset depths: 774, 1024 at 774, 500 at 1798");

	/* A core whose receive FIFO resets smaller than 774 words keeps its own (Linux's range
	 * check); one whose FIFOs do not fit its RAM gets Linux's fallback. */
	init_with(512, 256u << 16, 256u << 16, 4080);
	CHECK(regs[GRXFSIZ / 4] == 512 && regs[GNPTXFSIZ / 4] == (256u << 16 | 512),
	      "receive FIFO capped at its reset depth (512)");
	init_with(4096, 1024u << 16, 1024u << 16, 2000);
	CHECK(regs[GRXFSIZ / 4] == 516 + NCHAN && regs[GNPTXFSIZ / 4] == (256u << 16 | 524) &&
		  regs[HPTXFSIZ / 4] == (768u << 16 | 780),
	      "more than the FIFO RAM: 516 + channels, 256, 768 words");
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0); /* what ran before an ASan abort stays visible */
	if (((uintptr_t)regs ^ (uintptr_t)buf16k) >> 32) {
		printf("# the test's globals straddle a 4 GiB boundary\n1..0\n");
		return 0;
	}
	CHECK(dwc2_init(BASE, 9, 0) == 0 && handler, "dwc2_init finds the model");
	test_in_transfers();
	test_fifos_and_bursts();
	return TAP_DONE();
}
