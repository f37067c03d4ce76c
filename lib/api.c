/* api: the HTTP side the native endpoints share — caller authentication, JSON bodies, mint fields, answers. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api.h"
#include "policy.h"
#include "problem.h"

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
	char		 ptr[32];
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
			snprintf(ptr, sizeof(ptr), "scopes/%d", i);
			problem_field(p, ptr, strlen(ptr), "must be a scope: "
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
api_mint_parse(struct req *r, const struct json_doc *d, struct mint_req *m)
{
	struct problem	 p;
	struct buf	 key = BUF_INIT;
	size_t		 i;
	int		 it = -1, k, v, seen_in = 0, seen_at = 0;

	problem_init(&p, 422, "The request has invalid fields.");
	while (json_each(d, 0, &it, &k, &v)) {
		for (i = 0; i < NFIELDS; i++)
			if (json_key_is(d, k, mint_fields[i].name))
				break;
		if (i == NFIELDS) {
			buf_reset(&key);
			json_str(d, k, &key);
			problem_field(&p, key.ptr, key.len, "is not a known field");
			continue;
		}
		if (d->tok[v].type != JSON_NULL) {
			seen_in |= i == 3;
			seen_at |= i == 4;
		}
		(void)mint_fields[i].valid(d, v, m, &p);
	}
	if (m->name.len == 0 && json_get(d, 0, "name") == -1)
		problem_field(&p, "name", 4, "is required");
	if (json_get(d, 0, "scopes") == -1)
		problem_field(&p, "scopes", 6, "is required");
	if (seen_in && seen_at)
		problem_field(&p, "expires_at", 10, "cannot be given with "
		    "expires_in");
	buf_free(&key);
	if (p.nerr > 0) {
		problem_reply(r, &p);
		return 0;
	}
	return 1;
}

void
api_mint_error(struct req *r, enum mint_err e, enum store_err se)
{
	struct problem	 p;

	switch (e) {
	case MINT_EXPIRED:
		problem_init(&p, 422, "The request has invalid fields.");
		problem_field(&p, "expires_at", 10, "must be in the future");
		problem_reply(r, &p);
		return;
	case MINT_STORE:
		api_store_error(r, se);
		return;
	default:
		problem_send(r, 403, tokens_mint_strerror(e));
		return;
	}
}

int
api_store_ok(struct req *r)
{
	if (r->store != NULL)
		return 1;
	problem_send(r, 503, "The token store is not available.");
	return 0;
}

void
api_store_error(struct req *r, enum store_err e)
{
	if (e == STORE_CORRUPT)
		problem_send(r, 500, "A stored record could not be read.");
	else
		problem_send(r, 503, "The token store is busy or failed; "
		    "try again.");
}

static void
deny(struct req *r, int status, const char *error, const char *detail)
{
	/* RFC 6750 3: a challenge on 401, and naming the error on 403. */
	if ((status == 401 || status == 403) && *error != '\0') {
		char	 h[128];

		snprintf(h, sizeof(h), "Bearer realm=\"keyhole\", error=\"%s\"",
		    error);
		req_header(r, "WWW-Authenticate", h);
	}
	problem_send(r, status, detail);
}

int
api_caller(struct req *r, const char *scope, struct tok_rec *caller)
{
	const char	*a = r->authorization, *s;
	enum auth_result ar;
	enum store_err	 se;
	char		 msg[128];

	if (r->store == NULL) {
		deny(r, 503, "", "The token store is not available.");
		return 0;
	}
	if (strncasecmp(a, "Bearer ", 7) != 0) {
		deny(r, 401, "", "This endpoint needs a bearer token.");
		return 0;
	}
	for (s = a + 7; *s == ' '; s++)
		continue;
	ar = tokens_lookup(r->store, s, strlen(s), r->now, caller, &se);
	if (ar == AUTH_STORE) {
		deny(r, 503, "", "The token store is busy; try again.");
		return 0;
	}
	if (ar != AUTH_OK) {
		deny(r, 401, "invalid_token", "The bearer token is not valid.");
		return 0;
	}
	if (!policy_allows(buf_cstr(&caller->scopes), scope, strlen(scope))) {
		snprintf(msg, sizeof(msg), "This token lacks the scope %s.",
		    scope);
		deny(r, 403, "insufficient_scope", msg);
		return 0;
	}
	return 1;
}

int
api_json_body(struct req *r, struct json_doc *d)
{
	char	 msg[160];

	if (!req_type_is(r, "application/json")) {
		problem_send(r, 400, "The body must be application/json.");
		return 0;
	}
	if (req_body(r) == -1)
		return 0;
	if (json_parse(d, r->body.ptr != NULL ? r->body.ptr : "", r->body.len,
	    JSON_MAXTOK, JSON_MAXDEPTH) == -1) {
		snprintf(msg, sizeof(msg), "The body is not valid JSON: %s",
		    d->err);
		problem_send(r, 400, msg);
		return 0;
	}
	if (d->tok[0].type != JSON_OBJECT) {
		json_free(d);
		problem_send(r, 400, "The body must be a JSON object.");
		return 0;
	}
	return 1;
}

int
api_path_id(struct req *r, unsigned char id[UUID_LEN])
{
	char	 seg[1][64];

	if (!req_route(r, "/v1/tokens/{}", seg, 1) ||
	    uuid_parse(seg[0], strlen(seg[0]), id) == -1) {
		problem_send(r, 404, "No token has this id.");
		return 0;
	}
	return 1;
}

void
api_json_reply(struct req *r, int status, const struct buf *b)
{
	req_reply(r, status, "application/json", b->ptr, b->len);
}

/* Every query parameter a listing accepts. */
static const char *const list_params[] = {
	"limit", "cursor", "status", "organization", "created_by", "name",
};

#define NLIST_PARAMS (sizeof(list_params) / sizeof(list_params[0]))

int
api_list_query(struct req *r, const struct tok_rec *caller,
    struct list_query *q)
{
	struct buf	 v = BUF_INIT;
	struct problem	 p;
	const char	*qs = r->query;
	size_t		 i, qlen = strlen(qs);
	int64_t		 limit;
	int		 rc, s;

	problem_init(&p, 400, "The query has invalid parameters.");
	q->now = r->now;
	if (!req_form_names_ok(qs, qlen, list_params, NLIST_PARAMS))
		problem_field(&p, "query", 5, "has an unknown or repeated "
		    "parameter; known: limit, cursor, status, organization, "
		    "created_by, name");
	for (i = 0; i < NLIST_PARAMS && p.nerr == 0; i++) {
		rc = req_form_get(qs, qlen, list_params[i], &v);
		if (rc == 0)
			continue;
		if (rc == -1 || memchr(v.ptr, '\0', v.len) != NULL) {
			problem_field(&p, list_params[i], strlen(list_params[i]),
			    "is malformed");
			continue;
		}
		switch (i) {
		case 0:
			if (json_int_text(v.ptr, v.len, 1, LIST_MAX, &limit) == -1)
				problem_field(&p, "limit", 5, "must be 1 to 1000");
			else
				q->limit = (size_t)limit;
			break;
		case 1:
			if (uuid_parse(v.ptr, v.len, q->after) == -1)
				problem_field(&p, "cursor", 6, "is not a cursor "
				    "this service gave");
			else
				q->has_after = 1;
			break;
		case 2:
			for (s = 0; s < TOK__MAX; s++)
				if (strcmp(v.ptr, policy_state_name(s)) == 0)
					break;
			if (s < TOK__MAX)
				q->state = s;
			else if (strcmp(v.ptr, "all") != 0)
				problem_field(&p, "status", 6, "must be active, "
				    "revoked, expired, pending, exhausted or all");
			break;
		case 3:
			if (!policy_org_ok(v.ptr, v.len))
				problem_field(&p, "organization", 12,
				    "is not an organization identifier");
			else
				buf_append(&q->organization, v.ptr, v.len);
			break;
		case 4:
			if (uuid_parse(v.ptr, v.len, q->created_by) == -1)
				problem_field(&p, "created_by", 10,
				    "is not a token id");
			else
				q->has_created_by = 1;
			break;
		case 5:
			buf_append(&q->name, v.ptr, v.len);
			break;
		}
	}
	buf_free(&v);
	if (p.nerr > 0) {
		problem_reply(r, &p);
		return 0;
	}
	/* A caller bound to an organization lists only there. */
	if (caller->organization.len > 0) {
		if (q->organization.len > 0 &&
		    strcmp(buf_cstr(&q->organization),
		    buf_cstr(&caller->organization)) != 0) {
			problem_send(r, 403, "This token may list only its own "
			    "organization's tokens.");
			return 0;
		}
		buf_reset(&q->organization);
		buf_append(&q->organization, caller->organization.ptr,
		    caller->organization.len);
	}
	return 1;
}

int
api_token_param(struct req *r, struct buf *out)
{
	struct json_doc	 d;
	int		 t, ok = 0;

	if (req_type_is(r, "application/x-www-form-urlencoded")) {
		if (req_body(r) == -1)
			return 0;
		ok = req_form_get(r->body.ptr != NULL ? r->body.ptr : "",
		    r->body.len, "token", out) == 1 && out->len > 0 &&
		    memchr(out->ptr, '\0', out->len) == NULL;
	} else if (req_type_is(r, "application/json")) {
		if (req_body(r) == -1)
			return 0;
		if (json_parse(&d, r->body.ptr != NULL ? r->body.ptr : "",
		    r->body.len, JSON_MAXTOK, JSON_MAXDEPTH) == 0) {
			t = json_get(&d, 0, "token");
			ok = t != -1 && d.tok[t].type == JSON_STRING &&
			    json_str(&d, t, out) == 0 && out->len > 0;
			json_free(&d);
		}
	} else {
		problem_send(r, 400, "The body must be "
		    "application/x-www-form-urlencoded or application/json.");
		return 0;
	}
	if (!ok)
		problem_send(r, 400, "The token parameter is "
		    "missing or malformed.");
	return ok;
}
