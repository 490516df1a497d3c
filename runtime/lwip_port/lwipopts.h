/*
 * lwIP configuration for uk (lwIP 2.1.3, Debian's source package). One network interface,
 * IPv4 and IPv6, DHCP, DNS, mDNS, UDP and TCP sized for ~150 concurrent connections.
 * lwIP runs on uk's cooperative threads: a network thread feeds frames in, lwIP's tcpip
 * thread runs its timers, and apps call the stack directly under the core lock (sockets and
 * the event API alike). Interrupt handlers never touch lwIP.
 */
#ifndef UK_LWIPOPTS_H
#define UK_LWIPOPTS_H

#define NO_SYS 0
/* No lightweight protection: threads are cooperative (never preempted inside lwIP) and interrupt
 * handlers never touch lwIP, so there is nothing to protect against; masking and unmasking
 * interrupts a dozen times a frame (each a trip out of QEMU's translated code) is saved. */
#define SYS_LIGHTWEIGHT_PROT	      0
#define LWIP_TIMERS		      1
#define LWIP_TCPIP_CORE_LOCKING	      1
#define LWIP_TCPIP_CORE_LOCKING_INPUT 1
#define TCPIP_THREAD_STACKSIZE	      (32 * 1024)
#define DEFAULT_THREAD_STACKSIZE      (32 * 1024)
#define TCPIP_MBOX_SIZE		      128

/* POSIX sockets: socket(), bind()... are lwIP's functions under their POSIX names; read(),
 * write() and close() dispatch between the console and sockets in libc/fd.c. */
#define LWIP_SOCKET		    1
#define LWIP_NETCONN		    1
#define LWIP_COMPAT_SOCKETS	    2
#define LWIP_POSIX_SOCKETS_IO_NAMES 0
#define LWIP_SOCKET_OFFSET	    3 /* 0-2 are stdin, stdout, stderr */
#define LWIP_SOCKET_SELECT	    1
#define LWIP_SOCKET_POLL	    1
#define LWIP_TIMEVAL_PRIVATE	    0 /* picolibc has struct timeval */
#define LWIP_SO_RCVTIMEO	    1
#define LWIP_SO_SNDTIMEO	    1
#define LWIP_SO_RCVBUF		    1
#define SO_REUSE		    1
#define LWIP_FIONREAD_LINUXMODE	    1
/* 127.0.0.1, ::1 and the interface's own addresses reach the stack itself, as on any POSIX
 * system: lwIP's loop interface (so not LWIP_SINGLE_NETIF), delivered through the tcpip
 * thread. */
#define LWIP_HAVE_LOOPIF	1
#define LWIP_NETIF_LOOPBACK	1
#define LWIP_LOOPBACK_MAX_PBUFS 64
/* Every socket is a netconn, and so is every connection waiting in a listener's backlog. 157
 * sockets are file descriptors 3 to 159 (below the 160 where libc's file descriptors for files
 * begin, and FD_SETSIZE); a listener with no netconn left refuses new connections with a reset
 * (lwip_port/listen.c). */
#define MEMP_NUM_NETCONN	  157
#define MEMP_NUM_NETBUF		  64
#define MEMP_NUM_TCPIP_MSG_INPUT  128
#define DEFAULT_UDP_RECVMBOX_SIZE 128
#define DEFAULT_TCP_RECVMBOX_SIZE 128
#define DEFAULT_RAW_RECVMBOX_SIZE 32
#define DEFAULT_ACCEPTMBOX_SIZE	  MEMP_NUM_NETCONN /* never the limit: a netconn runs out first */

/* Memory: lwIP's variable-size allocations (copied TCP data, UDP sends) come from the C heap,
 * which spans the RAM; its fixed pools are static. */
#define MEM_LIBC_MALLOC	  1
#define MEM_ALIGNMENT	  8
#define MEMP_MEM_MALLOC	  0
#define PBUF_POOL_SIZE	  256
#define PBUF_POOL_BUFSIZE 1536
#define MEMP_NUM_PBUF	  64
#define MEMP_NUM_UDP_PCB  16
/* Beyond one pcb per netconn: a server that closes first keeps each connection's pcb through
 * FIN_WAIT and TIME_WAIT after its socket is gone (TIME_WAIT ones are reclaimed when the pool
 * runs out, the others are not), and handshakes in progress hold one too. */
#define MEMP_NUM_TCP_PCB	320
#define MEMP_NUM_TCP_PCB_LISTEN 16
#define MEMP_NUM_TCP_SEG	512
#define MEMP_NUM_SYS_TIMEOUT	(LWIP_NUM_SYS_TIMEOUT_INTERNAL + 8)

/* Protocols */
#define LWIP_IPV4		      1
#define LWIP_IPV6		      1
#define LWIP_ARP		      1
#define LWIP_ETHERNET		      1
#define LWIP_ICMP		      1
#define LWIP_RAW		      1
#define LWIP_UDP		      1
#define LWIP_TCP		      1
#define LWIP_DHCP		      1
#define LWIP_DNS		      1
#define LWIP_IGMP		      1
#define LWIP_IPV6_MLD		      1
#define LWIP_IPV6_AUTOCONFIG	      1
#define LWIP_IPV6_DHCP6		      1
#define LWIP_IPV6_DHCP6_STATELESS     1
#define LWIP_ND6_NUM_DESTINATIONS     16
#define IPV6_FRAG_COPYHEADER	      1 /* 64-bit pointers do not fit in the fragment header */
#define DNS_MAX_SERVERS		      2
#define LWIP_DHCP_GET_NTP_SRV	      1 /* DHCP option 42 feeds SNTP (lwip_port/sntp.c) */
#define LWIP_DHCP_MAX_NTP_SERVERS     2
#define LWIP_DHCP_DOES_ACD_CHECK      0
#define DHCP_DOES_ARP_CHECK	      0
#define ETHARP_SUPPORT_STATIC_ENTRIES 1
#define ARP_QUEUEING		      1 /* every packet waiting for an ARP answer goes out, not just the last */

/* TCP: full-size segments and a window wide enough for throughput on a LAN. */
#define TCP_MSS			   1460
#define LWIP_WND_SCALE		   1
#define TCP_RCV_SCALE		   2
#define TCP_WND			   (128 * 1024)
#define TCP_SND_BUF		   (64 * 1024)
#define TCP_SND_QUEUELEN	   (4 * TCP_SND_BUF / TCP_MSS)
#define TCP_QUEUE_OOSEQ		   1
#define LWIP_TCP_KEEPALIVE	   1
#define TCP_LISTEN_BACKLOG	   1
#define TCP_DEFAULT_LISTEN_BACKLOG 128

/* Interface */
#define LWIP_NETIF_HOSTNAME	   1
#define LWIP_NETIF_STATUS_CALLBACK 1
#define LWIP_NETIF_LINK_CALLBACK   1
#define LWIP_NUM_NETIF_CLIENT_DATA 2 /* mDNS keeps its state there */
#define LWIP_NETIF_TX_SINGLE_PBUF  1 /* the driver copies one contiguous frame */

/* Apps */
#define LWIP_MDNS_RESPONDER	 1
#define MDNS_MAX_SERVICES	 4
#define LWIP_MQTT		 1
#define MQTT_OUTPUT_RINGBUF_SIZE 1024

/* Randomness (lwip_port/random.c): LWIP_RAND (arch/cc.h) from the hardware generator, TCP initial
 * sequence numbers per RFC 6528 through lwIP's hook. */
#define LWIP_HOOK_FILENAME "lwip_hooks.h"

/* Statistics (uk_net_stats) and no debug output unless asked. */
#define LWIP_STATS 1
/* lwip_port/chksum.c: 64 bytes per loop with the carry flag, for every checksum lwIP computes. */
#define LWIP_CHKSUM uk_inet_chksum
#include <stdint.h>
uint16_t uk_inet_chksum(const void *data, int len);
#define LWIP_STATS_DISPLAY 0
#define LWIP_DEBUG	   0

/* SNTP (lwip_port/sntp.c): sets the wall clock; names resolved by DNS; a request every hour once
 * answered, retried after 3 s (doubling to 30 s) while unanswered; an answer must echo our
 * timestamp and is corrected for the round trip. */
void uk_sntp_set_time(unsigned int sec, unsigned int us);
void uk_sntp_get_time(unsigned int *sec, unsigned int *us);
#define SNTP_SET_SYSTEM_TIME_US(sec, us) uk_sntp_set_time((sec), (us))
#define SNTP_GET_SYSTEM_TIME(sec, us)	 uk_sntp_get_time(&(sec), &(us))
#define SNTP_SERVER_DNS			 1
#define SNTP_MAX_SERVERS		 2
#define SNTP_CHECK_RESPONSE		 2
#define SNTP_COMP_ROUNDTRIP		 1
#define SNTP_STARTUP_DELAY		 0
#define SNTP_RECV_TIMEOUT		 3000
#define SNTP_UPDATE_DELAY		 3600000

/* altcp: lwIP's TCP apps (MQTT) over TLS with mbed TLS (apps/altcp_tls), for the event API;
 * net/tls_altcp.c makes its configurations and insists on verification. */
#define LWIP_ALTCP	       1
#define LWIP_ALTCP_TLS	       1
#define LWIP_ALTCP_TLS_MBEDTLS 1

#endif
