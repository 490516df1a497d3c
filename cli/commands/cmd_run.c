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
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

const char usage_run[] =
    "usage: uk run --qemu [DIR] [--target T] [-m MEM] [--append K=V]... [--timeout S]\n"
    "                     [--gdb[=PORT]] [--out DIR] [-p [PROTO:]HOST:GUEST]... [--net N]\n"
    "\n"
    "Build the app in DIR (default: .) when stale, then boot it in QEMU with its console on\n"
    "this terminal. Boot arguments are uk.qemu=1, the manifest's bootargs and network\n"
    "(net.*), then --append.\n"
    "\n"
    "Options:\n"
    "\n"
    "Networking (uk.yaml's network:, -p, --net, or a net.* boot argument) gives the guest a NIC\n"
    "(virt: virtio-net; rpi3, rpi4: usb-net on QEMU's USB hub) and net.ip=dhcp unless an\n"
    "address is set, so the network is up before main.\n"
    "\n"
    "The card: virt gets a working copy of sdcard.img (OUT.card.img) as a virtio block\n"
    "device, so /boot (and what the app writes there) lasts from run to run; a rebuild or\n"
    "--fresh starts it again from sdcard.img.\n"
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

/* Can QEMU bind PROTO port on 127.0.0.1? 0, or an errno (EADDRINUSE, EACCES). */
static int port_error(const char *proto, unsigned port)
{
	int udp = !strcmp(proto, "udp");
	int fd = socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	int one = 1; /* as slirp does for TCP: a port in TIME_WAIT is free */
	if (!udp)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int e = bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ? errno : 0;
	close(fd);
	return e == EADDRINUSE || e == EACCES ? e : 0;
}

/* The QEMU network: user networking with forwards (host side on 127.0.0.1 only), or a tap. */
struct net_plan {
	int on;		      /* give the guest a NIC */
	const char *tap;      /* --net tap:NAME, else user networking */
	struct hostfwd *fwds; /* the manifest's then -p's */
	size_t n;
	struct strlist why; /* where each forward came from, for messages */
};

static int check_tap(const char *name)
{
	char *dir = xasprintf("/sys/class/net/%s", name);
	char *flags = path_join(dir, "tun_flags"), *text = NULL;
	int rc = 0;
	if (!is_dir(dir)) {
		error("--net tap:%s: there is no network device '%s'", name, name);
		hint("create it first (as root): ip tuntap add dev %s mode tap user $USER && ip "
		     "link set %s up",
		     name, name);
		rc = EXIT_USAGE;
	} else if (read_file(flags, &text, NULL) < 0 || (strtoul(text, NULL, 0) & 3) != 2) {
		error("--net tap:%s: '%s' is not a tap device (%s)", name, name,
		      text ? "it is a tun device" : "no tun_flags in /sys/class/net");
		hint("QEMU needs a tap device: ip tuntap add dev NAME mode tap");
		rc = EXIT_USAGE;
	}
	free(text);
	free(flags);
	free(dir);
	return rc;
}

static void plan_add(struct net_plan *np, const struct hostfwd *f, char *why)
{
	np->fwds = xrealloc(np->fwds, (np->n + 1) * sizeof *np->fwds);
	np->fwds[np->n++] = *f;
	sl_push(&np->why, why);
	free(why);
}

/* Validates the network options against the manifest, before anything is built. publish:
 * the -p forwards, checked. Returns 0 or an exit code (the message is printed). */
static int plan_network(const struct manifest *m, const struct hostfwd *publish, size_t npub,
			const struct strlist *publish_spec, const char *net,
			const struct bootargs *args, struct net_plan *np)
{
	memset(np, 0, sizeof *np);
	np->tap = net && !strncmp(net, "tap:", 4) ? net + 4 : NULL;
	np->on = m->has_network || npub || net || bootargs_has_prefix(args, "net.");
	if (!np->on)
		return 0;
	if (np->tap) {
		if (m->n_hostfwd)
			warning("%s: network.hostfwd applies to user networking; ignored with "
				"--net tap:%s",
				m->path, np->tap);
		return check_tap(np->tap);
	}
	/* -p PROTO:HOST:GUEST replaces the manifest's forward of the same guest port */
	for (size_t i = 0; i < m->n_hostfwd; i++) {
		const struct hostfwd *f = &m->hostfwd[i];
		size_t j = 0;
		while (j < npub &&
		       (publish[j].guest != f->guest || strcmp(publish[j].proto, f->proto)))
			j++;
		if (j < npub)
			note("-p %s replaces %s's hostfwd %s:%u:%u", publish_spec->v[j], m->path,
			     f->proto, f->host, f->guest);
		else
			plan_add(np, f,
				 xasprintf("%s:%u:%u in %s", f->proto, f->host, f->guest, m->path));
	}
	for (size_t i = 0; i < npub; i++)
		plan_add(np, &publish[i], xasprintf("-p %s", publish_spec->v[i]));
	for (size_t i = 0; i < np->n; i++) {
		const struct hostfwd *f = &np->fwds[i];
		char clash[200];
		for (size_t j = 0; j < i; j++)
			if (hostfwd_clash(&np->fwds[j], f, clash, sizeof clash)) {
				error("%s: %s and %s", clash, np->why.v[j], np->why.v[i]);
				if (np->fwds[j].host == f->host)
					hint("each host port can forward to one guest port");
				else
					hint("%s: forward each guest UDP port once",
					     hostfwd_udp_note);
				return EXIT_USAGE;
			}
		int e = port_error(f->proto, f->host);
		if (e == EADDRINUSE) {
			error("host port %s %u (%s) is already in use on 127.0.0.1", f->proto,
			      f->host, np->why.v[i]);
			hint("pick another host port: -p %s:PORT:%u", f->proto, f->guest);
			return EXIT_USAGE;
		}
		if (e == EACCES) {
			error("host port %s %u (%s) needs root: ports below 1024 are privileged",
			      f->proto, f->host, np->why.v[i]);
			hint("pick a host port of 1024 or above: -p %s:%u:%u", f->proto,
			     f->host + 8000, f->guest);
			return EXIT_USAGE;
		}
	}
	return 0;
}

static void add_network(struct strlist *a, const struct net_plan *np, const char *target)
{
	if (!np->on)
		return;
	sl_push(a, "-netdev");
	if (np->tap) {
		sl_pushf(a, "tap,id=n0,ifname=%s,script=no,downscript=no", np->tap);
	} else {
		char *nd = xstrdup("user,id=n0");
		for (size_t i = 0; i < np->n; i++) {
			const struct hostfwd *f = &np->fwds[i];
			/* reachable from this host only */
			char *t = xasprintf("%s,hostfwd=%s:127.0.0.1:%u-:%u", nd, f->proto, f->host,
					    f->guest);
			free(nd);
			nd = t;
		}
		sl_push(a, nd);
		free(nd);
	}
	sl_push(a, "-device");
	/* the Pis: a CDC Ethernet device on QEMU's USB hub, behind the DWC2 controller (QEMU
	 * emulates neither the Pi 3's LAN9514 nor the Pi 4's GENET) */
	sl_push(a, !strcmp(target, "virt") ? "virtio-net-device,netdev=n0" : "usb-net,netdev=n0");
}

/* what uk run was asked: the options, and --append and -p parsed */
struct run_req {
	int qemu, timeout, gdb, fresh;
	const char *target, *mem, *out, *net;
	struct strlist appends, rest, publish;
	struct bootargs extra; /* --append, checked by the rules uk build applies */
	struct hostfwd *pub;   /* -p, parsed */
};

/* phase 1: the command line, checked before uk.yaml is read */
static void parse_run(int argc, char **argv, struct run_req *r)
{
	struct option opts[] = {
	    {OPT_BOOL, 0, "qemu", &r->qemu, NULL, "run in QEMU (the only runner today)"},
	    {OPT_STRING, 't', "target", &r->target, " T",
	     "target to boot (default: the first in uk.yaml)"},
	    {OPT_STRING, 'm', "memory", &r->mem, " MEM",
	     "guest memory, e.g. 256M (default: uk.yaml's memory, else the target's)"},
	    {OPT_LIST, 'a', "append", &r->appends, " K=V", "one more boot argument (repeatable)"},
	    {OPT_INT, 0, "timeout", &r->timeout, " S", "stop QEMU after S seconds"},
	    {OPT_OPTINT, 0, "gdb", &r->gdb, "[=PORT]",
	     "start paused with a gdb stub on PORT (default 1234)"},
	    {OPT_STRING, 'o', "out", &r->out, " DIR", "build output directory (as uk build --out)"},
	    {OPT_LIST, 'p', "publish", &r->publish, " [tcp:|udp:]HOST:GUEST",
	     "forward 127.0.0.1:HOST to the guest's port GUEST (default tcp;\n"
	     "repeatable; added to uk.yaml's network.hostfwd)"},
	    {OPT_STRING, 0, "net", &r->net, " user|tap:NAME",
	     "the guest's network: QEMU user networking (the default), or the\n"
	     "existing tap device NAME (no -p then)"},
	    {OPT_BOOL, 0, "fresh", &r->fresh, NULL,
	     "start the card again from the built sdcard.img"},
	    {OPT_END, 0, NULL, NULL, NULL, NULL},
	};
	parse_options(argc, argv, opts, usage_run, &r->rest);
	if (!r->qemu)
		usage_error(usage_run,
			    "say where to run: --qemu (real boards: write sdcard.img to a "
			    "card; 'uk flash' comes later)");
	if (r->rest.n > 1)
		usage_error(usage_run, "one app directory at most, got %zu", r->rest.n);
	if (r->target && !valid_target(r->target))
		usage_error(usage_run, "unknown target '%s'; allowed: virt, rpi3, rpi4", r->target);
	for (size_t i = 0; i < r->appends.n; i++) {
		const char *why;
		if (bootarg_split(r->appends.v[i], &r->extra, &why) < 0)
			usage_error(usage_run, "--append '%s': %s", r->appends.v[i], why);
	}
	uint64_t bytes;
	if (r->mem && (parse_size(r->mem, &bytes) < 0 || !bytes))
		usage_error(usage_run, "-m wants a size such as 256M, not '%s'", r->mem);
	if (r->gdb < 0)
		r->gdb = 1234;
	r->pub = xmalloc((r->publish.n + 1) * sizeof *r->pub);
	for (size_t i = 0; i < r->publish.n; i++) {
		const char *why;
		if (hostfwd_parse(r->publish.v[i], &r->pub[i], &why) < 0)
			usage_error(usage_run, "-p '%s': %s", r->publish.v[i], why);
	}
	const char *net = r->net;
	if (net && strcmp(net, "user") &&
	    (strncmp(net, "tap:", 4) || !net[4] || strlen(net + 4) > 15 ||
	     strpbrk(net + 4, "/, \t:=") || !strcmp(net + 4, ".") || !strcmp(net + 4, "..")))
		usage_error(usage_run, "--net wants user or tap:NAME (a tap device name), not '%s'",
			    net);
	if (net && !strncmp(net, "tap:", 4) && r->publish.n)
		usage_error(usage_run,
			    "-p forwards ports through QEMU's user networking; it does not work "
			    "with --net %s (reach the guest at its own address on the tap)",
			    net);
}

/* phase 2: uk.yaml, the boot arguments and the network, then the build when stale */
static int prepare(struct run_req *r, struct manifest *m, struct bootargs *args,
		   struct net_plan *np, struct build_result *br)
{
	int rc = manifest_load(r->rest.n ? r->rest.v[0] : ".", m);
	if (rc)
		return rc;
	if (!r->target)
		r->target = m->targets.v[0];
	/* the boot arguments: uk.qemu=1, the manifest's, then --append (the last one wins) */
	bootargs_set(args, "uk.qemu", "1");
	bootargs_merge(args, &m->bootargs);
	bootargs_merge(args, &r->extra);
	if ((rc = plan_network(m, r->pub, r->publish.n, &r->publish, r->net, args, np)))
		return rc;
	if (np->on && !bootargs_get(args, "net.ip"))
		bootargs_set(args, "net.ip", "dhcp"); /* -p or --net: the runtime starts it */
	char *over = bootargs_problem(args);
	if (over)
		usage_error(usage_run, "with --append: %s", over);
	char *o = default_out(m, r->target, r->out, 0);
	rc = build_target(m, r->target, o, br);
	free(o);
	if (rc)
		return rc;
	if (!br->up_to_date)
		note("built %s for %s in %s", m->name, r->target, br->out);
	return 0;
}

/* phase 3: the QEMU command line, from the target's target.conf, the network, the card, the
 * kernel and its boot arguments */
static int qemu_command(const struct run_req *r, const struct manifest *m,
			const struct net_plan *np, const struct build_result *br,
			const struct bootargs *args, struct strlist *a)
{
	const char *target = r->target;
	struct conf tc;
	char *tcp = xasprintf("%s/%s/target.conf", uk_home(), target);
	conf_read(tcp, &tc, uk_home(), uk_cache());
	free(tcp);
	const char *q = conf_get(&tc, "QEMU");
	if (!q || !*q) {
		error("%s/%s/target.conf sets no QEMU command", uk_home(), target);
		return EXIT_ENV;
	}
	split_words(q, a);
	sl_push(a, "-m");
	const char *qm = conf_get(&tc, "QEMU_MEM");
	sl_push(a, r->mem ? r->mem : m->memory ? m->memory : qm && *qm ? qm : "256M");
	if (m->cores > 1 && !strcmp(target, "virt")) { /* raspi3b and raspi4b always have 4 */
		sl_push(a, "-smp");
		sl_pushf(a, "%d", m->cores);
	}
	sl_push(a, "-display");
	sl_push(a, "none");
	sl_push(a, "-monitor");
	sl_push(a, "none");
	const char *ser = conf_get(&tc, "QEMU_SERIAL");
	split_words(ser && *ser ? ser : "-serial stdio", a);
	sl_push(a, "-no-reboot");
	sl_push(a, "-semihosting-config");
	sl_push(a, "enable=on,target=native");
	const char *dtb = conf_get(&tc, "QEMU_DTB");
	if (dtb && *dtb) {
		sl_push(a, "-dtb");
		sl_push(a, dtb);
	}
	add_network(a, np, target);
	int rc = run_card(target, br->out, r->fresh, a);
	if (rc)
		return rc;
	if (r->gdb) {
		sl_push(a, "-S");
		sl_push(a, "-gdb");
		sl_pushf(a, "tcp::%d", r->gdb);
	}
	sl_push(a, "-kernel");
	sl_push(a, br->kernel);
	char *cmdline = bootargs_format(args);
	sl_push(a, "-append");
	sl_push(a, cmdline);
	free(cmdline);
	return 0;
}

/* phase 4: QEMU started with its console on a pipe, and Ctrl-C, TERM and HUP caught */
static int start_qemu(const struct strlist *a, pid_t *pid, int *console)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return EXIT_FAIL;
	struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART: poll wakes up */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN); /* a closed stdout is noticed as EPIPE, and QEMU is stopped */
	struct spawn_opts so = {.out_fd = p[1], .keep_stdin = 1};
	*pid = spawn(a->v, &so);
	close(p[1]);
	if (*pid < 0) {
		error("cannot run %s: %s", a->v[0], strerror(errno));
		hint("install QEMU (qemu-system-arm); 'uk doctor' checks it");
		return EXIT_ENV;
	}
	*console = p[0];
	return 0;
}

/* a panic's backtrace as the console printed it */
struct panic_trace {
	int panic, nframes, nums[64];
	unsigned long long addrs[64], lr;
};

/* one console line: a panic starts a trace; x30 and the frames after it fill it */
static void watch_line(const char *line, struct panic_trace *t)
{
	int num;
	unsigned long long ad;
	const char *x30;
	if (strstr(line, "uk: panic"))
		t->panic = 1, t->nframes = 0, t->lr = 0;
	else if (t->panic && (x30 = strstr(line, "x30 0x")))
		t->lr = strtoull(x30 + 4, NULL, 16);
	else if (t->panic && t->nframes < 64 && parse_frame(line, &num, &ad))
		t->nums[t->nframes] = num, t->addrs[t->nframes++] = ad;
}

/* phase 5: the console passed through to stdout until QEMU closes it. Returns why it stopped
 * early: 0 QEMU exited, EXIT_TIMEOUT, EXIT_INTR, 141 stdout closed. */
static int pass_console(int fd, int timeout, struct panic_trace *t)
{
	int64_t deadline = timeout > 0 ? now_ms() + (int64_t)timeout * 1000 : 0;
	char line[1024];
	size_t ll = 0;
	int why = 0;
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
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		int r = poll(&pf, 1, wait_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			continue;
		char buf[4096];
		ssize_t n = read(fd, buf, sizeof buf);
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
			watch_line(line, t);
			ll = 0;
		}
	}
	close(fd);
	return why;
}

/* phase 6: QEMU stopped (when uk stopped early) or reaped, and the exit status */
static int qemu_status(pid_t pid, int why, int timeout)
{
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
	return status;
}

int cmd_run(int argc, char **argv)
{
	struct run_req r = {0};
	parse_run(argc, argv, &r);
	struct manifest m;
	struct bootargs args = {0};
	struct net_plan np;
	struct build_result br;
	int rc = prepare(&r, &m, &args, &np, &br);
	if (rc)
		return rc;
	struct strlist a = {0};
	if ((rc = qemu_command(&r, &m, &np, &br, &args, &a)))
		return rc;
	if (verbose)
		print_cmd(&a);
	if (r.gdb) {
		fprintf(stderr,
			"uk: QEMU is paused, waiting for gdb on port %d. In another terminal:\n"
			"  gdb-multiarch %s -ex 'target remote :%d'\n",
			r.gdb, br.elf, r.gdb);
	}
	pid_t pid;
	int console;
	if ((rc = start_qemu(&a, &pid, &console)))
		return rc;
	struct panic_trace t = {0};
	int status = qemu_status(pid, pass_console(console, r.timeout, &t), r.timeout);
	if (t.nframes)
		symbolise(br.elf, t.addrs, t.nums, t.nframes, t.lr);
	sl_free(&a);
	bootargs_free(&args), bootargs_free(&r.extra);
	free(np.fwds), free(r.pub);
	sl_free(&np.why);
	return status;
}
