/* store_audit: the audit log: its entries' encoding, appending, trimming and listing them. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <db.h>

#include "store.h"
#include "store_impl.h"

#define AUDIT_VERSION	1
#define TRIM_BATCH	1000	/* audit entries deleted per transaction */

/* Audit entry field tags (schema/storage.md); unknown ones are skipped on read. */
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

static void		 audit_encode(const struct audit_ev *, struct buf *);
static int		 audit_fn(struct store *, DB_TXN *, void *);
static int		 trim_fn(struct store *, DB_TXN *, void *);
static int		 audit_list_fn(struct store *, DB_TXN *, void *);

static void
audit_encode(const struct audit_ev *ev, struct buf *b)
{
	buf_reset(b);
	buf_putc(b, AUDIT_VERSION);
	rec_put_int(b, A_AT, (uint64_t)ev->at);
	if (ev->event != NULL)
		rec_put_field(b, A_EVENT, ev->event, strlen(ev->event));
	if (ev->actor != NULL)
		rec_put_field(b, A_ACTOR, ev->actor, UUID_LEN);
	if (ev->target != NULL)
		rec_put_field(b, A_TARGET, ev->target, UUID_LEN);
	if (ev->organization != NULL && *ev->organization != '\0')
		rec_put_field(b, A_ORGANIZATION, ev->organization,
		    strlen(ev->organization));
	if (ev->address != NULL && *ev->address != '\0')
		rec_put_field(b, A_ADDRESS, ev->address, strlen(ev->address));
	if (ev->detail != NULL && *ev->detail != '\0')
		rec_put_field(b, A_DETAIL, ev->detail, strlen(ev->detail));
}

int
store_audit_decode(const void *data, size_t len, struct audit_rec *r)
{
	const unsigned char	*p = data, *end = p + len, *v;
	uint64_t		 iv;
	size_t			 n;
	int			 tag;
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
		if (rec_get_field(&p, end, &tag, &v, &n) == -1)
			return -1;
		s = NULL;
		switch (tag) {
		case A_AT:
			if (rec_get_varint(&v, v + n, &iv) == -1 ||
			    iv > INT64_MAX)
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

int
store_audit_put(struct store *st, DB_TXN *txn, const struct audit_ev *ev)
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

static int
audit_fn(struct store *st, DB_TXN *txn, void *arg)
{
	return store_audit_put(st, txn, arg);
}

enum store_err
store_audit(struct store *st, const struct audit_ev *ev)
{
	return store_run(st, audit_fn, (void *)ev, RUN_WRITE, DBS_ALL);
}

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
		if ((e = store_run(st, trim_fn, &a, RUN_WRITE, DBS_ALL)) != STORE_OK)
			return e;
		*count += a.n;
	} while (a.more);
	return STORE_OK;
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
		if (store_audit_decode(d.data, d.size, &t) == -1) {
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
	e = store_run(st, audit_list_fn, &a, RUN_READ, DBS_AUDIT);
	*n = a.n;
	*more = a.more;
	memcpy(last, a.last, UUID_LEN);
	return e;
}
