/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "ng_log.h"
#include "pkt.h"
#include "pkt6.h"
#include "route_dp.h"

/* Entries scanned per ng_neigh_poll() call: bounds the control core's work. */
#define NEIGH_POLL_SLICE 64
/* After a link up, the second request goes this soon (the first is often lost),
 * or after retry_ms when that is sooner. */
#define LINK_UP_RETRY_MS 50u

struct neigh_entry {
	uint64_t word; /* read by workers: MAC | NG_NEIGH_F_*; written atomically */
	struct ng_neigh_key key;
	enum ng_neigh_state state;
	uint32_t probes;
	uint64_t confirmed_tsc;
	uint64_t next_tsc;
	struct rte_mbuf **pending; /* pending_max slots */
	uint32_t n_pending;
	uint8_t in_use;
};

struct ng_neigh_table {
	struct ng_neigh_dp dp; /* first: workers cast to it */
	struct ng_neigh_params p;
	struct neigh_entry *entries;
	struct rte_mbuf **pending_store;
	uint32_t *free_idx;
	uint32_t n_free;
	uint32_t n_waiting;      /* packets in every entry's queue */
	uint32_t cursor;
	uint64_t hz;
	struct rte_rcu_qsbr_dq *dq; /* deleted entries wait here for a grace period */
	struct ng_neigh_stats stats;
};

/* What a deleted entry leaves behind until workers cannot hold it any more. */
struct neigh_deferred {
	int32_t key_pos;
	uint32_t idx;
};

static inline uint64_t
ms_to_tsc(const struct ng_neigh_table *t, uint64_t ms)
{
	return ms * t->hz / 1000;
}

static void
entry_release(void *p, void *elems, unsigned int n)
{
	struct ng_neigh_table *t = p;
	const struct neigh_deferred *d = elems;

	for (unsigned int i = 0; i < n; i++) {
		rte_hash_free_key_with_position(t->dp.hash, d[i].key_pos);
		t->entries[d[i].idx].in_use = 0;
		t->free_idx[t->n_free++] = d[i].idx;
	}
}

_Static_assert(sizeof(struct ng_neigh_key) == 24, "neigh_key_cmp() compares three words");

/* Keys are 24 bytes, a length rte_hash compares with memcmp(): three words. */
static int
neigh_key_cmp(const void *a, const void *b, size_t len __rte_unused)
{
	uint64_t x[3], y[3];

	memcpy(x, a, sizeof(x));
	memcpy(y, b, sizeof(y));
	return ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2])) != 0;
}

struct ng_neigh_table *
ng_neigh_create(const struct ng_neigh_params *p)
{
	static unsigned int seq;
	char name[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters hp = {0};
	struct rte_rcu_qsbr_dq_parameters dqp = {0};
	struct ng_neigh_table *t;
	uint32_t n = p->max_entries < 8 ? 8 : p->max_entries;

	t = rte_zmalloc("ng_neigh", sizeof(*t), RTE_CACHE_LINE_SIZE);
	if (t == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	t->p = *p;
	t->p.max_entries = n;
	if (t->p.waiting_max == 0 || t->p.waiting_max > (uint64_t)n * p->pending_max)
		t->p.waiting_max = n * p->pending_max; /* at most 2^20 x 1024 */
	t->hz = rte_get_tsc_hz();
	t->entries = rte_zmalloc("ng_neigh_e", sizeof(*t->entries) * n, RTE_CACHE_LINE_SIZE);
	t->free_idx = rte_malloc("ng_neigh_f", sizeof(*t->free_idx) * n, 0);
	if (p->pending_max > 0)
		t->pending_store = rte_zmalloc("ng_neigh_q",
				sizeof(struct rte_mbuf *) * n * p->pending_max, 0);
	snprintf(name, sizeof(name), "ng_neigh_%u", seq++);
	hp.name = name;
	hp.entries = n;
	hp.key_len = sizeof(struct ng_neigh_key);
	hp.hash_func = rte_hash_crc;
	hp.socket_id = (int)rte_socket_id();
	hp.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF;
	t->dp.hash = rte_hash_create(&hp);
	if (t->entries == NULL || t->free_idx == NULL || t->dp.hash == NULL ||
			(p->pending_max > 0 && t->pending_store == NULL))
		goto fail;
	rte_hash_set_cmp_func(t->dp.hash, neigh_key_cmp);
	if (p->qsbr != NULL) {
		snprintf(name, sizeof(name), "ng_neigh_dq_%u", seq - 1);
		dqp.name = name;
		dqp.size = n;
		dqp.esize = sizeof(struct neigh_deferred);
		dqp.trigger_reclaim_limit = 1;
		dqp.max_reclaim_size = n;
		dqp.free_fn = entry_release;
		dqp.p = t;
		dqp.v = p->qsbr;
		t->dq = rte_rcu_qsbr_dq_create(&dqp);
		if (t->dq == NULL)
			goto fail;
	}
	for (uint32_t i = 0; i < n; i++) {
		t->free_idx[i] = n - 1 - i;
		t->entries[i].pending = t->pending_store ? &t->pending_store[i * p->pending_max] :
				NULL;
	}
	t->n_free = n;
	return t;
fail:
	ng_neigh_free(t);
	rte_errno = ENOMEM;
	return NULL;
}

static void
drop_pending(struct ng_neigh_table *t, struct neigh_entry *e)
{
	for (uint32_t i = 0; i < e->n_pending; i++)
		rte_pktmbuf_free(e->pending[i]);
	t->stats.pending_dropped += e->n_pending;
	t->n_waiting -= e->n_pending;
	e->n_pending = 0;
}

void
ng_neigh_free(struct ng_neigh_table *t)
{
	if (t == NULL)
		return;
	if (t->entries != NULL)
		for (uint32_t i = 0; i < t->p.max_entries; i++)
			if (t->entries[i].in_use)
				drop_pending(t, &t->entries[i]);
	if (t->dq != NULL)
		rte_rcu_qsbr_dq_delete(t->dq);
	rte_hash_free(t->dp.hash);
	rte_free(t->entries);
	rte_free(t->free_idx);
	rte_free(t->pending_store);
	rte_free(t);
}

static struct neigh_entry *
entry_find(struct ng_neigh_table *t, uint16_t port, const struct ng_ip *addr)
{
	struct ng_neigh_key k;
	void *data;

	ng_neigh_key_make(&k, port, addr);
	if (rte_hash_lookup_data(t->dp.hash, &k, &data) < 0)
		return NULL;
	return data;
}

static struct neigh_entry *
entry_new(struct ng_neigh_table *t, uint16_t port, const struct ng_ip *addr)
{
	struct neigh_entry *e;

	if (t->n_free == 0) {
		/* Reclaim entries whose grace period is over, then give up. */
		if (t->dq != NULL)
			rte_rcu_qsbr_dq_reclaim(t->dq, t->p.max_entries, NULL, NULL, NULL);
		if (t->n_free == 0) {
			t->stats.table_full++;
			return NULL;
		}
	}
	e = &t->entries[t->free_idx[t->n_free - 1]];
	ng_neigh_key_make(&e->key, port, addr);
	e->word = 0;
	e->state = NG_NEIGH_INCOMPLETE;
	e->probes = 0;
	e->n_pending = 0;
	e->confirmed_tsc = 0;
	e->next_tsc = 0;
	if (rte_hash_add_key_data(t->dp.hash, &e->key, e) < 0) {
		t->stats.table_full++;
		return NULL;
	}
	t->n_free--;
	e->in_use = 1;
	return e;
}

static void
entry_del(struct ng_neigh_table *t, struct neigh_entry *e)
{
	struct neigh_deferred d = {.idx = (uint32_t)(e - t->entries)};

	drop_pending(t, e);
	/* workers' cached pointers to this entry go stale (worker.h) */
	__atomic_store_n(&t->dp.gen, t->dp.gen + 1, __ATOMIC_RELEASE);
	__atomic_store_n(&e->word, 0, __ATOMIC_RELEASE);
	e->state = 0;
	d.key_pos = rte_hash_del_key(t->dp.hash, &e->key);
	if (d.key_pos < 0) {
		NG_LOG(ERR, NEIGH, "neighbour entry vanished from its hash");
		return;
	}
	/* The key slot and the entry go back after the grace period. */
	if (t->dq == NULL || rte_rcu_qsbr_dq_enqueue(t->dq, &d) != 0)
		entry_release(t, &d, 1);
}

static void
send_request(struct ng_neigh_table *t, struct neigh_entry *e)
{
	struct ng_route_info ri;
	struct rte_ether_addr smac;
	struct rte_mbuf *m;

	e->probes++;
	e->next_tsc = rte_get_tsc_cycles() + ms_to_tsc(t, t->p.retry_ms);
	if (ng_fib_lookup(t->p.fib, &e->key.addr, &ri) != 0 ||
			ri.src.family != e->key.addr.family ||
			rte_eth_macaddr_get(e->key.port, &smac) != 0)
		return;
	/* IPv6: a solicitation to the target's solicited-node address (RFC 4861 7.2.2) */
	if (e->key.addr.family == AF_INET6)
		m = ng_nd_ns_build(t->p.pool, &smac, ri.src.v6, e->key.addr.v6, NULL);
	else
		m = ng_pkt_arp_request(t->p.pool, &smac, ri.src.v4, e->key.addr.v4);
	if (m == NULL)
		return;
	if (t->p.tx(m, e->key.port, t->p.tx_arg) != 0)
		return;
	t->stats.requests_sent++;
}

static void
send_resolved(struct ng_neigh_table *t, struct rte_mbuf *m, uint64_t word)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	uint16_t port = ng_mbuf_priv(m)->out_port;

	ng_neigh_word_to_mac(word, &eth->dst_addr);
	if (t->p.tx(m, port, t->p.tx_arg) != 0)
		t->stats.pending_dropped++;
}

static void
entry_confirm(struct ng_neigh_table *t, struct neigh_entry *e, const struct rte_ether_addr *mac,
		enum ng_neigh_state state)
{
	uint64_t word = ng_neigh_mac_to_word(mac) | NG_NEIGH_F_VALID;

	if (e->state == NG_NEIGH_INCOMPLETE || e->state == NG_NEIGH_FAILED)
		t->stats.resolved++;
	__atomic_store_n(&e->word, word, __ATOMIC_RELEASE);
	e->state = state;
	e->probes = 0;
	e->confirmed_tsc = rte_get_tsc_cycles();
	for (uint32_t i = 0; i < e->n_pending; i++)
		send_resolved(t, e->pending[i], word);
	t->n_waiting -= e->n_pending;
	e->n_pending = 0;
}

int
ng_neigh_add_static(struct ng_neigh_table *t, uint16_t port, const struct ng_ip *addr,
		const struct rte_ether_addr *mac)
{
	struct neigh_entry *e;

	if (addr == NULL || (addr->family != AF_INET && addr->family != AF_INET6) || mac == NULL ||
			rte_is_zero_ether_addr(mac) || rte_is_multicast_ether_addr(mac))
		return -EINVAL;
	e = entry_find(t, port, addr);
	if (e == NULL)
		e = entry_new(t, port, addr);
	if (e == NULL)
		return -ENOSPC;
	entry_confirm(t, e, mac, NG_NEIGH_STATIC);
	return 0;
}

int
ng_neigh_del(struct ng_neigh_table *t, uint16_t port, const struct ng_ip *addr)
{
	struct neigh_entry *e = entry_find(t, port, addr);

	if (e == NULL)
		return -ENOENT;
	entry_del(t, e);
	return 0;
}

void
ng_neigh_resolve(struct ng_neigh_table *t, struct rte_mbuf *m)
{
	struct ng_mbuf_priv *pv = ng_mbuf_priv(m);
	struct neigh_entry *e = entry_find(t, pv->out_port, &pv->nexthop);
	uint64_t word;

	if (e == NULL) {
		e = entry_new(t, pv->out_port, &pv->nexthop);
		if (e == NULL)
			goto drop;
		send_request(t, e);
	}
	word = __atomic_load_n(&e->word, __ATOMIC_RELAXED);
	if (word & NG_NEIGH_F_VALID) {
		/* Resolved since the worker looked. */
		send_resolved(t, m, word);
		return;
	}
	if (e->state == NG_NEIGH_FAILED || e->n_pending >= t->p.pending_max)
		goto drop;
	/* Waiting packets are mbufs of the pool every port receives into. */
	if (t->n_waiting >= t->p.waiting_max) {
		t->stats.waiting_full++;
		goto drop;
	}
	e->pending[e->n_pending++] = m;
	t->n_waiting++;
	return;
drop:
	t->stats.pending_dropped++;
	rte_pktmbuf_free(m);
}

void
ng_neigh_arp_input(struct ng_neigh_table *t, struct rte_mbuf *m)
{
	const struct rte_arp_hdr *arp;
	struct neigh_entry *e;
	struct ng_ip sip;

	if (rte_pktmbuf_data_len(m) < m->l2_len + sizeof(*arp))
		goto out;
	arp = rte_pktmbuf_mtod_offset(m, const struct rte_arp_hdr *, m->l2_len);
	if (arp->arp_opcode != rte_cpu_to_be_16(RTE_ARP_OP_REPLY))
		goto out;
	t->stats.replies_seen++;
	sip.family = AF_INET;
	memset(sip.pad, 0, sizeof(sip.pad));
	memset(sip.v6, 0, sizeof(sip.v6));
	sip.v4 = arp->arp_data.arp_sip;
	e = entry_find(t, m->port, &sip);
	/* Only answers to what we asked for, or refreshes of what we know. */
	if (e == NULL || e->state == NG_NEIGH_STATIC)
		goto out;
	if (rte_is_zero_ether_addr(&arp->arp_data.arp_sha) ||
			rte_is_multicast_ether_addr(&arp->arp_data.arp_sha))
		goto out;
	entry_confirm(t, e, &arp->arp_data.arp_sha, NG_NEIGH_REACHABLE);
out:
	rte_pktmbuf_free(m);
}

void
ng_neigh_nd_input(struct ng_neigh_table *t, struct rte_mbuf *m)
{
	struct ng_ip6_info info;
	struct ng_nd_msg na;
	struct neigh_entry *e;
	struct ng_ip tip = {.family = AF_INET6};
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);

	if (ng_ip6_parse(m, &info) != NG_DROP_NONE || info.proto != IPPROTO_ICMPV6 ||
			ng_nd_parse(m, &info, &na) != NG_DROP_NONE || na.type != NG_ICMP6_ND_NA)
		goto out;
	t->stats.replies_seen++;
	memcpy(tip.v6, na.target, 16);
	e = entry_find(t, m->port, &tip);
	/* Only answers to what we asked for, or refreshes of what we know. */
	if (e == NULL || e->state == NG_NEIGH_STATIC)
		goto out;
	/* Without a target link-layer option the frame's source is the neighbour's. */
	if (!na.has_lladdr)
		na.lladdr = eth->src_addr;
	if (rte_is_zero_ether_addr(&na.lladdr) || rte_is_multicast_ether_addr(&na.lladdr))
		goto out;
	entry_confirm(t, e, &na.lladdr, NG_NEIGH_REACHABLE);
out:
	rte_pktmbuf_free(m);
}

static void
entry_fail(struct ng_neigh_table *t, struct neigh_entry *e, uint64_t now)
{
	char a[NG_IP_STRLEN];

	t->stats.failed++;
	drop_pending(t, e);
	__atomic_store_n(&e->word, NG_NEIGH_F_FAILED, __ATOMIC_RELEASE);
	e->state = NG_NEIGH_FAILED;
	/* Hold the failure as long as one resolution round took, then forget it. */
	e->next_tsc = now + ms_to_tsc(t, (uint64_t)t->p.retry_ms * t->p.retries);
	NG_LOG(INFO, NEIGH, "%s on port %u: no %s after %u requests",
			ng_ip_fmt(&e->key.addr, a, sizeof(a)), e->key.port,
			e->key.addr.family == AF_INET6 ? "neighbour advertisement" : "ARP reply",
			e->probes);
}

void
ng_neigh_poll(struct ng_neigh_table *t)
{
	uint64_t now = rte_get_tsc_cycles();

	if (t->dq != NULL)
		rte_rcu_qsbr_dq_reclaim(t->dq, t->p.max_entries, NULL, NULL, NULL);
	for (uint32_t n = 0; n < NEIGH_POLL_SLICE && n < t->p.max_entries; n++) {
		struct neigh_entry *e = &t->entries[t->cursor];

		t->cursor = (t->cursor + 1) % t->p.max_entries;
		if (!e->in_use || e->state == 0)
			continue;
		switch (e->state) {
		case NG_NEIGH_INCOMPLETE:
		case NG_NEIGH_PROBE:
			if (now < e->next_tsc)
				break;
			if (e->probes >= t->p.retries)
				entry_fail(t, e, now);
			else
				send_request(t, e);
			break;
		case NG_NEIGH_REACHABLE:
			if (now >= e->confirmed_tsc + ms_to_tsc(t, t->p.reachable_ms)) {
				e->state = NG_NEIGH_PROBE;
				e->probes = 0;
				send_request(t, e);
			}
			break;
		case NG_NEIGH_FAILED:
			if (now >= e->next_tsc)
				entry_del(t, e);
			break;
		case NG_NEIGH_STATIC:
			break;
		}
	}
}

/*
 * What was learnt while the link was down says nothing: every learnt entry of
 * the port is asked again. A failed one resolves again (workers queue its
 * packets instead of dropping them), a reachable one is probed and keeps its
 * MAC meanwhile. The first frames after a link up are often lost (a switch port
 * still learning; net_af_packet's first send after a link down only clears the
 * socket's error), so the second request follows after LINK_UP_RETRY_MS.
 */
unsigned int
ng_neigh_link_up(struct ng_neigh_table *t, uint16_t port)
{
	uint64_t retry = rte_get_tsc_cycles() + ms_to_tsc(t, RTE_MIN(LINK_UP_RETRY_MS,
			t->p.retry_ms));
	unsigned int n = 0;

	for (uint32_t i = 0; i < t->p.max_entries; i++) {
		struct neigh_entry *e = &t->entries[i];

		if (!e->in_use || e->key.port != port || e->state == 0 ||
				e->state == NG_NEIGH_STATIC)
			continue;
		if (e->state == NG_NEIGH_FAILED) {
			__atomic_store_n(&e->word, 0, __ATOMIC_RELEASE);
			e->state = NG_NEIGH_INCOMPLETE;
		} else if (e->state == NG_NEIGH_REACHABLE) {
			e->state = NG_NEIGH_PROBE;
		}
		e->probes = 0;
		send_request(t, e);
		e->next_tsc = retry;
		n++;
	}
	if (n > 0)
		NG_LOG(INFO, NEIGH, "port %u link up: %u neighbour entries asked again", port, n);
	return n;
}

unsigned int
ng_neigh_walk(struct ng_neigh_table *t, int (*cb)(const struct ng_neigh_info *n, void *arg),
		void *arg)
{
	uint64_t now = rte_get_tsc_cycles();
	unsigned int n = 0;

	for (uint32_t i = 0; i < t->p.max_entries; i++) {
		const struct neigh_entry *e = &t->entries[i];
		struct ng_neigh_info info = {0};

		if (!e->in_use || e->state == 0)
			continue;
		info.addr = e->key.addr;
		info.port = e->key.port;
		ng_neigh_word_to_mac(e->word, &info.mac);
		info.state = e->state;
		info.age_ms = e->confirmed_tsc ? (uint32_t)((now - e->confirmed_tsc) * 1000 / t->hz) :
				0;
		info.pending = e->n_pending;
		info.probes = e->probes;
		n++;
		if (cb(&info, arg) != 0)
			break;
	}
	return n;
}

void
ng_neigh_get_stats(const struct ng_neigh_table *t, struct ng_neigh_stats *s)
{
	*s = t->stats;
	s->waiting = t->n_waiting;
	s->waiting_max = t->p.waiting_max;
}
