/*
 * PATCH /v1/tokens/{id} — rename, describe, change metadata.
 * Needs tokens:update and every grant the token holds (a token may
 * always update itself).  Body (application/json or
 * application/merge-patch+json): name, description (null clears),
 * metadata (an RFC 7396 merge patch; the result at most 4096 bytes).
 * 200 with the token object; 404 unknown or not visible; 409 revoked.
 */
#include "keyhole.h"

static void
update(struct req *r)
{
	struct tok_rec	 caller, tok;
	struct patch_req p;
	struct json_doc	 doc;
	unsigned char	 id[UUID_LEN];
	enum op_err	 e;
	enum store_err	 se;

	tok_rec_init(&caller);
	tok_rec_init(&tok);
	patch_req_init(&p);
	doc.tok = NULL;
	if (!api_caller(r, SCOPE_TOKENS_UPDATE, &caller) ||
	    !api_target(r, &caller, id) || !r->dialect->update(r, &doc, &p))
		goto done;
	e = tokens_update(r->store, id, &caller, &p, r->now, r->remote_addr,
	    &tok, &se);
	if (e == OP_OK)
		dialect_token(r, 200, &tok, NULL);
	else
		api_op_error(r, e, se, &caller, id);
done:
	if (doc.tok != NULL)
		json_free(&doc);
	patch_req_free(&p);
	tok_rec_free(&tok);
	tok_rec_free(&caller);
}

int
main(void)
{
	return req_serve(ACT_UPDATE, update);
}
