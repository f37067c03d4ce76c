/* test_store: unit tests for lib/store.c (record codec, Berkeley DB store) and lib/tokens.c (mint, lookup, revoke). */
#define _GNU_SOURCE	/* memmem(), nftw() */

#include <sys/stat.h>
#include <sys/types.h>

#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <sodium.h>

#include "keyhole.h"

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

	/* The last field (metadata, 9 bytes) loses its last byte. */
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
	ck_assert_int_eq(tokens_revoke(st, minted.id, NULL, 0, now, "", &se),
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
	ck_assert_int_eq(tokens_revoke(st, minted.id, NULL, 0, now, "", &se),
	    OP_OK);
	ck_assert_int_eq(store_get(st, minted.id, &got), STORE_OK);
	ck_assert_int_eq(got.revoked_at, now);
	ck_assert_int_eq(tokens_revoke(st, minted.id, NULL, 0, now + 60, "",
	    &se), OP_OK);
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
	    "", &se), OP_NOTFOUND);
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
	    &se), OP_NOTFOUND);
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
	tok_rec_init(&minted);
	tok_rec_init(&got);
	mint_admin("audit:read tokens:read", "acme", now, secret, &minted);
	ck_assert_int_eq(tokens_revoke(st, minted.id, &caller, 0, now, "",
	    &se), OP_DENIED);
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
	    &se), OP_OK);
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
	    &se), OP_OK);
	ck_assert_int_eq(store_get(st, minted.id, &got), STORE_OK);
	ck_assert_str_eq(buf_cstr(&got.scopes), "audit:read protected:read");
	ck_assert_str_eq(buf_cstr(&got.direct), "audit:read protected:read");
	ck_assert_int_eq(got.revoked_at, now);
	tok_rec_free(&minted);
	tok_rec_free(&caller);
	tok_rec_free(&got);
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
