/*
 * uk/tls.h: TLS 1.2 (mbed TLS) on a connected TCP socket, for clients and servers, with mutual
 * authentication when asked. A plain sockets program gains TLS with four calls:
 *
 *     #include <stdio.h>
 *     #include <uk/time.h>
 *     #include <uk/tls.h>
 *
 *     // after socket() and connect() to the broker's port 8883:
 *     char why[160];
 *     uk_walltime_wait(30000000000ull);           // certificates need the time of day
 *     struct uk_tls_config *cfg = uk_tls_config_new(UK_TLS_CLIENT, &(struct uk_tls_options){
 *             .ca_file = "/boot/ca.pem",           // who may sign the server's certificate
 *             .cert_file = "/boot/device.crt",     // ours, for mutual TLS (optional)
 *             .key_file = "/boot/device.key",
 *             .server_name = "broker.example"}, why, sizeof why);
 *     struct uk_tls *tls = cfg ? uk_tls_connect(fd, cfg, why, sizeof why) : NULL;
 *     if (!tls) {
 *             printf("TLS: %s\n", why);             // e.g. "the server's certificate: ..."
 *             return 1;
 *     }
 *     uk_tls_write(tls, "hello", 5);
 *     uk_tls_close(tls);                          // close_notify; then close(fd)
 *
 * Certificates and keys are PEM (or DER) files, e.g. on /boot where `uk build --fleet` stamps
 * each device's own, or PEM text in memory (the *_pem fields). The peer's certificate is
 * always verified (a client checks the server's against ca_file and server_name; a server with
 * require_client_cert checks the client's): the chain, the name, and the validity dates against
 * the wall clock. Before the wall clock is known (uk/time.h) such a handshake fails and says so
 * rather than skip the dates. Randomness comes from the hardware RNG (uk/random.h); where the
 * board has none, uk_tls_config_new fails rather than run on predictable numbers.
 *
 * Every call blocks its thread only. Errors: NULL (or -1 with errno EIO) and, where a buffer is
 * given, one line saying what failed.
 */
#ifndef UK_TLS_H
#define UK_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum uk_tls_role { UK_TLS_CLIENT, UK_TLS_SERVER };

struct uk_tls_options {
	const char *ca_file, *ca_pem;	  /* CAs the peer's certificate must chain to */
	const char *cert_file, *cert_pem; /* our certificate (chain): servers, mutual TLS */
	const char *key_file, *key_pem;	  /* its private key (unencrypted) */
	const char *server_name;	  /* client: the name the server's certificate must
					   * carry, sent as SNI; required */
	bool require_client_cert;	  /* server: mutual TLS (needs a CA) */
};

struct uk_tls_config;
struct uk_tls;

/* Parses the certificates and keys once, for any number of connections. */
struct uk_tls_config *uk_tls_config_new(enum uk_tls_role role, const struct uk_tls_options *o,
					char *why, size_t why_len);
void uk_tls_config_free(struct uk_tls_config *cfg);

/* The handshake on a connected socket (client) or an accepted one (server). */
struct uk_tls *uk_tls_connect(int fd, const struct uk_tls_config *cfg, char *why, size_t why_len);
struct uk_tls *uk_tls_accept(int fd, const struct uk_tls_config *cfg, char *why, size_t why_len);

/* Like read() and write(): bytes moved, 0 when the peer closed, -1 with errno EIO (or EAGAIN
 * when the socket's own SO_RCVTIMEO/SO_SNDTIMEO ran out). A non-blocking socket is waited on
 * (this thread only), so these calls and the handshake always finish what they start. */
ssize_t uk_tls_read(struct uk_tls *tls, void *buf, size_t n);
ssize_t uk_tls_write(struct uk_tls *tls, const void *buf, size_t n);
/* Sends close_notify and frees the session; the socket stays open for the caller to close. */
void uk_tls_close(struct uk_tls *tls);
/* The negotiated cipher suite, e.g. "TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256". */
const char *uk_tls_cipher(const struct uk_tls *tls);

/*
 * The event API: lwIP's altcp apps (its MQTT client) over TLS with the same rules. Make the
 * configuration once (a client: ca and server_name required, cert and key for mutual TLS) and
 * give it to the app (mqtt_connect_client_info_t.tls_config); right after the connection is
 * made (mqtt_client_connect, under uk_net_lock()), name the server it must be with
 * uk_tls_altcp_check_name(client->conn, name) (lwip/apps/mqtt_priv.h has the struct): a
 * connection that was not named is refused (fail closed). When a handshake fails on a
 * certificate, uk_tls_altcp_failure() says why ("" otherwise; it is the last connection's).
 */
struct altcp_tls_config;
struct altcp_pcb;
struct altcp_tls_config *uk_tls_altcp_config(enum uk_tls_role role, const struct uk_tls_options *o,
					     char *why, size_t why_len);
int uk_tls_altcp_check_name(struct altcp_pcb *conn, const char *server_name);
const char *uk_tls_altcp_failure(void);

#endif
