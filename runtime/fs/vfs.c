/*
 * Mounts: the card's MBR (written by uk build, cli/pipeline/mbr.c) names the partitions; partition
 * 1, FAT32 (type 0x0c), is /boot (on an A/B card, the slot the firmware booted: fs/slots.c); the
 * partition of type 0xda, littlefs, is /data; /tmp is in RAM. Mounting
 * happens on the first file call, not at boot, so an app that never touches a file pays nothing for
 * it.
 */
#include <errno.h>
#include <string.h>

#include "vfs.h"

#define MAX_MOUNTS 3
#define TMP_BYTES  (1u << 20) /* /tmp: 1 MiB of RAM */

static struct mount mounts[MAX_MOUNTS];
static struct uk_sem locks[MAX_MOUNTS];
static size_t n_mounts;
static int init_result = 1; /* 1: not tried yet */

int volume_read(const struct volume *v, uint64_t lba, uint32_t count, void *buf)
{
	if (lba > v->blocks || count > v->blocks - lba)
		return -EIO;
	if (v->cached)
		return block_cache_read(v->bd, v->first + lba, count, buf);
	return v->bd->read(v->first + lba, count, buf);
}

int volume_write(const struct volume *v, uint64_t lba, uint32_t count, const void *buf)
{
	if (lba > v->blocks || count > v->blocks - lba)
		return -EIO;
	if (v->cached)
		return block_cache_write(v->bd, v->first + lba, count, buf);
	return v->bd->write(v->first + lba, count, buf);
}

int volume_sync(const struct volume *v)
{
	return v->cached ? block_cache_sync(v->bd) : v->bd->flush();
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Partition n (0-3) of the MBR in sector: its type, or 0 when unused or out of the disk. */
static uint8_t partition(const uint8_t *mbr, unsigned n, struct blockdev *bd, struct volume *v)
{
	const uint8_t *e = mbr + 446 + 16 * n; /* the partition table (MBR, offset 0x1be) */
	uint8_t type = e[4];
	uint64_t first = le32(e + 8), count = le32(e + 12);
	if (!type || !count || first >= bd->blocks || count > bd->blocks - first)
		return 0;
	*v = (struct volume){.bd = bd, .first = first, .blocks = count, .cached = true};
	return type;
}

/* keep: a mount that fails stays listed, unusable (ENODEV), so the app can format it */
static void add_mount(const char *path, const struct volume *v, int (*mount)(struct mount *),
		      bool keep)
{
	struct mount *m = &mounts[n_mounts];
	*m = (struct mount){.path = path, .vol = *v, .lock = &locks[n_mounts]};
	uk_sem_init(m->lock, 1);
	int r = mount(m);
	if (r == 0 || keep)
		n_mounts++;
	if (r)
		kprintf("fs: %s: cannot mount the partition at block %llu (%d)%s\n", path,
			(unsigned long long)v->first, r,
			keep ? ": blank or damaged; uk_fs_format(\"/data\") makes a new, empty one"
			     : "");
}

/* /tmp, a FAT file system in RAM made at the first file call. */
static void add_tmp(void)
{
	struct blockdev *bd = ramdisk_create(TMP_BYTES);
	if (!bd) {
		kprintf("fs: no memory for /tmp\n");
		return;
	}
	struct volume v = {.bd = bd, .first = 0, .blocks = bd->blocks};
	add_mount("/tmp", &v, fat_format_mount, false);
}

int vfs_init(void)
{
	if (init_result != 1)
		return init_result;
	init_result = -ENODEV;
	add_tmp();
	struct blockdev *bd = block_probe();
	if (!bd) {
		kprintf("fs: no card: /boot and /data are not available\n");
		return init_result;
	}
	static uint8_t mbr[BLOCK_SIZE];
	int r = bd->read(0, 1, mbr);
	if (r != 0 || mbr[510] != 0x55 || mbr[511] != 0xaa) {
		kprintf("fs: %s: %s\n", bd->name, r ? "cannot read the partition table" : "no MBR");
		return init_result;
	}
	struct volume part[4];
	uint8_t type[4];
	for (unsigned i = 0; i < 4; i++)
		type[i] = partition(mbr, i, bd, &part[i]);
	/* an A/B card: /boot is the slot the firmware booted (fs/slots.c) */
	int booted = slots_probe(part, type);
	if (booted > 0)
		add_mount("/boot", &part[booted - 1], fat_mount, false);
	else if (type[0] == 0x0c || type[0] == 0x0b || type[0] == 0x0e) {
		size_t at = n_mounts;
		add_mount("/boot", &part[0], fat_mount, false);
		if (n_mounts > at) /* a Pi 3 A/B card: slot directories (fs/slots.c) */
			slots_probe_prefix(&mounts[at]);
	}
	/* type 0xda ("non-file-system data" to other systems): littlefs, /data; partition 2 on
	 * a card with one boot partition, 4 on an A/B card */
	for (unsigned i = 1; i < 4; i++)
		if (type[i] == 0xda) {
			add_mount("/data", &part[i], littlefs_mount, true);
			break;
		}
	init_result = 0;
	return 0;
}

struct mount *vfs_lookup(const char *path, const char **inside)
{
	for (size_t i = 0; i < n_mounts; i++) {
		size_t l = strlen(mounts[i].path);
		if (!strncmp(path, mounts[i].path, l) && (path[l] == '/' || !path[l])) {
			*inside = path[l] ? path + l : "/";
			return &mounts[i];
		}
	}
	return NULL;
}

struct mount *vfs_mount_at(size_t i)
{
	return i < n_mounts ? &mounts[i] : NULL;
}

void vfs_lock(struct mount *m)
{
	uk_sem_wait(m->lock, 0);
}

void vfs_unlock(struct mount *m)
{
	uk_sem_post(m->lock);
}
