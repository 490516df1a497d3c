/*
 * What the Pi 3 and Pi 4 boards share beyond the console: memory size, USB network, halting.
 * The USB network device is whichever class driver took it (drivers/usb/usb.h): CDC-ECM for
 * QEMU's usb-net, smsc95xx for the Pi 3B's LAN9514, lan78xx for the Pi 3B+'s LAN7800. The last
 * two are written from the datasheets and tested against host models, not yet run on a board.
 */
#include "drivers.h"
#include "netdev.h"
#include "rpi.h"
#include "usb/usb.h"

uint64_t rpi_ram_size(const struct rpi_board *b)
{
	bcm_mailbox_init(RPI_MAILBOX(b));
	return bcm_mailbox_arm_memory();
}

/* The network device on the DWC2's USB bus, once the firmware powered the bus (usb_power.c).
 * A chip without an EEPROM (the Pi's never have one) takes the address the firmware assigned
 * the board, from the mailbox. */
struct netdev *rpi_usb_netdev(const struct rpi_board *b)
{
	static bool asked; /* usb_start() runs once; so does its power-on */
	usb_net_set_mac_source(bcm_mailbox_board_mac);
	if (!asked) {
		asked = true;
		rpi_usb_power_on();
	}
	if (usb_start(RPI_USB(b), b->usb_irq, RPI_BUS_OFFSET) != 0)
		return NULL;
	return usb_netdev();
}

/* Cores 1-3's spin-table release addresses: the device trees' cpu-release-addr (bcm2837-rpi-3-b,
 * bcm2711-rpi-4-b), where the firmware's armstub8 and QEMU's raspi boot code wait for an entry
 * point. entry.S sends the cores to its WFI park through them. */
const uint64_t uk_cpu_release[3] = {0xe0, 0xe8, 0xf0};

void rpi_halt(int status)
{
	kprintf("uk: halted (exit status %d)\n", status);
	console_flush();
}
