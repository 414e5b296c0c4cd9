/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: the watcher's handling of the API server's HTTP responses
 * (lib/k8s/k8s_watch.c), through kwatch_feed(): no network, the responses
 * come from the input.
 *
 * The input is a sequence of responses, each: one byte (bit 0: Services or
 * EndpointSlices; bits 1-3: how the body is cut into pieces; bits 4-7: the
 * status code), one byte (bits 0-2: how the transfer ends, OK or a libcurl
 * error; bit 3: the response is for the Node reflector instead, this node's
 * Node object: zone label, taints; bit 4: the sync after it applies one
 * group only, the rest waits for the next response, as a sync cut into
 * slices waits for the next turn of the loop), a 16-bit body length and the
 * body. Each goes to the reflector's current request (a list page, or a
 * watch stream), then the store is applied to the real control API and
 * committed, as the control loop would.
 *
 * Properties: no crash, leak or sanitizer report, whatever the order of
 * lists, watch events, 410s, errors and cut-off bodies; the services the
 * watcher says it applied are exactly the Kubernetes services the control
 * API holds (also when a Node's new zone re-translates them all); every
 * commit succeeds.
 */
#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "health.h"
#include "k8s.h"
#include "k8s_priv.h"
#include "svc.h"

#define MAX_RESPONSES 32

static const long codes[16] = {200, 200, 200, 200, 200, 200, 200, 200, 410, 410, 500, 401, 403,
	429, 404, 0};
static const size_t chunks[8] = {0, 0, 0, 1, 7, 64, 512, 4096};
static const int results[8] = {CURLE_OK, CURLE_OK, CURLE_OK, CURLE_OK, CURLE_OPERATION_TIMEDOUT,
	CURLE_COULDNT_CONNECT, CURLE_RECV_ERROR, CURLE_PARTIAL_FILE};

static struct ng_ruleset *rs;
static struct ng_conf_k8s kconf;
static char err[NG_ERRBUF];

struct names {
	char (*v)[NG_SVC_NAME_MAX];
	unsigned int n, k8s;
};

static int
collect(const struct ng_svc_view *v, void *arg)
{
	struct names *nm = arg;
	char (*nv)[NG_SVC_NAME_MAX] = realloc(nm->v, (nm->n + 1) * sizeof(*nm->v));

	FZ_ASSERT(nv != NULL, "out of memory");
	nm->v = nv;
	snprintf(nm->v[nm->n++], NG_SVC_NAME_MAX, "%s", v->spec->name);
	nm->k8s += v->spec->origin == NG_SVC_ORIGIN_K8S;
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_eal_init("k8s_http", 1);
	if (fz_svc_init(&rs, NULL, NULL, 0) != 0) {
		fprintf(stderr, "k8s_http: ng_svc_init failed\n");
		exit(1);
	}
	kconf = (struct ng_conf_k8s){
		.enabled = true,
		.server = "http://127.0.0.1:9", /* never contacted: nothing is performed */
		.node_name = "node-a",
		.watch_timeout_s = 300,
		.page_size = 500,
		.backoff_ms = 800,
		.backoff_max_ms = 30000,
		.token_reread_s = 60,
	};
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = {.p = data, .n = size};
	struct names nm = {0};
	unsigned int k = 0;

	FZ_ASSERT(ng_k8s_init(&kconf, err, sizeof(err)) == 0, "ng_k8s_init: %s", err);
	while (f.n > 0 && k++ < MAX_RESPONSES) {
		uint8_t a = fz_u8(&f), b = fz_u8(&f);
		size_t len = fz_u16(&f);
		enum kres res = b & 8 ? KRES_NODES : a & 1 ? KRES_SLICES : KRES_SERVICES;

		if (len > f.n)
			len = f.n;
		FZ_ASSERT(kwatch_feed(res, codes[a >> 4], (const char *)f.p, len,
			chunks[(a >> 1) & 7], results[b & 7], (b & 16) != 0) == 0,
			"a request starts");
		f.p += len;
		f.n -= len;
		FZ_ASSERT(ng_svc_commit(err, sizeof(err)) == 0, "commit: %s", err);
		memset(&nm, 0, sizeof(nm));
		ng_svc_walk(collect, &nm);
		FZ_ASSERT(nm.k8s == nm.n && nm.n == kstore_applied(),
			"the watcher applied %u services; the API holds %u (%u from Kubernetes)",
			kstore_applied(), nm.n, nm.k8s);
		free(nm.v);
	}
	ng_k8s_fini();
	/* What the watcher left in the control API goes, and a Node's taint with
	 * it, for the next input. */
	ng_health_set_node_eligible(true, NULL);
	memset(&nm, 0, sizeof(nm));
	ng_svc_walk(collect, &nm);
	for (unsigned int i = 0; i < nm.n; i++)
		FZ_ASSERT(ng_svc_del(nm.v[i], err, sizeof(err)) == 0, "del %s: %s", nm.v[i], err);
	free(nm.v);
	FZ_ASSERT(ng_svc_commit(err, sizeof(err)) == 0, "commit: %s", err);
	return 0;
}
