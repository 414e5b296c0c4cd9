/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_FUZZ_COMMON_H
#define NG_FUZZ_COMMON_H

/*
 * Shared by the libFuzzer targets of tests/fuzz: EAL for the targets that
 * need the control API, a reader that turns the fuzzer's bytes into choices,
 * and the control API set up as the gateway sets it up (RCU-less: retired
 * rulesets are freed at once, as in tests/unit/test_svc.c).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ng_addr.h"
#include "route.h"
#include "svc.h"

/* FullNAT source ports of the fuzzed gateways. */
#define FZ_LPORT_MIN 32768
#define FZ_LPORT_MAX 60999

/* Abort with a message: a broken property is a crash to libFuzzer. */
#define FZ_ASSERT(cond, ...) \
	do { \
		if (!(cond)) \
			fz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__); \
	} while (0)

void fz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 4, 5)));

/*
 * Start EAL once (--no-huge, --in-memory, no PCI, no telemetry) with lcores
 * 0..n_lcores-1 and silence every log (nodegw's and DPDK's). Exits on failure.
 */
void fz_eal_init(const char *name, unsigned int n_lcores);

/*
 * After EAL started (by fz_eal_init(), or by the tests' gateway, ng_test_gw_up()):
 * remove its runtime directory at exit and silence every log.
 */
void fz_eal_ready(void);

/* The fuzzer's bytes, read front to back; past the end every read is 0. */
struct fz {
	const uint8_t *p;
	size_t n;
};

static inline uint8_t
fz_u8(struct fz *f)
{
	if (f->n == 0)
		return 0;
	f->n--;
	return *f->p++;
}

static inline uint16_t
fz_u16(struct fz *f)
{
	return (uint16_t)(fz_u8(f) | fz_u8(f) << 8);
}

/* One of n choices (n > 0). */
static inline unsigned int
fz_pick(struct fz *f, unsigned int n)
{
	return fz_u8(f) % n;
}

/*
 * ng_svc_init() with what a gateway passes, publishing to *rs: fib may be
 * NULL (backends are then not checked for a route), node addresses are
 * NodePort targets.
 */
int fz_svc_init(struct ng_ruleset **rs, struct ng_fib *fib, const struct ng_ip *node_addrs,
	unsigned int n_node_addrs);

#endif
