/* lwIP's system interface for uk (NO_SYS): the millisecond clock, randomness, asserts. */
#include <stdint.h>

#include <lwip/sys.h>
#include <uk/time.h>

#include "kernel.h"
#include "sysreg.h"

u32_t sys_now(void)
{
	return (u32_t)(uk_now_ns() / 1000000u);
}

/* xorshift64*, seeded from the counter: unpredictable enough for ports, ISNs and DHCP ids on a
 * device without a hardware RNG driver; not for cryptography. */
unsigned long uk_net_random(void)
{
	static uint64_t s;
	if (!s)
		s = timer_ticks() ^ 0x9e3779b97f4a7c15ull;
	s ^= s >> 12;
	s ^= s << 25;
	s ^= s >> 27;
	return (unsigned long)((s * 0x2545f4914f6cdd1dull) >> 32);
}

void uk_lwip_assert(const char *msg, const char *file, int line)
{
	panic("lwIP assertion \"%s\" failed at %s:%d", msg, file, line);
}
