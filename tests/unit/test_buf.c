/*
 * Unit tests of lib/buf.c: a secret buffer leaves no copy behind when it
 * grows or is freed.  Linked with -Wl,--wrap=free,--wrap=realloc, so the
 * test sees every block the library frees, and what was in it.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "keyhole.h"

void	 __real_free(void *);
void	*__real_realloc(void *, size_t);
void	 __wrap_free(void *);
void	*__wrap_realloc(void *, size_t);

static void	*watched;	/* the block whose freeing is checked */
static size_t	 watched_size;
static int	 watched_zero = -1;	/* -1 not freed yet; else all zero? */
static int	 reallocs;

void
__wrap_free(void *p)
{
	const unsigned char	*c = p;
	size_t			 i;

	if (p != NULL && p == watched) {
		watched_zero = 1;
		for (i = 0; i < watched_size; i++)
			if (c[i] != 0)
				watched_zero = 0;
		watched = NULL;
	}
	__real_free(p);
}

void *
__wrap_realloc(void *p, size_t n)
{
	reallocs++;
	return __real_realloc(p, n);
}

/*
 * Checks, when b's block is freed, that it is zero: all of it (whole),
 * or the bytes it held (a plain buffer's rest was never written).
 */
static void
watch(const struct buf *b, int whole)
{
	watched = b->ptr;
	watched_size = whole ? b->size : b->len;
	watched_zero = -1;
}

static const char secret[] = "kh_5ecretSecretSecretSecretSecret0";

START_TEST(test_secret_growth)
{
	struct buf	 b = BUF_SECRET_INIT;
	char		 more[4096];

	buf_puts(&b, secret);
	watch(&b, 1);
	reallocs = 0;
	memset(more, 'x', sizeof(more));
	buf_append(&b, more, sizeof(more));	/* grows: a new block */
	ck_assert_int_eq(watched_zero, 1);
	ck_assert_int_eq(reallocs, 0);
	ck_assert(memcmp(b.ptr, secret, strlen(secret)) == 0);
	buf_free(&b);
}
END_TEST

START_TEST(test_secret_free)
{
	struct buf	 b = BUF_SECRET_INIT;

	buf_puts(&b, secret);
	watch(&b, 1);
	buf_free(&b);
	ck_assert_int_eq(watched_zero, 1);
	ck_assert_ptr_null(b.ptr);
	/* Still a secret buffer when reused. */
	buf_puts(&b, secret);
	watch(&b, 1);
	buf_reset(&b);
	buf_free(&b);
	ck_assert_int_eq(watched_zero, 1);
}
END_TEST

/* The probe itself: an ordinary buffer is freed with its bytes in it. */
START_TEST(test_plain_buffer_keeps_bytes)
{
	struct buf	 b = BUF_INIT;

	buf_puts(&b, secret);
	watch(&b, 0);
	buf_free(&b);
	ck_assert_int_eq(watched_zero, 0);
}
END_TEST

/* A request's reply that carries a minted secret is a secret buffer. */
START_TEST(test_secret_printf_growth)
{
	struct buf	 b = BUF_SECRET_INIT;
	size_t		 before;
	int		 i, grew = 0;

	buf_puts(&b, "{");
	for (i = 0; i < 200; i++) {
		watch(&b, 1);
		before = b.size;
		buf_printf(&b, "\"token\":\"%s\",", secret);
		if (b.size != before) {
			grew++;
			ck_assert_int_eq(watched_zero, 1);
		} else
			ck_assert_int_eq(watched_zero, -1);
	}
	ck_assert_int_ge(grew, 5);
	buf_free(&b);
}
END_TEST

static Suite *
buf_suite(void)
{
	Suite	*s = suite_create("buf");
	TCase	*tc = tcase_create("secret");

	tcase_add_test(tc, test_secret_growth);
	tcase_add_test(tc, test_secret_free);
	tcase_add_test(tc, test_plain_buffer_keeps_bytes);
	tcase_add_test(tc, test_secret_printf_growth);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(buf_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
