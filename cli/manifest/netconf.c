/* netconf.c: the network settings' rules, in one place for uk.yaml's network: section, its
 * bootargs:, a fleet inventory and uk run --append/-p: the net.* boot arguments the runtime
 * reads (runtime/net/stack.c) and QEMU port forwards. */
#include "uk.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>

/* A decimal number of 1 to 9 digits (so that 70000 is reported as out of range). */
static int decimal(const char *s, size_t n, unsigned *out)
{
	unsigned v = 0;
	if (n == 0 || n > 9)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*out = v;
	return 0;
}

static int ipv4_ok(const char *s)
{
	struct in_addr a;
	return inet_pton(AF_INET, s, &a) == 1;
}

/* A.B.C.D/PREFIX with the prefix written: the runtime takes no default. */
static int cidr_ok(const char *s)
{
	const char *slash = strchr(s, '/');
	char buf[INET_ADDRSTRLEN];
	unsigned prefix;
	if (!slash || (size_t)(slash - s) >= sizeof buf ||
	    decimal(slash + 1, strlen(slash + 1), &prefix) || prefix > 32)
		return 0;
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = 0;
	return ipv4_ok(buf);
}

static int ip_ok(const char *s)
{
	struct in6_addr a6;
	return ipv4_ok(s) || inet_pton(AF_INET6, s, &a6) == 1;
}

/* One DNS label (RFC 1123): 1-63 letters, digits and '-', not starting or ending with '-'. */
static int label_ok(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-')
			return 0;
	return 1;
}

/* A host name: dot-separated labels. */
static int hostname_ok(const char *s)
{
	char buf[64];
	size_t n = strlen(s);
	if (n == 0 || n >= sizeof buf)
		return 0;
	memcpy(buf, s, n + 1);
	for (char *label = strtok(buf, "."); label; label = strtok(NULL, "."))
		if (!label_ok(label))
			return 0;
	return s[0] != '.' && s[n - 1] != '.' && !strstr(s, "..");
}

/* net.ntp: "off", or one or two servers (the runtime's SNTP_MAX_SERVERS), comma-separated. */
static int ntp_ok(const char *v)
{
	if (!strcmp(v, "off"))
		return 1;
	char buf[160];
	size_t n = strlen(v);
	if (n == 0 || n >= sizeof buf || v[0] == ',' || v[n - 1] == ',' || strstr(v, ",,"))
		return 0;
	memcpy(buf, v, n + 1);
	int count = 0;
	for (char *save, *s = strtok_r(buf, ",", &save); s; s = strtok_r(NULL, ",", &save))
		if (++count > 2 || !(ip_ok(s) || hostname_ok(s)))
			return 0;
	return 1;
}

const char *net_arg_problem(const char *key, const char *v)
{
	if (!strcmp(key, "net.ip"))
		return !strcmp(v, "dhcp") || cidr_ok(v)
			   ? NULL
			   : "write 'dhcp' or an IPv4 address with its prefix length, e.g. "
			     "192.168.1.20/24";
	if (!strcmp(key, "net.gateway"))
		return ipv4_ok(v) ? NULL : "not an IPv4 address such as 192.168.1.1";
	if (!strcmp(key, "net.dns"))
		return ip_ok(v) ? NULL : "not an IP address such as 192.168.1.1 or 2001:db8::1";
	if (!strcmp(key, "net.ntp"))
		return ntp_ok(v)
			   ? NULL
			   : "write 'off', or one or two NTP servers separated by a comma, each "
			     "an IP address or a host name of at most 63 characters (e.g. "
			     "pool.ntp.org,192.168.1.1)";
	if (!strcmp(key, "net.hostname"))
		return label_ok(v) ? NULL
				   : "not a DNS label: 1 to 63 letters, digits and '-', not "
				     "starting or ending with '-' (it is answered as NAME.local)";
	if (!strcmp(key, "net.wait")) {
		unsigned s;
		return decimal(v, strlen(v), &s) == 0 ? NULL : "write a number of seconds";
	}
	return NULL;
}

int hostfwd_parse(const char *spec, struct hostfwd *f, const char **why)
{
	const char *s = spec, *c1 = strchr(spec, ':');
	memcpy(f->proto, "tcp", 4);
	if (c1 && strchr(c1 + 1, ':')) { /* PROTO:HOST:GUEST */
		if (c1 - s != 3 || (strncmp(s, "tcp", 3) && strncmp(s, "udp", 3))) {
			*why = "the protocol must be tcp or udp";
			return -1;
		}
		memcpy(f->proto, s, 3);
		s = c1 + 1;
		c1 = strchr(s, ':');
	}
	if (!c1 || decimal(s, (size_t)(c1 - s), &f->host) ||
	    decimal(c1 + 1, strlen(c1 + 1), &f->guest)) {
		*why = "write [tcp:|udp:]HOSTPORT:GUESTPORT, e.g. 8080:80 or udp:5000:7";
		return -1;
	}
	if (!f->host || f->host > 65535 || !f->guest || f->guest > 65535) {
		*why = "ports are 1 to 65535";
		return -1;
	}
	return 0;
}

const char hostfwd_udp_note[] = "QEMU's user networking sends every UDP reply from one guest "
				"port through its first forward";

const char *hostfwd_clash(const struct hostfwd *a, const struct hostfwd *b, char *msg, size_t n)
{
	if (strcmp(a->proto, b->proto))
		return NULL;
	if (a->host == b->host) {
		snprintf(msg, n, "host port %s %u is forwarded twice", a->proto, a->host);
		return msg;
	}
	if (a->guest == b->guest && !strcmp(a->proto, "udp")) {
		snprintf(msg, n, "guest port udp %u is forwarded twice", a->guest);
		return msg;
	}
	return NULL;
}
