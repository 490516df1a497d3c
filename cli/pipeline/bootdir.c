/* bootdir.c: the boot partition's files (boot/), then boot.vfat and sdcard.img from them. */
#define _GNU_SOURCE
#include "build.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Volume id and disk signature: fixed per app and target, different between apps. */
static uint32_t derive_id(const char *what, const struct manifest *m, const char *target)
{
	struct sha256 c;
	unsigned char d[32];
	sha256_init(&c);
	sha256_update(&c, what, strlen(what));
	sha256_update(&c, m->name, strlen(m->name) + 1);
	sha256_update(&c, target, strlen(target));
	sha256_final(&c, d);
	return (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3];
}

static int write_text(const char *dir, const char *name, const char *text)
{
	char *p = path_join(dir, name);
	int r = write_file(p, text, strlen(text));
	if (r < 0)
		error("cannot write %s: %s", p, strerror(errno));
	free(p);
	return r;
}

static int gpu_mem_16(const struct manifest *m)
{
	for (size_t i = 0; i < m->config_txt.n; i++) {
		const char *s = m->config_txt.v[i];
		if (!strncmp(s, "gpu_mem=", 8) && atoi(s + 8) <= 16)
			return 1;
	}
	return 0;
}

int boot_files(struct ctx *c, char **fw_version)
{
	struct manifest *m = c->m;
	char *boot = path_join(c->tmp, "boot");
	int rc = -1;
	mkdir_p(boot);

	/* config.txt: the board's template, then the manifest's lines */
	char *tpl = xasprintf("%s/images/%s/config.txt", uk_home(), c->target), *text = NULL;
	if (read_file(tpl, &text, NULL) < 0) {
		error("missing %s", tpl);
		hint("reinstall uk ('make' in the source tree stages images/ into build/lib/uk)");
		free(tpl);
		goto out;
	}
	free(tpl);
	if (m->config_txt.n) {
		char *extra = sl_join(&m->config_txt, "\n"); /* one line each: validated */
		char *t = xasprintf("%s\n# from uk.yaml\n%s\n", text, extra);
		free(text);
		free(extra);
		text = t;
	}
	if (write_text(boot, "config.txt", text) < 0)
		goto out;
	char *args = bootargs_format(&m->bootargs);
	char *line = xasprintf("%s\n", args);
	free(args);
	int w = write_text(boot, "cmdline.txt", line);
	free(line);
	if (w < 0)
		goto out;
	char *k = path_join(c->tmp, "kernel8.img"), *bk = path_join(boot, "kernel8.img");
	w = link_or_copy(k, bk);
	free(k), free(bk);
	if (w < 0)
		goto out;
	if (m->update_key) { /* the key the device checks bundles with: in slot A and in every
			      * bundle, so each version brings the key of the next */
		char *pem = path_join(boot, "update.pem");
		w = copy_file(m->update_key, pem);
		if (w < 0)
			error("cannot copy %s: %s", m->update_key, strerror(errno));
		free(pem);
		if (w < 0)
			goto out;
	}

	/* the boards' device trees, from the Debian kernel package cached by install.sh: one per
	 * board the target covers, the firmware picks its own (docs/boards.md). A card without one
	 * would boot that board with no /chosen/bootargs, so a missing tree fails the build. */
	const char *dtbs = conf_get(&c->tc, "BOARD_DTB");
	if (!dtbs || !*dtbs)
		dtbs = conf_get(&c->lay, "BOARD_DTB");
	struct strlist dl = {0};
	if (dtbs)
		split_words(dtbs, &dl);
	int missing = 0;
	for (size_t i = 0; i < dl.n; i++) {
		const char *dtb = dl.v[i];
		const char *base = strrchr(dtb, '/') ? strrchr(dtb, '/') + 1 : dtb;
		char *src = dtb[0] == '/' ? xstrdup(dtb) : xasprintf("%s/dtb/%s", uk_cache(), dtb);
		char *to = path_join(boot, base);
		if (copy_file(src, to) < 0) {
			error("missing device tree %s: the %s card would not boot that board", src,
			      c->target);
			missing++;
		}
		free(src), free(to);
	}
	sl_free(&dl);
	if (missing) {
		hint("run ./install.sh to fetch the trees into UK_CACHE (%s), or set UK_CACHE",
		     uk_cache());
		rc = -2;
		goto out;
	}

	/* firmware: reuse the previous build's copies when they came from the same .deb */
	const char *fw = conf_get(&c->lay, "FIRMWARE");
	struct strlist names = {0};
	if (fw)
		split_words(fw, &names);
	if (gpu_mem_16(m)) {
		const char *cd = conf_get(&c->lay, "FIRMWARE_CD");
		sl_free(&names);
		if (cd)
			split_words(cd, &names);
	}
	if (names.n) {
		char *deb = firmware_deb();
		if (!deb) {
			error("no raspi-firmware_*.deb in %s/debs", uk_cache());
			hint("run ./install.sh (it downloads Debian's raspi-firmware), or set "
			     "UK_CACHE");
			sl_free(&names);
			rc = -2;
			goto out;
		}
		struct stat st;
		stat(deb, &st);
		char *stamp =
		    xasprintf("%s %lld %lld\n", deb, (long long)st.st_size, (long long)st.st_mtime);
		char *oldstamp = NULL,
		     *oldf = c->old ? path_join(c->old, "obj/firmware.stamp") : NULL;
		int reuse =
		    oldf && read_file(oldf, &oldstamp, NULL) == 0 && !strcmp(oldstamp, stamp);
		for (size_t i = 0; reuse && i < names.n; i++) {
			char *from = xasprintf("%s/boot/%s", c->old, names.v[i]);
			char *to = path_join(boot, names.v[i]);
			if (!file_exists(from) || link_or_copy(from, to) < 0)
				reuse = 0;
			free(from), free(to);
		}
		if (!reuse && firmware_extract(deb, &names, boot) < 0) {
			free(stamp), free(oldstamp), free(oldf), free(deb);
			sl_free(&names);
			rc = -2;
			goto out;
		}
		char *sf = path_join(c->tmp, "obj/firmware.stamp");
		unlink(sf);
		write_file(sf, stamp, strlen(stamp));
		const char *b = strrchr(deb, '/') + 1;
		*fw_version = xstrdup(b);
		free(sf), free(stamp), free(oldstamp), free(oldf), free(deb);
	}
	sl_free(&names);
	if (m->slot_size && slots_in_dirs(c->target)) { /* the Pi 3: firmware at the root */
		struct strlist root = {0};
		if (fw)
			split_words(fw, &root);
		const char *cd = conf_get(&c->lay, "FIRMWARE_CD");
		if (cd)
			split_words(cd, &root);
		int r = slots_dirs_arrange(boot, &root);
		sl_free(&root);
		if (r < 0)
			goto out;
	}
	rc = 0;
out:
	free(text);
	free(boot);
	return rc;
}

void boot_tree(const char *boot, struct strlist *out)
{
	DIR *d = opendir(boot);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char *p = path_join(boot, e->d_name);
		if (is_dir(p)) { /* the Pi 3's slot directories, one level */
			struct strlist sub = {0};
			slots_dirs_list(p, &sub);
			for (size_t i = 0; i < sub.n; i++)
				sl_pushf(out, "%s/%s", e->d_name, strrchr(sub.v[i], '/') + 1);
			sl_free(&sub);
		} else {
			sl_push(out, e->d_name);
		}
		free(p);
	}
	if (d)
		closedir(d);
	sl_sort(out);
}

/* Hash of everything that decides boot.vfat and sdcard.img. */
static char *boot_stamp(struct ctx *c, uint64_t size, uint32_t vol, uint32_t sig, const char *label)
{
	char *boot = path_join(c->tmp, "boot");
	struct strlist files = {0};
	boot_tree(boot, &files);
	struct sha256 h;
	sha256_init(&h);
	char *hdr =
	    xasprintf("uk %s size %llu at %llu vol %08x %s sig %08x epoch %lld\n", UK_VERSION,
		      (unsigned long long)size, (unsigned long long)c->part_offset, vol, label, sig,
		      (long long)c->epoch);
	sha256_update(&h, hdr, strlen(hdr));
	free(hdr);
	for (size_t i = 0; i < files.n; i++) {
		char *p = path_join(boot, files.v[i]), hex[65];
		sha256_file(p, hex, NULL);
		sha256_update(&h, files.v[i], strlen(files.v[i]) + 1);
		sha256_update(&h, hex, 64);
		free(p);
	}
	char *data = xasprintf("data %llu slots %llu\n", (unsigned long long)c->m->data_size,
			       (unsigned long long)c->m->slot_size);
	sha256_update(&h, data, strlen(data));
	free(data);
	data_seed_stamp(&h, c->m);
	char *out = sha256_final_hex(&h);
	sl_free(&files);
	free(boot);
	return out;
}

int images(struct ctx *c, uint64_t *size_out, uint32_t *vol_out, uint32_t *sig_out)
{
	struct manifest *m = c->m;
	uint64_t size = m->image_size, offset = 4u << 20;
	const char *v;
	if (!size && (v = conf_get(&c->lay, "IMAGE_SIZE")))
		parse_size(v, &size);
	if (!size)
		size = 64u << 20;
	if ((v = conf_get(&c->lay, "BOOT_OFFSET")))
		parse_size(v, &offset);
	const char *label = conf_get(&c->lay, "VOLUME_LABEL");
	if (!label || !*label)
		label = "UKBOOT";
	uint32_t vol = derive_id("volume", m, c->target), sig = derive_id("disk", m, c->target);
	/* with slots the layout sets the size (manifest.c refuses image.size besides); the Pi 3's
	 * slots are directories of its one boot partition */
	int dirs = m->slot_size && slots_in_dirs(c->target);
	uint64_t slot_parts = dirs ? 0 : m->slot_size;
	c->nparts = card_layout(c->parts, offset,
				dirs ? SLOTS_DIRS_ROOT_SIZE + 2 * m->slot_size : size - offset,
				slot_parts, m->data_size, &size);
	int boot = card_find(c->parts, c->nparts, slot_parts ? "slot-a" : "boot");
	int data = card_find(c->parts, c->nparts, "data");
	*size_out = size, *vol_out = vol, *sig_out = sig;
	c->part_offset = c->parts[boot].offset; /* the partition with the kernel */
	c->data_offset = data >= 0 ? c->parts[data].offset : 0;

	char *stamp = boot_stamp(c, size, vol, sig, label);
	char *data_dir = path_join(m->dir, "data");
	char *sf = path_join(c->tmp, "obj/image.stamp");
	char *vf = path_join(c->tmp, "boot.vfat"), *sd = path_join(c->tmp, "sdcard.img");
	char *df = m->data_size ? path_join(c->tmp, "data.img") : NULL;
	char *av = path_join(c->tmp, SLOTS_AUTOBOOT_IMAGE), *bv = path_join(c->tmp, SLOTS_B_IMAGE);
	char *old = NULL, *of = c->old ? path_join(c->old, "obj/image.stamp") : NULL;
	int rc = -1;
	if (of && read_file(of, &old, NULL) == 0 && !strcmp(old, stamp)) {
		char *ov = path_join(c->old, "boot.vfat"), *os = path_join(c->old, "sdcard.img");
		char *od = path_join(c->old, "data.img");
		char *oa = path_join(c->old, SLOTS_AUTOBOOT_IMAGE),
		     *ob = path_join(c->old, SLOTS_B_IMAGE);
		int ok = link_or_copy(ov, vf) == 0 && link_or_copy(os, sd) == 0 &&
			 (!df || link_or_copy(od, df) == 0) &&
			 (!slot_parts || (link_or_copy(oa, av) == 0 && link_or_copy(ob, bv) == 0));
		free(ov), free(os), free(od), free(oa), free(ob);
		if (ok) {
			rc = 0;
			goto done;
		}
		/* a part was missing: make them all again (mkfs.fat -C wants no file there) */
		unlink(vf), unlink(sd), unlink(av), unlink(bv);
		if (df)
			unlink(df);
	}
	if (df && data_image_write(df, m->data_size, data_dir) < 0)
		goto out;
	struct bootfs b = {.size = c->parts[boot].size,
			   .volume_id = vol,
			   .label = label,
			   .hidden_sectors = (uint32_t)(c->part_offset / 512),
			   .epoch = c->epoch};
	char *bootdir = path_join(c->tmp, "boot");
	int r;
	if (dirs) {
		struct strlist root = {0}, a = {0};
		char *ad = path_join(bootdir, SLOTS_DIR_A);
		slots_dirs_list(bootdir, &root);
		slots_dirs_list(ad, &a);
		r = slots_dirs_write(vf, &root, &a, &b);
		sl_free(&root), sl_free(&a);
		free(ad);
	} else {
		r = bootfs_write(vf, bootdir, &b);
	}
	free(bootdir);
	if (r < 0)
		goto out;
	if (slot_parts &&
	    slots_write(c->tmp, &c->parts[0], &c->parts[card_find(c->parts, c->nparts, "slot-b")],
			derive_id("autoboot", m, c->target), derive_id("slot-b", m, c->target),
			c->epoch) < 0)
		goto out;
	struct sd_part p[4];
	memcpy(p, c->parts, sizeof p);
	p[boot].image = vf;
	if (data >= 0)
		p[data].image = df;
	if (slot_parts) {
		p[card_find(p, c->nparts, "autoboot")].image = av;
		p[card_find(p, c->nparts, "slot-b")].image = bv;
	}
	if (sdimage_write(sd, size, p, c->nparts, sig) < 0)
		goto out;
	rc = 0;
done:
	unlink(sf);
	write_file(sf, stamp, strlen(stamp));
out:
	free(stamp), free(sf), free(vf), free(sd), free(old), free(of), free(df), free(data_dir);
	free(av), free(bv);
	return rc;
}

/* ---- build.json ---- */
