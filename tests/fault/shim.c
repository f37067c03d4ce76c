/*
 * shim: an LD_PRELOAD library for the fault tests (tests/http/
 * faults.sh).  It makes the disk under $KEYHOLE_HOME slow, full or
 * read-only, as the file $KEYHOLE_HOME.faults says at the moment of each
 * call, so that a test turns a fault on and off under a running server:
 *	fsync_delay_ms N	fsync and fdatasync take N ms longer
 *	enospc 1		writes fail with ENOSPC
 *	erofs 1			writes, and opens for writing, fail with EROFS
 * Files elsewhere (the server's logs, the test's own) are left alone.
 */
#define _GNU_SOURCE
#include <sys/stat.h>
#include <sys/types.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct faults {
	long	 fsync_delay_ms;
	int	 enospc;
	int	 erofs;
};

/* The faults now in force (re-read when the file changes). */
static struct faults
faults(void)
{
	static struct faults	 cur;
	static struct timespec	 seen;
	static char		 path[PATH_MAX];
	struct stat		 sb;
	char			 line[128], key[64];
	long			 v;
	FILE			*f;
	const char		*home;

	if (path[0] == '\0') {
		if ((home = getenv("KEYHOLE_HOME")) == NULL)
			return cur;
		snprintf(path, sizeof(path), "%s.faults", home);
	}
	if (stat(path, &sb) == -1) {
		memset(&cur, 0, sizeof(cur));
		return cur;
	}
	if (sb.st_mtim.tv_sec == seen.tv_sec &&
	    sb.st_mtim.tv_nsec == seen.tv_nsec)
		return cur;
	seen = sb.st_mtim;
	memset(&cur, 0, sizeof(cur));
	if ((f = fopen(path, "re")) == NULL)
		return cur;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%63s %ld", key, &v) != 2)
			continue;
		if (strcmp(key, "fsync_delay_ms") == 0)
			cur.fsync_delay_ms = v;
		else if (strcmp(key, "enospc") == 0)
			cur.enospc = v != 0;
		else if (strcmp(key, "erofs") == 0)
			cur.erofs = v != 0;
	}
	fclose(f);
	return cur;
}

/* Is this path under the store? */
static int
in_store(const char *path)
{
	const char	*home = getenv("KEYHOLE_HOME");
	char		 abs[PATH_MAX];
	size_t		 n;

	if (home == NULL || path == NULL)
		return 0;
	if (path[0] != '/') {
		if (getcwd(abs, sizeof(abs)) == NULL)
			return 0;
		n = strlen(abs);
		snprintf(abs + n, sizeof(abs) - n, "/%s", path);
		path = abs;
	}
	n = strlen(home);
	return strncmp(path, home, n) == 0 && (path[n] == '/' ||
	    path[n] == '\0');
}

static int
fd_in_store(int fd)
{
	char	 link[64], path[PATH_MAX];
	ssize_t	 n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	if ((n = readlink(link, path, sizeof(path) - 1)) <= 0)
		return 0;
	path[n] = '\0';
	return in_store(path);
}

/* The error a write to fd fails with now; 0: none. */
static int
write_fault(int fd)
{
	struct faults	 f = faults();

	if (!f.enospc && !f.erofs)
		return 0;
	if (!fd_in_store(fd))
		return 0;
	return f.erofs ? EROFS : ENOSPC;
}

static void
sync_delay(int fd)
{
	struct faults	 f = faults();
	struct timespec	 ts;

	if (f.fsync_delay_ms <= 0 || !fd_in_store(fd))
		return;
	ts.tv_sec = f.fsync_delay_ms / 1000;
	ts.tv_nsec = (f.fsync_delay_ms % 1000) * 1000000;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

#define NEXT(name)	static __typeof__(name) *next_##name;		\
	if (next_##name == NULL)					\
		next_##name = (__typeof__(name) *)dlsym(RTLD_NEXT, #name)

ssize_t
write(int fd, const void *buf, size_t n)
{
	int	 e;

	NEXT(write);
	if (fd > 2 && (e = write_fault(fd)) != 0) {
		errno = e;
		return -1;
	}
	return next_write(fd, buf, n);
}

ssize_t
pwrite(int fd, const void *buf, size_t n, off_t off)
{
	int	 e;

	NEXT(pwrite);
	if ((e = write_fault(fd)) != 0) {
		errno = e;
		return -1;
	}
	return next_pwrite(fd, buf, n, off);
}

ssize_t
pwrite64(int fd, const void *buf, size_t n, off_t off)
{
	return pwrite(fd, buf, n, off);
}

int
ftruncate(int fd, off_t len)
{
	int	 e;

	NEXT(ftruncate);
	if ((e = write_fault(fd)) != 0) {
		errno = e;
		return -1;
	}
	return next_ftruncate(fd, len);
}

int
fsync(int fd)
{
	NEXT(fsync);
	sync_delay(fd);
	return next_fsync(fd);
}

int
fdatasync(int fd)
{
	NEXT(fdatasync);
	sync_delay(fd);
	return next_fdatasync(fd);
}

/* A read-only store refuses to open a file for writing or create one. */
static int
open_fault(const char *path, int flags)
{
	if ((flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC)) == 0)
		return 0;
	return faults().erofs && in_store(path);
}

int
open(const char *path, int flags, ...)
{
	va_list	 ap;
	mode_t	 mode = 0;

	NEXT(open);
	if (flags & O_CREAT) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	if (open_fault(path, flags)) {
		errno = EROFS;
		return -1;
	}
	return next_open(path, flags, mode);
}

int
open64(const char *path, int flags, ...)
{
	va_list	 ap;
	mode_t	 mode = 0;

	if (flags & O_CREAT) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	return open(path, flags, mode);
}
