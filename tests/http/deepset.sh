#!/bin/bash
# deepset's API tokens (tests/contracts/deepset.json): POST /api/v1/token,
# GET /api/v1/workspaces/{workspace_name}/token; validation errors as
# FastAPI writes them (422 {detail: [{loc, msg, type}]}).
source "$(dirname "$0")/lib.sh"
start_server 1
uuid_re='^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
secs() { echo $(( $(date -d "$1" +%s) - $(date +%s) )); }

# An organization admin of acme, as deepset's users are.
mint acme-admin '[]' '"organization":"acme","bindings":[{"role":"ADMIN","entity":"organization"}]'
ADMIN=$TOKEN

# The seed's example request.
req POST /api/v1/token "$ADMIN" '{"expires":true,"expires_at":"2030-01-01T00:00:00.000Z","name":"my token","organization_role":"MEMBER","personal":true,"workspaces":["default","staging"]}'
is "POST /api/v1/token: 200" "$STATUS" 200
conforms "... the body is APITokenResult" deepset APITokenResult
T1=$(jget .api_token) T1ID=$(jget .api_token_id)
ok "... the id is a UUID" grep -qE "$uuid_re" <<<"$T1ID"
req GET "/v1/tokens/$T1ID" "$ROOT"
is "... MEMBER in two workspaces: WORKSPACE_OPERATOR at each, acme, the caller's subject" \
    "$(jget '[.bindings[] | .role + "@" + .entity] | join(" ")') $(jget .organization) $(jget .subject) $(jget .expires_at)" \
    "WORKSPACE_OPERATOR@workspace:default WORKSPACE_OPERATOR@workspace:staging acme root 2030-01-01T00:00:00Z"

req POST /api/v1/token "$ADMIN" '{}'
is "an empty body: 200" "$STATUS" 200
req GET "/v1/tokens/$(jget .api_token_id)" "$ROOT"
left=$(secs "$(jget .expires_at)")
is "... the caller's organization role at the organization, no name" \
    "$(jget '[.bindings[] | .role + "@" + .entity] | join(" ")') $(jget .name)" "ADMIN@organization null"
ok "... expiring in a year ($left s)" test "$left" -ge $((365 * 86400 - 10)) -a "$left" -le $((365 * 86400))
req POST /api/v1/token "$ADMIN" '{"expires":false,"personal":false,"name":null,"expires_at":null,"role_id":null}'
is "expires false, personal false: 200" "$STATUS" 200
req GET "/v1/tokens/$(jget .api_token_id)" "$ROOT"
is "... never expires, speaks for no subject" "$(jget .expires_at) $(jget .subject)" "null null"
req POST /api/v1/token "$ADMIN" '{"role_id":"4b657968-6f6c-4500-8000-000000000003"}'
req GET "/v1/tokens/$(jget .api_token_id)" "$ROOT"
is "role_id picks a role by its id (EXTERNAL)" "$(jget '.bindings[0].role')" EXTERNAL

# A member may not mint above itself; the default is its own role.
mint acme-member '[]' '"organization":"acme","bindings":[{"role":"MEMBER","entity":"organization"}]'
MEMBER=$TOKEN
req POST /api/v1/token "$MEMBER" '{}'
req GET "/v1/tokens/$(jget .api_token_id)" "$ROOT"
is "a MEMBER's default role is MEMBER" "$(jget '.bindings[0].role')" MEMBER
req POST /api/v1/token "$MEMBER" '{"organization_role":"ADMIN"}'
is "a role above the caller's: 403" "$STATUS" 403
conforms "... {detail: string}" deepset ErrorMessage
req POST /api/v1/token "$MEMBER" '{"expires_at":"2020-01-01T00:00:00Z"}'
is "an expiry in the past: 422" "$STATUS" 422
conforms "... HTTPValidationError" deepset HTTPValidationError

# Validation errors: 422 as FastAPI writes them.
for body in '{"name":5}' '{"expires":"yes"}' '{"organization_role":"OWNER"}' \
    '{"role_id":"not-a-uuid"}' '{"role_id":"00000000-0000-4000-8000-000000000000"}' \
    '{"workspaces":"default"}' '{"workspaces":["bad name"]}' '{"personal":1}' \
    '{"expires_at":"tomorrow"}' "{\"name\":\"$(head -c 101 /dev/zero | tr '\0' a)\"}" \
    '{"unknown":1}' 'not json' '[]'; do
	req POST /api/v1/token "$ADMIN" "$body"
	is "bad body ${body:0:40}: 422" "$STATUS" 422
	conforms "... HTTPValidationError" deepset HTTPValidationError
done
req POST /api/v1/token "$ADMIN" '{"workspaces":["ok","bad name"]}'
is "loc names the element" "$(jq -c '.detail[0].loc' <<<"$BODY")" '["body","workspaces",1]'
req POST /api/v1/token "$ADMIN" '{"name":5}'
is "loc names the field" "$(jq -c '.detail[0].loc' <<<"$BODY")" '["body","name"]'
req POST /api/v1/token "" '{}'
is "no credential: 401" "$STATUS" 401
conforms "... {detail: string}" deepset ErrorMessage
req POST /api/v1/token "api_notatoken" '{}'
is "a bad credential: 401" "$STATUS" 401
conforms "... {detail: string}" deepset ErrorMessage

# The secret's prefix, and rotation keeping it.
ok "secrets start api_" grep -qE '^api_[0-9A-Za-z]{38}$' <<<"$T1"
req POST "/v1/tokens/$T1ID/rotate" "$ROOT" '{}'
ok "a rotated api_ token keeps api_" grep -qE '^api_' <<<"$(jget .token)"

# GET /api/v1/workspaces/{workspace_name}/token: the workspace's list, counted.
for i in 1 2 3 4 5; do
	req POST /api/v1/token "$ADMIN" "{\"name\":\"w$i\",\"workspaces\":[\"lists\"]}"
	eval "W$i=$(jget .api_token_id)"
done
req POST /api/v1/token "$ADMIN" '{"name":"both","workspaces":["lists","other"]}'
BOTH=$(jget .api_token_id)
req GET /api/v1/workspaces/lists/token "$ADMIN"
is "GET the workspace's tokens: 200" "$STATUS" 200
conforms "... the body is TokenList" deepset TokenList
is "... every token bound there, oldest first, total exact" "$(jget '[.data[].name] | join(",")') $(jget .total) $(jget .has_more)" \
    "w1,w2,w3,w4,w5,both 6 false"
req GET /api/v1/workspaces/other/token "$ADMIN"
is "a token bound in two workspaces is in both lists" "$(jget '[.data[].name] | join(",")') $(jget .total)" "both 1"
req GET "/api/v1/workspaces/lists/token?limit=2&page_number=2" "$ADMIN"
is "limit=2&page_number=2: the third and fourth" "$(jget '[.data[].name] | join(",")') $(jget .total) $(jget .has_more)" "w3,w4 6 true"
req GET "/api/v1/workspaces/lists/token?limit=2&page_number=9" "$ADMIN"
is "a page past the end is empty" "$(jget '.data | length') $(jget .total) $(jget .has_more)" "0 6 false"
req GET "/api/v1/workspaces/lists/token?limit=2&after=$W2" "$ADMIN"
is "after an id: the next ones" "$(jget '[.data[].name] | join(",")')" "w3,w4"
req GET "/api/v1/workspaces/lists/token?limit=2&before=$W4" "$ADMIN"
is "before an id: the ones before it, in order" "$(jget '[.data[].name] | join(",")')" "w2,w3"
req DELETE "/v1/tokens/$W3" "$ROOT"
req GET /api/v1/workspaces/lists/token "$ADMIN"
is "a revoked token leaves the list and its total" "$(jget '[.data[].name] | join(",")') $(jget .total)" "w1,w2,w4,w5,both 5"
req GET /api/v1/workspaces/empty/token "$ADMIN"
is "a workspace with no tokens: empty, total 0" "$(jget '.data | length') $(jget .total)" "0 0"
for q in limit=0 limit=101 page_number=0 after=x "after=$W1&before=$W2" unknown=1; do
	req GET "/api/v1/workspaces/lists/token?$q" "$ADMIN"
	is "query $q: 422" "$STATUS" 422
	conforms "... HTTPValidationError" deepset HTTPValidationError
done
is "... loc names the query parameter" "$(req GET "/api/v1/workspaces/lists/token?limit=0" "$ADMIN"; jq -c '.detail[0].loc' <<<"$BODY")" '["query","limit"]'
mint ws-reader '[]' '"organization":"acme","bindings":[{"role":"WORKSPACE_MEMBER","entity":"workspace:other"}]'
req GET /api/v1/workspaces/lists/token "$TOKEN"
is "a caller that cannot read in the workspace: 403" "$STATUS" 403
conforms "... {detail: string}" deepset ErrorMessage
mint ws-reader2 '[]' '"organization":"acme","bindings":[{"role":"WORKSPACE_OPERATOR","entity":"workspace:other"}]'
READER=$TOKEN
mint in-other '["protected:read"]' '"organization":"acme","entity":"workspace:other"'
req GET /api/v1/workspaces/other/token "$READER"
is "a caller reading only in the workspace lists the tokens acting there, counted" \
    "$STATUS $(jget '[.data[].name] | join(",")') $(jget .total)" "200 in-other 1"
req GET /api/v1/workspaces/other/token "$ADMIN"
is "... an organization reader, every token bound there" "$(jget '[.data[].name] | join(",")') $(jget .total)" \
    "both,ws-reader,ws-reader2,in-other 4"

# No workspaces named, from a caller bound in one workspace it may mint in: that one.
mint ws-op '[]' '"organization":"acme","bindings":[{"role":"WORKSPACE_OPERATOR","entity":"workspace:a"},{"role":"WORKSPACE_MEMBER","entity":"workspace:b"}]'
req POST /api/v1/token "$TOKEN" '{}'
is "a caller bound only in workspaces: 200" "$STATUS" 200
req GET "/v1/tokens/$(jget .api_token_id)" "$ROOT"
is "... acting in its workspace, with its role there" "$(jget '.entity + " " + ([.bindings[] | .role + "@" + .entity] | join(" "))')" \
    "workspace:a WORKSPACE_OPERATOR@workspace:a"
req POST /api/v1/token "$TOKEN" '{"organization_role":"EXTERNAL"}'
req GET "/v1/tokens/$(jget .api_token_id)" "$ROOT"
is "... or as the organization role asked stands there" "$(jget '[.bindings[] | .role + "@" + .entity] | join(" ")')" \
    "WORKSPACE_MEMBER@workspace:a"
req POST /api/v1/token "$TOKEN" '{"organization_role":"ADMIN"}'
is "... never above it: 403" "$STATUS" 403
