/*
 * POST /v1/introspect — RFC 7662 token introspection.
 * Needs tokens:introspect.  The token parameter comes form-encoded (as the
 * RFC says) or as JSON {"token": ...}.  An active token answers active,
 * scope (what holds at its own entity), jti, sub, iat, exp (absent if
 * never), token_type, organization, entity, and its grants per entity as
 * RFC 9396 authorization_details; anything else, a token at an entity
 * where the caller does not hold tokens:introspect included, answers
 * exactly {"active": false}.  An active answer is a use of the token: a
 * token with max_uses spends one.  Errors are OAuth-style.
 */
#include "keyhole.h"

static void
introspect(struct req *r)
{
	struct tok_rec	 caller, tok;
	struct buf	 secret = BUF_SECRET_INIT, out = BUF_INIT;
	struct jsonw	 w;
	enum auth_result ar;
	enum store_err	 se;

	tok_rec_init(&caller);
	tok_rec_init(&tok);
	if (!api_caller(r, SCOPE_TOKENS_INTROSPECT, &caller) ||
	    !api_token_param(r, &secret))
		goto done;
	ar = tokens_lookup(r->store, secret.ptr, secret.len, KIND_STANDARD,
	    r->now, &tok, &se);
	if (ar == AUTH_OK && !policy_sees(&caller, &tok,
	    SCOPE_TOKENS_INTROSPECT))
		ar = AUTH_UNKNOWN;
	if (ar == AUTH_OK)
		ar = tokens_use(r->store, &tok, r->now, r->remote_addr,
		    r->user_agent, &se);
	if (ar == AUTH_STORE) {
		api_store_error(r, se);
		goto done;
	}
	jw_init(&w, &out);
	jw_obj_open(&w, NULL);
	if (ar == AUTH_OK)
		tokens_introspection_json(&w, &tok);
	else
		jw_bool(&w, "active", 0);
	jw_obj_close(&w);
	api_json_reply(r, 200, &out);
done:
	buf_free(&secret);
	buf_free(&out);
	tok_rec_free(&tok);
	tok_rec_free(&caller);
}

int
main(void)
{
	return req_serve(ACT_INTROSPECT, introspect);
}
