#!/bin/bash
# Turso's API tokens (tests/contracts/turso.json): by name under
# /v1/auth/api-tokens, an organization's under /v1/organizations/{slug}/
# api-tokens, validation; every token a JWT; errors {error}.
source "$(dirname "$0")/lib.sh"
start_server 4
verify() {
	curl -s "$BASE/.well-known/jwks.json" >"$T/jwks.json"
	node "$top/tests/http/jwt-verify.js" "$T/jwks.json" "$1" >"$T/claims" 2>/dev/null
}

# An organization member that acts for its user, as Turso's callers do.
mint alice '[]' '"organization":"acme","subject":"alice","bindings":[{"role":"ADMIN","entity":"organization"}]'
ALICE=$TOKEN
mint bob '[]' '"organization":"acme","subject":"bob","bindings":[{"role":"MEMBER","entity":"organization"}]'
BOB=$TOKEN

# No body: the caller's whole reach (as Turso's own client sends it).
req POST /v1/auth/api-tokens/ci "$ALICE" ''
is "POST /v1/auth/api-tokens/{name}, empty JSON body: 200" "$STATUS" 200
conforms "... {id, name, token}" turso CreateApiTokenResponse
CI=$(jget .token) CIID=$(jget .id)
is "... named by the path" "$(jget .name)" ci
ok "... the token is a JWT that node's crypto verifies" verify "$CI"
is "... for alice, in acme" "$(jq -r '.sub + " " + .org' "$T/claims")" "alice acme"
req GET "/v1/tokens/$CIID" "$ROOT"
is "... a copy of the caller's reach" "$(jget '[.bindings[] | .role + "@" + .entity] | join(" ")') $(jget .format)" "ADMIN@organization jwt"
curl -s -o "$T/b" -w '%{http_code}' -X POST -H "Authorization: Bearer $ALICE" \
    -H 'Content-Length: 0' "$BASE/v1/auth/api-tokens/nobody" >"$T/s"
is "no body and no media type (Content-Length: 0): 200" "$(cat "$T/s")" 200

req POST /v1/auth/api-tokens/org-only "$ALICE" '{"organization":"acme"}'
is "organization alone: 200" "$STATUS" 200
req POST /v1/auth/api-tokens/grp "$ALICE" '{"organization":"acme","group":"default","scopes":["read-only","db:create","db:mint-token"]}'
is "a group-scoped token: 200" "$STATUS" 200
conforms "... {id, name, token}" turso CreateApiTokenResponse
GRP=$(jget .token) GRPID=$(jget .id)
introspect "$ROOT" "$GRP"
is "... acts in the group only: read-only there, and its scopes" \
    "$(jget '.entity + " " + .scope')" "group:default *:read db:create db:mint-token"
req POST /v1/auth/api-tokens/grp2 "$ALICE" '{"organization":"acme","group":"default","scopes":["read"]}'
introspect "$ROOT" "$(jget .token)"
is "read means *:read" "$(jget .scope)" "*:read"
req GET /v1/tokens "$GRP"
is "a group token cannot list tokens: 403" "$STATUS" 403

req POST /v1/auth/api-tokens/ci "$ALICE" ''
is "a name the caller already has live: 409" "$STATUS" 409
conforms "... {error}" turso Error
for body in '{"group":"default","scopes":["read"]}' '{"organization":"acme","group":"default"}' \
    '{"organization":"acme","group":"default","scopes":[]}' \
    '{"organization":"acme","group":"default","scopes":["db:drop"]}' \
    '{"organization":"acme","scopes":["read"]}' '{"organization":"bad slug"}' \
    '{"organization":5}' '{"other":1}' 'nope'; do
	req POST /v1/auth/api-tokens/x "$ALICE" "$body"
	is "bad body $body: 400" "$STATUS" 400
	conforms "... {error}" turso Error
done
req POST /v1/auth/api-tokens/bad%20name "$ALICE" ''
is "a bad name: 400" "$STATUS" 400
conforms "... {error}" turso Error
req POST "/v1/auth/api-tokens/$(head -c 65 /dev/zero | tr '\0' a)" "$ALICE" ''
is "an over-long name: 400" "$STATUS" 400
conforms "... {error}" turso Error
req POST /v1/auth/api-tokens/x "$ALICE" '{"organization":"beta"}'
is "another organization than the caller's: 403" "$STATUS" 403
conforms "... {error}" turso Error
req POST /v1/auth/api-tokens/x "$BOB" '{"organization":"acme","group":"g","scopes":["full-access"]}'
is "full-access in a group from a MEMBER is more than it holds: 403" "$STATUS" 403
req POST /v1/auth/api-tokens/x "" ''
is "no credential: 401" "$STATUS" 401
conforms "... {error}" turso Error

# Validate.
req GET /v1/auth/api-tokens/validate "$CI"
is "GET /v1/auth/api-tokens/validate: 200" "$STATUS" 200
conforms "... {exp}" turso ValidateResponse
is "... -1: it never expires" "$(jget .exp)" -1
mint short '["protected:read"]' '"expires_in":600'
req GET /v1/auth/validate "$TOKEN"
is "GET /v1/auth/validate with an expiring token: its exp" "$(jget '.exp > now')" true
req GET /v1/auth/validate "kh_notatoken"
is "... a bad token: 401" "$STATUS" 401
conforms "... {error}" turso Error

# The caller's own list, and delete by name.
req POST /v1/auth/api-tokens/mine "$BOB" ''
req GET /v1/auth/api-tokens "$ALICE"
is "GET /v1/auth/api-tokens: 200" "$STATUS" 200
conforms "... {tokens}" turso ListApiTokensResponse
is "... alice's own tokens only" "$(jget '[.tokens[].name] | sort | join(",")')" "alice,ci,grp,grp2,nobody,org-only"
req DELETE /v1/auth/api-tokens/ci "$ALICE"
is "DELETE /v1/auth/api-tokens/{name}: 200" "$STATUS" 200
conforms "... {token}" turso RevokeApiTokenResponse
is "... naming it" "$(jget .token)" ci
introspect "$ROOT" "$CI"
is "... the JWT stops introspecting active at once" "$BODY" '{"active":false}'
req DELETE /v1/auth/api-tokens/ci "$ALICE"
is "... again: 404" "$STATUS" 404
conforms "... {error}" turso Error
req POST /v1/auth/api-tokens/ci "$ALICE" ''
is "the name is free again: 200" "$STATUS" 200
# Two live tokens of a name, one minted elsewhere.
mint twin '["protected:read"]' '"organization":"acme","subject":"alice"'
req PATCH "/v1/tokens/$ID" "$ROOT" '{"name":"ci"}'
req DELETE /v1/auth/api-tokens/ci "$ALICE"
is "a name with several live tokens: 409" "$STATUS" 409
conforms "... {error}" turso Error

# The organization's tokens.
req GET /v1/organizations/acme/api-tokens "$ALICE"
is "GET /v1/organizations/{slug}/api-tokens as an admin: every token, with its owner" \
    "$STATUS $(jget '[.tokens[] | select(.name == "mine") | .owner] | join(",")')" "200 bob"
conforms "... {tokens}" turso ListApiTokensResponse
mint carol '[]' '"organization":"acme","subject":"carol","bindings":[{"role":"WORKSPACE_OPERATOR","entity":"workspace:w"}]'
CAROL=$TOKEN
mint c1 '["protected:read"]' '"organization":"acme","subject":"carol"'
req GET /v1/organizations/acme/api-tokens "$CAROL"
is "... as a member that cannot read there: its own" "$(jget '[.tokens[].name] | sort | join(",")')" "c1,carol"
mint beta '["protected:read"]' '"organization":"beta"'
req DELETE "/v1/organizations/acme/api-tokens/$ID" "$ALICE"
is "DELETE of another organization's token: 404" "$STATUS" 404
conforms "... {error}" turso Error
req DELETE "/v1/organizations/acme/api-tokens/$GRPID" "$ALICE"
is "DELETE /v1/organizations/{slug}/api-tokens/{id}: 200" "$STATUS $(jget .token)" "200 $GRPID"
introspect "$ROOT" "$GRP"
is "... revoked" "$BODY" '{"active":false}'

# A name is taken once, even by mints at the same moment.
for i in 1 2 3 4 5 6 7 8; do
	curl -s -o /dev/null -w '%{http_code}\n' -X POST -H "Authorization: Bearer $ALICE" \
	    -H 'Content-Length: 0' "$BASE/v1/auth/api-tokens/race" >"$T/race.$i" &
done
wait
is "8 mints of one name at once: one 200, seven 409" "$(cat "$T"/race.* | sort | uniq -c | awk '{print $2 ":" $1}' | tr '\n' ' ')" "200:1 409:7 "

# Names and lists are the subject's within its organization: another
# organization's admin naming a token for alice neither sees nor blocks hers.
mint evil-admin '[]' '"organization":"evil","bindings":[{"role":"ADMIN","entity":"organization"}]'
req POST /v1/tokens "$TOKEN" '{"name":"ci","subject":"alice","scopes":["protected:read"]}'
is "an admin of evil mints a token named ci for subject alice in evil" "$STATUS" 201
mint evil-alice '["tokens:read","tokens:create"]' '"organization":"evil","subject":"alice"'
req GET /v1/auth/api-tokens "$TOKEN"
is "... a reader of evil speaking for alice lists evil's alice tokens, not acme's" "$STATUS $(jget '[.tokens[].name] | sort | join(",")')" "200 ci,evil-alice"
req POST /v1/auth/api-tokens/solo "$ALICE" ''
is "... and alice's own name in acme is hers to take" "$STATUS" 200
req POST /api/v1/token "$ALICE" '{"personal":false,"name":"service"}'
req POST /v1/auth/api-tokens/x "$(jget .api_token)" ''
is "a token speaking for no subject cannot own named tokens: 403" "$STATUS" 403
conforms "... {error}" turso Error
