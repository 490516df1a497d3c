/*
 * uk/gpio.h over the board's GPIO chip (struct gpio_chip, from platform.c's gpio_probe): checks
 * every argument before the chip sees it, keeps one callback per pin, and dispatches each
 * bank's interrupt to them.
 */
#include <errno.h>

#include <uk/gpio.h>

#include "kernel.h"
#include "sysreg.h"

#define MAX_PINS (GPIO_BANK_PINS * GPIO_MAX_BANKS)

static struct {
	uk_gpio_callback fn; /* NULL: not attached */
	void *arg;
	int mode;
} pins[MAX_PINS];
static const struct gpio_chip *chip;
static bool probed;

static void dispatch(void *arg);

/* The chip, probed at the first call, with its bank interrupts registered then: the driver
 * turned detection off, so none fires before a pin asks. */
static const struct gpio_chip *gpio(void)
{
	if (!probed) {
		probed = true;
		chip = gpio_probe();
		if (chip && chip->pins > MAX_PINS)
			chip = NULL;
		for (unsigned b = 0; chip && b < chip->banks; b++)
			if (chip->irq[b])
				irq_register(chip->irq[b], dispatch, (void *)(uintptr_t)b);
	}
	return chip;
}

static int check(unsigned pin)
{
	if (!gpio())
		return -ENODEV;
	return pin < chip->pins ? 0 : -EINVAL;
}

unsigned uk_gpio_count(void)
{
	return gpio() ? chip->pins : 0;
}

int uk_gpio_set_function(unsigned pin, enum uk_gpio_function function)
{
	int r = check(pin);
	if (r)
		return r;
	if ((unsigned)function > UK_GPIO_ALT5)
		return -EINVAL;
	uint64_t flags = irq_save(); /* GPFSEL and GPIODIR are read, modified, written */
	r = chip->set_function(pin, function);
	irq_restore(flags);
	return r;
}

int uk_gpio_write(unsigned pin, int value)
{
	int r = check(pin);
	if (r)
		return r;
	chip->write(pin, value != 0);
	return 0;
}

int uk_gpio_read(unsigned pin)
{
	int r = check(pin);
	if (r)
		return r;
	return chip->read(pin) ? 1 : 0;
}

int uk_gpio_set_pull(unsigned pin, enum uk_gpio_pull pull)
{
	int r = check(pin);
	if (r)
		return r;
	if ((unsigned)pull > UK_GPIO_PULL_DOWN)
		return -EINVAL;
	if (!chip->set_pull)
		return pull == UK_GPIO_PULL_NONE ? 0 : -ENODEV;
	uint64_t flags = irq_save(); /* the BCM2835's sequence shares GPPUD among all pins */
	r = chip->set_pull(pin, pull);
	irq_restore(flags);
	return r;
}

int uk_gpio_irq_attach(unsigned pin, enum uk_gpio_irq_mode mode, uk_gpio_callback fn, void *arg)
{
	int r = check(pin);
	if (r)
		return r;
	if ((unsigned)mode > UK_GPIO_LEVEL_LOW || !fn)
		return -EINVAL;
	if (!chip->irq[pin / GPIO_BANK_PINS])
		return -ENODEV;
	uint64_t flags = irq_save();
	if (pins[pin].fn) {
		irq_restore(flags);
		return -EBUSY;
	}
	pins[pin].fn = fn;
	pins[pin].arg = arg;
	pins[pin].mode = (int)mode;
	chip->irq_mode(pin, (int)mode);
	irq_restore(flags);
	return 0;
}

int uk_gpio_irq_number(unsigned pin)
{
	int r = check(pin);
	if (r)
		return r;
	unsigned irq = chip->irq[pin / GPIO_BANK_PINS];
	return irq ? (int)irq : -ENODEV;
}

int uk_gpio_irq_detach(unsigned pin)
{
	int r = check(pin);
	if (r)
		return r;
	uint64_t flags = irq_save();
	if (!pins[pin].fn) {
		irq_restore(flags);
		return -EINVAL;
	}
	chip->irq_mode(pin, GPIO_IRQ_OFF);
	pins[pin].fn = NULL;
	irq_restore(flags);
	return 0;
}

int uk_gpio_irq_rearm(unsigned pin)
{
	int r = check(pin);
	if (r)
		return r;
	uint64_t flags = irq_save();
	if (!pins[pin].fn)
		r = -EINVAL;
	else if (pins[pin].mode >= UK_GPIO_LEVEL_HIGH)
		chip->irq_mode(pin, pins[pin].mode);
	irq_restore(flags);
	return r;
}

static bool level_mode(int mode)
{
	return mode == UK_GPIO_LEVEL_HIGH || mode == UK_GPIO_LEVEL_LOW;
}

/* One bank's interrupt (IRQs masked). Events are cleared before the callbacks run, so an edge
 * during a callback is latched again and not lost; a level pin's detection is stopped first,
 * as its event would come back at once. Events on pins nobody attached are cleared too, or
 * the line would stay asserted. */
static void dispatch(void *arg)
{
	unsigned bank = (unsigned)(uintptr_t)arg;
	uint32_t pending = chip->irq_pending(bank);
	if (!pending)
		return;
	for (uint32_t p = pending; p; p &= p - 1) {
		unsigned pin = bank * GPIO_BANK_PINS + (unsigned)__builtin_ctz(p);
		if (pin < chip->pins && pins[pin].fn && level_mode(pins[pin].mode))
			chip->irq_mode(pin, GPIO_IRQ_OFF);
	}
	chip->irq_clear(bank, pending);
	for (uint32_t p = pending; p; p &= p - 1) {
		unsigned pin = bank * GPIO_BANK_PINS + (unsigned)__builtin_ctz(p);
		if (pin < chip->pins && pins[pin].fn)
			pins[pin].fn(pin, pins[pin].arg);
	}
}
