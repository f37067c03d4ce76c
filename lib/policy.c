/* policy: what a token may do — scope syntax, scope grants, activity, and no escalation. */
#include <string.h>

#include "policy.h"
#include "store.h"

static int	 scope_part_ok(const char *, size_t);
static int	 grant_covers(const char *, size_t, const char *, size_t);

static int
scope_part_ok(const char *s, size_t len)
{
	size_t	 i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '_' || s[i] == '.' || s[i] == '-'))
			return 0;
	return 1;
}

int
policy_scope_ok(const char *s, size_t len)
{
	const char	*colon;

	if (len == 0 || len > SCOPE_MAXLEN)
		return 0;
	if (len == 1 && s[0] == '*')
		return 1;
	if ((colon = memchr(s, ':', len)) == NULL)
		return 0;
	if (!scope_part_ok(s, (size_t)(colon - s)))
		return 0;
	len -= (size_t)(colon - s) + 1;
	if (len == 1 && colon[1] == '*')
		return 1;
	return scope_part_ok(colon + 1, len);
}

int
policy_org_ok(const char *s, size_t len)
{
	size_t	 i;

	if (len == 0 || len > ORG_MAXLEN || s[0] == '-')
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '-'))
			return 0;
	return 1;
}

/* Does one granted scope g cover the wanted scope w? */
static int
grant_covers(const char *g, size_t glen, const char *w, size_t wlen)
{
	if (glen == 1 && g[0] == '*')
		return 1;
	if (glen == wlen && memcmp(g, w, glen) == 0)
		return 1;
	/* "res:*" covers "res:anything" and "res:*", never "*". */
	if (glen >= 2 && g[glen - 1] == '*' && g[glen - 2] == ':')
		return wlen >= glen && memcmp(g, w, glen - 1) == 0;
	return 0;
}

int
policy_allows(const char *have, const char *want, size_t wantlen)
{
	const char	*p = have, *e;

	while (*p != '\0') {
		e = strchr(p, ' ');
		if (e == NULL)
			e = p + strlen(p);
		if (grant_covers(p, (size_t)(e - p), want, wantlen))
			return 1;
		p = *e ? e + 1 : e;
	}
	return 0;
}

int
policy_subset(const char *have, const char *want)
{
	const char	*p = want, *e;

	while (*p != '\0') {
		e = strchr(p, ' ');
		if (e == NULL)
			e = p + strlen(p);
		if (!policy_allows(have, p, (size_t)(e - p)))
			return 0;
		p = *e ? e + 1 : e;
	}
	return 1;
}

void
policy_scopes_add(struct buf *list, const char *s, size_t len)
{
	struct buf	 out = BUF_INIT;
	const char	*p = buf_cstr(list), *e;
	int		 placed = 0, c;
	size_t		 n;

	while (*p != '\0') {
		e = strchr(p, ' ');
		if (e == NULL)
			e = p + strlen(p);
		n = (size_t)(e - p);
		c = memcmp(p, s, n < len ? n : len);
		if (c == 0)
			c = n < len ? -1 : n > len ? 1 : 0;
		if (c == 0) {
			buf_free(&out);
			return;		/* already there */
		}
		if (c > 0 && !placed) {
			if (out.len)
				buf_putc(&out, ' ');
			buf_append(&out, s, len);
			placed = 1;
		}
		if (out.len)
			buf_putc(&out, ' ');
		buf_append(&out, p, n);
		p = *e ? e + 1 : e;
	}
	if (!placed) {
		if (out.len)
			buf_putc(&out, ' ');
		buf_append(&out, s, len);
	}
	buf_free(list);
	*list = out;
}

enum tok_state
policy_state(const struct tok_rec *r, int64_t now)
{
	if (r->revoked_at != 0)
		return TOK_REVOKED;
	if (r->expires_at != 0 && now >= r->expires_at)
		return TOK_EXPIRED;
	if (r->starts_at != 0 && now < r->starts_at)
		return TOK_NOT_YET_VALID;
	if (r->uses_left == 0)
		return TOK_EXHAUSTED;
	return TOK_ACTIVE;
}

const char *
policy_state_name(enum tok_state s)
{
	static const char *const names[TOK__MAX] = {
		"active", "revoked", "expired", "pending", "exhausted",
	};

	return s < TOK__MAX ? names[s] : "unknown";
}

int
policy_org_visible(const char *caller_org, const char *org)
{
	return *caller_org == '\0' || strcmp(caller_org, org) == 0;
}
