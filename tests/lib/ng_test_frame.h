/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_TEST_FRAME_H
#define NG_TEST_FRAME_H

/**
 * @file
 * Frame builders and checks for the tests (Katran's PacketBuilder is the
 * idea): a frame is built header by header in a byte buffer, every checksum
 * right unless a test breaks it on purpose, and becomes an mbuf only when it
 * is sent. Addresses are IPv4 in network order, ports in host order.
 *
 *	struct tb_frame f;
 *
 *	tb_eth(&f, &gw_mac, &client_mac, TB_NO_VLAN, RTE_ETHER_TYPE_IPV4);
 *	tb_tcp(&f, client, 40000, vip, 80, RTE_TCP_SYN_FLAG, 1000, 0, 0);
 *	m = tb_mbuf(pool, &f, port_id);
 *
 * IPv4 headers have ihl 5 (or what tb_ip4_ihl() is given, options NOPs),
 * DF, identification 0x4242; the bytes after an IPv4 header are 0, 7, 14...
 * (byte i of the L4 part is i * 7), then the L4 builders write their header
 * over the start of them.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "ng_addr.h"

#define TB_FRAME_MAX 1600
#define TB_NO_VLAN (-1)

struct tb_frame {
	uint8_t b[TB_FRAME_MAX];
	uint16_t len;
	uint16_t l2;  /**< Ethernet (+ VLAN) header length: where the IPv4 header starts */
	uint8_t port; /**< port index: ingress of an input frame, egress of an output */
};

/** Host-order a.b.c.d (DPDK's RTE_IPV4 shifts an int: undefined for a >= 128). */
#define TB_HOST4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | \
		(uint32_t)(c) << 8 | (uint32_t)(d))

/** Network-order a.b.c.d. */
static inline uint32_t
tb_ip(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	return rte_cpu_to_be_32(TB_HOST4(a, b, c, d));
}

/** The address s ("198.18.0.1", "2001:db8::1"); fails the test if it does not parse. */
struct ng_ip tb_addr(const char *s);

/** The prefix s ("198.18.0.0/24"); fails the test if it does not parse. */
struct ng_prefix tb_prefix(const char *s);

/** "a.b.c.d" of a network-order address, in buf (16 bytes). */
const char *tb_ip_str(uint32_t a, char *buf);

/* ---- building ---- */

/** Append a 16-bit big-endian value. */
void tb_put16(struct tb_frame *f, uint16_t v);

/**
 * Start a frame: the whole buffer is cleared, then an Ethernet header;
 * vlan >= 0 adds one 802.1Q tag with that TCI. f->port is 0.
 */
void tb_eth(struct tb_frame *f, const struct rte_ether_addr *dst,
		const struct rte_ether_addr *src, int vlan, uint16_t type);

/** The IPv4 header at f->l2. */
struct rte_ipv4_hdr *tb_ip4_hdr(struct tb_frame *f);

/** What follows the IPv4 header (its ihl honoured). */
void *tb_l4(struct tb_frame *f);

/**
 * Append an IPv4 header of ihl words (options are NOPs) and l4len bytes
 * after it (0, 7, 14...); the header checksum is valid.
 */
struct rte_ipv4_hdr *tb_ip4_ihl(struct tb_frame *f, uint32_t src, uint32_t dst, uint8_t proto,
		uint8_t ttl, uint16_t l4len, uint8_t ihl);

/** tb_ip4_ihl() with ihl 5. */
struct rte_ipv4_hdr *tb_ip4(struct tb_frame *f, uint32_t src, uint32_t dst, uint8_t proto,
		uint8_t ttl, uint16_t l4len);

/** Recompute the IPv4 header checksum after a test changed the header. */
void tb_ip4_cksum(struct tb_frame *f);

/** Set the TTL (checksum kept valid). */
void tb_set_ttl(struct tb_frame *f, uint8_t ttl);

/** IPv4 (TTL 64) and a 20-byte TCP header, window 29200, payload bytes; checksums valid. */
void tb_tcp(struct tb_frame *f, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
		uint8_t flags, uint32_t seq, uint32_t ack, uint16_t payload);

/** IPv4 (TTL 64) and UDP; cksum false sends checksum 0 (none). */
void tb_udp(struct tb_frame *f, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
		uint16_t payload, bool cksum);

/** IPv4 (TTL 64) and an ICMP message (id 0x1d1d, seq 7) with data bytes; checksum valid. */
void tb_icmp(struct tb_frame *f, uint32_t src, uint32_t dst, uint8_t type, uint8_t code,
		uint16_t data);

/** Append an Ethernet/IPv4 ARP message. */
void tb_arp(struct tb_frame *f, uint16_t op, const struct rte_ether_addr *sha, uint32_t sip,
		const struct rte_ether_addr *tha, uint32_t tip);

/* ---- changing a built frame ---- */

/** Insert n bytes at offset off. */
void tb_insert(struct tb_frame *f, uint16_t off, const void *bytes, uint16_t n);

/** Insert an 802.1Q tag (TCI tci) after the MAC addresses; f->l2 follows. */
void tb_vlan_tag(struct tb_frame *f, uint16_t tci);

/** Insert 4 bytes of IPv4 options (NOP, NOP, NOP, EOL): ihl 6; the L4 checksum holds. */
void tb_ip_options(struct tb_frame *f);

/** Insert a SYN's usual 20 bytes of TCP options (MSS, SACK ok, timestamps, NOP, WS). */
void tb_tcp_syn_options(struct tb_frame *f);

/* ---- mbufs ---- */

/** A one-segment mbuf of pool holding a copy of f, m->port = port_id. Fails the test if none. */
struct rte_mbuf *tb_mbuf(struct rte_mempool *pool, const struct tb_frame *f, uint16_t port_id);

/** Copy a one-segment mbuf into out (out->port = port). Fails the test if it does not fit. */
void tb_from_mbuf(struct tb_frame *out, const struct rte_mbuf *m, uint8_t port);

/* ---- checks ---- */

/** The IPv4 header checksum, recomputed with the field zeroed, equals the field. */
void tb_check_ip_cksum(const struct rte_ipv4_hdr *h);

/** The TCP or UDP checksum of f, recomputed with the field zeroed, equals the field. */
void tb_check_l4_cksum(struct tb_frame *f);

/**
 * out is a TCP RST answering the segment in (RFC 793 "Reset Generation"):
 * from in's destination to its source, ports swapped, TTL 64, no options, a
 * valid checksum; SEQ = SEG.ACK when in has ACK, else ACK = SEG.SEQ + SEG.LEN
 * (SYN and FIN count). The Ethernet header is the caller's to check.
 */
void tb_check_rst(const struct tb_frame *in, struct tb_frame *out);

/**
 * out is an ICMP error of type/code about in, from src to in's source, TTL
 * 64, not a fragment, quoting in's IPv4 header (options included) as received
 * and 8 bytes after it (or all of a shorter packet). The Ethernet header is
 * the caller's to check.
 */
void tb_check_icmp_error(const struct tb_frame *in, struct tb_frame *out, uint8_t type,
		uint8_t code, uint32_t src);

/** tb_check_icmp_error() whose second word is mtu (RFC 1191's next-hop MTU; 0 otherwise). */
void tb_check_icmp_error_mtu(const struct tb_frame *in, struct tb_frame *out, uint8_t type,
		uint8_t code, uint32_t src, uint16_t mtu);

/**
 * out is the ICMP echo reply to the echo request in: as long, from in's
 * destination to its source, TTL 64, identifier, sequence and data echoed,
 * checksums valid. The Ethernet header is the caller's to check.
 */
void tb_check_echo_reply(const struct tb_frame *in, const struct tb_frame *out);

/**
 * out is the ARP reply to the request in, from sha: as long, the sender is
 * the address asked for at sha, the target is in's sender. The Ethernet
 * header is the caller's to check.
 */
void tb_check_arp_reply(const struct tb_frame *in, const struct tb_frame *out,
		const struct rte_ether_addr *sha);

/** Fail with both addresses printed when got != want. */
void tb_assert_addr(uint32_t got, uint32_t want);

/**
 * An mbuf from pool whose data is a heap block of exactly len bytes (an
 * attached external buffer, a copy of bytes): ASan catches any read past its
 * end. Freed with rte_pktmbuf_free() as usual.
 */
struct rte_mbuf *ng_test_mbuf_exact(struct rte_mempool *pool, const uint8_t *bytes,
	uint16_t len);

#endif
