/*
 * mbed TLS 2.28 (Debian's mbedtls source package, unmodified), configured for uk:
 * - randomness: the CTR_DRBG of NIST SP 800-90A with AES-256 (kernel/random.c), seeded by the
 *   board's hardware RNG; SHA-256 for the TCP sequence-number hash (lwip_port/random.c);
 * - TLS 1.2 for net/tls.c (uk/tls.h): ECDHE key exchange with ECDSA or RSA certificates,
 *   AES-GCM and ChaCha20-Poly1305, curves P-256, P-384 and X25519, X.509 certificates in PEM or
 *   DER with their validity checked against the wall clock (kernel/walltime.c), SNI.
 * Apps pay only for what they call: the library is in libuk.a, linked with --gc-sections. The
 * runtime compiles the library's files listed in runtime/Makefile with MBEDTLS_CONFIG_FILE naming
 * this file.
 */
#ifndef UK_MBEDTLS_CONFIG_H
#define UK_MBEDTLS_CONFIG_H

/* system */
#define MBEDTLS_HAVE_ASM       /* bignum multiply in AArch64 assembly (bn_mul.h) */
#define MBEDTLS_HAVE_TIME      /* time(): kernel/walltime.c */
#define MBEDTLS_HAVE_TIME_DATE /* certificate validity against gmtime_r(time()) */
#define MBEDTLS_NO_PLATFORM_ENTROPY
#define MBEDTLS_ENTROPY_C	     /* lwIP's altcp TLS seeds its own CTR_DRBG from here... */
#define MBEDTLS_ENTROPY_HARDWARE_ALT /* ...which is the board's RNG (kernel/random.c) */
#define MBEDTLS_PLATFORM_C
#define MBEDTLS_ERROR_C /* mbedtls_strerror: what failed, in words */
#define MBEDTLS_FS_IO	/* certificates and keys read from files (/boot, /data) */

/* randomness */
#define MBEDTLS_AES_C
#define MBEDTLS_AES_ROM_TABLES /* tables in .rodata, not built in RAM at first use */
#define MBEDTLS_CTR_DRBG_C
#define MBEDTLS_HMAC_DRBG_C /* deterministic ECDSA (RFC 6979): no nonce from a weak moment */
/* 48 bytes of hardware entropy per (re)seed: 384 bits for AES-256's 256-bit security with
 * the nonce SP 800-90A asks for. */
#define MBEDTLS_CTR_DRBG_ENTROPY_LEN 48

/* hashes, ciphers */
#define MBEDTLS_MD_C
#define MBEDTLS_SHA1_C /* older certificate chains and TLS 1.2's handshake hashes */
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA512_C /* SHA-384 */
#define MBEDTLS_CIPHER_C
#define MBEDTLS_GCM_C
#define MBEDTLS_CHACHA20_C
#define MBEDTLS_POLY1305_C
#define MBEDTLS_CHACHAPOLY_C

/* public keys */
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_ECP_C
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_DP_SECP384R1_ENABLED
#define MBEDTLS_ECP_DP_CURVE25519_ENABLED
#define MBEDTLS_ECP_NIST_OPTIM
#define MBEDTLS_ECDH_C
#define MBEDTLS_ECDSA_C
#define MBEDTLS_ECDSA_DETERMINISTIC
#define MBEDTLS_RSA_C
#define MBEDTLS_PKCS1_V15
#define MBEDTLS_PKCS1_V21
#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C
#define MBEDTLS_PK_PARSE_EC_EXTENDED

/* certificates */
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C /* ECDSA signatures are ASN.1 */
#define MBEDTLS_OID_C
#define MBEDTLS_BASE64_C
#define MBEDTLS_PEM_PARSE_C
#define MBEDTLS_X509_USE_C
#define MBEDTLS_X509_CRT_PARSE_C
#define MBEDTLS_X509_CHECK_KEY_USAGE
#define MBEDTLS_X509_CHECK_EXTENDED_KEY_USAGE

/* TLS 1.2 */
#define MBEDTLS_SSL_TLS_C
#define MBEDTLS_SSL_CLI_C
#define MBEDTLS_SSL_SRV_C
#define MBEDTLS_SSL_PROTO_TLS1_2
#define MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED
#define MBEDTLS_KEY_EXCHANGE_ECDHE_RSA_ENABLED
#define MBEDTLS_SSL_SERVER_NAME_INDICATION
#define MBEDTLS_SSL_EXTENDED_MASTER_SECRET
#define MBEDTLS_SSL_ENCRYPT_THEN_MAC
#define MBEDTLS_SSL_KEEP_PEER_CERTIFICATE
#define MBEDTLS_SSL_ALPN

#include "mbedtls/check_config.h"

#endif
