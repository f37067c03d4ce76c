/* buf: the one growable, binary-safe string (ptr/len/size, always NUL-terminated). */
#ifndef KH_BUF_H
#define KH_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char	*ptr;	/* owned; NUL-terminated once anything was appended */
	size_t	 len;	/* bytes used, not counting the NUL */
	size_t	 size;	/* bytes allocated */
	int	 secret;	/* wiped on every growth and on free */
};

#define BUF_INIT { NULL, 0, 0, 0 }
/* A buffer that will hold a secret: no copy is left behind in the heap. */
#define BUF_SECRET_INIT { NULL, 0, 0, 1 }

/*
 * Allocation failure aborts the process: a worker that cannot allocate a few
 * KiB is of no use, and the web server starts a replacement.  This keeps
 * every caller free of OOM paths that would never be tested.
 */
void	 buf_init(struct buf *);
/* Frees (wiping first when secret); the buffer stays secret for reuse. */
void	 buf_free(struct buf *);
void	 buf_reset(struct buf *);		/* len = 0, keeps memory */
void	 buf_truncate(struct buf *, size_t len);	/* shortens to len (never grows) */
void	 buf_reserve(struct buf *, size_t more);
void	 buf_append(struct buf *, const void *, size_t);
void	 buf_puts(struct buf *, const char *);
void	 buf_putc(struct buf *, char);
void	 buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 buf_vprintf(struct buf *, const char *, va_list);
const char *buf_cstr(const struct buf *);	/* "" when empty */

#endif
