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

/* 1 if s is "*" or resource:action ([a-z0-9_.-]+ each, action may be "*"). */
int	 policy_scope_ok(const char *s, size_t len);
/* 1 if an organization slug: [a-z0-9] then [a-z0-9-], at most ORG_MAXLEN. */
int	 policy_org_ok(const char *s, size_t len);
/* Does the space-separated grant list have cover the scope want? ("*", "res:*"). */
int	 policy_allows(const char *have, const char *want, size_t wantlen);
/* Is every scope of the space-separated list want covered by have? */
int	 policy_subset(const char *have, const char *want);
/* Adds scope to a sorted, unique, space-separated list. */
void	 policy_scopes_add(struct buf *, const char *, size_t);

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
