/*
 * Fatal paths: panic() and every exception other than an IRQ. Prints what happened, the
 * registers and a frame-pointer backtrace (`  #N 0xADDR` lines that `uk run` symbolises from
 * app.elf), then stops the machine with status 134 (QEMU exits with it under `uk run`).
 */
#include <stdarg.h>
#include <stdio.h>

#include <uk/core.h>

#include "kernel.h"
#include "sysreg.h"

struct uk_regs {
	uint64_t x[31];
	uint64_t sp, elr, spsr, esr, far;
};

extern char __stack_guard[], __stack_bottom[], __stack_top[], __exception_stack_guard[],
    __exception_stack_bottom[], __exception_stack_top[], __image_start[], __text_end[];

static bool in(uint64_t a, const char *lo, const char *hi)
{
	return a >= (uintptr_t)lo && a < (uintptr_t)hi;
}

static bool on_a_stack(uint64_t a)
{
	return in(a, __stack_bottom, __stack_top) ||
	       in(a, __exception_stack_bottom, __exception_stack_top) || thread_stack_contains(a) ||
	       core_stack_contains(a);
}

/* Walks AAPCS64 frame records {previous fp, return address}; prints call sites. */
static void backtrace(uint64_t pc, uint64_t fp)
{
	console_puts("backtrace:\n");
	int n = 0;
	if (pc)
		kprintf("  #%d 0x%llx\n", n++, (unsigned long long)pc);
	while (n < 32 && fp && (fp & 7) == 0 && on_a_stack(fp) && on_a_stack(fp + 8)) {
		const uint64_t *frame = (const uint64_t *)(uintptr_t)fp;
		uint64_t ra = frame[1];
		if (!in(ra, __image_start, __text_end))
			break;
		kprintf("  #%d 0x%llx\n", n++, (unsigned long long)(ra - 4)); /* the call itself */
		if (frame[0] <= fp)
			break; /* frames grow towards higher addresses; anything else is corrupt */
		fp = frame[0];
	}
}

static const char *class_name(unsigned ec)
{
	switch (ec) {
	case 0x00:
		return "undefined instruction";
	case 0x07:
		return "FP/SIMD access trapped";
	case 0x15:
		return "SVC";
	case 0x20:
	case 0x21:
		return "instruction abort";
	case 0x22:
		return "PC alignment fault";
	case 0x24:
	case 0x25:
		return "data abort";
	case 0x26:
		return "SP alignment fault";
	case 0x2f:
		return "SError";
	case 0x3c:
		return "BRK instruction";
	default:
		return "exception";
	}
}

/* Data and instruction fault status codes (Arm ARM, ESR_ELx.ISS, DFSC/IFSC). */
static void describe_abort(const struct uk_regs *r, unsigned ec)
{
	unsigned fsc = r->esr & 0x3f;
	unsigned level = fsc & 3;
	bool write = ec == 0x25 && (r->esr & (1u << 6));
	const char *what = "fault";
	if ((fsc & 0x3c) == 0x04)
		what = "translation fault (address not mapped)";
	else if ((fsc & 0x3c) == 0x08)
		what = "access flag fault";
	else if ((fsc & 0x3c) == 0x0c)
		what = "permission fault";
	else if (fsc == 0x21)
		what = "alignment fault";
	else if (fsc == 0x10)
		what = "synchronous external abort";
	kprintf("  %s, level %u, on %s of 0x%llx\n", what, level,
		ec >= 0x24 ? (write ? "write" : "read") : "instruction fetch",
		(unsigned long long)r->far);
	if (in(r->far, __stack_guard, __stack_bottom) ||
	    in(r->far, __exception_stack_guard, __exception_stack_bottom))
		console_puts("  the address is a stack guard page: stack overflow\n");
	else if (r->far < 4096)
		console_puts("  the address is in page 0: NULL pointer dereference\n");
}

/* Once other cores run, every dump names the core it comes from. */
static const char *on_core(char buf[16])
{
	if (!cores_started)
		return "";
	snprintf(buf, 16, " on core %u", uk_core_id());
	return buf;
}

/* Called from vectors.S on the exception stack, IRQs masked. kind: 0 sync, 2 FIQ, 3 SError;
 * +0x10 when taken on the exception stack itself, +0x20/+0x30 from a lower level. */
__attribute__((noreturn)) void uk_fatal_exception(struct uk_regs *r, unsigned kind)
{
	core_fatal_enter();
	unsigned ec = (r->esr >> 26) & 0x3f;
	const char *where = kind >= 0x10 ? " inside an exception handler" : "";
	char core[16];
	if ((kind & 0xf) == 0)
		kprintf("\nuk: panic: %s (EC 0x%02x)%s%s\n", class_name(ec), ec, where,
			on_core(core));
	else
		kprintf("\nuk: panic: %s%s%s\n", (kind & 0xf) == 2 ? "FIQ" : "SError", where,
			on_core(core));
	kprintf("  ESR 0x%08llx  FAR 0x%016llx  ELR 0x%016llx  SPSR 0x%08llx\n",
		(unsigned long long)r->esr, (unsigned long long)r->far, (unsigned long long)r->elr,
		(unsigned long long)r->spsr);
	if ((kind & 0xf) == 0 && (ec == 0x20 || ec == 0x21 || ec == 0x24 || ec == 0x25))
		describe_abort(r, ec);
	for (int i = 0; i < 31; i += 2) {
		if (i == 30)
			kprintf("  x30 0x%016llx  sp  0x%016llx\n", (unsigned long long)r->x[30],
				(unsigned long long)r->sp);
		else
			kprintf("  x%-2d 0x%016llx  x%-2d 0x%016llx\n", i,
				(unsigned long long)r->x[i], i + 1,
				(unsigned long long)r->x[i + 1]);
	}
	backtrace(r->elr, r->x[29]);
	uk_halt(UK_EXIT_PANIC);
}

__attribute__((noreturn)) void panic(const char *fmt, ...)
{
	irq_disable();
	core_fatal_enter();
	char buf[200], core[16];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	kprintf("\nuk: panic%s: %s\n", on_core(core), buf);
	backtrace(0, (uint64_t)(uintptr_t)__builtin_frame_address(0));
	uk_halt(UK_EXIT_PANIC);
}
