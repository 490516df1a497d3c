/* Interrupt dispatch: one handler per interrupt number, over the board's interrupt controller. */
#include "kernel.h"

struct handler {
	void (*fn)(void *arg);
	void *arg;
};
static struct handler handlers[IRQ_MAX];
static const struct irq_chip *chip;
static uint64_t spurious;

void irq_set_chip(const struct irq_chip *c)
{
	chip = c;
}

/* Not from an interrupt handler for the same irq. */
void irq_register(unsigned irq, void (*fn)(void *arg), void *arg)
{
	if (irq >= IRQ_MAX || !chip)
		panic("irq_register: bad interrupt %u", irq);
	handlers[irq].fn = fn;
	handlers[irq].arg = arg;
	chip->enable(irq);
}

/* Called from vectors.S with IRQs masked, on the exception stack. */
void uk_irq_dispatch(void)
{
	for (;;) {
		unsigned irq = chip->ack();
		if (irq == IRQ_NONE)
			return;
		if (irq < IRQ_MAX && handlers[irq].fn)
			handlers[irq].fn(handlers[irq].arg);
		else
			spurious++;
		chip->eoi(irq);
	}
}
