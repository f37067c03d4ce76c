#!/bin/bash
# make reliability: the load, crash, backup and log tests (tests/
# reliability/) against lighttpd and Apache (mod_proxy_fcgi), the hostile
# inputs, and every fuzzing harness for FUZZ_RUNS executions; then writes
# their figures to RELIABILITY.md (OUT), as the benchmark writes
# BENCHMARKS.md.  Ends with "N passed, N failed".
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
. tests/harness.sh
OUT=${OUT:-RELIABILITY.md}
figures=$log/figures
: >"$figures"
keep() {	# keep LABEL: the last test's figure lines ("# NAME: ...")
	grep -E '^# [a-z][a-z ]*: ' "$log/http.out" | sed "s/^# /$1 /" >>"$figures"
}

for s in lighttpd apache; do
	http "$s" tests/reliability/concurrency.sh
	keep "$s"
	http "$s" tests/reliability/load.sh
	keep "$s"
done
# The store's own mechanics, whatever the server.
http lighttpd tests/reliability/backup.sh
keep lighttpd
http lighttpd tests/reliability/loggrowth.sh
keep lighttpd
http lighttpd tests/reliability/cascade.sh
keep lighttpd
http lighttpd tests/http/hostile.sh
keep lighttpd

echo "# fuzzing (make fuzz-ci)"
make -s fuzz-ci >"$log/fuzz.out" 2>&1
rc=$?
cat "$log/fuzz.out" | grep -E '^fuzz |^(not )?ok ' || tail -n 20 "$log/fuzz.out"
runs=$(grep -cE '^fuzz [a-z_]+: [0-9]+ executions, 0 crashes' "$log/fuzz.out")
if [ "$rc" -eq 0 ] && [ "$runs" -gt 0 ]; then
	passed=$((passed + 1))
	echo "ok - fuzzing: $runs harnesses, no crash, no sanitizer report"
else
	failed=$((failed + 1))
	echo "not ok - fuzzing: make fuzz-ci exited $rc"
	failure "not ok - fuzzing: make fuzz-ci exited $rc"
fi
took "fuzzing"

# A figure from the lines kept: KEY's value on the line "SERVER NAME: ...".
fig() {	# fig SERVER NAME KEY
	awk -v p="$1 $2: " -v k="$3=" 'index($0, p) == 1 {
	    for (i = 1; i <= NF; i++) if (index($i, k) == 1) { print substr($i, length(k) + 1); exit } }' \
	    "$figures"
}
hostile=$(grep -E '^lighttpd hostile: ' "$figures" | sed 's/^lighttpd hostile: //')
fuzz_total=$(awk '/^fuzz [a-z_]+: [0-9]+ executions/ { n += $3 } END { print n + 0 }' "$log/fuzz.out")
fuzz_crashes=$(awk '/^fuzz [a-z_]+: [0-9]+ executions/ { n += $5 } END { print n + 0 }' "$log/fuzz.out")

{
	echo "# Reliability"
	echo
	echo "Written by \`make reliability\` ($(date -u +%Y-%m-%d), $(nproc) CPUs," \
	    "$(uname -sr)): the figures of its last run.  The tests are in"
	echo "\`tests/reliability/\`, \`tests/http/hostile.sh\` and \`tests/fuzz/\`;" \
	    "\`make test\` runs the fault and process-death tests"
	echo "(\`tests/http/faults.sh\`, \`tests/http/deaths.sh\`)."
	echo
	echo "Result: $passed passed, $failed failed, in $(( (SECONDS - start + 30) / 60 )) minutes."
	echo
	echo "## Concurrency: the whole life of tokens, every dialect"
	echo
	echo "| server | clients | workers per endpoint | duration | requests | 5xx | p99 | slowest |"
	echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
	for s in lighttpd apache; do
		echo "| $s | $(fig $s concurrency clients) | $(fig $s concurrency workers) |" \
		    "$(fig $s concurrency duration) | $(fig $s concurrency requests) |" \
		    "$(fig $s concurrency 5xx) | $(fig $s concurrency p99_ms) ms | $(fig $s concurrency max_ms) ms |"
	done
	echo
	echo "No store call waited over a second, no deadlock outlasted its retries, and"
	echo "\`keyholectl verify\` found every index, count and audit event in step."
	echo
	echo "## Crash safety: a random worker killed (kill -9) every second"
	echo
	echo "| server | clients | duration | requests | 5xx | kills | lost writes | longest outage | recoveries |"
	echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
	for s in lighttpd apache; do
		echo "| $s | $(fig $s crash clients) | $(fig $s crash duration) |" \
		    "$(fig $s crash requests) | $(fig $s crash 5xx) | $(fig $s crash kills) |" \
		    "$(fig $s crash lost) | $(fig $s crash longest_outage_ms) ms | $(fig $s crash recoveries) |"
	done
	echo
	echo "Lost writes: tokens whose mint (or rotation) got a 2xx and that do not"
	echo "introspect active, and revocations that got a 2xx and do not hold;"
	echo "then the whole web server is killed mid-load and started again, with"
	echo "the same checks. A 5xx here is a request in the hands of a killed worker."
	echo
	echo "## Backup, log growth, recovery"
	echo
	echo "| what | figure |"
	echo "| --- | --- |"
	echo "| hot backup under load | $(fig lighttpd backup took_ms) ms; $(fig lighttpd backup checked) tokens acknowledged before it checked in the restored copy, $(fig lighttpd backup lost) lost |"
	echo "| log growth | $(fig lighttpd "log growth" mints) mints in $(fig lighttpd "log growth" seconds) s: at most $(fig lighttpd "log growth" max_log_files) log files ($(fig lighttpd "log growth" max_log_mib) MiB); store $(fig lighttpd "log growth" store_mib) MiB |"
	echo "| recovery after every worker was killed | $(fig lighttpd recovery after_kill_all_ms) ms |"
	echo "| cascade revocation of a $(fig lighttpd cascade tree)-token tree | $(fig lighttpd cascade steps) requests, the slowest $(fig lighttpd cascade slowest_ms) ms (bound: $(fig lighttpd cascade bound_ms) ms, 5,000 tokens a request) |"
	echo
	echo "## Hostile input and fuzzing"
	echo
	echo "| what | figure |"
	echo "| --- | --- |"
	echo "| hostile inputs (lighttpd) | ${hostile:-not run} |"
	echo "| fuzzing (libFuzzer, ASan, UBSan) | $fuzz_total executions over $runs harnesses, $fuzz_crashes crashes |"
	echo
	echo "Every hostile input left the store unchanged and none was answered"
	echo "5xx. Those not answered 4xx are right not to be: injection strings a"
	echo "mint accepted and gave back verbatim, forged JWTs that introspection"
	echo "and revocation by value answer 200 (inactive, nothing revoked) as RFC"
	echo "7662 and 7009 say, and bodies cut short that lighttpd drops unanswered."
	echo
	echo "Per harness:"
	echo
	grep -E '^fuzz [a-z_]+: ' "$log/fuzz.out" | sed 's/^/    /'
} >"$log/report"
cp "$log/report" "$OUT"
echo "# wrote $OUT"
finish
