/*
 * POST /v1/tokens — mint a token.
 * Needs tokens:create.  Body: {name, scopes, description?, expires_in? |
 * expires_at?, metadata?, organization?, subject?}.  201 with the token
 * object and "token", the secret, shown in this response only.
 */
#include <string.h>

#include <sodium.h>

#include "keyhole.h"

static void
create(struct req *r)
{
	struct tok_rec	 caller, tok;
	struct mint_req	 m;
	struct json_doc	 doc;
	enum mint_err	 e;
	enum store_err	 se;
	char		 secret[TOK_SECRET_MAX + 1];

	tok_rec_init(&caller);
	tok_rec_init(&tok);
	mint_req_init(&m);
	if (!req_method(r, "POST", ALLOW_TOKENS) ||
	    !api_caller(r, SCOPE_TOKENS_CREATE, &caller) ||
	    !api_json_body(r, &doc))
		goto done;
	if (api_mint_parse(r, &doc, &m)) {
		e = tokens_mint(r->store, &caller, &m, r->now, r->remote_addr,
		    secret, sizeof(secret), &tok, &se);
		if (e == MINT_OK) {
			api_token_reply(r, 201, &tok, secret);
			sodium_memzero(secret, sizeof(secret));
		} else
			api_mint_error(r, e, se, &caller);
	}
	json_free(&doc);
done:
	mint_req_free(&m);
	tok_rec_free(&tok);
	tok_rec_free(&caller);
}

int
main(void)
{
	return req_serve(create);
}
