/*
 * keyholectl: administers a keyhole store directly, through the same
 * library as the endpoints, without HTTP.  See man/keyholectl.8.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "keyhole.h"

static const char	*home;

static void	 usage(void) __attribute__((noreturn));
static struct store *open_store(void);
static int	 cmd_init(int, char **);
static int	 cmd_create(int, char **);
static int	 cmd_list(int, char **);
static int	 cmd_show(int, char **);
static int	 cmd_revoke(int, char **);
static int	 cmd_rotate(int, char **);
static int	 cmd_finish(int, char **);
static int	 cmd_audit(int, char **);
static int	 cmd_sweep(int, char **);
static int	 cmd_checkpoint(int, char **);
static int	 cmd_load(int, char **);
static int	 cmd_keys(int, char **);
static int	 cmd_verify(int, char **);
static int	 cmd_backup(int, char **);
static int	 cmd_restore(int, char **);
static void	 mint_from_json(const struct buf *, struct mint_req *);

#define KEYS_GRACE	(7 * 86400)	/* keys rotate: how long old keys verify */

static const struct {
	const char	*name;
	int		(*fn)(int, char **);
} cmds[] = {
	{ "init", cmd_init },
	{ "create", cmd_create },
	{ "list", cmd_list },
	{ "show", cmd_show },
	{ "revoke", cmd_revoke },
	{ "rotate", cmd_rotate },
	{ "finish", cmd_finish },
	{ "audit", cmd_audit },
	{ "sweep", cmd_sweep },
	{ "checkpoint", cmd_checkpoint },
	{ "load", cmd_load },
	{ "keys", cmd_keys },
	{ "verify", cmd_verify },
	{ "backup", cmd_backup },
	{ "restore", cmd_restore },
};

static void
usage(void)
{
	fprintf(stderr,
	    "usage: keyholectl [-d home] init [-g group] [-u user]\n"
	    "       keyholectl [-d home] create -n name [-s scope ...]\n"
	    "                  [-r role[@entity] ...] [-o organization] [-e entity]\n"
	    "                  [-t ttl-seconds] [-m max-uses] [-k kind] [-D description]\n"
	    "       keyholectl [-d home] list [-a]\n"
	    "       keyholectl [-d home] show id\n"
	    "       keyholectl [-d home] revoke [-c] id\n"
	    "       keyholectl [-d home] rotate [-g grace-seconds] id\n"
	    "       keyholectl [-d home] finish id\n"
	    "       keyholectl [-d home] audit [-n count] [-e event] [-t target]\n"
	    "                  [-a actor] [-s since] [-u until] [-j]\n"
	    "       keyholectl [-d home] sweep [-r retention-seconds] "
	    "[-a audit-retention-seconds]\n"
	    "       keyholectl [-d home] checkpoint\n"
	    "       keyholectl [-d home] load -c count -s scope [-s scope ...]\n"
	    "                  [-O organization] [-e entity] [-J] [-k sample -o file]\n"
	    "       keyholectl [-d home] keys list | rotate [-g grace-seconds]\n"
	    "       keyholectl [-d home] verify [-n]\n"
	    "       keyholectl [-d home] backup dir\n"
	    "       keyholectl [-d home] restore dir\n"
	    "       keyholectl routes lighttpd|lighttpd-cgi|apache|htaccess\n"
	    "The store is -d, else $KEYHOLE_HOME.\n");
	exit(2);
}

static struct store *
open_store(void)
{
	struct store	*st;
	char		 msg[256];

	if (store_open(&st, home, 0, msg, sizeof(msg)) != STORE_OK)
		errx(1, "%s", msg);
	return st;
}

/* A link counts too: it is neither followed nor replaced. */
static int
exists(int dfd, const char *name)
{
	struct stat	 sb;

	return fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0;
}

/*
 * Gives up root for good before the store's files are opened: root
 * working in a directory the server's user writes could be led by a link
 * planted there to read or write any file.
 */
static void
become(uid_t uid, gid_t gid)
{
	if (setgroups(0, NULL) == -1)
		err(1, "setgroups");
	if (setgid(gid) == -1)
		err(1, "setgid %lu", (unsigned long)gid);
	if (setuid(uid) == -1)
		err(1, "setuid %lu", (unsigned long)uid);
	if (uid != 0 && setuid(0) != -1)
		errx(1, "root could not be given up");
}

/*
 * Run as root, a command works as the store directory's owner and group
 * (the web server's user, after init); a store that root owns stays
 * root's.  The path must be the directory itself, not a link to one.
 */
static void
become_owner(void)
{
	struct passwd	*pw;
	struct stat	 sb;

	if (lstat(home, &sb) == -1)
		err(1, "%s", home);
	if (S_ISLNK(sb.st_mode))
		errx(1, "%s is a symbolic link: as root, give the real path",
		    home);
	if (!S_ISDIR(sb.st_mode))
		errx(1, "%s is not a directory", home);
	/*
	 * A store root owns but others may write (the old layout: group
	 * www-data) is no place for root: links may be planted in it.
	 */
	if (sb.st_uid == 0 && (sb.st_mode & (S_IWGRP | S_IWOTH)) != 0 &&
	    (sb.st_gid != 0 || (sb.st_mode & S_IWOTH) != 0))
		errx(1, "%s is root's but others may write in it: give it to "
		    "the web server's user (chown www-data %s)", home, home);
	if (sb.st_uid == 0)
		return;
	/* Never the root group: take the owner's own group instead. */
	if (sb.st_gid == 0) {
		if ((pw = getpwuid(sb.st_uid)) == NULL || pw->pw_gid == 0)
			errx(1, "%s: its group is root's and its owner has no "
			    "other", home);
		sb.st_gid = pw->pw_gid;
	}
	become(sb.st_uid, sb.st_gid);
}

/*
 * Makes the store directory, mode 2770: as root, owned by the web
 * server's user and group (www-data unless -u, -g), then gives up root,
 * so that every file of the store is that user's and workers and this
 * tool share it (schema/storage.md).
 */
static int
cmd_init(int argc, char **argv)
{
	const char	*group = NULL, *user = NULL;
	struct group	*gr;
	struct passwd	*pw;
	struct stat	 sb;
	struct store	*st;
	struct mint_req	 m;
	struct tok_rec	 rec;
	enum store_err	 se;
	char		 secret[SECRET_BUFSZ], msg[256];
	uid_t		 uid = (uid_t)-1;
	gid_t		 gid = (gid_t)-1;
	int		 c, fd;

	while ((c = getopt(argc, argv, "g:u:")) != -1)
		if (c == 'g')
			group = optarg;
		else if (c == 'u')
			user = optarg;
		else
			usage();
	if (optind != argc)
		usage();
	if (geteuid() == 0) {
		if (user == NULL)
			user = "www-data";
		if (group == NULL)
			group = "www-data";
	}
	if (user != NULL) {
		if ((pw = getpwnam(user)) == NULL)
			errx(1, "no user %s", user);
		uid = pw->pw_uid;
		if (geteuid() != 0 && uid != geteuid())
			errx(1, "-u %s: only root gives the store away", user);
	}
	if (group != NULL) {
		if ((gr = getgrnam(group)) == NULL)
			errx(1, "no group %s", group);
		gid = gr->gr_gid;
	}
	/*
	 * The path itself, never what a link there points to: root would
	 * hand over a directory of someone else's choosing.  The checks
	 * and changes go through one descriptor of the directory.
	 */
	if (lstat(home, &sb) == -1) {
		if (errno != ENOENT)
			err(1, "%s", home);
		if (mkdir(home, 02770) == -1)
			err(1, "%s", home);
	} else if (S_ISLNK(sb.st_mode))
		errx(1, "%s is a symbolic link: give the real directory", home);
	else if (!S_ISDIR(sb.st_mode))
		errx(1, "%s is not a directory", home);
	fd = open(home, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		err(1, "%s", home);
	if (fstat(fd, &sb) == -1)
		err(1, "%s", home);
	if (exists(fd, STORE_RECORDS_FILE) ||
	    exists(fd, STORE_OLD_RECORDS_FILE) || exists(fd, KEYHOLE_KEYFILE)) {
		warnx("%s already holds a store; nothing changed", home);
		close(fd);
		return 1;
	}
	/* Root hands over only its own directory (just made) or the user's. */
	if (uid != (uid_t)-1 && sb.st_uid != 0 && sb.st_uid != uid)
		errx(1, "%s belongs to uid %lu, neither root nor %s", home,
		    (unsigned long)sb.st_uid, user);
	if (fchown(fd, uid, gid) == -1)
		err(1, "chown %s", home);
	/* After the chown, which may clear the set-group-ID bit. */
	if (fchmod(fd, 02770) == -1)
		err(1, "chmod %s", home);
	if (close(fd) == -1)
		err(1, "%s", home);
	if (uid != (uid_t)-1 && uid != geteuid())
		become(uid, gid);

	if (store_open(&st, home, STORE_CREATE, msg, sizeof(msg)) != STORE_OK)
		errx(1, "%s", msg);
	mint_req_init(&m);
	buf_puts(&m.name, "root");
	buf_puts(&m.subject, "root");
	buf_puts(&m.description, "Created by keyholectl init.");
	/* Everything, and minting for any subject (which "*" does not cover). */
	buf_puts(&m.scopes, "* " SCOPE_TOKENS_ASSIGN);
	tok_rec_init(&rec);
	if (tokens_mint(st, NULL, &m, (int64_t)time(NULL), "", secret,
	    sizeof(secret), &rec, &se) != MINT_OK)
		errx(1, "minting the root token: %s", store_strerror(se));
	/* The key JWT-format tokens are signed with. */
	if (jwt_keys_ensure(home, (int64_t)time(NULL), msg, sizeof(msg)) == -1)
		errx(1, "%s", msg);
	store_close(st);
	fprintf(stderr, "keyholectl: store created in %s; the root token "
	    "follows on standard output, shown this once\n", home);
	printf("%s\n", secret);
	sodium_memzero(secret, sizeof(secret));
	mint_req_free(&m);
	tok_rec_free(&rec);
	return 0;
}

/*
 * The flags become the JSON body the API would take, checked by the same
 * field table (mint_parse), so the tool stores nothing the API would refuse.
 */
static int
cmd_create(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "scope", required_argument, NULL, 's' },
		{ "role", required_argument, NULL, 'r' },
		{ "org", required_argument, NULL, 'o' },
		{ "entity", required_argument, NULL, 'e' },
		{ "ttl", required_argument, NULL, 't' },
		{ "max-uses", required_argument, NULL, 'm' },
		{ "kind", required_argument, NULL, 'k' },
		{ "description", required_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 },
	};
	struct store	*st;
	struct mint_req	 m;
	struct tok_rec	 rec;
	struct buf	 body = BUF_INIT, scopes = BUF_INIT, roles = BUF_INIT;
	struct jsonw	 w, rw;
	enum mint_err	 me;
	enum store_err	 se;
	char		 secret[SECRET_BUFSZ], id[UUID_STRLEN + 1];
	const char	*name = NULL, *org = NULL, *desc = NULL, *ent = NULL;
	const char	*kind = NULL, *at;
	int64_t		 ttl = 0, uses = 0;
	int		 c;

	jw_init(&w, &scopes);
	jw_arr_open(&w, NULL);
	jw_init(&rw, &roles);
	jw_arr_open(&rw, NULL);
	while ((c = getopt_long(argc, argv, "n:s:r:o:e:t:m:k:D:", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'n':
			name = optarg;
			break;
		case 's':
			jw_str(&w, NULL, optarg);
			break;
		case 'r':
			/* ROLE or ROLE@entity */
			jw_obj_open(&rw, NULL);
			if ((at = strchr(optarg, '@')) != NULL) {
				jw_strn(&rw, "role", optarg, (size_t)(at - optarg));
				jw_str(&rw, "entity", at + 1);
			} else
				jw_str(&rw, "role", optarg);
			jw_obj_close(&rw);
			break;
		case 'o':
			org = optarg;
			break;
		case 'e':
			ent = optarg;
			break;
		case 't':
			if (json_int_text(optarg, strlen(optarg), 1, INT64_MAX,
			    &ttl) == -1)
				errx(2, "--ttl %s: not a number of seconds",
				    optarg);
			break;
		case 'm':
			if (json_int_text(optarg, strlen(optarg), 1, INT64_MAX,
			    &uses) == -1)
				errx(2, "--max-uses %s: not a number", optarg);
			break;
		case 'k':
			kind = optarg;
			break;
		case 'D':
			desc = optarg;
			break;
		default:
			usage();
		}
	}
	jw_arr_close(&w);
	jw_arr_close(&rw);
	if (optind != argc || name == NULL)
		usage();

	jw_init(&w, &body);
	jw_obj_open(&w, NULL);
	jw_str(&w, "name", name);
	jw_raw(&w, "scopes", scopes.ptr, scopes.len);
	jw_raw(&w, "bindings", roles.ptr, roles.len);
	if (org != NULL)
		jw_str(&w, "organization", org);
	if (ent != NULL)
		jw_str(&w, "entity", ent);
	if (desc != NULL)
		jw_str(&w, "description", desc);
	if (ttl != 0)
		jw_int(&w, "expires_in", ttl);
	if (uses != 0)
		jw_int(&w, "max_uses", uses);
	if (kind != NULL)
		jw_str(&w, "kind", kind);
	jw_obj_close(&w);

	mint_from_json(&body, &m);
	st = open_store();
	tok_rec_init(&rec);
	me = tokens_mint(st, NULL, &m, (int64_t)time(NULL), "", secret,
	    sizeof(secret), &rec, &se);
	if (me != MINT_OK)
		errx(1, "%s%s%s", tokens_mint_strerror(me),
		    me == MINT_STORE ? " " : "", me == MINT_STORE ?
		    store_strerror(se) : "");
	uuid_format(rec.id, id);
	fprintf(stderr, "keyholectl: created token %s\n", id);
	printf("%s\n", secret);
	sodium_memzero(secret, sizeof(secret));
	store_close(st);
	mint_req_free(&m);
	tok_rec_free(&rec);
	buf_free(&body);
	buf_free(&scopes);
	buf_free(&roles);
	return 0;
}

static int
cmd_list(int argc, char **argv)
{
	struct store		*st;
	struct list_query	 q;
	struct tok_rec		*recs;
	struct page		 pg;
	char			 id[UUID_STRLEN + 1];
	size_t			 i;
	int			 c, all = 0;
	enum store_err		 e;

	while ((c = getopt(argc, argv, "a")) != -1)
		if (c == 'a')
			all = 1;
		else
			usage();
	if (optind != argc)
		usage();
	st = open_store();
	list_query_init(&q);
	q.now = (int64_t)time(NULL);
	q.limit = LIST_MAX;
	q.state = all ? -1 : TOK_ACTIVE;
	recs = tok_recs_new(q.limit);
	do {
		e = tokens_list(st, &q, recs, &pg);
		if (e != STORE_OK)
			errx(1, "%s", store_strerror(e));
		for (i = 0; i < pg.n; i++) {
			uuid_format(recs[i].id, id);
			printf("%s\t%s\t%s\t%s\t%s\n", id,
			    policy_state_name(policy_state(&recs[i], q.now)),
			    buf_cstr(&recs[i].organization)[0] ?
			    buf_cstr(&recs[i].organization) : "-",
			    buf_cstr(&recs[i].name), buf_cstr(&recs[i].scopes));
		}
		memcpy(q.after, pg.last, UUID_LEN);
		q.has_after = 1;
	} while (pg.more);
	tok_recs_free(recs, q.limit);
	list_query_free(&q);
	store_close(st);
	return 0;
}

static int
parse_id(int argc, char **argv, unsigned char id[UUID_LEN])
{
	if (argc != 2)
		usage();
	if (uuid_parse(argv[1], strlen(argv[1]), id) == -1)
		errx(2, "%s: not a token id", argv[1]);
	return 0;
}

static int
cmd_show(int argc, char **argv)
{
	struct store	*st;
	struct tok_rec	 rec;
	unsigned char	 id[UUID_LEN];
	struct buf	 out = BUF_INIT;
	struct jsonw	 w;
	enum store_err	 e;

	parse_id(argc, argv, id);
	st = open_store();
	tok_rec_init(&rec);
	if ((e = store_get(st, id, &rec)) != STORE_OK)
		errx(1, "%s: %s", argv[1], store_strerror(e));
	jw_init(&w, &out);
	jw_obj_open(&w, NULL);
	tokens_json(&w, &rec, (int64_t)time(NULL));
	jw_obj_close(&w);
	printf("%s\n", buf_cstr(&out));
	buf_free(&out);
	tok_rec_free(&rec);
	store_close(st);
	return 0;
}

/* An operation's failure, as a message and exit status 1. */
static void
op_fail(const char *id, enum op_err e, enum store_err se)
{
	static const char *const msg[] = {
		[OP_OK] = "ok",
		[OP_NOTFOUND] = "no such token",
		[OP_DENIED] = "not permitted",
		[OP_CONFLICT] = "revoked or expired",
		[OP_INVALID] = "invalid",
		[OP_BINDING] = "a role outside the token's entity",
		[OP_INCOMPLETE] = "cascade incomplete (run it again)",
		[OP_INACTIVE] = "the caller stopped being valid",
		[OP_STORE] = "store failed",
	};

	errx(1, "%s: %s%s%s", id, msg[e], e == OP_STORE ? ": " : "",
	    e == OP_STORE ? store_strerror(se) : "");
}

static int
cmd_revoke(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "cascade", no_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	struct store	*st;
	struct cascade	 c;
	unsigned char	 id[UUID_LEN];
	enum store_err	 se;
	enum op_err	 e;
	int		 ch, cascade = 0;

	while ((ch = getopt_long(argc, argv, "c", longopts, NULL)) != -1)
		if (ch == 'c')
			cascade = 1;
		else
			usage();
	parse_id(argc - optind + 1, argv + optind - 1, id);
	st = open_store();
	/* A cascade a bounded step at a time, each going on from the last. */
	while ((e = tokens_revoke(st, id, NULL, cascade, (int64_t)time(NULL),
	    "", &c, &se)) == OP_INCOMPLETE)
		fprintf(stderr, "keyholectl: revoked %zu more, %s%zu left\n",
		    c.revoked, c.remaining_exact ? "" : "at least ",
		    c.remaining);
	if (e != OP_OK)
		op_fail(argv[optind], e, se);
	fprintf(stderr, "keyholectl: revoked %s%s\n", argv[optind],
	    cascade ? " and every token minted under it" : "");
	store_close(st);
	return 0;
}

static int
cmd_rotate(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "grace", required_argument, NULL, 'g' },
		{ NULL, 0, NULL, 0 },
	};
	struct store	*st;
	struct tok_rec	 rec;
	unsigned char	 id[UUID_LEN];
	char		 secret[SECRET_BUFSZ];
	int64_t		 grace = 0;
	enum store_err	 se;
	enum op_err	 e;
	int		 c;

	while ((c = getopt_long(argc, argv, "g:", longopts, NULL)) != -1)
		if (c == 'g') {
			if (json_int_text(optarg, strlen(optarg), 0, GRACE_MAX,
			    &grace) == -1)
				errx(2, "--grace %s: 0 to %d seconds", optarg,
				    GRACE_MAX);
		} else
			usage();
	parse_id(argc - optind + 1, argv + optind - 1, id);
	st = open_store();
	tok_rec_init(&rec);
	e = tokens_rotate(st, id, NULL, grace, (int64_t)time(NULL), "", secret,
	    sizeof(secret), &rec, &se);
	if (e != OP_OK)
		op_fail(argv[optind], e, se);
	fprintf(stderr, "keyholectl: rotated %s; the new secret follows, the "
	    "old one works %lld more seconds\n", argv[optind], (long long)grace);
	printf("%s\n", secret);
	sodium_memzero(secret, sizeof(secret));
	tok_rec_free(&rec);
	store_close(st);
	return 0;
}

static int
cmd_finish(int argc, char **argv)
{
	struct store	*st;
	struct tok_rec	 rec;
	unsigned char	 id[UUID_LEN];
	enum store_err	 se;
	enum op_err	 e;

	parse_id(argc, argv, id);
	st = open_store();
	tok_rec_init(&rec);
	e = tokens_rotate_finish(st, id, NULL, (int64_t)time(NULL), "", &rec,
	    &se);
	if (e != OP_OK)
		op_fail(argv[1], e, se);
	tok_rec_free(&rec);
	store_close(st);
	return 0;
}

static void
audit_line(const struct audit_rec *r, int json)
{
	struct buf	 out = BUF_INIT;
	struct jsonw	 w;
	char		 t[TIME_STRLEN + 1], a[UUID_STRLEN + 1], g[UUID_STRLEN + 1];

	if (json) {
		jw_init(&w, &out);
		jw_obj_open(&w, NULL);
		tokens_audit_json(&w, r);
		jw_obj_close(&w);
		printf("%s\n", buf_cstr(&out));
		buf_free(&out);
		return;
	}
	time_format(r->at, t);
	if (r->has_actor)
		uuid_format(r->actor, a);
	if (r->has_target)
		uuid_format(r->target, g);
	printf("%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t, buf_cstr(&r->event),
	    r->has_actor ? a : "-", r->has_target ? g : "-",
	    r->organization.len ? buf_cstr(&r->organization) : "-",
	    r->address.len ? buf_cstr(&r->address) : "-",
	    buf_cstr(&r->detail));
}

/*
 * The trail in time order: all of it, or with -n the last count entries
 * (read newest first, printed oldest first, like tail).
 */
static int
cmd_audit(int argc, char **argv)
{
	struct store		*st;
	struct audit_query	 q;
	struct audit_rec	*recs;
	unsigned char		 last[UUID_LEN], *id;
	size_t			 i, n;
	int64_t			 count = 0;
	int			 c, more, json = 0;
	enum store_err		 e;

	audit_query_init(&q);
	q.desc = 0;
	q.limit = LIST_MAX;
	while ((c = getopt(argc, argv, "n:e:t:a:s:u:j")) != -1) {
		switch (c) {
		case 'n':
			if (json_int_text(optarg, strlen(optarg), 1, LIST_MAX,
			    &count) == -1)
				errx(2, "-n %s: 1 to %d", optarg, LIST_MAX);
			q.desc = 1;
			q.limit = (size_t)count;
			break;
		case 'e':
			buf_puts(&q.event, optarg);
			break;
		case 't':
		case 'a':
			id = c == 't' ? q.target : q.actor;
			if (uuid_parse(optarg, strlen(optarg), id) == -1)
				errx(2, "%s: not a token id", optarg);
			*(c == 't' ? &q.has_target : &q.has_actor) = 1;
			break;
		case 's':
		case 'u':
			if (time_parse(optarg, strlen(optarg), c == 's' ?
			    &q.since : &q.until) == -1)
				errx(2, "%s: not an RFC 3339 time", optarg);
			break;
		case 'j':
			json = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	st = open_store();
	recs = audit_recs_new(q.limit);
	do {
		if ((e = tokens_audit_list(st, &q, recs, &n, &more, last)) !=
		    STORE_OK)
			errx(1, "%s", store_strerror(e));
		for (i = 0; i < n; i++)
			audit_line(&recs[q.desc ? n - 1 - i : i], json);
		memcpy(q.after, last, UUID_LEN);
		q.has_after = 1;
	} while (more && !q.desc);
	audit_recs_free(recs, q.limit);
	audit_query_free(&q);
	store_close(st);
	return 0;
}

/*
 * Deletes tokens long expired or revoked, audit entries older than the
 * audit retention, and writes the counts of failed-authentication
 * windows that have ended into the trail.
 */
static int
cmd_sweep(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "retention", required_argument, NULL, 'r' },
		{ "audit-retention", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	struct store	*st;
	int64_t		 keep = 30 * 86400, akeep = AUDIT_RETENTION,
			 now = (int64_t)time(NULL);
	size_t		 n;
	enum store_err	 e;
	int		 c;

	while ((c = getopt_long(argc, argv, "r:a:", longopts, NULL)) != -1)
		if (c == 'r' || c == 'a') {
			if (json_int_text(optarg, strlen(optarg), 0,
			    LIFETIME_MAX, c == 'r' ? &keep : &akeep) == -1)
				errx(2, "-%c %s: not a number of seconds", c,
				    optarg);
		} else
			usage();
	if (optind != argc)
		usage();
	st = open_store();
	e = tokens_sweep(st, now - keep, now, &n);
	fprintf(stderr, "keyholectl: purged %zu tokens expired or revoked "
	    "more than %lld seconds ago\n", n, (long long)keep);
	if (e != STORE_OK)
		errx(1, "sweep: %s", store_strerror(e));
	if (tokens_auth_flush(st, now) == -1)
		warnx("sweep: the failed-authentication table cannot be read");
	e = tokens_audit_trim(st, now - akeep, now, &n);
	fprintf(stderr, "keyholectl: deleted %zu audit entries older than "
	    "%lld seconds\n", n, (long long)akeep);
	if (e != STORE_OK)
		errx(1, "sweep: %s", store_strerror(e));
	store_close(st);
	return 0;
}

static int
cmd_checkpoint(int argc, char **argv)
{
	struct store	*st;
	enum store_err	 e;

	(void)argv;
	if (argc != 1)
		usage();
	st = open_store();
	if ((e = store_checkpoint(st)) != STORE_OK)
		errx(1, "checkpoint: %s", store_strerror(e));
	store_close(st);
	return 0;
}

/*
 * The store's invariants (store_verify): each problem on a line of its
 * own, then the counts; exit 1 when any.  -n leaves out Berkeley DB's
 * verification of each file, which wants a quiet store.
 */
static int
cmd_verify(int argc, char **argv)
{
	struct store_verify	 v;
	struct store		*st;
	enum store_err		 e;
	int			 c;

	memset(&v, 0, sizeof(v));
	v.out = stdout;
	v.files_too = 1;
	while ((c = getopt(argc, argv, "n")) != -1)
		if (c == 'n')
			v.files_too = 0;
		else
			usage();
	if (optind != argc)
		usage();
	st = open_store();
	if ((e = store_verify(st, &v)) != STORE_OK)
		errx(1, "verify: %s", store_strerror(e));
	store_close(st);
	fprintf(stderr, "keyholectl: %zu tokens, %zu hash entries, %zu minter "
	    "entries, %zu list keys, %zu audit entries, %zu database files "
	    "verified: %zu problems\n", v.tokens, v.hashes, v.parents,
	    v.list_keys, v.audit, v.files, v.problems);
	for (c = 0; c < (int)(sizeof(v.events) / sizeof(v.events[0])) &&
	    v.events[c].event[0] != '\0'; c++)
		fprintf(stderr, "keyholectl: audit: %zu %s\n", v.events[c].n,
		    v.events[c].event);
	return v.problems > 0;
}

/* A hot backup into dir, missing or empty (store_backup). */
static int
cmd_backup(int argc, char **argv)
{
	struct store	*st;
	char		 msg[512];

	if (argc != 2)
		usage();
	st = open_store();
	if (store_backup(st, argv[1], msg, sizeof(msg)) != STORE_OK)
		errx(1, "%s", msg);
	store_close(st);
	fprintf(stderr, "keyholectl: backup of %s in %s\n", home, argv[1]);
	return 0;
}

/*
 * A backup into the store directory, missing or empty: another store
 * is never overwritten (to replace one, stop the service and move it
 * aside).  Then verified.
 */
static int
cmd_restore(int argc, char **argv)
{
	char	 msg[512];

	if (argc != 2)
		usage();
	if (store_restore(argv[1], home, msg, sizeof(msg)) != STORE_OK)
		errx(1, "%s", msg);
	fprintf(stderr, "keyholectl: %s restored into %s\n", argv[1], home);
	optind = 1;
	return cmd_verify(1, (char *[]){ "verify", NULL });
}

/* A mint's fields as the API takes them, by the API's own checks: exits 2 on a bad one. */
static void
mint_from_json(const struct buf *body, struct mint_req *m)
{
	struct json_doc	 doc;
	struct problem	 p;
	int		 i;

	mint_req_init(m);
	problem_init(&p, 422, "");
	if (json_parse(&doc, body->ptr, body->len, JSON_MAXTOK, JSON_MAXDEPTH) == -1)
		errx(2, "%s", doc.err);	/* e.g. invalid UTF-8 in an argument */
	if (mint_parse(&doc, m, &p) > 0) {
		for (i = 0; i < p.nerr; i++)
			warnx("%s %s", p.err[i].pointer + 1, p.err[i].detail);
		exit(2);
	}
	json_free(&doc);
}

/*
 * Bulk load (benchmarks, imports): count tokens with the given scopes
 * (organization, entity, format), without a sync per commit and with one
 * audit entry for the batch; then a checkpoint.  With -k, every
 * (count/sample)-th secret goes to -o file, so a benchmark can present
 * real tokens.
 */
static int
cmd_load(int argc, char **argv)
{
	struct store	*st;
	struct mint_req	 m;
	struct tok_rec	 rec;
	struct audit_ev	 ev;
	enum store_err	 se;
	char		 secret[SECRET_BUFSZ], detail[128];
	char		 first[UUID_STRLEN + 1], last[UUID_STRLEN + 1];
	const char	*file = NULL, *org = NULL, *ent = NULL;
	FILE		*out = NULL;
	struct buf	 body = BUF_INIT, scopes = BUF_INIT;
	struct jsonw	 w;
	int64_t		 count = 0, sample = 0, i, every;
	struct timespec	 t0, t1;
	double		 secs;
	int		 c, jwt = 0, nscopes = 0;

	jw_init(&w, &scopes);
	jw_arr_open(&w, NULL);
	while ((c = getopt(argc, argv, "c:s:k:o:O:e:J")) != -1) {
		switch (c) {
		case 'c':
			if (json_int_text(optarg, strlen(optarg), 1, 100000000,
			    &count) == -1)
				errx(2, "-c %s: 1 to 100000000", optarg);
			break;
		case 'O':
			org = optarg;
			break;
		case 'e':
			ent = optarg;
			break;
		case 'J':
			jwt = 1;
			break;
		case 's':
			jw_str(&w, NULL, optarg);
			nscopes++;
			break;
		case 'k':
			if (json_int_text(optarg, strlen(optarg), 1, 100000000,
			    &sample) == -1)
				errx(2, "-k %s: 1 to 100000000", optarg);
			break;
		case 'o':
			file = optarg;
			break;
		default:
			usage();
		}
	}
	jw_arr_close(&w);
	if (optind != argc || count == 0 || nscopes == 0 ||
	    (sample != 0) != (file != NULL))
		usage();
	jw_init(&w, &body);
	jw_obj_open(&w, NULL);
	jw_str(&w, "name", "bulk");
	jw_raw(&w, "scopes", scopes.ptr, scopes.len);
	if (org != NULL)
		jw_str(&w, "organization", org);
	if (ent != NULL)
		jw_str(&w, "entity", ent);
	if (jwt)
		jw_str(&w, "format", "jwt");
	jw_obj_close(&w);
	mint_from_json(&body, &m);
	if (file != NULL && (out = fopen(file, "w")) == NULL)
		err(1, "%s", file);
	every = sample > 0 ? (count / sample > 0 ? count / sample : 1) : 0;
	m.unaudited = 1;

	st = open_store();
	if ((se = store_bulk_begin(st)) != STORE_OK)
		errx(1, "%s", store_strerror(se));
	tok_rec_init(&rec);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < count; i++) {
		if (tokens_mint(st, NULL, &m, (int64_t)time(NULL), "", secret,
		    sizeof(secret), &rec, &se) != MINT_OK)
			errx(1, "token %lld: %s", (long long)i, store_strerror(se));
		if (out != NULL && i % every == 0)
			fprintf(out, "%s\n", secret);
		if (i == 0)
			uuid_format(rec.id, first);
	}
	uuid_format(rec.id, last);
	sodium_memzero(secret, sizeof(secret));
	memset(&ev, 0, sizeof(ev));
	ev.at = (int64_t)time(NULL);
	ev.event = "tokens.loaded";
	/* The range keyholectl verify knows them by: audited once, here. */
	snprintf(detail, sizeof(detail), "%lld tokens, ids %s to %s",
	    (long long)count, first, last);
	ev.detail = detail;
	if ((se = store_audit(st, &ev)) != STORE_OK ||
	    (se = store_bulk_end(st)) != STORE_OK)
		errx(1, "%s", store_strerror(se));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	fprintf(stderr, "keyholectl: loaded %lld tokens in %.1f s\n",
	    (long long)count, secs);
	if (out != NULL && fclose(out) != 0)
		err(1, "%s", file);
	store_close(st);
	mint_req_free(&m);
	tok_rec_free(&rec);
	buf_free(&body);
	buf_free(&scopes);
	return 0;
}

/*
 * The JWT signing keys: list them, or add a new one that signs from now
 * on, the others verifying for the grace (default 7 days) and no longer.
 */
static int
cmd_keys(int argc, char **argv)
{
	struct jwt_keys	 k;
	char		 msg[256], at[TIME_STRLEN + 1], until[TIME_STRLEN + 1];
	const struct jwt_key *signer;
	const char	*e;
	int64_t		 grace = KEYS_GRACE, now = (int64_t)time(NULL);
	size_t		 i;
	int		 c;

	if (argc < 2)
		usage();
	if (strcmp(argv[1], "rotate") == 0) {
		optind = 2;
		while ((c = getopt(argc, argv, "g:")) != -1)
			if (c == 'g' && json_int_text(optarg, strlen(optarg), 0,
			    10LL * 366 * 86400, &grace) == 0)
				continue;
			else
				usage();
		if (optind != argc)
			usage();
		if (jwt_keys_rotate(home, now, grace, msg, sizeof(msg)) == -1)
			errx(1, "%s", msg);
		return 0;
	}
	if (strcmp(argv[1], "list") != 0 || argc != 2)
		usage();
	if (jwt_keys_load(home, &k, msg, sizeof(msg)) == -1)
		errx(1, "%s", msg);
	signer = jwt_signer(&k);
	for (i = 0; i < k.n; i++) {
		time_format(k.k[i].created_at, at);
		time_format(k.k[i].retire_at, until);
		e = &k.k[i] == signer ? "signs" : k.k[i].retire_at == 0 ?
		    "current" : k.k[i].retire_at > now ? "verifies until" :
		    "retired";
		printf("%s\t%s\t%s%s%s\n", k.k[i].kid, at, e,
		    k.k[i].retire_at != 0 ? " " : "",
		    k.k[i].retire_at != 0 ? until : "");
	}
	jwt_keys_wipe(&k);
	return 0;
}

static int
cmd_routes(int argc, char **argv)
{
	struct buf	 b = BUF_INIT;

	if (argc != 2)
		usage();
	if (strcmp(argv[1], "lighttpd") == 0 || strcmp(argv[1],
	    "lighttpd-cgi") == 0)
		route_lighttpd(&b, strcmp(argv[1], "lighttpd-cgi") == 0);
	else if (strcmp(argv[1], "apache") == 0 || strcmp(argv[1],
	    "htaccess") == 0)
		route_apache(&b, strcmp(argv[1], "apache") == 0);
	else
		usage();
	fwrite(b.ptr, 1, b.len, stdout);
	buf_free(&b);
	return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
}

int
main(int argc, char **argv)
{
	size_t	 i, n;
	char	*p;
	int	 c;

	umask(007);
	if (sodium_init() < 0)
		errx(1, "libsodium failed to initialise");
	home = getenv("KEYHOLE_HOME");
	while ((c = getopt(argc, argv, "+d:")) != -1)
		if (c == 'd')
			home = optarg;
		else
			usage();
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	/* The web server's configuration, from the route table: no store. */
	if (strcmp(argv[0], "routes") == 0)
		return cmd_routes(argc, argv);
	if (home == NULL || *home == '\0')
		errx(2, "no store: give -d or set KEYHOLE_HOME");
	/* With a trailing slash, lstat() would follow a link named home. */
	if ((p = strdup(home)) == NULL)
		err(1, NULL);
	for (n = strlen(p); n > 1 && p[n - 1] == '/'; n--)
		p[n - 1] = '\0';
	home = p;
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[0], cmds[i].name) == 0) {
			/* init gives up root itself, after the directory. */
			if (geteuid() == 0 && cmds[i].fn != cmd_init)
				become_owner();
			optind = 1;
			return cmds[i].fn(argc, argv);
		}
	usage();
}
