/*
 * The Pi console on GPIO14/15 (header pins 8/10): the mini UART by default, as the firmware sets
 * it up with enable_uart=1; uk.console=pl011 switches the pins to the PL011 (ALT0) instead.
 * Under QEMU the first -serial is the PL011 and the second the mini UART.
 */
#include <string.h>

#include "rpi.h"

#define BAUD	       115200
#define PL011_CLOCK_HZ 48000000 /* the firmware's init_uart_clock default */

void rpi_console_init(const struct rpi_board *b, const char *choice)
{
	bcm_mailbox_init(RPI_MAILBOX(b));
	if (choice && strcmp(choice, "pl011") == 0) {
		bcm_gpio_set_function(RPI_GPIO(b), 14, GPIO_ALT0);
		bcm_gpio_set_function(RPI_GPIO(b), 15, GPIO_ALT0);
		uint32_t clock = bcm_mailbox_clock_rate(BCM_CLOCK_UART);
		console_attach(pl011_init(RPI_PL011(b), clock ? clock : PL011_CLOCK_HZ, BAUD),
			       b->pl011_irq);
		return;
	}
	bcm_gpio_set_function(RPI_GPIO(b), 14, GPIO_ALT5);
	bcm_gpio_set_function(RPI_GPIO(b), 15, GPIO_ALT5);
	uint32_t core = bcm_mailbox_clock_rate(BCM_CLOCK_CORE);
	console_attach(miniuart_init(RPI_AUX(b), core ? core : b->default_core_hz, BAUD),
		       b->miniuart_irq);
	if (choice && strcmp(choice, "miniuart") != 0)
		kprintf("uk: unknown uk.console=%s (use miniuart or pl011); using the mini UART\n",
			choice);
}
