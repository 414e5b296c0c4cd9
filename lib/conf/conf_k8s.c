/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The "kubernetes" section: where the API server is, how to authenticate,
 * and the watcher's timings.
 */
#include <stdio.h>
#include <string.h>

#include "conf_priv.h"

static const char *const k8s_keys[] = {"enabled", "server", "token_file", "ca_file",
	"client_cert", "client_key", "insecure_skip_tls_verify", "node_name",
	"watch_timeout_s", "page_size", "backoff_ms", "backoff_max_ms", "token_reread_s",
	NULL};

/* A string key into a fixed buffer: empty strings and overlong ones are errors. */
static int
get_path(struct ld *x, const config_setting_t *g, const char *key, char *dst, size_t len)
{
	return get_strbuf(x, g, key, "kubernetes", dst, len, NULL);
}

int
load_k8s(struct ld *x, const config_setting_t *root)
{
	struct ng_conf_k8s *k = &x->c->k8s;
	const config_setting_t *g;
	int rc;

	if ((rc = get_group(x, root, "kubernetes", &g)) <= 0)
		return rc;
	k->enabled = true;
	k->line = setting_line(x, g);
	if ((rc = check_keys(x, g, "kubernetes", k8s_keys)) < 0 ||
			(rc = get_bool(x, g, "enabled", "kubernetes", &k->enabled)) < 0 ||
			(rc = get_path(x, g, "server", k->server, sizeof(k->server))) < 0 ||
			(rc = get_path(x, g, "token_file", k->token_file, sizeof(k->token_file))) < 0 ||
			(rc = get_path(x, g, "ca_file", k->ca_file, sizeof(k->ca_file))) < 0 ||
			(rc = get_path(x, g, "client_cert", k->client_cert,
				sizeof(k->client_cert))) < 0 ||
			(rc = get_path(x, g, "client_key", k->client_key, sizeof(k->client_key))) < 0 ||
			(rc = get_bool(x, g, "insecure_skip_tls_verify", "kubernetes", &k->insecure)) < 0 ||
			(rc = get_path(x, g, "node_name", k->node_name, sizeof(k->node_name))) < 0 ||
			(rc = get_u32(x, g, "watch_timeout_s", "kubernetes",
				NG_K8S_WATCH_TIMEOUT_S_MIN, NG_K8S_WATCH_TIMEOUT_S_MAX,
				&k->watch_timeout_s)) < 0 ||
			(rc = get_u32(x, g, "page_size", "kubernetes", NG_K8S_PAGE_SIZE_MIN,
				NG_K8S_PAGE_SIZE_MAX, &k->page_size)) < 0 ||
			(rc = get_u32(x, g, "backoff_ms", "kubernetes", NG_K8S_BACKOFF_MS_MIN,
				NG_K8S_BACKOFF_MS_MAX, &k->backoff_ms)) < 0 ||
			(rc = get_u32(x, g, "backoff_max_ms", "kubernetes", NG_K8S_BACKOFF_MS_MIN,
				NG_K8S_BACKOFF_MAX_MS_MAX,
				&k->backoff_max_ms)) < 0 ||
			(rc = get_u32(x, g, "token_reread_s", "kubernetes",
				NG_K8S_TOKEN_REREAD_S_MIN, NG_K8S_TOKEN_REREAD_S_MAX,
				&k->token_reread_s)) < 0)
		return rc;
	if (k->backoff_max_ms < k->backoff_ms)
		return fail(x, config_setting_get_member(g, "backoff_max_ms"),
			"kubernetes: backoff_max_ms %u is below backoff_ms %u", k->backoff_max_ms,
			k->backoff_ms);
	if ((k->client_cert[0] != '\0') != (k->client_key[0] != '\0'))
		return fail(x, g, "kubernetes: client_cert and client_key go together");
	if (k->server[0] != '\0' && strncmp(k->server, "https://", 8) != 0 &&
			strncmp(k->server, "http://", 7) != 0)
		return fail(x, config_setting_get_member(g, "server"),
			"kubernetes: server \"%s\" must start with https://", k->server);
	if (strncmp(k->server, "http://", 7) == 0 && !k->insecure)
		return fail(x, config_setting_get_member(g, "server"),
			"kubernetes: server \"%s\" is plain HTTP; that needs "
			"insecure_skip_tls_verify = true", k->server);
	return 0;
}
