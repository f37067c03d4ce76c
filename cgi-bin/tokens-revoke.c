/*
 * DELETE /v1/tokens/{id}[?cascade=true] — revoke a token; with cascade
 * also every token it minted, and theirs, transitively.
 * Needs tokens:revoke and every grant the token holds (a token may
 * always revoke itself).  204, again 204 when already revoked; 404 when
 * unknown or not visible to the caller.  A cascade does a bounded step
 * a request: 202 {"id", "revoked", "remaining", "remaining_exact"} while
 * tokens are left (the token itself is revoked at once); the same request
 * again goes on where it stopped.
 */
#include <string.h>

#include "keyhole.h"

static const char *const params[] = { "cascade" };

/* cascade=true|false, nothing else in the query. */
static int
cascade_param(struct req *r, int *cascade)
{
	struct buf	 v = BUF_INIT;
	size_t		 len = strlen(r->query);
	int		 rc;

	*cascade = 0;
	rc = req_form_names_ok(r->query, len, params, 1) ?
	    req_form_get(r->query, len, "cascade", &v) : -1;
	if (rc == 1 && strcmp(buf_cstr(&v), "true") == 0)
		*cascade = 1;
	else if (rc != 0 && !(rc == 1 && strcmp(buf_cstr(&v), "false") == 0))
		rc = -1;
	buf_free(&v);
	if (rc == -1)
		problem_send(r, 400, "The query takes only cascade=true or "
		    "cascade=false.");
	return rc != -1;
}

/* 202: the cascade's step is done, tokens are left below. */
static void
accepted(struct req *r, const unsigned char id[UUID_LEN],
    const struct cascade *c)
{
	struct buf	 out = BUF_INIT;
	struct jsonw	 w;
	char		 sid[UUID_STRLEN + 1];

	uuid_format(id, sid);
	jw_init(&w, &out);
	jw_obj_open(&w, NULL);
	jw_str(&w, "id", sid);
	jw_str(&w, "status", "revoking");
	jw_int(&w, "revoked", (int64_t)c->revoked);
	jw_int(&w, "remaining", (int64_t)c->remaining);
	jw_bool(&w, "remaining_exact", c->remaining_exact);
	jw_obj_close(&w);
	req_reply(r, 202, "application/json", out.ptr, out.len);
	buf_free(&out);
}

static void
revoke(struct req *r)
{
	struct tok_rec	 caller;
	struct cascade	 c;
	unsigned char	 id[UUID_LEN];
	enum op_err	 e;
	enum store_err	 se;
	int		 cascade;

	tok_rec_init(&caller);
	if (!api_caller(r, SCOPE_TOKENS_REVOKE, &caller) ||
	    !api_target(r, &caller, id) ||
	    !cascade_param(r, &cascade))
		goto done;
	e = tokens_revoke(r->store, id, &caller, cascade, r->now,
	    r->remote_addr, &c, &se);
	if (e == OP_INCOMPLETE)
		accepted(r, id, &c);
	else if (e != OP_OK)
		api_op_error(r, e, se, &caller, id);
	else if (r->dialect->revoked != NULL)
		r->dialect->revoked(r, id);
	else
		req_reply(r, 204, NULL, NULL, 0);
done:
	tok_rec_free(&caller);
}

int
main(void)
{
	return req_serve(ACT_REVOKE, revoke);
}
