/*
 * Validate the caller's own token: GET /v1/auth/validate and
 * GET /v1/auth/api-tokens/validate (Turso).  Any active token may; the
 * call is a use.  200 {"exp": Unix seconds, or -1 when it never expires}.
 */
#include "keyhole.h"

static void
validate(struct req *r)
{
	struct tok_rec	 caller;
	struct buf	 out = BUF_INIT;
	struct jsonw	 w;

	tok_rec_init(&caller);
	if (api_caller(r, NULL, &caller)) {
		jw_init(&w, &out);
		jw_obj_open(&w, NULL);
		jw_int(&w, "exp", caller.expires_at != 0 ? caller.expires_at : -1);
		jw_obj_close(&w);
		api_json_reply(r, 200, &out);
	}
	buf_free(&out);
	tok_rec_free(&caller);
}

int
main(void)
{
	return req_serve(ACT_VALIDATE, validate);
}
