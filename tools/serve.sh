#!/bin/sh
# Serves keyhole on 127.0.0.1:$PORT from the store in $KEYHOLE_HOME,
# creating the store first if there is none, with the web server SERVER:
#   lighttpd      lighttpd, mod_fastcgi (the default)
#   lighttpd-cgi  lighttpd, mod_cgi: a process per request
#   apache        Apache httpd, mod_proxy_fcgi to the programs kept running
#                 by spawn-fcgi and multiwatch (tools/keyhole-spawn)
#   apache-fcgid  Apache httpd, mod_fcgid: Apache runs the programs
#   apache-cgi    Apache httpd, mod_cgid and the routes as an .htaccess
# Each guards /protected/ with the authorizer (Apache's mod_authnz_fcgi,
# or mod_fcgid's FcgidAccessChecker under apache-fcgid).
#   serve.sh       in the foreground (make run)
#   serve.sh -b    in the background: returns once it answers (tests)
#   serve.sh -s    stops what -b started in KEYHOLE_RUN
# Environment: PORT (8080), KEYHOLE_HOME (var/store), KEYHOLE_RUN (beside
# the store), KEYHOLE_PROCS (workers per endpoint, 2), KEYHOLE_BIN (the
# endpoint programs, build/cgi-bin), KEYHOLE_AUTHORIZER_PORT (Apache's
# authorizer, PORT + 1), KEYHOLE_CONF (another configuration of that
# server that includes SERVER's own from httpd-conf, as the benchmark's
# do) and
# KEYHOLE_REACH (more directories of programs that configuration runs).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
PORT=${PORT:-8080}
# Where keyhole's parts are: the source tree's (make install writes the
# installed places into these five lines).
KEYHOLE_HOME=${KEYHOLE_HOME:-$top/var/store}
bin=${KEYHOLE_BIN:-$top/build/cgi-bin}
ctl=$top/build/keyholectl
confdir=$top/httpd-conf
spawn=$top/tools/keyhole-spawn
case $KEYHOLE_HOME in /*) ;; *) KEYHOLE_HOME=$(pwd)/$KEYHOLE_HOME ;; esac
KEYHOLE_RUN=${KEYHOLE_RUN:-$(dirname "$KEYHOLE_HOME")/run}
KEYHOLE_PROCS=${KEYHOLE_PROCS:-2}
SERVER=${SERVER:-lighttpd}
KEYHOLE_AUTHORIZER_PORT=${KEYHOLE_AUTHORIZER_PORT:-$((PORT + 1))}
background=0
[ "${1:-}" = -b ] && background=1
user=
[ "$(id -u)" -eq 0 ] && user=www-data

say() { echo "keyhole: $*" >&2; }

case $SERVER in
lighttpd | lighttpd-cgi) conf=${KEYHOLE_CONF:-$confdir/$SERVER.conf} ;;
apache | apache-fcgid | apache-cgi) conf=${KEYHOLE_CONF:-$confdir/$SERVER.conf} ;;
*)
	say "SERVER=$SERVER: one of lighttpd, lighttpd-cgi, apache, apache-fcgid, apache-cgi"
	exit 2
	;;
esac

# Is the process there, and not a zombie waiting for init to reap it?
running() { case $(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) in "" | Z*) false ;; esac; }
# Stops the server (its pid file) and the programs keyhole-spawn started.
stop() {
	for f in lighttpd.pid apache.pid; do
		[ -f "$KEYHOLE_RUN/$f" ] && [ ! -L "$KEYHOLE_RUN/$f" ] || continue
		pid=$(cat "$KEYHOLE_RUN/$f")
		# A stale file may name another process by now.
		case $pid in '' | *[!0-9]*) continue ;; esac
		case $(cat "/proc/$pid/comm" 2>/dev/null) in
		lighttpd | apache2) ;;
		*) continue ;;
		esac
		kill "$pid" 2>/dev/null || continue
		i=0
		while running "$pid" && [ $i -lt 100 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		rm -f "$KEYHOLE_RUN/$f"
	done
	sh "$spawn" stop "$KEYHOLE_RUN"
}
if [ "${1:-}" = -s ]; then
	stop
	exit 0
fi

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

as_owner() {	# as_owner PATH COMMAND...: COMMAND as the owner and group of PATH
	o=$1
	shift
	setpriv --reuid="$(stat -c %u "$o")" --regid="$(stat -c %g "$o")" \
	    --clear-groups "$@"
}
plain() {	# plain PATH: a regular file, not a link, with no other name
	[ ! -L "$1" ] && [ -f "$1" ] && [ "$(stat -c %h "$1")" -eq 1 ]
}
evict() {	# evict PATH: removes what is at PATH; a link itself, never its target
	[ -e "$1" ] || [ -L "$1" ] || return 0
	say "removing $1: not as this script makes it"
	if [ ! -d "$1" ] || [ -L "$1" ]; then
		rm -f -- "$1"
	elif [ "$me" -ne 0 ] || [ "$(stat -c %u "$1")" -eq 0 ]; then
		rm -rf -- "$1"
	else
		# Its owner empties it: root would act inside a directory
		# another user writes.
		as_owner "$1" find "$1" -mindepth 1 -delete || true
		rmdir -- "$1" || { say "cannot remove $1"; exit 1; }
	fi
}

# The run directory.  lighttpd reads local.conf and writes its pid file
# there as root, then opens the logs and makes the FastCGI sockets as
# $user.  So the directory, local.conf, the pid file and htdocs/ are
# root's; the logs are files root makes and hands to $user (the files,
# never the directory); only sockets/ is $user's, mode 0700.  Nothing
# $user can write is followed, read or written by root afterwards.
run=$KEYHOLE_RUN
me=$(id -u)
for d in "$KEYHOLE_HOME" "$run"; do
	if [ -L "$d" ]; then
		say "$d is a symbolic link: give the real directory"
		exit 1
	fi
done
mkdir -p "$(dirname "$KEYHOLE_HOME")" "$run"
if [ "$me" -eq 0 ]; then
	# One of the old layout (handed to $user) or planted: first take the
	# directory back, so that no entry can be added or replaced any
	# more, then look at what is in it.  Its ACLs go too.
	chown -h 0:0 "$run"
	chmod 0755 "$run"
	[ -z "$(getfacl -s -p "$run" 2>/dev/null)" ] || setfacl -b "$run"
fi
if [ -n "$user" ]; then
	reach "$bin" r
	for d in ${KEYHOLE_REACH:-}; do reach "$d" r; done
	reach "$(dirname "$KEYHOLE_HOME")"
	reach "$run"
	# A store of the old layout (root's, group $user): keyholectl run as
	# root acts as the store's owner, so give it to $user.
	if [ -d "$KEYHOLE_HOME" ] && [ "$(stat -c %u "$KEYHOLE_HOME")" -eq 0 ] &&
	    [ "$(stat -c %G "$KEYHOLE_HOME")" = "$(id -gn "$user")" ]; then
		chown -h "$user" "$KEYHOLE_HOME"
		say "gave the store directory $KEYHOLE_HOME to $user"
	fi
fi
plain "$run/local.conf" || evict "$run/local.conf"
# lighttpd makes its afresh (O_EXCL, O_NOFOLLOW); as $user it cannot
# remove it when it stops.  Apache's and spawn-fcgi's are written as root.
for f in "$run/lighttpd.pid" "$run/apache.pid" "$run"/spawn-*.pid; do
	if plain "$f"; then
		rm -f "$f"
	else
		evict "$f"
	fi
done
own_dir() {	# own_dir DIR: a real directory of this user's, 0755, no ACLs
	if [ ! -d "$1" ] || [ -L "$1" ] || [ "$(stat -c %u "$1")" -ne "$me" ]; then
		evict "$1"
		mkdir "$1"
	fi
	chmod 0755 "$1"
	[ -z "$(getfacl -s -p "$1" 2>/dev/null)" ] || setfacl -b "$1"
}
# Apache's runtime directory (the cgid daemon's socket, mod_fcgid's table).
own_dir "$run/apache"
rm -rf "$run/apache"/*
rm -f "$run"/*.sock* 2>/dev/null || true	# the old layout's sockets
for f in error.log keyhole.log; do
	plain "$run/$f" || evict "$run/$f"
	[ -e "$run/$f" ] || : >"$run/$f"
	[ -z "$user" ] || chown -h "$user:" "$run/$f"
	chmod 0640 "$run/$f"
done
own_dir "$run/htdocs"
# The location the authorizer guards: a static file, and a CGI script that
# shows what the authorizer passed it.
rm -rf "$run/htdocs/protected"
mkdir -m 0755 "$run/htdocs/protected" "$run/htdocs/protected/acme"
echo "keyhole guards this file: protected:read" >"$run/htdocs/protected/index.html"
echo "keyhole guards this file: protected:read at workspace:ops in acme" \
    >"$run/htdocs/protected/acme/index.html"
cat >"$run/htdocs/protected/env.cgi" <<'EOT'
#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\n'
for v in KEYHOLE_TOKEN_ID KEYHOLE_SUBJECT KEYHOLE_ORGANIZATION KEYHOLE_ENTITY \
    KEYHOLE_SCOPES; do
	eval "printf '%s=%s\\n' $v \"\${$v-}\""
done
EOT
chmod 0644 "$run/htdocs/protected/index.html" "$run/htdocs/protected/acme/index.html"
chmod 0755 "$run/htdocs/protected/env.cgi"
if [ ! -d "$run/sockets" ] || [ -L "$run/sockets" ]; then
	evict "$run/sockets"
	mkdir "$run/sockets"
fi
# A real directory in a directory only root writes: it cannot be swapped
# between these lines.
[ -z "$user" ] || chown -h "$user:" "$run/sockets"
chmod 0700 "$run/sockets"
if [ -n "$user" ]; then
	as_owner "$run/sockets" find "$run/sockets" -mindepth 1 -maxdepth 1 \
	    -name '*.sock*' -delete || true
else
	rm -f "$run/sockets"/*.sock*
fi

has_store() {	# asked as the store's owner: root follows nothing it put there
	[ -d "$KEYHOLE_HOME" ] || return 1
	# hash.key: made first by keyholectl init, kept by every layout
	if [ "$me" -eq 0 ]; then
		as_owner "$KEYHOLE_HOME" test -e "$KEYHOLE_HOME/hash.key"
	else
		test -e "$KEYHOLE_HOME/hash.key"
	fi
}
if has_store; then
	fresh=0
else
	# As root, init makes the directory $user's and gives up root.
	root=$("$ctl" -d "$KEYHOLE_HOME" init) || exit 1
	fresh=1
fi

# Written beside, then renamed over whatever is there.
tmp=$(mktemp "$run/local.conf.XXXXXX")
case $SERVER in
lighttpd*)
	echo "var.procs = $KEYHOLE_PROCS"
	[ -z "$user" ] || echo "server.username = \"$user\""
	;;
*)
	echo "Define KEYHOLE_PROCS $KEYHOLE_PROCS"
	[ -z "$user" ] || printf 'User %s\nGroup %s\n' "$user" "$user"
	;;
esac >"$tmp"
chmod 0644 "$tmp"
mv -f -T "$tmp" "$run/local.conf"
# lighttpd sets no umask of its own: with this one the FastCGI sockets it
# makes get mode 0600, and its pid file too.  The workers set theirs (007).
umask 177

export KEYHOLE_HOME KEYHOLE_RUN KEYHOLE_BIN="$bin" KEYHOLE_PORT="$PORT" \
    KEYHOLE_CONF_DIR="$confdir" KEYHOLE_AUTHORIZER_PORT KEYHOLE_PROCS
# lighttpd refuses a configuration naming an unset variable; empty is the default.
export KEYHOLE_SYNC="${KEYHOLE_SYNC:-}" KEYHOLE_CACHE_MB="${KEYHOLE_CACHE_MB:-}" \
    KEYHOLE_BODY_MAX="${KEYHOLE_BODY_MAX:-}" \
    KEYHOLE_MAX_LIFETIME="${KEYHOLE_MAX_LIFETIME:-}" KEYHOLE_PREFIX="${KEYHOLE_PREFIX:-}" \
    KEYHOLE_LAST_USED_INTERVAL="${KEYHOLE_LAST_USED_INTERVAL:-}" \
    KEYHOLE_ENROLLMENT_TTL="${KEYHOLE_ENROLLMENT_TTL:-}" \
    KEYHOLE_AUTH_FAILURES="${KEYHOLE_AUTH_FAILURES:-}" KEYHOLE_ISSUER="${KEYHOLE_ISSUER:-}" \
    KEYHOLE_STUCK_SECS="${KEYHOLE_STUCK_SECS:-}" KEYHOLE_IO_WAIT_SECS="${KEYHOLE_IO_WAIT_SECS:-}" \
    KEYHOLE_LOG_SLOW_MS="${KEYHOLE_LOG_SLOW_MS:-}"
case $SERVER in
lighttpd*)
	lighttpd -tt -f "$conf" >/dev/null || { say "lighttpd refused $conf"; exit 1; }
	;;
*)
	# The shared host's .htaccess, as a user would upload it.
	[ "$SERVER" != apache-cgi ] || install -m 0644 "$confdir/htaccess" \
	    "$run/htdocs/.htaccess"
	out=$(apache2 -t -f "$conf" 2>&1) ||
	    { printf '%s\n' "$out" >&2; say "apache2 refused $conf"; exit 1; }
	# The FastCGI programs Apache does not start itself.
	case $SERVER in
	apache) sh "$spawn" start "$run" ;;
	apache-cgi) sh "$spawn" start "$run" authorizer ;;
	esac
	;;
esac
start_server() {	# in the background
	case $SERVER in
	lighttpd*) lighttpd -f "$conf" ;;
	*) apache2 -k start -f "$conf" ;;
	esac
}

if [ "$background" -eq 1 ]; then
	start_server || { stop; exit 1; }
	i=0
	until curl -s -o /dev/null "http://127.0.0.1:$PORT/"; do
		i=$((i + 1))
		[ $i -lt 100 ] || { say "$SERVER did not answer on port $PORT"; stop; exit 1; }
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
	say "  $ctl -d $KEYHOLE_HOME create -n NAME -s tokens:create -s tokens:read"
fi
cat >&2 <<EOT
keyhole: serving on http://127.0.0.1:$PORT/ with $SERVER (Ctrl-C stops). Try:
  curl -s -H "Authorization: Bearer \$ROOT" -H 'Content-Type: application/json' \\
    -d '{"name":"ci","scopes":["tokens:introspect"],"expires_in":3600}' \\
    http://127.0.0.1:$PORT/v1/tokens
  curl -s -H "Authorization: Bearer \$ROOT" http://127.0.0.1:$PORT/protected/
    # a location the authorizer guards: it needs protected:read
EOT
case $SERVER in
lighttpd*) exec lighttpd -D -f "$conf" ;;
esac
trap stop INT TERM EXIT
apache2 -D FOREGROUND -f "$conf" || true
