#!/bin/bash
# The configuration variables reach the workers through lighttpd.
. "$(dirname "$0")/lib.sh"
KEYHOLE_PREFIX=key- KEYHOLE_BODY_MAX=2048 KEYHOLE_MAX_LIFETIME=600 start_server 1

mint cfg '["protected:read"]'
ok "KEYHOLE_PREFIX=key- gives key- secrets" grep -qE '^key-[0-9A-Za-z]{38}$' <<<"$TOKEN"
introspect "$ROOT" "$TOKEN"
is "... which introspect active" "$(jget .active)" true
mint cfg '["protected:read"]' '"expires_in":601'
is "KEYHOLE_MAX_LIFETIME=600 refuses a longer lifetime: 403" "$STATUS" 403
mint cfg '["protected:read"]' '"expires_in":600'
is "... and takes 600 s" "$STATUS" 201
pad=$(head -c 2100 /dev/zero | tr '\0' 'a')
mint cfg '["protected:read"]' "\"description\":\"$pad\""
is "KEYHOLE_BODY_MAX=2048 answers 413 above it" "$STATUS" 413
