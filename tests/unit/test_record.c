/* test_record: unit tests for lib/record.c (the token record's codec, one table of fields) against bytes the hand-written codec wrote. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "keyhole.h"
#include "record.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))
#define X16(s)		s s s s s s s s s s s s s s s s

/*
 * Golden encodings, made by the codec before it was a table (lib/store.c's
 * rec_encode() with its switch statements) from the records below.
 */
static const char	 golden_none[] =	/* tok_rec_init() */
	"0100000000000000000000000000000000000000000000000000000000000000"
	"000201000a00";
static const char	 golden_every[] =	/* rec_every() */
	"01a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbe"
	"bf0110202122232425262728292a2b2c2d2e2f020580e2cfaa060305e4e2cfaa"
	"06040580a4a7da060505c8e3cfaa060605ace4cfaa0607012a0801010901010a"
	"047758795a0b096369206465706c6f790c1c61206465736372697074696f6e2c"
	"2077697468202271756f746573220d0461636d650e11616c696365406578616d"
	"706c652e636f6d0f1361756469743a7265616420746f6b656e733a2a10097b22"
	"6b223a2276227d110e776f726b73706163653a77732d31121f574f524b535041"
	"43455f4d454d42455240776f726b73706163653a77732d31130a61756469743a"
	"726561641420404142434445464748494a4b4c4d4e4f50515253545556575859"
	"5a5b5c5d5e5f1505d8e6cfaa061604705265761705f4e5cfaa0618010319010c"
	"1a0b323030313a6462383a3a311b0a6375726c2f382e352e301c0580c3bbc206"
	"1d0590e5cfaa061e01051f20606162636465666768696a6b6c6d6e6f70717273"
	"7475767778797a7b7c7d7e7f20086b6579686f6c652d2105ace4cfaa06";
static const char	 golden_edges[] =	/* rec_edges() */
	"0155555555555555555555555555555555555555555555555555555555555555"
	"550209ffffffffffffffff7f0302800104017f0701000a000f0764623a726561"
	"641e0100";

/*
 * Records a keyhole of before the dialects wrote, from
 * tests/fixtures/store-v1/tokens.db.dump (key, then data), with what
 * tests/fixtures/store-v1/README says they are.
 */
static const struct vector {
	const char	*what;
	const char	*key;
	const char	*data;
	const char	*parent;	/* created_by's key; NULL: none */
	const char	*hint, *name, *organization, *scopes, *bindings;
	const char	*direct;	/* as decoded */
	int64_t		 uses_left, revoked_at, expires_at, use_count;
	int64_t		 rotations, grace_until;
	enum tok_kind	 kind;
	int		 has_prev;
} vectors[] = {
	{ "ROOT", "01a229b2daba7238be0105b87bcfa7d4",
	    "01e582f9732d390ec616032e20d4f0f28564c3ccc2e5118f2acd16f2f720db27"
	    "b102058cf2b2d80605058df2b2d8060a0454766c740b04726f6f740c1b437265"
	    "61746564206279206b6579686f6c6563746c20696e69742e0e04726f6f740f0f"
	    "2a20746f6b656e733a61737369676e1901011a093132372e302e302e311b0b63"
	    "75726c2f372e38382e31", NULL,
	    "Tvlt", "root", "", "* tokens:assign", "", "* tokens:assign",
	    -1, 0, 0, 1, 0, 0, KIND_STANDARD, 0 },
	{ "A: scopes, metadata", "01a229b2dae17258b58fd707ccf63223",
	    "0183cfb7af2492c9f68eddbb82ebade1d25dca6fdc2674cbf45688e095154a4e"
	    "31011001a229b2daba7238be0105b87bcfa7d402058df2b2d80605058df2b2d8"
	    "060a045a5754380b0b61636d65207265616465720d0461636d650e04726f6f74"
	    "0f2870726f7465637465643a7265616420746f6b656e733a6372656174652074"
	    "6f6b656e733a72656164100e7b227465616d223a226f7073227d1901011a0931"
	    "32372e302e302e311b0b6375726c2f372e38382e31",
	    "01a229b2daba7238be0105b87bcfa7d4",
	    "ZWT8", "acme reader", "acme",
	    "protected:read tokens:create tokens:read", "",
	    "protected:read tokens:create tokens:read",
	    -1, 0, 0, 1, 0, 0, KIND_STANDARD, 0 },
	{ "B: a binding", "01a229b2dae9748384c0316e08b59843",
	    "01a631f2745a0ca738c6f05f40d3186b3bae413f24576b6222546211779769314d"
	    "011001a229b2daba7238be0105b87bcfa7d402058df2b2d8060a04786c38440b"
	    "097773206d656d6265720d0461636d650e04726f6f740f062a3a72656164121e"
	    "574f524b53504143455f4d454d42455240776f726b73706163653a777331",
	    "01a229b2daba7238be0105b87bcfa7d4",
	    "xl8D", "ws member", "acme", "*:read",
	    "WORKSPACE_MEMBER@workspace:ws1", "",
	    -1, 0, 0, 0, 0, 0, KIND_STANDARD, 0 },
	{ "C: 1000 uses", "01a229b2daf075dcb75a00190072a1ce",
	    "01761f02c1b8e562933be20496a629f7412c7d630f93b199d8aef5dab6b119c2"
	    "c2011001a229b2daba7238be0105b87bcfa7d402058df2b2d8060702e8070a04"
	    "673469440b076c696d697465640d0461636d650e04726f6f740f0e70726f7465"
	    "637465643a72656164",
	    "01a229b2daba7238be0105b87bcfa7d4",
	    "g4iD", "limited", "acme", "protected:read", "", "protected:read",
	    1000, 0, 0, 0, 0, 0, KIND_STANDARD, 0 },
	{ "D: revoked", "01a229b2daf7743ebdd464ac3442fe50",
	    "01ee8fc1c9db05a929a299fa28100401d6cfd8599a669ef71db0cfc6567c768a"
	    "26011001a229b2daba7238be0105b87bcfa7d402058df2b2d80606058df2b2d8"
	    "060a04475754390b09746f207265766f6b650d04626574610e04726f6f740f0e"
	    "70726f7465637465643a72656164",
	    "01a229b2daba7238be0105b87bcfa7d4",
	    "GWT9", "to revoke", "beta", "protected:read", "", "protected:read",
	    -1, 1795995917, 0, 0, 0, 0, KIND_STANDARD, 0 },
	{ "E: enrollment", "01a229b2dafe776dae16b62968fb1565",
	    "0100f770e9e2c40fbe5dd5515289df020b9d681268b97b28358313a7afd59fea"
	    "47011001a229b2daba7238be0105b87bcfa7d402058df2b2d80604058d95b8d8"
	    "060701010801010a04367365520b06656e726f6c6c0d0461636d650e04726f6f"
	    "740f0e70726f7465637465643a72656164",
	    "01a229b2daba7238be0105b87bcfa7d4",
	    "6seR", "enroll", "acme", "protected:read", "", "protected:read",
	    1, 0, 1796082317, 0, 0, 0, KIND_ENROLLMENT, 0 },
	{ "F2: rotated", "01a229b2db0575a18f013096ea2e0853",
	    "01c45facc89ab7f0c27ee3d7ac5ad0191755298f942cb7ac7f454ee89bad14bc"
	    "04011001a229b2daba7238be0105b87bcfa7d402058df2b2d8060a046471364f"
	    "0b07726f74617465640d0461636d650e04726f6f740f0e70726f746563746564"
	    "3a72656164142089831bfc622a66a419b8f44f92f4fd1a6a9a5386b45536a893"
	    "acf471718ae13115058d8cd1d906160445544d3317058df2b2d806180101",
	    "01a229b2daba7238be0105b87bcfa7d4",
	    "dq6O", "rotated", "acme", "protected:read", "", "protected:read",
	    -1, 0, 0, 0, 1, 1798587917, KIND_STANDARD, 1 },
	{ "G: minted by A", "01a229b2db5170e19efb4903b4b60f5d",
	    "01976e72784d6a90de1095f1d12d24e2f5f96af1370dfcdf5e466f613802f6de"
	    "a3011001a229b2dae17258b58fd707ccf6322302058df2b2d8060a04594e4261"
	    "0b0a6368696c64206f6620410d0461636d650e04726f6f740f0e70726f746563"
	    "7465643a72656164",
	    "01a229b2dae17258b58fd707ccf63223",
	    "YNBa", "child of A", "acme", "protected:read", "",
	    "protected:read",
	    -1, 0, 0, 0, 0, 0, KIND_STANDARD, 0 },
};

static void	 hex_to(const char *, struct buf *);
static void	 rec_every(struct tok_rec *);
static void	 rec_edges(struct tok_rec *);
static void	 set_alone(struct tok_rec *, int);
static int	 decode_exact(const void *, size_t, struct tok_rec *);
static void	 buf_assert_eq(const char *, const struct buf *,
		    const struct buf *);
static void	 buf_assert_str(const char *, const struct buf *, const char *);
static void	 rec_assert_same(const struct tok_rec *, const struct tok_rec *);
static void	 enc_assert(const struct tok_rec *, const struct buf *);
static Suite	*record_suite(void);

/* ---- helpers ---- */

static void
hex_to(const char *hex, struct buf *b)
{
	unsigned int	 c;

	buf_reset(b);
	ck_assert_uint_eq(strlen(hex) % 2, 0);
	for (; *hex != '\0'; hex += 2) {
		ck_assert_int_eq(sscanf(hex, "%2x", &c), 1);
		buf_putc(b, (char)c);
	}
}

/* Every field set to something other than its default, a previous secret too. */
static void
rec_every(struct tok_rec *r)
{
	size_t	 i;

	tok_rec_init(r);
	for (i = 0; i < UUID_LEN; i++) {
		r->id[i] = (unsigned char)(0x10 + i);
		r->created_by[i] = (unsigned char)(0x20 + i);
	}
	for (i = 0; i < TOK_HASH_LEN; i++) {
		r->hash[i] = (unsigned char)(0xa0 + i);
		r->prev_hash[i] = (unsigned char)(0x40 + i);
	}
	r->created_at = 1700000000;
	r->starts_at = 1700000100;
	r->expires_at = 1800000000;
	r->last_used_at = 1700000200;
	r->revoked_at = 1700000300;
	r->uses_left = 42;
	r->kind = KIND_ENROLLMENT;
	r->format = FORMAT_JWT;
	memcpy(r->hint, "wXyZ", TOK_HINT_LEN + 1);
	buf_puts(&r->name, "ci deploy");
	buf_puts(&r->description, "a description, with \"quotes\"");
	buf_puts(&r->organization, "acme");
	buf_puts(&r->subject, "alice@example.com");
	buf_puts(&r->scopes, "audit:read tokens:*");
	buf_puts(&r->metadata, "{\"k\":\"v\"}");
	buf_puts(&r->entity, "workspace:ws-1");
	buf_puts(&r->bindings, "WORKSPACE_MEMBER@workspace:ws-1");
	buf_puts(&r->direct, "audit:read");
	r->has_prev = 1;
	r->grace_until = 1700000600;
	memcpy(r->prev_hint, "pRev", TOK_HINT_LEN + 1);
	r->rotated_at = 1700000500;
	r->rotations = 3;
	r->use_count = 12;
	buf_puts(&r->last_address, "2001:db8::1");
	buf_puts(&r->last_agent, "curl/8.5.0");
	r->grant_expires_at = 1750000000;
	r->updated_at = 1700000400;
	r->grant_uses = 5;
	for (i = 0; i < 2 * UUID_LEN; i++)
		buf_putc(&r->fence, (char)(0x60 + i));
	memcpy(r->prefix, "keyhole-", sizeof("keyhole-"));
	r->tree_revoked_at = r->revoked_at;
}

/*
 * The edges of the omission rules: values stored although they look like
 * defaults, and values set but not stored.
 */
static void
rec_edges(struct tok_rec *r)
{
	tok_rec_init(r);
	memset(r->hash, 0x55, TOK_HASH_LEN);
	r->uses_left = 0;		/* stored: 0 is not "no limit" */
	r->grant_uses = 0;		/* likewise */
	r->grace_until = 1700000600;	/* not stored: no previous secret */
	memset(r->prev_hash, 0x77, TOK_HASH_LEN);
	buf_puts(&r->entity, "organization");	/* what absence means */
	buf_puts(&r->direct, "db:write");	/* not stored: no bindings */
	buf_puts(&r->scopes, "db:read");
	r->created_at = INT64_MAX;
	r->expires_at = 127;
	r->starts_at = 128;
}

/* Sets the one field of tag, as the rows of test_field_alone expect. */
static void
set_alone(struct tok_rec *r, int tag)
{
	switch (tag) {
	case T_CREATED_BY:
		memset(r->created_by, 0x11, UUID_LEN);
		break;
	case T_CREATED_AT:
		r->created_at = 300;
		break;
	case T_STARTS_AT:
		r->starts_at = 300;
		break;
	case T_EXPIRES_AT:
		r->expires_at = 300;
		break;
	case T_LAST_USED_AT:
		r->last_used_at = 300;
		break;
	case T_REVOKED_AT:
		r->revoked_at = 300;
		break;
	case T_USES_LEFT:
		r->uses_left = 300;
		break;
	case T_KIND:
		r->kind = KIND_ENROLLMENT;
		break;
	case T_FORMAT:
		r->format = FORMAT_JWT;
		break;
	case T_HINT:
		memcpy(r->hint, "abcd", 5);
		break;
	case T_NAME:
		buf_puts(&r->name, "x");
		break;
	case T_DESCRIPTION:
		buf_puts(&r->description, "x");
		break;
	case T_ORGANIZATION:
		buf_puts(&r->organization, "x");
		break;
	case T_SUBJECT:
		buf_puts(&r->subject, "x");
		break;
	case T_SCOPES:
		buf_puts(&r->scopes, "x");
		break;
	case T_METADATA:
		buf_puts(&r->metadata, "x");
		break;
	case T_ENTITY:
		buf_puts(&r->entity, "x");
		break;
	case T_BINDINGS:
		buf_puts(&r->bindings, "x");
		break;
	case T_DIRECT:
		buf_puts(&r->direct, "x");
		break;
	case T_PREV_HASH:
		r->has_prev = 1;
		memset(r->prev_hash, 0x22, TOK_HASH_LEN);
		break;
	case T_GRACE_UNTIL:
		r->grace_until = 300;
		break;
	case T_PREV_HINT:
		memcpy(r->prev_hint, "abcd", 5);
		break;
	case T_ROTATED_AT:
		r->rotated_at = 300;
		break;
	case T_ROTATIONS:
		r->rotations = 300;
		break;
	case T_USE_COUNT:
		r->use_count = 300;
		break;
	case T_LAST_ADDRESS:
		buf_puts(&r->last_address, "x");
		break;
	case T_LAST_AGENT:
		buf_puts(&r->last_agent, "x");
		break;
	case T_GRANT_EXPIRES:
		r->grant_expires_at = 300;
		break;
	case T_UPDATED_AT:
		r->updated_at = 300;
		break;
	case T_GRANT_USES:
		r->grant_uses = 300;
		break;
	case T_FENCE:
		buf_append(&r->fence, X16("\x33"), UUID_LEN);
		break;
	case T_PREFIX:
		memcpy(r->prefix, "kh_", 4);
		break;
	case T_TREE_REVOKED:
		r->tree_revoked_at = 300;
		break;
	default:
		ck_abort_msg("no field for tag %d", tag);
	}
}

/* rec_decode() on a heap copy of exactly len bytes: valgrind sees overreads. */
static int
decode_exact(const void *data, size_t len, struct tok_rec *r)
{
	void	*p;
	int	 rc;

	p = malloc(len > 0 ? len : 1);
	ck_assert_ptr_nonnull(p);
	if (len > 0)
		memcpy(p, data, len);
	rc = rec_decode(p, len, r);
	free(p);
	return rc;
}

static void
buf_assert_eq(const char *what, const struct buf *a, const struct buf *b)
{
	ck_assert_msg(a->len == b->len &&
	    (a->len == 0 || memcmp(a->ptr, b->ptr, a->len) == 0),
	    "%s: \"%s\" (%zu bytes), want \"%s\" (%zu bytes)", what,
	    buf_cstr(a), a->len, buf_cstr(b), b->len);
}

static void
buf_assert_str(const char *what, const struct buf *a, const char *s)
{
	ck_assert_msg(a->len == strlen(s) && strcmp(buf_cstr(a), s) == 0,
	    "%s: \"%s\", want \"%s\"", what, buf_cstr(a), s);
}

/* Every field the record stores, one by one (the id is the key: not here). */
static void
rec_assert_same(const struct tok_rec *a, const struct tok_rec *b)
{
	ck_assert_mem_eq(a->hash, b->hash, TOK_HASH_LEN);
	ck_assert_mem_eq(a->created_by, b->created_by, UUID_LEN);
	ck_assert_int_eq(a->created_at, b->created_at);
	ck_assert_int_eq(a->starts_at, b->starts_at);
	ck_assert_int_eq(a->expires_at, b->expires_at);
	ck_assert_int_eq(a->last_used_at, b->last_used_at);
	ck_assert_int_eq(a->revoked_at, b->revoked_at);
	ck_assert_int_eq(a->uses_left, b->uses_left);
	ck_assert_int_eq(a->kind, b->kind);
	ck_assert_int_eq(a->format, b->format);
	ck_assert_str_eq(a->hint, b->hint);
	buf_assert_eq("name", &a->name, &b->name);
	buf_assert_eq("description", &a->description, &b->description);
	buf_assert_eq("organization", &a->organization, &b->organization);
	buf_assert_eq("subject", &a->subject, &b->subject);
	buf_assert_eq("scopes", &a->scopes, &b->scopes);
	buf_assert_eq("metadata", &a->metadata, &b->metadata);
	buf_assert_eq("entity", &a->entity, &b->entity);
	buf_assert_eq("bindings", &a->bindings, &b->bindings);
	buf_assert_eq("direct", &a->direct, &b->direct);
	ck_assert_int_eq(a->has_prev, b->has_prev);
	if (a->has_prev)
		ck_assert_mem_eq(a->prev_hash, b->prev_hash, TOK_HASH_LEN);
	ck_assert_int_eq(a->grace_until, b->grace_until);
	ck_assert_str_eq(a->prev_hint, b->prev_hint);
	ck_assert_int_eq(a->rotated_at, b->rotated_at);
	ck_assert_int_eq(a->rotations, b->rotations);
	ck_assert_int_eq(a->use_count, b->use_count);
	buf_assert_eq("last_address", &a->last_address, &b->last_address);
	buf_assert_eq("last_agent", &a->last_agent, &b->last_agent);
	ck_assert_int_eq(a->grant_expires_at, b->grant_expires_at);
	ck_assert_int_eq(a->updated_at, b->updated_at);
	ck_assert_int_eq(a->grant_uses, b->grant_uses);
	buf_assert_eq("fence", &a->fence, &b->fence);
	ck_assert_str_eq(a->prefix, b->prefix);
	ck_assert_int_eq(a->tree_revoked_at, b->tree_revoked_at);
}

/* r encodes to exactly want. */
static void
enc_assert(const struct tok_rec *r, const struct buf *want)
{
	struct buf	 enc = BUF_INIT;

	rec_encode(r, &enc);
	ck_assert_uint_eq(enc.len, want->len);
	ck_assert_mem_eq(enc.ptr, want->ptr, want->len);
	buf_free(&enc);
}

/* ---- whole records ---- */

START_TEST(test_none)
{
	struct tok_rec	 a, b;
	struct buf	 want = BUF_INIT;

	/* The hash, created_at and the hint: what is always written. */
	hex_to(golden_none, &want);
	tok_rec_init(&a);
	tok_rec_init(&b);
	enc_assert(&a, &want);
	ck_assert_int_eq(decode_exact(want.ptr, want.len, &b), 0);
	rec_assert_same(&b, &a);
	enc_assert(&b, &want);
	tok_rec_free(&a);
	tok_rec_free(&b);
	buf_free(&want);
}
END_TEST

START_TEST(test_every)
{
	struct tok_rec	 a, b;
	struct buf	 want = BUF_INIT;
	int		 tag;
	size_t		 n;

	hex_to(golden_every, &want);
	rec_every(&a);
	tok_rec_init(&b);
	enc_assert(&a, &want);
	/* Each tag once, in order. */
	for (tag = 1; tag < T__MAX; tag++)
		ck_assert_msg(rec_field(want.ptr, want.len, tag, &n) != NULL,
		    "tag %d missing", tag);
	ck_assert_int_eq(decode_exact(want.ptr, want.len, &b), 0);
	rec_assert_same(&b, &a);
	enc_assert(&b, &want);
	tok_rec_free(&a);
	tok_rec_free(&b);
	buf_free(&want);
}
END_TEST

START_TEST(test_edges)
{
	struct tok_rec	 a, b, d;
	struct buf	 want = BUF_INIT;

	hex_to(golden_edges, &want);
	rec_edges(&a);
	tok_rec_init(&b);
	enc_assert(&a, &want);
	ck_assert_int_eq(decode_exact(want.ptr, want.len, &b), 0);

	/* What comes back: the stored values, defaults for the others. */
	rec_edges(&d);
	d.grace_until = 0;
	buf_reset(&d.entity);
	buf_reset(&d.direct);
	buf_puts(&d.direct, "db:read");		/* the scopes */
	rec_assert_same(&b, &d);
	ck_assert_int_eq(b.uses_left, 0);
	ck_assert_int_eq(b.grant_uses, 0);
	enc_assert(&b, &want);
	tok_rec_free(&a);
	tok_rec_free(&b);
	tok_rec_free(&d);
	buf_free(&want);
}
END_TEST

START_TEST(test_decode_over_every)
{
	struct tok_rec	 a, b;
	struct buf	 want = BUF_INIT;

	/* Into a record that held every field: nothing of it is left. */
	hex_to(golden_none, &want);
	tok_rec_init(&a);
	rec_every(&b);
	ck_assert_int_eq(decode_exact(want.ptr, want.len, &b), 0);
	rec_assert_same(&b, &a);
	tok_rec_free(&a);
	tok_rec_free(&b);
	buf_free(&want);
}
END_TEST

START_TEST(test_fixture_vectors)
{
	const struct vector	*v;
	struct tok_rec		 r;
	struct buf		 data = BUF_INIT, key = BUF_INIT;
	const unsigned char	*p;
	size_t			 i, n;

	for (i = 0; i < NITEMS(vectors); i++) {
		v = &vectors[i];
		hex_to(v->data, &data);
		hex_to(v->key, &key);
		ck_assert_uint_eq(key.len, UUID_LEN);
		tok_rec_init(&r);
		ck_assert_msg(decode_exact(data.ptr, data.len, &r) == 0,
		    "%s refused", v->what);
		ck_assert_mem_eq(r.hash, data.ptr + 1, TOK_HASH_LEN);
		ck_assert_str_eq(r.hint, v->hint);
		buf_assert_str(v->what, &r.name, v->name);
		buf_assert_str(v->what, &r.organization, v->organization);
		buf_assert_str(v->what, &r.subject, "root");
		buf_assert_str(v->what, &r.scopes, v->scopes);
		buf_assert_str(v->what, &r.bindings, v->bindings);
		buf_assert_str(v->what, &r.direct, v->direct);
		ck_assert_uint_eq(r.entity.len, 0);
		ck_assert_int_eq(r.created_at, i == 0 ? 1795995916 : 1795995917);
		ck_assert_int_eq(r.uses_left, v->uses_left);
		ck_assert_int_eq(r.revoked_at, v->revoked_at);
		ck_assert_int_eq(r.expires_at, v->expires_at);
		ck_assert_int_eq(r.use_count, v->use_count);
		ck_assert_int_eq(r.rotations, v->rotations);
		ck_assert_int_eq(r.grace_until, v->grace_until);
		ck_assert_int_eq(r.kind, v->kind);
		ck_assert_int_eq(r.has_prev, v->has_prev);
		ck_assert_int_eq(r.grant_uses, -1);
		ck_assert_str_eq(r.prefix, "");

		/* The index callbacks' view of the same bytes. */
		p = rec_field(data.ptr, data.len, T_CREATED_BY, &n);
		if (v->parent == NULL)
			ck_assert_ptr_null(p);
		else {
			hex_to(v->parent, &key);
			ck_assert_uint_eq(n, UUID_LEN);
			ck_assert_mem_eq(p, key.ptr, UUID_LEN);
			ck_assert_mem_eq(r.created_by, key.ptr, UUID_LEN);
		}

		/* Written back, byte for byte what was read. */
		enc_assert(&r, &data);
		tok_rec_free(&r);
	}
	buf_free(&data);
	buf_free(&key);
}
END_TEST

/* ---- one field at a time ---- */

START_TEST(test_field_alone)
{
	static const struct {
		int		 tag;
		const char	*field;	/* as written, tag first; NULL: not */
		size_t		 len;
	} t[] = {
		{ T_CREATED_BY, "\x01\x10" X16("\x11"), 18 },
		{ T_CREATED_AT, "\x02\x02\xac\x02", 4 },
		{ T_STARTS_AT, "\x03\x02\xac\x02", 4 },
		{ T_EXPIRES_AT, "\x04\x02\xac\x02", 4 },
		{ T_LAST_USED_AT, "\x05\x02\xac\x02", 4 },
		{ T_REVOKED_AT, "\x06\x02\xac\x02", 4 },
		{ T_USES_LEFT, "\x07\x02\xac\x02", 4 },
		{ T_KIND, "\x08\x01\x01", 3 },
		{ T_FORMAT, "\x09\x01\x01", 3 },
		{ T_HINT, "\x0a\x04" "abcd", 6 },
		{ T_NAME, "\x0b\x01x", 3 },
		{ T_DESCRIPTION, "\x0c\x01x", 3 },
		{ T_ORGANIZATION, "\x0d\x01x", 3 },
		{ T_SUBJECT, "\x0e\x01x", 3 },
		{ T_SCOPES, "\x0f\x01x", 3 },
		{ T_METADATA, "\x10\x01x", 3 },
		{ T_ENTITY, "\x11\x01x", 3 },
		{ T_BINDINGS, "\x12\x01x", 3 },
		{ T_DIRECT, NULL, 0 },			/* no bindings */
		/* With the previous hash its grace, even 0. */
		{ T_PREV_HASH, "\x14\x20" X16("\x22") X16("\x22") "\x15\x01\x00",
		    37 },
		{ T_GRACE_UNTIL, NULL, 0 },		/* no previous hash */
		{ T_PREV_HINT, "\x16\x04" "abcd", 6 },
		{ T_ROTATED_AT, "\x17\x02\xac\x02", 4 },
		{ T_ROTATIONS, "\x18\x02\xac\x02", 4 },
		{ T_USE_COUNT, "\x19\x02\xac\x02", 4 },
		{ T_LAST_ADDRESS, "\x1a\x01x", 3 },
		{ T_LAST_AGENT, "\x1b\x01x", 3 },
		{ T_GRANT_EXPIRES, "\x1c\x02\xac\x02", 4 },
		{ T_UPDATED_AT, "\x1d\x02\xac\x02", 4 },
		{ T_GRANT_USES, "\x1e\x02\xac\x02", 4 },
		{ T_FENCE, "\x1f\x10" X16("\x33"), 18 },
		{ T_PREFIX, "\x20\x03" "kh_", 5 },
		{ T_TREE_REVOKED, "\x21\x02\xac\x02", 4 },
	};
	static const unsigned char zero[TOK_HASH_LEN];
	struct tok_rec	 a, b;
	struct buf	 want = BUF_INIT, enc = BUF_INIT;
	size_t		 i;
	int		 tag;

	ck_assert_uint_eq(NITEMS(t), T__MAX - 1);
	for (i = 0; i < NITEMS(t); i++) {
		tag = t[i].tag;
		ck_assert_int_eq(tag, (int)i + 1);
		/* created_at and the hint are always there; the rest in order. */
		buf_reset(&want);
		buf_putc(&want, 1);
		buf_append(&want, zero, TOK_HASH_LEN);
		if (tag == T_CREATED_BY)
			buf_append(&want, t[i].field, t[i].len);
		if (tag == T_CREATED_AT)
			buf_append(&want, t[i].field, t[i].len);
		else
			buf_append(&want, "\x02\x01\x00", 3);
		if (tag > T_CREATED_AT && tag < T_HINT)
			buf_append(&want, t[i].field, t[i].len);
		if (tag == T_HINT)
			buf_append(&want, t[i].field, t[i].len);
		else
			buf_append(&want, "\x0a\x00", 2);
		if (tag > T_HINT && t[i].field != NULL)
			buf_append(&want, t[i].field, t[i].len);

		tok_rec_init(&a);
		set_alone(&a, tag);
		rec_encode(&a, &enc);
		ck_assert_msg(enc.len == want.len &&
		    memcmp(enc.ptr, want.ptr, want.len) == 0,
		    "tag %d: not written as it was", tag);

		/* Into a full record: the field back, every other default. */
		rec_every(&b);
		ck_assert_int_eq(decode_exact(enc.ptr, enc.len, &b), 0);
		if (t[i].field == NULL) {
			tok_rec_free(&a);
			tok_rec_init(&a);
		}
		if (tag == T_SCOPES)
			buf_puts(&a.direct, "x");	/* no bindings */
		rec_assert_same(&b, &a);
		tok_rec_free(&a);
		tok_rec_free(&b);
	}
	buf_free(&want);
	buf_free(&enc);
}
END_TEST

/* ---- reading ---- */

START_TEST(test_decode_kinds_bad)
{
	static const struct {
		const char	*bytes;
		size_t		 len;
		int		 rc;
	} t[] = {
		/* an id: exactly 16 bytes */
		{ "\x01\x10" X16("i"), 18, 0 },
		{ "\x01\x0f" "iiiiiiiiiiiiiii", 17, -1 },
		{ "\x01\x11" X16("i") "i", 19, -1 },
		{ "\x01\x00", 2, -1 },
		/* the prefix: at most TOK_PREFIX_MAX bytes */
		{ "\x20\x10" X16("p"), 18, 0 },
		{ "\x20\x11" X16("p") "p", 19, -1 },
		{ "\x20\x00", 2, 0 },
		/* the fence: whole ids */
		{ "\x1f\x00", 2, 0 },
		{ "\x1f\x20" X16("f") X16("f"), 34, 0 },
		{ "\x1f\x0f" "fffffffffffffff", 17, -1 },
		{ "\x1f\x11" X16("f") "f", 19, -1 },
		/* kind and format: below their __MAX */
		{ "\x08\x01\x01", 3, 0 },
		{ "\x08\x01\x02", 3, -1 },
		{ "\x08\x01\x7f", 3, -1 },
		{ "\x09\x01\x01", 3, 0 },
		{ "\x09\x01\x02", 3, -1 },
		{ "\x08\x0a" "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 12, -1 },
		{ "\x08\x00", 2, -1 },
		/* a count: a varint that ends, <= INT64_MAX */
		{ "\x07\x00", 2, -1 },
		{ "\x1e\x01\x80", 3, -1 },
		{ "\x1e\x09" "\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 11, 0 },
		{ "\x1e\x0a" "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 12, -1 },
		/* a varint's trailing bytes, within its field, are not read */
		{ "\x08\x03" "\x01\xff\xff", 5, 0 },
		{ "\x02\x03" "\x01\x02\x03", 5, 0 },
	};
	struct tok_rec	 r;
	struct buf	 enc = BUF_INIT;
	size_t		 i;

	tok_rec_init(&r);
	for (i = 0; i < NITEMS(t); i++) {
		hex_to(golden_none, &enc);
		buf_append(&enc, t[i].bytes, t[i].len);
		ck_assert_msg(decode_exact(enc.ptr, enc.len, &r) == t[i].rc,
		    "row %zu: not %d", i, t[i].rc);
	}
	buf_free(&enc);
	tok_rec_free(&r);
}
END_TEST

START_TEST(test_decode_unknown_tags)
{
	static const struct {
		const char	*bytes;
		size_t		 len;
	} t[] = {
		{ "\x00\x01" "x", 3 },			/* tag 0 */
		{ "\x22\x02" "\xff\xff", 4 },		/* T__MAX: past ours */
		{ "\x80\x00", 2 },
		{ "\xff\x03" "abc", 5 },
	};
	struct tok_rec	 a, b;
	struct buf	 enc = BUF_INIT;
	size_t		 i;

	ck_assert_int_eq(T__MAX, 0x22);
	rec_every(&a);
	tok_rec_init(&b);
	for (i = 0; i < NITEMS(t); i++) {
		hex_to(golden_every, &enc);
		buf_append(&enc, t[i].bytes, t[i].len);
		ck_assert_msg(decode_exact(enc.ptr, enc.len, &b) == 0,
		    "row %zu: unknown tag refused", i);
		rec_assert_same(&b, &a);
	}
	buf_free(&enc);
	tok_rec_free(&a);
	tok_rec_free(&b);
}
END_TEST

START_TEST(test_decode_repeated)
{
	struct tok_rec	 r;
	struct buf	 enc = BUF_INIT;

	/* A field given twice: the last one holds (none is written twice). */
	hex_to(golden_none, &enc);
	buf_append(&enc, "\x0b\x03" "one" "\x0b\x03" "two", 10);
	buf_append(&enc, "\x03\x01\x05" "\x03\x01\x06", 6);
	buf_append(&enc, "\x0a\x02" "ab", 4);
	tok_rec_init(&r);
	ck_assert_int_eq(decode_exact(enc.ptr, enc.len, &r), 0);
	buf_assert_str("name", &r.name, "two");
	ck_assert_int_eq(r.starts_at, 6);
	ck_assert_str_eq(r.hint, "ab");
	buf_free(&enc);
	tok_rec_free(&r);
}
END_TEST

START_TEST(test_rec_field)
{
	struct buf		 enc = BUF_INIT;
	const unsigned char	*p;
	size_t			 n, cut;

	hex_to(golden_every, &enc);
	p = rec_field(enc.ptr, enc.len, T_NAME, &n);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(n, 9);
	ck_assert_mem_eq(p, "ci deploy", 9);
	p = rec_field(enc.ptr, enc.len, T_PREFIX, &n);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(n, 8);
	ck_assert_mem_eq(p, "keyhole-", 8);
	ck_assert_ptr_null(rec_field(enc.ptr, enc.len, 0, &n));
	ck_assert_ptr_null(rec_field(enc.ptr, enc.len, T__MAX, &n));

	/* Cut inside the prefix: that field is gone, the ones before stay. */
	cut = enc.len - 7 - 1;	/* tag 33's field is 7 bytes, after it */
	ck_assert_ptr_null(rec_field(enc.ptr, cut, T_PREFIX, &n));
	ck_assert_ptr_nonnull(rec_field(enc.ptr, cut, T_FENCE, &n));
	ck_assert_uint_eq(n, 2 * UUID_LEN);
	/* No fields at all, or not even the hash. */
	ck_assert_ptr_null(rec_field(enc.ptr, 1 + TOK_HASH_LEN, T_CREATED_AT,
	    &n));
	ck_assert_ptr_null(rec_field(enc.ptr, TOK_HASH_LEN, T_CREATED_AT, &n));

	/* The hint is always there, empty or not. */
	hex_to(golden_none, &enc);
	p = rec_field(enc.ptr, enc.len, T_HINT, &n);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(rec_field(enc.ptr, enc.len, T_NAME, &n));
	buf_free(&enc);
}
END_TEST

START_TEST(test_free)
{
	struct tok_rec	 r;

	/* Every string of the record is freed (valgrind checks the rest). */
	rec_every(&r);
	tok_rec_free(&r);
	ck_assert_ptr_null(r.name.ptr);
	ck_assert_ptr_null(r.direct.ptr);
	ck_assert_ptr_null(r.fence.ptr);
	ck_assert_ptr_null(r.last_agent.ptr);
	ck_assert_int_eq(r.uses_left, -1);
	ck_assert_int_eq(r.grant_uses, -1);
	ck_assert_int_eq(r.has_prev, 0);
}
END_TEST

static Suite *
record_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("record");

	tc = tcase_create("records");
	tcase_add_test(tc, test_none);
	tcase_add_test(tc, test_every);
	tcase_add_test(tc, test_edges);
	tcase_add_test(tc, test_decode_over_every);
	tcase_add_test(tc, test_fixture_vectors);
	suite_add_tcase(s, tc);

	tc = tcase_create("fields");
	tcase_add_test(tc, test_field_alone);
	tcase_add_test(tc, test_decode_kinds_bad);
	tcase_add_test(tc, test_decode_unknown_tags);
	tcase_add_test(tc, test_decode_repeated);
	tcase_add_test(tc, test_rec_field);
	tcase_add_test(tc, test_free);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(record_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
