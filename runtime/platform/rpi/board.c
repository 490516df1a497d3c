/* What the Pi 3 and Pi 4 boards share beyond the console: memory size, USB network, halting. */
#include "drivers.h"
#include "netdev.h"
#include "rpi.h"

uint64_t rpi_ram_size(const struct rpi_board *b)
{
	bcm_mailbox_init(RPI_MAILBOX(b));
	return bcm_mailbox_arm_memory();
}

/* A CDC Ethernet device on USB (QEMU's usb-net). The boards' own Ethernet chips (LAN951x and
 * LAN7800 behind USB on the Pi 3, GENET on the Pi 4) are not driven yet. */
struct netdev *rpi_usb_netdev(const struct rpi_board *b)
{
	if (usb_start(RPI_USB(b), b->usb_irq, RPI_BUS_OFFSET) != 0)
		return NULL;
	return cdc_ecm_netdev();
}

void rpi_halt(int status)
{
	kprintf("uk: halted (exit status %d)\n", status);
	console_flush();
}
