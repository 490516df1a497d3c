/*
 * Reads what uk needs from the flattened device tree the loader passed (QEMU builds one for
 * virt; on a Pi the firmware passes the board's .dtb with /memory and /chosen/bootargs filled
 * in). dt_read, on the boot path, parses the tree itself (below); the rest asks libfdt (from
 * Debian's device-tree-compiler source).
 * Pure code, unit-tested on the host against real device trees and corrupted ones.
 */
#include <errno.h>
#include <stdbool.h>
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

/* Reads the first non-empty range of a memory node's "reg" (len bytes). */
static void read_memory(const fdt32_t *reg, int len, int ac, int sc, struct dt_info *out)
{
	int entry = (ac + sc) * 4;
	for (; len >= entry; reg += ac + sc, len -= entry) {
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

int dt_psci_method(const void *fdt)
{
	int psci = fdt ? fdt_subnode_offset(fdt, 0, "psci") : -1;
	const char *m = psci >= 0 ? string_prop(fdt, psci, "method") : NULL;
	if (!m)
		return -1;
	return strcmp(m, "hvc") == 0 ? 1 : strcmp(m, "smc") == 0 ? 0 : -1;
}

/*
 * dt_read walks the structure block once, by hand, instead of through libfdt's searches: boot
 * time under QEMU is mostly TCG translating code that runs once (about 5 us per basic block),
 * and one loop is far fewer blocks than the libfdt paths a search runs (QEMU virt: 1.2 ms ->
 * 0.8 ms). The format is the Devicetree Specification v0.4, chapter 5: a header, then a stream
 * of big-endian 32-bit tokens in the structure block, property names in the strings block.
 */
#define TOK_BEGIN_NODE 1
#define TOK_END_NODE   2
#define TOK_PROP       3
#define TOK_NOP	       4
#define TOK_END	       9

static uint32_t be32_at(const char *p)
{
	return fdt32_ld((const fdt32_t *)p);
}

/* Header fields (spec 5.2) are in range and the blocks lie inside totalsize. */
static bool header_ok(const char *fdt, uint32_t total)
{
	uint32_t version = be32_at(fdt + 20), last_comp = be32_at(fdt + 24);
	uint32_t rsv = be32_at(fdt + 16);
	uint32_t st = be32_at(fdt + 8), st_size = be32_at(fdt + 36);
	uint32_t str = be32_at(fdt + 12), str_size = be32_at(fdt + 32);
	if (version < 17 || last_comp > 17 || total < sizeof(struct fdt_header))
		return false;
	if (rsv < sizeof(struct fdt_header) || rsv > total || (rsv & 7))
		return false;
	if (st < sizeof(struct fdt_header) || st > total || st_size > total - st || (st & 3))
		return false;
	return str >= sizeof(struct fdt_header) && str <= total && str_size <= total - str;
}

/* What is known of the node whose properties are being read. */
struct node_props {
	const char *reg;
	uint32_t reg_len;
	bool is_memory; /* device_type = "memory" */
};

int dt_read(const void *fdt, size_t max_size, struct dt_info *out)
{
	memset(out, 0, sizeof(*out));
	if (max_size < sizeof(struct fdt_header) || fdt_magic(fdt) != FDT_MAGIC)
		return -EINVAL;
	uint32_t total = fdt_totalsize(fdt);
	if (total > max_size)
		return -EFBIG;
	const char *base = fdt;
	if (!header_ok(base, total))
		return -EINVAL;
	const char *st = base + fdt_off_dt_struct(fdt);
	const char *strings = base + fdt_off_dt_strings(fdt);
	uint32_t st_size = fdt_size_dt_struct(fdt), str_size = fdt_size_dt_strings(fdt);

	int ac = 2, sc = 1; /* spec 2.3.5 defaults */
	int depth = 0;
	bool props_open = false, in_chosen = false, chosen_done = false, in_named = false;
	struct node_props cur = {0}, named = {0}, typed = {0};
	bool have_named = false, have_typed = false;
	uint32_t off = 0;
	for (;;) {
		if (off > st_size || st_size - off < 4)
			return -EINVAL;
		uint32_t tag = be32_at(st + off);
		off += 4;
		if (tag == TOK_NOP)
			continue;
		if (props_open && (tag == TOK_BEGIN_NODE || tag == TOK_END_NODE)) {
			/* Properties come before subnodes (spec 5.4.2): this node's are all read.
			 */
			props_open = false;
			if (in_named) {
				named = cur;
				have_named = true;
			} else if (!have_typed && cur.is_memory) {
				typed = cur;
				have_typed = true;
			}
			in_named = false;
		}
		if (tag == TOK_BEGIN_NODE) {
			const char *name = st + off;
			const char *nul = memchr(name, '\0', st_size - off);
			if (!nul)
				return -EINVAL;
			size_t len = (size_t)(nul - name);
			off += ((uint32_t)len + 4) & ~3u;
			depth++;
			/* The first root children named chosen and memory[@...]. */
			in_chosen = depth == 2 && !chosen_done && len == 6 &&
				    memcmp(name, "chosen", 6) == 0;
			in_named = depth == 2 && !have_named && len >= 6 &&
				   memcmp(name, "memory", 6) == 0 && (len == 6 || name[6] == '@');
			cur = (struct node_props){0};
			props_open = true;
		} else if (tag == TOK_END_NODE) {
			if (depth == 0)
				return -EINVAL;
			if (in_chosen)
				chosen_done = true;
			in_chosen = false;
			if (--depth == 0)
				break;
			/* Stop once /memory and /chosen are read: the rest of a Pi's tree is
			 * thousands of tokens uk does not need. */
			if (depth == 1 && have_named && chosen_done)
				break;
		} else if (tag == TOK_PROP) {
			if (st_size - off < 8 || depth == 0)
				return -EINVAL;
			uint32_t len = be32_at(st + off), name_off = be32_at(st + off + 4);
			const char *val = st + off + 8;
			off += 8;
			if (len > st_size - off || name_off >= str_size)
				return -EINVAL;
			off += (len + 3) & ~3u;
			const char *name = strings + name_off;
			if (!memchr(name, '\0', str_size - name_off))
				return -EINVAL;
			bool terminated = len >= 1 && val[len - 1] == '\0';
			if (depth == 1) {
				/* Root cells counts: 0..2 supported, anything else makes reg
				 * unreadable. */
				int *cells = !strcmp(name, "#address-cells") ? &ac
					     : !strcmp(name, "#size-cells")  ? &sc
									     : NULL;
				if (cells && len == 4)
					*cells = be32_at(val) <= 2 ? (int)be32_at(val) : -1;
				else if (!cells && terminated && !strcmp(name, "model"))
					out->model = val;
			} else if (in_chosen && !strcmp(name, "bootargs")) {
				out->bootargs = terminated ? val : NULL;
			} else if (!strcmp(name, "reg")) {
				cur.reg = val;
				cur.reg_len = len;
			} else if (!strcmp(name, "device_type")) {
				cur.is_memory =
				    len == sizeof("memory") && !memcmp(val, "memory", len);
			}
		} else if (tag == TOK_END) {
			break;
		} else {
			return -EINVAL;
		}
	}

	const struct node_props *mem = have_named ? &named : have_typed ? &typed : NULL;
	if (mem && mem->reg && ac > 0 && sc > 0)
		read_memory((const fdt32_t *)mem->reg, (int)mem->reg_len, ac, sc, out);
	return 0;
}
