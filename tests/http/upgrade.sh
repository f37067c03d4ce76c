#!/bin/bash
# A store made before the current record version (tests/fixtures/store-v1)
# opens, and its tokens keep working: callers, introspection, lists,
# revocation through their parent.
source "$(dirname "$0")/lib.sh"

fx=$top/tests/fixtures/store-v1
secret() { awk -v n="$1" '$1 == n { print $3 }' "$fx/tokens.txt"; }
idof() { awk -v n="$1" '$1 == n { print $2 }' "$fx/tokens.txt"; }

mkdir -p "$KEYHOLE_HOME"
for f in tokens.db tokens-hash.db tokens-parent.db audit.db; do
	db5.3_load -h "$KEYHOLE_HOME" -f "$fx/$f.dump" "$f" ||
	    echo "not ok - db5.3_load $f"
done
base64 -d "$fx/hash.key.b64" >"$KEYHOLE_HOME/hash.key"
rm -f "$KEYHOLE_HOME"/__db.*
chmod 2770 "$KEYHOLE_HOME"
chmod 0660 "$KEYHOLE_HOME"/*.db
chmod 0640 "$KEYHOLE_HOME/hash.key"
if [ "$(id -u)" -eq 0 ]; then
	chown -R www-data:www-data "$KEYHOLE_HOME"
fi
start_server
ROOT=$(secret ROOT)
req GET "/v1/tokens/$(idof A)" "$ROOT"
is "the first open upgraded the store in place: records by hash, the old files gone" \
    "$(cd "$KEYHOLE_HOME" && ls records.db records-id.db records-prev.db records-parent.db tokens-list.db tokens.db tokens-hash.db tokens-parent.db 2>/dev/null | tr '\n' ' ')" \
    "records-id.db records-parent.db records-prev.db records.db tokens-list.db "

req GET "/v1/tokens/$(idof A)" "$ROOT"
is "the root token of an old store reads a token" "$STATUS" 200
is "its fields decode" "$(jget '.name + " " + .organization + " " + (.scopes | join(",")) + " " + .metadata.team')" \
    "acme reader acme protected:read,tokens:create,tokens:read ops"
req GET "/v1/tokens?limit=1000" "$ROOT"
is "the listing holds every old token" "$(jget '.tokens | length')" 8
is "the revoked one says so" "$(jq -r --arg d "$(idof D)" '.tokens[] | select(.id == $d) | .status' <<<"$BODY")" revoked

introspect "$ROOT" "$(secret A)"
is "an old secret introspects active" "$(jget '.active')" true
is "with its scope" "$(jget '.scope')" "protected:read tokens:create tokens:read"
introspect "$ROOT" "$(secret B)"
is "an old binding still expands" "$(jget '.authorization_details[0].entity + " " + (.authorization_details[0].actions | join(","))')" \
    "workspace:ws1 *:read"
introspect "$ROOT" "$(secret C)"
is "an old use-limited token keeps its uses" "$(jget '.active')" true
introspect "$ROOT" "$(secret D)"
is "an old revoked token stays inactive" "$BODY" '{"active":false}'
introspect "$ROOT" "$(secret F2)"
is "an old rotated token's current secret works" "$(jget '.active')" true

req POST /v1/tokens "$(secret A)" '{"name":"new child","scopes":["protected:read"]}'
is "an old token mints" "$STATUS" 201
req GET /v1/tokens "$(secret A)"
is "an old token lists its organization" "$STATUS" 200
req DELETE "/v1/tokens/$(idof A)?cascade=true" "$ROOT"
is "an old token revokes with its descendants" "$STATUS" 204
introspect "$ROOT" "$(secret G)"
is "the old child went with it" "$BODY" '{"active":false}'
req GET "/v1/tokens/$(idof E)" "$ROOT"
is "an old enrollment token reads as one" "$(jget .kind)" enrollment

# After the upgrade every record is where its indexes say.
stop_server
"$ctl" -d "$KEYHOLE_HOME" verify >"$T/verify" 2>&1
ok "keyholectl verify finds no problem in the upgraded store" grep -q ' verified: 0 problems$' "$T/verify"
grep -v 'audit:' "$T/verify" | head -n 5 | sed 's/^/#   /'
ok "... having walked its 9 tokens (8 and the new child)" grep -q "keyholectl: 9 tokens," "$T/verify"
