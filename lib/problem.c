/* problem: an error as keyhole models it (a status, a detail, bad fields), answered in the route's dialect; the OAuth envelope. */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "dialect.h"
#include "json.h"
#include "problem.h"
#include "request.h"

/* A 401 carries a Bearer challenge, unless the caller set a more precise one. */
static void
challenge(struct req *r, int status)
{
	if (status == 401 &&
	    strstr(buf_cstr(&r->headers), "WWW-Authenticate:") == NULL)
		req_header(r, "WWW-Authenticate", "Bearer realm=\"keyhole\"");
}

void
problem_init(struct problem *p, int status, const char *detail)
{
	memset(p, 0, sizeof(*p));
	p->status = status;
	p->in = "body";
	snprintf(p->detail, sizeof(p->detail), "%s", detail);
}

void
problem_field(struct problem *p, const char *key, size_t keylen,
    const char *detail)
{
	char	*o;
	size_t	 i, n = 0, cap;

	if (p->nerr >= PROBLEM_MAXERR)
		return;
	o = p->err[p->nerr].pointer;
	cap = sizeof(p->err[0].pointer) - 1;
	o[n++] = '/';
	/* RFC 6901: '~' is "~0", '/' is "~1"; stop before a cut UTF-8 sequence. */
	for (i = 0; i < keylen && n + 2 <= cap; i++) {
		if (key[i] == '~' || key[i] == '/') {
			o[n++] = '~';
			o[n++] = key[i] == '~' ? '0' : '1';
		} else
			o[n++] = key[i];
	}
	while (i < keylen && n > 1 && ((unsigned char)o[n - 1] & 0xc0) == 0x80)
		n--;
	if (i < keylen && n > 1 && ((unsigned char)o[n - 1] & 0xc0) == 0xc0)
		n--;
	o[n] = '\0';
	snprintf(p->err[p->nerr].detail, sizeof(p->err[0].detail), "%s", detail);
	p->nerr++;
}

void
problem_element(struct problem *p, const char *key, int index,
    const char *detail)
{
	size_t	 n;
	int	 at = p->nerr;

	problem_field(p, key, strlen(key), detail);
	if (p->nerr == at)
		return;		/* full */
	n = strlen(p->err[at].pointer);
	snprintf(p->err[at].pointer + n, sizeof(p->err[at].pointer) - n, "/%d",
	    index);
}

void
problem_reply(struct req *r, const struct problem *p)
{
	challenge(r, p->status);
	(r->dialect != NULL ? r->dialect : &dialect_native)->error(r, p);
}

void
problem_send(struct req *r, int status, const char *detail)
{
	struct problem	 p;

	problem_init(&p, status, detail);
	problem_reply(r, &p);
}

void
oauth_error(struct req *r, int status, const char *error,
    const char *description)
{
	struct buf	 b = BUF_INIT;
	struct jsonw	 w;

	jw_init(&w, &b);
	jw_obj_open(&w, NULL);
	jw_str(&w, "error", error);
	jw_str(&w, "error_description", description);
	jw_obj_close(&w);
	challenge(r, status);
	req_reply(r, status, "application/json", b.ptr, b.len);
	buf_free(&b);
}
