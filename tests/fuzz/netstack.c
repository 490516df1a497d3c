/* The host lwIP of netstack.h, and the few operating-system functions lwIP's core calls with
 * NO_SYS=0 (no thread ever runs: frames reach ethernet_input directly, under no lock). */
#include "netstack.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/apps/mdns.h"
#include "lwip/dhcp.h"
#include "lwip/dns.h"
#include "lwip/etharp.h"
#include "lwip/ethip6.h"
#include "lwip/init.h"
#include "lwip/ip.h"
#include "lwip/ip4_frag.h"
#include "lwip/memp.h"
#include "lwip/nd6.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/stats.h"
#include "lwip/sys.h"
#include "lwip/tcpip.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"
#include "lwip/udp.h"
#include "netif/ethernet.h"

/* ---- the platform: time, randomness, checksums, assertions ---- */
static u32_t now_ms;
static unsigned long rand_state;

u32_t sys_now(void)
{
	return now_ms;
}

unsigned long fuzz_net_random(void)
{
	rand_state ^= rand_state << 13;
	rand_state ^= rand_state >> 7;
	rand_state ^= rand_state << 17;
	return rand_state;
}

u32_t uk_tcp_isn(const ip_addr_t *local_ip, u16_t local_port, const ip_addr_t *remote_ip,
		 u16_t remote_port)
{
	(void)local_ip, (void)remote_ip;
	return 0x12345678u ^ ((u32_t)local_port << 16 | remote_port);
}

/* RFC 1071, in the byte order of the data, not complemented (runtime/lwip_port/chksum.c's contract;
 * that one is AArch64 assembly). */
uint16_t uk_inet_chksum(const void *data, int len)
{
	const uint8_t *p = data;
	uint32_t s = 0;
	int i = 0;
	for (; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] | p[i + 1] << 8);
	if (i < len)
		s += p[i];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

void fuzz_lwip_assert(const char *msg, const char *file, int line)
{
	fprintf(stderr, "lwIP assertion \"%s\" failed at %s:%d\n", msg, file, line);
	abort();
}

/* ---- NO_SYS=0: one thread, nothing ever waits ---- */
void sys_init(void) {}
err_t sys_mutex_new(sys_mutex_t *m)
{
	m->depth = 0, m->valid = 1;
	return ERR_OK;
}
void sys_mutex_lock(sys_mutex_t *m)
{
	m->depth++;
}
void sys_mutex_unlock(sys_mutex_t *m)
{
	m->depth--;
}
void sys_mutex_free(sys_mutex_t *m)
{
	m->valid = 0;
}
int sys_mutex_valid(sys_mutex_t *m)
{
	return m->valid;
}
void sys_mutex_set_invalid(sys_mutex_t *m)
{
	m->valid = 0;
}
err_t sys_sem_new(sys_sem_t *s, u8_t count)
{
	s->count = count, s->valid = 1;
	return ERR_OK;
}
void sys_sem_signal(sys_sem_t *s)
{
	s->count++;
}
u32_t sys_arch_sem_wait(sys_sem_t *s, u32_t timeout)
{
	if (s->count > 0) {
		s->count--;
		return 0;
	}
	(void)timeout;
	abort(); /* would wait forever: nothing else runs */
}
void sys_sem_free(sys_sem_t *s)
{
	s->valid = 0;
}
int sys_sem_valid(sys_sem_t *s)
{
	return s->valid;
}
void sys_sem_set_invalid(sys_sem_t *s)
{
	s->valid = 0;
}
err_t sys_mbox_new(sys_mbox_t *mb, int size)
{
	(void)mb, (void)size;
	return ERR_MEM;
}
void sys_mbox_post(sys_mbox_t *mb, void *msg)
{
	(void)mb, (void)msg;
	abort();
}
err_t sys_mbox_trypost(sys_mbox_t *mb, void *msg)
{
	(void)mb, (void)msg;
	return ERR_MEM;
}
err_t sys_mbox_trypost_fromisr(sys_mbox_t *mb, void *msg)
{
	return sys_mbox_trypost(mb, msg);
}
u32_t sys_arch_mbox_fetch(sys_mbox_t *mb, void **msg, u32_t timeout)
{
	(void)mb, (void)msg, (void)timeout;
	abort();
}
u32_t sys_arch_mbox_tryfetch(sys_mbox_t *mb, void **msg)
{
	(void)mb, (void)msg;
	return SYS_MBOX_EMPTY;
}
void sys_mbox_free(sys_mbox_t *mb)
{
	mb->valid = 0;
}
int sys_mbox_valid(sys_mbox_t *mb)
{
	return mb->valid;
}
void sys_mbox_set_invalid(sys_mbox_t *mb)
{
	mb->valid = 0;
}
sys_thread_t sys_thread_new(const char *name, lwip_thread_fn fn, void *arg, int stacksize, int prio)
{
	(void)name, (void)fn, (void)arg, (void)stacksize, (void)prio;
	abort(); /* only tcpip_init starts threads, and it is not called */
}

/* DHCP hands the NTP servers of a lease (option 42) to SNTP (runtime/lwip_port/sntp.c, lwIP's
 * apps/sntp, not built here): the servers are checked for what SNTP would take them as. */
void dhcp_set_ntp_servers(u8_t num, const ip4_addr_t *servers)
{
	volatile u32_t sink = 0;
	for (u8_t i = 0; i < num; i++)
		sink ^= ip4_addr_get_u32(&servers[i]); /* reads each one: ASan checks the bounds */
	(void)sink;
}

/* The tcpip thread's two services the core asks for: input on the loop interface (with core
 * locking, tcpip_input hands the packet on at once) and callbacks, run after the frame. */
err_t tcpip_input(struct pbuf *p, struct netif *inp)
{
	if (inp->flags & (NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET))
		return ethernet_input(p, inp);
	return ip_input(p, inp);
}

static struct {
	tcpip_callback_fn fn;
	void *ctx;
} callbacks[16];
static unsigned ncallbacks;

err_t tcpip_try_callback(tcpip_callback_fn fn, void *ctx)
{
	if (ncallbacks == sizeof(callbacks) / sizeof(callbacks[0]))
		return ERR_MEM;
	callbacks[ncallbacks].fn = fn;
	callbacks[ncallbacks].ctx = ctx;
	ncallbacks++;
	return ERR_OK;
}

static void run_callbacks(void)
{
	for (unsigned rounds = 0; ncallbacks && rounds < 64; rounds++) {
		unsigned n = ncallbacks;
		ncallbacks = 0;
		for (unsigned i = 0; i < n; i++)
			callbacks[i].fn(callbacks[i].ctx);
	}
}

/* ---- the app: echo servers ---- */
static err_t tcp_echo_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	(void)arg, (void)err;
	if (!p) {
		tcp_close(pcb);
		return ERR_OK;
	}
	for (struct pbuf *q = p; q; q = q->next)
		if (tcp_write(pcb, q->payload, q->len, TCP_WRITE_FLAG_COPY) != ERR_OK)
			break;
	tcp_recved(pcb, p->tot_len);
	pbuf_free(p);
	return ERR_OK;
}

static err_t tcp_echo_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	(void)arg;
	if (err != ERR_OK || !pcb)
		return ERR_VAL;
	tcp_recv(pcb, tcp_echo_recv);
	return ERR_OK;
}

static void udp_echo_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr,
			  u16_t port)
{
	(void)arg;
	udp_sendto(pcb, p, addr, port);
	pbuf_free(p);
}

static void dns_found(const char *name, const ip_addr_t *addr, void *arg)
{
	(void)name, (void)addr, (void)arg;
}

static void tcp_listener(u16_t port)
{
	struct tcp_pcb *pcb = tcp_new_ip_type(IPADDR_TYPE_ANY);
	if (!pcb || tcp_bind(pcb, IP_ANY_TYPE, port) != ERR_OK)
		abort();
	pcb = tcp_listen(pcb);
	tcp_accept(pcb, tcp_echo_accept);
}

void netstack_init(void)
{
	lwip_init();
	mdns_resp_init();
	struct udp_pcb *u = udp_new_ip_type(IPADDR_TYPE_ANY);
	if (!u || udp_bind(u, IP_ANY_TYPE, 7) != ERR_OK)
		abort();
	udp_recv(u, udp_echo_recv, NULL);
	tcp_listener(7);
	tcp_listener(80);
}

/* ---- one input ---- */
static struct netif nif;

static err_t linkoutput(struct netif *n, struct pbuf *p)
{
	(void)n;
	if (p->tot_len > 1514 + 4)
		abort(); /* lwIP sent a frame longer than the MTU allows */
	return ERR_OK;
}

static err_t nif_setup(struct netif *n)
{
	static const u8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
	memcpy(n->hwaddr, mac, 6);
	n->hwaddr_len = 6;
	n->mtu = 1500;
	n->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET |
		   NETIF_FLAG_IGMP | NETIF_FLAG_MLD6;
	n->output = etharp_output;
	n->output_ip6 = ethip6_output;
	n->linkoutput = linkoutput;
	return ERR_OK;
}

static void advance(unsigned ms)
{
	run_callbacks();
	now_ms += ms;
	sys_check_timeouts();
	run_callbacks();
}

void netstack_begin(unsigned mode)
{
	rand_state = 0x2545f4914f6cdd1dul;
	ip4_addr_t ip, mask, gw;
	IP4_ADDR(&ip, 10, 0, 2, 15);
	IP4_ADDR(&mask, 255, 255, 255, 0);
	IP4_ADDR(&gw, 10, 0, 2, 2);
	if (!netif_add(&nif, (mode & 1) ? IP4_ADDR_ANY4 : &ip, &mask, &gw, NULL, nif_setup,
		       ethernet_input))
		abort();
	netif_set_default(&nif);
	netif_set_hostname(&nif, "uk-fuzz");
	netif_create_ip6_linklocal_address(&nif, 1);
	netif_set_ip6_autoconfig_enabled(&nif, 1);
	netif_set_link_up(&nif);
	netif_set_up(&nif);
	mdns_resp_add_netif(&nif, "uk-fuzz", 60);
	if (mode & 1)
		dhcp_start(&nif);
	ip_addr_t dns;
	IP_ADDR4(&dns, 10, 0, 2, 3);
	dns_setserver(0, &dns);
	if (mode & 2) {
		ip_addr_t found;
		dns_gethostbyname("broker.example", &found, dns_found, NULL);
	}
}

void netstack_input(const void *frame, size_t len, unsigned ms)
{
	if (len && len <= NETSTACK_FRAME_MAX) {
		/* as netif.c's drain(): a pool buffer of a whole frame, cut to the length */
		struct pbuf *p = pbuf_alloc(PBUF_RAW, NETSTACK_FRAME_MAX, PBUF_POOL);
		if (p) {
			pbuf_take(p, frame, (u16_t)len);
			pbuf_realloc(p, (u16_t)len);
			if (nif.input(p, &nif) != ERR_OK)
				pbuf_free(p);
		}
	}
	advance(ms);
}

/* The pools netstack_end checks, and what is wrong when one still has something in use: the
 * timers have nothing left to free once all are empty. */
static const struct {
	memp_t type;
	const char *leak;
} checked_pools[] = {
    {MEMP_PBUF_POOL, "a pool pbuf outlived its input"},
    {MEMP_PBUF, "a pbuf outlived its input"},
    {MEMP_TCP_PCB, "a TCP connection outlived its input"},
    {MEMP_TCP_SEG, "a TCP segment outlived its input"},
    {MEMP_REASSDATA, "IPv4 reassembly outlived its input"},
    {MEMP_IP6_REASSDATA, "IPv6 reassembly outlived its input"},
};
#define N_CHECKED (sizeof checked_pools / sizeof checked_pools[0])

static int pool_used(size_t i)
{
	return memp_pools[checked_pools[i].type]->stats->used != 0;
}

static int pools_in_use(void)
{
	for (size_t i = 0; i < N_CHECKED; i++)
		if (pool_used(i))
			return 1;
	return 0;
}

void netstack_end(void)
{
	/* every connection ends (as a reset), the interface goes, and the reassembly timers run
	 * out (IP_REASS_MAXAGE 15 s, IPV6_REASS_MAXAGE 60 s) */
	while (tcp_active_pcbs)
		tcp_abort(tcp_active_pcbs);
	while (tcp_tw_pcbs)
		tcp_abort(tcp_tw_pcbs);
	mdns_resp_remove_netif(&nif);
	dhcp_release_and_stop(&nif);
	dhcp_cleanup(&nif);
	netif_remove(&nif);
	/* A second at a time, as lwIP's timers expect, and no further once nothing is left to
	 * time out: most inputs leave nothing, and 61 rounds of every cyclic timer per input
	 * were most of the harness's time. */
	for (int i = 0; i < 61 && pools_in_use(); i++)
		advance(1000);
	for (size_t i = 0; i < N_CHECKED; i++)
		if (pool_used(i)) /* something kept one after the end */
			fuzz_lwip_assert(checked_pools[i].leak, __FILE__, __LINE__);
}
