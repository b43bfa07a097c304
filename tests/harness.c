/* tests/harness.c - runs every TEST() of one binary, each in a forked child.
 * See harness.h. `./test_x name` runs only the tests whose name contains it.
 */

#include "harness.h"

#include <signal.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <unistd.h>

static struct th_test *th_head, **th_tail = &th_head;

void th_register(struct th_test *t)
{
	*th_tail = t;
	th_tail = &t->next;
}

void th_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "  %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	_exit(1);
}

static int th_run(struct th_test *t)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		return 0;
	}
	if (pid == 0) {
		alarm(t->timeout_s);
		t->fn();
		fflush(stdout);
		_exit(0);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		printf("ok %s\n", t->name);
		return 1;
	}
	if (WIFSIGNALED(st))
		printf("FAIL %s: killed by signal %d%s\n", t->name, WTERMSIG(st),
		       WTERMSIG(st) == SIGALRM ? " (timeout)" : "");
	else
		printf("FAIL %s: exit %d\n", t->name, WEXITSTATUS(st));
	return 0;
}

int main(int argc, char **argv)
{
	int passed = 0, failed = 0;
	signal(SIGPIPE, SIG_IGN);
	for (struct th_test *t = th_head; t; t = t->next) {
		if (argc > 1 && !strstr(t->name, argv[1]))
			continue;
		if (th_run(t))
			passed++;
		else
			failed++;
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
