#!/bin/bash
# A token's life through the HTTP API: expiry and not-before, PATCH,
# rotation with grace, revocation (one, cascade, RFC 7009).
. "$(dirname "$0")/lib.sh"
start_server 2

active() {	# active TOKEN: prints true or false, as the root token introspects it
	introspect "$ROOT" "$1"
	jget .active
}
now() { date -u +%s; }
rfc3339() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }

# --- expiry: expires_in, expires_at, starts_at
mint short '["db:read"]' '"expires_in":4'
SHORT=$TOKEN
T0=$(now)
mint later '["db:read"]' "\"starts_at\":\"$(rfc3339 $((T0 + 4)))\",\"expires_in\":3600"
LATER=$TOKEN LATER_ID=$ID
is "starts_at in the future: status pending" "$(jget .status)" pending
is "a not-yet-valid token introspects inactive" "$(active "$LATER")" false
is "a token before its expiry is active" "$(active "$SHORT")" true
mint at '["db:read"]' "\"expires_at\":\"$(rfc3339 $((T0 + 600)))\""
introspect "$ROOT" "$TOKEN"
is "expires_at is the introspected exp" "$(jget .exp)" "$((T0 + 600))"
req POST /v1/tokens "$ROOT" "{\"name\":\"x\",\"scopes\":[\"db:read\"],\"starts_at\":\"$(rfc3339 $((T0 + 700)))\",\"expires_in\":600}"
is "starts_at not before the expiry: 422" "$STATUS" 422
is "... naming starts_at" "$(jget '.errors[0].pointer')" /starts_at
req POST /v1/tokens "$ROOT" '{"name":"x","scopes":["db:read"],"starts_at":"soon"}'
is "a malformed starts_at: 422" "$STATUS" 422
sleep 5
is "after expires_in the token is inactive" "$(active "$SHORT")" false
is "after starts_at the token is active" "$(active "$LATER")" true
req GET "/v1/tokens/$LATER_ID" "$ROOT"
is "... and its status is active" "$(jget .status)" active

# --- PATCH: a merge of name, description, metadata
mint patchme '["db:read"]' '"description":"first","metadata":{"team":"a","keep":{"x":1,"y":2}}'
P=$ID P_TOKEN=$TOKEN
req PATCH "/v1/tokens/$P" "$ROOT" '{"name":"renamed","metadata":{"team":null,"keep":{"y":null,"z":3},"new":true}}'
is "PATCH: 200" "$STATUS" 200
is "PATCH renames" "$(jget .name)" renamed
is "PATCH leaves what it does not name" "$(jget .description)" first
is "PATCH merges metadata (RFC 7396)" "$(jq -c .metadata <<<"$BODY")" '{"keep":{"x":1,"z":3},"new":true}'
ok "PATCH sets updated_at" test "$(jget .updated_at)" != null
req PATCH "/v1/tokens/$P" "$ROOT" '{"description":null}' application/merge-patch+json
is "PATCH with application/merge-patch+json, description null clears it" "$STATUS $(jget .description)" "200 null"
req GET "/v1/tokens/$P" "$ROOT"
BEFORE=$(jq -c 'del(.last_used_at, .use_count, .last_used_address, .last_used_user_agent)' <<<"$BODY")
for bad in '{"scopes":["*"]}' '{"name":""}' '{"name":null}' '{"metadata":[1]}' \
    "{\"metadata\":{\"big\":\"$(head -c 5000 /dev/zero | tr '\0' a)\"}}" '{"expires_in":5}'; do
	req PATCH "/v1/tokens/$P" "$ROOT" "$bad"
	is "PATCH ${bad:0:40}: 422" "$STATUS" 422
done
req PATCH "/v1/tokens/$P" "$ROOT" 'name=x' application/x-www-form-urlencoded
is "PATCH with a form body: 400" "$STATUS" 400
req PATCH "/v1/tokens/$P" "$ROOT" '{"name":'
is "PATCH with broken JSON: 400" "$STATUS" 400
req GET "/v1/tokens/$P" "$ROOT"
is "the refused patches changed nothing" \
    "$(jq -c 'del(.last_used_at, .use_count, .last_used_address, .last_used_user_agent)' <<<"$BODY")" "$BEFORE"
req PATCH /v1/tokens/01a20000-0000-7000-8000-000000000000 "$ROOT" '{"name":"x"}'
is "PATCH an unknown id: 404" "$STATUS" 404
req PATCH "/v1/tokens/$P" "$P_TOKEN" '{"name":"x"}'
is "PATCH without tokens:update: 403" "$STATUS" 403

# --- rotation with grace
mint rot '["db:read","tokens:rotate"]'
R=$ID OLD=$TOKEN OLD_HINT=$(jget .hint)
req POST "/v1/tokens/$R/rotate" "$ROOT" '{"grace_seconds":60}'
is "rotate: 200" "$STATUS" 200
NEW=$(jget .token)
is "rotate answers the same token id" "$(jget .id)" "$R"
ok "rotate answers a new secret" test -n "$NEW" -a "$NEW" != "$OLD"
is "... whose last 4 characters are the hint" "$(jget .hint)" "${NEW: -4}"
ok "rotate sets rotated_at and grace_until" test "$(jget .rotated_at)" != null -a "$(jget .grace_until)" != null
is "during the grace the old secret is active" "$(active "$OLD")" true
is "during the grace the new secret is active" "$(active "$NEW")" true
req GET "/v1/tokens/$R" "$NEW"
is "the old secret's token is still one record" "$STATUS" 403
req POST "/v1/tokens/$R/rotate/finish" "$ROOT" ''
is "rotate/finish: 200" "$STATUS" 200
is "... grace_until is gone" "$(jget .grace_until)" null
is "after finish the old secret is inactive" "$(active "$OLD")" false
is "after finish the new secret is active" "$(active "$NEW")" true
req POST "/v1/tokens/$R/rotate" "$ROOT" '{"grace_seconds":60}'
IN_GRACE=$(jget .token)
req POST "/v1/tokens/$R/rotate" "$NEW" '{"grace_seconds":0}'
is "a replaced secret, in its grace, may not rotate its successor away: 403" "$STATUS" 403
is "... the successor still works" "$(active "$IN_GRACE")" true
req POST "/v1/tokens/$R/rotate/finish" "$NEW" ''
is "... nor end the grace: 403" "$STATUS" 403
req POST "/v1/tokens/$R/rotate" "$IN_GRACE" ''
is "a token may rotate itself (no body: no grace)" "$STATUS" 200
NEW=$IN_GRACE
NEWER=$(jget .token)
is "grace 0: the replaced secret stops at once" "$(active "$NEW")" false
is "... and the new one works" "$(active "$NEWER")" true
for bad in '{"grace_seconds":-1}' '{"grace_seconds":2592001}' '{"grace_seconds":"60"}' '{"grace":60}'; do
	req POST "/v1/tokens/$R/rotate" "$ROOT" "$bad"
	is "rotate $bad: 422" "$STATUS" 422
done
is "the refused rotations kept the secret" "$(active "$NEWER")" true
# Rotations of one token serialize: of ten at once, each replaced the one before.
mint serial '["db:read"]'
S_ID=$ID
for i in $(seq 10); do
	curl -s -X POST -H "Authorization: Bearer $ROOT" -H 'Content-Type: application/json' \
	    -d '{"grace_seconds":600}' "$BASE/v1/tokens/$S_ID/rotate" >"$T/rot$i" &
done
wait
n=0
for i in $(seq 10); do
	s=$(jq -r .token "$T/rot$i")
	[ "$(active "$s")" = true ] && n=$((n + 1))
done
is "ten concurrent rotations leave two live secrets (the last and its predecessor)" "$n" 2
req GET "/v1/tokens/$S_ID" "$ROOT"
req GET "/v1/audit?event=token.rotated&target=$S_ID&limit=100" "$ROOT"
is "each rotation is in the audit trail" "$(jq '.events | length' <<<"$BODY")" 10
ok "the audit says which secret replaced which, by hint" grep -q "replaced by" <<<"$BODY"
ok "... and carries no secret" bash -c "! grep -q '$OLD\|$NEW' <<<'$BODY'"
req DELETE "/v1/tokens/$S_ID" "$ROOT"
req POST "/v1/tokens/$S_ID/rotate" "$ROOT" ''
is "rotating a revoked token: 409" "$STATUS" 409
req POST "/v1/tokens/01a20000-0000-7000-8000-000000000000/rotate" "$ROOT" ''
is "rotating an unknown token: 404" "$STATUS" 404

# --- revocation: one token, a cascade, RFC 7009
mint parent '["tokens:create","tokens:revoke","db:read"]'
PARENT=$TOKEN PARENT_ID=$ID
req POST /v1/tokens "$PARENT" '{"name":"child","scopes":["tokens:create","db:read"]}'
CHILD=$(jget .token) CHILD_ID=$(jget .id)
req POST /v1/tokens "$CHILD" '{"name":"grandchild","scopes":["db:read"]}'
GRAND=$(jget .token)
req POST /v1/tokens "$ROOT" '{"name":"bystander","scopes":["db:read"]}'
BYSTANDER=$(jget .token)
req DELETE "/v1/tokens/$CHILD_ID" "$PARENT"
is "revoke one token: 204" "$STATUS" 204
is "... it is inactive at once" "$(active "$CHILD")" false
is "... its own child stays active without cascade" "$(active "$GRAND")" true
req DELETE "/v1/tokens/$PARENT_ID?cascade=maybe" "$ROOT"
is "cascade=maybe: 400" "$STATUS" 400
is "... and nothing was revoked" "$(active "$PARENT")" true
req DELETE "/v1/tokens/$PARENT_ID?cascade=true" "$ROOT"
is "revoke with cascade: 204" "$STATUS" 204
is "... the token is inactive" "$(active "$PARENT")" false
is "... and its grandchild too" "$(active "$GRAND")" false
is "... a token outside the tree is untouched" "$(active "$BYSTANDER")" true
req DELETE "/v1/tokens/$PARENT_ID?cascade=true" "$ROOT"
is "revoking again: 204" "$STATUS" 204

mint leaked '["db:read"]'
LEAKED=$TOKEN
req POST /v1/revoke "" "token=$LEAKED" application/x-www-form-urlencoded
is "RFC 7009 without credentials, the secret speaking for itself: 200" "$STATUS" 200
is "... the token is revoked" "$(active "$LEAKED")" false
req POST /v1/revoke "" "token=kh_notatokenatall" application/x-www-form-urlencoded
is "RFC 7009 for an invalid token: 200" "$STATUS" 200
req POST /v1/revoke "" "token_type_hint=access_token" application/x-www-form-urlencoded
is "RFC 7009 without token: 400" "$STATUS" 400
is "... an OAuth error" "$(jget .error)" invalid_request
mint guarded '["db:read","db:write"]'
GUARDED=$TOKEN
mint weak '["tokens:revoke","db:read"]'
req POST /v1/revoke "$TOKEN" "token=$GUARDED" application/x-www-form-urlencoded
is "RFC 7009 by a caller that does not hold the token's grants: 200" "$STATUS" 200
is "... but the token is not revoked" "$(active "$GUARDED")" true
req POST /v1/revoke "$ROOT" "{\"token\":\"$GUARDED\"}"
is "RFC 7009 by the root token, JSON body: 200" "$STATUS" 200
is "... the token is revoked" "$(active "$GUARDED")" false
req POST /v1/revoke "kh_bogus" "token=$BYSTANDER" application/x-www-form-urlencoded
is "RFC 7009 with a bad bearer: 401" "$STATUS" 401
is "... and nothing was revoked" "$(active "$BYSTANDER")" true
