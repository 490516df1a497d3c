/*
 * mbed TLS 2.28 (Debian's mbedtls source package, unmodified) configured for uk's randomness:
 * the CTR_DRBG of NIST SP 800-90A with AES-256 (kernel/random.c) and SHA-256 (the TCP
 * sequence-number hash in net/random.c). Nothing else of the library is built. The runtime
 * compiles library/{aes,ctr_drbg,sha256,platform_util}.c with MBEDTLS_CONFIG_FILE naming this.
 */
#ifndef UK_MBEDTLS_CONFIG_H
#define UK_MBEDTLS_CONFIG_H

#define MBEDTLS_AES_C
#define MBEDTLS_AES_ROM_TABLES /* tables in .rodata, not built in RAM at first use */
#define MBEDTLS_CTR_DRBG_C
#define MBEDTLS_SHA256_C
/* 48 bytes of hardware entropy per (re)seed: 384 bits for AES-256's 256-bit security with
 * the nonce SP 800-90A asks for. */
#define MBEDTLS_CTR_DRBG_ENTROPY_LEN 48

#include "mbedtls/check_config.h"

#endif
