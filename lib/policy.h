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

/*
 * 1 if s is "*" or resource:action ([a-z0-9_.-]+ each); either side may
 * be "*" (every action of a resource, or one action of every resource),
 * not both: that is "*".
 */
int	 policy_scope_ok(const char *s, size_t len);
/* 1 if an organization slug: [a-z0-9] then [a-z0-9-], at most ORG_MAXLEN. */
int	 policy_org_ok(const char *s, size_t len);
/* Does the space-separated grant list have cover the scope want? ("*", "res:*"). */
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
};

/* The entity type of s, or 0 when s is not an entity. */
unsigned	 policy_entity_type(const char *s, size_t len);
/* Does entity outer contain inner?  The organization contains them all. */
int		 policy_entity_contains(const char *outer, const char *inner);
/* The role named name, or NULL. */
const struct role *policy_role(const char *name, size_t len);
/* The role table, NULL-terminated by name. */
extern const struct role policy_roles[];
/*
 * Effective scopes of a token: direct plus every binding's role scopes
 * ("ROLE@entity ..."), sorted and unique, into out.
 */
void		 policy_expand(const char *bindings, const char *direct,
		    struct buf *out);
/*
 * The one no-escalation rule: does caller hold everything target holds?
 * Same organization (or an unbound caller), target's entity inside the
 * caller's, and every (entity, scope) grant of target covered by a grant
 * of caller at that entity or one containing it.
 */
int		 policy_covers(const struct tok_rec *caller,
		    const struct tok_rec *target);
/* Does caller hold scope at entity (not merely somewhere)? */
int		 policy_allows_at(const struct tok_rec *caller,
		    const char *entity, const char *scope);
/* May caller see target: its organization, and inside its entity? */
int		 policy_sees(const struct tok_rec *caller,
		    const struct tok_rec *target);
/* The token's entity ("organization" when none is stored). */
const char	*policy_entity_of(const struct tok_rec *);

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
