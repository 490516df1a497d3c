/*
 * Processes, on a unikernel that is one program: the calls link and answer as a system
 * without them would, so ported programs need no stubs of their own. There is no other
 * process to create, run or wait for: fork, vfork, the exec family, wait and waitpid fail
 * with ENOSYS (ECHILD for wait: there are no children). The program runs as root (uid and gid
 * 0), its parent is the boot (pid 0). times() counts the time since boot as the program's
 * own CPU time (it has the core to itself), in clock ticks of CLOCKS_PER_SEC (picolibc's
 * clock() adds these up). getpid() and kill() are in libc/sys.c, system() in picolibc
 * (0 for system(NULL): no shell; -1 with ENOSYS for a command).
 */
#include <errno.h>
#include <stdarg.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <uk/time.h>

static int no_process(void)
{
	errno = ENOSYS;
	return -1;
}

pid_t fork(void)
{
	return no_process();
}

pid_t vfork(void)
{
	return no_process();
}

int execve(const char *path, char *const argv[], char *const envp[])
{
	(void)path, (void)argv, (void)envp;
	return no_process();
}

int execv(const char *path, char *const argv[])
{
	(void)path, (void)argv;
	return no_process();
}

int execvp(const char *file, char *const argv[])
{
	(void)file, (void)argv;
	return no_process();
}

int execvpe(const char *file, char *const argv[], char *const envp[])
{
	(void)file, (void)argv, (void)envp;
	return no_process();
}

int execl(const char *path, const char *arg, ...)
{
	(void)path, (void)arg;
	return no_process();
}

int execlp(const char *file, const char *arg, ...)
{
	(void)file, (void)arg;
	return no_process();
}

int execle(const char *path, const char *arg, ...)
{
	(void)path, (void)arg;
	return no_process();
}

pid_t wait(int *status)
{
	(void)status;
	errno = ECHILD;
	return -1;
}

pid_t waitpid(pid_t pid, int *status, int options)
{
	(void)pid, (void)status, (void)options;
	errno = ECHILD;
	return -1;
}

int pipe(int fds[2])
{
	(void)fds;
	return no_process(); /* only a child process could read the other end */
}

pid_t getppid(void)
{
	return 0;
}

pid_t getpgrp(void)
{
	return 1;
}

pid_t setsid(void)
{
	errno = EPERM; /* already the leader of the one session */
	return -1;
}

uid_t getuid(void)
{
	return 0;
}

uid_t geteuid(void)
{
	return 0;
}

gid_t getgid(void)
{
	return 0;
}

gid_t getegid(void)
{
	return 0;
}

int setuid(uid_t uid)
{
	if (uid == 0)
		return 0;
	errno = EINVAL; /* the only user there is */
	return -1;
}

int setgid(gid_t gid)
{
	if (gid == 0)
		return 0;
	errno = EINVAL;
	return -1;
}

clock_t times(struct tms *t)
{
	clock_t now = (clock_t)(uk_now_ns() / (1000000000u / CLOCKS_PER_SEC));
	if (t)
		*t = (struct tms){.tms_utime = now};
	return now;
}
