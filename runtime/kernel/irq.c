/* Interrupt dispatch: one handler per interrupt number, over the board's interrupt controller. */
#include <errno.h>

#include <uk/core.h>

#include "kernel.h"
#include "sysreg.h"

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

/* uk/core.h: an interrupt taken by another core. Its handler (registered on core 0 as usual)
 * then runs there, once that core unmasks interrupts (uk_core_irq_enable). */
int uk_core_irq_route(unsigned irq, unsigned core)
{
	if (core >= (unsigned)uk_core_count())
		return -EINVAL;
	if (irq >= IRQ_MAX || !chip)
		return -EINVAL;
	if (!chip->route)
		return -ENODEV;
	return chip->route(irq, core);
}

void uk_core_irq_enable(void)
{
	irq_enable();
}

/* No handler: the one per-core interrupt it is used for, the timer, has its own path below. */
void irq_local(unsigned irq, bool on)
{
	if (on)
		chip->enable(irq);
	else
		chip->disable(irq);
}

/* Called from vectors.S with IRQs masked, on the exception stack, on any core. */
void uk_irq_dispatch(void)
{
	bool other_core = uk_core_id() != 0;
	for (;;) {
		unsigned irq = chip->ack();
		if (irq == IRQ_NONE)
			return;
		if (other_core && irq == platform.timer_irq)
			core_timer_irq(); /* that core's own timer (uk_core_timer_start) */
		else if (irq < IRQ_MAX && handlers[irq].fn)
			handlers[irq].fn(handlers[irq].arg);
		else
			spurious++;
		chip->eoi(irq);
	}
}
