/* The fake USB bus of usb_model.h. */
#include "usb_model.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sanitizer/asan_interface.h>
#include <uk/time.h>

#include "drivers.h"
#include "fake_timer.h"
#include "sysreg.h"

#define MAX_PENDING 16
#define MAX_NET	    8

unsigned model_errors, model_link_events, model_config_value;
char model_log[16384];

static const struct chip_ops *chip;
static struct usb_xfer *pending[MAX_PENDING];
static uint64_t now_ns;
static bool masked, in_irq;
static struct netdev *nets[MAX_NET];
static int (*checks[MAX_NET])(struct netdev *nd);
static unsigned nnets;
static uint8_t board_mac[6];
static bool have_board_mac;
/* Everything a driver ever got stays reachable, for LeakSanitizer: drivers never detach. */
static struct netdev *all_nets[256];
static struct usb_device *all_devices[256];
static unsigned nall_nets, nall_devices;

static void misuse(const char *what)
{
	model_errors++;
	printf("# usb_model: %s\n", what);
}

void model_reset(const struct chip_ops *ops)
{
	chip = ops;
	memset(pending, 0, sizeof(pending));
	fake_timers_reset();
	nnets = 0;
	masked = in_irq = false;
	model_errors = model_link_events = model_config_value = 0;
	model_log[0] = '\0';
	have_board_mac = false;
}

struct usb_device *model_device(uint16_t vid, uint16_t pid, uint8_t speed)
{
	struct usb_device *d = calloc(1, sizeof(*d));
	if (!d)
		abort();
	if (nall_devices < 256)
		all_devices[nall_devices++] = d;
	d->addr = 2;
	d->speed = speed;
	d->port = 1;
	d->depth = 1;
	d->desc.bLength = 18;
	d->desc.bDescriptorType = USB_DT_DEVICE;
	d->desc.bcdUSB = 0x200;
	d->desc.bDeviceClass = 0xff;
	d->desc.bMaxPacketSize0 = 64;
	d->desc.idVendor = vid;
	d->desc.idProduct = pid;
	d->desc.bNumConfigurations = 1;
	return d;
}

size_t model_config(uint8_t *b, uint16_t mps, uint8_t interval)
{
	static const uint8_t head[] = {
	    9, USB_DT_CONFIG,	 39, 0, 1, 1,	 0, 0xa0, 1, /* total 39, one interface, config 1 */
	    9, USB_DT_INTERFACE, 0,  0, 3, 0xff, 0, 0xff, 0,
	};
	memcpy(b, head, sizeof(head));
	uint8_t *p = b + sizeof(head);
	const uint8_t eps[3][7] = {
	    {7, USB_DT_ENDPOINT, 0x81, USB_EP_BULK, (uint8_t)mps, (uint8_t)(mps >> 8), 0},
	    {7, USB_DT_ENDPOINT, 0x02, USB_EP_BULK, (uint8_t)mps, (uint8_t)(mps >> 8), 0},
	    {7, USB_DT_ENDPOINT, 0x83, USB_EP_INTR, 16, 0, interval},
	};
	memcpy(p, eps, sizeof(eps));
	return sizeof(head) + sizeof(eps);
}

/* ---- what usb_core.c and dwc2.c provide ---- */

const uint8_t *usb_desc_next(const uint8_t *p, const uint8_t *end)
{
	if (p + 2 > end || p[0] < 2 || p + p[0] >= end)
		return NULL;
	p += p[0];
	return p + 2 <= end && p[0] >= 2 && p + p[0] <= end ? p : NULL;
}

int usb_control(struct usb_device *d, uint8_t type, uint8_t req, uint16_t value, uint16_t index,
		void *data, uint16_t len)
{
	(void)d;
	if (in_irq || masked)
		misuse("control transfer with interrupts masked or in interrupt context");
	if ((type & 0x60) == 0 && req == USB_SET_CONFIGURATION) {
		model_config_value = value;
		return 0;
	}
	return chip->control(type, req, value, index, data, len);
}

int usb_string(struct usb_device *d, uint8_t idx, char *out, size_t max)
{
	(void)d, (void)idx, (void)out, (void)max;
	return -ENOENT;
}

void usb_sleep_ms(unsigned ms)
{
	if (in_irq || masked)
		misuse("sleep with interrupts masked or in interrupt context");
	model_advance_ms(ms);
}

unsigned model_refuse;

int usb_submit(struct usb_xfer *x)
{
	if (model_refuse) { /* every channel busy */
		model_refuse--;
		return -EBUSY;
	}
	int free_slot = -1;
	for (int i = 0; i < MAX_PENDING; i++) {
		if (pending[i] == x) {
			misuse("transfer submitted twice");
			return -EBUSY;
		}
		if (pending[i] && pending[i]->ep == x->ep) {
			misuse("two transfers on one endpoint");
			return -EBUSY;
		}
		if (!pending[i] && free_slot < 0)
			free_slot = i;
	}
	if (free_slot < 0)
		return -EBUSY;
	if (((uintptr_t)x->buf & 63) != 0)
		misuse("transfer buffer not cache-line aligned");
	if (x->ep & USB_DIR_IN) /* nothing is in it until the device answers */
		ASAN_POISON_MEMORY_REGION(x->buf, x->len);
	pending[free_slot] = x;
	return 0;
}

void usb_cancel(struct usb_xfer *x)
{
	for (int i = 0; i < MAX_PENDING; i++)
		if (pending[i] == x)
			pending[i] = NULL;
}

/* ---- interrupt context ---- */

uint64_t irq_save(void)
{
	uint64_t was = masked;
	masked = true;
	return was;
}

void irq_restore(uint64_t flags)
{
	masked = flags != 0;
}

/* Runs fn as an interrupt handler would: IRQs masked, then back to where we were. */
static void as_irq(void (*fn)(void *), void *arg)
{
	if (masked)
		misuse("a completion is due while the driver has interrupts masked");
	bool was_masked = masked, was_irq = in_irq;
	masked = in_irq = true;
	fn(arg);
	masked = was_masked;
	in_irq = was_irq;
}

static int take(uint8_t ep, struct usb_xfer **out)
{
	for (int i = 0; i < MAX_PENDING; i++)
		if (pending[i] && pending[i]->ep == ep) {
			*out = pending[i];
			pending[i] = NULL;
			return 0;
		}
	return -1;
}

struct usb_xfer *model_pending(uint8_t ep)
{
	for (int i = 0; i < MAX_PENDING; i++)
		if (pending[i] && pending[i]->ep == ep)
			return pending[i];
	return NULL;
}

static void call_done(void *arg)
{
	struct usb_xfer *x = arg;
	x->done(x);
}

int model_in(uint8_t ep, const void *data, uint32_t len)
{
	struct usb_xfer *x = model_pending(ep);
	if (!x || len > x->len)
		return -1;
	take(ep, &x);
	ASAN_UNPOISON_MEMORY_REGION(x->buf, len);
	memcpy(x->buf, data, len);
	x->actual = len;
	x->status = 0;
	as_irq(call_done, x);
	return 0;
}

int model_fail(uint8_t ep, int status)
{
	struct usb_xfer *x;
	if (take(ep, &x) != 0)
		return -1;
	if (x->ep & USB_DIR_IN)
		ASAN_UNPOISON_MEMORY_REGION(x->buf, x->len);
	x->actual = 0;
	x->status = status;
	as_irq(call_done, x);
	return 0;
}

unsigned model_run_out(void)
{
	unsigned n = 0;
	for (bool again = true; again;) {
		again = false;
		for (int i = 0; i < MAX_PENDING; i++) {
			struct usb_xfer *x = pending[i];
			if (!x || (x->ep & USB_DIR_IN))
				continue;
			pending[i] = NULL;
			chip->bulk_out(x->ep, x->buf, x->len);
			x->actual = x->len;
			x->status = 0;
			as_irq(call_done, x);
			n++;
			again = true;
		}
	}
	return n;
}

/* ---- time ---- */

uint64_t uk_now_ns(void)
{
	return now_ns;
}

uint64_t model_now_ms(void)
{
	return now_ns / 1000000;
}

static void fire(void *arg)
{
	struct uk_timer *t = arg;
	t->fn(t, t->arg);
}

void model_advance_ms(unsigned ms)
{
	uint64_t end = now_ns + (uint64_t)ms * 1000000;
	struct uk_timer *t;
	while ((t = fake_timer_next_due(end))) { /* the earliest due timer first */
		if (t->deadline_ns > now_ns)
			now_ns = t->deadline_ns;
		as_irq(fire, t);
	}
	now_ns = end;
}

/* ---- kernel services ---- */

void kprintf(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	printf("# %s", line);
	size_t have = strlen(model_log);
	snprintf(model_log + have, sizeof(model_log) - have, "%s", line);
}

/* ---- the usb-net list (usb_core.c) ---- */

void usb_net_register(struct netdev *nd, int (*link_check)(struct netdev *nd))
{
	if (nnets == MAX_NET)
		return;
	nets[nnets] = nd;
	checks[nnets] = link_check;
	if (nall_nets < 256)
		all_nets[nall_nets++] = nd;
	nnets++;
}

void usb_net_link_event(void)
{
	model_link_events++;
}

int usb_net_board_mac(uint8_t mac[6])
{
	if (!have_board_mac)
		return -1;
	memcpy(mac, board_mac, 6);
	return 0;
}

void model_set_board_mac(const uint8_t *mac)
{
	have_board_mac = mac != NULL;
	if (mac)
		memcpy(board_mac, mac, 6);
}

struct netdev *model_netdev(void)
{
	return nnets ? nets[nnets - 1] : NULL;
}

int model_link_check(void)
{
	if (!nnets || !checks[nnets - 1])
		return -ENODEV;
	if (masked || in_irq)
		misuse("link check outside thread context");
	return checks[nnets - 1](nets[nnets - 1]);
}
