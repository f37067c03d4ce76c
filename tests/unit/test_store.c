/* test_store: unit tests for lib/store*.c and lib/record.c (record codec, Berkeley DB store) and lib/tokens.c (mint, lookup, revoke). */
#define _GNU_SOURCE	/* memmem(), nftw() */

#include <sys/stat.h>
#include <sys/types.h>

#include <fcntl.h>
#include <ftw.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <sodium.h>

#include "keyhole.h"
#include "store_impl.h"	/* test_verify damages the indexes on purpose */

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))
#define NLIST		25
#define HOUR		3600

static char		 top[64];	/* every test's directory is in here */
static char		 dir[128];	/* this test's temporary directory */
static struct store	*st;		/* the store in it, or NULL */
static const char	*needle;	/* what scan_file() looks for */
static size_t		 needlelen;
static int		 nfound, nscanned;

static int	 rm_entry(const char *, const struct stat *, int, struct FTW *);
static int	 scan_file(const char *, const struct stat *, int, struct FTW *);
static void	 dir_setup(void);
static void	 store_setup(void);
static void	 teardown(void);
static void	 store_reopen(void);
static void	 read_key(unsigned char [TOK_KEY_LEN]);
static void	 rec_fill(struct tok_rec *);
static void	 rec_assert_eq(const struct tok_rec *, const struct tok_rec *, int);
static void	 rec_assert_lifecycle_defaults(const struct tok_rec *);
static int	 decode_exact(const void *, size_t, struct tok_rec *);
static void	 enc_header(struct buf *);
static void	 mint_admin(const char *, const char *, int64_t, char *,
		    struct tok_rec *);
static void	 caller_init(struct tok_rec *, int64_t);
static void	 caller_store(const struct tok_rec *);
static void	 assert_empty_store(void);
static int	 set_name(struct tok_rec *, void *);
static int	 set_name_keep(struct tok_rec *, void *);
static int	 set_name_fail(struct tok_rec *, void *);
static int	 count_calls(struct tok_rec *, void *);
static int	 add_scope(struct tok_rec *, void *);
static int	 even_only(const struct tok_rec *, void *);
static void	 insert_many(unsigned char [NLIST][UUID_LEN]);
static void	 insert_child(struct tok_rec *, const unsigned char *,
		    const char *);
static int	 rotate_to(struct tok_rec *, void *);
static int	 clear_prev(struct tok_rec *, void *);
static int	 note_use(struct tok_rec *, void *);
static int	 note_use_keep(struct tok_rec *, void *);
static int	 rename_even(struct tok_rec *, void *);
static int	 guard_spend(struct tok_rec *, void *);
static size_t	 audit_all(struct audit_rec *, size_t);
static int	 audit_detail_is(const struct audit_rec *, void *);
static int	 audit_odd(const struct audit_rec *, void *);
static int	 audit_target_is(const struct audit_rec *, void *);
static int	 audit_none(const struct audit_rec *, void *);
static void	 audit_fill(unsigned char [2][UUID_LEN], unsigned char [UUID_LEN],
		    unsigned char [UUID_LEN], unsigned char [UUID_LEN],
		    unsigned char [UUID_LEN]);
static Suite	*store_suite(void);

/* ---- fixtures and helpers ---- */

static int
rm_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	return remove(path);
}

/* Counts the regular files under dir that contain needle. */
static int
scan_file(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	unsigned char	*p;
	ssize_t		 n;
	size_t		 off;
	int		 fd;

	(void)ftw;
	if (type != FTW_F)
		return 0;
	ck_assert_int_ne(fd = open(path, O_RDONLY), -1);
	p = malloc(sb->st_size > 0 ? (size_t)sb->st_size : 1);
	ck_assert_ptr_nonnull(p);
	for (off = 0; off < (size_t)sb->st_size; off += (size_t)n) {
		n = read(fd, p + off, (size_t)sb->st_size - off);
		ck_assert_int_gt(n, 0);
	}
	close(fd);
	nscanned++;
	if (memmem(p, off, needle, needlelen) != NULL)
		nfound++;
	free(p);
	return 0;
}

static void
dir_setup(void)
{
	snprintf(dir, sizeof(dir), "%s/t.XXXXXX", top);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	st = NULL;
}

static void
store_setup(void)
{
	char	 err[256];

	dir_setup();
	ck_assert_int_eq(store_open(&st, dir, 1, err, sizeof(err)), STORE_OK);
	ck_assert_ptr_nonnull(st);
}

static void
teardown(void)
{
	store_close(st);
	st = NULL;
	if (dir[0] != '\0')
		nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	dir[0] = '\0';
}

static void
store_reopen(void)
{
	char	 err[256];

	store_close(st);
	st = NULL;
	ck_assert_msg(store_open(&st, dir, 0, err, sizeof(err)) == STORE_OK,
	    "reopen: %s", err);
}

static void
read_key(unsigned char key[TOK_KEY_LEN])
{
	char	 path[256];
	int	 fd;

	snprintf(path, sizeof(path), "%s/%s", dir, KEYHOLE_KEYFILE);
	ck_assert_int_ne(fd = open(path, O_RDONLY), -1);
	ck_assert_int_eq(read(fd, key, TOK_KEY_LEN), TOK_KEY_LEN);
	close(fd);
}

/* Every field set to something other than its default. */
static void
rec_fill(struct tok_rec *r)
{
	size_t	 i;

	tok_rec_init(r);
	uuid7_generate(r->id);
	for (i = 0; i < TOK_HASH_LEN; i++)
		r->hash[i] = (unsigned char)(0xa0 + i);
	uuid7_generate(r->created_by);
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
	r->use_count = 12;
	r->updated_at = 1700000400;
	r->rotated_at = 1700000500;
	r->rotations = 3;
	r->grant_expires_at = 1750000000;
	memcpy(r->prev_hint, "pRev", TOK_HINT_LEN + 1);
	buf_puts(&r->last_address, "2001:db8::1");
	buf_puts(&r->last_agent, "curl/8.5.0");
	/* No previous secret: that would be a second key in the hash index. */
}

static void
rec_assert_eq(const struct tok_rec *a, const struct tok_rec *b, int with_id)
{
	if (with_id)
		ck_assert_mem_eq(a->id, b->id, UUID_LEN);
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
	ck_assert_uint_eq(a->name.len, b->name.len);
	ck_assert_str_eq(buf_cstr(&a->name), buf_cstr(&b->name));
	ck_assert_uint_eq(a->description.len, b->description.len);
	ck_assert_str_eq(buf_cstr(&a->description), buf_cstr(&b->description));
	ck_assert_uint_eq(a->organization.len, b->organization.len);
	ck_assert_str_eq(buf_cstr(&a->organization),
	    buf_cstr(&b->organization));
	ck_assert_uint_eq(a->subject.len, b->subject.len);
	ck_assert_str_eq(buf_cstr(&a->subject), buf_cstr(&b->subject));
	ck_assert_uint_eq(a->scopes.len, b->scopes.len);
	ck_assert_str_eq(buf_cstr(&a->scopes), buf_cstr(&b->scopes));
	ck_assert_uint_eq(a->metadata.len, b->metadata.len);
	ck_assert_str_eq(buf_cstr(&a->metadata), buf_cstr(&b->metadata));
	/* "organization" is the entity when none is stored. */
	ck_assert_str_eq(policy_entity_of(a), policy_entity_of(b));
	ck_assert_uint_eq(a->bindings.len, b->bindings.len);
	ck_assert_str_eq(buf_cstr(&a->bindings), buf_cstr(&b->bindings));
	ck_assert_uint_eq(a->direct.len, b->direct.len);
	ck_assert_str_eq(buf_cstr(&a->direct), buf_cstr(&b->direct));
	ck_assert_int_eq(a->has_prev, b->has_prev);
	if (a->has_prev) {
		ck_assert_mem_eq(a->prev_hash, b->prev_hash, TOK_HASH_LEN);
		ck_assert_int_eq(a->grace_until, b->grace_until);
	}
	ck_assert_str_eq(a->prev_hint, b->prev_hint);
	ck_assert_int_eq(a->rotated_at, b->rotated_at);
	ck_assert_int_eq(a->rotations, b->rotations);
	ck_assert_int_eq(a->use_count, b->use_count);
	ck_assert_uint_eq(a->last_address.len, b->last_address.len);
	ck_assert_str_eq(buf_cstr(&a->last_address),
	    buf_cstr(&b->last_address));
	ck_assert_uint_eq(a->last_agent.len, b->last_agent.len);
	ck_assert_str_eq(buf_cstr(&a->last_agent), buf_cstr(&b->last_agent));
	ck_assert_int_eq(a->grant_expires_at, b->grant_expires_at);
	ck_assert_int_eq(a->updated_at, b->updated_at);
}

/* The fields a record written before the token lifecycle has not. */
static void
rec_assert_lifecycle_defaults(const struct tok_rec *r)
{
	ck_assert_uint_eq(r->entity.len, 0);
	ck_assert_str_eq(policy_entity_of(r), "organization");
	ck_assert_uint_eq(r->bindings.len, 0);
	/* Without bindings, the direct scopes are the scopes. */
	ck_assert_str_eq(buf_cstr(&r->direct), buf_cstr(&r->scopes));
	ck_assert_int_eq(r->has_prev, 0);
	ck_assert_int_eq(r->grace_until, 0);
	ck_assert_str_eq(r->prev_hint, "");
	ck_assert_int_eq(r->rotated_at, 0);
	ck_assert_int_eq(r->rotations, 0);
	ck_assert_int_eq(r->use_count, 0);
	ck_assert_uint_eq(r->last_address.len, 0);
	ck_assert_uint_eq(r->last_agent.len, 0);
	ck_assert_int_eq(r->grant_expires_at, 0);
	ck_assert_int_eq(r->updated_at, 0);
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

/* A valid record's fixed part: version 1 and a 32-byte hash. */
static void
enc_header(struct buf *b)
{
	unsigned char	 hash[TOK_HASH_LEN];

	memset(hash, 0x55, sizeof(hash));
	buf_reset(b);
	buf_putc(b, 1);
	buf_append(b, hash, sizeof(hash));
}

static void
mint_admin(const char *scopes, const char *org, int64_t now, char *secret,
    struct tok_rec *out)
{
	struct mint_req	 m;
	enum store_err	 se;

	mint_req_init(&m);
	buf_puts(&m.name, "minted");
	buf_puts(&m.scopes, scopes);
	buf_puts(&m.organization, org);
	ck_assert_int_eq(tokens_mint(st, NULL, &m, now, "127.0.0.1", secret,
	    TOK_SECRET_MAX + 1, out, &se), MINT_OK);
	ck_assert_int_eq(se, STORE_OK);
	mint_req_free(&m);
}

/*
 * A caller bound to acme, expiring in an hour, holding its scopes
 * directly at the organization; not in the store (see caller_store()).
 */
static void
caller_init(struct tok_rec *c, int64_t now)
{
	tok_rec_init(c);
	uuid7_generate(c->id);
	randombytes_buf(c->hash, TOK_HASH_LEN);
	memcpy(c->auth_hash, c->hash, TOK_HASH_LEN);	/* as if authenticated */
	c->created_at = now - HOUR;
	c->expires_at = now + HOUR;
	buf_puts(&c->organization, "acme");
	buf_puts(&c->subject, "alice");
	buf_puts(&c->direct, "protected:read tokens:create tokens:read");
	buf_puts(&c->scopes, "protected:read tokens:create tokens:read");
}

/* A mint re-reads its minter in its own transaction: it must be stored. */
static void
caller_store(const struct tok_rec *c)
{
	ck_assert_int_eq(store_insert(st, c, NULL, NULL, NULL), STORE_OK);
}

static void
assert_empty_store(void)
{
	struct tok_rec	*recs;
	unsigned char	 last[UUID_LEN];
	size_t		 n;
	int		 more;

	recs = tok_recs_new(1);
	ck_assert_int_eq(store_list(st, NULL, NULL, NULL, recs, 1, 100, &n,
	    &more, last), STORE_OK);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(more, 0);
	tok_recs_free(recs, 1);
}

static int
set_name(struct tok_rec *r, void *arg)
{
	buf_reset(&r->name);
	buf_puts(&r->name, arg);
	r->uses_left = 7;
	return 1;
}

static int
set_name_keep(struct tok_rec *r, void *arg)
{
	set_name(r, arg);
	return 0;
}

static int
set_name_fail(struct tok_rec *r, void *arg)
{
	set_name(r, arg);
	return -1;
}

static int
count_calls(struct tok_rec *r, void *arg)
{
	(void)r;
	(*(int *)arg)++;
	return 1;
}

static int
add_scope(struct tok_rec *r, void *arg)
{
	policy_scopes_add(&r->direct, arg, strlen(arg));
	policy_scopes_add(&r->scopes, arg, strlen(arg));
	return 1;
}

static int
even_only(const struct tok_rec *r, void *arg)
{
	(void)arg;
	return r->uses_left % 2 == 0;
}

/* NLIST tokens in id order; token i has uses_left i. */
static void
insert_many(unsigned char ids[NLIST][UUID_LEN])
{
	struct tok_rec	 r;
	size_t		 i;

	for (i = 0; i < NLIST; i++) {
		tok_rec_init(&r);
		uuid7_generate(r.id);
		randombytes_buf(r.hash, TOK_HASH_LEN);
		r.uses_left = (int64_t)i;
		buf_printf(&r.name, "token %zu", i);
		if (i > 0)
			ck_assert_int_lt(memcmp(ids[i - 1], r.id, UUID_LEN), 0);
		memcpy(ids[i], r.id, UUID_LEN);
		ck_assert_int_eq(store_insert(st, &r, NULL, NULL, NULL), STORE_OK);
		tok_rec_free(&r);
	}
}

/* ---- record codec ---- */

START_TEST(test_codec_full)
{
	struct tok_rec	 a, b;
	struct buf	 enc = BUF_INIT;

	rec_fill(&a);
	tok_rec_init(&b);
	rec_encode(&a, &enc);
	ck_assert_int_eq(decode_exact(enc.ptr, enc.len, &b), 0);
	rec_assert_eq(&a, &b, 0);
	buf_free(&enc);
	tok_rec_free(&a);
	tok_rec_free(&b);
}
END_TEST

START_TEST(test_codec_minimal)
{
	static const unsigned char zero[UUID_LEN];
	struct tok_rec	 a, b;
	struct buf	 enc = BUF_INIT;

	tok_rec_init(&a);
	tok_rec_init(&b);
	rec_encode(&a, &enc);
	ck_assert_int_eq(decode_exact(enc.ptr, enc.len, &b), 0);
	ck_assert_int_eq(b.uses_left, -1);
	ck_assert_int_eq(b.created_at, 0);
	ck_assert_int_eq(b.starts_at, 0);
	ck_assert_int_eq(b.expires_at, 0);
	ck_assert_int_eq(b.last_used_at, 0);
	ck_assert_int_eq(b.revoked_at, 0);
	ck_assert_int_eq(b.kind, KIND_STANDARD);
	ck_assert_int_eq(b.format, FORMAT_OPAQUE);
	ck_assert_mem_eq(b.created_by, zero, UUID_LEN);
	ck_assert_str_eq(b.hint, "");
	ck_assert_uint_eq(b.name.len, 0);
	ck_assert_uint_eq(b.description.len, 0);
	ck_assert_uint_eq(b.organization.len, 0);
	ck_assert_uint_eq(b.subject.len, 0);
	ck_assert_uint_eq(b.scopes.len, 0);
	ck_assert_uint_eq(b.metadata.len, 0);
	rec_assert_lifecycle_defaults(&b);
	rec_assert_eq(&a, &b, 0);
	buf_free(&enc);
	tok_rec_free(&a);
	tok_rec_free(&b);
}
END_TEST

START_TEST(test_codec_extremes)
{
	struct tok_rec	 a, b;
	struct buf	 enc = BUF_INIT;

	/* uses_left 0 is not "unlimited"; the largest times survive. */
	tok_rec_init(&a);
	tok_rec_init(&b);
	a.uses_left = 0;
	a.created_at = INT64_MAX;
	a.expires_at = INT64_MAX;
	a.starts_at = 1;
	rec_encode(&a, &enc);
	ck_assert_int_eq(decode_exact(enc.ptr, enc.len, &b), 0);
	ck_assert_int_eq(b.uses_left, 0);
	ck_assert_int_eq(b.created_at, INT64_MAX);
	ck_assert_int_eq(b.expires_at, INT64_MAX);
	ck_assert_int_eq(b.starts_at, 1);
	buf_free(&enc);
	tok_rec_free(&a);
	tok_rec_free(&b);
}
END_TEST

START_TEST(test_codec_decode_resets)
{
	struct tok_rec	 min, r;
	struct buf	 enc = BUF_INIT;

	/* Decoding into a used record leaves nothing of the old one. */
	tok_rec_init(&min);
	rec_fill(&r);
	rec_encode(&min, &enc);
	ck_assert_int_eq(decode_exact(enc.ptr, enc.len, &r), 0);
	rec_assert_eq(&min, &r, 0);
	tok_rec_free(&min);
	tok_rec_free(&r);
	buf_free(&enc);
}
END_TEST

START_TEST(test_decode_empty)
{
	struct tok_rec	 r;

	tok_rec_init(&r);
	ck_assert_int_eq(decode_exact("", 0, &r), -1);
	tok_rec_free(&r);
}
END_TEST

START_TEST(test_decode_version)
{
	static const unsigned char versions[] = { 0, 2, 0x7f, 0xff };
	struct tok_rec	 a, b;
	struct buf	 enc = BUF_INIT;
	size_t		 i;

	rec_fill(&a);
	tok_rec_init(&b);
	rec_encode(&a, &enc);
	ck_assert_int_eq(enc.ptr[0], 1);
	for (i = 0; i < NITEMS(versions); i++) {
		enc.ptr[0] = (char)versions[i];
		ck_assert_msg(decode_exact(enc.ptr, enc.len, &b) == -1,
		    "version byte %u accepted", versions[i]);
	}
	buf_free(&enc);
	tok_rec_free(&a);
	tok_rec_free(&b);
}
END_TEST

START_TEST(test_decode_short)
{
	struct tok_rec	 a, b;
	struct buf	 enc = BUF_INIT;
	size_t		 len;

	rec_fill(&a);
	tok_rec_init(&b);
	rec_encode(&a, &enc);
	ck_assert_uint_gt(enc.len, 1 + TOK_HASH_LEN);
	for (len = 0; len < 1 + TOK_HASH_LEN; len++)
		ck_assert_msg(decode_exact(enc.ptr, len, &b) == -1,
		    "a %zu-byte prefix decoded", len);
	buf_free(&enc);
	tok_rec_free(&a);
	tok_rec_free(&b);
}
END_TEST

START_TEST(test_decode_field_past_end)
{
	struct tok_rec	 a, b;
	struct buf	 enc = BUF_INIT;

	/* The last field (updated_at) loses its last byte. */
	rec_fill(&a);
	tok_rec_init(&b);
	rec_encode(&a, &enc);
	ck_assert_int_eq(decode_exact(enc.ptr, enc.len, &b), 0);
	ck_assert_int_eq(decode_exact(enc.ptr, enc.len - 1, &b), -1);

	/* A name claiming 5 bytes with 2 left. */
	enc_header(&enc);
	buf_append(&enc, "\x0b\x05" "ab", 4);
	ck_assert_int_eq(decode_exact(enc.ptr, enc.len, &b), -1);

	/* A length whose varint never ends. */
	enc_header(&enc);
	buf_append(&enc, "\x0b\x80", 2);
	ck_assert_int_eq(decode_exact(enc.ptr, enc.len, &b), -1);

	/* A tag with no length at all. */
	enc_header(&enc);
	buf_append(&enc, "\x0b", 1);
	ck_assert_int_eq(decode_exact(enc.ptr, enc.len, &b), -1);

	buf_free(&enc);
	tok_rec_free(&a);
	tok_rec_free(&b);
}
END_TEST

START_TEST(test_decode_hint_too_long)
{
	struct tok_rec	 r;
	struct buf	 enc = BUF_INIT;

	tok_rec_init(&r);
	enc_header(&enc);
	buf_append(&enc, "\x0a\x04" "abcd", 6);
	ck_assert_int_eq(decode_exact(enc.ptr, enc.len, &r), 0);
	ck_assert_str_eq(r.hint, "abcd");

	enc_header(&enc);
	buf_append(&enc, "\x0a\x05" "abcde", 7);
	ck_assert_int_eq(decode_exact(enc.ptr, enc.len, &r), -1);
	buf_free(&enc);
	tok_rec_free(&r);
}
END_TEST

START_TEST(test_decode_unknown_tag)
{
	static const struct {
		const char	*bytes;
		size_t		 len;
	} t[] = {
		{ "\x7f\x01" "x", 3 },
		{ "\x7f\x03" "\xff\xff\xff", 5 },	/* not a varint: never read */
		{ "\x7f\x00", 2 },
	};
	struct tok_rec	 a, b;
	struct buf	 enc = BUF_INIT;
	size_t		 i;

	rec_fill(&a);
	tok_rec_init(&b);
	for (i = 0; i < NITEMS(t); i++) {
		rec_encode(&a, &enc);
		buf_append(&enc, t[i].bytes, t[i].len);
		ck_assert_msg(decode_exact(enc.ptr, enc.len, &b) == 0,
		    "row %zu: unknown tag refused", i);
		rec_assert_eq(&a, &b, 0);
	}
	buf_free(&enc);
	tok_rec_free(&a);
	tok_rec_free(&b);
}
END_TEST

START_TEST(test_codec_lifecycle_ints)
{
	static const struct {
		const char	*field;
		size_t		 off;
		int64_t		 v;
	} t[] = {
		{ "rotated_at", offsetof(struct tok_rec, rotated_at), 1 },
		{ "rotated_at", offsetof(struct tok_rec, rotated_at),
		    1700000000 },
		{ "rotated_at", offsetof(struct tok_rec, rotated_at), INT64_MAX },
		{ "rotations", offsetof(struct tok_rec, rotations), 1 },
		{ "rotations", offsetof(struct tok_rec, rotations), 300 },
		{ "use_count", offsetof(struct tok_rec, use_count), 1 },
		{ "use_count", offsetof(struct tok_rec, use_count),
		    INT64_C(1) << 40 },
		{ "use_count", offsetof(struct tok_rec, use_count), INT64_MAX },
		{ "grant_expires_at", offsetof(struct tok_rec, grant_expires_at),
		    1800000000 },
		{ "grant_expires_at", offsetof(struct tok_rec, grant_expires_at),
		    INT64_MAX },
		{ "updated_at", offsetof(struct tok_rec, updated_at), 127 },
		{ "updated_at", offsetof(struct tok_rec, updated_at), 128 },
		{ "updated_at", offsetof(struct tok_rec, updated_at), INT64_MAX },
	};
	struct tok_rec	 a, b;
	struct buf	 enc = BUF_INIT;
	size_t		 i;

	/* Each field alone survives, into a record that held everything. */
	for (i = 0; i < NITEMS(t); i++) {
		tok_rec_init(&a);
		rec_fill(&b);
		*(int64_t *)(void *)((char *)&a + t[i].off) = t[i].v;
		rec_encode(&a, &enc);
		ck_assert_msg(decode_exact(enc.ptr, enc.len, &b) == 0,
		    "row %zu: %s %lld refused", i, t[i].field,
		    (long long)t[i].v);
		ck_assert_msg(*(int64_t *)(void *)((char *)&b + t[i].off) ==
		    t[i].v, "row %zu: %s decoded as %lld", i, t[i].field,
		    (long long)*(int64_t *)(void *)((char *)&b + t[i].off));
		rec_assert_eq(&a, &b, 0);
		tok_rec_free(&a);
		tok_rec_free(&b);
	}
	buf_free(&enc);
}
END_TEST

START_TEST(test_codec_lifecycle_strings)
{
	static const char agent[] =
	    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like "
	    "Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0 "
	    "with \"quotes\", \\backslashes\\ and \xc3\xa9 to reach two hundred "
	    "bytes .....................";
	static const struct {
		const char	*field;
		size_t		 off;
		const char	*v;
		const char	*want;		/* as decoded; NULL: v */
	} t[] = {
		/* The organization is not stored: it is what absence means. */
		{ "entity", offsetof(struct tok_rec, entity), "organization",
		    "" },
		{ "entity", offsetof(struct tok_rec, entity), "workspace:a",
		    NULL },
		{ "entity", offsetof(struct tok_rec, entity), "deployment:"
		    "0123456789012345678901234567890123456789012345678901234567890123",
		    NULL },
		{ "bindings", offsetof(struct tok_rec, bindings),
		    "ADMIN@organization", NULL },
		{ "bindings", offsetof(struct tok_rec, bindings),
		    "WORKSPACE_MEMBER@workspace:a WORKSPACE_OWNER@workspace:b "
		    "read-only@group:g", NULL },
		{ "last_address", offsetof(struct tok_rec, last_address),
		    "192.0.2.1", NULL },
		{ "last_address", offsetof(struct tok_rec, last_address),
		    "2001:db8::ffff:192.0.2.1", NULL },
		{ "last_agent", offsetof(struct tok_rec, last_agent), "x",
		    NULL },
		{ "last_agent", offsetof(struct tok_rec, last_agent), agent,
		    NULL },
	};
	const char	*want;
	struct tok_rec	 a, b;
	struct buf	 enc = BUF_INIT, *f;
	size_t		 i;

	ck_assert_uint_eq(strlen(agent), AGENT_MAXBYTES);
	for (i = 0; i < NITEMS(t); i++) {
		tok_rec_init(&a);
		rec_fill(&b);
		buf_puts((struct buf *)(void *)((char *)&a + t[i].off), t[i].v);
		rec_encode(&a, &enc);
		ck_assert_msg(decode_exact(enc.ptr, enc.len, &b) == 0,
		    "row %zu: %s refused", i, t[i].field);
		f = (struct buf *)(void *)((char *)&b + t[i].off);
		want = t[i].want != NULL ? t[i].want : t[i].v;
		ck_assert_msg(f->len == strlen(want) &&
		    strcmp(buf_cstr(f), want) == 0,
		    "row %zu: %s decoded as \"%s\"", i, t[i].field, buf_cstr(f));
		rec_assert_eq(&a, &b, 0);
		tok_rec_free(&a);
		tok_rec_free(&b);
	}
	buf_free(&enc);
}
END_TEST

START_TEST(test_codec_direct)
{
	static const struct {
		const char	*bindings, *direct, *scopes;
	} t[] = {
		/* No bindings: the direct scopes are the effective ones. */
		{ "", "", "" },
		{ "", "db:read", "db:read" },
		{ "", "*:read db:write tokens:*", "*:read db:write tokens:*" },
		{ "ADMIN@organization", "", "*" },
		{ "ADMIN@organization", "db:read", "* db:read" },
		{ "EXTERNAL@organization", "*:write", "*:read *:write" },
		{ "WORKSPACE_MEMBER@workspace:a", "*:read", "*:read" },
	};
	struct tok_rec	 a, b;
	struct buf	 enc = BUF_INIT;
	size_t		 i;

	for (i = 0; i < NITEMS(t); i++) {
		tok_rec_init(&a);
		rec_fill(&b);
		buf_puts(&a.bindings, t[i].bindings);
		buf_puts(&a.direct, t[i].direct);
		buf_puts(&a.scopes, t[i].scopes);
		rec_encode(&a, &enc);
		ck_assert_int_eq(decode_exact(enc.ptr, enc.len, &b), 0);
		ck_assert_msg(strcmp(buf_cstr(&b.direct), t[i].direct) == 0,
		    "row %zu: direct \"%s\", want \"%s\"", i,
		    buf_cstr(&b.direct), t[i].direct);
		ck_assert_str_eq(buf_cstr(&b.bindings), t[i].bindings);
		ck_assert_str_eq(buf_cstr(&b.scopes), t[i].scopes);
		rec_assert_eq(&a, &b, 0);
		tok_rec_free(&a);
		tok_rec_free(&b);
	}
	buf_free(&enc);
}
END_TEST

START_TEST(test_decode_direct_stored)
{
	struct tok_rec	 r;
	struct buf	 enc = BUF_INIT;

	/*
	 * Tag 19 present without bindings (as the encoder of e5d098f
	 * wrote every record): the direct scopes are those stored, once.
	 */
	enc_header(&enc);
	buf_append(&enc, "\x0f\x07" "db:read", 9);		/* scopes */
	buf_append(&enc, "\x13\x07" "db:read", 9);		/* direct */
	tok_rec_init(&r);
	ck_assert_int_eq(decode_exact(enc.ptr, enc.len, &r), 0);
	ck_assert_str_eq(buf_cstr(&r.scopes), "db:read");
	ck_assert_str_eq(buf_cstr(&r.direct), "db:read");
	buf_free(&enc);
	tok_rec_free(&r);
}
END_TEST

START_TEST(test_codec_prev)
{
	static const struct {
		int		 has_prev;
		int64_t		 grace_until;
		const char	*prev_hint;
		int64_t		 want_grace;	/* as decoded */
	} t[] = {
		{ 1, 1700000600, "oLd1", 1700000600 },
		{ 1, INT64_MAX, "abcd", INT64_MAX },
		{ 1, 0, "", 0 },
		{ 1, 1700000600, "", 1700000600 },
		{ 0, 0, "oLd1", 0 },
		/* grace_until is stored only with a previous secret. */
		{ 0, 1700000600, "oLd1", 0 },
	};
	struct tok_rec	 a, b;
	struct buf	 enc = BUF_INIT;
	size_t		 i, j;

	for (i = 0; i < NITEMS(t); i++) {
		rec_fill(&a);
		tok_rec_init(&b);
		a.has_prev = t[i].has_prev;
		for (j = 0; j < TOK_HASH_LEN; j++)
			a.prev_hash[j] = (unsigned char)(0x30 + i + j);
		a.grace_until = t[i].grace_until;
		memcpy(a.prev_hint, t[i].prev_hint, strlen(t[i].prev_hint) + 1);
		rec_encode(&a, &enc);
		ck_assert_msg(decode_exact(enc.ptr, enc.len, &b) == 0,
		    "row %zu refused", i);
		ck_assert_msg(b.has_prev == t[i].has_prev, "row %zu: has_prev %d",
		    i, b.has_prev);
		if (t[i].has_prev)
			ck_assert_mem_eq(b.prev_hash, a.prev_hash, TOK_HASH_LEN);
		ck_assert_msg(b.grace_until == t[i].want_grace,
		    "row %zu: grace_until %lld", i, (long long)b.grace_until);
		ck_assert_str_eq(b.prev_hint, t[i].prev_hint);
		/* The current hash is not the previous one. */
		ck_assert_mem_eq(b.hash, a.hash, TOK_HASH_LEN);
		rec_assert_eq(&a, &b, 0);

		/* Decoding over a record with a previous secret clears it. */
		tok_rec_free(&a);
		rec_encode(&a, &enc);
		ck_assert_int_eq(decode_exact(enc.ptr, enc.len, &b), 0);
		rec_assert_lifecycle_defaults(&b);
		tok_rec_free(&a);
		tok_rec_free(&b);
	}
	buf_free(&enc);
}
END_TEST

START_TEST(test_codec_old_record)
{
	struct tok_rec	 r;
	struct buf	 enc = BUF_INIT;

	/* A record as written before the lifecycle fields existed. */
	enc_header(&enc);
	buf_append(&enc, "\x02\x05" "\x80\xe2\xcf\xaa\x06", 7);	/* created_at */
	buf_append(&enc, "\x0a\x04" "wXyZ", 6);			/* hint */
	buf_append(&enc, "\x0b\x03" "old", 5);			/* name */
	buf_append(&enc, "\x0d\x04" "acme", 6);			/* organization */
	buf_append(&enc, "\x0f\x0b" "tokens:read", 13);		/* scopes */

	/* Into a record that held every new field, a previous secret too. */
	rec_fill(&r);
	r.has_prev = 1;
	r.grace_until = 1700000600;
	ck_assert_int_eq(decode_exact(enc.ptr, enc.len, &r), 0);
	ck_assert_int_eq(r.created_at, 1700000000);
	ck_assert_str_eq(r.hint, "wXyZ");
	ck_assert_str_eq(buf_cstr(&r.name), "old");
	ck_assert_str_eq(buf_cstr(&r.organization), "acme");
	ck_assert_str_eq(buf_cstr(&r.scopes), "tokens:read");
	ck_assert_str_eq(buf_cstr(&r.direct), "tokens:read");
	ck_assert_int_eq(r.uses_left, -1);
	rec_assert_lifecycle_defaults(&r);
	buf_free(&enc);
	tok_rec_free(&r);
}
END_TEST

START_TEST(test_decode_lifecycle_bad)
{
	static const struct {
		const char	*bytes;
		size_t		 len;
		int		 rc;
	} t[] = {
		/* previous hash: exactly 32 bytes */
		{ "\x14\x20" "0123456789abcdef0123456789abcdef", 34, 0 },
		{ "\x14\x1f" "0123456789abcdef0123456789abcde", 33, -1 },
		{ "\x14\x21" "0123456789abcdef0123456789abcdef!", 35, -1 },
		{ "\x14\x00", 2, -1 },
		/* previous hint: at most 4 bytes */
		{ "\x16\x04" "abcd", 6, 0 },
		{ "\x16\x00", 2, 0 },
		{ "\x16\x05" "abcde", 7, -1 },
		/* integers: a varint that ends, within its field */
		{ "\x15\x01" "\x7f", 3, 0 },
		{ "\x18\x01" "\x80", 3, -1 },
		{ "\x19\x00", 2, -1 },
		{ "\x1d\x02" "\x80\x80", 4, -1 },
		{ "\x17\x0a" "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 12,
		    -1 },					/* > INT64_MAX */
		{ "\x17\x09" "\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 11, 0 },
		/* strings claiming more than there is */
		{ "\x11\x05" "abc", 5, -1 },
		{ "\x12\x80", 2, -1 },
		{ "\x1b", 1, -1 },
	};
	struct tok_rec	 r;
	struct buf	 enc = BUF_INIT;
	size_t		 i;

	tok_rec_init(&r);
	for (i = 0; i < NITEMS(t); i++) {
		enc_header(&enc);
		buf_append(&enc, t[i].bytes, t[i].len);
		ck_assert_msg(decode_exact(enc.ptr, enc.len, &r) == t[i].rc,
		    "row %zu: not %d", i, t[i].rc);
	}
	/* The 32-byte previous hash sets has_prev. */
	enc_header(&enc);
	buf_append(&enc, t[0].bytes, t[0].len);
	ck_assert_int_eq(decode_exact(enc.ptr, enc.len, &r), 0);
	ck_assert_int_eq(r.has_prev, 1);
	ck_assert_mem_eq(r.prev_hash, "0123456789abcdef0123456789abcdef",
	    TOK_HASH_LEN);
	buf_free(&enc);
	tok_rec_free(&r);
}
END_TEST

/* ---- opening ---- */

START_TEST(test_open_create)
{
	unsigned char	 key[TOK_KEY_LEN];
	char		 err[256];

	ck_assert_int_eq(store_open(&st, dir, 1, err, sizeof(err)), STORE_OK);
	ck_assert_ptr_nonnull(st);
	read_key(key);
	ck_assert_mem_eq(store_hashkey(st), key, TOK_KEY_LEN);
	assert_empty_store();
}
END_TEST

START_TEST(test_open_create_twice)
{
	unsigned char	 before[TOK_KEY_LEN], after[TOK_KEY_LEN];
	struct store	*st2 = (struct store *)1;
	char		 err[256];

	ck_assert_int_eq(store_open(&st, dir, 1, err, sizeof(err)), STORE_OK);
	read_key(before);
	store_close(st);
	st = NULL;
	err[0] = '\0';
	ck_assert_int_ne(store_open(&st2, dir, 1, err, sizeof(err)), STORE_OK);
	ck_assert_ptr_null(st2);
	ck_assert_str_ne(err, "");
	/* The existing key was not overwritten. */
	read_key(after);
	ck_assert_mem_eq(before, after, TOK_KEY_LEN);
	store_reopen();
	ck_assert_mem_eq(store_hashkey(st), before, TOK_KEY_LEN);
}
END_TEST

START_TEST(test_open_missing)
{
	char	 err[256];

	err[0] = '\0';
	ck_assert_int_ne(store_open(&st, dir, 0, err, sizeof(err)), STORE_OK);
	ck_assert_ptr_null(st);
	ck_assert_str_ne(err, "");
	ck_assert_str_ne(err, "unknown error");
	ck_assert_ptr_nonnull(strstr(err, KEYHOLE_KEYFILE));
}
END_TEST

START_TEST(test_open_no_databases)
{
	unsigned char	 key[TOK_KEY_LEN];
	char		 path[256], err[256];
	int		 fd;

	/* A key but no databases: not a store, and open does not make one. */
	memset(key, 0x11, sizeof(key));
	snprintf(path, sizeof(path), "%s/%s", dir, KEYHOLE_KEYFILE);
	ck_assert_int_ne(fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600),
	    -1);
	ck_assert_int_eq(write(fd, key, sizeof(key)), sizeof(key));
	close(fd);
	err[0] = '\0';
	ck_assert_int_ne(store_open(&st, dir, 0, err, sizeof(err)), STORE_OK);
	ck_assert_ptr_null(st);
	ck_assert_ptr_nonnull(strstr(err, "no store here"));
}
END_TEST

/* ---- insert and get ---- */

START_TEST(test_insert_get)
{
	struct tok_rec	 a, b;

	rec_fill(&a);
	tok_rec_init(&b);
	ck_assert_int_eq(store_insert(st, &a, NULL, NULL, NULL), STORE_OK);
	ck_assert_int_eq(store_get(st, a.id, &b), STORE_OK);
	rec_assert_eq(&a, &b, 1);
	tok_rec_free(&a);
	tok_rec_free(&b);
}
END_TEST

START_TEST(test_insert_get_by_hash)
{
	struct tok_rec	 a, b;
	struct audit_ev	 ev;

	rec_fill(&a);
	tok_rec_init(&b);
	memset(&ev, 0, sizeof(ev));
	ev.at = a.created_at;
	ev.event = "token.created";
	ev.target = a.id;
	ck_assert_int_eq(store_insert(st, &a, &ev, NULL, NULL), STORE_OK);
	ck_assert_int_eq(store_get_by_hash(st, a.hash, &b), STORE_OK);
	rec_assert_eq(&a, &b, 1);
	tok_rec_free(&a);
	tok_rec_free(&b);
}
END_TEST

START_TEST(test_get_unknown)
{
	unsigned char	 id[UUID_LEN];
	struct tok_rec	 a, b;

	rec_fill(&a);
	tok_rec_init(&b);
	ck_assert_int_eq(store_insert(st, &a, NULL, NULL, NULL), STORE_OK);
	uuid7_generate(id);
	ck_assert_int_eq(store_get(st, id, &b), STORE_NOTFOUND);
	tok_rec_free(&a);
	tok_rec_free(&b);
}
END_TEST

START_TEST(test_insert_twice)
{
	struct tok_rec	 a, b, c;

	rec_fill(&a);
	tok_rec_init(&c);
	ck_assert_int_eq(store_insert(st, &a, NULL, NULL, NULL), STORE_OK);
	/* Same id, other contents (and hash): refused, first one kept. */
	rec_fill(&b);
	memcpy(b.id, a.id, UUID_LEN);
	b.hash[0] ^= 0xff;
	buf_reset(&b.name);
	buf_puts(&b.name, "second");
	ck_assert_int_eq(store_insert(st, &b, NULL, NULL, NULL), STORE_EXISTS);
	ck_assert_int_eq(store_insert(st, &a, NULL, NULL, NULL), STORE_EXISTS);
	ck_assert_int_eq(store_get(st, a.id, &c), STORE_OK);
	rec_assert_eq(&a, &c, 1);
	ck_assert_int_eq(store_get_by_hash(st, b.hash, &c), STORE_NOTFOUND);
	tok_rec_free(&a);
	tok_rec_free(&b);
	tok_rec_free(&c);
}
END_TEST

START_TEST(test_insert_same_hash)
{
	struct tok_rec	 a, b, c;
	enum store_err	 e, ge, he;
	int		 same;

	/*
	 * Another id with an existing hash: refused as STORE_EXISTS, which
	 * is what tokens_mint() retries on.  Results are checked after the
	 * records are freed, so a failure leaves valgrind nothing to report.
	 */
	rec_fill(&a);
	rec_fill(&b);
	tok_rec_init(&c);
	ck_assert_int_eq(store_insert(st, &a, NULL, NULL, NULL), STORE_OK);
	e = store_insert(st, &b, NULL, NULL, NULL);
	ge = store_get(st, b.id, &c);
	he = store_get_by_hash(st, a.hash, &c);
	same = memcmp(c.id, a.id, UUID_LEN) == 0;
	tok_rec_free(&a);
	tok_rec_free(&b);
	tok_rec_free(&c);
	ck_assert_int_eq(e, STORE_EXISTS);
	ck_assert_int_eq(ge, STORE_NOTFOUND);
	ck_assert_int_eq(he, STORE_OK);
	ck_assert_int_eq(same, 1);
}
END_TEST

START_TEST(test_get_by_hash_unknown)
{
	unsigned char	 hash[TOK_HASH_LEN];
	struct tok_rec	 a, b;

	rec_fill(&a);
	tok_rec_init(&b);
	ck_assert_int_eq(store_insert(st, &a, NULL, NULL, NULL), STORE_OK);
	memcpy(hash, a.hash, sizeof(hash));
	hash[TOK_HASH_LEN - 1] ^= 1;
	ck_assert_int_eq(store_get_by_hash(st, hash, &b), STORE_NOTFOUND);
	memset(hash, 0, sizeof(hash));
	ck_assert_int_eq(store_get_by_hash(st, hash, &b), STORE_NOTFOUND);
	tok_rec_free(&a);
	tok_rec_free(&b);
}
END_TEST

/* ---- modify ---- */

START_TEST(test_modify_persists)
{
	struct tok_rec	 a, b;

	rec_fill(&a);
	tok_rec_init(&b);
	ck_assert_int_eq(store_insert(st, &a, NULL, NULL, NULL), STORE_OK);
	ck_assert_int_eq(store_modify(st, a.id, set_name, "renamed", NULL, 0),
	    STORE_OK);
	ck_assert_int_eq(store_get(st, a.id, &b), STORE_OK);
	ck_assert_str_eq(buf_cstr(&b.name), "renamed");
	ck_assert_int_eq(b.uses_left, 7);
	/* The rest is untouched, and the hash index still finds it. */
	buf_reset(&a.name);
	buf_puts(&a.name, "renamed");
	a.uses_left = 7;
	rec_assert_eq(&a, &b, 1);
	ck_assert_int_eq(store_get_by_hash(st, a.hash, &b), STORE_OK);
	rec_assert_eq(&a, &b, 1);
	tok_rec_free(&a);
	tok_rec_free(&b);
}
END_TEST

START_TEST(test_modify_unchanged)
{
	struct tok_rec	 a, b;

	rec_fill(&a);
	tok_rec_init(&b);
	ck_assert_int_eq(store_insert(st, &a, NULL, NULL, NULL), STORE_OK);
	ck_assert_int_eq(store_modify(st, a.id, set_name_keep, "renamed",
	    NULL, 0), STORE_OK);
	ck_assert_int_eq(store_get(st, a.id, &b), STORE_OK);
	rec_assert_eq(&a, &b, 1);
	tok_rec_free(&a);
	tok_rec_free(&b);
}
END_TEST

START_TEST(test_modify_fn_fails)
{
	struct tok_rec	 a, b;

	rec_fill(&a);
	tok_rec_init(&b);
	ck_assert_int_eq(store_insert(st, &a, NULL, NULL, NULL), STORE_OK);
	ck_assert_int_eq(store_modify(st, a.id, set_name_fail, "renamed",
	    NULL, 0), STORE_OK);
	ck_assert_int_eq(store_get(st, a.id, &b), STORE_OK);
	rec_assert_eq(&a, &b, 1);
	tok_rec_free(&a);
	tok_rec_free(&b);
}
END_TEST

START_TEST(test_modify_unknown)
{
	unsigned char	 id[UUID_LEN];
	int		 calls = 0;

	uuid7_generate(id);
	ck_assert_int_eq(store_modify(st, id, count_calls, &calls, NULL,
	    0), STORE_NOTFOUND);
	ck_assert_int_eq(calls, 0);
}
END_TEST

/* ---- list ---- */

START_TEST(test_list_pages)
{
	unsigned char	 ids[NLIST][UUID_LEN], last[UUID_LEN];
	struct tok_rec	*recs;
	size_t		 n, i;
	int		 more;

	insert_many(ids);
	recs = tok_recs_new(10);

	ck_assert_int_eq(store_list(st, NULL, NULL, NULL, recs, 10, 1000, &n,
	    &more, last), STORE_OK);
	ck_assert_uint_eq(n, 10);
	ck_assert_int_eq(more, 1);
	ck_assert_mem_eq(last, ids[9], UUID_LEN);
	for (i = 0; i < n; i++) {
		ck_assert_mem_eq(recs[i].id, ids[i], UUID_LEN);
		ck_assert_int_eq(recs[i].uses_left, (int64_t)i);
	}

	ck_assert_int_eq(store_list(st, last, NULL, NULL, recs, 10, 1000, &n,
	    &more, last), STORE_OK);
	ck_assert_uint_eq(n, 10);
	ck_assert_int_eq(more, 1);
	ck_assert_mem_eq(last, ids[19], UUID_LEN);
	for (i = 0; i < n; i++) {
		ck_assert_mem_eq(recs[i].id, ids[10 + i], UUID_LEN);
		ck_assert_int_eq(recs[i].uses_left, (int64_t)(10 + i));
	}

	ck_assert_int_eq(store_list(st, last, NULL, NULL, recs, 10, 1000, &n,
	    &more, last), STORE_OK);
	ck_assert_uint_eq(n, 5);
	ck_assert_int_eq(more, 0);
	ck_assert_mem_eq(last, ids[24], UUID_LEN);
	for (i = 0; i < n; i++) {
		ck_assert_mem_eq(recs[i].id, ids[20 + i], UUID_LEN);
		ck_assert_int_eq(recs[i].uses_left, (int64_t)(20 + i));
	}
	tok_recs_free(recs, 10);
}
END_TEST

START_TEST(test_list_exact_page)
{
	unsigned char	 ids[NLIST][UUID_LEN], last[UUID_LEN];
	struct tok_rec	*recs;
	size_t		 n;
	int		 more;

	/* A page that takes the last record says there is no more. */
	insert_many(ids);
	recs = tok_recs_new(NLIST);
	ck_assert_int_eq(store_list(st, NULL, NULL, NULL, recs, NLIST, 1000,
	    &n, &more, last), STORE_OK);
	ck_assert_uint_eq(n, NLIST);
	ck_assert_int_eq(more, 0);
	ck_assert_mem_eq(last, ids[NLIST - 1], UUID_LEN);
	tok_recs_free(recs, NLIST);
}
END_TEST

/* Revokes a record (store_modify). */
static int
set_revoked(struct tok_rec *r, void *arg)
{
	(void)arg;
	r->revoked_at = 1;
	return 1;
}

/* Keeps tokens whose uses_left is even. */
static int
even_uses(const struct tok_rec *r, void *arg)
{
	(void)arg;
	return r->uses_left % 2 == 0;
}

/*
 * The counted lists: an organization's and a workspace's, exact totals,
 * pages at an offset either way, after and before a token, filters, and
 * a revoked token leaving every list but the one of all its tokens.
 */
START_TEST(test_list_index)
{
	unsigned char	 ids[NLIST][UUID_LEN];
	struct tok_rec	 r, *recs;
	struct buf	 org = BUF_INIT, ws = BUF_INIT, all = BUF_INIT;
	struct list_at	 at;
	struct list_got	 got;
	size_t		 i;

	for (i = 0; i < NLIST; i++) {
		tok_rec_init(&r);
		uuid7_generate(r.id);
		randombytes_buf(r.hash, TOK_HASH_LEN);
		r.uses_left = (int64_t)i;
		buf_puts(&r.organization, i < 20 ? "acme" : "beta");
		/* Every third of acme's is bound in workspace w. */
		if (i < 20 && i % 3 == 0)
			buf_puts(&r.bindings, "WORKSPACE_MEMBER@workspace:w");
		memcpy(ids[i], r.id, UUID_LEN);
		ck_assert_int_eq(store_insert(st, &r, NULL, NULL, NULL), STORE_OK);
		tok_rec_free(&r);
	}
	recs = tok_recs_new(NLIST);
	store_list_key(&org, LIST_ORG, "acme", NULL, NULL);
	store_list_key(&ws, LIST_ENTITY, "acme", "workspace:w", NULL);
	store_list_key(&all, LIST_ORG_ALL, "acme", NULL, NULL);
	memset(&at, 0, sizeof(at));

	at.prefix = &org;
	ck_assert_int_eq(store_list_page(st, &at, recs, 5, &got), STORE_OK);
	ck_assert_uint_eq(got.total, 20);
	ck_assert_uint_eq(got.n, 5);
	ck_assert_int_eq(got.more, 1);
	for (i = 0; i < 5; i++)
		ck_assert_mem_eq(recs[i].id, ids[i], UUID_LEN);
	at.offset = 17;
	ck_assert_int_eq(store_list_page(st, &at, recs, 5, &got), STORE_OK);
	ck_assert_uint_eq(got.n, 3);
	ck_assert_int_eq(got.more, 0);
	ck_assert_mem_eq(recs[0].id, ids[17], UUID_LEN);
	ck_assert_mem_eq(got.last, ids[19], UUID_LEN);
	at.desc = 1;
	at.offset = 1;
	ck_assert_int_eq(store_list_page(st, &at, recs, 2, &got), STORE_OK);
	ck_assert_uint_eq(got.n, 2);
	ck_assert_mem_eq(recs[0].id, ids[18], UUID_LEN);
	ck_assert_mem_eq(recs[1].id, ids[17], UUID_LEN);
	at.offset = 40;
	ck_assert_int_eq(store_list_page(st, &at, recs, 2, &got), STORE_OK);
	ck_assert_uint_eq(got.n, 0);
	ck_assert_uint_eq(got.total, 20);

	/* After and before a token. */
	at.offset = 0;
	at.desc = 0;
	at.from = ids[4];
	ck_assert_int_eq(store_list_page(st, &at, recs, 2, &got), STORE_OK);
	ck_assert_mem_eq(recs[0].id, ids[5], UUID_LEN);
	ck_assert_mem_eq(recs[1].id, ids[6], UUID_LEN);
	at.desc = 1;
	ck_assert_int_eq(store_list_page(st, &at, recs, 2, &got), STORE_OK);
	ck_assert_mem_eq(recs[0].id, ids[3], UUID_LEN);
	ck_assert_mem_eq(recs[1].id, ids[2], UUID_LEN);

	/* The workspace's list: 0, 3, ..., 18. */
	memset(&at, 0, sizeof(at));
	at.prefix = &ws;
	ck_assert_int_eq(store_list_page(st, &at, recs, NLIST, &got), STORE_OK);
	ck_assert_uint_eq(got.total, 7);
	ck_assert_uint_eq(got.n, 7);
	for (i = 0; i < 7; i++)
		ck_assert_mem_eq(recs[i].id, ids[3 * i], UUID_LEN);

	/* A filter keeps what it matches, and bounds what it looks at. */
	memset(&at, 0, sizeof(at));
	at.prefix = &org;
	at.match = even_uses;
	ck_assert_int_eq(store_list_page(st, &at, recs, NLIST, &got), STORE_OK);
	ck_assert_uint_eq(got.n, 10);
	ck_assert_mem_eq(recs[1].id, ids[2], UUID_LEN);
	at.scanmax = 5;
	ck_assert_int_eq(store_list_page(st, &at, recs, NLIST, &got), STORE_OK);
	ck_assert_uint_eq(got.n, 3);
	ck_assert_int_eq(got.more, 1);
	ck_assert_mem_eq(got.last, ids[4], UUID_LEN);

	/* Revoked: out of its lists and their totals, still among all. */
	ck_assert_int_eq(store_modify(st, ids[3], set_revoked, NULL, NULL, 0),
	    STORE_OK);
	memset(&at, 0, sizeof(at));
	at.prefix = &org;
	ck_assert_int_eq(store_list_page(st, &at, recs, NLIST, &got), STORE_OK);
	ck_assert_uint_eq(got.total, 19);
	at.prefix = &ws;
	ck_assert_int_eq(store_list_page(st, &at, recs, NLIST, &got), STORE_OK);
	ck_assert_uint_eq(got.total, 6);
	at.prefix = &all;
	ck_assert_int_eq(store_list_page(st, &at, recs, NLIST, &got), STORE_OK);
	ck_assert_uint_eq(got.total, 20);

	tok_recs_free(recs, NLIST);
	buf_free(&org);
	buf_free(&ws);
	buf_free(&all);
}
END_TEST

START_TEST(test_list_match)
{
	unsigned char	 ids[NLIST][UUID_LEN], last[UUID_LEN];
	struct tok_rec	*recs;
	size_t		 n, i;
	int		 more;

	insert_many(ids);
	recs = tok_recs_new(NLIST);
	ck_assert_int_eq(store_list(st, NULL, even_only, NULL, recs, NLIST,
	    1000, &n, &more, last), STORE_OK);
	ck_assert_uint_eq(n, 13);
	ck_assert_int_eq(more, 0);
	for (i = 0; i < n; i++) {
		ck_assert_mem_eq(recs[i].id, ids[2 * i], UUID_LEN);
		ck_assert_int_eq(recs[i].uses_left, (int64_t)(2 * i));
	}

	/* A filtered page of 5: tokens 0..8, then more from after 8. */
	ck_assert_int_eq(store_list(st, NULL, even_only, NULL, recs, 5,
	    1000, &n, &more, last), STORE_OK);
	ck_assert_uint_eq(n, 5);
	ck_assert_int_eq(more, 1);
	ck_assert_int_eq(recs[4].uses_left, 8);
	ck_assert_mem_eq(last, ids[8], UUID_LEN);
	ck_assert_int_eq(store_list(st, last, even_only, NULL, recs, 5,
	    1000, &n, &more, last), STORE_OK);
	ck_assert_uint_eq(n, 5);
	ck_assert_int_eq(recs[0].uses_left, 10);
	ck_assert_int_eq(recs[4].uses_left, 18);
	tok_recs_free(recs, NLIST);
}
END_TEST

START_TEST(test_list_scanmax)
{
	unsigned char	 ids[NLIST][UUID_LEN], last[UUID_LEN];
	struct tok_rec	*recs;
	size_t		 n;
	int		 more;

	insert_many(ids);
	recs = tok_recs_new(NLIST);
	ck_assert_int_eq(store_list(st, NULL, NULL, NULL, recs, NLIST, 5,
	    &n, &more, last), STORE_OK);
	ck_assert_uint_eq(n, 5);
	ck_assert_int_eq(more, 1);
	ck_assert_mem_eq(last, ids[4], UUID_LEN);

	/* With a filter: 7 examined, 4 of them (0, 2, 4, 6) match. */
	ck_assert_int_eq(store_list(st, NULL, even_only, NULL, recs, NLIST, 7,
	    &n, &more, last), STORE_OK);
	ck_assert_uint_eq(n, 4);
	ck_assert_int_eq(more, 1);
	ck_assert_mem_eq(last, ids[6], UUID_LEN);
	tok_recs_free(recs, NLIST);
}
END_TEST

/* ---- persistence ---- */

START_TEST(test_persist_record)
{
	struct tok_rec	 a, b;

	rec_fill(&a);
	tok_rec_init(&b);
	ck_assert_int_eq(store_insert(st, &a, NULL, NULL, NULL), STORE_OK);
	store_reopen();
	ck_assert_int_eq(store_get(st, a.id, &b), STORE_OK);
	rec_assert_eq(&a, &b, 1);
	ck_assert_int_eq(store_get_by_hash(st, a.hash, &b), STORE_OK);
	rec_assert_eq(&a, &b, 1);
	tok_rec_free(&a);
	tok_rec_free(&b);
}
END_TEST

START_TEST(test_persist_hashkey)
{
	unsigned char	 key[TOK_KEY_LEN], zero[TOK_KEY_LEN];

	memcpy(key, store_hashkey(st), TOK_KEY_LEN);
	memset(zero, 0, sizeof(zero));
	ck_assert_int_ne(memcmp(key, zero, TOK_KEY_LEN), 0);
	store_reopen();
	ck_assert_mem_eq(store_hashkey(st), key, TOK_KEY_LEN);
}
END_TEST

/* ---- mint ---- */

START_TEST(test_mint_admin)
{
	static const unsigned char zero[UUID_LEN];
	struct tok_rec	 out, got;
	char		 secret[TOK_SECRET_MAX + 1];
	char		 hint[TOK_HINT_LEN + 1];
	int64_t		 now = (int64_t)time(NULL);

	tok_rec_init(&out);
	tok_rec_init(&got);
	mint_admin("tokens:read", "acme", now, secret, &out);
	ck_assert_int_eq(tok_check(secret, strlen(secret)), 1);
	ck_assert_int_eq(strncmp(secret, TOK_DEFAULT_PREFIX,
	    strlen(TOK_DEFAULT_PREFIX)), 0);
	tok_hint(secret, strlen(secret), hint);
	ck_assert_str_eq(out.hint, hint);
	ck_assert_mem_eq(out.created_by, zero, UUID_LEN);
	ck_assert_int_eq(out.created_at, now);
	ck_assert_int_eq(out.expires_at, 0);
	ck_assert_int_eq(out.uses_left, -1);
	ck_assert_str_eq(buf_cstr(&out.scopes), "tokens:read");
	ck_assert_str_eq(buf_cstr(&out.organization), "acme");
	ck_assert_int_eq(store_get(st, out.id, &got), STORE_OK);
	rec_assert_eq(&out, &got, 1);
	tok_rec_free(&out);
	tok_rec_free(&got);
}
END_TEST

START_TEST(test_mint_lookup)
{
	struct tok_rec	 out, got;
	char		 secret[TOK_SECRET_MAX + 1];
	int64_t		 now = (int64_t)time(NULL);
	enum store_err	 se;

	tok_rec_init(&out);
	tok_rec_init(&got);
	mint_admin("tokens:read", "", now, secret, &out);
	ck_assert_int_eq(tokens_lookup(st, secret, strlen(secret),
	    KIND_STANDARD, now, &got, &se), AUTH_OK);
	ck_assert_int_eq(se, STORE_OK);
	ck_assert_mem_eq(got.id, out.id, UUID_LEN);
	rec_assert_eq(&out, &got, 1);
	tok_rec_free(&out);
	tok_rec_free(&got);
}
END_TEST

START_TEST(test_mint_hash)
{
	unsigned char	 hash[TOK_HASH_LEN];
	struct tok_rec	 out, got;
	char		 secret[TOK_SECRET_MAX + 1];

	tok_rec_init(&out);
	tok_rec_init(&got);
	mint_admin("tokens:read", "", (int64_t)time(NULL), secret, &out);
	tok_hash(store_hashkey(st), secret, strlen(secret), hash);
	ck_assert_int_eq(store_get(st, out.id, &got), STORE_OK);
	ck_assert_mem_eq(got.hash, hash, TOK_HASH_LEN);
	ck_assert_mem_eq(out.hash, hash, TOK_HASH_LEN);
	tok_rec_free(&out);
	tok_rec_free(&got);
}
END_TEST

START_TEST(test_mint_secret_not_stored)
{
	struct tok_rec	 out;
	char		 secret[TOK_SECRET_MAX + 1];
	size_t		 plen = strlen(TOK_DEFAULT_PREFIX);

	tok_rec_init(&out);
	mint_admin("tokens:read", "acme", (int64_t)time(NULL), secret, &out);
	store_close(st);
	st = NULL;

	/* Neither the secret nor its random part, in any file. */
	needle = secret;
	needlelen = strlen(secret);
	nfound = nscanned = 0;
	ck_assert_int_eq(nftw(dir, scan_file, 16, FTW_PHYS), 0);
	ck_assert_int_ge(nscanned, 4);	/* key, three databases, ... */
	ck_assert_int_eq(nfound, 0);

	needle = secret + plen;
	needlelen = TOK_RAND_LEN;
	nfound = nscanned = 0;
	ck_assert_int_eq(nftw(dir, scan_file, 16, FTW_PHYS), 0);
	ck_assert_int_eq(nfound, 0);

	/* The scan does find what is there: the record's name. */
	needle = "minted";
	needlelen = strlen(needle);
	nfound = nscanned = 0;
	ck_assert_int_eq(nftw(dir, scan_file, 16, FTW_PHYS), 0);
	ck_assert_int_gt(nfound, 0);
	tok_rec_free(&out);
}
END_TEST

START_TEST(test_mint_scope)
{
	struct tok_rec	 caller, out;
	struct mint_req	 m;
	char		 secret[TOK_SECRET_MAX + 1];
	int64_t		 now = (int64_t)time(NULL);
	enum store_err	 se;

	caller_init(&caller, now);
	tok_rec_init(&out);
	mint_req_init(&m);
	buf_puts(&m.name, "child");
	buf_puts(&m.scopes, "tokens:read tokens:revoke");
	ck_assert_int_eq(tokens_mint(st, &caller, &m, now, "", secret,
	    sizeof(secret), &out, &se), MINT_SCOPE);
	assert_empty_store();
	mint_req_free(&m);
	tok_rec_free(&caller);
	tok_rec_free(&out);
}
END_TEST

START_TEST(test_mint_organization)
{
	struct tok_rec	 caller, out;
	struct mint_req	 m;
	char		 secret[TOK_SECRET_MAX + 1];
	int64_t		 now = (int64_t)time(NULL);
	enum store_err	 se;

	caller_init(&caller, now);
	tok_rec_init(&out);
	mint_req_init(&m);
	buf_puts(&m.name, "child");
	buf_puts(&m.scopes, "tokens:read");
	buf_puts(&m.organization, "other");
	ck_assert_int_eq(tokens_mint(st, &caller, &m, now, "", secret,
	    sizeof(secret), &out, &se), MINT_ORGANIZATION);
	assert_empty_store();
	mint_req_free(&m);
	tok_rec_free(&caller);
	tok_rec_free(&out);
}
END_TEST

START_TEST(test_mint_inherits_org)
{
	struct tok_rec	 caller, out, got;
	struct mint_req	 m;
	char		 secret[TOK_SECRET_MAX + 1];
	int64_t		 now = (int64_t)time(NULL);
	enum store_err	 se;

	caller_init(&caller, now);
	caller_store(&caller);
	tok_rec_init(&out);
	tok_rec_init(&got);
	mint_req_init(&m);
	buf_puts(&m.name, "child");
	buf_puts(&m.scopes, "tokens:read");
	ck_assert_int_eq(tokens_mint(st, &caller, &m, now, "", secret,
	    sizeof(secret), &out, &se), MINT_OK);
	ck_assert_str_eq(buf_cstr(&out.organization), "acme");
	ck_assert_int_eq(store_get(st, out.id, &got), STORE_OK);
	ck_assert_str_eq(buf_cstr(&got.organization), "acme");
	ck_assert_mem_eq(got.created_by, caller.id, UUID_LEN);
	mint_req_free(&m);
	tok_rec_free(&caller);
	tok_rec_free(&out);
	tok_rec_free(&got);
}
END_TEST

START_TEST(test_mint_inherits_expiry)
{
	struct tok_rec	 caller, out, got;
	struct mint_req	 m;
	char		 secret[TOK_SECRET_MAX + 1];
	int64_t		 now = (int64_t)time(NULL);
	enum store_err	 se;

	caller_init(&caller, now);
	caller_store(&caller);
	tok_rec_init(&out);
	tok_rec_init(&got);
	mint_req_init(&m);
	buf_puts(&m.name, "child");
	buf_puts(&m.scopes, "tokens:read");
	ck_assert_int_eq(tokens_mint(st, &caller, &m, now, "", secret,
	    sizeof(secret), &out, &se), MINT_OK);
	ck_assert_int_eq(out.expires_at, caller.expires_at);
	ck_assert_int_eq(store_get(st, out.id, &got), STORE_OK);
	ck_assert_int_eq(got.expires_at, caller.expires_at);
	mint_req_free(&m);
	tok_rec_free(&caller);
	tok_rec_free(&out);
	tok_rec_free(&got);
}
END_TEST

START_TEST(test_mint_outlives_caller)
{
	struct tok_rec	 caller, out;
	struct mint_req	 m;
	char		 secret[TOK_SECRET_MAX + 1];
	int64_t		 now = (int64_t)time(NULL);
	enum store_err	 se;

	caller_init(&caller, now);
	tok_rec_init(&out);
	mint_req_init(&m);
	buf_puts(&m.name, "child");
	buf_puts(&m.scopes, "tokens:read");
	m.expires_at = caller.expires_at + 1;
	ck_assert_int_eq(tokens_mint(st, &caller, &m, now, "", secret,
	    sizeof(secret), &out, &se), MINT_LIFETIME);
	/* A refused mint may have filled out in part: free before reuse. */
	tok_rec_free(&out);
	m.expires_at = 0;
	m.expires_in = HOUR + 1;
	ck_assert_int_eq(tokens_mint(st, &caller, &m, now, "", secret,
	    sizeof(secret), &out, &se), MINT_LIFETIME);
	assert_empty_store();
	mint_req_free(&m);
	tok_rec_free(&caller);
	tok_rec_free(&out);
}
END_TEST

START_TEST(test_mint_at_caller_expiry)
{
	struct tok_rec	 caller, out;
	struct mint_req	 m;
	char		 secret[TOK_SECRET_MAX + 1];
	int64_t		 now = (int64_t)time(NULL);
	enum store_err	 se;

	/* Expiring together with the caller is not outliving it. */
	caller_init(&caller, now);
	caller_store(&caller);
	tok_rec_init(&out);
	mint_req_init(&m);
	buf_puts(&m.name, "child");
	buf_puts(&m.scopes, "tokens:read");
	m.expires_at = caller.expires_at;
	ck_assert_int_eq(tokens_mint(st, &caller, &m, now, "", secret,
	    sizeof(secret), &out, &se), MINT_OK);
	ck_assert_int_eq(out.expires_at, caller.expires_at);
	mint_req_free(&m);
	tok_rec_free(&caller);
	tok_rec_free(&out);
}
END_TEST

START_TEST(test_mint_expired)
{
	static const int64_t ago[] = { 1, 0, HOUR };
	struct tok_rec	 caller, out;
	struct mint_req	 m;
	char		 secret[TOK_SECRET_MAX + 1];
	int64_t		 now = (int64_t)time(NULL);
	enum store_err	 se;
	size_t		 i;

	caller_init(&caller, now);
	tok_rec_init(&out);
	mint_req_init(&m);
	buf_puts(&m.name, "child");
	buf_puts(&m.scopes, "tokens:read");
	for (i = 0; i < NITEMS(ago); i++) {
		m.expires_at = now - ago[i];
		ck_assert_msg(tokens_mint(st, &caller, &m, now, "", secret,
		    sizeof(secret), &out, &se) == MINT_EXPIRED,
		    "row %zu: expires_at now - %lld", i, (long long)ago[i]);
		tok_rec_free(&out);
	}
	assert_empty_store();
	mint_req_free(&m);
	tok_rec_free(&caller);
	tok_rec_free(&out);
}
END_TEST

/* ---- lookup ---- */

START_TEST(test_lookup_malformed)
{
	struct tok_rec	 out;
	char		 secret[TOK_SECRET_MAX + 1];
	size_t		 len;
	enum store_err	 se = STORE_FATAL;

	tok_rec_init(&out);
	ck_assert_int_eq(tok_generate(TOK_DEFAULT_PREFIX, secret,
	    sizeof(secret)), 0);
	len = strlen(secret);
	ck_assert_int_eq(tok_check(secret, len), 1);
	secret[len - 1] = secret[len - 1] == '0' ? '1' : '0';
	ck_assert_int_eq(tok_check(secret, len), 0);
	/* No store at all: a malformed secret never reaches it. */
	ck_assert_int_eq(tokens_lookup(NULL, secret, len, KIND_STANDARD,
	    (int64_t)time(NULL), &out, &se), AUTH_MALFORMED);
	ck_assert_int_eq(se, STORE_OK);
	ck_assert_int_eq(tokens_lookup(NULL, "", 0, KIND_STANDARD,
	    (int64_t)time(NULL), &out, &se), AUTH_MALFORMED);
	tok_rec_free(&out);
}
END_TEST

START_TEST(test_lookup_unknown)
{
	struct tok_rec	 minted, out;
	char		 secret[TOK_SECRET_MAX + 1];
	int64_t		 now = (int64_t)time(NULL);
	enum store_err	 se;

	tok_rec_init(&minted);
	tok_rec_init(&out);
	mint_admin("tokens:read", "", now, secret, &minted);
	ck_assert_int_eq(tok_generate(TOK_DEFAULT_PREFIX, secret,
	    sizeof(secret)), 0);
	ck_assert_int_eq(tokens_lookup(st, secret, strlen(secret),
	    KIND_STANDARD, now, &out, &se), AUTH_UNKNOWN);
	ck_assert_int_eq(se, STORE_OK);
	tok_rec_free(&minted);
	tok_rec_free(&out);
}
END_TEST

START_TEST(test_lookup_revoked)
{
	struct tok_rec	 minted, out;
	char		 secret[TOK_SECRET_MAX + 1];
	int64_t		 now = (int64_t)time(NULL);
	enum store_err	 se;

	tok_rec_init(&minted);
	tok_rec_init(&out);
	mint_admin("tokens:read", "", now, secret, &minted);
	ck_assert_int_eq(tokens_revoke(st, minted.id, NULL, 0, now, "", NULL, &se),
	    OP_OK);
	ck_assert_int_eq(tokens_lookup(st, secret, strlen(secret),
	    KIND_STANDARD, now, &out, &se), AUTH_INACTIVE);
	ck_assert_int_eq(se, STORE_OK);
	ck_assert_mem_eq(out.id, minted.id, UUID_LEN);
	ck_assert_int_eq(out.revoked_at, now);
	tok_rec_free(&minted);
	tok_rec_free(&out);
}
END_TEST

/* ---- revoke ---- */

START_TEST(test_revoke_idempotent)
{
	struct tok_rec	 minted, got;
	char		 secret[TOK_SECRET_MAX + 1];
	int64_t		 now = (int64_t)time(NULL);
	enum store_err	 se;

	tok_rec_init(&minted);
	tok_rec_init(&got);
	mint_admin("tokens:read", "", now, secret, &minted);
	ck_assert_int_eq(tokens_revoke(st, minted.id, NULL, 0, now, "", NULL, &se),
	    OP_OK);
	ck_assert_int_eq(store_get(st, minted.id, &got), STORE_OK);
	ck_assert_int_eq(got.revoked_at, now);
	ck_assert_int_eq(tokens_revoke(st, minted.id, NULL, 0, now + 60, "",
	    NULL, &se), OP_OK);
	ck_assert_int_eq(se, STORE_OK);
	ck_assert_int_eq(store_get(st, minted.id, &got), STORE_OK);
	ck_assert_int_eq(got.revoked_at, now);
	tok_rec_free(&minted);
	tok_rec_free(&got);
}
END_TEST

START_TEST(test_revoke_unknown)
{
	unsigned char	 id[UUID_LEN];
	enum store_err	 se = STORE_FATAL;

	uuid7_generate(id);
	ck_assert_int_eq(tokens_revoke(st, id, NULL, 0, (int64_t)time(NULL),
	    "", NULL, &se), OP_NOTFOUND);
	ck_assert_int_eq(se, STORE_OK);
}
END_TEST

START_TEST(test_revoke_other_org)
{
	struct tok_rec	 caller, minted, got;
	char		 secret[TOK_SECRET_MAX + 1];
	int64_t		 now = (int64_t)time(NULL);
	enum store_err	 se;

	/* The caller holds every scope, but is bound to acme. */
	caller_init(&caller, now);
	buf_reset(&caller.direct);
	buf_puts(&caller.direct, "*");
	buf_reset(&caller.scopes);
	buf_puts(&caller.scopes, "*");
	tok_rec_init(&minted);
	tok_rec_init(&got);
	mint_admin("tokens:read", "other", now, secret, &minted);
	ck_assert_int_eq(tokens_revoke(st, minted.id, &caller, 0, now, "",
	    NULL, &se), OP_NOTFOUND);
	ck_assert_int_eq(store_get(st, minted.id, &got), STORE_OK);
	ck_assert_int_eq(got.revoked_at, 0);
	tok_rec_free(&caller);
	tok_rec_free(&minted);
	tok_rec_free(&got);
}
END_TEST

START_TEST(test_revoke_denied)
{
	struct tok_rec	 caller, minted, got;
	char		 secret[TOK_SECRET_MAX + 1];
	int64_t		 now = (int64_t)time(NULL);
	enum store_err	 se;

	/* Same organization, but the target holds audit:read. */
	caller_init(&caller, now);
	buf_puts(&caller.direct, " tokens:revoke");
	buf_puts(&caller.scopes, " tokens:revoke");
	caller_store(&caller);
	tok_rec_init(&minted);
	tok_rec_init(&got);
	mint_admin("audit:read tokens:read", "acme", now, secret, &minted);
	ck_assert_int_eq(tokens_revoke(st, minted.id, &caller, 0, now, "",
	    NULL, &se), OP_DENIED);
	ck_assert_int_eq(store_get(st, minted.id, &got), STORE_OK);
	ck_assert_int_eq(got.revoked_at, 0);
	ck_assert_int_eq(tokens_lookup(st, secret, strlen(secret),
	    KIND_STANDARD, now, &got, &se), AUTH_OK);
	tok_rec_free(&caller);
	tok_rec_free(&minted);
	tok_rec_free(&got);
}
END_TEST

START_TEST(test_revoke_self)
{
	struct tok_rec	 minted, caller, got;
	char		 secret[TOK_SECRET_MAX + 1];
	int64_t		 now = (int64_t)time(NULL);
	enum store_err	 se;

	/* A bound token holding no tokens:* scope ends itself. */
	tok_rec_init(&minted);
	tok_rec_init(&caller);
	tok_rec_init(&got);
	mint_admin("protected:read", "acme", now, secret, &minted);
	ck_assert_int_eq(tokens_lookup(st, secret, strlen(secret),
	    KIND_STANDARD, now, &caller, &se), AUTH_OK);
	ck_assert_int_eq(tokens_revoke(st, caller.id, &caller, 0, now, "",
	    NULL, &se), OP_OK);
	ck_assert_int_eq(store_get(st, minted.id, &got), STORE_OK);
	ck_assert_int_eq(got.revoked_at, now);
	ck_assert_int_eq(tokens_lookup(st, secret, strlen(secret),
	    KIND_STANDARD, now, &got, &se), AUTH_INACTIVE);
	tok_rec_free(&minted);
	tok_rec_free(&caller);
	tok_rec_free(&got);
}
END_TEST

START_TEST(test_revoke_self_widened)
{
	struct tok_rec	 minted, caller, got;
	char		 secret[TOK_SECRET_MAX + 1];
	int64_t		 now = (int64_t)time(NULL);
	enum store_err	 se;

	/*
	 * The stored token gained a scope after the caller authenticated:
	 * the caller no longer holds all of the target's scopes, but the
	 * target is itself, which may always be ended.
	 */
	tok_rec_init(&minted);
	tok_rec_init(&caller);
	tok_rec_init(&got);
	mint_admin("protected:read", "acme", now, secret, &minted);
	ck_assert_int_eq(tokens_lookup(st, secret, strlen(secret),
	    KIND_STANDARD, now, &caller, &se), AUTH_OK);
	ck_assert_int_eq(store_modify(st, minted.id, add_scope, "audit:read",
	    NULL, 0), STORE_OK);
	ck_assert_int_eq(tokens_revoke(st, caller.id, &caller, 0, now, "",
	    NULL, &se), OP_OK);
	ck_assert_int_eq(store_get(st, minted.id, &got), STORE_OK);
	ck_assert_str_eq(buf_cstr(&got.scopes), "audit:read protected:read");
	ck_assert_str_eq(buf_cstr(&got.direct), "audit:read protected:read");
	ck_assert_int_eq(got.revoked_at, now);
	tok_rec_free(&minted);
	tok_rec_free(&caller);
	tok_rec_free(&got);
}
END_TEST

/* ---- lifecycle: previous secret, lazy writes, batches, children ---- */

/* A token minted by parent (NULL: by nobody), stored. */
static void
insert_child(struct tok_rec *r, const unsigned char *parent, const char *name)
{
	tok_rec_init(r);
	uuid7_generate(r->id);
	randombytes_buf(r->hash, TOK_HASH_LEN);
	if (parent != NULL)
		memcpy(r->created_by, parent, UUID_LEN);
	buf_puts(&r->name, name);
	buf_puts(&r->organization, "acme");
	ck_assert_int_eq(store_insert(st, r, NULL, NULL, NULL), STORE_OK);
}

/* A rotation with grace: the current hash becomes the previous one. */
static int
rotate_to(struct tok_rec *r, void *arg)
{
	memcpy(r->prev_hash, r->hash, TOK_HASH_LEN);
	memcpy(r->prev_hint, r->hint, sizeof(r->prev_hint));
	r->has_prev = 1;
	r->grace_until = 1700000600;
	memcpy(r->hash, arg, TOK_HASH_LEN);
	r->rotations++;
	return 1;
}

/* The end of a grace: the previous hash is let go. */
static int
clear_prev(struct tok_rec *r, void *arg)
{
	(void)arg;
	r->has_prev = 0;
	r->grace_until = 0;
	return 1;
}

static int
note_use(struct tok_rec *r, void *arg)
{
	r->use_count++;
	r->last_used_at = *(const int64_t *)arg;
	buf_reset(&r->last_address);
	buf_puts(&r->last_address, "192.0.2.7");
	return 1;
}

static int
note_use_keep(struct tok_rec *r, void *arg)
{
	note_use(r, arg);
	return 0;
}

/* Renames the tokens with an even uses_left, leaves the others. */
static int
rename_even(struct tok_rec *r, void *arg)
{
	if (r->uses_left % 2 != 0)
		return 0;
	return set_name(r, arg);
}

/* What a guard saw, and what it answers. */
struct guard_probe {
	int		 verdict;
	int		 calls;
	unsigned char	 id[UUID_LEN];
	char		 name[32];
};

static int
guard_spend(struct tok_rec *r, void *arg)
{
	struct guard_probe	*g = arg;

	g->calls++;
	memcpy(g->id, r->id, UUID_LEN);
	snprintf(g->name, sizeof(g->name), "%s", buf_cstr(&r->name));
	buf_reset(&r->name);
	buf_puts(&r->name, "spent");
	r->uses_left--;
	return g->verdict;
}

/* Every audit entry, oldest first; returns how many (at most max). */
static size_t
audit_all(struct audit_rec *recs, size_t max)
{
	unsigned char	 last[UUID_LEN];
	size_t		 n;
	int		 more;

	ck_assert_int_eq(store_audit_list(st, NULL, 0, NULL, NULL, recs, max,
	    10000, &n, &more, last), STORE_OK);
	ck_assert_int_eq(more, 0);
	return n;
}

static int
audit_detail_is(const struct audit_rec *r, void *arg)
{
	return strcmp(buf_cstr(&r->detail), arg) == 0;
}

/* Entries "ev.N" with N odd. */
static int
audit_odd(const struct audit_rec *r, void *arg)
{
	const char	*e = buf_cstr(&r->event);

	(void)arg;
	return strncmp(e, "ev.", 3) == 0 && (e[3] - '0') % 2 == 1;
}

static int
audit_target_is(const struct audit_rec *r, void *arg)
{
	return r->has_target && memcmp(r->target, arg, UUID_LEN) == 0;
}

static int
audit_none(const struct audit_rec *r, void *arg)
{
	(void)r;
	(void)arg;
	return 0;
}

START_TEST(test_prev_hash_lookup)
{
	unsigned char	 h1[TOK_HASH_LEN], h2[TOK_HASH_LEN], h3[TOK_HASH_LEN];
	struct tok_rec	 a, b, c;

	rec_fill(&a);
	tok_rec_init(&b);
	memcpy(h1, a.hash, TOK_HASH_LEN);
	randombytes_buf(h2, sizeof(h2));
	randombytes_buf(h3, sizeof(h3));
	ck_assert_int_eq(store_insert(st, &a, NULL, NULL, NULL), STORE_OK);

	/* Rotated with grace: both secrets find the record. */
	ck_assert_int_eq(store_modify(st, a.id, rotate_to, h2, NULL, 0),
	    STORE_OK);
	ck_assert_int_eq(store_get_by_hash(st, h2, &b), STORE_OK);
	ck_assert_mem_eq(b.id, a.id, UUID_LEN);
	ck_assert_mem_eq(b.hash, h2, TOK_HASH_LEN);
	ck_assert_int_eq(b.has_prev, 1);
	ck_assert_mem_eq(b.prev_hash, h1, TOK_HASH_LEN);
	ck_assert_int_eq(b.grace_until, 1700000600);
	ck_assert_str_eq(b.prev_hint, "wXyZ");
	tok_rec_free(&b);
	ck_assert_int_eq(store_get_by_hash(st, h1, &b), STORE_OK);
	ck_assert_mem_eq(b.id, a.id, UUID_LEN);
	ck_assert_mem_eq(b.hash, h2, TOK_HASH_LEN);
	ck_assert_int_eq(b.rotations, 4);	/* rec_fill()'s 3, and one */

	/* The previous hash is taken: no other token may have it. */
	rec_fill(&c);
	memcpy(c.hash, h1, TOK_HASH_LEN);
	ck_assert_int_eq(store_insert(st, &c, NULL, NULL, NULL), STORE_EXISTS);
	ck_assert_int_eq(store_get(st, c.id, &b), STORE_NOTFOUND);

	/* A second rotation: only one previous secret is kept. */
	ck_assert_int_eq(store_modify(st, a.id, rotate_to, h3, NULL, 0),
	    STORE_OK);
	ck_assert_int_eq(store_get_by_hash(st, h1, &b), STORE_NOTFOUND);
	ck_assert_int_eq(store_get_by_hash(st, h2, &b), STORE_OK);
	ck_assert_mem_eq(b.id, a.id, UUID_LEN);
	ck_assert_int_eq(store_get_by_hash(st, h3, &b), STORE_OK);
	ck_assert_mem_eq(b.id, a.id, UUID_LEN);
	ck_assert_int_eq(b.rotations, 5);

	/* The index is on disk. */
	store_reopen();
	ck_assert_int_eq(store_get_by_hash(st, h2, &b), STORE_OK);
	ck_assert_mem_eq(b.id, a.id, UUID_LEN);
	ck_assert_int_eq(store_get_by_hash(st, h3, &b), STORE_OK);

	/* has_prev cleared: the previous secret finds nothing any more. */
	ck_assert_int_eq(store_modify(st, a.id, clear_prev, NULL, NULL, 0),
	    STORE_OK);
	ck_assert_int_eq(store_get_by_hash(st, h2, &b), STORE_NOTFOUND);
	ck_assert_int_eq(store_get_by_hash(st, h3, &b), STORE_OK);
	ck_assert_mem_eq(b.id, a.id, UUID_LEN);
	ck_assert_int_eq(b.has_prev, 0);
	ck_assert_int_eq(store_get(st, a.id, &b), STORE_OK);
	ck_assert_int_eq(b.has_prev, 0);

	/* ...and its hash is free again. */
	memcpy(c.hash, h2, TOK_HASH_LEN);
	ck_assert_int_eq(store_insert(st, &c, NULL, NULL, NULL), STORE_OK);
	ck_assert_int_eq(store_get_by_hash(st, h2, &b), STORE_OK);
	ck_assert_mem_eq(b.id, c.id, UUID_LEN);
	tok_rec_free(&a);
	tok_rec_free(&b);
	tok_rec_free(&c);
}
END_TEST

START_TEST(test_prev_hash_insert)
{
	unsigned char	 prev[TOK_HASH_LEN];
	struct tok_rec	 a, b;

	/* A record stored with a previous secret is found by both. */
	rec_fill(&a);
	tok_rec_init(&b);
	randombytes_buf(prev, sizeof(prev));
	a.has_prev = 1;
	memcpy(a.prev_hash, prev, TOK_HASH_LEN);
	a.grace_until = 1700000600;
	ck_assert_int_eq(store_insert(st, &a, NULL, NULL, NULL), STORE_OK);
	ck_assert_int_eq(store_get_by_hash(st, a.hash, &b), STORE_OK);
	rec_assert_eq(&a, &b, 1);
	ck_assert_int_eq(store_get_by_hash(st, prev, &b), STORE_OK);
	rec_assert_eq(&a, &b, 1);
	prev[0] ^= 1;
	ck_assert_int_eq(store_get_by_hash(st, prev, &b), STORE_NOTFOUND);
	tok_rec_free(&a);
	tok_rec_free(&b);
}
END_TEST

START_TEST(test_modify_flags)
{
	static const struct {
		int		 flags;
		const char	*org;		/* the audit entry's; NULL: the record's */
		const char	*want_org;
	} t[] = {
		{ 0, NULL, "acme" },
		{ STORE_LAZY, NULL, "acme" },
		{ STORE_LAZY, "given", "given" },
		{ 0, "given", "given" },
	};
	unsigned char	 actor[UUID_LEN], unknown[UUID_LEN];
	struct audit_rec *recs;
	struct audit_ev	 ev;
	struct tok_rec	 a, b;
	int64_t		 at = 1700000999;
	size_t		 i, n;

	uuid7_generate(actor);
	recs = audit_recs_new(4 * NITEMS(t));
	tok_rec_init(&b);
	for (i = 0; i < NITEMS(t); i++) {
		insert_child(&a, NULL, "t");
		memset(&ev, 0, sizeof(ev));
		ev.at = at;
		ev.event = "token.used";
		ev.actor = actor;
		ev.organization = t[i].org;
		ev.detail = "row";

		/* Written twice, then once left alone. */
		ck_assert_int_eq(store_modify(st, a.id, note_use, &at, &ev,
		    t[i].flags), STORE_OK);
		ck_assert_int_eq(store_modify(st, a.id, note_use, &at, &ev,
		    t[i].flags), STORE_OK);
		ck_assert_int_eq(store_modify(st, a.id, note_use_keep, &at, &ev,
		    t[i].flags), STORE_OK);
		ck_assert_int_eq(store_get(st, a.id, &b), STORE_OK);
		ck_assert_int_eq(b.use_count, 2);
		ck_assert_int_eq(b.last_used_at, at);
		ck_assert_str_eq(buf_cstr(&b.last_address), "192.0.2.7");
		ck_assert_str_eq(buf_cstr(&b.name), "t");

		/* One entry per write, about this token. */
		n = audit_all(recs, 4 * NITEMS(t));
		ck_assert_uint_eq(n, 2 * (i + 1));
		ck_assert_int_eq(recs[n - 1].has_target, 1);
		ck_assert_mem_eq(recs[n - 1].target, a.id, UUID_LEN);
		ck_assert_mem_eq(recs[n - 2].target, a.id, UUID_LEN);
		ck_assert_mem_eq(recs[n - 1].actor, actor, UUID_LEN);
		ck_assert_str_eq(buf_cstr(&recs[n - 1].event), "token.used");
		ck_assert_str_eq(buf_cstr(&recs[n - 1].organization),
		    t[i].want_org);
		ck_assert_int_eq(recs[n - 1].at, at);
		tok_rec_free(&a);
	}

	/* Unknown ids, lazily or not. */
	uuid7_generate(unknown);
	ck_assert_int_eq(store_modify(st, unknown, note_use, &at, &ev,
	    STORE_LAZY), STORE_NOTFOUND);
	ck_assert_uint_eq(audit_all(recs, 4 * NITEMS(t)), 2 * NITEMS(t));
	audit_recs_free(recs, 4 * NITEMS(t));
	tok_rec_free(&b);
}
END_TEST

START_TEST(test_modify_lazy_persists)
{
	struct tok_rec	 a, b;
	int64_t		 at = 1700000999;

	insert_child(&a, NULL, "t");
	tok_rec_init(&b);
	ck_assert_int_eq(store_modify(st, a.id, note_use, &at, NULL,
	    STORE_LAZY), STORE_OK);
	store_reopen();
	ck_assert_int_eq(store_get(st, a.id, &b), STORE_OK);
	ck_assert_int_eq(b.use_count, 1);
	ck_assert_int_eq(b.last_used_at, at);
	ck_assert_int_eq(store_get_by_hash(st, a.hash, &b), STORE_OK);
	ck_assert_mem_eq(b.id, a.id, UUID_LEN);
	tok_rec_free(&a);
	tok_rec_free(&b);
}
END_TEST

START_TEST(test_modify_many)
{
	/* Indexes into insert_many()'s tokens (uses_left = index); -1 unknown. */
	static const struct {
		int	 ids[6];
		size_t	 n;
		int	 written[6];	/* -1-terminated, in the order given */
	} t[] = {
		{ { 3, -1, 0, 2, 5 }, 5, { 0, 2, -1 } },
		{ { -1, -1 }, 2, { -1 } },
		{ { 4 }, 1, { 4, -1 } },
		{ { 1, 7 }, 2, { -1 } },
		{ { 24, 10, 12 }, 3, { 24, 10, 12, -1 } },
		{ { 0 }, 0, { -1 } },		/* n = 0: nothing */
	};
	unsigned char	 ids[NLIST][UUID_LEN], batch[6 * UUID_LEN];
	unsigned char	 actor[UUID_LEN];
	struct audit_rec *recs;
	struct audit_ev	 ev;
	struct tok_rec	 r;
	char		 tag[32];
	size_t		 i, j, k, n, cnt;
	unsigned char	 last[UUID_LEN];
	int		 more, renamed;

	insert_many(ids);
	uuid7_generate(actor);
	recs = audit_recs_new(NLIST);
	tok_rec_init(&r);
	for (i = 0; i < NITEMS(t); i++) {
		snprintf(tag, sizeof(tag), "row %zu", i);
		for (j = 0; j < t[i].n; j++) {
			if (t[i].ids[j] == -1)
				uuid7_generate(batch + j * UUID_LEN);
			else
				memcpy(batch + j * UUID_LEN, ids[t[i].ids[j]],
				    UUID_LEN);
		}
		memset(&ev, 0, sizeof(ev));
		ev.at = 1700000000;
		ev.event = "token.revoked";
		ev.actor = actor;
		ev.detail = tag;
		ck_assert_int_eq(store_modify_many(st, batch, t[i].n,
		    rename_even, tag, &ev), STORE_OK);

		/* The written ones are renamed, the others not. */
		for (j = 0; j < t[i].n; j++) {
			if (t[i].ids[j] == -1) {
				ck_assert_int_eq(store_get(st, batch +
				    j * UUID_LEN, &r), STORE_NOTFOUND);
				continue;
			}
			ck_assert_int_eq(store_get(st, ids[t[i].ids[j]], &r),
			    STORE_OK);
			for (renamed = 0, k = 0; t[i].written[k] != -1; k++)
				renamed |= t[i].written[k] == t[i].ids[j];
			ck_assert_msg(renamed == (strcmp(buf_cstr(&r.name),
			    tag) == 0), "row %zu: token %d named \"%s\"", i,
			    t[i].ids[j], buf_cstr(&r.name));
		}

		/* One entry per written record, that record its target. */
		ck_assert_int_eq(store_audit_list(st, NULL, 0, audit_detail_is,
		    tag, recs, NLIST, 10000, &n, &more, last), STORE_OK);
		for (cnt = 0; t[i].written[cnt] != -1; cnt++)
			;
		ck_assert_msg(n == cnt, "row %zu: %zu entries, want %zu", i,
		    n, cnt);
		for (k = 0; k < n; k++) {
			ck_assert_int_eq(recs[k].has_target, 1);
			ck_assert_mem_eq(recs[k].target, ids[t[i].written[k]],
			    UUID_LEN);
			ck_assert_int_eq(recs[k].has_actor, 1);
			ck_assert_mem_eq(recs[k].actor, actor, UUID_LEN);
			ck_assert_str_eq(buf_cstr(&recs[k].event),
			    "token.revoked");
		}
	}
	audit_recs_free(recs, NLIST);
	tok_rec_free(&r);
}
END_TEST

START_TEST(test_modify_many_no_audit)
{
	unsigned char	 ids[NLIST][UUID_LEN];
	struct audit_rec *recs;
	struct tok_rec	 r;

	/* Without an audit entry: written, nothing logged. */
	insert_many(ids);
	tok_rec_init(&r);
	ck_assert_int_eq(store_modify_many(st, ids[0], NLIST, set_name,
	    "all", NULL), STORE_OK);
	ck_assert_int_eq(store_get(st, ids[NLIST - 1], &r), STORE_OK);
	ck_assert_str_eq(buf_cstr(&r.name), "all");
	ck_assert_int_eq(r.uses_left, 7);
	recs = audit_recs_new(1);
	ck_assert_uint_eq(audit_all(recs, 1), 0);
	audit_recs_free(recs, 1);
	tok_rec_free(&r);
}
END_TEST

START_TEST(test_delete_many)
{
	unsigned char	 batch[3 * UUID_LEN], more_ids[UUID_LEN * 4];
	unsigned char	 prev[TOK_HASH_LEN];
	struct audit_rec *recs;
	struct audit_ev	 ev;
	struct tok_rec	 p, c[3], r;
	struct buf	 kids = BUF_INIT;
	size_t		 i, n;
	int		 more;

	insert_child(&p, NULL, "parent");
	for (i = 0; i < 3; i++)
		insert_child(&c[i], p.id, "child");
	/* c[1] is in a rotation's grace: two hashes in the index. */
	randombytes_buf(prev, sizeof(prev));
	ck_assert_int_eq(store_modify(st, c[1].id, rotate_to, prev, NULL, 0),
	    STORE_OK);
	ck_assert_int_eq(store_get(st, c[1].id, &c[1]), STORE_OK);
	tok_rec_init(&r);

	memcpy(batch, c[0].id, UUID_LEN);
	uuid7_generate(batch + UUID_LEN);		/* unknown: skipped */
	memcpy(batch + 2 * UUID_LEN, c[1].id, UUID_LEN);
	memset(&ev, 0, sizeof(ev));
	ev.at = 1700000000;
	ev.event = "token.purged";
	ck_assert_int_eq(store_delete_many(st, batch, 3, &ev), STORE_OK);

	/* Gone, from the records and from both indexes. */
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(store_get(st, c[i].id, &r), STORE_NOTFOUND);
		ck_assert_int_eq(store_get_by_hash(st, c[i].hash, &r),
		    STORE_NOTFOUND);
	}
	ck_assert_int_eq(store_get_by_hash(st, c[1].prev_hash, &r),
	    STORE_NOTFOUND);
	ck_assert_int_eq(store_children(st, p.id, &kids, 10, &more),
	    STORE_OK);
	ck_assert_uint_eq(kids.len, UUID_LEN);
	ck_assert_mem_eq(kids.ptr, c[2].id, UUID_LEN);
	ck_assert_int_eq(more, 0);
	/* The others stay. */
	ck_assert_int_eq(store_get(st, c[2].id, &r), STORE_OK);
	ck_assert_int_eq(store_get_by_hash(st, c[2].hash, &r), STORE_OK);
	ck_assert_int_eq(store_get(st, p.id, &r), STORE_OK);

	/* The audit entries stay: one per deleted token. */
	recs = audit_recs_new(8);
	n = audit_all(recs, 8);
	ck_assert_uint_eq(n, 2);
	for (i = 0; i < n; i++) {
		ck_assert_str_eq(buf_cstr(&recs[i].event), "token.purged");
		ck_assert_int_eq(recs[i].has_target, 1);
		ck_assert_mem_eq(recs[i].target, c[i].id, UUID_LEN);
		ck_assert_int_eq(recs[i].at, 1700000000);
	}

	/* Again: nothing left to delete, nothing logged. */
	ck_assert_int_eq(store_delete_many(st, batch, 3, &ev), STORE_OK);
	ck_assert_uint_eq(audit_all(recs, 8), 2);
	/* Without an entry. */
	memcpy(more_ids, c[2].id, UUID_LEN);
	ck_assert_int_eq(store_delete_many(st, more_ids, 1, NULL), STORE_OK);
	ck_assert_int_eq(store_get(st, c[2].id, &r), STORE_NOTFOUND);
	ck_assert_uint_eq(audit_all(recs, 8), 2);

	/* A deleted token's hashes may be used again. */
	tok_rec_free(&r);
	insert_child(&r, NULL, "new");
	memcpy(r.hash, c[0].hash, TOK_HASH_LEN);
	uuid7_generate(r.id);
	ck_assert_int_eq(store_insert(st, &r, NULL, NULL, NULL), STORE_OK);
	uuid7_generate(r.id);
	memcpy(r.hash, c[1].prev_hash, TOK_HASH_LEN);
	ck_assert_int_eq(store_insert(st, &r, NULL, NULL, NULL), STORE_OK);

	audit_recs_free(recs, 8);
	buf_free(&kids);
	tok_rec_free(&p);
	for (i = 0; i < 3; i++)
		tok_rec_free(&c[i]);
	tok_rec_free(&r);
}
END_TEST

START_TEST(test_children)
{
	/* Tokens: 0 P, 1 Q (by nobody); 2-4 by P; 5 by Q; 6 by 2; 7 by nobody. */
	static const int parent_of[8] = { -1, -1, 0, 0, 0, 1, 2, -1 };
	/* parent -1: the all-zero id; -2: an id no token has */
	static const struct {
		int		 parent;
		int		 prefill;	/* ids starts with the parent */
		size_t		 max;
		int		 want[5];	/* -1-terminated */
		int		 more;
	} t[] = {
		{ 0, 0, 10, { 2, 3, 4, -1 }, 0 },
		{ 0, 0, 3, { 2, 3, 4, -1 }, 0 },
		{ 0, 0, 2, { 2, 3, -1 }, 1 },
		{ 0, 0, 1, { 2, -1 }, 1 },
		{ 1, 0, 10, { 5, -1 }, 0 },
		{ 2, 0, 10, { 6, -1 }, 0 },
		{ 3, 0, 10, { -1 }, 0 },	/* minted nothing */
		{ 6, 0, 10, { -1 }, 0 },
		{ 7, 0, 10, { -1 }, 0 },
		{ -1, 0, 10, { -1 }, 0 },	/* "minted by nobody" is no parent */
		{ -2, 0, 10, { -1 }, 0 },
		/* ids already holds the parent; max counts it */
		{ 0, 1, 4, { 0, 2, 3, 4, -1 }, 0 },
		{ 0, 1, 3, { 0, 2, 3, -1 }, 1 },
		{ 0, 1, 1, { 0, -1 }, 1 },
		{ 3, 1, 1, { 3, -1 }, 0 },
	};
	static const unsigned char zero[UUID_LEN];
	unsigned char	 unknown[UUID_LEN];
	const unsigned char *parent;
	struct tok_rec	 tok[8];
	struct buf	 ids = BUF_INIT;
	size_t		 i, k;
	int		 more;

	for (i = 0; i < 8; i++)
		insert_child(&tok[i], parent_of[i] < 0 ? NULL :
		    tok[parent_of[i]].id, "t");
	uuid7_generate(unknown);
	for (i = 0; i < NITEMS(t); i++) {
		parent = t[i].parent == -1 ? zero : t[i].parent == -2 ?
		    unknown : tok[t[i].parent].id;
		buf_reset(&ids);
		if (t[i].prefill)
			buf_append(&ids, parent, UUID_LEN);
		more = -1;
		ck_assert_int_eq(store_children(st, parent, &ids, t[i].max,
		    &more), STORE_OK);
		for (k = 0; t[i].want[k] != -1; k++)
			;
		ck_assert_msg(ids.len == k * UUID_LEN, "row %zu: %zu ids, "
		    "want %zu", i, ids.len / UUID_LEN, k);
		/*
		 * The children come in the order of their hashes: a page
		 * (more) holds any of them, a whole list each once.
		 */
		for (k = 0; k < ids.len / UUID_LEN; k++) {
			const unsigned char *got = (unsigned char *)ids.ptr +
			    k * UUID_LEN;
			size_t	 j, seen = 0;

			for (j = 0; j < ids.len / UUID_LEN; j++)
				seen += memcmp(ids.ptr + j * UUID_LEN, got,
				    UUID_LEN) == 0;
			ck_assert_msg(seen == 1, "row %zu: id %zu twice", i, k);
			if (t[i].prefill && k == 0) {
				ck_assert(memcmp(got, parent, UUID_LEN) == 0);
				continue;
			}
			for (j = 0; j < 8; j++)
				if (memcmp(got, tok[j].id, UUID_LEN) == 0)
					break;
			ck_assert_msg(j < 8 && parent_of[j] == t[i].parent,
			    "row %zu: id %zu is no child of its parent", i, k);
			if (!t[i].more) {
				size_t	 w;

				for (w = 0; t[i].want[w] != -1 &&
				    t[i].want[w] != (int)j; w++)
					;
				ck_assert_msg(t[i].want[w] != -1,
				    "row %zu: token %zu not wanted", i, j);
			}
		}
		ck_assert_msg(more == t[i].more, "row %zu: more %d", i, more);
	}
	buf_free(&ids);
	for (i = 0; i < 8; i++)
		tok_rec_free(&tok[i]);
}
END_TEST

/* keyholectl verify's walk: a sound store, then each kind of damage. */
static size_t
verify_problems(struct store_verify *v)
{
	memset(v, 0, sizeof(*v));
	v->files_too = 1;
	ck_assert_int_eq(store_verify(st, v), STORE_OK);
	return v->problems;
}

static void
raw_put(DB *db, const void *k, size_t klen, const void *d, size_t dlen)
{
	DBT	 kd, dd;

	dbt_set(&kd, k, klen);
	dbt_set(&dd, d, dlen);
	ck_assert_int_eq(db->put(db, NULL, &kd, &dd, 0), 0);
}

static void
raw_del(DB *db, const void *k, size_t klen)
{
	DBT	 kd;

	dbt_set(&kd, k, klen);
	ck_assert_int_eq(db->del(db, NULL, &kd, 0), 0);
}

START_TEST(test_verify)
{
	static const int parent_of[6] = { -1, 0, 0, 1, -1, 3 };
	struct store_verify v;
	struct tok_rec	 tok[6];
	unsigned char	 hash[TOK_HASH_LEN], unknown[UUID_LEN];
	DBT		 keys[LIST_KEYS];
	size_t		 i, n;
	struct buf	 enc = BUF_INIT;
	DB		*hashdb;

	for (i = 0; i < 6; i++)
		insert_child(&tok[i], parent_of[i] < 0 ? NULL :
		    tok[parent_of[i]].id, "t");
	randombytes_buf(hash, sizeof(hash));
	ck_assert_int_eq(store_modify(st, tok[2].id, rotate_to, hash, NULL, 0),
	    STORE_OK);
	ck_assert_int_eq(verify_problems(&v), 0);
	ck_assert_uint_eq(v.tokens, 6);
	ck_assert_uint_eq(v.hashes, 7);		/* one rotated: two hashes */
	ck_assert_uint_eq(v.parents, 4);
	ck_assert_uint_eq(v.list_keys, v.list_keys_expected);
	ck_assert_uint_eq(v.files, 6);

	/* A list that lacks a token, then a list key of no token. */
	rec_encode(&tok[1], &enc);
	ck_assert_int_eq(store_list_keys(tok[1].id, enc.ptr, enc.len, keys, &n),
	    0);
	ck_assert_uint_gt(n, 0);
	raw_del(st->lists, keys[0].data, keys[0].size);
	ck_assert_uint_eq(verify_problems(&v), 2);	/* its lists, the total */
	raw_put(st->lists, keys[0].data, keys[0].size, "", 0);
	ck_assert_uint_eq(verify_problems(&v), 0);
	uuid7_generate(unknown);
	memcpy((unsigned char *)keys[0].data + keys[0].size - UUID_LEN, unknown,
	    UUID_LEN);
	raw_put(st->lists, keys[0].data, keys[0].size, "", 0);
	ck_assert_uint_eq(verify_problems(&v), 2);	/* no such token, the total */
	raw_del(st->lists, keys[0].data, keys[0].size);
	store_keys_free(keys, n);

	/* The id index, as the plain B-tree it is: id -> hash. */
	ck_assert_int_eq(db_create(&hashdb, st->env, 0), 0);
	ck_assert_int_eq(hashdb->open(hashdb, NULL, "records-id.db", NULL,
	    DB_BTREE, DB_AUTO_COMMIT, 0), 0);
	rec_encode_stored(&tok[4], &enc);
	ck_assert_int_eq(store_list_keys(tok[4].id, enc.ptr, enc.len, keys, &n),
	    0);
	store_keys_free(keys, n);
	/* Its id, and each of its list keys, which name it by id. */
	raw_del(hashdb, tok[4].id, UUID_LEN);
	ck_assert_uint_eq(verify_problems(&v), 1 + n);
	randombytes_buf(hash, sizeof(hash));
	raw_put(hashdb, tok[4].id, UUID_LEN, hash, TOK_HASH_LEN);
	/* missing, and stray; the lists find a record that is not it */
	ck_assert_uint_eq(verify_problems(&v), 2 + n);
	raw_put(hashdb, tok[4].id, UUID_LEN, tok[4].hash, TOK_HASH_LEN);
	ck_assert_uint_eq(verify_problems(&v), 0);
	ck_assert_int_eq(hashdb->close(hashdb, 0), 0);

	buf_free(&enc);
	for (i = 0; i < 6; i++)
		tok_rec_free(&tok[i]);
}
END_TEST

START_TEST(test_insert_guard)
{
	static const struct {
		int	 verdict;
		int	 inserted;
		int	 parent_changed;
	} t[] = {
		{ -1, 0, 0 },
		{ 0, 1, 0 },
		{ 1, 1, 1 },
	};
	struct guard_probe g;
	struct audit_rec *recs;
	struct audit_ev	 ev;
	struct tok_rec	 p, c, r;
	struct buf	 kids = BUF_INIT;
	size_t		 i, n, logged = 0;
	int		 more;

	recs = audit_recs_new(8);
	tok_rec_init(&r);
	for (i = 0; i < NITEMS(t); i++) {
		insert_child(&p, NULL, "parent");
		ck_assert_int_eq(store_modify(st, p.id, set_name, "parent",
		    NULL, 0), STORE_OK);		/* uses_left 7 */
		tok_rec_init(&c);
		uuid7_generate(c.id);
		randombytes_buf(c.hash, TOK_HASH_LEN);
		memcpy(c.created_by, p.id, UUID_LEN);
		buf_puts(&c.name, "child");
		memset(&ev, 0, sizeof(ev));
		ev.at = 1700000000;
		ev.event = "token.created";
		ev.target = c.id;
		memset(&g, 0, sizeof(g));
		g.verdict = t[i].verdict;

		ck_assert_int_eq(store_insert(st, &c, &ev, guard_spend, &g),
		    STORE_OK);
		/* The guard saw the minter as stored. */
		ck_assert_int_ge(g.calls, 1);
		ck_assert_mem_eq(g.id, p.id, UUID_LEN);
		ck_assert_str_eq(g.name, "parent");

		ck_assert_int_eq(store_get(st, c.id, &r),
		    t[i].inserted ? STORE_OK : STORE_NOTFOUND);
		ck_assert_int_eq(store_get_by_hash(st, c.hash, &r),
		    t[i].inserted ? STORE_OK : STORE_NOTFOUND);
		buf_reset(&kids);
		ck_assert_int_eq(store_children(st, p.id, &kids, 10, &more),
		    STORE_OK);
		ck_assert_uint_eq(kids.len, t[i].inserted ? UUID_LEN : 0);

		ck_assert_int_eq(store_get(st, p.id, &r), STORE_OK);
		ck_assert_msg(strcmp(buf_cstr(&r.name), t[i].parent_changed ?
		    "spent" : "parent") == 0, "row %zu: parent named %s", i,
		    buf_cstr(&r.name));
		ck_assert_int_eq(r.uses_left, t[i].parent_changed ? 6 : 7);

		/* The insert's entry only with the insert. */
		logged += t[i].inserted;
		n = audit_all(recs, 8);
		ck_assert_msg(n == logged, "row %zu: %zu entries", i, n);
		if (t[i].inserted)
			ck_assert_mem_eq(recs[n - 1].target, c.id, UUID_LEN);
		tok_rec_free(&p);
		tok_rec_free(&c);
	}
	audit_recs_free(recs, 8);
	buf_free(&kids);
	tok_rec_free(&r);
}
END_TEST

START_TEST(test_insert_guard_refused)
{
	struct guard_probe g;
	struct tok_rec	 p, c, r;

	tok_rec_init(&r);
	/* A minter that is not there: nothing inserted, the guard not asked. */
	memset(&g, 0, sizeof(g));
	g.verdict = 1;
	tok_rec_init(&c);
	uuid7_generate(c.id);
	randombytes_buf(c.hash, TOK_HASH_LEN);
	uuid7_generate(c.created_by);
	ck_assert_int_eq(store_insert(st, &c, NULL, guard_spend, &g),
	    STORE_NOTFOUND);
	ck_assert_int_eq(g.calls, 0);
	ck_assert_int_eq(store_get(st, c.id, &r), STORE_NOTFOUND);

	/* An id taken: the minter's change is not kept either. */
	insert_child(&p, NULL, "parent");
	ck_assert_int_eq(store_modify(st, p.id, set_name, "parent", NULL, 0),
	    STORE_OK);				/* uses_left 7 */
	memcpy(c.created_by, p.id, UUID_LEN);
	ck_assert_int_eq(store_insert(st, &c, NULL, guard_spend, &g),
	    STORE_OK);
	randombytes_buf(c.hash, TOK_HASH_LEN);
	ck_assert_int_eq(store_insert(st, &c, NULL, guard_spend, &g),
	    STORE_EXISTS);
	ck_assert_int_eq(store_get(st, p.id, &r), STORE_OK);
	ck_assert_int_eq(r.uses_left, 6);	/* spent once, not twice */
	tok_rec_free(&p);
	tok_rec_free(&c);
	tok_rec_free(&r);
}
END_TEST

/* Seven entries ev.0..ev.6; a cursor before, between (after ev.2) and after. */
#define NAUDIT	7
static void
audit_fill(unsigned char targets[2][UUID_LEN], unsigned char actor[UUID_LEN],
    unsigned char before[UUID_LEN], unsigned char mid[UUID_LEN],
    unsigned char after[UUID_LEN])
{
	static const char *const orgs[2] = { "acme", "other" };
	struct audit_ev	 ev;
	char		 event[16], address[32], detail[32];
	int		 i;

	uuid7_generate(before);
	uuid7_generate(targets[0]);
	uuid7_generate(targets[1]);
	uuid7_generate(actor);
	for (i = 0; i < NAUDIT; i++) {
		snprintf(event, sizeof(event), "ev.%d", i);
		snprintf(address, sizeof(address), "192.0.2.%d", i);
		snprintf(detail, sizeof(detail), "detail %d", i);
		memset(&ev, 0, sizeof(ev));
		ev.at = 1000 + i;
		ev.event = event;
		if (i < NAUDIT - 1) {	/* the last one has nothing else */
			ev.actor = actor;
			ev.target = targets[i % 2];
			ev.organization = orgs[i % 2];
			ev.address = address;
			ev.detail = i == 3 ? NULL : detail;
		}
		ck_assert_int_eq(store_audit(st, &ev), STORE_OK);
		if (i == 2)
			uuid7_generate(mid);
	}
	uuid7_generate(after);
}

START_TEST(test_audit_list_fields)
{
	unsigned char	 targets[2][UUID_LEN], actor[UUID_LEN];
	unsigned char	 before[UUID_LEN], mid[UUID_LEN], after[UUID_LEN];
	unsigned char	 last[UUID_LEN];
	struct audit_rec *recs;
	char		 want[32];
	size_t		 n;
	int		 i, more;

	audit_fill(targets, actor, before, mid, after);
	recs = audit_recs_new(NAUDIT + 1);
	ck_assert_int_eq(store_audit_list(st, NULL, 0, NULL, NULL, recs,
	    NAUDIT + 1, 1000, &n, &more, last), STORE_OK);
	ck_assert_uint_eq(n, NAUDIT);
	ck_assert_int_eq(more, 0);
	ck_assert_mem_eq(last, recs[NAUDIT - 1].id, UUID_LEN);
	for (i = 0; i < NAUDIT; i++) {
		snprintf(want, sizeof(want), "ev.%d", i);
		ck_assert_str_eq(buf_cstr(&recs[i].event), want);
		ck_assert_int_eq(recs[i].at, 1000 + i);
		if (i > 0)
			ck_assert_int_lt(memcmp(recs[i - 1].id, recs[i].id,
			    UUID_LEN), 0);
		if (i == NAUDIT - 1) {
			ck_assert_int_eq(recs[i].has_actor, 0);
			ck_assert_int_eq(recs[i].has_target, 0);
			ck_assert_uint_eq(recs[i].organization.len, 0);
			ck_assert_uint_eq(recs[i].address.len, 0);
			ck_assert_uint_eq(recs[i].detail.len, 0);
			continue;
		}
		ck_assert_int_eq(recs[i].has_actor, 1);
		ck_assert_mem_eq(recs[i].actor, actor, UUID_LEN);
		ck_assert_int_eq(recs[i].has_target, 1);
		ck_assert_mem_eq(recs[i].target, targets[i % 2], UUID_LEN);
		ck_assert_str_eq(buf_cstr(&recs[i].organization),
		    i % 2 ? "other" : "acme");
		snprintf(want, sizeof(want), "192.0.2.%d", i);
		ck_assert_str_eq(buf_cstr(&recs[i].address), want);
		snprintf(want, sizeof(want), "detail %d", i);
		ck_assert_str_eq(buf_cstr(&recs[i].detail), i == 3 ? "" : want);
	}
	audit_recs_free(recs, NAUDIT + 1);
}
END_TEST

START_TEST(test_audit_list_pages)
{
	enum { M_ALL, M_ODD, M_TARGET0, M_NONE };
	enum { C_START, C_BEFORE, C_MID, C_AFTER };
	/* pages: entry numbers, pages separated by '|' */
	static const struct {
		int		 desc, match, cursor;
		size_t		 max, scanmax;
		const char	*pages;
	} t[] = {
		{ 0, M_ALL, C_START, 3, 1000, "0 1 2|3 4 5|6" },
		{ 1, M_ALL, C_START, 3, 1000, "6 5 4|3 2 1|0" },
		{ 0, M_ALL, C_START, 7, 1000, "0 1 2 3 4 5 6" },
		{ 1, M_ALL, C_START, 7, 1000, "6 5 4 3 2 1 0" },
		{ 0, M_ALL, C_START, 100, 1000, "0 1 2 3 4 5 6" },
		{ 0, M_ALL, C_START, 1, 1000, "0|1|2|3|4|5|6" },
		{ 1, M_ALL, C_START, 1, 1000, "6|5|4|3|2|1|0" },
		{ 0, M_ODD, C_START, 2, 1000, "1 3|5" },
		{ 1, M_ODD, C_START, 2, 1000, "5 3|1" },
		{ 0, M_ODD, C_START, 3, 1000, "1 3 5" },
		{ 1, M_TARGET0, C_START, 2, 1000, "4 2|0" },
		{ 0, M_NONE, C_START, 5, 1000, "" },
		{ 1, M_NONE, C_START, 5, 1000, "" },
		/* cursors that are no entry */
		{ 0, M_ALL, C_BEFORE, 10, 1000, "0 1 2 3 4 5 6" },
		{ 1, M_ALL, C_BEFORE, 10, 1000, "" },
		{ 0, M_ALL, C_MID, 10, 1000, "3 4 5 6" },
		{ 1, M_ALL, C_MID, 10, 1000, "2 1 0" },
		{ 1, M_ALL, C_MID, 2, 1000, "2 1|0" },
		{ 0, M_ALL, C_AFTER, 10, 1000, "" },
		{ 1, M_ALL, C_AFTER, 10, 1000, "6 5 4 3 2 1 0" },
		{ 1, M_ODD, C_AFTER, 2, 1000, "5 3|1" },
	};
	unsigned char	 targets[2][UUID_LEN], actor[UUID_LEN];
	unsigned char	 cur[4][UUID_LEN], last[UUID_LEN];
	const unsigned char *after;
	audit_match_fn	 match;
	void		*marg;
	struct audit_rec *recs;
	struct buf	 got = BUF_INIT;
	size_t		 i, k, n, pages;
	int		 more;

	audit_fill(targets, actor, cur[C_BEFORE], cur[C_MID], cur[C_AFTER]);
	recs = audit_recs_new(100);
	for (i = 0; i < NITEMS(t); i++) {
		match = t[i].match == M_ODD ? audit_odd :
		    t[i].match == M_TARGET0 ? audit_target_is :
		    t[i].match == M_NONE ? audit_none : NULL;
		marg = t[i].match == M_TARGET0 ? targets[0] : NULL;
		after = t[i].cursor == C_START ? NULL : cur[t[i].cursor];
		buf_reset(&got);
		for (pages = 0, more = 1; more && pages < 20; pages++) {
			ck_assert_int_eq(store_audit_list(st, after, t[i].desc,
			    match, marg, recs, t[i].max, t[i].scanmax, &n,
			    &more, last), STORE_OK);
			ck_assert_uint_le(n, t[i].max);
			if (pages > 0 && (n > 0 || more))
				buf_putc(&got, '|');
			for (k = 0; k < n; k++)
				buf_printf(&got, "%s%s", k > 0 ? " " : "",
				    buf_cstr(&recs[k].event) + 3);
			/* The cursor is at or past the last entry returned
			 * (skipped entries after it are consumed too). */
			if (n > 0 && t[i].desc)
				ck_assert_int_le(memcmp(last, recs[n - 1].id,
				    UUID_LEN), 0);
			else if (n > 0)
				ck_assert_int_ge(memcmp(last, recs[n - 1].id,
				    UUID_LEN), 0);
			memcpy(cur[C_START], last, UUID_LEN);
			after = cur[C_START];
		}
		ck_assert_msg(strcmp(buf_cstr(&got), t[i].pages) == 0,
		    "row %zu: pages \"%s\", want \"%s\"", i, buf_cstr(&got),
		    t[i].pages);
	}
	audit_recs_free(recs, 100);
	buf_free(&got);
}
END_TEST

/* A filter that skips whole pages still moves the cursor on: no loop, no early end. */
START_TEST(test_audit_list_resume)
{
	static const struct {
		int		 desc;
		const char	*got;
	} t[] = {
		{ 0, "1 3 5" },
		{ 1, "5 3 1" },
	};
	unsigned char	 targets[2][UUID_LEN], actor[UUID_LEN];
	unsigned char	 c1[UUID_LEN], c2[UUID_LEN], c3[UUID_LEN];
	unsigned char	 last[UUID_LEN], after[UUID_LEN];
	struct audit_rec *recs;
	struct buf	 got = BUF_INIT;
	size_t		 i, k, n, pages;
	int		 more;

	audit_fill(targets, actor, c1, c2, c3);
	recs = audit_recs_new(10);
	for (i = 0; i < NITEMS(t); i++) {
		buf_reset(&got);
		more = 1;
		for (pages = 0; more && pages < 20; pages++) {
			ck_assert_int_eq(store_audit_list(st, pages ? after :
			    NULL, t[i].desc, audit_odd, NULL, recs, 10, 1, &n,
			    &more, last), STORE_OK);
			for (k = 0; k < n; k++)
				buf_printf(&got, "%s%s", got.len ? " " : "",
				    buf_cstr(&recs[k].event) + 3);
			memcpy(after, last, UUID_LEN);
		}
		ck_assert_uint_lt(pages, 20);
		ck_assert_str_eq(buf_cstr(&got), t[i].got);
	}
	audit_recs_free(recs, 10);
	buf_free(&got);
}
END_TEST

START_TEST(test_audit_list_scanmax)
{
	static const struct {
		int		 desc, odd;
		size_t		 max, scanmax;
		const char	*got;
		int		 more;
	} t[] = {
		{ 0, 1, 10, 2, "1", 1 },	/* examined 0, 1 */
		{ 0, 1, 10, 1, "", 1 },
		{ 1, 0, 10, 3, "6 5 4", 1 },
		{ 1, 1, 10, 3, "5", 1 },
		{ 0, 0, 10, 7, "0 1 2 3 4 5 6", 0 },
		{ 0, 1, 10, 7, "1 3 5", 0 },
	};
	unsigned char	 targets[2][UUID_LEN], actor[UUID_LEN];
	unsigned char	 c1[UUID_LEN], c2[UUID_LEN], c3[UUID_LEN];
	unsigned char	 last[UUID_LEN];
	struct audit_rec *recs;
	struct buf	 got = BUF_INIT;
	size_t		 i, k, n;
	int		 more;

	audit_fill(targets, actor, c1, c2, c3);
	recs = audit_recs_new(10);
	for (i = 0; i < NITEMS(t); i++) {
		ck_assert_int_eq(store_audit_list(st, NULL, t[i].desc,
		    t[i].odd ? audit_odd : NULL, NULL, recs, t[i].max,
		    t[i].scanmax, &n, &more, last), STORE_OK);
		buf_reset(&got);
		for (k = 0; k < n; k++)
			buf_printf(&got, "%s%s", k > 0 ? " " : "",
			    buf_cstr(&recs[k].event) + 3);
		ck_assert_msg(strcmp(buf_cstr(&got), t[i].got) == 0 &&
		    more == t[i].more, "row %zu: \"%s\" more %d", i,
		    buf_cstr(&got), more);
	}
	audit_recs_free(recs, 10);
	buf_free(&got);
}
END_TEST

/* What happens to the stored caller after the request read it. */
static int
stale_revoke(struct tok_rec *r, void *arg)
{
	r->revoked_at = *(int64_t *)arg - 1;
	return 1;
}

static int
stale_expire(struct tok_rec *r, void *arg)
{
	r->expires_at = *(int64_t *)arg - 1;
	return 1;
}

static int
stale_rotate(struct tok_rec *r, void *arg)
{
	(void)arg;
	randombytes_buf(r->hash, TOK_HASH_LEN);	/* no grace: the old one is gone */
	r->has_prev = 0;
	return 1;
}

/*
 * Every write re-reads its caller in its own transaction: a caller
 * revoked, expired or rotated after it was read (here: after
 * caller_init, standing for the request's authentication) can no longer
 * mint, update, rotate or revoke, and nothing changes.  The same calls
 * with the caller untouched succeed: the refusal is the re-read's.
 */
START_TEST(test_stale_caller)
{
	static store_modify_fn const change[] = {
		NULL, stale_revoke, stale_expire, stale_rotate,
	};
	struct tok_rec	 caller, target, out, got;
	struct patch_req p;
	struct mint_req	 m;
	char		 secret[TOK_SECRET_MAX + 1], tsecret[TOK_SECRET_MAX + 1];
	int64_t		 now = (int64_t)time(NULL);
	enum store_err	 se;
	size_t		 i;
	int		 stale;

	for (i = 0; i < NITEMS(change); i++) {
		stale = change[i] != NULL;
		caller_init(&caller, now);
		caller.expires_at = 0;
		buf_reset(&caller.direct);
		buf_puts(&caller.direct, "*");
		buf_reset(&caller.scopes);
		buf_puts(&caller.scopes, "*");
		caller_store(&caller);
		tok_rec_init(&target);
		tok_rec_init(&out);
		tok_rec_init(&got);
		mint_admin("db:read", "acme", now, tsecret, &target);
		if (stale)
			ck_assert_int_eq(store_modify(st, caller.id, change[i],
			    &now, NULL, 0), STORE_OK);

		mint_req_init(&m);
		buf_puts(&m.name, "child");
		buf_puts(&m.scopes, "db:read");
		ck_assert_int_eq(tokens_mint(st, &caller, &m, now, "", secret,
		    sizeof(secret), &out, &se), stale ? MINT_INACTIVE : MINT_OK);
		if (stale)
			ck_assert_int_eq(secret[0], '\0');	/* wiped */
		mint_req_free(&m);

		patch_req_init(&p);
		p.has_name = 1;
		buf_puts(&p.name, "renamed");
		ck_assert_int_eq(tokens_update(st, target.id, &caller, &p, now,
		    "", &out, &se), stale ? OP_INACTIVE : OP_OK);
		patch_req_free(&p);
		ck_assert_int_eq(tokens_rotate(st, target.id, &caller, 0, now,
		    "", secret, sizeof(secret), &out, &se),
		    stale ? OP_INACTIVE : OP_OK);
		if (stale)
			ck_assert_int_eq(secret[0], '\0');
		ck_assert_int_eq(tokens_revoke(st, target.id, &caller, 0, now,
		    "", NULL, &se), stale ? OP_INACTIVE : OP_OK);

		ck_assert_int_eq(store_get(st, target.id, &got), STORE_OK);
		if (stale) {
			ck_assert_str_eq(buf_cstr(&got.name), "minted");
			ck_assert_int_eq(got.rotations, 0);
			ck_assert_int_eq(got.revoked_at, 0);
			ck_assert_int_eq(tokens_lookup(st, tsecret,
			    strlen(tsecret), KIND_STANDARD, now, &got, &se),
			    AUTH_OK);
		} else {
			ck_assert_str_eq(buf_cstr(&got.name), "renamed");
			ck_assert_int_eq(got.rotations, 1);
			ck_assert_int_ne(got.revoked_at, 0);
		}
		tok_rec_free(&caller);
		tok_rec_free(&target);
		tok_rec_free(&out);
		tok_rec_free(&got);
	}
}
END_TEST

static Suite *
store_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("store");

	tc = tcase_create("codec");
	tcase_add_test(tc, test_codec_full);
	tcase_add_test(tc, test_codec_minimal);
	tcase_add_test(tc, test_codec_extremes);
	tcase_add_test(tc, test_codec_decode_resets);
	tcase_add_test(tc, test_decode_empty);
	tcase_add_test(tc, test_decode_version);
	tcase_add_test(tc, test_decode_short);
	tcase_add_test(tc, test_decode_field_past_end);
	tcase_add_test(tc, test_decode_hint_too_long);
	tcase_add_test(tc, test_decode_unknown_tag);
	tcase_add_test(tc, test_codec_lifecycle_ints);
	tcase_add_test(tc, test_codec_lifecycle_strings);
	tcase_add_test(tc, test_codec_direct);
	tcase_add_test(tc, test_decode_direct_stored);
	tcase_add_test(tc, test_codec_prev);
	tcase_add_test(tc, test_codec_old_record);
	tcase_add_test(tc, test_decode_lifecycle_bad);
	suite_add_tcase(s, tc);

	tc = tcase_create("open");
	tcase_set_timeout(tc, 60);	/* valgrind */
	tcase_add_checked_fixture(tc, dir_setup, teardown);
	tcase_add_test(tc, test_open_create);
	tcase_add_test(tc, test_open_create_twice);
	tcase_add_test(tc, test_open_missing);
	tcase_add_test(tc, test_open_no_databases);
	suite_add_tcase(s, tc);

	tc = tcase_create("records");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, store_setup, teardown);
	tcase_add_test(tc, test_insert_get);
	tcase_add_test(tc, test_insert_get_by_hash);
	tcase_add_test(tc, test_get_unknown);
	tcase_add_test(tc, test_insert_twice);
	tcase_add_test(tc, test_insert_same_hash);
	tcase_add_test(tc, test_get_by_hash_unknown);
	tcase_add_test(tc, test_modify_persists);
	tcase_add_test(tc, test_modify_unchanged);
	tcase_add_test(tc, test_modify_fn_fails);
	tcase_add_test(tc, test_modify_unknown);
	tcase_add_test(tc, test_list_pages);
	tcase_add_test(tc, test_list_exact_page);
	tcase_add_test(tc, test_list_index);
	tcase_add_test(tc, test_list_match);
	tcase_add_test(tc, test_list_scanmax);
	tcase_add_test(tc, test_persist_record);
	tcase_add_test(tc, test_persist_hashkey);
	suite_add_tcase(s, tc);

	tc = tcase_create("tokens");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, store_setup, teardown);
	tcase_add_test(tc, test_mint_admin);
	tcase_add_test(tc, test_mint_lookup);
	tcase_add_test(tc, test_mint_hash);
	tcase_add_test(tc, test_mint_secret_not_stored);
	tcase_add_test(tc, test_mint_scope);
	tcase_add_test(tc, test_mint_organization);
	tcase_add_test(tc, test_mint_inherits_org);
	tcase_add_test(tc, test_mint_inherits_expiry);
	tcase_add_test(tc, test_mint_outlives_caller);
	tcase_add_test(tc, test_mint_at_caller_expiry);
	tcase_add_test(tc, test_mint_expired);
	tcase_add_test(tc, test_lookup_malformed);
	tcase_add_test(tc, test_lookup_unknown);
	tcase_add_test(tc, test_lookup_revoked);
	tcase_add_test(tc, test_revoke_idempotent);
	tcase_add_test(tc, test_revoke_unknown);
	tcase_add_test(tc, test_revoke_other_org);
	tcase_add_test(tc, test_revoke_denied);
	tcase_add_test(tc, test_revoke_self);
	tcase_add_test(tc, test_revoke_self_widened);
	suite_add_tcase(s, tc);

	tc = tcase_create("lifecycle");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, store_setup, teardown);
	tcase_add_test(tc, test_prev_hash_lookup);
	tcase_add_test(tc, test_prev_hash_insert);
	tcase_add_test(tc, test_modify_flags);
	tcase_add_test(tc, test_modify_lazy_persists);
	tcase_add_test(tc, test_modify_many);
	tcase_add_test(tc, test_modify_many_no_audit);
	tcase_add_test(tc, test_delete_many);
	tcase_add_test(tc, test_children);
	tcase_add_test(tc, test_verify);
	tcase_add_test(tc, test_insert_guard);
	tcase_add_test(tc, test_insert_guard_refused);
	tcase_add_test(tc, test_stale_caller);
	suite_add_tcase(s, tc);

	tc = tcase_create("audit");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, store_setup, teardown);
	tcase_add_test(tc, test_audit_list_fields);
	tcase_add_test(tc, test_audit_list_pages);
	tcase_add_test(tc, test_audit_list_scanmax);
	tcase_add_test(tc, test_audit_list_resume);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	if (sodium_init() < 0)
		return 1;
	/* The library's defaults, whatever the environment says. */
	unsetenv("KEYHOLE_MAX_LIFETIME");
	unsetenv("KEYHOLE_PREFIX");
	unsetenv("KEYHOLE_SYNC");
	setenv("KEYHOLE_CACHE_MB", "1", 1);	/* small region files */
	/* A failed test (forked) skips its teardown: this catches its files. */
	snprintf(top, sizeof(top), "/tmp/keyhole-test.XXXXXX");
	if (mkdtemp(top) == NULL)
		return 1;
	sr = srunner_create(store_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	nftw(top, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return failed == 0 ? 0 : 1;
}
