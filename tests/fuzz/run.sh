#!/bin/sh
# Runs keyhole's fuzz harnesses (built by tests/fuzz/fuzz.mk):
#
#   tests/fuzz/run.sh LIMIT NAME...
#
# LIMIT is libFuzzer's -runs=N or -max_total_time=S.  Each harness runs
# on a scratch copy of its seed corpus (tests/fuzz/corpus/NAME/, never
# written), FUZZ_JOBS (default: every CPU) at a time, and prints
# "fuzz NAME: N executions, 0 crashes".  Any crash, leak, hang or
# sanitizer report fails the run (exit 1); the input that did it is kept
# in $FUZZ_B/artifacts/, the whole output in $FUZZ_B/logs/NAME.log.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
B=${FUZZ_B:-build/fuzz}

# one NAME LIMIT: runs a harness; its output goes to logs/NAME.log, its
# exit status to logs/NAME.rc.
one() {
	name=$1
	limit=$2
	work=$B/corpus/$name
	log=$B/logs/$name.log
	rm -rf "$work"
	mkdir -p "$work" "$B/artifacts" "$B/logs"
	rm -f "$B/artifacts/$name-"* "$B/logs/$name.rc"
	if [ -d "tests/fuzz/corpus/$name" ]; then
		cp tests/fuzz/corpus/"$name"/* "$work"/ 2>/dev/null
	fi
	set -- "$limit" -fork=0 -print_final_stats=1 -error_exitcode=77 \
	    -timeout=10 -rss_limit_mb=2048 \
	    -artifact_prefix="$B/artifacts/$name-"
	if [ -f "tests/fuzz/$name.dict" ]; then
		set -- "$@" -dict="tests/fuzz/$name.dict"
	fi
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	    "$B/fuzz_$name" "$@" "$work" >"$log" 2>&1
	echo $? >"$B/logs/$name.rc"
}

if [ "${1:-}" = "--one" ]; then
	one "$2" "$3"
	exit 0
fi

if [ $# -lt 2 ]; then
	echo "usage: $0 -runs=N|-max_total_time=S name..." >&2
	exit 2
fi
limit=$1
shift
for name; do
	if [ ! -x "$B/fuzz_$name" ]; then
		echo "fuzz $name: no $B/fuzz_$name (make fuzz-build)" >&2
		exit 1
	fi
done
jobs=${FUZZ_JOBS:-}
[ -n "$jobs" ] || jobs=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
start=$(date +%s)
printf '%s\n' "$@" |
    xargs -P "$jobs" -I {} sh "$top/tests/fuzz/run.sh" --one {} "$limit"

# Where a report starts: a sanitizer's, a harness's check, libFuzzer's.
report='(==[0-9]+==ERROR|runtime error:|fuzz check failed|deadly signal|'
report=$report'ALARM|out-of-memory)'
status=0
for name; do
	log=$B/logs/$name.log
	rc=$(cat "$B/logs/$name.rc" 2>/dev/null || echo "none")
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" |
	    tail -n 1)
	# A report the exit status might hide is a failure too.
	if [ "$rc" = 0 ] && [ -n "$runs" ] && ! grep -qE \
	    '(==[0-9]+==ERROR|runtime error:|^SUMMARY: [A-Za-z]+Sanitizer)' \
	    "$log"; then
		echo "fuzz $name: $runs executions, 0 crashes"
		continue
	fi
	status=1
	echo "fuzz $name: FAILED (exit status $rc) after ${runs:-?} executions"
	grep -E -A 24 "$report" "$log" | head -n 40 | sed 's/^/	/'
	for a in "$B/artifacts/$name-"*; do
		[ -f "$a" ] && echo "	input: $a"
	done
	echo "	log: $log"
done
echo "fuzz: $# harnesses in $(($(date +%s) - start)) s"
exit $status
