/*
 * stats.c: the pool's figures for /api/control/status, in one shared
 * anonymous mapping the master creates before it forks.  Each worker
 * counts into a slot of its own (a cache line no other process writes),
 * with relaxed atomic adds: no lock on the hot path.  A reader adds the
 * slots up.  A slot outlives its worker: the next worker in it goes on
 * counting, so the totals never lose a dead worker's figures.  The number
 * of active workers is one shared counter, so that its maximum can be kept
 * with a compare-and-swap; the master takes back a slot's "busy" mark when
 * its worker died in the middle of a request.
 */
#include <sys/mman.h>

#include <stdatomic.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "stats.h"

struct slot {
	_Atomic uint64_t	accepted;
	_Atomic uint64_t	responses[3];
	_Atomic unsigned	busy;
	_Atomic int		node;	/* database node + 2 (db_node_name:
					   -1 the socket), 0: none */
} __attribute__((aligned(64)));

struct shared {
	int64_t			start_time;
	unsigned		nslots;
	_Atomic unsigned	used;		/* slots ever used: 0..used-1 */
	_Atomic uint64_t	restarts;
	_Atomic unsigned	total;
	_Atomic unsigned	active;
	_Atomic unsigned	max_active;
	struct slot		slots[];
};

static struct shared	*board;	/* the figures all workers share */
static struct slot	*mine;		/* this worker's slot, or NULL */

/*
 * Map room for slots workers; call once, before the first fork.  The
 * pages of unused slots are never touched, so never allocated.
 * Returns 0 or -1.
 */
int
stats_init(unsigned slots)
{
	size_t	size = sizeof(struct shared) + slots * sizeof(struct slot);
	void	*p;

	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
	    -1, 0);
	if (p == MAP_FAILED) {
		log_warn("mmap of %zu bytes for the status figures", size);
		return -1;
	}
	board = p;
	board->start_time = (int64_t)time(NULL);
	board->nslots = slots;
	return 0;
}

void
stats_set_workers(unsigned total)
{
	if (board != NULL)
		atomic_store_explicit(&board->total, total, memory_order_relaxed);
}

void
stats_count_restart(void)
{
	if (board != NULL)
		atomic_fetch_add_explicit(&board->restarts, 1, memory_order_relaxed);
}

/*
 * In the master, once the worker in slot has gone: if it died while
 * serving, it is no longer active.
 */
void
stats_slot_reset(unsigned slot)
{
	if (board == NULL || slot >= board->nslots)
		return;
	if (atomic_exchange_explicit(&board->slots[slot].busy, 0,
	    memory_order_relaxed) != 0)
		atomic_fetch_sub_explicit(&board->active, 1, memory_order_relaxed);
	atomic_store_explicit(&board->slots[slot].node, 0, memory_order_relaxed);
}

/*
 * In a worker: the database node its connection is on now (db_node_name's
 * numbering: -1 the socket, 0 the first of PRODREC_DB_HOST), or -2: none.
 */
void
stats_set_node(int node)
{
	if (mine != NULL)
		atomic_store_explicit(&mine->node, node >= -1 &&
		    node < STATS_NODES - 1 ? node + 2 : 0, memory_order_relaxed);
}

/* In a new worker (or the lone process, slot 0): count into slot. */
void
stats_use_slot(unsigned slot)
{
	unsigned	used;

	if (board == NULL || slot >= board->nslots)
		return;
	mine = &board->slots[slot];
	used = atomic_load_explicit(&board->used, memory_order_relaxed);
	while (used < slot + 1 && !atomic_compare_exchange_weak_explicit(
	    &board->used, &used, slot + 1, memory_order_relaxed,
	    memory_order_relaxed))
		;
}

/* A request was taken: count it, and this worker as active. */
void
stats_request_begin(void)
{
	unsigned	n, max;

	if (mine == NULL)
		return;
	atomic_fetch_add_explicit(&mine->accepted, 1, memory_order_relaxed);
	/* active before busy, and busy cleared before active (below): a
	   worker killed between the two leaves active one too high until the
	   master takes the mark back, never one too low (wrapped). */
	n = atomic_fetch_add_explicit(&board->active, 1, memory_order_relaxed) + 1;
	atomic_store_explicit(&mine->busy, 1, memory_order_relaxed);
	max = atomic_load_explicit(&board->max_active, memory_order_relaxed);
	while (n > max && !atomic_compare_exchange_weak_explicit(
	    &board->max_active, &max, n, memory_order_relaxed,
	    memory_order_relaxed))
		;
}

/* The answer is ready (status): count its class; idle again. */
void
stats_request_end(int status)
{
	int	class = status >= 500 ? 2 : status >= 400 ? 1 : 0;

	if (mine == NULL)
		return;
	atomic_fetch_add_explicit(&mine->responses[class], 1,
	    memory_order_relaxed);
	if (atomic_exchange_explicit(&mine->busy, 0, memory_order_relaxed))
		atomic_fetch_sub_explicit(&board->active, 1, memory_order_relaxed);
}

/* Add the slots up into f (all zero before stats_init). */
void
stats_read(struct stats_figures *f)
{
	unsigned	i, used;
	int		c;

	memset(f, 0, sizeof(*f));
	if (board == NULL)
		return;
	f->start_time = board->start_time;
	used = atomic_load_explicit(&board->used, memory_order_relaxed);
	for (i = 0; i < used && i < board->nslots; i++) {
		int node = atomic_load_explicit(&board->slots[i].node,
		    memory_order_relaxed);

		if (node > 0)
			f->node_workers[node - 1]++;
		f->accepted += atomic_load_explicit(&board->slots[i].accepted,
		    memory_order_relaxed);
		for (c = 0; c < 3; c++)
			f->responses[c] += atomic_load_explicit(
			    &board->slots[i].responses[c], memory_order_relaxed);
	}
	f->restarts = atomic_load_explicit(&board->restarts, memory_order_relaxed);
	f->total = atomic_load_explicit(&board->total, memory_order_relaxed);
	f->active = atomic_load_explicit(&board->active, memory_order_relaxed);
	f->max_active = atomic_load_explicit(&board->max_active,
	    memory_order_relaxed);
	f->idle = f->total > f->active ? f->total - f->active : 0;
}
