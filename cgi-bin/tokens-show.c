/*
 * GET /v1/tokens/{id} — one token's metadata, never its secret.
 * Needs tokens:read; a token outside the caller's organization, or at an
 * entity where the caller does not hold tokens:read, is 404, as if unknown.
 */
#include "keyhole.h"

static void
show(struct req *r)
{
	struct tok_rec	 caller, tok;
	unsigned char	 id[UUID_LEN];
	enum store_err	 e;

	tok_rec_init(&caller);
	tok_rec_init(&tok);
	if (!api_caller(r, SCOPE_TOKENS_READ, &caller))
		goto done;
	if (!api_target(r, &caller, id))
		goto done;
	e = store_get(r->store, id, &tok);
	if (e == STORE_OK && !policy_sees(&caller, &tok, SCOPE_TOKENS_READ))
		e = STORE_NOTFOUND;
	if (e == STORE_NOTFOUND)
		problem_send(r, 404, "No token has this id.");
	else if (e != STORE_OK)
		api_store_error(r, e);
	else
		dialect_token(r, 200, &tok, NULL);
done:
	tok_rec_free(&tok);
	tok_rec_free(&caller);
}

int
main(void)
{
	return req_serve(ACT_SHOW, show);
}
