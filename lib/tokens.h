/* tokens: the operations on tokens (mint, lookup, use, change, revoke, audit), shared by the endpoints and keyholectl. */
#ifndef KH_TOKENS_H
#define KH_TOKENS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "policy.h"
#include "store.h"

struct jsonw;

#define NAME_MAXCHARS		100
#define DESCRIPTION_MAXCHARS	500
#define SUBJECT_MAXCHARS	200
#define METADATA_MAXBYTES	4096
#define LIFETIME_MAX		(10LL * 366 * 86400)	/* KEYHOLE_MAX_LIFETIME lowers it */
#define ENROLLMENT_TTL		86400	/* KEYHOLE_ENROLLMENT_TTL overrides */
#define ENROLLMENT_TTL_MAX	(30 * 86400)
#define USES_MAX		1000000000
#define GRACE_MAX		(30 * 86400)	/* longest rotation overlap */
#define LAST_USED_INTERVAL	60	/* KEYHOLE_LAST_USED_INTERVAL overrides */
#define AGENT_MAXBYTES		200
#define AUDIT_RETENTION		(400LL * 86400)	/* keyholectl sweep -a overrides */
#define SECRET_BUFSZ		4097	/* a secret, opaque or a JWT (JWT_MAXLEN), and its NUL */

/* What a mint asks for, already validated for form (api.c or keyholectl). */
struct mint_req {
	struct buf	 name;
	struct buf	 description;
	struct buf	 organization;	/* empty: the caller's */
	struct buf	 subject;	/* empty: the caller's (none with no_subject) */
	struct buf	 scopes;	/* direct scopes: sorted, unique, space-separated */
	struct buf	 bindings;	/* "ROLE@entity" or "ROLE@" (the token's entity) */
	struct buf	 entity;	/* empty: the caller's */
	struct buf	 metadata;	/* JSON object text; empty: {} */
	int64_t		 expires_at;	/* 0: none asked */
	int64_t		 expires_in;	/* 0: none asked */
	int64_t		 starts_at;	/* 0: at once */
	int64_t		 default_life;	/* none asked: this, shortened to the caller's
					   expiry and KEYHOLE_MAX_LIFETIME (0: none) */
	int64_t		 max_uses;	/* -1: unlimited (enrollment: 1) */
	enum tok_kind	 kind;
	enum tok_format	 format;	/* its secret: opaque, or a signed JWT */
	const char	*prefix;	/* NULL: KEYHOLE_PREFIX or "kh_" */
	int		 unaudited;	/* a bulk load: audited once for the batch */
	int		 no_subject;	/* a service token: speaks for no one */
	int		 unique_name;	/* the only live one of its name for its subject */
};

struct json_doc;
struct problem;
struct patch_req;

void	 mint_req_init(struct mint_req *);
/*
 * Validates the mint fields of the object that is token 0 of doc into m,
 * by one table of accepted fields; every bad or unknown field is added to
 * p.  Returns the number of field errors (0: m is ready for tokens_mint).
 */
int	 mint_parse(const struct json_doc *, struct mint_req *, struct problem *);
/*
 * A redemption body: the enrollment secret into secret, and the new
 * token's name, description, metadata and expiry into m, by the mint's
 * rules.  Returns the number of field errors added to p.
 */
int	 redeem_parse(const struct json_doc *, struct buf *secret,
	    struct mint_req *, struct problem *);
/* Validates one mint field by name (value token t); 1 valid. */
int	 mint_field(const struct json_doc *, const char *name, int t,
	    struct mint_req *, struct problem *);
/*
 * The caller's whole reach into m: its organization, entity, bindings,
 * direct scopes and uses left (for dialects whose tokens act for the
 * account that made them); asking no expiry, the mint gives the caller's.
 */
void	 mint_copy_caller(struct mint_req *, const struct tok_rec *caller);
void	 mint_req_free(struct mint_req *);
void	 patch_req_init(struct patch_req *);
void	 patch_req_free(struct patch_req *);

/*
 * A fresh secret (prefix NULL: KEYHOLE_PREFIX or kh_) with its keyed
 * hash and hint.  -1 if the system's randomness failed.
 */
int	 tokens_new_secret(struct store *, const char *prefix, char *secret,
	    size_t secretsz, unsigned char hash[TOK_HASH_LEN],
	    char hint[TOK_HINT_LEN + 1]);

enum mint_err {
	MINT_OK = 0,
	MINT_SCOPE,		/* 403: a grant (scope or role) the caller does not hold */
	MINT_ORGANIZATION,	/* 403: outside the caller's organization */
	MINT_ENTITY,		/* 403: outside the caller's entity */
	MINT_LIFETIME,		/* 403: outlives the caller, or the maximum lifetime */
	MINT_EXPIRED,		/* 422: expires_at not in the future */
	MINT_STARTS,		/* 422: starts_at not before the expiry */
	MINT_BINDING,		/* 422: a role not bindable there, or outside the entity */
	MINT_INACTIVE,		/* 401: the caller was revoked or used up meanwhile */
	MINT_SUBJECT,		/* 403: another subject, without tokens:assign */
	MINT_USES,		/* 403: more uses than the use-limited caller has left */
	MINT_TAKEN,		/* 409: the subject has a live token of this name (unique_name) */
	MINT_JWT_SIZE,		/* 422: too many grants for a JWT */
	MINT_STORE,		/* see *se */
	MINT__MAX
};

/*
 * Mints a token for caller (NULL: the admin tool, bound by nothing but
 * the maximum lifetime).  On MINT_OK the secret is in secret (size at
 * least SECRET_BUFSZ), to be shown once and wiped, and out (an
 * initialised record, which may be reused) holds the stored record.
 */
enum mint_err	 tokens_mint(struct store *, const struct tok_rec *caller,
		    const struct mint_req *, int64_t now, const char *address,
		    char *secret, size_t secretsz, struct tok_rec *out,
		    enum store_err *se);
const char	*tokens_mint_strerror(enum mint_err);

/*
 * Trades an enrollment secret for a standard token with its grants
 * (m: name, description, metadata, expiry).  The enrollment's use is
 * spent in the transaction that stores the new token.  MINT_INACTIVE
 * for a secret that is no active enrollment token.
 */
enum mint_err	 tokens_redeem(struct store *, const char *enrollment,
		    size_t len, const struct mint_req *, int64_t now,
		    const char *address, char *secret, size_t secretsz,
		    struct tok_rec *out, enum store_err *se);

enum auth_result {
	AUTH_OK = 0,
	AUTH_MALFORMED,		/* not a keyhole secret: the store was not asked */
	AUTH_UNKNOWN,
	AUTH_INACTIVE,		/* revoked, expired, not yet valid, used up */
	AUTH_SCOPE,		/* valid, but short of what was needed (struct need) */
	AUTH_STORE,		/* the store failed; see *se */
	AUTH__MAX
};

/*
 * A write's caller, re-read in the write's own transaction (a store_guard
 * with caller_guard_fn): still valid (policy_still_valid), then, for a
 * mint, bounding the new token (policy_bounds).  fresh is the caller as
 * re-read, for the write's own checks.
 */
enum guard_err {
	GUARD_OK = 0,
	GUARD_INACTIVE,		/* revoked, expired or rotated away meanwhile */
	GUARD_BOUND,		/* the mint reaches past the caller: see bound */
};
struct caller_guard {
	const struct tok_rec	*seen;	/* as authenticated */
	const struct tok_rec	*mint;	/* a mint's new token, or NULL */
	int64_t			 now;
	enum guard_err		 err;
	enum bound_err		 bound;
	struct tok_rec		 fresh;
};
void	 caller_guard_init(struct caller_guard *, const struct tok_rec *seen,
	    const struct tok_rec *mint, int64_t now);
void	 caller_guard_free(struct caller_guard *);
int	 caller_guard_fn(struct tok_rec *, void *);
/*
 * A list's match for its live tokens (lists hold no revoked one): not
 * expired at *(const int64_t *)now.
 */
int	 tokens_unexpired(const struct tok_rec *, void *now);
/* A copy of src into dst (initialised), through the record codec. */
void	 tok_rec_copy(struct tok_rec *dst, const struct tok_rec *src);

/*
 * Is this a secret of keyhole's, before any record is read?  0 a
 * well-formed opaque secret (its checksum), 1 a JWT whose signature
 * verifies (its jti and gen out), -1 neither.
 */
int	 tokens_secret_ok(struct store *, const char *secret, size_t len,
	    int64_t now, unsigned char jti[UUID_LEN], int64_t *gen);
/*
 * Looks up a secret; AUTH_OK only for an active token of kind, which is
 * in out (AUTH_INACTIVE also fills it in).  A previous secret counts
 * until its grace ends.
 */
enum auth_result tokens_lookup(struct store *, const char *secret, size_t len,
		    enum tok_kind kind, int64_t now, struct tok_rec *out,
		    enum store_err *se);
/*
 * What a caller must hold.  The API asks for a scope at some entity (each
 * act then checks its target); the authorizer for a location's scope at
 * the entity and in the organization it names, else at the token's own
 * entity.
 */
struct need {
	const char	*scope;		/* NULL: any valid token */
	const char	*organization;	/* NULL: any */
	const char	*entity;	/* NULL: see own */
	int		 own;		/* no entity named: 1 the token's own, 0 some */
	const char	*client;	/* an OAuth client's id: the token's, or unknown */
};
/*
 * The caller check every route and the authorizer make: the secret's
 * token, active and of the standard kind, holding what need says, its
 * use spent.  On AUTH_OK caller->uses_left is what it has left after this
 * call, which bounds what it may hand out; AUTH_INACTIVE and AUTH_SCOPE
 * fill caller in too.  A refusal for scope, organization or entity is
 * audited.
 */
enum auth_result tokens_caller(struct store *, const char *secret, size_t len,
		    const struct need *, int64_t now, const char *address,
		    const char *agent, struct tok_rec *caller,
		    enum store_err *se);
/*
 * Records one successful use of tok: spends a use of a limited token
 * (AUTH_INACTIVE when another request spent the last one first), and
 * notes the time, address and agent at most once per interval.
 */
enum auth_result tokens_use(struct store *, const struct tok_rec *, int64_t now,
		    const char *address, const char *agent, enum store_err *se);
/*
 * Records a refusal (auth.refused): of a credential (actor: the token
 * presented, when known) or of an act on a token (target).  Rate-limited
 * per process.
 */
void		 tokens_audit_refused(struct store *, const char *reason,
		    const struct tok_rec *actor, const unsigned char *target,
		    int64_t now, const char *address);

/*
 * Counts a refused credential (a caller's, an enrollment secret) from
 * address against KEYHOLE_AUTH_FAILURES a minute, shared by every
 * process, and writes the few audit entries that stand for them
 * (reason and actor go into a window's first).  1 when over the limit
 * (*retry_after: seconds), then the refusal is answered 429.
 */
int		 tokens_auth_failed(struct store *, const char *reason,
		    const struct tok_rec *actor, int64_t now,
		    const char *address, int64_t *retry_after);
/*
 * Writes the counts of refusal windows that have ended to the trail
 * (keyholectl sweep).  The number written, or -1.
 */
int		 tokens_auth_flush(struct store *, int64_t now);
/*
 * Deletes audit entries older than cutoff and says so in the trail
 * (audit.trimmed).
 */
enum store_err	 tokens_audit_trim(struct store *, int64_t cutoff, int64_t now,
		    size_t *count);

/*
 * "ROLE@entity" or "ROLE@" (the token's entity) bindings, completed with
 * entity, sorted and unique, into out; 0 when one lies outside entity or
 * its role cannot be bound at its type.
 */
int	 resolve_bindings(const char *in, const char *entity, struct buf *out);

/* Why an operation on an existing token was refused. */
enum op_err {
	OP_OK = 0,
	OP_NOTFOUND,		/* 404: unknown, or not visible to the caller */
	OP_DENIED,		/* 403: the caller does not hold all it holds */
	OP_CONFLICT,		/* 409: revoked or expired */
	OP_INVALID,		/* 422: the result would be invalid (metadata size) */
	OP_BINDING,		/* 422: a role binding outside the token's entity */
	OP_INCOMPLETE,		/* 202: a cascade's step is done, not all (struct cascade) */
	OP_INACTIVE,		/* 401: the caller was revoked, expired or rotated meanwhile */
	OP_STORE,		/* see *se */
	OP__MAX
};

/* A PATCH: what to change (a merge of name, description, metadata; roles). */
struct patch_req {
	int		 has_name, has_description, has_bindings;
	struct buf	 bindings;	/* the roles anew: "ROLE@entity ..." */
	struct buf	 name;
	struct buf	 description;	/* empty: cleared */
	const struct json_doc *doc;	/* holds the metadata merge patch */
	int		 meta;		/* its token; -1: metadata unchanged */
};

enum op_err	 tokens_update(struct store *, const unsigned char id[UUID_LEN],
		    const struct tok_rec *caller, const struct patch_req *,
		    int64_t now, const char *address, struct tok_rec *out,
		    enum store_err *se);
/*
 * A new secret for the token (in secret, shown once); the old one keeps
 * working for grace seconds.  out is the token as stored.
 */
enum op_err	 tokens_rotate(struct store *, const unsigned char id[UUID_LEN],
		    const struct tok_rec *caller, int64_t grace, int64_t now,
		    const char *address, char *secret, size_t secretsz,
		    struct tok_rec *out, enum store_err *se);
/* Ends a rotation's grace at once. */
enum op_err	 tokens_rotate_finish(struct store *,
		    const unsigned char id[UUID_LEN], const struct tok_rec *caller,
		    int64_t now, const char *address, struct tok_rec *out,
		    enum store_err *se);

/* What a cascade revocation did (tokens_revoke). */
struct cascade {
	size_t	 revoked;	/* tokens of the tree this call marked revoked */
	size_t	 held;		/* left: a token minted under them meanwhile */
	size_t	 remaining;	/* live tokens still below it */
	int	 remaining_exact; /* 0: at least that many */
	int	 complete;
};
/*
 * Revokes a token (idempotent), with cascade also every token minted by
 * it, transitively, a bounded step a call: OP_INCOMPLETE when tokens are
 * left, counted in *c (NULL: not wanted); the next call goes on where
 * this one stopped.  The caller (NULL: admin tool) must hold all the
 * token holds (policy_covers); a token may always revoke itself.
 */
enum op_err	 tokens_revoke(struct store *, const unsigned char id[UUID_LEN],
		    const struct tok_rec *caller, int cascade, int64_t now,
		    const char *address, struct cascade *c, enum store_err *se);
/*
 * RFC 7009: revokes the token whose secret this is, if caller (NULL:
 * the secret speaks for itself) may; a previous secret in its grace just
 * stops working (the grace ends).  Unknown secrets are no error;
 * OP_INACTIVE when the caller stopped being valid meanwhile.
 */
enum op_err	 tokens_revoke_secret(struct store *, const char *secret,
		    size_t len, const struct tok_rec *caller, int64_t now,
		    const char *address, enum store_err *se);
/* Deletes tokens expired or revoked before cutoff; audit entries stay. */
enum store_err	 tokens_sweep(struct store *, int64_t cutoff, int64_t now,
		    size_t *count);

/* A listing: filters, page size and where to resume. */
struct list_query {
	size_t		 limit;
	int		 has_after;
	unsigned char	 after[UUID_LEN];
	int		 state;		/* an enum tok_state, or -1 for any */
	struct buf	 organization;	/* empty: any */
	const struct tok_rec *viewer;	/* NULL: all; else what it may read */
	int		 has_created_by;
	unsigned char	 created_by[UUID_LEN];
	struct buf	 name;		/* empty: any */
	int64_t		 now;
	struct buf	 list;		/* a list's key (store_list_key): its tokens,
					   counted; empty: every token, by a scan */
	size_t		 offset;	/* in the list, where no cursor is given */
	int		 desc;		/* the list newest first */
	int		 before;	/* the page before the cursor, in list order */
	int		 unrevoked;	/* a scan leaves revoked tokens out */
	int		 filtered;	/* the list's tokens pass the filters above */
};

/* One page of a listing. */
struct page {
	const struct tok_rec	*recs;
	size_t			 n;
	int			 more;
	unsigned char		 last[UUID_LEN];	/* resume after it */
	int			 counted;	/* a list's: total is exact */
	size_t			 total;
	size_t			 limit, offset;	/* as asked */
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
 * One page of tokens matching q into recs (q->limit of them), described
 * by pg (pg->recs is recs): from q's list, counted, or else by a scan of
 * every token (filters and the viewer apply then).
 */
enum store_err	 tokens_list(struct store *, const struct list_query *,
		    struct tok_rec *recs, struct page *pg);

/* The token object of the native API (schema/openapi.yaml). */
void		 tokens_json(struct jsonw *, const struct tok_rec *, int64_t now);
/*
 * The members of an RFC 7662 answer for an active token: scope (what
 * holds at the token's own entity), entity, and every grant as RFC 9396
 * authorization_details.
 */
void		 tokens_introspection_json(struct jsonw *, const struct tok_rec *);
/* The scopes list as a JSON array under key. */
void		 tokens_scopes_json(struct jsonw *, const char *key, const char *scopes);

/* An audit listing: filters, page size and where to resume. */
struct audit_query {
	size_t		 limit;
	int		 has_after;
	unsigned char	 after[UUID_LEN];
	int		 desc;		/* newest first (the default) */
	struct buf	 event;		/* empty: any */
	struct buf	 organization;	/* empty: any */
	int		 has_target, has_actor;
	unsigned char	 target[UUID_LEN];
	unsigned char	 actor[UUID_LEN];
	int64_t		 since, until;	/* 0: unbounded */
};

void		 audit_query_init(struct audit_query *);
void		 audit_query_free(struct audit_query *);
struct audit_rec *audit_recs_new(size_t n);
void		 audit_recs_free(struct audit_rec *, size_t n);
enum store_err	 tokens_audit_list(struct store *, const struct audit_query *,
		    struct audit_rec *recs, size_t *n, int *more,
		    unsigned char next[UUID_LEN]);
/* One audit entry as a JSON object's members. */
void		 tokens_audit_json(struct jsonw *, const struct audit_rec *);

#endif
