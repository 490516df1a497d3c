/* POSIX <netdb.h> for uk apps: lwIP's resolver (getaddrinfo, freeaddrinfo, gethostbyname). */
#ifndef UK_POSIX_NETDB_H
#define UK_POSIX_NETDB_H
#include <lwip/netdb.h>
#include <lwip/sockets.h>
#endif
