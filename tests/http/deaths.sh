#!/bin/bash
# Every kind of process death, each on its own, against the programs built
# with deaths on demand (make fault, tests/fault/): a fault is on while
# $KEYHOLE_HOME.faults says so.
#   - an idle worker killed: no one else logs a panic or needs a recovery;
#   - a worker stopped holding the writers' lock: the others answer within
#     seconds (503 at worst), and once it is killed all is well;
#   - a worker killed while it waits for a lock: failchk cleans up and is
#     never stuck;
#   - a worker killed inside Berkeley DB holding a region mutex (a B-tree
#     comparison kills it): keyhole serves again within 5 s, by itself;
#   - a worker killed between its write and its commit: the token never
#     becomes valid;
#   - 50 clients rotating one token at once: no 5xx, one secret current;
#   - a graceful restart under load: no 5xx.
# Loopback only; bounded in time.
. "$(dirname "$0")/lib.sh"
export KEYHOLE_BIN=$top/build/fault/cgi-bin
[ -x "$KEYHOLE_BIN/tokens-create" ] || { echo "not ok - the fault build is there (make fault)"; exit 1; }
faults=$KEYHOLE_HOME.faults
log=$KEYHOLE_RUN/keyhole.log
start_server 2
workers() { pgrep -f "^$KEYHOLE_BIN/$1\$"; }
lines() { wc -l <"$log" 2>/dev/null || echo 0; }
since() { tail -n +$(($1 + 1)) "$log" 2>/dev/null; }
MINT='{"name":"probe","scopes":["protected:read"]}'
mint_status() {	# one mint by the root token, bounded: its status
	curl -s -m 15 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $ROOT" \
	    -H 'Content-Type: application/json' -d "${1:-$MINT}" "$BASE/v1/tokens"
}
# stop_worker FAULT: a mint with FAULT on; $stopped is the worker it
# stopped (empty if none did within 5 s).
stop_worker() {
	echo "$1 1" >"$faults"
	mint_status >/dev/null &
	stopped=
	for _ in $(seq 50); do
		for p in $(workers tokens-create); do
			[ "$(awk '{ print $3 }' "/proc/$p/stat" 2>/dev/null)" = T ] && stopped=$p
		done
		[ -z "$stopped" ] || break
		sleep 0.1
	done
	rm -f "$faults"
}
mint warm '["protected:read"]'
W=$TOKEN

# --- an idle worker
mark=$(lines)
pid=$(workers introspect | head -n 1)
kill -9 "$pid"
sleep 1.5
bad=0
for _ in $(seq 20); do
	introspect "$ROOT" "$W"
	[ "$STATUS $(jget .active)" = "200 true" ] || bad=$((bad + 1))
	[ "$(mint_status)" = 201 ] || bad=$((bad + 1))
done
is "idle worker killed: the next 40 requests all succeed" "$bad" 0
is "idle worker killed: no one logs a panic, a recovery or a stuck call" \
    "$(since "$mark" | grep -cE 'PANIC|recover|Thread died|stuck')" 0

# --- a worker stopped holding the writers' lock
mark=$(lines)
stop_worker stop_in_txn
held=$stopped
ok "lock holder: a worker stopped inside its transaction ($held)" test -n "$held"
t0=$(date +%s%N)
st=$(mint_status)
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
ok "lock holder: another write is answered within 5 s, 503 at worst ($st in $ms ms)" \
    test "$ms" -lt 5000 -a \( "$st" = 503 -o "$st" = 201 \)
introspect "$ROOT" "$W"
ok "lock holder: a read is answered meanwhile ($STATUS)" test "$STATUS" = 200 -o "$STATUS" = 503
[ -z "$held" ] || kill -9 "$held"
wait
ms=$(until_mint)
ok "lock holder killed: mints succeed again within 5 s ($ms ms)" test "$ms" != never -a "${ms/never/99999}" -lt 5000

# --- a worker killed while it waits for a lock: failchk frees what it
# held and is never stuck.  (glibc's pthread_cond_destroy would wait for
# the dead waiter forever: store.c.)  A worker the server starts at once
# may still meet the holder's locks before the holder is seen dead (its
# open is then ended within a second, and the next open recovers): only
# failchk's stays (open, maintenance) are asserted.
mark=$(lines)
stop_worker stop_in_txn
held=$stopped
waiter=$(workers tokens-create | grep -vx "${held:-none}" | head -n 1)
mint_status >/dev/null &
sleep 0.3	# well inside its wait: a lock wait ends after 1 s
for _ in 1 2 3 4; do	# asleep in it
	state=$(awk '{ print $3 }' "/proc/$waiter/stat" 2>/dev/null)
	[ "$state" = S ] && break
	sleep 0.05
done
ok "waiter: one worker stopped holding the writers' lock ($held), another waits for it ($waiter, state $state)" \
    test -n "$held" -a -n "$waiter" -a "$state" = S
kill -9 $waiter $held
wait
ms=$(until_mint)
ok "waiter killed: mints succeed again within 5 s ($ms ms)" test "$ms" != never -a "${ms/never/99999}" -lt 5000
is "waiter killed: failchk was never stuck, no thread died in the library" \
    "$(since "$mark" | grep -cE 'stuck \(watchdog\), exiting: (open|maintenance)$|Thread died')" 0
since "$mark" | grep -E 'PANIC|recover|Thread died|stuck' | head -n 5 | sed 's/^/#   /'

# --- a worker killed inside Berkeley DB, holding a region mutex: it stops
# itself in a B-tree comparison, the test sees the mutex it holds, then
# kills it there.
mark=$(lines)
stop_worker stop_in_compare
dead=$stopped
ok "in the library: a worker stopped in a B-tree comparison ($dead)" \
    grep -q "keyhole\[$dead\]: fault: stop_in_compare" "$log"
ok "in the library: it holds a mutex (db_stat shows one locked by $dead)" \
    bash -c "db5.3_stat -N -h '$KEYHOLE_HOME' -XA 2>/dev/null | grep -q '\\b$dead/'"
[ -z "$dead" ] || kill -9 "$dead"
wait
ms=$(until_mint)
ok "in the library: keyhole serves again within 5 s, by itself ($ms ms)" \
    test "$ms" != never -a "${ms/never/99999}" -lt 5000
echo "# killed inside the library: serving again after $ms ms"
introspect "$ROOT" "$W"
is "in the library: a token from before still introspects active" "$(jget .active)" true

# --- a worker killed between its write and its commit
mark=$(lines)
echo "die_before_commit 1" >"$faults"
st=$(mint_status '{"name":"uncommitted","scopes":["protected:read"]}')
rm -f "$faults"
ok "before commit: the worker died ($st)" grep -q 'fault: die_before_commit' "$log"
ms=$(until_mint)
ok "before commit: mints succeed again within 5 s ($ms ms)" test "$ms" != never -a "${ms/never/99999}" -lt 5000
is "before commit: the uncommitted token does not exist" \
    "$("$ctl" -d "$KEYHOLE_HOME" list -a | awk -F'\t' '$4 == "uncommitted"' | wc -l)" 0

# --- 50 clients rotating one token at once
mint rotated '["protected:read"]'
R=$ID
for i in $(seq 50); do
	curl -s -m 30 -o "$T/rot.$i" -w '%{http_code}\n' -H "Authorization: Bearer $ROOT" \
	    -H 'Content-Type: application/json' -d '{"grace_seconds":0}' \
	    "$BASE/v1/tokens/$R/rotate" >"$T/rotst.$i" &
done
wait
is "50 rotations at once: every one 200" "$(cat "$T"/rotst.* | sort | uniq -c | awk '{ print $1, $2 }')" "50 200"
for i in $(seq 50); do jq -r .token "$T/rot.$i"; done >"$T/rotated"
is "50 rotations at once: 50 different secrets" "$(sort -u "$T/rotated" | grep -c .)" 50
is "50 rotations at once: exactly one secret is current afterwards" "$(actives "$T/rotated")" 1
is "50 rotations at once: the audit log holds 50 rotations of it" \
    "$("$ctl" -d "$KEYHOLE_HOME" audit -e token.rotated -t "$R" -n 1000 | wc -l)" 50

# --- a graceful restart under load
mint acme-admin '[]' '"organization":"acme","subject":"alice","bindings":[{"role":"ADMIN","entity":"organization"}]'
LOADGEN_ADMIN=$TOKEN "$top/build/tests/loadgen" "$PORT" "$ROOT" 10 8 "$T/graceful" &
lg=$!
sleep 4
case ${SERVER:-lighttpd} in
lighttpd*) kill -USR1 "$(cat "$KEYHOLE_RUN/lighttpd.pid")" ;;
apache*) kill -USR1 "$(cat "$KEYHOLE_RUN/apache.pid")" ;;
esac
wait "$lg"
n=$(wc -l <"$T/graceful")
ok "graceful restart: requests were answered during it ($n)" test "$n" -gt 100
is "graceful restart: no 5xx and none unanswered" "$(awk '$2 >= 500 || $2 == 0' "$T/graceful" | wc -l)" 0
awk '$2 >= 500 || $2 == 0' "$T/graceful" | head -n 3 | sed 's/^/#   /'
ok "graceful restart: the server still answers" test "$(mint_status)" = 201
stop_server
"$ctl" -d "$KEYHOLE_HOME" verify >"$T/verify" 2>&1
ok "keyholectl verify finds no problem after every death" grep -q ' verified: 0 problems$' "$T/verify"
grep -v 'audit:' "$T/verify" | head -n 5 | sed 's/^/#   /'
