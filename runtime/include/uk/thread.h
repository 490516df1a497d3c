/*
 * uk/thread.h: cooperative threads and semaphores.
 *
 *     #include <stdio.h>
 *     #include <uk/thread.h>
 *
 *     static struct uk_sem ready;
 *     static int value;
 *
 *     static void producer(void *arg)
 *     {
 *             value = *(int *)arg;
 *             uk_sem_post(&ready);                        // wakes main; does not switch
 *     }                                                   // returning = uk_thread_exit()
 *
 *     int main(void)
 *     {
 *             int x = 42;
 *             uk_sem_init(&ready, 0);
 *             struct uk_thread *t = uk_thread_create("producer", producer, &x, 0);
 *             if (!t)
 *                     return 1;                           // errno: ENOMEM or EINVAL
 *             if (uk_sem_wait(&ready, 1000000000) != 0)   // 1 s; 0 would wait forever
 *                     return 2;                           // -ETIMEDOUT
 *             uk_thread_join(t);                          // frees its stack
 *             printf("got %d\n", value);
 *             return 0;
 *     }
 *
 * Threads are cooperative: one runs until it blocks (uk_sem_wait, uk_thread_sleep_until,
 * nanosleep, usleep, sleep, uk_thread_join) or calls uk_thread_yield(); no thread is ever
 * preempted, so data shared only between threads needs no lock. Interrupt handlers and timer
 * callbacks (interrupt context) do run at any time: they may only call uk_sem_post() and
 * uk_thread_current(). Runnable threads run in FIFO order. main() is the first thread, on the
 * boot stack; when main returns the app exits, whatever other threads still exist. When no
 * thread can run, the core sleeps in WFI until an interrupt makes one runnable.
 *
 * errno is per thread (each thread has its own TLS block). A thread's stack comes from the heap
 * without a guard page: a canary word at its bottom is checked at every switch and a dead one
 * panics naming the thread. uk_wait() and console input (getchar) still stop the whole core.
 */
#ifndef UK_THREAD_H
#define UK_THREAD_H

#include <stddef.h>
#include <stdint.h>

struct uk_thread; /* opaque */

#define UK_THREAD_STACK_DEFAULT (16 * 1024) /* stack_size 0 */
#define UK_THREAD_STACK_MIN	(4 * 1024)

/*
 * A new runnable thread that will call fn(arg); returning from fn ends the thread. stack_size
 * 0 means UK_THREAD_STACK_DEFAULT. The new thread first runs when the caller blocks or yields.
 * NULL with errno = EINVAL (fn NULL, stack_size below UK_THREAD_STACK_MIN) or ENOMEM.
 * Thread context only. The name is copied (up to 31 characters).
 */
struct uk_thread *uk_thread_create(const char *name, void (*fn)(void *arg), void *arg,
				   size_t stack_size);
/* Lets every other runnable thread run once, then returns. Thread context only. */
void uk_thread_yield(void);
/* Ends the calling thread. From main it does not exit the app: the app exits (status 0) when
 * the last thread ends. Thread context only. */
__attribute__((noreturn)) void uk_thread_exit(void);
/* The running thread (in interrupt context: the interrupted one). Any context. */
struct uk_thread *uk_thread_current(void);
/* The name given at creation ("main" for main). Any context. */
const char *uk_thread_name(const struct uk_thread *t);
/* Waits until t has ended, then frees it. Once per thread, not for a detached thread, main, or
 * the caller itself (those return -EINVAL). Returns 0. Thread context only. */
int uk_thread_join(struct uk_thread *t);
/* Nobody will join t: it is freed as soon as it ends (t must not be used after this). Returns
 * 0, or -EINVAL for main or a thread already joined or detached. Thread context only. */
int uk_thread_detach(struct uk_thread *t);
/* Blocks the calling thread until uk_now_ns() >= deadline_ns; other threads run meanwhile.
 * Thread context only (main before any other thread exists included). */
void uk_thread_sleep_until(uint64_t deadline_ns);

/* A counting semaphore. The fields are private; set it up with uk_sem_init. */
struct uk_sem {
	volatile unsigned long count;
	struct uk_thread *head, *tail; /* waiting threads, FIFO */
};

/* Not while threads wait on sem. Any context. */
void uk_sem_init(struct uk_sem *sem, unsigned long count);
/*
 * Takes one unit of sem, blocking the calling thread while there is none. timeout_ns is
 * relative; 0 waits forever. Returns 0, or -ETIMEDOUT when the timeout passed first (no unit
 * taken). Waiters are served in FIFO order. Thread context only.
 */
int uk_sem_wait(struct uk_sem *sem, uint64_t timeout_ns);
/* Takes one unit if one is there, without blocking: 0 or -EAGAIN. Any context. */
int uk_sem_trywait(struct uk_sem *sem);
/*
 * Gives one unit to sem: to the first waiting thread, which becomes runnable (it runs when the
 * caller blocks or yields, or at once if the core was idle), or to the count. Any context,
 * interrupt handlers and timer callbacks included.
 */
void uk_sem_post(struct uk_sem *sem);

#endif
