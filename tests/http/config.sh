#!/bin/bash
# The configuration variables reach the workers through lighttpd.
. "$(dirname "$0")/lib.sh"
KEYHOLE_PREFIX=key- KEYHOLE_BODY_MAX=2048 KEYHOLE_MAX_LIFETIME=600 \
    KEYHOLE_LAST_USED_INTERVAL=0 KEYHOLE_ENROLLMENT_TTL=120 \
    KEYHOLE_ISSUER=https://auth.example.test start_server 1

lifetime() { echo $(( $(date -d "$(jget .expires_at)" +%s) - $(date -d "$(jget .created_at)" +%s) )); }

mint cfg '["protected:read"]'
ok "KEYHOLE_PREFIX=key- gives key- secrets" grep -qE '^key-[0-9A-Za-z]{38}$' <<<"$TOKEN"
is "KEYHOLE_MAX_LIFETIME=600: a token asked without expiry expires after 600 s" "$(lifetime)" 600
CFG=$TOKEN CFG_ID=$ID
introspect "$ROOT" "$TOKEN"
is "... and introspects active" "$(jget .active)" true
mint cfg '["protected:read"]' '"expires_in":601'
is "KEYHOLE_MAX_LIFETIME=600 refuses a longer lifetime: 403" "$STATUS" 403
mint cfg '["protected:read"]' '"expires_in":600'
is "... and takes 600 s" "$STATUS" 201
mint cfg '["protected:read"]' '"kind":"enrollment"'
is "KEYHOLE_ENROLLMENT_TTL=120: an enrollment token lives 120 s by default" "$(lifetime)" 120
for i in 1 2 3; do introspect "$ROOT" "$CFG"; done
req GET "/v1/tokens/$CFG_ID" "$ROOT"
is "KEYHOLE_LAST_USED_INTERVAL=0: every use is written" "$(jget .use_count)" 4
pad=$(head -c 2100 /dev/zero | tr '\0' 'a')
mint cfg '["protected:read"]' "\"description\":\"$pad\""
is "KEYHOLE_BODY_MAX=2048 answers 413 above it" "$STATUS" 413
mint cfg '["protected:read"]' '"format":"jwt"'
is "KEYHOLE_ISSUER names a JWT's issuer" "$(cut -d. -f2 <<<"$TOKEN" | tr '_-' '/+' | { read -r p; while [ $(( ${#p} % 4 )) -ne 0 ]; do p="$p="; done; echo "$p"; } | base64 -d | jq -r .iss)" \
    "https://auth.example.test"
