/*
 * uk/system.h: what the runtime learned at boot.
 *
 *     #include <stdio.h>
 *     #include <uk/system.h>
 *
 *     int main(void)
 *     {
 *             const struct uk_system *s = uk_system();
 *             printf("%s: %llu MiB RAM, main reached %llu us after reset\n", s->target,
 *                    (unsigned long long)(s->ram_size >> 20),
 *                    (unsigned long long)(s->main_ns / 1000));
 *             return 0;
 *     }
 */
#ifndef UK_SYSTEM_H
#define UK_SYSTEM_H

#include <stdint.h>

struct uk_system {
	const char *target; /* "virt", "rpi3" or "rpi4" */
	const char *model;  /* the device tree's /model, or the target name */
	uint64_t ram_base;  /* the RAM uk found (device tree /memory or the Pi mailbox) */
	uint64_t ram_size;
	uint64_t heap_size;  /* bytes malloc can draw from */
	uint64_t counter_hz; /* generic timer frequency (CNTFRQ_EL0) */
	uint64_t entry_ns;   /* counter time when the image's first instruction ran */
	uint64_t main_ns;    /* counter time when main() was called */
};

const struct uk_system *uk_system(void);

/* Stops the machine with status: QEMU exits with it (under `uk run`); a board halts. */
__attribute__((noreturn)) void uk_halt(int status);

#endif
