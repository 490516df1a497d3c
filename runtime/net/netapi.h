/* Shared by the app interfaces in net/. */
#ifndef UK_NETAPI_H
#define UK_NETAPI_H

#include <lwip/ip_addr.h>
#include <lwip/netif.h>

#include <uk/net.h>

extern struct netif uk_netif;
void endpoint_from_ip(struct uk_endpoint *ep, const ip_addr_t *a, u16_t port);
void endpoint_to_ip(const struct uk_endpoint *ep, ip_addr_t *a);

#endif
