/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_CONF_PRIV_H
#define NG_CONF_PRIV_H

/*
 * Private to the config loader: shared by conf.c (globals, ports, routes,
 * neighbours) and conf_svc.c (conntrack, nat, services).
 */
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <libconfig.h>
#include <rte_byteorder.h>
#include <rte_ether.h>

#include "ng_log.h"
#include "conf.h"

/* Defaults; doc/configuration.md and the comments in conf.h say the same. */
#define DEF_LOG_LEVEL RTE_LOG_INFO
#define DEF_FORWARDING true
#define DEF_BURST 32
#define DEF_IDLE_SLEEP_US 0
#define DEF_IDLE_POLLS 256
#define DEF_MBUFS 0
#define DEF_CACHE 256
#define DEF_REACHABLE_S 300
#define DEF_RETRY_MS 1000
#define DEF_RETRIES 3
#define DEF_PENDING_MAX 16
#define DEF_MAX_ENTRIES 4096
#define DEF_ICMP_RATE 100
#define DEF_REASS_DATAGRAMS 1024
#define DEF_REASS_FRAGS 64
#define DEF_REASS_HELD 4096
#define DEF_REASS_TIMEOUT_MS 30000
#define DEF_ICMP_FRAGMENT true
#define DEF_MTU 1500
#define DEF_RXQ 1
#define DEF_DESC 1024
#define DEF_CT_MAX_ENTRIES 65536
#define DEF_TO_TCP_SYN 30
#define DEF_TO_TCP_ESTABLISHED 900
#define DEF_TO_TCP_FIN 120
#define DEF_TO_TCP_TIME_WAIT 120
#define DEF_TO_TCP_CLOSE 10
#define DEF_TO_UDP 300
#define DEF_TO_UDP_UNREPLIED 30
#define DEF_NAT_PORT_MIN 32768
#define DEF_NAT_PORT_MAX 60999
#define DEF_WEIGHT 1

/* Limits (ranges) are in ng_limits.h, shared with the CLI and the control APIs. */

/*
 * Open-addressing hash set of 64-bit keys, used to find duplicate service
 * names, frontends and backends in O(1) each: a file may hold 65536
 * services.
 */
struct ht_ent {
	uint64_t key;
	uint32_t svc; /**< index of the service that owns the key */
	int line;     /**< line of the setting that added it */
	bool used;
};

struct ht {
	struct ht_ent *e;
	size_t cap; /**< power of two, or 0 */
	size_t n;
};

/* Loader state: where errors go. */
struct ld {
	const char *path;
	const char *text; /**< the file's contents, for setting_line() */
	size_t *line_off; /**< offset in text of each line's start, built on first use */
	unsigned int n_lines;
	char *err;
	size_t errlen;
	struct ng_conf *c;
	struct ht names;     /**< service name hash -> service */
	struct ht frontends; /**< (vip, port, proto) and (node_port, proto) -> service */
};

static const char *const root_keys[] = {"log_level", "forwarding", "workers", "mempool", "arp",
	"icmp", "reassembly", "conntrack", "nat", "cli", "ports", "routes", "neighbours", "services",
	"kubernetes", "probes", "node_port_addresses", "bgp", NULL};
static const char *const workers_keys[] = {"lcores", "burst", "idle_sleep_us", "idle_polls",
	NULL};
static const char *const mempool_keys[] = {"mbufs", "cache", NULL};
static const char *const arp_keys[] = {"reachable_s", "retry_ms", "retries", "pending_max",
	"max_entries", NULL};
static const char *const icmp_keys[] = {"rate_pps", "fragment", NULL};
static const char *const reass_keys[] = {"enabled", "max_datagrams", "max_fragments",
	"max_held", "timeout_ms", NULL};
static const char *const cli_keys[] = {"address", "port", "idle_timeout_s", NULL};
static const char *const port_keys[] = {"name", "devargs", "addresses", "mtu", "rx_queues",
	"rx_desc", "tx_desc", "kernel", "fullnat_addresses", NULL};
static const char *const route_keys[] = {"prefix", "via", "port", NULL};
static const char *const neigh_keys[] = {"address", "mac", "port", NULL};
static const char *const conntrack_keys[] = {"max_entries", "timeouts", NULL};
static const char *const timeout_keys[] = {"tcp_syn", "tcp_established", "tcp_fin",
	"tcp_time_wait", "tcp_close", "udp", "udp_unreplied", NULL};
static const char *const nat_keys[] = {"port_min", "port_max", NULL};
static const char *const service_keys[] = {"name", "protocol", "port", "vips", "node_port",
	"scheduler", "mode", "affinity", "affinity_timeout", "timeouts", "backends", "source_ranges",
	NULL};
static const char *const backend_keys[] = {"address", "port", "weight", NULL};

/* Helpers of conf.c that conf_svc.c uses too. */
int
check_keys(struct ld *x, const config_setting_t *g, const char *what, const char *const *keys);

int __attribute__((format(printf, 3, 4)))
fail(struct ld *x, const config_setting_t *s, const char *fmt, ...);

int
get_group(struct ld *x, const config_setting_t *root, const char *key,
	const config_setting_t **out);

int
get_list(struct ld *x, const config_setting_t *root, const char *key,
	const config_setting_t **out);

int
get_str(struct ld *x, const config_setting_t *g, const char *key, const char *what,
	const char **out, const config_setting_t **where);

int
get_strbuf(struct ld *x, const config_setting_t *g, const char *key, const char *what,
	char *dst, size_t len, const config_setting_t **where);

int
get_u32(struct ld *x, const config_setting_t *g, const char *key, const char *what,
	long long min, long long max, uint32_t *dst);

int
get_bool(struct ld *x, const config_setting_t *g, const char *key, const char *what, bool *dst);

int
missing(struct ld *x, const config_setting_t *g, const char *what, const char *key);

int
parse_ip(struct ld *x, const config_setting_t *s, const char *what, const char *key,
	const char *t, struct ng_ip *ip);

int
parse_v4(struct ld *x, const config_setting_t *s, const char *what, const char *key,
	const char *role, const char *t, struct ng_ip *ip);

const char *
sep(const char *what);

unsigned int
setting_line(struct ld *x, const config_setting_t *s);

const char *
type_name(const config_setting_t *s);

uint32_t
v4h(const struct ng_ip *ip);

bool
is_pow2(uint32_t v);

bool
name_ok(const char *s, size_t size);

/* conf_twin.c */
int load_port_kernel(struct ld *x, const config_setting_t *g, const char *what, unsigned int pi);

/* conf_port.c */
int load_ports(struct ld *x, const config_setting_t *root);

int
parse_prefix(const char *s, struct ng_prefix *p);

/* conf_probes.c */
void probes_defaults(struct ng_conf *c);
int load_probes(struct ld *x, const config_setting_t *root);
int load_prefix_list(struct ld *x, const config_setting_t *g, const char *key, const char *what,
	unsigned int max, bool primary_ok, struct ng_prefix *out, unsigned int *n_out,
	bool *primary);

char *
read_all(FILE *f);

/* conf_include.c: every @include names a regular file (libconfig exits on
 * a directory); 0, or -EINVAL/-ENOMEM with the error buffer filled. */
int conf_check_includes(struct ld *x, const char *text);

/*
 * conf_child.c: a config parsed in a child process and sent back over a pipe.
 * conf_helper.c: the small process, forked at start, that forks those
 * children. ng_conf_load_isolated() uses the helper when one runs, else
 * forks the child itself (conf_load_child).
 */
typedef struct ng_conf *(*conf_loader_fn)(const char *path, char *err, size_t errlen);

/* Monotonic milliseconds. */
uint64_t conf_now_ms(void);

/* In a child: run load(path) and send the result on fd. 1: a config was sent
 * (the process may answer again), 0: a refusal was sent (libconfig may have
 * leaked: the process should end), -1: the stream could not be written. */
int conf_child_answer(int fd, const char *path, conf_loader_fn load);

/* In the child: run load(path), send the result on fd, _exit(). */
void conf_child_run(int fd, const char *path, conf_loader_fn load)
	__attribute__((noreturn));

/* In the parent: the config the child sent on fd, or NULL with *rc: -EINVAL
 * with err filled (the child refused the file, its errno in *child_errno),
 * -ETIMEDOUT, -ENOMEM, -EPIPE (a short stream) or -EIO (a malformed one, or
 * counts over the loader's limits). */
struct ng_conf *
conf_child_get(int fd, uint64_t deadline, char *err, size_t errlen, int *child_errno, int *rc);

/* Reap pid by deadline, else SIGKILL it (*killed) and wait a second more.
 * Its wait status, or -1 (not reaped: kept to reap later; or ECHILD). */
int conf_child_reap(pid_t pid, uint64_t deadline, bool *killed);

/* The result from what conf_child_get() returned and the child's wait status
 * st (-1: unknown): the config, or NULL with err and errno set. */
struct ng_conf *
conf_child_finish(const char *path, struct ng_conf *c, int rc, int st, int child_errno,
	unsigned int timeout_ms, char *err, size_t errlen);

/* Run load(path) in a child forked from this process, within timeout_ms. */
struct ng_conf *
conf_load_child(const char *path, conf_loader_fn load, unsigned int timeout_ms, char *err,
	size_t errlen);

/* Start the helper with the loader its children run; see ng_conf_helper_start(). */
int conf_helper_start(conf_loader_fn load);

/* Load path through the helper; *no_helper when none runs (then nothing was
 * done, and the caller forks itself). */
struct ng_conf *
conf_load_helper(const char *path, unsigned int timeout_ms, char *err, size_t errlen,
	bool *no_helper);

/* conf_svc.c */
void ht_free(struct ht *h);
int load_conntrack_nat(struct ld *x, const config_setting_t *root);
int load_services(struct ld *x, const config_setting_t *root);
int load_k8s(struct ld *x, const config_setting_t *root);

/* conf_bgp.c */
int load_bgp(struct ld *x, const config_setting_t *root);
void bgp_defaults(struct ng_conf_bgp *b);

#endif
