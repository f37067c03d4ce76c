/*
 * store_watch: the watchdog over every stay inside Berkeley DB.  It tells
 * a process stuck there (blocked on a mutex a killed process held, which
 * only a recovery frees) from one that is merely slow (a commit waiting
 * for a slow disk, a checkpoint, a queue behind such a commit).
 *
 * Every process of the store has a slot in a small table all of them map
 * (ACTIVITY): its pid, whether it is inside the library, and when its
 * last disk I/O began and ended, kept by hooks around Berkeley DB's own
 * I/O calls.  Each second of a stay:
 *   - if the environment was replaced since this process joined it, the
 *     process is waiting in a dead one: it exits;
 *   - if a process died inside the library, what this one waits for is
 *     most likely the dead one's: it exits and asks the next open for a
 *     full recovery (unless this stay is that recovery);
 *   - if the stay is younger than its bound (KEYHOLE_STUCK_SECS), wait on;
 *   - if a live process is doing disk I/O (begun less than
 *     KEYHOLE_IO_WAIT_SECS ago: a longer one is a hung disk), or ended one
 *     a moment ago, the disk is slow, not stuck: look again a second later;
 *   - else nothing moves: stuck, as above.
 * A stay slower than KEYHOLE_LOG_SLOW_MS is logged, with its kind.
 *
 * The second's tick: alarm(2) in a short-lived process (plain CGI), whose
 * handler makes these checks.  A process that lives on (a FastCGI
 * worker) starts a thread for them after its first stays instead: two
 * alarm(2) calls a stay, each re-arming a kernel timer, were a twentieth
 * of an introspection's cost.  That thread never enters the library, so
 * it ticks on whatever the library blocks on.
 *
 * Berkeley DB ends a lock wait past its timeout only when some process
 * runs the deadlock detector: a process waiting alone on a lock whose
 * holder is stopped would wait on, and be taken for stuck.  So a thread
 * of each process expires timed-out lock waits (lock_detect with
 * DB_LOCK_EXPIRE) while a stay of its process is older than the lock
 * timeout.
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <db.h>

#include "json.h"
#include "store_impl.h"

#define ACTIVITY	"activity"	/* the table every process maps */
#define SLOTS		1024		/* processes of the store at once */
#define RECOVER_MARK	"recover.needed"	/* read by the next open */
#define REGION_FILE	"__db.001"	/* recreated by every full recovery */
#define IO_RECENT_MS	1000	/* an I/O ended this recently: still moving */
#define TICKER_AFTER	16	/* stays before a process ticks by a thread */
#define TICKER_MS	250	/* how often the thread looks */

struct slot {
	int32_t		 pid;		/* 0: free */
	uint32_t	 inside;	/* in a stay inside the library */
	uint64_t	 region;	/* the region file's inode it joined */
	uint64_t	 io_began;	/* ms (CLOCK_MONOTONIC); 0: not in I/O */
	uint64_t	 io_ended;	/* ms its last I/O ended */
};

/* Prepared outside the signal handler, which only reads them. */
static struct slot	*table;		/* SLOTS slots, shared; NULL: none */
static struct slot	*mine;		/* this process's; NULL: none free */
static struct slot	 alone;		/* stands in for mine when none */
static char		 mark[4096], region[4096];
static uint64_t		 joined;	/* region inode joined; 0: none yet */
static uint64_t		 stuck_ms = 2000, io_wait_ms = 30000, log_ms = 1000;
static pid_t		 self;
static volatile sig_atomic_t queued;	/* waiting a turn: not stuck */
static uint64_t		 began;		/* the current stay's start */
static uint64_t		 bound_ms;	/* its bound while nothing moves */
static const char	*what;		/* the current stay's kind */
static int		 recovering;	/* it is a full recovery: it frees the dead's */
/* Written by the main thread, read by the ticker (atomics). */
static uint32_t		 stay;		/* stays begun; a stay's own number */
static int		 paused;	/* this stay unbounded (watch_pause) */
/* The main thread's alone.  Not ticking: a stay's tick is alarm(2). */
static int		 ticking;	/* the ticker thread runs */
static unsigned		 stays_seen;	/* towards TICKER_AFTER */
static DB_ENV		*detect_env;	/* what the detector expires waits in */
static int		 detecting;	/* a detector thread runs */
/* Over detect_env and detecting: an environment is never closed under lock_detect. */
static pthread_mutex_t	 detect_mtx = PTHREAD_MUTEX_INITIALIZER;
static uint64_t		 lock_timeout_ms;

static uint64_t
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A process we may not signal is alive (EPERM). */
static int
alive(pid_t pid)
{
	return pid == self || kill(pid, 0) == 0 || errno == EPERM;
}

static uint64_t
region_ino(void)
{
	struct stat	 sb;

	return stat(region, &sb) == 0 ? (uint64_t)sb.st_ino : 0;
}

/* ---- I/O hooks: Berkeley DB's disk calls, timed in the slot ---- */

static void
io_begin(void)
{
	__atomic_store_n(&mine->io_began, now_ms(), __ATOMIC_RELAXED);
}

static void
io_end(void)
{
	__atomic_store_n(&mine->io_ended, now_ms(), __ATOMIC_RELAXED);
	__atomic_store_n(&mine->io_began, 0, __ATOMIC_RELAXED);
}

/* Returns 0 or an error number, as Berkeley DB expects of this hook. */
static int
io_fsync(int fd)
{
	int	 rc;

	io_begin();
	while ((rc = fdatasync(fd)) == -1 && errno == EINTR)
		;
	rc = rc == 0 ? 0 : errno;
	io_end();
	return rc;
}

static ssize_t
io_pread(int fd, void *buf, size_t n, off_t off)
{
	ssize_t	 rc;

	io_begin();
	while ((rc = pread(fd, buf, n, off)) == -1 && errno == EINTR)
		;
	io_end();
	return rc;
}

static ssize_t
io_pwrite(int fd, const void *buf, size_t n, off_t off)
{
	ssize_t	 rc;

	io_begin();
	while ((rc = pwrite(fd, buf, n, off)) == -1 && errno == EINTR)
		;
	io_end();
	return rc;
}

/* The log's appends: all of it or an error (Berkeley DB does not loop). */
static ssize_t
io_write(int fd, const void *buf, size_t n)
{
	const char	*p = buf;
	size_t		 done = 0;
	ssize_t		 rc = 0;

	io_begin();
	while (done < n) {
		if ((rc = write(fd, p + done, n - done)) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		done += (size_t)rc;
	}
	io_end();
	return done == n ? (ssize_t)n : -1;
}

/* ---- the table ---- */

/*
 * A slot is this process's if free, or its process is dead and either
 * left it outside the library or in an environment since replaced (a
 * death inside stays visible until a recovery or a failchk).
 */
static int
claim(struct slot *s, uint64_t cur)
{
	int32_t	 pid = __atomic_load_n(&s->pid, __ATOMIC_ACQUIRE);

	if (pid != 0 && (alive(pid) || (s->inside && s->region == cur)))
		return 0;
	if (!__atomic_compare_exchange_n(&s->pid, &pid, (int32_t)self, 0,
	    __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		return 0;
	s->inside = 0;
	s->region = 0;
	s->io_began = 0;
	s->io_ended = 0;
	return 1;
}

static void
table_open(const char *home)
{
	char		 path[4096];
	uint64_t	 cur = region_ino();
	size_t		 i, size = SLOTS * sizeof(struct slot);
	struct stat	 sb;
	int		 fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", home, ACTIVITY) >=
	    sizeof(path) || (fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC, 0660)) == -1)
		return;
	/* Grows once, to its size; a shorter file reads as zeros. */
	if (fstat(fd, &sb) == 0 && (size_t)sb.st_size < size)
		(void)!ftruncate(fd, (off_t)size);
	table = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (table == MAP_FAILED) {
		table = NULL;
		return;
	}
	for (i = 0; i < SLOTS; i++)
		if (claim(&table[((size_t)self + i) % SLOTS], cur)) {
			mine = &table[((size_t)self + i) % SLOTS];
			return;
		}
}

/*
 * Did a process die inside the library, in the environment we joined (or
 * are joining), or while it joined (region 0)?  What it held there is
 * freed only by failchk or a recovery.
 */
static int
dead_inside(void)
{
	uint64_t	 env = joined != 0 ? joined : region_ino();
	size_t		 i;
	int32_t		 pid;

	for (i = 0; table != NULL && i < SLOTS; i++) {
		pid = __atomic_load_n(&table[i].pid, __ATOMIC_RELAXED);
		if (pid != 0 && table[i].inside && (table[i].region == env ||
		    table[i].region == 0) && !alive(pid))
			return 1;
	}
	return 0;
}

/* Is a live process doing disk I/O, or did it end one a moment ago? */
static int
disk_busy(uint64_t now)
{
	const struct slot	*s;
	uint64_t		 b, e;
	size_t			 i, n = table != NULL ? SLOTS : 1;

	for (i = 0; i < n; i++) {
		s = table != NULL ? &table[i] : mine;
		if (s->pid == 0)
			continue;
		b = __atomic_load_n(&s->io_began, __ATOMIC_RELAXED);
		e = __atomic_load_n(&s->io_ended, __ATOMIC_RELAXED);
		if (((b != 0 && now - b < io_wait_ms) ||
		    (e != 0 && now - e < IO_RECENT_MS)) && alive(s->pid))
			return 1;
	}
	return 0;
}

/*
 * Is the stay begun at b stuck?  Slow, or not yet at its bound: no.
 * Async-signal-safe: the handler calls it too.
 */
static int
stuck(uint64_t b, uint64_t now)
{
	if (joined != 0 && region_ino() != joined)
		return 1;	/* waiting in a replaced environment */
	return !((recovering || !dead_inside()) &&
	    (now - b < bound_ms || disk_busy(now)));
}

/* Says so and exits; only a recovery frees what this process waits for. */
static void
die_stuck(void)
{
	static const char msg[] =
	    "keyhole: store call stuck (watchdog), exiting: ";
	const char	*kind = what != NULL ? what : "?";
	char		 line[sizeof(msg) + 32];
	size_t		 n = sizeof(msg) - 1, k = strlen(kind);
	int		 fd;

	if (joined == 0 || region_ino() == joined) {
		fd = open(mark, O_WRONLY | O_CREAT | O_CLOEXEC, 0660);
		if (fd != -1)
			close(fd);
	}
	/* One write(2) of the whole line: this may be a signal handler. */
	memcpy(line, msg, n);
	if (k > sizeof(line) - n - 1)
		k = sizeof(line) - n - 1;
	memcpy(line + n, kind, k);
	line[n + k] = '\n';
	(void)!write(STDERR_FILENO, line, n + k + 1);
	_exit(75);
}

static void
watchdog(int sig)
{
	int	 saved = errno;

	(void)sig;
	/* Waiting for a turn is not being stuck: the wait ends (EINTR). */
	if (queued)
		return;
	if (!stuck(began, now_ms())) {
		alarm(1);	/* look again a second later */
		errno = saved;
		return;
	}
	die_stuck();
}

/*
 * The ticker: the handler's checks, from a thread, for a process that
 * lives on.  A stay is looked at once a second from its first second; a
 * verdict counts only if that stay still runs once it is reached.
 */
static void *
ticker(void *arg)
{
	struct timespec	 tick = { 0, TICKER_MS * 1000000L };
	uint32_t	 seen = 0, n;
	uint64_t	 b, now, last = 0;

	(void)arg;
	for (;;) {
		nanosleep(&tick, NULL);
		n = __atomic_load_n(&stay, __ATOMIC_ACQUIRE);
		if (!__atomic_load_n(&mine->inside, __ATOMIC_ACQUIRE) ||
		    __atomic_load_n(&paused, __ATOMIC_RELAXED) || queued)
			continue;
		b = __atomic_load_n(&began, __ATOMIC_RELAXED);
		now = now_ms();
		if (n != seen) {
			seen = n;
			last = b;
		}
		if (now - last < 1000)
			continue;
		last = now;
		if (stuck(b, now) && __atomic_load_n(&stay, __ATOMIC_ACQUIRE) ==
		    n && __atomic_load_n(&mine->inside, __ATOMIC_ACQUIRE) &&
		    !queued)
			die_stuck();
	}
	return NULL;
}

/*
 * A detached thread running fn, every signal blocked in it: the
 * watchdog's alarm is the main thread's to take.  0 or -1.
 */
static int
spawn(void *(*fn)(void *))
{
	pthread_attr_t	 attr;
	pthread_t	 t;
	sigset_t	 all, old;
	int		 rc;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&t, &attr, fn, NULL);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc == 0 ? 0 : -1;
}

/* ---- the lock-wait detector ---- */

static void *
detect(void *arg)
{
	struct timespec	 tick = { 0, 200 * 1000000 };
	uint64_t	 b;

	(void)arg;
	/*
	 * Never stopped inside the library (no pthread_cancel, whose
	 * unwinder would also load libgcc_s): it leaves by itself once the
	 * environment is gone, and nobody waits for it to.
	 */
	for (;;) {
		nanosleep(&tick, NULL);
		pthread_mutex_lock(&detect_mtx);
		if (detect_env == NULL) {
			detecting = 0;
			pthread_mutex_unlock(&detect_mtx);
			return NULL;
		}
		b = __atomic_load_n(&began, __ATOMIC_RELAXED);
		if (__atomic_load_n(&mine->inside, __ATOMIC_RELAXED) &&
		    now_ms() - b > lock_timeout_ms)
			(void)detect_env->lock_detect(detect_env, 0,
			    DB_LOCK_EXPIRE, NULL);
		pthread_mutex_unlock(&detect_mtx);
	}
}

/*
 * Starts (env) or points (a new env, after a recovery) the detector; NULL
 * stops it: once this returns, the thread no longer touches the old
 * environment, without anyone waiting for it to end (a plain CGI process
 * would spend a tenth of a millisecond on that).  The environment is not
 * free-threaded (DB_THREAD would make every handle so): the detector uses
 * only lock_detect, which works on the shared regions under their own
 * mutexes, made for many processes, and touches no handle the main
 * thread uses.
 */
void
watch_detector(DB_ENV *env, uint64_t timeout_ms)
{
	int	 start;

	pthread_mutex_lock(&detect_mtx);
	lock_timeout_ms = timeout_ms;
	detect_env = env;
	if ((start = env != NULL && !detecting))
		detecting = 1;
	pthread_mutex_unlock(&detect_mtx);
	if (!start)
		return;
	if (spawn(detect) != 0) {
		pthread_mutex_lock(&detect_mtx);
		detecting = 0;
		pthread_mutex_unlock(&detect_mtx);
	}
}

/* ---- what store.c calls ---- */

void
watch_init(const char *home)
{
	struct sigaction	 sa;

	self = getpid();
	mine = &alone;
	alone.pid = (int32_t)self;
	stuck_ms = 1000 * (uint64_t)json_int_env("KEYHOLE_STUCK_SECS", 1, 3600,
	    2);
	io_wait_ms = 1000 * (uint64_t)json_int_env("KEYHOLE_IO_WAIT_SECS", 1,
	    86400, 30);
	log_ms = (uint64_t)json_int_env("KEYHOLE_LOG_SLOW_MS", 0, 3600000,
	    1000);
	snprintf(mark, sizeof(mark), "%s/%s", home, RECOVER_MARK);
	snprintf(region, sizeof(region), "%s/%s", home, REGION_FILE);
	if (table == NULL)
		table_open(home);
	/* Process-wide, before any environment is opened. */
	db_env_set_func_fsync(io_fsync);
	db_env_set_func_pread(io_pread);
	db_env_set_func_pwrite(io_pwrite);
	db_env_set_func_write(io_write);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = watchdog;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
}

/*
 * May a call begun at began (time()) wait on for a lock?  While a live
 * process of the store is doing disk I/O, up to KEYHOLE_IO_WAIT_SECS.
 */
int
watch_io_wait(time_t began)
{
	return (uint64_t)(time(NULL) - began) * 1000 < io_wait_ms &&
	    disk_busy(now_ms());
}

/* Has a recovery replaced the environment this process joined? */
int
watch_replaced(void)
{
	return joined != 0 && region_ino() != joined;
}

int
watch_recover_asked(void)
{
	return access(mark, F_OK) == 0;
}

void
watch_recovered(void)
{
	unlink(mark);
}

void
watch_joined(void)
{
	joined = region_ino();
	mine->region = joined;
}

void
watch_begin(const char *kind, int secs)
{
	/* After TICKER_AFTER stays, this process lives on: tick by a thread. */
	if (!ticking && ++stays_seen == TICKER_AFTER && spawn(ticker) == 0)
		ticking = 1;
	what = kind;
	recovering = strcmp(kind, "recovery") == 0;
	bound_ms = secs > 0 ? 1000 * (uint64_t)secs : stuck_ms;
	__atomic_store_n(&began, now_ms(), __ATOMIC_RELAXED);
	__atomic_store_n(&paused, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&stay, stay + 1, __ATOMIC_RELEASE);
	__atomic_store_n(&mine->inside, 1, __ATOMIC_RELEASE);
	/* A tick a second: a death inside the library is seen within one. */
	if (!ticking)
		alarm(1);
}

void
watch_pause(void)
{
	__atomic_store_n(&paused, 1, __ATOMIC_RELAXED);
	if (!ticking)
		alarm(0);
}

void
watch_end(void)
{
	uint64_t	 took;

	if (what == NULL)
		return;		/* no stay, so no alarm of one */
	if (!ticking)
		alarm(0);
	__atomic_store_n(&mine->inside, 0, __ATOMIC_RELAXED);
	took = now_ms() - began;
	if (log_ms > 0 && took >= log_ms)
		fprintf(stderr, "keyhole[%ld]: store: %s took %llu ms\n",
		    (long)self, what, (unsigned long long)took);
	what = NULL;
}

void
watch_queue(int on, int secs)
{
	queued = on;
	alarm(on ? (unsigned)secs : 0);
}

/*
 * After a failchk that found nothing to recover: the dead it saw held no
 * mutex, so their deaths need no recovery; forget them.
 */
void
watch_reap(void)
{
	size_t	 i;
	int32_t	 pid;

	for (i = 0; table != NULL && i < SLOTS; i++) {
		pid = __atomic_load_n(&table[i].pid, __ATOMIC_RELAXED);
		if (pid != 0 && table[i].inside && !alive(pid))
			__atomic_store_n(&table[i].inside, 0, __ATOMIC_RELAXED);
	}
}

void
watch_leave(void)
{
	if (mine != &alone && mine != NULL)
		__atomic_store_n(&mine->pid, 0, __ATOMIC_RELEASE);
	mine = &alone;
}
