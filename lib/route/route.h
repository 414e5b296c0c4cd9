/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_ROUTE_H
#define NG_ROUTE_H

/**
 * @file
 * Routing (control core): the FIB and the neighbour table, IPv4 and IPv6.
 *
 * The FIB is an IPv4 LPM (lpm4.h) and an rte_lpm6 whose next-hop values index one
 * array of next hops. Local addresses are /32 (/128) routes to LOCAL next hops, so one lookup tells a
 * worker whether a packet is for the gateway, for a connected host or for a
 * gateway. Writers run on the control core only; workers read without locks,
 * and memory they may still hold is reclaimed after an RCU grace period.
 *
 * The neighbour table maps (port, address) to a MAC. Workers read it without
 * locks; what they cannot resolve they hand to the control core, which sends
 * ARP requests (IPv6: neighbour solicitations), holds a bounded queue of waiting packets per neighbour, and
 * ages entries.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>

#include "ng_addr.h"

struct ng_fib;
struct ng_neigh_table;

enum ng_nh_type {
	NG_NH_LOCAL = 1,  /**< an address of the gateway */
	NG_NH_CONNECTED,  /**< on-link: the destination is its own next hop */
	NG_NH_GATEWAY,    /**< via a router */
	NG_NH_VIP,        /**< a service address: the service stage takes it */
};

enum ng_route_origin {
	NG_RT_LOCAL = 1,
	NG_RT_CONNECTED,
	NG_RT_STATIC,
	NG_RT_VIP,
};

struct ng_route_info {
	struct ng_prefix prefix;
	enum ng_route_origin origin;
	enum ng_nh_type type;
	uint16_t port;    /**< DPDK port id */
	struct ng_ip gw;  /**< for NG_NH_GATEWAY */
	struct ng_ip src; /**< gateway's own address used toward this route */
};

/**
 * Create an empty FIB.
 * @param max_routes rules the LPM holds
 * @param qsbr RCU variable the workers report to; used to reclaim
 * @return the FIB, or NULL with rte_errno set.
 */
struct ng_fib *ng_fib_create(uint32_t max_routes, struct rte_rcu_qsbr *qsbr);

/** Free a FIB; workers must have stopped using it. NULL is fine. */
void ng_fib_free(struct ng_fib *f);

/**
 * Add or replace a route.
 * @param prefix IPv4 or IPv6
 * @param type LOCAL or VIP (prefix must be a /32 or /128), CONNECTED or GATEWAY
 * @param gw next hop for GATEWAY, ignored otherwise
 * @param src the gateway's address on port, used as source of ARP and ICMP
 * @return 0, -EINVAL (bad arguments), -ENOSPC (table full), -EEXIST (a route
 *   with that prefix exists and replace is false, or it has another origin:
 *   replace only replaces a route of the same origin), -EBUSY (IPv6: the
 *   grace period of the last IPv6 delete did not end within 100 ms).
 */
int ng_fib_add(struct ng_fib *f, const struct ng_prefix *prefix, enum ng_route_origin origin,
		enum ng_nh_type type, uint16_t port, const struct ng_ip *gw,
		const struct ng_ip *src, bool replace);

/**
 * Delete a route. The next hop it used is reclaimed after a grace period.
 * @return 0, or -ENOENT.
 */
int ng_fib_del(struct ng_fib *f, const struct ng_prefix *prefix);

/**
 * Control-core lookup (longest prefix match).
 * @return 0 with *out filled, or -ENOENT.
 */
int ng_fib_lookup(const struct ng_fib *f, const struct ng_ip *dst, struct ng_route_info *out);

/**
 * The prefix lengths some route of a family has, which are all that
 * ng_fib_lookup() tries: bit len of lens[len / 64] is set while a route of
 * that length exists (IPv4: bits 0-32 of lens[0]; IPv6: 0-128).
 * @param family AF_INET or AF_INET6 (another: all bits clear)
 */
void ng_fib_prefix_lens(const struct ng_fib *f, int family, uint64_t lens[3]);

/**
 * Control-core exact match: the route with exactly that prefix (host bits
 * are cleared first).
 * @return 0 with *out filled, or -ENOENT.
 */
int ng_fib_get(const struct ng_fib *f, const struct ng_prefix *prefix, struct ng_route_info *out);

/**
 * Walk the routes in insertion order. cb returns non-zero to stop.
 * @return the number of routes visited.
 */
unsigned int ng_fib_walk(const struct ng_fib *f,
		int (*cb)(const struct ng_route_info *r, void *arg), void *arg);

/** Reclaim what workers no longer reference; call from the control loop. */
void ng_fib_reclaim(struct ng_fib *f);

/* ---- neighbours ---- */

/** How the control core sends a packet: handed to a worker's TX. */
typedef int (*ng_neigh_tx_fn)(struct rte_mbuf *m, uint16_t port, void *arg);

/** Packets waiting for neighbours hold at most 1/NG_NEIGH_POOL_SHARE of the mbuf pool. */
#define NG_NEIGH_POOL_SHARE 8

struct ng_neigh_params {
	uint32_t max_entries;
	uint32_t reachable_ms; /**< resolved entry lifetime before re-probe */
	uint32_t retry_ms;     /**< interval between ARP requests */
	uint32_t retries;      /**< requests before an entry fails */
	uint32_t pending_max;  /**< packets held per unresolved entry */
	/** packets held by all entries together; 0: pending_max x max_entries */
	uint32_t waiting_max;
	struct rte_rcu_qsbr *qsbr;
	struct rte_mempool *pool; /**< for ARP requests */
	struct ng_fib *fib;       /**< finds our source address toward a neighbour */
	ng_neigh_tx_fn tx;
	void *tx_arg;
};

enum ng_neigh_state {
	NG_NEIGH_INCOMPLETE = 1, /**< ARP sent, no answer yet */
	NG_NEIGH_REACHABLE,
	NG_NEIGH_PROBE,          /**< lifetime over; still used while re-resolving */
	NG_NEIGH_FAILED,         /**< no answer; packets dropped until retried */
	NG_NEIGH_STATIC,
};

struct ng_neigh_info {
	struct ng_ip addr;
	uint16_t port;
	struct rte_ether_addr mac;
	enum ng_neigh_state state;
	uint32_t age_ms;      /**< since last confirmed */
	uint32_t pending;     /**< packets waiting */
	uint32_t probes;      /**< requests sent in this round */
};

/** Counters kept by the control core. */
struct ng_neigh_stats {
	uint64_t requests_sent;
	uint64_t replies_seen;
	uint64_t resolved;
	uint64_t failed;
	uint64_t pending_dropped; /**< pending queue full, all queues full, or entry failed */
	uint64_t waiting_full;    /**< of those: all queues together held waiting_max */
	uint64_t table_full;
	uint32_t waiting;         /**< packets held now, all entries */
	uint32_t waiting_max;     /**< what they may hold */
};

/**
 * Create the neighbour table.
 * @return it, or NULL with rte_errno set.
 */
struct ng_neigh_table *ng_neigh_create(const struct ng_neigh_params *p);

/** Free the table and any packets it holds. NULL is fine. */
void ng_neigh_free(struct ng_neigh_table *t);

/**
 * Add or replace a static entry (never ages, never probed).
 * @return 0, -ENOSPC or -EINVAL.
 */
int ng_neigh_add_static(struct ng_neigh_table *t, uint16_t port, const struct ng_ip *addr,
		const struct rte_ether_addr *mac);

/**
 * Delete an entry (static or learnt); memory is reclaimed after a grace period.
 * @return 0 or -ENOENT.
 */
int ng_neigh_del(struct ng_neigh_table *t, uint16_t port, const struct ng_ip *addr);

/**
 * A packet a worker could not send: its ng_mbuf_priv names the next hop and
 * out port. The table keeps it until the neighbour resolves, or frees it.
 * Starts resolution when the entry is new.
 */
void ng_neigh_resolve(struct ng_neigh_table *t, struct rte_mbuf *m);

/**
 * An ARP packet handed up by a worker (a reply, or a request to us).
 * Learns the sender when it answers a pending entry or is addressed to us.
 * Always consumes m.
 */
void ng_neigh_arp_input(struct ng_neigh_table *t, struct rte_mbuf *m);

/**
 * A neighbour advertisement handed up by a worker (its IPv6 header at
 * m->l2_len). Validated again (RFC 4861 7.1.2); learns the target's MAC
 * (its link-layer option, else the frame's source) when it answers a pending
 * entry or refreshes a learnt one, as an ARP reply does. Always consumes m.
 */
void ng_neigh_nd_input(struct ng_neigh_table *t, struct rte_mbuf *m);

/** Timers: retries, ageing. Call from the control loop; bounded work. */
void ng_neigh_poll(struct ng_neigh_table *t);

/**
 * The link of DPDK port `port` came (back) up: what was learnt while it was
 * down says nothing about the neighbours. Every learnt entry of the port is
 * asked again at once, and again 50 ms later: a failed one resolves again (its
 * packets wait instead of being dropped for the hold-down), a reachable one
 * is probed and keeps its MAC meanwhile. Static entries stay as they are.
 * @return the number of entries asked again.
 */
unsigned int ng_neigh_link_up(struct ng_neigh_table *t, uint16_t port);

/** Walk entries. cb returns non-zero to stop. @return the number visited. */
unsigned int ng_neigh_walk(struct ng_neigh_table *t,
		int (*cb)(const struct ng_neigh_info *n, void *arg), void *arg);

/** Copy the control-side counters. */
void ng_neigh_get_stats(const struct ng_neigh_table *t, struct ng_neigh_stats *s);

/* ---- the control API ----
 *
 * What the config loader (at start and on reload), the CLI and the tests call
 * to change routes and neighbours: the checks, the choice of port and source
 * address, and the error sentences live here once. The functions above are
 * its building blocks (and the service module's, for VIP routes).
 */

struct ng_conf;

/** The gateway's routing state: its FIB and its neighbour table. */
struct ng_route_ctx {
	struct ng_fib *fib;
	struct ng_neigh_table *neigh;
};

struct ng_route_params {
	const struct ng_conf *conf; /**< ARP settings, room for its routes, port lines */
	struct rte_rcu_qsbr *qsbr;  /**< the workers' RCU variable (NULL: no workers) */
	struct rte_mempool *pool;   /**< for ARP requests */
	ng_neigh_tx_fn tx;          /**< how the control core sends ARP requests */
	void *tx_arg;
};

/**
 * Create the FIB and the neighbour table of the running ports (lib/port must
 * be up): every port address gets its connected route and a local /32. The
 * FIB has room for the config's routes and 1,024 more.
 * @param err one sentence on failure, naming FILE:LINE of a port
 * @return 0, or -ENOMEM / the FIB's error with err filled; on failure rt
 *   holds nothing.
 */
int ng_route_init(struct ng_route_ctx *rt, const struct ng_route_params *p, char *err,
		size_t errlen);

/** Free what ng_route_init() made; workers must have stopped. */
void ng_route_fini(struct ng_route_ctx *rt);

/**
 * Add or replace a static route.
 * @param prefix IPv4 or IPv6; host bits are cleared
 * @param via next hop of the prefix's family: on a connected prefix, not an
 *   address of the gateway
 * @param port the port's name, or NULL: the first port whose connected prefix
 *   holds via. The route's source address is the port's address on the most
 *   specific connected prefix holding via.
 * @param err the sentence on failure, naming the next hop, port or prefix
 * @return 0, -EINVAL (bad next hop or port), -EEXIST (a connected, local or
 *   VIP route has that prefix), -ENOSPC (table full), -EBUSY (IPv6: a worker
 *   did not report quiescence for 100 ms after an IPv6 route was deleted).
 */
int ng_route_add(struct ng_route_ctx *rt, const struct ng_prefix *prefix,
		const struct ng_ip *via, const char *port, char *err, size_t errlen);

/**
 * Delete a static route.
 * @return 0, -EPERM (a connected, local or VIP route), -ENOENT.
 */
int ng_route_del(struct ng_route_ctx *rt, const struct ng_prefix *prefix, char *err,
		size_t errlen);

/**
 * Add or replace a static neighbour (never ages); a learnt entry becomes static.
 * @param port the port's name, or NULL: the first port whose connected prefix
 *   holds addr
 * @return 0, -EINVAL (address, MAC or port refused), -ENOSPC (table full).
 */
int ng_route_neigh_add(struct ng_route_ctx *rt, const struct ng_ip *addr,
		const struct rte_ether_addr *mac, const char *port, char *err, size_t errlen);

/**
 * Delete a neighbour entry, static or learnt.
 * @return 0, -EINVAL (address or port refused), -ENOENT.
 */
int ng_route_neigh_del(struct ng_route_ctx *rt, const struct ng_ip *addr, const char *port,
		char *err, size_t errlen);

/**
 * Check that c's routes and neighbours apply to the running ports and FIB,
 * changing nothing (reload calls it before it changes anything).
 * @param err "FILE:LINE: sentence" of the first one refused
 * @return 0, or the error ng_route_add()/ng_route_neigh_add() would give.
 */
int ng_route_check_conf(const struct ng_route_ctx *rt, const struct ng_conf *c, char *err,
		size_t errlen);

/**
 * Make the static routes and neighbours exactly c's: those it does not have
 * (from an older config or the CLI) go, its own are added or replaced;
 * learnt neighbours stay. Checks everything first (ng_route_check_conf())
 * and changes nothing when something is refused.
 * @return 0, or a negative errno with "FILE:LINE: sentence" in err.
 */
int ng_route_apply_conf(struct ng_route_ctx *rt, const struct ng_conf *c, char *err,
		size_t errlen);

/** "local", "connected", "static" or "vip". */
const char *ng_route_origin_name(enum ng_route_origin o);

/** Register the CLI commands of routes and neighbours: thin parsers over the API. */
int ng_route_cli_register(struct ng_route_ctx *rt);

#endif
