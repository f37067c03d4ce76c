/*
 * loadgen: drives keyhole on 127.0.0.1 for the load and crash tests.
 * Each of N processes keeps one HTTP/1.1 connection and, until the
 * deadline, mints a token and introspects it, appending one line per
 * answer to the output file: "mint STATUS SECRET MS" / "introspect STATUS
 * ACTIVE MS", MS the milliseconds the answer took (STATUS 000: none came).
 * With a count, each process stops after that many requests (or at the
 * deadline, whichever comes first).
 * usage: loadgen port root-token seconds processes outfile [requests]
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <ctype.h>
#include <err.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int	 port;
static const char *root;
static long	 requests = -1;	/* per process; -1: until the deadline */

static int
dial(void)
{
	struct sockaddr_in	 sin;
	struct timeval		 tv = { 20, 0 };
	int			 fd, one = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * A chunked body (RFC 9112 7.1) complete in s: decoded into out, its
 * length returned; -1 while incomplete or malformed.
 */
static long
dechunk(const char *s, size_t len, char *out, size_t outsz)
{
	const char	*p = s, *end = s + len;
	size_t		 n = 0, size;
	int		 d;

	for (;;) {
		/* The size: hex digits (extensions after ';' are skipped). */
		for (size = 0; p < end && isxdigit((unsigned char)*p); p++) {
			d = isdigit((unsigned char)*p) ? *p - '0' :
			    tolower((unsigned char)*p) - 'a' + 10;
			if (size > outsz)
				return -1;
			size = size * 16 + (size_t)d;
		}
		if (p == s || (p = strstr(p, "\r\n")) == NULL)
			return -1;
		p += 2;
		if (size == 0)	/* then trailers, if any, and an empty line */
			return strstr(p - 2, "\r\n\r\n") != NULL ? (long)n : -1;
		if ((size_t)(end - p) < size + 2 || n + size >= outsz ||
		    memcmp(p + size, "\r\n", 2) != 0)
			return -1;
		memcpy(out + n, p, size);
		n += size;
		p += size + 2;
		s = p;
	}
}

/* One request on *fd (reconnecting as needed); the status, body in body. 0: no answer. */
static int
call(int *fd, const char *path, const char *type, const char *data,
    char *body, size_t bodysz)
{
	char	 req[1024], resp[16384], *hend, *cl;
	size_t	 got = 0, need;
	ssize_t	 n;
	long	 blen = 0;
	int	 len, status, chunked = 0;

	len = snprintf(req, sizeof(req), "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Authorization: Bearer %s\r\nContent-Type: %s\r\n"
	    "Content-Length: %zu\r\n\r\n%s", path, root, type, strlen(data), data);
	if (*fd == -1 && (*fd = dial()) == -1)
		return 0;
	if (write(*fd, req, (size_t)len) != len)
		goto fail;
	for (;;) {
		if (got == sizeof(resp) - 1)
			goto fail;
		if ((n = read(*fd, resp + got, sizeof(resp) - 1 - got)) <= 0)
			goto fail;
		got += (size_t)n;
		resp[got] = '\0';
		if ((hend = strstr(resp, "\r\n\r\n")) == NULL)
			continue;
		/* Content-Length, or chunks (Apache's mod_proxy_fcgi). */
		chunked = (cl = strcasestr(resp, "\r\nTransfer-Encoding: "
		    "chunked")) != NULL && cl < hend;
		if (chunked) {
			blen = dechunk(hend + 4, got - (size_t)(hend + 4 - resp),
			    body, bodysz);
			if (blen >= 0)
				break;
			continue;
		}
		if ((cl = strcasestr(resp, "\r\nContent-Length: ")) == NULL ||
		    cl > hend)
			goto fail;
		need = (size_t)(hend + 4 - resp) + strtoul(cl + 18, NULL, 10);
		if (got >= need)
			break;
	}
	if (sscanf(resp, "HTTP/1.1 %d", &status) != 1)
		goto fail;
	if (chunked)
		body[blen] = '\0';
	else
		snprintf(body, bodysz, "%s", hend + 4);
	if (strcasestr(resp, "\r\nConnection: close") != NULL) {
		close(*fd);
		*fd = -1;
	}
	return status;
fail:
	close(*fd);
	*fd = -1;
	return 0;
}

static long
ms_since(const struct timespec *t0)
{
	struct timespec	 t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 +
	    (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static void
client(time_t end, int out)
{
	char		 body[16384], line[256], tok[128], *p, *q;
	int		 fd = -1, st, n;
	long		 sent = 0;
	struct timespec	 t0;

	while (time(NULL) < end && (requests < 0 || sent < requests)) {
		sent++;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		st = call(&fd, "/v1/tokens", "application/json",
		    "{\"name\":\"load\",\"scopes\":[\"protected:read\"]}",
		    body, sizeof(body));
		tok[0] = '\0';
		if (st == 201 && (p = strstr(body, "\"token\":\"")) != NULL &&
		    (q = strchr(p + 9, '"')) != NULL && q - (p + 9) < 100)
			snprintf(tok, sizeof(tok), "%.*s", (int)(q - (p + 9)), p + 9);
		n = snprintf(line, sizeof(line), "mint %03d %s %ld\n", st,
		    tok[0] ? tok : "-", ms_since(&t0));
		(void)!write(out, line, (size_t)n);
		if (!tok[0]) {
			usleep(10000);
			continue;
		}
		if (requests >= 0 && sent >= requests)
			break;
		sent++;
		snprintf(line, sizeof(line), "token=%s", tok);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		st = call(&fd, "/v1/introspect",
		    "application/x-www-form-urlencoded", line, body,
		    sizeof(body));
		n = snprintf(line, sizeof(line), "introspect %03d %d %ld\n", st,
		    strstr(body, "\"active\":true") != NULL && st == 200,
		    ms_since(&t0));
		(void)!write(out, line, (size_t)n);
	}
}

int
main(int argc, char **argv)
{
	time_t	 end;
	int	 i, procs, out;

	if (argc != 6 && argc != 7)
		errx(2, "usage: loadgen port root-token seconds processes "
		    "outfile [requests]");
	if (argc == 7 && (requests = atol(argv[6])) < 1)
		errx(2, "bad request count");
	port = atoi(argv[1]);
	root = argv[2];
	end = time(NULL) + atoi(argv[3]);
	procs = atoi(argv[4]);
	if (port < 1 || port > 65535 || procs < 1 || procs > 64 ||
	    atoi(argv[3]) < 1 || atoi(argv[3]) > 300)
		errx(2, "bad arguments");
	/* O_APPEND: each line lands whole, whatever the interleaving. */
	if ((out = open(argv[5], O_WRONLY | O_CREAT | O_APPEND | O_TRUNC,
	    0644)) == -1)
		err(1, "%s", argv[5]);
	for (i = 0; i < procs; i++)
		if (fork() == 0) {
			client(end, out);
			_exit(0);
		}
	while (wait(NULL) > 0)
		continue;
	return 0;
}
