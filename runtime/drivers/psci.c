/* PSCI (ARM DEN 0022) SYSTEM_OFF: how a QEMU virt machine stops without semihosting. */
#include "drivers.h"

#define PSCI_SYSTEM_OFF 0x84000008u

void psci_system_off(bool hvc)
{
	register uint64_t x0 __asm__("x0") = PSCI_SYSTEM_OFF;
	if (hvc)
		__asm__ volatile("hvc #0" : "+r"(x0)::"memory");
	else
		__asm__ volatile("smc #0" : "+r"(x0)::"memory");
}
