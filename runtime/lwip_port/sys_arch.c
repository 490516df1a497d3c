/*
 * lwIP's system interface for uk (lwIP doc/sys_arch.txt): the millisecond clock, semaphores,
 * mutexes, mailboxes and threads on uk's cooperative threads. No lightweight protection
 * (SYS_LIGHTWEIGHT_PROT 0): threads are never preempted and interrupt handlers never call lwIP.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include <lwip/sys.h>
#include <uk/thread.h>
#include <uk/time.h>

#include "kernel.h"
#include "sysreg.h"

void sys_init(void) {}

u32_t sys_now(void)
{
	return (u32_t)(uk_now_ns() / 1000000u);
}

/* ---- semaphores ---- */
err_t sys_sem_new(sys_sem_t *sem, u8_t count)
{
	uk_sem_init(&sem->sem, count);
	sem->valid = true;
	return ERR_OK;
}

void sys_sem_free(sys_sem_t *sem)
{
	sem->valid = false;
}

void sys_sem_signal(sys_sem_t *sem)
{
	uk_sem_post(&sem->sem);
}

/* Returns the milliseconds waited, or SYS_ARCH_TIMEOUT. timeout 0: forever. */
u32_t sys_arch_sem_wait(sys_sem_t *sem, u32_t timeout_ms)
{
	uint64_t t0 = uk_now_ns();
	if (uk_sem_wait(&sem->sem, (uint64_t)timeout_ms * 1000000u) != 0)
		return SYS_ARCH_TIMEOUT;
	return (u32_t)((uk_now_ns() - t0) / 1000000u);
}

int sys_sem_valid(sys_sem_t *sem)
{
	return sem && sem->valid;
}

void sys_sem_set_invalid(sys_sem_t *sem)
{
	sem->valid = false;
}

/* ---- recursive mutexes ---- */
err_t sys_mutex_new(sys_mutex_t *m)
{
	uk_sem_init(&m->sem, 1);
	m->owner = NULL;
	m->depth = 0;
	m->valid = true;
	return ERR_OK;
}

void sys_mutex_lock(sys_mutex_t *m)
{
	struct uk_thread *self = uk_thread_current();
	if (m->owner == self) {
		m->depth++;
		return;
	}
	uk_sem_wait(&m->sem, 0);
	m->owner = self;
	m->depth = 1;
}

void sys_mutex_unlock(sys_mutex_t *m)
{
	if (--m->depth == 0) {
		m->owner = NULL;
		uk_sem_post(&m->sem);
	}
}

void sys_mutex_free(sys_mutex_t *m)
{
	m->valid = false;
}

int sys_mutex_valid(sys_mutex_t *m)
{
	return m && m->valid;
}

void sys_mutex_set_invalid(sys_mutex_t *m)
{
	m->valid = false;
}

/* ---- mailboxes: a ring of pointers counted by two semaphores ---- */
err_t sys_mbox_new(sys_mbox_t *mb, int size)
{
	if (size <= 0)
		size = 64;
	mb->slot = calloc((size_t)size, sizeof(void *));
	if (!mb->slot)
		return ERR_MEM;
	mb->size = (unsigned)size;
	mb->head = mb->count = 0;
	uk_sem_init(&mb->items, 0);
	uk_sem_init(&mb->spaces, (unsigned long)size);
	mb->valid = true;
	return ERR_OK;
}

static void put(sys_mbox_t *mb, void *msg)
{
	uint64_t daif = irq_save();
	mb->slot[(mb->head + mb->count) % mb->size] = msg;
	mb->count++;
	irq_restore(daif);
	uk_sem_post(&mb->items);
}

static void *get(sys_mbox_t *mb)
{
	uint64_t daif = irq_save();
	void *msg = mb->slot[mb->head];
	mb->head = (mb->head + 1) % mb->size;
	mb->count--;
	irq_restore(daif);
	uk_sem_post(&mb->spaces);
	return msg;
}

void sys_mbox_post(sys_mbox_t *mb, void *msg)
{
	uk_sem_wait(&mb->spaces, 0);
	put(mb, msg);
}

err_t sys_mbox_trypost(sys_mbox_t *mb, void *msg)
{
	if (uk_sem_trywait(&mb->spaces) != 0)
		return ERR_MEM;
	put(mb, msg);
	return ERR_OK;
}

err_t sys_mbox_trypost_fromisr(sys_mbox_t *mb, void *msg)
{
	return sys_mbox_trypost(mb, msg);
}

u32_t sys_arch_mbox_fetch(sys_mbox_t *mb, void **msg, u32_t timeout_ms)
{
	uint64_t t0 = uk_now_ns();
	if (uk_sem_wait(&mb->items, (uint64_t)timeout_ms * 1000000u) != 0)
		return SYS_ARCH_TIMEOUT;
	void *m = get(mb);
	if (msg)
		*msg = m;
	return (u32_t)((uk_now_ns() - t0) / 1000000u);
}

u32_t sys_arch_mbox_tryfetch(sys_mbox_t *mb, void **msg)
{
	if (uk_sem_trywait(&mb->items) != 0)
		return SYS_MBOX_EMPTY;
	void *m = get(mb);
	if (msg)
		*msg = m;
	return 0;
}

void sys_mbox_free(sys_mbox_t *mb)
{
	free(mb->slot);
	mb->slot = NULL;
	mb->valid = false;
}

int sys_mbox_valid(sys_mbox_t *mb)
{
	return mb && mb->valid;
}

void sys_mbox_set_invalid(sys_mbox_t *mb)
{
	mb->valid = false;
}

/* ---- threads (lwIP's tcpip thread) ---- */
sys_thread_t sys_thread_new(const char *name, lwip_thread_fn fn, void *arg, int stacksize, int prio)
{
	(void)prio; /* cooperative: no priorities */
	struct uk_thread *t = uk_thread_create(name, fn, arg, (size_t)stacksize);
	if (!t)
		panic("lwIP: cannot create thread %s", name);
	uk_thread_detach(t);
	return t;
}

/*
 * Every app that links lwIP links this file, so it is what links uk's network bring-up
 * (net/autostart.c) into them, for kernel/boot.c's weak reference to find: a link-time
 * reference only, the port calls nothing of uk's network API. Unreferenced, it is then
 * dropped by --gc-sections.
 */
extern void uk_net_autostart(void);
__attribute__((used)) static void (*const link_net_autostart)(void) = uk_net_autostart;

void uk_lwip_assert(const char *msg, const char *file, int line)
{
	panic("lwIP assertion \"%s\" failed at %s:%d", msg, file, line);
}
