/*
 * ARM Generic Interrupt Controller v2 (ARM IHI 0048B): QEMU virt's GIC and the Pi 4's GIC-400.
 * Every interrupt goes to CPU 0 at one priority unless routed to another core (uk/core.h);
 * level/edge configuration is left as reset (PPIs per the architecture, SPIs level, which every
 * device uk drives uses).
 */
#include <errno.h>

#include "drivers.h"
#include "sysreg.h"

#define GICD_CTLR	0x000
#define GICD_TYPER	0x004
#define GICD_ISENABLER	0x100
#define GICD_ICENABLER	0x180
#define GICD_IPRIORITYR 0x400
#define GICD_ITARGETSR	0x800
#define GICD_SGIR	0xf00

#define GICC_CTLR 0x00
#define GICC_PMR  0x04 /* priority mask: 0xff lets everything through */
#define GICC_IAR  0x0c /* acknowledge: reading returns the INTID */
#define GICC_EOIR 0x10

#define INTID_SPURIOUS 1023

static uintptr_t gicd, gicc;

/* For an SGI or PPI (INTID < 32), GICD_ISENABLER0, GICD_ICENABLER0 and GICD_IPRIORITYR0-7 are
 * banked per CPU interface (GIC v2 spec 4.3.5, 4.3.6, 4.3.11): the calling core's own is set,
 * which is how cores 1-3 take their own timer's PPI 27 (kernel/core.c). */
static void gic_enable(unsigned irq)
{
	mmio_write32(
	    gicd + GICD_IPRIORITYR + (irq & ~3u),
	    (mmio_read32(gicd + GICD_IPRIORITYR + (irq & ~3u)) & ~(0xffu << 8 * (irq & 3))) |
		(0xa0u << 8 * (irq & 3)));
	if (irq >= 32) /* SPIs: route to CPU 0 (PPI targets are fixed) */
		mmio_write32(
		    gicd + GICD_ITARGETSR + (irq & ~3u),
		    (mmio_read32(gicd + GICD_ITARGETSR + (irq & ~3u)) & ~(0xffu << 8 * (irq & 3))) |
			(1u << 8 * (irq & 3)));
	mmio_write32(gicd + GICD_ISENABLER + 4 * (irq / 32), 1u << (irq % 32));
}

/* An SPI's target (GICD_ITARGETSR, GIC v2 spec 4.3.12: one byte per INTID, a CPU bit mask);
 * SGIs and PPIs belong to their own core. */
static int gic_route(unsigned irq, unsigned core)
{
	if (irq < 32 || core > 7)
		return -EINVAL;
	uintptr_t r = gicd + GICD_ITARGETSR + (irq & ~3u);
	mmio_write32(r,
		     (mmio_read32(r) & ~(0xffu << 8 * (irq & 3))) | (1u << (8 * (irq & 3) + core)));
	return 0;
}

static void gic_disable(unsigned irq)
{
	mmio_write32(gicd + GICD_ICENABLER + 4 * (irq / 32), 1u << (irq % 32));
}

static unsigned gic_ack(void)
{
	unsigned id = mmio_read32(gicc + GICC_IAR) & 0x3ff;
	return id >= INTID_SPURIOUS - 3 ? IRQ_NONE : id;
}

static void gic_eoi(unsigned irq)
{
	mmio_write32(gicc + GICC_EOIR, irq);
}

static const struct irq_chip gicv2_chip = {
    .enable = gic_enable,
    .disable = gic_disable,
    .ack = gic_ack,
    .eoi = gic_eoi,
    .route = gic_route,
};

/* The SGI that wakes a parked core (kernel/core.c); entry.S opened that core's CPU interface. */
#define SGI_WAKE 0

int gicv2_core_wake(unsigned core, uintptr_t entry)
{
	(void)entry; /* the core is in entry.S's park already */
	dsb(sy);     /* the boot block is in memory before the interrupt */
	/* GICD_SGIR (GIC v2 spec 4.3.15): TargetListFilter 0 (the list), CPUTargetList, INTID. */
	mmio_write32(gicd + GICD_SGIR, (1u << (16 + core)) | SGI_WAKE);
	return 0;
}

void gicv2_core_woken(unsigned core)
{
	(void)core;
	for (;;) { /* acknowledge and end whatever is pending here: only the wake-up SGI */
		uint32_t iar = mmio_read32(gicc + GICC_IAR);
		if ((iar & 0x3ff) >= INTID_SPURIOUS - 3)
			return;
		mmio_write32(gicc + GICC_EOIR, iar); /* with the source CPU bits, as read */
	}
}

void gicv2_init(uintptr_t dist_base, uintptr_t cpu_base)
{
	gicd = dist_base;
	gicc = cpu_base;
	unsigned lines = 32 * ((mmio_read32(gicd + GICD_TYPER) & 0x1f) + 1);
	mmio_write32(gicd + GICD_CTLR, 0);
	for (unsigned i = 0; i < lines; i += 32)
		mmio_write32(gicd + GICD_ICENABLER + i / 8, 0xffffffffu);
	mmio_write32(gicd + GICD_CTLR, 1);
	mmio_write32(gicc + GICC_PMR, 0xff);
	mmio_write32(gicc + GICC_CTLR, 1);
	irq_set_chip(&gicv2_chip);
}
