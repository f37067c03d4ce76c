/* token: secrets (generation, format check without the store, keyed hash) and ids (UUIDv7). */
#ifndef KH_TOKEN_H
#define KH_TOKEN_H

#include <stddef.h>
#include <stdint.h>

/*
 * A secret is PREFIX RANDOM CRC (GitHub's design):
 *   PREFIX  2..16 chars: [a-z0-9]+ then '_' or '-' (e.g. "kh_", "api_", "key-")
 *   RANDOM  32 base62 chars [0-9A-Za-z] from libsodium's CSPRNG, unbiased (190.5 bits)
 *   CRC     CRC32 (IEEE, zlib's) of PREFIX+RANDOM, as 6 base62 chars, most significant first,
 *           zero-padded ('0').
 * A malformed or mistyped secret is refused by tok_check() without touching the store.
 */
#define TOK_PREFIX_MAX	16
#define TOK_RAND_LEN	32
#define TOK_CRC_LEN	6
#define TOK_SECRET_MAX	(TOK_PREFIX_MAX + TOK_RAND_LEN + TOK_CRC_LEN)
#define TOK_HASH_LEN	32	/* keyed BLAKE2b-256 */
#define TOK_KEY_LEN	32	/* the hashing key (crypto_generichash_KEYBYTES) */
#define TOK_HINT_LEN	4	/* last characters shown as a hint */
#define TOK_DEFAULT_PREFIX "kh_"

/* 1 if prefix is a valid prefix as above, else 0. */
int	 tok_prefix_ok(const char *prefix);
/* Writes a NUL-terminated secret to out. 0 ok; -1 for a bad prefix or an out too small. */
int	 tok_generate(const char *prefix, char *out, size_t outsz);
/* 1 if s[0..len) is a well-formed secret with a matching checksum, else 0. Never reads past len. */
int	 tok_check(const char *s, size_t len);
/* Keyed hash of the whole secret string. */
void	 tok_hash(const unsigned char key[TOK_KEY_LEN], const char *s, size_t len,
	    unsigned char out[TOK_HASH_LEN]);
/* Constant-time equality of two hashes: 1 equal, 0 not. */
int	 tok_hash_eq(const unsigned char a[TOK_HASH_LEN], const unsigned char b[TOK_HASH_LEN]);
/* Last TOK_HINT_LEN characters of the secret, NUL-terminated. */
void	 tok_hint(const char *s, size_t len, char out[TOK_HINT_LEN + 1]);
uint32_t tok_crc32(const void *, size_t);

/*
 * UUIDv7 (RFC 9562): 48-bit Unix ms, version 7, variant 10; rand_a is a
 * counter seeded at random each millisecond, so ids from one process
 * strictly increase; rand_b is 62 random bits.
 */
#define UUID_LEN	16
#define UUID_STRLEN	36
void	 uuid7_generate(unsigned char id[UUID_LEN]);
/* Lower-case canonical 8-4-4-4-12 form, NUL-terminated. */
void	 uuid_format(const unsigned char id[UUID_LEN], char out[UUID_STRLEN + 1]);
/* Parses the canonical form (either case) of exactly len == 36 bytes. 0 ok, -1 not (id untouched). */
int	 uuid_parse(const char *, size_t len, unsigned char id[UUID_LEN]);

#endif
