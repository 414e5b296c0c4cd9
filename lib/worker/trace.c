/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control core's side of the packet trace: requests to the workers and
 * reading their records (see trace.h for the hand-over).
 */
#include <errno.h>
#include <string.h>

#include <rte_lcore.h>
#include <rte_malloc.h>

#include "trace.h"
#include "worker.h"

/* Merge a request into worker w's pending one, under a new generation. */
static void
request(struct ng_w_trace *t, bool clear, unsigned int n, int port_id)
{
	uint64_t old = __atomic_load_n(&t->req, __ATOMIC_RELAXED), req;

	if (++t->gen == 0)
		t->gen = 1; /* a request word is never 0 */
	do {
		if (clear) {
			req = NG_TRACE_REQ_CLEAR; /* a pending add is void */
		} else {
			uint64_t pn = old & NG_TRACE_REQ_N_MASK;

			req = (old & NG_TRACE_REQ_CLEAR) | RTE_MIN(pn + n, (uint64_t)NG_TRACE_REQ_N_MASK) |
					(uint64_t)(port_id >= 0 ? port_id + 1 : 0) <<
					NG_TRACE_REQ_PORT_SHIFT;
		}
		req |= (uint64_t)t->gen << NG_TRACE_REQ_GEN_SHIFT;
	} while (!__atomic_compare_exchange_n(&t->req, &old, req, false, __ATOMIC_RELEASE,
			__ATOMIC_RELAXED));
	if (clear)
		t->clear_gen = t->gen;
}

int
ng_trace_add(struct ng_dp *dp, unsigned int n, int port_id)
{
	if (n == 0 || n > NG_TRACE_MAX || port_id >= NG_TRACE_REQ_PORT_MASK)
		return -EINVAL;
	for (unsigned int i = 0; i < dp->n_workers; i++) {
		struct ng_worker *w = dp->workers[i];

		if (w->tr.rec != NULL)
			continue;
		w->tr.rec = rte_zmalloc_socket("ng_trace", sizeof(*w->tr.rec) * NG_TRACE_MAX,
				RTE_CACHE_LINE_SIZE, (int)rte_lcore_to_socket_id(w->lcore));
		if (w->tr.rec == NULL)
			return -ENOMEM;
	}
	for (unsigned int i = 0; i < dp->n_workers; i++)
		request(&dp->workers[i]->tr, false, n, port_id);
	return 0;
}

void
ng_trace_clear(struct ng_dp *dp)
{
	for (unsigned int i = 0; i < dp->n_workers; i++)
		request(&dp->workers[i]->tr, true, 0, -1);
}

void
ng_trace_view(const struct ng_dp *dp, unsigned int wid, struct ng_trace_view *v)
{
	const struct ng_w_trace *t = &dp->workers[wid]->tr;
	uint32_t ack = __atomic_load_n(&t->ack, __ATOMIC_ACQUIRE);

	memset(v, 0, sizeof(*v));
	v->pending = ack != t->gen;
	/* the worker has not taken the last clear yet (generations wrap) */
	v->clearing = v->pending && t->clear_gen != 0 && (int32_t)(ack - t->clear_gen) < 0;
	v->left = __atomic_load_n(&t->left, __ATOMIC_RELAXED);
	v->lost = __atomic_load_n(&t->lost, __ATOMIC_RELAXED);
	if (v->clearing || t->rec == NULL)
		return;
	v->n = __atomic_load_n(&t->head, __ATOMIC_ACQUIRE);
	v->rec = t->rec;
}

void
ng_trace_free(struct ng_dp *dp)
{
	for (unsigned int i = 0; i < dp->n_workers; i++) {
		if (dp->workers[i] == NULL)
			continue;
		rte_free(dp->workers[i]->tr.rec);
		dp->workers[i]->tr.rec = NULL;
	}
}

/* names[v], or "?" out of range. */
static const char *
name_of(const char *const *names, size_t n, unsigned int v)
{
	return v < n && names[v] != NULL ? names[v] : "?";
}

const char *
ng_trace_verdict_name(enum ng_trace_verdict v)
{
	static const char *const names[] = {
		[NG_TRACE_IN_FLIGHT] = "none",
		[NG_TRACE_TX] = "tx",
		[NG_TRACE_DROPPED] = "drop",
		[NG_TRACE_TO_CONTROL] = "control",
		[NG_TRACE_REDIRECTED] = "redirect",
		[NG_TRACE_TO_TWIN] = "twin",
	};

	return name_of(names, RTE_DIM(names), v);
}

const char *
ng_trace_reply_name(enum ng_trace_reply r)
{
	static const char *const names[] = {
		[NG_TRACE_REPLY_NONE] = "none",
		[NG_TRACE_REPLY_RST] = "rst",
		[NG_TRACE_REPLY_PORT_UNREACH] = "icmp_port_unreachable",
		[NG_TRACE_REPLY_TIME_EXCEEDED] = "icmp_time_exceeded",
		[NG_TRACE_REPLY_RATE_LIMITED] = "rate_limited",
		[NG_TRACE_REPLY_NO_MBUF] = "no_mbuf",
		[NG_TRACE_REPLY_NOT_TO_RST] = "none_to_rst",
		[NG_TRACE_REPLY_TOO_BIG] = "icmp6_packet_too_big",
		[NG_TRACE_REPLY_NOT_ALLOWED] = "icmp6_not_allowed",
		[NG_TRACE_REPLY_FRAG_NEEDED] = "icmp_frag_needed",
		[NG_TRACE_REPLY_NOT_ABOUT_ERROR] = "none_about_icmp_error",
	};

	return name_of(names, RTE_DIM(names), r);
}

const char *
ng_trace_conn_name(enum ng_trace_conn_how h)
{
	static const char *const names[] = {
		[NG_TRACE_CONN_NONE] = "none",
		[NG_TRACE_CONN_NEW] = "new",
		[NG_TRACE_CONN_ORIG] = "existing",
		[NG_TRACE_CONN_REPLY] = "reply",
	};

	return name_of(names, RTE_DIM(names), h);
}
