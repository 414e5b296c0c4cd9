/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_CONF_H
#define NG_CONF_H

/**
 * @file
 * The configuration file (libconfig syntax), loaded into plain C structs.
 *
 * The loader validates everything it can without touching DPDK: types,
 * ranges, unknown keys, duplicates, and addresses that no port owns. Every
 * error names FILE:LINE. The result is a desired state; nothing here talks to
 * ports or workers. doc/configuration.md lists every key.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "ng_addr.h"
#include "ng_limits.h"
#include "ng_types.h"

#define NG_ERRBUF 512

/* A port's kernel twin (ports[].kernel): defaults; the limits are in ng_limits.h. */
#define NG_TWIN_RATE_DEF 10000      /**< punted packets per second per worker */
#define NG_TWIN_BURST_DEF 512       /**< token bucket depth, packets */
#define NG_TWIN_QSIZE_DEF 512       /**< descriptors per twin queue */

/** How a port's kernel twin is made (ports[].kernel.backend). */
enum ng_twin_backend {
	NG_TWIN_AUTO = 0,     /**< virtio_user where /dev/vhost-net exists, else tap */
	NG_TWIN_VIRTIO_USER,  /**< virtio_user over /dev/vhost-net */
	NG_TWIN_TAP,          /**< net_tap over /dev/net/tun */
};

/** Name of a twin backend as the config spells it ("auto", "virtio_user", "tap"). */
const char *ng_twin_backend_name(enum ng_twin_backend b);

/** A port's kernel interface (the exception path); off unless configured. */
struct ng_conf_twin {
	bool enabled;              /**< the port has a "kernel" group */
	char name[NG_IFNAME_MAX];  /**< the kernel interface's name */
	enum ng_twin_backend backend; /**< default auto */
	bool addresses;            /**< nodegw gives it the port's addresses; default true */
	uint32_t rate_pps;         /**< per worker; default NG_TWIN_RATE_DEF */
	uint32_t burst;            /**< default NG_TWIN_BURST_DEF */
	uint16_t queue_size;       /**< default NG_TWIN_QSIZE_DEF, a power of two */
	int line;
};

/* The BGP announcement controller (section "bgp"): defaults; the limits are in ng_limits.h. */
#define NG_BGP_SOCKET_DEF "/run/bird/bird.ctl"
#define NG_BGP_ROUTES_FILE_DEF "/run/nodegw/bird-vips.conf"
#define NG_BGP_PROTO_DEF "nodegw"
#define NG_BGP_IFACE_DEF "nodegw-vips"
#define NG_BGP_STOP_WAIT_DEF 3000        /**< ms; range 0..NG_BGP_STOP_WAIT_MAX */
#define NG_BGP_TIMEOUT_DEF 2000          /**< ms BIRD has to answer */
#define NG_BGP_RETRY_DEF 1000            /**< ms between reconnects */

/** Kinds of address that may be announced (bgp.announce), a bit set. */
enum ng_bgp_kind {
	NG_BGP_KIND_LB = 1u << 0,       /**< "loadbalancer": status.loadBalancer.ingress IPs */
	NG_BGP_KIND_EXTERNAL = 1u << 1, /**< "external": spec.externalIPs */
	NG_BGP_KIND_CONFIG = 1u << 2,   /**< "config": VIPs of config-file and CLI services */
	NG_BGP_KIND_CLUSTER = 1u << 3,  /**< clusterIPs: only inside bgp.service_cidrs */
};
/** The kinds bgp.announce may list (all of them by default). */
#define NG_BGP_KIND_ANNOUNCE_ALL (NG_BGP_KIND_LB | NG_BGP_KIND_EXTERNAL | NG_BGP_KIND_CONFIG)
#define NG_BGP_KIND_ALL (NG_BGP_KIND_ANNOUNCE_ALL | NG_BGP_KIND_CLUSTER)
#define NG_BGP_ANNOUNCE_DEF NG_BGP_KIND_ANNOUNCE_ALL

/** The word of one kind bit: "loadbalancer", "external", "config", "cluster"; or NULL. */
const char *ng_bgp_kind_name(uint32_t bit);

/** The BGP announcement controller; nodegw decides, BIRD speaks (doc/scale-out.md). */
struct ng_conf_bgp {
	bool enabled;                     /**< the section exists */
	char bird_socket[NG_PATH_MAX];    /**< BIRD's control socket */
	char routes_file[NG_PATH_MAX];    /**< the file nodegw writes, BIRD includes */
	char protocol[NG_BGP_PROTO_MAX];  /**< "nodegw": protocols nodegw4 and nodegw6 */
	char interface[NG_IFNAME_MAX];    /**< the routes' next hop; dies with nodegw */
	uint32_t announce;                /**< enum ng_bgp_kind bits, CLUSTER excluded */
	struct ng_prefix service_cidrs[NG_BGP_CIDRS_MAX]; /**< aggregates, masked */
	unsigned int n_service_cidrs;
	uint32_t stop_wait_ms;            /**< a clean stop waits this long after withdrawing */
	uint32_t timeout_ms;
	uint32_t retry_ms;
	int line;
};

struct ng_conf_port {
	char name[NG_NAME_MAX];
	char devargs[NG_DEVARGS_MAX]; /**< vdev devargs or a PCI address */
	struct ng_prefix addrs[NG_MAX_PORT_ADDRS]; /**< interface addresses, host bits set */
	unsigned int n_addrs;
	/**
	 * fullnat_addresses: FullNAT source addresses toward backends reached
	 * through this port, on its connected prefixes; none: the route's source
	 * (the port's address on the prefix that holds the backend or next hop).
	 */
	struct ng_ip fullnat[NG_MAX_FULLNAT_ADDRS];
	unsigned int n_fullnat;
	uint16_t mtu;        /**< default 1500, range 68..9000 */
	uint16_t rx_queues;  /**< default 1, range 1..NG_MAX_RXQ */
	uint16_t rx_desc;    /**< default 1024 */
	uint16_t tx_desc;    /**< default 1024 */
	struct ng_conf_twin kernel; /**< the kernel twin (exception path) */
	int line;
};

/** A listen address: "ADDR:PORT" ("[V6]:PORT"); port 0 picks a free one. */
struct ng_conf_bind {
	bool on;             /**< false: "" (off) */
	struct ng_ip addr;
	uint16_t port;
};

struct ng_conf_route {
	struct ng_prefix prefix; /**< masked network */
	struct ng_ip via;        /**< next hop, on a connected prefix of port */
	unsigned int port;       /**< index into ng_conf.ports */
	int line;
};

struct ng_conf_neigh {
	struct ng_ip addr;
	struct rte_ether_addr mac;
	unsigned int port; /**< index into ng_conf.ports */
	int line;
};

struct ng_conf_backend {
	struct ng_ip addr;
	uint16_t port;
	uint32_t weight; /**< default 1, range 0..NG_WEIGHT_MAX; 0 drains */
	int line;
};

/* Heap fields of ng_conf_service and ng_conf: freed by ng_conf_free() and sent
 * by conf_child.c (which pins these structs' sizes to be told of a new one). */
struct ng_conf_service {
	char name[NG_SVC_NAME_MAX];
	uint8_t proto;              /**< IPPROTO_TCP or IPPROTO_UDP */
	uint16_t port;              /**< frontend port on every VIP */
	struct ng_ip *vips;         /**< heap, n_vips entries */
	unsigned int n_vips;
	uint16_t node_port;         /**< 0: none; else answers on every port address */
	enum ng_sched scheduler;
	enum ng_fwd_mode mode;
	bool affinity;              /**< ClientIP session affinity */
	uint32_t affinity_timeout;  /**< seconds; default 10800 */
	struct ng_ct_timeouts timeouts; /**< 0 fields: use conntrack.timeouts */
	struct ng_conf_backend *backends; /**< heap, n_backends entries */
	unsigned int n_backends;
	struct ng_prefix *src_ranges; /**< source_ranges, heap, n_src_ranges entries (masked) */
	unsigned int n_src_ranges;
	int line;
};

struct ng_conf {
	char file[256];
	uint32_t log_level; /**< RTE_LOG_*; default info */
	bool forwarding;    /**< route transit traffic; default true */

	struct {
		unsigned int lcores[NG_MAX_WORKERS]; /**< EAL lcore ids */
		unsigned int n_lcores;  /**< 0: use every EAL worker lcore */
		uint32_t burst;         /**< rx burst size; default 32, 1..256 */
		uint32_t idle_sleep_us; /**< 0 (default): busy poll */
		uint32_t idle_polls;    /**< empty polls before sleeping; default 256 */
	} workers;

	struct {
		uint32_t mbufs; /**< mbufs in the pool; 0 (default) sizes it from ports */
		uint32_t cache; /**< per-lcore mempool cache; default 256 */
	} mempool;

	struct {
		uint32_t reachable_s;  /**< resolved entry lifetime before re-probe; default 300 */
		uint32_t retry_ms;     /**< ARP request interval; default 1000 */
		uint32_t retries;      /**< requests before giving up; default 3 */
		uint32_t pending_max;  /**< packets held per unresolved neighbour; default 16 */
		uint32_t max_entries;  /**< neighbour table size; default 4096 */
	} arp;

	struct {
		uint32_t rate_pps; /**< ICMP errors sent per second per worker; default 100 */
		/** a packet without DF over the egress MTU: fragmented (true, the
		 * default) or dropped (false); with DF it gets "fragmentation needed" */
		bool fragment;
	} icmp;

	/** Reassembly of IPv4 and IPv6 fragments to services, per worker, one table for
	 * both (lib/worker/reass_dp.c). */
	struct {
		bool enabled;           /**< default true; false drops them as before */
		uint32_t max_datagrams; /**< datagrams being reassembled; default 1024 */
		uint32_t max_fragments; /**< fragments of one datagram; default 64 */
		uint32_t max_held;      /**< fragments (mbufs) held in all; default 4096 */
		uint32_t timeout_ms;    /**< first fragment to last; default 30000 */
	} reassembly;

	struct {
		char address[NG_IP_STRLEN]; /**< listen address; default 127.0.0.1 */
		uint16_t port;              /**< default 8023; 0 turns the CLI off */
		/** sessions silent this long are closed; 0 never; default NG_CLI_IDLE_TIMEOUT_DEF */
		uint32_t idle_timeout_s;
	} cli;

	struct {
		uint32_t max_entries; /**< connections per worker; default 65536 */
		struct ng_ct_timeouts timeouts;
	} conntrack;

	struct {
		uint16_t port_min; /**< FullNAT local source ports; default 32768 */
		uint16_t port_max; /**< default 60999 */
	} nat;

	struct ng_conf_port ports[NG_MAX_PORTS];
	unsigned int n_ports;

	struct ng_conf_route *routes; /**< n_routes entries, heap */
	unsigned int n_routes;

	struct ng_conf_neigh *neighbours; /**< n_neighbours entries, heap */
	unsigned int n_neighbours;

	struct ng_conf_service *services; /**< n_services entries, heap */
	unsigned int n_services;

	/** The Kubernetes watcher (section "kubernetes"). */
	struct ng_conf_k8s {
		bool enabled;        /**< the section exists and enabled is not false */
		char server[NG_PATH_MAX];      /**< "https://host:port"; "": in-cluster env */
		char token_file[NG_PATH_MAX];  /**< "": none (in-cluster: the SA token) */
		char ca_file[NG_PATH_MAX];     /**< "": system CAs (in-cluster: the SA CA) */
		char client_cert[NG_PATH_MAX]; /**< PEM; with client_key */
		char client_key[NG_PATH_MAX];
		bool insecure;       /**< insecure_skip_tls_verify; default false */
		char node_name[256]; /**< "": $NODE_NAME, else the host name */
		uint32_t watch_timeout_s;  /**< watches last [T, 2T); default 300 */
		uint32_t page_size;        /**< list limit; default 500 */
		uint32_t backoff_ms;       /**< first retry delay; default 800 */
		uint32_t backoff_max_ms;   /**< default 30000 */
		uint32_t token_reread_s;   /**< default 60 */
		int line;
	} k8s;

	/** Probe and metrics servers (section "probes"); see doc/configuration.md. */
	struct ng_conf_probes {
		struct ng_conf_bind healthz;   /**< /healthz, /livez; default 0.0.0.0:10256 */
		struct ng_conf_bind metrics;   /**< /metrics; default 127.0.0.1:10249 */
		struct ng_ip health_check_addr; /**< healthCheckNodePort servers; default 0.0.0.0 */
		/** Changes not in the data path after this long make /healthz and /livez fail. */
		uint32_t stale_after_ms;       /**< default 5000 */
		int line;
	} probes;

	/** node_port_addresses: where NodePorts answer (kube-proxy's --nodeport-addresses). */
	struct ng_conf_nodeport {
		struct ng_prefix prefixes[NG_MAX_NODEPORT_ADDRS]; /**< masked */
		unsigned int n_prefixes;
		bool primary;        /**< "primary": the first address of the first port */
		bool set;            /**< the key is present; else every port address */
		/** The port addresses that match, in port order (when set). */
		struct ng_ip addrs[NG_MAX_PORTS * NG_MAX_PORT_ADDRS];
		unsigned int n_addrs;
		int line;
	} nodeport;

	struct ng_conf_bgp bgp;
};

/**
 * Fill a config with every default (no ports, routes or neighbours).
 */
void ng_conf_defaults(struct ng_conf *c);

/**
 * Load and validate a config file. Every @include must name a readable regular
 * file (a directory made libconfig 1.5 call exit()); it is opened relative to
 * the working directory, as libconfig does. Runs libconfig in this process:
 * a running gateway uses ng_conf_load_isolated() instead.
 *
 * @param path the file to read
 * @param err  buffer for one sentence, "FILE:LINE: message", on failure
 * @param errlen size of err
 * @return a config to free with ng_conf_free(), or NULL with errno set
 *   (EINVAL for a bad file, ENOENT when it cannot be read, ENOMEM) and err filled.
 */
struct ng_conf *ng_conf_load(const char *path, char *err, size_t errlen);

/** How long ng_conf_load_isolated() waits for its child, in milliseconds. */
#define NG_CONF_CHECK_TIMEOUT_MS 10000

/**
 * Load and validate a config file as ng_conf_load() does, but parse it in a
 * child process (fork), which sends the validated config back over a pipe and
 * exits. Whatever the parser library does on bad input (libconfig 1.5 calls
 * exit() on a read error, leaks on some syntax errors, blocks on a FIFO)
 * happens to the child: the caller gets a refusal, its memory unchanged. What
 * is returned is exactly what the child validated (the files are read once).
 * The child is forked by the helper (ng_conf_helper_start()), or else by
 * the caller; it touches no DPDK state. Control core only: it blocks until
 * the child answers, at most NG_CONF_CHECK_TIMEOUT_MS (and 2 s more for a
 * helper that stopped answering, which is then stopped).
 *
 * @param path the file to read
 * @param err  buffer for one sentence ("FILE:LINE: message") on failure
 * @param errlen size of err
 * @return a config to free with ng_conf_free(), or NULL with errno set: as
 *   ng_conf_load() for a file the child refused; ETIMEDOUT when the child did
 *   not answer in time; ECHILD when it died or its answer was cut short;
 *   ENOMEM; or fork()'s and pipe()'s errors.
 */
struct ng_conf *ng_conf_load_isolated(const char *path, char *err, size_t errlen);

/**
 * Start the config helper: a small process, forked now, that forks the
 * children ng_conf_load_isolated() parses in, so that the gateway itself is
 * never forked once it runs (multi-threaded, large). Call it early, before
 * rte_eal_init() and before any thread exists. Without it (not started, or
 * gone), ng_conf_load_isolated() forks the caller instead.
 *
 * @return 0, or a negative errno (socketpair, fork).
 */
int ng_conf_helper_start(void);

/** Stop the helper (it exits when its socket closes); nothing when none runs. */
void ng_conf_helper_stop(void);

/** The helper's process id, or -1 when none runs (never started, or stopped
 * after a failure it showed). */
pid_t ng_conf_helper_pid(void);

/** Free a config from ng_conf_load(); NULL is fine. */
void ng_conf_free(struct ng_conf *c);

/**
 * Index of the port whose connected prefix contains ip, or -1.
 * The first port in file order wins when prefixes overlap.
 */
int ng_conf_port_for(const struct ng_conf *c, const struct ng_ip *ip);

/**
 * Index of the port that owns ip as an interface address or a FullNAT
 * source address (ports[].fullnat_addresses), or -1.
 */
int ng_conf_own_addr(const struct ng_conf *c, const struct ng_ip *ip);

/**
 * The family of a config service, which its node_port answers on: that of
 * its VIPs, else of its backends, else of its source ranges; AF_INET when it
 * has none of them.
 */
uint8_t ng_conf_svc_family(const struct ng_conf_service *sv);

/** Index of the port named name, or -1. */
int ng_conf_port_by_name(const struct ng_conf *c, const char *name);

#endif
