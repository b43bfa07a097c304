/* tests/engine_mode.h - which engine the suites run against. `make test`
 * runs the engine and HTTP suites once per mode (tests/run.sh's NAME=VALUE
 * arguments): ROCKET_TEST_MODE unset or "direct": direct descriptors, the
 * acceptor hands off; "fd": regular fds (--direct=off); "reactor": every
 * reactor accepts by itself (--accept reactor). */
#ifndef ROCKET_TEST_ENGINE_MODE_H
#define ROCKET_TEST_ENGINE_MODE_H

#include <stdlib.h>
#include <string.h>

#include "rocket/engine.h"

static inline const char *test_mode(void)
{
	const char *m = getenv("ROCKET_TEST_MODE");
	return m && *m ? m : "direct";
}

static inline int test_mode_is(const char *m)
{
	return !strcmp(test_mode(), m);
}

/* The mode's settings on an engine configuration. */
static inline void test_mode_config(struct rk_engine_config *cfg)
{
	cfg->no_direct = test_mode_is("fd");
	cfg->accept_mode = test_mode_is("reactor") ? RK_ACCEPT_REACTOR : RK_ACCEPT_ACCEPTOR;
}

/* The same as server flags (NULL-terminated, at most 3; the acceptor named,
 * not left to --accept auto, so a one-CPU machine tests it too). */
static inline const char *const *test_mode_flags(void)
{
	static const char *const fd[] = { "--direct=off", "--accept", "acceptor", 0 };
	static const char *const reactor[] = { "--accept", "reactor", 0 };
	static const char *const acceptor[] = { "--accept", "acceptor", 0 };
	return test_mode_is("fd") ? fd : test_mode_is("reactor") ? reactor : acceptor;
}

#endif
