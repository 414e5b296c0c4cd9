/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv6 fragments to a service (ip6-reass, reass_dp.c) and the way out
 * (ip6-forward, ip6_frag_dp.c), through the worker's graph on tests/lib's
 * gateway:
 *   p0  2001:db8::1/64    client 2001:db8::2
 *   p1  2001:db8:1::1/64  backend 2001:db8:1::10
 *   dns6  udp [2001:db8:100::53]:53 -> :5353, FullNAT
 * A UDP datagram of 3,000 bytes in three fragments (1,496 bytes of IPv6 at
 * most): in order, reversed, duplicated, in six smaller ones; overlapping
 * (discarded), missing (timed out), in too many fragments; an atomic
 * fragment (a whole packet); refragmented no larger than the largest
 * received, or packet too big when that is over the egress MTU; fragments
 * on both workers. The test puts what left together again and checks every
 * byte, the fragment headers and the UDP checksum by full recomputation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "ng_hash.h"
#include "ng_test_frame6.h"
#include "ng_test_gw.h"
#include "port.h"
#include "reass_dp.h"
#include "svc.h"
#include "worker.h"

enum { P0, P1 };
#define NWORKERS 2
#define L2 ((uint16_t)sizeof(struct rte_ether_hdr))
#define DGRAM 3000                     /* UDP payload */
#define L4 (sizeof(struct rte_udp_hdr) + DGRAM)
#define FRAG 1448                      /* data of a full fragment: 1,496 bytes of IPv6 */
#define FH 8                           /* the fragment header */

static struct ng_test_gw gw;
static char err[NG_ERRBUF];
static uint8_t GW0[16], GW1[16], CLIENT[16], BE[16], VIP[16];
static const struct rte_ether_addr client_mac = {{0x02, 0, 0, 0x26, 0, 0x02}};
static const struct rte_ether_addr be_mac = {{0x02, 0, 0, 0x26, 1, 0x10}};

/* The datagram as the client sent it: its UDP header and payload. */
static uint8_t dg[L4];

static unsigned int
flow_owner(uint16_t cport)
{
	return (unsigned int)(ng_hash_client6(CLIENT, rte_cpu_to_be_16(cport)) % NWORKERS);
}

static unsigned int
reass_owner(uint32_t id)
{
	return ng_reass_owner6(CLIENT, VIP, rte_cpu_to_be_32(id), NWORKERS);
}

/* The first id from `from` whose fragments worker wid reassembles. */
static uint32_t
id_on(unsigned int wid, uint32_t from)
{
	while (reass_owner(from) != wid)
		from++;
	return from;
}

/* The first client port from `from` whose flow worker wid owns. */
static uint16_t
cport_on(unsigned int wid, uint16_t from)
{
	while (flow_owner(from) != wid)
		from++;
	return from;
}

static int
group_setup(void **state)
{
	static const struct ng_test_gw_opts o = {
		.name = "frag6", .n_ports = 2,
		.addrs = {"198.18.0.1/24,2001:db8::1/64", "198.18.1.1/24,2001:db8:1::1/64"},
		.n_workers = NWORKERS, .mem_mb = 512, .ct_entries = 4096, .services = true,
		.lport_min = 40000, .lport_max = 40999,
	};
	struct ng_svc_spec s = {.name = "dns6", .proto = IPPROTO_UDP,
			.scheduler = NG_SCHED_MAGLEV, .mode = NG_FWD_FULLNAT};
	struct ng_frontend fe = {.port = 53};
	struct ng_ip c = tb_addr("2001:db8::2"), b = tb_addr("2001:db8:1::10");

	(void)state;
	tb_addr6("2001:db8::1", GW0);
	tb_addr6("2001:db8:1::1", GW1);
	tb_addr6("2001:db8::2", CLIENT);
	tb_addr6("2001:db8:1::10", BE);
	tb_addr6("2001:db8:100::53", VIP);
	fe.addr = tb_addr("2001:db8:100::53");
	if (ng_test_gw_up(&gw, &o) != 0)
		return -1;
	if (ng_route_neigh_add(&gw.rt, &c, &client_mac, "p0", err, sizeof(err)) != 0 ||
			ng_route_neigh_add(&gw.rt, &b, &be_mac, "p1", err, sizeof(err)) != 0 ||
			ng_svc_add(&s, err, sizeof(err)) != 0 ||
			ng_svc_frontend_add("dns6", &fe, err, sizeof(err)) != 0 ||
			ng_svc_backend_set("dns6", &b, 5353, 1, err, sizeof(err)) != 0 ||
			ng_svc_commit(err, sizeof(err)) != 0) {
		fprintf(stderr, "setup: %s\n", err);
		return -1;
	}
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	return ng_test_gw_down(&gw);
}

/* dg: UDP from cport to 53, DGRAM bytes of payload from seed, its checksum. */
static void
dgram_make(uint16_t cport, uint8_t seed)
{
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)dg;
	struct rte_ipv6_hdr ip = {.payload_len = rte_cpu_to_be_16(L4), .proto = IPPROTO_UDP};

	memcpy(ip.src_addr, CLIENT, 16);
	memcpy(ip.dst_addr, VIP, 16);
	uh->src_port = rte_cpu_to_be_16(cport);
	uh->dst_port = rte_cpu_to_be_16(53);
	uh->dgram_len = rte_cpu_to_be_16(L4);
	uh->dgram_cksum = 0;
	for (unsigned int i = 0; i < DGRAM; i++)
		dg[sizeof(*uh) + i] = (uint8_t)(i * 7 + seed);
	uh->dgram_cksum = rte_ipv6_udptcp_cksum(&ip, uh);
}

/* f: a fragment of dg, len bytes from off, with M as mf, identification id. */
static void
frag_frame(struct tb_frame *f, uint32_t id, uint16_t off, uint16_t len, bool mf)
{
	struct rte_ipv6_fragment_ext *fh;

	tb_eth(f, &gw.port_mac[P0], &client_mac, TB_NO_VLAN, RTE_ETHER_TYPE_IPV6);
	tb_ip6(f, CLIENT, VIP, IPPROTO_FRAGMENT, 64, (uint16_t)(FH + len));
	fh = (struct rte_ipv6_fragment_ext *)&f->b[f->l2 + 40];
	fh->next_header = IPPROTO_UDP;
	fh->reserved = 0;
	fh->frag_data = rte_cpu_to_be_16((uint16_t)(off | (mf ? 1 : 0)));
	fh->id = rte_cpu_to_be_32(id);
	memcpy(&f->b[f->l2 + 40 + FH], dg + off, len);
	f->port = P0;
}

/* Run one frame through worker wid (counters go on adding up). */
static void
rx(unsigned int wid, const struct tb_frame *f)
{
	struct rte_mbuf *m = tb_mbuf(gw.pool, f, gw.port_id[f->port]);

	ng_worker_process(gw.dp->workers[wid], &m, 1);
}

/* The three fragments of dg (id) in the order of idx[] through worker wid. */
static void
send3(unsigned int wid, uint32_t id, const unsigned int idx[3])
{
	static const uint16_t off[3] = {0, FRAG, 2 * FRAG};
	static const uint16_t len[3] = {FRAG, FRAG, L4 - 2 * FRAG};
	struct tb_frame f;

	for (unsigned int i = 0; i < 3; i++) {
		frag_frame(&f, id, off[idx[i]], len[idx[i]], idx[i] != 2);
		rx(wid, &f);
	}
}

/*
 * What worker wid sent on P1: want fragments of one datagram, each at most
 * size bytes of IPv6, to the backend from the FullNAT source, under one
 * identification of the worker's; put them together and check dg's
 * payload and the UDP checksum (recomputed in full).
 */
static void
check_out(unsigned int wid, unsigned int want, uint16_t size)
{
	struct ng_worker *w = gw.dp->workers[wid];
	static uint8_t got[L4];
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)got;
	struct rte_ipv6_hdr whole;
	uint32_t have = 0, id = 0;

	assert_int_equal(w->tx[P1].n, want);
	memset(got, 0, sizeof(got));
	for (unsigned int i = 0; i < want; i++) {
		struct rte_mbuf *m = w->tx[P1].pkts[i];
		const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
		const struct rte_ipv6_hdr *ip = (const struct rte_ipv6_hdr *)(p + L2);
		const struct rte_ipv6_fragment_ext *fh = (const void *)(ip + 1);
		uint16_t plen = rte_be_to_cpu_16(ip->payload_len), fo, len;

		assert_int_equal(m->nb_segs, 1); /* every fragment one segment */
		assert_int_equal(rte_pktmbuf_pkt_len(m), L2 + 40 + plen);
		assert_true(40u + plen <= size);
		assert_int_equal(ip->proto, IPPROTO_FRAGMENT);
		assert_int_equal(fh->next_header, IPPROTO_UDP);
		assert_int_equal(ip->hop_limits, 63);
		tb_assert_addr6(ip->src_addr, GW1);
		tb_assert_addr6(ip->dst_addr, BE);
		assert_memory_equal(p, &be_mac, RTE_ETHER_ADDR_LEN);
		if (i == 0)
			id = fh->id;
		assert_int_equal(fh->id, id);
		fo = rte_be_to_cpu_16(fh->frag_data);
		len = (uint16_t)(plen - FH);
		assert_true((fo & ~7u) + len <= L4);
		assert_int_equal((fo & 1) != 0, i + 1 < want); /* M but on the last */
		assert_true(i + 1 == want || len % 8 == 0);
		memcpy(got + (fo & ~7u), p + L2 + 40 + FH, len);
		have += len;
		if (i == 0)
			memcpy(&whole, ip, sizeof(whole));
	}
	/* the worker's id in the identification's top byte */
	assert_int_equal(rte_be_to_cpu_32(id) >> 24, wid);
	assert_int_equal(have, L4);
	assert_int_equal(rte_be_to_cpu_16(uh->dst_port), 5353);
	assert_memory_equal(got + sizeof(*uh), dg + sizeof(*uh), DGRAM);
	whole.payload_len = rte_cpu_to_be_16(L4);
	whole.proto = IPPROTO_UDP;
	assert_int_equal(rte_ipv6_udptcp_cksum_verify(&whole, uh), 0);
	assert_int_equal(ng_test_gw_release(&gw), want);
}

/* A fresh start: counters zeroed, both tables empty. */
static void
frag_reset(void)
{
	for (unsigned int i = 0; i < NWORKERS; i++) {
		struct ng_reass *r = gw.dp->workers[i]->reass;

		ng_reass_expire(gw.dp->workers[i], rte_rdtsc() + r->timeout_tsc + 1, r->n_ent);
	}
	ng_test_gw_reset(&gw);
}

/*
 * In order, reversed, with a duplicate: reassembled, NATed, sent as 3
 * fragments of at most 1,496 bytes; six of 560 bytes leave as six again.
 */
static void
orders(void **state)
{
	static const unsigned int in_order[3] = {0, 1, 2}, reversed[3] = {2, 1, 0};
	uint16_t cport = cport_on(0, 42000);
	uint32_t id = id_on(0, 100);
	struct ng_worker *w = gw.dp->workers[0];
	struct ng_reass *r = w->reass;
	struct tb_frame f;

	(void)state;
	frag_reset();
	dgram_make(cport, 1);
	send3(0, id, in_order);
	assert_int_equal(w->stats.reass.fragments, 3);
	assert_int_equal(w->stats.reass.reassembled, 1);
	assert_int_equal(w->stats.reass.refragmented, 1);
	check_out(0, 3, 40 + FH + FRAG);

	dgram_make(cport, 2);
	send3(0, id_on(0, id + 1), reversed);
	assert_int_equal(w->stats.reass.reassembled, 2);
	check_out(0, 3, 40 + FH + FRAG);

	/* a duplicate of the first fragment is dropped alone */
	dgram_make(cport, 3);
	id = id_on(0, id + 100);
	frag_frame(&f, id, 0, FRAG, true);
	rx(0, &f);
	rx(0, &f);
	assert_int_equal(w->stats.port[P0].drop[NG_DROP_FRAG_DUPLICATE], 1);
	assert_int_equal(w->stats.reass.duplicates, 1);
	frag_frame(&f, id, FRAG, FRAG, true);
	rx(0, &f);
	frag_frame(&f, id, 2 * FRAG, L4 - 2 * FRAG, false);
	rx(0, &f);
	assert_int_equal(w->stats.reass.reassembled, 3);
	check_out(0, 3, 40 + FH + FRAG);

	/* six fragments of 512 bytes (560 of IPv6): sent on at that size */
	dgram_make(cport, 4);
	id = id_on(0, id + 1);
	for (uint16_t off = 0; off < L4; off = (uint16_t)(off + 512)) {
		uint16_t len = (uint16_t)RTE_MIN(512u, L4 - off);

		frag_frame(&f, id, off, len, off + len < L4);
		rx(0, &f);
	}
	assert_int_equal(w->stats.reass.reassembled, 4);
	assert_int_equal(w->stats.reass.fragments_out, 3 + 3 + 3 + 6);
	check_out(0, 6, 40 + FH + 512);
	assert_int_equal(r->n_used, 0);
	assert_int_equal(r->held, 0);
	assert_int_equal(ng_test_gw_in_use(&gw), 0);
}

/* Overlap discards the datagram; a missing fragment times out; too many; malformed. */
static void
discard(void **state)
{
	uint32_t id = id_on(0, 300);
	struct ng_worker *w = gw.dp->workers[0];
	struct ng_reass *r = w->reass;
	uint32_t saved = r->max_frags;
	struct tb_frame f;

	(void)state;
	frag_reset();
	dgram_make(cport_on(0, 42100), 5);
	/* RFC 5722: a fragment overlapping the first's last 8 bytes: both gone */
	frag_frame(&f, id, 0, FRAG, true);
	rx(0, &f);
	frag_frame(&f, id, FRAG - 8, 16, true);
	rx(0, &f);
	assert_int_equal(w->stats.reass.overlapping, 1);
	assert_int_equal(w->stats.port[P0].drop[NG_DROP_FRAG_OVERLAP], 2);
	assert_int_equal(r->n_used, 0);
	assert_int_equal(r->held, 0);

	/* missing: the first and the last; the middle never comes */
	id = id_on(0, id + 1);
	frag_frame(&f, id, 0, FRAG, true);
	rx(0, &f);
	frag_frame(&f, id, 2 * FRAG, L4 - 2 * FRAG, false);
	rx(0, &f);
	assert_int_equal(r->held, 2);
	ng_reass_expire(w, rte_rdtsc() + r->timeout_tsc / 2, r->n_ent);
	assert_int_equal(r->n_used, 1); /* not yet */
	ng_reass_expire(w, rte_rdtsc() + r->timeout_tsc + 1, r->n_ent);
	assert_int_equal(r->n_used, 0);
	assert_int_equal(w->stats.reass.timed_out, 1);
	assert_int_equal(w->stats.port[P0].drop[NG_DROP_FRAG_TIMEOUT], 2);

	/* too many: at most 4 fragments of a datagram; the fifth discards all */
	r->max_frags = 4;
	id = id_on(0, id + 1);
	for (uint16_t k = 0; k < 5; k++) {
		frag_frame(&f, id, (uint16_t)(k * 24), 24, true);
		rx(0, &f);
	}
	r->max_frags = saved;
	assert_int_equal(w->stats.reass.too_many, 1);
	assert_int_equal(w->stats.port[P0].drop[NG_DROP_FRAG_TOO_MANY], 5);
	assert_int_equal(r->held, 0);

	/* a tiny first fragment (RFC 1858's rule, as for IPv4) */
	frag_frame(&f, id_on(0, id + 1), 0, 16, true);
	rx(0, &f);
	assert_int_equal(w->stats.port[P0].drop[NG_DROP_FRAG_MALFORMED], 1);
	assert_int_equal(r->n_used, 0);
	assert_int_equal(w->tx[P1].n, 0);
	assert_int_equal(ng_test_gw_in_use(&gw), 0);
}

/*
 * An atomic fragment (offset 0, M clear, RFC 6946) is a whole packet: not
 * held, NATed with its fragment header, sent as it came.
 */
static void
atomic(void **state)
{
	uint16_t cport = cport_on(1, 42200);
	struct ng_worker *w = gw.dp->workers[1];
	struct tb_frame f, out;

	(void)state;
	frag_reset();
	dgram_make(cport, 6);
	((struct rte_udp_hdr *)dg)->dgram_len = rte_cpu_to_be_16(8 + 100);
	frag_frame(&f, 77, 0, 8 + 100, false);
	rx(1, &f);
	assert_int_equal(w->stats.reass.fragments, 0);
	assert_int_equal(w->tx[P1].n, 1);
	tb_from_mbuf(&out, w->tx[P1].pkts[0], P1);
	assert_int_equal(out.len, f.len);
	assert_int_equal(tb_ip6_hdr(&out)->proto, IPPROTO_FRAGMENT);
	tb_assert_addr6(tb_ip6_hdr(&out)->dst_addr, BE);
	assert_int_equal(ng_test_gw_release(&gw), 1);
}

/*
 * The largest fragment (1,496 bytes) over the egress MTU of 1,280: packet
 * too big to the client with the MTU, about its own packet (from the VIP),
 * and the datagram dropped; at an MTU of 1,496 it goes on.
 */
static void
too_big(void **state)
{
	uint16_t cport = cport_on(0, 42300);
	struct ng_worker *w = gw.dp->workers[0];
	struct tb_frame out;
	uint32_t mtu;

	(void)state;
	frag_reset();
	dgram_make(cport, 7);
	ng_port_dp[gw.port_id[P1]].mtu = 1280;
	send3(0, id_on(0, 500), (const unsigned int[3]){0, 1, 2});
	assert_int_equal(w->stats.reass.reassembled, 1);
	assert_int_equal(w->stats.port[P0].drop[NG_DROP_MTU], 1);
	assert_int_equal(w->tx[P1].n, 0);
	assert_int_equal(w->tx[P0].n, 1);
	tb_from_mbuf(&out, w->tx[P0].pkts[0], P0);
	tb_assert_addr6(tb_ip6_hdr(&out)->src_addr, VIP);
	tb_assert_addr6(tb_ip6_hdr(&out)->dst_addr, CLIENT);
	assert_int_equal(out.b[out.l2 + 40], 2); /* packet too big */
	memcpy(&mtu, &out.b[out.l2 + 40 + 4], 4);
	assert_int_equal(rte_be_to_cpu_32(mtu), 1280);
	tb_check_l4_cksum6(&out);
	/* the quote: the client's datagram as the client sent it (from the VIP's side) */
	tb_assert_addr6(&out.b[out.l2 + 48 + 8], CLIENT);
	tb_assert_addr6(&out.b[out.l2 + 48 + 24], VIP);
	assert_int_equal(ng_test_gw_release(&gw), 1);

	ng_port_dp[gw.port_id[P1]].mtu = 40 + FH + FRAG;
	send3(0, id_on(0, 600), (const unsigned int[3]){2, 0, 1});
	check_out(0, 3, 40 + FH + FRAG);
	ng_port_dp[gw.port_id[P1]].mtu = 1500;
	assert_int_equal(ng_test_gw_in_use(&gw), 0);
}

/*
 * Two workers: the fragments of one datagram arrive one on each. They meet
 * on the worker of hash(source, destination, identification); the whole
 * datagram then goes to the owner of its flow (by the client's port), the
 * other worker, and leaves there.
 */
static void
two_workers(void **state)
{
	uint16_t cport = cport_on(0, 42400);
	uint32_t id = id_on(1, 2000); /* reassembled on 1, the flow owned by 0 */
	struct ng_worker *w0 = gw.dp->workers[0], *w1 = gw.dp->workers[1];
	struct tb_frame f;

	(void)state;
	frag_reset();
	dgram_make(cport, 8);
	frag_frame(&f, id, 0, FRAG, true);
	rx(0, &f);                  /* to 1's ring */
	frag_frame(&f, id, FRAG, FRAG, true);
	rx(1, &f);                  /* held on 1 */
	frag_frame(&f, id, 2 * FRAG, L4 - 2 * FRAG, false);
	rx(0, &f);                  /* to 1's ring */
	assert_int_equal(w0->stats.redirect_tx, 2);
	assert_int_equal(w1->reass->held, 1);
	assert_int_equal(ng_worker_drain_redirect(w1), 2);
	assert_int_equal(w1->stats.reass.reassembled, 1);
	assert_int_equal(w0->stats.reass.fragments, 0);
	/* the whole datagram, a chain, to the flow's owner */
	assert_int_equal(w1->stats.redirect_tx, 1);
	assert_int_equal(ng_worker_drain_redirect(w0), 1);
	check_out(0, 3, 40 + FH + FRAG);
	assert_int_equal(ng_test_gw_drops(&gw, 0) + ng_test_gw_drops(&gw, 1), 0);
	assert_int_equal(ng_test_gw_in_use(&gw), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(orders),
		cmocka_unit_test(discard),
		cmocka_unit_test(atomic),
		cmocka_unit_test(too_big),
		cmocka_unit_test(two_workers),
	};

	return cmocka_run_group_tests_name("frag6", tests, group_setup, group_teardown);
}
