/*
 * Powering the Pi's USB host before the DWC2 is started. The firmware leaves the USB power
 * domain to the OS: U-Boot (board/raspberrypi) and Linux (raspberrypi-power, domain "USB") ask
 * for it through the mailbox property channel before touching the controller. Without it a
 * Pi 3 B/B+ may show an empty root port: no hub, so no LAN9514/LAN7800 Ethernet behind it.
 *
 * The request and answer follow the firmware's "Mailbox property interface" (raspberrypi/
 * firmware wiki): tag 0x00028001 "Set power state", device id 3 "USB HCD", state bit 0 on,
 * bit 1 wait; in the answer bit 0 is "on" and bit 1 "device does not exist". A failure is
 * reported and USB is started anyway: the controller may have been powered by an earlier stage.
 */
#include "rpi.h"

/* Thread context, before usb_start(); the mailbox is set up by rpi_console_init(). Returns 0
 * when the firmware says the USB host is on, -1 otherwise (said on the console). */
int rpi_usb_power_on(void)
{
	uint32_t state = 0;
	if (bcm_mailbox_set_power(BCM_POWER_USB_HCD, BCM_POWER_ON | BCM_POWER_WAIT, &state) != 0) {
		kprintf("usb: power: the firmware did not answer the power-on request; "
			"starting USB anyway\n");
		return -1;
	}
	if (state & BCM_POWER_NO_DEVICE) {
		kprintf("usb: power: the firmware knows no USB host (state 0x%x); starting USB "
			"anyway\n",
			state);
		return -1;
	}
	if (!(state & BCM_POWER_ON)) {
		kprintf("usb: power: the firmware left the USB host off (state 0x%x); starting USB "
			"anyway\n",
			state);
		return -1;
	}
	kprintf("usb: power: on (firmware)\n");
	return 0;
}
