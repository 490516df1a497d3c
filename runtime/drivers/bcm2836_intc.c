/*
 * The Pi 3's two interrupt controllers: the BCM2836 per-core "local" controller (QA7 rev 3.4)
 * that carries the generic timer, and behind it the BCM2835 GPU controller (BCM2835 ARM
 * Peripherals, chapter 7) that carries the peripherals (UARTs, USB, ...).
 * uk's numbering: 0-63 are GPU IRQs (bank 1: 0-31, bank 2: 32-63); 64 + n is local source n
 * (64 + 3 is the virtual timer).
 */
#include <uk/core.h>

#include "drivers.h"
#include "sysreg.h"

/* local controller: core n's timer interrupt control (bit m: timer source m, 3 = CNTV, raises
 * an IRQ on core n; QA7 rev 3.4, 4.6) and IRQ source (bit 3: CNTV, bit 8: the GPU interrupt,
 * routed to core 0; 4.10). Each core enables and reads its own: the generic timer is per core. */
#define CORE_TIMER_IRQCNTL(n) (0x40 + 4 * (n))
#define CORE_IRQ_SOURCE(n)    (0x60 + 4 * (n))
#define SOURCE_GPU	      (1u << 8)
/* core n's mailbox m: interrupt control (bit m: IRQ), write-set and write-clear (QA7 4.7, 4.8) */
#define CORE_MBOX_IRQCNTL(n) (0x50 + 4 * (n))
#define CORE_MBOX_SET(n, m)  (0x80 + 16 * (n) + 4 * (m))
#define CORE_MBOX_CLR(n, m)  (0xc0 + 16 * (n) + 4 * (m))

/* GPU controller (registers from 0x...b200) */
#define IRQ_PENDING1 0x04
#define IRQ_PENDING2 0x08
#define IRQ_ENABLE1  0x10
#define IRQ_ENABLE2  0x14
#define IRQ_DISABLE1 0x1c
#define IRQ_DISABLE2 0x20

static uintptr_t local, gpu;

static void bcm_enable(unsigned irq)
{
	if (irq < 32)
		mmio_write32(gpu + IRQ_ENABLE1, 1u << irq);
	else if (irq < 64)
		mmio_write32(gpu + IRQ_ENABLE2, 1u << (irq - 32));
	else if (irq < 64 + 4) {
		uintptr_t r = local + CORE_TIMER_IRQCNTL(uk_core_id());
		mmio_write32(r, mmio_read32(r) | (1u << (irq - 64)));
	}
}

static void bcm_disable(unsigned irq)
{
	if (irq < 32)
		mmio_write32(gpu + IRQ_DISABLE1, 1u << irq);
	else if (irq < 64)
		mmio_write32(gpu + IRQ_DISABLE2, 1u << (irq - 32));
	else if (irq < 64 + 4) {
		uintptr_t r = local + CORE_TIMER_IRQCNTL(uk_core_id());
		mmio_write32(r, mmio_read32(r) & ~(1u << (irq - 64)));
	}
}

/* Level-triggered: the source stays pending until its device is serviced. */
static unsigned bcm_ack(void)
{
	uint32_t src = mmio_read32(local + CORE_IRQ_SOURCE(uk_core_id()));
	if (src & 0xf)
		return 64 + (unsigned)__builtin_ctz(src & 0xf);
	if (src & SOURCE_GPU) {
		uint32_t p1 = mmio_read32(gpu + IRQ_PENDING1);
		if (p1)
			return (unsigned)__builtin_ctz(p1);
		uint32_t p2 = mmio_read32(gpu + IRQ_PENDING2);
		if (p2)
			return 32 + (unsigned)__builtin_ctz(p2);
	}
	return IRQ_NONE;
}

static void bcm_eoi(unsigned irq)
{
	(void)irq;
}

static const struct irq_chip bcm2836_chip = {
    .enable = bcm_enable,
    .disable = bcm_disable,
    .ack = bcm_ack,
    .eoi = bcm_eoi,
};

/* Wakes core n from entry.S's park with its mailbox 0 interrupt (QA7 rev 3.4, 4.7 and 4.8):
 * the interrupt stays masked there, but ends the core's WFI. */
int bcm2836_core_wake(unsigned core, uintptr_t entry)
{
	(void)entry; /* the core is in entry.S's park already */
	mmio_write32(local + CORE_MBOX_IRQCNTL(core), 1u);
	dsb(sy); /* the boot block is in memory before the interrupt */
	mmio_write32(local + CORE_MBOX_SET(core, 0), 1u);
	return 0;
}

/* On the woken core: the mailbox cleared and its interrupt off, so WFI halts again. */
void bcm2836_core_woken(unsigned core)
{
	mmio_write32(local + CORE_MBOX_IRQCNTL(core), 0);
	mmio_write32(local + CORE_MBOX_CLR(core, 0), 0xffffffffu);
}

void bcm2836_intc_init(uintptr_t local_base, uintptr_t gpu_base)
{
	local = local_base;
	gpu = gpu_base;
	mmio_write32(gpu + IRQ_DISABLE1, 0xffffffffu);
	mmio_write32(gpu + IRQ_DISABLE2, 0xffffffffu);
	mmio_write32(local + CORE_TIMER_IRQCNTL(0), 0);
	irq_set_chip(&bcm2836_chip);
}
