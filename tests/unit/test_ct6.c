/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of IPv6 connections in the per-core connection table (lib/ct):
 * ng_ct_key6(), the reply keys derived from IPv6 entries, and IPv4 and IPv6
 * entries living in one table (insert, lookup both directions, bulk lookup,
 * delete, expiry, eviction).
 *
 * EAL runs with --no-huge and no shared config (rte_malloc needs it). Time
 * is a plain counter passed as "now".
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_eal.h>
#include <rte_errno.h>

#include "ct.h"
#include "frames6.h"

#define HZ 1000ull
#define T0 (1000 * HZ)
#define CAP 64

static unsigned int table_seq;

static struct ng_ct *
table(uint32_t cap)
{
	char name[32];
	struct ng_ct *ct;

	snprintf(name, sizeof(name), "ut_ct6_%u", table_seq++);
	ct = ng_ct_create(name, cap, SOCKET_ID_ANY);
	assert_non_null(ct);
	return ct;
}

static uint32_t
a4(uint32_t host)
{
	return rte_cpu_to_be_32(host);
}

static uint16_t
p16(uint16_t host)
{
	return rte_cpu_to_be_16(host);
}

/*
 * Connection i: even i IPv6 (client 2001:db8::i to VIP 2001:db8:100::10,
 * backend 2001:db8:200::(i % 8)), odd i IPv4 (198.18.0.i to 198.19.0.10,
 * backend 198.18.1.(i % 8)); FullNAT when i % 4 < 2, from the gateway's
 * address of the family and port 32768 + i, else DNAT.
 */
static void
fill(struct ng_conn *c, uint32_t i, uint64_t now)
{
	bool v6 = i % 2 == 0, fullnat = i % 4 < 2;
	uint8_t proto = i % 3 == 0 ? IPPROTO_UDP : IPPROTO_TCP;

	if (v6) {
		uint8_t s[16], d[16];

		a6(s, 0, 2 + i);
		a6(d, 0x100, 0x10);
		ng_ct_key6(&c->orig, s, d, p16((uint16_t)(10000 + i)), p16(443), proto);
		a6(c->backend.v6, 0x200, 2 + i % 8);
		if (fullnat)
			a6(c->snat.v6, 0, 1);
	} else {
		ng_ct_key4(&c->orig, a4(0xc6120000u + 2 + i), a4(0xc613000au),
				p16((uint16_t)(10000 + i)), p16(443), proto);
		c->backend.v4 = a4(0xc6120100u + 2 + i % 8);
		if (fullnat)
			c->snat.v4 = a4(0xc6120001u);
	}
	c->bport = p16(8443);
	if (fullnat) {
		c->flags |= NG_CT_F_FULLNAT;
		c->lport = p16((uint16_t)(32768 + i));
	}
	c->state = proto == IPPROTO_UDP ? NG_CT_UDP : NG_CT_ESTABLISHED;
	c->bidx = (uint16_t)(i % 8);
	c->last_tsc = now;
	c->expire_tsc = now + 900 * HZ;
}

static struct ng_conn *
add(struct ng_ct *ct, uint32_t i, uint64_t now)
{
	struct ng_conn *c = ng_ct_alloc(ct, now);

	assert_non_null(c);
	fill(c, i, now);
	assert_int_equal(ng_ct_insert(ct, c), 0);
	return c;
}

/*
 * The keys of the packets of conn i as the worker would build them from the
 * wire: the client's packet, and the backend's reply (to the FullNAT source
 * or, in DNAT, to the client). Built from i, not from the entry.
 */
static void
wire_keys(uint32_t i, struct ng_flow_key *orig, hash_sig_t *osig, struct ng_flow_key *reply,
		hash_sig_t *rsig)
{
	bool v6 = i % 2 == 0, fullnat = i % 4 < 2;
	uint8_t proto = i % 3 == 0 ? IPPROTO_UDP : IPPROTO_TCP;
	uint16_t cport = p16((uint16_t)(10000 + i));

	if (v6) {
		uint8_t cli[16], vip[16], be[16], gw[16];

		a6(cli, 0, 2 + i);
		a6(vip, 0x100, 0x10);
		a6(be, 0x200, 2 + i % 8);
		a6(gw, 0, 1);
		*osig = ng_ct_key6(orig, cli, vip, cport, p16(443), proto);
		*rsig = ng_ct_key6(reply, be, fullnat ? gw : cli, p16(8443),
				fullnat ? p16((uint16_t)(32768 + i)) : cport, proto);
	} else {
		uint32_t cli = a4(0xc6120000u + 2 + i), be = a4(0xc6120100u + 2 + i % 8);

		*osig = ng_ct_key4(orig, cli, a4(0xc613000au), cport, p16(443), proto);
		*rsig = ng_ct_key4(reply, be, fullnat ? a4(0xc6120001u) : cli, p16(8443),
				fullnat ? p16((uint16_t)(32768 + i)) : cport, proto);
	}
}

/* Conn i is found under both of its wire keys, in the right direction. */
static void
assert_found(struct ng_ct *ct, uint32_t i, const struct ng_conn *c)
{
	struct ng_flow_key ok, rk, derived;
	hash_sig_t os, rs;
	bool rep = true;

	wire_keys(i, &ok, &os, &rk, &rs);
	assert_int_equal(os, ng_ct_hash(&ok));
	assert_int_equal(rs, ng_ct_hash(&rk));
	/* the reply key the table derives from the entry is the wire's */
	ng_ct_reply_key(c, &derived);
	assert_memory_equal(&derived, &rk, sizeof(rk));
	assert_ptr_equal(ng_ct_lookup_sig(ct, &ok, os, &rep), c);
	assert_false(rep);
	assert_ptr_equal(ng_ct_lookup_sig(ct, &rk, rs, &rep), c);
	assert_true(rep);
}

static void
assert_absent(struct ng_ct *ct, uint32_t i)
{
	struct ng_flow_key ok, rk;
	hash_sig_t os, rs;

	wire_keys(i, &ok, &os, &rk, &rs);
	assert_true(ng_ct_key_free_sig(ct, &ok, os));
	assert_true(ng_ct_key_free_sig(ct, &rk, rs));
}

static int
group_setup(void **state)
{
	char prefix[64];
	char *argv[] = {
		"test_ct6", "--no-huge", "-m", "256", "--no-pci", "--no-shconf",
		"--file-prefix", prefix, "-l", "0", "--log-level", "lib.*:error", NULL,
	};

	(void)state;
	snprintf(prefix, sizeof(prefix), "ng-ut-ct6-%d", (int)getpid());
	if (rte_eal_init((int)RTE_DIM(argv) - 1, argv) < 0) {
		fprintf(stderr, "rte_eal_init: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	rte_eal_cleanup();
	return 0;
}

/* ng_ct_key6() writes the key the fields say and returns its hash. */
static void
key6_layout(void **state)
{
	struct ng_flow_key k, f;
	uint8_t s[16], d[16];
	hash_sig_t h;

	(void)state;
	a6(s, 0, 0x5678);
	a6(d, 0x100, 0x10);
	memset(&k, 0xa5, sizeof(k));
	h = ng_ct_key6(&k, s, d, p16(40000), p16(443), IPPROTO_TCP);
	memset(&f, 0, sizeof(f));
	memcpy(f.src.v6, s, 16);
	memcpy(f.dst.v6, d, 16);
	f.sport = p16(40000);
	f.dport = p16(443);
	f.proto = IPPROTO_TCP;
	f.family = AF_INET6;
	assert_memory_equal(&k, &f, sizeof(f));
	assert_int_equal(h, ng_ct_hash(&f));
	assert_int_equal(ng_ct_key_cmp(&k, &f), 0);
	/* every byte of an address counts */
	for (int i = 0; i < 16; i++) {
		struct ng_flow_key g;

		s[i] ^= 0x80;
		assert_int_not_equal(ng_ct_key6(&g, s, d, p16(40000), p16(443), IPPROTO_TCP), h);
		assert_int_not_equal(ng_ct_key_cmp(&g, &k), 0);
		s[i] ^= 0x80;
		d[i] ^= 0x01;
		ng_ct_key6(&g, s, d, p16(40000), p16(443), IPPROTO_TCP);
		assert_int_not_equal(ng_ct_key_cmp(&g, &k), 0);
		d[i] ^= 0x01;
	}
	/* an IPv4 key with the same first bytes is another key */
	{
		struct ng_flow_key k4;
		uint32_t v4;

		memcpy(&v4, s, 4);
		ng_ct_key4(&k4, v4, v4, p16(40000), p16(443), IPPROTO_TCP);
		assert_int_not_equal(ng_ct_key_cmp(&k4, &k), 0);
	}
}

/* The entry holds IPv6 addresses by value: one size for both families. */
static void
entry_holds_ipv6(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct ng_conn), 128);
	assert_int_equal(sizeof(((struct ng_conn *)0)->backend), 16);
	assert_int_equal(sizeof(((struct ng_conn *)0)->snat), 16);
	assert_int_equal(sizeof(((struct ng_conn *)0)->orig.src), 16);
	/* memory per connection is the same figure for IPv4 and IPv6:
	 * entry 128 + free ring 4 + buckets (2.5 slots of 8 bytes, rounded up) */
	assert_in_range(ng_ct_mem_bytes(1u << 20) / (1u << 20), 132 + 20, 132 + 40);
}

/* IPv4 and IPv6 connections, FullNAT and DNAT, in one table. */
static void
mixed_families(void **state)
{
	struct ng_ct *ct = table(CAP);
	struct ng_conn *c[CAP / 2];

	(void)state;
	for (uint32_t i = 0; i < CAP / 2; i++)
		c[i] = add(ct, i, T0);
	assert_int_equal(ct->n_keys, CAP);
	for (uint32_t i = 0; i < CAP / 2; i++)
		assert_found(ct, i, c[i]);
	/* delete every third, the rest stay found, the deleted are gone */
	for (uint32_t i = 0; i < CAP / 2; i += 3)
		ng_ct_delete(ct, c[i]);
	for (uint32_t i = 0; i < CAP / 2; i++) {
		if (i % 3 == 0)
			assert_absent(ct, i);
		else
			assert_found(ct, i, c[i]);
	}
	/* conn 8 (IPv6, FullNAT): its reply key with another FullNAT port, or
	 * another backend, is nobody's */
	{
		struct ng_flow_key ok, rk, k;
		hash_sig_t os, rs;

		wire_keys(8, &ok, &os, &rk, &rs);
		k = rk;
		k.dport ^= 1;
		assert_true(ng_ct_key_free(ct, &k));
		k = rk;
		k.src.v6[8] ^= 1;
		assert_true(ng_ct_key_free(ct, &k));
		assert_false(ng_ct_key_free(ct, &rk));
	}
	ng_ct_free(ct);
}

/* One bulk lookup of IPv4 and IPv6 keys, both directions, hits and misses. */
static void
mixed_bulk(void **state)
{
	struct ng_ct *ct = table(CAP);
	struct ng_flow_key keys[NG_CT_BULK_MAX];
	const struct ng_flow_key *kp[NG_CT_BULK_MAX];
	struct ng_conn *c[8], *found[NG_CT_BULK_MAX];
	hash_sig_t sig[NG_CT_BULK_MAX];
	uint64_t reply = 0;

	(void)state;
	for (uint32_t i = 0; i < 8; i++)
		c[i] = add(ct, i, T0);
	/* keys 0..7 originals, 8..15 replies, 16..31 conns never added */
	for (uint32_t i = 0; i < NG_CT_BULK_MAX; i++) {
		struct ng_flow_key other;
		hash_sig_t os;

		if (i < 8)
			wire_keys(i, &keys[i], &sig[i], &other, &os);
		else if (i < 16)
			wire_keys(i - 8, &other, &os, &keys[i], &sig[i]);
		else
			wire_keys(100 + i, &keys[i], &sig[i], &other, &os);
		kp[i] = &keys[i];
	}
	assert_int_equal(ng_ct_lookup_bulk(ct, kp, sig, NG_CT_BULK_MAX, found, &reply), 16);
	for (uint32_t i = 0; i < NG_CT_BULK_MAX; i++) {
		if (i < 16)
			assert_ptr_equal(found[i], c[i % 8]);
		else
			assert_null(found[i]);
	}
	assert_int_equal(reply, 0xff00ull);
	assert_int_equal(ng_ct_present_bulk(ct, kp, sig, NG_CT_BULK_MAX), 0xffffull);
	ng_ct_free(ct);
}

/* Expiry and eviction treat both families alike; the index stays exact. */
static void
mixed_expire_and_evict(void **state)
{
	struct ng_ct *ct = table(CAP);
	struct ng_conn *c[CAP];
	uint32_t live = 0;

	(void)state;
	/* fill the table, older entries first */
	for (uint32_t i = 0; i < CAP; i++)
		c[i] = add(ct, i, T0 + i);
	/* odd (IPv4) entries of the first half expire early */
	for (uint32_t i = 1; i < CAP / 2; i += 2)
		c[i]->expire_tsc = T0 + 10 * HZ;
	assert_int_equal(ng_ct_expire(ct, T0 + 20 * HZ, CAP), CAP / 4);
	for (uint32_t i = 0; i < CAP; i++) {
		if (i < CAP / 2 && i % 2 == 1)
			assert_absent(ct, i);
		else
			assert_found(ct, i, c[i]);
	}
	/* refill, then insert 16 more: full table evicts, never fails */
	for (uint32_t i = CAP; i < CAP + CAP / 4; i++)
		add(ct, i, T0 + 30 * HZ);
	assert_int_equal(ct->n_used, CAP);
	for (uint32_t i = CAP + CAP / 4; i < CAP + CAP / 2; i++)
		add(ct, i, T0 + 40 * HZ);
	assert_int_equal(ct->stats.evicted, CAP / 4);
	assert_int_equal(ct->stats.insert_failed, 0);
	assert_int_equal(ct->n_used, CAP);
	assert_int_equal(ct->n_keys, 2 * CAP);
	/* every live entry, of either family, is found under both wire keys */
	for (uint32_t i = 0; i < CAP; i++) {
		struct ng_conn *e = &ct->conns[i];
		struct ng_flow_key rk;
		bool rep;

		if (e->state == NG_CT_FREE)
			continue;
		live++;
		assert_ptr_equal(ng_ct_lookup(ct, &e->orig, &rep), e);
		assert_false(rep);
		ng_ct_reply_key(e, &rk);
		assert_ptr_equal(ng_ct_lookup(ct, &rk, &rep), e);
		assert_true(rep);
		assert_true(e->orig.family == AF_INET || e->orig.family == AF_INET6);
	}
	assert_int_equal(live, CAP);
	/* the newest (i >= CAP + CAP / 4) all made it */
	for (uint32_t i = CAP + CAP / 4; i < CAP + CAP / 2; i++) {
		struct ng_flow_key ok, rk;
		hash_sig_t os, rs;

		wire_keys(i, &ok, &os, &rk, &rs);
		assert_false(ng_ct_key_free_sig(ct, &ok, os));
		assert_false(ng_ct_key_free_sig(ct, &rk, rs));
	}
	ng_ct_free(ct);
}

/* An IPv6 affinity record (client and frontend, no reply key). */
static void
affinity6(void **state)
{
	struct ng_ct *ct = table(CAP);
	struct ng_conn *a = ng_ct_alloc(ct, T0);
	uint8_t cli[16], vip[16];
	struct ng_flow_key k, rk;
	bool rep;

	(void)state;
	a6(cli, 0, 7);
	a6(vip, 0x100, 0x10);
	ng_ct_key6(&a->orig, cli, vip, 0, p16(443), IPPROTO_TCP | NG_CT_PROTO_AFFINITY);
	a6(a->backend.v6, 0x200, 3);
	a->bport = p16(8443);
	a->state = NG_CT_AFFINITY;
	a->bidx = NG_CT_BIDX_NONE;
	a->expire_tsc = T0 + 100 * HZ;
	assert_int_equal(ng_ct_insert(ct, a), 0);
	assert_int_equal(ct->n_keys, 1);
	ng_ct_key6(&k, cli, vip, 0, p16(443), IPPROTO_TCP | NG_CT_PROTO_AFFINITY);
	assert_ptr_equal(ng_ct_lookup(ct, &k, &rep), a);
	/* the connection key of the same client is another key */
	ng_ct_key6(&k, cli, vip, 0, p16(443), IPPROTO_TCP);
	assert_null(ng_ct_lookup(ct, &k, &rep));
	ng_ct_reply_key(a, &rk);
	assert_null(ng_ct_lookup(ct, &rk, &rep));
	ng_ct_free(ct);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(key6_layout),
		cmocka_unit_test(entry_holds_ipv6),
		cmocka_unit_test(mixed_families),
		cmocka_unit_test(mixed_bulk),
		cmocka_unit_test(mixed_expire_and_evict),
		cmocka_unit_test(affinity6),
	};

	return cmocka_run_group_tests_name("ct6", tests, group_setup, group_teardown);
}
