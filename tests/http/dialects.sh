#!/bin/bash
# Across dialects: a token minted through any of them is a native token
# (visible, usable, revocable through /v1) and the other way round; a
# dialect's token at another dialect's endpoint obeys the same grants;
# refused credentials past the limit are 429 in each dialect's shape.
export KEYHOLE_AUTH_FAILURES=3
source "$(dirname "$0")/lib.sh"
start_server 1

# One token from each dialect, for acme.
mint acme-admin '[]' '"organization":"acme","subject":"ada","bindings":[{"role":"ADMIN","entity":"organization"}]'
ADMIN=$TOKEN
req POST /api/tokens "$ADMIN" '{"name":"archil"}'
ARCHIL=$(jget .data.token) ARCHIL_ID=$(jget .data.id)
req POST /api/v1/token "$ADMIN" '{"name":"deepset","organization_role":"MEMBER"}'
DEEPSET=$(jget .api_token) DEEPSET_ID=$(jget .api_token_id)
req POST /organizations/acme/tokens "$ADMIN" '{"name":"astro","role":"WORKSPACE_OPERATOR","type":"WORKSPACE","entityId":"w1"}'
ASTRO=$(jget .token) ASTRO_ID=$(jget .id)
req POST /v1/auth/api-tokens/turso "$ADMIN" '{"organization":"acme"}'
TURSO=$(jget .token) TURSO_ID=$(jget .id)
req POST /orgs/acme/connectors/enrollment-tokens "$ADMIN" '{"name":"timbal"}'
TIMBAL_ID=$(jget .token_id)

for d in ARCHIL DEEPSET ASTRO TURSO TIMBAL; do
	id_var=${d}_ID
	req GET "/v1/tokens/${!id_var}" "$ROOT"
	is "a $d token is a native token of acme" "$STATUS $(jget .organization)" "200 acme"
done
for d in ARCHIL DEEPSET ASTRO TURSO; do
	introspect "$ROOT" "${!d}"
	is "a $d token introspects active" "$(jget .active)" true
done

# Used at another dialect's endpoint: the same grants decide.
req GET /api/v1/workspaces/w1/token "$ASTRO"
is "Astronomer's workspace operator lists w1 through deepset's path" "$STATUS $(jget .total)" "200 1"
req GET /api/v1/workspaces/w2/token "$ASTRO"
is "... not w2: 403" "$STATUS" 403
req GET /organizations/acme/tokens "$ASTRO"
is "... nor the organization through Astronomer's own path: 403" "$STATUS" 403
SCHEME='' req GET /api/tokens "$ARCHIL"
is "an Archil key lists acme's keys" "$STATUS" 200
req POST /v1/auth/api-tokens/from-archil "$ARCHIL" ''
is "an Archil key (a copy of an ADMIN) mints through Turso's path" "$STATUS" 200
req POST /api/tokens "$DEEPSET" '{"name":"from-deepset"}'
is "a deepset MEMBER token mints an Archil key (a copy of itself)" "$STATUS" 201
introspect "$ROOT" "$(jget .data.token)"
is "... holding no more than MEMBER" "$(jget '.authorization_details | map(.actions | join(",")) | join(";")')" "*:read,*:write,tokens:*"
req POST /organizations/acme/tokens "$DEEPSET" '{"name":"x","role":"ORGANIZATION_OWNER","type":"ORGANIZATION"}'
is "... but not an ORGANIZATION_OWNER through Astronomer's path: 403" "$STATUS" 403
req GET /v1/tokens "$TURSO"
is "a Turso token (acme's ADMIN reach) lists through the native API" "$STATUS" 200

# Revoked through one dialect, dead in all.
req DELETE "/v1/tokens/$ARCHIL_ID" "$ROOT"
SCHEME='' req GET /api/tokens "$ARCHIL"
is "an Archil key revoked natively is refused by Archil's path" "$STATUS $(jget .success)" "401 false"
req DELETE "/api/tokens/$DEEPSET_ID" "$ROOT"
req POST /api/v1/token "$DEEPSET" '{}'
is "a deepset token revoked through Archil's path is refused by deepset's" "$STATUS" 401
req DELETE "/organizations/acme/tokens/$TURSO_ID" "$ROOT"
req GET /v1/auth/validate "$TURSO"
is "a Turso JWT revoked through Astronomer's path fails validation" "$STATUS" 401

# 429 in each dialect's shape, each from its own address.
i=10
while read -r name method path body check; do
	i=$((i + 1))
	for n in 1 2 3; do FROM=127.0.0.$i req "$method" "$path" kh_bogus "$body"; done
	FROM=127.0.0.$i req "$method" "$path" kh_bogus "$body"
	is "$name: past the limit, 429" "$STATUS" 429
	ok "$name: ... with Retry-After" test -n "$(header Retry-After)"
	is "$name: ... in its own shape" "$(jq -r "$check" <<<"$BODY")" true
done <<'CASES'
native POST /v1/tokens {} .status==429
oauth POST /v1/introspect {} .error=="invalid_client"
archil POST /api/tokens {} .success==false
timbal POST /orgs/acme/connectors/enrollment-tokens {} .status==429
deepset POST /api/v1/token {} (.detail|type)=="string"
astronomer POST /organizations/acme/tokens {} .statusCode==429
turso POST /v1/auth/api-tokens/x {} (.error|type)=="string"
CASES
