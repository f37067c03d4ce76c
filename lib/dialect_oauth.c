/* dialect_oauth: the RFC 7662 and RFC 7009 endpoints — the client's credentials, errors as RFC 6749 5.2 names them. */
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "dialect.h"
#include "problem.h"
#include "request.h"

/* Keeps id as the client's id when it can be one (not empty, no NUL, fits). */
static int
client_id(struct req *r, const struct buf *id)
{
	if (id->len == 0 || id->len >= sizeof(r->client_id) ||
	    memchr(id->ptr, '\0', id->len) != NULL)
		return 0;
	memcpy(r->client_id, id->ptr, id->len);
	r->client_id[id->len] = '\0';
	return 1;
}

/* client_secret_basic: "Basic base64(id:secret)", each form-encoded (RFC 6749 2.3.1). */
static int
basic(struct req *r)
{
	struct buf	 raw = BUF_SECRET_INIT, id = BUF_INIT;
	const char	*b64 = r->authorization + 6, *colon;
	size_t		 n, len = strlen(b64);
	int		 ok = 0;

	buf_reserve(&raw, len);
	if (sodium_base642bin((unsigned char *)raw.ptr, len, b64, len, NULL,
	    &n, NULL, sodium_base64_VARIANT_ORIGINAL) == 0 &&
	    (colon = memchr(raw.ptr, ':', n)) != NULL)
		ok = req_url_decode(raw.ptr, (size_t)(colon - raw.ptr),
		    &id) == 0 && req_url_decode(colon + 1,
		    n - (size_t)(colon - raw.ptr) - 1, &r->cred) == 0 &&
		    r->cred.len > 0 && client_id(r, &id);
	buf_free(&raw);
	buf_free(&id);
	r->client_basic = 1;
	return ok;
}

/* A parameter of the form body: 1 found, 0 absent (or no form), -1 malformed. */
static int
form_get(struct req *r, const char *name, struct buf *out)
{
	if (!req_type_is(r, "application/x-www-form-urlencoded") ||
	    req_body(r) == -1)
		return 0;
	return req_form_get(r->body.ptr != NULL ? r->body.ptr : "",
	    r->body.len, name, out);
}

/* client_secret_post: client_id and client_secret in the form body. */
static int
post(struct req *r)
{
	struct buf	 id = BUF_INIT;
	int		 ok;

	ok = form_get(r, "client_id", &id) == 1 &&
	    form_get(r, "client_secret", &r->cred) == 1 && r->cred.len > 0 &&
	    client_id(r, &id);
	buf_free(&id);
	return ok;
}

/* Does the form body have this parameter? */
static int
form_has(struct req *r, const char *name)
{
	struct buf	 v = BUF_SECRET_INIT;
	int		 has;

	has = form_get(r, name, &v) != 0;
	buf_free(&v);
	return has;
}

int
oauth_client_given(struct req *r)
{
	return *r->authorization != '\0' || form_has(r, "client_id");
}

/*
 * The client authenticates (RFC 6749 2.3.1) with its id and secret in
 * HTTP Basic (client_secret_basic) or in the form (client_secret_post),
 * or with a Bearer token (RFC 6750).  A client is a token: the id its
 * id, the secret its secret (api_caller_needs checks they belong).
 */
static int
credential(struct req *r, const char **s, size_t *len)
{
	if (*r->authorization != '\0') {
		/* One method a request (RFC 6749 2.3): not a header and a form too. */
		if (form_has(r, "client_secret"))
			return 0;
		if (strncasecmp(r->authorization, "Basic ", 6) != 0)
			return dialect_bearer(r, s, len);
		if (!basic(r))
			return 0;
	} else if (!post(r))
		return 0;
	*s = r->cred.ptr;
	*len = r->cred.len;
	return 1;
}

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
	.credential = credential,
	.error = error,
};
