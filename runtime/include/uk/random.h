/*
 * uk/random.h: random bytes for keys, nonces and tokens, from the board's hardware random
 * number generator.
 *
 *     #include <stdio.h>
 *     #include <string.h>
 *     #include <uk/random.h>
 *
 *     int main(void)
 *     {
 *             unsigned char key[32];
 *             int r = uk_random(key, sizeof(key));
 *             if (r < 0) {
 *                     printf("no random key: %s\n", strerror(-r));
 *                     return 1;
 *             }
 *             for (size_t i = 0; i < sizeof(key); i++)
 *                     printf("%02x", key[i]);
 *             printf("\n");
 *             return 0;
 *     }
 *
 * The hardware (virtio-rng on virt, the BCM2835 RNG on the Pi 3, the RNG200 on the Pi 4) seeds
 * a CTR_DRBG (NIST SP 800-90A, AES-256, from mbed TLS) at boot with 48 bytes, and reseeds it
 * from the hardware every 10,000 calls. Where the board has no working generator (QEMU's
 * raspi4b; virt without `-device virtio-rng-device`) the boot console says so and uk_random
 * fails with -ENODEV: it never returns guessable bytes. getentropy() (POSIX, <unistd.h>) and
 * arc4random() (<stdlib.h>, picolibc's, keyed by getentropy) draw from the same generator.
 *
 * Thread context only (it may wait up to a second for the hardware); never from an interrupt
 * handler or a uk_timer callback.
 */
#ifndef UK_RANDOM_H
#define UK_RANDOM_H

#include <stddef.h>

/* Fills buf with n random bytes: 0, or -ENODEV (no hardware generator), -ETIMEDOUT (the
 * hardware gave no data within a second) or -EIO (it reported a failure, or gave constant
 * data). On an error buf holds nothing usable. */
int uk_random(void *buf, size_t n);

#endif
