/* sensor: reads a TMP105 temperature sensor on I2C once a second and publishes each reading
 * over MQTT, tagged with the board's serial number (Raspberry Pi 3 or 4).
 *   sensor.broker=ADDRESS   the MQTT broker, an IPv4 address or a DNS name; required
 *   sensor.port=PORT        default 1883
 *   sensor.bus=N            the I2C bus, default 1 (header pins 3 and 5)
 *   sensor.address=N        the TMP105's address, default 0x48 (72)
 * Topic uk/SERIAL/temperature, QoS 1, JSON: {"serial": "...", "seq": N, "millicelsius": T}.
 * A failed reading is reported and skipped; a lost broker is retried every 2 seconds.
 * lwIP's MQTT client runs inside the stack: calls into it hold uk_net_lock(), and its
 * callbacks run with the lock held.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lwip/apps/mqtt.h>
#include <lwip/ip_addr.h>
#include <lwip/netdb.h>

#include <uk/board.h>
#include <uk/config.h>
#include <uk/i2c.h>
#include <uk/net.h>
#include <uk/thread.h>
#include <uk/time.h>

#define PERIOD_NS 1000000000ull
#define RETRY_NS  2000000000ull

static bool connecting, connected; /* under uk_net_lock */

/* lwIP context: the broker accepted us, refused us, or went away. */
static void on_connection(mqtt_client_t *client, void *arg, mqtt_connection_status_t status)
{
	(void)client, (void)arg;
	connecting = false;
	connected = status == MQTT_CONNECT_ACCEPTED;
	printf("sensor: broker %s (status %d)\n", connected ? "connected" : "not connected",
	       (int)status);
}

/* A TMP105's temperature register (0): 12 bits left-aligned, 1/16 degree per bit. */
static int read_tmp105(unsigned bus, uint8_t address, int *millicelsius)
{
	uint8_t reg = 0, t[2];
	int r = uk_i2c_write_read(bus, address, &reg, 1, t, 2);
	if (r == 0)
		*millicelsius = (int16_t)(t[0] << 8 | t[1]) * 1000 / 256;
	return r;
}

static int broker_address(const char *name, ip_addr_t *addr)
{
	if (ipaddr_aton(name, addr))
		return 0;
	struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res;
	if (getaddrinfo(name, NULL, &hints, &res) != 0)
		return -1;
	ip_addr_set_ip4_u32(addr, ((struct sockaddr_in *)res->ai_addr)->sin_addr.s_addr);
	freeaddrinfo(res);
	return 0;
}

int main(void)
{
	const char *broker = uk_config_get("sensor.broker");
	long port = uk_config_int("sensor.port", 1883);
	unsigned bus = (unsigned)uk_config_int("sensor.bus", 1);
	long address = uk_config_int("sensor.address", 0x48);
	if (!broker || !*broker || port <= 0 || port > 65535 || address < 0 || address > 0x7f) {
		printf("sensor: boot with sensor.broker=ADDRESS [sensor.port=1883] [sensor.bus=1] "
		       "[sensor.address=72]\n");
		return 1;
	}
	int mc, r = read_tmp105(bus, (uint8_t)address, &mc);
	if (r == -ENODEV) {
		printf("sensor: this board has no I2C bus %u\n", bus);
		return 1;
	}
	uint64_t serial_number;
	char serial[17] = "unknown";
	if (uk_board_serial(&serial_number) == 0)
		snprintf(serial, sizeof serial, "%016" PRIx64, serial_number);

	if ((r = uk_net_start()) != 0 || uk_net_wait_up(30000000000ull) != 0) {
		printf("sensor: no network (%d)\n", r);
		return 1;
	}
	ip_addr_t addr;
	static char topic[64], client_id[32];
	snprintf(topic, sizeof topic, "uk/%s/temperature", serial);
	snprintf(client_id, sizeof client_id, "uk-sensor-%s", serial);
	const struct mqtt_connect_client_info_t ci = {.client_id = client_id, .keep_alive = 10};
	uk_net_lock();
	mqtt_client_t *client = mqtt_client_new();
	uk_net_unlock();
	if (!client) {
		printf("sensor: out of memory\n");
		return 1;
	}
	printf("sensor: TMP105 at 0x%02lx on bus %u, publishing to %s:%ld as %s\n", address, bus,
	       broker, port, topic);

	unsigned long seq = 0;
	for (uint64_t next = uk_now_ns(), retry = 0;; next += PERIOD_NS) {
		uk_thread_sleep_until(next);
		uk_net_lock();
		bool up = connected, trying = connecting;
		uk_net_unlock();
		if (!up) {
			if (!trying && uk_now_ns() >= retry) {
				retry = uk_now_ns() + RETRY_NS;
				if (broker_address(broker, &addr) != 0) {
					printf("sensor: cannot resolve %s\n", broker);
					continue;
				}
				uk_net_lock();
				connecting =
				    mqtt_client_connect(client, &addr, (u16_t)port, on_connection,
							NULL, &ci) == ERR_OK;
				uk_net_unlock();
			}
			continue;
		}
		if ((r = read_tmp105(bus, (uint8_t)address, &mc)) != 0) {
			printf("sensor: reading failed: %s\n", strerror(-r));
			continue;
		}
		char payload[96];
		int n = snprintf(payload, sizeof payload,
				 "{\"serial\": \"%s\", \"seq\": %lu, \"millicelsius\": %d}", serial,
				 ++seq, mc);
		uk_net_lock();
		err_t e = mqtt_publish(client, topic, payload, (u16_t)n, 1, 0, NULL, NULL);
		uk_net_unlock();
		if (e != ERR_OK)
			printf("sensor: reading %lu not sent (lwIP error %d)\n", seq, e);
		else if (seq == 1)
			printf("sensor: first reading sent: %s\n", payload);
	}
}
