/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One Service plus its EndpointSlices into nodegw services, after
 * kube-proxy's pkg/proxy: endpointslicecache.go (ports map by name and
 * protocol, slices merge, one IP:port kept once) and topology.go
 * (CategorizeEndpoints: ready endpoints, else serving-and-terminating ones;
 * Local policy looks at this node's endpoints only, with the same fallback).
 *
 * Output is deterministic whatever the order of slices and endpoints:
 * frontends are sorted by address (the NodePort frontend last), backends by
 * address and port.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include <rte_byteorder.h>
#include <rte_common.h>

#include "k8s_obj.h"

/** One endpoint of a service port, before selection. */
struct cand {
	struct ng_ip addr;
	uint16_t port;
	bool ready, serving, terminating;
	bool local;       /**< on this node */
	bool topo_ok;     /**< kept by the topology hints (Cluster policy) */
	unsigned int seq; /**< arrival order: the first of equal copies wins */
	const struct ng_k8s_endpoint *ep;
};

/** The kinds of nodegw service one service port makes. */
enum wkind {
	W_INTERNAL = 0, /**< "ns/name:P": clusterIPs */
	W_EXTERNAL,     /**< "ns/name:P/ext": externalIPs, LB IPs, the NodePort */
	W_LB,           /**< "ns/name:P/lb": LB IPs restricted by loadBalancerSourceRanges */
};

/** Fill err with "service NS/NAME: MESSAGE"; returns rc. */
static int __attribute__((format(printf, 5, 6)))
xerr(const struct ng_k8s_service *svc, char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (err == NULL || errlen == 0)
		return rc;
	n = snprintf(err, errlen, "service %s/%s: ", svc->ns, svc->name);
	if (n < 0 || (size_t)n >= errlen)
		return rc;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return rc;
}

static bool
served(const struct ng_k8s_node *node, int family)
{
	return (family == AF_INET && node->ipv4) || (family == AF_INET6 && node->ipv6);
}

/** Order of addresses: IPv4 before IPv6, then numerically. */
static int
ip_cmp(const struct ng_ip *a, const struct ng_ip *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if (a->family == AF_INET) {
		uint32_t x = rte_be_to_cpu_32(a->v4), y = rte_be_to_cpu_32(b->v4);

		return x < y ? -1 : x > y;
	}
	if (a->family == AF_INET6)
		return memcmp(a->v6, b->v6, sizeof(a->v6));
	return 0;
}

static int
fe_cmp(const void *x, const void *y)
{
	const struct ng_frontend *a = x, *b = y;
	int c = ip_cmp(&a->addr, &b->addr);

	return c != 0 ? c : (a->port > b->port) - (a->port < b->port);
}

/** By IP:port; among copies the non-terminating one first, then the first seen. */
static int
cand_cmp(const void *x, const void *y)
{
	const struct cand *a = x, *b = y;
	int c = ip_cmp(&a->addr, &b->addr);

	if (c != 0)
		return c;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	if (a->terminating != b->terminating)
		return a->terminating ? 1 : -1;
	return (a->seq > b->seq) - (a->seq < b->seq);
}

/* ---- endpoints of one service port ---- */

/** The slice's port for this service port (same name and protocol), or 0. */
static uint16_t
slice_port(const struct ng_k8s_slice *sl, const struct ng_k8s_svc_port *sp)
{
	for (unsigned int i = 0; i < sl->n_ports; i++)
		if (sl->ports[i].proto == sp->proto && strcmp(sl->ports[i].name, sp->name) == 0)
			return sl->ports[i].port;
	return 0;
}

/** Does this slice contribute to the service port (served family, port mapped)? */
static uint16_t
slice_use(const struct ng_k8s_slice *sl, const struct ng_k8s_svc_port *sp,
		const struct ng_k8s_node *node)
{
	if (sl == NULL || sl->family == 0 || !served(node, sl->family))
		return 0;
	return slice_port(sl, sp);
}

/**
 * Every endpoint of the service port, merged over slices, one per IP:port,
 * sorted by IP:port. *out is NULL when there are none.
 */
static int
collect(const struct ng_k8s_svc_port *sp, const struct ng_k8s_slice *const *slices,
		unsigned int n_slices, const struct ng_k8s_node *node, struct cand **out,
		unsigned int *n_out)
{
	unsigned int n = 0, k = 0;
	struct cand *c;

	*out = NULL;
	*n_out = 0;
	for (unsigned int i = 0; i < n_slices; i++)
		if (slice_use(slices[i], sp, node) != 0)
			n += slices[i]->n_endpoints;
	if (n == 0)
		return 0;
	c = calloc(n, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	for (unsigned int i = 0; i < n_slices; i++) {
		uint16_t port = slice_use(slices[i], sp, node);

		for (unsigned int j = 0; port != 0 && j < slices[i]->n_endpoints; j++) {
			const struct ng_k8s_endpoint *e = &slices[i]->endpoints[j];

			if (e->addr.family != slices[i]->family)
				continue;
			c[k] = (struct cand){
				.addr = e->addr, .port = port, .ready = e->ready,
				.serving = e->serving, .terminating = e->terminating,
				.local = node->name != NULL && e->node != NULL &&
						strcmp(e->node, node->name) == 0,
				.topo_ok = true, .seq = k, .ep = e,
			};
			k++;
		}
	}
	qsort(c, k, sizeof(*c), cand_cmp);
	n = 0;
	for (unsigned int i = 0; i < k; i++)
		if (n == 0 || ip_cmp(&c[i].addr, &c[n - 1].addr) != 0 || c[i].port != c[n - 1].port)
			c[n++] = c[i];
	*out = c;
	*n_out = n;
	return 0;
}

/* ---- topology (kube-proxy's topology.go) ---- */

static bool
has_name(const char *const *names, unsigned int n, const char *name)
{
	for (unsigned int i = 0; name != NULL && name[0] != '\0' && i < n; i++)
		if (strcmp(names[i], name) == 0)
			return true;
	return false;
}

/** Does e have zone hints (nodes: node hints)? */
static bool
hinted(const struct ng_k8s_endpoint *e, bool nodes)
{
	return e->hints != NULL && (nodes ? e->hints->n_nodes : e->hints->n_zones) > 0;
}

/** Is name among e's zone hints (nodes: node hints)? */
static bool
hinted_for(const struct ng_k8s_endpoint *e, bool nodes, const char *name)
{
	const struct ng_k8s_hints *h = e->hints;

	if (h == NULL)
		return false;
	return nodes ? has_name(h->names + h->n_zones, h->n_nodes, name) :
			has_name(h->names, h->n_zones, name);
}

/**
 * All or nothing: node hints when the service prefers the same node, every
 * ready endpoint has node hints and one names this node; else zone hints when
 * every ready endpoint has zone hints and one names this node's zone.
 */
static enum ng_k8s_topo
topo_mode(const struct ng_k8s_service *svc, const struct cand *c, unsigned int n,
		const struct ng_k8s_node *node)
{
	bool all_node = true, all_zone = true, for_node = false, for_zone = false;

	for (unsigned int i = 0; i < n; i++) {
		const struct ng_k8s_endpoint *e = c[i].ep;

		if (!c[i].ready)
			continue;
		all_zone &= hinted(e, false);
		for_zone |= hinted_for(e, false, node->zone);
		all_node &= hinted(e, true);
		for_node |= hinted_for(e, true, node->name);
	}
	if (svc->traffic_dist == NG_K8S_TD_PREFER_SAME_NODE && all_node && for_node)
		return NG_K8S_TOPO_NODE;
	if (all_zone && for_zone)
		return NG_K8S_TOPO_ZONE;
	return NG_K8S_TOPO_NONE;
}

/** Mark the endpoints the topology keeps for cluster-wide traffic. */
static enum ng_k8s_topo
topo_apply(const struct ng_k8s_service *svc, struct cand *c, unsigned int n,
		const struct ng_k8s_node *node)
{
	enum ng_k8s_topo m = topo_mode(svc, c, n, node);

	for (unsigned int i = 0; i < n; i++) {
		const struct ng_k8s_endpoint *e = c[i].ep;

		c[i].topo_ok = m == NG_K8S_TOPO_NONE || (m == NG_K8S_TOPO_NODE ?
				hinted_for(e, true, node->name) : hinted_for(e, false, node->zone));
	}
	return m;
}

/** Is the endpoint in a policy's scope: this node's (Local), or the topology's (Cluster)? */
static bool
in_scope(const struct cand *c, bool local_only)
{
	return local_only ? c->local : c->topo_ok;
}

/** Ready endpoints serve; with none ready (in the scope), serving-and-terminating ones. */
static bool
use_terminating(const struct cand *c, unsigned int n, bool local_only)
{
	for (unsigned int i = 0; i < n; i++)
		if (in_scope(&c[i], local_only) && c[i].ready)
			return false;
	return true;
}

/** The backends of a policy; be NULL: just count them. */
static unsigned int
select_backends(const struct cand *c, unsigned int n, bool local_only, struct ng_backend *be)
{
	bool term = use_terminating(c, n, local_only);
	unsigned int k = 0;

	for (unsigned int i = 0; i < n; i++) {
		if (!in_scope(&c[i], local_only))
			continue;
		if (term ? !(c[i].serving && c[i].terminating) : !c[i].ready)
			continue;
		if (be != NULL)
			be[k] = (struct ng_backend){
				.addr = c[i].addr, .port = c[i].port, .weight = 1,
			};
		k++;
	}
	return k;
}

/* ---- one nodegw service ---- */

/** The source ranges of the served family into w (its own copy). */
static int
want_ranges(struct ng_k8s_want *w, const struct ng_k8s_service *svc,
		const struct ng_k8s_node *node)
{
	struct ng_prefix *r;
	unsigned int n = 0;

	for (unsigned int i = 0; i < svc->n_src_ranges; i++)
		n += served(node, svc->src_ranges[i].addr.family);
	if (n == 0)
		return 0;
	r = calloc(n, sizeof(*r));
	if (r == NULL)
		return -ENOMEM;
	n = 0;
	for (unsigned int i = 0; i < svc->n_src_ranges; i++)
		if (served(node, svc->src_ranges[i].addr.family))
			r[n++] = svc->src_ranges[i];
	w->spec.src_ranges = r;
	w->spec.n_src_ranges = n;
	return 0;
}

/** Name, spec and backends of a want; local: the policy is Local. */
static int
want_fill(struct ng_k8s_want *w, const struct ng_k8s_service *svc,
		const struct ng_k8s_svc_port *sp, enum wkind kind, bool local, const struct cand *c,
		unsigned int nc, const struct ng_k8s_node *node, char *err, size_t errlen)
{
	static const char *const suffix[] = {[W_INTERNAL] = "", [W_EXTERNAL] = "/ext",
		[W_LB] = "/lb"};
	char pname[NG_K8S_PORTNAME_MAX];
	int len;

	if (sp->name[0] != '\0')
		snprintf(pname, sizeof(pname), "%s", sp->name);
	else
		snprintf(pname, sizeof(pname), "%u", sp->port);
	w->external = kind != W_INTERNAL;
	len = snprintf(w->spec.name, sizeof(w->spec.name), "%s/%s:%s%s%s", svc->ns, svc->name,
			pname, suffix[kind], node->ipv4 ? "" : "/v6");
	if (len < 0 || (size_t)len >= sizeof(w->spec.name))
		return xerr(svc, err, errlen, -EINVAL, "port %s: the nodegw service name would "
				"be %d characters (at most %d)", pname, len, NG_SVC_NAME_MAX - 1);
	if (!ng_svc_name_ok(w->spec.name))
		return xerr(svc, err, errlen, -EINVAL,
				"port %s: \"%s\" is not a valid nodegw service name", pname,
				w->spec.name);
	w->spec.origin = NG_SVC_ORIGIN_K8S;
	w->spec.proto = sp->proto;
	w->spec.scheduler = NG_SCHED_MAGLEV;
	/* DSR keeps the client's address by itself: Local or not, the backend
	 * sees the client and answers it directly */
	w->spec.mode = svc->dsr ? NG_FWD_DSR : local ? NG_FWD_DNAT : NG_FWD_FULLNAT;
	w->spec.affinity = svc->affinity;
	w->spec.affinity_timeout = svc->affinity ? svc->affinity_timeout : 0;
	if (kind == W_LB && want_ranges(w, svc, node) < 0)
		return xerr(svc, err, errlen, -ENOMEM, "out of memory");
	w->n_be = select_backends(c, nc, local, NULL);
	if (w->n_be > 0) {
		w->be = calloc(w->n_be, sizeof(*w->be));
		if (w->be == NULL)
			return xerr(svc, err, errlen, -ENOMEM, "out of memory");
		select_backends(c, nc, local, w->be);
	}
	/* Local: endpoints elsewhere but none here; drop rather than refuse. */
	w->spec.empty_drop = local && w->n_be == 0 && select_backends(c, nc, false, NULL) > 0;
	return 0;
}

/** Frontends of the internal service: the clusterIPs of served families. */
static unsigned int
internal_fe(const struct ng_k8s_service *svc, const struct ng_k8s_svc_port *sp,
		const struct ng_k8s_node *node, struct ng_frontend *fe)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < svc->n_cluster_ips; i++) {
		if (!served(node, svc->cluster_ips[i].family))
			continue;
		fe[n++] = (struct ng_frontend){.addr = svc->cluster_ips[i], .port = sp->port};
	}
	qsort(fe, n, sizeof(*fe), fe_cmp);
	return n;
}

/** Add the addresses of a served family, once each. */
static unsigned int
fe_add_ips(struct ng_frontend *fe, unsigned int n, const struct ng_ip *ips, unsigned int n_ips,
		uint16_t port, const struct ng_k8s_node *node)
{
	for (unsigned int i = 0; i < n_ips; i++) {
		unsigned int j;

		if (!served(node, ips[i].family))
			continue;
		for (j = 0; j < n; j++)
			if (ng_ip_equal(&fe[j].addr, &ips[i]))
				break;
		if (j == n)
			fe[n++] = (struct ng_frontend){.addr = ips[i], .port = port};
	}
	return n;
}

/** Does the service restrict its LB IPs by source (ranges of a served family)? */
static bool
lb_restricted(const struct ng_k8s_service *svc, const struct ng_k8s_node *node)
{
	for (unsigned int i = 0; i < svc->n_src_ranges; i++)
		if (served(node, svc->src_ranges[i].addr.family))
			return true;
	return false;
}

/** Frontends of the restricted LB service: LB IPs that are not also externalIPs. */
static unsigned int
lb_fe(const struct ng_k8s_service *svc, const struct ng_k8s_svc_port *sp,
		const struct ng_k8s_node *node, struct ng_frontend *fe)
{
	unsigned int n = 0;

	if (!lb_restricted(svc, node))
		return 0;
	for (unsigned int i = 0; i < svc->n_lb_ips; i++) {
		bool ext = false;

		for (unsigned int j = 0; j < svc->n_external_ips; j++)
			ext |= ng_ip_equal(&svc->external_ips[j], &svc->lb_ips[i]);
		if (!ext)
			n = fe_add_ips(fe, n, &svc->lb_ips[i], 1, sp->port, node);
	}
	qsort(fe, n, sizeof(*fe), fe_cmp);
	return n;
}

/** Frontends of the external service: externalIPs, LB IPs (unless restricted), the NodePort. */
static unsigned int
external_fe(const struct ng_k8s_service *svc, const struct ng_k8s_svc_port *sp,
		const struct ng_k8s_node *node, struct ng_frontend *fe)
{
	unsigned int n;

	n = fe_add_ips(fe, 0, svc->external_ips, svc->n_external_ips, sp->port, node);
	if (!lb_restricted(svc, node))
		n = fe_add_ips(fe, n, svc->lb_ips, svc->n_lb_ips, sp->port, node);
	qsort(fe, n, sizeof(*fe), fe_cmp);
	if (sp->node_port != 0 &&
			(svc->type == NG_K8S_NODE_PORT || svc->type == NG_K8S_LOAD_BALANCER))
		fe[n++] = (struct ng_frontend){.port = sp->node_port,
			.np_family = node->ipv6 ? AF_INET6 : AF_INET};
	return n;
}

/** Append one want with the frontends in fe (taken over) unless there are none. */
static int
want_add(struct ng_k8s_xlate *out, const struct ng_k8s_service *svc,
		const struct ng_k8s_svc_port *sp, enum wkind kind, struct ng_frontend *fe,
		unsigned int n_fe, const struct cand *c, unsigned int nc,
		const struct ng_k8s_node *node, char *err, size_t errlen)
{
	struct ng_k8s_want *w = &out->want[out->n];

	if (n_fe == 0) {
		free(fe);
		return 0;
	}
	w->fe = fe;
	w->n_fe = n_fe;
	out->n++;
	return want_fill(w, svc, sp, kind, kind == W_INTERNAL ? svc->itp_local : svc->etp_local,
			c, nc, node, err, errlen);
}

/** The internal, external and restricted-LB services of one TCP or UDP port. */
static int
xlate_port(const struct ng_k8s_service *svc, const struct ng_k8s_svc_port *sp,
		const struct ng_k8s_slice *const *slices, unsigned int n_slices,
		const struct ng_k8s_node *node, struct ng_k8s_xlate *out, char *err, size_t errlen)
{
	size_t n_ext = (size_t)svc->n_external_ips + svc->n_lb_ips + 1;
	struct ng_frontend *fe[3] = {NULL, NULL, NULL};
	unsigned int (*fe_of[3])(const struct ng_k8s_service *, const struct ng_k8s_svc_port *,
			const struct ng_k8s_node *, struct ng_frontend *) = {
		[W_INTERNAL] = internal_fe, [W_EXTERNAL] = external_fe, [W_LB] = lb_fe,
	};
	struct cand *c = NULL;
	unsigned int nc;
	int rc = 0;

	fe[W_INTERNAL] = calloc(RTE_MAX(svc->n_cluster_ips, 1u), sizeof(*fe[0]));
	fe[W_EXTERNAL] = calloc(n_ext, sizeof(*fe[0]));
	fe[W_LB] = calloc(n_ext, sizeof(*fe[0]));
	if (fe[0] == NULL || fe[1] == NULL || fe[2] == NULL ||
			collect(sp, slices, n_slices, node, &c, &nc) < 0) {
		for (int k = 0; k < 3; k++)
			free(fe[k]);
		return xerr(svc, err, errlen, -ENOMEM, "out of memory");
	}
	out->topo = topo_apply(svc, c, nc, node);
	/* want_add takes the frontend arrays over, also when it fails. */
	for (int k = W_INTERNAL; k <= W_LB; k++) {
		if (rc == 0)
			rc = want_add(out, svc, sp, (enum wkind)k, fe[k],
					fe_of[k](svc, sp, node, fe[k]), c, nc, node, err, errlen);
		else
			free(fe[k]);
	}
	free(c);
	return rc;
}

static int
ip_qcmp(const void *x, const void *y)
{
	return ip_cmp(x, y);
}

/** Distinct ready endpoint addresses on this node, over the slices of served families. */
static int
local_ready(const struct ng_k8s_slice *const *slices, unsigned int n_slices,
		const struct ng_k8s_node *node, uint32_t *out)
{
	unsigned int n = 0, k = 0;
	struct ng_ip *a;

	*out = 0;
	for (unsigned int i = 0; i < n_slices; i++)
		if (slices[i]->family != 0 && served(node, slices[i]->family))
			n += slices[i]->n_endpoints;
	if (n == 0 || node->name == NULL)
		return 0;
	a = malloc(n * sizeof(*a));
	if (a == NULL)
		return -ENOMEM;
	for (unsigned int i = 0; i < n_slices; i++)
		for (unsigned int j = 0; slices[i]->family != 0 && served(node, slices[i]->family) &&
				j < slices[i]->n_endpoints; j++) {
			const struct ng_k8s_endpoint *e = &slices[i]->endpoints[j];

			if (e->ready && e->node != NULL && strcmp(e->node, node->name) == 0)
				a[k++] = e->addr;
		}
	qsort(a, k, sizeof(*a), ip_qcmp);
	for (unsigned int i = 0; i < k; i++)
		*out += i == 0 || ip_cmp(&a[i], &a[i - 1]) != 0;
	free(a);
	return 0;
}

/*
 * The families of the service this node serves: those of its clusterIPs
 * (ipFamilies, in the API server's order; kube-proxy reads the clusterIPs),
 * each as a node that serves that family alone, so that every step below
 * keeps the addresses, endpoints and ranges of one family.
 */
static unsigned int
svc_families(const struct ng_k8s_service *svc, const struct ng_k8s_node *node,
		struct ng_k8s_node *half)
{
	unsigned int n = 0;

	for (int f = 0; f < 2; f++) {
		int family = f == 0 ? AF_INET : AF_INET6;
		bool has = false;

		for (unsigned int i = 0; i < svc->n_cluster_ips; i++)
			has |= svc->cluster_ips[i].family == family;
		if (!has || !served(node, family))
			continue;
		half[n] = *node;
		half[n].ipv4 = family == AF_INET;
		half[n].ipv6 = family == AF_INET6;
		n++;
	}
	return n;
}

/** Two ports that would give the same nodegw name (invalid Service): refuse. */
static int
check_port_names(const struct ng_k8s_service *svc, char *err, size_t errlen)
{
	for (unsigned int i = 0; i < svc->n_ports; i++)
		for (unsigned int j = 0; j < i; j++) {
			const struct ng_k8s_svc_port *a = &svc->ports[i], *b = &svc->ports[j];

			if (a->proto == IPPROTO_SCTP || b->proto == IPPROTO_SCTP)
				continue;
			if (a->name[0] == '\0' && b->name[0] == '\0' ? a->port == b->port :
					strcmp(a->name, b->name) == 0)
				return xerr(svc, err, errlen, -EINVAL, "spec.ports[%u] and "
						"spec.ports[%u] have the same name", j, i);
		}
	return 0;
}

/*
 * The wants in an array of their number: there is room for three a port and
 * family, and most ports give one (the store keeps the translation of every
 * Service for the next diff: 890 bytes a port of which 296 used). Where the
 * copy cannot be had the larger array is kept.
 */
static void
want_trim(struct ng_k8s_xlate *x, size_t cap)
{
	struct ng_k8s_want *w;

	if (x->n == cap)
		return;
	if (x->n == 0) {
		free(x->want);
		x->want = NULL;
		return;
	}
	w = malloc(x->n * sizeof(*w));
	if (w == NULL)
		return;
	memcpy(w, x->want, x->n * sizeof(*w));
	free(x->want);
	x->want = w;
}

int
ng_k8s_translate(const struct ng_k8s_service *svc, const struct ng_k8s_slice *const *slices,
		unsigned int n_slices, const struct ng_k8s_node *node, struct ng_k8s_xlate *out,
		char *err, size_t errlen)
{
	struct ng_k8s_node half[2];
	unsigned int nf;
	int rc;

	memset(out, 0, sizeof(*out));
	if (node == NULL)
		return xerr(svc, err, errlen, -EINVAL, "no node");
	if (svc->skip != NULL || svc->n_ports == 0)
		return 0;
	rc = check_port_names(svc, err, errlen);
	if (rc < 0)
		return rc;
	nf = svc_families(svc, node, half);
	if (nf == 0)
		return 0;
	out->want = calloc((size_t)svc->n_ports * 3 * nf, sizeof(*out->want));
	if (out->want == NULL)
		return xerr(svc, err, errlen, -ENOMEM, "out of memory");
	for (unsigned int f = 0; f < nf && rc == 0; f++) {
		for (unsigned int i = 0; i < svc->n_ports && rc == 0; i++) {
			const struct ng_k8s_svc_port *sp = &svc->ports[i];

			if (sp->proto == IPPROTO_SCTP)
				out->sctp_ports += f == 0;
			else if (sp->proto == IPPROTO_TCP || sp->proto == IPPROTO_UDP)
				rc = xlate_port(svc, sp, slices, n_slices, &half[f], out, err,
						errlen);
		}
	}
	if (rc < 0) {
		ng_k8s_xlate_free(out);
		return rc;
	}
	want_trim(out, (size_t)svc->n_ports * 3 * nf);
	if (svc->type == NG_K8S_LOAD_BALANCER && svc->etp_local && svc->hc_node_port != 0) {
		out->hc_node_port = svc->hc_node_port;
		if (local_ready(slices, n_slices, node, &out->hc_local_endpoints) < 0) {
			ng_k8s_xlate_free(out);
			return xerr(svc, err, errlen, -ENOMEM, "out of memory");
		}
	}
	return 0;
}

void
ng_k8s_xlate_free(struct ng_k8s_xlate *x)
{
	if (x == NULL)
		return;
	for (unsigned int i = 0; i < x->n && x->want != NULL; i++) {
		free(x->want[i].fe);
		free(x->want[i].be);
		free((void *)(uintptr_t)x->want[i].spec.src_ranges);
	}
	free(x->want);
	memset(x, 0, sizeof(*x));
}
