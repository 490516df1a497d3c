/* Register bit values used by entry.S and the MMU code (Arm ARM DDI 0487, chapter D13). */
#ifndef UK_ARCH_SYSREG_BITS_H
#define UK_ARCH_SYSREG_BITS_H

/* SCR_EL3 */
#define SCR_NS	 (1 << 0) /* lower ELs are non-secure */
#define SCR_RES1 (3 << 4)
#define SCR_SMD	 (1 << 7)  /* SMC disabled */
#define SCR_HCE	 (1 << 8)  /* HVC enabled */
#define SCR_RW	 (1 << 10) /* EL2 is AArch64 */

/* HCR_EL2 */
#define HCR_RW (1 << 31) /* EL1 is AArch64 */

/* CNTHCTL_EL2: EL1 access to the physical counter and timer */
#define CNTHCTL_EL1PCTEN (1 << 0)
#define CNTHCTL_EL1PCEN	 (1 << 1)

/* CPTR_EL2 with no traps (RES1 bits 13:12 and 9:0) */
#define CPTR_EL2_RES1 0x33ff

/* SPSR: target mode with D, A, I, F masked */
#define SPSR_EL1H_MASKED 0x3c5
#define SPSR_EL2H_MASKED 0x3c9

/* SCTLR_EL1 */
#define SCTLR_EL1_RES1 0x30d00800 /* RES1 bits: 29:28, 23:22, 20, 11 */
#define SCTLR_M	       (1 << 0)	  /* MMU */
#define SCTLR_C	       (1 << 2)	  /* data cache */
#define SCTLR_SA       (1 << 3)	  /* SP alignment check */
#define SCTLR_I	       (1 << 12)  /* instruction cache */
#define SCTLR_WXN      (1 << 19)  /* writable implies execute-never */

#endif
