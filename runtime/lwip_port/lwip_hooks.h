/* lwIP's hooks (LWIP_HOOK_FILENAME, included by lwIP's own sources only): TCP initial sequence
 * numbers from lwip_port/random.c; in lwip_port/listen.c, connection requests a full listener
 * cannot take are refused with a reset, and segments 2^31 from a connection's receive window
 * (lwIP 2.1.3 asserts on one of them) are dropped before lwIP sees them. */
#ifndef UK_LWIP_HOOKS_H
#define UK_LWIP_HOOKS_H

#include "lwip/err.h"
#include "lwip/ip_addr.h"

u32_t uk_tcp_isn(const ip_addr_t *local_ip, u16_t local_port, const ip_addr_t *remote_ip,
		 u16_t remote_port);
#define LWIP_HOOK_TCP_ISN uk_tcp_isn

struct tcp_pcb;
struct tcp_hdr;
struct pbuf;
err_t uk_tcp_inpacket(struct tcp_pcb *pcb, struct tcp_hdr *hdr, u16_t optlen, u16_t opt1len,
		      u8_t *opt2, struct pbuf *p);
#define LWIP_HOOK_TCP_INPACKET_PCB uk_tcp_inpacket

#endif
