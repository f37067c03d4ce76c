#!/bin/bash
# 64 clients for 60 s (CONCURRENCY_SECONDS) against 8 workers per
# endpoint, each running the whole life of a token (mint, introspect,
# rotate, introspect, revoke, introspect) and minting through every
# dialect (tests/loadgen.c, LOADGEN_ADMIN), begun once every worker has
# joined the store: no 5xx, no store call over 1 s under it (keyhole's
# own timing, KEYHOLE_LOG_SLOW_MS), every answer what the token's life
# says, and afterwards the store's invariants hold (keyholectl verify),
# its audit log counting exactly the operations that succeeded.
# Loopback only; bounded in time.
. "$(dirname "$0")/../http/lib.sh"
CLIENTS=64
DURATION=${CONCURRENCY_SECONDS:-60}
KEYHOLE_LOG_SLOW_MS=1000 start_server 8
ok "every worker joined the store before the load" wait_ready
mint acme-admin '[]' '"organization":"acme","subject":"alice","bindings":[{"role":"ADMIN","entity":"organization"}]'
ADMIN=$TOKEN

# The load's own stays: those logged from here on.
from=$(($(wc -l <"$KEYHOLE_RUN/keyhole.log") + 1))
t0=$SECONDS
LOADGEN_ADMIN=$ADMIN "$top/build/tests/loadgen" "$PORT" "$ROOT" "$DURATION" \
    "$CLIENTS" "$T/mix"
took=$((SECONDS - t0))
out=$T/mix
n=$(wc -l <"$out")
ok "the load ran its $DURATION s and stopped by itself (took $took s)" \
    test "$took" -le $((DURATION + 30))
ok "requests were answered ($n)" test "$n" -gt 1000
is "no 5xx" "$(awk '$2 >= 500' "$out" | wc -l)" 0
is "no request left unanswered" "$(awk '$2 == 0' "$out" | wc -l)" 0
is "every answer was its operation's success" \
    "$(awk '!($2 == 200 || $2 == 201 || ($1 == "revoke" && $2 == 204))' "$out" | wc -l)" 0
for op in mint rotate revoke archil turso deepset astronomer timbal; do
	c=$(awk -v op=$op '$1 == op && $2 >= 200 && $2 < 300' "$out" | wc -l)
	ok "$op: succeeded under the load ($c)" test "$c" -gt 0
done
# Introspection follows the token's life: after a mint and after a
# rotation active, after a revocation not.
awk '$1 == "revoke" && $2 >= 200 && $2 < 300 { dead[$4] = 1 }
    $1 == "mint" { id[$3] = $4 } $1 == "rotate" { id[$3] = $4 }
    $1 == "introspect" { print $3, $4, (id[$3] in dead) }' "$out" >"$T/seen"
is "every introspection of a live token said active" "$(awk '$3 == 0 && $2 != 1' "$T/seen" | wc -l)" 0
is "every introspection after its revocation said inactive" "$(awk '$3 == 1 && $2 != 0' "$T/seen" | wc -l)" 0
is "no store call waited over 1 s under the load (keyhole's own timing)" \
    "$(tail -n +"$from" "$KEYHOLE_RUN/keyhole.log" | grep -cE 'store: (open|transaction|read) took')" 0
tail -n +"$from" "$KEYHOLE_RUN/keyhole.log" | grep 'store: .* took' | head -n 5 | sed 's/^/#   /'
head -n "$((from - 1))" "$KEYHOLE_RUN/keyhole.log" | grep 'store: .* took' | head -n 5 |
    sed 's/^/#   before the load: /'
is "no deadlock outlasted its retries" \
    "$(grep -c 'still deadlocked' "$KEYHOLE_RUN/keyhole.log")" 0

# A sample of every dialect's secrets introspect active afterwards; of
# Timbal's enrollment tokens (no bearer credentials), each redeems once.
awk '$2 >= 200 && $2 < 300 && $1 ~ /^(archil|turso|deepset|astronomer)$/ { print $3 }' "$out" |
    shuf -n 2000 --random-source=<(yes) >"$T/sample"
is "a sample of the dialects' secrets introspect active ($(wc -l <"$T/sample"))" \
    "$(actives "$T/sample")" "$(wc -l <"$T/sample")"
redeemed=0
for enr in $(awk '$1 == "timbal" && $2 >= 200 && $2 < 300 { print $3 }' "$out" | shuf -n 20 --random-source=<(yes)); do
	req POST /v1/enrollments/redeem "" "{\"token\":\"$enr\",\"name\":\"connector\"}"
	[ "$STATUS" != 201 ] || redeemed=$((redeemed + 1))
done
is "a sample of Timbal's enrollment tokens each redeem" "$redeemed" 20
stop_server

# The store afterwards: every index against the tokens, Berkeley DB's
# own verification, and the audit log against what succeeded.
"$ctl" -d "$KEYHOLE_HOME" verify >"$T/verify" 2>&1
ok "keyholectl verify finds no problem" grep -q ' verified: 0 problems$' "$T/verify"
grep -v '^keyholectl: audit' "$T/verify" | head -n 5 | sed 's/^/#   /'
events() { awk -v e="$1" '$4 == e { print $3 }' "$T/verify"; }
mints=$(awk '$2 >= 200 && $2 < 300 && $1 ~ /^(mint|archil|turso|deepset|astronomer|timbal)$/' "$out" | wc -l)
is "token.created events: the 2 before the load and every mint that succeeded" \
    "$(events token.created)" $((mints + 2))
is "token.redeemed events: every redemption" "$(events token.redeemed)" "$redeemed"
is "token.rotated events: every rotation that succeeded" "$(events token.rotated)" \
    "$(awk '$1 == "rotate" && $2 >= 200 && $2 < 300' "$out" | wc -l)"
is "token.revoked events: every revocation that succeeded" "$(events token.revoked)" \
    "$(awk '$1 == "revoke" && $2 >= 200 && $2 < 300' "$out" | wc -l)"
echo "# concurrency: clients=$CLIENTS workers=8 duration=${DURATION}s requests=$n" \
    "5xx=$(awk '$2 >= 500' "$out" | wc -l)" \
    "p99_ms=$(awk '{ print $5 }' "$out" | sort -n | awk '{ a[NR] = $1 } END { print a[int(NR * 0.99)] }')" \
    "max_ms=$(awk '{ print $5 }' "$out" | sort -n | tail -n 1)"
