/* cmd_run.c: uk run --qemu: build when stale, boot in QEMU as docs/architecture.md says, pass the
 * console through, symbolise a panic's backtrace, and exit with the app's status. */
#define _GNU_SOURCE
#include "uk.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char usage_run[] =
    "usage: uk run --qemu [DIR] [--target T] [-m MEM] [--append K=V]... [--timeout S]\n"
    "                     [--gdb[=PORT]] [--out DIR]\n"
    "\n"
    "Build the app in DIR (default: .) when stale, then boot it in QEMU with its console on\n"
    "this terminal. Boot arguments are uk.qemu=1, the manifest's bootargs, then --append.\n"
    "\n"
    "Options:\n"
    "      --qemu          run in QEMU (the only runner today)\n"
    "  -t, --target T      target to boot (default: the first in uk.yaml)\n"
    "  -m, --memory MEM    guest memory, e.g. 256M (default: uk.yaml's memory, else the target's)\n"
    "  -a, --append K=V    one more boot argument (repeatable)\n"
    "      --timeout S     stop QEMU after S seconds\n"
    "      --gdb[=PORT]    start paused with a gdb stub on PORT (default 1234)\n"
    "  -o, --out DIR       build output directory (as uk build --out)\n"
    "\n"
    "Exit status: the app's (main's return value; 134 after a panic). uk's own failures:\n"
    "1 build failed, 2 usage or uk.yaml error, 3 runtime/QEMU missing,\n"
    "124 --timeout expired (QEMU stopped), 130 interrupted by Ctrl-C (QEMU stopped).\n";

static volatile sig_atomic_t got_signal;

static void on_signal(int s)
{
	got_signal = s;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Panic backtrace lines look like "  #N 0xADDR". */
static int parse_frame(const char *line, int *num, unsigned long long *addr)
{
	while (*line == ' ' || *line == '\t')
		line++;
	if (*line != '#')
		return 0;
	char *end;
	long n = strtol(line + 1, &end, 10);
	if (end == line + 1 || *end != ' ')
		return 0;
	while (*end == ' ')
		end++;
	if (strncmp(end, "0x", 2))
		return 0;
	*num = (int)n;
	*addr = strtoull(end, NULL, 16);
	return 1;
}

/* Symbolises the panic's frames with addr2line (-i: inlined calls too). lr is x30 from the
 * register dump: when #0 is a leaf function it has no frame record, and x30 - 4 is the call in
 * its caller, which the frame-pointer walk misses. */
static void symbolise(const char *elf, const unsigned long long *addrs, const int *nums, int n,
		      unsigned long long lr)
{
	struct strlist a = {0};
	sl_push(&a, "aarch64-linux-gnu-addr2line");
	sl_push(&a, "-a");
	sl_push(&a, "-f");
	sl_push(&a, "-i");
	sl_push(&a, "-e");
	sl_push(&a, elf);
	for (int i = 0; i < n; i++) /* the runtime prints call sites, not return addresses */
		sl_pushf(&a, "0x%llx", addrs[i]);
	if (lr >= 4)
		sl_pushf(&a, "0x%llx", lr - 4);
	int st;
	char *out = run_capture(a.v, &st);
	sl_free(&a);
	if (!out || st != 0) {
		warning("cannot symbolise the backtrace: aarch64-linux-gnu-addr2line failed");
		free(out);
		return;
	}
	/* collect (frame, function, place) triples first */
	struct strlist fns = {0}, locs = {0};
	int frames[256], count = 0, frame = -1;
	char *save = NULL, *fn = NULL;
	for (char *l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(l, "0x", 2)) {
			frame++;
			fn = NULL;
		} else if (!fn) {
			fn = l;
		} else {
			while (!strncmp(l, "./", 2)) /* sources are compiled relative to the app */
				l += 2;
			if (count < 256) {
				frames[count++] = frame;
				sl_push(&fns, fn);
				sl_push(&locs, l);
			}
			fn = NULL;
		}
	}
	fprintf(stderr, "%suk: backtrace from %s:%s\n", col("\033[1m"), elf, col("\033[0m"));
	const char *first_fn = NULL, *second_fn = NULL;
	for (int k = 0; k < count; k++) {
		int f = frames[k];
		if (f == 0 && !first_fn)
			first_fn = fns.v[k];
		if (f == 1 && !second_fn)
			second_fn = fns.v[k];
		if (f >= n)
			continue;
		if (k > 0 && frames[k - 1] == f)
			fprintf(stderr, "          inlined in %s%s%s at %s\n", col("\033[1m"),
				fns.v[k], col("\033[0m"), locs.v[k]);
		else
			fprintf(stderr, "  #%-2d 0x%llx in %s%s%s at %s\n", nums[f], addrs[f],
				col("\033[1m"), fns.v[k], col("\033[0m"), locs.v[k]);
	}
	/* x30 points into another function than #0 and #1: #0 was a leaf, show its caller */
	for (int k = 0; k < count; k++)
		if (frames[k] == n && first_fn && strcmp(fns.v[k], first_fn) &&
		    !(second_fn && !strcmp(fns.v[k], second_fn)) && strcmp(fns.v[k], "??")) {
			fprintf(stderr, "  lr  0x%llx in %s%s%s at %s (x30: the caller of #0)\n",
				lr - 4, col("\033[1m"), fns.v[k], col("\033[0m"), locs.v[k]);
			for (int i = k + 1; i < count && frames[i] == n; i++)
				fprintf(stderr, "          inlined in %s%s%s at %s\n",
					col("\033[1m"), fns.v[i], col("\033[0m"), locs.v[i]);
			break;
		}
	sl_free(&fns);
	sl_free(&locs);
	free(out);
}

static void stop_qemu(pid_t pid)
{
	kill(pid, SIGTERM); /* QEMU restores the terminal on SIGTERM */
	for (int i = 0; i < 100; i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return;
		struct timespec ts = {0, 20 * 1000000};
		nanosleep(&ts, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void hostfwd(struct strlist *netdev, const char *spec)
{
	/* manifest "udp:5555:7" -> QEMU "hostfwd=udp:127.0.0.1:5555-:7": reachable from this host
	 * only */
	char proto[4] = {0};
	memcpy(proto, spec, 3);
	const char *hp = spec + 4, *gp = strchr(hp, ':');
	if (!gp)
		return;
	sl_pushf(netdev, "hostfwd=%s:127.0.0.1:%.*s-:%s", proto, (int)(gp - hp), hp, gp + 1);
}

int cmd_run(int argc, char **argv)
{
	int qemu = 0, timeout = 0, gdb = 0;
	const char *target = NULL, *mem = NULL, *out = NULL;
	struct strlist appends = {0}, rest = {0};
	struct option opts[] = {
	    {OPT_BOOL, 0, "qemu", &qemu, "run in QEMU"},
	    {OPT_STRING, 't', "target", &target, "target"},
	    {OPT_STRING, 'm', "memory", &mem, "memory"},
	    {OPT_LIST, 'a', "append", &appends, "boot argument"},
	    {OPT_INT, 0, "timeout", &timeout, "seconds"},
	    {OPT_OPTINT, 0, "gdb", &gdb, "gdb port"},
	    {OPT_STRING, 'o', "out", &out, "output directory"},
	    {OPT_END, 0, NULL, NULL, NULL},
	};
	parse_options(argc, argv, opts, usage_run, &rest);
	if (!qemu)
		usage_error(usage_run,
			    "say where to run: --qemu (real boards: write sdcard.img to a "
			    "card; 'uk flash' comes later)");
	if (rest.n > 1)
		usage_error(usage_run, "one app directory at most, got %zu", rest.n);
	if (target && !valid_target(target))
		usage_error(usage_run, "unknown target '%s'; allowed: virt, rpi3, rpi4", target);
	for (size_t i = 0; i < appends.n; i++)
		if (!strchr(appends.v[i], '=') || appends.v[i][0] == '=')
			usage_error(usage_run, "--append wants KEY=VALUE, not '%s'", appends.v[i]);
	uint64_t bytes;
	if (mem && (parse_size(mem, &bytes) < 0 || !bytes))
		usage_error(usage_run, "-m wants a size such as 256M, not '%s'", mem);
	if (gdb < 0)
		gdb = 1234;

	struct manifest m;
	int rc = manifest_load(rest.n ? rest.v[0] : ".", &m);
	if (rc)
		return rc;
	if (!target)
		target = m.targets.v[0];
	struct build_result br;
	char *o = default_out(&m, target, out, 0);
	rc = build_target(&m, target, o, &br);
	free(o);
	if (rc)
		return rc;
	if (!br.up_to_date)
		note("built %s for %s in %s", m.name, target, br.out);

	struct conf tc;
	char *tcp = xasprintf("%s/%s/target.conf", uk_home(), target);
	conf_read(tcp, &tc, uk_home(), uk_cache());
	free(tcp);
	const char *q = conf_get(&tc, "QEMU");
	if (!q || !*q) {
		error("%s/%s/target.conf sets no QEMU command", uk_home(), target);
		return EXIT_ENV;
	}
	struct strlist a = {0};
	split_words(q, &a);
	sl_push(&a, "-m");
	const char *qm = conf_get(&tc, "QEMU_MEM");
	sl_push(&a, mem ? mem : m.memory ? m.memory : qm && *qm ? qm : "256M");
	sl_push(&a, "-display");
	sl_push(&a, "none");
	sl_push(&a, "-monitor");
	sl_push(&a, "none");
	const char *ser = conf_get(&tc, "QEMU_SERIAL");
	split_words(ser && *ser ? ser : "-serial stdio", &a);
	sl_push(&a, "-no-reboot");
	sl_push(&a, "-semihosting-config");
	sl_push(&a, "enable=on,target=native");
	const char *dtb = conf_get(&tc, "QEMU_DTB");
	if (dtb && *dtb) {
		sl_push(&a, "-dtb");
		sl_push(&a, dtb);
	}
	if (m.has_network) {
		struct strlist nd = {0};
		sl_push(&nd, "user,id=net0");
		for (size_t i = 0; i < m.net_hostfwd.n; i++)
			hostfwd(&nd, m.net_hostfwd.v[i]);
		char *joined = format_bootargs(&nd);
		for (char *p = joined; *p; p++)
			if (*p == ' ')
				*p = ',';
		if (!strcmp(target, "rpi4")) {
			warning("QEMU emulates no network device for raspi4b; running without one");
		} else {
			sl_push(&a, "-netdev");
			sl_push(&a, joined);
			sl_push(&a, "-device");
			sl_push(&a, !strcmp(target, "virt") ? "virtio-net-device,netdev=net0"
							    : "usb-net,netdev=net0");
		}
		free(joined);
		sl_free(&nd);
	}
	if (gdb) {
		sl_push(&a, "-S");
		sl_push(&a, "-gdb");
		sl_pushf(&a, "tcp::%d", gdb);
	}
	sl_push(&a, "-kernel");
	sl_push(&a, br.kernel);
	struct strlist args = {0};
	sl_push(&args, "uk.qemu=1");
	sl_append(&args, &m.bootargs);
	if (m.net_ip)
		sl_pushf(&args, "net.ip=%s", m.net_ip);
	if (m.net_gateway)
		sl_pushf(&args, "net.gateway=%s", m.net_gateway);
	if (m.net_dns)
		sl_pushf(&args, "net.dns=%s", m.net_dns);
	for (size_t i = 0; i < appends.n; i++) { /* a value with spaces is quoted, as in uk.yaml */
		const char *kv = appends.v[i], *eq = strchr(kv, '=');
		if (strpbrk(eq, " \t") && !strchr(eq, '"'))
			sl_pushf(&args, "%.*s\"%s\"", (int)(eq - kv + 1), kv, eq + 1);
		else
			sl_push(&args, kv);
	}
	char *cmdline = format_bootargs(&args);
	sl_push(&a, "-append");
	sl_push(&a, cmdline);
	free(cmdline);
	if (verbose)
		print_cmd(&a);
	if (gdb) {
		fprintf(stderr,
			"uk: QEMU is paused, waiting for gdb on port %d. In another terminal:\n"
			"  gdb-multiarch %s -ex 'target remote :%d'\n",
			gdb, br.elf, gdb);
	}

	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return EXIT_FAIL;
	struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART: poll wakes up */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN); /* a closed stdout is noticed as EPIPE, and QEMU is stopped */
	struct spawn_opts so = {.out_fd = p[1]};
	pid_t pid = spawn(a.v, &so);
	close(p[1]);
	if (pid < 0) {
		error("cannot run %s: %s", a.v[0], strerror(errno));
		hint("install QEMU (qemu-system-arm); 'uk doctor' checks it");
		return EXIT_ENV;
	}

	int64_t deadline = timeout > 0 ? now_ms() + (int64_t)timeout * 1000 : 0;
	char line[1024];
	size_t ll = 0;
	int panic = 0, nframes = 0, nums[64];
	unsigned long long addrs[64], lr = 0;
	int why = 0; /* 0 exited, EXIT_TIMEOUT, EXIT_INTR, 141 stdout closed */
	for (;;) {
		if (got_signal) {
			why = EXIT_INTR;
			break;
		}
		int wait_ms = -1;
		if (deadline) {
			int64_t left = deadline - now_ms();
			if (left <= 0) {
				why = EXIT_TIMEOUT;
				break;
			}
			wait_ms = (int)left;
		}
		struct pollfd pf = {.fd = p[0], .events = POLLIN};
		int r = poll(&pf, 1, wait_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			continue;
		char buf[4096];
		ssize_t n = read(p[0], buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (ssize_t off = 0; off < n;) { /* the console goes through unchanged */
			ssize_t w = write(1, buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				why = 128 + SIGPIPE;
				break;
			}
			off += w;
		}
		if (why)
			break;
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] != '\n' && ll < sizeof line - 1) {
				line[ll++] = buf[i];
				continue;
			}
			if (buf[i] != '\n')
				continue;
			line[ll] = 0;
			int num;
			unsigned long long ad;
			const char *x30;
			if (strstr(line, "uk: panic"))
				panic = 1, nframes = 0, lr = 0;
			else if (panic && (x30 = strstr(line, "x30 0x")))
				lr = strtoull(x30 + 4, NULL, 16);
			else if (panic && nframes < 64 && parse_frame(line, &num, &ad))
				nums[nframes] = num, addrs[nframes++] = ad;
			ll = 0;
		}
	}
	close(p[0]);
	int status;
	if (why) {
		stop_qemu(pid);
		status = why;
		if (why == EXIT_TIMEOUT)
			error("timeout: stopped QEMU after %d s (exit %d)", timeout, EXIT_TIMEOUT);
		else if (why == EXIT_INTR)
			error("interrupted: stopped QEMU (exit %d)", EXIT_INTR);
		else
			error("the console's reader went away: stopped QEMU (exit %d)", why);
	} else {
		status = wait_status(pid);
		if (got_signal && status >= 128) {
			error("interrupted: QEMU stopped (exit %d)", EXIT_INTR);
			status = EXIT_INTR;
		}
	}
	if (nframes)
		symbolise(br.elf, addrs, nums, nframes, lr);
	sl_free(&a);
	sl_free(&args);
	return status;
}
