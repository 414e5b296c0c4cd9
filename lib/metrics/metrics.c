/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The /metrics exposition (see metrics.h). One family at a time: its HELP and
 * TYPE lines, then every sample, as the text format requires. Names follow
 * Prometheus' conventions (base units, _total on counters); kube-proxy's
 * names are kept where nodegw measures the same thing.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_version.h>

#include "bgp.h"
#include "health.h"
#include "http.h"
#include "k8s.h"
#include "metrics.h"
#include "ng_hist.h"
#include "ng_log.h"
#include "port.h"
#include "svc.h"

/** Everything one scrape reads first, so families need not read twice. */
struct scrape {
	FILE *f;
	const struct ng_dp *dp;
	unsigned int n_ports, n_workers;
	struct ng_worker_stats *ws;  /**< n_workers blocks */
	struct ng_dp_ct_info ct[NG_MAX_WORKERS];
	struct ng_ruleset_info ri;
	struct ng_health_status hs;
	struct ng_k8s_info k8s;
	struct ng_bgp_info bgp;
};

static struct {
	struct ng_http_server *srv;
	const struct ng_dp *dp;
	uint64_t scrapes;
} M;

static void
fam(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value with \, " and newline escaped. */
static const char *
lv(const char *v, char *buf, size_t len)
{
	size_t k = 0;

	for (; *v != '\0' && k + 3 < len; v++) {
		if (*v == '\\' || *v == '"' || *v == '\n')
			buf[k++] = '\\';
		buf[k++] = *v == '\n' ? 'n' : *v;
	}
	buf[k] = '\0';
	return buf;
}

static void
hist(FILE *f, const char *name, const char *help, const struct ng_hist *h)
{
	uint64_t cum = 0;

	fam(f, name, "histogram", help);
	for (unsigned int i = 0; i < NG_HIST_BUCKETS; i++) {
		cum += h->bucket[i];
		fprintf(f, "%s_bucket{le=\"%.9g\"} %" PRIu64 "\n", name,
				(double)ng_hist_bound_ns(i) / 1e9, cum);
	}
	fprintf(f, "%s_bucket{le=\"+Inf\"} %" PRIu64 "\n%s_sum %.9f\n%s_count %" PRIu64 "\n",
			name, h->count, name, (double)h->sum_ns / 1e9, name, h->count);
}

/* ---- ports and drops ---- */

/* A per-port counter: off is the offset of a uint64_t in struct ng_port_stats. */
static void
port_counter(struct scrape *s, const char *name, const char *help, size_t off)
{
	char b[64];

	fam(s->f, name, "counter", help);
	for (unsigned int p = 0; p < s->n_ports; p++) {
		uint64_t v = 0;

		for (unsigned int w = 0; w < s->n_workers; w++)
			v += *(const uint64_t *)((const char *)&s->ws[w].port[p] + off);
		fprintf(s->f, "%s{port=\"%s\"} %" PRIu64 "\n", name,
				lv(ng_port_get(p)->name, b, sizeof(b)), v);
	}
}

static void
ports(struct scrape *s)
{
	char b[64];

	port_counter(s, "nodegw_port_rx_packets_total", "Packets received by nodegw.",
			offsetof(struct ng_port_stats, rx));
	port_counter(s, "nodegw_port_tx_packets_total", "Packets sent.",
			offsetof(struct ng_port_stats, tx));
	port_counter(s, "nodegw_port_rx_bytes_total", "Bytes received.",
			offsetof(struct ng_port_stats, rx_bytes));
	port_counter(s, "nodegw_port_tx_bytes_total", "Bytes sent.",
			offsetof(struct ng_port_stats, tx_bytes));
	fam(s->f, "nodegw_port_rx_queue_packets_total", "counter",
			"Packets received per RX queue.");
	for (unsigned int p = 0; p < s->n_ports; p++)
		for (unsigned int q = 0; q < ng_port_get(p)->nb_rxq && q < NG_STATS_MAX_RXQ; q++) {
			uint64_t v = 0;

			for (unsigned int w = 0; w < s->n_workers; w++)
				v += s->ws[w].port[p].rxq[q];
			fprintf(s->f, "nodegw_port_rx_queue_packets_total{port=\"%s\",queue=\"%u\"} %"
					PRIu64 "\n", lv(ng_port_get(p)->name, b, sizeof(b)), q, v);
		}
	fam(s->f, "nodegw_port_tx_queue_packets_total", "counter",
			"Packets sent per TX queue (queue N belongs to worker N).");
	for (unsigned int p = 0; p < s->n_ports; p++)
		for (unsigned int w = 0; w < s->n_workers; w++)
			fprintf(s->f, "nodegw_port_tx_queue_packets_total{port=\"%s\",queue=\"%u\"} %"
					PRIu64 "\n", lv(ng_port_get(p)->name, b, sizeof(b)), w,
					s->ws[w].port[p].tx);
	fam(s->f, "nodegw_port_drops_total", "counter",
			"Packets dropped, by ingress port and reason (see show stats).");
	for (unsigned int p = 0; p < s->n_ports; p++)
		for (int r = 1; r < NG_DROP_MAX; r++) {
			uint64_t v = 0;

			for (unsigned int w = 0; w < s->n_workers; w++)
				v += s->ws[w].port[p].drop[r];
			fprintf(s->f, "nodegw_port_drops_total{port=\"%s\",reason=\"%s\"} %" PRIu64
					"\n", lv(ng_port_get(p)->name, b, sizeof(b)),
					ng_drop_id((enum ng_drop_reason)r), v);
		}
}

static void
nics(struct scrape *s)
{
	static const struct {
		const char *name, *help;
		size_t off;
	} f[] = {
		{"nodegw_nic_rx_missed_total", "Packets the NIC dropped: RX queue full "
			"(imissed).", offsetof(struct rte_eth_stats, imissed)},
		{"nodegw_nic_rx_errors_total", "Erroneous packets the NIC received (ierrors).",
			offsetof(struct rte_eth_stats, ierrors)},
		{"nodegw_nic_rx_nombuf_total", "RX mbuf allocation failures (rx_nombuf).",
			offsetof(struct rte_eth_stats, rx_nombuf)},
	};
	struct rte_eth_stats es[NG_MAX_PORTS];
	char b[64];

	for (unsigned int p = 0; p < s->n_ports; p++)
		if (rte_eth_stats_get(ng_port_get(p)->port_id, &es[p]) != 0)
			memset(&es[p], 0, sizeof(es[p]));
	for (size_t i = 0; i < RTE_DIM(f); i++) {
		fam(s->f, f[i].name, "counter", f[i].help);
		for (unsigned int p = 0; p < s->n_ports; p++)
			fprintf(s->f, "%s{port=\"%s\"} %" PRIu64 "\n", f[i].name,
					lv(ng_port_get(p)->name, b, sizeof(b)),
					*(const uint64_t *)((const char *)&es[p] + f[i].off));
	}
	fam(s->f, "nodegw_port_link_up", "gauge", "1 when the port's link is up.");
	for (unsigned int p = 0; p < s->n_ports; p++) {
		struct rte_eth_link link = {0};

		rte_eth_link_get_nowait(ng_port_get(p)->port_id, &link);
		fprintf(s->f, "nodegw_port_link_up{port=\"%s\"} %d\n",
				lv(ng_port_get(p)->name, b, sizeof(b)), link.link_status ? 1 : 0);
	}
	fam(s->f, "nodegw_port_link_changes_total", "counter",
			"Link downs and ups the control core saw (it looks every 100 ms).");
	for (unsigned int p = 0; p < s->n_ports; p++)
		fprintf(s->f, "nodegw_port_link_changes_total{port=\"%s\"} %" PRIu64 "\n",
				lv(ng_port_get(p)->name, b, sizeof(b)), ng_port_get(p)->link_changes);
}

static void
mbufs(struct scrape *s)
{
	struct ng_port_pool_info pi;

	ng_port_pool_info(&pi);
	fam(s->f, "nodegw_mbufs", "gauge", "Packet buffers in the pool.");
	fprintf(s->f, "nodegw_mbufs %u\n", pi.size);
	fam(s->f, "nodegw_mbufs_in_use", "gauge", "Packet buffers out of the pool and its "
			"caches (in rings, queues, in flight).");
	fprintf(s->f, "nodegw_mbufs_in_use %u\n", pi.in_use);
	fam(s->f, "nodegw_mbufs_exhausted", "gauge", "1 while a worker has less than a receive "
			"burst of buffers at hand.");
	fprintf(s->f, "nodegw_mbufs_exhausted %d\n", pi.exhausted ? 1 : 0);
	fam(s->f, "nodegw_mbufs_exhausted_total", "counter", "Times the pool ran out.");
	fprintf(s->f, "nodegw_mbufs_exhausted_total %" PRIu64 "\n", pi.exhausted_events);
	fam(s->f, "nodegw_mbufs_exhausted_seconds_total", "counter", "Time the pool was out.");
	fprintf(s->f, "nodegw_mbufs_exhausted_seconds_total %.6f\n", (double)pi.exhausted_ns / 1e9);
}

/* ---- workers and connections ---- */

/* A per-worker counter: off is the offset of a uint64_t in struct ng_worker_stats. */
static void
worker_counter(struct scrape *s, const char *name, const char *help, size_t off)
{
	fam(s->f, name, "counter", help);
	for (unsigned int w = 0; w < s->n_workers; w++)
		fprintf(s->f, "%s{worker=\"%u\"} %" PRIu64 "\n", name, w,
				*(const uint64_t *)((const char *)&s->ws[w] + off));
}

/* What the control core saw of the workers' loops (ng_dp_watch()). */
static void
worker_stalls(struct scrape *s)
{
	struct ng_dp_watch_info wi[NG_MAX_WORKERS];
	uint64_t now = rte_get_tsc_cycles();

	for (unsigned int w = 0; w < s->n_workers; w++)
		ng_dp_worker_watch(s->dp, w, now, &wi[w]);
	fam(s->f, "nodegw_worker_stalled", "gauge", "1 while a worker's loop has not moved for "
			"100 ms plus its idle sleep (it forwards nothing and holds up grace "
			"periods).");
	for (unsigned int w = 0; w < s->n_workers; w++)
		fprintf(s->f, "nodegw_worker_stalled{worker=\"%u\"} %d\n", w,
				wi[w].stalled ? 1 : 0);
	fam(s->f, "nodegw_worker_stalls_total", "counter", "Stalls seen, the current one "
			"included.");
	for (unsigned int w = 0; w < s->n_workers; w++)
		fprintf(s->f, "nodegw_worker_stalls_total{worker=\"%u\"} %" PRIu64 "\n", w,
				wi[w].stalls);
	fam(s->f, "nodegw_worker_stall_max_seconds", "gauge", "The longest stall that ended.");
	for (unsigned int w = 0; w < s->n_workers; w++)
		fprintf(s->f, "nodegw_worker_stall_max_seconds{worker=\"%u\"} %.3f\n", w,
				(double)wi[w].max_ns / 1e9);
}

static void
workers(struct scrape *s)
{
	static const char *const sf[] = {"calls", "packets", "cycles"};
	double hz = (double)rte_get_tsc_hz();

	worker_counter(s, "nodegw_worker_loops_total", "Poll loops.",
			offsetof(struct ng_worker_stats, loops));
	worker_counter(s, "nodegw_worker_idle_loops_total", "Poll loops that found no packet.",
			offsetof(struct ng_worker_stats, idle_loops));
	worker_counter(s, "nodegw_worker_sleeps_total", "Idle sleeps (workers.idle_sleep_us).",
			offsetof(struct ng_worker_stats, sleeps));
	worker_counter(s, "nodegw_worker_redirect_out_total", "Packets handed to their owner "
			"worker.", offsetof(struct ng_worker_stats, redirect_tx));
	worker_counter(s, "nodegw_worker_redirect_in_total", "Packets received from other "
			"workers.", offsetof(struct ng_worker_stats, redirect_rx));
	fam(s->f, "nodegw_worker_busy_seconds_total", "counter", "Time spent on packets (every "
			"stage, PMD rx/tx included; counted while runtime cycles are on). "
			"rate() is the busy share.");
	for (unsigned int w = 0; w < s->n_workers; w++) {
		uint64_t c = 0;

		for (int st = 0; st < NG_STAGE_MAX; st++)
			c += s->ws[w].stage[st].cycles;
		fprintf(s->f, "nodegw_worker_busy_seconds_total{worker=\"%u\"} %.9f\n", w,
				(double)c / hz);
	}
	for (size_t k = 0; k < RTE_DIM(sf); k++) {
		char name[64];

		snprintf(name, sizeof(name), "nodegw_worker_stage_%s_total", sf[k]);
		fam(s->f, name, "counter", k == 0 ? "Stage invocations that carried packets "
				"(show runtime)." : k == 1 ? "Packets through each stage (show "
				"runtime)." : "TSC cycles in each stage (show runtime); divided by "
				"packets of stage parse: cycles per packet.");
		for (unsigned int w = 0; w < s->n_workers; w++)
			for (int st = 0; st < NG_STAGE_MAX; st++) {
				const struct ng_stage_stats *ss = &s->ws[w].stage[st];

				fprintf(s->f, "%s{worker=\"%u\",stage=\"%s\"} %" PRIu64 "\n", name, w,
						ng_stage_name((enum ng_stage)st), k == 0 ? ss->calls :
						k == 1 ? ss->pkts : ss->cycles);
			}
	}
	worker_stalls(s);
	fam(s->f, "nodegw_tsc_hz", "gauge", "TSC frequency: cycles per second.");
	fprintf(s->f, "nodegw_tsc_hz %.0f\n", hz);
}

/* A counter family read from a struct at an offset (conntrack, services). */
struct counter_fam {
	const char *name, *help;
	size_t off;
};

static void
conntrack(struct scrape *s)
{
	static const struct counter_fam f[] = {
		{"nodegw_conntrack_created_total", "Connections created.",
			offsetof(struct ng_ct_stats, created)},
		{"nodegw_conntrack_expired_total", "Connections removed by the expiry scan.",
			offsetof(struct ng_ct_stats, expired)},
		{"nodegw_conntrack_evictions_total", "Live connections evicted because the table "
			"was full (early drops included).", offsetof(struct ng_ct_stats, evicted)},
		{"nodegw_conntrack_early_drops_total", "Evictions of unanswered SYN_SENT entries.",
			offsetof(struct ng_ct_stats, early_dropped)},
		{"nodegw_conntrack_reused_expired_total", "Expired entries reused because the "
			"table was full.", offsetof(struct ng_ct_stats, reused_expired)},
		{"nodegw_conntrack_insert_failures_total", "Connections the index refused.",
			offsetof(struct ng_ct_stats, insert_failed)},
	};

	fam(s->f, "nodegw_conntrack_entries", "gauge", "Connections tracked now, per worker.");
	for (unsigned int w = 0; w < s->n_workers; w++)
		fprintf(s->f, "nodegw_conntrack_entries{worker=\"%u\"} %u\n", w, s->ct[w].used);
	fam(s->f, "nodegw_conntrack_capacity", "gauge", "Connection table size, per worker "
			"(conntrack.max_entries).");
	for (unsigned int w = 0; w < s->n_workers; w++)
		fprintf(s->f, "nodegw_conntrack_capacity{worker=\"%u\"} %u\n", w,
				s->ct[w].capacity);
	for (size_t i = 0; i < RTE_DIM(f); i++) {
		fam(s->f, f[i].name, "counter", f[i].help);
		for (unsigned int w = 0; w < s->n_workers; w++)
			fprintf(s->f, "%s{worker=\"%u\"} %" PRIu64 "\n", f[i].name, w,
					*(const uint64_t *)((const char *)&s->ct[w].stats + f[i].off));
	}
}

/* ---- services ---- */

/* The per-service counters: one family each, from struct ng_svc_counters. */
static const struct counter_fam svc_fams[] = {
	{"nodegw_service_connections_total", "New connections scheduled (as show services).",
		offsetof(struct ng_svc_counters, conns)},
	{"nodegw_service_packets_total", "Packets forwarded, both directions.",
		offsetof(struct ng_svc_counters, pkts)},
	{"nodegw_service_bytes_total", "Bytes forwarded, both directions.",
		offsetof(struct ng_svc_counters, bytes)},
	{"nodegw_service_refused_total", "New connections refused or dropped: no usable "
		"backend.", offsetof(struct ng_svc_counters, refused)},
	{"nodegw_service_no_source_port_total", "New connections dropped: no FullNAT "
		"source port free.", offsetof(struct ng_svc_counters, no_lport)},
	{"nodegw_service_source_range_drops_total", "New connections dropped: client outside "
		"the service's source ranges.", offsetof(struct ng_svc_counters, src_dropped)},
};

struct svc_pass {
	FILE *f;
	unsigned int what; /**< index in svc_fams; RTE_DIM(svc_fams): backends */
};

static int
svc_cb(const struct ng_svc_view *v, void *arg)
{
	struct svc_pass *x = arg;
	struct ng_svc_counters c;
	char b[NG_SVC_NAME_MAX * 2];
	unsigned int usable = 0;

	lv(v->spec->name, b, sizeof(b));
	if (x->what == RTE_DIM(svc_fams)) {
		for (unsigned int i = 0; i < v->n_backends; i++)
			usable += v->backends[i].weight > 0;
		fprintf(x->f, "nodegw_service_backends{service=\"%s\"} %u\n", b, usable);
		return 0;
	}
	if (ng_svc_counters(v->spec->name, &c) < 0)
		return 0;
	fprintf(x->f, "%s{service=\"%s\"} %" PRIu64 "\n", svc_fams[x->what].name, b,
			*(const uint64_t *)((const char *)&c + svc_fams[x->what].off));
	return 0;
}

static void
services(struct scrape *s)
{
	struct svc_pass x = {.f = s->f};

	for (x.what = 0; x.what < RTE_DIM(svc_fams); x.what++) {
		fam(s->f, svc_fams[x.what].name, "counter", svc_fams[x.what].help);
		ng_svc_walk(svc_cb, &x);
	}
	fam(s->f, "nodegw_service_backends", "gauge", "Backends with a weight above 0.");
	ng_svc_walk(svc_cb, &x);
}

/* ---- the control plane ---- */

static double
age_s(uint64_t tsc)
{
	uint64_t now = rte_get_tsc_cycles();

	return tsc == 0 || tsc > now ? 0 : (double)(now - tsc) / (double)rte_get_tsc_hz();
}

static void
ruleset(struct scrape *s)
{
	const struct ng_ruleset_info *ri = &s->ri;

	fam(s->f, "nodegw_ruleset_generation", "gauge", "Generation of the published ruleset.");
	fprintf(s->f, "nodegw_ruleset_generation %" PRIu64 "\n", ri->generation);
	fam(s->f, "nodegw_ruleset_commits_total", "counter", "Rulesets compiled and published.");
	fprintf(s->f, "nodegw_ruleset_commits_total %" PRIu64 "\n", ri->commits);
	fam(s->f, "nodegw_ruleset_services", "gauge", "Services in the published ruleset.");
	fprintf(s->f, "nodegw_ruleset_services %u\n", ri->services);
	fam(s->f, "nodegw_ruleset_bytes", "gauge", "Memory of the ruleset and its services.");
	fprintf(s->f, "nodegw_ruleset_bytes %" PRIu64 "\n", ri->bytes);
	fam(s->f, "nodegw_ruleset_index_bytes", "gauge", "Memory of the frontend index.");
	fprintf(s->f, "nodegw_ruleset_index_bytes %" PRIu64 "\n", ri->index_bytes);
	fam(s->f, "nodegw_ruleset_copied_bytes", "gauge", "Frontend index bytes the last commit "
			"copied (the directory and the chunks its changes fall in).");
	fprintf(s->f, "nodegw_ruleset_copied_bytes %" PRIu64 "\n", ri->copied_bytes);
	fam(s->f, "nodegw_ruleset_retired", "gauge", "Old rulesets waiting for a grace period.");
	fprintf(s->f, "nodegw_ruleset_retired %" PRIu64 "\n", ri->pending_free);
	fam(s->f, "nodegw_ruleset_pending_change_seconds", "gauge", "Age of the oldest change "
			"not yet published (0: none); above probes.stale_after_ms the data path "
			"is stale.");
	fprintf(s->f, "nodegw_ruleset_pending_change_seconds %.6f\n", age_s(ri->dirty_since_tsc));
	fam(s->f, "nodegw_ruleset_grace_wait_seconds", "gauge", "Age of the oldest grace period "
			"still running (0: none): long means a stalled worker.");
	fprintf(s->f, "nodegw_ruleset_grace_wait_seconds %.6f\n", age_s(ri->grace_since_tsc));
	hist(s->f, "nodegw_ruleset_publish_latency_seconds", "From a change to every worker "
			"using it (end of the grace period after its publish).", &ri->latency_hist);
	hist(s->f, "kubeproxy_sync_proxy_rules_duration_seconds", "Compile and publish of a "
			"ruleset (kube-proxy's rule sync).", &ri->commit_hist);
	hist(s->f, "kubeproxy_network_programming_duration_seconds", "From a watch event's "
			"arrival to every worker using it.", &ri->cause_hist);
	fam(s->f, "kubeproxy_sync_proxy_rules_last_timestamp_seconds", "gauge",
			"When the last ruleset was published (UNIX time).");
	fprintf(s->f, "kubeproxy_sync_proxy_rules_last_timestamp_seconds %.3f\n",
			(double)s->hs.last_updated_ns / 1e9);
}

static void
health(struct scrape *s)
{
	static const char *const codes[] = {"200", "503"};

	fam(s->f, "kubeproxy_proxy_healthz_total", "counter", "/healthz answers by code.");
	for (int i = 0; i < 2; i++)
		fprintf(s->f, "kubeproxy_proxy_healthz_total{code=\"%s\"} %" PRIu64 "\n", codes[i],
				s->hs.healthz[i]);
	fam(s->f, "kubeproxy_proxy_livez_total", "counter", "/livez answers by code.");
	for (int i = 0; i < 2; i++)
		fprintf(s->f, "kubeproxy_proxy_livez_total{code=\"%s\"} %" PRIu64 "\n", codes[i],
				s->hs.livez[i]);
	fam(s->f, "nodegw_healthy", "gauge", "1 while the data path is not stale (/livez 200).");
	fprintf(s->f, "nodegw_healthy %d\n", s->hs.healthy);
	fam(s->f, "nodegw_node_eligible", "gauge", "1 while this node may take load-balancer "
			"traffic (no ToBeDeletedByClusterAutoscaler taint).");
	fprintf(s->f, "nodegw_node_eligible %d\n", s->hs.node_eligible);
}

static int
hc_cb(const struct ng_health_hc_info *hc, void *arg)
{
	FILE *f = arg;
	char b[640];

	lv(hc->key, b, sizeof(b));
	fprintf(f, "nodegw_health_check_node_port_local_endpoints{service=\"%s\",port=\"%u\"} %u\n",
			b, hc->port, hc->local_endpoints);
	return 0;
}

static void
k8s(struct scrape *s)
{
	static const char *const states[] = {"idle", "backing-off", "listing", "watching"};
	const struct ng_k8s_info *k = &s->k8s;
	static const char *const tp[] = {"internal", "external"};

	fam(s->f, "nodegw_k8s_enabled", "gauge", "1 when the config has a kubernetes section.");
	fprintf(s->f, "nodegw_k8s_enabled %d\n", k->enabled);
	fam(s->f, "nodegw_k8s_synced", "gauge", "1 once the watcher has applied Services and "
			"EndpointSlices (0 also when it is off).");
	fprintf(s->f, "nodegw_k8s_synced %d\n", k->synced);
	fam(s->f, "nodegw_k8s_watch_state", "gauge", "1 for the state each resource's "
			"reflector is in.");
	for (unsigned int i = 0; i < k->n_res; i++)
		for (size_t j = 0; j < RTE_DIM(states); j++)
			fprintf(s->f, "nodegw_k8s_watch_state{resource=\"%s\",state=\"%s\"} %d\n",
					k->res[i].name, states[j], strcmp(k->res[i].state, states[j]) == 0);
	fam(s->f, "nodegw_k8s_objects", "gauge", "Objects held, per resource.");
	for (unsigned int i = 0; i < k->n_res; i++)
		fprintf(s->f, "nodegw_k8s_objects{resource=\"%s\"} %u\n", k->res[i].name,
				k->res[i].objects);
	fam(s->f, "nodegw_k8s_relists_total", "counter", "Lists after the first, per resource.");
	for (unsigned int i = 0; i < k->n_res; i++)
		fprintf(s->f, "nodegw_k8s_relists_total{resource=\"%s\"} %" PRIu64 "\n",
				k->res[i].name, k->res[i].relists);
	fam(s->f, "nodegw_k8s_errors_total", "counter", "API errors, stalls and broken "
			"streams, per resource.");
	for (unsigned int i = 0; i < k->n_res; i++)
		fprintf(s->f, "nodegw_k8s_errors_total{resource=\"%s\"} %" PRIu64 "\n",
				k->res[i].name, k->res[i].errors);
	fam(s->f, "nodegw_k8s_apply_errors_total", "counter", "Objects the control API refused.");
	fprintf(s->f, "nodegw_k8s_apply_errors_total %" PRIu64 "\n", k->apply_errors);
	fam(s->f, "kubeproxy_sync_proxy_rules_service_changes_total", "counter",
			"Service watch events.");
	fprintf(s->f, "kubeproxy_sync_proxy_rules_service_changes_total %" PRIu64 "\n",
			k->n_res > 0 ? k->res[0].events : 0);
	fam(s->f, "kubeproxy_sync_proxy_rules_endpoint_changes_total", "counter",
			"EndpointSlice watch events.");
	fprintf(s->f, "kubeproxy_sync_proxy_rules_endpoint_changes_total %" PRIu64 "\n",
			k->n_res > 1 ? k->res[1].events : 0);
	/* kube-proxy's name, which ends in _total though it is a gauge: untyped. */
	fam(s->f, "kubeproxy_sync_proxy_rules_no_local_endpoints_total", "untyped",
			"Services with a Local traffic policy and no endpoint on this node, now.");
	for (int i = 0; i < 2; i++)
		fprintf(s->f, "kubeproxy_sync_proxy_rules_no_local_endpoints_total{traffic_policy="
				"\"%s\"} %u\n", tp[i], k->no_local[i]);
	fam(s->f, "nodegw_health_check_node_port_local_endpoints", "gauge", "Ready local "
			"endpoints a healthCheckNodePort server reports (0: it answers 503).");
	ng_health_hc_walk(hc_cb, s->f);
}

/* What show bgp json says, without the per-prefix list. */
static void
bgp(struct scrape *s)
{
	static const char *const drains[] = {"off", "drained", "stopping"};
	const struct ng_bgp_info *b = &s->bgp;

	fam(s->f, "nodegw_bgp_enabled", "gauge", "1 when the config has a bgp section.");
	fprintf(s->f, "nodegw_bgp_enabled %d\n", b->enabled);
	if (!b->enabled)
		return;
	fam(s->f, "nodegw_bgp_drain_state", "gauge", "1 for the drain state: off, drained "
			"(the drain command) or stopping (a clean stop).");
	for (size_t i = 0; i < RTE_DIM(drains); i++)
		fprintf(s->f, "nodegw_bgp_drain_state{state=\"%s\"} %d\n", drains[i],
				(size_t)b->drain == i);
	fam(s->f, "nodegw_bgp_bird_connected", "gauge", "1 while connected to BIRD's control "
			"socket.");
	fprintf(s->f, "nodegw_bgp_bird_connected %d\n", b->bird_connected);
	fam(s->f, "nodegw_bgp_in_sync", "gauge", "1 when BIRD confirmed the latest decision.");
	fprintf(s->f, "nodegw_bgp_in_sync %d\n", b->in_sync);
	fam(s->f, "nodegw_bgp_prefixes", "gauge", "Prefixes show bgp lists, by why they are "
			"announced (usable) or not.");
	for (unsigned int w = 0; w < NG_BGP_WHY_MAX; w++)
		fprintf(s->f, "nodegw_bgp_prefixes{why=\"%s\"} %u\n", ng_bgp_why_id(w),
				b->by_why[w]);
	fam(s->f, "nodegw_bgp_prefixes_confirmed", "gauge", "Prefixes BIRD confirmed it "
			"announces.");
	fprintf(s->f, "nodegw_bgp_prefixes_confirmed %u\n", b->confirmed);
	fam(s->f, "nodegw_bgp_change_to_bird_seconds", "gauge", "The last change of what to "
			"announce, to BIRD's confirmation.");
	fprintf(s->f, "nodegw_bgp_change_to_bird_seconds %.3f\n", b->last_latency_ms / 1e3);
	fam(s->f, "nodegw_bgp_decisions_total", "counter", "Decisions of what to announce.");
	fprintf(s->f, "nodegw_bgp_decisions_total %" PRIu64 "\n", b->decisions);
	fam(s->f, "nodegw_bgp_bird_configures_total", "counter", "BIRD answers to configure, "
			"by result (refused: a configure or the include check BIRD refused).");
	fprintf(s->f, "nodegw_bgp_bird_configures_total{result=\"ok\"} %" PRIu64 "\n",
			b->configures);
	fprintf(s->f, "nodegw_bgp_bird_configures_total{result=\"refused\"} %" PRIu64 "\n",
			b->configure_errors);
	fam(s->f, "nodegw_bgp_bird_connects_total", "counter", "Connections to BIRD's socket.");
	fprintf(s->f, "nodegw_bgp_bird_connects_total %" PRIu64 "\n", b->connects);
	fam(s->f, "nodegw_bgp_bird_losses_total", "counter", "Connections to BIRD lost or "
			"refused.");
	fprintf(s->f, "nodegw_bgp_bird_losses_total %" PRIu64 "\n", b->losses);
}

static int
http_cb(const struct ng_http_info *in, void *arg)
{
	static const char *const cls[] = {"other", "1xx", "2xx", "3xx", "4xx", "5xx"};
	FILE *f = arg;
	char b[NG_HTTP_NAME_MAX * 2];

	lv(in->name, b, sizeof(b));
	for (int i = 0; i < 6; i++)
		if (in->requests[i] != 0 || i == 2 || i == 5)
			fprintf(f, "nodegw_http_requests_total{server=\"%s\",code=\"%s\"} %" PRIu64 "\n",
					b, cls[i], in->requests[i]);
	return 0;
}

static int
http_conn_cb(const struct ng_http_info *in, void *arg)
{
	FILE *f = arg;
	char b[NG_HTTP_NAME_MAX * 2];

	fprintf(f, "nodegw_http_connections{server=\"%s\"} %u\n", lv(in->name, b, sizeof(b)),
			in->connections);
	return 0;
}

static void
http(struct scrape *s)
{
	fam(s->f, "nodegw_http_requests_total", "counter", "Answers of the control core's HTTP "
			"servers, by status class.");
	ng_http_walk(http_cb, s->f);
	fam(s->f, "nodegw_http_connections", "gauge", "Open connections per HTTP server.");
	ng_http_walk(http_conn_cb, s->f);
}

void
ng_metrics_write(FILE *f)
{
	struct scrape *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return;
	s->f = f;
	s->dp = M.dp;
	s->n_ports = RTE_MIN(ng_port_count(), (unsigned int)NG_STATS_MAX_PORTS);
	s->n_workers = M.dp != NULL ? M.dp->n_workers : 0;
	s->ws = calloc(s->n_workers ? s->n_workers : 1, sizeof(*s->ws));
	if (s->ws == NULL) {
		free(s);
		return;
	}
	for (unsigned int w = 0; w < s->n_workers; w++) {
		ng_dp_worker_stats(M.dp, w, &s->ws[w]);
		ng_dp_worker_ct(M.dp, w, &s->ct[w]);
	}
	ng_svc_ruleset_info(&s->ri);
	ng_health_status(&s->hs);
	ng_k8s_info(&s->k8s);
	ng_bgp_info(&s->bgp);
	fam(f, "nodegw_build_info", "gauge", "nodegw and DPDK versions.");
	fprintf(f, "nodegw_build_info{version=\"%s\",dpdk=\"%s\"} 1\n", NG_VERSION, rte_version());
	ports(s);
	nics(s);
	mbufs(s);
	workers(s);
	conntrack(s);
	services(s);
	ruleset(s);
	health(s);
	k8s(s);
	bgp(s);
	http(s);
	free(s->ws);
	free(s);
}

static void
metrics_handler(void *arg, const char *path, struct ng_http_reply *r)
{
	(void)arg;
	if (strcmp(path, "/metrics") != 0) {
		r->status = 404;
		fprintf(r->body, "404 page not found: /metrics\n");
		return;
	}
	M.scrapes++;
	r->content_type = "text/plain; version=0.0.4; charset=utf-8";
	ng_metrics_write(r->body);
}

int
ng_metrics_init(const struct ng_conf_probes *p, const struct ng_dp *dp, char *err,
		size_t errlen)
{
	M.dp = dp;
	if (!p->metrics.on)
		return 0;
	M.srv = ng_http_listen("metrics", &p->metrics.addr, p->metrics.port, metrics_handler,
			NULL, err, errlen);
	return M.srv != NULL ? 0 : -ENOMEM;
}

void
ng_metrics_fini(void)
{
	ng_http_close(M.srv);
	memset(&M, 0, sizeof(M));
}
