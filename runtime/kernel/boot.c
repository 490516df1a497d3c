/*
 * From entry.S to main(): copy the device tree out of the way, MMU and caches on, TLS for
 * picolibc, read the device tree (or ask the board), parse the boot arguments, heap, console,
 * interrupts, clock; then main(), whose return value is the exit status.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uk/config.h>
#include <uk/system.h>
#include <uk/time.h>

#include <libfdt.h>

#include "kernel.h"
#include "semihost.h"
#include "sysreg.h"

extern int main(int argc, char **argv);
/* The app's name, argv[0]: uk build links it in (a one-line C file); "app" without it. */
extern const char uk_app_name[] __attribute__((weak));
extern void _init_tls(void *tls);
extern void _set_tls(void *tls);
extern char __tls_main[], __image_end[];
/* In net/autostart.c, which lwip_port/sys_arch.c links in: weak, so only apps that link lwIP
 * pay for it. */
extern void uk_net_autostart(void) __attribute__((weak));
/* In kernel/random.c: weak, so only apps that draw randomness probe the hardware RNG. */
extern void uk_random_init(void) __attribute__((weak));
/* In update/update.c: weak, so only apps that use uk/update.h's slots read the card at boot. */
extern void uk_update_boot(void) __attribute__((weak));
extern void uk_update_halt(void) __attribute__((weak));

struct bootargs uk_bootargs;
struct heap uk_heap;
bool uk_under_qemu;
const void *uk_fdt;
static struct uk_system sys;
static int call_main(void);

#define FDT_MAGIC_BE 0xedfe0dd0u /* 0xd00dfeed as read little-endian */
#define FDT_MAX_SIZE (2u << 20)

static uint32_t be32(uint32_t v)
{
	return __builtin_bswap32(v);
}

/*
 * Runs with the MMU off (every access is a Device access: aligned words only). The loader put
 * the device tree somewhere in RAM; check that x0 really points at one and get its size. It is
 * read in place; the heap is laid out around it.
 */
static const void *early_fdt_check(uintptr_t fdt, uint32_t *size)
{
	if (!fdt || (fdt & 7) || fdt < platform.ram_base || fdt >= platform.ram_limit)
		return NULL;
	const volatile uint32_t *hdr = (const volatile uint32_t *)fdt;
	if (hdr[0] != FDT_MAGIC_BE)
		return NULL;
	*size = be32(hdr[1]);
	if (*size < 40 || *size > FDT_MAX_SIZE || fdt + *size > platform.ram_limit)
		return NULL;
	return (const void *)fdt;
}

/*
 * With the MMU on: move the device tree to just after the image, unpadded (QEMU pads it to 1 MiB
 * and puts it mid-RAM; the Pi firmware puts it high), so the heap is one range after it.
 * Returns the new end of used memory.
 */
static uintptr_t fdt_relocate(const void **fdt)
{
	uintptr_t dst = ((uintptr_t)__image_end + 7) & ~(uintptr_t)7;
	if (!*fdt)
		return dst;
	uintptr_t src = (uintptr_t)*fdt;
	uint32_t need = fdt_off_dt_struct(*fdt) + fdt_size_dt_struct(*fdt);
	if (fdt_off_dt_strings(*fdt) + fdt_size_dt_strings(*fdt) > need)
		need = fdt_off_dt_strings(*fdt) + fdt_size_dt_strings(*fdt);
	if (need > fdt_totalsize(*fdt) || (src < dst + need && dst < src + fdt_totalsize(*fdt)))
		return src + fdt_totalsize(*fdt) > dst ? src + fdt_totalsize(*fdt) : dst;
	/* Header, reserve map, structure and strings all lie in [0, need): copy just that. */
	memcpy((void *)dst, *fdt, need);
	fdt_set_totalsize((void *)dst, need);
	*fdt = (const void *)dst;
	return dst + fdt_totalsize(*fdt);
}

/* Boot-argument problems are found before the console exists: keep them for later. */
static char warnings[512];
static size_t warnings_len;
static void keep_warning(const char *arg, size_t len, const char *why)
{
	char line[160];
	int n = snprintf(line, sizeof(line), "uk: ignoring boot argument '%.*s': %s\n",
			 (int)(len > 60 ? 60 : len), arg, why);
	if (n > 0 && warnings_len + (size_t)n < sizeof(warnings)) {
		memcpy(warnings + warnings_len, line, (size_t)n);
		warnings_len += (size_t)n;
	}
}

/*
 * Boot phases, stamped with the counter (one MRS and a store each, no branches: cheap enough to
 * keep) and printed before main with the boot argument uk.boottrace, to see where boot time
 * goes. Under QEMU it goes mostly to TCG translating code that runs once (~5 us per basic
 * block), so fewer distinct code paths before main is what makes boot faster.
 */
enum { PH_MMU, PH_FDT, PH_DT, PH_ARGS, PH_IRQ, PH_CONSOLE, PH_CLOCK, PH_COUNT };
static const char *const phase_name[PH_COUNT] = {"mmu", "fdt-move", "dt-read", "mem+args",
						 "irq", "console",  "clock"};
static uint64_t phase_end[PH_COUNT];
#define PHASE_DONE(p) (phase_end[p] = read_sysreg(cntvct_el0))

static void boot_trace(uint64_t entry_ticks)
{
	uint64_t prev = entry_ticks;
	kprintf("uk: boot phases (us):");
	for (int i = 0; i < PH_COUNT; i++) {
		kprintf(
		    " %s %llu", phase_name[i],
		    (unsigned long long)((ticks_to_ns(phase_end[i]) - ticks_to_ns(prev)) / 1000));
		prev = phase_end[i];
	}
	kprintf("\n");
}

__attribute__((noreturn)) void uk_boot(uintptr_t fdt_phys, uint64_t entry_ticks)
{
	uint32_t fdt_size = 0;
	const void *fdt = early_fdt_check(fdt_phys, &fdt_size);
	mmu_init(fdt ? fdt_phys : 0);
	PHASE_DONE(PH_MMU);
	uintptr_t heap_start = fdt_relocate(&fdt);
	_init_tls(__tls_main);
	_set_tls(__tls_main);
	PHASE_DONE(PH_FDT);

	struct dt_info dt;
	if (!fdt || dt_read(fdt, FDT_MAX_SIZE, &dt) != 0) {
		memset(&dt, 0, sizeof(dt));
		fdt = NULL;
	}
	uk_fdt = fdt;
	PHASE_DONE(PH_DT);
	if (dt.mem_size == 0 && platform.ram_size_fallback) {
		dt.mem_base = platform.ram_base;
		dt.mem_size = platform.ram_size_fallback();
	}
	bootargs_parse(&uk_bootargs, dt.bootargs, keep_warning);
	uk_under_qemu = uk_config_bool("uk.qemu", false);

	uintptr_t ram_end = dt.mem_base + dt.mem_size;
	if (ram_end > platform.ram_limit)
		ram_end = platform.ram_limit;
	heap_init(&uk_heap, heap_start, ram_end);
	PHASE_DONE(PH_ARGS);

	platform.irq_init();
	PHASE_DONE(PH_IRQ);
	platform.console_init(uk_config_get("uk.console"));
	console_write(warnings, warnings_len);
	if (dt.mem_size == 0)
		console_puts("uk: warning: no memory size from the device tree or the board\n");
	PHASE_DONE(PH_CONSOLE);
	clock_init();
	irq_enable();
	PHASE_DONE(PH_CLOCK);

	sys.target = platform.target;
	sys.model = dt.model ? dt.model : platform.target;
	sys.ram_base = dt.mem_base;
	sys.ram_size = dt.mem_size;
	sys.heap_size = uk_heap.end - uk_heap.start;
	sys.counter_hz = timer_hz();
	sys.entry_ns = ticks_to_ns(entry_ticks);
	if (uk_config_bool("uk.boottrace", false))
		boot_trace(entry_ticks);
	sys.main_ns = uk_now_ns();

	board_boot();
	walltime_boot();
	if (uk_random_init)
		uk_random_init();
	if (uk_update_boot)
		uk_update_boot();
	if (uk_net_autostart)
		uk_net_autostart();
	exit(call_main());
}

/* main(argc, argv): argv[0] is the app's name, the rest the boot argument app.args split as a
 * shell would (app.args="-d 'a file'"). An app with main(void) ignores them. */
static int call_main(void)
{
	static char words[BOOTARG_VALUE_MAX + 1];
	static char *argv[BOOTARG_VALUE_MAX / 2 + 3];
	argv[0] = (char *)(uk_app_name ? uk_app_name : "app");
	int argc = 1;
	const char *args = uk_config_get("app.args");
	if (args) {
		int n = bootargs_split(args, words, sizeof words, argv + 1,
				       (int)(sizeof argv / sizeof *argv) - 2);
		if (n < 0)
			console_puts("uk: app.args: unterminated quote or too long; main gets no "
				     "arguments\n");
		else
			argc += n;
	}
	argv[argc] = NULL;
	return main(argc, argv);
}

const struct uk_system *uk_system(void)
{
	return &sys;
}

/* ---- stopping ---- */
__attribute__((noreturn)) void uk_halt(int status)
{
	if (uk_update_halt) /* a trial that stops resets into the previous version instead */
		uk_update_halt();
	irq_disable();
	console_flush();
	if (uk_under_qemu)
		semihost_exit(status);
	platform.halt(status);
	for (;;)
		wfi();
}
