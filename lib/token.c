/* token: API secrets (generate, store-free check, keyed hash), UUIDv7 ids. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "token.h"

/* The hash parameters are fixed by the header; make sure libsodium agrees. */
#if TOK_HASH_LEN < crypto_generichash_BYTES_MIN || \
    TOK_HASH_LEN > crypto_generichash_BYTES_MAX
#error "TOK_HASH_LEN is not a valid crypto_generichash output length"
#endif
#if TOK_KEY_LEN < crypto_generichash_KEYBYTES_MIN || \
    TOK_KEY_LEN > crypto_generichash_KEYBYTES_MAX
#error "TOK_KEY_LEN is not a valid crypto_generichash key length"
#endif

#define TOK_TAIL_LEN	(TOK_RAND_LEN + TOK_CRC_LEN)
#define UUID_CTR_MAX	0xfffU		/* rand_a is 12 bits */
#define UUID_CTR_SEED	0x800U		/* seeds are < this: top bit clear */

static void	 need_sodium(void);
static int	 is_b62(unsigned char);
static int	 is_prefix_char(unsigned char);
static int	 prefix_ok(const char *, size_t);
static void	 crc_encode(uint32_t, char [TOK_CRC_LEN]);
static uint64_t	 now_ms(void);
static int	 hexval(unsigned char);

static const char b62[] =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/* CRC-32/IEEE (zlib's crc32()): reflected polynomial 0xedb88320. */
static const uint32_t crc_table[256] = {
	0x00000000, 0x77073096, 0xee0e612c, 0x990951ba,
	0x076dc419, 0x706af48f, 0xe963a535, 0x9e6495a3,
	0x0edb8832, 0x79dcb8a4, 0xe0d5e91e, 0x97d2d988,
	0x09b64c2b, 0x7eb17cbd, 0xe7b82d07, 0x90bf1d91,
	0x1db71064, 0x6ab020f2, 0xf3b97148, 0x84be41de,
	0x1adad47d, 0x6ddde4eb, 0xf4d4b551, 0x83d385c7,
	0x136c9856, 0x646ba8c0, 0xfd62f97a, 0x8a65c9ec,
	0x14015c4f, 0x63066cd9, 0xfa0f3d63, 0x8d080df5,
	0x3b6e20c8, 0x4c69105e, 0xd56041e4, 0xa2677172,
	0x3c03e4d1, 0x4b04d447, 0xd20d85fd, 0xa50ab56b,
	0x35b5a8fa, 0x42b2986c, 0xdbbbc9d6, 0xacbcf940,
	0x32d86ce3, 0x45df5c75, 0xdcd60dcf, 0xabd13d59,
	0x26d930ac, 0x51de003a, 0xc8d75180, 0xbfd06116,
	0x21b4f4b5, 0x56b3c423, 0xcfba9599, 0xb8bda50f,
	0x2802b89e, 0x5f058808, 0xc60cd9b2, 0xb10be924,
	0x2f6f7c87, 0x58684c11, 0xc1611dab, 0xb6662d3d,
	0x76dc4190, 0x01db7106, 0x98d220bc, 0xefd5102a,
	0x71b18589, 0x06b6b51f, 0x9fbfe4a5, 0xe8b8d433,
	0x7807c9a2, 0x0f00f934, 0x9609a88e, 0xe10e9818,
	0x7f6a0dbb, 0x086d3d2d, 0x91646c97, 0xe6635c01,
	0x6b6b51f4, 0x1c6c6162, 0x856530d8, 0xf262004e,
	0x6c0695ed, 0x1b01a57b, 0x8208f4c1, 0xf50fc457,
	0x65b0d9c6, 0x12b7e950, 0x8bbeb8ea, 0xfcb9887c,
	0x62dd1ddf, 0x15da2d49, 0x8cd37cf3, 0xfbd44c65,
	0x4db26158, 0x3ab551ce, 0xa3bc0074, 0xd4bb30e2,
	0x4adfa541, 0x3dd895d7, 0xa4d1c46d, 0xd3d6f4fb,
	0x4369e96a, 0x346ed9fc, 0xad678846, 0xda60b8d0,
	0x44042d73, 0x33031de5, 0xaa0a4c5f, 0xdd0d7cc9,
	0x5005713c, 0x270241aa, 0xbe0b1010, 0xc90c2086,
	0x5768b525, 0x206f85b3, 0xb966d409, 0xce61e49f,
	0x5edef90e, 0x29d9c998, 0xb0d09822, 0xc7d7a8b4,
	0x59b33d17, 0x2eb40d81, 0xb7bd5c3b, 0xc0ba6cad,
	0xedb88320, 0x9abfb3b6, 0x03b6e20c, 0x74b1d29a,
	0xead54739, 0x9dd277af, 0x04db2615, 0x73dc1683,
	0xe3630b12, 0x94643b84, 0x0d6d6a3e, 0x7a6a5aa8,
	0xe40ecf0b, 0x9309ff9d, 0x0a00ae27, 0x7d079eb1,
	0xf00f9344, 0x8708a3d2, 0x1e01f268, 0x6906c2fe,
	0xf762575d, 0x806567cb, 0x196c3671, 0x6e6b06e7,
	0xfed41b76, 0x89d32be0, 0x10da7a5a, 0x67dd4acc,
	0xf9b9df6f, 0x8ebeeff9, 0x17b7be43, 0x60b08ed5,
	0xd6d6a3e8, 0xa1d1937e, 0x38d8c2c4, 0x4fdff252,
	0xd1bb67f1, 0xa6bc5767, 0x3fb506dd, 0x48b2364b,
	0xd80d2bda, 0xaf0a1b4c, 0x36034af6, 0x41047a60,
	0xdf60efc3, 0xa867df55, 0x316e8eef, 0x4669be79,
	0xcb61b38c, 0xbc66831a, 0x256fd2a0, 0x5268e236,
	0xcc0c7795, 0xbb0b4703, 0x220216b9, 0x5505262f,
	0xc5ba3bbe, 0xb2bd0b28, 0x2bb45a92, 0x5cb36a04,
	0xc2d7ffa7, 0xb5d0cf31, 0x2cd99e8b, 0x5bdeae1d,
	0x9b64c2b0, 0xec63f226, 0x756aa39c, 0x026d930a,
	0x9c0906a9, 0xeb0e363f, 0x72076785, 0x05005713,
	0x95bf4a82, 0xe2b87a14, 0x7bb12bae, 0x0cb61b38,
	0x92d28e9b, 0xe5d5be0d, 0x7cdcefb7, 0x0bdbdf21,
	0x86d3d2d4, 0xf1d4e242, 0x68ddb3f8, 0x1fda836e,
	0x81be16cd, 0xf6b9265b, 0x6fb077e1, 0x18b74777,
	0x88085ae6, 0xff0f6a70, 0x66063bca, 0x11010b5c,
	0x8f659eff, 0xf862ae69, 0x616bffd3, 0x166ccf45,
	0xa00ae278, 0xd70dd2ee, 0x4e048354, 0x3903b3c2,
	0xa7672661, 0xd06016f7, 0x4969474d, 0x3e6e77db,
	0xaed16a4a, 0xd9d65adc, 0x40df0b66, 0x37d83bf0,
	0xa9bcae53, 0xdebb9ec5, 0x47b2cf7f, 0x30b5ffe9,
	0xbdbdf21c, 0xcabac28a, 0x53b39330, 0x24b4a3a6,
	0xbad03605, 0xcdd70693, 0x54de5729, 0x23d967bf,
	0xb3667a2e, 0xc4614ab8, 0x5d681b02, 0x2a6f2b94,
	0xb40bbe37, 0xc30c8ea1, 0x5a05df1b, 0x2d02ef8d
};

/* UUIDv7 monotonic state for this process; see uuid7_generate(). */
static uint64_t	 uuid_last_ms;
static unsigned	 uuid_ctr;

static void
need_sodium(void)
{
	/* Idempotent and cheap after the first call made by main(). */
	if (sodium_init() < 0)
		abort();
}

static int
is_b62(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
	    (c >= 'a' && c <= 'z');
}

static int
is_prefix_char(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z');
}

/*
 * p[0..n) is one or more [a-z0-9] followed by one '_' or '-', n <= 16.
 * Length-bounded so that tok_check() never relies on a NUL.
 */
static int
prefix_ok(const char *p, size_t n)
{
	size_t	 i;

	if (n < 2 || n > TOK_PREFIX_MAX)
		return 0;
	for (i = 0; i < n - 1; i++)
		if (!is_prefix_char((unsigned char)p[i]))
			return 0;
	return p[n - 1] == '_' || p[n - 1] == '-';
}

/* Six base62 digits, most significant first: 62^6 > 2^32, so any CRC fits. */
static void
crc_encode(uint32_t crc, char out[TOK_CRC_LEN])
{
	int	 i;

	for (i = TOK_CRC_LEN - 1; i >= 0; i--) {
		out[i] = b62[crc % 62];
		crc /= 62;
	}
}

int
tok_prefix_ok(const char *prefix)
{
	size_t	 n;

	if (prefix == NULL)
		return 0;
	/* Bounded scan: stop one past the longest valid prefix. */
	for (n = 0; n <= TOK_PREFIX_MAX && prefix[n] != '\0'; n++)
		continue;
	return prefix_ok(prefix, n);
}

uint32_t
tok_crc32(const void *p, size_t len)
{
	const unsigned char	*s = p;
	uint32_t		 crc = 0xffffffffU;

	while (len-- > 0)
		crc = crc_table[(crc ^ *s++) & 0xff] ^ (crc >> 8);
	return crc ^ 0xffffffffU;
}

int
tok_generate(const char *prefix, char *out, size_t outsz)
{
	unsigned char	 pool[64];
	size_t		 plen, i, used = sizeof(pool);

	if (out == NULL || !tok_prefix_ok(prefix))
		return -1;
	plen = strlen(prefix);
	if (outsz < plen + TOK_TAIL_LEN + 1)
		return -1;
	need_sodium();

	memcpy(out, prefix, plen);
	/*
	 * Rejection sampling: a byte below 248 (4 * 62) maps to a digit with
	 * no modulo bias.  Bytes come from the CSPRNG a pool at a time: one
	 * call per secret, not one per character (each may be a syscall).
	 */
	for (i = 0; i < TOK_RAND_LEN; used++) {
		if (used == sizeof(pool)) {
			randombytes_buf(pool, sizeof(pool));
			used = 0;
		}
		if (pool[used] < 248)
			out[plen + i++] = b62[pool[used] % 62];
	}
	sodium_memzero(pool, sizeof(pool));
	crc_encode(tok_crc32(out, plen + TOK_RAND_LEN),
	    out + plen + TOK_RAND_LEN);
	out[plen + TOK_TAIL_LEN] = '\0';
	return 0;
}

/*
 * Pure syntax and checksum check, so that typos and junk are refused
 * before any store lookup.  Timing is not a concern: everything checked
 * here is derivable from the input itself.  A NUL anywhere fails the
 * character classes, so embedded NULs are rejected.
 */
int
tok_check(const char *s, size_t len)
{
	char	 want[TOK_CRC_LEN];
	size_t	 plen, i;
	int	 ok;

	if (s == NULL || len < 1 + TOK_TAIL_LEN || len > TOK_SECRET_MAX)
		return 0;
	plen = len - TOK_TAIL_LEN;
	if (!prefix_ok(s, plen))
		return 0;
	for (i = plen; i < len; i++)
		if (!is_b62((unsigned char)s[i]))
			return 0;
	crc_encode(tok_crc32(s, len - TOK_CRC_LEN), want);
	ok = sodium_memcmp(want, s + len - TOK_CRC_LEN, TOK_CRC_LEN) == 0;
	/* On success want is a copy of part of a live secret. */
	sodium_memzero(want, sizeof(want));
	return ok;
}

void
tok_hash(const unsigned char key[TOK_KEY_LEN], const char *s, size_t len,
    unsigned char out[TOK_HASH_LEN])
{
	/* Lengths are checked at compile time; failure means misuse. */
	if (crypto_generichash(out, TOK_HASH_LEN, (const unsigned char *)s,
	    len, key, TOK_KEY_LEN) != 0)
		abort();
}

int
tok_hash_eq(const unsigned char a[TOK_HASH_LEN],
    const unsigned char b[TOK_HASH_LEN])
{
	return sodium_memcmp(a, b, TOK_HASH_LEN) == 0;
}

void
tok_hint(const char *s, size_t len, char out[TOK_HINT_LEN + 1])
{
	size_t	 n;

	n = len < TOK_HINT_LEN ? len : TOK_HINT_LEN;
	if (n > 0)
		memcpy(out, s + len - n, n);
	out[n] = '\0';
}

static uint64_t
now_ms(void)
{
	struct timespec	 ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
		abort();
	if (ts.tv_sec < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * RFC 9562 UUIDv7 with the "fixed bit-length dedicated counter" of
 * section 6.2, method 1: the 12-bit rand_a field is a counter.  On each
 * new millisecond it is seeded randomly with its top bit clear (so at
 * least 2048 ids fit in one millisecond); within the same millisecond,
 * or when the clock has stepped back, the previous timestamp is kept and
 * the counter incremented.  On counter overflow the timestamp is
 * advanced by one millisecond and the counter reseeded.  Ids from one
 * process are thus strictly increasing as bytes.  The state is
 * per-process and not locked: the workers are single-threaded.
 */
void
uuid7_generate(unsigned char id[UUID_LEN])
{
	uint64_t	 ms;
	int		 i;

	need_sodium();
	ms = now_ms();
	if (ms > uuid_last_ms) {
		uuid_last_ms = ms;
		uuid_ctr = randombytes_uniform(UUID_CTR_SEED);
	} else if (++uuid_ctr > UUID_CTR_MAX) {
		uuid_last_ms++;
		uuid_ctr = randombytes_uniform(UUID_CTR_SEED);
	}

	ms = uuid_last_ms & 0xffffffffffffULL;
	for (i = 5; i >= 0; i--) {
		id[i] = (unsigned char)(ms & 0xff);
		ms >>= 8;
	}
	id[6] = (unsigned char)(0x70 | uuid_ctr >> 8);	/* version 7 */
	id[7] = (unsigned char)(uuid_ctr & 0xff);
	randombytes_buf(id + 8, UUID_LEN - 8);
	id[8] = (unsigned char)(0x80 | (id[8] & 0x3f));	/* variant 10 */
}

void
uuid_format(const unsigned char id[UUID_LEN], char out[UUID_STRLEN + 1])
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 i, o;

	for (i = o = 0; i < UUID_LEN; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[id[i] >> 4];
		out[o++] = hex[id[i] & 0xf];
	}
	out[o] = '\0';
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* id is written only on success. */
int
uuid_parse(const char *s, size_t len, unsigned char id[UUID_LEN])
{
	unsigned char	 tmp[UUID_LEN];
	size_t		 i, o;
	int		 hi, lo;

	if (s == NULL || len != UUID_STRLEN)
		return -1;
	for (i = o = 0; o < UUID_LEN; o++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i++] != '-')
				return -1;
		}
		if ((hi = hexval((unsigned char)s[i])) == -1 ||
		    (lo = hexval((unsigned char)s[i + 1])) == -1)
			return -1;
		tmp[o] = (unsigned char)(hi << 4 | lo);
		i += 2;
	}
	memcpy(id, tmp, UUID_LEN);
	return 0;
}
