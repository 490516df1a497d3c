/* POSIX <arpa/inet.h> for uk apps: lwIP's address conversions (inet_pton, inet_ntop, htons...). */
#ifndef UK_POSIX_ARPA_INET_H
#define UK_POSIX_ARPA_INET_H
#include <lwip/inet.h>
#include <lwip/sockets.h>
#endif
