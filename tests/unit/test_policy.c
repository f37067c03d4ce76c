/* test_policy: unit tests for lib/policy.c (scope and organization syntax, grants, token state, roles, entities, no escalation). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "keyhole.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))
/* A string literal and its length, embedded NULs included. */
#define S(x)		x, sizeof(x) - 1

#define B16	"bbbbbbbbbbbbbbbb"
#define B126	B16 B16 B16 B16 B16 B16 B16 "bbbbbbbbbbbbbb"
#define O16	"oooooooooooooooo"
#define O63	O16 O16 O16 "ooooooooooooooo"
#define I16	"iiiiiiiiiiiiiiii"
#define I64	I16 I16 I16 I16
#define I71	I64 "iiiiiii"

#define NGRANTS	6
#define NWANTS	11

static void	 rec_set(struct tok_rec *, const char *const [4]);
static Suite	*policy_suite(void);

/* The grant/want matrix shared by the policy_allows and policy_subset tests. */
static const char *const grants[NGRANTS] = {
	"*",
	"tokens:*",
	"tokens:read tokens:create",
	"protected:read",
	"*:read",
	"*:read *:write tokens:*",
};
static const char *const wants[NWANTS] = {
	"*",
	"tokens:*",
	"tokens:read",
	"tokens:revoke",
	"protected:read",
	"protected:*",
	"audit:read",
	"*:read",
	"db:read",
	"db:write",
	"*:write",
};
/*
 * Written out by hand: covers[g][w].  Columns: *, tokens:*, tokens:read,
 * tokens:revoke, protected:read, protected:*, audit:read | *:read,
 * db:read, db:write, *:write.
 */
static const int covers[NGRANTS][NWANTS] = {
	{ 1, 1, 1, 1, 1, 1, 1,  1, 1, 1, 1 },	/* * */
	{ 0, 1, 1, 1, 0, 0, 0,  0, 0, 0, 0 },	/* tokens:* */
	{ 0, 0, 1, 0, 0, 0, 0,  0, 0, 0, 0 },	/* tokens:read tokens:create */
	{ 0, 0, 0, 0, 1, 0, 0,  0, 0, 0, 0 },	/* protected:read */
	{ 0, 0, 0, 0, 1, 0, 0,  1, 1, 0, 0 },	/* *:read */
	{ 0, 1, 1, 1, 1, 0, 0,  1, 1, 1, 1 },	/* *:read *:write tokens:* */
};

/*
 * A hand-built token: f[0] organization, f[1] entity (NULL: none stored,
 * i.e. the organization), f[2] bindings "ROLE@entity ...", f[3] direct
 * scopes.  Its effective scopes are not needed by the policy functions.
 */
static void
rec_set(struct tok_rec *r, const char *const f[4])
{
	tok_rec_init(r);
	buf_puts(&r->organization, f[0]);
	if (f[1] != NULL)
		buf_puts(&r->entity, f[1]);
	buf_puts(&r->bindings, f[2]);
	buf_puts(&r->direct, f[3]);
}

START_TEST(test_scope_ok)
{
	static const struct {
		const char	*s;
		size_t		 len;
		int		 ok;
	} t[] = {
		{ S("*"), 1 },
		{ S("tokens:create"), 1 },
		{ S("tokens:*"), 1 },
		{ S("protected:read"), 1 },
		{ S("db:create"), 1 },
		{ S("a.b-c_d:x"), 1 },
		{ S("a:b"), 1 },
		{ S("0:9"), 1 },
		{ S("a:" B126), 1 },			/* 128: the maximum */
		{ "tokens:read:x", 11, 1 },		/* only len bytes count */
		{ "*x", 1, 1 },
		{ S(""), 0 },
		{ S("tokens"), 0 },
		{ S(":read"), 0 },
		{ S("tokens:"), 0 },
		{ S(":"), 0 },
		{ S(":*"), 0 },
		{ S("Tokens:read"), 0 },
		{ S("tokens:Read"), 0 },
		{ S("tokens:read:x"), 0 },
		{ S("a:b:c"), 0 },
		{ S("*:read"), 1 },			/* any resource, one action */
		{ S("*:write"), 1 },
		{ S("*:a.b-c_d"), 1 },
		{ S("*:" B126), 1 },			/* 128 */
		{ "*:readx", 6, 1 },
		{ S("*:" B126 "b"), 0 },		/* 129 */
		{ S("*:*"), 0 },			/* spelled "*" */
		{ S("*:"), 0 },
		{ S("*:Read"), 0 },
		{ S("*:read:x"), 0 },
		{ S("*:re*"), 0 },
		{ S("*:*x"), 0 },
		{ S("**:read"), 0 },
		{ S("*x:read"), 0 },
		{ S("x*:read"), 0 },
		{ S("*:read "), 0 },
		{ S("*:re\0ad"), 0 },
		{ S("**"), 0 },
		{ S("tokens:**"), 0 },
		{ S("tokens:*x"), 0 },
		{ S("tok ens:read"), 0 },
		{ S("tokens:read "), 0 },
		{ S(" tokens:read"), 0 },
		{ S("tokens:read tokens:create"), 0 },
		{ S("a:" B126 "b"), 0 },		/* 129 */
		{ S("tokens:re\0ad"), 0 },		/* embedded NUL */
		{ S("tokens\0:read"), 0 },
		{ S("*\0"), 0 },
	};
	size_t	 i;

	for (i = 0; i < NITEMS(t); i++)
		ck_assert_msg(policy_scope_ok(t[i].s, t[i].len) == t[i].ok,
		    "row %zu: policy_scope_ok(\"%.*s\", %zu) != %d", i,
		    (int)t[i].len, t[i].s, t[i].len, t[i].ok);
}
END_TEST

START_TEST(test_org_ok)
{
	static const struct {
		const char	*s;
		size_t		 len;
		int		 ok;
	} t[] = {
		{ S("acme"), 1 },
		{ S("acme-2"), 1 },
		{ S("a"), 1 },
		{ S("0"), 1 },
		{ S("a-b-c"), 1 },
		{ S(O63), 1 },			/* 63: the maximum */
		{ "acme_x", 4, 1 },		/* only len bytes count */
		{ S(""), 0 },
		{ S("-acme"), 0 },
		{ S("-"), 0 },
		{ S("Acme"), 0 },
		{ S("acmE"), 0 },
		{ S("ac_me"), 0 },
		{ S("ac.me"), 0 },
		{ S("ac me"), 0 },
		{ S("ac:me"), 0 },
		{ S(O63 "o"), 0 },		/* 64 */
		{ S("ac\0me"), 0 },		/* embedded NUL */
	};
	size_t	 i;

	for (i = 0; i < NITEMS(t); i++)
		ck_assert_msg(policy_org_ok(t[i].s, t[i].len) == t[i].ok,
		    "row %zu: policy_org_ok(\"%.*s\", %zu) != %d", i,
		    (int)t[i].len, t[i].s, t[i].len, t[i].ok);
}
END_TEST

START_TEST(test_allows_matrix)
{
	size_t	 g, w;

	for (g = 0; g < NGRANTS; g++)
		for (w = 0; w < NWANTS; w++)
			ck_assert_msg(policy_allows(grants[g], wants[w],
			    strlen(wants[w])) == covers[g][w],
			    "policy_allows(\"%s\", \"%s\") != %d",
			    grants[g], wants[w], covers[g][w]);
}
END_TEST

START_TEST(test_subset_matrix)
{
	size_t	 g, w;

	for (g = 0; g < NGRANTS; g++)
		for (w = 0; w < NWANTS; w++)
			ck_assert_msg(policy_subset(grants[g], wants[w]) ==
			    covers[g][w], "policy_subset(\"%s\", \"%s\") != %d",
			    grants[g], wants[w], covers[g][w]);
}
END_TEST

START_TEST(test_allows_edges)
{
	static const struct {
		const char	*have;
		const char	*want;
		size_t		 wantlen;
		int		 ok;
	} t[] = {
		{ "tokens:read", S("tokens:re"), 0 },
		{ "tokens:re", S("tokens:read"), 0 },
		{ "tokens:read", S("tokens:reads"), 0 },
		{ "tokens:*", S("tokensx:read"), 0 },
		{ "tokens:*", S("tokens"), 0 },
		{ "token:*", S("tokens:read"), 0 },
		{ "tokens:read tokens:create", S("tokens:create"), 1 },
		{ "audit:read tokens:*", S("tokens:revoke"), 1 },
		{ "", S("tokens:read"), 0 },
		{ "", S("*"), 0 },
		/* want is a slice of a longer string */
		{ "tokens:read", "tokens:read tokens:create", 11, 1 },
		{ "tokens:create", "tokens:read tokens:create", 11, 0 },
		{ "tokens:read", "tokens:readx", 11, 1 },
		/* "*:act": any resource, that action */
		{ "*:read", S("x:read"), 1 },
		{ "*:read", S("*:read"), 1 },
		{ "*:read", S("read"), 0 },
		{ "*:read", S(":read"), 0 },
		{ "*:read", S("db:reads"), 0 },
		{ "*:read", S("db:xread"), 0 },
		{ "*:read", S("db:*"), 0 },
		{ "*:read", S("tokens:*"), 0 },
		{ "*:read", S("*"), 0 },
		{ "*:read", S("*:write"), 0 },
		{ "*:ad", S("re:ad"), 1 },
		{ "*:ad", S("x:read"), 0 },
		{ "tokens:*", S("*:read"), 0 },
		{ "db:*", S("*:read"), 0 },
		{ "db:read", S("*:read"), 0 },
		{ "audit:read *:write", S("db:write"), 1 },
		{ "*:read", "*:read *:write", 6, 1 },
		{ "*:write", "db:read db:write", 7, 0 },
		{ "*:read", "db:read tokens:x", 7, 1 },
	};
	size_t	 i;

	for (i = 0; i < NITEMS(t); i++)
		ck_assert_msg(policy_allows(t[i].have, t[i].want, t[i].wantlen) ==
		    t[i].ok, "row %zu: policy_allows(\"%s\", \"%.*s\") != %d",
		    i, t[i].have, (int)t[i].wantlen, t[i].want, t[i].ok);
}
END_TEST

START_TEST(test_subset_lists)
{
	static const struct {
		const char	*have;
		const char	*want;
		int		 ok;
	} t[] = {
		{ "*", "audit:read tokens:read", 1 },
		{ "*", "*", 1 },
		{ "tokens:*", "tokens:create tokens:read", 1 },
		{ "tokens:*", "tokens:* tokens:read", 1 },
		{ "tokens:*", "audit:read tokens:read", 0 },
		{ "tokens:*", "tokens:read audit:read", 0 },
		{ "tokens:*", "*", 0 },
		{ "tokens:read tokens:create", "tokens:create tokens:read", 1 },
		{ "tokens:read tokens:create", "tokens:create", 1 },
		{ "tokens:read tokens:create",
		    "tokens:create tokens:read tokens:revoke", 0 },
		{ "tokens:read tokens:create", "tokens:*", 0 },
		{ "audit:read tokens:*", "audit:read tokens:revoke", 1 },
		{ "protected:read", "protected:read protected:write", 0 },
		{ "protected:read", "", 1 },		/* empty want: a subset */
		{ "*", "", 1 },
		{ "", "", 1 },
		{ "", "tokens:read", 0 },
		{ "*:read", "audit:read db:read *:read", 0 },	/* not keyhole's */
		{ "*:read", "db:read *:read", 1 },
		/* tokens:assign is held by name only. */
		{ "*", "tokens:assign", 0 },
		{ "tokens:*", "tokens:assign", 0 },
		{ "* tokens:assign", "tokens:assign db:read", 1 },
		{ "*:assign", "tokens:assign", 0 },
		{ "*:manage", "keys:manage", 0 },
		{ "*:manage", "db:manage", 1 },
		{ "*:read", "db:read db:write", 0 },
		{ "*:read", "*:read *:write", 0 },
		{ "*:read *:write tokens:*", "db:read db:write tokens:revoke", 1 },
		{ "*:read *:write tokens:*", "*:write tokens:*", 1 },
		{ "*:read *:write tokens:*", "db:delete", 0 },
		{ "*:read *:write tokens:*", "*", 0 },
		{ "tokens:*", "*:read", 0 },
	};
	size_t	 i;

	for (i = 0; i < NITEMS(t); i++)
		ck_assert_msg(policy_subset(t[i].have, t[i].want) == t[i].ok,
		    "row %zu: policy_subset(\"%s\", \"%s\") != %d", i,
		    t[i].have, t[i].want, t[i].ok);
}
END_TEST

START_TEST(test_scopes_add)
{
	static const struct {
		const char	*add[6];	/* NULL-terminated */
		const char	*list;
	} t[] = {
		{ { "tokens:read", NULL }, "tokens:read" },
		{ { "b:x", "a:y", "b:x", "a:a", NULL }, "a:a a:y b:x" },
		{ { "z:z", "y:y", "x:x", NULL }, "x:x y:y z:z" },
		{ { "a:a", "a:a", NULL }, "a:a" },
		{ { "a:b", "a:bc", "a:b", NULL }, "a:b a:bc" },
		{ { "a:bc", "a:b", "a:bc", NULL }, "a:b a:bc" },
		{ { "a:b", "a:bc", "a:b-c", NULL }, "a:b a:b-c a:bc" },
		{ { "a:b", "a:c", "a:a", "a:bb", NULL }, "a:a a:b a:bb a:c" },
		{ { "tokens:read", "*", NULL }, "* tokens:read" },
		{ { "tokens:read", "tokens:*", NULL }, "tokens:* tokens:read" },
		{ { "db:read", "*:read", "*", "*:read", NULL }, "* *:read db:read" },
	};
	struct buf	 b;
	size_t		 i, j;

	for (i = 0; i < NITEMS(t); i++) {
		buf_init(&b);
		for (j = 0; t[i].add[j] != NULL; j++)
			policy_scopes_add(&b, t[i].add[j], strlen(t[i].add[j]));
		ck_assert_msg(strcmp(buf_cstr(&b), t[i].list) == 0,
		    "row %zu: got \"%s\", want \"%s\"", i, buf_cstr(&b),
		    t[i].list);
		ck_assert_msg(b.len == strlen(t[i].list), "row %zu: len %zu",
		    i, b.len);
		buf_free(&b);
	}
}
END_TEST

START_TEST(test_scopes_add_length)
{
	struct buf	 b = BUF_INIT;

	/* Only len bytes of the scope are added. */
	policy_scopes_add(&b, "tokens:read tokens:create", 11);
	policy_scopes_add(&b, "audit:readXYZ", 10);
	ck_assert_str_eq(buf_cstr(&b), "audit:read tokens:read");
	ck_assert_uint_eq(b.len, 22);
	buf_free(&b);
}
END_TEST

START_TEST(test_state)
{
	static const struct {
		int64_t		 revoked_at, expires_at, starts_at, uses_left;
		enum tok_state	 want;
	} t[] = {
		/* now is 1000 throughout */
		{ 0, 0, 0, -1, TOK_ACTIVE },
		{ 0, 1001, 999, 5, TOK_ACTIVE },
		{ 500, 0, 0, -1, TOK_REVOKED },
		{ 1000, 0, 0, -1, TOK_REVOKED },
		{ 500, 900, 0, -1, TOK_REVOKED },	/* revoked wins over expired */
		{ 500, 0, 2000, 0, TOK_REVOKED },
		{ 0, 1000, 0, -1, TOK_EXPIRED },	/* now == expires_at */
		{ 0, 999, 0, -1, TOK_EXPIRED },
		{ 0, 1001, 0, -1, TOK_ACTIVE },
		{ 0, 0, 1001, -1, TOK_NOT_YET_VALID },
		{ 0, 0, 1000, -1, TOK_ACTIVE },		/* now == starts_at */
		{ 0, 0, 999, -1, TOK_ACTIVE },
		{ 0, 0, 0, 0, TOK_EXHAUSTED },
		{ 0, 0, 0, 1, TOK_ACTIVE },
		{ 0, 0, 0, -1, TOK_ACTIVE },		/* unlimited */
	};
	struct tok_rec	 r;
	size_t		 i;

	for (i = 0; i < NITEMS(t); i++) {
		tok_rec_init(&r);
		r.revoked_at = t[i].revoked_at;
		r.expires_at = t[i].expires_at;
		r.starts_at = t[i].starts_at;
		r.uses_left = t[i].uses_left;
		ck_assert_msg(policy_state(&r, 1000) == t[i].want,
		    "row %zu: state %s, want %s", i,
		    policy_state_name(policy_state(&r, 1000)),
		    policy_state_name(t[i].want));
		tok_rec_free(&r);
	}
}
END_TEST

START_TEST(test_state_init_active)
{
	struct tok_rec	 r;

	/* A freshly initialised record is unlimited and active. */
	tok_rec_init(&r);
	ck_assert_int_eq(r.uses_left, -1);
	ck_assert_int_eq(policy_state(&r, 1000), TOK_ACTIVE);
	tok_rec_free(&r);
}
END_TEST

START_TEST(test_state_name)
{
	static const struct {
		enum tok_state	 s;
		const char	*name;
	} t[] = {
		{ TOK_ACTIVE, "active" },
		{ TOK_REVOKED, "revoked" },
		{ TOK_EXPIRED, "expired" },
		{ TOK_NOT_YET_VALID, "pending" },
		{ TOK_EXHAUSTED, "exhausted" },
		{ TOK__MAX, "unknown" },
	};
	size_t	 i;

	for (i = 0; i < NITEMS(t); i++)
		ck_assert_msg(strcmp(policy_state_name(t[i].s), t[i].name) == 0,
		    "row %zu: \"%s\", want \"%s\"", i,
		    policy_state_name(t[i].s), t[i].name);
}
END_TEST

START_TEST(test_org_visible)
{
	static const struct {
		const char	*caller, *org;
		int		 ok;
	} t[] = {
		{ "", "acme", 1 },
		{ "", "other", 1 },
		{ "", "", 1 },
		{ "acme", "acme", 1 },
		{ "acme", "other", 0 },
		{ "acme", "", 0 },
		{ "acme", "acme-2", 0 },
		{ "acme-2", "acme", 0 },
		{ "acme", "acm", 0 },
	};
	size_t	 i;

	for (i = 0; i < NITEMS(t); i++)
		ck_assert_msg(policy_org_visible(t[i].caller, t[i].org) ==
		    t[i].ok, "row %zu: policy_org_visible(\"%s\", \"%s\") != %d",
		    i, t[i].caller, t[i].org, t[i].ok);
}
END_TEST

/* ---- roles and entities ---- */

START_TEST(test_role)
{
	static const struct {
		const char	*name;
		size_t		 len;
		const char	*found;		/* NULL: no such role */
		unsigned	 at;
		const char	*scopes;
	} t[] = {
		{ S("ADMIN"), "ADMIN", ENT_ORGANIZATION, "* tokens:assign" },
		{ S("MEMBER"), "MEMBER", ENT_ORGANIZATION,
		    "*:read *:write tokens:*" },
		{ S("EXTERNAL"), "EXTERNAL", ENT_ORGANIZATION, "*:read" },
		{ S("ORGANIZATION_OWNER"), "ORGANIZATION_OWNER",
		    ENT_ORGANIZATION, "* tokens:assign" },
		{ S("ORGANIZATION_MEMBER"), "ORGANIZATION_MEMBER",
		    ENT_ORGANIZATION, "*:read" },
		{ S("WORKSPACE_OWNER"), "WORKSPACE_OWNER", ENT_WORKSPACE, "*" },
		{ S("WORKSPACE_OPERATOR"), "WORKSPACE_OPERATOR", ENT_WORKSPACE,
		    "*:read *:write tokens:*" },
		{ S("WORKSPACE_MEMBER"), "WORKSPACE_MEMBER", ENT_WORKSPACE,
		    "*:read" },
		{ S("DEPLOYMENT_ADMIN"), "DEPLOYMENT_ADMIN", ENT_DEPLOYMENT,
		    "*" },
		{ S("full-access"), "full-access", ENT_ORGANIZATION | ENT_GROUP,
		    "*" },
		{ S("read-only"), "read-only", ENT_ORGANIZATION | ENT_GROUP,
		    "*:read" },
		/* only len bytes count */
		{ "ADMINX", 5, "ADMIN", ENT_ORGANIZATION, "* tokens:assign" },
		{ "WORKSPACE_OWNERS", 15, "WORKSPACE_OWNER", ENT_WORKSPACE,
		    "*" },
		{ "read-only@group:g", 9, "read-only",
		    ENT_ORGANIZATION | ENT_GROUP, "*:read" },
		/* exact, case-sensitive names */
		{ S("admin"), NULL, 0, NULL },
		{ S("Admin"), NULL, 0, NULL },
		{ S("member"), NULL, 0, NULL },
		{ S("FULL-ACCESS"), NULL, 0, NULL },
		{ S("Read-Only"), NULL, 0, NULL },
		{ S("full_access"), NULL, 0, NULL },
		{ S("READ_ONLY"), NULL, 0, NULL },
		{ S("ADMIN "), NULL, 0, NULL },
		{ S(" ADMIN"), NULL, 0, NULL },
		{ S("ADMI"), NULL, 0, NULL },
		{ S("ADMINS"), NULL, 0, NULL },
		{ S("ADMIN@organization"), NULL, 0, NULL },
		{ S("ADMIN\0"), NULL, 0, NULL },	/* embedded NUL */
		{ S("WORKSPACE"), NULL, 0, NULL },
		{ S("OWNER"), NULL, 0, NULL },
		{ S(""), NULL, 0, NULL },
	};
	const struct role	*r;
	size_t			 i;

	for (i = 0; i < NITEMS(t); i++) {
		r = policy_role(t[i].name, t[i].len);
		if (t[i].found == NULL) {
			ck_assert_msg(r == NULL, "row %zu: \"%.*s\" is role %s",
			    i, (int)t[i].len, t[i].name, r->name);
			continue;
		}
		ck_assert_msg(r != NULL, "row %zu: \"%.*s\" not found", i,
		    (int)t[i].len, t[i].name);
		ck_assert_msg(strcmp(r->name, t[i].found) == 0 &&
		    r->at == t[i].at && strcmp(r->scopes, t[i].scopes) == 0,
		    "row %zu: got %s at 0x%x \"%s\"", i, r->name, r->at,
		    r->scopes);
	}
}
END_TEST

START_TEST(test_roles_table)
{
	const struct role	*r;
	size_t			 n = 0;

	/* Eleven roles, each found by its name, each scope list valid. */
	for (r = policy_roles; r->name != NULL; r++, n++) {
		ck_assert_ptr_eq(policy_role(r->name, strlen(r->name)), r);
		ck_assert_uint_ne(r->at, 0);
		ck_assert_ptr_nonnull(r->scopes);
	}
	ck_assert_uint_eq(n, 11);
}
END_TEST

START_TEST(test_entity_type)
{
	static const struct {
		const char	*s;
		size_t		 len;
		unsigned	 type;
	} t[] = {
		{ S("organization"), ENT_ORGANIZATION },
		{ S("workspace:a"), ENT_WORKSPACE },
		{ S("group:g1"), ENT_GROUP },
		{ S("deployment:prod-1"), ENT_DEPLOYMENT },
		{ S("workspace:0"), ENT_WORKSPACE },
		{ S("workspace:A.b_c-D9"), ENT_WORKSPACE },
		{ S("workspace:a-"), ENT_WORKSPACE },
		{ S("workspace:a."), ENT_WORKSPACE },
		{ S("workspace:" I64), ENT_WORKSPACE },		/* 64: the maximum */
		{ S("deployment:" I64), ENT_DEPLOYMENT },	/* 75 bytes */
		{ S("group:" I64), ENT_GROUP },
		{ "workspace:abc", 11, ENT_WORKSPACE },		/* only len bytes count */
		{ "organizationx", 12, ENT_ORGANIZATION },
		{ S("workspace:" I64 "i"), 0 },			/* 65 */
		{ S("deployment:" I64 "i"), 0 },
		{ S("group:" I64 "i"), 0 },
		{ S("workspace:"), 0 },				/* empty id */
		{ S("group:"), 0 },
		{ S("deployment:"), 0 },
		{ "workspace:ab", 10, 0 },
		{ S("workspace:-a"), 0 },			/* leading '-' */
		{ S("workspace:_a"), 0 },
		{ S("workspace:.a"), 0 },
		{ S("group:-"), 0 },
		{ S("workspace:a b"), 0 },			/* spaces */
		{ S(" workspace:a"), 0 },
		{ S("workspace:a "), 0 },
		{ S("workspace :a"), 0 },
		{ S("workspace: a"), 0 },
		{ S("organization "), 0 },
		{ S(" organization"), 0 },
		{ S("workspace:a:b"), 0 },
		{ S("workspace:a/b"), 0 },
		{ S("workspace:a@b"), 0 },
		{ S("workspace:*"), 0 },
		{ S("workspace:\xc3\xa9"), 0 },
		{ S("workspace:a\0b"), 0 },			/* embedded NUL */
		{ S("organization\0"), 0 },
		{ S("Organization"), 0 },
		{ S("ORGANIZATION"), 0 },
		{ S("organizations"), 0 },
		{ S("organization:x"), 0 },
		{ S("Workspace:a"), 0 },
		{ S("workspaces:a"), 0 },
		{ S("team:a"), 0 },				/* unknown type */
		{ S("project:a"), 0 },
		{ S("workspace"), 0 },
		{ S("a"), 0 },
		{ S(":a"), 0 },
		{ S(""), 0 },
	};
	size_t	 i;

	for (i = 0; i < NITEMS(t); i++)
		ck_assert_msg(policy_entity_type(t[i].s, t[i].len) == t[i].type,
		    "row %zu: policy_entity_type(\"%.*s\", %zu) = 0x%x, want "
		    "0x%x", i, (int)t[i].len, t[i].s, t[i].len,
		    policy_entity_type(t[i].s, t[i].len), t[i].type);
}
END_TEST

START_TEST(test_entity_contains)
{
	static const struct {
		const char	*outer, *inner;
		int		 ok;
	} t[] = {
		{ "organization", "organization", 1 },
		{ "organization", "workspace:a", 1 },
		{ "organization", "group:g", 1 },
		{ "organization", "deployment:d", 1 },
		{ "workspace:a", "workspace:a", 1 },
		{ "group:g", "group:g", 1 },
		{ "deployment:d", "deployment:d", 1 },
		{ "workspace:a", "workspace:b", 0 },
		{ "workspace:a", "organization", 0 },
		{ "workspace:a", "workspace:ab", 0 },
		{ "workspace:ab", "workspace:a", 0 },
		{ "workspace:a", "workspace:A", 0 },
		{ "workspace:a", "group:a", 0 },
		{ "group:g", "workspace:g", 0 },
		{ "deployment:d", "organization", 0 },
	};
	size_t	 i;

	for (i = 0; i < NITEMS(t); i++)
		ck_assert_msg(policy_entity_contains(t[i].outer, t[i].inner) ==
		    t[i].ok, "row %zu: policy_entity_contains(\"%s\", \"%s\") "
		    "!= %d", i, t[i].outer, t[i].inner, t[i].ok);
}
END_TEST

START_TEST(test_entity_of)
{
	struct tok_rec	 r;

	/* Nothing stored: the organization. */
	tok_rec_init(&r);
	ck_assert_str_eq(policy_entity_of(&r), "organization");
	buf_puts(&r.entity, "workspace:a");
	ck_assert_str_eq(policy_entity_of(&r), "workspace:a");
	tok_rec_free(&r);
}
END_TEST

START_TEST(test_expand)
{
	static const struct {
		const char	*bindings, *direct, *want;
	} t[] = {
		{ "", "", "" },
		{ "", "db:read", "db:read" },
		{ "", "tokens:read db:read", "db:read tokens:read" },
		{ "ADMIN@organization", "", "* tokens:assign" },
		{ "EXTERNAL@organization", "", "*:read" },
		{ "MEMBER@organization", "", "*:read *:write tokens:*" },
		{ "MEMBER@organization", "db:read",
		    "*:read *:write db:read tokens:*" },
		{ "EXTERNAL@organization MEMBER@organization", "",
		    "*:read *:write tokens:*" },
		{ "WORKSPACE_MEMBER@workspace:a WORKSPACE_OPERATOR@workspace:b",
		    "", "*:read *:write tokens:*" },
		{ "WORKSPACE_OWNER@workspace:a", "audit:read", "* audit:read" },
		{ "ADMIN@organization", "*:read", "* *:read tokens:assign" },
		{ "DEPLOYMENT_ADMIN@deployment:d", "", "*" },
		{ "read-only@group:g", "audit:read", "*:read audit:read" },
		{ "full-access@group:g read-only@organization", "", "* *:read" },
		{ "ORGANIZATION_MEMBER@organization", "*:read", "*:read" },
		/* Bindings that name no role add nothing. */
		{ "BOGUS@organization", "db:read", "db:read" },
		{ "admin@organization", "", "" },
		{ "ADMIN", "", "" },
		{ "BOGUS@organization EXTERNAL@organization", "", "*:read" },
	};
	struct buf	 out = BUF_INIT;
	size_t		 i;

	for (i = 0; i < NITEMS(t); i++) {
		/* Whatever out held before is replaced. */
		buf_reset(&out);
		buf_puts(&out, "stale:x");
		policy_expand(t[i].bindings, t[i].direct, &out);
		ck_assert_msg(strcmp(buf_cstr(&out), t[i].want) == 0,
		    "row %zu: policy_expand(\"%s\", \"%s\") = \"%s\", want "
		    "\"%s\"", i, t[i].bindings, t[i].direct, buf_cstr(&out),
		    t[i].want);
		ck_assert_uint_eq(out.len, strlen(t[i].want));
	}
	buf_free(&out);
}
END_TEST

/* ---- no escalation ---- */

START_TEST(test_covers)
{
	/* { organization, entity (NULL: none stored), bindings, direct } */
	static const struct {
		const char	*caller[4];
		const char	*target[4];
		int		 covers, sees;	/* sees: the same organization */
	} t[] = {
		/* Roles at the organization cover what lies inside it. */
		{ { "acme", NULL, "ADMIN@organization", "" },
		  { "acme", "workspace:a", "WORKSPACE_MEMBER@workspace:a", "" },
		  1, 1 },
		{ { "acme", NULL, "ADMIN@organization", "" },
		  { "acme", NULL, "ADMIN@organization", "" }, 1, 1 },
		/* A workspace owner: its workspace only. */
		{ { "acme", "workspace:a", "WORKSPACE_OWNER@workspace:a", "" },
		  { "acme", "workspace:a", "WORKSPACE_MEMBER@workspace:a", "" },
		  1, 1 },
		{ { "acme", "workspace:a", "WORKSPACE_OWNER@workspace:a", "" },
		  { "acme", "workspace:b", "WORKSPACE_MEMBER@workspace:b", "" },
		  0, 1 },
		{ { "acme", "workspace:a", "WORKSPACE_OWNER@workspace:a", "" },
		  { "acme", NULL, "EXTERNAL@organization", "" }, 0, 1 },
		/* An organization token whose one grant is in a workspace. */
		{ { "acme", NULL, "WORKSPACE_OWNER@workspace:a", "" },
		  { "acme", NULL, "EXTERNAL@organization", "" }, 0, 1 },
		{ { "acme", NULL, "WORKSPACE_OWNER@workspace:a", "" },
		  { "acme", "workspace:a", "WORKSPACE_MEMBER@workspace:a", "" },
		  1, 1 },
		{ { "acme", NULL, "WORKSPACE_OWNER@workspace:a", "" },
		  { "acme", NULL, "WORKSPACE_MEMBER@workspace:b", "" }, 0, 1 },
		/* Role against role. */
		{ { "acme", NULL, "MEMBER@organization", "" },
		  { "acme", NULL, "EXTERNAL@organization", "" }, 1, 1 },
		{ { "acme", NULL, "MEMBER@organization", "" },
		  { "acme", NULL, "ADMIN@organization", "" }, 0, 1 },
		{ { "acme", NULL, "MEMBER@organization", "" },
		  { "acme", NULL, "ORGANIZATION_MEMBER@organization", "" },
		  1, 1 },
		{ { "acme", NULL, "MEMBER@organization", "" },
		  { "acme", "workspace:a", "WORKSPACE_OPERATOR@workspace:a", "" },
		  1, 1 },
		{ { "acme", NULL, "EXTERNAL@organization", "" },
		  { "acme", NULL, "MEMBER@organization", "" }, 0, 1 },
		{ { "acme", "workspace:a", "WORKSPACE_MEMBER@workspace:a", "" },
		  { "acme", "workspace:a", "WORKSPACE_OWNER@workspace:a", "" },
		  0, 1 },
		{ { "acme", "workspace:a", "WORKSPACE_OPERATOR@workspace:a", "" },
		  { "acme", "workspace:a", "", "*" }, 0, 1 },
		/* Roles against direct scopes. */
		{ { "acme", NULL, "MEMBER@organization", "" },
		  { "acme", NULL, "", "db:read db:write tokens:revoke" }, 1, 1 },
		{ { "acme", NULL, "MEMBER@organization", "" },
		  { "acme", NULL, "", "db:delete" }, 0, 1 },
		{ { "acme", NULL, "MEMBER@organization", "" },
		  { "acme", NULL, "", "*:read" }, 1, 1 },
		{ { "acme", NULL, "EXTERNAL@organization", "tokens:*" },
		  { "acme", NULL, "", "db:read tokens:create" }, 1, 1 },
		/* Direct scopes apply at the token's entity. */
		{ { "acme", "workspace:a", "", "db:read" },
		  { "acme", "workspace:a", "", "db:read" }, 1, 1 },
		{ { "acme", "workspace:a", "", "db:read" },
		  { "acme", "workspace:a", "WORKSPACE_MEMBER@workspace:a", "" },
		  0, 1 },
		{ { "acme", "workspace:a", "", "*:read" },
		  { "acme", "workspace:a", "WORKSPACE_MEMBER@workspace:a", "" },
		  1, 1 },
		{ { "acme", NULL, "", "db:read" },
		  { "acme", "workspace:a", "", "db:read" }, 1, 1 },
		{ { "acme", "workspace:a", "", "*" },
		  { "acme", NULL, "", "db:read" }, 0, 1 },
		{ { "acme", "workspace:a", "", "*" },
		  { "acme", "workspace:a", "WORKSPACE_OWNER@workspace:a",
		    "db:read" }, 1, 1 },
		{ { "acme", "workspace:a", "", "*" },
		  { "acme", "workspace:a", "WORKSPACE_MEMBER@workspace:b", "" },
		  0, 1 },
		/* Scope coverage with "*:act". */
		{ { "acme", NULL, "", "tokens:*" },
		  { "acme", NULL, "", "*:read" }, 0, 1 },
		{ { "acme", NULL, "", "*:read" },
		  { "acme", NULL, "", "tokens:*" }, 0, 1 },
		{ { "acme", NULL, "", "*:read" },
		  { "acme", NULL, "ADMIN@organization", "" }, 0, 1 },
		/* Groups and deployments. */
		{ { "acme", NULL, "read-only@group:g", "" },
		  { "acme", "group:g", "", "db:read" }, 1, 1 },
		{ { "acme", NULL, "read-only@group:g", "" },
		  { "acme", "workspace:a", "", "db:read" }, 0, 1 },
		{ { "acme", NULL, "DEPLOYMENT_ADMIN@deployment:d", "" },
		  { "acme", "deployment:d", "", "db:read" }, 1, 1 },
		/* Several bindings, each needed. */
		{ { "acme", NULL,
		    "WORKSPACE_OWNER@workspace:a WORKSPACE_OWNER@workspace:b", "" },
		  { "acme", NULL,
		    "WORKSPACE_MEMBER@workspace:a WORKSPACE_MEMBER@workspace:b",
		    "" }, 1, 1 },
		{ { "acme", NULL, "WORKSPACE_OWNER@workspace:a", "" },
		  { "acme", NULL,
		    "WORKSPACE_MEMBER@workspace:a WORKSPACE_MEMBER@workspace:b",
		    "" }, 0, 1 },
		/* Nothing to hold; the same grants. */
		{ { "acme", "workspace:a", "", "" },
		  { "acme", "workspace:a", "", "" }, 1, 1 },
		{ { "acme", "workspace:a", "WORKSPACE_OPERATOR@workspace:a",
		    "audit:read" },
		  { "acme", "workspace:a", "WORKSPACE_OPERATOR@workspace:a",
		    "audit:read" }, 1, 1 },
		/* Another organization is never covered, nor seen. */
		{ { "acme", NULL, "ADMIN@organization", "" },
		  { "other", NULL, "", "db:read" }, 0, 0 },
		{ { "acme", NULL, "ADMIN@organization", "" },
		  { "other", NULL, "", "" }, 0, 0 },
		{ { "acme", NULL, "ADMIN@organization", "*" },
		  { "", NULL, "", "db:read" }, 0, 0 },
		{ { "acme", NULL, "ADMIN@organization", "" },
		  { "acme-2", NULL, "", "db:read" }, 0, 0 },
		/* An unbound caller reaches every organization. */
		{ { "", NULL, "ADMIN@organization", "" },
		  { "other", NULL, "ADMIN@organization", "" }, 1, 1 },
		{ { "", NULL, "ADMIN@organization", "" },
		  { "acme", "workspace:a", "WORKSPACE_OWNER@workspace:a", "" },
		  1, 1 },
		{ { "", NULL, "EXTERNAL@organization", "" },
		  { "other", NULL, "ADMIN@organization", "" }, 0, 1 },
		/* A target binding no role is understood: never covered. */
		{ { "acme", NULL, "ADMIN@organization", "" },
		  { "acme", NULL, "BOGUS@organization", "" }, 0, 1 },
		{ { "acme", NULL, "ADMIN@organization", "" },
		  { "acme", NULL, "admin@organization", "" }, 0, 1 },
		{ { "acme", NULL, "ADMIN@organization", "" },
		  { "acme", NULL, "ADMIN", "" }, 0, 1 },
		{ { "acme", NULL, "ADMIN@organization", "" },
		  { "acme", NULL, "EXTERNAL@organization BOGUS@organization",
		    "" }, 0, 1 },
		{ { "acme", NULL, "ADMIN@organization", "" },
		  { "acme", NULL, "ADMIN@workspace:" I71, "" }, 0, 1 },
		/* A caller binding no role holds nothing by it. */
		{ { "acme", NULL, "BOGUS@organization", "" },
		  { "acme", NULL, "", "db:read" }, 0, 1 },
	};
	struct tok_rec	 c, g;
	size_t		 i;

	for (i = 0; i < NITEMS(t); i++) {
		rec_set(&c, t[i].caller);
		rec_set(&g, t[i].target);
		ck_assert_msg(policy_covers(&c, &g) == t[i].covers,
		    "row %zu: policy_covers(%s/%s \"%s\" \"%s\", %s/%s \"%s\" "
		    "\"%s\") != %d", i, t[i].caller[0], policy_entity_of(&c),
		    t[i].caller[2], t[i].caller[3], t[i].target[0],
		    policy_entity_of(&g), t[i].target[2], t[i].target[3],
		    t[i].covers);
		ck_assert_msg(policy_org_visible(buf_cstr(&c.organization),
		    buf_cstr(&g.organization)) == t[i].sees,
		    "row %zu: policy_org_visible() != %d", i, t[i].sees);
		tok_rec_free(&c);
		tok_rec_free(&g);
	}
}
END_TEST

static Suite *
policy_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("policy");

	tc = tcase_create("syntax");
	tcase_add_test(tc, test_scope_ok);
	tcase_add_test(tc, test_org_ok);
	suite_add_tcase(s, tc);

	tc = tcase_create("grants");
	tcase_add_test(tc, test_allows_matrix);
	tcase_add_test(tc, test_subset_matrix);
	tcase_add_test(tc, test_allows_edges);
	tcase_add_test(tc, test_subset_lists);
	tcase_add_test(tc, test_scopes_add);
	tcase_add_test(tc, test_scopes_add_length);
	suite_add_tcase(s, tc);

	tc = tcase_create("state");
	tcase_add_test(tc, test_state);
	tcase_add_test(tc, test_state_init_active);
	tcase_add_test(tc, test_state_name);
	tcase_add_test(tc, test_org_visible);
	suite_add_tcase(s, tc);

	tc = tcase_create("roles");
	tcase_add_test(tc, test_role);
	tcase_add_test(tc, test_roles_table);
	tcase_add_test(tc, test_entity_type);
	tcase_add_test(tc, test_entity_contains);
	tcase_add_test(tc, test_entity_of);
	tcase_add_test(tc, test_expand);
	suite_add_tcase(s, tc);

	tc = tcase_create("escalation");
	tcase_add_test(tc, test_covers);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(policy_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
