/*
 * GET /.well-known/jwks.json — the public keys JWT-format tokens are
 * signed with (RFC 7517, OKP Ed25519), every key that still verifies.
 * No credential: a verifier needs only this to check a keyhole JWT's
 * signature and times (revocation reaches it through exp, or at once
 * through introspection).  It reads jwt.keys alone: it never joins the
 * store's environment.
 */
#include "keyhole.h"

static void
jwks(struct req *r)
{
	struct buf	 out = BUF_INIT;

	if (claims_jwks(r->home, r->now, &out) == -1)
		problem_send(r, 503, "The signing keys cannot be read.");
	else {
		/*
		 * Public; a minute, for a new key signs at once (verifiers
		 * also fetch it again on a kid they do not know).
		 */
		req_header(r, "Cache-Control", "public, max-age=60");
		req_reply(r, 200, "application/jwk-set+json", out.ptr, out.len);
	}
	buf_free(&out);
}

int
main(void)
{
	return req_serve(ACT_JWKS, jwks);
}
