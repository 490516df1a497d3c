/*
 * BCM2835/BCM2711 GPIO block (BCM2835 ARM Peripherals chapter 6; BCM2711 ARM Peripherals
 * chapter 5 for the Pi 4's pull registers), at peripheral offset 0x200000. Two banks: pins 0-31
 * and 32-53, one bit each in the 32-bit registers below.
 */
#include <errno.h>

#include <uk/gpio.h>

#include "drivers.h"
#include "sysreg.h"

#define GPFSEL0	  0x00 /* 10 pins per register, 3 bits each (6.1, table 6-2) */
#define GPSET0	  0x1c
#define GPCLR0	  0x28
#define GPLEV0	  0x34
#define GPEDS0	  0x40 /* event detect status: write 1 to clear */
#define GPREN0	  0x4c /* rising edge detect enable (synchronous: filters glitches) */
#define GPFEN0	  0x58 /* falling edge */
#define GPHEN0	  0x64 /* high level */
#define GPLEN0	  0x70 /* low level */
#define GPAREN0	  0x7c /* asynchronous rising edge: left off */
#define GPAFEN0	  0x88 /* asynchronous falling edge: left off */
#define GPPUD	  0x94 /* BCM2835: the pull to apply, 0 off, 1 down, 2 up (6.1, GPPUD) */
#define GPPUDCLK0 0x98 /* BCM2835: clocks GPPUD into the pins whose bit is set */
#define PUP_PDN0  0xe4 /* BCM2711: 16 pins per register, 2 bits: 0 none, 1 up, 2 down */
#define BCM_PINS  54   /* the BCM2711 has 58; the Pi 4's header ends at 27 and uk keeps 0-53 */

static uintptr_t gpio;
static bool pull_2711;

void bcm_gpio_set_function(uintptr_t gpio_base, unsigned pin, unsigned function)
{
	uintptr_t reg = gpio_base + GPFSEL0 + 4 * (pin / 10);
	unsigned shift = 3 * (pin % 10);
	mmio_write32(reg, (mmio_read32(reg) & ~(7u << shift)) | ((function & 7) << shift));
}

static uintptr_t bank_reg(unsigned reg, unsigned pin)
{
	return gpio + reg + 4 * (pin / GPIO_BANK_PINS);
}

static uint32_t bit(unsigned pin)
{
	return 1u << (pin % GPIO_BANK_PINS);
}

/* uk/gpio.h's functions as GPFSEL codes: the alternate functions are not in order (table 6-2). */
static const uint8_t fsel_code[] = {
    [UK_GPIO_INPUT] = 0, [UK_GPIO_OUTPUT] = 1, [UK_GPIO_ALT0] = 4, [UK_GPIO_ALT1] = 5,
    [UK_GPIO_ALT2] = 6,	 [UK_GPIO_ALT3] = 7,   [UK_GPIO_ALT4] = 3, [UK_GPIO_ALT5] = 2,
};

static int bcm_set_function(unsigned pin, unsigned function)
{
	if (function >= sizeof fsel_code)
		return -EINVAL;
	bcm_gpio_set_function(gpio, pin, fsel_code[function]);
	return 0;
}

/* GPSET and GPCLR act only on the bits written as 1: no read-modify-write, no race. */
static void bcm_write(unsigned pin, bool high)
{
	mmio_write32(bank_reg(high ? GPSET0 : GPCLR0, pin), bit(pin));
}

static bool bcm_read(unsigned pin)
{
	return mmio_read32(bank_reg(GPLEV0, pin)) & bit(pin);
}

/* 150 cycles of the core clock (250 MHz on the Pi 3, 500 on the Pi 4: at most 0.6 us) by the
 * generic timer, as the CPU runs faster than the clock the manual counts; Linux waits 1 us. */
static void wait_150_cycles(void)
{
	uint64_t end = timer_ticks() + ns_to_ticks(1000);
	while (timer_ticks() < end)
		;
}

/* BCM2835 (6.1, GPPUDCLKn): write the pull, wait, clock it into the pin, wait, then remove
 * both, which leaves the pin's pull latched. */
static void pull_2835(unsigned pin, unsigned pull)
{
	static const uint32_t code[] = {
	    [UK_GPIO_PULL_NONE] = 0, [UK_GPIO_PULL_UP] = 2, [UK_GPIO_PULL_DOWN] = 1};
	mmio_write32(gpio + GPPUD, code[pull]);
	wait_150_cycles();
	mmio_write32(bank_reg(GPPUDCLK0, pin), bit(pin));
	wait_150_cycles();
	mmio_write32(gpio + GPPUD, 0);
	mmio_write32(bank_reg(GPPUDCLK0, pin), 0);
}

/* BCM2711 (GPIO_PUP_PDN_CNTRL_REG0-3; Linux's pinctrl-bcm2835.c agrees on the codes). */
static void pull_2711_set(unsigned pin, unsigned pull)
{
	static const uint32_t code[] = {
	    [UK_GPIO_PULL_NONE] = 0, [UK_GPIO_PULL_UP] = 1, [UK_GPIO_PULL_DOWN] = 2};
	uintptr_t reg = gpio + PUP_PDN0 + 4 * (pin / 16);
	unsigned shift = 2 * (pin % 16);
	mmio_write32(reg, (mmio_read32(reg) & ~(3u << shift)) | (code[pull] << shift));
}

static int bcm_set_pull(unsigned pin, unsigned pull)
{
	if (pull > UK_GPIO_PULL_DOWN)
		return -EINVAL;
	if (pull_2711)
		pull_2711_set(pin, pull);
	else
		pull_2835(pin, pull);
	return 0;
}

static void enable_bit(unsigned reg, unsigned pin, bool on)
{
	uintptr_t r = bank_reg(reg, pin);
	uint32_t v = mmio_read32(r);
	mmio_write32(r, on ? v | bit(pin) : v & ~bit(pin));
}

/* Every detect of the pin off and its stale event cleared, then the ones mode asks for on. */
static void bcm_irq_mode(unsigned pin, int mode)
{
	static const unsigned detect[] = {GPREN0, GPFEN0, GPHEN0, GPLEN0};
	for (unsigned i = 0; i < sizeof detect / sizeof detect[0]; i++)
		enable_bit(detect[i], pin, false);
	mmio_write32(bank_reg(GPEDS0, pin), bit(pin));
	if (mode == UK_GPIO_EDGE_RISING || mode == UK_GPIO_EDGE_BOTH)
		enable_bit(GPREN0, pin, true);
	if (mode == UK_GPIO_EDGE_FALLING || mode == UK_GPIO_EDGE_BOTH)
		enable_bit(GPFEN0, pin, true);
	if (mode == UK_GPIO_LEVEL_HIGH)
		enable_bit(GPHEN0, pin, true);
	if (mode == UK_GPIO_LEVEL_LOW)
		enable_bit(GPLEN0, pin, true);
}

static uint32_t bcm_irq_pending(unsigned bank)
{
	uint32_t v = mmio_read32(gpio + GPEDS0 + 4 * bank);
	return bank == 1 ? v & ((1u << (BCM_PINS - GPIO_BANK_PINS)) - 1) : v;
}

static void bcm_irq_clear(unsigned bank, uint32_t pins)
{
	mmio_write32(gpio + GPEDS0 + 4 * bank, pins);
}

static struct gpio_chip bcm_chip = {
    .name = "bcm-gpio",
    .pins = BCM_PINS,
    .banks = 2,
    .set_function = bcm_set_function,
    .write = bcm_write,
    .read = bcm_read,
    .set_pull = bcm_set_pull,
    .irq_mode = bcm_irq_mode,
    .irq_pending = bcm_irq_pending,
    .irq_clear = bcm_irq_clear,
};

const struct gpio_chip *bcm_gpio_probe(uintptr_t gpio_base, bool bcm2711, unsigned irq_bank0,
				       unsigned irq_bank1)
{
	gpio = gpio_base;
	pull_2711 = bcm2711;
	bcm_chip.irq[0] = irq_bank0;
	bcm_chip.irq[1] = irq_bank1;
	/* No detection the firmware may have left on, and no event pending from it. */
	static const unsigned detect[] = {GPREN0, GPFEN0, GPHEN0, GPLEN0, GPAREN0, GPAFEN0};
	for (unsigned i = 0; i < sizeof detect / sizeof detect[0]; i++)
		for (unsigned bank = 0; bank < 2; bank++)
			mmio_write32(gpio + detect[i] + 4 * bank, 0);
	mmio_write32(gpio + GPEDS0, 0xffffffffu);
	mmio_write32(gpio + GPEDS0 + 4, 0xffffffffu);
	return &bcm_chip;
}
