/*
 * dialect_turso: Turso's platform API tokens — a caller's tokens by name
 * (/v1/auth/api-tokens/{name}), an organization's (/v1/organizations/
 * {org}/api-tokens), and validation.  Every token is a JWT; errors are
 * {"error": "..."}, validation errors 400.
 */
#include <string.h>

#include "api.h"
#include "dialect.h"
#include "problem.h"

#define TURSO_NAME_MAX	64
#define TURSO_SCOPES_MAX 16
#define TURSO_NAMES	16	/* live tokens of one name counted, at most */

/* {error}; invalid fields are 400. */
static void
error_members(struct jsonw *w, const char *msg, int status)
{
	(void)status;
	jw_str(w, "error", msg);
}

static void
error(struct req *r, const struct problem *p)
{
	dialect_error_object(r, p, error_members);
}

/* A token name as a path segment carries it: [A-Za-z0-9._-], 1..64. */
static int
name_ok(const char *s)
{
	size_t	 n = strlen(s);

	return n >= 1 && n <= TURSO_NAME_MAX &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._-") == n;
}

/*
 * The caller's live tokens (not revoked or expired) named name: up to
 * max ids, and how many there are.
 */
static enum store_err
named(struct store *st, const struct tok_rec *caller, const char *name,
    int64_t now, unsigned char *ids, size_t max, size_t *count)
{
	struct tok_rec	 recs[TURSO_NAMES];
	struct buf	 key = BUF_INIT;
	struct list_at	 at;
	struct list_got	 got;
	size_t		 i;
	enum store_err	 e;

	*count = 0;
	for (i = 0; i < TURSO_NAMES; i++)
		tok_rec_init(&recs[i]);
	store_list_key(&key, LIST_NAME, buf_cstr(&caller->organization),
	    buf_cstr(&caller->subject), name);
	memset(&at, 0, sizeof(at));
	at.prefix = &key;
	at.match = tokens_unexpired;
	at.matcharg = &now;
	e = store_list_page(st, &at, recs, TURSO_NAMES, &got);
	for (i = 0; e == STORE_OK && i < got.n; i++) {
		if (*count < max)
			memcpy(ids + *count * UUID_LEN, recs[i].id, UUID_LEN);
		(*count)++;
	}
	for (i = 0; i < TURSO_NAMES; i++)
		tok_rec_free(&recs[i]);
	buf_free(&key);
	return e;
}

/* A scope of a group token: a preset (a role at the group), or one of Turso's. */
static int
group_scope(const char *s, const char *group, struct mint_req *m)
{
	static const char *const scopes[] = { "db:create", "db:delete",
	    "db:configure", "db:mint-token", "db:rotate-creds",
	    "group:configure", "group:mint-token", "group:rotate-creds" };
	size_t	 i;

	if (strcmp(s, "read-only") == 0 || strcmp(s, "full-access") == 0) {
		if (m->bindings.len > 0)
			buf_putc(&m->bindings, ' ');
		buf_printf(&m->bindings, "%s@%s", s, group);
		return 1;
	}
	if (strcmp(s, "read") == 0)
		s = "*:read";
	else {
		for (i = 0; i < sizeof(scopes) / sizeof(scopes[0]); i++)
			if (strcmp(s, scopes[i]) == 0)
				break;
		if (i == sizeof(scopes) / sizeof(scopes[0]))
			return 0;
	}
	policy_scopes_add(&m->scopes, s, strlen(s));
	return 1;
}

enum { F_ORG, F_GROUP, F_SCOPES, F__MAX };

static const struct body_field fields[F__MAX] = {
	[F_ORG] = { "organization", NULL, 0, 0 },
	[F_GROUP] = { "group", NULL, 0, 0 },
	[F_SCOPES] = { "scopes", NULL, 0, 0 },
};

/*
 * POST /v1/auth/api-tokens/{name}: no body, the caller's whole reach;
 * organization, its reach inside it; organization, group and scopes, a
 * token acting in that group only.
 */
static int
mint(struct req *r, const struct tok_rec *caller, struct mint_req *m)
{
	struct json_doc	 doc;
	struct problem	 p;
	struct buf	 org = BUF_INIT, grp = BUF_INIT, s = BUF_INIT;
	const char	*name = req_param(r, "name");
	int		 at[F__MAX], i, ok = 0;

	/* A name is its subject's: a token speaking for no one owns none. */
	if (caller->subject.len == 0) {
		problem_send(r, 403, "This token speaks for no subject: it "
		    "cannot own named API tokens.");
		return 0;
	}
	problem_init(&p, 400, "Invalid request.");
	if (!name_ok(name)) {
		problem_field(&p, "name", 4, "must be 1 to 64 letters, digits, "
		    "'.', '_' or '-'");
		problem_reply(r, &p);
		return 0;
	}
	/* Turso's own client sends an empty body with a JSON media type. */
	if (req_body(r) == -1)
		return 0;
	doc.tok = NULL;
	for (i = 0; i < F__MAX; i++)
		at[i] = -1;
	if (r->body.len > 0 && api_json_body(r, &doc))
		api_body_fields(&doc, fields, F__MAX, m, at, &p);
	else if (r->body.len > 0)
		return 0;
	if (at[F_ORG] != -1 && (doc.tok[at[F_ORG]].type != JSON_STRING ||
	    json_str(&doc, at[F_ORG], &org) == -1 ||
	    !policy_org_ok(org.ptr, org.len)))
		problem_field(&p, "organization", 12, "must be an organization "
		    "slug");
	if (at[F_GROUP] != -1) {
		if (doc.tok[at[F_GROUP]].type == JSON_STRING)
			json_str(&doc, at[F_GROUP], &s);
		buf_printf(&grp, "group:%s", buf_cstr(&s));
		if (s.len == 0 || policy_entity_type(grp.ptr, grp.len) !=
		    ENT_GROUP)
			problem_field(&p, "group", 5, "must be a group name");
		else if (at[F_ORG] == -1)
			problem_field(&p, "group", 5, "needs organization");
		if (at[F_SCOPES] == -1 ||
		    doc.tok[at[F_SCOPES]].type != JSON_ARRAY ||
		    doc.tok[at[F_SCOPES]].size == 0 ||
		    doc.tok[at[F_SCOPES]].size > TURSO_SCOPES_MAX)
			problem_field(&p, "scopes", 6, "must list 1 to 16 scopes "
			    "with group");
		for (i = 0; p.nerr == 0 && i < doc.tok[at[F_SCOPES]].size; i++) {
			int	 el = json_at(&doc, at[F_SCOPES], i);

			buf_reset(&s);
			if (doc.tok[el].type != JSON_STRING ||
			    json_str(&doc, el, &s) == -1 ||
			    !group_scope(buf_cstr(&s), buf_cstr(&grp), m))
				problem_element(&p, "scopes", i, "is not a scope "
				    "or preset of Turso's");
		}
	} else if (at[F_SCOPES] != -1)
		problem_field(&p, "scopes", 6, "go with group");
	if (doc.tok != NULL)
		json_free(&doc);
	if (p.nerr > 0) {
		problem_reply(r, &p);
		goto out;
	}

	if (grp.len > 0) {
		buf_puts(&m->organization, buf_cstr(&org));
		buf_puts(&m->entity, buf_cstr(&grp));
		m->max_uses = caller->uses_left;
	} else {
		mint_copy_caller(m, caller);
		if (org.len > 0) {
			buf_reset(&m->organization);
			buf_puts(&m->organization, buf_cstr(&org));
		}
	}
	buf_puts(&m->name, name);
	/* One live token of a name per caller: the name is how it is addressed. */
	m->unique_name = 1;
	m->format = FORMAT_JWT;
	ok = 1;
out:
	buf_free(&org);
	buf_free(&grp);
	buf_free(&s);
	return ok;
}

/* {id, name}; the secret, a JWT, goes in token. */
static void
members(struct jsonw *w, const struct tok_rec *t, int64_t now)
{
	char	 id[UUID_STRLEN + 1];

	(void)now;
	uuid_format(t->id, id);
	jw_str(w, "id", id);
	jw_str(w, "name", buf_cstr(&t->name));
}

/*
 * GET /v1/auth/api-tokens: the caller's own.  GET /v1/organizations/
 * {org}/api-tokens: every token of it, for a caller that reads there;
 * else the caller's own in it.
 */
static int
list(struct req *r, const struct tok_rec *caller, struct list_query *q)
{
	const char	*org = req_param(r, "org");

	if (*r->query != '\0') {
		problem_send(r, 400, "This listing takes no parameters.");
		return 0;
	}
	if (*org != '\0' && (!policy_org_ok(org, strlen(org)) ||
	    !policy_org_visible(buf_cstr(&caller->organization), org))) {
		problem_send(r, 404, "There is no such organization.");
		return 0;
	}
	q->now = r->now;
	q->limit = LIST_MAX;
	/* A reader there sees them all; anyone else, its own. */
	if (*org != '\0' && policy_allows_at(caller, ENTITY_ORG,
	    SCOPE_TOKENS_READ))
		store_list_key(&q->list, LIST_ORG, org, NULL, NULL);
	else
		store_list_key(&q->list, LIST_SUBJECT, *org != '\0' ? org :
		    buf_cstr(&caller->organization), buf_cstr(&caller->subject),
		    NULL);
	return 1;
}

static void
page(struct req *r, const struct page *pg)
{
	struct buf	 out = BUF_INIT;
	struct jsonw	 w;
	const char	*org = req_param(r, "org");
	char		 id[UUID_STRLEN + 1];
	size_t		 i;

	jw_init(&w, &out);
	jw_obj_open(&w, NULL);
	jw_arr_open(&w, "tokens");
	for (i = 0; i < pg->n; i++) {
		uuid_format(pg->recs[i].id, id);
		jw_obj_open(&w, NULL);
		jw_str(&w, "id", id);
		jw_str(&w, "name", buf_cstr(&pg->recs[i].name));
		if (*org != '\0' && pg->recs[i].subject.len > 0)
			jw_str(&w, "owner", buf_cstr(&pg->recs[i].subject));
		jw_obj_close(&w);
	}
	jw_arr_close(&w);
	jw_obj_close(&w);
	api_json_reply(r, 200, &out);
	buf_free(&out);
}

/* DELETE /v1/auth/api-tokens/{name}: the caller's one live token of it. */
static int
target(struct req *r, const struct tok_rec *caller, unsigned char id[UUID_LEN])
{
	const char	*name = req_param(r, "name");
	size_t		 live;
	enum store_err	 e;

	/* /v1/organizations/{org}/api-tokens/{id}: by id, of that organization. */
	if (*name == '\0')
		return api_path_token(r, id);
	if (!name_ok(name))
		e = STORE_NOTFOUND;
	else if ((e = named(r->store, caller, name, r->now, id, 1,
	    &live)) == STORE_OK && live > 1) {
		problem_send(r, 409, "Several API tokens have this name; "
		    "revoke them by id.");
		return 0;
	} else if (e == STORE_OK && live == 0)
		e = STORE_NOTFOUND;
	if (e == STORE_NOTFOUND)
		problem_send(r, 404, "No API token has this name.");
	else if (e != STORE_OK)
		api_store_error(r, e);
	return e == STORE_OK;
}

static void
revoked(struct req *r, const unsigned char id[UUID_LEN])
{
	struct buf	 out = BUF_INIT;
	struct jsonw	 w;
	char		 s[UUID_STRLEN + 1];
	const char	*name = req_param(r, "name");

	uuid_format(id, s);
	jw_init(&w, &out);
	jw_obj_open(&w, NULL);
	jw_str(&w, "token", *name != '\0' ? name : s);
	jw_obj_close(&w);
	api_json_reply(r, 200, &out);
	buf_free(&out);
}

const struct dialect dialect_turso = {
	.name = "turso",
	.credential = dialect_bearer,
	.error = error,
	.mint = mint,
	.minted = 200,
	.members = members,
	.secret_key = "token",
	.list = list,
	.page = page,
	.target = target,
	.revoked = revoked,
};
