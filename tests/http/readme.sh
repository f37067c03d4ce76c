#!/bin/bash
# The README walkthrough, run as written (only the port differs).
. "$(dirname "$0")/lib.sh"
start_server

sed -n '/^<!-- walkthrough -->$/,/^<!-- \/walkthrough -->$/p' "$top/README.md" |
	grep -v '^<!--' | grep -v '^```' | sed "s/127\.0\.0\.1:8080/127.0.0.1:$PORT/g" >"$T/walk.sh"
ok "the README has a walkthrough" test "$(grep -c curl "$T/walk.sh")" -ge 4
out=$(cd "$T" && ROOT=$ROOT bash -e "$T/walk.sh" 2>&1)
ok "the walkthrough runs without error" test $? -eq 0
echo "$out" | sed 's/^/#   /' | head -n 60
ok "it mints billing-api" grep -q '"name": "billing-api"' <<<"$out"
ok "it shows the secret once" test "$(grep -c '"token": "kh_' <<<"$out")" -eq 1
ok "the token introspects active" grep -q '"active": true' <<<"$out"
ok "the listing shows it" grep -q '"status": "active"' <<<"$out"
ok "revocation answers 204" grep -qx '204' <<<"$out"
is "then it introspects inactive" "$(tail -n 3 <<<"$out" | tr -d ' \n')" '{"active":false}'
