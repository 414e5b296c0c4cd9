/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the service-stage fixtures share: frames toward the topology, output
 * checks, one packet through a worker with its verdict checked, flows (a
 * connection as the test drives it) and the service control API.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_icmp.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "lb_fixtures.h"
#include "ng_addr.h"
#include "ng_hash.h"
#include "ng_limits.h"
#include "pkt.h"

static const uint8_t be_host[N_BACKENDS] = {11, 12, 13};
static const struct rte_ether_addr bcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
static const struct rte_ether_addr zero_mac;
const struct rte_ether_addr client_mac = {{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}};

uint32_t
be_addr(unsigned int i)
{
	return tb_ip(198, 18, 1, be_host[i]);
}

/* MAC of a host of the topology: 02:00:00:00:<subnet>:<host>. */
struct rte_ether_addr
mac_of(uint32_t addr)
{
	uint32_t h = rte_be_to_cpu_32(addr);
	struct rte_ether_addr m = {{0x02, 0x00, 0x00, 0x00, (uint8_t)(h >> 8), (uint8_t)h}};

	return m;
}

int
be_index(uint32_t addr)
{
	for (unsigned int i = 0; i < N_BACKENDS; i++)
		if (be_addr(i) == addr)
			return (int)i;
	return -1;
}

/* ---- the topology ---- */

/* A static neighbour through the route control API. */
int
add_neighbour(uint8_t port, uint32_t addr)
{
	struct ng_ip a = {.family = AF_INET, .v4 = addr};
	struct rte_ether_addr mac = mac_of(addr);
	char err[NG_ERRBUF] = "";

	if (ng_route_neigh_add(&gw.rt, &a, &mac, port == P0 ? "p0" : "p1", err, sizeof(err)) == 0)
		return 0;
	fprintf(stderr, "neighbour: %s\n", err);
	return -1;
}

int
lb_gw_up(const char *name)
{
	return lb_gw_up_with(name, NULL, LPORT_MIN, LPORT_MAX);
}

int
lb_gw_up_with(const char *name, const char *fullnat_p1, uint16_t lport_min, uint16_t lport_max)
{
	const struct ng_test_gw_opts o = {
		.name = name, .n_ports = NPORTS,
		.addrs = {"198.18.0.1/24", "198.18.1.1/24"},
		.fullnat = {NULL, fullnat_p1},
		.n_workers = NWORKERS, .mem_mb = 512, .ct_entries = 4096, .services = true,
		.lport_min = lport_min, .lport_max = lport_max,
	};

	if (ng_test_gw_up(&gw, &o) != 0)
		return -1;
	owner = owner_of_client(CLIENT);
	other = (owner + 1) % NWORKERS;
	client2 = 0;
	for (uint8_t h = 3; h < 250 && client2 == 0; h++)
		if (owner_of_client(tb_ip(198, 18, 0, h)) == other)
			client2 = tb_ip(198, 18, 0, h);
	if (client2 == 0)
		return -1;
	if (add_neighbour(P0, CLIENT) != 0 || add_neighbour(P0, client2) != 0)
		return -1;
	for (unsigned int i = 0; i < N_BACKENDS; i++)
		if (add_neighbour(P1, be_addr(i)) != 0)
			return -1;
	return 0;
}

int
lb_gw_down(void **state)
{
	(void)state;
	return ng_test_gw_down(&gw);
}

/* ---- frames ---- */

/* Ethernet from src to port's MAC, arriving on port. */
static void
eth_in(struct tb_frame *f, uint8_t port, const struct rte_ether_addr *src, uint16_t type)
{
	tb_eth(f, &gw.port_mac[port], src, TB_NO_VLAN, type);
	f->port = port;
}

/* A TCP segment src:sport -> dst:dport (ports host order) arriving on port. */
void
tcp4(struct tb_frame *f, uint8_t port, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
		uint8_t flags, uint32_t seq, uint32_t ack, uint16_t payload)
{
	struct rte_ether_addr smac = mac_of(src);

	eth_in(f, port, &smac, RTE_ETHER_TYPE_IPV4);
	tb_tcp(f, src, sport, dst, dport, flags, seq, ack, payload);
}

/* A UDP datagram; cksum false sends checksum 0 (none). */
void
udp4(struct tb_frame *f, uint8_t port, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
		uint16_t payload, bool cksum)
{
	struct rte_ether_addr smac = mac_of(src);

	eth_in(f, port, &smac, RTE_ETHER_TYPE_IPV4);
	tb_udp(f, src, sport, dst, dport, payload, cksum);
}

/* An ICMP echo request with data bytes arriving on port 0. */
void
icmp_echo4(struct tb_frame *f, uint32_t src, uint32_t dst, uint16_t data)
{
	struct rte_ether_addr smac = mac_of(src);

	eth_in(f, P0, &smac, RTE_ETHER_TYPE_IPV4);
	tb_icmp(f, src, dst, RTE_IP_ICMP_ECHO_REQUEST, 0, data);
}

/* A broadcast ARP request for tip arriving on port 0. */
void
arp_request4(struct tb_frame *f, uint32_t sip, uint32_t tip)
{
	struct rte_ether_addr smac = mac_of(sip);

	tb_eth(f, &bcast, &smac, TB_NO_VLAN, RTE_ETHER_TYPE_ARP);
	tb_arp(f, RTE_ARP_OP_REQUEST, &smac, sip, &zero_mac, tip);
}

/*
 * An ICMP error (type, code; mtu in its second word) from src to dst,
 * arriving on port, quoting the first qlen bytes of about's IPv4 packet.
 */
void
icmp_err_frame(struct tb_frame *f, uint8_t port, uint32_t src, uint32_t dst, uint8_t type,
		uint8_t code, uint16_t mtu, const struct tb_frame *about, uint16_t qlen)
{
	struct rte_ether_addr smac = mac_of(src);
	struct rte_icmp_hdr *ic;

	tb_eth(f, &gw.port_mac[port], &smac, TB_NO_VLAN, RTE_ETHER_TYPE_IPV4);
	f->port = port;
	tb_ip4(f, src, dst, IPPROTO_ICMP, 64, (uint16_t)(sizeof(*ic) + qlen));
	ic = tb_l4(f);
	memset(ic, 0, sizeof(*ic));
	ic->icmp_type = type;
	ic->icmp_code = code;
	ic->icmp_seq_nb = rte_cpu_to_be_16(mtu);
	memcpy(ic + 1, &about->b[about->l2], qlen);
	ic->icmp_cksum = (uint16_t)~rte_raw_cksum(ic, sizeof(*ic) + qlen);
}

/* ---- output checks ---- */

void
check_eth(const struct tb_frame *out, uint8_t port, const struct rte_ether_addr *dst)
{
	const struct rte_ether_hdr *eth = (const struct rte_ether_hdr *)out->b;

	assert_int_equal(out->port, port);
	assert_memory_equal(&eth->dst_addr, dst, RTE_ETHER_ADDR_LEN);
	assert_memory_equal(&eth->src_addr, &gw.port_mac[port], RTE_ETHER_ADDR_LEN);
}

/*
 * out is in after NAT to src:sport -> dst:dport (host-order ports) and
 * forwarding on port op: MACs of the egress port and the neighbour, TTL - 1,
 * both checksums valid, everything else as received.
 */
void
check_nat_fwd(struct tb_frame *in, struct tb_frame *out, uint8_t op, uint32_t src, uint16_t sport,
		uint32_t dst, uint16_t dport)
{
	struct rte_ether_addr dmac = mac_of(dst);
	const struct rte_ipv4_hdr *ih = tb_ip4_hdr(in), *oh = tb_ip4_hdr(out);
	const uint8_t *il4 = tb_l4(in), *ol4 = tb_l4(out);
	uint16_t hl = ih->next_proto_id == IPPROTO_TCP ? sizeof(struct rte_tcp_hdr) :
			sizeof(struct rte_udp_hdr);

	assert_int_equal(out->len, in->len);
	check_eth(out, op, &dmac);
	assert_int_equal(((const struct rte_ether_hdr *)out->b)->ether_type,
			rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4));
	assert_int_equal(oh->version_ihl, ih->version_ihl);
	assert_int_equal(oh->type_of_service, ih->type_of_service);
	assert_int_equal(oh->total_length, ih->total_length);
	assert_int_equal(oh->packet_id, ih->packet_id);
	assert_int_equal(oh->fragment_offset, ih->fragment_offset);
	assert_int_equal(oh->time_to_live, ih->time_to_live - 1);
	assert_int_equal(oh->next_proto_id, ih->next_proto_id);
	tb_assert_addr(oh->src_addr, src);
	tb_assert_addr(oh->dst_addr, dst);
	tb_check_ip_cksum(oh);
	assert_int_equal(rte_be_to_cpu_16(((const uint16_t *)ol4)[0]), sport);
	assert_int_equal(rte_be_to_cpu_16(((const uint16_t *)ol4)[1]), dport);
	if (ih->next_proto_id == IPPROTO_TCP) {
		const struct rte_tcp_hdr *it = (const void *)il4, *ot = (const void *)ol4;

		assert_int_equal(ot->sent_seq, it->sent_seq);
		assert_int_equal(ot->recv_ack, it->recv_ack);
		assert_int_equal(ot->data_off, it->data_off);
		assert_int_equal(ot->tcp_flags, it->tcp_flags);
		assert_int_equal(ot->rx_win, it->rx_win);
		assert_int_equal(ot->tcp_urp, it->tcp_urp);
		tb_check_l4_cksum(out);
	} else {
		const struct rte_udp_hdr *iu = (const void *)il4, *ou = (const void *)ol4;

		assert_int_equal(ou->dgram_len, iu->dgram_len);
		if (iu->dgram_cksum == 0) {
			assert_int_equal(ou->dgram_cksum, 0); /* none stays none */
		} else {
			assert_int_not_equal(ou->dgram_cksum, 0);
			tb_check_l4_cksum(out);
		}
	}
	assert_memory_equal(ol4 + hl, il4 + hl, in->len - (size_t)(il4 + hl - in->b));
}

/* A TCP RST answering the input segment (RFC 793 "Reset Generation"), from its destination. */
void
check_rst(struct tb_frame *in, struct tb_frame *out)
{
	ng_test_gw_check_reply_eth(&gw, in, out);
	tb_check_rst(in, out);
}

/* An ICMP port unreachable about the input, from src, back out the ingress port. */
void
check_port_unreachable(struct tb_frame *in, struct tb_frame *out, uint32_t src)
{
	ng_test_gw_check_reply_eth(&gw, in, out);
	tb_check_icmp_error(in, out, NG_ICMP_DEST_UNREACH, 3, src);
}

/* An ICMP time exceeded about frame about (as its sender sent it), from src, back to it. */
void
check_time_exceeded(struct tb_frame *about, struct tb_frame *out, uint32_t src)
{
	ng_test_gw_check_reply_eth(&gw, about, out);
	tb_check_icmp_error(about, out, NG_ICMP_TIME_EXCEEDED, 0, src);
}

/* ---- running packets ---- */

/*
 * Worker wid receives frame in: exactly the verdict's output, drop and
 * redirect, nothing else anywhere. The output frame is copied to *out and
 * freed; a redirected packet stays on its ring.
 */
void
step(const char *what, unsigned int wid, const struct tb_frame *in, struct ng_test_verdict v,
		struct tb_frame *out)
{
	if (getenv("NG_TEST_VERBOSE") != NULL)
		print_message("  worker %u: %s\n", wid, what);
	ng_test_gw_rx(&gw, wid, in);
	ng_test_gw_expect(&gw, what, wid, in->port, v);
	if (v.tx >= 0) {
		assert_non_null(out);
		ng_test_gw_take(&gw, wid, (uint8_t)v.tx, out);
	}
	if (v.punt != 0) {
		assert_non_null(out);
		ng_test_gw_take_punted(&gw, wid, out);
	}
}

/* Worker to takes the one packet worker from handed it, as drain_redirect() does. */
void
step_redirected(const char *what, unsigned int from, unsigned int to, uint8_t in_port,
		struct ng_test_verdict v, struct tb_frame *out)
{
	if (getenv("NG_TEST_VERBOSE") != NULL)
		print_message("  worker %u (redirected from %u): %s\n", to, from, what);
	ng_test_gw_rx_redirected(&gw, from, to, in_port);
	ng_test_gw_expect(&gw, what, to, in_port, v);
	if (v.tx >= 0) {
		assert_non_null(out);
		ng_test_gw_take(&gw, to, (uint8_t)v.tx, out);
	}
	if (v.punt != 0) {
		assert_non_null(out);
		ng_test_gw_take_punted(&gw, to, out);
	}
}

/* ---- connections ---- */

struct ng_conn *
conn_lookup(unsigned int wid, uint8_t proto, uint32_t src, uint16_t sport, uint32_t dst,
		uint16_t dport, bool *is_reply)
{
	struct ng_flow_key k;

	memset(&k, 0, sizeof(k));
	k.src.v4 = src;
	k.dst.v4 = dst;
	k.sport = rte_cpu_to_be_16(sport);
	k.dport = rte_cpu_to_be_16(dport);
	k.proto = proto;
	k.family = AF_INET;
	return ng_ct_lookup(gw.dp->workers[wid]->ct, &k, is_reply);
}

unsigned int
owner_of_client(uint32_t client)
{
	return (unsigned int)(ng_mix64(client) % NWORKERS);
}

/* The owner of a flow by its client end (address, port host order), as lb_dp.c's owner_by_flow. */
unsigned int
owner_of_flow(uint32_t client, uint16_t cport)
{
	return ng_test_owner_flow4(client, cport, NWORKERS);
}

unsigned int
own(uint16_t cport)
{
	return owner_of_flow(CLIENT, cport);
}

uint16_t
cport_of(uint32_t client, unsigned int wid, uint16_t from)
{
	while (owner_of_flow(client, from) != wid)
		from++;
	return from;
}

struct flow
flow_init(uint8_t proto, uint32_t client, uint16_t cport, uint32_t fe, uint16_t feport,
		bool fullnat)
{
	struct flow fl = {
		.proto = proto, .client = client, .cport = cport, .fe = fe, .feport = feport,
		.fullnat = fullnat, .wid = owner_of_flow(client, cport),
	};

	return fl;
}

/* Source address and port (host order) the backend sees. */
static uint32_t
flow_bsrc(const struct flow *fl)
{
	return fl->fullnat ? fl->snat : fl->client;
}

static uint16_t
flow_bsport(const struct flow *fl)
{
	return fl->fullnat ? fl->lport : fl->cport;
}

/* The client's packet of a flow. */
void
flow_c2s_frame(const struct flow *fl, struct tb_frame *f, uint8_t flags, uint32_t seq, uint32_t ack,
		uint16_t payload)
{
	if (fl->proto == IPPROTO_TCP)
		tcp4(f, P0, fl->client, fl->cport, fl->fe, fl->feport, flags, seq, ack, payload);
	else
		udp4(f, P0, fl->client, fl->cport, fl->fe, fl->feport, payload, flags != 0);
}

/* The backend's packet of a flow. */
void
flow_s2c_frame(const struct flow *fl, struct tb_frame *f, uint8_t flags, uint32_t seq, uint32_t ack,
		uint16_t payload)
{
	if (fl->proto == IPPROTO_TCP)
		tcp4(f, P1, fl->be, fl->bport, flow_bsrc(fl), flow_bsport(fl), flags, seq, ack,
				payload);
	else
		udp4(f, P1, fl->be, fl->bport, flow_bsrc(fl), flow_bsport(fl), payload, flags != 0);
}

/*
 * The first packet of a flow, processed by worker wid (its owner or, with
 * redirected, handed over from the other worker): forwarded on p1 to a
 * backend of port bport; the flow learns which. For UDP, flags != 0 means
 * "with a checksum".
 */
void
flow_first_on(struct flow *fl, const char *what, uint8_t flags, uint16_t bport, bool redirected)
{
	struct tb_frame in, out;
	const struct rte_ipv4_hdr *oh;
	const uint16_t *ports;
	char a[16];

	flow_c2s_frame(fl, &in, flags, 1000, 0, fl->proto == IPPROTO_TCP ? 0 : 40);
	if (redirected)
		step_redirected(what, fl->wid == owner ? other : owner, fl->wid, P0, TX(P1), &out);
	else
		step(what, fl->wid, &in, TX(P1), &out);
	oh = tb_ip4_hdr(&out);
	ports = tb_l4(&out);
	fl->be = oh->dst_addr;
	if (be_index(fl->be) < 0)
		fail_msg("%s: sent to %s, not a backend", what, tb_ip_str(fl->be, a));
	fl->bport = rte_be_to_cpu_16(ports[1]);
	assert_int_equal(fl->bport, bport);
	if (fl->fullnat) {
		fl->snat = oh->src_addr;
		fl->lport = rte_be_to_cpu_16(ports[0]);
		tb_assert_addr(fl->snat, GW1); /* the address of the port toward the backends */
		assert_in_range(fl->lport, LPORT_MIN, LPORT_MAX);
		/* The source port tells the owner: replies come back to it. */
		assert_int_equal(fl->lport % NWORKERS, fl->wid);
	}
	check_nat_fwd(&in, &out, P1, flow_bsrc(fl), flow_bsport(fl), fl->be, fl->bport);
}

void
flow_first(struct flow *fl, const char *what, uint8_t flags, uint16_t bport)
{
	flow_first_on(fl, what, flags, bport, false);
}

/* A client packet of an existing flow: forwarded to the flow's backend. */
void
flow_c2s(const struct flow *fl, const char *what, uint8_t flags, uint32_t seq, uint32_t ack,
		uint16_t payload)
{
	struct tb_frame in, out;

	flow_c2s_frame(fl, &in, flags, seq, ack, payload);
	step(what, fl->wid, &in, TX(P1), &out);
	check_nat_fwd(&in, &out, P1, flow_bsrc(fl), flow_bsport(fl), fl->be, fl->bport);
}

/* A backend packet of an existing flow: back to the client from the frontend. */
void
flow_s2c(const struct flow *fl, const char *what, uint8_t flags, uint32_t seq, uint32_t ack,
		uint16_t payload)
{
	struct tb_frame in, out;

	flow_s2c_frame(fl, &in, flags, seq, ack, payload);
	step(what, fl->wid, &in, TX(P0), &out);
	check_nat_fwd(&in, &out, P0, fl->fe, fl->feport, fl->client, fl->cport);
}

/* The flow's entry in its owner's table: found from both directions, by value. */
struct ng_conn *
flow_conn(const struct flow *fl)
{
	struct ng_conn *c, *r;
	bool rep = true;

	c = conn_lookup(fl->wid, fl->proto, fl->client, fl->cport, fl->fe, fl->feport, &rep);
	assert_non_null(c);
	assert_false(rep);
	r = conn_lookup(fl->wid, fl->proto, fl->be, fl->bport, flow_bsrc(fl), flow_bsport(fl),
			&rep);
	assert_ptr_equal(r, c);
	assert_true(rep);
	assert_int_equal(c->backend.v4, fl->be);
	assert_int_equal(c->bport, rte_cpu_to_be_16(fl->bport));
	if (fl->fullnat) {
		assert_true(c->flags & NG_CT_F_FULLNAT);
		assert_int_equal(c->snat.v4, fl->snat);
		assert_int_equal(c->lport, rte_cpu_to_be_16(fl->lport));
	} else {
		assert_false(c->flags & NG_CT_F_FULLNAT);
	}
	/* Nobody else holds it. */
	for (unsigned int i = 0; i < NWORKERS; i++)
		if (i != fl->wid)
			assert_null(conn_lookup(i, fl->proto, fl->client, fl->cport, fl->fe,
					fl->feport, &rep));
	return c;
}

void
assert_state(const struct ng_conn *c, enum ng_ct_state s)
{
	if (c->state != s)
		fail_msg("conn state %s, want %s", ng_ct_state_name((enum ng_ct_state)c->state),
				ng_ct_state_name(s));
}

/* SYN, SYN-ACK, ACK: an established TCP flow. */
void
flow_handshake(struct flow *fl, uint16_t bport)
{
	struct ng_conn *c;

	flow_first(fl, "client SYN", RTE_TCP_SYN_FLAG, bport);
	c = flow_conn(fl);
	assert_state(c, NG_CT_SYN_SENT);
	flow_s2c(fl, "backend SYN-ACK", RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, 9000, 1001, 0);
	assert_state(c, NG_CT_SYN_RECV);
	flow_c2s(fl, "client ACK", RTE_TCP_ACK_FLAG, 1001, 9001, 0);
	assert_state(c, NG_CT_ESTABLISHED);
}

/* ---- the service control API ---- */

void
svc_or_fail(int rc, const char *err)
{
	if (rc != 0)
		fail_msg("svc API: %d (%s)", rc, err);
}

int
svc_make(const char *name, uint8_t proto, enum ng_fwd_mode mode, uint32_t vip, uint16_t port,
		uint16_t bport, unsigned int n_backends)
{
	struct ng_svc_spec s;
	struct ng_frontend fe;
	char err[NG_ERRBUF];
	int rc;

	memset(&s, 0, sizeof(s));
	snprintf(s.name, sizeof(s.name), "%s", name);
	s.proto = proto;
	s.scheduler = NG_SCHED_MAGLEV;
	s.mode = mode;
	memset(&fe, 0, sizeof(fe));
	if (vip != 0) {
		fe.addr.family = AF_INET;
		fe.addr.v4 = vip;
	}
	fe.port = port;
	rc = ng_svc_add(&s, err, sizeof(err));
	if (rc == 0)
		rc = ng_svc_frontend_add(name, &fe, err, sizeof(err));
	for (unsigned int i = 0; rc == 0 && i < n_backends; i++) {
		struct ng_ip a = {.family = AF_INET, .v4 = be_addr(i)};

		rc = ng_svc_backend_set(name, &a, bport, 1, err, sizeof(err));
	}
	if (rc != 0)
		fprintf(stderr, "service %s: %s\n", name, err);
	return rc;
}

void
backend_weight(const char *svc, uint32_t be, uint16_t port, uint32_t weight)
{
	struct ng_ip a = {.family = AF_INET, .v4 = be};
	char err[NG_ERRBUF] = "";

	svc_or_fail(ng_svc_backend_set(svc, &a, port, weight, err, sizeof(err)), err);
	svc_or_fail(ng_svc_commit(err, sizeof(err)), err);
}

void
backend_remove(const char *svc, uint32_t be, uint16_t port)
{
	struct ng_ip a = {.family = AF_INET, .v4 = be};
	char err[NG_ERRBUF] = "";

	svc_or_fail(ng_svc_backend_del(svc, &a, port, err, sizeof(err)), err);
	svc_or_fail(ng_svc_commit(err, sizeof(err)), err);
}

uint64_t
svc_refused(const char *name)
{
	struct ng_svc_counters c;

	assert_int_equal(ng_svc_counters(name, &c), 0);
	return c.refused;
}

void
svc_src_ranges(const char *name, const char *const *cidrs, unsigned int n)
{
	struct ng_prefix r[NG_MAX_SVC_SRC_RANGES];
	char err[NG_ERRBUF] = "";
	struct ng_svc_view v;
	struct ng_svc_spec s;

	assert_in_range(n, 0, NG_MAX_SVC_SRC_RANGES);
	assert_int_equal(ng_svc_get(name, &v), 0);
	s = *v.spec;
	for (unsigned int i = 0; i < n; i++)
		if (ng_prefix_parse(cidrs[i], &r[i]) != 0)
			fail_msg("source range %s: not a prefix", cidrs[i]);
	s.src_ranges = r;
	s.n_src_ranges = n;
	svc_or_fail(ng_svc_update(&s, err, sizeof(err)), err);
	svc_or_fail(ng_svc_commit(err, sizeof(err)), err);
}

uint64_t
svc_src_dropped(const char *name)
{
	struct ng_svc_counters c;

	assert_int_equal(ng_svc_counters(name, &c), 0);
	return c.src_dropped;
}
