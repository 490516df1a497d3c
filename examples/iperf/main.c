/* iperf: an iperf 2 TCP server (port 5001) from lwIP's lwiperf app, for measuring throughput
 * with the ordinary iperf 2 client:
 *     iperf -c ADDRESS            (through `uk run --qemu`: iperf -c 127.0.0.1 -p 5001)
 * The server is lwIP's own: the app starts it under the stack's lock (uk_net_lock) and lwIP
 * calls report() when a test ends. The main thread only brings the network up and waits.
 */
#include <ctype.h>
#include <stdio.h>

#include <lwip/apps/lwiperf.h>
#include <lwip/ip_addr.h>

#include <uk/net.h>

static const char *outcome(enum lwiperf_report_type t)
{
	switch (t) {
	case LWIPERF_TCP_DONE_SERVER:
		return "done (server)";
	case LWIPERF_TCP_DONE_CLIENT:
		return "done (client)";
	case LWIPERF_TCP_ABORTED_LOCAL:
		return "aborted here";
	case LWIPERF_TCP_ABORTED_LOCAL_DATAERROR:
		return "aborted here (bad data)";
	case LWIPERF_TCP_ABORTED_LOCAL_TXERROR:
		return "aborted here (send error)";
	case LWIPERF_TCP_ABORTED_REMOTE:
		return "aborted by the client";
	}
	return "ended";
}

/* lwIP calls this from its own threads, holding the stack's lock, once per finished test. */
static void report(void *arg, enum lwiperf_report_type type, const ip_addr_t *local_addr,
		   u16_t local_port, const ip_addr_t *remote_addr, u16_t remote_port, u32_t bytes,
		   u32_t ms, u32_t kbit_per_s)
{
	(void)arg;
	(void)local_addr;
	(void)local_port;
	char remote[IPADDR_STRLEN_MAX];
	ipaddr_ntoa_r(remote_addr, remote, sizeof(remote));
	for (char *c = remote; *c; c++) /* IPv6 in lower case (RFC 5952) */
		*c = (char)tolower((unsigned char)*c);
	bool v6 = IP_IS_V6(remote_addr);
	printf("iperf: %s: %s%s%s:%u, %lu bytes in %lu ms, %lu kbit/s\n", outcome(type),
	       v6 ? "[" : "", remote, v6 ? "]" : "", remote_port, (unsigned long)bytes,
	       (unsigned long)ms, (unsigned long)kbit_per_s);
}

int main(void)
{
	int r = uk_net_start();
	if (r != 0) {
		printf("iperf: no network device (%d)\n", r);
		return 1;
	}
	if (uk_net_wait_up(20000000000ull) != 0) {
		printf("iperf: no address after 20 s\n");
		return 1;
	}
	struct uk_net_info info;
	uk_net_get_info(&info);
	uk_net_lock();
	/* lwiperf's _default binds IPv4 only; any address of either family takes iperf -V too */
	void *server =
	    lwiperf_start_tcp_server(IP_ANY_TYPE, LWIPERF_TCP_PORT_DEFAULT, report, NULL);
	uk_net_unlock();
	if (!server) {
		printf("iperf: cannot start the lwiperf server\n");
		return 1;
	}
	printf("iperf: lwiperf server on %s port 5001 (and on IPv6)\n", info.ipv4);
	uk_loop_run(); /* lwIP's threads do the rest */
	return 0;
}
