/*
 * null: the smallest FastCGI responder, for the benchmark's ceiling of
 * the FastCGI stack (lighttpd <-> libfcgi, no work per request): every
 * request is answered "ok".
 */
#include <fcgiapp.h>

static const char reply[] =
    "Status: 200 OK\r\n"
    "Content-Type: text/plain\r\n"
    "Content-Length: 3\r\n"
    "\r\n"
    "ok\n";

int
main(void)
{
	FCGX_Request	 req;

	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, 0, 0) != 0)
		return 1;
	while (FCGX_Accept_r(&req) >= 0) {
		FCGX_PutStr(reply, (int)sizeof(reply) - 1, req.out);
		FCGX_Finish_r(&req);
	}
	return 0;
}
