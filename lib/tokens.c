/* tokens: the operations on tokens (mint, authenticate, revoke), shared by the endpoints and keyholectl. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "json.h"
#include "policy.h"
#include "problem.h"
#include "tokens.h"

static const char *prefix_default(void);

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
	buf_free(&m->metadata);
	mint_req_init(m);
}

static const char *
prefix_default(void)
{
	const char	*s = getenv("KEYHOLE_PREFIX");

	return s != NULL && tok_prefix_ok(s) ? s : TOK_DEFAULT_PREFIX;
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

	if (d->tok[t].type != JSON_ARRAY || d->tok[t].size < 1 ||
	    d->tok[t].size > SCOPES_MAX) {
		problem_field(p, "scopes", 6, "must be an array of 1 to 64 "
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

static int
v_expires_at(const struct json_doc *d, int t, struct mint_req *m,
    struct problem *p)
{
	struct buf	 s = BUF_INIT;
	int		 ok;

	if (d->tok[t].type == JSON_NULL)
		return 1;
	ok = d->tok[t].type == JSON_STRING && json_str(d, t, &s) == 0 &&
	    time_parse(s.ptr, s.len, &m->expires_at) == 0;
	buf_free(&s);
	if (!ok)
		problem_field(p, "expires_at", 10, "must be an RFC 3339 time, "
		    "such as 2030-01-01T00:00:00Z");
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
	if (json_get(d, 0, "scopes") == -1)
		problem_field(p, "scopes", 6, "is required");
	in = json_get(d, 0, "expires_in");
	at = json_get(d, 0, "expires_at");
	if (in != -1 && d->tok[in].type != JSON_NULL &&
	    at != -1 && d->tok[at].type != JSON_NULL)
		problem_field(p, "expires_at", 10, "cannot be given with "
		    "expires_in");
	return p->nerr;
}


enum mint_err
tokens_mint(struct store *st, const struct tok_rec *caller,
    const struct mint_req *m, int64_t now, const char *address, char *secret,
    size_t secretsz, struct tok_rec *out, enum store_err *se)
{
	const unsigned char	*actor = NULL;
	struct audit_ev		 ev;
	int64_t			 exp = 0, maxlife;
	const char		*org, *sub;
	enum store_err		 e;
	int			 tries;

	*se = STORE_OK;
	maxlife = json_int_env("KEYHOLE_MAX_LIFETIME", 1, LIFETIME_MAX,
	    LIFETIME_MAX);
	if (m->expires_at != 0) {
		if (m->expires_at <= now)
			return MINT_EXPIRED;
		exp = m->expires_at;
	} else if (m->expires_in != 0)
		exp = now + m->expires_in;
	if (exp != 0 && exp - now > maxlife)
		return MINT_LIFETIME;

	org = m->organization.len ? buf_cstr(&m->organization) : "";
	sub = m->subject.len ? buf_cstr(&m->subject) : "";
	if (caller != NULL) {
		/* No escalation: scopes, organization and lifetime within the caller's. */
		if (!policy_subset(buf_cstr(&caller->scopes), buf_cstr(&m->scopes)))
			return MINT_SCOPE;
		if (caller->organization.len > 0) {
			if (*org == '\0')
				org = buf_cstr(&caller->organization);
			else if (strcmp(org, buf_cstr(&caller->organization)) != 0)
				return MINT_ORGANIZATION;
		}
		if (caller->expires_at != 0) {
			if (exp == 0)
				exp = caller->expires_at;
			else if (exp > caller->expires_at)
				return MINT_LIFETIME;
		}
		if (*sub == '\0')
			sub = buf_cstr(&caller->subject);
		actor = caller->id;
	}

	tok_rec_init(out);
	uuid7_generate(out->id);
	if (caller != NULL)
		memcpy(out->created_by, caller->id, UUID_LEN);
	out->created_at = now;
	out->expires_at = exp;
	out->uses_left = m->max_uses;
	out->kind = m->kind;
	buf_append(&out->name, m->name.ptr, m->name.len);
	buf_append(&out->description, m->description.ptr, m->description.len);
	buf_puts(&out->organization, org);
	buf_puts(&out->subject, sub);
	buf_append(&out->scopes, m->scopes.ptr, m->scopes.len);
	buf_append(&out->metadata, m->metadata.ptr, m->metadata.len);

	memset(&ev, 0, sizeof(ev));
	ev.at = now;
	ev.event = "token.created";
	ev.actor = actor;
	ev.target = out->id;
	ev.organization = org;
	ev.address = address;

	/* A hash collision is impossible in practice; retry rather than assume. */
	for (tries = 0; tries < 3; tries++) {
		if (tok_generate(m->prefix != NULL ? m->prefix :
		    prefix_default(), secret, secretsz) == -1) {
			*se = STORE_FATAL;
			return MINT_STORE;
		}
		tok_hash(store_hashkey(st), secret, strlen(secret), out->hash);
		tok_hint(secret, strlen(secret), out->hint);
		e = store_insert(st, out, m->unaudited ? NULL : &ev);
		if (e != STORE_EXISTS)
			break;
	}
	if (e != STORE_OK) {
		sodium_memzero(secret, secretsz);
		*se = e;
		return MINT_STORE;
	}
	return MINT_OK;
}

const char *
tokens_mint_strerror(enum mint_err e)
{
	static const char *const msg[MINT__MAX] = {
		"ok",
		"The token would hold a scope the caller does not hold.",
		"The token would belong to an organization outside the caller's.",
		"The token would outlive the caller or the maximum lifetime.",
		"expires_at is not in the future.",
		"The store failed.",
	};

	return e < MINT__MAX ? msg[e] : "unknown";
}

enum auth_result
tokens_lookup(struct store *st, const char *secret, size_t len, int64_t now,
    struct tok_rec *out, enum store_err *se)
{
	unsigned char	 hash[TOK_HASH_LEN];
	enum store_err	 e;

	*se = STORE_OK;
	/* The checksum refuses typos and junk before any store call. */
	if (!tok_check(secret, len))
		return AUTH_MALFORMED;
	tok_hash(store_hashkey(st), secret, len, hash);
	e = store_get_by_hash(st, hash, out);
	if (e == STORE_NOTFOUND)
		return AUTH_UNKNOWN;
	if (e != STORE_OK) {
		*se = e;
		return AUTH_STORE;
	}
	return policy_state(out, now) == TOK_ACTIVE ? AUTH_OK : AUTH_INACTIVE;
}

struct revoke_arg {
	const struct tok_rec	*caller;
	int64_t			 now;
	int			 denied;
	int			 hidden;
};

static int
revoke_fn(struct tok_rec *r, void *arg)
{
	struct revoke_arg	*a = arg;

	a->denied = a->hidden = 0;
	if (a->caller != NULL) {
		if (!policy_org_visible(buf_cstr(&a->caller->organization),
		    buf_cstr(&r->organization))) {
			a->hidden = 1;
			return 0;
		}
		/* A token may always end itself; others only within its own scopes. */
		if (memcmp(a->caller->id, r->id, UUID_LEN) != 0 &&
		    !policy_subset(buf_cstr(&a->caller->scopes),
		    buf_cstr(&r->scopes))) {
			a->denied = 1;
			return 0;
		}
	}
	if (r->revoked_at != 0)
		return 0;	/* already revoked: nothing to write */
	r->revoked_at = a->now;
	return 1;
}

enum store_err
tokens_revoke(struct store *st, const unsigned char id[UUID_LEN],
    const struct tok_rec *caller, int64_t now, const char *address,
    int *denied)
{
	struct revoke_arg	 a;
	struct audit_ev		 ev;
	enum store_err		 e;

	memset(&a, 0, sizeof(a));
	a.caller = caller;
	a.now = now;
	memset(&ev, 0, sizeof(ev));
	ev.at = now;
	ev.event = "token.revoked";
	ev.actor = caller != NULL ? caller->id : NULL;
	ev.target = id;
	ev.address = address;
	e = store_modify(st, id, revoke_fn, &a, &ev);
	*denied = a.denied;
	if (e == STORE_OK && a.hidden)
		return STORE_NOTFOUND;
	return e;
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

void
tokens_json(struct jsonw *w, const struct tok_rec *r, int64_t now)
{
	static const unsigned char zero[UUID_LEN];
	static const char *const kinds[KIND__MAX] = { "standard", "enrollment" };
	static const char *const formats[FORMAT__MAX] = { "opaque", "jwt" };
	char	 id[UUID_STRLEN + 1];

	uuid_format(r->id, id);
	jw_str(w, "id", id);
	jw_strn(w, "name", r->name.ptr, r->name.len);
	str_or_null(w, "description", &r->description);
	tokens_scopes_json(w, "scopes", buf_cstr(&r->scopes));
	str_or_null(w, "organization", &r->organization);
	jw_arr_open(w, "bindings");
	jw_arr_close(w);
	str_or_null(w, "subject", &r->subject);
	jw_str(w, "kind", kinds[r->kind]);
	jw_str(w, "format", formats[r->format]);
	jw_str(w, "status", policy_state_name(policy_state(r, now)));
	jw_time(w, "created_at", r->created_at);
	jw_time(w, "starts_at", r->starts_at);
	jw_time(w, "expires_at", r->expires_at);
	jw_time(w, "last_used_at", r->last_used_at);
	if (r->uses_left >= 0)
		jw_int(w, "uses_left", r->uses_left);
	else
		jw_null(w, "uses_left");
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

void
tokens_introspection_json(struct jsonw *w, const struct tok_rec *r)
{
	char	 id[UUID_STRLEN + 1];

	uuid_format(r->id, id);
	jw_bool(w, "active", 1);
	jw_str(w, "scope", buf_cstr(&r->scopes));
	jw_str(w, "jti", id);
	str_or_null(w, "sub", &r->subject);
	jw_int(w, "iat", r->created_at);
	if (r->expires_at != 0)
		jw_int(w, "exp", r->expires_at);
	if (r->starts_at != 0)
		jw_int(w, "nbf", r->starts_at);
	jw_str(w, "token_type", "Bearer");
	str_or_null(w, "organization", &r->organization);
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
	if (q->name.len > 0 &&
	    strcmp(buf_cstr(&r->name), buf_cstr(&q->name)) != 0)
		return 0;
	return q->state == -1 || (int)policy_state(r, q->now) == q->state;
}

enum store_err
tokens_list(struct store *st, const struct list_query *q, struct tok_rec *recs,
    size_t *n, int *more, unsigned char next[UUID_LEN])
{
	return store_list(st, q->has_after ? q->after : NULL, list_match,
	    (void *)q, recs, q->limit, LIST_SCANMAX, n, more, next);
}
