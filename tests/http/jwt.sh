#!/bin/bash
# JWT-format tokens: EdDSA over the token's claims, verified by an
# independent verifier (node's crypto) against GET /.well-known/jwks.json;
# accepted wherever a token is; dead when revoked, rotated, or when their
# key is retired (keyholectl keys rotate).
source "$(dirname "$0")/lib.sh"
start_server 1
verify() {	# verify TOKEN: node's crypto against the JWKS served now
	req GET /.well-known/jwks.json
	printf '%s' "$BODY" >"$T/jwks.json"
	node "$top/tests/http/jwt-verify.js" "$T/jwks.json" "$1" >"$T/claims" 2>"$T/why"
}

req GET /.well-known/jwks.json
is "GET /.well-known/jwks.json: 200, no credential" "$STATUS" 200
is "... a JWK set" "$(header Content-Type)" "application/jwk-set+json"
is "... which may be cached a minute" "$(header Cache-Control)" "public, max-age=60"
is "... one OKP Ed25519 key with a kid" "$(jget '[.keys[] | .kty + " " + .crv + " " + .alg + " " + .use + " " + (.kid | length > 0 | tostring)] | join(",")')" \
    "OKP Ed25519 EdDSA sig true"

mint jwt '["protected:read","tokens:read"]' '"organization":"acme","format":"jwt","expires_in":3600,"subject":"svc-1"'
is "a native mint with format jwt: 201" "$STATUS" 201
J=$TOKEN JID=$ID
is "... its format says so" "$(jget .format)" jwt
ok "... the secret is a JWT" grep -qE '^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$' <<<"$J"
ok "... which node's crypto verifies against the JWKS" verify "$J"
cat "$T/why" 2>/dev/null | sed 's/^/#   /'
C=$(cat "$T/claims")
is "... header: EdDSA, JWT, a kid of the JWKS" "$(cut -d. -f1 <<<"$J" | tr '_-' '/+' | base64 -d 2>/dev/null | jq -r '.alg + " " + .typ')" "EdDSA JWT"
is "... claims: iss, jti, sub, org, entity, scope, gen" "$(jq -r '[.iss, .jti, .sub, .org, .entity, .scope, (.gen | tostring)] | join(" ")' <<<"$C")" \
    "keyhole $JID svc-1 acme organization protected:read tokens:read 0"
is "... iat, nbf and exp as times, exp an hour on" "$(jq -r '(.exp - .iat) == 3600 and .nbf == .iat' <<<"$C")" true
is "... authorization_details as introspection has them" "$(jq -c '.authorization_details' <<<"$C")" \
    '[{"type":"keyhole","organization":"acme","entity":"organization","actions":["protected:read","tokens:read"]}]'
introspect "$ROOT" "$J"
is "it introspects active" "$(jget .active) $(jget .jti)" "true $JID"
req GET "/v1/tokens/$JID" "$J"
is "it is a caller" "$STATUS" 200
tampered="${J%?}A"; [ "$tampered" != "$J" ] || tampered="${J%?}B"
introspect "$ROOT" "$tampered"
is "a changed signature is refused" "$BODY" '{"active":false}'
req GET "/v1/tokens/$JID" "$tampered"
is "... as a caller too: 401" "$STATUS" 401

# Rotation: a new JWT of the next generation; the old one dies, or after its grace.
req POST "/v1/tokens/$JID/rotate" "$ROOT" '{"grace_seconds":60}'
J2=$(jget .token)
ok "a rotated JWT verifies" verify "$J2"
is "... generation 1" "$(jq -r .gen "$T/claims")" 1
introspect "$ROOT" "$J"
is "... the old one works through its grace" "$(jget .active)" true
req POST "/v1/tokens/$JID/rotate/finish" "$ROOT" '{}'
introspect "$ROOT" "$J"
is "... and not after" "$BODY" '{"active":false}'
ok "... though its signature still verifies offline (bounded by exp)" verify "$J"
req POST "/v1/tokens/$JID/rotate" "$ROOT" '{}'
J3=$(jget .token)
introspect "$ROOT" "$J2"
is "a rotation without grace stops the JWT at once" "$BODY" '{"active":false}'

# Revocation reaches introspection at once.
introspect "$ROOT" "$J3"
is "the current JWT is active" "$(jget .active)" true
req DELETE "/v1/tokens/$JID" "$ROOT"
introspect "$ROOT" "$J3"
is "revoked: it stops introspecting active at once" "$BODY" '{"active":false}'

# Key rotation: old JWTs verify through the grace and fail once it ends.
mint old '["protected:read"]' '"format":"jwt"'
OLD=$TOKEN
"$ctl" keys rotate -g 2 >/dev/null
"$ctl" keys list >"$T/keys"
is "keyholectl keys rotate: two keys, the new one signs" "$(wc -l <"$T/keys") $(grep -c signs "$T/keys")" "2 1"
mint new '["protected:read"]' '"format":"jwt"'
NEW=$TOKEN
ok "a JWT of the new key verifies" verify "$NEW"
ok "... and one of the old key, in its grace" verify "$OLD"
introspect "$ROOT" "$OLD"
is "... and introspects active" "$(jget .active)" true
sleep 3
introspect "$ROOT" "$OLD"
is "once the old key is retired its JWT is refused" "$BODY" '{"active":false}'
verify "$OLD"
is "... and fails against the JWKS" "$?" 1
introspect "$ROOT" "$NEW"
is "... the new key's still works" "$(jget .active)" true
mint bad '["protected:read"]' '"format":"paper"'
is "an unknown format: 422" "$STATUS" 422

# RFC 7009 by value, with the JWT itself.
mint byvalue '["protected:read"]' '"format":"jwt"'
BV=$TOKEN
req POST /v1/revoke "" "token=$BV" application/x-www-form-urlencoded
is "RFC 7009: a JWT revokes itself by value" "$STATUS" 200
introspect "$ROOT" "$BV"
is "... and is inactive" "$BODY" '{"active":false}'

# Too many grants for a JWT: a 422 that says to mint it opaque.
binds=$(for i in $(seq 1 32); do printf '{"role":"WORKSPACE_MEMBER","entity":"workspace:%s%02d"},' "$(head -c 60 /dev/zero | tr '\0' w)" "$i"; done)
mint big '[]' "\"format\":\"jwt\",\"organization\":\"acme\",\"bindings\":[${binds%,}]"
is "a JWT whose claims would pass 4096 bytes: 422" "$STATUS" 422
ok "... saying so" grep -q "opaque" <<<"$(jget .detail)"
mint big '[]' "\"organization\":\"acme\",\"bindings\":[${binds%,}]"
is "... the same grants as an opaque token: 201" "$STATUS" 201
