/* SPDX-License-Identifier: BSD-3-Clause */
/* Frame builders and checks shared by the unit and datapath tests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rte_arp.h>
#include <rte_icmp.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "ng_test_frame.h"

struct ng_ip
tb_addr(const char *s)
{
	struct ng_ip a;

	if (ng_ip_parse(s, &a) != 0)
		fail_msg("\"%s\" is not an address", s);
	return a;
}

struct ng_prefix
tb_prefix(const char *s)
{
	struct ng_prefix p;

	if (ng_prefix_parse(s, &p) != 0)
		fail_msg("\"%s\" is not a prefix", s);
	return p;
}

const char *
tb_ip_str(uint32_t a, char *buf)
{
	uint32_t h = rte_be_to_cpu_32(a);

	snprintf(buf, 16, "%u.%u.%u.%u", h >> 24, (h >> 16) & 0xff, (h >> 8) & 0xff, h & 0xff);
	return buf;
}

void
tb_put16(struct tb_frame *f, uint16_t v)
{
	assert_true(f->len + 2 <= TB_FRAME_MAX);
	f->b[f->len++] = (uint8_t)(v >> 8);
	f->b[f->len++] = (uint8_t)v;
}

void
tb_eth(struct tb_frame *f, const struct rte_ether_addr *dst, const struct rte_ether_addr *src,
		int vlan, uint16_t type)
{
	memset(f, 0, sizeof(*f));
	memcpy(&f->b[0], dst, RTE_ETHER_ADDR_LEN);
	memcpy(&f->b[RTE_ETHER_ADDR_LEN], src, RTE_ETHER_ADDR_LEN);
	f->len = 2 * RTE_ETHER_ADDR_LEN;
	if (vlan >= 0) {
		tb_put16(f, RTE_ETHER_TYPE_VLAN);
		tb_put16(f, (uint16_t)vlan);
	}
	tb_put16(f, type);
	f->l2 = f->len;
}

struct rte_ipv4_hdr *
tb_ip4_hdr(struct tb_frame *f)
{
	return (struct rte_ipv4_hdr *)&f->b[f->l2];
}

void *
tb_l4(struct tb_frame *f)
{
	struct rte_ipv4_hdr *h = tb_ip4_hdr(f);

	return (uint8_t *)h + (h->version_ihl & 0x0f) * 4;
}

struct rte_ipv4_hdr *
tb_ip4_ihl(struct tb_frame *f, uint32_t src, uint32_t dst, uint8_t proto, uint8_t ttl,
		uint16_t l4len, uint8_t ihl)
{
	uint16_t off = f->len, hl = (uint16_t)(ihl * 4);
	struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)&f->b[off];

	assert_in_range(ihl, 5, 15);
	assert_true(off + hl + l4len <= TB_FRAME_MAX);
	memset(h, 0, sizeof(*h));
	memset(h + 1, 1 /* NOP */, hl - sizeof(*h));
	h->version_ihl = (uint8_t)(0x40 | ihl);
	h->total_length = rte_cpu_to_be_16((uint16_t)(hl + l4len));
	h->packet_id = rte_cpu_to_be_16(0x4242);
	h->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	h->time_to_live = ttl;
	h->next_proto_id = proto;
	h->src_addr = src;
	h->dst_addr = dst;
	h->hdr_checksum = rte_ipv4_cksum(h);
	for (uint16_t i = 0; i < l4len; i++)
		f->b[off + hl + i] = (uint8_t)(i * 7);
	f->len = (uint16_t)(off + hl + l4len);
	return h;
}

struct rte_ipv4_hdr *
tb_ip4(struct tb_frame *f, uint32_t src, uint32_t dst, uint8_t proto, uint8_t ttl,
		uint16_t l4len)
{
	return tb_ip4_ihl(f, src, dst, proto, ttl, l4len, 5);
}

void
tb_ip4_cksum(struct tb_frame *f)
{
	struct rte_ipv4_hdr *h = tb_ip4_hdr(f);

	h->hdr_checksum = 0;
	h->hdr_checksum = rte_ipv4_cksum(h);
}

void
tb_set_ttl(struct tb_frame *f, uint8_t ttl)
{
	tb_ip4_hdr(f)->time_to_live = ttl;
	tb_ip4_cksum(f);
}

void
tb_tcp(struct tb_frame *f, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
		uint8_t flags, uint32_t seq, uint32_t ack, uint16_t payload)
{
	struct rte_ipv4_hdr *h = tb_ip4(f, src, dst, IPPROTO_TCP, 64,
			(uint16_t)(sizeof(struct rte_tcp_hdr) + payload));
	struct rte_tcp_hdr *t = (struct rte_tcp_hdr *)(h + 1);

	memset(t, 0, sizeof(*t));
	t->src_port = rte_cpu_to_be_16(sport);
	t->dst_port = rte_cpu_to_be_16(dport);
	t->sent_seq = rte_cpu_to_be_32(seq);
	t->recv_ack = rte_cpu_to_be_32(ack);
	t->data_off = (sizeof(*t) / 4) << 4;
	t->tcp_flags = flags;
	t->rx_win = rte_cpu_to_be_16(29200);
	t->cksum = rte_ipv4_udptcp_cksum(h, t);
}

void
tb_udp(struct tb_frame *f, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
		uint16_t payload, bool cksum)
{
	struct rte_ipv4_hdr *h = tb_ip4(f, src, dst, IPPROTO_UDP, 64,
			(uint16_t)(sizeof(struct rte_udp_hdr) + payload));
	struct rte_udp_hdr *u = (struct rte_udp_hdr *)(h + 1);

	u->src_port = rte_cpu_to_be_16(sport);
	u->dst_port = rte_cpu_to_be_16(dport);
	u->dgram_len = rte_cpu_to_be_16((uint16_t)(sizeof(*u) + payload));
	u->dgram_cksum = 0;
	if (cksum)
		u->dgram_cksum = rte_ipv4_udptcp_cksum(h, u);
}

void
tb_icmp(struct tb_frame *f, uint32_t src, uint32_t dst, uint8_t type, uint8_t code,
		uint16_t data)
{
	struct rte_ipv4_hdr *h = tb_ip4(f, src, dst, IPPROTO_ICMP, 64,
			(uint16_t)(sizeof(struct rte_icmp_hdr) + data));
	struct rte_icmp_hdr *icmp = (struct rte_icmp_hdr *)(h + 1);

	icmp->icmp_type = type;
	icmp->icmp_code = code;
	icmp->icmp_cksum = 0;
	icmp->icmp_ident = rte_cpu_to_be_16(0x1d1d);
	icmp->icmp_seq_nb = rte_cpu_to_be_16(7);
	icmp->icmp_cksum = (uint16_t)~rte_raw_cksum(icmp, sizeof(*icmp) + data);
}

void
tb_arp(struct tb_frame *f, uint16_t op, const struct rte_ether_addr *sha, uint32_t sip,
		const struct rte_ether_addr *tha, uint32_t tip)
{
	struct rte_arp_hdr *a = (struct rte_arp_hdr *)&f->b[f->len];

	assert_true(f->len + sizeof(*a) <= TB_FRAME_MAX);
	a->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	a->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	a->arp_hlen = RTE_ETHER_ADDR_LEN;
	a->arp_plen = 4;
	a->arp_opcode = rte_cpu_to_be_16(op);
	a->arp_data.arp_sha = *sha;
	a->arp_data.arp_sip = sip;
	a->arp_data.arp_tha = *tha;
	a->arp_data.arp_tip = tip;
	f->len = (uint16_t)(f->len + sizeof(*a));
}

void
tb_insert(struct tb_frame *f, uint16_t off, const void *bytes, uint16_t n)
{
	assert_true(off <= f->len && f->len + n <= TB_FRAME_MAX);
	memmove(&f->b[off + n], &f->b[off], f->len - off);
	memcpy(&f->b[off], bytes, n);
	f->len = (uint16_t)(f->len + n);
}

void
tb_vlan_tag(struct tb_frame *f, uint16_t tci)
{
	uint8_t tag[4] = {0x81, 0x00, (uint8_t)(tci >> 8), (uint8_t)tci};

	tb_insert(f, 2 * RTE_ETHER_ADDR_LEN, tag, sizeof(tag));
	f->l2 = (uint16_t)(f->l2 + sizeof(tag));
}

void
tb_ip_options(struct tb_frame *f)
{
	static const uint8_t opt[4] = {1, 1, 1, 0};
	struct rte_ipv4_hdr *h = tb_ip4_hdr(f);

	tb_insert(f, (uint16_t)(f->l2 + sizeof(*h)), opt, sizeof(opt));
	h->version_ihl = 0x46;
	h->total_length = rte_cpu_to_be_16((uint16_t)(rte_be_to_cpu_16(h->total_length) + 4));
	tb_ip4_cksum(f);
}

void
tb_tcp_syn_options(struct tb_frame *f)
{
	static const uint8_t opt[20] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0x12, 0x34, 0, 0, 0, 0,
			1, 3, 3, 7};
	struct rte_ipv4_hdr *h = tb_ip4_hdr(f);
	struct rte_tcp_hdr *t = tb_l4(f);

	tb_insert(f, (uint16_t)((uint8_t *)(t + 1) - f->b), opt, sizeof(opt));
	t->data_off = (uint8_t)((sizeof(*t) + sizeof(opt)) / 4) << 4;
	h->total_length = rte_cpu_to_be_16((uint16_t)(rte_be_to_cpu_16(h->total_length) + 20));
	tb_ip4_cksum(f);
	t->cksum = 0;
	t->cksum = rte_ipv4_udptcp_cksum(h, t);
}

struct rte_mbuf *
tb_mbuf(struct rte_mempool *pool, const struct tb_frame *f, uint16_t port_id)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	char *p;

	assert_non_null(m);
	p = rte_pktmbuf_append(m, f->len);
	assert_non_null(p);
	memcpy(p, f->b, f->len);
	m->port = port_id;
	return m;
}

void
tb_from_mbuf(struct tb_frame *out, const struct rte_mbuf *m, uint8_t port)
{
	assert_int_equal(m->nb_segs, 1);
	assert_int_equal(rte_pktmbuf_data_len(m), rte_pktmbuf_pkt_len(m));
	assert_true(rte_pktmbuf_pkt_len(m) <= TB_FRAME_MAX);
	memset(out, 0, sizeof(*out));
	out->len = (uint16_t)rte_pktmbuf_pkt_len(m);
	memcpy(out->b, rte_pktmbuf_mtod(m, const void *), out->len);
	out->port = port;
	out->l2 = sizeof(struct rte_ether_hdr);
	if (out->len >= out->l2 + 4 && out->b[12] == 0x81 && out->b[13] == 0x00)
		out->l2 = (uint16_t)(out->l2 + 4);
}

void
tb_check_ip_cksum(const struct rte_ipv4_hdr *h)
{
	uint8_t c[60]; /* the header, options included */
	struct rte_ipv4_hdr *hc = (struct rte_ipv4_hdr *)c;

	memcpy(c, h, rte_ipv4_hdr_len(h));
	hc->hdr_checksum = 0;
	assert_int_equal(h->hdr_checksum, rte_ipv4_cksum(hc));
}

void
tb_check_l4_cksum(struct tb_frame *f)
{
	struct rte_ipv4_hdr *h = tb_ip4_hdr(f);
	uint8_t *l4 = tb_l4(f);
	size_t off = h->next_proto_id == IPPROTO_TCP ? offsetof(struct rte_tcp_hdr, cksum) :
			offsetof(struct rte_udp_hdr, dgram_cksum);
	uint16_t *ck = (uint16_t *)(l4 + off);
	uint16_t field = *ck, want;

	*ck = 0;
	want = rte_ipv4_udptcp_cksum(h, l4);
	*ck = field;
	assert_int_equal(field, want);
}

void
tb_assert_addr(uint32_t got, uint32_t want)
{
	char a[16], b[16];

	if (got != want)
		fail_msg("address %s, want %s", tb_ip_str(got, a), tb_ip_str(want, b));
}

void
tb_check_rst(const struct tb_frame *in, struct tb_frame *out)
{
	const struct rte_ipv4_hdr *ih = (const struct rte_ipv4_hdr *)&in->b[in->l2];
	const struct rte_ipv4_hdr *oh = tb_ip4_hdr(out);
	const struct rte_tcp_hdr *it = (const struct rte_tcp_hdr *)((const uint8_t *)ih +
			(ih->version_ihl & 0x0f) * 4);
	const struct rte_tcp_hdr *ot = tb_l4(out);
	uint32_t seg = rte_be_to_cpu_16(ih->total_length) - (ih->version_ihl & 0x0f) * 4u -
			(it->data_off >> 4) * 4u;

	assert_int_equal(out->len, out->l2 + 40);
	assert_int_equal(oh->version_ihl, 0x45);
	assert_int_equal(rte_be_to_cpu_16(oh->total_length), 40);
	tb_assert_addr(oh->src_addr, ih->dst_addr);
	tb_assert_addr(oh->dst_addr, ih->src_addr);
	assert_int_equal(oh->time_to_live, 64);
	assert_int_equal(oh->next_proto_id, IPPROTO_TCP);
	tb_check_ip_cksum(oh);
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
	tb_check_l4_cksum(out);
}

void
tb_check_icmp_error(const struct tb_frame *in, struct tb_frame *out, uint8_t type,
		uint8_t code, uint32_t src)
{
	tb_check_icmp_error_mtu(in, out, type, code, src, 0);
}

void
tb_check_icmp_error_mtu(const struct tb_frame *in, struct tb_frame *out, uint8_t type,
		uint8_t code, uint32_t src, uint16_t mtu)
{
	const struct rte_ipv4_hdr *ih = (const struct rte_ipv4_hdr *)&in->b[in->l2];
	const struct rte_ipv4_hdr *oh = tb_ip4_hdr(out);
	const struct rte_icmp_hdr *icmp = (const struct rte_icmp_hdr *)(oh + 1);
	uint16_t hdr8 = (uint16_t)((ih->version_ihl & 0x0f) * 4 + 8);
	uint16_t tot = RTE_MIN(rte_be_to_cpu_16(ih->total_length), (uint16_t)(in->len - in->l2));
	uint16_t quote = RTE_MIN(hdr8, tot);

	assert_int_equal(out->len, out->l2 + 20 + 8 + quote);
	assert_int_equal(oh->version_ihl, 0x45);
	assert_int_equal(rte_be_to_cpu_16(oh->total_length), 20 + 8 + quote);
	tb_assert_addr(oh->src_addr, src);
	tb_assert_addr(oh->dst_addr, ih->src_addr);
	assert_int_equal(oh->time_to_live, 64);
	assert_int_equal(oh->next_proto_id, IPPROTO_ICMP);
	assert_int_equal(oh->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_OFFSET_MASK |
			RTE_IPV4_HDR_MF_FLAG), 0);
	tb_check_ip_cksum(oh);
	assert_int_equal(icmp->icmp_type, type);
	assert_int_equal(icmp->icmp_code, code);
	assert_int_equal(icmp->icmp_ident, 0);
	assert_int_equal(rte_be_to_cpu_16(icmp->icmp_seq_nb), mtu);
	assert_int_equal(rte_raw_cksum(icmp, 8u + quote), 0xffff);
	/* The original header, as received (TTL and all), and 8 bytes. */
	assert_memory_equal(icmp + 1, ih, quote);
}

void
tb_check_echo_reply(const struct tb_frame *in, const struct tb_frame *out)
{
	const struct rte_ipv4_hdr *ih = (const struct rte_ipv4_hdr *)&in->b[in->l2];
	const struct rte_ipv4_hdr *oh = (const struct rte_ipv4_hdr *)&out->b[out->l2];
	const struct rte_icmp_hdr *ii = (const struct rte_icmp_hdr *)(ih + 1);
	const struct rte_icmp_hdr *oi = (const struct rte_icmp_hdr *)(oh + 1);
	uint16_t tot = rte_be_to_cpu_16(ih->total_length);

	assert_int_equal(out->len, in->len);
	assert_int_equal(oh->version_ihl, 0x45);
	assert_int_equal(oh->total_length, ih->total_length);
	tb_assert_addr(oh->src_addr, ih->dst_addr);
	tb_assert_addr(oh->dst_addr, ih->src_addr);
	assert_int_equal(oh->time_to_live, 64);
	assert_int_equal(oh->next_proto_id, IPPROTO_ICMP);
	tb_check_ip_cksum(oh);
	assert_int_equal(oi->icmp_type, RTE_IP_ICMP_ECHO_REPLY);
	assert_int_equal(oi->icmp_code, 0);
	assert_int_equal(oi->icmp_ident, ii->icmp_ident);
	assert_int_equal(oi->icmp_seq_nb, ii->icmp_seq_nb);
	assert_int_equal(rte_raw_cksum(oi, tot - 20u), 0xffff);
	assert_memory_equal(oi + 1, ii + 1, tot - 28u);
}

void
tb_check_arp_reply(const struct tb_frame *in, const struct tb_frame *out,
		const struct rte_ether_addr *sha)
{
	const struct rte_arp_hdr *ia = (const struct rte_arp_hdr *)&in->b[in->l2];
	const struct rte_arp_hdr *a = (const struct rte_arp_hdr *)&out->b[out->l2];

	assert_int_equal(out->len, in->len);
	assert_int_equal(rte_be_to_cpu_16(a->arp_hardware), RTE_ARP_HRD_ETHER);
	assert_int_equal(rte_be_to_cpu_16(a->arp_protocol), RTE_ETHER_TYPE_IPV4);
	assert_int_equal(a->arp_hlen, 6);
	assert_int_equal(a->arp_plen, 4);
	assert_int_equal(rte_be_to_cpu_16(a->arp_opcode), RTE_ARP_OP_REPLY);
	assert_memory_equal(&a->arp_data.arp_sha, sha, RTE_ETHER_ADDR_LEN);
	tb_assert_addr(a->arp_data.arp_sip, ia->arp_data.arp_tip);
	assert_memory_equal(&a->arp_data.arp_tha, &ia->arp_data.arp_sha, RTE_ETHER_ADDR_LEN);
	tb_assert_addr(a->arp_data.arp_tip, ia->arp_data.arp_sip);
}

/* The block starts with the external buffer's shared info. */
#define EXACT_HDR RTE_ALIGN_CEIL(sizeof(struct rte_mbuf_ext_shared_info), 16)

static void
exact_free(void *addr, void *opaque)
{
	(void)addr;
	free(opaque);
}

struct rte_mbuf *
ng_test_mbuf_exact(struct rte_mempool *pool, const uint8_t *bytes, uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint8_t *blk = malloc(EXACT_HDR + len);
	struct rte_mbuf_ext_shared_info *shinfo = (struct rte_mbuf_ext_shared_info *)blk;

	assert_non_null(m);
	assert_non_null(blk);
	shinfo->free_cb = exact_free;
	shinfo->fcb_opaque = blk;
	rte_mbuf_ext_refcnt_set(shinfo, 1);
	rte_pktmbuf_attach_extbuf(m, blk + EXACT_HDR, 0, len, shinfo);
	if (len > 0)
		memcpy(blk + EXACT_HDR, bytes, len);
	m->data_len = len;
	m->pkt_len = len;
	return m;
}
