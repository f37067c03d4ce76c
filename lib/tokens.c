/* tokens: the operations on tokens (mint, authenticate, revoke), shared by the endpoints and keyholectl. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "json.h"
#include "policy.h"
#include "problem.h"
#include "claims.h"
#include "jwt.h"
#include "tokens.h"


void
mint_req_init(struct mint_req *m)
{
	memset(m, 0, sizeof(*m));
	m->max_uses = -1;
	m->kind = KIND_STANDARD;
}

void
mint_req_free(struct mint_req *m)
{
	buf_free(&m->name);
	buf_free(&m->description);
	buf_free(&m->organization);
	buf_free(&m->subject);
	buf_free(&m->scopes);
	buf_free(&m->bindings);
	buf_free(&m->entity);
	buf_free(&m->metadata);
	mint_req_init(m);
}

int
tokens_new_secret(struct store *st, const char *prefix, char *secret,
    size_t secretsz, unsigned char hash[TOK_HASH_LEN],
    char hint[TOK_HINT_LEN + 1])
{
	const char	*env = getenv("KEYHOLE_PREFIX");

	if (prefix == NULL)
		prefix = env != NULL && tok_prefix_ok(env) ? env :
		    TOK_DEFAULT_PREFIX;
	if (tok_generate(prefix, secret, secretsz) == -1)
		return -1;
	tok_hash(store_hashkey(st), secret, strlen(secret), hash);
	tok_hint(secret, strlen(secret), hint);
	return 0;
}

struct field {
	const char	*name;
	/* 1 valid (stored into m), 0 invalid (problem_field added) */
	int		(*valid)(const struct json_doc *, int, struct mint_req *,
			    struct problem *);
};

static int	 v_name(const struct json_doc *, int, struct mint_req *, struct problem *);
static int	 v_description(const struct json_doc *, int, struct mint_req *, struct problem *);
static int	 v_scopes(const struct json_doc *, int, struct mint_req *, struct problem *);
static int	 v_expires_in(const struct json_doc *, int, struct mint_req *, struct problem *);
static int	 v_expires_at(const struct json_doc *, int, struct mint_req *, struct problem *);
static int	 v_metadata(const struct json_doc *, int, struct mint_req *, struct problem *);
static int	 v_organization(const struct json_doc *, int, struct mint_req *, struct problem *);
static int	 v_subject(const struct json_doc *, int, struct mint_req *, struct problem *);
static int	 v_bindings(const struct json_doc *, int, struct mint_req *, struct problem *);
static int	 v_entity(const struct json_doc *, int, struct mint_req *, struct problem *);
static int	 v_starts_at(const struct json_doc *, int, struct mint_req *, struct problem *);
static int	 v_max_uses(const struct json_doc *, int, struct mint_req *, struct problem *);
static int	 v_kind(const struct json_doc *, int, struct mint_req *, struct problem *);
static int	 v_format(const struct json_doc *, int, struct mint_req *, struct problem *);

/* Every field a mint accepts; anything else is refused before use. */
static const struct field mint_fields[] = {
	{ "name", v_name },
	{ "description", v_description },
	{ "scopes", v_scopes },
	{ "expires_in", v_expires_in },
	{ "expires_at", v_expires_at },
	{ "metadata", v_metadata },
	{ "organization", v_organization },
	{ "subject", v_subject },
	{ "bindings", v_bindings },
	{ "entity", v_entity },
	{ "starts_at", v_starts_at },
	{ "max_uses", v_max_uses },
	{ "kind", v_kind },
	{ "format", v_format },
};

#define NFIELDS	(sizeof(mint_fields) / sizeof(mint_fields[0]))

/* Reads a string of 1..max code points with no control characters. */
static int
text(const struct json_doc *d, int t, size_t minc, size_t maxc, int multiline,
    struct buf *out, const char *name, struct problem *p)
{
	char	 msg[128];
	size_t	 bytes, chars, i;

	if (d->tok[t].type != JSON_STRING) {
		problem_field(p, name, strlen(name), "must be a string");
		return 0;
	}
	json_strlen(d, t, &bytes, &chars);
	if (chars < minc || chars > maxc) {
		snprintf(msg, sizeof(msg), "must be %zu to %zu characters long",
		    minc, maxc);
		problem_field(p, name, strlen(name), msg);
		return 0;
	}
	buf_reset(out);
	json_str(d, t, out);
	for (i = 0; i < out->len; i++) {
		unsigned char c = (unsigned char)out->ptr[i];

		if ((c < 0x20 && !(multiline && (c == '\n' || c == '\t'))) ||
		    c == 0x7f) {
			problem_field(p, name, strlen(name),
			    "must not contain control characters");
			return 0;
		}
	}
	return 1;
}

static int
v_name(const struct json_doc *d, int t, struct mint_req *m, struct problem *p)
{
	return text(d, t, 1, NAME_MAXCHARS, 0, &m->name, "name", p);
}

static int
v_description(const struct json_doc *d, int t, struct mint_req *m,
    struct problem *p)
{
	if (d->tok[t].type == JSON_NULL)
		return 1;
	return text(d, t, 0, DESCRIPTION_MAXCHARS, 1, &m->description,
	    "description", p);
}

static int
v_subject(const struct json_doc *d, int t, struct mint_req *m,
    struct problem *p)
{
	if (d->tok[t].type == JSON_NULL)
		return 1;
	return text(d, t, 1, SUBJECT_MAXCHARS, 0, &m->subject, "subject", p);
}

static int
v_organization(const struct json_doc *d, int t, struct mint_req *m,
    struct problem *p)
{
	if (d->tok[t].type == JSON_NULL)
		return 1;
	buf_reset(&m->organization);
	if (d->tok[t].type != JSON_STRING ||
	    json_str(d, t, &m->organization) == -1 ||
	    !policy_org_ok(m->organization.ptr, m->organization.len)) {
		problem_field(p, "organization", 12, "must be an organization "
		    "identifier: lower-case letters, digits and '-', at most 63");
		return 0;
	}
	return 1;
}

static int
v_scopes(const struct json_doc *d, int t, struct mint_req *m, struct problem *p)
{
	struct buf	 s = BUF_INIT;
	int		 i, e, ok = 1;

	if (d->tok[t].type != JSON_ARRAY || d->tok[t].size > SCOPES_MAX) {
		problem_field(p, "scopes", 6, "must be an array of at most 64 "
		    "scopes");
		return 0;
	}
	buf_reset(&m->scopes);
	for (i = 0; i < d->tok[t].size; i++) {
		e = json_at(d, t, i);
		buf_reset(&s);
		if (d->tok[e].type != JSON_STRING || json_str(d, e, &s) == -1 ||
		    !policy_scope_ok(s.ptr, s.len)) {
			problem_element(p, "scopes", i, "must be a scope: "
			    "resource:action, resource:*, or *");
			ok = 0;
			continue;
		}
		policy_scopes_add(&m->scopes, s.ptr, s.len);
	}
	buf_free(&s);
	return ok;
}

static int
v_expires_in(const struct json_doc *d, int t, struct mint_req *m,
    struct problem *p)
{
	if (d->tok[t].type == JSON_NULL)
		return 1;
	if (json_int(d, t, 1, LIFETIME_MAX, &m->expires_in) == -1) {
		problem_field(p, "expires_in", 10, "must be a whole number of "
		    "seconds, at least 1");
		return 0;
	}
	return 1;
}

/* An RFC 3339 time into *out; null leaves it unset. */
static int
time_value(const struct json_doc *d, int t, int64_t *out, const char *name,
    struct problem *p)
{
	struct buf	 s = BUF_INIT;
	int		 ok;

	if (d->tok[t].type == JSON_NULL)
		return 1;
	ok = d->tok[t].type == JSON_STRING && json_str(d, t, &s) == 0 &&
	    time_parse(s.ptr, s.len, out) == 0;
	buf_free(&s);
	if (!ok)
		problem_field(p, name, strlen(name), "must be an RFC 3339 "
		    "time, such as 2030-01-01T00:00:00Z");
	return ok;
}

static int
v_expires_at(const struct json_doc *d, int t, struct mint_req *m,
    struct problem *p)
{
	return time_value(d, t, &m->expires_at, "expires_at", p);
}

static int
v_starts_at(const struct json_doc *d, int t, struct mint_req *m,
    struct problem *p)
{
	return time_value(d, t, &m->starts_at, "starts_at", p);
}

static int
v_max_uses(const struct json_doc *d, int t, struct mint_req *m,
    struct problem *p)
{
	if (d->tok[t].type == JSON_NULL)
		return 1;
	if (json_int(d, t, 1, USES_MAX, &m->max_uses) == -1) {
		problem_field(p, "max_uses", 8, "must be a whole number from 1 "
		    "to 1000000000");
		return 0;
	}
	return 1;
}

static int
v_kind(const struct json_doc *d, int t, struct mint_req *m, struct problem *p)
{
	if (json_key_is(d, t, "standard") && d->tok[t].type == JSON_STRING)
		m->kind = KIND_STANDARD;
	else if (json_key_is(d, t, "enrollment") &&
	    d->tok[t].type == JSON_STRING)
		m->kind = KIND_ENROLLMENT;
	else {
		problem_field(p, "kind", 4, "must be \"standard\" or "
		    "\"enrollment\"");
		return 0;
	}
	return 1;
}

static int
v_format(const struct json_doc *d, int t, struct mint_req *m, struct problem *p)
{
	if (json_key_is(d, t, "opaque") && d->tok[t].type == JSON_STRING)
		m->format = FORMAT_OPAQUE;
	else if (json_key_is(d, t, "jwt") && d->tok[t].type == JSON_STRING)
		m->format = FORMAT_JWT;
	else {
		problem_field(p, "format", 6, "must be \"opaque\" or \"jwt\"");
		return 0;
	}
	return 1;
}

/* An entity string into out; 0 (problem added under pointer) if not one. */
static int
entity_value(const struct json_doc *d, int t, struct buf *out,
    struct problem *p, const char *name, int index)
{
	static const char msg[] = "must be \"organization\" or workspace:, "
	    "group: or deployment: and an id ([A-Za-z0-9][A-Za-z0-9_.-]*, at "
	    "most 64)";

	buf_reset(out);
	if (d->tok[t].type != JSON_STRING || json_str(d, t, out) == -1 ||
	    policy_entity_type(out->ptr, out->len) == 0) {
		if (index >= 0)
			problem_element(p, name, index, msg);
		else
			problem_field(p, name, strlen(name), msg);
		return 0;
	}
	return 1;
}

static int
v_entity(const struct json_doc *d, int t, struct mint_req *m,
    struct problem *p)
{
	if (d->tok[t].type == JSON_NULL)
		return 1;
	return entity_value(d, t, &m->entity, p, "entity", -1);
}

/* bindings: [{"role": R, "entity": E?}, ...] into "R@E" items. */
static int
v_bindings(const struct json_doc *d, int t, struct mint_req *m,
    struct problem *p)
{
	const struct role	*role;
	struct buf		 r = BUF_INIT, e = BUF_INIT, item = BUF_INIT;
	int			 i, b, rt, et, ok = 1, it, k, v;

	if (d->tok[t].type != JSON_ARRAY || d->tok[t].size > BINDINGS_MAX) {
		problem_field(p, "bindings", 8, "must be an array of at most 32 "
		    "role bindings");
		return 0;
	}
	buf_reset(&m->bindings);
	for (i = 0; i < d->tok[t].size; i++) {
		b = json_at(d, t, i);
		if (d->tok[b].type != JSON_OBJECT) {
			problem_element(p, "bindings", i, "must be an object "
			    "{\"role\": ..., \"entity\": ...}");
			ok = 0;
			continue;
		}
		it = -1;
		while (json_each(d, b, &it, &k, &v))
			if (!json_key_is(d, k, "role") &&
			    !json_key_is(d, k, "entity")) {
				problem_element(p, "bindings", i, "takes only "
				    "role and entity");
				ok = 0;
			}
		rt = json_get(d, b, "role");
		et = json_get(d, b, "entity");
		buf_reset(&r);
		if (rt == -1 || d->tok[rt].type != JSON_STRING ||
		    json_str(d, rt, &r) == -1 ||
		    (role = policy_role(r.ptr, r.len)) == NULL) {
			problem_element(p, "bindings", i, "role must be one of "
			    "the roles in schema/model.md");
			ok = 0;
			continue;
		}
		buf_reset(&e);
		if (et != -1 && d->tok[et].type != JSON_NULL) {
			if (!entity_value(d, et, &e, p, "bindings", i)) {
				ok = 0;
				continue;
			}
			if (!(policy_entity_type(e.ptr, e.len) & role->at)) {
				problem_element(p, "bindings", i, "this role "
				    "cannot be bound at this kind of entity");
				ok = 0;
				continue;
			}
		}
		buf_reset(&item);
		buf_append(&item, r.ptr, r.len);
		buf_putc(&item, '@');
		buf_append(&item, e.ptr, e.len);
		policy_scopes_add(&m->bindings, item.ptr, item.len);
	}
	buf_free(&r);
	buf_free(&e);
	buf_free(&item);
	return ok;
}

static int
v_metadata(const struct json_doc *d, int t, struct mint_req *m,
    struct problem *p)
{
	const char	*raw;
	size_t		 len;

	if (d->tok[t].type == JSON_NULL)
		return 1;
	raw = json_raw(d, t, &len);
	if (d->tok[t].type != JSON_OBJECT || raw == NULL ||
	    len > METADATA_MAXBYTES) {
		problem_field(p, "metadata", 8, "must be an object of at most "
		    "4096 bytes");
		return 0;
	}
	buf_reset(&m->metadata);
	buf_append(&m->metadata, raw, len);
	return 1;
}

int
mint_field(const struct json_doc *d, const char *name, int t,
    struct mint_req *m, struct problem *p)
{
	size_t	 i;

	for (i = 0; i < NFIELDS; i++)
		if (strcmp(mint_fields[i].name, name) == 0)
			return mint_fields[i].valid(d, t, m, p);
	return 0;
}

void
mint_copy_caller(struct mint_req *m, const struct tok_rec *caller)
{
	buf_reset(&m->organization);
	buf_append(&m->organization, caller->organization.ptr,
	    caller->organization.len);
	buf_reset(&m->entity);
	buf_append(&m->entity, caller->entity.ptr, caller->entity.len);
	buf_reset(&m->bindings);
	buf_append(&m->bindings, caller->bindings.ptr, caller->bindings.len);
	buf_reset(&m->scopes);
	buf_append(&m->scopes, caller->direct.ptr, caller->direct.len);
	/* No expiry asked: the mint shortens it to the caller's. */
	m->max_uses = caller->uses_left;	/* 0 for a caller on its last use: refused */
}

int
redeem_parse(const struct json_doc *d, struct buf *secret, struct mint_req *m,
    struct problem *p)
{
	/* What a redemption may say about the new token: no grants. */
	static const char *const fields[] = {
		"name", "description", "metadata", "expires_in", "expires_at",
	};
	struct buf	 key = BUF_INIT;
	size_t		 i, nf = sizeof(fields) / sizeof(fields[0]);
	int		 it = -1, k, v;

	while (json_each(d, 0, &it, &k, &v)) {
		if (json_key_is(d, k, "token")) {
			if (d->tok[v].type != JSON_STRING ||
			    json_str(d, v, secret) == -1 || secret->len == 0)
				problem_field(p, "token", 5, "must be the "
				    "enrollment token");
			continue;
		}
		for (i = 0; i < nf && !json_key_is(d, k, fields[i]); i++)
			continue;
		if (i < nf) {
			(void)mint_field(d, fields[i], v, m, p);
			continue;
		}
		buf_reset(&key);
		json_str(d, k, &key);
		problem_field(p, key.ptr, key.len, "is not a known field");
	}
	buf_free(&key);
	if (json_get(d, 0, "token") == -1)
		problem_field(p, "token", 5, "is required");
	if (json_get(d, 0, "name") == -1)
		problem_field(p, "name", 4, "is required");
	return p->nerr;
}

int
mint_parse(const struct json_doc *d, struct mint_req *m, struct problem *p)
{
	struct buf	 key = BUF_INIT;
	size_t		 i;
	int		 it = -1, k, v, in, at;

	while (json_each(d, 0, &it, &k, &v)) {
		for (i = 0; i < NFIELDS; i++)
			if (json_key_is(d, k, mint_fields[i].name))
				break;
		if (i == NFIELDS) {
			buf_reset(&key);
			json_str(d, k, &key);
			problem_field(p, key.ptr, key.len, "is not a known field");
			continue;
		}
		(void)mint_fields[i].valid(d, v, m, p);
	}
	buf_free(&key);
	if (json_get(d, 0, "name") == -1)
		problem_field(p, "name", 4, "is required");
	if (m->scopes.len == 0 && m->bindings.len == 0 &&
	    json_get(d, 0, "scopes") == -1 && json_get(d, 0, "bindings") == -1)
		problem_field(p, "scopes", 6, "is required unless bindings are "
		    "given");
	else if (p->nerr == 0 && m->scopes.len == 0 && m->bindings.len == 0)
		problem_field(p, "scopes", 6, "must not be empty when there "
		    "are no bindings");
	in = json_get(d, 0, "expires_in");
	at = json_get(d, 0, "expires_at");
	if (in != -1 && d->tok[in].type != JSON_NULL &&
	    at != -1 && d->tok[at].type != JSON_NULL)
		problem_field(p, "expires_at", 10, "cannot be given with "
		    "expires_in");
	return p->nerr;
}


/*
 * Completes "ROLE@" with the token's entity into out; 0 when a binding
 * lies outside that entity or its role cannot be bound at its type.
 */
int
resolve_bindings(const char *in, const char *entity, struct buf *out)
{
	const struct role	*r;
	struct buf		 item = BUF_INIT;
	const char		*p = in, *e, *at;
	int			 ok = 1;

	buf_reset(out);
	while (*p != '\0' && ok) {
		e = strchr(p, ' ');
		if (e == NULL)
			e = p + strlen(p);
		at = memchr(p, '@', (size_t)(e - p));
		buf_reset(&item);
		if (at == NULL || (r = policy_role(p, (size_t)(at - p))) == NULL) {
			ok = 0;
			break;
		}
		buf_append(&item, p, (size_t)(at + 1 - p));
		if (at + 1 == e)
			buf_puts(&item, entity);
		else
			buf_append(&item, at + 1, (size_t)(e - at - 1));
		at = memchr(item.ptr, '@', item.len) + 1;
		ok = policy_entity_contains(entity, at) &&
		    (policy_entity_type(at, strlen(at)) & r->at) != 0;
		policy_scopes_add(out, item.ptr, item.len);
		p = *e ? e + 1 : e;
	}
	buf_free(&item);
	return ok;
}

void
tok_rec_copy(struct tok_rec *dst, const struct tok_rec *src)
{
	struct buf	 b = BUF_INIT;

	rec_encode(src, &b);
	(void)rec_decode(b.ptr, b.len, dst);
	memcpy(dst->id, src->id, UUID_LEN);
	dst->via_previous = src->via_previous;
	memcpy(dst->auth_hash, src->auth_hash, TOK_HASH_LEN);
	buf_free(&b);
}

void
caller_guard_init(struct caller_guard *g, const struct tok_rec *seen,
    const struct tok_rec *mint, int64_t now)
{
	memset(g, 0, sizeof(*g));
	g->seen = seen;
	g->mint = mint;
	g->now = now;
	tok_rec_init(&g->fresh);
}

void
caller_guard_free(struct caller_guard *g)
{
	tok_rec_free(&g->fresh);
}

int
caller_guard_fn(struct tok_rec *r, void *arg)
{
	struct caller_guard	*g = arg;

	g->err = GUARD_OK;
	if (!policy_still_valid(g->seen, r, g->now)) {
		g->err = GUARD_INACTIVE;
		return -1;
	}
	/*
	 * The decision is made again on the caller as it is now (a secret
	 * that became a previous one meanwhile must have fenced the mint).
	 */
	if (g->mint != NULL && ((g->bound = policy_bounds(r, g->mint)) !=
	    BOUND_OK || (r->via_previous &&
	    !policy_fence_has(g->mint, r->id)))) {
		if (g->bound == BOUND_OK)
			g->bound = BOUND_SCOPE;
		g->err = GUARD_BOUND;
		return -1;
	}
	tok_rec_copy(&g->fresh, r);
	return 0;
}

/*
 * Stores out under a fresh secret; the common end of a mint and a
 * redemption.  STORE_OK also when the guard refused (it says so in its
 * argument): the caller then wipes the secret.
 */
int
tokens_unexpired(const struct tok_rec *t, void *arg)
{
	return policy_state(t, *(const int64_t *)arg) != TOK_EXPIRED;
}

/* (*toolong: a JWT's claims too many to sign, reported as busy.) */
static enum store_err
mint_store(struct store *st, struct tok_rec *out, const struct audit_ev *ev,
    const char *prefix, int unique, store_modify_fn guard, void *garg,
    char *secret, size_t secretsz, int *toolong)
{
	struct list_at	 at;
	struct buf	 key = BUF_INIT;
	enum store_err	 e = STORE_OK;
	int		 tries, rc;

	*toolong = 0;
	/* A name its subject may have once: checked in the insert itself. */
	memset(&at, 0, sizeof(at));
	if (unique) {
		store_list_key(&key, LIST_NAME, buf_cstr(&out->organization),
		    buf_cstr(&out->subject),
		    buf_cstr(&out->name));
		at.prefix = &key;
		at.match = tokens_unexpired;
		at.matcharg = &out->created_at;
	}

	/* A hash collision is impossible in practice; retry rather than assume. */
	for (tries = 0; tries < 3; tries++) {
		if (out->format == FORMAT_JWT) {
			/* A signature over its claims; no key: 503. */
			rc = claims_sign(st, out, 0, out->created_at, secret,
			    secretsz, out->hash, out->hint);
			if (rc != 0) {
				*toolong = rc == CLAIMS_TOO_LONG;
				e = STORE_BUSY;
				break;
			}
		} else if (tokens_new_secret(st, prefix, secret, secretsz,
		    out->hash, out->hint) == -1) {
			e = STORE_FATAL;
			break;
		} else
			/* Its rotations keep the prefix it was minted with. */
			snprintf(out->prefix, sizeof(out->prefix), "%.*s",
			    (int)strcspn(secret, "_-") + 1, secret);
		e = store_insert_unique(st, out, ev, guard, garg,
		    unique ? &at : NULL);
		if (e != STORE_EXISTS)
			break;
	}
	buf_free(&key);
	if (e != STORE_OK)
		sodium_memzero(secret, secretsz);
	return e;
}

/* The expiry asked for (0: none), and the configured maximum lifetime. */
static enum mint_err
mint_expiry(const struct mint_req *m, int64_t now, int64_t *exp,
    int64_t *maxlife)
{
	*maxlife = json_int_env("KEYHOLE_MAX_LIFETIME", 1, LIFETIME_MAX, 0);
	*exp = 0;
	if (m->expires_at != 0) {
		if (m->expires_at <= now)
			return MINT_EXPIRED;
		*exp = m->expires_at;
	} else if (m->expires_in != 0)
		*exp = now + m->expires_in;
	if (*exp != 0 && *exp - now > (*maxlife ? *maxlife : LIFETIME_MAX))
		return MINT_LIFETIME;
	return MINT_OK;
}

enum mint_err
tokens_mint(struct store *st, const struct tok_rec *caller,
    const struct mint_req *m, int64_t now, const char *address, char *secret,
    size_t secretsz, struct tok_rec *out, enum store_err *se)
{
	static const enum mint_err bound_mint_err[BOUND__MAX] = {
		MINT_OK, MINT_SCOPE, MINT_LIFETIME, MINT_USES,
	};
	struct audit_ev		 ev;
	struct caller_guard	 g;
	int64_t			 exp, maxlife, ttl, ce;
	enum mint_err		 me;
	enum store_err		 e;
	enum bound_err		 b;
	int			 asked, toolong;

	*se = STORE_OK;
	tok_rec_free(out);	/* out was initialised; it may hold a previous mint */
	/* A token with no use to give is nothing to mint. */
	if (m->max_uses == 0)
		return MINT_USES;
	if ((me = mint_expiry(m, now, &exp, &maxlife)) != MINT_OK)
		return me;
	asked = exp != 0;
	/* A dialect's default lifetime shortens like the native none. */
	if (exp == 0 && m->default_life > 0)
		exp = now + m->default_life;
	if (m->kind == KIND_ENROLLMENT) {
		/* Enrollment tokens are for a moment: a short default, a cap. */
		ttl = json_int_env("KEYHOLE_ENROLLMENT_TTL", 1,
		    ENROLLMENT_TTL_MAX, ENROLLMENT_TTL);
		if (exp == 0)
			exp = now + ttl;
		if (exp - now > ENROLLMENT_TTL_MAX)
			return MINT_LIFETIME;
	}

	if (m->organization.len > 0)
		buf_append(&out->organization, m->organization.ptr,
		    m->organization.len);
	else if (caller != NULL)
		buf_puts(&out->organization, buf_cstr(&caller->organization));
	if (m->entity.len > 0)
		buf_append(&out->entity, m->entity.ptr, m->entity.len);
	else if (caller != NULL)
		buf_puts(&out->entity, policy_entity_of(caller));
	else
		buf_puts(&out->entity, ENTITY_ORG);
	if (!resolve_bindings(buf_cstr(&m->bindings), buf_cstr(&out->entity),
	    &out->bindings))
		return MINT_BINDING;
	buf_append(&out->direct, m->scopes.ptr, m->scopes.len);
	policy_expand(buf_cstr(&out->bindings), buf_cstr(&out->direct),
	    &out->scopes);
	if (m->subject.len > 0)
		buf_append(&out->subject, m->subject.ptr, m->subject.len);
	else if (caller != NULL && !m->no_subject)
		buf_puts(&out->subject, buf_cstr(&caller->subject));

	if (caller != NULL) {
		/* No escalation: organization, entity, grants, subject, lifetime, uses. */
		if (!policy_org_visible(buf_cstr(&caller->organization),
		    buf_cstr(&out->organization)))
			return MINT_ORGANIZATION;
		if (!policy_entity_contains(policy_entity_of(caller),
		    buf_cstr(&out->entity)))
			return MINT_ENTITY;
		/* Minting is an act at the new token's entity, like any other. */
		if (!policy_allows_at(caller, buf_cstr(&out->entity),
		    SCOPE_TOKENS_CREATE))
			return MINT_ENTITY;
		if (!policy_covers(caller, out))
			return MINT_SCOPE;
		/* A token speaks for its minter's subject unless it may assign. */
		if (m->subject.len > 0 && strcmp(buf_cstr(&out->subject),
		    buf_cstr(&caller->subject)) != 0 &&
		    !policy_allows_at(caller, buf_cstr(&out->entity),
		    SCOPE_TOKENS_ASSIGN))
			return MINT_SUBJECT;
		/* A default shortens to the caller; an asked expiry must fit. */
		ce = policy_expiry(caller);
		if (ce != 0 && (exp == 0 || exp > ce)) {
			if (asked)
				return MINT_LIFETIME;
			exp = ce;
		}
		memcpy(out->created_by, caller->id, UUID_LEN);
		/* The admin tool may still mint what never expires (the root). */
		if (!asked && maxlife != 0 && (exp == 0 || exp - now > maxlife))
			exp = now + maxlife;
	}
	if (m->starts_at != 0 && exp != 0 && m->starts_at >= exp)
		return MINT_STARTS;

	uuid7_generate(out->id);
	out->created_at = now;
	out->starts_at = m->starts_at;
	out->expires_at = exp;
	out->kind = m->kind;
	out->format = m->format;
	out->uses_left = m->max_uses;
	if (m->kind == KIND_ENROLLMENT) {
		if (out->uses_left < 0)
			out->uses_left = 1;
		/* What it is traded for may live and be used as much as its minter. */
		if (caller != NULL) {
			out->grant_expires_at = policy_expiry(caller);
			out->grant_uses = caller->uses_left;
		}
	}
	/* The whole rule once more, uses included, and the caller's fences. */
	if (caller != NULL) {
		if ((b = policy_bounds(caller, out)) != BOUND_OK)
			return bound_mint_err[b];
		if (!policy_fence(caller, out))
			return MINT_SCOPE;
	}
	buf_append(&out->name, m->name.ptr, m->name.len);
	buf_append(&out->description, m->description.ptr, m->description.len);
	buf_append(&out->metadata, m->metadata.ptr, m->metadata.len);

	memset(&ev, 0, sizeof(ev));
	ev.at = now;
	ev.event = "token.created";
	ev.actor = caller != NULL ? caller->id : NULL;
	ev.target = out->id;
	ev.organization = buf_cstr(&out->organization);
	ev.address = address;
	ev.detail = m->kind == KIND_ENROLLMENT ? "enrollment" : NULL;
	if (caller == NULL) {
		*se = mint_store(st, out, m->unaudited ? NULL : &ev, m->prefix,
		    m->unique_name, NULL, NULL, secret, secretsz, &toolong);
		return *se == STORE_OK ? MINT_OK : toolong ? MINT_JWT_SIZE :
		    MINT_STORE;
	}
	/* The caller is read again in the insert's transaction, and decides there. */
	caller_guard_init(&g, caller, out, now);
	e = mint_store(st, out, &ev, m->prefix, m->unique_name, caller_guard_fn,
	    &g, secret, secretsz, &toolong);
	me = e == STORE_TAKEN ? MINT_TAKEN : toolong ? MINT_JWT_SIZE :
	    e != STORE_OK ? MINT_STORE :
	    g.err == GUARD_INACTIVE ?
	    MINT_INACTIVE : g.err == GUARD_BOUND ? bound_mint_err[g.bound] :
	    MINT_OK;
	if (e == STORE_NOTFOUND)	/* the caller is gone */
		me = MINT_INACTIVE;
	else if (e != STORE_OK)
		*se = e;
	if (me != MINT_OK)
		sodium_memzero(secret, secretsz);
	caller_guard_free(&g);
	return me;
}

const char *
tokens_mint_strerror(enum mint_err e)
{
	static const char *const msg[MINT__MAX] = {
		"ok",
		"The token would hold a scope or role the caller does not hold.",
		"The token would belong to an organization outside the caller's.",
		("The token would act outside the caller's entity, or where "
		    "the caller does not hold tokens:create."),
		"The token would outlive the caller or the maximum lifetime.",
		"expires_at is not in the future.",
		"starts_at is not before the token expires.",
		("A role binding lies outside the token's entity, or its role "
		    "cannot be bound at that kind of entity."),
		"The credential is not active.",
		("The token would speak for another subject; that needs "
		    "tokens:assign."),
		("The token would have more uses than the caller has left "
		    "(an unlimited token included)."),
		"A live token of this name already speaks for this subject.",
		("The token's grants would make a JWT longer than 4096 bytes; "
		    "mint it in the opaque format."),
		"The store failed.",
	};

	return e < MINT__MAX ? msg[e] : "unknown";
}

struct redeem_arg {
	const struct tok_rec	*seen;
	int64_t			 now;
	int			 refused;
};

/*
 * The enrollment's use, spent in the redemption's transaction, if the
 * secret presented is still its secret and a use is left.
 */
static int
redeem_guard(struct tok_rec *enr, void *arg)
{
	struct redeem_arg	*g = arg;

	g->refused = !policy_still_valid(g->seen, enr, g->now) ||
	    policy_state(enr, g->now) != TOK_ACTIVE;
	if (g->refused)
		return -1;
	if (enr->uses_left > 0)
		enr->uses_left--;
	enr->use_count++;
	enr->last_used_at = g->now;
	return 1;
}

enum mint_err
tokens_redeem(struct store *st, const char *enrollment, size_t len,
    const struct mint_req *m, int64_t now, const char *address, char *secret,
    size_t secretsz, struct tok_rec *out, enum store_err *se)
{
	struct tok_rec		 enr;
	struct audit_ev		 ev;
	struct redeem_arg	 g;
	enum store_err		 e;
	enum auth_result	 ar;
	enum mint_err		 me;
	int64_t			 exp, maxlife;
	int			 toolong;

	tok_rec_free(out);	/* out was initialised; it may hold a previous mint */
	tok_rec_init(&enr);
	ar = tokens_lookup(st, enrollment, len, KIND_ENROLLMENT, now, &enr, se);
	if (ar != AUTH_OK) {
		tok_rec_free(&enr);
		return ar == AUTH_STORE ? MINT_STORE : MINT_INACTIVE;
	}
	if ((me = mint_expiry(m, now, &exp, &maxlife)) != MINT_OK)
		goto done;
	if (enr.grant_expires_at != 0) {
		if (exp == 0)
			exp = enr.grant_expires_at;
		else if (exp > enr.grant_expires_at) {
			me = MINT_LIFETIME;
			goto done;
		}
	}
	/* The maximum lifetime binds what a redemption gives, too. */
	if (maxlife != 0 && (exp == 0 || exp - now > maxlife))
		exp = now + maxlife;

	/* The enrollment's grants, as they are: they never change. */
	uuid7_generate(out->id);
	memcpy(out->created_by, enr.id, UUID_LEN);
	out->created_at = now;
	out->expires_at = exp;
	out->uses_left = enr.grant_uses;
	buf_puts(&out->organization, buf_cstr(&enr.organization));
	buf_puts(&out->entity, buf_cstr(&enr.entity));
	buf_puts(&out->bindings, buf_cstr(&enr.bindings));
	buf_puts(&out->direct, buf_cstr(&enr.direct));
	buf_puts(&out->scopes, buf_cstr(&enr.scopes));
	buf_puts(&out->subject, buf_cstr(&enr.subject));
	buf_append(&out->fence, enr.fence.ptr, enr.fence.len);
	buf_append(&out->name, m->name.ptr, m->name.len);
	buf_append(&out->description, m->description.ptr, m->description.len);
	buf_append(&out->metadata, m->metadata.ptr, m->metadata.len);

	memset(&ev, 0, sizeof(ev));
	ev.at = now;
	ev.event = "token.redeemed";
	ev.actor = enr.id;
	ev.target = out->id;
	ev.organization = buf_cstr(&out->organization);
	ev.address = address;
	g.seen = &enr;
	g.now = now;
	g.refused = 0;
	e = mint_store(st, out, &ev, NULL, 0, redeem_guard, &g, secret,
	    secretsz, &toolong);
	me = e == STORE_OK ? (g.refused ? MINT_INACTIVE : MINT_OK) :
	    e == STORE_NOTFOUND ? MINT_INACTIVE : MINT_STORE;
	if (me == MINT_STORE)
		*se = e;
	if (me != MINT_OK)
		sodium_memzero(secret, secretsz);
done:
	tok_rec_free(&enr);
	return me;
}

int
tokens_secret_ok(struct store *st, const char *secret, size_t len, int64_t now,
    unsigned char jti[UUID_LEN], int64_t *gen)
{
	/*
	 * The checksum refuses typos and junk before any store call; a JWT's
	 * signature does.
	 */
	if (jwt_shaped(secret, len))
		return claims_check(st, secret, len, now, jti, gen) == -1 ? -1 : 1;
	return tok_check(secret, len) ? 0 : -1;
}

enum auth_result
tokens_lookup(struct store *st, const char *secret, size_t len,
    enum tok_kind kind, int64_t now, struct tok_rec *out, enum store_err *se)
{
	unsigned char	 hash[TOK_HASH_LEN];
	enum store_err	 e;

	*se = STORE_OK;
	/*
	 * A JWT is found by the keyed hash of all of it, as an opaque secret
	 * is: finding it proves keyhole minted it as it is, for its record and
	 * generation, which the signature would only say again (at a tenth
	 * of a millisecond).  Its key must still be live.
	 */
	if (jwt_shaped(secret, len) ? claims_key_live(st, secret, len,
	    now) == -1 : !tok_check(secret, len))
		return AUTH_MALFORMED;
	tok_hash(store_hashkey(st), secret, len, hash);
	e = store_get_by_hash(st, hash, out);
	if (e == STORE_NOTFOUND)
		return AUTH_UNKNOWN;
	if (e != STORE_OK) {
		*se = e;
		return AUTH_STORE;
	}
	/* A replaced secret is good only until its grace ends. */
	memcpy(out->auth_hash, hash, TOK_HASH_LEN);
	out->via_previous = !tok_hash_eq(out->hash, hash);
	if (out->via_previous && now >= out->grace_until)
		return AUTH_INACTIVE;
	if (out->kind != kind)
		return AUTH_INACTIVE;
	return policy_state(out, now) == TOK_ACTIVE ? AUTH_OK : AUTH_INACTIVE;
}

void
tokens_scopes_json(struct jsonw *w, const char *key, const char *scopes)
{
	const char	*p = scopes, *e;

	jw_arr_open(w, key);
	while (*p != '\0') {
		e = strchr(p, ' ');
		if (e == NULL)
			e = p + strlen(p);
		jw_strn(w, NULL, p, (size_t)(e - p));
		p = *e ? e + 1 : e;
	}
	jw_arr_close(w);
}

static void
str_or_null(struct jsonw *w, const char *key, const struct buf *b)
{
	if (b->len > 0)
		jw_strn(w, key, b->ptr, b->len);
	else
		jw_null(w, key);
}

/* [{"role": R, "entity": E}, ...] from "R@E ..." */
static void
bindings_json(struct jsonw *w, const char *bindings)
{
	const char	*p = bindings, *e, *at;

	jw_arr_open(w, "bindings");
	while (*p != '\0') {
		e = strchr(p, ' ');
		if (e == NULL)
			e = p + strlen(p);
		if ((at = memchr(p, '@', (size_t)(e - p))) != NULL) {
			jw_obj_open(w, NULL);
			jw_strn(w, "role", p, (size_t)(at - p));
			jw_strn(w, "entity", at + 1, (size_t)(e - at - 1));
			jw_obj_close(w);
		}
		p = *e ? e + 1 : e;
	}
	jw_arr_close(w);
}

void
tokens_json(struct jsonw *w, const struct tok_rec *r, int64_t now)
{
	static const unsigned char zero[UUID_LEN];
	static const char *const kinds[KIND__MAX] = { "standard", "enrollment" };
	static const char *const formats[FORMAT__MAX] = { "opaque", "jwt" };
	struct grant_set gs;
	struct buf	 scopes = BUF_INIT;
	char		 id[UUID_STRLEN + 1];

	uuid_format(r->id, id);
	jw_str(w, "id", id);
	str_or_null(w, "name", &r->name);
	str_or_null(w, "description", &r->description);
	/* What holds at its entity; grants in narrower entities are bindings. */
	policy_grants(r, &gs);
	policy_scopes_at(&gs, policy_entity_of(r), &scopes);
	policy_grants_free(&gs);
	tokens_scopes_json(w, "scopes", buf_cstr(&scopes));
	buf_free(&scopes);
	str_or_null(w, "organization", &r->organization);
	jw_str(w, "entity", policy_entity_of(r));
	bindings_json(w, buf_cstr(&r->bindings));
	str_or_null(w, "subject", &r->subject);
	jw_str(w, "kind", kinds[r->kind]);
	jw_str(w, "format", formats[r->format]);
	jw_str(w, "status", policy_state_name(policy_state(r, now)));
	jw_time(w, "created_at", r->created_at);
	jw_time(w, "starts_at", r->starts_at);
	jw_time(w, "expires_at", r->expires_at);
	jw_time(w, "updated_at", r->updated_at);
	jw_time(w, "last_used_at", r->last_used_at);
	str_or_null(w, "last_used_address", &r->last_address);
	str_or_null(w, "last_used_user_agent", &r->last_agent);
	jw_int(w, "use_count", r->use_count);
	if (r->uses_left >= 0)
		jw_int(w, "uses_left", r->uses_left);
	else
		jw_null(w, "uses_left");
	jw_time(w, "rotated_at", r->rotated_at);
	jw_time(w, "grace_until", r->has_prev && r->grace_until > now ?
	    r->grace_until : 0);
	jw_time(w, "revoked_at", r->revoked_at);
	if (memcmp(r->created_by, zero, UUID_LEN) != 0) {
		uuid_format(r->created_by, id);
		jw_str(w, "created_by", id);
	} else
		jw_null(w, "created_by");
	if (r->metadata.len > 0)
		jw_raw(w, "metadata", r->metadata.ptr, r->metadata.len);
	else
		jw_raw(w, "metadata", "{}", 2);
	jw_str(w, "hint", r->hint);
}

static void
uuid_or_null(struct jsonw *w, const char *key, int has, const unsigned char *id)
{
	char	 s[UUID_STRLEN + 1];

	if (!has) {
		jw_null(w, key);
		return;
	}
	uuid_format(id, s);
	jw_str(w, key, s);
}

void
tokens_audit_json(struct jsonw *w, const struct audit_rec *r)
{
	uuid_or_null(w, "id", 1, r->id);
	jw_time(w, "at", r->at);
	jw_strn(w, "event", r->event.ptr, r->event.len);
	uuid_or_null(w, "actor", r->has_actor, r->actor);
	uuid_or_null(w, "target", r->has_target, r->target);
	str_or_null(w, "organization", &r->organization);
	str_or_null(w, "address", &r->address);
	str_or_null(w, "detail", &r->detail);
}

void
tokens_introspection_json(struct jsonw *w, const struct tok_rec *r)
{
	char	 id[UUID_STRLEN + 1];

	uuid_format(r->id, id);
	jw_bool(w, "active", 1);
	jw_str(w, "jti", id);
	str_or_null(w, "sub", &r->subject);
	jw_int(w, "iat", r->created_at);
	if (r->expires_at != 0)
		jw_int(w, "exp", r->expires_at);
	if (r->starts_at != 0)
		jw_int(w, "nbf", r->starts_at);
	jw_str(w, "token_type", "Bearer");
	str_or_null(w, "organization", &r->organization);
	claims_grants(w, r);
}

void
list_query_init(struct list_query *q)
{
	memset(q, 0, sizeof(*q));
	q->limit = LIST_DEFAULT;
	q->state = -1;
}

void
list_query_free(struct list_query *q)
{
	buf_free(&q->organization);
	buf_free(&q->name);
	buf_free(&q->list);
	list_query_init(q);
}

struct tok_rec *
tok_recs_new(size_t n)
{
	struct tok_rec	*v;
	size_t		 i;

	if ((v = calloc(n ? n : 1, sizeof(*v))) == NULL)
		abort();
	for (i = 0; i < n; i++)
		tok_rec_init(&v[i]);
	return v;
}

void
tok_recs_free(struct tok_rec *v, size_t n)
{
	size_t	 i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		tok_rec_free(&v[i]);
	free(v);
}

static int
list_match(const struct tok_rec *r, void *arg)
{
	const struct list_query	*q = arg;

	if (q->organization.len > 0 &&
	    strcmp(buf_cstr(&r->organization), buf_cstr(&q->organization)) != 0)
		return 0;
	if (q->has_created_by &&
	    memcmp(r->created_by, q->created_by, UUID_LEN) != 0)
		return 0;
	if (q->viewer != NULL && !policy_sees(q->viewer, r, SCOPE_TOKENS_READ))
		return 0;
	if (q->name.len > 0 &&
	    strcmp(buf_cstr(&r->name), buf_cstr(&q->name)) != 0)
		return 0;
	if (q->unrevoked && r->revoked_at != 0)
		return 0;
	return q->state == -1 || (int)policy_state(r, q->now) == q->state;
}

enum store_err
tokens_list(struct store *st, const struct list_query *q, struct tok_rec *recs,
    struct page *pg)
{
	struct list_at	 at;
	struct list_got	 got;
	struct tok_rec	 t;
	enum store_err	 e;
	size_t		 i;

	memset(pg, 0, sizeof(*pg));
	pg->recs = recs;
	pg->limit = q->limit;
	pg->offset = q->offset;
	if (q->list.len == 0)
		return store_list(st, q->has_after ? q->after : NULL,
		    list_match, (void *)q, recs, q->limit, LIST_SCANMAX, &pg->n,
		    &pg->more, pg->last);
	memset(&at, 0, sizeof(at));
	at.prefix = &q->list;
	at.offset = q->offset;
	at.from = q->has_after ? q->after : NULL;
	at.desc = q->desc != (q->has_after && q->before);
	/* A filtered list is walked as a scan is: a bounded number a page. */
	if (q->filtered) {
		at.match = list_match;
		at.matcharg = (void *)q;
		at.scanmax = LIST_SCANMAX;
	}
	e = store_list_page(st, &at, recs, q->limit, &got);
	pg->n = got.n;
	pg->more = got.more;
	pg->total = got.total;
	pg->counted = !q->filtered;
	memcpy(pg->last, got.last, UUID_LEN);
	/* A page before the cursor was read backwards: put it in list order. */
	for (i = 0; q->has_after && q->before && i < pg->n / 2; i++) {
		t = recs[i];
		recs[i] = recs[pg->n - 1 - i];
		recs[pg->n - 1 - i] = t;
	}
	return e;
}
