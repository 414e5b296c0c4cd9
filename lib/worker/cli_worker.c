/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CLI commands of ports, workers, counters, runtime and connections.
 * Read-only views of worker state: counters are summed from the per-worker
 * blocks, connections are copied out of the owners' tables without stopping
 * them (an entry changing under the copy is copied again).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_version.h>

#include "cli.h"
#include "ng_build.h"
#include "ng_cli_util.h"
#include "port.h"
#include "svc.h"
#include "svc_dp.h"
#include "twin.h"
#include "worker.h"

static struct ng_dp *dp;
/* "clear stats" / "clear runtime" keep a baseline instead of writing worker memory. */
static struct ng_worker_stats base_stats[NG_MAX_WORKERS];
static struct ng_worker_stats base_runtime[NG_MAX_WORKERS];

/* Worker w's counters since the baseline (the same read /metrics uses). */
static void
worker_view(unsigned int w, struct ng_worker_stats *out, const struct ng_worker_stats *base)
{
	const uint64_t *b = (const uint64_t *)base;
	uint64_t *o = (uint64_t *)out;

	ng_dp_worker_stats(dp, w, out);
	for (size_t i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		o[i] -= b[i];
}

static void
stats_sum(struct ng_worker_stats *out)
{
	struct ng_worker_stats one;

	memset(out, 0, sizeof(*out));
	for (unsigned int w = 0; w < dp->n_workers; w++) {
		worker_view(w, &one, &base_stats[w]);
		ng_worker_stats_add(out, &one);
	}
}

static uint64_t
port_drops(const struct ng_port_stats *ps)
{
	uint64_t d = 0;

	for (int r = 1; r < NG_DROP_MAX; r++)
		d += ps->drop[r];
	return d;
}

/* Frames the exception path dropped: in the workers (rate, ring) and on the control core. */
static uint64_t
twin_drops(const struct ng_twin_info *t, const struct ng_port_stats *ps)
{
	uint64_t d = ps->drop[NG_DROP_PUNT_RATELIMIT] + ps->drop[NG_DROP_PUNT_FULL];

	for (int r = 1; r < NG_TWIN_DROP_MAX; r++)
		d += t->drops[r];
	return d;
}

/* Port idx's kernel twin, under its port in show ports; nothing when it has none. */
static void
twin_show(struct ng_cli_sess *s, unsigned int idx, const struct ng_port_stats *ps)
{
	struct ng_twin_info t;

	if (ng_twin_info(idx, &t) < 0)
		return;
	ng_cli_printf(s, "    kernel twin %s: %s %s, dpdk port %u, ifindex %d, carrier %s, "
			"%s addresses, %u/s per worker (burst %u)\n", t.ifname,
			ng_twin_backend_name(t.backend), t.devname, t.port_id, t.ifindex,
			t.carrier ? "on" : "off", t.addresses ? "port" : "own", t.rate_pps, t.burst);
	ng_cli_printf(s, "      punted %" PRIu64 "  to kernel %" PRIu64 "  from kernel %" PRIu64
			"  drops %" PRIu64 "\n", ps->punted, t.to_kernel, t.from_kernel,
			twin_drops(&t, ps));
	if (ps->drop[NG_DROP_PUNT_RATELIMIT] != 0)
		ng_cli_printf(s, "        drop %-60s %12" PRIu64 "\n",
				ng_drop_name(NG_DROP_PUNT_RATELIMIT), ps->drop[NG_DROP_PUNT_RATELIMIT]);
	if (ps->drop[NG_DROP_PUNT_FULL] != 0)
		ng_cli_printf(s, "        drop %-60s %12" PRIu64 "\n",
				ng_drop_name(NG_DROP_PUNT_FULL), ps->drop[NG_DROP_PUNT_FULL]);
	for (int r = 1; r < NG_TWIN_DROP_MAX; r++)
		if (t.drops[r] != 0)
			ng_cli_printf(s, "        drop %-60s %12" PRIu64 "\n",
					ng_twin_drop_name((enum ng_twin_drop)r), t.drops[r]);
}

/* Port idx's kernel twin as json, or NULL when it has none. */
static cJSON *
twin_json(unsigned int idx, const struct ng_port_stats *ps)
{
	struct ng_twin_info t;
	cJSON *o, *d;

	if (ng_twin_info(idx, &t) < 0)
		return NULL;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", t.ifname);
	cJSON_AddStringToObject(o, "backend", ng_twin_backend_name(t.backend));
	cJSON_AddStringToObject(o, "device", t.devname);
	cJSON_AddNumberToObject(o, "port_id", t.port_id);
	cJSON_AddNumberToObject(o, "ifindex", t.ifindex);
	cJSON_AddBoolToObject(o, "carrier", t.carrier);
	cJSON_AddBoolToObject(o, "addresses", t.addresses);
	cJSON_AddNumberToObject(o, "rate_pps", t.rate_pps);
	cJSON_AddNumberToObject(o, "burst", t.burst);
	cJSON_AddNumberToObject(o, "punted", (double)ps->punted);
	cJSON_AddNumberToObject(o, "to_kernel", (double)t.to_kernel);
	cJSON_AddNumberToObject(o, "to_kernel_bytes", (double)t.to_kernel_bytes);
	cJSON_AddNumberToObject(o, "from_kernel", (double)t.from_kernel);
	cJSON_AddNumberToObject(o, "from_kernel_bytes", (double)t.from_kernel_bytes);
	cJSON_AddNumberToObject(o, "to_port", (double)t.to_port);
	cJSON_AddNumberToObject(o, "drops", (double)twin_drops(&t, ps));
	d = cJSON_AddObjectToObject(o, "drops_by_cause");
	cJSON_AddNumberToObject(d, ng_drop_id(NG_DROP_PUNT_RATELIMIT),
			(double)ps->drop[NG_DROP_PUNT_RATELIMIT]);
	cJSON_AddNumberToObject(d, ng_drop_id(NG_DROP_PUNT_FULL),
			(double)ps->drop[NG_DROP_PUNT_FULL]);
	for (int r = 1; r < NG_TWIN_DROP_MAX; r++)
		cJSON_AddNumberToObject(d, ng_twin_drop_id((enum ng_twin_drop)r),
				(double)t.drops[r]);
	return o;
}

static int
cmd_version(struct ng_cli_sess *s, int argc, char **argv)
{
	bool json = ng_cli_json(&argc, argv);

	if (ng_cli_no_args(s, "show version", argc, argv) < 0)
		return -1;
	if (json) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "version", NG_VERSION);
		cJSON_AddStringToObject(o, "git", ng_build_rev);
		cJSON_AddStringToObject(o, "dpdk", rte_version());
		cJSON_AddNumberToObject(o, "tsc_hz", (double)rte_get_tsc_hz());
		return ng_cli_print_json(s, o);
	}
	ng_cli_printf(s, "nodegw %s (git %s)\n%s\nTSC %.3f GHz\n", NG_VERSION, ng_build_rev,
			rte_version(), rte_get_tsc_hz() / 1e9);
	return 0;
}

/* A backend's Linux TIME_WAIT (TCP_TIMEWAIT_LEN, fixed), seconds. */
#define BACKEND_TIME_WAIT_S 60

/*
 * What one backend reached through port p can take in FullNAT mode: its
 * source (address, port) pairs, each free again only once both the backend's
 * TIME_WAIT and the gateway's own (conntrack tcp_time_wait) are over.
 */
struct fullnat_cap {
	unsigned int addrs;   /**< source addresses: the pool, or the route's one */
	uint32_t ports;       /**< nat.port_min..port_max */
	uint32_t time_wait_s; /**< the longer TIME_WAIT */
	uint64_t pairs;
	uint64_t per_s;       /**< new connections per second per backend */
};

/* Toward a backend of family f: the pool's entries of that family, or the route's one. */
static struct fullnat_cap
fullnat_cap(const struct ng_port *p, uint8_t f)
{
	const struct ng_ruleset *rs = dp->rs;
	struct fullnat_cap c = {0};
	uint64_t tw = dp->ct_to_tsc[NG_CT_TIME_WAIT] / rte_get_tsc_hz();

	for (unsigned int i = 0; i < p->n_fullnat; i++)
		c.addrs += p->fullnat[i].family == f;
	c.addrs = RTE_MAX(c.addrs, 1u);

	c.ports = rs != NULL ? (uint32_t)rs->lport_max - rs->lport_min + 1 : 0;
	c.time_wait_s = (uint32_t)RTE_MAX(tw, (uint64_t)BACKEND_TIME_WAIT_S);
	c.pairs = (uint64_t)c.addrs * c.ports;
	c.per_s = c.pairs / c.time_wait_s;
	return c;
}

/* Does port p have an address of family f? */
static bool
port_has_family(const struct ng_port *p, uint8_t f)
{
	for (unsigned int i = 0; i < p->n_addrs; i++)
		if (p->addrs[i].addr.family == f)
			return true;
	return false;
}

/* The IPv4 figures at the top level (as before IPv6 pools), IPv6's under "ipv6". */
static cJSON *
fullnat_json(const struct ng_port *p)
{
	struct fullnat_cap c = fullnat_cap(p, AF_INET), c6 = fullnat_cap(p, AF_INET6);
	cJSON *o = cJSON_CreateObject(), *a = cJSON_CreateArray();
	char b[NG_IP_STRLEN];

	for (unsigned int i = 0; i < p->n_fullnat; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(ng_ip_fmt(&p->fullnat[i], b,
				sizeof(b))));
	cJSON_AddItemToObject(o, "addresses", a);
	cJSON_AddNumberToObject(o, "source_addresses", c.addrs);
	cJSON_AddNumberToObject(o, "source_ports", c.ports);
	cJSON_AddNumberToObject(o, "time_wait_s", c.time_wait_s);
	cJSON_AddNumberToObject(o, "conns_per_s_per_backend", (double)c.per_s);
	if (port_has_family(p, AF_INET6)) {
		cJSON *v6 = cJSON_AddObjectToObject(o, "ipv6");

		cJSON_AddNumberToObject(v6, "source_addresses", c6.addrs);
		cJSON_AddNumberToObject(v6, "conns_per_s_per_backend", (double)c6.per_s);
	}
	return o;
}

static void
fullnat_show(struct ng_cli_sess *s, const struct ng_port *p)
{
	char b[NG_IP_STRLEN];

	ng_cli_printf(s, "    fullnat sources");
	for (unsigned int i = 0; i < p->n_fullnat; i++)
		ng_cli_printf(s, " %s", ng_ip_fmt(&p->fullnat[i], b, sizeof(b)));
	if (p->n_fullnat == 0)
		ng_cli_printf(s, " (the route's address)");
	for (int f = 0; f < 2; f++) {
		uint8_t fam = f == 0 ? AF_INET : AF_INET6;
		struct fullnat_cap c = fullnat_cap(p, fam);

		if (fam == AF_INET6 && !port_has_family(p, AF_INET6))
			continue;
		ng_cli_printf(s, "%s%s%u x %u ports, %" PRIu64 " new connections/s per backend",
				f == 0 ? ": " : "; ", fam == AF_INET6 ? "IPv6 " : "", c.addrs,
				c.ports, c.per_s);
	}
	ng_cli_printf(s, " (TIME_WAIT %u s)\n", fullnat_cap(p, AF_INET).time_wait_s);
}

static int
cmd_ports(struct ng_cli_sess *s, int argc, char **argv)
{
	bool json = ng_cli_json(&argc, argv);
	struct ng_worker_stats st;
	cJSON *arr = json ? cJSON_CreateArray() : NULL;

	if (ng_cli_no_args(s, "show ports", argc, argv) < 0) {
		cJSON_Delete(arr);
		return -1;
	}
	stats_sum(&st);
	if (!json)
		ng_cli_printf(s, "%-10s %-4s %-16s %-17s %5s %4s %4s %-5s %12s %12s %10s %10s\n",
				"port", "id", "driver", "mac", "mtu", "rxq", "txq", "link", "rx", "tx",
				"drops", "nic-miss");
	for (unsigned int i = 0; i < ng_port_count(); i++) {
		const struct ng_port *p = ng_port_get(i);
		const struct ng_port_stats *ps = &st.port[i];
		struct rte_eth_link link = {0};
		struct rte_eth_stats es = {0};
		char mac[RTE_ETHER_ADDR_FMT_SIZE];

		rte_eth_link_get_nowait(p->port_id, &link);
		rte_eth_stats_get(p->port_id, &es);
		rte_ether_format_addr(mac, sizeof(mac), &p->mac);
		if (json) {
			cJSON *o = cJSON_CreateObject(), *addrs = cJSON_CreateArray();

			cJSON_AddStringToObject(o, "name", p->name);
			cJSON_AddNumberToObject(o, "port_id", p->port_id);
			cJSON_AddStringToObject(o, "devargs", p->devargs);
			cJSON_AddStringToObject(o, "driver", p->driver);
			cJSON_AddStringToObject(o, "mac", mac);
			cJSON_AddNumberToObject(o, "mtu", p->mtu);
			cJSON_AddNumberToObject(o, "rx_queues", p->nb_rxq);
			cJSON_AddNumberToObject(o, "tx_queues", p->nb_txq);
			cJSON_AddBoolToObject(o, "rss", p->rss);
			cJSON_AddBoolToObject(o, "link_up", link.link_status);
			cJSON_AddNumberToObject(o, "link_speed_mbps", link.link_speed);
			cJSON_AddNumberToObject(o, "link_changes", (double)p->link_changes);
			for (unsigned int a = 0; a < p->n_addrs; a++) {
				char b[NG_IP_STRLEN + 4];

				cJSON_AddItemToArray(addrs, cJSON_CreateString(
						ng_prefix_fmt(&p->addrs[a], b, sizeof(b))));
			}
			cJSON_AddItemToObject(o, "addresses", addrs);
			cJSON_AddItemToObject(o, "fullnat", fullnat_json(p));
			cJSON_AddNumberToObject(o, "rx", (double)ps->rx);
			cJSON_AddNumberToObject(o, "tx", (double)ps->tx);
			cJSON_AddNumberToObject(o, "rx_bytes", (double)ps->rx_bytes);
			cJSON_AddNumberToObject(o, "tx_bytes", (double)ps->tx_bytes);
			cJSON_AddNumberToObject(o, "drops", (double)port_drops(ps));
			cJSON_AddNumberToObject(o, "nic_imissed", (double)es.imissed);
			cJSON_AddNumberToObject(o, "nic_ierrors", (double)es.ierrors);
			cJSON_AddNumberToObject(o, "nic_rx_nombuf", (double)es.rx_nombuf);
			cJSON_AddItemToObject(o, "kernel", twin_json(i, ps) ?: cJSON_CreateNull());
			cJSON_AddItemToArray(arr, o);
			continue;
		}
		ng_cli_printf(s, "%-10s %-4u %-16s %-17s %5u %4u %4u %-5s %12" PRIu64 " %12" PRIu64
				" %10" PRIu64 " %10" PRIu64 "\n", p->name, p->port_id, p->driver, mac,
				p->mtu, p->nb_rxq, p->nb_txq, link.link_status ? "up" : "down", ps->rx,
				ps->tx, port_drops(ps), es.imissed);
		for (unsigned int a = 0; a < p->n_addrs; a++) {
			char b[NG_IP_STRLEN + 4];

			ng_cli_printf(s, "    address %s\n", ng_prefix_fmt(&p->addrs[a], b, sizeof(b)));
		}
		if (p->link_changes > 0)
			ng_cli_printf(s, "    link changes %" PRIu64 ", the last %.1f s ago\n",
					p->link_changes, (double)(rte_get_tsc_cycles() -
					p->link_change_tsc) / (double)rte_get_tsc_hz());
		fullnat_show(s, p);
		twin_show(s, i, ps);
	}
	return json ? ng_cli_print_json(s, arr) : 0;
}

/* Worker w's stalls under the table: the current one, the last and the longest. */
static void
watch_show(struct ng_cli_sess *s, unsigned int w)
{
	struct ng_dp_watch_info wi;

	ng_dp_worker_watch(dp, w, rte_get_tsc_cycles(), &wi);
	if (wi.stalled)
		ng_cli_printf(s, "worker %u: STALLED for %" PRIu64 " ms (no loop since)\n", w,
				wi.stalled_ns / 1000000);
	if (wi.last_ns != 0)
		ng_cli_printf(s, "worker %u: %" PRIu64 " stalls; the last %" PRIu64 " ms, the "
				"longest %" PRIu64 " ms\n", w, wi.stalls, wi.last_ns / 1000000,
				wi.max_ns / 1000000);
}

static void
watch_json(cJSON *o, const struct ng_dp_watch_info *wi)
{
	cJSON_AddBoolToObject(o, "stalled", wi->stalled);
	cJSON_AddNumberToObject(o, "stalled_ms", (double)(wi->stalled_ns / 1000000));
	cJSON_AddNumberToObject(o, "stalls", (double)wi->stalls);
	cJSON_AddNumberToObject(o, "stall_last_ms", (double)(wi->last_ns / 1000000));
	cJSON_AddNumberToObject(o, "stall_max_ms", (double)(wi->max_ns / 1000000));
}

static int
cmd_workers(struct ng_cli_sess *s, int argc, char **argv)
{
	bool json = ng_cli_json(&argc, argv);
	cJSON *arr = json ? cJSON_CreateArray() : NULL;

	if (ng_cli_no_args(s, "show workers", argc, argv) < 0) {
		cJSON_Delete(arr);
		return -1;
	}
	if (!json)
		ng_cli_printf(s, "%-6s %-6s %-24s %12s %12s %8s %10s %10s %10s %7s\n", "worker",
				"lcore", "rx queues", "rx", "tx", "idle%", "conns", "redir-out",
				"redir-in", "stalls");
	for (unsigned int w = 0; w < dp->n_workers; w++) {
		const struct ng_worker *wk = dp->workers[w];
		struct ng_worker_stats st;
		struct ng_dp_ct_info ct;
		struct ng_dp_watch_info wi;
		uint64_t rx = 0, tx = 0;
		char q[128] = "";
		size_t ql = 0;

		worker_view(w, &st, &base_stats[w]);
		ng_dp_worker_ct(dp, w, &ct);
		ng_dp_worker_watch(dp, w, rte_get_tsc_cycles(), &wi);
		for (unsigned int p = 0; p < NG_STATS_MAX_PORTS; p++) {
			rx += st.port[p].rx;
			tx += st.port[p].tx;
		}
		for (unsigned int i = 0; i < wk->n_rxq && ql < sizeof(q) - 16; i++)
			ql += (size_t)snprintf(q + ql, sizeof(q) - ql, "%s%s/%u", i ? "," : "",
					ng_port_get(wk->rxq[i].port_idx)->name, wk->rxq[i].queue);
		if (json) {
			cJSON *o = cJSON_CreateObject();

			cJSON_AddNumberToObject(o, "id", w);
			cJSON_AddNumberToObject(o, "lcore", wk->lcore);
			cJSON_AddStringToObject(o, "rx_queues", q);
			cJSON_AddNumberToObject(o, "rx", (double)rx);
			cJSON_AddNumberToObject(o, "tx", (double)tx);
			cJSON_AddNumberToObject(o, "loops", (double)st.loops);
			cJSON_AddNumberToObject(o, "idle_loops", (double)st.idle_loops);
			cJSON_AddNumberToObject(o, "sleeps", (double)st.sleeps);
			cJSON_AddNumberToObject(o, "conns", ct.used);
			cJSON_AddNumberToObject(o, "conn_capacity", ct.capacity);
			cJSON_AddNumberToObject(o, "redirect_out", (double)st.redirect_tx);
			cJSON_AddNumberToObject(o, "redirect_in", (double)st.redirect_rx);
			watch_json(o, &wi);
			cJSON_AddItemToArray(arr, o);
			continue;
		}
		ng_cli_printf(s, "%-6u %-6u %-24s %12" PRIu64 " %12" PRIu64 " %7.1f%% %10u %10"
				PRIu64 " %10" PRIu64 " %7" PRIu64 "\n", w, wk->lcore, q, rx, tx,
				st.loops ? 100.0 * (double)st.idle_loops / (double)st.loops : 0.0,
				ct.used, st.redirect_tx, st.redirect_rx, wi.stalls);
	}
	if (json)
		return ng_cli_print_json(s, arr);
	for (unsigned int w = 0; w < dp->n_workers; w++)
		watch_show(s, w);
	return 0;
}

static int
cmd_debug_stall(struct ng_cli_sess *s, int argc, char **argv)
{
	uint32_t w, ms;
	int rc;

	if (argc != 2) {
		ng_cli_error(s, "debug worker stall: give WORKER MS");
		return -1;
	}
	if (ng_cli_parse_u32(s, "debug worker stall", "worker", argv[0], 0, dp->n_workers - 1,
			&w) < 0 || ng_cli_parse_u32(s, "debug worker stall", "ms", argv[1], 1,
			NG_WORKER_STALL_MAX_MS, &ms) < 0)
		return -1;
	rc = ng_dp_worker_stall(dp, w, ms);
	if (rc == -EBUSY) {
		ng_cli_error(s, "debug worker stall: worker %u is still in the last stall", w);
		return -1;
	}
	ng_cli_printf(s, "worker %u stalls for %u ms\n", w, ms);
	return 0;
}

struct svc_stats_ctx {
	struct ng_cli_sess *s;
	cJSON *arr;
};

static int
svc_stats_cb(const struct ng_svc_view *v, void *arg)
{
	struct svc_stats_ctx *x = arg;
	struct ng_svc_counters c;

	if (ng_svc_counters(v->spec->name, &c) < 0)
		return 0;
	if (x->arr != NULL) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "name", v->spec->name);
		cJSON_AddNumberToObject(o, "conns", (double)c.conns);
		cJSON_AddNumberToObject(o, "pkts", (double)c.pkts);
		cJSON_AddNumberToObject(o, "bytes", (double)c.bytes);
		cJSON_AddNumberToObject(o, "refused", (double)c.refused);
		cJSON_AddNumberToObject(o, "no_source_port", (double)c.no_lport);
		cJSON_AddNumberToObject(o, "source_range_drops", (double)c.src_dropped);
		cJSON_AddItemToArray(x->arr, o);
		return 0;
	}
	ng_cli_printf(x->s, "  %-32s conns %10" PRIu64 "  pkts %12" PRIu64 "  bytes %14" PRIu64
			"  refused %8" PRIu64 "\n", v->spec->name, c.conns, c.pkts, c.bytes, c.refused);
	return 0;
}

static cJSON *
drops_json(const uint64_t *drop)
{
	cJSON *o = cJSON_CreateObject();

	for (int r = 1; r < NG_DROP_MAX; r++)
		if (drop[r] != 0)
			cJSON_AddNumberToObject(o, ng_drop_id((enum ng_drop_reason)r),
					(double)drop[r]);
	return o;
}

/* Reassembly counters, IPv4 and IPv6 (struct ng_reass_stats), summed over the workers. */
static cJSON *
reass_json(const struct ng_reass_stats *r)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "fragments", (double)r->fragments);
	cJSON_AddNumberToObject(o, "reassembled", (double)r->reassembled);
	cJSON_AddNumberToObject(o, "timed_out", (double)r->timed_out);
	cJSON_AddNumberToObject(o, "table_full", (double)r->table_full);
	cJSON_AddNumberToObject(o, "overlapping", (double)r->overlapping);
	cJSON_AddNumberToObject(o, "duplicates", (double)r->duplicates);
	cJSON_AddNumberToObject(o, "too_many", (double)r->too_many);
	cJSON_AddNumberToObject(o, "malformed", (double)r->malformed);
	cJSON_AddNumberToObject(o, "refragmented", (double)r->refragmented);
	cJSON_AddNumberToObject(o, "fragments_out", (double)r->fragments_out);
	return o;
}

static void
reass_print(struct ng_cli_sess *s, const struct ng_reass_stats *r)
{
	if (r->fragments + r->malformed + r->duplicates + r->table_full + r->refragmented == 0)
		return;
	ng_cli_printf(s, "reassembly: fragments %" PRIu64 "  reassembled %" PRIu64
			"  timed out %" PRIu64 "  table full %" PRIu64 "  overlapping %" PRIu64
			"  duplicates %" PRIu64 "  too many %" PRIu64 "  malformed %" PRIu64 "\n"
			"  refragmented %" PRIu64 " (into %" PRIu64 " fragments)\n",
			r->fragments, r->reassembled, r->timed_out, r->table_full, r->overlapping,
			r->duplicates, r->too_many, r->malformed, r->refragmented, r->fragments_out);
}

static int
cmd_stats(struct ng_cli_sess *s, int argc, char **argv)
{
	bool json = ng_cli_json(&argc, argv);
	struct ng_worker_stats st;
	uint64_t rx = 0, tx = 0, punted = 0, drops[NG_DROP_MAX] = {0}, total_drops = 0;
	struct svc_stats_ctx x = {.s = s};
	cJSON *root = NULL, *ports = NULL, *workers = NULL;

	if (ng_cli_no_args(s, "show stats", argc, argv) < 0)
		return -1;
	stats_sum(&st);
	for (unsigned int i = 0; i < ng_port_count(); i++) {
		rx += st.port[i].rx;
		tx += st.port[i].tx;
		punted += st.port[i].punted;
		for (int r = 1; r < NG_DROP_MAX; r++) {
			drops[r] += st.port[i].drop[r];
			total_drops += st.port[i].drop[r];
		}
	}
	if (json) {
		root = cJSON_CreateObject();
		cJSON_AddNumberToObject(root, "rx", (double)rx);
		cJSON_AddNumberToObject(root, "tx", (double)tx);
		cJSON_AddNumberToObject(root, "punted", (double)punted);
		cJSON_AddNumberToObject(root, "drops", (double)total_drops);
		cJSON_AddItemToObject(root, "drops_by_reason", drops_json(drops));
		cJSON_AddItemToObject(root, "reassembly", reass_json(&st.reass));
		ports = cJSON_AddArrayToObject(root, "ports");
		workers = cJSON_AddArrayToObject(root, "workers");
	} else {
		ng_cli_printf(s, "total: rx %" PRIu64 "  tx %" PRIu64 "  drops %" PRIu64
				"  punted %" PRIu64 "\n", rx, tx, total_drops, punted);
		for (int r = 1; r < NG_DROP_MAX; r++)
			if (drops[r] != 0)
				ng_cli_printf(s, "  drop %-46s %12" PRIu64 "\n",
						ng_drop_name((enum ng_drop_reason)r), drops[r]);
		reass_print(s, &st.reass);
		ng_cli_printf(s, "ports:\n");
	}
	for (unsigned int i = 0; i < ng_port_count(); i++) {
		const struct ng_port_stats *ps = &st.port[i];
		const struct ng_port *p = ng_port_get(i);

		if (json) {
			cJSON *o = cJSON_CreateObject(), *q = cJSON_CreateArray();

			cJSON_AddStringToObject(o, "name", p->name);
			cJSON_AddNumberToObject(o, "rx", (double)ps->rx);
			cJSON_AddNumberToObject(o, "tx", (double)ps->tx);
			cJSON_AddNumberToObject(o, "rx_bytes", (double)ps->rx_bytes);
			cJSON_AddNumberToObject(o, "tx_bytes", (double)ps->tx_bytes);
			cJSON_AddNumberToObject(o, "punted", (double)ps->punted);
			for (unsigned int k = 0; k < p->nb_rxq; k++)
				cJSON_AddItemToArray(q, cJSON_CreateNumber((double)ps->rxq[k]));
			cJSON_AddItemToObject(o, "rx_per_queue", q);
			cJSON_AddItemToObject(o, "drops_by_reason", drops_json(ps->drop));
			cJSON_AddItemToArray(ports, o);
			continue;
		}
		ng_cli_printf(s, "  %-10s rx %12" PRIu64 "  tx %12" PRIu64 "  drops %10" PRIu64
				"%s", p->name, ps->rx, ps->tx, port_drops(ps), ng_twin_has(i) ? "" : "\n");
		if (ng_twin_has(i))
			ng_cli_printf(s, "  punted %10" PRIu64 "\n", ps->punted);
		for (unsigned int k = 0; k < p->nb_rxq; k++)
			ng_cli_printf(s, "    rxq %-2u %12" PRIu64 "\n", k, ps->rxq[k]);
		for (int r = 1; r < NG_DROP_MAX; r++)
			if (ps->drop[r] != 0)
				ng_cli_printf(s, "    drop %-44s %12" PRIu64 "\n",
						ng_drop_name((enum ng_drop_reason)r), ps->drop[r]);
	}
	if (!json)
		ng_cli_printf(s, "workers:\n");
	for (unsigned int w = 0; w < dp->n_workers; w++) {
		struct ng_worker_stats ws;
		uint64_t wrx = 0, wtx = 0, wd[NG_DROP_MAX] = {0}, wdt = 0;
		struct ng_dp_ct_info ct;

		worker_view(w, &ws, &base_stats[w]);
		ng_dp_worker_ct(dp, w, &ct);
		for (unsigned int i = 0; i < ng_port_count(); i++) {
			wrx += ws.port[i].rx;
			wtx += ws.port[i].tx;
			for (int r = 1; r < NG_DROP_MAX; r++) {
				wd[r] += ws.port[i].drop[r];
				wdt += ws.port[i].drop[r];
			}
		}
		if (json) {
			cJSON *o = cJSON_CreateObject();

			cJSON_AddNumberToObject(o, "id", w);
			cJSON_AddNumberToObject(o, "rx", (double)wrx);
			cJSON_AddNumberToObject(o, "tx", (double)wtx);
			cJSON_AddNumberToObject(o, "conns", ct.used);
			cJSON_AddNumberToObject(o, "conns_created", (double)ct.stats.created);
			cJSON_AddNumberToObject(o, "conns_expired", (double)ct.stats.expired);
			cJSON_AddNumberToObject(o, "conns_evicted", (double)ct.stats.evicted);
			cJSON_AddNumberToObject(o, "conns_reused_expired",
					(double)ct.stats.reused_expired);
			cJSON_AddNumberToObject(o, "conns_early_dropped",
					(double)ct.stats.early_dropped);
			cJSON_AddNumberToObject(o, "conns_evicted_closed",
					(double)ct.stats.evicted_closed);
			cJSON_AddNumberToObject(o, "redirect_out", (double)ws.redirect_tx);
			cJSON_AddNumberToObject(o, "redirect_in", (double)ws.redirect_rx);
			cJSON_AddItemToObject(o, "drops_by_reason", drops_json(wd));
			cJSON_AddItemToArray(workers, o);
			continue;
		}
		ng_cli_printf(s, "  worker %-3u rx %12" PRIu64 "  tx %12" PRIu64 "  drops %10" PRIu64
				"  conns %u (created %" PRIu64 ", expired %" PRIu64 ", evicted %"
				PRIu64 ")\n", w, wrx, wtx, wdt, ct.used, ct.stats.created,
				ct.stats.expired, ct.stats.evicted);
	}
	if (json) {
		x.arr = cJSON_AddArrayToObject(root, "services");
		ng_svc_walk(svc_stats_cb, &x);
		return ng_cli_print_json(s, root);
	}
	ng_cli_printf(s, "services:\n");
	ng_svc_walk(svc_stats_cb, &x);
	return 0;
}

static int
cmd_runtime(struct ng_cli_sess *s, int argc, char **argv)
{
	bool json = ng_cli_json(&argc, argv);
	cJSON *arr = json ? cJSON_CreateArray() : NULL;

	if (ng_cli_no_args(s, "show runtime", argc, argv) < 0) {
		cJSON_Delete(arr);
		return -1;
	}
	if (!json)
		ng_cli_printf(s, "cycles counted: %s; TSC %.3f GHz\n",
				dp->runtime_stats ? "on" : "off", rte_get_tsc_hz() / 1e9);
	for (unsigned int w = 0; w < dp->n_workers; w++) {
		struct ng_worker_stats rt;
		uint64_t own_cycles = 0, own_pkts = 0;
		cJSON *wo = NULL, *stages = NULL;

		worker_view(w, &rt, &base_runtime[w]);
		if (json) {
			wo = cJSON_CreateObject();
			cJSON_AddNumberToObject(wo, "worker", w);
			stages = cJSON_AddArrayToObject(wo, "stages");
		} else {
			ng_cli_printf(s, "worker %u (lcore %u): loops %" PRIu64 ", idle %" PRIu64 "\n",
					w, dp->workers[w]->lcore, rt.loops, rt.idle_loops);
			ng_cli_printf(s, "  %-14s %14s %14s %16s %12s %10s\n", "stage", "calls",
					"packets", "cycles", "cycles/pkt", "pkts/call");
		}
		for (int st = 0; st < NG_STAGE_MAX; st++) {
			const struct ng_stage_stats *ss = &rt.stage[st];
			double cpp = ss->pkts ? (double)ss->cycles / (double)ss->pkts : 0;
			double ppc = ss->calls ? (double)ss->pkts / (double)ss->calls : 0;

			if (st != NG_STAGE_RX && st != NG_STAGE_TX) {
				own_cycles += ss->cycles;
				if (st == NG_STAGE_PARSE)
					own_pkts = ss->pkts;
			}
			if (json) {
				cJSON *o = cJSON_CreateObject();

				cJSON_AddStringToObject(o, "stage", ng_stage_name((enum ng_stage)st));
				cJSON_AddNumberToObject(o, "calls", (double)ss->calls);
				cJSON_AddNumberToObject(o, "packets", (double)ss->pkts);
				cJSON_AddNumberToObject(o, "cycles", (double)ss->cycles);
				cJSON_AddNumberToObject(o, "cycles_per_packet", cpp);
				cJSON_AddNumberToObject(o, "packets_per_call", ppc);
				cJSON_AddItemToArray(stages, o);
				continue;
			}
			ng_cli_printf(s, "  %-14s %14" PRIu64 " %14" PRIu64 " %16" PRIu64 " %12.1f %10.1f\n",
					ng_stage_name((enum ng_stage)st), ss->calls, ss->pkts, ss->cycles,
					cpp, ppc);
		}
		/* nodegw's own stages (not PMD rx/tx) per packet received. */
		if (json) {
			cJSON_AddNumberToObject(wo, "nodegw_cycles_per_packet",
					own_pkts ? (double)own_cycles / (double)own_pkts : 0);
			cJSON_AddItemToArray(arr, wo);
		} else {
			ng_cli_printf(s, "  %-14s %14s %14" PRIu64 " %16" PRIu64 " %12.1f\n",
					"nodegw total", "", own_pkts, own_cycles,
					own_pkts ? (double)own_cycles / (double)own_pkts : 0);
		}
	}
	return json ? ng_cli_print_json(s, arr) : 0;
}

static void
snapshot(struct ng_worker_stats *base)
{
	for (unsigned int w = 0; w < dp->n_workers; w++)
		ng_dp_worker_stats(dp, w, &base[w]);
}

static int
cmd_clear_runtime(struct ng_cli_sess *s, int argc, char **argv)
{
	if (ng_cli_no_args(s, "clear runtime", argc, argv) < 0)
		return -1;
	snapshot(base_runtime);
	return 0;
}

static int
cmd_runtime_cycles(struct ng_cli_sess *s, int argc, char **argv)
{
	bool on;

	if (argc != 1 || (strcmp(argv[0], "on") != 0 && strcmp(argv[0], "off") != 0)) {
		ng_cli_error(s, "runtime cycles: on or off");
		return -1;
	}
	on = strcmp(argv[0], "on") == 0;
	/* Workers pick it up at their next loop; the cycles counted so far stay. */
	__atomic_store_n(&dp->runtime_stats, on, __ATOMIC_RELAXED);
	ng_cli_printf(s, "cycles counted: %s\n", on ? "on" : "off");
	return 0;
}

static const char *const on_off[] = {"on", "off", NULL};

static const char *const *
on_off_complete(struct ng_cli_sess *s, int argc, char **argv)
{
	(void)s;
	(void)argc;
	(void)argv;
	return on_off;
}

static int
cmd_clear_stats(struct ng_cli_sess *s, int argc, char **argv)
{
	if (ng_cli_no_args(s, "clear stats", argc, argv) < 0)
		return -1;
	snapshot(base_stats);
	return 0;
}

/* ---- show conn ---- */

struct conn_filter {
	struct ng_ip client, backend, vip;
	uint16_t port;
	uint8_t proto;
	int state;
	unsigned int limit;
	bool have_client, have_backend, have_vip;
};

/* Copy an entry its owner may be writing: accept two identical copies. */
static bool
conn_snapshot(const struct ng_conn *src, struct ng_conn *out)
{
	struct ng_conn again;

	for (int tries = 0; tries < 4; tries++) {
		memcpy(out, src, sizeof(*out));
		rte_atomic_thread_fence(__ATOMIC_ACQUIRE);
		memcpy(&again, src, sizeof(again));
		if (memcmp(out, &again, offsetof(struct ng_conn, pkts)) == 0)
			return true;
	}
	return false;
}

/* Is a, a connection address of family, the filter's address ip? */
static bool
addr_is(const union ng_addr16 *a, uint8_t family, const struct ng_ip *ip)
{
	if (family != ip->family)
		return false;
	return family == AF_INET6 ? memcmp(a->v6, ip->v6, sizeof(ip->v6)) == 0 : a->v4 == ip->v4;
}

static bool
conn_match(const struct ng_conn *c, const struct conn_filter *f)
{
	if (c->state == NG_CT_FREE || c->state == NG_CT_AFFINITY)
		return false;
	if (f->proto && c->orig.proto != f->proto)
		return false;
	if (f->state >= 0 && c->state != f->state)
		return false;
	if (f->have_client && !addr_is(&c->orig.src, c->orig.family, &f->client))
		return false;
	if (f->have_backend && !addr_is(&c->backend, c->orig.family, &f->backend))
		return false;
	if (f->have_vip && !addr_is(&c->orig.dst, c->orig.family, &f->vip))
		return false;
	if (f->port && rte_be_to_cpu_16(c->orig.dport) != f->port &&
			rte_be_to_cpu_16(c->bport) != f->port && rte_be_to_cpu_16(c->orig.sport) != f->port)
		return false;
	return true;
}

static const char *const conn_words[] = {"client", "backend", "vip", "port", "proto", "state",
	"limit", "json", NULL};

static const char *const *
conn_complete(struct ng_cli_sess *s, int argc, char **argv)
{
	(void)s;
	(void)argc;
	(void)argv;
	return conn_words;
}

static int
parse_conn_filter(struct ng_cli_sess *s, int argc, char **argv, struct conn_filter *f)
{
	memset(f, 0, sizeof(*f));
	f->state = -1;
	f->limit = 100;
	for (int i = 0; i < argc; i += 2) {
		const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (v == NULL) {
			ng_cli_error(s, "show conn: \"%s\" needs a value", k);
			return -1;
		}
		if (strcmp(k, "client") == 0 || strcmp(k, "backend") == 0 || strcmp(k, "vip") == 0) {
			struct ng_ip ip;

			if (ng_ip_parse(v, &ip) < 0) {
				ng_cli_error(s, "show conn: %s \"%s\" is not an IPv4 or IPv6 address",
						k, v);
				return -1;
			}
			if (k[0] == 'c') {
				f->client = ip;
				f->have_client = true;
			} else if (k[0] == 'b') {
				f->backend = ip;
				f->have_backend = true;
			} else {
				f->vip = ip;
				f->have_vip = true;
			}
		} else if (strcmp(k, "port") == 0 || strcmp(k, "limit") == 0) {
			char *end;
			unsigned long n = strtoul(v, &end, 10);

			if (*v == '\0' || *end != '\0' || n == 0 || n > (k[0] == 'p' ? 65535 : 1000000)) {
				ng_cli_error(s, "show conn: %s \"%s\" is not a number in range", k, v);
				return -1;
			}
			if (k[0] == 'p')
				f->port = (uint16_t)n;
			else
				f->limit = (unsigned int)n;
		} else if (strcmp(k, "proto") == 0) {
			if (strcmp(v, "tcp") == 0) {
				f->proto = IPPROTO_TCP;
			} else if (strcmp(v, "udp") == 0) {
				f->proto = IPPROTO_UDP;
			} else {
				ng_cli_error(s, "show conn: proto \"%s\": tcp or udp", v);
				return -1;
			}
		} else if (strcmp(k, "state") == 0) {
			for (int st = 1; st < NG_CT_NSTATES; st++)
				if (strcasecmp(v, ng_ct_state_name((enum ng_ct_state)st)) == 0)
					f->state = st;
			if (f->state < 0) {
				ng_cli_error(s, "show conn: state \"%s\": one of SYN_SENT, SYN_RECV, "
						"ESTABLISHED, FIN_WAIT, TIME_WAIT, CLOSE, UDP", v);
				return -1;
			}
		} else {
			ng_cli_error(s, "show conn: unknown filter \"%s\" (client, backend, vip, "
					"port, proto, state, limit)", k);
			return -1;
		}
	}
	return 0;
}

/* ADDRESS:PORT, an IPv6 address in brackets (the family is the connection's). */
static void
fmt_ep(const union ng_addr16 *a, uint8_t family, uint16_t port_be, char *buf, size_t len)
{
	struct ng_ip ip = {.family = family};
	char t[NG_IP_STRLEN];

	if (family == AF_INET6)
		memcpy(ip.v6, a->v6, sizeof(ip.v6));
	else
		ip.v4 = a->v4;
	ng_ip_fmt(&ip, t, sizeof(t));
	snprintf(buf, len, family == AF_INET6 ? "[%s]:%u" : "%s:%u", t,
			rte_be_to_cpu_16(port_be));
}

static int
cmd_conn(struct ng_cli_sess *s, int argc, char **argv)
{
	bool json = ng_cli_json(&argc, argv);
	uint64_t now = rte_get_tsc_cycles(), hz = rte_get_tsc_hz();
	struct conn_filter f;
	unsigned int shown = 0, total = 0;
	cJSON *arr = NULL;

	if (parse_conn_filter(s, argc, argv, &f) < 0)
		return -1;
	if (json)
		arr = cJSON_CreateArray();
	else
		ng_cli_printf(s, "%-3s %-5s %-21s %-21s %-21s %-21s %-11s %8s %10s\n", "wrk", "proto",
				"client", "frontend", "source", "backend", "state", "expires",
				"packets");
	for (unsigned int w = 0; w < dp->n_workers; w++) {
		const struct ng_ct *ct = dp->workers[w]->ct;

		for (uint32_t i = 0; i < ct->cap; i++) {
			struct ng_conn c;
			char cl[64], fe[64], src[64], be[64];
			double exp;

			if (ct->conns[i].state == NG_CT_FREE)
				continue;
			if (!conn_snapshot(&ct->conns[i], &c) || !conn_match(&c, &f))
				continue;
			total++;
			if (shown >= f.limit)
				continue;
			shown++;
			fmt_ep(&c.orig.src, c.orig.family, c.orig.sport, cl, sizeof(cl));
			fmt_ep(&c.orig.dst, c.orig.family, c.orig.dport, fe, sizeof(fe));
			if (c.flags & NG_CT_F_FULLNAT)
				fmt_ep(&c.snat, c.orig.family, c.lport, src, sizeof(src));
			else
				snprintf(src, sizeof(src), "%s", cl);
			fmt_ep(&c.backend, c.orig.family, c.bport, be, sizeof(be));
			exp = c.expire_tsc > now ? (double)(c.expire_tsc - now) / (double)hz : 0;
			if (json) {
				cJSON *o = cJSON_CreateObject();

				cJSON_AddNumberToObject(o, "worker", w);
				cJSON_AddStringToObject(o, "proto",
						c.orig.proto == IPPROTO_TCP ? "tcp" : "udp");
				cJSON_AddStringToObject(o, "client", cl);
				cJSON_AddStringToObject(o, "frontend", fe);
				cJSON_AddStringToObject(o, "source", src);
				cJSON_AddStringToObject(o, "backend", be);
				cJSON_AddStringToObject(o, "state",
						ng_ct_state_name((enum ng_ct_state)c.state));
				cJSON_AddNumberToObject(o, "expires_s", exp);
				cJSON_AddNumberToObject(o, "packets", (double)c.pkts);
				cJSON_AddNumberToObject(o, "bytes", (double)c.bytes);
				cJSON_AddItemToArray(arr, o);
				continue;
			}
			ng_cli_printf(s, "%-3u %-5s %-21s %-21s %-21s %-21s %-11s %7.0fs %10" PRIu64
					"\n", w, c.orig.proto == IPPROTO_TCP ? "tcp" : "udp", cl, fe, src,
					be, ng_ct_state_name((enum ng_ct_state)c.state), exp, c.pkts);
		}
	}
	if (json) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddNumberToObject(o, "matched", total);
		cJSON_AddNumberToObject(o, "shown", shown);
		cJSON_AddItemToObject(o, "conns", arr);
		return ng_cli_print_json(s, o);
	}
	ng_cli_printf(s, "%u of %u matching connections shown\n", shown, total);
	return 0;
}

static const struct ng_cli_cmd worker_cmds[] = {
	{"show version", "[json]", "nodegw and DPDK versions", cmd_version, NULL},
	{"show ports", "[json]", "ports: driver, MAC, MTU, queues, link, counters", cmd_ports,
		NULL},
	{"show workers", "[json]", "workers: lcore, RX queues, counters, connections", cmd_workers,
		NULL},
	{"show stats", "[json]", "counters: global, per port, per worker, per service; drops by "
		"reason", cmd_stats, NULL},
	{"show runtime", "[json]", "per data-path stage: calls, packets, cycles per packet",
		cmd_runtime, NULL},
	{"clear runtime", NULL, "restart the show runtime counters from zero", cmd_clear_runtime,
		NULL},
	{"runtime cycles", "on|off", "count TSC cycles per stage for show runtime (on by "
		"default; off saves an rdtsc per stage and burst)", cmd_runtime_cycles,
		on_off_complete},
	{"clear stats", NULL, "restart the show stats/ports/workers counters from zero",
		cmd_clear_stats, NULL},
	{"show conn", "[client IP] [backend IP] [vip IP] [port N] [proto tcp|udp] [state S] "
		"[limit N] [json]", "tracked connections, read while workers run", cmd_conn,
		conn_complete},
	{"debug worker stall", "WORKER MS", "testing: make a worker spin MS ms once without "
		"receiving or reporting quiescence (it stops forwarding meanwhile)",
		cmd_debug_stall, NULL},
};

int
ng_worker_cli_register(struct ng_dp *d)
{
	int rc;

	dp = d;
	rc = ng_cli_register(worker_cmds, RTE_DIM(worker_cmds));
	return rc < 0 ? rc : ng_trace_cli_register(d);
}
