/* store_impl: what the store's files (store.c, store_tokens.c, store_audit.c) share and nothing else sees. */
#ifndef KH_STORE_IMPL_H
#define KH_STORE_IMPL_H

#include <stddef.h>
#include <string.h>
#include <time.h>

#include <db.h>

#include "policy.h"
#include "record.h"
#include "store.h"

struct store {
	DB_ENV		*env;
	DB		*records;	/* keyed hash -> record (stored: the id in it) */
	DB		*byid;		/* id -> hash (secondary of records) */
	DB		*byprev;	/* previous hash, in a grace -> hash (secondary) */
	DB		*byparent;	/* created_by -> hashes (secondary, duplicates) */
	DB		*lists;		/* list keys, counted (store_lists_update) */
	DB		*audit;		/* event id (UUIDv7) -> audit record */
	unsigned char	 key[TOK_KEY_LEN];
	char		*home;
	time_t		 last_maint;
	int		 dead;		/* unusable: the process must exit */
	int		 reopened;	/* joined a recovered environment */
	int		 join_fd;	/* JOIN_LOCK, open for the process's life */
	int		 ckp_fd;	/* CKP_LOCK, opened at the first checkpoint */
	int		 wrote;		/* since the last store_after */
	unsigned	 open;		/* DBS_*: the databases open */
	int		 create;	/* store_open is making the store */
	int		 bulk;
	DB_TXN		*bulk_txn;	/* a bulk load commits in batches */
	unsigned	 bulk_n;
};

/* The database files (schema/storage.md). */
#define RECORDS_DB	STORE_RECORDS_FILE	/* keyed hash -> record */
#define ID_DB		"records-id.db"		/* its indexes, by Berkeley DB */
#define PREV_DB		"records-prev.db"
#define PARENT_DB	"records-parent.db"
#define LISTS_DB	"tokens-list.db"	/* kept by keyhole */
#define AUDIT_DB	"audit.db"
/* Every one, for those that take them all (verify, backup). */
#define STORE_DBS	RECORDS_DB, ID_DB, PREV_DB, PARENT_DB, LISTS_DB, AUDIT_DB
/* Before records.db: records by id, found through the other two. */
#define OLD_RECORDS_DB	STORE_OLD_RECORDS_FILE
#define OLD_HASH_DB	"tokens-hash.db"
#define OLD_PARENT_DB	"tokens-parent.db"

/* A transaction's work: returns a Berkeley DB code; may run more than once. */
typedef int	(*txn_fn)(struct store *, DB_TXN *, void *);

#define RUN_READ	0
#define RUN_WRITE	1
#define RUN_LAZY	2	/* a write whose commit need not wait for the disk */

/* The databases, as store_run's and store_uses' masks say which. */
#define DBS_RECORDS	0x01
#define DBS_BYID	0x02
#define DBS_BYPREV	0x04
#define DBS_BYPARENT	0x08
#define DBS_LISTS	0x10
#define DBS_AUDIT	0x20
#define DBS_ALL		0x3f

/*
 * Runs fn in a transaction (or, for plain reads, without one), retrying
 * deadlocks and lock timeouts with jitter (store.c).  A read uses the
 * databases in uses; a write may use them all.
 */
enum store_err	 store_run(struct store *, txn_fn, void *, int write,
		    unsigned uses);
/* Opens the databases in mask not open yet: a Berkeley DB code. */
int		 store_uses(struct store *, unsigned mask);
/*
 * Keeps the lists in step with token id's record written within txn:
 * old and new are its encoded record before and after (NULL: none).
 */
int		 store_lists_update(struct store *, DB_TXN *,
		    const unsigned char *id, const void *old, size_t oldlen,
		    const void *new, size_t newlen);
/*
 * The keys of the lists the token id with record rec is in (at most
 * LIST_KEYS), into keys; freed by store_keys_free.
 */
#define LIST_KEYS	(2 * BINDINGS_MAX + 7)
int		 store_list_keys(const unsigned char *id, const void *rec,
		    size_t reclen, DBT *keys, size_t *nkeys);
void		 store_keys_free(DBT *keys, size_t n);
/* Decodes an audit record: 0, or -1 when it is not one. */
int		 store_audit_decode(const void *, size_t, struct audit_rec *);
/* Appends an audit entry within txn: a Berkeley DB code (store_audit.c). */
int		 store_audit_put(struct store *, DB_TXN *,
		    const struct audit_ev *);

/*
 * The watchdog over each stay inside Berkeley DB (store_watch.c): tells
 * a process stuck there from a slow one, times and logs slow stays.
 */
void		 watch_init(const char *home);
/* A stay of this kind begins: bounded by secs (0: KEYHOLE_STUCK_SECS). */
void		 watch_begin(const char *kind, int secs);
void		 watch_end(void);
/* The bound off for a while (building the lists), until watch_begin. */
void		 watch_pause(void);
/* Waiting for a turn (on) at most secs: then the wait ends with EINTR. */
void		 watch_queue(int on, int secs);
void		 watch_joined(void);
int		 watch_replaced(void);
int		 watch_io_wait(time_t began);
/* Has a stuck process asked the next open for a full recovery? */
int		 watch_recover_asked(void);
void		 watch_recovered(void);
void		 watch_reap(void);
void		 watch_leave(void);
/* Expires lock waits past timeout_ms while a stay is older (NULL: stop). */
void		 watch_detector(DB_ENV *, uint64_t timeout_ms);

/* Points d at n bytes at p, every other member cleared. */
static inline void
dbt_set(DBT *d, const void *p, size_t n)
{
	memset(d, 0, sizeof(*d));
	d->data = (void *)p;
	d->size = (u_int32_t)n;
}

/*
 * Decodes a record of records.db: its key pk (the hash) and its data d
 * (which holds the id).  0, or -1 when it is not one.
 */
static inline int
rec_load(const DBT *pk, const DBT *d, struct tok_rec *r)
{
	if (pk->size != TOK_HASH_LEN || d->size < 1 ||
	    *(const unsigned char *)d->data != REC_STORED ||
	    rec_decode(d->data, d->size, r) == -1)
		return -1;
	memcpy(r->hash, pk->data, TOK_HASH_LEN);
	return 0;
}

/* rec_field() over a record in a DBT. */
static inline const unsigned char *
dbt_field(const DBT *data, int tag, size_t *len)
{
	return rec_field(data->data, data->size, tag, len);
}

/* Closes a cursor at the end of a walk: its error, or the close's. */
static inline int
cursor_end(DBC *c, int rc)
{
	int	 crc = c->close(c);

	if (rc == DB_NOTFOUND)
		rc = 0;
	return rc != 0 ? rc : crc;
}

#endif
