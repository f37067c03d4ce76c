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

/* The body is optional: none, or an object with grace_seconds only. */
static int
grace_param(struct req *r, int64_t *grace)
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
rotate(struct req *r)
{
	struct tok_rec	 caller, tok;
	unsigned char	 id[UUID_LEN];
	int64_t		 grace;
	enum op_err	 e;
	enum store_err	 se;
	char		 secret[TOK_SECRET_MAX + 1];

	tok_rec_init(&caller);
	tok_rec_init(&tok);
	if (!api_caller(r, SCOPE_TOKENS_ROTATE, &caller) ||
	    !api_path_id(r, id) ||
	    !grace_param(r, &grace))
		goto done;
	e = tokens_rotate(r->store, id, &caller, grace, r->now, r->remote_addr,
	    secret, sizeof(secret), &tok, &se);
	if (e != OP_OK) {
		api_op_error(r, e, se, &caller, id);
		goto done;
	}
	r->dialect->token(r, 200, &tok, secret);
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
