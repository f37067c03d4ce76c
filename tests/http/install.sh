#!/bin/bash
# make install into a temporary PREFIX: the installed tree serves (the
# smoke part of the suite, with lighttpd and with Apache), DESTDIR stages
# the same files, and make uninstall leaves no file behind.
. "$(dirname "$0")/lib.sh"
P=$T/prefix
make -s -C "$top" install PREFIX="$P" >"$T/make.out" 2>&1
is "make install PREFIX=$P" "$?" 0
sed 's/^/#   /' "$T/make.out" | head -n 10
files() { (cd "$1" && find . ! -type d | sort); }
ok "the programs are under libexec/keyhole/" test -x "$P/libexec/keyhole/introspect" -a -x "$P/libexec/keyhole/authorizer"
ok "keyholectl and keyhole-spawn under sbin/" test -x "$P/sbin/keyholectl" -a -x "$P/sbin/keyhole-spawn"
ok "the configurations and serve.sh under share/keyhole/" \
    test -f "$P/share/keyhole/httpd-conf/apache.conf" -a -x "$P/share/keyhole/serve.sh"
ok "the man pages" test -f "$P/share/man/man7/keyhole.7" -a -f "$P/share/man/man8/keyholectl.8"
ok "the installed tree names no path of the source tree" \
    bash -c "! grep -rqF '$top' '$P/share/keyhole/serve.sh' '$P/sbin/keyhole-spawn'"

for s in lighttpd apache; do
	echo "# the smoke part, served from $P (SERVER=$s)"
	SERVER=$s KEYHOLE_SERVE=$P/share/keyhole/serve.sh KEYHOLE_BIN=$P/libexec/keyhole \
	    bash "$top/tests/http/smoke.sh" >"$T/smoke.out" 2>&1
	grep -E '^(not )?ok ' "$T/smoke.out" | sed "s/^\(\(not \)\?ok - \)/\1installed, $s: /"
	grep -q '^ok ' "$T/smoke.out" || { echo "not ok - installed, $s: no result"; tail -n 5 "$T/smoke.out" | sed 's/^/#   /'; }
done

make -s -C "$top" install PREFIX=/usr/local DESTDIR="$T/stage" >/dev/null 2>&1
is "make install DESTDIR= stages the same files" "$(files "$T/stage/usr/local")" "$(files "$P")"
make -s -C "$top" uninstall PREFIX=/usr/local DESTDIR="$T/stage" >/dev/null 2>&1
is "... and make uninstall DESTDIR= removes them" "$(files "$T/stage")" ""
make -s -C "$top" uninstall PREFIX="$P" >"$T/make.out" 2>&1
is "make uninstall PREFIX=$P" "$?" 0
is "... leaves no file behind" "$(files "$P")" ""
is "... nor keyhole's directories" "$(find "$P" -name 'keyhole*' | wc -l)" 0
