/* store: the Berkeley DB environment shared by every worker, token records, their hash index, the audit log. */
#ifndef KH_STORE_H
#define KH_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "token.h"

enum store_err {
	STORE_OK = 0,
	STORE_NOTFOUND,		/* no such record */
	STORE_EXISTS,		/* key already present */
	STORE_TAKEN,		/* a unique list already holds a token (store_insert_unique) */
	STORE_BUSY,		/* still deadlocked after retries: try again later */
	STORE_CORRUPT,		/* a record that does not decode */
	STORE_FULL,		/* the disk refused a write (full, read-only): nothing written */
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
	int64_t		 use_count;
	int64_t		 updated_at;
	int64_t		 rotated_at;
	int64_t		 rotations;
	int64_t		 grace_until;		/* the previous secret works until then */
	int64_t		 grant_expires_at;	/* enrollment: latest expiry it may give */
	int64_t		 grant_uses;		/* enrollment: most uses it may give; -1 any */
	int64_t		 tree_revoked_at;	/* a cascade revoked it and all below */
	int		 has_prev;		/* prev_hash is set (and indexed) */
	int		 via_previous;		/* not stored: found by its previous secret */
	unsigned char	 auth_hash[TOK_HASH_LEN];	/* not stored: the hash it was found by */
	unsigned char	 prev_hash[TOK_HASH_LEN];
	enum tok_kind	 kind;
	enum tok_format	 format;
	char		 hint[TOK_HINT_LEN + 1];
	char		 prev_hint[TOK_HINT_LEN + 1];
	char		 prefix[TOK_PREFIX_MAX + 1];	/* its secrets'; "": KEYHOLE_PREFIX */
	struct buf	 name;
	struct buf	 description;
	struct buf	 organization;	/* empty: every organization */
	struct buf	 entity;	/* where it acts; empty: the organization */
	struct buf	 bindings;	/* "ROLE@entity ...", sorted, unique */
	struct buf	 direct;	/* scopes given directly, at the entity */
	struct buf	 subject;
	struct buf	 scopes;	/* effective: direct plus the bindings' */
	struct buf	 metadata;	/* a JSON object's text; empty: {} */
	struct buf	 last_address;
	struct buf	 last_agent;
	struct buf	 fence;		/* ids (UUID_LEN each) it may never change */
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
/* The records, of this layout and of the one before it (a store holds either). */
#define STORE_RECORDS_FILE	"records.db"
#define STORE_OLD_RECORDS_FILE	"tokens.db"

struct store;

/*
 * Opens (and with STORE_CREATE, first makes) the store under home.  Every
 * process calls this once; it joins the shared environment, running
 * failure checks or recovery as needed (schema/storage.md).  With
 * STORE_ON_DEMAND a database is opened only once an operation uses it
 * (a plain CGI process, which serves one request).  On failure returns
 * non-OK with a reason in err.
 */
#define STORE_CREATE	0x1
#define STORE_ON_DEMAND	0x2
enum store_err	 store_open(struct store **, const char *home, int flags,
		    char *err, size_t errsz);
void		 store_close(struct store *);
/* The key under which secrets are hashed (loaded at open). */
const unsigned char *store_hashkey(const struct store *);
/* The store's directory. */
const char	*store_home(const struct store *);
/* Cheap; at most once a second runs failchk and lock detection. */
enum store_err	 store_maintain(struct store *);
/* After a request's answer is sent: a checkpoint when one is due. */
void		 store_after(struct store *);
/* Writes a checkpoint and removes logs no longer needed. */
enum store_err	 store_checkpoint(struct store *);
/* Did the environment fail (panic, run-recovery)? Then the process must exit. */
int		 store_dead(const struct store *);
/*
 * How many times this process joined a recovered environment: it holds
 * the old ones' memory, so a long-lived worker starts afresh after many.
 */
int		 store_reopened(const struct store *);

/*
 * Changes a record read for writing: 1 to write it back (with the audit
 * entry, if any), 2 to write it back without one, 0 to leave it, -1 to
 * refuse (where the caller says so).
 */
typedef int	(*store_modify_fn)(struct tok_rec *, void *);
typedef int	(*store_match_fn)(const struct tok_rec *, void *);

/*
 * Inserts a new token and its audit entry in one durable transaction.
 * With guard, the token rec->created_by is read in the same transaction
 * (locked for writing) and passed to guard, which returns 1 to write it
 * back changed (a spent use), 0 to leave it, -1 to refuse the insert
 * (STORE_OK is still returned; guard reports through arg).  So a minter
 * revoked, or an enrollment used up, meanwhile cannot mint.
 */
enum store_err	 store_insert(struct store *, const struct tok_rec *,
		    const struct audit_ev *, store_modify_fn guard, void *arg);
/*
 * The same, refused with STORE_TAKEN when the list unique->prefix holds a
 * token unique->match keeps: checked in the insert's transaction, so two
 * inserts cannot both pass (a name one subject may have once).
 */
struct list_at;
enum store_err	 store_insert_unique(struct store *, const struct tok_rec *,
		    const struct audit_ev *, store_modify_fn guard, void *arg,
		    const struct list_at *unique);
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
 * STORE_LAZY: the commit does not wait for the disk (last-used times).
 */
#define STORE_LAZY	0x1
enum store_err	 store_modify(struct store *, const unsigned char id[UUID_LEN],
		    store_modify_fn, void *, const struct audit_ev *, int flags);
/*
 * A guard: the token guard_id, read in the same transaction under a write
 * lock before the record it guards, and passed to fn; fn returns -1 to
 * refuse the write (STORE_OK is still returned), 0 to go on.  So a
 * caller revoked, expired or rotated meanwhile cannot act.
 */
struct store_guard {
	const unsigned char	*id;
	store_modify_fn		 fn;
	void			*arg;
};
/* store_modify with a guard (NULL: none). */
enum store_err	 store_modify_guarded(struct store *,
		    const unsigned char id[UUID_LEN], store_modify_fn, void *,
		    const struct audit_ev *, const struct store_guard *);
/*
 * The same over n ids (n * UUID_LEN bytes) in one transaction; the audit
 * entry is written for each record written, with that record as target.
 * Unknown ids are skipped.
 */
enum store_err	 store_modify_many(struct store *, const unsigned char *ids,
		    size_t n, store_modify_fn, void *, const struct audit_ev *);
/*
 * store_modify_many, each token only if every token it minted is done(),
 * as read in the same transaction (a cascade's post-order: so a token
 * changed has its whole subtree changed).  *held counts those left.
 */
enum store_err	 store_modify_leaves(struct store *, const unsigned char *ids,
		    size_t n, store_modify_fn, void *, store_match_fn done,
		    void *donearg, const struct audit_ev *, size_t *held);
/* Deletes n tokens in one transaction, each with its audit entry. */
enum store_err	 store_delete_many(struct store *, const unsigned char *ids,
		    size_t n, const struct audit_ev *);
/*
 * Appends to ids (UUID_LEN bytes each) the tokens minted by parent, at
 * most max in all (ids->len / UUID_LEN counts them); *more if cut short.
 */
enum store_err	 store_children(struct store *, const unsigned char parent[UUID_LEN],
		    struct buf *ids, size_t max, int *more);

/*
 * Tokens in id (creation) order, starting after `after` (NULL: from the
 * first), those for which match() is true (NULL: all), at most max of
 * them, into recs (caller-owned array of max initialised records).
 * Sets *n to the count, and *more when the listing may go on after
 * last, the id of the last record it consumed (the cursor to resume
 * from).  scanmax bounds the records examined, so a filter cannot walk a
 * huge store in one request; *more is then also set.
 */
enum store_err	 store_list(struct store *, const unsigned char *after,
		    store_match_fn, void *, struct tok_rec *recs, size_t max,
		    size_t scanmax, size_t *n, int *more,
		    unsigned char last[UUID_LEN]);

/*
 * The lists of tokens (tokens-list.db): each a key prefix under which
 * its tokens are, oldest first, in a counted B-tree; revoked tokens are
 * in LIST_ORG_ALL only.
 */
enum list_kind {
	LIST_ORG = 'o',		/* organization: every token of it */
	LIST_ORG_ALL = 'O',	/* organization: the same, revoked ones too */
	LIST_ORG_LEVEL = 'a',	/* organization: those acting at it as a whole */
	LIST_ENTITY = 'e',	/* organization, entity: acting or bound there */
	LIST_ACTING = 'x',	/* organization, entity: acting there */
	LIST_SUBJECT = 's',	/* organization, subject: the tokens speaking for it */
	LIST_NAME = 'n',	/* organization, subject, name: its tokens of that name */
};
/* A list's key prefix into buf: its organization, then a and b as the kind has them (else NULL). */
void		 store_list_key(struct buf *buf, enum list_kind, const char *org,
		    const char *a, const char *b);
/*
 * Where a page of a list starts, and which of its tokens it keeps: from
 * offset tokens in (newest first with desc), or just after (before, with
 * desc) the token from; those for which match() is true (NULL: all),
 * looking at scanmax tokens at most (0: no bound).
 */
struct list_at {
	const struct buf	*prefix;	/* store_list_key */
	size_t			 offset;
	const unsigned char	*from;
	int			 desc;
	store_match_fn		 match;
	void			*matcharg;
	size_t			 scanmax;
};
/* What a page came to. */
struct list_got {
	size_t		 n;
	size_t		 total;		/* the list's exact size */
	int		 more;		/* the page stops short of its end */
	unsigned char	 last[UUID_LEN];	/* the last token looked at */
};
/*
 * One page of a list: up to max records into recs.  The list's size and
 * the page's start cost a B-tree descent each, whatever the offset.
 */
enum store_err	 store_list_page(struct store *, const struct list_at *,
		    struct tok_rec *recs, size_t max, struct list_got *);

/* Appends an audit entry in its own durable transaction. */
enum store_err	 store_audit(struct store *, const struct audit_ev *);
/*
 * Deletes audit entries older than cutoff, oldest first, in batches;
 * *count says how many.
 */
enum store_err	 store_audit_trim(struct store *, int64_t cutoff, size_t *count);

/* An audit entry as read back. */
struct audit_rec {
	unsigned char	 id[UUID_LEN];		/* UUIDv7: key order is time order */
	int64_t		 at;
	int		 has_actor, has_target;
	unsigned char	 actor[UUID_LEN];
	unsigned char	 target[UUID_LEN];
	struct buf	 event;
	struct buf	 organization;
	struct buf	 address;
	struct buf	 detail;
};

void		 audit_rec_init(struct audit_rec *);
void		 audit_rec_free(struct audit_rec *);
typedef int	(*audit_match_fn)(const struct audit_rec *, void *);
/*
 * Audit entries in time order (newest first with desc), after the entry
 * after (NULL: from the start), like store_list.
 */
enum store_err	 store_audit_list(struct store *, const unsigned char *after,
		    int desc, audit_match_fn, void *, struct audit_rec *recs,
		    size_t max, size_t scanmax, size_t *n, int *more,
		    unsigned char last[UUID_LEN]);

/*
 * The store's invariants (store_verify.c): each problem is counted, and
 * written as a line to out (NULL: none).  STORE_OK when the walk ran,
 * whatever it found.
 */
struct store_verify {
	FILE	*out;
	int	 files_too;	/* Berkeley DB's own verification of each file */
	size_t	 tokens, hashes, parents, list_keys, list_keys_expected;
	size_t	 audit, files, problems;
	struct {			/* the audit log's entries by event */
		char	 event[32];
		size_t	 n;
	}	 events[16];
};
enum store_err	 store_verify(struct store *, struct store_verify *);

/*
 * A consistent copy of the store into dir (missing or empty) while it
 * serves: every write acknowledged before the call is in it.  And back:
 * a backup's files into home (missing or empty), recovered, ready to
 * open (store_backup.c).
 */
enum store_err	 store_backup(struct store *, const char *dir, char *err,
		    size_t errsz);
enum store_err	 store_restore(const char *from, const char *home, char *err,
		    size_t errsz);

/* Bulk load for benchmarks and imports: no per-commit sync, checkpoint at the end. */
enum store_err	 store_bulk_begin(struct store *);
enum store_err	 store_bulk_end(struct store *);

/* Record codec, exposed for tests and the admin tool. */
void		 rec_encode(const struct tok_rec *, struct buf *);
void		 rec_encode_stored(const struct tok_rec *, struct buf *);
int		 rec_decode(const void *, size_t, struct tok_rec *);

const char	*store_strerror(enum store_err);

#endif
