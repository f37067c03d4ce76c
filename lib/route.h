/* route: the one table of keyhole's routes (method, path, act, dialect), the lookup every program does, and the server configuration made from it. */
#ifndef KH_ROUTE_H
#define KH_ROUTE_H

#include "buf.h"

struct dialect;

/* What a route does.  Each act is one program (act_program). */
enum act {
	ACT_MINT = 0,
	ACT_LIST,
	ACT_SHOW,
	ACT_UPDATE,
	ACT_REVOKE,
	ACT_ROTATE,
	ACT_FINISH,
	ACT_INTROSPECT,
	ACT_REVOKE_SECRET,
	ACT_REDEEM,
	ACT_AUDIT,
	ACT_JWKS,
	ACT_VALIDATE,
	ACT_AUTHORIZE,		/* no route: the FastCGI authorizer guards any path */
	ACT__MAX
};

#define ROUTE_MAXPARAMS	2	/* "{name}" segments in a pattern, at most */
#define ROUTE_PARAMLEN	128	/* a segment's bytes, at most (longer: no resource) */

struct route {
	const char		*method;	/* "GET" serves HEAD too */
	const char		*pattern;	/* literal segments and "{name}" */
	enum act		 act;
	const struct dialect	*dialect;
};

/* The program serving an act, e.g. "tokens-create". */
const char	*act_program(enum act);
/* Does the act use the token store?  (The JWKS reads only its keys.) */
int		 act_uses_store(enum act);

/*
 * The first route, in table order, whose method and pattern match; its
 * "{name}" segments are copied into params.  NULL if none: then *allow
 * (when the path matches some route, else NULL) lists the methods the
 * path has, for a 405, and *any is the first route of that path.  A
 * route that matches but for a "{name}" segment too long to name
 * anything is no resource: NULL, *allow NULL and *any that route.
 */
const struct route *route_find(const char *method, const char *path,
		    char params[ROUTE_MAXPARAMS][ROUTE_PARAMLEN],
		    const char **allow, const struct route **any);

/*
 * The act's first route serving method: what a program serves at a path
 * outside the table (a script's own URL under plain CGI).  NULL if none;
 * *allow then lists the methods the act has.
 */
const struct route *route_of_act(enum act, const char *method,
		    const char **allow);
/* The segment "{name}" of the route's matched path, or NULL. */
const char	*route_param(const struct route *,
		    const char params[ROUTE_MAXPARAMS][ROUTE_PARAMLEN],
		    const char *name);

/*
 * The web servers' routes, made from the table: lighttpd's to FastCGI
 * pools or (cgi) to the programs under /keyhole/ as plain CGI; Apache's
 * mod_rewrite rules to FastCGI sockets (proxy, mod_proxy_fcgi) or to the
 * programs under /keyhole/ (mod_cgi, mod_fcgid, .htaccess).
 */
void		 route_lighttpd(struct buf *, int cgi);
void		 route_apache(struct buf *, int proxy);

#endif
