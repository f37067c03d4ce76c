#!/bin/bash
# Failed authentications cost the attacker, not the store: per client
# address and minute, across every worker, refused credentials beyond
# KEYHOLE_AUTH_FAILURES are answered 429; a valid credential never is;
# the audit trail records them aggregated.  And the trail's retention.
export KEYHOLE_AUTH_FAILURES=30
. "$(dirname "$0")/lib.sh"
start_server 4

codes() {	# codes FROM COUNT TOKEN PATH: one status per line, keep-alive
	curl -s -o /dev/null -w '%{http_code}\n' --interface "$1" --max-time 60 \
	    -H "Authorization: Bearer $3" "$BASE$4?limit=[1-$2]"
}

# --- (f) 300 bad bearer tokens from one address, over 4 workers
codes 127.0.0.5 150 kh_bogus /v1/tokens >"$T/f1"
codes 127.0.0.5 150 "${ROOT%?}x" /v1/tokens >"$T/f2"	# well-formed prefix, bad checksum
cat "$T/f1" "$T/f2" >"$T/f"
is "(f) 300 bad bearer tokens from one address: 30 are 401" "$(grep -c '^401$' "$T/f")" 30
is "(f) ... and the other 270 are 429" "$(grep -c '^429$' "$T/f")" 270
is "(f) ... the first 30 come first" "$(head -n 30 "$T/f" | sort -u)" 401
FROM=127.0.0.5 req GET /v1/tokens kh_bogus
is "(f) another bad one: 429" "$STATUS" 429
retry=$(header Retry-After)
ok "(f) ... with Retry-After, at most a minute ($retry)" test "${retry:-0}" -ge 1 -a "${retry:-0}" -le 60
is "(f) ... in a problem document" "$(jget .status)" 429
FROM=127.0.0.5 req GET /v1/tokens "$ROOT"
is "(f) the valid token from the same address: 200" "$STATUS" 200
FROM=127.0.0.5 req POST /v1/introspect "$ROOT" "token=$ROOT" application/x-www-form-urlencoded
is "(f) ... and introspects: 200" "$STATUS" 200
FROM=127.0.0.5 req POST /v1/introspect kh_bogus "token=$ROOT" application/x-www-form-urlencoded
is "(f) a bad caller of introspection: 429, OAuth-style" "$STATUS $(jget .error)" "429 invalid_client"
FROM=127.0.0.5 req POST /v1/enrollments/redeem "" '{"token":"kh_bogus","name":"x"}'
is "(f) a refused enrollment secret from there: 429" "$STATUS" 429
FROM=127.0.0.6 req GET /v1/tokens kh_bogus
is "(f) a bad token from another address: still 401" "$STATUS" 401

# Unknown tokens asked about by a valid caller are no failed login.
mint introspector '["tokens:introspect","tokens:revoke"]'
for i in $(seq 40); do
	FROM=127.0.0.7 req POST /v1/introspect "$TOKEN" "token=kh_unknown$i" application/x-www-form-urlencoded
	[ "$STATUS" = 200 ] || break
	FROM=127.0.0.7 req POST /v1/revoke "$TOKEN" "token=kh_unknown$i" application/x-www-form-urlencoded
	[ "$STATUS" = 200 ] || break
done
is "(f) 80 unknown tokens introspected and revoked by a valid caller: all 200" "$STATUS $i" "200 40"
FROM=127.0.0.7 req GET /v1/tokens kh_bogus
is "(f) ... and a bad credential from that address is still only 401" "$STATUS" 401
# Refused enrollment secrets count like callers'.
codes_redeem() {
	for _ in $(seq "$2"); do
		curl -s -o /dev/null -w '%{http_code}\n' --interface "$1" \
		    -H 'Content-Type: application/json' \
		    --data-binary '{"token":"kh_bogus","name":"x"}' "$BASE/v1/enrollments/redeem"
	done
}
codes_redeem 127.0.0.8 31 >"$T/e"
is "(f) 31 refused enrollment secrets: the 31st is 429" "$(tr '\n' ' ' <"$T/e" | awk '{print $30, $31}')" "401 429"

# 1,000 bad ones from one address write a handful of audit entries.
codes 127.0.0.9 1000 kh_bogus /v1/tokens >"$T/g"
is "(f) 1,000 bad tokens: 970 answered 429" "$(grep -c '^429$' "$T/g")" 970
req GET "/v1/audit?event=auth.refused&limit=1000" "$ROOT"
n=$(jq '[.events[] | select(.address == "127.0.0.9")] | length' <<<"$BODY")
ok "(f) ... and at most 100 audit entries (here $n)" test "$n" -ge 1 -a "$n" -le 100
is "(f) ... one says the limit was crossed" \
    "$(jq -r '[.events[] | select(.address == "127.0.0.9") | .detail | test("more than 30 a minute")] | any' <<<"$BODY")" true

# --- (i) the audit trail's retention: sweep trims what is older.  The cut
# lies a second after the last entry and a second before the next, and the
# retention is counted back to it, however long the tools take to start.
req GET "/v1/audit?limit=1000" "$ROOT"
before=$(jq '.events | length' <<<"$BODY")
sleep 1.1
cut=$(date +%s)
sleep 1.1
mint after-the-cut '["db:read"]'
"$ctl" -d "$KEYHOLE_HOME" sweep --audit-retention $(( $(date +%s) - cut )) 2>"$T/sweep.err"
is "(i) keyholectl sweep --audit-retention: exit 0" "$?" 0
ok "(i) ... it deleted the $before entries older than the cut" grep -q "deleted $before audit entries" "$T/sweep.err"
req GET "/v1/audit?limit=1000&order=asc" "$ROOT"
# (A sweep also writes the counts of refusal windows that have ended.)
is "(i) ... what is left: the later mint, then the trim itself" \
    "$(jq -r '[.events[].event | select(. != "auth.refused")] | join(" ")' <<<"$BODY")" \
    "token.created audit.trimmed"
is "(i) ... which says what it did" \
    "$(jq -r '[.events[] | select(.event == "audit.trimmed")][0].detail | test("^'"$before"' entries older than ")' <<<"$BODY")" true
