/*
 * walltime: uk/time.h's wall clock in QEMU. Prints where the time came from and what it says:
 *   time.net=1     brings the network up first (SNTP starts with it)
 *   time.wait=S    waits up to S seconds for the time to be known (uk_walltime_wait)
 *   time.set=T     sets it to T seconds since 1970 with clock_settime, then reads it back
 *   time.sleep=1   nanosleep(250 ms), usleep(250 ms) and sleep(1), each measured with
 *                  clock_gettime(CLOCK_MONOTONIC) and CLOCK_REALTIME
 * and checks that clock_settime refuses bad arguments.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <uk/config.h>
#include <uk/net.h>
#include <uk/time.h>

static void report(const char *when)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	printf("time: %s: source %s, known %s, now %lld\n", when,
	       uk_walltime_source_name(uk_walltime_source()), uk_walltime_known() ? "yes" : "no",
	       (long long)time(NULL));
}

int main(void)
{
	report("at start");
	struct timespec bad = {-1, 0}, bad_ns = {5, 1000000000L};
	int e1 = clock_settime(CLOCK_REALTIME, &bad), e2 = clock_settime(CLOCK_REALTIME, &bad_ns);
	int e3 = clock_settime(CLOCK_MONOTONIC, &(struct timespec){5, 0});
	printf("time: bad settings refused: %s\n",
	       e1 && e2 && e3 && errno == EINVAL ? "yes" : "no");
	if (uk_config_get("time.net")) {
		int r = uk_net_start();
		if (r == 0)
			r = uk_net_wait_up(30000000000ull);
		printf("time: network %s\n", r ? "down" : "up");
	}
	long wait = uk_config_int("time.wait", 0);
	if (wait > 0) {
		int r = uk_walltime_wait((uint64_t)wait * 1000000000ull);
		if (r)
			printf("time: still unknown after %ld s\n", wait);
		report("after waiting");
	}
	if (uk_config_get("time.sleep")) {
		struct timespec a, b, ra, rb;
		for (int k = 0; k < 3; k++) {
			clock_gettime(CLOCK_MONOTONIC, &a);
			clock_gettime(CLOCK_REALTIME, &ra);
			if (k == 0)
				nanosleep(&(struct timespec){0, 250000000}, NULL);
			else if (k == 1)
				usleep(250000);
			else
				sleep(1);
			clock_gettime(CLOCK_MONOTONIC, &b);
			clock_gettime(CLOCK_REALTIME, &rb);
			long long mono =
			    (b.tv_sec - a.tv_sec) * 1000LL + (b.tv_nsec - a.tv_nsec) / 1000000;
			long long real =
			    (rb.tv_sec - ra.tv_sec) * 1000LL + (rb.tv_nsec - ra.tv_nsec) / 1000000;
			printf("time: %s slept %lld ms monotonic, %lld ms realtime\n",
			       k == 0	? "nanosleep(250 ms)"
			       : k == 1 ? "usleep(250 ms)"
					: "sleep(1)",
			       mono, real);
		}
	}
	const char *set = uk_config_get("time.set");
	if (set) {
		struct timespec ts = {(time_t)strtoll(set, NULL, 10), 0};
		clock_settime(CLOCK_REALTIME, &ts);
		report("after clock_settime");
	}
	return 0;
}
