/* PSCI (ARM DEN 0022) SYSTEM_OFF and SYSTEM_RESET: how a QEMU virt machine stops or starts
 * again without semihosting; CPU_ON: how its other cores start (QEMU's -smp cores begin
 * powered off). */
#include "drivers.h"

#define PSCI_SYSTEM_OFF	  0x84000008u
#define PSCI_SYSTEM_RESET 0x84000009u
#define PSCI_CPU_ON_64	  0xc4000003u

/* SMC Calling Convention: function in x0, arguments in x1-x3, result in x0. */
static int64_t psci_call3(uint32_t function, bool hvc, uint64_t a1, uint64_t a2, uint64_t a3)
{
	register uint64_t x0 __asm__("x0") = function;
	register uint64_t x1 __asm__("x1") = a1;
	register uint64_t x2 __asm__("x2") = a2;
	register uint64_t x3 __asm__("x3") = a3;
	if (hvc)
		__asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)::"memory");
	else
		__asm__ volatile("smc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)::"memory");
	return (int64_t)x0;
}

static void psci_call(uint32_t function, bool hvc)
{
	psci_call3(function, hvc, 0, 0, 0);
}

/* CPU_ON (DEN 0022 5.1.4): the core whose MPIDR affinity is `mpidr` starts at the physical
 * address `entry`, MMU off. 0, or PSCI's error (-2 INVALID_PARAMETERS, -4 ALREADY_ON, ...). */
int psci_cpu_on(bool hvc, uint64_t mpidr, uintptr_t entry)
{
	return (int)psci_call3(PSCI_CPU_ON_64, hvc, mpidr, entry, 0);
}

void psci_system_off(bool hvc)
{
	psci_call(PSCI_SYSTEM_OFF, hvc);
}

void psci_system_reset(bool hvc)
{
	psci_call(PSCI_SYSTEM_RESET, hvc);
}
