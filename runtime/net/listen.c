/*
 * Overload at a listening socket: a connection the stack cannot take is refused with a reset at
 * once, never left to wait.
 *
 * lwIP drops a SYN without a word when the listener's backlog is full or no pcb is left, so
 * the client retransmits it after 1, 3, 7, 15... seconds and a load generator's connection
 * seems to hang; and when every netconn is taken it completes the handshake first and then
 * aborts the connection (accept_function's netconn_alloc fails), so the client has already
 * sent its request when the reset comes. Both happen under a burst of connections wider than
 * the stack (ab -c 200 against MEMP_NUM_NETCONN sockets). LWIP_HOOK_TCP_INPACKET_PCB sees the
 * SYN before the listener does; when it would be dropped or aborted, this answers it with a
 * RST (the client's connect fails with ECONNREFUSED, as from a host with nothing listening)
 * and drops it. Runs on the network thread under the core lock, as all of tcp_input.
 */
#include <stdbool.h>
#include <stdint.h>

#include <lwip/ip.h>
#include <lwip/memp.h>
#include <lwip/priv/tcp_priv.h>
#include <lwip/stats.h>
#include <lwip/tcp.h>

#include "lwip_hooks.h"

uint64_t uk_tcp_refused; /* net/netglue.h; uk_net_get_stats reports it */

/* Whether a new connection to this listener would find no room: its backlog counts the
 * handshakes in progress and the connections not yet accepted, and each handshake takes a
 * netconn when it completes, on top of those in use (sockets, and the connections not yet
 * accepted, which the backlog counts as well). The walk over the pcbs happens only when the
 * cheap bound says netconns may run short. */
static bool listener_full(const struct tcp_pcb_listen *l)
{
	if (l->accepts_pending >= l->backlog)
		return true;
	unsigned used = lwip_stats.memp[MEMP_NETCONN]->used;
	if (used + l->accepts_pending < MEMP_NUM_NETCONN)
		return false;
	unsigned handshakes = 0;
	for (const struct tcp_pcb *p = tcp_active_pcbs; p; p = p->next)
		if (p->state == SYN_RCVD)
			handshakes++;
	return used + handshakes >= MEMP_NUM_NETCONN;
}

/* No pcb for the SYN: lwIP's tcp_alloc would first reclaim one in TIME_WAIT, LAST_ACK or
 * CLOSING, so only a pool full of live connections counts. */
static bool pcbs_full(void)
{
	const struct stats_mem *pc = lwip_stats.memp[MEMP_TCP_PCB];
	if (pc->used < MEMP_NUM_TCP_PCB)
		return false;
	if (tcp_tw_pcbs)
		return false;
	for (const struct tcp_pcb *p = tcp_active_pcbs; p; p = p->next)
		if (p->state == LAST_ACK || p->state == CLOSING)
			return false;
	return true;
}

err_t uk_tcp_inpacket(struct tcp_pcb *pcb, struct tcp_hdr *hdr, u16_t optlen, u16_t opt1len,
		      u8_t *opt2, struct pbuf *p)
{
	LWIP_UNUSED_ARG(optlen);
	LWIP_UNUSED_ARG(opt1len);
	LWIP_UNUSED_ARG(opt2);
	/* Only a connection request to a listener; everything else goes on as lwIP decides. */
	if (pcb->state != LISTEN || (TCPH_FLAGS(hdr) & (TCP_SYN | TCP_ACK | TCP_RST)) != TCP_SYN)
		return ERR_OK;
	if (!listener_full((const struct tcp_pcb_listen *)pcb) && !pcbs_full())
		return ERR_OK;
	/* tcp_input has turned the header's fields to host order and taken the header off p: the
	 * SYN occupies one sequence number, its data (if any) the rest. */
	tcp_rst(NULL, 0, hdr->seqno + p->tot_len + 1, ip_current_dest_addr(), ip_current_src_addr(),
		hdr->dest, hdr->src);
	uk_tcp_refused++;
	return ERR_ABRT;
}
