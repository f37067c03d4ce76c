/*
 * dialect_archil: Archil's control-plane API keys (/api/tokens).  The
 * secret is the whole Authorization header ("key-..."; Bearer works too),
 * every answer is the envelope {success, data} or {success: false, error},
 * and a key acts for the whole account: it is a copy of its minter's
 * reach.
 */
#include <string.h>

#include "api.h"
#include "dialect.h"
#include "problem.h"

#define ARCHIL_LIST_MAX		100

static void
reply(struct req *r, int status, struct buf *out)
{
	api_json_reply(r, status, out);
	buf_free(out);
}

/* {success: false, error}; invalid fields are 400. */
static void
error_members(struct jsonw *w, const char *msg, int status)
{
	(void)status;
	jw_bool(w, "success", 0);
	jw_str(w, "error", msg);
}

static void
error(struct req *r, const struct problem *p)
{
	dialect_error_object(r, p, error_members);
}

static const struct body_field fields[] = {
	{ "name", "name", 1, 0 },
	{ "description", "description", 0, 0 },
};

static int
mint(struct req *r, const struct tok_rec *caller, struct mint_req *m)
{
	struct json_doc	 doc;
	struct problem	 p;
	int		 at[2], ok;

	if (!api_json_body(r, &doc))
		return 0;
	problem_init(&p, 422, "Invalid request parameters");
	ok = api_body_fields(&doc, fields, 2, m, at, &p);
	json_free(&doc);
	if (!ok) {
		problem_reply(r, &p);
		return 0;
	}
	mint_copy_caller(m, caller);
	m->prefix = ARCHIL_PREFIX;
	return 1;
}

/* ApiTokenResponse: strings only, an absent one left out. */
static void
object(struct jsonw *w, const struct tok_rec *t)
{
	char	 id[UUID_STRLEN + 1];

	uuid_format(t->id, id);
	jw_str(w, "id", id);
	jw_str(w, "name", buf_cstr(&t->name));
	if (t->description.len > 0)
		jw_str(w, "description", buf_cstr(&t->description));
	jw_str(w, "tokenSuffix", t->hint);
	jw_time(w, "createdAt", t->created_at);
	if (t->last_used_at != 0)
		jw_time(w, "lastUsedAt", t->last_used_at);
}

static void
token(struct req *r, int status, const struct tok_rec *t, const char *secret)
{
	struct buf	 out = BUF_SECRET_INIT;
	struct jsonw	 w;

	jw_init(&w, &out);
	jw_obj_open(&w, NULL);
	jw_bool(&w, "success", 1);
	jw_obj_open(&w, "data");
	object(&w, t);
	if (secret != NULL)
		jw_str(&w, "token", secret);
	jw_obj_close(&w);
	jw_obj_close(&w);
	reply(r, status, &out);
}

static int
list(struct req *r, const struct tok_rec *caller, struct list_query *q)
{
	static const char *const names[] = { "limit", "cursor" };
	struct buf	 v[2] = { BUF_INIT, BUF_INIT };
	struct problem	 p;
	int64_t		 limit;

	problem_init(&p, 400, "Invalid request parameters");
	q->limit = ARCHIL_LIST_MAX;
	if (api_query(r, names, 2, v, &p)) {
		if (v[0].len > 0 && json_int_text(v[0].ptr, v[0].len, 1,
		    ARCHIL_LIST_MAX, &limit) == -1)
			problem_field(&p, "limit", 5, "must be 1 to 100");
		else if (v[0].len > 0)
			q->limit = (size_t)limit;
		if (v[1].len > 0 && uuid_parse(v[1].ptr, v[1].len,
		    q->after) == -1)
			problem_field(&p, "cursor", 6, "is not a cursor this "
			    "service gave");
		else
			q->has_after = v[1].len > 0;
	}
	buf_free(&v[0]);
	buf_free(&v[1]);
	if (p.nerr > 0) {
		problem_reply(r, &p);
		return 0;
	}
	/*
	 * A key acts for its whole account, and lists its keys: the
	 * organization's list, for a caller that reads there; every
	 * organization's, for one bound to none.
	 */
	q->now = r->now;
	if (caller->organization.len == 0) {
		q->unrevoked = 1;
		q->viewer = caller;
		return 1;
	}
	if (!policy_allows_at(caller, ENTITY_ORG, SCOPE_TOKENS_READ)) {
		problem_send(r, 403, "This key may not list the account's keys.");
		return 0;
	}
	store_list_key(&q->list, LIST_ORG, buf_cstr(&caller->organization),
	    NULL, NULL);
	return 1;
}

static void
page(struct req *r, const struct page *pg)
{
	struct buf	 out = BUF_INIT;
	struct jsonw	 w;
	char		 next[UUID_STRLEN + 1];
	size_t		 i;

	jw_init(&w, &out);
	jw_obj_open(&w, NULL);
	jw_bool(&w, "success", 1);
	jw_obj_open(&w, "data");
	jw_arr_open(&w, "tokens");
	for (i = 0; i < pg->n; i++) {
		jw_obj_open(&w, NULL);
		object(&w, &pg->recs[i]);
		jw_obj_close(&w);
	}
	jw_arr_close(&w);
	if (pg->more) {
		uuid_format(pg->last, next);
		jw_str(&w, "nextCursor", next);
	}
	jw_obj_close(&w);
	jw_obj_close(&w);
	reply(r, 200, &out);
}

static void
revoked(struct req *r, const unsigned char id[UUID_LEN])
{
	struct buf	 out = BUF_INIT;
	struct jsonw	 w;
	char		 s[UUID_STRLEN + 1];

	uuid_format(id, s);
	jw_init(&w, &out);
	jw_obj_open(&w, NULL);
	jw_bool(&w, "success", 1);
	jw_obj_open(&w, "data");
	jw_str(&w, "id", s);
	jw_obj_close(&w);
	jw_obj_close(&w);
	reply(r, 200, &out);
}

const struct dialect dialect_archil = {
	.name = "archil",
	.credential = dialect_any_credential,
	.error = error,
	.mint = mint,
	.minted = 201,
	.token = token,
	.list = list,
	.page = page,
	.revoked = revoked,
};
