/* record: the token record's codec, one table of its fields that encoding, decoding and freeing all walk. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "record.h"
#include "store.h"

#define REC_VERSION	1	/* the hash after the version byte */

/* What a field holds, so how it is written and read back. */
enum fkind {
	F_NONE = 0,	/* no field (tag 0, a tag not ours): skipped */
	F_UUID,		/* UUID_LEN bytes */
	F_HASH,		/* the previous secret's hash; read, sets has_prev */
	F_INT,		/* int64_t, as the varint of its uint64_t */
	F_ENUM,		/* an enum (an unsigned int), a varint below aux */
	F_CHARS,	/* a NUL-terminated char[aux]: at most aux - 1 bytes */
	F_BUF,		/* a struct buf */
	F_IDS,		/* a struct buf of whole ids (UUID_LEN each) */
};

/*
 * When a field is written.  An absent field reads back as its default:
 * -1 (no limit) for a W_COUNT, else zero or empty.
 */
enum fwhen {
	W_ALWAYS,
	W_SET,		/* non-zero number or id, non-empty string */
	W_COUNT,	/* >= 0 */
	W_PREV,		/* with a previous secret (has_prev) */
	W_BOUND,	/* set, and only with bindings: else direct is scopes */
	W_NOT_ORG,	/* set and not "organization", what absence means */
};

struct field {
	enum fkind	 kind;
	enum fwhen	 when;
	size_t		 off;	/* offsetof(struct tok_rec, field) */
	size_t		 aux;	/* F_ENUM: its __MAX; F_CHARS: sizeof */
};

#define AT(m)	offsetof(struct tok_rec, m)
#define SIZE(m)	sizeof(((struct tok_rec *)0)->m)

/*
 * The fields by tag: encoding walks them in tag order, which is the order
 * on disk; decoding looks each tag up.  After the version byte and the
 * hash at its fixed offset, every field is optional.
 */
static const struct field fields[T__MAX] = {
	[T_CREATED_BY] =	{ F_UUID,  W_SET,   AT(created_by), 0 },
	[T_CREATED_AT] =	{ F_INT,   W_ALWAYS, AT(created_at), 0 },
	[T_STARTS_AT] =		{ F_INT,   W_SET,   AT(starts_at), 0 },
	[T_EXPIRES_AT] =	{ F_INT,   W_SET,   AT(expires_at), 0 },
	[T_LAST_USED_AT] =	{ F_INT,   W_SET,   AT(last_used_at), 0 },
	[T_REVOKED_AT] =	{ F_INT,   W_SET,   AT(revoked_at), 0 },
	[T_USES_LEFT] =		{ F_INT,   W_COUNT, AT(uses_left), 0 },
	[T_KIND] =		{ F_ENUM,  W_SET,   AT(kind), KIND__MAX },
	[T_FORMAT] =		{ F_ENUM,  W_SET,   AT(format), FORMAT__MAX },
	[T_HINT] =		{ F_CHARS, W_ALWAYS, AT(hint), SIZE(hint) },
	[T_NAME] =		{ F_BUF,   W_SET,   AT(name), 0 },
	[T_DESCRIPTION] =	{ F_BUF,   W_SET,   AT(description), 0 },
	[T_ORGANIZATION] =	{ F_BUF,   W_SET,   AT(organization), 0 },
	[T_SUBJECT] =		{ F_BUF,   W_SET,   AT(subject), 0 },
	[T_SCOPES] =		{ F_BUF,   W_SET,   AT(scopes), 0 },
	[T_METADATA] =		{ F_BUF,   W_SET,   AT(metadata), 0 },
	/* The common cases cost nothing: the organization, no bindings. */
	[T_ENTITY] =		{ F_BUF,   W_NOT_ORG, AT(entity), 0 },
	[T_BINDINGS] =		{ F_BUF,   W_SET,   AT(bindings), 0 },
	[T_DIRECT] =		{ F_BUF,   W_BOUND, AT(direct), 0 },
	[T_PREV_HASH] =		{ F_HASH,  W_PREV,  AT(prev_hash), 0 },
	[T_GRACE_UNTIL] =	{ F_INT,   W_PREV,  AT(grace_until), 0 },
	[T_PREV_HINT] =		{ F_CHARS, W_SET,   AT(prev_hint),
				    SIZE(prev_hint) },
	[T_ROTATED_AT] =	{ F_INT,   W_SET,   AT(rotated_at), 0 },
	[T_ROTATIONS] =		{ F_INT,   W_SET,   AT(rotations), 0 },
	[T_USE_COUNT] =		{ F_INT,   W_SET,   AT(use_count), 0 },
	[T_LAST_ADDRESS] =	{ F_BUF,   W_SET,   AT(last_address), 0 },
	[T_LAST_AGENT] =	{ F_BUF,   W_SET,   AT(last_agent), 0 },
	[T_GRANT_EXPIRES] =	{ F_INT,   W_SET,   AT(grant_expires_at), 0 },
	[T_UPDATED_AT] =	{ F_INT,   W_SET,   AT(updated_at), 0 },
	[T_GRANT_USES] =	{ F_INT,   W_COUNT, AT(grant_uses), 0 },
	[T_FENCE] =		{ F_IDS,   W_SET,   AT(fence), 0 },
	[T_PREFIX] =		{ F_CHARS, W_SET,   AT(prefix), SIZE(prefix) },
	[T_TREE_REVOKED] =	{ F_INT,   W_SET,   AT(tree_revoked_at), 0 },
};

/* F_ENUM reads and writes an enum as the unsigned int gcc and clang make it. */
typedef char	 enum_is_uint[sizeof(enum tok_kind) == sizeof(unsigned) &&
		    sizeof(enum tok_format) == sizeof(unsigned) ? 1 : -1];

static void		 put_varint(struct buf *, uint64_t);
static size_t		 rec_header(const void *, size_t);
static void		 encode(const struct tok_rec *, struct buf *, int);
static const void	*field_at(const struct tok_rec *, const struct field *);
static void		*field_mut(struct tok_rec *, const struct field *);
static int		 field_set(const struct tok_rec *,
			    const struct field *);
static int		 field_wanted(const struct tok_rec *,
			    const struct field *);
static void		 field_put(struct buf *, int, const struct tok_rec *,
			    const struct field *);
static void		 field_reset(struct tok_rec *, const struct field *);
static int		 field_get(struct tok_rec *, const struct field *,
			    const unsigned char *, size_t);

/* ---- tag-length-value ---- */

static void
put_varint(struct buf *b, uint64_t v)
{
	unsigned char	 c;

	do {
		c = v & 0x7f;
		v >>= 7;
		if (v)
			c |= 0x80;
		buf_putc(b, (char)c);
	} while (v);
}

int
rec_get_varint(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
	uint64_t	 r = 0;
	int		 shift;

	for (shift = 0; shift < 64 && *p < end; shift += 7) {
		r |= (uint64_t)(**p & 0x7f) << shift;
		if (!(*(*p)++ & 0x80)) {
			*v = r;
			return 0;
		}
	}
	return -1;
}

int
rec_get_field(const unsigned char **p, const unsigned char *end, int *tag,
    const unsigned char **v, size_t *len)
{
	uint64_t	 n;

	if (*p >= end)
		return -1;
	*tag = *(*p)++;
	if (rec_get_varint(p, end, &n) == -1 || n > (uint64_t)(end - *p))
		return -1;
	*v = *p;
	*len = (size_t)n;
	*p += n;
	return 0;
}

void
rec_put_field(struct buf *b, int tag, const void *p, size_t len)
{
	buf_putc(b, (char)tag);
	put_varint(b, len);
	buf_append(b, p, len);
}

void
rec_put_int(struct buf *b, int tag, uint64_t v)
{
	struct buf	 t = BUF_INIT;

	put_varint(&t, v);
	rec_put_field(b, tag, t.ptr, t.len);
	buf_free(&t);
}

/* The length of a record's header (version, hash or id): 0 if it has none. */
static size_t
rec_header(const void *data, size_t size)
{
	const unsigned char	*p = data;

	if (size >= 1 + TOK_HASH_LEN && p[0] == REC_VERSION)
		return 1 + TOK_HASH_LEN;
	if (size >= 1 + UUID_LEN && p[0] == REC_STORED)
		return 1 + UUID_LEN;
	return 0;
}

const unsigned char *
rec_field(const void *data, size_t size, int tag, size_t *len)
{
	const unsigned char	*p = data, *end = p + size, *v;
	size_t			 n;
	int			 t;

	if ((n = rec_header(data, size)) == 0)
		return NULL;
	p += n;
	while (p < end) {
		if (rec_get_field(&p, end, &t, &v, &n) == -1)
			return NULL;
		if (t == tag) {
			*len = n;
			return v;
		}
	}
	return NULL;
}

/* ---- one field, as the table says ---- */

static const void *
field_at(const struct tok_rec *r, const struct field *f)
{
	return (const char *)r + f->off;
}

static void *
field_mut(struct tok_rec *r, const struct field *f)
{
	return (char *)r + f->off;
}

/* Does the field hold something other than zero or empty? */
static int
field_set(const struct tok_rec *r, const struct field *f)
{
	static const unsigned char zero[UUID_LEN];
	const void	*p = field_at(r, f);

	switch (f->kind) {
	case F_UUID:
		return memcmp(p, zero, UUID_LEN) != 0;
	case F_HASH:
		return r->has_prev;
	case F_INT:
		return *(const int64_t *)p != 0;
	case F_ENUM:
		return *(const unsigned *)p != 0;
	case F_CHARS:
		return *(const char *)p != '\0';
	case F_BUF:
	case F_IDS:
		return ((const struct buf *)p)->len > 0;
	case F_NONE:
		break;
	}
	return 0;
}

static int
field_wanted(const struct tok_rec *r, const struct field *f)
{
	switch (f->when) {
	case W_ALWAYS:
		return 1;
	case W_SET:
		return field_set(r, f);
	case W_COUNT:
		return *(const int64_t *)field_at(r, f) >= 0;
	case W_PREV:
		return r->has_prev;
	case W_BOUND:
		return r->bindings.len > 0 && field_set(r, f);
	case W_NOT_ORG:
		return strcmp(buf_cstr(field_at(r, f)), "organization") != 0 &&
		    field_set(r, f);
	}
	return 0;
}

static void
field_put(struct buf *b, int tag, const struct tok_rec *r,
    const struct field *f)
{
	const void		*p = field_at(r, f);
	const struct buf	*s = p;

	switch (f->kind) {
	case F_UUID:
		rec_put_field(b, tag, p, UUID_LEN);
		break;
	case F_HASH:
		rec_put_field(b, tag, p, TOK_HASH_LEN);
		break;
	case F_INT:
		rec_put_int(b, tag, (uint64_t)*(const int64_t *)p);
		break;
	case F_ENUM:
		rec_put_int(b, tag, (uint64_t)*(const unsigned *)p);
		break;
	case F_CHARS:
		rec_put_field(b, tag, p, strlen(p));
		break;
	case F_BUF:
	case F_IDS:
		rec_put_field(b, tag, s->ptr, s->len);
		break;
	case F_NONE:
		break;
	}
}

/*
 * To the default an absent field means.  The previous hash's bytes stay:
 * without has_prev nothing reads them.
 */
static void
field_reset(struct tok_rec *r, const struct field *f)
{
	void	*p = field_mut(r, f);

	switch (f->kind) {
	case F_UUID:
		memset(p, 0, UUID_LEN);
		break;
	case F_HASH:
		r->has_prev = 0;
		break;
	case F_INT:
		*(int64_t *)p = f->when == W_COUNT ? -1 : 0;
		break;
	case F_ENUM:
		*(unsigned *)p = 0;
		break;
	case F_CHARS:
		*(char *)p = '\0';
		break;
	case F_BUF:
	case F_IDS:
		buf_reset(p);
		break;
	case F_NONE:
		break;
	}
}

/* Reads the n bytes at v into the field: 0, or -1 for a bad value. */
static int
field_get(struct tok_rec *r, const struct field *f, const unsigned char *v,
    size_t n)
{
	void		*p = field_mut(r, f);
	uint64_t	 iv;

	switch (f->kind) {
	case F_NONE:
		return 0;	/* not ours: a newer writer's field */
	case F_UUID:
		if (n != UUID_LEN)
			return -1;
		memcpy(p, v, UUID_LEN);
		return 0;
	case F_HASH:
		if (n != TOK_HASH_LEN)
			return -1;
		memcpy(p, v, TOK_HASH_LEN);
		r->has_prev = 1;
		return 0;
	case F_CHARS:
		if (n > f->aux - 1)
			return -1;
		memcpy(p, v, n);
		((char *)p)[n] = '\0';
		return 0;
	case F_IDS:
	case F_BUF:
		if (f->kind == F_IDS && n % UUID_LEN != 0)
			return -1;
		buf_reset(p);
		buf_append(p, v, n);
		return 0;
	case F_INT:
	case F_ENUM:
		/* One varint, within the field; bytes after it are ignored. */
		if (rec_get_varint(&v, v + n, &iv) == -1 || iv > INT64_MAX)
			return -1;
		if (f->kind == F_INT)
			*(int64_t *)p = (int64_t)iv;
		else if (iv >= f->aux)
			return -1;
		else
			*(unsigned *)p = (unsigned)iv;
		return 0;
	}
	return 0;
}

/* ---- the record ---- */

void
tok_rec_init(struct tok_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->uses_left = -1;
	r->grant_uses = -1;
}

void
tok_rec_free(struct tok_rec *r)
{
	int	 tag;

	/* Every struct buf of a record is one of its fields. */
	for (tag = 1; tag < T__MAX; tag++)
		if (fields[tag].kind == F_BUF || fields[tag].kind == F_IDS)
			buf_free(field_mut(r, &fields[tag]));
	tok_rec_init(r);
}

/*
 * Version byte, the 32-byte hash (or the id) at a fixed offset (so the
 * index callbacks need no decoding), then tag-length-value fields;
 * absent means default.
 */
static void
encode(const struct tok_rec *r, struct buf *b, int version)
{
	int	 tag;

	buf_reset(b);
	buf_putc(b, (char)version);
	if (version == REC_VERSION)
		buf_append(b, r->hash, TOK_HASH_LEN);
	else
		buf_append(b, r->id, UUID_LEN);
	for (tag = 1; tag < T__MAX; tag++)
		if (fields[tag].kind != F_NONE && field_wanted(r, &fields[tag]))
			field_put(b, tag, r, &fields[tag]);
}

void
rec_encode(const struct tok_rec *r, struct buf *b)
{
	encode(r, b, REC_VERSION);
}

/*
 * As stored in records.db, under the hash: the id in the hash's place
 * (version 2), so that the hash is not stored twice.
 */
void
rec_encode_stored(const struct tok_rec *r, struct buf *b)
{
	encode(r, b, REC_STORED);
}

/*
 * 0, or -1 for a record that does not decode (r then holds what was
 * read so far).  A version 1 record gives the hash, a stored one (2) the
 * id: the other is its key, left to the caller.
 */
int
rec_decode(const void *data, size_t len, struct tok_rec *r)
{
	const unsigned char	*p = data, *end = p + len, *v;
	size_t			 n;
	int			 tag;

	for (tag = 1; tag < T__MAX; tag++)
		field_reset(r, &fields[tag]);
	if ((n = rec_header(data, len)) == 0)
		return -1;
	if (p[0] == REC_VERSION)
		memcpy(r->hash, p + 1, TOK_HASH_LEN);
	else
		memcpy(r->id, p + 1, UUID_LEN);
	p += n;
	while (p < end) {
		if (rec_get_field(&p, end, &tag, &v, &n) == -1 ||
		    field_get(r, &fields[tag < T__MAX ? tag : 0], v, n) == -1)
			return -1;
	}
	/* Without bindings the direct scopes are the scopes (not stored twice). */
	if (r->bindings.len == 0) {
		buf_reset(&r->direct);
		buf_puts(&r->direct, buf_cstr(&r->scopes));
	}
	return 0;
}
