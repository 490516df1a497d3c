/*
 * drivers/usb/cdc_ecm.c on the fake USB bus (shim/usb_model.c): the error paths QEMU's usb-net
 * never takes. A device (CDC ECM 1.2 descriptors, full speed, 64-byte bulk packets) whose bulk
 * IN transfers the test completes with runts, oversized and endless frames, transfer errors and
 * STALLs; bulk OUT packets are gathered into frames the way an ECM function does (a short
 * packet ends one) and endpoint 0 requests are recorded. After each fault the receive ring and
 * the transmit queue must run again by themselves, and every dropped frame be counted once.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "usb_model.h"

#define EP_IN  0x82
#define EP_OUT 0x02

/* ---- the device's side ---- */
static struct {
	uint8_t cur[4096];
	uint32_t cur_len;
	uint32_t frames, last_len;
	uint8_t last[2048];
	uint8_t setup[8];
	unsigned setups;
} dev;

static int control(uint8_t type, uint8_t req, uint16_t value, uint16_t index, uint8_t *data,
		   uint16_t len)
{
	(void)type, (void)req, (void)value, (void)index, (void)data, (void)len;
	return 0; /* SET_INTERFACE, SetEthernetPacketFilter */
}

static void bulk_out(uint8_t ep, const uint8_t *data, uint32_t len)
{
	if (ep == 0) { /* the setup stage of a control transfer the driver runs itself */
		if (len == 8)
			memcpy(dev.setup, data, 8);
		dev.setups++;
		return;
	}
	if (dev.cur_len + len <= sizeof(dev.cur))
		memcpy(dev.cur + dev.cur_len, data, len);
	dev.cur_len += len;
	if (len < 64) { /* a short packet (or a ZLP) ends the frame (ECM 1.2 section 3.3.1) */
		dev.frames++;
		dev.last_len = dev.cur_len;
		if (dev.cur_len <= sizeof(dev.last))
			memcpy(dev.last, dev.cur, dev.cur_len);
		dev.cur_len = 0;
	}
}

static const struct chip_ops ops = {.control = control, .bulk_out = bulk_out};

/* Configuration 1: a communication interface (ECM) and a data interface whose alternate
 * setting 1 has the bulk pair (CDC 1.2 and ECM 1.2 section 5). */
static const uint8_t config[] = {
    9,
    USB_DT_CONFIG,
    80,
    0,
    2,
    1,
    0,
    0xc0,
    50, /* 80 bytes, 2 interfaces */
    9,
    USB_DT_INTERFACE,
    0,
    0,
    1,
    0x02,
    0x06,
    0,
    0, /* CDC, ECM */
    5,
    0x24,
    0x00,
    0x10,
    0x01, /* header */
    5,
    0x24,
    0x06,
    0,
    1, /* union */
    13,
    0x24,
    0x0f,
    0,
    0,
    0,
    0,
    0,
    0xea,
    0x05,
    0,
    0,
    0, /* Ethernet */
    7,
    USB_DT_ENDPOINT,
    0x81,
    USB_EP_INTR,
    16,
    0,
    9,
    9,
    USB_DT_INTERFACE,
    1,
    0,
    0,
    0x0a,
    0,
    0,
    0, /* data, no endpoints */
    9,
    USB_DT_INTERFACE,
    1,
    1,
    2,
    0x0a,
    0,
    0,
    0, /* data, bulk pair */
    7,
    USB_DT_ENDPOINT,
    EP_IN,
    USB_EP_BULK,
    64,
    0,
    0,
    7,
    USB_DT_ENDPOINT,
    EP_OUT,
    USB_EP_BULK,
    64,
    0,
    0,
};

static struct netdev *nd;
static unsigned rx_ready_calls;
static void rx_ready(struct netdev *n)
{
	(void)n;
	rx_ready_calls++;
}

static uint8_t frame[2048], got[2048];

static void fill(uint32_t len, uint8_t seed)
{
	for (uint32_t i = 0; i < len; i++)
		frame[i] = (uint8_t)(seed + i * 7);
}

/* The device sends len bytes of frame on bulk IN: 0, or -1 when no transfer was waiting. */
static int send_in(uint32_t len)
{
	return model_in(EP_IN, frame, len);
}

/* The stack takes the next frame: its length (0: none), checked against frame/seed. */
static size_t take(void)
{
	return nd->receive(nd, got, sizeof(got));
}

static bool rx_waiting(void)
{
	struct usb_xfer *x = model_pending(EP_IN);
	return x && x->len == 2048;
}

/* A copy of config whose bulk IN endpoint has packets of mps bytes. */
static void config_with_in_mps(uint8_t *c, uint16_t mps)
{
	memcpy(c, config, sizeof(config));
	for (size_t i = 0; i + 6 < sizeof(config); i++)
		if (c[i] == 7 && c[i + 1] == USB_DT_ENDPOINT && c[i + 2] == EP_IN) {
			c[i + 4] = (uint8_t)mps;
			c[i + 5] = (uint8_t)(mps >> 8);
		}
}

int main(void)
{
	/* A bulk IN packet size the 2 KiB receive buffers cannot take in whole packets: the
	 * controller would be asked to write past them (issue 17.13). */
	static const uint16_t bad_mps[] = {1000, 2047, 0};
	for (size_t i = 0; i < sizeof(bad_mps) / sizeof(bad_mps[0]); i++) {
		uint8_t c[sizeof(config)];
		config_with_in_mps(c, bad_mps[i]);
		model_reset(&ops);
		struct usb_device *hd = model_device(0x0525, 0xa4a2, USB_SPEED_FULL);
		hd->desc.bDeviceClass = 0x02;
		CHECK(cdc_ecm_driver.probe(hd, c, sizeof(c)) != 0 && !cdc_ecm_netdev() &&
			  !model_pending(EP_IN) && model_config_value == 0,
		      "bulk IN wMaxPacketSize %u: refused, nothing received", bad_mps[i]);
	}

	model_reset(&ops);
	struct usb_device *d = model_device(0x0525, 0xa4a2, USB_SPEED_FULL);
	d->desc.bDeviceClass = 0x02;
	CHECK(cdc_ecm_driver.probe(d, config, sizeof(config)) == 0, "probe takes the ECM device");
	nd = cdc_ecm_netdev();
	CHECK(nd != NULL && model_config_value == 1, "it is the network device, configuration 1");
	nd->rx_ready = rx_ready;
	CHECK(rx_waiting(), "a 2 KiB bulk IN transfer waits for the first frame");

	/* ---- receive ---- */
	fill(60, 1);
	send_in(60);
	CHECK(take() == 60 && !memcmp(got, frame, 60) && nd->stats.rx_frames == 1 && rx_ready_calls,
	      "a 60-byte frame reaches the stack intact, and the stack was told");
	CHECK(take() == 0, "then nothing");

	send_in(13);
	send_in(0);
	fill(1515, 2);
	send_in(1515);
	CHECK(nd->stats.rx_dropped == 3 && take() == 0 && rx_waiting(),
	      "a 13-byte runt, a zero-length transfer and a 1515-byte frame: 3 dropped, receiving");

	fill(2048, 3);
	send_in(2048);
	CHECK(rx_waiting() && nd->stats.rx_dropped == 4, "a full 2 KiB transfer: dropped once");
	send_in(2048);
	send_in(100);
	CHECK(nd->stats.rx_dropped == 4 && take() == 0,
	      "its continuation up to the short packet ends it: part of the same frame");
	send_in(2048);
	send_in(0);
	CHECK(nd->stats.rx_dropped == 5 && take() == 0, "a 2048-byte frame and its ZLP: one drop");
	fill(1514, 4);
	send_in(1514);
	CHECK(take() == 1514 && !memcmp(got, frame, 1514), "the next 1514-byte frame is intact");

	/* a transfer error: retried after a while; what follows until a short packet is the
	 * rest of the broken frame */
	uint64_t before = nd->stats.rx_dropped;
	model_fail(EP_IN, -EIO);
	CHECK(!rx_waiting() && nd->stats.rx_dropped == before + 1,
	      "a transfer error is counted; no transfer for now");
	model_advance_ms(10);
	CHECK(rx_waiting(), "10 ms later the driver receives again");
	send_in(640);
	CHECK(take() == 0 && nd->stats.rx_dropped == before + 1,
	      "the rest of the broken frame is dropped with it");
	fill(200, 5);
	send_in(200);
	CHECK(take() == 200 && !memcmp(got, frame, 200), "the frame after it is intact");

	/* errors that go on (a device gone): each one waits twice as long, up to 1.28 s */
	unsigned waits[9], ok_waits = 1;
	for (int i = 0; i < 9; i++) {
		model_fail(EP_IN, -EIO);
		uint64_t t0 = model_now_ms();
		while (!rx_waiting() && model_now_ms() - t0 < 5000)
			model_advance_ms(1);
		waits[i] = (unsigned)(model_now_ms() - t0);
		ok_waits &= waits[i] == (10u << (i < 7 ? i : 7));
	}
	CHECK(ok_waits, "errors in a row: retries after 10, 20, 40 ... 1280, 1280 ms (%u ... %u)",
	      waits[0], waits[8]);
	send_in(64 * 3); /* the rest of the frame the last error broke: dropped with it */
	send_in(100);
	CHECK(take() == 100, "a frame that arrives resets it");
	model_fail(EP_IN, -EIO);
	model_advance_ms(10);
	CHECK(rx_waiting(), "the next error waits 10 ms again");
	send_in(0);

	/* the ring: 32 frames waiting stop the transfers; taking one restarts them */
	for (int i = 0; i < 32; i++) {
		fill(100, (uint8_t)(10 + i));
		send_in(100);
	}
	CHECK(!model_pending(EP_IN), "32 frames waiting (a full ring): no transfer outstanding");
	CHECK(send_in(100) == -1, "so the device holds on to the 33rd");
	bool in_order = true;
	for (int i = 0; i < 32; i++) {
		fill(100, (uint8_t)(10 + i));
		in_order &= take() == 100 && !memcmp(got, frame, 100);
		if (i == 0)
			CHECK(rx_waiting(), "taking one frame restarts receiving");
	}
	CHECK(in_order, "the 32 frames come out in order, intact");

	/* STALL on bulk IN: CLEAR_FEATURE(ENDPOINT_HALT), data toggle back to DATA0, go on */
	before = nd->stats.rx_dropped;
	d->toggle = 0xffffffffu;
	model_fail(EP_IN, -EPIPE);
	CHECK(!rx_waiting() && nd->stats.rx_dropped == before + 1,
	      "a STALL: counted, receive stops");
	struct usb_xfer *s = model_pending(0);
	CHECK(s && s->len == 8 && s->pid == USB_PID_SETUP && s->type == USB_EP_CONTROL,
	      "a setup stage goes out on endpoint 0");
	model_fail(0, -EIO);
	CHECK(!model_pending(0), "the setup stage fails: nothing at once");
	model_advance_ms(10);
	unsigned setups = dev.setups;
	model_run_out();
	static const uint8_t clear_in[8] = {0x02, USB_CLEAR_FEATURE, 0, 0, EP_IN, 0, 0, 0};
	CHECK(dev.setups == setups + 1 && !memcmp(dev.setup, clear_in, 8),
	      "10 ms later it is sent again: CLEAR_FEATURE(ENDPOINT_HALT) for endpoint 0x82");
	s = model_pending(0x80);
	CHECK(s && s->len == 0 && s->pid == USB_PID_DATA1 && !rx_waiting(),
	      "then the status stage: a zero-length DATA1 IN");
	model_in(0x80, frame, 0);
	CHECK(rx_waiting() && !(d->toggle & (1u << (16 + 2))) && (d->toggle & (1u << 2)),
	      "cleared: IN toggle back to DATA0 (OUT's untouched), receiving again");
	fill(300, 6);
	send_in(300);
	CHECK(take() == 300 && !memcmp(got, frame, 300), "and the next frame is intact");

	/* ---- transmit ---- */
	fill(100, 7);
	CHECK(nd->transmit(nd, frame, 100) == 0, "transmit queues a 100-byte frame");
	model_run_out();
	CHECK(dev.frames == 1 && dev.last_len == 100 && !memcmp(dev.last, frame, 100),
	      "it goes out as 64 + 36 bytes: one frame, intact");
	fill(128, 8);
	nd->transmit(nd, frame, 128);
	model_run_out();
	CHECK(dev.frames == 2 && dev.last_len == 128 && !memcmp(dev.last, frame, 128),
	      "a 128-byte frame ends with a ZLP");
	CHECK(nd->transmit(nd, frame, 1515) == -EMSGSIZE && nd->transmit(nd, frame, 0) == -EMSGSIZE,
	      "1515 bytes or none: refused");

	/* a busy controller: the frame waits for the retry 1 ms later, whole */
	fill(130, 13);
	model_refuse = 1;
	CHECK(nd->transmit(nd, frame, 130) == 0 && !model_pending(EP_OUT),
	      "the controller is busy: the frame waits");
	model_advance_ms(1);
	model_run_out();
	CHECK(dev.frames == 3 && dev.last_len == 130 && !memcmp(dev.last, frame, 130),
	      "1 ms later it goes out whole");
	model_refuse = 1;
	send_in(0);
	CHECK(!model_pending(EP_IN), "busy on receive too: no IN transfer for now");
	model_advance_ms(1);
	CHECK(rx_waiting(), "1 ms later receiving again");

	/* a failed transfer: the frame ends early with a ZLP; the next goes out whole */
	uint64_t tx_before = nd->stats.tx_dropped;
	fill(200, 9);
	nd->transmit(nd, frame, 200);
	fill(150, 10);
	nd->transmit(nd, frame, 150);
	model_fail(EP_OUT, -EIO);
	s = model_pending(EP_OUT);
	CHECK(nd->stats.tx_dropped == tx_before + 1 && s && s->len == 0,
	      "a failed bulk OUT transfer: counted, and a ZLP ends the frame");
	model_run_out();
	CHECK(dev.frames == 5 && dev.last_len == 150 && !memcmp(dev.last, frame, 150),
	      "the next frame goes out whole, on its own");

	/* STALL on bulk OUT: frames wait while the halt is cleared, then go */
	d->toggle = 0xffffffffu;
	fill(90, 11);
	nd->transmit(nd, frame, 90);
	model_fail(EP_OUT, -EPIPE);
	fill(80, 12);
	nd->transmit(nd, frame, 80);
	CHECK(!model_pending(EP_OUT) && model_pending(0),
	      "a STALL: sending waits, clearing starts");
	setups = dev.setups;
	model_run_out();
	static const uint8_t clear_out[8] = {0x02, USB_CLEAR_FEATURE, 0, 0, EP_OUT, 0, 0, 0};
	CHECK(dev.setups == setups + 1 && !memcmp(dev.setup, clear_out, 8),
	      "CLEAR_FEATURE(ENDPOINT_HALT) for endpoint 0x02");
	model_in(0x80, frame, 0);
	CHECK(!(d->toggle & (1u << 2)) && (d->toggle & (1u << 18)),
	      "cleared: OUT toggle back to DATA0 (IN's untouched)");
	model_run_out();
	CHECK(dev.frames == 6 && dev.last_len == 80 && !memcmp(dev.last, frame, 80) &&
		  nd->stats.tx_dropped == tx_before + 2,
	      "the frame that STALLed is dropped and counted, the one queued after goes out");

	/* the transmit ring: 32 frames wait at most */
	int queued = 0, refused = 0;
	for (int i = 0; i < 40; i++) {
		int r = nd->transmit(nd, frame, 80);
		queued += r == 0;
		refused += r == -EAGAIN;
	}
	CHECK(queued == 32 && refused == 8, "32 frames queue, the next are refused with -EAGAIN");
	unsigned f0 = dev.frames;
	model_run_out();
	CHECK(dev.frames == f0 + 32 && nd->transmit(nd, frame, 80) == 0,
	      "all 32 go out, and the ring takes frames again");
	model_run_out();

	CHECK(model_errors == 0, "no misuse of the bus (masked interrupts, double submits)");
	return TAP_DONE();
}
