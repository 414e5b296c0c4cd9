/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the Kubernetes object layer (lib/k8s: k8s_obj.h): the JSON
 * decoders, the watch-stream splitter and the translation of a Service and
 * its EndpointSlices into nodegw services. Pure functions: no EAL, no I/O.
 *
 * Fixtures look like `kubectl get -o json` output (metadata noise included:
 * uid, creationTimestamp, managedFields, last-applied annotations). To keep
 * them readable they are written with ' for " (jq() swaps them back, so \\'
 * in the C source is an escaped quote in the JSON). A case that needs a
 * variant patches a parsed fixture with SET(), so each case shows only what
 * it changes.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include <cmocka.h>

#include "k8s_obj.h"

static char err[512];

/* ---- fixtures ---- */

/* kubectl get svc web -o json */
static const char SVC_WEB[] =
	"{\n"
	"  'apiVersion': 'v1',\n"
	"  'kind': 'Service',\n"
	"  'metadata': {\n"
	"    'annotations': {\n"
	"      'kubectl.kubernetes.io/last-applied-configuration': '{\\'apiVersion\\':\\'v1\\',"
	"\\'kind\\':\\'Service\\',\\'metadata\\':{\\'annotations\\':{},\\'name\\':\\'web\\',"
	"\\'namespace\\':\\'default\\'},\\'spec\\':{\\'ports\\':[{\\'name\\':\\'http\\',"
	"\\'port\\':80,\\'targetPort\\':8080}],\\'selector\\':{\\'app\\':\\'web\\'}}}\\n'\n"
	"    },\n"
	"    'creationTimestamp': '2024-05-02T09:14:03Z',\n"
	"    'labels': {'app': 'web'},\n"
	"    'managedFields': [{\n"
	"      'apiVersion': 'v1',\n"
	"      'fieldsType': 'FieldsV1',\n"
	"      'fieldsV1': {'f:metadata': {'f:annotations': {'.': {},\n"
	"          'f:kubectl.kubernetes.io/last-applied-configuration': {}}},\n"
	"        'f:spec': {'f:ports': {'.': {}, 'k:{\\'port\\':80,\\'protocol\\':\\'TCP\\'}': {\n"
	"          '.': {}, 'f:name': {}, 'f:port': {}, 'f:protocol': {}, 'f:targetPort': {}}}}},\n"
	"      'manager': 'kubectl-client-side-apply',\n"
	"      'operation': 'Update',\n"
	"      'time': '2024-05-02T09:14:03Z'\n"
	"    }],\n"
	"    'name': 'web',\n"
	"    'namespace': 'default',\n"
	"    'resourceVersion': '48213',\n"
	"    'uid': '5b0c1f7e-8a4e-4f8e-9c1e-2f9b7f0d3a11'\n"
	"  },\n"
	"  'spec': {\n"
	"    'clusterIP': '198.18.100.10',\n"
	"    'clusterIPs': ['198.18.100.10'],\n"
	"    'internalTrafficPolicy': 'Cluster',\n"
	"    'ipFamilies': ['IPv4'],\n"
	"    'ipFamilyPolicy': 'SingleStack',\n"
	"    'ports': [{'name': 'http', 'port': 80, 'protocol': 'TCP', 'targetPort': 8080}],\n"
	"    'selector': {'app': 'web'},\n"
	"    'sessionAffinity': 'None',\n"
	"    'type': 'ClusterIP'\n"
	"  },\n"
	"  'status': {'loadBalancer': {}}\n"
	"}\n";

/* kubectl get endpointslice NAME -o json; %s: addressType, endpoints, name, ports. */
static const char SLICE_FMT[] =
	"{\n"
	"  'addressType': '%s',\n"
	"  'apiVersion': 'discovery.k8s.io/v1',\n"
	"  'endpoints': [%s],\n"
	"  'kind': 'EndpointSlice',\n"
	"  'metadata': {\n"
	"    'annotations': {'endpoints.kubernetes.io/last-change-trigger-time': "
	"'2024-05-02T09:15:41Z'},\n"
	"    'creationTimestamp': '2024-05-02T09:14:03Z',\n"
	"    'generateName': 'web-',\n"
	"    'generation': 7,\n"
	"    'labels': {\n"
	"      'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',\n"
	"      'kubernetes.io/service-name': 'web'\n"
	"    },\n"
	"    'managedFields': [{'apiVersion': 'discovery.k8s.io/v1', 'fieldsType': 'FieldsV1',\n"
	"      'fieldsV1': {'f:addressType': {}, 'f:endpoints': {}, 'f:ports': {}},\n"
	"      'manager': 'kube-controller-manager', 'operation': 'Update',\n"
	"      'time': '2024-05-02T09:15:41Z'}],\n"
	"    'name': '%s',\n"
	"    'namespace': 'default',\n"
	"    'ownerReferences': [{'apiVersion': 'v1', 'blockOwnerDeletion': true,\n"
	"      'controller': true, 'kind': 'Service', 'name': 'web',\n"
	"      'uid': '5b0c1f7e-8a4e-4f8e-9c1e-2f9b7f0d3a11'}],\n"
	"    'resourceVersion': '48230',\n"
	"    'uid': 'c1a9e3d2-77b0-4b61-8d0e-3f5a2b9c4e01'\n"
	"  },\n"
	"  'ports': [%s]\n"
	"}\n";

/* Endpoint conditions as the EndpointSlice controller writes them. */
#define READY "{'ready': true, 'serving': true, 'terminating': false}"
#define NOT_READY "{'ready': false, 'serving': false, 'terminating': false}"
#define TERM_SERVING "{'ready': false, 'serving': true, 'terminating': true}"
#define TERM_DOWN "{'ready': false, 'serving': false, 'terminating': true}"

/* One endpoint of a slice: a pod on a node. */
#define EP(addr, node, cond) \
	"{'addresses': ['" addr "'], 'conditions': " cond ", 'nodeName': '" node "', " \
	"'targetRef': {'kind': 'Pod', 'name': 'web-7c9f8d6b5-x" node "', " \
	"'namespace': 'default', 'uid': '0d3c2a6e-1f4b-4d7e-9a51-6b2f3e8c9d10'}, " \
	"'zone': 'zone-a'}"

#define PORT_HTTP "{'name': 'http', 'port': 8080, 'protocol': 'TCP'}"

static const struct ng_k8s_node node_a = {.name = "node-a", .ipv4 = true};
static const struct ng_k8s_node node_a6 = {.name = "node-a", .ipv6 = true};
static const struct ng_k8s_node node_a46 = {.name = "node-a", .ipv4 = true, .ipv6 = true};

/* ---- helpers ---- */

/** A copy of text with ' and " swapped (fixtures are written with '). */
static char *
jq(const char *text)
{
	char *s = strdup(text);

	assert_non_null(s);
	for (char *p = s; *p != '\0'; p++)
		*p = *p == '\'' ? '"' : *p == '"' ? '\'' : *p;
	return s;
}

static cJSON *
parse(const char *fixture)
{
	char *text = jq(fixture);
	cJSON *o = cJSON_Parse(text);

	if (o == NULL)
		print_error("does not parse: %s\n", text);
	free(text);
	assert_non_null(o);
	return o;
}

/** Set root.keys... to the JSON text value (' for "); NULL deletes the member. */
static void
set_path(cJSON *root, const char *value, ...)
{
	const char *key, *next;
	cJSON *o = root;
	va_list ap;

	va_start(ap, value);
	key = va_arg(ap, const char *);
	while ((next = va_arg(ap, const char *)) != NULL) {
		cJSON *m = cJSON_GetObjectItemCaseSensitive(o, key);

		if (m == NULL || !cJSON_IsObject(m)) {
			cJSON_DeleteItemFromObjectCaseSensitive(o, key);
			m = cJSON_CreateObject();
			cJSON_AddItemToObject(o, key, m);
		}
		o = m;
		key = next;
	}
	va_end(ap);
	cJSON_DeleteItemFromObjectCaseSensitive(o, key);
	if (value != NULL)
		cJSON_AddItemToObject(o, key, parse(value));
}

#define SET(root, value, ...) set_path(root, value, __VA_ARGS__, (const char *)NULL)

static cJSON *
web(void)
{
	return parse(SVC_WEB);
}

/** Decode a service that must decode; deletes o. */
static void
svc_ok(cJSON *o, struct ng_k8s_service *s)
{
	int rc = ng_k8s_service_decode(o, s, err, sizeof(err));

	if (rc != 0)
		print_error("%s\n", err);
	assert_int_equal(rc, 0);
	cJSON_Delete(o);
}

/** A service that must fail with exactly msg, leaving the output zeroed; deletes o. */
static void
svc_bad(cJSON *o, int rc, const char *msg)
{
	static const struct ng_k8s_service zero;
	struct ng_k8s_service s;

	memset(&s, 0x5a, sizeof(s));
	err[0] = '\0';
	assert_int_equal(ng_k8s_service_decode(o, &s, err, sizeof(err)), rc);
	assert_string_equal(err, msg);
	assert_memory_equal(&s, &zero, sizeof(s));
	ng_k8s_service_free(&s);
	cJSON_Delete(o);
}

/** A slice's JSON: addressType, name, endpoints and ports (' for "). */
static cJSON *
slice_json(const char *name, const char *type, const char *ports, const char *eps)
{
	char *text;
	cJSON *o;

	assert_true(asprintf(&text, SLICE_FMT, type, eps, name, ports) > 0);
	o = parse(text);
	free(text);
	return o;
}

static void
slice_ok(cJSON *o, struct ng_k8s_slice *s)
{
	int rc = ng_k8s_slice_decode(o, s, err, sizeof(err));

	if (rc != 0)
		print_error("%s\n", err);
	assert_int_equal(rc, 0);
	cJSON_Delete(o);
}

static void
slice_bad(cJSON *o, const char *msg)
{
	static const struct ng_k8s_slice zero;
	struct ng_k8s_slice s;

	memset(&s, 0x5a, sizeof(s));
	err[0] = '\0';
	assert_int_equal(ng_k8s_slice_decode(o, &s, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, msg);
	assert_memory_equal(&s, &zero, sizeof(s));
	ng_k8s_slice_free(&s);
	cJSON_Delete(o);
}

static void
assert_ip(const struct ng_ip *a, const char *s)
{
	char buf[NG_IP_STRLEN];

	assert_string_equal(ng_ip_fmt(a, buf, sizeof(buf)), s);
}

/* ---- translation fixture ---- */

#define MAX_SLICES 4

struct xfix {
	struct ng_k8s_service svc;
	struct ng_k8s_slice sl[MAX_SLICES];
	const struct ng_k8s_slice *p[MAX_SLICES];
	unsigned int n;
	struct ng_k8s_xlate x;
};

static void
fix_slice(struct xfix *f, const char *name, const char *type, const char *ports,
		const char *eps)
{
	assert_true(f->n < MAX_SLICES);
	slice_ok(slice_json(name, type, ports, eps), &f->sl[f->n]);
	f->p[f->n] = &f->sl[f->n];
	f->n++;
}

/** Translate; every name must be a valid nodegw service name. */
static void
fix_xlate(struct xfix *f, const struct ng_k8s_node *node)
{
	int rc;

	ng_k8s_xlate_free(&f->x);
	rc = ng_k8s_translate(&f->svc, f->p, f->n, node, &f->x, err, sizeof(err));
	if (rc != 0)
		print_error("%s\n", err);
	assert_int_equal(rc, 0);
	for (unsigned int i = 0; i < f->x.n; i++) {
		assert_true(ng_svc_name_ok(f->x.want[i].spec.name));
		for (unsigned int j = 0; j < f->x.want[i].n_be; j++)
			assert_int_equal(f->x.want[i].be[j].weight, 1);
	}
}

static void
fix_free(struct xfix *f)
{
	ng_k8s_xlate_free(&f->x);
	ng_k8s_service_free(&f->svc);
	for (unsigned int i = 0; i < f->n; i++)
		ng_k8s_slice_free(&f->sl[i]);
}

/** The names of the wants, space-separated. */
static const char *
names(const struct ng_k8s_xlate *x)
{
	static char buf[1024];
	size_t o = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < x->n; i++)
		o += snprintf(buf + o, sizeof(buf) - o, "%s%s", i ? " " : "", x->want[i].spec.name);
	return buf;
}

static const struct ng_k8s_want *
find(const struct ng_k8s_xlate *x, const char *name)
{
	for (unsigned int i = 0; i < x->n; i++)
		if (strcmp(x->want[i].spec.name, name) == 0)
			return &x->want[i];
	print_error("no service %s in [%s]\n", name, names(x));
	fail();
	return NULL;
}

static size_t
addr_port(char *buf, size_t len, const struct ng_ip *a, uint16_t port)
{
	char s[NG_IP_STRLEN];

	if (a->family == 0)
		return snprintf(buf, len, "nodeport:%u", port);
	ng_ip_fmt(a, s, sizeof(s));
	return snprintf(buf, len, a->family == AF_INET6 ? "[%s]:%u" : "%s:%u", s, port);
}

/** "198.18.100.10:80 nodeport:30080" */
static const char *
fe_list(const struct ng_k8s_want *w)
{
	static char buf[1024];
	size_t o = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < w->n_fe; i++) {
		o += snprintf(buf + o, sizeof(buf) - o, "%s", i ? " " : "");
		o += addr_port(buf + o, sizeof(buf) - o, &w->fe[i].addr, w->fe[i].port);
	}
	return buf;
}

/** "198.19.1.10:8080 198.19.1.11:8080" */
static const char *
be_list(const struct ng_k8s_want *w)
{
	static char buf[1024];
	size_t o = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < w->n_be; i++) {
		o += snprintf(buf + o, sizeof(buf) - o, "%s", i ? " " : "");
		o += addr_port(buf + o, sizeof(buf) - o, &w->be[i].addr, w->be[i].port);
	}
	return buf;
}

/* A LoadBalancer variant of web: nodePort 30080, ingress 198.18.200.1. */
static cJSON *
web_lb(void)
{
	cJSON *o = web();

	SET(o, "'LoadBalancer'", "spec", "type");
	SET(o, "[{'name': 'http', 'nodePort': 30080, 'port': 80, 'protocol': 'TCP', "
		"'targetPort': 8080}]", "spec", "ports");
	SET(o, "'Cluster'", "spec", "externalTrafficPolicy");
	SET(o, "true", "spec", "allocateLoadBalancerNodePorts");
	SET(o, "[{'ip': '198.18.200.1', 'ipMode': 'VIP'}]", "status", "loadBalancer", "ingress");
	return o;
}

/* ======== Service decoder ======== */

static void
test_svc_basic(void **state)
{
	struct ng_k8s_service s;

	(void)state;
	svc_ok(web(), &s);
	assert_string_equal(s.ns, "default");
	assert_string_equal(s.name, "web");
	assert_string_equal(s.rv, "48213");
	assert_null(s.skip);
	assert_int_equal(s.type, NG_K8S_CLUSTER_IP);
	assert_int_equal(s.n_cluster_ips, 1);
	assert_ip(&s.cluster_ips[0], "198.18.100.10");
	assert_int_equal(s.n_external_ips, 0);
	assert_int_equal(s.n_lb_ips, 0);
	assert_int_equal(s.n_ports, 1);
	assert_string_equal(s.ports[0].name, "http");
	assert_int_equal(s.ports[0].proto, IPPROTO_TCP);
	assert_int_equal(s.ports[0].port, 80);
	assert_int_equal(s.ports[0].node_port, 0);
	assert_false(s.affinity);
	assert_int_equal(s.affinity_timeout, 10800);
	assert_false(s.etp_local);
	assert_false(s.itp_local);
	ng_k8s_service_free(&s);
}

static void
test_svc_type_default(void **state)
{
	struct ng_k8s_service s;
	cJSON *o = web();

	(void)state;
	SET(o, NULL, "spec", "type");
	svc_ok(o, &s);
	assert_int_equal(s.type, NG_K8S_CLUSTER_IP);
	ng_k8s_service_free(&s);

	o = web();
	SET(o, "'NodePort'", "spec", "type");
	svc_ok(o, &s);
	assert_int_equal(s.type, NG_K8S_NODE_PORT);
	ng_k8s_service_free(&s);

	o = web();
	SET(o, "'Balanced'", "spec", "type");
	svc_bad(o, -EINVAL, "service default/web: spec.type: unknown value \"Balanced\"");
}

static void
test_svc_headless_none(void **state)
{
	struct ng_k8s_service s;
	cJSON *o = web();

	(void)state;
	SET(o, "'None'", "spec", "clusterIP");
	SET(o, "['None']", "spec", "clusterIPs");
	svc_ok(o, &s);
	assert_string_equal(s.skip, "headless");
	assert_int_equal(s.n_cluster_ips, 0);
	ng_k8s_service_free(&s);
}

static void
test_svc_headless_empty(void **state)
{
	struct ng_k8s_service s;
	cJSON *o = web();

	(void)state;
	SET(o, "''", "spec", "clusterIP");
	SET(o, NULL, "spec", "clusterIPs");
	svc_ok(o, &s);
	assert_string_equal(s.skip, "headless");
	ng_k8s_service_free(&s);

	o = web();
	SET(o, NULL, "spec", "clusterIP");
	SET(o, NULL, "spec", "clusterIPs");
	svc_ok(o, &s);
	assert_string_equal(s.skip, "headless");
	ng_k8s_service_free(&s);
}

static void
test_svc_external_name(void **state)
{
	struct ng_k8s_service s;
	cJSON *o = web();

	(void)state;
	SET(o, "'ExternalName'", "spec", "type");
	SET(o, "'db.example.com'", "spec", "externalName");
	SET(o, NULL, "spec", "clusterIP");
	SET(o, NULL, "spec", "clusterIPs");
	svc_ok(o, &s);
	assert_int_equal(s.type, NG_K8S_EXTERNAL_NAME);
	assert_string_equal(s.skip, "type ExternalName");
	ng_k8s_service_free(&s);
}

static void
test_svc_label_proxy_name(void **state)
{
	struct ng_k8s_service s;
	cJSON *o = web();

	(void)state;
	SET(o, "'cilium'", "metadata", "labels", "service.kubernetes.io/service-proxy-name");
	svc_ok(o, &s);
	assert_string_equal(s.skip, "label service.kubernetes.io/service-proxy-name");
	ng_k8s_service_free(&s);
}

static void
test_svc_label_headless(void **state)
{
	struct ng_k8s_service s;
	cJSON *o = web();

	(void)state;
	SET(o, "''", "metadata", "labels", "service.kubernetes.io/headless");
	svc_ok(o, &s);
	assert_string_equal(s.skip, "label service.kubernetes.io/headless");
	assert_int_equal(s.n_cluster_ips, 1);
	ng_k8s_service_free(&s);
}

static void
test_svc_cluster_ips_over_cluster_ip(void **state)
{
	struct ng_k8s_service s;
	cJSON *o = web();

	(void)state;
	/* clusterIPs wins when present... */
	SET(o, "['198.18.100.11', '2001:db8:100::11']", "spec", "clusterIPs");
	SET(o, "'198.18.100.11'", "spec", "clusterIP");
	SET(o, "'PreferDualStack'", "spec", "ipFamilyPolicy");
	svc_ok(o, &s);
	assert_int_equal(s.n_cluster_ips, 2);
	assert_ip(&s.cluster_ips[0], "198.18.100.11");
	assert_ip(&s.cluster_ips[1], "2001:db8:100::11");
	assert_null(s.skip);
	ng_k8s_service_free(&s);

	/* ...clusterIP alone serves (objects from before dual-stack) */
	o = web();
	SET(o, NULL, "spec", "clusterIPs");
	SET(o, "'198.18.100.12'", "spec", "clusterIP");
	svc_ok(o, &s);
	assert_int_equal(s.n_cluster_ips, 1);
	assert_ip(&s.cluster_ips[0], "198.18.100.12");
	ng_k8s_service_free(&s);

	o = web();
	SET(o, "['198.18.100.11', '198.18.100.12']", "spec", "clusterIPs");
	svc_bad(o, -EINVAL, "service default/web: spec.clusterIPs: two addresses of the same "
		"family");
	o = web();
	SET(o, "['198.18.100.11', '2001:db8::1', '198.18.100.12']", "spec", "clusterIPs");
	svc_bad(o, -EINVAL, "service default/web: spec.clusterIPs: more than 2 addresses");
}

static void
test_svc_external_ips(void **state)
{
	struct ng_k8s_service s;
	cJSON *o = web();

	(void)state;
	SET(o, "['198.18.200.1', '2001:db8:200::1']", "spec", "externalIPs");
	svc_ok(o, &s);
	assert_int_equal(s.n_external_ips, 2);
	assert_ip(&s.external_ips[0], "198.18.200.1");
	assert_ip(&s.external_ips[1], "2001:db8:200::1");
	ng_k8s_service_free(&s);
}

static void
test_svc_lb_ingress(void **state)
{
	struct ng_k8s_service s;
	cJSON *o = web_lb();

	(void)state;
	SET(o, "[{'ip': '198.18.200.1', 'ipMode': 'VIP'}, {'hostname': 'lb-1.example.com'},"
		"{'ip': '198.18.200.9', 'ipMode': 'Proxy'},"
		"{'ip': '2001:db8:200::1', 'ports': [{'port': 80, 'protocol': 'TCP'}]}]",
		"status", "loadBalancer", "ingress");
	svc_ok(o, &s);
	assert_int_equal(s.type, NG_K8S_LOAD_BALANCER);
	/* hostname-only and ipMode Proxy entries are not ours */
	assert_int_equal(s.n_lb_ips, 2);
	assert_ip(&s.lb_ips[0], "198.18.200.1");
	assert_ip(&s.lb_ips[1], "2001:db8:200::1");
	assert_int_equal(s.ports[0].node_port, 30080);
	ng_k8s_service_free(&s);
}

static void
test_svc_protocols(void **state)
{
	struct ng_k8s_service s;
	cJSON *o = web();

	(void)state;
	SET(o, "[{'name': 'a', 'port': 80}, {'name': 'b', 'port': 53, 'protocol': 'UDP'},"
		"{'name': 'c', 'port': 3868, 'protocol': 'SCTP'}, {'name': 'd', 'port': 81,"
		" 'protocol': null}]", "spec", "ports");
	svc_ok(o, &s);
	assert_int_equal(s.n_ports, 4);
	assert_int_equal(s.ports[0].proto, IPPROTO_TCP); /* absent: TCP */
	assert_int_equal(s.ports[1].proto, IPPROTO_UDP);
	assert_int_equal(s.ports[2].proto, IPPROTO_SCTP);
	assert_int_equal(s.ports[3].proto, IPPROTO_TCP); /* null: TCP */
	ng_k8s_service_free(&s);
}

static void
test_svc_unknown_protocol(void **state)
{
	cJSON *o = web();

	(void)state;
	SET(o, "[{'name': 'http', 'port': 80}, {'name': 'ping', 'port': 7, 'protocol': 'ICMP'}]",
		"spec", "ports");
	svc_bad(o, -EINVAL, "service default/web: spec.ports[1].protocol: unknown protocol "
		"\"ICMP\"");
}

static void
test_svc_port_numbers(void **state)
{
	struct ng_k8s_service s;
	cJSON *o = web();

	(void)state;
	SET(o, "[{'port': 65535, 'nodePort': 32767}]", "spec", "ports");
	svc_ok(o, &s);
	assert_string_equal(s.ports[0].name, "");
	assert_int_equal(s.ports[0].port, 65535);
	assert_int_equal(s.ports[0].node_port, 32767);
	ng_k8s_service_free(&s);

	o = web();
	SET(o, "[{'port': 0}]", "spec", "ports");
	svc_bad(o, -EINVAL, "service default/web: spec.ports[0].port: 0 is out of range 1..65535");
	o = web();
	SET(o, "[{'port': 65536}]", "spec", "ports");
	svc_bad(o, -EINVAL, "service default/web: spec.ports[0].port: 65536 is out of range "
		"1..65535");
	o = web();
	SET(o, "[{'port': 80.5}]", "spec", "ports");
	svc_bad(o, -EINVAL, "service default/web: spec.ports[0].port: 80.5 is not an integer");
	o = web();
	SET(o, "[{'name': 'http', 'targetPort': 8080}]", "spec", "ports");
	svc_bad(o, -EINVAL, "service default/web: spec.ports[0].port: missing");
	o = web();
	SET(o, "[{'port': 80, 'nodePort': -1}]", "spec", "ports");
	svc_bad(o, -EINVAL, "service default/web: spec.ports[0].nodePort: -1 is out of range "
		"0..65535");
	o = web();
	SET(o, "[{'name': 'a-very-long-port-name', 'port': 80}]", "spec", "ports");
	svc_bad(o, -EINVAL, "service default/web: spec.ports[0].name: longer than 15 characters");
}

static void
test_svc_affinity_default(void **state)
{
	struct ng_k8s_service s;
	cJSON *o = web();

	(void)state;
	SET(o, "'ClientIP'", "spec", "sessionAffinity");
	svc_ok(o, &s);
	assert_true(s.affinity);
	assert_int_equal(s.affinity_timeout, 10800);
	ng_k8s_service_free(&s);
}

static void
test_svc_affinity_timeout(void **state)
{
	struct ng_k8s_service s;
	cJSON *o = web();

	(void)state;
	SET(o, "'ClientIP'", "spec", "sessionAffinity");
	SET(o, "{'clientIP': {'timeoutSeconds': 600}}", "spec", "sessionAffinityConfig");
	svc_ok(o, &s);
	assert_true(s.affinity);
	assert_int_equal(s.affinity_timeout, 600);
	ng_k8s_service_free(&s);

	o = web();
	SET(o, "'ClientIP'", "spec", "sessionAffinity");
	SET(o, "{'clientIP': {'timeoutSeconds': 86401}}", "spec", "sessionAffinityConfig");
	svc_bad(o, -EINVAL, "service default/web: spec.sessionAffinityConfig.clientIP."
		"timeoutSeconds: 86401 is out of range 1..86400");
	o = web();
	SET(o, "{'clientIP': {'timeoutSeconds': 0}}", "spec", "sessionAffinityConfig");
	svc_bad(o, -EINVAL, "service default/web: spec.sessionAffinityConfig.clientIP."
		"timeoutSeconds: 0 is out of range 1..86400");
	o = web();
	SET(o, "'Cookie'", "spec", "sessionAffinity");
	svc_bad(o, -EINVAL, "service default/web: spec.sessionAffinity: unknown value "
		"\"Cookie\"");
}

static void
test_svc_traffic_policies(void **state)
{
	struct ng_k8s_service s;
	cJSON *o = web_lb();

	(void)state;
	SET(o, "'Local'", "spec", "externalTrafficPolicy");
	SET(o, "32000", "spec", "healthCheckNodePort");
	svc_ok(o, &s);
	assert_true(s.etp_local);
	assert_false(s.itp_local);
	ng_k8s_service_free(&s);

	o = web_lb();
	SET(o, "'OnlyLocal'", "spec", "externalTrafficPolicy"); /* before 1.14 */
	svc_ok(o, &s);
	assert_true(s.etp_local);
	ng_k8s_service_free(&s);

	o = web();
	SET(o, "'Local'", "spec", "internalTrafficPolicy");
	svc_ok(o, &s);
	assert_false(s.etp_local);
	assert_true(s.itp_local);
	ng_k8s_service_free(&s);

	o = web();
	SET(o, "'Nearby'", "spec", "internalTrafficPolicy");
	svc_bad(o, -EINVAL, "service default/web: spec.internalTrafficPolicy: unknown value "
		"\"Nearby\"");
}

static void
test_svc_bad_address(void **state)
{
	cJSON *o = web();

	(void)state;
	SET(o, "['198.18.200.1', '198.18.200.2', '1.2.3']", "spec", "externalIPs");
	svc_bad(o, -EINVAL, "service default/web: spec.externalIPs[2]: \"1.2.3\" is not an IP "
		"address");
	o = web();
	SET(o, "'198.18.100.300'", "spec", "clusterIP");
	SET(o, NULL, "spec", "clusterIPs");
	svc_bad(o, -EINVAL, "service default/web: spec.clusterIP: \"198.18.100.300\" is not an "
		"IP address");
	o = web();
	SET(o, "['fe80::1%eth0']", "spec", "clusterIPs");
	svc_bad(o, -EINVAL, "service default/web: spec.clusterIPs[0]: \"fe80::1%eth0\" is not an "
		"IP address");
	o = web_lb();
	SET(o, "[{'ip': 'lb.example.com'}]", "status", "loadBalancer", "ingress");
	svc_bad(o, -EINVAL, "service default/web: status.loadBalancer.ingress[0].ip: "
		"\"lb.example.com\" is not an IP address");
}

static void
test_svc_wrong_types(void **state)
{
	static const struct {
		const char *value, *k1, *k2, *msg;
	} cases[] = {
		{"[{'name': 'http', 'port': '80'}]", "spec", "ports",
			"service default/web: spec.ports[0].port: not a number"},
		{"'198.18.200.1'", "spec", "externalIPs",
			"service default/web: spec.externalIPs: not an array"},
		{"[198]", "spec", "clusterIPs",
			"service default/web: spec.clusterIPs[0]: not a string"},
		{"['a', 'b']", "spec", "ports",
			"service default/web: spec.ports[0]: not an object"},
		{"'app=web'", "metadata", "labels",
			"service default/web: metadata.labels: not an object"},
		{"true", "spec", "type", "service default/web: spec.type: not a string"},
		{"[]", "spec", NULL, "service default/web: spec: not an object"},
		{"42", "metadata", "name", "service: metadata.name: not a string"},
		{"{'loadBalancer': []}", "status", NULL,
			"service default/web: status.loadBalancer: not an object"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cJSON *o = web();

		if (cases[i].k2 != NULL)
			SET(o, cases[i].value, cases[i].k1, cases[i].k2);
		else
			SET(o, cases[i].value, cases[i].k1);
		svc_bad(o, -EINVAL, cases[i].msg);
	}
	svc_bad(parse("['not', 'an', 'object']"), -EINVAL, "service: not a JSON object");
	svc_bad(parse("{'kind': 'Service', 'metadata': {'namespace': 'default'}}"), -EINVAL,
		"service: metadata.name: missing");
}

static void
test_svc_unknown_and_null_fields(void **state)
{
	struct ng_k8s_service s;
	cJSON *o = web();

	(void)state;
	/* Fields of later API versions are ignored; null is the same as absent. */
	SET(o, "{'trafficDistribution': 'PreferClose', 'x': [1, {'y': null}]}", "spec",
		"futureThing");
	SET(o, "'PreferClose'", "spec", "trafficDistribution");
	SET(o, "null", "spec", "externalIPs");
	SET(o, "null", "spec", "sessionAffinityConfig");
	SET(o, "null", "status");
	SET(o, "null", "metadata", "labels");
	svc_ok(o, &s);
	assert_null(s.skip);
	assert_int_equal(s.n_external_ips, 0);
	assert_int_equal(s.affinity_timeout, 10800);
	ng_k8s_service_free(&s);
}

static void
test_svc_error_frees(void **state)
{
	cJSON *o = web();

	(void)state;
	/* Fails after externalIPs, ports and lb ingress arrays were allocated: LSan checks. */
	SET(o, "['198.18.200.1', '198.18.200.2']", "spec", "externalIPs");
	SET(o, "{'loadBalancer': {'ingress': [{'ip': '198.18.200.3'}, {'ip': 'x'}]}}", "status");
	svc_bad(o, -EINVAL, "service default/web: status.loadBalancer.ingress[1].ip: \"x\" is "
		"not an IP address");
}

static void
test_svc_error_quotes_safely(void **state)
{
	cJSON *o = web();

	(void)state;
	SET(o, "['198.18.200.1\\n\\'x']", "spec", "externalIPs");
	svc_bad(o, -EINVAL, "service default/web: spec.externalIPs[0]: \"198.18.200.1??x\" is "
		"not an IP address");
}

/* ======== EndpointSlice decoder ======== */

static void
test_slice_basic(void **state)
{
	struct ng_k8s_slice s;

	(void)state;
	slice_ok(slice_json("web-x7k2p", "IPv4", PORT_HTTP,
			EP("198.19.1.10", "node-a", READY) "," EP("198.19.1.11", "node-b",
			TERM_SERVING)), &s);
	assert_string_equal(s.ns, "default");
	assert_string_equal(s.name, "web-x7k2p");
	assert_string_equal(s.rv, "48230");
	assert_string_equal(s.service, "web");
	assert_int_equal(s.family, AF_INET);
	assert_int_equal(s.n_ports, 1);
	assert_string_equal(s.ports[0].name, "http");
	assert_int_equal(s.ports[0].proto, IPPROTO_TCP);
	assert_int_equal(s.ports[0].port, 8080);
	assert_int_equal(s.n_endpoints, 2);
	assert_ip(&s.endpoints[0].addr, "198.19.1.10");
	assert_true(s.endpoints[0].ready);
	assert_true(s.endpoints[0].serving);
	assert_false(s.endpoints[0].terminating);
	assert_string_equal(s.endpoints[0].node, "node-a");
	assert_ip(&s.endpoints[1].addr, "198.19.1.11");
	assert_false(s.endpoints[1].ready);
	assert_true(s.endpoints[1].serving);
	assert_true(s.endpoints[1].terminating);
	assert_string_equal(s.endpoints[1].node, "node-b");
	ng_k8s_slice_free(&s);
}

static void
test_slice_ipv6(void **state)
{
	struct ng_k8s_slice s;

	(void)state;
	slice_ok(slice_json("web-v6abc", "IPv6", PORT_HTTP,
			EP("2001:db8:1::10", "node-a", READY)), &s);
	assert_int_equal(s.family, AF_INET6);
	assert_ip(&s.endpoints[0].addr, "2001:db8:1::10");
	ng_k8s_slice_free(&s);
}

static void
test_slice_fqdn(void **state)
{
	struct ng_k8s_slice s;

	(void)state;
	slice_ok(slice_json("web-fqdn1", "FQDN", PORT_HTTP,
			EP("db-1.example.com", "node-a", READY)), &s);
	assert_int_equal(s.family, 0);
	assert_int_equal(s.n_endpoints, 0);
	assert_null(s.endpoints);
	ng_k8s_slice_free(&s);
}

static void
test_slice_port_nil(void **state)
{
	struct ng_k8s_slice s;

	(void)state;
	slice_ok(slice_json("web-x7k2p", "IPv4",
			"{'name': null, 'port': null, 'protocol': null}, {'port': 9090}", ""),
			&s);
	assert_int_equal(s.n_ports, 2);
	assert_string_equal(s.ports[0].name, "");
	assert_int_equal(s.ports[0].port, 0);
	assert_int_equal(s.ports[0].proto, IPPROTO_TCP);
	assert_string_equal(s.ports[1].name, "");
	assert_int_equal(s.ports[1].port, 9090);
	assert_int_equal(s.n_endpoints, 0);
	ng_k8s_slice_free(&s);
}

static void
test_slice_nil_conditions(void **state)
{
	struct ng_k8s_slice s;

	(void)state;
	slice_ok(slice_json("web-x7k2p", "IPv4", PORT_HTTP,
			"{'addresses': ['198.19.1.10']},"
			"{'addresses': ['198.19.1.11'], 'conditions': {}},"
			"{'addresses': ['198.19.1.12'], 'conditions': {'ready': null,"
			" 'serving': null, 'terminating': null}, 'nodeName': null},"
			"{'addresses': ['198.19.1.13'], 'conditions': {'ready': false}}"), &s);
	assert_int_equal(s.n_endpoints, 4);
	for (unsigned int i = 0; i < 3; i++) {
		assert_true(s.endpoints[i].ready);
		assert_true(s.endpoints[i].serving);
		assert_false(s.endpoints[i].terminating);
		assert_null(s.endpoints[i].node);
	}
	assert_false(s.endpoints[3].ready);
	assert_true(s.endpoints[3].serving); /* nil serving is true, whatever ready says */
	ng_k8s_slice_free(&s);
}

static void
test_slice_errors(void **state)
{
	cJSON *o;

	(void)state;
	slice_bad(slice_json("web-x7k2p", "IPv4", PORT_HTTP,
			EP("198.19.1.10", "node-a", READY) ", {'addresses': [], 'nodeName':"
			" 'node-b'}"),
		"endpointslice default/web-x7k2p: endpoints[1].addresses: empty");
	slice_bad(slice_json("web-x7k2p", "IPv4", PORT_HTTP,
			EP("198.19.1.10", "node-a", READY) "," EP("198.19.1.300", "node-b", READY)),
		"endpointslice default/web-x7k2p: endpoints[1].addresses[0]: \"198.19.1.300\" is "
		"not an IPv4 address");
	slice_bad(slice_json("web-x7k2p", "IPv4", PORT_HTTP, EP("2001:db8::1", "node-a", READY)),
		"endpointslice default/web-x7k2p: endpoints[0].addresses[0]: \"2001:db8::1\" is "
		"not an IPv4 address");
	slice_bad(slice_json("web-x7k2p", "IPv6", PORT_HTTP, EP("198.19.1.1", "node-a", READY)),
		"endpointslice default/web-x7k2p: endpoints[0].addresses[0]: \"198.19.1.1\" is "
		"not an IPv6 address");
	slice_bad(slice_json("web-x7k2p", "IPv4", PORT_HTTP,
			"{'addresses': ['198.19.1.10'], 'conditions': {'ready': 'true'}}"),
		"endpointslice default/web-x7k2p: endpoints[0].conditions.ready: not a boolean");
	slice_bad(slice_json("web-x7k2p", "IPv4", "{'name': 'http', 'port': 8080,"
			" 'protocol': 'QUIC'}", ""),
		"endpointslice default/web-x7k2p: ports[0].protocol: unknown protocol \"QUIC\"");
	slice_bad(slice_json("web-x7k2p", "AppleTalk", PORT_HTTP, ""),
		"endpointslice default/web-x7k2p: addressType: unknown value \"AppleTalk\"");
	o = slice_json("web-x7k2p", "IPv4", PORT_HTTP, "");
	SET(o, NULL, "addressType");
	slice_bad(o, "endpointslice default/web-x7k2p: addressType: missing");
	/* fails after nodeName copies were made: LSan checks */
	slice_bad(slice_json("web-x7k2p", "IPv4", PORT_HTTP,
			EP("198.19.1.10", "node-a", READY) "," EP("198.19.1.11", "node-b", READY)
			", {'addresses': ['198.19.1.12'], 'nodeName': 7}"),
		"endpointslice default/web-x7k2p: endpoints[2].nodeName: not a string");
}

static void
test_slice_no_service_label(void **state)
{
	struct ng_k8s_slice s;
	cJSON *o = slice_json("custom-1", "IPv4", PORT_HTTP, EP("198.19.1.10", "node-a", READY));

	(void)state;
	SET(o, NULL, "metadata", "labels", "kubernetes.io/service-name");
	slice_ok(o, &s);
	assert_string_equal(s.service, "");
	ng_k8s_slice_free(&s);
}

/* ======== metadata, lists, events ======== */

static void
test_meta_decode(void **state)
{
	char ns[NG_K8S_NS_MAX], name[NG_K8S_NAME_MAX], rv[NG_K8S_RV_MAX];
	cJSON *o = web();

	(void)state;
	assert_int_equal(ng_k8s_meta_decode(o, ns, name, rv, err, sizeof(err)), 0);
	assert_string_equal(ns, "default");
	assert_string_equal(name, "web");
	assert_string_equal(rv, "48213");
	cJSON_Delete(o);

	o = parse("{'kind': 'Service', 'metadata': {'resourceVersion': '5'}}");
	assert_int_equal(ng_k8s_meta_decode(o, ns, name, rv, err, sizeof(err)), 0);
	assert_string_equal(ns, "");
	assert_string_equal(name, "");
	assert_string_equal(rv, "5");
	cJSON_Delete(o);

	o = parse("{'metadata': {'name': 'web', 'resourceVersion': 48213}}");
	assert_int_equal(ng_k8s_meta_decode(o, ns, name, rv, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "object web: metadata.resourceVersion: not a string");
	cJSON_Delete(o);
}

/* kubectl get svc -o json (a page): items have no kind or apiVersion. */
static char *
list_text(const char *meta)
{
	cJSON *item = web();
	char *text, *it;

	cJSON_DeleteItemFromObjectCaseSensitive(item, "kind");
	cJSON_DeleteItemFromObjectCaseSensitive(item, "apiVersion");
	it = cJSON_PrintUnformatted(item);
	cJSON_Delete(item);
	assert_true(asprintf(&text, "{\"apiVersion\":\"v1\",\"items\":[%s,%s],"
			"\"kind\":\"ServiceList\",\"metadata\":%s}", it, it, meta) > 0);
	free(it);
	return text;
}

static void
test_list_continue(void **state)
{
	char *text = list_text("{\"continue\":\"eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6NDgyMTMsInN"
			"0YXJ0IjoiZGVmYXVsdC93ZWJcdTAwMDAifQ\",\"remainingItemCount\":3,"
			"\"resourceVersion\":\"48213\"}");
	cJSON *root = cJSON_Parse(text);
	const char *rv, *cont;
	const cJSON *items, *it;
	unsigned int n = 0;

	(void)state;
	assert_non_null(root);
	assert_int_equal(ng_k8s_list_decode(root, &rv, &cont, &items, err, sizeof(err)), 0);
	assert_string_equal(rv, "48213");
	assert_string_equal(cont, "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6NDgyMTMsInN0YXJ0IjoiZGVm"
			"YXVsdC93ZWJcdTAwMDAifQ");
	cJSON_ArrayForEach(it, items) {
		struct ng_k8s_service s;

		assert_int_equal(ng_k8s_service_decode(it, &s, err, sizeof(err)), 0);
		assert_string_equal(s.name, "web");
		ng_k8s_service_free(&s);
		n++;
	}
	assert_int_equal(n, 2);
	cJSON_Delete(root);
	free(text);
}

static void
test_list_no_continue(void **state)
{
	static const char *const metas[] = {
		"{\"resourceVersion\":\"48213\"}",
		"{\"continue\":\"\",\"resourceVersion\":\"48213\"}",
	};
	const char *rv, *cont;
	const cJSON *items;
	cJSON *root;

	(void)state;
	for (unsigned int i = 0; i < 2; i++) {
		char *text = list_text(metas[i]);

		root = cJSON_Parse(text);
		assert_int_equal(ng_k8s_list_decode(root, &rv, &cont, &items, err, sizeof(err)),
				0);
		assert_string_equal(rv, "48213");
		assert_string_equal(cont, "");
		assert_int_equal(cJSON_GetArraySize(items), 2);
		cJSON_Delete(root);
		free(text);
	}
	/* empty lists: [] and null */
	root = parse("{'apiVersion': 'v1', 'items': [], 'kind': 'ServiceList', "
			"'metadata': {'resourceVersion': '7'}}");
	assert_int_equal(ng_k8s_list_decode(root, &rv, &cont, &items, err, sizeof(err)), 0);
	assert_int_equal(cJSON_GetArraySize(items), 0);
	cJSON_Delete(root);
	root = parse("{'items': null, 'kind': 'EndpointSliceList', 'metadata': "
			"{'resourceVersion': '7'}}");
	assert_int_equal(ng_k8s_list_decode(root, &rv, &cont, &items, err, sizeof(err)), 0);
	assert_non_null(items);
	assert_int_equal(cJSON_GetArraySize(items), 0);
	cJSON_Delete(root);
}

static void
test_list_errors(void **state)
{
	const char *rv, *cont;
	const cJSON *items;
	cJSON *root;

	(void)state;
	/* A Status is not an empty list. */
	root = parse("{'kind': 'Status', 'apiVersion': 'v1', 'metadata': {}, 'status': 'Failure',"
			" 'message': 'services is forbidden', 'reason': 'Forbidden', 'code': 403}");
	assert_int_equal(ng_k8s_list_decode(root, &rv, &cont, &items, err, sizeof(err)),
			-EINVAL);
	assert_string_equal(err, "list: items: missing");
	cJSON_Delete(root);
	root = parse("{'items': {}, 'metadata': {'resourceVersion': '7'}}");
	assert_int_equal(ng_k8s_list_decode(root, &rv, &cont, &items, err, sizeof(err)),
			-EINVAL);
	assert_string_equal(err, "list: items: not an array");
	cJSON_Delete(root);
	root = parse("{'items': [], 'metadata': {'continue': 5}}");
	assert_int_equal(ng_k8s_list_decode(root, &rv, &cont, &items, err, sizeof(err)),
			-EINVAL);
	assert_string_equal(err, "list: metadata.continue: not a string");
	cJSON_Delete(root);
}

/** A watch event around a service: {"type": T, "object": web with resourceVersion rv}. */
static char *
event_text(const char *type, const char *rv, bool pretty)
{
	cJSON *o = web(), *ev = cJSON_CreateObject();
	char *text;

	SET(o, rv, "metadata", "resourceVersion");
	cJSON_AddStringToObject(ev, "type", type);
	cJSON_AddItemToObject(ev, "object", o);
	text = pretty ? cJSON_Print(ev) : cJSON_PrintUnformatted(ev);
	cJSON_Delete(ev);
	return text;
}

static void
event_ok(const char *text, struct ng_k8s_event *ev, cJSON **root)
{
	int rc;

	*root = cJSON_Parse(text);
	assert_non_null(*root);
	rc = ng_k8s_event_decode(*root, ev, err, sizeof(err));
	if (rc != 0)
		print_error("%s\n", err);
	assert_int_equal(rc, 0);
}

static void
event_type_case(const char *type, enum ng_k8s_ev_type want, const char *rv)
{
	char *text = event_text(type, rv, false);
	struct ng_k8s_event ev;
	char quoted[16];
	cJSON *root;

	event_ok(text, &ev, &root);
	assert_int_equal(ev.type, want);
	snprintf(quoted, sizeof(quoted), "%.*s", (int)strlen(rv) - 2, rv + 1);
	assert_string_equal(ev.rv, quoted);
	assert_ptr_equal(ev.object, cJSON_GetObjectItemCaseSensitive(root, "object"));
	assert_int_equal(ev.code, 0);
	cJSON_Delete(root);
	free(text);
}

static void
test_event_added(void **state)
{
	(void)state;
	event_type_case("ADDED", NG_K8S_EV_ADDED, "'48213'");
}

static void
test_event_modified(void **state)
{
	(void)state;
	event_type_case("MODIFIED", NG_K8S_EV_MODIFIED, "'48220'");
}

static void
test_event_deleted(void **state)
{
	(void)state;
	event_type_case("DELETED", NG_K8S_EV_DELETED, "'48299'");
}

static void
test_event_bookmark(void **state)
{
	struct ng_k8s_event ev;
	cJSON *root;
	char *text = jq("{'type':'BOOKMARK','object':{'kind':'Service','apiVersion':'v1',"
			"'metadata':{'resourceVersion':'49017','creationTimestamp':null,"
			"'annotations':{'k8s.io/initial-events-end':'true'}},'spec':{},"
			"'status':{'loadBalancer':{}}}}");

	(void)state;
	event_ok(text, &ev, &root);
	assert_int_equal(ev.type, NG_K8S_EV_BOOKMARK);
	assert_string_equal(ev.rv, "49017");
	cJSON_Delete(root);
	free(text);
}

static void
test_event_error_expired(void **state)
{
	struct ng_k8s_event ev;
	cJSON *root;
	char *text = jq("{'type':'ERROR','object':{'kind':'Status','apiVersion':'v1',"
			"'metadata':{},'status':'Failure','message':'too old resource version: "
			"48213 (49102)','reason':'Expired','code':410}}");

	(void)state;
	event_ok(text, &ev, &root);
	assert_int_equal(ev.type, NG_K8S_EV_ERROR);
	assert_int_equal(ev.code, 410);
	assert_string_equal(ev.reason, "Expired");
	assert_string_equal(ev.message, "too old resource version: 48213 (49102)");
	assert_string_equal(ev.rv, "");
	cJSON_Delete(root);
	free(text);
}

static void
test_event_error_gone(void **state)
{
	struct ng_k8s_event ev;
	cJSON *root;
	char *text = jq("{'type':'ERROR','object':{'kind':'Status','apiVersion':'v1',"
			"'metadata':{},'status':'Failure','message':'The resourceVersion for the "
			"provided watch is too old.','reason':'Gone','code':410}}");

	(void)state;
	event_ok(text, &ev, &root);
	assert_int_equal(ev.type, NG_K8S_EV_ERROR);
	assert_int_equal(ev.code, 410);
	assert_string_equal(ev.reason, "Gone");
	assert_string_equal(ev.message, "The resourceVersion for the provided watch is too old.");
	cJSON_Delete(root);
	free(text);
}

static void
test_event_error_long_message(void **state)
{
	char msg[600], *text;
	struct ng_k8s_event ev;
	cJSON *root;

	(void)state;
	memset(msg, 'm', sizeof(msg) - 1);
	msg[sizeof(msg) - 1] = '\0';
	assert_true(asprintf(&text, "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\","
			"\"reason\":\"InternalErrorWithAVeryLongReasonIndeed\",\"message\":\"%s\","
			"\"code\":500}}", msg) > 0);
	event_ok(text, &ev, &root);
	assert_int_equal(ev.code, 500);
	assert_int_equal(strlen(ev.message), sizeof(ev.message) - 1);
	assert_int_equal(strlen(ev.reason), sizeof(ev.reason) - 1);
	cJSON_Delete(root);
	free(text);
}

static void
test_event_errors(void **state)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{"{'type':'RESYNC','object':{'metadata':{}}}",
			"watch event: type: unknown event type \"RESYNC\""},
		{"{'object':{'metadata':{}}}", "watch event: type: missing"},
		{"{'type':'ADDED'}", "watch event: object: missing"},
		{"{'type':'ADDED','object':[]}", "watch event: object: not an object"},
		{"{'type':1,'object':{}}", "watch event: type: not a string"},
		{"{'type':'ERROR','object':{'code':'410'}}",
			"watch event: object.code: not a number"},
		{"[]", "watch event: not a JSON object"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ng_k8s_event ev;
		cJSON *root = parse(cases[i].text);

		assert_int_equal(ng_k8s_event_decode(root, &ev, err, sizeof(err)), -EINVAL);
		assert_string_equal(err, cases[i].msg);
		cJSON_Delete(root);
	}
}

/* ======== the stream splitter ======== */

#define SINK_MAX 16

struct sink {
	unsigned int n;
	char *obj[SINK_MAX];
	size_t len[SINK_MAX];
	unsigned int stop_at; /**< return 7 on the n-th object; 0: never */
};

static int
sink_cb(const char *obj, size_t len, void *arg)
{
	struct sink *k = arg;

	assert_true(k->n < SINK_MAX);
	k->obj[k->n] = malloc(len + 1);
	assert_non_null(k->obj[k->n]);
	memcpy(k->obj[k->n], obj, len);
	k->obj[k->n][len] = '\0';
	k->len[k->n] = len;
	k->n++;
	return k->stop_at != 0 && k->n == k->stop_at ? 7 : 0;
}

static void
sink_free(struct sink *k)
{
	for (unsigned int i = 0; i < k->n; i++)
		free(k->obj[i]);
	memset(k, 0, sizeof(*k));
}

/** Three events as a watch sends them: pretty, compact, a bookmark; newlines between. */
static char *
three_events(char *ev[3])
{
	char *all;

	ev[0] = event_text("ADDED", "'48213'", true);
	ev[1] = event_text("MODIFIED", "'48220'", false);
	ev[2] = jq("{'type':'BOOKMARK','object':{'kind':'Service','apiVersion':'v1',"
			"'metadata':{'resourceVersion':'49017','creationTimestamp':null}}}");
	assert_true(asprintf(&all, "%s\n%s\r\n\t %s\n", ev[0], ev[1], ev[2]) > 0);
	return all;
}

static void
check_three(const struct sink *k, char *const ev[3])
{
	assert_int_equal(k->n, 3);
	for (unsigned int i = 0; i < 3; i++)
		assert_string_equal(k->obj[i], ev[i]);
}

static void
test_split_whole(void **state)
{
	static const enum ng_k8s_ev_type types[] = {
		NG_K8S_EV_ADDED, NG_K8S_EV_MODIFIED, NG_K8S_EV_BOOKMARK,
	};
	struct ng_k8s_splitter sp = {0};
	struct sink k = {0};
	char *ev[3], *all = three_events(ev);

	(void)state;
	assert_int_equal(ng_k8s_split_feed(&sp, all, strlen(all), sink_cb, &k), 0);
	check_three(&k, ev);
	for (unsigned int i = 0; i < 3; i++) {
		cJSON *root = cJSON_ParseWithLength(k.obj[i], k.len[i]);
		struct ng_k8s_event e;

		assert_int_equal(ng_k8s_event_decode(root, &e, err, sizeof(err)), 0);
		assert_int_equal(e.type, types[i]);
		cJSON_Delete(root);
	}
	sink_free(&k);
	ng_k8s_split_free(&sp);
	for (unsigned int i = 0; i < 3; i++)
		free(ev[i]);
	free(all);
}

static void
test_split_bytewise(void **state)
{
	struct ng_k8s_splitter sp = {0};
	struct sink k = {0};
	char *ev[3], *all = three_events(ev);

	(void)state;
	for (size_t i = 0; all[i] != '\0'; i++)
		assert_int_equal(ng_k8s_split_feed(&sp, all + i, 1, sink_cb, &k), 0);
	check_three(&k, ev);
	sink_free(&k);
	ng_k8s_split_free(&sp);
	for (unsigned int i = 0; i < 3; i++)
		free(ev[i]);
	free(all);
}

/* Quotes, backslashes and braces inside strings: {"a":"x\"}{","b":"\\","c":"\\\"}",...} */
static const char TRICKY[] =
	"{\"a\":\"x\\\"}{\",\"b\":\"\\\\\",\"c\":\"\\\\\\\"}\",\"d\":{\"e\":\"}}}{{\"},"
	"\"f\":\"\\u007b\",\"g\":[{\"h\":\"\\\\\\\\\"}]}";

static void
test_split_escapes_every_cut(void **state)
{
	size_t n = strlen(TRICKY);
	cJSON *o = cJSON_Parse(TRICKY);

	(void)state;
	assert_non_null(o); /* the fixture itself is one valid object */
	assert_string_equal(cJSON_GetObjectItem(o, "c")->valuestring, "\\\"}");
	cJSON_Delete(o);
	for (size_t a = 0; a <= n; a++)
		for (size_t b = a; b <= n; b++) {
			struct ng_k8s_splitter sp = {0};
			struct sink k = {0};

			assert_int_equal(ng_k8s_split_feed(&sp, TRICKY, a, sink_cb, &k), 0);
			assert_int_equal(ng_k8s_split_feed(&sp, TRICKY + a, b - a, sink_cb, &k), 0);
			assert_int_equal(ng_k8s_split_feed(&sp, TRICKY + b, n - b, sink_cb, &k), 0);
			assert_int_equal(ng_k8s_split_feed(&sp, "\n", 1, sink_cb, &k), 0);
			assert_int_equal(k.n, 1);
			assert_string_equal(k.obj[0], TRICKY);
			sink_free(&k);
			ng_k8s_split_free(&sp);
		}
}

static void
test_split_braces_in_strings(void **state)
{
	static const char s[] = "{\"m\":\"}\"}{\"m\":\"{\"}{\"m\":\"{{\\\"}}\"}";
	struct ng_k8s_splitter sp = {0};
	struct sink k = {0};

	(void)state;
	assert_int_equal(ng_k8s_split_feed(&sp, s, strlen(s), sink_cb, &k), 0);
	assert_int_equal(k.n, 3);
	assert_string_equal(k.obj[0], "{\"m\":\"}\"}");
	assert_string_equal(k.obj[1], "{\"m\":\"{\"}");
	assert_string_equal(k.obj[2], "{\"m\":\"{{\\\"}}\"}");
	sink_free(&k);
	ng_k8s_split_free(&sp);
}

static void
test_split_whitespace(void **state)
{
	static const char s[] = " \n\r\t{\"a\":{ \"b\" : 1 }}\n\n  \r\n{}\t";
	struct ng_k8s_splitter sp = {0};
	struct sink k = {0};

	(void)state;
	assert_int_equal(ng_k8s_split_feed(&sp, s, strlen(s), sink_cb, &k), 0);
	assert_int_equal(k.n, 2);
	assert_string_equal(k.obj[0], "{\"a\":{ \"b\" : 1 }}");
	assert_string_equal(k.obj[1], "{}");
	/* whitespace alone, and an empty feed, are fine */
	assert_int_equal(ng_k8s_split_feed(&sp, "\n\n", 2, sink_cb, &k), 0);
	assert_int_equal(ng_k8s_split_feed(&sp, NULL, 0, sink_cb, &k), 0);
	assert_int_equal(k.n, 2);
	sink_free(&k);
	ng_k8s_split_free(&sp);
}

static void
test_split_garbage(void **state)
{
	static const char *const bad[] = {"{}x{}", "}", "{}}", "[1]", "{} 42", "\"s\""};
	struct ng_k8s_splitter sp = {0};
	struct sink k = {0};

	(void)state;
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(ng_k8s_split_feed(&sp, bad[i], strlen(bad[i]), sink_cb, &k),
				-EBADMSG);
		/* the splitter starts afresh after an error */
		assert_int_equal(ng_k8s_split_feed(&sp, "{\"ok\":1}", 8, sink_cb, &k), 0);
		assert_string_equal(k.obj[k.n - 1], "{\"ok\":1}");
		sink_free(&k);
	}
	ng_k8s_split_free(&sp);
}

static void
test_split_max(void **state)
{
	static const char ok[] = "{\"k\":\"01234567\"}"; /* 16 bytes */
	static const char big[] = "{\"k\":\"012345678\"}";
	struct ng_k8s_splitter sp = {.max = 16};
	struct sink k = {0};
	int rc = 0;

	(void)state;
	assert_int_equal(strlen(ok), 16);
	assert_int_equal(ng_k8s_split_feed(&sp, ok, 16, sink_cb, &k), 0);
	assert_int_equal(k.n, 1);
	assert_int_equal(ng_k8s_split_feed(&sp, big, strlen(big), sink_cb, &k), -EMSGSIZE);
	/* byte by byte: refused at the 17th byte, without waiting for the end */
	for (size_t i = 0; i < 17 && rc == 0; i++)
		rc = ng_k8s_split_feed(&sp, big + i, 1, sink_cb, &k);
	assert_int_equal(rc, -EMSGSIZE);
	assert_int_equal(k.n, 1);
	/* an object that never ends does not grow the buffer past max */
	assert_int_equal(ng_k8s_split_feed(&sp, "{\"k\":\"", 6, sink_cb, &k), 0);
	rc = 0;
	for (int i = 0; i < 10 && rc != -EMSGSIZE; i++)
		rc = ng_k8s_split_feed(&sp, "aaaa", 4, sink_cb, &k);
	assert_int_equal(rc, -EMSGSIZE);
	sink_free(&k);
	ng_k8s_split_free(&sp);
}

static void
test_split_cb_stop(void **state)
{
	static const char s[] = "{\"a\":1}{\"b\":2}\n{\"c\":3}";
	struct ng_k8s_splitter sp = {0};
	struct sink k = {.stop_at = 1};

	(void)state;
	assert_int_equal(ng_k8s_split_feed(&sp, s, strlen(s), sink_cb, &k), 7);
	assert_int_equal(k.n, 1);
	/* the rest stays buffered for the next feed */
	assert_int_equal(ng_k8s_split_feed(&sp, NULL, 0, sink_cb, &k), 0);
	assert_int_equal(k.n, 3);
	assert_string_equal(k.obj[1], "{\"b\":2}");
	assert_string_equal(k.obj[2], "{\"c\":3}");
	sink_free(&k);
	ng_k8s_split_free(&sp);
}

static void
test_split_reset(void **state)
{
	struct ng_k8s_splitter sp = {0};
	struct sink k = {0};

	(void)state;
	assert_int_equal(ng_k8s_split_feed(&sp, "{\"a\":\"}{", 8, sink_cb, &k), 0);
	ng_k8s_split_reset(&sp);
	assert_int_equal(ng_k8s_split_feed(&sp, "{\"b\":1}", 7, sink_cb, &k), 0);
	assert_int_equal(k.n, 1);
	assert_string_equal(k.obj[0], "{\"b\":1}");
	sink_free(&k);
	ng_k8s_split_free(&sp);
}

/* Checks each object against the expected sequence, without copying. */
struct expect {
	char *const *obj;
	unsigned int n, i;
	unsigned int bad;
};

static int
expect_cb(const char *obj, size_t len, void *arg)
{
	struct expect *e = arg;
	const char *want = e->obj[e->i % e->n];

	if (len != strlen(want) || memcmp(obj, want, len) != 0)
		e->bad++;
	e->i++;
	return 0;
}

/** xorshift64*: the same chunkings on every run. */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

static void
test_split_random_chunks(void **state)
{
	struct ng_k8s_splitter sp = {0};
	char *ev[4], *all;
	uint64_t seed = 0x6b8b4567327b23c6ull;
	size_t n;

	(void)state;
	free(three_events(ev));
	ev[3] = strdup(TRICKY);
	assert_true(asprintf(&all, "%s\n%s\n%s\n%s\n", ev[0], ev[1], ev[2], ev[3]) > 0);
	n = strlen(all);
	for (unsigned int round = 0; round < 10000; round++) {
		struct expect e = {.obj = ev, .n = 4};

		for (size_t off = 0; off < n;) {
			uint64_t r = rnd(&seed);
			size_t c = 1 + (size_t)(r % ((r >> 32) % 4 == 0 ? n : 48));

			if (c > n - off)
				c = n - off;
			assert_int_equal(ng_k8s_split_feed(&sp, all + off, c, expect_cb, &e), 0);
			off += c;
		}
		assert_int_equal(e.bad, 0);
		assert_int_equal(e.i, 4);
	}
	ng_k8s_split_free(&sp);
	for (unsigned int i = 0; i < 4; i++)
		free(ev[i]);
	free(all);
}

static void
test_split_linear(void **state)
{
	/* Quadratic rescans would take minutes here; linear work takes milliseconds. */
	size_t big = (size_t)1 << 20, n_small = 100000;
	struct ng_k8s_splitter sp = {0};
	struct expect e;
	char *obj = malloc(big + 1), *many;
	char *const *want;
	static const char small[] = "{\"type\":\"BOOKMARK\",\"object\":{}}\n";
	size_t sl = strlen(small), off;

	(void)state;
	assert_non_null(obj);
	memset(obj, 'a', big);
	memcpy(obj, "{\"k\":\"", 6);
	memcpy(obj + big - 2, "\"}", 2);
	obj[big] = '\0';
	want = &obj;
	e = (struct expect){.obj = want, .n = 1};
	for (size_t i = 0; i < big; i++)
		assert_int_equal(ng_k8s_split_feed(&sp, obj + i, 1, expect_cb, &e), 0);
	assert_int_equal(e.i, 1);
	assert_int_equal(e.bad, 0);

	many = malloc(sl * n_small);
	assert_non_null(many);
	for (size_t i = 0; i < n_small; i++)
		memcpy(many + i * sl, small, sl);
	free(obj);
	obj = strndup(small, sl - 1);
	want = &obj;
	e = (struct expect){.obj = want, .n = 1};
	/* one feed of 3 MB, then odd-sized chunks */
	assert_int_equal(ng_k8s_split_feed(&sp, many, sl * n_small, expect_cb, &e), 0);
	for (off = 0; off < sl * n_small; off += 7) {
		size_t c = off + 7 <= sl * n_small ? 7 : sl * n_small - off;

		assert_int_equal(ng_k8s_split_feed(&sp, many + off, c, expect_cb, &e), 0);
	}
	assert_int_equal(e.i, 2 * n_small);
	assert_int_equal(e.bad, 0);
	assert_true(sp.cap <= 2 * sl * n_small + 4096);
	free(many);
	free(obj);
	ng_k8s_split_free(&sp);
}

/* ======== translation ======== */

static void
test_xlate_basic(void **state)
{
	static const struct ng_ct_timeouts zero_tmo;
	struct xfix f = {0};
	const struct ng_k8s_want *w;

	(void)state;
	svc_ok(web(), &f.svc);
	fix_slice(&f, "web-x7k2p", "IPv4", PORT_HTTP,
			EP("198.19.1.11", "node-b", READY) ","
			EP("198.19.1.10", "node-a", READY) ","
			EP("198.19.1.12", "node-b", NOT_READY));
	fix_xlate(&f, &node_a);
	assert_string_equal(names(&f.x), "default/web:http");
	w = find(&f.x, "default/web:http");
	assert_int_equal(w->spec.origin, NG_SVC_ORIGIN_K8S);
	assert_int_equal(w->spec.proto, IPPROTO_TCP);
	assert_int_equal(w->spec.scheduler, NG_SCHED_MAGLEV);
	assert_int_equal(w->spec.mode, NG_FWD_FULLNAT);
	assert_false(w->spec.affinity);
	assert_int_equal(w->spec.affinity_timeout, 0);
	assert_memory_equal(&w->spec.timeouts, &zero_tmo, sizeof(zero_tmo));
	assert_false(w->spec.empty_drop);
	assert_string_equal(fe_list(w), "198.18.100.10:80");
	assert_string_equal(be_list(w), "198.19.1.10:8080 198.19.1.11:8080");
	assert_int_equal(f.x.sctp_ports, 0);
	fix_free(&f);
}

static void
test_xlate_skipped(void **state)
{
	static const char *const variants[] = {"headless", "externalname", "label"};

	(void)state;
	for (unsigned int i = 0; i < 3; i++) {
		struct xfix f = {0};
		cJSON *o = web();

		if (i == 0) {
			SET(o, "'None'", "spec", "clusterIP");
			SET(o, "['None']", "spec", "clusterIPs");
		} else if (i == 1) {
			SET(o, "'ExternalName'", "spec", "type");
		} else {
			SET(o, "'other'", "metadata", "labels",
				"service.kubernetes.io/service-proxy-name");
		}
		svc_ok(o, &f.svc);
		assert_non_null(f.svc.skip);
		fix_slice(&f, "web-x7k2p", "IPv4", PORT_HTTP, EP("198.19.1.10", "node-a", READY));
		fix_xlate(&f, &node_a);
		if (f.x.n != 0)
			print_error("%s: %s\n", variants[i], names(&f.x));
		assert_int_equal(f.x.n, 0);
		assert_null(f.x.want);
		fix_free(&f);
	}
}

static void
test_xlate_unnamed_port(void **state)
{
	struct xfix f = {0};
	cJSON *o = web();

	(void)state;
	SET(o, "[{'port': 80, 'protocol': 'TCP', 'targetPort': 8080}]", "spec", "ports");
	svc_ok(o, &f.svc);
	fix_slice(&f, "web-x7k2p", "IPv4", "{'name': '', 'port': 8080, 'protocol': 'TCP'}",
			EP("198.19.1.10", "node-a", READY));
	fix_xlate(&f, &node_a);
	assert_string_equal(names(&f.x), "default/web:80");
	assert_string_equal(be_list(find(&f.x, "default/web:80")), "198.19.1.10:8080");
	fix_free(&f);
}

static void
test_xlate_port_mapping(void **state)
{
	struct xfix f = {0};
	const struct ng_k8s_want *w;
	cJSON *o = web();

	(void)state;
	/* TCP and UDP on the same number; ports map by (name, protocol), not number */
	SET(o, "[{'name': 'dns', 'port': 53, 'protocol': 'UDP', 'targetPort': 5353},"
		"{'name': 'dns-tcp', 'port': 53, 'protocol': 'TCP', 'targetPort': 5354},"
		"{'name': 'metrics', 'port': 9153, 'protocol': 'TCP', 'targetPort': 9153}]",
		"spec", "ports");
	svc_ok(o, &f.svc);
	fix_slice(&f, "web-x7k2p", "IPv4",
			"{'name': 'dns-tcp', 'port': 5354, 'protocol': 'TCP'},"
			"{'name': 'dns', 'port': 9999, 'protocol': 'TCP'},"
			"{'name': 'dns', 'port': 5353, 'protocol': 'UDP'},"
			"{'name': 'metrics', 'port': 9153, 'protocol': 'UDP'}",
			EP("198.19.1.10", "node-a", READY));
	fix_xlate(&f, &node_a);
	assert_string_equal(names(&f.x), "default/web:dns default/web:dns-tcp default/web:metrics");
	w = find(&f.x, "default/web:dns");
	assert_int_equal(w->spec.proto, IPPROTO_UDP);
	assert_string_equal(fe_list(w), "198.18.100.10:53");
	assert_string_equal(be_list(w), "198.19.1.10:5353");
	w = find(&f.x, "default/web:dns-tcp");
	assert_int_equal(w->spec.proto, IPPROTO_TCP);
	assert_string_equal(fe_list(w), "198.18.100.10:53");
	assert_string_equal(be_list(w), "198.19.1.10:5354");
	/* metrics/TCP has no TCP port in the slice */
	w = find(&f.x, "default/web:metrics");
	assert_int_equal(w->n_be, 0);
	assert_false(w->spec.empty_drop);
	fix_free(&f);
}

static void
test_xlate_duplicate_port_names(void **state)
{
	struct xfix f = {0};
	cJSON *o = web();

	(void)state;
	SET(o, "[{'name': 'dns', 'port': 53, 'protocol': 'UDP'},"
		"{'name': 'dns', 'port': 53, 'protocol': 'TCP'}]", "spec", "ports");
	svc_ok(o, &f.svc);
	assert_int_equal(ng_k8s_translate(&f.svc, f.p, f.n, &node_a, &f.x, err, sizeof(err)),
			-EINVAL);
	assert_string_equal(err, "service default/web: spec.ports[0] and spec.ports[1] have the "
		"same name");
	assert_int_equal(f.x.n, 0);
	assert_null(f.x.want);
	fix_free(&f);
}

static void
test_xlate_slice_port_nil(void **state)
{
	struct xfix f = {0};

	(void)state;
	svc_ok(web(), &f.svc);
	fix_slice(&f, "web-aaaaa", "IPv4", "{'name': 'http', 'port': null, 'protocol': 'TCP'}",
			EP("198.19.1.10", "node-a", READY));
	fix_slice(&f, "web-bbbbb", "IPv4", PORT_HTTP, EP("198.19.1.20", "node-a", READY));
	fix_xlate(&f, &node_a);
	assert_string_equal(be_list(find(&f.x, "default/web:http")), "198.19.1.20:8080");
	fix_free(&f);
}

static void
test_xlate_merge_slices(void **state)
{
	struct xfix f = {0};

	(void)state;
	svc_ok(web(), &f.svc);
	fix_slice(&f, "web-aaaaa", "IPv4", PORT_HTTP,
			EP("198.19.1.30", "node-b", READY) "," EP("198.19.1.10", "node-a", READY));
	fix_slice(&f, "web-bbbbb", "IPv4", PORT_HTTP,
			EP("198.19.1.20", "node-c", READY) "," EP("198.19.1.10", "node-a", READY));
	/* the same IP on another port is another backend */
	fix_slice(&f, "web-ccccc", "IPv4", "{'name': 'http', 'port': 8081, 'protocol': 'TCP'}",
			EP("198.19.1.10", "node-a", READY));
	fix_xlate(&f, &node_a);
	assert_string_equal(be_list(find(&f.x, "default/web:http")),
			"198.19.1.10:8080 198.19.1.10:8081 198.19.1.20:8080 198.19.1.30:8080");
	fix_free(&f);
}

static void
test_xlate_dup_prefers_non_terminating(void **state)
{
	(void)state;
	/*
	 * 198.19.1.10 is ready in one slice and terminating in the other. Keeping
	 * the terminating copy would leave no ready endpoint, and the fallback
	 * would bring in 198.19.1.11 too.
	 */
	for (int order = 0; order < 2; order++) {
		struct xfix f = {0};
		const char *a = EP("198.19.1.10", "node-a", TERM_SERVING) ","
				EP("198.19.1.11", "node-b", TERM_SERVING);
		const char *b = EP("198.19.1.10", "node-a", READY);

		svc_ok(web(), &f.svc);
		fix_slice(&f, "web-aaaaa", "IPv4", PORT_HTTP, order ? b : a);
		fix_slice(&f, "web-bbbbb", "IPv4", PORT_HTTP, order ? a : b);
		fix_xlate(&f, &node_a);
		assert_string_equal(be_list(find(&f.x, "default/web:http")), "198.19.1.10:8080");
		fix_free(&f);
	}
}

static void
test_xlate_dup_keeps_first(void **state)
{
	(void)state;
	/* Two equal copies on different nodes (a pod moving): the first slice's wins. */
	for (int order = 0; order < 2; order++) {
		struct xfix f = {0};
		const struct ng_k8s_want *w;
		cJSON *o = web();
		const char *here = EP("198.19.1.10", "node-a", READY);
		const char *there = EP("198.19.1.10", "node-b", READY);

		SET(o, "'Local'", "spec", "internalTrafficPolicy");
		svc_ok(o, &f.svc);
		fix_slice(&f, "web-aaaaa", "IPv4", PORT_HTTP, order ? here : there);
		fix_slice(&f, "web-bbbbb", "IPv4", PORT_HTTP, order ? there : here);
		fix_xlate(&f, &node_a);
		w = find(&f.x, "default/web:http");
		assert_string_equal(be_list(w), order ? "198.19.1.10:8080" : "");
		assert_int_equal(w->spec.empty_drop, !order);
		fix_free(&f);
	}
}

static void
test_xlate_nil_conditions(void **state)
{
	struct xfix f = {0};

	(void)state;
	svc_ok(web(), &f.svc);
	fix_slice(&f, "web-aaaaa", "IPv4", PORT_HTTP,
			"{'addresses': ['198.19.1.10']},"
			"{'addresses': ['198.19.1.11'], 'conditions': {'ready': null}},"
			EP("198.19.1.12", "node-b", TERM_SERVING));
	fix_xlate(&f, &node_a);
	/* nil ready is ready: .12 (terminating) is not needed */
	assert_string_equal(be_list(find(&f.x, "default/web:http")),
			"198.19.1.10:8080 198.19.1.11:8080");
	fix_free(&f);
}

static void
test_xlate_ready_over_terminating(void **state)
{
	struct xfix f = {0};

	(void)state;
	svc_ok(web(), &f.svc);
	fix_slice(&f, "web-aaaaa", "IPv4", PORT_HTTP,
			EP("198.19.1.10", "node-b", TERM_SERVING) "," EP("198.19.1.11", "node-b",
			READY) "," EP("198.19.1.12", "node-c", NOT_READY));
	fix_xlate(&f, &node_a);
	assert_string_equal(be_list(find(&f.x, "default/web:http")), "198.19.1.11:8080");
	fix_free(&f);
}

static void
test_xlate_fallback_serving_terminating(void **state)
{
	struct xfix f = {0};

	(void)state;
	svc_ok(web(), &f.svc);
	fix_slice(&f, "web-aaaaa", "IPv4", PORT_HTTP,
			EP("198.19.1.12", "node-b", TERM_SERVING) "," EP("198.19.1.10", "node-b",
			TERM_SERVING) "," EP("198.19.1.11", "node-c", NOT_READY));
	fix_xlate(&f, &node_a);
	assert_string_equal(be_list(find(&f.x, "default/web:http")),
			"198.19.1.10:8080 198.19.1.12:8080");
	fix_free(&f);
}

static void
test_xlate_terminating_not_serving(void **state)
{
	struct xfix f = {0}, g = {0};
	const struct ng_k8s_want *w;

	(void)state;
	svc_ok(web(), &f.svc);
	fix_slice(&f, "web-aaaaa", "IPv4", PORT_HTTP,
			EP("198.19.1.10", "node-b", TERM_DOWN) "," EP("198.19.1.11", "node-b",
			TERM_SERVING));
	fix_slice(&f, "web-bbbbb", "IPv4", PORT_HTTP, EP("198.19.1.20", "node-b", TERM_DOWN));
	fix_xlate(&f, &node_a);
	assert_string_equal(be_list(find(&f.x, "default/web:http")), "198.19.1.11:8080");
	fix_free(&f);

	/* nothing serving at all: no backends, refuse */
	svc_ok(web(), &g.svc);
	fix_slice(&g, "web-bbbbb", "IPv4", PORT_HTTP, EP("198.19.1.20", "node-b", TERM_DOWN));
	fix_xlate(&g, &node_a);
	w = find(&g.x, "default/web:http");
	assert_int_equal(w->n_be, 0);
	assert_false(w->spec.empty_drop);
	fix_free(&g);
}

static void
test_xlate_etp_local(void **state)
{
	struct xfix f = {0};
	const struct ng_k8s_want *w;
	cJSON *o = web_lb();

	(void)state;
	SET(o, "'Local'", "spec", "externalTrafficPolicy");
	svc_ok(o, &f.svc);
	fix_slice(&f, "web-aaaaa", "IPv4", PORT_HTTP,
			EP("198.19.1.11", "node-b", READY) "," EP("198.19.1.10", "node-a", READY));
	fix_xlate(&f, &node_a);
	assert_string_equal(names(&f.x), "default/web:http default/web:http/ext");
	/* the cluster IP keeps Cluster policy */
	w = find(&f.x, "default/web:http");
	assert_int_equal(w->spec.mode, NG_FWD_FULLNAT);
	assert_string_equal(be_list(w), "198.19.1.10:8080 198.19.1.11:8080");
	w = find(&f.x, "default/web:http/ext");
	assert_int_equal(w->spec.mode, NG_FWD_DNAT);
	assert_string_equal(fe_list(w), "198.18.200.1:80 nodeport:30080");
	assert_string_equal(be_list(w), "198.19.1.10:8080");
	assert_false(w->spec.empty_drop);
	fix_free(&f);
}

static void
test_xlate_etp_local_remote_only(void **state)
{
	struct xfix f = {0};
	const struct ng_k8s_want *w;
	cJSON *o = web_lb();

	(void)state;
	SET(o, "'Local'", "spec", "externalTrafficPolicy");
	svc_ok(o, &f.svc);
	fix_slice(&f, "web-aaaaa", "IPv4", PORT_HTTP, EP("198.19.1.11", "node-b", READY));
	fix_xlate(&f, &node_a);
	w = find(&f.x, "default/web:http/ext");
	assert_int_equal(w->spec.mode, NG_FWD_DNAT);
	assert_int_equal(w->n_be, 0);
	assert_true(w->spec.empty_drop);
	w = find(&f.x, "default/web:http");
	assert_string_equal(be_list(w), "198.19.1.11:8080");
	assert_false(w->spec.empty_drop);
	fix_free(&f);
}

static void
test_xlate_local_fallback(void **state)
{
	struct xfix f = {0};
	cJSON *o = web_lb();

	(void)state;
	/* Local falls back on its own: a local terminating pod beats a remote ready one. */
	SET(o, "'Local'", "spec", "externalTrafficPolicy");
	svc_ok(o, &f.svc);
	fix_slice(&f, "web-aaaaa", "IPv4", PORT_HTTP,
			EP("198.19.1.10", "node-a", TERM_SERVING) "," EP("198.19.1.11", "node-b",
			READY));
	fix_xlate(&f, &node_a);
	assert_string_equal(be_list(find(&f.x, "default/web:http/ext")), "198.19.1.10:8080");
	assert_string_equal(be_list(find(&f.x, "default/web:http")), "198.19.1.11:8080");
	fix_free(&f);
}

static void
test_xlate_itp_local(void **state)
{
	struct xfix f = {0};
	const struct ng_k8s_want *w;
	cJSON *o = web();

	(void)state;
	SET(o, "'Local'", "spec", "internalTrafficPolicy");
	svc_ok(o, &f.svc);
	fix_slice(&f, "web-aaaaa", "IPv4", PORT_HTTP,
			EP("198.19.1.11", "node-b", READY) "," EP("198.19.1.10", "node-a", READY));
	fix_xlate(&f, &node_a);
	w = find(&f.x, "default/web:http");
	assert_int_equal(w->spec.mode, NG_FWD_DNAT);
	assert_string_equal(be_list(w), "198.19.1.10:8080");
	assert_false(w->spec.empty_drop);

	/* only remote endpoints: drop */
	fix_xlate(&f, &(struct ng_k8s_node){.name = "node-c", .ipv4 = true});
	w = find(&f.x, "default/web:http");
	assert_int_equal(w->n_be, 0);
	assert_true(w->spec.empty_drop);

	/* a node without a name has no local endpoints */
	fix_xlate(&f, &(struct ng_k8s_node){.name = NULL, .ipv4 = true});
	w = find(&f.x, "default/web:http");
	assert_int_equal(w->n_be, 0);
	assert_true(w->spec.empty_drop);
	fix_free(&f);
}

static void
test_xlate_no_endpoints(void **state)
{
	struct xfix f = {0};
	cJSON *o = web_lb();

	(void)state;
	SET(o, "'Local'", "spec", "externalTrafficPolicy");
	svc_ok(o, &f.svc);
	fix_xlate(&f, &node_a); /* no slices */
	assert_int_equal(f.x.n, 2);
	for (unsigned int i = 0; i < f.x.n; i++) {
		assert_int_equal(f.x.want[i].n_be, 0);
		assert_null(f.x.want[i].be);
		assert_false(f.x.want[i].spec.empty_drop);
	}
	/* a slice with no endpoints is the same */
	fix_slice(&f, "web-aaaaa", "IPv4", PORT_HTTP, "");
	fix_xlate(&f, &node_a);
	for (unsigned int i = 0; i < f.x.n; i++) {
		assert_int_equal(f.x.want[i].n_be, 0);
		assert_false(f.x.want[i].spec.empty_drop);
	}
	fix_free(&f);
}

static void
test_xlate_affinity(void **state)
{
	struct xfix f = {0};
	const struct ng_k8s_want *w;
	cJSON *o = web();

	(void)state;
	SET(o, "'ClientIP'", "spec", "sessionAffinity");
	SET(o, "{'clientIP': {'timeoutSeconds': 10800}}", "spec", "sessionAffinityConfig");
	svc_ok(o, &f.svc);
	fix_xlate(&f, &node_a);
	w = find(&f.x, "default/web:http");
	assert_true(w->spec.affinity);
	assert_int_equal(w->spec.affinity_timeout, 10800);
	ng_k8s_service_free(&f.svc);

	o = web();
	SET(o, "'ClientIP'", "spec", "sessionAffinity");
	SET(o, "{'clientIP': {'timeoutSeconds': 600}}", "spec", "sessionAffinityConfig");
	svc_ok(o, &f.svc);
	fix_xlate(&f, &node_a);
	w = find(&f.x, "default/web:http");
	assert_true(w->spec.affinity);
	assert_int_equal(w->spec.affinity_timeout, 600);
	fix_free(&f);
}

static void
test_xlate_sctp(void **state)
{
	struct xfix f = {0};
	cJSON *o = web();

	(void)state;
	SET(o, "[{'name': 'diameter', 'port': 3868, 'protocol': 'SCTP'},"
		"{'name': 'http', 'port': 80, 'protocol': 'TCP'},"
		"{'name': 'm3ua', 'port': 2905, 'protocol': 'SCTP'}]", "spec", "ports");
	svc_ok(o, &f.svc);
	fix_slice(&f, "web-aaaaa", "IPv4",
			PORT_HTTP ", {'name': 'diameter', 'port': 3868, 'protocol': 'SCTP'}",
			EP("198.19.1.10", "node-a", READY));
	fix_xlate(&f, &node_a);
	assert_string_equal(names(&f.x), "default/web:http");
	assert_int_equal(f.x.sctp_ports, 2);
	fix_free(&f);
}

static void
test_xlate_fqdn_slice_ignored(void **state)
{
	struct xfix f = {0};

	(void)state;
	svc_ok(web(), &f.svc);
	fix_slice(&f, "web-fqdn1", "FQDN", PORT_HTTP, EP("web-1.example.com", "node-a", READY));
	fix_xlate(&f, &node_a46);
	assert_int_equal(find(&f.x, "default/web:http")->n_be, 0);
	fix_free(&f);
}

static void
test_xlate_ipv6_slice_ignored(void **state)
{
	struct xfix f = {0};

	(void)state;
	svc_ok(web(), &f.svc);
	fix_slice(&f, "web-v4aaa", "IPv4", PORT_HTTP, EP("198.19.1.10", "node-a", READY));
	fix_slice(&f, "web-v6aaa", "IPv6", PORT_HTTP, EP("2001:db8:1::10", "node-a", READY));
	fix_xlate(&f, &node_a);
	assert_string_equal(be_list(find(&f.x, "default/web:http")), "198.19.1.10:8080");
	fix_free(&f);
}

static void
test_xlate_dual_stack(void **state)
{
	struct xfix f = {0};
	cJSON *o = web();

	(void)state;
	SET(o, "['2001:db8:100::10', '198.18.100.10']", "spec", "clusterIPs");
	SET(o, "'2001:db8:100::10'", "spec", "clusterIP");
	SET(o, "['IPv6', 'IPv4']", "spec", "ipFamilies");
	SET(o, "'RequireDualStack'", "spec", "ipFamilyPolicy");
	svc_ok(o, &f.svc);
	fix_slice(&f, "web-v6aaa", "IPv6", PORT_HTTP, EP("2001:db8:1::10", "node-a", READY));
	fix_slice(&f, "web-v4aaa", "IPv4", PORT_HTTP, EP("198.19.1.10", "node-a", READY));

	fix_xlate(&f, &node_a);
	assert_string_equal(fe_list(find(&f.x, "default/web:http")), "198.18.100.10:80");
	assert_string_equal(be_list(find(&f.x, "default/web:http")), "198.19.1.10:8080");

	fix_xlate(&f, &node_a6);
	assert_string_equal(fe_list(find(&f.x, "default/web:http")), "[2001:db8:100::10]:80");
	assert_string_equal(be_list(find(&f.x, "default/web:http")), "[2001:db8:1::10]:8080");

	fix_xlate(&f, &node_a46);
	assert_string_equal(fe_list(find(&f.x, "default/web:http")),
			"198.18.100.10:80 [2001:db8:100::10]:80");
	assert_string_equal(be_list(find(&f.x, "default/web:http")),
			"198.19.1.10:8080 [2001:db8:1::10]:8080");
	fix_free(&f);
}

static void
test_xlate_no_served_family(void **state)
{
	struct xfix f = {0};
	cJSON *o = web();

	(void)state;
	SET(o, "['2001:db8:100::10']", "spec", "clusterIPs");
	SET(o, "'2001:db8:100::10'", "spec", "clusterIP");
	svc_ok(o, &f.svc);
	fix_slice(&f, "web-v6aaa", "IPv6", PORT_HTTP, EP("2001:db8:1::10", "node-a", READY));
	fix_xlate(&f, &node_a);
	assert_int_equal(f.x.n, 0);
	fix_free(&f);
}

static void
test_xlate_external_ips(void **state)
{
	struct xfix f = {0};
	const struct ng_k8s_want *w;
	cJSON *o = web();

	(void)state;
	SET(o, "['198.18.200.2', '2001:db8:200::1', '198.18.200.1', '198.18.200.2']", "spec",
		"externalIPs");
	svc_ok(o, &f.svc);
	fix_slice(&f, "web-aaaaa", "IPv4", PORT_HTTP, EP("198.19.1.10", "node-b", READY));
	fix_xlate(&f, &node_a);
	assert_string_equal(names(&f.x), "default/web:http default/web:http/ext");
	w = find(&f.x, "default/web:http/ext");
	/* sorted, the duplicate once, IPv6 not served; ClusterIP type: no NodePort */
	assert_string_equal(fe_list(w), "198.18.200.1:80 198.18.200.2:80");
	assert_string_equal(be_list(w), "198.19.1.10:8080");
	assert_int_equal(w->spec.mode, NG_FWD_FULLNAT);
	fix_free(&f);
}

static void
test_xlate_lb_ips(void **state)
{
	struct xfix f = {0};
	cJSON *o = web_lb();

	(void)state;
	SET(o, "[{'hostname': 'lb-1.example.com'}, {'ip': '198.18.200.5'},"
		"{'ip': '198.18.200.4'}]", "status", "loadBalancer", "ingress");
	SET(o, "['198.18.200.5']", "spec", "externalIPs");
	svc_ok(o, &f.svc);
	fix_xlate(&f, &node_a);
	assert_string_equal(fe_list(find(&f.x, "default/web:http/ext")),
			"198.18.200.4:80 198.18.200.5:80 nodeport:30080");
	fix_free(&f);
}

static void
test_xlate_nodeport(void **state)
{
	struct xfix f = {0};
	cJSON *o = web();

	(void)state;
	SET(o, "'NodePort'", "spec", "type");
	SET(o, "[{'name': 'http', 'nodePort': 30080, 'port': 80, 'protocol': 'TCP'}]", "spec",
		"ports");
	svc_ok(o, &f.svc);
	fix_xlate(&f, &node_a);
	assert_string_equal(names(&f.x), "default/web:http default/web:http/ext");
	assert_string_equal(fe_list(find(&f.x, "default/web:http/ext")), "nodeport:30080");
	ng_k8s_service_free(&f.svc);

	/* a nodePort on a ClusterIP service is not exposed */
	o = web();
	SET(o, "[{'name': 'http', 'nodePort': 30080, 'port': 80, 'protocol': 'TCP'}]", "spec",
		"ports");
	svc_ok(o, &f.svc);
	fix_xlate(&f, &node_a);
	assert_string_equal(names(&f.x), "default/web:http");

	/* LoadBalancer without NodePorts (allocateLoadBalancerNodePorts false), no ingress yet */
	ng_k8s_service_free(&f.svc);
	o = web_lb();
	SET(o, "[{'name': 'http', 'port': 80, 'protocol': 'TCP'}]", "spec", "ports");
	SET(o, "{}", "status", "loadBalancer");
	svc_ok(o, &f.svc);
	fix_xlate(&f, &node_a);
	assert_string_equal(names(&f.x), "default/web:http");
	fix_free(&f);
}

static void
test_xlate_names(void **state)
{
	char ns[64], name[254], json[600], want[512];
	struct xfix f = {0};
	cJSON *o = web();

	(void)state;
	/* the longest Kubernetes names fit: 63 + 63 + 15 */
	memset(ns, 'n', 63);
	ns[63] = '\0';
	memset(name, 's', 63);
	name[63] = '\0';
	snprintf(json, sizeof(json), "'%s'", ns);
	SET(o, json, "metadata", "namespace");
	snprintf(json, sizeof(json), "'%s'", name);
	SET(o, json, "metadata", "name");
	SET(o, "'LoadBalancer'", "spec", "type");
	SET(o, "[{'name': 'abcdefghijklmno', 'nodePort': 30080, 'port': 80}]", "spec", "ports");
	svc_ok(o, &f.svc);
	fix_xlate(&f, &node_a);
	snprintf(want, sizeof(want), "%s/%s:abcdefghijklmno/ext", ns, name);
	assert_non_null(find(&f.x, want));
	ng_k8s_service_free(&f.svc);

	/* a name no Service may have (253 characters) is refused, not cut */
	memset(name, 's', 253);
	name[253] = '\0';
	o = web();
	snprintf(json, sizeof(json), "'%s'", name);
	SET(o, json, "metadata", "name");
	svc_ok(o, &f.svc);
	ng_k8s_xlate_free(&f.x);
	assert_int_equal(ng_k8s_translate(&f.svc, f.p, f.n, &node_a, &f.x, err, sizeof(err)),
			-EINVAL);
	assert_non_null(strstr(err, ": port http: the nodegw service name would be 266 "
			"characters (at most 191)"));
	assert_int_equal(f.x.n, 0);
	ng_k8s_service_free(&f.svc);

	/* "default/NAME:http" fits in 191 characters but ".../ext" does not */
	name[176] = '\0';
	o = web_lb();
	snprintf(json, sizeof(json), "'%s'", name);
	SET(o, json, "metadata", "name");
	svc_ok(o, &f.svc);
	assert_int_equal(ng_k8s_translate(&f.svc, f.p, f.n, &node_a, &f.x, err, sizeof(err)),
			-EINVAL);
	assert_non_null(strstr(err, ": port http: the nodegw service name would be 193 "
			"characters (at most 191)"));
	assert_int_equal(f.x.n, 0);
	assert_null(f.x.want);
	fix_free(&f);
}

static void
test_xlate_deterministic(void **state)
{
	char first[2][1024];

	(void)state;
	/* slices and endpoints in any order give the same output */
	for (int order = 0; order < 2; order++) {
		struct xfix f = {0};
		const struct ng_k8s_want *w;
		cJSON *o = web_lb();

		SET(o, "['198.18.200.9', '198.18.200.3']", "spec", "externalIPs");
		svc_ok(o, &f.svc);
		if (order == 0) {
			fix_slice(&f, "web-aaaaa", "IPv4", PORT_HTTP,
					EP("198.19.1.30", "node-b", READY) ","
					EP("198.19.1.4", "node-a", READY));
			fix_slice(&f, "web-bbbbb", "IPv4", PORT_HTTP,
					EP("198.19.1.200", "node-c", READY));
		} else {
			fix_slice(&f, "web-bbbbb", "IPv4", PORT_HTTP,
					EP("198.19.1.200", "node-c", READY));
			fix_slice(&f, "web-aaaaa", "IPv4", PORT_HTTP,
					EP("198.19.1.4", "node-a", READY) ","
					EP("198.19.1.30", "node-b", READY));
		}
		fix_xlate(&f, &node_a);
		w = find(&f.x, "default/web:http/ext");
		assert_string_equal(be_list(w), "198.19.1.4:8080 198.19.1.30:8080 "
				"198.19.1.200:8080");
		snprintf(first[order], sizeof(first[order]), "%s | %s", fe_list(w), be_list(w));
		fix_free(&f);
	}
	assert_string_equal(first[0], first[1]);
	assert_non_null(strstr(first[0], "198.18.200.1:80 198.18.200.3:80 198.18.200.9:80 "
			"nodeport:30080"));
}

static const struct CMUnitTest tests[] = {
	/* Service */
	cmocka_unit_test(test_svc_basic),
	cmocka_unit_test(test_svc_type_default),
	cmocka_unit_test(test_svc_headless_none),
	cmocka_unit_test(test_svc_headless_empty),
	cmocka_unit_test(test_svc_external_name),
	cmocka_unit_test(test_svc_label_proxy_name),
	cmocka_unit_test(test_svc_label_headless),
	cmocka_unit_test(test_svc_cluster_ips_over_cluster_ip),
	cmocka_unit_test(test_svc_external_ips),
	cmocka_unit_test(test_svc_lb_ingress),
	cmocka_unit_test(test_svc_protocols),
	cmocka_unit_test(test_svc_unknown_protocol),
	cmocka_unit_test(test_svc_port_numbers),
	cmocka_unit_test(test_svc_affinity_default),
	cmocka_unit_test(test_svc_affinity_timeout),
	cmocka_unit_test(test_svc_traffic_policies),
	cmocka_unit_test(test_svc_bad_address),
	cmocka_unit_test(test_svc_wrong_types),
	cmocka_unit_test(test_svc_unknown_and_null_fields),
	cmocka_unit_test(test_svc_error_frees),
	cmocka_unit_test(test_svc_error_quotes_safely),
	/* EndpointSlice */
	cmocka_unit_test(test_slice_basic),
	cmocka_unit_test(test_slice_ipv6),
	cmocka_unit_test(test_slice_fqdn),
	cmocka_unit_test(test_slice_port_nil),
	cmocka_unit_test(test_slice_nil_conditions),
	cmocka_unit_test(test_slice_errors),
	cmocka_unit_test(test_slice_no_service_label),
	/* metadata, lists, events */
	cmocka_unit_test(test_meta_decode),
	cmocka_unit_test(test_list_continue),
	cmocka_unit_test(test_list_no_continue),
	cmocka_unit_test(test_list_errors),
	cmocka_unit_test(test_event_added),
	cmocka_unit_test(test_event_modified),
	cmocka_unit_test(test_event_deleted),
	cmocka_unit_test(test_event_bookmark),
	cmocka_unit_test(test_event_error_expired),
	cmocka_unit_test(test_event_error_gone),
	cmocka_unit_test(test_event_error_long_message),
	cmocka_unit_test(test_event_errors),
	/* splitter */
	cmocka_unit_test(test_split_whole),
	cmocka_unit_test(test_split_bytewise),
	cmocka_unit_test(test_split_escapes_every_cut),
	cmocka_unit_test(test_split_braces_in_strings),
	cmocka_unit_test(test_split_whitespace),
	cmocka_unit_test(test_split_garbage),
	cmocka_unit_test(test_split_max),
	cmocka_unit_test(test_split_cb_stop),
	cmocka_unit_test(test_split_reset),
	cmocka_unit_test(test_split_random_chunks),
	cmocka_unit_test(test_split_linear),
	/* translation */
	cmocka_unit_test(test_xlate_basic),
	cmocka_unit_test(test_xlate_skipped),
	cmocka_unit_test(test_xlate_unnamed_port),
	cmocka_unit_test(test_xlate_port_mapping),
	cmocka_unit_test(test_xlate_duplicate_port_names),
	cmocka_unit_test(test_xlate_slice_port_nil),
	cmocka_unit_test(test_xlate_merge_slices),
	cmocka_unit_test(test_xlate_dup_prefers_non_terminating),
	cmocka_unit_test(test_xlate_dup_keeps_first),
	cmocka_unit_test(test_xlate_nil_conditions),
	cmocka_unit_test(test_xlate_ready_over_terminating),
	cmocka_unit_test(test_xlate_fallback_serving_terminating),
	cmocka_unit_test(test_xlate_terminating_not_serving),
	cmocka_unit_test(test_xlate_etp_local),
	cmocka_unit_test(test_xlate_etp_local_remote_only),
	cmocka_unit_test(test_xlate_local_fallback),
	cmocka_unit_test(test_xlate_itp_local),
	cmocka_unit_test(test_xlate_no_endpoints),
	cmocka_unit_test(test_xlate_affinity),
	cmocka_unit_test(test_xlate_sctp),
	cmocka_unit_test(test_xlate_fqdn_slice_ignored),
	cmocka_unit_test(test_xlate_ipv6_slice_ignored),
	cmocka_unit_test(test_xlate_dual_stack),
	cmocka_unit_test(test_xlate_no_served_family),
	cmocka_unit_test(test_xlate_external_ips),
	cmocka_unit_test(test_xlate_lb_ips),
	cmocka_unit_test(test_xlate_nodeport),
	cmocka_unit_test(test_xlate_names),
	cmocka_unit_test(test_xlate_deterministic),
};

int
main(void)
{
	return cmocka_run_group_tests(tests, NULL, NULL);
}
