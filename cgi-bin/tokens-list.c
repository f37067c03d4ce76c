/*
 * List tokens: GET /v1/tokens, and each dialect's listing; oldest
 * first, never a secret.
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
	struct page	 pg;
	enum store_err	 e;

	tok_rec_init(&caller);
	list_query_init(&q);
	if (!api_caller(r, SCOPE_TOKENS_READ, &caller) ||
	    !r->dialect->list(r, &caller, &q))
		goto done;
	recs = tok_recs_new(q.limit);
	e = tokens_list(r->store, &q, recs, &pg);
	if (e != STORE_OK) {
		api_store_error(r, e);
		goto done;
	}
	r->dialect->page(r, &pg);
done:
	tok_recs_free(recs, q.limit);
	list_query_free(&q);
	tok_rec_free(&caller);
}

int
main(void)
{
	return req_serve(ACT_LIST, list);
}
