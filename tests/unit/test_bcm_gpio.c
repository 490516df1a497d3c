/*
 * Host tests for uk/gpio.h on the Pi's GPIO block: runtime/kernel/gpio.c (linked) over
 * runtime/drivers/bcm_gpio.c (#included, so its state can be inspected), against a model of
 * the block (BCM2835 ARM Peripherals chapter 6): GPFSEL picks input/output/alt per pin; GPSET
 * and GPCLR change only the bits written as 1; GPLEV reads the output latch for output pins and
 * the outside level for the rest; a change of level sets GPEDS when GPREN/GPFEN asks for that
 * edge, and a held level sets it again whenever GPHEN/GPLEN asks and it is cleared (write 1);
 * GPPUD is latched into the pins clocked by GPPUDCLK (the BCM2835), the BCM2711 takes 2 bits
 * per pin in GPIO_PUP_PDN_CNTRL_REG0-3. Every write is logged with the generic timer's tick, so
 * the BCM2835 pull sequence's order and waits can be checked. QEMU's raspi3b models neither
 * event detection nor pulls: this is where those paths run.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"

#define GPIO_BASE 0x3f200000ul
#define NPINS	  54

static struct {
	uint32_t reg[0x100 / 4];
	uint64_t out, ext; /* output latch, outside level (bit per pin) */
	uint64_t events;   /* GPEDS */
	int pull[NPINS];   /* what GPPUDCLK latched (BCM2835 codes), -1: never */
} m;
static struct {
	unsigned off;
	uint32_t v;
	uint64_t tick;
} wlog[4096];
static unsigned nlog;
static uint64_t now;

uint64_t timer_ticks(void)
{
	return ++now;
}
uint64_t ns_to_ticks(uint64_t ns)
{
	return ns / 100; /* 10 MHz */
}

static uint32_t word(uint64_t v, unsigned bank)
{
	return (uint32_t)(v >> (32 * bank));
}
static unsigned fsel(unsigned pin)
{
	return (m.reg[pin / 10] >> (3 * (pin % 10))) & 7;
}
static uint64_t outputs(void)
{
	uint64_t o = 0;
	for (unsigned p = 0; p < NPINS; p++)
		if (fsel(p) == 1)
			o |= 1ull << p;
	return o;
}
static uint64_t level(void)
{
	uint64_t o = outputs();
	return (m.out & o) | (m.ext & ~o);
}
static uint64_t en(unsigned off)
{
	return m.reg[off / 4] | ((uint64_t)m.reg[off / 4 + 1] << 32);
}
/* Held levels raise their events again (6.1, GPHEN/GPLEN). */
static void levels(void)
{
	m.events |= (en(0x64) & level()) | (en(0x70) & ~level());
	m.events &= (1ull << NPINS) - 1;
}

uint32_t shim_mmio_read32(uintptr_t addr)
{
	unsigned off = (unsigned)(addr - GPIO_BASE);
	switch (off) {
	case 0x34:
	case 0x38:
		return word(level(), (off - 0x34) / 4);
	case 0x40:
	case 0x44:
		return word(m.events, (off - 0x40) / 4);
	}
	return m.reg[off / 4];
}

void shim_mmio_write32(uintptr_t addr, uint32_t v)
{
	unsigned off = (unsigned)(addr - GPIO_BASE);
	if (nlog < sizeof wlog / sizeof wlog[0])
		wlog[nlog++] = (typeof(wlog[0])){off, v, now};
	uint64_t bits;
	switch (off) {
	case 0x1c:
	case 0x20:
		bits = (uint64_t)v << (32 * ((off - 0x1c) / 4));
		m.out |= bits;
		return;
	case 0x28:
	case 0x2c:
		bits = (uint64_t)v << (32 * ((off - 0x28) / 4));
		m.out &= ~bits;
		return;
	case 0x40:
	case 0x44:
		bits = (uint64_t)v << (32 * ((off - 0x40) / 4));
		m.events &= ~bits;
		levels();
		return;
	case 0x98:
	case 0x9c:
		for (unsigned b = 0; b < 32; b++)
			if (v & (1u << b) && 32 * ((off - 0x98) / 4) + b < NPINS)
				m.pull[32 * ((off - 0x98) / 4) + b] = (int)m.reg[0x94 / 4];
		break;
	}
	m.reg[off / 4] = v;
	levels();
}

/* The world outside drives pin to lvl: edges per GPREN/GPFEN. */
static void drive(unsigned pin, bool lvl)
{
	uint64_t before = level();
	if (lvl)
		m.ext |= 1ull << pin;
	else
		m.ext &= ~(1ull << pin);
	uint64_t after = level(), changed = before ^ after;
	m.events |= (changed & after & en(0x4c)) | (changed & ~after & en(0x58));
	levels();
}

/* kernel/gpio.c's links to the rest of the runtime: the interrupt controller and the board. */
static struct {
	void (*fn)(void *);
	void *arg;
} irqs[256];
void irq_register(unsigned irq, void (*fn)(void *arg), void *arg)
{
	irqs[irq].fn = fn;
	irqs[irq].arg = arg;
}

#include "bcm_gpio.c"

const struct gpio_chip *gpio_probe(void)
{
	return bcm_gpio_probe(GPIO_BASE, false, 49, 50);
}

/* The interrupt controller: bank's line is asserted while any of its events is set. */
static void fire(unsigned bank)
{
	unsigned irq = 49 + bank;
	if (word(m.events, bank) && irqs[irq].fn)
		irqs[irq].fn(irqs[irq].arg);
}

static struct {
	unsigned calls, pin;
	void *arg;
} cb;
static void callback(unsigned pin, void *arg)
{
	cb.calls++;
	cb.pin = pin;
	cb.arg = arg;
}

static unsigned since; /* logged() looks at writes from here on */
static bool logged(unsigned off, uint32_t v)
{
	for (unsigned i = since; i < nlog; i++)
		if (wlog[i].off == off && wlog[i].v == v)
			return true;
	return false;
}

int main(void)
{
	memset(m.pull, 0xff, sizeof m.pull);
	m.reg[0x4c / 4] = 0x10; /* left on by the firmware */
	m.events = 1u << 4;
	CHECK(uk_gpio_count() == 54, "54 pins (%u)", uk_gpio_count());
	CHECK(irqs[49].fn && irqs[50].fn && irqs[49].arg != irqs[50].arg,
	      "bank 0's interrupt is 49, bank 1's 50");
	CHECK(en(0x4c) == 0 && en(0x58) == 0 && en(0x64) == 0 && en(0x70) == 0 && en(0x7c) == 0 &&
		  en(0x88) == 0 && m.events == 0,
	      "the probe turns every detection off and clears pending events");

	/* Bad arguments: refused before any register write. */
	unsigned before = nlog;
	int r[] = {
	    uk_gpio_set_function(54, UK_GPIO_OUTPUT),
	    uk_gpio_set_function(17, (enum uk_gpio_function)8),
	    uk_gpio_write(54, 1),
	    uk_gpio_read(54),
	    uk_gpio_set_pull(54, UK_GPIO_PULL_UP),
	    uk_gpio_set_pull(17, (enum uk_gpio_pull)3),
	    uk_gpio_irq_attach(54, UK_GPIO_EDGE_RISING, callback, NULL),
	    uk_gpio_irq_attach(17, (enum uk_gpio_irq_mode)5, callback, NULL),
	    uk_gpio_irq_attach(17, UK_GPIO_EDGE_RISING, NULL, NULL),
	    uk_gpio_irq_detach(17),
	    uk_gpio_irq_rearm(17),
	};
	bool all = true;
	for (unsigned i = 0; i < sizeof r / sizeof r[0]; i++)
		all = all && r[i] == -EINVAL;
	CHECK(all, "bad pins, functions, pulls, modes and callbacks: -EINVAL");
	CHECK(nlog == before, "and no register was written for them (%u writes)", nlog - before);

	/* Function select: 3 bits per pin, 10 pins per register, the rest kept. */
	m.reg[1] = 0x3fffffff & ~(7u << 21);
	CHECK(uk_gpio_set_function(17, UK_GPIO_OUTPUT) == 0 &&
		  m.reg[1] == (0x3fffffffu & ~(6u << 21)),
	      "output on 17: GPFSEL1 bits 21-23 = 001, other pins kept (0x%08x)", m.reg[1]);
	uk_gpio_set_function(0, UK_GPIO_ALT0);
	uk_gpio_set_function(1, UK_GPIO_ALT4);
	uk_gpio_set_function(2, UK_GPIO_ALT5);
	uk_gpio_set_function(53, UK_GPIO_ALT3);
	CHECK(fsel(0) == 4 && fsel(1) == 3 && fsel(2) == 2 && fsel(53) == 7,
	      "alt0 is 100, alt4 011, alt5 010, alt3 on pin 53 (GPFSEL5) 111");
	uk_gpio_set_function(1, UK_GPIO_ALT1);
	uk_gpio_set_function(2, UK_GPIO_ALT2);
	CHECK(fsel(1) == 5 && fsel(2) == 6 && uk_gpio_set_function(2, UK_GPIO_INPUT) == 0 &&
		  fsel(2) == 0,
	      "alt1 101, alt2 110, input 000");

	/* Output: GPSET/GPCLR with one bit, never read-modify-write; GPLEV reads the level. */
	before = nlog;
	CHECK(uk_gpio_write(17, 1) == 0 && nlog == before + 1 && wlog[before].off == 0x1c &&
		  wlog[before].v == 1u << 17 && uk_gpio_read(17) == 1,
	      "write(17, 1): one write of bit 17 to GPSET0; reads 1");
	CHECK(uk_gpio_write(17, 0) == 0 && wlog[nlog - 1].off == 0x28 &&
		  wlog[nlog - 1].v == 1u << 17 && uk_gpio_read(17) == 0,
	      "write(17, 0): bit 17 to GPCLR0; reads 0");
	uk_gpio_set_function(40, UK_GPIO_OUTPUT);
	CHECK(uk_gpio_write(40, 7) == 0 && wlog[nlog - 1].off == 0x20 &&
		  wlog[nlog - 1].v == 1u << 8 && uk_gpio_read(40) == 1,
	      "pin 40 is bank 1: bit 8 of GPSET1");
	drive(27, true);
	CHECK(uk_gpio_read(27) == 1, "an input reads the level outside");
	drive(27, false);

	/* BCM2835 pulls (6.1, GPPUDCLKn): GPPUD, 150 cycles, clock, 150 cycles, both cleared. */
	before = nlog;
	CHECK(uk_gpio_set_pull(27, UK_GPIO_PULL_UP) == 0 && m.pull[27] == 2,
	      "pull-up on 27 latches GPPUD = 2 into pin 27");
	CHECK(nlog == before + 4 && wlog[before].off == 0x94 && wlog[before].v == 2 &&
		  wlog[before + 1].off == 0x98 && wlog[before + 1].v == 1u << 27 &&
		  wlog[before + 2].off == 0x94 && wlog[before + 2].v == 0 &&
		  wlog[before + 3].off == 0x98 && wlog[before + 3].v == 0,
	      "in order: GPPUD = 2, GPPUDCLK0 = bit 27, GPPUD = 0, GPPUDCLK0 = 0");
	CHECK(wlog[before + 1].tick - wlog[before].tick >= 10 &&
		  wlog[before + 2].tick - wlog[before + 1].tick >= 10,
	      "at least 1 us (150 core cycles) after setting GPPUD and after clocking (%llu, %llu "
	      "ticks of 100 ns)",
	      (unsigned long long)(wlog[before + 1].tick - wlog[before].tick),
	      (unsigned long long)(wlog[before + 2].tick - wlog[before + 1].tick));
	CHECK(
	    uk_gpio_set_pull(40, UK_GPIO_PULL_DOWN) == 0 && m.pull[40] == 1 &&
		logged(0x9c, 1u << 8) && m.reg[0x9c / 4] == 0 && m.pull[27] == 2,
	    "pull-down on 40: GPPUD = 1 through GPPUDCLK1 bit 8, cleared after; 27 keeps its pull");
	CHECK(uk_gpio_set_pull(27, UK_GPIO_PULL_NONE) == 0 && m.pull[27] == 0 &&
		  m.reg[0x94 / 4] == 0,
	      "no pull: GPPUD = 0 clocked in");

	/* Edge interrupts: event set -> callback with the pin -> event cleared by writing 1. */
	int token;
	CHECK(uk_gpio_irq_attach(27, UK_GPIO_EDGE_FALLING, callback, &token) == 0 &&
		  (en(0x58) >> 27 & 1) && !(en(0x4c) >> 27 & 1) && !(en(0x64) >> 27 & 1),
	      "falling edge on 27: GPFEN0 bit 27 only");
	CHECK(uk_gpio_irq_attach(27, UK_GPIO_EDGE_RISING, callback, NULL) == -EBUSY,
	      "a second attach on 27: -EBUSY");
	drive(27, true);
	fire(0);
	CHECK(cb.calls == 0, "a rising edge does not call a falling-edge callback");
	drive(27, false);
	before = nlog;
	fire(0);
	CHECK(cb.calls == 1 && cb.pin == 27 && cb.arg == &token,
	      "the falling edge calls it for pin 27");
	CHECK(logged(0x40, 1u << 27) && m.events == 0,
	      "and its event is cleared by writing 1 to GPEDS0 bit 27");
	fire(0);
	CHECK(cb.calls == 1, "once");
	CHECK(uk_gpio_irq_detach(27) == 0 && !(en(0x58) >> 27 & 1) &&
		  uk_gpio_irq_attach(27, UK_GPIO_EDGE_BOTH, callback, NULL) == 0 &&
		  (en(0x58) >> 27 & 1) && (en(0x4c) >> 27 & 1),
	      "detach turns GPFEN off; both edges: GPREN and GPFEN");
	drive(27, true);
	fire(0);
	drive(27, false);
	fire(0);
	CHECK(cb.calls == 3, "both edges call it");
	uk_gpio_irq_detach(27);

	uk_gpio_set_function(41, UK_GPIO_INPUT);
	uk_gpio_irq_attach(41, UK_GPIO_EDGE_RISING, callback, NULL);
	drive(41, true);
	fire(1);
	CHECK(cb.calls == 4 && cb.pin == 41 && m.events == 0 && logged(0x44, 1u << 9),
	      "pin 41 is bank 1: interrupt 50, GPEDS1 bit 9");
	uk_gpio_irq_detach(41);

	/* Level interrupts fire once, then wait to be rearmed. */
	cb.calls = 0;
	CHECK(uk_gpio_irq_attach(5, UK_GPIO_LEVEL_HIGH, callback, NULL) == 0 && (en(0x64) >> 5 & 1),
	      "high level on 5: GPHEN0 bit 5");
	drive(5, true);
	fire(0);
	fire(0);
	CHECK(cb.calls == 1 && !(en(0x64) >> 5 & 1) && m.events == 0,
	      "a held high level calls once: detection off, event cleared");
	CHECK(uk_gpio_irq_rearm(5) == 0 && (en(0x64) >> 5 & 1),
	      "rearm turns GPHEN0 bit 5 on again");
	fire(0);
	CHECK(cb.calls == 2, "and the level still held calls again");
	drive(5, false);
	uk_gpio_irq_rearm(5);
	fire(0);
	CHECK(cb.calls == 2, "not once it is gone");
	uk_gpio_irq_detach(5);
	uk_gpio_irq_attach(6, UK_GPIO_LEVEL_LOW, callback, NULL);
	fire(0);
	CHECK(cb.calls == 3 && cb.pin == 6 && !(en(0x70) >> 6 & 1), "low level: GPLEN0");
	uk_gpio_irq_detach(6);

	m.events = 1u << 12; /* a pin nobody attached */
	fire(0);
	CHECK(m.events == 0 && cb.calls == 3,
	      "an event on a pin nobody attached is cleared, no call");

	/* BCM2711 pulls: GPIO_PUP_PDN_CNTRL_REG0-3, 16 pins each, 00 none, 01 up, 10 down. */
	bcm_gpio_probe(GPIO_BASE, true, 96 + 49, 96 + 50);
	m.reg[0xe8 / 4] = 0xffffffff;
	since = nlog;
	CHECK(uk_gpio_set_pull(27, UK_GPIO_PULL_UP) == 0 &&
		  m.reg[0xe8 / 4] == (0xffffffffu & ~(2u << 22)) && !logged(0x94, 2),
	      "BCM2711 pull-up on 27: REG1 bits 22-23 = 01, others kept, no GPPUD (0x%08x)",
	      m.reg[0xe8 / 4]);
	CHECK(uk_gpio_set_pull(27, UK_GPIO_PULL_DOWN) == 0 &&
		  m.reg[0xe8 / 4] == (0xffffffffu & ~(1u << 22)),
	      "pull-down: 10");
	CHECK(uk_gpio_set_pull(27, UK_GPIO_PULL_NONE) == 0 &&
		  m.reg[0xe8 / 4] == (0xffffffffu & ~(3u << 22)),
	      "none: 00");
	uk_gpio_set_pull(0, UK_GPIO_PULL_UP);
	uk_gpio_set_pull(53, UK_GPIO_PULL_DOWN);
	CHECK(m.reg[0xe4 / 4] == 1 && m.reg[0xf0 / 4] == 2u << 10,
	      "pin 0: REG0 bits 0-1; pin 53: REG3 bits 10-11");
	return TAP_DONE();
}
