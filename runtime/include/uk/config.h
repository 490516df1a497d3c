/*
 * uk/config.h: the boot arguments, key=value pairs from the kernel command line (QEMU's -append,
 * cmdline.txt on a Pi, the manifest's boot arguments, `uk run --append`).
 *
 *     #include <stdio.h>
 *     #include <uk/config.h>
 *
 *     int main(void)
 *     {
 *             const char *name = uk_config_get("name");            // NULL when absent
 *             long port = uk_config_int("port", 8080);              // fallback when absent/bad
 *             printf("hello %s on %ld\n", name ? name : "world", port);
 *             for (size_t i = 0; i < uk_config_count(); i++)
 *                     printf("%s=%s\n", uk_config_key(i), uk_config_value(i));
 *             return 0;
 *     }
 *
 * Keys are [A-Za-z0-9_.-] (at most 63 chars), values at most 255 chars and may be double-quoted.
 * A bare word is a key with the value "". Malformed arguments are reported on the console at
 * boot and skipped. Keys starting with "uk." are the runtime's own (uk.qemu, uk.console).
 */
#ifndef UK_CONFIG_H
#define UK_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

const char *uk_config_get(const char *key);
/* The value as a decimal/0x-hex integer; fallback when absent or not a whole number. */
long uk_config_int(const char *key, long fallback);
/* true for 1/yes/true/on and a bare key, false for 0/no/false/off; fallback otherwise. */
bool uk_config_bool(const char *key, bool fallback);

size_t uk_config_count(void);
const char *uk_config_key(size_t i);   /* NULL when i >= count */
const char *uk_config_value(size_t i); /* NULL when i >= count */

#endif
