/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_TEST_GW_H
#define NG_TEST_GW_H

/**
 * @file
 * A gateway under test, set up once for the unit and datapath tests the way
 * app/nodegw/main.c sets up nodegw (Katran's BpfTester is the idea): EAL
 * with --no-huge (unless opts.huge) and --no-shconf on one lcore, net_null
 * ports, the mbuf pool, the data-path context with its worker structs (never
 * launched: the test calls ng_worker_process() on the one it chooses), the
 * FIB and neighbour table through the route control API, and, when asked,
 * the service module. No root, no hugepages (unless asked: perf_family's
 * NG_PERF_HUGE). Tests add routes, neighbours and services through the
 * control APIs (ng_route_add(&gw.rt, ...), ng_svc_add(...)).
 *
 * A test sends a frame with ng_test_gw_rx(), then ng_test_gw_expect() checks
 * the verdict everywhere at once: the one frame sent and its port, the drop
 * reason counted on the ingress port, the packet handed to the control core,
 * to another worker or to a kernel twin (a punt ring), and nothing else on
 * any worker or ring.
 * ng_test_gw_down() checks that nothing leaked: every mbuf back in the pool,
 * the DPDK heap back to what it was when the ports were up (everything the
 * data path, routes, services and the test allocated since is freed).
 */

#include <stdbool.h>
#include <stdint.h>

#include "ng_stats.h"
#include "ng_test_frame.h"
#include "route.h"
#include "worker.h"

#define NG_TEST_GW_PORTS 4

struct ng_test_gw_opts {
	const char *name;       /**< test name: EAL file prefix ng_test_<name>_<pid> */
	unsigned int n_ports;   /**< net_null0.. */
	/** Addresses of port i, "A.B.C.D/LEN[,A.B.C.D/LEN...]"; port i is named "p<i>". */
	const char *addrs[NG_TEST_GW_PORTS];
	/** FullNAT source addresses of port i (fullnat_addresses), "A.B.C.D[,...]"; NULL: none. */
	const char *fullnat[NG_TEST_GW_PORTS];
	unsigned int n_workers; /**< worker structs on the one lcore; 0: 1 */
	unsigned int mem_mb;    /**< EAL memory; 0: 256 */
	/** EAL on hugepages (a hugetlbfs mount with mem_mb free), as bench.sh's
	 * nodegw runs; else (the default) --no-huge: 4 KiB pages, whose TLB
	 * misses a table bigger than the TLB's reach adds to every lookup */
	bool huge;
	uint32_t mbufs;         /**< 0: 2048 */
	uint32_t ct_entries;    /**< conntrack.max_entries per worker; 0: the default */
	bool services;          /**< start the service module (ng_svc_init) */
	uint16_t lport_min, lport_max; /**< FullNAT source ports; 0: the config default */
};

struct ng_test_gw {
	struct ng_conf conf;          /**< the config the gateway was built from */
	struct rte_mempool *pool;
	struct ng_dp *dp;
	struct ng_route_ctx rt;
	unsigned int n_ports;
	unsigned int n_workers;
	uint16_t port_id[NG_TEST_GW_PORTS];
	struct rte_ether_addr port_mac[NG_TEST_GW_PORTS];
	struct ng_ip node_addrs[NG_TEST_GW_PORTS * NG_MAX_PORT_ADDRS];
	unsigned int n_node_addrs;
	bool eal_up, svc_up;
	size_t heap_base; /**< DPDK heap bytes allocated once the ports were up */
};

/** What one packet did. */
struct ng_test_verdict {
	int tx;                   /**< port index of the one frame sent; -1: none */
	enum ng_drop_reason drop; /**< counted on the ingress port; NONE: no drop */
	int ctl;                  /**< enum ng_ctl_kind handed to the control core; 0: none */
	int redirect;             /**< worker the packet was handed to; -1: none */
	int punt;                 /**< frames on the worker's punt ring (kernel twin); 0: none */
};

#define NG_TV_TX(p) ((struct ng_test_verdict){.tx = (p), .drop = NG_DROP_NONE, \
		.ctl = 0, .redirect = -1})
#define NG_TV_DROP(r) ((struct ng_test_verdict){.tx = -1, .drop = NG_DROP_##r, \
		.ctl = 0, .redirect = -1})
/** Dropped with reason r and answered (TCP RST, ICMP error) out port p. */
#define NG_TV_REFUSE(p, r) ((struct ng_test_verdict){.tx = (p), .drop = NG_DROP_##r, \
		.ctl = 0, .redirect = -1})
#define NG_TV_CTL(k) ((struct ng_test_verdict){.tx = -1, .drop = NG_DROP_NONE, \
		.ctl = (k), .redirect = -1})
#define NG_TV_REDIRECT(k) ((struct ng_test_verdict){.tx = -1, .drop = NG_DROP_NONE, \
		.ctl = 0, .redirect = (int)(k)})
/** Only on the worker's punt ring, for the ingress port's kernel twin. */
#define NG_TV_PUNT ((struct ng_test_verdict){.tx = -1, .drop = NG_DROP_NONE, \
		.ctl = 0, .redirect = -1, .punt = 1})

/**
 * Bring the gateway up. Prints what failed to stderr.
 * @return 0, or -1 (call ng_test_gw_down() all the same).
 */
int ng_test_gw_up(struct ng_test_gw *gw, const struct ng_test_gw_opts *o);

/**
 * Take it down in main.c's order and check for leaks: every mbuf back in the
 * pool, the DPDK heap as it was when the ports were up. Prints what leaked.
 * @return 0, or -1 on a leak.
 */
int ng_test_gw_down(struct ng_test_gw *gw);

/** Free what the workers' TX buffers and every ring hold. @return how many. */
unsigned int ng_test_gw_release(struct ng_test_gw *gw);

/** Release, zero every worker's counters, and take every kernel twin away. */
void ng_test_gw_reset(struct ng_test_gw *gw);

/**
 * Give port index p a kernel twin as lib/twin does for the workers (the
 * token bucket: a frame costs cost TSC cycles of credit, the bucket holds
 * depth), or take it away (cost 0); every worker's buckets start full.
 */
void ng_test_gw_twin(struct ng_test_gw *gw, unsigned int p, uint64_t cost, uint64_t depth);

/**
 * Fill worker wid's punt ring with empty mbufs (the control core behind).
 * @return how many it queued.
 */
unsigned int ng_test_gw_punt_fill(struct ng_test_gw *gw, unsigned int wid);

/** Copy the first frame on worker wid's punt ring into out and free it. */
void ng_test_gw_take_punted(struct ng_test_gw *gw, unsigned int wid, struct tb_frame *out);

/** Mbufs of the pool in use. */
unsigned int ng_test_gw_in_use(const struct ng_test_gw *gw);

/** Worker wid receives frame f on port index f->port (counters zeroed first). */
void ng_test_gw_rx(struct ng_test_gw *gw, unsigned int wid, const struct tb_frame *f);

/**
 * The worker (of n) that owns an IPv4 flow by its client end, client address
 * (network order) and port (host order): lb_dp.c's rule for a service without
 * affinity.
 */
unsigned int ng_test_owner_flow4(uint32_t client, uint16_t cport, unsigned int n);

/**
 * Worker to takes the one packet worker from handed it over the redirect
 * ring, as the loop does (ng_worker_drain_redirect(), so a traced packet's
 * mark is honoured; counters zeroed first); it arrived on port index in_port.
 */
void ng_test_gw_rx_redirected(struct ng_test_gw *gw, unsigned int from, unsigned int to,
		uint8_t in_port);

/**
 * What worker wid did with one packet from in_port is exactly v: the drop
 * counted once on in_port, the frame queued on port v.tx, the packet on the
 * control ring with kind v.ctl or on worker v.redirect's ring, and nothing
 * else anywhere. Fails the test with what happened, prefixed with what.
 */
void ng_test_gw_expect(struct ng_test_gw *gw, const char *what, unsigned int wid,
		uint8_t in_port, struct ng_test_verdict v);

/**
 * Worker wid receives f; the verdict must be exactly v (ng_test_gw_expect());
 * when v sends a frame, *out gets it (ng_test_gw_take()).
 */
void ng_test_gw_step(struct ng_test_gw *gw, const char *what, unsigned int wid,
		const struct tb_frame *f, struct ng_test_verdict v, struct tb_frame *out);

/** The frame worker wid queued on port index p (still queued). */
struct rte_mbuf *ng_test_gw_sent(struct ng_test_gw *gw, unsigned int wid, uint8_t p);

/** The packet on the control ring (left there). */
struct rte_mbuf *ng_test_gw_to_ctl(struct ng_test_gw *gw);

/** Copy the one frame worker wid queued on port index p into out and free it. */
void ng_test_gw_take(struct ng_test_gw *gw, unsigned int wid, uint8_t p, struct tb_frame *out);

/**
 * out answers in back to its sender: out of in's port, to in's source MAC,
 * from the port's MAC, VLAN tag (if any) and ethertype as received.
 */
void ng_test_gw_check_reply_eth(const struct ng_test_gw *gw, const struct tb_frame *in,
		const struct tb_frame *out);

/** Drops counted by worker wid on every port. */
uint64_t ng_test_gw_drops(const struct ng_test_gw *gw, unsigned int wid);

/** " p0:reason=n ..." of worker wid, or " none", for failure messages. */
const char *ng_test_gw_drops_str(const struct ng_test_gw *gw, unsigned int wid, char *buf,
		size_t len);

#endif
