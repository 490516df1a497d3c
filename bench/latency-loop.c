/* bench/latency-loop.c: the ticker's periodic deadline loop as a Linux program (the native host
 * floor, and the Debian guest's row): N deadlines PERIOD_US apart, each the previous one plus the
 * period, slept to with clock_nanosleep(TIMER_ABSTIME); prints the lateness like the ticker:
 * "worst W us, mean M us, p99 P us" (microseconds, integers). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int cmp(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	long period_ns = (argc > 1 ? atol(argv[1]) : 1000) * 1000;
	long n = argc > 2 ? atol(argv[2]) : 1000;
	long *late = calloc((size_t)n, sizeof(*late));
	if (!late || period_ns <= 0 || n <= 0)
		return 2;
	struct timespec next, now;
	clock_gettime(CLOCK_MONOTONIC, &next);
	long long total = 0, worst = 0;
	for (long i = 0; i < n; i++) {
		next.tv_nsec += period_ns;
		while (next.tv_nsec >= 1000000000) {
			next.tv_nsec -= 1000000000;
			next.tv_sec++;
		}
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL))
			;
		clock_gettime(CLOCK_MONOTONIC, &now);
		late[i] = (now.tv_sec - next.tv_sec) * 1000000000L + (now.tv_nsec - next.tv_nsec);
		total += late[i];
		if (late[i] > worst)
			worst = late[i];
	}
	qsort(late, (size_t)n, sizeof(*late), cmp);
	printf("worst %lld us, mean %lld us, p99 %ld us\n", worst / 1000, total / n / 1000,
	       late[(n * 99 + 99) / 100 - 1] / 1000);
	return 0;
}
