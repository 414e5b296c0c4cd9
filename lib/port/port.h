/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_PORT_H
#define NG_PORT_H

/**
 * @file
 * Ports (control core): probe any PMD by devargs or PCI address, configure
 * RX queues (RSS where the PMD has it) and one TX queue per worker, start,
 * stop, and read counters.
 *
 * Workers see the read-only struct ng_port_dp table, indexed by DPDK port
 * id, filled before they start.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_mempool.h>

#include "conf.h"

/** What a worker needs to know about a port; immutable while workers run. */
struct ng_port_dp {
	struct rte_ether_addr mac;
	uint16_t mtu;
	uint8_t idx;     /**< nodegw port index (config order) */
	uint8_t in_use;
	uint8_t twin;    /**< has a kernel twin (lib/twin): what nodegw does not consume goes there */
	uint32_t ip4;    /**< first IPv4 address, network order: ICMP error source */
	uint8_t ip6[16]; /**< first IPv6 address (:: when none): ICMPv6 error source */
	/* The exception path's token bucket, per worker, in TSC cycles of credit
	 * (set by lib/twin): one frame to the kernel costs punt_cost, the bucket
	 * holds punt_depth (kernel.burst frames). */
	uint64_t punt_cost;
	uint64_t punt_depth;
};

extern struct ng_port_dp ng_port_dp[RTE_MAX_ETHPORTS];

struct ng_port {
	char name[NG_NAME_MAX];
	char devargs[NG_DEVARGS_MAX];
	char driver[32];
	uint16_t port_id;
	uint16_t nb_rxq;
	uint16_t nb_txq;
	uint16_t mtu;
	bool rss;
	bool rx_ip_cksum; /**< PMD verifies IPv4 header checksums */
	bool probed_here; /**< nodegw probed it, so removes it at exit */
	bool started;
	struct rte_ether_addr mac;
	struct ng_prefix addrs[NG_MAX_PORT_ADDRS];
	unsigned int n_addrs;
	struct ng_ip fullnat[NG_MAX_FULLNAT_ADDRS]; /**< FullNAT source addresses; none: the route's */
	unsigned int n_fullnat;
	/* The link as ng_port_poll() last saw it. */
	unsigned int if_index;    /**< the kernel interface under the PMD (af_packet, tap); 0: none */
	bool link_up;
	uint32_t link_speed;      /**< Mb/s, 0 when unknown */
	uint64_t link_changes;    /**< down or up transitions seen since the start */
	uint64_t link_change_tsc; /**< TSC of the last one; 0: none */
};

/**
 * Size of the mbuf pool a config needs when mempool.mbufs is 0.
 */
uint32_t ng_port_pool_size(const struct ng_conf *c, unsigned int n_workers);

/**
 * Create the packet mbuf pool (with nodegw's private area per mbuf).
 * @return the pool, or NULL with rte_errno set.
 */
struct rte_mempool *ng_port_pool_create(const struct ng_conf *c, unsigned int n_workers);

/**
 * Watch pool mp from ng_port_poll(): a worker is *starving* when the pool's
 * common store and its own lcore cache together hold fewer than one receive
 * burst. The pool is *exhausted* while any worker starves.
 * @param lcores EAL lcore of each of the n_workers workers
 * @param burst the workers' receive burst (workers.burst)
 */
void ng_port_pool_watch(struct rte_mempool *mp, const unsigned int *lcores,
		unsigned int n_workers, uint32_t burst);

/** The mbuf pool as ng_port_poll() last saw it. */
struct ng_port_pool_info {
	uint32_t size;             /**< mbufs in the pool; 0: no pool watched */
	uint32_t in_use;           /**< neither in the pool nor in a cache */
	uint32_t max_in_use;       /**< the most seen in use */
	uint32_t burst;            /**< a worker with fewer at hand starves */
	bool exhausted;            /**< a worker starves now */
	uint64_t exhausted_events; /**< times the pool became exhausted */
	uint64_t exhausted_ns;     /**< time spent exhausted, the current episode included */
};

/** Read what ng_port_poll() saw of the pool, its in-use count taken now. */
void ng_port_pool_info(struct ng_port_pool_info *out);

/**
 * Control-core watch of the ports and the pool; call every loop. Samples the
 * pool (at most once a millisecond) and the links (every 100 ms); logs and
 * counts pool exhaustion and link changes. A link is up when the PMD says so
 * and, for a PMD over a kernel interface (af_packet, tap: if_index), that
 * interface is up and has a carrier, which af_packet itself does not check.
 * Never blocks (an ioctl per such port, a register read on a NIC).
 * @return the ports (bit i: nodegw port index i) whose link came up in this
 *   call, for the caller to refresh what depends on the link (neighbours).
 */
uint32_t ng_port_poll(void);

/**
 * Probe, configure and start every configured port.
 * @param n_txq TX queues per port (one per worker)
 * @param err filled with "port NAME (DEVARGS): what failed" on error
 * @return 0, or a negative errno; ports opened so far are closed again.
 */
int ng_ports_init(const struct ng_conf *c, uint16_t n_txq, struct rte_mempool *mp, char *err,
		size_t errlen);

/** Stop and close every port opened by ng_ports_init(). */
void ng_ports_fini(void);

/**
 * Stop (when started) and close DPDK port port_id; with remove, also remove
 * its device (one nodegw probed).
 */
void ng_ethdev_close(uint16_t port_id, bool started, bool remove);

/** Number of ports opened. */
unsigned int ng_port_count(void);

/** Port by nodegw index (config order), or NULL. */
const struct ng_port *ng_port_get(unsigned int idx);

/** Name of the port with DPDK port id port_id, or "?". */
const char *ng_port_name(uint16_t port_id);

/** Port by name, or NULL. */
const struct ng_port *ng_port_by_name(const char *name);

#endif
