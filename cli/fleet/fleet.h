/* fleet.h: uk build --fleet (docs/fleet.md): the inventory (inventory.c: YAML or CSV, every
 * value checked by the rules uk.yaml's follow) and the stamper (stamp.c: one card image per
 * device from one build). */
#ifndef UK_FLEET_H
#define UK_FLEET_H

#include "uk.h"

#include <string.h>

struct device {
	char *name;
	struct bootargs args;	  /* the device's own boot arguments, checked */
	struct strlist dest, src; /* files: name on the boot partition, path on this host */
	int line;
	/* results */
	char sha256[65];
	uint64_t size;
	char *cmdline;
	int rc;
};

struct inventory {
	const char *path;
	char *dir; /* relative file paths start here */
	struct device *d;
	size_t n;
	int errors;
};

/* the last part of a path */
static inline const char *sbase(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* ---- inventory.c ---- */
/* Loads and validates a fleet inventory (YAML or CSV): NULL after reporting every mistake. */
struct inventory *fleet_inventory_load(const char *path, const struct manifest *m);
void fleet_inventory_free(struct inventory *inv);

/* ---- stamp.c ---- */
/* After a successful build of OUT: the block map beside sdcard.img, then the fleet when
 * INVENTORY is set. Returns 0 or an exit code. */
int build_after(struct manifest *m, const char *target, const char *out, struct inventory *inv);
int fleet_build(struct manifest *m, const char *target, const char *out, struct inventory *inv);
/* The image of device NAME from DIR/fleet/fleet.json, or NULL with a message. */
char *fleet_image(const char *dir, const char *name);

#endif
