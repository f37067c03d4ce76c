/* policy: what a token may do — scope syntax, scope grants, activity, and no escalation. */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "policy.h"
#include "store.h"

static int	 each_item(const char *, int (*)(const char *, size_t, void *),
	    void *);

static int	 scope_part_ok(const char *, size_t);
static int	 grant_covers(const char *, size_t, const char *, size_t);

static int
scope_part_ok(const char *s, size_t len)
{
	size_t	 i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '_' || s[i] == '.' || s[i] == '-'))
			return 0;
	return 1;
}

int
policy_scope_ok(const char *s, size_t len)
{
	const char	*colon;
	size_t		 rlen, alen;
	int		 rstar, astar;

	if (len == 0 || len > SCOPE_MAXLEN)
		return 0;
	if (len == 1 && s[0] == '*')
		return 1;
	if ((colon = memchr(s, ':', len)) == NULL)
		return 0;
	rlen = (size_t)(colon - s);
	alen = len - rlen - 1;
	rstar = rlen == 1 && s[0] == '*';
	astar = alen == 1 && colon[1] == '*';
	if (rstar && astar)
		return 0;	/* spelled "*" */
	return (rstar || scope_part_ok(s, rlen)) &&
	    (astar || scope_part_ok(colon + 1, alen));
}

int
policy_org_ok(const char *s, size_t len)
{
	size_t	 i;

	if (len == 0 || len > ORG_MAXLEN || s[0] == '-')
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '-'))
			return 0;
	return 1;
}

/* Is w a scope of keyhole's own administration (tokens:, audit:, keys:)? */
static int
admin_scope(const char *w, size_t wlen)
{
	static const char *const res[] = { "tokens:", "audit:", "keys:" };
	size_t	 i, n;

	for (i = 0; i < sizeof(res) / sizeof(res[0]); i++) {
		n = strlen(res[i]);
		if (wlen >= n && memcmp(w, res[i], n) == 0)
			return 1;
	}
	return 0;
}

/* Does one granted scope g cover the wanted scope w? */
static int
grant_covers(const char *g, size_t glen, const char *w, size_t wlen)
{
	/* Minting for others is given by name only, never by a wildcard. */
	if (wlen == sizeof(SCOPE_TOKENS_ASSIGN) - 1 &&
	    memcmp(w, SCOPE_TOKENS_ASSIGN, wlen) == 0)
		return glen == wlen && memcmp(g, w, glen) == 0;
	if (glen == 1 && g[0] == '*')
		return 1;
	if (glen == wlen && memcmp(g, w, glen) == 0)
		return 1;
	/* "res:*" covers "res:anything" and "res:*", never "*". */
	if (glen >= 2 && g[glen - 1] == '*' && g[glen - 2] == ':')
		return wlen >= glen && memcmp(g, w, glen - 1) == 0;
	/*
	 * "*:act" covers "anything:act" and "*:act", but not keyhole's own
	 * administration: an "*:read" token reads the API's data, not other
	 * tokens or the audit trail.
	 */
	if (glen >= 2 && g[0] == '*' && g[1] == ':')
		return wlen >= glen && memcmp(g + 1, w + wlen - (glen - 1),
		    glen - 1) == 0 && memchr(w, ':', wlen - (glen - 1)) == NULL &&
		    !admin_scope(w, wlen);
	return 0;
}

int
policy_allows(const char *have, const char *want, size_t wantlen)
{
	const char	*p = have, *e;

	while (*p != '\0') {
		e = strchr(p, ' ');
		if (e == NULL)
			e = p + strlen(p);
		if (grant_covers(p, (size_t)(e - p), want, wantlen))
			return 1;
		p = *e ? e + 1 : e;
	}
	return 0;
}

int
policy_subset(const char *have, const char *want)
{
	const char	*p = want, *e;

	while (*p != '\0') {
		e = strchr(p, ' ');
		if (e == NULL)
			e = p + strlen(p);
		if (!policy_allows(have, p, (size_t)(e - p)))
			return 0;
		p = *e ? e + 1 : e;
	}
	return 1;
}

void
policy_scopes_add(struct buf *list, const char *s, size_t len)
{
	struct buf	 out = BUF_INIT;
	const char	*p = buf_cstr(list), *e;
	int		 placed = 0, c;
	size_t		 n;

	while (*p != '\0') {
		e = strchr(p, ' ');
		if (e == NULL)
			e = p + strlen(p);
		n = (size_t)(e - p);
		c = memcmp(p, s, n < len ? n : len);
		if (c == 0)
			c = n < len ? -1 : n > len ? 1 : 0;
		if (c == 0) {
			buf_free(&out);
			return;		/* already there */
		}
		if (c > 0 && !placed) {
			if (out.len)
				buf_putc(&out, ' ');
			buf_append(&out, s, len);
			placed = 1;
		}
		if (out.len)
			buf_putc(&out, ' ');
		buf_append(&out, p, n);
		p = *e ? e + 1 : e;
	}
	if (!placed) {
		if (out.len)
			buf_putc(&out, ' ');
		buf_append(&out, s, len);
	}
	buf_free(list);
	*list = out;
}

enum tok_state
policy_state(const struct tok_rec *r, int64_t now)
{
	if (r->revoked_at != 0)
		return TOK_REVOKED;
	if (r->expires_at != 0 && now >= r->expires_at)
		return TOK_EXPIRED;
	if (r->starts_at != 0 && now < r->starts_at)
		return TOK_NOT_YET_VALID;
	if (r->uses_left == 0)
		return TOK_EXHAUSTED;
	return TOK_ACTIVE;
}

const char *
policy_state_name(enum tok_state s)
{
	static const char *const names[TOK__MAX] = {
		"active", "revoked", "expired", "pending", "exhausted",
	};

	return s < TOK__MAX ? names[s] : "unknown";
}

int
policy_org_visible(const char *caller_org, const char *org)
{
	return *caller_org == '\0' || strcmp(caller_org, org) == 0;
}

/* ---- roles and entities ---- */

/* The ids are keyhole's own, fixed forever (schema/scopes.md). */
const struct role policy_roles[] = {
	{ "ADMIN", ENT_ORGANIZATION, "* tokens:assign",
	    "4b657968-6f6c-4500-8000-000000000001" },
	{ "MEMBER", ENT_ORGANIZATION, "*:read *:write tokens:*",
	    "4b657968-6f6c-4500-8000-000000000002" },
	{ "EXTERNAL", ENT_ORGANIZATION, "*:read",
	    "4b657968-6f6c-4500-8000-000000000003" },
	{ "ORGANIZATION_OWNER", ENT_ORGANIZATION, "* tokens:assign",
	    "4b657968-6f6c-4500-8000-000000000004" },
	{ "ORGANIZATION_MEMBER", ENT_ORGANIZATION, "*:read",
	    "4b657968-6f6c-4500-8000-000000000005" },
	{ "WORKSPACE_OWNER", ENT_WORKSPACE, "*",
	    "4b657968-6f6c-4500-8000-000000000006" },
	{ "WORKSPACE_OPERATOR", ENT_WORKSPACE, "*:read *:write tokens:*",
	    "4b657968-6f6c-4500-8000-000000000007" },
	{ "WORKSPACE_MEMBER", ENT_WORKSPACE, "*:read",
	    "4b657968-6f6c-4500-8000-000000000008" },
	{ "DEPLOYMENT_ADMIN", ENT_DEPLOYMENT, "*",
	    "4b657968-6f6c-4500-8000-000000000009" },
	{ "full-access", ENT_ORGANIZATION | ENT_GROUP, "*",
	    "4b657968-6f6c-4500-8000-00000000000a" },
	{ "read-only", ENT_ORGANIZATION | ENT_GROUP, "*:read",
	    "4b657968-6f6c-4500-8000-00000000000b" },
	{ NULL, 0, NULL, NULL },
};

const struct role *
policy_role_by_uuid(const char *uuid)
{
	const struct role	*r;

	for (r = policy_roles; r->name != NULL; r++)
		if (strcasecmp(r->uuid, uuid) == 0)
			return r;
	return NULL;
}

/* Does caller hold this one scope at the organization? */
static int
org_holds(const char *scope, size_t len, void *arg)
{
	char	 s[SCOPE_MAXLEN + 1];

	if (len > SCOPE_MAXLEN)
		return 0;
	memcpy(s, scope, len);
	s[len] = '\0';
	return policy_allows_at(arg, ENTITY_ORG, s);
}

const struct role *
policy_org_role(const struct tok_rec *caller)
{
	static const char *const order[] = { "ADMIN", "MEMBER", "EXTERNAL" };
	const struct role	*r;
	size_t			 i;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		r = policy_role(order[i], strlen(order[i]));
		if (each_item(r->scopes, org_holds, (void *)(uintptr_t)caller))
			return r;
	}
	return NULL;
}

const struct role *
policy_role(const char *name, size_t len)
{
	const struct role	*r;

	for (r = policy_roles; r->name != NULL; r++)
		if (strlen(r->name) == len && memcmp(r->name, name, len) == 0)
			return r;
	return NULL;
}

unsigned
policy_entity_type(const char *s, size_t len)
{
	static const struct {
		const char	*prefix;
		unsigned	 type;
	} types[] = {
		{ "workspace:", ENT_WORKSPACE },
		{ "group:", ENT_GROUP },
		{ "deployment:", ENT_DEPLOYMENT },
	};
	size_t	 i, j, n;

	if (len == sizeof(ENTITY_ORG) - 1 && memcmp(s, ENTITY_ORG, len) == 0)
		return ENT_ORGANIZATION;
	if (len > ENTITY_MAXLEN)
		return 0;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		n = strlen(types[i].prefix);
		if (len <= n || memcmp(s, types[i].prefix, n) != 0)
			continue;
		/* The id: [A-Za-z0-9][A-Za-z0-9_.-]*, at most 64. */
		if (len - n > 64)
			return 0;
		for (j = n; j < len; j++) {
			char c = s[j];

			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') ||
			    (j > n && (c == '_' || c == '.' || c == '-'))))
				return 0;
		}
		return types[i].type;
	}
	return 0;
}

int
policy_entity_contains(const char *outer, const char *inner)
{
	return strcmp(outer, ENTITY_ORG) == 0 || strcmp(outer, inner) == 0;
}

const char *
policy_entity_of(const struct tok_rec *r)
{
	return r->entity.len > 0 ? buf_cstr(&r->entity) :
	    ENTITY_ORG;
}

/* Splits "ROLE@entity" at the '@'; NULL role when it does not name one. */
static const struct role *
binding_split(const char *b, size_t len, const char **ent, size_t *entlen)
{
	const char	*at = memchr(b, '@', len);

	if (at == NULL)
		return NULL;
	*ent = at + 1;
	*entlen = len - (size_t)(at - b) - 1;
	return policy_role(b, (size_t)(at - b));
}

/* Calls fn for each space-separated item of list; stops at a 0 answer. */
static int
each_item(const char *list, int (*fn)(const char *, size_t, void *), void *arg)
{
	const char	*p = list, *e;

	while (*p != '\0') {
		e = strchr(p, ' ');
		if (e == NULL)
			e = p + strlen(p);
		if (!fn(p, (size_t)(e - p), arg))
			return 0;
		p = *e ? e + 1 : e;
	}
	return 1;
}

static int
add_item(const char *s, size_t len, void *out)
{
	policy_scopes_add(out, s, len);
	return 1;
}

static int
add_binding(const char *b, size_t len, void *out)
{
	const struct role	*r;
	const char		*ent;
	size_t			 entlen;

	if ((r = binding_split(b, len, &ent, &entlen)) != NULL)
		(void)each_item(r->scopes, add_item, out);
	return 1;
}

void
policy_expand(const char *bindings, const char *direct, struct buf *out)
{
	buf_reset(out);
	(void)each_item(direct, add_item, out);
	(void)each_item(bindings, add_binding, out);
}

/* Is (entity, scope) covered by some grant of the caller? */
struct grant_q {
	const struct tok_rec	*caller;
	char			 entity[ENTITY_MAXLEN + 1];
	const char		*scope;
	size_t			 scopelen;
};

static int
binding_grants(const char *b, size_t len, void *arg)
{
	struct grant_q		*q = arg;
	const struct role	*r;
	const char		*ent;
	char			 e[ENTITY_MAXLEN + 1];
	size_t			 entlen;

	if ((r = binding_split(b, len, &ent, &entlen)) == NULL ||
	    entlen > ENTITY_MAXLEN)
		return 1;
	memcpy(e, ent, entlen);
	e[entlen] = '\0';
	/* 0 stops the walk: found. */
	return !(policy_entity_contains(e, q->entity) &&
	    policy_allows(r->scopes, q->scope, q->scopelen));
}

static int
granted(struct grant_q *q)
{
	const struct tok_rec	*c = q->caller;

	if (policy_entity_contains(policy_entity_of(c), q->entity) &&
	    policy_allows(buf_cstr(&c->direct), q->scope,
	    q->scopelen))
		return 1;
	return !each_item(buf_cstr(&c->bindings),
	    binding_grants, q);
}

static int
scope_granted(const char *s, size_t len, void *arg)
{
	struct grant_q	*q = arg;

	q->scope = s;
	q->scopelen = len;
	return granted(q);
}

static int
binding_granted(const char *b, size_t len, void *arg)
{
	struct grant_q		*q = arg;
	const struct role	*r;
	const char		*ent;
	size_t			 entlen;

	if ((r = binding_split(b, len, &ent, &entlen)) == NULL ||
	    entlen > ENTITY_MAXLEN)
		return 0;	/* not understood: not covered */
	memcpy(q->entity, ent, entlen);
	q->entity[entlen] = '\0';
	return each_item(r->scopes, scope_granted, q);
}

int
policy_sees(const struct tok_rec *caller, const struct tok_rec *target,
    const char *scope)
{
	return policy_org_visible(buf_cstr(&caller->organization),
	    buf_cstr(&target->organization)) &&
	    policy_allows_at(caller, policy_entity_of(target), scope);
}

int
policy_covers(const struct tok_rec *caller, const struct tok_rec *target)
{
	struct grant_q	 q;
	const char	*te = policy_entity_of(target);

	if (!policy_org_visible(buf_cstr(&caller->organization),
	    buf_cstr(&target->organization)) ||
	    !policy_entity_contains(policy_entity_of(caller), te) ||
	    strlen(te) > ENTITY_MAXLEN)
		return 0;
	q.caller = caller;
	memcpy(q.entity, te, strlen(te) + 1);
	if (!each_item(buf_cstr(&target->direct), scope_granted,
	    &q))
		return 0;
	return each_item(buf_cstr(&target->bindings),
	    binding_granted, &q);
}

int
policy_allows_at(const struct tok_rec *caller, const char *entity,
    const char *scope)
{
	struct grant_q	 q;

	if (strlen(entity) > ENTITY_MAXLEN)
		return 0;
	q.caller = caller;
	memcpy(q.entity, entity, strlen(entity) + 1);
	q.scope = scope;
	q.scopelen = strlen(scope);
	return granted(&q);
}

/* Does some binding's role hold the scope (at its entity, whichever)? */
static int
binding_holds(const char *b, size_t len, void *arg)
{
	const struct role	*r;
	const char		*ent, *scope = arg;
	size_t			 entlen;

	r = binding_split(b, len, &ent, &entlen);
	return r == NULL || !policy_allows(r->scopes, scope, strlen(scope));
}

int
policy_holds(const struct tok_rec *caller, const char *scope)
{
	return policy_allows(buf_cstr(&caller->direct), scope, strlen(scope)) ||
	    !each_item(buf_cstr(&caller->bindings), binding_holds,
	    (void *)scope);
}

/* The set's entry for entity, added when missing; NULL when full. */
static struct buf *
grant_entry(struct grant_set *gs, const char *ent, size_t len)
{
	size_t	 i;

	if (len > ENTITY_MAXLEN)
		return NULL;
	for (i = 0; i < gs->n; i++)
		if (strlen(gs->g[i].entity) == len &&
		    memcmp(gs->g[i].entity, ent, len) == 0)
			return &gs->g[i].scopes;
	if (gs->n == sizeof(gs->g) / sizeof(gs->g[0]))
		return NULL;
	memcpy(gs->g[gs->n].entity, ent, len);
	gs->g[gs->n].entity[len] = '\0';
	buf_init(&gs->g[gs->n].scopes);
	return &gs->g[gs->n++].scopes;
}

static int
grants_add(const char *b, size_t len, void *arg)
{
	const struct role	*r;
	const char		*ent;
	size_t			 entlen;
	struct buf		*out;

	if ((r = binding_split(b, len, &ent, &entlen)) != NULL &&
	    (out = grant_entry(arg, ent, entlen)) != NULL)
		(void)each_item(r->scopes, add_item, out);
	return 1;
}

void
policy_grants(const struct tok_rec *t, struct grant_set *gs)
{
	const char	*e = policy_entity_of(t);
	struct buf	*out;

	gs->n = 0;
	if (t->direct.len > 0 && (out = grant_entry(gs, e, strlen(e))) != NULL)
		(void)each_item(buf_cstr(&t->direct), add_item, out);
	(void)each_item(buf_cstr(&t->bindings), grants_add, gs);
}

void
policy_grants_free(struct grant_set *gs)
{
	size_t	 i;

	for (i = 0; i < gs->n; i++)
		buf_free(&gs->g[i].scopes);
	gs->n = 0;
}

void
policy_scopes_at(const struct grant_set *gs, const char *entity,
    struct buf *out)
{
	size_t	 i;

	buf_reset(out);
	for (i = 0; i < gs->n; i++)
		if (policy_entity_contains(gs->g[i].entity, entity))
			(void)each_item(buf_cstr(&gs->g[i].scopes), add_item, out);
}

int64_t
policy_expiry(const struct tok_rec *c)
{
	int64_t	 e = c->expires_at;

	if (c->via_previous && (e == 0 || c->grace_until < e))
		e = c->grace_until;
	return e;
}

enum bound_err
policy_bounds(const struct tok_rec *caller, const struct tok_rec *target)
{
	int64_t	 ce = policy_expiry(caller);

	if (!policy_covers(caller, target))
		return BOUND_SCOPE;
	if (ce != 0 && (target->expires_at == 0 || target->expires_at > ce))
		return BOUND_LIFETIME;
	if (caller->uses_left >= 0 && (target->uses_left < 0 ||
	    target->uses_left > caller->uses_left))
		return BOUND_USES;
	/*
	 * An enrollment token hands its grant on at each redemption: from a
	 * use-limited caller it is redeemed once, for no more than it has.
	 */
	if (target->kind == KIND_ENROLLMENT) {
		if (caller->uses_left >= 0 && (target->uses_left > 1 ||
		    target->grant_uses < 0 ||
		    target->grant_uses > caller->uses_left))
			return BOUND_USES;
		if (ce != 0 && (target->grant_expires_at == 0 ||
		    target->grant_expires_at > ce))
			return BOUND_LIFETIME;
	}
	return BOUND_OK;
}

int
policy_still_valid(const struct tok_rec *seen, struct tok_rec *fresh,
    int64_t now)
{
	enum tok_state	 s = policy_state(fresh, now);

	if ((s != TOK_ACTIVE && s != TOK_EXHAUSTED) || fresh->kind != seen->kind)
		return 0;
	if (tok_hash_eq(fresh->hash, seen->auth_hash))
		fresh->via_previous = 0;
	else if (fresh->has_prev && now < fresh->grace_until &&
	    tok_hash_eq(fresh->prev_hash, seen->auth_hash))
		fresh->via_previous = 1;
	else
		return 0;	/* rotated away mid-request */
	memcpy(fresh->auth_hash, seen->auth_hash, TOK_HASH_LEN);
	return 1;
}

int
policy_fence_has(const struct tok_rec *t, const unsigned char *id)
{
	size_t	 i;

	for (i = 0; i + UUID_LEN <= t->fence.len; i += UUID_LEN)
		if (memcmp(t->fence.ptr + i, id, UUID_LEN) == 0)
			return 1;
	return 0;
}

int
policy_fence(const struct tok_rec *caller, struct tok_rec *child)
{
	size_t	 i;

	for (i = 0; i + UUID_LEN <= caller->fence.len; i += UUID_LEN)
		if (!policy_fence_has(child, (const unsigned char *)
		    caller->fence.ptr + i))
			buf_append(&child->fence, caller->fence.ptr + i,
			    UUID_LEN);
	if (caller->via_previous && !policy_fence_has(child, caller->id))
		buf_append(&child->fence, caller->id, UUID_LEN);
	return child->fence.len <= FENCE_MAX * UUID_LEN;
}
