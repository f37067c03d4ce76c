/* buf: the one growable, binary-safe string type. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "buf.h"

void
buf_init(struct buf *b)
{
	b->ptr = NULL;
	b->len = b->size = 0;
	b->secret = 0;
}

void
buf_free(struct buf *b)
{
	if (b->secret && b->ptr != NULL)
		sodium_memzero(b->ptr, b->size);
	free(b->ptr);
	b->ptr = NULL;
	b->len = b->size = 0;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->ptr != NULL)
		b->ptr[0] = '\0';
}

void
buf_truncate(struct buf *b, size_t len)
{
	if (len >= b->len)
		return;
	b->len = len;
	b->ptr[len] = '\0';
}

void
buf_reserve(struct buf *b, size_t more)
{
	size_t	 need, nsize;
	char	*p;

	if (more > SIZE_MAX - b->len - 1)
		abort();
	need = b->len + more + 1;
	if (need <= b->size)
		return;
	nsize = b->size ? b->size : 64;
	while (nsize < need) {
		if (nsize > SIZE_MAX / 2)
			abort();
		nsize *= 2;
	}
	if (!b->secret) {
		if ((p = realloc(b->ptr, nsize)) == NULL)
			abort();
	} else {
		/* realloc may move the bytes and leave the old copy behind. */
		if ((p = malloc(nsize)) == NULL)
			abort();
		if (b->ptr != NULL) {
			memcpy(p, b->ptr, b->len + 1);
			sodium_memzero(b->ptr, b->size);
			free(b->ptr);
		}
	}
	b->ptr = p;
	b->size = nsize;
}

void
buf_append(struct buf *b, const void *p, size_t n)
{
	buf_reserve(b, n);
	if (n > 0)
		memcpy(b->ptr + b->len, p, n);
	b->len += n;
	b->ptr[b->len] = '\0';
}

void
buf_puts(struct buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

void
buf_putc(struct buf *b, char c)
{
	buf_append(b, &c, 1);
}

void
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list	 cp;
	int	 n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		abort();
	buf_reserve(b, (size_t)n);
	vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

const char *
buf_cstr(const struct buf *b)
{
	return b->ptr != NULL ? b->ptr : "";
}
