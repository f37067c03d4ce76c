/* tokens: the operations on tokens (mint, authenticate, revoke), shared by the endpoints and keyholectl. */
#ifndef KH_TOKENS_H
#define KH_TOKENS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "store.h"

struct jsonw;

#define NAME_MAXCHARS		100
#define DESCRIPTION_MAXCHARS	500
#define SUBJECT_MAXCHARS	200
#define METADATA_MAXBYTES	4096
#define LIFETIME_MAX		(10LL * 366 * 86400)	/* KEYHOLE_MAX_LIFETIME overrides */

/* What a mint asks for, already validated for form (api.c or keyholectl). */
struct mint_req {
	struct buf	 name;
	struct buf	 description;
	struct buf	 organization;	/* empty: the caller's */
	struct buf	 subject;	/* empty: the caller's */
	struct buf	 scopes;	/* sorted, unique, space-separated */
	struct buf	 metadata;	/* JSON object text; empty: {} */
	int64_t		 expires_at;	/* 0: none asked */
	int64_t		 expires_in;	/* 0: none asked */
	int64_t		 max_uses;	/* -1: unlimited */
	enum tok_kind	 kind;
	const char	*prefix;	/* NULL: KEYHOLE_PREFIX or "kh_" */
	int		 unaudited;	/* a bulk load: audited once for the batch */
};

struct json_doc;
struct problem;

void	 mint_req_init(struct mint_req *);
/*
 * Validates the mint fields of the object that is token 0 of doc into m,
 * by one table of accepted fields; every bad or unknown field is added to
 * p.  Returns the number of field errors (0: m is ready for tokens_mint).
 */
int	 mint_parse(const struct json_doc *, struct mint_req *, struct problem *);
void	 mint_req_free(struct mint_req *);

enum mint_err {
	MINT_OK = 0,
	MINT_SCOPE,		/* asks for a scope the caller does not hold */
	MINT_ORGANIZATION,	/* outside the caller's organization */
	MINT_LIFETIME,		/* outlives the caller, or the maximum lifetime */
	MINT_EXPIRED,		/* expires_at not in the future */
	MINT_STORE,		/* see *se */
	MINT__MAX
};

/*
 * Mints a token for caller (NULL: the admin tool, bound by nothing but
 * the maximum lifetime).  On MINT_OK the secret is in secret (size at
 * least TOK_SECRET_MAX + 1), to be shown once and wiped, and out holds
 * the stored record.
 */
enum mint_err	 tokens_mint(struct store *, const struct tok_rec *caller,
		    const struct mint_req *, int64_t now, const char *address,
		    char *secret, size_t secretsz, struct tok_rec *out,
		    enum store_err *se);
const char	*tokens_mint_strerror(enum mint_err);

enum auth_result {
	AUTH_OK = 0,
	AUTH_MALFORMED,		/* not a keyhole secret: the store was not asked */
	AUTH_UNKNOWN,
	AUTH_INACTIVE,		/* revoked, expired, not yet valid, used up */
	AUTH_STORE,		/* the store failed; see *se */
	AUTH__MAX
};

/* Looks up a secret; AUTH_OK only for an active token, which is in out. */
enum auth_result tokens_lookup(struct store *, const char *secret, size_t len,
		    int64_t now, struct tok_rec *out, enum store_err *se);

/*
 * Revokes a token (idempotent).  The caller (NULL: admin tool) must see
 * it (organization) and hold every scope it has.  Returns STORE_OK,
 * STORE_NOTFOUND (also when not visible), or a store error; *denied is
 * set when it exists but may not be revoked by this caller.
 */
enum store_err	 tokens_revoke(struct store *, const unsigned char id[UUID_LEN],
		    const struct tok_rec *caller, int64_t now,
		    const char *address, int *denied);

/* A listing: filters, page size and where to resume. */
struct list_query {
	size_t		 limit;
	int		 has_after;
	unsigned char	 after[UUID_LEN];
	int		 state;		/* an enum tok_state, or -1 for any */
	struct buf	 organization;	/* empty: any */
	int		 has_created_by;
	unsigned char	 created_by[UUID_LEN];
	struct buf	 name;		/* empty: any */
	int64_t		 now;
};

#define LIST_DEFAULT	50
#define LIST_MAX	1000
#define LIST_SCANMAX	10000	/* records examined per page at most */

void	 list_query_init(struct list_query *);
void	 list_query_free(struct list_query *);
/* An array of n initialised records, and its destructor (NULL is fine). */
struct tok_rec	*tok_recs_new(size_t n);
void		 tok_recs_free(struct tok_rec *, size_t n);
/*
 * One page of tokens matching q into recs (q->limit of them).  *next is
 * set (UUID_LEN bytes) and *more true when the listing goes on from there.
 */
enum store_err	 tokens_list(struct store *, const struct list_query *,
		    struct tok_rec *recs, size_t *n, int *more,
		    unsigned char next[UUID_LEN]);

/* The token object of the native API (schema/openapi.yaml). */
void		 tokens_json(struct jsonw *, const struct tok_rec *, int64_t now);
/* The members of an RFC 7662 answer for an active token. */
void		 tokens_introspection_json(struct jsonw *, const struct tok_rec *);
/* The scopes list as a JSON array under key. */
void		 tokens_scopes_json(struct jsonw *, const char *key, const char *scopes);

#endif
