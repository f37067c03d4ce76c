#!/bin/bash
# The native API end to end through lighttpd: mint, introspect, list, show,
# revoke; authentication and scopes; bad input refused with nothing stored.
. "$(dirname "$0")/lib.sh"
start_server

ok "keyholectl init printed a root token" test -n "$ROOT"

# --- mint -> introspect active
mint svc '["tokens:introspect","protected:read"]' '"expires_in":3600,"metadata":{"team":"api"}'
is "mint answers 201" "$STATUS" 201
ok "mint answers the secret once, with the kh_ prefix" grep -qE '^kh_[0-9A-Za-z]{38}$' <<<"$TOKEN"
ok "mint answers a UUIDv7 id" grep -qE '^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' <<<"$ID"
is "the hint is the secret's last 4" "$(jget .hint)" "${TOKEN: -4}"
is "scopes come back sorted" "$(jget '.scopes|join(" ")')" "protected:read tokens:introspect"
is "metadata comes back" "$(jget .metadata.team)" "api"
created_by=$(jget .created_by)
is "Cache-Control: no-store on the secret" "$(header Cache-Control)" "no-store"
is "nosniff" "$(header X-Content-Type-Options)" "nosniff"
SVC=$TOKEN SVC_ID=$ID
exp=$(jget .expires_at)
introspect "$ROOT" "$ROOT"
ROOT_ID=$(jget .jti)
is "created_by is the minting token" "$created_by" "$ROOT_ID"
is "the root token holds * and tokens:assign" "$(jget .scope)" "* tokens:assign"

introspect "$ROOT" "$SVC"
is "introspection answers 200" "$STATUS" 200
is "minted token introspects active" "$(jget .active)" true
is "introspection: scope is space-separated" "$(jget .scope)" "protected:read tokens:introspect"
is "introspection: jti is the id" "$(jget .jti)" "$SVC_ID"
is "introspection: token_type" "$(jget .token_type)" Bearer
is "introspection: exp matches expires_at" "$(jget .exp)" "$(date -u -d "$exp" +%s)"
ok "introspection: iat is a number" test "$(jget '.iat|type')" == number

req POST /v1/introspect "$ROOT" "{\"token\":\"$SVC\"}"
is "introspection takes JSON too" "$(jget .active)" true

introspect "$SVC" "$SVC"
is "a token with tokens:introspect may introspect" "$(jget .active)" true

# --- bad checksum -> inactive
bad=${SVC:0:-1}$( [ "${SVC: -1}" = A ] && echo B || echo A )
introspect "$ROOT" "$bad"
is "a token with a bad checksum is inactive" "$BODY" '{"active":false}'
introspect "$ROOT" "kh_notatokenatall"
is "garbage is inactive, exactly {\"active\":false}" "$BODY" '{"active":false}'
req POST /v1/introspect "$ROOT" "" application/x-www-form-urlencoded
is "introspection without token= is 400" "$STATUS" 400
is "... OAuth-style invalid_request" "$(jget .error)" invalid_request

# --- authentication and scopes
req GET /v1/tokens
is "no credentials: 401" "$STATUS" 401
ok "no credentials: WWW-Authenticate: Bearer" grep -qi '^WWW-Authenticate: Bearer' <<<"$HEADERS"
is "401 is a problem document" "$(header Content-Type)" "application/problem+json"
req GET /v1/tokens "$bad"
is "a malformed bearer token: 401" "$STATUS" 401
ok "... with error=\"invalid_token\"" grep -q 'error="invalid_token"' <<<"$HEADERS"
req GET /v1/tokens "$SVC"
is "missing scope (tokens:read): 403" "$STATUS" 403
is "403 is a problem document with status" "$(jget .status)" 403
req POST /v1/introspect "" "token=$SVC" application/x-www-form-urlencoded
is "introspection without credentials: 401" "$STATUS" 401
is "... OAuth-style invalid_client" "$(jget .error)" invalid_client

# A minter with a narrow scope and a lifetime.
mint minter '["tokens:create","protected:read"]' '"expires_in":600'
MINTER=$TOKEN
req POST /v1/tokens "$MINTER" '{"name":"x","scopes":["protected:read"]}'
is "minting within the caller's scopes: 201" "$STATUS" 201
child_exp=$(jget .expires_at)
req GET "/v1/tokens/$(jget .id)" "$ROOT"
is "a child with no lifetime inherits the caller's expiry" "$(jget .expires_at)" "$child_exp"
ok "... which is set" test "$child_exp" != null
req POST /v1/tokens "$MINTER" '{"name":"x","scopes":["protected:write"]}'
is "asking for a scope beyond the caller's: 403" "$STATUS" 403
req POST /v1/tokens "$MINTER" '{"name":"x","scopes":["*"]}'
is "asking for * from a narrow caller: 403" "$STATUS" 403
req POST /v1/tokens "$MINTER" '{"name":"x","scopes":["protected:read"],"expires_in":86400}'
is "asking for a lifetime beyond the caller's: 403" "$STATUS" 403
req POST /v1/tokens "$MINTER" '{"name":"x","scopes":["tokens:create"],"expires_at":"2999-01-01T00:00:00Z"}'
is "asking for an expires_at beyond the caller's: 403" "$STATUS" 403

# --- list, show
req GET "/v1/tokens?limit=2" "$ROOT"
is "list answers 200" "$STATUS" 200
is "list honours limit" "$(jget '.tokens|length')" 2
ok "list gives a next_cursor when there is more" test "$(jget .next_cursor)" != null
ok "list never carries a secret" test "$(jget '[.tokens[]|has("token")]|any')" == false
cur=$(jget .next_cursor)
first=$(jget '.tokens[0].id')
req GET "/v1/tokens?limit=1000&cursor=$cur" "$ROOT"
ok "the next page does not repeat the first" test "$(jget "[.tokens[].id]|index(\"$first\")")" == null
req GET "/v1/tokens?limit=1000" "$ROOT"
all=$(jget '.tokens|length')
is "the whole list fits one page: next_cursor null" "$(jget .next_cursor)" null
ok "list: the 4 tokens minted so far" test "$all" -eq 4
req GET "/v1/tokens?limit=0" "$ROOT"
is "limit=0: 400" "$STATUS" 400
req GET "/v1/tokens?limit=1001" "$ROOT"
is "limit=1001: 400" "$STATUS" 400
req GET "/v1/tokens?colour=red" "$ROOT"
is "an unknown query parameter: 400" "$STATUS" 400
req GET "/v1/tokens?cursor=nope" "$ROOT"
is "a bad cursor: 400" "$STATUS" 400
req GET "/v1/tokens?name=svc" "$ROOT"
is "filter by name" "$(jget '[.tokens[].name]|join(",")')" svc

req GET "/v1/tokens/$SVC_ID" "$ROOT"
is "show answers 200" "$STATUS" 200
is "show: the token object" "$(jget .name),$(jget .status),$(jget .hint)" "svc,active,${SVC: -4}"
ok "show never carries a secret" test "$(jget 'has("token")')" == false
for k in id name description scopes organization bindings kind format created_at starts_at expires_at last_used_at uses_left revoked_at created_by metadata hint; do
	ok "the token object has $k" test "$(jget "has(\"$k\")")" == true
done
req GET /v1/tokens/0190f5a0-0000-7000-8000-000000000000 "$ROOT"
is "show of an unknown id: 404" "$STATUS" 404
req GET /v1/tokens/not-a-uuid "$ROOT"
is "show of a malformed id: 404" "$STATUS" 404
req PUT /v1/tokens "$ROOT" '{}'
is "an unsupported method: 405" "$STATUS" 405
is "... with Allow naming every method of the resource" "$(header Allow)" "GET, HEAD, POST"
req GET "/v1/tokens?status=" "$ROOT"
is "an empty query parameter: 400" "$STATUS" 400
req PUT "/v1/tokens/$SVC_ID" "$ROOT" '{}'
is "PUT on a token: 405" "$STATUS" 405
is "... with Allow" "$(header Allow)" "GET, HEAD, PATCH, DELETE"

# --- revoke -> inactive
req DELETE "/v1/tokens/$SVC_ID" "$ROOT"
is "revoke answers 204" "$STATUS" 204
introspect "$ROOT" "$SVC"
is "a revoked token introspects inactive" "$BODY" '{"active":false}'
req DELETE "/v1/tokens/$SVC_ID" "$ROOT"
is "revoking again: 204" "$STATUS" 204
req DELETE /v1/tokens/0190f5a0-0000-7000-8000-000000000000 "$ROOT"
is "revoking an unknown id: 404" "$STATUS" 404
req GET "/v1/tokens/$SVC_ID" "$ROOT"
is "a revoked token shows revoked" "$(jget .status)" revoked
req GET "/v1/tokens?status=revoked" "$ROOT"
is "filter by status" "$(jget '[.tokens[].id]|join(",")')" "$SVC_ID"
mint weak '["tokens:revoke"]'
WEAK=$TOKEN WEAK_ID=$ID
req DELETE "/v1/tokens/$ROOT_ID" "$WEAK"
is "revoking a token with scopes the caller lacks: 403" "$STATUS" 403
introspect "$ROOT" "$ROOT"
is "... and it stays active" "$(jget .active)" true
req DELETE "/v1/tokens/$WEAK_ID" "$WEAK"
is "a token may revoke itself" "$STATUS" 204

# --- bad input: a clear 4xx problem, nothing stored
req GET "/v1/tokens?limit=1000&status=all" "$ROOT"
before=$(jget '[.tokens[]|[.id,.status]]|tostring')
refused() {	# refused DESCRIPTION STATUS BODY [CONTENT-TYPE]
	req POST /v1/tokens "$ROOT" "$3" "${4:-application/json}"
	is "$1: $2" "$STATUS" "$2"
	is "$1: a problem document" "$(header Content-Type),$(jget .status)" "application/problem+json,$2"
}
refused "invalid JSON" 400 '{"name":"x",'
refused "two top-level objects" 400 '{"name":"x","scopes":["a:b"]}{"b":2}'
refused "missing comma" 400 '{"name":"x" "scopes":["a:b"]}'
refused "trailing comma" 400 '{"name":"x","scopes":["a:b",]}'
refused "a bare literal typo" 400 'tru'
refused "a number with two dots" 400 '{"name":"x","scopes":["a:b"],"expires_in":1.2.3}'
refused "invalid UTF-8" 400 $'{"name":"\xc3\x28","scopes":["a:b"]}'
refused "a lone surrogate" 400 '{"name":"\ud800","scopes":["a:b"]}'
refused "a duplicate key" 400 '{"name":"x","name":"y","scopes":["a:b"]}'
refused "an escaped NUL" 400 '{"name":"a\u0000b","scopes":["a:b"]}'
refused "deep nesting" 400 '{"name":"x","scopes":["a:b"],"metadata":{"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":1}}}}}}}}}'
refused "a JSON array body" 400 '[1,2]'
refused "the wrong media type" 400 '{"name":"x","scopes":["a:b"]}' text/plain
refused "an empty body" 400 ''
refused "name of the wrong type" 422 '{"name":5,"scopes":["a:b"]}'
refused "scopes of the wrong type" 422 '{"name":"x","scopes":"a:b"}'
refused "an invalid scope" 422 '{"name":"x","scopes":["a:b","Not A Scope"]}'
is "... pointing at the element" "$(jget '.errors[0].pointer')" "/scopes/1"
refused "an unknown field" 422 '{"name":"x","scopes":["a:b"],"colour":"red"}'
is "... names the field by JSON pointer" "$(jget '.errors[0].pointer')" "/colour"
refused "a missing name" 422 '{"scopes":["a:b"]}'
refused "a missing scopes" 422 '{"name":"x"}'
refused "an empty name" 422 '{"name":"","scopes":["a:b"]}'
refused "a 101-character name" 422 "{\"name\":\"$(printf 'x%.0s' $(seq 101))\",\"scopes\":[\"a:b\"]}"
refused "a control character in name" 422 '{"name":"a\nb","scopes":["a:b"]}'
refused "a negative expires_in" 422 '{"name":"x","scopes":["a:b"],"expires_in":-5}'
refused "a fractional expires_in" 422 '{"name":"x","scopes":["a:b"],"expires_in":1.5}'
refused "expires_in and expires_at together" 422 '{"name":"x","scopes":["a:b"],"expires_in":5,"expires_at":"2030-01-01T00:00:00Z"}'
refused "a malformed expires_at" 422 '{"name":"x","scopes":["a:b"],"expires_at":"tomorrow"}'
refused "an expires_at in the past" 422 '{"name":"x","scopes":["a:b"],"expires_at":"2001-01-01T00:00:00Z"}'
refused "metadata not an object" 422 '{"name":"x","scopes":["a:b"],"metadata":[1]}'
refused "an invalid organization" 422 '{"name":"x","scopes":["a:b"],"organization":"Not An Org"}'
big=$(head -c 70000 /dev/zero | tr '\0' 'a')
refused "a body over 64 KiB" 413 "{\"name\":\"x\",\"scopes\":[\"a:b\"],\"description\":\"$big\"}"
req GET "/v1/tokens?limit=1000&status=all" "$ROOT"
is "after all the refused requests the store is unchanged" "$(jget '[.tokens[]|[.id,.status]]|tostring')" "$before"

# --- at rest: databases verify, and no minted secret is stored anywhere
stop_server
for db in records.db records-id.db records-prev.db records-parent.db tokens-list.db audit.db; do
	ok "db_verify passes on $db" db5.3_verify -q -h "$KEYHOLE_HOME" "$KEYHOLE_HOME/$db"
done
printf '%s\n' "$ROOT" "$SVC" "$MINTER" "$WEAK" >"$T/secrets"
ok "the secrets minted were captured" test "$(grep -c '^kh_' "$T/secrets")" -eq 4
ok "no file under KEYHOLE_HOME contains a raw secret" bash -c "! grep -rqaFf '$T/secrets' '$KEYHOLE_HOME'"
