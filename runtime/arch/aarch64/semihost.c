/*
 * Arm semihosting (the "Semihosting for AArch32 and AArch64" spec): used only when the boot
 * arguments say we run under QEMU (uk.qemu=1), because on a real Pi HLT #0xF000 is undefined.
 */
#include <stdint.h>

#include "semihost.h"

#define SYS_EXIT		     0x18
#define ADP_STOPPED_APPLICATION_EXIT 0x20026

static uint64_t semihost_call(uint64_t op, uint64_t arg)
{
	register uint64_t x0 __asm__("x0") = op;
	register uint64_t x1 __asm__("x1") = arg;
	__asm__ volatile("hlt #0xf000" : "+r"(x0) : "r"(x1) : "memory");
	return x0;
}

void semihost_exit(int status)
{
	/* AArch64 SYS_EXIT takes a block {reason, subcode}; QEMU exits with subcode. */
	static uint64_t block[2];
	block[0] = ADP_STOPPED_APPLICATION_EXIT;
	block[1] = (uint64_t)(uint32_t)status;
	semihost_call(SYS_EXIT, (uint64_t)(uintptr_t)block);
}
