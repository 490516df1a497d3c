/* lwIP's operating-system types for the fuzz harnesses, in place of
 * runtime/lwip_port/arch/sys_arch.h (uk threads): one thread, so semaphores and mutexes are
 * counters and mailboxes are never used (frames go to ethernet_input directly, not through the
 * tcpip thread). */
#ifndef UK_FUZZ_LWIP_SYS_ARCH_H
#define UK_FUZZ_LWIP_SYS_ARCH_H

typedef struct {
	int count, valid;
} sys_sem_t;
typedef struct {
	int depth, valid;
} sys_mutex_t;
typedef struct {
	int valid;
} sys_mbox_t;
typedef int sys_thread_t;
typedef unsigned long sys_prot_t;

#endif
