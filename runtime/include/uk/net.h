/*
 * uk/net.h: the network, event driven (IncludeOS style): callbacks for datagrams, connections,
 * data and timers, all run from uk_loop_run() in the app's own context, never in an interrupt.
 *
 *     #include <stdio.h>
 *     #include <uk/net.h>
 *
 *     static void echo(struct uk_udp *u, const void *data, size_t len,
 *                      const struct uk_endpoint *from, void *arg)
 *     {
 *             uk_udp_sendto(u, data, len, from);            // send it straight back
 *     }
 *
 *     int main(void)
 *     {
 *             if (uk_net_start() != 0 || uk_net_wait_up(10000000000ull) != 0)
 *                     return 1;                              // no NIC, or no address in 10 s
 *             struct uk_net_info info;
 *             uk_net_get_info(&info);
 *             printf("listening on %s:7\n", info.ipv4);
 *             uk_udp_bind(7, echo, NULL);
 *             uk_loop_run();                                 // WFI between events
 *             return 0;
 *     }
 *
 * Configuration comes from the boot arguments (the manifest's net: section becomes these):
 *   net.ip=dhcp (default) or net.ip=192.168.1.20/24, net.gateway=192.168.1.1, net.dns=192.168.1.1,
 *   net.hostname=NAME (default "uk"; answered over mDNS as NAME.local).
 * Functions return 0 or a negative errno value.
 */
#ifndef UK_NET_H
#define UK_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct uk_endpoint {
	uint8_t family;	  /* 4 or 6 */
	uint8_t addr[16]; /* IPv4 uses the first 4 bytes, network order */
	uint16_t port;
};

struct uk_net_info {
	char ipv4[16], netmask[16], gateway[16], dns[46];
	char ipv6[46]; /* an autoconfigured global address, else the link-local one */
	char mac[18];
	char hostname[64];
	bool dhcp, up;
};

/* ---- bring-up ---- */
int uk_net_start(void);			 /* -ENODEV when the board has no NIC uk drives */
int uk_net_wait_up(uint64_t timeout_ns); /* runs the loop until an IPv4 address is set */
void uk_net_get_info(struct uk_net_info *info);
/* Formats an endpoint as "a.b.c.d:port" or "[v6]:port". */
const char *uk_endpoint_str(const struct uk_endpoint *ep, char *buf, size_t len);

/* ---- the loop ---- */
void uk_loop_run(void); /* runs callbacks until uk_loop_stop() */
void uk_loop_stop(void);
void uk_loop_once(uint64_t timeout_ns); /* one pass; sleeps (WFI) up to timeout if idle */
/* Calls fn(arg) once, from the loop, after ms milliseconds. */
int uk_loop_after(uint32_t ms, void (*fn)(void *arg), void *arg);

/* ---- UDP ---- */
struct uk_udp;
typedef void (*uk_udp_fn)(struct uk_udp *u, const void *data, size_t len,
			  const struct uk_endpoint *from, void *arg);
struct uk_udp *uk_udp_bind(uint16_t port, uk_udp_fn on_datagram, void *arg); /* NULL + errno */
int uk_udp_sendto(struct uk_udp *u, const void *data, size_t len, const struct uk_endpoint *to);
void uk_udp_close(struct uk_udp *u);

/* ---- TCP ---- */
struct uk_tcp;
struct uk_tcp_server;
struct uk_tcp_callbacks {
	void (*on_data)(struct uk_tcp *c, const void *data, size_t len, void *arg);
	void (*on_sent)(struct uk_tcp *c, size_t len, void *arg); /* may send more now */
	void (*on_close)(struct uk_tcp *c, void *arg); /* peer closed or error; c is gone after */
};
typedef void (*uk_tcp_accept_fn)(struct uk_tcp *c, void *arg);
struct uk_tcp_server *uk_tcp_listen(uint16_t port, uk_tcp_accept_fn on_accept, void *arg);
void uk_tcp_set_callbacks(struct uk_tcp *c, const struct uk_tcp_callbacks *cb, void *arg);
/* Queues up to len bytes (copied); returns how many were queued (less when the send buffer is
 * full: wait for on_sent) or a negative errno. */
ssize_t uk_tcp_send(struct uk_tcp *c, const void *data, size_t len);
size_t uk_tcp_send_space(struct uk_tcp *c);
void uk_tcp_remote(struct uk_tcp *c, struct uk_endpoint *ep);
void uk_tcp_close(struct uk_tcp *c); /* after queued data is sent; on_close is not called */

/* ---- using lwIP directly ----
 * Apps may call lwIP's own APIs (<lwip/...>, e.g. lwiperf or the MQTT client) from any thread
 * while holding the stack's lock; callbacks lwIP makes already hold it. Recursive. */
void uk_net_lock(void);
void uk_net_unlock(void);

/* ---- statistics ---- */
struct uk_net_stats {
	uint64_t rx_frames, tx_frames, rx_dropped, tx_dropped;
	/* TCP connection requests refused with a reset because the listener had no room (its
	 * backlog, or the stack's sockets or connections, full): the client's connect fails at
	 * once with ECONNREFUSED instead of waiting on SYN retransmissions */
	uint64_t tcp_refused;
	/* TCP segments dropped (answered with an ACK) because their sequence number was about 2^31
	 * from the receive window: never acceptable (RFC 9293), and lwIP 2.1.3 would stop on an
	 * assertion at one of them (lwip_port/listen.c) */
	uint64_t tcp_unacceptable;
};
void uk_net_get_stats(struct uk_net_stats *s);

#endif
