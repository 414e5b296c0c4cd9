/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Service-stage (load-balancing) packet fixtures, Katran style. Each fixture is
 *   {name, description, input frame(s), expected verdict, output checks}
 * where a verdict is one of: a frame sent on port X, a drop reason R counted
 * on the ingress port (also for a packet refused with a reply: TCP RST or
 * ICMP port unreachable), or the packet handed to worker k over the redirect
 * ring. Most fixtures are short conversations (SYN, SYN-ACK, ACK, data, FIN)
 * whose every step has a verdict and a full check of the output headers:
 * Ethernet addresses, IPv4 addresses, TTL, checksums (recomputed), ports,
 * sequence numbers and payload.
 *
 * The set-up is the one app/nodegw/main.c builds (ports, pool, data-path
 * context with two workers, FIB with connected and local routes, neighbour
 * table, services through the svc control API), on two net_null ports with a
 * single EAL lcore: workers are not launched; the test calls
 * ng_worker_process() on the worker struct it chooses and inspects TX
 * buffers, redirect rings, counters and connection tables without flushing.
 * No root, no hugepages.
 *
 * Topology (port index: address):
 *   p0  198.18.0.1/24   client 198.18.0.2, and a second client 198.18.0.x
 *                       whose flows the other worker owns
 *   p1  198.18.1.1/24   backends 198.18.1.11, .12, .13
 * Every host has a static neighbour entry, MAC 02:00:00:00:<octet 3>:<octet 4>.
 * Services (Maglev, weight 1 per backend):
 *   web    tcp 198.19.0.10:80 -> backends :8080 fullnat
 *   dweb   tcp 198.19.0.14:80 -> backends :8080 dnat
 *   dns    udp 198.19.0.11:53 -> backends :5353 fullnat
 *   empty  tcp 198.19.0.12:80, no backends
 *   uempty udp 198.19.0.12:53, no backends
 *   np     tcp NodePort 30080 -> backends :8080 fullnat
 *   rm     tcp 198.19.0.20:80, urm udp 198.19.0.21:53, drain tcp 198.19.0.22:80:
 *          changed by the fixtures on backend removal and draining
 *
 * Every fixture checks that no mbuf leaked and that no ring holds a packet.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "conf.h"
#include "ct.h"
#include "ng_hash.h"
#include "ng_log.h"
#include "ng_stats.h"
#include "pkt.h"
#include "port.h"
#include "route.h"
#include "svc.h"
#include "svc_dp.h"
#include "worker.h"

#define FRAME_MAX 1600
#define NPORTS 2
#define NWORKERS 2
#define LPORT_MIN 32768
#define LPORT_MAX 60999
#define NODE_PORT 30080
#define N_BACKENDS 3
#define L2 14 /* every frame here is untagged */

/* ---- the gateway under test ---- */

static struct ng_conf conf;
static struct rte_mempool *pool;
static struct ng_dp *dp;
static struct ng_fib *fib;
static struct ng_neigh_table *neigh;
static bool svc_up;
static uint16_t port_id[NPORTS];
static struct rte_ether_addr port_mac[NPORTS];
static struct ng_ip node_addrs[NPORTS];
/* The worker owning CLIENT's flows, the other one, and a client the other owns. */
static unsigned int owner, other;
static uint32_t client2;

/* Host-order a.b.c.d. (DPDK's RTE_IPV4 shifts an int: undefined for a >= 128.) */
#define HOST4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | \
		(uint32_t)(d))

static uint32_t
ip(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	return rte_cpu_to_be_32(HOST4(a, b, c, d));
}

#define GW0 ip(198, 18, 0, 1)
#define GW1 ip(198, 18, 1, 1)
#define CLIENT ip(198, 18, 0, 2)
#define VIP_WEB ip(198, 19, 0, 10)
#define VIP_DNS ip(198, 19, 0, 11)
#define VIP_EMPTY ip(198, 19, 0, 12)
#define VIP_DWEB ip(198, 19, 0, 14)
#define VIP_RM ip(198, 19, 0, 20)
#define VIP_URM ip(198, 19, 0, 21)
#define VIP_DRAIN ip(198, 19, 0, 22)

static const uint8_t be_host[N_BACKENDS] = {11, 12, 13};

static uint32_t
be_addr(unsigned int i)
{
	return ip(198, 18, 1, be_host[i]);
}

static const struct rte_ether_addr client_mac = {{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}};
static const struct rte_ether_addr bcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
static const struct rte_ether_addr zero_mac;

/* MAC of a host of the topology: 02:00:00:00:<subnet>:<host>. */
static struct rte_ether_addr
mac_of(uint32_t addr)
{
	uint32_t h = rte_be_to_cpu_32(addr);
	struct rte_ether_addr m = {{0x02, 0x00, 0x00, 0x00, (uint8_t)(h >> 8), (uint8_t)h}};

	return m;
}

static int
be_index(uint32_t addr)
{
	for (unsigned int i = 0; i < N_BACKENDS; i++)
		if (be_addr(i) == addr)
			return (int)i;
	return -1;
}

static const char *
ip_str(uint32_t a, char *buf)
{
	uint32_t h = rte_be_to_cpu_32(a);

	snprintf(buf, 16, "%u.%u.%u.%u", h >> 24, (h >> 16) & 0xff, (h >> 8) & 0xff, h & 0xff);
	return buf;
}

/* ---- frames ---- */

struct frame {
	uint8_t b[FRAME_MAX];
	uint16_t len;
	uint8_t port; /* ingress port index of an input frame, egress of an output */
};

static struct rte_ipv4_hdr *
ip_of(struct frame *f)
{
	return (struct rte_ipv4_hdr *)&f->b[L2];
}

static void *
l4_of(struct frame *f)
{
	struct rte_ipv4_hdr *h = ip_of(f);

	return (uint8_t *)h + (h->version_ihl & 0x0f) * 4;
}

static void
put_eth(struct frame *f, uint8_t port, const struct rte_ether_addr *src, uint16_t type)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)f->b;

	memset(f, 0, sizeof(*f));
	eth->dst_addr = port_mac[port];
	eth->src_addr = *src;
	eth->ether_type = rte_cpu_to_be_16(type);
	f->len = L2;
	f->port = port;
}

/* IPv4 header (ihl 5, TTL 64, DF) and payload bytes 0, 7, 14...; valid header checksum. */
static struct rte_ipv4_hdr *
put_ip4(struct frame *f, uint32_t src, uint32_t dst, uint8_t proto, uint16_t l4len,
		uint16_t hdrlen)
{
	struct rte_ipv4_hdr *h = ip_of(f);

	memset(h, 0, sizeof(*h));
	h->version_ihl = RTE_IPV4_VHL_DEF;
	h->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*h) + l4len));
	h->packet_id = rte_cpu_to_be_16(0x4242);
	h->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	h->time_to_live = 64;
	h->next_proto_id = proto;
	h->src_addr = src;
	h->dst_addr = dst;
	h->hdr_checksum = rte_ipv4_cksum(h);
	for (uint16_t i = hdrlen; i < l4len; i++)
		f->b[L2 + sizeof(*h) + i] = (uint8_t)(i * 7);
	f->len = (uint16_t)(L2 + sizeof(*h) + l4len);
	return h;
}

/* A TCP segment src:sport -> dst:dport (ports host order) arriving on port. */
static void
tcp4(struct frame *f, uint8_t port, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
		uint8_t flags, uint32_t seq, uint32_t ack, uint16_t payload)
{
	struct rte_ether_addr smac = mac_of(src);
	struct rte_ipv4_hdr *h;
	struct rte_tcp_hdr *t;

	put_eth(f, port, &smac, RTE_ETHER_TYPE_IPV4);
	h = put_ip4(f, src, dst, IPPROTO_TCP, (uint16_t)(sizeof(*t) + payload), sizeof(*t));
	t = (struct rte_tcp_hdr *)(h + 1);
	t->src_port = rte_cpu_to_be_16(sport);
	t->dst_port = rte_cpu_to_be_16(dport);
	t->sent_seq = rte_cpu_to_be_32(seq);
	t->recv_ack = rte_cpu_to_be_32(ack);
	t->data_off = (sizeof(*t) / 4) << 4;
	t->tcp_flags = flags;
	t->rx_win = rte_cpu_to_be_16(29200);
	t->cksum = 0;
	t->cksum = rte_ipv4_udptcp_cksum(h, t);
}

/* A UDP datagram; cksum false sends checksum 0 (none). */
static void
udp4(struct frame *f, uint8_t port, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
		uint16_t payload, bool cksum)
{
	struct rte_ether_addr smac = mac_of(src);
	struct rte_ipv4_hdr *h;
	struct rte_udp_hdr *u;

	put_eth(f, port, &smac, RTE_ETHER_TYPE_IPV4);
	h = put_ip4(f, src, dst, IPPROTO_UDP, (uint16_t)(sizeof(*u) + payload), sizeof(*u));
	u = (struct rte_udp_hdr *)(h + 1);
	u->src_port = rte_cpu_to_be_16(sport);
	u->dst_port = rte_cpu_to_be_16(dport);
	u->dgram_len = rte_cpu_to_be_16((uint16_t)(sizeof(*u) + payload));
	u->dgram_cksum = 0;
	if (cksum)
		u->dgram_cksum = rte_ipv4_udptcp_cksum(h, u);
}

static void
icmp_echo4(struct frame *f, uint32_t src, uint32_t dst, uint16_t data)
{
	struct rte_ether_addr smac = mac_of(src);
	struct rte_ipv4_hdr *h;
	struct rte_icmp_hdr *icmp;

	put_eth(f, 0, &smac, RTE_ETHER_TYPE_IPV4);
	h = put_ip4(f, src, dst, IPPROTO_ICMP, (uint16_t)(sizeof(*icmp) + data), sizeof(*icmp));
	icmp = (struct rte_icmp_hdr *)(h + 1);
	icmp->icmp_type = RTE_IP_ICMP_ECHO_REQUEST;
	icmp->icmp_code = 0;
	icmp->icmp_ident = rte_cpu_to_be_16(0x1d1d);
	icmp->icmp_seq_nb = rte_cpu_to_be_16(7);
	icmp->icmp_cksum = 0;
	icmp->icmp_cksum = (uint16_t)~rte_raw_cksum(icmp, sizeof(*icmp) + data);
}

static void
arp_request4(struct frame *f, uint32_t sip, uint32_t tip)
{
	struct rte_ether_addr smac = mac_of(sip);
	struct rte_arp_hdr *a;

	put_eth(f, 0, &smac, RTE_ETHER_TYPE_ARP);
	((struct rte_ether_hdr *)f->b)->dst_addr = bcast;
	a = (struct rte_arp_hdr *)&f->b[L2];
	a->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	a->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	a->arp_hlen = RTE_ETHER_ADDR_LEN;
	a->arp_plen = 4;
	a->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REQUEST);
	a->arp_data.arp_sha = smac;
	a->arp_data.arp_sip = sip;
	a->arp_data.arp_tha = zero_mac;
	a->arp_data.arp_tip = tip;
	f->len = (uint16_t)(L2 + sizeof(*a));
}


/* Insert n bytes at offset off of a frame. */
static void
frame_insert(struct frame *f, uint16_t off, const void *bytes, uint16_t n)
{
	assert_true(f->len + n <= FRAME_MAX);
	memmove(&f->b[off + n], &f->b[off], f->len - off);
	memcpy(&f->b[off], bytes, n);
	f->len = (uint16_t)(f->len + n);
}

/* An 802.1Q tag (TCI tci) after the MAC addresses. */
static void
frame_tag(struct frame *f, uint16_t tci)
{
	uint8_t tag[4] = {0x81, 0x00, (uint8_t)(tci >> 8), (uint8_t)tci};

	frame_insert(f, 2 * RTE_ETHER_ADDR_LEN, tag, sizeof(tag));
}

/* 4 bytes of IPv4 options (NOP, NOP, NOP, EOL): ihl 6. The L4 checksum is unchanged. */
static void
frame_ip_options(struct frame *f)
{
	static const uint8_t opt[4] = {1, 1, 1, 0};
	struct rte_ipv4_hdr *h = ip_of(f);

	frame_insert(f, L2 + sizeof(*h), opt, sizeof(opt));
	h->version_ihl = 0x46;
	h->total_length = rte_cpu_to_be_16((uint16_t)(rte_be_to_cpu_16(h->total_length) + 4));
	h->hdr_checksum = 0;
	h->hdr_checksum = rte_ipv4_cksum(h);
}

/* A SYN's usual 20 bytes of TCP options: MSS, SACK permitted, timestamps, NOP, WS. */
static void
frame_syn_options(struct frame *f)
{
	static const uint8_t opt[20] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0x12, 0x34, 0, 0, 0, 0,
			1, 3, 3, 7};
	struct rte_ipv4_hdr *h = ip_of(f);
	struct rte_tcp_hdr *t = l4_of(f);

	frame_insert(f, (uint16_t)((uint8_t *)(t + 1) - f->b), opt, sizeof(opt));
	t->data_off = (uint8_t)((sizeof(*t) + sizeof(opt)) / 4) << 4;
	h->total_length = rte_cpu_to_be_16((uint16_t)(rte_be_to_cpu_16(h->total_length) + 20));
	h->hdr_checksum = 0;
	h->hdr_checksum = rte_ipv4_cksum(h);
	t->cksum = 0;
	t->cksum = rte_ipv4_udptcp_cksum(h, t);
}

static void
frame_set_ttl(struct frame *f, uint8_t ttl)
{
	struct rte_ipv4_hdr *h = ip_of(f);

	h->time_to_live = ttl;
	h->hdr_checksum = 0;
	h->hdr_checksum = rte_ipv4_cksum(h);
}

/* ---- output checks ---- */

/* The header checksum, recomputed over a copy with the field zeroed, equals the field. */
static void
check_ip_cksum(const struct rte_ipv4_hdr *h)
{
	uint8_t c[60]; /* the header, options included */
	struct rte_ipv4_hdr *hc = (struct rte_ipv4_hdr *)c;

	memcpy(c, h, rte_ipv4_hdr_len(h));
	hc->hdr_checksum = 0;
	assert_int_equal(h->hdr_checksum, rte_ipv4_cksum(hc));
}

/* The TCP/UDP checksum, recomputed with the field zeroed, equals the field. */
static void
check_l4_cksum(struct frame *f)
{
	struct rte_ipv4_hdr *h = ip_of(f);
	uint8_t *l4 = l4_of(f);
	size_t off = h->next_proto_id == IPPROTO_TCP ? offsetof(struct rte_tcp_hdr, cksum) :
			offsetof(struct rte_udp_hdr, dgram_cksum);
	uint16_t *ck = (uint16_t *)(l4 + off);
	uint16_t field = *ck, want;

	*ck = 0;
	want = rte_ipv4_udptcp_cksum(h, l4);
	*ck = field;
	assert_int_equal(field, want);
}

static void
check_eth(const struct frame *out, uint8_t port, const struct rte_ether_addr *dst)
{
	const struct rte_ether_hdr *eth = (const struct rte_ether_hdr *)out->b;

	assert_int_equal(out->port, port);
	assert_memory_equal(&eth->dst_addr, dst, RTE_ETHER_ADDR_LEN);
	assert_memory_equal(&eth->src_addr, &port_mac[port], RTE_ETHER_ADDR_LEN);
}

static void
assert_addr(uint32_t got, uint32_t want)
{
	char a[16], b[16];

	if (got != want)
		fail_msg("address %s, want %s", ip_str(got, a), ip_str(want, b));
}

/*
 * out is in after NAT to src:sport -> dst:dport (host-order ports) and
 * forwarding on port op: MACs of the egress port and the neighbour, TTL - 1,
 * both checksums valid, everything else as received.
 */
static void
check_nat_fwd(struct frame *in, struct frame *out, uint8_t op, uint32_t src, uint16_t sport,
		uint32_t dst, uint16_t dport)
{
	struct rte_ether_addr dmac = mac_of(dst);
	const struct rte_ipv4_hdr *ih = ip_of(in), *oh = ip_of(out);
	const uint8_t *il4 = l4_of(in), *ol4 = l4_of(out);
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
	assert_addr(oh->src_addr, src);
	assert_addr(oh->dst_addr, dst);
	check_ip_cksum(oh);
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
		check_l4_cksum(out);
	} else {
		const struct rte_udp_hdr *iu = (const void *)il4, *ou = (const void *)ol4;

		assert_int_equal(ou->dgram_len, iu->dgram_len);
		if (iu->dgram_cksum == 0) {
			assert_int_equal(ou->dgram_cksum, 0); /* none stays none */
		} else {
			assert_int_not_equal(ou->dgram_cksum, 0);
			check_l4_cksum(out);
		}
	}
	assert_memory_equal(ol4 + hl, il4 + hl, in->len - (size_t)(il4 + hl - in->b));
}

/* A TCP RST answering the input segment (RFC 793 "Reset Generation"), from its destination. */
static void
check_rst(struct frame *in, struct frame *out)
{
	const struct rte_ipv4_hdr *ih = ip_of(in), *oh = ip_of(out);
	const struct rte_tcp_hdr *it = l4_of(in), *ot = l4_of(out);
	uint32_t seg = rte_be_to_cpu_16(ih->total_length) - (ih->version_ihl & 0x0f) * 4u -
			(it->data_off >> 4) * 4u;

	assert_int_equal(out->len, L2 + 40);
	check_eth(out, in->port, &((const struct rte_ether_hdr *)in->b)->src_addr);
	assert_int_equal(oh->version_ihl, 0x45);
	assert_int_equal(rte_be_to_cpu_16(oh->total_length), 40);
	assert_addr(oh->src_addr, ih->dst_addr);
	assert_addr(oh->dst_addr, ih->src_addr);
	assert_int_equal(oh->time_to_live, 64);
	assert_int_equal(oh->next_proto_id, IPPROTO_TCP);
	check_ip_cksum(oh);
	assert_int_equal(ot->src_port, it->dst_port);
	assert_int_equal(ot->dst_port, it->src_port);
	assert_int_equal(ot->data_off, 0x50);
	if (it->tcp_flags & RTE_TCP_ACK_FLAG) {
		/* <SEQ=SEG.ACK><CTL=RST> */
		assert_int_equal(ot->tcp_flags, RTE_TCP_RST_FLAG);
		assert_int_equal(ot->sent_seq, it->recv_ack);
	} else {
		/* <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> */
		if (it->tcp_flags & RTE_TCP_SYN_FLAG)
			seg++;
		if (it->tcp_flags & RTE_TCP_FIN_FLAG)
			seg++;
		assert_int_equal(ot->tcp_flags, RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG);
		assert_int_equal(ot->sent_seq, 0);
		assert_int_equal(rte_be_to_cpu_32(ot->recv_ack),
				rte_be_to_cpu_32(it->sent_seq) + seg);
	}
	check_l4_cksum(out);
}

/* An ICMP port unreachable about the input, from src, back out the ingress port. */
static void
check_port_unreachable(struct frame *in, struct frame *out, uint32_t src)
{
	const struct rte_ipv4_hdr *ih = ip_of(in), *oh = ip_of(out);
	const struct rte_icmp_hdr *icmp = (const struct rte_icmp_hdr *)(oh + 1);

	assert_int_equal(out->len, L2 + 20 + 8 + 28);
	check_eth(out, in->port, &((const struct rte_ether_hdr *)in->b)->src_addr);
	assert_int_equal(oh->version_ihl, 0x45);
	assert_int_equal(rte_be_to_cpu_16(oh->total_length), 20 + 8 + 28);
	assert_addr(oh->src_addr, src);
	assert_addr(oh->dst_addr, ih->src_addr);
	assert_int_equal(oh->time_to_live, 64);
	assert_int_equal(oh->next_proto_id, IPPROTO_ICMP);
	check_ip_cksum(oh);
	assert_int_equal(icmp->icmp_type, NG_ICMP_DEST_UNREACH);
	assert_int_equal(icmp->icmp_code, 3);
	assert_int_equal(icmp->icmp_ident, 0);
	assert_int_equal(icmp->icmp_seq_nb, 0);
	assert_int_equal(rte_raw_cksum(icmp, 8 + 28), 0xffff);
	/* The original IPv4 header as received and the first 8 bytes of UDP. */
	assert_memory_equal(icmp + 1, ih, 28);
}

/* An ICMP time exceeded about frame about (as its sender sent it), from src, out port op. */
static void
check_time_exceeded(struct frame *about, struct frame *out, uint8_t op, uint32_t src)
{
	const struct rte_ipv4_hdr *ih = ip_of(about), *oh = ip_of(out);
	const struct rte_icmp_hdr *icmp = (const struct rte_icmp_hdr *)(oh + 1);
	struct rte_ether_addr dmac = mac_of(ih->src_addr);

	assert_int_equal(out->len, L2 + 20 + 8 + 28);
	check_eth(out, op, &dmac);
	assert_addr(oh->src_addr, src);
	assert_addr(oh->dst_addr, ih->src_addr);
	assert_int_equal(oh->next_proto_id, IPPROTO_ICMP);
	check_ip_cksum(oh);
	assert_int_equal(icmp->icmp_type, NG_ICMP_TIME_EXCEEDED);
	assert_int_equal(icmp->icmp_code, 0);
	assert_int_equal(rte_raw_cksum(icmp, 8 + 28), 0xffff);
	assert_memory_equal(icmp + 1, ih, 28);
}

/* ---- running packets ---- */

struct verdict {
	int tx;                     /* port index of the one output frame; -1: none */
	enum ng_drop_reason drop;   /* counted on the ingress port; NONE: no drop */
	int redirect;               /* worker the packet was handed to; -1: none */
	bool punt;                  /* on the worker's punt ring, for the kernel twin */
};

#define TX(p) ((struct verdict){.tx = (p), .drop = NG_DROP_NONE, .redirect = -1})
#define DROP(r) ((struct verdict){.tx = -1, .drop = NG_DROP_##r, .redirect = -1})
#define REFUSE(p, r) ((struct verdict){.tx = (p), .drop = NG_DROP_##r, .redirect = -1})
#define REDIRECT(k) ((struct verdict){.tx = -1, .drop = NG_DROP_NONE, .redirect = (int)(k)})
#define PUNT ((struct verdict){.tx = -1, .drop = NG_DROP_NONE, .redirect = -1, .punt = true})

enum { P0, P1 };

static struct rte_mbuf *
mbuf_of(const struct frame *f)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	char *p;

	assert_non_null(m);
	p = rte_pktmbuf_append(m, f->len);
	assert_non_null(p);
	memcpy(p, f->b, f->len);
	m->port = port_id[f->port];
	return m;
}

static void
stats_reset(void)
{
	for (unsigned int i = 0; i < NWORKERS; i++)
		memset(&dp->workers[i]->stats, 0, sizeof(dp->workers[i]->stats));
}

/* Free whatever the workers' TX buffers and every ring hold. */
static unsigned int
release_all(void)
{
	struct rte_mbuf *m;
	unsigned int n = 0;

	for (unsigned int i = 0; i < NWORKERS; i++) {
		struct ng_worker *w = dp->workers[i];

		for (unsigned int p = 0; p < NPORTS; p++) {
			n += w->tx[p].n;
			rte_pktmbuf_free_bulk(w->tx[p].pkts, w->tx[p].n);
			w->tx[p].n = 0;
		}
		for (unsigned int f = 0; f < NWORKERS; f++)
			while (w->redir_in[f] != NULL && rte_ring_dequeue(w->redir_in[f],
					(void **)&m) == 0) {
				rte_pktmbuf_free(m);
				n++;
			}
		while (rte_ring_dequeue(w->punt, (void **)&m) == 0) {
			rte_pktmbuf_free(m);
			n++;
		}
	}
	while (rte_ring_dequeue(dp->ctl_ring, (void **)&m) == 0) {
		rte_pktmbuf_free(m);
		n++;
	}
	return n;
}

/* Name the drops counted by worker wid, for failure messages. */
static const char *
drops_describe(unsigned int wid, char *buf, size_t len)
{
	const struct ng_worker *w = dp->workers[wid];
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned int p = 0; p < NPORTS; p++)
		for (unsigned int r = 0; r < NG_DROP_MAX; r++)
			if (w->stats.port[p].drop[r] != 0 && off < len)
				off += (size_t)snprintf(buf + off, len - off, " p%u:%s=%" PRIu64, p,
						ng_drop_id((enum ng_drop_reason)r),
						w->stats.port[p].drop[r]);
	return off == 0 ? " none" : buf;
}

static uint64_t
drops_total(unsigned int wid)
{
	uint64_t n = 0;

	for (unsigned int p = 0; p < NPORTS; p++)
		for (unsigned int r = 0; r < NG_DROP_MAX; r++)
			n += dp->workers[wid]->stats.port[p].drop[r];
	return n;
}

/*
 * Check what worker wid did with one packet from in_port: exactly the
 * verdict's output, drop and redirect, nothing else anywhere. The output
 * frame is copied to *out and freed; a redirected packet stays on its ring.
 */
static void
verify(const char *what, unsigned int wid, uint8_t in_port, struct verdict v, struct frame *out)
{
	char why[256];

	for (unsigned int i = 0; i < NWORKERS; i++) {
		const struct ng_worker *w = dp->workers[i];
		uint64_t want_drops = i == wid && v.drop != NG_DROP_NONE ? 1 : 0;

		if (drops_total(i) != want_drops || (want_drops != 0 &&
				w->stats.port[in_port].drop[v.drop] != 1))
			fail_msg("%s: worker %u: want drop %s on p%u, counted%s", what, i,
					want_drops ? ng_drop_id(v.drop) : "none", in_port,
					drops_describe(i, why, sizeof(why)));
		for (unsigned int p = 0; p < NPORTS; p++) {
			unsigned int want = i == wid && v.tx == (int)p ? 1 : 0;

			if (w->tx[p].n != want)
				fail_msg("%s: worker %u queued %u frame(s) on p%u, want %u "
						"(drops:%s)", what, i, w->tx[p].n, p, want,
						drops_describe(i, why, sizeof(why)));
		}
		assert_int_equal(w->stats.redirect_tx, i == wid && v.redirect >= 0 ? 1 : 0);
		for (unsigned int f = 0; f < NWORKERS; f++) {
			unsigned int want = (int)i == v.redirect && f == wid ? 1 : 0;

			unsigned int got;

			if (w->redir_in[f] == NULL)
				continue;
			got = rte_ring_count(w->redir_in[f]);
			if (got != want)
				fail_msg("%s: ring from worker %u to %u holds %u, want %u", what,
						f, i, got, want);
		}
	}
	assert_int_equal(rte_ring_count(dp->ctl_ring), 0);
	for (unsigned int i = 0; i < NWORKERS; i++)
		if (rte_ring_count(dp->workers[i]->punt) != (i == wid && v.punt ? 1u : 0u))
			fail_msg("%s: worker %u's punt ring holds %u, want %u", what, i,
					rte_ring_count(dp->workers[i]->punt), i == wid && v.punt);
	if (v.punt) {
		struct rte_mbuf *m = NULL;

		/* The frame goes to the kernel as it came: the caller compares. */
		assert_int_equal(rte_ring_dequeue(dp->workers[wid]->punt, (void **)&m), 0);
		assert_non_null(out);
		memset(out, 0, sizeof(*out));
		out->len = (uint16_t)rte_pktmbuf_pkt_len(m);
		memcpy(out->b, rte_pktmbuf_mtod(m, const void *), out->len);
		out->port = in_port;
		assert_int_equal(m->port, port_id[in_port]);
		rte_pktmbuf_free(m);
	}
	if (v.tx >= 0) {
		struct ng_worker *w = dp->workers[wid];
		struct rte_mbuf *m = w->tx[v.tx].pkts[0];

		assert_non_null(out);
		assert_int_equal(m->nb_segs, 1);
		assert_int_equal(rte_pktmbuf_data_len(m), rte_pktmbuf_pkt_len(m));
		assert_true(rte_pktmbuf_pkt_len(m) <= FRAME_MAX);
		memset(out, 0, sizeof(*out));
		out->len = (uint16_t)rte_pktmbuf_pkt_len(m);
		memcpy(out->b, rte_pktmbuf_mtod(m, const void *), out->len);
		out->port = (uint8_t)v.tx;
		rte_pktmbuf_free(m);
		w->tx[v.tx].n = 0;
	}
}

/* Worker wid receives frame in. */
static void
step(const char *what, unsigned int wid, const struct frame *in, struct verdict v,
		struct frame *out)
{
	struct rte_mbuf *m;

	if (getenv("NG_TEST_VERBOSE") != NULL)
		print_message("  worker %u: %s\n", wid, what);
	stats_reset();
	m = mbuf_of(in);
	ng_worker_process(dp->workers[wid], &m, 1);
	verify(what, wid, in->port, v, out);
}

/* Worker to takes the one packet worker from handed it, as drain_redirect() does. */
static void
step_redirected(const char *what, unsigned int from, unsigned int to, uint8_t in_port,
		struct verdict v, struct frame *out)
{
	struct rte_ring *r = dp->workers[to]->redir_in[from];
	struct ng_worker *w = dp->workers[to];
	struct rte_mbuf *m;

	if (getenv("NG_TEST_VERBOSE") != NULL)
		print_message("  worker %u (redirected from %u): %s\n", to, from, what);
	assert_non_null(r);
	assert_int_equal(rte_ring_count(r), 1);
	assert_int_equal(rte_ring_dequeue(r, (void **)&m), 0);
	assert_int_equal(m->port, port_id[in_port]);
	stats_reset();
	w->in_redirect = true;
	ng_worker_process(w, &m, 1);
	w->in_redirect = false;
	verify(what, to, in_port, v, out);
}

/* ---- connections ---- */

static struct ng_conn *
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
	return ng_ct_lookup(dp->workers[wid]->ct, &k, is_reply);
}

/* A connection through a frontend, as the test drives it. */
struct flow {
	uint8_t proto;
	uint32_t client;
	uint16_t cport;
	uint32_t fe;         /* frontend address (VIP or gateway address) */
	uint16_t feport;
	bool fullnat;
	unsigned int wid;    /* owner worker */
	/* Learnt from the first packet's output. */
	uint32_t be;
	uint16_t bport;
	uint32_t snat;       /* FullNAT: source toward the backend */
	uint16_t lport;      /* FullNAT: source port toward the backend */
};

static unsigned int
owner_of_client(uint32_t client)
{
	return (unsigned int)(ng_mix64(client) % NWORKERS);
}

static struct flow
flow_init(uint8_t proto, uint32_t client, uint16_t cport, uint32_t fe, uint16_t feport,
		bool fullnat)
{
	struct flow fl = {
		.proto = proto, .client = client, .cport = cport, .fe = fe, .feport = feport,
		.fullnat = fullnat, .wid = owner_of_client(client),
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
static void
flow_c2s_frame(const struct flow *fl, struct frame *f, uint8_t flags, uint32_t seq, uint32_t ack,
		uint16_t payload)
{
	if (fl->proto == IPPROTO_TCP)
		tcp4(f, P0, fl->client, fl->cport, fl->fe, fl->feport, flags, seq, ack, payload);
	else
		udp4(f, P0, fl->client, fl->cport, fl->fe, fl->feport, payload, flags != 0);
}

/* The backend's packet of a flow. */
static void
flow_s2c_frame(const struct flow *fl, struct frame *f, uint8_t flags, uint32_t seq, uint32_t ack,
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
static void
flow_first_on(struct flow *fl, const char *what, uint8_t flags, uint16_t bport, bool redirected)
{
	struct frame in, out;
	const struct rte_ipv4_hdr *oh;
	const uint16_t *ports;
	char a[16];

	flow_c2s_frame(fl, &in, flags, 1000, 0, fl->proto == IPPROTO_TCP ? 0 : 40);
	if (redirected)
		step_redirected(what, fl->wid == owner ? other : owner, fl->wid, P0, TX(P1), &out);
	else
		step(what, fl->wid, &in, TX(P1), &out);
	oh = ip_of(&out);
	ports = l4_of(&out);
	fl->be = oh->dst_addr;
	if (be_index(fl->be) < 0)
		fail_msg("%s: sent to %s, not a backend", what, ip_str(fl->be, a));
	fl->bport = rte_be_to_cpu_16(ports[1]);
	assert_int_equal(fl->bport, bport);
	if (fl->fullnat) {
		fl->snat = oh->src_addr;
		fl->lport = rte_be_to_cpu_16(ports[0]);
		assert_addr(fl->snat, GW1); /* the address of the port toward the backends */
		assert_in_range(fl->lport, LPORT_MIN, LPORT_MAX);
		/* The source port tells the owner: replies come back to it. */
		assert_int_equal(fl->lport % NWORKERS, fl->wid);
	}
	check_nat_fwd(&in, &out, P1, flow_bsrc(fl), flow_bsport(fl), fl->be, fl->bport);
}

static void
flow_first(struct flow *fl, const char *what, uint8_t flags, uint16_t bport)
{
	flow_first_on(fl, what, flags, bport, false);
}

/* A client packet of an existing flow: forwarded to the flow's backend. */
static void
flow_c2s(const struct flow *fl, const char *what, uint8_t flags, uint32_t seq, uint32_t ack,
		uint16_t payload)
{
	struct frame in, out;

	flow_c2s_frame(fl, &in, flags, seq, ack, payload);
	step(what, fl->wid, &in, TX(P1), &out);
	check_nat_fwd(&in, &out, P1, flow_bsrc(fl), flow_bsport(fl), fl->be, fl->bport);
}

/* A backend packet of an existing flow: back to the client from the frontend. */
static void
flow_s2c(const struct flow *fl, const char *what, uint8_t flags, uint32_t seq, uint32_t ack,
		uint16_t payload)
{
	struct frame in, out;

	flow_s2c_frame(fl, &in, flags, seq, ack, payload);
	step(what, fl->wid, &in, TX(P0), &out);
	check_nat_fwd(&in, &out, P0, fl->fe, fl->feport, fl->client, fl->cport);
}

/* The flow's entry in its owner's table: found from both directions, by value. */
static struct ng_conn *
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

static void
assert_state(const struct ng_conn *c, enum ng_ct_state s)
{
	if (c->state != s)
		fail_msg("conn state %s, want %s", ng_ct_state_name((enum ng_ct_state)c->state),
				ng_ct_state_name(s));
}

/* SYN, SYN-ACK, ACK: an established TCP flow. */
static void
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

/* ---- control API ---- */

static void
svc_or_fail(int rc, const char *err)
{
	if (rc != 0)
		fail_msg("svc API: %d (%s)", rc, err);
}

static int
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

static void
backend_weight(const char *svc, uint32_t be, uint16_t port, uint32_t weight)
{
	struct ng_ip a = {.family = AF_INET, .v4 = be};
	char err[NG_ERRBUF] = "";

	svc_or_fail(ng_svc_backend_set(svc, &a, port, weight, err, sizeof(err)), err);
	svc_or_fail(ng_svc_commit(err, sizeof(err)), err);
}

static void
backend_remove(const char *svc, uint32_t be, uint16_t port)
{
	struct ng_ip a = {.family = AF_INET, .v4 = be};
	char err[NG_ERRBUF] = "";

	svc_or_fail(ng_svc_backend_del(svc, &a, port, err, sizeof(err)), err);
	svc_or_fail(ng_svc_commit(err, sizeof(err)), err);
}

static uint64_t
svc_refused(const char *name)
{
	struct ng_svc_counters c;

	assert_int_equal(ng_svc_counters(name, &c), 0);
	return c.refused;
}

/* ---- the fixtures ---- */

static void
fx_tcp_syn(void)
{
	struct flow fl = flow_init(IPPROTO_TCP, CLIENT, 40000, VIP_WEB, 80, true);
	struct ng_svc_counters before, after;
	struct ng_conn *c;

	assert_int_equal(ng_svc_counters("web", &before), 0);
	flow_first(&fl, "SYN to web", RTE_TCP_SYN_FLAG, 8080);
	c = flow_conn(&fl);
	assert_state(c, NG_CT_SYN_SENT);
	assert_int_equal(c->pkts, 1);
	assert_false(c->flags & NG_CT_F_REPLIED);
	assert_int_equal(c->orig.proto, IPPROTO_TCP);
	assert_int_equal(ng_svc_counters("web", &after), 0);
	assert_int_equal(after.conns, before.conns + 1);
	assert_int_equal(after.pkts, before.pkts + 1);
	assert_int_equal(after.bytes, before.bytes + 40);
}

static void
fx_tcp_handshake_data(void)
{
	struct flow fl = flow_init(IPPROTO_TCP, CLIENT, 40001, VIP_WEB, 80, true);
	struct ng_conn *c;

	flow_handshake(&fl, 8080);
	c = flow_conn(&fl);
	assert_true(c->flags & NG_CT_F_REPLIED);
	flow_c2s(&fl, "client data", RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, 1001, 9001, 100);
	flow_s2c(&fl, "backend data", RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, 9001, 1101, 200);
	flow_c2s(&fl, "client ACK of the data", RTE_TCP_ACK_FLAG, 1101, 9201, 0);
	assert_ptr_equal(flow_conn(&fl), c);
	assert_state(c, NG_CT_ESTABLISHED);
	assert_int_equal(c->pkts, 6);
	assert_int_equal(c->bytes, 6 * 40 + 100 + 200);
}

static void
fx_tcp_close(void)
{
	struct flow fl = flow_init(IPPROTO_TCP, CLIENT, 40100, VIP_WEB, 80, true);
	struct flow fr = flow_init(IPPROTO_TCP, CLIENT, 40101, VIP_WEB, 80, true);
	struct flow again;
	struct ng_conn *c;
	uint64_t deleted;
	struct frame in;

	/* FIN from both sides: TIME_WAIT, and the last ACK still flows. */
	flow_handshake(&fl, 8080);
	c = flow_conn(&fl);
	flow_c2s(&fl, "client FIN", RTE_TCP_FIN_FLAG | RTE_TCP_ACK_FLAG, 1001, 9001, 0);
	assert_state(c, NG_CT_FIN_WAIT);
	flow_s2c(&fl, "backend FIN", RTE_TCP_FIN_FLAG | RTE_TCP_ACK_FLAG, 9001, 1002, 0);
	assert_state(c, NG_CT_TIME_WAIT);
	flow_c2s(&fl, "client last ACK", RTE_TCP_ACK_FLAG, 1002, 9002, 0);
	assert_state(c, NG_CT_TIME_WAIT);

	/* A new SYN on the TIME_WAIT tuple: a fresh connection, same Maglev choice. */
	deleted = dp->workers[fl.wid]->ct->stats.deleted;
	again = flow_init(IPPROTO_TCP, CLIENT, 40100, VIP_WEB, 80, true);
	flow_first(&again, "SYN reusing the TIME_WAIT tuple", RTE_TCP_SYN_FLAG, 8080);
	assert_int_equal(again.be, fl.be);
	assert_int_equal(dp->workers[fl.wid]->ct->stats.deleted, deleted + 1);
	c = flow_conn(&again);
	assert_state(c, NG_CT_SYN_SENT);
	assert_int_equal(c->pkts, 1);
	assert_int_equal(c->flags & (NG_CT_F_FIN_ORIG | NG_CT_F_FIN_REPLY | NG_CT_F_REPLIED), 0);
	if (again.lport != fl.lport) {
		bool rep;

		/* The old reply key went with the old entry. */
		assert_null(conn_lookup(fl.wid, IPPROTO_TCP, fl.be, fl.bport, fl.snat, fl.lport,
				&rep));
	}

	/* RST from the backend: CLOSE, forwarded; a new SYN reuses the tuple. */
	flow_handshake(&fr, 8080);
	c = flow_conn(&fr);
	flow_s2c(&fr, "backend RST", RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG, 9001, 1001, 0);
	assert_state(c, NG_CT_CLOSE);
	deleted = dp->workers[fr.wid]->ct->stats.deleted;
	again = flow_init(IPPROTO_TCP, CLIENT, 40101, VIP_WEB, 80, true);
	flow_first(&again, "SYN reusing the CLOSE tuple", RTE_TCP_SYN_FLAG, 8080);
	assert_int_equal(dp->workers[fr.wid]->ct->stats.deleted, deleted + 1);
	assert_state(flow_conn(&again), NG_CT_SYN_SENT);
	/* RST from the client then: CLOSE again. */
	flow_c2s(&again, "client RST", RTE_TCP_RST_FLAG, 1001, 0, 0);
	assert_state(flow_conn(&again), NG_CT_CLOSE);

	/* A RST with no connection opens none. */
	tcp4(&in, P0, CLIENT, 40102, VIP_WEB, 80, RTE_TCP_RST_FLAG, 5, 0, 0);
	step("RST without a connection", fl.wid, &in, DROP(TCP_RST_NO_CONN), NULL);
	{
		bool rep;

		assert_null(conn_lookup(fl.wid, IPPROTO_TCP, CLIENT, 40102, VIP_WEB, 80, &rep));
	}
}

static void
fx_udp(void)
{
	struct flow fl = flow_init(IPPROTO_UDP, CLIENT, 50000, VIP_DNS, 53, true);
	struct flow nock = flow_init(IPPROTO_UDP, CLIENT, 50001, VIP_DNS, 53, true);
	struct ng_conn *c;

	/* With checksums: rewritten incrementally, valid both ways. */
	flow_first(&fl, "UDP query with checksum", 1, 5353);
	c = flow_conn(&fl);
	assert_state(c, NG_CT_UDP);
	flow_s2c(&fl, "UDP answer with checksum", 1, 0, 0, 120);
	flow_c2s(&fl, "second query, same flow", 1, 0, 0, 33);
	assert_ptr_equal(flow_conn(&fl), c);
	assert_true(c->flags & NG_CT_F_REPLIED);
	assert_int_equal(c->pkts, 3);

	/* Checksum 0 (none) stays 0 both ways. */
	flow_first(&nock, "UDP query without checksum", 0, 5353);
	flow_s2c(&nock, "UDP answer without checksum", 0, 0, 0, 64);
	assert_state(flow_conn(&nock), NG_CT_UDP);
}

static void
fx_no_backend(void)
{
	uint64_t tcp_refused = svc_refused("empty"), udp_refused = svc_refused("uempty");
	struct frame in, out;
	bool rep;

	tcp4(&in, P0, CLIENT, 40200, VIP_EMPTY, 80, RTE_TCP_SYN_FLAG, 77777, 0, 0);
	step("SYN to a service without backends", owner, &in, REFUSE(P0, SVC_NO_BACKEND), &out);
	check_rst(&in, &out);
	assert_int_equal(rte_be_to_cpu_32(((struct rte_tcp_hdr *)l4_of(&out))->recv_ack), 77778);
	assert_null(conn_lookup(owner, IPPROTO_TCP, CLIENT, 40200, VIP_EMPTY, 80, &rep));

	tcp4(&in, P0, CLIENT, 40201, VIP_EMPTY, 80, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, 500,
			0xabcdef01, 30);
	step("data segment to a service without backends", owner, &in,
			REFUSE(P0, SVC_NO_BACKEND), &out);
	check_rst(&in, &out);
	assert_int_equal(rte_be_to_cpu_32(((struct rte_tcp_hdr *)l4_of(&out))->sent_seq),
			0xabcdef01);
	assert_int_equal(svc_refused("empty"), tcp_refused + 2);

	udp4(&in, P0, CLIENT, 50200, VIP_EMPTY, 53, 40, true);
	step("UDP to a service without backends", owner, &in, REFUSE(P0, SVC_NO_BACKEND), &out);
	check_port_unreachable(&in, &out, VIP_EMPTY);
	assert_int_equal(svc_refused("uempty"), udp_refused + 1);
	assert_null(conn_lookup(owner, IPPROTO_UDP, CLIENT, 50200, VIP_EMPTY, 53, &rep));
}

static void
fx_no_frontend(void)
{
	struct frame in, out;

	tcp4(&in, P0, CLIENT, 40300, VIP_WEB, 81, RTE_TCP_SYN_FLAG, 4242, 0, 0);
	step("SYN to web's VIP, port 81", owner, &in, REFUSE(P0, SVC_NO_FRONTEND), &out);
	check_rst(&in, &out);

	udp4(&in, P0, CLIENT, 50300, VIP_WEB, 53, 12, true);
	step("UDP to web's VIP (a TCP service)", owner, &in, REFUSE(P0, SVC_NO_FRONTEND), &out);
	check_port_unreachable(&in, &out, VIP_WEB);
}

static void
fx_vip_icmp_arp(void)
{
	struct frame in, out;

	for (unsigned int wid = 0; wid < NWORKERS; wid++) {
		const struct rte_ipv4_hdr *ih, *oh;
		const struct rte_icmp_hdr *ii, *oi;

		icmp_echo4(&in, CLIENT, VIP_WEB, 56);
		step("ICMP echo to a VIP", wid, &in, TX(P0), &out);
		ih = ip_of(&in);
		oh = ip_of(&out);
		ii = (const struct rte_icmp_hdr *)(ih + 1);
		oi = (const struct rte_icmp_hdr *)(oh + 1);
		assert_int_equal(out.len, in.len);
		check_eth(&out, P0, &client_mac);
		assert_int_equal(oh->version_ihl, 0x45);
		assert_int_equal(oh->total_length, ih->total_length);
		assert_addr(oh->src_addr, VIP_WEB);
		assert_addr(oh->dst_addr, CLIENT);
		assert_int_equal(oh->time_to_live, 64);
		assert_int_equal(oh->next_proto_id, IPPROTO_ICMP);
		check_ip_cksum(oh);
		assert_int_equal(oi->icmp_type, RTE_IP_ICMP_ECHO_REPLY);
		assert_int_equal(oi->icmp_code, 0);
		assert_int_equal(oi->icmp_ident, ii->icmp_ident);
		assert_int_equal(oi->icmp_seq_nb, ii->icmp_seq_nb);
		assert_int_equal(rte_raw_cksum(oi, 8 + 56), 0xffff);
		assert_memory_equal(oi + 1, ii + 1, 56);
	}
	for (unsigned int wid = 0; wid < NWORKERS; wid++) {
		const struct rte_arp_hdr *a;

		arp_request4(&in, CLIENT, VIP_DNS);
		step("ARP request for a VIP", wid, &in, TX(P0), &out);
		a = (const struct rte_arp_hdr *)&out.b[L2];
		assert_int_equal(out.len, in.len);
		check_eth(&out, P0, &client_mac);
		assert_int_equal(((const struct rte_ether_hdr *)out.b)->ether_type,
				rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP));
		assert_int_equal(rte_be_to_cpu_16(a->arp_hardware), RTE_ARP_HRD_ETHER);
		assert_int_equal(rte_be_to_cpu_16(a->arp_protocol), RTE_ETHER_TYPE_IPV4);
		assert_int_equal(a->arp_hlen, 6);
		assert_int_equal(a->arp_plen, 4);
		assert_int_equal(rte_be_to_cpu_16(a->arp_opcode), RTE_ARP_OP_REPLY);
		assert_memory_equal(&a->arp_data.arp_sha, &port_mac[P0], RTE_ETHER_ADDR_LEN);
		assert_addr(a->arp_data.arp_sip, VIP_DNS);
		assert_memory_equal(&a->arp_data.arp_tha, &client_mac, RTE_ETHER_ADDR_LEN);
		assert_addr(a->arp_data.arp_tip, CLIENT);
	}
}

static void
fx_redirect(void)
{
	struct flow fl = flow_init(IPPROTO_TCP, CLIENT, 40400, VIP_WEB, 80, true);
	struct flow f2 = flow_init(IPPROTO_TCP, client2, 40401, VIP_WEB, 80, true);
	struct frame in;
	struct ng_conn *c;
	bool rep;

	/* The SYN on the wrong worker goes to the owner's ring from it, untouched. */
	flow_c2s_frame(&fl, &in, RTE_TCP_SYN_FLAG, 1000, 0, 0);
	step("SYN on the non-owner", other, &in, REDIRECT(owner), NULL);
	assert_null(conn_lookup(other, IPPROTO_TCP, CLIENT, 40400, VIP_WEB, 80, &rep));
	assert_null(conn_lookup(owner, IPPROTO_TCP, CLIENT, 40400, VIP_WEB, 80, &rep));
	{
		struct rte_mbuf *m = NULL;

		assert_int_equal(rte_ring_dequeue(dp->workers[owner]->redir_in[other],
				(void **)&m), 0);
		assert_int_equal(rte_pktmbuf_pkt_len(m), in.len);
		assert_memory_equal(rte_pktmbuf_mtod(m, const void *), in.b, in.len);
		assert_int_equal(rte_ring_enqueue(dp->workers[owner]->redir_in[other], m), 0);
	}
	flow_first_on(&fl, "SYN handed to the owner", RTE_TCP_SYN_FLAG, 8080, true);
	c = flow_conn(&fl);
	assert_state(c, NG_CT_SYN_SENT);

	/* The backend's reply on the wrong worker: to the owner of its lport. */
	flow_s2c_frame(&fl, &in, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, 9000, 1001, 0);
	step("SYN-ACK on the non-owner", other, &in, REDIRECT(fl.lport % NWORKERS), NULL);
	{
		struct frame out;

		step_redirected("SYN-ACK handed to the owner", other, owner, P1, TX(P0), &out);
		check_nat_fwd(&in, &out, P0, VIP_WEB, 80, CLIENT, 40400);
	}
	assert_state(c, NG_CT_SYN_RECV);

	/* A client the other worker owns: mirrored, its lport is the other's. */
	assert_int_equal(f2.wid, other);
	flow_c2s_frame(&f2, &in, RTE_TCP_SYN_FLAG, 1000, 0, 0);
	step("second client's SYN on its non-owner", owner, &in, REDIRECT(other), NULL);
	flow_first_on(&f2, "second client's SYN handed over", RTE_TCP_SYN_FLAG, 8080, true);
	assert_int_equal(f2.lport % NWORKERS, other);
	assert_state(flow_conn(&f2), NG_CT_SYN_SENT);
	flow_s2c(&f2, "second client's SYN-ACK on its owner", RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG,
			9000, 1001, 0);
}

static void
fx_dnat(void)
{
	struct flow fl = flow_init(IPPROTO_TCP, CLIENT, 40500, VIP_DWEB, 80, false);
	struct frame in;
	struct ng_conn *c;

	flow_first(&fl, "SYN to dweb (DNAT)", RTE_TCP_SYN_FLAG, 8080);
	c = flow_conn(&fl);
	assert_state(c, NG_CT_SYN_SENT);
	assert_int_equal(c->lport, 0);

	/* The reply, to the client itself, belongs to the owner of hash(client). */
	flow_s2c_frame(&fl, &in, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, 9000, 1001, 0);
	step("DNAT SYN-ACK on the non-owner", other, &in, REDIRECT(owner), NULL);
	{
		struct frame out;

		step_redirected("DNAT SYN-ACK handed to the owner", other, owner, P1, TX(P0), &out);
		check_nat_fwd(&in, &out, P0, VIP_DWEB, 80, CLIENT, 40500);
	}
	assert_state(c, NG_CT_SYN_RECV);
	flow_c2s(&fl, "DNAT ACK", RTE_TCP_ACK_FLAG, 1001, 9001, 0);
	flow_s2c(&fl, "DNAT data from the backend", RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, 9001,
			1001, 300);
	assert_state(c, NG_CT_ESTABLISHED);
}

static void
fx_nodeport(void)
{
	struct flow f0 = flow_init(IPPROTO_TCP, CLIENT, 40600, GW0, NODE_PORT, true);
	struct flow f1 = flow_init(IPPROTO_TCP, CLIENT, 40601, GW1, NODE_PORT, true);
	struct frame in, out;

	flow_handshake(&f0, 8080);
	flow_s2c(&f0, "NodePort data from the backend", RTE_TCP_ACK_FLAG, 9001, 1001, 64);
	/* The NodePort on the other gateway address too. */
	flow_handshake(&f1, 8080);

	/* Another port of the gateway address: no listener. */
	tcp4(&in, P0, CLIENT, 40602, GW0, NODE_PORT + 1, RTE_TCP_SYN_FLAG, 10, 0, 0);
	step("SYN to a gateway port without NodePort", owner, &in, REFUSE(P0, LOCAL_PROTO), &out);
	check_rst(&in, &out);
}

/* Kernel twins on both ports, as lib/twin sets them (no rate limit to speak of), or none. */
static void
twins_set(bool on)
{
	for (unsigned int p = 0; p < NPORTS; p++) {
		ng_port_dp[port_id[p]].twin = on;
		ng_port_dp[port_id[p]].punt_cost = on ? 1 : 0;
		ng_port_dp[port_id[p]].punt_depth = on ? UINT64_C(1) << 40 : 0;
	}
	for (unsigned int i = 0; i < NWORKERS; i++)
		memset(dp->workers[i]->punt_tb, 0, sizeof(dp->workers[i]->punt_tb));
}

/* The frame punted is the frame that came in. */
static void
check_same(const struct frame *in, const struct frame *out)
{
	assert_int_equal(out->len, in->len);
	assert_memory_equal(out->b, in->b, in->len);
}

/*
 * With kernel twins: traffic to a gateway address that no NodePort takes goes
 * to the kernel (on the flow's owner), while NodePort, VIP and FullNAT reply
 * traffic never does (verify() checks every punt ring at every step), and
 * refusals for VIPs stay refusals.
 */
static void
fx_twin(void)
{
	struct flow np = flow_init(IPPROTO_TCP, CLIENT, 40800, GW0, NODE_PORT, true);
	struct flow web = flow_init(IPPROTO_TCP, CLIENT, 40801, VIP_WEB, 80, true);
	struct flow dns = flow_init(IPPROTO_UDP, CLIENT, 50800, VIP_DNS, 53, true);
	struct frame in, out;

	twins_set(true);
	flow_handshake(&np, 8080);
	flow_s2c(&np, "NodePort data from the backend", RTE_TCP_ACK_FLAG, 9001, 1001, 64);
	flow_handshake(&web, 8080);
	flow_first(&dns, "UDP to a VIP", 1, 5353);
	flow_s2c(&dns, "UDP reply", 1, 0, 0, 20);

	/* SSH to the gateway: the kernel's, on the client's owner */
	tcp4(&in, P0, CLIENT, 40802, GW0, 22, RTE_TCP_SYN_FLAG, 10, 0, 0);
	step("SYN to the gateway's port 22", owner, &in, PUNT, &out);
	check_same(&in, &out);
	step("the same SYN on the other worker", other, &in, REDIRECT(owner), NULL);
	step_redirected("handed to the owner", other, owner, P0, PUNT, &out);
	check_same(&in, &out);
	/* UDP to the other port's address, and a FullNAT-range port with no connection */
	udp4(&in, P0, CLIENT, 50801, GW1, 161, 10, true);
	step("UDP to port 1's address", owner, &in, PUNT, &out);
	check_same(&in, &out);
	tcp4(&in, P1, be_addr(0), 8080, GW1, (uint16_t)(60000 + owner), RTE_TCP_ACK_FLAG, 1, 1, 0);
	step("a backend's segment for no connection", owner, &in, PUNT, &out);
	check_same(&in, &out);

	/* service addresses are never the kernel's */
	tcp4(&in, P0, CLIENT, 40803, VIP_WEB, 81, RTE_TCP_SYN_FLAG, 4242, 0, 0);
	step("SYN to web's VIP, port 81", owner, &in, REFUSE(P0, SVC_NO_FRONTEND), &out);
	check_rst(&in, &out);
	tcp4(&in, P0, CLIENT, 40804, VIP_EMPTY, 80, RTE_TCP_SYN_FLAG, 77, 0, 0);
	step("SYN to a service without backends", owner, &in, REFUSE(P0, SVC_NO_BACKEND), &out);
	check_rst(&in, &out);
	icmp_echo4(&in, CLIENT, VIP_WEB, 8);
	step("ICMP echo to a VIP: nodegw answers", owner, &in, TX(P0), &out);
	icmp_echo4(&in, CLIENT, GW0, 8);
	step("ICMP echo to the gateway: nodegw answers", owner, &in, TX(P0), &out);
	twins_set(false);
}

static void
fx_backend_removed(void)
{
	struct flow t = flow_init(IPPROTO_TCP, CLIENT, 40700, VIP_RM, 80, true);
	struct flow u = flow_init(IPPROTO_UDP, CLIENT, 50700, VIP_URM, 53, true);
	struct flow late, nu;
	uint32_t gone;
	struct frame in, out;
	struct ng_conn *c;

	/* TCP: the connection keeps its removed backend until it closes. */
	flow_handshake(&t, 8080);
	c = flow_conn(&t);
	backend_remove("rm", t.be, 8080);
	flow_c2s(&t, "TCP data after its backend was removed", RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG,
			1001, 9001, 50);
	flow_s2c(&t, "TCP data from the removed backend", RTE_TCP_ACK_FLAG, 9001, 1051, 20);
	assert_ptr_equal(flow_conn(&t), c);
	assert_state(c, NG_CT_ESTABLISHED);
	/* New connections never get it. */
	for (uint16_t p = 0; p < 16; p++) {
		struct flow n = flow_init(IPPROTO_TCP, CLIENT, (uint16_t)(40710 + p), VIP_RM, 80,
				true);

		flow_first(&n, "new SYN after the removal", RTE_TCP_SYN_FLAG, 8080);
		assert_int_not_equal(n.be, t.be);
	}

	/* UDP: the next datagram moves to a live backend at once. */
	flow_first(&u, "UDP datagram", 1, 53);
	assert_state(flow_conn(&u), NG_CT_UDP);
	gone = u.be;
	backend_remove("urm", gone, 53);
	nu = flow_init(IPPROTO_UDP, CLIENT, 50700, VIP_URM, 53, true);
	flow_first(&nu, "UDP datagram after its backend was removed", 1, 53);
	assert_int_not_equal(nu.be, gone);
	assert_state(flow_conn(&nu), NG_CT_UDP);
	flow_s2c(&nu, "UDP answer from the new backend", 1, 0, 0, 10);
	/* A late answer from the removed backend is no longer translated. */
	late = u;
	flow_s2c_frame(&late, &in, 1, 0, 0, 10);
	/* The new conn's reply key differs in the backend address (source ports
	 * are handed out per backend, so the port itself may be the same). */
	assert_int_not_equal(late.be, nu.be);
	step("late UDP answer from the removed backend", owner, &in, REFUSE(P1, LOCAL_PROTO),
			&out);
	check_port_unreachable(&in, &out, GW1);
}

static void
fx_backend_drained(void)
{
	enum { N = 24 };
	struct flow t = flow_init(IPPROTO_TCP, CLIENT, 40800, VIP_DRAIN, 80, true);
	unsigned int hits = 0;

	flow_handshake(&t, 8080);

	/* Before: some of N new flows pick t's backend; close them (RST: CLOSE). */
	for (uint16_t p = 0; p < N; p++) {
		struct flow n = flow_init(IPPROTO_TCP, CLIENT, (uint16_t)(40810 + p), VIP_DRAIN, 80,
				true);

		flow_first(&n, "SYN before draining", RTE_TCP_SYN_FLAG, 8080);
		hits += n.be == t.be;
		flow_c2s(&n, "RST before draining", RTE_TCP_RST_FLAG, 1001, 0, 0);
		assert_state(flow_conn(&n), NG_CT_CLOSE);
	}
	assert_true(hits > 0);

	backend_weight("drain", t.be, 8080, 0);
	/* The existing connection stays on the drained backend. */
	flow_c2s(&t, "data to the drained backend", RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, 1001, 9001,
			10);
	flow_s2c(&t, "data from the drained backend", RTE_TCP_ACK_FLAG, 9001, 1011, 10);
	assert_state(flow_conn(&t), NG_CT_ESTABLISHED);
	/* The same N flows again, fresh: never the drained backend. */
	for (uint16_t p = 0; p < N; p++) {
		struct flow n = flow_init(IPPROTO_TCP, CLIENT, (uint16_t)(40810 + p), VIP_DRAIN, 80,
				true);

		flow_first(&n, "SYN after draining", RTE_TCP_SYN_FLAG, 8080);
		assert_int_not_equal(n.be, t.be);
		assert_state(flow_conn(&n), NG_CT_SYN_SENT);
	}
}


static void
fx_frame_variants(void)
{
	struct flow fl = flow_init(IPPROTO_TCP, CLIENT, 40900, VIP_WEB, 80, true);
	struct frame plain, in, out;
	const uint8_t *oopt;

	/* Tagged (VLAN 100, PCP 3): served, forwarded untagged. */
	flow_c2s_frame(&fl, &plain, RTE_TCP_SYN_FLAG, 1000, 0, 0);
	in = plain;
	frame_tag(&in, 0x6064);
	step("tagged SYN to web", fl.wid, &in, TX(P1), &out);
	fl.be = ip_of(&out)->dst_addr;
	fl.bport = 8080;
	fl.snat = GW1;
	fl.lport = rte_be_to_cpu_16(((const uint16_t *)l4_of(&out))[0]);
	assert_true(be_index(fl.be) >= 0);
	check_nat_fwd(&plain, &out, P1, GW1, fl.lport, fl.be, 8080);
	assert_state(flow_conn(&fl), NG_CT_SYN_SENT);

	/* Ethernet padding to 60 bytes: trimmed, then served. */
	flow_c2s_frame(&fl, &plain, RTE_TCP_ACK_FLAG, 1001, 9001, 0);
	in = plain;
	memset(&in.b[in.len], 0, 60 - in.len);
	in.len = 60;
	step("padded ACK of the flow", fl.wid, &in, TX(P1), &out);
	check_nat_fwd(&plain, &out, P1, GW1, fl.lport, fl.be, 8080);

	/* TCP options (a real SYN's): kept byte for byte, checksum still right. */
	fl = flow_init(IPPROTO_TCP, CLIENT, 40901, VIP_WEB, 80, true);
	flow_c2s_frame(&fl, &in, RTE_TCP_SYN_FLAG, 1000, 0, 0);
	frame_syn_options(&in);
	step("SYN with TCP options", fl.wid, &in, TX(P1), &out);
	fl.be = ip_of(&out)->dst_addr;
	fl.lport = rte_be_to_cpu_16(((const uint16_t *)l4_of(&out))[0]);
	check_nat_fwd(&in, &out, P1, GW1, fl.lport, fl.be, 8080);

	/* IPv4 options: kept, header checksum still right. */
	tcp4(&in, P0, CLIENT, 40902, VIP_WEB, 80, RTE_TCP_SYN_FLAG, 1000, 0, 0);
	frame_ip_options(&in);
	step("SYN with IPv4 options", owner, &in, TX(P1), &out);
	oopt = (const uint8_t *)(ip_of(&out) + 1);
	assert_memory_equal(oopt, ip_of(&in) + 1, 4);
	check_nat_fwd(&in, &out, P1, GW1, rte_be_to_cpu_16(((const uint16_t *)l4_of(&out))[0]),
			ip_of(&out)->dst_addr, 8080);

	/* Refusals of such segments: a plain 40-byte RST. */
	tcp4(&in, P0, CLIENT, 40903, VIP_EMPTY, 80, RTE_TCP_SYN_FLAG, 3000, 0, 0);
	frame_ip_options(&in);
	step("SYN with IPv4 options, no backend", owner, &in, REFUSE(P0, SVC_NO_BACKEND), &out);
	check_rst(&in, &out);
	tcp4(&in, P0, CLIENT, 40904, VIP_EMPTY, 80, RTE_TCP_SYN_FLAG, 3000, 0, 0);
	frame_syn_options(&in);
	step("SYN with TCP options, no backend", owner, &in, REFUSE(P0, SVC_NO_BACKEND), &out);
	check_rst(&in, &out);
	assert_int_equal(rte_be_to_cpu_32(((struct rte_tcp_hdr *)l4_of(&out))->recv_ack), 3001);
}

static void
fx_malformed(void)
{
	struct frame in;
	bool rep;

	/* A fragment to a VIP: not served (no L4 header to trust), on any worker. */
	tcp4(&in, P0, CLIENT, 41000, VIP_WEB, 80, RTE_TCP_SYN_FLAG, 1, 0, 0);
	ip_of(&in)->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG);
	frame_set_ttl(&in, 64);
	step("first fragment to a VIP", other, &in, DROP(VIP_FRAGMENT), NULL);
	/* Shorter than a TCP/UDP header. */
	tcp4(&in, P0, CLIENT, 41001, VIP_WEB, 80, RTE_TCP_SYN_FLAG, 1, 0, 0);
	ip_of(&in)->total_length = rte_cpu_to_be_16(20 + 12);
	frame_set_ttl(&in, 64);
	in.len = L2 + 32;
	step("12 bytes of TCP to a VIP", owner, &in, DROP(L4_HEADER), NULL);
	udp4(&in, P0, CLIENT, 41002, VIP_DNS, 53, 0, true);
	ip_of(&in)->total_length = rte_cpu_to_be_16(20 + 6);
	frame_set_ttl(&in, 64);
	in.len = L2 + 26;
	step("6 bytes of UDP to a VIP", owner, &in, DROP(L4_HEADER), NULL);
	assert_null(conn_lookup(owner, IPPROTO_TCP, CLIENT, 41001, VIP_WEB, 80, &rep));
}

/* Five packets in one burst on the owner: each verdict as alone. */
static void
fx_burst(void)
{
	struct flow a = flow_init(IPPROTO_TCP, CLIENT, 41100, VIP_WEB, 80, true);
	struct flow b = flow_init(IPPROTO_UDP, CLIENT, 41101, VIP_DNS, 53, true);
	struct frame in[6];
	struct rte_mbuf *m[6];
	struct ng_worker *w = dp->workers[owner];
	bool rep;

	flow_c2s_frame(&a, &in[0], RTE_TCP_SYN_FLAG, 1000, 0, 0);
	flow_c2s_frame(&b, &in[1], 1, 0, 0, 20);
	tcp4(&in[2], P0, client2, 41102, VIP_WEB, 80, RTE_TCP_SYN_FLAG, 1, 0, 0);
	tcp4(&in[3], P0, CLIENT, 41103, VIP_EMPTY, 80, RTE_TCP_SYN_FLAG, 1, 0, 0);
	icmp_echo4(&in[4], CLIENT, VIP_WEB, 8);
	udp4(&in[5], P0, CLIENT, 41105, VIP_WEB, 443, 8, true);
	stats_reset();
	for (unsigned int i = 0; i < 6; i++)
		m[i] = mbuf_of(&in[i]);
	ng_worker_process(w, m, 6);
	/* SYN and datagram to p1; RST, echo reply and port unreachable to p0. */
	assert_int_equal(w->tx[P1].n, 2);
	assert_int_equal(w->tx[P0].n, 3);
	assert_int_equal(w->stats.port[P0].drop[NG_DROP_SVC_NO_BACKEND], 1);
	assert_int_equal(w->stats.port[P0].drop[NG_DROP_SVC_NO_FRONTEND], 1);
	assert_int_equal(drops_total(owner), 2);
	assert_int_equal(w->stats.redirect_tx, 1);
	assert_int_equal(rte_ring_count(dp->workers[other]->redir_in[owner]), 1);
	assert_int_equal(w->stats.stage[NG_STAGE_LB].pkts, 5);
	assert_int_equal(w->stats.stage[NG_STAGE_PARSE].pkts, 6);
	assert_non_null(conn_lookup(owner, IPPROTO_TCP, CLIENT, 41100, VIP_WEB, 80, &rep));
	assert_non_null(conn_lookup(owner, IPPROTO_UDP, CLIENT, 41101, VIP_DNS, 53, &rep));
	assert_null(conn_lookup(owner, IPPROTO_TCP, client2, 41102, VIP_WEB, 80, &rep));
	assert_int_equal(release_all(), 6);
}

/*
 * BUG (reported): a packet to a VIP with TTL 1 is translated by the service
 * stage before the forward stage finds the TTL expired (lib/worker/lb_dp.c
 * ng_lb_process NATs, then lib/worker/ip4_dp.c ttl_expired builds the ICMP
 * error from the rewritten packet). The time exceeded goes to the FullNAT
 * source 198.18.1.1 (the gateway itself) quoting 198.18.1.1:lport ->
 * backend:8080, out p0 to the client's MAC; and a SYN_SENT conn is left for a
 * packet that was dropped. Expected: the error goes to the client and quotes
 * what it sent, and no connection is created. Same for a backend's reply with
 * TTL 1: the error goes to the VIP (quoting VIP:80 -> client), out p1;
 * expected: to the backend, quoting backend:8080 -> 198.18.1.1:lport.
 */
static void
fx_ttl_expired_vip(void)
{
	struct flow fl = flow_init(IPPROTO_TCP, CLIENT, 41200, VIP_WEB, 80, true);
	struct frame in, out;
	bool rep;

	flow_c2s_frame(&fl, &in, RTE_TCP_SYN_FLAG, 1000, 0, 0);
	frame_set_ttl(&in, 1);
	step("SYN with TTL 1 to a VIP", owner, &in, REFUSE(P0, TTL_EXPIRED), &out);
	check_time_exceeded(&in, &out, P0, GW0);
	assert_null(conn_lookup(owner, IPPROTO_TCP, CLIENT, 41200, VIP_WEB, 80, &rep));

	fl.cport = 41201;
	flow_first(&fl, "SYN", RTE_TCP_SYN_FLAG, 8080);
	flow_s2c_frame(&fl, &in, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, 9000, 1001, 0);
	frame_set_ttl(&in, 1);
	step("backend SYN-ACK with TTL 1", owner, &in, REFUSE(P1, TTL_EXPIRED), &out);
	check_time_exceeded(&in, &out, P1, GW1);
}

/*
 * BUG (reported): the service stage does not check the TCP data offset
 * (lib/worker/lb_dp.c ng_lb_process checks only total length >= ihl + 20).
 * A SYN with data offset 2 (8 bytes, below the minimum of 5 words) to "web"
 * is forwarded to a backend and creates a connection; to "empty" it is
 * answered with a RST whose ack is computed from the bogus length
 * (ng_lb_refuse: seg_len = tot - ihl - data_off * 4; with data offset 15 on
 * a 20-byte segment it wraps: ack = seq - 39). Expected (DESIGN: malformed
 * packets are counted and dropped): NG_DROP_L4_HEADER, no connection, no RST.
 */
static void
fx_bad_tcp_data_offset(void)
{
	struct frame in;
	bool rep;

	tcp4(&in, P0, CLIENT, 41300, VIP_WEB, 80, RTE_TCP_SYN_FLAG, 1, 0, 0);
	((struct rte_tcp_hdr *)l4_of(&in))->data_off = 0x20;
	step("SYN with data offset 2 to web", owner, &in, DROP(L4_HEADER), NULL);
	assert_null(conn_lookup(owner, IPPROTO_TCP, CLIENT, 41300, VIP_WEB, 80, &rep));
	tcp4(&in, P0, CLIENT, 41301, VIP_EMPTY, 80, RTE_TCP_SYN_FLAG, 1, 0, 0);
	((struct rte_tcp_hdr *)l4_of(&in))->data_off = 0xf0;
	step("SYN with data offset 15 in a 20-byte segment to empty", owner, &in,
			DROP(L4_HEADER), NULL);
}

struct lb_fixture {
	const char *name;
	const char *desc;
	void (*run)(void);
	/*
	 * Set on a fixture that shows a bug reported to the lead: it skips
	 * unless NG_TEST_SHOW_BUGS is set (then it fails while the bug is there).
	 */
	const char *known_bug;
};

/*
 * A run of FullNAT source ports in use towards one backend, longer than the
 * tries one allocation makes: the backend's port cursor jumps out of it, so a
 * new connection to that backend still gets a port, outside the run.
 */
#define LPORT_RUN 200

static void
fx_lport_run_in_use(void)
{
	struct flow f0 = flow_init(IPPROTO_TCP, CLIENT, 40800, VIP_WEB, 80, true);
	uint64_t now = rte_rdtsc();
	bool ours[LPORT_RUN + 1] = {false};
	unsigned int got = 0;
	struct ng_ct *ct;
	struct ng_conn *c;
	int rc;

	flow_first(&f0, "SYN to web", RTE_TCP_SYN_FLAG, 8080);
	ct = dp->workers[f0.wid]->ct;
	/* the next LPORT_RUN ports of this worker towards f0's backend: taken */
	for (uint32_t i = 1; i <= LPORT_RUN; i++) {
		c = ng_ct_alloc(ct, now);
		assert_non_null(c);
		ng_ct_key4(&c->orig, ip(198, 18, 9, 1), ip(198, 19, 0, 99), rte_cpu_to_be_16(
				(uint16_t)(1000 + i)), rte_cpu_to_be_16(80), IPPROTO_TCP);
		c->backend.v4 = f0.be;
		c->bport = rte_cpu_to_be_16(8080);
		c->snat.v4 = f0.snat;
		c->lport = rte_cpu_to_be_16((uint16_t)(f0.lport + i * NWORKERS));
		c->flags = NG_CT_F_FULLNAT;
		c->state = NG_CT_ESTABLISHED;
		c->last_tsc = now;
		c->expire_tsc = now + 3600 * rte_get_tsc_hz();
		/* -EEXIST: an earlier fixture's conn has the port (a cursor that
		 * jumped): in use all the same */
		rc = ng_ct_insert(ct, c);
		if (rc != -EEXIST)
			assert_int_equal(rc, 0);
		ours[i] = rc == 0;
	}
	for (uint16_t p = 1; p <= 64 && got < 4; p++) {
		struct flow n = flow_init(IPPROTO_TCP, CLIENT, (uint16_t)(40800 + p), VIP_WEB, 80,
				true);

		flow_first(&n, "SYN to web while a run of ports is in use", RTE_TCP_SYN_FLAG, 8080);
		if (n.be != f0.be)
			continue;
		got++;
		if (n.lport > f0.lport && n.lport <= f0.lport + LPORT_RUN * NWORKERS)
			fail_msg("port %u is in the run in use (%u..%u)", n.lport, f0.lport + NWORKERS,
					f0.lport + LPORT_RUN * NWORKERS);
	}
	assert_true(got > 0);
	/* the run goes again, so that later fixtures see the table as before */
	for (uint32_t i = 1; i <= LPORT_RUN; i++) {
		bool rep;

		if (!ours[i])
			continue;
		c = conn_lookup(f0.wid, IPPROTO_TCP, ip(198, 18, 9, 1), (uint16_t)(1000 + i),
				ip(198, 19, 0, 99), 80, &rep);
		assert_non_null(c);
		ng_ct_delete(ct, c);
	}
}

static const struct lb_fixture fixtures[] = {
	{"tcp_syn_fullnat", "SYN to a FullNAT VIP on its owner: to a backend from "
		"198.18.1.1:lport (lport % workers = owner), conn SYN_SENT", fx_tcp_syn},
	{"tcp_handshake_data", "SYN-ACK back to the client from the VIP (SYN_RECV), ACK to the "
		"same backend (ESTABLISHED), data both ways", fx_tcp_handshake_data},
	{"tcp_close", "FINs: TIME_WAIT; RST: CLOSE; a SYN on a TIME_WAIT/CLOSE tuple: fresh "
		"conn; RST without conn: dropped", fx_tcp_close},
	{"udp_fullnat", "UDP to a VIP: to a backend :5353 and back; checksum 0 stays 0",
		fx_udp},
	{"no_backend", "service without backends: TCP RST (ack = seq + 1), UDP ICMP port "
		"unreachable from the VIP", fx_no_backend},
	{"no_frontend", "VIP port not served: RST; UDP to a TCP-only VIP: port unreachable",
		fx_no_frontend},
	{"vip_icmp_arp", "ICMP echo to a VIP: reply from the VIP; ARP for a VIP: answered",
		fx_vip_icmp_arp},
	{"redirect", "packets on the wrong worker go to the owner's ring and are served there",
		fx_redirect},
	{"dnat", "DNAT: client address kept; the reply to the client is matched on hash(client)'s "
		"worker", fx_dnat},
	{"nodeport", "NodePort 30080 on both gateway addresses: to a backend and back",
		fx_nodeport},
	{"backend_removed", "removed backend: TCP conn stays on it, UDP moves at once",
		fx_backend_removed},
	{"backend_drained", "weight 0: the conn stays, new flows never pick it",
		fx_backend_drained},
	{"frame_variants", "VLAN tag, Ethernet padding, TCP and IPv4 options: served and "
		"refused like plain frames", fx_frame_variants},
	{"malformed", "fragment or truncated L4 header to a VIP: dropped, no conn", fx_malformed},
	{"burst", "one burst: new TCP and UDP flows, a redirect, refusals, an echo", fx_burst},
	{"ttl_expired_vip", "TTL 1 to a VIP or from a backend: time exceeded about what the "
		"sender sent, no conn", fx_ttl_expired_vip,
},
	{"bad_tcp_data_offset", "TCP data offset below 5 words or beyond the segment: dropped",
		fx_bad_tcp_data_offset,
},
	{"lport_run_in_use", "FullNAT: a run of 200 source ports in use towards a backend: a "
		"new conn to it still gets a port, outside the run", fx_lport_run_in_use},
	{"twin", "kernel twins: the gateway's own ports go to the kernel on the flow's owner; "
		"NodePort, VIP and reply traffic never do", fx_twin},
};

#define N_FIXTURES RTE_DIM(fixtures)

/* ---- set-up, as app/nodegw/main.c does it ---- */

static int
add_port_conf(unsigned int i, const char *name, const char *devargs, const char *addr)
{
	struct ng_conf_port *p = &conf.ports[i];

	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->devargs, sizeof(p->devargs), "%s", devargs);
	if (ng_prefix_parse(addr, &p->addrs[0]) != 0)
		return -1;
	p->n_addrs = 1;
	p->mtu = 1500;
	p->rx_queues = 1;
	p->rx_desc = 256;
	p->tx_desc = 256;
	return 0;
}

static int
add_neighbour(uint8_t port, uint32_t addr)
{
	struct ng_ip a = {.family = AF_INET, .v4 = addr};
	struct rte_ether_addr mac = mac_of(addr);

	return ng_neigh_add_static(neigh, port_id[port], &a, &mac);
}

static int
setup_routes(void)
{
	struct ng_neigh_params np = {0};

	fib = ng_fib_create(1024, dp->qsbr);
	if (fib == NULL)
		return -1;
	dp->fib = fib;
	for (unsigned int i = 0; i < ng_port_count(); i++) {
		const struct ng_port *p = ng_port_get(i);

		for (unsigned int j = 0; j < p->n_addrs; j++) {
			struct ng_prefix host = {.addr = p->addrs[j].addr, .len = 32};

			if (ng_fib_add(fib, &p->addrs[j], NG_RT_CONNECTED, NG_NH_CONNECTED,
					p->port_id, NULL, &p->addrs[j].addr, false) != 0 ||
					ng_fib_add(fib, &host, NG_RT_LOCAL, NG_NH_LOCAL, p->port_id,
					NULL, &p->addrs[j].addr, false) != 0)
				return -1;
		}
	}
	np.max_entries = conf.arp.max_entries;
	np.reachable_ms = conf.arp.reachable_s * 1000;
	np.retry_ms = conf.arp.retry_ms;
	np.retries = conf.arp.retries;
	np.pending_max = conf.arp.pending_max;
	np.qsbr = dp->qsbr;
	np.pool = pool;
	np.fib = fib;
	np.tx = ng_dp_ctl_tx;
	np.tx_arg = dp;
	neigh = ng_neigh_create(&np);
	if (neigh == NULL)
		return -1;
	dp->neigh = neigh;
	if (add_neighbour(P0, CLIENT) != 0 || add_neighbour(P0, client2) != 0)
		return -1;
	for (unsigned int i = 0; i < N_BACKENDS; i++)
		if (add_neighbour(P1, be_addr(i)) != 0)
			return -1;
	return 0;
}

/* The services of the topology (VIP host order; 0: NodePort). */
static const struct svc_def {
	const char *name;
	uint8_t proto;
	enum ng_fwd_mode mode;
	uint32_t vip;
	uint16_t port, bport;
	unsigned int n_backends;
} services[] = {
	{"web", IPPROTO_TCP, NG_FWD_FULLNAT, HOST4(198, 19, 0, 10), 80, 8080, N_BACKENDS},
	{"dweb", IPPROTO_TCP, NG_FWD_DNAT, HOST4(198, 19, 0, 14), 80, 8080, N_BACKENDS},
	{"dns", IPPROTO_UDP, NG_FWD_FULLNAT, HOST4(198, 19, 0, 11), 53, 5353, N_BACKENDS},
	{"empty", IPPROTO_TCP, NG_FWD_FULLNAT, HOST4(198, 19, 0, 12), 80, 0, 0},
	{"uempty", IPPROTO_UDP, NG_FWD_FULLNAT, HOST4(198, 19, 0, 12), 53, 0, 0},
	{"np", IPPROTO_TCP, NG_FWD_FULLNAT, 0, NODE_PORT, 8080, N_BACKENDS},
	{"rm", IPPROTO_TCP, NG_FWD_FULLNAT, HOST4(198, 19, 0, 20), 80, 8080, N_BACKENDS},
	{"urm", IPPROTO_UDP, NG_FWD_FULLNAT, HOST4(198, 19, 0, 21), 53, 53, N_BACKENDS},
	{"drain", IPPROTO_TCP, NG_FWD_FULLNAT, HOST4(198, 19, 0, 22), 80, 8080, N_BACKENDS},
};

static int
setup_services(void)
{
	struct ng_svc_params p = {0};
	char err[NG_ERRBUF] = "";

	for (unsigned int i = 0; i < NPORTS; i++)
		node_addrs[i] = conf.ports[i].addrs[0].addr;
	p.qsbr = dp->qsbr;
	p.publish = &dp->rs;
	p.fib = fib;
	p.n_workers = NWORKERS;
	p.timeouts = conf.conntrack.timeouts;
	p.lport_min = LPORT_MIN;
	p.lport_max = LPORT_MAX;
	p.node_addrs = node_addrs;
	p.n_node_addrs = NPORTS;
	p.vip_port = port_id[P0];
	if (ng_svc_init(&p) != 0)
		return -1;
	svc_up = true;
	for (unsigned int i = 0; i < RTE_DIM(services); i++) {
		const struct svc_def *d = &services[i];

		if (svc_make(d->name, d->proto, d->mode, d->vip ? rte_cpu_to_be_32(d->vip) : 0,
				d->port, d->bport, d->n_backends) != 0)
			return -1;
	}
	if (ng_svc_commit(err, sizeof(err)) != 0) {
		fprintf(stderr, "commit: %s\n", err);
		return -1;
	}
	if (dp->rs == NULL || dp->rs->n_svcs != RTE_DIM(services) || dp->rs->n_dnat != 1)
		return -1;
	return 0;
}

static int
group_setup(void **state)
{
	char prefix[64], err[NG_ERRBUF];
	char *argv[] = {
		"test_lb_fixtures", "--no-huge", "-m", "512", "--no-pci", "--no-shconf",
		"--file-prefix", prefix, "--vdev", "net_null0", "--vdev", "net_null1", "-l", "0",
		"--log-level", "lib.*:error", NULL,
	};
	unsigned int lcores[NWORKERS];
	int rc;

	(void)state;
	snprintf(prefix, sizeof(prefix), "ng_test_lb_fixtures_%d", (int)getpid());
	if (rte_eal_init((int)RTE_DIM(argv) - 1, argv) < 0) {
		fprintf(stderr, "rte_eal_init: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	if (ng_log_init(RTE_LOG_WARNING) != 0)
		return -1;

	ng_conf_defaults(&conf);
	conf.mempool.mbufs = 2048;
	conf.conntrack.max_entries = 4096;
	if (add_port_conf(0, "p0", "net_null0", "198.18.0.1/24") != 0 ||
			add_port_conf(1, "p1", "net_null1", "198.18.1.1/24") != 0)
		return -1;
	conf.n_ports = NPORTS;

	/* Two worker structs on the one lcore: never launched, driven by the test. */
	for (unsigned int i = 0; i < NWORKERS; i++)
		lcores[i] = rte_get_main_lcore();
	dp = ng_dp_create(&conf, lcores, NWORKERS);
	if (dp == NULL) {
		fprintf(stderr, "ng_dp_create: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	pool = ng_port_pool_create(&conf, NWORKERS);
	if (pool == NULL) {
		fprintf(stderr, "pool: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	dp->pool = pool;
	rc = ng_ports_init(&conf, NWORKERS, pool, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "ng_ports_init: %s\n", err);
		return -1;
	}
	ng_dp_assign_queues(dp);
	if (ng_port_count() != NPORTS || dp->n_ports != NPORTS)
		return -1;
	for (unsigned int i = 0; i < NPORTS; i++) {
		port_id[i] = ng_port_get(i)->port_id;
		port_mac[i] = ng_port_get(i)->mac;
	}

	owner = owner_of_client(CLIENT);
	other = (owner + 1) % NWORKERS;
	client2 = 0;
	for (uint8_t h = 3; h < 250 && client2 == 0; h++)
		if (owner_of_client(ip(198, 18, 0, h)) == other)
			client2 = ip(198, 18, 0, h);
	if (client2 == 0)
		return -1;

	if (setup_routes() != 0) {
		fprintf(stderr, "routes/neighbours set-up failed\n");
		return -1;
	}
	if (setup_services() != 0) {
		fprintf(stderr, "services set-up failed\n");
		return -1;
	}
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	if (svc_up)
		ng_svc_fini();
	ng_neigh_free(neigh);
	ng_fib_free(fib);
	ng_dp_free(dp); /* frees what the TX buffers and rings still hold */
	ng_ports_fini();
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return 0;
}

static void
run_fixture(void **state)
{
	const struct lb_fixture *fx = *state;
	unsigned int in_use, left;

	if (getenv("NG_TEST_VERBOSE") != NULL)
		print_message("%s: %s\n", fx->name, fx->desc);
	if (fx->known_bug != NULL && getenv("NG_TEST_SHOW_BUGS") == NULL) {
		print_message("%s: skipped, known bug: %s\n", fx->name, fx->known_bug);
		skip();
	}
	release_all(); /* what a failed fixture may have left */
	stats_reset();
	twins_set(false);
	in_use = rte_mempool_in_use_count(pool);
	fx->run();
	/* Every packet was checked and released; nothing leaked, nothing freed twice. */
	left = release_all();
	assert_int_equal(left, 0);
	assert_int_equal(rte_mempool_in_use_count(pool), in_use);
}

int
main(void)
{
	struct CMUnitTest tests[N_FIXTURES];

	for (unsigned int i = 0; i < N_FIXTURES; i++) {
		memset(&tests[i], 0, sizeof(tests[i]));
		tests[i].name = fixtures[i].name;
		tests[i].test_func = run_fixture;
		tests[i].initial_state = (void *)(uintptr_t)&fixtures[i];
	}
	return _cmocka_run_group_tests("lb fixtures", tests, N_FIXTURES, group_setup,
			group_teardown);
}
