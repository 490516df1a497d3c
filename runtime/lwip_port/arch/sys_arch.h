/* lwIP's operating-system types for uk: semaphores, mutexes and mailboxes on uk's cooperative
 * threads (uk/thread.h). The functions are in lwip_port/sys_arch.c. */
#ifndef UK_LWIP_SYS_ARCH_H
#define UK_LWIP_SYS_ARCH_H

#include <stdbool.h>

#include <uk/thread.h>

typedef struct {
	struct uk_sem sem;
	bool valid;
} sys_sem_t;

/* Recursive: the event API takes the core lock around its calls, also from callbacks that
 * already run under it. */
typedef struct {
	struct uk_sem sem;
	struct uk_thread *owner;
	unsigned depth;
	bool valid;
} sys_mutex_t;

typedef struct {
	void **slot;
	unsigned size, head, count;
	struct uk_sem items, spaces;
	bool valid;
} sys_mbox_t;

typedef struct uk_thread *sys_thread_t;
typedef unsigned long sys_prot_t;

#endif
