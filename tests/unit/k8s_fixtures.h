/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef K8S_FIXTURES_H
#define K8S_FIXTURES_H

/*
 * What the Kubernetes unit tests share (test_k8s_json.c, test_k8s_stream.c,
 * test_k8s_xlate.c): objects as `kubectl get -o json` prints them (metadata
 * noise included: uid, creationTimestamp, managedFields, last-applied
 * annotations), written with ' for " to stay readable (jq() swaps them back,
 * so \\' in the C source is an escaped quote in the JSON). A case that needs a
 * variant patches a parsed fixture with SET(), so each case shows only what
 * it changes.
 */

#include <stdbool.h>

#include "k8s_obj.h"

/* The last error sentence of a decoder or the translation. */
extern char err[512];

/* kubectl get svc web -o json */
extern const char SVC_WEB[];
/* kubectl get endpointslice NAME -o json; %s: addressType, endpoints, name, ports. */
extern const char SLICE_FMT[];

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

/** A copy of text with ' and " swapped (fixtures are written with '). */
char *jq(const char *text);

/** text (' for ") parsed; fails the test if it does not parse. */
cJSON *parse(const char *fixture);

/** Set root.keys... to the JSON text value (' for "); NULL deletes the member. */
void set_path(cJSON *root, const char *value, ...);
#define SET(root, value, ...) set_path(root, value, __VA_ARGS__, (const char *)NULL)

/** The Service web, parsed. */
cJSON *web(void);

/** A LoadBalancer variant of web: nodePort 30080, ingress 198.18.200.1. */
cJSON *web_lb(void);

/** Decode a service that must decode; deletes o. */
void svc_ok(cJSON *o, struct ng_k8s_service *s);

/** A slice's JSON: addressType, name, endpoints and ports (' for "). */
cJSON *slice_json(const char *name, const char *type, const char *ports, const char *eps);

/** Decode a slice that must decode; deletes o. */
void slice_ok(cJSON *o, struct ng_k8s_slice *s);

/** A watch event around a service: {"type": T, "object": web with resourceVersion rv}. */
char *event_text(const char *type, const char *rv, bool pretty);

#endif
