/* test_token: unit tests for lib/token.c (secrets, hashing, UUIDv7). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>
#include <sodium.h>

#include "token.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))
#define TAIL_LEN	(TOK_RAND_LEN + TOK_CRC_LEN)

static const char b62[] =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

static uint32_t	 crc32_bitwise(const unsigned char *, size_t);
static void	 forge(const char *, const char *, char *);
static int	 check_exact(const char *, size_t);
static int	 parse_exact(const char *, size_t, unsigned char *);
static int	 is_b62(char);
static int	 cmpstr(const void *, const void *);
static uint64_t	 uuid_ms(const unsigned char *);
static uint64_t	 wall_ms(void);
static Suite	*token_suite(void);

/* Reference CRC-32 without a table, to cross-check the table. */
static uint32_t
crc32_bitwise(const unsigned char *p, size_t n)
{
	uint32_t	 c = 0xffffffffU;
	int		 k;

	while (n-- > 0) {
		c ^= *p++;
		for (k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0xedb88320U : c >> 1;
	}
	return c ^ 0xffffffffU;
}

/*
 * Build PREFIX RANDOM CRC with a correct checksum for any prefix, so that
 * a rejection can only come from the part under test.  The encoding is
 * pinned independently by the known-answer test.
 */
static void
forge(const char *prefix, const char *rnd, char *out)
{
	size_t		 n;
	uint32_t	 crc;
	int		 i;

	n = strlen(prefix);
	memcpy(out, prefix, n);
	memcpy(out + n, rnd, TOK_RAND_LEN);
	crc = tok_crc32(out, n + TOK_RAND_LEN);
	for (i = TOK_CRC_LEN - 1; i >= 0; i--) {
		out[n + TOK_RAND_LEN + i] = b62[crc % 62];
		crc /= 62;
	}
	out[n + TAIL_LEN] = '\0';
}

/* tok_check() on a heap copy of exactly len bytes: ASan sees overreads. */
static int
check_exact(const char *s, size_t len)
{
	char	*p;
	int	 rc;

	p = malloc(len > 0 ? len : 1);
	ck_assert_ptr_nonnull(p);
	if (len > 0)
		memcpy(p, s, len);
	rc = tok_check(p, len);
	free(p);
	return rc;
}

static int
parse_exact(const char *s, size_t len, unsigned char *id)
{
	char	*p;
	int	 rc;

	p = malloc(len > 0 ? len : 1);
	ck_assert_ptr_nonnull(p);
	if (len > 0)
		memcpy(p, s, len);
	rc = uuid_parse(p, len, id);
	free(p);
	return rc;
}

static int
is_b62(char c)
{
	return c != '\0' && strchr(b62, c) != NULL;
}

static int
cmpstr(const void *a, const void *b)
{
	return strcmp(a, b);
}

static uint64_t
uuid_ms(const unsigned char *id)
{
	uint64_t	 ms = 0;
	int		 i;

	for (i = 0; i < 6; i++)
		ms = ms << 8 | id[i];
	return ms;
}

static uint64_t
wall_ms(void)
{
	struct timespec	 ts;

	ck_assert_int_eq(clock_gettime(CLOCK_REALTIME, &ts), 0);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

START_TEST(test_crc_vectors)
{
	static const struct {
		const char	*in;
		uint32_t	 crc;
	} t[] = {
		{ "", 0x00000000U },
		{ "a", 0xe8b7be43U },
		{ "abc", 0x352441c2U },
		{ "123456789", 0xcbf43926U },
		{ "The quick brown fox jumps over the lazy dog", 0x414fa339U },
	};
	size_t	 i;

	for (i = 0; i < NITEMS(t); i++)
		ck_assert_msg(tok_crc32(t[i].in, strlen(t[i].in)) == t[i].crc,
		    "crc32(\"%s\")", t[i].in);
}
END_TEST

START_TEST(test_crc_matches_bitwise)
{
	unsigned char	 buf[300];
	size_t		 n;

	/* Every byte value alone, then random buffers of every length. */
	for (n = 0; n < 256; n++) {
		buf[0] = (unsigned char)n;
		ck_assert_uint_eq(tok_crc32(buf, 1), crc32_bitwise(buf, 1));
	}
	for (n = 0; n <= sizeof(buf); n++) {
		randombytes_buf(buf, n);
		ck_assert_uint_eq(tok_crc32(buf, n), crc32_bitwise(buf, n));
	}
}
END_TEST

START_TEST(test_prefix_ok)
{
	static const struct {
		const char	*p;
		int		 ok;
	} t[] = {
		{ "kh_", 1 },
		{ "api_", 1 },
		{ "key-", 1 },
		{ "a_", 1 },
		{ "0-", 1 },
		{ "abcdefghij01234_", 1 },	/* 16 */
		{ "", 0 },
		{ "_", 0 },
		{ "-", 0 },
		{ "KH_", 0 },
		{ "kh", 0 },
		{ "k h_", 0 },
		{ "kh__", 0 },
		{ "k-h_", 0 },
		{ "kh_x", 0 },
		{ "kh.", 0 },
		{ "toolongprefix1234_", 0 },
		{ "abcdefghij012345_", 0 },	/* 17 */
		{ "k\xe9_", 0 },
	};
	size_t	 i;

	for (i = 0; i < NITEMS(t); i++)
		ck_assert_msg(tok_prefix_ok(t[i].p) == t[i].ok,
		    "prefix \"%s\" expected %d", t[i].p, t[i].ok);
	ck_assert_int_eq(tok_prefix_ok(NULL), 0);
}
END_TEST

START_TEST(test_check_known_answers)
{
	/* Computed independently with Python's zlib.crc32 and base62. */
	static const char	*t[] = {
		"kh_0123456789ABCDEFGHIJKLMNOPQRSTUV3El83R",
		"api_abcdefghijklmnopqrstuvwxyzABCDEF2GA8Of",
		"key-Ky9Pf34qY6Nb3wWD25RQ4F5ZR3qa7yEe0RiJjs",
		"x9_T4r5yHUig43kiJfahqSIjOugM1yTMAd7090us9",	/* CRC "0..." */
	};
	char	 pre[TOK_PREFIX_MAX + 1], f[TOK_SECRET_MAX + 1];
	size_t	 i, n, plen;

	for (i = 0; i < NITEMS(t); i++) {
		n = strlen(t[i]);
		ck_assert_msg(check_exact(t[i], n) == 1, "%s", t[i]);
		/* The test's forge() agrees with the reference encoding. */
		plen = n - TAIL_LEN;
		memcpy(pre, t[i], plen);
		pre[plen] = '\0';
		forge(pre, t[i] + plen, f);
		ck_assert_str_eq(f, t[i]);
	}
}
END_TEST

START_TEST(test_generate_shape)
{
	static const char	*t[] = {
		"kh_", "api_", "key-", "a_", "abcdefghij01234_",
		TOK_DEFAULT_PREFIX,
	};
	char	 s[TOK_SECRET_MAX + 1];
	size_t	 i, j, plen;

	for (i = 0; i < NITEMS(t); i++) {
		plen = strlen(t[i]);
		ck_assert_int_eq(tok_generate(t[i], s, sizeof(s)), 0);
		ck_assert_uint_eq(strlen(s), plen + TAIL_LEN);
		ck_assert_msg(strncmp(s, t[i], plen) == 0,
		    "%s lacks %s", s, t[i]);
		for (j = plen; j < plen + TAIL_LEN; j++)
			ck_assert_msg(is_b62(s[j]),
			    "%s: non-base62 at %zu", s, j);
		ck_assert_msg(tok_check(s, strlen(s)) == 1, "%s", s);
		ck_assert_msg(check_exact(s, strlen(s)) == 1, "%s", s);
	}
}
END_TEST

START_TEST(test_generate_distinct)
{
	enum { N = 1000 };
	char	(*s)[TOK_SECRET_MAX + 1];
	size_t	 i;

	s = calloc(N, sizeof(*s));
	ck_assert_ptr_nonnull(s);
	for (i = 0; i < N; i++)
		ck_assert_int_eq(tok_generate("kh_", s[i], sizeof(s[i])), 0);
	qsort(s, N, sizeof(*s), cmpstr);
	for (i = 1; i < N; i++)
		ck_assert_msg(strcmp(s[i - 1], s[i]) != 0,
		    "duplicate %s", s[i]);
	free(s);
}
END_TEST

/*
 * All 62 characters occur in RANDOM, none grossly over- or under-drawn.
 * Expected 516 each with sd ~22: the bounds are over 10 sd away.
 */
START_TEST(test_generate_alphabet)
{
	enum { N = 1000, EXPECT = N * TOK_RAND_LEN / 62 };
	char	 s[TOK_SECRET_MAX + 1];
	size_t	 count[62], i, j;

	memset(count, 0, sizeof(count));
	for (i = 0; i < N; i++) {
		ck_assert_int_eq(tok_generate("kh_", s, sizeof(s)), 0);
		for (j = 3; j < 3 + TOK_RAND_LEN; j++) {
			ck_assert(is_b62(s[j]));
			count[strchr(b62, s[j]) - b62]++;
		}
	}
	for (i = 0; i < 62; i++)
		ck_assert_msg(count[i] > EXPECT / 2 && count[i] < EXPECT * 2,
		    "'%c' drawn %zu times", b62[i], count[i]);
}
END_TEST

START_TEST(test_generate_rejects)
{
	static const char	*bad[] = {
		"", "_", "KH_", "kh", "toolongprefix1234_", "k h_",
	};
	char	 s[TOK_SECRET_MAX + 1];
	size_t	 i, need;

	for (i = 0; i < NITEMS(bad); i++)
		ck_assert_msg(tok_generate(bad[i], s, sizeof(s)) == -1,
		    "prefix \"%s\" accepted", bad[i]);
	ck_assert_int_eq(tok_generate(NULL, s, sizeof(s)), -1);

	/* Output size: exactly enough works, one less does not. */
	need = strlen("kh_") + TAIL_LEN + 1;
	ck_assert_int_eq(tok_generate("kh_", s, need - 1), -1);
	ck_assert_int_eq(tok_generate("kh_", s, 0), -1);
	ck_assert_int_eq(tok_generate("kh_", s, need), 0);
	ck_assert_int_eq(tok_check(s, strlen(s)), 1);
}
END_TEST

/*
 * Every single-character substitution is refused.  CRC-32 detects every
 * error confined to 32 consecutive bits, so this holds for any token, not
 * just with high probability.
 */
START_TEST(test_check_substitution)
{
	static const char	*prefixes[] = { "kh_", "api_", "key-" };
	char			 s[TOK_SECRET_MAX + 1], orig;
	size_t			 k, i, j, len, plen, tried;

	for (k = 0; k < NITEMS(prefixes); k++) {
		ck_assert_int_eq(tok_generate(prefixes[k], s, sizeof(s)), 0);
		len = strlen(s);
		plen = strlen(prefixes[k]);
		tried = 0;
		for (i = plen; i < len; i++) {
			orig = s[i];
			for (j = 0; j < sizeof(b62) - 1; j++) {
				if (b62[j] == orig)
					continue;
				s[i] = b62[j];
				ck_assert_msg(tok_check(s, len) == 0,
				    "%s accepted (pos %zu)", s, i);
				tried++;
			}
			s[i] = orig;
		}
		ck_assert_uint_eq(tried, TAIL_LEN * 61);
		ck_assert_int_eq(tok_check(s, len), 1);
	}
}
END_TEST

START_TEST(test_check_transposition)
{
	char	 s[TOK_SECRET_MAX + 1], c;
	size_t	 i, len, swapped = 0;
	int	 round;

	for (round = 0; round < 20; round++) {
		ck_assert_int_eq(tok_generate("kh_", s, sizeof(s)), 0);
		len = strlen(s);
		/*
		 * Swaps inside PREFIX+RANDOM are 16-bit bursts and swaps
		 * inside CRC leave the message alone: both always caught.
		 * The one swap across the RANDOM/CRC boundary would pass
		 * only on a ~2^-32 fluke.
		 */
		for (i = 0; i + 1 < len; i++) {
			if (s[i] == s[i + 1])
				continue;
			c = s[i];
			s[i] = s[i + 1];
			s[i + 1] = c;
			ck_assert_msg(tok_check(s, len) == 0,
			    "%s accepted (swap %zu)", s, i);
			s[i + 1] = s[i];
			s[i] = c;
			swapped++;
		}
		ck_assert_int_eq(tok_check(s, len), 1);
	}
	ck_assert_uint_gt(swapped, 0);
}
END_TEST

START_TEST(test_check_malformed)
{
	static const char	 junk[] = "+/=._- ~\t\n\x7f\x80\xff";
	char			 s[TOK_SECRET_MAX + 2], t[TOK_SECRET_MAX + 2];
	size_t			 i, j, len;

	ck_assert_int_eq(tok_generate("kh_", s, sizeof(s)), 0);
	len = strlen(s);
	ck_assert_int_eq(check_exact(s, len), 1);

	/* Empty, NULL, and every truncation. */
	ck_assert_int_eq(tok_check(NULL, 0), 0);
	ck_assert_int_eq(tok_check(NULL, len), 0);
	ck_assert_int_eq(tok_check("", 0), 0);
	for (i = 0; i < len; i++)
		ck_assert_msg(check_exact(s, i) == 0, "truncated to %zu", i);
	/* Suffixes, i.e. truncated from the front. */
	for (i = 1; i < len; i++)
		ck_assert_msg(check_exact(s + i, len - i) == 0, "from %zu", i);

	/* Extended at either end. */
	memcpy(t, s, len);
	t[len] = '0';
	ck_assert_int_eq(check_exact(t, len + 1), 0);
	t[0] = 'k';
	memcpy(t + 1, s, len);
	ck_assert_int_eq(check_exact(t, len + 1), 0);

	/* Embedded NUL and non-base62 bytes at each position after "kh_". */
	for (i = 3; i < len; i++) {
		memcpy(t, s, len);
		t[i] = '\0';
		ck_assert_msg(check_exact(t, len) == 0, "NUL at %zu", i);
		for (j = 0; j < sizeof(junk) - 1; j++) {
			t[i] = junk[j];
			ck_assert_msg(check_exact(t, len) == 0,
			    "0x%02x at %zu", (unsigned char)junk[j], i);
		}
	}
	/* NUL in the prefix, and a NUL-terminated token one short of len. */
	memcpy(t, s, len);
	t[1] = '\0';
	ck_assert_int_eq(check_exact(t, len), 0);
	ck_assert_int_eq(check_exact(s, len + 1), 0);
}
END_TEST

START_TEST(test_check_bad_prefix)
{
	static const char	 rnd[] = "0123456789ABCDEFGHIJKLMNOPQRSTUV";
	static const char	*bad[] = {
		"", "_", "-", "KH_", "kh", "toolongprefix1234_", "k h_",
		"kh__", "Kh_", "kh.", "abcdefghij012345_",
	};
	static const char	*good[] = {
		"kh_", "api_", "key-", "a_", "abcdefghij01234_",
	};
	char	 s[64];
	size_t	 i;

	/* Controls: forge() makes acceptable tokens for good prefixes. */
	for (i = 0; i < NITEMS(good); i++) {
		forge(good[i], rnd, s);
		ck_assert_msg(check_exact(s, strlen(s)) == 1, "%s", s);
	}
	/* Same construction, correct CRC, bad prefix: refused. */
	for (i = 0; i < NITEMS(bad); i++) {
		forge(bad[i], rnd, s);
		ck_assert_msg(check_exact(s, strlen(s)) == 0, "%s", s);
	}
}
END_TEST

/* A non-base62 byte in RANDOM is refused even under a matching CRC. */
START_TEST(test_check_bad_random)
{
	static const char	 junk[] = "+/=._- ~\x80\xff";
	char			 rnd[TOK_RAND_LEN + 1], s[64], orig;
	size_t			 i, j;

	memcpy(rnd, "0123456789ABCDEFGHIJKLMNOPQRSTUV", sizeof(rnd));
	for (i = 0; i < TOK_RAND_LEN; i++) {
		orig = rnd[i];
		for (j = 0; j < sizeof(junk) - 1; j++) {
			rnd[i] = junk[j];
			forge("kh_", rnd, s);
			ck_assert_msg(check_exact(s, strlen(s)) == 0,
			    "0x%02x at %zu", (unsigned char)junk[j], i);
		}
		/* Embedded NUL: forge() copies it; strlen() would stop. */
		rnd[i] = '\0';
		forge("kh_", rnd, s);
		ck_assert_msg(check_exact(s, 3 + TAIL_LEN) == 0,
		    "NUL at %zu", i);
		rnd[i] = orig;
	}
	forge("kh_", rnd, s);
	ck_assert_int_eq(check_exact(s, strlen(s)), 1);
}
END_TEST

START_TEST(test_check_exact_buffer)
{
	char	 s[TOK_SECRET_MAX + 1], *p;
	size_t	 len;

	ck_assert_int_eq(tok_generate("abcdefghij01234_", s, sizeof(s)), 0);
	len = strlen(s);
	ck_assert_uint_eq(len, TOK_SECRET_MAX);
	p = malloc(len);
	ck_assert_ptr_nonnull(p);
	memcpy(p, s, len);	/* no NUL: reading p[len] is an ASan error */
	ck_assert_int_eq(tok_check(p, len), 1);
	ck_assert_int_eq(tok_check(p, len - 1), 0);
	p[len - 1] = p[len - 1] == 'a' ? 'b' : 'a';
	ck_assert_int_eq(tok_check(p, len), 0);
	free(p);
}
END_TEST

START_TEST(test_hash)
{
	unsigned char	 k1[TOK_KEY_LEN], k2[TOK_KEY_LEN];
	unsigned char	 h1[TOK_HASH_LEN], h2[TOK_HASH_LEN], ref[TOK_HASH_LEN];
	char		 s[TOK_SECRET_MAX + 1];
	size_t		 len;

	randombytes_buf(k1, sizeof(k1));
	memcpy(k2, k1, sizeof(k2));
	k2[TOK_KEY_LEN - 1] ^= 1;
	ck_assert_int_eq(tok_generate("kh_", s, sizeof(s)), 0);
	len = strlen(s);

	tok_hash(k1, s, len, h1);
	tok_hash(k1, s, len, h2);
	ck_assert_mem_eq(h1, h2, TOK_HASH_LEN);

	ck_assert_int_eq(crypto_generichash(ref, sizeof(ref),
	    (const unsigned char *)s, len, k1, sizeof(k1)), 0);
	ck_assert_mem_eq(h1, ref, TOK_HASH_LEN);

	tok_hash(k2, s, len, h2);
	ck_assert_mem_ne(h1, h2, TOK_HASH_LEN);

	s[len - 1] = s[len - 1] == 'a' ? 'b' : 'a';
	tok_hash(k1, s, len, h2);
	ck_assert_mem_ne(h1, h2, TOK_HASH_LEN);

	/* The whole string is hashed: a shorter length differs. */
	tok_hash(k1, s, len - 1, h2);
	ck_assert_mem_ne(h1, h2, TOK_HASH_LEN);
}
END_TEST

START_TEST(test_hash_eq)
{
	unsigned char	 a[TOK_HASH_LEN], b[TOK_HASH_LEN];
	size_t		 i;

	randombytes_buf(a, sizeof(a));
	memcpy(b, a, sizeof(b));
	ck_assert_int_eq(tok_hash_eq(a, b), 1);
	for (i = 0; i < TOK_HASH_LEN; i++) {
		b[i] ^= 0x80;
		ck_assert_msg(tok_hash_eq(a, b) == 0, "differs at %zu", i);
		b[i] ^= 0x80;
	}
	ck_assert_int_eq(tok_hash_eq(a, b), 1);
}
END_TEST

START_TEST(test_hint)
{
	static const struct {
		const char	*s;
		const char	*hint;
	} t[] = {
		{ "kh_0123456789ABCDEFGHIJKLMNOPQRSTUV3El83R", "l83R" },
		{ "abcde", "bcde" },
		{ "abcd", "abcd" },
		{ "abc", "abc" },
		{ "a", "a" },
		{ "", "" },
	};
	char	 out[TOK_HINT_LEN + 1];
	size_t	 i;

	for (i = 0; i < NITEMS(t); i++) {
		memset(out, 'X', sizeof(out));
		tok_hint(t[i].s, strlen(t[i].s), out);
		ck_assert_str_eq(out, t[i].hint);
	}
	/* Only len counts, not the NUL. */
	tok_hint("abcdefgh", 6, out);
	ck_assert_str_eq(out, "cdef");
}
END_TEST

START_TEST(test_uuid_bits)
{
	unsigned char	 id[UUID_LEN];
	int		 i;

	for (i = 0; i < 1000; i++) {
		uuid7_generate(id);
		ck_assert_uint_eq(id[6] >> 4, 7);
		ck_assert_uint_eq(id[8] >> 6, 2);
	}
}
END_TEST

START_TEST(test_uuid_time)
{
	unsigned char	 id[UUID_LEN];
	uint64_t	 before, after, ms;

	before = wall_ms();
	uuid7_generate(id);
	after = wall_ms();
	ms = uuid_ms(id);
	/* Counter overflow may run ahead of the clock; allow slack. */
	ck_assert_uint_ge(ms, before);
	ck_assert_uint_le(ms, after + 1000);
}
END_TEST

START_TEST(test_uuid_monotonic)
{
	enum { N = 10000 };
	unsigned char	 prev[UUID_LEN], id[UUID_LEN];
	int		 i;

	uuid7_generate(prev);
	for (i = 0; i < N; i++) {
		uuid7_generate(id);
		ck_assert_msg(memcmp(prev, id, UUID_LEN) < 0,
		    "id %d not greater than its predecessor", i);
		memcpy(prev, id, UUID_LEN);
	}
}
END_TEST

START_TEST(test_uuid_round_trip)
{
	/* RFC 9562 appendix A.6 example. */
	static const unsigned char	 ex[UUID_LEN] = {
		0x01, 0x7f, 0x22, 0xe2, 0x79, 0xb0, 0x7c, 0xc3,
		0x98, 0xc4, 0xdc, 0x0c, 0x0c, 0x07, 0x39, 0x8f,
	};
	static const char	*lower = "017f22e2-79b0-7cc3-98c4-dc0c0c07398f";
	static const char	*upper = "017F22E2-79B0-7CC3-98C4-DC0C0C07398F";
	static const char	*mixed = "017F22e2-79b0-7Cc3-98C4-dc0c0C07398f";
	unsigned char		 id[UUID_LEN], back[UUID_LEN];
	char			 s[UUID_STRLEN + 1];
	int			 i;

	uuid_format(ex, s);
	ck_assert_str_eq(s, lower);
	ck_assert_int_eq(parse_exact(lower, UUID_STRLEN, id), 0);
	ck_assert_mem_eq(id, ex, UUID_LEN);
	ck_assert_int_eq(parse_exact(upper, UUID_STRLEN, id), 0);
	ck_assert_mem_eq(id, ex, UUID_LEN);
	ck_assert_int_eq(parse_exact(mixed, UUID_STRLEN, id), 0);
	ck_assert_mem_eq(id, ex, UUID_LEN);
	ck_assert_uint_eq(uuid_ms(id), 0x017f22e279b0ULL);

	for (i = 0; i < 100; i++) {
		uuid7_generate(id);
		uuid_format(id, s);
		ck_assert_uint_eq(strlen(s), UUID_STRLEN);
		ck_assert_int_eq(parse_exact(s, UUID_STRLEN, back), 0);
		ck_assert_mem_eq(id, back, UUID_LEN);
	}

	/* Version is not checked on parse. */
	ck_assert_int_eq(parse_exact("00000000-0000-0000-0000-000000000000",
	    UUID_STRLEN, id), 0);
	ck_assert_int_eq(parse_exact("6ba7b810-9dad-11d1-80b4-00c04fd430c8",
	    UUID_STRLEN, id), 0);
}
END_TEST

START_TEST(test_uuid_parse_rejects)
{
	static const char	*bad[] = {
		"",
		"017f22e2-79b0-7cc3-98c4-dc0c0c07398",		/* 35 */
		"017f22e2-79b0-7cc3-98c4-dc0c0c07398f0",	/* 37 */
		"017f22e279b07cc398c4dc0c0c07398f",		/* no hyphens */
		"017f22e-279b0-7cc3-98c4-dc0c0c07398f",		/* '-' at 7 */
		"017f22e2-79b07-cc3-98c4-dc0c0c07398f",		/* '-' at 14 */
		"017f22e2-79b0-7cc39-8c4-dc0c0c07398f",		/* '-' at 19 */
		"017f22e2-79b0-7cc3-98c4d-c0c0c07398f",		/* '-' at 24 */
		"017f22e2_79b0_7cc3_98c4_dc0c0c07398f",
		"017f22e2-79b0-7cc3-98c4-dc0c0c07398g",
		"017f22e2-79b0-7cc3-98c4-dc0c0c0739 f",
		"x17f22e2-79b0-7cc3-98c4-dc0c0c07398f",
		"017f22e2-79b0-7cc3-98c4-dc0c0c07398-",
		"{17f22e2-79b0-7cc3-98c4-dc0c0c07398}",
		"+17f22e2-79b0-7cc3-98c4-dc0c0c07398f",
		"017f22e2-79b0-7cc3-98c4-dc0c0c07398\xff",
	};
	unsigned char	 id[UUID_LEN], zero[UUID_LEN];
	char		 s[UUID_STRLEN + 1];
	size_t		 i;

	memset(zero, 0, sizeof(zero));
	for (i = 0; i < NITEMS(bad); i++) {
		memset(id, 0, sizeof(id));
		ck_assert_msg(parse_exact(bad[i], strlen(bad[i]), id) == -1,
		    "accepted \"%s\"", bad[i]);
		ck_assert_mem_eq(id, zero, UUID_LEN);
	}
	ck_assert_int_eq(uuid_parse(NULL, UUID_STRLEN, id), -1);

	/* Embedded NUL; right bytes but wrong len. */
	memcpy(s, "017f22e2-79b0-7cc3-98c4-dc0c0c07398f", sizeof(s));
	s[30] = '\0';
	ck_assert_int_eq(parse_exact(s, UUID_STRLEN, id), -1);
	s[30] = '0';
	ck_assert_int_eq(parse_exact(s, UUID_STRLEN - 1, id), -1);
	ck_assert_int_eq(parse_exact(s, UUID_STRLEN + 1, id), -1);
	ck_assert_int_eq(parse_exact(s, UUID_STRLEN, id), 0);
}
END_TEST

static Suite *
token_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("token");

	tc = tcase_create("crc");
	tcase_add_test(tc, test_crc_vectors);
	tcase_add_test(tc, test_crc_matches_bitwise);
	suite_add_tcase(s, tc);

	tc = tcase_create("secret");
	tcase_set_timeout(tc, 60);	/* valgrind */
	tcase_add_test(tc, test_prefix_ok);
	tcase_add_test(tc, test_check_known_answers);
	tcase_add_test(tc, test_generate_shape);
	tcase_add_test(tc, test_generate_distinct);
	tcase_add_test(tc, test_generate_alphabet);
	tcase_add_test(tc, test_generate_rejects);
	tcase_add_test(tc, test_check_substitution);
	tcase_add_test(tc, test_check_transposition);
	tcase_add_test(tc, test_check_malformed);
	tcase_add_test(tc, test_check_bad_prefix);
	tcase_add_test(tc, test_check_bad_random);
	tcase_add_test(tc, test_check_exact_buffer);
	suite_add_tcase(s, tc);

	tc = tcase_create("hash");
	tcase_add_test(tc, test_hash);
	tcase_add_test(tc, test_hash_eq);
	tcase_add_test(tc, test_hint);
	suite_add_tcase(s, tc);

	tc = tcase_create("uuid");
	tcase_set_timeout(tc, 60);	/* valgrind */
	tcase_add_test(tc, test_uuid_bits);
	tcase_add_test(tc, test_uuid_time);
	tcase_add_test(tc, test_uuid_monotonic);
	tcase_add_test(tc, test_uuid_round_trip);
	tcase_add_test(tc, test_uuid_parse_rejects);
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
	sr = srunner_create(token_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
