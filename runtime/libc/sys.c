/*
 * picolibc's system interface: stdio on the console, sbrk over the heap, the clocks, sleeping
 * and exit. An app that uses printf, malloc, clock_gettime and nanosleep needs no uk header.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <uk/thread.h>
#include <uk/time.h>

#include "kernel.h"

static int console_put(char c, FILE *f)
{
	(void)f;
	console_write(&c, 1);
	return (unsigned char)c;
}

static int console_get(FILE *f)
{
	(void)f;
	return console_getc();
}

static FILE console_stream = FDEV_SETUP_STREAM(console_put, console_get, NULL, _FDEV_SETUP_RW);
FILE *const stdin = &console_stream;
FILE *const stdout = &console_stream;
FILE *const stderr = &console_stream;

void *sbrk(ptrdiff_t incr)
{
	return heap_grow(&uk_heap, incr);
}

/* CLOCK_REALTIME is kernel/walltime.c's clock: from the RTC, SNTP or the app once one set it
 * (uk_walltime_known()), from 1970-01-01 at reset before. */
int clock_gettime(clockid_t clk, struct timespec *ts)
{
	if (clk != CLOCK_MONOTONIC && clk != CLOCK_REALTIME) {
		errno = EINVAL;
		return -1;
	}
	uint64_t ns = clk == CLOCK_REALTIME ? walltime_now_ns() : uk_now_ns();
	ts->tv_sec = (time_t)(ns / 1000000000u);
	ts->tv_nsec = (long)(ns % 1000000000u);
	return 0;
}

int clock_settime(clockid_t clk, const struct timespec *ts)
{
	if (clk != CLOCK_REALTIME || ts->tv_sec < 0 || ts->tv_nsec < 0 ||
	    ts->tv_nsec >= 1000000000L) {
		errno = EINVAL;
		return -1;
	}
	walltime_set((uint64_t)ts->tv_sec * 1000000000u + (uint64_t)ts->tv_nsec, UK_WALLTIME_APP);
	return 0;
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
	(void)tz;
	uint64_t ns = walltime_now_ns();
	tv->tv_sec = (time_t)(ns / 1000000000u);
	tv->tv_usec = (suseconds_t)((ns % 1000000000u) / 1000u);
	return 0;
}

int settimeofday(const struct timeval *tv, const struct timezone *tz)
{
	(void)tz;
	if (!tv || tv->tv_sec < 0 || tv->tv_usec < 0 || tv->tv_usec >= 1000000) {
		errno = EINVAL;
		return -1;
	}
	walltime_set((uint64_t)tv->tv_sec * 1000000000u + (uint64_t)tv->tv_usec * 1000u,
		     UK_WALLTIME_APP);
	return 0;
}

/* The sleeps block only the calling thread (uk/thread.h); thread context only. */
int nanosleep(const struct timespec *req, struct timespec *rem)
{
	if (req->tv_sec < 0 || req->tv_nsec < 0 || req->tv_nsec >= 1000000000L) {
		errno = EINVAL;
		return -1;
	}
	uk_thread_sleep_until(uk_now_ns() + (uint64_t)req->tv_sec * 1000000000u +
			      (uint64_t)req->tv_nsec);
	if (rem)
		rem->tv_sec = rem->tv_nsec = 0;
	return 0;
}

unsigned sleep(unsigned seconds)
{
	uk_thread_sleep_until(uk_now_ns() + (uint64_t)seconds * 1000000000u);
	return 0;
}

int usleep(useconds_t us)
{
	uk_thread_sleep_until(uk_now_ns() + (uint64_t)us * 1000u);
	return 0;
}

void _exit(int status)
{
	uk_halt(status);
}

/* One program and no processes: the program is pid 1, and kill() of itself is raise()
 * (libc/signal.c: its handler, or the default action, which ends the program with 128 + the
 * signal's number, as a shell would report it). */
pid_t getpid(void)
{
	return 1;
}

int kill(pid_t pid, int sig)
{
	if (pid != 1 && pid != 0 && pid != -1) {
		errno = ESRCH;
		return -1;
	}
	if (sig == 0)
		return 0;
	return raise(sig);
}
