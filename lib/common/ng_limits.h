/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_LIMITS_H
#define NG_LIMITS_H

/**
 * @file
 * Every limit a front end checks, in one place.
 *
 * The config loader, the CLI, the Kubernetes watcher and the control APIs
 * behind them take their ranges from here, so that what one front end accepts
 * the others accept too: `show running-config` of any gateway is a file
 * `nodegw --check` accepts and a second gateway loads. doc/configuration.md
 * ("Limits" and the tables of each section) says the same numbers.
 *
 * Ranges are inclusive. A name ending in _MAX used as an array size (the
 * *_NAME_MAX, NG_DEVARGS_MAX, NG_PATH_MAX buffers) counts the terminating NUL.
 */

/* ---- services: config file, CLI, Kubernetes watcher, svc control API ---- */

/** Services at once, all origins together (config, CLI and Kubernetes):
 * 100,000 Kubernetes Services with a second port on every fifth make 120,000. */
#define NG_MAX_SERVICES 131072
/** VIP frontends of one service; a service may also have one NodePort. */
#define NG_MAX_SVC_VIPS 256
/** Frontends (VIP:port/protocol, NodePort/protocol) of all services together. */
#define NG_MAX_FRONTENDS 262144
/** Backends of all services together: 120,000 services of 10 endpoints,
 * and room; 160 services of NG_MAX_SVC_BACKENDS. */
#define NG_MAX_BACKENDS 1310720
/**
 * Backends of one service. Kubernetes tests services of up to 5,000 backends
 * (its scalability thresholds), so the watcher must take at least that; at
 * 8192 the largest Maglev table (65537 slots) still gives every backend 8
 * slots, so equal-weight backends differ by at most 1/8 in their share.
 */
#define NG_MAX_SVC_BACKENDS 8192
/** Service name buffer: names are 1..191 characters (see ng_svc_name_ok()).
 * Room for Kubernetes names: "namespace/service:port/ext" is at most
 * 63 + 1 + 63 + 1 + 15 + 4 characters. */
#define NG_SVC_NAME_MAX 192
/** Source ranges of one service (Kubernetes' loadBalancerSourceRanges): IPv4 prefixes. */
#define NG_MAX_SVC_SRC_RANGES 64
/** Backend weight: 0 drains, 1 is the default. */
#define NG_WEIGHT_MAX 10000
/** ClientIP affinity timeout, seconds (Kubernetes' own maximum). */
#define NG_AFFINITY_TIMEOUT_MIN 1
#define NG_AFFINITY_TIMEOUT_MAX 86400
/** Connection timeouts, global and per service, seconds (a week). A service's
 * 0 means "the global value"; the config file leaves the key out instead. */
#define NG_TIMEOUT_MIN 1
#define NG_TIMEOUT_MAX 604800
/** TCP/UDP ports of frontends, NodePorts and backends. */
#define NG_L4_PORT_MIN 1
#define NG_L4_PORT_MAX 65535

/* ---- the CLI ---- */

/**
 * Unsent output that closes a CLI session. The server stops reading a client
 * at 64 KiB unsent, so this bounds the output of one command, and it must
 * hold the largest one at the limits above: show services json or show
 * running-config of NG_MAX_SERVICES services with the longest names,
 * NG_MAX_FRONTENDS frontends and NG_MAX_BACKENDS backends is about 130 MiB
 * (about 250 + name, 26 and 50 bytes for each, measured by
 * tests/ctl/test_limits.py).
 */
#define NG_CLI_OUT_MAX (256u << 20)
/** cli.idle_timeout_s: 0 (never) up to this, seconds. */
#define NG_CLI_IDLE_TIMEOUT_MAX 86400

/* ---- FullNAT source ports (nat) ---- */

/** nat.port_min and nat.port_max are at least this... */
#define NG_NAT_PORT_LOW 1024
/** ...and the range holds at least this many ports. */
#define NG_NAT_MIN_PORTS 1024

/* ---- connection tracking (conntrack) ---- */

/** Connections per worker. */
#define NG_CT_ENTRIES_MIN 1024
#define NG_CT_ENTRIES_MAX 67108864

/* ---- ports, workers, mempool ---- */

#define NG_MAX_PORTS 16
#define NG_MAX_PORT_ADDRS 16       /**< interface addresses per port */
/** ports[].fullnat_addresses: FullNAT source addresses of one port. */
#define NG_MAX_FULLNAT_ADDRS 64
#define NG_MAX_RXQ 16              /**< RX queues per port */
#define NG_NAME_MAX 32             /**< port name buffer: 1..31 characters */
#define NG_DEVARGS_MAX 256         /**< devargs buffer: 1..255 characters */
#define NG_MTU_MIN 68
#define NG_MTU_MAX 9000
#define NG_DESC_MIN 64             /**< rx_desc, tx_desc: a power of two in range */
#define NG_DESC_MAX 16384
#define NG_MAX_WORKERS 64          /**< worker lcores listed */
#define NG_LCORE_ID_MAX 1023
#define NG_BURST_MIN 1
#define NG_BURST_MAX 256
#define NG_IDLE_SLEEP_US_MAX 1000000
#define NG_IDLE_POLLS_MIN 1
#define NG_IDLE_POLLS_MAX 1000000
#define NG_MBUFS_MIN 1024          /**< mempool.mbufs: 0 (sized from the ports) or this.. */
#define NG_MBUFS_MAX 16777216
#define NG_MEMPOOL_CACHE_MAX 512

/* A port's kernel twin (ports[].kernel). */
#define NG_IFNAME_MAX 16           /**< interface name buffer (IFNAMSIZ): 1..15 characters */
#define NG_TWIN_RATE_MAX 10000000  /**< rate_pps: 1..this, punted packets/s per worker */
#define NG_TWIN_BURST_MAX 65536    /**< burst: 1..this, packets */
#define NG_TWIN_QSIZE_MIN 64       /**< queue_size: a power of two in range */
#define NG_TWIN_QSIZE_MAX 4096

/** node_port_addresses entries: prefixes (and "primary") that pick the
 * port addresses NodePorts answer on. */
#define NG_MAX_NODEPORT_ADDRS 16

/* ---- routes, neighbours, ARP, ICMP ---- */

#define NG_MAX_ROUTES 4096         /**< static routes */
/**
 * The FIB holds the static routes, each port address's connected and local
 * routes, and a /32 VIP route per distinct VIP address: at most one per
 * frontend, so it is sized from NG_MAX_FRONTENDS (lib/route/route_api.c).
 * No FIB holds more than this many routes.
 */
#define NG_FIB_ROUTES_MAX (1u << 22)
/**
 * LPM groups for routes longer than /24: each /24 network holding one takes a
 * group (1 KiB). 8,192 hold every /24 of a /12 service CIDR (Kubernetes'
 * largest IPv4 one, 4,096 networks) and as many again for static, local and
 * load-balancer /32s; a VIP route that finds none free is refused and logged.
 */
#define NG_FIB_TBL8_GROUPS 8192
#define NG_MAX_STATIC_NEIGH 4096   /**< static neighbours */
#define NG_ARP_REACHABLE_S_MIN 1
#define NG_ARP_REACHABLE_S_MAX 86400
#define NG_ARP_RETRY_MS_MIN 10
#define NG_ARP_RETRY_MS_MAX 60000
#define NG_ARP_RETRIES_MIN 1
#define NG_ARP_RETRIES_MAX 100
#define NG_ARP_PENDING_MAX 1024    /**< packets held per unresolved neighbour */
#define NG_ARP_ENTRIES_MIN 16      /**< neighbour table size */
#define NG_ARP_ENTRIES_MAX 1048576
#define NG_ICMP_RATE_MAX 1000000   /**< ICMP errors per second per worker */

/* ---- IPv4 and IPv6 reassembly (reassembly), per worker ---- */
#define NG_REASS_DATAGRAMS_MIN 16      /**< max_datagrams: datagrams being reassembled */
#define NG_REASS_DATAGRAMS_MAX 1048576
#define NG_REASS_FRAGS_MIN 2           /**< max_fragments: fragments of one datagram */
#define NG_REASS_FRAGS_MAX 256
#define NG_REASS_HELD_MIN 16           /**< max_held: fragments held (mbufs) */
#define NG_REASS_HELD_MAX 1048576
#define NG_REASS_TIMEOUT_MS_MIN 10     /**< timeout_ms: first fragment to last */
#define NG_REASS_TIMEOUT_MS_MAX 120000

/* ---- probes and metrics (probes) ---- */

/** probes.stale_after_ms: how long the data path may lag before /healthz fails. */
#define NG_PROBES_STALE_AFTER_MS_MIN 100
#define NG_PROBES_STALE_AFTER_MS_MAX 3600000

/* ---- VIP announcements through BIRD (bgp) ---- */

#define NG_BGP_CIDRS_MAX 4         /**< bgp.service_cidrs entries */
#define NG_BGP_PROTO_MAX 24        /**< protocol name buffer: 1..22 characters, room for "4"/"6" */
#define NG_BGP_STOP_WAIT_MAX 600000 /**< stop_wait_ms: 0..this */
#define NG_BGP_MS_MIN 100          /**< timeout_ms and retry_ms: this..NG_BGP_MS_MAX */
#define NG_BGP_MS_MAX 60000

/* ---- the Kubernetes watcher (kubernetes) ---- */

#define NG_PATH_MAX 256            /**< file names, server URL: 1..255 characters */
#define NG_K8S_WATCH_TIMEOUT_S_MIN 1
#define NG_K8S_WATCH_TIMEOUT_S_MAX 3600
#define NG_K8S_PAGE_SIZE_MIN 1
#define NG_K8S_PAGE_SIZE_MAX 10000
#define NG_K8S_BACKOFF_MS_MIN 1
#define NG_K8S_BACKOFF_MS_MAX 600000
#define NG_K8S_BACKOFF_MAX_MS_MAX 3600000
#define NG_K8S_TOKEN_REREAD_S_MIN 1
#define NG_K8S_TOKEN_REREAD_S_MAX 86400

#endif
