/* Test app: starts the board's network device, which on rpi3 enumerates the USB bus (the stack
 * prints each device, the hub's ports and the CDC Ethernet MAC on the console), and says what
 * it found. Uses the runtime's netdev_probe directly: no uk header covers USB.
 *
 * With the boot argument serve=1 it then serves, for tests that attack the network device
 * (tests/usb.bats, netprobe frames-count): UDP and TCP echo on port 7 (small messages), and on
 * UDP port 9 the counters: a datagram "stats" followed by a tag of up to 16 bytes is answered
 * with one line
 *   stats rx_frames=N rx_dropped=N tx_frames=N tx_dropped=N link_drop=N etharp_drop=N
 *         ip_drop=N ip_chkerr=N ip_lenerr=N udp_drop=N udp_chkerr=N tcp_drop=N tcp_chkerr=N TAG
 * (the device's counters, as uk_net_get_stats and the http-server's /status report them, then
 * lwIP's; the tag says which request it answers), which is also printed on the console. */
#include <stdio.h>
#include <string.h>

#include <lwip/stats.h>
#include <uk/config.h>
#include <uk/net.h>

struct netdev;
struct netdev *netdev_probe(void);

static void udp_echo(struct uk_udp *u, const void *data, size_t len, const struct uk_endpoint *from,
		     void *arg)
{
	(void)arg;
	uk_udp_sendto(u, data, len, from);
}

/* Network callback (the stack's lock held, so lwip_stats is stable). */
static void udp_stats(struct uk_udp *u, const void *data, size_t len,
		      const struct uk_endpoint *from, void *arg)
{
	(void)arg;
	if (len < 5 || len > 5 + 16 || memcmp(data, "stats", 5) != 0)
		return;
	struct uk_net_stats s;
	uk_net_get_stats(&s);
	char line[400];
	int n = snprintf(
	    line, sizeof(line),
	    "stats rx_frames=%llu rx_dropped=%llu tx_frames=%llu tx_dropped=%llu link_drop=%u "
	    "etharp_drop=%u ip_drop=%u ip_chkerr=%u ip_lenerr=%u udp_drop=%u udp_chkerr=%u "
	    "tcp_drop=%u tcp_chkerr=%u%.*s",
	    (unsigned long long)s.rx_frames, (unsigned long long)s.rx_dropped,
	    (unsigned long long)s.tx_frames, (unsigned long long)s.tx_dropped,
	    (unsigned)lwip_stats.link.drop, (unsigned)lwip_stats.etharp.drop,
	    (unsigned)lwip_stats.ip.drop, (unsigned)lwip_stats.ip.chkerr,
	    (unsigned)lwip_stats.ip.lenerr, (unsigned)lwip_stats.udp.drop,
	    (unsigned)lwip_stats.udp.chkerr, (unsigned)lwip_stats.tcp.drop,
	    (unsigned)lwip_stats.tcp.chkerr, (int)(len - 5), (const char *)data + 5);
	printf("usb-test: %s\n", line);
	uk_udp_sendto(u, line, (size_t)n, from);
}

static void tcp_data(struct uk_tcp *c, const void *data, size_t len, void *arg)
{
	(void)arg;
	if (uk_tcp_send(c, data, len) != (ssize_t)len)
		uk_tcp_close(c); /* only small messages are echoed here */
}

static void tcp_accept(struct uk_tcp *c, void *arg)
{
	(void)arg;
	static const struct uk_tcp_callbacks cb = {.on_data = tcp_data};
	uk_tcp_set_callbacks(c, &cb, NULL);
}

static int serve(void)
{
	if (uk_net_start() != 0 || uk_net_wait_up(20000000000ull) != 0) {
		printf("usb-test: no network\n");
		return 1;
	}
	struct uk_net_info info;
	uk_net_get_info(&info);
	if (!uk_udp_bind(7, udp_echo, NULL) || !uk_udp_bind(9, udp_stats, NULL) ||
	    !uk_tcp_listen(7, tcp_accept, NULL)) {
		printf("usb-test: cannot listen\n");
		return 1;
	}
	printf("usb-test: serving echo on %s port 7, counters on port 9\n", info.ipv4);
	uk_loop_run();
	return 0;
}

int main(void)
{
	struct netdev *nd = netdev_probe();
	printf("usb-test: network device %s\n", nd ? "found" : "not found");
	if (nd && uk_config_bool("serve", false))
		return serve();
	return nd ? 0 : 1;
}
