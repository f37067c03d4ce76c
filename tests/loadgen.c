/*
 * loadgen: drives keyhole on 127.0.0.1 for the load and crash tests.
 * Each of N processes keeps one HTTP/1.1 connection and, until the
 * deadline, mints a token and introspects it, appending one line per
 * answer to the output file: "mint STATUS SECRET MS" / "introspect STATUS
 * ACTIVE MS", MS the milliseconds the answer took (STATUS 000: none came).
 * With a count, each process stops after that many requests (or at the
 * deadline, whichever comes first).  With LOADGEN_MINT_ONLY set, only mints.
 * With LOADGEN_ADMIN set (a token of an administrator of the organization
 * acme), each process runs the whole life of a token instead, and mints
 * through every dialect: native mint, introspect, rotate, introspect the
 * new secret, revoke, introspect it again (inactive), then a mint each of
 * Archil, Turso, deepset, Astronomer and Timbal.  Its lines are
 * "OP STATUS SECRET ID MS" ("-" for none): mint, introspect (SECRET is
 * the one asked about, ID its answer's "active": 1 or 0), rotate (SECRET
 * the new one), revoke (ID the token's), archil, turso, deepset,
 * astronomer, timbal.
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
static const char *admin;	/* LOADGEN_ADMIN: the mixed load */
static int	 mint_only;	/* LOADGEN_MINT_ONLY: no introspections */
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

/*
 * One request on *fd (reconnecting as needed), with token as its bearer;
 * the status, body in body.  0: no answer.
 */
static int
send_req(int *fd, const char *method, const char *path, const char *token,
    const char *type, const char *data, char *body, size_t bodysz)
{
	char	 req[2048], resp[16384], *hend, *cl;
	size_t	 got = 0, need;
	ssize_t	 n;
	long	 blen = 0;
	int	 len, status, chunked = 0, reused;

	len = snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Authorization: Bearer %s\r\nContent-Type: %s\r\n"
	    "Content-Length: %zu\r\n\r\n%s", method, path, token, type,
	    strlen(data), data);
	/*
	 * A kept-alive connection the server closed meanwhile (Apache's
	 * event MPM does under load) ends before the answer's first byte:
	 * then once more on a new one, as HTTP clients do (RFC 9112 9.3.1).
	 */
	reused = *fd != -1;
again:
	if (*fd == -1 && (*fd = dial()) == -1)
		return 0;
	if (write(*fd, req, (size_t)len) != len) {
		if (reused)
			goto retry;
		goto fail;
	}
	for (;;) {
		if (got == sizeof(resp) - 1)
			goto fail;
		if ((n = read(*fd, resp + got, sizeof(resp) - 1 - got)) <= 0) {
			if (got == 0 && reused)
				goto retry;
			goto fail;
		}
		got += (size_t)n;
		resp[got] = '\0';
		if ((hend = strstr(resp, "\r\n\r\n")) == NULL)
			continue;
		/* No body at all (RFC 9110 15.3.5). */
		if (strncmp(resp, "HTTP/1.1 204 ", 13) == 0) {
			blen = 0;
			chunked = 1;
			break;
		}
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
retry:
	close(*fd);
	*fd = -1;
	reused = 0;
	goto again;
}

static int
call(int *fd, const char *path, const char *type, const char *data,
    char *body, size_t bodysz)
{
	return send_req(fd, "POST", path, root, type, data, body, bodysz);
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
		if (mint_only)
			continue;
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

/* The string member name's value in body, into out ("-" when none). */
static void
member(const char *body, const char *name, char *out, size_t outsz)
{
	char		 pat[64];
	const char	*p, *q;

	snprintf(pat, sizeof(pat), "\"%s\":\"", name);
	snprintf(out, outsz, "-");
	if ((p = strstr(body, pat)) == NULL)
		return;
	p += strlen(pat);
	if ((q = strchr(p, '"')) != NULL && (size_t)(q - p) < outsz)
		snprintf(out, outsz, "%.*s", (int)(q - p), p);
}

/* One step of the mixed load: a line "OP STATUS SECRET ID MS". */
static int
step(int out, int *fd, const char *op, const char *method, const char *path,
    const char *token, const char *type, const char *data,
    const char *secret_member, char *secret, size_t secretsz, char *id,
    size_t idsz)
{
	char		 body[16384], line[2048], s[1024] = "-", i[64] = "-";
	struct timespec	 t0;
	int		 st, n;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	st = send_req(fd, method, path, token, type, data, body, sizeof(body));
	if (st < 200 || st > 299)
		body[0] = '\0';
	if (secret_member != NULL)
		member(body, secret_member, s, sizeof(s));
	if (id != NULL && idsz == 0)	/* the id is the caller's */
		snprintf(i, sizeof(i), "%s", id);
	else if (id != NULL)
		member(body, "id", i, sizeof(i));
	if (strcmp(op, "introspect") == 0) {
		snprintf(s, sizeof(s), "%s", data + 6);	/* "token=" */
		snprintf(i, sizeof(i), "%d", st == 200 &&
		    strstr(body, "\"active\":true") != NULL);
	}
	n = snprintf(line, sizeof(line), "%s %03d %s %s %ld\n", op, st, s, i,
	    ms_since(&t0));
	(void)!write(out, line, (size_t)n);
	if (secret != NULL)
		snprintf(secret, secretsz, "%s", s);
	if (id != NULL && idsz > 0)
		snprintf(id, idsz, "%s", i);
	return st;
}

static void
introspect(int out, int *fd, const char *secret)
{
	char	 form[1100];

	snprintf(form, sizeof(form), "token=%s", secret);
	step(out, fd, "introspect", "POST", "/v1/introspect", root,
	    "application/x-www-form-urlencoded", form, NULL, NULL, 0, NULL, 0);
}

/* The whole life of a token, then a mint through each dialect. */
static void
mixed(time_t end, int out)
{
	static const char json[] = "application/json";
	char	 sec[1024], id[64], path[160], name[64];
	int	 fd = -1;
	long	 round = 0;

	while (time(NULL) < end) {
		round++;
		if (step(out, &fd, "mint", "POST", "/v1/tokens", root, json,
		    "{\"name\":\"mix\",\"scopes\":[\"protected:read\"]}",
		    "token", sec, sizeof(sec), id, sizeof(id)) == 201) {
			introspect(out, &fd, sec);
			snprintf(path, sizeof(path), "/v1/tokens/%s/rotate", id);
			if (step(out, &fd, "rotate", "POST", path, root, json,
			    "{}", "token", sec, sizeof(sec), id, 0) == 200)
				introspect(out, &fd, sec);
			snprintf(path, sizeof(path), "/v1/tokens/%s", id);
			if (step(out, &fd, "revoke", "DELETE", path, root, json,
			    "", NULL, NULL, 0, id, 0) / 100 == 2 &&
			    strcmp(sec, "-") != 0)
				introspect(out, &fd, sec);
		}
		step(out, &fd, "archil", "POST", "/api/tokens", root, json,
		    "{\"name\":\"mix\"}", "token", NULL, 0, NULL, 0);
		/* Turso names a token by its path: one name each. */
		snprintf(name, sizeof(name), "mix-%ld-%ld", (long)getpid(), round);
		snprintf(path, sizeof(path), "/v1/auth/api-tokens/%s", name);
		step(out, &fd, "turso", "POST", path, admin, json, "",
		    "token", NULL, 0, NULL, 0);
		step(out, &fd, "deepset", "POST", "/api/v1/token", admin, json,
		    "{}", "api_token", NULL, 0, NULL, 0);
		step(out, &fd, "astronomer", "POST", "/organizations/acme/tokens",
		    root, json, "{\"name\":\"mix\",\"role\":"
		    "\"ORGANIZATION_MEMBER\",\"type\":\"ORGANIZATION\"}",
		    "token", NULL, 0, NULL, 0);
		step(out, &fd, "timbal", "POST",
		    "/orgs/acme/connectors/enrollment-tokens", root, json, "{}",
		    "token", NULL, 0, NULL, 0);
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
	admin = getenv("LOADGEN_ADMIN");
	mint_only = getenv("LOADGEN_MINT_ONLY") != NULL;
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
			if (admin != NULL)
				mixed(end, out);
			else
				client(end, out);
			_exit(0);
		}
	while (wait(NULL) > 0)
		continue;
	return 0;
}
