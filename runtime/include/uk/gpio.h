/*
 * uk/gpio.h: the board's general-purpose pins: function, level, pulls, and interrupts on an
 * edge or a level that call back into the app.
 *
 *     #include <stdio.h>
 *     #include <uk/gpio.h>
 *     #include <uk/time.h>
 *
 *     static volatile unsigned presses;
 *
 *     static void pressed(unsigned pin, void *arg)     // interrupt context: keep it short
 *     {
 *             (void)pin;
 *             (void)arg;
 *             presses++;
 *     }
 *
 *     int main(void)
 *     {
 *             uk_gpio_set_function(17, UK_GPIO_OUTPUT);        // the LED
 *             uk_gpio_set_function(27, UK_GPIO_INPUT);         // a button to ground
 *             if (uk_gpio_set_pull(27, UK_GPIO_PULL_UP) != 0)  // virt has none: -ENODEV
 *                     printf("no pull-up: fit a resistor\n");
 *             uk_gpio_irq_attach(27, UK_GPIO_EDGE_FALLING, pressed, NULL);
 *             for (int on = 1; presses < 3; on = !on) {
 *                     uk_gpio_write(17, on);
 *                     uk_sleep_until(uk_now_ns() + 500000000);   // half a second
 *             }
 *             printf("button pressed %u times, now %s\n", presses,
 *                    uk_gpio_read(27) ? "released" : "held");
 *             return 0;
 *     }
 *
 * Pins are numbered as the chip numbers them: BCM GPIO 0-53 on the Pi 3 and Pi 4 (the header's
 * "GPIO17" is pin 17), PL061 lines 0-7 on QEMU virt (line 3 is QEMU's power button: the
 * monitor's system_powerdown raises it for 100 ms). uk itself uses some Pi pins: 14 and 15 for
 * the console, 48-53 for the SD card on the Pi 3: moving them away from their function stops
 * those devices.
 *
 * Every call checks its arguments before touching the hardware and returns 0 (or a level), or
 * -EINVAL (no such pin, function, pull or mode), -ENODEV (the board has no GPIO, no pulls, or
 * no GPIO interrupt) or -EBUSY (the pin's interrupt is already attached). Any context, except
 * uk_gpio_irq_attach and uk_gpio_irq_detach: thread context, not from a callback.
 */
#ifndef UK_GPIO_H
#define UK_GPIO_H

enum uk_gpio_function {
	UK_GPIO_INPUT,
	UK_GPIO_OUTPUT,
	UK_GPIO_ALT0, /* the Pi's alternate functions (BCM2835 ARM Peripherals 6.2); not on virt */
	UK_GPIO_ALT1,
	UK_GPIO_ALT2,
	UK_GPIO_ALT3,
	UK_GPIO_ALT4,
	UK_GPIO_ALT5,
};

enum uk_gpio_pull {
	UK_GPIO_PULL_NONE,
	UK_GPIO_PULL_UP,   /* about 50 kOhm to 3.3 V on the Pi */
	UK_GPIO_PULL_DOWN, /* about 50 kOhm to ground */
};

enum uk_gpio_irq_mode {
	UK_GPIO_EDGE_RISING,
	UK_GPIO_EDGE_FALLING,
	UK_GPIO_EDGE_BOTH,
	UK_GPIO_LEVEL_HIGH, /* one-shot: see uk_gpio_irq_rearm */
	UK_GPIO_LEVEL_LOW,
};

/* The number of pins (54 on the Pi 3 and Pi 4, 8 on virt); 0 when the board has no GPIO. */
unsigned uk_gpio_count(void);

int uk_gpio_set_function(unsigned pin, enum uk_gpio_function function);
/* Drives an output pin high (value != 0) or low (set its function to output first). */
int uk_gpio_write(unsigned pin, int value);
/* The pin's level: 1 high, 0 low (an output pin reads what it drives), or -EINVAL/-ENODEV. */
int uk_gpio_read(unsigned pin);
/* The pin's pull resistor. -ENODEV for a pull-up or pull-down where the chip has none (virt's
 * PL061); UK_GPIO_PULL_NONE is then 0. */
int uk_gpio_set_pull(unsigned pin, enum uk_gpio_pull pull);

/* Calls fn(pin, arg) in interrupt context when the pin sees the edge, or holds the level, that
 * mode names. Set the pin's function to input first. An edge is latched by the hardware, so one
 * during a callback calls it again afterwards. A level interrupt fires once: detection stops
 * before the callback runs (else a level still held would call it forever), and
 * uk_gpio_irq_rearm starts it again, once the cause is gone. */
typedef void (*uk_gpio_callback)(unsigned pin, void *arg);
int uk_gpio_irq_attach(unsigned pin, enum uk_gpio_irq_mode mode, uk_gpio_callback fn, void *arg);
int uk_gpio_irq_detach(unsigned pin); /* 0, or -EINVAL when nothing is attached */
/* The interrupt that carries pin's events (its bank's), for uk_core_irq_route (uk/core.h):
 * then callbacks of every pin of that bank run on that core. -EINVAL, -ENODEV. */
int uk_gpio_irq_number(unsigned pin);
/* Arms a level interrupt again (edges need not: 0). Any context, a callback included. */
int uk_gpio_irq_rearm(unsigned pin);

#endif
