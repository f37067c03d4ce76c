/* jwt: EdDSA (Ed25519) JSON Web Tokens, their signing keys in jwt.keys, rotation, and the JWKS. */
#ifndef KH_JWT_H
#define KH_JWT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "json.h"

/*
 * home/jwt.keys, mode 0640, one key a line:
 *   kid created_at retire_at seed
 * kid: 1..32 of [A-Za-z0-9._-] (made: 16 lower-case hex digits), unique;
 * created_at: Unix seconds; retire_at: Unix seconds, 0 for a current key;
 * seed: the 32-byte Ed25519 seed in base64url without padding (43 chars).
 * A key verifies (and is in the JWKS) until retire_at; the newest current
 * key signs.
 */
#define JWT_KEYFILE	"jwt.keys"	/* beside the databases */
#define JWT_MAXKEYS	16
#define JWT_KIDMAX	32		/* characters in a kid */
#define JWT_MAXLEN	4096		/* bytes in a token, signed or accepted */

struct jwt_key {
	char		 kid[JWT_KIDMAX + 1];
	int64_t		 created_at;
	int64_t		 retire_at;	/* 0: current */
	unsigned char	 pk[32];
	unsigned char	 sk[64];	/* secret: seed then pk, as libsodium has it */
};

struct jwt_keys {
	size_t		 n;
	struct jwt_key	 k[JWT_MAXKEYS];
};

/* Loads home/jwt.keys; a missing file is 0 keys (not an error). 0 ok, -1 with err. */
int	 jwt_keys_load(const char *home, struct jwt_keys *, char *err,
	    size_t errsz);
/* Wipes the secrets; n is 0 after. */
void	 jwt_keys_wipe(struct jwt_keys *);
/*
 * Adds a new current key created at now.  Every other key not yet retired
 * retires at now + grace, or sooner if it already had an earlier retire_at
 * (grace 0: the old keys stop now, for a leaked key).  Keys whose retire_at
 * has passed are dropped from the file.  The file is replaced atomically,
 * rotations of one store one at a time.  0 ok, -1 with err.
 */
int	 jwt_keys_rotate(const char *home, int64_t now, int64_t grace,
	    char *err, size_t errsz);
/* A first key, made under the rotation lock only if none signs yet.  0 ok, -1 with err. */
int	 jwt_keys_ensure(const char *home, int64_t now, char *err, size_t errsz);
/* The key that signs: the newest with retire_at == 0; NULL if none. */
const struct jwt_key *jwt_signer(const struct jwt_keys *);
/*
 * Appends base64url(header).base64url(claims).base64url(sig) to out, the
 * header {"alg":"EdDSA","typ":"JWT","kid":"<kid>"} exactly in that order.
 * claims is a JSON object's text (not checked).  0 ok; -1 with no signer,
 * or when the token would be longer than JWT_MAXLEN (out unchanged).
 */
int	 jwt_sign(const struct jwt_keys *, const char *claims, size_t len,
	    struct buf *out);
/* Is s shaped like a JWT (three non-empty base64url parts, at most JWT_MAXLEN bytes)? Cheap, no crypto. */
int	 jwt_shaped(const char *s, size_t len);
/*
 * Verifies the signature with the key its header's kid names (alg must be
 * EdDSA; a key whose retire_at is non-zero and <= now does not verify) and
 * appends the claims' text (as signed, not parsed) to claims.  0 ok, -1 not
 * valid (claims unchanged).  Does not check times: the caller reads exp/nbf.
 */
int	 jwt_verify(const struct jwt_keys *, int64_t now, const char *s,
	    size_t len, struct buf *claims);
/*
 * The checks of jwt_verify but the signature's: 0 when the header names a
 * key live at now (alg EdDSA, a signature of the right length), else -1.
 * For a JWT whose keyed hash the caller then finds in the store, which
 * proves it was minted as it is.
 */
int	 jwt_key_live(const struct jwt_keys *, int64_t now, const char *s,
	    size_t len);
/*
 * The JWKS, {"keys":[{"kty":"OKP","crv":"Ed25519","x":...,"kid":...,
 * "alg":"EdDSA","use":"sig"},...]}, of every key not retired at now, as
 * one value written to w where a value without a key may go.
 */
void	 jwt_jwks(const struct jwt_keys *, int64_t now, struct jsonw *);

#endif
