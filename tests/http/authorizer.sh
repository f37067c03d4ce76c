#!/bin/bash
# The FastCGI authorizer guarding locations of the site: /protected/ needs
# protected:read at the token's own entity; /protected/acme/ needs it at
# workspace:ops in the organization acme (httpd-conf).  What it passes
# reaches a CGI script there (env.cgi), and never the client.
export KEYHOLE_AUTH_FAILURES=20
. "$(dirname "$0")/lib.sh"
start_server

# Under mod_fcgid's FcgidAccessChecker every refusal reaches the client as
# 401 (mod_fcgid's doing); elsewhere the authorizer's own status does.
refused() { [ "${SERVER:-}" = apache-fcgid ] && echo 401 || echo "$1"; }

mint reader '["protected:read"]' '"subject":"alice","organization":"acme","entity":"workspace:ops"'
READER=$TOKEN READER_ID=$ID
req GET /protected/index.html "$READER"
is "a token with protected:read: the static file" "$STATUS $BODY" "200 keyhole guards this file: protected:read"
ok "... and nothing of the authorizer's reaches the client" bash -c '! grep -qi "^variable-" <<<"$1"' _ "$HEADERS"
req GET /protected/env.cgi "$READER"
is "the CGI script there gets what the authorizer passed" "$STATUS $BODY" "200 KEYHOLE_TOKEN_ID=$READER_ID
KEYHOLE_SUBJECT=alice
KEYHOLE_ORGANIZATION=acme
KEYHOLE_ENTITY=workspace:ops
KEYHOLE_SCOPES=protected:read"

req GET /protected/index.html
is "no token: 401" "$STATUS" 401
is "... with a bare RFC 6750 challenge" "$(header WWW-Authenticate)" 'Bearer realm="keyhole"'
req GET /protected/env.cgi kh_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
is "an unknown token: 401" "$STATUS" 401
is "... invalid_token" "$(header WWW-Authenticate)" 'Bearer realm="keyhole", error="invalid_token"'
# env.cgi prints the five names whatever it got: none of its output here.
ok "... and the script did not run" bash -c '! grep -q "^KEYHOLE_TOKEN_ID=" <<<"$1"' _ "$BODY"

mint gone '["protected:read"]'
req DELETE "/v1/tokens/$ID" "$ROOT"
req GET /protected/index.html "$TOKEN"
is "a revoked token: 401" "$STATUS" 401
is "... invalid_token" "$(header WWW-Authenticate)" 'Bearer realm="keyhole", error="invalid_token"'

mint brief '["protected:read"]' '"expires_in":1'
sleep 2
req GET /protected/index.html "$TOKEN"
is "an expired token: 401" "$STATUS" 401

mint once '["protected:read"]' '"max_uses":1'
req GET /protected/index.html "$TOKEN"
is "a token of one use: the first request passes" "$STATUS" 200
req GET /protected/index.html "$TOKEN"
is "... and spent it: the second is 401" "$STATUS" 401

mint other '["other:read"]'
req GET /protected/index.html "$TOKEN"
is "a token without the scope: $(refused 403)" "$STATUS" "$(refused 403)"
is "... insufficient_scope" "$(header WWW-Authenticate)" 'Bearer realm="keyhole", error="insufficient_scope"'

mint elsewhere '["protected:read"]' '"organization":"umbrella","entity":"workspace:ops"'
req GET /protected/index.html "$TOKEN"
is "another organization's token where none is named: 200" "$STATUS" 200
req GET /protected/acme/index.html "$TOKEN"
is "... where acme is required: $(refused 403)" "$STATUS" "$(refused 403)"
req GET /protected/acme/index.html "$READER"
is "acme's token at workspace:ops there: 200" "$STATUS $BODY" \
    "200 keyhole guards this file: protected:read at workspace:ops in acme"
mint dev '["protected:read"]' '"organization":"acme","entity":"workspace:dev"'
req GET /protected/acme/index.html "$TOKEN"
is "acme's token acting at workspace:dev: $(refused 403)" "$STATUS" "$(refused 403)"
req GET /protected/index.html "$TOKEN"
is "... which passes where the scope must hold at its own entity" "$STATUS" 200
mint whole '["protected:read"]' '"organization":"acme"'
req GET /protected/acme/index.html "$TOKEN"
is "acme's token acting at the organization holds it at workspace:ops too" "$STATUS" 200
mint bound '[]' '"organization":"acme","entity":"workspace:dev","bindings":[{"role":"WORKSPACE_MEMBER"}]'
req GET /protected/index.html "$TOKEN"
is "a role's scopes count: WORKSPACE_MEMBER (*:read) at its workspace passes" "$STATUS" 200
req GET /protected/acme/index.html "$TOKEN"
is "... but not at workspace:ops: $(refused 403)" "$STATUS" "$(refused 403)"

mint jwt '["protected:read"]' '"format":"jwt","organization":"acme"'
ok "a JWT-format token is minted" grep -qE '^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$' <<<"$TOKEN"
req GET /protected/env.cgi "$TOKEN"
is "... and passes, as itself" "$STATUS $(grep KEYHOLE_TOKEN_ID <<<"$BODY")" "200 KEYHOLE_TOKEN_ID=$ID"

# An Archil key (its minter's scopes, here root's) goes as the whole
# Authorization header.
req POST /api/tokens "$ROOT" '{"name":"archil"}'
key=$(jget .data.token)
SCHEME='' req GET /protected/index.html "$key"
is "an Archil key sent as the whole header: 200" "$STATUS" 200
last=${key: -1}
SCHEME='' req GET /protected/index.html "${key%?}$([ "$last" = x ] && echo y || echo x)"
is "... and a wrong one so: 401" "$STATUS" 401

# Refused credentials count per address, as the API's do.
for i in $(seq 20); do
	FROM=127.0.0.9 req GET /protected/index.html "kh_bad$i"
done
is "20 bad tokens from one address: 401" "$STATUS" 401
FROM=127.0.0.9 req GET /protected/index.html kh_bad21
is "the 21st: $(refused 429)" "$STATUS" "$(refused 429)"
[ "$(refused 429)" = 401 ] || ok "... with Retry-After" test -n "$(header Retry-After)"
FROM=127.0.0.9 req GET /protected/index.html "$READER"
is "... while a valid token from there passes, as on the API" "$STATUS" 200
req GET /protected/index.html "$READER"
is "another address is not limited" "$STATUS" 200
