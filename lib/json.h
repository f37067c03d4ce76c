/* json: a strict reader over jsmn (grammar, UTF-8, limits, typed access) and the one writer. */
#ifndef KH_JSON_H
#define KH_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define JSON_MAXTOK	1024	/* default token budget for one request body */
#define JSON_MAXDEPTH	8	/* default nesting bound */

enum json_type {
	JSON_NULL = 0,
	JSON_BOOL,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT,
	JSON__MAX
};

struct json_tok {
	enum json_type	 type;
	int		 start;		/* byte offsets into the source */
	int		 end;		/* strings: inside the quotes */
	int		 size;		/* members (object) or elements (array) */
	int		 next;		/* index of the next sibling subtree */
};

/*
 * A parsed document.  json_parse() accepts exactly one JSON value spanning
 * the whole input (surrounding whitespace allowed), and only if: the grammar
 * is right between every token (jsmn alone takes {"a":1 "b":2}, [1,], {,}),
 * literals are exactly true/false/null, numbers follow RFC 8259, strings
 * hold no raw control characters, valid escapes only, \u surrogates paired,
 * valid UTF-8 (no overlongs, no surrogates encoded in UTF-8), no U+0000
 * (raw or escaped), no duplicate keys in any object (compared after
 * unescaping), depth <= maxdepth and tokens <= maxtok.
 * Token 0 is the top-level value.
 */
struct json_doc {
	const char	*src;		/* not owned; must outlive the doc */
	size_t		 len;
	struct json_tok	*tok;		/* owned */
	int		 ntok;
	char		 err[96];	/* why parsing failed, for a problem detail */
};

/* 0 on success; -1 on bad input with doc->err set (nothing to free then). */
int	 json_parse(struct json_doc *, const char *src, size_t len,
	    int maxtok, int maxdepth);
void	 json_free(struct json_doc *);

/* Value token of member key in object token obj, or -1 (also if obj is no object). */
int	 json_get(const struct json_doc *, int obj, const char *key);
/* Iterate an object: i starts at -1; returns 1 with key and value indexes set, 0 at end. */
int	 json_each(const struct json_doc *, int obj, int *i, int *k, int *v);
/* Element n of array arr, or -1. */
int	 json_at(const struct json_doc *, int arr, int n);

/* Does key token k equal the C string s (after unescaping)? */
int	 json_key_is(const struct json_doc *, int k, const char *s);
/* Unescaped string value, appended to out (valid UTF-8, no NUL).  0 ok, -1 not a string. */
int	 json_str(const struct json_doc *, int t, struct buf *out);
/* Length of the unescaped string in bytes and in Unicode code points. */
int	 json_strlen(const struct json_doc *, int t, size_t *bytes, size_t *chars);
/* Exact integer (no fraction, no exponent), within [min, max].  0 ok, -1 not. */
int	 json_int(const struct json_doc *, int t, int64_t min, int64_t max, int64_t *);
int	 json_bool(const struct json_doc *, int t, int *);
/* The same for text outside JSON (a query parameter): "-"? digits, nothing else. */
int	 json_int_text(const char *, size_t, int64_t min, int64_t max, int64_t *);
/* An integer setting from the environment; dflt when unset, empty or out of [min, max]. */
int64_t	 json_int_env(const char *name, int64_t min, int64_t max, int64_t dflt);
/* The source text of token t (strings with their quotes), for storing verbatim. */
const char *json_raw(const struct json_doc *, int t, size_t *len);

/*
 * Writer.  Appends compact JSON to a buf.  Keys are given with each value
 * inside objects and are NULL inside arrays; commas are placed by the
 * writer.  All strings go through one escaper: ", \, and every control
 * character are escaped; other bytes are passed through (callers hand it
 * only validated UTF-8).
 */
#define JSONW_MAXDEPTH	16

struct jsonw {
	struct buf	*out;
	int		 depth;
	int		 count[JSONW_MAXDEPTH];	/* values written at each level */
};

void	 jw_init(struct jsonw *, struct buf *);
void	 jw_obj_open(struct jsonw *, const char *key);
void	 jw_obj_close(struct jsonw *);
void	 jw_arr_open(struct jsonw *, const char *key);
void	 jw_arr_close(struct jsonw *);
void	 jw_str(struct jsonw *, const char *key, const char *);
void	 jw_strn(struct jsonw *, const char *key, const char *, size_t);
void	 jw_int(struct jsonw *, const char *key, int64_t);
void	 jw_bool(struct jsonw *, const char *key, int);
void	 jw_null(struct jsonw *, const char *key);
/* Already-valid JSON text (e.g. stored metadata), written as the value. */
void	 jw_raw(struct jsonw *, const char *key, const char *, size_t);
/* RFC 3339 UTC time to the second, or null when t is 0. */
void	 jw_time(struct jsonw *, const char *key, int64_t t);

/*
 * RFC 7396 JSON merge patch: the object text target (empty: {}) merged
 * with the value p of doc, written as one value to w.  0 ok, -1 when
 * target does not parse.
 */
int	 json_merge_patch(struct jsonw *w, const char *key, const char *target,
	    size_t tlen, const struct json_doc *, int p);

/* RFC 3339 times (UTC, to the second). */
#define TIME_STRLEN	20	/* "2026-11-23T05:19:58Z" */
void	 time_format(int64_t, char out[TIME_STRLEN + 1]);
/*
 * Parse RFC 3339 date-time: "YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|-hh:mm)",
 * 't'/'z' accepted, fraction truncated, offset applied; years 1970..9999.
 * 0 ok, -1 malformed or out of range.
 */
int	 time_parse(const char *, size_t, int64_t *);

#endif
