/*
 * uk/spi.h over the board's SPI masters (struct spi_bus_ops from platform.c): arguments checked
 * here before any register is touched; one transfer at a time per bus.
 */
#include <errno.h>

#include <uk/spi.h>
#include <uk/thread.h>

#include "kernel.h"

#define MAX_BUSES 2
#define MAX_LEN	  65535
#define SLACK_NS  20000000ull

static struct {
	bool ready;
	struct uk_sem lock;
} buses[MAX_BUSES];

int uk_spi_transfer(unsigned bus, const struct uk_spi_config *c, const void *tx, void *rx,
		    size_t len)
{
	const struct spi_bus_ops *ops = spi_probe();
	if (!ops || bus >= ops->buses || bus >= MAX_BUSES)
		return -ENODEV;
	if (!c || c->mode > 3 || c->chip_select > 1 || c->hz == 0 || len == 0 || len > MAX_LEN)
		return -EINVAL;
	if (!buses[bus].ready) { /* cooperative threads: nothing runs between test and set */
		int r = ops->setup(bus);
		if (r)
			return r;
		uk_sem_init(&buses[bus].lock, 1);
		buses[bus].ready = true;
	}
	uk_sem_wait(&buses[bus].lock, 0);
	uint64_t wire_ns = (uint64_t)len * 8 * 1000000000ull / c->hz;
	int r =
	    ops->transfer(bus, c->mode, c->chip_select, c->hz, tx, rx, len, 2 * wire_ns + SLACK_NS);
	uk_sem_post(&buses[bus].lock);
	return r;
}
