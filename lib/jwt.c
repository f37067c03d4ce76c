/* jwt: EdDSA (Ed25519) JSON Web Tokens, their signing keys in jwt.keys, rotation, and the JWKS. */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "json.h"
#include "jwt.h"

#define B64		sodium_base64_VARIANT_URLSAFE_NO_PADDING
#define SEED_LEN	crypto_sign_SEEDBYTES
#define SEED_B64LEN	43	/* 32 bytes */
#define SIG_LEN		crypto_sign_BYTES
#define SIG_B64LEN	86	/* 64 bytes */
#define KID_BYTES	8	/* random bytes in a kid we make: 16 hex digits */
#define TMPFILE		JWT_KEYFILE ".new"
/* A line is at most kid, two 20-character numbers, a seed and 4 separators. */
#define LINE_MAX_LEN	(JWT_KIDMAX + 20 + 20 + SEED_B64LEN + 4)
#define FILE_MAX	(JWT_MAXKEYS * LINE_MAX_LEN)
#define HDR_MAXTOK	64	/* a header is a handful of members */

static int	 add_key(const char *, int64_t, int64_t, int, char *, size_t);
static int	 dir_open(const char *, char *, size_t);
static int	 keys_read(int, const char *, struct jwt_keys *, char *, size_t);
static int	 keys_parse(const char *, size_t, struct jwt_keys *,
		    const char **);
static int	 line_parse(const char *, size_t, struct jwt_key *,
		    const char **);
static int	 keys_write(int, const char *, const struct jwt_keys *, char *,
		    size_t);
static int	 write_all(int, const char *, size_t);
static int	 kid_ok(const char *, size_t);
static int	 b64_char(char);
static size_t	 b64_len(size_t);
static void	 b64_append(struct buf *, const void *, size_t);
static int	 b64_decode(const char *, size_t, unsigned char *, size_t,
		    size_t *);
static const struct jwt_key *key_find(const struct jwt_keys *, const char *);
static int	 live(const struct jwt_key *, int64_t);

/* The store directory, read-only: the key file is named relative to it. */
static int
dir_open(const char *home, char *err, size_t errsz)
{
	int	 dfd;

	if ((dfd = open(home, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		snprintf(err, errsz, "%s: %s", home, strerror(errno));
	return dfd;
}

/*
 * Reads jwt.keys in the directory dfd.  The checks are those of the
 * hashing key (store.c), for the same reason: whoever can replace the
 * file chooses the keys that mint every token.  Beyond those, a file
 * anybody may read is refused: the seeds sign.
 */
static int
keys_read(int dfd, const char *home, struct jwt_keys *keys, char *err,
    size_t errsz)
{
	char		 text[FILE_MAX + 1];
	const char	*why;
	struct stat	 sb, hb;
	size_t		 off = 0;
	ssize_t		 n;
	int		 fd, rc = -1;

	memset(keys, 0, sizeof(*keys));
	fd = openat(dfd, JWT_KEYFILE, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd == -1) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errsz, "%s/%s: %s", home, JWT_KEYFILE,
		    errno == ELOOP ? "a symbolic link, refused" :
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) == -1 || fstat(dfd, &hb) == -1) {
		snprintf(err, errsz, "%s/%s: %s", home, JWT_KEYFILE,
		    strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode) || (sb.st_mode & 026) != 0 ||
	    (sb.st_uid != geteuid() && sb.st_uid != 0 &&
	    sb.st_uid != hb.st_uid)) {
		snprintf(err, errsz, "%s/%s: %s, refused", home, JWT_KEYFILE,
		    !S_ISREG(sb.st_mode) ? "not a regular file" :
		    (sb.st_mode & 026) != 0 ?
		    "writable by group or others, or readable by others "
		    "(chmod 640)" :
		    "owned by neither this user, root nor the store's owner");
		goto out;
	}
	for (;;) {
		n = read(fd, text + off, sizeof(text) - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
		if (off == sizeof(text))
			break;
	}
	if (n == -1) {
		snprintf(err, errsz, "%s/%s: %s", home, JWT_KEYFILE,
		    strerror(errno));
		goto out;
	}
	if (off > FILE_MAX) {
		snprintf(err, errsz, "%s/%s: longer than %d keys", home,
		    JWT_KEYFILE, JWT_MAXKEYS);
		goto out;
	}
	if (keys_parse(text, off, keys, &why) == -1) {
		snprintf(err, errsz, "%s/%s: line %zu: %s", home, JWT_KEYFILE,
		    keys->n + 1, why);
		goto out;
	}
	rc = 0;
out:
	if (rc == -1)
		jwt_keys_wipe(keys);
	sodium_memzero(text, sizeof(text));
	close(fd);
	return rc;
}

/* Every line a key; the last newline may be missing.  On error, keys->n is the lines read. */
static int
keys_parse(const char *text, size_t len, struct jwt_keys *keys,
    const char **why)
{
	const char	*p = text, *end = text + len, *nl;
	size_t		 i;

	keys->n = 0;
	while (p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if (keys->n == JWT_MAXKEYS) {
			*why = "too many keys";
			return -1;
		}
		if (line_parse(p, (size_t)(nl - p), &keys->k[keys->n], why) ==
		    -1)
			return -1;
		for (i = 0; i < keys->n; i++)
			if (strcmp(keys->k[i].kid, keys->k[keys->n].kid) == 0) {
				*why = "a kid used twice";
				return -1;
			}
		keys->n++;
		p = nl + 1;
	}
	return 0;
}

/* "kid created_at retire_at seed", single spaces. */
static int
line_parse(const char *p, size_t len, struct jwt_key *k, const char **why)
{
	unsigned char	 seed[SEED_LEN];
	const char	*f[4], *end = p + len, *sp;
	size_t		 fl[4];
	size_t		 got;
	int		 i, rc = -1;

	memset(k, 0, sizeof(*k));
	for (i = 0; i < 4; i++) {
		f[i] = p;
		sp = memchr(p, ' ', (size_t)(end - p));
		if ((sp == NULL) != (i == 3)) {
			*why = "not four fields (kid created_at retire_at seed)";
			return -1;
		}
		if (sp == NULL)
			sp = end;
		fl[i] = (size_t)(sp - p);
		p = sp + 1;
	}
	if (!kid_ok(f[0], fl[0])) {
		*why = "kid: 1 to 32 of A-Z a-z 0-9 . _ -";
		return -1;
	}
	memcpy(k->kid, f[0], fl[0]);
	k->kid[fl[0]] = '\0';
	if (json_int_text(f[1], fl[1], 0, INT64_MAX, &k->created_at) == -1 ||
	    json_int_text(f[2], fl[2], 0, INT64_MAX, &k->retire_at) == -1) {
		*why = "times: Unix seconds";
		return -1;
	}
	if (fl[3] != SEED_B64LEN ||
	    b64_decode(f[3], fl[3], seed, sizeof(seed), &got) == -1 ||
	    got != sizeof(seed)) {
		*why = "seed: 32 bytes in base64url without padding";
		goto out;
	}
	crypto_sign_seed_keypair(k->pk, k->sk, seed);
	rc = 0;
out:
	sodium_memzero(seed, sizeof(seed));
	return rc;
}

/*
 * Writes keys to a new file and renames it over jwt.keys, so that a
 * reader sees the old keys or the new, never a part; the syncs make the
 * rename last only once the contents are on disk.
 */
static int
keys_write(int dfd, const char *home, const struct jwt_keys *keys, char *err,
    size_t errsz)
{
	struct buf	 text = BUF_SECRET_INIT;
	unsigned char	 seed[SEED_LEN];
	size_t		 i;
	int		 fd, rc = -1;

	for (i = 0; i < keys->n; i++) {
		buf_printf(&text, "%s %lld %lld ", keys->k[i].kid,
		    (long long)keys->k[i].created_at,
		    (long long)keys->k[i].retire_at);
		crypto_sign_ed25519_sk_to_seed(seed, keys->k[i].sk);
		b64_append(&text, seed, sizeof(seed));
		buf_putc(&text, '\n');
	}
	sodium_memzero(seed, sizeof(seed));
	/* Left by a rotation that died: ours to replace (rotations are serialized). */
	if (unlinkat(dfd, TMPFILE, 0) == -1 && errno != ENOENT) {
		snprintf(err, errsz, "%s/%s: %s", home, TMPFILE,
		    strerror(errno));
		goto out;
	}
	fd = openat(dfd, TMPFILE, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0640);
	if (fd == -1) {
		snprintf(err, errsz, "%s/%s: %s", home, TMPFILE,
		    strerror(errno));
		goto out;
	}
	if (write_all(fd, text.ptr, text.len) == -1 || fsync(fd) == -1) {
		snprintf(err, errsz, "%s/%s: %s", home, TMPFILE,
		    strerror(errno));
		close(fd);
		unlinkat(dfd, TMPFILE, 0);
		goto out;
	}
	if (close(fd) == -1 ||
	    renameat(dfd, TMPFILE, dfd, JWT_KEYFILE) == -1) {
		snprintf(err, errsz, "%s/%s: %s", home, JWT_KEYFILE,
		    strerror(errno));
		unlinkat(dfd, TMPFILE, 0);
		goto out;
	}
	if (fsync(dfd) == -1) {
		snprintf(err, errsz, "%s: %s", home, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	buf_free(&text);
	return rc;
}

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t	 w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Safe in a JSON string and a header without escaping, and in the file without quoting. */
static int
kid_ok(const char *s, size_t len)
{
	size_t	 i;

	if (len == 0 || len > JWT_KIDMAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!b64_char(s[i]) && s[i] != '.')
			return 0;
	return 1;
}

static int
b64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* Characters of n bytes in base64url without padding. */
static size_t
b64_len(size_t n)
{
	return sodium_base64_ENCODED_LEN(n, B64) - 1;	/* less the NUL */
}

static void
b64_append(struct buf *b, const void *p, size_t n)
{
	size_t	 m = b64_len(n);

	buf_reserve(b, m);
	sodium_bin2base64(b->ptr + b->len, m + 1, p, n, B64);
	b->len += m;
}

/* Strict: the whole text, nothing ignored, canonical trailing bits (libsodium checks). */
static int
b64_decode(const char *s, size_t len, unsigned char *out, size_t outmax,
    size_t *outlen)
{
	const char	*end;

	if (sodium_base642bin(out, outmax, s, len, NULL, outlen, &end,
	    B64) != 0 || end != s + len)
		return -1;
	return 0;
}

static const struct jwt_key *
key_find(const struct jwt_keys *keys, const char *kid)
{
	size_t	 i;

	for (i = 0; i < keys->n; i++)
		if (strcmp(keys->k[i].kid, kid) == 0)
			return &keys->k[i];
	return NULL;
}

/* Verifies at now: current, or retiring later. */
static int
live(const struct jwt_key *k, int64_t now)
{
	return k->retire_at == 0 || k->retire_at > now;
}

int
jwt_keys_load(const char *home, struct jwt_keys *keys, char *err,
    size_t errsz)
{
	int	 dfd, rc;

	memset(keys, 0, sizeof(*keys));
	if ((dfd = dir_open(home, err, errsz)) == -1)
		return -1;
	rc = keys_read(dfd, home, keys, err, errsz);
	close(dfd);
	return rc;
}

void
jwt_keys_wipe(struct jwt_keys *keys)
{
	sodium_memzero(keys, sizeof(*keys));
}

int
jwt_keys_rotate(const char *home, int64_t now, int64_t grace, char *err,
    size_t errsz)
{
	return add_key(home, now, grace, 0, err, errsz);
}

int
jwt_keys_ensure(const char *home, int64_t now, char *err, size_t errsz)
{
	return add_key(home, now, 0, 1, err, errsz);
}

/* A rotation; with ensure, only when no key signs (a first key). */
static int
add_key(const char *home, int64_t now, int64_t grace, int ensure, char *err,
    size_t errsz)
{
	struct jwt_keys	 keys;
	unsigned char	 rnd[KID_BYTES], seed[SEED_LEN];
	struct jwt_key	*k;
	int64_t		 until;
	size_t		 i, j;
	int		 dfd, rc = -1;

	memset(&keys, 0, sizeof(keys));
	/* A retire_at of 0 would mean current. */
	if (now <= 0 || grace < 0 || grace > INT64_MAX - now) {
		snprintf(err, errsz, "jwt rotation: bad time or grace period");
		return -1;
	}
	until = now + grace;
	if ((dfd = dir_open(home, err, errsz)) == -1)
		return -1;
	/* Two rotations at once would each drop the other's new key. */
	if (flock(dfd, LOCK_EX) == -1) {
		snprintf(err, errsz, "%s: lock: %s", home, strerror(errno));
		goto out;
	}
	if (keys_read(dfd, home, &keys, err, errsz) == -1)
		goto out;
	/* Under the lock: whoever came first made it. */
	if (ensure && jwt_signer(&keys) != NULL) {
		rc = 0;
		goto out;
	}
	for (i = j = 0; i < keys.n; i++) {
		k = &keys.k[i];
		if (k->retire_at == 0 || k->retire_at > until)
			k->retire_at = until;
		if (!live(k, now))
			continue;
		if (j != i)
			keys.k[j] = *k;
		j++;
	}
	for (i = j; i < keys.n; i++)
		sodium_memzero(&keys.k[i], sizeof(keys.k[i]));
	keys.n = j;
	if (keys.n == JWT_MAXKEYS) {
		snprintf(err, errsz, "%s/%s: %d keys still verify; rotate "
		    "once some retired, or with a shorter grace period", home,
		    JWT_KEYFILE, JWT_MAXKEYS);
		goto out;
	}
	k = &keys.k[keys.n];
	do {
		randombytes_buf(rnd, sizeof(rnd));
		sodium_bin2hex(k->kid, sizeof(k->kid), rnd, sizeof(rnd));
	} while (key_find(&keys, k->kid) != NULL);
	k->created_at = now;
	k->retire_at = 0;
	randombytes_buf(seed, sizeof(seed));
	crypto_sign_seed_keypair(k->pk, k->sk, seed);
	sodium_memzero(seed, sizeof(seed));
	keys.n++;
	rc = keys_write(dfd, home, &keys, err, errsz);
out:
	jwt_keys_wipe(&keys);
	close(dfd);	/* and unlocks */
	return rc;
}

const struct jwt_key *
jwt_signer(const struct jwt_keys *keys)
{
	const struct jwt_key	*best = NULL;
	size_t			 i;

	for (i = 0; i < keys->n; i++)
		if (keys->k[i].retire_at == 0 && (best == NULL ||
		    keys->k[i].created_at >= best->created_at))
			best = &keys->k[i];
	return best;
}

int
jwt_sign(const struct jwt_keys *keys, const char *claims, size_t len,
    struct buf *out)
{
	const struct jwt_key	*k;
	struct buf		 hdr = BUF_INIT;
	struct jsonw		 w;
	unsigned char		 sig[SIG_LEN];
	size_t			 start;
	int			 rc = -1;

	if ((k = jwt_signer(keys)) == NULL || claims == NULL || len == 0 ||
	    len > JWT_MAXLEN)
		return -1;
	jw_init(&w, &hdr);
	jw_obj_open(&w, NULL);
	jw_str(&w, "alg", "EdDSA");
	jw_str(&w, "typ", "JWT");
	jw_str(&w, "kid", k->kid);
	jw_obj_close(&w);
	/* What jwt_shaped() would refuse is never made. */
	if (b64_len(hdr.len) + 1 + b64_len(len) + 1 + SIG_B64LEN > JWT_MAXLEN)
		goto out;
	start = out->len;
	b64_append(out, hdr.ptr, hdr.len);
	buf_putc(out, '.');
	b64_append(out, claims, len);
	crypto_sign_detached(sig, NULL, (const unsigned char *)out->ptr + start,
	    out->len - start, k->sk);
	buf_putc(out, '.');
	b64_append(out, sig, sizeof(sig));
	rc = 0;
out:
	/* With the public claims, the signature is the secret. */
	sodium_memzero(sig, sizeof(sig));
	buf_free(&hdr);
	return rc;
}

int
jwt_shaped(const char *s, size_t len)
{
	size_t	 i, part = 0, dots = 0;

	if (s == NULL || len == 0 || len > JWT_MAXLEN)
		return 0;
	/* A part of 4n+1 characters is no base64 of anything. */
	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (part == 0 || part % 4 == 1 || ++dots > 2)
				return 0;
			part = 0;
		} else if (b64_char(s[i]))
			part++;
		else
			return 0;
	}
	return dots == 2 && part != 0 && part % 4 != 1;
}

/*
 * The key a shaped JWT's header names, live at now, with alg EdDSA and a
 * signature of the right length; *d2 at the dot before the signature.
 * NULL if any of that fails.
 */
static const struct jwt_key *
header_key(const struct jwt_keys *keys, int64_t now, const char *s,
    size_t len, const char **d2)
{
	const struct jwt_key	*k = NULL;
	struct json_doc		 doc;
	struct buf		 alg = BUF_INIT, kid = BUF_INIT;
	unsigned char		 hdr[JWT_MAXLEN];
	const char		*d1;
	size_t			 n;

	if (!jwt_shaped(s, len))
		return NULL;
	d1 = memchr(s, '.', len);
	*d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - s));
	if ((size_t)(s + len - (*d2 + 1)) != SIG_B64LEN ||
	    b64_decode(s, (size_t)(d1 - s), hdr, sizeof(hdr), &n) == -1 ||
	    json_parse(&doc, (const char *)hdr, n, HDR_MAXTOK,
	    JSON_MAXDEPTH) == -1)
		return NULL;
	/* Any extension that must be understood (RFC 7515 4.1.11) is not. */
	if (json_get(&doc, 0, "crit") == -1 &&
	    json_str(&doc, json_get(&doc, 0, "alg"), &alg) == 0 &&
	    alg.len == 5 && memcmp(alg.ptr, "EdDSA", 5) == 0 &&
	    json_str(&doc, json_get(&doc, 0, "kid"), &kid) == 0 &&
	    kid_ok(kid.ptr, kid.len) &&
	    (k = key_find(keys, kid.ptr)) != NULL && !live(k, now))
		k = NULL;
	json_free(&doc);
	buf_free(&alg);
	buf_free(&kid);
	return k;
}

int
jwt_key_live(const struct jwt_keys *keys, int64_t now, const char *s,
    size_t len)
{
	const char	*d2;

	return header_key(keys, now, s, len, &d2) == NULL ? -1 : 0;
}

int
jwt_verify(const struct jwt_keys *keys, int64_t now, const char *s,
    size_t len, struct buf *claims)
{
	const struct jwt_key	*k;
	unsigned char		 sig[SIG_LEN];
	const char		*d1, *d2;
	size_t			 n, start;
	int			 rc = -1;

	if ((k = header_key(keys, now, s, len, &d2)) == NULL)
		return -1;
	d1 = memchr(s, '.', len);
	if (b64_decode(d2 + 1, SIG_B64LEN, sig, sizeof(sig), &n) == -1 ||
	    n != sizeof(sig) ||
	    crypto_sign_verify_detached(sig, (const unsigned char *)s,
	    (size_t)(d2 - s), k->pk) != 0)
		goto out;
	/* Shaped, so it decodes to at most 3/4 of its length. */
	start = claims->len;
	buf_reserve(claims, (size_t)(d2 - d1 - 1));
	if (b64_decode(d1 + 1, (size_t)(d2 - d1 - 1),
	    (unsigned char *)claims->ptr + start, claims->size - start - 1,
	    &n) == -1) {
		claims->ptr[start] = '\0';
		goto out;
	}
	claims->len = start + n;
	claims->ptr[claims->len] = '\0';
	rc = 0;
out:
	sodium_memzero(sig, sizeof(sig));
	return rc;
}

void
jwt_jwks(const struct jwt_keys *keys, int64_t now, struct jsonw *w)
{
	char	 x[SEED_B64LEN + 1];
	size_t	 i;

	jw_obj_open(w, NULL);
	jw_arr_open(w, "keys");
	for (i = 0; i < keys->n; i++) {
		if (!live(&keys->k[i], now))
			continue;
		sodium_bin2base64(x, sizeof(x), keys->k[i].pk,
		    sizeof(keys->k[i].pk), B64);
		jw_obj_open(w, NULL);
		jw_str(w, "kty", "OKP");
		jw_str(w, "crv", "Ed25519");
		jw_str(w, "x", x);
		jw_str(w, "kid", keys->k[i].kid);
		jw_str(w, "alg", "EdDSA");
		jw_str(w, "use", "sig");
		jw_obj_close(w);
	}
	jw_arr_close(w);
	jw_obj_close(w);
}
