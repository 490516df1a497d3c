/* update: the app of tests/update.bats, built as several versions of one app on an A/B card.
 * Every boot prints what runs ("update: running V slot S trial T") and checks /data
 * (/data/keep.bin's FNV-1a; one line appended to /data/boots.txt, fsync'd).
 *   update.url=URL[,URL...]  on a normal boot of a version other than update.want, fetch each in
 *                            turn; the first that installs is tried (uk_update_reboot)
 *   update.want=V            the version the fleet wants (no fetch when running it, nor after a
 *                            rollback from it)
 *   update.file=PATH         instead of a URL: install the bundle in that file (no network)
 *   update.ca=FILE           default /data/ca.pem;  update.name=NAME: the server's (host.test)
 *   update.on_trial=confirm|hang|exit   what a trial boot does (default confirm)
 * Built with UPDATE_BALLAST_KB, the kernel carries that much more data, so that a download and
 * a slot write last long enough for power cuts to land inside them.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uk/config.h>
#include <uk/net.h>
#include <uk/time.h>
#include <uk/update.h>

static void check_data(void)
{
	FILE *f = fopen("/data/keep.bin", "rb");
	uint64_t hash = 14695981039346656037ull, size = 0;
	int c;
	while (f && (c = fgetc(f)) != EOF)
		hash = (hash ^ (uint8_t)c) * 1099511628211ull, size++;
	if (f)
		fclose(f);
	long boots = 0;
	f = fopen("/data/boots.txt", "r");
	char line[64];
	while (f && fgets(line, sizeof line, f))
		boots += !strncmp(line, "boot ", 5);
	if (f)
		fclose(f);
	f = fopen("/data/boots.txt", "a");
	if (f) {
		fprintf(f, "boot %ld\n", boots + 1);
		fflush(f);
		fsync(fileno(f));
		fclose(f);
	}
	printf("update: data keep.bin %" PRIu64 " bytes fnv1a %016" PRIx64 ", %ld earlier boots\n",
	       size, hash, boots);
}

#ifdef UPDATE_BALLAST_KB
static const volatile unsigned char ballast[UPDATE_BALLAST_KB * 1024] = {1};
#endif

static ssize_t read_fd(void *arg, void *buf, size_t n)
{
	return read(*(int *)arg, buf, n);
}

/* update.file: a bundle the app got some other way, here a file on the card */
static int install_file(const char *path)
{
	char why[200];
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return printf("update: cannot open %s\n", path), 1;
	printf("update: installing %s\n", path);
	int r = uk_update_install(read_fd, &fd, why, sizeof why);
	close(fd);
	if (r != 0)
		return printf("update: refused: %s\n", why), 1;
	printf("update: installed; rebooting to try it\n");
	r = uk_update_reboot();
	return printf("update: cannot reboot into it: %d\n", r), 1;
}

int main(void)
{
#ifdef UPDATE_BALLAST_KB
	printf("update: %d KiB of ballast (%d)\n", UPDATE_BALLAST_KB, ballast[0]);
#endif
	struct uk_update_status s;
	if (uk_update_status(&s) != 0)
		return printf("update: no A/B card\n"), 1;
	printf("update: running %s slot %c trial %d\n", s.version, s.slot, s.trial);
	check_data();
	if (s.rolled_back)
		printf("update: rolled back from %s\n", s.failed_version);
	if (s.trial) {
		const char *what = uk_config_get("update.on_trial");
		if (what && !strcmp(what, "hang")) {
			printf("update: trial: hanging\n");
			for (;;)
				;
		}
		if (what && !strcmp(what, "exit"))
			return printf("update: trial: exiting unconfirmed\n"), 3;
		int r = uk_update_confirm();
		printf("update: confirm: %d\n", r);
		return r != 0;
	}
	const char *want = uk_config_get("update.want");
	const char *urls = uk_config_get("update.url");
	const char *file = uk_config_get("update.file");
	if ((!urls && !file) || !want || !strcmp(want, s.version) ||
	    (s.rolled_back && !strcmp(want, s.failed_version)))
		return printf("update: idle\n"), 0;
	if (file)
		return install_file(file);
	if (uk_net_start() != 0 || uk_net_wait_up(30000000000ull) != 0)
		return printf("update: no network\n"), 1;
	if (uk_walltime_wait(30000000000ull) != 0)
		return printf("update: the time of day is unknown\n"), 1;
	char list[512], why[200];
	snprintf(list, sizeof list, "%s", urls);
	for (char *url = strtok(list, ","); url; url = strtok(NULL, ",")) {
		printf("update: fetching %s\n", url);
		const char *ca = uk_config_get("update.ca"), *name = uk_config_get("update.name");
		if (uk_update_fetch(url, ca ? ca : "/data/ca.pem", name, why, sizeof why) != 0) {
			printf("update: refused: %s\n", why);
			continue;
		}
		printf("update: installed; rebooting to try it\n");
		int r = uk_update_reboot();
		return printf("update: cannot reboot into it: %d\n", r), 1;
	}
	printf("update: nothing installed\n");
	return 0;
}
