/* UDP for the event API over lwIP's raw API: one callback per datagram, from the loop. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <lwip/pbuf.h>
#include <lwip/tcpip.h>
#include <lwip/udp.h>

#include "netapi.h"

struct uk_udp {
	struct udp_pcb *pcb;
	uk_udp_fn fn;
	void *arg;
};

void endpoint_from_ip(struct uk_endpoint *ep, const ip_addr_t *a, u16_t port)
{
	memset(ep, 0, sizeof(*ep));
	ep->port = port;
	if (IP_IS_V6(a)) {
		ep->family = 6;
		memcpy(ep->addr, ip_2_ip6(a)->addr, 16);
	} else {
		ep->family = 4;
		memcpy(ep->addr, &ip_2_ip4(a)->addr, 4);
	}
}

void endpoint_to_ip(const struct uk_endpoint *ep, ip_addr_t *a)
{
	if (ep->family == 6) {
		IP_SET_TYPE(a, IPADDR_TYPE_V6);
		memcpy(ip_2_ip6(a)->addr, ep->addr, 16);
		ip6_addr_clear_zone(ip_2_ip6(a));
	} else {
		IP_SET_TYPE(a, IPADDR_TYPE_V4);
		memcpy(&ip_2_ip4(a)->addr, ep->addr, 4);
	}
}

static void on_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr,
		    u16_t port)
{
	(void)pcb;
	struct uk_udp *u = arg;
	struct uk_endpoint from;
	endpoint_from_ip(&from, addr, port);
	if (p->next == NULL) {
		u->fn(u, p->payload, p->len, &from, u->arg);
	} else { /* chained (a reassembled fragment): hand over one contiguous copy */
		void *copy = malloc(p->tot_len);
		if (copy) {
			pbuf_copy_partial(p, copy, p->tot_len, 0);
			u->fn(u, copy, p->tot_len, &from, u->arg);
			free(copy);
		}
	}
	pbuf_free(p);
}

struct uk_udp *uk_udp_bind(uint16_t port, uk_udp_fn fn, void *arg)
{
	struct uk_udp *u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	LOCK_TCPIP_CORE();
	u->pcb = udp_new_ip_type(IPADDR_TYPE_ANY);
	if (u->pcb && udp_bind(u->pcb, IP_ANY_TYPE, port) != ERR_OK) {
		udp_remove(u->pcb);
		UNLOCK_TCPIP_CORE();
		free(u);
		errno = EADDRINUSE;
		return NULL;
	}
	if (u->pcb) {
		u->fn = fn;
		u->arg = arg;
		udp_recv(u->pcb, on_recv, u);
	}
	UNLOCK_TCPIP_CORE();
	if (!u->pcb) {
		free(u);
		errno = ENOMEM;
		return NULL;
	}
	return u;
}

int uk_udp_sendto(struct uk_udp *u, const void *data, size_t len, const struct uk_endpoint *to)
{
	if (len > 65507)
		return -EMSGSIZE;
	struct pbuf *p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)len, PBUF_RAM);
	if (!p)
		return -ENOMEM;
	memcpy(p->payload, data, len);
	ip_addr_t a;
	endpoint_to_ip(to, &a);
	LOCK_TCPIP_CORE();
	err_t e = udp_sendto(u->pcb, p, &a, to->port);
	pbuf_free(p);
	UNLOCK_TCPIP_CORE();
	return e == ERR_OK ? 0 : e == ERR_MEM ? -ENOBUFS : e == ERR_RTE ? -EHOSTUNREACH : -EIO;
}

void uk_udp_close(struct uk_udp *u)
{
	LOCK_TCPIP_CORE();
	udp_remove(u->pcb);
	UNLOCK_TCPIP_CORE();
	free(u);
}
