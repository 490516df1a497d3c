/* runtime/kernel/devicetree.c over libfdt on any bytes as the loader's device tree: dt_read
 * must refuse or read it without touching a byte outside the input (the input is copied to a
 * block of exactly its size, so AddressSanitizer sees every overrun), and every string it
 * returns must end inside the input. The lookups the platforms make afterwards on an accepted
 * tree (PSCI's method, enabled devices by compatible) run too. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"

static void inside(const char *s, const char *fdt, size_t size)
{
	if (!s)
		return;
	if (s < fdt || s >= fdt + size || !memchr(s, 0, (size_t)(fdt + size - s)))
		abort(); /* a string that does not end inside the tree */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *fdt = malloc(size ? size : 1);
	if (!fdt)
		return 0;
	memcpy(fdt, data, size);
	struct dt_info dt;
	if (dt_read(fdt, size, &dt) == 0) {
		inside(dt.bootargs, fdt, size);
		inside(dt.model, fdt, size);
		(void)dt_psci_method(fdt);
		(void)dt_device_enabled(fdt, "brcm,bcm2711-genet-v5");
		(void)dt_device_enabled(fdt, "brcm,bcm2835-rng");
		(void)dt_device_enabled(fdt, "brcm,iproc-rng200");
	}
	free(fdt);
	return 0;
}
