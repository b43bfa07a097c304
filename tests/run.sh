#!/bin/sh
# tests/run.sh - runs every test binary given and adds their counts up.
# Each binary ends with "N passed, M failed"; a binary that dies before
# printing that line counts as one failure. An argument NAME=VALUE sets
# that variable for the binaries after it (ROCKET_TEST_MODE=fd ...: the
# engine suites again with regular fds, tests/engine_mode.h).
passed=0
failed=0
mode=""
for t in "$@"; do
	case $t in
	*=*) export "${t?}"; mode=" ($t)"; continue ;;
	esac
	echo "== $t$mode"
	out=$("$t" 2>&1)
	rc=$?
	echo "$out"
	last=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n 1)
	if [ -z "$last" ]; then
		echo "FAIL $t: no summary line (exit $rc)"
		failed=$((failed + 1))
		continue
	fi
	p=${last%% passed*}
	f=${last#*, }
	f=${f%% failed*}
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL $t: exit $rc"
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
