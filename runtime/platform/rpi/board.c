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
		/* the class drivers, in the order a new device is offered to them */
		usb_add_driver(&usb_hub_driver);
		usb_add_driver(&cdc_ecm_driver);
		usb_add_driver(&smsc95xx_driver);
		usb_add_driver(&lan78xx_driver);
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

/* The Pi's board services (uk/board.h): the PM block's reset and watchdog, the firmware's
 * identity through the mailbox. */
void rpi_board_attach(const struct rpi_board *b)
{
	bcm_mailbox_init(RPI_MAILBOX(b));
	bcm2835_pm_init(RPI_PM(b));
}

static void rpi_reset(void)
{
	bcm2835_pm_reset(false);
	for (;;) /* the reset comes within microseconds */
		;
}

static void rpi_power_off(void)
{
	bcm2835_pm_reset(true); /* the firmware sees "halt" and stays off */
	for (;;)
		;
}

static int rpi_serial(uint64_t *serial)
{
	return bcm_mailbox_board_serial(serial);
}

static int rpi_revision(uint32_t *revision)
{
	return bcm_mailbox_board_revision(revision);
}

static int rpi_temperature(int32_t *millicelsius)
{
	return bcm_mailbox_temperature(millicelsius);
}

const struct board_ops rpi_board_ops = {
    .reset = rpi_reset,
    .power_off = rpi_power_off,
    .watchdog_start = bcm2835_pm_watchdog_start,
    .watchdog_feed = bcm2835_pm_watchdog_feed,
    .watchdog_stop = bcm2835_pm_watchdog_stop,
    .watchdog_max_ms = bcm2835_pm_watchdog_max_ms,
    .serial = rpi_serial,
    .revision = rpi_revision,
    .temperature = rpi_temperature,
    .set_tryboot = bcm_mailbox_set_tryboot,
};
