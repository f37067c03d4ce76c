/* request: one HTTP request as FastCGI or CGI hands it over, and its one response. */
#ifndef KH_REQUEST_H
#define KH_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "route.h"

#define REQ_BODY_MAX	(64 * 1024)	/* KEYHOLE_BODY_MAX overrides */

struct store;
struct FCGX_Request;

struct req {
	/* From the web server; never NULL ("" when absent). */
	const char	*method;
	const char	*path;		/* decoded-free request path, no query */
	const char	*query;
	const char	*content_type;
	const char	*authorization;
	const char	*remote_addr;
	const char	*user_agent;
	struct buf	 body;		/* read only by req_body() */
	int64_t		 now;		/* Unix seconds at arrival */
	struct store	*store;		/* NULL when the store could not open (logged at start),
					   or when the act uses none (act_uses_store) */
	const char	*home;		/* the store directory, KEYHOLE_HOME */

	/* The response, written once by req_reply(). */
	struct buf	 headers;	/* extra header lines, each ending "\r\n" */
	int		 replied;
	const struct route *route;	/* what the request is (route.h) */
	const struct dialect *dialect;	/* how it speaks: the route's */
	char		 params[ROUTE_MAXPARAMS][ROUTE_PARAMLEN];	/* its "{name}" segments */

	/* A credential the dialect decoded (HTTP Basic, a form): wiped at the end. */
	struct buf	 cred;
	char		 client_id[64];	/* the client it named (RFC 6749 2.3.1), or "" */
	int		 client_basic;	/* it came as HTTP Basic: challenge so */

	/* private */
	struct FCGX_Request *fcgi;	/* NULL under plain CGI */
	struct buf	 pathbuf;
	int		 body_read;	/* 0 not yet, 1 read, -1 refused (answered) */
};

/* An endpoint: reads r, answers with exactly one req_reply() (or a helper that calls it). */
typedef void	(*req_handler)(struct req *);

/*
 * The process's main loop: opens the store once, then serves FastCGI
 * requests until the web server stops it, or one request as plain CGI.
 * Each request is looked up in the route table first: the handler sees
 * only requests whose route is act, with r->route, r->dialect and
 * r->params set.  Returns the process exit status.
 */
int		 req_serve(enum act, req_handler);

/*
 * Reads the body: 413 above the limit (without reading it), 400 when it
 * is shorter than announced.  On an error it has replied and returns -1.
 */
int		 req_body(struct req *);
/* Is the media type (parameters ignored, case-insensitive) this one? */
int		 req_type_is(const struct req *, const char *);
/* URL-decodes s ("+" is a space); -1 for a bad or NUL escape. */
int		 req_url_decode(const char *s, size_t len, struct buf *out);
/* Finds a parameter in a query or form string and URL-decodes it. 1 found, 0 absent, -1 malformed or repeated. */
int		 req_form_get(const char *, size_t, const char *name, struct buf *);
/* 1 if every parameter name in the query or form string is in names, none repeated. */
int		 req_form_names_ok(const char *, size_t, const char *const names[],
		    size_t nnames);
/*
 * A variable the server set for this request (FastCGI parameter, CGI
 * environment), else the process's environment (lighttpd's
 * bin-environment); "" when neither has it.
 */
const char	*req_env(struct req *, const char *name);
/* The route's path segment "{name}", or "" when it has none. */
const char	*req_param(const struct req *, const char *name);
void		 req_header(struct req *, const char *name, const char *value);
/* The single response: status, media type, body. */
void		 req_reply(struct req *, int status, const char *type,
		    const char *body, size_t len);
const char	*req_reason(int status);

#endif
