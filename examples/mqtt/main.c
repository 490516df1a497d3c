/* mqtt: publishes a reading every second to an MQTT broker with lwIP's MQTT client.
 *   mqtt.broker=ADDRESS   the broker, an IPv4 address or a DNS name (QEMU user networking: 10.0.2.2
 *                         is the host); required
 *   mqtt.port=PORT        default 1883
 *   mqtt.topic=TOPIC      default uk/HOSTNAME/reading (HOSTNAME from net.hostname, default uk)
 *   mqtt.tls=1            TLS (port 8883 unless mqtt.port): the broker's certificate checked
 *                         against mqtt.ca (default /boot/ca.pem) and mqtt.name (default the
 *                         broker); mutual TLS with mqtt.cert and mqtt.key (default
 *                         /boot/device.crt and /boot/device.key when they exist: what
 *                         `uk build --fleet` stamps per device, docs/fleet.md). Waits for the
 *                         time of day first (certificate dates need it).
 * The reading is JSON: {"seq": N, "uptime_s": S.mmm}, QoS 1. When the broker cannot be reached
 * or goes away, the app says so and tries again every 2 seconds; readings taken meanwhile are
 * not queued (the next one after reconnecting carries the current sequence number).
 * lwIP's MQTT client runs inside the stack: every call to it holds uk_net_lock(), and its
 * callbacks come from lwIP's threads with the lock already held.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <lwip/apps/mqtt.h>
#include <lwip/apps/mqtt_priv.h> /* client->conn, to name the TLS server */
#include <lwip/ip_addr.h>
#include <lwip/netdb.h>

#include <uk/config.h>
#include <uk/net.h>
#include <uk/thread.h>
#include <uk/time.h>
#include <uk/tls.h>
#include <unistd.h>

#define RETRY_NS 2000000000ull

enum state { IDLE, CONNECTING, CONNECTED };

/* Shared between main and lwIP's callbacks, always under the stack's lock. */
static enum state state = IDLE;
static unsigned long acked, failed;
static bool tls;

static const char *why(mqtt_connection_status_t s)
{
	switch (s) {
	case MQTT_CONNECT_ACCEPTED:
		return "accepted";
	case MQTT_CONNECT_REFUSED_PROTOCOL_VERSION:
		return "refused: protocol version";
	case MQTT_CONNECT_REFUSED_IDENTIFIER:
		return "refused: client identifier";
	case MQTT_CONNECT_REFUSED_SERVER:
		return "refused: server unavailable";
	case MQTT_CONNECT_REFUSED_USERNAME_PASS:
		return "refused: user name or password";
	case MQTT_CONNECT_REFUSED_NOT_AUTHORIZED_:
		return "refused: not authorized";
	case MQTT_CONNECT_DISCONNECTED:
		return "disconnected";
	case MQTT_CONNECT_TIMEOUT:
		return "timed out";
	}
	return "failed";
}

/* lwIP context: the connection is up, refused, or lost. */
static void on_connection(mqtt_client_t *client, void *arg, mqtt_connection_status_t status)
{
	(void)client;
	const char *broker = arg;
	if (status == MQTT_CONNECT_ACCEPTED) {
		state = CONNECTED;
		printf("mqtt: connected to %s\n", broker);
	} else {
		state = IDLE;
		const char *tls_why = tls ? uk_tls_altcp_failure() : "";
		printf("mqtt: %s: %s%s%s; retrying every %llu s\n", broker, why(status),
		       *tls_why ? ": " : "", *tls_why ? tls_why : "", RETRY_NS / 1000000000ull);
	}
}

/* lwIP context: the broker acknowledged a reading (QoS 1), or it was dropped. */
static void on_published(void *arg, err_t err)
{
	(void)arg;
	if (err == ERR_OK)
		acked++;
	else
		failed++;
}

/* The broker's address: a literal, or looked up in DNS (not under the lock: it blocks). */
static int resolve(const char *name, ip_addr_t *addr)
{
	if (ipaddr_aton(name, addr))
		return 0;
	struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res;
	if (getaddrinfo(name, NULL, &hints, &res) != 0)
		return -1;
	struct sockaddr_in *sin = (struct sockaddr_in *)res->ai_addr;
	ip_addr_set_ip4_u32(addr, sin->sin_addr.s_addr);
	freeaddrinfo(res);
	return 0;
}

int main(void)
{
	const char *broker = uk_config_get("mqtt.broker");
	if (!broker || !*broker) {
		printf("mqtt: no broker: boot with mqtt.broker=ADDRESS [mqtt.port=1883] "
		       "[mqtt.topic=TOPIC]\n");
		return 1;
	}
	tls = uk_config_bool("mqtt.tls", false);
	long port = uk_config_int("mqtt.port", tls ? 8883 : 1883);
	if (port <= 0 || port > 65535) {
		printf("mqtt: bad mqtt.port\n");
		return 1;
	}
	int r = uk_net_start();
	if (r != 0) {
		printf("mqtt: no network device (%d)\n", r);
		return 1;
	}
	if (uk_net_wait_up(20000000000ull) != 0) {
		printf("mqtt: no address after 20 s\n");
		return 1;
	}
	struct uk_net_info info;
	uk_net_get_info(&info);
	static char topic[128], client_id[64], where[300];
	const char *t = uk_config_get("mqtt.topic");
	if (t && *t)
		snprintf(topic, sizeof(topic), "%s", t);
	else
		snprintf(topic, sizeof(topic), "uk/%s/reading", info.hostname);
	/* Unique per device: the hostname and the MAC's last three bytes. */
	snprintf(client_id, sizeof(client_id), "uk-%s-%.2s%.2s%.2s", info.hostname, info.mac + 9,
		 info.mac + 12, info.mac + 15);
	snprintf(where, sizeof(where), "%s:%ld", broker, port);
	struct mqtt_connect_client_info_t ci = {.client_id = client_id, .keep_alive = 10};
	const char *tls_name = uk_config_get("mqtt.name") ? uk_config_get("mqtt.name") : broker;
	if (tls) {
		const char *cert = uk_config_get("mqtt.cert"), *key = uk_config_get("mqtt.key");
		if (!cert && access("/boot/device.crt", R_OK) == 0)
			cert = "/boot/device.crt", key = key ? key : "/boot/device.key";
		char why_tls[200];
		struct altcp_tls_config *cfg = uk_tls_altcp_config(
		    UK_TLS_CLIENT,
		    &(struct uk_tls_options){.ca_file = uk_config_get("mqtt.ca")
							    ? uk_config_get("mqtt.ca")
							    : "/boot/ca.pem",
					     .cert_file = cert,
					     .key_file = key,
					     .server_name = tls_name},
		    why_tls, sizeof why_tls);
		if (!cfg) {
			printf("mqtt: TLS: %s\n", why_tls);
			return 1;
		}
		ci.tls_config = cfg;
		printf("mqtt: TLS to %s%s%s\n", tls_name, cert ? ", our certificate " : "",
		       cert ? cert : "");
		if (uk_walltime_wait(30000000000ull) != 0)
			printf("mqtt: the time of day is still unknown: TLS will refuse until it "
			       "is\n");
	}

	uk_net_lock();
	mqtt_client_t *client = mqtt_client_new();
	uk_net_unlock();
	if (!client) {
		printf("mqtt: out of memory\n");
		return 1;
	}
	printf("mqtt: %s publishing to %s as %s every second\n", info.ipv4, where, topic);

	unsigned long seq = 0;
	uint64_t next = uk_now_ns(), retry = next;
	for (;;) {
		uk_thread_sleep_until(next);
		next += 1000000000ull;
		seq++;
		uk_net_lock();
		enum state s = state;
		uk_net_unlock();
		if (s == IDLE && uk_now_ns() >= retry) {
			retry = uk_now_ns() + RETRY_NS;
			ip_addr_t addr;
			if (resolve(broker, &addr) != 0) {
				printf("mqtt: cannot resolve %s\n", broker);
				continue;
			}
			uk_net_lock();
			err_t e = mqtt_client_connect(client, &addr, (u16_t)port, on_connection,
						      where, &ci);
			if (e == ERR_OK && tls && uk_tls_altcp_check_name(client->conn, tls_name))
				printf("mqtt: cannot name the TLS server: the connection will be "
				       "refused\n");
			if (e == ERR_OK)
				state = CONNECTING;
			uk_net_unlock();
			if (e != ERR_OK)
				printf("mqtt: cannot connect to %s: lwIP error %d\n", where, e);
			continue;
		}
		if (s != CONNECTED)
			continue;
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		char payload[80];
		int n =
		    snprintf(payload, sizeof(payload), "{\"seq\": %lu, \"uptime_s\": %lld.%03ld}",
			     seq, (long long)ts.tv_sec, ts.tv_nsec / 1000000);
		uk_net_lock();
		err_t e = mqtt_publish(client, topic, payload, (u16_t)n, 1, 0, on_published, NULL);
		unsigned long a = acked, f = failed;
		uk_net_unlock();
		if (e != ERR_OK)
			printf("mqtt: reading %lu not sent: lwIP error %d\n", seq, e);
		else if (seq % 10 == 0 || a == 0)
			printf("mqtt: reading %lu sent (%lu acknowledged, %lu lost so far)\n", seq,
			       a, f);
	}
}
