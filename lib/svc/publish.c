/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Publishing compiled rulesets (control core).
 *
 * One pointer store publishes a ruleset. VIP routes follow the published
 * rulesets: a VIP address gets its /32 VIP route after the first ruleset that
 * has it is published and loses it after the first that no longer has it is
 * (so a VIP moving between services in one commit keeps its route). The old
 * ruleset and the objects only it held wait on a retire list with an
 * rte_rcu_qsbr_start() token, and are freed once rte_rcu_qsbr_check() (which
 * does not block) says every worker has passed a quiescent state.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>

#include "ng_log.h"
#include "ng_exit.h"
#include "svc_priv.h"

#define LATENCY_SAMPLES 1024 /* publish latencies kept for show ruleset */
/* Distinct VIP addresses counted: each is at least one frontend. */
#define VIPS_MAX NG_MAX_FRONTENDS

struct retired {
	struct retired *next;
	struct ng_ruleset *rs;
	struct ng_svc_obj **objs;
	uint32_t n_objs;
	struct ng_fe_chunk **chunks; /* of rs's index, that no newer index holds */
	uint32_t n_chunks;
	uint64_t token;
	uint64_t start_tsc;
	uint64_t change_tsc; /* first change this commit carried; 0 for none */
	bool cause;          /* the change came with a noted cause (a watch event) */
};

static struct {
	struct ng_pub_params p;
	struct ng_ruleset *cur;
	struct rte_hash *vips;    /* VIP address -> reference count (as data) */
	struct retired *retired;  /* waiting for grace periods, oldest first */
	struct retired *retired_tail;
	struct ng_ruleset_info info;
	/* Change-to-data-path latency of recent commits, ns (ring). */
	uint64_t lat_ns[LATENCY_SAMPLES];
	uint32_t lat_n, lat_pos;
} pub;

static uint64_t
tsc_to_ns(uint64_t t)
{
	return t * 1000000000ull / rte_get_tsc_hz();
}

int
ng_pub_init(const struct ng_pub_params *p)
{
	struct rte_hash_parameters hp = {0};

	memset(&pub, 0, sizeof(pub));
	pub.p = *p;
	hp.name = "ng_svc_vips";
	hp.entries = VIPS_MAX;
	hp.key_len = sizeof(struct ng_ip);
	hp.hash_func = rte_hash_crc;
	hp.socket_id = SOCKET_ID_ANY;
	hp.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE;
	pub.vips = rte_hash_create(&hp);
	return pub.vips == NULL ? -ENOMEM : 0;
}

/* ---- VIP routes ---- */

/* Add delta to the reference count of k's address; the new count. */
static intptr_t
vip_ref(const struct ng_fe_key *k, int delta)
{
	struct ng_ip ip = {.family = k->family};
	void *data;

	memcpy(ip.v6, k->addr.v6, sizeof(ip.v6)); /* fe keys are zeroed past an IPv4 address */
	intptr_t n = 0;

	if (rte_hash_lookup_data(pub.vips, &ip, &data) >= 0)
		n = (intptr_t)data;
	n += delta;
	if (n <= 0) {
		rte_hash_del_key(pub.vips, &ip);
		return 0;
	}
	rte_hash_add_key_data(pub.vips, &ip, (void *)n);
	return n;
}

static void
vip_route(const struct ng_fe_key *k, bool add)
{
	struct ng_prefix pfx = {.addr = {.family = k->family},
			.len = k->family == AF_INET ? 32 : 128};
	char a[NG_IP_STRLEN];
	int rc;

	memcpy(pfx.addr.v6, k->addr.v6, sizeof(pfx.addr.v6));
	if (pub.p.fib == NULL)
		return;
	if (add)
		rc = ng_fib_add(pub.p.fib, &pfx, NG_RT_VIP, NG_NH_VIP, pub.p.vip_port, NULL,
				&pfx.addr, true);
	else
		rc = ng_fib_del(pub.p.fib, &pfx);
	if (rc < 0)
		NG_LOG(WARNING, SVC, "VIP route %s %s: %s", add ? "add" : "del",
				ng_ip_fmt(&pfx.addr, a, sizeof(a)), strerror(-rc));
}

/*
 * Count the VIP keys in and out; keep in b->vip_new the addresses that had no
 * user before and in b->vip_gone those that have none left. The new keys are
 * counted first, so an address that a service keeps, or that moves to another
 * service, never drops to 0 on the way.
 */
static void
vip_count(struct ng_rs_build *b)
{
	uint32_t n_new = 0, n_gone = 0;

	for (uint32_t i = 0; i < b->n_vip_new; i++)
		if (vip_ref(&b->vip_new[i], 1) == 1)
			b->vip_new[n_new++] = b->vip_new[i];
	for (uint32_t i = 0; i < b->n_vip_gone; i++)
		if (vip_ref(&b->vip_gone[i], -1) == 0)
			b->vip_gone[n_gone++] = b->vip_gone[i];
	b->n_vip_new = n_new;
	b->n_vip_gone = n_gone;
}

/* ---- retiring ---- */

static void
retired_free(struct ng_ruleset *rs, struct ng_fe_chunk **chunks, uint32_t n_chunks,
		struct ng_svc_obj **objs, uint32_t n)
{
	if (rs != NULL)
		pub.info.bytes -= ng_rs_retire(rs, chunks, n_chunks);
	else
		free(chunks);
	for (uint32_t i = 0; i < n; i++) {
		if (pub.p.retired != NULL)
			pub.p.retired(objs[i]);
		pub.info.bytes -= objs[i]->bytes;
		ng_rs_obj_free(objs[i]);
	}
}

static void
retire(struct ng_ruleset *old, struct ng_rs_build *b, uint64_t change_tsc, bool cause)
{
	struct retired *r;

	if (old == NULL && b->n_retire == 0)
		return;
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		/* Cannot defer: wait for the grace period here. */
		if (pub.p.qsbr != NULL)
			rte_rcu_qsbr_synchronize(pub.p.qsbr, RTE_QSBR_THRID_INVALID);
		retired_free(old, b->fe_retire, b->n_fe_retire, b->retire, b->n_retire);
		b->fe_retire = NULL;
		b->n_fe_retire = 0;
		return;
	}
	r->rs = old;
	r->objs = b->retire;
	r->n_objs = b->n_retire;
	r->chunks = b->fe_retire;
	r->n_chunks = b->n_fe_retire;
	b->retire = NULL;
	b->n_retire = 0;
	b->fe_retire = NULL;
	b->n_fe_retire = 0;
	r->start_tsc = rte_get_tsc_cycles();
	r->change_tsc = change_tsc;
	r->cause = cause;
	r->token = pub.p.qsbr != NULL ? rte_rcu_qsbr_start(pub.p.qsbr) : 0;
	if (pub.retired_tail != NULL)
		pub.retired_tail->next = r;
	else
		pub.retired = r;
	pub.retired_tail = r;
	pub.info.pending_free++;
}

void
ng_pub_publish(struct ng_rs_build *b, uint64_t build_start_tsc, uint64_t change_tsc,
		bool cause)
{
	struct ng_ruleset *old = pub.cur, *rs = b->rs;
	uint64_t t1;

	vip_count(b);
	t1 = rte_get_tsc_cycles();
	__atomic_store_n(pub.p.publish, rs, __ATOMIC_RELEASE);
	pub.cur = rs;
	b->rs = NULL;
	for (uint32_t i = 0; i < b->n_vip_gone; i++)
		vip_route(&b->vip_gone[i], false);
	for (uint32_t i = 0; i < b->n_vip_new; i++)
		vip_route(&b->vip_new[i], true);
	pub.info.generation = rs->gen;
	pub.info.services = rs->n_svcs;
	pub.info.frontends = rs->n_fe;
	pub.info.build_ns = tsc_to_ns(t1 - build_start_tsc);
	pub.info.publish_ns = tsc_to_ns(rte_get_tsc_cycles() - t1);
	pub.info.publish_tsc = t1;
	ng_hist_observe(&pub.info.commit_hist, pub.info.build_ns + pub.info.publish_ns);
	pub.info.commits++;
	pub.info.bytes += ng_rs_new_bytes(rs) + b->obj_bytes;
	pub.info.copied_bytes = b->copied_bytes;
	pub.info.copied_chunks = b->chunks_copied;
	pub.info.index_bytes = ng_rs_bytes(rs);
	pub.info.index_rebuilds += b->rebuilds;
	retire(old, b, change_tsc, cause);
}

void
ng_pub_reclaim(bool wait)
{
	while (pub.retired != NULL) {
		struct retired *r = pub.retired;

		if (pub.p.qsbr != NULL && rte_rcu_qsbr_check(pub.p.qsbr, r->token, wait) != 1)
			return;
		pub.info.grace_ns = tsc_to_ns(rte_get_tsc_cycles() - r->start_tsc);
		if (r->change_tsc != 0) {
			uint64_t lat = tsc_to_ns(rte_get_tsc_cycles() - r->change_tsc);

			ng_hist_observe(&pub.info.latency_hist, lat);
			if (r->cause)
				ng_hist_observe(&pub.info.cause_hist, lat);
			pub.lat_ns[pub.lat_pos] = lat;
			pub.lat_pos = (pub.lat_pos + 1) % LATENCY_SAMPLES;
			if (pub.lat_n < LATENCY_SAMPLES)
				pub.lat_n++;
		}
		retired_free(r->rs, r->chunks, r->n_chunks, r->objs, r->n_objs);
		free(r->objs);
		pub.retired = r->next;
		if (pub.retired == NULL)
			pub.retired_tail = NULL;
		free(r);
		pub.info.pending_free--;
	}
}

void
ng_pub_fini(void)
{
	ng_pub_reclaim(true);
	if (pub.p.publish != NULL)
		__atomic_store_n(pub.p.publish, NULL, __ATOMIC_RELEASE);
	ng_rs_free(pub.cur);
	if (!ng_exiting()) /* at exit the heap goes whole (ng_exit.h) */
		rte_hash_free(pub.vips);
	memset(&pub, 0, sizeof(pub));
}

/* ---- read functions (svc.h) ---- */

const struct ng_ruleset *
ng_svc_ruleset(void)
{
	return pub.cur;
}

static int
u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

void
ng_svc_latency_clear(void)
{
	pub.lat_n = 0;
	pub.lat_pos = 0;
}

void
ng_pub_pending(uint64_t *grace_since_tsc, uint64_t *publish_tsc)
{
	*grace_since_tsc = pub.retired != NULL ? pub.retired->start_tsc : 0;
	*publish_tsc = pub.info.publish_tsc;
}

uint64_t
ng_pub_generation(void)
{
	return pub.info.generation;
}

void
ng_pub_info(struct ng_ruleset_info *out)
{
	uint64_t sorted[LATENCY_SAMPLES];
	uint32_t n = pub.lat_n;

	*out = pub.info;
	ng_pub_pending(&out->grace_since_tsc, &out->publish_tsc);
	out->latency_samples = n;
	if (n == 0)
		return;
	memcpy(sorted, pub.lat_ns, n * sizeof(sorted[0]));
	qsort(sorted, n, sizeof(sorted[0]), u64_cmp);
	out->latency_p50_ns = sorted[(n - 1) / 2];
	out->latency_p99_ns = sorted[(uint32_t)((n - 1) * 0.99)];
	out->latency_max_ns = sorted[n - 1];
}
