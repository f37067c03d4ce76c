/* store_tokens: the token operations on the store: insert, get, modify, delete, children, the listings. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <db.h>

#include "store.h"
#include "store_impl.h"

static int		 by_id(struct store *, DB_TXN *, const unsigned char *,
			    unsigned char [TOK_HASH_LEN], DBT *, DBT *, u_int32_t);
static int		 rec_put(struct store *, DB_TXN *, const DBT *,
			    const struct tok_rec *, const struct buf *);
static int		 insert_fn(struct store *, DB_TXN *, void *);
static int		 get_fn(struct store *, DB_TXN *, void *);
static int		 get_hash_fn(struct store *, DB_TXN *, void *);
static int		 modify_one(struct store *, DB_TXN *, const unsigned char *,
			    store_modify_fn, void *, const struct audit_ev *,
			    struct tok_rec *, struct buf *, int *);
static int		 modify_fn(struct store *, DB_TXN *, void *);
static enum store_err	 modify(struct store *, const unsigned char *, size_t,
			    int, store_modify_fn, void *, const struct audit_ev *,
			    const struct store_guard *, store_match_fn, void *,
			    size_t *, int);
static int		 delete_fn(struct store *, DB_TXN *, void *);
static int		 children_fn(struct store *, DB_TXN *, void *);
static int		 list_fn(struct store *, DB_TXN *, void *);
static int		 recno_at(DBC *, const void *, size_t, db_recno_t *);
static int		 page_fn(struct store *, DB_TXN *, void *);
static int		 list_holds(struct store *, DB_TXN *,
			    const struct list_at *, int *);

struct insert_arg {
	const struct tok_rec	*rec;
	const struct audit_ev	*ev;
	const struct list_at	*unique;
	int			 taken;
	struct buf		 enc;
	store_modify_fn		 guard;
	void			*guardarg;
	struct tok_rec		 parent;
	struct buf		 penc;
};

/*
 * A token's record by its id, through the id index: its key (the hash)
 * into *pk, itself into *d.  A Berkeley DB code.  A key of the right size
 * is copied to hash, and *pk points there: out of the handle's memory,
 * which the next write through the handle reuses.
 */
static int
by_id(struct store *st, DB_TXN *txn, const unsigned char *id,
    unsigned char hash[TOK_HASH_LEN], DBT *pk, DBT *d, u_int32_t flags)
{
	DBT	 k;
	int	 rc;

	dbt_set(&k, id, UUID_LEN);
	dbt_set(pk, NULL, 0);
	dbt_set(d, NULL, 0);
	rc = st->byid->pget(st->byid, txn, &k, pk, d, flags);
	if (rc == 0 && pk->size == TOK_HASH_LEN) {
		memcpy(hash, pk->data, TOK_HASH_LEN);
		dbt_set(pk, hash, TOK_HASH_LEN);
	}
	return rc;
}

/*
 * Writes rec's new encoding enc over the record that was under key
 * was: in place when the hash is the same, else (a rotation) under the
 * new hash, the old key deleted.
 */
static int
rec_put(struct store *st, DB_TXN *txn, const DBT *was,
    const struct tok_rec *rec, const struct buf *enc)
{
	DBT	 k, d;
	int	 rc;

	dbt_set(&k, rec->hash, TOK_HASH_LEN);
	dbt_set(&d, enc->ptr, enc->len);
	if (was->size == TOK_HASH_LEN && tok_hash_eq(was->data, rec->hash))
		return st->records->put(st->records, txn, &k, &d, 0);
	if ((rc = st->records->del(st->records, txn, (DBT *)was, 0)) != 0)
		return rc;
	return st->records->put(st->records, txn, &k, &d, DB_NOOVERWRITE);
}

/* Does the list hold a token at->match keeps?  Read under txn's locks. */
static int
list_holds(struct store *st, DB_TXN *txn, const struct list_at *at, int *holds)
{
	struct tok_rec	 t;
	unsigned char	 hash[TOK_HASH_LEN];
	DBC		*c;
	DBT		 k, d, pk, pd;
	size_t		 plen = at->prefix->len;
	int		 rc;

	*holds = 0;
	if ((rc = st->lists->cursor(st->lists, txn, &c, 0)) != 0)
		return rc;
	tok_rec_init(&t);
	dbt_set(&k, at->prefix->ptr, plen);
	dbt_set(&d, NULL, 0);
	d.flags = DB_DBT_PARTIAL;
	for (rc = c->get(c, &k, &d, DB_SET_RANGE); rc == 0 && !*holds;
	    rc = c->get(c, &k, &d, DB_NEXT)) {
		if (k.size != plen + UUID_LEN ||
		    memcmp(k.data, at->prefix->ptr, plen) != 0)
			break;
		rc = by_id(st, txn, (unsigned char *)k.data + plen, hash, &pk,
		    &pd, 0);
		if (rc == DB_NOTFOUND)	/* gone meanwhile: the next one */
			continue;
		if (rc != 0)
			break;
		*holds = rec_load(&pk, &pd, &t) == 0 &&
		    (at->match == NULL || at->match(&t, at->matcharg));
	}
	tok_rec_free(&t);
	return cursor_end(c, rc);
}

static int
insert_fn(struct store *st, DB_TXN *txn, void *arg)
{
	struct insert_arg	*a = arg;
	DBT			 k, d;
	int			 rc;

	/*
	 * A hash is one token's, current or previous: the index of previous
	 * ones would refuse it with EINVAL; say "exists".
	 */
	dbt_set(&k, a->rec->hash, TOK_HASH_LEN);
	dbt_set(&d, NULL, 0);
	d.flags = DB_DBT_PARTIAL;	/* existence only */
	rc = st->byprev->get(st->byprev, txn, &k, &d, DB_RMW);
	/* So is an id: the id index would refuse a second one the same way. */
	if (rc == DB_NOTFOUND) {
		dbt_set(&k, a->rec->id, UUID_LEN);
		rc = st->byid->get(st->byid, txn, &k, &d, DB_RMW);
	}
	if (rc == 0)
		return DB_KEYEXIST;
	if (rc != DB_NOTFOUND)
		return rc;
	if (a->unique != NULL && ((rc = list_holds(st, txn, a->unique,
	    &a->taken)) != 0 || a->taken))
		return rc;
	if (a->guard != NULL) {
		int	 verdict;

		rc = modify_one(st, txn, a->rec->created_by, a->guard,
		    a->guardarg, NULL, &a->parent, &a->penc, &verdict);
		if (rc != 0 || verdict == -1)
			return rc;
	}
	/* records.db refuses a hash it holds: DB_KEYEXIST. */
	dbt_set(&k, a->rec->hash, TOK_HASH_LEN);
	dbt_set(&d, a->enc.ptr, a->enc.len);
	rc = st->records->put(st->records, txn, &k, &d, DB_NOOVERWRITE);
	if (rc == 0)
		rc = store_lists_update(st, txn, a->rec->id, NULL, 0,
		    a->enc.ptr, a->enc.len);
	if (rc == 0 && a->ev != NULL)
		rc = store_audit_put(st, txn, a->ev);
	return rc;
}

enum store_err
store_insert(struct store *st, const struct tok_rec *rec,
    const struct audit_ev *ev, store_modify_fn guard, void *guardarg)
{
	return store_insert_unique(st, rec, ev, guard, guardarg, NULL);
}

enum store_err
store_insert_unique(struct store *st, const struct tok_rec *rec,
    const struct audit_ev *ev, store_modify_fn guard, void *guardarg,
    const struct list_at *unique)
{
	struct insert_arg	 a;
	enum store_err		 e;

	a.rec = rec;
	a.ev = ev;
	a.unique = unique;
	a.taken = 0;
	a.guard = guard;
	a.guardarg = guardarg;
	buf_init(&a.enc);
	buf_init(&a.penc);
	tok_rec_init(&a.parent);
	rec_encode_stored(rec, &a.enc);
	e = store_run(st, insert_fn, &a, RUN_WRITE, DBS_ALL);
	buf_free(&a.enc);
	buf_free(&a.penc);
	tok_rec_free(&a.parent);
	return e == STORE_OK && a.taken ? STORE_TAKEN : e;
}

struct get_arg {
	const unsigned char	*key;
	struct tok_rec		*rec;
	int			 corrupt;
	int			 prev;		/* by a previous hash */
};

static int
get_fn(struct store *st, DB_TXN *txn, void *arg)
{
	struct get_arg	*a = arg;
	unsigned char	 hash[TOK_HASH_LEN];
	DBT		 pk, d;
	int		 rc;

	if ((rc = by_id(st, txn, a->key, hash, &pk, &d, 0)) != 0)
		return rc;
	a->corrupt = rec_load(&pk, &d, a->rec) == -1;
	return 0;
}

enum store_err
store_get(struct store *st, const unsigned char id[UUID_LEN],
    struct tok_rec *rec)
{
	struct get_arg	 a = { id, rec, 0, 0 };
	enum store_err	 e;

	e = store_run(st, get_fn, &a, RUN_READ, DBS_BYID);
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
	if (a->prev)
		rc = st->byprev->pget(st->byprev, txn, &k, &pk, &d, 0);
	else {
		rc = st->records->get(st->records, txn, &k, &d, 0);
		pk = k;
	}
	if (rc != 0)
		return rc;
	a->corrupt = rec_load(&pk, &d, a->rec) == -1;
	return 0;
}

enum store_err
store_get_by_hash(struct store *st, const unsigned char hash[TOK_HASH_LEN],
    struct tok_rec *rec)
{
	struct get_arg	 a = { hash, rec, 0, 0 };
	enum store_err	 e;

	/*
	 * One descent: the records are keyed by the current hash.  Only a
	 * miss looks further, among the previous secrets still in a grace.
	 */
	e = store_run(st, get_hash_fn, &a, RUN_READ, DBS_RECORDS);
	if (e == STORE_NOTFOUND) {
		a.prev = 1;
		e = store_run(st, get_hash_fn, &a, RUN_READ, DBS_BYPREV);
	}
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
	unsigned char	 hash[TOK_HASH_LEN];
	DBT		 pk, d;
	int		 rc;

	*verdict = 0;
	/* DB_RMW: take the write lock now, so two updaters cannot deadlock. */
	if ((rc = by_id(st, txn, id, hash, &pk, &d, DB_RMW)) != 0)
		return rc;
	if (rec_load(&pk, &d, rec) == -1)
		return EINVAL;
	if ((*verdict = fn(rec, fnarg)) != 1 && *verdict != 2)
		return 0;
	rec_encode_stored(rec, enc);
	/* The lists first, while d still holds the record as it was. */
	if ((rc = store_lists_update(st, txn, id, d.data, d.size, enc->ptr,
	    enc->len)) != 0 || (rc = rec_put(st, txn, &pk, rec, enc)) != 0)
		return rc;
	if (ev == NULL || *verdict == 2)
		return 0;
	e = *ev;
	e.target = id;
	if (e.organization == NULL)
		e.organization = buf_cstr(&rec->organization);
	return store_audit_put(st, txn, &e);
}

struct modify_arg {
	const unsigned char	*ids;
	size_t			 n;
	store_modify_fn		 fn;
	void			*fnarg;
	const struct audit_ev	*ev;
	const struct store_guard *guard;
	int			 skip_unknown;
	store_match_fn		 done;		/* each child must be (NULL: none) */
	void			*donearg;
	size_t			 held;		/* ids left for a child not done */
	struct tok_rec		 rec;
	struct buf		 enc;
};

/* Is every token minted by id done, as read within txn?  1, 0, or -(rc). */
static int
children_done(struct store *st, DB_TXN *txn, const unsigned char *id,
    struct modify_arg *a)
{
	DBC	*c;
	DBT	 k, pk, d;
	u_int32_t op = DB_SET;
	int	 rc, all = 1;

	if ((rc = st->byparent->cursor(st->byparent, txn, &c, 0)) != 0)
		return -rc;
	dbt_set(&k, id, UUID_LEN);
	dbt_set(&pk, NULL, 0);
	dbt_set(&d, NULL, 0);
	while (all && (rc = c->pget(c, &k, &pk, &d, op)) == 0) {
		op = DB_NEXT_DUP;
		if (rec_load(&pk, &d, &a->rec) == -1)
			rc = EINVAL;
		else if (!a->done(&a->rec, a->donearg))
			all = 0;
		if (rc != 0)
			break;
	}
	rc = cursor_end(c, rc);
	return rc != 0 ? -rc : all;
}

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
	a->held = 0;
	for (i = 0; i < a->n; i++) {
		if (a->done != NULL) {
			if ((rc = children_done(st, txn, a->ids + i * UUID_LEN,
			    a)) < 0)
				return -rc;
			if (rc == 0) {
				a->held++;
				continue;
			}
		}
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
    const struct store_guard *guard, store_match_fn done, void *donearg,
    size_t *held, int how)
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
	a.done = done;
	a.donearg = donearg;
	tok_rec_init(&a.rec);
	buf_init(&a.enc);
	e = store_run(st, modify_fn, &a, how, DBS_ALL);
	if (held != NULL)
		*held = a.held;
	tok_rec_free(&a.rec);
	buf_free(&a.enc);
	return e;
}

enum store_err
store_modify(struct store *st, const unsigned char id[UUID_LEN],
    store_modify_fn fn, void *fnarg, const struct audit_ev *ev, int flags)
{
	return modify(st, id, 1, 0, fn, fnarg, ev, NULL, NULL, NULL, NULL,
	    flags & STORE_LAZY ? RUN_LAZY : RUN_WRITE);
}

enum store_err
store_modify_guarded(struct store *st, const unsigned char id[UUID_LEN],
    store_modify_fn fn, void *fnarg, const struct audit_ev *ev,
    const struct store_guard *guard)
{
	return modify(st, id, 1, 0, fn, fnarg, ev, guard, NULL, NULL, NULL,
	    RUN_WRITE);
}

enum store_err
store_modify_many(struct store *st, const unsigned char *ids, size_t n,
    store_modify_fn fn, void *fnarg, const struct audit_ev *ev)
{
	return modify(st, ids, n, 1, fn, fnarg, ev, NULL, NULL, NULL, NULL,
	    RUN_WRITE);
}

enum store_err
store_modify_leaves(struct store *st, const unsigned char *ids, size_t n,
    store_modify_fn fn, void *fnarg, store_match_fn done, void *donearg,
    const struct audit_ev *ev, size_t *held)
{
	return modify(st, ids, n, 1, fn, fnarg, ev, NULL, done, donearg, held,
	    RUN_WRITE);
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
	unsigned char		 hash[TOK_HASH_LEN];
	DBT			 pk, d;
	size_t			 i, n;
	int			 rc = 0;

	for (i = 0; i < a->n && rc == 0; i++) {
		/* Read first: the entry keeps the organization, for its readers. */
		rc = by_id(st, txn, a->ids + i * UUID_LEN, hash, &pk, &d,
		    DB_RMW);
		if (rc == 0 && pk.size != TOK_HASH_LEN)
			rc = EINVAL;
		if (rc == DB_NOTFOUND) {
			rc = 0;
			continue;
		}
		buf_reset(&org);
		if (rc == 0 && (o = dbt_field(&d, T_ORGANIZATION, &n)) != NULL)
			buf_append(&org, o, n);
		if (rc == 0)
			rc = store_lists_update(st, txn, a->ids + i * UUID_LEN,
			    d.data, d.size, NULL, 0);
		if (rc == 0)
			rc = st->records->del(st->records, txn, &pk, 0);
		if (rc == 0 && a->ev != NULL) {
			e = *a->ev;
			e.target = a->ids + i * UUID_LEN;
			e.organization = buf_cstr(&org);
			rc = store_audit_put(st, txn, &e);
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

	return store_run(st, delete_fn, &a, RUN_WRITE, DBS_ALL);
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
	d.flags = DB_DBT_PARTIAL;	/* the ids only: a record's bytes 1 to 16 */
	d.doff = 1;
	d.dlen = UUID_LEN;
	while ((rc = c->pget(c, &k, &pk, &d, op)) == 0) {
		op = DB_NEXT_DUP;
		if (d.size != UUID_LEN)
			continue;
		if (a->ids->len / UUID_LEN >= a->max) {
			a->more = 1;
			break;
		}
		buf_append(a->ids, d.data, UUID_LEN);
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
	e = store_run(st, children_fn, &a, RUN_READ, DBS_BYPARENT);
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
	DBT		 k, pk, d;
	size_t		 scanned = 0;
	u_int32_t	 op;
	int		 rc;

	a->n = 0;
	a->more = 0;
	/* In id order: the id index, each entry with its record. */
	if ((rc = st->byid->cursor(st->byid, txn, &c, 0)) != 0)
		return rc;
	dbt_set(&k, a->after, a->after != NULL ? UUID_LEN : 0);
	dbt_set(&pk, NULL, 0);
	dbt_set(&d, NULL, 0);
	op = a->after != NULL ? DB_SET_RANGE : DB_FIRST;
	while ((rc = c->pget(c, &k, &pk, &d, op)) == 0) {
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
			if (rec_load(&pk, &d, &t) == 0 &&
			    (a->match == NULL || a->match(&t, a->matcharg)))
				a->more = 1;
			tok_rec_free(&t);
			if (a->more)
				break;
			continue;
		}
		memcpy(a->last, k.data, UUID_LEN);
		if (rec_load(&pk, &d, &a->recs[a->n]) == -1)
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
	e = store_run(st, list_fn, &a, RUN_READ, DBS_BYID);
	*n = a.n;
	*more = a.more;
	memcpy(last, a.last, UUID_LEN);
	return e;
}

void
store_list_key(struct buf *buf, enum list_kind kind, const char *org,
    const char *a, const char *b)
{
	buf_reset(buf);
	buf_putc(buf, (char)kind);
	buf_append(buf, org, strlen(org) + 1);
	if (a != NULL)
		buf_append(buf, a, strlen(a) + 1);
	if (b != NULL)
		buf_append(buf, b, strlen(b) + 1);
}

struct page_arg {
	const struct list_at	*at;
	struct tok_rec		*recs;
	size_t			 max;
	struct list_got		*got;
	int			 corrupt;
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
	struct page_arg		*a = arg;
	const struct list_at	*q = a->at;
	struct list_got		*g = a->got;
	struct buf		 k = BUF_INIT;
	DBC			*c;
	unsigned char		 hash[TOK_HASH_LEN];
	DBT			 kd, d, pd;
	db_recno_t		 first, end, at;
	size_t			 plen = q->prefix->len, scanned = 0;
	int			 rc, op;

	memset(g, 0, sizeof(*g));
	a->corrupt = 0;
	if (plen == 0)
		return EINVAL;
	if ((rc = st->lists->cursor(st->lists, txn, &c, 0)) != 0)
		return rc;
	/* The list is the keys from prefix to prefix with its last NUL as 1. */
	buf_append(&k, q->prefix->ptr, plen);
	rc = recno_at(c, k.ptr, k.len, &first);
	k.ptr[plen - 1] = '\1';
	if (rc == 0)
		rc = recno_at(c, k.ptr, k.len, &end);
	if (rc != 0)
		goto out;
	/* Counts read in two descents: writes between may shift them. */
	g->total = end > first ? end - first : 0;

	/* Where the page starts: an id to go on from, or an offset. */
	if (q->from != NULL) {
		buf_reset(&k);
		buf_append(&k, q->prefix->ptr, plen);
		buf_append(&k, q->from, UUID_LEN);
		if ((rc = recno_at(c, k.ptr, k.len, &at)) != 0)
			goto out;
		/* After it: past it if it is there.  Before it: the one before. */
		if (!q->desc) {
			dbt_set(&kd, NULL, 0);
			dbt_set(&d, NULL, 0);
			d.flags = DB_DBT_PARTIAL;
			if (at < end && c->get(c, &kd, &d, DB_CURRENT) == 0 &&
			    kd.size == k.len && memcmp(kd.data, k.ptr, k.len) == 0)
				at++;
		} else
			at--;
	} else if (!q->desc)
		at = first + (db_recno_t)(q->offset < end - first ? q->offset :
		    end - first);
	else
		at = q->offset < end - first ? end - 1 - (db_recno_t)q->offset :
		    first - 1;
	op = DB_SET_RECNO;
	for (; at >= first && at < end; at += q->desc ? -1 : 1) {
		dbt_set(&kd, &at, sizeof(at));
		dbt_set(&d, NULL, 0);
		rc = c->get(c, &kd, &d, op);
		if (rc != 0 || kd.size != plen + UUID_LEN ||
		    memcmp(kd.data, q->prefix->ptr, plen) != 0) {
			/*
			 * The first step falls outside the list only when
			 * writes shifted the numbers since they were read:
			 * read again (store_run retries).
			 */
			if (op == DB_SET_RECNO && (rc == 0 || rc == DB_NOTFOUND))
				rc = DB_LOCK_DEADLOCK;
			break;
		}
		op = q->desc ? DB_PREV : DB_NEXT;
		if (g->n == a->max || (q->scanmax != 0 &&
		    ++scanned > q->scanmax)) {
			g->more = 1;
			break;
		}
		/* The record itself, by its id: the key ends with it. */
		rc = by_id(st, txn, (unsigned char *)kd.data + plen, hash, &d,
		    &pd, 0);
		if (rc == DB_NOTFOUND) {	/* gone meanwhile */
			rc = 0;
			continue;
		}
		if (rc != 0)
			break;
		memcpy(g->last, (unsigned char *)kd.data + plen, UUID_LEN);
		/* A record that does not decode is left out, as a scan does. */
		if (rec_load(&d, &pd, &a->recs[g->n]) == 0 &&
		    (q->match == NULL || q->match(&a->recs[g->n], q->matcharg)))
			g->n++;
	}
	if (rc == DB_NOTFOUND)
		rc = 0;
out:
	buf_free(&k);
	return cursor_end(c, rc);
}

enum store_err
store_list_page(struct store *st, const struct list_at *at,
    struct tok_rec *recs, size_t max, struct list_got *got)
{
	struct page_arg	 a;
	enum store_err	 e;

	memset(&a, 0, sizeof(a));
	a.at = at;
	a.recs = recs;
	a.max = max;
	a.got = got;
	e = store_run(st, page_fn, &a, RUN_READ, DBS_LISTS | DBS_BYID);
	return e == STORE_OK && a.corrupt ? STORE_CORRUPT : e;
}
