# Shared by the HTTP tests: a real web server (SERVER, as tools/serve.sh
# takes it: lighttpd by default) on a free loopback port with a fresh
# store, a request helper, and TAP-style assertions.
# shellcheck shell=bash

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ctl=$top/build/keyholectl
# KEYHOLE_SERVE: an installed serve.sh (tests/http/install.sh).
serve=${KEYHOLE_SERVE:-$top/tools/serve.sh}
T=$(mktemp -d /tmp/keyhole-http.XXXXXX)
chmod 755 "$T"
export KEYHOLE_HOME=$T/store KEYHOLE_RUN=$T/run
# Every test sends bad credentials from 127.0.0.1 on purpose; the one that
# tests the limit (limit.sh) sets it low.
export KEYHOLE_AUTH_FAILURES=${KEYHOLE_AUTH_FAILURES:-1000000}
ROOT=
BASE=
STATUS=
BODY=
HEADERS=

ok() {	# ok DESCRIPTION COMMAND... : passes when the command succeeds
	local d=$1
	shift
	if "$@"; then
		echo "ok - $d"
	else
		echo "not ok - $d"
		[ -z "$BODY" ] || echo "#   last status $STATUS, body: ${BODY:0:300}"
	fi
}

is() {	# is DESCRIPTION GOT EXPECTED
	if [ "$2" == "$3" ]; then
		echo "ok - $1"
	else
		echo "not ok - $1"
		echo "#   got:      ${2:0:300}"
		echo "#   expected: ${3:0:300}"
	fi
}

free_port() {
	local p
	while :; do
		# Below the kernel's ephemeral ports, which a client's
		# connection may hold when the server comes to bind.
		p=$((20000 + RANDOM % 12000))
		(echo >"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
}

start_server() {	# start_server [PROCS]: sets PORT, BASE, ROOT (the root token)
	PORT=$(free_port)
	BASE=http://127.0.0.1:$PORT
	ROOT=$(PORT=$PORT KEYHOLE_PROCS=${1:-2} KEYHOLE_AUTHORIZER_PORT=$(free_port) \
	    sh "$serve" -b) || {
		echo "not ok - ${SERVER:-lighttpd} started on port $PORT"
		cat "$KEYHOLE_RUN/error.log" 2>/dev/null | tail -n 20 | sed 's/^/#   /'
		exit 1
	}
	export PORT BASE ROOT
}

workers() { pgrep -f "^${KEYHOLE_BIN:-$top/build/cgi-bin}/"; }	# their pids

# wait_ready: until every FastCGI worker on this store waits in accept(2),
# its join of the store done.  The server answers once the sockets are
# bound, while the last of many workers may still be joining; a load
# begun then would time their startup, not itself.  Bounded: 30 s; the
# caller says ok or not ok.
wait_ready() {
	local accept p sc n busy last=-1 same=0
	case $(uname -m) in
	x86_64) accept=43 ;;
	aarch64) accept=202 ;;
	*) echo "#   accept(2)'s number on $(uname -m) is not known"; return 1 ;;
	esac
	for _ in $(seq 300); do
		n=0 busy=0
		for p in $(workers); do
			tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null |
			    grep -qxF "KEYHOLE_HOME=$KEYHOLE_HOME" || continue
			n=$((n + 1))
			read -r sc _ <"/proc/$p/syscall" 2>/dev/null || sc=
			[ "$sc" = "$accept" ] || busy=$((busy + 1))
		done
		# The same count three looks running: no worker still to fork.
		if [ "$n" -gt 0 ] && [ "$busy" -eq 0 ] && [ "$n" -eq "$last" ]; then
			same=$((same + 1))
			[ "$same" -lt 2 ] || return 0
		else
			same=0
		fi
		last=$n
		sleep 0.1
	done
	echo "#   after 30 s, $busy of $n workers still busy"
	return 1
}

stop_server() {
	[ -d "$KEYHOLE_RUN" ] || return 0
	sh "$serve" -s
	# Workers leave when the server closes their sockets; wait for them too.
	for _ in $(seq 50); do
		workers >/dev/null || break
		sleep 0.1
	done
}

cleanup() {
	stop_server
	hygiene
	# Under the sanitizer build, the workers' log must hold no report.
	if [ -n "${KEYHOLE_SANITIZED:-}" ]; then
		if grep -qE 'Sanitizer|runtime error' "$KEYHOLE_RUN/keyhole.log" 2>/dev/null; then
			echo "not ok - the workers ran clean under ASan and UBSan"
			grep -E -A12 'Sanitizer|runtime error' "$KEYHOLE_RUN/keyhole.log" | head -n 40 | sed 's/^/#   /'
		else
			echo "ok - the workers ran clean under ASan and UBSan"
		fi
	fi
	# KEEP=1 leaves the directory (store, logs) to look at afterwards.
	[ -z "${KEEP:-}" ] || { echo "# kept $T"; return; }
	rm -rf "$T"
}
trap cleanup EXIT

# req METHOD PATH [TOKEN] [BODY] [CONTENT-TYPE]: sets STATUS, BODY, HEADERS
req() {
	local m=$1 path=$2 tok=${3:-} data=${4-} ct=${5:-application/json}
	local args=(-s -S -X "$m" -D "$T/h" -o "$T/b" -w '%{http_code}' --max-time 30)
	# FROM=127.0.0.N: another client address (any of 127/8 is this host).
	[ -z "${FROM:-}" ] || args+=(--interface "$FROM")
	# SCHEME='' sends the token as the whole header (Archil's way).
	[ -z "$tok" ] || args+=(-H "Authorization: ${SCHEME-Bearer }$tok")
	if [ -n "${4+x}" ]; then
		args+=(-H "Content-Type: $ct" --data-binary "$data")
	fi
	STATUS=$(curl "${args[@]}" "$BASE$path")
	BODY=$(cat "$T/b")
	HEADERS=$(tr -d '\r' <"$T/h")
	# Every answer, for the secrets' hygiene at the end (hygiene).
	if [ "${STATUS:0:1}" = 2 ]; then
		{ cat "$T/b"; echo; } >>"$T/bodies.ok"
	else
		{ cat "$T/b"; echo; } >>"$T/bodies.err"
	fi
}

# hygiene: no secret the service handed out (in a 2xx answer, or the root
# token) appears in any file under the store, any line of the logs, or any
# error body; run by cleanup after every test.
hygiene() {
	local s=$T/secrets.handed where
	{
		[ -z "$ROOT" ] || echo "$ROOT"
		grep -ohE '[a-z0-9]{1,16}[_-][A-Za-z0-9]{38}|eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+' \
		    "$T/bodies.ok" 2>/dev/null
	} | sort -u >"$s"
	[ -s "$s" ] && [ -d "$KEYHOLE_HOME" ] || return 0
	where=$(grep -rlaFf "$s" "$KEYHOLE_HOME" "$KEYHOLE_RUN"/*.log "$T/bodies.err" 2>/dev/null)
	if [ -z "$where" ]; then
		echo "ok - secrets hygiene: none of the $(wc -l <"$s") secrets handed out is in the store, the logs or an error body"
	else
		echo "not ok - secrets hygiene: a secret handed out is in: $(echo $where)"
	fi
}

jget() { jq -r "$1" <<<"$BODY"; }

# mint NAME SCOPES-JSON [EXTRA-JSON-MEMBERS]: mints with the root token, sets TOKEN and ID
mint() {
	req POST /v1/tokens "$ROOT" "{\"name\":\"$1\",\"scopes\":$2${3:+,$3}}"
	TOKEN=$(jget .token)
	ID=$(jget .id)
}

introspect() {	# introspect CALLER TOKEN: form-encoded, as RFC 7662 says
	req POST /v1/introspect "$1" "token=$2" application/x-www-form-urlencoded
}

# actives FILE: how many of the secrets in FILE (one a line) introspect
# active, asked over one connection; one answered other than 200 (a
# worker rejoining a recovered store) is asked again, up to 5 times.
actives() {
	local cfg=$T/actives.cfg list=$1 n=0 try
	for try in 1 2 3 4 5; do
		: >"$cfg"
		while read -r tok; do
			[ ! -s "$cfg" ] || echo next >>"$cfg"
			printf 'url = "%s/v1/introspect"\nheader = "Authorization: Bearer %s"\ndata = "token=%s"\nwrite-out = "\\n%%{http_code} %s\\n"\n' \
			    "$BASE" "$ROOT" "$tok" "$tok" >>"$cfg"
		done <"$list"
		[ -s "$cfg" ] || break
		curl -s --max-time 600 -K "$cfg" >"$T/actives.out"
		# A body, then "STATUS SECRET": active ones counted, others again.
		n=$((n + $(awk '/^[0-9][0-9][0-9] / { if ($1 == 200 && act) c++; act = 0; next }
		    /"active":true/ { act = 1 } END { print c + 0 }' "$T/actives.out")))
		awk '/^[0-9][0-9][0-9] / && $1 != 200 { print $2 }' "$T/actives.out" >"$T/actives.again"
		list=$T/actives.again.$try
		mv "$T/actives.again" "$list"
		[ -s "$list" ] || break
		sleep 1
	done
	echo "$n"
}

# What a load's answers (tests/loadgen.c, LOADGEN_ADMIN) promise, checked
# against the service now.
# Prints "LOST KEPT-REVOKED": acknowledged secrets not active, and
# acknowledged revocations whose token still is.  The tokens whose ids
# are in the file SKIP, if given, are left out (their fate is unknown).
promises() {	# promises FILE [SKIP]
	# A token's current secret: its mint's, or its rotation's (2xx).
	awk 'ARGC == 3 && FILENAME == ARGV[1] { unsure[$1] = 1; next }
	    $1 == "mint" && $2 == 201 { cur[$4] = $3 }
	    $1 == "rotate" && $2 == 200 { cur[$4] = $3 }
	    $1 == "rotate" && $2 != 200 { unsure[$4] = 1 }
	    $1 == "revoke" && $2 >= 200 && $2 < 300 { gone[$4] = 1 }
	    $1 == "revoke" && !($2 >= 200 && $2 < 300) { unsure[$4] = 1 }
	    END { for (id in cur) if (!(id in unsure))
		print (id in gone ? "revoked" : "live"), cur[id] }' ${2:+"$2"} "$1" >"$T/native"
	# Dialect mints are never revoked here (Timbal's are enrollments).
	awk '$2 >= 200 && $2 < 300 && $1 ~ /^(archil|turso|deepset|astronomer)$/ { print "live", $3 }' \
	    "$1" >>"$T/native"
	awk '$1 == "live" { print $2 }' "$T/native" >"$T/live"
	awk '$1 == "revoked" { print $2 }' "$T/native" >"$T/revoked"
	echo "$(( $(wc -l <"$T/live") - $(actives "$T/live") )) $(actives "$T/revoked")"
}

# until_mint [MS]: how many ms until a mint by the root token is
# acknowledged (201), trying every 50 ms for MS (10,000) at most; else
# prints "never".
until_mint() {
	local t0 st=000 limit=${1:-10000}
	t0=$(date +%s%N)
	while [ $(( ($(date +%s%N) - t0) / 1000000 )) -lt "$limit" ]; do
		st=$(curl -s -m 10 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $ROOT" \
		    -H 'Content-Type: application/json' \
		    -d '{"name":"probe","scopes":["protected:read"]}' "$BASE/v1/tokens")
		[ "$st" = 201 ] && break
		sleep 0.05
	done
	[ "$st" = 201 ] && echo $(( ($(date +%s%N) - t0) / 1000000 )) || echo never
}

header() { grep -i "^$1:" <<<"$HEADERS" | head -n 1 | cut -d' ' -f2-; }

# conforms DESCRIPTION CONTRACT DEFINITION: the last body against
# definitions.DEFINITION of tests/contracts/CONTRACT.json
conforms() {
	local errs
	errs=$(jq -L "$top/tests/contracts" --slurpfile c "$top/tests/contracts/$2.json" \
	    -r "include \"schema\"; check(\"$3\") | .[]" <<<"$BODY" 2>&1)
	if [ -z "$errs" ] && jq -e . >/dev/null 2>&1 <<<"$BODY"; then
		echo "ok - $1"
	else
		echo "not ok - $1"
		echo "#   status $STATUS, body: ${BODY:0:300}"
		sed 's/^/#   /' <<<"$errs" | head -n 8
	fi
}
