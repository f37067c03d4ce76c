/* route: the one table of keyhole's routes (method, path, act, dialect), the lookup every program does, and the server configuration made from it. */
#include <string.h>

#include "dialect.h"
#include "route.h"

static int	 route_match(const char *, const char *,
		    char [ROUTE_MAXPARAMS][ROUTE_PARAMLEN]);

static const char *const programs[ACT__MAX] = {
	[ACT_MINT] = "tokens-create",
	[ACT_LIST] = "tokens-list",
	[ACT_SHOW] = "tokens-show",
	[ACT_UPDATE] = "tokens-update",
	[ACT_REVOKE] = "tokens-revoke",
	[ACT_ROTATE] = "tokens-rotate",
	[ACT_FINISH] = "tokens-rotate-finish",
	[ACT_INTROSPECT] = "introspect",
	[ACT_REVOKE_SECRET] = "revoke",
	[ACT_REDEEM] = "enrollments-redeem",
	[ACT_AUDIT] = "audit",
	[ACT_JWKS] = "jwks",
	[ACT_VALIDATE] = "validate",
	[ACT_AUTHORIZE] = "authorizer",
};

/*
 * Every route keyhole serves.  The first whose method and path match
 * serves the request, so a literal segment goes before a "{name}" it
 * would also match.  The names say what a segment is: id (a token's),
 * org (an organization), and a dialect's own.  The web server's
 * configuration is made from this table (route_lighttpd), and each
 * program looks its request up here again.
 */
static const struct route routes[] = {
	/* The native API (schema/openapi.yaml). */
	{ "POST", "/v1/tokens", ACT_MINT, &dialect_native },
	{ "GET", "/v1/tokens", ACT_LIST, &dialect_native },
	{ "GET", "/v1/tokens/{id}", ACT_SHOW, &dialect_native },
	{ "PATCH", "/v1/tokens/{id}", ACT_UPDATE, &dialect_native },
	{ "DELETE", "/v1/tokens/{id}", ACT_REVOKE, &dialect_native },
	{ "POST", "/v1/tokens/{id}/rotate", ACT_ROTATE, &dialect_native },
	{ "POST", "/v1/tokens/{id}/rotate/finish", ACT_FINISH, &dialect_native },
	{ "POST", "/v1/enrollments/redeem", ACT_REDEEM, &dialect_native },
	{ "GET", "/v1/audit", ACT_AUDIT, &dialect_native },
	{ "GET", "/.well-known/jwks.json", ACT_JWKS, &dialect_native },
	/* RFC 7662 and RFC 7009. */
	{ "POST", "/v1/introspect", ACT_INTROSPECT, &dialect_oauth },
	{ "POST", "/v1/revoke", ACT_REVOKE_SECRET, &dialect_oauth },
	/* Archil. */
	{ "POST", "/api/tokens", ACT_MINT, &dialect_archil },
	{ "GET", "/api/tokens", ACT_LIST, &dialect_archil },
	{ "DELETE", "/api/tokens/{id}", ACT_REVOKE, &dialect_archil },
	/* Timbal. */
	{ "POST", "/orgs/{org}/connectors/enrollment-tokens", ACT_MINT,
	    &dialect_timbal },
	/* deepset. */
	{ "POST", "/api/v1/token", ACT_MINT, &dialect_deepset },
	{ "GET", "/api/v1/workspaces/{workspace}/token", ACT_LIST,
	    &dialect_deepset },
	/* Astronomer. */
	{ "POST", "/organizations/{org}/tokens", ACT_MINT, &dialect_astronomer },
	{ "GET", "/organizations/{org}/tokens", ACT_LIST, &dialect_astronomer },
	{ "GET", "/organizations/{org}/tokens/{id}", ACT_SHOW,
	    &dialect_astronomer },
	{ "POST", "/organizations/{org}/tokens/{id}", ACT_UPDATE,
	    &dialect_astronomer },
	{ "DELETE", "/organizations/{org}/tokens/{id}", ACT_REVOKE,
	    &dialect_astronomer },
	{ "POST", "/organizations/{org}/tokens/{id}/roles", ACT_UPDATE,
	    &dialect_astronomer },
	{ "POST", "/organizations/{org}/tokens/{id}/rotate", ACT_ROTATE,
	    &dialect_astronomer },
	/* Turso: GET .../validate validates; a POST there mints "validate". */
	{ "GET", "/v1/auth/api-tokens/validate", ACT_VALIDATE, &dialect_turso },
	{ "GET", "/v1/auth/validate", ACT_VALIDATE, &dialect_turso },
	{ "POST", "/v1/auth/api-tokens/{name}", ACT_MINT, &dialect_turso },
	{ "GET", "/v1/auth/api-tokens", ACT_LIST, &dialect_turso },
	{ "DELETE", "/v1/auth/api-tokens/{name}", ACT_REVOKE, &dialect_turso },
	{ "GET", "/v1/organizations/{org}/api-tokens", ACT_LIST, &dialect_turso },
	{ "DELETE", "/v1/organizations/{org}/api-tokens/{id}", ACT_REVOKE,
	    &dialect_turso },
};

#define NROUTES (sizeof(routes) / sizeof(routes[0]))

/* Allow lists methods in this order. */
static const char *const methods[] = { "GET", "HEAD", "POST", "PATCH", "PUT",
    "DELETE" };

#define NMETHODS (sizeof(methods) / sizeof(methods[0]))

const char *
act_program(enum act a)
{
	return a < ACT__MAX ? programs[a] : NULL;
}

int
act_uses_store(enum act a)
{
	return a != ACT_JWKS;
}

/*
 * Does path match pattern?  The "{name}" segments go into params.  -1:
 * it does, but a "{name}" segment is too long to name anything.
 */
static int
route_match(const char *pattern, const char *path,
    char params[ROUTE_MAXPARAMS][ROUTE_PARAMLEN])
{
	const char	*p = path, *q = pattern, *pe, *qe;
	size_t		 n;
	int		 i = 0, toolong = 0;

	/* A trailing slash names the same resource. */
	while (*p == '/' && *q == '/') {
		p++;
		q++;
		pe = p + strcspn(p, "/");
		qe = q + strcspn(q, "/");
		n = (size_t)(pe - p);
		if (qe - q >= 2 && q[0] == '{' && qe[-1] == '}') {
			if (i >= ROUTE_MAXPARAMS || n == 0)
				return 0;
			if (n >= ROUTE_PARAMLEN) {
				toolong = 1;
				n = 0;
			}
			memcpy(params[i], p, n);
			params[i++][n] = '\0';
		} else if ((size_t)(qe - q) != n || memcmp(p, q, n) != 0)
			return 0;
		p = pe;
		q = qe;
	}
	if (*q != '\0' || (*p != '\0' && (p[0] != '/' || p[1] != '\0')))
		return 0;
	return toolong ? -1 : 1;
}

const char *
route_param(const struct route *rt,
    const char params[ROUTE_MAXPARAMS][ROUTE_PARAMLEN], const char *name)
{
	const char	*q;
	size_t		 n = strlen(name);
	int		 i = 0;

	for (q = strchr(rt->pattern, '{'); q != NULL; q = strchr(q + 1, '{')) {
		if (strncmp(q + 1, name, n) == 0 && q[1 + n] == '}')
			return params[i];
		i++;
	}
	return NULL;
}

/* Does the route serve this method?  GET routes serve HEAD. */
static int
serves(const struct route *rt, const char *method)
{
	return strcmp(rt->method, method) == 0 ||
	    (strcmp(method, "HEAD") == 0 && strcmp(rt->method, "GET") == 0);
}

const struct route *
route_find(const char *method, const char *path,
    char params[ROUTE_MAXPARAMS][ROUTE_PARAMLEN], const char **allow,
    const struct route **any)
{
	static char	 list[64];
	char		 scratch[ROUTE_MAXPARAMS][ROUTE_PARAMLEN];
	size_t		 i, m;
	int		 has, hit;

	*allow = NULL;
	*any = NULL;
	for (i = 0; i < NROUTES; i++)
		if (serves(&routes[i], method) &&
		    (hit = route_match(routes[i].pattern, path, params)) != 0) {
			if (hit == 1)
				return &routes[i];
			/* No resource, but the route's: its dialect answers. */
			*any = &routes[i];
			return NULL;
		}
	for (i = 0; i < NROUTES && *any == NULL; i++)
		if (route_match(routes[i].pattern, path, scratch) != 0)
			*any = &routes[i];
	if (*any == NULL)
		return NULL;
	list[0] = '\0';
	for (m = 0; m < NMETHODS; m++) {
		for (has = 0, i = 0; i < NROUTES && !has; i++)
			has = serves(&routes[i], methods[m]) &&
			    route_match(routes[i].pattern, path, scratch);
		if (has) {
			if (list[0] != '\0')
				strcat(list, ", ");
			strcat(list, methods[m]);
		}
	}
	*allow = list;
	return NULL;
}

const struct route *
route_of_act(enum act a, const char *method, const char **allow)
{
	static char	 list[64];
	size_t		 i, m;

	for (i = 0; i < NROUTES; i++)
		if (routes[i].act == a && serves(&routes[i], method))
			return &routes[i];
	list[0] = '\0';
	for (m = 0; m < NMETHODS; m++)
		for (i = 0; i < NROUTES; i++)
			if (routes[i].act == a && serves(&routes[i], methods[m])) {
				if (list[0] != '\0')
					strcat(list, ", ");
				strcat(list, methods[m]);
				break;
			}
	*allow = list;
	return NULL;
}

/* A pattern as a URL regex's body: "{name}" is one segment. */
static void
url_regex(struct buf *b, const char *pattern)
{
	const char	*p;

	for (p = pattern; *p != '\0'; p++) {
		if (p[0] == '{') {
			buf_puts(b, "[^/?]+");
			p += strcspn(p, "}");
			continue;
		}
		if (strchr(".+*?()[]{}|^$\\", *p) != NULL)
			buf_putc(b, '\\');
		buf_putc(b, *p);
	}
}

/*
 * Every path the table has, as one regex group, each from its byte from
 * (1: without its leading "/"): a program answers 405 there.
 */
static void
every_path(struct buf *b, size_t from)
{
	size_t	 i, j;
	int	 seen, first = 1;

	buf_putc(b, '(');
	for (i = 0; i < NROUTES; i++) {
		for (seen = 0, j = 0; j < i; j++)
			seen |= strcmp(routes[j].pattern, routes[i].pattern) == 0;
		if (seen)
			continue;
		if (!first)
			buf_putc(b, '|');
		first = 0;
		url_regex(b, routes[i].pattern + from);
	}
	buf_putc(b, ')');
}

/*
 * lighttpd: a block sending the paths of the regex (then the query or the
 * end) to a program, a FastCGI pool of its own or, as plain CGI, the
 * program under /keyhole/ (the query kept: lighttpd takes it from the
 * rewritten URL).
 */
static void
lighttpd_block(struct buf *b, const char *cond, const char *regex, enum act a,
    int cgi)
{
	buf_printf(b, "\t%s$HTTP[\"url\"] =~ \"^%s/?(\\?|$)\" {\n", cond, regex);
	if (cgi)
		buf_printf(b, "\t\turl.rewrite-once = ( \"^[^?]*(\\?.*)?$\" => "
		    "\"/keyhole/%s$1\" )\n\t}\n", programs[a]);
	else
		buf_printf(b, "\t\tfastcgi.server = ( \"/\" => (( \"bin-path\" => "
		    "var.bin + \"/%s\",\n\t\t\t\"socket\" => var.sockdir + "
		    "\"/%s.sock\" ) + var.fastcgi ))\n\t}\n", programs[a],
		    programs[a]);
}

void
route_lighttpd(struct buf *b, int cgi)
{
	static const char *const order[] = { "GET", "POST", "PATCH", "PUT",
	    "DELETE" };
	struct buf	 re = BUF_INIT, every = BUF_INIT;
	size_t		 m, i, nm = sizeof(order) / sizeof(order[0]);
	const char	*cond;
	int		 seen;

	every_path(&every, 0);
	buf_printf(b, "# keyhole's routes for lighttpd%s, made from the\n"
	    "# route table in lib/route.c by \"keyholectl routes %s\": do not "
	    "edit.\n# Per method, its routes in table order; then every other "
	    "path of the\n# table, to a program that answers 405 with Allow "
	    "(each program looks\n# the request up in the same table).\n",
	    cgi ? " with mod_cgi" : " with mod_fastcgi",
	    cgi ? "lighttpd-cgi" : "lighttpd");
	for (m = 0; m <= nm; m++) {
		for (seen = m == nm, i = 0; i < NROUTES && !seen; i++)
			seen = strcmp(routes[i].method, order[m]) == 0;
		if (!seen)
			continue;
		if (m == nm)
			buf_puts(b, "else {\n");
		else if (m == 0)
			buf_puts(b, "$HTTP[\"request-method\"] =~ \"^(GET|HEAD)$\" "
			    "{\n");
		else
			buf_printf(b, "else $HTTP[\"request-method\"] == \"%s\" "
			    "{\n", order[m]);
		cond = "";
		for (i = 0; m < nm && i < NROUTES; i++)
			if (strcmp(routes[i].method, order[m]) == 0) {
				buf_reset(&re);
				url_regex(&re, routes[i].pattern);
				lighttpd_block(b, cond, buf_cstr(&re),
				    routes[i].act, cgi);
				cond = "else ";
			}
		lighttpd_block(b, cond, buf_cstr(&every), routes[0].act, cgi);
		buf_puts(b, "}\n");
	}
	buf_free(&re);
	buf_free(&every);
}

/* Apache: one rule sending a method's paths of the regex to a program. */
static void
apache_rule(struct buf *b, const char *method, const char *regex, enum act a,
    int proxy)
{
	if (method != NULL)
		buf_printf(b, "RewriteCond %%{REQUEST_METHOD} %s%s\n",
		    strcmp(method, "GET") == 0 ? "^(GET|HEAD)$" : "=",
		    strcmp(method, "GET") == 0 ? "" : method);
	/* "^/?": the same rule in a server's configuration and in .htaccess. */
	if (proxy)
		buf_printf(b, "RewriteRule \"^/?%s/?$\" \"unix:${KEYHOLE_SOCKETS}"
		    "/%s.sock|fcgi://keyhole/\" [P,L]\n", regex, programs[a]);
	else
		buf_printf(b, "RewriteRule \"^/?%s/?$\" /keyhole/%s [PT,L]\n",
		    regex, programs[a]);
}

void
route_apache(struct buf *b, int proxy)
{
	struct buf	 re = BUF_INIT;
	size_t		 i;

	if (proxy)
		buf_puts(b, "# keyhole's routes for Apache httpd 2.4 with "
		    "mod_proxy_fcgi, made from the route\n# table in lib/route.c "
		    "by \"keyholectl routes apache\": do not edit.  Each\n# route "
		    "goes to its program's FastCGI socket in ${KEYHOLE_SOCKETS} "
		    "(Define it).\n# Needs mod_rewrite, mod_proxy, "
		    "mod_proxy_fcgi; include it in a VirtualHost.\n");
	else
		buf_puts(b, "# keyhole's routes for Apache httpd 2.4 with mod_cgi, "
		    "mod_cgid or mod_fcgid,\n# made from the route table in "
		    "lib/route.c by \"keyholectl routes htaccess\": do\n# not edit.  "
		    "Each route goes to its program under /keyhole/, the URL of "
		    "the\n# directory holding the programs (with CGIPassAuth On: "
		    "keyhole reads the\n# credential itself).  An .htaccess in "
		    "the document root (AllowOverride\n# FileInfo), or included "
		    "in a VirtualHost.\n");
	buf_puts(b, "RewriteEngine On\n# Per route, in table order; then every "
	    "other method on a path of the\n# table, to a program that answers "
	    "405 with Allow.\n");
	for (i = 0; i < NROUTES; i++) {
		buf_reset(&re);
		url_regex(&re, routes[i].pattern + 1);
		apache_rule(b, routes[i].method, buf_cstr(&re), routes[i].act,
		    proxy);
	}
	buf_reset(&re);
	every_path(&re, 1);
	apache_rule(b, NULL, buf_cstr(&re), routes[0].act, proxy);
	/* The programs' own directory says so for mod_cgi and mod_fcgid. */
	if (proxy)
		buf_printf(b, "# keyhole reads the credential itself.\n"
		    "<LocationMatch \"^/%s/?$\">\n\tCGIPassAuth On\n"
		    "</LocationMatch>\n", buf_cstr(&re));
	buf_free(&re);
}
