/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Service-stage fixtures: IPv4 fragments to a service (ip4-reass). A UDP
 * datagram of 3,000 bytes to the FullNAT dns VIP in three fragments: in
 * order, reversed, duplicated; overlapping (discarded), missing (timed
 * out), in too many fragments, a full table; and fragments arriving on both
 * workers. A whole datagram is NATed to its backend and, over the MTU of
 * 1500, sent on as fragments: the test puts them together again and checks
 * every byte and both checksums by full recomputation.
 */
#include <string.h>

#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include "lb_fixtures.h"
#include "reass_dp.h"

#define DGRAM 3000 /* UDP payload */
#define FRAG 1480  /* payload of a full fragment at MTU 1500 */

/* The datagram as the client sent it: IPv4 header, UDP header, payload. */
static struct {
	struct rte_ipv4_hdr ip;
	uint8_t l4[sizeof(struct rte_udp_hdr) + DGRAM];
} dg;

static void
dgram_make(uint16_t cport, uint8_t seed)
{
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)dg.l4;

	memset(&dg, 0, sizeof(dg));
	dg.ip.version_ihl = RTE_IPV4_VHL_DEF;
	dg.ip.total_length = rte_cpu_to_be_16(sizeof(dg));
	dg.ip.next_proto_id = IPPROTO_UDP;
	dg.ip.src_addr = CLIENT;
	dg.ip.dst_addr = VIP_DNS;
	uh->src_port = rte_cpu_to_be_16(cport);
	uh->dst_port = rte_cpu_to_be_16(53);
	uh->dgram_len = rte_cpu_to_be_16(sizeof(dg.l4));
	for (unsigned int i = 0; i < DGRAM; i++)
		dg.l4[sizeof(*uh) + i] = (uint8_t)(i * 7 + seed);
	uh->dgram_cksum = rte_ipv4_udptcp_cksum(&dg.ip, uh);
}

/* A fragment of dg: len bytes of its L4 part from off, with identification id. */
static void
frag_frame(struct tb_frame *f, uint16_t id, uint16_t off, uint16_t len, bool mf)
{
	struct rte_ether_addr smac = mac_of(CLIENT);
	struct rte_ipv4_hdr *ip;

	tb_eth(f, &gw.port_mac[P0], &smac, TB_NO_VLAN, RTE_ETHER_TYPE_IPV4);
	f->port = P0;
	ip = tb_ip4(f, CLIENT, VIP_DNS, IPPROTO_UDP, 64, len);
	memcpy(tb_l4(f), dg.l4 + off, len);
	ip->packet_id = rte_cpu_to_be_16(id);
	ip->fragment_offset = rte_cpu_to_be_16((uint16_t)(off / 8) | (mf ? RTE_IPV4_HDR_MF_FLAG : 0));
	tb_ip4_cksum(f);
}

/* Run one frame through worker wid. */
static void
rx(unsigned int wid, const struct tb_frame *f)
{
	struct rte_mbuf *m = tb_mbuf(gw.pool, f, gw.port_id[f->port]);

	ng_worker_process(gw.dp->workers[wid], &m, 1);
}

/* The three fragments of dg (id), in the order of idx[]. */
static void
send3(unsigned int wid, uint16_t id, const unsigned int idx[3])
{
	static const uint16_t off[3] = {0, FRAG, 2 * FRAG};
	static const uint16_t len[3] = {FRAG, FRAG, sizeof(dg.l4) - 2 * FRAG};
	struct tb_frame f;

	for (unsigned int i = 0; i < 3; i++) {
		frag_frame(&f, id, off[idx[i]], len[idx[i]], idx[i] != 2);
		rx(wid, &f);
	}
}

/* An id whose fragments worker wid reassembles. */
static uint16_t
id_for(unsigned int wid, uint16_t from)
{
	uint16_t id = from;

	while (ng_reass_owner(CLIENT, VIP_DNS, rte_cpu_to_be_16(id), IPPROTO_UDP, NWORKERS) != wid)
		id++;
	return id;
}

/*
 * What worker wid sent on P1: fragments of one datagram to a dns backend
 * from the FullNAT source; put them together and check every byte of dg's
 * payload, the IPv4 checksums and the UDP checksum (recomputed in full).
 */
static void
check_out(unsigned int wid, unsigned int want_frags)
{
	struct ng_worker *w = gw.dp->workers[wid];
	static struct {
		struct rte_ipv4_hdr ip;
		uint8_t l4[sizeof(dg.l4)];
	} got;
	uint32_t have = 0, src = 0;
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)got.l4;

	assert_int_equal(w->tx[P1].n, want_frags);
	memset(&got, 0, sizeof(got));
	for (unsigned int i = 0; i < w->tx[P1].n; i++) {
		struct rte_mbuf *m = w->tx[P1].pkts[i];
		struct rte_ipv4_hdr h;
		uint16_t fo, len;

		assert_int_equal(m->nb_segs, 1); /* every fragment one segment, any PMD sends it */
		assert_true(rte_pktmbuf_pkt_len(m) <= L2 + 1500);
		memcpy(&h, rte_pktmbuf_read(m, L2, sizeof(h), &h), sizeof(h));
		assert_int_equal(rte_ipv4_cksum(&h), 0);
		assert_true(be_index(h.dst_addr) >= 0);
		src = h.src_addr;
		fo = rte_be_to_cpu_16(h.fragment_offset);
		len = (uint16_t)(rte_be_to_cpu_16(h.total_length) - sizeof(h));
		assert_true((size_t)(fo & RTE_IPV4_HDR_OFFSET_MASK) * 8 + len <= sizeof(got.l4));
		assert_int_equal(rte_pktmbuf_pkt_len(m), L2 + sizeof(h) + len);
		{
			uint8_t *dst = got.l4 + (fo & RTE_IPV4_HDR_OFFSET_MASK) * 8;
			const void *p = rte_pktmbuf_read(m, L2 + sizeof(h), len, dst);

			assert_non_null(p);
			if (p != dst)
				memcpy(dst, p, len);
		}
		have += len;
		if (fo & RTE_IPV4_HDR_OFFSET_MASK)
			continue;
		got.ip = h;
	}
	assert_int_equal(have, sizeof(dg.l4));
	assert_int_equal(src, GW1);
	assert_int_equal(rte_be_to_cpu_16(uh->dst_port), 5353);
	assert_memory_equal(got.l4 + sizeof(*uh), dg.l4 + sizeof(*uh), DGRAM);
	/* the checksum over the datagram as it left, from scratch */
	got.ip.total_length = rte_cpu_to_be_16(sizeof(got));
	got.ip.fragment_offset = 0;
	assert_int_equal(rte_ipv4_udptcp_cksum_verify(&got.ip, uh), 0);
	assert_int_equal(ng_test_gw_release(&gw), want_frags);
}

static struct ng_reass *
reass_of(unsigned int wid)
{
	return gw.dp->workers[wid]->reass;
}

/* A fresh start: counters zeroed, both tables empty (a failed fixture leaves entries). */
static void
frag_reset(void)
{
	for (unsigned int i = 0; i < NWORKERS; i++) {
		struct ng_reass *r = reass_of(i);

		ng_reass_expire(gw.dp->workers[i], rte_rdtsc() + r->timeout_tsc + 1, r->n_ent);
	}
	ng_test_gw_reset(&gw);
}

/* In order, reversed, with a duplicate: reassembled, NATed, sent as 3 fragments. */
void
fx_frag_orders(void)
{
	static const unsigned int in_order[3] = {0, 1, 2}, reversed[3] = {2, 1, 0};
	uint16_t cport = cport_of(CLIENT, owner, 42000);
	uint16_t id = id_for(owner, 100);
	struct ng_worker *w = gw.dp->workers[owner];
	struct tb_frame f;

	frag_reset();
	dgram_make(cport, 1);
	send3(owner, id, in_order);
	assert_int_equal(w->stats.reass.reassembled, 1);
	assert_int_equal(w->stats.reass.fragments, 3);
	assert_int_equal(w->stats.reass.refragmented, 1);
	check_out(owner, 3);

	dgram_make(cport, 2);
	send3(owner, (uint16_t)(id_for(owner, (uint16_t)(id + 1))), reversed);
	assert_int_equal(w->stats.reass.reassembled, 2);
	check_out(owner, 3);

	/* icmp.fragment off drops other packets over the MTU, not a datagram that
	 * came in fragments: it goes on as fragments all the same. */
	gw.dp->fragment = false;
	dgram_make(cport, 4);
	send3(owner, (uint16_t)(id_for(owner, (uint16_t)(id + 2))), in_order);
	gw.dp->fragment = true;
	assert_int_equal(w->stats.reass.reassembled, 3);
	assert_int_equal(w->stats.reass.refragmented, 3);
	assert_int_equal(w->stats.reass.fragments_out, 9);
	check_out(owner, 3);

	/* A duplicate of the first fragment is dropped alone; the datagram completes. */
	dgram_make(cport, 3);
	id = id_for(owner, (uint16_t)(id + 100));
	frag_frame(&f, id, 0, FRAG, true);
	rx(owner, &f);
	rx(owner, &f);
	assert_int_equal(w->stats.port[P0].drop[NG_DROP_FRAG_DUPLICATE], 1);
	assert_int_equal(w->stats.reass.duplicates, 1);
	frag_frame(&f, id, FRAG, FRAG, true);
	rx(owner, &f);
	frag_frame(&f, id, 2 * FRAG, sizeof(dg.l4) - 2 * FRAG, false);
	rx(owner, &f);
	assert_int_equal(w->stats.reass.reassembled, 4);
	check_out(owner, 3);

	/* Smaller fragments than the egress MTU takes (6 of 512 bytes or less): the
	 * first one sent gathers its 1,480 bytes from 3 segments of the chain. */
	dgram_make(cport, 5);
	id = id_for(owner, (uint16_t)(id + 1));
	for (uint16_t off = 0; off < sizeof(dg.l4); off = (uint16_t)(off + 512)) {
		uint16_t len = (uint16_t)RTE_MIN(512u, sizeof(dg.l4) - off);

		frag_frame(&f, id, off, len, off + len < sizeof(dg.l4));
		rx(owner, &f);
	}
	assert_int_equal(w->stats.reass.reassembled, 5);
	assert_int_equal(w->stats.reass.fragments_out, 15);
	check_out(owner, 3);
	assert_int_equal(reass_of(owner)->n_used, 0);
	assert_int_equal(reass_of(owner)->held, 0);
}

/* Overlap discards the datagram; a missing fragment times out; too many; malformed. */
void
fx_frag_discard(void)
{
	uint16_t cport = cport_of(CLIENT, owner, 42100);
	uint16_t id = id_for(owner, 300);
	struct ng_worker *w = gw.dp->workers[owner];
	struct ng_reass *r = reass_of(owner);
	uint32_t saved = r->max_frags;
	struct tb_frame f;

	frag_reset();
	dgram_make(cport, 4);
	/* first fragment, then one that overlaps its last 8 bytes: both gone */
	frag_frame(&f, id, 0, FRAG, true);
	rx(owner, &f);
	frag_frame(&f, id, FRAG - 8, 16, true);
	rx(owner, &f);
	assert_int_equal(w->stats.reass.overlapping, 1);
	assert_int_equal(w->stats.port[P0].drop[NG_DROP_FRAG_OVERLAP], 2);
	assert_int_equal(r->n_used, 0);
	assert_int_equal(r->held, 0);
	/* a last fragment that ends before data already held: discarded too */
	frag_frame(&f, id, FRAG, FRAG, true);
	rx(owner, &f);
	frag_frame(&f, id, 24, 24, false);
	rx(owner, &f);
	assert_int_equal(w->stats.reass.overlapping, 2);
	assert_int_equal(r->held, 0);

	/* missing: the first and the last; the middle never comes */
	id = id_for(owner, (uint16_t)(id + 1));
	frag_frame(&f, id, 0, FRAG, true);
	rx(owner, &f);
	frag_frame(&f, id, 2 * FRAG, sizeof(dg.l4) - 2 * FRAG, false);
	rx(owner, &f);
	assert_int_equal(r->n_used, 1);
	assert_int_equal(r->held, 2);
	ng_reass_expire(w, rte_rdtsc() + r->timeout_tsc / 2, r->n_ent);
	assert_int_equal(r->n_used, 1); /* not yet */
	ng_reass_expire(w, rte_rdtsc() + r->timeout_tsc + 1, r->n_ent);
	assert_int_equal(r->n_used, 0);
	assert_int_equal(r->held, 0);
	assert_int_equal(w->stats.reass.timed_out, 1);
	assert_int_equal(w->stats.port[P0].drop[NG_DROP_FRAG_TIMEOUT], 2);

	/* too many: at most 4 fragments of a datagram; the fifth discards all */
	r->max_frags = 4;
	id = id_for(owner, (uint16_t)(id + 1));
	for (uint16_t k = 0; k < 5; k++) {
		frag_frame(&f, id, (uint16_t)(k * 24), 24, true);
		rx(owner, &f);
	}
	r->max_frags = saved;
	assert_int_equal(w->stats.reass.too_many, 1);
	assert_int_equal(w->stats.port[P0].drop[NG_DROP_FRAG_TOO_MANY], 5);
	assert_int_equal(r->held, 0);

	/* malformed: not a multiple of 8 with more to come; a tiny first fragment */
	frag_frame(&f, id, 0, 28, true);
	rx(owner, &f);
	frag_frame(&f, id, 0, 16, true);
	rx(owner, &f);
	assert_int_equal(w->stats.port[P0].drop[NG_DROP_FRAG_MALFORMED], 2);
	assert_int_equal(r->n_used, 0);
	assert_int_equal(ng_test_gw_in_use(&gw), 0);
	assert_int_equal(w->tx[P1].n, 0);
}

/*
 * A table of 16 datagrams: the 17th first fragment gives up the oldest of its
 * bucket (or any); at max_held a datagram under way still completes.
 */
void
fx_frag_table_full(void)
{
	struct ng_worker *w = gw.dp->workers[owner];
	struct ng_reass *r = reass_of(owner);
	uint32_t saved = r->max_datagrams;
	uint16_t id = 1000;
	struct tb_frame f;

	frag_reset();
	dgram_make(cport_of(CLIENT, owner, 42200), 5);
	r->max_datagrams = 16;
	for (unsigned int k = 0; k < 40; k++) {
		id = id_for(owner, (uint16_t)(id + 1));
		frag_frame(&f, id, 0, FRAG, true);
		rx(owner, &f);
		assert_true(r->n_used <= 16);
	}
	assert_int_equal(r->n_used, 16);
	assert_int_equal(w->stats.reass.table_full, 24);
	assert_int_equal(w->stats.port[P0].drop[NG_DROP_FRAG_TABLE_FULL], 24);
	/* a whole datagram still gets through a full table */
	id = id_for(owner, (uint16_t)(id + 1));
	send3(owner, id, (const unsigned int[3]){0, 1, 2});
	assert_int_equal(w->stats.reass.reassembled, 1);
	check_out(owner, 3);
	r->max_datagrams = saved;
	ng_reass_expire(w, rte_rdtsc() + r->timeout_tsc + 1, r->n_ent);
	assert_int_equal(r->n_used, 0);

	/* At max_held (16 fragments, one per datagram that never completes), a
	 * datagram under way keeps its place: others give way to its fragments. */
	saved = r->max_held;
	r->max_held = 16;
	for (unsigned int k = 0; k < 16; k++) {
		id = id_for(owner, (uint16_t)(id + 1));
		frag_frame(&f, id, 0, FRAG, true);
		rx(owner, &f);
	}
	assert_int_equal(r->held, 16);
	id = id_for(owner, (uint16_t)(id + 1));
	send3(owner, id, (const unsigned int[3]){0, 1, 2});
	assert_int_equal(w->stats.reass.reassembled, 2);
	check_out(owner, 3);
	assert_true(r->held <= 16);
	r->max_held = saved;
	ng_reass_expire(w, rte_rdtsc() + r->timeout_tsc + 1, r->n_ent);
	assert_int_equal(r->n_used, 0);
}

/*
 * Two workers: the fragments of one datagram arrive one on each. They meet on
 * the worker of hash(addresses, id, protocol); the whole datagram then goes
 * to the owner of its flow (by the client's port), the other worker.
 */
void
fx_frag_two_workers(void)
{
	uint16_t cport = cport_of(CLIENT, owner, 42300);
	uint16_t id = id_for(other, 2000); /* reassembled on other, flow owned by owner */
	struct ng_worker *wo = gw.dp->workers[owner], *wr = gw.dp->workers[other];
	struct tb_frame f;

	frag_reset();
	dgram_make(cport, 6);
	frag_frame(&f, id, 0, FRAG, true);
	rx(owner, &f);              /* to other's ring */
	frag_frame(&f, id, FRAG, FRAG, true);
	rx(other, &f);              /* held on other */
	frag_frame(&f, id, 2 * FRAG, sizeof(dg.l4) - 2 * FRAG, false);
	rx(owner, &f);              /* to other's ring */
	assert_int_equal(wo->stats.redirect_tx, 2);
	assert_int_equal(reass_of(other)->held, 1);
	assert_int_equal(ng_worker_drain_redirect(wr), 2);
	assert_int_equal(wr->stats.reass.reassembled, 1);
	assert_int_equal(wo->stats.reass.fragments, 0);
	/* the whole datagram, a chain, to the flow's owner */
	assert_int_equal(wr->stats.redirect_tx, 1);
	assert_int_equal(ng_worker_drain_redirect(wo), 1);
	check_out(owner, 3);
	assert_int_equal(ng_test_gw_drops(&gw, owner) + ng_test_gw_drops(&gw, other), 0);
	assert_int_equal(ng_test_gw_in_use(&gw), 0);
}
