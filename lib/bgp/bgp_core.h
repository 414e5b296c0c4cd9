/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_BGP_CORE_H
#define NG_BGP_CORE_H

/**
 * @file
 * The parts of lib/bgp that need neither EAL nor the control loop, unit-tested
 * alone (tests/unit/test_bgp.c): which prefixes to announce and why, the file
 * of static routes BIRD includes, and the client of BIRD's control socket.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "conf.h"
#include "ng_addr.h"
#include "svc.h"

/* ---- the decision ---- */

/** Why a prefix is announced or not: id, JSON id, what `show bgp` says. */
#define NG_BGP_WHYS(X) \
	X(USABLE, "usable", "a service on it has a usable backend") \
	X(DRAINED, "drained", "drained (the drain command)") \
	X(STOPPING, "stopping", "nodegw is stopping: withdrawn first") \
	X(NO_BACKEND, "no_backend", "no backend") \
	X(WEIGHT_ZERO, "weight_zero", "every backend has weight 0") \
	X(LOCAL_ELSEWHERE, "local_elsewhere", \
		"externalTrafficPolicy Local: endpoints only on other nodes") \
	X(KIND_OFF, "kind_off", "not announceable: its kind is not in bgp.announce")

enum ng_bgp_why {
#define NG_X(id, js, text) NG_BGP_WHY_##id,
	NG_BGP_WHYS(NG_X)
#undef NG_X
	NG_BGP_WHY_MAX
};

/** "usable", "drained", ... */
const char *ng_bgp_why_id(enum ng_bgp_why w);
/** The sentence of a reason. */
const char *ng_bgp_why_text(enum ng_bgp_why w);

/** Why everything is withdrawn, whatever the services say. */
enum ng_bgp_drain {
	NG_BGP_DRAIN_NONE = 0,
	NG_BGP_DRAIN_CLI,   /**< the drain command */
	NG_BGP_DRAIN_STOP,  /**< a clean stop */
};

/** What is announceable (from struct ng_conf_bgp). */
struct ng_bgp_policy {
	uint32_t announce; /**< enum ng_bgp_kind bits */
	const struct ng_prefix *cidrs; /**< aggregates: service CIDRs */
	unsigned int n_cidrs;
};

/** One prefix: a VIP (/32, /128) or an aggregate. */
struct ng_bgp_vip {
	struct ng_prefix pfx;
	uint32_t kind;           /**< enum ng_bgp_kind bits; 0 for an aggregate */
	bool aggregate;
	bool announce;           /**< what nodegw wants BIRD to announce */
	enum ng_bgp_why why;
	/** VIP: services with a frontend on it, and the usable ones among them.
	 * Aggregate: VIPs inside it, and the usable ones. */
	uint32_t n_svcs, n_usable;
	/** The service the reason is about (the first usable one, else the one with
	 * the most telling reason); "" for an aggregate. Owned by the table. */
	const char *svc;
	uint32_t backends, usable_backends; /**< of that service */
};

struct ng_bgp_table {
	struct ng_bgp_vip *v;    /**< sorted: family, address, length */
	unsigned int n;
	char *names;             /**< where the svc strings live */
	unsigned int n_announce;
	unsigned int cluster_ips; /**< clusterIPs seen (announced only through aggregates) */
};

/**
 * The kinds Kubernetes gives an address (enum ng_bgp_kind bits), or 0 when
 * it does not know it.
 */
typedef uint32_t (*ng_bgp_kind_fn)(const struct ng_ip *ip, void *arg);

/**
 * Decide what to announce. A VIP is a frontend address of a service (NodePorts
 * are not VIPs); it is announced while its kind is in pol->announce, no drain
 * is on, and at least one service on it has a backend with a weight above 0
 * (for Kubernetes services with externalTrafficPolicy Local, the translation
 * keeps only this node's endpoints, so that means a local one). Config and CLI
 * services are of kind CONFIG; Kubernetes ones are what kind() says, else
 * CLUSTER for "ns/name:P", EXTERNAL for "ns/name:P/ext" and LB for
 * "ns/name:P/lb" (load-balancer IPs with source ranges). A clusterIP is
 * never announced alone; it is listed only if another kind shares it. An
 * aggregate of pol->cidrs is announced while a usable VIP of any kind lies in
 * it and no drain is on.
 *
 * @param views the services (ng_svc_walk())
 * @param out   filled; free with ng_bgp_table_free(); the previous content is
 *   not freed
 * @return 0, or -ENOMEM (out is then empty).
 */
int ng_bgp_decide(const struct ng_bgp_policy *pol, const struct ng_svc_view *views,
		unsigned int n_views, ng_bgp_kind_fn kind, void *kind_arg,
		enum ng_bgp_drain drain, struct ng_bgp_table *out);

void ng_bgp_table_free(struct ng_bgp_table *t);

/** The VIP of t with prefix p, or NULL (binary search). */
const struct ng_bgp_vip *ng_bgp_table_find(const struct ng_bgp_table *t,
		const struct ng_prefix *p);

/** Do a and b announce the same prefixes? */
bool ng_bgp_table_same_routes(const struct ng_bgp_table *a, const struct ng_bgp_table *b);

/** Prefix order: family, then address bytes, then length. */
int ng_bgp_prefix_cmp(const struct ng_prefix *a, const struct ng_prefix *b);

/* ---- a map of addresses to kinds ---- */

struct ng_bgp_ipmap_ent {
	struct ng_ip ip;
	uint32_t val;
	uint32_t used;
};

/** Open addressing, grows itself. */
struct ng_bgp_ipmap {
	struct ng_bgp_ipmap_ent *e;
	uint32_t mask; /**< capacity - 1; capacity 0 when e is NULL */
	uint32_t n;
};

/** val of ip, or 0. */
uint32_t ng_bgp_ipmap_get(const struct ng_bgp_ipmap *m, const struct ng_ip *ip);
/** Make room for n addresses without growing. @return 0 or -ENOMEM. */
int ng_bgp_ipmap_reserve(struct ng_bgp_ipmap *m, uint32_t n);
/** OR bits into ip's value. @return 0 or -ENOMEM. */
int ng_bgp_ipmap_or(struct ng_bgp_ipmap *m, const struct ng_ip *ip, uint32_t bits);
void ng_bgp_ipmap_clear(struct ng_bgp_ipmap *m);

/* ---- the file BIRD includes ---- */

/**
 * Print the routes file: "protocol static PROTO4 { ipv4; route P via "IFACE"; ... }"
 * and the same with PROTO6 for IPv6, for every prefix of t to announce.
 * @return the number of routes, or -EIO.
 */
int ng_bgp_routes_print(FILE *f, const char *proto, const char *iface,
		const struct ng_bgp_table *t);

/**
 * Write the routes file at path atomically (path.tmp, then rename()).
 * @return the number of routes, or a negative errno with err naming the file.
 */
int ng_bgp_routes_write(const char *path, const char *proto, const char *iface,
		const struct ng_bgp_table *t, char *err, size_t errlen);

/* ---- the anchor: the routes' next hop, which dies with the process ---- */

/**
 * Create TUN interface ifname (not persistent) and set it up.
 * @return its descriptor (the interface lives while it is open), or a negative
 *   errno with err saying why (-EEXIST: the name is taken).
 */
int ng_bgp_anchor_open(const char *ifname, char *err, size_t errlen);

/** Is ifname free? @return 0, or -EEXIST with err saying so. */
int ng_bgp_anchor_free(const char *ifname, char *err, size_t errlen);

/** Close it: the kernel deletes the interface. */
void ng_bgp_anchor_close(int fd);

/* ---- BIRD's control socket ---- */

/**
 * One reply line of BIRD's CLI protocol: "DDDD-text" (more follow), "DDDD text"
 * (the last line), " text" (more of the previous code), "+text" (a message
 * BIRD sent unasked).
 * @return 1 and *code (-1 for " " and "+" lines), *last, *text filled; 0 for
 *   a line that is none of these.
 */
int ng_bird_line(const char *line, int *code, bool *last, const char **text);

/** Does a reply's final code say the command worked (0xxx but 0006)? */
bool ng_bird_code_ok(int code);

enum ng_bird_state {
	NG_BIRD_DOWN = 0,   /**< not connected; the next try at retry_at */
	NG_BIRD_GREETING,   /**< connected, waiting for "0001 BIRD ... ready." */
	NG_BIRD_READY,      /**< idle */
	NG_BIRD_BUSY,       /**< a command is out, its reply not complete */
};

/** What ng_bird_poll() saw. */
enum ng_bird_event {
	NG_BIRD_EV_NONE = 0,
	NG_BIRD_EV_UP,      /**< connected and greeted: ready for a command */
	NG_BIRD_EV_REPLY,   /**< the command's reply is complete: code, reply */
	NG_BIRD_EV_LOST,    /**< connection failed, closed or timed out; a command out is lost */
};

/**
 * A client of BIRD's control socket (a unix stream socket). Never blocks:
 * the socket is non-blocking, every wait has a deadline, and a lost
 * connection is retried after retry_ms. Times are milliseconds of any
 * monotonic clock the caller passes in.
 */
struct ng_bird {
	char path[108];
	int fd;
	enum ng_bird_state state;
	uint32_t timeout_ms, retry_ms;
	uint64_t deadline;     /**< greeting or reply due by then */
	uint64_t retry_at;     /**< DOWN: connect again from then */
	uint64_t sent_at;      /**< when the command went out */
	uint64_t last_read;    /**< READY: last check for EOF */
	char in[4096];         /**< bytes of a line not complete yet */
	size_t in_len;
	int code;              /**< final code of the last reply */
	char reply[512];       /**< its text: the final line, or the error lines */
	bool reply_err;        /**< reply holds error lines */
	uint32_t rtt_ms;       /**< command to complete reply, last one */
	char error[256];       /**< why the connection was last lost */
	uint64_t connects, commands, replies_ok, replies_err, losses;
};

/** Set up (no I/O yet: the first ng_bird_poll() connects). */
void ng_bird_init(struct ng_bird *b, const char *path, uint32_t timeout_ms, uint32_t retry_ms);

/** Drive the connection; call often. @return what happened. */
enum ng_bird_event ng_bird_poll(struct ng_bird *b, uint64_t now);

/**
 * Send one command ("configure"); the reply comes as NG_BIRD_EV_REPLY.
 * @return 0, -EAGAIN when not READY, or -EIO: the connection was lost and is
 *   closed (b->error says why; the next poll reconnects after retry_ms).
 */
int ng_bird_send(struct ng_bird *b, const char *cmd, uint64_t now);

/** Close the socket (DOWN, retry at once on the next poll). */
void ng_bird_close(struct ng_bird *b);

const char *ng_bird_state_name(enum ng_bird_state s);

#endif
