/*
 * gpio: uk/gpio.h in QEMU. Prints the pin count and what bad arguments give, then:
 *   gpio.out=PIN    drives PIN high, says so, waits for a console line (the test reads the
 *                   level through QEMU's monitor meanwhile), drives it low, the same again
 *   gpio.edge=PIN   waits up to 20 s for a rising edge on PIN (virt: the monitor's
 *                   system_powerdown raises PL061 line 3) and says whether the callback ran
 * and ends with "gpio: done", returning 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uk/config.h>
#include <uk/gpio.h>
#include <uk/time.h>

static volatile unsigned edges, edge_pin;

static void on_edge(unsigned pin, void *arg)
{
	(void)arg;
	edge_pin = pin;
	edges++;
}

static void nothing(unsigned pin, void *arg)
{
	(void)pin;
	(void)arg;
}

static const char *err(int r)
{
	return r ? strerror(-r) : "ok";
}

static void wait_line(void)
{
	char line[16];
	if (!fgets(line, sizeof line, stdin))
		printf("gpio: no input\n");
}

int main(void)
{
	unsigned n = uk_gpio_count();
	printf("gpio: %u pins\n", n);
	/* 3 on virt is the power button; 27 on a Pi is as good as any input */
	unsigned in = n == 8 ? 3 : 27;
	printf("gpio: bad pin %s, bad function %s, bad pull %s, bad mode %s\n",
	       err(uk_gpio_set_function(n, UK_GPIO_OUTPUT)),
	       err(uk_gpio_set_function(in, (enum uk_gpio_function)8)),
	       err(uk_gpio_set_pull(in, (enum uk_gpio_pull)3)),
	       err(uk_gpio_irq_attach(in, (enum uk_gpio_irq_mode)5, nothing, NULL)));
	printf("gpio: alt0 %s, pull-up %s, read of pin %u: %d\n",
	       err(uk_gpio_set_function(0, UK_GPIO_ALT0)),
	       err(uk_gpio_set_pull(in, UK_GPIO_PULL_UP)), n, uk_gpio_read(n));
	uk_gpio_set_function(in, UK_GPIO_INPUT);
	int first = uk_gpio_irq_attach(in, UK_GPIO_EDGE_FALLING, nothing, NULL);
	int second = uk_gpio_irq_attach(in, UK_GPIO_EDGE_RISING, nothing, NULL);
	printf("gpio: attach %s, again %s, detach %s, detach again %s\n", err(first), err(second),
	       err(uk_gpio_irq_detach(in)), err(uk_gpio_irq_detach(in)));

	const char *out = uk_config_get("gpio.out");
	if (out) {
		unsigned pin = (unsigned)strtoul(out, NULL, 10);
		uk_gpio_set_function(pin, UK_GPIO_OUTPUT);
		uk_gpio_write(pin, 1);
		printf("gpio: pin %u high, reads %d\n", pin, uk_gpio_read(pin));
		wait_line();
		uk_gpio_write(pin, 0);
		printf("gpio: pin %u low, reads %d\n", pin, uk_gpio_read(pin));
		wait_line();
	}
	const char *edge = uk_config_get("gpio.edge");
	if (edge) {
		unsigned pin = (unsigned)strtoul(edge, NULL, 10);
		uk_gpio_set_function(pin, UK_GPIO_INPUT);
		int r = uk_gpio_irq_attach(pin, UK_GPIO_EDGE_RISING, on_edge, NULL);
		printf("gpio: waiting for a rising edge on pin %u: %s\n", pin, err(r));
		uint64_t end = uk_now_ns() + 20000000000ull;
		while (!edges && uk_now_ns() < end)
			uk_sleep_until(uk_now_ns() +
				       10000000); /* WFI; the callback ends it early */
		if (edges)
			printf("gpio: edge on pin %u, level now %d\n", edge_pin, uk_gpio_read(pin));
		else
			printf("gpio: no edge in 20 s\n");
		uk_gpio_irq_detach(pin);
	}
	printf("gpio: done\n");
	return 0;
}
