/*
 * test_stats.c: stats.c, the pool figures the master shares with its
 * workers (what /api/control/status shows).
 */
#include <string.h>

#include "stats.h"
#include "tap.h"

static void
test_stats(void)
{
	struct stats_figures	f;

	stats_read(&f);
	ok(f.accepted == 0 && f.total == 0, "nothing before stats_init");
	ok(stats_init(4) == 0, "stats_init");
	stats_set_workers(1);
	stats_use_slot(2);
	stats_request_begin();
	stats_read(&f);
	ok(f.accepted == 1 && f.active == 1 && f.max_active == 1,
	    "a request taken is counted and active");
	stats_request_end(201);
	stats_request_begin();
	stats_request_end(404);
	stats_request_begin();
	stats_request_end(503);
	stats_read(&f);
	ok(f.accepted == 3 && f.responses[0] == 1 && f.responses[1] == 1 &&
	    f.responses[2] == 1 && f.active == 0, "classes 2xx, 4xx, 5xx");
	stats_request_begin();
	stats_slot_reset(2);
	stats_read(&f);
	ok(f.active == 0 && f.accepted == 4, "a dead worker's busy mark is "
	    "taken back, its counts stay");
	stats_count_restart();
	stats_read(&f);
	ok(f.restarts == 1 && f.total == 1 && f.start_time > 0, "restarts, "
	    "workers, start time");
}

/* After test_stats: slot 2 used, one restart, total 1. */
static void
test_more(void)
{
	struct stats_figures	f;
	unsigned		counted;
	int			i;

	stats_set_node(3);
	stats_read(&f);
	ok(f.node_workers[4] == 1 && f.node_workers[0] == 0,
	    "a worker on node 3 is counted there (db_node_name order)");
	stats_set_node(-1);
	stats_read(&f);
	ok(f.node_workers[0] == 1 && f.node_workers[4] == 0,
	    "then on the socket, node -1");
	stats_set_node(16);
	stats_read(&f);
	for (i = 0, counted = 0; i < STATS_NODES; i++)
		counted += f.node_workers[i];
	ok(counted == 0, "a node past STATS_NODES counts nowhere (%u)",
	    counted);
	stats_set_node(0);
	stats_slot_reset(2);
	stats_read(&f);
	ok(f.node_workers[1] == 0, "a dead worker's node is taken back");
	stats_use_slot(9);
	stats_request_begin();
	stats_read(&f);
	ok(f.accepted == 5 && f.active == 1, "a slot past the end is not "
	    "taken: the old one counts on");
	stats_request_end(302);
	stats_request_begin();
	stats_request_end(499);
	stats_request_begin();
	stats_request_end(100);
	stats_read(&f);
	ok(f.responses[0] == 3 && f.responses[1] == 2 && f.responses[2] == 1,
	    "below 400 counts as 2xx, 499 as 4xx");
	stats_use_slot(0);
	stats_request_begin();
	stats_use_slot(1);
	stats_request_begin();
	stats_read(&f);
	ok(f.active == 2 && f.max_active == 2 && f.accepted == 9,
	    "two workers busy at once: max_active 2");
	stats_request_end(200);
	stats_use_slot(0);
	stats_request_end(200);
	stats_read(&f);
	ok(f.active == 0 && f.max_active == 2, "max_active stays");
	stats_request_end(200);
	stats_read(&f);
	ok(f.active == 0 && f.responses[0] == 6, "an end without a begin "
	    "does not take active below 0");
	stats_slot_reset(99);
	stats_set_workers(7);
	stats_read(&f);
	ok(f.total == 7, "stats_set_workers; a slot past the end is ignored");
}

int
main(void)
{
	test_stats();
	test_more();
	return done_testing();
}
