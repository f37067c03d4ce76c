#!/bin/bash
# Four workers per endpoint under concurrent mints and introspections:
# first undisturbed (no 5xx at all), then with a worker killed (kill -9)
# every few seconds (no acknowledged token lost, service back within 5 s,
# no one running a recovery).  Loopback only; bounded in time.
. "$(dirname "$0")/lib.sh"
start_server 4

DURATION=${LOAD_SECONDS:-20}
CLIENTS=6

run_load() {	# run_load FILE: CLIENTS connections for DURATION seconds
	"$top/build/tests/loadgen" "$PORT" "$ROOT" "$DURATION" "$CLIENTS" "$1"
}

# Every minted secret must introspect active.
verify_all() {	# verify_all FILE: prints how many 201 tokens are not active
	awk '$1 == "mint" && $2 == 201 { print $3 }' "$1" >"$T/minted"
	echo $(( $(wc -l <"$T/minted") - $(actives "$T/minted") ))
}

# --- undisturbed
run_load "$T/calm"
mints=$(awk '$1 == "mint" && $2 == 201' "$T/calm" | wc -l)
ok "undisturbed: tokens were minted ($mints)" test "$mints" -gt 500
is "undisturbed: no 5xx answer" "$(awk '$2 >= 500' "$T/calm" | wc -l)" 0
is "undisturbed: every answer was 201 or 200" "$(awk '!($1 == "mint" && $2 == 201) && !($1 == "introspect" && $2 == 200)' "$T/calm" | wc -l)" 0
is "undisturbed: every introspection during the load was active" "$(awk '$1 == "introspect" && $3 != 1' "$T/calm" | wc -l)" 0
ok "undisturbed: the answers recorded are the answers counted" test "$(awk '$1 == "introspect"' "$T/calm" | wc -l)" -gt 500
is "undisturbed: every 201 token introspects active afterwards" "$(verify_all "$T/calm")" 0

# --- a worker killed every few seconds
killer() {	# kills a random mint or introspect worker every 3 s; logs recovery times
	local end=$1 pid t0 t1 st
	while [ "$(( $(date +%s) + 3 ))" -lt "$end" ]; do
		sleep 3
		pid=$(pgrep -f "^$top/build/cgi-bin/(tokens-create|introspect)$" | shuf -n 1)
		[ -n "$pid" ] || continue
		kill -9 "$pid"
		echo "killed $pid" >>"$T/kills"
		# How long until a mint is acknowledged again (bounded: a hang fails).
		t0=$(date +%s%N)
		st=000
		while [ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 10000 ]; do
			st=$(curl -s -m 10 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $ROOT" \
			    -H 'Content-Type: application/json' \
			    -d '{"name":"probe","scopes":["protected:read"]}' "$BASE/v1/tokens")
			[ "$st" = 201 ] && break
			sleep 0.05
		done
		t1=$(date +%s%N)
		echo "recovered $st $(( (t1 - t0) / 1000000 ))" >>"$T/kills"
	done
}
: >"$T/kills"
end=$(( $(date +%s) + DURATION ))
killer "$end" &
kpid=$!
run_load "$T/storm"
wait "$kpid"
kills=$(grep -c '^killed' "$T/kills")
ok "workers were killed during the load ($kills)" test "$kills" -ge 3
mints=$(awk '$1 == "mint" && $2 == 201' "$T/storm" | wc -l)
ok "tokens were minted during the kills ($mints)" test "$mints" -gt 200
is "after each kill a mint succeeded again within 5 s" \
    "$(awk '$1 == "recovered" && ($2 != 201 || $3 > 5000)' "$T/kills" | wc -l)" 0
is "no token that got a 201 is lost" "$(verify_all "$T/storm")" 0
is "no token from the undisturbed run is lost either" "$(verify_all "$T/calm")" 0
req GET /v1/tokens?limit=1 "$ROOT"
is "the service answers normally after the kills" "$STATUS" 200
grep '^recovered' "$T/kills" | awk '{ printf "# recovery after a kill: %s ms\n", $3 }'

stop_server
for db in tokens.db tokens-hash.db tokens-parent.db audit.db; do
	ok "db_verify passes on $db after the kills" db5.3_verify -q -h "$KEYHOLE_HOME" "$KEYHOLE_HOME/$db"
done
awk '$1 == "mint" && $2 == 201 { print $3 }' "$T/calm" "$T/storm" >"$T/secrets"
ok "no file under KEYHOLE_HOME contains a minted secret" bash -c "! grep -rqaFf '$T/secrets' '$KEYHOLE_HOME'"
