#!/bin/bash
# Plain CGI under concurrency, through a real server (SERVER=lighttpd-cgi
# or apache-cgi): 8 clients × 1,000 requests, mints and introspections in
# turn, each request its own process joining the store.  Every answer is
# the API's, none 5xx, and no process finds the environment needing
# recovery (Berkeley DB's failchk once took a slot being reclaimed for a
# thread that died in the library: schema/storage.md).
. "$(dirname "$0")/lib.sh"
case ${SERVER:-} in
lighttpd-cgi | apache-cgi) ;;
*)
	echo "not ok - cgi-load.sh runs under SERVER=lighttpd-cgi or apache-cgi (not '${SERVER:-}')"
	exit 1
	;;
esac
start_server
# A hang is bounded (300 s); the count ends the run.
"$top/build/tests/loadgen" "$PORT" "$ROOT" 300 8 "$T/load" 1000
is "8 clients × 1,000 requests over plain CGI: 8,000 answers" "$(wc -l <"$T/load")" 8000
is "... 4,000 mints, each 201" "$(grep -c '^mint 201 ' "$T/load")" 4000
is "... 4,000 introspections, each 200 and active" "$(grep -c '^introspect 200 1 ' "$T/load")" 4000
is "... no 5xx" "$(grep -cE '^[a-z]+ 5' "$T/load")" 0
is "... and no recovery, no panic" \
    "$(cat "$KEYHOLE_RUN/error.log" "$KEYHOLE_RUN/keyhole.log" |
	grep -cE 'PANIC|Thread died|recover|DB_RUNRECOVERY')" 0
grep -hE 'PANIC|Thread died|recover' "$KEYHOLE_RUN/error.log" "$KEYHOLE_RUN/keyhole.log" |
    head -n 5 | sed 's/^/#   /'
