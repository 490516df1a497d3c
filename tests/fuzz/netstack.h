/* lwIP compiled for the host with the runtime's lwipopts.h (netstack.c), as the far end of the
 * receive path the fuzz_netrx harnesses drive: frames go in as runtime/lwip_port/netif.c hands them
 * over (at most 1514 bytes, through the interface's input, ethernet_input). */
#ifndef UK_FUZZ_NETSTACK_H
#define UK_FUZZ_NETSTACK_H

#include <stddef.h>
#include <stdint.h>

#define NETSTACK_FRAME_MAX 1514 /* netif.c's receive buffer */

/* Before the first input: lwIP, mDNS, and the listeners an app would have (UDP and TCP echo
 * on 7, TCP on 80). */
void netstack_init(void);
/* One input: an interface comes up (mode bit 0: DHCP, else 10.0.2.15/24; bit 1: a DNS query
 * waits for its answer), and netstack_end takes it down and checks that every packet buffer,
 * segment and connection of the input was given back. */
void netstack_begin(unsigned mode);
void netstack_end(void);
/* One received frame, as netif.c's receive thread hands it over; time moves on by ms. */
void netstack_input(const void *frame, size_t len, unsigned ms);

#endif
