/*
 * store_backup: a consistent copy of a store while it serves, and the
 * way back.  Berkeley DB's hot backup copies the databases and then the
 * log (DB_ENV->backup); a catastrophic recovery of the copy replays the
 * log over the databases, so the copy holds every transaction committed
 * before its log was copied -- every write acknowledged before the backup
 * began, and some after.  The keys (hash.key, jwt.keys) go with it.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <db.h>

#include "jwt.h"
#include "store_impl.h"

/* A directory that is missing (then made) or empty: nothing to overwrite. */
static int
empty_dir(const char *dir, char *err, size_t errsz)
{
	struct dirent	*e;
	DIR		*d;
	int		 n = 0;

	if (mkdir(dir, 02770) == 0)
		return 0;
	if (errno != EEXIST || (d = opendir(dir)) == NULL) {
		snprintf(err, errsz, "%s: %s", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	if (n > 0) {
		snprintf(err, errsz, "%s is not empty", dir);
		return -1;
	}
	return 0;
}

/* Copies from/name to to/name, synced; a missing one is skipped. */
static int
copy_file(const char *from, const char *to, const char *name, char *err,
    size_t errsz)
{
	/* The keys as keyholectl init makes them; the rest as the workers. */
	mode_t	 mode = strcmp(name, KEYHOLE_KEYFILE) == 0 ||
	    strcmp(name, JWT_KEYFILE) == 0 ? 0640 : 0660;
	char	 src[4096], dst[4096], b[65536];
	ssize_t	 n = 0;
	int	 in, out, rc = 0;

	snprintf(src, sizeof(src), "%s/%s", from, name);
	snprintf(dst, sizeof(dst), "%s/%s", to, name);
	if ((in = open(src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return errno == ENOENT ? 0 : (snprintf(err, errsz, "%s: %s",
		    src, strerror(errno)), -1);
	if ((out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, mode)) == -1) {
		snprintf(err, errsz, "%s: %s", dst, strerror(errno));
		close(in);
		return -1;
	}
	while (rc == 0 && (n = read(in, b, sizeof(b))) > 0)
		if (write(out, b, (size_t)n) != n)
			rc = -1;
	if (n < 0 || rc == -1 || fsync(out) == -1) {
		snprintf(err, errsz, "%s: %s", dst, strerror(errno));
		rc = -1;
	}
	close(in);
	if (close(out) == -1)
		rc = -1;
	return rc;
}

/*
 * Catastrophic recovery of a copied store, in a private environment (no
 * region files left behind): its databases then hold every transaction
 * of its log.
 */
static int
recover_copy(const char *dir, char *err, size_t errsz)
{
	DB_ENV	*env;
	int	 rc;

	if ((rc = db_env_create(&env, 0)) != 0) {
		snprintf(err, errsz, "db_env_create: %s", db_strerror(rc));
		return -1;
	}
	rc = env->open(env, dir, DB_CREATE | DB_INIT_LOCK | DB_INIT_LOG |
	    DB_INIT_MPOOL | DB_INIT_TXN | DB_PRIVATE | DB_RECOVER_FATAL, 0660);
	if (rc == 0)
		rc = env->txn_checkpoint(env, 0, 0, DB_FORCE);
	if (env->close(env, 0) != 0 && rc == 0)
		rc = EIO;
	if (rc != 0) {
		snprintf(err, errsz, "recovering %s: %s", dir, db_strerror(rc));
		return -1;
	}
	return 0;
}

enum store_err
store_backup(struct store *st, const char *dir, char *err, size_t errsz)
{
	int	 rc;

	if (empty_dir(dir, err, errsz) == -1)
		return STORE_FATAL;
	/* A checkpoint first: the copy's recovery then replays little. */
	if ((rc = st->env->txn_checkpoint(st->env, 0, 0, DB_FORCE)) != 0 ||
	    (rc = st->env->backup(st->env, dir, 0)) != 0) {
		snprintf(err, errsz, "backup to %s: %s", dir, db_strerror(rc));
		return STORE_FATAL;
	}
	if (copy_file(st->home, dir, KEYHOLE_KEYFILE, err, errsz) == -1 ||
	    copy_file(st->home, dir, JWT_KEYFILE, err, errsz) == -1 ||
	    recover_copy(dir, err, errsz) == -1)
		return STORE_FATAL;
	return STORE_OK;
}

/* What a backup holds: the databases, the log, the keys. */
static int
store_file(const char *name)
{
	static const char *const names[] = { STORE_DBS, KEYHOLE_KEYFILE,
	    JWT_KEYFILE,
	    /* a backup from before records.db: the first open upgrades it */
	    OLD_RECORDS_DB, OLD_HASH_DB, OLD_PARENT_DB };
	size_t	 i;

	if (strncmp(name, "log.", 4) == 0 && strspn(name + 4, "0123456789") ==
	    strlen(name + 4) && name[4] != '\0')
		return 1;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0)
			return 1;
	return 0;
}

enum store_err
store_restore(const char *from, const char *home, char *err, size_t errsz)
{
	struct dirent	*e;
	struct stat	 sb;
	char		 path[4096];
	DIR		*d;
	int		 rc = 0;

	snprintf(path, sizeof(path), "%s/%s", from, RECORDS_DB);
	if (stat(path, &sb) == -1) {
		snprintf(path, sizeof(path), "%s/%s", from, OLD_RECORDS_DB);
		if (stat(path, &sb) == -1) {
			snprintf(err, errsz, "%s holds no backup (no "
			    RECORDS_DB ")", from);
			return STORE_FATAL;
		}
	}
	if (empty_dir(home, err, errsz) == -1)
		return STORE_FATAL;
	if ((d = opendir(from)) == NULL) {
		snprintf(err, errsz, "%s: %s", from, strerror(errno));
		return STORE_FATAL;
	}
	while (rc == 0 && (e = readdir(d)) != NULL)
		if (store_file(e->d_name))
			rc = copy_file(from, home, e->d_name, err, errsz);
	closedir(d);
	if (rc == -1 || recover_copy(home, err, errsz) == -1)
		return STORE_FATAL;
	return STORE_OK;
}
