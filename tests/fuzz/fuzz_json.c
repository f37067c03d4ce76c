/*
 * fuzz_json: the JSON reader (json_parse over jsmn, lib/json.c) and what
 * reads a parsed document: json_each/get/at, json_str, json_strlen,
 * json_int, json_bool, json_raw, json_key_is, the RFC 7396 merge patch,
 * RFC 3339 times.  Whatever parses is written again with the writer
 * (jw_*), and that must parse and write the same once more.
 */
#include "fuzz.h"

#define MAXTOK_BIG	(1 << 16)

static void	 copy(const struct json_doc *, int, struct jsonw *,
		    const char *);
static void	 check_time(const char *, size_t);
static void	 check_merge(const struct json_doc *, const char *, size_t);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

/* A time that parses formats to a text that parses to the same time. */
static void
check_time(const char *s, size_t len)
{
	char	 out[TIME_STRLEN + 1];
	int64_t	 t, u;

	if (time_parse(s, len, &t) == -1)
		return;
	time_format(t, out);
	FUZZ_ASSERT(time_parse(out, TIME_STRLEN, &u) == 0 && u == t);
}

/* Writes token t of d (under key), checking the accessors on the way. */
static void
copy(const struct json_doc *d, int t, struct jsonw *w, const char *key)
{
	struct buf	 s = BUF_INIT;
	const char	*raw;
	size_t		 len, bytes, chars;
	int64_t		 n;
	int		 i, k, v, e, b;

	switch (d->tok[t].type) {
	case JSON_OBJECT:
		jw_obj_open(w, key);
		i = -1;
		while (json_each(d, t, &i, &k, &v)) {
			buf_reset(&s);
			FUZZ_ASSERT(json_str(d, k, &s) == 0);
			/* No NUL, no duplicate: the key names its value. */
			FUZZ_ASSERT(memchr(buf_cstr(&s), '\0', s.len) == NULL);
			FUZZ_ASSERT(json_key_is(d, k, buf_cstr(&s)));
			FUZZ_ASSERT(json_get(d, t, buf_cstr(&s)) == v);
			copy(d, v, w, buf_cstr(&s));
		}
		jw_obj_close(w);
		break;
	case JSON_ARRAY:
		jw_arr_open(w, key);
		for (i = 0, e = t + 1; i < d->tok[t].size; i++) {
			if (i < 4)
				FUZZ_ASSERT(json_at(d, t, i) == e);
			copy(d, e, w, NULL);
			e = d->tok[e].next;
		}
		FUZZ_ASSERT(json_at(d, t, d->tok[t].size) == -1);
		jw_arr_close(w);
		break;
	case JSON_STRING:
		FUZZ_ASSERT(json_str(d, t, &s) == 0);
		FUZZ_ASSERT(json_strlen(d, t, &bytes, &chars) == 0);
		FUZZ_ASSERT(bytes == s.len && chars <= bytes);
		FUZZ_ASSERT(memchr(buf_cstr(&s), '\0', s.len) == NULL);
		check_time(buf_cstr(&s), s.len);
		jw_strn(w, key, buf_cstr(&s), s.len);
		break;
	case JSON_NUMBER:
		raw = json_raw(d, t, &len);
		FUZZ_ASSERT(raw != NULL && len > 0);
		if (json_int(d, t, INT64_MIN, INT64_MAX, &n) == 0) {
			FUZZ_ASSERT(json_int_text(raw, len, n, n, NULL) == 0);
			jw_int(w, key, n);
		} else
			jw_raw(w, key, raw, len);
		break;
	case JSON_BOOL:
		FUZZ_ASSERT(json_bool(d, t, &b) == 0);
		jw_bool(w, key, b);
		break;
	case JSON_NULL:
		jw_null(w, key);
		break;
	default:
		FUZZ_ASSERT(0);
	}
	buf_free(&s);
}

/* A merge patch of any target by an object gives JSON. */
static void
check_merge(const struct json_doc *d, const char *target, size_t tlen)
{
	struct json_doc	 out;
	struct buf	 b = BUF_INIT;
	struct jsonw	 w;

	jw_init(&w, &b);
	if (json_merge_patch(&w, NULL, target, tlen, d, 0) == 0) {
		FUZZ_ASSERT(w.depth == 0);
		FUZZ_ASSERT(json_parse(&out, b.ptr, b.len, MAXTOK_BIG,
		    2 * JSON_MAXDEPTH) == 0);
		FUZZ_ASSERT(out.tok[0].type == JSON_OBJECT);
		json_free(&out);
	}
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char target[] =
	    "{\"team\":\"infra\",\"keep\":{\"x\":1,\"y\":[2]},\"n\":null}";
	const char	*src = (const char *)data;
	struct json_doc	 d, d2, small;
	struct buf	 a = BUF_INIT, b = BUF_INIT;
	struct jsonw	 w;
	int		 ok;

	/* Integers as text (query parameters, Content-Length) and times. */
	(void)json_int_text(src, size, INT64_MIN, INT64_MAX, NULL);
	check_time(src, size);

	ok = json_parse(&d, src, size, JSON_MAXTOK, JSON_MAXDEPTH) == 0;
	/* Whatever parses within tight limits parses within the usual ones. */
	if (json_parse(&small, src, size, 16, 2) == 0) {
		FUZZ_ASSERT(ok && small.ntok == d.ntok);
		json_free(&small);
	}
	if (!ok) {
		FUZZ_ASSERT(d.tok == NULL && d.err[0] != '\0');
		return 0;
	}
	FUZZ_ASSERT(d.ntok >= 1 && d.tok[0].next == d.ntok);

	/* Written again it parses, to as many tokens, and writes the same. */
	jw_init(&w, &a);
	copy(&d, 0, &w, NULL);
	FUZZ_ASSERT(w.depth == 0);
	FUZZ_ASSERT(json_parse(&d2, a.ptr, a.len, MAXTOK_BIG,
	    JSON_MAXDEPTH) == 0);
	FUZZ_ASSERT(d2.ntok == d.ntok);
	jw_init(&w, &b);
	copy(&d2, 0, &w, NULL);
	FUZZ_ASSERT(a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0);
	json_free(&d2);

	/* Stored metadata merged with a PATCH's (lib/tokens.c). */
	if (d.tok[0].type == JSON_OBJECT) {
		check_merge(&d, "", 0);
		check_merge(&d, target, sizeof(target) - 1);
		check_merge(&d, src, size);
	}
	json_free(&d);
	buf_free(&a);
	buf_free(&b);
	return 0;
}
