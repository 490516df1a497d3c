/* spawn.c: runs tools with fork/exec and an argv vector; never through a shell. */
#define _GNU_SOURCE
#include "uk.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int verbose;
int tool_missing;
volatile sig_atomic_t stop_children;

void request_stop(int sig)
{
	(void)sig;
	stop_children = 1;
}

pid_t spawn(char *const argv[], const struct spawn_opts *o)
{
	int errpipe[2];
	if (pipe2(errpipe, O_CLOEXEC) < 0)
		return -1;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		close(errpipe[0]);
		close(errpipe[1]);
		return -1;
	}
	if (pid == 0) {
		if (o && o->cwd && chdir(o->cwd) < 0)
			goto fail;
		if (o && o->out_path) {
			int fd = open(o->out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
			if (fd < 0 || dup2(fd, 1) < 0)
				goto fail;
			close(fd);
		} else if (o && o->out_fd >= 0) {
			if (dup2(o->out_fd, 1) < 0)
				goto fail;
		}
		/* no tool may wait for an answer: uk's own stdin is not theirs (uk run's QEMU
		 * keeps it, for the console) */
		if (!o || !o->keep_stdin) {
			int fd = open("/dev/null", O_RDONLY);
			if (fd >= 0) {
				dup2(fd, 0);
				close(fd);
			}
		}
		if (o && o->quiet_err) {
			int fd = open("/dev/null", O_WRONLY);
			if (fd >= 0) {
				dup2(fd, 2);
				close(fd);
			}
		}
		if (o && o->env)
			for (char **e = o->env; *e; e++)
				putenv(*e);
		execvp(argv[0], argv);
	fail:;
		int e = errno;
		if (write(errpipe[1], &e, sizeof e) < 0) {
		}
		_exit(127);
	}
	close(errpipe[1]);
	int e;
	ssize_t r = read(errpipe[0], &e, sizeof e);
	close(errpipe[0]);
	if (r == sizeof e) {
		waitpid(pid, NULL, 0);
		errno = e;
		return -1;
	}
	return pid;
}

static double mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Waits for pid. Once uk is told to stop (stop_children), the child gets SIGTERM, and SIGKILL
 * STOP_GRACE seconds later: a tool that ignores SIGTERM and loops (mcopy on a name clash) must
 * not keep uk waiting. The wait polls a pidfd, so a waiter in any thread sees the flag. */
#define STOP_GRACE 2.0
int wait_status(pid_t pid)
{
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0), st;
	double term_at = 0;
	for (;;) {
		pid_t r = waitpid(pid, &st, pfd >= 0 ? WNOHANG : 0);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR) {
			if (pfd >= 0)
				close(pfd);
			return -1;
		}
		if (stop_children) {
			if (!term_at) {
				kill(pid, SIGTERM);
				term_at = mono_now();
			} else if (mono_now() - term_at >= STOP_GRACE) {
				kill(pid, SIGKILL);
			}
		}
		if (pfd >= 0) {
			struct pollfd p = {.fd = pfd, .events = POLLIN};
			poll(&p, 1, 100);
		}
	}
	if (pfd >= 0)
		close(pfd);
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + WTERMSIG(st);
}

/* Prints a command so that it can be pasted into a shell. */
static void print_argv(char *const argv[])
{
	fputs("+", stderr);
	for (char *const *a = argv; *a; a++) {
		if (**a && !strpbrk(*a, " \t\"'$\\*?;&|<>()`"))
			fprintf(stderr, " %s", *a);
		else if (!strchr(*a, '\''))
			fprintf(stderr, " '%s'", *a);
		else
			fprintf(stderr, " \"%s\"", *a);
	}
	fputc('\n', stderr);
}

void print_cmd(const struct strlist *argv)
{
	print_argv(argv->v);
}

/* Returns the exit status, or -1 (with a message) when the program cannot start. */
int run(char *const argv[], const struct spawn_opts *o)
{
	if (verbose)
		print_argv(argv);
	pid_t pid = spawn(argv, o);
	if (pid < 0) {
		int e = errno;
		error("cannot run %s: %s", argv[0], strerror(e));
		if (e == ENOENT) {
			tool_missing = 1;
			hint("run 'uk doctor' to see what to install");
		}
		return -1;
	}
	return wait_status(pid);
}

char *run_capture(char *const argv[], int *status)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return NULL;
	struct spawn_opts o = {.out_fd = p[1], .quiet_err = 1};
	pid_t pid = spawn(argv, &o);
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		if (status)
			*status = -1;
		return NULL;
	}
	size_t cap = 4096, n = 0;
	char *buf = xmalloc(cap);
	ssize_t r;
	while ((r = read(p[0], buf + n, cap - n - 1)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		n += (size_t)r;
		if (cap - n - 1 == 0)
			buf = xrealloc(buf, cap *= 2);
	}
	close(p[0]);
	buf[n] = 0;
	int st = wait_status(pid);
	if (status)
		*status = st;
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = 0;
	return buf;
}

char *find_program(const char *name)
{
	if (strchr(name, '/'))
		return access(name, X_OK) == 0 ? xstrdup(name) : NULL;
	const char *path = getenv("PATH");
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	char *copy = xstrdup(path), *save = NULL;
	for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		char *p = path_join(d, name);
		struct stat st;
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0) {
			free(copy);
			return p;
		}
		free(p);
	}
	free(copy);
	return NULL;
}

int have_program(const char *name)
{
	char *p = find_program(name);
	free(p);
	return p != NULL;
}
