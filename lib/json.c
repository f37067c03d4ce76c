/* json: strict reader over jsmn, typed access, the writer, RFC 3339 times. */
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSMN_STRICT
#define JSMN_STATIC
#define JSMN_PARENT_LINKS	/* closing brackets in O(1), not a scan back */
#include <jsmn.h>

#include "buf.h"
#include "json.h"

#define ISDIGIT(c)	((c) >= '0' && (c) <= '9')
#define TIME_MAX	INT64_C(253402300799)	/* 9999-12-31T23:59:59Z */

/* The grammar pass: a cursor in the source and the next jsmn token to match. */
struct rd {
	struct json_doc	*doc;
	const jsmntok_t	*jt;
	int		 njt;
	int		 ti;
	size_t		 pos;
	uint32_t	*khash;		/* strings: FNV-1a of the text */
	int		 maxdepth;
};

static int	 jerr(struct json_doc *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static int	 rd_fail(struct rd *, size_t, const char *);
static void	 rd_ws(struct rd *);
static int	 rd_eat(struct rd *, char);
static int	 rd_value(struct rd *, int);
static int	 rd_object(struct rd *, int, int);
static int	 rd_array(struct rd *, int, int);
static int	 rd_close(struct rd *, int);
static int	 rd_string(struct rd *, int);
static int	 rd_prim(struct rd *, int);
static int	 rd_dupkey(struct rd *, int, int);
static int	 is_num(const char *, size_t);
static int	 is_prim_start(unsigned char);
static int	 hex4(const unsigned char *, size_t, size_t, uint32_t *);
static const char *str_next(const char *, size_t, size_t *, uint32_t *);
static size_t	 utf8_put(uint32_t, unsigned char *);
static int	 key_eq(const struct json_doc *, int, int);
static int	 tok_is(const struct json_doc *, int, enum json_type);
static void	 jw_esc(struct buf *, const char *, size_t);
static void	 jw_sep(struct jsonw *, const char *);
static void	 jw_open(struct jsonw *, const char *, char);
static void	 jw_close(struct jsonw *, char);
static int64_t	 days_from_civil(int, int, int);
static void	 civil_from_days(int64_t, int *, int *, int *);
static int	 mdays(int, int);
static int	 dnum(const char *, size_t);
static void	 put_digits(char *, int, int);

static int
jerr(struct json_doc *doc, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(doc->err, sizeof(doc->err), fmt, ap);
	va_end(ap);
	return -1;
}

/* Messages name a byte offset, never input bytes, so they stay printable. */
static int
rd_fail(struct rd *r, size_t at, const char *what)
{
	return jerr(r->doc, "invalid JSON at byte %zu: %s", at, what);
}

static void
rd_ws(struct rd *r)
{
	const char	*s = r->doc->src;

	while (r->pos < r->doc->len && (s[r->pos] == ' ' ||
	    s[r->pos] == '\t' || s[r->pos] == '\n' || s[r->pos] == '\r'))
		r->pos++;
}

/* Skip whitespace, then consume c if it is next. */
static int
rd_eat(struct rd *r, char c)
{
	rd_ws(r);
	if (r->pos < r->doc->len && r->doc->src[r->pos] == c) {
		r->pos++;
		return 1;
	}
	return 0;
}

/*
 * One value at the cursor.  jsmn saw the same text, so its next token must
 * start exactly here; the output token gets the same index as jsmn's.
 * Depth counts containers: the top-level one is depth 1.
 */
static int
rd_value(struct rd *r, int depth)
{
	struct json_doc	*doc = r->doc;
	const jsmntok_t	*j;
	struct json_tok	*t;
	jsmntype_t	 want;
	size_t		 at;
	unsigned char	 c;
	int		 ti, rc;

	rd_ws(r);
	if (r->pos >= doc->len)
		return rd_fail(r, r->pos, "expected a value");
	at = r->pos;
	c = (unsigned char)doc->src[at];
	if (c == '{')
		want = JSMN_OBJECT;
	else if (c == '[')
		want = JSMN_ARRAY;
	else if (c == '"') {
		want = JSMN_STRING;
		at++;		/* jsmn strings start inside the quotes */
	} else if (is_prim_start(c))
		want = JSMN_PRIMITIVE;
	else
		return rd_fail(r, r->pos, "expected a value");

	ti = r->ti;
	if (ti >= r->njt)
		return rd_fail(r, r->pos, "unexpected token");
	j = &r->jt[ti];
	if (j->type != want || j->start < 0 || (size_t)j->start != at ||
	    j->end < j->start || (size_t)j->end > doc->len)
		return rd_fail(r, r->pos, "unexpected token");
	t = &doc->tok[ti];
	t->start = j->start;
	t->end = j->end;
	t->size = 0;
	r->ti++;

	switch (want) {
	case JSMN_OBJECT:
		t->type = JSON_OBJECT;
		rc = rd_object(r, ti, depth);
		break;
	case JSMN_ARRAY:
		t->type = JSON_ARRAY;
		rc = rd_array(r, ti, depth);
		break;
	case JSMN_STRING:
		t->type = JSON_STRING;
		rc = rd_string(r, ti);
		break;
	default:
		rc = rd_prim(r, ti);
		break;
	}
	if (rc == -1)
		return -1;
	t->next = r->ti;
	return 0;
}

static int
rd_object(struct rd *r, int ti, int depth)
{
	int	 k;

	if (depth > r->maxdepth)
		return rd_fail(r, r->pos, "nesting too deep");
	r->pos++;		/* '{' */
	if (rd_eat(r, '}'))
		return rd_close(r, ti);
	do {
		rd_ws(r);
		if (r->pos >= r->doc->len || r->doc->src[r->pos] != '"')
			return rd_fail(r, r->pos, "expected a string key");
		k = r->ti;
		if (rd_value(r, depth + 1) == -1 || rd_dupkey(r, ti, k) == -1)
			return -1;
		if (!rd_eat(r, ':'))
			return rd_fail(r, r->pos, "expected ':'");
		if (rd_value(r, depth + 1) == -1)
			return -1;
		r->doc->tok[ti].size++;
	} while (rd_eat(r, ','));
	if (!rd_eat(r, '}'))
		return rd_fail(r, r->pos, "expected ',' or '}'");
	return rd_close(r, ti);
}

static int
rd_array(struct rd *r, int ti, int depth)
{
	if (depth > r->maxdepth)
		return rd_fail(r, r->pos, "nesting too deep");
	r->pos++;		/* '[' */
	if (rd_eat(r, ']'))
		return rd_close(r, ti);
	do {
		if (rd_value(r, depth + 1) == -1)
			return -1;
		r->doc->tok[ti].size++;
	} while (rd_eat(r, ','));
	if (!rd_eat(r, ']'))
		return rd_fail(r, r->pos, "expected ',' or ']'");
	return rd_close(r, ti);
}

/* The cursor is just past the closing bracket: jsmn must agree. */
static int
rd_close(struct rd *r, int ti)
{
	if ((size_t)r->jt[ti].end != r->pos)
		return rd_fail(r, r->pos, "unexpected token");
	return 0;
}

/* Validate escapes and UTF-8, and hash the unescaped text for rd_dupkey(). */
static int
rd_string(struct rd *r, int ti)
{
	const struct json_doc	*doc = r->doc;
	const char		*msg;
	size_t			 i, end;
	uint32_t		 cp, h = 2166136261U;	/* FNV-1a */

	i = (size_t)r->jt[ti].start;
	end = (size_t)r->jt[ti].end;
	if (end >= doc->len || doc->src[end] != '"')
		return rd_fail(r, end, "unterminated string");
	while (i < end) {
		if ((msg = str_next(doc->src, end, &i, &cp)) != NULL)
			return rd_fail(r, i, msg);
		h = (h ^ cp) * 16777619U;
	}
	r->khash[ti] = h;
	r->pos = end + 1;
	return 0;
}

static int
rd_prim(struct rd *r, int ti)
{
	struct json_tok	*t = &r->doc->tok[ti];
	const char	*s = r->doc->src + t->start;
	size_t		 n = (size_t)(t->end - t->start);

	if (n == 4 && memcmp(s, "true", 4) == 0)
		t->type = JSON_BOOL;
	else if (n == 5 && memcmp(s, "false", 5) == 0)
		t->type = JSON_BOOL;
	else if (n == 4 && memcmp(s, "null", 4) == 0)
		t->type = JSON_NULL;
	else if (is_num(s, n))
		t->type = JSON_NUMBER;
	else if (n > 0 && (s[0] == 't' || s[0] == 'f' || s[0] == 'n'))
		return rd_fail(r, r->pos, "invalid literal");
	else
		return rd_fail(r, r->pos, "invalid number");
	r->pos = (size_t)t->end;
	return 0;
}

/*
 * Key k was just read into object obj: compare it with the earlier keys.
 * Quadratic, but the token budget bounds the key count, and the hash makes
 * most comparisons one integer compare.
 */
static int
rd_dupkey(struct rd *r, int obj, int k)
{
	const struct json_doc	*doc = r->doc;
	int			 p;

	for (p = obj + 1; p < k; p = doc->tok[p + 1].next)
		if (r->khash[p] == r->khash[k] && key_eq(doc, p, k))
			return rd_fail(r, (size_t)doc->tok[k].start - 1,
			    "duplicate key");
	return 0;
}

/* RFC 8259: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int
is_num(const char *s, size_t n)
{
	size_t	 i = 0;

	if (i < n && s[i] == '-')
		i++;
	if (i < n && s[i] == '0')
		i++;
	else if (i < n && s[i] >= '1' && s[i] <= '9')
		while (i < n && ISDIGIT(s[i]))
			i++;
	else
		return 0;
	if (i < n && s[i] == '.') {
		if (++i >= n || !ISDIGIT(s[i]))
			return 0;
		while (i < n && ISDIGIT(s[i]))
			i++;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		if (++i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= n || !ISDIGIT(s[i]))
			return 0;
		while (i < n && ISDIGIT(s[i]))
			i++;
	}
	return i == n;
}

/* The bytes strict jsmn starts a primitive with. */
static int
is_prim_start(unsigned char c)
{
	return c == '-' || ISDIGIT(c) || c == 't' || c == 'f' || c == 'n';
}

static int
hex4(const unsigned char *s, size_t i, size_t end, uint32_t *v)
{
	size_t	 k;

	if (end < i || end - i < 4)
		return -1;
	*v = 0;
	for (k = i; k < i + 4; k++) {
		*v <<= 4;
		if (ISDIGIT(s[k]))
			*v |= s[k] - '0';
		else if (s[k] >= 'a' && s[k] <= 'f')
			*v |= s[k] - 'a' + 10;
		else if (s[k] >= 'A' && s[k] <= 'F')
			*v |= s[k] - 'A' + 10;
		else
			return -1;
	}
	return 0;
}

/*
 * Decode the code point at src[*ip] in a string ending before end (the
 * closing quote), escape or raw UTF-8, and advance *ip.  NULL on success,
 * else why not, with *ip left on the offending sequence.  The validator and
 * every typed accessor share this, so they cannot disagree.
 */
static const char *
str_next(const char *src, size_t end, size_t *ip, uint32_t *cp)
{
	const unsigned char	*s = (const unsigned char *)src;
	size_t			 i = *ip, n, k;
	uint32_t		 c, lo, min;

	c = s[i];
	if (c == '\\') {
		if (end - i < 2)
			return "invalid escape";
		n = 2;
		switch (s[i + 1]) {
		case '"':
		case '\\':
		case '/':
			c = s[i + 1];
			break;
		case 'b':
			c = '\b';
			break;
		case 'f':
			c = '\f';
			break;
		case 'n':
			c = '\n';
			break;
		case 'r':
			c = '\r';
			break;
		case 't':
			c = '\t';
			break;
		case 'u':
			if (hex4(s, i + 2, end, &c) == -1)
				return "invalid \\u escape";
			n = 6;
			if (c == 0)
				return "U+0000 not allowed";
			if (c >= 0xdc00 && c <= 0xdfff)
				return "unpaired surrogate";
			if (c >= 0xd800 && c <= 0xdbff) {
				if (end - i < 12 || s[i + 6] != '\\' ||
				    s[i + 7] != 'u' ||
				    hex4(s, i + 8, end, &lo) == -1 ||
				    lo < 0xdc00 || lo > 0xdfff)
					return "unpaired surrogate";
				c = 0x10000 + ((c - 0xd800) << 10) +
				    (lo - 0xdc00);
				n = 12;
			}
			break;
		default:
			return "invalid escape";
		}
		*ip = i + n;
		*cp = c;
		return NULL;
	}
	if (c < 0x20)
		return "control character in string";
	if (c == '"')
		return "unescaped quote in string";
	if (c < 0x80) {
		*ip = i + 1;
		*cp = c;
		return NULL;
	}

	/* 0x80-0xc1 (continuations, overlong leads) and 0xf5+ never lead. */
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		c &= 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		c &= 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		c &= 0x07;
		min = 0x10000;
	} else
		return "invalid UTF-8";
	if (end - i < n)
		return "truncated UTF-8";
	for (k = 1; k < n; k++) {
		if ((s[i + k] & 0xc0) != 0x80)
			return "invalid UTF-8";
		c = c << 6 | (s[i + k] & 0x3f);
	}
	if (c < min)
		return "overlong UTF-8";
	if (c >= 0xd800 && c <= 0xdfff)
		return "surrogate in UTF-8";
	if (c > 0x10ffff)
		return "UTF-8 beyond U+10FFFF";
	*ip = i + n;
	*cp = c;
	return NULL;
}

static size_t
utf8_put(uint32_t c, unsigned char *p)
{
	if (c < 0x80) {
		p[0] = (unsigned char)c;
		return 1;
	}
	if (c < 0x800) {
		p[0] = (unsigned char)(0xc0 | c >> 6);
		p[1] = (unsigned char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		p[0] = (unsigned char)(0xe0 | c >> 12);
		p[1] = (unsigned char)(0x80 | (c >> 6 & 0x3f));
		p[2] = (unsigned char)(0x80 | (c & 0x3f));
		return 3;
	}
	p[0] = (unsigned char)(0xf0 | c >> 18);
	p[1] = (unsigned char)(0x80 | (c >> 12 & 0x3f));
	p[2] = (unsigned char)(0x80 | (c >> 6 & 0x3f));
	p[3] = (unsigned char)(0x80 | (c & 0x3f));
	return 4;
}

/* Equal unescaped strings are equal code point sequences. */
static int
key_eq(const struct json_doc *doc, int a, int b)
{
	size_t		 i, j, ie, je;
	uint32_t	 ca, cb;

	i = (size_t)doc->tok[a].start;
	ie = (size_t)doc->tok[a].end;
	j = (size_t)doc->tok[b].start;
	je = (size_t)doc->tok[b].end;
	while (i < ie && j < je) {
		if (str_next(doc->src, ie, &i, &ca) != NULL ||
		    str_next(doc->src, je, &j, &cb) != NULL || ca != cb)
			return 0;
	}
	return i == ie && j == je;
}

static int
tok_is(const struct json_doc *doc, int t, enum json_type type)
{
	return doc != NULL && doc->tok != NULL && t >= 0 && t < doc->ntok &&
	    doc->tok[t].type == type;
}

int
json_parse(struct json_doc *doc, const char *src, size_t len, int maxtok,
    int maxdepth)
{
	struct rd	 r;
	jsmn_parser	 p;
	jsmntok_t	*jt = NULL;
	const char	*nul;
	int		 n, rc = -1;

	memset(doc, 0, sizeof(*doc));
	memset(&r, 0, sizeof(r));
	doc->src = src;
	doc->len = len;
	if (maxtok < 1 || maxdepth < 1) {
		jerr(doc, "invalid JSON limits");
		goto out;
	}
	if (len > INT_MAX) {
		jerr(doc, "JSON text too large");
		goto out;
	}
	if (src == NULL || len == 0) {
		jerr(doc, "invalid JSON: empty input");
		goto out;
	}
	/* jsmn stops at a NUL, which no JSON text holds anyway. */
	if ((nul = memchr(src, '\0', len)) != NULL) {
		jerr(doc, "invalid JSON at byte %zu: NUL byte",
		    (size_t)(nul - src));
		goto out;
	}

	/* Tokens start on distinct bytes, so a short text needs fewer. */
	n = (size_t)maxtok > len ? (int)len : maxtok;
	if ((jt = calloc((size_t)n, sizeof(*jt))) == NULL)
		abort();
	jsmn_init(&p);
	r.njt = jsmn_parse(&p, src, len, jt, (unsigned int)n);

	/*
	 * Strict jsmn wants a delimiter after every primitive, so it calls
	 * a bare number or literal at the very end ("1", "[1] 2") partial,
	 * with pos on its first byte.  At top level, take the rest of the
	 * input as that primitive and let the grammar pass judge it.
	 */
	if (r.njt == JSMN_ERROR_PART && p.toksuper == -1 && p.pos < len &&
	    is_prim_start((unsigned char)src[p.pos])) {
		if (p.toknext >= (unsigned int)n)
			r.njt = JSMN_ERROR_NOMEM;
		else {
			jt[p.toknext].type = JSMN_PRIMITIVE;
			jt[p.toknext].start = (int)p.pos;
			jt[p.toknext].end = (int)len;
			jt[p.toknext].size = 0;
			jt[p.toknext].parent = -1;
			r.njt = (int)++p.toknext;
		}
	}
	switch (r.njt) {
	case JSMN_ERROR_NOMEM:
		jerr(doc, "invalid JSON: too many tokens (limit %d)", maxtok);
		goto out;
	case JSMN_ERROR_INVAL:
		jerr(doc, "invalid JSON at byte %u: syntax error", p.pos);
		goto out;
	case JSMN_ERROR_PART:
		jerr(doc, "invalid JSON: unexpected end of input");
		goto out;
	case 0:
		jerr(doc, "invalid JSON: empty input");
		goto out;
	}
	if (r.njt < 0 || r.njt > n) {
		jerr(doc, "invalid JSON: parser error");
		goto out;
	}

	if ((doc->tok = calloc((size_t)r.njt, sizeof(*doc->tok))) == NULL ||
	    (r.khash = calloc((size_t)r.njt, sizeof(*r.khash))) == NULL)
		abort();
	r.doc = doc;
	r.jt = jt;
	r.maxdepth = maxdepth;
	if (rd_value(&r, 1) == -1)
		goto out;
	rd_ws(&r);
	if (r.pos != len) {
		rd_fail(&r, r.pos, "trailing characters");
		goto out;
	}
	if (r.ti != r.njt) {
		rd_fail(&r, r.pos, "unexpected token");
		goto out;
	}
	doc->ntok = r.njt;
	rc = 0;
 out:
	if (rc == -1) {
		free(doc->tok);
		doc->tok = NULL;
		doc->ntok = 0;
	}
	free(r.khash);
	free(jt);
	return rc;
}

void
json_free(struct json_doc *doc)
{
	if (doc == NULL)
		return;
	free(doc->tok);
	doc->tok = NULL;
	doc->ntok = 0;
}

int
json_get(const struct json_doc *doc, int obj, const char *key)
{
	int	 i = -1, k, v;

	if (key == NULL)
		return -1;
	while (json_each(doc, obj, &i, &k, &v))
		if (json_key_is(doc, k, key))
			return v;
	return -1;
}

int
json_each(const struct json_doc *doc, int obj, int *i, int *k, int *v)
{
	int	 kt, end;

	if (!tok_is(doc, obj, JSON_OBJECT))
		return 0;
	end = doc->tok[obj].next;
	if (*i == -1)
		kt = obj + 1;
	else if (*i > obj && *i + 1 < end)
		kt = doc->tok[*i + 1].next;
	else
		return 0;
	if (kt + 1 >= end)
		return 0;
	*i = *k = kt;
	*v = kt + 1;
	return 1;
}

int
json_at(const struct json_doc *doc, int arr, int n)
{
	int	 t;

	if (!tok_is(doc, arr, JSON_ARRAY) || n < 0 || n >= doc->tok[arr].size)
		return -1;
	for (t = arr + 1; n > 0; n--)
		t = doc->tok[t].next;
	return t;
}

int
json_key_is(const struct json_doc *doc, int k, const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	unsigned char		 u[4];
	size_t			 i, end, n, m;
	uint32_t		 cp;

	if (!tok_is(doc, k, JSON_STRING) || s == NULL)
		return 0;
	i = (size_t)doc->tok[k].start;
	end = (size_t)doc->tok[k].end;
	while (i < end) {
		if (str_next(doc->src, end, &i, &cp) != NULL)
			return 0;
		/* No NUL in u, so a short s mismatches before its end. */
		n = utf8_put(cp, u);
		for (m = 0; m < n; m++)
			if (*p++ != u[m])
				return 0;
	}
	return *p == '\0';
}

int
json_str(const struct json_doc *doc, int t, struct buf *out)
{
	unsigned char	 u[4];
	size_t		 i, end;
	uint32_t	 cp;

	if (!tok_is(doc, t, JSON_STRING))
		return -1;
	i = (size_t)doc->tok[t].start;
	end = (size_t)doc->tok[t].end;
	/* Unescaping never grows the text; appending nothing terminates out. */
	buf_reserve(out, end - i);
	buf_append(out, "", 0);
	while (i < end) {
		if (str_next(doc->src, end, &i, &cp) != NULL)
			return -1;
		buf_append(out, u, utf8_put(cp, u));
	}
	return 0;
}

int
json_strlen(const struct json_doc *doc, int t, size_t *bytes, size_t *chars)
{
	unsigned char	 u[4];
	size_t		 i, end, nb = 0, nc = 0;
	uint32_t	 cp;

	if (!tok_is(doc, t, JSON_STRING))
		return -1;
	i = (size_t)doc->tok[t].start;
	end = (size_t)doc->tok[t].end;
	while (i < end) {
		if (str_next(doc->src, end, &i, &cp) != NULL)
			return -1;
		nb += utf8_put(cp, u);
		nc++;
	}
	if (bytes != NULL)
		*bytes = nb;
	if (chars != NULL)
		*chars = nc;
	return 0;
}

/*
 * A decimal integer ("-"? digits) of exactly len bytes within [min, max].
 * Accumulates negatively: INT64_MIN has no positive counterpart.
 */
int
json_int_text(const char *s, size_t n, int64_t min, int64_t max, int64_t *out)
{
	size_t		 i = 0;
	int64_t		 v = 0;
	int		 d, neg = 0;

	if (i < n && s[i] == '-') {
		neg = 1;
		i++;
	}
	if (i >= n)
		return -1;
	for (; i < n; i++) {
		if (!ISDIGIT(s[i]))
			return -1;
		d = s[i] - '0';
		if (v < INT64_MIN / 10 ||
		    (v == INT64_MIN / 10 && d > -(INT64_MIN % 10)))
			return -1;
		v = v * 10 - d;
	}
	if (!neg) {
		if (v == INT64_MIN)
			return -1;
		v = -v;
	}
	if (v < min || v > max)
		return -1;
	if (out != NULL)
		*out = v;
	return 0;
}

int64_t
json_int_env(const char *name, int64_t min, int64_t max, int64_t dflt)
{
	const char	*s = getenv(name);
	int64_t		 v;

	if (s == NULL || json_int_text(s, strlen(s), min, max, &v) == -1)
		return dflt;
	return v;
}

int
json_int(const struct json_doc *doc, int t, int64_t min, int64_t max,
    int64_t *out)
{
	if (!tok_is(doc, t, JSON_NUMBER))
		return -1;
	return json_int_text(doc->src + doc->tok[t].start,
	    (size_t)(doc->tok[t].end - doc->tok[t].start), min, max, out);
}

int
json_bool(const struct json_doc *doc, int t, int *out)
{
	if (!tok_is(doc, t, JSON_BOOL))
		return -1;
	if (out != NULL)
		*out = doc->src[doc->tok[t].start] == 't';
	return 0;
}

/* Strings come with their quotes, so the text is always valid JSON. */
const char *
json_raw(const struct json_doc *doc, int t, size_t *len)
{
	const struct json_tok	*k;
	size_t			 start, end;

	if (doc == NULL || doc->tok == NULL || t < 0 || t >= doc->ntok)
		return NULL;
	k = &doc->tok[t];
	start = (size_t)k->start;
	end = (size_t)k->end;
	if (k->type == JSON_STRING) {
		start--;
		end++;
	}
	if (len != NULL)
		*len = end - start;
	return doc->src + start;
}

/* The one escaper, for keys and values alike. */
static void
jw_esc(struct buf *b, const char *s, size_t n)
{
	static const char	 hex[] = "0123456789abcdef";
	const unsigned char	*p = (const unsigned char *)s;
	char			 u[6] = { '\\', 'u', '0', '0', 0, 0 };
	size_t			 i, run;

	buf_putc(b, '"');
	for (i = 0; i < n; i++) {
		/* Copy the plain stretch in one go. */
		for (run = i; run < n && p[run] >= 0x20 && p[run] != 0x7f &&
		    p[run] != '"' && p[run] != '\\'; run++)
			;
		if (run > i) {
			buf_append(b, p + i, run - i);
			if ((i = run) == n)
				break;
		}
		switch (p[i]) {
		case '"':
			buf_append(b, "\\\"", 2);
			break;
		case '\\':
			buf_append(b, "\\\\", 2);
			break;
		case '\b':
			buf_append(b, "\\b", 2);
			break;
		case '\f':
			buf_append(b, "\\f", 2);
			break;
		case '\n':
			buf_append(b, "\\n", 2);
			break;
		case '\r':
			buf_append(b, "\\r", 2);
			break;
		case '\t':
			buf_append(b, "\\t", 2);
			break;
		default:
			u[4] = hex[p[i] >> 4];
			u[5] = hex[p[i] & 0xf];
			buf_append(b, u, sizeof(u));
			break;
		}
	}
	buf_putc(b, '"');
}

/* Before any value: the comma if it is not the first, then the key. */
static void
jw_sep(struct jsonw *w, const char *key)
{
	if (w->depth > 0 && w->count[w->depth - 1]++ > 0)
		buf_putc(w->out, ',');
	if (key != NULL) {
		jw_esc(w->out, key, strlen(key));
		buf_putc(w->out, ':');
	}
}

/* count[d - 1] counts the values inside the d-th open container. */
static void
jw_open(struct jsonw *w, const char *key, char c)
{
	if (w->depth >= JSONW_MAXDEPTH)
		abort();
	jw_sep(w, key);
	buf_putc(w->out, c);
	w->count[w->depth++] = 0;
}

static void
jw_close(struct jsonw *w, char c)
{
	if (w->depth <= 0)
		abort();
	w->depth--;
	buf_putc(w->out, c);
}

void
jw_init(struct jsonw *w, struct buf *out)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
}

void
jw_obj_open(struct jsonw *w, const char *key)
{
	jw_open(w, key, '{');
}

void
jw_obj_close(struct jsonw *w)
{
	jw_close(w, '}');
}

void
jw_arr_open(struct jsonw *w, const char *key)
{
	jw_open(w, key, '[');
}

void
jw_arr_close(struct jsonw *w)
{
	jw_close(w, ']');
}

/* A NULL string is written as null. */
void
jw_str(struct jsonw *w, const char *key, const char *s)
{
	if (s == NULL)
		jw_null(w, key);
	else
		jw_strn(w, key, s, strlen(s));
}

void
jw_strn(struct jsonw *w, const char *key, const char *s, size_t n)
{
	jw_sep(w, key);
	jw_esc(w->out, s, n);
}

void
jw_int(struct jsonw *w, const char *key, int64_t v)
{
	jw_sep(w, key);
	buf_printf(w->out, "%" PRId64, v);
}

void
jw_bool(struct jsonw *w, const char *key, int v)
{
	jw_sep(w, key);
	buf_puts(w->out, v ? "true" : "false");
}

void
jw_null(struct jsonw *w, const char *key)
{
	jw_sep(w, key);
	buf_puts(w->out, "null");
}

void
jw_raw(struct jsonw *w, const char *key, const char *s, size_t n)
{
	jw_sep(w, key);
	buf_append(w->out, s, n);
}

void
jw_time(struct jsonw *w, const char *key, int64_t t)
{
	char	 s[TIME_STRLEN + 1];

	if (t == 0) {
		jw_null(w, key);
		return;
	}
	time_format(t, s);
	jw_strn(w, key, s, TIME_STRLEN);
}

/* Days since 1970-01-01 in the proleptic Gregorian calendar (H. Hinnant). */
static int64_t
days_from_civil(int y, int m, int d)
{
	int64_t	 era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t	 era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static int
mdays(int y, int m)
{
	static const int	 days[] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		return 29;
	return days[m - 1];
}

/* n decimal digits as a number, or -1. */
static int
dnum(const char *s, size_t n)
{
	size_t	 i;
	int	 v = 0;

	for (i = 0; i < n; i++) {
		if (!ISDIGIT(s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static void
put_digits(char *p, int v, int n)
{
	while (n-- > 0) {
		p[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

/* Out-of-range times are clamped so the text always has the fixed width. */
void
time_format(int64_t t, char out[TIME_STRLEN + 1])
{
	int	 y, m, d, secs;

	if (t < 0)
		t = 0;
	if (t > TIME_MAX)
		t = TIME_MAX;
	civil_from_days(t / 86400, &y, &m, &d);
	secs = (int)(t % 86400);
	memcpy(out, "0000-00-00T00:00:00Z", TIME_STRLEN + 1);
	put_digits(out, y, 4);
	put_digits(out + 5, m, 2);
	put_digits(out + 8, d, 2);
	put_digits(out + 11, secs / 3600, 2);
	put_digits(out + 14, secs / 60 % 60, 2);
	put_digits(out + 17, secs % 60, 2);
}

static void
merge(struct jsonw *w, const char *key, const struct json_doc *td, int t,
    const struct json_doc *pd, int p)
{
	struct buf	 k = BUF_INIT;
	const char	*raw;
	size_t		 len;
	int		 i = -1, kt, v, pv;

	if (pd->tok[p].type != JSON_OBJECT) {
		raw = json_raw(pd, p, &len);
		jw_raw(w, key, raw, len);
		return;
	}
	jw_obj_open(w, key);
	if (t != -1 && td->tok[t].type == JSON_OBJECT)
		while (json_each(td, t, &i, &kt, &v)) {
			buf_reset(&k);
			json_str(td, kt, &k);
			if ((pv = json_get(pd, p, buf_cstr(&k))) == -1) {
				raw = json_raw(td, v, &len);
				jw_raw(w, buf_cstr(&k), raw, len);
			} else if (pd->tok[pv].type != JSON_NULL)
				merge(w, buf_cstr(&k), td, v, pd, pv);
		}
	i = -1;
	while (json_each(pd, p, &i, &kt, &v)) {
		buf_reset(&k);
		json_str(pd, kt, &k);
		if (pd->tok[v].type == JSON_NULL ||
		    (t != -1 && json_get(td, t, buf_cstr(&k)) != -1))
			continue;
		merge(w, buf_cstr(&k), td, -1, pd, v);
	}
	jw_obj_close(w);
	buf_free(&k);
}

int
json_merge_patch(struct jsonw *w, const char *key, const char *target,
    size_t tlen, const struct json_doc *pd, int p)
{
	struct json_doc	 td;

	if (tlen == 0) {
		target = "{}";
		tlen = 2;
	}
	if (json_parse(&td, target, tlen, 1 << 16, JSON_MAXDEPTH * 2) == -1)
		return -1;
	merge(w, key, &td, 0, pd, p);
	json_free(&td);
	return 0;
}

int
time_parse(const char *s, size_t len, int64_t *out)
{
	int64_t	 t;
	size_t	 i = 19;
	int	 y, mo, d, h, mi, sec, sign = 0, oh = 0, om = 0;

	if (s == NULL || len < 20 || s[4] != '-' || s[7] != '-' ||
	    (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':')
		return -1;
	y = dnum(s, 4);
	mo = dnum(s + 5, 2);
	d = dnum(s + 8, 2);
	h = dnum(s + 11, 2);
	mi = dnum(s + 14, 2);
	sec = dnum(s + 17, 2);
	/* No leap seconds: 60 would need a table to mean anything. */
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays(y, mo) ||
	    h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59)
		return -1;

	if (s[i] == '.') {
		if (++i >= len || !ISDIGIT(s[i]))
			return -1;
		while (i < len && ISDIGIT(s[i]))
			i++;
	}
	if (i < len && (s[i] == 'Z' || s[i] == 'z'))
		i++;
	else if (i < len && (s[i] == '+' || s[i] == '-')) {
		if (len - i < 6 || s[i + 3] != ':')
			return -1;
		sign = s[i] == '-' ? -1 : 1;
		oh = dnum(s + i + 1, 2);
		om = dnum(s + i + 4, 2);
		if (oh < 0 || oh > 23 || om < 0 || om > 59)
			return -1;
		i += 6;
	} else
		return -1;
	if (i != len)
		return -1;

	/* The text is local time: UTC is local minus the offset. */
	t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	t -= sign * (oh * 3600 + om * 60);
	if (t < 0 || t > TIME_MAX)
		return -1;
	*out = t;
	return 0;
}
