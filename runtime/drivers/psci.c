/* PSCI (ARM DEN 0022) SYSTEM_OFF and SYSTEM_RESET: how a QEMU virt machine stops or starts
 * again without semihosting. */
#include "drivers.h"

#define PSCI_SYSTEM_OFF	  0x84000008u
#define PSCI_SYSTEM_RESET 0x84000009u

static void psci_call(uint32_t function, bool hvc)
{
	register uint64_t x0 __asm__("x0") = function;
	if (hvc)
		__asm__ volatile("hvc #0" : "+r"(x0)::"memory");
	else
		__asm__ volatile("smc #0" : "+r"(x0)::"memory");
}

void psci_system_off(bool hvc)
{
	psci_call(PSCI_SYSTEM_OFF, hvc);
}

void psci_system_reset(bool hvc)
{
	psci_call(PSCI_SYSTEM_RESET, hvc);
}
