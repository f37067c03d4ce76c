#!/bin/bash
# The same programs as plain CGI: one process per request, the request in
# the environment and on standard input, the answer on standard output.
. "$(dirname "$0")/lib.sh"
mkdir -p "$KEYHOLE_HOME"
ROOT=$("$ctl" -d "$KEYHOLE_HOME" init 2>/dev/null)
ok "keyholectl init printed a root token" test -n "$ROOT"

cgi() {	# cgi PROGRAM METHOD URI TOKEN [BODY TYPE]
	local body=${5-}
	env -i KEYHOLE_HOME="$KEYHOLE_HOME" GATEWAY_INTERFACE=CGI/1.1 \
	    REQUEST_METHOD="$2" REQUEST_URI="$3" QUERY_STRING="${3#*\?}" \
	    SCRIPT_NAME="${SCRIPT_NAME:-/keyhole/$1}" \
	    HTTP_AUTHORIZATION="Bearer $4" CONTENT_TYPE="${6:-}" \
	    CONTENT_LENGTH="${#body}" REMOTE_ADDR=127.0.0.1 \
	    "$top/build/cgi-bin/$1" <<<"$body" | tr -d '\r'
}

out=$(cgi tokens-create POST /v1/tokens "$ROOT" '{"name":"cgi","scopes":["tokens:read"]}' application/json)
is "a CGI mint answers Status: 201" "$(head -n 1 <<<"$out")" "Status: 201 Created"
tok=$(sed -n 's/.*"token":"\([^"]*\)".*/\1/p' <<<"$out")
ok "... with a secret" grep -qE '^kh_' <<<"$tok"
out=$(cgi introspect POST /v1/introspect "$ROOT" "token=$tok" application/x-www-form-urlencoded)
ok "a CGI introspection finds it active" grep -q '"active":true' <<<"$out"
out=$(SCRIPT_NAME=/cgi-bin/introspect cgi introspect POST /cgi-bin/introspect "$ROOT" "token=$tok" application/x-www-form-urlencoded)
ok "... at the script's own URL too (a path outside the route table)" grep -q '"active":true' <<<"$out"
out=$(SCRIPT_NAME=/keyhole/tokens-create cgi tokens-create POST /api/v1/%74oken "$ROOT" '{}' application/json)
is "a path outside the table that is not the script's own (an escaped one): 404" "$(head -n 1 <<<"$out")" "Status: 404 Not Found"
out=$(SCRIPT_NAME=/cgi-bin/introspect cgi introspect GET /cgi-bin/introspect "$ROOT")
is "... where another method is 405" "$(head -n 1 <<<"$out")" "Status: 405 Method Not Allowed"
out=$(cgi introspect POST /v1/tokens "$ROOT" '{}' application/json)
is "a path of another program's: 500, the server is misrouted" "$(head -n 1 <<<"$out")" "Status: 500 Internal Server Error"
out=$(cgi tokens-list GET "/v1/tokens?limit=5" "$tok")
is "the minted token lists over CGI" "$(head -n 1 <<<"$out")" "Status: 200 OK"
out=$(cgi tokens-list GET "/v1/tokens" "")
is "no credentials over CGI: 401" "$(head -n 1 <<<"$out")" "Status: 401 Unauthorized"
out=$(env -i REQUEST_METHOD=GET REQUEST_URI=/v1/tokens GATEWAY_INTERFACE=CGI/1.1 \
    KEYHOLE_HOME="$T/nowhere" "$top/build/cgi-bin/tokens-list" </dev/null 2>/dev/null | tr -d '\r')
is "no store: 503, not a crash" "$(head -n 1 <<<"$out")" "Status: 503 Service Unavailable"

# keyholectl: the same library, no HTTP.
sum() { find "$KEYHOLE_HOME" -name '*.db' -o -name hash.key | sort | xargs cat | md5sum; }
before=$(sum)
"$ctl" -d "$KEYHOLE_HOME" init >"$T/out" 2>/dev/null
is "keyholectl init on an existing store exits 1" "$?" 1
is "... prints no token" "$(cat "$T/out")" ""
is "... and changes nothing" "$(sum)" "$before"
"$ctl" -d "$KEYHOLE_HOME" create -n "$(printf 'a\tb')" -s a:b >/dev/null 2>&1
is "keyholectl create refuses what the API refuses (control character): 2" "$?" 2
"$ctl" -d "$KEYHOLE_HOME" create -n x -s 'Bad Scope' >/dev/null 2>&1
is "keyholectl create refuses a bad scope: 2" "$?" 2
is "... and stores nothing" "$(sum)" "$before"
tok=$("$ctl" -d "$KEYHOLE_HOME" create -n ctl -s tokens:introspect -o acme -t 3600 2>/dev/null)
ok "keyholectl create prints only the secret on stdout" grep -qE '^kh_[0-9A-Za-z]{38}$' <<<"$tok"
out=$(cgi introspect POST /v1/introspect "$ROOT" "token=$tok" application/x-www-form-urlencoded)
ok "... which introspects active, in its organization" grep -q '"organization":"acme"' <<<"$out"
id=$(sed -n 's/.*"jti":"\([^"]*\)".*/\1/p' <<<"$out")
ok "keyholectl list shows it" grep -q "^$id	active	acme	ctl	tokens:introspect$" <<<"$("$ctl" -d "$KEYHOLE_HOME" list)"
ok "keyholectl show gives the token object" grep -q "\"id\":\"$id\"" <<<"$("$ctl" -d "$KEYHOLE_HOME" show "$id")"
"$ctl" -d "$KEYHOLE_HOME" revoke "$id" 2>/dev/null
out=$(cgi introspect POST /v1/introspect "$ROOT" "token=$tok" application/x-www-form-urlencoded)
is "keyholectl revoke makes it inactive" "$(tail -n 1 <<<"$out")" '{"active":false}'
ok "keyholectl list (active only) no longer shows it" bash -c "! '$ctl' -d '$KEYHOLE_HOME' list | grep -q '$id'"
ok "keyholectl checkpoint" "$ctl" -d "$KEYHOLE_HOME" checkpoint

# Refused credentials count across processes: each CGI request is one.
for i in $(seq 31); do
	out=$(env -i KEYHOLE_HOME="$KEYHOLE_HOME" GATEWAY_INTERFACE=CGI/1.1 \
	    REQUEST_METHOD=GET REQUEST_URI=/v1/tokens HTTP_AUTHORIZATION="Bearer kh_bad$i" \
	    REMOTE_ADDR=192.0.2.50 "$top/build/cgi-bin/tokens-list" </dev/null | tr -d '\r')
	echo "$(head -n 1 <<<"$out")" >>"$T/cgi-limit"
done
is "30 bad tokens over plain CGI, each its own process: 401" \
    "$(head -n 30 "$T/cgi-limit" | sort -u)" "Status: 401 Unauthorized"
is "... the 31st from that address: 429" "$(tail -n 1 "$T/cgi-limit")" "Status: 429 Too Many Requests"

# A plain CGI process opens only the databases its request uses: an
# introspection that writes nothing (the token's last use is recent), the
# token index and the records; a mint, every one (a secondary not open
# would not be kept in step).
dbs_opened() {	# dbs_opened PROGRAM METHOD URI TOKEN BODY TYPE: the .db files it opened, sorted
	strace -f -e trace=openat -o "$T/strace" bash -c "$(declare -f cgi); top='$top'; cgi \"\$@\" >/dev/null" \
	    cgi "$@"
	grep -o '/[a-z-]*\.db"' "$T/strace" | tr -d '/"' | sort -u | tr '\n' ' '
}
new=$(cgi tokens-create POST /v1/tokens "$ROOT" '{"name":"cgi-dbs","scopes":["tokens:read"]}' application/json |
    sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
out=$(cgi introspect POST /v1/introspect "$ROOT" "token=$new" application/x-www-form-urlencoded)
ok "a fresh token introspects active over CGI" grep -q '"active":true' <<<"$out"
is "... and introspected again, that process opens records.db alone (one lookup by hash)" \
    "$(dbs_opened introspect POST /v1/introspect "$ROOT" "token=$new" application/x-www-form-urlencoded)" \
    "records.db "
is "a mint over CGI opens every database" \
    "$(dbs_opened tokens-create POST /v1/tokens "$ROOT" '{"name":"cgi-dbs2","scopes":["tokens:read"]}' application/json)" \
    "audit.db records-id.db records-parent.db records-prev.db records.db tokens-list.db "

# keyholectl load's tokens in an organization, at an entity, as JWTs.
mkdir -p "$T/load" && chmod 777 "$T/load"
"$ctl" -d "$KEYHOLE_HOME" load -c 3 -s bench:read -O acme -e workspace:ops -J -k 3 -o "$T/load/secrets" 2>/dev/null
is "keyholectl load -J writes JWT secrets" "$(grep -c '^eyJ' "$T/load/secrets")" 3
out=$(cgi introspect POST /v1/introspect "$ROOT" "token=$(head -n 1 "$T/load/secrets")" application/x-www-form-urlencoded)
is "... which introspect active, in the organization and at the entity -O and -e gave" \
    "$(tail -n 1 <<<"$out" | jq -c '[.active, .organization, .entity]')" '[true,"acme","workspace:ops"]'
"$ctl" -d "$KEYHOLE_HOME" load -c 3 -s bench:read -e 'no entity' 2>/dev/null
is "keyholectl load refuses an entity the API would (exit 2)" "$?" 2
