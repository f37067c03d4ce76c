/*
 * GET /v1/tokens — list tokens, oldest first, never a secret.
 * Needs tokens:read; a caller bound to an organization sees only its own.
 * Query: limit (1..1000, default 50), cursor (from next_cursor), status
 * (active, revoked, expired, pending, exhausted, all), organization,
 * created_by, name.
 * 200 {"tokens": [...], "next_cursor": "..." | null}.
 */
#include "keyhole.h"

static void
list(struct req *r)
{
	struct tok_rec	 caller;
	struct list_query q;
	struct tok_rec	*recs = NULL;
	struct buf	 out = BUF_INIT;
	struct jsonw	 w;
	unsigned char	 last[UUID_LEN];
	char		 next[UUID_STRLEN + 1];
	size_t		 i, n = 0;
	int		 more;
	enum store_err	 e;

	tok_rec_init(&caller);
	list_query_init(&q);
	if (!req_method(r, "GET HEAD", ALLOW_TOKENS) ||
	    !api_caller(r, SCOPE_TOKENS_READ, &caller) ||
	    !api_list_query(r, &caller, &q))
		goto done;
	recs = tok_recs_new(q.limit);
	e = tokens_list(r->store, &q, recs, &n, &more, last);
	if (e != STORE_OK) {
		api_store_error(r, e);
		goto done;
	}
	jw_init(&w, &out);
	jw_obj_open(&w, NULL);
	jw_arr_open(&w, "tokens");
	for (i = 0; i < n; i++) {
		jw_obj_open(&w, NULL);
		tokens_json(&w, &recs[i], r->now);
		jw_obj_close(&w);
	}
	jw_arr_close(&w);
	if (more) {
		uuid_format(last, next);
		jw_str(&w, "next_cursor", next);
	} else
		jw_null(&w, "next_cursor");
	jw_obj_close(&w);
	api_json_reply(r, 200, &out);
done:
	tok_recs_free(recs, q.limit);
	list_query_free(&q);
	buf_free(&out);
	tok_rec_free(&caller);
}

int
main(void)
{
	return req_serve(list);
}
