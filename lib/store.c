/* store: the Berkeley DB environment every worker shares: open, recovery, watchdog, maintenance, the transaction runner, the indexes. */
#define _GNU_SOURCE	/* dl_iterate_phdr, dlvsym, RTLD_NEXT: pthread_cond_destroy */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <dlfcn.h>
#include <link.h>	/* dl_iterate_phdr */
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

#ifdef KEYHOLE_FAULTS
#include "../tests/fault/fault.h"	/* a test build's deaths on demand */
#endif
#include "json.h"
#include "policy.h"
#include "store.h"
#include "store_impl.h"

#define RETRIES		20	/* deadlock retries before STORE_BUSY */
#define BACKOFF_MS	64	/* the longest pause between two of them */
#define LOCK_TIMEOUT_US	1000000	/* a lock held by a dead process is given up after this */
#define OPEN_WATCHDOG_SECS 4	/* joining: failchk, the databases (store_watch.c) */
#define RECOVERY_WATCHDOG_SECS 30	/* a full recovery replays the log */
#define JOIN_LOCK	"env.lock"	/* joining and failchk take turns (join_lock) */
/*
 * A join waits no longer for its turn (then 503).  Joins take turns, and
 * a server starting 60 workers at once queues them all: under ASan, or a
 * loaded host, 4 s was too short.  Each holder is bounded by its watchdog.
 */
#define JOIN_WAIT_SECS	30
#define CKP_LOCK	"checkpoint.lock"	/* one process checkpoints at a time */
#define BULK_BATCH	1000	/* writes per transaction in a bulk load */
/*
 * The shared cache (KEYHOLE_CACHE_MB): mapped by every process, touched
 * lazily, grown on demand up to this size.
 */
#define CACHE_MB	16
#define THREADS		512	/* slots for processes in the environment at once */
#define KEYFILE		KEYHOLE_KEYFILE
/* Berkeley DB's registry of the processes in the environment (DB_REGISTER). */
#define REGISTRY	"__db.register"
#define REGISTRY_SLOT	25	/* a slot: a pid as "%24lu\n", its lock on its first byte */
#define REGISTRY_EMPTY	"X                      0\n"

static void		 errcall(const DB_ENV *, const char *, const char *);
static void		 notify(DB_ENV *, u_int32_t, void *);
static int		 is_alive(DB_ENV *, pid_t, db_threadid_t, u_int32_t);
static void		 thread_id(DB_ENV *, pid_t *, db_threadid_t *);
static int		 id_of(DB *, const DBT *, const DBT *, DBT *);
static int		 prev_of(DB *, const DBT *, const DBT *, DBT *);
static int		 parent_of(DB *, const DBT *, const DBT *, DBT *);
static int		 list_key(DBT *, int, const char *const *, const size_t *,
			    int, const void *);
static int		 lists_open(struct store *);
static int		 lists_build(struct store *);
static int		 lists_batch(struct store *, DB_TXN *,
			    unsigned char [UUID_LEN], int *, int *);

/* The list index's version mark: a key no list has (lists start with a letter). */
#define LISTS_VERSION	"\001lists 3"
#define LISTS_LOCK	"tokens-list.lock"	/* held while one process builds it */
#define UPGRADE_LOCK	"records.lock"	/* held while one process converts */
#define LISTS_BATCH	200	/* tokens indexed per transaction while building */
#define LISTS_TRIES	100	/* batches retried after a deadlock, in all */
static int		 key_load(struct store *, const char *, int, char *, size_t);
static int		 env_open(struct store *, char *, size_t);
static int		 store_join(struct store *, unsigned, char *, size_t);
static int		 store_upgrade(struct store *);
/* An entry of a walk in batches (walk_batch): a Berkeley DB code. */
typedef int	(*walk_fn)(struct store *, DB_TXN *, const DBT *, const DBT *,
		    void *);
static int		 walk_batch(struct store *, DB *, DB_TXN *,
			    unsigned char [UUID_LEN], int *, int *, size_t,
			    walk_fn, void *);
static int		 list_one(struct store *, DB_TXN *, const DBT *,
			    const DBT *, void *);
static int		 upgrade_one(struct store *, DB_TXN *, const DBT *,
			    const DBT *, void *);
static int		 dbs_open(struct store *, unsigned, u_int32_t);
static int		 secondary_open(struct store *, DB **, const char *,
			    u_int32_t, int (*)(DB *, const DBT *, const DBT *,
			    DBT *), u_int32_t);
static void		 dbs_close(struct store *, unsigned);
static int		 env_reopen(struct store *);
static int		 join_lock(struct store *, int);
static int		 registry_lost(struct store *);
static int		 file_lock(struct store *, int *, const char *, int);
static int		 panicked(struct store *);
static enum store_err	 map_err(struct store *, int);
static int		 run_bulk(struct store *, txn_fn, void *);

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

/* Sets *arg's range to the loaded segment of an object that holds its start. */
static int
segment_of(struct dl_phdr_info *info, size_t size, void *arg)
{
	uintptr_t	*range = arg, lo;
	size_t		 i;

	(void)size;
	for (i = 0; i < info->dlpi_phnum; i++) {
		if (info->dlpi_phdr[i].p_type != PT_LOAD)
			continue;
		lo = info->dlpi_addr + info->dlpi_phdr[i].p_vaddr;
		if (range[0] >= lo && range[0] < lo + info->dlpi_phdr[i].p_memsz) {
			range[0] = lo;
			range[1] = lo + info->dlpi_phdr[i].p_memsz;
			return 1;
		}
	}
	return 0;
}

/*
 * Since glibc 2.25, pthread_cond_destroy waits until every waiter has
 * left the condition variable.  A process killed while it waited for a
 * Berkeley DB lock never leaves, so failchk, freeing the dead locker's
 * mutex, waited forever -- until the watchdog ended it and asked for a
 * full recovery: seconds of outage after a crash.  Berkeley DB's mutexes
 * live in its shared regions and are initialised again before reuse, and
 * it destroys one only when no live process can wait on it; its own
 * source skips the destroy in failchk where the platform allows
 * (HAVE_PTHREAD_COND_REINIT_OKAY).  So for libdb's calls the destroy is
 * skipped; every other caller gets the C library's.
 */
int
pthread_cond_destroy(pthread_cond_t *cond)
{
	static int	 (*libc_destroy)(pthread_cond_t *);
	static uintptr_t libdb[2];	/* libdb's code: [0] to [1] */
	uintptr_t	 caller = (uintptr_t)__builtin_return_address(0);

	if (libdb[1] == 0 && (libdb[0] = (uintptr_t)dlsym(RTLD_DEFAULT,
	    "db_env_create")) != 0 && dl_iterate_phdr(segment_of, libdb) == 0)
		libdb[0] = libdb[1] = 1;	/* not found: no skipping */
	if (caller >= libdb[0] && caller < libdb[1])
		return 0;
	if (libc_destroy == NULL &&
	    (libc_destroy = (int (*)(pthread_cond_t *))dlvsym(RTLD_NEXT,
	    "pthread_cond_destroy", "GLIBC_2.3.2")) == NULL)
		abort();
	return libc_destroy(cond);
}

static void
thread_id(DB_ENV *env, pid_t *pid, db_threadid_t *tid)
{
	(void)env;
	*pid = self;
	if (tid != NULL)
		*tid = pthread_self();
}

/* The id, at its fixed offset in a stored record: a token by its id. */
static int
id_of(DB *sec, const DBT *key, const DBT *data, DBT *result)
{
	(void)sec;
	(void)key;
	if (data->size < 1 + UUID_LEN)
		return DB_DONOTINDEX;
	memset(result, 0, sizeof(*result));
	result->data = (unsigned char *)data->data + 1;
	result->size = UUID_LEN;
	return 0;
}

/*
 * The previous hash, during a rotation's grace: the previous secret
 * finds the record too (its current one is the record's key).
 */
static int
prev_of(DB *sec, const DBT *key, const DBT *data, DBT *result)
{
	const unsigned char	*p;
	size_t			 n;

	(void)sec;
	(void)key;
	if ((p = dbt_field(data, T_PREV_HASH, &n)) == NULL || n != TOK_HASH_LEN)
		return DB_DONOTINDEX;
	memset(result, 0, sizeof(*result));
	result->data = (void *)p;
	result->size = TOK_HASH_LEN;
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
	if ((p = dbt_field(data, T_CREATED_BY, &n)) == NULL || n != UUID_LEN)
		return DB_DONOTINDEX;
	memset(result, 0, sizeof(*result));
	result->data = (void *)p;
	result->size = UUID_LEN;
	return 0;
}

/* One list key: kind, up to three strings each ended by NUL, then the id. */
static int
list_key(DBT *k, int kind, const char *const *part, const size_t *len,
    int nparts, const void *id)
{
	unsigned char	*p;
	size_t		 n = 1;
	int		 i;

	memset(k, 0, sizeof(*k));
	for (i = 0; i < nparts; i++)
		n += len[i] + 1;
	if ((p = malloc(n + UUID_LEN)) == NULL)
		return ENOMEM;
	p[0] = (unsigned char)kind;
	for (n = 1, i = 0; i < nparts; i++) {
		memcpy(p + n, part[i], len[i]);
		p[n + len[i]] = '\0';
		n += len[i] + 1;
	}
	memcpy(p + n, id, UUID_LEN);
	k->data = p;
	k->size = (u_int32_t)(n + UUID_LEN);
	return 0;
}

/*
 * The lists a token is in (schema/storage.md, tokens-list.db): its
 * organization's, each entity's it acts or is bound in, its subject's,
 * and its subject's under its name.  A revoked token is in none of them,
 * so a list's count is of the tokens not revoked; only in its
 * organization's list of every token, which the native listing walks.
 * The keys (at most LIST_KEYS) go into keys, caller-freed.
 */
int
store_list_keys(const unsigned char *id, const void *rec, size_t reclen,
    DBT *keys, size_t *nkeys)
{
	const char	*org, *ent, *bind, *subj, *name, *b, *e, *at;
	size_t		 orglen = 0, entlen, bindlen = 0, subjlen = 0, namelen = 0;
	size_t		 i, j, nents = 0, n = 0;
	const char	*ents[BINDINGS_MAX + 1], *part[3];
	size_t		 entlens[BINDINGS_MAX + 1], len[3];
	int		 rc = 0;

	*nkeys = 0;
	if (rec == NULL)
		return 0;
	if ((org = (const char *)rec_field(rec, reclen, T_ORGANIZATION,
	    &orglen)) == NULL)
		org = "";
	if ((ent = (const char *)rec_field(rec, reclen, T_ENTITY, &entlen)) !=
	    NULL && !(entlen == sizeof(ENTITY_ORG) - 1 &&
	    memcmp(ent, ENTITY_ORG, entlen) == 0)) {
		ents[nents] = ent;
		entlens[nents++] = entlen;
	}
	if ((bind = (const char *)rec_field(rec, reclen, T_BINDINGS,
	    &bindlen)) == NULL)
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
	subj = (const char *)rec_field(rec, reclen, T_SUBJECT, &subjlen);
	name = (const char *)rec_field(rec, reclen, T_NAME, &namelen);

	/* Every list is an organization's: its string comes first. */
	part[0] = org;
	len[0] = orglen;
	rc = list_key(&keys[n++], LIST_ORG_ALL, part, len, 1, id);
	if (rec_field(rec, reclen, T_REVOKED_AT, &i) != NULL)
		goto done;
	if (rc == 0)
		rc = list_key(&keys[n++], LIST_ORG, part, len, 1, id);
	if (rc == 0 && (ent == NULL || nents == 0 || ents[0] != ent))
		rc = list_key(&keys[n++], LIST_ORG_LEVEL, part, len, 1, id);
	for (j = 0; rc == 0 && j < nents; j++) {
		part[1] = ents[j];
		len[1] = entlens[j];
		rc = list_key(&keys[n++], LIST_ENTITY, part, len, 2, id);
		/* The token's own entity, where all of it is seen. */
		if (rc == 0 && ents[j] == ent)
			rc = list_key(&keys[n++], LIST_ACTING, part, len, 2, id);
	}
	if (rc == 0 && subj != NULL && subjlen > 0) {
		part[1] = subj;
		len[1] = subjlen;
		rc = list_key(&keys[n++], LIST_SUBJECT, part, len, 2, id);
		part[2] = name;
		len[2] = namelen;
		if (rc == 0 && name != NULL && namelen > 0)
			rc = list_key(&keys[n++], LIST_NAME, part, len, 3, id);
	}
done:
	*nkeys = n;
	return rc;
}

void
store_keys_free(DBT *keys, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(keys[i].data);
}

static int
key_in(const DBT *k, const DBT *keys, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (keys[i].size == k->size &&
		    memcmp(keys[i].data, k->data, k->size) == 0)
			return 1;
	return 0;
}

/* Do two encodings of a token hold the same fields its lists come from? */
static int
same_lists(const void *a, size_t alen, const void *b, size_t blen)
{
	static const int tags[] = { T_REVOKED_AT, T_ORGANIZATION, T_ENTITY,
	    T_BINDINGS, T_SUBJECT, T_NAME };
	const unsigned char	*fa, *fb;
	size_t			 i, la, lb;

	for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		fa = rec_field(a, alen, tags[i], &la);
		fb = rec_field(b, blen, tags[i], &lb);
		if ((fa == NULL) != (fb == NULL) || (fa != NULL &&
		    (la != lb || memcmp(fa, fb, la) != 0)))
			return 0;
	}
	return 1;
}

int
store_lists_update(struct store *st, DB_TXN *txn, const unsigned char *id,
    const void *old, size_t oldlen, const void *new, size_t newlen)
{
	DBT	 ok[LIST_KEYS], nk[LIST_KEYS], d;
	size_t	 no, nn, i;
	int	 rc;

	/* A use or a last-used time changes no list: nothing to compute. */
	if (old != NULL && new != NULL && same_lists(old, oldlen, new, newlen))
		return 0;
	/* Otherwise only what changed. */
	if ((rc = store_list_keys(id, old, oldlen, ok, &no)) == 0)
		rc = store_list_keys(id, new, newlen, nk, &nn);
	else
		nn = 0;
	for (i = 0; rc == 0 && i < no; i++)
		if (!key_in(&ok[i], nk, nn) && (rc = st->lists->del(st->lists,
		    txn, &ok[i], 0)) == DB_NOTFOUND)
			rc = 0;
	for (i = 0; rc == 0 && i < nn; i++)
		if (!key_in(&nk[i], ok, no)) {
			dbt_set(&d, "", 0);
			rc = st->lists->put(st->lists, txn, &nk[i], &d, 0);
		}
	store_keys_free(ok, no);
	store_keys_free(nk, nn);
	return rc;
}

/*
 * The list index: a counted B-tree (DB_RECNUM), so a list's size and a
 * page at any offset cost a descent each; its keys are the lists' and
 * carry no data (store_lists_update keeps them).  An index without this
 * version's mark (a store from before it, or from before a list it now
 * keeps) is built afresh, by one process (under a lock beside it), in
 * batches of LISTS_BATCH tokens, outside the watchdog: it takes as long
 * as the store is large.  Until the mark is written, other processes
 * serve, keeping their own writes in the lists, which may lack tokens.
 */
static int
lists_open(struct store *st)
{
	static const char version[] = LISTS_VERSION;
	DBT		 k, d;
	int		 rc;

	if ((rc = db_create(&st->lists, st->env, 0)) != 0 ||
	    (rc = st->lists->set_flags(st->lists, DB_RECNUM)) != 0 ||
	    (rc = st->lists->open(st->lists, NULL, LISTS_DB, NULL,
	    DB_BTREE, DB_AUTO_COMMIT | DB_CREATE, 0660)) != 0)
		return rc;
	dbt_set(&k, version, sizeof(version) - 1);
	dbt_set(&d, NULL, 0);
	d.flags = DB_DBT_PARTIAL;
	rc = st->lists->get(st->lists, NULL, &k, &d, 0);
	if (rc != DB_NOTFOUND)
		return rc;
	return lists_build(st);
}

/*
 * Calls fn on up to max entries of db, a database keyed by id, after
 * *last (none yet: from the first), in id order, within txn; *done after
 * the last.  The batches of a long walk, each a transaction of its own.
 */
static int
walk_batch(struct store *st, DB *db, DB_TXN *txn, unsigned char last[UUID_LEN],
    int *started, int *done, size_t max, walk_fn fn, void *arg)
{
	DBC	*c;
	DBT	 k, d;
	size_t	 n;
	int	 rc, op = *started ? DB_SET_RANGE : DB_FIRST;

	if ((rc = db->cursor(db, txn, &c, 0)) != 0)
		return rc;
	dbt_set(&k, last, *started ? UUID_LEN : 0);
	dbt_set(&d, NULL, 0);
	for (n = 0; rc == 0 && n < max; n++) {
		rc = c->get(c, &k, &d, op);
		if (op == DB_SET_RANGE && rc == 0 && k.size == UUID_LEN &&
		    memcmp(k.data, last, UUID_LEN) == 0)
			rc = c->get(c, &k, &d, DB_NEXT);
		op = DB_NEXT;
		if (rc == DB_NOTFOUND) {
			*done = 1;
			break;
		}
		if (rc == 0 && k.size == UUID_LEN) {
			memcpy(last, k.data, UUID_LEN);
			*started = 1;
			rc = fn(st, txn, &k, &d, arg);
		}
	}
	return cursor_end(c, rc);
}

/* A token into the lists it is in (the build). */
static int
list_one(struct store *st, DB_TXN *txn, const DBT *k, const DBT *d, void *arg)
{
	(void)arg;
	return store_lists_update(st, txn, k->data, NULL, 0, d->data, d->size);
}

/*
 * One batch of the build: up to LISTS_BATCH tokens after *last, by the
 * id index (whose entries read as the records themselves); *done after
 * the last token, when the mark is written too.
 */
static int
lists_batch(struct store *st, DB_TXN *txn, unsigned char last[UUID_LEN],
    int *started, int *done)
{
	static const char version[] = LISTS_VERSION;
	DBT		 k, d;
	int		 rc;

	rc = walk_batch(st, st->byid, txn, last, started, done, LISTS_BATCH,
	    list_one, NULL);
	if (rc == 0 && *done) {
		dbt_set(&k, version, sizeof(version) - 1);
		dbt_set(&d, "", 0);
		rc = st->lists->put(st->lists, txn, &k, &d, 0);
	}
	return rc;
}

/* Builds the list index from the tokens (lists_open), if no one else is. */
static int
lists_build(struct store *st)
{
	static const char version[] = LISTS_VERSION;
	unsigned char	 last[UUID_LEN], was[UUID_LEN];
	char		 path[4096];
	DB_TXN		*txn;
	DBC		*c;
	DBT		 k, d;
	u_int32_t	 gone;
	int		 fd, rc, tries = 0, started = 0, wasstarted, done = 0;

	snprintf(path, sizeof(path), "%s/%s", st->home, LISTS_LOCK);
	if ((fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0660)) == -1)
		return errno;
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		close(fd);
		return errno == EWOULDBLOCK ? 0 : errno;
	}
	/* Another process may have finished it before the lock was had. */
	dbt_set(&k, version, sizeof(version) - 1);
	dbt_set(&d, NULL, 0);
	d.flags = DB_DBT_PARTIAL;
	if ((rc = st->lists->get(st->lists, NULL, &k, &d, 0)) != DB_NOTFOUND) {
		close(fd);
		return rc;
	}
	/* A new store has nothing to index: only the mark to write. */
	if ((rc = st->records->cursor(st->records, NULL, &c, 0)) == 0) {
		dbt_set(&k, NULL, 0);
		k.flags = d.flags = DB_DBT_PARTIAL;
		if (c->get(c, &k, &d, DB_FIRST) == 0) {
			watch_pause();
			fprintf(stderr, "keyhole[%ld]: building the list index "
			    "of %s\n", (long)getpid(), st->home);
		}
		rc = c->close(c);
	}
	if (rc == 0 && (rc = st->env->txn_begin(st->env, NULL, &txn, 0)) == 0) {
		if ((rc = st->lists->truncate(st->lists, txn, &gone, 0)) == 0)
			rc = txn->commit(txn, 0);
		else
			txn->abort(txn);
	}
	/* Small batches: each holds the counted tree's root a moment only. */
	while (rc == 0 && !done) {
		if ((rc = st->env->txn_begin(st->env, NULL, &txn, 0)) != 0)
			break;
		memcpy(was, last, UUID_LEN);
		wasstarted = started;
		rc = lists_batch(st, txn, last, &started, &done);
		if (rc == 0)
			rc = txn->commit(txn, 0);
		else
			txn->abort(txn);
		/* A batch undone is done again, from where it began. */
		if ((rc == DB_LOCK_DEADLOCK || rc == DB_LOCK_NOTGRANTED) &&
		    ++tries < LISTS_TRIES) {
			memcpy(last, was, UUID_LEN);
			started = wasstarted;
			done = 0;
			rc = 0;
			usleep(1000 * (1 + randombytes_uniform(50)));
		}
	}
	watch_begin("databases", OPEN_WATCHDOG_SECS);	/* env_open's stay, resumed */
	close(fd);	/* and unlocks */
	return rc;
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
 * Berkeley DB 5.3 gives a process joining the environment a thread slot,
 * and once the table is full it reclaims one a dead process left ("out"),
 * under its region mutex.  failchk walks the slots without that mutex: a
 * slot reclaimed between its is_alive() on the old pid and its second
 * look at the state reads as a live slot of a dead process, "Thread died
 * in Berkeley DB library", and the environment panics -- about once in
 * 1,000 plain-CGI processes, 8 at a time.  So joining and failchk take
 * turns under one lock; a process's own slot, once it has joined, is
 * found by its pid and never reclaimed while it lives.
 */
static int
join_lock(struct store *st, int op)
{
	int	 rc;

	/*
	 * A wait for the turn is bounded on its own, so that a process
	 * queued behind others is never taken for one stuck in the library
	 * (the watchdog).  The holders are bounded by theirs.
	 */
	if (op != LOCK_UN)
		watch_queue(1, JOIN_WAIT_SECS);
	rc = file_lock(st, &st->join_fd, JOIN_LOCK, op);
	if (op != LOCK_UN)
		watch_queue(0, 0);
	return rc == EINTR ? EAGAIN : rc;
}

/*
 * Has a process left the registry without leaving the environment (a
 * slot whose owner holds no lock on it, as Berkeley DB's own check sees
 * it), or is there no registry yet?  Then DB_REGISTER has something to
 * clean up, by failchk or recovery; else failchk, which walks every
 * mutex (a fifth of a plain CGI request's time), has nothing to find.
 * Read under the join lock.  Berkeley DB's check reads a slot, then
 * tries its lock: a process that empties its slot and leaves in between
 * reads as dead, and without DB_FAILCHK that panics the environment.
 * So processes leave under the join lock too (shared, store_close).
 */
static int
registry_lost(struct store *st)
{
	char		 path[4096], buf[REGISTRY_SLOT * 128];
	struct flock	 fl;
	off_t		 at = 0;
	ssize_t		 n, i;
	int		 fd, lost = 0;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", st->home,
	    REGISTRY) >= sizeof(path) ||
	    (fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return 1;
	while (!lost && (n = pread(fd, buf, sizeof(buf), at)) > 0) {
		for (i = 0; !lost && i < n; i += REGISTRY_SLOT) {
			if (n - i < REGISTRY_SLOT) {
				lost = 1;	/* a slot cut short */
				break;
			}
			if (memcmp(buf + i, REGISTRY_EMPTY, REGISTRY_SLOT) == 0)
				continue;
			memset(&fl, 0, sizeof(fl));
			fl.l_type = F_WRLCK;
			fl.l_whence = SEEK_SET;
			fl.l_start = at + i;
			fl.l_len = 1;
			lost = fcntl(fd, F_GETLK, &fl) == -1 ||
			    fl.l_type == F_UNLCK;
		}
		at += n;
	}
	if (n == -1 || at == 0)
		lost = 1;
	close(fd);
	return lost;
}

/* flock(op) on the file name beside the store, opened once into *fd. */
static int
file_lock(struct store *st, int *fd, const char *name, int op)
{
	char	 path[4096];

	if (*fd == -1) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", st->home,
		    name) >= sizeof(path))
			return ENAMETOOLONG;
		if ((*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
		    0660)) == -1)
			return errno;
	}
	return flock(*fd, op) == -1 ? errno : 0;
}

/* Opens a secondary index of records.db, kept by Berkeley DB. */
static int
secondary_open(struct store *st, DB **db, const char *file, u_int32_t flags,
    int (*key)(DB *, const DBT *, const DBT *, DBT *), u_int32_t dbflags)
{
	int	 rc;

	if ((rc = db_create(db, st->env, 0)) != 0 ||
	    (flags != 0 && (rc = (*db)->set_flags(*db, flags)) != 0) ||
	    (rc = (*db)->open(*db, NULL, file, NULL, DB_BTREE, dbflags,
	    0660)) != 0)
		return rc;
	return st->records->associate(st->records, NULL, *db, key, 0);
}

/*
 * Opens those of the databases in mask not open yet, and their
 * associations (a secondary's primary first): a Berkeley DB code.
 */
static int
dbs_open(struct store *st, unsigned mask, u_int32_t dbflags)
{
	DB_ENV	*env = st->env;
	int	 rc = 0;

	if (mask & DBS_LISTS)		/* a list names its tokens by id */
		mask |= DBS_BYID;
	if (mask & (DBS_BYID | DBS_BYPREV | DBS_BYPARENT))
		mask |= DBS_RECORDS;
	mask &= ~st->open;
	if ((mask & DBS_RECORDS) &&
	    ((rc = db_create(&st->records, env, 0)) != 0 ||
#ifdef KEYHOLE_FAULTS
	    (rc = st->records->set_bt_compare(st->records, fault_compare)) != 0 ||
#endif
	    (rc = st->records->open(st->records, NULL, RECORDS_DB, NULL,
	    DB_BTREE, dbflags, 0660)) != 0))
		return rc;
	st->open |= mask & DBS_RECORDS;
	if ((mask & DBS_BYID) && (rc = secondary_open(st, &st->byid,
	    ID_DB, 0, id_of, dbflags)) != 0)
		return rc;
	st->open |= mask & DBS_BYID;
	if ((mask & DBS_BYPREV) && (rc = secondary_open(st, &st->byprev,
	    PREV_DB, 0, prev_of, dbflags)) != 0)
		return rc;
	st->open |= mask & DBS_BYPREV;
	if ((mask & DBS_BYPARENT) && (rc = secondary_open(st, &st->byparent,
	    PARENT_DB, DB_DUP | DB_DUPSORT, parent_of, dbflags)) != 0)
		return rc;
	st->open |= mask & DBS_BYPARENT;
	if ((mask & DBS_AUDIT) && ((rc = db_create(&st->audit, env, 0)) != 0 ||
	    (rc = st->audit->open(st->audit, NULL, AUDIT_DB, NULL,
	    DB_BTREE, dbflags, 0660)) != 0))
		return rc;
	st->open |= mask & DBS_AUDIT;
	if ((mask & DBS_LISTS) && (rc = lists_open(st)) != 0)
		return rc;
	st->open |= mask & DBS_LISTS;
	return 0;
}

/*
 * Closes the databases, secondaries before their primary, but those in
 * keep: a handle whose open failed goes too (it is of no further use).
 */
static void
dbs_close(struct store *st, unsigned keep)
{
	DB	**dbs[] = { &st->audit, &st->byid, &st->byprev, &st->byparent,
		    &st->lists, &st->records };
	unsigned bits[] = { DBS_AUDIT, DBS_BYID, DBS_BYPREV, DBS_BYPARENT,
		    DBS_LISTS, DBS_RECORDS };
	size_t	 i;

	/*
	 * DB_NOSYNC: the log holds every commit and checkpoints flush the
	 * files; syncing them at every close would cost each plain CGI
	 * request three disk flushes.
	 */
	for (i = 0; i < sizeof(dbs) / sizeof(dbs[0]); i++)
		if (*dbs[i] != NULL && !(keep & st->open & bits[i])) {
			(*dbs[i])->close(*dbs[i], DB_NOSYNC);
			*dbs[i] = NULL;
		}
	st->open &= keep;
}

/*
 * Opens the databases in mask that are not open yet: a Berkeley DB code.
 * A database's open reads its meta page under a lock: behind a commit
 * waiting for a slow disk it may time out; open again while the disk is
 * busy (watch_io_wait), as a store operation would.  A plain CGI process
 * opens only what its request uses: each open costs it a file and its
 * locks, and every write opens all (a secondary not open would not be
 * kept in step with its primary).
 */
int
store_uses(struct store *st, unsigned mask)
{
	time_t		 began;
	u_int32_t	 dbflags = DB_AUTO_COMMIT;
	int		 rc;

	if ((mask & ~st->open) == 0)
		return 0;
	if (st->create)
		dbflags |= DB_CREATE | DB_EXCL;
	watch_begin("databases", OPEN_WATCHDOG_SECS);
	began = time(NULL);
	while ((rc = dbs_open(st, mask, dbflags)) == DB_LOCK_NOTGRANTED &&
	    !st->create && watch_io_wait(began))
		dbs_close(st, DBS_ALL);
	if (rc != 0)
		dbs_close(st, DBS_ALL);
	watch_end();
	return rc;
}

/*
 * Joins the environment in st->home: the multi-process recipe of
 * schema/storage.md (register, failchk, recover on open, lock timeouts,
 * a bounded stay inside the library).
 */
static int
env_open(struct store *st, char *err, size_t errsz)
{
	DB_ENV		*env;
	const char	*sync;
	u_int32_t	 flags;
	int		 rc, recover = 0;

	st->env = NULL;
	st->records = st->byid = st->byprev = st->byparent = st->audit = NULL;
	st->lists = NULL;
	st->open = 0;
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
	/* A timed-out wait is told from a deadlock (store_run retries less). */
	env->set_flags(env, DB_TIME_NOTGRANTED, 1);
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
	 * Asked under the lock: a queue of openers behind a stuck one must
	 * not each try failchk again (a second each, as the watchdog ends
	 * them).  When every registered process is alive, failchk is left
	 * out too: there is nothing to clean up.  (Should one die between
	 * that look and Berkeley DB's own, DB_REGISTER recovers instead.)
	 */
	flags = DB_CREATE | DB_INIT_LOCK | DB_INIT_LOG | DB_INIT_MPOOL |
	    DB_INIT_TXN | DB_REGISTER | DB_RECOVER;
	if ((rc = join_lock(st, LOCK_EX)) == 0) {
		if (watch_recover_asked())
			recover = 1;
		else if (registry_lost(st))
			flags |= DB_FAILCHK;
		watch_begin(recover ? "recovery" : "open", recover ?
		    RECOVERY_WATCHDOG_SECS : OPEN_WATCHDOG_SECS);
		/* Then every death inside so far is accounted for. */
		if ((rc = env->open(env, st->home, flags, 0660)) == 0)
			watch_reap();
		join_lock(st, LOCK_UN);
	}
	watch_end();
	if (rc != 0) {
		snprintf(err, errsz, "opening environment %s: %s", st->home,
		    db_strerror(rc));
		return -1;
	}
	if (recover) {
		watch_recovered();
		fprintf(stderr, "keyhole[%ld]: store recovered after a stuck "
		    "process\n", (long)getpid());
	}
	watch_joined();
	watch_detector(env, LOCK_TIMEOUT_US / 1000);
	return 0;
}

/*
 * A record of the old tokens.db (k its id, d version 1) into records.db:
 * under its hash, with its id in the hash's place.  A record too short to
 * hold a hash, unreadable before, is left behind, and said so.
 */
static int
upgrade_one(struct store *st, DB_TXN *txn, const DBT *k, const DBT *d,
    void *arg)
{
	struct buf	*rec = arg;
	DBT		 nk, nd;

	if (d->size < 1 + TOK_HASH_LEN) {
		fprintf(stderr, "keyhole[%ld]: upgrade: a record of %u bytes "
		    "left out\n", (long)getpid(), d->size);
		return 0;
	}
	buf_reset(rec);
	buf_putc(rec, REC_STORED);
	buf_append(rec, k->data, UUID_LEN);
	buf_append(rec, (unsigned char *)d->data + 1 + TOK_HASH_LEN,
	    d->size - 1 - TOK_HASH_LEN);
	dbt_set(&nk, (unsigned char *)d->data + 1, TOK_HASH_LEN);
	dbt_set(&nd, rec->ptr, rec->len);
	return st->records->put(st->records, txn, &nk, &nd, DB_NOOVERWRITE);
}

/*
 * A store from before records.db kept its records by id in tokens.db,
 * found from a secret through tokens-hash.db: two descents a lookup.  It
 * is converted once, at its first open by this version: every record
 * into records.db under its hash, in batches (Berkeley DB fills the
 * indexes beside it), then the old files go, in one transaction.  One
 * process converts, under a lock; the others wait for it (as for their
 * turn to join), since a half-written records.db is no store to read.  A
 * conversion cut short leaves tokens.db, and the next open starts over.
 * The list index names tokens by id, and stays as it is.
 */
static int
store_upgrade(struct store *st)
{
	unsigned char	 last[UUID_LEN];
	struct buf	 rec = BUF_INIT;
	static const char *const made[] = { RECORDS_DB, ID_DB, PREV_DB,
	    PARENT_DB };
	static const char *const gone[] = { OLD_HASH_DB,
	    OLD_PARENT_DB, OLD_RECORDS_DB };
	char		 path[4096];
	struct stat	 sb;
	DB_TXN		*txn;
	DB		*old = NULL;
	size_t		 i;
	int		 rc, fd = -1, started = 0, done = 0;

	snprintf(path, sizeof(path), "%s/%s", st->home, OLD_RECORDS_DB);
	if (st->create || stat(path, &sb) == -1)
		return 0;
	watch_queue(1, JOIN_WAIT_SECS);
	rc = file_lock(st, &fd, UPGRADE_LOCK, LOCK_EX);
	watch_queue(0, 0);
	if (rc != 0) {
		if (fd != -1)
			close(fd);
		return rc == EINTR ? EAGAIN : rc;
	}
	/* Another process may have converted it while this one waited. */
	if (stat(path, &sb) == -1)
		goto out;
	/* Outside the watchdog's stays: it takes as long as the store is large. */
	fprintf(stderr, "keyhole[%ld]: upgrading the store in %s to records "
	    "by hash\n", (long)getpid(), st->home);
	for (i = 0; i < sizeof(made) / sizeof(made[0]); i++)
		if ((rc = st->env->dbremove(st->env, NULL, made[i], NULL,
		    DB_AUTO_COMMIT)) != 0 && rc != ENOENT)
			goto out;
	if ((rc = dbs_open(st, DBS_RECORDS | DBS_BYID | DBS_BYPREV |
	    DBS_BYPARENT, DB_AUTO_COMMIT | DB_CREATE)) != 0 ||
	    (rc = db_create(&old, st->env, 0)) != 0 ||
	    (rc = old->open(old, NULL, OLD_RECORDS_DB, NULL, DB_BTREE,
	    DB_AUTO_COMMIT, 0)) != 0)
		goto out;
	while (rc == 0 && !done) {
		if ((rc = st->env->txn_begin(st->env, NULL, &txn, 0)) != 0)
			break;
		if ((rc = walk_batch(st, old, txn, last, &started, &done,
		    BULK_BATCH, upgrade_one, &rec)) == 0)
			rc = txn->commit(txn, 0);
		else
			txn->abort(txn);
	}
	if (rc == 0) {
		rc = old->close(old, 0);
		old = NULL;	/* closed, whatever close said */
	}
	if (rc == 0 && (rc = st->env->txn_begin(st->env, NULL, &txn, 0)) == 0) {
		for (i = 0; rc == 0 && i < sizeof(gone) / sizeof(gone[0]); i++)
			if ((rc = st->env->dbremove(st->env, txn, gone[i], NULL,
			    0)) == ENOENT)
				rc = 0;
		if (rc == 0)
			rc = txn->commit(txn, 0);
		else
			txn->abort(txn);
	}
out:
	if (old != NULL)
		old->close(old, 0);
	buf_free(&rec);
	dbs_close(st, 0);
	close(fd);	/* and unlocks */
	return rc;
}

/* Joins the environment and opens the databases in mask. */
static int
store_join(struct store *st, unsigned mask, char *err, size_t errsz)
{
	int	 rc;

	if (env_open(st, err, errsz) == -1)
		return -1;
	if ((rc = store_upgrade(st)) != 0) {
		snprintf(err, errsz, "upgrading the store in %s: %s", st->home,
		    db_strerror(rc));
		return -1;
	}
	if ((rc = store_uses(st, mask)) != 0) {
		snprintf(err, errsz, "opening databases in %s: %s", st->home,
		    rc == ENOENT ? "no store here (run keyholectl init)" :
		    db_strerror(rc));
		return -1;
	}
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
	unsigned had = st->open;

	if (st->env != NULL)
		st->env->app_private = NULL;
	st->dead = 0;
	if (store_join(st, had, err, sizeof(err)) == -1) {
		fprintf(stderr, "keyhole[%ld]: %s\n", (long)getpid(), err);
		st->dead = 1;
		return -1;
	}
	st->reopened++;
	return 0;
}

enum store_err
store_open(struct store **stp, const char *home, int flags, char *err,
    size_t errsz)
{
	struct store		*st;

	*stp = NULL;
	snprintf(err, errsz, "unknown error");
	/* Files this process creates must be usable by the web server's group. */
	umask(007);
	if (sodium_init() < 0) {
		snprintf(err, errsz, "libsodium failed to initialise");
		return STORE_FATAL;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL ||
	    (st->home = strdup(home)) == NULL)
		abort();
	st->join_fd = st->ckp_fd = -1;
	if (strlen(home) > 4000) {
		snprintf(err, errsz, "store path too long");
		free(st->home);
		free(st);
		return STORE_FATAL;
	}
	watch_init(home);
	st->create = (flags & STORE_CREATE) != 0;
	if (key_load(st, home, st->create, err, errsz) == -1 ||
	    store_join(st, flags & STORE_ON_DEMAND ? 0 : DBS_ALL, err,
	    errsz) == -1) {
		store_close(st);
		return STORE_FATAL;
	}
	st->create = 0;
	st->last_maint = time(NULL);
	*stp = st;
	return STORE_OK;
}

void
store_close(struct store *st)
{
	int	 locked;

	if (st == NULL)
		return;
	store_after(st);
	watch_detector(NULL, 0);
	/*
	 * After a panic, closing may block on dead mutexes: leave it to exit.
	 * Closing can also block on a mutex a killed process held: the
	 * watchdog bounds it like any other call.
	 */
	if (!st->dead) {
		watch_begin("close", 0);
		dbs_close(st, 0);
		watch_end();
		/* Leaving the registry takes turns with joining (registry_lost). */
		locked = st->env != NULL && join_lock(st, LOCK_SH) == 0;
		watch_begin("close", 0);
		if (st->env != NULL)
			st->env->close(st->env, 0);
		watch_end();
		if (locked)
			join_lock(st, LOCK_UN);
	}
	watch_leave();
	if (st->join_fd != -1)
		close(st->join_fd);
	if (st->ckp_fd != -1)
		close(st->ckp_fd);
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
	case DB_SECONDARY_BAD:	/* an index entry whose record is gone */
		return STORE_CORRUPT;
	case ENOSPC:
	case EDQUOT:
	case EFBIG:
	case EROFS:
		/*
		 * A commit whose log write failed is aborted (Berkeley DB
		 * overwrites its commit record); the environment stays
		 * usable, and writes succeed again once there is room.
		 */
		return STORE_FULL;
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

	/* After a panic: the environment afresh, or this process must go. */
	if (st->dead)
		return env_reopen(st) == 0 ? STORE_OK : STORE_FATAL;
	/*
	 * Recovered by another process since this one joined: the old
	 * environment may hold a dead process's mutex, on which any call
	 * would block.  Join the new one first (a stat, every request).
	 */
	if (watch_replaced())
		return env_reopen(st) == 0 ? STORE_OK : STORE_FATAL;
	if (now == st->last_maint)
		return STORE_OK;
	st->last_maint = now;
	watch_begin("maintenance", 0);
	/*
	 * Abort what dead processes left (unless another process is joining
	 * or doing it: then next second), and expire timed-out lock waits.
	 */
	if (join_lock(st, LOCK_EX | LOCK_NB) == 0) {
		if ((rc = st->env->failchk(st->env, 0)) == 0)
			watch_reap();
		join_lock(st, LOCK_UN);
	} else
		rc = 0;
	if (rc == 0)
		rc = st->env->lock_detect(st->env, 0, DB_LOCK_EXPIRE, NULL);
	watch_end();
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

/*
 * Writes take turns: each write transaction first takes one lock all of
 * them share, held to its commit.  Every write updates a counted B-tree
 * (the lists, whose root each insert locks) or the last pages of the
 * tokens and the audit log, in orders no single order fits; together,
 * under 64 clients, they deadlocked a thousand times a minute and some
 * ran out of retries.  Taking turns costs nothing those shared pages did
 * not already serialize; reads take no part.
 */
static int
writers_turn(struct store *st, DB_TXN *txn)
{
	static const char	 name[] = "keyhole writers";
	DBT			 obj;
	DB_LOCK			 lock;

	dbt_set(&obj, name, sizeof(name) - 1);
	return st->env->lock_get(st->env, txn->id(txn), 0, &obj,
	    DB_LOCK_WRITE, &lock);
}

/*
 * Runs fn in a transaction (or, for plain reads, without one), retrying
 * deadlocks and lock timeouts with jitter.  fn returns a Berkeley DB code.
 */
enum store_err
store_run(struct store *st, txn_fn fn, void *arg, int write, unsigned uses)
{
	DB_TXN	*txn;
	time_t	 began = time(NULL);
	int	 rc = 0, try, committed = 0, reopened = 0, timeouts = 0;

	if (st->dead)
		return STORE_FATAL;
	if ((rc = store_uses(st, write ? DBS_ALL : uses)) != 0)
		return map_err(st, rc);
	if (write && st->bulk)
		return map_err(st, run_bulk(st, fn, arg));
	for (try = 0; try < RETRIES; try++) {
		/* Jitter growing to BACKOFF_MS: about a second in all. */
		if (try > 0)
			usleep(1000 * (1 + randombytes_uniform(try < 5 ?
			    4u << try : BACKOFF_MS)));
		txn = NULL;
		watch_begin(write ? "transaction" : "read", 0);
		if (write) {
			rc = st->env->txn_begin(st->env, NULL, &txn, 0);
			if (rc == 0)
				rc = writers_turn(st, txn);
			if (rc != 0 && txn != NULL)
				txn->abort(txn);
			if (rc == 0) {
				rc = fn(st, txn, arg);
#ifdef KEYHOLE_FAULTS
				/* Written, holding the writers' lock, not committed. */
				if (rc == 0) {
					fault_point("stop_in_txn", SIGSTOP);
					fault_point("die_before_commit", SIGKILL);
				}
#endif
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
		watch_end();
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
		/*
		 * A lock timeout means a lock held a second.  While the disk
		 * works, by a commit waiting for it (locks go at its end):
		 * slow, so wait on, up to KEYHOLE_IO_WAIT_SECS in all (the
		 * retries count no more than deadlocks).  Else by a process
		 * stuck or stopped, which failchk frees only once it is dead:
		 * one more try, then busy; the client hears within seconds.
		 */
		if (rc == DB_LOCK_NOTGRANTED && watch_io_wait(began)) {
			try--;
			continue;
		}
		if (rc == DB_LOCK_NOTGRANTED && ++timeouts == 2)
			break;
	}
	if (try == RETRIES || timeouts == 2)
		fprintf(stderr, "keyhole[%ld]: store: %s\n", (long)getpid(),
		    timeouts == 2 ? "a lock held over a second, twice" :
		    "still deadlocked after 20 attempts");
	if (rc == 0 && write && !st->bulk)
		st->wrote = 1;
	return map_err(st, rc);
}

/*
 * After a request that wrote, once its answer is sent: a threshold
 * checkpoint keeps recovery after a crash short and lets old logs go.
 * One process at a time; the others leave it to that one.
 */
void
store_after(struct store *st)
{
	if (!st->wrote || st->dead)
		return;
	st->wrote = 0;
	if (file_lock(st, &st->ckp_fd, CKP_LOCK, LOCK_EX | LOCK_NB) != 0)
		return;
	watch_begin("checkpoint", 0);
	(void)st->env->txn_checkpoint(st->env, 1024, 5, 0);
	watch_end();
	file_lock(st, &st->ckp_fd, CKP_LOCK, LOCK_UN);
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
		[STORE_OK] = "ok",
		[STORE_NOTFOUND] = "not found",
		[STORE_EXISTS] = "already exists",
		[STORE_TAKEN] = "taken",
		[STORE_BUSY] = "store busy",
		[STORE_CORRUPT] = "corrupt record",
		[STORE_FULL] = "disk full or read-only",
		[STORE_FATAL] = "store failure",
	};

	return e < STORE__MAX ? msg[e] : "unknown store error";
}
