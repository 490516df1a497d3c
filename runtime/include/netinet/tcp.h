/* POSIX <netinet/tcp.h> for uk apps: lwIP's socket API under its POSIX names (see uk/net.h for the
 * event API, and docs/architecture.md "Sockets"). */
#ifndef UK_POSIX_NETINET_TCP_H
#define UK_POSIX_NETINET_TCP_H
#include <lwip/sockets.h>
#endif
