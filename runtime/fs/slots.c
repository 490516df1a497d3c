/*
 * The A/B cards of docs/update.md.
 * Pi 4 and virt: partition 1 a small FAT holding the Pi 4 firmware's autoboot.txt (and uk's
 * update state, uk-update.txt), partitions 2 and 3 two boot slots, each a whole boot partition.
 * Which slot is /boot is the firmware's choice: the partition it names in /chosen/bootloader
 * (Pi 4 firmware; on virt the firmware stand-in tests/tools/pi_firmware.py), else what
 * autoboot.txt makes a normal boot pick (uk run --qemu, which boots the build's kernel without a
 * firmware).
 * Pi 3: one boot partition, /boot; config.txt includes slot.txt, whose os_prefix (a/ or b/)
 * makes the firmware load that directory's kernel, cmdline.txt and device tree.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "vfs.h"

static struct card_slots slots;
static struct uk_sem autoboot_lock;

static bool fat_type(uint8_t t)
{
	return t == 0x0b || t == 0x0c || t == 0x0e || t == 0x06 || t == 0x04;
}

int slots_read_file(struct mount *m, const char *path, char *buf, size_t size)
{
	void *f;
	int r = m->ops->open(m, path, O_RDONLY, &f);
	if (r < 0)
		return r;
	ssize_t n = m->ops->read(m, f, buf, size - 1);
	m->ops->close(m, f);
	if (n < 0)
		return (int)n;
	buf[n] = 0;
	return (int)n;
}

/* boot_partition= as the firmware reads it for a boot: lines under [all] always count, lines
 * under `section` too when given (a tryboot reads [tryboot]); the last one wins. */
static unsigned partition_in(const char *text, const char *section)
{
	unsigned found = 0;
	bool in = true; /* before any header: [all] */
	for (const char *l = text; *l;) {
		const char *end = strchr(l, '\n');
		size_t len = end ? (size_t)(end - l) : strlen(l);
		if (len && l[0] == '[')
			in = !strncmp(l, "[all]", 5) ||
			     (section && !strncmp(l, section, strlen(section)));
		else if (in && len > 15 && !strncmp(l, "boot_partition=", 15))
			found = (unsigned)strtoul(l + 15, NULL, 10);
		l += len + (end ? 1 : 0);
	}
	return found;
}

int slots_parse_autoboot(const char *text, unsigned *normal, unsigned *trial)
{
	if (!strstr(text, "tryboot_a_b=1"))
		return -EINVAL;
	*normal = partition_in(text, NULL);
	*trial = partition_in(text, "[tryboot]");
	bool ok = (*normal == 2 && *trial == 3) || (*normal == 3 && *trial == 2);
	return ok ? 0 : -EINVAL;
}

int slots_probe(const struct volume part[4], const uint8_t type[4])
{
	if (!fat_type(type[0]) || !fat_type(type[1]) || !fat_type(type[2]))
		return -ENOENT;
	struct mount *m = &slots.autoboot;
	*m = (struct mount){.path = "(autoboot)", .vol = part[0], .lock = &autoboot_lock};
	uk_sem_init(&autoboot_lock, 1);
	if (fat_mount(m) != 0)
		return -ENOENT;
	char text[512];
	unsigned normal, trial;
	if (slots_read_file(m, "/autoboot.txt", text, sizeof text) < 0 ||
	    slots_parse_autoboot(text, &normal, &trial) != 0) {
		free(m->fs);
		*m = (struct mount){0};
		return -ENOENT;
	}
	slots.slot[0] = part[1];
	slots.slot[1] = part[2];
	uint32_t partition, tryboot;
	if (dt_bootloader(uk_fdt, &partition, &tryboot) == 0 &&
	    (partition == 2 || partition == 3)) {
		slots.booted = partition;
		slots.tryboot = tryboot == 1;
	} else {
		slots.booted = normal; /* no firmware said: the partition a normal boot takes */
		slots.tryboot = false;
	}
	slots.state = &slots.autoboot;
	slots.present = true;
	return (int)slots.booted;
}

int slots_probe_prefix(struct mount *boot)
{
	char text[64];
	if (!boot->ops || slots_read_file(boot, "/slot.txt", text, sizeof text) < 0)
		return -ENOENT;
	if (!strcmp(text, "os_prefix=a/\n"))
		slots.booted = 2;
	else if (!strcmp(text, "os_prefix=b/\n"))
		slots.booted = 3;
	else
		return -ENOENT;
	slots.prefix = true;
	slots.state = boot;
	slots.present = true;
	return 0;
}

struct card_slots *vfs_slots(void)
{
	vfs_init();
	return slots.present ? &slots : NULL;
}
