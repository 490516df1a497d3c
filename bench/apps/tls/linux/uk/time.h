/* bench/apps/tls/linux/uk/time.h: the one uk/time.h call runtime/net/tls.c makes, for its
 * Linux guest build (bench/tls.sh). The Linux guest's clock is set from QEMU's RTC at boot. */
#ifndef UK_TIME_H
#define UK_TIME_H
#include <stdbool.h>
static inline bool uk_walltime_known(void)
{
	return true;
}
#endif
