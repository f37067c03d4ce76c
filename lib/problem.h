/* problem: an error as keyhole models it (a status, a detail, bad fields), answered in the route's dialect; the OAuth envelope. */
#ifndef KH_PROBLEM_H
#define KH_PROBLEM_H

#include <stddef.h>

struct req;

#define PROBLEM_MAXERR	16

/*
 * A problem under construction: a status (the native API's number for
 * the outcome: 400 unreadable, 422 invalid fields, 401, 403, 404, 409,
 * 429, 503...), a detail, and bad fields by JSON pointer.
 */
struct problem {
	int	 status;
	const char *in;		/* where the bad fields are: "body" (the default), "query", "path" */
	char	 detail[160];
	int	 nerr;
	struct {
		char	 pointer[96];
		char	 detail[128];
	}	 err[PROBLEM_MAXERR];
};

void	 problem_init(struct problem *, int status, const char *detail);
/* Adds a field error; the key (untrusted bytes) is JSON-pointer-escaped and bounded. */
void	 problem_field(struct problem *, const char *key, size_t keylen,
	    const char *detail);
/* Adds an error for element index of the array member key: "/key/index". */
void	 problem_element(struct problem *, const char *key, int index,
	    const char *detail);
/* Answers with the problem, in the route's dialect (native: RFC 9457). */
void	 problem_reply(struct req *, const struct problem *);
/* Shorthand for a problem with no field errors. */
void	 problem_send(struct req *, int status, const char *detail);
/* {"error": ..., "error_description": ...}, RFC 6749 5.2 style. */
void	 oauth_error(struct req *, int status, const char *error,
	    const char *description);

#endif
