/*
 * POST /v1/revoke — RFC 7009 token revocation, by the token value.
 * token= form-encoded (or JSON {"token": ...}); token_type_hint is
 * ignored.  With client credentials (Bearer, client_secret_basic or
 * client_secret_post: RFC 7009 2.1 checks them), the caller needs
 * tokens:revoke and every grant of the token; without any, the token
 * presented speaks for itself (whoever holds a leaked secret may kill it).  200 with an
 * empty body, also for an unknown or invalid token (RFC 7009 2.2);
 * errors OAuth-style.
 */
#include "keyhole.h"

static void
revoke(struct req *r)
{
	struct tok_rec	 caller, *cp = NULL;
	struct buf	 secret = BUF_SECRET_INIT;
	enum op_err	 e;
	enum store_err	 se;

	tok_rec_init(&caller);
	if (!api_store_ok(r))
		goto done;
	if (oauth_client_given(r)) {
		if (!api_caller(r, SCOPE_TOKENS_REVOKE, &caller))
			goto done;
		cp = &caller;
	}
	if (!api_token_param(r, &secret))
		goto done;
	e = tokens_revoke_secret(r->store, secret.ptr, secret.len, cp, r->now,
	    r->remote_addr, &se);
	if (e == OP_OK)
		req_reply(r, 200, NULL, NULL, 0);
	else
		api_op_error(r, e, se, cp, NULL);
done:
	buf_free(&secret);
	tok_rec_free(&caller);
}

int
main(void)
{
	return req_serve(ACT_REVOKE_SECRET, revoke);
}
