#!/bin/bash
# Astronomer's organization API tokens (tests/contracts/astronomer.json):
# mint, list, get, update, roles, delete, rotate under
# /organizations/{organizationId}/tokens; errors {message, statusCode,
# requestId}, validation errors 400.
source "$(dirname "$0")/lib.sh"
start_server 1
O=/organizations/acme/tokens
days() { echo $(( ($(date -d "$1" +%s) - $(date -d "$2" +%s)) / 86400 )); }

# The seed's example request.
req POST "$O" "$ROOT" '{"name":"My token","role":"WORKSPACE_OWNER","type":"WORKSPACE","description":"This is my API token","entityId":"clm8pxjjw000008l23jm08hyu","kind":"STANDARD","tokenExpiryPeriodInDays":30}'
is "POST $O: 200" "$STATUS" 200
conforms "... the body is ApiToken" astronomer ApiToken
conforms "... with its token" astronomer ApiTokenWithSecret
A=$(jget .token) AID=$(jget .id)
is "... a workspace token, WORKSPACE_OWNER there, 30 days" \
    "$(jget '.type + " " + (.roles[0] | .entityType + ":" + .entityId + " " + .role)') $(jget .expiryPeriodInDays) $(days "$(jget .endAt)" "$(jget .createdAt)")" \
    "WORKSPACE WORKSPACE:clm8pxjjw000008l23jm08hyu WORKSPACE_OWNER 30 30"
is "... shortToken is its hint" "$(jget .shortToken)" "${A: -4}"

req POST "$O" "$ROOT" '{"name":"org","role":"ORGANIZATION_MEMBER","type":"ORGANIZATION"}'
conforms "an organization token: ApiToken" astronomer ApiToken
OID=$(jget .id)
is "... never expires: no endAt, description \"\"" "$(jget '.endAt // "none"') \"$(jget .description)\"" 'none ""'
req POST "$O" "$ROOT" '{"name":"dep","role":"DEPLOYMENT_ADMIN","type":"DEPLOYMENT","entityId":"dep1","kind":"DIRECT_ACCESS"}'
is "a deployment token, DIRECT_ACCESS: 200" "$STATUS $(jget .type) $(jget .kind)" "200 DEPLOYMENT DIRECT_ACCESS"
DID=$(jget .id)

for body in '{}' '{"name":"x","role":"WORKSPACE_OWNER","type":"WORKSPACE"}' \
    '{"name":"x","role":"NOPE","type":"ORGANIZATION"}' \
    '{"name":"x","role":"WORKSPACE_OWNER","type":"ORGANIZATION"}' \
    '{"name":"x","role":"ORGANIZATION_MEMBER","type":"TEAM"}' \
    '{"name":"x","role":"ORGANIZATION_MEMBER","type":"ORGANIZATION","tokenExpiryPeriodInDays":0}' \
    '{"name":"x","role":"ORGANIZATION_MEMBER","type":"ORGANIZATION","tokenExpiryPeriodInDays":3651}' \
    '{"name":"x","role":"ORGANIZATION_MEMBER","type":"ORGANIZATION","kind":"OTHER"}' \
    '{"name":5,"role":"ORGANIZATION_MEMBER","type":"ORGANIZATION"}' \
    "{\"name\":\"$(head -c 101 /dev/zero | tr '\0' a)\",\"role\":\"ORGANIZATION_MEMBER\",\"type\":\"ORGANIZATION\"}" \
    'nope'; do
	req POST "$O" "$ROOT" "$body"
	is "bad body ${body:0:50}: 400" "$STATUS" 400
	conforms "... Error" astronomer Error
done
req POST "$O" "" '{"name":"x","role":"ORGANIZATION_MEMBER","type":"ORGANIZATION"}'
is "no credential: 401" "$STATUS" 401
conforms "... Error" astronomer Error
is "... statusCode says so" "$(jget .statusCode)" 401
req POST "$O" "kh_notatoken" '{"name":"x","role":"ORGANIZATION_MEMBER","type":"ORGANIZATION"}'
is "a bad credential: 401" "$STATUS" 401
conforms "... Error" astronomer Error

# A caller of another organization, or above its reach.
mint beta '["tokens:*","*:read"]' '"organization":"beta"'
req POST "$O" "$TOKEN" '{"name":"x","role":"ORGANIZATION_MEMBER","type":"ORGANIZATION"}'
is "another organization's caller: 403" "$STATUS" 403
conforms "... Error" astronomer Error
req GET "$O/$AID" "$TOKEN"
is "... cannot see acme's token: 404" "$STATUS" 404
mint ws '[]' '"organization":"acme","bindings":[{"role":"WORKSPACE_OPERATOR","entity":"workspace:w1"}]'
WS=$TOKEN
req POST "$O" "$WS" '{"name":"x","role":"WORKSPACE_OWNER","type":"WORKSPACE","entityId":"w1"}'
is "a role above the caller's: 403" "$STATUS" 403
req POST "$O" "$WS" '{"name":"mine","role":"WORKSPACE_MEMBER","type":"WORKSPACE","entityId":"w1"}'
is "a role within it: 200" "$STATUS" 200
W1ID=$(jget .id)

# List: the organization's, a workspace's, organization-level only; counted.
req GET "$O" "$ROOT"
is "GET $O: 200" "$STATUS" 200
conforms "... ApiTokensPaginated" astronomer ApiTokensPaginated
is "... every token of acme, totalCount exact, default limit 20" "$(jget '[.tokens[].name] | join(",")') $(jget .totalCount) $(jget .limit) $(jget .offset)" \
    "My token,org,dep,ws,mine 5 20 0"
req GET "$O?offset=1&limit=2" "$ROOT"
is "offset=1&limit=2" "$(jget '[.tokens[].name] | join(",")') $(jget .totalCount) $(jget .limit) $(jget .offset)" "org,dep 5 2 1"
req GET "$O?sorts=createdAt:desc&limit=2" "$ROOT"
is "sorts=createdAt:desc" "$(jget '[.tokens[].name] | join(",")')" "mine,ws"
req GET "$O?workspaceId=w1" "$ROOT"
is "workspaceId=w1: the tokens bound there" "$(jget '[.tokens[].name] | join(",")') $(jget .totalCount)" "ws,mine 2"
req GET "$O?deploymentId=dep1" "$ROOT"
is "deploymentId=dep1" "$(jget '[.tokens[].name] | join(",")') $(jget .totalCount)" "dep 1"
req GET "$O?includeOnlyOrganizationTokens=true" "$ROOT"
is "includeOnlyOrganizationTokens=true" "$(jget '[.tokens[].name] | join(",")') $(jget .totalCount)" "org,ws 2"
req GET "$O?workspaceId=w1" "$WS"
is "a workspace operator lists the tokens acting in its workspace, not those bound there from the organization" \
    "$STATUS $(jget '[.tokens[].name] | join(",")') $(jget .totalCount)" "200 mine 1"
req GET "$O" "$WS"
is "... not the organization: 403" "$STATUS" 403
for q in sorts=name:asc limit=0 limit=1001 offset=-1 includeOnlyOrganizationTokens=yes other=1 "workspaceId=a&deploymentId=b"; do
	req GET "$O?$q" "$ROOT"
	is "query $q: 400" "$STATUS" 400
	conforms "... Error" astronomer Error
done

# Get, update, roles.
req GET "$O/$AID" "$ROOT"
is "GET .../tokens/{id}: 200" "$STATUS" 200
conforms "... ApiToken, no secret" astronomer ApiToken
is "... no token in it" "$(jget 'has("token")')" false
req GET "/organizations/beta/tokens/$AID" "$ROOT"
is "the token under another organization's path: 404" "$STATUS" 404
conforms "... Error" astronomer Error
req POST "$O/$AID" "$ROOT" '{"name":"renamed","description":"new"}'
is "POST .../tokens/{id}: 200, renamed" "$STATUS $(jget .name) $(jget .description)" "200 renamed new"
conforms "... ApiToken" astronomer ApiToken
req POST "$O/$AID" "$ROOT" '{"role":"x"}'
is "... a field it does not take: 400" "$STATUS" 400
req POST "$O/$AID/roles" "$ROOT" '{"roles":[{"entityId":"clm8pxjjw000008l23jm08hyu","entityType":"WORKSPACE","role":"WORKSPACE_MEMBER"}]}'
is "POST .../roles: 200" "$STATUS" 200
conforms "... ApiToken" astronomer ApiToken
is "... the roles anew" "$(jget '[.roles[] | .role] | join(",")')" WORKSPACE_MEMBER
introspect "$ROOT" "$A"
is "... and they hold: *:read at the workspace" "$(jget '.authorization_details[0].actions | join(",")')" "*:read"
req POST "$O/$AID/roles" "$ROOT" '{"roles":[{"entityId":"other","entityType":"WORKSPACE","role":"WORKSPACE_MEMBER"}]}'
is "a role outside the token's workspace: 400" "$STATUS" 400
conforms "... Error" astronomer Error
req POST "$O/$W1ID/roles" "$WS" '{"roles":[{"entityId":"w1","entityType":"WORKSPACE","role":"WORKSPACE_OWNER"}]}'
is "a role beyond the caller's reach: 403" "$STATUS" 403

# Rotate: the old value dies at once.
req POST "$O/$AID/rotate" "$ROOT" ""
is "POST .../rotate: 200" "$STATUS" 200
conforms "... ApiToken with its new token" astronomer ApiToken
A2=$(jget .token)
introspect "$ROOT" "$A"
is "... the old value is dead at once" "$BODY" '{"active":false}'
introspect "$ROOT" "$A2"
is "... the new one works" "$(jget .active)" true

# Delete: 204; the native API and the other dialects see the same tokens.
req GET "/v1/tokens/$DID" "$ROOT"
is "an Astronomer token is a native token" "$(jget '.organization + " " + .entity')" "acme deployment:dep1"
req DELETE "$O/$DID" "$ROOT"
is "DELETE .../tokens/{id}: 204" "$STATUS" 204
req GET "$O?deploymentId=dep1" "$ROOT"
is "... gone from its lists" "$(jget .totalCount)" 0
req DELETE "/organizations/beta/tokens/$OID" "$ROOT"
is "DELETE under another organization's path: 404" "$STATUS" 404
mint nat '["protected:read"]' '"organization":"acme"'
req GET "$O/$ID" "$ROOT"
is "a native token shows through Astronomer's path" "$STATUS $(jget .type)" "200 ORGANIZATION"
conforms "... ApiToken" astronomer ApiToken
