/*
 * dialect: how one platform's token API speaks over keyhole's one model —
 * where the caller's credential is, how a request maps onto a mint or a
 * listing, how a token, a page and an error are written.  The native API
 * and the OAuth (RFC 7662/7009) shape are dialects like the seeds'.  A
 * dialect only maps: the caller check, the policy and the store are the
 * same for all (api.c, tokens.c, policy.c).
 */
#ifndef KH_DIALECT_H
#define KH_DIALECT_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "tokens.h"

struct req;
struct problem;
struct mint_req;
struct list_query;
struct json_doc;
struct jsonw;
struct patch_req;

struct dialect {
	const char	*name;
	/* The caller's secret from the request: 1 found, 0 none sent. */
	int	(*credential)(struct req *, const char **, size_t *);
	/*
	 * Writes an error.  p->status names the outcome as the native API
	 * numbers it (422 invalid fields, 401, 403, ...); the dialect
	 * answers its own status and envelope for it.
	 */
	void	(*error)(struct req *, const struct problem *);
	/* Maps a mint request (path, query, body) onto m: 0 answered. */
	int	(*mint)(struct req *, const struct tok_rec *caller,
		    struct mint_req *);
	int	 minted;	/* a mint's success status */
	/* A token's members, and the member its secret goes in (shown once). */
	void	(*members)(struct jsonw *, const struct tok_rec *, int64_t now);
	const char *secret_key;
	/* Answers a token in another shape than {members, secret} (NULL: that one). */
	void	(*token)(struct req *, int status, const struct tok_rec *,
		    const char *secret);
	/* Maps a listing's query onto q: 0 answered. */
	int	(*list)(struct req *, const struct tok_rec *caller,
		    struct list_query *);
	void	(*page)(struct req *, const struct page *);
	/* Finds the token a path names (NULL: by "{id}"): 0 answered. */
	int	(*target)(struct req *, const struct tok_rec *caller,
		    unsigned char id[UUID_LEN]);
	/* Maps a change (PATCH or the dialect's) onto pr: 0 answered. */
	int	(*update)(struct req *, struct json_doc *, struct patch_req *);
	/* Reads a rotation's grace (seconds) from the request: 0 answered. */
	int	(*rotate)(struct req *, int64_t *grace);
	/* Answers a revoked token (NULL: 204, no body). */
	void	(*revoked)(struct req *, const unsigned char id[UUID_LEN]);
};

extern const struct dialect dialect_native;	/* /v1: schema/openapi.yaml */
extern const struct dialect dialect_oauth;	/* RFC 7662, RFC 7009 */
extern const struct dialect dialect_archil;	/* Archil's /api/tokens */
extern const struct dialect dialect_timbal;	/* Timbal's enrollment tokens */
extern const struct dialect dialect_deepset;	/* deepset's /api/v1/token */
extern const struct dialect dialect_astronomer;	/* Astronomer's organization tokens */
extern const struct dialect dialect_turso;	/* Turso's API tokens */
extern const struct dialect dialect_guard;	/* the authorizer (no routes) */

/*
 * Answers status with a token in the route's dialect; secret (NULL: none)
 * is shown this once, and the buffer that held it is wiped.
 */
void	 dialect_token(struct req *, int status, const struct tok_rec *,
	    const char *secret);
/*
 * Answers an error as one object whose members() writes a one-line
 * message (the first bad field, else the detail) and the status; invalid
 * fields are 400 (Archil, Astronomer, Turso).
 */
void	 dialect_error_object(struct req *, const struct problem *,
	    void (*members)(struct jsonw *, const char *msg, int status));
/* Authorization: Bearer <secret> (RFC 6750), the usual credential. */
int	 dialect_bearer(struct req *, const char **, size_t *);
/*
 * Did the request come with client credentials (RFC 6749 2.3.1): an
 * Authorization header, or a client_id in the form?  Then they are checked.
 */
int	 oauth_client_given(struct req *);
/* Archil's keys start so, and it sends them as the whole Authorization header. */
#define ARCHIL_PREFIX	"key-"
/* Bearer, or Archil's key as the whole Authorization header. */
int	 dialect_any_credential(struct req *, const char **, size_t *);
/* A rotation whose old secret dies at once (no grace), for dialects with no say. */
int	 dialect_no_grace(struct req *, int64_t *);
/* The RFC 9457 problem document (the native API's and Timbal's errors). */
void	 dialect_problem(struct req *, const struct problem *);

#endif
