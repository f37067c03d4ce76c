#!/bin/bash
# Backup and restore.  keyholectl backup makes a hot copy while the whole
# life of tokens and every dialect's mints load the service; restored
# elsewhere (keyholectl restore, which verifies it), the copy serves, and
# every token acknowledged before the backup began is in it, as it was:
# active, or revoked.  Loopback only; bounded in time.
. "$(dirname "$0")/../http/lib.sh"
start_server 4
mint acme-admin '[]' '"organization":"acme","subject":"alice","bindings":[{"role":"ADMIN","entity":"organization"}]'
ADMIN=$TOKEN
root=$ROOT
owner=$(stat -c %U "$KEYHOLE_HOME")

LOADGEN_ADMIN=$ADMIN "$top/build/tests/loadgen" "$PORT" "$ROOT" 12 8 "$T/load" &
lg=$!
sleep 5
# What was acknowledged before the backup began: the answers written so
# far (a line is written once its answer is in).
cp "$T/load" "$T/before"
install -d -o "$owner" -m 0750 "$T/backup"
t0=$(date +%s%N)
"$ctl" -d "$KEYHOLE_HOME" backup "$T/backup" 2>"$T/backup.err"
rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
wait "$lg"
is "keyholectl backup under load succeeds ($ms ms)" "$rc" 0
sed 's/^/#   /' "$T/backup.err" | grep -v 'keyholectl: backup of' | head -n 5
ok "the load went on while it ran ($(wc -l <"$T/load") answers, $(wc -l <"$T/before") before it)" \
    test "$(wc -l <"$T/load")" -gt "$(wc -l <"$T/before")"
is "the load saw no 5xx" "$(awk '$2 >= 500 || $2 == 0' "$T/load" | wc -l)" 0
ok "the backup holds the keys and the databases" \
    test -s "$T/backup/hash.key" -a -s "$T/backup/jwt.keys" -a -s "$T/backup/records.db"
stop_server

# Restored elsewhere: into a directory that is not empty, refused.
install -d -o "$owner" -m 2770 "$T/restored"
touch "$T/restored/keep"
chown "$owner" "$T/restored/keep"
ok "restore refuses a directory that is not empty" \
    bash -c "! '$ctl' -d '$T/restored' restore '$T/backup' 2>/dev/null"
rm -f "$T/restored/keep"
"$ctl" -d "$T/restored" restore "$T/backup" >"$T/restore.out" 2>&1
rc=$?
is "keyholectl restore into an empty directory succeeds, and verifies it" "$rc" 0
ok "... with no problem found" grep -q ' verified: 0 problems$' "$T/restore.out"
grep -v 'audit:' "$T/restore.out" | head -n 4 | sed 's/^/#   /'

# The restored store, served: every promise made before the backup holds.
# The copy also holds some writes acknowledged after the backup began: a
# token rotated or revoked then may be either way, and is left out.
export KEYHOLE_HOME=$T/restored KEYHOLE_RUN=$T/run2
start_server 2
ROOT=$root
tail -n +$(( $(wc -l <"$T/before") + 1 )) "$T/load" |
    awk '$1 == "rotate" || $1 == "revoke" { print $4 }' >"$T/later"
read -r lost kept <<<"$(promises "$T/before" "$T/later")"
ok "restored: tokens acknowledged before the backup were checked ($(wc -l <"$T/live"))" \
    test "$(wc -l <"$T/live")" -gt 100
is "restored: every token acknowledged before the backup is active" "$lost" 0
is "restored: every revocation acknowledged before the backup holds ($(wc -l <"$T/revoked"))" "$kept" 0
mint after-restore '["protected:read"]'
is "restored: the copy takes writes" "$STATUS" 201
echo "# backup: took_ms=$ms checked=$(wc -l <"$T/live") lost=$lost"
