/* policy: what a token may do — scope syntax, scope grants, activity, and no escalation. */
#ifndef KH_POLICY_H
#define KH_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct tok_rec;

#define SCOPE_MAXLEN	128
#define SCOPES_MAX	64
#define ORG_MAXLEN	63

/* keyhole's own scopes; anything else of the form resource:action is the user's. */
#define SCOPE_TOKENS_CREATE	"tokens:create"
#define SCOPE_TOKENS_READ	"tokens:read"
#define SCOPE_TOKENS_UPDATE	"tokens:update"
#define SCOPE_TOKENS_ROTATE	"tokens:rotate"
#define SCOPE_TOKENS_REVOKE	"tokens:revoke"
#define SCOPE_TOKENS_INTROSPECT	"tokens:introspect"
#define SCOPE_AUDIT_READ	"audit:read"
#define SCOPE_KEYS_MANAGE	"keys:manage"
/* Minting for another subject: covered by itself only, never by a wildcard. */
#define SCOPE_TOKENS_ASSIGN	"tokens:assign"

/*
 * 1 if s is "*" or resource:action ([a-z0-9_.-]+ each); either side may
 * be "*" (every action of a resource, or one action of every resource),
 * not both: that is "*".
 */
int	 policy_scope_ok(const char *s, size_t len);
/* 1 if an organization slug: [a-z0-9] then [a-z0-9-], at most ORG_MAXLEN. */
int	 policy_org_ok(const char *s, size_t len);
/*
 * Does the space-separated grant list have cover the scope want?  "*"
 * covers all but tokens:assign, "res:*" its resource's, "*:act" that
 * action of every resource but keyhole's own (tokens, audit, keys).
 */
int	 policy_allows(const char *have, const char *want, size_t wantlen);
/* Is every scope of the space-separated list want covered by have? */
int	 policy_subset(const char *have, const char *want);
/* Adds scope to a sorted, unique, space-separated list. */
void	 policy_scopes_add(struct buf *, const char *, size_t);

/*
 * Entities: where a token acts.  "organization" (the token's whole
 * organization) or "workspace:<id>", "group:<id>", "deployment:<id>".
 */
#define ENTITY_ORG		"organization"
#define ENTITY_MAXLEN		80
#define BINDINGS_MAX		32

enum entity_type {
	ENT_ORGANIZATION = 1 << 0,
	ENT_WORKSPACE = 1 << 1,
	ENT_GROUP = 1 << 2,
	ENT_DEPLOYMENT = 1 << 3,
};

/* A named preset of scopes, bindable at some entity types (schema/model.md). */
struct role {
	const char	*name;
	unsigned	 at;		/* enum entity_type bits */
	const char	*scopes;
	const char	*uuid;		/* its stable id (deepset's role_id) */
};

/* The entity type of s, or 0 when s is not an entity. */
unsigned	 policy_entity_type(const char *s, size_t len);
/* Does entity outer contain inner?  The organization contains them all. */
int		 policy_entity_contains(const char *outer, const char *inner);
/* The role named name, or NULL. */
const struct role *policy_role(const char *name, size_t len);
/* The role whose stable id is uuid (any case), or NULL. */
const struct role *policy_role_by_uuid(const char *uuid);
/*
 * The caller's own organization role: the first of ADMIN, MEMBER,
 * EXTERNAL all of whose scopes it holds at the organization; NULL if
 * none.
 */
const struct role *policy_org_role(const struct tok_rec *caller);
/* The role table, NULL-terminated by name. */
extern const struct role policy_roles[];
/*
 * Effective scopes of a token: direct plus every binding's role scopes
 * ("ROLE@entity ..."), sorted and unique, into out.
 */
void		 policy_expand(const char *bindings, const char *direct,
		    struct buf *out);
/*
 * The grants of a token, one per entity: the direct scopes at its own
 * entity and each binding's role scopes at the binding's entity.  n
 * entries of entity and scopes (sorted, unique, space-separated).
 */
struct grant_set {
	size_t		 n;
	struct {
		char		 entity[ENTITY_MAXLEN + 1];
		struct buf	 scopes;
	}		 g[BINDINGS_MAX + 1];
};
void		 policy_grants(const struct tok_rec *, struct grant_set *);
void		 policy_grants_free(struct grant_set *);
/*
 * The scopes that hold at entity as a whole: those of every grant of the
 * set whose entity contains it, into out (sorted, unique, space-separated).
 */
void		 policy_scopes_at(const struct grant_set *, const char *entity,
		    struct buf *out);
/* Does caller hold scope at entity (a grant there or around it)? */
int		 policy_allows_at(const struct tok_rec *caller,
		    const char *entity, const char *scope);
/* Does caller hold scope at some entity?  Else a call needing it is 403. */
int		 policy_holds(const struct tok_rec *caller, const char *scope);
/*
 * May caller see target for an act needing scope: its organization (or
 * an unbound caller), and scope held at the target's entity.  Else the
 * target is 404 to it, as if unknown.
 */
int		 policy_sees(const struct tok_rec *caller,
		    const struct tok_rec *target, const char *scope);
/*
 * The grants rule: same organization (or an unbound caller), target's
 * entity inside the caller's, and every (entity, scope) grant of target
 * covered by a grant of caller at that entity or one containing it.
 */
int		 policy_covers(const struct tok_rec *caller,
		    const struct tok_rec *target);
/*
 * The caller's expiry for the no-escalation rule (0: never): its own, or
 * its grace's end when it came with a previous secret.
 */
int64_t		 policy_expiry(const struct tok_rec *caller);

enum bound_err {
	BOUND_OK = 0,
	BOUND_SCOPE,		/* a grant the caller does not cover */
	BOUND_LIFETIME,		/* outlives the caller (its grace, if previous) */
	BOUND_USES,		/* more uses than the caller has left */
	BOUND__MAX
};
/*
 * The one no-escalation rule for a token that caller hands out or keeps
 * alive (mint, rotation, update): covered, expiring no later than the
 * caller, and, when the caller's uses are limited, with no more uses
 * than it has left (its uses_left after this call).  An enrollment
 * token's grant (what each redemption gives) is bounded the same way,
 * and from a use-limited caller it is good for one redemption.
 */
enum bound_err	 policy_bounds(const struct tok_rec *caller,
		    const struct tok_rec *target);
/*
 * Is the credential that authenticated seen still good in fresh, the
 * same token re-read inside a write's transaction: not revoked or
 * expired, and the secret it came with still its secret (or its previous
 * one, in the grace)?  Sets fresh->via_previous and fresh->auth_hash.
 * Exhausted is good: this very request may have spent the last use.
 */
int		 policy_still_valid(const struct tok_rec *seen,
		    struct tok_rec *fresh, int64_t now);
/* The token's entity ("organization" when none is stored). */
const char	*policy_entity_of(const struct tok_rec *);

/*
 * Fences.  What a previous secret hands out (a mint, a rotation's new
 * secret), and all that hands out in turn, may never change the token
 * that secret belongs to: else a leaked old secret could, through a
 * twin, revoke or rotate away the holder of the new one.
 */
#define FENCE_MAX	8
/* Is id among the tokens t may never change? */
int		 policy_fence_has(const struct tok_rec *t,
		    const unsigned char *id);
/*
 * Fences child as caller is fenced, and from caller's own token when it
 * came with a previous secret.  0 when that makes more than FENCE_MAX.
 */
int		 policy_fence(const struct tok_rec *caller,
		    struct tok_rec *child);

enum tok_state {
	TOK_ACTIVE = 0,
	TOK_REVOKED,
	TOK_EXPIRED,
	TOK_NOT_YET_VALID,
	TOK_EXHAUSTED,
	TOK__MAX
};
enum tok_state policy_state(const struct tok_rec *, int64_t now);
const char	*policy_state_name(enum tok_state);
/* May a caller bound to caller_org (empty: all) see or act on a token of org? */
int	 policy_org_visible(const char *caller_org, const char *org);

#endif
