/* buildjson.c: build.json: size and sha256 of every artifact, versions of every tool. */
#define _GNU_SOURCE
#include "build.h"

#include <archive.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

static char *first_line(char *const argv[])
{
	char *s = run_capture(argv, NULL);
	if (!s)
		return xstrdup("unknown");
	char *nl = strchr(s, '\n');
	if (nl)
		*nl = 0;
	return s;
}

static char *deb_version(const char *pkg)
{
	char *fmt = "-f=${Version}";
	char *argv[] = {"dpkg-query", "-W", fmt, (char *)pkg, NULL};
	int st;
	char *s = run_capture(argv, &st);
	if (!s || st != 0 || !*s) {
		free(s);
		return xstrdup("unknown");
	}
	return s;
}

/* sdcard.img is the biggest file to hash: a second thread hashes it while the rest are done. */
struct hash_job {
	char *path;
	char hex[65];
	uint64_t size;
	int rc;
};

static void *hash_thread(void *arg)
{
	struct hash_job *h = arg;
	h->rc = sha256_file(h->path, h->hex, &h->size);
	return NULL;
}

static void artifact_hashed(struct json *j, const char *name, const struct hash_job *h)
{
	if (h->rc == 0) {
		json_key(j, name);
		json_obj(j);
		json_kint(j, "size", (long long)h->size);
		json_kstr(j, "sha256", h->hex);
		json_end_obj(j);
	}
}

static void artifact(struct json *j, const char *dir, const char *name)
{
	char *p = path_join(dir, name), hex[65];
	uint64_t size;
	if (sha256_file(p, hex, &size) == 0) {
		json_key(j, name);
		json_obj(j);
		json_kint(j, "size", (long long)size);
		json_kstr(j, "sha256", hex);
		json_end_obj(j);
	}
	free(p);
}

int build_json(struct ctx *c, const char *fw_version, uint64_t size, uint32_t vol, uint32_t sig)
{
	char *path = path_join(c->tmp, "build.json");
	FILE *f = fopen(path, "w");
	free(path);
	if (!f)
		return -1;
	struct json j;
	struct hash_job sd = {.path = path_join(c->tmp, "sdcard.img"), .rc = -1};
	pthread_t th;
	int threaded = pthread_create(&th, NULL, hash_thread, &sd) == 0;
	if (!threaded)
		hash_thread(&sd);
	json_begin(&j, f, 1);
	json_obj(&j);
	json_kstr(&j, "name", c->m->name);
	json_kstr(&j, "target", c->target);
	json_kstr(&j, "uk", UK_VERSION);
	json_kint(&j, "source_date_epoch", c->epoch);
	json_key(&j, "artifacts");
	json_obj(&j);
	artifact(&j, c->tmp, "app.elf");
	artifact(&j, c->tmp, "kernel8.img");
	artifact(&j, c->tmp, "boot.vfat");
	if (c->data_offset)
		artifact(&j, c->tmp, "data.img");
	int dirs = c->m->slot_size && slots_in_dirs(c->target); /* the Pi 3: no slot partitions */
	if (c->m->slot_size && !dirs) {
		artifact(&j, c->tmp, SLOTS_AUTOBOOT_IMAGE);
		artifact(&j, c->tmp, SLOTS_B_IMAGE);
	}
	if (threaded)
		pthread_join(th, NULL);
	artifact_hashed(&j, "sdcard.img", &sd);
	free(sd.path);
	char *boot = path_join(c->tmp, "boot");
	struct strlist files = {0};
	boot_tree(boot, &files);
	for (size_t i = 0; i < files.n; i++) {
		char *rel = path_join("boot", files.v[i]);
		artifact(&j, c->tmp, rel);
		free(rel);
	}
	sl_free(&files);
	free(boot);
	json_end_obj(&j);

	json_key(&j, "image");
	json_obj(&j);
	json_kint(&j, "size", (long long)size);
	json_kint(&j, "partition_offset", (long long)c->part_offset);
	json_kstr(&j, "partition_type", "0x0c");
	json_kint(&j, "data_offset", (long long)c->data_offset);
	json_kint(&j, "data_size", c->data_offset ? (long long)(size - c->data_offset) : 0);
	char hx[16];
	snprintf(hx, sizeof hx, "%08x", sig);
	json_kstr(&j, "disk_signature", hx);
	snprintf(hx, sizeof hx, "%08X", vol);
	json_kstr(&j, "volume_id", hx);
	if (c->m->slot_size) {
		json_kstr(&j, "slots", "ab");
		json_kint(&j, "slot_size", (long long)c->m->slot_size);
	}
	/* the MBR's partitions: uk data, the fleet stamper and the tests read the layout here */
	json_key(&j, "partitions");
	json_arr(&j);
	for (int i = 0; i < c->nparts; i++) {
		json_obj(&j);
		json_kint(&j, "number", i + 1);
		json_kstr(&j, "role", c->parts[i].role);
		snprintf(hx, sizeof hx, "0x%02x", c->parts[i].type);
		json_kstr(&j, "type", hx);
		json_kbool(&j, "bootable", c->parts[i].boot);
		json_kint(&j, "offset", (long long)c->parts[i].offset);
		json_kint(&j, "size", (long long)c->parts[i].size);
		if (dirs && !strcmp(c->parts[i].role, "boot")) /* slots a/ and b/ inside it */
			json_kstr(&j, "slots", "os_prefix");
		json_end_obj(&j);
	}
	json_end_arr(&j);
	json_end_obj(&j);

	json_key(&j, "versions");
	json_obj(&j);
	struct strlist a = {0};
	sl_append(&a, &c->cc);
	sl_push(&a, "--version");
	char *s = first_line(a.v);
	json_kstr(&j, "compiler", s);
	free(s);
	sl_free(&a);
	sl_append(&a, &c->objcopy);
	sl_push(&a, "--version");
	s = first_line(a.v);
	json_kstr(&j, "objcopy", s);
	free(s);
	sl_free(&a);
	const char *rv = conf_get(&c->tc, "VERSION");
	if (!rv)
		rv = conf_get(&c->tc, "UK_VERSION");
	char *lib = xasprintf("%s/%s/libuk.a", uk_home(), c->target), hex[65];
	if (rv) {
		json_kstr(&j, "runtime", rv);
	} else if (sha256_file(lib, hex, NULL) == 0) {
		char *r = xasprintf("libuk.a sha256:%.16s", hex);
		json_kstr(&j, "runtime", r);
		free(r);
	}
	free(lib);
	s = deb_version("picolibc-aarch64-linux-gnu");
	json_kstr(&j, "picolibc", s);
	free(s);
	json_kstr(&j, "firmware", fw_version ? fw_version : "none");
	s = deb_version("dosfstools");
	json_kstr(&j, "dosfstools", s);
	free(s);
	s = deb_version("mtools");
	json_kstr(&j, "mtools", s);
	free(s);
	json_kstr(&j, "libarchive", archive_version_details());
	json_kstr(&j, "libyaml", yaml_get_version_string());
	json_kstr(&j, "uk", UK_VERSION);
	json_end_obj(&j);
	json_end_obj(&j);
	return fclose(f);
}

/* ---- one target ---- */
