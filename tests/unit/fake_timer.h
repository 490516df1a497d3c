/* uk_timer_init/start/stop (uk/time.h) for host tests, over a list that the test's own clock
 * drives: the test asks for the due timers and fires them the way its model delivers interrupts. */
#ifndef FAKE_TIMER_H
#define FAKE_TIMER_H

#include <stdint.h>

#include <uk/time.h>

/* Forgets every timer (between test cases). Arming more than 32 at once aborts the test: a
 * driver that leaks timers. */
void fake_timers_reset(void);
/* Disarms and returns the armed timer with the earliest deadline at or before until, or NULL. */
struct uk_timer *fake_timer_next_due(uint64_t until);

#endif
