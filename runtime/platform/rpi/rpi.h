/* What the Pi 3 and Pi 4 share: the same peripherals at different addresses. */
#ifndef UK_PLATFORM_RPI_H
#define UK_PLATFORM_RPI_H

#include "drivers.h"

struct rpi_board {
	uintptr_t periph;      /* ARM physical address of the peripheral window */
	unsigned miniuart_irq; /* uk interrupt numbers */
	unsigned pl011_irq;
	unsigned usb_irq;	  /* the DWC2 controller: VideoCore IRQ 9 */
	uint32_t default_core_hz; /* when the mailbox cannot tell */
};

#define RPI_GPIO(b)    ((b)->periph + 0x200000)
#define RPI_PL011(b)   ((b)->periph + 0x201000)
#define RPI_AUX(b)     ((b)->periph + 0x215000)
#define RPI_MAILBOX(b) ((b)->periph + 0x00b880)
#define RPI_PM(b)      ((b)->periph + 0x100000) /* power management: reset and watchdog */
#define RPI_USB(b)     ((b)->periph + 0x980000)
/* The VideoCore bus address of physical 0 (its uncached alias): what DMA masters are given. */
#define RPI_BUS_OFFSET 0xc0000000u

void rpi_console_init(const struct rpi_board *b, const char *choice);
void rpi_halt(int status);
uint64_t rpi_ram_size(const struct rpi_board *b);	  /* from the mailbox */
struct netdev *rpi_usb_netdev(const struct rpi_board *b); /* any USB NIC on the DWC2 */
int rpi_usb_power_on(void);				  /* usb_power.c */
void rpi_board_attach(const struct rpi_board *b);	  /* board services: mailbox, PM block */
extern const struct board_ops rpi_board_ops;
const struct i2c_bus_ops *rpi_i2c(const struct rpi_board *b); /* i2c.c: BSC0 and BSC1 */
const struct spi_bus_ops *rpi_spi(const struct rpi_board *b); /* spi.c: SPI0 */
const struct rtc_ops *rpi_rtc(void); /* rtc.c: an I2C RTC when uk.rtc declares one */

#endif
