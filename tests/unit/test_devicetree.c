/* Host unit tests for device-tree reading (runtime/kernel/devicetree.c over libfdt): QEMU
 * virt's own tree, the Raspberry Pi trees from Debian's kernel package, and corrupted trees. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>

#include "kernel.h"
#include "tap.h"

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	static char buf[2 << 20];
	*n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	char *copy = malloc(*n + 64);
	memcpy(copy, buf, *n);
	return copy;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : getenv("DTB_DIR");
	const char *cache = getenv("UK_CACHE") ? getenv("UK_CACHE") : "/var/cache/uk";
	char path[512];
	size_t n;
	struct dt_info dt;

	snprintf(path, sizeof(path), "%s/virt.dtb", dir);
	char *virt = slurp(path, &n);
	CHECK(virt != NULL, "QEMU virt tree at %s", path);
	if (!virt)
		return TAP_DONE();
	CHECK(dt_read(virt, n, &dt) == 0, "virt tree reads");
	CHECK(dt.mem_base == 0x40000000 && dt.mem_size == 128u << 20,
	      "virt memory 128 MiB at 1 GiB");
	CHECK(dt_psci_method(virt) == 1, "virt PSCI through HVC");
	CHECK(dt_cpu_count(virt) == 1, "virt tree (QEMU's default -smp) lists 1 core");
	CHECK(dt_cpu_count(NULL) == 0, "no tree: 0 cores (the board's count is used)");
	CHECK(dt.model && strcmp(dt.model, "linux,dummy-virt") == 0, "virt model");

	/* /chosen/bootargs, as QEMU -append writes it */
	char *withargs = malloc(n + 4096);
	memcpy(withargs, virt, n);
	fdt_open_into(withargs, withargs, (int)n + 4096);
	int chosen = fdt_path_offset(withargs, "/chosen");
	fdt_setprop_string(withargs, chosen, "bootargs", "uk.qemu=1 name=x");
	CHECK(dt_read(withargs, n + 4096, &dt) == 0 && dt.bootargs &&
		  strcmp(dt.bootargs, "uk.qemu=1 name=x") == 0,
	      "bootargs from /chosen");

	/* An unterminated bootargs string is ignored, not read past its end. */
	fdt_setprop(withargs, chosen, "bootargs", "abc", 3);
	CHECK(dt_read(withargs, n + 4096, &dt) == 0 && dt.bootargs == NULL,
	      "unterminated bootargs ignored");

	/* Debian's board files: the Pi 3's says 1 GiB; the Pi 4's leaves /memory empty for the
	 * firmware to fill in at boot (then uk asks the mailbox). */
	const char *pis[][2] = {{"bcm2837-rpi-3-b.dtb", "Raspberry Pi 3 Model B"},
				{"bcm2711-rpi-4-b.dtb", "Raspberry Pi 4 Model B"}};
	const uint64_t pi_mem[] = {1u << 30, 0};
	for (int i = 0; i < 2; i++) {
		size_t pn = 0;
		snprintf(path, sizeof(path), "%s/dtb/%s", cache, pis[i][0]);
		char *pi = slurp(path, &pn);
		CHECK(pi && dt_read(pi, pn, &dt) == 0, "%s reads", pis[i][0]);
		CHECK(dt.model && strcmp(dt.model, pis[i][1]) == 0, "model is %s", pis[i][1]);
		CHECK(dt_psci_method(pi) == -1, "%s: no PSCI", pis[i][0]);
		CHECK(dt_cpu_count(pi) == 4, "%s: 4 cores under /cpus", pis[i][0]);
		CHECK(dt.mem_base == 0 && dt.mem_size == pi_mem[i], "%s: memory 0x%llx", pis[i][0],
		      (unsigned long long)dt.mem_size);
		free(pi);
	}

	/* Corruption: never a crash, always an error or a partial answer. */
	char *bad = malloc(n + 64);
	memcpy(bad, virt, n);
	bad[0] ^= 0xff;
	CHECK(dt_read(bad, n, &dt) == -EINVAL, "bad magic rejected");
	CHECK(dt_read(virt, 20, &dt) == -EINVAL, "truncated header rejected");
	CHECK(dt_read(virt, fdt_totalsize(virt) - 1, &dt) == -EFBIG, "total size beyond buffer");
	memcpy(bad, virt, n);
	fdt_set_off_dt_struct(bad, fdt_totalsize(bad) + 100);
	CHECK(dt_read(bad, n, &dt) != 0, "structure block outside the tree rejected");

	/* The structure block one byte off its 4-byte alignment (found by tests/fuzz): libfdt
	 * would read every tag misaligned. */
	size_t so = fdt_off_dt_struct(virt), ss = fdt_size_dt_struct(virt),
	       end = fdt_totalsize(virt);
	char *mis = calloc(1, end + ss + 8);
	memcpy(mis, virt, end);
	memcpy(mis + end + 1, virt + so, ss);
	fdt_set_off_dt_struct(mis, (uint32_t)(end + 1));
	fdt_set_totalsize(mis, (uint32_t)(end + 1 + ss));
	CHECK(dt_read(mis, end + 1 + ss, &dt) == -EINVAL, "misaligned structure block rejected");
	free(mis);

	/* Random byte flips in the structure block: dt_read must return, whatever it says. */
	srand(1);
	int survived = 0;
	for (int i = 0; i < 2000; i++) {
		memcpy(bad, virt, n);
		for (int j = 0; j < 8; j++) {
			size_t at =
			    fdt_off_dt_struct(virt) + (size_t)rand() % fdt_size_dt_struct(virt);
			bad[at] = (char)rand();
		}
		dt_read(bad, n, &dt);
		if (dt.bootargs)
			(void)strlen(dt.bootargs);
		if (dt.model)
			(void)strlen(dt.model);
		survived++;
	}
	CHECK(survived == 2000, "2000 corrupted trees read without a crash");
	free(bad);
	free(withargs);
	free(virt);
	return TAP_DONE();
}
