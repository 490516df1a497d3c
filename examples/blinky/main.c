/*
 * blinky: toggles an LED once a second and counts presses of a button, taken by a falling-edge
 * interrupt. On a Pi the LED is on GPIO 17 (header pin 11, through a resistor to ground) and
 * the button on GPIO 27 (header pin 13, to ground, held high by the internal pull-up). On QEMU
 * virt the LED is PL061 line 0 and the button line 3, QEMU's power button: the monitor's
 * system_powerdown presses it (virt has no pulls, the line idles low).
 * Runs for blinky.seconds (default 10; 0: for ever).
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <uk/config.h>
#include <uk/gpio.h>
#include <uk/time.h>

static volatile unsigned presses;

static void pressed(unsigned pin, void *arg) /* interrupt context */
{
	(void)pin;
	(void)arg;
	presses++;
}

int main(void)
{
	bool virt = uk_gpio_count() == 8;
	unsigned led = virt ? 0 : 17, button = virt ? 3 : 27;
	int seconds = uk_config_int("blinky.seconds", 10);

	int r = uk_gpio_set_function(led, UK_GPIO_OUTPUT);
	if (r == 0)
		r = uk_gpio_set_function(button, UK_GPIO_INPUT);
	if (r != 0) {
		printf("blinky: no GPIO: %s\n", strerror(-r));
		return 1;
	}
	r = uk_gpio_set_pull(button, UK_GPIO_PULL_UP);
	if (r != 0)
		printf("blinky: no pull-up on %u (%s): the button needs its own\n", button,
		       strerror(-r));
	r = uk_gpio_irq_attach(button, UK_GPIO_EDGE_FALLING, pressed, NULL);
	if (r != 0)
		printf("blinky: no button interrupt: %s\n", strerror(-r));
	printf("blinky: LED on %u, button on %u\n", led, button);

	uint64_t next = uk_now_ns();
	unsigned seen = 0;
	for (int s = 0; seconds == 0 || s < seconds; s++) {
		uk_gpio_write(led, s % 2 == 0);
		if (presses != seen) {
			seen = presses;
			printf("blinky: button pressed (%u so far), now %s\n", seen,
			       uk_gpio_read(button) ? "up" : "down");
		}
		next += 1000000000ull;
		uk_sleep_until(next);
	}
	uk_gpio_write(led, 0);
	printf("blinky: %u presses\n", presses);
	return 0;
}
