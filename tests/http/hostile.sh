#!/bin/bash
# Hostile input to the native API and to every dialect: bytes JSON does
# not allow, nesting and sizes past the limits, numbers out of range,
# duplicate keys, wrong media types, Content-Lengths that lie, huge
# headers, odd ids and paths, forged JWTs, injection strings.  Each is
# answered 4xx in the route's own error shape, or refused by the web
# server with its own 4xx before keyhole runs: never a 5xx, never a hang,
# and nothing stored changes.  The last line counts them.
source "$(dirname "$0")/lib.sh"
# The keyholectl built beside the programs under test, when there is one.
if [ -n "${KEYHOLE_BIN:-}" ] && [ -x "$KEYHOLE_BIN/../keyholectl" ]; then
	ctl=$(cd "$KEYHOLE_BIN/.." && pwd)/keyholectl
fi
# Eight workers a program: the stalled bodies below hold six of the
# mint's at once, where the server hands a body over as it comes.
start_server 8
started=$SECONDS
# How long the servers wait at most for a body that stops coming
# (httpd-conf/), and the bound the test gives them: past it, the request
# hangs.
STALL=15
BOUND=$((STALL + 10))

N=0 N4=0 N5=0	# hostile inputs sent; answered 4xx; answered 5xx
# The count is the very last line, after lib.sh's own clean-up.
trap 'cleanup; echo "# hostile: $N inputs, $N4 answered 4xx, $N5 5xx"' EXIT
KEPT=0		# inputs a mint may take (odd names): stored and answered verbatim
INACTIVE=0	# forged JWTs introspected (200, inactive) or revoked by value
		# (200, nothing revoked), as RFC 7662 and RFC 7009 say
CLOSED=0	# bodies cut short that the server dropped without an answer (lighttpd)

# --- requests

# send METHOD PATH TOKEN [CONTENT-TYPE [CURL-ARGS...]]: the body is the file
# $T/in (none when it is absent); CONTENT-TYPE "-" sends no media type.
# Paths go as they are (no "..", "." or escape undone by curl).  Sets
# STATUS, BODY, HEADERS as req does.
send() {
	local m=$1 path=$2 tok=$3 ct=${4:-application/json}
	local args=(-s -X "$m" -D "$T/h" -o "$T/b" -w '%{http_code}'
	    --max-time 20 --path-as-is -H 'Expect:')
	shift 3
	[ $# -eq 0 ] || shift
	[ -z "$tok" ] || args+=(-H "Authorization: ${SCHEME-Bearer }$tok")
	if [ -f "$T/in" ]; then
		if [ "$ct" = - ]; then
			args+=(-H 'Content-Type:')
		else
			args+=(-H "Content-Type: $ct")
		fi
		args+=(--data-binary "@$T/in")
	fi
	: >"$T/h"
	: >"$T/b"
	STATUS=$(curl "${args[@]}" "$@" "$BASE$path")
	answer "$T"
}
# answer DIR: BODY and HEADERS from DIR/b and DIR/h (no NUL, no CR).
answer() {
	{ BODY=$(<"$1/b"); } 2>/dev/null
	HEADERS=$(<"$1/h")
	HEADERS=${HEADERS//$'\r'/}
}
body() { printf '%s' "$1" >"$T/in"; }		# body TEXT: the next body
nobody() { rm -f "$T/in"; }

# A raw HTTP client: the bytes of a file as they are, then (end) the
# sending side closed, or (trickle) a byte every two seconds; prints the
# status of every answer that comes back, and "TIMEOUT" when the server
# neither closes nor is done in time.  The first answer's head and body
# go where send puts them.
cat >"$T/raw.js" <<'EOT'
'use strict';
const net = require('net'), fs = require('fs');
const [port, wait, file, end, dir] = process.argv.slice(2);
const got = [];
let timedout = false;
const s = net.connect(+port, '127.0.0.1', () => {
	s.write(fs.readFileSync(file));
	if (end === 'end')
		s.end();
	else if (end === 'trickle')	/* then a byte every two seconds */
		setInterval(() => s.write('x'), 2000).unref();
});
s.on('data', (d) => got.push(d));
s.on('error', () => {});
const t = setTimeout(() => { timedout = true; s.destroy(); done(); }, +wait);
s.on('close', () => { clearTimeout(t); done(); });
let finished = false;
function done() {
	if (finished)
		return;
	finished = true;
	let b = Buffer.concat(got), first = true;
	for (;;) {
		const at = b.indexOf('\r\n\r\n');
		if (at < 0)
			break;
		const head = b.subarray(0, at).toString('latin1');
		const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
		if (!m)
			break;
		const cl = /\r\ncontent-length: *(\d+)/i.exec(head);
		let body, rest = b.subarray(at + 4);
		if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
			const parts = [];
			for (;;) {
				const eol = rest.indexOf('\r\n');
				const n = eol < 0 ? 0 : parseInt(rest.subarray(0, eol).toString(), 16);
				if (!(n > 0)) {
					rest = eol < 0 ? rest.subarray(rest.length) : rest.subarray(eol + 4);
					break;
				}
				parts.push(rest.subarray(eol + 2, eol + 2 + n));
				rest = rest.subarray(eol + 4 + n);
			}
			body = Buffer.concat(parts);
		} else {
			const len = cl ? +cl[1] : rest.length;
			body = rest.subarray(0, len);
			rest = rest.subarray(len);
		}
		if (first) {
			fs.writeFileSync(dir + '/h', head + '\r\n');
			fs.writeFileSync(dir + '/b', body);
			first = false;
		}
		console.log(m[1]);
		b = rest;
	}
	if (timedout)
		console.log('TIMEOUT');
}
EOT
# raw FILE [end|trickle] [WAIT-MS]: sends FILE by raw.js; STATUS is the
# first answer's status (000 when none), RAW every status and TIMEOUT.
raw() {
	: >"$T/h"
	: >"$T/b"
	RAW=$(node "$T/raw.js" "$PORT" "${3:-5000}" "$1" "${2:-}" "$T")
	STATUS=$(grep -m1 -E '^[0-9]{3}$' <<<"$RAW" || echo 000)
	answer "$T"
}

# --- judging

# What is stored: every token, the token the tests change, and the
# newest two changes in the audit trail (a refused authentication is
# recorded, and is no change).  Every change a request makes writes an
# audit entry in its transaction: after each input the newest changes
# are compared; after each part, all of it.  One jq that stays reads the
# trail's newest entries, a line in, a line out.
coproc NEWEST {
	exec jq --unbuffered -R -r 'try (fromjson | [.events[] |
	    select(.event != "auth.refused") | .id] | "\(.[0]) \(.[1])")
	    catch "unreadable"'
}
changes() {
	local x
	{
		curl -s --max-time 20 -H "Authorization: Bearer $ROOT" \
		    "$BASE/v1/audit?order=desc&limit=100"
		echo
	} >&"${NEWEST[1]}"
	IFS= read -r x <&"${NEWEST[0]}"
	echo "$x"
}
snap() {
	"$ctl" -d "$KEYHOLE_HOME" list -a
	[ -z "${VID:-}" ] || "$ctl" -d "$KEYHOLE_HOME" show "$VID"
	changes
}
# unchanged PART: the store holds what it held before the part.
unchanged() {
	local now
	now=$(snap)
	is "$1: nothing stored changed" "$now" "$SNAP"
	SNAP=$now
	CHANGES=$(changes)
}

# hdr NAME: HDR is the last answer's header NAME (lower case), or "".
hdr() {
	local re=$'(^|\n)'"$1"$': ([^\n]*)'
	HDR=
	[[ ${HEADERS,,} =~ $re ]] && HDR=${BASH_REMATCH[2]}
}
from_keyhole() { hdr x-content-type-options; [ "$HDR" = nosniff ]; }

# The shape of an error in each dialect, checked by one jq that stays:
# a line "DIALECT<tab>STATUS<tab>BODY" in, a line out (empty: the body is
# the dialect's error, with its status inside where it has one).
k=$top/tests/contracts	# schema.jq's check() wants a $c: any contract
coproc SHAPER {
	exec jq --unbuffered -L "$k" -R -r --slurpfile c "$k/problem.json" \
	    --slurpfile problem "$k/problem.json" --slurpfile archil "$k/archil.json" \
	    --slurpfile deepset "$k/deepset.json" --slurpfile turso "$k/turso.json" \
	    --slurpfile astronomer "$k/astronomer.json" '
	include "schema";
	def is($k; $d): errors($k[0]; $k[0].definitions[$d]; "$");
	def within($f; $s): if $f == $s then [] else ["the status inside is \($f)"] end;
	def shape($d; $s):
		if $d == "native" or $d == "timbal" then
			is($problem; "Problem") + within(.status; $s)
		elif $d == "archil" then is($archil; "ErrorResponse")
		elif $d == "deepset" then is($deepset; if $s == 400 or $s == 422
			then "HTTPValidationError" else "ErrorMessage" end)
		elif $d == "astronomer" then
			is($astronomer; "Error") + within(.statusCode; $s)
		elif $d == "turso" then is($turso; "Error")
		elif $d == "oauth" then	# RFC 6749 5.2
			if type == "object" and (.error | type) == "string" and
			    (keys - ["error", "error_description"]) == [] then []
			else ["not an OAuth error"] end
		else ["no dialect \($d)"] end;
	split("\t") as $f
	| (try ($f[2:] | join("\t") | fromjson | [.]) catch null) as $v
	| if $v == null then "not JSON"
	  else $v[0] | shape($f[0]; $f[1] | tonumber) | .[0:2] | join("; ") end'
}

# shape DIALECT: nothing when the last answer is an error in the
# dialect's own shape, else what is wrong with it.
shape() {
	local ct=application/json why
	case $1 in
	native | timbal) ct=application/problem+json ;;
	# A location the authorizer guards has no dialect; and Apache's
	# mod_authnz_fcgi passes on the authorizer's body, not its media type.
	authorizer) return ;;
	esac
	hdr content-type
	if [ "$HDR" != "$ct" ]; then
		echo "Content-Type $HDR, not $ct"
	elif [[ $BODY == *$'\n'* ]]; then
		echo "a raw line break in the body"
	else
		printf '%s\t%s\t%s\n' "$1" "$STATUS" "$BODY" >&"${SHAPER[1]}"
		IFS= read -r why <&"${SHAPER[0]}"
		echo "$why"
	fi
}

# verdict DESCRIPTION WHY: one TAP line, with what came back when not ok.
verdict() {
	if [ -z "$2" ]; then
		echo "ok - $1"
	else
		echo "not ok - $1: $2"
		echo "#   status $STATUS, body: ${BODY:0:200}"
	fi
}

# judge DIALECT DESCRIPTION [STATUS]: the last answer refused a hostile
# input: a 4xx (STATUS, when given) in the dialect's error shape where
# keyhole answered, or the web server's own 4xx where it refused first;
# and it changed nothing.
judge() {
	local why= now
	N=$((N + 1))
	case $STATUS in
	5??) N5=$((N5 + 1)) why="a 5xx" ;;
	4??)
		N4=$((N4 + 1))
		if [ -n "${3:-}" ] && [ "$STATUS" != "$3" ]; then
			why="not $3"
		elif from_keyhole; then
			why=$(shape "$1")
		fi
		;;
	000) why="no answer within the bound" ;;
	*) why="not refused" ;;
	esac
	now=$(changes)
	if [ "$now" != "$CHANGES" ]; then
		why="${why:+$why; }it changed the store"
		CHANGES=$now
	fi
	verdict "$1: $2: $STATUS" "$why"
}

# shown PATH: the path as a description names it, ids as {id}.
shown() { local s=${1//$VID/\{id\}}; echo "${s//$AID/\{id\}}"; }

# jstr STRING: STRING as a JSON string.
jstr() { jq -Rn --arg s "$1" '$s'; }

# --- who calls: the root token, an admin of acme (deepset), a subject
# of acme (Turso), a token to change, and JWTs to forge from
mint acme-admin '[]' '"organization":"acme","subject":"alice","bindings":[{"role":"ADMIN","entity":"organization"}]'
ADMIN=$TOKEN
mint victim '["protected:read"]' '"organization":"acme","description":"keep me","metadata":{"k":"v"}'
VID=$ID
req POST /organizations/acme/tokens "$ROOT" '{"name":"astro","role":"ORGANIZATION_MEMBER","type":"ORGANIZATION"}'
AID=$(jget .id)
mint jwt1 '["protected:read","tokens:read"]' '"organization":"acme","subject":"alice","format":"jwt","bindings":[{"role":"ADMIN","entity":"organization"}]'
J1=$TOKEN
mint jwt2 '["protected:read"]' '"format":"jwt"'
J2=$TOKEN
ok "the callers and JWTs to forge from were minted" grep -qE \
    '^kh_[^ ]+ [0-9a-f-]{36} [0-9a-f-]{36} eyJ[^ ]+ eyJ[^ ]+$' <<<"$ADMIN $VID $AID $J1 $J2"
SNAP=$(snap) CHANGES=$(changes)
# The shape check can fail: another dialect's error, or a status inside
# that is not the answer's, is refused.
STATUS=400 BODY='{"error":"invalid"}' HEADERS='content-type: application/problem+json'
ok "the shape check refuses another dialect's error" test -n "$(shape native)"
STATUS=401 BODY='{"message":"m","statusCode":400,"requestId":"r"}' HEADERS='content-type: application/json'
ok "... and a status inside that is not the answer's" test -n "$(shape astronomer)"

# --- a body shorter than its Content-Length, and then nothing: the
# request is ended within the bound, never left hanging.  Sent first,
# judged last.  Apache hands a body to the program as it comes: it
# answers 408 itself after 10 s of a body (mod_reqtimeout), and keyhole's
# worker stops waiting as soon (lib/request.c).  lighttpd reads the whole
# body before a program sees the request, and drops one whose body stops
# coming for 15 s (it has no 408 to send).
stalls=(
	"native POST /v1/tokens $ROOT"
	"native PATCH /v1/tokens/$VID $ROOT"
	"archil POST /api/tokens $ROOT"
	"timbal POST /orgs/acme/connectors/enrollment-tokens $ROOT"
	"deepset POST /api/v1/token $ADMIN"
	"astronomer POST /organizations/acme/tokens $ROOT"
	"turso POST /v1/auth/api-tokens/stalled $ADMIN"
	"oauth POST /v1/introspect $ROOT"
	"native POST /v1/tokens $ROOT 1048577"
)
for i in "${!stalls[@]}"; do
	set -- ${stalls[$i]}
	curl -s -o "$T/stall.$i.b" -D "$T/stall.$i.h" --max-time "$BOUND" \
	    -w '%{http_code} %{time_total}' -X "$2" -H "Authorization: Bearer $4" \
	    -H 'Content-Type: application/json' -H "Content-Length: ${5:-100}" \
	    -H 'Expect:' --data-binary '{"name":"x"' "$BASE$3" >"$T/stall.$i" \
	    2>/dev/null &
	echo $! >"$T/stall.$i.pid"
done
# And a body that trickles in, a byte every two seconds.
mkdir "$T/trickle"
printf 'POST /v1/tokens HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"name":' \
    "$ROOT" >"$T/trickle/in"
node "$T/raw.js" "$PORT" $((BOUND * 1000)) "$T/trickle/in" trickle "$T/trickle" \
    >"$T/trickle/out" &
trickle=$!

# --- bytes JSON does not allow, in each string member of each body
# printf formats: each puts the input's bytes inside a JSON string.
payloads=(
	'an escaped NUL (\u0000)|a\\u0000b'
	'a raw NUL byte|a\000b'
	'invalid UTF-8|a\303\050b'
	'a lone surrogate (\ud800)|a\\ud800b'
	'a lone low surrogate (\udc00)|a\\udc00b'
	'a reversed surrogate pair|\\udc00\\ud800'
	'a surrogate encoded in UTF-8|a\355\240\200b'
	'overlong UTF-8|a\300\257b'
	'UTF-8 past U+10FFFF|a\364\220\200\200b'
	'a truncated UTF-8 sequence|a\342\202'
	'a raw control character|a\001b'
	'a raw newline|a\nb'
	'an unknown escape|a\\xb'
)
# Each body with @ where the string's content goes: dialect, status for
# JSON that does not parse, method, path, caller, body.
slots=(
	"native 400 POST /v1/tokens ROOT {\"name\":\"@\",\"scopes\":[\"protected:read\"]}"
	"native 400 POST /v1/tokens ROOT {\"name\":\"h\",\"scopes\":[\"@\"]}"
	"native 400 POST /v1/tokens ROOT {\"name\":\"h\",\"scopes\":[\"protected:read\"],\"organization\":\"@\"}"
	"native 400 POST /v1/tokens ROOT {\"name\":\"h\",\"scopes\":[\"protected:read\"],\"metadata\":{\"@\":1}}"
	"native 400 POST /v1/tokens ROOT {\"name\":\"h\",\"bindings\":[{\"role\":\"@\"}]}"
	"native 400 PATCH /v1/tokens/$VID ROOT {\"name\":\"@\"}"
	"native 400 PATCH /v1/tokens/$VID ROOT {\"metadata\":{\"k\":\"@\"}}"
	"native 400 POST /v1/tokens/$VID/rotate ROOT {\"@\":0}"
	"native 400 POST /v1/enrollments/redeem - {\"token\":\"@\",\"name\":\"x\"}"
	"oauth 400 POST /v1/introspect ROOT {\"token\":\"@\"}"
	"archil 400 POST /api/tokens ROOT {\"name\":\"@\"}"
	"archil 400 POST /api/tokens ROOT {\"name\":\"h\",\"description\":\"@\"}"
	"timbal 400 POST /orgs/acme/connectors/enrollment-tokens ROOT {\"name\":\"@\"}"
	"deepset 422 POST /api/v1/token ADMIN {\"name\":\"@\"}"
	"deepset 422 POST /api/v1/token ADMIN {\"workspaces\":[\"@\"]}"
	"astronomer 400 POST /organizations/acme/tokens ROOT {\"name\":\"@\",\"role\":\"ORGANIZATION_MEMBER\",\"type\":\"ORGANIZATION\"}"
	"astronomer 400 POST /organizations/acme/tokens/$AID ROOT {\"description\":\"@\"}"
	"astronomer 400 POST /organizations/acme/tokens/$AID/roles ROOT {\"roles\":[{\"entityId\":\"@\",\"entityType\":\"WORKSPACE\",\"role\":\"WORKSPACE_MEMBER\"}]}"
	"turso 400 POST /v1/auth/api-tokens/hx ADMIN {\"organization\":\"@\"}"
	"turso 400 POST /v1/auth/api-tokens/hx ADMIN {\"organization\":\"acme\",\"group\":\"g\",\"scopes\":[\"@\"]}"
)
token_of() { case $1 in ROOT) echo "$ROOT" ;; ADMIN) echo "$ADMIN" ;; *) ;; esac; }
for s in "${slots[@]}"; do
	read -r d want m path who tmpl <<<"$s"
	# Every input in a name; the first four in the other members.
	n=${#payloads[@]}
	[[ $tmpl == '{"name":"@"'* ]] || n=4
	tok=$(token_of "$who") what="$m $(shown "$path") ${tmpl:0:48}"
	for p in "${payloads[@]:0:n}"; do
		{ printf '%s' "${tmpl%%@*}"; printf "${p#*|}"; printf '%s' "${tmpl#*@}"; } >"$T/in"
		send "$m" "$path" "$tok"
		judge "$d" "$what: ${p%%|*}" "$want"
	done
done
unchanged "after bytes JSON does not allow"

# --- nesting, size, many keys, duplicate keys, in each mint's body (and
# a change's): each endpoint, its caller, the member a value may go in,
# and its statuses for JSON that does not parse and for invalid fields.
endpoints=(
	"native POST /v1/tokens ROOT name 400 422"
	"native PATCH /v1/tokens/$VID ROOT name 400 422"
	"oauth POST /v1/introspect ROOT token 400 -"
	"archil POST /api/tokens ROOT name 400 400"
	"timbal POST /orgs/acme/connectors/enrollment-tokens ROOT name 400 400"
	"deepset POST /api/v1/token ADMIN name 422 422"
	"astronomer POST /organizations/acme/tokens ROOT name 400 400"
	"astronomer POST /organizations/acme/tokens/$AID ROOT name 400 400"
	"turso POST /v1/auth/api-tokens/hx ADMIN organization 400 400"
)
deep=$(printf '%10000s' | tr ' ' '[')$(printf '%10000s' | tr ' ' ']')
deepobj=$(printf '%10000s' | sed 's/ /{"a":/g')1$(printf '%10000s' | tr ' ' '}')
keys() { seq "$1" | awk 'BEGIN { printf "{" } { printf "\"k%d\":0,", $1 } END { printf "\"k\":0}" }'; }
keys 100000 >"$T/keys100000"
unknown=$(for i in $(seq 300); do printf '"u%d":1,' "$i"; done)
digits=$(printf '%20000s' | tr ' ' 9)
for e in "${endpoints[@]}"; do
	read -r d m path who member bad invalid <<<"$e"
	tok=$(token_of "$who")
	what="$m $(shown "$path")"
	body "$deep"
	send "$m" "$path" "$tok"
	judge "$d" "$what: arrays nested 10,000 deep" "$bad"
	body "{\"$member\":$deep}"
	send "$m" "$path" "$tok"
	judge "$d" "$what: arrays nested 10,000 deep in $member" "$bad"
	body "$deepobj"
	send "$m" "$path" "$tok"
	judge "$d" "$what: objects nested 10,000 deep" "$bad"
	cp "$T/keys100000" "$T/in"
	send "$m" "$path" "$tok"
	judge "$d" "$what: 100,000 keys in one object (1.1 MB)" 413
	# RFC 7662 lets introspection ignore what it does not know.
	if [ "$invalid" != - ]; then
		body "{${unknown}\"$member\":\"h\"}"
		send "$m" "$path" "$tok"
		judge "$d" "$what: 300 unknown members" "$invalid"
		body "{\"$member\":\"h\",\"<script>\\\"\\\\\\n\":1}"
		send "$m" "$path" "$tok"
		judge "$d" "$what: an unknown member named <script>, quote, backslash, newline" "$invalid"
	fi
	body "{\"$member\":\"a\",\"$member\":\"b\"}"
	send "$m" "$path" "$tok"
	judge "$d" "$what: a duplicate key" "$bad"
	esc="\\u00$(printf %x "'${member:0:1}")${member:1}"
	body "{\"$member\":\"a\",\"$esc\":\"b\"}"
	send "$m" "$path" "$tok"
	judge "$d" "$what: a duplicate key, escaped ($esc)" "$bad"
	body "{\"$member\":$digits}"
	send "$m" "$path" "$tok"
	judge "$d" "$what: a 20,000-digit number" "${invalid/-/400}"
done
body '{"name":"h","scopes":["protected:read"],"metadata":{"a":1,"a":2}}'
send POST /v1/tokens "$ROOT"
judge native "POST /v1/tokens: a duplicate key inside metadata" 400
body '{"name":"h","scopes":["protected:read"],"metadata":{"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":{"i":1}}}}}}}}}}'
send POST /v1/tokens "$ROOT"
judge native "POST /v1/tokens: metadata nested past the limit" 400
unchanged "after nesting, sizes and duplicate keys"

# --- lifetimes, TTLs and expiry values out of range, negative,
# fractional, overflowing, of the wrong type, in each dialect's expiry
# member (Archil and Turso have none)
nums=(1e309 -1 99999999999999999999 1.5 0 -0 9223372036854775808 '"3600"')
times=('"9999-12-31T23:59:60Z"' '"10000-01-01T00:00:00Z"'
    '"1969-12-31T23:59:59Z"' '"2030-02-30T00:00:00Z"' '"2030-01-01T00:00:00+24:00"'
    '"2030-01-01"' '"99999999999999999999"' 1e309 -1)
expiry=(
	'native 422 POST /v1/tokens {"name":"h","scopes":["protected:read"],"expires_in":@}'
	'native 422 POST /v1/tokens {"name":"h","scopes":["protected:read"],"max_uses":@}'
	'timbal 400 POST /orgs/acme/connectors/enrollment-tokens {"ttl_secs":@}'
	'astronomer 400 POST /organizations/acme/tokens {"name":"h","role":"ORGANIZATION_MEMBER","type":"ORGANIZATION","tokenExpiryPeriodInDays":@}'
)
for e in "${expiry[@]}"; do
	read -r d want m path tmpl <<<"$e"
	for v in "${nums[@]}"; do
		body "${tmpl/@/$v}"
		send "$m" "$path" "$ROOT"
		judge "$d" "$m $path: ${tmpl:0:28}...@ = $v" "$want"
	done
done
for v in 1e309 -1 99999999999999999999 1.5 2592001 9223372036854775808 '"60"'; do
	body "{\"grace_seconds\":$v}"
	send POST "/v1/tokens/$VID/rotate" "$ROOT"
	judge native "POST /v1/tokens/{id}/rotate: grace_seconds $v" 422
done
for v in "${times[@]}"; do
	body "{\"name\":\"h\",\"scopes\":[\"protected:read\"],\"expires_at\":$v}"
	send POST /v1/tokens "$ROOT"
	judge native "POST /v1/tokens: expires_at $v" 422
	body "{\"expires_at\":$v}"
	send POST /api/v1/token "$ADMIN"
	judge deepset "POST /api/v1/token: expires_at $v" 422
done
body '{"expires":1}'
send POST /api/v1/token "$ADMIN"
judge deepset "POST /api/v1/token: expires 1, not a boolean" 422
unchanged "after lifetimes out of range"

# --- a wrong or missing media type, the body otherwise good
goods=(
	'native 400 POST /v1/tokens ROOT {"name":"ct","scopes":["protected:read"]}'
	"native 400 PATCH /v1/tokens/$VID ROOT {\"name\":\"ct\"}"
	'oauth 400 POST /v1/introspect ROOT {"token":"kh_x"}'
	'archil 400 POST /api/tokens ROOT {"name":"ct"}'
	'timbal 400 POST /orgs/acme/connectors/enrollment-tokens ROOT {"name":"ct"}'
	'deepset 422 POST /api/v1/token ADMIN {"name":"ct"}'
	'astronomer 400 POST /organizations/acme/tokens ROOT {"name":"ct","role":"ORGANIZATION_MEMBER","type":"ORGANIZATION"}'
	"astronomer 400 POST /organizations/acme/tokens/$AID ROOT {\"name\":\"ct\"}"
	'turso 400 POST /v1/auth/api-tokens/ct ADMIN {"organization":"acme"}'
)
types=(text/plain application/x-www-form-urlencoded - application/jsonx
    'multipart/form-data; boundary=x')
for g in "${goods[@]}"; do
	read -r d want m path who b <<<"$g"
	tok=$(token_of "$who")
	for ct in "${types[@]}"; do
		body "$b"
		send "$m" "$path" "$tok" "$ct"
		judge "$d" "$m $(shown "$path"): Content-Type ${ct/#-/none}" "$want"
	done
	printf '%s' "$b" | iconv -f UTF-8 -t UTF-16 >"$T/in"
	send "$m" "$path" "$(token_of "$who")" 'application/json; charset=utf-16'
	judge "$d" "$m $(shown "$path"): a UTF-16 body" "$want"
	printf '\357\273\277%s' "$b" >"$T/in"
	send "$m" "$path" "$(token_of "$who")"
	judge "$d" "$m $(shown "$path"): a byte order mark before the JSON" "$want"
done
unchanged "after wrong media types"

# --- Content-Lengths that lie, sent as they are
# rawhead METHOD PATH TOKEN CONTENT-LENGTH: a request head, into $T/in
rawhead() {
	printf '%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %s\r\n\r\n' \
	    "$1" "$2" "$3" "$4" >"$T/in"
}
# The server may drop a request whose body ends early, instead of
# answering it: lighttpd does (it has no answer for it).
closes() { case ${SERVER:-lighttpd} in lighttpd*) true ;; *) false ;; esac; }
for g in "${goods[@]}"; do
	read -r d want m path who b <<<"$g"
	rawhead "$m" "$path" "$(token_of "$who")" 100
	printf '{"name":"x"' >>"$T/in"
	raw "$T/in" end
	if [ "$STATUS" = 000 ] && closes && ! grep -q TIMEOUT <<<"$RAW"; then
		N=$((N + 1)) CLOSED=$((CLOSED + 1))
		verdict "$d: $m $(shown "$path"): a body cut short (the client closed): the server closed without an answer" ""
	else
		judge "$d" "$m $(shown "$path"): a body cut short (the client closed)"
	fi
	rawhead "$m" "$path" "$(token_of "$who")" 11
	printf '{"name":"x","scopes":["protected:read"]}\r\n\r\n' >>"$T/in"
	raw "$T/in"
	judge "$d" "$m $(shown "$path"): a body longer than its Content-Length (11 of 41 bytes)"
	ok "... and what follows it is no request: $(echo $RAW)" \
	    test -z "$(grep -vE '^4[0-9][0-9]$' <<<"$RAW")"
done
for cl in -1 abc 99999999999999999999 0x10 1e3 '5\r\nContent-Length: 6' \
    '3\r\nTransfer-Encoding: chunked'; do
	rawhead POST /v1/tokens "$ROOT" "$cl"
	printf '5\r\n{"nam\r\n0\r\n\r\n' >>"$T/in"
	raw "$T/in"
	judge native "POST /v1/tokens: Content-Length: $cl"
done
printf 'POST /v1/tokens HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n' "$ROOT" >"$T/in"
raw "$T/in"
judge native "POST /v1/tokens: a chunk size that is no number"
unchanged "after Content-Lengths that lie"

# --- huge headers: the servers refuse them first; one that fits reaches
# keyhole, which refuses the credential in the route's shape
junk=$(head -c 65536 /dev/zero | tr '\0' a)
bearers=(
	"native GET /v1/tokens"
	"archil GET /api/tokens"
	"timbal POST /orgs/acme/connectors/enrollment-tokens"
	"deepset GET /api/v1/workspaces/w/token"
	"astronomer GET /organizations/acme/tokens"
	"turso GET /v1/auth/validate"
	"turso GET /v1/auth/api-tokens"
	"oauth POST /v1/introspect"
	"oauth POST /v1/revoke"
)
# bearer: the body each of those takes
bearer_body() {
	case $1 in
	*/introspect | */revoke) printf 'token=kh_x' >"$T/in"; ctype=application/x-www-form-urlencoded ;;
	POST*) body '{}'; ctype=application/json ;;
	*) nobody; ctype=application/json ;;
	esac
}
for b in "${bearers[@]}"; do
	read -r d m path <<<"$b"
	bearer_body "$m $path"
	send "$m" "$path" "kh_$junk" "$ctype"
	judge "$d" "$m $path: a 64 KiB Authorization header"
	send "$m" "$path" "kh_${junk:0:7000}" "$ctype"
	judge "$d" "$m $path: a 7,000-byte bearer token" 401
done
nobody
SCHEME='' send GET /api/tokens "key-$junk"
judge archil "GET /api/tokens: a 64 KiB key- Authorization header"
SCHEME='' send GET /api/tokens "key-${junk:0:7000}"
judge archil "GET /api/tokens: a 7,000-byte key- Authorization header" 401
nobody
send GET /v1/tokens "$ROOT" "" -H "X-Junk: $junk"
judge native "GET /v1/tokens: a 64 KiB X-Junk header, with a good token"
body '{"name":"h","scopes":["protected:read"]}'
send POST /v1/tokens "$ROOT" "" -H "X-Junk: $junk"
judge native "POST /v1/tokens: a 64 KiB X-Junk header, with a good token"
many=()
for i in $(seq 1000); do many+=(-H "X-H$i: ${junk:0:56}"); done
send POST /v1/tokens "$ROOT" "" "${many[@]}"
judge native "POST /v1/tokens: 1,000 headers of 64 bytes"
unchanged "after huge headers"

# --- odd ids and names in paths: separators, "..", escapes (%2F, %00,
# %2e%2e), control characters, over-long segments.  The server resolves
# or refuses some first; what reaches keyhole names no resource.
segs=(%2e%2e .. . %2F a%00b %0d%0aSet-Cookie:%20x=1 "${junk:0:200}" "${junk:0:5000}")
routes=(
	"native GET /v1/tokens/@ -"
	"native PATCH /v1/tokens/@ {\"name\":\"n\"}"
	"native POST /v1/tokens/@/rotate {}"
	"archil DELETE /api/tokens/@ -"
	"astronomer GET /organizations/acme/tokens/@ -"
	"timbal POST /orgs/@/connectors/enrollment-tokens {}"
	"deepset GET /api/v1/workspaces/@/token -"
	"turso POST /v1/auth/api-tokens/@ ''"
	"turso DELETE /v1/auth/api-tokens/@ -"
	"turso GET /v1/organizations/@/api-tokens -"
)
for r in "${routes[@]}"; do
	read -r d m path b <<<"$r"
	tok=$ROOT
	[ "$d" != turso ] && [ "$d" != deepset ] || tok=$ADMIN
	for g in "${segs[@]}"; do
		case $b in -) nobody ;; "''") body '' ;; *) body "$b" ;; esac
		send "$m" "${path/@/$g}" "$tok"
		seg=$g
		[ ${#g} -le 40 ] || seg="{${#g} bytes}"
		judge "$d" "$m ${path/@/$seg}"
	done
done
for g in 'a\001b' 'a b' 'a\177b' '\377'; do
	printf "GET /v1/tokens/$g HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\nConnection: close\r\n\r\n" "$ROOT" >"$T/in"
	raw "$T/in"
	judge native "GET /v1/tokens/$g, the byte raw in the request line"
done
nobody
queries=(
	"native /v1/tokens?limit=99999999999999999999"
	"native /v1/tokens?limit=-1"
	"native /v1/tokens?limit=1e3"
	"native /v1/tokens?limit=1&limit=2"
	"native /v1/tokens?status=%00"
	"native /v1/tokens?cursor=%ff%fe"
	"native /v1/tokens?%00=1"
	"native /v1/tokens?limit=${junk:0:60000}"
	"native /v1/audit?since=9999-12-31T23:59:60Z"
	"native /v1/audit?target=..%2f..%2f"
	"archil /api/tokens?limit=1e309"
	"archil /api/tokens?cursor=%00"
	"deepset /api/v1/workspaces/w/token?page_number=99999999999999999999"
	"deepset /api/v1/workspaces/w/token?limit=-1"
	"astronomer /organizations/acme/tokens?offset=99999999999999999999"
	"astronomer /organizations/acme/tokens?limit=1.5"
	"turso /v1/auth/api-tokens?x=%00"
)
for q in "${queries[@]}"; do
	read -r d path <<<"$q"
	tok=$ROOT
	[ "$d" != turso ] && [ "$d" != deepset ] || tok=$ADMIN
	send GET "$path" "$tok"
	judge "$d" "GET ${path:0:60}"
done
unchanged "after odd paths and queries"

# --- names in bodies: too long (1 MB, 64 KiB, 60,000 characters), and
# with control characters: refused
names=(
	"native POST /v1/tokens ROOT 422 ,\"scopes\":[\"protected:read\"]"
	"native PATCH /v1/tokens/$VID ROOT 422 -"
	"archil POST /api/tokens ROOT 400 -"
	"timbal POST /orgs/acme/connectors/enrollment-tokens ROOT 400 -"
	"deepset POST /api/v1/token ADMIN 422 -"
	"astronomer POST /organizations/acme/tokens ROOT 400 ,\"role\":\"ORGANIZATION_MEMBER\",\"type\":\"ORGANIZATION\""
	"astronomer POST /organizations/acme/tokens/$AID ROOT 400 -"
)
head -c 1000000 /dev/zero | tr '\0' a >"$T/mb"
for e in "${names[@]}"; do
	read -r d m path who invalid rest <<<"$e"
	[ "$rest" != - ] || rest=
	what="$m $(shown "$path")"
	{ printf '{"name":"'; cat "$T/mb"; printf '"%s}' "$rest"; } >"$T/in"
	send "$m" "$path" "$(token_of "$who")"
	judge "$d" "$what: a 1 MB name" 413
	body "{\"name\":\"$junk\"$rest}"
	send "$m" "$path" "$(token_of "$who")"
	judge "$d" "$what: a 64 KiB name" 413
	body "{\"name\":\"${junk:0:60000}\"$rest}"
	send "$m" "$path" "$(token_of "$who")"
	judge "$d" "$what: a 60,000-character name" "$invalid"
	for c in '\n' '\t' '\u001b[31m' '\u007f'; do
		body "{\"name\":\"a${c}b\"$rest}"
		send "$m" "$path" "$(token_of "$who")"
		judge "$d" "$what: a name with $c" "$invalid"
	done
done
body ''
send POST "/v1/auth/api-tokens/$junk" "$ADMIN"
judge turso "POST /v1/auth/api-tokens/{a 64 KiB name}"
send POST "/v1/auth/api-tokens/${junk:0:65}" "$ADMIN"
judge turso "POST /v1/auth/api-tokens/{a 65-character name}" 400
unchanged "after names too long or with control characters"

# --- names a mint may take, however odd (injection strings in every
# dialect; separators, "..", escapes in the native API's): each is stored
# and answered verbatim, correctly escaped, and adds one token, nothing
# else.  Turso's names are path segments: these are no names there.
odd=("'; DROP TABLE tokens; --" '<script>alert(1)</script>' '{{7*7}}'
    '${jndi:ldap://127.0.0.1/a}' '"quoted"' 'back\slash' '%s%n $(id) `id`'
    $'\u202egnp.exe' "a/b" "../../etc/passwd" '%2F%00%2e%2e' '\u0000')
inject=8	# the first 8 go to every dialect, the rest to the native API
mints=(
	'native POST /v1/tokens ROOT .name ,"scopes":["protected:read"]'
	'archil POST /api/tokens ROOT .data.name -'
	'timbal POST /orgs/acme/connectors/enrollment-tokens ROOT - -'
	'deepset POST /api/v1/token ADMIN - -'
	'astronomer POST /organizations/acme/tokens ROOT .name ,"role":"ORGANIZATION_MEMBER","type":"ORGANIZATION"'
)
idof() {
	case $1 in
	archil) jget .data.id ;;
	timbal) jget .token_id ;;
	deepset) jget .api_token_id ;;
	*) jget .id ;;
	esac
}
for e in "${mints[@]}"; do
	read -r d m path who field rest <<<"$e"
	[ "$rest" != - ] || rest=
	for v in "${odd[@]:0:$([ "$d" = native ] && echo ${#odd[@]} || echo $inject)}"; do
		body "{\"name\":$(jstr "$v")$rest}"
		send "$m" "$path" "$(token_of "$who")"
		if [ "${STATUS:0:1}" != 2 ]; then
			judge "$d" "$m $path: the name $v, refused"
			continue
		fi
		N=$((N + 1)) KEPT=$((KEPT + 1)) why=
		[ "$field" = - ] || jq -e --arg v "$v" "$field == \$v" >/dev/null 2>&1 <<<"$BODY" ||
		    why="the answer's name is not it"
		# One change, the newest: the one before it is the last one known.
		now=$(changes)
		[ "${now#* }" = "${CHANGES%% *}" ] || why="${why:+$why; }not one change"
		CHANGES=$now
		verdict "$d: $m $path: the name $v, taken and answered verbatim" "$why"
	done
done
# Stored verbatim: each name once for each of those dialects.
nobody
send GET "/v1/tokens?limit=1000" "$ROOT"
ok "the names are stored verbatim, once for each dialect given them" jq -e --argjson o \
    "$(printf '%s\n' "${odd[@]}" | jq -R . | jq -s .)" --argjson k ${#mints[@]} --argjson i $inject \
    '[.tokens[].name] as $n | all($o | to_entries[]; .key as $x | .value as $v |
    [$n[] | select(. == $v)] | length == (if $x < $i then $k else 1 end))' <<<"$BODY"
body ''
for v in "${odd[@]}"; do
	send POST "/v1/auth/api-tokens/$(jq -rn --arg v "$v" '$v | @uri')" "$ADMIN"
	judge turso "POST /v1/auth/api-tokens/{$v}"
done
body "{\"name\":$(jstr "${odd[1]}"),\"description\":$(jstr "${odd[0]}")}"
send PATCH "/v1/tokens/$VID" "$ROOT"
ok "PATCH: an injection string as the name and the description, answered verbatim" \
    jq -e --arg n "${odd[1]}" --arg d "${odd[0]}" '.name == $n and .description == $d' <<<"$BODY"
send GET /v1/audit "$ROOT"
ok "the audit trail, with all those names in it, is still JSON" jq -e .events <<<"$BODY" >/dev/null
for l in "GET /api/tokens?limit=100 archil .data.tokens" "GET /organizations/acme/tokens?limit=1000 astronomer .tokens"; do
	read -r m path d field <<<"$l"
	nobody
	send "$m" "$path" "$ROOT"
	ok "$d's list, with those names in it, holds each verbatim" jq -e --argjson o \
	    "$(printf '%s\n' "${odd[@]:0:inject}" | jq -R . | jq -s .)" "[$field[].name] as \$n | all(\$o[]; . as \$v | \$n | index([\$v]))" <<<"$BODY"
done
SNAP=$(snap) CHANGES=$(changes)

# --- forged JWTs, wherever a bearer token is taken: 401 in the route's
# shape; introspected, inactive; revoked by value, nothing revoked
b64u() { base64 -w0 | tr '+/' '-_' | tr -d '='; }
unb64u() {
	local s=${1//-/+}
	s=${s//_//}
	while ((${#s} % 4)); do s+='='; done
	base64 -d <<<"$s"
}
enc() { printf '%s' "$1" | b64u; }
IFS=. read -r h1 p1 s1 <<<"$J1"
IFS=. read -r h2 p2 s2 <<<"$J2"
kid=$(unb64u "$h1" | jq -r .kid)
flip=${s1:20:1}
[ "$flip" = A ] && flip=B || flip=A
x=$(curl -s "$BASE/.well-known/jwks.json" | jq -r '.keys[0].x')
hs=$(enc "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"$kid\"}").$p1
hs=$hs.$(printf '%s' "$hs" | openssl dgst -sha256 -hmac "$x" -binary | b64u)
# The first four wherever a bearer token is taken; the rest at the native
# API, Turso's (whose tokens are all JWTs) and introspection.
forged=(
	"alg none, the real signature|$(enc "{\"alg\":\"none\",\"typ\":\"JWT\",\"kid\":\"$kid\"}").$p1.$s1"
	"a kid no key has|$(enc '{"alg":"EdDSA","typ":"JWT","kid":"0123456789abcdef"}').$p1.$s1"
	"a bad signature|$h1.$p1.${s1:0:20}$flip${s1:21}"
	"another token's payload|$h1.$p2.$s1"
	"alg none, no signature|$(enc '{"alg":"none","typ":"JWT"}').$p1."
	"a kid that is a path|$(enc '{"alg":"EdDSA","typ":"JWT","kid":"../../jwt.keys"}').$p1.$s1"
	"its claims edited (scope *)|$h1.$(unb64u "$p1" | jq -c '.scope = "*"' | tr -d '\n' | b64u).$s1"
	"HS256, keyed with the public key|$hs"
	"a duplicate alg|$(enc "{\"alg\":\"EdDSA\",\"alg\":\"none\",\"typ\":\"JWT\",\"kid\":\"$kid\"}").$p1.$s1"
	"past 4096 bytes|$h1.$p1${junk:0:5000}.$s1"
)
everywhere=("${bearers[@]:0:6}" "${bearers[7]}" "authorizer GET /protected/")
some=("${bearers[0]}" "${bearers[5]}" "${bearers[7]}")
for i in "${!forged[@]}"; do
	f=${forged[$i]}
	what=${f%%|*} jwt=${f#*|}
	where=("${everywhere[@]}")
	[ "$i" -lt 4 ] || where=("${some[@]}")
	for b in "${where[@]}"; do
		read -r d m path <<<"$b"
		bearer_body "$m $path"
		send "$m" "$path" "$jwt" "$ctype"
		judge "$d" "$m $path: a JWT with $what" 401
	done
	introspect "$ROOT" "$jwt"
	N=$((N + 1))
	if [ "$STATUS $BODY" = '200 {"active":false}' ]; then
		INACTIVE=$((INACTIVE + 1))
		verdict "oauth: POST /v1/introspect: a JWT with $what: inactive" ""
	else
		verdict "oauth: POST /v1/introspect: a JWT with $what: inactive" "not {\"active\":false}"
	fi
	req POST /v1/revoke "" "token=$jwt" application/x-www-form-urlencoded
	N=$((N + 1))
	[ "${STATUS:0:1}" = 2 ] && INACTIVE=$((INACTIVE + 1))
	[ "$(changes)" = "$CHANGES" ] && [ "${STATUS:0:1}" != 5 ] &&
	    verdict "oauth: POST /v1/revoke by value: a JWT with $what: nothing revoked ($STATUS)" "" ||
	    verdict "oauth: POST /v1/revoke by value: a JWT with $what: nothing revoked" "a change or a 5xx"
	CHANGES=$(changes)
done
for j in "$J1" "$J2"; do
	introspect "$ROOT" "$j"
	is "the JWTs forged from stay active" "$(jget .active)" true
done
unchanged "after forged JWTs"

# --- the bodies that stopped coming (sent first): each ended within the
# bound, a 4xx from keyhole (in the route's shape) or the server, or
# dropped by lighttpd; and a mint meanwhile is answered
mkdir "$T/stall"
for i in "${!stalls[@]}"; do
	set -- ${stalls[$i]}
	wait "$(cat "$T/stall.$i.pid")"
	rc=$?
	read -r STATUS took <"$T/stall.$i"
	# A request dropped unanswered leaves no files: read as empty.
	: >"$T/stall/b"
	: >"$T/stall/h"
	[ ! -e "$T/stall.$i.b" ] || mv "$T/stall.$i.b" "$T/stall/b"
	[ ! -e "$T/stall.$i.h" ] || mv "$T/stall.$i.h" "$T/stall/h"
	answer "$T/stall"
	what="$2 $(shown "$3"): a body that stops coming"
	[ -z "${5:-}" ] || what="$2 $(shown "$3"): Content-Length $5, a body that stops coming"
	if [ "$STATUS" = 000 ] && [ "$rc" = 52 ] && closes; then
		N=$((N + 1)) CLOSED=$((CLOSED + 1))
		verdict "$1: $what: dropped after ${took%.*} s" ""
	else
		judge "$1" "$what (after ${took%.*} s)"
	fi
done
body '{"name":"meanwhile","scopes":["protected:read"]}'
send POST /v1/tokens "$ROOT"
is "a mint while a body trickles in is answered" "$STATUS" 201
SNAP=$(snap) CHANGES=$(changes)
if closes; then
	# lighttpd keeps reading a trickle (its limit is on idleness), and
	# keeps it from every program till the end.
	kill "$trickle" 2>/dev/null
	wait "$trickle" 2>/dev/null
else
	wait "$trickle"
	RAW=$(cat "$T/trickle/out")
	STATUS=$(grep -m1 -E '^[0-9]{3}$' <<<"$RAW" || echo 000)
	touch "$T/trickle/b" "$T/trickle/h"
	answer "$T/trickle"
	judge native "POST /v1/tokens: a body trickling in, a byte every two seconds"
fi

# --- nothing died on the way, and the store is whole
ok "no worker was reported dying" bash -c "! grep -qiE 'signal|abort|core dump|sanitizer' '$KEYHOLE_RUN/error.log' '$KEYHOLE_RUN/keyhole.log'"
grep -iE 'signal|abort|core dump|sanitizer' "$KEYHOLE_RUN/error.log" "$KEYHOLE_RUN/keyhole.log" | head -n 5 | sed 's/^/#   /'
echo "# not 4xx, rightly: $KEPT odd names taken and answered verbatim; $INACTIVE forged JWTs answered 200 as RFC 7662 and RFC 7009 say; $CLOSED bodies cut short, dropped by the server without an answer"
echo "# took $((SECONDS - started)) s"
