/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The service stage: connection tracking, scheduling and NAT.
 *
 * For each TCP/UDP packet: find its owner worker and hand it over if that is
 * another worker (edge redirect); look it up in the owner's connection table
 * (both directions); on a miss to a frontend, schedule a backend and create
 * the connection; rewrite addresses and ports; look the new destination up
 * and hand the packet to ip4-forward (a DSR connection's packet is not
 * rewritten: it goes to ipip-encap with the backend's address, and has no
 * reply direction). A packet this stage does not serve goes
 * on to local (a gateway address, no NodePort) or ip4-forward (routed
 * traffic); a refusal (no frontend, no backend) and an expired TTL go to the
 * reply stage, which builds the RST or ICMP error. A new connection from a
 * client outside its service's source ranges is dropped (edge drop,
 * src_range) without an answer.
 *
 * Ownership, computable from the packet alone (doc/architecture.md, "Owner
 * of a packet"):
 *   to a frontend of a ClientIP-affinity service, or of a DNAT service while
 *   a DNAT service has affinity:        hash(client address) % workers
 *   to any other VIP or NodePort:       hash(client address, port) % workers
 *   to a gateway address, FullNAT port: port % workers (ports are chosen so)
 *   anything else, when DNAT services:  the same hash of the destination
 *                                       (a DNAT reply mirrors its request)
 * so both directions of a connection meet on one worker, every connection
 * of a client of an affinity service too, and the connections of one client
 * address spread over the workers as RSS spreads flows.
 */
#include <string.h>

#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_random.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "encap_dp.h"
#include "lb_dp.h"
#include "nat_dp.h"
#include "ng_hash.h"
#include "svc_dp.h"
#include "trace_dp.h"
#include "worker_dp.h"

#define LPORT_TRIES 64

static inline unsigned int
owner_by_addr(uint32_t addr, unsigned int n)
{
	return (unsigned int)(ng_mix64(addr) % n);
}

/* Owner by the client's end of the flow (address and port, network order). */
static inline unsigned int
owner_by_flow(uint32_t addr, uint16_t port, unsigned int n)
{
	return (unsigned int)(ng_mix64(((uint64_t)port << 32 | addr) ^ 0x6e67666c6f77ull) % n);
}

/*
 * Owner of a packet from a client to a frontend: by the client address when
 * its service keeps a client on one worker (ClientIP affinity), or is DNAT
 * while DNAT replies must be routed by address; else by the whole client end.
 * The frontend is looked up only while some service has affinity.
 */
static inline unsigned int
owner_of_client(const struct ng_ruleset *rs, const struct rte_ipv4_hdr *ip,
		const uint16_t *ports, unsigned int n)
{
	if (unlikely(rs->n_affinity > 0)) {
		struct ng_fe_key fk = {0};
		const struct ng_svc_obj *svc;

		fk.addr.v4 = ip->dst_addr;
		fk.port = ports[1];
		fk.proto = ip->next_proto_id;
		fk.family = AF_INET;
		svc = ng_rs_lookup(rs, &fk);
		if (svc != NULL && (svc->affinity ||
				(svc->mode == NG_FWD_DNAT && rs->n_dnat_affinity > 0)))
			return owner_by_addr(ip->src_addr, n);
	}
	return owner_by_flow(ip->src_addr, ports[0], n);
}

static inline unsigned int
owner_of(const struct ng_worker *w, const struct ng_ruleset *rs, const struct ng_nexthop *nh,
		const struct rte_ipv4_hdr *ip, const uint16_t *ports)
{
	unsigned int n = w->dp->n_workers;

	if (nh != NULL && nh->type == NG_NH_LOCAL) {
		uint16_t p = rte_be_to_cpu_16(ports[1]);

		if (p >= rs->lport_min && p <= rs->lport_max)
			return p % n;
		return owner_of_client(rs, ip, ports, n);
	}
	if (nh != NULL && nh->type == NG_NH_VIP)
		return owner_of_client(rs, ip, ports, n);
	if (rs->n_dnat > 0)
		return rs->n_dnat_affinity > 0 ? owner_by_addr(ip->dst_addr, n) :
				owner_by_flow(ip->dst_addr, ports[1], n);
	return w->id;
}

unsigned int
ng_lb_owner4(const struct ng_worker *w, const struct ng_nexthop *nh, uint32_t src, uint32_t dst,
		uint16_t sport, uint16_t dport, uint8_t proto)
{
	struct rte_ipv4_hdr ip = {.src_addr = src, .dst_addr = dst, .next_proto_id = proto};
	const uint16_t ports[2] = {sport, dport};

	return owner_of(w, w->rs, nh, &ip, ports);
}

/*
 * A packet to one of the gateway's own addresses that no frontend takes (not
 * a NodePort, not a FullNAT reply port) and no connection uses (a NodePort
 * removed while its connections finish: ng_lb_local_port_used()): it keeps no
 * state, so the worker that received it hands it to the local stage itself,
 * before any connection lookup and never through the owner's redirect ring.
 * So a flood to the node's other ports (SSH, BGP, anything the kernel twin
 * gets) costs the service stage little and cannot fill the rings that service
 * traffic crosses.
 */
static inline bool
local_no_frontend(const struct ng_worker *w, const struct ng_ruleset *rs,
		const struct ng_nexthop *nh, const struct rte_ipv4_hdr *ip, const uint16_t *ports)
{
	struct ng_fe_key fk = {0};
	uint16_t p;

	if (likely(nh == NULL || nh->type != NG_NH_LOCAL))
		return false;
	p = rte_be_to_cpu_16(ports[1]);
	if (p >= rs->lport_min && p <= rs->lport_max)
		return false;
	if (ng_lb_local_port_used(w, ports[1]))
		return false;
	fk.addr.v4 = ip->dst_addr;
	fk.port = ports[1];
	fk.proto = ip->next_proto_id;
	fk.family = AF_INET;
	return ng_rs_lookup(rs, &fk) == NULL;
}

bool
ng_lb_local_no_frontend4(const struct ng_worker *w, const struct ng_nexthop *nh, uint32_t dst,
		uint16_t dport, uint8_t proto)
{
	struct rte_ipv4_hdr ip = {.dst_addr = dst, .next_proto_id = proto};
	const uint16_t ports[2] = {0, dport};

	return local_no_frontend(w, w->rs, nh, &ip, ports);
}

/*
 * The next FullNAT source (address index in the backend's pool, and port
 * owned by this worker, host order) towards backend b of svc, advancing that
 * backend's cursor: each port with every address of the pool in turn, then
 * the next port, so the addresses share the load and a (port, address) pair
 * comes back only after all the others.
 */
static inline uint32_t
lport_next(struct ng_worker *w, const struct ng_ruleset *rs, const struct ng_svc_obj *svc,
		uint16_t b, uint32_t *ai)
{
	struct ng_svc_bstats *bs = &svc->bstats[w->id * svc->n_backends + b];
	unsigned int n = w->dp->n_workers;
	uint32_t min = rs->lport_min, max = rs->lport_max, p = bs->lport_next;
	uint32_t a = bs->snat_next, na = svc->backends[b].n_snat;

	if (a >= na)
		a = 0;
	if (p % n != w->id)
		p += (w->id + n - p % n) % n; /* the next port of ours */
	if (p < min || p > max)
		p = min + ((w->id + n - min % n) % n); /* first port of ours at or above min */
	*ai = a;
	if (a + 1 < na) {
		bs->snat_next = a + 1;
		bs->lport_next = p;
	} else {
		bs->snat_next = 0;
		bs->lport_next = p + n > max ? 0 : p + n;
	}
	return p;
}

/*
 * Move backend b's source cursor to a random place: the port it gave was in
 * use. Ports in use come in runs (a backend's ports are handed out in order,
 * and a table that does not free its entries in the order it took them keeps
 * runs of them alive), so stepping on would meet the rest of the run; a
 * random place is free with the probability of the free share of the range.
 */
static inline void
lport_jump(struct ng_worker *w, const struct ng_ruleset *rs, const struct ng_svc_obj *svc,
		uint16_t b)
{
	struct ng_svc_bstats *bs = &svc->bstats[w->id * svc->n_backends + b];

	bs->lport_next = rs->lport_min + (uint32_t)rte_rand_max(rs->lport_max - rs->lport_min + 1);
	bs->snat_next = (uint32_t)rte_rand_max(svc->backends[b].n_snat);
}

/*
 * A FullNAT source port owned by this worker whose reply key is unused.
 * *rsig gets the hash of that reply key.
 */
static bool
lport_alloc(struct ng_worker *w, const struct ng_ruleset *rs, const struct ng_svc_obj *svc,
		struct ng_conn *c, hash_sig_t *rsig)
{
	struct ng_flow_key rk;

	for (int i = 0; i < LPORT_TRIES; i++) {
		uint32_t a;

		c->lport = rte_cpu_to_be_16((uint16_t)lport_next(w, rs, svc, c->bidx, &a));
		c->snat = svc->backends[c->bidx].snat_pool[a];
		ng_ct_reply_key(c, &rk);
		*rsig = ng_ct_hash(&rk);
		if (ng_ct_key_free_sig(w->ct, &rk, *rsig))
			return true;
		lport_jump(w, rs, svc, c->bidx);
	}
	return false;
}

/* The Maglev hash of a flow key, either family. */
static inline uint64_t
flow_hash(const struct ng_flow_key *k)
{
	return k->family == AF_INET6 ? ng_hash_flow6(k->src.v6, k->dst.v6, k->sport, k->dport,
			k->proto) : ng_hash_flow4(k->src.v4, k->dst.v4, k->sport, k->dport, k->proto);
}

/* Affinity record key: the client address and the frontend. */
static inline void
affinity_key(struct ng_flow_key *k, const struct ng_flow_key *orig)
{
	memset(k, 0, sizeof(*k));
	k->src = orig->src;
	k->dst = orig->dst;
	k->dport = orig->dport;
	k->proto = orig->proto | NG_CT_PROTO_AFFINITY;
	k->family = orig->family;
}

static uint16_t
affinity_pick(struct ng_worker *w, const struct ng_svc_obj *svc, const struct ng_flow_key *k,
		uint64_t hash)
{
	struct ng_flow_key ak;
	struct ng_conn *a;
	uint16_t b;
	bool rep;

	affinity_key(&ak, k);
	a = ng_ct_lookup(w->ct, &ak, &rep);
	if (a != NULL) {
		b = ng_svc_find_backend(svc, &a->backend, a->bport);
		if (b != NG_CT_BIDX_NONE && svc->backends[b].weight > 0) {
			a->expire_tsc = w->now + svc->affinity_tsc;
			a->last_tsc = w->now;
			return b;
		}
		ng_ct_delete(w->ct, a);
	}
	b = ng_svc_pick(svc, hash, w->id);
	if (b == NG_MAGLEV_NONE)
		return b;
	a = ng_ct_alloc(w->ct, w->now);
	if (a == NULL)
		return b;
	a->orig = ak;
	a->backend = svc->backends[b].addr;
	a->bport = svc->backends[b].port;
	a->state = NG_CT_AFFINITY;
	a->bidx = NG_CT_BIDX_NONE;
	a->last_tsc = w->now;
	a->expire_tsc = w->now + svc->affinity_tsc;
	ng_ct_insert(w->ct, a);
	return b;
}

/*
 * A new connection to svc, for a packet whose key k (hash ksig) has no entry.
 * Returns the conn, or NULL when the packet was handed on (to be refused, or
 * dropped). Cold next to the established path.
 */
static __rte_noinline struct ng_conn *
conn_new(struct ng_worker *w, const struct ng_ruleset *rs, struct ng_svc_obj *svc,
		struct rte_mbuf *m, const struct ng_flow_key *k, hash_sig_t ksig, uint8_t tcp_flags,
		const struct ng_lb_new *pre, struct ng_vec *const *next)
{
	const struct ng_svc_backend *be;
	struct ng_conn *c;
	uint64_t hash;
	hash_sig_t rsig = 0;
	bool reply_free = false;
	uint16_t b;

	if (k->proto == IPPROTO_TCP && (tcp_flags & RTE_TCP_RST_FLAG)) {
		ng_w_next(next[NG_LB_NEXT_DROP], m, NG_DROP_TCP_RST_NO_CONN);
		return NULL;
	}
	/* FullNAT cannot pick a connection up mid-stream (the backend would see a
	 * new source and answer with a RST): refused with a RST, creating nothing,
	 * so an ACK flood fills no entry. DNAT keeps the pickup. (A service
	 * without backends refuses it below, as it refuses a SYN.) */
	if (k->proto == IPPROTO_TCP && svc->mode == NG_FWD_FULLNAT && svc->n_usable > 0 &&
			(tcp_flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) != RTE_TCP_SYN_FLAG) {
		svc->wstats[w->id].refused++;
		ng_w_next(next[NG_LB_NEXT_REPLY], m, NG_DROP_TCP_NO_CONN);
		return NULL;
	}
	if (pre != NULL) {
		b = pre->b;
	} else {
		hash = flow_hash(k);
		b = svc->affinity ? affinity_pick(w, svc, k, hash) : ng_svc_pick(svc, hash, w->id);
	}
	if (b == NG_MAGLEV_NONE) {
		svc->wstats[w->id].refused++;
		if (svc->empty_drop)
			ng_w_next(next[NG_LB_NEXT_DROP], m, NG_DROP_SVC_NO_LOCAL_BACKEND);
		else
			ng_w_next(next[NG_LB_NEXT_REPLY], m, NG_DROP_SVC_NO_BACKEND);
		return NULL;
	}
	be = &svc->backends[b];
	c = ng_ct_alloc(w->ct, w->now);
	c->orig = *k;
	c->backend = be->addr;
	c->bport = be->port;
	c->bidx = b;
	c->gen = (uint32_t)rs->gen;
	c->svc_uid = svc->uid;
	c->svc = svc;
	if (k->proto == IPPROTO_UDP)
		c->state = NG_CT_UDP;
	else if ((tcp_flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) == RTE_TCP_SYN_FLAG)
		c->state = NG_CT_SYN_SENT;
	else
		c->state = NG_CT_ESTABLISHED; /* DNAT picked up mid-stream: Maglev keeps it in place */
	if (svc->mode == NG_FWD_FULLNAT) {
		c->flags |= NG_CT_F_FULLNAT;
		bool have = false;

		if (pre != NULL && pre->lport != 0) {
			struct ng_flow_key rk;

			/* Checked again (its buckets are warm now): with a small port
			 * range, lport_alloc() for another packet may have wrapped onto it. */
			c->lport = pre->lport;
			c->snat = be->snat_pool[pre->snat];
			ng_ct_reply_key(c, &rk);
			rsig = pre->rsig;
			have = ng_ct_key_free_sig(w->ct, &rk, rsig);
		}
		if (!have && pre != NULL)
			lport_jump(w, rs, svc, b); /* the prepared port was in use */
		if (!have && !lport_alloc(w, rs, svc, c, &rsig)) {
			ng_ct_abort(w->ct, c);
			svc->wstats[w->id].no_lport++;
			ng_w_next(next[NG_LB_NEXT_DROP], m, NG_DROP_NAT_NO_PORT);
			return NULL;
		}
		reply_free = true;
	} else if (svc->mode == NG_FWD_DSR) {
		c->flags |= NG_CT_F_ONEWAY; /* the backend answers the client: no reply key */
		c->snat = be->snat;         /* the outer source */
	} else {
		struct ng_flow_key rk;

		ng_ct_reply_key(c, &rk);
		rsig = ng_ct_hash(&rk);
	}
	/* The caller found k absent; ng_ct_alloc() may only have removed keys,
	 * and the affinity record's key differs from k in proto. */
	if (ng_ct_insert_new(w->ct, c, ksig, rsig, reply_free) < 0) {
		ng_w_next(next[NG_LB_NEXT_DROP], m, NG_DROP_CT_INSERT);
		return NULL;
	}
	svc->wstats[w->id].conns++;
	svc->bstats[w->id * svc->n_backends + b].conns++;
	return c;
}

/*
 * A packet of a connection not confirmed yet (cold: an established flow is
 * confirmed after its first exchange): a reply marks it replied, a packet
 * from the client after that may confirm it (ng_ct_confirm(); a one-way
 * conn's second packet from the client does). first: this packet created c.
 */
__rte_noinline void
ng_lb_conn_unconfirmed(struct ng_ct *ct, struct ng_conn *c, bool is_reply, bool first)
{
	if (is_reply)
		c->flags |= NG_CT_F_REPLIED;
	else
		ng_ct_confirm(ct, c, first);
}

/* A conn checked at another ruleset generation: its service view brought up to rs. */
__rte_noinline const struct ng_svc_obj *
ng_lb_conn_revalidate_gen(const struct ng_ruleset *rs, struct ng_conn *c)
{
	struct ng_fe_key fk = {0};
	const struct ng_svc_obj *svc;

	fk.addr = c->orig.dst;
	fk.port = c->orig.dport;
	fk.proto = c->orig.proto;
	fk.family = c->orig.family;
	svc = ng_rs_lookup(rs, &fk);
	if (svc == NULL) {
		c->svc_uid = 0;
		c->bidx = NG_CT_BIDX_NONE;
	} else if (svc->uid != c->svc_uid) {
		c->svc_uid = svc->uid;
		c->bidx = ng_svc_find_backend(svc, &c->backend, c->bport);
	}
	c->svc = svc;
	c->gen = (uint32_t)rs->gen;
	return svc;
}

/* A fragment: the stage has no ports to look at (lb_dp.h). */
__rte_noinline void
ng_lb_fragment(struct rte_mbuf *m, const struct ng_nexthop *nh, struct ng_vec *const *next)
{
	if (nh != NULL && nh->type == NG_NH_VIP)
		ng_w_next(next[NG_LB_NEXT_DROP], m, NG_DROP_VIP_FRAGMENT);
	else if (nh != NULL && nh->type == NG_NH_LOCAL)
		ng_w_next(next[NG_LB_NEXT_LOCAL], m, 0);
	else
		ng_w_next_nh(next[NG_LB_NEXT_FORWARD], m, nh);
}

/* Pass 2b's candidates of one bulk lookup: a key, its service and Maglev slot. */
struct lb_cand {
	uint16_t ki[NG_CT_BULK_MAX];
	const struct ng_svc_obj *svc[NG_CT_BULK_MAX];
	uint32_t slot[NG_CT_BULK_MAX];
};

/*
 * Pass 2b's second half, for n candidates whose Maglev slots are on their way
 * into the cache: backend, source address and port, reply key; the reply
 * keys checked in one bulk lookup (a port found taken: conn_new() looks on).
 * @return the number of reservations made, from pre[np] on.
 */
static inline uint16_t
lb_reserve(struct ng_worker *w, const struct ng_ruleset *rs, struct ng_lb_burst *b,
		const struct lb_cand *cd, unsigned int n, uint16_t np)
{
	struct ng_flow_key rk[NG_CT_BULK_MAX];
	const struct ng_flow_key *kp[NG_CT_BULK_MAX];
	hash_sig_t sig[NG_CT_BULK_MAX] = {0}; /* (n > 0, which gcc cannot see) */
	uint64_t taken;

	for (unsigned int j = 0; j < n; j++) {
		const struct ng_flow_key *k = &b->keys[cd->ki[j]];
		const struct ng_svc_obj *svc = cd->svc[j];
		uint16_t bi = ng_svc_entry(svc, cd->slot[j]);
		const struct ng_svc_backend *be = &svc->backends[bi];
		struct ng_lb_new *p = &b->pre[np + j];
		struct ng_conn tmp;

		tmp.orig.proto = k->proto;
		tmp.orig.family = k->family;
		tmp.backend = be->addr;
		tmp.bport = be->port;
		tmp.flags = NG_CT_F_FULLNAT;
		tmp.lport = rte_cpu_to_be_16((uint16_t)lport_next(w, rs, svc, bi, &p->snat));
		tmp.snat = be->snat_pool[p->snat];
		ng_ct_reply_key(&tmp, &rk[j]);
		p->b = bi;
		p->lport = tmp.lport;
		p->rsig = sig[j] = ng_ct_hash(&rk[j]);
		kp[j] = &rk[j];
		b->pre_of[cd->ki[j]] = (int16_t)(np + j);
	}
	taken = ng_ct_present_bulk(w->ct, kp, sig, n);
	for (unsigned int j = 0; j < n; j++)
		if (taken & (1ull << j))
			b->pre[np + j].lport = 0;
	return (uint16_t)(np + n);
}

/*
 * Pass 2b, for the keys pass 2 did not find: each one to a frontend gets its
 * service looked up (kept for pass 3: b->svc, b->fe_known); the packets that
 * will create a FullNAT connection to a Maglev service get their backend and
 * a reserved source port, and all their reply keys are checked in one bulk
 * lookup. The Maglev slots of up to NG_CT_BULK_MAX of them are prefetched
 * before the first is read (a new flow's slot is anywhere in the table: a
 * cache miss each, which one at a time was the largest part of this pass).
 * Services with side effects in their pick (affinity, WRR, random) are left
 * to conn_new(). The lookup is mostly a prefetch: conn_new() checks the key
 * again, in warm buckets, before it inserts.
 * @return the number of reservations (pre_of[] is filled for every key).
 */
static __rte_noinline uint16_t
lb_prepare(struct ng_worker *w, const struct ng_ruleset *rs, struct rte_mbuf **pkts,
		const union ng_w_aux *aux, uint16_t n, struct ng_lb_burst *b)
{
	struct lb_cand cd;
	struct ng_fe_key last = {0}; /* the frontend looked up last, and its service */
	struct ng_svc_obj *last_svc = NULL;
	uint16_t np = 0, ki = 0;
	unsigned int nc = 0;

	for (uint16_t i = 0; i < n; i++) {
		const struct ng_nexthop *nh = aux[i].nh;
		const struct ng_flow_key *k;
		struct ng_fe_key fk = {0};
		struct ng_svc_obj *svc;
		uint32_t slot;

		if (b->act[i] != 0)
			continue;
		k = &b->keys[ki];
		b->pre_of[ki] = -1;
		if (b->conns[ki++] != NULL || nh == NULL ||
				(nh->type != NG_NH_VIP && nh->type != NG_NH_LOCAL))
			continue;
		fk.addr = k->dst;
		fk.port = k->dport;
		fk.proto = k->proto;
		fk.family = k->family;
		/* a burst's new connections mostly go to one frontend: one lookup */
		if (!ng_fe_key_eq(&fk, &last)) { /* (last.family 0: none yet) */
			last = fk;
			last_svc = ng_rs_lookup(rs, &fk);
		}
		svc = b->svc[ki - 1] = last_svc;
		b->fe_known[(ki - 1) / 64] |= 1ull << ((ki - 1) % 64);
		if (svc == NULL || svc->mode != NG_FWD_FULLNAT || svc->affinity ||
				svc->sched != NG_SCHED_MAGLEV || svc->n_usable == 0 ||
				!ng_lb_src_allowed(svc, k))
			continue; /* (a source outside the ranges is dropped in pass 3) */
		/* a RST, or FullNAT without SYN: conn_new() creates nothing */
		if (k->proto == IPPROTO_TCP && (rte_pktmbuf_mtod_offset(pkts[i],
				struct rte_tcp_hdr *, pkts[i]->l2_len + pkts[i]->l3_len)->tcp_flags &
				(RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG | RTE_TCP_RST_FLAG)) !=
				RTE_TCP_SYN_FLAG)
			continue;
		/* ng_svc_pick() for a Maglev service with usable backends */
		slot = (uint32_t)(flow_hash(k) % svc->table_size);
		rte_prefetch0(ng_svc_entry_addr(svc, slot));
		cd.ki[nc] = ki - 1;
		cd.svc[nc] = svc;
		cd.slot[nc] = slot;
		if (++nc == NG_CT_BULK_MAX) {
			np = lb_reserve(w, rs, b, &cd, nc, np);
			nc = 0;
		}
	}
	if (nc > 0)
		np = lb_reserve(w, rs, b, &cd, nc, np);
	return np;
}

/*
 * Pass 1: check each packet, hand it to its owner if that is another worker,
 * build its flow key and hash.
 */
static inline void
lb_classify(struct ng_worker *w, const struct ng_ruleset *rs, struct rte_mbuf **pkts,
		const union ng_w_aux *aux, uint16_t n, struct ng_lb_burst *b,
		struct ng_vec *const *next)
{
	bool multi = w->dp->n_workers > 1 && !w->in_redirect;
	uint16_t nk = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *,
				m->l2_len);
		uint16_t ihl = m->l3_len, tot = rte_be_to_cpu_16(ip->total_length);
		const uint16_t *ports;

		if (unlikely(ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG |
				RTE_IPV4_HDR_OFFSET_MASK))) {
			b->act[i] = NG_LB_FRAG;
			continue;
		}
		if (unlikely(!ng_l4_valid(ip, ihl, tot))) {
			ng_w_next(next[NG_LB_NEXT_DROP], m, NG_DROP_L4_HEADER);
			b->act[i] = NG_LB_DONE;
			continue;
		}
		ports = (const uint16_t *)((const uint8_t *)ip + ihl);
		if (unlikely(local_no_frontend(w, rs, aux[i].nh, ip, ports))) {
			ng_w_next(next[NG_LB_NEXT_LOCAL], m, 0);
			b->act[i] = NG_LB_DONE;
			continue;
		}
		/* a chain is a datagram just reassembled: its owner is not known yet */
		if (multi || unlikely(m->nb_segs > 1 && w->dp->n_workers > 1)) {
			unsigned int o = owner_of(w, rs, aux[i].nh, ip, ports);

			if (o != w->id) {
				ng_w_next(next[NG_LB_NEXT_REDIRECT], m, o);
				b->act[i] = NG_LB_DONE;
				continue;
			}
		}
		b->sigs[nk] = ng_ct_key4(&b->keys[nk], ip->src_addr, ip->dst_addr, ports[0],
				ports[1], ip->next_proto_id);
		b->kp[nk] = &b->keys[nk];
		b->act[i] = 0;
		nk++;
	}
	b->nk = nk;
}

/*
 * Pass 2: look every key up in one bulk call (both buckets of every key, then
 * the candidate entries, are prefetched before any key is compared); with
 * misses, prepare the new FullNAT connections and, on a full table, evict
 * for them in one batch.
 */
static inline void
lb_lookup(struct ng_worker *w, const struct ng_ruleset *rs, struct rte_mbuf **pkts,
		const union ng_w_aux *aux, uint16_t n, struct ng_lb_burst *b)
{
	struct ng_ct *ct = w->ct;
	uint16_t nk = b->nk, found = 0;

	for (uint16_t j = 0; j < nk; j += NG_CT_BULK_MAX) {
		unsigned int cnt = RTE_MIN(nk - j, NG_CT_BULK_MAX);
		uint64_t rep = 0;

		found += ng_ct_lookup_bulk(ct, &b->kp[j], &b->sigs[j], cnt, &b->conns[j], &rep);
		/* j is a multiple of 32: the bits land in one word */
		if (j % 64 == 0)
			b->reply[j / 64] = rep;
		else
			b->reply[j / 64] |= rep << 32;
	}
	b->n_ins = ct->n_ins;
	b->n_del = ct->n_del;
	b->n_pre = 0;
	memset(b->fe_known, 0, sizeof(b->fe_known));
	if (unlikely(nk - found > 0)) {
		b->n_pre = lb_prepare(w, rs, pkts, aux, n, b);
		/* a full table: evict for the new connections in one batch (after
		 * the n_del snapshot, so hits it evicts are looked up again) */
		ng_ct_reserve(ct, w->now, b->n_pre);
		ng_ct_prefetch_alloc(ct, b->n_pre);
	}
}

/* ng_lb_miss() for an IPv4 packet (packet index i). */
static inline struct ng_conn *
lb_miss(struct ng_worker *w, const struct ng_ruleset *rs, struct rte_mbuf *m,
		const struct ng_nexthop *nh, struct ng_lb_burst *b, uint16_t i, uint16_t ki,
		uint8_t flags, struct ng_vec *const *next)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *,
			m->l2_len);
	struct ng_conn *c = ng_lb_miss(w, rs, m, nh, b, ki, ip->time_to_live, flags, next);

	if (c != NULL)
		b->act[i] = NG_LB_NEW;
	return c;
}

/* Rewrite the packet for its connection: to the backend, or back to the client. */
static inline void
lb_nat(struct rte_ipv4_hdr *ip, uint16_t *ports, uint8_t proto, const struct ng_conn *c,
		bool is_reply)
{
	uint32_t src, dst;
	uint16_t sport, dport;

	if (likely(!is_reply)) {
		if (likely(c->flags & NG_CT_F_FULLNAT)) {
			src = c->snat.v4;
			sport = c->lport;
		} else {
			src = ip->src_addr;
			sport = ports[0];
		}
		dst = c->backend.v4;
		dport = c->bport;
	} else {
		src = c->orig.dst.v4;
		sport = c->orig.dport;
		dst = c->orig.src.v4;
		dport = c->orig.sport;
	}
	ng_nat4(ip, ports, proto, src, sport, dst, dport);
}

/*
 * Pass 3 for one packet with a flow key (key index ki): an established flow
 * (the likely case) is tracked and rewritten; a miss goes to lb_miss(). A
 * connection created or deleted earlier in this pass makes pass 2's result
 * stale: the packet is looked up again (ct->n_ins / n_del).
 * The forward edge's count is *nf, not fwd->n (lb_apply()), except around
 * the miss path, which hands packets on through next[] itself.
 */
static __rte_always_inline void
lb_one(struct ng_worker *w, const struct ng_ruleset *rs, const struct ng_fib_dp *fib,
		struct rte_mbuf *m, const struct ng_nexthop *nh, struct ng_lb_burst *b, uint16_t i,
		uint16_t ki, struct ng_vec *const *next, struct ng_vec *fwd, uint16_t *nf)
{
	struct ng_ct *ct = w->ct;
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, m->l2_len);
	uint16_t tot = rte_be_to_cpu_16(ip->total_length);
	uint16_t *ports = (uint16_t *)((uint8_t *)ip + m->l3_len);
	const struct ng_flow_key *k = &b->keys[ki];
	uint8_t proto = k->proto, flags = 0;
	const struct ng_svc_obj *svc;
	bool first = false, is_reply;
	struct ng_conn *c;

	if (proto == IPPROTO_TCP)
		flags = ((struct rte_tcp_hdr *)ports)->tcp_flags;
	c = ng_lb_burst_conn(ct, b, ki, &is_reply);
	if (likely(c != NULL)) {
		/* A packet the stage would rewrite and forward: TTL expiry is answered
		 * before NAT, about the packet as it came. */
		if (unlikely(ip->time_to_live <= 1)) {
			ng_w_next(next[NG_LB_NEXT_REPLY], m, NG_DROP_TTL_EXPIRED);
			return;
		}
		svc = ng_lb_conn_revalidate(rs, c);
		if (unlikely(ng_lb_conn_retire(ct, c, proto, is_reply, flags)))
			c = NULL;
	}
	if (unlikely(c == NULL)) {
		fwd->n = *nf;
		c = b->conns[ki] = lb_miss(w, rs, m, nh, b, i, ki, flags, next);
		*nf = fwd->n;
		if (c == NULL)
			return;
		svc = c->svc;
		is_reply = false;
		first = true;
	}
	ng_lb_conn_seen(w, c, svc, is_reply, first, proto, flags, tot);
	if (unlikely(c->flags & NG_CT_F_ONEWAY)) {
		ng_w_next(next[NG_LB_NEXT_ENCAP], m, ng_encap_word(c->snat.v4, c->backend.v4));
		return;
	}
	lb_nat(ip, ports, proto, c, is_reply);
	fwd->pkts[*nf] = m;
	fwd->aux[*nf].nh = ng_fib_lookup4_dp(fib, ip->dst_addr);
	(*nf)++;
}

/*
 * Pass 3: each packet in arrival order. The forward edge's count stays in a
 * register (nf) and is stored once per burst: through fwd->n, each packet's
 * store of the count waited for the previous packet's (the compiler cannot
 * tell the count from the packet and connection fields written between).
 * The calls that hand packets on through next[] (a fragment, the miss path)
 * see and update fwd->n. The other edges lead to other stages' vectors.
 */
static inline void
lb_apply(struct ng_worker *w, const struct ng_ruleset *rs, struct rte_mbuf **pkts,
		const union ng_w_aux *aux, uint16_t n, struct ng_lb_burst *b,
		struct ng_vec *const *next)
{
	const struct ng_fib_dp *fib = ng_fib_dp(w->dp->fib);
	struct ng_vec *fwd = next[NG_LB_NEXT_FORWARD];
	uint16_t ki = 0, nf = fwd->n;

	for (uint16_t i = 0; i < n; i++) {
		if (unlikely(b->act[i] != 0)) {
			if (b->act[i] == NG_LB_FRAG) {
				fwd->n = nf;
				ng_lb_fragment(pkts[i], aux[i].nh, next);
				nf = fwd->n;
			}
			continue;
		}
		lb_one(w, rs, fib, pkts[i], aux[i].nh, b, i, ki, next, fwd, &nf);
		ki++;
	}
	fwd->n = nf;
}

/* For the packet trace: the connection each traced packet had when it left (lb and lb6). */
__rte_noinline void
ng_lb_trace(struct ng_worker *w, struct rte_mbuf **pkts, uint16_t n, const struct ng_lb_burst *b)
{
	uint16_t ki = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct ng_trace_rec *r;

		if (b->act[i] == NG_LB_DONE || b->act[i] == NG_LB_FRAG)
			continue;
		r = ng_w_trace_find(w, pkts[i]);
		if (r != NULL)
			ng_w_trace_conn(w, r, b->conns[ki], b->act[i] == NG_LB_NEW);
		ki++;
	}
}

/*
 * The stage: three passes over the burst (lb_classify, lb_lookup, lb_apply).
 * aux[i].nh is the FIB result for pkts[i]'s destination.
 */
void
ng_lb_process(struct ng_worker *w, struct rte_mbuf **pkts, const union ng_w_aux *aux,
		uint16_t n, struct ng_vec *const *next)
{
	const struct ng_ruleset *rs = w->rs;
	struct ng_lb_burst b;

	lb_classify(w, rs, pkts, aux, n, &b, next);
	lb_lookup(w, rs, pkts, aux, n, &b);
	lb_apply(w, rs, pkts, aux, n, &b, next);
	if (unlikely(w->tr.burst_n != 0))
		ng_lb_trace(w, pkts, n, &b);
}

/* ---- the connection code lb6 (lb6_dp.c) shares: lb_dp.h ---- */

void
ng_lb_lookup(struct ng_worker *w, const struct ng_ruleset *rs, struct rte_mbuf **pkts,
		const union ng_w_aux *aux, uint16_t n, struct ng_lb_burst *b)
{
	lb_lookup(w, rs, pkts, aux, n, b);
}

struct ng_conn *
ng_lb_conn_new_burst(struct ng_worker *w, const struct ng_ruleset *rs, struct ng_svc_obj *svc,
		struct rte_mbuf *m, const struct ng_lb_burst *b, uint16_t ki, uint8_t tcp_flags,
		struct ng_vec *const *next)
{
	return conn_new(w, rs, svc, m, &b->keys[ki], b->sigs[ki], tcp_flags,
			b->n_pre > 0 && b->pre_of[ki] >= 0 ? &b->pre[b->pre_of[ki]] : NULL, next);
}
