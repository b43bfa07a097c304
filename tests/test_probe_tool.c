/* tests/test_probe_tool.c - tools/uring-probe runs on this kernel, exits 0
 * and names the opcodes Rocket depends on; --explain measures the features
 * Rocket uses and ends with a verdict; unknown arguments exit 2. The binary
 * is found in $ROCKET_BUILD (set by `make test`), else in build/. */
#include "harness.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Run `uring-probe args` (stderr too) into out; returns its exit status,
 * or -1 when it did not exit normally. */
static int run_probe(const char *args, char *cmd, size_t cmdcap, char *out, size_t cap)
{
	const char *dir = getenv("ROCKET_BUILD");
	snprintf(cmd, cmdcap, "%s/uring-probe%s%s 2>&1", dir && *dir ? dir : "build",
		 *args ? " " : "", args);
	FILE *f = popen(cmd, "r");
	CHECK(f);
	size_t n = fread(out, 1, cap - 1, f);
	out[n] = 0;
	int st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

TEST(uring_probe_runs_and_names_nop_and_msg_ring)
{
	char cmd[4096];
	static char out[1 << 16];
	int st = run_probe("", cmd, sizeof(cmd), out, sizeof(out));
	CHECK_MSG(st == 0, "`%s` exited with status %d:\n%s", cmd, st, out);
	CHECK_MSG(strstr(out, " NOP "), "no NOP in:\n%s", out);
	CHECK_MSG(strstr(out, " MSG_RING "), "no MSG_RING in:\n%s", out);
	CHECK(strstr(out, "kernel "));
	CHECK(strstr(out, "DEFER_TASKRUN"));
	CHECK(strstr(out, "IOU_PBUF_RING_INC"));
	CHECK(strstr(out, "RECVSEND_BUNDLE"));
}

/* --explain: one line per feature Rocket uses, then the verdict. On a
 * kernel Rocket runs on (the one the tests run on) it exits 0. */
TEST(uring_probe_explain_names_features_and_verdict)
{
	char cmd[4096];
	static char out[1 << 16];
	int st = run_probe("--explain", cmd, sizeof(cmd), out, sizeof(out));
	CHECK_MSG(st == 0, "`%s` exited with status %d:\n%s", cmd, st, out);
	CHECK_MSG(strstr(out, "  DEFER_TASKRUN "), "no DEFER_TASKRUN line in:\n%s", out);
	CHECK_MSG(strstr(out, "  MSG_RING "), "no MSG_RING line in:\n%s", out);
	/* Direct descriptors: measured end to end (6.0+ here). */
	const char *sfd = strstr(out, "  MSG_SEND_FD ");
	CHECK_MSG(sfd && !strncmp(sfd + 2 + 20 + 1 + 5 + 1, "yes ", 4) &&
			  strstr(sfd, "direct descriptors"),
		  "no MSG_SEND_FD yes line in:\n%s", out);
	CHECK_MSG(strstr(out, "what Rocket does"), "no column header in:\n%s", out);
	const char *v = strstr(out, "\nverdict: Rocket ");
	CHECK_MSG(v, "no verdict line in:\n%s", out);
	CHECK_MSG(strstr(v, "runs on this kernel"), "exit 0 but the verdict says:\n%s", v);
	/* The verdict is the last line. */
	CHECK_MSG(!strchr(strchr(v + 1, '\n') + 1, '\n'), "output after the verdict:\n%s", v);
	/* The plain probe's tables are not repeated. */
	CHECK(!strstr(out, "opcodes (IORING_REGISTER_PROBE)"));
}

TEST(uring_probe_rejects_unknown_arguments)
{
	char cmd[4096];
	static char out[1 << 16];
	int st = run_probe("--bogus", cmd, sizeof(cmd), out, sizeof(out));
	CHECK_MSG(st == 2, "`%s` exited with status %d:\n%s", cmd, st, out);
	CHECK_MSG(strstr(out, "usage: uring-probe"), "no usage message in:\n%s", out);
	CHECK_MSG(strstr(out, "--bogus"), "the bad argument is not named in:\n%s", out);
	st = run_probe("--help", cmd, sizeof(cmd), out, sizeof(out));
	CHECK_MSG(st == 0 && strstr(out, "--explain"), "`%s`: status %d:\n%s", cmd, st, out);
}

/* The file operations of --root are listed, and every feature says what
 * Rocket would do without it - on this kernel too, which has them all. */
TEST(uring_probe_explain_lists_the_file_ops_and_every_fallback)
{
	char cmd[4096];
	static char out[1 << 16];
	int st = run_probe("--explain", cmd, sizeof(cmd), out, sizeof(out));
	CHECK_MSG(st == 0, "`%s` exited with status %d:\n%s", cmd, st, out);
	const char *ops[] = { "  OPENAT2 ", "  STATX ", "  READ ", "  SEND_ZC " };
	for (unsigned i = 0; i < 4; i++) {
		const char *l = strstr(out, ops[i]);
		CHECK_MSG(l && strstr(l, " yes "), "no measured %s line in:\n%s", ops[i], out);
	}
	CHECK(strstr(out, "RESOLVE_BENEATH"));
	/* One "without it:" line under each feature line. */
	int features = 0, withouts = 0;
	for (const char *l = strstr(out, "here what Rocket does\n"); l && (l = strchr(l, '\n'));
	     l++) {
		if (!strncmp(l + 1, "  ", 2) && l[3] != ' ')
			features++;
		else if (strstr(l + 1, " without it: ") &&
			 strstr(l + 1, " without it: ") < strchr(l + 1, '\n'))
			withouts++;
	}
	CHECK_MSG(features >= 20 && withouts == features, "%d features, %d fallbacks:\n%s",
		  features, withouts, out);
}

/* io_uring_setup refused as a container's seccomp profile does (EPERM),
 * or as a kernel without io_uring would (ENOSYS): the probe tells which. */
static int run_blocked(int err, char *out, size_t cap)
{
	int pfd[2];
	CHECK(pipe(pfd) == 0);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		struct sock_filter f[] = {
			BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (unsigned)err),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		};
		struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
		    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
			_exit(125);
		const char *dir = getenv("ROCKET_BUILD");
		char bin[512];
		snprintf(bin, sizeof(bin), "%s/uring-probe", dir && *dir ? dir : "build");
		execl(bin, bin, "--explain", (char *)0);
		_exit(126);
	}
	close(pfd[1]);
	size_t n = 0;
	ssize_t k;
	while (n < cap - 1 && (k = read(pfd[0], out + n, cap - 1 - n)) > 0)
		n += (size_t)k;
	out[n] = 0;
	close(pfd[0]);
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

TEST(uring_probe_tells_a_seccomp_block_from_a_missing_io_uring)
{
	static char out[1 << 14];
	int st = run_blocked(EPERM, out, sizeof(out));
	CHECK_MSG(st == 1 && strstr(out, "EPERM") && strstr(out, "seccomp") &&
			  strstr(out, "io_uring is forbidden"),
		  "status %d:\n%s", st, out);
	st = run_blocked(ENOSYS, out, sizeof(out));
	CHECK_MSG(st == 1 && strstr(out, "ENOSYS") && strstr(out, "no io_uring in this kernel") &&
			  !strstr(out, "blocked"),
		  "status %d:\n%s", st, out);
}
