/* claims: a token as a signed JWT (its claims, its signing keys cached per process), and a presented JWT checked before its record is read. */
#ifndef KH_CLAIMS_H
#define KH_CLAIMS_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct jsonw;

#define ISSUER_DEFAULT	"keyhole"	/* KEYHOLE_ISSUER overrides */

/*
 * The token's grants as claims, the same in a JWT and an introspection:
 * scope (what holds at its entity as a whole), entity, and every grant
 * as RFC 9396 authorization_details.
 */
void	 claims_grants(struct jsonw *, const struct tok_rec *);
/*
 * The token as a JWT signed with the store's current key (a first key is
 * made if there is none), generation gen (its rotations), into secret
 * (secretsz bytes), with the keyed hash and the hint the store keeps.
 * -1 when no key could be had; CLAIMS_TOO_LONG when the JWT would be
 * longer than JWT_MAXLEN (too many grants for a JWT).
 */
#define CLAIMS_TOO_LONG	(-2)
int	 claims_sign(struct store *, const struct tok_rec *, int64_t gen,
	    int64_t now, char *secret, size_t secretsz,
	    unsigned char hash[TOK_HASH_LEN], char hint[TOK_HINT_LEN + 1]);
/*
 * A presented JWT: 1 when it verifies against a key of the store's
 * (jti and gen are then its claims), -1 when it does not (refused
 * without reading a record).
 */
int	 claims_check(struct store *, const char *s, size_t len, int64_t now,
	    unsigned char jti[UUID_LEN], int64_t *gen);
/*
 * A presented JWT whose record the caller looks up by its keyed hash:
 * 0 when its header names a key of the store's live at now, else -1.
 * No signature check: finding the hash proves it was minted as it is.
 */
int	 claims_key_live(struct store *, const char *s, size_t len, int64_t now);
/* Writes the JWKS of the keys in the store directory home; -1 if they cannot be read. */
int	 claims_jwks(const char *home, int64_t now, struct buf *out);

#endif
