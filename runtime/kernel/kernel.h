/* Internal interfaces between the runtime's subsystems (not for apps: see include/uk/). */
#ifndef UK_KERNEL_H
#define UK_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- platform: implemented once per board in platform/<board>/platform.c ---- */
enum mem_type { MEM_NORMAL, MEM_DEVICE };
struct mem_region {
	uintptr_t base;
	uintptr_t size;
	enum mem_type type;
};
struct platform {
	const char *target;			  /* "virt", "rpi3", "rpi4" */
	const struct mem_region *map;		  /* physical memory map, ends with size 0 */
	uintptr_t ram_base, ram_limit;		  /* the RAM window uk may use */
	unsigned timer_irq;			  /* the generic timer's virtual timer interrupt */
	void (*irq_init)(void);			  /* set up the interrupt controller */
	void (*console_init)(const char *choice); /* choice: uk.console= value or NULL */
	uint64_t (*ram_size_fallback)(void); /* when the device tree gives none (Pi: mailbox) */
	void (*halt)(int status);	     /* hardware stop (no semihosting) */
	const struct board_ops *board;	     /* reset, watchdog, identity (kernel/board.c) */
	/* Cores (kernel/core.c): how many the board has when the device tree does not say; how
	 * core n (1-3) is started once its boot block is in uk_core_go[n] (entry: secondary_entry's
	 * physical address; 0 or -ENODEV, -EBUSY); on the started core, how it clears the wake-up
	 * (NULL: nothing to clear). */
	unsigned cores;
	int (*core_wake)(unsigned core, uintptr_t entry);
	void (*core_woken)(unsigned core);
};
extern const struct platform platform;

/* What kernel/board.c (uk/board.h) asks of a board. A NULL member: the board has none. */
struct board_ops {
	void (*reset)(void);	 /* starts the board again; returns only if it could not */
	void (*power_off)(void); /* stops it for good; returns only if it could not */
	int (*watchdog_start)(uint32_t timeout_ms);
	int (*watchdog_feed)(void);
	void (*watchdog_stop)(void);
	uint32_t (*watchdog_max_ms)(void);
	int (*serial)(uint64_t *serial); /* 0 or -1 */
	int (*revision)(uint32_t *revision);
	int (*temperature)(int32_t *millicelsius);
	/* the next reset boots the firmware's tryboot choice, once (docs/update.md) */
	int (*set_tryboot)(void);
};
void board_boot(void); /* reads and resets the reset record: before main */

/* ---- interrupt controller (drivers/gic*.c, drivers/bcm2836_intc.c) ---- */
struct irq_chip {
	/* a per-core interrupt (the timer's) is switched for the calling core only */
	void (*enable)(unsigned irq);
	void (*disable)(unsigned irq);
	unsigned (*ack)(void); /* returns IRQ_NONE when nothing is pending */
	void (*eoi)(unsigned irq);
	/* sends irq to core n's CPU interface instead of core 0's; NULL: the chip cannot */
	int (*route)(unsigned irq, unsigned core);
};
#define IRQ_NONE 0xffffffffu
#define IRQ_MAX	 256
void irq_set_chip(const struct irq_chip *chip);
void irq_register(unsigned irq, void (*handler)(void *arg), void *arg);
/* A per-core interrupt (a GIC PPI, a BCM2836 local source) on or off for the calling core only,
 * no handler: cores 1-3's timer (kernel/core.c), which uk_irq_dispatch sends to core_timer_irq
 * when it comes on a core other than 0. */
void irq_local(unsigned irq, bool on);
void core_timer_irq(void);

/* ---- console (kernel/console.c over drivers/pl011.c, drivers/miniuart.c) ---- */
struct uart_ops {
	void (*put_byte)(char c); /* waits for FIFO space */
	int (*get_byte)(void);	  /* -1 when the receive FIFO is empty */
	void (*rx_irq_on)(void);  /* raise an interrupt when a byte arrives */
	void (*flush)(void);	  /* wait until every byte left the wire */
};
void console_attach(const struct uart_ops *ops, unsigned irq);
void console_write(const char *s, size_t n);
void console_puts(const char *s);
int console_getc(void); /* blocks (WFI) until a byte arrives */
void console_flush(void);
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- generic timer (arch/aarch64/timer.c) ---- */
uint64_t timer_ticks(void);
uint64_t timer_hz(void);
void timer_set_deadline(uint64_t ticks); /* one-shot, virtual timer */
void timer_disarm(void);
void clock_init(void);
uint64_t ticks_to_ns(uint64_t ticks);
uint64_t ns_to_ticks(uint64_t ns);

/* ---- MMU (arch/aarch64/mmu.c) ---- */
void mmu_init(uintptr_t fdt); /* fdt: keep its page mapped even if it is page 0 */
void mmu_enable(void);	      /* this core's MMU on over mmu_init's tables (every core) */

/* ---- boot arguments (kernel/bootargs.c): pure, host-testable ---- */
#define BOOTARGS_MAX	  128
#define BOOTARG_KEY_MAX	  63
#define BOOTARG_VALUE_MAX 255
#define BOOTARGS_LEN_MAX  4096
struct bootargs {
	size_t count;
	const char *key[BOOTARGS_MAX];
	const char *value[BOOTARGS_MAX];
	char buf[BOOTARGS_LEN_MAX + BOOTARGS_MAX];
};
typedef void (*bootargs_warn_fn)(const char *arg, size_t len, const char *why);
void bootargs_parse(struct bootargs *ba, const char *cmdline, bootargs_warn_fn warn);
const char *bootargs_get(const struct bootargs *ba, const char *key);
/* Splits s into words as a shell would (blanks separate; '...' and "..." quote; a backslash
 * escapes the next character, except inside '...'), into buf[size], pointers in argv[max]:
 * the number of words, or -1 for an unterminated quote or too many words or characters. */
int bootargs_split(const char *s, char *buf, size_t size, char **argv, int max);

/* ---- device tree (kernel/devicetree.c over libfdt): pure, host-testable ---- */
struct dt_info {
	uint64_t mem_base, mem_size; /* first /memory range; size 0 when absent */
	const char *bootargs;	     /* /chosen/bootargs or NULL */
	const char *model;	     /* /model or NULL */
};
int dt_read(const void *fdt, size_t max_size, struct dt_info *out); /* 0 or -errno */
/* The /psci method of a tree dt_read accepted: 1 hvc, 0 smc, -1 none. Asked only when needed
 * (at power-off), as it may walk the whole tree. */
int dt_psci_method(const void *fdt);
/* The cores the tree lists under /cpus (device_type "cpu", not disabled): 0 when none. */
int dt_cpu_count(const void *fdt);
/* Whether the tree has a node compatible with `compatible` whose status is okay (or absent):
 * the Pi firmware and QEMU's raspi machines disable or remove nodes of devices that are not
 * there, and reading an absent device's registers can abort. Any context. */
bool dt_device_enabled(const void *fdt, const char *compatible);
/* /chosen/bootloader's "partition" and "tryboot" (the Pi 4 firmware's, or tests/tools/
 * pi_firmware.py's on virt): 0, or -ENOENT when the firmware gave none. */
int dt_bootloader(const void *fdt, uint32_t *partition, uint32_t *tryboot);

/* ---- heap (kernel/heap.c): pure, host-testable ---- */
struct heap {
	uintptr_t start, brk, end;
};
void heap_init(struct heap *h, uintptr_t start, uintptr_t end);
void *heap_grow(struct heap *h, intptr_t incr); /* sbrk semantics; (void *)-1 when out */
extern struct heap uk_heap;

/* ---- exit paths and boot state (uk_halt, uk_under_qemu, uk_fdt: kernel/boot.c; panic:
 * kernel/panic.c) ---- */
#define UK_EXIT_PANIC 134
__attribute__((noreturn)) void uk_halt(int status);
__attribute__((noreturn)) void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern bool uk_under_qemu;
extern const void *uk_fdt; /* the device tree, once dt_read accepted it; else NULL */

/* ---- hardware random number generators (drivers/virtio_rng.c, bcm2835_rng.c, iproc_rng200.c)
 * behind kernel/random.c (the API is include/uk/random.h) ---- */
struct rng_dev {
	const char *name;
	/* Fills buf with n bytes from the hardware: 0, or -ETIMEDOUT (no data within the driver's
	 * bound) or -EIO (the device reports a failure). Thread context. */
	int (*read)(void *buf, size_t n);
};
const struct rng_dev *rng_probe(void); /* platform: the board's RNG, set up once; or NULL */

/* ---- GPIO (drivers/bcm_gpio.c, drivers/pl061.c) behind kernel/gpio.c (the API is
 * include/uk/gpio.h) ---- */
#define GPIO_BANK_PINS 32 /* pins per interrupt bank and per status register */
#define GPIO_MAX_BANKS 2
#define GPIO_IRQ_OFF   (-1) /* irq_mode: no detection */
struct gpio_chip {
	const char *name;
	unsigned pins;		      /* 0 .. pins - 1 */
	unsigned banks;		      /* bank n: pins 32n .. 32n + 31 */
	unsigned irq[GPIO_MAX_BANKS]; /* each bank's uk interrupt number; 0: none */
	/* kernel/gpio.c checks pin and values first; a driver refuses only what its chip lacks. */
	int (*set_function)(unsigned pin, unsigned function); /* enum uk_gpio_function; -EINVAL */
	void (*write)(unsigned pin, bool high);
	bool (*read)(unsigned pin);
	int (*set_pull)(unsigned pin, unsigned pull); /* enum uk_gpio_pull; NULL: no pulls */
	void (*irq_mode)(unsigned pin, int mode);     /* enum uk_gpio_irq_mode or GPIO_IRQ_OFF */
	uint32_t (*irq_pending)(unsigned bank);	      /* pins with an event latched */
	void (*irq_clear)(unsigned bank, uint32_t pins);
};
const struct gpio_chip *gpio_probe(void); /* platform: the board's GPIO, set up once; or NULL */

/* ---- block devices (drivers/virtio_blk.c, later the SD host) behind fs/ ---- */
#define BLOCK_SIZE 512
struct blockdev {
	const char *name;
	uint64_t blocks; /* of BLOCK_SIZE bytes */
	bool read_only;
	/* 0, or -EIO (the device failed the request; nothing is retried silently) or -ETIMEDOUT.
	 * Thread context: the calling thread blocks until the device answers. */
	int (*read)(uint64_t lba, uint32_t count, void *buf);
	int (*write)(uint64_t lba, uint32_t count, const void *buf);
	/* Everything written so far is on the medium (a write cache flushed): fsync's promise. */
	int (*flush)(void);
};
struct blockdev *block_probe(void); /* platform: the card or disk, set up once; or NULL */

/* ---- I2C masters (kernel/i2c.c; the API is include/uk/i2c.h) ---- */
struct i2c_bus_ops {
	unsigned buses; /* bus numbers 0 .. buses - 1 */
	/* Routes the bus's pins and reads its clock, once: 0, or -ENODEV (no such bus). */
	int (*setup)(unsigned bus);
	int (*set_speed)(unsigned bus, uint32_t hz); /* 0 or -EINVAL */
	/* out_len bytes written then in_len read (repeated start); both 0: an address probe.
	 * 0, -ENXIO (no acknowledge), -ETIMEDOUT. Thread context. */
	int (*transfer)(unsigned bus, uint8_t addr, const uint8_t *out, size_t out_len, uint8_t *in,
			size_t in_len, uint64_t timeout_ns);
};
const struct i2c_bus_ops *i2c_probe(void); /* platform: NULL when the board has no I2C */

/* ---- SPI masters (kernel/spi.c; the API is include/uk/spi.h) ---- */
struct spi_bus_ops {
	unsigned buses;
	int (*setup)(unsigned bus); /* pins and clock, once: 0 or -ENODEV */
	/* len bytes out of tx (NULL: zeros) and into rx (NULL: dropped) at no more than hz:
	 * 0, -EINVAL (hz out of the controller's range), -ETIMEDOUT. Thread context. */
	int (*transfer)(unsigned bus, unsigned mode, unsigned chip_select, uint32_t hz,
			const uint8_t *tx, uint8_t *rx, size_t len, uint64_t timeout_ns);
};
const struct spi_bus_ops *spi_probe(void); /* platform: NULL when the board has no SPI */

/* ---- wall-clock time (kernel/walltime.c; the API is in include/uk/time.h) ---- */
/* A real-time clock that keeps time while the board is off; seconds since 1970 (UTC). */
struct rtc_ops {
	const char *name;
	int (*read)(uint64_t *unix_s); /* 0 or a negative errno */
	int (*write)(uint64_t unix_s); /* NULL: read-only */
};
const struct rtc_ops *rtc_probe(void); /* platform: the board's RTC, or NULL */
enum uk_walltime_source;
void walltime_boot(void); /* reads the RTC, before main */
void walltime_set(uint64_t unix_ns, enum uk_walltime_source from);
uint64_t walltime_now_ns(void);

/* ---- threads (kernel/thread.c; the API is include/uk/thread.h) ---- */
bool thread_stack_contains(uintptr_t addr); /* on the running thread's heap stack? any context */

/* ---- cores 1-3 (kernel/core.c; the API is include/uk/core.h) ---- */
extern volatile bool cores_started;	  /* a core other than 0 was started: lock the console */
bool core_stack_contains(uintptr_t addr); /* on a started core's stack? any context */
void core_fatal_enter(void);		  /* the first core to fail prints; later ones stop */

/* ---- boot record (kernel/boot.c) ---- */
extern struct bootargs uk_bootargs;

#endif
