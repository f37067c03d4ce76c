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
	{ 0, 0, 1, 0, 1, 0, 1,  1, 1, 0, 0 },	/* *:read */
	{ 0, 1, 1, 1, 1, 0, 1,  1, 1, 1, 1 },	/* *:read *:write tokens:* */
};

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
		{ "*:read", "audit:read db:read *:read", 1 },
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
