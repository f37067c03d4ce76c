/*
 * POST /v1/tokens/{id}/rotate — a new secret for the same token.
 * Needs tokens:rotate and every grant the token holds (a token may
 * always rotate itself).  Body (optional): {"grace_seconds": 0..2592000}
 * — how long the old secret keeps working (0, the default: not at all).
 * 200 with the token object and "token", the new secret, shown in this
 * response only.  404 unknown or not visible; 409 revoked or expired.
 */
#include <sodium.h>

#include "keyhole.h"

static void
rotate(struct req *r)
{
	struct tok_rec	 caller, tok;
	unsigned char	 id[UUID_LEN];
	int64_t		 grace;
	enum op_err	 e;
	enum store_err	 se;
	char		 secret[SECRET_BUFSZ];

	tok_rec_init(&caller);
	tok_rec_init(&tok);
	if (!api_caller(r, SCOPE_TOKENS_ROTATE, &caller) ||
	    !api_target(r, &caller, id) ||
	    !r->dialect->rotate(r, &grace))
		goto done;
	e = tokens_rotate(r->store, id, &caller, grace, r->now, r->remote_addr,
	    secret, sizeof(secret), &tok, &se);
	if (e != OP_OK) {
		api_op_error(r, e, se, &caller, id);
		goto done;
	}
	dialect_token(r, 200, &tok, secret);
	sodium_memzero(secret, sizeof(secret));
done:
	tok_rec_free(&tok);
	tok_rec_free(&caller);
}

int
main(void)
{
	return req_serve(ACT_ROTATE, rotate);
}
