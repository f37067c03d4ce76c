/*
 * The FastCGI authorizer: may this request reach the location it is for?
 * The web server asks before serving a guarded location (lighttpd's
 * "mode" => "authorizer", Apache's mod_authnz_fcgi or mod_fcgid's
 * FcgidAccessChecker); the location's configuration says what to need:
 *   KEYHOLE_REQUIRE_SCOPE         the scope (required: without it, 500)
 *   KEYHOLE_REQUIRE_ORGANIZATION  the token's organization, if set
 *   KEYHOLE_REQUIRE_ENTITY        where the scope must hold (entities are
 *                                 an organization's: it needs the one
 *                                 above); else at the token's own entity
 * A requirement that is not well formed is 500, logged: never a pass.
 * The credential is any a dialect accepts (Bearer, opaque or JWT; an
 * Archil key as the whole header); the check is the API's, a use spent.
 * 200 passes KEYHOLE_TOKEN_ID, KEYHOLE_SUBJECT, KEYHOLE_ORGANIZATION,
 * KEYHOLE_ENTITY and KEYHOLE_SCOPES (what holds there) to the location as
 * Variable-* headers, empty ones left out.  Else 401 with an RFC 6750
 * challenge (invalid_token), 403 (insufficient_scope), or 429 past the
 * failed-authentication limit: problem documents.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "keyhole.h"

static void
pass(struct req *r, const char *name, const char *value)
{
	char	 h[64];

	if (*value == '\0')
		return;
	snprintf(h, sizeof(h), "Variable-%s", name);
	req_header(r, h, value);
}

static void
authorize(struct req *r)
{
	struct need	 need = { NULL, NULL, NULL, 1, NULL };
	struct tok_rec	 caller;
	struct grant_set gs;
	struct buf	 scopes = BUF_INIT;
	const char	*entity, *org, *ent;
	char		 id[UUID_STRLEN + 1];

	need.scope = req_env(r, "KEYHOLE_REQUIRE_SCOPE");
	org = req_env(r, "KEYHOLE_REQUIRE_ORGANIZATION");
	ent = req_env(r, "KEYHOLE_REQUIRE_ENTITY");
	if (!policy_scope_ok(need.scope, strlen(need.scope)) ||
	    (*org != '\0' && !policy_org_ok(org, strlen(org))) ||
	    (*ent != '\0' && (*org == '\0' ||
	    policy_entity_type(ent, strlen(ent)) == 0))) {
		fprintf(stderr, "keyhole[%ld]: authorizer: KEYHOLE_REQUIRE_SCOPE "
		    "must be a scope, KEYHOLE_REQUIRE_ORGANIZATION an "
		    "organization, KEYHOLE_REQUIRE_ENTITY an entity (with an "
		    "organization)\n", (long)getpid());
		problem_send(r, 500, "This location's guard is not configured.");
		return;
	}
	if (*org != '\0')
		need.organization = org;
	if (*ent != '\0')
		need.entity = ent;
	tok_rec_init(&caller);
	if (!api_caller_needs(r, &need, &caller))
		goto done;
	entity = need.entity != NULL ? need.entity : policy_entity_of(&caller);
	policy_grants(&caller, &gs);
	policy_scopes_at(&gs, entity, &scopes);
	policy_grants_free(&gs);
	uuid_format(caller.id, id);
	pass(r, "KEYHOLE_TOKEN_ID", id);
	pass(r, "KEYHOLE_SUBJECT", buf_cstr(&caller.subject));
	pass(r, "KEYHOLE_ORGANIZATION", buf_cstr(&caller.organization));
	pass(r, "KEYHOLE_ENTITY", entity);
	pass(r, "KEYHOLE_SCOPES", buf_cstr(&scopes));
	req_reply(r, 200, NULL, "", 0);
done:
	buf_free(&scopes);
	tok_rec_free(&caller);
}

int
main(void)
{
	return req_serve(ACT_AUTHORIZE, authorize);
}
