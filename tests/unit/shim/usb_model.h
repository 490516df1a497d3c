/*
 * A fake USB bus for host tests of the USB class drivers (drivers/usb/smsc95xx.c, lan78xx.c).
 * It stands in for usb_core.c and dwc2.c and for the kernel services the drivers call
 * (usb_control, usb_submit, timers, irq_save, kprintf, the usb-net list), and hands every
 * vendor control request and bulk OUT transfer to a chip model the test supplies. Bulk and
 * interrupt IN transfers stay pending until the test completes them with model_in(), which is
 * when the driver's callback runs, "in interrupt context". The bytes of an IN buffer the
 * device did not write are poisoned for AddressSanitizer, so a driver that reads past what a
 * transfer delivered fails under ASan. Misuse the hardware would punish (a control transfer in
 * interrupt context, a transfer submitted twice, interrupts left masked) counts in
 * model_errors.
 */
#ifndef UK_TEST_USB_MODEL_H
#define UK_TEST_USB_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "netdev.h"
#include "usb.h"

struct chip_ops {
	/* A control request the bus did not answer itself (all but SET_CONFIGURATION): bytes
	 * moved, or -errno (-EPIPE is a STALL). */
	int (*control)(uint8_t type, uint8_t req, uint16_t value, uint16_t index, uint8_t *data,
		       uint16_t len);
	/* One completed bulk OUT transfer (a zero-length one included). */
	void (*bulk_out)(uint8_t ep, const uint8_t *data, uint32_t len);
};

/* Forgets everything (transfers, timers, registered netdevs, the log) and talks to ops. */
void model_reset(const struct chip_ops *ops);
/* A device at address 2 with this identity, as usb_core would hand it to probe(). */
struct usb_device *model_device(uint16_t vid, uint16_t pid, uint8_t speed);
/* A configuration descriptor with one vendor-class interface: bulk IN 0x81, bulk OUT 0x02
 * (mps bytes each) and interrupt IN 0x83 (16 bytes, bInterval interval). Its length. */
size_t model_config(uint8_t *buf, uint16_t mps, uint8_t interval);

/* The transfer outstanding on ep, or NULL. */
struct usb_xfer *model_pending(uint8_t ep);
/* Completes the IN transfer on ep with data (status 0): 0, or -1 when none is pending or
 * data does not fit. */
int model_in(uint8_t ep, const void *data, uint32_t len);
/* Completes the transfer on ep with an error status. */
int model_fail(uint8_t ep, int status);
/* Completes every pending OUT transfer (and the ones their callbacks submit), passing each to
 * the chip model: how many. */
unsigned model_run_out(void);
/* Lets time pass, firing due timers. */
void model_advance_ms(unsigned ms);
uint64_t model_now_ms(void);

/* usb-net list: the last netdev registered, its link check run as the usb-net thread would. */
struct netdev *model_netdev(void);
int model_link_check(void);
void model_set_board_mac(const uint8_t *mac); /* NULL: the board has none */

extern unsigned model_refuse;	    /* the next this many usb_submit calls fail with -EBUSY */
extern unsigned model_errors;	    /* misuse, see above */
extern unsigned model_link_events;  /* usb_net_link_event() calls */
extern unsigned model_config_value; /* the last SET_CONFIGURATION */
extern char model_log[16384];	    /* everything kprintf'd since model_reset */

#endif
