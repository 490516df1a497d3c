/* Cores: a loop on core 1 sends a million sequence numbers through a lock-free queue to core 0,
 * which checks that none is lost or reordered; cores 2 and 3 report their number. main, the
 * console and everything else stay on core 0 (uk/core.h). */
#include <stdint.h>
#include <stdio.h>

#include <uk/core.h>
#include <uk/time.h>

#define MESSAGES 1000000u

static uint32_t slots[1024];
static struct uk_spsc queue; /* core 1 -> core 0 */
static volatile unsigned here[UK_CORES_MAX];

static void send_numbers(void *arg) /* core 1: no stdio, no threads, no network here */
{
	(void)arg;
	here[uk_core_id()] = 1;
	for (uint32_t n = 0; n < MESSAGES; n++)
		while (!uk_spsc_push(&queue, &n)) /* full: core 0 is behind */
			;
}

static void report(void *arg)
{
	(void)arg;
	here[uk_core_id()] = 1;
}

int main(void)
{
	int cores = uk_core_count();
	printf("cores: %d (main on core %u)\n", cores, uk_core_id());
	if (cores < 2) {
		printf("one core only: give QEMU more with 'cores: 4' in uk.yaml\n");
		return 1;
	}
	uk_spsc_init(&queue, slots, sizeof slots[0], 1024);
	int err = uk_core_start(1, send_numbers, NULL);
	for (unsigned c = 2; !err && c < (unsigned)cores; c++)
		err = uk_core_start(c, report, NULL);
	if (err) {
		printf("uk_core_start: %d\n", err);
		return 1;
	}
	uint64_t t0 = uk_now_ns();
	uint32_t expect = 0, n, wrong = 0;
	while (expect < MESSAGES) {
		if (!uk_spsc_pop(&queue, &n)) /* empty: core 1 is behind */
			continue;
		wrong += n != expect;
		expect = n + 1;
	}
	uint64_t ms = (uk_now_ns() - t0) / 1000000;
	for (int c = 1; c < cores; c++)
		printf("core %d: %s\n", c, here[c] ? "ran" : "did not report");
	printf("%u numbers from core 1 in %llu ms: %u lost or out of order\n", MESSAGES,
	       (unsigned long long)ms, wrong);
	return wrong != 0;
}
