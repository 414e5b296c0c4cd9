/* SPDX-License-Identifier: BSD-3-Clause */
/* The Kubernetes unit tests' fixtures and helpers (k8s_fixtures.h). */
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

#include "k8s_fixtures.h"

char err[512];

/* kubectl get svc web -o json */
const char SVC_WEB[] =
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
const char SLICE_FMT[] =
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

/** A copy of text with ' and " swapped (fixtures are written with '). */
char *
jq(const char *text)
{
	char *s = strdup(text);

	assert_non_null(s);
	for (char *p = s; *p != '\0'; p++)
		*p = *p == '\'' ? '"' : *p == '"' ? '\'' : *p;
	return s;
}

cJSON *
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
void
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

cJSON *
web(void)
{
	return parse(SVC_WEB);
}

/** Decode a service that must decode; deletes o. */
void
svc_ok(cJSON *o, struct ng_k8s_service *s)
{
	int rc = ng_k8s_service_decode(o, s, err, sizeof(err));

	if (rc != 0)
		print_error("%s\n", err);
	assert_int_equal(rc, 0);
	cJSON_Delete(o);
}

/** A slice's JSON: addressType, name, endpoints and ports (' for "). */
cJSON *
slice_json(const char *name, const char *type, const char *ports, const char *eps)
{
	char *text;
	cJSON *o;

	assert_true(asprintf(&text, SLICE_FMT, type, eps, name, ports) > 0);
	o = parse(text);
	free(text);
	return o;
}

void
slice_ok(cJSON *o, struct ng_k8s_slice *s)
{
	int rc = ng_k8s_slice_decode(o, s, err, sizeof(err));

	if (rc != 0)
		print_error("%s\n", err);
	assert_int_equal(rc, 0);
	cJSON_Delete(o);
}

/* A LoadBalancer variant of web: nodePort 30080, ingress 198.18.200.1. */
cJSON *
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

/** A watch event around a service: {"type": T, "object": web with resourceVersion rv}. */
char *
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
