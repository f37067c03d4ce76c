#!/bin/bash
# Runs every test — unit tests of lib/ (Check, also under valgrind), the
# man pages' lint, then the HTTP tests against real lighttpd and Apache
# servers in each setup — and ends with "N passed, N failed".  With
# SANITIZE=1, the HTTP suite under ASan and UBSan instead.  The load,
# crash, backup and log tests are make reliability's
# (tests/reliability.sh).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
. tests/harness.sh

# SANITIZE=1: the whole HTTP suite once, on lighttpd, against the
# programs built with ASan and UBSan (make asan); each test's workers'
# log must hold no report (lib.sh).  The unit tests ran under valgrind.
if [ -n "${SANITIZE:-}" ]; then
	export KEYHOLE_BIN=$top/build/asan/cgi-bin KEYHOLE_SANITIZED=1 \
	    ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0 \
	    UBSAN_OPTIONS=print_stacktrace=1
	for t in tests/http/*.sh; do
		case $t in
		*/lib.sh | */install.sh) continue ;;
		*/cgi-load.sh) http lighttpd-cgi "$t" ;;
		*) http lighttpd "$t" ;;
		esac
	done
	finish
	exit
fi

# A Check binary prints "NN%: Checks: N, Failures: F, Errors: E".
unit() {
	local name=$1 out line checks bad
	shift
	out=$("$@" 2>&1)
	line=$(printf '%s\n' "$out" | grep -E '^[0-9]+%: Checks: ' | tail -n 1)
	if [ -z "$line" ]; then
		echo "not ok - $name: no result (crashed?)"
		failure "not ok - $name: no result (crashed?)"
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
		failure "not ok - $name: $line"
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
		failure "not ok - valgrind: $(basename "$t")"
		tail -n 30 "$log/vg.out"
	fi
done
took "unit tests under valgrind"

# Warning-free under clang as well as gcc (the build uses cc).
check "clang -Wall -Wextra -Werror: clean" clang -std=c99 -D_DEFAULT_SOURCE \
    -Wall -Wextra -Werror -Ilib -fsyntax-only lib/*.c cgi-bin/*.c tools/*.c
took "clang warnings"

# Secrets and their hashes are compared in constant time only
# (sodium_memcmp): no plain comparison names one.
check "no secret or hash compared but in constant time" \
    bash -c "! grep -nE '(memcmp|strcmp|strncmp|bcmp)\\([^;]*(hash|secret|cred|crc|want)' lib/*.c | grep -v sodium_memcmp"

# The man pages: clean under mandoc's lint.
check "mandoc -Tlint: the man pages are clean" mandoc -Tlint -W warning man/*.[0-9]
took "man pages"

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
finish
