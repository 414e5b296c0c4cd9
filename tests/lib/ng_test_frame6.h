/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_TEST_FRAME6_H
#define NG_TEST_FRAME6_H

/**
 * @file
 * IPv6 frames for the unit and datapath tests, on ng_test_frame.h's struct
 * tb_frame: the same layout (Ethernet at 0, IPv6 at f->l2, payload bytes
 * i * 7), every checksum right (the pseudo-header of RFC 8200 8.1), and the
 * checks of what a gateway answers (ICMPv6 errors and echo replies, RSTs,
 * neighbour advertisements and solicitations). Frames have no extension
 * headers unless a test inserts them.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_ip.h>

#include "ng_test_frame.h"

/** The IPv6 address s in out; fails the test unless s is IPv6. */
void tb_addr6(const char *s, uint8_t out[16]);

/** The IPv6 header at f->l2. */
struct rte_ipv6_hdr *tb_ip6_hdr(struct tb_frame *f);

/**
 * Append an IPv6 header (flow label 0x12345, payload length l4len) and
 * l4len bytes after it (0, 7, 14...).
 */
struct rte_ipv6_hdr *tb_ip6(struct tb_frame *f, const uint8_t src[16], const uint8_t dst[16],
		uint8_t proto, uint8_t hops, uint16_t l4len);

/** IPv6 (hop limit 64) and a 20-byte TCP header, window 29200, payload bytes. */
void tb_tcp6(struct tb_frame *f, const uint8_t src[16], uint16_t sport, const uint8_t dst[16],
		uint16_t dport, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t payload);

/** IPv6 (hop limit 64) and UDP with its checksum (mandatory over IPv6). */
void tb_udp6(struct tb_frame *f, const uint8_t src[16], uint16_t sport, const uint8_t dst[16],
		uint16_t dport, uint16_t payload);

/** IPv6 (hop limit 64) and an ICMPv6 message: type, code, the 32-bit word, data bytes. */
void tb_icmp6(struct tb_frame *f, const uint8_t src[16], const uint8_t dst[16], uint8_t type,
		uint8_t code, uint32_t word, uint16_t data);

/**
 * IPv6 (hop limit 255) and a neighbour solicitation for target, with a
 * source link-layer option of sll (none when NULL).
 */
void tb_ns(struct tb_frame *f, const uint8_t src[16], const uint8_t dst[16],
		const uint8_t target[16], const struct rte_ether_addr *sll);

/**
 * IPv6 (hop limit 255) and a neighbour advertisement for target with flags
 * (NG_ND_NA_*), with a target link-layer option of tll (none when NULL).
 */
void tb_na(struct tb_frame *f, const uint8_t src[16], const uint8_t dst[16],
		const uint8_t target[16], uint8_t flags, const struct rte_ether_addr *tll);

/** Set the hop limit (no checksum covers it). */
void tb_set_hops(struct tb_frame *f, uint8_t hops);

/** Recompute the upper-layer checksum of f (TCP, UDP or ICMPv6) after a change. */
void tb_l4_cksum6(struct tb_frame *f);

/** The TCP, UDP or ICMPv6 checksum of f is right. */
void tb_check_l4_cksum6(struct tb_frame *f);

/** Fail with both addresses printed when got != want. */
void tb_assert_addr6(const uint8_t got[16], const uint8_t want[16]);

/**
 * out is an ICMPv6 error type/code with word (MTU, pointer or 0) about in,
 * from src to in's source, hop limit 64, quoting in's IPv6 packet from its
 * fixed header as received, up to 1,232 bytes; checksum right.
 */
void tb_check_icmp6_error(const struct tb_frame *in, struct tb_frame *out, uint8_t type,
		uint8_t code, uint32_t word, const uint8_t src[16]);

/**
 * out is the ICMPv6 echo reply to the echo request in: from in's destination
 * to its source, hop limit 64, identifier, sequence and data echoed.
 */
void tb_check_echo6_reply(const struct tb_frame *in, struct tb_frame *out);

/**
 * out is a TCP RST over IPv6 answering the segment in, as tb_check_rst()
 * says for IPv4; hop limit 64.
 */
void tb_check_rst6(const struct tb_frame *in, struct tb_frame *out);

/**
 * out is the solicited neighbour advertisement answering the solicitation
 * in: from the target to in's source, hop limit 255, flags, a target
 * link-layer option of mac, checksum right.
 */
void tb_check_na(const struct tb_frame *in, struct tb_frame *out, uint8_t flags,
		const struct rte_ether_addr *mac);

#endif
