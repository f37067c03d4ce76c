/*
 * dialect_astronomer: Astronomer's organization API tokens
 * (/organizations/{organizationId}/tokens...).  A token acts at the
 * organization, a workspace or a deployment (type, entityId) with one
 * role there; errors are {message, statusCode, requestId}, validation
 * errors 400.
 */
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "dialect.h"
#include "problem.h"

#define ASTRO_LIST_DEFAULT	20
#define ASTRO_LIST_MAX		1000
#define ASTRO_DAYS_MAX		3650
#define ASTRO_DIRECT		"{\"kind\":\"DIRECT_ACCESS\"}"

static const struct {
	const char	*type;
	const char	*prefix;	/* the entity: prefix + entityId */
	unsigned	 at;
} types[] = {
	{ "ORGANIZATION", NULL, ENT_ORGANIZATION },
	{ "WORKSPACE", "workspace:", ENT_WORKSPACE },
	{ "DEPLOYMENT", "deployment:", ENT_DEPLOYMENT },
};

#define NTYPES	(sizeof(types) / sizeof(types[0]))

/* {message, statusCode, requestId}; invalid fields are 400. */
static void
error_members(struct jsonw *w, const char *msg, int status)
{
	unsigned char	 rid[UUID_LEN];
	char		 ids[UUID_STRLEN + 1];

	uuid7_generate(rid);
	uuid_format(rid, ids);
	jw_str(w, "message", msg);
	jw_int(w, "statusCode", status);
	jw_str(w, "requestId", ids);
}

static void
error(struct req *r, const struct problem *p)
{
	dialect_error_object(r, p, error_members);
}

/* A type and entityId as an entity; NULL type when the type is unknown. */
static int
entity_of(const char *type, const char *id, struct buf *ent)
{
	size_t	 i;

	for (i = 0; i < NTYPES; i++)
		if (strcmp(types[i].type, type) == 0)
			break;
	if (i == NTYPES)
		return -1;
	buf_reset(ent);
	if (types[i].prefix == NULL)
		buf_puts(ent, ENTITY_ORG);
	else
		buf_printf(ent, "%s%s", types[i].prefix, id);
	return policy_entity_type(ent->ptr, ent->len) == types[i].at &&
	    (types[i].prefix == NULL || *id != '\0') ? (int)i : -1;
}

/* The role, bindable at the entity: "ROLE@entity" into b. */
static int
binding(const char *role, const struct buf *ent, struct buf *b)
{
	const struct role	*rl = policy_role(role, strlen(role));

	if (rl == NULL || !(rl->at & policy_entity_type(ent->ptr, ent->len)))
		return 0;
	if (b->len > 0)
		buf_putc(b, ' ');
	buf_printf(b, "%s@%s", role, buf_cstr(ent));
	return 1;
}

static int
str_field(const struct json_doc *d, int t, struct buf *out)
{
	buf_reset(out);
	return t != -1 && d->tok[t].type == JSON_STRING && json_str(d, t, out) == 0;
}

enum { F_NAME, F_ROLE, F_TYPE, F_DESCRIPTION, F_ENTITY, F_KIND, F_DAYS, F__MAX };

static const struct body_field fields[F__MAX] = {
	[F_NAME] = { "name", "name", 1, 0 },
	[F_ROLE] = { "role", NULL, 1, 0 },
	[F_TYPE] = { "type", NULL, 1, 0 },
	[F_DESCRIPTION] = { "description", "description", 0, 0 },
	[F_ENTITY] = { "entityId", NULL, 0, 0 },
	[F_KIND] = { "kind", NULL, 0, 0 },
	[F_DAYS] = { "tokenExpiryPeriodInDays", NULL, 0, 0 },
};

static int
mint(struct req *r, const struct tok_rec *caller, struct mint_req *m)
{
	struct json_doc	 doc;
	struct problem	 p;
	struct buf	 role = BUF_INIT, type = BUF_INIT, eid = BUF_INIT;
	struct buf	 kind = BUF_INIT;
	const char	*org = req_param(r, "org");
	int64_t		 days;
	int		 at[F__MAX];

	(void)caller;
	if (!api_json_body(r, &doc))
		return 0;
	problem_init(&p, 422, "Invalid request.");
	if (!policy_org_ok(org, strlen(org)))
		problem_field(&p, "organizationId", 14, "is not an organization "
		    "identifier");
	if (api_body_fields(&doc, fields, F__MAX, m, at, &p)) {
		str_field(&doc, at[F_ROLE], &role);
		if (!str_field(&doc, at[F_TYPE], &type) ||
		    (at[F_ENTITY] != -1 && !str_field(&doc, at[F_ENTITY], &eid)) ||
		    entity_of(buf_cstr(&type), buf_cstr(&eid), &m->entity) == -1)
			problem_field(&p, "type", 4, "must be ORGANIZATION, or "
			    "WORKSPACE or DEPLOYMENT with the entityId of one");
		else if (!binding(buf_cstr(&role), &m->entity, &m->bindings))
			problem_field(&p, "role", 4, "is not a role that can be "
			    "bound there (schema/scopes.md)");
		if (at[F_KIND] != -1 && (!str_field(&doc, at[F_KIND], &kind) ||
		    (strcmp(kind.ptr, "STANDARD") != 0 &&
		    strcmp(kind.ptr, "DIRECT_ACCESS") != 0)))
			problem_field(&p, "kind", 4, "must be STANDARD or "
			    "DIRECT_ACCESS");
		if (at[F_DAYS] != -1 && json_int(&doc, at[F_DAYS], 1,
		    ASTRO_DAYS_MAX, &days) == -1)
			problem_field(&p, "tokenExpiryPeriodInDays", 23,
			    "must be 1 to 3650");
		else if (at[F_DAYS] != -1)
			m->expires_in = days * 86400;
	}
	json_free(&doc);
	if (p.nerr == 0) {
		buf_puts(&m->organization, org);
		if (kind.len > 0 && strcmp(kind.ptr, "DIRECT_ACCESS") == 0)
			buf_puts(&m->metadata, ASTRO_DIRECT);
	}
	buf_free(&role);
	buf_free(&type);
	buf_free(&eid);
	buf_free(&kind);
	if (p.nerr > 0) {
		problem_reply(r, &p);
		return 0;
	}
	return 1;
}

/* An entity as Astronomer's type and id (the organization's own id). */
static void
entity_json(struct jsonw *w, const char *ent, const char *org)
{
	size_t	 i;

	for (i = 1; i < NTYPES; i++)
		if (strncmp(ent, types[i].prefix, strlen(types[i].prefix)) == 0) {
			jw_str(w, "entityId", ent + strlen(types[i].prefix));
			jw_str(w, "entityType", types[i].type);
			return;
		}
	jw_str(w, "entityId", org);
	jw_str(w, "entityType", "ORGANIZATION");
}

/* Who made or changed it: the minting token, for the subject it speaks for. */
static void
subject_json(struct jsonw *w, const char *key, const struct tok_rec *t)
{
	static const unsigned char zero[UUID_LEN];
	char	 id[UUID_STRLEN + 1];

	jw_obj_open(w, key);
	if (memcmp(t->created_by, zero, UUID_LEN) != 0) {
		uuid_format(t->created_by, id);
		jw_str(w, "id", id);
	} else
		jw_str(w, "id", "keyholectl");
	jw_str(w, "subjectType", "SERVICEKEY");
	if (t->subject.len > 0)
		jw_str(w, "username", buf_cstr(&t->subject));
	jw_obj_close(w);
}

static void
object(struct jsonw *w, const struct tok_rec *t, int64_t now)
{
	const char	*org = buf_cstr(&t->organization), *b, *e, *at;
	char		 id[UUID_STRLEN + 1];
	size_t		 i;

	(void)now;
	uuid_format(t->id, id);
	jw_str(w, "id", id);
	jw_str(w, "name", buf_cstr(&t->name));
	jw_str(w, "description", buf_cstr(&t->description));
	jw_str(w, "shortToken", t->hint);
	jw_str(w, "kind", strcmp(buf_cstr(&t->metadata), ASTRO_DIRECT) == 0 ?
	    "DIRECT_ACCESS" : "STANDARD");
	for (i = 1; i < NTYPES; i++)
		if (strncmp(policy_entity_of(t), types[i].prefix,
		    strlen(types[i].prefix)) == 0)
			break;
	jw_str(w, "type", i < NTYPES ? types[i].type : "ORGANIZATION");
	jw_time(w, "createdAt", t->created_at);
	jw_time(w, "updatedAt", t->updated_at ? t->updated_at : t->created_at);
	jw_time(w, "startAt", t->starts_at ? t->starts_at : t->created_at);
	if (t->expires_at != 0) {
		jw_time(w, "endAt", t->expires_at);
		jw_int(w, "expiryPeriodInDays",
		    (t->expires_at - t->created_at + 86399) / 86400);
	}
	if (t->last_used_at != 0)
		jw_time(w, "lastUsedAt", t->last_used_at);
	jw_arr_open(w, "roles");
	for (b = buf_cstr(&t->bindings); *b != '\0'; b = *e ? e + 1 : e) {
		e = b + strcspn(b, " ");
		if ((at = memchr(b, '@', (size_t)(e - b))) == NULL)
			continue;
		{
			char	 ent[ENTITY_MAXLEN + 1];

			snprintf(ent, sizeof(ent), "%.*s", (int)(e - at - 1),
			    at + 1);
			jw_obj_open(w, NULL);
			entity_json(w, ent, org);
			jw_strn(w, "role", b, (size_t)(at - b));
			jw_obj_close(w);
		}
	}
	jw_arr_close(w);
	subject_json(w, "createdBy", t);
	subject_json(w, "updatedBy", t);
}

/*
 * GET .../tokens: the organization's list, or a workspace's or a
 * deployment's, or only those acting at the organization; offset paging,
 * creation order either way.
 */
static int
list(struct req *r, const struct tok_rec *caller, struct list_query *q)
{
	static const char *const names[] = { "workspaceId", "deploymentId",
	    "includeOnlyOrganizationTokens", "offset", "limit", "sorts" };
	struct buf	 v[6], ent = BUF_INIT;
	struct problem	 p;
	const char	*org = req_param(r, "org");
	int64_t		 n;
	size_t		 i;
	int		 only = 0;

	for (i = 0; i < 6; i++)
		buf_init(&v[i]);
	problem_init(&p, 400, "Invalid request.");
	q->limit = ASTRO_LIST_DEFAULT;
	buf_puts(&ent, ENTITY_ORG);
	if (api_query(r, names, 6, v, &p)) {
		if (v[0].len > 0 && v[1].len > 0)
			problem_field(&p, "deploymentId", 12, "goes with no "
			    "workspaceId");
		else if ((v[0].len > 0 && entity_of("WORKSPACE", v[0].ptr,
		    &ent) == -1) || (v[1].len > 0 && entity_of("DEPLOYMENT",
		    v[1].ptr, &ent) == -1))
			problem_field(&p, v[0].len > 0 ? "workspaceId" :
			    "deploymentId", v[0].len > 0 ? 11 : 12, "is not an id");
		if (v[2].len > 0 && strcmp(v[2].ptr, "true") != 0 &&
		    strcmp(v[2].ptr, "false") != 0)
			problem_field(&p, "includeOnlyOrganizationTokens", 29,
			    "must be true or false");
		only = v[2].len > 0 && strcmp(v[2].ptr, "true") == 0;
		if (v[3].len > 0 && json_int_text(v[3].ptr, v[3].len, 0,
		    1000000000, &n) == -1)
			problem_field(&p, "offset", 6, "must be 0 or more");
		else if (v[3].len > 0)
			q->offset = (size_t)n;
		if (v[4].len > 0 && json_int_text(v[4].ptr, v[4].len, 1,
		    ASTRO_LIST_MAX, &n) == -1)
			problem_field(&p, "limit", 5, "must be 1 to 1000");
		else if (v[4].len > 0)
			q->limit = (size_t)n;
		/* The lists are kept in creation order: that is the one sort. */
		if (v[5].len > 0 && strcmp(v[5].ptr, "createdAt:desc") == 0)
			q->desc = 1;
		else if (v[5].len > 0 && strcmp(v[5].ptr, "createdAt:asc") != 0)
			problem_field(&p, "sorts", 5, "supported: createdAt:asc, "
			    "createdAt:desc");
	}
	if (p.nerr == 0 && !policy_org_ok(org, strlen(org)))
		problem_init(&p, 404, "There is no such organization.");
	else if (p.nerr == 0 && (!policy_org_visible(
	    buf_cstr(&caller->organization), org) ||
	    (strcmp(buf_cstr(&ent), ENTITY_ORG) != 0 ?
	    !api_entity_list(caller, org, buf_cstr(&ent), q) :
	    !policy_allows_at(caller, ENTITY_ORG, SCOPE_TOKENS_READ))))
		problem_init(&p, 403, "This token may not list these tokens.");
	if (p.nerr == 0 && p.status == 400) {
		q->now = r->now;
		if (strcmp(buf_cstr(&ent), ENTITY_ORG) == 0)
			store_list_key(&q->list, only ? LIST_ORG_LEVEL :
			    LIST_ORG, org, NULL, NULL);
	} else
		problem_reply(r, &p);
	for (i = 0; i < 6; i++)
		buf_free(&v[i]);
	buf_free(&ent);
	return p.nerr == 0 && p.status == 400;
}

static void
page(struct req *r, const struct page *pg)
{
	struct buf	 out = BUF_INIT;
	struct jsonw	 w;
	size_t		 i;

	jw_init(&w, &out);
	jw_obj_open(&w, NULL);
	jw_arr_open(&w, "tokens");
	for (i = 0; i < pg->n; i++) {
		jw_obj_open(&w, NULL);
		object(&w, &pg->recs[i], r->now);
		jw_obj_close(&w);
	}
	jw_arr_close(&w);
	jw_int(&w, "totalCount", (int64_t)pg->total);
	jw_int(&w, "limit", (int64_t)pg->limit);
	jw_int(&w, "offset", (int64_t)pg->offset);
	jw_obj_close(&w);
	api_json_reply(r, 200, &out);
	buf_free(&out);
}

/*
 * POST .../tokens/{tokenId}: name and description; POST .../roles: the
 * roles anew, {roles: [{entityId, entityType, role}]}.
 */
static int
update(struct req *r, struct json_doc *doc, struct patch_req *pr)
{
	static const struct body_field tf[] = {
		{ "name", NULL, 0, 0 },
		{ "description", NULL, 0, 0 },
	};
	static const struct body_field rf[] = {
		{ "roles", NULL, 1, 0 },
	};
	struct problem	 p;
	struct mint_req	 m;
	struct buf	 s = BUF_INIT, ent = BUF_INIT, eid = BUF_INIT;
	int		 roles = strstr(r->route->pattern, "/roles") != NULL;
	int		 at[2], i, el;

	if (!api_json_body(r, doc))
		return 0;
	problem_init(&p, 422, "Invalid request.");
	mint_req_init(&m);
	if (!roles && api_body_fields(doc, tf, 2, &m, at, &p)) {
		if ((pr->has_name = at[0] != -1))
			(void)mint_field(doc, "name", at[0], &m, &p);
		if ((pr->has_description = at[1] != -1))
			(void)mint_field(doc, "description", at[1], &m, &p);
		buf_append(&pr->name, m.name.ptr, m.name.len);
		buf_append(&pr->description, m.description.ptr,
		    m.description.len);
	} else if (roles && api_body_fields(doc, rf, 1, &m, at, &p)) {
		pr->has_bindings = 1;
		if (doc->tok[at[0]].type != JSON_ARRAY ||
		    doc->tok[at[0]].size > BINDINGS_MAX)
			problem_field(&p, "roles", 5, "must be a list of roles");
		for (i = 0; p.nerr == 0 && i < doc->tok[at[0]].size; i++) {
			el = json_at(doc, at[0], i);
			if (doc->tok[el].type != JSON_OBJECT ||
			    !str_field(doc, json_get(doc, el, "entityType"), &s) ||
			    !str_field(doc, json_get(doc, el, "entityId"), &eid) ||
			    entity_of(s.ptr, eid.ptr, &ent) == -1 ||
			    !str_field(doc, json_get(doc, el, "role"), &s) ||
			    !binding(s.ptr, &ent, &pr->bindings))
				problem_element(&p, "roles", i, "must be "
				    "{entityId, entityType, role} with a role "
				    "bindable there");
		}
	}
	mint_req_free(&m);
	buf_free(&s);
	buf_free(&ent);
	buf_free(&eid);
	if (p.nerr > 0) {
		problem_reply(r, &p);
		return 0;
	}
	return 1;
}

const struct dialect dialect_astronomer = {
	.name = "astronomer",
	.credential = dialect_bearer,
	.error = error,
	.mint = mint,
	.minted = 200,
	.members = object,
	.secret_key = "token",
	.list = list,
	.page = page,
	.update = update,
	.rotate = dialect_no_grace,
	.revoked = NULL,
};
