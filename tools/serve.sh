#!/bin/sh
# Serves keyhole with lighttpd on 127.0.0.1:$PORT from the store in
# $KEYHOLE_HOME, creating the store first if there is none.
#   serve.sh       in the foreground (make run)
#   serve.sh -b    in the background: returns once it answers (tests);
#                  stop it with: kill "$(cat "$KEYHOLE_RUN/lighttpd.pid")"
# Environment: PORT (8080), KEYHOLE_HOME (var/store), KEYHOLE_RUN (beside
# the store), KEYHOLE_PROCS (workers per endpoint, 2), KEYHOLE_BIN (the
# endpoint programs, build/cgi-bin), KEYHOLE_CONF (another configuration
# that includes httpd-conf/lighttpd.conf, as the benchmark's does) and
# KEYHOLE_REACH (more directories of programs that configuration runs).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
PORT=${PORT:-8080}
KEYHOLE_HOME=${KEYHOLE_HOME:-$top/var/store}
case $KEYHOLE_HOME in /*) ;; *) KEYHOLE_HOME=$(pwd)/$KEYHOLE_HOME ;; esac
KEYHOLE_RUN=${KEYHOLE_RUN:-$(dirname "$KEYHOLE_HOME")/run}
KEYHOLE_PROCS=${KEYHOLE_PROCS:-2}
bin=${KEYHOLE_BIN:-$top/build/cgi-bin}
ctl=$top/build/keyholectl
background=0
[ "${1:-}" = -b ] && background=1
user=
[ "$(id -u)" -eq 0 ] && user=www-data

say() { echo "keyhole: $*" >&2; }

# As root, lighttpd runs the workers as www-data: they must be able to
# enter every directory above the programs and the store, and read the
# programs' directory (lighttpd opens it).  Grant just that, by ACL, where
# it is missing, from the top down.
as_user() { setpriv --reuid="$user" --regid="$user" --clear-groups "$@" 2>/dev/null; }
reach() {	# reach DIR [r]: search permission down to DIR (and read on DIR)
	d=
	for part in $(echo "$1" | tr '/' ' '); do
		d=$d/$part
		if ! as_user test -x "$d"; then
			setfacl -m "u:$user:x" "$d"
			say "granted $user search permission on $d"
		fi
	done
	if [ "${2:-}" = r ] && ! as_user test -r "$1"; then
		setfacl -m "u:$user:rx" "$1"
		say "granted $user read permission on $1"
	fi
}

mkdir -p "$(dirname "$KEYHOLE_HOME")" "$KEYHOLE_RUN/htdocs"
if [ ! -e "$KEYHOLE_HOME/tokens.db" ]; then
	root=$("$ctl" -d "$KEYHOLE_HOME" init) || exit 1
	fresh=1
else
	fresh=0
fi
if [ -n "$user" ]; then
	chown "$user" "$KEYHOLE_RUN"
	reach "$bin" r
	for d in ${KEYHOLE_REACH:-}; do reach "$d" r; done
	reach "$(dirname "$KEYHOLE_HOME")"
	reach "$KEYHOLE_RUN"
fi
{
	echo "var.procs = $KEYHOLE_PROCS"
	[ -z "$user" ] || echo "server.username = \"$user\""
} > "$KEYHOLE_RUN/local.conf"
rm -f "$KEYHOLE_RUN"/*.sock*

export KEYHOLE_HOME KEYHOLE_RUN KEYHOLE_BIN="$bin" KEYHOLE_PORT="$PORT" \
    KEYHOLE_CONF_DIR="$top/httpd-conf"
# lighttpd refuses a configuration naming an unset variable; empty is the default.
export KEYHOLE_SYNC="${KEYHOLE_SYNC:-}" KEYHOLE_CACHE_MB="${KEYHOLE_CACHE_MB:-}" \
    KEYHOLE_BODY_MAX="${KEYHOLE_BODY_MAX:-}" \
    KEYHOLE_MAX_LIFETIME="${KEYHOLE_MAX_LIFETIME:-}" KEYHOLE_PREFIX="${KEYHOLE_PREFIX:-}" \
    KEYHOLE_LAST_USED_INTERVAL="${KEYHOLE_LAST_USED_INTERVAL:-}" \
    KEYHOLE_ENROLLMENT_TTL="${KEYHOLE_ENROLLMENT_TTL:-}" \
    KEYHOLE_AUTH_FAILURES="${KEYHOLE_AUTH_FAILURES:-}"
conf=${KEYHOLE_CONF:-$top/httpd-conf/lighttpd.conf}
lighttpd -tt -f "$conf" >/dev/null || { say "lighttpd refused $conf"; exit 1; }

if [ "$background" -eq 1 ]; then
	lighttpd -f "$conf"
	i=0
	until curl -s -o /dev/null "http://127.0.0.1:$PORT/"; do
		i=$((i + 1))
		[ $i -lt 100 ] || { say "lighttpd did not answer on port $PORT"; exit 1; }
		sleep 0.1
	done
	[ "$fresh" -eq 0 ] || echo "$root"
	exit 0
fi

if [ "$fresh" -eq 1 ]; then
	cat >&2 <<EOT
keyhole: new store in $KEYHOLE_HOME. Its root token (shown once, keep it):

$root

In another terminal:  export ROOT=$root
EOT
else
	say "using the store in $KEYHOLE_HOME; mint a token with"
	say "  build/keyholectl -d $KEYHOLE_HOME create -n NAME -s tokens:create -s tokens:read"
fi
cat >&2 <<EOT
keyhole: serving on http://127.0.0.1:$PORT/ (Ctrl-C stops). Try:
  curl -s -H "Authorization: Bearer \$ROOT" -H 'Content-Type: application/json' \\
    -d '{"name":"ci","scopes":["tokens:introspect"],"expires_in":3600}' \\
    http://127.0.0.1:$PORT/v1/tokens
EOT
exec lighttpd -D -f "$conf"
