/*
 * POST /v1/tokens/{id}/rotate/finish — end a rotation's grace now: the
 * previous secret stops working at once.
 * Needs tokens:rotate and every grant the token holds.  No body.
 * 200 with the token object (also when no grace was running).
 */
#include "keyhole.h"

static void
finish(struct req *r)
{
	struct tok_rec	 caller, tok;
	unsigned char	 id[UUID_LEN];
	enum op_err	 e;
	enum store_err	 se;

	tok_rec_init(&caller);
	tok_rec_init(&tok);
	if (!api_caller(r, SCOPE_TOKENS_ROTATE, &caller) ||
	    !api_target(r, &caller, id))
		goto done;
	e = tokens_rotate_finish(r->store, id, &caller, r->now, r->remote_addr,
	    &tok, &se);
	if (e != OP_OK) {
		api_op_error(r, e, se, &caller, id);
		goto done;
	}
	dialect_token(r, 200, &tok, NULL);
done:
	tok_rec_free(&tok);
	tok_rec_free(&caller);
}

int
main(void)
{
	return req_serve(ACT_FINISH, finish);
}
