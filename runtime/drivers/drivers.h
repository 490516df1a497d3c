/* Device drivers: one device per file; each init returns or registers what the kernel uses. */
#ifndef UK_DRIVERS_H
#define UK_DRIVERS_H

#include "kernel.h"

const struct uart_ops *pl011_init(uintptr_t base, uint32_t clock_hz, uint32_t baud);
const struct uart_ops *miniuart_init(uintptr_t aux_base, uint32_t core_clock_hz, uint32_t baud);

void gicv2_init(uintptr_t dist_base, uintptr_t cpu_base);
/* Wakes core n from entry.S's park: a software-generated interrupt (it stays masked there). */
int gicv2_core_wake(unsigned core, uintptr_t entry);
void gicv2_core_woken(unsigned core); /* on that core: acknowledge it */
void bcm2836_intc_init(uintptr_t local_base, uintptr_t gpu_base);
/* The same through the local controller's mailbox 0 (its interrupt, enabled for the wake). */
int bcm2836_core_wake(unsigned core, uintptr_t entry);
void bcm2836_core_woken(unsigned core);

void bcm_mailbox_init(uintptr_t base);
uint64_t bcm_mailbox_arm_memory(void);
uint32_t bcm_mailbox_clock_rate(uint32_t clock_id);
int bcm_mailbox_board_mac(uint8_t mac[6]);
int bcm_mailbox_set_power(uint32_t device, uint32_t request, uint32_t *state);
int bcm_mailbox_board_serial(uint64_t *serial);
int bcm_mailbox_board_revision(uint32_t *revision);
int bcm_mailbox_temperature(int32_t *millicelsius);
int bcm_mailbox_set_tryboot(void);
#define BCM_POWER_USB_HCD   3	      /* device id: the USB host controller (DWC2) */
#define BCM_POWER_ON	    (1u << 0) /* request: switch on; answer: is on */
#define BCM_POWER_WAIT	    (1u << 1) /* request: answer once the power is stable */
#define BCM_POWER_NO_DEVICE (1u << 1) /* answer: the firmware knows no such device */

#define BCM_CLOCK_EMMC	1
#define BCM_CLOCK_UART	2
#define BCM_CLOCK_CORE	4
#define BCM_CLOCK_EMMC2 12

#define GPIO_INPUT 0
#define GPIO_ALT0  4
#define GPIO_ALT3  7
#define GPIO_ALT5  2
void bcm_gpio_set_function(uintptr_t gpio_base, unsigned pin, unsigned function);
/* The GPIO block as uk/gpio.h's chip: 54 pins, bank n's event interrupt irq_bank[n]; bcm2711:
 * the Pi 4's pull registers instead of the BCM2835's GPPUD sequence. Detection off at probe. */
const struct gpio_chip *bcm_gpio_probe(uintptr_t gpio_base, bool bcm2711, unsigned irq_bank0,
				       unsigned irq_bank1);
/* QEMU virt's PL061 (8 lines, one interrupt). */
const struct gpio_chip *pl061_probe(uintptr_t base, unsigned irq);

void psci_system_off(bool hvc);
void psci_system_reset(bool hvc);
int psci_cpu_on(bool hvc, uint64_t mpidr, uintptr_t entry);
/* bcm2835_i2c.c: one BSC controller at base */
int bcm2835_i2c_set_speed(uintptr_t base, uint32_t core_hz, uint32_t hz);
int bcm2835_i2c_transfer(uintptr_t base, uint8_t addr, const uint8_t *out, size_t out_len,
			 uint8_t *in, size_t in_len, uint64_t timeout_ns);
/* bcm2835_spi.c: SPI0 at base */
uint32_t bcm2835_spi_divider(uint32_t core_hz, uint32_t hz);
int bcm2835_spi_transfer(uintptr_t base, unsigned mode, unsigned cs, uint32_t divider,
			 const uint8_t *tx, uint8_t *rx, size_t len, uint64_t timeout_ns);
/* pl031.c (virt) and ds1338.c (an I2C RTC on the Pi): real-time clocks */
const struct rtc_ops *pl031_probe(uintptr_t base);
const struct rtc_ops *ds1338_probe(unsigned bus, uint8_t address);
/* bcm2835_pm.c: the Pi's reset controller and watchdog */
void bcm2835_pm_init(uintptr_t base);
int bcm2835_pm_watchdog_start(uint32_t timeout_ms);
int bcm2835_pm_watchdog_feed(void);
void bcm2835_pm_watchdog_stop(void);
uint32_t bcm2835_pm_watchdog_max_ms(void);
void bcm2835_pm_reset(bool halt);

/* virtio devices in the board's virtio-mmio window (virtio_mmio.h) */
struct virtio_mmio_window;
struct netdev *virtio_net_probe(const struct virtio_mmio_window *w);

/* Hardware random number generators (struct rng_dev in kernel.h), set up on first probe. The
 * caller checks the device tree first where the device may be absent. Thread context. */
const struct rng_dev *virtio_rng_probe(const struct virtio_mmio_window *w); /* NULL: none */
struct blockdev *virtio_blk_probe(const struct virtio_mmio_window *w);	    /* NULL: none */
const struct rng_dev *bcm2835_rng_probe(uintptr_t base);
const struct rng_dev *iproc_rng200_probe(uintptr_t base);

/* An SD host controller (SDHCI 3.00: the Pi's Arasan EMMC and the Pi 4's EMMC2) and the SD
 * memory card behind it, as a block device; NULL (and a line on the console) when no card
 * answers. Once a card is found, later calls return it. Thread context. */
struct sdhci_config {
	const char *name;	/* for messages and blockdev.name */
	uintptr_t base;		/* the controller's registers */
	unsigned irq;		/* uk interrupt number; 0: polled only */
	uint32_t base_clock_hz; /* the controller's base clock; 0: from its capabilities register */
	bool card_detect;	/* trust the card-detect bit (not on the Pi: a card is asked) */
};
struct blockdev *sdhci_probe(const struct sdhci_config *cfg);

/* USB host stack (drivers/usb/): the DWC2 at base (interrupt irq, DMA addresses = physical |
 * bus_offset), enumerated once; later calls return the first result. Thread context. */
int usb_start(uintptr_t base, unsigned irq, uint32_t bus_offset);
struct netdev *cdc_ecm_netdev(void); /* the first CDC Ethernet device found, or NULL */

/* Broadcom GENET v5, the Pi 4's Ethernet MAC, at base with its first interrupt (INTRL2_0) irq:
 * NULL when the version register says no GENET v5 is there. Probed once. Thread context. */
struct netdev *genet_probe(uintptr_t base, unsigned irq);
/* Whether a device tree has an enabled GENET v5 node (QEMU's raspi4b removes it). Any context. */
bool genet_dt_enabled(const void *fdt);
unsigned genet_link_speed(void); /* Mbit/s, 0 while the link is down */

#endif
