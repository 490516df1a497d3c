/* /init of the Linux guest that bench/ runs next to uk: a static program, so the initramfs
 * needs no libc, shell or busybox. It does what uk's runtime does before main:
 *   1. the console on fds 0-2 (devtmpfs, since the initramfs has no device nodes),
 *   2. the network drivers, which Debian builds as modules: /modules/NN-name.ko in name order
 *      (virt: virtio_mmio ... virtio_net; rpi3: usbcore, dwc2 ... cdc_ether),
 *   3. the first interface other than lo (eth0 on virt; on raspi3b the USB device appears a
 *      while after dwc2 loads, as eth0 or usb0) up as 10.0.2.15/24, QEMU user networking's
 *      guest address (no DHCP: the Linux guest gets the quickest possible start),
 *   4. the servers. The kernel hands init the boot argument bench=MODE as an environment
 *      variable:
 *        bench=http   only /http-server 80 (the start-to-first-HTTP-answer row)
 *        bench=latency  before anything else, /latency-loop (bench/latency-loop.c, in
 *                     iperf.cpio.gz): the ticker's 1 kHz deadline loop for one second with
 *                     clock_nanosleep(TIMER_ABSTIME); prints its line, then powers off
 *        bench=latency-iperf  the network and Debian's iperf 2 server, then, once a client's
 *                     traffic arrives (3 MB received: /sys/class/net/IF/statistics),
 *                     the same loop while it goes on, on CPU 1 when there is one (pinned; the
 *                     kernel command line isolates it: isolcpus=1 irqaffinity=0, as uk's
 *                     ticker.core=1 has core 1 to itself); prints the packets and bytes
 *                     received during the loop and its line, then powers off
 *        otherwise    a TCP echo of its own on port 7007 (a blocking read/write loop, the
 *                     Linux side of the rows against uk's event API), /http-server 80 and,
 *                     when the initramfs has them, /tcp-echo 7 (examples/tcp-echo, the
 *                     same source as uk's tcp-echo) and Debian's iperf 2 server
 *                     (/usr/bin/iperf -s, port 5001) in children, then exec /udp-echo 7.
 * Any failure powers the machine off, so QEMU (-no-reboot) exits instead of hanging.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <sched.h>
#include <dirent.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what)
{
	printf("init: %s failed\n", what);
	reboot(RB_POWER_OFF);
	_exit(1);
}

static void console(void)
{
	mkdir("/dev", 0755);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	int fd = open("/dev/console", O_RDWR);
	if (fd < 0)
		return;
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static void load_modules(void)
{
	struct dirent **e;
	int n = scandir("/modules", &e, NULL, by_name);
	if (n < 0)
		die("reading /modules");
	for (int i = 0; i < n; i++) {
		if (e[i]->d_name[0] == '.')
			continue;
		char path[300];
		snprintf(path, sizeof(path), "/modules/%s", e[i]->d_name);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || syscall(SYS_finit_module, fd, "", 0) != 0)
			die(path);
		close(fd);
	}
}

static void set_addr(int s, unsigned long req, const char *ifname, const char *ip)
{
	struct ifreq r = {0};
	struct sockaddr_in *a = (struct sockaddr_in *)&r.ifr_addr;
	snprintf(r.ifr_name, IFNAMSIZ, "%s", ifname);
	a->sin_family = AF_INET;
	inet_pton(AF_INET, ip, &a->sin_addr);
	if (ioctl(s, req, &r) != 0)
		die(req == SIOCSIFADDR ? "SIOCSIFADDR" : "SIOCSIFNETMASK");
}

static void link_up(int s, const char *ifname)
{
	struct ifreq r = {0};
	snprintf(r.ifr_name, IFNAMSIZ, "%s", ifname);
	if (ioctl(s, SIOCGIFFLAGS, &r) != 0)
		die(ifname);
	r.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(s, SIOCSIFFLAGS, &r) != 0)
		die("SIOCSIFFLAGS");
}

/* The first interface other than lo, waiting up to 60 s for it to appear. */
static void find_netif(char *name)
{
	for (int ms = 0; ms < 60000; ms++) {
		struct if_nameindex *ifs = if_nameindex();
		bool found = false;
		for (struct if_nameindex *i = ifs; i && i->if_index; i++)
			if (strcmp(i->if_name, "lo") && !found) {
				snprintf(name, IFNAMSIZ, "%s", i->if_name);
				found = true;
			}
		if (ifs)
			if_freenameindex(ifs);
		if (found)
			return;
		nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
	}
	die("finding a network interface");
}

static char ifname[IFNAMSIZ]; /* the interface net_up brought up */

static void net_up(void)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0)
		die("socket");
	link_up(s, "lo");
	find_netif(ifname);
	set_addr(s, SIOCSIFADDR, ifname, "10.0.2.15");
	set_addr(s, SIOCSIFNETMASK, ifname, "255.255.255.0");
	link_up(s, ifname);
	close(s);
}

/* One connection at a time is enough for the benchmark (one stream). */
static void tcp_echo(int port)
{
	int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
	if (bind(l, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(l, 16) != 0)
		die("tcp listen");
	static char buf[65536];
	for (;;) {
		int c = accept(l, NULL, NULL);
		if (c < 0)
			continue;
		ssize_t n;
		while ((n = read(c, buf, sizeof(buf))) > 0)
			for (ssize_t off = 0, w; off < n; off += w)
				if ((w = write(c, buf + off, (size_t)(n - off))) <= 0)
					goto done;
	done:
		close(c);
	}
}

/* Runs PATH with its arguments in a child. */
static void spawn(const char *path, char *const argv[])
{
	if (fork() == 0) {
		execv(path, argv);
		_exit(127);
	}
}

/* What the interface received so far, "rx_packets" or "rx_bytes" (sysfs, mounted by
 * latency_under_iperf). With QEMU's tap backend virtio-net hands Linux coalesced packets of up
 * to 64 KiB (GSO), so packets are not frames on the wire; bytes compare with uk's frames. */
static unsigned long long rx_count(const char *what)
{
	char path[96];
	unsigned long long n = 0;
	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/%s", ifname, what);
	FILE *f = fopen(path, "r");
	if (!f || fscanf(f, "%llu", &n) != 1)
		die(path);
	fclose(f);
	return n;
}

/* bench=latency-iperf (see the top). */
static void latency_under_iperf(void)
{
	mkdir("/sys", 0755);
	if (mount("sysfs", "/sys", "sysfs", 0, NULL) != 0)
		die("mounting /sys");
	spawn("/usr/bin/iperf", (char *const[]){"iperf", "-s", NULL});
	unsigned long long base = rx_count("rx_bytes");
	printf("latency: iperf server up, waiting for traffic\n");
	fflush(stdout);
	for (int ms = 0; rx_count("rx_bytes") - base < 3000000; ms += 10) {
		if (ms > 60000)
			die("waiting for iperf traffic");
		nanosleep(&(struct timespec){.tv_nsec = 10000000}, NULL);
	}
	unsigned long long packets = rx_count("rx_packets"), bytes = rx_count("rx_bytes");
	pid_t child = fork();
	if (child == 0) {
		if (sysconf(_SC_NPROCESSORS_ONLN) > 1) {
			cpu_set_t one;
			CPU_ZERO(&one);
			CPU_SET(1, &one);
			if (sched_setaffinity(0, sizeof(one), &one) != 0)
				die("sched_setaffinity");
		}
		execl("/latency-loop", "latency-loop", "1000", "1000", (char *)NULL);
		die("exec /latency-loop");
	}
	waitpid(child, NULL, 0);
	printf("latency: %llu packets, %llu bytes received meanwhile\n",
	       rx_count("rx_packets") - packets, rx_count("rx_bytes") - bytes);
	fflush(stdout);
	reboot(RB_POWER_OFF);
	_exit(0);
}

int main(void)
{
	console();
	const char *mode = getenv("bench");
	if (mode && !strcmp(mode, "latency")) {
		if (fork() == 0) {
			execl("/latency-loop", "latency-loop", "1000", "1000", (char *)NULL);
			die("exec /latency-loop");
		}
		wait(NULL);
		reboot(RB_POWER_OFF);
		_exit(0);
	}
	load_modules();
	net_up();
	if (mode && !strcmp(mode, "latency-iperf"))
		latency_under_iperf();
	if (!mode || strcmp(mode, "http")) {
		if (fork() == 0) {
			tcp_echo(7007);
			_exit(0);
		}
		spawn("/http-server", (char *const[]){"http-server", "80", NULL});
		if (access("/tcp-echo", X_OK) == 0)
			spawn("/tcp-echo", (char *const[]){"tcp-echo", "7", NULL});
		if (access("/usr/bin/iperf", X_OK) == 0)
			spawn("/usr/bin/iperf", (char *const[]){"iperf", "-s", NULL});
		execl("/udp-echo", "udp-echo", "7", (char *)NULL);
		die("exec /udp-echo");
	}
	execl("/http-server", "http-server", "80", (char *)NULL);
	die("exec /http-server");
}
