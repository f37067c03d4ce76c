/* test_json: unit tests for lib/json.c (reader, access, writer, merge patch, times). */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>

#include "buf.h"
#include "json.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))
#define S(x)		{ x, sizeof(x) - 1 }
#define E(x, e)		{ x, sizeof(x) - 1, e }
#define TIME_MAX	INT64_C(253402300799)	/* 9999-12-31T23:59:59Z */
#define S_META		"{\"env\":\"prod\",\"team\":\"a\"}"
#define S_PATCH_BODY	"{\"name\":\"y\",\"metadata\":{\"team\":null," \
			"\"env\":\"dev\",\"owner\":{\"id\":7}}}"

/* A parsed document over a heap copy of exactly len bytes, no NUL. */
struct tdoc {
	struct json_doc	 doc;
	char		*copy;
};

static int	 tparse(struct tdoc *, const char *, size_t, int, int);
static int	 tparse_buf(struct tdoc *, const struct buf *);
static void	 tfree(struct tdoc *);
static const char *show(const char *, size_t);
static void	 check_tree(const struct json_doc *);
static int	 err_printable(const char *);
static void	 nest(struct buf *, int, const char *);
static int	 merge_into(struct buf *, const char *, size_t, const char *);
static Suite	*json_suite(void);

/* ASan flags any read past len, since the copy has no terminator. */
static int
tparse(struct tdoc *d, const char *s, size_t len, int maxtok, int maxdepth)
{
	d->copy = malloc(len > 0 ? len : 1);
	ck_assert_ptr_nonnull(d->copy);
	if (len > 0)
		memcpy(d->copy, s, len);
	return json_parse(&d->doc, d->copy, len, maxtok, maxdepth);
}

static int
tparse_buf(struct tdoc *d, const struct buf *b)
{
	return tparse(d, b->ptr, b->len, JSON_MAXTOK, JSON_MAXDEPTH);
}

static void
tfree(struct tdoc *d)
{
	json_free(&d->doc);
	free(d->copy);
	d->copy = NULL;
}

/* Printable form of test input for failure messages (one at a time). */
static const char *
show(const char *s, size_t len)
{
	static char	 out[512];
	size_t		 i, o = 0;

	for (i = 0; i < len && o + 5 < sizeof(out); i++) {
		if (s[i] >= 0x20 && s[i] < 0x7f)
			out[o++] = s[i];
		else
			o += (size_t)snprintf(out + o, sizeof(out) - o,
			    "\\x%02x", (unsigned char)s[i]);
	}
	out[o] = '\0';
	return out;
}

/* Every subtree ends at next; containers hold size children (or pairs). */
static void
check_tree(const struct json_doc *doc)
{
	const struct json_tok	*k;
	int			 t, c, n;

	ck_assert_int_gt(doc->ntok, 0);
	ck_assert_int_eq(doc->tok[0].next, doc->ntok);
	for (t = 0; t < doc->ntok; t++) {
		k = &doc->tok[t];
		ck_assert_int_gt(k->next, t);
		ck_assert_int_le(k->next, doc->ntok);
		ck_assert_int_ge(k->start, 0);
		ck_assert_int_le(k->start, k->end);
		ck_assert_uint_le((size_t)k->end, doc->len);
		if (k->type != JSON_ARRAY && k->type != JSON_OBJECT) {
			ck_assert_int_eq(k->next, t + 1);
			ck_assert_int_eq(k->size, 0);
			continue;
		}
		for (n = 0, c = t + 1; c < k->next; c = doc->tok[c].next, n++)
			if (k->type == JSON_OBJECT && n % 2 == 0)
				ck_assert_int_eq(doc->tok[c].type, JSON_STRING);
		ck_assert_int_eq(c, k->next);
		ck_assert_int_eq(n,
		    k->type == JSON_OBJECT ? 2 * k->size : k->size);
	}
}

static int
err_printable(const char *s)
{
	size_t	 i, n;

	n = strnlen(s, sizeof(((struct json_doc *)0)->err));
	if (n == 0 || n == sizeof(((struct json_doc *)0)->err))
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] >= 0x7f)
			return 0;
	return 1;
}

/* depth nested arrays around inner. */
static void
nest(struct buf *b, int depth, const char *inner)
{
	int	 i;

	buf_reset(b);
	for (i = 0; i < depth; i++)
		buf_putc(b, '[');
	buf_puts(b, inner);
	for (i = 0; i < depth; i++)
		buf_putc(b, ']');
}

START_TEST(test_parse_valid)
{
	static const struct {
		const char	*s;
		size_t		 len;
	} t[] = {
		S("{}"),
		S("[]"),
		S("0"),
		S("-0"),
		S("1"),
		S("-1"),
		S("0.5"),
		S("-0.0"),
		S("1e10"),
		S("1E+2"),
		S("-1.5e-3"),
		S("123456789012345678901234567890"),
		S("true"),
		S("false"),
		S("null"),
		S(" false "),
		S("\"\""),
		S("\"x\""),
		S("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\""),
		S("\"\\u00e9\\u20AC\\ud83d\\ude00\\uDBFF\\uDFFF\""),
		S("\"\\u0001\\u001f\""),
		S("\"\xc2\x80\""),			/* smallest 2-byte */
		S("\"\xdf\xbf\""),
		S("\"\xe0\xa0\x80\""),		/* smallest 3-byte */
		S("\"\xed\x9f\xbf\""),			/* U+D7FF */
		S("\"\xee\x80\x80\""),			/* U+E000 */
		S("\"\xef\xbf\xbf\""),
		S("\"\xf0\x90\x80\x80\""),		/* smallest 4-byte */
		S("\"\xf0\x9f\x98\x80\""),
		S("\"\xf4\x8f\xbf\xbf\""),		/* U+10FFFF */
		S("\"\x7f\""),			/* DEL needs no escape */
		S("[1,2,3]"),
		S("[[],{},[[]],{\"a\":{}}]"),
		S("{\"a\":[1,{\"b\":null}],\"c\":{\"d\":[[],{}]},\"e\":\"f\"}"),
		S(" \t\n\r{\n\"a\" : [ 1 , 2 ] ,\t\"b\":true }\r\n "),
		S("{\"a\":1,\"A\":1}"),
		S("{\"a\":1,\"ab\":1,\"b\":1}"),
		S("{\"a\":{\"a\":{\"a\":1}}}"),
		S("[{\"a\":1},{\"a\":1}]"),
		S("{\"\\ud83d\\ude00\":1,\"\\ud83d\\ude01\":2}"),
		S("{\"\":1}"),
		/* Keys whose FNV-1a hashes collide, yet differ. */
		S("{\"$08(\":1,\"8!,!\":2}"),
		S("[\"a\",\"a\"]"),
		S("[-0,0.5,1e10,1E-10,-1.25e+3]"),
	};
	struct tdoc	 d;
	const char	*raw;
	size_t		 i, n, rlen;

	for (i = 0; i < NITEMS(t); i++) {
		ck_assert_msg(tparse(&d, t[i].s, t[i].len, JSON_MAXTOK,
		    JSON_MAXDEPTH) == 0, "valid[%zu] rejected: %s: %s", i,
		    show(t[i].s, t[i].len), d.doc.err);
		check_tree(&d.doc);
		/* The top-level value is the input minus outer whitespace. */
		raw = json_raw(&d.doc, 0, &rlen);
		ck_assert_ptr_nonnull(raw);
		n = strspn(t[i].s, " \t\r\n");
		ck_assert_msg(raw == d.copy + n, "valid[%zu] raw start", i);
		ck_assert_msg(strspn(t[i].s + n + rlen, " \t\r\n") ==
		    t[i].len - n - rlen, "valid[%zu] raw end", i);
		tfree(&d);
	}
}
END_TEST

START_TEST(test_parse_invalid)
{
	static const struct {
		const char	*s;
		size_t		 len;
		const char	*err;
	} t[] = {
		E("", "empty input"),
		E(" \t\r\n", "empty input"),

		/* jsmn 1.1.0 strict takes all of these. */
		E("{\"a\":1}{\"b\":2}", "byte 7: trailing characters"),
		E("{\"a\":1 \"b\":2}", "byte 7: expected ',' or '}'"),
		E("[1 2]", "byte 3: expected ',' or ']'"),
		E("[1,]", "byte 3: expected a value"),
		E("{\"a\"}", "byte 4: expected ':'"),
		E("{,}", "byte 1: expected a string key"),
		E("tru", "invalid literal"),
		E("1.2.3", "invalid number"),
		E("01", "invalid number"),
		E("-", "invalid number"),
		E("\"a\x01" "b\"", "byte 2: control character in string"),
		E("\"\x1f\"", "control character in string"),
		E("\"a\tb\"", "control character in string"),
		E("\"a\nb\"", "control character in string"),
		E("\"\\ud800\"", "byte 1: unpaired surrogate"),
		E("\"\\udbff\"", "unpaired surrogate"),
		E("\"\\udc00\"", "unpaired surrogate"),
		E("\"\\udfff\\ud800\"", "unpaired surrogate"),
		E("\"\\ud800\\u0041\"", "unpaired surrogate"),
		E("\"\\ud800\\ud800\"", "unpaired surrogate"),
		E("\"\\ud800x\"", "unpaired surrogate"),
		E("\"\\ud800\\n\"", "unpaired surrogate"),
		E("\"x\\ud83d\"", "byte 2: unpaired surrogate"),
		E("\"\\u0000\"", "U+0000"),
		E("{\"a\\u0000\":1}", "U+0000"),
		E("\"a\0b\"", "byte 2: NUL byte"),
		E("[1]\0", "byte 3: NUL byte"),
		E("\0", "byte 0: NUL byte"),

		/* UTF-8: bad bytes, overlong, surrogates, range, truncated. */
		E("\"\xc0\xaf\"", "byte 1: invalid UTF-8"),
		E("\"\xc1\xbf\"", "invalid UTF-8"),
		E("\"\x80\"", "invalid UTF-8"),
		E("\"\xbf\"", "invalid UTF-8"),
		E("\"\xf5\x80\x80\x80\"", "invalid UTF-8"),
		E("\"\xf8\x88\x80\x80\x80\"", "invalid UTF-8"),
		E("\"\xfe\"", "invalid UTF-8"),
		E("\"\xff\"", "invalid UTF-8"),
		E("\"\xc3\x28\"", "invalid UTF-8"),
		E("\"\xe2\x28\xa1\"", "invalid UTF-8"),
		E("\"\xe2\x82\x28\"", "invalid UTF-8"),
		E("\"\xf0\x9f\x98\x28\"", "invalid UTF-8"),
		E("\"\xe0\x80\xaf\"", "overlong UTF-8"),
		E("\"\xe0\x9f\xbf\"", "overlong UTF-8"),
		E("\"\xf0\x80\x80\xaf\"", "overlong UTF-8"),
		E("\"\xf0\x8f\xbf\xbf\"", "overlong UTF-8"),
		E("\"\xed\xa0\x80\"", "surrogate in UTF-8"),
		E("\"\xed\xbf\xbf\"", "surrogate in UTF-8"),
		E("\"\xed\xa0\xbd\xed\xb8\x80\"", "surrogate in UTF-8"),
		E("\"\xf4\x90\x80\x80\"", "beyond U+10FFFF"),
		E("\"\xf7\xbf\xbf\xbf\"", "invalid UTF-8"),
		E("\"\xc3\"", "truncated UTF-8"),
		E("\"\xe2\x82\"", "truncated UTF-8"),
		E("\"\xf0\x9f\x98\"", "truncated UTF-8"),
		E("{\"\xc3\":1}", "truncated UTF-8"),
		E("\xef\xbb\xbf{}", "byte 0: syntax error"),	/* BOM */
		E("[\xc3\xa9]", "byte 1: syntax error"),

		/* Duplicates, compared after unescaping. */
		E("{\"a\":1,\"a\":2}", "byte 7: duplicate key"),
		E("{\"a\":1,\"\\u0061\":2}", "duplicate key"),
		E("{\"\\u00e9\":1,\"\xc3\xa9\":2}", "duplicate key"),
		E("{\"\\ud83d\\ude00\":1,\"\xf0\x9f\x98\x80\":2}",
		    "duplicate key"),
		E("{\"a/b\":1,\"a\\/b\":2}", "duplicate key"),
		E("{\"\":1,\"\":2}", "duplicate key"),
		E("{\"a\":1,\"b\":2,\"c\":3,\"b\":4}", "duplicate key"),
		E("{\"x\":{\"b\":1,\"b\":2}}", "duplicate key"),
		E("[{\"a\":1},{\"a\":1,\"a\":1}]", "duplicate key"),
		E("{\"a\":{},\"a\":[]}", "duplicate key"),

		/* Literals and numbers. */
		E("nul", "invalid literal"),
		E("nan", "invalid literal"),
		E("nulx", "invalid literal"),
		E("trux", "invalid literal"),
		E("fals", "invalid literal"),
		E("falsx", "invalid literal"),
		E("[nul]", "byte 1: invalid literal"),
		E("truee", "invalid literal"),
		E("falsetrue", "invalid literal"),
		E("[true false]", "expected ',' or ']'"),
		E("True", "syntax error"),
		E("NaN", "syntax error"),
		E("Infinity", "syntax error"),
		E("+1", "syntax error"),
		E(".5", "syntax error"),
		E("1.", "invalid number"),
		E("1.e5", "invalid number"),
		E("1e", "invalid number"),
		E("1e+", "invalid number"),
		E("1e+-1", "invalid number"),
		E("-01", "invalid number"),
		E("00", "invalid number"),
		E("--1", "invalid number"),
		E("-a", "invalid number"),
		E("1-", "invalid number"),
		E("0x10", "invalid number"),
		E("[1,-]", "byte 3: invalid number"),
		E("{\"a\":1:2}", "invalid number"),

		/* Strings. */
		E("\"abc", "unexpected end of input"),
		E("\"\\\"", "unexpected end of input"),
		E("\"\\x\"", "syntax error"),
		E("\"\\u12g4\"", "syntax error"),
		E("\"\\u12\"", "syntax error"),
		E("'a'", "syntax error"),

		/* Structure. */
		E("[", "unexpected end of input"),
		E("{", "unexpected end of input"),
		E("{\"a\":[1,2}", "syntax error"),
		E("]", "syntax error"),
		E("[1]]", "syntax error"),
		E("[}", "syntax error"),
		E("{\"a\":1,}", "byte 7: expected a string key"),
		E("{\"a\":}", "expected a value"),
		E("{\"a\"::1}", "byte 5: expected a value"),
		E("{\"a\" 1}", "syntax error"),
		E("{1:2}", "syntax error"),
		E("{[]:1}", "syntax error"),
		E("{\"a\":1,,\"b\":2}", "expected a string key"),
		E("[,1]", "byte 1: expected a value"),
		E("[1,,2]", "expected a value"),
		E("[\"a\":1]", "expected ',' or ']'"),
		E("1 2", "byte 2: trailing characters"),
		E("[1] 2", "byte 4: trailing characters"),
		E("\"a\"1", "byte 3: trailing characters"),
		E("\"a\" \"b\"", "trailing characters"),
		E("[] []", "trailing characters"),
		E("{}x", "syntax error"),
		E("\v1", "syntax error"),
		E("\f[]", "syntax error"),
		E("[1]\f", "syntax error"),
		E("/*c*/{}", "syntax error"),
	};
	struct tdoc	 d;
	size_t		 i;

	for (i = 0; i < NITEMS(t); i++) {
		ck_assert_msg(tparse(&d, t[i].s, t[i].len, JSON_MAXTOK,
		    JSON_MAXDEPTH) == -1, "invalid[%zu] accepted: %s", i,
		    show(t[i].s, t[i].len));
		ck_assert_msg(strstr(d.doc.err, t[i].err) != NULL,
		    "invalid[%zu] %s: got \"%s\", want \"%s\"", i,
		    show(t[i].s, t[i].len), d.doc.err, t[i].err);
		ck_assert_msg(err_printable(d.doc.err),
		    "invalid[%zu] error not printable", i);
		ck_assert_ptr_null(d.doc.tok);
		ck_assert_int_eq(d.doc.ntok, 0);
		tfree(&d);
	}
}
END_TEST

START_TEST(test_parse_limits)
{
	static const struct {
		const char	*s;
		int		 maxtok;
		int		 maxdepth;
		const char	*err;	/* NULL: accepted */
	} t[] = {
		{ "1", 1, 1, NULL },
		{ "\"x\"", 1, 1, NULL },
		{ "[]", 1, 1, NULL },
		{ "{}", 1, 1, NULL },
		{ "[1]", 1, 1, "too many tokens" },
		/* jsmn fills its array before the trailing primitive. */
		{ "[1] 2", 2, 1, "too many tokens" },
		{ "[1] 2", 3, 1, "byte 4: trailing characters" },
		{ "[1,2,3]", 4, 1, NULL },
		{ "[1,2,3]", 3, 1, "too many tokens" },
		{ "{\"a\":[1,2]}", 5, 2, NULL },
		{ "{\"a\":[1,2]}", 4, 2, "too many tokens" },
		{ "{\"a\":[1,2]}", 5, 1, "nesting too deep" },
		{ "[[1]]", 9, 2, NULL },
		{ "[[[1]]]", 9, 2, "byte 2: nesting too deep" },
		{ "[[]]", 9, 1, "byte 1: nesting too deep" },
		{ "{\"a\":{\"b\":{}}}", 9, 3, NULL },
		{ "{\"a\":{\"b\":{}}}", 9, 2, "nesting too deep" },
		{ "[{\"a\":[{}]}]", 9, 4, NULL },
		{ "[{\"a\":[{}]}]", 9, 3, "nesting too deep" },
		{ "[1]", 0, 1, "invalid JSON limits" },
		{ "[1]", 9, 0, "invalid JSON limits" },
		{ "[1]", -1, 1, "invalid JSON limits" },
	};
	struct tdoc	 d;
	struct buf	 b = BUF_INIT;
	size_t		 i;
	int		 rc;

	for (i = 0; i < NITEMS(t); i++) {
		rc = tparse(&d, t[i].s, strlen(t[i].s), t[i].maxtok,
		    t[i].maxdepth);
		if (t[i].err == NULL)
			ck_assert_msg(rc == 0, "limits[%zu] %s rejected: %s",
			    i, t[i].s, d.doc.err);
		else
			ck_assert_msg(rc == -1 &&
			    strstr(d.doc.err, t[i].err) != NULL,
			    "limits[%zu] %s: got %d \"%s\", want \"%s\"", i,
			    t[i].s, rc, d.doc.err, t[i].err);
		tfree(&d);
	}

	/* The defaults, at the bound and one past it. */
	nest(&b, JSON_MAXDEPTH, "1");
	ck_assert_int_eq(tparse_buf(&d, &b), 0);
	tfree(&d);
	nest(&b, JSON_MAXDEPTH + 1, "1");
	ck_assert_int_eq(tparse_buf(&d, &b), -1);
	ck_assert_str_eq(d.doc.err, "invalid JSON at byte 8: nesting too deep");
	tfree(&d);

	/* JSON_MAXTOK - 1 elements make exactly JSON_MAXTOK tokens. */
	buf_reset(&b);
	buf_putc(&b, '[');
	for (rc = 0; rc < JSON_MAXTOK - 1; rc++)
		buf_puts(&b, rc > 0 ? ",0" : "0");
	buf_putc(&b, ']');
	ck_assert_int_eq(tparse_buf(&d, &b), 0);
	ck_assert_int_eq(d.doc.ntok, JSON_MAXTOK);
	ck_assert_int_eq(d.doc.tok[0].size, JSON_MAXTOK - 1);
	tfree(&d);
	b.len--;
	buf_puts(&b, ",0]");
	ck_assert_int_eq(tparse_buf(&d, &b), -1);
	ck_assert_ptr_nonnull(strstr(d.doc.err, "too many tokens"));
	tfree(&d);
	buf_free(&b);
}
END_TEST

START_TEST(test_parse_many_keys)
{
	struct buf	 b = BUF_INIT;
	struct tdoc	 d;
	int		 i, n = (JSON_MAXTOK - 1) / 2;

	/* A full token budget of distinct keys, then the last one repeated. */
	buf_putc(&b, '{');
	for (i = 0; i < n; i++)
		buf_printf(&b, "%s\"k%d\":%d", i > 0 ? "," : "", i, i);
	buf_putc(&b, '}');
	ck_assert_int_eq(tparse_buf(&d, &b), 0);
	ck_assert_int_eq(d.doc.ntok, 2 * n + 1);
	ck_assert_int_eq(json_get(&d.doc, 0, "k0"), 2);
	ck_assert_int_eq(json_get(&d.doc, 0, "k300"), 602);
	ck_assert_int_eq(json_get(&d.doc, 0, "k"), -1);
	tfree(&d);

	buf_reset(&b);
	buf_putc(&b, '{');
	for (i = 0; i < n - 1; i++)
		buf_printf(&b, "\"k%d\":0,", i);
	buf_puts(&b, "\"k\\u0030\":0}");
	ck_assert_int_eq(tparse_buf(&d, &b), -1);
	ck_assert_ptr_nonnull(strstr(d.doc.err, "duplicate key"));
	tfree(&d);
	buf_free(&b);
}
END_TEST

START_TEST(test_parse_errors)
{
	static const char	 secret[] = "{\"password\":\"hunter2\x01\"}";
	struct tdoc		 d;

	/* Messages never quote the input. */
	ck_assert_int_eq(tparse(&d, secret, sizeof(secret) - 1, JSON_MAXTOK,
	    JSON_MAXDEPTH), -1);
	ck_assert_str_eq(d.doc.err,
	    "invalid JSON at byte 20: control character in string");
	ck_assert_ptr_null(strstr(d.doc.err, "hunter2"));
	tfree(&d);

	ck_assert_int_eq(json_parse(&d.doc, NULL, 0, JSON_MAXTOK,
	    JSON_MAXDEPTH), -1);
	ck_assert_str_eq(d.doc.err, "invalid JSON: empty input");
	json_free(&d.doc);
	json_free(&d.doc);

	ck_assert_int_eq(tparse(&d, "[1,2", 4, JSON_MAXTOK, JSON_MAXDEPTH), -1);
	ck_assert_str_eq(d.doc.err, "invalid JSON: unexpected end of input");
	tfree(&d);
	ck_assert_int_eq(tparse(&d, "[1,2,3]", 7, 2, JSON_MAXDEPTH), -1);
	ck_assert_str_eq(d.doc.err, "invalid JSON: too many tokens (limit 2)");
	tfree(&d);
}
END_TEST

START_TEST(test_access)
{
	static const char	 src[] =
	    "{\"id\":\"abc\",\"n\":42,\"f\":1.5,\"ok\":true,\"no\":false,"
	    "\"nil\":null,\"arr\":[10,[20,21],{\"x\":30}],"
	    "\"obj\":{\"k\":\"v\"},\"esc\\u0041\":\"\\ud83d\\ude00\"}";
	static const char	*keys[] = {
		"id", "n", "f", "ok", "no", "nil", "arr", "obj", "escA"
	};
	static const enum json_type types[] = {
		JSON_STRING, JSON_NUMBER, JSON_NUMBER, JSON_BOOL, JSON_BOOL,
		JSON_NULL, JSON_ARRAY, JSON_OBJECT, JSON_STRING
	};
	struct tdoc	 d;
	const char	*raw;
	size_t		 len, i;
	int64_t		 v;
	int		 it, k, val, arr, sub, b;

	ck_assert_int_eq(tparse(&d, src, sizeof(src) - 1, JSON_MAXTOK,
	    JSON_MAXDEPTH), 0);
	check_tree(&d.doc);
	ck_assert_int_eq(d.doc.tok[0].type, JSON_OBJECT);
	ck_assert_int_eq(d.doc.tok[0].size, (int)NITEMS(keys));

	/* json_each visits the members in order; json_get finds the same. */
	it = -1;
	for (i = 0; json_each(&d.doc, 0, &it, &k, &val); i++) {
		ck_assert_uint_lt(i, NITEMS(keys));
		ck_assert_msg(json_key_is(&d.doc, k, keys[i]), "key %zu", i);
		ck_assert_int_eq(d.doc.tok[val].type, types[i]);
		ck_assert_int_eq(json_get(&d.doc, 0, keys[i]), val);
	}
	ck_assert_uint_eq(i, NITEMS(keys));
	ck_assert_int_eq(json_each(&d.doc, 0, &it, &k, &val), 0);
	ck_assert_int_eq(json_get(&d.doc, 0, "missing"), -1);
	ck_assert_int_eq(json_get(&d.doc, 0, "esc"), -1);
	ck_assert_int_eq(json_get(&d.doc, 0, "esc\\u0041"), -1);
	ck_assert_int_eq(json_get(&d.doc, 0, "i"), -1);
	ck_assert_int_eq(json_get(&d.doc, 0, "idx"), -1);
	ck_assert_int_eq(json_get(&d.doc, 0, ""), -1);
	ck_assert_int_eq(json_get(&d.doc, 0, NULL), -1);

	ck_assert_int_eq(json_int(&d.doc, json_get(&d.doc, 0, "n"), 0, 100,
	    &v), 0);
	ck_assert_int_eq(v, 42);
	ck_assert_int_eq(json_int(&d.doc, json_get(&d.doc, 0, "f"),
	    INT64_MIN, INT64_MAX, &v), -1);
	ck_assert_int_eq(json_bool(&d.doc, json_get(&d.doc, 0, "ok"), &b), 0);
	ck_assert_int_eq(b, 1);
	ck_assert_int_eq(json_bool(&d.doc, json_get(&d.doc, 0, "no"), &b), 0);
	ck_assert_int_eq(b, 0);
	ck_assert_int_eq(json_bool(&d.doc, json_get(&d.doc, 0, "nil"), &b), -1);

	arr = json_get(&d.doc, 0, "arr");
	ck_assert_int_eq(d.doc.tok[arr].size, 3);
	ck_assert_int_eq(json_int(&d.doc, json_at(&d.doc, arr, 0), 0, 100,
	    &v), 0);
	ck_assert_int_eq(v, 10);
	sub = json_at(&d.doc, arr, 1);
	ck_assert_int_eq(d.doc.tok[sub].type, JSON_ARRAY);
	ck_assert_int_eq(json_int(&d.doc, json_at(&d.doc, sub, 1), 0, 100,
	    &v), 0);
	ck_assert_int_eq(v, 21);
	sub = json_at(&d.doc, arr, 2);
	ck_assert_int_eq(json_int(&d.doc, json_get(&d.doc, sub, "x"), 0, 100,
	    &v), 0);
	ck_assert_int_eq(v, 30);
	ck_assert_int_eq(json_at(&d.doc, arr, 3), -1);
	ck_assert_int_eq(json_at(&d.doc, arr, -1), -1);
	ck_assert_int_eq(json_at(&d.doc, 0, 0), -1);
	ck_assert_int_eq(json_get(&d.doc, arr, "x"), -1);

	raw = json_raw(&d.doc, arr, &len);
	ck_assert_uint_eq(len, strlen("[10,[20,21],{\"x\":30}]"));
	ck_assert(memcmp(raw, "[10,[20,21],{\"x\":30}]", len) == 0);
	raw = json_raw(&d.doc, json_get(&d.doc, 0, "id"), &len);
	ck_assert_uint_eq(len, 5);
	ck_assert(memcmp(raw, "\"abc\"", len) == 0);
	raw = json_raw(&d.doc, json_get(&d.doc, 0, "f"), &len);
	ck_assert_uint_eq(len, 3);
	ck_assert(memcmp(raw, "1.5", len) == 0);
	raw = json_raw(&d.doc, 0, &len);
	ck_assert_uint_eq(len, sizeof(src) - 1);
	tfree(&d);
}
END_TEST

START_TEST(test_bad_index)
{
	static const int	 bad[] = { -1, -2, INT32_MIN, INT32_MAX };
	static const char	 src[] =
	    "{\"s\":\"5\",\"n\":5,\"b\":true,\"z\":null}";
	struct tdoc		 d;
	struct buf		 b = BUF_INIT;
	size_t			 i, n1, n2;
	int64_t			 v = 7;
	int			 it, k = 5, val = 6, x = 3, t, num, str;

	ck_assert_int_eq(tparse(&d, src, sizeof(src) - 1, JSON_MAXTOK,
	    JSON_MAXDEPTH), 0);
	for (i = 0; i <= NITEMS(bad) + 1; i++) {
		t = i < NITEMS(bad) ? bad[i] :
		    d.doc.ntok + (int)(i - NITEMS(bad));
		ck_assert_int_eq(json_get(&d.doc, t, "s"), -1);
		it = -1;
		ck_assert_int_eq(json_each(&d.doc, t, &it, &k, &val), 0);
		ck_assert_int_eq(json_at(&d.doc, t, 0), -1);
		ck_assert_int_eq(json_key_is(&d.doc, t, "s"), 0);
		ck_assert_int_eq(json_str(&d.doc, t, &b), -1);
		ck_assert_int_eq(json_strlen(&d.doc, t, &n1, &n2), -1);
		ck_assert_int_eq(json_int(&d.doc, t, INT64_MIN, INT64_MAX,
		    &v), -1);
		ck_assert_int_eq(json_bool(&d.doc, t, &x), -1);
		ck_assert_ptr_null(json_raw(&d.doc, t, &n1));
	}
	ck_assert_int_eq(k, 5);
	ck_assert_int_eq(val, 6);
	ck_assert_int_eq(v, 7);
	ck_assert_int_eq(x, 3);
	ck_assert_uint_eq(b.len, 0);

	/* Wrong types. */
	str = json_get(&d.doc, 0, "s");
	num = json_get(&d.doc, 0, "n");
	ck_assert_int_eq(json_int(&d.doc, str, INT64_MIN, INT64_MAX, &v), -1);
	ck_assert_int_eq(json_str(&d.doc, num, &b), -1);
	ck_assert_int_eq(json_strlen(&d.doc, num, &n1, &n2), -1);
	ck_assert_int_eq(json_key_is(&d.doc, num, "5"), 0);
	ck_assert_int_eq(json_bool(&d.doc, num, &x), -1);
	ck_assert_int_eq(json_bool(&d.doc, json_get(&d.doc, 0, "z"), &x), -1);
	ck_assert_int_eq(json_at(&d.doc, str, 0), -1);
	ck_assert_int_eq(json_get(&d.doc, str, "s"), -1);
	it = -1;
	ck_assert_int_eq(json_each(&d.doc, num, &it, &k, &val), 0);
	/* A stale iterator outside the object ends the walk. */
	it = 0;
	ck_assert_int_eq(json_each(&d.doc, 0, &it, &k, &val), 0);
	it = d.doc.ntok;
	ck_assert_int_eq(json_each(&d.doc, 0, &it, &k, &val), 0);
	ck_assert_uint_eq(b.len, 0);
	tfree(&d);

	/* A failed document answers nothing. */
	ck_assert_int_eq(tparse(&d, "[1,]", 4, JSON_MAXTOK, JSON_MAXDEPTH), -1);
	ck_assert_int_eq(json_at(&d.doc, 0, 0), -1);
	ck_assert_int_eq(json_int(&d.doc, 0, INT64_MIN, INT64_MAX, &v), -1);
	ck_assert_ptr_null(json_raw(&d.doc, 0, &n1));
	tfree(&d);
	buf_free(&b);
}
END_TEST

START_TEST(test_int)
{
	static const struct {
		const char	*s;
		int64_t		 min, max;
		int		 rc;
		int64_t		 v;
	} t[] = {
		{ "0", INT64_MIN, INT64_MAX, 0, 0 },
		{ "-0", INT64_MIN, INT64_MAX, 0, 0 },
		{ "-0", 0, 0, 0, 0 },
		{ "42", INT64_MIN, INT64_MAX, 0, 42 },
		{ "-42", INT64_MIN, INT64_MAX, 0, -42 },
		{ "9223372036854775807", INT64_MIN, INT64_MAX, 0, INT64_MAX },
		{ "-9223372036854775808", INT64_MIN, INT64_MAX, 0, INT64_MIN },
		{ "9223372036854775806", INT64_MIN, INT64_MAX, 0,
		    INT64_MAX - 1 },
		{ "-9223372036854775807", INT64_MIN, INT64_MAX, 0,
		    INT64_MIN + 1 },
		{ "9223372036854775808", INT64_MIN, INT64_MAX, -1, 0 },
		{ "9223372036854775809", INT64_MIN, INT64_MAX, -1, 0 },
		{ "-9223372036854775809", INT64_MIN, INT64_MAX, -1, 0 },
		{ "92233720368547758070", INT64_MIN, INT64_MAX, -1, 0 },
		{ "-92233720368547758080", INT64_MIN, INT64_MAX, -1, 0 },
		{ "10000000000000000000", INT64_MIN, INT64_MAX, -1, 0 },
		{ "99999999999999999999999", INT64_MIN, INT64_MAX, -1, 0 },
		{ "1.0", INT64_MIN, INT64_MAX, -1, 0 },
		{ "0.0", INT64_MIN, INT64_MAX, -1, 0 },
		{ "-1.5", INT64_MIN, INT64_MAX, -1, 0 },
		{ "1e3", INT64_MIN, INT64_MAX, -1, 0 },
		{ "1E3", INT64_MIN, INT64_MAX, -1, 0 },
		{ "1e0", INT64_MIN, INT64_MAX, -1, 0 },
		{ "5", 0, 4, -1, 0 },
		{ "5", 5, 5, 0, 5 },
		{ "5", 6, 10, -1, 0 },
		{ "-1", 0, 10, -1, 0 },
		{ "10", 0, 10, 0, 10 },
		{ "3600", 1, 86400, 0, 3600 },
	};
	struct tdoc	 d;
	size_t		 i;
	int64_t		 v;

	for (i = 0; i < NITEMS(t); i++) {
		ck_assert_msg(tparse(&d, t[i].s, strlen(t[i].s), JSON_MAXTOK,
		    JSON_MAXDEPTH) == 0, "int[%zu] %s: %s", i, t[i].s,
		    d.doc.err);
		v = 12345;
		ck_assert_msg(json_int(&d.doc, 0, t[i].min, t[i].max, &v) ==
		    t[i].rc, "int[%zu] %s: want rc %d", i, t[i].s, t[i].rc);
		if (t[i].rc == 0)
			ck_assert_msg(v == t[i].v, "int[%zu] %s: got %jd", i,
			    t[i].s, (intmax_t)v);
		else
			ck_assert_msg(v == 12345, "int[%zu] wrote", i);
		tfree(&d);
	}
}
END_TEST

START_TEST(test_str)
{
	static const struct {
		const char	*json;
		const char	*want;
		size_t		 chars;
	} t[] = {
		{ "\"\"", "", 0 },
		{ "\"abc\"", "abc", 3 },
		{ "\"a\\\"b\\\\c\\/d\"", "a\"b\\c/d", 7 },
		{ "\"\\b\\f\\n\\r\\t\"", "\b\f\n\r\t", 5 },
		{ "\"\\u0041\\u00e9\\u20AC\"", "A\xc3\xa9\xe2\x82\xac", 3 },
		{ "\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80", 1 },
		{ "\"x\\uD83D\\uDE00y\"", "x\xf0\x9f\x98\x80y", 3 },
		{ "\"\\udbff\\udfff\"", "\xf4\x8f\xbf\xbf", 1 },
		{ "\"\\ud800\\udc00\"", "\xf0\x90\x80\x80", 1 },
		{ "\"\\u0001\\u001f\\u007f\\u0080\"",
		    "\x01\x1f\x7f\xc2\x80", 4 },
		{ "\"\\u07ff\\u0800\\uffff\"",
		    "\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf", 3 },
		{ "\"\xe2\x82\xac\xf0\x9f\x98\x80\"",
		    "\xe2\x82\xac\xf0\x9f\x98\x80", 2 },
		{ "\"caf\xc3\xa9\"", "caf\xc3\xa9", 4 },
	};
	struct tdoc	 d;
	struct buf	 b = BUF_INIT;
	size_t		 i, nb, nc;

	for (i = 0; i < NITEMS(t); i++) {
		ck_assert_msg(tparse(&d, t[i].json, strlen(t[i].json),
		    JSON_MAXTOK, JSON_MAXDEPTH) == 0, "str[%zu] %s: %s", i,
		    t[i].json, d.doc.err);
		/* json_str appends. */
		buf_reset(&b);
		buf_puts(&b, ">");
		ck_assert_int_eq(json_str(&d.doc, 0, &b), 0);
		ck_assert_msg(b.len == strlen(t[i].want) + 1 &&
		    memcmp(b.ptr + 1, t[i].want, b.len - 1) == 0 &&
		    b.ptr[b.len] == '\0', "str[%zu] %s: got %s", i, t[i].json,
		    show(b.ptr, b.len));
		nb = nc = 999;
		ck_assert_int_eq(json_strlen(&d.doc, 0, &nb, &nc), 0);
		ck_assert_msg(nb == strlen(t[i].want) && nc == t[i].chars,
		    "strlen[%zu] %s: %zu bytes %zu chars", i, t[i].json, nb,
		    nc);
		ck_assert_msg(json_key_is(&d.doc, 0, t[i].want),
		    "key_is[%zu] %s", i, t[i].json);
		tfree(&d);
	}

	/* An empty string still leaves a terminated buffer. */
	buf_free(&b);
	ck_assert_int_eq(tparse(&d, "\"\"", 2, JSON_MAXTOK, JSON_MAXDEPTH), 0);
	ck_assert_int_eq(json_str(&d.doc, 0, &b), 0);
	ck_assert_str_eq(buf_cstr(&b), "");
	tfree(&d);
	buf_free(&b);
}
END_TEST

START_TEST(test_key_is)
{
	static const char	 src[] =
	    "{\"a\\u0062\":1,\"\":2,\"\\u00e9\":3}";
	struct tdoc		 d;

	ck_assert_int_eq(tparse(&d, src, sizeof(src) - 1, JSON_MAXTOK,
	    JSON_MAXDEPTH), 0);
	ck_assert_int_eq(json_key_is(&d.doc, 1, "ab"), 1);
	ck_assert_int_eq(json_key_is(&d.doc, 1, "a"), 0);
	ck_assert_int_eq(json_key_is(&d.doc, 1, "abc"), 0);
	ck_assert_int_eq(json_key_is(&d.doc, 1, "ac"), 0);
	ck_assert_int_eq(json_key_is(&d.doc, 1, ""), 0);
	ck_assert_int_eq(json_key_is(&d.doc, 1, "a\\u0062"), 0);
	ck_assert_int_eq(json_key_is(&d.doc, 1, NULL), 0);
	ck_assert_int_eq(json_key_is(&d.doc, 3, ""), 1);
	ck_assert_int_eq(json_key_is(&d.doc, 3, "a"), 0);
	ck_assert_int_eq(json_key_is(&d.doc, 5, "\xc3\xa9"), 1);
	ck_assert_int_eq(json_key_is(&d.doc, 5, "\xc3"), 0);
	ck_assert_int_eq(json_get(&d.doc, 0, "\xc3\xa9"), 6);
	ck_assert_int_eq(json_get(&d.doc, 0, ""), 4);
	tfree(&d);
}
END_TEST

START_TEST(test_write_nested)
{
	struct buf	 b = BUF_INIT;
	struct jsonw	 w;

	jw_init(&w, &b);
	jw_obj_open(&w, NULL);
	jw_str(&w, "name", "x");
	jw_int(&w, "n", -5);
	jw_bool(&w, "ok", 1);
	jw_bool(&w, "no", 0);
	jw_null(&w, "z");
	jw_arr_open(&w, "list");
	jw_int(&w, NULL, 1);
	jw_obj_open(&w, NULL);
	jw_obj_close(&w);
	jw_arr_open(&w, NULL);
	jw_arr_close(&w);
	jw_str(&w, NULL, "");
	jw_str(&w, NULL, NULL);
	jw_arr_close(&w);
	jw_obj_open(&w, "o");
	jw_arr_open(&w, "a");
	jw_int(&w, NULL, INT64_MIN);
	jw_int(&w, NULL, INT64_MAX);
	jw_arr_close(&w);
	jw_arr_open(&w, "e");
	jw_arr_close(&w);
	jw_obj_close(&w);
	jw_raw(&w, "meta", "{\"k\":[1]}", 9);
	jw_strn(&w, "s", "abcdef", 3);
	jw_time(&w, "t0", 0);
	jw_time(&w, "t", 1795411198);
	jw_obj_close(&w);
	ck_assert_str_eq(b.ptr,
	    "{\"name\":\"x\",\"n\":-5,\"ok\":true,\"no\":false,\"z\":null,"
	    "\"list\":[1,{},[],\"\",null],"
	    "\"o\":{\"a\":[-9223372036854775808,9223372036854775807],\"e\":[]},"
	    "\"meta\":{\"k\":[1]},\"s\":\"abc\",\"t0\":null,"
	    "\"t\":\"2026-11-23T05:19:58Z\"}");
	ck_assert_int_eq(w.depth, 0);

	/* Top-level scalars and an empty array. */
	buf_reset(&b);
	jw_init(&w, &b);
	jw_int(&w, NULL, 0);
	ck_assert_str_eq(b.ptr, "0");
	buf_reset(&b);
	jw_init(&w, &b);
	jw_arr_open(&w, NULL);
	jw_arr_close(&w);
	ck_assert_str_eq(b.ptr, "[]");
	buf_free(&b);
}
END_TEST

START_TEST(test_write_escape)
{
	static const char	 in[] =
	    "\"\\\b\f\n\r\t\x01\x1f\x7f/\xc3\xa9\0x ";
	struct buf		 b = BUF_INIT, want = BUF_INIT;
	struct jsonw		 w;
	char			 c;
	int			 i;

	jw_init(&w, &b);
	jw_obj_open(&w, NULL);
	jw_strn(&w, "k\"\\\n\x7f", in, sizeof(in) - 1);
	jw_obj_close(&w);
	ck_assert_str_eq(b.ptr, "{\"k\\\"\\\\\\n\\u007f\":"
	    "\"\\\"\\\\\\b\\f\\n\\r\\t\\u0001\\u001f\\u007f/\xc3\xa9"
	    "\\u0000x \"}");

	/* Every control character, one at a time. */
	for (i = 0; i < 0x20; i++) {
		buf_reset(&b);
		jw_init(&w, &b);
		c = (char)i;
		jw_strn(&w, NULL, &c, 1);
		buf_reset(&want);
		switch (i) {
		case '\b':
			buf_puts(&want, "\"\\b\"");
			break;
		case '\f':
			buf_puts(&want, "\"\\f\"");
			break;
		case '\n':
			buf_puts(&want, "\"\\n\"");
			break;
		case '\r':
			buf_puts(&want, "\"\\r\"");
			break;
		case '\t':
			buf_puts(&want, "\"\\t\"");
			break;
		default:
			buf_printf(&want, "\"\\u%04x\"", i);
			break;
		}
		ck_assert_msg(strcmp(b.ptr, want.ptr) == 0,
		    "escape 0x%02x: got %s want %s", i, b.ptr, want.ptr);
	}

	/* Printable ASCII other than " and \ passes through. */
	for (i = 0x20; i < 0x7f; i++) {
		if (i == '"' || i == '\\')
			continue;
		buf_reset(&b);
		jw_init(&w, &b);
		c = (char)i;
		jw_strn(&w, NULL, &c, 1);
		ck_assert_uint_eq(b.len, 3);
		ck_assert_int_eq(b.ptr[1], i);
	}
	buf_free(&b);
	buf_free(&want);
}
END_TEST

START_TEST(test_write_round_trip)
{
	struct buf	 b = BUF_INIT, s = BUF_INIT, all = BUF_INIT;
	struct jsonw	 w;
	struct tdoc	 d;
	int64_t		 v;
	int		 i, t, x;

	for (i = 1; i < 0x80; i++)
		buf_putc(&all, (char)i);
	buf_puts(&all, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf");

	jw_init(&w, &b);
	jw_obj_open(&w, NULL);
	jw_strn(&w, all.ptr, all.ptr, all.len);
	jw_int(&w, "min", INT64_MIN);
	jw_int(&w, "max", INT64_MAX);
	jw_bool(&w, "t", 1);
	jw_null(&w, "n");
	jw_arr_open(&w, "a");
	jw_arr_open(&w, NULL);
	jw_str(&w, NULL, "\"");
	jw_arr_close(&w);
	jw_arr_close(&w);
	jw_obj_close(&w);

	ck_assert_msg(tparse_buf(&d, &b) == 0, "%s", d.doc.err);
	check_tree(&d.doc);
	t = json_get(&d.doc, 0, all.ptr);
	ck_assert_int_eq(t, 2);
	ck_assert_int_eq(json_str(&d.doc, t, &s), 0);
	ck_assert_uint_eq(s.len, all.len);
	ck_assert(memcmp(s.ptr, all.ptr, all.len) == 0);
	ck_assert_int_eq(json_int(&d.doc, json_get(&d.doc, 0, "min"),
	    INT64_MIN, INT64_MAX, &v), 0);
	ck_assert(v == INT64_MIN);
	ck_assert_int_eq(json_int(&d.doc, json_get(&d.doc, 0, "max"),
	    INT64_MIN, INT64_MAX, &v), 0);
	ck_assert(v == INT64_MAX);
	ck_assert_int_eq(json_bool(&d.doc, json_get(&d.doc, 0, "t"), &x), 0);
	ck_assert_int_eq(x, 1);
	ck_assert_int_eq(d.doc.tok[json_get(&d.doc, 0, "n")].type, JSON_NULL);
	t = json_at(&d.doc, json_at(&d.doc, json_get(&d.doc, 0, "a"), 0), 0);
	buf_reset(&s);
	ck_assert_int_eq(json_str(&d.doc, t, &s), 0);
	ck_assert_str_eq(s.ptr, "\"");
	tfree(&d);

	buf_free(&b);
	buf_free(&s);
	buf_free(&all);
}
END_TEST

START_TEST(test_write_depth)
{
	struct buf	 b = BUF_INIT;
	struct jsonw	 w;
	struct tdoc	 d;
	int		 i;

	jw_init(&w, &b);
	for (i = 0; i < JSONW_MAXDEPTH; i++)
		jw_arr_open(&w, NULL);
	jw_int(&w, NULL, 1);
	jw_int(&w, NULL, 2);
	for (i = 0; i < JSONW_MAXDEPTH; i++)
		jw_arr_close(&w);
	ck_assert_int_eq(w.depth, 0);
	ck_assert_int_eq(tparse(&d, b.ptr, b.len, JSON_MAXTOK,
	    JSONW_MAXDEPTH), 0);
	ck_assert_int_eq(d.doc.ntok, JSONW_MAXDEPTH + 2);
	tfree(&d);
	nest(&b, JSONW_MAXDEPTH, "1,2");
	ck_assert_int_eq(tparse(&d, b.ptr, b.len, JSON_MAXTOK,
	    JSONW_MAXDEPTH), 0);
	tfree(&d);
	buf_free(&b);
}
END_TEST

/* One level past JSONW_MAXDEPTH is a programming error. */
START_TEST(test_write_too_deep)
{
	struct buf	 b = BUF_INIT;
	struct jsonw	 w;
	int		 i;

	jw_init(&w, &b);
	for (i = 0; i < JSONW_MAXDEPTH; i++)
		jw_obj_open(&w, i == 0 ? NULL : "k");
	jw_arr_open(&w, "k");
}
END_TEST

START_TEST(test_write_close_unopened)
{
	struct buf	 b = BUF_INIT;
	struct jsonw	 w;

	jw_init(&w, &b);
	jw_arr_close(&w);
}
END_TEST

/* ---- merge patch ---- */

/*
 * json_merge_patch() of the target text (a heap copy of exactly tlen
 * bytes, no NUL) with the patch text, written as the top-level value
 * into out.  Returns its answer.
 */
static int
merge_into(struct buf *out, const char *target, size_t tlen,
    const char *patch)
{
	struct tdoc	 p;
	struct jsonw	 w;
	char		*copy;
	int		 rc;

	ck_assert_msg(tparse(&p, patch, strlen(patch), JSON_MAXTOK,
	    JSON_MAXDEPTH) == 0, "patch %s: %s", patch, p.doc.err);
	copy = malloc(tlen > 0 ? tlen : 1);
	ck_assert_ptr_nonnull(copy);
	if (tlen > 0)
		memcpy(copy, target, tlen);
	buf_reset(out);
	jw_init(&w, out);
	rc = json_merge_patch(&w, NULL, copy, tlen, &p.doc, 0);
	if (rc == 0)
		ck_assert_int_eq(w.depth, 0);
	free(copy);
	tfree(&p);
	return rc;
}

START_TEST(test_merge_patch)
{
	static const struct {
		const char	*target, *patch, *want;
	} t[] = {
		/* RFC 7396, appendix A */
		{ "{\"a\":\"b\"}", "{\"a\":\"c\"}", "{\"a\":\"c\"}" },
		{ "{\"a\":\"b\"}", "{\"b\":\"c\"}", "{\"a\":\"b\",\"b\":\"c\"}" },
		{ "{\"a\":\"b\"}", "{\"a\":null}", "{}" },
		{ "{\"a\":\"b\",\"b\":\"c\"}", "{\"a\":null}", "{\"b\":\"c\"}" },
		{ "{\"a\":[\"b\"]}", "{\"a\":\"c\"}", "{\"a\":\"c\"}" },
		{ "{\"a\":\"c\"}", "{\"a\":[\"b\"]}", "{\"a\":[\"b\"]}" },
		{ "{\"a\":{\"b\":\"c\"}}", "{\"a\":{\"b\":\"d\",\"c\":null}}",
		    "{\"a\":{\"b\":\"d\"}}" },
		{ "{\"a\":[{\"b\":\"c\"}]}", "{\"a\":[1]}", "{\"a\":[1]}" },
		{ "[\"a\",\"b\"]", "[\"c\",\"d\"]", "[\"c\",\"d\"]" },
		{ "{\"a\":\"b\"}", "[\"c\"]", "[\"c\"]" },
		{ "{\"a\":\"foo\"}", "null", "null" },
		{ "{\"a\":\"foo\"}", "\"bar\"", "\"bar\"" },
		{ "{\"e\":null}", "{\"a\":1}", "{\"e\":null,\"a\":1}" },
		{ "[1,2]", "{\"a\":\"b\",\"c\":null}", "{\"a\":\"b\"}" },
		{ "{}", "{\"a\":{\"bb\":{\"ccc\":null}}}", "{\"a\":{\"bb\":{}}}" },
		/* RFC 7396, section 3 */
		{ "{\"title\":\"Goodbye!\",\"author\":{\"givenName\":\"John\","
		    "\"familyName\":\"Doe\"},\"tags\":[\"example\",\"sample\"],"
		    "\"content\":\"This will be unchanged\"}",
		  "{\"title\":\"Hello!\",\"phoneNumber\":\"+01-123-456-7890\","
		    "\"author\":{\"familyName\":null},\"tags\":[\"example\"]}",
		  "{\"title\":\"Hello!\",\"author\":{\"givenName\":\"John\"},"
		    "\"tags\":[\"example\"],\"content\":\"This will be unchanged\","
		    "\"phoneNumber\":\"+01-123-456-7890\"}" },
		/* Member order: the target's, then the patch's new ones. */
		{ "{\"a\":1,\"b\":2,\"c\":3}", "{\"d\":4,\"b\":null,\"a\":5}",
		    "{\"a\":5,\"c\":3,\"d\":4}" },
		{ "{\"a\":1}", "{}", "{\"a\":1}" },
		{ "{}", "{}", "{}" },
		{ "{\"a\":1}", "{\"b\":null}", "{\"a\":1}" },
		{ "{\"a\":null}", "{\"a\":null}", "{}" },
		/* A nested patch on a non-object starts from {}. */
		{ "{\"a\":1}", "{\"a\":{\"b\":null,\"c\":1}}", "{\"a\":{\"c\":1}}" },
		{ "{\"a\":[1]}", "{\"a\":{\"b\":[]}}", "{\"a\":{\"b\":[]}}" },
		{ "{\"a\":{\"b\":{\"c\":{\"d\":1,\"e\":2}}}}",
		    "{\"a\":{\"b\":{\"c\":{\"d\":null,\"f\":3}}}}",
		    "{\"a\":{\"b\":{\"c\":{\"e\":2,\"f\":3}}}}" },
		{ "{\"a\":{\"b\":1}}", "{\"a\":null}", "{}" },
		{ "{\"a\":{\"b\":1}}", "{\"a\":{}}", "{\"a\":{\"b\":1}}" },
		{ "\"text\"", "{\"a\":1}", "{\"a\":1}" },
		{ "null", "{\"a\":1}", "{\"a\":1}" },
		{ "7", "{}", "{}" },
		/* Every kind of value, kept and replaced verbatim. */
		{ "{\"n\":-1.5e3,\"t\":true,\"f\":false,\"s\":\"x\"}",
		    "{\"t\":false,\"x\":0.25,\"z\":null}",
		    "{\"n\":-1.5e3,\"t\":false,\"f\":false,\"s\":\"x\",\"x\":0.25}" },
		/* Names compare after unescaping; the writer escapes anew. */
		{ "{\"a\\u0062\":1}", "{\"ab\":2}", "{\"ab\":2}" },
		{ "{\"ab\":1}", "{\"\\u0061b\":null}", "{}" },
		{ "{\"\\u00e9\":1}", "{\"\xc3\xa9\":2}", "{\"\xc3\xa9\":2}" },
		{ "{\"a\\\"b\":1}", "{\"c\\n\":2}",
		    "{\"a\\\"b\":1,\"c\\n\":2}" },
		/* Strings are copied with their escapes. */
		{ "{\"s\":\"a\\u0001b\"}", "{}", "{\"s\":\"a\\u0001b\"}" },
		{ "{\"s\":\"\\\"\\/\\n\"}", "{\"t\":\"\\t\"}",
		    "{\"s\":\"\\\"\\/\\n\",\"t\":\"\\t\"}" },
	};
	struct buf	 out = BUF_INIT;
	size_t		 i;

	for (i = 0; i < NITEMS(t); i++) {
		ck_assert_msg(merge_into(&out, t[i].target, strlen(t[i].target),
		    t[i].patch) == 0, "row %zu: target refused", i);
		ck_assert_msg(strcmp(buf_cstr(&out), t[i].want) == 0,
		    "row %zu: %s + %s = %s, want %s", i, t[i].target,
		    t[i].patch, buf_cstr(&out), t[i].want);
	}
	buf_free(&out);
}
END_TEST

START_TEST(test_merge_patch_empty_target)
{
	static const struct {
		const char	*patch, *want;
	} t[] = {
		{ "{}", "{}" },
		{ "{\"a\":null}", "{}" },
		{ "{\"a\":1,\"b\":null}", "{\"a\":1}" },
		{ "{\"a\":{\"bb\":{\"ccc\":null}}}", "{\"a\":{\"bb\":{}}}" },
		{ "[1]", "[1]" },
	};
	struct buf	 out = BUF_INIT;
	struct jsonw	 w;
	struct tdoc	 p;
	size_t		 i;

	/* An empty target is {}: with a pointer, and with none at all. */
	for (i = 0; i < NITEMS(t); i++) {
		ck_assert_int_eq(merge_into(&out, "", 0, t[i].patch), 0);
		ck_assert_msg(strcmp(buf_cstr(&out), t[i].want) == 0,
		    "row %zu: \"\" + %s = %s, want %s", i, t[i].patch,
		    buf_cstr(&out), t[i].want);

		ck_assert_int_eq(tparse(&p, t[i].patch, strlen(t[i].patch),
		    JSON_MAXTOK, JSON_MAXDEPTH), 0);
		buf_reset(&out);
		jw_init(&w, &out);
		ck_assert_int_eq(json_merge_patch(&w, NULL, NULL, 0, &p.doc, 0),
		    0);
		ck_assert_str_eq(buf_cstr(&out), t[i].want);
		tfree(&p);
	}
	buf_free(&out);
}
END_TEST

START_TEST(test_merge_patch_bad_target)
{
	static const char *const bad[] = {
		"{",
		"}",
		"{\"a\":1,}",
		"{\"a\":1}x",
		"{\"a\":1,\"a\":2}",		/* duplicate name */
		"{'a':1}",
		"not json",
		" ",
		"{\"a\":\"\xff\"}",		/* not UTF-8 */
	};
	struct buf	 out = BUF_INIT;
	size_t		 i;

	for (i = 0; i < NITEMS(bad); i++) {
		ck_assert_msg(merge_into(&out, bad[i], strlen(bad[i]),
		    "{\"a\":2}") == -1, "row %zu: %s accepted", i,
		    show(bad[i], strlen(bad[i])));
		/* Nothing is written. */
		ck_assert_msg(out.len == 0, "row %zu: wrote %s", i,
		    buf_cstr(&out));
	}
	buf_free(&out);
}
END_TEST

START_TEST(test_merge_patch_member)
{
	struct buf	 out = BUF_INIT;
	struct jsonw	 w;
	struct tdoc	 p;
	int		 m;

	/* A patch that is one member of a request, merged under a key. */
	ck_assert_int_eq(tparse(&p, S_PATCH_BODY, sizeof(S_PATCH_BODY) - 1,
	    JSON_MAXTOK, JSON_MAXDEPTH), 0);
	m = json_get(&p.doc, 0, "metadata");
	ck_assert_int_ge(m, 0);
	jw_init(&w, &out);
	jw_obj_open(&w, NULL);
	jw_str(&w, "name", "x");
	ck_assert_int_eq(json_merge_patch(&w, "metadata", S_META,
	    sizeof(S_META) - 1, &p.doc, m), 0);
	jw_int(&w, "n", 1);
	jw_obj_close(&w);
	ck_assert_str_eq(buf_cstr(&out), "{\"name\":\"x\",\"metadata\":"
	    "{\"env\":\"dev\",\"owner\":{\"id\":7}},\"n\":1}");
	ck_assert_int_eq(w.depth, 0);
	tfree(&p);

	/* Only tlen bytes of the target are read. */
	ck_assert_int_eq(merge_into(&out, "{\"a\":1}{\"b\":2}", 7, "{}"), 0);
	ck_assert_str_eq(buf_cstr(&out), "{\"a\":1}");
	ck_assert_int_eq(merge_into(&out, "{\"a\":1}{\"b\":2}", 8, "{}"), -1);
	buf_free(&out);
}
END_TEST

START_TEST(test_merge_patch_depth)
{
	struct buf	 out = BUF_INIT, arr = BUF_INIT, target = BUF_INIT;
	struct buf	 want = BUF_INIT, patch = BUF_INIT;
	int		 i;

	/* A target as deep as twice the request bound is merged... */
	nest(&arr, 2 * JSON_MAXDEPTH - 1, "1");
	buf_printf(&target, "{\"a\":%s}", arr.ptr);
	buf_printf(&want, "{\"a\":%s,\"b\":1}", arr.ptr);
	ck_assert_int_eq(merge_into(&out, target.ptr, target.len,
	    "{\"b\":1}"), 0);
	ck_assert_str_eq(out.ptr, want.ptr);

	/* ...one level more is refused. */
	nest(&arr, 2 * JSON_MAXDEPTH, "1");
	buf_reset(&target);
	buf_printf(&target, "{\"a\":%s}", arr.ptr);
	ck_assert_int_eq(merge_into(&out, target.ptr, target.len,
	    "{\"b\":1}"), -1);

	/* A patch as deep as a request allows, into nothing. */
	for (i = 0; i < JSON_MAXDEPTH; i++)
		buf_puts(&patch, "{\"k\":");
	buf_puts(&patch, "null");
	for (i = 0; i < JSON_MAXDEPTH; i++)
		buf_putc(&patch, '}');
	buf_reset(&want);
	for (i = 0; i < JSON_MAXDEPTH - 1; i++)
		buf_puts(&want, "{\"k\":");
	buf_puts(&want, "{}");
	for (i = 0; i < JSON_MAXDEPTH - 1; i++)
		buf_putc(&want, '}');
	ck_assert_int_eq(merge_into(&out, "", 0, patch.ptr), 0);
	ck_assert_str_eq(out.ptr, want.ptr);

	buf_free(&out);
	buf_free(&arr);
	buf_free(&target);
	buf_free(&want);
	buf_free(&patch);
}
END_TEST

START_TEST(test_time_format)
{
	static const struct {
		int64_t		 t;
		const char	*s;
	} t[] = {
		{ 0, "1970-01-01T00:00:00Z" },
		{ 86399, "1970-01-01T23:59:59Z" },
		{ 86400, "1970-01-02T00:00:00Z" },
		{ 951782400, "2000-02-29T00:00:00Z" },
		{ 951868800, "2000-03-01T00:00:00Z" },
		{ 1795411198, "2026-11-23T05:19:58Z" },
		{ 4107542399, "2100-02-28T23:59:59Z" },
		{ 4107542400, "2100-03-01T00:00:00Z" },
		{ TIME_MAX, "9999-12-31T23:59:59Z" },
		/* Clamped to the range time_parse() takes. */
		{ -1, "1970-01-01T00:00:00Z" },
		{ INT64_MIN, "1970-01-01T00:00:00Z" },
		{ TIME_MAX + 1, "9999-12-31T23:59:59Z" },
		{ INT64_MAX, "9999-12-31T23:59:59Z" },
	};
	char	 s[TIME_STRLEN + 2];
	size_t	 i;

	for (i = 0; i < NITEMS(t); i++) {
		memset(s, 'X', sizeof(s));
		time_format(t[i].t, s);
		ck_assert_msg(strcmp(s, t[i].s) == 0, "format(%jd): %s",
		    (intmax_t)t[i].t, s);
		ck_assert_int_eq(s[TIME_STRLEN + 1], 'X');
	}
}
END_TEST

/* Cross-check against the C library over the whole range, and round trip. */
START_TEST(test_time_gmtime)
{
	char		 s[TIME_STRLEN + 1], want[64];
	struct tm	 tm;
	time_t		 tt;
	int64_t		 t, back;

	for (t = 0; t <= TIME_MAX; t += 7777777 + t % 86400) {
		tt = (time_t)t;
		ck_assert_ptr_nonnull(gmtime_r(&tt, &tm));
		ck_assert_uint_gt(strftime(want, sizeof(want),
		    "%Y-%m-%dT%H:%M:%SZ", &tm), 0);
		time_format(t, s);
		ck_assert_msg(strcmp(s, want) == 0, "%jd: %s != %s",
		    (intmax_t)t, s, want);
		ck_assert_int_eq(time_parse(s, TIME_STRLEN, &back), 0);
		ck_assert_msg(back == t, "%jd: parsed back %jd", (intmax_t)t,
		    (intmax_t)back);
	}
}
END_TEST

START_TEST(test_time_parse)
{
	static const struct {
		const char	*s;
		int		 rc;
		int64_t		 t;
	} t[] = {
		{ "1970-01-01T00:00:00Z", 0, 0 },
		{ "2026-11-23T05:19:58Z", 0, 1795411198 },
		{ "2026-11-23t05:19:58z", 0, 1795411198 },
		{ "2026-11-23T05:19:58.999999Z", 0, 1795411198 },
		{ "2026-11-23T05:19:58.0Z", 0, 1795411198 },
		{ "2026-11-23T06:19:58+01:00", 0, 1795411198 },
		{ "2026-11-23T00:49:58.5-04:30", 0, 1795411198 },
		{ "2026-11-23T05:19:58+00:00", 0, 1795411198 },
		{ "2026-11-23T05:19:58-00:00", 0, 1795411198 },
		{ "2026-11-24T05:18:58+23:59", 0, 1795411198 },
		{ "2026-11-22T05:20:58-23:59", 0, 1795411198 },
		{ "2000-02-29T00:00:00Z", 0, 951782400 },
		{ "2024-02-29T12:00:00Z", 0, 1709208000 },
		{ "2100-02-28T23:59:59Z", 0, 4107542399 },
		{ "9999-12-31T23:59:59Z", 0, TIME_MAX },
		{ "1970-01-01T01:00:00+01:00", 0, 0 },

		{ "2026-02-30T00:00:00Z", -1, 0 },
		{ "2023-02-29T00:00:00Z", -1, 0 },
		{ "2100-02-29T00:00:00Z", -1, 0 },
		{ "2026-04-31T00:00:00Z", -1, 0 },
		{ "2026-13-01T00:00:00Z", -1, 0 },
		{ "2026-00-01T00:00:00Z", -1, 0 },
		{ "2026-01-00T00:00:00Z", -1, 0 },
		{ "2026-01-32T00:00:00Z", -1, 0 },
		{ "2026-01-01T24:00:00Z", -1, 0 },
		{ "2026-01-01T00:60:00Z", -1, 0 },
		{ "2026-01-01T00:00:60Z", -1, 0 },
		{ "2026-11-23T05:19:58", -1, 0 },
		{ "2026-11-23T05:19:58.5", -1, 0 },
		{ "2026-11-23T05:19:58.Z", -1, 0 },
		{ "2026-11-23T05:19:58ZZ", -1, 0 },
		{ "2026-11-23T05:19:58Z ", -1, 0 },
		{ " 2026-11-23T05:19:58Z", -1, 0 },
		{ "2026-11-23 05:19:58Z", -1, 0 },
		{ "2026-11-23T05:19Z", -1, 0 },
		{ "2026-11-23T05:19:58+24:00", -1, 0 },
		{ "2026-11-23T05:19:58+01:60", -1, 0 },
		{ "2026-11-23T05:19:58+0100", -1, 0 },
		{ "2026-11-23T05:19:58+01", -1, 0 },
		{ "2026-11-23T05:19:58+01:00:00", -1, 0 },
		{ "2026-11-23T05:19:58UTC", -1, 0 },
		{ "2026/11/23T05:19:58Z", -1, 0 },
		{ "+026-11-23T05:19:58Z", -1, 0 },
		{ "2026-1-23T05:19:58Z", -1, 0 },
		{ "2026-11-2aT05:19:58Z", -1, 0 },
		{ "1969-12-31T23:59:59Z", -1, 0 },
		{ "1970-01-01T00:00:00+00:01", -1, 0 },
		{ "9999-12-31T23:59:59-00:01", -1, 0 },
		{ "", -1, 0 },
	};
	char	*p;
	size_t	 i, n;
	int64_t	 v;

	for (i = 0; i < NITEMS(t); i++) {
		/* Exactly n bytes, no NUL: ASan sees overreads. */
		n = strlen(t[i].s);
		p = malloc(n > 0 ? n : 1);
		ck_assert_ptr_nonnull(p);
		memcpy(p, t[i].s, n);
		v = -12345;
		ck_assert_msg(time_parse(p, n, &v) == t[i].rc,
		    "parse(\"%s\") want %d", t[i].s, t[i].rc);
		if (t[i].rc == 0)
			ck_assert_msg(v == t[i].t, "parse(\"%s\") = %jd",
			    t[i].s, (intmax_t)v);
		else
			ck_assert_msg(v == -12345, "parse(\"%s\") wrote",
			    t[i].s);
		/* Every shorter prefix of a valid time is malformed. */
		if (t[i].rc == 0)
			while (n-- > 0)
				ck_assert_msg(time_parse(p, n, &v) == -1,
				    "parse(\"%.*s\") accepted", (int)n, p);
		free(p);
	}
}
END_TEST

static Suite *
json_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("json");

	tc = tcase_create("parse");
	tcase_set_timeout(tc, 60);	/* valgrind */
	tcase_add_test(tc, test_parse_valid);
	tcase_add_test(tc, test_parse_invalid);
	tcase_add_test(tc, test_parse_limits);
	tcase_add_test(tc, test_parse_many_keys);
	tcase_add_test(tc, test_parse_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("access");
	tcase_add_test(tc, test_access);
	tcase_add_test(tc, test_bad_index);
	tcase_add_test(tc, test_int);
	tcase_add_test(tc, test_str);
	tcase_add_test(tc, test_key_is);
	suite_add_tcase(s, tc);

	tc = tcase_create("write");
	tcase_add_test(tc, test_write_nested);
	tcase_add_test(tc, test_write_escape);
	tcase_add_test(tc, test_write_round_trip);
	tcase_add_test(tc, test_write_depth);
	tcase_add_test_raise_signal(tc, test_write_too_deep, SIGABRT);
	tcase_add_test_raise_signal(tc, test_write_close_unopened, SIGABRT);
	suite_add_tcase(s, tc);

	tc = tcase_create("merge");
	tcase_add_test(tc, test_merge_patch);
	tcase_add_test(tc, test_merge_patch_empty_target);
	tcase_add_test(tc, test_merge_patch_bad_target);
	tcase_add_test(tc, test_merge_patch_member);
	tcase_add_test(tc, test_merge_patch_depth);
	suite_add_tcase(s, tc);

	tc = tcase_create("time");
	tcase_set_timeout(tc, 60);	/* valgrind */
	tcase_add_test(tc, test_time_format);
	tcase_add_test(tc, test_time_gmtime);
	tcase_add_test(tc, test_time_parse);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(json_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
