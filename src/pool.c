/*
 * pool.c: the master process.  It pre-forks workers that all accept on one
 * listening socket, reaps and respawns them (with a back-off for workers
 * that die at start), replaces them one at a time on SIGHUP and stops them
 * gracefully on SIGTERM/SIGINT.
 */
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "listen.h"
#include "log.h"
#include "pool.h"
#include "proc.h"
#include "stats.h"

#define START_GRACE_MS	1000	/* a worker dying younger failed at start */
#define ROLL_SETTLE_MS	250	/* a replacement's age before the next swap */
#define BACKOFF_MIN_MS	100	/* first delay after a failed start */
#define BACKOFF_MAX_MS	10000	/* the delay stops doubling here */
#define TICK_BUSY_MS	50	/* wake-up while something is pending */
#define TICK_IDLE_MS	1000
#define SIG_MASTER_GONE	(SIGRTMIN + 1)	/* PR_SET_PDEATHSIG of a worker */

/* One live worker. */
struct child {
	pid_t		pid;
	unsigned	slot;		/* its figures in stats.c */
	unsigned	gen;		/* configuration generation it runs */
	int64_t		started_ms;
	int64_t		kill_at_ms;	/* retiring: SIGKILL then; 0 = not */
};

/*
 * What the master tells every worker at once, in memory it shares with
 * them (mapped before the first fork).
 */
struct shared {
	unsigned	gen;		/* configuration generation in force */
	int		stopping;	/* the whole pool stops (not a retirement):
					   serve what the socket queued */
};

static struct shared	*shared;	/* NULL outside a pool */

static struct {
	const struct pool_ops	*ops;
	void			*ctx;
	int			 listen_fd;
	pid_t			 pid;		/* the master's */
	struct child		 kids[POOL_MAX_CHILDREN];
	size_t			 nkids;
	unsigned		 gen;		/* bumped by each good reload */
	int			 want;		/* workers wanted */
	int			 rolling;	/* a reload is replacing workers */
	unsigned		 failures;	/* consecutive failed starts */
	int64_t			 last_fail_ms;	/* when the last one died */
	int64_t			 spawn_after_ms; /* back-off until then */
	int			 stopping;
	int64_t			 stop_deadline_ms;
	unsigned		 spawned;	/* workers started so far */
	unsigned		 initial;	/* of which the first set */
	unsigned char		 slot_used[POOL_MAX_CHILDREN];
} master;			/* the master's own state */

/*
 * The signals the master waits for; blocked from the start of the program
 * (main) and in the master, so never lost and never fatal.  SIGUSR1/2 are
 * taken too, so that a php-fpm habit (USR2 reloads there) cannot kill the
 * pool.
 */
void
pool_sigset(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGCHLD);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGUSR1);
	sigaddset(set, SIGUSR2);
}

/*
 * The generation of the configuration the master has in force, bumped by
 * each good reload; 0 outside a pool.  A worker whose own is older must not
 * answer with it (a changed key must stop working at once).
 */
unsigned
pool_generation(void)
{
	return shared == NULL ? 0 : __atomic_load_n(&shared->gen,
	    __ATOMIC_ACQUIRE);
}

/*
 * Is the whole service stopping, so that what the listening socket queued
 * is to be served before leaving?  Outside a pool every stop is.  A worker
 * retired by a reload just leaves: the others serve the queue.
 */
int
pool_stopping(void)
{
	return shared == NULL || __atomic_load_n(&shared->stopping,
	    __ATOMIC_ACQUIRE);
}

/* Map the shared page before the first fork.  Returns 0 or -1. */
static int
share(void)
{
	void	*p;

	p = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		log_warn("mmap of the pool's shared state");
		return -1;
	}
	shared = p;
	return 0;
}

/*
 * In a worker, when the master has died (PR_SET_PDEATHSIG): make the shared
 * listening socket refuse connections at once (listen_stop: what it queued
 * stays, and is served), then stop as on SIGTERM, after the request in
 * flight.  The refusal must come before the web
 * server notices the death: lighttpd starts a new master only if connecting
 * to the old socket fails, and it tries the moment it has reaped the old
 * one.  The signal is never blocked, so a busy worker refuses at once too;
 * the price is that a read or write it interrupts on the web server's
 * connection (SO_RCVTIMEO makes those calls fail with EINTR even under
 * SA_RESTART) fails that one request, and the client's retry is answered
 * from the table, as for any request cut off by a dying process.
 * Only async-signal-safe calls here.
 */
static void
on_master_gone(int sig)
{
	int	saved = errno;

	(void)sig;
	(void)listen_stop(master.listen_fd);
	__atomic_store_n(&shared->stopping, 1, __ATOMIC_RELEASE);
	(void)kill(getpid(), SIGTERM);
	errno = saved;
}

/* Have the kernel send SIG_MASTER_GONE when the master dies. */
static void
watch_master(void)
{
	struct sigaction	sa;
	sigset_t		set;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_master_gone;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&set);
	sigaddset(&set, SIG_MASTER_GONE);
	if (sigaction(SIG_MASTER_GONE, &sa, NULL) == -1 ||
	    sigprocmask(SIG_UNBLOCK, &set, NULL) == -1 ||
	    prctl(PR_SET_PDEATHSIG, SIG_MASTER_GONE) == -1)
		log_warn("cannot watch the master");
}

/*
 * In a new worker: die with the master, and leave at once if the master is
 * already gone.  Then restore the signal mask, but for SIGTERM and SIGINT:
 * serve() installs their handlers and lets them in while waiting for work.
 */
static void __attribute__((noreturn))
run_worker(const sigset_t *oldmask)
{
	sigset_t	mask = *oldmask;

	watch_master();
	if (getppid() != master.pid)
		_exit(0);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_SETMASK, &mask, NULL) == -1)
		log_warn("sigprocmask");
	exit(master.ops->serve(master.ctx));
}

/* The lowest stats slot no live worker holds (there is one: see spawn). */
static unsigned
free_slot(void)
{
	unsigned	slot;

	for (slot = 0; master.slot_used[slot]; slot++)
		;
	return slot;
}

/* Fork one worker of the current generation.  Returns 0 or -1. */
static int
spawn(const sigset_t *oldmask)
{
	struct child	*c;
	pid_t		 pid;
	unsigned	 slot;

	if (master.nkids == sizeof(master.kids) / sizeof(master.kids[0])) {
		log_warnx("no room for another worker (%zu running)", master.nkids);
		return -1;
	}
	slot = free_slot();
	if ((pid = fork()) == -1) {
		log_warn("fork");
		master.spawn_after_ms = proc_now_ms() + BACKOFF_MAX_MS / 10;
		return -1;
	}
	if (pid == 0) {
		stats_use_slot(slot);
		run_worker(oldmask);
	}
	if (++master.spawned > master.initial)
		stats_count_restart();
	c = &master.kids[master.nkids++];
	stats_set_workers((unsigned)master.nkids);
	c->slot = slot;
	master.slot_used[slot] = 1;
	c->pid = pid;
	c->gen = master.gen;
	c->started_ms = proc_now_ms();
	c->kill_at_ms = 0;
	return 0;
}

/* Log how a worker ended and decide when its replacement may start. */
static void
account_death(const struct child *c, int status, int64_t now)
{
	int64_t	age = now - c->started_ms, delay;

	if (master.stopping || c->kill_at_ms != 0)
		return;			/* asked to go */
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return;			/* its request limit: it said so */
	if (WIFSIGNALED(status))
		log_warnx("worker %ld killed by signal %d (%s)%s", (long)c->pid,
		    WTERMSIG(status), strsignal(WTERMSIG(status)),
		    WCOREDUMP(status) ? ", core dumped" : "");
	else
		log_warnx("worker %ld exited with status %d", (long)c->pid,
		    WEXITSTATUS(status));
	if (age >= START_GRACE_MS) {
		master.failures = 0;
		return;
	}
	delay = (int64_t)BACKOFF_MIN_MS << (master.failures < 7 ? master.failures : 7);
	if (delay > BACKOFF_MAX_MS)
		delay = BACKOFF_MAX_MS;
	master.failures++;
	master.last_fail_ms = now;
	master.spawn_after_ms = now + delay;
	log_warnx("worker died %lld ms after its start; next start in %lld ms",
	    (long long)age, (long long)delay);
}

/* Collect every worker that has ended. */
static void
reap(void)
{
	pid_t	pid;
	size_t	i;
	int	status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < master.nkids && master.kids[i].pid != pid; i++)
			;
		if (i == master.nkids)
			continue;
		account_death(&master.kids[i], status, proc_now_ms());
		stats_slot_reset(master.kids[i].slot);
		master.slot_used[master.kids[i].slot] = 0;
		master.kids[i] = master.kids[--master.nkids];
		stats_set_workers((unsigned)master.nkids);
	}
}

/* The pool at a glance. */
struct census {
	int	current;	/* workers of the current generation */
	int	old;		/* of an older one, still serving */
	int	retiring;	/* asked to go */
	int	settled;	/* no current worker younger than ROLL_SETTLE_MS */
	int	mature;		/* a current worker started after the last
				   failed start outlived START_GRACE_MS */
};

static void
take_census(struct census *n)
{
	int64_t	now = proc_now_ms(), age;
	size_t	i;

	memset(n, 0, sizeof(*n));
	n->settled = 1;
	for (i = 0; i < master.nkids; i++) {
		const struct child *c = &master.kids[i];

		age = now - c->started_ms;
		if (c->kill_at_ms != 0)
			n->retiring++;
		else if (c->gen != master.gen)
			n->old++;
		else {
			n->current++;
			n->settled &= age >= ROLL_SETTLE_MS;
			n->mature |= age >= START_GRACE_MS &&
			    c->started_ms > master.last_fail_ms;
		}
	}
}

/* Ask one worker to finish its request and go; SIGKILL after the bound. */
static void
retire(struct child *c)
{
	c->kill_at_ms = proc_now_ms() + 1000 * (int64_t)master.ops->stop_timeout(master.ctx);
	if (kill(c->pid, SIGTERM) == -1 && errno != ESRCH)
		log_warn("kill %ld", (long)c->pid);
}

/*
 * Bring the pool to master.want workers of the current generation.  During a
 * reload, one old worker is retired at a time, and only once its
 * predecessor's replacement has lived ROLL_SETTLE_MS: a configuration
 * whose workers die at start never takes more than one slot.
 */
static void
converge(const sigset_t *oldmask)
{
	struct census	n;
	size_t		i;

	take_census(&n);
	if (n.mature)
		master.failures = 0;		/* workers start fine again */
	if (n.old > 0 && n.retiring == 0 && n.settled && master.failures == 0) {
		for (i = 0; i < master.nkids; i++)
			if (master.kids[i].gen != master.gen && master.kids[i].kill_at_ms == 0)
				break;
		retire(&master.kids[i]);
		n.old--;
		n.retiring++;
	}
	if (master.rolling && n.old == 0 && n.retiring == 0 && n.settled &&
	    n.current >= master.want) {
		master.rolling = 0;
		log_warnx("reload done: %d workers on the new configuration",
		    n.current);
	}
	while (n.current < master.want - n.old && proc_now_ms() >= master.spawn_after_ms &&
	    spawn(oldmask) == 0)
		n.current++;
}

/* Send sig to every worker. */
static void
signal_all(int sig)
{
	size_t	i;

	for (i = 0; i < master.nkids; i++)
		if (kill(master.kids[i].pid, sig) == -1 && errno != ESRCH)
			log_warn("kill %ld", (long)master.kids[i].pid);
}

/* SIGKILL whoever outlived its deadline (once: the mark is INT64_MAX). */
static void
enforce_deadlines(void)
{
	int64_t	now = proc_now_ms(), deadline;
	size_t	i;

	for (i = 0; i < master.nkids; i++) {
		struct child *c = &master.kids[i];

		if (c->kill_at_ms == INT64_MAX)
			continue;
		deadline = master.stopping ? master.stop_deadline_ms : c->kill_at_ms;
		if (deadline == 0 || now < deadline)
			continue;
		log_warnx("worker %ld still busy after the stop timeout; "
		    "killing it", (long)c->pid);
		if (kill(c->pid, SIGKILL) == -1 && errno != ESRCH)
			log_warn("kill %ld", (long)c->pid);
		c->kill_at_ms = INT64_MAX;
	}
}

/*
 * SIGTERM/SIGINT: the listening socket takes no new connection from now
 * on, for every process (listen_stop), before any worker is told; the
 * workers finish their requests in flight and serve what the socket had
 * queued (they see shared->stopping), then leave.
 */
static void
begin_stop(int sig)
{
	if (master.stopping)
		return;
	log_warnx("%s: stopping %zu workers (finishing requests in flight "
	    "and those queued)", strsignal(sig), master.nkids);
	master.stopping = 1;
	master.stop_deadline_ms = proc_now_ms() +
	    1000 * (int64_t)master.ops->stop_timeout(master.ctx);
	if (listen_stop(master.listen_fd) == -1)
		log_warn("cannot stop the listening socket");
	__atomic_store_n(&shared->stopping, 1, __ATOMIC_RELEASE);
	(void)close(master.listen_fd);
	signal_all(SIGTERM);
}

static void
reload(void)
{
	if (master.stopping)
		return;
	if (master.ops->reload(master.ctx) == -1) {
		log_warnx("SIGHUP: keeping the old configuration");
		return;
	}
	__atomic_store_n(&shared->gen, ++master.gen, __ATOMIC_RELEASE);
	master.want = master.ops->workers(master.ctx);
	master.rolling = 1;
	master.failures = 0;
	master.spawn_after_ms = 0;
	log_warnx("SIGHUP: configuration reloaded; replacing the workers one "
	    "at a time");
}

/* Wait for a signal or the next tick, and act on it. */
static void
wait_and_dispatch(void)
{
	sigset_t	set;
	siginfo_t	si;
	struct timespec	ts;
	int		busy = master.stopping || master.rolling || master.spawn_after_ms >
			    proc_now_ms() || (int)master.nkids != master.want;
	int		ms = busy ? TICK_BUSY_MS : TICK_IDLE_MS, sig;

	pool_sigset(&set);
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000;
	sig = sigtimedwait(&set, &si, &ts);
	if (sig == SIGTERM || sig == SIGINT)
		begin_stop(sig);
	else if (sig == SIGHUP)
		reload();
	else if (sig == SIGUSR1 || sig == SIGUSR2)
		log_warnx("%s ignored: SIGHUP reloads, SIGTERM stops",
		    strsignal(sig));
}

/*
 * Run the pool on listen_fd until SIGTERM or SIGINT and every worker is
 * gone.  Returns the master's exit status: 0 after a requested stop.
 */
int
pool_run(const struct pool_ops *ops, void *ctx, int listen_fd)
{
	sigset_t	set, oldmask;

	memset(&master, 0, sizeof(master));
	master.ops = ops;
	master.ctx = ctx;
	master.listen_fd = listen_fd;
	master.pid = getpid();
	master.want = ops->workers(ctx);
	master.initial = (unsigned)master.want;
	if (share() == -1)
		return 1;
	pool_sigset(&set);
	if (sigprocmask(SIG_BLOCK, &set, &oldmask) == -1)
		fatal("sigprocmask");
	log_warnx("master starting %d workers", master.want);
	for (;;) {
		reap();
		if (master.stopping && master.nkids == 0)
			break;
		if (!master.stopping)
			converge(&oldmask);
		enforce_deadlines();
		wait_and_dispatch();
	}
	log_warnx("all workers stopped");
	return 0;
}
