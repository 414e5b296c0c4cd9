/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * JSON decoders for core/v1 Service, discovery.k8s.io/v1 EndpointSlice, List
 * responses and watch events, as the API server emits them.
 *
 * Conventions, as Go's encoding/json sees them: a member set to null is the
 * same as an absent one; unknown members are ignored; a member of the wrong
 * JSON type is an error naming the member ("spec.ports[1].port: not a
 * number"). Every error message starts with the object ("service
 * default/web: ") once its metadata has been read.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include <rte_common.h>

#include "k8s_obj.h"

/** Longest member path in an error message ("spec.ports[12].nodePort"). */
#define PATH_MAX_LEN 128
/** Longest piece of a bad value quoted in an error message. */
#define SHOW_MAX 64

/** What a decoder is reading: names the object in error messages. */
struct jctx {
	const char *kind; /**< "service", "endpointslice", "list", ... */
	const char *ns;   /**< metadata.namespace once read, else NULL */
	const char *name; /**< metadata.name once read, else NULL */
	char *err;
	size_t errlen;
	bool nomem;       /**< an allocation failed: the decoder returns -ENOMEM */
};

/* ---- errors ---- */

/**
 * Fill the error buffer with "KIND NS/NAME: PATH: MESSAGE" (the parts known
 * so far) and return -EINVAL.
 */
static int __attribute__((format(printf, 3, 4)))
jerr(struct jctx *c, const char *path, const char *fmt, ...)
{
	char msg[320];
	char who[NG_K8S_NS_MAX + NG_K8S_NAME_MAX + 40];
	va_list ap;

	if (c->err == NULL || c->errlen == 0)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->name != NULL && c->name[0] != '\0' && c->ns != NULL && c->ns[0] != '\0')
		snprintf(who, sizeof(who), "%s %s/%s", c->kind, c->ns, c->name);
	else if (c->name != NULL && c->name[0] != '\0')
		snprintf(who, sizeof(who), "%s %s", c->kind, c->name);
	else
		snprintf(who, sizeof(who), "%s", c->kind);
	if (path != NULL && path[0] != '\0')
		snprintf(c->err, c->errlen, "%s: %s: %s", who, path, msg);
	else
		snprintf(c->err, c->errlen, "%s: %s", who, msg);
	return -EINVAL;
}

static int
jnomem(struct jctx *c)
{
	c->nomem = true;
	jerr(c, NULL, "out of memory");
	return -ENOMEM;
}

/** A bad value made safe to quote: at most SHOW_MAX bytes, no control bytes or quotes. */
static const char *
show(const char *s, char buf[SHOW_MAX + 4])
{
	size_t i;

	for (i = 0; s[i] != '\0' && i < SHOW_MAX; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == '"' || s[i] == 0x7f ? '?' : s[i];
	if (s[i] != '\0') {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}

/*
 * Member paths are built for every member and array element a decode reads
 * (a nested decoder names its place in its errors), so they are joined by
 * hand: vsnprintf() of each was 5.6% of the control core's CPU during a
 * 20,000-Service sync.
 */

/** parts[0..n-1] joined; a path too long for the buffer ends in "...". */
static const char *
path_cat(char buf[PATH_MAX_LEN], const char *const *parts, unsigned int n)
{
	size_t len = 0;

	for (unsigned int k = 0; k < n; k++) {
		size_t l = strlen(parts[k]);

		if (l > PATH_MAX_LEN - 1 - len) {
			memcpy(buf + len, parts[k], PATH_MAX_LEN - 1 - len);
			memcpy(buf + PATH_MAX_LEN - 4, "...", 4);
			return buf;
		}
		memcpy(buf + len, parts[k], l);
		len += l;
	}
	buf[len] = '\0';
	return buf;
}

/** "parent.key", or "key" at the top. */
static const char *
join(char buf[PATH_MAX_LEN], const char *parent, const char *key)
{
	const char *parts[3] = {parent, ".", key};

	if (parent == NULL || parent[0] == '\0')
		return path_cat(buf, &key, 1);
	return path_cat(buf, parts, 3);
}

/** "parent[i]". */
static const char *
index_path(char buf[PATH_MAX_LEN], const char *parent, unsigned int i)
{
	char num[12], *d = num + sizeof(num) - 1;
	const char *parts[4] = {parent, "[", NULL, "]"};

	*d = '\0';
	do {
		*--d = (char)('0' + i % 10);
		i /= 10;
	} while (i != 0);
	parts[2] = d;
	return path_cat(buf, parts, 4);
}

/* ---- typed members (null counts as absent) ---- */

static const cJSON *
member(const cJSON *obj, const char *key)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, key);

	return m == NULL || cJSON_IsNull(m) ? NULL : m;
}

/** The JSON types a member can be asked for. */
enum jtype { J_STRING, J_NUMBER, J_BOOL, J_OBJECT, J_ARRAY };

static bool
is_type(const cJSON *v, enum jtype t)
{
	switch (t) {
	case J_STRING:
		return cJSON_IsString(v);
	case J_NUMBER:
		return cJSON_IsNumber(v);
	case J_BOOL:
		return cJSON_IsBool(v);
	case J_OBJECT:
		return cJSON_IsObject(v);
	case J_ARRAY:
		return cJSON_IsArray(v);
	}
	return false;
}

/** Fails with "PATH: not a string" (and so on) when v is not of type t. */
static int
want_type(struct jctx *c, const char *path, const cJSON *v, enum jtype t)
{
	static const char *const what[] = {
		[J_STRING] = "a string", [J_NUMBER] = "a number", [J_BOOL] = "a boolean",
		[J_OBJECT] = "an object", [J_ARRAY] = "an array",
	};

	return is_type(v, t) ? 0 : jerr(c, path, "not %s", what[t]);
}

/** A member of JSON type t, or NULL when absent. */
static int
get_typed(struct jctx *c, const cJSON *obj, const char *parent, const char *key, enum jtype t,
		const cJSON **out)
{
	const cJSON *m = member(obj, key);
	char path[PATH_MAX_LEN];

	*out = m;
	/* The path only for the error. */
	if (m != NULL && !is_type(m, t)) {
		*out = NULL;
		return want_type(c, join(path, parent, key), m, t);
	}
	return 0;
}

/** A string member, or NULL when absent. */
static int
get_str(struct jctx *c, const cJSON *obj, const char *parent, const char *key,
		const char **out)
{
	const cJSON *m;
	int rc = get_typed(c, obj, parent, key, J_STRING, &m);

	*out = m != NULL ? m->valuestring : NULL;
	return rc;
}

static int
get_obj(struct jctx *c, const cJSON *obj, const char *parent, const char *key,
		const cJSON **out)
{
	return get_typed(c, obj, parent, key, J_OBJECT, out);
}

static int
get_arr(struct jctx *c, const cJSON *obj, const char *parent, const char *key,
		const cJSON **out)
{
	return get_typed(c, obj, parent, key, J_ARRAY, out);
}

/** A boolean member, or dflt when absent. */
static int
get_bool(struct jctx *c, const cJSON *obj, const char *parent, const char *key,
		bool dflt, bool *out)
{
	const cJSON *m;
	int rc = get_typed(c, obj, parent, key, J_BOOL, &m);

	*out = m != NULL ? cJSON_IsTrue(m) : dflt;
	return rc;
}

/** An integer in [lo, hi]; *out keeps its value when absent. */
static int
get_int(struct jctx *c, const cJSON *obj, const char *parent, const char *key,
		long lo, long hi, long *out)
{
	const cJSON *m = member(obj, key);
	char path[PATH_MAX_LEN];
	double v;

	if (m == NULL)
		return 0;
	if (!cJSON_IsNumber(m))
		return want_type(c, join(path, parent, key), m, J_NUMBER);
	v = m->valuedouble;
	if (!isfinite(v) || v != floor(v))
		return jerr(c, join(path, parent, key), "%g is not an integer", v);
	if (v < (double)lo || v > (double)hi)
		return jerr(c, join(path, parent, key), "%.0f is out of range %ld..%ld", v, lo,
				hi);
	*out = (long)v;
	return 0;
}

/** Copy a string that must fit in size bytes. */
static int
copy_str(struct jctx *c, const char *parent, const char *key, const char *s, char *dst,
		size_t size)
{
	char path[PATH_MAX_LEN];
	size_t n = strlen(s);

	if (n >= size)
		return jerr(c, join(path, parent, key), "longer than %zu characters", size - 1);
	memcpy(dst, s, n + 1);
	return 0;
}

/** Copy at most size - 1 bytes, not cutting a UTF-8 sequence in two. */
static void
copy_trunc(char *dst, size_t size, const char *s)
{
	size_t n = strlen(s);

	if (n >= size) {
		n = size - 1;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/**
 * Parse an address of the given family (0: either).
 * Error: "PATH: "1.2.3" is not an IP address".
 */
static int
parse_ip(struct jctx *c, const char *path, const char *s, int family, struct ng_ip *out)
{
	char shown[SHOW_MAX + 4];

	if (ng_ip_parse(s, out) == 0 && (family == 0 || out->family == family))
		return 0;
	memset(out, 0, sizeof(*out));
	return jerr(c, path, "\"%s\" is not an %s address", show(s, shown),
			family == AF_INET ? "IPv4" : family == AF_INET6 ? "IPv6" : "IP");
}

/** An array element that must be a string. */
static int
elem_str(struct jctx *c, const char *path, const cJSON *v, const char **out)
{
	*out = NULL;
	if (want_type(c, path, v, J_STRING) < 0)
		return -EINVAL;
	*out = v->valuestring;
	return 0;
}

/** protocol: "TCP" (also when absent), "UDP" or "SCTP". */
static int
get_proto(struct jctx *c, const cJSON *obj, const char *parent, uint8_t *out)
{
	char path[PATH_MAX_LEN], shown[SHOW_MAX + 4];
	const char *p;

	if (get_str(c, obj, parent, "protocol", &p) < 0)
		return -EINVAL;
	if (p == NULL || strcmp(p, "TCP") == 0)
		*out = IPPROTO_TCP;
	else if (strcmp(p, "UDP") == 0)
		*out = IPPROTO_UDP;
	else if (strcmp(p, "SCTP") == 0)
		*out = IPPROTO_SCTP;
	else
		return jerr(c, join(path, parent, "protocol"), "unknown protocol \"%s\"",
				show(p, shown));
	return 0;
}

/** Map a string member onto one of names[] (index returned in *out); absent keeps *out. */
static int
get_enum(struct jctx *c, const cJSON *obj, const char *parent, const char *key,
		const char *const *names, unsigned int n, unsigned int *out)
{
	char path[PATH_MAX_LEN], shown[SHOW_MAX + 4];
	const char *s;

	if (get_str(c, obj, parent, key, &s) < 0)
		return -EINVAL;
	if (s == NULL)
		return 0;
	for (unsigned int i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = i;
			return 0;
		}
	return jerr(c, join(path, parent, key), "unknown value \"%s\"", show(s, shown));
}

/* ---- metadata ---- */

/**
 * metadata.namespace, .name and .resourceVersion of obj (parent: obj's path,
 * "" at the top). Absent ones give "". Sets c->ns and c->name.
 */
static int
meta_read(struct jctx *c, const cJSON *obj, const char *parent, char ns[NG_K8S_NS_MAX],
		char name[NG_K8S_NAME_MAX], char rv[NG_K8S_RV_MAX], const cJSON **labels)
{
	char path[PATH_MAX_LEN];
	const cJSON *meta;
	const char *s;

	ns[0] = name[0] = rv[0] = '\0';
	if (labels != NULL)
		*labels = NULL;
	if (!cJSON_IsObject(obj))
		return jerr(c, parent, "not a JSON object");
	if (get_obj(c, obj, parent, "metadata", &meta) < 0)
		return -EINVAL;
	join(path, parent, "metadata");
	if (get_str(c, meta, path, "namespace", &s) < 0 ||
			(s != NULL && copy_str(c, path, "namespace", s, ns, NG_K8S_NS_MAX) < 0))
		return -EINVAL;
	if (get_str(c, meta, path, "name", &s) < 0 ||
			(s != NULL && copy_str(c, path, "name", s, name, NG_K8S_NAME_MAX) < 0))
		return -EINVAL;
	c->ns = ns;
	c->name = name;
	if (get_str(c, meta, path, "resourceVersion", &s) < 0 || (s != NULL &&
			copy_str(c, path, "resourceVersion", s, rv, NG_K8S_RV_MAX) < 0))
		return -EINVAL;
	if (labels != NULL && get_obj(c, meta, path, "labels", labels) < 0)
		return -EINVAL;
	return 0;
}

/**
 * Keep the n strings in[] (metadata read into arrays of the limits' sizes)
 * in one allocation of their exact size: *out[i] points at in[i]'s copy,
 * *out[0] at the allocation, which the object's free function releases.
 */
static int
meta_keep(struct jctx *c, unsigned int n, const char *const in[], const char **const out[])
{
	size_t total = 0;
	char *b;

	for (unsigned int i = 0; i < n; i++)
		total += strlen(in[i]) + 1;
	b = malloc(total);
	if (b == NULL)
		return jnomem(c);
	for (unsigned int i = 0; i < n; i++) {
		size_t len = strlen(in[i]) + 1;

		memcpy(b, in[i], len);
		*out[i] = b;
		b += len;
	}
	return 0;
}

/** A namespaced object needs both its namespace and its name. */
static int
meta_required(struct jctx *c, const char *ns, const char *name)
{
	if (name[0] == '\0')
		return jerr(c, "metadata.name", "missing");
	if (ns[0] == '\0')
		return jerr(c, "metadata.namespace", "missing");
	return 0;
}

int
ng_k8s_meta_decode(const cJSON *obj, char ns[NG_K8S_NS_MAX], char name[NG_K8S_NAME_MAX],
		char rv[NG_K8S_RV_MAX], char *err, size_t errlen)
{
	struct jctx c = {.kind = "object", .err = err, .errlen = errlen};

	return meta_read(&c, obj, "", ns, name, rv, NULL);
}

/** Decodes the element at path into out (zeroed); arg as given to decode_array(). */
typedef int (*elem_fn)(struct jctx *c, const char *path, const cJSON *e, void *out,
		void *arg);

/**
 * parent.key, an array (absent, null or empty: nothing), decoded element by
 * element into a new zeroed array of esize-byte entries. *n_out counts every
 * entry at once, so that the object's free function releases a partly
 * decoded array.
 */
static int
decode_array(struct jctx *c, const cJSON *obj, const char *parent, const char *key,
		size_t esize, void **out, unsigned int *n_out, elem_fn fn, void *arg)
{
	char base[PATH_MAX_LEN], path[PATH_MAX_LEN];
	const cJSON *arr, *e;
	unsigned int i = 0;
	int size;

	if (get_arr(c, obj, parent, key, &arr) < 0)
		return -EINVAL;
	size = cJSON_GetArraySize(arr);
	if (arr == NULL || size == 0)
		return 0;
	*out = calloc((size_t)size, esize);
	if (*out == NULL)
		return jnomem(c);
	*n_out = (unsigned int)size;
	join(base, parent, key);
	cJSON_ArrayForEach(e, arr) {
		index_path(path, base, i);
		if (fn(c, path, e, (char *)*out + (size_t)i * esize, arg) < 0)
			return -EINVAL;
		i++;
	}
	return 0;
}

/* ---- Service ---- */

/** An element of an array of address strings (spec.externalIPs). */
static int
ip_elem(struct jctx *c, const char *path, const cJSON *e, void *out, void *arg __rte_unused)
{
	const char *s;

	if (elem_str(c, path, e, &s) < 0)
		return -EINVAL;
	return parse_ip(c, path, s, 0, out);
}

/** spec.clusterIPs when present, else spec.clusterIP; "None" and "" skipped. */
static int
svc_cluster_ips(struct jctx *c, const cJSON *spec, struct ng_k8s_service *out,
		bool *headless)
{
	char path[PATH_MAX_LEN];
	const cJSON *arr, *v;
	unsigned int i = 0;
	const char *cip, *s;

	if (get_str(c, spec, "spec", "clusterIP", &cip) < 0 ||
			get_arr(c, spec, "spec", "clusterIPs", &arr) < 0)
		return -EINVAL;
	if (arr != NULL && cJSON_GetArraySize(arr) > 0) {
		cJSON_ArrayForEach(v, arr) {
			index_path(path, "spec.clusterIPs", i++);
			if (elem_str(c, path, v, &s) < 0)
				return -EINVAL;
			if (s[0] == '\0' || strcmp(s, "None") == 0)
				continue;
			if (out->n_cluster_ips == RTE_DIM(out->cluster_ips))
				return jerr(c, "spec.clusterIPs", "more than 2 addresses");
			if (parse_ip(c, path, s, 0, &out->cluster_ips[out->n_cluster_ips]) < 0)
				return -EINVAL;
			out->n_cluster_ips++;
		}
		if (out->n_cluster_ips == 2 &&
				out->cluster_ips[0].family == out->cluster_ips[1].family)
			return jerr(c, "spec.clusterIPs", "two addresses of the same family");
	} else if (cip != NULL && cip[0] != '\0' && strcmp(cip, "None") != 0) {
		if (parse_ip(c, "spec.clusterIP", cip, 0, &out->cluster_ips[0]) < 0)
			return -EINVAL;
		out->n_cluster_ips = 1;
	}
	*headless = out->n_cluster_ips == 0 ||
			(cip != NULL && (cip[0] == '\0' || strcmp(cip, "None") == 0));
	return 0;
}

/** One element of spec.ports. */
static int
svc_port(struct jctx *c, const char *path, const cJSON *p, void *o, void *arg)
{
	struct ng_k8s_svc_port *out = o;
	long port = 0, node_port = 0;
	const char *name;

	(void)arg;
	if (want_type(c, path, p, J_OBJECT) < 0)
		return -EINVAL;
	if (get_str(c, p, path, "name", &name) < 0 ||
			(name != NULL && copy_str(c, path, "name", name, out->name,
					sizeof(out->name)) < 0))
		return -EINVAL;
	if (get_proto(c, p, path, &out->proto) < 0)
		return -EINVAL;
	if (member(p, "port") == NULL) {
		char mpath[PATH_MAX_LEN];

		return jerr(c, join(mpath, path, "port"), "missing");
	}
	if (get_int(c, p, path, "port", NG_L4_PORT_MIN, NG_L4_PORT_MAX, &port) < 0 ||
			get_int(c, p, path, "nodePort", 0, NG_L4_PORT_MAX, &node_port) < 0)
		return -EINVAL;
	out->port = (uint16_t)port;
	out->node_port = (uint16_t)node_port;
	return 0;
}

static int
svc_ports(struct jctx *c, const cJSON *spec, struct ng_k8s_service *out)
{
	void *ports = NULL;
	int rc = decode_array(c, spec, "spec", "ports", sizeof(*out->ports), &ports,
			&out->n_ports, svc_port, NULL);

	out->ports = ports;
	return rc;
}

/** spec.sessionAffinity and its timeout. */
static int
svc_affinity(struct jctx *c, const cJSON *spec, struct ng_k8s_service *out)
{
	static const char *const values[] = {"None", "ClientIP"};
	const char *path = "spec.sessionAffinityConfig.clientIP";
	const cJSON *cfg, *cip;
	unsigned int v = 0;
	long tmo = NG_AFFINITY_TIMEOUT_DEFAULT;

	if (get_enum(c, spec, "spec", "sessionAffinity", values, RTE_DIM(values), &v) < 0 ||
			get_obj(c, spec, "spec", "sessionAffinityConfig", &cfg) < 0 ||
			get_obj(c, cfg, "spec.sessionAffinityConfig", "clientIP", &cip) < 0 ||
			get_int(c, cip, path, "timeoutSeconds", NG_AFFINITY_TIMEOUT_MIN,
				NG_AFFINITY_TIMEOUT_MAX, &tmo) < 0)
		return -EINVAL;
	out->affinity = v == 1;
	out->affinity_timeout = (uint32_t)tmo;
	return 0;
}

/** spec.externalTrafficPolicy and spec.internalTrafficPolicy. */
static int
svc_policies(struct jctx *c, const cJSON *spec, struct ng_k8s_service *out)
{
	/* "Global" and "OnlyLocal": the names before Kubernetes 1.14. */
	static const char *const ext[] = {"Cluster", "Local", "Global", "OnlyLocal"};
	static const char *const in[] = {"Cluster", "Local"};
	unsigned int e = 0, i = 0;

	if (get_enum(c, spec, "spec", "externalTrafficPolicy", ext, RTE_DIM(ext), &e) < 0 ||
			get_enum(c, spec, "spec", "internalTrafficPolicy", in, RTE_DIM(in), &i) < 0)
		return -EINVAL;
	out->etp_local = e == 1 || e == 3;
	out->itp_local = i == 1;
	return 0;
}

/** status.loadBalancer.ingress[].ip; entries with only a hostname, or ipMode Proxy, skipped. */
static int
svc_lb_ips(struct jctx *c, const cJSON *obj, struct ng_k8s_service *out)
{
	const char *base = "status.loadBalancer.ingress";
	char path[PATH_MAX_LEN], ip_path[PATH_MAX_LEN];
	const cJSON *status, *lb, *arr, *ing;
	unsigned int i = 0;
	const char *ip, *mode;
	int size;

	if (get_obj(c, obj, "", "status", &status) < 0 ||
			get_obj(c, status, "status", "loadBalancer", &lb) < 0 ||
			get_arr(c, lb, "status.loadBalancer", "ingress", &arr) < 0)
		return -EINVAL;
	size = cJSON_GetArraySize(arr);
	if (arr == NULL || size == 0)
		return 0;
	out->lb_ips = calloc((size_t)size, sizeof(*out->lb_ips));
	if (out->lb_ips == NULL)
		return jnomem(c);
	cJSON_ArrayForEach(ing, arr) {
		index_path(path, base, i++);
		if (want_type(c, path, ing, J_OBJECT) < 0 ||
				get_str(c, ing, path, "ip", &ip) < 0 ||
				get_str(c, ing, path, "ipMode", &mode) < 0)
			return -EINVAL;
		/* ipMode Proxy: the load balancer proxies, kube-proxy leaves the IP alone. */
		if (ip == NULL || ip[0] == '\0' || (mode != NULL && strcmp(mode, "Proxy") == 0))
			continue;
		if (parse_ip(c, join(ip_path, path, "ip"), ip, 0, &out->lb_ips[out->n_lb_ips]) < 0)
			return -EINVAL;
		out->n_lb_ips++;
	}
	if (out->n_lb_ips == 0) {
		free(out->lb_ips);
		out->lb_ips = NULL;
	}
	return 0;
}

/** An element of spec.loadBalancerSourceRanges: "10.0.0.0/8" (spaces around allowed). */
static int
range_elem(struct jctx *c, const char *path, const cJSON *e, void *out, void *arg)
{
	char buf[NG_IP_STRLEN + 8], shown[SHOW_MAX + 4];
	struct ng_prefix *p = out;
	const char *s;
	size_t n;

	(void)arg;
	if (elem_str(c, path, e, &s) < 0)
		return -EINVAL;
	s += strspn(s, " ");
	n = strlen(s);
	while (n > 0 && s[n - 1] == ' ')
		n--;
	if (n >= sizeof(buf) || (memcpy(buf, s, n), buf[n] = '\0', ng_prefix_parse(buf, p) < 0))
		return jerr(c, path, "\"%s\" is not a CIDR", show(s, shown));
	*p = ng_prefix_masked(p);
	return 0;
}

/** spec.healthCheckNodePort, spec.trafficDistribution, spec.loadBalancerSourceRanges. */
static int
svc_extras(struct jctx *c, const cJSON *spec, struct ng_k8s_service *out)
{
	static const char *const td[] = {
		[NG_K8S_TD_PREFER_CLOSE] = "PreferClose",
		[NG_K8S_TD_PREFER_SAME_ZONE] = "PreferSameZone",
		[NG_K8S_TD_PREFER_SAME_NODE] = "PreferSameNode",
	};
	long hc = 0;
	const char *t;
	void *r = NULL;
	int rc;

	if (get_int(c, spec, "spec", "healthCheckNodePort", 0, NG_L4_PORT_MAX, &hc) < 0 ||
			get_str(c, spec, "spec", "trafficDistribution", &t) < 0)
		return -EINVAL;
	out->hc_node_port = (uint16_t)hc;
	/* A value this version does not know is ignored, as an older kube-proxy does. */
	for (unsigned int i = 1; t != NULL && i < RTE_DIM(td); i++)
		if (strcmp(t, td[i]) == 0)
			out->traffic_dist = (enum ng_k8s_traffic_dist)i;
	rc = decode_array(c, spec, "spec", "loadBalancerSourceRanges", sizeof(*out->src_ranges),
			&r, &out->n_src_ranges, range_elem, NULL);
	out->src_ranges = r;
	return rc;
}

/** Why kube-proxy ignores the service, or NULL. */
static const char *
svc_skip(const cJSON *labels, const struct ng_k8s_service *s, bool headless)
{
	if (cJSON_GetObjectItemCaseSensitive(labels, "service.kubernetes.io/service-proxy-name"))
		return "label service.kubernetes.io/service-proxy-name";
	if (cJSON_GetObjectItemCaseSensitive(labels, "service.kubernetes.io/headless"))
		return "label service.kubernetes.io/headless";
	if (s->type == NG_K8S_EXTERNAL_NAME)
		return "type ExternalName";
	if (headless)
		return "headless";
	return NULL;
}

/** metadata.annotations: the forwarding mode (NG_K8S_ANN_MODE). */
static int
svc_annotations(struct jctx *c, const cJSON *obj, struct ng_k8s_service *out)
{
	static const char *const modes[] = {"fullnat", "dsr"};
	const cJSON *ann;
	unsigned int mode = 0;

	if (get_obj(c, member(obj, "metadata"), "metadata", "annotations", &ann) < 0 ||
			get_enum(c, ann, "metadata.annotations", NG_K8S_ANN_MODE, modes,
			RTE_DIM(modes), &mode) < 0)
		return -EINVAL;
	out->dsr = mode == 1;
	return 0;
}

static int
svc_decode(struct jctx *c, const cJSON *obj, struct ng_k8s_service *out)
{
	static const char *const types[] = {
		[NG_K8S_CLUSTER_IP] = "ClusterIP",
		[NG_K8S_NODE_PORT] = "NodePort",
		[NG_K8S_LOAD_BALANCER] = "LoadBalancer",
		[NG_K8S_EXTERNAL_NAME] = "ExternalName",
	};
	char ns[NG_K8S_NS_MAX], name[NG_K8S_NAME_MAX], rv[NG_K8S_RV_MAX];
	const cJSON *labels, *spec;
	unsigned int type = NG_K8S_CLUSTER_IP;
	bool headless = true;

	if (meta_read(c, obj, "", ns, name, rv, &labels) < 0 || meta_required(c, ns, name) < 0)
		return -EINVAL;
	if (svc_annotations(c, obj, out) < 0)
		return -EINVAL;
	if (get_obj(c, obj, "", "spec", &spec) < 0 ||
			get_enum(c, spec, "spec", "type", types, RTE_DIM(types), &type) < 0)
		return -EINVAL;
	out->type = (enum ng_k8s_svc_type)type;
	if (svc_cluster_ips(c, spec, out, &headless) < 0)
		return -EINVAL;
	if (decode_array(c, spec, "spec", "externalIPs", sizeof(*out->external_ips),
			(void **)&out->external_ips, &out->n_external_ips, ip_elem, NULL) < 0)
		return -EINVAL;
	if (svc_ports(c, spec, out) < 0 || svc_affinity(c, spec, out) < 0 ||
			svc_policies(c, spec, out) < 0 || svc_lb_ips(c, obj, out) < 0 ||
			svc_extras(c, spec, out) < 0)
		return -EINVAL;
	out->skip = svc_skip(labels, out, headless);
	return meta_keep(c, 3, (const char *const[]){ns, name, rv},
			(const char **const[]){&out->ns, &out->name, &out->rv});
}

int
ng_k8s_service_decode(const cJSON *obj, struct ng_k8s_service *out, char *err, size_t errlen)
{
	struct jctx c = {.kind = "service", .err = err, .errlen = errlen};
	int rc;

	memset(out, 0, sizeof(*out));
	out->affinity_timeout = NG_AFFINITY_TIMEOUT_DEFAULT;
	rc = svc_decode(&c, obj, out);
	if (rc < 0) {
		rc = c.nomem ? -ENOMEM : -EINVAL;
		ng_k8s_service_free(out);
	}
	return rc;
}

void
ng_k8s_service_free(struct ng_k8s_service *s)
{
	if (s == NULL)
		return;
	free((void *)(uintptr_t)s->ns);
	free(s->external_ips);
	free(s->lb_ips);
	free(s->ports);
	free(s->src_ranges);
	memset(s, 0, sizeof(*s));
}

/* ---- EndpointSlice ---- */

/** One element of ports[]. */
static int
slice_port(struct jctx *c, const char *path, const cJSON *p, void *o, void *arg)
{
	struct ng_k8s_ep_port *out = o;
	long port = 0;
	const char *name;

	(void)arg;
	if (want_type(c, path, p, J_OBJECT) < 0)
		return -EINVAL;
	if (get_str(c, p, path, "name", &name) < 0 ||
			(name != NULL && copy_str(c, path, "name", name, out->name,
					sizeof(out->name)) < 0))
		return -EINVAL;
	if (get_proto(c, p, path, &out->proto) < 0 ||
			get_int(c, p, path, "port", 0, NG_L4_PORT_MAX, &port) < 0)
		return -EINVAL;
	out->port = (uint16_t)port;
	return 0;
}

static int
slice_ports(struct jctx *c, const cJSON *obj, struct ng_k8s_slice *out)
{
	void *ports = NULL;
	int rc = decode_array(c, obj, "", "ports", sizeof(*out->ports), &ports, &out->n_ports,
			slice_port, NULL);

	out->ports = ports;
	return rc;
}

/** An element of hints.forZones / hints.forNodes: {"name": "..."} (the name interned). */
static int
hint_elem(struct jctx *c, const char *path, const cJSON *e, void *out, void *arg)
{
	const char *name;

	(void)arg;
	if (want_type(c, path, e, J_OBJECT) < 0 || get_str(c, e, path, "name", &name) < 0)
		return -EINVAL;
	if (name == NULL) {
		char npath[PATH_MAX_LEN];

		return jerr(c, join(npath, path, "name"), "missing");
	}
	*(const char **)out = ng_k8s_name_get(name);
	return *(const char **)out != NULL ? 0 : jnomem(c);
}

/** The names of the array arr (at path base) into out[]. */
static int
hint_names(struct jctx *c, const cJSON *arr, const char *base, const char **out)
{
	char path[PATH_MAX_LEN];
	const cJSON *e;
	unsigned int i = 0;

	cJSON_ArrayForEach(e, arr) {
		index_path(path, base, i);
		if (hint_elem(c, path, e, &out[i], NULL) < 0)
			return -EINVAL;
		i++;
	}
	return 0;
}

/**
 * endpoints[].hints: forZones and forNodes, in one allocation (none when both
 * are empty, as they are unless topology-aware routing is on). Its counts are
 * set first, so that the slice's free function releases a partly decoded one.
 */
static int
endpoint_hints(struct jctx *c, const char *path, const cJSON *e, struct ng_k8s_endpoint *out)
{
	char hpath[PATH_MAX_LEN], base[PATH_MAX_LEN];
	const cJSON *h, *zones, *nodes;
	unsigned int nz, nn;

	if (get_obj(c, e, path, "hints", &h) < 0)
		return -EINVAL;
	join(hpath, path, "hints");
	if (get_arr(c, h, hpath, "forZones", &zones) < 0)
		return -EINVAL;
	/* forNodes' type is checked after forZones' names, as it always was. */
	nodes = member(h, "forNodes");
	nz = (unsigned int)cJSON_GetArraySize(zones);
	nn = cJSON_IsArray(nodes) ? (unsigned int)cJSON_GetArraySize(nodes) : 0;
	if (nz + nn > 0) {
		out->hints = calloc(1, sizeof(*out->hints) + (size_t)(nz + nn) * sizeof(char *));
		if (out->hints == NULL)
			return jnomem(c);
		out->hints->n_zones = nz;
		out->hints->n_nodes = nn;
		if (hint_names(c, zones, join(base, hpath, "forZones"), out->hints->names) < 0)
			return -EINVAL;
	}
	if (get_arr(c, h, hpath, "forNodes", &nodes) < 0)
		return -EINVAL;
	return nn == 0 ? 0 : hint_names(c, nodes, join(base, hpath, "forNodes"),
			out->hints->names + nz);
}

/** One element of endpoints[]: addresses[0], conditions, nodeName. */
static int
slice_endpoint(struct jctx *c, const char *path, const cJSON *e, void *o, void *arg)
{
	char cpath[PATH_MAX_LEN], apath[PATH_MAX_LEN], a0path[PATH_MAX_LEN];
	struct ng_k8s_endpoint *out = o;
	int family = *(const int *)arg;
	const cJSON *addrs, *cond;
	const char *addr, *node;

	if (want_type(c, path, e, J_OBJECT) < 0 ||
			get_arr(c, e, path, "addresses", &addrs) < 0)
		return -EINVAL;
	join(apath, path, "addresses");
	if (cJSON_GetArraySize(addrs) == 0)
		return jerr(c, apath, addrs == NULL ? "missing" : "empty");
	index_path(a0path, apath, 0);
	if (elem_str(c, a0path, cJSON_GetArrayItem(addrs, 0), &addr) < 0 ||
			parse_ip(c, a0path, addr, family, &out->addr) < 0)
		return -EINVAL;
	if (get_obj(c, e, path, "conditions", &cond) < 0)
		return -EINVAL;
	join(cpath, path, "conditions");
	if (get_bool(c, cond, cpath, "ready", true, &out->ready) < 0 ||
			get_bool(c, cond, cpath, "serving", true, &out->serving) < 0 ||
			get_bool(c, cond, cpath, "terminating", false, &out->terminating) < 0)
		return -EINVAL;
	if (get_str(c, e, path, "nodeName", &node) < 0)
		return -EINVAL;
	if (node != NULL && (out->node = ng_k8s_name_get(node)) == NULL)
		return jnomem(c);
	return endpoint_hints(c, path, e, out);
}

static int
slice_endpoints(struct jctx *c, const cJSON *obj, struct ng_k8s_slice *out)
{
	void *eps = NULL;
	int rc;

	if (out->family == 0)
		return 0; /* FQDN: not used */
	rc = decode_array(c, obj, "", "endpoints", sizeof(*out->endpoints), &eps,
			&out->n_endpoints, slice_endpoint, &out->family);
	out->endpoints = eps;
	return rc;
}

static int
slice_decode(struct jctx *c, const cJSON *obj, struct ng_k8s_slice *out)
{
	static const char *const types[] = {"IPv4", "IPv6", "FQDN"};
	static const int families[] = {AF_INET, AF_INET6, 0};
	char ns[NG_K8S_NS_MAX], name[NG_K8S_NAME_MAX], rv[NG_K8S_RV_MAX];
	char service[NG_K8S_NAME_MAX] = "";
	const cJSON *labels;
	unsigned int type = RTE_DIM(types);
	const char *svc;

	if (meta_read(c, obj, "", ns, name, rv, &labels) < 0 || meta_required(c, ns, name) < 0)
		return -EINVAL;
	if (get_str(c, labels, "metadata.labels", "kubernetes.io/service-name", &svc) < 0 ||
			(svc != NULL && copy_str(c, "metadata.labels", "kubernetes.io/service-name",
					svc, service, sizeof(service)) < 0))
		return -EINVAL;
	if (get_enum(c, obj, "", "addressType", types, RTE_DIM(types), &type) < 0)
		return -EINVAL;
	if (type == RTE_DIM(types))
		return jerr(c, "addressType", "missing");
	out->family = families[type];
	if (slice_ports(c, obj, out) < 0 || slice_endpoints(c, obj, out) < 0)
		return -EINVAL;
	return meta_keep(c, 4, (const char *const[]){ns, name, rv, service},
			(const char **const[]){&out->ns, &out->name, &out->rv, &out->service});
}

int
ng_k8s_slice_decode(const cJSON *obj, struct ng_k8s_slice *out, char *err, size_t errlen)
{
	struct jctx c = {.kind = "endpointslice", .err = err, .errlen = errlen};
	int rc;

	memset(out, 0, sizeof(*out));
	rc = slice_decode(&c, obj, out);
	if (rc < 0) {
		rc = c.nomem ? -ENOMEM : -EINVAL;
		ng_k8s_slice_free(out);
	}
	return rc;
}

void
ng_k8s_slice_free(struct ng_k8s_slice *s)
{
	if (s == NULL)
		return;
	for (unsigned int i = 0; i < s->n_endpoints && s->endpoints != NULL; i++) {
		struct ng_k8s_endpoint *e = &s->endpoints[i];

		ng_k8s_name_put(e->node);
		for (unsigned int j = 0; e->hints != NULL &&
				j < e->hints->n_zones + e->hints->n_nodes; j++)
			ng_k8s_name_put(e->hints->names[j]);
		free(e->hints);
	}
	free((void *)(uintptr_t)s->ns);
	free(s->endpoints);
	free(s->ports);
	memset(s, 0, sizeof(*s));
}

/* ---- Node ---- */

/** spec.taints[]: is the cluster autoscaler about to delete this node? */
static int
node_taints(struct jctx *c, const cJSON *spec, bool *tbd)
{
	char path[PATH_MAX_LEN];
	const cJSON *arr, *t;
	unsigned int i = 0;
	const char *key;

	if (get_arr(c, spec, "spec", "taints", &arr) < 0)
		return -EINVAL;
	cJSON_ArrayForEach(t, arr) {
		index_path(path, "spec.taints", i++);
		if (want_type(c, path, t, J_OBJECT) < 0 || get_str(c, t, path, "key", &key) < 0)
			return -EINVAL;
		if (key != NULL && strcmp(key, "ToBeDeletedByClusterAutoscaler") == 0)
			*tbd = true;
	}
	return 0;
}

static int
node_decode(struct jctx *c, const cJSON *obj, struct ng_k8s_node_obj *out)
{
	char ns[NG_K8S_NS_MAX], name[NG_K8S_NAME_MAX], rv[NG_K8S_RV_MAX];
	const cJSON *labels, *spec, *meta;
	const char *zone, *del;

	if (meta_read(c, obj, "", ns, name, rv, &labels) < 0)
		return -EINVAL;
	if (name[0] == '\0')
		return jerr(c, "metadata.name", "missing");
	if (get_str(c, labels, "metadata.labels", "topology.kubernetes.io/zone", &zone) < 0 ||
			(zone != NULL && copy_str(c, "metadata.labels", "topology.kubernetes.io/zone",
				zone, out->zone, sizeof(out->zone)) < 0))
		return -EINVAL;
	meta = member(obj, "metadata");
	if (get_str(c, meta, "metadata", "deletionTimestamp", &del) < 0 ||
			get_obj(c, obj, "", "spec", &spec) < 0 ||
			node_taints(c, spec, &out->to_be_deleted) < 0)
		return -EINVAL;
	out->deleting = del != NULL;
	return meta_keep(c, 3, (const char *const[]){ns, name, rv},
			(const char **const[]){&out->ns, &out->name, &out->rv});
}

int
ng_k8s_node_decode(const cJSON *obj, struct ng_k8s_node_obj *out, char *err, size_t errlen)
{
	struct jctx c = {.kind = "node", .err = err, .errlen = errlen};
	int rc;

	memset(out, 0, sizeof(*out));
	rc = node_decode(&c, obj, out);
	if (rc < 0) {
		rc = c.nomem ? -ENOMEM : -EINVAL;
		ng_k8s_node_free(out);
	}
	return rc;
}

void
ng_k8s_node_free(struct ng_k8s_node_obj *n)
{
	if (n == NULL)
		return;
	free((void *)(uintptr_t)n->ns);
	memset(n, 0, sizeof(*n));
}

/* ---- lists and watch events ---- */

/* What items points to when the server sent "items": null. */
static const cJSON empty_items = {.type = cJSON_Array};

int
ng_k8s_list_decode(const cJSON *root, const char **rv, const char **cont, const cJSON **items,
		char *err, size_t errlen)
{
	struct jctx c = {.kind = "list", .err = err, .errlen = errlen};
	const cJSON *meta, *arr;
	const char *s;

	*rv = "";
	*cont = "";
	*items = NULL;
	if (!cJSON_IsObject(root))
		return jerr(&c, NULL, "not a JSON object");
	if (get_obj(&c, root, "", "metadata", &meta) < 0 ||
			get_arr(&c, root, "", "items", &arr) < 0)
		return -EINVAL;
	/* A Status (an error) has no items: never read it as an empty list. */
	if (arr == NULL && cJSON_GetObjectItemCaseSensitive(root, "items") == NULL)
		return jerr(&c, "items", "missing");
	if (get_str(&c, meta, "metadata", "resourceVersion", &s) < 0)
		return -EINVAL;
	if (s != NULL)
		*rv = s;
	if (get_str(&c, meta, "metadata", "continue", &s) < 0)
		return -EINVAL;
	if (s != NULL)
		*cont = s;
	*items = arr != NULL ? arr : &empty_items;
	return 0;
}

/** The Status object of an ERROR event. */
static int
event_status(struct jctx *c, const cJSON *st, struct ng_k8s_event *ev)
{
	const char *reason, *message;
	long code = 0;

	if (get_int(c, st, "object", "code", 0, 999, &code) < 0 ||
			get_str(c, st, "object", "reason", &reason) < 0 ||
			get_str(c, st, "object", "message", &message) < 0)
		return -EINVAL;
	ev->code = (int)code;
	copy_trunc(ev->reason, sizeof(ev->reason), reason != NULL ? reason : "");
	copy_trunc(ev->message, sizeof(ev->message), message != NULL ? message : "");
	return 0;
}

int
ng_k8s_event_decode(const cJSON *root, struct ng_k8s_event *ev, char *err, size_t errlen)
{
	static const char *const types[] = {
		[NG_K8S_EV_ADDED] = "ADDED",
		[NG_K8S_EV_MODIFIED] = "MODIFIED",
		[NG_K8S_EV_DELETED] = "DELETED",
		[NG_K8S_EV_BOOKMARK] = "BOOKMARK",
		[NG_K8S_EV_ERROR] = "ERROR",
	};
	struct jctx c = {.kind = "watch event", .err = err, .errlen = errlen};
	char ns[NG_K8S_NS_MAX], name[NG_K8S_NAME_MAX];
	char shown[SHOW_MAX + 4];
	unsigned int type = RTE_DIM(types);
	const cJSON *obj;
	const char *t;

	memset(ev, 0, sizeof(*ev));
	if (!cJSON_IsObject(root))
		return jerr(&c, NULL, "not a JSON object");
	if (get_str(&c, root, "", "type", &t) < 0)
		return -EINVAL;
	if (t == NULL)
		return jerr(&c, "type", "missing");
	for (unsigned int i = 0; i < RTE_DIM(types); i++)
		if (strcmp(t, types[i]) == 0)
			type = i;
	if (type == RTE_DIM(types))
		return jerr(&c, "type", "unknown event type \"%s\"", show(t, shown));
	if (get_obj(&c, root, "", "object", &obj) < 0)
		return -EINVAL;
	if (obj == NULL)
		return jerr(&c, "object", "missing");
	ev->type = (enum ng_k8s_ev_type)type;
	ev->object = obj;
	if (ev->type == NG_K8S_EV_ERROR)
		return event_status(&c, obj, ev);
	return meta_read(&c, obj, "object", ns, name, ev->rv, NULL);
}
