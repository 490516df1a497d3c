/*
 * ARM PrimeCell PL061 GPIO (PL061 TRM, ARM DDI 0190, chapter 3): QEMU virt's at 0x09030000,
 * 8 lines, one interrupt. No pulls and no alternate functions (QEMU's model keeps its pulls
 * fixed at build time; GPIOAFSEL selects hardware control, which virt wires to nothing).
 */
#include <errno.h>

#include <uk/gpio.h>

#include "drivers.h"
#include "sysreg.h"

#define GPIODATA   0x000 /* address bits [9:2] mask the lines a read or write touches (3.3.1) */
#define GPIODIR	   0x400 /* 1: output */
#define GPIOIS	   0x404 /* interrupt sense: 1 level, 0 edge */
#define GPIOIBE	   0x408 /* 1: both edges (GPIOIEV ignored) */
#define GPIOIEV	   0x40c /* 1: rising edge or high level */
#define GPIOIE	   0x410 /* interrupt mask: 1 enabled */
#define GPIORIS	   0x414
#define GPIOMIS	   0x418 /* raw status & mask */
#define GPIOIC	   0x41c /* write 1 to clear an edge */
#define PL061_PINS 8

static uintptr_t pl061;

static uintptr_t data(unsigned pin)
{
	return pl061 + GPIODATA + ((1u << pin) << 2);
}

static void set_bit(unsigned reg, unsigned pin, bool on)
{
	uint32_t v = mmio_read32(pl061 + reg);
	mmio_write32(pl061 + reg, on ? v | (1u << pin) : v & ~(1u << pin));
}

static int pl061_set_function(unsigned pin, unsigned function)
{
	if (function != UK_GPIO_INPUT && function != UK_GPIO_OUTPUT)
		return -EINVAL;
	set_bit(GPIODIR, pin, function == UK_GPIO_OUTPUT);
	return 0;
}

/* Through the address mask: only this pin's bit is written, no read-modify-write. */
static void pl061_write(unsigned pin, bool high)
{
	mmio_write32(data(pin), high ? 0xff : 0);
}

static bool pl061_read(unsigned pin)
{
	return mmio_read32(data(pin)) != 0;
}

/* Masked while sense and event change, which could latch a spurious edge (3.3.5), then any
 * such edge cleared before unmasking. */
static void pl061_irq_mode(unsigned pin, int mode)
{
	set_bit(GPIOIE, pin, false);
	if (mode == GPIO_IRQ_OFF) {
		mmio_write32(pl061 + GPIOIC, 1u << pin);
		return;
	}
	set_bit(GPIOIS, pin, mode == UK_GPIO_LEVEL_HIGH || mode == UK_GPIO_LEVEL_LOW);
	set_bit(GPIOIBE, pin, mode == UK_GPIO_EDGE_BOTH);
	set_bit(GPIOIEV, pin, mode == UK_GPIO_EDGE_RISING || mode == UK_GPIO_LEVEL_HIGH);
	mmio_write32(pl061 + GPIOIC, 1u << pin);
	set_bit(GPIOIE, pin, true);
}

static uint32_t pl061_irq_pending(unsigned bank)
{
	(void)bank;
	return mmio_read32(pl061 + GPIOMIS) & 0xff;
}

static void pl061_irq_clear(unsigned bank, uint32_t pins)
{
	(void)bank;
	mmio_write32(pl061 + GPIOIC, pins);
}

static struct gpio_chip pl061_chip = {
    .name = "pl061",
    .pins = PL061_PINS,
    .banks = 1,
    .set_function = pl061_set_function,
    .write = pl061_write,
    .read = pl061_read,
    .set_pull = NULL,
    .irq_mode = pl061_irq_mode,
    .irq_pending = pl061_irq_pending,
    .irq_clear = pl061_irq_clear,
};

const struct gpio_chip *pl061_probe(uintptr_t base, unsigned irq)
{
	pl061 = base;
	pl061_chip.irq[0] = irq;
	mmio_write32(pl061 + GPIOIE, 0); /* all masked, nothing latched */
	mmio_write32(pl061 + GPIOIC, 0xff);
	return &pl061_chip;
}
