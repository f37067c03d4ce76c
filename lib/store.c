/* store: the Berkeley DB environment shared by every worker, token records, their hash index, the audit log. */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>	/* db_threadid_t is a pthread_t */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <db.h>
#include <sodium.h>

#include "json.h"
#include "policy.h"
#include "store.h"

#define REC_VERSION	1
#define AUDIT_VERSION	1
#define RETRIES		8	/* deadlock retries before STORE_BUSY */
#define LOCK_TIMEOUT_US	1000000	/* a lock held by a dead process is given up after this */
#define WATCHDOG_SECS	2	/* no process stays inside Berkeley DB longer */
#define OPEN_WATCHDOG_SECS 4	/* opening may include a recovery */
#define RECOVER_MARK	"recover.needed"	/* left by the watchdog: next open recovers */
#define REGION_FILE	"__db.001"	/* recreated by every full recovery */
#define BULK_BATCH	1000	/* writes per transaction in a bulk load */
/*
 * The shared cache (KEYHOLE_CACHE_MB): mapped by every process, touched
 * lazily, grown on demand up to this size.
 */
#define CACHE_MB	16
#define THREADS		512	/* slots for processes in the environment at once */
#define KEYFILE		KEYHOLE_KEYFILE

struct store {
	DB_ENV		*env;
	DB		*tokens;	/* id -> record */
	DB		*byhash;	/* keyed hash -> id (secondary of tokens) */
	DB		*byparent;	/* created_by -> ids (secondary, duplicates) */
	DB		*bylist;	/* list keys -> id (secondary, counted) */
	DB		*lists;		/* the same file, read by record number */
	DB		*audit;		/* event id (UUIDv7) -> audit record */
	unsigned char	 key[TOK_KEY_LEN];
	char		*home;
	time_t		 last_maint;
	int		 dead;		/* unusable: the process must exit */
	int		 reopened;	/* joined a recovered environment */
	int		 bulk;
	DB_TXN		*bulk_txn;	/* a bulk load commits in batches */
	unsigned	 bulk_n;
};

/* Record field tags (schema/storage.md); unknown tags are skipped on read. */
enum rec_tag {
	T_CREATED_BY = 1,
	T_CREATED_AT,
	T_STARTS_AT,
	T_EXPIRES_AT,
	T_LAST_USED_AT,
	T_REVOKED_AT,
	T_USES_LEFT,
	T_KIND,
	T_FORMAT,
	T_HINT,
	T_NAME,
	T_DESCRIPTION,
	T_ORGANIZATION,
	T_SUBJECT,
	T_SCOPES,
	T_METADATA,
	T_ENTITY,
	T_BINDINGS,
	T_DIRECT,
	T_PREV_HASH,
	T_GRACE_UNTIL,
	T_PREV_HINT,
	T_ROTATED_AT,
	T_ROTATIONS,
	T_USE_COUNT,
	T_LAST_ADDRESS,
	T_LAST_AGENT,
	T_GRANT_EXPIRES,
	T_UPDATED_AT,
	T_GRANT_USES,
	T_FENCE,
	T_PREFIX,
	T__MAX
};

enum audit_tag {
	A_AT = 1,
	A_EVENT,
	A_ACTOR,
	A_TARGET,
	A_ORGANIZATION,
	A_ADDRESS,
	A_DETAIL,
	A__MAX
};

typedef int	(*txn_fn)(struct store *, DB_TXN *, void *);

/* What the watchdog needs, prepared outside the signal handler. */
static char	 wd_mark[4096];
static char	 wd_region[4096];
static ino_t	 wd_ino;		/* the region this process joined; 0: none yet */

static void		 errcall(const DB_ENV *, const char *, const char *);
static void		 notify(DB_ENV *, u_int32_t, void *);
static int		 is_alive(DB_ENV *, pid_t, db_threadid_t, u_int32_t);
static void		 thread_id(DB_ENV *, pid_t *, db_threadid_t *);
static void		 watchdog(int);
static int		 hash_of(DB *, const DBT *, const DBT *, DBT *);
static int		 lists_open(struct store *);
static enum store_err	 run(struct store *, txn_fn, void *, int);
static enum store_err	 map_err(struct store *, int);
static int		 key_load(struct store *, const char *, int, char *, size_t);
static void		 put_varint(struct buf *, uint64_t);
static int		 get_varint(const unsigned char **, const unsigned char *, uint64_t *);
static void		 put_field(struct buf *, int, const void *, size_t);
static void		 put_int(struct buf *, int, uint64_t);
static void		 audit_encode(const struct audit_ev *, struct buf *);

/* ---- record codec ---- */

static void
put_varint(struct buf *b, uint64_t v)
{
	unsigned char	 c;

	do {
		c = v & 0x7f;
		v >>= 7;
		if (v)
			c |= 0x80;
		buf_putc(b, (char)c);
	} while (v);
}

static int
get_varint(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
	uint64_t	 r = 0;
	int		 shift;

	for (shift = 0; shift < 64 && *p < end; shift += 7) {
		r |= (uint64_t)(**p & 0x7f) << shift;
		if (!(*(*p)++ & 0x80)) {
			*v = r;
			return 0;
		}
	}
	return -1;
}

static void
put_field(struct buf *b, int tag, const void *p, size_t len)
{
	buf_putc(b, (char)tag);
	put_varint(b, len);
	buf_append(b, p, len);
}

static void
put_int(struct buf *b, int tag, uint64_t v)
{
	struct buf	 t = BUF_INIT;

	put_varint(&t, v);
	put_field(b, tag, t.ptr, t.len);
	buf_free(&t);
}

static void
put_str(struct buf *b, int tag, const struct buf *s)
{
	if (s->len > 0)
		put_field(b, tag, s->ptr, s->len);
}

void
tok_rec_init(struct tok_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->uses_left = -1;
	r->grant_uses = -1;
}

void
tok_rec_free(struct tok_rec *r)
{
	buf_free(&r->name);
	buf_free(&r->description);
	buf_free(&r->organization);
	buf_free(&r->subject);
	buf_free(&r->scopes);
	buf_free(&r->metadata);
	buf_free(&r->entity);
	buf_free(&r->bindings);
	buf_free(&r->direct);
	buf_free(&r->last_address);
	buf_free(&r->last_agent);
	buf_free(&r->fence);
	tok_rec_init(r);
}

/*
 * Version byte, the 32-byte hash at a fixed offset (so the index callback
 * needs no decoding), then tag-length-value fields; absent means default.
 */
void
rec_encode(const struct tok_rec *r, struct buf *b)
{
	static const unsigned char zero[UUID_LEN];

	buf_reset(b);
	buf_putc(b, REC_VERSION);
	buf_append(b, r->hash, TOK_HASH_LEN);
	if (memcmp(r->created_by, zero, UUID_LEN) != 0)
		put_field(b, T_CREATED_BY, r->created_by, UUID_LEN);
	put_int(b, T_CREATED_AT, (uint64_t)r->created_at);
	if (r->starts_at)
		put_int(b, T_STARTS_AT, (uint64_t)r->starts_at);
	if (r->expires_at)
		put_int(b, T_EXPIRES_AT, (uint64_t)r->expires_at);
	if (r->last_used_at)
		put_int(b, T_LAST_USED_AT, (uint64_t)r->last_used_at);
	if (r->revoked_at)
		put_int(b, T_REVOKED_AT, (uint64_t)r->revoked_at);
	if (r->uses_left >= 0)
		put_int(b, T_USES_LEFT, (uint64_t)r->uses_left);
	if (r->kind != KIND_STANDARD)
		put_int(b, T_KIND, (uint64_t)r->kind);
	if (r->format != FORMAT_OPAQUE)
		put_int(b, T_FORMAT, (uint64_t)r->format);
	put_field(b, T_HINT, r->hint, strlen(r->hint));
	put_str(b, T_NAME, &r->name);
	put_str(b, T_DESCRIPTION, &r->description);
	put_str(b, T_ORGANIZATION, &r->organization);
	put_str(b, T_SUBJECT, &r->subject);
	put_str(b, T_SCOPES, &r->scopes);
	put_str(b, T_METADATA, &r->metadata);
	/* The common cases cost nothing: the organization, no bindings. */
	if (strcmp(buf_cstr(&r->entity), "organization") != 0)
		put_str(b, T_ENTITY, &r->entity);
	put_str(b, T_BINDINGS, &r->bindings);
	if (r->bindings.len > 0)
		put_str(b, T_DIRECT, &r->direct);
	if (r->has_prev) {
		put_field(b, T_PREV_HASH, r->prev_hash, TOK_HASH_LEN);
		put_int(b, T_GRACE_UNTIL, (uint64_t)r->grace_until);
	}
	if (r->prev_hint[0] != '\0')
		put_field(b, T_PREV_HINT, r->prev_hint, strlen(r->prev_hint));
	if (r->rotated_at)
		put_int(b, T_ROTATED_AT, (uint64_t)r->rotated_at);
	if (r->rotations)
		put_int(b, T_ROTATIONS, (uint64_t)r->rotations);
	if (r->use_count)
		put_int(b, T_USE_COUNT, (uint64_t)r->use_count);
	put_str(b, T_LAST_ADDRESS, &r->last_address);
	put_str(b, T_LAST_AGENT, &r->last_agent);
	if (r->grant_expires_at)
		put_int(b, T_GRANT_EXPIRES, (uint64_t)r->grant_expires_at);
	if (r->updated_at)
		put_int(b, T_UPDATED_AT, (uint64_t)r->updated_at);
	if (r->grant_uses >= 0)
		put_int(b, T_GRANT_USES, (uint64_t)r->grant_uses);
	put_str(b, T_FENCE, &r->fence);
	if (r->prefix[0] != '\0')
		put_field(b, T_PREFIX, r->prefix, strlen(r->prefix));
}

/* 0 on success, -1 for a record that does not decode. */
static int	 decode_fields(const unsigned char *, const unsigned char *,
		    struct tok_rec *);

int
rec_decode(const void *data, size_t len, struct tok_rec *r)
{
	const unsigned char	*p = data, *end = p + len;

	buf_reset(&r->name);
	buf_reset(&r->description);
	buf_reset(&r->organization);
	buf_reset(&r->subject);
	buf_reset(&r->scopes);
	buf_reset(&r->metadata);
	buf_reset(&r->entity);
	buf_reset(&r->bindings);
	buf_reset(&r->direct);
	buf_reset(&r->last_address);
	buf_reset(&r->last_agent);
	buf_reset(&r->fence);
	memset(r->created_by, 0, UUID_LEN);
	r->created_at = r->starts_at = r->expires_at = 0;
	r->last_used_at = r->revoked_at = 0;
	r->use_count = r->updated_at = r->rotated_at = r->rotations = 0;
	r->grace_until = r->grant_expires_at = 0;
	r->has_prev = 0;
	r->uses_left = r->grant_uses = -1;
	r->kind = KIND_STANDARD;
	r->format = FORMAT_OPAQUE;
	r->hint[0] = r->prev_hint[0] = r->prefix[0] = '\0';

	if (len < 1 + TOK_HASH_LEN || p[0] != REC_VERSION)
		return -1;
	if (decode_fields(p, end, r) == -1)
		return -1;
	/* Without bindings the direct scopes are the scopes (not stored twice). */
	if (r->bindings.len == 0) {
		buf_reset(&r->direct);
		buf_puts(&r->direct, buf_cstr(&r->scopes));
	}
	return 0;
}

static int
decode_fields(const unsigned char *p, const unsigned char *end,
    struct tok_rec *r)
{
	const unsigned char	*v;
	uint64_t		 tag, n, iv;
	struct buf		*s;

	memcpy(r->hash, p + 1, TOK_HASH_LEN);
	p += 1 + TOK_HASH_LEN;
	while (p < end) {
		tag = *p++;
		if (get_varint(&p, end, &n) == -1 || n > (uint64_t)(end - p))
			return -1;
		v = p;
		p += n;
		s = NULL;
		switch (tag) {
		case T_CREATED_BY:
			if (n != UUID_LEN)
				return -1;
			memcpy(r->created_by, v, UUID_LEN);
			continue;
		case T_HINT:
		case T_PREV_HINT:
			if (n > TOK_HINT_LEN)
				return -1;
			memcpy(tag == T_HINT ? r->hint : r->prev_hint, v, n);
			(tag == T_HINT ? r->hint : r->prev_hint)[n] = '\0';
			continue;
		case T_PREFIX:
			if (n > TOK_PREFIX_MAX)
				return -1;
			memcpy(r->prefix, v, n);
			r->prefix[n] = '\0';
			continue;
		case T_FENCE:
			if (n % UUID_LEN != 0)
				return -1;
			s = &r->fence;
			break;
		case T_PREV_HASH:
			if (n != TOK_HASH_LEN)
				return -1;
			memcpy(r->prev_hash, v, TOK_HASH_LEN);
			r->has_prev = 1;
			continue;
		case T_NAME:
			s = &r->name;
			break;
		case T_DESCRIPTION:
			s = &r->description;
			break;
		case T_ORGANIZATION:
			s = &r->organization;
			break;
		case T_SUBJECT:
			s = &r->subject;
			break;
		case T_SCOPES:
			s = &r->scopes;
			break;
		case T_METADATA:
			s = &r->metadata;
			break;
		case T_ENTITY:
			s = &r->entity;
			break;
		case T_BINDINGS:
			s = &r->bindings;
			break;
		case T_DIRECT:
			s = &r->direct;
			break;
		case T_LAST_ADDRESS:
			s = &r->last_address;
			break;
		case T_LAST_AGENT:
			s = &r->last_agent;
			break;
		default:
			break;
		}
		if (s != NULL) {
			buf_reset(s);
			buf_append(s, v, n);
			continue;
		}
		if (tag == 0 || tag >= T__MAX)
			continue;	/* not ours: a newer writer's field */
		if (get_varint(&v, v + n, &iv) == -1 || iv > INT64_MAX)
			return -1;
		switch (tag) {
		case T_CREATED_AT:
			r->created_at = (int64_t)iv;
			break;
		case T_STARTS_AT:
			r->starts_at = (int64_t)iv;
			break;
		case T_EXPIRES_AT:
			r->expires_at = (int64_t)iv;
			break;
		case T_LAST_USED_AT:
			r->last_used_at = (int64_t)iv;
			break;
		case T_REVOKED_AT:
			r->revoked_at = (int64_t)iv;
			break;
		case T_USES_LEFT:
			r->uses_left = (int64_t)iv;
			break;
		case T_KIND:
			if (iv >= KIND__MAX)
				return -1;
			r->kind = (enum tok_kind)iv;
			break;
		case T_FORMAT:
			if (iv >= FORMAT__MAX)
				return -1;
			r->format = (enum tok_format)iv;
			break;
		case T_GRACE_UNTIL:
			r->grace_until = (int64_t)iv;
			break;
		case T_ROTATED_AT:
			r->rotated_at = (int64_t)iv;
			break;
		case T_ROTATIONS:
			r->rotations = (int64_t)iv;
			break;
		case T_USE_COUNT:
			r->use_count = (int64_t)iv;
			break;
		case T_GRANT_EXPIRES:
			r->grant_expires_at = (int64_t)iv;
			break;
		case T_UPDATED_AT:
			r->updated_at = (int64_t)iv;
			break;
		case T_GRANT_USES:
			r->grant_uses = (int64_t)iv;
			break;
		}
	}
	return 0;
}

static void
audit_encode(const struct audit_ev *ev, struct buf *b)
{
	buf_reset(b);
	buf_putc(b, AUDIT_VERSION);
	put_int(b, A_AT, (uint64_t)ev->at);
	if (ev->event != NULL)
		put_field(b, A_EVENT, ev->event, strlen(ev->event));
	if (ev->actor != NULL)
		put_field(b, A_ACTOR, ev->actor, UUID_LEN);
	if (ev->target != NULL)
		put_field(b, A_TARGET, ev->target, UUID_LEN);
	if (ev->organization != NULL && *ev->organization != '\0')
		put_field(b, A_ORGANIZATION, ev->organization,
		    strlen(ev->organization));
	if (ev->address != NULL && *ev->address != '\0')
		put_field(b, A_ADDRESS, ev->address, strlen(ev->address));
	if (ev->detail != NULL && *ev->detail != '\0')
		put_field(b, A_DETAIL, ev->detail, strlen(ev->detail));
}

/* ---- environment ---- */

static void
errcall(const DB_ENV *env, const char *pfx, const char *msg)
{
	(void)env;
	(void)pfx;
	fprintf(stderr, "keyhole[%ld]: store: %s\n", (long)getpid(), msg);
}

static void
notify(DB_ENV *env, u_int32_t event, void *info)
{
	struct store	*st = env->app_private;

	(void)info;
	if (event == DB_EVENT_PANIC && st != NULL)
		st->dead = 1;
}

/* A process we may not signal is still alive (EPERM): never reclaim it. */
static pid_t	 self;	/* getpid() is a system call; Berkeley DB asks on every call */

static int
is_alive(DB_ENV *env, pid_t pid, db_threadid_t tid, u_int32_t flags)
{
	(void)env;
	(void)tid;
	(void)flags;
	return kill(pid, 0) == 0 || errno == EPERM;
}

static void
thread_id(DB_ENV *env, pid_t *pid, db_threadid_t *tid)
{
	(void)env;
	*pid = self;
	if (tid != NULL)
		*tid = pthread_self();
}

/*
 * A process that waits inside Berkeley DB this long is most likely blocked
 * on a mutex a killed process held: only a recovery frees it, and the next
 * open runs one.  So end this process; the web server starts another.
 */
static void
watchdog(int sig)
{
	static const char msg[] =
	    "keyhole: store call timed out (watchdog), exiting\n";
	struct stat	 sb;
	int		 fd, saved = errno;

	(void)sig;
	/*
	 * failchk cannot free a mutex a killed process held, so ask the next
	 * opener for a full recovery -- unless one already replaced the
	 * environment this process was stuck in (a new region file).
	 */
	if (wd_ino == 0 || (stat(wd_region, &sb) == 0 && sb.st_ino == wd_ino)) {
		fd = open(wd_mark, O_WRONLY | O_CREAT | O_CLOEXEC, 0660);
		if (fd != -1)
			close(fd);
	}
	(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	errno = saved;
	_exit(75);
}

/* Finds field tag of an encoded record without decoding it all. */
static const unsigned char *
rec_field(const DBT *data, int tag, size_t *len)
{
	const unsigned char	*p = data->data, *end = p + data->size;
	uint64_t		 n;
	int			 t;

	if (data->size < 1 + TOK_HASH_LEN)
		return NULL;
	p += 1 + TOK_HASH_LEN;
	while (p < end) {
		t = *p++;
		if (get_varint(&p, end, &n) == -1 || n > (uint64_t)(end - p))
			return NULL;
		if (t == tag) {
			*len = (size_t)n;
			return p;
		}
		p += n;
	}
	return NULL;
}

/*
 * The current hash, at its fixed offset; during a rotation's grace also
 * the previous one, so both secrets find the record in one lookup.
 */
static int
hash_of(DB *sec, const DBT *key, const DBT *data, DBT *result)
{
	const unsigned char	*prev;
	DBT			*keys;
	size_t			 n;

	(void)sec;
	(void)key;
	if (data->size < 1 + TOK_HASH_LEN)
		return DB_DONOTINDEX;
	memset(result, 0, sizeof(*result));
	prev = rec_field(data, T_PREV_HASH, &n);
	if (prev == NULL || n != TOK_HASH_LEN) {
		result->data = (unsigned char *)data->data + 1;
		result->size = TOK_HASH_LEN;
		return 0;
	}
	if ((keys = calloc(2, sizeof(*keys))) == NULL)
		return ENOMEM;
	keys[0].data = (unsigned char *)data->data + 1;
	keys[0].size = TOK_HASH_LEN;
	keys[1].data = (void *)prev;
	keys[1].size = TOK_HASH_LEN;
	result->data = keys;
	result->size = 2;
	result->flags = DB_DBT_MULTIPLE | DB_DBT_APPMALLOC;
	return 0;
}

/* The minter's id: the children of a token, for cascade revocation. */
static int
parent_of(DB *sec, const DBT *key, const DBT *data, DBT *result)
{
	const unsigned char	*p;
	size_t			 n;

	(void)sec;
	(void)key;
	if ((p = rec_field(data, T_CREATED_BY, &n)) == NULL || n != UUID_LEN)
		return DB_DONOTINDEX;
	memset(result, 0, sizeof(*result));
	result->data = (void *)p;
	result->size = UUID_LEN;
	return 0;
}

/* One list key: kind, one or two strings, each ended by NUL, then the id. */
static int
list_key(DBT *k, int kind, const char *a, size_t alen, const char *b,
    size_t blen, const void *id)
{
	unsigned char	*p;
	size_t		 n = 1 + alen + 1 + (b != NULL ? blen + 1 : 0);

	if ((p = malloc(n + UUID_LEN)) == NULL)
		return ENOMEM;
	p[0] = (unsigned char)kind;
	memcpy(p + 1, a, alen);
	p[1 + alen] = '\0';
	if (b != NULL) {
		memcpy(p + 2 + alen, b, blen);
		p[2 + alen + blen] = '\0';
	}
	memcpy(p + n, id, UUID_LEN);
	memset(k, 0, sizeof(*k));
	k->data = p;
	k->size = (u_int32_t)(n + UUID_LEN);
	k->flags = DB_DBT_APPMALLOC;
	return 0;
}

/*
 * The lists a token is in (schema/storage.md, tokens-list.db): its
 * organization's, each entity's it acts or is bound in, its subject's,
 * and its subject's under its name.  A revoked token is in none, so a
 * list's count is of the tokens not revoked.
 */
static int
list_keys(DB *sec, const DBT *key, const DBT *data, DBT *result)
{
	const char	*org, *ent, *bind, *subj, *name, *b, *e, *at;
	size_t		 orglen = 0, entlen, bindlen = 0, subjlen = 0, namelen = 0;
	size_t		 i, j, nents = 0, n = 0;
	const char	*ents[BINDINGS_MAX + 1];
	size_t		 entlens[BINDINGS_MAX + 1];
	DBT		*keys;
	int		 rc = 0;

	(void)sec;
	if (key->size != UUID_LEN || rec_field(data, T_REVOKED_AT, &i) != NULL)
		return DB_DONOTINDEX;
	if ((org = (const char *)rec_field(data, T_ORGANIZATION, &orglen)) == NULL)
		org = "";
	if ((ent = (const char *)rec_field(data, T_ENTITY, &entlen)) != NULL &&
	    !(entlen == sizeof(ENTITY_ORG) - 1 &&
	    memcmp(ent, ENTITY_ORG, entlen) == 0)) {
		ents[nents] = ent;
		entlens[nents++] = entlen;
	}
	if ((bind = (const char *)rec_field(data, T_BINDINGS, &bindlen)) == NULL)
		bindlen = 0;
	for (b = bind; bindlen > 0 && b < bind + bindlen; b = e + 1) {
		e = memchr(b, ' ', (size_t)(bind + bindlen - b));
		if (e == NULL)
			e = bind + bindlen;
		if ((at = memchr(b, '@', (size_t)(e - b))) == NULL)
			continue;
		at++;
		if ((size_t)(e - at) == sizeof(ENTITY_ORG) - 1 &&
		    memcmp(at, ENTITY_ORG, (size_t)(e - at)) == 0)
			continue;
		for (j = 0; j < nents; j++)
			if (entlens[j] == (size_t)(e - at) &&
			    memcmp(ents[j], at, entlens[j]) == 0)
				break;
		if (j == nents && nents < BINDINGS_MAX + 1) {
			ents[nents] = at;
			entlens[nents++] = (size_t)(e - at);
		}
	}
	subj = (const char *)rec_field(data, T_SUBJECT, &subjlen);
	name = (const char *)rec_field(data, T_NAME, &namelen);

	if ((keys = calloc(nents + 4, sizeof(*keys))) == NULL)
		return ENOMEM;
	rc = list_key(&keys[n++], LIST_ORG, org, orglen, NULL, 0, key->data);
	if (rc == 0 && (ent == NULL || nents == 0 || ents[0] != ent))
		rc = list_key(&keys[n++], LIST_ORG_LEVEL, org, orglen, NULL, 0,
		    key->data);
	for (j = 0; rc == 0 && j < nents; j++)
		rc = list_key(&keys[n++], LIST_ENTITY, org, orglen, ents[j],
		    entlens[j], key->data);
	if (rc == 0 && subj != NULL && subjlen > 0) {
		rc = list_key(&keys[n++], LIST_SUBJECT, subj, subjlen, NULL, 0,
		    key->data);
		if (rc == 0 && name != NULL && namelen > 0)
			rc = list_key(&keys[n++], LIST_NAME, subj, subjlen, name,
			    namelen, key->data);
	}
	if (rc != 0) {
		for (i = 0; i < n; i++)
			free(keys[i].data);
		free(keys);
		return rc;
	}
	memset(result, 0, sizeof(*result));
	result->data = keys;
	result->size = (u_int32_t)n;
	result->flags = DB_DBT_MULTIPLE | DB_DBT_APPMALLOC;
	return 0;
}

/*
 * The list index: a counted B-tree (DB_RECNUM), so a list's size and a
 * page at any offset cost a descent each.  A store made before it gets
 * it built here, once, in one transaction (associate's DB_CREATE fills
 * an empty index from the tokens).  A second handle on the same file,
 * not associated, reads keys and their record numbers.
 */
static int
lists_open(struct store *st)
{
	DB_TXN	*txn = NULL;
	int	 rc;

	if ((rc = db_create(&st->bylist, st->env, 0)) != 0 ||
	    (rc = st->bylist->set_flags(st->bylist, DB_RECNUM)) != 0 ||
	    (rc = st->bylist->open(st->bylist, NULL, "tokens-list.db", NULL,
	    DB_BTREE, DB_AUTO_COMMIT | DB_CREATE, 0660)) != 0 ||
	    (rc = st->env->txn_begin(st->env, NULL, &txn, 0)) != 0)
		return rc;
	if ((rc = st->tokens->associate(st->tokens, txn, st->bylist, list_keys,
	    DB_CREATE)) != 0) {
		txn->abort(txn);
		return rc;
	}
	if ((rc = txn->commit(txn, 0)) != 0)
		return rc;
	if ((rc = db_create(&st->lists, st->env, 0)) != 0 ||
	    (rc = st->lists->set_flags(st->lists, DB_RECNUM)) != 0 ||
	    (rc = st->lists->open(st->lists, NULL, "tokens-list.db", NULL,
	    DB_BTREE, DB_AUTO_COMMIT, 0660)) != 0)
		return rc;
	return 0;
}

static int
key_load(struct store *st, const char *home, int create, char *err, size_t errsz)
{
	char	 path[4096];
	unsigned char	 extra;
	struct stat	 sb, hb;
	ssize_t	 n;
	int	 fd, rc = -1;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", home, KEYFILE) >=
	    sizeof(path)) {
		snprintf(err, errsz, "store path too long");
		return -1;
	}
	if (create) {
		randombytes_buf(st->key, sizeof(st->key));
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0640);
		if (fd == -1) {
			snprintf(err, errsz, "%s: %s", path, strerror(errno));
			return -1;
		}
		if (write(fd, st->key, sizeof(st->key)) == (ssize_t)sizeof(st->key) &&
		    fsync(fd) == 0)
			rc = 0;
		else
			snprintf(err, errsz, "%s: write failed", path);
		close(fd);
		return rc;
	}
	/*
	 * Not through a link, not a FIFO that would block, and only a key
	 * nobody but its owner can have replaced: whoever can write it
	 * chooses the hash of every secret.
	 */
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) ==
	    -1) {
		snprintf(err, errsz, "%s: %s", path, errno == ELOOP ?
		    "a symbolic link, refused" : strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) == -1) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(sb.st_mode) || (sb.st_mode & 022) != 0 ||
	    (sb.st_uid != geteuid() && sb.st_uid != 0 &&
	    (stat(home, &hb) == -1 || sb.st_uid != hb.st_uid))) {
		snprintf(err, errsz, "%s: %s, refused", path,
		    !S_ISREG(sb.st_mode) ? "not a regular file" :
		    (sb.st_mode & 022) != 0 ?
		    "writable by group or others (chmod 640)" :
		    "owned by neither this user, root nor the store's owner");
		close(fd);
		return -1;
	}
	n = read(fd, st->key, sizeof(st->key));
	if (n == (ssize_t)sizeof(st->key) && read(fd, &extra, 1) != 0)
		n = -1;		/* longer than a key: not ours */
	close(fd);
	if (n != (ssize_t)sizeof(st->key)) {
		snprintf(err, errsz, "%s: not a %zu-byte key", path, sizeof(st->key));
		return -1;
	}
	return 0;
}

/*
 * Joins the environment in st->home and opens the databases: the
 * multi-process recipe of schema/storage.md (register, failchk, recover on open,
 * lock timeouts, a bounded stay inside the library).
 */
static int
env_open(struct store *st, int create, char *err, size_t errsz)
{
	DB_ENV		*env;
	struct stat	 sb;
	const char	*sync;
	u_int32_t	 flags, dbflags;
	int		 rc;

	st->env = NULL;
	st->tokens = st->byhash = st->byparent = st->audit = NULL;
	st->bylist = st->lists = NULL;
	self = getpid();
	if ((rc = db_env_create(&env, 0)) != 0) {
		snprintf(err, errsz, "db_env_create: %s", db_strerror(rc));
		return -1;
	}
	st->env = env;
	env->app_private = st;
	env->set_errcall(env, errcall);
	env->set_event_notify(env, notify);
	env->set_thread_count(env, THREADS);
	env->set_isalive(env, is_alive);
	env->set_thread_id(env, thread_id);
	env->set_lk_detect(env, DB_LOCK_DEFAULT);
	env->set_timeout(env, LOCK_TIMEOUT_US, DB_SET_LOCK_TIMEOUT);
	env->set_cachesize(env, 0,
	    (u_int32_t)json_int_env("KEYHOLE_CACHE_MB", 1, 4096,
	    CACHE_MB) << 20, 1);
	env->set_lk_max_lockers(env, 4000);
	env->set_lk_max_locks(env, 20000);
	env->set_lk_max_objects(env, 20000);
	env->set_tx_max(env, 1000);
	env->log_set_config(env, DB_LOG_AUTO_REMOVE, 1);
	/*
	 * Durable against a crash of any process: the log reaches the OS at
	 * commit.  KEYHOLE_SYNC=full also forces it to disk (OS crashes).
	 */
	sync = getenv("KEYHOLE_SYNC");
	if (sync == NULL || strcmp(sync, "full") != 0)
		env->set_flags(env, DB_TXN_WRITE_NOSYNC, 1);

	/*
	 * A process that died inside the library is cleaned up by failchk;
	 * once the watchdog has said failchk cannot (a mutex held by the
	 * dead), leave it out, so that DB_REGISTER runs a full recovery.
	 */
	flags = DB_CREATE | DB_INIT_LOCK | DB_INIT_LOG | DB_INIT_MPOOL |
	    DB_INIT_TXN | DB_REGISTER | DB_RECOVER;
	if (access(wd_mark, F_OK) == -1)
		flags |= DB_FAILCHK;
	alarm(OPEN_WATCHDOG_SECS);
	rc = env->open(env, st->home, flags, 0660);
	if (rc != 0) {
		alarm(0);
		snprintf(err, errsz, "opening environment %s: %s", st->home,
		    db_strerror(rc));
		return -1;
	}
	if (!(flags & DB_FAILCHK)) {
		unlink(wd_mark);
		fprintf(stderr, "keyhole[%ld]: store recovered after a stuck "
		    "process\n", (long)getpid());
	}
	dbflags = DB_AUTO_COMMIT | (create ? DB_CREATE | DB_EXCL : 0);
	if ((rc = db_create(&st->tokens, env, 0)) != 0 ||
	    (rc = st->tokens->open(st->tokens, NULL, "tokens.db", NULL,
	    DB_BTREE, dbflags, 0660)) != 0 ||
	    (rc = db_create(&st->byhash, env, 0)) != 0 ||
	    (rc = st->byhash->open(st->byhash, NULL, "tokens-hash.db", NULL,
	    DB_BTREE, dbflags, 0660)) != 0 ||
	    (rc = st->tokens->associate(st->tokens, NULL, st->byhash, hash_of,
	    0)) != 0 ||
	    (rc = db_create(&st->byparent, env, 0)) != 0 ||
	    (rc = st->byparent->set_flags(st->byparent, DB_DUP | DB_DUPSORT)) != 0 ||
	    (rc = st->byparent->open(st->byparent, NULL, "tokens-parent.db",
	    NULL, DB_BTREE, dbflags, 0660)) != 0 ||
	    (rc = st->tokens->associate(st->tokens, NULL, st->byparent,
	    parent_of, 0)) != 0 ||
	    (rc = db_create(&st->audit, env, 0)) != 0 ||
	    (rc = st->audit->open(st->audit, NULL, "audit.db", NULL,
	    DB_BTREE, dbflags, 0660)) != 0 ||
	    (rc = lists_open(st)) != 0) {
		alarm(0);
		snprintf(err, errsz, "opening databases in %s: %s", st->home,
		    rc == ENOENT ? "no store here (run keyholectl init)" :
		    db_strerror(rc));
		return -1;
	}
	alarm(0);
	wd_ino = stat(wd_region, &sb) == 0 ? sb.st_ino : 0;
	return 0;
}

/*
 * Another process ran recovery: this process's handles point into the
 * old, panicked environment.  Leave them (closing could block on the dead
 * process's mutexes) and join the recovered one.
 */
static int
env_reopen(struct store *st)
{
	char	 err[256];

	if (st->env != NULL)
		st->env->app_private = NULL;
	st->dead = 0;
	if (env_open(st, 0, err, sizeof(err)) == -1) {
		fprintf(stderr, "keyhole[%ld]: %s\n", (long)getpid(), err);
		st->dead = 1;
		return -1;
	}
	st->reopened = 1;
	return 0;
}

enum store_err
store_open(struct store **stp, const char *home, int create, char *err,
    size_t errsz)
{
	struct store		*st;
	struct sigaction	 sa;

	*stp = NULL;
	snprintf(err, errsz, "unknown error");
	/* Files this process creates must be usable by the web server's group. */
	umask(007);
	if (sodium_init() < 0) {
		snprintf(err, errsz, "libsodium failed to initialise");
		return STORE_FATAL;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = watchdog;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);

	if ((st = calloc(1, sizeof(*st))) == NULL ||
	    (st->home = strdup(home)) == NULL)
		abort();
	if ((size_t)snprintf(wd_mark, sizeof(wd_mark), "%s/%s", home,
	    RECOVER_MARK) >= sizeof(wd_mark) ||
	    (size_t)snprintf(wd_region, sizeof(wd_region), "%s/%s", home,
	    REGION_FILE) >= sizeof(wd_region)) {
		snprintf(err, errsz, "store path too long");
		free(st->home);
		free(st);
		return STORE_FATAL;
	}
	if (key_load(st, home, create, err, errsz) == -1 ||
	    env_open(st, create, err, errsz) == -1) {
		store_close(st);
		return STORE_FATAL;
	}
	st->last_maint = time(NULL);
	*stp = st;
	return STORE_OK;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	/*
	 * After a panic, closing may block on dead mutexes: leave it to exit.
	 * Closing can also block on a mutex a killed process held: the
	 * watchdog bounds it like any other call.
	 */
	if (!st->dead) {
		alarm(WATCHDOG_SECS);
		/*
		 * DB_NOSYNC: the log holds every commit and checkpoints flush
		 * the files; syncing them at every close would cost each plain
		 * CGI request three disk flushes.
		 */
		if (st->audit != NULL)
			st->audit->close(st->audit, DB_NOSYNC);
		if (st->byhash != NULL)
			st->byhash->close(st->byhash, DB_NOSYNC);
		if (st->byparent != NULL)
			st->byparent->close(st->byparent, DB_NOSYNC);
		if (st->lists != NULL)
			st->lists->close(st->lists, DB_NOSYNC);
		if (st->bylist != NULL)
			st->bylist->close(st->bylist, DB_NOSYNC);
		if (st->tokens != NULL)
			st->tokens->close(st->tokens, DB_NOSYNC);
		if (st->env != NULL)
			st->env->close(st->env, 0);
		alarm(0);
	}
	sodium_memzero(st->key, sizeof(st->key));
	free(st->home);
	free(st);
}

const char *
store_home(const struct store *st)
{
	return st->home;
}

const unsigned char *
store_hashkey(const struct store *st)
{
	return st->key;
}

int
store_dead(const struct store *st)
{
	return st->dead;
}

int
store_reopened(const struct store *st)
{
	return st->reopened;
}

/* Has another process panicked the environment (to recover it)? */
static int
panicked(struct store *st)
{
	u_int32_t	 id;
	int		 rc;

	rc = st->env->lock_id(st->env, &id);
	if (rc == 0)
		st->env->lock_id_free(st->env, id);
	return rc == DB_RUNRECOVERY;
}

static enum store_err
map_err(struct store *st, int rc)
{
	switch (rc) {
	case 0:
		return STORE_OK;
	case DB_NOTFOUND:
	case DB_KEYEMPTY:
		return STORE_NOTFOUND;
	case DB_KEYEXIST:
		return STORE_EXISTS;
	case DB_LOCK_DEADLOCK:
	case DB_LOCK_NOTGRANTED:
		return STORE_BUSY;
	case EINVAL:
		return STORE_CORRUPT;
	default:
		/* DB_RUNRECOVERY and anything unexpected: start afresh. */
		fprintf(stderr, "keyhole[%ld]: store: %s\n", (long)getpid(),
		    db_strerror(rc));
		st->dead = 1;
		return STORE_FATAL;
	}
}

enum store_err
store_maintain(struct store *st)
{
	time_t	 now = time(NULL);
	int	 rc;

	if (st->dead)
		return STORE_FATAL;
	if (now == st->last_maint)
		return STORE_OK;
	st->last_maint = now;
	alarm(WATCHDOG_SECS);
	/* Abort what dead processes left, and expire timed-out lock waits. */
	rc = st->env->failchk(st->env, 0);
	if (rc == 0)
		rc = st->env->lock_detect(st->env, 0, DB_LOCK_EXPIRE, NULL);
	alarm(0);
	if (rc == DB_RUNRECOVERY && env_reopen(st) == 0)
		return STORE_OK;
	return map_err(st, rc);
}

enum store_err
store_checkpoint(struct store *st)
{
	int	 rc;

	rc = st->env->txn_checkpoint(st->env, 0, 0, DB_FORCE);
	if (rc == 0)
		rc = st->env->log_archive(st->env, NULL, DB_ARCH_REMOVE);
	return map_err(st, rc);
}

/*
 * Runs fn in a transaction (or, for plain reads, without one), retrying
 * deadlocks and lock timeouts with jitter.  fn returns a Berkeley DB code.
 */
/*
 * A bulk load (one process, nothing else writing) puts many writes in one
 * transaction; a failure loses the open batch and ends the load.
 */
static int
run_bulk(struct store *st, txn_fn fn, void *arg)
{
	int	 rc;

	if (st->bulk_txn == NULL &&
	    (rc = st->env->txn_begin(st->env, NULL, &st->bulk_txn, 0)) != 0) {
		st->bulk_txn = NULL;
		return rc;
	}
	if ((rc = fn(st, st->bulk_txn, arg)) != 0) {
		st->bulk_txn->abort(st->bulk_txn);
		st->bulk_txn = NULL;
		return rc;
	}
	if (++st->bulk_n % BULK_BATCH == 0) {
		rc = st->bulk_txn->commit(st->bulk_txn, 0);
		st->bulk_txn = NULL;
	}
	return rc;
}

#define RUN_READ	0
#define RUN_WRITE	1
#define RUN_LAZY	2	/* a write whose commit need not wait for the disk */

static enum store_err
run(struct store *st, txn_fn fn, void *arg, int write)
{
	DB_TXN	*txn;
	int	 rc = 0, try, committed = 0, reopened = 0;

	if (st->dead)
		return STORE_FATAL;
	if (write && st->bulk)
		return map_err(st, run_bulk(st, fn, arg));
	for (try = 0; try < RETRIES; try++) {
		if (try > 0)
			usleep(1000 * (1 + randombytes_uniform(4u << try)));
		txn = NULL;
		alarm(WATCHDOG_SECS);
		if (write) {
			rc = st->env->txn_begin(st->env, NULL, &txn, 0);
			if (rc == 0) {
				rc = fn(st, txn, arg);
				if (rc == 0) {
					rc = txn->commit(txn, write == RUN_LAZY ?
					    DB_TXN_WRITE_NOSYNC : 0);
					/*
					 * Recovery by another process starts only
					 * after it panics the environment; so if no
					 * panic is seen after the commit, the commit
					 * is in the log recovery will read.  Else it
					 * may not be: do not acknowledge it.
					 */
					if (rc == 0 && panicked(st)) {
						committed = 1;
						rc = DB_RUNRECOVERY;
					}
				} else
					txn->abort(txn);
			}
		} else
			rc = fn(st, NULL, arg);
		alarm(0);
		/* Nothing was committed: join the recovered environment and redo. */
		if (rc == DB_RUNRECOVERY && !committed && !reopened) {
			reopened = 1;
			if (env_reopen(st) == 0) {
				try--;
				continue;
			}
		}
		if (rc != DB_LOCK_DEADLOCK && rc != DB_LOCK_NOTGRANTED)
			break;
	}
	if (rc == 0 && write && !st->bulk) {
		/* A threshold checkpoint keeps recovery after a crash short. */
		alarm(WATCHDOG_SECS);
		(void)st->env->txn_checkpoint(st->env, 1024, 5, 0);
		alarm(0);
	}
	return map_err(st, rc);
}

/* Closes a cursor at the end of a walk: its error, or the close's. */
static int
cursor_end(DBC *c, int rc)
{
	int	 crc = c->close(c);

	if (rc == DB_NOTFOUND)
		rc = 0;
	return rc != 0 ? rc : crc;
}

static void
dbt_set(DBT *d, const void *p, size_t n)
{
	memset(d, 0, sizeof(*d));
	d->data = (void *)p;
	d->size = (u_int32_t)n;
}

static int
audit_put(struct store *st, DB_TXN *txn, const struct audit_ev *ev)
{
	unsigned char	 id[UUID_LEN];
	struct buf	 b = BUF_INIT;
	DBT		 k, d;
	int		 rc;

	uuid7_generate(id);
	audit_encode(ev, &b);
	dbt_set(&k, id, sizeof(id));
	dbt_set(&d, b.ptr, b.len);
	rc = st->audit->put(st->audit, txn, &k, &d, DB_NOOVERWRITE);
	buf_free(&b);
	return rc;
}

struct insert_arg {
	const struct tok_rec	*rec;
	const struct audit_ev	*ev;
	struct buf		 enc;
	store_modify_fn		 guard;
	void			*guardarg;
	struct tok_rec		 parent;
	struct buf		 penc;
};

static int	 modify_one(struct store *, DB_TXN *, const unsigned char *,
		    store_modify_fn, void *, const struct audit_ev *,
		    struct tok_rec *, struct buf *, int *);

static int
insert_fn(struct store *st, DB_TXN *txn, void *arg)
{
	struct insert_arg	*a = arg;
	DBT			 k, d;
	int			 rc;

	/* The index refuses a second equal hash with EINVAL; say "exists". */
	dbt_set(&k, a->rec->hash, TOK_HASH_LEN);
	dbt_set(&d, NULL, 0);
	d.flags = DB_DBT_PARTIAL;	/* existence only */
	rc = st->byhash->get(st->byhash, txn, &k, &d, DB_RMW);
	if (rc == 0)
		return DB_KEYEXIST;
	if (rc != DB_NOTFOUND)
		return rc;
	if (a->guard != NULL) {
		int	 verdict;

		rc = modify_one(st, txn, a->rec->created_by, a->guard,
		    a->guardarg, NULL, &a->parent, &a->penc, &verdict);
		if (rc != 0 || verdict == -1)
			return rc;
	}
	dbt_set(&k, a->rec->id, UUID_LEN);
	dbt_set(&d, a->enc.ptr, a->enc.len);
	rc = st->tokens->put(st->tokens, txn, &k, &d, DB_NOOVERWRITE);
	if (rc == 0 && a->ev != NULL)
		rc = audit_put(st, txn, a->ev);
	return rc;
}

enum store_err
store_insert(struct store *st, const struct tok_rec *rec,
    const struct audit_ev *ev, store_modify_fn guard, void *guardarg)
{
	struct insert_arg	 a;
	enum store_err		 e;

	a.rec = rec;
	a.ev = ev;
	a.guard = guard;
	a.guardarg = guardarg;
	buf_init(&a.enc);
	buf_init(&a.penc);
	tok_rec_init(&a.parent);
	rec_encode(rec, &a.enc);
	e = run(st, insert_fn, &a, RUN_WRITE);
	buf_free(&a.enc);
	buf_free(&a.penc);
	tok_rec_free(&a.parent);
	return e;
}

struct get_arg {
	const unsigned char	*key;
	struct tok_rec		*rec;
	int			 corrupt;
};

static int
get_fn(struct store *st, DB_TXN *txn, void *arg)
{
	struct get_arg	*a = arg;
	DBT		 k, d;
	int		 rc;

	dbt_set(&k, a->key, UUID_LEN);
	dbt_set(&d, NULL, 0);
	if ((rc = st->tokens->get(st->tokens, txn, &k, &d, 0)) != 0)
		return rc;
	memcpy(a->rec->id, a->key, UUID_LEN);
	a->corrupt = rec_decode(d.data, d.size, a->rec) == -1;
	return 0;
}

enum store_err
store_get(struct store *st, const unsigned char id[UUID_LEN],
    struct tok_rec *rec)
{
	struct get_arg	 a = { id, rec, 0 };
	enum store_err	 e;

	e = run(st, get_fn, &a, 0);
	return e == STORE_OK && a.corrupt ? STORE_CORRUPT : e;
}

static int
get_hash_fn(struct store *st, DB_TXN *txn, void *arg)
{
	struct get_arg	*a = arg;
	DBT		 k, pk, d;
	int		 rc;

	dbt_set(&k, a->key, TOK_HASH_LEN);
	dbt_set(&pk, NULL, 0);
	dbt_set(&d, NULL, 0);
	rc = st->byhash->pget(st->byhash, txn, &k, &pk, &d, 0);
	if (rc != 0)
		return rc;
	if (pk.size != UUID_LEN) {
		a->corrupt = 1;
		return 0;
	}
	memcpy(a->rec->id, pk.data, UUID_LEN);
	a->corrupt = rec_decode(d.data, d.size, a->rec) == -1;
	return 0;
}

enum store_err
store_get_by_hash(struct store *st, const unsigned char hash[TOK_HASH_LEN],
    struct tok_rec *rec)
{
	struct get_arg	 a = { hash, rec, 0 };
	enum store_err	 e;

	e = run(st, get_hash_fn, &a, 0);
	if (e == STORE_OK && a.corrupt)
		return STORE_CORRUPT;
	/* The index is exact; the compare guards against a damaged one. */
	if (e == STORE_OK && !tok_hash_eq(rec->hash, hash) &&
	    !(rec->has_prev && tok_hash_eq(rec->prev_hash, hash)))
		return STORE_NOTFOUND;
	return e;
}

/*
 * Reads id under a write lock, lets fn change it, writes it back (and
 * the audit entry, its target set to id) when fn says so.  *verdict is
 * fn's answer.  An unknown id is DB_NOTFOUND.
 */
static int
modify_one(struct store *st, DB_TXN *txn, const unsigned char *id,
    store_modify_fn fn, void *fnarg, const struct audit_ev *ev,
    struct tok_rec *rec, struct buf *enc, int *verdict)
{
	struct audit_ev	 e;
	DBT		 k, d;
	int		 rc;

	*verdict = 0;
	dbt_set(&k, id, UUID_LEN);
	dbt_set(&d, NULL, 0);
	/* DB_RMW: take the write lock now, so two updaters cannot deadlock. */
	if ((rc = st->tokens->get(st->tokens, txn, &k, &d, DB_RMW)) != 0)
		return rc;
	memcpy(rec->id, id, UUID_LEN);
	if (rec_decode(d.data, d.size, rec) == -1)
		return EINVAL;
	if ((*verdict = fn(rec, fnarg)) != 1)
		return 0;
	rec_encode(rec, enc);
	dbt_set(&d, enc->ptr, enc->len);
	if ((rc = st->tokens->put(st->tokens, txn, &k, &d, 0)) != 0)
		return rc;
	if (ev == NULL)
		return 0;
	e = *ev;
	e.target = id;
	if (e.organization == NULL)
		e.organization = buf_cstr(&rec->organization);
	return audit_put(st, txn, &e);
}

struct modify_arg {
	const unsigned char	*ids;
	size_t			 n;
	store_modify_fn		 fn;
	void			*fnarg;
	const struct audit_ev	*ev;
	const struct store_guard *guard;
	int			 skip_unknown;
	struct tok_rec		 rec;
	struct buf		 enc;
};

static int
modify_fn(struct store *st, DB_TXN *txn, void *arg)
{
	struct modify_arg	*a = arg;
	size_t			 i;
	int			 rc, verdict;

	if (a->guard != NULL) {
		rc = modify_one(st, txn, a->guard->id, a->guard->fn,
		    a->guard->arg, NULL, &a->rec, &a->enc, &verdict);
		if (rc != 0 || verdict == -1)
			return rc;
	}
	for (i = 0; i < a->n; i++) {
		rc = modify_one(st, txn, a->ids + i * UUID_LEN, a->fn, a->fnarg,
		    a->ev, &a->rec, &a->enc, &verdict);
		if (rc == DB_NOTFOUND && a->skip_unknown)
			continue;
		if (rc != 0)
			return rc;
	}
	return 0;
}

static enum store_err
modify(struct store *st, const unsigned char *ids, size_t n, int many,
    store_modify_fn fn, void *fnarg, const struct audit_ev *ev,
    const struct store_guard *guard, int how)
{
	struct modify_arg	 a;
	enum store_err		 e;

	a.guard = guard;
	a.ids = ids;
	a.n = n;
	a.fn = fn;
	a.fnarg = fnarg;
	a.ev = ev;
	a.skip_unknown = many;
	tok_rec_init(&a.rec);
	buf_init(&a.enc);
	e = run(st, modify_fn, &a, how);
	tok_rec_free(&a.rec);
	buf_free(&a.enc);
	return e;
}

enum store_err
store_modify(struct store *st, const unsigned char id[UUID_LEN],
    store_modify_fn fn, void *fnarg, const struct audit_ev *ev, int flags)
{
	return modify(st, id, 1, 0, fn, fnarg, ev, NULL,
	    flags & STORE_LAZY ? RUN_LAZY : RUN_WRITE);
}

enum store_err
store_modify_guarded(struct store *st, const unsigned char id[UUID_LEN],
    store_modify_fn fn, void *fnarg, const struct audit_ev *ev,
    const struct store_guard *guard)
{
	return modify(st, id, 1, 0, fn, fnarg, ev, guard, RUN_WRITE);
}

enum store_err
store_modify_many(struct store *st, const unsigned char *ids, size_t n,
    store_modify_fn fn, void *fnarg, const struct audit_ev *ev)
{
	return modify(st, ids, n, 1, fn, fnarg, ev, NULL, RUN_WRITE);
}

struct delete_arg {
	const unsigned char	*ids;
	size_t			 n;
	const struct audit_ev	*ev;
};

static int
delete_fn(struct store *st, DB_TXN *txn, void *arg)
{
	struct delete_arg	*a = arg;
	struct audit_ev		 e;
	struct buf		 org = BUF_INIT;
	const unsigned char	*o;
	DBT			 k, d;
	size_t			 i, n;
	int			 rc = 0;

	for (i = 0; i < a->n && rc == 0; i++) {
		dbt_set(&k, a->ids + i * UUID_LEN, UUID_LEN);
		dbt_set(&d, NULL, 0);
		/* Read first: the entry keeps the organization, for its readers. */
		rc = st->tokens->get(st->tokens, txn, &k, &d, DB_RMW);
		if (rc == DB_NOTFOUND) {
			rc = 0;
			continue;
		}
		buf_reset(&org);
		if (rc == 0 && (o = rec_field(&d, T_ORGANIZATION, &n)) != NULL)
			buf_append(&org, o, n);
		if (rc == 0)
			rc = st->tokens->del(st->tokens, txn, &k, 0);
		if (rc == 0 && a->ev != NULL) {
			e = *a->ev;
			e.target = a->ids + i * UUID_LEN;
			e.organization = buf_cstr(&org);
			rc = audit_put(st, txn, &e);
		}
	}
	buf_free(&org);
	return rc;
}

enum store_err
store_delete_many(struct store *st, const unsigned char *ids, size_t n,
    const struct audit_ev *ev)
{
	struct delete_arg	 a = { ids, n, ev };

	return run(st, delete_fn, &a, RUN_WRITE);
}

struct children_arg {
	unsigned char		 parent[UUID_LEN];	/* a copy: ids may move */
	struct buf		*ids;
	size_t			 start, max;
	int			 more;
};

static int
children_fn(struct store *st, DB_TXN *txn, void *arg)
{
	struct children_arg	*a = arg;
	DBC			*c;
	DBT			 k, pk, d;
	u_int32_t		 op = DB_SET;
	int			 rc;

	buf_truncate(a->ids, a->start);	/* a retry starts over */
	a->more = 0;
	if ((rc = st->byparent->cursor(st->byparent, txn, &c, 0)) != 0)
		return rc;
	dbt_set(&k, a->parent, UUID_LEN);
	dbt_set(&pk, NULL, 0);
	dbt_set(&d, NULL, 0);
	d.flags = DB_DBT_PARTIAL;	/* the primary keys only */
	while ((rc = c->pget(c, &k, &pk, &d, op)) == 0) {
		op = DB_NEXT_DUP;
		if (pk.size != UUID_LEN)
			continue;
		if (a->ids->len / UUID_LEN >= a->max) {
			a->more = 1;
			break;
		}
		buf_append(a->ids, pk.data, UUID_LEN);
	}
	return cursor_end(c, rc);
}

enum store_err
store_children(struct store *st, const unsigned char parent[UUID_LEN],
    struct buf *ids, size_t max, int *more)
{
	struct children_arg	 a;
	enum store_err		 e;

	memcpy(a.parent, parent, UUID_LEN);
	a.ids = ids;
	a.start = ids->len;
	a.max = max;
	a.more = 0;
	e = run(st, children_fn, &a, RUN_READ);
	*more = a.more;
	return e;
}

struct list_arg {
	const unsigned char	*after;
	store_match_fn		 match;
	void			*matcharg;
	struct tok_rec		*recs;
	size_t			 max, scanmax, n;
	int			 more;
	unsigned char		 last[UUID_LEN];
};

static int
list_fn(struct store *st, DB_TXN *txn, void *arg)
{
	struct list_arg	*a = arg;
	DBC		*c;
	DBT		 k, d;
	size_t		 scanned = 0;
	u_int32_t	 op;
	int		 rc;

	a->n = 0;
	a->more = 0;
	if ((rc = st->tokens->cursor(st->tokens, txn, &c, 0)) != 0)
		return rc;
	dbt_set(&k, a->after, a->after != NULL ? UUID_LEN : 0);
	dbt_set(&d, NULL, 0);
	op = a->after != NULL ? DB_SET_RANGE : DB_FIRST;
	while ((rc = c->get(c, &k, &d, op)) == 0) {
		op = DB_NEXT;
		if (k.size != UUID_LEN)
			continue;
		if (a->after != NULL && memcmp(k.data, a->after, UUID_LEN) == 0)
			continue;
		if (++scanned > a->scanmax) {
			a->more = 1;
			break;
		}
		if (a->n == a->max) {
			/* One past the page: only whether another match exists. */
			struct tok_rec	 t;

			tok_rec_init(&t);
			if (rec_decode(d.data, d.size, &t) == 0 &&
			    (a->match == NULL || a->match(&t, a->matcharg)))
				a->more = 1;
			tok_rec_free(&t);
			if (a->more)
				break;
			continue;
		}
		memcpy(a->last, k.data, UUID_LEN);
		memcpy(a->recs[a->n].id, k.data, UUID_LEN);
		if (rec_decode(d.data, d.size, &a->recs[a->n]) == -1)
			continue;
		if (a->match == NULL || a->match(&a->recs[a->n], a->matcharg))
			a->n++;
	}
	return cursor_end(c, rc);
}

enum store_err
store_list(struct store *st, const unsigned char *after, store_match_fn match,
    void *matcharg, struct tok_rec *recs, size_t max, size_t scanmax,
    size_t *n, int *more, unsigned char last[UUID_LEN])
{
	struct list_arg	 a;
	enum store_err	 e;

	a.after = after;
	a.match = match;
	a.matcharg = matcharg;
	a.recs = recs;
	a.max = max;
	a.scanmax = scanmax;
	a.n = 0;
	a.more = 0;
	memset(a.last, 0, UUID_LEN);
	e = run(st, list_fn, &a, RUN_READ);
	*n = a.n;
	*more = a.more;
	memcpy(last, a.last, UUID_LEN);
	return e;
}

void
store_list_key(struct buf *b, enum list_kind kind, const char *a,
    const char *c)
{
	buf_reset(b);
	buf_putc(b, (char)kind);
	buf_append(b, a, strlen(a) + 1);
	if (c != NULL)
		buf_append(b, c, strlen(c) + 1);
}

struct page_arg {
	const struct buf	*prefix;
	size_t			 offset;
	const unsigned char	*from;
	int			 desc;
	struct tok_rec		*recs;
	size_t			 max, n, total;
	int			 more, corrupt;
};

/*
 * The record number of the first key at or after k (n + 1 past the
 * end); a descent.
 */
static int
recno_at(DBC *c, const void *k, size_t len, db_recno_t *out)
{
	DBT		 kd, d;
	db_recno_t	 rn = 0;
	int		 rc;

	dbt_set(&kd, k, len);
	dbt_set(&d, NULL, 0);
	d.flags = DB_DBT_PARTIAL;	/* the key's position, not its data */
	rc = c->get(c, &kd, &d, DB_SET_RANGE);
	if (rc == DB_NOTFOUND) {
		rc = c->get(c, &kd, &d, DB_LAST);
		if (rc == DB_NOTFOUND) {
			*out = 1;
			return 0;
		}
		if (rc == 0 && (rc = c->get(c, &kd, &d, DB_CURRENT)) == 0) {
			dbt_set(&d, &rn, sizeof(rn));
			d.ulen = sizeof(rn);
			d.flags = DB_DBT_USERMEM;
			if ((rc = c->get(c, &kd, &d, DB_GET_RECNO)) == 0)
				*out = rn + 1;
		}
		return rc;
	}
	if (rc != 0)
		return rc;
	dbt_set(&d, &rn, sizeof(rn));
	d.ulen = sizeof(rn);
	d.flags = DB_DBT_USERMEM;
	if ((rc = c->get(c, &kd, &d, DB_GET_RECNO)) == 0)
		*out = rn;
	return rc;
}

static int
page_fn(struct store *st, DB_TXN *txn, void *arg)
{
	struct page_arg	*a = arg;
	struct buf	 k = BUF_INIT;
	DBC		*c;
	DBT		 kd, d, pd;
	db_recno_t	 first, end, at;
	size_t		 plen = a->prefix->len;
	int		 rc, op;

	a->n = a->total = 0;
	a->more = a->corrupt = 0;
	if ((rc = st->lists->cursor(st->lists, txn, &c, 0)) != 0)
		return rc;
	/* The list is the keys from prefix to prefix with its last NUL as 1. */
	buf_append(&k, a->prefix->ptr, plen);
	rc = recno_at(c, k.ptr, k.len, &first);
	k.ptr[plen - 1] = '\1';
	if (rc == 0)
		rc = recno_at(c, k.ptr, k.len, &end);
	if (rc != 0)
		goto out;
	a->total = end - first;

	/* Where the page starts: an id to go on from, or an offset. */
	if (a->from != NULL) {
		buf_reset(&k);
		buf_append(&k, a->prefix->ptr, plen);
		buf_append(&k, a->from, UUID_LEN);
		if ((rc = recno_at(c, k.ptr, k.len, &at)) != 0)
			goto out;
		/* After it: past it if it is there.  Before it: the one before. */
		if (!a->desc) {
			dbt_set(&kd, NULL, 0);
			dbt_set(&d, NULL, 0);
			d.flags = DB_DBT_PARTIAL;
			if (at < end && c->get(c, &kd, &d, DB_CURRENT) == 0 &&
			    kd.size == k.len && memcmp(kd.data, k.ptr, k.len) == 0)
				at++;
		} else
			at--;
	} else if (!a->desc)
		at = first + (db_recno_t)(a->offset < end - first ? a->offset :
		    end - first);
	else
		at = a->offset < end - first ? end - 1 - (db_recno_t)a->offset :
		    first - 1;
	op = DB_SET_RECNO;
	while (at >= first && at < end) {
		dbt_set(&kd, &at, sizeof(at));
		dbt_set(&d, NULL, 0);
		rc = c->get(c, &kd, &d, op);
		op = a->desc ? DB_PREV : DB_NEXT;
		if (rc != 0 || kd.size != plen + UUID_LEN ||
		    memcmp(kd.data, a->prefix->ptr, plen) != 0)
			break;
		if (a->n == a->max) {
			a->more = 1;
			break;
		}
		/* The record itself, from the tokens. */
		dbt_set(&pd, NULL, 0);
		rc = st->tokens->get(st->tokens, txn, &d, &pd, 0);
		if (rc == DB_NOTFOUND) {	/* gone meanwhile */
			rc = 0;
			at += a->desc ? -1 : 1;
			continue;
		}
		if (rc != 0)
			break;
		memcpy(a->recs[a->n].id, d.data, UUID_LEN);
		if (rec_decode(pd.data, pd.size, &a->recs[a->n]) == -1)
			a->corrupt = 1;
		else
			a->n++;
		at += a->desc ? -1 : 1;
	}
	if (rc == DB_NOTFOUND)
		rc = 0;
out:
	buf_free(&k);
	return cursor_end(c, rc);
}

enum store_err
store_list_page(struct store *st, const struct buf *prefix, size_t offset,
    const unsigned char *from, int desc, struct tok_rec *recs, size_t max,
    size_t *n, size_t *total, int *more)
{
	struct page_arg	 a;
	enum store_err	 e;

	memset(&a, 0, sizeof(a));
	a.prefix = prefix;
	a.offset = offset;
	a.from = from;
	a.desc = desc;
	a.recs = recs;
	a.max = max;
	e = run(st, page_fn, &a, RUN_READ);
	*n = a.n;
	*total = a.total;
	*more = a.more;
	return e == STORE_OK && a.corrupt ? STORE_CORRUPT : e;
}

static int
audit_fn(struct store *st, DB_TXN *txn, void *arg)
{
	return audit_put(st, txn, arg);
}

#define TRIM_BATCH	1000	/* audit entries deleted per transaction */

struct trim_arg {
	uint64_t	 cutoff_ms;
	size_t		 n;
	int		 more;
};

/* Deletes up to a batch of the oldest entries before the cutoff. */
static int
trim_fn(struct store *st, DB_TXN *txn, void *arg)
{
	struct trim_arg	*a = arg;
	DBC		*c;
	DBT		 k, d;
	uint64_t	 ms;
	u_int32_t	 op = DB_FIRST;
	int		 rc, i;

	a->n = 0;
	a->more = 0;
	if ((rc = st->audit->cursor(st->audit, txn, &c, 0)) != 0)
		return rc;
	dbt_set(&k, NULL, 0);
	dbt_set(&d, NULL, 0);
	d.flags = DB_DBT_PARTIAL;	/* the key says when: UUIDv7 */
	while ((rc = c->get(c, &k, &d, op)) == 0) {
		op = DB_NEXT;
		if (k.size != UUID_LEN)
			continue;
		for (ms = 0, i = 0; i < 6; i++)
			ms = ms << 8 | ((const unsigned char *)k.data)[i];
		if (ms >= a->cutoff_ms)
			break;
		if (a->n == TRIM_BATCH) {
			a->more = 1;
			break;
		}
		if ((rc = c->del(c, 0)) != 0)
			break;
		a->n++;
	}
	return cursor_end(c, rc);
}

enum store_err
store_audit_trim(struct store *st, int64_t cutoff, size_t *count)
{
	struct trim_arg	 a;
	enum store_err	 e;

	*count = 0;
	memset(&a, 0, sizeof(a));
	a.cutoff_ms = cutoff > 0 ? (uint64_t)cutoff * 1000 : 0;
	do {
		if ((e = run(st, trim_fn, &a, RUN_WRITE)) != STORE_OK)
			return e;
		*count += a.n;
	} while (a.more);
	return STORE_OK;
}

enum store_err
store_audit(struct store *st, const struct audit_ev *ev)
{
	return run(st, audit_fn, (void *)ev, RUN_WRITE);
}

void
audit_rec_init(struct audit_rec *r)
{
	memset(r, 0, sizeof(*r));
}

void
audit_rec_free(struct audit_rec *r)
{
	buf_free(&r->event);
	buf_free(&r->organization);
	buf_free(&r->address);
	buf_free(&r->detail);
	audit_rec_init(r);
}

static int
audit_decode(const void *data, size_t len, struct audit_rec *r)
{
	const unsigned char	*p = data, *end = p + len, *v;
	uint64_t		 tag, n, iv;
	struct buf		*s;

	buf_reset(&r->event);
	buf_reset(&r->organization);
	buf_reset(&r->address);
	buf_reset(&r->detail);
	r->at = 0;
	r->has_actor = r->has_target = 0;
	if (len < 1 || p[0] != AUDIT_VERSION)
		return -1;
	p++;
	while (p < end) {
		tag = *p++;
		if (get_varint(&p, end, &n) == -1 || n > (uint64_t)(end - p))
			return -1;
		v = p;
		p += n;
		s = NULL;
		switch (tag) {
		case A_AT:
			if (get_varint(&v, v + n, &iv) == -1 || iv > INT64_MAX)
				return -1;
			r->at = (int64_t)iv;
			break;
		case A_ACTOR:
		case A_TARGET:
			if (n != UUID_LEN)
				return -1;
			memcpy(tag == A_ACTOR ? r->actor : r->target, v, UUID_LEN);
			*(tag == A_ACTOR ? &r->has_actor : &r->has_target) = 1;
			break;
		case A_EVENT:
			s = &r->event;
			break;
		case A_ORGANIZATION:
			s = &r->organization;
			break;
		case A_ADDRESS:
			s = &r->address;
			break;
		case A_DETAIL:
			s = &r->detail;
			break;
		default:
			break;	/* a newer writer's field */
		}
		if (s != NULL)
			buf_append(s, v, n);
	}
	return 0;
}

struct audit_list_arg {
	const unsigned char	*after;
	int			 desc;
	audit_match_fn		 match;
	void			*matcharg;
	struct audit_rec	*recs;
	size_t			 max, scanmax, n;
	int			 more;
	unsigned char		 last[UUID_LEN];
};

static int
audit_list_fn(struct store *st, DB_TXN *txn, void *arg)
{
	struct audit_list_arg	*a = arg;
	struct audit_rec	 t;
	DBC			*c;
	DBT			 k, d;
	size_t			 scanned = 0;
	u_int32_t		 op, step = a->desc ? DB_PREV : DB_NEXT;
	int			 rc;

	a->n = 0;
	a->more = 0;
	if ((rc = st->audit->cursor(st->audit, txn, &c, 0)) != 0)
		return rc;
	dbt_set(&k, a->after, a->after != NULL ? UUID_LEN : 0);
	dbt_set(&d, NULL, 0);
	if (a->after == NULL)
		op = a->desc ? DB_LAST : DB_FIRST;
	else {
		/* Position at or past after; going down, step back from there. */
		op = DB_SET_RANGE;
		rc = c->get(c, &k, &d, op);
		if (rc == DB_NOTFOUND && a->desc)
			op = DB_LAST;
		else if (rc == 0 && a->desc)
			op = DB_PREV;
		else if (rc == 0)
			op = DB_CURRENT;
		else
			goto out;
	}
	audit_rec_init(&t);
	while ((rc = c->get(c, &k, &d, op)) == 0) {
		op = step;
		if (k.size != UUID_LEN)
			continue;
		if (a->after != NULL && memcmp(k.data, a->after, UUID_LEN) == 0)
			continue;
		if (++scanned > a->scanmax) {
			a->more = 1;
			break;
		}
		/* Skipped entries are consumed too: the cursor moves past them. */
		if (audit_decode(d.data, d.size, &t) == -1) {
			memcpy(a->last, k.data, UUID_LEN);
			continue;
		}
		memcpy(t.id, k.data, UUID_LEN);
		if (a->match != NULL && !a->match(&t, a->matcharg)) {
			memcpy(a->last, k.data, UUID_LEN);
			continue;
		}
		if (a->n == a->max) {
			a->more = 1;
			break;
		}
		memcpy(a->last, k.data, UUID_LEN);
		audit_rec_free(&a->recs[a->n]);
		a->recs[a->n++] = t;
		audit_rec_init(&t);
	}
	audit_rec_free(&t);
out:
	return cursor_end(c, rc);
}

enum store_err
store_audit_list(struct store *st, const unsigned char *after, int desc,
    audit_match_fn match, void *matcharg, struct audit_rec *recs, size_t max,
    size_t scanmax, size_t *n, int *more, unsigned char last[UUID_LEN])
{
	struct audit_list_arg	 a;
	enum store_err		 e;

	memset(&a, 0, sizeof(a));
	a.after = after;
	a.desc = desc;
	a.match = match;
	a.matcharg = matcharg;
	a.recs = recs;
	a.max = max;
	a.scanmax = scanmax;
	e = run(st, audit_list_fn, &a, RUN_READ);
	*n = a.n;
	*more = a.more;
	memcpy(last, a.last, UUID_LEN);
	return e;
}

enum store_err
store_bulk_begin(struct store *st)
{
	st->bulk = 1;
	return map_err(st, st->env->set_flags(st->env, DB_TXN_NOSYNC, 1));
}

enum store_err
store_bulk_end(struct store *st)
{
	int	 rc;

	st->bulk = 0;
	rc = 0;
	if (st->bulk_txn != NULL)
		rc = st->bulk_txn->commit(st->bulk_txn, 0);
	st->bulk_txn = NULL;
	if (rc == 0)
		rc = st->env->log_flush(st->env, NULL);
	if (rc == 0)
		rc = st->env->set_flags(st->env, DB_TXN_NOSYNC, 0);
	if (rc != 0)
		return map_err(st, rc);
	return store_checkpoint(st);
}

const char *
store_strerror(enum store_err e)
{
	static const char *const msg[STORE__MAX] = {
		"ok",
		"not found",
		"already exists",
		"store busy",
		"corrupt record",
		"store failure",
	};

	return e < STORE__MAX ? msg[e] : "unknown store error";
}
