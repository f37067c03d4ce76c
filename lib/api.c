/* api: the HTTP side every route shares — the caller check's answers, JSON bodies, mint fields, errors of the domain's outcomes. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api.h"
#include "dialect.h"
#include "policy.h"
#include "problem.h"

static int	 json_body(struct req *, struct json_doc *);
static int	 mint_status(enum mint_err);

int
api_mint_parse(struct req *r, const struct json_doc *d, struct mint_req *m)
{
	struct problem	 p;

	problem_init(&p, 422, "The request has invalid fields.");
	if (mint_parse(d, m, &p) > 0) {
		problem_reply(r, &p);
		return 0;
	}
	return 1;
}

int
api_redeem_parse(struct req *r, const struct json_doc *d, struct buf *secret,
    struct mint_req *m)
{
	struct problem	 p;

	problem_init(&p, 422, "The request has invalid fields.");
	if (redeem_parse(d, secret, m, &p) > 0) {
		problem_reply(r, &p);
		return 0;
	}
	return 1;
}

void
api_mint_error(struct req *r, enum mint_err e, enum store_err se,
    const struct tok_rec *caller)
{
	struct problem	 p;

	static const struct {
		enum mint_err	 e;
		const char	*field, *detail;
	} fields[] = {
		{ MINT_EXPIRED, "expires_at", "must be in the future" },
		{ MINT_STARTS, "starts_at", "must be before the expiry" },
		{ MINT_BINDING, "bindings", "each binding must lie inside the "
		    "token's entity, with a role bindable there" },
	};
	size_t		 i;

	if (e == MINT_STORE) {
		api_store_error(r, se);
		return;
	}
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (fields[i].e == e) {
			problem_init(&p, 422, tokens_mint_strerror(e));
			problem_field(&p, fields[i].field,
			    strlen(fields[i].field), fields[i].detail);
			problem_reply(r, &p);
			return;
		}
	/* An attempt to reach past the caller's own grants is worth a record. */
	if (mint_status(e) == 403 && caller != NULL)
		tokens_audit_refused(r->store, tokens_mint_strerror(e), caller,
		    NULL, r->now, r->remote_addr);
	problem_send(r, mint_status(e), tokens_mint_strerror(e));
}

void
api_op_error(struct req *r, enum op_err e, enum store_err se,
    const struct tok_rec *caller, const unsigned char *id)
{
	char	 msg[96];

	switch (e) {
	case OP_OK:
	case OP_INCOMPLETE:	/* not an error: its endpoint answers 202 */
	case OP__MAX:
		break;
	case OP_NOTFOUND:
		problem_send(r, 404, "No token has this id.");
		break;
	case OP_DENIED:
		snprintf(msg, sizeof(msg), "%s refused: the token holds grants "
		    "the caller does not", r->method);
		tokens_audit_refused(r->store, msg, caller, id, r->now,
		    r->remote_addr);
		problem_send(r, 403, "The token holds grants this caller does "
		    "not hold; only such a caller may change it.");
		break;
	case OP_CONFLICT:
		problem_send(r, 409, "The token is revoked or expired.");
		break;
	case OP_INVALID:
		problem_send(r, 422, "The merged metadata would not be an "
		    "object of at most 4096 bytes.");
		break;
	case OP_BINDING:
		problem_send(r, 422, "A role lies outside the token's entity, "
		    "or cannot be bound at that kind of entity.");
		break;
	case OP_INACTIVE:
		problem_send(r, 401, "The credential stopped being valid while "
		    "the request ran.");
		break;
	case OP_STORE:
		api_store_error(r, se);
		break;
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
	else if (e == STORE_FULL)
		problem_send(r, 503, "The token store cannot write: its disk "
		    "is full or read-only.  Nothing was changed.");
	else
		problem_send(r, 503, "The token store is busy or failed; "
		    "try again.");
}

static void
deny(struct req *r, int status, const char *error, const char *detail)
{
	char	 h[128];

	/*
	 * RFC 6750 3: a challenge on every 401, naming the error when the
	 * request had a credential; and on a 403 for scope.
	 */
	if (r->client_basic && status == 401)
		req_header(r, "WWW-Authenticate", "Basic realm=\"keyhole\"");
	else if (status == 401 || (status == 403 && *error != '\0')) {
		if (*error != '\0')
			snprintf(h, sizeof(h), "Bearer realm=\"keyhole\", "
			    "error=\"%s\"", error);
		else
			snprintf(h, sizeof(h), "Bearer realm=\"keyhole\"");
		req_header(r, "WWW-Authenticate", h);
	}
	problem_send(r, status, detail);
}

void
api_auth_refused(struct req *r, const char *reason, const struct tok_rec *actor,
    const char *challenge)
{
	char	 h[32];
	int64_t	 retry;

	/* Past the limit the answer says when to try again, and costs nothing more. */
	if (tokens_auth_failed(r->store, reason, actor, r->now, r->remote_addr,
	    &retry)) {
		snprintf(h, sizeof(h), "%lld", (long long)retry);
		req_header(r, "Retry-After", h);
		problem_send(r, 429, "Too many refused credentials from this "
		    "address; try again later.");
		return;
	}
	if (challenge != NULL)
		deny(r, 401, challenge, "The bearer token is not valid.");
	else
		problem_send(r, 401, "The credential is not valid.");
}

int
api_caller(struct req *r, const char *scope, struct tok_rec *caller)
{
	struct need	 need = { scope, NULL, NULL, 0, NULL };

	return api_caller_needs(r, &need, caller);
}

int
api_caller_needs(struct req *r, const struct need *need,
    struct tok_rec *caller)
{
	enum auth_result ar;
	enum store_err	 se;
	struct need	 client;
	const char	*cred;
	size_t		 len;
	char		 msg[160];

	if (r->store == NULL) {
		deny(r, 503, "", "The token store is not available.");
		return 0;
	}
	if (!r->dialect->credential(r, &cred, &len)) {
		deny(r, 401, "", "This endpoint needs a bearer token.");
		return 0;
	}
	client = *need;
	if (*r->client_id != '\0')
		client.client = r->client_id;
	ar = tokens_caller(r->store, cred, len, &client, r->now,
	    r->remote_addr, r->user_agent, caller, &se);
	switch (ar) {
	case AUTH_OK:
		return 1;
	case AUTH_STORE:
		deny(r, 503, "", "The token store is busy; try again.");
		return 0;
	case AUTH_SCOPE:
		if (need->organization != NULL || need->entity != NULL ||
		    need->own)
			snprintf(msg, sizeof(msg), "This token does not hold "
			    "the scope %s here.", need->scope != NULL ?
			    need->scope : "needed");
		else
			snprintf(msg, sizeof(msg), "This token lacks the scope "
			    "%s.", need->scope);
		deny(r, 403, "insufficient_scope", msg);
		return 0;
	default:
		api_auth_refused(r, ar == AUTH_MALFORMED ? "malformed token" :
		    ar == AUTH_UNKNOWN ? "unknown token" : "inactive token",
		    ar == AUTH_INACTIVE ? caller : NULL, "invalid_token");
		return 0;
	}
}

/* The status of a refused mint. */
static int
mint_status(enum mint_err e)
{
	switch (e) {
	case MINT_OK:
		return 201;
	case MINT_SCOPE:
	case MINT_ORGANIZATION:
	case MINT_ENTITY:
	case MINT_LIFETIME:
	case MINT_SUBJECT:
	case MINT_USES:
		return 403;
	case MINT_INACTIVE:
		return 401;
	case MINT_TAKEN:
		return 409;
	case MINT_STORE:
		return 503;
	default:
		return 422;
	}
}

int
api_json_body(struct req *r, struct json_doc *d)
{
	if (!req_type_is(r, "application/json")) {
		problem_send(r, 400, "The body must be application/json.");
		return 0;
	}
	return json_body(r, d);
}

int
api_patch_body(struct req *r, struct json_doc *d)
{
	if (!req_type_is(r, "application/json") &&
	    !req_type_is(r, "application/merge-patch+json")) {
		problem_send(r, 400, "The body must be application/json or "
		    "application/merge-patch+json.");
		return 0;
	}
	return json_body(r, d);
}

static int
json_body(struct req *r, struct json_doc *d)
{
	char	 msg[160];

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
api_target(struct req *r, const struct tok_rec *caller,
    unsigned char id[UUID_LEN])
{
	if (r->dialect->target != NULL)
		return r->dialect->target(r, caller, id);
	return api_path_token(r, id);
}

int
api_path_token(struct req *r, unsigned char id[UUID_LEN])
{
	const char	*s = req_param(r, "id"), *org = req_param(r, "org");
	struct tok_rec	 t;
	enum store_err	 e = STORE_OK;

	if (uuid_parse(s, strlen(s), id) == -1)
		e = STORE_NOTFOUND;
	/* A path naming an organization holds only that organization's tokens. */
	else if (*org != '\0') {
		tok_rec_init(&t);
		e = store_get(r->store, id, &t);
		if (e == STORE_OK && strcmp(buf_cstr(&t.organization), org) != 0)
			e = STORE_NOTFOUND;
		tok_rec_free(&t);
	}
	if (e == STORE_NOTFOUND)
		problem_send(r, 404, "No token has this id.");
	else if (e != STORE_OK)
		api_store_error(r, e);
	return e == STORE_OK;
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
		if (rc == -1 || v.len == 0 || memchr(v.ptr, '\0', v.len) != NULL) {
			problem_field(&p, list_params[i], strlen(list_params[i]),
			    "is malformed or empty");
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
	/* One organization's: its list, not every token; filtered as a scan is. */
	if (q->organization.len > 0) {
		store_list_key(&q->list, LIST_ORG_ALL,
		    buf_cstr(&q->organization), NULL, NULL);
		q->filtered = 1;
	}
	/* And only tokens where it holds tokens:read. */
	q->viewer = caller;
	return 1;
}

int
api_patch_parse(struct req *r, const struct json_doc *d, struct patch_req *pr)
{
	struct problem	 p;
	struct mint_req	 m;
	struct buf	 key = BUF_INIT;
	int		 it = -1, k, v;

	problem_init(&p, 422, "The request has invalid fields.");
	mint_req_init(&m);
	pr->meta = -1;
	pr->doc = d;
	while (json_each(d, 0, &it, &k, &v)) {
		if (json_key_is(d, k, "metadata")) {
			if (d->tok[v].type != JSON_OBJECT &&
			    d->tok[v].type != JSON_NULL)
				problem_field(&p, "metadata", 8, "must be an "
				    "object (a merge patch) or null");
			pr->meta = v;
		} else if (json_key_is(d, k, "name")) {
			/* The mint's own rules for the same fields. */
			pr->has_name = mint_field(d, "name", v, &m, &p);
		} else if (json_key_is(d, k, "description")) {
			pr->has_description = mint_field(d, "description", v,
			    &m, &p);
		} else {
			buf_reset(&key);
			json_str(d, k, &key);
			problem_field(&p, key.ptr, key.len, "cannot be changed; "
			    "PATCH takes name, description and metadata");
		}
	}
	buf_append(&pr->name, m.name.ptr, m.name.len);
	buf_append(&pr->description, m.description.ptr, m.description.len);
	buf_free(&key);
	mint_req_free(&m);
	if (p.nerr > 0) {
		problem_reply(r, &p);
		return 0;
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

/* Every query parameter the audit listing accepts. */
static const char *const audit_params[] = {
	"limit", "cursor", "event", "target", "actor", "since", "until", "order",
};

#define NAUDIT_PARAMS (sizeof(audit_params) / sizeof(audit_params[0]))

int
api_audit_query(struct req *r, const struct tok_rec *caller,
    struct audit_query *q)
{
	struct buf	 v = BUF_INIT;
	struct problem	 p;
	const char	*qs = r->query;
	size_t		 i, qlen = strlen(qs);
	int64_t		 n;
	int		 rc;

	problem_init(&p, 400, "The query has invalid parameters.");
	if (!req_form_names_ok(qs, qlen, audit_params, NAUDIT_PARAMS))
		problem_field(&p, "query", 5, "has an unknown or repeated "
		    "parameter; known: limit, cursor, event, target, actor, "
		    "since, until, order");
	for (i = 0; i < NAUDIT_PARAMS && p.nerr == 0; i++) {
		buf_reset(&v);
		rc = req_form_get(qs, qlen, audit_params[i], &v);
		if (rc == 0)
			continue;
		if (rc == -1 || v.len == 0 || memchr(v.ptr, '\0', v.len) != NULL) {
			problem_field(&p, audit_params[i],
			    strlen(audit_params[i]), "is malformed");
			continue;
		}
		switch (i) {
		case 0:
			if (json_int_text(v.ptr, v.len, 1, LIST_MAX, &n) == -1)
				problem_field(&p, "limit", 5, "must be 1 to 1000");
			else
				q->limit = (size_t)n;
			break;
		case 1:
			if (uuid_parse(v.ptr, v.len, q->after) == -1)
				problem_field(&p, "cursor", 6, "is not a cursor "
				    "this service gave");
			else
				q->has_after = 1;
			break;
		case 2:
			buf_append(&q->event, v.ptr, v.len);
			break;
		case 3:
		case 4:
			if (uuid_parse(v.ptr, v.len, i == 3 ? q->target :
			    q->actor) == -1)
				problem_field(&p, audit_params[i],
				    strlen(audit_params[i]), "is not a token id");
			*(i == 3 ? &q->has_target : &q->has_actor) = 1;
			break;
		case 5:
		case 6:
			if (time_parse(v.ptr, v.len, i == 5 ? &q->since :
			    &q->until) == -1)
				problem_field(&p, audit_params[i],
				    strlen(audit_params[i]), "must be an RFC 3339 "
				    "time");
			break;
		case 7:
			if (strcmp(v.ptr, "asc") == 0)
				q->desc = 0;
			else if (strcmp(v.ptr, "desc") != 0)
				problem_field(&p, "order", 5, "must be asc or "
				    "desc");
			break;
		}
	}
	buf_free(&v);
	if (p.nerr > 0) {
		problem_reply(r, &p);
		return 0;
	}
	/* A caller bound to an organization reads only its entries. */
	if (caller->organization.len > 0)
		buf_puts(&q->organization, buf_cstr(&caller->organization));
	return 1;
}

int
api_entity_list(const struct tok_rec *caller, const char *org,
    const char *entity, struct list_query *q)
{
	/* A reader at the organization sees every token bound there. */
	if (policy_allows_at(caller, ENTITY_ORG, SCOPE_TOKENS_READ))
		store_list_key(&q->list, LIST_ENTITY, org, entity, NULL);
	else if (policy_allows_at(caller, entity, SCOPE_TOKENS_READ))
		store_list_key(&q->list, LIST_ACTING, org, entity, NULL);
	else
		return 0;
	return 1;
}

int
api_body_fields(const struct json_doc *d, const struct body_field *f,
    size_t nf, struct mint_req *m, int *at, struct problem *p)
{
	struct buf	 key = BUF_INIT;
	size_t		 i;
	int		 it = -1, k, v;

	for (i = 0; i < nf; i++)
		at[i] = -1;
	while (json_each(d, 0, &it, &k, &v)) {
		for (i = 0; i < nf && !json_key_is(d, k, f[i].name); i++)
			continue;
		if (i == nf) {
			buf_reset(&key);
			json_str(d, k, &key);
			problem_field(p, key.ptr, key.len, "is not a known field");
			continue;
		}
		at[i] = v;
		/* A seed's null is its absence. */
		if (d->tok[v].type == JSON_NULL && f[i].nullable)
			at[i] = -1;
		else if (f[i].as != NULL)
			(void)mint_field(d, f[i].as, v, m, p);
	}
	for (i = 0; i < nf; i++)
		if (f[i].required && at[i] == -1)
			problem_field(p, f[i].name, strlen(f[i].name),
			    "is required");
	buf_free(&key);
	return p->nerr == 0;
}

int
api_query(struct req *r, const char *const *names, size_t n, struct buf *vals,
    struct problem *p)
{
	const char	*qs = r->query;
	size_t		 i, len = strlen(qs);
	int		 rc;

	if (!req_form_names_ok(qs, len, names, n)) {
		problem_field(p, "query", 5, "has an unknown or repeated "
		    "parameter");
		return 0;
	}
	for (i = 0; i < n; i++) {
		buf_reset(&vals[i]);
		rc = req_form_get(qs, len, names[i], &vals[i]);
		if (rc == -1 || (rc == 1 && (vals[i].len == 0 ||
		    memchr(vals[i].ptr, '\0', vals[i].len) != NULL)))
			problem_field(p, names[i], strlen(names[i]),
			    "is malformed or empty");
	}
	return p->nerr == 0;
}
