/* record: the token record's tag-length-value encoding, for the store's files only (rec_encode/rec_decode are in store.h). */
#ifndef KH_RECORD_H
#define KH_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/*
 * Record field tags (schema/storage.md); unknown tags are skipped on
 * read.  Written in this order, each at most once.
 */
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
	T_TREE_REVOKED,
	T__MAX
};

/* A record as records.db stores it: the id after the version byte, the hash its key. */
#define REC_STORED	2

/* The tag-length-value primitives, shared with the audit log's codec. */
void	 rec_put_field(struct buf *, int tag, const void *, size_t);
void	 rec_put_int(struct buf *, int tag, uint64_t);
/*
 * Reads the field at *p, before end, moving *p past it: its tag, its
 * bytes *v and their *len.  0, or -1 if it does not fit.
 */
int	 rec_get_field(const unsigned char **p, const unsigned char *end,
	    int *tag, const unsigned char **v, size_t *len);
/* Reads a varint at *p, before end, moving *p past it: 0, or -1 if it does not end. */
int	 rec_get_varint(const unsigned char **p, const unsigned char *end,
	    uint64_t *);

/*
 * Finds field tag of an encoded record without decoding it all (the
 * index callbacks): its bytes and *len, or NULL when absent or when the
 * record does not parse up to it.
 */
const unsigned char *rec_field(const void *, size_t, int tag, size_t *len);

#endif
