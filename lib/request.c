/* request: one HTTP request as FastCGI or CGI hands it over, and its one response. */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <db.h>		/* before any FastCGI header, which may redefine stdio */
#include <fastcgi.h>
#include <fcgiapp.h>
#include <sodium.h>

#include "dialect.h"
#include "json.h"
#include "problem.h"
#include "request.h"
#include "store.h"

extern char	**environ;

/* A refused CGI body is read this far, to answer whole (drain). */
#define DRAIN_MAX	(4 * 1024 * 1024)
/*
 * Seconds a FastCGI worker waits for a body.  A server that streams
 * bodies (Apache's mod_proxy_fcgi) hands the request over before the
 * body has come: a client that stops sending, or trickles, would hold one
 * of the few workers as long as the server waits (Apache: a minute).
 */
#define BODY_WAIT	10
#define REJOINS_MAX	8	/* environments a FastCGI worker joins afresh */

static const char *param(struct req *, const char *);
static void	 req_begin(struct req *, FCGX_Request *, struct store *,
		    const char *);
static void	 req_end(struct req *);
static void	 dispatch(struct req *, enum act, req_handler);
static const char *printable(const char *);
static void	 drain(struct req *);
static int	 own_url(struct req *);
static int	 dot_segment(const char *);
static int	 body_wait(struct req *, int64_t);
static int	 hexval(int);

static const char *
param(struct req *r, const char *name)
{
	const char	*v;

	if (r->fcgi != NULL)
		v = FCGX_GetParam(name, r->fcgi->envp);
	else
		v = getenv(name);
	return v != NULL ? v : "";
}

static void
req_begin(struct req *r, FCGX_Request *f, struct store *st, const char *home)
{
	const char	*uri, *q;

	memset(r, 0, sizeof(*r));
	r->home = home;
	r->dialect = &dialect_native;
	r->body.secret = 1;	/* bodies may carry secrets */
	r->cred.secret = 1;
	r->fcgi = f;
	r->store = st;
	r->now = (int64_t)time(NULL);
	r->method = param(r, "REQUEST_METHOD");
	r->query = param(r, "QUERY_STRING");
	r->content_type = param(r, "CONTENT_TYPE");
	r->authorization = param(r, "HTTP_AUTHORIZATION");
	r->remote_addr = param(r, "REMOTE_ADDR");
	r->user_agent = param(r, "HTTP_USER_AGENT");
	/* The path as the client sent it, so routes match whatever the server's script mapping. */
	uri = param(r, "REQUEST_URI");
	if (*uri != '\0') {
		q = strchr(uri, '?');
		buf_append(&r->pathbuf, uri, q != NULL ? (size_t)(q - uri) :
		    strlen(uri));
	} else {
		buf_puts(&r->pathbuf, param(r, "SCRIPT_NAME"));
		buf_puts(&r->pathbuf, param(r, "PATH_INFO"));
	}
	r->path = buf_cstr(&r->pathbuf);
}

static void
req_end(struct req *r)
{
	if (!r->replied)
		problem_send(r, 500, "The endpoint gave no answer.");
	drain(r);
	buf_free(&r->body);
	buf_free(&r->cred);
	/* The caller's secret, in the server's parameters: not left behind. */
	if (*r->authorization != '\0')
		sodium_memzero((char *)(uintptr_t)r->authorization,
		    strlen(r->authorization));
	buf_free(&r->headers);
	buf_free(&r->pathbuf);
}

/* s for a log line: "(unprintable)" if it holds a control character. */
static const char *
printable(const char *s)
{
	const unsigned char	*p;

	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return "(unprintable)";
	return s;
}

/* Is the request's path the program's own URL (SCRIPT_NAME, PATH_INFO)? */
static int
own_url(struct req *r)
{
	const char	*script = param(r, "SCRIPT_NAME");
	size_t		 n = strlen(script);

	return n > 0 && strncmp(r->path, script, n) == 0 &&
	    strcmp(r->path + n, param(r, "PATH_INFO")) == 0;
}

/* Has the path a "." or ".." segment? */
static int
dot_segment(const char *p)
{
	size_t	 n;

	for (; *p == '/'; p += n) {
		n = 1 + strcspn(p + 1, "/");
		if ((n == 2 && p[1] == '.') ||
		    (n == 3 && p[1] == '.' && p[2] == '.'))
			return 1;
	}
	return 0;
}

/*
 * Finds the request's route: its dialect, its "{}" segments.  A path
 * with no route for the method is 405 with Allow; a route of another
 * act means the web server's configuration is not the route table's.
 */
static void
dispatch(struct req *r, enum act act, req_handler handler)
{
	const struct route	*any;
	const char		*allow;

	/*
	 * The authorizer is asked about a location of the site, any path,
	 * and only in the FastCGI Authorizer role: as a responder it is no
	 * resource.
	 */
	if (act == ACT_AUTHORIZE) {
		r->dialect = &dialect_guard;
		if (r->fcgi != NULL && r->fcgi->role == FCGI_AUTHORIZER)
			handler(r);
		else
			problem_send(r, 404, "There is no such resource.");
		return;
	}
	r->route = route_find(r->method, r->path, r->params, &allow, &any);
	/*
	 * A path the table does not have reached this program, as plain CGI,
	 * at the program's own URL (its SCRIPT_NAME): it serves its act there
	 * as its first route does, with no path segments.  Any other such
	 * path (an escaped one, which the server routed by its decoded form)
	 * is no resource, as under FastCGI.
	 */
	if (r->route == NULL && any == NULL && r->fcgi == NULL &&
	    own_url(r)) {
		r->route = route_of_act(act, r->method, &allow);
		memset(r->params, 0, sizeof(r->params));
	}
	if (r->route == NULL && allow == NULL) {
		if (any != NULL)
			r->dialect = any->dialect;
		problem_send(r, 404, "There is no such resource.");
		return;
	}
	if (r->route == NULL) {
		if (any != NULL)
			r->dialect = any->dialect;
		req_header(r, "Allow", allow);
		problem_send(r, 405, "This method is not allowed on this "
		    "resource.");
		return;
	}
	r->dialect = r->route->dialect;
	/*
	 * The server routed what it made of the path, not the path as sent:
	 * "." and ".." resolved ("/v1/auth/api-tokens/." is a POST to
	 * /v1/auth/api-tokens/, not a mint of a token named "."), an escape
	 * decoded ("/v1/tokens/%2F" is a listing's path there).  Neither
	 * names a resource of this program.
	 */
	if (dot_segment(r->path) ||
	    (r->route->act != act && strchr(r->path, '%') != NULL)) {
		problem_send(r, 404, "There is no such resource.");
		return;
	}
	if (r->route->act == act) {
		handler(r);
		return;
	}
	fprintf(stderr, "keyhole[%ld]: %.16s %.200s reached %s: the server's "
	    "routes are not keyhole's (keyholectl routes)\n", (long)getpid(),
	    printable(r->method), printable(r->path), act_program(act));
	problem_send(r, 500, "The web server sent this request to the wrong "
	    "program.");
}

/*
 * A server stopping or reloading (lighttpd's graceful restart, multiwatch
 * stopping) sends SIGTERM: the request in hand is answered first, then
 * the loop ends.
 */
static void
on_term(int sig)
{
	(void)sig;
	FCGX_ShutdownPending();
}

int
req_serve(enum act act, req_handler handler)
{
	struct sigaction	 sa;
	sigset_t		 term;
	FCGX_Request	 f;
	struct store	*st = NULL;
	struct req	 r;
	const char	*home;
	char		 err[256] = "";
	int		 cgi;

	umask(007);
	signal(SIGPIPE, SIG_IGN);	/* a client gone mid-answer is not our death */
	if (sodium_init() < 0)
		return 1;
	home = getenv("KEYHOLE_HOME");
	cgi = FCGX_IsCGI();
	/*
	 * A server ends a plain CGI program still running once its answer
	 * is in (lighttpd, with SIGTERM): not while it leaves the store, or
	 * it would leave as one dead inside.  The signal waits for that.
	 */
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	if (cgi)
		sigprocmask(SIG_BLOCK, &term, NULL);
	if (home == NULL || *home == '\0') {
		snprintf(err, sizeof(err), "KEYHOLE_HOME is not set");
		home = "";
	} else if (act_uses_store(act) && store_open(&st, home,
	    cgi ? STORE_ON_DEMAND : 0, err, sizeof(err)) != STORE_OK)
		st = NULL;
	if (st == NULL && (act_uses_store(act) || *home == '\0'))
		fprintf(stderr, "keyhole[%ld]: %s\n", (long)getpid(), err);

	if (cgi) {
		req_begin(&r, NULL, st, home);
		dispatch(&r, act, handler);
		fflush(stdout);		/* the answer, before the store's close */
		/* Out of the store before reading what the client still sends. */
		store_close(st);
		sigprocmask(SIG_UNBLOCK, &term, NULL);
		req_end(&r);
		fflush(stdout);
		return 0;
	}
	if (FCGX_Init() != 0 || FCGX_InitRequest(&f, 0, 0) != 0)
		return 1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);	/* no SA_RESTART: accept() ends */
	while (FCGX_Accept_r(&f) >= 0) {
		if (st != NULL)
			(void)store_maintain(st);
		req_begin(&r, &f, st, home);
		dispatch(&r, act, handler);
		req_end(&r);
		FCGX_Finish_r(&f);
		if (st != NULL)
			store_after(st);
		/*
		 * After a panic, join the environment afresh: a worker that
		 * left would drop the requests already queued on its socket.
		 * When it cannot (no one has recovered it yet), leave, so
		 * that the next process to open it does.  One that rejoined
		 * many times, its old environments' memory still mapped,
		 * starts afresh.
		 */
		if (st != NULL && store_dead(st) && store_maintain(st) != STORE_OK)
			_exit(3);
		if (st != NULL && store_reopened(st) > REJOINS_MAX)
			break;
		if (st == NULL && act_uses_store(act))
			break;	/* let the server start us again: the store may be there now */
	}
	store_close(st);
	return 0;
}

/*
 * Reads and drops a body left unread (refused, or not needed), as plain
 * CGI, up to DRAIN_MAX: a program that exits with its input unread makes
 * Apache's mod_cgid cut the answer short.  (libfcgi drops what a FastCGI
 * request leaves.)
 */
static void
drain(struct req *r)
{
	const char	*cl = param(r, "CONTENT_LENGTH");
	char		 b[8192];
	int64_t		 n;
	size_t		 k;

	if (r->fcgi != NULL || r->body_read == 1 || *cl == '\0' ||
	    json_int_text(cl, strlen(cl), 0, DRAIN_MAX, &n) == -1)
		return;
	while (n > 0 && (k = fread(b, 1, n < (int64_t)sizeof(b) ?
	    (size_t)n : sizeof(b), stdin)) > 0)
		n -= (int64_t)k;
}

/*
 * Reads from the FastCGI connection give up at deadline (a CLOCK_MONOTONIC
 * second), or never when it is 0.  0 when the deadline has passed.
 */
static int
body_wait(struct req *r, int64_t deadline)
{
	struct timespec	 now;
	struct timeval	 tv = { 0, 0 };
	int64_t		 ms = 0;

	if (r->fcgi == NULL || r->fcgi->ipcFd < 0)
		return 1;
	if (deadline != 0) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		ms = (deadline - (int64_t)now.tv_sec) * 1000 -
		    now.tv_nsec / 1000000;
		if (ms <= 0)
			return 0;
		tv.tv_sec = (time_t)(ms / 1000);
		tv.tv_usec = (suseconds_t)(ms % 1000 * 1000);
	}
	(void)setsockopt(r->fcgi->ipcFd, SOL_SOCKET, SO_RCVTIMEO, &tv,
	    sizeof(tv));
	return 1;
}

int
req_body(struct req *r)
{
	const char	*cl = param(r, "CONTENT_LENGTH");
	struct timespec	 now;
	int64_t		 n, max, deadline;
	size_t		 got, want;
	int		 k, late = 0;

	/* Read once: a second call (a helper, after its caller) sees the same. */
	if (r->body_read != 0)
		return r->body_read == 1 ? 0 : -1;
	r->body_read = -1;
	buf_reset(&r->body);
	if (*cl == '\0') {
		r->body_read = 1;
		return 0;
	}
	if (cl[0] == '-' ||
	    json_int_text(cl, strlen(cl), 0, INT64_MAX, &n) == -1) {
		problem_send(r, 400, "Content-Length is not a number.");
		return -1;
	}
	max = json_int_env("KEYHOLE_BODY_MAX", 1024, 16 * 1024 * 1024,
	    REQ_BODY_MAX);
	if (n > max) {
		problem_send(r, 413, "The request body is larger than this "
		    "endpoint accepts.");
		return -1;
	}
	buf_reserve(&r->body, (size_t)n);
	/* The whole body within BODY_WAIT: a trickle holds a worker no longer. */
	clock_gettime(CLOCK_MONOTONIC, &now);
	deadline = (int64_t)now.tv_sec + BODY_WAIT;
	for (got = 0; got < (size_t)n; got += (size_t)k) {
		want = (size_t)n - got < 8192 ? (size_t)n - got : 8192;
		if (r->fcgi != NULL) {
			if (!body_wait(r, deadline)) {
				late = 1;
				break;
			}
			k = FCGX_GetStr(r->body.ptr + got, (int)want,
			    r->fcgi->in);
		} else
			k = (int)fread(r->body.ptr + got, 1, want, stdin);
		if (k <= 0)
			break;
	}
	if (r->fcgi != NULL) {
		/* A read the deadline cut short fails with EAGAIN. */
		late |= FCGX_GetError(r->fcgi->in) == EAGAIN;
		(void)body_wait(r, 0);
	}
	r->body.len = got;
	r->body.ptr[got] = '\0';
	if (late) {
		problem_send(r, 408, "The rest of the request body did not "
		    "come in time.");
		return -1;
	}
	if (got != (size_t)n) {
		problem_send(r, 400, "The request body is shorter than its "
		    "Content-Length.");
		return -1;
	}
	r->body_read = 1;
	return 0;
}

int
req_type_is(const struct req *r, const char *type)
{
	const char	*ct = r->content_type;
	size_t		 n = strlen(type);

	if (strncasecmp(ct, type, n) != 0)
		return 0;
	ct += n;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return *ct == '\0' || *ct == ';';
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
req_url_decode(const char *s, size_t len, struct buf *out)
{
	const char	*p, *end = s + len;
	int		 hi, lo;

	buf_reset(out);
	for (p = s; p < end; p++) {
		if (*p == '+')
			buf_putc(out, ' ');
		else if (*p == '%') {
			if (end - p < 3 || (hi = hexval(p[1])) == -1 ||
			    (lo = hexval(p[2])) == -1 || (hi == 0 && lo == 0))
				return -1;
			buf_putc(out, (char)(hi << 4 | lo));
			p += 2;
		} else
			buf_putc(out, *p);
	}
	return 0;
}

int
req_form_get(const char *s, size_t len, const char *name, struct buf *out)
{
	const char	*p = s, *end = s + len, *amp, *eq;
	size_t		 nlen = strlen(name);
	int		 found = 0;

	while (p < end) {
		amp = memchr(p, '&', (size_t)(end - p));
		if (amp == NULL)
			amp = end;
		eq = memchr(p, '=', (size_t)(amp - p));
		if (eq != NULL && (size_t)(eq - p) == nlen &&
		    memcmp(p, name, nlen) == 0) {
			if (found++)
				return -1;	/* RFC 6749 3.1: no repeats */
			if (req_url_decode(eq + 1, (size_t)(amp - eq - 1),
			    out) == -1)
				return -1;
		}
		p = amp + 1;
	}
	return found;
}

int
req_form_names_ok(const char *s, size_t len, const char *const names[],
    size_t nnames)
{
	const char	*p = s, *end = s + len, *amp, *eq;
	size_t		 i, n;
	unsigned char	 seen[64] = { 0 };

	if (nnames > sizeof(seen))
		return 0;
	while (p < end) {
		amp = memchr(p, '&', (size_t)(end - p));
		if (amp == NULL)
			amp = end;
		eq = memchr(p, '=', (size_t)(amp - p));
		n = (size_t)((eq != NULL ? eq : amp) - p);
		if (amp > p) {
			for (i = 0; i < nnames; i++)
				if (strlen(names[i]) == n &&
				    memcmp(names[i], p, n) == 0)
					break;
			if (i == nnames || seen[i]++)
				return 0;
		}
		p = amp + 1;
	}
	return 1;
}

const char *
req_env(struct req *r, const char *name)
{
	const char	*v = param(r, name);

	if (*v == '\0' && r->fcgi != NULL && (v = getenv(name)) == NULL)
		v = "";
	return v;
}

const char *
req_param(const struct req *r, const char *name)
{
	const char	*v;

	v = r->route != NULL ? route_param(r->route, r->params, name) : NULL;
	return v != NULL ? v : "";
}

void
req_header(struct req *r, const char *name, const char *value)
{
	/* One header line each: a value never splits the answer. */
	if (strpbrk(value, "\r\n") != NULL) {
		fprintf(stderr, "keyhole[%ld]: header %s dropped: a line break "
		    "in its value\n", (long)getpid(), name);
		return;
	}
	buf_printf(&r->headers, "%s: %s\r\n", name, value);
}

void
req_reply(struct req *r, int status, const char *type, const char *body,
    size_t len)
{
	struct buf	 h = BUF_INIT;

	if (r->replied)
		return;
	r->replied = 1;
	buf_printf(&h, "Status: %d %s\r\n", status, req_reason(status));
	if (type != NULL)
		buf_printf(&h, "Content-Type: %s\r\n", type);
	buf_printf(&h, "Content-Length: %zu\r\n", len);
	buf_puts(&h, "X-Content-Type-Options: nosniff\r\n");
	/* Nothing is cached unless the answer says it may be (the JWKS). */
	if (strstr(buf_cstr(&r->headers), "Cache-Control:") == NULL)
		buf_puts(&h, "Cache-Control: no-store\r\n");
	buf_append(&h, r->headers.ptr, r->headers.len);
	buf_puts(&h, "\r\n");
	if (r->fcgi != NULL) {
		FCGX_PutStr(h.ptr, (int)h.len, r->fcgi->out);
		if (len > 0)
			FCGX_PutStr(body, (int)len, r->fcgi->out);
	} else {
		fwrite(h.ptr, 1, h.len, stdout);
		if (len > 0)
			fwrite(body, 1, len, stdout);
	}
	buf_free(&h);
}

const char *
req_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Unknown";
	}
}
