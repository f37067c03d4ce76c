/*
 * fault: deaths on demand, in a test build only (make fault: the programs
 * built with -DKEYHOLE_FAULTS into build/fault).  A fault is on while the
 * file $KEYHOLE_HOME.faults has a line "NAME 1"; the store calls these at
 * the points a test needs to kill a worker deterministically.
 */
#ifndef KH_FAULT_H
#define KH_FAULT_H

#include <db.h>

/* Sends this process sig (SIGKILL, SIGSTOP) when fault name is on. */
void	 fault_point(const char *name, int sig);
/*
 * Berkeley DB's default B-tree order (bytes, then length), for the hash
 * index: with "stop_in_compare" on, the process stops itself inside the
 * library, holding the page's latch (a region mutex), for the test to see
 * the mutex held and to kill it there.
 */
int	 fault_compare(DB *, const DBT *, const DBT *);

#endif
