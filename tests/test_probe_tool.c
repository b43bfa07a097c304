/* tests/test_probe_tool.c - tools/uring-probe runs on this kernel, exits 0
 * and names the opcodes Rocket depends on; --explain measures the features
 * Rocket uses and ends with a verdict; unknown arguments exit 2. The binary
 * is found in $ROCKET_BUILD (set by `make test`), else in build/. */
#include "harness.h"

#include <sys/wait.h>

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
		  strstr(sfd, "direct descriptors"), "no MSG_SEND_FD yes line in:\n%s", out);
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
