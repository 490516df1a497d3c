/*
 * lwIP's randomness: LWIP_RAND (DHCP and DHCPv6 transaction ids, DNS query ids and source
 * ports, the first ephemeral TCP and UDP ports, mDNS and IGMP/MLD delays) and TCP initial
 * sequence numbers (LWIP_HOOK_TCP_ISN).
 *
 * ISNs follow RFC 6528: ISN = M + F(local address and port, remote address and port, key),
 * where M is a clock ticking every 4 microseconds and F the first 32 bits of SHA-256 (mbed
 * TLS's) over a 256-bit secret key and the connection's addresses and ports. Connections to
 * different peers or ports get unrelated ISNs; successive connections with the same four
 * values still advance with the clock, as RFC 793 wants for old duplicates.
 *
 * Key and LWIP_RAND come from uk_random (the hardware generator through the DRBG). On a target
 * without a working generator the console says so once, and both fall back to SHA-256 over
 * what little is unknown to a remote host: the device tree's /chosen rng-seed and kaslr-seed
 * when the loader wrote them (QEMU's virt does; the Pi firmware and QEMU's raspi machines do
 * not), the counter at entry, at main and now, and timing jitter sampled here. That is no
 * counter (two connections' ISNs do not reveal each other) but its secret is only as good as
 * those seeds, and on a Pi it amounts to boot timing: said on the console.
 */
#include <string.h>

#include <libfdt.h>
#include <mbedtls/sha256.h>
#include <uk/random.h>
#include <uk/system.h>

#include "kernel.h"
#include "lwip/arch.h"
#include "lwip_hooks.h"

static unsigned char key[32];
static enum { KEY_NONE, KEY_HW, KEY_WEAK } key_kind;
static uint64_t weak_count;

static void mix_prop(mbedtls_sha256_context *h, const char *name)
{
	int node = uk_fdt ? fdt_path_offset(uk_fdt, "/chosen") : -1;
	int len = 0;
	const void *v = node >= 0 ? fdt_getprop(uk_fdt, node, name, &len) : NULL;
	if (v && len > 0)
		mbedtls_sha256_update_ret(h, v, (size_t)len);
}

static void weak_key(void)
{
	mbedtls_sha256_context h;
	mbedtls_sha256_init(&h);
	mbedtls_sha256_starts_ret(&h, 0);
	mix_prop(&h, "rng-seed");
	mix_prop(&h, "kaslr-seed");
	const struct uk_system *s = uk_system();
	uint64_t t[2] = {s->entry_ns, s->main_ns};
	mbedtls_sha256_update_ret(&h, (const unsigned char *)t, sizeof(t));
	/* Counter readings around work whose duration varies with caches and, under QEMU, with
	 * the host: a few bits each. */
	for (int i = 0; i < 64; i++) {
		uint64_t now = timer_ticks();
		mbedtls_sha256_update_ret(&h, (const unsigned char *)&now, sizeof(now));
	}
	mbedtls_sha256_finish_ret(&h, key);
	mbedtls_sha256_free(&h);
}

static void key_init(void)
{
	if (key_kind != KEY_NONE)
		return;
	if (uk_random(key, sizeof(key)) == 0) {
		key_kind = KEY_HW;
		return;
	}
	weak_key();
	key_kind = KEY_WEAK;
	kprintf("net: no hardware random numbers: TCP sequence numbers, ports and DHCP/DNS ids "
		"are keyed from boot timing%s\n",
		uk_fdt && fdt_path_offset(uk_fdt, "/chosen") >= 0 &&
			fdt_getprop(uk_fdt, fdt_path_offset(uk_fdt, "/chosen"), "rng-seed", NULL)
		    ? " and the loader's rng-seed"
		    : " only (guessable with effort)");
}

/* SHA-256(key, parts...) cut to 32 bits. */
static u32_t keyed_hash(const void *a, size_t an, const void *b, size_t bn)
{
	unsigned char buf[sizeof(key) + 64], out[32];
	memcpy(buf, key, sizeof(key));
	memcpy(buf + sizeof(key), a, an);
	memcpy(buf + sizeof(key) + an, b, bn);
	mbedtls_sha256_ret(buf, sizeof(key) + an + bn, out, 0);
	u32_t v;
	memcpy(&v, out, sizeof(v));
	return v;
}

unsigned long uk_net_random(void)
{
	key_init();
	u32_t v;
	if (key_kind == KEY_HW && uk_random(&v, sizeof(v)) == 0)
		return v;
	/* No generator (or it failed since boot): the keyed hash of a counter and the clock. */
	uint64_t in[2] = {++weak_count, timer_ticks()};
	return keyed_hash(in, sizeof(in), NULL, 0);
}

/* One address as type byte + 16 bytes, so IPv4 and IPv6 peers never hash alike. */
static size_t put_addr(unsigned char *p, const ip_addr_t *a)
{
	memset(p, 0, 17);
	if (IP_IS_V6(a)) {
		p[0] = 6;
		memcpy(p + 1, ip_2_ip6(a)->addr, 16);
	} else {
		p[0] = 4;
		memcpy(p + 1, &ip_2_ip4(a)->addr, 4);
	}
	return 17;
}

u32_t uk_tcp_isn(const ip_addr_t *local_ip, u16_t local_port, const ip_addr_t *remote_ip,
		 u16_t remote_port)
{
	key_init();
	unsigned char conn[2 * 17 + 4];
	size_t n = put_addr(conn, local_ip);
	n += put_addr(conn + n, remote_ip);
	memcpy(conn + n, &local_port, 2);
	memcpy(conn + n + 2, &remote_port, 2);
	u32_t m = (u32_t)(ticks_to_ns(timer_ticks()) / 4000); /* RFC 6528's 4 us timer */
	return m + keyed_hash(conn, n + 4, NULL, 0);
}
