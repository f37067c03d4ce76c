/*
 * store_verify: the store's invariants, for keyholectl verify.  Every
 * token decodes and is found from each index that should hold it; every
 * index entry points at a token that says so; the counted list index
 * numbers its keys one by one; every audit entry decodes, and each token
 * created (or redeemed, or revoked) since the audit log begins has its
 * event; and
 * Berkeley DB's own verification passes on every database file.
 *
 * The walks take no long transaction, so the service keeps writing: a
 * token or an entry that looks wrong is looked at again inside a
 * transaction before it is reported.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <db.h>

#include "store_impl.h"

#define P_DECODE	0x01	/* the record does not decode */
#define P_ID		0x02	/* its id is not indexed to it */
#define P_PREV		0x04	/* its previous hash is not indexed to it */
#define P_PARENT	0x08	/* its minter is not indexed to it */
#define P_LISTS		0x10	/* a list it is in lacks it */
#define P_GONE		0x20	/* an index entry's token is missing */
#define P_WRONG		0x40	/* an index entry's token does not say so */

/* What the audit log says, gathered before the tokens are walked. */
struct events {
	unsigned char	*created, *revoked;	/* sorted targets, UUID_LEN each */
	size_t		 ncreated, nrevoked, capc, capr;
	int64_t		 since;		/* the oldest entry's time; 0: none */
	struct {
		unsigned char	 first[UUID_LEN], last[UUID_LEN];
	}		*loads;		/* bulk loads: audited once, by range */
	size_t		 nloads;
};

struct ctx {
	struct store		*st;
	struct store_verify	*v;
	struct events		 ev;
	DB			*ids, *prev, *parent;	/* the indexes, unassociated */
};

static void
problem(struct ctx *c, const unsigned char *id, const char *fmt, ...)
{
	char	 ids[UUID_STRLEN + 1];
	va_list	 ap;

	c->v->problems++;
	if (c->v->out == NULL)
		return;
	if (id != NULL) {
		uuid_format(id, ids);
		fprintf(c->v->out, "%s: ", ids);
	}
	va_start(ap, fmt);
	vfprintf(c->v->out, fmt, ap);
	va_end(ap);
	fputc('\n', c->v->out);
}

static int
idcmp(const void *a, const void *b)
{
	return memcmp(a, b, UUID_LEN);
}

static int
has_event(const unsigned char *set, size_t n, const unsigned char *id)
{
	return n > 0 && bsearch(id, set, n, UUID_LEN, idcmp) != NULL;
}

static int
push_id(unsigned char **set, size_t *n, size_t *cap, const unsigned char *id)
{
	unsigned char	*p;

	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 1024;
		if ((p = realloc(*set, *cap * UUID_LEN)) == NULL)
			return -1;
		*set = p;
	}
	memcpy(*set + *n * UUID_LEN, id, UUID_LEN);
	(*n)++;
	return 0;
}

/* "N tokens, ids FIRST to LAST": a bulk load's range. */
static void
load_range(struct events *ev, const struct buf *detail)
{
	const char	*s = buf_cstr(detail), *p;
	void		*n;

	if ((p = strstr(s, "ids ")) == NULL ||
	    (size_t)(p - s) + 4 + 2 * UUID_STRLEN + 4 > detail->len ||
	    memcmp(p + 4 + UUID_STRLEN, " to ", 4) != 0 ||
	    (n = realloc(ev->loads, (ev->nloads + 1) * sizeof(*ev->loads))) ==
	    NULL)
		return;
	ev->loads = n;
	if (uuid_parse(p + 4, UUID_STRLEN, ev->loads[ev->nloads].first) == 0 &&
	    uuid_parse(p + 8 + UUID_STRLEN, UUID_STRLEN,
	    ev->loads[ev->nloads].last) == 0)
		ev->nloads++;
}

static int
loaded(const struct events *ev, const unsigned char *id)
{
	size_t	 i;

	for (i = 0; i < ev->nloads; i++)
		if (memcmp(id, ev->loads[i].first, UUID_LEN) >= 0 &&
		    memcmp(id, ev->loads[i].last, UUID_LEN) <= 0)
			return 1;
	return 0;
}

/* ---- the audit log ---- */

static void
tally(struct store_verify *v, const char *event)
{
	size_t	 i;

	for (i = 0; i < sizeof(v->events) / sizeof(v->events[0]); i++) {
		if (v->events[i].event[0] == '\0')
			snprintf(v->events[i].event, sizeof(v->events[i].event),
			    "%s", event);
		if (strcmp(v->events[i].event, event) == 0) {
			v->events[i].n++;
			return;
		}
	}
}

static int
walk_audit(struct ctx *c)
{
	struct audit_rec	 r;
	DBC			*cur;
	DBT			 k, d;
	int			 rc;

	audit_rec_init(&r);
	if ((rc = c->st->audit->cursor(c->st->audit, NULL, &cur, 0)) != 0)
		return rc;
	dbt_set(&k, NULL, 0);
	dbt_set(&d, NULL, 0);
	while ((rc = cur->get(cur, &k, &d, DB_NEXT)) == 0) {
		c->v->audit++;
		if (k.size != UUID_LEN ||
		    store_audit_decode(d.data, d.size, &r) == -1) {
			problem(c, k.size == UUID_LEN ? k.data : NULL,
			    "audit entry does not decode");
			continue;
		}
		if (c->ev.since == 0)
			c->ev.since = r.at;
		tally(c->v, buf_cstr(&r.event));
		/* A redemption is its new token's creation. */
		if (r.has_target && (strcmp(buf_cstr(&r.event),
		    "token.created") == 0 || strcmp(buf_cstr(&r.event),
		    "token.redeemed") == 0))
			rc = push_id(&c->ev.created, &c->ev.ncreated,
			    &c->ev.capc, r.target);
		else if (r.has_target && strcmp(buf_cstr(&r.event), "token.revoked") == 0)
			rc = push_id(&c->ev.revoked, &c->ev.nrevoked,
			    &c->ev.capr, r.target);
		else if (strcmp(buf_cstr(&r.event), "tokens.loaded") == 0)
			load_range(&c->ev, &r.detail);
		if (rc != 0)
			break;
	}
	audit_rec_free(&r);
	rc = cursor_end(cur, rc);
	qsort(c->ev.created, c->ev.ncreated, UUID_LEN, idcmp);
	qsort(c->ev.revoked, c->ev.nrevoked, UUID_LEN, idcmp);
	return rc;
}

/* ---- tokens, each against its indexes ---- */

/* Does the raw index db hold exactly the pair key -> hash? */
static int
indexed(DB *db, DB_TXN *txn, const void *key, size_t klen,
    const unsigned char *hash)
{
	DBT	 k, d;
	int	 rc;

	dbt_set(&k, key, klen);
	dbt_set(&d, hash, TOK_HASH_LEN);
	rc = db->get(db, txn, &k, &d, DB_GET_BOTH);
	return rc == 0 ? 1 : rc == DB_NOTFOUND ? 0 : -1;
}

/*
 * The problems of the record under hash, read within txn (NULL: none):
 * P_* bits, or -1 when it could not be read; *t is its record, *nkeys
 * its list keys.
 */
static int
check_token(struct ctx *c, DB_TXN *txn, const unsigned char *hash,
    struct tok_rec *t, size_t *nkeys)
{
	static const unsigned char	 zero[UUID_LEN];
	DBT				 k, rd, d, keys[LIST_KEYS];
	size_t				 n = 0, i;
	int				 rc, bad = 0;

	*nkeys = 0;
	dbt_set(&k, hash, TOK_HASH_LEN);
	dbt_set(&rd, NULL, 0);
	rd.flags = DB_DBT_MALLOC;
	if ((rc = c->st->records->get(c->st->records, txn, &k, &rd, 0)) != 0)
		return rc == DB_NOTFOUND ? 0 : -1;
	if (rec_load(&k, &rd, t) == -1) {
		free(rd.data);
		return P_DECODE;
	}
	if ((rc = indexed(c->ids, txn, t->id, UUID_LEN, hash)) != 1)
		bad |= rc == -1 ? -1 : P_ID;
	if (bad != -1 && t->has_prev && (rc = indexed(c->prev, txn,
	    t->prev_hash, TOK_HASH_LEN, hash)) != 1)
		bad |= rc == -1 ? -1 : P_PREV;
	if (bad != -1 && memcmp(t->created_by, zero, UUID_LEN) != 0 &&
	    (rc = indexed(c->parent, txn, t->created_by, UUID_LEN, hash)) != 1)
		bad |= rc == -1 ? -1 : P_PARENT;
	if (bad != -1 && store_list_keys(t->id, rd.data, rd.size, keys,
	    &n) != 0)
		bad = -1;
	for (i = 0; bad != -1 && i < n; i++) {
		dbt_set(&d, NULL, 0);
		d.flags = DB_DBT_PARTIAL;
		if ((rc = c->st->lists->get(c->st->lists, txn, &keys[i], &d,
		    0)) == DB_NOTFOUND)
			bad |= P_LISTS;
		else if (rc != 0)
			bad = -1;
	}
	store_keys_free(keys, n);
	*nkeys = n;
	free(rd.data);
	return bad;
}

/* Runs check fn again inside a transaction: what still holds. */
static int
recheck(struct ctx *c, int (*fn)(struct ctx *, DB_TXN *,
    const unsigned char *, const DBT *, void *), const unsigned char *at,
    const DBT *key, void *arg)
{
	DB_TXN	*txn;
	int	 bad = -1, try;

	for (try = 0; try < 8 && bad == -1; try++) {
		if (c->st->env->txn_begin(c->st->env, NULL, &txn, 0) != 0)
			return -1;
		bad = fn(c, txn, at, key, arg);
		txn->abort(txn);	/* it only read */
	}
	return bad;
}

struct tokchk {
	struct tok_rec	 t;
	size_t		 n;
};

static int
token_fn(struct ctx *c, DB_TXN *txn, const unsigned char *hash,
    const DBT *unused, void *arg)
{
	struct tokchk	*tc = arg;

	(void)unused;
	return check_token(c, txn, hash, &tc->t, &tc->n);
}

/* Its creation and revocation, since the audit log begins, are in it. */
static void
token_events(struct ctx *c, const struct tok_rec *t)
{
	if (c->ev.since == 0 || loaded(&c->ev, t->id))
		return;
	if (t->created_at >= c->ev.since &&
	    !has_event(c->ev.created, c->ev.ncreated, t->id))
		problem(c, t->id, "created with no token.created (or "
		    "token.redeemed) event");
	if (t->revoked_at != 0 && t->revoked_at >= c->ev.since &&
	    !has_event(c->ev.revoked, c->ev.nrevoked, t->id))
		problem(c, t->id, "revoked with no token.revoked event");
}

static int
walk_tokens(struct ctx *c)
{
	unsigned char	 hash[TOK_HASH_LEN];
	struct tokchk	 tc;
	DBC		*cur;
	DBT		 k, d;
	int		 rc, bad;

	if ((rc = c->st->records->cursor(c->st->records, NULL, &cur, 0)) != 0)
		return rc;
	tok_rec_init(&tc.t);
	dbt_set(&k, NULL, 0);
	dbt_set(&d, NULL, 0);
	d.flags = DB_DBT_PARTIAL;	/* the keys only: check_token reads */
	while ((rc = cur->get(cur, &k, &d, DB_NEXT)) == 0) {
		if (k.size != TOK_HASH_LEN) {
			problem(c, NULL, RECORDS_DB ": a key of %u bytes", k.size);
			continue;
		}
		memcpy(hash, k.data, TOK_HASH_LEN);
		c->v->tokens++;
		c->v->hashes++;
		if ((bad = token_fn(c, NULL, hash, NULL, &tc)) != 0)
			bad = recheck(c, token_fn, hash, NULL, &tc);
		if (bad == -1) {
			problem(c, NULL, "a record could not be read");
			continue;
		}
		if (bad & P_DECODE) {
			problem(c, NULL, "a record does not decode");
			continue;
		}
		c->v->list_keys_expected += tc.n;
		token_events(c, &tc.t);
		if (bad & P_ID)
			problem(c, tc.t.id, "its id is not in " ID_DB);
		if (bad & P_PREV)
			problem(c, tc.t.id, "its previous hash is not in "
			    PREV_DB);
		if (bad & P_PARENT)
			problem(c, tc.t.id, "its minter is not in "
			    PARENT_DB);
		if (bad & P_LISTS)
			problem(c, tc.t.id, "a list it is in lacks it "
			    "(" LISTS_DB ")");
	}
	tok_rec_free(&tc.t);
	return cursor_end(cur, rc);
}

/* ---- each index against the records ---- */

/* An index of the records: which key of a record it holds. */
enum index_of { OF_ID, OF_PREV, OF_PARENT };

struct entchk {
	enum index_of	 of;
	unsigned char	 id[UUID_LEN];	/* the record's, once read */
};

/* Is the secondary key in the record under hash (id, previous, minter)? */
static int
entry_fn(struct ctx *c, DB_TXN *txn, const unsigned char *hash,
    const DBT *key, void *arg)
{
	struct entchk		*e = arg;
	const unsigned char	*f;
	DBT			 k, d;
	size_t			 n;
	int			 rc, bad = P_WRONG;

	dbt_set(&k, hash, TOK_HASH_LEN);
	dbt_set(&d, NULL, 0);
	d.flags = DB_DBT_MALLOC;
	if ((rc = c->st->records->get(c->st->records, txn, &k, &d, 0)) != 0)
		return rc == DB_NOTFOUND ? P_GONE : -1;
	if (d.size >= 1 + UUID_LEN)
		memcpy(e->id, (unsigned char *)d.data + 1, UUID_LEN);
	if (e->of == OF_ID) {
		f = d.size >= 1 + UUID_LEN ? (unsigned char *)d.data + 1 : NULL;
		n = UUID_LEN;
	} else
		f = dbt_field(&d, e->of == OF_PREV ? T_PREV_HASH : T_CREATED_BY,
		    &n);
	if (f != NULL && n == key->size && memcmp(f, key->data, n) == 0)
		bad = 0;
	free(d.data);
	return bad;
}

/* An index walked as the plain B-tree it is: key -> a record's hash. */
static int
walk_secondary(struct ctx *c, DB *db, const char *name, enum index_of of,
    size_t *count)
{
	unsigned char	 hash[TOK_HASH_LEN];
	struct entchk	 e;
	DBC		*cur;
	DBT		 k, d;
	int		 rc, bad;

	if ((rc = db->cursor(db, NULL, &cur, 0)) != 0)
		return rc;
	dbt_set(&k, NULL, 0);
	dbt_set(&d, NULL, 0);
	while ((rc = cur->get(cur, &k, &d, DB_NEXT)) == 0) {
		if (count != NULL)
			(*count)++;
		if (d.size != TOK_HASH_LEN) {
			problem(c, NULL, "%s: an entry of a %u-byte hash", name,
			    d.size);
			continue;
		}
		memcpy(hash, d.data, TOK_HASH_LEN);
		memset(&e, 0, sizeof(e));
		e.of = of;
		if (of == OF_ID && k.size == UUID_LEN)
			memcpy(e.id, k.data, UUID_LEN);
		if ((bad = entry_fn(c, NULL, hash, &k, &e)) != 0)
			bad = recheck(c, entry_fn, hash, &k, &e);
		if (bad == P_GONE)
			problem(c, of == OF_ID ? e.id : NULL, "in %s, but no "
			    "such record", name);
		else if (bad == P_WRONG)
			problem(c, e.id, "in %s under a key its record lacks",
			    name);
		else if (bad == -1)
			problem(c, e.id, "in %s, could not be read", name);
	}
	return cursor_end(cur, rc);
}

/* Is the list key (ending with the token's id) one of the token's lists? */
static int
list_entry_fn(struct ctx *c, DB_TXN *txn, const unsigned char *id,
    const DBT *key, void *unused)
{
	DBT	 k, d, keys[LIST_KEYS];
	size_t	 n = 0, i;
	int	 rc, bad = P_WRONG;

	(void)unused;
	dbt_set(&k, id, UUID_LEN);
	dbt_set(&d, NULL, 0);
	d.flags = DB_DBT_MALLOC;
	if ((rc = c->st->byid->get(c->st->byid, txn, &k, &d, 0)) != 0)
		return rc == DB_NOTFOUND ? P_GONE : -1;
	if (store_list_keys(id, d.data, d.size, keys, &n) == 0)
		for (i = 0; i < n; i++)
			if (keys[i].size == key->size &&
			    memcmp(keys[i].data, key->data, key->size) == 0)
				bad = 0;
	store_keys_free(keys, n);
	free(d.data);
	return bad;
}

/*
 * The list index: each key names a token whose lists it is, and the
 * counted tree numbers the keys 1, 2, ... in order (what a list's total
 * and a page's offset are read from).
 */
static int
walk_lists(struct ctx *c)
{
	DB_BTREE_STAT	*bs;
	DBC		*cur;
	DBT		 k, d, rd;
	db_recno_t	 rn = 0, want = 0;
	unsigned char	 id[UUID_LEN];
	int		 rc, bad, mark = 0;

	if ((rc = c->st->lists->cursor(c->st->lists, NULL, &cur, 0)) != 0)
		return rc;
	dbt_set(&k, NULL, 0);
	dbt_set(&d, NULL, 0);
	d.flags = DB_DBT_PARTIAL;
	while ((rc = cur->get(cur, &k, &d, DB_NEXT)) == 0) {
		want++;
		dbt_set(&rd, &rn, sizeof(rn));
		rd.ulen = sizeof(rn);
		rd.flags = DB_DBT_USERMEM;
		if ((rc = cur->get(cur, &k, &rd, DB_GET_RECNO)) != 0)
			break;
		if (rn != want) {
			problem(c, NULL, LISTS_DB ": key %lu is numbered %lu",
			    (unsigned long)want, (unsigned long)rn);
			want = rn;
		}
		if (k.size >= 1 && ((unsigned char *)k.data)[0] == '\001') {
			mark = 1;	/* the version mark */
			continue;
		}
		c->v->list_keys++;
		if (k.size < 1 + UUID_LEN) {
			problem(c, NULL, LISTS_DB ": a key of %u bytes",
			    k.size);
			continue;
		}
		memcpy(id, (unsigned char *)k.data + k.size - UUID_LEN,
		    UUID_LEN);
		if ((bad = list_entry_fn(c, NULL, id, &k, NULL)) != 0)
			bad = recheck(c, list_entry_fn, id, &k, NULL);
		if (bad == P_GONE)
			problem(c, id, "in a list (tokens-list.db), but no "
			    "such token");
		else if (bad == P_WRONG)
			problem(c, id, "in a list (tokens-list.db) it is not "
			    "in");
		else if (bad == -1)
			problem(c, id, "in a list, could not be read");
	}
	if ((rc = cursor_end(cur, rc)) != 0)
		return rc;
	if (!mark)
		problem(c, NULL, LISTS_DB ": no version mark");
	/* The tree's own count of its keys. */
	if ((rc = c->st->lists->stat(c->st->lists, NULL, &bs,
	    DB_FAST_STAT)) != 0)
		return rc;
	if (bs->bt_nkeys != want)
		problem(c, NULL, LISTS_DB " counts %lu keys, holds %lu",
		    (unsigned long)bs->bt_nkeys, (unsigned long)want);
	free(bs);
	return 0;
}

/* ---- Berkeley DB's own check of each file ---- */

/*
 * As the files are on disk after a checkpoint, in a private cache: a
 * verification in the shared environment would leave its handles' locks
 * there.  Pages a writer changes meanwhile may read as damage: a quiet
 * store is the one to verify.
 */
static void
verify_files(struct ctx *c)
{
	static const char *const files[] = { STORE_DBS };
	DB_ENV	*env;
	DB	*db;
	size_t	 i;
	int	 rc;

	if ((rc = c->st->env->txn_checkpoint(c->st->env, 0, 0,
	    DB_FORCE)) != 0 || (rc = db_env_create(&env, 0)) != 0) {
		problem(c, NULL, "verification: %s", db_strerror(rc));
		return;
	}
	if ((rc = env->open(env, c->st->home, DB_CREATE | DB_INIT_MPOOL |
	    DB_PRIVATE, 0)) != 0) {
		problem(c, NULL, "verification: %s", db_strerror(rc));
		env->close(env, 0);
		return;
	}
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if ((rc = db_create(&db, env, 0)) == 0)
			/* The handle is gone after verify, whatever it says. */
			rc = db->verify(db, files[i], NULL, NULL, 0);
		c->v->files++;
		if (rc != 0)
			problem(c, NULL, "%s: Berkeley DB's verification "
			    "failed: %s", files[i], db_strerror(rc));
	}
	env->close(env, 0);
}

/*
 * A second handle on an index, not associated with records.db: its entries
 * as stored, so that one whose token is missing reads as such.
 */
static int
raw_open(struct store *st, DB **db, const char *file, u_int32_t flags)
{
	int	 rc;

	if ((rc = db_create(db, st->env, 0)) != 0)
		return rc;
	if ((rc = (*db)->set_flags(*db, flags)) != 0 ||
	    (rc = (*db)->open(*db, NULL, file, NULL, DB_BTREE,
	    DB_RDONLY | DB_AUTO_COMMIT, 0)) != 0) {
		(*db)->close(*db, 0);
		*db = NULL;
	}
	return rc;
}

enum store_err
store_verify(struct store *st, struct store_verify *v)
{
	struct ctx	 c;
	int		 rc;

	memset(&c, 0, sizeof(c));
	c.st = st;
	c.v = v;
	if ((rc = store_uses(st, DBS_ALL)) == 0 &&
	    (rc = raw_open(st, &c.ids, ID_DB, 0)) == 0 &&
	    (rc = raw_open(st, &c.prev, PREV_DB, 0)) == 0 &&
	    (rc = raw_open(st, &c.parent, PARENT_DB,
	    DB_DUP | DB_DUPSORT)) == 0 &&
	    (rc = walk_audit(&c)) == 0 && (rc = walk_tokens(&c)) == 0 &&
	    (rc = walk_secondary(&c, c.ids, ID_DB, OF_ID,
	    NULL)) == 0 &&
	    (rc = walk_secondary(&c, c.prev, PREV_DB, OF_PREV,
	    &v->hashes)) == 0 &&
	    (rc = walk_secondary(&c, c.parent, PARENT_DB, OF_PARENT,
	    &v->parents)) == 0)
		rc = walk_lists(&c);
	if (rc == 0 && v->list_keys != v->list_keys_expected)
		problem(&c, NULL, "the tokens are in %zu lists in all, the "
		    "list index holds %zu keys", v->list_keys_expected,
		    v->list_keys);
	if (c.ids != NULL)
		c.ids->close(c.ids, 0);
	if (c.prev != NULL)
		c.prev->close(c.prev, 0);
	if (c.parent != NULL)
		c.parent->close(c.parent, 0);
	if (rc == 0 && v->files_too)
		verify_files(&c);
	free(c.ev.created);
	free(c.ev.revoked);
	free(c.ev.loads);
	if (rc == DB_NOTFOUND)
		rc = 0;
	return rc == 0 ? STORE_OK : rc == DB_LOCK_DEADLOCK ||
	    rc == DB_LOCK_NOTGRANTED ? STORE_BUSY : STORE_FATAL;
}
