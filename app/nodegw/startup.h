/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_STARTUP_H
#define NG_STARTUP_H

/*
 * The start-up timeline (`show startup`): when main() was entered, how long
 * EAL and each init step took (wall and CPU of the control thread), when
 * nodegw was ready, and when the first complete ruleset was published.
 * Times are CLOCK_MONOTONIC, so a driver that started nodegw can subtract its
 * own clock (Python's time.monotonic()) and needs no polling of its own.
 */

/** The first call in main(): the origin of the timeline. */
void ng_startup_begin(void);

/**
 * One piece of the start-up ended (EAL, an init step): its wall and CPU time
 * since the previous mark. what must outlive the process (a literal).
 */
void ng_startup_mark(const char *what);

/** nodegw is ready (every init step done, the control loop starts). */
void ng_startup_ready(void);

/**
 * Control loop, every turn: once the Kubernetes watcher (where configured) has
 * applied its first lists and the last of their changes is published, record
 * the time of that publish and log it. Cheap once recorded.
 */
void ng_startup_poll(void);

/** Register `show startup [json]`. */
int ng_startup_cli_register(void);

#endif
