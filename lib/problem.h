/* problem: RFC 9457 problem documents, and the OAuth error envelope of the RFC 7662/7009 endpoints. */
#ifndef KH_PROBLEM_H
#define KH_PROBLEM_H

#include <stddef.h>

struct req;

#define PROBLEM_MAXERR	16

/* A problem under construction: a status, a detail, and bad fields by JSON pointer. */
struct problem {
	int	 status;
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
/* Answers with the problem (application/problem+json). */
void	 problem_reply(struct req *, const struct problem *);
/* Shorthand for a problem with no field errors. */
void	 problem_send(struct req *, int status, const char *detail);
/* {"error": ..., "error_description": ...}, RFC 6749 5.2 style. */
void	 oauth_error(struct req *, int status, const char *error,
	    const char *description);

#endif
