/* api: the HTTP side the native endpoints share — caller authentication, JSON bodies, mint fields, answers. */
#ifndef KH_API_H
#define KH_API_H

#include "json.h"
#include "request.h"
#include "store.h"
#include "tokens.h"

/* The methods of each resource, for Allow. */
#define ALLOW_TOKENS	"GET, HEAD, POST"	/* /v1/tokens */
#define ALLOW_TOKEN	"GET, HEAD, PATCH, DELETE"	/* /v1/tokens/{id} */
#define ALLOW_POST	"POST"
#define ALLOW_GET	"GET, HEAD"

/*
 * Authenticates the caller from "Authorization: Bearer" and checks that it
 * holds scope at some entity (where it must hold it is each act's own
 * check).  1: caller is filled in, its uses_left as after this call.
 * 0: answered already — 401 (with WWW-Authenticate), 429, 403, or 503.
 */
int	 api_caller(struct req *, const char *scope, struct tok_rec *caller);
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
/* The token id in a path such as "/v1/tokens/{}/rotate"; 0 answered 404. */
int	 api_path_id(struct req *, const char *pattern, unsigned char id[UUID_LEN]);
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
 * Answers status with the token object, and the secret (shown this once)
 * in "token" unless it is NULL.
 */
void	 api_token_reply(struct req *, int status, const struct tok_rec *,
	    const char *secret);
/* Answers status with a JSON body. */
void	 api_json_reply(struct req *, int status, const struct buf *);

#endif
