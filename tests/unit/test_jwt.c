/* test_jwt: unit tests for lib/jwt.c (key file, rotation, EdDSA tokens, JWKS). */
#include <sys/stat.h>
#include <sys/types.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <sodium.h>

#include "buf.h"
#include "json.h"
#include "jwt.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))
#define NOW		1700000000
#define CLAIMS		"{\"sub\":\"alice\",\"exp\":1700003600,\"scope\":\"read\"}"
#define B64		sodium_base64_VARIANT_URLSAFE_NO_PADDING

static char	 dir[64];	/* this test's store directory */
static char	 path[128];	/* its jwt.keys */

static void	 setup(void);
static void	 teardown(void);
static void	 rotate(int64_t, int64_t);
static void	 load(struct jwt_keys *);
static void	 write_file(const char *);
static void	 sign(const struct jwt_keys *, struct buf *);
static void	 forge(const struct jwt_key *, const char *, const char *,
		    struct buf *);
static int	 verify(const struct jwt_keys *, int64_t, const char *, size_t);
static void	 b64(struct buf *, const void *, size_t);
static int	 jwks_count(const struct jwt_keys *, int64_t, const char *);
static Suite	*jwt_suite(void);

/* ---- fixtures and helpers ---- */

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/keyhole-jwt.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, JWT_KEYFILE);
}

static void
teardown(void)
{
	char	 p[160];

	unlink(path);
	snprintf(p, sizeof(p), "%s/%s.new", dir, JWT_KEYFILE);
	unlink(p);
	snprintf(p, sizeof(p), "%s/other", dir);
	unlink(p);
	rmdir(dir);
}

static void
rotate(int64_t now, int64_t grace)
{
	char	 err[256] = "";

	ck_assert_msg(jwt_keys_rotate(dir, now, grace, err, sizeof(err)) == 0,
	    "%s", err);
}

static void
load(struct jwt_keys *keys)
{
	char	 err[256] = "";

	ck_assert_msg(jwt_keys_load(dir, keys, err, sizeof(err)) == 0, "%s",
	    err);
}

static void
write_file(const char *text)
{
	int	 fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0640);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void
sign(const struct jwt_keys *keys, struct buf *tok)
{
	buf_reset(tok);
	ck_assert_int_eq(jwt_sign(keys, CLAIMS, strlen(CLAIMS), tok), 0);
}

/* A token with any header, signed by k: a refusal can only be the header's. */
static void
forge(const struct jwt_key *k, const char *hdr, const char *claims,
    struct buf *tok)
{
	unsigned char	 sig[crypto_sign_BYTES];

	buf_reset(tok);
	b64(tok, hdr, strlen(hdr));
	buf_putc(tok, '.');
	b64(tok, claims, strlen(claims));
	crypto_sign_detached(sig, NULL, (unsigned char *)tok->ptr, tok->len,
	    k->sk);
	buf_putc(tok, '.');
	b64(tok, sig, sizeof(sig));
}

/* jwt_verify() on a heap copy of exactly len bytes (valgrind sees overreads); checks claims too. */
static int
verify(const struct jwt_keys *keys, int64_t now, const char *s, size_t len)
{
	struct buf	 claims = BUF_INIT;
	char		*p;
	int		 rc;

	p = malloc(len > 0 ? len : 1);
	ck_assert_ptr_nonnull(p);
	memcpy(p, s, len);
	buf_puts(&claims, "x");
	rc = jwt_verify(keys, now, p, len, &claims);
	if (rc == 0)
		ck_assert_str_eq(claims.ptr, "x" CLAIMS);
	else
		ck_assert_str_eq(claims.ptr, "x");	/* untouched */
	buf_free(&claims);
	free(p);
	return rc;
}

static void
b64(struct buf *b, const void *p, size_t n)
{
	char	 tmp[1024];

	ck_assert_uint_lt(n, 700);
	sodium_bin2base64(tmp, sizeof(tmp), p, n, B64);
	buf_puts(b, tmp);
}

/* Keys in the JWKS at now; with kid, only 0 or 1 (is it there?). */
static int
jwks_count(const struct jwt_keys *keys, int64_t now, const char *kid)
{
	struct buf	 out = BUF_INIT, s = BUF_INIT;
	struct json_doc	 doc;
	struct jsonw	 w;
	int		 arr, i, k, n = 0;

	jw_init(&w, &out);
	jwt_jwks(keys, now, &w);
	ck_assert_int_eq(json_parse(&doc, out.ptr, out.len, JSON_MAXTOK,
	    JSON_MAXDEPTH), 0);
	arr = json_get(&doc, 0, "keys");
	ck_assert_int_ne(arr, -1);
	for (i = 0; (k = json_at(&doc, arr, i)) != -1; i++) {
		buf_reset(&s);
		ck_assert_int_eq(json_str(&doc, json_get(&doc, k, "kid"), &s),
		    0);
		if (kid == NULL || strcmp(s.ptr, kid) == 0)
			n++;
	}
	json_free(&doc);
	buf_free(&out);
	buf_free(&s);
	return n;
}

/* ---- tests ---- */

START_TEST(test_rotate_creates)
{
	struct jwt_keys		 keys;
	const struct jwt_key	*k;
	struct stat		 sb;
	char			 text[256], kid[64], seed[64];
	long long		 created, retire;
	FILE			*fp;
	size_t			 i;
	int			 n;

	/* No file yet: no keys, no signer, not an error. */
	load(&keys);
	ck_assert_uint_eq(keys.n, 0);
	ck_assert_ptr_null(jwt_signer(&keys));

	rotate(NOW, 60);
	ck_assert_int_eq(lstat(path, &sb), 0);
	ck_assert(S_ISREG(sb.st_mode));
	ck_assert_int_eq(sb.st_mode & 07777, 0640);
	ck_assert_uint_eq(sb.st_uid, geteuid());

	load(&keys);
	ck_assert_uint_eq(keys.n, 1);
	k = jwt_signer(&keys);
	ck_assert_ptr_eq(k, &keys.k[0]);
	ck_assert_uint_eq(strlen(k->kid), 16);
	for (i = 0; i < 16; i++)
		ck_assert_ptr_nonnull(strchr("0123456789abcdef", k->kid[i]));
	ck_assert_int_eq(k->created_at, NOW);
	ck_assert_int_eq(k->retire_at, 0);

	/* One line: kid created_at retire_at seed. */
	ck_assert_ptr_nonnull(fp = fopen(path, "r"));
	ck_assert_ptr_nonnull(fgets(text, sizeof(text), fp));
	ck_assert_int_eq(fgetc(fp), EOF);
	fclose(fp);
	n = sscanf(text, "%63s %lld %lld %63s", kid, &created, &retire, seed);
	ck_assert_int_eq(n, 4);
	ck_assert_str_eq(kid, k->kid);
	ck_assert_int_eq(created, NOW);
	ck_assert_int_eq(retire, 0);
	ck_assert_uint_eq(strlen(seed), 43);
	ck_assert_uint_eq(strlen(text), 16 + 1 + 10 + 1 + 1 + 1 + 43 + 1);
	ck_assert_int_eq(text[strlen(text) - 1], '\n');
	/* The seed written is the key pair's. */
	{
		unsigned char	 s[64], pk[32], sk[64];
		size_t		 len;

		ck_assert_int_eq(sodium_base642bin(s, sizeof(s), seed,
		    strlen(seed), NULL, &len, NULL, B64), 0);
		ck_assert_uint_eq(len, 32);
		crypto_sign_seed_keypair(pk, sk, s);
		ck_assert_int_eq(memcmp(pk, k->pk, 32), 0);
		ck_assert_int_eq(memcmp(sk, k->sk, 64), 0);
	}
	jwt_keys_wipe(&keys);
	ck_assert_uint_eq(keys.n, 0);
	for (i = 0; i < sizeof(keys.k[0].sk); i++)
		ck_assert_int_eq(keys.k[0].sk[i], 0);
}
END_TEST

START_TEST(test_round_trip)
{
	struct jwt_keys	 keys;
	struct buf	 tok = BUF_INIT, tok2 = BUF_INIT, hdr = BUF_INIT;
	unsigned char	 bin[256];
	const char	*d1;
	size_t		 n;

	rotate(NOW, 0);
	load(&keys);
	sign(&keys, &tok);
	ck_assert_int_eq(jwt_shaped(tok.ptr, tok.len), 1);
	ck_assert_int_eq(verify(&keys, NOW, tok.ptr, tok.len), 0);
	/* Times are the caller's: long after, the current key still verifies. */
	ck_assert_int_eq(verify(&keys, INT64_MAX, tok.ptr, tok.len), 0);

	/* The header, exactly. */
	d1 = strchr(tok.ptr, '.');
	ck_assert_int_eq(sodium_base642bin(bin, sizeof(bin), tok.ptr,
	    (size_t)(d1 - tok.ptr), NULL, &n, NULL, B64), 0);
	buf_printf(&hdr, "{\"alg\":\"EdDSA\",\"typ\":\"JWT\",\"kid\":\"%s\"}",
	    keys.k[0].kid);
	ck_assert_uint_eq(n, hdr.len);
	ck_assert_int_eq(memcmp(bin, hdr.ptr, n), 0);

	/* Ed25519 is deterministic; and sign appends. */
	buf_puts(&tok2, "Bearer ");
	ck_assert_int_eq(jwt_sign(&keys, CLAIMS, strlen(CLAIMS), &tok2), 0);
	ck_assert_str_eq(tok2.ptr + 7, tok.ptr);

	/* Reloading gives the same key pair: the seed round-trips. */
	{
		struct jwt_keys	 again;

		load(&again);
		ck_assert_int_eq(memcmp(again.k[0].sk, keys.k[0].sk, 64), 0);
		ck_assert_int_eq(memcmp(again.k[0].pk, keys.k[0].pk, 32), 0);
		jwt_keys_wipe(&again);
	}
	jwt_keys_wipe(&keys);
	buf_free(&tok);
	buf_free(&tok2);
	buf_free(&hdr);
}
END_TEST

START_TEST(test_sign_refuses)
{
	struct jwt_keys	 keys;
	struct buf	 tok = BUF_INIT;
	char		*big;

	memset(&keys, 0, sizeof(keys));
	ck_assert_int_eq(jwt_sign(&keys, CLAIMS, strlen(CLAIMS), &tok), -1);
	rotate(NOW, 0);
	load(&keys);
	ck_assert_int_eq(jwt_sign(&keys, "", 0, &tok), -1);
	/* Too long to be accepted back: never made, out untouched. */
	ck_assert_ptr_nonnull(big = malloc(3000));
	memset(big, 'a', 3000);
	buf_puts(&tok, "x");
	ck_assert_int_eq(jwt_sign(&keys, big, 3000, &tok), -1);
	ck_assert_str_eq(tok.ptr, "x");
	/* A long one that fits is accepted back. */
	buf_reset(&tok);
	ck_assert_int_eq(jwt_sign(&keys, big, 2900, &tok), 0);
	ck_assert_int_eq(jwt_shaped(tok.ptr, tok.len), 1);
	free(big);
	/* A retired key does not sign. */
	keys.k[0].retire_at = NOW;
	ck_assert_ptr_null(jwt_signer(&keys));
	ck_assert_int_eq(jwt_sign(&keys, CLAIMS, strlen(CLAIMS), &tok), -1);
	jwt_keys_wipe(&keys);
	buf_free(&tok);
}
END_TEST

/* Any change to any character, and any truncation, fails. */
START_TEST(test_tamper)
{
	static const char	 alpha[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	struct jwt_keys		 keys;
	struct buf		 tok = BUF_INIT;
	char			*t, orig;
	size_t			 i, j;

	rotate(NOW, 0);
	load(&keys);
	sign(&keys, &tok);
	ck_assert_ptr_nonnull(t = strdup(tok.ptr));
	for (i = 0; i < tok.len; i++) {
		orig = t[i];
		if (orig == '.')
			continue;
		/* Every other base64url character: each bit of each part. */
		for (j = 0; j < sizeof(alpha) - 1; j++) {
			if (alpha[j] == orig)
				continue;
			t[i] = alpha[j];
			ck_assert_msg(verify(&keys, NOW, t, tok.len) == -1,
			    "%c at %zu", alpha[j], i);
		}
		t[i] = (char)(orig ^ 0x80);
		ck_assert_int_eq(verify(&keys, NOW, t, tok.len), -1);
		t[i] = orig;
	}
	ck_assert_int_eq(verify(&keys, NOW, t, tok.len), 0);
	for (i = 0; i < tok.len; i++)
		ck_assert_msg(verify(&keys, NOW, t, i) == -1, "cut at %zu", i);
	ck_assert_int_eq(jwt_verify(&keys, NOW, NULL, 0, &tok), -1);
	free(t);
	jwt_keys_wipe(&keys);
	buf_free(&tok);
}
END_TEST

START_TEST(test_header_refused)
{
	static const char	*bad[] = {
		"{\"alg\":\"none\",\"typ\":\"JWT\",\"kid\":\"%s\"}",
		"{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"%s\"}",
		"{\"alg\":\"ES256\",\"kid\":\"%s\"}",
		"{\"alg\":\"eddsa\",\"kid\":\"%s\"}",
		"{\"alg\":\"EdDSA \",\"kid\":\"%s\"}",
		"{\"alg\":[\"EdDSA\"],\"kid\":\"%s\"}",
		"{\"typ\":\"JWT\",\"kid\":\"%s\"}",
		"{\"alg\":\"EdDSA\",\"alg\":\"EdDSA\",\"kid\":\"%s\"}",
		"{\"alg\":\"EdDSA\",\"kid\":\"%s\",\"crit\":[\"exp\"]}",
		"{\"alg\":\"EdDSA\",\"kid\":\"%s\"",
		"[\"alg\",\"EdDSA\",\"kid\",\"%s\"]",
		"{\"alg\":\"EdDSA\",\"kid\":\"%s \"}",
		"{\"alg\":\"EdDSA\",\"kid\":\"%s\\u0000\"}",
		"{\"alg\":\"EdDSA\",\"kid\":[\"%s\"]}",
		"{\"alg\":\"EdDSA\",\"kid\":\"nope\",\"x\":\"%s\"}",
		"{\"alg\":\"EdDSA\",\"kid\":\"\",\"x\":\"%s\"}",
		"{\"alg\":\"EdDSA\",\"x\":\"%s\"}",
	};
	struct jwt_keys	 keys;
	struct buf	 tok = BUF_INIT, hdr = BUF_INIT;
	size_t		 i;

	rotate(NOW, 0);
	load(&keys);

	/* Controls: the forger makes good tokens, also with other members. */
	buf_printf(&hdr, "{\"alg\":\"EdDSA\",\"typ\":\"JWT\",\"kid\":\"%s\"}",
	    keys.k[0].kid);
	forge(&keys.k[0], hdr.ptr, CLAIMS, &tok);
	ck_assert_int_eq(verify(&keys, NOW, tok.ptr, tok.len), 0);
	buf_reset(&hdr);
	buf_printf(&hdr, " { \"kid\" : \"%s\", \"x\":{\"y\":[1]}, "
	    "\"alg\" : \"Ed\\u0044SA\" } ", keys.k[0].kid);
	forge(&keys.k[0], hdr.ptr, CLAIMS, &tok);
	ck_assert_int_eq(verify(&keys, NOW, tok.ptr, tok.len), 0);

	for (i = 0; i < NITEMS(bad); i++) {
		buf_reset(&hdr);
		buf_printf(&hdr, bad[i], keys.k[0].kid);
		forge(&keys.k[0], hdr.ptr, CLAIMS, &tok);
		ck_assert_msg(verify(&keys, NOW, tok.ptr, tok.len) == -1,
		    "%s", hdr.ptr);
		ck_assert_msg(jwt_key_live(&keys, NOW, tok.ptr, tok.len) == -1,
		    "key live: %s", hdr.ptr);
	}

	/* alg none's usual form: no signature at all. */
	buf_reset(&hdr);
	buf_printf(&hdr, "{\"alg\":\"none\",\"kid\":\"%s\"}", keys.k[0].kid);
	buf_reset(&tok);
	b64(&tok, hdr.ptr, hdr.len);
	buf_putc(&tok, '.');
	b64(&tok, CLAIMS, strlen(CLAIMS));
	buf_putc(&tok, '.');
	ck_assert_int_eq(verify(&keys, NOW, tok.ptr, tok.len), -1);

	jwt_keys_wipe(&keys);
	buf_free(&tok);
	buf_free(&hdr);
}
END_TEST

/*
 * jwt_key_live: the header's checks without the signature's (the caller
 * then finds the JWT's keyed hash in the store, which proves it).
 */
START_TEST(test_key_live)
{
	struct jwt_keys	 keys, other;
	struct buf	 tok = BUF_INIT;
	char		*t;

	rotate(NOW, 0);
	load(&keys);
	sign(&keys, &tok);
	ck_assert_int_eq(jwt_key_live(&keys, NOW, tok.ptr, tok.len), 0);
	/* Another signature of the same length passes: not checked here. */
	ck_assert_ptr_nonnull(t = strdup(tok.ptr));
	t[tok.len - 2] = t[tok.len - 2] == 'A' ? 'B' : 'A';
	ck_assert_int_eq(jwt_key_live(&keys, NOW, t, tok.len), 0);
	ck_assert_int_eq(verify(&keys, NOW, t, tok.len), -1);
	/* A signature of another length, or none, does not. */
	ck_assert_int_eq(jwt_key_live(&keys, NOW, t, tok.len - 1), -1);
	free(t);
	/* A key we do not have. */
	teardown();
	setup();
	rotate(NOW, 0);
	load(&other);
	ck_assert_int_eq(jwt_key_live(&other, NOW, tok.ptr, tok.len), -1);
	ck_assert_int_eq(jwt_key_live(&keys, NOW, NULL, 0), -1);
	jwt_keys_wipe(&keys);
	jwt_keys_wipe(&other);
	buf_free(&tok);
}
END_TEST

/* Signed by a key of the same kid that is not ours, or by no key we have. */
START_TEST(test_unknown_kid)
{
	struct jwt_keys	 keys, other;
	struct buf	 tok = BUF_INIT, hdr = BUF_INIT;

	rotate(NOW, 0);
	load(&keys);
	teardown();
	setup();
	rotate(NOW, 0);
	load(&other);
	ck_assert_str_ne(keys.k[0].kid, other.k[0].kid);

	sign(&other, &tok);
	ck_assert_int_eq(verify(&other, NOW, tok.ptr, tok.len), 0);
	ck_assert_int_eq(verify(&keys, NOW, tok.ptr, tok.len), -1);

	/* Our kid, their key. */
	buf_printf(&hdr, "{\"alg\":\"EdDSA\",\"typ\":\"JWT\",\"kid\":\"%s\"}",
	    keys.k[0].kid);
	forge(&other.k[0], hdr.ptr, CLAIMS, &tok);
	ck_assert_int_eq(verify(&keys, NOW, tok.ptr, tok.len), -1);
	forge(&keys.k[0], hdr.ptr, CLAIMS, &tok);
	ck_assert_int_eq(verify(&keys, NOW, tok.ptr, tok.len), 0);

	jwt_keys_wipe(&keys);
	jwt_keys_wipe(&other);
	buf_free(&tok);
	buf_free(&hdr);
}
END_TEST

START_TEST(test_rotate_grace)
{
	struct jwt_keys	 keys;
	struct buf	 old = BUF_INIT, cur = BUF_INIT;
	char		 oldkid[JWT_KIDMAX + 1], curkid[JWT_KIDMAX + 1];
	char		 err[256];

	rotate(NOW - 100, 0);
	load(&keys);
	sign(&keys, &old);
	snprintf(oldkid, sizeof(oldkid), "%s", jwt_signer(&keys)->kid);
	jwt_keys_wipe(&keys);

	rotate(NOW, 10);
	load(&keys);
	ck_assert_uint_eq(keys.n, 2);
	snprintf(curkid, sizeof(curkid), "%s", jwt_signer(&keys)->kid);
	ck_assert_str_ne(oldkid, curkid);
	ck_assert_int_eq(jwt_signer(&keys)->created_at, NOW);
	sign(&keys, &cur);

	/* Both verify until the grace ends; then only the new one. */
	ck_assert_int_eq(verify(&keys, NOW, old.ptr, old.len), 0);
	ck_assert_int_eq(verify(&keys, NOW, cur.ptr, cur.len), 0);
	ck_assert_int_eq(verify(&keys, NOW + 9, old.ptr, old.len), 0);
	ck_assert_int_eq(verify(&keys, NOW + 10, old.ptr, old.len), -1);
	ck_assert_int_eq(verify(&keys, NOW + 11, old.ptr, old.len), -1);
	ck_assert_int_eq(verify(&keys, NOW + 11, cur.ptr, cur.len), 0);

	ck_assert_int_eq(jwks_count(&keys, NOW, NULL), 2);
	ck_assert_int_eq(jwks_count(&keys, NOW, oldkid), 1);
	ck_assert_int_eq(jwks_count(&keys, NOW + 11, NULL), 1);
	ck_assert_int_eq(jwks_count(&keys, NOW + 11, oldkid), 0);
	ck_assert_int_eq(jwks_count(&keys, NOW + 11, curkid), 1);
	jwt_keys_wipe(&keys);

	/* A rotation within the grace never lengthens it. */
	rotate(NOW + 5, 100);
	load(&keys);
	ck_assert_uint_eq(keys.n, 3);
	ck_assert_int_eq(verify(&keys, NOW + 9, old.ptr, old.len), 0);
	ck_assert_int_eq(verify(&keys, NOW + 10, old.ptr, old.len), -1);
	ck_assert_int_eq(verify(&keys, NOW + 104, cur.ptr, cur.len), 0);
	ck_assert_int_eq(verify(&keys, NOW + 105, cur.ptr, cur.len), -1);
	jwt_keys_wipe(&keys);

	/* The retired key leaves the file; grace 0 retires the others now. */
	rotate(NOW + 11, 0);
	load(&keys);
	ck_assert_uint_eq(keys.n, 1);
	ck_assert_int_eq(verify(&keys, NOW + 11, cur.ptr, cur.len), -1);
	ck_assert_int_eq(jwks_count(&keys, NOW + 11, NULL), 1);
	jwt_keys_wipe(&keys);

	/* A time of 0 would write a current key; no negative grace, no overflow. */
	ck_assert_int_eq(jwt_keys_rotate(dir, 0, 10, err, sizeof(err)), -1);
	ck_assert_int_eq(jwt_keys_rotate(dir, NOW, -1, err, sizeof(err)), -1);
	ck_assert_int_eq(jwt_keys_rotate(dir, NOW, INT64_MAX, err,
	    sizeof(err)), -1);
	buf_free(&old);
	buf_free(&cur);
}
END_TEST

START_TEST(test_rotate_full)
{
	struct jwt_keys	 keys;
	char		 err[256];
	int		 i;

	for (i = 0; i < JWT_MAXKEYS; i++)
		rotate(NOW + i, 1000);
	ck_assert_int_eq(jwt_keys_rotate(dir, NOW + 20, 1000, err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "still verify"));
	load(&keys);
	ck_assert_uint_eq(keys.n, JWT_MAXKEYS);
	ck_assert_int_eq(jwt_signer(&keys)->created_at, NOW + JWT_MAXKEYS - 1);
	jwt_keys_wipe(&keys);
	/* The first retires at NOW + 1 + 1000: then there is room. */
	ck_assert_int_eq(jwt_keys_rotate(dir, NOW + 1000, 1000, err,
	    sizeof(err)), -1);
	rotate(NOW + 1001, 1000);
	load(&keys);
	ck_assert_uint_eq(keys.n, JWT_MAXKEYS);
	ck_assert_int_eq(keys.k[0].created_at, NOW + 1);
	ck_assert_int_eq(jwt_signer(&keys)->created_at, NOW + 1001);
	jwt_keys_wipe(&keys);
}
END_TEST

START_TEST(test_jwks)
{
	static const char	*members[] = {
		"kty", "OKP", "crv", "Ed25519", "x", NULL, "kid", NULL,
		"alg", "EdDSA", "use", "sig",
	};
	struct jwt_keys	 keys;
	struct buf	 out = BUF_INIT, s = BUF_INIT;
	struct json_doc	 doc;
	struct jsonw	 w;
	unsigned char	 x[64];
	size_t		 n, i, j;
	int		 arr, k, it, kt, vt;

	rotate(NOW - 1, 0);
	rotate(NOW, 60);
	load(&keys);
	jw_init(&w, &out);
	jwt_jwks(&keys, NOW, &w);
	ck_assert_int_eq(json_parse(&doc, out.ptr, out.len, JSON_MAXTOK,
	    JSON_MAXDEPTH), 0);
	ck_assert_int_eq(doc.tok[0].type, JSON_OBJECT);
	ck_assert_int_eq(doc.tok[0].size, 1);
	arr = json_get(&doc, 0, "keys");
	ck_assert_int_eq(doc.tok[arr].type, JSON_ARRAY);
	ck_assert_int_eq(doc.tok[arr].size, 2);
	for (i = 0; i < 2; i++) {
		k = json_at(&doc, arr, (int)i);
		ck_assert_int_eq(doc.tok[k].type, JSON_OBJECT);
		/* These members in this order, and no others (no "d"!). */
		it = -1;
		for (j = 0; j < NITEMS(members); j += 2) {
			ck_assert_int_eq(json_each(&doc, k, &it, &kt, &vt), 1);
			ck_assert(json_key_is(&doc, kt, members[j]));
			buf_reset(&s);
			ck_assert_int_eq(json_str(&doc, vt, &s), 0);
			if (members[j + 1] != NULL)
				ck_assert_str_eq(s.ptr, members[j + 1]);
		}
		ck_assert_int_eq(json_each(&doc, k, &it, &kt, &vt), 0);

		buf_reset(&s);
		ck_assert_int_eq(json_str(&doc, json_get(&doc, k, "kid"), &s),
		    0);
		ck_assert_str_eq(s.ptr, keys.k[i].kid);
		buf_reset(&s);
		ck_assert_int_eq(json_str(&doc, json_get(&doc, k, "x"), &s), 0);
		ck_assert_uint_eq(s.len, 43);
		ck_assert_int_eq(sodium_base642bin(x, sizeof(x), s.ptr, s.len,
		    NULL, &n, NULL, B64), 0);
		ck_assert_uint_eq(n, 32);
		ck_assert_int_eq(memcmp(x, keys.k[i].pk, 32), 0);
	}
	json_free(&doc);

	/* At the end of the grace, only the new key. */
	buf_reset(&out);
	jw_init(&w, &out);
	jwt_jwks(&keys, NOW + 60, &w);
	ck_assert_ptr_null(strstr(out.ptr, keys.k[0].kid));
	ck_assert_ptr_nonnull(strstr(out.ptr, keys.k[1].kid));
	/* No keys: an empty set, still a JWKS. */
	buf_reset(&out);
	jw_init(&w, &out);
	keys.n = 0;
	jwt_jwks(&keys, NOW, &w);
	ck_assert_str_eq(out.ptr, "{\"keys\":[]}");
	jwt_keys_wipe(&keys);
	buf_free(&out);
	buf_free(&s);
}
END_TEST

START_TEST(test_file_refused)
{
	struct jwt_keys	 keys;
	char		 err[256], other[160];

	rotate(NOW, 0);
	load(&keys);
	ck_assert_uint_eq(keys.n, 1);

	/* Group- or world-writable, or world-readable. */
	ck_assert_int_eq(chmod(path, 0660), 0);
	err[0] = '\0';
	ck_assert_int_eq(jwt_keys_load(dir, &keys, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "refused"));
	ck_assert_uint_eq(keys.n, 0);
	ck_assert_int_eq(jwt_keys_rotate(dir, NOW, 0, err, sizeof(err)), -1);
	ck_assert_int_eq(chmod(path, 0642), 0);
	ck_assert_int_eq(jwt_keys_load(dir, &keys, err, sizeof(err)), -1);
	ck_assert_int_eq(chmod(path, 0644), 0);
	ck_assert_int_eq(jwt_keys_load(dir, &keys, err, sizeof(err)), -1);
	ck_assert_int_eq(chmod(path, 0600), 0);
	load(&keys);
	ck_assert_int_eq(chmod(path, 0640), 0);
	load(&keys);

	/* Owned by a stranger: refused, unless the stranger owns the store. */
	if (geteuid() == 0) {
		ck_assert_int_eq(chown(path, 54321, (gid_t)-1), 0);
		ck_assert_int_eq(jwt_keys_load(dir, &keys, err, sizeof(err)),
		    -1);
		ck_assert_ptr_nonnull(strstr(err, "owned by"));
		ck_assert_int_eq(chown(dir, 54321, (gid_t)-1), 0);
		load(&keys);
		ck_assert_uint_eq(keys.n, 1);
		ck_assert_int_eq(chown(path, 0, (gid_t)-1), 0);
		ck_assert_int_eq(chown(dir, 0, (gid_t)-1), 0);
	}

	/* A link, even to the right file. */
	snprintf(other, sizeof(other), "%s/other", dir);
	ck_assert_int_eq(rename(path, other), 0);
	ck_assert_int_eq(symlink(other, path), 0);
	ck_assert_int_eq(jwt_keys_load(dir, &keys, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "symbolic link"));
	ck_assert_int_eq(jwt_keys_rotate(dir, NOW, 0, err, sizeof(err)), -1);
	ck_assert_int_eq(unlink(path), 0);
	/* A directory. */
	ck_assert_int_eq(mkdir(path, 0750), 0);
	ck_assert_int_eq(jwt_keys_load(dir, &keys, err, sizeof(err)), -1);
	ck_assert_int_eq(rmdir(path), 0);
	ck_assert_int_eq(jwt_keys_load("/nonexistent/keyhole", &keys, err,
	    sizeof(err)), -1);
	jwt_keys_wipe(&keys);
}
END_TEST

START_TEST(test_file_malformed)
{
	static const char	*bad[] = {
		"k1 1 0\n",
		"k1 1 0 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA extra\n",
		"k1  1 0 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
		"k1 1 0 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA \n",
		"k/1 1 0 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
		"0123456789abcdef0123456789abcdef0 1 0 "
		    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
		"k1 -1 0 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
		"k1 1 x AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
		"k1 1 99999999999999999999 "
		    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
		"k1 1 0 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
		"k1 1 0 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB\n",
		"k1 1 0 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
		"k1 1 0 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+\n",
		"k1 1 0 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
		"k1 1 0 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n\n",
		"k1 1 0 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\r\n",
		"k1 1 0 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"
		    "k1 2 0 BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA\n",
	};
	struct jwt_keys	 keys;
	struct buf	 many = BUF_INIT;
	char		 err[256];
	size_t		 i;

	/* Controls: good lines, and the last newline may be missing. */
	write_file("k1 1 0 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"
	    "k.2-_ 2 5 BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA");
	load(&keys);
	ck_assert_uint_eq(keys.n, 2);
	ck_assert_str_eq(keys.k[1].kid, "k.2-_");
	ck_assert_int_eq(keys.k[1].retire_at, 5);
	ck_assert_ptr_eq(jwt_signer(&keys), &keys.k[0]);
	/* Of several current keys (edited by hand), the newest signs. */
	write_file("a 5 0 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"
	    "b 9 0 BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA\n"
	    "c 7 0 CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCA\n"
	    "d 20 30 DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDA\n");
	load(&keys);
	ck_assert_str_eq(jwt_signer(&keys)->kid, "b");
	write_file("");
	load(&keys);
	ck_assert_uint_eq(keys.n, 0);

	for (i = 0; i < NITEMS(bad); i++) {
		write_file(bad[i]);
		err[0] = '\0';
		ck_assert_msg(jwt_keys_load(dir, &keys, err, sizeof(err)) == -1,
		    "%s", bad[i]);
		ck_assert_ptr_nonnull(strstr(err, "line "));
		ck_assert_uint_eq(keys.n, 0);
	}

	/* At most JWT_MAXKEYS. */
	for (i = 0; i <= JWT_MAXKEYS; i++)
		buf_printf(&many, "k%zu 1 0 "
		    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n", i);
	write_file(many.ptr);
	ck_assert_int_eq(jwt_keys_load(dir, &keys, err, sizeof(err)), -1);
	buf_free(&many);
}
END_TEST

START_TEST(test_shaped)
{
	static const char	*bad[] = {
		"", "a.b", "a..c", "kh_xxx", ".ab.cd", "ab.cd.", "ab..cd",
		"ab.cd.ef.gh", "ab.cd.e", "abcde.cd.ef", "ab.cd.ef=",
		"ab.c+.ef", "ab.c/.ef", "ab.cd.e f", "ab.cd.ef\n", "..",
		"kh_0123456789ABCDEFGHIJKLMNOPQRSTUV000000",
	};
	static const char	*good[] = {
		"ab.cd.ef", "abc.abcd.a-_B", "ab.cd.efghij",
	};
	struct jwt_keys	 keys;
	struct buf	 tok = BUF_INIT;
	char		*big;
	size_t		 i;

	rotate(NOW, 0);
	load(&keys);
	sign(&keys, &tok);
	ck_assert_int_eq(jwt_shaped(tok.ptr, tok.len), 1);
	/* 85 characters are no base64 of anything. */
	ck_assert_int_eq(jwt_shaped(tok.ptr, tok.len - 1), 0);
	ck_assert_int_eq(jwt_shaped(tok.ptr, tok.len - 2), 1);
	ck_assert_int_eq(jwt_shaped(tok.ptr, tok.len + 1), 0);	/* the NUL */
	for (i = 0; i < NITEMS(bad); i++)
		ck_assert_msg(jwt_shaped(bad[i], strlen(bad[i])) == 0, "%s",
		    bad[i]);
	for (i = 0; i < NITEMS(good); i++)
		ck_assert_msg(jwt_shaped(good[i], strlen(good[i])) == 1, "%s",
		    good[i]);
	ck_assert_int_eq(jwt_shaped(NULL, 5), 0);

	/* At most JWT_MAXLEN bytes. */
	ck_assert_ptr_nonnull(big = malloc(JWT_MAXLEN + 1));
	memset(big, 'a', JWT_MAXLEN + 1);
	big[2] = big[5] = '.';
	ck_assert_int_eq(jwt_shaped(big, JWT_MAXLEN), 1);
	ck_assert_int_eq(jwt_shaped(big, JWT_MAXLEN + 1), 0);
	free(big);
	jwt_keys_wipe(&keys);
	buf_free(&tok);
}
END_TEST

static Suite *
jwt_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("jwt");

	tc = tcase_create("keys");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_rotate_creates);
	tcase_add_test(tc, test_rotate_grace);
	tcase_add_test(tc, test_rotate_full);
	tcase_add_test(tc, test_file_refused);
	tcase_add_test(tc, test_file_malformed);
	suite_add_tcase(s, tc);

	tc = tcase_create("tokens");
	tcase_set_timeout(tc, 120);	/* valgrind */
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_sign_refuses);
	tcase_add_test(tc, test_tamper);
	tcase_add_test(tc, test_header_refused);
	tcase_add_test(tc, test_unknown_kid);
	tcase_add_test(tc, test_key_live);
	tcase_add_test(tc, test_jwks);
	tcase_add_test(tc, test_shaped);
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
	umask(007);	/* as the store's callers have it */
	sr = srunner_create(jwt_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
