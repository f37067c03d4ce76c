#!/bin/bash
# The audit trail (GET /v1/audit, keyholectl audit), keyholectl's side of
# the token model (create --role/--entity, rotate, revoke --cascade), and
# keyholectl sweep.
. "$(dirname "$0")/lib.sh"
start_server 2

active() { introspect "$ROOT" "$1"; jget .active; }
events() { jq -r '[.events[].event] | join(" ")' <<<"$BODY"; }

# --- every change is in the trail, newest first, never with a secret
mint audited '["db:read","tokens:read"]' '"organization":"acme"'
A=$TOKEN A_ID=$ID
req PATCH "/v1/tokens/$A_ID" "$ROOT" '{"name":"audited-2"}'
req POST "/v1/tokens/$A_ID/rotate" "$ROOT" '{"grace_seconds":30}'
A2=$(jget .token)
req POST "/v1/tokens/$A_ID/rotate/finish" "$ROOT" ''
req DELETE "/v1/tokens/$A_ID" "$ROOT"
req GET "/v1/audit?target=$A_ID" "$ROOT"
is "GET /v1/audit: 200" "$STATUS" 200
is "mint, update, rotation, its end, revocation: newest first" "$(events)" \
    "token.revoked token.rotation_finished token.rotated token.updated token.created"
is "each names the actor" "$(jq -r '[.events[].actor] | unique | length' <<<"$BODY")" 1
is "each names the organization" "$(jq -r '[.events[].organization] | unique | join(" ")' <<<"$BODY")" acme
req GET "/v1/audit?target=$A_ID&order=asc" "$ROOT"
is "order=asc: oldest first" "$(jq -r '.events[0].event' <<<"$BODY")" token.created
req POST /v1/tokens "$ROOT" '{"name":"enr","kind":"enrollment","scopes":["db:read"],"organization":"acme"}'
E=$(jget .token) E_ID=$(jget .id)
req POST /v1/enrollments/redeem "" "{\"token\":\"$E\",\"name\":\"redeemed\"}"
R=$(jget .token) R_ID=$(jget .id)
req GET "/v1/audit?event=token.redeemed" "$ROOT"
is "a redemption: actor the enrollment, target the new token" \
    "$(jq -r '.events[0] | "\(.actor) \(.target)"' <<<"$BODY")" "$E_ID $R_ID"

# Refused authentication: a bad secret, an inactive one, a missing scope.
# Refused credentials are recorded per address and minute (the first of
# each): two addresses here, so both show.
FROM=127.0.0.2 req GET /v1/tokens "kh_bogus"
FROM=127.0.0.3 req GET /v1/tokens "$A2"
req POST /v1/tokens "$R" '{"name":"x","scopes":["db:read"]}'
req GET "/v1/audit?event=auth.refused&limit=10" "$ROOT"
is "three refused authentications are recorded" "$(jq '.events | length' <<<"$BODY")" 3
is "... with their reasons" "$(jq -r '[.events[].detail] | join("; ")' <<<"$BODY")" \
    "scope tokens:create missing; inactive token; malformed token"
is "... naming the token presented when it is known" "$(jq -r '.events[1].actor' <<<"$BODY")" "$A_ID"
is "... and the client's address" "$(jq -r '[.events[1,2].address] | join(" ")' <<<"$BODY")" "127.0.0.3 127.0.0.2"
req GET "/v1/audit?limit=1000" "$ROOT"
ALL=$BODY
leaked=0
for s in "$ROOT" "$A" "$A2" "$E" "$R"; do
	grep -qF "$s" <<<"$ALL" && leaked=1
done
is "no secret appears anywhere in the trail" "$leaked" 0

# Paging: a cursor resumes where the page ended, without overlap.
req GET "/v1/audit?limit=3" "$ROOT"
P1=$(jq -r '[.events[].id] | join(" ")' <<<"$BODY") C=$(jget .next_cursor)
req GET "/v1/audit?limit=3&cursor=$C" "$ROOT"
P2=$(jq -r '[.events[].id] | join(" ")' <<<"$BODY")
is "two pages are the first six entries" "$P1 $P2" "$(jq -r '[.events[:6][].id] | join(" ")' <<<"$ALL")"
for bad in limit=0 limit=1001 cursor=nope target=nope since=yesterday order=up colour=red; do
	req GET "/v1/audit?$bad" "$ROOT"
	is "audit query $bad: 400" "$STATUS" 400
done
req GET "/v1/audit?since=2000-01-01T00:00:00Z&until=2000-01-02T00:00:00Z" "$ROOT"
is "since/until outside every entry: none" "$(jq '.events | length' <<<"$BODY")" 0

# Who may read it: audit:read at the organization, and only its entries.
mint acme-auditor '["audit:read"]' '"organization":"acme"'
AUDITOR=$TOKEN
req GET "/v1/audit?limit=1000" "$TOKEN"
is "an organization-bound reader sees only its organization" \
    "$(jq -r '[.events[].organization] | unique | join(" ")' <<<"$BODY")" acme
mint ws-auditor '[]' '"organization":"acme","entity":"workspace:w","bindings":[{"role":"WORKSPACE_OWNER"}]'
WSA=$TOKEN WSA_ID=$ID
req GET /v1/audit "$WSA"
is "a workspace-bound token cannot read the organization's trail: 403" "$STATUS" 403
req POST /v1/tokens "$WSA" '{"name":"grab","entity":"organization","bindings":[{"role":"ADMIN"}]}'
is "an escalation attempt: 403" "$STATUS" 403
req GET "/v1/audit?event=auth.refused&actor=$WSA_ID" "$ROOT"
is "... is recorded with the caller as actor" "$(jq -r '.events[0].detail' <<<"$BODY")" \
    "The token would act outside the caller's entity, or where the caller does not hold tokens:create."
mint no-audit '["tokens:read"]'
req GET /v1/audit "$TOKEN"
is "without audit:read: 403" "$STATUS" 403

# --- keyholectl: the same model and the same trail
OUT=$("$ctl" audit -e token.created -j)
is "keyholectl audit -e token.created -j: one JSON line per mint" \
    "$(jq -r .event <<<"$OUT" | sort -u)" token.created
req GET "/v1/audit?limit=2" "$ROOT"
is "keyholectl audit -n 2: the last two, oldest first" \
    "$("$ctl" audit -n 2 | cut -f2)" "$(jq -r '.events[1].event, .events[0].event' <<<"$BODY")"
WS=$("$ctl" create -n ws --role WORKSPACE_OWNER@workspace:ws1 --org acme --entity workspace:ws1 --ttl 3600 2>/dev/null)
introspect "$ROOT" "$WS"
WS_ID=$(jget .jti)
is "keyholectl create --role --org --entity --ttl: active, in acme" "$(jget .active) $(jget .organization)" "true acme"
req GET "/v1/tokens/$WS_ID" "$ROOT"
is "... bound as asked" "$(jq -c '[.entity, .bindings]' <<<"$BODY")" \
    '["workspace:ws1",[{"role":"WORKSPACE_OWNER","entity":"workspace:ws1"}]]'
"$ctl" create -n bad --role WORKSPACE_OWNER@organization >/dev/null 2>&1
is "keyholectl create refuses a role where it cannot be bound: 2" "$?" 2
req POST /v1/tokens "$WS" '{"name":"narrow","bindings":[{"role":"WORKSPACE_MEMBER"}]}'
NARROW=$(jget .token)
WS2=$("$ctl" rotate -g 30 "$WS_ID" 2>/dev/null)
ok "keyholectl rotate -g 30 prints a new secret" test -n "$WS2" -a "$WS2" != "$WS"
is "... the old one still works" "$(active "$WS")" true
is "... the new one works" "$(active "$WS2")" true
"$ctl" finish "$WS_ID"
is "keyholectl finish ends the grace" "$(active "$WS")" false
"$ctl" revoke --cascade "$WS_ID" 2>/dev/null
is "keyholectl revoke --cascade revokes the token" "$(active "$WS2")" false
is "... and the one it minted" "$(active "$NARROW")" false

# --- sweep: purge what expired (or was revoked) before the retention
mint fleeting '["db:read"]' '"expires_in":1,"organization":"acme"'
F_ID=$ID
mint keeper '["db:read"]'
K=$TOKEN
req POST /v1/tokens "$ROOT" '{"name":"parent","kind":"enrollment","scopes":["db:read"],"expires_in":3}'
P=$(jget .token) P_ID=$(jget .id)
req POST /v1/enrollments/redeem "" "{\"token\":\"$P\",\"name\":\"child\"}"
is "an enrollment redeemed before it expires: 201" "$STATUS" 201
C=$(jget .token)
sleep 4
"$ctl" sweep -r 0 2>"$T/sweep"
ok "keyholectl sweep reports what it purged" grep -q 'purged [1-9]' "$T/sweep"
req GET "/v1/tokens/$F_ID" "$ROOT"
is "an expired token is gone" "$STATUS" 404
is "an active one stays" "$(active "$K")" true
req GET "/v1/audit?target=$F_ID" "$ROOT"
is "the purged token's trail stays, ending in token.purged" "$(events)" "token.purged token.created"
req GET "/v1/audit?target=$F_ID" "$AUDITOR"
is "... and its organization's readers see all of it" "$(events)" "token.purged token.created"
req GET "/v1/tokens/$P_ID" "$ROOT"
is "an expired token whose child lives is kept, so cascades still reach it" "$STATUS" 200
is "... and the child is active" "$(active "$C")" true
