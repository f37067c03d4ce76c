/*
 * fuzz.h: what the harnesses share — a request as req_begin() would
 * make it, with the body already read, callers as the store would hand
 * them over, and the answer req_reply() writes to stdout, caught and
 * checked.  No store, no web server.
 */
#ifndef KH_FUZZ_H
#define KH_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "keyhole.h"

#define FUZZ_NOW	1750000000	/* 2025-06-15: a fixed "now" */

int	 LLVMFuzzerInitialize(int *, char ***);
int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* A NUL-terminated copy of s[0..n): a NUL inside ends it, as a header's. */
static inline char *
fuzz_str(const uint8_t *s, size_t n)
{
	char	*p;

	if ((p = malloc(n + 1)) == NULL)
		abort();
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* The next line of *p (to '\n' or end) as a new C string; *p moves on. */
static inline char *
fuzz_line(const uint8_t **p, const uint8_t *end)
{
	const uint8_t	*nl;
	char		*s;

	if ((nl = memchr(*p, '\n', (size_t)(end - *p))) == NULL)
		nl = end;
	s = fuzz_str(*p, (size_t)(nl - *p));
	*p = nl < end ? nl + 1 : end;
	return s;
}

/*
 * A request as req_begin() makes it, its body read (req_body() returns it
 * as is; NULL: none); the strings stay the caller's.
 */
static inline void
fuzz_req(struct req *r, const char *method, const char *path,
    const char *query, const char *type, const char *auth,
    const uint8_t *body, size_t len)
{
	memset(r, 0, sizeof(*r));
	r->home = "";
	r->dialect = &dialect_native;
	r->body.secret = 1;
	r->cred.secret = 1;
	r->now = FUZZ_NOW;
	r->method = method;
	r->path = path;
	r->query = query;
	r->content_type = type;
	r->authorization = auth;
	r->remote_addr = "192.0.2.1";
	r->user_agent = "keyhole-fuzz";
	/* No body at all leaves it NULL, as req_body() does. */
	if (body != NULL)
		buf_append(&r->body, body, len);
	r->body_read = 1;
}

static inline void
fuzz_req_free(struct req *r)
{
	buf_free(&r->body);
	buf_free(&r->cred);
	buf_free(&r->headers);
	buf_free(&r->pathbuf);
}

/* Callers as tokens_caller() fills them in. */
enum { CALLER_ROOT, CALLER_ADMIN, CALLER_WORKSPACE, CALLER_MEMBER,
    CALLER_SERVICE, CALLER__MAX };

static inline void
fuzz_caller(struct tok_rec *c, unsigned which)
{
	static const struct {
		const char	*org, *entity, *bindings, *direct, *subject;
		int64_t		 uses;
	} callers[CALLER__MAX] = {
		/* keyholectl's root token: every organization, "*". */
		[CALLER_ROOT] = { "", "", "", "*", "", -1 },
		[CALLER_ADMIN] = { "acme", "organization", "ADMIN@organization",
		    "", "alice", -1 },
		[CALLER_WORKSPACE] = { "acme", "workspace:docs",
		    "WORKSPACE_OWNER@workspace:docs", "tokens:introspect",
		    "bob", -1 },
		[CALLER_MEMBER] = { "acme", "organization",
		    "MEMBER@organization WORKSPACE_MEMBER@workspace:lists",
		    "tokens:create", "carol", 10 },
		/* A service token: no subject, one workspace, limited uses. */
		[CALLER_SERVICE] = { "beta", "workspace:ci",
		    "WORKSPACE_OPERATOR@workspace:ci", "db:read", "", 3 },
	};

	tok_rec_init(c);
	which %= CALLER__MAX;
	memset(c->id, (int)which + 1, UUID_LEN);
	c->id[6] = 0x70;
	c->id[8] = 0x80;
	c->created_at = FUZZ_NOW - 86400;
	c->expires_at = which == CALLER_ROOT ? 0 : FUZZ_NOW + 30 * 86400;
	c->uses_left = callers[which].uses;
	memcpy(c->hint, "abcd", TOK_HINT_LEN + 1);
	buf_puts(&c->organization, callers[which].org);
	buf_puts(&c->entity, callers[which].entity);
	buf_puts(&c->bindings, callers[which].bindings);
	buf_puts(&c->direct, callers[which].direct);
	buf_puts(&c->subject, callers[which].subject);
	policy_expand(buf_cstr(&c->bindings), buf_cstr(&c->direct),
	    &c->scopes);
}

/*
 * A variable of the environment (a CGI request's) set anew for each
 * input.  setenv() would leave each old value allocated, and libFuzzer
 * would then look for leaks after every new input: this entry is a
 * buffer of ours, put there once (values past its size are cut).
 */
struct fuzz_env {
	char	 buf[8192];
	size_t	 at;		/* where the value starts */
};

static inline void
fuzz_env_init(struct fuzz_env *e, const char *name)
{
	e->at = (size_t)snprintf(e->buf, sizeof(e->buf), "%s=", name);
	if (putenv(e->buf) != 0)
		abort();
}

static inline void
fuzz_env_set(struct fuzz_env *e, const char *value)
{
	snprintf(e->buf + e->at, sizeof(e->buf) - e->at, "%s", value);
}

/* Answers (req_reply) go to stdout: away with them. */
static inline void
fuzz_quiet(void)
{
	if (freopen("/dev/null", "w", stdout) == NULL)
		abort();
}

/*
 * The answer req_reply() writes to stdout, caught in memory: begin
 * before the request, end after it (out gets what was written).
 */
struct fuzz_capture {
	FILE	*stdout_was;
	char	*ptr;
	size_t	 len;
};

static inline struct fuzz_capture *
fuzz_capture(void)
{
	static struct fuzz_capture	 c;

	return &c;
}

static inline void
fuzz_capture_begin(void)
{
	struct fuzz_capture	*c = fuzz_capture();

	fflush(stdout);
	c->stdout_was = stdout;
	if ((stdout = open_memstream(&c->ptr, &c->len)) == NULL)
		abort();
}

static inline void
fuzz_capture_end(struct buf *out)
{
	struct fuzz_capture	*c = fuzz_capture();

	fclose(stdout);
	stdout = c->stdout_was;
	buf_reset(out);
	buf_append(out, c->ptr, c->len);
	free(c->ptr);
	c->ptr = NULL;
}

/*
 * A broken promise of the code under test: report it as a crash (on
 * file descriptor 2, as the sanitizers do, whatever stderr is then).
 */
#define FUZZ_ASSERT(c) do {						\
	if (!(c)) {							\
		dprintf(2, "%s:%d: fuzz check failed: %s\n",		\
		    __FILE__, __LINE__, #c);				\
		abort();						\
	}								\
} while (0)

/*
 * An answer as req_reply() wrote it: a status keyhole knows, a
 * Content-Length that is the body's, and a JSON body that is JSON.
 * Returns the status, 0 when nothing was written.
 */
static inline int
fuzz_check_answer(const struct buf *a)
{
	struct json_doc	 d;
	const char	*p = buf_cstr(a), *end, *cl, *ct;
	size_t		 len, blen;
	int		 status;

	if (a->len == 0)
		return 0;
	FUZZ_ASSERT(sscanf(p, "Status: %d ", &status) == 1);
	FUZZ_ASSERT(strcmp(req_reason(status), "Unknown") != 0);
	FUZZ_ASSERT((end = strstr(p, "\r\n\r\n")) != NULL);
	end += 4;
	blen = a->len - (size_t)(end - p);
	FUZZ_ASSERT((cl = strstr(p, "\r\nContent-Length: ")) != NULL &&
	    cl < end);
	FUZZ_ASSERT(sscanf(cl, "\r\nContent-Length: %zu", &len) == 1 &&
	    len == blen);
	if ((ct = strstr(p, "\r\nContent-Type: application/")) != NULL &&
	    ct < end && (strncmp(ct + 28, "json\r", 5) == 0 ||
	    strncmp(ct + 28, "problem+json\r", 13) == 0)) {
		FUZZ_ASSERT(json_parse(&d, end, blen, 1 << 16,
		    2 * JSON_MAXDEPTH) == 0);
		json_free(&d);
	}
	return status;
}

#endif
