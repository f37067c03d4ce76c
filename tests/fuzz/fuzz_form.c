/*
 * fuzz_form: form and query decoding (lib/request.c) — req_url_decode,
 * req_form_get, req_form_names_ok, req_type_is — checked against a plain
 * reference reading of the same rules, and what reads forms and queries:
 * the listing's and the audit trail's query (api_list_query,
 * api_audit_query), the RFC 7662/7009 token parameter (api_token_param),
 * the OAuth client's credentials (dialect_oauth: HTTP Basic,
 * client_secret_post, Bearer), and the body as plain CGI reads it
 * (req_body: Content-Length, then stdin).  The input is
 * "Authorization\nContent-Type\nbody"; the whole of it is also a query
 * string and a form, and its first line a Content-Length.  A function
 * that says it answered has answered, and one that did not has not.
 */
#include "fuzz.h"

static const char *const names[] = { "token", "client_id", "client_secret",
    "limit", "cursor", "status", "a", "" };
#define NNAMES	(sizeof(names) / sizeof(names[0]))

static struct fuzz_env	 content_length;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		abort();
	fuzz_quiet();
	fuzz_env_init(&content_length, "CONTENT_LENGTH");
	return 0;
}

static int
hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * application/x-www-form-urlencoded decoding as the WHATWG spells it, but
 * strict: -1 for a bad or a NUL escape.
 */
static int
ref_decode(const char *s, size_t n, struct buf *out)
{
	size_t	 i;
	int	 c;

	buf_reset(out);
	for (i = 0; i < n; i++) {
		if (s[i] != '%') {
			buf_putc(out, s[i] == '+' ? ' ' : s[i]);
			continue;
		}
		if (n - i < 3 || hex(s[i + 1]) == -1 || hex(s[i + 2]) == -1)
			return -1;
		if ((c = hex(s[i + 1]) * 16 + hex(s[i + 2])) == 0)
			return -1;
		buf_putc(out, (char)c);
		i += 2;
	}
	return 0;
}

/* The pairs of s split at '&', each "name=value" (no '=': no name). */
static int
ref_get(const char *s, size_t n, const char *name, struct buf *out)
{
	size_t	 i = 0, j, eq;
	int	 found = 0;

	while (i < n) {
		for (j = i; j < n && s[j] != '&'; j++)
			continue;
		for (eq = i; eq < j && s[eq] != '='; eq++)
			continue;
		if (eq < j && eq - i == strlen(name) &&
		    strncmp(s + i, name, eq - i) == 0) {
			if (found++ ||
			    ref_decode(s + eq + 1, j - eq - 1, out) == -1)
				return -1;
		}
		i = j + 1;
	}
	return found;
}

/* Every non-empty pair's name is one of names, and none comes twice. */
static int
ref_names_ok(const char *s, size_t n, const char *const *nm, size_t nn)
{
	size_t	 i = 0, j, e, k;
	int	 seen[NNAMES] = { 0 };

	while (i < n) {
		for (j = i; j < n && s[j] != '&'; j++)
			continue;
		for (e = i; e < j && s[e] != '='; e++)
			continue;
		if (j > i) {
			for (k = 0; k < nn; k++)
				if (strlen(nm[k]) == e - i &&
				    memcmp(nm[k], s + i, e - i) == 0)
					break;
			if (k == nn || seen[k]++)
				return 0;
		}
		i = j + 1;
	}
	return 1;
}

/*
 * Percent-encodes every byte but the unreserved ones, and NUL: the
 * decoder refuses "%00" but passes a raw NUL on (its callers refuse it).
 */
static void
encode(const struct buf *in, struct buf *out)
{
	static const char	 hx[] = "0123456789ABCDEF";
	size_t			 i;
	unsigned char		 c;

	buf_reset(out);
	buf_append(out, "", 0);
	for (i = 0; i < in->len; i++) {
		c = (unsigned char)in->ptr[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~' || c == '\0')
			buf_putc(out, (char)c);
		else if (c == ' ')
			buf_putc(out, '+');
		else
			buf_printf(out, "%%%c%c", hx[c >> 4], hx[c & 15]);
	}
}

/* The decoding functions against the reference. */
static void
decoding(const char *s, size_t n)
{
	struct buf	 a = BUF_INIT, b = BUF_INIT, e = BUF_INIT;
	size_t		 i;
	int		 ra, rb;

	ra = req_url_decode(s, n, &a);
	rb = ref_decode(s, n, &b);
	FUZZ_ASSERT(ra == rb);
	if (ra == 0) {
		FUZZ_ASSERT(a.len == b.len && memcmp(buf_cstr(&a),
		    buf_cstr(&b), a.len) == 0);
		/* What was decoded, encoded again, decodes to itself. */
		encode(&a, &e);
		FUZZ_ASSERT(req_url_decode(e.ptr, e.len, &b) == 0);
		FUZZ_ASSERT(a.len == b.len && memcmp(buf_cstr(&a),
		    buf_cstr(&b), a.len) == 0);
	}
	for (i = 0; i < NNAMES; i++) {
		buf_reset(&a);
		buf_reset(&b);
		ra = req_form_get(s, n, names[i], &a);
		rb = ref_get(s, n, names[i], &b);
		FUZZ_ASSERT(ra == rb);
		if (ra == 1)
			FUZZ_ASSERT(a.len == b.len && memcmp(buf_cstr(&a),
			    buf_cstr(&b), a.len) == 0);
	}
	for (i = 0; i <= NNAMES; i++)
		FUZZ_ASSERT(req_form_names_ok(s, n, names, i) ==
		    ref_names_ok(s, n, names, i));
	buf_free(&a);
	buf_free(&b);
	buf_free(&e);
}

/* The listing's and the audit trail's query string. */
static void
queries(const char *qs, unsigned who)
{
	struct req		 r;
	struct tok_rec		 caller;
	struct list_query	 lq;
	struct audit_query	 aq;
	struct buf		 out = BUF_INIT;
	int			 ok;

	fuzz_caller(&caller, who);
	fuzz_req(&r, "GET", "/v1/tokens", qs, "", "", NULL, 0);
	list_query_init(&lq);
	fuzz_capture_begin();
	ok = api_list_query(&r, &caller, &lq);
	fuzz_capture_end(&out);
	FUZZ_ASSERT(ok != r.replied && ok == (fuzz_check_answer(&out) == 0));
	if (ok)
		FUZZ_ASSERT(lq.limit >= 1 && lq.limit <= LIST_MAX &&
		    lq.viewer == &caller);
	list_query_free(&lq);
	fuzz_req_free(&r);

	fuzz_req(&r, "GET", "/v1/audit", qs, "", "", NULL, 0);
	audit_query_init(&aq);
	fuzz_capture_begin();
	ok = api_audit_query(&r, &caller, &aq);
	fuzz_capture_end(&out);
	FUZZ_ASSERT(ok != r.replied && ok == (fuzz_check_answer(&out) == 0));
	if (ok)
		FUZZ_ASSERT(aq.limit >= 1 && aq.limit <= LIST_MAX);
	audit_query_free(&aq);
	fuzz_req_free(&r);
	tok_rec_free(&caller);
	buf_free(&out);
}

/* An introspection or revocation request: the client, then the token. */
static void
oauth(const char *auth, const char *type, const uint8_t *body, size_t len)
{
	struct req	 r;
	struct buf	 tok = BUF_SECRET_INIT, out = BUF_INIT;
	const char	*s = NULL;
	size_t		 n = 0;
	int		 ok;

	fuzz_req(&r, "POST", "/v1/introspect", "", type, auth, body, len);
	r.dialect = &dialect_oauth;
	fuzz_capture_begin();
	(void)oauth_client_given(&r);
	if (dialect_oauth.credential(&r, &s, &n)) {
		FUZZ_ASSERT(s != NULL);
		if (r.cred.len > 0) {
			/* The client's secret, and an id that can be one. */
			FUZZ_ASSERT(s == r.cred.ptr && n == r.cred.len);
			FUZZ_ASSERT(r.client_id[0] != '\0');
		} else
			FUZZ_ASSERT(n == strlen(s));
	}
	FUZZ_ASSERT(!r.replied);
	ok = api_token_param(&r, &tok);
	fuzz_capture_end(&out);
	FUZZ_ASSERT(ok != r.replied && ok == (fuzz_check_answer(&out) == 0));
	if (ok)
		FUZZ_ASSERT(tok.len > 0 &&
		    memchr(tok.ptr, '\0', tok.len) == NULL);
	buf_free(&tok);
	buf_free(&out);
	fuzz_req_free(&r);

	/* The other dialects' credentials. */
	fuzz_req(&r, "GET", "/v1/tokens", "", type, auth, NULL, 0);
	if (dialect_bearer(&r, &s, &n))
		FUZZ_ASSERT(n == strlen(s));
	if (dialect_any_credential(&r, &s, &n))
		FUZZ_ASSERT(n == strlen(s));
	fuzz_req_free(&r);
}

/* The body as plain CGI reads it: CONTENT_LENGTH cl, then stdin. */
static void
cgi_body(const char *cl, const uint8_t *body, size_t len)
{
	struct req	 r;
	struct buf	 out = BUF_INIT;
	FILE		*in, *was = stdin;
	int64_t		 n = 0;
	int		 rc, status;

	fuzz_req(&r, "POST", "/v1/tokens", "", "application/json", "", NULL, 0);
	r.body_read = 0;
	fuzz_env_set(&content_length, cl);
	if (strcmp(getenv("CONTENT_LENGTH"), cl) != 0)
		goto out;	/* too long for the variable: not this one */
	in = len > 0 ? fmemopen((void *)(uintptr_t)body, len, "r") :
	    fopen("/dev/null", "r");
	if (in == NULL)
		abort();
	stdin = in;
	fuzz_capture_begin();
	rc = req_body(&r);
	/* Read once: a second call answers the same, and nothing more. */
	FUZZ_ASSERT(req_body(&r) == rc);
	fuzz_capture_end(&out);
	stdin = was;
	fclose(in);
	status = fuzz_check_answer(&out);
	if (rc == 0) {
		FUZZ_ASSERT(status == 0 && !r.replied);
		if (*cl != '\0')
			FUZZ_ASSERT(json_int_text(cl, strlen(cl), 0,
			    REQ_BODY_MAX, &n) == 0);
		FUZZ_ASSERT(r.body.len == (size_t)n && (size_t)n <= len);
		FUZZ_ASSERT(n == 0 || memcmp(r.body.ptr, body, (size_t)n) == 0);
	} else
		FUZZ_ASSERT(rc == -1 && (status == 400 || status == 413));
out:
	fuzz_env_set(&content_length, "");
	buf_free(&out);
	fuzz_req_free(&r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t	*p = data, *end = data + size;
	char		*qs, *auth, *type;

	/* As a form body: the bytes as they are, NULs and all. */
	decoding((const char *)data, size);
	/* As a query string: up to a NUL, as the server hands it over. */
	qs = fuzz_str(data, size);
	if (strlen(qs) != size)
		decoding(qs, strlen(qs));
	queries(qs, size > 0 ? data[size - 1] : 0);
	free(qs);

	auth = fuzz_line(&p, end);
	type = fuzz_line(&p, end);
	(void)req_type_is(&(struct req){ .content_type = type },
	    "application/x-www-form-urlencoded");
	oauth(auth, type, p, (size_t)(end - p));
	cgi_body(auth, p, (size_t)(end - p));
	free(auth);
	free(type);
	return 0;
}
