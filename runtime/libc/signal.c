/*
 * Signals, on a unikernel with no other process to send one: only the program itself raises
 * them (raise(), abort(), kill() of its own pid), and they are delivered at once, on the
 * raising thread. Handlers stay installed after a delivery (signal() as on Linux and the BSDs,
 * and sigaction()); picolibc's struct sigaction has sa_handler, sa_mask and sa_flags. The mask
 * has nothing to hold back, so sigprocmask() only records it. A signal with no handler takes
 * its default action: SIGCHLD, SIGURG, SIGWINCH and SIGCONT are ignored, any other ends the
 * program with status 128 + its number, as a shell reports it (raise(SIGABRT) ends it like
 * abort()). These replace picolibc's signal() and raise(), which reset a handler once it ran.
 */
#include <errno.h>
#include <signal.h>
#include <unistd.h>

#include "kernel.h"

static _sig_func_ptr handlers[NSIG]; /* 0 is SIG_DFL */
static sigset_t mask;

static int bad_signal(void)
{
	errno = EINVAL;
	return -1;
}

int sigaction(int sig, const struct sigaction *restrict act, struct sigaction *restrict old)
{
	if (sig <= 0 || sig >= NSIG || (act && (sig == SIGKILL || sig == SIGSTOP)))
		return bad_signal();
	if (old)
		*old = (struct sigaction){.sa_handler = handlers[sig]};
	if (act)
		handlers[sig] = act->sa_handler;
	return 0;
}

_sig_func_ptr signal(int sig, _sig_func_ptr handler)
{
	struct sigaction act = {.sa_handler = handler}, old;
	if (sigaction(sig, &act, &old) < 0)
		return SIG_ERR;
	return old.sa_handler;
}

int raise(int sig)
{
	if (sig <= 0 || sig >= NSIG)
		return bad_signal();
	_sig_func_ptr h = handlers[sig];
	if (h == SIG_IGN)
		return 0;
	if (h != SIG_DFL) {
		h(sig);
		return 0;
	}
	if (sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH || sig == SIGCONT)
		return 0;
	kprintf("uk: exiting on signal %d\n", sig);
	_exit(128 + sig);
}

int sigprocmask(int how, const sigset_t *restrict set, sigset_t *restrict old)
{
	if (old)
		*old = mask;
	if (!set)
		return 0;
	switch (how) {
	case SIG_BLOCK:
		mask |= *set;
		break;
	case SIG_UNBLOCK:
		mask &= ~*set;
		break;
	case SIG_SETMASK:
		mask = *set;
		break;
	default:
		return bad_signal();
	}
	return 0;
}

int pthread_sigmask(int how, const sigset_t *restrict set, sigset_t *restrict old)
{
	return sigprocmask(how, set, old) ? errno : 0;
}

int sigpending(sigset_t *set)
{
	*set = 0; /* delivered at once, never pending */
	return 0;
}
