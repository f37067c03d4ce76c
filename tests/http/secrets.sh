#!/bin/bash
# Secrets only where DESIGN.md allows them: the Authorization header, and
# in a body only where a standard or an endpoint says so -- never from a
# URL.  A secret in the query string authenticates nothing, introspects
# nothing, revokes nothing, redeems nothing, and no answer repeats it.
# (Every test also checks, as it ends, that no secret handed out is in the
# store, the logs or an error body: lib.sh, hygiene.)
. "$(dirname "$0")/lib.sh"
start_server 1
mint victim '["protected:read","tokens:read"]'
V=$TOKEN VID=$ID

raw() {	# raw METHOD PATH [BODY]: no Authorization header; sets STATUS, BODY
	local args=(-s -o "$T/b" -w '%{http_code}' -X "$1" --max-time 10)
	[ -z "${3+x}" ] || args+=(-H 'Content-Type: application/x-www-form-urlencoded' --data-binary "$3")
	STATUS=$(curl "${args[@]}" "$BASE$2")
	BODY=$(cat "$T/b")
	{ cat "$T/b"; echo; } >>"$T/bodies.err"
}

raw GET "/v1/tokens?access_token=$V"
is "RFC 6750's access_token query parameter authenticates nothing" "$STATUS" 401
raw GET "/v1/tokens/$VID?access_token=$V"
is "... on a token's own path either" "$STATUS" 401
raw POST "/api/tokens?access_token=$V" ''
is "... nor on a dialect's path" "$STATUS" 401
raw GET "/protected/index.html?access_token=$V"
is "... nor at a guarded location (the authorizer)" "$STATUS" 401
req POST "/v1/introspect?token=$V" "$ROOT" '' application/x-www-form-urlencoded
ok "introspection reads no token from the URL ($STATUS)" \
    test "$STATUS" = 400 -o "$(jget .active)" = false
req POST "/v1/revoke?token=$V" "$ROOT" '' application/x-www-form-urlencoded
introspect "$ROOT" "$V"
is "revocation (RFC 7009) reads no token from the URL: it still lives" "$(jget .active)" true
raw POST "/v1/enrollments/redeem?token=$V" ''
ok "redemption reads no token from the URL ($STATUS)" test "${STATUS:0:1}" = 4
ok "no answer repeated the secret" bash -c "! grep -qF '$V' '$T/bodies.err'"
