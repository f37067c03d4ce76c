# Shared by tests/run.sh and tests/reliability.sh: counts TAP lines, times
# each part, ends with "N passed, N failed".
# shellcheck shell=bash
passed=0
failed=0
log=$(mktemp -d /tmp/keyhole-tests.XXXXXX)
start=$SECONDS
mark=$SECONDS
took() {	# took PART: how long the part since the last mark took
	echo "# time: $1 $((SECONDS - mark)) s"
	mark=$SECONDS
}

failure() {	# failure LINE: kept, to be listed again by finish
	echo "$1" >>"$log/failures"
}

check() {	# check DESCRIPTION COMMAND...: one test, the command's output shown on failure
	local d=$1
	shift
	if "$@" >"$log/check.out" 2>&1; then
		passed=$((passed + 1))
		echo "ok - $d"
	else
		failed=$((failed + 1))
		echo "not ok - $d"
		failure "not ok - $d"
		head -n 20 "$log/check.out"
	fi
}

# HTTP tests print TAP lines: "ok - ..." / "not ok - ...".
http() {	# http SERVER TEST: one test against one server setup; its output in $log/http.out
	echo "# $2 (SERVER=$1)"
	SERVER=$1 bash "$2" >"$log/http.out" 2>&1
	rc=$?
	cat "$log/http.out"
	p=$(grep -c '^ok ' "$log/http.out")
	f=$(grep -c '^not ok ' "$log/http.out")
	passed=$((passed + p))
	failed=$((failed + f))
	grep '^not ok ' "$log/http.out" | sed "s|^|$2 (SERVER=$1): |" >>"$log/failures"
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $2 (SERVER=$1) exited $rc"
		failure "not ok - $2 (SERVER=$1) exited $rc"
		failed=$((failed + 1))
	fi
	took "$2 (SERVER=$1)"
}

finish() {	# finish: the failures again (a log's tail names them), the totals; the exit status
	echo "# time: all $((SECONDS - start)) s"
	if [ -s "$log/failures" ]; then
		echo "# failed:"
		head -n 30 "$log/failures"
	fi
	rm -rf "$log"
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}
