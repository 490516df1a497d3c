/*
 * Raspberry Pi 4 (BCM2711; QEMU raspi4b) in low-peripheral mode (BCM2711 ARM Peripherals):
 *   0x00000000 RAM; uk uses the first GiB, which every Pi 4 has
 *   0xfc000000 peripherals: 0xfd580000 GENET, 0xfe00b880 mailbox, 0xfe200000 GPIO,
 *              0xfe104000 RNG200, 0xfe201000 PL011, 0xfe215000 AUX (mini UART),
 *              0xfe300000 EMMC (Arasan SDHCI), 0xfe340000 EMMC2;
 *              0xff841000 GIC-400 distributor, 0xff842000 CPU if.
 * VideoCore peripheral IRQ n is GIC SPI 64 + n, INTID 96 + n.
 */
#include "netdev.h"
#include "rpi.h"

#define PERIPH	  0xfe000000ul
#define DEVICES	  0xfc000000ul
#define GICD_BASE 0xff841000ul
#define GICC_BASE 0xff842000ul
#define TIMER_IRQ 27 /* virtual timer PPI */
#define AUX_IRQ	  (96 + 29)
#define PL011_IRQ (96 + 57)
#define USB_IRQ	  (96 + 9)     /* VideoCore IRQ 9: the DWC2 controller */
#define GENET	  0xfd580000ul /* bcm2711.dtsi: scb 0x7d580000, size 0x10000 */
#define GENET_IRQ (32 + 157)   /* GIC SPI 157: GENET's INTRL2_0 */
#define RAM_LIMIT 0x40000000ul
#define EMMC	  (PERIPH + 0x300000) /* the Arasan SDHCI */
#define EMMC2	  (PERIPH + 0x340000)
#define EMMC_IRQ  (96 + 62) /* GIC SPI 126, shared by EMMC and EMMC2 (bcm2711.dtsi) */

/* entry.S's park opens each parked core's GIC CPU interface here, so an SGI wakes it. */
const uint64_t uk_park_gicc = GICC_BASE;

static const struct mem_region rpi4_map[] = {
    {0, RAM_LIMIT, MEM_NORMAL},
    {DEVICES, 0x04000000, MEM_DEVICE},
    {0, 0, MEM_NORMAL},
};

static const struct rpi_board rpi4 = {
    .periph = PERIPH,
    .miniuart_irq = AUX_IRQ,
    .pl011_irq = PL011_IRQ,
    .usb_irq = USB_IRQ,
    .default_core_hz = 500000000, /* the Pi 4's fixed core clock */
};

static void rpi4_irq_init(void)
{
	gicv2_init(GICD_BASE, GICC_BASE);
	rpi_board_attach(&rpi4); /* early: the mailbox and PM block need no interrupts */
}

static void rpi4_console_init(const char *choice)
{
	rpi_console_init(&rpi4, choice);
}

static uint64_t rpi4_ram_size(void)
{
	return rpi_ram_size(&rpi4);
}

/* The board's own Ethernet when it has one, else a USB network device (QEMU's usb-net). Every
 * Pi 4 has a GENET, but QEMU's raspi4b has none (a read of its registers is a synchronous
 * external abort there) and removes its node from the device tree it hands over: the device
 * is touched only when the tree has it. */
struct netdev *netdev_probe(void)
{
	struct netdev *nd = NULL;
	if (genet_dt_enabled(uk_fdt)) {
		bcm_mailbox_init(RPI_MAILBOX(&rpi4)); /* the MAC address */
		nd = genet_probe(GENET, GENET_IRQ);
	}
	return nd ? nd : rpi_usb_netdev(&rpi4);
}

/* The RNG200 (bcm2711.dtsi: rng@7e104000). QEMU's raspi4b does not model it and removes its
 * node from the tree, so there the runtime reports no hardware RNG. */
const struct rng_dev *rng_probe(void)
{
	if (!dt_device_enabled(uk_fdt, "brcm,bcm2711-rng200"))
		return NULL;
	return iproc_rng200_probe(PERIPH + 0x104000);
}

/* The SD card. A Pi 4's slot is on EMMC2 (bcm2711.dtsi mmc@7e340000); QEMU's raspi4b models
 * EMMC2 but puts the card on the Arasan SDHCI (mmc@7e300000, a real Pi 4's Wi-Fi), so both are
 * asked, EMMC2 first, each only when the tree enables it. EMMC2 with a card has run in QEMU
 * only with the card moved there by hand (docs/boards.md). */
struct blockdev *block_probe(void)
{
	bcm_mailbox_init(RPI_MAILBOX(&rpi4)); /* the controllers' clocks */
	struct blockdev *bd = NULL;
	if (dt_device_enabled(uk_fdt, "brcm,bcm2711-emmc2")) {
		struct sdhci_config emmc2 = {.name = "emmc2",
					     .base = EMMC2,
					     .irq = EMMC_IRQ,
					     .base_clock_hz =
						 bcm_mailbox_clock_rate(BCM_CLOCK_EMMC2)};
		bd = sdhci_probe(&emmc2);
	}
	if (!bd && dt_device_enabled(uk_fdt, "brcm,bcm2835-sdhci")) {
		struct sdhci_config emmc = {.name = "emmc",
					    .base = EMMC,
					    .irq = EMMC_IRQ,
					    .base_clock_hz =
						bcm_mailbox_clock_rate(BCM_CLOCK_EMMC)};
		bd = sdhci_probe(&emmc);
	}
	return bd;
}

/* I2C buses 0 and 1 on the BSC controllers (platform/rpi/i2c.c). */
const struct i2c_bus_ops *i2c_probe(void)
{
	return rpi_i2c(&rpi4);
}

/* The GPIO block raises VideoCore IRQ 49 for bank 0 (pins 0-31) and 50 for bank 1, INTIDs 145
 * and 146 (bcm2711-rpi-4-b.dtb's gpio@7e200000: interrupts = <0 113 4>, <0 114 4>: SPI 113,
 * 114). The BCM2711's pulls are GPIO_PUP_PDN_CNTRL_REGn, not GPPUD. */
const struct gpio_chip *gpio_probe(void)
{
	return bcm_gpio_probe(RPI_GPIO(&rpi4), true, 96 + 49, 96 + 50);
}

/* SPI bus 0 on SPI0 (platform/rpi/spi.c). */
const struct spi_bus_ops *spi_probe(void)
{
	return rpi_spi(&rpi4);
}

/* An I2C RTC when the boot arguments declare one (platform/rpi/rtc.c). */
const struct rtc_ops *rtc_probe(void)
{
	return rpi_rtc();
}

const struct platform platform = {
    .target = "rpi4",
    .map = rpi4_map,
    .ram_base = 0,
    .ram_limit = RAM_LIMIT,
    .timer_irq = TIMER_IRQ,
    .irq_init = rpi4_irq_init,
    .console_init = rpi4_console_init,
    .ram_size_fallback = rpi4_ram_size,
    .halt = rpi_halt,
    .board = &rpi_board_ops,
    .cores = 4,
    .core_wake = gicv2_core_wake,
    .core_woken = gicv2_core_woken,
};
