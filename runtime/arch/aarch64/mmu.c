/*
 * The MMU: one identity map, 4 KiB granule, 39-bit addresses starting at level 1 (Arm ARM D8).
 * Normal memory is write-back cacheable; devices are Device-nGnRE; code is read-only and
 * executable; read-only data is read-only; everything writable is execute-never; the page at 0
 * and the page under each stack stay unmapped so NULL and stack overflows fault.
 *
 * Runs before the MMU is on (all data accesses are Device then): compiled with -mstrict-align,
 * and it touches only aligned 8-byte table entries.
 */
#include "kernel.h"
#include "sysreg.h"
#include "sysreg_bits.h"

/* Descriptor bits (Arm ARM D8.3) */
#define PTE_VALID     (1ull << 0)
#define PTE_TABLE     (1ull << 1) /* at levels 1-2: next-level table; at level 3: page */
#define PTE_ATTR(i)   ((uint64_t)(i) << 2)
#define PTE_AP_RO     (2ull << 6) /* EL1 read-only */
#define PTE_SH_INNER  (3ull << 8)
#define PTE_AF	      (1ull << 10)
#define PTE_PXN	      (1ull << 53)
#define PTE_UXN	      (1ull << 54)
#define PTE_ADDR_MASK 0x0000fffffffff000ull

/* MAIR_EL1 attribute indexes */
#define ATTR_DEVICE 0 /* 0x04: Device-nGnRE */
#define ATTR_NORMAL 1 /* 0xff: Normal, inner/outer write-back, read/write-allocate */
#define MAIR_VALUE  ((0x04ull << (8 * ATTR_DEVICE)) | (0xffull << (8 * ATTR_NORMAL)))

enum prot { PROT_RX, PROT_RO, PROT_RW, PROT_DEVICE };

/* Not in .bss: zeroing every table at boot costs more than zeroing the few in use. */
#define MAX_TABLES 24
static uint64_t tables[MAX_TABLES][512]
    __attribute__((aligned(4096), section(".noinit.pagetables")));
static unsigned tables_used;

static uint64_t *new_table(void)
{
	if (tables_used == MAX_TABLES)
		uk_halt(
		    UK_EXIT_PANIC); /* no console yet: the map is static, so this is a build bug */
	uint64_t *t = tables[tables_used++];
	for (int i = 0; i < 512; i++)
		t[i] = 0;
	return t;
}

static uint64_t leaf_bits(enum prot p)
{
	switch (p) {
	case PROT_RX:
		return PTE_ATTR(ATTR_NORMAL) | PTE_SH_INNER | PTE_AP_RO | PTE_UXN;
	case PROT_RO:
		return PTE_ATTR(ATTR_NORMAL) | PTE_SH_INNER | PTE_AP_RO | PTE_UXN | PTE_PXN;
	case PROT_RW:
		return PTE_ATTR(ATTR_NORMAL) | PTE_SH_INNER | PTE_UXN | PTE_PXN;
	case PROT_DEVICE:
	default:
		return PTE_ATTR(ATTR_DEVICE) | PTE_UXN | PTE_PXN;
	}
}

/* Maps [addr, addr + size) 1:1 with protection p, using the largest blocks that fit. */
static void map(uintptr_t addr, uintptr_t size, enum prot p)
{
	uintptr_t end = addr + size;
	uint64_t bits = leaf_bits(p) | PTE_AF | PTE_VALID;
	while (addr < end) {
		uint64_t *table = tables[0];
		for (int level = 1; level <= 3; level++) {
			unsigned shift = 39 - 9 * level; /* 30, 21, 12 */
			uintptr_t block = (uintptr_t)1 << shift;
			uint64_t *e = &table[(addr >> shift) & 511];
			if (level == 3 || ((addr & (block - 1)) == 0 && end - addr >= block)) {
				*e = addr | bits | (level == 3 ? PTE_TABLE : 0);
				addr += block;
				break;
			}
			if (!(*e & PTE_VALID))
				*e = (uintptr_t)new_table() | PTE_TABLE | PTE_VALID;
			table = (uint64_t *)(uintptr_t)(*e & PTE_ADDR_MASK);
		}
	}
}

extern char __image_start[], __text_end[], __rodata_end[], __stack_guard[], __stack_bottom[],
    __exception_stack_guard[], __exception_stack_bottom[], __image_end[];

#define PAGE 4096u
#define A(x) ((uintptr_t)(x))

void mmu_init(uintptr_t fdt)
{
	new_table(); /* tables[0]: the level-1 root */
	for (const struct mem_region *r = platform.map; r->size; r++) {
		if (r->type == MEM_DEVICE) {
			map(r->base, r->size, PROT_DEVICE);
			continue;
		}
		/* RAM: leave page 0 unmapped (unless the device tree is there); cut the image out
		 * and map it section by section. */
		uintptr_t lo = r->base || (fdt && fdt < PAGE) ? r->base : PAGE;
		uintptr_t hi = r->base + r->size;
		if (A(__image_start) < lo || A(__image_end) > hi) {
			map(lo, hi - lo, PROT_RW);
			continue;
		}
		map(lo, A(__image_start) - lo, PROT_RW);
		map(A(__image_start), A(__text_end) - A(__image_start), PROT_RX);
		map(A(__text_end), A(__rodata_end) - A(__text_end), PROT_RO);
		map(A(__rodata_end), A(__stack_guard) - A(__rodata_end), PROT_RW);
		map(A(__stack_bottom), A(__exception_stack_guard) - A(__stack_bottom), PROT_RW);
		map(A(__exception_stack_bottom), A(__image_end) - A(__exception_stack_bottom),
		    PROT_RW);
		map(A(__image_end), hi - A(__image_end), PROT_RW);
	}

	mmu_enable();
}

/* Turns this core's MMU and caches on over the tables mmu_init built: core 0 at boot, cores 1-3
 * from entry.S when they start (kernel/core.c), so every core has the same map and attributes. */
void mmu_enable(void)
{
	/* Physical address size: what the CPU supports (ID_AA64MMFR0_EL1.PARange). */
	uint64_t ips = read_sysreg(id_aa64mmfr0_el1) & 7;
	uint64_t tcr = 25	      /* T0SZ: 39-bit addresses, walks start at level 1 */
		       | (1ull << 8)  /* IRGN0: write-back write-allocate */
		       | (1ull << 10) /* ORGN0: write-back write-allocate */
		       | (3ull << 12) /* SH0: inner shareable */
		       | (0ull << 14) /* TG0: 4 KiB */
		       | (1ull << 23) /* EPD1: no walks through TTBR1 */
		       | (ips << 32); /* IPS */
	write_sysreg(mair_el1, MAIR_VALUE);
	write_sysreg(tcr_el1, tcr);
	write_sysreg(ttbr0_el1, (uintptr_t)tables[0]);
	dsb(ish);
	__asm__ volatile("tlbi vmalle1" ::: "memory");
	dsb(ish);
	isb();
	/* Instruction cache invalidation is not needed: it holds nothing stale from before, the
	 * loader ran with caches off (and cores 1-3 never had theirs on). WXN makes any writable
	 * page execute-never as a second net. */
	uint64_t sctlr = read_sysreg(sctlr_el1);
	sctlr |= SCTLR_M | SCTLR_C | SCTLR_I | SCTLR_SA | SCTLR_WXN;
	write_sysreg(sctlr_el1, sctlr);
	isb();
}
