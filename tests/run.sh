#!/bin/sh
# tests/run.sh - runs every test binary given and adds their counts up.
# Each binary ends with "N passed, M failed"; a binary that dies before
# printing that line counts as one failure. An argument NAME=VALUE sets
# that variable for the binaries after it (ROCKET_TEST_MODE=fd ...); an
# argument "::" ends a group: the binaries before the first one run in
# order, then every later group at once, each in order (the engine suites
# once per ROCKET_TEST_MODE: most of their time is waiting, not CPU).
passed=0
failed=0
add() { # add SUMMARY-LINE: count it in
	p=${1%% passed*}
	f=${1#*, }
	f=${f%% failed*}
	passed=$((passed + p))
	failed=$((failed + f))
}
run_group() { # run_group ARGS...: one group, in order
	for t in "$@"; do
		case $t in
		*=*) export "${t?}"; mode=" ($t)"; continue ;;
		esac
		echo "== $t${mode:-}"
		out=$("$t" 2>&1)
		rc=$?
		echo "$out"
		last=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n 1)
		if [ -z "$last" ]; then
			echo "FAIL $t: no summary line (exit $rc)"
			failed=$((failed + 1))
			continue
		fi
		add "$last"
		if [ "$rc" -ne 0 ] && [ "${last#*, }" = "0 failed" ]; then
			echo "FAIL $t: exit $rc"
			failed=$((failed + 1))
		fi
	done
	echo "$passed passed, $failed failed"
}

# The first group, then the others side by side.
first=""
while [ $# -gt 0 ] && [ "$1" != "::" ]; do
	first="$first $1"
	shift
done
# shellcheck disable=SC2086
run_group $first | tee /tmp/rocket-run.$$.0 | grep -v '^[0-9]* passed, [0-9]* failed$'
total=$(tail -n 1 /tmp/rocket-run.$$.0)
n=0
while [ $# -gt 0 ]; do
	shift # the "::"
	group=""
	while [ $# -gt 0 ] && [ "$1" != "::" ]; do
		group="$group $1"
		shift
	done
	n=$((n + 1))
	# shellcheck disable=SC2086
	(passed=0 failed=0; run_group $group) >/tmp/rocket-run.$$.$n 2>&1 &
done
wait
passed=0
failed=0
add "$total"
i=1
while [ $i -le $n ]; do
	grep -v '^[0-9]* passed, [0-9]* failed$' /tmp/rocket-run.$$.$i
	add "$(tail -n 1 /tmp/rocket-run.$$.$i)"
	i=$((i + 1))
done
rm -f /tmp/rocket-run.$$.*
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
