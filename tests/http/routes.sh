#!/bin/bash
# The route table in lib/route.c is the one source of routing: every
# server's committed routes are made from it, every route reaches its
# program, and a method a path does not have is 405 with Allow.
source "$(dirname "$0")/lib.sh"

for kind in lighttpd:lighttpd-routes.conf lighttpd-cgi:lighttpd-cgi-routes.conf \
    apache:apache-routes.conf htaccess:htaccess; do
	"$ctl" routes "${kind%%:*}" >"$T/routes"
	f=httpd-conf/${kind#*:}
	ok "$f is what \"keyholectl routes ${kind%%:*}\" makes" cmp -s "$T/routes" "$top/$f"
	cmp -s "$T/routes" "$top/$f" ||
	    diff -u "$top/$f" "$T/routes" | head -n 20 | sed 's/^/#   /'
done
start_server 1

# Each route (method, path) reaches a program serving it: the route's own
# answer is never the 405 or 404 of a wrong program, nor the server's 404.
while read -r m path; do
	if [ "$m" = GET ]; then req GET "$path" "$ROOT"; else req "$m" "$path" "$ROOT" '{}'; fi
	ok "$m $path reaches its program (status $STATUS)" test "$STATUS" != 405 -a \
	    "$STATUS" != 500 -a "$(jq -e type <<<"$BODY" 2>/dev/null)" = '"object"'
done <<'ROUTES'
POST /v1/tokens
GET /v1/tokens
GET /v1/tokens/00000000-0000-7000-8000-000000000000
PATCH /v1/tokens/00000000-0000-7000-8000-000000000000
DELETE /v1/tokens/00000000-0000-7000-8000-000000000000
POST /v1/tokens/00000000-0000-7000-8000-000000000000/rotate
POST /v1/tokens/00000000-0000-7000-8000-000000000000/rotate/finish
POST /v1/enrollments/redeem
GET /v1/audit
POST /v1/introspect
POST /v1/revoke
POST /api/tokens
GET /api/tokens
DELETE /api/tokens/00000000-0000-7000-8000-000000000000
ROUTES

req PUT /api/tokens "$ROOT"
is "a method the path lacks: 405" "$STATUS" 405
is "... Allow from the table" "$(header Allow)" "GET, HEAD, POST"
is "... in the path's dialect" "$(jget .success)" false
req PATCH /v1/introspect "$ROOT"
is "405 on an OAuth path speaks OAuth" "$(jget .error)" invalid_request
req GET /v1/tokens/ "$ROOT"
is "a trailing slash names the same resource" "$STATUS" 200
req GET /v1/nothing "$ROOT"
is "a path outside the table is the server's 404" "$STATUS" 404
req POST /api/v1/%74oken "$ROOT" '{}'
is "an escaped path the server routes by its decoded form is no resource to the program: 404" "$STATUS" 404
