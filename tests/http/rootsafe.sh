#!/bin/bash
# Run as root: nothing the server's user (www-data) can write is later
# followed, read or written by root.  serve.sh takes back a run directory
# of the old layout (www-data's) without following what www-data planted
# there; afterwards www-data can add entries only to sockets/; keyholectl
# run as root works as the store's owner; a hashing key others could
# have written is refused; the FastCGI sockets are the server's alone.
# For each server setup (SERVER): its pid file, local.conf and sockets.
. "$(dirname "$0")/lib.sh"
if [ "$(id -u)" -ne 0 ]; then
	echo "not ok - this test needs root (www-data plants the links; the server switches to www-data)"
	exit 1
fi
case ${SERVER:-lighttpd} in
lighttpd*)
	PID=lighttpd.pid LOCAL=$(printf 'var.procs = 1\nserver.username = "www-data"')
	STARTED='server started'
	;;
*)
	PID=apache.pid LOCAL=$(printf 'Define KEYHOLE_PROCS 1\nUser www-data\nGroup www-data')
	STARTED='resuming normal operations'
	;;
esac
# The FastCGI sockets in sockets/ once /protected/ and the API were asked:
# every program's, the authorizer's only, or none (Apache's authorizer
# listens on TCP, mod_cgid's socket is in apache/).
case ${SERVER:-lighttpd} in
lighttpd | apache) SOCKS=11 ;;
lighttpd-cgi | apache-fcgid) SOCKS=1 ;;
*) SOCKS=0 ;;
esac
# keyhole-spawn's pid files: every program's, the authorizer's, or none.
case ${SERVER:-lighttpd} in
apache) SPAWNED=14 ;;
apache-cgi) SPAWNED=1 ;;
*) SPAWNED=0 ;;
esac
www() { setpriv --reuid=www-data --regid=www-data --clear-groups "$@"; }
# What must not change: owner, mode, size and content of a file; owner,
# mode and listing of a directory.
print() {
	if [ -d "$1" ]; then
		echo "$(stat -c '%u:%g %a' "$1") $(ls -A "$1" | md5sum | cut -c1-32)"
	else
		echo "$(stat -c '%u:%g %a %s' "$1") $(md5sum <"$1" | cut -c1-32)"
	fi
}
# kind NAME...: "NAME owner type(f, d, l, s...) links" for entries of the run directory
kind() {
	local n
	for n in "$@"; do
		find "$KEYHOLE_RUN/$n" -maxdepth 0 -printf '%f %u %y %n\n'
	done | tr '\n' ' '
}

# --- (g) the old layout, with a link planted by www-data at each path
V=$T/victim
mkdir -m 755 "$V"
for f in conf pid spawnpid error keyhole sock; do
	echo "root's $f file, not to be touched" >"$V/$f"
	chmod 600 "$V/$f"
done
mkdir -m 700 "$V/sockets" "$V/htdocs"
echo "root's secret" >"$V/htdocs/secret.txt"
mkdir -p "$KEYHOLE_RUN/htdocs"
chown www-data "$KEYHOLE_RUN"	# what serve.sh did until now
declare -A LINK=([local.conf]=conf [$PID]=pid [spawn-introspect.pid]=spawnpid [error.log]=error
    [keyhole.log]=keyhole [introspect.sock-0]=sock [sockets]=sockets [htdocs]=htdocs)
declare -A BEFORE
for p in "${!LINK[@]}"; do
	BEFORE[$p]=$(print "$V/${LINK[$p]}")
done
BEFORE[secret]=$(print "$V/htdocs/secret.txt")
www mv "$KEYHOLE_RUN/htdocs" "$KEYHOLE_RUN/htdocs.old"	# root's, but in www-data's directory
for p in "${!LINK[@]}"; do
	www ln -sfn "$V/${LINK[$p]}" "$KEYHOLE_RUN/$p"
done
# And an ACL that would let www-data keep writing once root owns the directory.
www setfacl -m u:www-data:rwx -m d:u:www-data:rwx "$KEYHOLE_RUN"
n=0
for p in "${!LINK[@]}"; do
	[ -L "$KEYHOLE_RUN/$p" ] && [ "$(stat -c %U "$KEYHOLE_RUN/$p")" = www-data ] && n=$((n + 1))
done
is "www-data planted a link at each of the ${#LINK[@]} paths" "$n" "${#LINK[@]}"

# As start_server, but the victims are looked at even if it fails.
PORT=$(free_port)
BASE=http://127.0.0.1:$PORT
ROOT=$(PORT=$PORT KEYHOLE_PROCS=1 KEYHOLE_AUTHORIZER_PORT=$(free_port) sh "$top/tools/serve.sh" -b)
is "serve.sh -b (as root) starts over the planted links" "$?" 0
export PORT BASE ROOT
introspect "$ROOT" "$ROOT"
is "... and it serves" "$(jget .active)" true
req GET /protected/ "$ROOT"
is "... /protected/ too, through the authorizer" "$STATUS" 200
for p in "${!LINK[@]}"; do
	is "the link at $p was not followed: its target is untouched" \
	    "$(print "$V/${LINK[$p]}")" "${BEFORE[$p]}"
done
is "... nor what the htdocs link led to" "$(print "$V/htdocs/secret.txt")" "${BEFORE[secret]}"
n=$(find "$KEYHOLE_RUN" -maxdepth 1 -type l | wc -l)
is "no link is left in the run directory" "$n" 0
is "the run directory is root's, 0755, without ACLs" \
    "$(stat -c '%U:%G %a' "$KEYHOLE_RUN") $(getfacl -s -p "$KEYHOLE_RUN" 2>/dev/null | wc -l)" "root:root 755 0"
is "local.conf, the pid file, htdocs and apache/ are root's" \
    "$(kind local.conf "$PID" htdocs apache)" \
    "local.conf root f 1 $PID root f 1 htdocs root d 3 apache root d 2 "
ok "local.conf holds only what serve.sh wrote" test "$(cat "$KEYHOLE_RUN/local.conf")" = "$LOCAL"
is "keyhole-spawn's pid files: $SPAWNED, each root's, a plain file" \
    "$(find "$KEYHOLE_RUN" -maxdepth 1 -name 'spawn-*.pid' | wc -l) $(find "$KEYHOLE_RUN" -maxdepth 1 -name 'spawn-*.pid' ! \( -user root -type f -links 1 \) | wc -l)" \
    "$SPAWNED 0"
is "error.log and keyhole.log are www-data's files (one link each)" \
    "$(kind error.log keyhole.log)" "error.log www-data f 1 keyhole.log www-data f 1 "
ok "$SERVER writes its error.log" grep -q "$STARTED" "$KEYHOLE_RUN/error.log"

# After a normal start www-data can add or replace nothing in the run
# directory, only in sockets/.
for f in local.conf "$PID" error.log keyhole.log htdocs apache sockets; do
	www ln -sfn "$V/conf" "$KEYHOLE_RUN/$f.new" 2>/dev/null
	www mv -f "$KEYHOLE_RUN/$f.new" "$KEYHOLE_RUN/$f" 2>/dev/null
	www mv -f "$KEYHOLE_RUN/$f" "$KEYHOLE_RUN/$f.away" 2>/dev/null
	www rm -f "$KEYHOLE_RUN/$f" 2>/dev/null
done
ok "www-data cannot create an entry in the run directory" bash -c "! setpriv --reuid=www-data --regid=www-data --clear-groups touch '$KEYHOLE_RUN/planted' 2>/dev/null"
ok "... nor a link" bash -c "! setpriv --reuid=www-data --regid=www-data --clear-groups ln -s '$V/conf' '$KEYHOLE_RUN/planted' 2>/dev/null"
is "... nor replace, rename or remove one (tried for each)" \
    "$(find "$KEYHOLE_RUN" -maxdepth 1 \( -type l -o -name '*.new' -o -name '*.away' -o -name planted \) | wc -l) $(kind local.conf "$PID" error.log keyhole.log htdocs apache sockets)" \
    "0 local.conf root f 1 $PID root f 1 error.log www-data f 1 keyhole.log www-data f 1 htdocs root d 3 apache root d 2 sockets www-data d 2 "
ok "www-data cannot add to apache/ (Apache's runtime files)" bash -c "! setpriv --reuid=www-data --regid=www-data --clear-groups touch '$KEYHOLE_RUN/apache/planted' 2>/dev/null"
ok "www-data can create entries in sockets/" www touch "$KEYHOLE_RUN/sockets/probe"
www rm -f "$KEYHOLE_RUN/sockets/probe"

# --- (i) the FastCGI sockets: the server's alone
socks=$(find "$KEYHOLE_RUN/sockets" -mindepth 1 -type s | wc -l)
ok "the sockets are in sockets/ ($socks, at least $SOCKS)" test "$socks" -ge "$SOCKS"
bad=$(find "$KEYHOLE_RUN/sockets" -mindepth 1 \( -type s -o -type f \) \
    \( ! -user www-data -o -perm /007 \) | wc -l)
ok "each socket is www-data's, nothing for others" test "$bad" -eq 0
is "sockets/ is www-data's, mode 0700 or 0750, nothing for others" \
    "$(stat -c %U "$KEYHOLE_RUN/sockets") $(stat -c %a "$KEYHOLE_RUN/sockets" | grep -cxE '7[05]0')" "www-data 1"
ok "another user cannot enter sockets/" bash -c "test -d '$KEYHOLE_RUN/sockets' && ! setpriv --reuid=nobody --regid=nogroup --clear-groups test -x '$KEYHOLE_RUN/sockets'"
ok "the authorizer runs as www-data" test "$(ps -o user= -p "$(pgrep -f "^${KEYHOLE_BIN:-$top/build/cgi-bin}/authorizer" | head -n 1)")" = www-data
case ${SERVER:-lighttpd} in
*-cgi) ;;
*) ok "the workers run as www-data" test "$(ps -o user= -p "$(pgrep -f "^${KEYHOLE_BIN:-$top/build/cgi-bin}/introspect" | head -n 1)")" = www-data ;;
esac

# --- keyholectl as root works as the store's owner
is "keyholectl init (as root) gave the store to www-data, mode 2770" \
    "$(stat -c '%U:%G %a' "$KEYHOLE_HOME")" "www-data:www-data 2770"
is "... and made its files as www-data (hash.key, records.db)" \
    "$(stat -c %U "$KEYHOLE_HOME/hash.key" "$KEYHOLE_HOME/records.db" | tr '\n' ' ')" "www-data www-data "
mkdir -m 700 "$T/wout" "$T/rout"
chown www-data:www-data "$T/wout"
"$ctl" load -c 1 -s probe:read -k 1 -o "$T/wout/sample" 2>/dev/null
is "keyholectl load run as root writes its -o file as www-data" \
    "$(stat -c %U:%G "$T/wout/sample" 2>&1)" www-data:www-data
"$ctl" load -c 1 -s probe:read -k 1 -o "$T/rout/sample" 2>"$T/err"
is "... and cannot write where only root can (it is not root)" \
    "$?$(test -e "$T/rout/sample" && echo ' made')" 1
ok "keyholectl checkpoint as root" "$ctl" checkpoint
ok "... made no file of root's in the store" test -z "$(find "$KEYHOLE_HOME" -user root)"

# --- symbolic links for the store
mkdir -m 755 "$T/real"
ln -s "$T/real" "$T/link"
"$ctl" -d "$T/link" init >"$T/out" 2>"$T/err"
is "keyholectl init refuses a store path that is a symbolic link" "$?$(cat "$T/out")" 1
ok "... saying so" grep -q 'symbolic link' "$T/err"
"$ctl" -d "$T/link/" init >/dev/null 2>&1
is "... also with a trailing slash" "$?" 1
is "... and leaves the link's target alone" "$(stat -c '%U:%G %a' "$T/real") $(ls -A "$T/real" | wc -l)" "root:root 755 0"
ln -s "$KEYHOLE_HOME" "$T/storelink"
"$ctl" -d "$T/storelink" list >/dev/null 2>"$T/err"
is "keyholectl list as root refuses a store path that is a symbolic link" "$?" 1
"$ctl" init -u nobody -g nogroup >/dev/null 2>&1
is "keyholectl init on an existing store still refuses (exit 1)" "$?" 1
"$ctl" -d "$T/other" init -u nobody -g nogroup >/dev/null 2>&1
is "keyholectl init -u nobody -g nogroup: the store is theirs" \
    "$? $(stat -c '%U:%G %a' "$T/other") $(find "$T/other" ! -user nobody | wc -l)" "0 nobody:nogroup 2770 0"
# A store of the old layout (root's, writable by group www-data): root
# would work where www-data plants links, so keyholectl refuses it.
chown root:www-data "$T/other"
"$ctl" -d "$T/other" list >/dev/null 2>"$T/err"
is "keyholectl as root on a root-owned store writable by a group: refused" "$?" 1
ok "... saying whom to give it to" grep -q "give it to the web server's user" "$T/err"

# --- (i) the hashing key: refused when others could have written it
R0=$ROOT
key=$KEYHOLE_HOME/hash.key
stop_server
for mode in 660 642 606; do
	chmod "$mode" "$key"
	"$ctl" list >"$T/out" 2>"$T/err"
	is "keyholectl refuses a hashing key of mode $mode (exit 1, nothing listed)" "$? $(wc -c <"$T/out")" "1 0"
	ok "... with a clear error" grep -q 'hash.key: writable by group or others' "$T/err"
done
chmod 640 "$key"
chown nobody "$key"
"$ctl" list >/dev/null 2>"$T/err"
is "keyholectl refuses a key owned by another user" "$?" 1
ok "... with a clear error" grep -q 'hash.key: owned by neither' "$T/err"
chown www-data "$key"
mv "$key" "$key.real"
ln -s "$key.real" "$key"
"$ctl" list >/dev/null 2>"$T/err"
is "keyholectl refuses a key that is a symbolic link" "$?" 1
rm -f "$key"
mv "$key.real" "$key"
chmod 660 "$key"
start_server 1
ROOT=$R0
introspect "$ROOT" "$ROOT"
is "a worker refuses a group-writable key: 503" "$STATUS" 503
ok "... and logs why" grep -q 'hash.key: writable by group or others' \
    "$KEYHOLE_RUN/keyhole.log" "$KEYHOLE_RUN/error.log"
stop_server
chmod 640 "$key"
start_server 1
ROOT=$R0
introspect "$ROOT" "$ROOT"
is "with the key back to 0640 it serves again" "$(jget .active)" true
