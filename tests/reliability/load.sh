#!/bin/bash
# Crash safety.  Four workers per endpoint under a write-heavy load: every
# client runs the whole life of a token (mint, introspect, rotate,
# introspect, revoke, introspect) and mints through every dialect
# (tests/loadgen.c).  First undisturbed (no 5xx at all); then with a
# random worker killed (kill -9) every second; then with the whole web
# server killed mid-load and started again.  After each: every token
# whose mint got a 2xx introspects active (unless its revocation got
# one), every revocation that got a 2xx holds, the service answers again
# within 5 s, and no one ran anything.  Loopback only; bounded in time.
. "$(dirname "$0")/../http/lib.sh"
start_server 4
mint acme-admin '[]' '"organization":"acme","subject":"alice","bindings":[{"role":"ADMIN","entity":"organization"}]'
ADMIN=$TOKEN
bin=${KEYHOLE_BIN:-$top/build/cgi-bin}
DURATION=${LOAD_SECONDS:-20}
CLIENTS=12

run_load() {	# run_load FILE: CLIENTS clients for DURATION seconds
	LOADGEN_ADMIN=$ADMIN "$top/build/tests/loadgen" "$PORT" "$ROOT" \
	    "$DURATION" "$CLIENTS" "$1"
}

kept() {	# kept WHAT FILE: the promises of a load's answers hold; sets lost
	local held
	read -r lost held <<<"$(promises "$2")"
	is "$1: every acknowledged token introspects active ($(wc -l <"$T/live"))" "$lost" 0
	is "$1: every acknowledged revocation holds ($(wc -l <"$T/revoked"))" "$held" 0
}

# --- undisturbed
run_load "$T/calm"
n=$(wc -l <"$T/calm")
ok "undisturbed: requests were answered ($n)" test "$n" -gt 500
is "undisturbed: no 5xx and none unanswered" "$(awk '$2 >= 500 || $2 == 0' "$T/calm" | wc -l)" 0
is "undisturbed: every introspection during the load said what the token's life says" \
    "$(awk '$1 == "introspect" && $2 != 200' "$T/calm" | wc -l)" 0
kept "undisturbed" "$T/calm"

# --- a random worker killed every second
killer() {	# killer END: kills a random worker every second until END
	local pid
	while [ "$(( $(date +%s) + 1 ))" -lt "$1" ]; do
		sleep 1
		pid=$(pgrep -f "^$bin/" | shuf -n 1)
		[ -n "$pid" ] || continue
		kill -9 "$pid" && echo "killed $pid $(until_mint | sed s/never/99999/)" >>"$T/kills"
	done
}
: >"$T/kills"
killer $(( $(date +%s) + DURATION )) &
kpid=$!
run_load "$T/storm"
wait "$kpid"
kills=$(grep -c '^killed' "$T/kills")
ok "kills: a worker was killed every second or so ($kills)" test "$kills" -ge $((DURATION / 3))
n=$(awk '$2 >= 200 && $2 < 300' "$T/storm" | wc -l)
ok "kills: requests were acknowledged during them ($n)" test "$n" -gt 200
longest=$(awk '{ print $3 }' "$T/kills" | sort -n | tail -n 1)
ok "kills: after each, a mint was acknowledged again within 5 s (longest ${longest} ms)" \
    test "${longest:-0}" -lt 5000
kept "kills" "$T/storm"
read -r lost held <<<"$(promises "$T/calm")"
is "kills: no token from the undisturbed run is lost either" "$lost $held" "0 0"
# A worker killed inside Berkeley DB leaves a mutex held: those waiting on
# it leave (the watchdog) and the next process recovers, by themselves.
echo "# crash: clients=$CLIENTS duration=${DURATION}s requests=$(wc -l <"$T/storm")" \
    "5xx=$(awk '$2 >= 500' "$T/storm" | wc -l) kills=$kills lost=$lost" \
    "longest_outage_ms=$longest" \
    "recoveries=$(grep -c 'recovered after a stuck process' "$KEYHOLE_RUN/keyhole.log")"

# --- the whole web server killed mid-load, then started again
root=$ROOT
run_load "$T/crash" &
lpid=$!
sleep $((DURATION / 2))
for f in "$KEYHOLE_RUN"/*.pid; do kill -9 "$(cat "$f")" 2>/dev/null; done
pkill -9 -f "^$bin/"
pkill -9 -f "multiwatch .* -- $bin/"
wait "$lpid"
t0=$(date +%s%N)
stop_server
start_server 4
ROOT=$root
back=$(until_mint | sed s/never/99999/)
ok "server killed: started again, it acknowledges a mint (after $(( ($(date +%s%N) - t0) / 1000000 )) ms)" \
    test "$back" -lt 5000
kept "server killed" "$T/crash"
read -r lost held <<<"$(promises "$T/storm")"
is "server killed: nothing acknowledged before is lost" "$lost $held" "0 0"
stop_server
"$ctl" -d "$KEYHOLE_HOME" verify >"$T/verify" 2>&1
ok "keyholectl verify finds no problem after the kills" grep -q ' verified: 0 problems$' "$T/verify"
grep -v 'audit:' "$T/verify" | head -n 5 | sed 's/^/#   /'
cat "$T/calm" "$T/storm" "$T/crash" | awk '{ print $3 }' | grep -v '^-$' >"$T/secrets"
ok "no file under KEYHOLE_HOME contains a minted secret" bash -c "! grep -rqaFf '$T/secrets' '$KEYHOLE_HOME'"
