/* cli/fleet/inventory.c's fleet_inventory_load on any inventory: the input is written to a file
 * whose name ends in FLEET_SUFFIX (".yaml" or ".csv": the loader picks the parser by it) in a
 * temporary directory. The build's own boot arguments are a manifest's, so the limits on
 * what a card holds in all are checked too. */
#include <stdint.h>

#include "fleet.h"
#include "fuzz_util.h"
#include "uk.h"

static struct manifest m;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fuzz_quiet();
	fuzz_tmpfile("inventory" FLEET_SUFFIX);
	bootargs_set(&m.bootargs, "net.ip", "dhcp");
	bootargs_set(&m.bootargs, "app.mode", "sensor with spaces");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (fuzz_write(data, size) < 0)
		return 0;
	fleet_inventory_free(fleet_inventory_load(fuzz_path, &m));
	return 0;
}
