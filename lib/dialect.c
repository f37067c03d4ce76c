/* dialect: what the dialects share — the Bearer credential, the problem document, a token's answer, an error's one-line message. */
#include <string.h>
#include <strings.h>

#include "api.h"
#include "dialect.h"
#include "problem.h"

int
dialect_bearer(struct req *r, const char **s, size_t *len)
{
	const char	*a = r->authorization;

	if (strncasecmp(a, "Bearer ", 7) != 0)
		return 0;
	for (a += 7; *a == ' '; a++)
		continue;
	*s = a;
	*len = strlen(a);
	return 1;
}

int
dialect_any_credential(struct req *r, const char **s, size_t *len)
{
	if (strncmp(r->authorization, ARCHIL_PREFIX,
	    sizeof(ARCHIL_PREFIX) - 1) == 0) {
		*s = r->authorization;
		*len = strlen(*s);
		return 1;
	}
	return dialect_bearer(r, s, len);
}

/* The authorizer's: any credential a dialect accepts, problem documents. */
const struct dialect dialect_guard = {
	.name = "guard",
	.credential = dialect_any_credential,
	.error = dialect_problem,
};

void
dialect_problem(struct req *r, const struct problem *p)
{
	struct buf	 b = BUF_INIT;
	struct jsonw	 w;
	int		 i;

	jw_init(&w, &b);
	jw_obj_open(&w, NULL);
	jw_str(&w, "type", "about:blank");
	jw_str(&w, "title", req_reason(p->status));
	jw_int(&w, "status", p->status);
	jw_str(&w, "detail", p->detail);
	if (p->nerr > 0) {
		jw_arr_open(&w, "errors");
		for (i = 0; i < p->nerr; i++) {
			jw_obj_open(&w, NULL);
			jw_str(&w, "pointer", p->err[i].pointer);
			jw_str(&w, "detail", p->err[i].detail);
			jw_obj_close(&w);
		}
		jw_arr_close(&w);
	}
	jw_obj_close(&w);
	req_reply(r, p->status, "application/problem+json", b.ptr, b.len);
	buf_free(&b);
}

int
dialect_no_grace(struct req *r, int64_t *grace)
{
	(void)r;
	*grace = 0;
	return 1;
}

void
dialect_token(struct req *r, int status, const struct tok_rec *t,
    const char *secret)
{
	struct buf	 out = BUF_SECRET_INIT;	/* it may hold the secret */
	struct jsonw	 w;

	if (r->dialect->token != NULL) {
		r->dialect->token(r, status, t, secret);
		return;
	}
	jw_init(&w, &out);
	jw_obj_open(&w, NULL);
	r->dialect->members(&w, t, r->now);
	if (secret != NULL)
		jw_str(&w, r->dialect->secret_key, secret);
	jw_obj_close(&w);
	api_json_reply(r, status, &out);
	buf_free(&out);
}

void
dialect_error_object(struct req *r, const struct problem *p,
    void (*members)(struct jsonw *, const char *msg, int status))
{
	struct buf	 out = BUF_INIT, msg = BUF_INIT;
	struct jsonw	 w;
	int		 status = p->status == 422 ? 400 : p->status;

	/* The first bad field, else the detail. */
	if (p->nerr > 0)
		buf_printf(&msg, "%s: %s", p->err[0].pointer + 1,
		    p->err[0].detail);
	else
		buf_puts(&msg, p->detail);
	jw_init(&w, &out);
	jw_obj_open(&w, NULL);
	members(&w, buf_cstr(&msg), status);
	jw_obj_close(&w);
	api_json_reply(r, status, &out);
	buf_free(&out);
	buf_free(&msg);
}
