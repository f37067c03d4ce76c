#!/bin/bash
# The benchmark (make bench).  Serves keyhole with lighttpd from a fresh
# store (2 workers per endpoint), preloads it with keyholectl load to
# 1,000, 100,000 and 1,000,000 tokens, drives it with wrk from this machine
# (2 threads, 32 connections, loopback only) and prints one table, then one
# line per target.  The rows:
#   a  a small static file (lighttpd's own ceiling)
#   b  a trivial FastCGI responder, tests/bench/null.c (the FastCGI ceiling)
#   c  POST /v1/introspect, half active tokens from all over the store,
#      half unknown well-formed ones, at each size; and last (not with
#      QUICK) once more at 10,000,000 tokens, loaded in bulk
#   d  a static file behind the FastCGI authorizer (/protected/)
#   d0 the same file behind a do-nothing FastCGI authorizer,
#      tests/bench/null.c (the ceiling for d)
#   e  POST /v1/tokens, default durability and KEYHOLE_SYNC=full; then,
#      last, rotations (POST /v1/tokens/{id}/rotate) and revocations
#      (DELETE /v1/tokens/{id}) of tokens loaded for them, each id once,
#      default durability
#   f  the introspection of c as plain CGI (one process per request), at
#      each size
#   g  the introspection of c through Apache with mod_proxy_fcgi (the
#      programs under spawn-fcgi and multiwatch), and with mod_fcgid
#   h  a do-nothing C program as plain CGI, tests/bench/nullcgi.c (the
#      ceiling of a process per request under the same server, for f)
#   j  the introspection of c, of JWT secrets (a tenth of the tokens
#      loaded are JWTs), at the smallest and the largest store
#   t  Turso's validate, each request with another JWT secret as Bearer
#   r  Archil's list, a page of 100, by a caller of the organization
#   s  Astronomer's list of the organization at the offset of half the
#      store, limit 20, with its totalCount
#   w  deepset's list of the workspace, with its total
#      (t to w also at the smallest and the largest store: the tokens
#      loaded are all of the organization bench, at workspace:default)
#   p  the introspection's peer: PHP under PHP-FPM ($PROCS processes) behind
#      the same lighttpd, PDO SQLite, one indexed lookup of the token's
#      SHA-256 (tests/bench/peer), at the smallest and the largest store
# The rows c and f at the largest size (and c at 10,000,000) alternate run
# by run with the same rows against a copy of the 1,000-token store, served
# beside (start_reference); c at 1,000 with b, f at the largest with h:
# their ratios to those are the targets' measure.
# The full run writes BENCHMARKS.md; QUICK=1 (one 3-second run a row, the
# store of 1,000 tokens alone) only prints.  Exits 0 unless something broke (a server
# or wrk that did not start or run); answers other than the expected
# status are counted in the table's errors column, and a missed target is
# reported, not a failure.  Every process started here is
# stopped on exit, Ctrl-C included.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
case ${B:-build} in
/*) build=$B ;;
*) build=$top/${B:-build} ;;
esac
bin=$build/cgi-bin
ctl=$build/keyholectl
null=$build/bench/null
nullcgi=$build/bench/nullcgi
here=$top/tests/bench
conf=$here/lighttpd-bench.conf

THREADS=2
CONNS=32
PROCS=2
WARM=1		# seconds of warm-up before each measured run, not counted
SAMPLE_EVERY=4	# keyholectl load keeps every 4th secret: active tokens from all over the store
PICK=4000	# active (and as many unknown) secrets presented at each size
CHANGE_RATE=5000	# ids a second of rotations or revocations may use (rows e)
if [ -n "${QUICK:-}" ]; then
	SECS=3
	RUNS=1
	SIZES=(1000)
	HUGE=
	GROW=6
else
	SECS=7		# seconds a run: the 10,000,000-token load must fit too
	RUNS=3		# each row: the median run of three, and their spread
	SIZES=(1000 100000 1000000)
	HUGE=10000000	# row c once more, last, on a store loaded on to this size
	GROW=12		# seconds of load that let mod_fcgid's processes grow
fi
LARGEST=${SIZES[${#SIZES[@]} - 1]}
HZ=$(getconf CLK_TCK)

T=
LPID=
APORT=
NULLPORT=
PHPPID=
WRK=
PORT=
LOADED=0
BYFILE=
ORDER=()
REFPORT=
REFPID=
PAIR=
declare -A WHAT RPS P50 P99 VSB CPU LCPU USS STORE ERR SPREAD LOADTIME PAIRED REQ

say() { echo "bench: $*" >&2; }

die() {	# die MESSAGE: something broke; the trap cleans up
	say "$*"
	exit 1
}

calc() {	# calc FORMAT EXPRESSION: floating-point arithmetic by awk
	awk "BEGIN { printf \"$1\", ($2) }" </dev/null
}

free_port() {	# free_port: a loopback port nothing listens on
	local p
	while :; do
		# Below the kernel's ephemeral ports, which a client's
		# connection may hold when the server comes to bind.
		p=$((20000 + RANDOM % 12000))
		(echo >"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
}

prepare() {	# prepare: a bench directory, a fresh store, the callers, the unknown secrets
	T=$(mktemp -d /tmp/keyhole-bench.XXXXXX)
	chmod 755 "$T"
	mkdir -p "$T/run/htdocs"
	echo "A small static file for the benchmark's row a." >"$T/run/htdocs/static.txt"
	# Row d0's file: the same bytes as the one keyhole's authorizer guards (tools/serve.sh).
	mkdir -m 755 "$T/run/htdocs/protected-null"
	echo "keyhole guards this file: protected:read" >"$T/run/htdocs/protected-null/index.html"
	chmod 644 "$T/run/htdocs/static.txt" "$T/run/htdocs/protected-null/index.html"
	# keyholectl run as root works as the store's owner (www-data): its -o
	# files go where that user can write.
	mkdir -m 700 "$T/out"
	[ "$(id -u)" -ne 0 ] || chown www-data:www-data "$T/out"
	"$ctl" -d "$T/store" init >/dev/null 2>&1 || die "keyholectl init failed"
	CALLER=$("$ctl" -d "$T/store" create -n bench-introspect -s tokens:introspect 2>/dev/null)
	MINTER=$("$ctl" -d "$T/store" create -n bench-mint -s tokens:create -s bench:read 2>/dev/null)
	LISTER=$("$ctl" -d "$T/store" create -n bench-list -o bench -s tokens:read 2>/dev/null)
	CHANGER=$("$ctl" -d "$T/store" create -n bench-change -s tokens:rotate -s tokens:revoke \
	    -s bench:read 2>/dev/null)
	READER=$("$ctl" -d "$T/store" create -n bench-read -s protected:read 2>/dev/null)
	# Well-formed secrets that are not in the store: minted into a throwaway one.
	"$ctl" -d "$T/other" init >/dev/null 2>&1 || die "keyholectl init (throwaway store) failed"
	"$ctl" -d "$T/other" load -c "$PICK" -s bench:read -k "$PICK" -o "$T/out/unknown.txt" 2>/dev/null ||
	    die "keyholectl load (throwaway store) failed"
	# JWTs signed with the bench store's key whose tokens it does not hold:
	# checked, then looked up in vain, as the unknown opaque ones are.
	cp "$T/store/jwt.keys" "$T/other/jwt.keys"
	"$ctl" -d "$T/other" load -c "$PICK" -s bench:read -J -k "$PICK" -o "$T/out/unknown-jwt.txt" \
	    2>/dev/null || die "keyholectl load -J (throwaway store) failed"
}

serve() {	# serve HOME RUN PORT SYNC: lighttpd with the bench configuration, by tools/serve.sh; prints its pid
	KEYHOLE_HOME=$1 KEYHOLE_RUN=$2 KEYHOLE_BIN=$bin KEYHOLE_SYNC=$4 \
	    KEYHOLE_PROCS=$PROCS KEYHOLE_CONF=$conf KEYHOLE_REACH="$(dirname "$null") $here/peer" \
	    KEYHOLE_BENCH_NULL=$null KEYHOLE_BENCH_NULLCGI=$nullcgi \
	    KEYHOLE_BENCH_PEER=$here/peer KEYHOLE_BENCH_PHP_SOCKET=$T/php.sock \
	    PORT=$3 sh "$top/tools/serve.sh" -b >/dev/null || return 1
	cat "$2/lighttpd.pid"
}

start_server() {	# start_server SYNC: lighttpd on the store
	PORT=$(free_port)
	LPID=$(serve "$T/store" "$T/run" "$PORT" "$1") || die "lighttpd did not start"
	say "lighttpd $LPID on port $PORT${1:+ (KEYHOLE_SYNC=$1)}"
}

# start_php: the peer's PHP-FPM pool, $PROCS processes, as the web
# server's user (as root), on $T/php.sock; its database is $T/peer.sqlite.
start_php() {
	local fpm
	fpm=$(ls /usr/sbin/php-fpm* 2>/dev/null | head -n 1)
	[ -n "$fpm" ] || die "no PHP-FPM (make deps-bench installs php-fpm)"
	{
		echo "[global]"
		echo "error_log = $T/php-fpm.log"
		echo "daemonize = no"
		echo "[bench]"
		echo "listen = $T/php.sock"
		echo "listen.mode = 0660"
		if [ "$(id -u)" -eq 0 ]; then
			echo "user = www-data"
			echo "group = www-data"
			echo "listen.owner = www-data"
			echo "listen.group = www-data"
		fi
		echo "pm = static"
		echo "pm.max_children = $PROCS"
		echo "env[KEYHOLE_BENCH_PEER_DB] = $T/peer.sqlite"
	} >"$T/php-fpm.conf"
	"$fpm" -y "$T/php-fpm.conf" -F >/dev/null 2>&1 &
	PHPPID=$!
	for _ in $(seq 50); do
		[ -S "$T/php.sock" ] && break
		sleep 0.1
	done
	[ -S "$T/php.sock" ] || die "PHP-FPM did not start: $(tail -n 3 "$T/php-fpm.log" 2>/dev/null)"
}

stop_server() {	# stop_server: lighttpd, then the workers it spawned
	local kids pid
	[ -n "$LPID" ] || return 0
	kids=$(pgrep -P "$LPID" || true)
	kill "$LPID" 2>/dev/null || true
	for _ in $(seq 50); do
		kill -0 "$LPID" 2>/dev/null || break
		sleep 0.1
	done
	for pid in $kids; do
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill "$pid" 2>/dev/null || true
	done
	LPID=
}

# apache_rows SETUP: under Apache (SERVER=SETUP of tools/serve.sh, with
# the benchmark's configuration beside keyhole's), the null responder
# (g0), then the introspection of the largest store (g); under
# mod_proxy_fcgi also the file behind a null authorizer and behind
# keyhole's, by mod_authnz_fcgi (d0, d).  Then Apache stops.  CPU is
# not split by process here: the columns say n/a.
apache_rows() {
	local setup=$1 sfx= row
	[ "$setup" = apache ] || sfx=fcgid
	APORT=$(free_port)
	if [ "$setup" = apache ]; then
		# The null programs under spawn-fcgi, as keyhole's are, in a
		# directory of their own (keyhole-spawn stops all of one).
		NULLPORT=$(free_port)
		mkdir -p "$T/extra/auth" "$T/nullauth"
		ln -sf "$null" "$T/nullauth/authorizer"
		KEYHOLE_BIN=$(dirname "$null") sh "$top/tools/keyhole-spawn" start "$T/extra" null ||
		    die "the null responder did not start"
		KEYHOLE_BIN=$T/nullauth KEYHOLE_AUTHORIZER_PORT=$NULLPORT \
		    sh "$top/tools/keyhole-spawn" start "$T/extra/auth" authorizer ||
		    die "the null authorizer did not start"
	fi
	KEYHOLE_HOME=$T/store KEYHOLE_RUN=$T/run KEYHOLE_BIN=$bin KEYHOLE_PROCS=$PROCS \
	    KEYHOLE_AUTHORIZER_PORT=$(free_port) SERVER=$setup PORT=$APORT \
	    KEYHOLE_CONF=$here/$setup-bench.conf KEYHOLE_REACH=$(dirname "$null") \
	    KEYHOLE_BENCH_NULL_SOCKET=$T/extra/sockets/null.sock KEYHOLE_BENCH_NULL_PORT=${NULLPORT:-0} \
	    KEYHOLE_BENCH_DIR=$(dirname "$null") \
	    sh "$top/tools/serve.sh" -b >/dev/null || die "Apache ($setup) did not start"
	LPID=$(cat "$T/run/apache.pid")
	PORT=$APORT
	say "Apache ($setup) $LPID on port $PORT"
	# mod_fcgid starts processes only as requests find all busy, each
	# such request waiting a second: let it grow first (about 10 s here).
	if [ "$setup" = apache-fcgid ]; then
		run_wrk /dev/null "$GROW" "http://127.0.0.1:$PORT/null" get ||
		    die "wrk failed (mod_fcgid's growth, /null)"
		run_wrk /dev/null "$GROW" "http://127.0.0.1:$PORT/v1/introspect" introspect \
		    "$CALLER" "$T/active.txt" "$T/out/unknown.txt" || die "wrk failed (mod_fcgid's growth)"
	fi
	bench "g0$sfx" "null responder through Apache, $setup" /null 200 - get
	bench "g$sfx" "introspect through Apache, $setup, $(fmt_size "$LARGEST") tokens" \
	    /v1/introspect 200 - introspect "$CALLER" "$T/active.txt" "$T/out/unknown.txt"
	if [ "$setup" = apache ]; then
		bench d0apache "static file behind a do-nothing authorizer, Apache mod_authnz_fcgi" \
		    /protected-null/index.html 200 - bearer "$READER"
		bench dapache "static file behind the authorizer, Apache mod_authnz_fcgi, $(fmt_size "$LARGEST") tokens" \
		    /protected/index.html 200 - bearer "$READER"
	fi
	for row in "g0$sfx" "g$sfx" d0apache dapache; do
		[ -z "${RPS[$row]:-}" ] || CPU[$row]="n/a" LCPU[$row]="n/a"
	done
	stop_apache
}

stop_apache() {	# stop_apache: what apache_rows started
	[ -n "$APORT" ] || return 0
	KEYHOLE_RUN=$T/run KEYHOLE_HOME=$T/store sh "$top/tools/serve.sh" -s
	[ ! -d "$T/extra" ] || sh "$top/tools/keyhole-spawn" stop "$T/extra"
	[ ! -d "$T/extra/auth" ] || sh "$top/tools/keyhole-spawn" stop "$T/extra/auth"
	APORT= LPID=
}

# start_reference: the reference store, a copy of the store as it is now
# (1,000 tokens), served by a second lighttpd beside the first, idle but
# for the runs that alternate with a row's (bench, PAIR=ref): a store's
# rate against a small one's, measured minutes apart, would move with
# whatever else this machine does meanwhile.
start_reference() {
	"$ctl" -d "$T/store" backup "$T/out/ref" >/dev/null 2>&1 || die "keyholectl backup (reference) failed"
	mkdir -m 2770 "$T/ref"
	[ "$(id -u)" -ne 0 ] || chown www-data:www-data "$T/ref"
	"$ctl" -d "$T/ref" restore "$T/out/ref" >/dev/null 2>&1 || die "keyholectl restore (reference) failed"
	cp "$T/active.txt" "$T/active-ref.txt"
	mkdir -p "$T/run-ref/htdocs"
	REFPORT=$(free_port)
	REFPID=$(serve "$T/ref" "$T/run-ref" "$REFPORT" "") || die "the reference lighttpd did not start"
	say "reference store of ${SIZES[0]} tokens: lighttpd $REFPID on port $REFPORT"
}

stop_reference() {
	local lpid=$LPID
	[ -n "$REFPID" ] || return 0
	LPID=$REFPID
	stop_server
	LPID=$lpid REFPID=
}

cleanup() {	# cleanup: on any exit, stop what was started and remove the bench directory
	if [ -n "$WRK" ]; then
		kill "$WRK" 2>/dev/null || true
		wait "$WRK" 2>/dev/null || true
	fi
	stop_apache
	stop_server
	stop_reference
	if [ -n "$PHPPID" ]; then
		kill "$PHPPID" 2>/dev/null || true
		wait "$PHPPID" 2>/dev/null || true
	fi
	[ -z "$T" ] || rm -rf "$T"
}

workers_of() {	# workers_of PROGRAM: pids of this lighttpd's workers running PROGRAM (php: PHP-FPM's)
	if [ "$1" = php ]; then
		pgrep -P "$PHPPID" | tr '\n' ' ' || true
	else
		pgrep -P "$LPID" -f -x "$1" | tr '\n' ' ' || true
	fi
}

cpu_ticks() {	# cpu_ticks PID...: utime + stime of the processes, in clock ticks
	local pid sum=0
	for pid in "$@"; do
		sum=$((sum + $(sed 's/.*) //' "/proc/$pid/stat" | awk '{ print $12 + $13 }')))
	done
	echo "$sum"
}

child_ticks() {	# child_ticks PID: cutime + cstime (children waited for), in clock ticks
	sed 's/.*) //' "/proc/$1/stat" | awk '{ print $14 + $15 }'
}

# ticks PROG PID...: the server's CPU ticks and its workers' (PIDs; for
# PROG cgi, the server's children waited for)
ticks() {
	local prog=$1
	shift
	if [ "$prog" = cgi ]; then
		echo "$(cpu_ticks "$LPID") $(child_ticks "$LPID")"
	else
		echo "$(cpu_ticks "$LPID") $(cpu_ticks "$@")"
	fi
}

uss_kib() {	# uss_kib PID: private memory (Private_Clean + Private_Dirty), KiB
	awk '/^Private_(Clean|Dirty):/ { s += $2 } END { print s }' "/proc/$1/smaps_rollup"
}

region_private_kib() {	# region_private_kib PID: the part of the USS in the __db.* region mappings, KiB
	awk '/^[0-9a-f]+-[0-9a-f]+ / { inreg = ($NF ~ /\/__db\.[0-9]+$/) }
	    inreg && /^Private_(Clean|Dirty):/ { s += $2 } END { print s + 0 }' "/proc/$1/smaps"
}

# run_wrk OUT SECS URL ARGS...: one wrk run, its output in OUT.  In the
# background, so that Ctrl-C reaches the trap at once (wrk itself stops
# cleanly on SIGINT, and bash would then carry on).
run_wrk() {
	local out=$1 secs=$2 url=$3 rc=0
	shift 3
	wrk -t"$THREADS" -c"$CONNS" -d"${secs}s" --latency -s "$here/wrk.lua" "$url" -- "$@" \
	    >"$out" 2>&1 &
	WRK=$!
	wait "$WRK" || rc=$?
	WRK=
	return "$rc"
}

rate_of() {	# rate_of FILE: requests a second of that wrk run
	calc %.0f "$(stat_of "$1" requests) / ($(stat_of "$1" duration_us) / 1e6)"
}

stat_of() {	# stat_of FILE NAME: the value of "BENCH NAME v" in wrk's output
	awk -v n="$2" '$1 == "BENCH" && $2 == n { print $3 }' "$1"
}

# load_to SIZE [nopeer]: keyholectl load up to SIZE tokens of the
# organization bench at workspace:default, a tenth of them JWTs; keeping
# every 4th opaque secret and every JWT one.  The peer's database is
# loaded to as many, unless nopeer.
load_to() {
	local size=$1 inc=$(($1 - LOADED)) jwts t0 t1
	jwts=$((inc / 10))
	say "loading $inc tokens (store of $size)"
	t0=$(date +%s.%N)
	"$ctl" -d "$T/store" load -c $((inc - jwts)) -s bench:read -O bench -e workspace:default \
	    -k $(((inc - jwts) / SAMPLE_EVERY)) -o "$T/out/sample-$size.txt" 2>"$T/load.err" ||
	    die "keyholectl load failed: $(tail -n 5 "$T/load.err")"
	"$ctl" -d "$T/store" load -c "$jwts" -s bench:read -O bench -e workspace:default -J \
	    -k "$jwts" -o "$T/out/jwt-$size.txt" 2>"$T/load.err" ||
	    die "keyholectl load -J failed: $(tail -n 5 "$T/load.err")"
	t1=$(date +%s.%N)
	LOADTIME[$size]=$(calc %.1f "$t1 - $t0")
	# The load's dirty pages to disk now, not during the next row.
	sync
	LOADED=$size
	cat "$T"/out/sample-*.txt | shuf -n "$PICK" >"$T/active.txt"
	cat "$T"/out/jwt-*.txt | shuf -n "$PICK" >"$T/active-jwt.txt"
	[ "${2:-}" != nopeer ] || return 0
	# The peer's database: the same secrets kept, random hashes for the rest.
	php "$here/peer/load.php" "$T/peer.sqlite" "$T/out/sample-$size.txt" "$inc" ||
	    die "loading the peer's database failed"
	chmod 644 "$T/peer.sqlite"
}

bytes_per_token() {	# bytes_per_token ROW: STORE[ROW] and BYFILE, every token database (records and indexes) over the tokens stored
	local bytes f b
	bytes=0
	BYFILE=
	for f in records.db records-id.db records-prev.db records-parent.db tokens-list.db; do
		b=$(stat -c %s "$T/store/$f")
		bytes=$((bytes + b))
		BYFILE="${BYFILE:+$BYFILE, }$f $(calc %.0f "$b / ($LOADED + 5)")"
	done
	# The loaded tokens, the root token and the four callers.
	STORE[$1]=$(calc %.0f "$bytes / ($LOADED + 5)")
}

# bench ROW WHAT PATH STATUS PROGRAM MODE [ARGS]: one wrk run and its row.
# PROGRAM is the workers' program (CPU and memory), "cgi" (lighttpd's
# children) or "-" (none).
# PAIR="REF..." bench ...: each run right after a run of each REF: "ref"
# is the same request to the reference store (start_reference), a row's
# name that row's request; PAIRED[ROW/REF], the median of the runs' ratios
# to REF's.
bench() {
	local row=$1 what=$2 url=http://127.0.0.1:$PORT$3 want=$4 prog=$5
	local out=$T/wrk-$1.out pids=() pids_after l0 l1 w0 w1 lsum=0 wsum=0 n good bad sockerr err=
	local rates run rate r refs=() req
	local -A reqs=() refrate=() ratios=()
	read -r -a refs <<<"${PAIR:-}"
	for r in "${refs[@]}"; do
		reqs[$r]=${REQ[$r]:-}
		[ "$r" != ref ] || reqs[$r]="http://127.0.0.1:$REFPORT$3 ${*:6}"
		[ "$r" != ref ] || reqs[$r]=${reqs[$r]//"$T/active.txt"/"$T/active-ref.txt"}
		[ -n "${reqs[$r]}" ] || die "row $row: no row $r to run by turns with"
	done
	shift 5
	WHAT[$row]=$what
	# A row's request, for a later row that runs by turns with it.
	REQ[$row]="$url $*"
	say "row $row: $what${PAIR:+, by turns with $PAIR}"
	# @RUN@ in an argument: the run's number (0, the warm-up).
	for r in "${refs[@]}"; do
		read -r -a req <<<"${reqs[$r]//@RUN@/0}"
		run_wrk /dev/null "$WARM" "${req[@]}" || die "wrk failed (warm-up of row $row's $r)"
	done
	run_wrk /dev/null "$WARM" "$url" "${@//@RUN@/0}" || die "wrk failed (warm-up of row $row)"
	case $prog in
	-|cgi) ;;
	*)
		read -r -a pids <<<"$(workers_of "$prog")"
		[ "${#pids[@]}" -gt 0 ] || die "row $row: no worker runs $prog"
		;;
	esac
	rates=()
	for run in $(seq "$RUNS"); do
		for r in "${refs[@]}"; do
			read -r -a req <<<"${reqs[$r]//@RUN@/$run}"
			run_wrk "$T/$r-$row.$run" "$SECS" "${req[@]}" ||
			    die "wrk failed (row $row's $r): $(tail -n 3 "$T/$r-$row.$run")"
			refrate[$r]=$(rate_of "$T/$r-$row.$run")
			[ "${refrate[$r]}" -gt 0 ] || die "row $row's $r: wrk completed no request"
		done
		# CPU over the row's own runs, not its references'.
		read -r l0 w0 <<<"$(ticks "$prog" "${pids[@]}")"
		run_wrk "$out.$run" "$SECS" "$url" "${@//@RUN@/$run}" ||
		    die "wrk failed (row $row): $(tail -n 3 "$out.$run")"
		read -r l1 w1 <<<"$(ticks "$prog" "${pids[@]}")"
		lsum=$((lsum + l1 - l0)) wsum=$((wsum + w1 - w0))
		n=$(stat_of "$out.$run" requests)
		[ "${n:-0}" -gt 0 ] || die "row $row: wrk completed no request: $(tail -n 3 "$out.$run")"
		rate=$(rate_of "$out.$run")
		rates+=("$rate $run")
		for r in "${refs[@]}"; do
			ratios[$r]+="$(calc %.4f "$rate / ${refrate[$r]}") "
		done
	done
	for r in "${refs[@]}"; do
		PAIRED[$row/$r]=$(printf '%s\n' ${ratios[$r]} | sort -n | sed -n "$(((RUNS + 1) / 2))p")
	done

	# The median run stands for the row; the spread is max - min over it.
	read -r rate run <<<"$(printf '%s\n' "${rates[@]}" | sort -n | sed -n "$(((RUNS + 1) / 2))p")"
	cat "$out".* >"$out.all"
	cp "$out.$run" "$out"
	RPS[$row]=$rate
	[ "$RUNS" -eq 1 ] || SPREAD[$row]=$(printf '%s\n' "${rates[@]}" | awk -v m="$rate" '
	    NR == 1 || $1 < lo { lo = $1 } NR == 1 || $1 > hi { hi = $1 }
	    END { printf "%.0f", 100 * (hi - lo) / m }')
	n=$(awk '$1 == "BENCH" && $2 == "requests" { s += $3 } END { print s }' "$out.all")
	P50[$row]=$(calc %.2f "$(stat_of "$out" p50_us) / 1000")
	P99[$row]=$(calc %.2f "$(stat_of "$out" p99_us) / 1000")
	LCPU[$row]=$(calc %.0f "$lsum * 1e6 / $HZ / $n")
	case $prog in
	-) CPU[$row]="n/a (no backend)" ;;
	*) CPU[$row]=$(calc %.0f "$wsum * 1e6 / $HZ / $n") ;;
	esac

	# Every answer of every run must have the expected status; count what did not.
	good=$(awk -v s="$want" '$1 == "BENCH" && $2 == "status" && $3 == s { n += $4 } END { print n + 0 }' "$out.all")
	bad=$(awk -v s="$want" '$1 == "BENCH" && $2 == "status" && $3 != s { n[$3] += $4 }
	    END { for (c in n) { printf "%s%s: %s", sep, c, n[c]; sep = ", " } }' "$out.all")
	sockerr=$(awk '$1 == "BENCH" && $2 == "socket_errors" { n += $3 } END { print n + 0 }' "$out.all")
	[ -z "$bad" ] || err="answers other than $want ($bad)"
	[ "$sockerr" -eq 0 ] || err="${err:+$err; }$sockerr socket errors or timeouts"
	[ "$good" -gt 0 ] || err="${err:+$err; }no $want answer"
	if [ "${1:-}" = introspect ] && [ "$good" -gt 0 ]; then
		local pct
		pct=$(calc %.0f "100 * $(awk '$1 == "BENCH" && $2 == "active" { n += $3 } END { print n + 0 }' "$out.all") / $good")
		[ "$pct" -ge 45 ] && [ "$pct" -le 55 ] ||
		    err="${err:+$err; }$pct% of answers active, not half"
	fi
	if [ "${#pids[@]}" -gt 0 ]; then
		pids_after=$(workers_of "$prog")
		[ "$pids_after" = "${pids[*]} " ] || err="${err:+$err; }workers restarted during the run"
		USS[$row]=$(max_uss "${pids[@]}")
	fi
	if [ -n "$err" ]; then
		ERR[$row]=$err
		say "row $row: $err"
	else
		ERR[$row]=0
	fi
}

dialect_rows() {	# dialect_rows SIZE: rows j, t, r, s and w at this size
	local n
	n=$(fmt_size "$1")
	bench "j$1" "introspect a JWT, $n tokens" /v1/introspect 200 "$bin/introspect" \
	    introspect "$CALLER" "$T/active-jwt.txt" "$T/out/unknown-jwt.txt"
	bench "t$1" "Turso: validate (GET /v1/auth/validate), $n tokens" /v1/auth/validate 200 \
	    "$bin/validate" bearers "$T/active-jwt.txt"
	bench "r$1" "Archil: list, a page of 100, $n tokens" "/api/tokens?limit=100" 200 \
	    "$bin/tokens-list" bearer "$LISTER"
	bench "s$1" "Astronomer: list at offset $(fmt_size $(($1 / 2))), limit 20, totalCount, $n tokens" \
	    "/organizations/bench/tokens?offset=$(($1 / 2))&limit=20" 200 "$bin/tokens-list" bearer "$LISTER"
	bench "w$1" "deepset: a workspace's list with its total, $n tokens" \
	    "/api/v1/workspaces/default/token?limit=10" 200 "$bin/tokens-list" bearer "$LISTER"
}

# change_ids: tokens for the rotations and the revocations, loaded for
# them (the store stopped), and their ids: a file for each run and the
# warm-up, so that no id is rotated or revoked twice (a second revocation
# writes nothing).
change_ids() {
	local kind run n from=1 total=$((2 * CHANGE_RATE * (WARM + RUNS * SECS)))
	"$ctl" -d "$T/store" load -c "$total" -s bench:read -O bench -e workspace:default 2>/dev/null ||
	    die "keyholectl load (tokens to change) failed"
	"$ctl" -d "$T/store" list | awk '$4 == "bulk" { print $1 }' | tail -n "$total" >"$T/ids.txt"
	LOADED=$((LOADED + total))
	for kind in rotate revoke; do
		for run in $(seq 0 "$RUNS"); do
			if [ "$run" -eq 0 ]; then n=$((CHANGE_RATE * WARM)); else n=$((CHANGE_RATE * SECS)); fi
			tail -n +"$from" "$T/ids.txt" | head -n "$n" >"$T/ids-$kind-$run.txt"
			[ -s "$T/ids-$kind-$run.txt" ] || die "too few tokens to $kind"
			from=$((from + n))
		done
	done
}

order_add() {	# order_add ROW...: to the table's rows, each once (QUICK's one size is smallest and largest)
	local row seen
	for row in "$@"; do
		for seen in "${ORDER[@]}"; do
			[ "$seen" != "$row" ] || continue 2
		done
		ORDER+=("$row")
	done
}

regions_private() {	# regions_private: REGION_PRIVATE, the USS part in the shared regions (largest worker), MiB
	local pid k max=0
	for pid in $(workers_of "$bin/introspect"); do
		k=$(region_private_kib "$pid")
		[ "$k" -le "$max" ] || max=$k
	done
	REGION_PRIVATE=$(calc %.1f "$max / 1024")
}

max_uss() {	# max_uss PID...: the largest USS among the processes, MiB
	local pid k max=0
	for pid in "$@"; do
		k=$(uss_kib "$pid")
		[ "$k" -le "$max" ] || max=$k
	done
	calc %.1f "$max / 1024"
}

fmt_size() {	# fmt_size N: 1000000 as 1,000,000
	echo "$1" | sed ':a; s/\([0-9]\)\([0-9]\{3\}\)\($\|,\)/\1,\2\3/; ta'
}

ceiling() {	# ceiling ROW: the row that does the same with no work of keyhole's (none: empty)
	case $1 in
	c*) echo b ;;
	d) echo d0 ;;
	dapache) echo d0apache ;;
	f*) echo h ;;
	g) echo g0 ;;
	gfcgid) echo g0fcgid ;;
	esac
}

label() {	# label ROW: its letter as the table shows it (d0 stays d0; c1000 is c)
	case $1 in
	d0*) echo d0 ;;
	g0*) echo g0 ;;
	*) echo "${1:0:1}" ;;
	esac
}

table() {	# table: the results, one Markdown row each
	local row c
	for row in "${ORDER[@]}"; do
		c=$(ceiling "$row")
		[ -z "$c" ] || VSB[$row]="$(calc %.2f "${RPS[$row]} / ${RPS[$c]}") of $(label "$c")"
	done
	echo "| row | what | req/s (median of $RUNS) | spread % | p50 ms | p99 ms | vs its ceiling | backend CPU µs/req | server CPU µs/req | worker USS MiB | store B/token | errors |"
	echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
	for row in "${ORDER[@]}"; do
		echo "| $(label "$row") | ${WHAT[$row]} | ${RPS[$row]} | ${SPREAD[$row]:-} | ${P50[$row]:-} | ${P99[$row]:-} | ${VSB[$row]:-} | ${CPU[$row]:-} | ${LCPU[$row]:-} | ${USS[$row]:-} | ${STORE[$row]:-} | ${ERR[$row]:-} |"
	done
}

verdict() {	# verdict OK SHORTFALL: "met" or "missed by SHORTFALL"
	if [ "$1" = 1 ]; then echo met; else echo "missed by $2"; fi
}

points() {	# points N: "N percentage points"
	if [ "$1" = 1 ]; then echo "1 percentage point"; else echo "$1 percentage points"; fi
}

# against WHAT ROW ROW1 PCT [REF]: ROW's rate against ROW1's, target PCT%;
# judged on the runs by turns with REF (by default "ref", the reference
# store, a copy of ROW1's) where ROW had them, ROW1's row shown beside.
against() {
	local what=$1 row=$2 row1=$3 want=$4 ref=${5:-ref} pct ok paired of
	pct=$(calc %.0f "100 * ${RPS[$row]} / ${RPS[$row1]}")
	if [ -n "${PAIRED[$row/$ref]:-}" ]; then
		paired=$(calc %.0f "100 * ${PAIRED[$row/$ref]}")
		ok=$(calc %d "$paired >= $want")
		of="row $(label "$ref")'s"
		[ "$ref" != ref ] || of="the reference store's of $(fmt_size "${SIZES[0]}") tokens"
		echo "- $what: ${RPS[$row]} req/s = $paired% of $of, run by run, by turns (median of $RUNS; against row $(label "$row1")'s ${RPS[$row1]} req/s, run apart, $pct%); target >= $want%: $(verdict "$ok" "$(points $((want - paired)))")"
	else
		ok=$(calc %d "$pct >= $want")
		echo "- $what: ${RPS[$row]} req/s = $pct% of row $(label "$row1")'s ${RPS[$row1]} req/s; target >= $want%: $(verdict "$ok" "$(points $((want - pct)))")"
	fi
}

targets() {	# targets: one line per target: measured, target, met or missed by how much
	local c1=c${SIZES[0]} cl=c$LARGEST f1=f${SIZES[0]} fl=f$LARGEST pct ok x
	against "introspection at $(fmt_size "${SIZES[0]}") tokens" "$c1" b 80 b
	x=$(calc %.2f "${P99[$c1]} / ${P99[b]}")
	ok=$(calc %d "$x <= 2")
	echo "- introspection p99 at 1,000 tokens: ${P99[$c1]} ms = ${x}x (b)'s ${P99[b]} ms; target <= 2x: $(verdict "$ok" "$(calc %.2f "$x - 2")x")"
	against "introspection at $(fmt_size "$LARGEST") tokens" "$cl" "$c1" 95
	[ -z "$HUGE" ] || against "introspection at $(fmt_size "$HUGE") tokens (loaded in bulk)" "c$HUGE" "$c1" 85
	for x in "${SIZES[0]}" "$LARGEST"; do
		pct=$(calc %.1f "${RPS[c$x]} / ${RPS[p$x]}")
		ok=$(calc %d "$pct >= 2")
		echo "- introspection at $(fmt_size "$x") tokens against its PHP peer: ${RPS[c$x]} / ${RPS[p$x]} req/s = ${pct}x; target >= 2x: $(verdict "$ok" "$(calc %.1f "2 - $pct")x")"
		pct=$(calc %.2f "${CPU[c$x]} / ${CPU[p$x]}")
		ok=$(calc %d "$pct <= 0.25")
		echo "- ... backend CPU per request: ${CPU[c$x]} µs against ${CPU[p$x]} µs = ${pct}; target <= 0.25: $(verdict "$ok" "$(calc %.2f "$pct - 0.25")")"
	done
	for x in "${SIZES[0]}" "$LARGEST"; do
		pct=$(calc %.0f "100 * ${RPS[j$x]} / ${RPS[c$x]}")
		ok=$(calc %d "$pct >= 70")
		echo "- JWT introspection at $(fmt_size "$x") tokens: ${RPS[j$x]} req/s = $pct% of opaque (c); target >= 70%: $(verdict "$ok" "$(points $((70 - pct)))")"
	done
	for x in j t r s w; do
		pct=$(calc %.0f "100 * ${RPS[$x$LARGEST]} / ${RPS[$x${SIZES[0]}]}")
		ok=$(calc %d "$pct >= 80")
		echo "- row $x (${WHAT[$x$LARGEST]%, $(fmt_size "$LARGEST") tokens}) at $(fmt_size "$LARGEST") tokens: $pct% of its rate at $(fmt_size "${SIZES[0]}"); target >= 80%: $(verdict "$ok" "$(points $((80 - pct)))")"
	done
	pct=$(calc %.0f "100 * ${RPS[d]} / ${RPS[d0]}")
	ok=$(calc %d "$pct >= 75")
	echo "- static file behind the authorizer on lighttpd: ${RPS[d]} req/s = $pct% of the same behind a do-nothing authorizer (d0, ${RPS[d0]} req/s); target >= 75%: $(verdict "$ok" "$(points $((75 - pct)))")"
	pct=$(calc %.0f "100 * ${RPS[dapache]} / ${RPS[d0apache]}")
	ok=$(calc %d "$pct >= 75")
	echo "- static file behind the authorizer on Apache (mod_authnz_fcgi): ${RPS[dapache]} req/s = $pct% of the same behind a do-nothing authorizer (${RPS[d0apache]} req/s); target >= 75%: $(verdict "$ok" "$(points $((75 - pct)))")"
	ok=$(calc %d "${RPS[e]} >= 3000")
	echo "- durable mints, $CONNS clients: ${RPS[e]}/s; target >= 3,000/s: $(verdict "$ok" "$((3000 - RPS[e]))/s")"
	ok=$(calc %d "${RPS[efull]} >= 1500")
	echo "- durable mints with KEYHOLE_SYNC=full, $CONNS clients: ${RPS[efull]}/s; target >= 1,500/s: $(verdict "$ok" "$((1500 - RPS[efull]))/s")"
	ok=$(calc %d "${STORE[$cl]} <= 256")
	echo "- store at $(fmt_size "$LARGEST") tokens: ${STORE[$cl]} bytes/token, every token database; target <= 256: $(verdict "$ok" "$((STORE[$cl] - 256)) bytes")"
	ok=$(calc %d "${USS[$cl]} <= 8")
	echo "- private memory per introspect worker after the $(fmt_size "$LARGEST") run: ${USS[$cl]} MiB USS (of which $REGION_PRIVATE MiB are pages of the shared regions mapped by that worker alone), beside the shared Berkeley DB cache of $CACHE; target <= 8 MiB: $(verdict "$ok" "$(calc %.1f "${USS[$cl]} - 8") MiB")"
	against "plain CGI introspection at $(fmt_size "$LARGEST") tokens, against a do-nothing C program as plain CGI" "$fl" h 40 h
	against "plain CGI introspection at $(fmt_size "$LARGEST") tokens" "$fl" "$f1" 90
}

machine() {	# machine: what the numbers were measured on
	echo "- nproc: $(nproc); CPU: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
	echo "- memory: $(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo); kernel: $(uname -r); Debian $(cat /etc/debian_version)"
	echo "- $(lighttpd -v 2>&1 | head -n 1); $(apache2 -v 2>&1 | head -n 1 | sed 's/^Server version: //'); $(wrk -v 2>&1 | head -n 1 | sed 's/ Copyright.*//')"
}

report() {	# report: the table and the targets, to standard output and, full run, BENCHMARKS.md
	local size
	{
		table
		echo
		echo "Shared Berkeley DB cache: $CACHE, mapped by every worker and not in their USS."
		echo
		for size in "${SIZES[@]}" $HUGE; do
			echo "Loading to $(fmt_size "$size") tokens (keyholectl load, the tokens added): ${LOADTIME[$size]} s."
		done
		echo
		echo "Bytes per token at $(fmt_size "$LARGEST") tokens, by database: $LARGEST_BYFILE."
		[ -z "$HUGE" ] || echo "Bytes per token at $(fmt_size "$HUGE") tokens, by database: $HUGE_BYFILE."
		echo
		targets
	} >"$T/report.md"
	echo
	cat "$T/report.md"
	[ -z "${QUICK:-}" ] || return 0
	{
		echo "Generated by \`make bench\` (tests/bench/run.sh); do not edit by hand, run \`make bench\` again."
		echo
		echo "# keyhole benchmark"
		echo
		echo "Command: \`$COMMAND\` — $(date -u '+%Y-%m-%d %H:%M UTC')."
		echo "Each row: $RUNS runs of \`wrk -t$THREADS -c$CONNS -d${SECS}s --latency\` on 127.0.0.1 after a ${WARM}-second warm-up,"
		echo "lighttpd with $PROCS workers per endpoint, wrk on the same machine."
		echo
		machine
		echo
		cat "$T/report.md"
		echo
		echo "Rows: a, a small static file (lighttpd alone); b, a FastCGI responder that"
		echo "answers \"ok\" (tests/bench/null.c), 2 processes; c, POST /v1/introspect,"
		echo "alternating $PICK active secrets drawn from every part of the store (keyholectl"
		echo "load's sample) with $PICK well-formed secrets not in it (the tokens loaded are all of"
		echo "the organization bench, at workspace:default, a tenth of them JWTs); d, GET of a static file"
		echo "that the authorizer guards, with one token holding protected:read; d0, the same file"
		echo "behind tests/bench/null.c as the authorizer (the ceiling for d); e, POST /v1/tokens (after"
		echo "the c rows, on the largest store), then, last, POST /v1/tokens/{id}/rotate and"
		echo "DELETE /v1/tokens/{id} of tokens loaded for them, each id once; f, the same introspection as plain CGI at"
		echo "each size; g, the same introspection through Apache with mod_proxy_fcgi"
		echo "(programs under spawn-fcgi and multiwatch, $PROCS each) and with mod_fcgid (which"
		echo "starts processes as the load asks, up to 64 a program, here after $GROW s of the same load"
		echo "to let them grow), each beside g0, the null responder the same way; d0 and d under"
		echo "Apache, the files of d0 and d behind the same two authorizers through mod_authnz_fcgi; h, a C program that answers \"ok\" (tests/bench/nullcgi.c) as plain"
		echo "CGI under the same lighttpd (the ceiling for f); p, the introspection's peer: the same"
		echo "request to tests/bench/peer/introspect.php, PHP under PHP-FPM ($PROCS processes) behind"
		echo "the same lighttpd, PDO SQLite, one indexed lookup of the token's SHA-256 in a table"
		echo "holding as many tokens as the store (the same secrets kept, random hashes else)."
		echo "CPU per request: user + system time of the endpoint's"
		echo "workers (for f and h, of lighttpd's children; for p, PHP-FPM's) and of the server itself, over the"
		echo "requests completed, all runs. Store bytes per token: every token database"
		echo "(records.db and its indexes records-id.db, records-prev.db, records-parent.db, tokens-list.db) over"
		echo "the tokens stored, right after loading. Each row is the median of $RUNS runs; its"
		echo "spread is the fastest run less the slowest, over the median. The rows c and f at"
		echo "$(fmt_size "$LARGEST") tokens${HUGE:+ and c at $(fmt_size "$HUGE")} ran by turns with a reference store, a copy of the"
		echo "store at $(fmt_size "${SIZES[0]}") tokens served by a second lighttpd: each of their runs right after the same"
		echo "run against the reference. So did c at $(fmt_size "${SIZES[0]}") tokens with b, and f at $(fmt_size "$LARGEST") with h."
		echo "Their targets are judged on the median of those runs' ratios."
		echo
		echo "![introspection's rate against the store's size](BENCHMARKS.png)"
	} >"$top/BENCHMARKS.md"
	plot
	say "wrote BENCHMARKS.md"
}

plot() {	# plot: BENCHMARKS.png, introspection's rate against the store's size
	local size
	for size in "${SIZES[@]}"; do
		echo "$size ${RPS[c$size]} ${RPS[f$size]}"
		[ -z "${RPS[j$size]:-}" ] || echo "$size ${RPS[j$size]}" >>"$T/plot-jwt.dat"
	done >"$T/plot.dat"
	[ -z "$HUGE" ] || echo "$HUGE ${RPS[c$HUGE]}" >>"$T/plot-huge.dat"
	gnuplot <<EOT || die "gnuplot failed"
set terminal png size 900,500
set output "$top/BENCHMARKS.png"
set title "keyhole: introspection's rate against the store's size (make bench, median of $RUNS)"
set logscale xy
set xrange [$((SIZES[0] / 2)):$((${HUGE:-$LARGEST} * 2))]
set format x "%.0s%c"
set xlabel "tokens in the store"
set ylabel "requests per second"
set grid
set key bottom left
plot "< cat $T/plot.dat $T/plot-huge.dat 2>/dev/null" using 1:2 with linespoints title "opaque token, FastCGI ($PROCS workers)", \
     "$T/plot-jwt.dat" using 1:2 with linespoints title "JWT, FastCGI ($PROCS workers)", \
     "$T/plot.dat" using 1:3 with linespoints title "opaque token, plain CGI"
EOT
	say "wrote BENCHMARKS.png"
}

command_line() {	# command_line: how this run was asked for, tuning variables included
	local v
	COMMAND="make bench"
	for v in KEYHOLE_CACHE_MB KEYHOLE_BODY_MAX KEYHOLE_MAX_LIFETIME KEYHOLE_PREFIX; do
		[ -z "${!v:-}" ] || COMMAND="$v=${!v} $COMMAND"
	done
}

main() {	# main: the whole benchmark, in order
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	local size pair
	command_line
	prepare
	start_php
	start_server ""
	bench a "static file (lighttpd alone)" /static.txt 200 - get
	bench b "null FastCGI responder, $PROCS processes" /null 200 "$null" get
	bench h "do-nothing C program as plain CGI" /cgi-null 200 cgi get
	for size in "${SIZES[@]}"; do
		load_to "$size"
		[ "$size" != "${SIZES[0]}" ] || [ -n "${QUICK:-}" ] || start_reference
		# By turns (not with QUICK): c at the smallest size with its
		# ceiling; the largest store's rows with the smallest's copy,
		# and plain CGI also with its ceiling.
		pair=
		[ "$size" != "${SIZES[0]}" ] || [ -n "${QUICK:-}" ] || pair=b
		[ "$size" != "$LARGEST" ] || [ -z "$REFPID" ] || pair=ref
		PAIR=$pair bench "c$size" "introspect, $(fmt_size "$size") tokens" /v1/introspect 200 \
		    "$bin/introspect" introspect "$CALLER" "$T/active.txt" "$T/out/unknown.txt"
		bytes_per_token "c$size"
		LARGEST_BYFILE=$BYFILE
		pair=
		[ "$size" != "$LARGEST" ] || [ -z "$REFPID" ] || pair="ref h"
		PAIR=$pair bench "f$size" "introspect as plain CGI, $(fmt_size "$size") tokens" \
		    /cgi/introspect 200 cgi introspect "$CALLER" "$T/active.txt" "$T/out/unknown.txt"
		if [ "$size" = "${SIZES[0]}" ] || [ "$size" = "$LARGEST" ]; then
			bench "p$size" "the peer: PHP-FPM + PDO SQLite, $(fmt_size "$size") tokens" \
			    /php/introspect.php 200 php introspect "$CALLER" "$T/active.txt" "$T/out/unknown.txt"
			dialect_rows "$size"
		fi
	done
	regions_private
	# The cache is the largest region file (which __db.00N may vary); it
	# grows on demand up to KEYHOLE_CACHE_MB.
	region=$(ls -S "$T/store"/__db.0* | head -n 1)
	CACHE="$(calc %.1f "$(stat -c %s "$region") / 1048576") MiB in use ($(basename "$region"); at most KEYHOLE_CACHE_MB=${KEYHOLE_CACHE_MB:-16})"
	bench d0 "static file behind a do-nothing FastCGI authorizer" \
	    /protected-null/index.html 200 "$null" bearer "$READER"
	bench d "static file behind the FastCGI authorizer, $(fmt_size "$LARGEST") tokens" \
	    /protected/index.html 200 "$bin/authorizer" bearer "$READER"
	bench e "mint, default durability" /v1/tokens 201 "$bin/tokens-create" mint "$MINTER"
	stop_server
	apache_rows apache
	apache_rows apache-fcgid
	start_server full
	bench efull "mint, KEYHOLE_SYNC=full" /v1/tokens 201 "$bin/tokens-create" mint "$MINTER"
	stop_server
	change_ids
	start_server ""
	bench erotate "rotate (POST /v1/tokens/{id}/rotate), default durability" /v1/tokens 200 \
	    "$bin/tokens-rotate" ids POST /rotate "$CHANGER" "$T/ids-rotate-@RUN@.txt"
	bench erevoke "revoke (DELETE /v1/tokens/{id}), default durability" /v1/tokens 204 \
	    "$bin/tokens-revoke" ids DELETE "" "$CHANGER" "$T/ids-revoke-@RUN@.txt"
	# Last, as it takes longest to load: a store ten times the largest.
	if [ -n "$HUGE" ]; then
		load_to "$HUGE" nopeer
		PAIR=ref bench "c$HUGE" "introspect, $(fmt_size "$HUGE") tokens" /v1/introspect 200 \
		    "$bin/introspect" introspect "$CALLER" "$T/active.txt" "$T/out/unknown.txt"
		bytes_per_token "c$HUGE"
		HUGE_BYFILE=$BYFILE
	fi
	local x
	for x in a b "${SIZES[@]/#/c}" ${HUGE:+"c$HUGE"} "p${SIZES[0]}" "p$LARGEST" \
	    j t r s w d0 d d0apache dapache e efull erotate erevoke h "${SIZES[@]/#/f}" g0 g g0fcgid gfcgid; do
		case $x in
		j|t|r|s|w) order_add "$x${SIZES[0]}" "$x$LARGEST" ;;
		*) order_add "$x" ;;
		esac
	done
	report
}

main "$@"
