/* build_record.c: reads build.json (written by buildjson.c) with jansson into a typed record,
 * and the marker that says a directory is a uk build output. Everything that needs a fact from
 * an earlier build (uk flash, the fleet stamper, the output-replacement check) reads it here. */
#define _GNU_SOURCE
#include "uk.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char build_marker_name[] = ".uk-output";
const char build_marker_text[] =
    "This directory is a uk build output: 'uk build' replaces it as a whole.\n";

static char *dup_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? xstrdup(s) : NULL;
}

static int hex_u32(json_t *o, const char *key, uint32_t *out)
{
	const char *s = json_string_value(json_object_get(o, key));
	char *end;
	if (!s || !*s || strlen(s) > 8)
		return -1;
	unsigned long v = strtoul(s, &end, 16);
	if (*end)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int is_sha256(const char *s)
{
	if (!s || strlen(s) != 64)
		return 0;
	for (int i = 0; i < 64; i++)
		if (!strchr("0123456789abcdef", s[i]))
			return 0;
	return 1;
}

/* image.partitions, or for a build.json from before it, the layout it implies: -1 when a
 * partition is unknown or does not fit the image. */
static int read_parts(struct build_record *r, json_t *list)
{
	if (!list) {
		r->nparts = card_layout(r->parts, r->partition_offset,
					(r->data_offset ? r->data_offset : r->image_size) -
					    r->partition_offset,
					0, r->data_offset ? r->data_size : 0, &r->image_size);
		return 0;
	}
	size_t i;
	json_t *e;
	if (!json_is_array(list) || json_array_size(list) < 1 || json_array_size(list) > 4)
		return -1;
	json_array_foreach(list, i, e)
	{
		json_t *off = json_object_get(e, "offset"), *size = json_object_get(e, "size");
		const char *role = part_role(json_string_value(json_object_get(e, "role")));
		const char *type = json_string_value(json_object_get(e, "type"));
		char *end;
		unsigned long t = type ? strtoul(type, &end, 16) : 256;
		if (!role || !json_is_integer(off) || !json_is_integer(size) || t > 255 || *end ||
		    json_integer_value(off) <= 0 || json_integer_value(size) <= 0 ||
		    (uint64_t)json_integer_value(off) + (uint64_t)json_integer_value(size) >
			r->image_size)
			return -1;
		r->parts[i] = (struct sd_part){.role = role,
					       .type = (uint8_t)t,
					       .boot = json_is_true(json_object_get(e, "bootable")),
					       .offset = (uint64_t)json_integer_value(off),
					       .size = (uint64_t)json_integer_value(size)};
	}
	r->nparts = (int)i;
	return 0;
}

int build_record_read(const char *dir, struct build_record *r, char **why)
{
	memset(r, 0, sizeof *r);
	char *path = path_join(dir, "build.json");
	json_error_t err;
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
	int rc = -2;
	if (!root) {
		if (why)
			*why = access(path, F_OK) < 0 ? xasprintf("%s: %s", path, strerror(errno))
						      : xasprintf("%s:%d:%d: %s", path, err.line,
								  err.column, err.text);
		rc = access(path, F_OK) < 0 ? -1 : -2;
		free(path);
		return rc;
	}
	r->name = dup_str(root, "name");
	r->target = dup_str(root, "target");
	r->uk = dup_str(root, "uk");
	json_t *epoch = json_object_get(root, "source_date_epoch");
	json_t *image = json_object_get(root, "image");
	json_t *sd = json_object_get(json_object_get(root, "artifacts"), "sdcard.img");
	const char *sha = json_string_value(json_object_get(sd, "sha256"));
	json_t *size = json_object_get(image, "size"),
	       *off = json_object_get(image, "partition_offset");
	const char *bad = NULL;
	if (!json_is_object(root))
		bad = "it is not a JSON object";
	else if (!r->name || !r->target || !r->uk)
		bad = "it has no name, target or uk version";
	else if (!valid_target(r->target))
		bad = "its target is not one uk knows";
	else if (!json_is_integer(epoch) || !json_is_integer(size) || !json_is_integer(off) ||
		 json_integer_value(size) <= 0 || json_integer_value(off) <= 0 ||
		 json_integer_value(off) >= json_integer_value(size))
		bad = "it has no valid image layout";
	else if (hex_u32(image, "disk_signature", &r->disk_signature) < 0 ||
		 hex_u32(image, "volume_id", &r->volume_id) < 0)
		bad = "its disk signature or volume id is not hexadecimal";
	else if (!is_sha256(sha))
		bad = "it records no sha256 of sdcard.img";
	if (bad) {
		if (why)
			*why = xasprintf("%s is not a uk build record: %s", path, bad);
		json_decref(root);
		free(path);
		build_record_free(r);
		return -2;
	}
	r->source_date_epoch = json_integer_value(epoch);
	r->image_size = (uint64_t)json_integer_value(size);
	r->partition_offset = (uint64_t)json_integer_value(off);
	json_t *doff = json_object_get(image, "data_offset"),
	       *dsz = json_object_get(image, "data_size");
	r->data_offset = json_is_integer(doff) ? (uint64_t)json_integer_value(doff) : 0;
	r->data_size = json_is_integer(dsz) ? (uint64_t)json_integer_value(dsz) : 0;
	if (r->data_offset && (r->data_offset <= r->partition_offset ||
			       r->data_offset + r->data_size != r->image_size)) {
		if (why)
			*why = xasprintf("%s is not a uk build record: its data partition does not "
					 "fit its image",
					 path);
		json_decref(root);
		free(path);
		build_record_free(r);
		return -2;
	}
	if (read_parts(r, json_object_get(image, "partitions")) < 0) {
		if (why)
			*why = xasprintf("%s is not a uk build record: its partitions do not fit "
					 "its image",
					 path);
		json_decref(root);
		free(path);
		build_record_free(r);
		return -2;
	}
	memcpy(r->sdcard_sha256, sha, 65);
	json_decref(root);
	free(path);
	return 0;
}

void build_record_free(struct build_record *r)
{
	free(r->name), free(r->target), free(r->uk);
	memset(r, 0, sizeof *r);
}

int build_marker_write(const char *dir)
{
	char *p = path_join(dir, build_marker_name);
	int rc = write_file(p, build_marker_text, strlen(build_marker_text));
	free(p);
	return rc;
}

/* What uk build, its block map and the fleet stamper put in an output, and nothing else. */
static const char *const output_names[] = {".",
					   "..",
					   ".uk-output",
					   "app.elf",
					   "kernel8.img",
					   "boot",
					   "boot.vfat",
					   "sdcard.img",
					   "sdcard.img.bmap",
					   "obj",
					   "fleet",
					   "build.json",
					   "data.img",
					   SLOTS_AUTOBOOT_IMAGE,
					   SLOTS_B_IMAGE,
					   "update.ukb",
					   NULL};

int build_output_check(const char *dir, char **why)
{
	*why = NULL;
	DIR *d = opendir(dir);
	if (!d) {
		*why = xasprintf("cannot read %s: %s", dir, strerror(errno));
		return -1;
	}
	struct dirent *e;
	size_t entries = 0;
	while (!*why && (e = readdir(d))) {
		int known = 0;
		for (int i = 0; output_names[i]; i++)
			known |= !strcmp(e->d_name, output_names[i]);
		if (!known)
			*why = xasprintf("it holds %s, which uk build never writes", e->d_name);
		entries += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	}
	closedir(d);
	if (*why)
		return -1;
	if (!entries)
		return 0; /* empty: nothing to lose */
	char *marker = path_join(dir, build_marker_name), *text = NULL;
	int marked = read_file(marker, &text, NULL) == 0 && !strcmp(text, build_marker_text);
	free(marker), free(text);
	if (!marked) {
		*why = xasprintf("it has no %s marker", build_marker_name);
		return -1;
	}
	struct build_record r;
	char *bad = NULL;
	int rc = build_record_read(dir, &r, &bad);
	build_record_free(&r);
	if (rc < 0) {
		*why = bad;
		return -1;
	}
	return 0; /* marked, and its build.json is uk's */
}
