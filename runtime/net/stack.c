/*
 * Bringing the network up: probe the device, start lwIP, configure the interface from the boot
 * arguments (DHCP or static, gateway, DNS, hostname, mDNS), and report the address.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <lwip/apps/mdns.h>
#include <lwip/dhcp.h>
#include <lwip/dns.h>
#include <lwip/init.h>
#include <lwip/ip4_addr.h>
#include <lwip/ip6_addr.h>
#include <lwip/netif.h>
#include <lwip/tcpip.h>
#include <lwip/timeouts.h>

#include <uk/config.h>
#include <uk/net.h>
#include <uk/thread.h>
#include <uk/time.h>

#include "kernel.h"
#include "netapi.h"
#include "netglue.h"

struct netif uk_netif;
static bool started, use_dhcp;
static char hostname[64];
static struct uk_sem address_sem; /* posted when an IPv4 address is set */

/* Prints the IPv4 configuration each time it changes. */
static void report_ipv4(struct netif *n)
{
	static ip4_addr_t last;
	if (ip4_addr_isany_val(*netif_ip4_addr(n)) || ip4_addr_cmp(&last, netif_ip4_addr(n)))
		return;
	ip4_addr_copy(last, *netif_ip4_addr(n));
	char ip[16], mask[16], gw[16];
	ip4addr_ntoa_r(netif_ip4_addr(n), ip, sizeof(ip));
	ip4addr_ntoa_r(netif_ip4_netmask(n), mask, sizeof(mask));
	ip4addr_ntoa_r(netif_ip4_gw(n), gw, sizeof(gw));
	kprintf("net: %s %s netmask %s gateway %s (%s.local)\n", use_dhcp ? "dhcp lease" : "static",
		ip, mask, gw, hostname);
}

/* An address as text, IPv6 in lower case as RFC 5952 asks (lwIP writes upper case). */
static void address_text(const ip_addr_t *a, char *buf, size_t len)
{
	ipaddr_ntoa_r(a, buf, (int)len);
	for (char *c = buf; *c; c++)
		if (*c >= 'A' && *c <= 'F')
			*c = (char)(*c - 'A' + 'a');
}

/* Prints each IPv6 address once it is usable: the link-local one after duplicate address
 * detection, and those autoconfigured from a router's advertisement (RFC 4862). */
static void report_ipv6(struct netif *n)
{
	static ip6_addr_t reported[LWIP_IPV6_NUM_ADDRESSES];
	for (int i = 0; i < LWIP_IPV6_NUM_ADDRESSES; i++) {
		const ip6_addr_t *a = netif_ip6_addr(n, i);
		if (!ip6_addr_isvalid(netif_ip6_addr_state(n, i))) {
			ip6_addr_set_zero(&reported[i]);
			continue;
		}
		if (ip6_addr_cmp_zoneless(&reported[i], a))
			continue;
		ip6_addr_copy(reported[i], *a);
		char text[IPADDR_STRLEN_MAX];
		address_text(netif_ip_addr6(n, i), text, sizeof(text));
		kprintf("net: ipv6 %s%s\n", text, ip6_addr_islinklocal(a) ? " (link-local)" : "");
	}
}

/* lwIP core context. */
static void status_changed(struct netif *n)
{
	report_ipv4(n);
	report_ipv6(n);
	if (!ip4_addr_isany_val(*netif_ip4_addr(n))) {
		net_sntp_start();
		uk_sem_post(&address_sem);
	}
}

static void tcpip_ready(void *arg)
{
	uk_sem_post(arg);
}

/* net.ip=A.B.C.D/PREFIX, the prefix written in 1 or 2 digits: returns false when malformed.
 * The same rule as uk build's (cli/manifest/netconf.c), so a card uk accepted is read the same
 * here. */
static bool parse_cidr(const char *s, ip4_addr_t *ip, ip4_addr_t *mask)
{
	char buf[32];
	const char *slash = strchr(s, '/');
	if (!slash || (size_t)(slash - s) >= sizeof(buf))
		return false;
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = '\0';
	if (!ip4addr_aton(buf, ip))
		return false;
	const char *p = slash + 1;
	long prefix = 0;
	for (int i = 0; p[i]; i++) {
		if (i == 2 || p[i] < '0' || p[i] > '9')
			return false;
		prefix = prefix * 10 + (p[i] - '0');
	}
	if (!*p || prefix > 32)
		return false;
	ip4_addr_set_u32(mask, prefix ? lwip_htonl(0xffffffffu << (32 - prefix)) : 0);
	return true;
}

/* Under the core lock: attach the device and configure the interface. */
static int configure(void)
{
	int r = net_attach(&uk_netif);
	if (r != 0)
		return r;
	netif_set_default(&uk_netif);
	const char *h = uk_config_get("net.hostname");
	snprintf(hostname, sizeof(hostname), "%s", h && *h ? h : "uk");
	netif_set_hostname(&uk_netif, hostname);
	netif_set_status_callback(&uk_netif, status_changed);

	const char *ip = uk_config_get("net.ip");
	use_dhcp = !ip || !strcmp(ip, "dhcp");
	if (!use_dhcp) {
		ip4_addr_t addr, mask, gw;
		ip4_addr_set_zero(&gw);
		const char *g = uk_config_get("net.gateway");
		if (!parse_cidr(ip, &addr, &mask) || (g && !ip4addr_aton(g, &gw))) {
			kprintf("net: bad net.ip=%s or net.gateway (want net.ip=A.B.C.D/PREFIX "
				"net.gateway=A.B.C.D); using DHCP\n",
				ip);
			use_dhcp = true;
		} else {
			netif_set_addr(&uk_netif, &addr, &mask, &gw);
		}
	}
	const char *d = uk_config_get("net.dns");
	if (d) {
		ip_addr_t dns;
		if (ipaddr_aton(d, &dns))
			dns_setserver(0, &dns);
		else
			kprintf("net: bad net.dns=%s, ignored\n", d);
	}
	netif_create_ip6_linklocal_address(&uk_netif, 1);
	uk_netif.ip6_autoconfig_enabled = 1;
	netif_set_up(&uk_netif);
	net_link_sync(&uk_netif);
	net_sntp_configure(use_dhcp);
	if (use_dhcp)
		dhcp_start(&uk_netif);
	mdns_resp_init();
	mdns_resp_add_netif(&uk_netif, hostname, 120);
	started = true;
	return 0;
}

/* Thread context. */
int uk_net_start(void)
{
	if (started)
		return 0;
	struct uk_sem ready;
	uk_sem_init(&ready, 0);
	uk_sem_init(&address_sem, 0);
	tcpip_init(tcpip_ready, &ready); /* starts lwIP's tcpip thread */
	uk_sem_wait(&ready, 0);

	LOCK_TCPIP_CORE();
	int r = configure();
	UNLOCK_TCPIP_CORE();
	return r;
}

/* Thread context: blocks this thread until an IPv4 address is set (DHCP or static). */
int uk_net_wait_up(uint64_t timeout_ns)
{
	if (!started)
		return -ENETDOWN;
	uint64_t deadline = uk_now_ns() + timeout_ns;
	for (;;) {
		LOCK_TCPIP_CORE();
		bool up = !ip4_addr_isany_val(*netif_ip4_addr(&uk_netif));
		UNLOCK_TCPIP_CORE();
		if (up)
			return 0;
		uint64_t now = uk_now_ns();
		if (now >= deadline || uk_sem_wait(&address_sem, deadline - now) != 0)
			return -ETIMEDOUT;
	}
}

void uk_net_get_info(struct uk_net_info *info)
{
	memset(info, 0, sizeof(*info));
	if (!started)
		return;
	LOCK_TCPIP_CORE();
	ip4addr_ntoa_r(netif_ip4_addr(&uk_netif), info->ipv4, sizeof(info->ipv4));
	ip4addr_ntoa_r(netif_ip4_netmask(&uk_netif), info->netmask, sizeof(info->netmask));
	ip4addr_ntoa_r(netif_ip4_gw(&uk_netif), info->gateway, sizeof(info->gateway));
	const ip_addr_t *dns = dns_getserver(0);
	address_text(dns, info->dns, sizeof(info->dns));
	/* slot 0 is the link-local address; a usable global one is preferred */
	int v6 = 0;
	for (int i = 1; i < LWIP_IPV6_NUM_ADDRESSES && !v6; i++)
		if (ip6_addr_ispreferred(netif_ip6_addr_state(&uk_netif, i)))
			v6 = i;
	address_text(netif_ip_addr6(&uk_netif, v6), info->ipv6, sizeof(info->ipv6));
	const uint8_t *m = uk_netif.hwaddr;
	snprintf(info->mac, sizeof(info->mac), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2],
		 m[3], m[4], m[5]);
	snprintf(info->hostname, sizeof(info->hostname), "%s", hostname);
	info->dhcp = use_dhcp;
	info->up = !ip4_addr_isany_val(*netif_ip4_addr(&uk_netif));
	UNLOCK_TCPIP_CORE();
}

void uk_net_get_stats(struct uk_net_stats *s)
{
	memset(s, 0, sizeof(*s));
	s->tcp_refused = uk_tcp_refused;
	s->tcp_unacceptable = uk_tcp_unacceptable;
	const struct netdev_stats *d = net_device_stats();
	if (!d)
		return;
	s->rx_frames = d->rx_frames;
	s->tx_frames = d->tx_frames;
	s->rx_dropped = d->rx_dropped;
	s->tx_dropped = d->tx_dropped;
}

const char *uk_endpoint_str(const struct uk_endpoint *ep, char *buf, size_t len)
{
	ip_addr_t a;
	endpoint_to_ip(ep, &a);
	char ip[IPADDR_STRLEN_MAX];
	address_text(&a, ip, sizeof(ip));
	snprintf(buf, len, ep->family == 6 ? "[%s]:%u" : "%s:%u", ip, ep->port);
	return buf;
}

void uk_net_lock(void)
{
	LOCK_TCPIP_CORE();
}

void uk_net_unlock(void)
{
	UNLOCK_TCPIP_CORE();
}
