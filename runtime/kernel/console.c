/*
 * The console: output goes straight to the board's UART (polled, so a panic can always print);
 * input arrives by interrupt into a ring buffer that console_getc() drains, sleeping in WFI
 * while it is empty.
 */
#include <stdarg.h>
#include <stdio.h>

#include <uk/core.h>
#include <uk/thread.h>

#include "kernel.h"
#include "sysreg.h"

static const struct uart_ops *uart;
static char rx_ring[256];
static volatile unsigned rx_head, rx_tail; /* head: written by the IRQ handler */
static uint64_t rx_dropped;
static struct uk_sem rx_sem; /* posted by the receive interrupt */

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
	uk_sem_post(&rx_sem);
}

void console_attach(const struct uart_ops *ops, unsigned irq)
{
	uart = ops;
	uk_sem_init(&rx_sem, 0);
	if (irq != IRQ_NONE && ops->rx_irq_on) {
		irq_register(irq, console_rx_irq, NULL);
		ops->rx_irq_on();
	}
}

/* Once other cores run (a fault dump can come from any), one write at a time. The wait is
 * bounded: a core that failed while holding the lock must not silence the others for good. */
static struct uk_spinlock write_lock;

void console_write(const char *s, size_t n)
{
	if (!uart)
		return;
	bool locked = false;
	uint64_t daif = 0;
	if (cores_started) {
		daif = irq_save();
		for (unsigned spins = 0;
		     !(locked = uk_spin_trylock(&write_lock)) && spins < 10000000; spins++)
			__asm__ volatile("yield");
	}
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			uart->put_byte('\r');
		uart->put_byte(s[i]);
	}
	if (locked)
		uk_spin_unlock(&write_lock);
	if (cores_started)
		irq_restore(daif);
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

/* Thread context: blocks this thread (others run) until a byte arrives. */
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
		irq_restore(daif);
		uk_sem_wait(&rx_sem, 0);
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
