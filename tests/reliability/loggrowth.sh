#!/bin/bash
# Log growth.  200,000 mints through the API (MINTS): the write-ahead log
# stays bounded, because the threshold checkpoint after a write (one
# process at a time) lets Berkeley DB remove the logs no longer needed.
# Then every worker killed (kill -9) mid-load: recovery takes bounded
# time, printed.  Loopback only; bounded in time.
. "$(dirname "$0")/../http/lib.sh"
start_server 4
bin=${KEYHOLE_BIN:-$top/build/cgi-bin}
MINTS=${MINTS:-200000}
CLIENTS=16
logbytes() { cat "$KEYHOLE_HOME"/log.* 2>/dev/null | wc -c; }

# The log's size, sampled every half second while the mints run.
(
	while :; do
		echo "$(ls "$KEYHOLE_HOME"/log.* 2>/dev/null | wc -l) $(logbytes)"
		sleep 0.5
	done
) >"$T/sizes" &
sampler=$!
t0=$SECONDS
LOADGEN_MINT_ONLY=1 "$top/build/tests/loadgen" "$PORT" "$ROOT" 300 "$CLIENTS" \
    "$T/mints" $(( MINTS / CLIENTS ))
took=$((SECONDS - t0))
kill "$sampler"
wait "$sampler" 2>/dev/null
minted=$(awk '$1 == "mint" && $2 == 201' "$T/mints" | wc -l)
ok "$MINTS mints were acknowledged ($minted in $took s)" test "$minted" -ge "$MINTS"
is "no 5xx" "$(awk '$2 >= 500 || $2 == 0' "$T/mints" | wc -l)" 0
files=$(sort -n "$T/sizes" | tail -n 1 | awk '{ print $1 }')
bytes=$(sort -k2 -n "$T/sizes" | tail -n 1 | awk '{ print $2 }')
# Bounded: a few files of 10 MiB.  The count is a sawtooth: up while a
# checkpoint flushes (1 to 2 s here, at 10 to 20 MiB of log a second), down
# when it removes the logs it freed; peaks of 4 to 7 files seen.  A log
# never removed would pass 18 files by the end.  So
# growth with the store is judged on each half's mean count, not on its
# peaks: a log that is not removed has a mean that rises with the mints.
half=$(( $(wc -l <"$T/sizes") / 2 ))
mean() { awk '{ s += $1 } END { printf "%.1f", NR ? s / NR : 0 }'; }
early=$(head -n "$half" "$T/sizes" | mean)
late=$(tail -n +$((half + 1)) "$T/sizes" | mean)
ok "the log stayed bounded: at most 10 log files at once ($files, $((bytes / 1048576)) MiB at most)" \
    test "$files" -le 10
ok "... and did not grow with the store ($early files on average in the first half, $late in the second)" \
    awk -v a="$early" -v b="$late" 'BEGIN { exit !(b <= a + 1) }'
ok "... and old logs were removed (the first is gone)" test ! -e "$KEYHOLE_HOME/log.0000000001"
echo "# log growth: mints=$minted seconds=$took max_log_files=$files max_log_mib=$((bytes / 1048576)) store_mib=$(du -sm "$KEYHOLE_HOME" | cut -f1)"

# Every worker killed mid-load: how long until a mint is acknowledged.
"$top/build/tests/loadgen" "$PORT" "$ROOT" 6 "$CLIENTS" "$T/tail" &
lg=$!
sleep 3
pkill -9 -f "^$bin/"
ms=$(until_mint 90000)
wait "$lg"
# The bound: 10 s.  Seen: 0.1 to 1.3 s (a second when failchk is stuck on
# what a dead process held, and the next open recovers).
ok "every worker killed: mints are acknowledged again within 10 s ($ms ms)" \
    test "$ms" != never -a "${ms/never/999999}" -lt 10000
echo "# recovery: after_kill_all_ms=$ms"
awk '$1 == "mint" && $2 == 201 { print $3 }' "$T/tail" >"$T/tailminted"
is "... and every mint acknowledged before the kill introspects active" \
    "$(actives "$T/tailminted")" "$(wc -l <"$T/tailminted")"
