#!/bin/bash
# The README walkthrough, run as written (only the port differs).
. "$(dirname "$0")/lib.sh"
start_server

sed -n '/^<!-- walkthrough -->$/,/^<!-- \/walkthrough -->$/p' "$top/README.md" |
	grep -v '^<!--' | grep -v '^```' | sed "s/127\.0\.0\.1:8080/127.0.0.1:$PORT/g" >"$T/walk.sh"
ok "the README has a walkthrough" test "$(grep -c curl "$T/walk.sh")" -ge 6
out=$(cd "$T" && ROOT=$ROOT bash -e "$T/walk.sh" 2>&1)
ok "the walkthrough runs without error" test $? -eq 0
echo "$out" | sed 's/^/#   /' | head -n 80
ok "the admin mints a workspace-scoped token" grep -q '"entity": "workspace:docs"' <<<"$out"
ok "... which mints a narrower one (created_by it)" \
    test "$(grep -c '"created_by": "' <<<"$out")" -eq 1
ok "reaching past the minter is refused: 403" grep -qx '403' <<<"$out"
ok "the rotation sets a grace period" grep -q '"grace_until": "20' <<<"$out"
is "during the grace both secrets introspect active" "$(grep -c '^{"active":true' <<<"$out")" 2
ok "the cascade revocation answers 204" grep -qx '204' <<<"$out"
ok "then the rotated secret introspects inactive" grep -qx '{"active":false}' <<<"$out"
ok "the audit trail shows the cascade" grep -q $'^token.revoked\t.*\tcascade from ' <<<"$out"
ok "no secret is printed" bash -c "! grep -q 'kh_[0-9A-Za-z]\{38\}' <<<\"\$0\"" "$out"
