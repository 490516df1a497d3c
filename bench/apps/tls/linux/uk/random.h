/* bench/apps/tls/linux/uk/random.h: uk_random for the Linux guest build of runtime/net/tls.c
 * (bench/tls.sh). As on uk (runtime/kernel/random.c): mbed TLS's CTR_DRBG (AES-256), seeded and
 * reseeded from the platform's entropy; on Linux that is getrandom(), on uk the board's RNG.
 * Defined in bench/apps/tls/main.c under LINUX_GUEST. */
#ifndef UK_RANDOM_H
#define UK_RANDOM_H
#include <stddef.h>
int uk_random(void *buf, size_t n);
#endif
