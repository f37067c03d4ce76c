#!/bin/bash
# Run as root from a directory the server's user cannot enter: serve.sh
# grants www-data just the search permission it needs, and it serves.
. "$(dirname "$0")/lib.sh"
if [ "$(id -u)" -ne 0 ]; then
	echo "not ok - this test needs root (lighttpd must switch to www-data)"
	exit 1
fi
priv=$T/private
mkdir -m 700 "$priv"
mkdir -p "$priv/checkout"
cp -r "$top/build/cgi-bin" "$priv/checkout/"
export KEYHOLE_BIN=$priv/checkout/cgi-bin KEYHOLE_HOME=$priv/var/store KEYHOLE_RUN=$priv/var/run
ok "www-data cannot enter the directory at first" bash -c "! setpriv --reuid=www-data --regid=www-data --clear-groups test -x '$priv'"
start_server 1
introspect "$ROOT" "$ROOT"
is "it serves from there" "$(jget .active)" true
ok "www-data got search permission only" bash -c "getfacl -p '$priv' 2>/dev/null | grep -qx 'user:www-data:--x'"
ok "and nothing more: others still cannot enter" test "$(stat -c %A "$priv" | cut -c8-10)" = ---
ok "the workers run as www-data" test "$(ps -o user= -p "$(pgrep -f "^$KEYHOLE_BIN/introspect" | head -n 1)")" = www-data
