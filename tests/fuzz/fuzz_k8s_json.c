/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: the Kubernetes decoders and translation (k8s_obj.h).
 *
 * The input is JSON text. Its root goes through every decoder (watch event,
 * list, metadata, Service, EndpointSlice); where the root is an array, its
 * first element is decoded as a Service, the others as EndpointSlices, and
 * they are translated (ng_k8s_translate) for node "node-a".
 *
 * Properties: no crash, leak or sanitizer report; a refusal says why; decoded
 * strings are terminated within their buffers; every translated service has
 * what the control API checks of a service (name, protocol, scheduler, mode,
 * affinity timeout), IPv4 or NodePort frontends on a non-zero port, IPv4
 * backends on a non-zero port with a weight of at most 10000, sorted as
 * documented. (Addresses are passed on as the objects have them: the API
 * refuses a non-unicast one when the watcher applies it, and the watcher logs
 * and counts that, as documented.)
 */
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "fuzz_common.h"
#include "k8s_obj.h"

#define MAX_SLICES 8

static void
check_refusal(int rc, const char *err, const char *what)
{
	if (rc < 0)
		FZ_ASSERT(err[0] != '\0', "%s: a refusal says why", what);
}

static void
check_want(const struct ng_k8s_want *w)
{
	const struct ng_svc_spec *s = &w->spec;

	FZ_ASSERT(ng_svc_name_ok(s->name) && strnlen(s->name, sizeof(s->name)) < sizeof(s->name),
		"translated name \"%.*s\"", (int)sizeof(s->name), s->name);
	FZ_ASSERT(s->origin == NG_SVC_ORIGIN_K8S, "%s: origin", s->name);
	FZ_ASSERT(s->proto == IPPROTO_TCP || s->proto == IPPROTO_UDP, "%s: protocol %u", s->name,
		s->proto);
	FZ_ASSERT(s->scheduler <= NG_SCHED_RANDOM && s->mode <= NG_FWD_DSR &&
		s->affinity_timeout <= 86400, "%s: options", s->name);
	for (unsigned int i = 0; i < w->n_fe; i++) {
		const struct ng_frontend *f = &w->fe[i];

		FZ_ASSERT(f->port != 0, "%s: frontend #%u on port 0", s->name, i);
		/* Any IPv4 address: one the API refuses (multicast, say: an
		 * externalIP is the user's) fails at apply time, logged and counted. */
		FZ_ASSERT(f->addr.family == 0 || f->addr.family == AF_INET,
			"%s: frontend #%u address family %u", s->name, i, f->addr.family);
		FZ_ASSERT(i == 0 || w->fe[i - 1].addr.family != 0, "%s: the NodePort last",
			s->name);
	}
	for (unsigned int i = 0; i < w->n_be; i++) {
		const struct ng_backend *b = &w->be[i];

		FZ_ASSERT(b->addr.family == AF_INET && b->port != 0 && b->weight <= 10000,
			"%s: backend #%u", s->name, i);
		if (i > 0) {
			const struct ng_backend *p = &w->be[i - 1];
			uint32_t x = __builtin_bswap32(p->addr.v4), y = __builtin_bswap32(b->addr.v4);

			FZ_ASSERT(x < y || (x == y && p->port < b->port),
				"%s: backends sorted and unique at #%u", s->name, i);
		}
	}
}

static void
translate(const cJSON *root)
{
	struct ng_k8s_slice sl[MAX_SLICES];
	const struct ng_k8s_slice *slp[MAX_SLICES];
	const struct ng_k8s_node node = {.name = "node-a", .ipv4 = true};
	struct ng_k8s_service svc;
	struct ng_k8s_xlate x;
	unsigned int n = 0;
	const cJSON *it;
	char err[NG_ERRBUF] = "";
	int rc;

	memset(&svc, 0, sizeof(svc));
	rc = ng_k8s_service_decode(cJSON_GetArrayItem(root, 0), &svc, err, sizeof(err));
	check_refusal(rc, err, "service in an array");
	if (rc < 0) {
		ng_k8s_service_free(&svc);
		return;
	}
	for (it = root->child != NULL ? root->child->next : NULL; it != NULL && n < MAX_SLICES;
			it = it->next) {
		memset(&sl[n], 0, sizeof(sl[n]));
		err[0] = '\0';
		rc = ng_k8s_slice_decode(it, &sl[n], err, sizeof(err));
		check_refusal(rc, err, "slice in an array");
		if (rc < 0) {
			ng_k8s_slice_free(&sl[n]);
			continue;
		}
		slp[n] = &sl[n];
		n++;
	}
	err[0] = '\0';
	rc = ng_k8s_translate(&svc, slp, n, &node, &x, err, sizeof(err));
	check_refusal(rc, err, "translate");
	if (rc == 0) {
		FZ_ASSERT(svc.skip == NULL || x.n == 0, "a skipped service yields nothing");
		for (unsigned int i = 0; i < x.n; i++)
			check_want(&x.want[i]);
		ng_k8s_xlate_free(&x);
	}
	for (unsigned int i = 0; i < n; i++)
		ng_k8s_slice_free(&sl[i]);
	ng_k8s_service_free(&svc);
}

static void
decode_all(const cJSON *root)
{
	char err[NG_ERRBUF] = "", ns[NG_K8S_NS_MAX], name[NG_K8S_NAME_MAX], rv[NG_K8S_RV_MAX];
	const char *lrv, *cont;
	const cJSON *items;
	struct ng_k8s_service svc;
	struct ng_k8s_slice sl;
	struct ng_k8s_event ev;
	int rc;

	rc = ng_k8s_event_decode(root, &ev, err, sizeof(err));
	check_refusal(rc, err, "event");
	if (rc == 0)
		FZ_ASSERT(ev.type <= NG_K8S_EV_ERROR && strnlen(ev.rv, sizeof(ev.rv)) < sizeof(ev.rv) &&
			strnlen(ev.reason, sizeof(ev.reason)) < sizeof(ev.reason) &&
			strnlen(ev.message, sizeof(ev.message)) < sizeof(ev.message), "event fields");
	err[0] = '\0';
	rc = ng_k8s_list_decode(root, &lrv, &cont, &items, err, sizeof(err));
	check_refusal(rc, err, "list");
	if (rc == 0)
		FZ_ASSERT(lrv != NULL && cont != NULL, "list: resourceVersion and continue");
	err[0] = '\0';
	rc = ng_k8s_meta_decode(root, ns, name, rv, err, sizeof(err));
	check_refusal(rc, err, "metadata");
	if (rc == 0)
		FZ_ASSERT(strnlen(ns, sizeof(ns)) < sizeof(ns) &&
			strnlen(name, sizeof(name)) < sizeof(name) &&
			strnlen(rv, sizeof(rv)) < sizeof(rv), "metadata fields");
	memset(&svc, 0, sizeof(svc));
	err[0] = '\0';
	rc = ng_k8s_service_decode(root, &svc, err, sizeof(err));
	check_refusal(rc, err, "service");
	if (rc == 0)
		FZ_ASSERT(svc.n_cluster_ips <= 2, "%u cluster IPs", svc.n_cluster_ips);
	ng_k8s_service_free(&svc);
	memset(&sl, 0, sizeof(sl));
	err[0] = '\0';
	rc = ng_k8s_slice_decode(root, &sl, err, sizeof(err));
	check_refusal(rc, err, "slice");
	ng_k8s_slice_free(&sl);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *root = cJSON_ParseWithLength((const char *)data, size);

	if (root == NULL)
		return 0;
	decode_all(root);
	if (cJSON_IsArray(root) && cJSON_GetArraySize(root) > 0)
		translate(root);
	cJSON_Delete(root);
	return 0;
}
