/*
 * fuzz_jwt: JWT-format secrets (lib/jwt.c, lib/claims.c) as a request
 * presents them, checked before any record is read: tokens_secret_ok ->
 * jwt_shaped, claims_check -> jwt_verify (base64url, the header's JSON,
 * alg, kid, the Ed25519 signature) -> the claims' jti and gen.  The
 * store is one only in name: a directory with a jwt.keys, which is all
 * claims_check reads of it.  The first byte picks what the rest is:
 *
 *   mode 0: a presented secret, as is
 *   mode 1: claims, signed by jwt_sign with the current key; and a
 *           token's own JWT (claims_sign) whose subject is the input
 *   mode 2: "header\nclaims", signed here with key (byte >> 2) & 3:
 *           current, retiring, retired, not in jwt.keys
 *   mode 3: a jwt.keys file, read by jwt_keys_load, and its JWKS
 *
 * The keys' Ed25519 seeds are 32 times 'a', 'b', 'c' and 'd' (kids k1,
 * k0, kold, stranger): the JWTs in corpus/jwt are k1's.  A token jwt_sign
 * made is shaped and verifies to the claims it was given; one
 * claims_sign made checks to its token's id and generation.
 */
#include <fcntl.h>
#include <unistd.h>

#include "fuzz.h"
#include "store_impl.h"

#define B64	sodium_base64_VARIANT_URLSAFE_NO_PADDING
#define NKEYS	4

static char		 home[64];	/* the store's directory: jwt.keys */
static char		 other[64];	/* where mode 3's jwt.keys goes */
static struct store	 st;		/* only its home is read */
static struct jwt_keys	 keys;		/* jwt.keys as loaded */
static unsigned char	 sk[NKEYS][crypto_sign_SECRETKEYBYTES];
static const char *const kids[NKEYS] = { "k1", "k0", "kold", "stranger" };

static void
cleanup(void)
{
	char	 p[128];

	snprintf(p, sizeof(p), "%s/%s", home, JWT_KEYFILE);
	unlink(p);
	rmdir(home);
	snprintf(p, sizeof(p), "%s/%s", other, JWT_KEYFILE);
	unlink(p);
	rmdir(other);
}

static void
write_file(const char *dir, const void *p, size_t n)
{
	char	 path[128];
	int	 fd;

	snprintf(path, sizeof(path), "%s/%s", dir, JWT_KEYFILE);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    (n > 0 && write(fd, p, n) != (ssize_t)n) || close(fd) == -1)
		abort();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* Current, retiring after now, retired; the last is not in the file. */
	static const int64_t	 retire[NKEYS] = { 0, FUZZ_NOW + 3600,
	    FUZZ_NOW - 3600, 0 };
	unsigned char		 seed[crypto_sign_SEEDBYTES], pk[32];
	char			 b64[64];
	struct buf		 file = BUF_INIT;
	char			 err[256];
	const char		*tmp = getenv("TMPDIR");
	int			 i;

	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		abort();
	fuzz_quiet();
	if (tmp == NULL || *tmp == '\0' || strlen(tmp) > 32)
		tmp = "/tmp";
	snprintf(home, sizeof(home), "%s/keyhole-fuzz.XXXXXX", tmp);
	snprintf(other, sizeof(other), "%s/keyhole-fuzz.XXXXXX", tmp);
	if (mkdtemp(home) == NULL || mkdtemp(other) == NULL)
		abort();
	atexit(cleanup);
	for (i = 0; i < NKEYS; i++) {
		memset(seed, 'a' + i, sizeof(seed));
		crypto_sign_seed_keypair(pk, sk[i], seed);
		if (i == NKEYS - 1)
			break;
		sodium_bin2base64(b64, sizeof(b64), seed, sizeof(seed), B64);
		buf_printf(&file, "%s %lld %lld %s\n", kids[i],
		    (long long)FUZZ_NOW - 86400 * (i + 1),
		    (long long)retire[i], b64);
	}
	write_file(home, file.ptr, file.len);
	buf_free(&file);
	if (jwt_keys_load(home, &keys, err, sizeof(err)) == -1 ||
	    keys.n != NKEYS - 1) {
		fprintf(stderr, "fuzz_jwt: %s\n", err);
		abort();
	}
	st.home = home;
	return 0;
}

/* A presented secret: opaque (0), a JWT that verifies (1), or refused. */
static void
present(const char *s, size_t len)
{
	unsigned char	 jti[UUID_LEN];
	int64_t		 gen;
	int		 a;

	a = tokens_secret_ok(&st, s, len, FUZZ_NOW, jti, &gen);
	if (jwt_shaped(s, len))
		FUZZ_ASSERT(a == 1 || a == -1);
	else
		FUZZ_ASSERT(a == (tok_check(s, len) ? 0 : -1));
}

/* Claims signed by jwt_sign verify to themselves. */
static void
signed_claims(const char *c, size_t len)
{
	struct buf	 jwt = BUF_SECRET_INIT, out = BUF_INIT;

	if (jwt_sign(&keys, c, len, &jwt) == 0) {
		FUZZ_ASSERT(jwt.len <= JWT_MAXLEN &&
		    jwt_shaped(jwt.ptr, jwt.len));
		FUZZ_ASSERT(jwt_verify(&keys, FUZZ_NOW, jwt.ptr, jwt.len,
		    &out) == 0);
		FUZZ_ASSERT(out.len == len && memcmp(out.ptr, c, len) == 0);
		present(jwt.ptr, jwt.len);
	} else
		FUZZ_ASSERT(len == 0 || len > JWT_MAXLEN / 2);
	buf_free(&jwt);
	buf_free(&out);
}

/* A token's JWT, as a mint makes it, checks to its id and generation. */
static void
token_jwt(const char *subject, size_t len, unsigned who)
{
	struct tok_rec	 t;
	struct json_doc	 d;
	struct buf	 b = BUF_INIT;
	struct jsonw	 w;
	char		 secret[SECRET_BUFSZ], hint[TOK_HINT_LEN + 1];
	unsigned char	 hash[TOK_HASH_LEN], jti[UUID_LEN];
	int64_t		 gen = (int64_t)len * 1000003, got = -1;
	int		 rc;

	/* A stored subject is text a JSON string held: valid UTF-8, no NUL. */
	jw_init(&w, &b);
	jw_strn(&w, NULL, subject, len);
	if (json_parse(&d, b.ptr, b.len, 1, 1) == -1 ||
	    memchr(subject, '\0', len) != NULL) {
		buf_free(&b);
		return;
	}
	json_free(&d);
	buf_free(&b);
	fuzz_caller(&t, who);
	buf_reset(&t.subject);
	buf_append(&t.subject, subject, len);
	t.format = FORMAT_JWT;
	rc = claims_sign(&st, &t, gen, FUZZ_NOW, secret, sizeof(secret), hash,
	    hint);
	if (rc == 0) {
		FUZZ_ASSERT(claims_check(&st, secret, strlen(secret), FUZZ_NOW,
		    jti, &got) == 1);
		FUZZ_ASSERT(memcmp(jti, t.id, UUID_LEN) == 0 && got == gen);
	} else
		/* Only a long subject, escaped, makes it too long. */
		FUZZ_ASSERT(rc == CLAIMS_TOO_LONG && len > 256);
	sodium_memzero(secret, sizeof(secret));
	tok_rec_free(&t);
}

static void
b64_append(struct buf *b, const void *p, size_t n)
{
	size_t	 m = sodium_base64_ENCODED_LEN(n, B64);

	buf_reserve(b, m);
	sodium_bin2base64(b->ptr + b->len, m, p, n, B64);
	b->len += m - 1;
}

/* Any header and claims, with a good signature of key k. */
static void
forged(const uint8_t *p, size_t n, int k)
{
	const uint8_t	*nl, *end = p + n;
	struct buf	 jwt = BUF_SECRET_INIT;
	unsigned char	 sig[crypto_sign_BYTES];

	if ((nl = memchr(p, '\n', n)) == NULL)
		nl = end;
	b64_append(&jwt, p, (size_t)(nl - p));
	buf_putc(&jwt, '.');
	if (nl < end)
		b64_append(&jwt, nl + 1, (size_t)(end - nl - 1));
	crypto_sign_detached(sig, NULL, (const unsigned char *)jwt.ptr, jwt.len,
	    sk[k]);
	buf_putc(&jwt, '.');
	b64_append(&jwt, sig, sizeof(sig));
	present(jwt.ptr, jwt.len);
	buf_free(&jwt);
}

/* A key file as read: at most JWT_MAXKEYS good keys, a JWKS that is JSON. */
static void
key_file(const uint8_t *p, size_t n)
{
	struct jwt_keys	 k;
	struct json_doc	 d;
	struct buf	 out = BUF_INIT;
	struct jsonw	 w;
	char		 err[256];
	size_t		 i, j;

	write_file(other, p, n);
	if (jwt_keys_load(other, &k, err, sizeof(err)) == -1) {
		FUZZ_ASSERT(k.n == 0 && err[0] != '\0');
		return;
	}
	FUZZ_ASSERT(k.n <= JWT_MAXKEYS);
	for (i = 0; i < k.n; i++) {
		FUZZ_ASSERT(strlen(k.k[i].kid) >= 1 &&
		    strlen(k.k[i].kid) <= JWT_KIDMAX);
		for (j = 0; j < i; j++)
			FUZZ_ASSERT(strcmp(k.k[i].kid, k.k[j].kid) != 0);
	}
	jw_init(&w, &out);
	jwt_jwks(&k, FUZZ_NOW, &w);
	FUZZ_ASSERT(json_parse(&d, out.ptr, out.len, JSON_MAXTOK,
	    JSON_MAXDEPTH) == 0);
	json_free(&d);
	/* The JWKS endpoint's own reading of the same file. */
	buf_reset(&out);
	FUZZ_ASSERT(claims_jwks(other, FUZZ_NOW, &out) == 0);
	buf_free(&out);
	jwt_keys_wipe(&k);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* libFuzzer's bytes, exactly: ASan sees any read past them. */
	const char	*s = (const char *)data + 1;

	if (size == 0)
		return 0;
	switch (data[0] & 3) {
	case 0:
		present(s, size - 1);
		break;
	case 1:
		signed_claims(s, size - 1);
		token_jwt(s, size - 1, size);
		break;
	case 2:
		forged(data + 1, size - 1, (data[0] >> 2) & 3);
		break;
	case 3:
		key_file(data + 1, size - 1);
		break;
	}
	return 0;
}
