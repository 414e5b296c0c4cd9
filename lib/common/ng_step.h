/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_STEP_H
#define NG_STEP_H

/**
 * @file
 * The longest step of a control-loop stage, in wall time and in the control
 * thread's CPU time: what the CLI and the probes wait for at most when the
 * stage runs between two of their polls. Wall time alone is misleading on a
 * loaded machine (a thread waiting for a CPU looks busy); CPU time alone hides
 * a step that sleeps or blocks. Control core only (the CPU clock is a system
 * call, about 0.2-1 us).
 */

#include <stdint.h>
#include <time.h>

#include <rte_cycles.h>

struct ng_step {
	uint64_t max_ns;      /**< longest step, wall */
	uint64_t max_cpu_ns;  /**< longest step, CPU of the calling thread */
	uint64_t steps;
	uint64_t t0_tsc;      /**< of the step in progress */
	uint64_t t0_cpu_ns;
};

static inline uint64_t
ng_step_cpu_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline void
ng_step_begin(struct ng_step *s)
{
	s->t0_tsc = rte_get_tsc_cycles();
	s->t0_cpu_ns = ng_step_cpu_ns();
}

static inline void
ng_step_end(struct ng_step *s)
{
	uint64_t cpu = ng_step_cpu_ns() - s->t0_cpu_ns;
	uint64_t ns = (uint64_t)((double)(rte_get_tsc_cycles() - s->t0_tsc) * 1e9 /
		(double)rte_get_tsc_hz());

	s->steps++;
	if (ns > s->max_ns)
		s->max_ns = ns;
	if (cpu > s->max_cpu_ns)
		s->max_cpu_ns = cpu;
}

#endif
