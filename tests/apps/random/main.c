/*
 * Test app for uk/random.h and getentropy() (tests/random.bats). Prints two 32-byte draws in
 * hex, a FIPS 140-2 monobit count over 20,000 bits, what getentropy() says for 32 and for 257
 * bytes, and an arc4random() value. With random.connect=N (and a net.* boot argument, so the
 * network is up before main) it then opens N TCP connections to 10.0.2.2:9 one after another:
 * the test reads their SYNs' initial sequence numbers from a packet capture of the guest's
 * network. Whether QEMU's user network accepts or refuses them does not matter.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <uk/config.h>
#include <uk/random.h>

static void print_hex(const char *label, const unsigned char *p, size_t n)
{
	printf("random: %s ", label);
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
	printf("\n");
}

static void connect_many(long n)
{
	for (long i = 0; i < n; i++) {
		int s = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(9)};
		inet_pton(AF_INET, "10.0.2.2", &a.sin_addr);
		/* the SYN is what the test reads: it leaves at once; the answer (if QEMU's user
		 * network gives one) is waited for at most a second, so no connection can hold the
		 * app up for lwIP's SYN retransmissions */
		fcntl(s, F_SETFL, O_NONBLOCK);
		int r = connect(s, (struct sockaddr *)&a, sizeof(a));
		if (r < 0 && errno == EINPROGRESS) {
			struct pollfd p = {.fd = s, .events = POLLOUT};
			r = poll(&p, 1, 1000) == 1 ? 0 : -1;
			errno = r ? ETIMEDOUT : 0;
		}
		printf("random: connection %ld: %s\n", i + 1,
		       r == 0 ? "answered" : strerror(errno));
		close(s);
	}
	printf("random: connections done\n");
}

int main(void)
{
	unsigned char a[32], b[32];
	int r = uk_random(a, sizeof(a));
	if (r != 0) {
		printf("random: uk_random failed: %s\n", strerror(-r));
	} else {
		uk_random(b, sizeof(b));
		print_hex("draw1", a, sizeof(a));
		print_hex("draw2", b, sizeof(b));
		static unsigned char bits[2500]; /* 20,000 bits */
		unsigned ones = 0;
		if (uk_random(bits, sizeof(bits)) == 0)
			for (size_t i = 0; i < sizeof(bits); i++)
				ones += (unsigned)__builtin_popcount(bits[i]);
		printf("random: monobit %u of 20000\n", ones);
	}
	int g = getentropy(a, sizeof(a));
	printf("random: getentropy(32) = %d%s%s\n", g, g ? " " : "", g ? strerror(errno) : "");
	g = getentropy(a, 257);
	printf("random: getentropy(257) = %d%s%s\n", g, g ? " " : "", g ? strerror(errno) : "");
	if (r == 0) /* picolibc's arc4random ends the program when getentropy fails */
		printf("random: arc4random %08lx\n", (unsigned long)arc4random());
	long n = uk_config_int("random.connect", 0);
	if (n > 0)
		connect_many(n);
	return 0;
}
