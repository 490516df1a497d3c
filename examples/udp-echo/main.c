/* udp-echo: a UDP echo server in plain POSIX sockets, no uk headers, so the same file builds
 * for uk (its sockets layer) and as a Linux program (bench/net.sh runs it in a Linux guest).
 *   udp-echo [PORT]      (default 7; the PORT environment variable works too)
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

int main(int argc, char **argv)
{
	const char *p = argc > 1 ? argv[1] : getenv("PORT");
	int port = p ? atoi(p) : 7;
	/* One socket for both families: IPv4 clients appear as ::ffff:a.b.c.d (RFC 3493). */
	int s = socket(AF_INET6, SOCK_DGRAM, 0);
	if (s < 0) {
		printf("udp-echo: no socket\n");
		return 1;
	}
	int one = 1, zero = 0;
	setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons((unsigned short)port)};
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) != 0) { /* zeros: in6addr_any */
		printf("udp-echo: cannot bind port %d\n", port);
		return 1;
	}
	printf("udp-echo: serving udp on port %d\n", port);
	static char buf[65536];
	for (;;) {
		struct sockaddr_in6 from;
		socklen_t flen = sizeof(from);
		long n = recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
		if (n >= 0)
			sendto(s, buf, (size_t)n, 0, (struct sockaddr *)&from, flen);
	}
}
