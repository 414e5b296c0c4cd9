/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_STATS_H
#define NG_STATS_H

/**
 * @file
 * Counters: drop reasons and data-path stages, each from one X-macro list, and
 * the per-worker counter block. Every worker owns its block (cache aligned,
 * plain increments, no atomics); readers on the control core sum the blocks.
 * A reader may see a counter one burst old; it never sees a torn 64-bit value
 * on the 64-bit targets DPDK supports.
 */

#include <stdint.h>

#include <rte_common.h>

#define NG_STATS_MAX_PORTS 16
#define NG_STATS_MAX_RXQ 16

/* Drop reasons: one list makes the enum and the strings. */
#define NG_DROP_REASONS(X) \
	X(TRUNCATED, "truncated frame") \
	X(NOT_FOR_US, "destination MAC not ours") \
	X(ETHERTYPE, "unsupported ethertype") \
	X(VLAN_NESTED, "more than one VLAN tag") \
	X(IP_HEADER, "malformed IPv4 header") \
	X(IP_CKSUM, "bad IPv4 header checksum") \
	X(IP_OPTIONS, "IPv4 options on local traffic") \
	X(IP_FRAGMENT, "IPv4 fragment for a local address") \
	X(IP_SRC, "martian source address") \
	X(IPV6, "IPv6 link-local or multicast not for nodegw") \
	X(IP6_HEADER, "malformed IPv6 header") \
	X(IP6_EXT, "malformed IPv6 extension header") \
	X(IP6_EXT_LIMIT, "IPv6 extension header chain too long") \
	X(IP6_FRAG, "malformed IPv6 fragment") \
	X(IP6_FRAG_CHAIN, "IPv6 first fragment without the whole header chain") \
	X(UDP6_NO_CKSUM, "UDP over IPv6 without checksum") \
	X(ICMP6_CKSUM, "bad ICMPv6 checksum") \
	X(ND_INVALID, "invalid neighbour discovery message") \
	X(ND_NOT_OURS, "neighbour solicitation for another address") \
	X(IP6_LOCAL_FRAG, "IPv6 fragment for a local address") \
	X(ARP_MALFORMED, "malformed ARP") \
	X(ARP_NOT_OURS, "ARP for another address") \
	X(ICMP_MALFORMED, "malformed ICMP") \
	X(ICMP_UNHANDLED, "ICMP type not handled") \
	X(ICMP_ERR_MALFORMED, "ICMP error: bad checksum or quoted header") \
	X(ICMP_ERR_TRUNCATED, "ICMP error: quote too short to find the flow") \
	X(ICMP_ERR_UNRELATED, "ICMP error: no connection for the quoted packet") \
	X(LOCAL_PROTO, "no listener on local address (refused)") \
	X(L4_HEADER, "truncated TCP/UDP header") \
	X(VIP_FRAGMENT, "fragment to a service address") \
	X(FRAG_MALFORMED, "malformed fragment (IPv4, IPv6)") \
	X(FRAG_DUPLICATE, "duplicate fragment") \
	X(FRAG_OVERLAP, "overlapping fragments (datagram discarded)") \
	X(FRAG_TOO_MANY, "datagram in too many fragments") \
	X(FRAG_TABLE_FULL, "reassembly table full") \
	X(FRAG_TIMEOUT, "reassembly timed out") \
	X(FRAG_OUT, "exceeds egress MTU: its first fragment does not fit one mbuf") \
	X(SVC_NO_FRONTEND, "service address, port not served (refused)") \
	X(SVC_NO_BACKEND, "service without usable backend (refused)") \
	X(SVC_NO_LOCAL_BACKEND, "service with only remote endpoints (Local policy)") \
	X(SRC_RANGE, "client outside the service's source ranges") \
	X(TCP_RST_NO_CONN, "TCP RST without connection") \
	X(TCP_NO_CONN, "TCP without SYN, no connection (FullNAT: refused)") \
	X(NAT_NO_PORT, "no FullNAT source port free") \
	X(CT_INSERT, "connection table insert failed") \
	X(REDIRECT_FULL, "redirect ring to owner full") \
	X(FWD_DISABLED, "forwarding disabled") \
	X(NO_ROUTE, "no route") \
	X(TTL_EXPIRED, "TTL expired") \
	X(ICMP_RATELIMIT, "ICMP error rate-limited") \
	X(MTU, "exceeds egress MTU") \
	X(FRAG_ROOM, "exceeds egress MTU: no room in the burst for its fragments") \
	X(FRAG_OPTIONS, "exceeds egress MTU: IPv4 options, not fragmented") \
	X(ENCAP_MTU, "IPIP: exceeds egress MTU with the 20-byte outer header") \
	X(ENCAP_HEADROOM, "IPIP: no headroom for the outer header") \
	X(ENCAP_NO_SOURCE, "IPIP: no gateway address toward the backend") \
	X(ENCAP6_MTU, "IP6IP6: exceeds egress MTU with the 40-byte outer header") \
	X(ENCAP6_HEADROOM, "IP6IP6: no headroom for the outer header") \
	X(ENCAP6_NO_SOURCE, "IP6IP6: no gateway IPv6 address toward the backend") \
	X(NEIGH_QUEUE, "neighbour resolution queue full") \
	X(NEIGH_FAILED, "neighbour unresolved") \
	X(PUNT_RATELIMIT, "to the kernel twin: rate-limited") \
	X(PUNT_FULL, "to the kernel twin: punt ring full") \
	X(NO_MBUF, "no mbuf for reply") \
	X(TX_FULL, "TX queue full")

enum ng_drop_reason {
	NG_DROP_NONE = 0,
#define NG_X(id, str) NG_DROP_##id,
	NG_DROP_REASONS(NG_X)
#undef NG_X
	NG_DROP_MAX
};

/*
 * Data-path stages: the nodes of a worker's packet graph, in the order the
 * dispatcher (lib/worker/worker_dp.c) runs them on a burst, and as `show
 * runtime` lists them. rx, redirect-in, ctrl-inject and tx are the loop's own
 * steps around the graph; parse to drop run at most once per burst each.
 */
#define NG_STAGES(X) \
	X(RX, "rx") \
	X(PARSE, "parse") \
	X(REASS, "ip4-reass") \
	X(IP6_PARSE, "ip6-parse") \
	X(REASS6, "ip6-reass") \
	X(LB, "lb") \
	X(LB6, "lb6") \
	X(ICMP_ERR, "icmp-err") \
	X(ENCAP, "ipip-encap") \
	X(ENCAP6, "ip6ip6-encap") \
	X(LOCAL, "local") \
	X(IP6_LOCAL, "ip6-local") \
	X(FORWARD, "ip4-forward") \
	X(FORWARD6, "ip6-forward") \
	X(REPLY, "reply") \
	X(PUNT, "punt") \
	X(OUTPUT, "output") \
	X(REDIRECT_OUT, "redirect-out") \
	X(TO_CONTROL, "to-control") \
	X(DROP, "drop") \
	X(REDIRECT, "redirect-in") \
	X(INJECT, "ctrl-inject") \
	X(TX, "tx")

enum ng_stage {
#define NG_X(id, str) NG_STAGE_##id,
	NG_STAGES(NG_X)
#undef NG_X
	NG_STAGE_MAX
};

/*
 * Edges: where each stage hands a packet on, X(edge, next stage). One list
 * per stage makes its enum (NG_<STAGE>_NEXT_<EDGE>), the dispatcher's map from
 * edge to next stage and the names `show trace` prints. A stage's edges lead
 * to stages later in NG_STAGES, so each stage runs once per burst; the
 * sinks (output, redirect-out, to-control, drop) have none. punt is a stage
 * and a sink at once: what its token bucket lets through it puts on the
 * worker's punt ring itself (for the kernel twin), the rest leaves by its
 * drop edge.
 */
#define NG_PARSE_EDGES(X) \
	X(REASS, REASS) \
	X(LB, LB) \
	X(ICMP_ERR, ICMP_ERR) \
	X(LOCAL, LOCAL) \
	X(FORWARD, FORWARD) \
	X(PUNT, PUNT) \
	X(DROP, DROP) \
	X(IP6, IP6_PARSE) \
	X(LB6, LB6)
#define NG_IP6_PARSE_EDGES(X) \
	X(LOCAL, IP6_LOCAL) \
	X(FORWARD, FORWARD6) \
	X(PUNT, PUNT) \
	X(DROP, DROP) \
	X(LB, LB6) \
	X(ICMP_ERR, ICMP_ERR) \
	X(REASS, REASS6)
/* lb6's edges are lb's, in the same order (lb_dp.c's connection code hands
 * packets on by either stage's indices), leading to the IPv6 stages; the
 * encap edge (DSR) is the last of both, to ipip-encap or ip6ip6-encap. */
#define NG_LB6_EDGES(X) \
	X(FORWARD, FORWARD6) \
	X(LOCAL, IP6_LOCAL) \
	X(REPLY, REPLY) \
	X(REDIRECT, REDIRECT_OUT) \
	X(DROP, DROP) \
	X(ENCAP, ENCAP6)
#define NG_REASS_EDGES(X) \
	X(LB, LB) \
	X(REDIRECT, REDIRECT_OUT) \
	X(DROP, DROP)
/* ip6-reass: ip4-reass's edges, in the same order (reass_dp.c hands packets
 * on by either stage's indices), to lb6 */
#define NG_REASS6_EDGES(X) \
	X(LB, LB6) \
	X(REDIRECT, REDIRECT_OUT) \
	X(DROP, DROP)
#define NG_LB_EDGES(X) \
	X(FORWARD, FORWARD) \
	X(LOCAL, LOCAL) \
	X(REPLY, REPLY) \
	X(REDIRECT, REDIRECT_OUT) \
	X(DROP, DROP) \
	X(ENCAP, ENCAP)
#define NG_LOCAL_EDGES(X) \
	X(OUTPUT, OUTPUT) \
	X(REPLY, REPLY) \
	X(PUNT, PUNT) \
	X(CONTROL, TO_CONTROL) \
	X(DROP, DROP)
#define NG_IP6_LOCAL_EDGES(X) \
	X(OUTPUT, OUTPUT) \
	X(REPLY, REPLY) \
	X(PUNT, PUNT) \
	X(CONTROL, TO_CONTROL) \
	X(DROP, DROP)
#define NG_FORWARD6_EDGES(X) \
	X(OUTPUT, OUTPUT) \
	X(REPLY, REPLY) \
	X(CONTROL, TO_CONTROL) \
	X(DROP, DROP)
#define NG_FORWARD_EDGES(X) \
	X(OUTPUT, OUTPUT) \
	X(REPLY, REPLY) \
	X(CONTROL, TO_CONTROL) \
	X(DROP, DROP)
#define NG_REPLY_EDGES(X) \
	X(OUTPUT, OUTPUT) \
	X(DROP, DROP)
#define NG_PUNT_EDGES(X) \
	X(DROP, DROP)
#define NG_ENCAP_EDGES(X) \
	X(FORWARD, FORWARD) \
	X(REPLY, REPLY) \
	X(DROP, DROP)
#define NG_ENCAP6_EDGES(X) \
	X(FORWARD, FORWARD6) \
	X(REPLY, REPLY) \
	X(DROP, DROP)
/* icmp-err takes both families: IPv4 errors leave by local and forward,
 * ICMPv6 errors by local6 and forward6. */
#define NG_ICMP_ERR_EDGES(X) \
	X(ENCAP, ENCAP) \
	X(LOCAL, LOCAL) \
	X(FORWARD, FORWARD) \
	X(REDIRECT, REDIRECT_OUT) \
	X(DROP, DROP) \
	X(LOCAL6, IP6_LOCAL) \
	X(FORWARD6, FORWARD6) \
	X(ENCAP6, ENCAP6)

#define NG_X_EDGE(stage, id, to) NG_##stage##_NEXT_##id,
#define NG_X_PARSE(id, to) NG_X_EDGE(PARSE, id, to)
#define NG_X_REASS(id, to) NG_X_EDGE(REASS, id, to)
#define NG_X_REASS6(id, to) NG_X_EDGE(REASS6, id, to)
#define NG_X_IP6_PARSE(id, to) NG_X_EDGE(IP6_PARSE, id, to)
#define NG_X_IP6_LOCAL(id, to) NG_X_EDGE(IP6_LOCAL, id, to)
#define NG_X_FORWARD6(id, to) NG_X_EDGE(FORWARD6, id, to)
#define NG_X_LB6(id, to) NG_X_EDGE(LB6, id, to)
#define NG_X_LB(id, to) NG_X_EDGE(LB, id, to)
#define NG_X_LOCAL(id, to) NG_X_EDGE(LOCAL, id, to)
#define NG_X_FORWARD(id, to) NG_X_EDGE(FORWARD, id, to)
#define NG_X_REPLY(id, to) NG_X_EDGE(REPLY, id, to)
#define NG_X_PUNT(id, to) NG_X_EDGE(PUNT, id, to)
#define NG_X_ENCAP(id, to) NG_X_EDGE(ENCAP, id, to)
#define NG_X_ENCAP6(id, to) NG_X_EDGE(ENCAP6, id, to)
#define NG_X_ICMP_ERR(id, to) NG_X_EDGE(ICMP_ERR, id, to)
enum ng_parse_edge { NG_PARSE_EDGES(NG_X_PARSE) NG_PARSE_NEXT_MAX };
enum ng_reass_edge { NG_REASS_EDGES(NG_X_REASS) NG_REASS_NEXT_MAX };
enum ng_reass6_edge { NG_REASS6_EDGES(NG_X_REASS6) NG_REASS6_NEXT_MAX };
enum ng_ip6_parse_edge { NG_IP6_PARSE_EDGES(NG_X_IP6_PARSE) NG_IP6_PARSE_NEXT_MAX };
enum ng_ip6_local_edge { NG_IP6_LOCAL_EDGES(NG_X_IP6_LOCAL) NG_IP6_LOCAL_NEXT_MAX };
enum ng_forward6_edge { NG_FORWARD6_EDGES(NG_X_FORWARD6) NG_FORWARD6_NEXT_MAX };
enum ng_lb6_edge { NG_LB6_EDGES(NG_X_LB6) NG_LB6_NEXT_MAX };
enum ng_lb_edge { NG_LB_EDGES(NG_X_LB) NG_LB_NEXT_MAX };
enum ng_local_edge { NG_LOCAL_EDGES(NG_X_LOCAL) NG_LOCAL_NEXT_MAX };
enum ng_forward_edge { NG_FORWARD_EDGES(NG_X_FORWARD) NG_FORWARD_NEXT_MAX };
enum ng_reply_edge { NG_REPLY_EDGES(NG_X_REPLY) NG_REPLY_NEXT_MAX };
enum ng_punt_edge { NG_PUNT_EDGES(NG_X_PUNT) NG_PUNT_NEXT_MAX };
enum ng_encap_edge { NG_ENCAP_EDGES(NG_X_ENCAP) NG_ENCAP_NEXT_MAX };
enum ng_encap6_edge { NG_ENCAP6_EDGES(NG_X_ENCAP6) NG_ENCAP6_NEXT_MAX };
enum ng_icmp_err_edge { NG_ICMP_ERR_EDGES(NG_X_ICMP_ERR) NG_ICMP_ERR_NEXT_MAX };
#undef NG_X_PARSE
#undef NG_X_REASS
#undef NG_X_REASS6
#undef NG_X_IP6_PARSE
#undef NG_X_IP6_LOCAL
#undef NG_X_FORWARD6
#undef NG_X_LB6
#undef NG_X_LB
#undef NG_X_LOCAL
#undef NG_X_FORWARD
#undef NG_X_REPLY
#undef NG_X_PUNT
#undef NG_X_ENCAP
#undef NG_X_ENCAP6
#undef NG_X_ICMP_ERR
#undef NG_X_EDGE

/** The most edges any stage has. */
#define NG_STAGE_EDGES_MAX 9

struct ng_stage_stats {
	uint64_t calls;  /**< invocations that carried at least one packet */
	uint64_t pkts;
	uint64_t cycles; /**< TSC cycles spent in those invocations */
};

struct ng_port_stats {
	uint64_t rx;
	uint64_t tx;
	uint64_t punted;  /**< frames for the kernel twin, on the punt ring (ARP copies too) */
	uint64_t rx_bytes;
	uint64_t tx_bytes;
	uint64_t drop[NG_DROP_MAX]; /**< by ingress port */
	uint64_t rxq[NG_STATS_MAX_RXQ];
};

/** Reassembly, IPv4 and IPv6 (lib/worker/reass_dp.c): datagrams, except where it says fragments. */
struct ng_reass_stats {
	uint64_t fragments;    /**< fragments taken in (held, or completing a datagram) */
	uint64_t reassembled;  /**< datagrams completed and handed to the service stage */
	uint64_t timed_out;    /**< datagrams not complete within reassembly.timeout_ms */
	uint64_t table_full;   /**< datagrams evicted, or refused, for lack of room */
	uint64_t overlapping;  /**< datagrams discarded for overlapping fragments */
	uint64_t duplicates;   /**< fragments that repeated one already held (ignored) */
	uint64_t too_many;     /**< datagrams discarded past reassembly.max_fragments */
	uint64_t malformed;    /**< fragments refused on their own (length, offset) */
	uint64_t refragmented; /**< datagrams sent on as fragments (over the egress MTU) */
	uint64_t fragments_out; /**< the fragments they were sent as */
};

/** One worker's counters; owned and written only by that worker. */
struct ng_worker_stats {
	struct ng_port_stats port[NG_STATS_MAX_PORTS];
	struct ng_stage_stats stage[NG_STAGE_MAX];
	struct ng_reass_stats reass;
	uint64_t redirect_tx; /**< packets handed to their owner worker */
	uint64_t redirect_rx; /**< packets received from other workers */
	uint64_t loops;
	uint64_t idle_loops;
	uint64_t sleeps;
} __rte_cache_aligned;

/** Human-readable name of a drop reason. */
const char *ng_drop_name(enum ng_drop_reason r);

/** Short identifier of a drop reason ("no_route"), for json and tests. */
const char *ng_drop_id(enum ng_drop_reason r);

/** Name of a data-path stage. */
const char *ng_stage_name(enum ng_stage s);

/**
 * The edges of a stage.
 * @param to set to the next stage of each edge (indexed by the stage's
 *   NG_<STAGE>_NEXT_* enum); NULL is fine
 * @return the number of edges (0 for sinks and the loop's own steps)
 */
unsigned int ng_stage_edges(enum ng_stage s, const uint8_t **to);

/** Add every counter of src into dst. */
void ng_worker_stats_add(struct ng_worker_stats *dst, const struct ng_worker_stats *src);

#endif
