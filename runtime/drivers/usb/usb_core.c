/*
 * USB enumeration (USB 2.0 section 9.1.2 "Bus Enumeration" and chapter 9's standard requests):
 * learn endpoint 0's packet size, give the device an address, read its descriptors and offer
 * each configuration to the class drivers until one takes the device. Thread context only:
 * every step is a blocking control transfer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <uk/time.h>

#include "drivers.h"
#include "netdev.h"
#include "usb.h"

#define CTRL_TIMEOUT_NS 1000000000ull /* a device has 500 ms per stage (USB 2.0 9.2.6.4) */
#define CTRL_BUF	4096
#define CONFIG_MAX	1024

#define DRIVERS_MAX 8

/* The class drivers the board added (usb_add_driver), in the order it added them. */
static struct {
	unsigned count;
	const struct usb_driver *drv[DRIVERS_MAX];
} drivers;

static struct {
	bool started;
	uint8_t next_addr;
	struct uk_sem lock;   /* one control transfer at a time: they share the buffers below */
	uint8_t *setup, *buf; /* DMA buffers, cache-line aligned */
} core;

void usb_sleep_ms(unsigned ms)
{
	uk_thread_sleep_until(uk_now_ns() + (uint64_t)ms * 1000000);
}

void usb_add_driver(const struct usb_driver *drv)
{
	for (unsigned i = 0; i < drivers.count; i++)
		if (drivers.drv[i] == drv)
			return;
	if (drivers.count < DRIVERS_MAX)
		drivers.drv[drivers.count++] = drv;
}

const char *usb_speed_name(uint8_t speed)
{
	return speed == USB_SPEED_HIGH ? "high" : speed == USB_SPEED_LOW ? "low" : "full";
}

static void wake(struct usb_xfer *x)
{
	uk_sem_post(&x->sem);
}

int usb_transfer_wait(struct usb_xfer *x, uint64_t timeout_ns)
{
	uk_sem_init(&x->sem, 0);
	x->done = wake;
	uint64_t end = uk_now_ns() + timeout_ns;
	int r;
	while ((r = usb_submit(x)) == -EBUSY) { /* every channel busy: they free up quickly */
		if (uk_now_ns() > end)
			return -ETIMEDOUT;
		usb_sleep_ms(1);
	}
	if (uk_sem_wait(&x->sem, timeout_ns) != 0) {
		usb_cancel(x);
		return -ETIMEDOUT;
	}
	return x->status;
}

/* One stage of a control transfer on endpoint 0. */
static int control_stage(struct usb_device *d, bool in, uint8_t pid, void *buf, uint32_t len)
{
	struct usb_xfer x = {
	    .dev = d,
	    .ep = in ? USB_DIR_IN : 0,
	    .type = USB_EP_CONTROL,
	    .pid = pid,
	    .mps = d->desc.bMaxPacketSize0,
	    .buf = buf,
	    .len = len,
	};
	int r = usb_transfer_wait(&x, CTRL_TIMEOUT_NS);
	return r < 0 ? r : (int)x.actual;
}

int usb_control(struct usb_device *d, uint8_t type, uint8_t req, uint16_t value, uint16_t index,
		void *data, uint16_t len)
{
	if (len > CTRL_BUF)
		return -EINVAL;
	bool in = type & USB_REQ_IN;
	uk_sem_wait(&core.lock, 0);
	/* Setup stage: 8 bytes, DATA0 SETUP token (USB 2.0 section 9.3, table 9-2). */
	uint8_t *s = core.setup;
	s[0] = type;
	s[1] = req;
	s[2] = (uint8_t)value;
	s[3] = (uint8_t)(value >> 8);
	s[4] = (uint8_t)index;
	s[5] = (uint8_t)(index >> 8);
	s[6] = (uint8_t)len;
	s[7] = (uint8_t)(len >> 8);
	int r = control_stage(d, false, USB_PID_SETUP, s, 8);
	int moved = 0;
	/* Data stage: starts with DATA1 (USB 2.0 section 8.5.3). */
	if (r >= 0 && len) {
		if (!in)
			memcpy(core.buf, data, len);
		r = moved = control_stage(d, in, USB_PID_DATA1, core.buf, len);
		if (r >= 0 && in)
			memcpy(data, core.buf, (size_t)moved);
	}
	/* Status stage: a zero-length DATA1 packet the other way (IN when there was no data). */
	if (r >= 0)
		r = control_stage(d, !(in && len), USB_PID_DATA1, core.buf, 0);
	uk_sem_post(&core.lock);
	return r < 0 ? r : moved;
}

static int get_descriptor(struct usb_device *d, uint8_t type, uint8_t idx, uint16_t lang, void *buf,
			  uint16_t len)
{
	return usb_control(d, USB_REQ_IN | USB_REQ_DEVICE, USB_GET_DESCRIPTOR,
			   (uint16_t)(type << 8 | idx), lang, buf, len);
}

int usb_string(struct usb_device *d, uint8_t idx, char *out, size_t max)
{
	uint8_t buf[256];
	if (!idx || !max)
		return -ENOENT;
	/* String descriptor 0 lists the LANGIDs (USB 2.0 section 9.6.7); use the first. */
	int n = get_descriptor(d, USB_DT_STRING, 0, 0, buf, 4);
	uint16_t lang = n >= 4 ? (uint16_t)(buf[2] | buf[3] << 8) : 0x0409;
	n = get_descriptor(d, USB_DT_STRING, idx, lang, buf, 255);
	if (n < 2)
		return n < 0 ? n : -EIO;
	if (buf[0] < n)
		n = buf[0];
	size_t k = 0;
	for (int i = 2; i + 1 < n && k + 1 < max; i += 2) /* UTF-16LE */
		out[k++] = buf[i + 1] == 0 && buf[i] >= 0x20 && buf[i] < 0x7f ? (char)buf[i] : '?';
	out[k] = '\0';
	return (int)k;
}

const uint8_t *usb_desc_next(const uint8_t *p, const uint8_t *end)
{
	if (p + 2 > end || p[0] < 2 || p + p[0] >= end)
		return NULL;
	p += p[0];
	return p + 2 <= end && p[0] >= 2 && p + p[0] <= end ? p : NULL;
}

static bool ep0_size_ok(uint8_t speed, uint8_t mps)
{
	if (speed == USB_SPEED_HIGH)
		return mps == 64;
	return mps == 8 || mps == 16 || mps == 32 || mps == 64;
}

/* Hands the device to the first class driver that takes one of its configurations. */
static bool bind(struct usb_device *d)
{
	uint8_t *cfg = aligned_alloc(64, CONFIG_MAX);
	if (!cfg)
		return false;
	for (uint8_t c = 0; c < d->desc.bNumConfigurations; c++) {
		int n = get_descriptor(d, USB_DT_CONFIG, c, 0, cfg, 9);
		if (n < 9 || cfg[0] < 9 || cfg[1] != USB_DT_CONFIG)
			continue; /* not a configuration descriptor (USB 2.0 table 9-10) */
		uint16_t total = (uint16_t)(cfg[2] | cfg[3] << 8);
		if (total > CONFIG_MAX)
			total = CONFIG_MAX;
		/* Probes walk only the n bytes that came (usb_desc_next keeps each descriptor
		 * inside them), however long the device claims the configuration is. */
		n = get_descriptor(d, USB_DT_CONFIG, c, 0, cfg, total);
		if (n < 9 || cfg[1] != USB_DT_CONFIG)
			continue;
		for (unsigned i = 0; i < drivers.count; i++)
			if (drivers.drv[i]->probe(d, cfg, (size_t)n) == 0)
				return true; /* the driver keeps what it needs; cfg stays allocated
					      */
	}
	free(cfg);
	return false;
}

struct usb_device *usb_enumerate(struct usb_device *parent, uint8_t port, uint8_t speed)
{
	struct usb_device *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->parent = parent;
	d->port = port;
	d->depth = parent ? (uint8_t)(parent->depth + 1) : 0;
	d->speed = speed;
	/* Until the device says, endpoint 0 takes 8-byte packets (64 at high speed, USB 2.0
	 * section 5.5.3); the first 8 bytes of the device descriptor carry bMaxPacketSize0. */
	d->desc.bMaxPacketSize0 = speed == USB_SPEED_HIGH ? 64 : 8;
	uint8_t buf[18];
	int r = get_descriptor(d, USB_DT_DEVICE, 0, 0, buf, 8);
	if (r < 8) {
		kprintf("usb: device on port %u does not answer (%d)\n", port, r);
		free(d);
		return NULL;
	}
	/* Endpoint 0 takes 8, 16, 32 or 64 bytes, 64 at high speed (USB 2.0 sections 5.5.3 and
	 * 9.6.1): any other value is a broken or hostile device, and every control transfer's
	 * packets would be sized by it. */
	if (!ep0_size_ok(speed, buf[7])) {
		kprintf("usb: device on port %u: endpoint 0 packet size %u refused\n", port,
			buf[7]);
		free(d);
		return NULL;
	}
	d->desc.bMaxPacketSize0 = buf[7];
	uint8_t addr = ++core.next_addr;
	r = usb_control(d, USB_REQ_DEVICE, USB_SET_ADDRESS, addr, 0, NULL, 0);
	if (r < 0 || addr > 127) {
		kprintf("usb: SET_ADDRESS %u failed (%d)\n", addr, r);
		free(d);
		return NULL;
	}
	d->addr = addr;
	usb_sleep_ms(2); /* SetAddress recovery interval (USB 2.0 section 9.2.6.3) */
	r = get_descriptor(d, USB_DT_DEVICE, 0, 0, buf, 18);
	if (r < 18) {
		kprintf("usb: device %u: no device descriptor (%d)\n", addr, r);
		free(d);
		return NULL;
	}
	if (buf[7] != d->desc.bMaxPacketSize0) { /* it said otherwise a moment ago */
		kprintf("usb: device %u: endpoint 0 packet size changed (%u)\n", addr, buf[7]);
		free(d);
		return NULL;
	}
	memcpy(&d->desc, buf, 18);
	char product[64] = "", maker[64] = "";
	usb_string(d, d->desc.iManufacturer, maker, sizeof(maker));
	usb_string(d, d->desc.iProduct, product, sizeof(product));
	kprintf("usb: device %u (%s port %u, %s speed): %04x:%04x class %02x usb %x.%02x "
		"\"%s\" \"%s\", %u configuration%s\n",
		addr, parent ? "hub" : "root", port, usb_speed_name(speed), d->desc.idVendor,
		d->desc.idProduct, d->desc.bDeviceClass, d->desc.bcdUSB >> 8, d->desc.bcdUSB & 0xff,
		maker, product, d->desc.bNumConfigurations,
		d->desc.bNumConfigurations == 1 ? "" : "s");
	if (!bind(d))
		kprintf("usb: device %u: no driver\n", addr);
	return d;
}

/* ---- network devices: the class drivers register theirs; the board takes the first ---- */
#define NET_MAX	     4
#define LINK_POLL_NS 1000000000ull /* a lost interrupt still shows within a second */

static struct {
	unsigned count;
	struct netdev *dev[NET_MAX];
	int (*link_check[NET_MAX])(struct netdev *nd);
	int link[NET_MAX];
	bool thread;
	struct uk_sem event;
	int (*board_mac)(uint8_t mac[6]);
} net;

void usb_net_set_mac_source(int (*fn)(uint8_t mac[6]))
{
	net.board_mac = fn;
}

int usb_net_board_mac(uint8_t mac[6])
{
	return net.board_mac ? net.board_mac(mac) : -1;
}

static void net_thread(void *arg)
{
	(void)arg;
	for (;;) {
		uk_sem_wait(&net.event, LINK_POLL_NS);
		for (unsigned i = 0; i < net.count; i++) {
			if (!net.link_check[i])
				continue;
			int r = net.link_check[i](net.dev[i]);
			if (r >= 0)
				net.link[i] = r;
		}
	}
}

void usb_net_register(struct netdev *nd, int (*link_check)(struct netdev *nd))
{
	if (net.count == NET_MAX)
		return;
	net.dev[net.count] = nd;
	net.link_check[net.count] = link_check;
	net.link[net.count] = link_check ? -1 : 1;
	net.count++;
	if (link_check && !net.thread) {
		uk_sem_init(&net.event, 1); /* a first check at once */
		struct uk_thread *t = uk_thread_create("usb-net", net_thread, NULL, 0);
		if (t) {
			uk_thread_detach(t);
			net.thread = true;
		}
	}
}

void usb_net_link_event(void)
{
	if (net.thread)
		uk_sem_post(&net.event);
}

struct netdev *usb_netdev(void)
{
	return net.count ? net.dev[0] : NULL;
}

int usb_net_link(const struct netdev *nd)
{
	for (unsigned i = 0; i < net.count; i++)
		if (net.dev[i] == nd)
			return net.link[i];
	return -1;
}

int usb_start(uintptr_t base, unsigned irq, uint32_t bus_offset)
{
	static int result = -ENODEV;
	if (core.started)
		return result;
	core.started = true;
	uk_sem_init(&core.lock, 1);
	core.setup = aligned_alloc(64, 64);
	core.buf = aligned_alloc(64, CTRL_BUF);
	if (!core.setup || !core.buf)
		return result = -ENOMEM;
	int r = dwc2_init(base, irq, bus_offset);
	if (r < 0)
		return result = r;
	uint8_t speed;
	r = dwc2_root_port_reset(&speed);
	if (r < 0) {
		kprintf("usb: nothing on the root port\n");
		return result = r;
	}
	if (!usb_enumerate(NULL, 0, speed))
		return result = -EIO;
	return result = 0;
}
