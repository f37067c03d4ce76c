/*
 * nullcgi: the smallest plain CGI program, for the ceiling of one
 * process per request under the same server (row h): it answers "ok"
 * and reads nothing.  Dynamically linked against the C library only.
 */
#include <stdio.h>

int
main(void)
{
	fputs("Status: 200 OK\r\n"
	    "Content-Type: text/plain\r\n"
	    "Content-Length: 3\r\n"
	    "\r\n"
	    "ok\n", stdout);
	return 0;
}
