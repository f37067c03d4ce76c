/*
 * Unit tests of lib/limit.c: the failed-authentication table — the limit,
 * windows, the audit notes, the IPv6 /64 key, the flush.  Times are given
 * explicitly, so nothing here waits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "limit.h"

static char		 home[] = "/tmp/keyhole-limit.XXXXXX";
static char		 own[64];	/* a table of one test's own */
static const unsigned char key[32] = { 1, 2, 3 };

static int		 flushed;
static struct limit_note last;

static void
on_note(const struct limit_note *n, void *arg)
{
	(void)arg;
	flushed++;
	last = *n;
}

START_TEST(test_limit_window)
{
	struct limit_verdict	 v;
	int64_t			 t0 = 1800000000;
	int			 i;

	/* The first refusal: a note, not over. */
	ck_assert_int_eq(limit_fail(home, key, "192.0.2.1", t0, 3, &v), 0);
	ck_assert_int_eq(v.over, 0);
	ck_assert_uint_eq(v.nnotes, 1);
	ck_assert_int_eq(v.notes[0].what, LIMIT_FIRST);
	ck_assert_str_eq(v.notes[0].address, "192.0.2.1");
	ck_assert_int_eq(v.retry_after, 60);
	/* Up to the limit: no notes. */
	for (i = 2; i <= 3; i++) {
		ck_assert_int_eq(limit_fail(home, key, "192.0.2.1", t0 + i, 3,
		    &v), 0);
		ck_assert_int_eq(v.over, 0);
		ck_assert_uint_eq(v.nnotes, 0);
	}
	/* Crossing it: over, and one note saying so. */
	ck_assert_int_eq(limit_fail(home, key, "192.0.2.1", t0 + 10, 3, &v), 0);
	ck_assert_int_eq(v.over, 1);
	ck_assert_int_eq(v.retry_after, 50);
	ck_assert_uint_eq(v.nnotes, 1);
	ck_assert_int_eq(v.notes[0].what, LIMIT_OVER);
	ck_assert_int_eq(v.notes[0].count, 4);
	for (i = 0; i < 100; i++) {
		ck_assert_int_eq(limit_fail(home, key, "192.0.2.1", t0 + 20, 3,
		    &v), 0);
		ck_assert_int_eq(v.over, 1);
		ck_assert_uint_eq(v.nnotes, 0);
	}
	/* Another address is not affected. */
	ck_assert_int_eq(limit_fail(home, key, "192.0.2.2", t0 + 20, 3, &v), 0);
	ck_assert_int_eq(v.over, 0);
	/* Nothing to flush while the window runs. */
	flushed = 0;
	ck_assert_int_eq(limit_flush(home, key, t0 + 59, on_note, NULL), 0);
	/* A new window: the last one's count since its note, then a first. */
	ck_assert_int_eq(limit_fail(home, key, "192.0.2.1", t0 + 60, 3, &v), 0);
	ck_assert_int_eq(v.over, 0);
	ck_assert_uint_eq(v.nnotes, 2);
	ck_assert_int_eq(v.notes[0].what, LIMIT_SUMMARY);
	ck_assert_int_eq(v.notes[0].count, 100);
	ck_assert_int_eq(v.notes[0].since, t0);
	ck_assert_int_eq(v.notes[1].what, LIMIT_FIRST);
	/* After that window, the flush writes what is pending, once. */
	ck_assert_int_eq(limit_fail(home, key, "192.0.2.1", t0 + 61, 3, &v), 0);
	flushed = 0;
	ck_assert_int_eq(limit_flush(home, key, t0 + 200, on_note, NULL), 1);
	ck_assert_int_eq(last.what, LIMIT_SUMMARY);
	ck_assert_str_eq(last.address, "192.0.2.1");
	ck_assert_int_eq(last.count, 1);
	ck_assert_int_eq(limit_flush(home, key, t0 + 200, on_note, NULL), 0);
}
END_TEST

START_TEST(test_limit_key)
{
	static const struct {
		const char	*in, *out;
	} t[] = {
		{ "192.0.2.7", "192.0.2.7" },
		{ "2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64" },
		{ "2001:db8:1:2::9", "2001:db8:1:2::/64" },
		{ "::ffff:192.0.2.7", "::ffff:192.0.2.7" },
		{ "", "unknown" },
		{ "a b\x01", "a?b?" },
	};
	char	 k[LIMIT_KEYLEN];
	size_t	 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		limit_key(t[i].in, k);
		ck_assert_msg(strcmp(k, t[i].out) == 0, "row %zu: \"%s\" -> "
		    "\"%s\", want \"%s\"", i, t[i].in, k, t[i].out);
	}
}
END_TEST

/* One host's /64 counts as one address. */
START_TEST(test_limit_ipv6_prefix)
{
	struct limit_verdict	 v;
	int64_t			 t0 = 1800000000;

	ck_assert_int_eq(limit_fail(home, key, "2001:db8:9::1", t0, 1, &v), 0);
	ck_assert_int_eq(v.over, 0);
	ck_assert_int_eq(limit_fail(home, key, "2001:db8:9::2", t0, 1, &v), 0);
	ck_assert_int_eq(v.over, 1);
	ck_assert_int_eq(limit_fail(home, key, "2001:db8:a::1", t0, 1, &v), 0);
	ck_assert_int_eq(v.over, 0);
}
END_TEST

/* A table for this test alone (the notes' budget is shared by all). */
static const char *
own_home(const char *name)
{
	snprintf(own, sizeof(own), "%s/%s", home, name);
	ck_assert_int_eq(mkdir(own, 0700), 0);
	return own;
}

/* A request that began before the window's first refusal counts into it. */
START_TEST(test_limit_stale_time)
{
	struct limit_verdict	 v;
	const char		*h = own_home("stale");
	int64_t			 t0 = 1800000000;
	int			 i;

	for (i = 0; i < 3; i++)
		ck_assert_int_eq(limit_fail(h, key, "192.0.2.3", t0 + 10, 3,
		    &v), 0);
	ck_assert_int_eq(v.over, 0);
	ck_assert_int_eq(limit_fail(h, key, "192.0.2.3", t0 + 5, 3, &v), 0);
	ck_assert_int_eq(v.over, 1);
	ck_assert_int_le(v.retry_after, 60);
}
END_TEST

/* Many addresses at once write at most LIMIT_NOTES entries a minute. */
START_TEST(test_limit_notes_budget)
{
	struct limit_verdict	 v;
	const char		*h = own_home("budget");
	char			 addr[32];
	int64_t			 t0 = 1800000000;
	size_t			 j;
	int			 i, written = 0;

	for (i = 0; i < LIMIT_NOTES + 40; i++) {
		snprintf(addr, sizeof(addr), "198.51.100.%d", i);
		ck_assert_int_eq(limit_fail(h, key, addr, t0 + 1, 30, &v), 0);
		ck_assert_int_eq(v.over, 0);
		written += (int)v.nnotes;
	}
	ck_assert_int_eq(written, LIMIT_NOTES);
	/* The next minute, one entry says how many were left out. */
	ck_assert_int_eq(limit_fail(h, key, "198.51.100.250", t0 + 61, 30, &v),
	    0);
	for (j = 0; j < v.nnotes; j++)
		if (v.notes[j].what == LIMIT_DROPPED)
			break;
	ck_assert_uint_lt(j, v.nnotes);
	ck_assert_int_eq(v.notes[j].count, 40);
	ck_assert_int_eq(v.notes[j].since, t0 + 1);
}
END_TEST

/* Without a table, a flush has nothing to do; a planted link is refused. */
START_TEST(test_limit_absent_and_link)
{
	char	 dir[] = "/tmp/keyhole-limit2.XXXXXX", path[128];
	struct limit_verdict v;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(limit_flush(dir, key, 0, on_note, NULL), 0);
	snprintf(path, sizeof(path), "%s/%s", dir, LIMIT_FILE);
	ck_assert_int_eq(symlink("/etc/passwd", path), 0);
	ck_assert_int_eq(limit_fail(dir, key, "192.0.2.1", 1, 3, &v), -1);
	unlink(path);
	rmdir(dir);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("limit");
	TCase	*tc = tcase_create("table");
	SRunner	*sr;
	char	 path[128];
	int	 failed;

	if (mkdtemp(home) == NULL)
		return 1;
	tcase_add_test(tc, test_limit_window);
	tcase_add_test(tc, test_limit_key);
	tcase_add_test(tc, test_limit_ipv6_prefix);
	tcase_add_test(tc, test_limit_absent_and_link);
	tcase_add_test(tc, test_limit_stale_time);
	tcase_add_test(tc, test_limit_notes_budget);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	snprintf(path, sizeof(path), "%s/%s", home, LIMIT_FILE);
	unlink(path);
	snprintf(path, sizeof(path), "%s/stale/%s", home, LIMIT_FILE);
	unlink(path);
	snprintf(path, sizeof(path), "%s/stale", home);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/budget/%s", home, LIMIT_FILE);
	unlink(path);
	snprintf(path, sizeof(path), "%s/budget", home);
	rmdir(path);
	rmdir(home);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
