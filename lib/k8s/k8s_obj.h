/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_K8S_OBJ_H
#define NG_K8S_OBJ_H

/**
 * @file
 * Kubernetes API objects as nodegw needs them (control core only): the JSON
 * decoders for core/v1 Service and discovery.k8s.io/v1 EndpointSlice, list
 * and watch-event envelopes, the watch-stream splitter, and the translation of
 * one Service plus its EndpointSlices into nodegw services, following
 * kube-proxy's rules (pkg/proxy).
 *
 * Pure functions but for two tables (ng_k8s_parse()'s buffer, one per
 * thread; ng_k8s_name_get()'s names, control core only): no I/O, no DPDK
 * calls; unit-tested on their own.
 * Decoders return 0 or a negative errno and then fill err with a sentence that
 * names the object ("service default/web: spec.ports[1].port: not a number").
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "ng_addr.h"
#include "svc.h"

#define NG_K8S_NS_MAX 64     /**< namespace: DNS-1123 label, 63 characters */
#define NG_K8S_NAME_MAX 254  /**< object name: DNS-1123 subdomain, 253 */
#define NG_K8S_PORTNAME_MAX 16 /**< IANA service name, 15 */
#define NG_K8S_RV_MAX 64     /**< resourceVersion: opaque, but short in practice */

/* ---- Service ---- */

enum ng_k8s_svc_type {
	NG_K8S_CLUSTER_IP = 0,
	NG_K8S_NODE_PORT,
	NG_K8S_LOAD_BALANCER,
	NG_K8S_EXTERNAL_NAME,
};

struct ng_k8s_svc_port {
	char name[NG_K8S_PORTNAME_MAX]; /**< "" when unset */
	uint8_t proto;                  /**< IPPROTO_TCP, IPPROTO_UDP, or IPPROTO_SCTP */
	uint16_t port;
	uint16_t node_port;             /**< 0 when unset */
};

/** spec.trafficDistribution */
enum ng_k8s_traffic_dist {
	NG_K8S_TD_NONE = 0,         /**< unset, or a value nodegw does not know */
	NG_K8S_TD_PREFER_CLOSE,
	NG_K8S_TD_PREFER_SAME_ZONE,
	NG_K8S_TD_PREFER_SAME_NODE,
};

/*
 * Service, EndpointSlice and Node start with the same three members (ns,
 * name, rv), so the store can read any object's metadata; k8s_store.c
 * checks the offsets at build time. They point into one allocation of the
 * object's own that starts at ns (exact size: the store keeps 100,000
 * objects, and arrays of the longest names took 380-640 bytes of each),
 * which the object's free function releases; NULL in a zeroed object.
 * The limits above still hold for them (the decoders refuse longer ones).
 */
/**
 * The annotation that chooses a Service's forwarding mode: "fullnat" (the
 * default; "dnat" for externalTrafficPolicy Local) or "dsr" (direct server
 * return, doc/kubernetes.md).
 */
#define NG_K8S_ANN_MODE "nodegw.io/mode"

struct ng_k8s_service {
	const char *ns;
	const char *name;
	const char *rv;
	enum ng_k8s_svc_type type;
	/**
	 * Why kube-proxy ignores this service, or NULL: "headless",
	 * "type ExternalName", "label service.kubernetes.io/service-proxy-name",
	 * "label service.kubernetes.io/headless". A static string.
	 */
	const char *skip;
	unsigned int n_cluster_ips;     /**< spec.clusterIPs (or clusterIP), "None" excluded */
	struct ng_ip cluster_ips[2];
	unsigned int n_external_ips;    /**< spec.externalIPs */
	struct ng_ip *external_ips;
	unsigned int n_lb_ips;          /**< status.loadBalancer.ingress[].ip (not ipMode Proxy) */
	struct ng_ip *lb_ips;
	unsigned int n_ports;
	struct ng_k8s_svc_port *ports;
	bool affinity;                  /**< sessionAffinity ClientIP */
	uint32_t affinity_timeout;      /**< seconds; 10800 when unset */
	bool dsr;                       /**< annotation nodegw.io/mode: "dsr" (NG_K8S_ANN_MODE) */
	bool etp_local;                 /**< externalTrafficPolicy Local */
	bool itp_local;                 /**< internalTrafficPolicy Local */
	uint16_t hc_node_port;          /**< spec.healthCheckNodePort; 0 when unset */
	enum ng_k8s_traffic_dist traffic_dist;
	unsigned int n_src_ranges;      /**< spec.loadBalancerSourceRanges (masked) */
	struct ng_prefix *src_ranges;
};

/**
 * Decode a Service object (from a list item or a watch event). out is
 * overwritten, not freed first; on error it is left zeroed.
 * @return 0, -EINVAL (err says why) or -ENOMEM.
 */
int ng_k8s_service_decode(const cJSON *obj, struct ng_k8s_service *out, char *err,
		size_t errlen);
void ng_k8s_service_free(struct ng_k8s_service *s);

/* ---- EndpointSlice ---- */

struct ng_k8s_ep_port {
	char name[NG_K8S_PORTNAME_MAX]; /**< "" when unset */
	uint8_t proto;
	uint16_t port;                  /**< 0: unset (the slice then serves no port) */
};

/** An endpoint's topology hints (interned names: ng_k8s_name_get()). */
struct ng_k8s_hints {
	unsigned int n_zones;  /**< hints.forZones[].name */
	unsigned int n_nodes;  /**< hints.forNodes[].name */
	const char *names[];   /**< n_zones zone names, then n_nodes node names */
};

/* 40 bytes, ten a slice at the bench's scale: the hints, rare, are apart. */
struct ng_k8s_endpoint {
	struct ng_ip addr;   /**< addresses[0] (kube-proxy uses only the first) */
	bool ready;          /**< nil means true */
	bool serving;        /**< nil means true */
	bool terminating;    /**< nil means false */
	const char *node;    /**< nodeName, or NULL (interned: ng_k8s_name_get()) */
	struct ng_k8s_hints *hints; /**< NULL when it has none */
};

struct ng_k8s_slice {
	const char *ns;
	const char *name;
	const char *rv;
	const char *service;  /**< label kubernetes.io/service-name; "" when absent (with ns's) */
	int family;                    /**< AF_INET, AF_INET6, or 0 (FQDN: ignored) */
	unsigned int n_ports;
	struct ng_k8s_ep_port *ports;
	unsigned int n_endpoints;
	struct ng_k8s_endpoint *endpoints;
};

/**
 * The shared copy of name s, one more reference to it: endpoints' node and
 * zone names are few and repeated (control core only). NULL: no memory.
 */
const char *ng_k8s_name_get(const char *s);
/** Drop a reference from ng_k8s_name_get(); the last one frees it. NULL: nothing. */
void ng_k8s_name_put(const char *s);
/** Distinct names held. */
uint32_t ng_k8s_names(void);

/**
 * Decode an EndpointSlice. Endpoints whose address does not parse (or is not
 * of the addressType) are an error. out as for ng_k8s_service_decode().
 */
int ng_k8s_slice_decode(const cJSON *obj, struct ng_k8s_slice *out, char *err,
		size_t errlen);
void ng_k8s_slice_free(struct ng_k8s_slice *s);

/* ---- Node ---- */

#define NG_K8S_ZONE_MAX 64 /**< a label value: 63 characters */

/** What nodegw needs of this node's core/v1 Node object. */
struct ng_k8s_node_obj {
	const char *ns;             /**< always "": Nodes have no namespace */
	const char *name;
	const char *rv;
	char zone[NG_K8S_ZONE_MAX]; /**< label topology.kubernetes.io/zone; "" */
	bool to_be_deleted;         /**< taint ToBeDeletedByClusterAutoscaler */
	bool deleting;              /**< metadata.deletionTimestamp is set */
};

/** Decode a Node. out as for ng_k8s_service_decode(). */
int ng_k8s_node_decode(const cJSON *obj, struct ng_k8s_node_obj *out, char *err,
		size_t errlen);
/** Release what ng_k8s_node_decode() allocated (its metadata) and zero n. NULL: nothing. */
void ng_k8s_node_free(struct ng_k8s_node_obj *n);

/**
 * Just the metadata.namespace, metadata.name and metadata.resourceVersion of
 * any object (DELETED events, bookmarks). Missing fields give "".
 */
int ng_k8s_meta_decode(const cJSON *obj, char ns[NG_K8S_NS_MAX], char name[NG_K8S_NAME_MAX],
		char rv[NG_K8S_RV_MAX], char *err, size_t errlen);

/* ---- lists and watch events ---- */

/**
 * cJSON_ParseWithLength() for a tree that is deleted (cJSON_Delete()) soon
 * after, as list items and watch events are: its nodes and strings come
 * from a buffer of this thread, reused by the next parse once none of its
 * nodes is alive (more than one tree may be alive: a parse then takes what
 * is left of the buffer, and malloc() what does not fit). The first call
 * installs cJSON's allocation hooks for the process; cJSON's other users
 * get malloc() and free() through them. NULL when text is not JSON.
 */
cJSON *ng_k8s_parse(const char *text, size_t len);

/** What ng_k8s_parse() did on this thread. */
struct ng_k8s_parse_stats {
	uint64_t parses;
	uint64_t in_arena;  /**< cJSON allocations served from the buffer */
	uint64_t spilled;   /**< allocations during a parse that went to malloc() */
	uint64_t live;      /**< buffer allocations not freed yet */
};

void ng_k8s_parse_stats(struct ng_k8s_parse_stats *st);

/**
 * A List response: metadata.resourceVersion, metadata.continue ("" when
 * absent) and the items array (never NULL on success; may be empty).
 * Pointers point into root.
 */
int ng_k8s_list_decode(const cJSON *root, const char **rv, const char **cont,
		const cJSON **items, char *err, size_t errlen);

enum ng_k8s_ev_type {
	NG_K8S_EV_ADDED = 0,
	NG_K8S_EV_MODIFIED,
	NG_K8S_EV_DELETED,
	NG_K8S_EV_BOOKMARK,
	NG_K8S_EV_ERROR,
};

struct ng_k8s_event {
	enum ng_k8s_ev_type type;
	const cJSON *object;  /**< points into root */
	char rv[NG_K8S_RV_MAX]; /**< object's metadata.resourceVersion ("" for ERROR) */
	int code;             /**< ERROR: the Status' code (410 means relist), else 0 */
	char reason[32];      /**< ERROR: the Status' reason ("Expired", "Gone") */
	char message[256];    /**< ERROR: the Status' message, truncated */
};

/** Decode one watch event {"type": ..., "object": {...}}. */
int ng_k8s_event_decode(const cJSON *root, struct ng_k8s_event *ev, char *err,
		size_t errlen);

/* ---- the watch stream ---- */

/**
 * Splits a byte stream into top-level JSON objects on object boundaries (not
 * on newlines): braces are counted outside strings, with escapes honoured.
 * Bytes between objects (whitespace, newlines) are skipped.
 */
struct ng_k8s_splitter {
	char *buf;
	size_t len, cap;
	size_t scan;      /**< bytes of buf already scanned */
	size_t start;     /**< where the current object starts */
	int depth;
	bool in_str, esc;
	size_t max;       /**< largest object accepted; 0: 64 MiB */
};

/**
 * Feed n bytes; calls cb once per complete object (the text is not
 * NUL-terminated). A non-zero return of cb stops feeding and is returned.
 * @return 0, cb's non-zero value, -EMSGSIZE (object over max), -EBADMSG (a
 *   byte other than whitespace between objects, or a '}' with no '{'),
 *   -ENOMEM.
 * After -EMSGSIZE or -EBADMSG the buffered input is dropped (as by
 * ng_k8s_split_reset()). After cb's value the bytes not yet scanned stay
 * buffered: the next feed (n may be 0) goes on with them.
 */
int ng_k8s_split_feed(struct ng_k8s_splitter *s, const char *data, size_t n,
		int (*cb)(const char *obj, size_t len, void *arg), void *arg);
void ng_k8s_split_reset(struct ng_k8s_splitter *s); /**< drop partial input */
void ng_k8s_split_free(struct ng_k8s_splitter *s);

/**
 * Where the top-level "items" array of a list body b (n bytes) is: b[*open]
 * is its '[' and b[*close] its ']'. Only strings and brackets are followed;
 * the rest (the items themselves, metadata) is for cJSON to judge.
 * @return 0, -ENOENT (no "items" array: a Status, say) or -EBADMSG (not a
 *   JSON object this scan can follow, or "items" twice).
 */
int ng_k8s_list_items_span(const char *b, size_t n, size_t *open, size_t *close);

/**
 * The next element of an array's contents b[*pos, end) (start *pos one past
 * the '['): its text in b[*start, *start + *len); *pos moves past it.
 * @return 1, 0 at the end, or -EBADMSG (an element that does not end, or no
 *   comma between two).
 */
int ng_k8s_list_next_item(const char *b, size_t end, size_t *pos, size_t *start, size_t *len);

/**
 * The end (one past) of the JSON value that starts at b[i], as the list scan
 * above sees it: a string, object or array up to its end (strings, escapes
 * and brackets followed, brackets not matched by kind), anything else up to
 * the next whitespace, ',', ']' or '}'. What the list scan runs (16-byte
 * vector compares where the CPU has SSE2).
 * @return the end, or 0 when the value does not end before end (or i >= end).
 */
size_t ng_k8s_scan_value(const char *b, size_t i, size_t end);
/** The same, a byte at a time: the reference the tests hold it to. */
size_t ng_k8s_scan_value_scalar(const char *b, size_t i, size_t end);

/* ---- translation (kube-proxy semantics) ---- */

struct ng_k8s_node {
	const char *name;     /**< this node's name: endpoints with this nodeName are local */
	const char *zone;     /**< its topology.kubernetes.io/zone label; NULL or "": none */
	bool ipv4, ipv6;      /**< the address families nodegw serves */
};

/** One nodegw service to be. Backends have weight 1. */
struct ng_k8s_want {
	struct ng_svc_spec spec;  /**< origin NG_SVC_ORIGIN_K8S; src_ranges owned here */
	bool external;            /**< for external traffic (externalTrafficPolicy) */
	unsigned int n_fe;
	struct ng_frontend *fe;
	unsigned int n_be;
	struct ng_backend *be;
};

/** How cluster-wide endpoints were narrowed by topology (kube-proxy's topology.go). */
enum ng_k8s_topo {
	NG_K8S_TOPO_NONE = 0,  /**< every endpoint */
	NG_K8S_TOPO_ZONE,      /**< those hinted for this node's zone */
	NG_K8S_TOPO_NODE,      /**< those hinted for this node */
};

struct ng_k8s_xlate {
	unsigned int n;
	struct ng_k8s_want *want; /**< n of them, in an array of n but when memory is short */
	unsigned int sctp_ports;  /**< SCTP ports ignored (the caller logs once) */
	uint16_t hc_node_port;    /**< healthCheckNodePort to serve; 0: none */
	uint32_t hc_local_endpoints; /**< ready endpoints (addresses) on this node */
	enum ng_k8s_topo topo;    /**< of the last port translated (they agree in practice) */
};

/**
 * What one Service and its EndpointSlices (those whose service label and
 * namespace match; the caller selects them) become in nodegw.
 *
 * For each TCP or UDP port of a service that is not skipped:
 *  - "ns/name:P" with the clusterIPs of the served families, port P's port,
 *    where P is the port's name, or its number when unnamed. Endpoints per
 *    internalTrafficPolicy.
 *  - "ns/name:P/ext" when the service has externalIPs, load-balancer ingress
 *    IPs or a nodePort: those addresses at the port, and the nodePort (a
 *    family-0 frontend). Endpoints per externalTrafficPolicy.
 * Endpoint ports map by (port name, protocol); slices merge; one IP:port in
 * two slices keeps the non-terminating copy. Ready endpoints serve; with none
 * ready, serving-and-terminating ones do. A Local policy considers only
 * endpoints on node->name (same fallback), uses DNAT (client address kept)
 * and sets empty_drop when endpoints exist only elsewhere; Cluster policy
 * uses FullNAT. No endpoints at all: no backends (the data path refuses).
 * sessionAffinity ClientIP sets affinity and its timeout.
 *
 * Topology (kube-proxy's topology.go), for Cluster policies only: when every
 * ready endpoint of the port carries hints.forNodes, the service asks for
 * trafficDistribution PreferSameNode and one is hinted for this node, only
 * those are used; else when every ready endpoint carries hints.forZones and
 * one is hinted for node->zone, only those; else all (all-or-nothing).
 *
 * loadBalancerSourceRanges (of the served family) move the load-balancer
 * IPs into "ns/name:P/lb" (same endpoints and policy as /ext) whose spec
 * carries the ranges; externalIPs and the NodePort are not restricted. LB
 * ingress entries with ipMode Proxy are not served (the decoder drops them).
 *
 * A LoadBalancer service with externalTrafficPolicy Local and a
 * healthCheckNodePort sets hc_node_port, and hc_local_endpoints to its
 * distinct ready endpoint addresses on this node.
 * Per family: the families of the clusterIPs that node serves, IPv4 first.
 * The IPv6 half is the same set of wants named with "/v6" at the end
 * ("ns/name:P/v6", "ns/name:P/ext/v6", "ns/name:P/lb/v6"), each with the
 * addresses, EndpointSlices and ranges of its family alone; the NodePort
 * goes to the IPv6 half only when there is no IPv4 half (a node port is
 * one nodegw service's).
 * A skipped service (see skip) yields n = 0.
 * Frontends are sorted by address (the NodePort frontend last), backends by
 * address and port. out is overwritten, not freed first; on error it is left
 * zeroed.
 * @return 0, -EINVAL (two ports with the same name; a name longer than
 *   NG_SVC_NAME_MAX - 1; an IPv6 half with IPv6 loadBalancerSourceRanges)
 *   or -ENOMEM; err says why.
 */
int ng_k8s_translate(const struct ng_k8s_service *svc, const struct ng_k8s_slice *const *slices,
		unsigned int n_slices, const struct ng_k8s_node *node, struct ng_k8s_xlate *out,
		char *err, size_t errlen);
void ng_k8s_xlate_free(struct ng_k8s_xlate *x);

#endif
