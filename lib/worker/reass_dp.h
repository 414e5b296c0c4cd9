/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_REASS_DP_H
#define NG_REASS_DP_H

/**
 * @file
 * Reassembly, per worker (the ip4-reass and ip6-reass stages): IPv4 and
 * IPv6 fragments to a service address, to a gateway address (FullNAT
 * replies, NodePorts) and, while a DNAT service exists, routed ones (DNAT
 * replies) are held in the worker's one table (both families: one flood
 * cannot take the memory twice) until their datagram is whole, which then
 * goes to the service stage (lb, lb6) like any other packet. Private to the
 * worker module.
 *
 * The table is bounded three ways (lib/conf: reassembly.*): datagrams being
 * reassembled (max_datagrams), fragments of one datagram (max_fragments) and
 * fragments held in all (max_held); a datagram not whole within timeout_ms
 * is discarded. Overlapping fragments discard their datagram (RFC 5722 and
 * its errata 3089, which Linux applies to IPv4 too); a fragment identical to
 * one held is dropped on its own. What the table discards outside the
 * current packet (the fragments it held) goes on the worker's death row,
 * freed after the burst (ng_reass_flush()), so no mbuf is reused while the
 * graph runs.
 */

#include <stdint.h>

#include <rte_mbuf.h>

#include "conf.h"
#include "route_dp.h"
#include "svc_dp.h"
#include "worker.h"

/** One fragment held: its mbuf and where its data lies in the datagram. */
struct ng_reass_frag {
	struct rte_mbuf *m;
	uint16_t off; /**< bytes from the start of the IPv4 payload (IPv6: fragmentable part) */
	uint16_t len; /**< bytes of payload it carries */
	uint16_t hdr; /**< IPv6: bytes before its fragment header, from the IPv6 header */
	uint16_t pad;
};

/**
 * What every fragment of a datagram carries (RFC 791: source, destination,
 * identification, protocol; RFC 8200 4.5: source, destination,
 * identification). An IPv4 address is the first 4 bytes of its 16, the rest
 * zero; an IPv6 key's proto is 0 (the next header of its fragments' fragment
 * headers may differ, RFC 8200 4.5).
 */
struct ng_reass_key {
	uint8_t src[16];
	uint8_t dst[16];
	uint32_t id;   /**< network order (IPv4: 16 bits) */
	uint8_t proto;
	uint8_t v6;    /**< 1: IPv6 */
	uint16_t pad;
};

/** A datagram being reassembled (n == 0: a free slot). One cache line. */
struct ng_reass_ent {
	struct ng_reass_key k;
	uint16_t n;         /**< fragments held */
	uint16_t size_max;  /**< IPv6: its largest fragment, IPv6 header included */
	uint32_t total;     /**< payload length, 0 until the last fragment came */
	uint32_t got;       /**< payload bytes held */
	uint32_t pad;
	uint64_t start;     /**< TSC of its first fragment */
};

/** A worker's reassembly table (allocated by the control core, then the worker's). */
struct ng_reass {
	uint32_t mask;          /**< buckets - 1 (buckets of NG_REASS_BUCKET entries) */
	uint32_t n_ent;         /**< entries: buckets * NG_REASS_BUCKET */
	uint32_t max_datagrams; /**< the most entries in use */
	uint32_t max_frags;     /**< fragments per datagram */
	uint32_t max_held;      /**< fragments held in all */
	uint32_t n_used;        /**< entries in use */
	uint32_t held;          /**< fragments held */
	uint32_t cursor;        /**< expiry scan */
	uint64_t timeout_tsc;
	uint32_t dr_n, dr_cap;  /**< death row */
	struct rte_mbuf **dr;
	struct ng_reass_ent *ent;
	struct ng_reass_frag *frags; /**< entry i's are frags[i * max_frags ...] */
	uint64_t mem_bytes;
};

#define NG_REASS_BUCKET 8

/**
 * Create a reassembly table as configured (c->enabled is not looked at).
 * @return NULL with rte_errno ENOMEM.
 */
struct ng_reass *ng_reass_create(const struct ng_conf *c, uint64_t tsc_hz, int socket);

/** Free a table and the fragments it holds. NULL is fine. */
void ng_reass_free(struct ng_reass *r);

/** Bytes a table of this configuration takes (what ng_reass_create() allocates). */
uint64_t ng_reass_mem_bytes(const struct ng_conf *c);

/**
 * The worker that reassembles an IPv4 fragment: a hash of what every
 * fragment of a datagram carries (addresses, identification, protocol), not
 * its ports. Arguments in network order.
 */
unsigned int ng_reass_owner(uint32_t src, uint32_t dst, uint16_t id, uint8_t proto,
		unsigned int n_workers);

/**
 * The worker that reassembles an IPv6 fragment: a hash of (source,
 * destination, identification), the key of RFC 8200 4.5. id in network order.
 */
unsigned int ng_reass_owner6(const uint8_t src[16], const uint8_t dst[16], uint32_t id,
		unsigned int n_workers);

/**
 * Does the worker reassemble a TCP or UDP fragment to nh (either family): to
 * a service or gateway address, or routed while a DNAT service exists (a
 * DNAT reply)? The service stage could need it whole.
 */
static inline bool
ng_reass_wants(const struct ng_worker *w, const struct ng_ruleset *rs, const struct ng_nexthop *nh)
{
	return w->reass != NULL && nh != NULL && (nh->type == NG_NH_VIP ||
			nh->type == NG_NH_LOCAL || rs->n_dnat > 0);
}

/** Discard datagrams past their timeout, looking at up to budget entries. */
void ng_reass_expire(struct ng_worker *w, uint64_t now, uint32_t budget);

/** Free the worker's death row (after a burst has left the graph). */
void ng_reass_flush(struct ng_worker *w);

#endif
