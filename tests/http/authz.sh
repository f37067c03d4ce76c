#!/bin/bash
# The authorization model over HTTP (schema/model.md): a grant holds only
# at its entity, subjects need tokens:assign, use limits and a previous
# secret's grace bound what a caller hands out, wildcards stop at
# keyhole's administration.  Expected answers are written out by hand.
. "$(dirname "$0")/lib.sh"
start_server 2

mk() {	# mk BODY-MEMBERS: the root token mints in acme; sets TOKEN, ID
	req POST /v1/tokens "$ROOT" "{\"name\":\"t\",\"organization\":\"acme\",$1}"
	[ "$STATUS" = 201 ] || echo "not ok - minting {$1}: $STATUS $BODY"
	TOKEN=$(jget .token)
	ID=$(jget .id)
}
listed() {	# listed ID: is the token in the last listing?
	jq -e --arg id "$1" 'any(.tokens[]; .id == $id)' <<<"$BODY" >/dev/null
}

# --- (a) a grant holds only at its entity
mk '"bindings":[{"role":"ADMIN"}]'
ORG_ID=$ID
mk '"entity":"workspace:a","scopes":["db:read"]'
WSA_ID=$ID
mk '"entity":"organization","bindings":[{"role":"WORKSPACE_OPERATOR","entity":"workspace:a"}]'
OPA=$TOKEN
req GET "/v1/tokens/$ORG_ID" "$OPA"
is "(a) operator of workspace:a, entity organization: an organization-level token is 404" "$STATUS" 404
req GET "/v1/tokens/$WSA_ID" "$OPA"
is "(a) ... a workspace:a token is 200" "$STATUS" 200
req GET "/v1/tokens?limit=1000" "$OPA"
is "(a) ... the listing answers 200" "$STATUS" 200
ok "(a) ... and leaves the organization-level token out" eval '! listed "$ORG_ID"'
ok "(a) ... and holds the workspace:a token" listed "$WSA_ID"
req PATCH "/v1/tokens/$ORG_ID" "$OPA" '{"name":"mine"}'
is "(a) ... PATCH of the organization-level token: 404" "$STATUS" 404
req POST "/v1/tokens/$ORG_ID/rotate" "$OPA" ''
is "(a) ... rotating it: 404" "$STATUS" 404
req DELETE "/v1/tokens/$ORG_ID" "$OPA"
is "(a) ... revoking it: 404" "$STATUS" 404
req POST /v1/tokens "$OPA" '{"name":"x","scopes":["db:read"]}'
is "(a) ... minting at its own entity, the organization: 403" "$STATUS" 403
req POST /v1/tokens "$OPA" '{"name":"x","entity":"workspace:a","scopes":["db:read"]}'
is "(a) ... minting inside workspace:a: 201" "$STATUS" 201
req POST /v1/introspect "$OPA" "token=$ROOT" application/x-www-form-urlencoded
is "(a) ... introspecting a token outside workspace:a: inactive" "$BODY" '{"active":false}'
# Minting is an act at the new token's entity: tokens:create must hold there.
mk '"scopes":["db:read"],"bindings":[{"role":"WORKSPACE_OPERATOR","entity":"workspace:a"},{"role":"WORKSPACE_MEMBER","entity":"workspace:b"}]'
req POST /v1/tokens "$TOKEN" '{"name":"x","scopes":["db:read"]}'
is "(a) holding db:read at the organization but tokens:create only in workspace:a: minting there is 403" "$STATUS" 403
req POST /v1/tokens "$TOKEN" '{"name":"x","entity":"workspace:b","bindings":[{"role":"WORKSPACE_MEMBER"}]}'
is "(a) ... and in workspace:b, where it only reads: 403" "$STATUS" 403
req POST /v1/tokens "$TOKEN" '{"name":"x","entity":"workspace:a","scopes":["db:read"]}'
is "(a) ... in workspace:a: 201" "$STATUS" 201
introspect "$ROOT" "$OPA"
is "(a) its introspection's scope holds none of *, *:read, tokens:*" \
    "$(jget '.scope | split(" ") | map(select(. == "*" or . == "*:read" or . == "tokens:*")) | length')" 0
is "(a) ... its entity is the organization" "$(jget .entity)" organization
is "(a) ... and its grants name workspace:a" "$(jq -c .authorization_details <<<"$BODY")" \
    '[{"type":"keyhole","organization":"acme","entity":"workspace:a","actions":["*:read","*:write","tokens:*"]}]'
req GET "/v1/tokens/$(jget .jti)" "$ROOT"
is "(a) ... its token object shows no scopes at the organization" "$(jq -c .scopes <<<"$BODY")" '[]'

# --- (b) a workspace owner's introspection
mk '"entity":"workspace:docs","bindings":[{"role":"WORKSPACE_OWNER"}]'
introspect "$ROOT" "$TOKEN"
is "(b) a WORKSPACE_OWNER@workspace:docs token: entity" "$(jget .entity)" workspace:docs
is "(b) ... authorization_details" "$(jq -c .authorization_details <<<"$BODY")" \
    '[{"type":"keyhole","organization":"acme","entity":"workspace:docs","actions":["*"]}]'
is "(b) ... scope: what holds at workspace:docs" "$(jget .scope)" "*"
mk '"scopes":["db:read"],"bindings":[{"role":"WORKSPACE_MEMBER","entity":"workspace:a"},{"role":"read-only","entity":"group:g"}]'
introspect "$ROOT" "$TOKEN"
is "(b) an organization token with narrower bindings: scope only what holds everywhere" "$(jget .scope)" "db:read"
is "(b) ... one object per entity" "$(jq -c '[.authorization_details[] | [.entity, (.actions | join(" "))]]' <<<"$BODY")" \
    '[["organization","db:read"],["workspace:a","*:read"],["group:g","*:read"]]'

# --- (c) subjects
mk '"subject":"alice","scopes":["tokens:create","db:read"]'
ALICE=$TOKEN
req POST /v1/tokens "$ALICE" '{"name":"x","scopes":["db:read"],"subject":"bob"}'
is "(c) a token of alice minting for bob: 403" "$STATUS" 403
req POST /v1/tokens "$ALICE" '{"name":"x","scopes":["db:read"],"subject":"alice"}'
is "(c) ... for alice, named: 201" "$STATUS" 201
req POST /v1/tokens "$ALICE" '{"name":"x","scopes":["db:read"]}'
is "(c) ... with no subject: its own" "$(jget .subject)" alice
req POST /v1/tokens "$ALICE" '{"name":"x","scopes":["tokens:assign"]}'
is "(c) ... nor can it grant tokens:assign" "$STATUS" 403
mk '"subject":"carol","bindings":[{"role":"ADMIN"}]'
req POST /v1/tokens "$TOKEN" '{"name":"x","scopes":["db:read"],"subject":"bob"}'
is "(c) an ADMIN token minting for bob: 201" "$STATUS" 201
introspect "$ROOT" "$(jget .token)"
is "(c) ... introspection names bob" "$(jget .sub)" bob
mk '"subject":"carol","bindings":[{"role":"ORGANIZATION_OWNER"}]'
req POST /v1/tokens "$TOKEN" '{"name":"x","scopes":["db:read"],"subject":"bob"}'
is "(c) an ORGANIZATION_OWNER token: 201" "$STATUS" 201
mk '"subject":"carol","scopes":["tokens:create","tokens:assign","db:read"]'
req POST /v1/tokens "$TOKEN" '{"name":"x","scopes":["db:read"],"subject":"bob"}'
is "(c) tokens:assign granted directly: 201" "$STATUS" 201
for who in '"scopes":["*"]' '"scopes":["tokens:*","db:read"]' '"bindings":[{"role":"MEMBER"}]' '"bindings":[{"role":"full-access"}]'; do
	mk "\"subject\":\"carol\",$who"
	req POST /v1/tokens "$TOKEN" '{"name":"x","scopes":["db:read"],"subject":"bob"}'
	is "(c) {$who} (no tokens:assign) minting for bob: 403" "$STATUS" 403
done

# --- (d) use limits bind what a token hands out; each case on a fresh
# max_uses 2 token (the call itself spends one, so one is left)
LIMITED='"scopes":["tokens:create","tokens:rotate","tokens:update","db:read"],"max_uses":2'
fresh() { mk "$LIMITED"; U=$TOKEN; U_ID=$ID; }
fresh
req POST /v1/tokens "$U" '{"name":"x","scopes":["db:read"]}'
is "(d) a 2-use token minting without max_uses: 403" "$STATUS" 403
req GET "/v1/tokens/$U_ID" "$ROOT"
is "(d) ... the refused call spent a use" "$(jget .uses_left)" 1
fresh
req POST /v1/tokens "$U" '{"name":"x","scopes":["db:read"],"max_uses":1}'
is "(d) ... with max_uses 1: 201" "$STATUS" 201
fresh
req POST /v1/tokens "$U" '{"name":"x","scopes":["db:read"],"max_uses":2}'
is "(d) ... with max_uses 2 (more than it has left): 403" "$STATUS" 403
mk '"scopes":["db:read"]'
UNLIMITED_ID=$ID
mk '"scopes":["db:read"],"max_uses":1'
ONE_ID=$ID
fresh
req POST "/v1/tokens/$UNLIMITED_ID/rotate" "$U" ''
is "(d) ... rotating an unlimited token: 403" "$STATUS" 403
fresh
req POST "/v1/tokens/$ONE_ID/rotate" "$U" ''
is "(d) ... rotating a 1-use token: 200" "$STATUS" 200
fresh
req PATCH "/v1/tokens/$UNLIMITED_ID" "$U" '{"name":"y"}'
is "(d) ... updating an unlimited token: 403" "$STATUS" 403
fresh
req PATCH "/v1/tokens/$ONE_ID" "$U" '{"name":"y"}'
is "(d) ... updating a 1-use token: 200" "$STATUS" 200
mk '"scopes":["tokens:create","db:read"],"max_uses":3'
req POST /v1/tokens "$TOKEN" '{"name":"e","scopes":["db:read"],"kind":"enrollment"}'
is "(d) a 3-use token mints an enrollment token: 201" "$STATUS" 201
req POST /v1/enrollments/redeem "" "{\"token\":\"$(jget .token)\",\"name\":\"r\"}"
is "(d) ... redeemed: 201" "$STATUS" 201
is "(d) ... for no more uses than its minter had left" "$(jget .uses_left)" 2
mk '"scopes":["tokens:create","db:read"],"max_uses":3'
req POST /v1/tokens "$TOKEN" '{"name":"e","scopes":["db:read"],"kind":"enrollment","max_uses":2}'
is "(d) ... but not one good for two redemptions (each would hand on its uses): 403" "$STATUS" 403

# --- (e) wildcards stop at keyhole's administration
for b in '"bindings":[{"role":"EXTERNAL"}]' '"bindings":[{"role":"ORGANIZATION_MEMBER"}]' \
    '"bindings":[{"role":"read-only"}]' '"scopes":["*:read"]'; do
	mk "$b"
	req GET /v1/audit "$TOKEN"
	is "(e) {$b}: GET /v1/audit 403" "$STATUS" 403
	req GET /v1/tokens "$TOKEN"
	is "(e) {$b}: GET /v1/tokens 403" "$STATUS" 403
	req GET "/v1/tokens/$ORG_ID" "$TOKEN"
	is "(e) {$b}: GET /v1/tokens/{id} 403" "$STATUS" 403
done
mk '"bindings":[{"role":"MEMBER"}]'
req GET /v1/tokens "$TOKEN"
is "(e) MEMBER (tokens:* by name) lists: 200" "$STATUS" 200

# --- (h) a previous secret in its grace is the weaker credential
mk '"scopes":["tokens:create","tokens:update","tokens:rotate","tokens:revoke","db:read"]'
P_OLD=$TOKEN
P_ID=$ID
req POST "/v1/tokens/$P_ID/rotate" "$ROOT" '{"grace_seconds":600}'
P_NEW=$(jget .token)
GRACE=$(jget .grace_until)
req PATCH "/v1/tokens/$P_ID" "$P_OLD" '{"name":"mine"}'
is "(h) the previous secret cannot PATCH its token" "$STATUS" 403
req POST "/v1/tokens/$P_ID/rotate" "$P_OLD" ''
is "(h) ... nor rotate it" "$STATUS" 403
req POST "/v1/tokens/$P_ID/rotate/finish" "$P_OLD" ''
is "(h) ... nor end its grace" "$STATUS" 403
req DELETE "/v1/tokens/$P_ID" "$P_OLD"
is "(h) ... nor revoke it" "$STATUS" 403
req POST /v1/tokens "$P_OLD" '{"name":"x","scopes":["db:read"]}'
is "(h) ... it still mints: 201" "$STATUS" 201
is "(h) ... what it mints expires by the grace's end" "$(jget .expires_at)" "$GRACE"
req POST /v1/tokens "$P_OLD" '{"name":"x","scopes":["db:read"],"expires_in":3600}'
is "(h) ... and asking past the grace is 403" "$STATUS" 403
req POST /v1/tokens "$P_NEW" '{"name":"x","scopes":["db:read"],"expires_in":3600}'
is "(h) the current secret may: 201" "$STATUS" 201
# Nor through what it hands out: a twin it mints, that twin's own child,
# or a token it rotates, may not change the token either.
req POST /v1/tokens "$P_OLD" '{"name":"twin","scopes":["tokens:create","tokens:update","tokens:rotate","tokens:revoke","db:read"]}'
TWIN=$(jget .token)
req DELETE "/v1/tokens/$P_ID" "$TWIN"
is "(h) a twin minted by the previous secret cannot revoke the token" "$STATUS" 403
req POST "/v1/tokens/$P_ID/rotate" "$TWIN" ''
is "(h) ... nor rotate it" "$STATUS" 403
req POST /v1/tokens "$TWIN" '{"name":"twin2","scopes":["tokens:revoke","db:read"]}'
req DELETE "/v1/tokens/$P_ID" "$(jget .token)"
is "(h) ... nor can the twin's own child" "$STATUS" 403
req POST /v1/tokens "$ROOT" '{"name":"short","organization":"acme","scopes":["tokens:revoke","db:read"],"expires_in":60}'
SHORT_ID=$(jget .id)
req POST "/v1/tokens/$SHORT_ID/rotate" "$P_OLD" ''
is "(h) the previous secret rotates a token it covers: 200" "$STATUS" 200
req DELETE "/v1/tokens/$P_ID" "$(jget .token)"
is "(h) ... whose new secret cannot revoke the token either" "$STATUS" 403
introspect "$ROOT" "$P_NEW"
is "(h) ... which is still active" "$(jget .active)" true
req POST /v1/revoke "" "token=$P_OLD" application/x-www-form-urlencoded
is "(h) RFC 7009 with the previous secret: 200" "$STATUS" 200
introspect "$ROOT" "$P_OLD"
is "(h) ... the previous secret stopped working" "$BODY" '{"active":false}'
introspect "$ROOT" "$P_NEW"
is "(h) ... the token lives on with its current secret" "$(jget .active)" true
req GET "/v1/audit?event=token.rotation_finished&target=$P_ID" "$ROOT"
is "(h) ... audited as the end of the grace" "$(jget '.events[0].detail')" \
    "secret ...${P_OLD: -4} stopped working (revoked by its value, RFC 7009)"
req PATCH "/v1/tokens/$P_ID" "$P_NEW" '{"name":"mine"}'
is "(h) the current secret updates its own token: 200" "$STATUS" 200

# --- a redemption's lifetime is clamped to KEYHOLE_MAX_LIFETIME, even
# when the enrollment was minted under a longer one
mk '"scopes":["tokens:create","db:read"],"expires_in":7200'
req POST /v1/tokens "$TOKEN" '{"name":"e","scopes":["db:read"],"kind":"enrollment"}'
ENR=$(jget .token)
saved=$ROOT
stop_server
KEYHOLE_MAX_LIFETIME=3600 start_server 1
ROOT=$saved
req POST /v1/enrollments/redeem "" "{\"token\":\"$ENR\",\"name\":\"r\"}"
is "a redemption under a lowered maximum lifetime: 201" "$STATUS" 201
left=$(( $(date -d "$(jget .expires_at)" +%s) - $(date +%s) ))
ok "... expiring within the maximum ($left s left)" test "$left" -le 3600 -a "$left" -gt 3500
