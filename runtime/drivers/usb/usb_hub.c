/*
 * The hub class driver (USB 2.0 chapter 11): powers every port, resets the ones with a device
 * and enumerates it. Afterwards the hub's status change endpoint (section 11.12.1, an interrupt
 * IN endpoint with one bit per port) is polled at its interval; a change wakes the hub's thread,
 * which enumerates a newly attached device or reports a detached one.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <uk/time.h>

#include "drivers.h"
#include "sysreg.h"
#include "usb.h"

/* hub class requests and features (USB 2.0 tables 11-15 to 11-17) */
#define HUB_PORT_RESET	      4
#define HUB_PORT_POWER	      8
#define HUB_C_PORT_CONNECTION 16
#define HUB_C_PORT_ENABLE     17
#define HUB_C_PORT_RESET      20
/* wPortStatus (table 11-21) and wPortChange (table 11-22) */
#define PORT_CONNECTION	  (1u << 0)
#define PORT_ENABLE	  (1u << 1)
#define PORT_LOW_SPEED	  (1u << 9)
#define PORT_HIGH_SPEED	  (1u << 10)
#define PORT_C_CONNECTION (1u << 0)
#define PORT_C_RESET	  (1u << 4)
#define PORT_REQ	  (USB_REQ_CLASS | USB_REQ_OTHER)
#define MAX_PORTS	  15

struct hub {
	struct usb_device *dev;
	uint8_t nports;
	struct usb_device *child[MAX_PORTS + 1];
	struct usb_xfer status;	   /* the status change endpoint */
	uint8_t *status_buf;	   /* one cache line */
	unsigned interval_ms;	   /* the status endpoint's period (usb_interval_ms) */
	struct uk_timer poll;	   /* resubmits status after a NAK */
	struct uk_sem changed;	   /* posted from interrupt context */
	volatile uint16_t pending; /* port bits from the status endpoint */
};

static int port_status(struct hub *h, unsigned port, uint16_t *status, uint16_t *change)
{
	uint8_t s[4];
	int r = usb_control(h->dev, USB_REQ_IN | PORT_REQ, USB_GET_STATUS, 0, (uint16_t)port, s, 4);
	if (r < 4)
		return r < 0 ? r : -EIO;
	*status = (uint16_t)(s[0] | s[1] << 8);
	*change = (uint16_t)(s[2] | s[3] << 8);
	return 0;
}

static int port_feature(struct hub *h, uint8_t req, uint16_t feature, unsigned port)
{
	return usb_control(h->dev, PORT_REQ, req, feature, (uint16_t)port, NULL, 0);
}

/* Resets a port with a device (section 11.24.2.7.1.5) and enumerates what is behind it. The
 * reset takes 10-20 ms; it is polled every 10 ms, for at most 500 ms. */
static void port_attach(struct hub *h, unsigned port)
{
	uint16_t st, ch;
	port_feature(h, USB_CLEAR_FEATURE, HUB_C_PORT_CONNECTION, port);
	if (port_feature(h, USB_SET_FEATURE, HUB_PORT_RESET, port) < 0)
		return;
	for (int i = 0; i < 50; i++) {
		usb_sleep_ms(10);
		if (port_status(h, port, &st, &ch) < 0)
			return;
		if (ch & PORT_C_RESET)
			break;
	}
	port_feature(h, USB_CLEAR_FEATURE, HUB_C_PORT_RESET, port);
	if (!(st & PORT_ENABLE)) {
		kprintf("usb: hub %u port %u: not enabled after reset\n", h->dev->addr, port);
		return;
	}
	usb_sleep_ms(10); /* reset recovery, TRSTRCY (section 7.1.7.5) */
	uint8_t speed = st & PORT_LOW_SPEED    ? USB_SPEED_LOW
			: st & PORT_HIGH_SPEED ? USB_SPEED_HIGH
					       : USB_SPEED_FULL;
	h->child[port] = usb_enumerate(h->dev, (uint8_t)port, speed);
}

/* Interrupt context: the status change endpoint answered (or NAKed). */
static void status_done(struct usb_xfer *x)
{
	struct hub *h = x->arg;
	if (x->status == 0 && x->actual > 0) {
		uint16_t bits = h->status_buf[0];
		if (x->actual > 1)
			bits |= (uint16_t)(h->status_buf[1] << 8);
		h->pending |= bits;
		uk_sem_post(&h->changed); /* the thread resubmits once it has read the ports */
		return;
	}
	uk_timer_start(&h->poll, uk_now_ns() + (uint64_t)h->interval_ms * 1000000);
}

/* Timer callback (interrupt context). */
static void poll_again(struct uk_timer *t, void *arg)
{
	(void)t;
	struct hub *h = arg;
	if (usb_submit(&h->status) != 0)
		uk_timer_start(&h->poll, uk_now_ns() + (uint64_t)h->interval_ms * 1000000);
}

static void hub_thread(void *arg)
{
	struct hub *h = arg;
	for (;;) {
		uk_sem_wait(&h->changed, 0);
		uint64_t flags = irq_save();
		uint16_t changed = h->pending;
		h->pending = 0;
		irq_restore(flags);
		if (changed & 1) /* the hub itself: C_HUB_LOCAL_POWER, C_HUB_OVER_CURRENT */
			for (uint16_t f = 0; f < 2; f++)
				usb_control(h->dev, USB_REQ_CLASS | USB_REQ_DEVICE,
					    USB_CLEAR_FEATURE, f, 0, NULL, 0);
		for (unsigned port = 1; port <= h->nports; port++) {
			uint16_t st, ch;
			if (!(changed & (1u << port)) || port_status(h, port, &st, &ch) < 0)
				continue;
			/* Acknowledge every change but the connection (port_attach does that one),
			 * or the endpoint keeps reporting the port. */
			for (unsigned c = 1; c <= 4; c++)
				if (ch & (1u << c))
					port_feature(h, USB_CLEAR_FEATURE,
						     (uint16_t)(HUB_C_PORT_CONNECTION + c), port);
			if (!(ch & PORT_C_CONNECTION))
				continue;
			if (st & PORT_CONNECTION) {
				kprintf("usb: hub %u port %u: device attached\n", h->dev->addr,
					port);
				port_attach(h, port);
			} else {
				port_feature(h, USB_CLEAR_FEATURE, HUB_C_PORT_CONNECTION, port);
				kprintf("usb: hub %u port %u: device detached\n", h->dev->addr,
					port);
				/* its driver is not told: detach is not supported yet */
				h->child[port] = NULL;
			}
		}
		/* the next look at the endpoint waits an interval, as the host's schedule would */
		uk_timer_start(&h->poll, uk_now_ns() + (uint64_t)h->interval_ms * 1000000);
	}
}

static int hub_probe(struct usb_device *d, const uint8_t *cfg, size_t len)
{
	const uint8_t *end = cfg + len, *ep = NULL;
	bool is_hub = d->desc.bDeviceClass == USB_CLASS_HUB;
	for (const uint8_t *p = cfg; p; p = usb_desc_next(p, end)) {
		if (p[1] == USB_DT_INTERFACE && p[0] >= 9 && p[5] == USB_CLASS_HUB)
			is_hub = true;
		if (p[1] == USB_DT_ENDPOINT && p[0] >= 7 && (p[2] & USB_DIR_IN) &&
		    (p[3] & 3) == USB_EP_INTR && !ep)
			ep = p;
	}
	if (!is_hub || !ep)
		return -ENODEV;
	/* The status change bitmap is one bit per port and one for the hub (section 11.12.4): 2
	 * bytes for MAX_PORTS. A packet size of 0 moves nothing, and one above the 64-byte status
	 * buffer is no hub's (USB 2.0 hubs send 1 or 2 bytes): refuse both. */
	uint16_t mps = (uint16_t)((ep[4] | ep[5] << 8) & 0x7ff);
	if (mps == 0 || mps > 64) {
		kprintf("usb: hub %u: status endpoint packet size %u refused\n", d->addr, mps);
		return -ENODEV;
	}
	struct hub *h = calloc(1, sizeof(*h));
	uint8_t *buf = aligned_alloc(64, 64);
	if (!h || !buf) {
		free(h);
		free(buf);
		return -ENOMEM;
	}
	h->dev = d;
	h->status_buf = buf;
	d->class_priv = h;
	if (usb_control(d, USB_REQ_DEVICE, USB_SET_CONFIGURATION, cfg[5], 0, NULL, 0) < 0)
		return -EIO;
	/* The hub descriptor (section 11.23.2.1): bNbrPorts, bPwrOn2PwrGood in 2 ms units. */
	uint8_t hd[16];
	int r = usb_control(d, USB_REQ_IN | USB_REQ_CLASS | USB_REQ_DEVICE, USB_GET_DESCRIPTOR,
			    USB_DT_HUB << 8, 0, hd, sizeof(hd));
	if (r < 7)
		return -EIO;
	h->nports = hd[2] > MAX_PORTS ? MAX_PORTS : hd[2];
	kprintf("usb: hub %u: %u ports\n", d->addr, h->nports);
	for (unsigned port = 1; port <= h->nports; port++)
		port_feature(h, USB_SET_FEATURE, HUB_PORT_POWER, port);
	usb_sleep_ms(hd[5] * 2u + 100); /* power good, then the attach debounce (section 7.1.7.3) */
	for (unsigned port = 1; port <= h->nports; port++) {
		uint16_t st, ch;
		if (port_status(h, port, &st, &ch) == 0 && (st & PORT_CONNECTION))
			port_attach(h, port);
	}

	uk_sem_init(&h->changed, 0);
	uk_timer_init(&h->poll, poll_again, h);
	h->interval_ms = usb_interval_ms(d->speed, ep[6]);
	h->status = (struct usb_xfer){
	    .dev = d,
	    .ep = ep[2],
	    .type = USB_EP_INTR,
	    .pid = USB_PID_AUTO,
	    .mps = mps,
	    .buf = h->status_buf,
	    .len = (h->nports + 8) / 8,
	    .done = status_done,
	    .arg = h,
	};
	struct uk_thread *t = uk_thread_create("usb-hub", hub_thread, h, 0);
	if (t) {
		uk_thread_detach(t);
		poll_again(&h->poll, h);
	}
	return 0;
}

const struct usb_driver usb_hub_driver = {.name = "hub", .probe = hub_probe};
