/* dialect_oauth: the RFC 7662 and RFC 7009 endpoints — Bearer client credentials, errors as RFC 6749 5.2 names them. */
#include "dialect.h"
#include "problem.h"

static void
error(struct req *r, const struct problem *p)
{
	int	 s = p->status;

	oauth_error(r, s, s == 503 ? "temporarily_unavailable" :
	    s >= 500 ? "server_error" :
	    s == 401 || s == 429 ? "invalid_client" :
	    s == 403 ? "insufficient_scope" : "invalid_request", p->detail);
}

const struct dialect dialect_oauth = {
	.name = "oauth",
	.credential = dialect_bearer,
	.error = error,
};
