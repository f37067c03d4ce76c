#!/bin/bash
# No escalation, as a matrix: every caller role against every requested
# role, scope, entity, organization and lifetime.  The expected answers
# are written out by hand below, not derived from the role table.
. "$(dirname "$0")/lib.sh"
start_server 2

# --- the callers, minted by the root token in organization acme
declare -A CALLER
caller() {	# caller KEY BODY-MEMBERS
	req POST /v1/tokens "$ROOT" "{\"name\":\"$1\",\"organization\":\"acme\",$2}"
	[ "$STATUS" = 201 ] || echo "not ok - minting caller $1: $STATUS $BODY"
	CALLER[$1]=$(jget .token)
}
caller A   '"bindings":[{"role":"ADMIN"}]'
caller M   '"bindings":[{"role":"MEMBER"}]'
caller X   '"bindings":[{"role":"EXTERNAL"}]'
caller WO  '"entity":"workspace:a","bindings":[{"role":"WORKSPACE_OWNER"}]'
caller WOP '"entity":"workspace:a","bindings":[{"role":"WORKSPACE_OPERATOR"}]'
caller WM  '"entity":"workspace:a","bindings":[{"role":"WORKSPACE_MEMBER"}]'
caller S   '"scopes":["tokens:create","db:read"],"expires_in":3600'
caller G   '"entity":"group:g1","bindings":[{"role":"full-access"}]'
# Use-limited (every call below spends one of 100), and a previous secret
# in a one-hour grace: both bound what they hand out.
caller U   '"scopes":["tokens:create","db:read"],"max_uses":100'
caller P   '"scopes":["tokens:create","db:read"]'
req POST "/v1/tokens/$(jget .id)/rotate" "$ROOT" '{"grace_seconds":3600}'
[ "$STATUS" = 200 ] || echo "not ok - rotating caller P: $STATUS $BODY"

# --- what they ask for (the members of a mint body besides name)
declare -A ASK
ASK[admin]='"entity":"organization","bindings":[{"role":"ADMIN"}]'
ASK[member]='"entity":"organization","bindings":[{"role":"MEMBER"}]'
ASK[external]='"entity":"organization","bindings":[{"role":"EXTERNAL"}]'
ASK[ws_owner_a]='"entity":"workspace:a","bindings":[{"role":"WORKSPACE_OWNER"}]'
ASK[ws_member_a]='"entity":"workspace:a","bindings":[{"role":"WORKSPACE_MEMBER"}]'
ASK[ws_member_b]='"entity":"workspace:b","bindings":[{"role":"WORKSPACE_MEMBER"}]'
ASK[db_read]='"scopes":["db:read"]'
ASK[db_write]='"scopes":["db:write"]'
ASK[star]='"scopes":["*"]'
ASK[other_org]='"organization":"other","scopes":["db:read"]'
ASK[two_hours]='"scopes":["db:read"],"expires_in":7200'
ASK[group_ro]='"entity":"group:g1","bindings":[{"role":"read-only"}]'
ASK[deploy_admin]='"entity":"deployment:d1","bindings":[{"role":"DEPLOYMENT_ADMIN"}]'
ASK[uses_5]='"scopes":["db:read"],"max_uses":5'
ASK[uses_1000]='"scopes":["db:read"],"max_uses":1000'
ASK[half_hour]='"scopes":["db:read"],"expires_in":1800'
ASK[subject_bob]='"scopes":["db:read"],"subject":"bob"'
ASK[subject_root]='"scopes":["db:read"],"subject":"root"'
ASK[assign]='"scopes":["tokens:assign"]'

# caller  request       expected status
while read -r who what want; do
	[ -n "$who" ] || continue
	req POST /v1/tokens "${CALLER[$who]}" "{\"name\":\"m-$who-$what\",${ASK[$what]}}"
	is "$who mints $what: $want" "$STATUS" "$want"
done <<'MATRIX'
A   admin         201
A   member        201
A   external      201
A   ws_owner_a    201
A   ws_member_a   201
A   ws_member_b   201
A   db_read       201
A   db_write      201
A   star          201
A   other_org     403
A   two_hours     201
A   group_ro      201
A   deploy_admin  201
M   admin         403
M   member        201
M   external      201
M   ws_owner_a    403
M   ws_member_a   201
M   ws_member_b   201
M   db_read       201
M   db_write      201
M   star          403
M   other_org     403
M   two_hours     201
M   group_ro      201
M   deploy_admin  403
X   admin         403
X   member        403
X   external      403
X   ws_member_a   403
X   db_read       403
WO  admin         403
WO  member        403
WO  external      403
WO  ws_owner_a    201
WO  ws_member_a   201
WO  ws_member_b   403
WO  db_read       201
WO  db_write      201
WO  star          201
WO  other_org     403
WO  two_hours     201
WO  group_ro      403
WO  deploy_admin  403
WOP admin         403
WOP external      403
WOP ws_owner_a    403
WOP ws_member_a   201
WOP ws_member_b   403
WOP db_read       201
WOP db_write      201
WOP star          403
WOP other_org     403
WOP group_ro      403
WM  ws_member_a   403
WM  db_read       403
S   admin         403
S   external      403
S   ws_member_a   403
S   db_read       201
S   db_write      403
S   star          403
S   other_org     403
S   two_hours     403
S   group_ro      403
G   admin         403
G   ws_member_a   403
G   db_read       201
G   db_write      201
G   star          201
G   other_org     403
G   two_hours     201
G   group_ro      201
G   deploy_admin  403
A   uses_5        201
A   subject_bob   201
A   subject_root  201
A   assign        201
M   subject_bob   403
M   subject_root  201
M   assign        403
S   subject_bob   403
G   subject_bob   403
G   assign        403
WO  subject_bob   403
U   db_read       403
U   uses_1000     403
U   uses_5        201
U   subject_bob   403
U   two_hours     403
P   db_read       201
P   uses_5        201
P   half_hour     201
P   two_hours     403
P   subject_bob   403
MATRIX

# A child of S inherits its expiry: never later than the minter's.
req POST /v1/tokens "${CALLER[S]}" '{"name":"child-of-s","scopes":["db:read"]}'
CHILD_EXP=$(jget .expires_at)
req GET "/v1/tokens?name=S" "$ROOT"
is "a token minted without expiry by an expiring caller expires with it" \
    "$CHILD_EXP" "$(jget '.tokens[0].expires_at')"

# A caller may not rotate (and so obtain) a token that outlives it.
req POST /v1/tokens "$ROOT" '{"name":"hour","organization":"acme","scopes":["tokens:rotate","tokens:update","db:read"],"expires_in":3600}'
HOUR=$(jget .token)
req POST /v1/tokens "$ROOT" '{"name":"forever","organization":"acme","scopes":["db:read"]}'
FOREVER_ID=$(jget .id)
req POST "/v1/tokens/$FOREVER_ID/rotate" "$HOUR" ''
is "rotating a token that outlives the caller: 403" "$STATUS" 403
req PATCH "/v1/tokens/$FOREVER_ID" "$HOUR" '{"name":"mine"}'
is "updating a token that outlives the caller: 403" "$STATUS" 403
req POST /v1/tokens "$ROOT" '{"name":"half","organization":"acme","scopes":["db:read"],"expires_in":1800}'
req POST "/v1/tokens/$(jget .id)/rotate" "$HOUR" ''
is "rotating one that expires first: 200" "$STATUS" 200

# --- acting on existing tokens: rotate, PATCH, revoke
target() {	# target KEY BODY-MEMBERS
	req POST /v1/tokens "$ROOT" "{\"name\":\"t-$1\",$2}"
	TARGET[$1]=$(jget .id)
}
declare -A TARGET
target admin      '"organization":"acme","bindings":[{"role":"ADMIN"}]'
target ws_a       '"organization":"acme","entity":"workspace:a","bindings":[{"role":"WORKSPACE_MEMBER"}]'
target ws_b       '"organization":"acme","entity":"workspace:b","bindings":[{"role":"WORKSPACE_MEMBER"}]'
target other      '"organization":"other","scopes":["db:read"]'

# caller  target  rotate  patch  (404: not visible to the caller)
while read -r who what rot pat; do
	[ -n "$who" ] || continue
	req POST "/v1/tokens/${TARGET[$what]}/rotate" "${CALLER[$who]}" '{"grace_seconds":0}'
	is "$who rotates $what: $rot" "$STATUS" "$rot"
	req PATCH "/v1/tokens/${TARGET[$what]}" "${CALLER[$who]}" '{"description":"x"}'
	is "$who updates $what: $pat" "$STATUS" "$pat"
done <<'MATRIX'
A   admin  200 200
A   ws_a   200 200
A   ws_b   200 200
A   other  404 404
M   admin  403 403
M   ws_a   200 200
M   ws_b   200 200
M   other  404 404
WO  admin  404 404
WO  ws_a   200 200
WO  ws_b   404 404
WO  other  404 404
WOP admin  404 404
WOP ws_a   200 200
WOP ws_b   404 404
S   ws_a   403 403
G   ws_a   404 404
MATRIX

# caller  target  DELETE
while read -r who what want; do
	[ -n "$who" ] || continue
	req DELETE "/v1/tokens/${TARGET[$what]}" "${CALLER[$who]}"
	is "$who revokes $what: $want" "$STATUS" "$want"
done <<'MATRIX'
WO  admin  404
M   admin  403
WOP ws_b   404
S   ws_a   403
WO  ws_a   204
M   ws_b   204
A   admin  204
A   other  404
MATRIX
