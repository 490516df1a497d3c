/*
 * Host tests for uk/gpio.h on QEMU virt's PL061: runtime/kernel/gpio.c (linked) over
 * runtime/drivers/pl061.c (#included) against a model of the PL061 (TRM, ARM DDI 0190, 3.3):
 * GPIODATA reads and writes only the lines that address bits [9:2] select, and writes only
 * output lines; an input line's change latches GPIORIS for an edge (GPIOIS 0) when GPIOIBE or
 * GPIOIEV says so, a level (GPIOIS 1) latches while held; GPIOMIS = GPIORIS & GPIOIE; GPIOIC
 * clears edges. The edge path also runs in QEMU (tests/gpio.bats: the power button).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"

#define BASE 0x09030000ul

static struct {
	uint32_t out, ext, dir, is, ibe, iev, ie, ris;
} m;
static unsigned nwrites, ndata_writes, last_off;
static uint32_t last_v;

static uint32_t level(void)
{
	return ((m.out & m.dir) | (m.ext & ~m.dir)) & 0xff;
}
static void levels(void)
{
	uint32_t l = level();
	m.ris |= m.is & ~m.dir & ~(l ^ m.iev) & 0xff;
}

uint32_t shim_mmio_read32(uintptr_t addr)
{
	unsigned off = (unsigned)(addr - BASE);
	if (off < 0x400)
		return level() & (off >> 2);
	switch (off) {
	case 0x400:
		return m.dir;
	case 0x404:
		return m.is;
	case 0x408:
		return m.ibe;
	case 0x40c:
		return m.iev;
	case 0x410:
		return m.ie;
	case 0x414:
		return m.ris;
	case 0x418:
		return m.ris & m.ie;
	}
	return 0;
}

void shim_mmio_write32(uintptr_t addr, uint32_t v)
{
	unsigned off = (unsigned)(addr - BASE);
	nwrites++;
	last_off = off;
	last_v = v;
	if (off < 0x400) {
		uint32_t mask = (off >> 2) & m.dir;
		m.out = (m.out & ~mask) | (v & mask);
		ndata_writes++;
		return;
	}
	switch (off) {
	case 0x400:
		m.dir = v & 0xff;
		break;
	case 0x404:
		m.is = v & 0xff;
		break;
	case 0x408:
		m.ibe = v & 0xff;
		break;
	case 0x40c:
		m.iev = v & 0xff;
		break;
	case 0x410:
		m.ie = v & 0xff;
		break;
	case 0x41c:
		m.ris &= ~v;
		break;
	}
	levels();
}

static void drive(unsigned pin, bool lvl)
{
	uint32_t before = level();
	m.ext = lvl ? m.ext | 1u << pin : m.ext & ~(1u << pin);
	uint32_t after = level(), changed = (before ^ after) & ~m.is & ~m.dir;
	m.ris |= changed & (m.ibe | ~(after ^ m.iev));
	levels();
}

static struct {
	void (*fn)(void *);
	void *arg;
	unsigned irq;
} line;
void irq_register(unsigned irq, void (*fn)(void *arg), void *arg)
{
	line.irq = irq;
	line.fn = fn;
	line.arg = arg;
}

#include "pl061.c"

const struct gpio_chip *gpio_probe(void)
{
	return pl061_probe(BASE, 39);
}

static void fire(void)
{
	if (m.ris & m.ie)
		line.fn(line.arg);
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

int main(void)
{
	m.ie = 0xff;
	m.ris = 0x08;
	CHECK(uk_gpio_count() == 8 && line.irq == 39 && line.fn, "8 lines, interrupt 39 (SPI 7)");
	CHECK(m.ie == 0 && m.ris == 0, "the probe masks every line and clears what was latched");

	unsigned before = nwrites;
	bool bad = uk_gpio_set_function(8, UK_GPIO_OUTPUT) == -EINVAL &&
		   uk_gpio_set_function(0, UK_GPIO_ALT0) == -EINVAL &&
		   uk_gpio_set_function(0, UK_GPIO_ALT5) == -EINVAL &&
		   uk_gpio_set_function(0, (enum uk_gpio_function)9) == -EINVAL &&
		   uk_gpio_write(8, 1) == -EINVAL && uk_gpio_read(8) == -EINVAL &&
		   uk_gpio_set_pull(0, (enum uk_gpio_pull)3) == -EINVAL &&
		   uk_gpio_irq_attach(8, UK_GPIO_EDGE_RISING, callback, NULL) == -EINVAL &&
		   uk_gpio_irq_attach(3, (enum uk_gpio_irq_mode)7, callback, NULL) == -EINVAL &&
		   uk_gpio_irq_detach(3) == -EINVAL;
	CHECK(bad, "pin 8, alternate functions, bad pulls and modes: -EINVAL");
	CHECK(uk_gpio_set_pull(3, UK_GPIO_PULL_UP) == -ENODEV &&
		  uk_gpio_set_pull(3, UK_GPIO_PULL_DOWN) == -ENODEV &&
		  uk_gpio_set_pull(3, UK_GPIO_PULL_NONE) == 0,
	      "pull-up and pull-down: -ENODEV (the PL061 has none); none: 0");
	CHECK(nwrites == before, "and no register was written for any of them");

	CHECK(uk_gpio_set_function(0, UK_GPIO_OUTPUT) == 0 && m.dir == 0x01,
	      "output on 0: GPIODIR bit 0");
	before = ndata_writes;
	CHECK(uk_gpio_write(0, 1) == 0 && ndata_writes == before + 1 && last_off == 0x004 &&
		  uk_gpio_read(0) == 1,
	      "write(0, 1): one GPIODATA write through address mask bit 0 (offset 0x004); reads 1");
	uk_gpio_set_function(5, UK_GPIO_OUTPUT);
	uk_gpio_write(5, 1);
	CHECK(last_off == 0x080 && uk_gpio_write(0, 0) == 0 && uk_gpio_read(0) == 0 &&
		  uk_gpio_read(5) == 1,
	      "pin 5 through offset 0x080; clearing 0 leaves 5 high");
	CHECK(uk_gpio_set_function(0, UK_GPIO_INPUT) == 0 && m.dir == 0x20,
	      "input on 0 clears its GPIODIR bit only");
	drive(3, true);
	CHECK(uk_gpio_read(3) == 1, "an input reads the level outside");
	drive(3, false);

	int token;
	CHECK(uk_gpio_irq_attach(3, UK_GPIO_EDGE_RISING, callback, &token) == 0 && !(m.is & 8) &&
		  !(m.ibe & 8) && (m.iev & 8) && (m.ie & 8),
	      "rising edge on 3: GPIOIS 0, GPIOIBE 0, GPIOIEV 1, unmasked");
	CHECK(uk_gpio_irq_attach(3, UK_GPIO_EDGE_FALLING, callback, NULL) == -EBUSY,
	      "a second attach on 3: -EBUSY");
	drive(3, true);
	fire();
	CHECK(cb.calls == 1 && cb.pin == 3 && cb.arg == &token,
	      "the rising edge calls it for pin 3");
	CHECK(m.ris == 0 && last_off == 0x41c && last_v == 8, "and clears it in GPIOIC");
	drive(3, false);
	fire();
	CHECK(cb.calls == 1, "a falling edge does not");
	CHECK(uk_gpio_irq_detach(3) == 0 && !(m.ie & 8), "detach masks it");
	uk_gpio_irq_attach(3, UK_GPIO_EDGE_FALLING, callback, NULL);
	CHECK(!(m.iev & 8) && (m.ie & 8), "falling: GPIOIEV 0");
	drive(3, true);
	fire();
	drive(3, false);
	fire();
	CHECK(cb.calls == 2, "only the falling edge calls it");
	uk_gpio_irq_detach(3);
	uk_gpio_irq_attach(3, UK_GPIO_EDGE_BOTH, callback, NULL);
	drive(3, true);
	fire();
	drive(3, false);
	fire();
	CHECK((m.ibe & 8) && cb.calls == 4, "both edges: GPIOIBE 1, both call it");
	uk_gpio_irq_detach(3);

	CHECK(uk_gpio_irq_attach(4, UK_GPIO_LEVEL_HIGH, callback, NULL) == 0 && (m.is & 0x10) &&
		  (m.iev & 0x10),
	      "high level on 4: GPIOIS 1, GPIOIEV 1");
	drive(4, true);
	fire();
	fire();
	CHECK(cb.calls == 5 && cb.pin == 4 && !(m.ie & 0x10),
	      "a held level calls once, then masked");
	CHECK(uk_gpio_irq_rearm(4) == 0 && (m.ie & 0x10), "rearm unmasks it");
	fire();
	CHECK(cb.calls == 6, "and the level still held calls again");
	uk_gpio_irq_detach(4);
	uk_gpio_irq_attach(4, UK_GPIO_LEVEL_LOW, callback, NULL);
	fire();
	CHECK(cb.calls == 6 && !(m.iev & 0x10), "low level: GPIOIEV 0; not while high");
	drive(4, false);
	fire();
	CHECK(cb.calls == 7, "called once it is low");
	return TAP_DONE();
}
