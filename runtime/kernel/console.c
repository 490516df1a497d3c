/*
 * The console: output goes straight to the board's UART (polled, so a panic can always print);
 * input arrives by interrupt into a ring buffer that console_getc() drains, sleeping in WFI
 * while it is empty.
 */
#include <stdarg.h>
#include <stdio.h>

#include "kernel.h"
#include "sysreg.h"

static const struct uart_ops *uart;
static char rx_ring[256];
static volatile unsigned rx_head, rx_tail; /* head: written by the IRQ handler */
static uint64_t rx_dropped;

/* Interrupt handler: move every received byte into the ring. */
static void console_rx_irq(void *arg)
{
	(void)arg;
	int c;
	while ((c = uart->get_byte()) >= 0) {
		unsigned next = (rx_head + 1) % sizeof(rx_ring);
		if (next == rx_tail) {
			rx_dropped++;
			continue;
		}
		rx_ring[rx_head] = (char)c;
		rx_head = next;
	}
}

void console_attach(const struct uart_ops *ops, unsigned irq)
{
	uart = ops;
	if (irq != IRQ_NONE && ops->rx_irq_on) {
		irq_register(irq, console_rx_irq, NULL);
		ops->rx_irq_on();
	}
}

void console_write(const char *s, size_t n)
{
	if (!uart)
		return;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			uart->put_byte('\r');
		uart->put_byte(s[i]);
	}
}

void console_puts(const char *s)
{
	while (*s)
		console_write(s++, 1);
}

void console_flush(void)
{
	if (uart && uart->flush)
		uart->flush();
}

/* Not from an interrupt handler: it sleeps. */
int console_getc(void)
{
	for (;;) {
		uint64_t daif = irq_save();
		if (rx_tail != rx_head) {
			char c = rx_ring[rx_tail];
			rx_tail = (rx_tail + 1) % sizeof(rx_ring);
			irq_restore(daif);
			return (unsigned char)c;
		}
		/* WFI wakes on a pending interrupt even while masked; restoring takes it. */
		wfi();
		irq_restore(daif);
	}
}

void kprintf(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	if (n > 0)
		console_write(buf, (size_t)n);
}
