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

/* Does path match pattern?  The "{name}" segments go into params. */
static int
route_match(const char *pattern, const char *path,
    char params[ROUTE_MAXPARAMS][ROUTE_PARAMLEN])
{
	const char	*p = path, *q = pattern, *pe, *qe;
	size_t		 n;
	int		 i = 0;

	/* A trailing slash names the same resource. */
	while (*p == '/' && *q == '/') {
		p++;
		q++;
		pe = p + strcspn(p, "/");
		qe = q + strcspn(q, "/");
		n = (size_t)(pe - p);
		if (qe - q >= 2 && q[0] == '{' && qe[-1] == '}') {
			if (i >= ROUTE_MAXPARAMS || n == 0 || n >= ROUTE_PARAMLEN)
				return 0;
			memcpy(params[i], p, n);
			params[i++][n] = '\0';
		} else if ((size_t)(qe - q) != n || memcmp(p, q, n) != 0)
			return 0;
		p = pe;
		q = qe;
	}
	return *q == '\0' && (*p == '\0' || (p[0] == '/' && p[1] == '\0'));
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
	int		 has;

	*allow = NULL;
	*any = NULL;
	for (i = 0; i < NROUTES; i++)
		if (serves(&routes[i], method) &&
		    route_match(routes[i].pattern, path, params))
			return &routes[i];
	for (i = 0; i < NROUTES && *any == NULL; i++)
		if (route_match(routes[i].pattern, path, scratch))
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

/* A pattern as a lighttpd URL regex's body: "{name}" is one segment. */
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

/* A block sending the paths of the regex (then the query or the end) to a program. */
static void
fastcgi(struct buf *b, const char *cond, const struct buf *regex, enum act a)
{
	buf_printf(b, "\t%s$HTTP[\"url\"] =~ \"^%s/?(\\?|$)\" {\n"
	    "\t\tfastcgi.server = ( \"/\" => (( \"bin-path\" => var.bin + "
	    "\"/%s\",\n\t\t\t\"socket\" => var.sockdir + \"/%s.sock\" ) + "
	    "var.fastcgi ))\n\t}\n", cond, buf_cstr(regex), programs[a],
	    programs[a]);
}

/*
 * A location of the site guarded by the authorizer: /protected/ (a static
 * file and a CGI script that shows what it was passed, made by serve.sh).
 */
static const char lighttpd_tail[] =
"\n"
"# A guarded location: before lighttpd serves anything under /protected/,\n"
"# keyhole's authorizer checks the request's token for the scope\n"
"# protected:read at the token's own entity (KEYHOLE_REQUIRE_ORGANIZATION\n"
"# and KEYHOLE_REQUIRE_ENTITY narrow it further).  On success the token's\n"
"# id, subject, organization, entity and scopes reach the location as\n"
"# KEYHOLE_TOKEN_ID, KEYHOLE_SUBJECT, KEYHOLE_ORGANIZATION, KEYHOLE_ENTITY\n"
"# and KEYHOLE_SCOPES; else the client gets the authorizer's 401, 403 or\n"
"# 429.  Copy the block for each location, with its own scope and socket.\n"
"server.modules += ( \"mod_cgi\" )\n"
"$HTTP[\"url\"] =~ \"^/protected/\" {\n"
"\tfastcgi.server = ( \"/protected/\" => (( \"mode\" => \"authorizer\",\n"
"\t\t\"bin-path\" => var.bin + \"/authorizer\",\n"
"\t\t\"socket\" => var.sockdir + \"/authorizer-protected.sock\",\n"
"\t\t\"docroot\" => var.rundir + \"/htdocs\",\n"
"\t\t\"max-procs\" => var.procs, \"check-local\" => \"disable\",\n"
"\t\t\"bin-environment\" => var.env +\n"
"\t\t    ( \"KEYHOLE_REQUIRE_SCOPE\" => \"protected:read\" ) )) )\n"
"\t# Narrower: tokens of the organization acme holding the scope at\n"
"\t# the entity workspace:ops (or around it: the organization).\n"
"\t$HTTP[\"url\"] =~ \"^/protected/acme/\" {\n"
"\t\tfastcgi.server = ( \"/protected/\" => (( \"mode\" => \"authorizer\",\n"
"\t\t\t\"bin-path\" => var.bin + \"/authorizer\",\n"
"\t\t\t\"socket\" => var.sockdir + \"/authorizer-acme.sock\",\n"
"\t\t\t\"docroot\" => var.rundir + \"/htdocs\",\n"
"\t\t\t\"max-procs\" => 1, \"check-local\" => \"disable\",\n"
"\t\t\t\"bin-environment\" => var.env +\n"
"\t\t\t    ( \"KEYHOLE_REQUIRE_SCOPE\" => \"protected:read\",\n"
"\t\t\t      \"KEYHOLE_REQUIRE_ORGANIZATION\" => \"acme\",\n"
"\t\t\t      \"KEYHOLE_REQUIRE_ENTITY\" => \"workspace:ops\" ) )) )\n"
"\t}\n"
"\tcgi.assign = ( \".cgi\" => \"\" )\n"
"}\n";

static const char lighttpd_head[] =
"# keyhole under lighttpd: each route (method + path) goes to the program of\n"
"# its act, spawned and restarted by lighttpd.  Made from the route table in\n"
"# lib/route.c by \"keyholectl routes lighttpd\"; do not edit the routes by hand.\n"
"#\n"
"# Read from the environment (tools/serve.sh sets them):\n"
"#   KEYHOLE_HOME   the store directory\n"
"#   KEYHOLE_BIN    the directory holding the endpoint programs\n"
"#   KEYHOLE_RUN    a directory for this file's local.conf, the pid file, the\n"
"#                  logs, htdocs/ and sockets/: root's when lighttpd starts as\n"
"#                  root (it reads and writes there before giving up root);\n"
"#                  only sockets/, where the FastCGI sockets go, belongs to\n"
"#                  the server's user, mode 0700.  lighttpd opens the logs as\n"
"#                  that user: make them beforehand, owned by it.\n"
"#   KEYHOLE_PORT   the port to listen on (127.0.0.1)\n"
"#   KEYHOLE_SYNC, KEYHOLE_CACHE_MB, KEYHOLE_BODY_MAX, KEYHOLE_MAX_LIFETIME,\n"
"#   KEYHOLE_PREFIX, KEYHOLE_LAST_USED_INTERVAL, KEYHOLE_ENROLLMENT_TTL,\n"
"#   KEYHOLE_AUTH_FAILURES, KEYHOLE_ISSUER\n"
"#                  passed on to the workers (set, even if empty)\n"
"# and includes $KEYHOLE_RUN/local.conf for what env.* cannot give: the\n"
"# worker count per program (var.procs, a number) and, when started as\n"
"# root, server.username.  To deploy, copy this file and write the values in.\n"
"\n"
"server.modules += ( \"mod_fastcgi\" )\n"
"\n"
"var.home  = env.KEYHOLE_HOME\n"
"var.bin   = env.KEYHOLE_BIN\n"
"var.rundir = env.KEYHOLE_RUN\n"
"# Only the server's user may enter it: whoever reaches a worker's socket\n"
"# is trusted by libfcgi (keyhole(8), BUGS).\n"
"var.sockdir = var.rundir + \"/sockets\"\n"
"\n"
"server.bind          = \"127.0.0.1\"\n"
"server.port          = env.KEYHOLE_PORT\n"
"server.document-root = var.rundir + \"/htdocs\"\n"
"server.errorlog      = var.rundir + \"/error.log\"\n"
"# What the workers write to stderr (store errors, watchdog, recovery).\n"
"server.breakagelog   = var.rundir + \"/keyhole.log\"\n"
"server.pid-file      = var.rundir + \"/lighttpd.pid\"\n"
"include var.rundir + \"/local.conf\"\n"
"\n"
"# Above keyhole's own 64 KiB body limit, so keyhole answers 413 itself.\n"
"server.max-request-size = 1024\n"
"\n"
"# Everything a worker reads; lighttpd passes nothing else.  Empty means\n"
"# the default (README.md, Configuration).\n"
"var.env = (\n"
"\t\"KEYHOLE_HOME\" => var.home,\n"
"\t\"KEYHOLE_SYNC\" => env.KEYHOLE_SYNC,\n"
"\t\"KEYHOLE_CACHE_MB\" => env.KEYHOLE_CACHE_MB,\n"
"\t\"KEYHOLE_BODY_MAX\" => env.KEYHOLE_BODY_MAX,\n"
"\t\"KEYHOLE_MAX_LIFETIME\" => env.KEYHOLE_MAX_LIFETIME,\n"
"\t\"KEYHOLE_PREFIX\" => env.KEYHOLE_PREFIX,\n"
"\t\"KEYHOLE_LAST_USED_INTERVAL\" => env.KEYHOLE_LAST_USED_INTERVAL,\n"
"\t\"KEYHOLE_ENROLLMENT_TTL\" => env.KEYHOLE_ENROLLMENT_TTL,\n"
"\t\"KEYHOLE_AUTH_FAILURES\" => env.KEYHOLE_AUTH_FAILURES,\n"
"\t\"KEYHOLE_ISSUER\" => env.KEYHOLE_ISSUER,\n"
")\n"
"\n"
"# One pool per program, however many routes lead to it: a fault in one\n"
"# program cannot starve the others.\n"
"var.fastcgi = ( \"max-procs\" => var.procs, \"bin-environment\" => var.env,\n"
"\t\"check-local\" => \"disable\" )\n"
"\n"
"# Per method, its routes in table order; then every other path of the\n"
"# table, to a program that answers 405 with Allow (each program looks\n"
"# the request up in the same table).\n";

void
route_lighttpd(struct buf *b)
{
	static const char *const order[] = { "GET", "POST", "PATCH", "PUT",
	    "DELETE" };
	struct buf	 re = BUF_INIT, every = BUF_INIT;
	size_t		 m, i, j, nm = sizeof(order) / sizeof(order[0]);
	const char	*cond;
	int		 seen;

	/* Every path the table has, for the methods no route serves there. */
	buf_putc(&every, '(');
	for (i = 0; i < NROUTES; i++) {
		for (seen = 0, j = 0; j < i; j++)
			seen |= strcmp(routes[j].pattern, routes[i].pattern) == 0;
		if (seen)
			continue;
		if (every.len > 1)
			buf_putc(&every, '|');
		url_regex(&every, routes[i].pattern);
	}
	buf_putc(&every, ')');

	buf_puts(b, lighttpd_head);
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
				fastcgi(b, cond, &re, routes[i].act);
				cond = "else ";
			}
		/* Any program answers those: 405, Allow from this table. */
		fastcgi(b, cond, &every, routes[0].act);
		buf_puts(b, "}\n");
	}
	buf_puts(b, lighttpd_tail);
	buf_free(&re);
	buf_free(&every);
}
