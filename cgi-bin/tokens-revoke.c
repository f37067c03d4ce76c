/*
 * DELETE /v1/tokens/{id} — revoke a token.
 * Needs tokens:revoke and every scope the token holds (a token may always
 * revoke itself).  204, again 204 when already revoked; 404 when unknown
 * or in another organization.
 */
#include "keyhole.h"

static void
revoke(struct req *r)
{
	struct tok_rec	 caller;
	unsigned char	 id[UUID_LEN];
	enum store_err	 e;
	int		 denied;

	tok_rec_init(&caller);
	if (!req_method(r, "DELETE", ALLOW_TOKEN) ||
	    !api_caller(r, SCOPE_TOKENS_REVOKE, &caller))
		goto done;
	if (!api_path_id(r, id))
		goto done;
	e = tokens_revoke(r->store, id, &caller, r->now, r->remote_addr, &denied);
	if (e == STORE_NOTFOUND)
		problem_send(r, 404, "No token has this id.");
	else if (e != STORE_OK)
		api_store_error(r, e);
	else if (denied)
		problem_send(r, 403, "The token holds scopes this caller does "
		    "not; only such a caller may revoke it.");
	else
		req_reply(r, 204, NULL, NULL, 0);
done:
	tok_rec_free(&caller);
}

int
main(void)
{
	return req_serve(revoke);
}
