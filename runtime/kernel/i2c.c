/*
 * uk/i2c.h over the board's I2C masters (struct i2c_bus_ops from platform.c): arguments are
 * checked here, before any register is touched; each bus is set up at its first use and runs
 * one transfer at a time.
 */
#include <errno.h>

#include <uk/i2c.h>
#include <uk/thread.h>

#include "kernel.h"

#define MAX_BUSES     8
#define DEFAULT_HZ    100000
#define MAX_LEN	      65535	  /* the controller's 16-bit length register */
#define SLACK_NS      20000000ull /* on top of the wire time: stretching, scheduling */
#define BITS_PER_BYTE 9		  /* eight and the acknowledge */

static struct {
	bool ready;
	uint32_t hz;
	struct uk_sem lock;
} buses[MAX_BUSES];

/* The bus, set up and locked: 0, or -ENODEV. */
static int take(unsigned bus, const struct i2c_bus_ops **ops)
{
	*ops = i2c_probe();
	if (!*ops || bus >= (*ops)->buses || bus >= MAX_BUSES)
		return -ENODEV;
	if (!buses[bus].ready) { /* cooperative threads: nothing runs between test and set */
		int r = (*ops)->setup(bus);
		if (r == 0)
			r = (*ops)->set_speed(bus, DEFAULT_HZ);
		if (r)
			return r;
		uk_sem_init(&buses[bus].lock, 1);
		buses[bus].hz = DEFAULT_HZ;
		buses[bus].ready = true;
	}
	uk_sem_wait(&buses[bus].lock, 0);
	return 0;
}

int uk_i2c_set_speed(unsigned bus, uint32_t hz)
{
	const struct i2c_bus_ops *ops;
	if (hz < 10000 || hz > 1000000)
		return -EINVAL;
	int r = take(bus, &ops);
	if (r)
		return r;
	r = ops->set_speed(bus, hz);
	if (r == 0)
		buses[bus].hz = hz;
	uk_sem_post(&buses[bus].lock);
	return r;
}

static int transfer(unsigned bus, uint8_t addr, const void *out, size_t out_len, void *in,
		    size_t in_len)
{
	if (addr < 0x08 || addr > 0x77 || out_len > MAX_LEN || in_len > MAX_LEN)
		return -EINVAL;
	if ((out_len && !out) || (in_len && !in))
		return -EINVAL;
	const struct i2c_bus_ops *ops;
	int r = take(bus, &ops);
	if (r)
		return r;
	uint64_t wire_ns = (out_len + in_len + 2) * BITS_PER_BYTE * 1000000000ull / buses[bus].hz;
	r = ops->transfer(bus, addr, out, out_len, in, in_len, 2 * wire_ns + SLACK_NS);
	uk_sem_post(&buses[bus].lock);
	return r;
}

int uk_i2c_write(unsigned bus, uint8_t addr, const void *data, size_t len)
{
	return transfer(bus, addr, data, len, NULL, 0);
}

int uk_i2c_read(unsigned bus, uint8_t addr, void *data, size_t len)
{
	if (len == 0)
		return -EINVAL;
	return transfer(bus, addr, NULL, 0, data, len);
}

int uk_i2c_write_read(unsigned bus, uint8_t addr, const void *out, size_t out_len, void *in,
		      size_t in_len)
{
	if (out_len == 0 || in_len == 0)
		return -EINVAL;
	return transfer(bus, addr, out, out_len, in, in_len);
}
