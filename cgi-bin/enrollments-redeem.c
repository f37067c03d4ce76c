/*
 * POST /v1/enrollments/redeem — trade an enrollment token for a
 * standard one.  No Authorization: the enrollment secret in the body is
 * the credential.  Body: {"token": <enrollment secret>, "name": ...,
 * "description"?, "metadata"?, "expires_in"? | "expires_at"?}.
 * 201 like a mint: the new token carries the enrollment's organization,
 * entity, bindings and scopes, and "token", its secret, shown once.
 * The enrollment's use is spent only when the new token is stored.
 * 401 for a secret that is no active enrollment token (429 with
 * Retry-After once an address has had too many refused this minute).
 */
#include <sodium.h>

#include "keyhole.h"

static void
redeem(struct req *r)
{
	struct tok_rec	 tok;
	struct mint_req	 m;
	struct json_doc	 doc;
	struct buf	 enr = BUF_SECRET_INIT;
	enum mint_err	 e;
	enum store_err	 se;
	char		 secret[SECRET_BUFSZ];

	tok_rec_init(&tok);
	mint_req_init(&m);
	if (!api_store_ok(r) ||
	    !api_json_body(r, &doc))
		goto done;
	if (api_redeem_parse(r, &doc, &enr, &m)) {
		e = tokens_redeem(r->store, enr.ptr, enr.len, &m, r->now,
		    r->remote_addr, secret, sizeof(secret), &tok, &se);
		if (e == MINT_OK) {
			dialect_token(r, 201, &tok, secret);
			sodium_memzero(secret, sizeof(secret));
		} else if (e == MINT_INACTIVE)
			api_auth_refused(r, "enrollment token not active", NULL,
			    NULL);
		else
			api_mint_error(r, e, se, NULL);
	}
	json_free(&doc);
done:
	buf_free(&enr);
	mint_req_free(&m);
	tok_rec_free(&tok);
}

int
main(void)
{
	return req_serve(ACT_REDEEM, redeem);
}
