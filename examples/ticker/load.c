/* ticker.iperf: the network load on core 0 (see main.c). lwIP's lwiperf server, as in
 * examples/iperf; lwIP's threads serve it while main waits for the ticks. */
#include <stdio.h>

#include <lwip/apps/lwiperf.h>
#include <lwip/ip_addr.h>

#include <uk/net.h>
#include <uk/time.h>

#include "load.h"

#define TRAFFIC_FRAMES 2000 /* received since the server started: a client is sending */

uint64_t load_frames(void)
{
	struct uk_net_stats s;
	uk_net_get_stats(&s);
	return s.rx_frames;
}

int load_iperf_start(void)
{
	int r = uk_net_start();
	if (r != 0 || uk_net_wait_up(20000000000ull) != 0) {
		printf("ticker: no network (%d)\n", r);
		return -1;
	}
	uk_net_lock();
	void *server = lwiperf_start_tcp_server_default(NULL, NULL);
	uk_net_unlock();
	if (!server) {
		printf("ticker: cannot start the lwiperf server\n");
		return -1;
	}
	uint64_t base = load_frames(), until = uk_now_ns() + 60000000000ull;
	printf("ticker: iperf server on port 5001, waiting for traffic\n");
	while (load_frames() - base < TRAFFIC_FRAMES) {
		if (uk_now_ns() > until) {
			printf("ticker: no iperf traffic within a minute\n");
			return -1;
		}
		uk_sleep_until(uk_now_ns() + 10000000);
	}
	printf("ticker: iperf traffic arriving\n");
	return 0;
}
