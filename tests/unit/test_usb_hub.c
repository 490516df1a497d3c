/*
 * drivers/usb/usb_hub.c on the fake USB bus (shim/usb_model.c), probed with descriptors a
 * hostile or broken hub could send: a status change endpoint whose wMaxPacketSize is far
 * larger than the driver's 64-byte status buffer (or 0), and bInterval 255 at high speed (the
 * USB 2.0 range there is 1..16; the old `1u << (bInterval - 4)` was undefined behaviour, which
 * UBSan turns into a failed test). The hub answers its class requests with two empty ports;
 * no thread runs (the stand-in creates none), so only probe and the status endpoint's polling
 * are exercised.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <uk/thread.h>

#include "tap.h"
#include "usb_model.h"

#define EP_STATUS 0x81

/* ---- what usb_hub.c needs besides the fake bus ---- */
struct usb_device *usb_enumerate(struct usb_device *parent, uint8_t port, uint8_t speed)
{
	(void)parent, (void)port, (void)speed;
	return NULL;
}
struct uk_thread {
	int dummy;
};
static struct uk_thread thread;
struct uk_thread *uk_thread_create(const char *name, void (*fn)(void *arg), void *arg, size_t stack)
{
	(void)name, (void)fn, (void)arg, (void)stack;
	return &thread;
}
int uk_thread_detach(struct uk_thread *t)
{
	(void)t;
	return 0;
}
void uk_sem_init(struct uk_sem *sem, unsigned long count)
{
	sem->count = count;
}
void uk_sem_post(struct uk_sem *sem)
{
	sem->count++;
}
int uk_sem_wait(struct uk_sem *sem, uint64_t timeout_ns)
{
	(void)timeout_ns;
	if (!sem->count)
		return -ETIMEDOUT;
	sem->count--;
	return 0;
}

/* ---- the hub's side: two ports, nothing attached ---- */
static int control(uint8_t type, uint8_t req, uint16_t value, uint16_t index, uint8_t *data,
		   uint16_t len)
{
	(void)index;
	if (req == USB_GET_DESCRIPTOR && value == USB_DT_HUB << 8 && (type & USB_REQ_IN)) {
		/* USB 2.0 table 11-13: 2 ports, power good after 50 ms */
		const uint8_t hd[9] = {9, USB_DT_HUB, 2, 0, 0, 25, 0, 0, 0xff};
		uint16_t n = len < sizeof(hd) ? len : sizeof(hd);
		memcpy(data, hd, n);
		return n;
	}
	if (req == USB_GET_STATUS && (type & USB_REQ_IN)) {
		memset(data, 0, len);
		return len;
	}
	return 0;
}
static void bulk_out(uint8_t ep, const uint8_t *data, uint32_t len)
{
	(void)ep, (void)data, (void)len;
}
static const struct chip_ops ops = {.control = control, .bulk_out = bulk_out};

/* A hub's configuration (USB 2.0 section 11.23.1): one interface of class 9, one interrupt IN
 * endpoint with this packet size and interval. */
static size_t hub_config(uint8_t *b, uint16_t mps, uint8_t interval)
{
	const uint8_t c[25] = {
	    9,
	    USB_DT_CONFIG,
	    25,
	    0,
	    1,
	    1,
	    0,
	    0xe0,
	    0,
	    9,
	    USB_DT_INTERFACE,
	    0,
	    0,
	    1,
	    USB_CLASS_HUB,
	    0,
	    0,
	    0,
	    7,
	    USB_DT_ENDPOINT,
	    EP_STATUS,
	    USB_EP_INTR,
	    (uint8_t)mps,
	    (uint8_t)(mps >> 8),
	    interval,
	};
	memcpy(b, c, sizeof(c));
	return sizeof(c);
}

static int probe(uint8_t speed, uint16_t mps, uint8_t interval)
{
	model_reset(&ops);
	struct usb_device *d = model_device(0x0409, 0x55aa, speed);
	d->desc.bDeviceClass = USB_CLASS_HUB;
	uint8_t cfg[32];
	size_t n = hub_config(cfg, mps, interval);
	return usb_hub_driver.probe(d, cfg, n);
}

/* After a NAK the status endpoint is asked again one interval later: that interval, in ms. */
static unsigned poll_interval(void)
{
	if (model_fail(EP_STATUS, -EAGAIN) != 0)
		return 0;
	for (unsigned ms = 1; ms <= 10000; ms++) {
		model_advance_ms(1);
		if (model_pending(EP_STATUS))
			return ms;
	}
	return 0;
}

int main(void)
{
	int r = probe(USB_SPEED_FULL, 1, 12);
	struct usb_xfer *x = model_pending(EP_STATUS);
	CHECK(r == 0 && x && x->len == 1 && x->mps == 1 && model_config_value == 1,
	      "a full-speed hub: 1 status byte polled on a 1-byte endpoint");
	CHECK(poll_interval() == 12, "every 12 ms (bInterval 12 frames)");

	r = probe(USB_SPEED_HIGH, 1, 12);
	CHECK(r == 0 && poll_interval() == 256, "high speed, bInterval 12: 2^11 x 125 us = 256 ms");

	r = probe(USB_SPEED_HIGH, 1, 255);
	CHECK(r == 0 && poll_interval() == 4096,
	      "high speed, bInterval 255: clamped to 16, 2^15 x 125 us = 4096 ms");
	r = probe(USB_SPEED_HIGH, 1, 0);
	CHECK(r == 0 && poll_interval() == 1, "high speed, bInterval 0: taken as 1 (1 ms)");
	r = probe(USB_SPEED_FULL, 1, 0);
	CHECK(r == 0 && poll_interval() == 1, "full speed, bInterval 0: 1 ms");

	r = probe(USB_SPEED_HIGH, 2047, 12);
	CHECK(r == -ENODEV && !model_pending(EP_STATUS) && model_config_value == 0,
	      "a status endpoint of 2047-byte packets (64-byte buffer): refused, nothing polled");
	r = probe(USB_SPEED_HIGH, 65, 12);
	CHECK(r == -ENODEV && !model_pending(EP_STATUS), "65-byte packets: refused");
	r = probe(USB_SPEED_HIGH, 0, 12);
	CHECK(r == -ENODEV && !model_pending(EP_STATUS), "0-byte packets: refused");
	r = probe(USB_SPEED_HIGH, 64, 12);
	x = model_pending(EP_STATUS);
	CHECK(r == 0 && x && x->mps == 64, "64-byte packets: taken");
	CHECK(model_errors == 0, "no misuse of the bus");
	return TAP_DONE();
}
