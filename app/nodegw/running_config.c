/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * "show running-config": the current state as a config file the loader
 * accepts, so that loading it reproduces the state.
 */
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <rte_log.h>

#include "cli.h"
#include "ng_log.h"
#include "port.h"
#include "running_config.h"
#include "svc.h"

struct rc_ctx {
	FILE *s;
	unsigned int n;
};

static int
route_cb(const struct ng_route_info *r, void *arg)
{
	struct rc_ctx *x = arg;
	char p[NG_IP_STRLEN + 4], gw[NG_IP_STRLEN];

	if (r->origin != NG_RT_STATIC)
		return 0;
	fprintf(x->s, "%s\t{ prefix = \"%s\"; via = \"%s\"; port = \"%s\"; }",
			x->n ? ",\n" : "", ng_prefix_fmt(&r->prefix, p, sizeof(p)),
			ng_ip_fmt(&r->gw, gw, sizeof(gw)), ng_port_name(r->port));
	x->n++;
	return 0;
}

static int
neigh_cb(const struct ng_neigh_info *n, void *arg)
{
	struct rc_ctx *x = arg;
	char a[NG_IP_STRLEN], mac[RTE_ETHER_ADDR_FMT_SIZE];

	if (n->state != NG_NEIGH_STATIC)
		return 0;
	rte_ether_format_addr(mac, sizeof(mac), &n->mac);
	for (char *c = mac; *c; c++)
		if (*c >= 'A' && *c <= 'F')
			*c = (char)(*c - 'A' + 'a');
	fprintf(x->s, "%s\t{ address = \"%s\"; mac = \"%s\"; port = \"%s\"; }", x->n ? ",\n" :
			"", ng_ip_fmt(&n->addr, a, sizeof(a)), mac, ng_port_name(n->port));
	x->n++;
	return 0;
}

/* The timeouts group's lines: every key (all), or those not 0 (a service's own). */
static void
timeouts(FILE *s, const char *indent, const struct ng_ct_timeouts *t, bool all)
{
	for (unsigned int i = 0; i < NG_CT_TIMEOUT_FIELDS; i++)
		if (all || ng_ct_timeout_get(t, i) != 0)
			fprintf(s, "%s%s = %u;\n", indent, ng_ct_timeout_fields[i].key,
					ng_ct_timeout_get(t, i));
}

static int
svc_cb(const struct ng_svc_view *v, void *arg)
{
	struct rc_ctx *x = arg;
	const struct ng_svc_spec *sp = v->spec;
	const struct ng_ct_timeouts *t = &sp->timeouts;
	unsigned int n_vip = 0, vport = 0, nport = 0;
	uint8_t np_family = 0;
	char a[NG_IP_STRLEN];

	/* Services from the Kubernetes API are not configuration. */
	if (sp->origin != NG_SVC_ORIGIN_LOCAL)
		return 0;

	for (unsigned int i = 0; i < v->n_frontends; i++) {
		if (v->frontends[i].addr.family == 0) {
			nport = v->frontends[i].port;
			np_family = v->frontends[i].np_family;
		} else {
			vport = v->frontends[i].port;
			n_vip++;
		}
	}
	if (n_vip == 0 && nport == 0) {
		fprintf(x->s, "%s\t# service \"%s\" has no frontend yet: a config cannot "
				"hold it", x->n ? ",\n" : "", sp->name);
		return 0;
	}
	/* the loader gives a node_port the family of the VIPs, backends or ranges */
	if (n_vip == 0 && np_family == AF_INET6 && v->n_backends == 0 && sp->n_src_ranges == 0) {
		fprintf(x->s, "%s\t# service \"%s\" has an IPv6 node port and no backend yet: a "
				"config cannot hold it", x->n ? ",\n" : "", sp->name);
		return 0;
	}
	fprintf(x->s, "%s\t{\n\t\tname = \"%s\";\n\t\tprotocol = \"%s\";\n", x->n ? ",\n" :
			"", sp->name, sp->proto == IPPROTO_TCP ? "tcp" : "udp");
	x->n++;
	if (n_vip > 0) {
		unsigned int k = 0;

		fprintf(x->s, "\t\tport = %u;\n\t\tvips = [", vport);
		for (unsigned int i = 0; i < v->n_frontends; i++)
			if (v->frontends[i].addr.family != 0)
				fprintf(x->s, "%s\"%s\"", k++ ? ", " : "",
						ng_ip_fmt(&v->frontends[i].addr, a, sizeof(a)));
		fprintf(x->s, "];\n");
	} else {
		fprintf(x->s, "\t\tport = %u;\n", nport);
	}
	if (nport)
		fprintf(x->s, "\t\tnode_port = %u;\n", nport);
	fprintf(x->s, "\t\tscheduler = \"%s\";\n\t\tmode = \"%s\";\n",
			ng_sched_name(sp->scheduler), ng_fwd_mode_name(sp->mode));
	if (sp->affinity)
		fprintf(x->s, "\t\taffinity = \"client-ip\";\n\t\taffinity_timeout = %u;\n",
				sp->affinity_timeout ? sp->affinity_timeout :
				NG_AFFINITY_TIMEOUT_DEFAULT);
	if (memcmp(t, &(struct ng_ct_timeouts){0}, sizeof(*t)) != 0) {
		fprintf(x->s, "\t\ttimeouts = {\n");
		timeouts(x->s, "\t\t\t", t, false);
		fprintf(x->s, "\t\t};\n");
	}
	if (sp->n_src_ranges > 0) {
		fprintf(x->s, "\t\tsource_ranges = [");
		for (unsigned int i = 0; i < sp->n_src_ranges; i++)
			fprintf(x->s, "%s\"%s\"", i ? ", " : "",
					ng_prefix_fmt(&sp->src_ranges[i], a, sizeof(a)));
		fprintf(x->s, "];\n");
	}
	fprintf(x->s, "\t\tbackends = (");
	for (unsigned int i = 0; i < v->n_backends; i++)
		fprintf(x->s, "%s\n\t\t\t{ address = \"%s\"; port = %u; weight = %u; }",
				i ? "," : "", ng_ip_fmt(&v->backends[i].addr, a, sizeof(a)),
				v->backends[i].port, v->backends[i].weight);
	fprintf(x->s, "%s);\n\t}", v->n_backends ? "\n\t\t" : "");
	return 0;
}

static void
k8s_str(FILE *s, const char *key, const char *v)
{
	if (v[0] != '\0')
		fprintf(s, "\t%s = \"%s\";\n", key, v);
}

static void
k8s_section(FILE *s, const struct ng_conf_k8s *k)
{
	if (!k->enabled && k->line == 0)
		return;
	fprintf(s, "\nkubernetes = {\n\tenabled = %s;\n", k->enabled ? "true" : "false");
	k8s_str(s, "server", k->server);
	k8s_str(s, "token_file", k->token_file);
	k8s_str(s, "ca_file", k->ca_file);
	k8s_str(s, "client_cert", k->client_cert);
	k8s_str(s, "client_key", k->client_key);
	k8s_str(s, "node_name", k->node_name);
	fprintf(s, "\tinsecure_skip_tls_verify = %s;\n\twatch_timeout_s = %u;\n"
			"\tpage_size = %u;\n\tbackoff_ms = %u;\n\tbackoff_max_ms = %u;\n"
			"\ttoken_reread_s = %u;\n};\n", k->insecure ? "true" : "false",
			k->watch_timeout_s, k->page_size, k->backoff_ms, k->backoff_max_ms,
			k->token_reread_s);
}

static void
bind_fmt(const struct ng_conf_bind *b, char *buf, size_t len)
{
	char a[NG_IP_STRLEN];

	if (!b->on)
		snprintf(buf, len, "%s", "");
	else
		snprintf(buf, len, b->addr.family == AF_INET6 ? "[%s]:%u" : "%s:%u",
				ng_ip_fmt(&b->addr, a, sizeof(a)), b->port);
}

static void
probes_section(FILE *s, const struct ng_conf *c)
{
	const struct ng_conf_nodeport *np = &c->nodeport;
	char h[NG_IP_STRLEN + 8], m[NG_IP_STRLEN + 8], a[NG_IP_STRLEN + 4];

	bind_fmt(&c->probes.healthz, h, sizeof(h));
	bind_fmt(&c->probes.metrics, m, sizeof(m));
	fprintf(s, "\nprobes = {\n\thealthz_bind_address = \"%s\";\n\tmetrics_bind_address = "
			"\"%s\";\n\thealth_check_address = \"%s\";\n\tstale_after_ms = %u;\n};\n", h,
			m, ng_ip_fmt(&c->probes.health_check_addr, a, sizeof(a)),
			c->probes.stale_after_ms);
	if (!np->set)
		return;
	fprintf(s, "node_port_addresses = [%s", np->primary ? "\"primary\"" : "");
	for (unsigned int i = 0; i < np->n_prefixes; i++)
		fprintf(s, "%s\"%s\"", i || np->primary ? ", " : "",
				ng_prefix_fmt(&np->prefixes[i], a, sizeof(a)));
	fprintf(s, "];\n");
}

/* Only when configured: without the section nothing is announced. */
static void
bgp_section(FILE *s, const struct ng_conf_bgp *b)
{
	char buf[NG_IP_STRLEN];
	bool first = true;

	if (!b->enabled)
		return;
	fprintf(s, "\nbgp = {\n\tbird_socket = \"%s\";\n\troutes_file = \"%s\";\n"
			"\tprotocol = \"%s\";\n\tinterface = \"%s\";\n\tannounce = [",
			b->bird_socket, b->routes_file, b->protocol, b->interface);
	for (uint32_t bit = 1; bit & NG_BGP_KIND_ANNOUNCE_ALL; bit <<= 1)
		if (b->announce & bit) {
			fprintf(s, "%s\"%s\"", first ? "" : ", ", ng_bgp_kind_name(bit));
			first = false;
		}
	fprintf(s, "];\n\tservice_cidrs = [");
	for (unsigned int i = 0; i < b->n_service_cidrs; i++)
		fprintf(s, "%s\"%s\"", i ? ", " : "",
				ng_prefix_fmt(&b->service_cidrs[i], buf, sizeof(buf)));
	fprintf(s, "];\n\tstop_wait_ms = %u;\n\ttimeout_ms = %u;\n\tretry_ms = %u;\n};\n",
			b->stop_wait_ms, b->timeout_ms, b->retry_ms);
}

void
ng_running_config(FILE *s, const struct ng_conf *c, struct ng_fib *fib,
		struct ng_neigh_table *neigh)
{
	struct rc_ctx x = {.s = s};
	char buf[NG_IP_STRLEN + 4];
	int lvl = rte_log_get_level(ng_logtype[NG_LOGT_MAIN]);

	fprintf(s, "# nodegw %s running configuration\n", NG_VERSION);
	fprintf(s, "log_level = \"%s\";\nforwarding = %s;\n\n",
			ng_log_level_name(lvl < 0 ? c->log_level : (uint32_t)lvl),
			c->forwarding ? "true" : "false");
	fprintf(s, "workers = {\n");
	if (c->workers.n_lcores > 0) {
		fprintf(s, "\tlcores = [");
		for (unsigned int i = 0; i < c->workers.n_lcores; i++)
			fprintf(s, "%s%u", i ? ", " : "", c->workers.lcores[i]);
		fprintf(s, "];\n");
	}
	fprintf(s, "\tburst = %u;\n\tidle_sleep_us = %u;\n\tidle_polls = %u;\n};\n\n",
			c->workers.burst, c->workers.idle_sleep_us, c->workers.idle_polls);
	fprintf(s, "mempool = { mbufs = %u; cache = %u; };\n", c->mempool.mbufs,
			c->mempool.cache);
	fprintf(s, "arp = { reachable_s = %u; retry_ms = %u; retries = %u; pending_max = %u; "
			"max_entries = %u; };\n", c->arp.reachable_s, c->arp.retry_ms,
			c->arp.retries,
			c->arp.pending_max, c->arp.max_entries);
	fprintf(s, "icmp = { rate_pps = %u; fragment = %s; };\n", c->icmp.rate_pps,
			c->icmp.fragment ? "true" : "false");
	fprintf(s, "reassembly = { enabled = %s; max_datagrams = %u; max_fragments = %u; "
			"max_held = %u; timeout_ms = %u; };\n",
			c->reassembly.enabled ? "true" : "false", c->reassembly.max_datagrams,
			c->reassembly.max_fragments, c->reassembly.max_held, c->reassembly.timeout_ms);
	fprintf(s, "cli = { address = \"%s\"; port = %u; idle_timeout_s = %u; };\n",
			c->cli.address, c->cli.port, c->cli.idle_timeout_s);
	fprintf(s, "nat = { port_min = %u; port_max = %u; };\n", c->nat.port_min,
			c->nat.port_max);
	fprintf(s, "conntrack = {\n\tmax_entries = %u;\n\ttimeouts = {\n",
			c->conntrack.max_entries);
	timeouts(s, "\t\t", &c->conntrack.timeouts, true);
	fprintf(s, "\t};\n};\n\nports = (\n");
	for (unsigned int i = 0; i < c->n_ports; i++) {
		const struct ng_conf_port *p = &c->ports[i];

		fprintf(s, "\t{\n\t\tname = \"%s\";\n\t\tdevargs = \"%s\";\n\t\taddresses = [",
				p->name, p->devargs);
		for (unsigned int j = 0; j < p->n_addrs; j++)
			fprintf(s, "%s\"%s\"", j ? ", " : "",
					ng_prefix_fmt(&p->addrs[j], buf, sizeof(buf)));
		fprintf(s, "];\n\t\tmtu = %u;\n\t\trx_queues = %u;\n\t\trx_desc = %u;\n"
				"\t\ttx_desc = %u;\n", p->mtu, p->rx_queues, p->rx_desc, p->tx_desc);
		if (p->n_fullnat > 0) {
			char a[NG_IP_STRLEN];

			fprintf(s, "\t\tfullnat_addresses = [");
			for (unsigned int j = 0; j < p->n_fullnat; j++)
				fprintf(s, "%s\"%s\"", j ? ", " : "",
						ng_ip_fmt(&p->fullnat[j], a, sizeof(a)));
			fprintf(s, "];\n");
		}
		if (p->kernel.enabled)
			fprintf(s, "\t\tkernel = { name = \"%s\"; backend = \"%s\"; addresses = %s; "
					"rate_pps = %u; burst = %u; queue_size = %u; };\n",
					p->kernel.name, ng_twin_backend_name(p->kernel.backend),
					p->kernel.addresses ? "true" : "false", p->kernel.rate_pps,
					p->kernel.burst, p->kernel.queue_size);
		fprintf(s, "\t}%s\n", i + 1 < c->n_ports ? "," : "");
	}
	fprintf(s, ");\n\nroutes = (\n");
	ng_fib_walk(fib, route_cb, &x);
	fprintf(s, "%s);\n\nneighbours = (\n", x.n ? "\n" : "");
	x.n = 0;
	ng_neigh_walk(neigh, neigh_cb, &x);
	fprintf(s, "%s);\n\nservices = (\n", x.n ? "\n" : "");
	x.n = 0;
	ng_svc_walk(svc_cb, &x);
	fprintf(s, "%s);\n", x.n ? "\n" : "");
	k8s_section(s, &c->k8s);
	probes_section(s, c);
	bgp_section(s, &c->bgp);
}
