/*
 * Reads what uk needs from the flattened device tree the loader passed (QEMU builds one for
 * virt; on a Pi the firmware passes the board's .dtb with /memory and /chosen/bootargs filled
 * in). Parsing is libfdt's (from Debian's device-tree-compiler source); this file only asks.
 * Pure code, unit-tested on the host against real device trees and corrupted ones.
 */
#include <errno.h>
#include <string.h>

#include <libfdt.h>

#include "kernel.h"

/* Reads a number of `cells` 32-bit big-endian cells. */
static uint64_t read_cells(const fdt32_t *p, int cells)
{
	uint64_t v = 0;
	for (int i = 0; i < cells; i++)
		v = (v << 32) | fdt32_ld(p + i);
	return v;
}

static int cells_prop(const void *fdt, int node, const char *name, int fallback)
{
	int len;
	const fdt32_t *p = fdt_getprop(fdt, node, name, &len);
	if (!p || len != 4)
		return fallback;
	uint32_t v = fdt32_ld(p);
	return v <= 2 ? (int)v : -1;
}

/* Reads the first non-empty "reg" range of a device_type = "memory" node. */
static void read_memory(const void *fdt, int node, int ac, int sc, struct dt_info *out)
{
	int len;
	const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);
	int entry = (ac + sc) * 4;
	for (; reg && len >= entry; reg += ac + sc, len -= entry) {
		uint64_t size = read_cells(reg + ac, sc);
		if (size) {
			out->mem_base = read_cells(reg, ac);
			out->mem_size = size;
			return;
		}
	}
}

/* A string property, only if it is NUL-terminated inside its length. */
static const char *string_prop(const void *fdt, int node, const char *name)
{
	int len;
	const char *s = fdt_getprop(fdt, node, name, &len);
	if (!s || len < 1 || s[len - 1] != '\0')
		return NULL;
	return s;
}

/* The Pi firmware's /chosen/bootloader node (Raspberry Pi documentation, "Device Trees",
 * firmware parameters): "partition", the partition it booted from, and "tryboot", 1 when this
 * boot is the one-off trial the reboot flag asked for. Each a 32-bit cell. */
int dt_bootloader(const void *fdt, uint32_t *partition, uint32_t *tryboot)
{
	int node = fdt ? fdt_path_offset(fdt, "/chosen/bootloader") : -1;
	if (node < 0)
		return -ENOENT;
	int len;
	const fdt32_t *p = fdt_getprop(fdt, node, "partition", &len);
	if (!p || len != 4)
		return -ENOENT;
	*partition = fdt32_ld(p);
	p = fdt_getprop(fdt, node, "tryboot", &len);
	*tryboot = p && len == 4 ? fdt32_ld(p) : 0;
	return 0;
}

int dt_psci_method(const void *fdt)
{
	int psci = fdt ? fdt_subnode_offset(fdt, 0, "psci") : -1;
	const char *m = psci >= 0 ? string_prop(fdt, psci, "method") : NULL;
	if (!m)
		return -1;
	return strcmp(m, "hvc") == 0 ? 1 : strcmp(m, "smc") == 0 ? 0 : -1;
}

int dt_cpu_count(const void *fdt)
{
	int cpus = fdt ? fdt_path_offset(fdt, "/cpus") : -1;
	if (cpus < 0)
		return 0;
	int n = 0, node;
	fdt_for_each_subnode(node, fdt, cpus)
	{
		const char *type = string_prop(fdt, node, "device_type");
		const char *status = fdt_getprop(fdt, node, "status", NULL);
		if (type && !strcmp(type, "cpu") &&
		    (!status || !strcmp(status, "okay") || !strcmp(status, "ok")))
			n++;
	}
	return n;
}

bool dt_device_enabled(const void *fdt, const char *compatible)
{
	if (!fdt)
		return false;
	int node = fdt_node_offset_by_compatible(fdt, -1, compatible);
	if (node < 0)
		return false;
	const char *status = fdt_getprop(fdt, node, "status", NULL);
	return !status || strcmp(status, "okay") == 0 || strcmp(status, "ok") == 0;
}

int dt_read(const void *fdt, size_t max_size, struct dt_info *out)
{
	memset(out, 0, sizeof(*out));
	if (max_size < sizeof(struct fdt_header) || fdt_magic(fdt) != FDT_MAGIC)
		return -EINVAL;
	if (fdt_totalsize(fdt) > max_size)
		return -EFBIG;
	if (fdt_check_header(fdt) != 0)
		return -EINVAL;
	/* libfdt reads the structure block's tags as aligned 32-bit words; the specification
	 * (section 5.4) puts the block on a 4-byte boundary and fdt_check_header does not check */
	if (fdt_off_dt_struct(fdt) % FDT_TAGSIZE != 0)
		return -EINVAL;

	/* One pass over the root's children, by name, stopping as soon as memory and chosen are
	 * found: every step of a libfdt search walks the tag stream, and a Pi's tree has
	 * thousands of tags (milliseconds under emulation, where boot time is measured). */
	int ac = cells_prop(fdt, 0, "#address-cells", 2);
	int sc = cells_prop(fdt, 0, "#size-cells", 1);
	int node, mem = -1, chosen = -1;
	fdt_for_each_subnode(node, fdt, 0)
	{
		int len;
		const char *name = fdt_get_name(fdt, node, &len);
		if (!name)
			continue;
		if (mem < 0 && len >= 6 && memcmp(name, "memory", 6) == 0 &&
		    (len == 6 || name[6] == '@'))
			mem = node;
		else if (chosen < 0 && len == 6 && memcmp(name, "chosen", 6) == 0)
			chosen = node;
		if (mem >= 0 && chosen >= 0)
			break;
	}
	if (mem < 0) /* a memory node not named memory@...: search by type */
		mem = fdt_node_offset_by_prop_value(fdt, -1, "device_type", "memory",
						    sizeof("memory"));
	if (mem >= 0 && ac > 0 && sc > 0)
		read_memory(fdt, mem, ac, sc, out);
	if (chosen >= 0)
		out->bootargs = string_prop(fdt, chosen, "bootargs");
	out->model = string_prop(fdt, 0, "model");
	return 0;
}
