/*
 * The ARM generic timer (Arm ARM D11): the virtual counter (CNTVCT_EL0) is uk's clock, and the
 * EL1 virtual timer (CNTV_*) gives one-shot deadlines. Frequency from CNTFRQ_EL0, never
 * assumed (62.5 MHz on QEMU virt, 19.2 MHz on a Pi 3, 54 MHz on a Pi 4).
 */
#include "kernel.h"
#include "sysreg.h"

#define CNTV_CTL_ENABLE (1u << 0)
#define CNTV_CTL_IMASK	(1u << 1)

static uint64_t hz;

uint64_t timer_hz(void)
{
	if (!hz)
		hz = read_sysreg(cntfrq_el0);
	return hz;
}

/* May be called from any context. ISB so the read is not hoisted above earlier code. */
uint64_t timer_ticks(void)
{
	isb();
	return read_sysreg(cntvct_el0);
}

uint64_t ticks_to_ns(uint64_t ticks)
{
	return (uint64_t)(((unsigned __int128)ticks * 1000000000u) / timer_hz());
}

uint64_t ns_to_ticks(uint64_t ns)
{
	/* Rounded up, so a deadline never fires early. */
	return (uint64_t)(((unsigned __int128)ns * timer_hz() + 999999999u) / 1000000000u);
}

void timer_set_deadline(uint64_t ticks)
{
	write_sysreg(cntv_cval_el0, ticks);
	write_sysreg(cntv_ctl_el0, CNTV_CTL_ENABLE);
	isb();
}

void timer_disarm(void)
{
	write_sysreg(cntv_ctl_el0, CNTV_CTL_IMASK);
	isb();
}
