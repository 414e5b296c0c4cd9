/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_EXIT_H
#define NG_EXIT_H

/**
 * @file
 * The process is ending: its DPDK heap goes as a whole.
 *
 * rte_free() zeroes what it frees (DPDK 22.11 keeps free heap memory clean so
 * that rte_zmalloc() need not). For a large table whose pages were never
 * touched (the FIB's 64 MiB LPM tbl24, hash tables sized for their limits,
 * connection tables) that means faulting in every page only to zero it, just
 * before rte_eal_cleanup() unmaps the heap: seconds of a stop on a loaded
 * machine with --no-huge. Once main() has begun its final unwind it calls
 * ng_exit_begin(); the owners of such tables then leave them to
 * rte_eal_cleanup() and free only what lives outside the DPDK heap (libc
 * memory, file descriptors, kernel objects).
 */

#include <stdbool.h>

/** Mark the process as ending (main(), once the workers have stopped for good). */
void ng_exit_begin(void);

/** @return true after ng_exit_begin(): DPDK-heap tables need not be freed one by one. */
bool ng_exiting(void);

#endif
