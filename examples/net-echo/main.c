/* net-echo: UDP and TCP echo on port 7 with the event API (uk/net.h): the lowest-latency way
 * to write a uk server. Prints its DHCP lease (or static address) and serves forever.
 * TCP shows flow control: what the send buffer cannot take yet waits for on_sent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uk/config.h>
#include <uk/net.h>

static void udp_echo(struct uk_udp *u, const void *data, size_t len, const struct uk_endpoint *from,
		     void *arg)
{
	(void)arg;
	uk_udp_sendto(u, data, len, from);
}

struct conn {
	char *pending; /* bytes received but not yet accepted by the send buffer */
	size_t len;
};

static void flush(struct uk_tcp *c, struct conn *s)
{
	ssize_t n = s->len ? uk_tcp_send(c, s->pending, s->len) : 0;
	if (n > 0) {
		memmove(s->pending, s->pending + n, s->len - (size_t)n);
		s->len -= (size_t)n;
	}
}

static void tcp_data(struct uk_tcp *c, const void *data, size_t len, void *arg)
{
	struct conn *s = arg;
	char *grown = realloc(s->pending, s->len + len);
	if (!grown) {
		uk_tcp_close(c);
		return;
	}
	s->pending = grown;
	memcpy(s->pending + s->len, data, len);
	s->len += len;
	flush(c, s);
}

static void tcp_sent(struct uk_tcp *c, size_t len, void *arg)
{
	(void)len;
	flush(c, arg);
}

static void tcp_closed(struct uk_tcp *c, void *arg)
{
	(void)c;
	struct conn *s = arg;
	free(s->pending);
	free(s);
}

static void tcp_accept(struct uk_tcp *c, void *arg)
{
	(void)arg;
	static const struct uk_tcp_callbacks cb = {
	    .on_data = tcp_data, .on_sent = tcp_sent, .on_close = tcp_closed};
	struct conn *s = calloc(1, sizeof(*s));
	if (!s) {
		uk_tcp_close(c);
		return;
	}
	uk_tcp_set_callbacks(c, &cb, s);
}

int main(void)
{
	uint16_t port = (uint16_t)uk_config_int("port", 7);
	int r = uk_net_start();
	if (r != 0) {
		printf("net-echo: no network device (%d)\n", r);
		return 1;
	}
	if (uk_net_wait_up(20000000000ull) != 0) {
		printf("net-echo: no address after 20 s\n");
		return 1;
	}
	struct uk_net_info info;
	uk_net_get_info(&info);
	if (!uk_udp_bind(port, udp_echo, NULL) || !uk_tcp_listen(port, tcp_accept, NULL)) {
		printf("net-echo: cannot listen on port %u\n", port);
		return 1;
	}
	printf("net-echo: serving udp and tcp on %s port %u (mac %s)\n", info.ipv4, port, info.mac);
	uk_loop_run();
	return 0;
}
