/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv6 frame builders and checks (ng_test_frame6.h). Checksums come from
 * DPDK's rte_ipv6_udptcp_cksum() over frames without extension headers, not
 * from the code under test.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include <rte_tcp.h>
#include <rte_udp.h>

#include "ng_test_frame6.h"

#define ND_NS 135
#define ND_NA 136
#define ND_OPT_SLLA 1
#define ND_OPT_TLLA 2
#define QUOTE_MAX (1280 - 40 - 8)

void
tb_addr6(const char *s, uint8_t out[16])
{
	struct ng_ip a = tb_addr(s);

	if (a.family != AF_INET6)
		fail_msg("\"%s\" is not an IPv6 address", s);
	memcpy(out, a.v6, 16);
}

struct rte_ipv6_hdr *
tb_ip6_hdr(struct tb_frame *f)
{
	return (struct rte_ipv6_hdr *)&f->b[f->l2];
}

struct rte_ipv6_hdr *
tb_ip6(struct tb_frame *f, const uint8_t src[16], const uint8_t dst[16], uint8_t proto,
		uint8_t hops, uint16_t l4len)
{
	uint16_t off = f->len;
	struct rte_ipv6_hdr *h = (struct rte_ipv6_hdr *)&f->b[off];

	assert_true(off + sizeof(*h) + l4len <= TB_FRAME_MAX);
	h->vtc_flow = rte_cpu_to_be_32(0x60000000u | 0x12345u);
	h->payload_len = rte_cpu_to_be_16(l4len);
	h->proto = proto;
	h->hop_limits = hops;
	memcpy(h->src_addr, src, 16);
	memcpy(h->dst_addr, dst, 16);
	for (uint16_t i = 0; i < l4len; i++)
		f->b[off + sizeof(*h) + i] = (uint8_t)(i * 7);
	f->len = (uint16_t)(off + sizeof(*h) + l4len);
	return h;
}

/* Where the checksum of proto's header is. */
static size_t
cksum_at(uint8_t proto)
{
	return proto == IPPROTO_TCP ? offsetof(struct rte_tcp_hdr, cksum) :
			proto == IPPROTO_UDP ? offsetof(struct rte_udp_hdr, dgram_cksum) : 2;
}

void
tb_l4_cksum6(struct tb_frame *f)
{
	struct rte_ipv6_hdr *h = tb_ip6_hdr(f);
	uint8_t *l4 = (uint8_t *)(h + 1);
	uint16_t c;

	memset(l4 + cksum_at(h->proto), 0, 2);
	c = rte_ipv6_udptcp_cksum(h, l4);
	memcpy(l4 + cksum_at(h->proto), &c, 2);
}

void
tb_check_l4_cksum6(struct tb_frame *f)
{
	struct rte_ipv6_hdr *h = tb_ip6_hdr(f);
	uint8_t *l4 = (uint8_t *)(h + 1), *ck = l4 + cksum_at(h->proto);
	uint16_t field, want;

	memcpy(&field, ck, 2);
	memset(ck, 0, 2);
	want = rte_ipv6_udptcp_cksum(h, l4);
	memcpy(ck, &field, 2);
	assert_int_equal(field, want);
}

void
tb_tcp6(struct tb_frame *f, const uint8_t src[16], uint16_t sport, const uint8_t dst[16],
		uint16_t dport, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t payload)
{
	struct rte_ipv6_hdr *h = tb_ip6(f, src, dst, IPPROTO_TCP, 64,
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
	tb_l4_cksum6(f);
}

void
tb_udp6(struct tb_frame *f, const uint8_t src[16], uint16_t sport, const uint8_t dst[16],
		uint16_t dport, uint16_t payload)
{
	struct rte_ipv6_hdr *h = tb_ip6(f, src, dst, IPPROTO_UDP, 64,
			(uint16_t)(sizeof(struct rte_udp_hdr) + payload));
	struct rte_udp_hdr *u = (struct rte_udp_hdr *)(h + 1);

	u->src_port = rte_cpu_to_be_16(sport);
	u->dst_port = rte_cpu_to_be_16(dport);
	u->dgram_len = rte_cpu_to_be_16((uint16_t)(sizeof(*u) + payload));
	tb_l4_cksum6(f);
}

void
tb_icmp6(struct tb_frame *f, const uint8_t src[16], const uint8_t dst[16], uint8_t type,
		uint8_t code, uint32_t word, uint16_t data)
{
	struct rte_ipv6_hdr *h = tb_ip6(f, src, dst, IPPROTO_ICMPV6, 64, (uint16_t)(8 + data));
	uint8_t *m = (uint8_t *)(h + 1);
	uint32_t w = rte_cpu_to_be_32(word);

	m[0] = type;
	m[1] = code;
	memcpy(m + 4, &w, 4);
	tb_l4_cksum6(f);
}

/* An ND message: 4 bytes of flags (or zero), the target, a link-layer option. */
static void
nd_msg(struct tb_frame *f, const uint8_t src[16], const uint8_t dst[16], uint8_t type,
		uint8_t flags, const uint8_t target[16], uint8_t opt,
		const struct rte_ether_addr *lla)
{
	struct rte_ipv6_hdr *h = tb_ip6(f, src, dst, IPPROTO_ICMPV6, 255,
			(uint16_t)(24 + (lla != NULL ? 8 : 0)));
	uint8_t *m = (uint8_t *)(h + 1);

	memset(m, 0, 24);
	m[0] = type;
	m[4] = flags;
	memcpy(m + 8, target, 16);
	if (lla != NULL) {
		m[24] = opt;
		m[25] = 1;
		memcpy(m + 26, lla, RTE_ETHER_ADDR_LEN);
	}
	tb_l4_cksum6(f);
}

void
tb_ns(struct tb_frame *f, const uint8_t src[16], const uint8_t dst[16], const uint8_t target[16],
		const struct rte_ether_addr *sll)
{
	nd_msg(f, src, dst, ND_NS, 0, target, ND_OPT_SLLA, sll);
}

void
tb_na(struct tb_frame *f, const uint8_t src[16], const uint8_t dst[16], const uint8_t target[16],
		uint8_t flags, const struct rte_ether_addr *tll)
{
	nd_msg(f, src, dst, ND_NA, flags, target, ND_OPT_TLLA, tll);
}

void
tb_set_hops(struct tb_frame *f, uint8_t hops)
{
	tb_ip6_hdr(f)->hop_limits = hops;
}

void
tb_assert_addr6(const uint8_t got[16], const uint8_t want[16])
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];

	if (memcmp(got, want, 16) != 0)
		fail_msg("address %s, want %s", inet_ntop(AF_INET6, got, a, sizeof(a)),
				inet_ntop(AF_INET6, want, b, sizeof(b)));
}

void
tb_check_icmp6_error(const struct tb_frame *in, struct tb_frame *out, uint8_t type,
		uint8_t code, uint32_t word, const uint8_t src[16])
{
	const struct rte_ipv6_hdr *ih = (const struct rte_ipv6_hdr *)&in->b[in->l2];
	const struct rte_ipv6_hdr *oh = tb_ip6_hdr(out);
	const uint8_t *icmp = (const uint8_t *)(oh + 1);
	uint32_t w;
	uint16_t quote = (uint16_t)RTE_MIN(40u + rte_be_to_cpu_16(ih->payload_len),
			(unsigned int)QUOTE_MAX);

	assert_int_equal(out->len, out->l2 + 40 + 8 + quote);
	assert_int_equal(rte_be_to_cpu_32(oh->vtc_flow) >> 28, 6);
	assert_int_equal(rte_be_to_cpu_16(oh->payload_len), 8 + quote);
	assert_int_equal(oh->proto, IPPROTO_ICMPV6);
	assert_int_equal(oh->hop_limits, 64);
	tb_assert_addr6(oh->src_addr, src);
	tb_assert_addr6(oh->dst_addr, ih->src_addr);
	assert_int_equal(icmp[0], type);
	assert_int_equal(icmp[1], code);
	memcpy(&w, icmp + 4, 4);
	assert_int_equal(rte_be_to_cpu_32(w), word);
	tb_check_l4_cksum6(out);
	assert_memory_equal(icmp + 8, ih, quote);
}

void
tb_check_echo6_reply(const struct tb_frame *in, struct tb_frame *out)
{
	const struct rte_ipv6_hdr *ih = (const struct rte_ipv6_hdr *)&in->b[in->l2];
	const struct rte_ipv6_hdr *oh = tb_ip6_hdr(out);
	const uint8_t *ii = (const uint8_t *)(ih + 1), *oi = (const uint8_t *)(oh + 1);
	uint16_t plen = rte_be_to_cpu_16(ih->payload_len);

	assert_int_equal(out->len, out->l2 + 40 + plen);
	assert_int_equal(oh->payload_len, ih->payload_len);
	assert_int_equal(oh->proto, IPPROTO_ICMPV6);
	assert_int_equal(oh->hop_limits, 64);
	tb_assert_addr6(oh->src_addr, ih->dst_addr);
	tb_assert_addr6(oh->dst_addr, ih->src_addr);
	assert_int_equal(oi[0], 129);
	assert_int_equal(oi[1], 0);
	assert_memory_equal(oi + 4, ii + 4, plen - 4u); /* identifier, sequence, data */
	tb_check_l4_cksum6(out);
}

void
tb_check_rst6(const struct tb_frame *in, struct tb_frame *out)
{
	const struct rte_ipv6_hdr *ih = (const struct rte_ipv6_hdr *)&in->b[in->l2];
	const struct rte_ipv6_hdr *oh = tb_ip6_hdr(out);
	const struct rte_tcp_hdr *it = (const struct rte_tcp_hdr *)(ih + 1);
	const struct rte_tcp_hdr *ot = (const struct rte_tcp_hdr *)(oh + 1);
	uint32_t seg = rte_be_to_cpu_16(ih->payload_len) - (it->data_off >> 4) * 4u;

	assert_int_equal(out->len, out->l2 + 60);
	assert_int_equal(rte_be_to_cpu_16(oh->payload_len), 20);
	assert_int_equal(oh->proto, IPPROTO_TCP);
	assert_int_equal(oh->hop_limits, 64);
	tb_assert_addr6(oh->src_addr, ih->dst_addr);
	tb_assert_addr6(oh->dst_addr, ih->src_addr);
	assert_int_equal(ot->src_port, it->dst_port);
	assert_int_equal(ot->dst_port, it->src_port);
	assert_int_equal(ot->data_off, 0x50);
	if (it->tcp_flags & RTE_TCP_ACK_FLAG) {
		assert_int_equal(ot->tcp_flags, RTE_TCP_RST_FLAG);
		assert_int_equal(ot->sent_seq, it->recv_ack);
	} else {
		seg += (it->tcp_flags & RTE_TCP_SYN_FLAG) ? 1 : 0;
		seg += (it->tcp_flags & RTE_TCP_FIN_FLAG) ? 1 : 0;
		assert_int_equal(ot->tcp_flags, RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG);
		assert_int_equal(ot->sent_seq, 0);
		assert_int_equal(rte_be_to_cpu_32(ot->recv_ack),
				rte_be_to_cpu_32(it->sent_seq) + seg);
	}
	tb_check_l4_cksum6(out);
}

void
tb_check_na(const struct tb_frame *in, struct tb_frame *out, uint8_t flags,
		const struct rte_ether_addr *mac)
{
	const struct rte_ipv6_hdr *ih = (const struct rte_ipv6_hdr *)&in->b[in->l2];
	const struct rte_ipv6_hdr *oh = tb_ip6_hdr(out);
	const uint8_t *ns = (const uint8_t *)(ih + 1), *na = (const uint8_t *)(oh + 1);

	assert_int_equal(out->len, out->l2 + 40 + 32);
	assert_int_equal(rte_be_to_cpu_16(oh->payload_len), 32);
	assert_int_equal(oh->proto, IPPROTO_ICMPV6);
	assert_int_equal(oh->hop_limits, 255);
	tb_assert_addr6(oh->src_addr, ns + 8);
	tb_assert_addr6(oh->dst_addr, ih->src_addr);
	assert_int_equal(na[0], ND_NA);
	assert_int_equal(na[1], 0);
	assert_int_equal(na[4], flags);
	tb_assert_addr6(na + 8, ns + 8);
	assert_int_equal(na[24], ND_OPT_TLLA);
	assert_int_equal(na[25], 1);
	assert_memory_equal(na + 26, mac, RTE_ETHER_ADDR_LEN);
	tb_check_l4_cksum6(out);
}
