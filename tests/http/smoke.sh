#!/bin/bash
# The smoke part of the suite, for every server setup (SERVER) and the
# installed tree: the native API's lifecycle, one request of each dialect,
# the JWKS, and a body over the limit answered 413 by keyhole itself.
. "$(dirname "$0")/lib.sh"
start_server

mint smoke '["tokens:introspect","tokens:read"]' '"organization":"acme"'
is "a native mint: 201" "$STATUS" 201
introspect "$ROOT" "$TOKEN"
is "... introspects active" "$STATUS $(jget .active)" "200 true"
req GET "/v1/tokens/$ID" "$TOKEN"
is "... shows itself" "$STATUS $(jget .id)" "200 $ID"
req GET "/v1/tokens?organization=acme" "$ROOT"
is "... is listed" "$STATUS $(jq -r --arg id "$ID" '[.tokens[].id] | index($id) != null' <<<"$BODY")" "200 true"
req DELETE "/v1/tokens/$ID" "$ROOT"
is "... is revoked" "$STATUS" 204
introspect "$ROOT" "$TOKEN"
is "... and introspects inactive" "$BODY" '{"active":false}'
req GET /v1/tokens
is "no credential: 401 with a challenge" "$STATUS $(header WWW-Authenticate)" '401 Bearer realm="keyhole"'
req PUT /v1/introspect "$ROOT" '{}'
is "a method the path lacks: 405, Allow from the route table" "$STATUS $(header Allow)" "405 POST"

req POST /v1/revoke "$ROOT" "token=kh_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" application/x-www-form-urlencoded
is "RFC 7009 revocation of an unknown token: 200" "$STATUS" 200
req POST /api/tokens "$ROOT" '{"name":"smoke"}'
is "Archil: a key" "$STATUS $(jget .success) $(jget '.data.token | startswith("key-")')" "201 true true"
req POST /orgs/acme/connectors/enrollment-tokens "$ROOT" '{"name":"box"}'
is "Timbal: an enrollment token" "$STATUS $(jget '.token | length > 0')" "201 true"
mint admin '[]' '"organization":"acme","subject":"ann","bindings":[{"role":"ADMIN","entity":"organization"}]'
ADMIN=$TOKEN
req POST /api/v1/token "$ADMIN" '{"name":"smoke"}'
is "deepset: an API token" "$STATUS $(jget '.api_token | length > 0')" "200 true"
req GET /organizations/acme/tokens "$ADMIN"
is "Astronomer: the organization's tokens" "$STATUS $(jget '.tokens | type')" "200 array"
req GET /v1/auth/api-tokens/validate "$ADMIN"
is "Turso: validation" "$STATUS $(jget .exp)" "200 -1"
req GET /.well-known/jwks.json
is "the JWKS" "$STATUS $(jget '.keys[0].kty')" "200 OKP"

big=$(head -c 70000 /dev/zero | tr '\0' a)
req POST /v1/tokens "$ROOT" "{\"name\":\"x\",\"scopes\":[\"a:b\"],\"description\":\"$big\"}"
is "a 70 KB body: 413 from keyhole (a problem document), not from the server" \
    "$STATUS $(jget .status)" "413 413"
