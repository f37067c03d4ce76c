#!/bin/bash
# Use limits (spent atomically, under concurrency), enrollment tokens and
# their redemption, last-used tracking.
. "$(dirname "$0")/lib.sh"
start_server 4

active() { introspect "$ROOT" "$1"; jget .active; }

# --- max_uses: each successful use spends one
mint limited '["tokens:read","db:read"]' '"max_uses":3'
L=$TOKEN L_ID=$ID
is "max_uses is uses_left at mint" "$(jget .uses_left)" 3
is "an introspection is a use (1 of 3)" "$(active "$L")" true
req GET "/v1/tokens?limit=1" "$L"
is "an API call with the token is a use (2 of 3)" "$STATUS" 200
is "the last use (3 of 3)" "$(active "$L")" true
is "then the token is inactive" "$(active "$L")" false
req GET "/v1/tokens?limit=1" "$L"
is "and refused as a caller: 401" "$STATUS" 401
req GET "/v1/tokens/$L_ID" "$ROOT"
is "its status is exhausted" "$(jget .status) $(jget .uses_left)" "exhausted 0"
is "its use counter counts the three" "$(jget .use_count)" 3
for bad in 0 -1 1.5 '"3"' 1000000001; do
	req POST /v1/tokens "$ROOT" "{\"name\":\"x\",\"scopes\":[\"db:read\"],\"max_uses\":$bad}"
	is "max_uses $bad: 422" "$STATUS" 422
done
# An inactive answer spends nothing.
mint other-org '["db:read"]' '"organization":"acme","max_uses":1'
OO=$TOKEN OO_ID=$ID
mint acme-rs '["tokens:introspect"]' '"organization":"beta"'
introspect "$TOKEN" "$OO"
is "asked about by another organization: inactive" "$(jget .active)" false
req GET "/v1/tokens/$OO_ID" "$ROOT"
is "... and no use was spent" "$(jget .uses_left)" 1

# 200 introspections at once of a token with 50 uses: exactly 50 active.
mint fifty '["db:read"]' '"max_uses":50'
F=$TOKEN F_ID=$ID
seq 200 | xargs -P 40 -I{} curl -s --max-time 30 -H "Authorization: Bearer $ROOT" \
    --data-urlencode "token=$F" -o "$T/f{}" "$BASE/v1/introspect"
is "200 concurrent introspections of a 50-use token: 200 answers" "$(cat "$T"/f* | jq -r .active | wc -l)" 200
is "... exactly 50 of them active" "$(cat "$T"/f* | jq -r .active | grep -c true)" 50
req GET "/v1/tokens/$F_ID" "$ROOT"
is "... uses_left 0, use_count 50" "$(jget .uses_left) $(jget .use_count)" "0 50"

# --- enrollment tokens
req POST /v1/tokens "$ROOT" '{"name":"enroll","kind":"enrollment","organization":"acme","entity":"workspace:w1","bindings":[{"role":"WORKSPACE_MEMBER"}],"scopes":["agent:report"]}'
is "mint an enrollment token: 201" "$STATUS" 201
E=$(jget .token) E_ID=$(jget .id)
is "... kind enrollment, one use by default" "$(jget .kind) $(jget .uses_left)" "enrollment 1"
is "... a short default lifetime (one day)" \
    "$(( $(date -d "$(jget .expires_at)" +%s) - $(date -d "$(jget .created_at)" +%s) ))" 86400
req GET "/v1/tokens?status=active&limit=1000" "$ROOT"
ok "it is listed like any token" grep -q "$E_ID" <<<"$BODY"
is "it does not introspect active (it is good only for redeeming)" "$(active "$E")" false
req GET /v1/tokens "$E"
is "it is no API credential: 401" "$STATUS" 401
req POST /v1/enrollments/redeem "" "{\"token\":\"$E\"}"
is "a redemption without name: 422" "$STATUS" 422
req POST /v1/enrollments/redeem "" "{\"token\":\"$E\",\"name\":\"agent-1\",\"scopes\":[\"*\"]}"
is "a redemption asking for scopes: 422" "$STATUS" 422
req POST /v1/enrollments/redeem "" 'not json'
is "a redemption that is not JSON: 400" "$STATUS" 400
req GET "/v1/tokens/$E_ID" "$ROOT"
is "the refused redemptions spent nothing" "$(jget .uses_left)" 1
req POST /v1/enrollments/redeem "" "{\"token\":\"$E\",\"name\":\"agent-1\",\"metadata\":{\"host\":\"h1\"}}"
is "redeem: 201" "$STATUS" 201
A=$(jget .token) A_ID=$(jget .id)
is "... a standard token" "$(jget .kind)" standard
is "... with the enrollment's organization, entity and grants" \
    "$(jq -c '[.organization, .entity, .bindings, .scopes]' <<<"$BODY")" \
    '["acme","workspace:w1",[{"role":"WORKSPACE_MEMBER","entity":"workspace:w1"}],["*:read","agent:report"]]'
is "... minted by the enrollment token" "$(jget .created_by)" "$E_ID"
is "... and its secret works" "$(active "$A")" true
req POST /v1/enrollments/redeem "" "{\"token\":\"$E\",\"name\":\"agent-2\"}"
is "a second redemption of a one-use enrollment: 401" "$STATUS" 401
req POST /v1/enrollments/redeem "" "{\"token\":\"$A\",\"name\":\"agent-3\"}"
is "redeeming a standard token: 401" "$STATUS" 401
req POST /v1/tokens "$ROOT" '{"name":"enroll-rev","kind":"enrollment","scopes":["agent:report"],"max_uses":5}'
ER=$(jget .token) ER_ID=$(jget .id)
req DELETE "/v1/tokens/$ER_ID" "$ROOT"
req POST /v1/enrollments/redeem "" "{\"token\":\"$ER\",\"name\":\"agent-4\"}"
is "redeeming a revoked enrollment token: 401" "$STATUS" 401
req POST /v1/tokens "$ROOT" '{"name":"enroll-long","kind":"enrollment","scopes":["agent:report"],"expires_in":2592001}'
is "an enrollment token living past 30 days: 403" "$STATUS" 403
# Concurrent redemptions of a one-use enrollment: exactly one wins.
req POST /v1/tokens "$ROOT" '{"name":"enroll-race","kind":"enrollment","scopes":["agent:report"]}'
EC=$(jget .token)
seq 20 | xargs -P 20 -I{} curl -s --max-time 30 -o /dev/null -w '%{http_code}\n' \
    -H 'Content-Type: application/json' -d "{\"token\":\"$EC\",\"name\":\"racer-{}\"}" \
    "$BASE/v1/enrollments/redeem" >"$T/race"
is "20 concurrent redemptions of a one-use enrollment: one 201" "$(grep -c 201 "$T/race")" 1
is "... and 19 refusals" "$(grep -c 401 "$T/race")" 19

# --- last used: time, address, user agent; coalesced per interval (60 s here)
mint lastused '["db:read"]'
U=$TOKEN U_ID=$ID
req GET "/v1/tokens/$U_ID" "$ROOT"
is "a fresh token was never used" "$(jget .last_used_at) $(jget .use_count)" "null 0"
curl -s -A 'probe/1.0' -H "Authorization: Bearer $ROOT" --data-urlencode "token=$U" "$BASE/v1/introspect" >/dev/null
req GET "/v1/tokens/$U_ID" "$ROOT"
FIRST=$(jget .last_used_at)
ok "a use sets last_used_at" test "$FIRST" != null
is "... the client address" "$(jget .last_used_address)" 127.0.0.1
is "... the user agent" "$(jget .last_used_user_agent)" probe/1.0
is "... and counts" "$(jget .use_count)" 1
mint agent '["db:read"]'
curl -s -A "$(printf 'caf\xc3\xa9 "x"\tb')" -H "Authorization: Bearer $ROOT" --data-urlencode "token=$TOKEN" "$BASE/v1/introspect" >/dev/null
req GET "/v1/tokens/$ID" "$ROOT"
is "a user agent is stored as printable ASCII, so the token object stays valid JSON" \
    "$(jget .last_used_user_agent)" 'caf?? "x"?b'
sleep 1.1
for i in 1 2 3; do active "$U" >/dev/null; done
req GET "/v1/tokens/$U_ID" "$ROOT"
is "uses within the interval do not write again" "$(jget .last_used_at) $(jget .use_count)" "$FIRST 1"
