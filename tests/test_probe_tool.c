/* tests/test_probe_tool.c - tools/uring-probe runs on this kernel, exits 0
 * and names the opcodes Rocket depends on. The binary is found in
 * $ROCKET_BUILD (set by `make test`), else in build/. */
#include "harness.h"

#include <sys/wait.h>

TEST(uring_probe_runs_and_names_nop_and_msg_ring)
{
	const char *dir = getenv("ROCKET_BUILD");
	char cmd[4096];
	snprintf(cmd, sizeof(cmd), "%s/uring-probe 2>&1", dir && *dir ? dir : "build");
	FILE *f = popen(cmd, "r");
	CHECK(f);
	static char out[1 << 16];
	size_t n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = 0;
	int st = pclose(f);
	CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "`%s` exited with status %#x:\n%s", cmd,
		  st, out);
	CHECK_MSG(strstr(out, " NOP "), "no NOP in:\n%s", out);
	CHECK_MSG(strstr(out, " MSG_RING "), "no MSG_RING in:\n%s", out);
	CHECK(strstr(out, "kernel "));
	CHECK(strstr(out, "DEFER_TASKRUN"));
	CHECK(strstr(out, "IOU_PBUF_RING_INC"));
	CHECK(strstr(out, "RECVSEND_BUNDLE"));
}
