/* Host stand-in for runtime/arch/aarch64/sysreg.h: the USB drivers only mask interrupts, and
 * the fake USB bus (usb_model.c) checks they do it in pairs and never across a control transfer. */
#ifndef UK_TEST_SYSREG_H
#define UK_TEST_SYSREG_H
#include <stdint.h>
uint64_t irq_save(void);
void irq_restore(uint64_t flags);
#endif
