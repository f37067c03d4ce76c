#!/bin/bash
# Disk faults, made by an LD_PRELOAD library (tests/faultshim.c) that the
# test turns on and off under the running server ($KEYHOLE_HOME.faults):
#   - a slow disk (every fsync 2.5 s longer, KEYHOLE_SYNC=full): slow is
#     not stuck, so no process is taken for dead, no recovery, no 5xx;
#     and, as a control, the same disk with KEYHOLE_IO_WAIT_SECS=1 is
#     taken for a hung one (so the test can tell);
#   - a full disk, then a read-only one: every write is 503 in its
#     dialect's shape, reads still answer, nothing partial is stored, and
#     writes succeed again by themselves once the fault is gone.
# Loopback only; bounded in time.
. "$(dirname "$0")/lib.sh"
shim=$top/build/tests/faultshim.so
faults=$KEYHOLE_HOME.faults
[ -f "$shim" ] || { echo "not ok - $shim built (make units)"; exit 1; }
log=$KEYHOLE_RUN/keyhole.log

load() {	# load SECONDS CLIENTS FILE: mints and introspections
	"$top/build/tests/loadgen" "$PORT" "$ROOT" "$1" "$2" "$3"
}
count() { grep -c "$1" "$log" 2>/dev/null; }
restart() {	# restart [PROCS]: the same store, its root token kept
	local root=$ROOT
	stop_server
	start_server "$@"
	ROOT=$root
}

# --- a slow disk
KEYHOLE_SYNC=full LD_PRELOAD=$shim start_server 4
echo "fsync_delay_ms 2500" >"$faults"
load 12 2 "$T/slow"
rm -f "$faults"
n=$(awk '$2 >= 200 && $2 < 300' "$T/slow" | wc -l)
ok "slow disk: requests were answered ($n)" test "$n" -ge 4
is "slow disk: no 5xx and no request left unanswered" \
    "$(awk '$2 >= 500 || $2 == 0' "$T/slow" | wc -l)" 0
awk '$2 >= 500 || $2 == 0' "$T/slow" | head -n 3 | sed 's/^/#   /'
grep -v ' took ' "$log" | tail -n 5 | sed 's/^/#   /'
slowest=$(sort -k4 -n "$T/slow" | tail -n 1 | awk '{ print $4 }')
ok "slow disk: a request waited longer than the 2 s bound (${slowest} ms)" \
    test "$slowest" -gt 2000
ok "slow disk: store calls over 2 s were logged as slow" \
    grep -qE 'store: (transaction|read|checkpoint) took [2-9][0-9]{3} ms' "$log"
is "slow disk: no process was taken for stuck" "$(count 'stuck (watchdog)')" 0
is "slow disk: no recovery ran" "$(count 'recovered')" 0
is "slow disk: every 201 token introspects active" \
    "$(awk '$1 == "mint" && $2 == 201' "$T/slow" | while read -r _ _ tok _; do
	introspect "$ROOT" "$tok"
	[ "$(jget .active)" = true ] || echo lost
    done | wc -l)" 0

# The control: a disk whose flush outlasts KEYHOLE_IO_WAIT_SECS is hung.
KEYHOLE_SYNC=full KEYHOLE_IO_WAIT_SECS=1 LD_PRELOAD=$shim restart 2
echo "fsync_delay_ms 4000" >"$faults"
req POST /v1/tokens "$ROOT" '{"name":"hung","scopes":["protected:read"]}'
rm -f "$faults"
ok "hung disk (control): a waiting process is taken for stuck" \
    grep -q 'stuck (watchdog)' "$log"
# Again in a worker that has lived on (one worker, warmed by 24 mints):
# it ticks by a thread, not by alarm(2), and is taken for stuck all the same.
KEYHOLE_SYNC=full KEYHOLE_IO_WAIT_SECS=1 LD_PRELOAD=$shim restart 1
stuck=$(count 'stuck (watchdog)')
for i in $(seq 24); do
	req POST /v1/tokens "$ROOT" '{"name":"warm","scopes":["protected:read"]}'
done
is "hung disk (control), a worker that lived on: the warm-up's mints answered 201" "$STATUS" 201
echo "fsync_delay_ms 4000" >"$faults"
req POST /v1/tokens "$ROOT" '{"name":"hung","scopes":["protected:read"]}'
rm -f "$faults"
ok "hung disk (control), a worker that lived on: it is taken for stuck" \
    test "$(count 'stuck (watchdog)')" -gt "$stuck"

# --- a full disk, then a read-only one
LD_PRELOAD=$shim restart 2
stuck=$(count 'stuck (watchdog)')
mint acme-admin '[]' '"organization":"acme","subject":"alice","bindings":[{"role":"ADMIN","entity":"organization"}]'
ADMIN=$TOKEN
mint before '["protected:read"]'
KEEP_TOKEN=$TOKEN KEEP_ID=$ID
snapshot() {	# what is stored: every token (revoked too) and the audit log,
	# but for the tokens named "after" (minted once a fault is gone)
	local all
	all=$({ "$ctl" -d "$KEYHOLE_HOME" list -a && "$ctl" -d "$KEYHOLE_HOME" audit -n 1000000; } 2>&1)
	grep -vFf <(awk -F'\t' '$4 == "after" { print $1 } END { print "no such id" }' <<<"$all") <<<"$all"
}
for fault in enospc erofs; do
	what=$([ $fault = enospc ] && echo "full disk" || echo "read-only disk")
	before=$(snapshot)
	echo "$fault 1" >"$faults"
	req POST /v1/tokens "$ROOT" '{"name":"refused","scopes":["protected:read"]}'
	is "$what: a native mint is 503" "$STATUS" 503
	conforms "$what: ... as a problem document" problem Problem
	req DELETE "/v1/tokens/$KEEP_ID" "$ROOT"
	is "$what: a revocation is 503" "$STATUS" 503
	req POST "/v1/tokens/$KEEP_ID/rotate" "$ROOT" '{}'
	is "$what: a rotation is 503" "$STATUS" 503
	req POST /api/tokens "$ROOT" '{"name":"refused"}'
	is "$what: an Archil mint is 503" "$STATUS" 503
	conforms "$what: ... in Archil's envelope" archil ErrorResponse
	req POST /v1/auth/api-tokens/refused "$ADMIN" ''
	is "$what: a Turso mint is 503" "$STATUS" 503
	conforms "$what: ... in Turso's envelope" turso Error
	req POST /api/v1/token "$ADMIN" '{"name":"refused"}'
	is "$what: a deepset mint is 503" "$STATUS" 503
	conforms "$what: ... in deepset's envelope" deepset ErrorMessage
	# Reads need no write, but a process that had not yet opened the
	# log when the disk turned read-only cannot (Berkeley DB then panics
	# the environment): 503, as a problem document, at worst.
	introspect "$ROOT" "$KEEP_TOKEN"
	ok "$what: an introspection answers 200, or 503 in the OAuth shape ($STATUS)" \
	    test "$STATUS $(jget .active)" = "200 true" -o "$STATUS $(jget .error)" = "503 temporarily_unavailable"
	req GET /v1/tokens "$ROOT"
	ok "$what: a listing answers 200, or 503 as a problem document ($STATUS)" \
	    test "$STATUS" = 200 -o "$STATUS $(jget .status)" = "503 503"
	rm -f "$faults"
	# Back by itself, no one running anything: within 10 s.
	t0=$(date +%s%N)
	for _ in $(seq 100); do
		mint after '["protected:read"]'
		[ "$STATUS" != 201 ] || break
		sleep 0.1
	done
	is "$what: once the fault is gone, mints succeed again by themselves" "$STATUS" 201
	echo "# $what: writes again $(( ($(date +%s%N) - t0) / 1000000 )) ms after the fault"
	introspect "$ROOT" "$TOKEN"
	is "$what: ... and the new token is active" "$(jget .active)" true
	is "$what: nothing refused was stored, not even in part" "$(snapshot)" "$before"
done
is "disk faults: no process was taken for stuck" "$(count 'stuck (watchdog)')" "$stuck"
stop_server
for db in records.db records-id.db records-prev.db records-parent.db tokens-list.db audit.db; do
	ok "db_verify passes on $db after the faults" \
	    db5.3_verify -q -h "$KEYHOLE_HOME" "$KEYHOLE_HOME/$db"
done
