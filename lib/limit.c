/*
 * limit: failed authentications per client address, in a small table
 * shared by every process of a store (a mapped file beside it, locked per
 * set with open-file locks, which die with their holder).
 */
#define _GNU_SOURCE	/* F_OFD_SETLKW */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "limit.h"

#define WAYS		4	/* addresses a set holds; the oldest gives way */
#define SETS		1024
#define SLOTS		(SETS * WAYS)

/* One address's window; 64 bytes. */
struct slot {
	char		 key[LIMIT_KEYLEN];	/* empty: free */
	int64_t		 since;
	int32_t		 count;
	int32_t		 noted;		/* how many of count the trail has */
};

/* The sets, then one slot counting the audit notes of all addresses. */
#define TABLE_SIZE	((off_t)(SLOTS + 1) * (off_t)sizeof(struct slot))

static int		 tfd = -1;
static struct slot	*table;
static char		*thome;
static unsigned char	 hkey[crypto_shorthash_KEYBYTES];

static int	 table_open(const char *, const unsigned char *, int);
static int	 set_lock(size_t, int);
static void	 budget(struct limit_verdict *, int64_t);
static void	 note(struct limit_verdict *, enum limit_what,
		    const struct slot *, int64_t);

/*
 * Maps the table under home (with create, making it); 0 ok, -1 not
 * usable, 1 absent (without create).  The set of an address is chosen
 * by a keyed hash, so that nobody can aim addresses at one set.
 */
static int
table_open(const char *home, const unsigned char *key, int create)
{
	static const char	 ctx[] = "keyhole/authfail";
	char			 path[4096];
	struct stat		 sb;
	void			*p;
	int			 fd;

	if (table != NULL && thome != NULL && strcmp(thome, home) == 0)
		return 0;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", home, LIMIT_FILE) >=
	    sizeof(path))
		return -1;
	fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC | (create ? O_CREAT : 0),
	    0660);
	if (fd == -1)
		return !create && errno == ENOENT ? 1 : -1;
	/* Only ever grown: another process may have it mapped. */
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    (sb.st_size < TABLE_SIZE && ftruncate(fd, TABLE_SIZE) == -1)) {
		close(fd);
		return -1;
	}
	p = mmap(NULL, (size_t)TABLE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
	    fd, 0);
	if (p == MAP_FAILED) {
		close(fd);
		return -1;
	}
	if (table != NULL) {
		munmap(table, (size_t)TABLE_SIZE);
		close(tfd);
	}
	free(thome);
	if ((thome = strdup(home)) == NULL)
		abort();
	table = p;
	tfd = fd;
	/* A key of its own, derived from the store's. */
	crypto_generichash(hkey, sizeof(hkey), (const unsigned char *)ctx,
	    sizeof(ctx) - 1, key, 32);
	return 0;
}

/*
 * Locks (how: F_WRLCK) or unlocks (F_UNLCK) one set (SETS: the notes'
 * slot); -1 on failure.
 */
static int
set_lock(size_t set, int how)
{
	struct flock	 fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = (short)how;
	fl.l_whence = SEEK_SET;
	fl.l_start = (off_t)(set * WAYS * sizeof(struct slot));
	fl.l_len = (off_t)(set == SETS ? sizeof(struct slot) :
	    WAYS * sizeof(struct slot));
	while (fcntl(tfd, F_OFD_SETLKW, &fl) == -1)
		if (errno != EINTR)
			return -1;
	return 0;
}

static void
note(struct limit_verdict *v, enum limit_what what, const struct slot *s,
    int64_t count)
{
	struct limit_note	*n;

	if (v->nnotes == sizeof(v->notes) / sizeof(v->notes[0]))
		return;
	n = &v->notes[v->nnotes++];
	n->what = what;
	memcpy(n->address, s->key, LIMIT_KEYLEN);
	n->since = s->since;
	n->count = count;
}

/*
 * Spends the notes of v from the budget all addresses share; past it they
 * are dropped, and counted for one note once the minute is over.
 */
static void
budget(struct limit_verdict *v, int64_t now)
{
	struct slot		*g = &table[SLOTS];
	struct limit_note	 dropped;
	int			 had = 0;

	if (v->nnotes == 0 || set_lock(SETS, F_WRLCK) == -1)
		return;
	if (g->since + LIMIT_WINDOW <= now) {
		if (g->count > g->noted) {
			dropped.what = LIMIT_DROPPED;
			memset(dropped.address, 0, LIMIT_KEYLEN);
			dropped.address[0] = '*';
			dropped.since = g->since;
			dropped.count = g->count - g->noted;
			had = 1;
		}
		g->since = now;
		g->count = g->noted = 0;
	}
	if (g->count + (int32_t)v->nnotes > LIMIT_NOTES) {
		if (g->count < INT32_MAX - 8)
			g->count += (int32_t)v->nnotes;
		v->nnotes = 0;	/* over the budget: counted, not written */
	} else {
		g->count += (int32_t)v->nnotes;
		g->noted = g->count;
	}
	/* The one entry that says how many were left out is always written. */
	if (had)
		v->notes[v->nnotes++] = dropped;
	(void)set_lock(SETS, F_UNLCK);
}

void
limit_key(const char *address, char key[LIMIT_KEYLEN])
{
	unsigned char	 a6[16];
	char		 t[INET6_ADDRSTRLEN];
	size_t		 i;

	/* One host holds a whole IPv6 /64: count it as one. */
	if (strchr(address, ':') != NULL && strchr(address, '.') == NULL &&
	    inet_pton(AF_INET6, address, a6) == 1) {
		memset(a6 + 8, 0, 8);
		/* At most "xxxx:xxxx:xxxx:xxxx::/64": it fits. */
		if (inet_ntop(AF_INET6, a6, t, sizeof(t)) != NULL &&
		    snprintf(key, LIMIT_KEYLEN, "%s/64", t) < LIMIT_KEYLEN)
			return;
	}
	for (i = 0; address[i] != '\0' && i < LIMIT_KEYLEN - 1; i++)
		key[i] = address[i] > 0x20 && address[i] < 0x7f ? address[i] : '?';
	key[i] = '\0';
	if (i == 0)
		snprintf(key, LIMIT_KEYLEN, "unknown");
}

int
limit_fail(const char *home, const unsigned char *key, const char *address,
    int64_t now, int64_t max, struct limit_verdict *v)
{
	char		 k[LIMIT_KEYLEN];
	unsigned char	 h[crypto_shorthash_BYTES];
	struct slot	*set, *s = NULL;
	uint64_t	 hv;
	size_t		 i, si;

	memset(v, 0, sizeof(*v));
	if (table_open(home, key, 1) != 0)
		return -1;
	memset(k, 0, sizeof(k));
	limit_key(address, k);
	crypto_shorthash(h, (const unsigned char *)k, strlen(k), hkey);
	memcpy(&hv, h, sizeof(hv));
	si = (size_t)(hv % SETS);
	set = table + si * WAYS;
	if (set_lock(si, F_WRLCK) == -1)
		return -1;
	for (i = 0; i < WAYS && s == NULL; i++)
		if (strncmp(set[i].key, k, LIMIT_KEYLEN) == 0)
			s = &set[i];
	if (s == NULL) {
		/* A free slot, else the one whose window began longest ago. */
		s = &set[0];
		for (i = 0; i < WAYS; i++) {
			if (set[i].key[0] == '\0') {
				s = &set[i];
				break;
			}
			if (set[i].since < s->since)
				s = &set[i];
		}
		if (s->key[0] != '\0' && s->count > s->noted)
			note(v, LIMIT_SUMMARY, s, s->count - s->noted);
		memset(s, 0, sizeof(*s));
		memcpy(s->key, k, LIMIT_KEYLEN);
		s->since = now;
	}
	/* A request that began before the window did counts into it. */
	if (s->since + LIMIT_WINDOW <= now) {
		if (s->count > s->noted)
			note(v, LIMIT_SUMMARY, s, s->count - s->noted);
		s->since = now;
		s->count = s->noted = 0;
	}
	if (s->count < INT32_MAX)
		s->count++;
	if (s->count == 1 || s->count == max + 1) {
		note(v, s->count == 1 ? LIMIT_FIRST : LIMIT_OVER, s, s->count);
		s->noted = s->count;
	}
	v->over = s->count > max;
	v->retry_after = s->since + LIMIT_WINDOW - now;
	if (v->retry_after < 1)
		v->retry_after = 1;
	if (v->retry_after > LIMIT_WINDOW)
		v->retry_after = LIMIT_WINDOW;
	(void)set_lock(si, F_UNLCK);
	budget(v, now);
	return 0;
}

int
limit_flush(const char *home, const unsigned char *key, int64_t now,
    void (*fn)(const struct limit_note *, void *), void *arg)
{
	struct limit_verdict	 v;
	struct slot		*s;
	size_t			 si, i;
	int			 rc, n = 0;

	if ((rc = table_open(home, key, 0)) != 0)
		return rc == 1 ? 0 : -1;
	for (si = 0; si < SETS; si++) {
		if (set_lock(si, F_WRLCK) == -1)
			return -1;
		for (i = 0; i < WAYS; i++) {
			s = &table[si * WAYS + i];
			if (s->key[0] == '\0' || s->count <= s->noted ||
			    s->since + LIMIT_WINDOW > now)
				continue;
			memset(&v, 0, sizeof(v));
			note(&v, LIMIT_SUMMARY, s, s->count - s->noted);
			s->noted = s->count;
			fn(&v.notes[0], arg);
			n++;
		}
		(void)set_lock(si, F_UNLCK);
	}
	if (set_lock(SETS, F_WRLCK) == -1)
		return -1;
	s = &table[SLOTS];
	if (s->count > s->noted && s->since + LIMIT_WINDOW <= now) {
		memset(&v, 0, sizeof(v));
		v.notes[0].what = LIMIT_DROPPED;
		v.notes[0].address[0] = '*';
		v.notes[0].since = s->since;
		v.notes[0].count = s->count - s->noted;
		s->noted = s->count;
		fn(&v.notes[0], arg);
		n++;
	}
	(void)set_lock(SETS, F_UNLCK);
	return n;
}
