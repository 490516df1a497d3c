/*
 * Host tests for the VideoCore mailbox driver (runtime/drivers/bcm_mailbox.c) against a model
 * of the two mailbox FIFOs (firmware wiki "Mailboxes"; BCM2835 ARM Peripherals): mailbox 0
 * carries the VideoCore's answers to the ARM (read 0x00, status 0x18), mailbox 1 the ARM's
 * requests to the VideoCore (write 0x20, status 0x38). Each FIFO holds 8 words and has its own
 * status; a write into a full FIFO is lost. The model's firmware answers property tags.
 *
 * A driver that waits on the wrong status register hangs in the model: every poll loop is
 * bounded here, and a stuck driver is taken back to the test with longjmp.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "drivers.h"
#include "rpi.h"
#include "tap.h"

#define BASE	     0x3f00b880ul
#define FIFO	     8
#define FULL	     (1u << 31)
#define EMPTY	     (1u << 30)
#define CH_PROPERTY  8
#define BUS_ALIAS    0xc0000000u
#define STUCK_POLLS  100000 /* a real wait here is a few polls: this many is a hang */
#define ARM_MEM_SIZE 0x3b400000u

static struct {
	uint32_t to_arm[FIFO]; /* mailbox 0 */
	unsigned n_to_arm;
	uint32_t held;	     /* an answer waiting for room in mailbox 0, or 0 */
	unsigned busy_polls; /* mailbox 1 reads full for this many more status reads */
	unsigned lost;	     /* writes into a full mailbox 1 */
	unsigned requests;   /* property requests the firmware answered */
	unsigned polls;	     /* status reads since the last useful access */
	const void *cleaned; /* the last buffer the driver cleaned to RAM */
	size_t cleaned_len;
	uint32_t tag_answer; /* the response code the firmware gives each tag */
	uint32_t power_device, power_request, power_state;
} mb;
static jmp_buf stuck;

static void model_reset(void)
{
	memset(&mb, 0, sizeof(mb));
	mb.tag_answer = 0x80000000u;
	mb.power_state = 1;
}

/* The firmware's side of a property request: answer each tag in the buffer in place. */
static void firmware_answer(uint32_t *buf)
{
	for (uint32_t off = 2; off + 3 <= buf[0] / 4 && buf[off] != 0;
	     off += 3 + buf[off + 1] / 4) {
		uint32_t *v = &buf[off + 3];
		switch (buf[off]) {
		case 0x00010005: /* ARM memory: base, size */
			v[0] = 0, v[1] = ARM_MEM_SIZE;
			break;
		case 0x00028001: /* set power state: device id, state */
			mb.power_device = v[0], mb.power_request = v[1];
			v[1] = mb.power_state;
			break;
		}
		buf[off + 2] = mb.tag_answer | 8;
	}
	buf[1] = 0x80000000u;
	mb.requests++;
}

static void poll(void)
{
	if (++mb.polls > STUCK_POLLS)
		longjmp(stuck, 1);
}

uint32_t shim_mmio_read32(uintptr_t addr)
{
	uint32_t r;
	switch (addr - BASE) {
	case 0x00: /* mailbox 0 read: the oldest answer */
		mb.polls = 0;
		if (!mb.n_to_arm)
			return 0xffffffffu;
		r = mb.to_arm[0];
		memmove(mb.to_arm, mb.to_arm + 1, --mb.n_to_arm * sizeof(uint32_t));
		if (mb.held) /* the VideoCore posts what it held back */
			mb.to_arm[mb.n_to_arm++] = mb.held, mb.held = 0;
		return r;
	case 0x18: /* mailbox 0 status */
		poll();
		return (mb.n_to_arm == FIFO ? FULL : 0) | (mb.n_to_arm == 0 ? EMPTY : 0);
	case 0x38: /* mailbox 1 status: the firmware takes requests at once unless busy */
		poll();
		if (mb.busy_polls) {
			mb.busy_polls--;
			return FULL;
		}
		return EMPTY;
	}
	fprintf(stderr, "read of mailbox offset %#lx\n", (unsigned long)(addr - BASE));
	longjmp(stuck, 2);
}

void shim_mmio_write32(uintptr_t addr, uint32_t v)
{
	if (addr - BASE != 0x20) {
		fprintf(stderr, "write of mailbox offset %#lx\n", (unsigned long)(addr - BASE));
		longjmp(stuck, 2);
	}
	mb.polls = 0;
	if (mb.busy_polls) { /* the FIFO is full: the hardware drops the word */
		mb.lost++;
		return;
	}
	/* The VideoCore reads the buffer the driver cleaned, at its bus address. */
	uint32_t want = ((uint32_t)(uintptr_t)mb.cleaned | BUS_ALIAS) & ~0xfu;
	if ((v & 0xf) != CH_PROPERTY || (v & ~0xfu) != want || mb.cleaned_len < 8 * 4)
		return;
	firmware_answer((uint32_t *)mb.cleaned);
	if (mb.n_to_arm < FIFO)
		mb.to_arm[mb.n_to_arm++] = v;
	else
		mb.held = v;
}

void shim_dcache(const void *p, size_t n)
{
	mb.cleaned = p, mb.cleaned_len = n;
}

/* The console: usb_power.c's lines. */
static char console[512];
void kprintf(const char *fmt, ...)
{
	va_list ap;
	size_t n = strlen(console);
	va_start(ap, fmt);
	vsnprintf(console + n, sizeof(console) - n, fmt, ap);
	va_end(ap);
}

/* Runs one driver call; false when the driver hung or touched a register it should not. */
#define RUN(expr)                                                                                  \
	({                                                                                         \
		bool ok_ = false;                                                                  \
		if (setjmp(stuck) == 0) {                                                          \
			expr;                                                                      \
			ok_ = true;                                                                \
		}                                                                                  \
		ok_;                                                                               \
	})

int main(void)
{
	volatile uint64_t size = 0;

	bcm_mailbox_init(BASE);

	model_reset();
	CHECK(RUN(size = bcm_mailbox_arm_memory()) && size == ARM_MEM_SIZE,
	      "a property request is answered: ARM memory 0x%llx", (unsigned long long)size);

	/* Mailbox 0 full of answers on another channel (a framebuffer client's, say): mailbox 1
	 * has room, so the request goes out, and the stale answers are read and dropped. A driver
	 * that waits for mailbox 0 to have room before writing waits forever. */
	model_reset();
	for (int i = 0; i < FIFO; i++)
		mb.to_arm[mb.n_to_arm++] = 0x1000u | 1;
	size = 0;
	CHECK(RUN(size = bcm_mailbox_arm_memory()) && size == ARM_MEM_SIZE,
	      "mailbox 0 full of other answers: the request still goes out (mailbox 1 status)");
	CHECK(mb.n_to_arm == 0, "stale answers on other channels are dropped");

	/* The firmware is slow to take requests: mailbox 1 reads full for a while. The driver
	 * must wait; a write now is lost, and its answer never comes. */
	model_reset();
	mb.busy_polls = 50;
	size = 0;
	CHECK(RUN(size = bcm_mailbox_arm_memory()) && size == ARM_MEM_SIZE,
	      "mailbox 1 full: the driver waits for room, then is answered");
	CHECK(mb.lost == 0, "no write into a full mailbox 1 (%u lost)", mb.lost);

	/* No firmware behind the mailbox (the tag is not answered): an error, not a value. */
	model_reset();
	mb.tag_answer = 0;
	size = 1;
	CHECK(RUN(size = bcm_mailbox_arm_memory()) && size == 0, "an unanswered tag reads as 0");

	/* USB power (platform/rpi/usb_power.c): the request Linux's raspberrypi-power and U-Boot
	 * make, and what the console says for each answer the firmware documents. */
	uint32_t state = 0;
	volatile int r = -2;
	model_reset();
	CHECK(RUN(r = bcm_mailbox_set_power(BCM_POWER_USB_HCD, BCM_POWER_ON | BCM_POWER_WAIT,
					    &state)) &&
		  r == 0 && state == 1,
	      "set power state answered: on");
	CHECK(mb.power_device == 3 && mb.power_request == 3,
	      "request: device 3 (USB HCD), state 3 (on, wait): got %u, %u", mb.power_device,
	      mb.power_request);

	const struct {
		uint32_t answer, tag_answer;
		int ret;
		const char *line;
	} power[] = {
	    {1, 0x80000000u, 0, "usb: power: on (firmware)\n"},
	    {3, 0x80000000u, -1,
	     "usb: power: the firmware knows no USB host (state 0x3); starting "
	     "USB anyway\n"},
	    {0, 0x80000000u, -1,
	     "usb: power: the firmware left the USB host off (state 0x0); "
	     "starting USB anyway\n"},
	    {1, 0, -1,
	     "usb: power: the firmware did not answer the power-on request; starting "
	     "USB anyway\n"},
	};
	for (size_t i = 0; i < sizeof(power) / sizeof(power[0]); i++) {
		model_reset();
		mb.power_state = power[i].answer, mb.tag_answer = power[i].tag_answer;
		console[0] = 0;
		r = -2;
		CHECK(RUN(r = rpi_usb_power_on()) && r == power[i].ret &&
			  strcmp(console, power[i].line) == 0,
		      "answer state %u%s: %d, console \"%.*s\"", power[i].answer,
		      power[i].tag_answer ? "" : " (tag not answered)", r,
		      (int)strcspn(console, "\n"), console);
		CHECK(mb.power_device == 3 && mb.power_request == 3,
		      "asked for device 3, on | wait");
	}

	return TAP_DONE();
}
