/*
 * Raspberry Pi 3 (BCM2837; QEMU raspi3b). Memory map (BCM2835 ARM Peripherals, with the Pi 2/3
 * peripheral base 0x3f000000, and the QA7 local-controller document):
 *   0x00000000 RAM (the firmware's ARM share; the GPU's share sits at its top)
 *   0x3f000000 peripherals: 0x3f00b200 interrupt controller, 0x3f00b880 mailbox,
 *              0x3f104000 RNG, 0x3f200000 GPIO, 0x3f201000 PL011, 0x3f215000 AUX (mini UART),
 *              0x3f300000 EMMC (Arasan SDHCI)
 *   0x40000000 BCM2836 local interrupt controller
 */
#include "netdev.h"
#include "rpi.h"

#define PERIPH	   0x3f000000ul
#define LOCAL_INTC 0x40000000ul
#define TIMER_IRQ  (64 + 3)	       /* local source 3: CNTV */
#define AUX_IRQ	   29		       /* GPU IRQ 29 */
#define PL011_IRQ  57		       /* GPU IRQ 57 */
#define USB_IRQ	   9		       /* GPU IRQ 9: the DWC2 controller */
#define EMMC	   (PERIPH + 0x300000) /* the Arasan SDHCI */
#define EMMC_IRQ   62		       /* GPU IRQ 62 (bcm283x.dtsi: interrupts = <2 30>) */

static const struct mem_region rpi3_map[] = {
    {0, PERIPH, MEM_NORMAL},
    {PERIPH, 0x01000000, MEM_DEVICE},
    {LOCAL_INTC, 0x00200000, MEM_DEVICE},
    {0, 0, MEM_NORMAL},
};

static const struct rpi_board rpi3 = {
    .periph = PERIPH,
    .miniuart_irq = AUX_IRQ,
    .pl011_irq = PL011_IRQ,
    .usb_irq = USB_IRQ,
    .default_core_hz = 250000000, /* enable_uart=1 fixes the core clock here */
};

static void rpi3_irq_init(void)
{
	bcm2836_intc_init(LOCAL_INTC, PERIPH + 0xb200);
	rpi_board_attach(&rpi3); /* early: the mailbox and PM block need no interrupts */
}

static void rpi3_console_init(const char *choice)
{
	rpi_console_init(&rpi3, choice);
}

static uint64_t rpi3_ram_size(void)
{
	return rpi_ram_size(&rpi3);
}

struct netdev *netdev_probe(void)
{
	return rpi_usb_netdev(&rpi3);
}

/* Every BCM2837 has the RNG (bcm283x.dtsi: rng@7e104000) and QEMU's raspi3b models it; the
 * tree is asked anyway, as for every device a board variant might lack. */
const struct rng_dev *rng_probe(void)
{
	if (!dt_device_enabled(uk_fdt, "brcm,bcm2835-rng"))
		return NULL;
	return bcm2835_rng_probe(PERIPH + 0x104000);
}

/* Routes the card slot's pins (GPIO 48-53) to the Arasan (their ALT3, BCM2835 ARM Peripherals
 * 6.2) instead of SDHOST (ALT0), and takes the Wi-Fi chip's pins (GPIO 34-39, also ALT3) off it:
 * one controller must not see two pin groups. uk has no Wi-Fi driver and no SDHOST driver. */
static void card_pins_to_emmc(void)
{
	for (unsigned pin = 34; pin <= 39; pin++)
		bcm_gpio_set_function(RPI_GPIO(&rpi3), pin, GPIO_INPUT);
	for (unsigned pin = 48; pin <= 53; pin++)
		bcm_gpio_set_function(RPI_GPIO(&rpi3), pin, GPIO_ALT3);
}

/* The SD card, on the Arasan SDHCI (bcm283x.dtsi mmc@7e300000). QEMU's raspi3b puts the card
 * there. A real Pi 3's firmware leaves it on SDHOST, and the tree says so by enabling
 * "brcm,bcm2835-sdhost" (the Arasan then holds the Wi-Fi chip): the pins are moved over first.
 * That move has not run on a board (docs/boards.md). */
struct blockdev *block_probe(void)
{
	if (!dt_device_enabled(uk_fdt, "brcm,bcm2835-sdhci"))
		return NULL;
	if (dt_device_enabled(uk_fdt, "brcm,bcm2835-sdhost"))
		card_pins_to_emmc();
	bcm_mailbox_init(RPI_MAILBOX(&rpi3)); /* the EMMC clock */
	struct sdhci_config emmc = {.name = "emmc",
				    .base = EMMC,
				    .irq = EMMC_IRQ,
				    .base_clock_hz = bcm_mailbox_clock_rate(BCM_CLOCK_EMMC)};
	return sdhci_probe(&emmc);
}

/* I2C buses 0 and 1 on the BSC controllers (platform/rpi/i2c.c). */
const struct i2c_bus_ops *i2c_probe(void)
{
	return rpi_i2c(&rpi3);
}

/* The GPIO block raises VideoCore IRQ 49 for bank 0 (pins 0-31) and 50 for bank 1 (BCM2835
 * ARM Peripherals 7.5: gpio_int[0], [1]; bcm2837-rpi-3-b.dtb's gpio@7e200000 says
 * interrupts = <2 17>, <2 18>: bank 2's bits 17 and 18), which are uk's IRQs 49 and 50. */
const struct gpio_chip *gpio_probe(void)
{
	return bcm_gpio_probe(RPI_GPIO(&rpi3), false, 49, 50);
}

/* SPI bus 0 on SPI0 (platform/rpi/spi.c). */
const struct spi_bus_ops *spi_probe(void)
{
	return rpi_spi(&rpi3);
}

/* An I2C RTC when the boot arguments declare one (platform/rpi/rtc.c). */
const struct rtc_ops *rtc_probe(void)
{
	return rpi_rtc();
}

const struct platform platform = {
    .target = "rpi3",
    .map = rpi3_map,
    .ram_base = 0,
    .ram_limit = PERIPH,
    .timer_irq = TIMER_IRQ,
    .irq_init = rpi3_irq_init,
    .console_init = rpi3_console_init,
    .ram_size_fallback = rpi3_ram_size,
    .halt = rpi_halt,
    .board = &rpi_board_ops,
    .cores = 4,
    .core_wake = bcm2836_core_wake,
    .core_woken = bcm2836_core_woken,
};
