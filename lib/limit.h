/* limit: failed authentications per client address, counted across every process of a store. */
#ifndef KH_LIMIT_H
#define KH_LIMIT_H

#include <stddef.h>
#include <stdint.h>

#define LIMIT_FILE	"authfail"	/* beside the databases */
#define LIMIT_DEFAULT	30	/* failures per address a minute; KEYHOLE_AUTH_FAILURES */
#define LIMIT_WINDOW	60	/* seconds */
#define LIMIT_KEYLEN	48	/* an address as counted, NUL-terminated */
#define LIMIT_NOTES	60	/* audit entries a minute, all addresses together */

/*
 * What the audit trail should say about an address, so that a flood of
 * bad credentials writes a few entries a minute, never one each: the
 * first refusal of a window, the one that crosses the limit, and, once a
 * window is over, how many came after the last entry.  Many addresses
 * at once (a botnet, an IPv6 range) write at most LIMIT_NOTES a minute
 * in all, then one entry saying how many were left out.
 */
enum limit_what {
	LIMIT_FIRST = 0,
	LIMIT_OVER,
	LIMIT_SUMMARY,
	LIMIT_DROPPED,	/* entries not written: more than LIMIT_NOTES a minute */
};

struct limit_note {
	enum limit_what	 what;
	char		 address[LIMIT_KEYLEN];
	int64_t		 since;		/* the window's start */
	int64_t		 count;		/* refusals not yet in the trail (OVER: all) */
};

struct limit_verdict {
	int		 over;		/* past the limit: answer 429 */
	int64_t		 retry_after;	/* seconds until the window ends */
	size_t		 nnotes;
	struct limit_note notes[3];
};

/*
 * Counts one failed authentication from address at now in the table
 * under home (made on first use), keyed with key (16 bytes), against max
 * a window.  IPv6 addresses count by their /64.  -1 when the table
 * cannot be used (the refusal is then answered as if under the limit).
 */
int	 limit_fail(const char *home, const unsigned char *key,
	    const char *address, int64_t now, int64_t max,
	    struct limit_verdict *);
/*
 * Calls fn for every address whose window has ended with refusals not
 * yet in the trail, and marks them written.  Returns the number of
 * notes, or -1 when the table cannot be used (none yet is no error).
 */
int	 limit_flush(const char *home, const unsigned char *key, int64_t now,
	    void (*fn)(const struct limit_note *, void *), void *arg);
/* The address as counted (an IPv6 /64 as "prefix::/64"), into key. */
void	 limit_key(const char *address, char key[LIMIT_KEYLEN]);

#endif
