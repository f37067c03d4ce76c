#!/bin/bash
# RFC 7662 introspection (and RFC 7009 revocation) for OAuth resource
# servers: the client authenticates with a token's id and secret in HTTP
# Basic (client_secret_basic) or in the form (client_secret_post), as well
# as with Bearer.  And the README's recipe: Apache with mod_oauth2
# guarding a location (httpd-conf/keyhole-oauth2.conf) by introspecting
# against keyhole.
. "$(dirname "$0")/lib.sh"
start_server

mint rs '["tokens:introspect"]'
RS=$TOKEN RS_ID=$ID
mint user '["orders:read"]'
USER=$TOKEN
basic() { printf '%s:%s' "$1" "$2" | base64 -w0; }
form=application/x-www-form-urlencoded

SCHEME='Basic ' req POST /v1/introspect "$(basic "$RS_ID" "$RS")" "token=$USER" $form
is "client_secret_basic: the token is active" "$STATUS $(jget .active)" "200 true"
SCHEME='Basic ' req POST /v1/introspect "$(basic "$RS_ID" "${RS}x")" "token=$USER" $form
is "... a wrong secret: 401 invalid_client" "$STATUS $(jget .error)" "401 invalid_client"
is "... challenging Basic, as the client used (RFC 6749 5.2)" "$(header WWW-Authenticate)" 'Basic realm="keyhole"'
mint other '["tokens:introspect"]'
SCHEME='Basic ' req POST /v1/introspect "$(basic "$ID" "$RS")" "token=$USER" $form
is "... another token's id with this secret: 401 invalid_client" "$STATUS $(jget .error)" "401 invalid_client"
mint once '["orders:read"]' '"max_uses":1'
SCHEME='Basic ' req POST /v1/introspect "$(basic "$RS_ID" "$TOKEN")" "token=$USER" $form
is "... the id of one token, the secret of another without the scope: 401, not 403" \
    "$STATUS $(jget .error)" "401 invalid_client"
introspect "$ROOT" "$TOKEN"
is "... and that secret's token spent no use on it" "$(jget .active)" true
SCHEME='Basic ' req POST /v1/introspect "bm90IGJhc2U2NA==" "token=$USER" $form
is "... no colon in it: 401" "$STATUS" 401
SCHEME='Basic ' req POST /v1/introspect "%%%" "token=$USER" $form
is "... not base64: 401" "$STATUS" 401
SCHEME='Basic ' req POST /v1/introspect "$(basic "$(jq -rn --arg s "$RS_ID" '$s|@uri')" "$RS")" "token=$USER" $form
is "... the id form-encoded, as RFC 6749 2.3.1 has it: 200" "$STATUS" 200

req POST /v1/introspect "" "token=$USER&client_id=$RS_ID&client_secret=$RS" $form
is "client_secret_post: the token is active" "$STATUS $(jget .active)" "200 true"
req POST /v1/introspect "" "client_id=$RS_ID&token=$USER&client_secret=${RS}x" $form
is "... a wrong secret: 401 invalid_client" "$STATUS $(jget .error)" "401 invalid_client"
req POST /v1/introspect "" "token=$USER&client_id=$ID&client_secret=$RS" $form
is "... another token's id: 401" "$STATUS" 401
req POST /v1/introspect "" "token=$USER&client_id=$RS_ID" $form
is "... no secret: 401" "$STATUS" 401
req POST /v1/introspect "$RS" "token=$USER&client_id=$RS_ID&client_secret=$RS" $form
is "two methods at once (Bearer and the form): 401 (RFC 6749 2.3)" "$STATUS" 401
mint weak '["orders:read"]'
req POST /v1/introspect "" "token=$USER&client_id=$ID&client_secret=$TOKEN" $form
is "a client without tokens:introspect: 403" "$STATUS $(jget .error)" "403 insufficient_scope"
mint gone '["orders:read"]'
GONE=$TOKEN
req POST /v1/revoke "" "token=$TOKEN&client_id=$RS_ID&client_secret=${RS}x" $form
is "RFC 7009 with client_secret_post checks it: a wrong secret is 401" "$STATUS $(jget .error)" "401 invalid_client"
req POST /v1/revoke "" "token=$TOKEN&client_id=$RS_ID&client_secret=$RS" $form
is "... a client without tokens:revoke: 403" "$STATUS" 403
introspect "$ROOT" "$TOKEN"
is "... and the token stays active" "$(jget .active)" true
mint revoker '["tokens:revoke","orders:read"]'
REVOKER=$TOKEN REVOKER_ID=$ID
req POST /v1/revoke "" "token=$GONE&client_id=$REVOKER_ID&client_secret=$REVOKER" $form
is "... a client holding tokens:revoke and the token's grants: 200" "$STATUS" 200
introspect "$ROOT" "$GONE"
is "... and the token is revoked" "$BODY" '{"active":false}'

# --- the recipe: Apache with mod_oauth2 in front of a static location.
A=$T/oauth2
mkdir -p "$A/htdocs/guarded"
echo "guarded by keyhole through mod_oauth2" >"$A/htdocs/guarded/index.html"
chmod -R a+rX "$A"
APORT=$(free_port)
cat >"$A/httpd.conf" <<EOT
ServerRoot $A
ServerName 127.0.0.1
Listen 127.0.0.1:$APORT
PidFile $A/httpd.pid
ErrorLog $A/error.log
LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
LoadModule authn_core_module /usr/lib/apache2/modules/mod_authn_core.so
LoadModule authz_user_module /usr/lib/apache2/modules/mod_authz_user.so
LoadModule mime_module /usr/lib/apache2/modules/mod_mime.so
LoadModule dir_module /usr/lib/apache2/modules/mod_dir.so
LoadModule oauth2_module /usr/lib/apache2/modules/mod_oauth2.so
$( [ "$(id -u)" -ne 0 ] || printf 'User www-data\nGroup www-data\n' )
TypesConfig /etc/mime.types
DirectoryIndex index.html
DocumentRoot $A/htdocs
<Directory $A/htdocs>
	Require all granted
</Directory>
Define KEYHOLE_INTROSPECT $BASE/v1/introspect
Define KEYHOLE_CLIENT_ID $RS_ID
Define KEYHOLE_CLIENT_SECRET $RS
Include $top/httpd-conf/keyhole-oauth2.conf
EOT
if apache2 -k start -f "$A/httpd.conf" 2>"$A/start.err"; then
	for _ in $(seq 50); do
		curl -s -o /dev/null "http://127.0.0.1:$APORT/" && break
		sleep 0.1
	done
	get() { curl -s -o "$A/b" -w '%{http_code}' ${1:+-H "Authorization: Bearer $1"} \
	    "http://127.0.0.1:$APORT/guarded/"; }
	is "mod_oauth2: an active token reaches the guarded location" "$(get "$USER") $(cat "$A/b")" \
	    "200 guarded by keyhole through mod_oauth2"
	is "... no token: 401" "$(get)" 401
	is "... an unknown token: 401" "$(get kh_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA)" 401
	mint later '["orders:read"]'
	req DELETE "/v1/tokens/$ID" "$ROOT"
	is "... a token revoked in keyhole (never seen by mod_oauth2 before): 401" "$(get "$TOKEN")" 401
	kill "$(cat "$A/httpd.pid")"
else
	echo "not ok - Apache with mod_oauth2 started"
	sed 's/^/#   /' "$A/start.err" | head -n 10
fi
