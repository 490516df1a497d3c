/* What the Pi 3 and Pi 4 share: the same peripherals at different addresses. */
#ifndef UK_PLATFORM_RPI_H
#define UK_PLATFORM_RPI_H

#include "drivers.h"

struct rpi_board {
	uintptr_t periph;      /* ARM physical address of the peripheral window */
	unsigned miniuart_irq; /* uk interrupt numbers */
	unsigned pl011_irq;
	uint32_t default_core_hz; /* when the mailbox cannot tell */
};

#define RPI_GPIO(b)    ((b)->periph + 0x200000)
#define RPI_PL011(b)   ((b)->periph + 0x201000)
#define RPI_AUX(b)     ((b)->periph + 0x215000)
#define RPI_MAILBOX(b) ((b)->periph + 0x00b880)

void rpi_console_init(const struct rpi_board *b, const char *choice);
void rpi_halt(int status);

#endif
