/* lifecycle: a token after its mint — uses, updates, rotation, revocation, sweeping — and the audit of refusals. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "json.h"
#include "limit.h"
#include "policy.h"
#include "claims.h"
#include "tokens.h"

#define CASCADE_BATCH	500	/* tokens revoked per transaction */
#define CASCADE_STEP	5000	/* tokens one request revokes, at most */
#define CASCADE_VISITS	50000	/* tokens one request looks at, at most */
#define SWEEP_BATCH	500
#define SWEEP_SCAN	20000	/* records one read examines: well inside the watchdog */
#define REFUSED_PER_SEC	10	/* auth.refused entries a process writes per second */
#define PENDING_SLOTS	64

/*
 * May caller change target, an act needing scope?  It must hold scope at
 * the target's entity (else: as if unknown) and cover it; with keep
 * (update, rotation: the token lives on, a rotation hands out its
 * secret) the target must also stay within the caller's lifetime and
 * uses (policy_bounds).  A token may act on itself, but not through a
 * previous secret in its grace: that is the weaker credential.  NULL:
 * the admin tool.
 */
static enum op_err
may_change(const struct tok_rec *caller, const struct tok_rec *target,
    const char *scope, int keep)
{
	if (caller == NULL)
		return OP_OK;
	if (memcmp(caller->id, target->id, UUID_LEN) == 0)
		return caller->via_previous ? OP_DENIED : OP_OK;
	if (policy_fence_has(caller, target->id))
		return OP_DENIED;
	if (!policy_sees(caller, target, scope))
		return OP_NOTFOUND;
	if (keep ? policy_bounds(caller, target) != BOUND_OK :
	    !policy_covers(caller, target))
		return OP_DENIED;
	return OP_OK;
}

/*
 * store_modify with the caller (NULL: the admin) read again in the same
 * transaction; *fresh is pointed at that record for fn.  *inactive when
 * the caller was revoked, expired or rotated away meanwhile.
 */
static enum store_err
modify_as(struct store *st, const unsigned char id[UUID_LEN],
    const struct tok_rec *caller, int64_t now, store_modify_fn fn, void *arg,
    const struct tok_rec **fresh, const struct audit_ev *ev, int *inactive)
{
	struct caller_guard	 g;
	struct store_guard	 sg;
	enum store_err		 e;

	*inactive = 0;
	*fresh = NULL;
	if (caller == NULL)
		return store_modify(st, id, fn, arg, ev, 0);
	caller_guard_init(&g, caller, NULL, now);
	sg.id = caller->id;
	sg.fn = caller_guard_fn;
	sg.arg = &g;
	*fresh = &g.fresh;
	e = store_modify_guarded(st, id, fn, arg, ev, &sg);
	*inactive = e == STORE_OK && g.err == GUARD_INACTIVE;
	*fresh = NULL;
	caller_guard_free(&g);
	return e;
}

/* What an operation's store answer and its function's verdict come to. */
static enum op_err
op_result(enum store_err e, enum op_err err, int inactive, enum store_err *se)
{
	*se = STORE_OK;
	if (inactive)
		return OP_INACTIVE;
	if (e == STORE_NOTFOUND)
		return OP_NOTFOUND;
	if (e != STORE_OK) {
		*se = e;
		return OP_STORE;
	}
	return err;
}

static void
ev_init(struct audit_ev *ev, const char *event, const struct tok_rec *caller,
    int64_t now, const char *address)
{
	memset(ev, 0, sizeof(*ev));
	ev->at = now;
	ev->event = event;
	ev->actor = caller != NULL ? caller->id : NULL;
	ev->address = address;
}

/* ---- uses and last use ---- */

/* A client's header as stored and shown: printable ASCII, bounded. */
static void
printable(struct buf *out, const char *s)
{
	size_t	 i;

	buf_reset(out);
	for (i = 0; s != NULL && s[i] != '\0' && i < AGENT_MAXBYTES; i++)
		buf_putc(out, s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?');
}

/*
 * Uses of unlimited tokens seen by this process since it last wrote
 * them; written with the next last-used update.  A slot taken by another
 * token loses its count: use_count may trail, never run ahead.
 */
static struct {
	unsigned char	 id[UUID_LEN];
	int64_t		 n;
} pending[PENDING_SLOTS];

struct use_arg {
	int64_t		 now, interval, uses;
	int		 limited, refused, written;
	const char	*address, *agent;
};

static int
use_fn(struct tok_rec *r, void *arg)
{
	struct use_arg	*a = arg;

	a->refused = a->written = 0;
	if (a->limited) {
		/* Spent under the record's write lock: no use is given twice. */
		if (policy_state(r, a->now) != TOK_ACTIVE) {
			a->refused = 1;
			return -1;
		}
		r->uses_left--;
	} else if (r->last_used_at != 0 &&
	    a->now - r->last_used_at < a->interval)
		return 0;	/* another process wrote it just now */
	r->use_count += a->uses;
	r->last_used_at = a->now;
	buf_reset(&r->last_address);
	buf_puts(&r->last_address, a->address != NULL ? a->address : "");
	printable(&r->last_agent, a->agent);
	a->written = 1;
	return 1;
}

enum auth_result
tokens_caller(struct store *st, const char *secret, size_t len,
    const struct need *need, int64_t now, const char *address,
    const char *agent, struct tok_rec *caller, enum store_err *se)
{
	enum auth_result ar;
	const char	*entity = need->entity;
	char		 msg[128];

	ar = tokens_lookup(st, secret, len, KIND_STANDARD, now, caller, se);
	if (ar != AUTH_OK)
		return ar;
	/* A client id and secret of two tokens are no client (RFC 6749 2.3.1). */
	if (need->client != NULL) {
		uuid_format(caller->id, msg);
		if (strcmp(msg, need->client) != 0)
			return AUTH_UNKNOWN;
	}
	if (entity == NULL && need->own)
		entity = policy_entity_of(caller);
	*msg = '\0';
	if (need->organization != NULL &&
	    strcmp(buf_cstr(&caller->organization), need->organization) != 0)
		snprintf(msg, sizeof(msg), "organization %.64s required",
		    need->organization);
	else if (need->scope != NULL && (entity != NULL ?
	    !policy_allows_at(caller, entity, need->scope) :
	    !policy_holds(caller, need->scope)))
		snprintf(msg, sizeof(msg), entity != NULL ? "scope %s missing "
		    "at %.64s" : "scope %s missing", need->scope, entity);
	if (*msg != '\0') {
		tokens_audit_refused(st, msg, caller, NULL, now, address);
		return AUTH_SCOPE;
	}
	/* The call is a use: a limited token spends one now. */
	ar = tokens_use(st, caller, now, address, agent, se);
	if (ar == AUTH_OK && caller->uses_left > 0)
		caller->uses_left--;
	return ar;
}

enum auth_result
tokens_use(struct store *st, const struct tok_rec *tok, int64_t now,
    const char *address, const char *agent, enum store_err *se)
{
	static int64_t	 interval = -1;	/* the environment's, read once */
	struct use_arg	 a;
	enum store_err	 e;
	unsigned	 slot;

	if (interval < 0)
		interval = json_int_env("KEYHOLE_LAST_USED_INTERVAL", 0,
		    86400, LAST_USED_INTERVAL);
	*se = STORE_OK;
	memset(&a, 0, sizeof(a));
	a.now = now;
	a.address = address;
	a.agent = agent;
	a.limited = tok->uses_left >= 0;
	a.interval = interval;
	if (a.limited) {
		a.uses = 1;
		e = store_modify(st, tok->id, use_fn, &a, NULL, 0);
		if (e == STORE_NOTFOUND)
			return AUTH_UNKNOWN;
		if (e != STORE_OK) {
			*se = e;
			return AUTH_STORE;
		}
		return a.refused ? AUTH_INACTIVE : AUTH_OK;
	}

	/* UUIDv7's last bytes are random: a fair slot. */
	slot = tok->id[UUID_LEN - 1] % PENDING_SLOTS;
	if (memcmp(pending[slot].id, tok->id, UUID_LEN) != 0) {
		memcpy(pending[slot].id, tok->id, UUID_LEN);
		pending[slot].n = 0;
	}
	pending[slot].n++;
	if (tok->last_used_at != 0 && now - tok->last_used_at < a.interval)
		return AUTH_OK;
	a.uses = pending[slot].n;
	/* Last-used is bookkeeping: the commit does not wait for the disk. */
	e = store_modify(st, tok->id, use_fn, &a, NULL, STORE_LAZY);
	if (e == STORE_OK && a.written)
		pending[slot].n = 0;
	/* A failed bookkeeping write does not fail the request it counts. */
	if (e == STORE_FATAL)
		*se = e;
	return AUTH_OK;
}

void
tokens_audit_refused(struct store *st, const char *reason,
    const struct tok_rec *actor, const unsigned char *target, int64_t now,
    const char *address)
{
	static int64_t	 window;
	static int	 written;
	static long	 suppressed;
	struct audit_ev	 ev;
	char		 detail[160];

	/* Bad credentials cost a durable write each: bound them. */
	if (now != window) {
		window = now;
		written = 0;
	}
	if (written >= REFUSED_PER_SEC) {
		suppressed++;
		return;
	}
	written++;
	if (suppressed > 0)
		snprintf(detail, sizeof(detail), "%s (and %ld more refusals "
		    "not recorded)", reason, suppressed);
	else
		snprintf(detail, sizeof(detail), "%s", reason);
	ev_init(&ev, "auth.refused", actor, now, address);
	ev.target = target;
	if (actor != NULL)
		ev.organization = buf_cstr(&actor->organization);
	ev.detail = detail;
	if (store_audit(st, &ev) == STORE_OK)
		suppressed = 0;
}

/* One limiter note as an audit entry. */
static void
limit_audit(struct store *st, const struct limit_note *n, const char *reason,
    const struct tok_rec *actor, int64_t now, int64_t max)
{
	struct audit_ev	 ev;
	char		 detail[256], since[TIME_STRLEN + 1], until[TIME_STRLEN + 1];

	time_format(n->since, since);
	time_format(n->since + LIMIT_WINDOW, until);
	switch (n->what) {
	case LIMIT_FIRST:
		snprintf(detail, sizeof(detail), "%s", reason);
		break;
	case LIMIT_OVER:
		snprintf(detail, sizeof(detail), "%lld refused authentications "
		    "since %s, more than %lld a minute: further ones are answered "
		    "429 until %s", (long long)n->count, since, (long long)max,
		    until);
		break;
	case LIMIT_SUMMARY:
		snprintf(detail, sizeof(detail), "%lld more refused "
		    "authentications in the minute from %s", (long long)n->count,
		    since);
		break;
	case LIMIT_DROPPED:
		snprintf(detail, sizeof(detail), "%lld entries about refused "
		    "authentications from many addresses were left out in the "
		    "minute from %s (more than %d a minute)", (long long)n->count,
		    since, LIMIT_NOTES);
		break;
	}
	ev_init(&ev, "auth.refused", n->what == LIMIT_FIRST ? actor : NULL, now,
	    n->what == LIMIT_DROPPED ? NULL : n->address);
	if (n->what == LIMIT_FIRST && actor != NULL)
		ev.organization = buf_cstr(&actor->organization);
	ev.detail = detail;
	(void)store_audit(st, &ev);
}

int
tokens_auth_failed(struct store *st, const char *reason,
    const struct tok_rec *actor, int64_t now, const char *address,
    int64_t *retry_after)
{
	static int		 warned;
	struct limit_verdict	 v;
	int64_t			 max;
	size_t			 i;

	*retry_after = 0;
	max = json_int_env("KEYHOLE_AUTH_FAILURES", 1, 1000000000,
	    LIMIT_DEFAULT);
	if (limit_fail(store_home(st), store_hashkey(st), address != NULL ?
	    address : "", now, max, &v) == -1) {
		/* Fail open, loudly: refusals are still refused. */
		if (!warned++)
			fprintf(stderr, "keyhole: the failed-authentication "
			    "table in %s cannot be used\n", store_home(st));
		tokens_audit_refused(st, reason, actor, NULL, now, address);
		return 0;
	}
	for (i = 0; i < v.nnotes; i++)
		limit_audit(st, &v.notes[i], reason, actor, now, max);
	*retry_after = v.retry_after;
	return v.over;
}

struct flush_arg {
	struct store	*st;
	int64_t		 now;
};

static void
flush_note(const struct limit_note *n, void *arg)
{
	struct flush_arg	*a = arg;

	limit_audit(a->st, n, "", NULL, a->now, 0);
}

int
tokens_auth_flush(struct store *st, int64_t now)
{
	struct flush_arg	 a = { st, now };

	return limit_flush(store_home(st), store_hashkey(st), now, flush_note,
	    &a);
}

enum store_err
tokens_audit_trim(struct store *st, int64_t cutoff, int64_t now,
    size_t *count)
{
	struct audit_ev	 ev;
	enum store_err	 e;
	char		 detail[96], t[TIME_STRLEN + 1];

	if ((e = store_audit_trim(st, cutoff, count)) != STORE_OK)
		return e;
	time_format(cutoff, t);
	snprintf(detail, sizeof(detail), "%zu entries older than %s deleted",
	    *count, t);
	ev_init(&ev, "audit.trimmed", NULL, now, NULL);
	ev.detail = detail;
	return store_audit(st, &ev);
}

/* ---- update ---- */

void
patch_req_init(struct patch_req *p)
{
	memset(p, 0, sizeof(*p));
	p->meta = -1;
}

void
patch_req_free(struct patch_req *p)
{
	buf_free(&p->name);
	buf_free(&p->description);
	buf_free(&p->bindings);
	patch_req_init(p);
}

struct update_arg {
	const struct tok_rec	*caller;
	const struct patch_req	*p;
	int64_t			 now;
	enum op_err		 err;
	struct buf		 meta;
	struct tok_rec		*out;
};

static int
update_fn(struct tok_rec *r, void *arg)
{
	struct update_arg	*a = arg;
	struct jsonw		 w;

	if ((a->err = may_change(a->caller, r, SCOPE_TOKENS_UPDATE, 1)) != OP_OK)
		return -1;
	if (r->revoked_at != 0) {
		a->err = OP_CONFLICT;
		return -1;
	}
	if (a->p->has_name) {
		buf_reset(&r->name);
		buf_append(&r->name, a->p->name.ptr, a->p->name.len);
	}
	if (a->p->has_description) {
		buf_reset(&r->description);
		buf_append(&r->description, a->p->description.ptr,
		    a->p->description.len);
	}
	/* New roles: inside the token's entity, and within the caller's reach. */
	if (a->p->has_bindings) {
		if (!resolve_bindings(buf_cstr(&a->p->bindings),
		    policy_entity_of(r), &r->bindings)) {
			a->err = OP_BINDING;
			return -1;
		}
		buf_reset(&r->scopes);
		policy_expand(buf_cstr(&r->bindings), buf_cstr(&r->direct),
		    &r->scopes);
		if (a->caller != NULL && !policy_covers(a->caller, r)) {
			a->err = OP_DENIED;
			return -1;
		}
	}
	if (a->p->meta != -1 && a->p->doc->tok[a->p->meta].type == JSON_NULL)
		buf_reset(&r->metadata);	/* null: no metadata, {} */
	else if (a->p->meta != -1) {
		buf_reset(&a->meta);
		jw_init(&w, &a->meta);
		if (json_merge_patch(&w, NULL, r->metadata.ptr, r->metadata.len,
		    a->p->doc, a->p->meta) == -1 ||
		    a->meta.len > METADATA_MAXBYTES) {
			a->err = OP_INVALID;
			return -1;
		}
		buf_reset(&r->metadata);
		if (a->meta.len > 2)	/* {} is stored as nothing */
			buf_append(&r->metadata, a->meta.ptr, a->meta.len);
	}
	r->updated_at = a->now;
	tok_rec_copy(a->out, r);
	return 1;
}

enum op_err
tokens_update(struct store *st, const unsigned char id[UUID_LEN],
    const struct tok_rec *caller, const struct patch_req *p, int64_t now,
    const char *address, struct tok_rec *out, enum store_err *se)
{
	struct update_arg	 a;
	struct audit_ev		 ev;
	enum store_err		 e;
	int			 inactive;

	memset(&a, 0, sizeof(a));
	a.p = p;
	a.now = now;
	a.out = out;
	ev_init(&ev, "token.updated", caller, now, address);
	e = modify_as(st, id, caller, now, update_fn, &a, &a.caller, &ev,
	    &inactive);
	buf_free(&a.meta);
	return op_result(e, a.err, inactive, se);
}

/* ---- rotation ---- */

struct rotate_arg {
	const struct tok_rec	*caller;
	int64_t			 now, grace;
	int			 jwt;		/* the new secret is a JWT of ... */
	int64_t			 rotations;	/* ... the generation after this, */
	const struct tok_rec	*signed_as;	/* ... claiming these grants */
	const unsigned char	*hash;
	const char		*hint;
	int			 finish;
	enum op_err		 err;
	char			 detail[160];
	struct tok_rec		*out;
};

/* Do two records make the same JWT claims (but for gen and iat)? */
static int
same_claims(const struct tok_rec *a, const struct tok_rec *b)
{
	return a->starts_at == b->starts_at && a->expires_at == b->expires_at &&
	    a->created_at == b->created_at &&
	    strcmp(buf_cstr(&a->organization), buf_cstr(&b->organization)) == 0 &&
	    strcmp(policy_entity_of(a), policy_entity_of(b)) == 0 &&
	    strcmp(buf_cstr(&a->bindings), buf_cstr(&b->bindings)) == 0 &&
	    strcmp(buf_cstr(&a->direct), buf_cstr(&b->direct)) == 0 &&
	    strcmp(buf_cstr(&a->subject), buf_cstr(&b->subject)) == 0;
}

static int
rotate_fn(struct tok_rec *r, void *arg)
{
	struct rotate_arg	*a = arg;
	char			 until[TIME_STRLEN + 1];
	enum tok_state		 s;

	/*
	 * A replaced secret, in its grace, may not replace its successor or
	 * end its own grace (may_change): else a leaked old secret could lock
	 * the holder of the new one out.
	 */
	if ((a->err = may_change(a->caller, r, SCOPE_TOKENS_ROTATE, 1)) !=
	    OP_OK)
		return -1;
	s = policy_state(r, a->now);
	if (s == TOK_REVOKED || s == TOK_EXPIRED) {
		a->err = OP_CONFLICT;
		return -1;
	}
	if (a->finish) {
		tok_rec_copy(a->out, r);
		if (!r->has_prev || r->grace_until <= a->now)
			return 0;	/* no grace running: nothing to end */
		snprintf(a->detail, sizeof(a->detail), "secret ...%s stopped "
		    "working", r->prev_hint);
		r->grace_until = a->now;
		r->has_prev = 0;
		tok_rec_copy(a->out, r);
		return 1;
	}
	/*
	 * A JWT rotated meanwhile names a spent generation; one whose grants
	 * changed meanwhile would claim the old ones: rotate again.
	 */
	if (a->jwt && (r->rotations != a->rotations ||
	    !same_claims(r, a->signed_as))) {
		a->err = OP_CONFLICT;
		return -1;
	}
	/* Its new secret is handed out: fenced as the caller is. */
	if (a->caller != NULL && !policy_fence(a->caller, r)) {
		a->err = OP_DENIED;
		return -1;
	}
	/* One previous secret at most: an earlier grace ends here. */
	memcpy(r->prev_hint, r->hint, sizeof(r->prev_hint));
	r->has_prev = a->grace > 0;
	if (r->has_prev)
		memcpy(r->prev_hash, r->hash, TOK_HASH_LEN);
	r->grace_until = a->grace > 0 ? a->now + a->grace : 0;
	memcpy(r->hash, a->hash, TOK_HASH_LEN);
	memcpy(r->hint, a->hint, sizeof(r->hint));
	r->rotated_at = a->now;
	r->rotations++;
	if (a->grace > 0) {
		time_format(r->grace_until, until);
		snprintf(a->detail, sizeof(a->detail), "secret ...%s replaced "
		    "by ...%s; the old one works until %s", r->prev_hint,
		    r->hint, until);
	} else
		snprintf(a->detail, sizeof(a->detail), "secret ...%s replaced "
		    "by ...%s; the old one stopped at once", r->prev_hint,
		    r->hint);
	tok_rec_copy(a->out, r);
	return 1;
}

static enum op_err
rotate(struct store *st, const unsigned char id[UUID_LEN],
    const struct tok_rec *caller, struct rotate_arg *a, const char *event,
    const char *address, enum store_err *se)
{
	struct audit_ev	 ev;
	enum store_err	 e;
	int		 inactive;

	ev_init(&ev, event, caller, a->now, address);
	ev.detail = a->detail;
	e = modify_as(st, id, caller, a->now, rotate_fn, a, &a->caller, &ev,
	    &inactive);
	return op_result(e, a->err, inactive, se);
}

enum op_err
tokens_rotate(struct store *st, const unsigned char id[UUID_LEN],
    const struct tok_rec *caller, int64_t grace, int64_t now,
    const char *address, char *secret, size_t secretsz, struct tok_rec *out,
    enum store_err *se)
{
	struct rotate_arg	 a;
	struct tok_rec		 cur;
	unsigned char		 hash[TOK_HASH_LEN];
	char			 hint[TOK_HINT_LEN + 1];
	enum op_err		 err;
	int			 rc;

	/*
	 * The new secret keeps the token's prefix ("key-", "api_"); a JWT is
	 * signed as the next generation, which the write checks is still so.
	 */
	tok_rec_init(&cur);
	*se = store_get(st, id, &cur);
	if (*se != STORE_OK && *se != STORE_NOTFOUND) {
		tok_rec_free(&cur);
		return OP_STORE;
	}
	memset(&a, 0, sizeof(a));
	a.jwt = *se == STORE_OK && cur.format == FORMAT_JWT;
	a.rotations = cur.rotations;
	if (a.jwt)
		rc = claims_sign(st, &cur, cur.rotations + 1, now, secret,
		    secretsz, hash, hint);
	else
		rc = tokens_new_secret(st, cur.prefix[0] != '\0' ? cur.prefix :
		    NULL, secret, secretsz, hash, hint);
	if (rc == -1) {
		tok_rec_free(&cur);
		*se = a.jwt ? STORE_BUSY : STORE_FATAL;
		return OP_STORE;
	}
	a.signed_as = &cur;
	a.now = now;
	a.grace = grace;
	a.hash = hash;
	a.hint = hint;
	a.out = out;
	err = rotate(st, id, caller, &a, "token.rotated", address, se);
	if (err != OP_OK)
		sodium_memzero(secret, secretsz);
	tok_rec_free(&cur);
	return err;
}

enum op_err
tokens_rotate_finish(struct store *st, const unsigned char id[UUID_LEN],
    const struct tok_rec *caller, int64_t now, const char *address,
    struct tok_rec *out, enum store_err *se)
{
	struct rotate_arg	 a;

	memset(&a, 0, sizeof(a));
	a.now = now;
	a.finish = 1;
	a.out = out;
	return rotate(st, id, caller, &a, "token.rotation_finished", address,
	    se);
}

/* ---- revocation ---- */

struct revoke_arg {
	const struct tok_rec	*caller;
	int64_t			 now;
	enum op_err		 err;
};

static int
revoke_fn(struct tok_rec *r, void *arg)
{
	struct revoke_arg	*a = arg;

	if ((a->err = may_change(a->caller, r, SCOPE_TOKENS_REVOKE, 0)) !=
	    OP_OK)
		return -1;
	if (r->revoked_at != 0)
		return 0;	/* already revoked: nothing to write */
	r->revoked_at = a->now;
	return 1;
}

/*
 * A cascade's leaf: revoked (audited) if it was not, and marked as the
 * root of a revoked subtree either way (a token revoked alone may have
 * live children; one so marked has none, and walks never enter it).
 */
static int
tree_revoke_fn(struct tok_rec *r, void *arg)
{
	struct revoke_arg	*a = arg;
	int			 was = r->revoked_at != 0;

	if (r->tree_revoked_at != 0)
		return 0;
	if (!was)
		r->revoked_at = a->now;
	r->tree_revoked_at = a->now;
	return was ? 2 : 1;
}

static int
tree_revoked(const struct tok_rec *r, void *arg)
{
	(void)arg;
	return r->tree_revoked_at != 0;
}

/* The walk's stack: ids, each with whether its children were pushed. */
struct walk {
	struct buf	 ids;		/* UUID_LEN each */
	struct buf	 open;		/* a byte each: children pushed */
	struct buf	 kids;
	struct buf	 batch;		/* to revoke, in post-order */
	size_t		 visits;	/* tokens looked at */
	size_t		 live;		/* of them, not revoked */
};

/* Pushes the live children of the token on top; *cut past the budget. */
static enum store_err
walk_expand(struct store *st, struct walk *w, int *cut)
{
	const unsigned char	*top = (unsigned char *)w->ids.ptr +
	    w->ids.len - UUID_LEN;
	unsigned char		 id[UUID_LEN];
	struct tok_rec		 t;
	enum store_err		 e;
	size_t			 i, n;
	int			 more;

	w->open.ptr[w->open.len - 1] = 1;
	buf_reset(&w->kids);
	e = store_children(st, top, &w->kids, CASCADE_VISITS - w->visits,
	    &more);
	n = w->kids.len / UUID_LEN;
	tok_rec_init(&t);
	for (i = 0; e == STORE_OK && i < n; i++) {
		memcpy(id, w->kids.ptr + i * UUID_LEN, UUID_LEN);
		w->visits++;
		e = store_get(st, id, &t);
		if (e == STORE_NOTFOUND) {
			e = STORE_OK;
			continue;
		}
		/* A marked one's whole subtree is revoked: never entered. */
		if (e == STORE_OK && t.tree_revoked_at == 0) {
			buf_append(&w->ids, id, UUID_LEN);
			buf_putc(&w->open, 0);
			w->live += t.revoked_at == 0;
		}
	}
	tok_rec_free(&t);
	*cut = more || w->visits >= CASCADE_VISITS;
	return e;
}

/*
 * One bounded step of a cascade below root (already revoked): at most
 * CASCADE_STEP revocations, CASCADE_VISITS tokens looked at.  Post-order:
 * a token is revoked only once every token it minted is, checked in the
 * revoking transaction (store_modify_leaves); so the whole subtree of a
 * revoked token is revoked, and a walk never enters it again -- each step
 * goes on where the last one stopped without re-walking what it revoked.
 * A live token of the tree may mint meanwhile: the walk finds the new
 * token; a revoked one cannot (the mint re-reads its minter).
 */
static enum store_err
revoke_step(struct store *st, const unsigned char root[UUID_LEN],
    struct revoke_arg *a, const struct audit_ev *ev, struct cascade *out)
{
	struct walk	 w;
	enum store_err	 e = STORE_OK;
	size_t		 held = 0, n;
	int		 cut = 0;

	memset(&w, 0, sizeof(w));
	buf_append(&w.ids, root, UUID_LEN);
	buf_putc(&w.open, 0);
	while (e == STORE_OK && w.ids.len > 0 && !cut &&
	    out->revoked + w.batch.len / UUID_LEN < CASCADE_STEP) {
		if (w.open.ptr[w.open.len - 1] == 0) {
			e = walk_expand(st, &w, &cut);
			continue;
		}
		/*
		 * Every child of the top is marked, or in the batch before
		 * it; the root, revoked already, is marked last.
		 */
		buf_append(&w.batch, w.ids.ptr + w.ids.len - UUID_LEN,
		    UUID_LEN);
		buf_truncate(&w.ids, w.ids.len - UUID_LEN);
		buf_truncate(&w.open, w.open.len - 1);
		if (w.batch.len / UUID_LEN == CASCADE_BATCH) {
			n = w.batch.len / UUID_LEN;
			e = store_modify_leaves(st, (unsigned char *)w.batch.ptr,
			    n, tree_revoke_fn, a, tree_revoked, NULL, ev, &held);
			out->revoked += n - held;
			out->held += held;
			buf_reset(&w.batch);
		}
	}
	if (e == STORE_OK && w.batch.len > 0) {
		n = w.batch.len / UUID_LEN;
		e = store_modify_leaves(st, (unsigned char *)w.batch.ptr, n,
		    tree_revoke_fn, a, tree_revoked, NULL, ev, &held);
		out->revoked += n - held;
		out->held += held;
	}
	out->complete = e == STORE_OK && w.ids.len == 0 && out->held == 0;
	buf_free(&w.ids);
	buf_free(&w.open);
	buf_free(&w.kids);
	buf_free(&w.batch);
	return e;
}

/*
 * What is still to revoke below root: the live tokens its walk reaches,
 * counted up to CASCADE_VISITS (then *exact is 0).
 */
static enum store_err
revoke_left(struct store *st, const unsigned char root[UUID_LEN],
    struct cascade *out)
{
	struct walk	 w;
	enum store_err	 e = STORE_OK;
	int		 cut = 0;

	memset(&w, 0, sizeof(w));
	buf_append(&w.ids, root, UUID_LEN);
	buf_putc(&w.open, 0);
	while (e == STORE_OK && w.ids.len > 0 && !cut) {
		if (w.open.ptr[w.open.len - 1] != 0) {
			buf_truncate(&w.ids, w.ids.len - UUID_LEN);
			buf_truncate(&w.open, w.open.len - 1);
			continue;
		}
		e = walk_expand(st, &w, &cut);
	}
	out->remaining = w.live;
	out->remaining_exact = e == STORE_OK && !cut;
	buf_free(&w.ids);
	buf_free(&w.open);
	buf_free(&w.kids);
	buf_free(&w.batch);
	return e;
}

enum op_err
tokens_revoke(struct store *st, const unsigned char id[UUID_LEN],
    const struct tok_rec *caller, int cascade, int64_t now,
    const char *address, struct cascade *c, enum store_err *se)
{
	struct cascade		 none;
	struct revoke_arg	 a;
	struct audit_ev		 ev;
	enum store_err		 e;
	enum op_err		 err;
	int			 inactive;
	char			 detail[64], sid[UUID_STRLEN + 1];

	memset(&a, 0, sizeof(a));
	a.now = now;
	ev_init(&ev, "token.revoked", caller, now, address);
	e = modify_as(st, id, caller, now, revoke_fn, &a, &a.caller, &ev,
	    &inactive);
	if ((err = op_result(e, a.err, inactive, se)) != OP_OK || !cascade)
		return err;
	uuid_format(id, sid);
	snprintf(detail, sizeof(detail), "cascade from %s", sid);
	ev.detail = detail;
	a.caller = NULL;	/* the tree holds no more than its root */
	if (c == NULL)
		c = &none;
	memset(c, 0, sizeof(*c));
	if ((e = revoke_step(st, id, &a, &ev, c)) == STORE_OK && !c->complete)
		e = revoke_left(st, id, c);
	return op_result(e, c->complete ? OP_OK : OP_INCOMPLETE, 0, se);
}

struct value_arg {
	const unsigned char	*hash;		/* of the secret presented */
	int64_t			 now;
	struct audit_ev		*ev;		/* its event is chosen here */
	char			 detail[160];
};

/*
 * RFC 7009 by the secret's own authority, decided in the transaction:
 * the current secret revokes its token; a previous one in its grace ends
 * the grace (the token lives on with its current secret); a secret
 * rotated away meanwhile changes nothing.
 */
static int
value_fn(struct tok_rec *r, void *arg)
{
	struct value_arg	*a = arg;

	if (r->revoked_at != 0)
		return 0;
	/* Set on each run: a retried transaction may decide otherwise. */
	if (tok_hash_eq(r->hash, a->hash)) {
		a->ev->event = "token.revoked";
		a->ev->detail = NULL;
		r->revoked_at = a->now;
		return 1;
	}
	if (!r->has_prev || a->now >= r->grace_until ||
	    !tok_hash_eq(r->prev_hash, a->hash))
		return 0;
	snprintf(a->detail, sizeof(a->detail), "secret ...%s stopped working "
	    "(revoked by its value, RFC 7009)", r->prev_hint);
	a->ev->event = "token.rotation_finished";
	a->ev->detail = a->detail;
	r->grace_until = a->now;
	r->has_prev = 0;
	return 1;
}

enum op_err
tokens_revoke_secret(struct store *st, const char *secret, size_t len,
    const struct tok_rec *caller, int64_t now, const char *address,
    enum store_err *se)
{
	unsigned char		 hash[TOK_HASH_LEN], jti[UUID_LEN];
	struct tok_rec		 tok;
	struct value_arg	 v;
	struct audit_ev		 ev;
	int64_t			 gen;
	enum store_err		 e;
	enum op_err		 err = OP_OK;

	*se = STORE_OK;
	/* RFC 7009: an invalid token is no error. */
	if (tokens_secret_ok(st, secret, len, now, jti, &gen) == -1)
		return OP_OK;
	tok_rec_init(&tok);
	tok_hash(store_hashkey(st), secret, len, hash);
	e = store_get_by_hash(st, hash, &tok);
	if (e == STORE_OK && caller != NULL && tok_hash_eq(tok.hash, hash)) {
		/* A caller revokes what it covers, as DELETE does. */
		err = tokens_revoke(st, tok.id, caller, 0, now, address, NULL,
		    se);
		if (err == OP_DENIED || err == OP_NOTFOUND)
			err = OP_OK;	/* nothing to say about others' tokens */
	} else if (e == STORE_OK) {
		/*
		 * Otherwise the secret itself is the authority, whatever its
		 * token's state (a leaked token not yet valid, say), and
		 * whoever holds it could use it alone.
		 */
		ev_init(&ev, "token.revoked", caller != NULL ? caller : &tok,
		    now, address);
		memset(&v, 0, sizeof(v));
		v.hash = hash;
		v.now = now;
		v.ev = &ev;
		err = op_result(store_modify(st, tok.id, value_fn, &v, &ev, 0),
		    OP_OK, 0, se);
		if (err == OP_NOTFOUND)
			err = OP_OK;
	} else if (e != STORE_NOTFOUND) {
		*se = e;
		err = OP_STORE;
	}
	tok_rec_free(&tok);
	return err;
}

/* ---- sweeping ---- */

static int
sweep_match(const struct tok_rec *r, void *arg)
{
	int64_t	 cutoff = *(int64_t *)arg;

	return (r->expires_at != 0 && r->expires_at < cutoff) ||
	    (r->revoked_at != 0 && r->revoked_at < cutoff);
}

enum store_err
tokens_sweep(struct store *st, int64_t cutoff, int64_t now, size_t *count)
{
	struct tok_rec	*recs = tok_recs_new(SWEEP_BATCH);
	struct audit_ev	 ev;
	struct buf	 ids = BUF_INIT, kids = BUF_INIT;
	unsigned char	 last[UUID_LEN];
	size_t		 i, n;
	int		 more = 1, started = 0, kmore;
	enum store_err	 e = STORE_OK;

	*count = 0;
	ev_init(&ev, "token.purged", NULL, now, NULL);
	while (more && e == STORE_OK) {
		e = store_list(st, started ? last : NULL, sweep_match, &cutoff,
		    recs, SWEEP_BATCH, SWEEP_SCAN, &n, &more, last);
		started = 1;
		if (e != STORE_OK)
			break;
		/*
		 * A token that still has children stays (until they go), so a
		 * cascade from above keeps reaching them.
		 */
		buf_reset(&ids);
		for (i = 0; i < n && e == STORE_OK; i++) {
			buf_reset(&kids);
			e = store_children(st, recs[i].id, &kids, 1, &kmore);
			if (kids.len == 0)
				buf_append(&ids, recs[i].id, UUID_LEN);
		}
		n = ids.len / UUID_LEN;
		if (e == STORE_OK && n > 0 && (e = store_delete_many(st,
		    (unsigned char *)ids.ptr, n, &ev)) == STORE_OK)
			*count += n;
	}
	buf_free(&ids);
	buf_free(&kids);
	tok_recs_free(recs, SWEEP_BATCH);
	return e;
}

/* ---- the audit trail ---- */

void
audit_query_init(struct audit_query *q)
{
	memset(q, 0, sizeof(*q));
	q->limit = LIST_DEFAULT;
	q->desc = 1;
}

void
audit_query_free(struct audit_query *q)
{
	buf_free(&q->event);
	buf_free(&q->organization);
	audit_query_init(q);
}

struct audit_rec *
audit_recs_new(size_t n)
{
	struct audit_rec	*v;
	size_t			 i;

	if ((v = calloc(n ? n : 1, sizeof(*v))) == NULL)
		abort();
	for (i = 0; i < n; i++)
		audit_rec_init(&v[i]);
	return v;
}

void
audit_recs_free(struct audit_rec *v, size_t n)
{
	size_t	 i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		audit_rec_free(&v[i]);
	free(v);
}

static int
audit_match(const struct audit_rec *r, void *arg)
{
	const struct audit_query	*q = arg;

	if (q->event.len > 0 && strcmp(buf_cstr(&r->event),
	    buf_cstr(&q->event)) != 0)
		return 0;
	if (q->organization.len > 0 && strcmp(buf_cstr(&r->organization),
	    buf_cstr(&q->organization)) != 0)
		return 0;
	if (q->has_target && (!r->has_target ||
	    memcmp(r->target, q->target, UUID_LEN) != 0))
		return 0;
	if (q->has_actor && (!r->has_actor ||
	    memcmp(r->actor, q->actor, UUID_LEN) != 0))
		return 0;
	if (q->since != 0 && r->at < q->since)
		return 0;
	return q->until == 0 || r->at < q->until;
}

enum store_err
tokens_audit_list(struct store *st, const struct audit_query *q,
    struct audit_rec *recs, size_t *n, int *more, unsigned char next[UUID_LEN])
{
	return store_audit_list(st, q->has_after ? q->after : NULL, q->desc,
	    audit_match, (void *)q, recs, q->limit, LIST_SCANMAX, n, more, next);
}
