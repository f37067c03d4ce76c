#!/bin/bash
# Timbal's connector enrollment tokens (tests/contracts/timbal.json):
# POST /orgs/{org_id}/connectors/enrollment-tokens, redeemed at the
# native redemption endpoint; errors are problem documents.
source "$(dirname "$0")/lib.sh"
start_server 1
P=/orgs/acme/connectors/enrollment-tokens
secs() { echo $(( $(date -d "$1" +%s) - $(date +%s) )); }

# The seed's example request.
req POST "$P" "$ROOT" '{"name":"warehouse-pg box","ttl_secs":3600}'
is "POST $P: 201" "$STATUS" 201
conforms "... the body is ResBody" timbal ResBody
ENR=$(jget .token) ENR_ID=$(jget .token_id)
left=$(secs "$(jget .expires_at)")
ok "... expires_at is ttl_secs away ($left s)" test "$left" -ge 3590 -a "$left" -le 3600
req GET "/v1/tokens/$ENR_ID" "$ROOT"
is "... a native enrollment token of acme for connectors:*, one use" \
    "$(jget '.kind + " " + .organization + " " + (.scopes | join(",")) + " " + (.uses_left | tostring) + " " + .name')" \
    "enrollment acme connectors:* 1 warehouse-pg box"

req POST "$P" "$ROOT" '{}'
is "no ttl_secs: 201" "$STATUS" 201
left=$(secs "$(jget .expires_at)")
ok "... the default is 86400 s ($left s)" test "$left" -ge 86390 -a "$left" -le 86400
req GET "/v1/tokens/$(jget .token_id)" "$ROOT"
is "... no name: none (null in the native object)" "$(jget .name)" null
req POST "$P" "$ROOT" '{"name":null,"ttl_secs":null}'
is "null members are their absence: 201" "$STATUS" 201
req POST "$P" "$ROOT" '{"ttl_secs":2592000}'
is "ttl_secs 30 days: 201" "$STATUS" 201

for body in "{\"name\":\"$(head -c 101 /dev/zero | tr '\0' a)\"}" '{"ttl_secs":0}' '{"ttl_secs":2592001}' '{"ttl_secs":-5}' '{"ttl_secs":"60"}' \
    '{"ttl_secs":1.5}' '{"name":7}' '{"name":""}' '{"scopes":["*"]}' 'nope' '[1]'; do
	req POST "$P" "$ROOT" "$body"
	is "bad body $body: 400" "$STATUS" 400
	conforms "... a problem document" problem Problem
done
req POST /orgs/bad%20org/connectors/enrollment-tokens "$ROOT" '{}'
is "an org_id that is no organization identifier: 400" "$STATUS" 400

# 403: a caller that may not act in that organization.
mint acme-only '["connectors:*","tokens:create"]' '"organization":"acme"'
ACME=$TOKEN
req POST /orgs/beta/connectors/enrollment-tokens "$ACME" '{}'
is "another organization's: 403" "$STATUS" 403
conforms "... a problem document" problem Problem
mint no-connectors '["tokens:create","protected:read"]' '"organization":"acme"'
req POST "$P" "$TOKEN" '{}'
is "a caller without connectors:*: 403" "$STATUS" 403
req POST "$P" "$ACME" '{}'
is "a caller of the organization holding connectors:*: 201" "$STATUS" 201
req POST "$P" "" '{}'
is "no credential: 401" "$STATUS" 401
conforms "... a problem document" problem Problem
req POST "$P" "kh_notatoken" '{}'
is "a bad credential: 401" "$STATUS" 401
conforms "... a problem document" problem Problem

# Redeemed once at the native endpoint.
req POST /v1/enrollments/redeem "" "{\"token\":\"$ENR\",\"name\":\"connector 1\"}"
is "the enrollment token redeems: 201" "$STATUS" 201
LONG=$(jget .token)
is "... into a standard token with connectors:* in acme" "$(jget '.kind + " " + .organization + " " + (.scopes | join(","))')" \
    "standard acme connectors:*"
introspect "$ROOT" "$LONG"
is "... which introspects active" "$(jget .active)" true
req POST /v1/enrollments/redeem "" "{\"token\":\"$ENR\",\"name\":\"connector 2\"}"
is "... once only" "$STATUS" 401
