#!/bin/sh
# tests/run.sh - runs every test binary given and adds their counts up.
# Each binary ends with "N passed, M failed"; a binary that dies before
# printing that line counts as one failure. An argument NAME=VALUE sets
# that variable for the binaries after it (ROCKET_TEST_MODE=fd ...: the
# engine suites again with regular fds, tests/engine_mode.h).
#
# The binaries run ROCKET_TEST_JOBS at a time (default: one more than the
# cores): most of their time is spent waiting for timeouts to fire, and
# every test uses its own port (--port 0) and its own temporary directory.
# A binary's output is printed whole when it ends, one at a time (flock).
set -u

# One run: its output to a file, then printed under the lock, then its
# counts to "$dir/N.count" as "passed failed".
one() {
	n=$1 var=$2 t=$3 dir=$4
	mode=""
	if [ "$var" != - ]; then
		export "${var?}"
		mode=" ($var)"
	fi
	"$t" >"$dir/$n.out" 2>&1
	rc=$?
	last=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$dir/$n.out" | tail -n 1)
	if [ -z "$last" ]; then
		echo "FAIL $t$mode: no summary line (exit $rc)" >>"$dir/$n.out"
		p=0 f=1
	else
		p=${last%% passed*}
		f=${last#*, }
		f=${f%% failed*}
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
			echo "FAIL $t$mode: exit $rc" >>"$dir/$n.out"
			f=1
		fi
	fi
	flock "$dir/lock" sh -c 'echo "== $1$2"; cat "$3"' sh "$t" "$mode" "$dir/$n.out"
	echo "$p $f" >"$dir/$n.count"
}

# xargs re-enters this script for each run (ROCKET_RUN_DIR set).
if [ -n "${ROCKET_RUN_DIR:-}" ]; then
	one "$1" "$2" "$3" "$ROCKET_RUN_DIR"
	exit 0
fi

jobs=${ROCKET_TEST_JOBS:-$(($(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1) + 1))}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT INT TERM

# One line per run: "number variable-or-- binary".
n=0
var=-
for t in "$@"; do
	case $t in
	*=*) var=$t; continue ;;
	esac
	n=$((n + 1))
	printf '%s %s %s\n' "$n" "$var" "$t"
done >"$dir/list"
total=$n

if [ "$jobs" -le 1 ]; then
	while read -r n var t; do one "$n" "$var" "$t" "$dir"; done <"$dir/list"
else
	ROCKET_RUN_DIR=$dir xargs -P "$jobs" -L 1 "$0" <"$dir/list"
fi

passed=0
failed=0
i=0
while [ "$i" -lt "$total" ]; do
	i=$((i + 1))
	if [ -f "$dir/$i.count" ]; then
		read -r p f <"$dir/$i.count"
	else
		p=0 f=1
		echo "FAIL run $i: never finished"
	fi
	passed=$((passed + p))
	failed=$((failed + f))
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
