#!/bin/bash
# Archil's API keys (tests/contracts/archil.json): POST/GET /api/tokens,
# DELETE /api/tokens/{id}, the {success, data} envelope on every answer,
# "Authorization: key-..." as Archil's clients send it.
source "$(dirname "$0")/lib.sh"
start_server 1

# The seed's example request, with the root token as Bearer.
req POST /api/tokens "$ROOT" '{"name":"CI deploy key","description":"Used by the deploy pipeline"}'
is "POST /api/tokens: 201" "$STATUS" 201
conforms "... the body is ApiResponse_TokenCreated" archil ApiResponse_TokenCreated
KEY=$(jget .data.token) KID=$(jget .data.id)
ok "... the secret starts key-" grep -qE '^key-[0-9A-Za-z]{38}$' <<<"$KEY"
is "... tokenSuffix is its last 4 characters" "$(jget .data.tokenSuffix)" "${KEY: -4}"
is "... the secret is shown in no later answer" "$(jq -r '.data | has("lastUsedAt")' <<<"$BODY")" false

# A key acts for the account: Archil's clients send it as the whole header.
SCHEME='' req POST /api/tokens "$KEY" '{"name":"second"}'
is "a key- token as the whole Authorization header mints: 201" "$STATUS" 201
conforms "... ApiResponse_TokenCreated, no description" archil ApiResponse_TokenCreated
K2=$(jget .data.token) K2ID=$(jget .data.id)
SCHEME='' req GET /api/tokens "$KEY"
is "GET /api/tokens: 200" "$STATUS" 200
conforms "... the body is the token list" archil ApiResponse_TokenList
is "... both keys are listed, no secret in it" "$(jq -r '[.data.tokens[].name] | contains(["CI deploy key","second"])' <<<"$BODY") $(grep -c "$KEY" <<<"$BODY")" "true 0"
is "... a used key has lastUsedAt" "$(jq -r --arg id "$KID" '.data.tokens[] | select(.id == $id) | .lastUsedAt | type' <<<"$BODY")" string
req GET "/api/tokens?limit=1" "$ROOT"
is "limit=1 pages with nextCursor" "$(jget '.data.tokens | length') $(jget '.data.nextCursor | type')" "1 string"
req GET "/api/tokens?limit=1&cursor=$(jget .data.nextCursor)" "$ROOT"
is "... the cursor goes on" "$STATUS $(jget '.data.tokens | length')" "200 1"

# Errors in the envelope, 400 for invalid fields.
for body in '{}' '{"name":""}' "{\"name\":\"$(head -c 101 /dev/zero | tr '\0' a)\"}" \
    "{\"name\":\"x\",\"description\":\"$(head -c 501 /dev/zero | tr '\0' a)\"}" \
    '{"name":5}' '{"name":"x","scopes":["*"]}' 'not json' '[]'; do
	req POST /api/tokens "$ROOT" "$body"
	is "bad body ${body:0:30}: 400" "$STATUS" 400
	conforms "... ErrorResponse" archil ErrorResponse
done
req POST /api/tokens "" '{"name":"x"}'
is "no credential: 401" "$STATUS" 401
conforms "... ErrorResponse" archil ErrorResponse
SCHEME='' req POST /api/tokens "key-notatoken" '{"name":"x"}'
is "a bad key: 401" "$STATUS" 401
conforms "... ErrorResponse" archil ErrorResponse
req DELETE /api/tokens/00000000-0000-7000-8000-000000000000 "$ROOT"
is "DELETE of an unknown id: 404" "$STATUS" 404
conforms "... ErrorResponse" archil ErrorResponse
req GET "/api/tokens?limit=101" "$ROOT"
is "limit above 100: 400" "$STATUS" 400
conforms "... ErrorResponse" archil ErrorResponse

# A key holds what its minter held, no more.
mint narrow '["tokens:create","tokens:read","protected:read"]' '"organization":"acme"'
req POST /api/tokens "$TOKEN" '{"name":"copy"}'
introspect "$ROOT" "$(jget .data.token)"
is "a key minted by a narrow token holds its scopes, at its organization" \
    "$(jget '.scope + " " + .organization')" "protected:read tokens:create tokens:read acme"

# Revocation, and the native view of the same tokens.
req GET "/v1/tokens/$K2ID" "$ROOT"
is "an Archil key is a native token" "$STATUS $(jget .hint)" "200 ${K2: -4}"
SCHEME='' req DELETE "/api/tokens/$K2ID" "$KEY"
is "DELETE /api/tokens/{id}: 200" "$STATUS" 200
conforms "... ApiResponse_TokenDeleted" archil ApiResponse_TokenDeleted
is "... naming the id" "$(jget .data.id)" "$K2ID"
SCHEME='' req GET /api/tokens "$K2"
is "the revoked key is refused: 401" "$STATUS" 401
mint native '["protected:read"]'
req DELETE "/api/tokens/$ID" "$ROOT"
introspect "$ROOT" "$TOKEN"
is "a native token revoked through Archil's path is inactive" "$BODY" '{"active":false}'

# A rotated key- token keeps its prefix.
req POST "/v1/tokens/$KID/rotate" "$ROOT" '{}'
ok "a rotated key- token keeps key-" grep -qE '^key-' <<<"$(jget .token)"
