/*
 * lwIP's LWIP_HOOK_TCP_INPACKET_PCB: every TCP segment for a pcb passes here before lwIP
 * processes it. Runs on the network thread under the core lock, as all of tcp_input; tcp_input
 * has turned the header's fields to host order and taken the header off p.
 *
 * Overload at a listening socket: a connection the stack cannot take is refused with a reset at
 * once, never left to wait.
 *
 * lwIP drops a SYN without a word when the listener's backlog is full or no pcb is left, so
 * the client retransmits it after 1, 3, 7, 15... seconds and a load generator's connection
 * seems to hang; and when every netconn is taken it completes the handshake first and then
 * aborts the connection (accept_function's netconn_alloc fails), so the client has already
 * sent its request when the reset comes. Both happen under a burst of connections wider than
 * the stack (ab -c 200 against MEMP_NUM_NETCONN sockets). The hook sees the SYN before the
 * listener does; when it would be dropped or aborted, this answers it with a RST (the client's
 * connect fails with ECONNREFUSED, as from a host with nothing listening) and drops it.
 *
 * Sequence numbers half the sequence space away: dropped here, because lwIP 2.1.3 would stop
 * on an assertion (below, unacceptable_seqno).
 */
#include <stdbool.h>
#include <stdint.h>

#include <lwip/ip.h>
#include <lwip/memp.h>
#include <lwip/priv/tcp_priv.h>
#include <lwip/stats.h>
#include <lwip/tcp.h>

#include "lwip_hooks.h"

uint64_t uk_tcp_refused;      /* lwip_port/netglue.h; uk_net_get_stats reports it */
uint64_t uk_tcp_unacceptable; /* likewise */

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

/* A segment whose sequence number is about 2^31 from the next one expected, for a synchronized
 * connection.
 *
 * lwIP 2.1.3's tcp_receive (tcp_in.c:1405) trims the part of a segment's data that was already
 * received when TCP_SEQ_BETWEEN(rcv_nxt, seqno + 1, seqno + tcplen - 1), which is
 * TCP_SEQ_GEQ(rcv_nxt, seqno + 1) && TCP_SEQ_LEQ(rcv_nxt, seqno + tcplen - 1): signed
 * differences, modulo 2^32. With d = rcv_nxt - seqno and tcplen the segment's length in
 * sequence numbers (data, plus one for SYN or FIN), that is (s32)(d - 1) >= 0 and
 * (s32)(d - (tcplen - 1)) <= 0. For tcplen >= 2 it means 1 <= d <= tcplen - 1, and the
 * offset d it trims is below 0xffff. For tcplen == 1 the range [seqno + 1, seqno] is empty,
 * but the signed test still holds for exactly one d: 2^31, where (s32)(d - 1) = 2^31 - 1 and
 * (s32)d = -2^31. lwIP then asserts "insane offset!" (off32 < 0xffff, tcp_in.c:1430), and the
 * runtime panics on a failed lwIP assertion. (tcplen == 0 never gets there: the block runs only
 * for tcplen > 0.) rcv_wnd plays no part; the window is checked after the trim. It is reached
 * in ESTABLISHED, FIN_WAIT_1 and FIN_WAIT_2 (tcp_process calls tcp_receive, and the data block
 * runs below CLOSE_WAIT), and in SYN_RCVD by the ACK completing the handshake: by a segment
 * without RST (and without SYN, but for a SYN|ACK in SYN_RCVD) carrying one byte of data, or
 * none and a FIN. Any client can send it on its own connection (it knows rcv_nxt), or anyone
 * who can guess a connection's addresses, ports and rcv_nxt.
 *
 * RFC 793 (sections 3.3 and 3.9) and RFC 9293 (3.4 and 3.10.7.4, "SEGMENT ARRIVES", first
 * check the sequence number) accept a segment only if it begins or ends inside the receive window
 * [RCV.NXT, RCV.NXT + RCV.WND); one that does not is not acceptable: it is dropped, answered
 * with at most an ACK (none for a RST), and nothing else in it (its ACK field included) is
 * processed. Every segment starting from 2^31 - 64 KiB to 2^31 + 64 KiB past rcv_nxt is such
 * a segment whatever the window: the window ends at most TCP_WND (at most 2^30, RFC 7323's
 * limit, checked below) past rcv_nxt, and the segment's last sequence number is at most
 * 2^31 + 128 KiB past it, short of wrapping round to it. So this drops that whole band, the
 * one offset lwIP cannot take and its surroundings, and answers as lwIP itself answers such
 * a segment (tcp_ack_now, for a duplicate or one beyond the window; nothing for a RST).
 * A correct peer's segments are within a window of rcv_nxt (retransmissions behind it, new
 * data ahead), nowhere near. */
#define FAR_BAND 0x10000u /* either side of 2^31; a segment's tcplen is at most 0xffff */
_Static_assert(TCP_WND <= 0x40000000u, "the band is outside any window of at most 2^30");

static bool unacceptable_seqno(const struct tcp_pcb *pcb, const struct tcp_hdr *hdr)
{
	/* Synchronized states only: rcv_nxt is not set before (and a listener's pcb is a
	 * struct tcp_pcb_listen, without it). */
	if (pcb->state == CLOSED || pcb->state == LISTEN || pcb->state == SYN_SENT)
		return false;
	u32_t past = hdr->seqno - pcb->rcv_nxt;
	return past - (0x80000000u - FAR_BAND) <= 2 * FAR_BAND;
}

err_t uk_tcp_inpacket(struct tcp_pcb *pcb, struct tcp_hdr *hdr, u16_t optlen, u16_t opt1len,
		      u8_t *opt2, struct pbuf *p)
{
	LWIP_UNUSED_ARG(optlen);
	LWIP_UNUSED_ARG(opt1len);
	LWIP_UNUSED_ARG(opt2);
	if (unacceptable_seqno(pcb, hdr)) {
		if (!(TCPH_FLAGS(hdr) & TCP_RST))
			tcp_send_empty_ack(pcb);
		TCP_STATS_INC(tcp.drop);
		uk_tcp_unacceptable++;
		return ERR_ABRT; /* tcp_input frees p and leaves the pcb as it was */
	}
	/* Only a connection request to a listener; everything else goes on as lwIP decides. */
	if (pcb->state != LISTEN || (TCPH_FLAGS(hdr) & (TCP_SYN | TCP_ACK | TCP_RST)) != TCP_SYN)
		return ERR_OK;
	if (!listener_full((const struct tcp_pcb_listen *)pcb) && !pcbs_full())
		return ERR_OK;
	/* The SYN occupies one sequence number, its data (if any) the rest. */
	tcp_rst(NULL, 0, hdr->seqno + p->tot_len + 1, ip_current_dest_addr(), ip_current_src_addr(),
		hdr->dest, hdr->src);
	uk_tcp_refused++;
	return ERR_ABRT;
}
