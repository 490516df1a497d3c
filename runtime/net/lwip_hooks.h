/* lwIP's hooks (LWIP_HOOK_FILENAME, included by lwIP's own sources only): TCP initial sequence
 * numbers from net/random.c. */
#ifndef UK_LWIP_HOOKS_H
#define UK_LWIP_HOOKS_H

#include "lwip/ip_addr.h"

u32_t uk_tcp_isn(const ip_addr_t *local_ip, u16_t local_port, const ip_addr_t *remote_ip,
		 u16_t remote_port);
#define LWIP_HOOK_TCP_ISN uk_tcp_isn

#endif
