/* api: the HTTP side every route shares — the caller check's answers, JSON bodies, mint fields, errors of the domain's outcomes. */
#ifndef KH_API_H
#define KH_API_H

#include "json.h"
#include "request.h"
#include "store.h"
#include "tokens.h"

/*
 * The caller check (tokens_caller) on the credential the route's dialect
 * reads.  1: caller is filled in, its uses_left as after this call.
 * 0: answered already — 401 (with WWW-Authenticate), 429, 403, or 503.
 */
int	 api_caller(struct req *, const char *scope, struct tok_rec *caller);
/* The same for what need says (the authorizer's check). */
int	 api_caller_needs(struct req *, const struct need *,
	    struct tok_rec *caller);
/*
 * Answers a refused credential: 401 (with a Bearer challenge naming
 * challenge, unless NULL), or 429 with Retry-After once this address has
 * been refused KEYHOLE_AUTH_FAILURES times this minute.
 */
void	 api_auth_refused(struct req *, const char *reason,
	    const struct tok_rec *actor, const char *challenge);
/* 1 if the store is open; else answers 503 and returns 0. */
int	 api_store_ok(struct req *);
/* Answers a store failure: 503 for busy or failed, 500 for a damaged record. */
void	 api_store_error(struct req *, enum store_err);
/*
 * Reads and parses an application/json body whose top level is an object.
 * 1 ok (doc to be freed with json_free); 0 answered 400/413.
 */
int	 api_json_body(struct req *, struct json_doc *);
/* The same for a PATCH: application/merge-patch+json is also taken. */
int	 api_patch_body(struct req *, struct json_doc *);
/* Validates the mint fields of an object (token 0 of doc); 0 answered 422. */
int	 api_mint_parse(struct req *, const struct json_doc *, struct mint_req *);
/* Validates a redemption body (redeem_parse); 0 answered 422. */
int	 api_redeem_parse(struct req *, const struct json_doc *,
	    struct buf *secret, struct mint_req *);
/* Answers the problem for a refused mint (403, 422, 503). */
/* (403s are audited, with caller as actor.) */
void	 api_mint_error(struct req *, enum mint_err, enum store_err,
	    const struct tok_rec *caller);
/* Answers a refused operation on a token (404, 403, 409, 422, 503). */
void	 api_op_error(struct req *, enum op_err, enum store_err,
	    const struct tok_rec *caller, const unsigned char *id);
/*
 * The token the route names: its "{id}" (or as the dialect finds it);
 * 0 answered 404 (also when the route names an organization, "{org}",
 * and the token is not of it).
 */
int	 api_target(struct req *, const struct tok_rec *caller,
	    unsigned char id[UUID_LEN]);
/* The token of the route's "{id}" (and "{org}"), as api_target finds it by default. */
int	 api_path_token(struct req *, unsigned char id[UUID_LEN]);
/* Validates a PATCH body (name, description, metadata); 0 answered 422. */
int	 api_patch_parse(struct req *, const struct json_doc *, struct patch_req *);
/*
 * Parses the list query (limit, cursor, status, organization, created_by,
 * name) into q, restricted to the caller's organization.  0 answered 400.
 */
int	 api_list_query(struct req *, const struct tok_rec *caller,
	    struct list_query *);
/*
 * Parses the audit query (limit, cursor, event, target, actor, since,
 * until, order) into q, restricted to the caller's organization.
 * 0 answered 400.
 */
int	 api_audit_query(struct req *, const struct tok_rec *caller,
	    struct audit_query *);
/*
 * The RFC 7662/7009 "token" parameter, form-encoded or as JSON.
 * 1 ok; 0 answered 400.
 */
int	 api_token_param(struct req *, struct buf *);
/*
 * An entity's list for caller, in organization org: every token acting
 * or bound there for a reader at the organization; for a reader at the
 * entity only, the tokens acting there (all it may see of them), so
 * each list's total is exact.  0 when caller reads at neither.
 */
int	 api_entity_list(const struct tok_rec *caller, const char *org,
	    const char *entity, struct list_query *);
/*
 * A dialect's body field: its name, the native mint field it is read as
 * (NULL: the dialect reads it), whether it must be there, whether null
 * stands for its absence.
 */
struct body_field {
	const char	*name;
	const char	*as;
	int		 required;
	int		 nullable;
};
/*
 * Reads the members of the object body d by the table f: each known
 * one's value token into at[i] (-1: absent), validated into m when it
 * has a native field; unknown and missing ones are errors in p.
 * 1 when p holds no error.
 */
int	 api_body_fields(const struct json_doc *, const struct body_field *f,
	    size_t nf, struct mint_req *, int *at, struct problem *);
/*
 * Reads the query's parameters names[0..n) into vals (empty: absent);
 * an unknown, repeated, empty or malformed one is an error in p.
 */
int	 api_query(struct req *, const char *const *names, size_t n,
	    struct buf *vals, struct problem *);
/* Answers status with a JSON body. */
void	 api_json_reply(struct req *, int status, const struct buf *);

#endif
