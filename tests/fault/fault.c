/* fault: deaths on demand for the tests (fault.h). */
#include <sys/stat.h>

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <db.h>

#include "fault.h"

/* Is fault name on in $KEYHOLE_HOME.faults (read again when it changes)? */
static int
fault_on(const char *name)
{
	static char		 path[PATH_MAX], text[4096];
	static struct timespec	 seen;
	struct stat		 sb;
	const char		*home, *p;
	size_t			 n;
	FILE			*f;

	if (path[0] == '\0') {
		if ((home = getenv("KEYHOLE_HOME")) == NULL)
			return 0;
		snprintf(path, sizeof(path), "%s.faults", home);
	}
	if (stat(path, &sb) == -1)
		return 0;
	if (sb.st_mtim.tv_sec != seen.tv_sec ||
	    sb.st_mtim.tv_nsec != seen.tv_nsec) {
		seen = sb.st_mtim;
		text[0] = '\0';
		if ((f = fopen(path, "re")) != NULL) {
			n = fread(text, 1, sizeof(text) - 1, f);
			text[n] = '\0';
			fclose(f);
		}
	}
	n = strlen(name);
	for (p = text; (p = strstr(p, name)) != NULL; p += n)
		if ((p == text || p[-1] == '\n') && strncmp(p + n, " 1", 2) == 0)
			return 1;
	return 0;
}

void
fault_point(const char *name, int sig)
{
	if (fault_on(name)) {
		fprintf(stderr, "keyhole[%ld]: fault: %s\n", (long)getpid(),
		    name);
		raise(sig);
	}
}

int
fault_compare(DB *db, const DBT *a, const DBT *b)
{
	size_t	 n = a->size < b->size ? a->size : b->size;
	int	 c;

	(void)db;
	fault_point("stop_in_compare", SIGSTOP);
	if ((c = memcmp(a->data, b->data, n)) != 0)
		return c;
	return a->size < b->size ? -1 : a->size > b->size;
}
