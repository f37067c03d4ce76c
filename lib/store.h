/* store: the Berkeley DB environment shared by every worker, token records, their hash index, the audit log. */
#ifndef KH_STORE_H
#define KH_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "token.h"

enum store_err {
	STORE_OK = 0,
	STORE_NOTFOUND,		/* no such record */
	STORE_EXISTS,		/* key already present */
	STORE_BUSY,		/* still deadlocked after retries: try again later */
	STORE_CORRUPT,		/* a record that does not decode */
	STORE_FATAL,		/* environment panicked or failed: this process must exit */
	STORE__MAX
};

enum tok_kind {
	KIND_STANDARD = 0,
	KIND_ENROLLMENT,
	KIND__MAX
};

enum tok_format {
	FORMAT_OPAQUE = 0,
	FORMAT_JWT,
	FORMAT__MAX
};

/*
 * One token as stored (schema/storage.md).  Times are Unix seconds, 0 for
 * none.  The secret itself is never here: only its keyed hash.
 */
struct tok_rec {
	unsigned char	 id[UUID_LEN];
	unsigned char	 hash[TOK_HASH_LEN];
	unsigned char	 created_by[UUID_LEN];	/* all zero: minted by keyholectl */
	int64_t		 created_at;
	int64_t		 starts_at;
	int64_t		 expires_at;
	int64_t		 last_used_at;
	int64_t		 revoked_at;
	int64_t		 uses_left;		/* -1: unlimited */
	enum tok_kind	 kind;
	enum tok_format	 format;
	char		 hint[TOK_HINT_LEN + 1];
	struct buf	 name;
	struct buf	 description;
	struct buf	 organization;	/* empty: every organization */
	struct buf	 subject;
	struct buf	 scopes;	/* space-separated, sorted, unique */
	struct buf	 metadata;	/* a JSON object's text; empty: {} */
};

void	 tok_rec_init(struct tok_rec *);
void	 tok_rec_free(struct tok_rec *);

/* An audit entry; strings may be NULL. */
struct audit_ev {
	int64_t			 at;
	const char		*event;		/* "token.created", "token.revoked", ... */
	const unsigned char	*actor;		/* UUID_LEN bytes, or NULL */
	const unsigned char	*target;	/* UUID_LEN bytes, or NULL */
	const char		*organization;
	const char		*address;
	const char		*detail;
};

#define KEYHOLE_KEYFILE	"hash.key"	/* the hashing key, beside the databases */

struct store;

/*
 * Opens (and with create, first makes) the store under home.  Every
 * process calls this once; it joins the shared environment, running
 * failure checks or recovery as needed (schema/storage.md).  On failure
 * returns non-OK with a reason in err.
 */
enum store_err	 store_open(struct store **, const char *home, int create,
		    char *err, size_t errsz);
void		 store_close(struct store *);
/* The key under which secrets are hashed (loaded at open). */
const unsigned char *store_hashkey(const struct store *);
/* Cheap; at most once a second runs failchk and lock detection. */
enum store_err	 store_maintain(struct store *);
/* Writes a checkpoint and removes logs no longer needed. */
enum store_err	 store_checkpoint(struct store *);
/* Did the environment fail (panic, run-recovery)? Then the process must exit. */
int		 store_dead(const struct store *);
/*
 * Did this process join a recovered environment?  It then holds the old
 * one's memory; a long-lived worker should exit after the request.
 */
int		 store_reopened(const struct store *);

/* Inserts a new token and its audit entry in one durable transaction. */
enum store_err	 store_insert(struct store *, const struct tok_rec *,
		    const struct audit_ev *);
enum store_err	 store_get(struct store *, const unsigned char id[UUID_LEN],
		    struct tok_rec *);
enum store_err	 store_get_by_hash(struct store *,
		    const unsigned char hash[TOK_HASH_LEN], struct tok_rec *);

/*
 * Read-modify-write of one token under a write lock.  fn changes the
 * record and returns 1 to write it back, 0 to leave it, or -1 to fail
 * (STORE_OK is still returned; fn reports through arg).  The audit
 * entry, if given, is written only when the record is.  fn may run more
 * than once (deadlock retries), so it must not keep side effects.
 */
typedef int	(*store_modify_fn)(struct tok_rec *, void *);
enum store_err	 store_modify(struct store *, const unsigned char id[UUID_LEN],
		    store_modify_fn, void *, const struct audit_ev *);

/*
 * Tokens in id (creation) order, starting after `after` (NULL: from the
 * first), those for which match() is true (NULL: all), at most max of
 * them, into recs (caller-owned array of max initialised records).
 * Sets *n to the count, and *more when the listing may go on after
 * last, the id of the last record it consumed (the cursor to resume
 * from).  scanmax bounds the records examined, so a filter cannot walk a
 * huge store in one request; *more is then also set.
 */
typedef int	(*store_match_fn)(const struct tok_rec *, void *);
enum store_err	 store_list(struct store *, const unsigned char *after,
		    store_match_fn, void *, struct tok_rec *recs, size_t max,
		    size_t scanmax, size_t *n, int *more,
		    unsigned char last[UUID_LEN]);

/* Appends an audit entry in its own durable transaction. */
enum store_err	 store_audit(struct store *, const struct audit_ev *);

/* Bulk load for benchmarks and imports: no per-commit sync, checkpoint at the end. */
enum store_err	 store_bulk_begin(struct store *);
enum store_err	 store_bulk_end(struct store *);

/* Record codec, exposed for tests and the admin tool. */
void		 rec_encode(const struct tok_rec *, struct buf *);
int		 rec_decode(const void *, size_t, struct tok_rec *);

const char	*store_strerror(enum store_err);

#endif
