/* BCM2835/BCM2711 GPIO function select (BCM2835 ARM Peripherals, section 6.1). */
#include "drivers.h"
#include "sysreg.h"

#define GPFSEL0 0x00 /* 10 pins per register, 3 bits each */

void bcm_gpio_set_function(uintptr_t gpio_base, unsigned pin, unsigned function)
{
	uintptr_t reg = gpio_base + GPFSEL0 + 4 * (pin / 10);
	unsigned shift = 3 * (pin % 10);
	mmio_write32(reg, (mmio_read32(reg) & ~(7u << shift)) | ((function & 7) << shift));
}
