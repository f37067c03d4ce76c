/*
 * GET /v1/audit — the audit trail, newest first, never a secret.
 * Needs audit:read held at the organization (a token bound to a
 * workspace, group or deployment cannot read it); a caller bound to an
 * organization reads only its organization's entries.  Query: limit (1..1000, default 50), cursor
 * (from next_cursor), event, target, actor (token ids), since, until
 * (RFC 3339), order (desc, asc).
 * 200 {"events": [{id, at, event, actor, target, organization, address,
 * detail}], "next_cursor": "..." | null}.
 */
#include "keyhole.h"

static void
audit(struct req *r)
{
	struct tok_rec	 caller;
	struct audit_query q;
	struct audit_rec *recs = NULL;
	struct buf	 out = BUF_INIT;
	struct jsonw	 w;
	unsigned char	 last[UUID_LEN];
	char		 next[UUID_STRLEN + 1];
	size_t		 i, n = 0;
	int		 more;
	enum store_err	 e;

	tok_rec_init(&caller);
	audit_query_init(&q);
	if (!api_caller(r, SCOPE_AUDIT_READ, &caller))
		goto done;
	/* The trail is the organization's: not for a narrower token. */
	if (!policy_allows_at(&caller, ENTITY_ORG, SCOPE_AUDIT_READ)) {
		tokens_audit_refused(r->store, "audit:read not held at the "
		    "organization", &caller, NULL, r->now, r->remote_addr);
		problem_send(r, 403, "The audit trail is read with audit:read "
		    "held at the organization.");
		goto done;
	}
	if (!api_audit_query(r, &caller, &q))
		goto done;
	recs = audit_recs_new(q.limit);
	if ((e = tokens_audit_list(r->store, &q, recs, &n, &more, last)) !=
	    STORE_OK) {
		api_store_error(r, e);
		goto done;
	}
	jw_init(&w, &out);
	jw_obj_open(&w, NULL);
	jw_arr_open(&w, "events");
	for (i = 0; i < n; i++) {
		jw_obj_open(&w, NULL);
		tokens_audit_json(&w, &recs[i]);
		jw_obj_close(&w);
	}
	jw_arr_close(&w);
	if (more) {
		uuid_format(last, next);
		jw_str(&w, "next_cursor", next);
	} else
		jw_null(&w, "next_cursor");
	jw_obj_close(&w);
	api_json_reply(r, 200, &out);
done:
	audit_recs_free(recs, q.limit);
	audit_query_free(&q);
	buf_free(&out);
	tok_rec_free(&caller);
}

int
main(void)
{
	return req_serve(ACT_AUDIT, audit);
}
