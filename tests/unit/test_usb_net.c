/*
 * usb_core.c's list of USB network devices, the way the board uses it: usb_netdev() is
 * whichever class driver registered first (CDC-ECM registers like the others), the board's
 * MAC hook, and the usb-net thread that runs the link checks at once, every second and after an
 * interrupt endpoint's usb_net_link_event(). The host controller, threads and semaphores are
 * stand-ins here; the thread's loop runs until the fourth wait, which jumps back to the test.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <uk/thread.h>
#include <uk/time.h>

#include "drivers.h"
#include "netdev.h"
#include "tap.h"
#include "usb.h"

/* ---- stand-ins for what usb_core.c links against (no class driver: boards add those) ---- */
int dwc2_init(uintptr_t base, unsigned irq, uint32_t bus_offset)
{
	(void)base, (void)irq, (void)bus_offset;
	return -ENODEV;
}
int dwc2_root_port_reset(uint8_t *speed)
{
	(void)speed;
	return -ENODEV;
}
int usb_submit(struct usb_xfer *x)
{
	(void)x;
	return -EIO;
}
void usb_cancel(struct usb_xfer *x)
{
	(void)x;
}
uint64_t uk_now_ns(void)
{
	return 0;
}
void uk_thread_sleep_until(uint64_t deadline_ns)
{
	(void)deadline_ns;
}
void kprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("# ");
	vprintf(fmt, ap);
	va_end(ap);
}

static unsigned threads_created, waits;
static uint64_t last_timeout;
static void (*thread_fn)(void *);
static jmp_buf out;
struct uk_thread {
	int dummy;
};
static struct uk_thread the_thread;

struct uk_thread *uk_thread_create(const char *name, void (*fn)(void *arg), void *arg,
				   size_t stack_size)
{
	(void)arg, (void)stack_size;
	if (strcmp(name, "usb-net") == 0) {
		threads_created++;
		thread_fn = fn;
	}
	return &the_thread;
}
int uk_thread_detach(struct uk_thread *t)
{
	(void)t;
	return 0;
}
void uk_sem_init(struct uk_sem *s, unsigned long count)
{
	s->count = count;
}
void uk_sem_post(struct uk_sem *s)
{
	s->count++;
}
int uk_sem_wait(struct uk_sem *s, uint64_t timeout_ns)
{
	if (++waits > 3)
		longjmp(out, 1);
	last_timeout = timeout_ns;
	if (s->count) {
		s->count--;
		return 0;
	}
	return -ETIMEDOUT;
}

/* ---- test ---- */
static unsigned checks;
static int answers[8];
static int check(struct netdev *nd)
{
	(void)nd;
	return answers[checks++ % 8];
}

static int board_mac(uint8_t mac[6])
{
	static const uint8_t m[6] = {0xb8, 0x27, 0xeb, 1, 2, 3};
	memcpy(mac, m, 6);
	return 0;
}

int main(void)
{
	static struct netdev a = {.name = "a"}, b = {.name = "b"};
	CHECK(usb_netdev() == NULL && usb_net_link(&a) == -1,
	      "nothing attached: no network device");
	uint8_t mac[6] = {0};
	CHECK(usb_net_board_mac(mac) == -1, "no board hook: no board address");
	usb_net_set_mac_source(board_mac);
	CHECK(usb_net_board_mac(mac) == 0 && mac[0] == 0xb8 && mac[5] == 3,
	      "the board's hook answers");

	usb_net_register(&a, check);
	CHECK(usb_netdev() == &a, "a registered device comes first");
	CHECK(threads_created == 1 && thread_fn, "one usb-net thread for the link checks");
	CHECK(usb_net_link(&a) == -1, "link unknown before the first check");
	usb_net_register(&b, NULL);
	CHECK(usb_netdev() == &a && usb_net_link(&b) == 1 && threads_created == 1,
	      "a second device: the first stays the board's; no check means link up");

	answers[0] = 1;	   /* first wakeup: at once (the semaphore starts at one) */
	answers[1] = 0;	   /* second: the event posted below */
	answers[2] = -EIO; /* third: the one-second timeout; the check fails */
	if (setjmp(out) == 0) {
		usb_net_link_event(); /* before the thread ran: one more immediate check */
		thread_fn(NULL);
	}
	CHECK(checks == 3, "three checks in three wakeups (%u)", checks);
	CHECK(last_timeout == 1000000000ull, "polled every second (%llu ns)",
	      (unsigned long long)last_timeout);
	CHECK(usb_net_link(&a) == 0, "the last good answer stands when a check fails");
	return TAP_DONE();
}
