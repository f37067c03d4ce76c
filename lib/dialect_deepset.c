/*
 * dialect_deepset: deepset's (Haystack Enterprise Platform) API tokens —
 * POST /api/v1/token and GET /api/v1/workspaces/{workspace_name}/token.
 * Secrets start api_, ids are the token UUIDs; every validation error is
 * 422 {"detail": [{"loc", "msg", "type"}]} as FastAPI writes it, and
 * other errors {"detail": "..."}.
 */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "dialect.h"
#include "problem.h"

#define DEEPSET_PREFIX		"api_"
#define DEEPSET_LIFE		(365LL * 86400)	/* expires true, no expires_at */
#define DEEPSET_LIST_MAX	100
#define DEEPSET_LIST_DEFAULT	10

/* FastAPI's error type for a detail keyhole wrote. */
static const char *
error_type(const char *detail)
{
	if (strcmp(detail, "is required") == 0)
		return "missing";
	if (strcmp(detail, "is not a known field") == 0)
		return "extra_forbidden";
	return "value_error";
}

/* A JSON pointer's segments as loc entries after its place ("body", "query"). */
static void
loc(struct jsonw *w, const char *in, const char *pointer)
{
	const char	*p = pointer, *e;
	char		*end;
	long		 n;
	struct buf	 seg = BUF_INIT;

	jw_arr_open(w, "loc");
	jw_str(w, NULL, in);
	while (*p == '/') {
		p++;
		e = p + strcspn(p, "/");
		buf_reset(&seg);
		for (; p < e; p++)	/* RFC 6901 unescaping */
			if (p[0] == '~' && p + 1 < e) {
				buf_putc(&seg, p[1] == '1' ? '/' : '~');
				p++;
			} else
				buf_putc(&seg, *p);
		n = strtol(buf_cstr(&seg), &end, 10);
		if (seg.len > 0 && *end == '\0' && seg.ptr[0] != '-')
			jw_int(w, NULL, n);
		else
			jw_str(w, NULL, buf_cstr(&seg));
	}
	jw_arr_close(w);
	buf_free(&seg);
}

static void
error(struct req *r, const struct problem *p)
{
	struct buf	 out = BUF_INIT;
	struct jsonw	 w;
	int		 i, status = p->status;

	jw_init(&w, &out);
	jw_obj_open(&w, NULL);
	if (status == 400 || status == 422) {
		/* FastAPI: an unreadable body is a validation error too. */
		status = 422;
		jw_arr_open(&w, "detail");
		for (i = 0; i < p->nerr; i++) {
			jw_obj_open(&w, NULL);
			loc(&w, p->in, p->err[i].pointer);
			jw_str(&w, "msg", p->err[i].detail);
			jw_str(&w, "type", error_type(p->err[i].detail));
			jw_obj_close(&w);
		}
		if (p->nerr == 0) {
			jw_obj_open(&w, NULL);
			loc(&w, p->in, "");
			jw_str(&w, "msg", p->detail);
			jw_str(&w, "type", "json_invalid");
			jw_obj_close(&w);
		}
		jw_arr_close(&w);
	} else
		jw_str(&w, "detail", p->detail);
	jw_obj_close(&w);
	api_json_reply(r, status, &out);
	buf_free(&out);
}

/* The workspace-level role standing for an organization role. */
static const char *
workspace_role(const char *org_role)
{
	if (strcmp(org_role, "ADMIN") == 0)
		return "WORKSPACE_OWNER";
	if (strcmp(org_role, "MEMBER") == 0)
		return "WORKSPACE_OPERATOR";
	return "WORKSPACE_MEMBER";
}

/*
 * The workspace the caller is bound in and may mint in, if it is just
 * one: its own role there into b (or the workspace role standing for
 * org_role), the workspace into ent.  0 if none or several.
 */
static int
caller_workspace(const struct tok_rec *caller, const struct role *org_role,
    struct buf *b, struct buf *ent)
{
	struct buf	 w = BUF_INIT;
	const char	*p, *e, *at;
	int		 n = 0;

	for (p = buf_cstr(&caller->bindings); *p != '\0'; p = *e ? e + 1 : e) {
		e = p + strcspn(p, " ");
		at = memchr(p, '@', (size_t)(e - p));
		if (at == NULL || policy_entity_type(at + 1,
		    (size_t)(e - at - 1)) != ENT_WORKSPACE)
			continue;
		buf_reset(&w);
		buf_append(&w, at + 1, (size_t)(e - at - 1));
		if (!policy_allows_at(caller, buf_cstr(&w), SCOPE_TOKENS_CREATE))
			continue;
		buf_reset(ent);
		buf_append(ent, w.ptr, w.len);
		buf_reset(b);
		if (org_role != NULL)
			buf_printf(b, "%s@%s", workspace_role(org_role->name),
			    buf_cstr(ent));
		else
			buf_append(b, p, (size_t)(e - p));
		n++;
	}
	buf_free(&w);
	return n == 1;
}

enum { F_EXPIRES, F_EXPIRES_AT, F_NAME, F_ORG_ROLE, F_PERSONAL, F_ROLE_ID,
    F_WORKSPACES, F__MAX };

static const struct body_field fields[F__MAX] = {
	[F_EXPIRES] = { "expires", NULL, 0, 0 },
	[F_EXPIRES_AT] = { "expires_at", "expires_at", 0, 1 },
	[F_NAME] = { "name", "name", 0, 1 },
	[F_ORG_ROLE] = { "organization_role", NULL, 0, 0 },
	[F_PERSONAL] = { "personal", NULL, 0, 0 },
	[F_ROLE_ID] = { "role_id", NULL, 0, 1 },
	[F_WORKSPACES] = { "workspaces", NULL, 0, 0 },
};

/* The workspaces array into "workspace:NAME" entities, space-separated. */
static void
workspaces(const struct json_doc *d, int t, struct buf *out, struct problem *p)
{
	struct buf	 name = BUF_INIT, ent = BUF_INIT;
	int		 i;

	if (d->tok[t].type != JSON_ARRAY) {
		problem_field(p, "workspaces", 10, "must be a list of workspace "
		    "names");
		return;
	}
	if (d->tok[t].size > BINDINGS_MAX)
		problem_field(p, "workspaces", 10, "names too many workspaces");
	for (i = 0; i < d->tok[t].size && i < BINDINGS_MAX; i++) {
		buf_reset(&name);
		buf_reset(&ent);
		if (d->tok[json_at(d, t, i)].type == JSON_STRING)
			json_str(d, json_at(d, t, i), &name);
		buf_printf(&ent, "workspace:%s", buf_cstr(&name));
		if (name.len == 0 || policy_entity_type(ent.ptr, ent.len) !=
		    ENT_WORKSPACE) {
			problem_element(p, "workspaces", i, "must be a workspace "
			    "name: letters, digits, _ . -, at most 64");
			continue;
		}
		if (out->len > 0)
			buf_putc(out, ' ');
		buf_append(out, ent.ptr, ent.len);
	}
	buf_free(&name);
	buf_free(&ent);
}

static int
mint(struct req *r, const struct tok_rec *caller, struct mint_req *m)
{
	struct json_doc	 doc;
	struct problem	 p;
	struct buf	 s = BUF_INIT, ws = BUF_INIT;
	const struct role *role = NULL;
	const char	*e, *w;
	int		 at[F__MAX], expires = 1, personal = 1;

	if (!api_json_body(r, &doc))
		return 0;
	problem_init(&p, 422, "The request has invalid fields.");
	api_body_fields(&doc, fields, F__MAX, m, at, &p);
	if (at[F_EXPIRES] != -1 && json_bool(&doc, at[F_EXPIRES], &expires) == -1)
		problem_field(&p, "expires", 7, "must be a boolean");
	if (at[F_PERSONAL] != -1 &&
	    json_bool(&doc, at[F_PERSONAL], &personal) == -1)
		problem_field(&p, "personal", 8, "must be a boolean");
	if (at[F_ORG_ROLE] != -1) {
		if (doc.tok[at[F_ORG_ROLE]].type == JSON_STRING)
			json_str(&doc, at[F_ORG_ROLE], &s);
		if (strcmp(buf_cstr(&s), "ADMIN") == 0 ||
		    strcmp(buf_cstr(&s), "MEMBER") == 0 ||
		    strcmp(buf_cstr(&s), "EXTERNAL") == 0)
			role = policy_role(s.ptr, s.len);
		else
			problem_field(&p, "organization_role", 17, "must be "
			    "ADMIN, MEMBER or EXTERNAL");
	}
	if (at[F_ROLE_ID] != -1) {
		buf_reset(&s);
		if (doc.tok[at[F_ROLE_ID]].type == JSON_STRING)
			json_str(&doc, at[F_ROLE_ID], &s);
		if ((role = policy_role_by_uuid(buf_cstr(&s))) == NULL)
			problem_field(&p, "role_id", 7, "is not the id of a role "
			    "(schema/scopes.md lists them)");
	}
	if (at[F_WORKSPACES] != -1)
		workspaces(&doc, at[F_WORKSPACES], &ws, &p);
	json_free(&doc);
	/*
	 * No workspaces named: all the caller reaches.  With an organization
	 * role that is the organization; a caller bound in one workspace it
	 * may mint in, that one, with its own role there or the one asked.
	 */
	if (p.nerr == 0 && at[F_WORKSPACES] == -1 && at[F_ROLE_ID] == -1 &&
	    policy_org_role(caller) == NULL &&
	    caller_workspace(caller, role, &m->bindings, &m->entity)) {
		buf_puts(&m->organization, buf_cstr(&caller->organization));
		goto done;
	}
	/* The default is the caller's own organization role. */
	if (role == NULL && p.nerr == 0 &&
	    (role = policy_org_role(caller)) == NULL)
		role = policy_role("EXTERNAL", 8);
	if (p.nerr == 0 && ws.len > 0 && !(role->at & ENT_WORKSPACE) &&
	    at[F_ROLE_ID] != -1)
		problem_field(&p, "role_id", 7, "names a role that cannot be "
		    "bound in a workspace");
	if (p.nerr == 0 && ws.len == 0 && !(role->at & ENT_ORGANIZATION))
		problem_field(&p, at[F_ROLE_ID] != -1 ? "role_id" :
		    "organization_role", at[F_ROLE_ID] != -1 ? 7 : 17,
		    "names a role that cannot be bound at the organization");
	if (p.nerr > 0) {
		buf_free(&s);
		buf_free(&ws);
		problem_reply(r, &p);
		return 0;
	}

	/* The token acts in the caller's organization. */
	buf_puts(&m->organization, buf_cstr(&caller->organization));
	buf_puts(&m->entity, ENTITY_ORG);
	if (ws.len == 0)
		buf_printf(&m->bindings, "%s@%s", role->name, ENTITY_ORG);
	for (w = buf_cstr(&ws); *w != '\0'; w = *e ? e + 1 : e) {
		e = w + strcspn(w, " ");
		if (m->bindings.len > 0)
			buf_putc(&m->bindings, ' ');
		buf_printf(&m->bindings, "%s@%.*s", (role->at & ENT_WORKSPACE) ?
		    role->name : workspace_role(role->name), (int)(e - w), w);
	}
done:
	m->no_subject = !personal;
	if (!expires)
		m->expires_at = 0;
	else if (m->expires_at == 0)
		m->default_life = DEEPSET_LIFE;
	m->prefix = DEEPSET_PREFIX;
	buf_free(&s);
	buf_free(&ws);
	return 1;
}

/* APITokenResult: the id; the secret goes in api_token. */
static void
members(struct jsonw *w, const struct tok_rec *t, int64_t now)
{
	char	 id[UUID_STRLEN + 1];

	(void)now;
	uuid_format(t->id, id);
	jw_str(w, "api_token_id", id);
}

/*
 * GET /api/v1/workspaces/{workspace_name}/token: the workspace's list (a
 * token bound there is in it), for a caller that reads there; limit,
 * then page_number, or a token id to go on after or before.
 */
static int
list(struct req *r, const struct tok_rec *caller, struct list_query *q)
{
	static const char *const names[] = { "limit", "after", "before",
	    "page_number" };
	struct buf	 v[4] = { BUF_INIT, BUF_INIT, BUF_INIT, BUF_INIT };
	struct buf	 ent = BUF_INIT;
	struct problem	 p;
	int64_t		 limit = DEEPSET_LIST_DEFAULT, pageno = 1;
	size_t		 i;
	int		 ok;

	problem_init(&p, 422, "The query has invalid parameters.");
	p.in = "query";
	buf_printf(&ent, "workspace:%s", req_param(r, "workspace"));
	if (api_query(r, names, 4, v, &p)) {
		if (v[0].len > 0 && json_int_text(v[0].ptr, v[0].len, 1,
		    DEEPSET_LIST_MAX, &limit) == -1)
			problem_field(&p, "limit", 5, "must be 1 to 100");
		if (v[3].len > 0 && json_int_text(v[3].ptr, v[3].len, 1,
		    1000000, &pageno) == -1)
			problem_field(&p, "page_number", 11, "must be a page "
			    "number from 1");
		for (i = 1; i <= 2; i++)
			if (v[i].len > 0 && uuid_parse(v[i].ptr, v[i].len,
			    q->after) == -1)
				problem_field(&p, names[i], strlen(names[i]),
				    "must be an api_token_id");
		if (v[1].len > 0 && v[2].len > 0)
			problem_field(&p, "before", 6, "goes with no after");
	}
	if (policy_entity_type(ent.ptr, ent.len) != ENT_WORKSPACE) {
		problem_init(&p, 404, "There is no such workspace.");
	} else if (p.nerr == 0 && !api_entity_list(caller,
	    buf_cstr(&caller->organization), buf_cstr(&ent), q))
		problem_init(&p, 403, "This token may not read the tokens of "
		    "this workspace.");
	ok = p.nerr == 0 && p.status == 422;
	if (ok) {
		q->limit = (size_t)limit;
		q->offset = (size_t)(pageno - 1) * q->limit;
		q->has_after = v[1].len > 0 || v[2].len > 0;
		q->before = v[2].len > 0;
		q->now = r->now;
	} else
		problem_reply(r, &p);
	for (i = 0; i < 4; i++)
		buf_free(&v[i]);
	buf_free(&ent);
	return ok;
}

static void
page(struct req *r, const struct page *pg)
{
	struct buf	 out = BUF_INIT;
	struct jsonw	 w;
	char		 id[UUID_STRLEN + 1];
	size_t		 i;

	jw_init(&w, &out);
	jw_obj_open(&w, NULL);
	jw_arr_open(&w, "data");
	for (i = 0; i < pg->n; i++) {
		uuid_format(pg->recs[i].id, id);
		jw_obj_open(&w, NULL);
		jw_str(&w, "api_token_id", id);
		if (pg->recs[i].name.len > 0)
			jw_str(&w, "name", buf_cstr(&pg->recs[i].name));
		else
			jw_null(&w, "name");
		jw_time(&w, "expires_at", pg->recs[i].expires_at);
		jw_time(&w, "created_at", pg->recs[i].created_at);
		jw_obj_close(&w);
	}
	jw_arr_close(&w);
	jw_bool(&w, "has_more", pg->more);
	jw_int(&w, "total", (int64_t)pg->total);
	jw_obj_close(&w);
	api_json_reply(r, 200, &out);
	buf_free(&out);
}

const struct dialect dialect_deepset = {
	.name = "deepset",
	.credential = dialect_bearer,
	.error = error,
	.mint = mint,
	.minted = 200,
	.members = members,
	.secret_key = "api_token",
	.list = list,
	.page = page,
};
