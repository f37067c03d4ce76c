/* claims: a token as a signed JWT (its claims, its signing keys cached per process), and a presented JWT checked before its record is read. */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "claims.h"
#include "json.h"
#include "jwt.h"
#include "policy.h"
#include "tokens.h"

/* This process's copy of jwt.keys, and the file it was read from. */
static struct jwt_keys	 keys;
static struct stat	 keys_sb;
static int		 keys_loaded;

/* The keys as jwt.keys now has them: read again when the file changed. */
static const struct jwt_keys *
current_keys(const char *home)
{
	char		 path[4096], err[256];
	struct stat	 sb;

	snprintf(path, sizeof(path), "%s/%s", home, JWT_KEYFILE);
	if (stat(path, &sb) == -1)
		memset(&sb, 0, sizeof(sb));
	if (keys_loaded && sb.st_ino == keys_sb.st_ino &&
	    sb.st_mtim.tv_sec == keys_sb.st_mtim.tv_sec &&
	    sb.st_mtim.tv_nsec == keys_sb.st_mtim.tv_nsec &&
	    sb.st_size == keys_sb.st_size)
		return &keys;
	jwt_keys_wipe(&keys);
	keys_loaded = 0;
	if (jwt_keys_load(home, &keys, err, sizeof(err)) == -1) {
		fprintf(stderr, "keyhole: %s\n", err);
		return NULL;
	}
	keys_sb = sb;
	keys_loaded = 1;
	return &keys;
}

void
claims_grants(struct jsonw *w, const struct tok_rec *r)
{
	struct grant_set	 gs;
	struct buf		 scope = BUF_INIT;
	size_t			 i;

	/* Only what holds at the token's entity as a whole: never more. */
	policy_grants(r, &gs);
	policy_scopes_at(&gs, policy_entity_of(r), &scope);
	jw_str(w, "scope", buf_cstr(&scope));
	jw_str(w, "entity", policy_entity_of(r));
	/* Every grant where it holds: RFC 9396, one object per entity. */
	jw_arr_open(w, "authorization_details");
	for (i = 0; i < gs.n; i++) {
		jw_obj_open(w, NULL);
		jw_str(w, "type", "keyhole");
		if (r->organization.len > 0)
			jw_str(w, "organization", buf_cstr(&r->organization));
		else
			jw_null(w, "organization");
		jw_str(w, "entity", gs.g[i].entity);
		tokens_scopes_json(w, "actions", buf_cstr(&gs.g[i].scopes));
		jw_obj_close(w);
	}
	jw_arr_close(w);
	policy_grants_free(&gs);
	buf_free(&scope);
}

int
claims_sign(struct store *st, const struct tok_rec *r, int64_t gen,
    int64_t now, char *secret, size_t secretsz,
    unsigned char hash[TOK_HASH_LEN], char hint[TOK_HINT_LEN + 1])
{
	const struct jwt_keys	*k;
	const char		*iss = getenv("KEYHOLE_ISSUER");
	struct buf		 c = BUF_INIT, jwt = BUF_SECRET_INIT;
	struct jsonw		 w;
	char			 id[UUID_STRLEN + 1], err[256];
	int			 rc = -1;

	if ((k = current_keys(store_home(st))) == NULL)
		return -1;
	if (jwt_signer(k) == NULL) {
		/* A store without keys gets its first at its first JWT. */
		if (jwt_keys_ensure(store_home(st), now, err,
		    sizeof(err)) == -1) {
			fprintf(stderr, "keyhole: %s\n", err);
			return -1;
		}
		if ((k = current_keys(store_home(st))) == NULL || jwt_signer(k) == NULL)
			return -1;
	}
	uuid_format(r->id, id);
	jw_init(&w, &c);
	jw_obj_open(&w, NULL);
	jw_str(&w, "iss", iss != NULL && *iss != '\0' ? iss : ISSUER_DEFAULT);
	jw_str(&w, "jti", id);
	if (r->subject.len > 0)
		jw_str(&w, "sub", buf_cstr(&r->subject));
	jw_int(&w, "iat", now);
	jw_int(&w, "nbf", r->starts_at != 0 ? r->starts_at : r->created_at);
	if (r->expires_at != 0)
		jw_int(&w, "exp", r->expires_at);
	if (r->organization.len > 0)
		jw_str(&w, "org", buf_cstr(&r->organization));
	claims_grants(&w, r);
	jw_int(&w, "gen", gen);
	jw_obj_close(&w);
	if (jwt_sign(k, c.ptr, c.len, &jwt) == 0 && jwt.len < secretsz) {
		memcpy(secret, jwt.ptr, jwt.len);
		secret[jwt.len] = '\0';
		tok_hash(store_hashkey(st), secret, jwt.len, hash);
		tok_hint(secret, jwt.len, hint);
		rc = 0;
	} else
		rc = CLAIMS_TOO_LONG;	/* the key is there: the claims are too many */
	buf_free(&c);
	buf_free(&jwt);
	return rc;
}

int
claims_check(struct store *st, const char *s, size_t len, int64_t now,
    unsigned char jti[UUID_LEN], int64_t *gen)
{
	const struct jwt_keys	*k;
	struct buf		 c = BUF_INIT, v = BUF_INIT;
	struct json_doc		 d;
	int			 t, rc = -1;

	if ((k = current_keys(store_home(st))) == NULL ||
	    jwt_verify(k, now, s, len, &c) == -1)
		goto out;
	if (json_parse(&d, c.ptr, c.len, JSON_MAXTOK, JSON_MAXDEPTH) == -1)
		goto out;
	if (d.tok[0].type == JSON_OBJECT &&
	    (t = json_get(&d, 0, "jti")) != -1 && d.tok[t].type == JSON_STRING &&
	    json_str(&d, t, &v) == 0 && uuid_parse(v.ptr, v.len, jti) == 0 &&
	    (t = json_get(&d, 0, "gen")) != -1 &&
	    json_int(&d, t, 0, INT64_MAX, gen) == 0)
		rc = 1;
	json_free(&d);
out:
	buf_free(&c);
	buf_free(&v);
	return rc;
}

int
claims_key_live(struct store *st, const char *s, size_t len, int64_t now)
{
	const struct jwt_keys	*k;

	if ((k = current_keys(store_home(st))) == NULL)
		return -1;
	return jwt_key_live(k, now, s, len);
}

int
claims_jwks(const char *home, int64_t now, struct buf *out)
{
	const struct jwt_keys	*k;
	struct jsonw		 w;

	if ((k = current_keys(home)) == NULL)
		return -1;
	jw_init(&w, out);
	jwt_jwks(k, now, &w);
	return 0;
}
