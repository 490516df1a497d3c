/*
 * QEMU virt (hw/arm/virt.c memory map): RAM from 1 GiB, devices below it.
 *   0x08000000 GICv2 distributor, 0x08010000 GIC CPU interface
 *   0x09000000 PL011 UART (SPI 1 = INTID 33)
 *   0x0a000000 virtio-mmio transports, 32 x 0x200 (SPI 16-47)
 */
#include <errno.h>

#include "drivers.h"
#include "netdev.h"
#include "virtio_mmio.h"

#define GICD_BASE 0x08000000
#define GICC_BASE 0x08010000
#define UART_BASE 0x09000000
#define UART_IRQ  33
#define TIMER_IRQ 27 /* virtual timer PPI */
#define RAM_BASE  0x40000000ul
#define RAM_LIMIT 0x4000000000ul /* 256 GiB: where virt's high PCIe window starts */

/* entry.S's park opens each started core's GIC CPU interface, so an interrupt routed to the
 * core (uk_core_irq_route) reaches it. */
const uint64_t uk_park_gicc = GICC_BASE;

static const struct mem_region virt_map[] = {
    {0x08000000, 0x04000000, MEM_DEVICE}, /* GIC, UART, RTC, GPIO, virtio-mmio */
    {RAM_BASE, RAM_LIMIT - RAM_BASE, MEM_NORMAL},
    {0, 0, MEM_NORMAL},
};

static void virt_irq_init(void)
{
	gicv2_init(GICD_BASE, GICC_BASE);
}

static void virt_console_init(const char *choice)
{
	(void)choice; /* virt has one UART */
	console_attach(pl011_init(UART_BASE, 0, 0), UART_IRQ);
}

static void virt_halt(int status)
{
	(void)status; /* PSCI has no exit status: use uk.qemu=1 (semihosting) for that */
	int method = dt_psci_method(uk_fdt);
	if (method >= 0)
		psci_system_off(method == 1);
}

/* PSCI SYSTEM_RESET and SYSTEM_OFF; virt has no watchdog of its own and no firmware to ask. */
static void virt_reset(void)
{
	int method = dt_psci_method(uk_fdt);
	if (method >= 0)
		psci_system_reset(method == 1);
}

static void virt_power_off(void)
{
	virt_halt(0);
}

/* virt has no boot firmware to keep a reboot flag: nothing to ask. Under QEMU the firmware
 * stand-in that boots A/B cards (tests/tools/pi_firmware.py) reads the console line that
 * update/update.c prints before the reset. */
static int virt_set_tryboot(void)
{
	return 0;
}

/* Cores 1-3 start powered off (QEMU's -smp); PSCI CPU_ON starts them at entry. QEMU's virt
 * numbers them MPIDR Aff0 = 0, 1, ... (hw/arm/virt.c, 8 per cluster with GICv2). */
static int virt_core_wake(unsigned core, uintptr_t entry)
{
	int method = dt_psci_method(uk_fdt);
	if (method < 0)
		return -ENODEV;
	int r = psci_cpu_on(method == 1, core, entry);
	return r == 0 ? 0 : r == -4 /* ALREADY_ON */ ? -EBUSY : -ENODEV;
}

static const struct board_ops virt_board = {
    .reset = virt_reset, .power_off = virt_power_off, .set_tryboot = virt_set_tryboot};

/* hw/arm/virt.c's VIRT_MMIO: 32 transports of 0x200 bytes, on SPIs 16-47 (INTID 48 + slot). */
static const struct virtio_mmio_window virtio_window = {
    .base = 0x0a000000, .slot_size = 0x200, .slots = 32, .irq0 = 48};

struct netdev *netdev_probe(void)
{
	return virtio_net_probe(&virtio_window);
}

/* A virtio entropy device when QEMU has one (`-device virtio-rng-device`, which target.conf's
 * QEMU command includes). */
const struct rng_dev *rng_probe(void)
{
	return virtio_rng_probe(&virtio_window);
}

/* The card uk run attaches as a virtio block device. */
struct blockdev *block_probe(void)
{
	return virtio_blk_probe(&virtio_window);
}

/* The PL061 at 0x09030000, SPI 7 = INTID 39 (hw/arm/virt.c's VIRT_GPIO; its device tree says
 * pl061@9030000 interrupts = <0 7 4>). Line 3 is the power button (gpio-keys). */
#define GPIO_BASE 0x09030000
#define GPIO_IRQ  (32 + 7)
const struct gpio_chip *gpio_probe(void)
{
	return pl061_probe(GPIO_BASE, GPIO_IRQ);
}

/* QEMU's virt machine has no I2C controller. */
const struct i2c_bus_ops *i2c_probe(void)
{
	return NULL;
}

/* ...nor an SPI controller. */
const struct spi_bus_ops *spi_probe(void)
{
	return NULL;
}

/* The PL031 at 0x09010000 (hw/arm/virt.c VIRT_RTC), set from the host's clock. */
const struct rtc_ops *rtc_probe(void)
{
	return pl031_probe(0x09010000);
}

const struct platform platform = {
    .target = "virt",
    .map = virt_map,
    .ram_base = RAM_BASE,
    .ram_limit = RAM_LIMIT,
    .timer_irq = TIMER_IRQ,
    .irq_init = virt_irq_init,
    .console_init = virt_console_init,
    .ram_size_fallback = NULL,
    .halt = virt_halt,
    .board = &virt_board,
    .cores = 1,
    .core_wake = virt_core_wake,
    .core_woken = gicv2_core_woken,
};
