/*
 * TLS benchmark (issue 13): an HTTPS server, one source for uk and for the Debian arm64 Linux
 * guest that bench/tls.sh runs next to it on the same QEMU virt machine (virtio-net, QEMU user
 * networking, port 443 forwarded to the host's 127.0.0.1):
 *   GET /      a short page (the handshake and first-answer rows)
 *   GET /big   10 MiB (BIG) generated in memory, 16 KiB uk_tls_write() calls of one pattern
 *              buffer: no disk on either side (the download row)
 * One client at a time, as examples/https-server. TLS is uk/tls.h on both sides: on uk the
 * runtime's (runtime/net/tls.c over mbed TLS 2.28, configured by
 * runtime/kernel/mbedtls_config.h); on Linux the same tls.c and the same mbed TLS source, built
 * with the same configuration file by bench/tls.sh. The certificate (ECDSA P-256) and its key
 * are PEM text in cert.h, which bench/tls.sh makes with openssl.
 * On Linux (LINUX_GUEST; uk's cross compiler defines __linux__ too) this program is /init of an
 * initramfs and first does what uk's runtime does before main: the console, the virtio drivers
 * Debian builds as modules (/modules/NN-name.ko in name order: virtio_mmio, virtio-rng,
 * failover, net_failover, virtio_net), the interface up as 10.0.2.15/24 (uk: net.ip= on the
 * command line). What uk_random is on uk (kernel/random.c: mbed TLS's CTR_DRBG seeded by the
 * board's RNG) is here the same CTR_DRBG seeded by getrandom(), which the kernel's CRNG serves
 * (fed by the same virtio-rng device); mbedtls_hardware_poll (MBEDTLS_ENTROPY_HARDWARE_ALT in
 * the configuration) is getrandom() too.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <uk/tls.h>

#include "cert.h" /* CERT_PEM, KEY_PEM */

#define BIG   (10L << 20)
#define CHUNK 16384

#ifdef LINUX_GUEST
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>

#include <mbedtls/ctr_drbg.h>

static void die(const char *what)
{
	printf("tls-bench: %s failed: %s\n", what, strerror(errno));
	fflush(stdout);
	reboot(RB_POWER_OFF); /* init must not exit: the kernel would panic */
	_exit(1);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static void set_addr(int s, unsigned long req, const char *ifname, const char *ip)
{
	struct ifreq r = {0};
	struct sockaddr_in *a = (struct sockaddr_in *)&r.ifr_addr;
	strncpy(r.ifr_name, ifname, IFNAMSIZ - 1);
	a->sin_family = AF_INET;
	inet_pton(AF_INET, ip, &a->sin_addr);
	if (ioctl(s, req, &r) != 0)
		die("setting the address");
}

static void link_up(int s, const char *ifname)
{
	struct ifreq r = {0};
	strncpy(r.ifr_name, ifname, IFNAMSIZ - 1);
	if (ioctl(s, SIOCGIFFLAGS, &r) != 0)
		die(ifname);
	r.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(s, SIOCSIFFLAGS, &r) != 0)
		die("SIOCSIFFLAGS");
}

/* what uk's runtime does before main: a console, the drivers, the network */
static void guest_setup(void)
{
	if (getpid() != 1)
		return;
	mkdir("/dev", 0755);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	int fd = open("/dev/console", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0), dup2(fd, 1), dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	struct dirent **e;
	int n = scandir("/modules", &e, NULL, by_name);
	if (n < 0)
		die("/modules");
	for (int i = 0; i < n; i++) {
		char path[300];
		if (e[i]->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "/modules/%s", e[i]->d_name);
		int m = open(path, O_RDONLY | O_CLOEXEC);
		if (m < 0 || syscall(SYS_finit_module, m, "", 0) != 0)
			die(path);
		close(m);
	}
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0)
		die("socket");
	link_up(s, "lo");
	char ifname[IFNAMSIZ] = "";
	for (int ms = 0; !*ifname; ms++) { /* the first interface other than lo */
		if (ms == 60000)
			die("finding a network interface");
		struct if_nameindex *ifs = if_nameindex();
		for (struct if_nameindex *i = ifs; i && i->if_index && !*ifname; i++)
			if (strcmp(i->if_name, "lo"))
				snprintf(ifname, sizeof ifname, "%s", i->if_name);
		if (ifs)
			if_freenameindex(ifs);
		if (!*ifname)
			nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
	}
	set_addr(s, SIOCSIFADDR, ifname, "10.0.2.15");
	set_addr(s, SIOCSIFNETMASK, ifname, "255.255.255.0");
	link_up(s, ifname);
	close(s);
}

static int entropy(void *unused, unsigned char *out, size_t n)
{
	(void)unused;
	while (n > 0) {
		ssize_t r = getrandom(out, n, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		out += r;
		n -= (size_t)r;
	}
	return 0;
}

int mbedtls_hardware_poll(void *data, unsigned char *out, size_t len, size_t *olen);
int mbedtls_hardware_poll(void *data, unsigned char *out, size_t len, size_t *olen)
{
	*olen = 0;
	if (entropy(data, out, len) != 0)
		return -1;
	*olen = len;
	return 0;
}

/* runtime/kernel/random.c's uk_random, with getrandom() as the hardware */
int uk_random(void *buf, size_t n)
{
	static mbedtls_ctr_drbg_context drbg;
	static int seeded;
	if (!seeded) {
		static const unsigned char personal[] = "uk random";
		mbedtls_ctr_drbg_init(&drbg);
		if (mbedtls_ctr_drbg_seed(&drbg, entropy, NULL, personal, sizeof personal) != 0)
			return -EIO;
		seeded = 1;
	}
	unsigned char *p = buf;
	while (n > 0) {
		size_t k = n < MBEDTLS_CTR_DRBG_MAX_REQUEST ? n : MBEDTLS_CTR_DRBG_MAX_REQUEST;
		if (mbedtls_ctr_drbg_random(&drbg, p, k) != 0)
			return -EIO;
		p += k;
		n -= k;
	}
	return 0;
}
#else
#include <uk/net.h>
#endif

static void send_page(struct uk_tls *t)
{
	static const char page[] = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
				   "Content-Length: 15\r\n\r\nhello over TLS\n";
	uk_tls_write(t, page, sizeof page - 1);
}

static void send_big(struct uk_tls *t)
{
	static unsigned char buf[CHUNK];
	char head[160];
	int n = snprintf(head, sizeof head,
			 "HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\n"
			 "Content-Length: %ld\r\n\r\n",
			 BIG);
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (unsigned char)(i * 131 + 7);
	if (uk_tls_write(t, head, (size_t)n) < 0)
		return;
	for (long sent = 0; sent < BIG; sent += CHUNK)
		if (uk_tls_write(t, buf, CHUNK) < 0)
			return;
}

int main(void)
{
	char why[200];
#ifdef LINUX_GUEST
	guest_setup();
#else
	if (uk_net_start() != 0) {
		printf("tls-bench: no network\n");
		return 1;
	}
#endif
	struct uk_tls_config *cfg = uk_tls_config_new(
	    UK_TLS_SERVER, &(struct uk_tls_options){.cert_pem = CERT_PEM, .key_pem = KEY_PEM}, why,
	    sizeof why);
	if (!cfg) {
		printf("tls-bench: %s\n", why);
		return 1;
	}
#ifndef LINUX_GUEST
	if (uk_net_wait_up(30000000000ull) != 0) {
		printf("tls-bench: no network\n");
		return 1;
	}
#endif
	/* One socket for both families, as examples/http-server */
	int ls = socket(AF_INET6, SOCK_STREAM, 0), one = 1, zero = 0;
	setsockopt(ls, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_port = htons(443)};
	if (bind(ls, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(ls, 16) != 0) {
		printf("tls-bench: port 443: %s\n", strerror(errno));
		return 1;
	}
	printf("tls-bench: serving on port 443\n");
	fflush(stdout);
	for (unsigned long served = 0;;) {
		int fd = accept(ls, NULL, NULL);
		if (fd < 0)
			continue;
		struct timeval idle = {10, 0};
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof idle);
		struct uk_tls *t = uk_tls_accept(fd, cfg, why, sizeof why);
		if (!t) {
			close(fd);
			continue;
		}
		char req[1024], method[8], target[64];
		ssize_t n = uk_tls_read(t, req, sizeof req - 1);
		req[n > 0 ? n : 0] = 0;
		if (sscanf(req, "%7s %63s", method, target) == 2 && !strcmp(method, "GET")) {
			if (!strcmp(target, "/big"))
				send_big(t);
			else
				send_page(t);
		}
		if (++served == 1) {
			printf("tls-bench: first client served (%s)\n", uk_tls_cipher(t));
			fflush(stdout);
		}
		uk_tls_close(t);
		close(fd);
	}
}
