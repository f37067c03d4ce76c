/*
 * dialect_timbal: Timbal's connector enrollment tokens
 * (POST /orgs/{org_id}/connectors/enrollment-tokens).  An enrollment
 * token for connectors:* in the organization, traded once at the native
 * redemption endpoint; errors are problem documents, invalid fields 400.
 */
#include <string.h>

#include "api.h"
#include "dialect.h"
#include "problem.h"

#define TIMBAL_SCOPE	"connectors:*"

static void
error(struct req *r, const struct problem *p)
{
	struct problem	 q = *p;

	/* The seed answers a bad TTL, and any bad field, 400. */
	if (q.status == 422)
		q.status = 400;
	dialect_problem(r, &q);
}

static const struct body_field fields[] = {
	{ "name", "name", 0, 1 },
	{ "ttl_secs", NULL, 0, 1 },
};

static int
mint(struct req *r, const struct tok_rec *caller, struct mint_req *m)
{
	struct json_doc	 doc;
	struct problem	 p;
	const char	*org = req_param(r, "org");
	int		 at[2];

	(void)caller;
	problem_init(&p, 400, "The request has invalid fields.");
	if (!policy_org_ok(org, strlen(org)))
		problem_field(&p, "org_id", 6, "is not an organization "
		    "identifier");
	else
		buf_puts(&m->organization, org);
	if (!api_json_body(r, &doc))
		return 0;
	if (api_body_fields(&doc, fields, 2, m, at, &p) && at[1] != -1 &&
	    json_int(&doc, at[1], 1, ENROLLMENT_TTL_MAX, &m->expires_in) == -1)
		problem_field(&p, "ttl_secs", 8, "must be a whole number of "
		    "seconds from 1 to 2592000 (30 days)");
	json_free(&doc);
	if (p.nerr > 0) {
		problem_reply(r, &p);
		return 0;
	}
	m->kind = KIND_ENROLLMENT;
	buf_puts(&m->entity, ENTITY_ORG);
	buf_puts(&m->scopes, TIMBAL_SCOPE);
	return 1;
}

/* ResBody: token_id, expires_at; the secret goes in token. */
static void
members(struct jsonw *w, const struct tok_rec *t, int64_t now)
{
	char	 id[UUID_STRLEN + 1];

	(void)now;
	uuid_format(t->id, id);
	jw_str(w, "token_id", id);
	jw_time(w, "expires_at", t->expires_at);
}

const struct dialect dialect_timbal = {
	.name = "timbal",
	.credential = dialect_bearer,
	.error = error,
	.mint = mint,
	.minted = 201,
	.members = members,
	.secret_key = "token",
};
