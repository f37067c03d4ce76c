/*
 * fuzz_route: the route table lookup every program makes (lib/route.c):
 * route_find (method and path to a route, its "{name}" segments, or the
 * methods a path has for a 405), route_param, req_param, route_of_act;
 * and the same lookup as req_serve() makes it for a program run as plain
 * CGI (lib/request.c: the request line from the environment, 404, 405
 * with Allow, a path of another program's, the program's own URL).  The
 * input is "METHOD PATH[?QUERY]".  A route found serves the method, and
 * its pattern with the segments put back is the path (less one trailing
 * slash); a 405's Allow names the path's methods and not the one asked;
 * a path of the method's route but for a segment too long to be one is
 * that route's 404 (route.h).
 */
#include "fuzz.h"

static const char *const segnames[] = { "id", "org", "name", "workspace",
    "" };
#define NSEGNAMES	(sizeof(segnames) / sizeof(segnames[0]))

static enum act		 serving;	/* the program req_serve() runs */
static int		 handled;
static struct fuzz_env	 env[5];	/* the request's CGI variables */
static const char *const envnames[5] = { "REQUEST_METHOD", "REQUEST_URI",
    "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING" };

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int	 i;

	(void)argc;
	(void)argv;
	/* No store: each program then says so on stderr, and serves on. */
	unsetenv("KEYHOLE_HOME");
	unsetenv("CONTENT_LENGTH");
	unsetenv("HTTP_AUTHORIZATION");
	for (i = 0; i < 5; i++)
		fuzz_env_init(&env[i], envnames[i]);
	return 0;
}

/* The program's handler: it sees only requests of its own act. */
static void
handler(struct req *r)
{
	FUZZ_ASSERT(r->route != NULL && r->route->act == serving &&
	    r->dialect == r->route->dialect);
	handled = 1;
	req_reply(r, 200, "application/json", "{}", 2);
}

/*
 * A request to program act as plain CGI: with uri (REQUEST_URI) or, when
 * it is empty, the script's own URL (SCRIPT_NAME and PATH_INFO).
 */
static void
serve(enum act act, const char *method, const char *uri, const char *script,
    const char *query)
{
	struct buf	 out = BUF_INIT;
	FILE		*err;
	int		 status;

	fuzz_env_set(&env[0], method);
	fuzz_env_set(&env[1], uri);
	fuzz_env_set(&env[2], script);
	fuzz_env_set(&env[3], "");
	fuzz_env_set(&env[4], query);
	serving = act;
	handled = 0;
	/*
	 * What it logs (no store, the wrong program) is not ours to see:
	 * stderr, not file descriptor 2, where a sanitizer would report.
	 */
	err = stderr;
	if ((stderr = fopen("/dev/null", "w")) == NULL)
		abort();
	fuzz_capture_begin();
	FUZZ_ASSERT(req_serve(act, handler) == 0);
	fuzz_capture_end(&out);
	fclose(stderr);
	stderr = err;
	status = fuzz_check_answer(&out);
	FUZZ_ASSERT(!handled || status == 200);
	FUZZ_ASSERT(handled || status == 404 || status == 405 ||
	    status == 500);
	if (status == 405)
		FUZZ_ASSERT(strstr(out.ptr, "\r\nAllow: ") != NULL);
	buf_free(&out);
}

/* Does the comma-separated list hold m? */
static int
listed(const char *list, const char *m)
{
	size_t	 n = strlen(m);
	const char *p;

	if (n == 0)
		return 0;
	for (p = list; (p = strstr(p, m)) != NULL; p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ',' ||
		    p[n] == '\0'))
			return 1;
	return 0;
}

/* Has the path a segment too long to be a "{name}"? */
static int
too_long(const char *path)
{
	const char	*p;
	size_t		 n;

	for (p = path; *p != '\0'; p += n) {
		p += strspn(p, "/");
		if ((n = strcspn(p, "/")) >= ROUTE_PARAMLEN)
			return 1;
	}
	return 0;
}

/* The pattern with each "{name}" replaced by its segment. */
static void
expand(const struct route *rt, char params[ROUTE_MAXPARAMS][ROUTE_PARAMLEN],
    struct buf *out)
{
	const char	*p, *e;
	int		 i = 0;

	buf_reset(out);
	buf_append(out, "", 0);
	for (p = rt->pattern; *p != '\0'; p++) {
		if (*p != '{') {
			buf_putc(out, *p);
			continue;
		}
		e = strchr(p, '}');
		FUZZ_ASSERT(e != NULL && i < ROUTE_MAXPARAMS);
		buf_puts(out, params[i++]);
		p = e;
	}
}

static void
found(const struct route *rt, const char *method, const char *path,
    char params[ROUTE_MAXPARAMS][ROUTE_PARAMLEN])
{
	struct req	 r;
	struct buf	 b = BUF_INIT;
	const char	*v;
	size_t		 i, n;
	char		 pat[64];

	FUZZ_ASSERT(strcmp(rt->method, method) == 0 ||
	    (strcmp(method, "HEAD") == 0 && strcmp(rt->method, "GET") == 0));
	FUZZ_ASSERT(act_program(rt->act) != NULL && rt->dialect != NULL);
	expand(rt, params, &b);
	n = strlen(path);
	FUZZ_ASSERT(strcmp(b.ptr, path) == 0 || (n > 1 && path[n - 1] == '/' &&
	    b.len == n - 1 && strncmp(b.ptr, path, n - 1) == 0));
	fuzz_req(&r, method, path, "", "", "", NULL, 0);
	r.route = rt;
	memcpy(r.params, params, sizeof(r.params));
	for (i = 0; i < NSEGNAMES; i++) {
		v = route_param(rt, params, segnames[i]);
		snprintf(pat, sizeof(pat), "{%s}", segnames[i]);
		FUZZ_ASSERT((v != NULL) == (strstr(rt->pattern, pat) != NULL));
		if (v != NULL)
			FUZZ_ASSERT(*v != '\0' && strchr(v, '/') == NULL &&
			    strlen(v) < ROUTE_PARAMLEN);
		FUZZ_ASSERT(strcmp(req_param(&r, segnames[i]),
		    v != NULL ? v : "") == 0);
	}
	fuzz_req_free(&r);
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char			 params[ROUTE_MAXPARAMS][ROUTE_PARAMLEN];
	char			*in, *path, *sp, *q, *uri;
	const char		*allow, *allow2, *method, *query;
	const struct route	*rt, *any, *rt2;
	int			 a;

	in = fuzz_str(data, size);
	if ((sp = strchr(in, ' ')) != NULL) {
		*sp = '\0';
		method = in;
		path = sp + 1;
	} else {
		method = "GET";
		path = in;
	}
	if ((q = strchr(path, '?')) != NULL) {
		*q = '\0';
		query = q + 1;
	} else
		query = "";

	/* As a program serves it: the one the route names, or another. */
	rt = route_find(method, path, params, &allow, &any);
	a = rt != NULL ? (int)rt->act : (int)(size % ACT__MAX);
	uri = fuzz_str((const uint8_t *)path, strlen(path) + 1 + strlen(query));
	if (q != NULL)
		uri[q - path] = '?';
	/* Or at the program's own URL: no REQUEST_URI, SCRIPT_NAME the path. */
	if (size % 2 == 0)
		serve(a, method, uri, "", query);
	else
		serve(a, method, "", path, query);
	free(uri);

	memset(params, 0, sizeof(params));
	rt = route_find(method, path, params, &allow, &any);
	if (rt != NULL) {
		FUZZ_ASSERT(allow == NULL);
		found(rt, method, path, params);
	} else if (any != NULL && allow == NULL) {
		/* The route's, but for a segment too long to be one: 404. */
		FUZZ_ASSERT(strcmp(any->method, method) == 0 ||
		    (strcmp(method, "HEAD") == 0 &&
		    strcmp(any->method, "GET") == 0));
		FUZZ_ASSERT(too_long(path));
	} else if (any != NULL) {
		/* The path is a resource: 405, with what it allows. */
		FUZZ_ASSERT(*allow != '\0' && !listed(allow, method));
		FUZZ_ASSERT(listed(allow, any->method));
	} else
		FUZZ_ASSERT(allow == NULL);

	/* A program's own act, at its own URL under plain CGI. */
	for (a = 0; a < ACT__MAX; a++) {
		FUZZ_ASSERT(act_program(a) != NULL);
		rt2 = route_of_act(a, method, &allow2);
		if (rt2 != NULL)
			FUZZ_ASSERT(rt2->act == (enum act)a &&
			    (strcmp(rt2->method, method) == 0 ||
			    strcmp(method, "HEAD") == 0));
		else
			FUZZ_ASSERT(allow2 != NULL && !listed(allow2, method));
	}
	free(in);
	return 0;
}
