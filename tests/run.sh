#!/bin/bash
# Runs every test — unit tests of lib/ (Check, also under valgrind), the
# man pages' lint, then the HTTP tests against real lighttpd and Apache
# servers in each setup — and ends with "N passed, N failed".
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
passed=0
failed=0
log=$(mktemp -d /tmp/keyhole-tests.XXXXXX)
start=$SECONDS
mark=$SECONDS
took() {	# took PART: how long the part since the last mark took
	echo "# time: $1 $((SECONDS - mark)) s"
	mark=$SECONDS
}

# A Check binary prints "NN%: Checks: N, Failures: F, Errors: E".
unit() {
	local name=$1 out line checks bad
	shift
	out=$("$@" 2>&1)
	line=$(printf '%s\n' "$out" | grep -E '^[0-9]+%: Checks: ' | tail -n 1)
	if [ -z "$line" ]; then
		echo "not ok - $name: no result (crashed?)"
		printf '%s\n' "$out" | tail -n 20
		failed=$((failed + 1))
		return
	fi
	checks=$(echo "$line" | sed -E 's/.*Checks: ([0-9]+).*/\1/')
	bad=$(echo "$line" | sed -E 's/.*Failures: ([0-9]+), Errors: ([0-9]+).*/\1+\2/')
	bad=$((bad))
	passed=$((passed + checks - bad))
	failed=$((failed + bad))
	if [ "$bad" -gt 0 ]; then
		printf '%s\n' "$out" | grep -vE '^(Running suite|[0-9]+%: )' | head -n 40
	fi
	echo "$name: $line"
}

for t in build/tests/test_*; do
	unit "$(basename "$t")" "$t"
done
took "unit tests"
# The same again under valgrind: no invalid access, no leak.  Check forks
# a child per test; an error in one fails that test (exit 99).
for t in build/tests/test_*; do
	if valgrind -q --trace-children=yes --error-exitcode=99 \
	    --leak-check=full --errors-for-leak-kinds=definite "$t" \
	    >"$log/vg.out" 2>&1 && grep -q '^100%: ' "$log/vg.out"; then
		passed=$((passed + 1))
		echo "ok - valgrind clean: $(basename "$t")"
	else
		failed=$((failed + 1))
		echo "not ok - valgrind: $(basename "$t")"
		tail -n 30 "$log/vg.out"
	fi
done
took "unit tests under valgrind"

check() {	# check DESCRIPTION COMMAND...: one test, the command's output shown on failure
	local d=$1
	shift
	if "$@" >"$log/check.out" 2>&1; then
		passed=$((passed + 1))
		echo "ok - $d"
	else
		failed=$((failed + 1))
		echo "not ok - $d"
		head -n 20 "$log/check.out"
	fi
}
# Warning-free under clang as well as gcc (the build uses cc).
check "clang -Wall -Wextra -Werror: clean" clang -std=c99 -D_DEFAULT_SOURCE \
    -Wall -Wextra -Werror -Ilib -fsyntax-only lib/*.c cgi-bin/*.c tools/*.c
took "clang warnings"

# The man pages: clean under mandoc's lint.
check "mandoc -Tlint: the man pages are clean" mandoc -Tlint -W warning man/*.[0-9]
took "man pages"

# HTTP tests print TAP lines: "ok - ..." / "not ok - ...".
http() {	# http SERVER TEST: one test against one server setup
	echo "# $2 (SERVER=$1)"
	SERVER=$1 bash "$2" >"$log/http.out" 2>&1
	rc=$?
	cat "$log/http.out"
	p=$(grep -c '^ok ' "$log/http.out")
	f=$(grep -c '^not ok ' "$log/http.out")
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $2 (SERVER=$1) exited $rc"
		failed=$((failed + 1))
	fi
	took "$2 (SERVER=$1)"
}
# The whole suite against lighttpd (mod_fastcgi) and Apache
# (mod_proxy_fcgi); a test that starts no server runs once.
for t in tests/http/*.sh; do
	case $t in */lib.sh | */cgi-load.sh | */install.sh) continue ;; esac
	http lighttpd "$t"
	grep -q start_server "$t" || continue
	http apache "$t"
done
# The other setups: the smoke part, every route and the authorizer; plain
# CGI under concurrency; each setup's run directory as root leaves it.
for s in apache-fcgid lighttpd-cgi apache-cgi; do
	http "$s" tests/http/smoke.sh
	http "$s" tests/http/routes.sh
	http "$s" tests/http/authorizer.sh
	http "$s" tests/http/rootsafe.sh
done
for s in lighttpd-cgi apache-cgi; do
	http "$s" tests/http/cgi-load.sh
done
# make install into a temporary PREFIX, served from there, then uninstalled.
http lighttpd tests/http/install.sh
# The API tests again against the endpoints built with ASan and UBSan.
echo "# tests/http/api.sh under ASan and UBSan"
KEYHOLE_BIN=$top/build/asan/cgi-bin KEYHOLE_SANITIZED=1 ASAN_OPTIONS=detect_leaks=0 \
	bash tests/http/api.sh >"$log/http.out" 2>&1
grep -E '^(not )?ok ' "$log/http.out" | grep -v '^ok ' 
p=$(grep -c '^ok ' "$log/http.out")
f=$(grep -c '^not ok ' "$log/http.out")
echo "ok: $p, not ok: $f"
passed=$((passed + p))
failed=$((failed + f))
took "tests/http/api.sh under ASan and UBSan"
echo "# time: all tests $((SECONDS - start)) s"

rm -rf "$log"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
