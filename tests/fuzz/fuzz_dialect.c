/*
 * fuzz_dialect: each dialect's request mapping, in process and without a
 * store (lib/dialect*.c, reached through struct dialect as the programs
 * in cgi-bin/ call it): the route is looked up as req_serve() does, then
 * the act's mapping runs on the request — mint (a body onto a mint_req),
 * list (a query onto a list_query), update (a body onto a patch_req),
 * rotate (a grace), the path's token (api_path_token), the RFC 7662/7009
 * token parameter, a redemption — and, where the mapping succeeds, the
 * token or page it would answer is written in the dialect's shape.  The
 * input is
 *
 *	METHOD PATH[?QUERY]
 *	Content-Type
 *	Authorization
 *	caller (0 root, 1 admin, 2 workspace owner, 3 member, 4 service)
 *	body...
 *
 * A mapping that says it answered has answered, one that did not has
 * not, what it maps is valid for form as a native mint's fields are
 * (tokens.h: "already validated"), and every answer has a known status
 * and, when JSON, is JSON.
 */
#include "fuzz.h"

#define SECRET	"kh_4f9XbQ2LmZ7aT0cRkV8yN3pW6sJd1HgE4Zz7s7"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		abort();
	fuzz_quiet();
	return 0;
}

/* Every item of the space-separated list passes ok. */
static int
each(const char *list, int (*ok)(const char *, size_t))
{
	const char	*p = list, *e;

	for (; *p != '\0'; p = *e != '\0' ? e + 1 : e) {
		e = p + strcspn(p, " ");
		if (!ok(p, (size_t)(e - p)))
			return 0;
	}
	return 1;
}

/* "ROLE@entity", or "ROLE@" for the token's own entity. */
static int
binding_ok(const char *b, size_t n)
{
	const char	*at = memchr(b, '@', n);

	return at != NULL && policy_role(b, (size_t)(at - b)) != NULL &&
	    (at + 1 == b + n || policy_entity_type(at + 1,
	    (size_t)(b + n - at - 1)) != 0);
}

/*
 * Text as the mint takes it: UTF-8, at most max code points, no control
 * characters (but newline and tab when multiline).
 */
static int
text_ok(const struct buf *t, size_t max, int multiline)
{
	struct json_doc	 d;
	struct buf	 b = BUF_INIT;
	struct jsonw	 w;
	size_t		 i, chars = 0;
	int		 ok;

	for (i = 0; i < t->len; i++)
		if (((unsigned char)t->ptr[i] < 0x20 && !(multiline &&
		    (t->ptr[i] == '\n' || t->ptr[i] == '\t'))) ||
		    t->ptr[i] == 0x7f)
			return 0;
	jw_init(&w, &b);
	jw_strn(&w, NULL, buf_cstr(t), t->len);
	ok = json_parse(&d, b.ptr, b.len, 1, 1) == 0 &&
	    json_strlen(&d, 0, NULL, &chars) == 0 && chars <= max;
	if (d.tok != NULL)
		json_free(&d);
	buf_free(&b);
	return ok;
}

/* A mint request as tokens_mint takes it: valid for form. */
static void
check_mint(const struct mint_req *m)
{
	struct json_doc	 d;
	int64_t		 t;

	FUZZ_ASSERT(m->organization.len == 0 ||
	    policy_org_ok(m->organization.ptr, m->organization.len));
	FUZZ_ASSERT(m->entity.len == 0 ||
	    policy_entity_type(m->entity.ptr, m->entity.len) != 0);
	FUZZ_ASSERT(each(buf_cstr(&m->scopes), policy_scope_ok));
	FUZZ_ASSERT(each(buf_cstr(&m->bindings), binding_ok));
	FUZZ_ASSERT(text_ok(&m->name, NAME_MAXCHARS, 0));
	FUZZ_ASSERT(text_ok(&m->description, DESCRIPTION_MAXCHARS, 1));
	FUZZ_ASSERT(text_ok(&m->subject, SUBJECT_MAXCHARS, 0));
	if (m->metadata.len > 0) {
		FUZZ_ASSERT(m->metadata.len <= METADATA_MAXBYTES);
		FUZZ_ASSERT(json_parse(&d, m->metadata.ptr, m->metadata.len,
		    JSON_MAXTOK, JSON_MAXDEPTH) == 0 &&
		    d.tok[0].type == JSON_OBJECT);
		json_free(&d);
	}
	FUZZ_ASSERT(m->expires_in >= 0 && m->expires_in <= LIFETIME_MAX);
	FUZZ_ASSERT(m->expires_at >= 0 && m->starts_at >= 0);
	if (m->expires_at != 0) {
		char	 s[TIME_STRLEN + 1];

		time_format(m->expires_at, s);
		FUZZ_ASSERT(time_parse(s, TIME_STRLEN, &t) == 0 &&
		    t == m->expires_at);
	}
	FUZZ_ASSERT(m->max_uses >= -1 && m->max_uses <= USES_MAX);
	FUZZ_ASSERT(m->kind < KIND__MAX && m->format < FORMAT__MAX);
	FUZZ_ASSERT(m->prefix == NULL || tok_prefix_ok(m->prefix));
}

/*
 * The token a mint would store, from what the dialect asked for (the
 * part of tokens_mint that needs no store), answered as the dialect does.
 */
static void
answer_mint(struct req *r, const struct tok_rec *caller,
    const struct mint_req *m)
{
	struct tok_rec	 t;
	struct buf	 b = BUF_INIT;
	struct jsonw	 w;
	struct json_doc	 d;
	const char	*ent;

	tok_rec_init(&t);
	memset(t.id, 0x42, UUID_LEN);
	memcpy(t.created_by, caller->id, UUID_LEN);
	t.created_at = r->now;
	t.starts_at = m->starts_at;
	t.expires_at = m->expires_at != 0 ? m->expires_at :
	    m->expires_in != 0 ? r->now + m->expires_in : 0;
	t.uses_left = m->max_uses;
	t.kind = m->kind;
	t.format = m->format;
	tok_hint(SECRET, strlen(SECRET), t.hint);
	buf_append(&t.name, m->name.ptr, m->name.len);
	buf_append(&t.description, m->description.ptr, m->description.len);
	buf_puts(&t.organization, m->organization.len > 0 ?
	    buf_cstr(&m->organization) : buf_cstr(&caller->organization));
	buf_puts(&t.subject, m->no_subject ? "" : m->subject.len > 0 ?
	    buf_cstr(&m->subject) : buf_cstr(&caller->subject));
	ent = m->entity.len > 0 ? buf_cstr(&m->entity) :
	    policy_entity_of(caller);
	buf_puts(&t.entity, ent);
	buf_append(&t.direct, m->scopes.ptr, m->scopes.len);
	buf_append(&t.metadata, m->metadata.ptr, m->metadata.len);
	/* Bindings outside the entity are refused (MINT_BINDING): no token. */
	if (resolve_bindings(buf_cstr(&m->bindings), ent, &t.bindings)) {
		policy_expand(buf_cstr(&t.bindings), buf_cstr(&t.direct),
		    &t.scopes);
		dialect_token(r, r->dialect->minted, &t, SECRET);
		FUZZ_ASSERT(r->replied);
		/* What introspection and a JWT say of it. */
		jw_init(&w, &b);
		jw_obj_open(&w, NULL);
		tokens_introspection_json(&w, &t);
		jw_obj_close(&w);
		FUZZ_ASSERT(json_parse(&d, b.ptr, b.len, 1 << 16,
		    JSON_MAXDEPTH) == 0);
		json_free(&d);
	}
	buf_free(&b);
	tok_rec_free(&t);
}

static void
mint(struct req *r, const struct tok_rec *caller)
{
	struct mint_req	 m;
	int		 ok;

	mint_req_init(&m);
	ok = r->dialect->mint(r, caller, &m);
	FUZZ_ASSERT(ok != r->replied);
	if (ok) {
		check_mint(&m);
		answer_mint(r, caller, &m);
	}
	mint_req_free(&m);
}

static void
list(struct req *r, const struct tok_rec *caller)
{
	struct list_query q;
	struct page	 pg;
	int		 ok;

	list_query_init(&q);
	ok = r->dialect->list(r, caller, &q);
	FUZZ_ASSERT(ok != r->replied);
	if (ok) {
		FUZZ_ASSERT(q.limit >= 1 && q.limit <= LIST_MAX);
		FUZZ_ASSERT(q.organization.len == 0 ||
		    policy_org_ok(q.organization.ptr, q.organization.len));
		/* A page of one: the caller itself. */
		memset(&pg, 0, sizeof(pg));
		pg.recs = caller;
		pg.n = 1;
		pg.more = 1;
		memcpy(pg.last, caller->id, UUID_LEN);
		pg.counted = 1;
		pg.total = 1 + q.offset;
		pg.limit = q.limit;
		pg.offset = q.offset;
		r->dialect->page(r, &pg);
		FUZZ_ASSERT(r->replied);
	}
	list_query_free(&q);
}

static void
update(struct req *r, const struct tok_rec *caller)
{
	struct patch_req pr;
	struct json_doc	 doc;
	struct buf	 b = BUF_INIT;
	struct jsonw	 w;
	int		 ok;

	patch_req_init(&pr);
	doc.tok = NULL;
	ok = r->dialect->update(r, &doc, &pr);
	FUZZ_ASSERT(ok != r->replied);
	if (ok) {
		FUZZ_ASSERT(!pr.has_name ||
		    text_ok(&pr.name, NAME_MAXCHARS, 0));
		FUZZ_ASSERT(!pr.has_description ||
		    text_ok(&pr.description, DESCRIPTION_MAXCHARS, 1));
		FUZZ_ASSERT(each(buf_cstr(&pr.bindings), binding_ok));
	}
	/* The metadata merge tokens_update makes. */
	if (ok && pr.meta != -1 && doc.tok[pr.meta].type == JSON_OBJECT) {
		jw_init(&w, &b);
		FUZZ_ASSERT(json_merge_patch(&w, NULL, caller->metadata.ptr,
		    caller->metadata.len, &doc, pr.meta) == 0);
	}
	if (doc.tok != NULL)
		json_free(&doc);
	buf_free(&b);
	patch_req_free(&pr);
}

static void
rotate(struct req *r)
{
	int64_t	 grace = -1;
	int	 ok;

	ok = r->dialect->rotate(r, &grace);
	FUZZ_ASSERT(ok != r->replied);
	if (ok)
		FUZZ_ASSERT(grace >= 0 && grace <= GRACE_MAX);
}

/* The token the path names, where that needs no store. */
static void
target(struct req *r)
{
	unsigned char	 id[UUID_LEN];
	int		 ok;

	if (r->dialect->target != NULL || *req_param(r, "org") != '\0')
		return;
	ok = api_path_token(r, id);
	FUZZ_ASSERT(ok != r->replied);
	if (ok && r->route->act == ACT_REVOKE && r->dialect->revoked != NULL) {
		r->dialect->revoked(r, id);
		FUZZ_ASSERT(r->replied);
	}
}

static void
token_param(struct req *r)
{
	struct buf	 t = BUF_SECRET_INIT;
	int		 ok;

	ok = api_token_param(r, &t);
	FUZZ_ASSERT(ok != r->replied);
	buf_free(&t);
}

static void
redeem(struct req *r)
{
	struct json_doc	 doc;
	struct mint_req	 m;
	struct buf	 secret = BUF_SECRET_INIT;
	int		 ok;

	if (!api_json_body(r, &doc)) {
		FUZZ_ASSERT(r->replied);
		return;
	}
	mint_req_init(&m);
	ok = api_redeem_parse(r, &doc, &secret, &m);
	FUZZ_ASSERT(ok != r->replied);
	if (ok)
		FUZZ_ASSERT(secret.len > 0);
	json_free(&doc);
	mint_req_free(&m);
	buf_free(&secret);
}

static void
audit(struct req *r, const struct tok_rec *caller)
{
	struct audit_query q;
	int		 ok;

	audit_query_init(&q);
	ok = api_audit_query(r, caller, &q);
	FUZZ_ASSERT(ok != r->replied);
	audit_query_free(&q);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int statuses[] = { 400, 401, 403, 404, 409, 413, 422,
	    429, 500, 503 };
	const uint8_t	*p = data, *end = data + size;
	char		*line, *type, *auth, *who, *path, *query, *sp, *q;
	const char	*method, *allow, *cred;
	const struct route *rt, *any;
	struct tok_rec	 caller;
	struct req	 r;
	struct buf	 out = BUF_INIT;
	size_t		 credlen;

	line = fuzz_line(&p, end);
	type = fuzz_line(&p, end);
	auth = fuzz_line(&p, end);
	who = fuzz_line(&p, end);
	if ((sp = strchr(line, ' ')) != NULL) {
		*sp = '\0';
		method = line;
		path = sp + 1;
	} else {
		method = "POST";
		path = line;
	}
	if ((q = strchr(path, '?')) != NULL) {
		*q = '\0';
		query = q + 1;
	} else
		query = "";
	fuzz_caller(&caller, (unsigned char)who[0] - '0');
	fuzz_req(&r, method, path, query, type, auth, p, (size_t)(end - p));

	fuzz_capture_begin();
	rt = route_find(method, path, r.params, &allow, &any);
	if (rt != NULL) {
		r.route = rt;
		r.dialect = rt->dialect;
		(void)r.dialect->credential(&r, &cred, &credlen);
		FUZZ_ASSERT(!r.replied);
		switch (rt->act) {
		case ACT_MINT:
			mint(&r, &caller);
			break;
		case ACT_LIST:
			list(&r, &caller);
			break;
		case ACT_UPDATE:
			update(&r, &caller);
			break;
		case ACT_ROTATE:
			rotate(&r);
			break;
		case ACT_SHOW:
		case ACT_REVOKE:
		case ACT_FINISH:
			target(&r);
			break;
		case ACT_INTROSPECT:
		case ACT_REVOKE_SECRET:
			token_param(&r);
			break;
		case ACT_REDEEM:
			redeem(&r);
			break;
		case ACT_AUDIT:
			audit(&r, &caller);
			break;
		default:
			break;
		}
	} else if (any != NULL)
		r.dialect = any->dialect;
	/* Whatever else would go wrong, in the dialect's words. */
	if (!r.replied)
		problem_send(&r, statuses[size % (sizeof(statuses) /
		    sizeof(statuses[0]))], "The request was refused.");
	fuzz_capture_end(&out);
	FUZZ_ASSERT(fuzz_check_answer(&out) != 0);

	buf_free(&out);
	fuzz_req_free(&r);
	tok_rec_free(&caller);
	free(line);
	free(type);
	free(auth);
	free(who);
	return 0;
}
