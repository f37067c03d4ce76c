/*
 * Mint a token: POST /v1/tokens, and each dialect's mint route
 * (lib/route.c).  Needs tokens:create.  The dialect maps the request onto
 * one mint (native: {name, scopes, description?, expires_in? |
 * expires_at?, metadata?, organization?, subject?, ...}); the answer is
 * the token with its secret, shown in this response only (native: 201).
 */
#include <string.h>

#include <sodium.h>

#include "keyhole.h"

static void
create(struct req *r)
{
	struct tok_rec	 caller, tok;
	struct mint_req	 m;
	enum mint_err	 e;
	enum store_err	 se;
	char		 secret[SECRET_BUFSZ];

	tok_rec_init(&caller);
	tok_rec_init(&tok);
	mint_req_init(&m);
	if (!api_caller(r, SCOPE_TOKENS_CREATE, &caller) ||
	    !r->dialect->mint(r, &caller, &m))
		goto done;
	e = tokens_mint(r->store, &caller, &m, r->now, r->remote_addr,
	    secret, sizeof(secret), &tok, &se);
	if (e == MINT_OK)
		dialect_token(r, r->dialect->minted, &tok, secret);
	else
		api_mint_error(r, e, se, &caller);
	sodium_memzero(secret, sizeof(secret));
done:
	mint_req_free(&m);
	tok_rec_free(&tok);
	tok_rec_free(&caller);
}

int
main(void)
{
	return req_serve(ACT_MINT, create);
}
