/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_TRACE_H
#define NG_TRACE_H

/**
 * @file
 * Packet trace: "where did my packet go?". `trace add N [port P]` asks every
 * worker to record the path of the next N packets it receives (from port P):
 * each stage a packet passed and the edge it left by, the verdict (sent on a
 * port, dropped and why, handed to the control core, redirected to its owner
 * worker, put on the punt ring for the kernel twin), the connection and backend the service stage chose, and the
 * headers as received and as they left.
 *
 * Lock-free hand-over: the control core publishes a request word per worker
 * (generation, clear, port, count); the worker takes it at its next loop and
 * acknowledges the generation. The worker fills its own record buffer and
 * publishes the number of complete records (release) at the end of each burst
 * it traced; the control core reads records below that number, which the
 * worker never rewrites until a clear the control core asked for. A worker
 * with no packets left to trace pays one predictable branch per burst.
 *
 * A packet redirected to its owner worker keeps being traced there: the mark
 * travels in bit 0 of the mbuf pointer over the redirect ring, and the owner
 * starts a record of its own ("redirected from worker k"). A copy nodegw makes
 * of a traced packet (ARP for a gateway address, for the kernel twin) gets a
 * record of its own too, which starts as the original's did.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_ether.h>

#include "ct.h"

struct rte_mbuf;
struct ng_dp;

/** Records each worker keeps: the most `trace add` takes, per worker. */
#define NG_TRACE_MAX 512
/** Steps (stage, edge) recorded per packet; a longer path is cut short. */
#define NG_TRACE_STEPS 10
/** Packets one burst traces at most; the rest of the burst is left alone. */
#define NG_TRACE_BURST 32
/** Bytes of the service name a record keeps. */
#define NG_TRACE_SVC_NAME 64

/** What became of a traced packet. */
enum ng_trace_verdict {
	NG_TRACE_IN_FLIGHT = 0, /**< no verdict recorded */
	NG_TRACE_TX,            /**< queued for TX on port `out` */
	NG_TRACE_DROPPED,       /**< dropped, counted as `reason` */
	NG_TRACE_TO_CONTROL,    /**< handed to the control core (enum ng_ctl_kind `out`) */
	NG_TRACE_REDIRECTED,    /**< handed to worker `out`, its owner */
	NG_TRACE_TO_TWIN,       /**< on the punt ring, for the kernel twin of port `out` */
};

/** A reply the reply stage built for a traced packet. */
enum ng_trace_reply {
	NG_TRACE_REPLY_NONE = 0,
	NG_TRACE_REPLY_RST,            /**< TCP RST, built in place and sent */
	NG_TRACE_REPLY_PORT_UNREACH,   /**< ICMP port unreachable sent */
	NG_TRACE_REPLY_TIME_EXCEEDED,  /**< ICMP time exceeded sent */
	NG_TRACE_REPLY_RATE_LIMITED,   /**< no ICMP error: over icmp.rate_pps */
	NG_TRACE_REPLY_NO_MBUF,        /**< no ICMP error: pool empty */
	NG_TRACE_REPLY_NOT_TO_RST,     /**< no RST: the segment was a RST */
	NG_TRACE_REPLY_TOO_BIG,        /**< ICMPv6 packet too big sent */
	NG_TRACE_REPLY_NOT_ALLOWED,    /**< no ICMPv6 error: RFC 4443 2.4(e) forbids it */
	NG_TRACE_REPLY_FRAG_NEEDED,    /**< ICMP fragmentation needed sent (DF over the MTU) */
	NG_TRACE_REPLY_NOT_ABOUT_ERROR, /**< no ICMP error about an ICMP error or later fragment */
};

/** How the service stage found the packet's connection. */
enum ng_trace_conn_how {
	NG_TRACE_CONN_NONE = 0, /**< none: not a service's packet, or refused/dropped */
	NG_TRACE_CONN_NEW,      /**< created by this packet */
	NG_TRACE_CONN_ORIG,     /**< existing, client to frontend direction */
	NG_TRACE_CONN_REPLY,    /**< existing, backend to client direction */
};

/** Header fields of a frame, as far as it has them. */
struct ng_trace_hdr {
	struct rte_ether_addr dst_mac;
	struct rte_ether_addr src_mac;
	uint16_t vlan;       /**< TCI of the 802.1Q tag (have & NG_TRACE_HAVE_VLAN) */
	uint16_t ether_type; /**< host order, inside the tag */
	union ng_addr16 src; /**< IPv4 (.v4) or IPv6 (.v6), network order */
	union ng_addr16 dst;
	uint16_t sport;      /**< host order */
	uint16_t dport;
	uint16_t ip_len;     /**< IPv4 total length; IPv6: 40 + payload length */
	uint8_t proto;       /**< IPv6: the fixed header's next header */
	uint8_t ttl;         /**< IPv6: the hop limit */
	uint8_t tcp_flags;
	uint8_t have;        /**< NG_TRACE_HAVE_* */
};

#define NG_TRACE_HAVE_ETH 0x01
#define NG_TRACE_HAVE_VLAN 0x02
#define NG_TRACE_HAVE_IP4 0x04
#define NG_TRACE_HAVE_L4 0x08 /**< TCP or UDP ports (and TCP flags) */
#define NG_TRACE_HAVE_IP6 0x10 /**< the IPv6 fixed header (no extension header walked) */

struct ng_trace_step {
	uint8_t stage; /**< enum ng_stage */
	uint8_t edge;  /**< the stage's NG_<STAGE>_NEXT_* */
};

/** The path of one packet through one worker. */
struct ng_trace_rec {
	uint64_t tsc;           /**< when the worker took its burst */
	uint16_t port;          /**< DPDK port it was received on */
	uint16_t queue;         /**< RX queue; UINT16_MAX when redirected */
	uint16_t len;           /**< frame length as received */
	int16_t from_worker;    /**< redirected from that worker; -1: from the port */
	uint8_t n_steps;
	uint8_t truncated;      /**< more steps than NG_TRACE_STEPS */
	uint8_t verdict;        /**< enum ng_trace_verdict */
	uint8_t reply;          /**< enum ng_trace_reply */
	uint8_t copy;           /**< a copy nodegw made of a traced packet */
	uint16_t reason;        /**< enum ng_drop_reason: dropped, or refused with a reply */
	uint16_t out;           /**< TX port id, control kind, owner worker, or twin's port id */
	struct ng_trace_step steps[NG_TRACE_STEPS];
	struct ng_trace_hdr before; /**< as received */
	struct ng_trace_hdr after;  /**< at the verdict (after NAT and forwarding) */
	struct {
		uint8_t how;        /**< enum ng_trace_conn_how */
		uint8_t state;      /**< enum ng_ct_state, as the stage left it */
		uint8_t fullnat;
		uint8_t family;     /**< AF_INET or AF_INET6: of backend and snat */
		union ng_addr16 backend;
		union ng_addr16 snat; /**< FullNAT source address */
		uint16_t bport;     /**< host order */
		uint16_t lport;     /**< FullNAT source port, host order */
		char svc[NG_TRACE_SVC_NAME]; /**< "" when unknown */
	} conn;
};

/*
 * The request word: 0 when none is pending. The control core merges a new
 * request into a pending one (compare-and-swap); the worker takes it with an
 * atomic exchange, so each request is applied exactly once.
 */
#define NG_TRACE_REQ_GEN_SHIFT 32      /**< generation, never 0 */
#define NG_TRACE_REQ_CLEAR (UINT64_C(1) << 31) /**< forget records and stop first */
#define NG_TRACE_REQ_PORT_SHIFT 16     /**< 15 bits: DPDK port id + 1, 0: any */
#define NG_TRACE_REQ_PORT_MASK 0x7fff
#define NG_TRACE_REQ_N_MASK 0xffff     /**< packets to trace, on top of those left */

/**
 * Per-worker trace state (inside struct ng_worker). The request word is the
 * control core's, the published counters the worker's.
 */
struct ng_w_trace {
	/* Written by the control core. */
	uint64_t req __rte_cache_aligned; /**< NG_TRACE_REQ_*; the worker swaps it to 0 */
	struct ng_trace_rec *rec;         /**< [NG_TRACE_MAX], allocated before the first request */
	uint32_t gen;                     /**< generation of the last request (control only) */
	uint32_t clear_gen;               /**< generation of the last clear (control only) */
	/* Written by the worker, read by the control core. */
	uint32_t head __rte_cache_aligned; /**< complete records (release) */
	uint32_t ack;                      /**< generation applied (release) */
	uint32_t lost;                     /**< packets not recorded: buffer full */
	uint32_t left;                     /**< packets still to trace */
	/* Worker only. */
	uint32_t next;        /**< next record (head; during a burst more) */
	uint16_t port;        /**< UINT16_MAX: any */
	uint16_t n_marked;    /**< marked packets from a redirect ring, for the next burst */
	int16_t marked_from;
	uint16_t burst_n;     /**< packets traced in the current burst */
	struct rte_mbuf *marked[NG_TRACE_BURST];
	struct rte_mbuf *burst_m[NG_TRACE_BURST];
	uint16_t burst_rec[NG_TRACE_BURST];
};

/**
 * Ask every worker to trace the next n packets it receives (on DPDK port
 * port_id, or any when port_id < 0), on top of what it still has to trace.
 * Allocates the record buffers on first use.
 * @return 0, -EINVAL for n outside 1..NG_TRACE_MAX or a port id out of
 *   range, or -ENOMEM (nothing asked then).
 */
int ng_trace_add(struct ng_dp *dp, unsigned int n, int port_id);

/** Ask every worker to forget its records and stop tracing. */
void ng_trace_clear(struct ng_dp *dp);

/** What the control core can read of one worker's trace. */
struct ng_trace_view {
	const struct ng_trace_rec *rec; /**< complete records, [n] */
	uint32_t n;
	uint32_t left;     /**< packets it still has to trace */
	uint32_t lost;     /**< packets it could not record (buffer full) */
	bool pending;      /**< a request it has not taken yet */
	bool clearing;     /**< that request clears: its old records are not shown */
};

/** Read worker wid's trace. Records stay valid until the next ng_trace_clear(). */
void ng_trace_view(const struct ng_dp *dp, unsigned int wid, struct ng_trace_view *v);

/** Free the record buffers (workers stopped). */
void ng_trace_free(struct ng_dp *dp);

/** Short names ("tx", "rst", "new"), for show trace and its json. */
const char *ng_trace_verdict_name(enum ng_trace_verdict v);
const char *ng_trace_reply_name(enum ng_trace_reply r);
const char *ng_trace_conn_name(enum ng_trace_conn_how h);

/** Register `trace add`, `show trace` and `clear trace`. */
int ng_trace_cli_register(struct ng_dp *dp);

#endif
