/* dialect_native: keyhole's own API (schema/openapi.yaml) — the mint body, the token object, cursor pages, PATCH, rotation with a grace. */
#include "api.h"
#include "dialect.h"
#include "problem.h"

static int
mint(struct req *r, const struct tok_rec *caller, struct mint_req *m)
{
	struct json_doc	 doc;
	int		 ok;

	(void)caller;
	if (!api_json_body(r, &doc))
		return 0;
	ok = api_mint_parse(r, &doc, m);
	json_free(&doc);
	return ok;
}

static int
update(struct req *r, struct json_doc *doc, struct patch_req *pr)
{
	return api_patch_body(r, doc) && api_patch_parse(r, doc, pr);
}

/* The body is optional: none, or an object with grace_seconds only. */
static int
rotate(struct req *r, int64_t *grace)
{
	struct json_doc	 doc;
	struct problem	 p;
	struct buf	 key = BUF_INIT;
	int		 it = -1, k, v, ok = 1;

	*grace = 0;
	if (req_body(r) == -1)
		return 0;
	if (r->body.len == 0)
		return 1;
	if (!api_json_body(r, &doc))
		return 0;
	problem_init(&p, 422, "The request has invalid fields.");
	while (json_each(&doc, 0, &it, &k, &v))
		if (!json_key_is(&doc, k, "grace_seconds")) {
			buf_reset(&key);
			json_str(&doc, k, &key);
			problem_field(&p, key.ptr, key.len, "is not a known field; "
			    "rotate takes only grace_seconds");
		} else if (json_int(&doc, v, 0, GRACE_MAX, grace) == -1)
			problem_field(&p, "grace_seconds", 13, "must be a whole "
			    "number of seconds from 0 to 2592000 (30 days)");
	buf_free(&key);
	json_free(&doc);
	if (p.nerr > 0) {
		problem_reply(r, &p);
		ok = 0;
	}
	return ok;
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
	jw_arr_open(&w, "tokens");
	for (i = 0; i < pg->n; i++) {
		jw_obj_open(&w, NULL);
		tokens_json(&w, &pg->recs[i], r->now);
		jw_obj_close(&w);
	}
	jw_arr_close(&w);
	if (pg->more) {
		uuid_format(pg->last, next);
		jw_str(&w, "next_cursor", next);
	} else
		jw_null(&w, "next_cursor");
	jw_obj_close(&w);
	api_json_reply(r, 200, &out);
	buf_free(&out);
}

const struct dialect dialect_native = {
	.name = "native",
	.credential = dialect_bearer,
	.error = dialect_problem,
	.mint = mint,
	.minted = 201,
	.members = tokens_json,
	.secret_key = "token",
	.list = api_list_query,
	.page = page,
	.update = update,
	.rotate = rotate,
	.revoked = NULL,
};
