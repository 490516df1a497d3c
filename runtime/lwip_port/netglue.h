/* Between the lwIP port (lwip_port/) and uk's network API built on it (net/). */
#ifndef UK_NETGLUE_H
#define UK_NETGLUE_H

#include <stdbool.h>
#include <stdint.h>

#include <lwip/netif.h>

#include "netdev.h"

int net_attach(struct netif *netif);	 /* probes the board's device; -ENODEV without one */
void net_link_sync(struct netif *netif); /* link up or down as the device says */
const struct netdev_stats *net_device_stats(void);
extern uint64_t uk_tcp_refused;	     /* connection requests refused with a reset (listen.c) */
extern uint64_t uk_tcp_unacceptable; /* segments 2^31 from the window, dropped (listen.c) */
void net_sntp_configure(bool dhcp);  /* sntp.c: before DHCP starts */
void net_sntp_start(void);	     /* sntp.c: once the interface has an IPv4 address */

#endif
