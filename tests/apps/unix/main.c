/*
 * What a unikernel cannot honour, as an unmodified program meets it: each call links and
 * answers with a sane value or a clear errno (tests/programs.bats). Prints one line per failed
 * check and "unix: N failures". With the argument "abort", ends through raise(SIGABRT).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

static int failures;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			printf("unix: failed: %s (errno %d)\n", #cond, errno);                     \
			failures++;                                                                \
		}                                                                                  \
	} while (0)
#define FAILS(call, err) CHECK((errno = 0, (call) == -1) && errno == (err))

static int usr1;
static void on_usr1(int sig)
{
	usr1 += sig == SIGUSR1;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "abort")) {
		printf("unix: raising SIGABRT\n");
		raise(SIGABRT);
		printf("unix: still here\n");
		return 0;
	}
	char *const av[] = {"sh", "-c", "true", NULL};
	FAILS(fork(), ENOSYS);
	FAILS(vfork(), ENOSYS);
	FAILS(execve("/bin/sh", av, NULL), ENOSYS);
	FAILS(execv("/bin/sh", av), ENOSYS);
	FAILS(execvp("sh", av), ENOSYS);
	CHECK(system(NULL) == 0); /* no shell */
	FAILS(system("true"), ENOSYS);
	FAILS(wait(NULL), ECHILD);
	FAILS(waitpid(-1, NULL, 0), ECHILD);
	int fds[2];
	FAILS(pipe(fds), ENOSYS);
	CHECK(getpid() == 1 && getppid() == 0);
	CHECK(getuid() == 0 && geteuid() == 0 && getgid() == 0 && getegid() == 0);

	struct tms t0, t1;
	clock_t c0 = times(&t0);
	struct timespec ms20 = {0, 20000000};
	nanosleep(&ms20, NULL);
	clock_t c1 = times(&t1);
	CHECK(c0 != (clock_t)-1 && c1 - c0 >= CLOCKS_PER_SEC / 50 &&
	      t1.tms_utime - t0.tms_utime >= CLOCKS_PER_SEC / 50);
	CHECK(sysconf(_SC_CLK_TCK) == CLOCKS_PER_SEC && clock() >= c1);
	CHECK(sysconf(_SC_NPROCESSORS_ONLN) == 1 && sysconf(_SC_PAGESIZE) == 4096);
	CHECK(sysconf(_SC_OPEN_MAX) > 200);
	FAILS(sysconf(-1), EINVAL);

	CHECK(umask(077) == 022 && umask(022) == 077);
	FILE *f = fopen("x.txt", "w"); /* in /tmp, the current directory */
	CHECK(f && fputs("x\n", f) >= 0);
	CHECK(chmod("x.txt", 0600) == 0 && chown("x.txt", 0, 0) == 0);
	CHECK(fchmod(fileno(f), 0644) == 0 && fchown(fileno(f), 0, 0) == 0);
	struct utimbuf ut = {1000, 2000};
	CHECK(utime("/tmp/x.txt", &ut) == 0);
	FAILS(chmod("missing.txt", 0600), ENOENT);
	FAILS(utime("missing.txt", &ut), ENOENT);
	FAILS(link("x.txt", "y.txt"), EPERM);
	FAILS(link("missing.txt", "y.txt"), ENOENT);
	FAILS(symlink("x.txt", "y.txt"), EPERM);
	char buf[64];
	FAILS(readlink("x.txt", buf, sizeof buf), EINVAL);
	FAILS(readlink("missing.txt", buf, sizeof buf), ENOENT);
	FAILS(dup(fileno(f)), ENOSYS);
	FAILS(dup(1), ENOSYS);
	FAILS(dup(99), EBADF);
	CHECK(dup2(1, 1) == 1);
	FAILS(dup2(fileno(f), 1), ENOSYS);
	CHECK(fclose(f) == 0 && remove("x.txt") == 0);
	CHECK(isatty(1) && !isatty(99));

	struct sigaction sa = {.sa_handler = on_usr1}, old;
	CHECK(sigaction(SIGUSR1, &sa, &old) == 0 && old.sa_handler == SIG_DFL);
	CHECK(raise(SIGUSR1) == 0 && raise(SIGUSR1) == 0 && usr1 == 2); /* stays installed */
	CHECK(sigaction(SIGUSR1, NULL, &old) == 0 && old.sa_handler == on_usr1);
	CHECK(signal(SIGUSR1, SIG_DFL) == on_usr1 && signal(SIGUSR1, SIG_DFL) == SIG_DFL);
	CHECK(signal(SIGUSR1, on_usr1) == SIG_DFL && kill(getpid(), SIGUSR1) == 0 && usr1 == 3);
	CHECK(signal(SIGINT, SIG_IGN) == SIG_DFL && raise(SIGINT) == 0);
	FAILS(sigaction(SIGKILL, &sa, NULL), EINVAL);
	sigset_t set, was;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	CHECK(sigprocmask(SIG_BLOCK, &set, &was) == 0 && sigprocmask(SIG_SETMASK, &was, NULL) == 0);

	for (int i = 0; i < argc; i++)
		printf("unix: argv[%d] <%s>\n", i, argv[i]);
	printf("unix: %d failures\n", failures);
	return failures != 0;
}
