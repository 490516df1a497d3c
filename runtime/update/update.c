/*
 * uk/update.h's slots (docs/update.md): a bundle checked while it is written into the inactive
 * slot of an A/B card (fs/slots.c), the firmware's one-off trial boot of it (tryboot), the
 * confirmation that makes it the normal boot, and, after a reset, the news that a trial did not
 * confirm. The firmware's rules decide which slot boots; this file only ever changes the slot
 * that is not running and, to confirm, autoboot.txt, rewritten in place with the same length (its
 * one data sector: the old file or the new one after a power cut).
 *
 * What happened is kept in uk-update.txt on the autoboot partition: 512 bytes of key=value
 * lines, rewritten in place (one sector). It only reports; the slot that boots never depends on it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <uk/board.h>
#include <uk/config.h>
#include <uk/time.h>
#include <uk/update.h>

#include "../fs/vfs.h"
#include "kernel.h"

extern const char uk_app_name[] __attribute__((weak));
extern const char uk_app_version[] __attribute__((weak));

#define STATE_FILE	    "/uk-update.txt"
#define STATE_BYTES	    512
#define TRIAL_DEFAULT_S	    120
#define WATCHDOG_FEED_EVERY 1000000000ull /* 1 s: well inside the Pi's 15 s maximum */

static struct {
	char state[16]; /* none, installed, trying, reverted, confirmed, failed */
	unsigned to, from;
	unsigned tries; /* Pi 3: boots of the trial so far */
	char version[32], from_version[32];
} st;
static bool rolled_back, confirmed, watchdog_ours;
static char failed_version[32];
static struct uk_timer trial_timer, feed_timer;
static uint64_t trial_deadline;

static const char *running_version(void)
{
	return uk_app_version && uk_app_version[0] ? uk_app_version : "";
}

static void say(char *why, size_t len, const char *fmt, ...)
{
	if (!why || !len)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
}

static void copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src);
}

static void read_state(struct card_slots *s)
{
	char text[STATE_BYTES + 1];
	memset(&st, 0, sizeof st);
	copy(st.state, sizeof st.state, "none");
	vfs_lock(s->state);
	int r = slots_read_file(s->state, STATE_FILE, text, sizeof text);
	vfs_unlock(s->state);
	if (r < 0)
		return;
	for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n")) {
		char *eq = strchr(l, '=');
		if (!eq)
			continue;
		*eq++ = 0;
		if (!strcmp(l, "state"))
			copy(st.state, sizeof st.state, eq);
		else if (!strcmp(l, "to"))
			st.to = (unsigned)strtoul(eq, NULL, 10);
		else if (!strcmp(l, "from"))
			st.from = (unsigned)strtoul(eq, NULL, 10);
		else if (!strcmp(l, "tries"))
			st.tries = (unsigned)strtoul(eq, NULL, 10);
		else if (!strcmp(l, "version"))
			copy(st.version, sizeof st.version, eq);
		else if (!strcmp(l, "from_version"))
			copy(st.from_version, sizeof st.from_version, eq);
	}
}

/* A small file (autoboot.txt, slot.txt, uk-update.txt) rewritten in place: same length, no
 * truncation, so FAT's allocation does not change; synced before returning. */
static int rewrite(struct card_slots *s, const char *path, const char *text, size_t n)
{
	struct mount *m = s->state;
	void *f;
	vfs_lock(m);
	int r = m->ops->open(m, path, O_WRONLY | O_CREAT, &f);
	if (r == 0) {
		ssize_t w = m->ops->write(m, f, text, n);
		r = w == (ssize_t)n ? m->ops->fsync(m, f) : (w < 0 ? (int)w : -EIO);
		int c = m->ops->close(m, f);
		r = r ? r : c;
	}
	if (r == 0)
		r = volume_sync(&m->vol);
	vfs_unlock(m);
	return r;
}

static int write_state(struct card_slots *s)
{
	char text[STATE_BYTES];
	int n = snprintf(text, sizeof text,
			 "state=%s\nto=%u\nversion=%s\nfrom=%u\nfrom_version=%s\ntries=%u\n",
			 st.state, st.to, st.version, st.from, st.from_version, st.tries);
	memset(text + n, '\n', sizeof text - (size_t)n);
	return rewrite(s, STATE_FILE, text, sizeof text);
}

/* This boot is a trial that has not confirmed yet. */
static bool on_trial(const struct card_slots *s)
{
	return s->tryboot && !confirmed && !strcmp(st.state, "trying");
}

static char slot_letter(unsigned partition)
{
	return partition == 2 ? 'A' : 'B';
}

/* Pi 3: the firmware boots the directory slot.txt names (13 bytes either way) */
static int point_slot_txt(struct card_slots *s, unsigned slot)
{
	char text[16];
	int n = snprintf(text, sizeof text, "os_prefix=%c/\n", slot == 2 ? 'a' : 'b');
	return rewrite(s, "/slot.txt", text, (size_t)n);
}

/* ---- the trial: confirm within the time, or the board resets into the old slot ---- */
static void trial_over(struct uk_timer *t, void *arg)
{
	(void)t, (void)arg;
	if (confirmed)
		return;
	kprintf("uk: update: version %s was not confirmed within %llu s: resetting to the "
		"previous version\n",
		running_version(), (unsigned long long)(trial_deadline / 1000000000ull));
	uk_reboot();
}

/* The watchdog catches what the timer cannot (interrupts off, a fault that halts): fed from
 * the timer interrupt until the trial's deadline, then left to fire. */
static void feed(struct uk_timer *t, void *arg)
{
	(void)arg;
	if (confirmed || uk_now_ns() >= trial_deadline)
		return;
	uk_watchdog_feed();
	uk_timer_start(t, t->deadline_ns + WATCHDOG_FEED_EVERY);
}

/* A trial that ends (main returned, a panic) without confirming resets instead of halting, so
 * the firmware brings the previous version back. Called from uk_halt. */
void uk_update_halt(void)
{
	struct card_slots *s = vfs_slots();
	if (s && on_trial(s)) {
		kprintf("uk: update: version %s stopped before it was confirmed: resetting to the "
			"previous version\n",
			running_version());
		uk_reboot();
	}
}

/* Before main, on an A/B card: a trial boot starts its clock; a normal boot learns whether the
 * last update confirmed. */
void uk_update_boot(void)
{
	struct card_slots *s = vfs_slots();
	if (!s)
		return;
	read_state(s);
	bool pending = !strcmp(st.state, "installed") || !strcmp(st.state, "trying") ||
		       !strcmp(st.state, "reverted");
	/* Pi 3: slot.txt already names the new slot; the state counts its trial boots */
	if (s->prefix && st.to == s->booted &&
	    (!strcmp(st.state, "reverted") || (!strcmp(st.state, "trying") && st.tries > 0))) {
		kprintf("uk: update: version %s (slot %c) ended its trial unconfirmed: going back "
			"to slot %c\n",
			running_version(), slot_letter(s->booted), slot_letter(st.from));
		copy(st.state, sizeof st.state, "reverted");
		write_state(s);
		point_slot_txt(s, st.from);
		uk_reboot();
	}
	if (s->prefix && !strcmp(st.state, "trying") && st.to == s->booted) {
		s->tryboot = true; /* its first boot */
		st.tries = 1;
	}
	if (s->tryboot && pending && st.to == s->booted) {
		copy(st.state, sizeof st.state, "trying");
		write_state(s);
		long secs = uk_config_int("uk.update.trial", TRIAL_DEFAULT_S);
		if (secs < 5)
			secs = 5;
		trial_deadline = uk_now_ns() + (uint64_t)secs * 1000000000ull;
		kprintf("uk: update: trial of version %s in slot %c: confirm within %ld s\n",
			running_version(), slot_letter(s->booted), secs);
		uk_timer_init(&trial_timer, trial_over, NULL);
		uk_timer_start(&trial_timer, trial_deadline);
		/* QEMU's model of the Pi's watchdog resets at once when armed
		 * (drivers/bcm2835_pm.c): under QEMU the deadline's timer alone ends a trial */
		if (!uk_under_qemu && uk_watchdog_start(15000) == 0) {
			watchdog_ours = true;
			uk_timer_init(&feed_timer, feed, NULL);
			uk_timer_start(&feed_timer, uk_now_ns() + WATCHDOG_FEED_EVERY);
		}
	} else if (!s->tryboot && pending) {
		if (st.to == s->booted && !s->prefix) {
			/* autoboot.txt names it: confirmed; the power went before the state said so
			 */
			copy(st.state, sizeof st.state, "confirmed");
		} else {
			rolled_back = true;
			copy(failed_version, sizeof failed_version, st.version);
			kprintf("uk: update: version %s (slot %c) was not confirmed; back on %s "
				"(slot %c)\n",
				st.version, slot_letter(st.to), running_version(),
				slot_letter(s->booted));
			copy(st.state, sizeof st.state, "failed");
		}
		write_state(s);
	}
}

int uk_update_status(struct uk_update_status *out)
{
	memset(out, 0, sizeof *out);
	copy(out->version, sizeof out->version, running_version());
	struct card_slots *s = vfs_slots();
	if (!s)
		return -ENODEV;
	out->slot = slot_letter(s->booted);
	out->partition = s->booted;
	out->trial = on_trial(s);
	out->rolled_back = rolled_back;
	copy(out->failed_version, sizeof out->failed_version, failed_version);
	return 0;
}

int uk_update_confirm(void)
{
	struct card_slots *s = vfs_slots();
	if (!s)
		return -ENODEV;
	if (!on_trial(s))
		return 0; /* not on trial: nothing to confirm */
	if (!s->prefix) { /* the Pi 3's slot.txt names the new slot already */
		/* the same length as uk build's file: only the two digits trade places */
		char text[128];
		int n = snprintf(
		    text, sizeof text,
		    "[all]\ntryboot_a_b=1\nboot_partition=%u\n[tryboot]\nboot_partition=%u\n",
		    s->booted, 5 - s->booted);
		int r = rewrite(s, "/autoboot.txt", text, (size_t)n);
		if (r != 0) {
			kprintf("uk: update: cannot confirm: autoboot.txt: error %d\n", r);
			return r;
		}
	}
	confirmed = true;
	uk_timer_stop(&trial_timer);
	if (watchdog_ours) {
		uk_timer_stop(&feed_timer);
		uk_watchdog_stop();
		watchdog_ours = false;
	}
	copy(st.state, sizeof st.state, "confirmed");
	write_state(s);
	kprintf("uk: update: version %s confirmed in slot %c\n", running_version(),
		slot_letter(s->booted));
	return 0;
}

/* ---- installing: the bundle into the inactive slot ---- */
struct install {
	struct mount slot; /* partition scheme: the inactive slot, mounted privately */
	struct mount *m;   /* where the files go: &slot, or /boot on a Pi 3 card */
	char dir[4];	   /* "" (a slot's root), or "/a" or "/b" (a Pi 3 slot directory) */
	bool prepared, formatted;
	int file; /* the file open in the slot, by table index; -1 none */
	void *handle;
	struct uk_update_reader *reader;
	int error;
};

/* A Pi 3 slot directory made empty: its files go one by one (the directory itself stays). */
static int empty_dir(struct mount *m, const char *dir)
{
	int r = m->ops->mkdir(m, dir);
	if (r != 0 && r != -EEXIST)
		return r;
	for (;;) {
		void *d;
		struct dirent e;
		if ((r = m->ops->opendir(m, dir, &d)) != 0)
			return r;
		while ((r = m->ops->readdir(m, d, &e)) == 1 && e.d_type != DT_REG)
			;
		m->ops->closedir(m, d);
		if (r <= 0)
			return r;
		char path[sizeof e.d_name + 8];
		snprintf(path, sizeof path, "%s/%s", dir, e.d_name);
		if ((r = m->ops->unlink(m, path)) != 0)
			return r;
	}
}

/* The header checked out: only now is the slot touched (made empty), and only when the files
 * can fit: a bundle larger than the whole partition is refused (-EFBIG) before anything is
 * written. (One that fits the partition but not the file system left after formatting fails
 * with -ENOSPC while it is written; the slot is not switched to either way.) */
static int prepare(struct install *in)
{
	if (in->m != &in->slot)
		return empty_dir(in->m, in->dir);
	if (uk_update_reader_info(in->reader)->payload > in->slot.vol.blocks * BLOCK_SIZE)
		return -EFBIG;
	int r = fat32_format_mount(&in->slot);
	in->formatted = r == 0;
	return r;
}

static int store_locked(struct install *in, unsigned file, const void *bytes, size_t n)
{
	struct mount *m = in->m;
	int r;
	if (!in->prepared) {
		if ((r = prepare(in)) != 0)
			return r;
		in->prepared = true;
	}
	if ((int)file != in->file) {
		if (in->file >= 0 && m->ops->close(m, in->handle) != 0)
			return -EIO;
		in->file = -1;
		char path[72];
		snprintf(path, sizeof path, "%s/%s", in->dir,
			 uk_update_reader_info(in->reader)->files[file].name);
		if ((r = m->ops->open(m, path, O_WRONLY | O_CREAT | O_TRUNC, &in->handle)) != 0)
			return r;
		in->file = (int)file;
	}
	ssize_t w = m->ops->write(m, in->handle, bytes, n);
	return w == (ssize_t)n ? 0 : w < 0 ? (int)w : -ENOSPC;
}

static int store(void *arg, unsigned file, const void *bytes, size_t n)
{
	struct install *in = arg;
	vfs_lock(in->m);
	int r = store_locked(in, file, bytes, n);
	vfs_unlock(in->m);
	if (r != 0)
		in->error = r;
	return r ? -1 : 0;
}

static int copy_file(struct mount *from, struct mount *to, const char *path)
{
	static uint8_t buf[4096];
	void *src, *dst;
	int r = from->ops->open(from, path, O_RDONLY, &src);
	if (r != 0)
		return r;
	r = to->ops->open(to, path, O_WRONLY | O_CREAT | O_TRUNC, &dst);
	if (r != 0) {
		from->ops->close(from, src);
		return r;
	}
	ssize_t n;
	while ((n = from->ops->read(from, src, buf, sizeof buf)) > 0)
		if (to->ops->write(to, dst, buf, (size_t)n) != n) {
			n = -ENOSPC;
			break;
		}
	int c = to->ops->close(to, dst);
	from->ops->close(from, src);
	return n < 0 ? (int)n : c;
}

/* The running slot's files that the bundle does not bring (a fleet device's own key and
 * certificates, stamped by uk build --fleet) go into the new slot with it. */
static int carry_over(struct mount *boot, struct install *in, const struct uk_update_info *info,
		      char *why, size_t why_len)
{
	void *dir;
	vfs_lock(boot);
	int r = boot->ops->opendir(boot, "/", &dir);
	if (r != 0) {
		vfs_unlock(boot);
		say(why, why_len, "reading the running slot: error %d", r);
		return r;
	}
	struct dirent e;
	while ((r = boot->ops->readdir(boot, dir, &e)) == 1) {
		bool brought = e.d_type != DT_REG;
		for (unsigned i = 0; !brought && i < info->n_files; i++)
			brought = !strcasecmp(info->files[i].name, e.d_name);
		char path[sizeof e.d_name + 1];
		snprintf(path, sizeof path, "/%s", e.d_name);
		if (!brought && (r = copy_file(boot, &in->slot, path)) != 0) {
			say(why, why_len, "copying %s into the new slot: error %d", e.d_name, r);
			break;
		}
	}
	int c = boot->ops->closedir(boot, dir);
	r = r < 0 ? r : c;
	vfs_unlock(boot);
	return r;
}

int uk_update_install(ssize_t (*read)(void *arg, void *buf, size_t n), void *arg, char *why,
		      size_t why_len)
{
	struct card_slots *s = vfs_slots();
	if (!s) {
		say(why, why_len, "this card has no A/B slots (uk.yaml: update: slots: ab)");
		return -1;
	}
	if (on_trial(s)) {
		say(why, why_len, "this boot is a trial: confirm it before installing another");
		return -1;
	}
	static char key[2048];
	const char *inside;
	struct mount *boot = vfs_lookup("/boot", &inside);
	/* the key is the running slot's: a Pi 3's is in its slot directory */
	const char *key_path = !s->prefix	? "/update.pem"
			       : s->booted == 2 ? "/a/update.pem"
						: "/b/update.pem";
	int kr = -ENOENT;
	if (boot && boot->ops) {
		vfs_lock(boot);
		kr = slots_read_file(boot, key_path, key, sizeof key);
		vfs_unlock(boot);
	}
	if (kr <= 0) {
		say(why, why_len,
		    "no /boot%s: this build trusts no update key (uk.yaml update: key)", key_path);
		return -1;
	}
	unsigned target = 5 - s->booted;
	if (!strcmp(st.state, "installed")) { /* an earlier install, not tried: forget it */
		copy(st.state, sizeof st.state, "none");
		write_state(s);
	}
	struct uk_update_reader *r =
	    uk_update_reader_new(key, uk_app_name ? uk_app_name : NULL,
				 running_version()[0] ? running_version() : NULL, why, why_len);
	if (!r)
		return -1;
	static struct uk_sem slot_lock;
	struct install in = {.file = -1, .reader = r};
	uk_sem_init(&slot_lock, 1);
	if (s->prefix) {
		in.m = s->state; /* /boot */
		snprintf(in.dir, sizeof in.dir, "/%c", target == 2 ? 'a' : 'b');
	} else {
		in.slot = (struct mount){
		    .path = "(slot)", .vol = s->slot[target - 2], .lock = &slot_lock};
		in.m = &in.slot;
	}
	static uint8_t buf[16384];
	int rc = -1;
	ssize_t n;
	while ((n = read(arg, buf, sizeof buf)) > 0) {
		if (uk_update_reader_feed(r, buf, (size_t)n, store, &in, why, why_len) != 0) {
			const struct uk_update_info *hdr = uk_update_reader_info(r);
			if (in.error == -EFBIG)
				say(why, why_len,
				    "version %s needs %llu bytes; slot %c holds %llu: nothing "
				    "written",
				    hdr->version, (unsigned long long)hdr->payload,
				    slot_letter(target),
				    (unsigned long long)(in.slot.vol.blocks * BLOCK_SIZE));
			else if (in.error)
				say(why, why_len, "writing slot %c: error %d", slot_letter(target),
				    in.error);
			goto out;
		}
	}
	const struct uk_update_info *info;
	if (n < 0) {
		say(why, why_len, "the download failed before the bundle ended");
		goto out;
	}
	if (uk_update_reader_finish(r, &info, why, why_len) != 0)
		goto out;
	vfs_lock(in.m);
	int closed = in.file >= 0 ? in.m->ops->close(in.m, in.handle) : 0;
	vfs_unlock(in.m);
	in.file = -1;
	if (closed != 0) {
		say(why, why_len, "writing slot %c: cannot close the last file",
		    slot_letter(target));
		goto out;
	}
	/* a Pi 3's device files are at /boot's root, which both slots share */
	if (!s->prefix && carry_over(boot, &in, info, why, why_len) != 0)
		goto out;
	if (volume_sync(&in.m->vol) != 0) {
		say(why, why_len, "writing slot %c: the card did not take the data",
		    slot_letter(target));
		goto out;
	}
	copy(st.state, sizeof st.state, "installed");
	st.to = target;
	st.from = s->booted;
	copy(st.version, sizeof st.version, info->version);
	copy(st.from_version, sizeof st.from_version, running_version());
	if (write_state(s) != 0) {
		say(why, why_len, "cannot record the update in uk-update.txt");
		goto out;
	}
	kprintf("uk: update: version %s written to slot %c, checked\n", info->version,
		slot_letter(target));
	rc = 0;
out:
	if (in.file >= 0) {
		vfs_lock(in.m);
		in.m->ops->close(in.m, in.handle);
		vfs_unlock(in.m);
	}
	if (in.formatted)
		free(in.slot.fs);
	uk_update_reader_free(r);
	return rc;
}

int uk_update_reboot(void)
{
	struct card_slots *s = vfs_slots();
	if (!s || strcmp(st.state, "installed"))
		return -EINVAL;
	if (s->prefix) { /* Pi 3: the trial is counted here; slot.txt names the new slot */
		copy(st.state, sizeof st.state, "trying");
		st.tries = 0;
		if (write_state(s) != 0 || point_slot_txt(s, st.to) != 0)
			return -EIO;
		uk_reboot();
	}
	if (!platform.board || !platform.board->set_tryboot || platform.board->set_tryboot() != 0)
		return -ENOTSUP;
	/* also what the firmware stand-in under QEMU reads (tests/tools/pi_firmware.py): QEMU
	 * runs no Pi firmware, and its raspi mailbox answers tags it does not know */
	kprintf("uk: firmware: tryboot on the next reset\n");
	uk_reboot();
}
