/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_FIXTURES6_H
#define NG_FIXTURES6_H

/*
 * The IPv6 data-path fixtures' frames and checks (fixtures6.c), listed in
 * test_fixtures.c's table beside the IPv4 ones, on the same gateway:
 *   p0  2001:db8::1/64    client 2001:db8::2 (MAC 02:00:00:00:06:02)
 *   p1  2001:db8:1::1/64  host 2001:db8:1::2 (static neighbour 02:00:00:00:06:12)
 *                         router 2001:db8:1::fe (static neighbour 02:00:00:00:06:fe)
 *                         2001:db8:99::/48 via 2001:db8:1::fe
 *                         2001:db8:1::3 has no neighbour entry
 */
#include <rte_mbuf.h>

#include "ng_test_frame6.h"
#include "ng_test_gw.h"

extern struct ng_test_gw gw;

/** The IPv6 routes and neighbours above, through the route control API. @return 0 or -1. */
int fixtures6_setup(void);

/* frames */
void in6_ns_gw(struct tb_frame *f);
void in6_ns_gw_vlan(struct tb_frame *f);
void in6_ns_unicast(struct tb_frame *f);
void in6_ns_dad(struct tb_frame *f);
void in6_ns_other(struct tb_frame *f);
void in6_ns_hops64(struct tb_frame *f);
void in6_na_to_gw(struct tb_frame *f);
void in6_echo_gw(struct tb_frame *f);
void in6_echo_gw_vlan(struct tb_frame *f);
void in6_echo_other_port(struct tb_frame *f);
void in6_echo_mcast(struct tb_frame *f);
void in6_tcp_syn_gw(struct tb_frame *f);
void in6_tcp_rst_gw(struct tb_frame *f);
void in6_udp_gw(struct tb_frame *f);
void in6_udp_no_cksum_gw(struct tb_frame *f);
void in6_frag_gw(struct tb_frame *f);
void in6_routed_host(struct tb_frame *f);
void in6_routed_host_vlan(struct tb_frame *f);
void in6_routed_gateway(struct tb_frame *f);
void in6_routed_mtu_exact(struct tb_frame *f);
void in6_routed_unresolved(struct tb_frame *f);
void in6_hop1(struct tb_frame *f);
void in6_hop0(struct tb_frame *f);
void in6_too_big(struct tb_frame *f);
void in6_hop1_icmp_error(struct tb_frame *f);
void in6_no_route(struct tb_frame *f);
void in6_rs(struct tb_frame *f);
void in6_link_local(struct tb_frame *f);
void in6_src_mcast(struct tb_frame *f);
void in6_src_unspec(struct tb_frame *f);
void in6_hbh_late(struct tb_frame *f);
void in6_other_mac(struct tb_frame *f);
void in6_truncated(struct tb_frame *f);

/* checks: in, the input frame; out, what the gateway sent (or handed up) */
void check6_na(const struct tb_frame *in, struct rte_mbuf *out);
void check6_na_dad(const struct tb_frame *in, struct rte_mbuf *out);
void check6_nd_up(const struct tb_frame *in, struct rte_mbuf *out);
void check6_echo_reply(const struct tb_frame *in, struct rte_mbuf *out);
void check6_rst(const struct tb_frame *in, struct rte_mbuf *out);
void check6_port_unreachable(const struct tb_frame *in, struct rte_mbuf *out);
void check6_to_host(const struct tb_frame *in, struct rte_mbuf *out);
void check6_to_router(const struct tb_frame *in, struct rte_mbuf *out);
void check6_resolve(const struct tb_frame *in, struct rte_mbuf *out);
void check6_time_exceeded(const struct tb_frame *in, struct rte_mbuf *out);
void check6_too_big(const struct tb_frame *in, struct rte_mbuf *out);

#endif
