/*
 * fuzz_token: a presented secret as lib/token.c reads it — tok_check
 * (prefix, base62 body, CRC32 checksum; never past len), tok_prefix_ok,
 * tok_hint, and token ids (uuid_parse, uuid_format).  A secret that
 * passes keeps its promises: its prefix is one, a secret made with it
 * passes, and no one-character change of it passes.
 */
#include <ctype.h>

#include "fuzz.h"

#define TAIL	(TOK_RAND_LEN + TOK_CRC_LEN)

static const char b62[] =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		abort();
	return 0;
}

/* A well-formed secret: each of its one-character changes is refused. */
static void
check_secret(const char *s, size_t len)
{
	char	 t[TOK_SECRET_MAX], prefix[TOK_PREFIX_MAX + 1];
	char	 hint[TOK_HINT_LEN + 1];
	size_t	 plen = len - TAIL, i;
	uint32_t crc;

	FUZZ_ASSERT(len > TAIL && len <= TOK_SECRET_MAX);
	memcpy(prefix, s, plen);
	prefix[plen] = '\0';
	FUZZ_ASSERT(tok_prefix_ok(prefix));
	tok_hint(s, len, hint);
	FUZZ_ASSERT(strlen(hint) == TOK_HINT_LEN &&
	    memcmp(hint, s + len - TOK_HINT_LEN, TOK_HINT_LEN) == 0);
	/* Which position, and to what: from the checksum (deterministic). */
	crc = tok_crc32(s, len);
	memcpy(t, s, len);
	i = crc % len;
	t[i] = i < plen - 1 ? (s[i] == 'a' ? 'b' : 'a') :
	    i == plen - 1 ? (s[i] == '_' ? '-' : '_') :
	    b62[(strchr(b62, s[i]) - b62 + 1 + (crc >> 8) % 61) % 62];
	FUZZ_ASSERT(t[i] != s[i]);
	FUZZ_ASSERT(!tok_check(t, len));
	/* Shorter or longer by one, it is no secret either. */
	FUZZ_ASSERT(!tok_check(s, len - 1));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*s = (const char *)data;
	char		*c, secret[TOK_SECRET_MAX + 1], id[UUID_STRLEN + 1];
	char		 hint[TOK_HINT_LEN + 1];
	unsigned char	 u[UUID_LEN], v[UUID_LEN];
	size_t		 i;

	/* As presented, not NUL-terminated: ASan sees any over-read. */
	if (tok_check(s, size))
		check_secret(s, size);
	tok_hint(s, size, hint);
	FUZZ_ASSERT(strlen(hint) <= TOK_HINT_LEN);

	/* A prefix the configuration may name (KEYHOLE_PREFIX) works. */
	c = fuzz_str(data, size);
	if (tok_prefix_ok(c)) {
		FUZZ_ASSERT(tok_generate(c, secret, sizeof(secret)) == 0);
		FUZZ_ASSERT(strlen(secret) == strlen(c) + TAIL);
		FUZZ_ASSERT(tok_check(secret, strlen(secret)));
		check_secret(secret, strlen(secret));
		FUZZ_ASSERT(tok_generate(c, secret, strlen(c) + TAIL) == -1);
	} else
		FUZZ_ASSERT(tok_generate(c, secret, sizeof(secret)) == -1);
	free(c);

	/* An id parses only in canonical form (either case), formats back. */
	memset(u, 0xa5, sizeof(u));
	memcpy(v, u, sizeof(v));
	if (uuid_parse(s, size, u) == 0) {
		uuid_format(u, id);
		FUZZ_ASSERT(size == UUID_STRLEN);
		for (i = 0; i < UUID_STRLEN; i++)
			FUZZ_ASSERT(id[i] == tolower((unsigned char)s[i]));
	} else
		FUZZ_ASSERT(memcmp(u, v, sizeof(u)) == 0);
	return 0;
}
