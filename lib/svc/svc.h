/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_SVC_H
#define NG_SVC_H

/**
 * @file
 * Services: the one control API (control core only).
 *
 * The config loader, the CLI and the Kubernetes watcher all change services
 * through these functions; none of them touches worker state. Changes mark
 * the desired state dirty; ng_svc_poll() compiles and publishes a new
 * ruleset once a burst of changes has settled (or ng_svc_commit() does it at
 * once), so a burst costs one commit.
 *
 * Functions that can fail on bad input return a negative errno and fill err
 * with a sentence naming the object ("service "web": ...").
 *
 * The limits (ng_limits.h) are the config loader's: NG_MAX_SERVICES services,
 * NG_MAX_FRONTENDS frontends in all, NG_MAX_SVC_VIPS VIPs and
 * NG_MAX_SVC_BACKENDS backends per service, weights up to NG_WEIGHT_MAX,
 * timeouts up to NG_TIMEOUT_MAX, affinity up to NG_AFFINITY_TIMEOUT_MAX; past
 * one, a call fails with -ENOSPC or -EINVAL. So whatever a front end builds,
 * `show running-config` writes a file the loader accepts.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_rcu_qsbr.h>

#include "conf.h"
#include "ng_addr.h"
#include "ng_hist.h"
#include "ng_types.h"
#include "route.h"

struct ng_fe_key;
struct ng_ruleset;
struct ng_svc_obj;

/** Who owns a service: a config reload replaces only NG_SVC_ORIGIN_LOCAL ones. */
enum ng_svc_origin {
	NG_SVC_ORIGIN_LOCAL = 0, /**< config file or CLI */
	NG_SVC_ORIGIN_K8S,       /**< the Kubernetes watcher */
};

struct ng_svc_spec {
	char name[NG_SVC_NAME_MAX];
	enum ng_svc_origin origin;
	uint8_t proto;               /**< IPPROTO_TCP or IPPROTO_UDP */
	enum ng_sched scheduler;
	enum ng_fwd_mode mode;
	bool affinity;               /**< ClientIP */
	uint32_t affinity_timeout;   /**< seconds; 0: NG_AFFINITY_TIMEOUT_DEFAULT */
	/** 0 fields: global. Only the protocol's own (tcp_* or udp) may be set. */
	struct ng_ct_timeouts timeouts;
	/**
	 * With no usable backend, drop new connections silently instead of
	 * refusing them (RST / ICMP unreachable): Kubernetes' Local traffic policy
	 * when the endpoints live on other nodes.
	 */
	bool empty_drop;
	/**
	 * Source ranges (Kubernetes' loadBalancerSourceRanges): new connections
	 * only from these prefixes, all of the service's family (IPv4 or IPv6;
	 * the other is refused); none: from anywhere. At most
	 * NG_MAX_SVC_SRC_RANGES. The caller keeps its array; the control API
	 * keeps a copy. The data path drops a new connection from elsewhere
	 * silently (drop reason src_range); established ones are not re-checked.
	 */
	const struct ng_prefix *src_ranges;
	unsigned int n_src_ranges;
};

/**
 * A frontend: a VIP (addr) and port, or a NodePort (addr.family 0): the port on
 * the gateway's addresses of one family. NodePorts are keyed by (family,
 * protocol, port), so an IPv4 and an IPv6 service may hold the same node port
 * (a dual-stack Kubernetes Service's two halves).
 */
struct ng_frontend {
	struct ng_ip addr;
	uint16_t port; /**< host order */
	/**
	 * NodePort only: AF_INET or AF_INET6, the family of the addresses it
	 * answers on. 0 when adding: the service's family (that of its VIPs, else
	 * its backends, else its source ranges; IPv4 when it has none of them);
	 * the service keeps the resolved family.
	 */
	uint8_t np_family;
};

/**
 * A port's FullNAT source addresses (ports[].fullnat_addresses): new FullNAT
 * connections to a backend reached through the port take their source from
 * (address, port) pairs of all of them, so one backend takes n times the
 * source ports of one address per TIME_WAIT period. None configured: the
 * route's source address alone.
 */
struct ng_svc_snat_pool {
	uint16_t port_id;   /**< DPDK port id */
	uint16_t n;         /**< addresses in addrs */
	struct ng_ip addrs[NG_MAX_FULLNAT_ADDRS];
};

struct ng_svc_params {
	struct rte_rcu_qsbr *qsbr;
	struct ng_ruleset **publish;  /**< where workers load the ruleset from */
	struct ng_fib *fib;           /**< VIP routes, and FullNAT sources */
	unsigned int n_workers;
	struct ng_ct_timeouts timeouts; /**< global */
	uint16_t lport_min, lport_max;
	const struct ng_ip *node_addrs; /**< the gateway's addresses (NodePorts) */
	unsigned int n_node_addrs;
	/**
	 * The addresses NodePorts answer on (kube-proxy's --nodeport-addresses):
	 * a subset of node_addrs; NULL: all of node_addrs.
	 */
	const struct ng_ip *nodeport_addrs;
	unsigned int n_nodeport_addrs;
	/** FullNAT source pools of the ports that have one (copied by ng_svc_init()). */
	struct ng_svc_snat_pool snat_pools[NG_MAX_PORTS];
	unsigned int n_snat_pools;
	uint16_t vip_port;            /**< DPDK port id used for VIP routes */
	uint32_t coalesce_us;         /**< commit once changes pause this long; default 1000 */
	uint32_t coalesce_max_us;     /**< ...or this long after the first; default 10 ms */
};

/**
 * Set up the service state and publish an empty ruleset.
 * @return 0 or a negative errno.
 */
int ng_svc_init(const struct ng_svc_params *p);

/** Free everything; workers must have stopped. */
void ng_svc_fini(void);

/**
 * Fill p's FullNAT source pools from the config's ports[].fullnat_addresses.
 * @param port_ids DPDK port id of each config port (config order)
 */
void ng_svc_params_snat(struct ng_svc_params *p, const struct ng_conf *c,
		const uint16_t *port_ids);

/** Same options (everything but the name)? */
bool ng_svc_spec_equal(const struct ng_svc_spec *a, const struct ng_svc_spec *b);

int ng_svc_add(const struct ng_svc_spec *s, char *err, size_t errlen);

/** Change a service's options (scheduler, mode, affinity, timeouts); not its protocol. */
int ng_svc_update(const struct ng_svc_spec *s, char *err, size_t errlen);

int ng_svc_del(const char *name, char *err, size_t errlen);

int ng_svc_frontend_add(const char *name, const struct ng_frontend *fe, char *err,
		size_t errlen);
int ng_svc_frontend_del(const char *name, const struct ng_frontend *fe, char *err,
		size_t errlen);

/** Add a backend, or change its weight when it exists. */
int ng_svc_backend_set(const char *name, const struct ng_ip *addr, uint16_t port,
		uint32_t weight, char *err, size_t errlen);
int ng_svc_backend_del(const char *name, const struct ng_ip *addr, uint16_t port, char *err,
		size_t errlen);

/**
 * Replace every service with those of a config (SIGHUP, start-up). Services
 * whose definition did not change keep their compiled object, so their
 * flows see no change at all.
 */
int ng_svc_apply_conf(const struct ng_conf *c, char *err, size_t errlen);

/**
 * Compile and publish now if anything changed.
 * @return 0 (also when nothing changed) or a negative errno.
 */
int ng_svc_commit(char *err, size_t errlen);

/**
 * Compile and publish the changes that fit one slice of the control loop
 * (about 10 ms of build and publish, sized from the cost per change of the
 * slice before), oldest first; the rest wait for the next call. Each service
 * is compiled whole. ng_svc_poll() commits this way, so a first build of
 * tens of thousands of services never holds up the loop for long.
 * @return 0 when nothing is left, 1 when changes are left for the next slice,
 *   or a negative errno (nothing changed).
 */
int ng_svc_commit_slice(char *err, size_t errlen);

/**
 * Control loop hook: a commit slice once changes settle (1 ms of quiet, or
 * 10 ms after the first; at once when a watch event noted its cause, or when
 * the slice before left changes), and freeing after grace periods.
 */
void ng_svc_poll(void);

/**
 * How long the control loop may sleep before ng_svc_poll() has work: 0 while
 * changes wait for a commit or a grace period younger than 10 ms runs (the
 * workers report quiescence every few microseconds, so it ends soon and its
 * end is the event's arrival in the data path), else 1.
 */
unsigned int ng_svc_poll_wait_ms(void);

/**
 * A front end (the Kubernetes watcher) applies a large sync in slices: until
 * it says off, ng_svc_syncing() is true.
 */
void ng_svc_set_syncing(bool on);

/**
 * True while the data path is being built in slices: a front end said it is
 * syncing, or the last commit slice left changes for the next. `show ruleset`
 * and `/healthz` say "syncing".
 */
bool ng_svc_syncing(void);

/**
 * The pending changes were caused by an event received at TSC tsc (a watch
 * event, say): the publish latency of the commit that carries them counts
 * from there. No effect when nothing is pending or tsc is later.
 */
void ng_svc_note_cause(uint64_t tsc);

/** True when changes wait for a commit. */
bool ng_svc_dirty(void);

struct ng_ruleset_info {
	uint64_t generation;
	uint32_t services;
	uint32_t frontends;
	uint64_t bytes;           /**< ruleset and every object it references */
	uint64_t index_bytes;     /**< the frontend index (directory and chunks) */
	/** Frontend index bytes the last commit copied: the directory, and the
	 * chunks its changed keys fall in (all of it when it was rebuilt). */
	uint64_t copied_bytes;
	uint32_t copied_chunks;   /**< chunks the last commit copied */
	uint64_t index_rebuilds;  /**< commits that resized the index (rebuilt it) */
	uint64_t build_ns;        /**< last compile */
	uint64_t publish_ns;      /**< last pointer swap */
	uint64_t grace_ns;        /**< last completed grace period */
	uint64_t commits;
	uint64_t pending_free;    /**< rulesets waiting for a grace period */
	/** The longest commit slice of ng_svc_poll() since start, wall and CPU of
	 * the control thread (build, publish, reclaim). */
	uint64_t slice_max_ns;
	uint64_t slice_max_cpu_ns;
	/**
	 * Publish latency over the last (up to 1024) commits: from the first
	 * change a commit carried to the end of the grace period after its
	 * publish, when every worker has moved past the old ruleset.
	 */
	uint32_t latency_samples;
	uint64_t latency_p50_ns;
	uint64_t latency_p99_ns;
	uint64_t latency_max_ns;
	uint64_t publish_tsc;     /**< TSC of the last publish; 0: none yet */
	uint64_t dirty_since_tsc; /**< the oldest change waiting for a commit; 0: none */
	/** Publish of the oldest ruleset still waiting for its grace period; 0: none. */
	uint64_t grace_since_tsc;
	struct ng_hist commit_hist;  /**< build + publish of every commit */
	struct ng_hist latency_hist; /**< change to data path (as latency_*), every commit */
	/** The same, only commits that carried a cause (ng_svc_note_cause: watch events). */
	struct ng_hist cause_hist;
};

void ng_svc_ruleset_info(struct ng_ruleset_info *out);

/**
 * How far the data path lags the desired state, cheaply (for probes): the TSC
 * of the oldest change waiting for a commit, of the publish of the oldest
 * ruleset still waiting for its grace period (0 for none), and of the last
 * publish (0: none yet).
 */
void ng_svc_pending(uint64_t *dirty_since_tsc, uint64_t *grace_since_tsc,
		uint64_t *publish_tsc);

/** The generation of the published ruleset: it moves with every commit (cheap). */
uint64_t ng_svc_generation(void);

/** Forget the publish latency samples (`clear ruleset`). */
void ng_svc_latency_clear(void);

/** Counters of one service, summed over workers and over its past objects. */
struct ng_svc_counters {
	uint64_t conns;
	uint64_t pkts;
	uint64_t bytes;
	uint64_t refused;
	uint64_t no_lport;
	uint64_t src_dropped; /**< new connections dropped: client outside the source ranges */
};

struct ng_backend {
	struct ng_ip addr;
	uint16_t port;   /**< host order */
	uint32_t weight; /**< 0 drains */
};

/** "198.19.0.10:80/tcp", "nodeport:30080/tcp" (IPv4) or "nodeport6:30080/tcp". */
void ng_svc_frontend_fmt(const struct ng_frontend *fe, uint8_t proto, char *buf, size_t len);

/** Same frontend? A NodePort of family 0 (the service's) matches either family. */
bool ng_svc_frontend_equal(const struct ng_frontend *a, const struct ng_frontend *b);

/** A read-only view of one service: valid until the next change or commit. */
struct ng_svc_view {
	const struct ng_svc_spec *spec;
	unsigned int n_frontends;
	const struct ng_frontend *frontends;
	unsigned int n_backends;
	const struct ng_backend *backends;   /**< in the order they were added */
	/** Its compiled object in the published ruleset (svc_dp.h: table size,
	 * usable backends, per-worker counters); NULL before its first commit. */
	const struct ng_svc_obj *obj;
};

/** Walk live services (in slot order: a new service may take a freed slot); cb
 * returns non-zero to stop. */
unsigned int ng_svc_walk(int (*cb)(const struct ng_svc_view *v, void *arg), void *arg);

/** The view of a live service. @return 0, or -ENOENT when there is none. */
int ng_svc_get(const char *name, struct ng_svc_view *out);

/** The published ruleset, as workers see it (control core: lookup, tests). */
const struct ng_ruleset *ng_svc_ruleset(void);

/** The frontend index key of (addr, port, proto); addr is a VIP or a gateway address. */
void ng_svc_fe_key(struct ng_fe_key *k, const struct ng_ip *addr, uint16_t port, uint8_t proto);

/** Register the service CLI commands (show services, service/backend add/del, lookup). */
int ng_svc_cli_register(void);

/** Counters of a service by name. @return 0 or -ENOENT. */
int ng_svc_counters(const char *name, struct ng_svc_counters *out);

#endif
