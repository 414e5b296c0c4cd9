/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The reflectors: list then watch Services and EndpointSlices over libcurl's
 * multi interface, driven from the control loop by ng_k8s_poll().
 *
 * Per resource: LIST (paged with limit/continue; the pages are decoded and
 * held, then replace the store in one go), then WATCH from the list's
 * resourceVersion. A watch that ends cleanly (its timeoutSeconds) is simply
 * re-opened from the last RV. A 410 (ERROR event, or an expired continue
 * token) relists at once. Connection errors, 429/5xx, stalls and other
 * failures back off (0.8 s doubling to 30 s, with jitter) and relist. 401
 * re-reads the token first. client-go's reflector behaves the same way.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/select.h>

#include <curl/curl.h>
#include <rte_cycles.h>
#include <rte_random.h>

#include "k8s.h"
#include "k8s_priv.h"
#include "health.h"
#include "ng_log.h"
#include "svc.h"

#define SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"
#define LABEL_SELECTOR "!service.kubernetes.io/service-proxy-name,!service.kubernetes.io/headless"
#define STALL_GRACE_S 2        /* a watch silent for timeoutSeconds + this is hung */
#define LIST_BODY_MAX (512u << 20)
#define ERR_BODY_MAX (64u << 10)
#define TOKEN_MAX (64u << 10)

struct kwatcher ng_kw;

/* What each reflector reads, and how: the one source of the request paths
 * and of `nodegw --print-rbac`. A reflector lists and watches (request()). */
static const struct {
	const char *group;    /* API group; "" is the core group */
	const char *version;
	const char *resource; /* plural, as in the URL and in RBAC */
	const char *verbs[4]; /* NULL-terminated */
} resources[KRES_N] = {
	[KRES_SERVICES] = {"", "v1", "services", {"list", "watch", NULL}},
	[KRES_SLICES] = {"discovery.k8s.io", "v1", "endpointslices", {"list", "watch", NULL}},
	/* this node only (a fieldSelector): its zone label and taints */
	[KRES_NODES] = {"", "v1", "nodes", {"list", "watch", NULL}},
};

static uint64_t
now_tsc(void)
{
	return rte_get_tsc_cycles();
}

static uint64_t
ms_tsc(uint64_t ms)
{
	return rte_get_tsc_hz() * ms / 1000;
}

static void set_error(struct kreflector *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
set_error(struct kreflector *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->last_error, sizeof(r->last_error), fmt, ap);
	va_end(ap);
	r->last_error_tsc = now_tsc();
	r->errors++;
	NG_LOG(WARNING, K8S, "%s: %s", r->name, r->last_error);
}

/* ---- the token ---- */

/* Read the token file into the Authorization header. The token itself is
 * never logged or shown. */
static int
token_load(char *err, size_t errlen)
{
	char *buf, *hdr;
	size_t n, a, b;
	FILE *f;

	ng_kw.token_read_tsc = now_tsc();
	if (ng_kw.token_file[0] == '\0')
		return 0;
	f = fopen(ng_kw.token_file, "r");
	if (f == NULL) {
		snprintf(err, errlen, "kubernetes: token_file %s: %s", ng_kw.token_file,
			strerror(errno));
		return -errno;
	}
	buf = malloc(TOKEN_MAX + 1);
	if (buf == NULL) {
		fclose(f);
		snprintf(err, errlen, "kubernetes: out of memory");
		return -ENOMEM;
	}
	n = fread(buf, 1, TOKEN_MAX, f);
	fclose(f);
	buf[n] = '\0';
	for (a = 0; a < n && (buf[a] == ' ' || buf[a] == '\n' || buf[a] == '\r' ||
			buf[a] == '\t'); a++)
		;
	for (b = n; b > a && (buf[b - 1] == ' ' || buf[b - 1] == '\n' || buf[b - 1] == '\r' ||
			buf[b - 1] == '\t'); b--)
		;
	if (b == a || memchr(buf + a, '\n', b - a) != NULL) {
		free(buf);
		snprintf(err, errlen, "kubernetes: token_file %s: %s", ng_kw.token_file,
			b == a ? "empty" : "more than one line");
		return -EINVAL;
	}
	buf[b] = '\0';
	hdr = malloc(b - a + sizeof("Authorization: Bearer "));
	if (hdr != NULL)
		snprintf(hdr, b - a + sizeof("Authorization: Bearer "), "Authorization: Bearer %s",
			buf + a);
	if (hdr == NULL) {
		memset(buf, 0, n);
		free(buf);
		snprintf(err, errlen, "kubernetes: out of memory");
		return -ENOMEM;
	}
	memset(buf, 0, n);
	free(buf);
	if (ng_kw.auth_header != NULL && strcmp(ng_kw.auth_header, hdr) != 0)
		NG_LOG(INFO, K8S, "token in %s changed", ng_kw.token_file);
	if (ng_kw.auth_header != NULL) {
		memset(ng_kw.auth_header, 0, strlen(ng_kw.auth_header));
		free(ng_kw.auth_header);
	}
	ng_kw.auth_header = hdr;
	ng_kw.token_reads++;
	return 0;
}

static void
token_refresh(void)
{
	char err[NG_ERRBUF];

	if (token_load(err, sizeof(err)) < 0)
		NG_LOG(WARNING, K8S, "%s; keeping the previous token", err);
}

/* ---- requests ---- */

static void
body_reset(struct kreflector *r)
{
	r->body_len = 0;
	r->http = 0;
	r->gone = false;
	r->broke = false;
	ng_k8s_split_reset(&r->split);
}

static int
body_append(struct kreflector *r, const char *p, size_t n, size_t max)
{
	if (r->body_len + n + 1 > max)
		return -EMSGSIZE;
	if (r->body_len + n + 1 > r->body_cap) {
		size_t cap = r->body_cap ? r->body_cap : 65536;
		char *b;

		while (cap < r->body_len + n + 1)
			cap *= 2;
		b = realloc(r->body, cap);
		if (b == NULL)
			return -ENOMEM;
		r->body = b;
		r->body_cap = cap;
	}
	memcpy(r->body + r->body_len, p, n);
	r->body_len += n;
	r->body[r->body_len] = '\0';
	return 0;
}

static void *
decode_obj(struct kreflector *r, const cJSON *o, char *err, size_t errlen)
{
	const struct kres_ops *ops = &kres_ops[r->res];
	void *obj = calloc(1, ops->size);

	if (obj == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (ops->decode(o, obj, err, errlen) < 0) {
		ops->free(obj);
		free(obj);
		return NULL;
	}
	return obj;
}

/* One watch event: apply it to the store. Non-zero stops the stream. */
static int
event_cb(const char *text, size_t len, void *arg)
{
	struct kreflector *r = arg;
	struct ng_k8s_event ev;
	char err[NG_ERRBUF];
	cJSON *root = ng_k8s_parse(text, len);
	int rc = 0;

	if (root == NULL) {
		set_error(r, "watch: an event is not valid JSON (%zu bytes); restarting", len);
		r->broke = true;
		return -1;
	}
	if (ng_k8s_event_decode(root, &ev, err, sizeof(err)) < 0) {
		set_error(r, "watch: %s; restarting", err);
		r->broke = true;
		cJSON_Delete(root);
		return -1;
	}
	r->events++;
	if (ng_kw.cause_tsc == 0)
		ng_kw.cause_tsc = r->last_byte_tsc;
	switch (ev.type) {
	case NG_K8S_EV_ADDED:
	case NG_K8S_EV_MODIFIED: {
		void *obj = decode_obj(r, ev.object, err, sizeof(err));

		if (obj == NULL) {
			r->decode_errors++;
			NG_LOG(ERR, K8S, "%s: %s; keeping its last good state", r->name, err);
		} else {
			kstore_upsert(r->res, obj);
		}
		break;
	}
	case NG_K8S_EV_DELETED: {
		char ns[NG_K8S_NS_MAX], name[NG_K8S_NAME_MAX], rv[NG_K8S_RV_MAX];

		if (ng_k8s_meta_decode(ev.object, ns, name, rv, err, sizeof(err)) < 0) {
			r->decode_errors++;
			NG_LOG(ERR, K8S, "%s: DELETED event: %s", r->name, err);
		} else {
			kstore_delete(r->res, ns, name);
		}
		break;
	}
	case NG_K8S_EV_BOOKMARK:
		r->bookmarks++;
		break;
	case NG_K8S_EV_ERROR:
		if (ev.code == 410) {
			NG_LOG(NOTICE, K8S, "%s: watch: %s (410 %s); relisting", r->name,
				ev.message, ev.reason);
			r->gone = true;
		} else {
			set_error(r, "watch: ERROR event %d %s: %s", ev.code, ev.reason, ev.message);
			r->broke = true;
		}
		rc = 1;
		break;
	}
	if (ev.rv[0] != '\0')
		snprintf(r->rv, sizeof(r->rv), "%s", ev.rv);
	cJSON_Delete(root);
	return rc;
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct kreflector *r = arg;

	(void)p;
	r->last_byte_tsc = now_tsc();
	return size * n;
}

static size_t
on_data(char *p, size_t size, size_t n, void *arg)
{
	struct kreflector *r = arg;
	size_t len = size * n;

	r->last_byte_tsc = now_tsc();
	if (r->http == 0)
		curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &r->http);
	if (r->state == KS_LISTING || r->http != 200) {
		if (body_append(r, p, len, r->http == 200 ? LIST_BODY_MAX : ERR_BODY_MAX) < 0) {
			if (r->http == 200)
				set_error(r, "list: response over %u MiB", LIST_BODY_MAX >> 20);
			return r->http == 200 ? 0 : len; /* an error body may be cut short */
		}
		return len;
	}
	if (ng_k8s_split_feed(&r->split, p, len, event_cb, r) != 0) {
		if (!r->gone && !r->broke) {
			set_error(r, "watch: the stream is not a sequence of JSON objects");
			r->broke = true;
		}
		return 0; /* abort the transfer */
	}
	return len;
}

static char *
escape(const char *s)
{
	return curl_easy_escape(NULL, s, 0);
}

static int
request(struct kreflector *r, bool watch)
{
	char url[4096 + NG_PATH_MAX], *extra = NULL;
	const char *sel = r->select;
	struct curl_slist *h = NULL;
	CURL *e = curl_easy_init();

	if (e == NULL)
		return -ENOMEM;
	if (watch) {
		char *rv = escape(r->rv);
		uint32_t t = ng_kw.conf.watch_timeout_s;

		/* timeoutSeconds random in [T, 2T): watches do not all end together. */
		r->watch_timeout_s = t + (uint32_t)(rte_rand() % t);
		snprintf(url, sizeof(url), "%s%s?watch=1&resourceVersion=%s"
			"&allowWatchBookmarks=true&timeoutSeconds=%u&%s",
			ng_kw.server, r->path, rv != NULL ? rv : "", r->watch_timeout_s, sel);
		curl_free(rv);
		r->watches++;
	} else {
		if (r->cont[0] != '\0')
			extra = escape(r->cont);
		snprintf(url, sizeof(url), "%s%s?%s&limit=%u%s%s", ng_kw.server,
			r->path, sel, ng_kw.conf.page_size, extra != NULL ? "&continue=" : "",
			extra != NULL ? extra : "");
		curl_free(extra);
	}
	h = curl_slist_append(h, "Accept: application/json");
	if (ng_kw.auth_header != NULL)
		h = curl_slist_append(h, ng_kw.auth_header);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(e, CURLOPT_PRIVATE, h); /* freed with the handle */
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_USERAGENT, "nodegw/" NG_VERSION);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https,http");
	if (ng_kw.ca_file[0] != '\0')
		curl_easy_setopt(e, CURLOPT_CAINFO, ng_kw.ca_file);
	if (ng_kw.conf.client_cert[0] != '\0') {
		curl_easy_setopt(e, CURLOPT_SSLCERT, ng_kw.conf.client_cert);
		curl_easy_setopt(e, CURLOPT_SSLKEY, ng_kw.conf.client_key);
	}
	if (ng_kw.conf.insecure) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (!watch) {
		/* A list that trickles slower than 1 byte/s for 30 s is hung. */
		curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, 30L);
	}
	body_reset(r);
	r->easy = e;
	r->state = watch ? KS_WATCHING : KS_LISTING;
	r->last_byte_tsc = now_tsc();
	if (curl_multi_add_handle(ng_kw.multi, e) != CURLM_OK) {
		curl_slist_free_all(h);
		curl_easy_cleanup(e);
		r->easy = NULL;
		r->state = KS_IDLE;
		return -EIO;
	}
	NG_LOG(DEBUG, K8S, "%s: %s %s", r->name, watch ? "watch" : "list", url);
	return 0;
}

static void
request_end(struct kreflector *r)
{
	struct curl_slist *h = NULL;

	if (r->easy == NULL)
		return;
	curl_easy_getinfo(r->easy, CURLINFO_PRIVATE, (char **)&h);
	curl_multi_remove_handle(ng_kw.multi, r->easy);
	curl_easy_cleanup(r->easy);
	curl_slist_free_all(h);
	r->easy = NULL;
	r->state = KS_IDLE;
}

/* Forget the list in progress: its decoded objects, the page being decoded. */
static void
list_drop(struct kreflector *r)
{
	klist_free(r->res, &r->pending);
	cJSON_Delete(r->page);
	r->page = NULL;
	r->item = NULL;
	r->page_text = false;
	r->replacing = false;
	r->cont[0] = '\0';
}

static void
backoff(struct kreflector *r)
{
	uint64_t base = RTE_MIN((uint64_t)(r->backoff_ms ? r->backoff_ms : ng_kw.conf.backoff_ms),
			(uint64_t)ng_kw.conf.backoff_max_ms);
	/* Jitter after the cap, as client-go does: nodes that lost the API server
	 * together do not come back in lockstep. */
	uint64_t delay = base + rte_rand() % (base / 4 + 1);

	r->backoff_ms = (uint32_t)RTE_MIN(base * 2, (uint64_t)ng_kw.conf.backoff_max_ms);
	r->next_try_tsc = now_tsc() + ms_tsc(delay);
	r->relist = true;
	list_drop(r);
	NG_LOG(INFO, K8S, "%s: retrying in %" PRIu64 " ms", r->name, delay);
}

/* The Status message of an error body, or the start of the body. */
static void
status_message(const struct kreflector *r, char *buf, size_t len)
{
	cJSON *root = r->body_len ? cJSON_ParseWithLength(r->body, r->body_len) : NULL;
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(root, "message");

	if (cJSON_IsString(m))
		snprintf(buf, len, "%s", m->valuestring);
	else if (r->body_len)
		snprintf(buf, len, "%.120s", r->body);
	else
		snprintf(buf, len, "no body");
	cJSON_Delete(root);
}

static void
fail(struct kreflector *r, CURLcode res, long http, const char *what)
{
	char msg[200];

	if (res != CURLE_OK && !(res == CURLE_WRITE_ERROR && r->broke)) {
		set_error(r, "%s: %s", what, curl_easy_strerror(res));
	} else if (http != 200 && http != 0) {
		status_message(r, msg, sizeof(msg));
		set_error(r, "%s: HTTP %ld: %s", what, http, msg);
	}
	if (http == 401)
		token_refresh();
	backoff(r);
}

/*
 * A page's JSON: the body without its items (the array emptied) when the
 * items can be read one at a time from the body, which stays; else all of it.
 */
static cJSON *
page_parse(struct kreflector *r)
{
	size_t open, close, n;
	char *sk;
	cJSON *root;

	r->page_text = false;
	if (ng_k8s_list_items_span(r->body, r->body_len, &open, &close) != 0)
		return cJSON_ParseWithLength(r->body, r->body_len);
	n = open + 1 + r->body_len - close;
	sk = malloc(n);
	if (sk == NULL)
		return NULL;
	memcpy(sk, r->body, open + 1);
	memcpy(sk + open + 1, r->body + close, r->body_len - close);
	root = cJSON_ParseWithLength(sk, n);
	free(sk);
	r->page_text = true;
	r->item_pos = open + 1;
	r->items_end = close;
	return root;
}

/* A page arrived: parse its frame and hold it; list_step() decodes its items. */
static void
list_page_done(struct kreflector *r)
{
	cJSON *root = page_parse(r);
	const char *rv, *cont;
	const cJSON *items;
	char err[NG_ERRBUF];

	if (root == NULL || ng_k8s_list_decode(root, &rv, &cont, &items, err,
			sizeof(err)) < 0) {
		if (root == NULL)
			snprintf(err, sizeof(err), "the response is not valid JSON");
		set_error(r, "list: %s", err);
		cJSON_Delete(root);
		backoff(r);
		return;
	}
	if (strlen(cont) >= sizeof(r->cont)) {
		set_error(r, "list: continue token longer than %zu bytes", sizeof(r->cont) - 1);
		cJSON_Delete(root);
		backoff(r);
		return;
	}
	snprintf(r->cont, sizeof(r->cont), "%s", cont);
	snprintf(r->page_rv, sizeof(r->page_rv), "%s", rv);
	r->page = root;
	r->item = r->page_text ? NULL : items->child;
	ng_kw.pages++;
}

/* The list is in the store: watch from its resourceVersion. */
static void
list_done(struct kreflector *r)
{
	snprintf(r->rv, sizeof(r->rv), "%s", r->page_rv);
	if (r->synced)
		r->relists++;
	r->lists++;
	r->synced = true;
	r->relist = false;
	r->backoff_ms = 0;
	r->last_sync_tsc = now_tsc();
	if (ng_kw.cause_tsc == 0)
		ng_kw.cause_tsc = r->last_byte_tsc;
	NG_LOG(INFO, K8S, "%s: listed %u objects at resourceVersion %s", r->name,
		kstore_count(r->res), r->rv);
	if (request(r, true) < 0)
		backoff(r);
}

/*
 * The held page's next item: *own is set when it was parsed on its own (the
 * caller deletes it). @return 1, 0 when none is left, -1 when the item is not
 * JSON (the page is refused, as a whole parse would refuse it).
 */
static int
page_next(struct kreflector *r, const cJSON **it, cJSON **own)
{
	size_t start, len;
	int rc;

	*own = NULL;
	if (!r->page_text) {
		*it = r->item;
		if (*it == NULL)
			return 0;
		r->item = (*it)->next;
		return 1;
	}
	rc = ng_k8s_list_next_item(r->body, r->items_end, &r->item_pos, &start, &len);
	if (rc == 0)
		return 0;
	*own = rc > 0 ? ng_k8s_parse(r->body + start, len) : NULL;
	if (*own == NULL) {
		set_error(r, "list: the response is not valid JSON (an item at byte %zu)",
			rc > 0 ? start : r->item_pos);
		backoff(r);
		return -1;
	}
	*it = *own;
	return 1;
}

static bool
page_more(const struct kreflector *r)
{
	return r->page_text ? r->item_pos < r->items_end : r->item != NULL;
}

/* Decode the held page's items until until_tsc (at least one); 1: some are left. */
static int
page_step(struct kreflector *r, uint64_t until_tsc)
{
	char err[NG_ERRBUF];
	unsigned int k = 0;
	const cJSON *it;
	cJSON *own;
	int rc;

	while ((rc = page_next(r, &it, &own)) > 0) {
		void *obj = decode_obj(r, it, err, sizeof(err));

		if (obj == NULL) {
			/* The object's last good copy stays: the relist must not delete it. */
			char ns[NG_K8S_NS_MAX], name[NG_K8S_NAME_MAX], orv[NG_K8S_RV_MAX];

			r->decode_errors++;
			NG_LOG(ERR, K8S, "%s: %s; keeping its last good state", r->name, err);
			if (ng_k8s_meta_decode(it, ns, name, orv, err, sizeof(err)) == 0)
				klist_keep(r->res, &r->pending, ns, name);
		} else if (klist_push(&r->pending, obj) < 0) {
			kres_ops[r->res].free(obj);
			free(obj);
			cJSON_Delete(own);
			set_error(r, "list: out of memory");
			backoff(r);
			return 0;
		}
		cJSON_Delete(own);
		/* An item takes tens of us (a page of 500: 24-39 ms): the clock every 8. */
		if ((++k & 7) == 0 && page_more(r) && now_tsc() >= until_tsc)
			return 1;
	}
	if (rc < 0)
		return 0; /* refused, and backed off */
	cJSON_Delete(r->page);
	r->page = NULL;
	if (r->cont[0] != '\0') {
		if (request(r, false) < 0)
			backoff(r);
		return 0;
	}
	/* The last page: merge the list into the store, in slices too. */
	r->replacing = true;
	return 0;
}

/*
 * The list work of one turn of the loop, until until_tsc: decode the held
 * page, then merge a complete list into the store, then watch. A page's
 * items are parsed one at a time (a whole page of 500 objects took 25-40 ms
 * of CPU to parse at once on the development VM), and the merge is sliced.
 * @return 1 when work is left for the next turn.
 */
static int
list_step(struct kreflector *r, uint64_t until_tsc)
{
	if (r->page != NULL && page_step(r, until_tsc) != 0) {
		ng_kw.page_slices++;
		return 1;
	}
	if (!r->replacing)
		return 0;
	if (kstore_replace_step(r->res, &r->pending, until_tsc) != 0)
		return 1;
	r->replacing = false;
	klist_free(r->res, &r->pending);
	list_done(r);
	return 0;
}

/* The transfer of r ended with res; http is its response code (0: none). */
static void
done(struct kreflector *r, CURLcode res, long http)
{
	if (r->state == KS_LISTING) {
		request_end(r);
		if (res == CURLE_OK && http == 200) {
			list_page_done(r);
		} else if (res == CURLE_OK && http == 410 && r->cont[0] != '\0') {
			NG_LOG(NOTICE, K8S, "%s: the continue token expired (410); listing again",
				r->name);
			list_drop(r);
			if (request(r, false) < 0)
				backoff(r);
		} else {
			fail(r, res, http, "list");
		}
		return;
	}
	/* A watch ended. */
	if (r->gone || (res == CURLE_OK && http == 410)) {
		request_end(r);
		r->relist = true;
		list_drop(r);
		if (request(r, false) < 0)
			backoff(r);
		return;
	}
	if (res == CURLE_OK && http == 200 && !r->broke) {
		/* timeoutSeconds passed: watch on from the last RV. */
		request_end(r);
		if (request(r, true) < 0)
			backoff(r);
		return;
	}
	fail(r, res, http, "watch");
	request_end(r);
}

static void
check_stall(struct kreflector *r, uint64_t now)
{
	if (r->state != KS_WATCHING ||
			now - r->last_byte_tsc < ms_tsc(((uint64_t)r->watch_timeout_s +
				STALL_GRACE_S) * 1000))
		return;
	r->stalls++;
	set_error(r, "watch: no bytes for %u s (timeoutSeconds %u); restarting",
		r->watch_timeout_s + STALL_GRACE_S, r->watch_timeout_s);
	request_end(r);
	backoff(r);
}

/*
 * Apply what changed in the store, once both lists are in: the groups waiting
 * until TSC until_tsc (at least one), the rest at the next step.
 */
static void
sync_step(uint64_t until_tsc)
{
	bool listed = ng_kw.r[KRES_SERVICES].synced && ng_kw.r[KRES_SLICES].synced;

	/* Until both lists are in the watcher holds changes the data path lacks
	 * and cannot say how many: stale after a while. Applying them is progress
	 * that "syncing" shows (/healthz 503, /livez 200). */
	ng_health_set_pending(ng_kw.first_sync_tsc == 0 && !listed ? ng_kw.start_tsc : 0);
	/* Until the first sync is applied, and while a sync is applied in slices,
	 * the data path is being built: show ruleset and /healthz say syncing. */
	if (ng_kw.first_sync_tsc == 0)
		ng_svc_set_syncing(true);
	/* Apply once both lists are in, as kube-proxy waits for both caches (not for
	 * the Node's: a zone that comes later re-translates every service); a slice
	 * at a time, so a sync of many groups never holds up the loop for long. */
	if (!listed)
		return;
	/* A relist is applied once it is merged whole: what vanished is deleted
	 * in the same sync as what changed, never a half-listed resource. */
	for (int i = 0; i < KRES_N; i++)
		if (ng_kw.r[i].replacing)
			return;
	if (kstore_sync(&ng_kw.node, until_tsc) > 0) {
		ng_svc_note_cause(ng_kw.cause_tsc);
		ng_kw.syncs++;
	}
	if (kstore_pending() > 0) {
		ng_kw.sync_slices++;
		ng_svc_set_syncing(true);
		return; /* the rest next time; the events keep their cause */
	}
	ng_kw.cause_tsc = 0;
	ng_svc_set_syncing(false);
	if (ng_kw.first_sync_tsc == 0) {
		ng_kw.first_sync_tsc = now_tsc();
		NG_LOG(NOTICE, K8S, "initial sync: %u services, %u endpointslices -> %u "
			"nodegw services in %.1f ms", kstore_count(KRES_SERVICES),
			kstore_count(KRES_SLICES), kstore_applied(),
			(double)(ng_kw.first_sync_tsc - ng_kw.start_tsc) * 1e3 /
			(double)rte_get_tsc_hz());
	}
}

void
ng_k8s_poll(void)
{
	uint64_t now, until;
	CURLMsg *msg;
	int running, left;

	if (!ng_kw.enabled)
		return;
	ng_step_begin(&ng_kw.step);
	now = now_tsc();
	if (now - ng_kw.token_read_tsc >= ms_tsc((uint64_t)ng_kw.conf.token_reread_s * 1000))
		token_refresh();
	for (int i = 0; i < KRES_N; i++) {
		struct kreflector *r = &ng_kw.r[i];

		if (r->state == KS_IDLE && r->page == NULL && !r->replacing &&
				now >= r->next_try_tsc && request(r, !(r->relist || !r->synced)) < 0)
			backoff(r);
	}
	curl_multi_perform(ng_kw.multi, &running);
	while ((msg = curl_multi_info_read(ng_kw.multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		for (int i = 0; i < KRES_N; i++)
			if (ng_kw.r[i].easy == msg->easy_handle) {
				long http = 0;

				curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &http);
				done(&ng_kw.r[i], msg->data.result, http);
				break;
			}
	}
	now = now_tsc();
	for (int i = 0; i < KRES_N; i++)
		check_stall(&ng_kw.r[i], now);
	/* One budget for the turn: the lists' work first, then applying groups
	 * (at least one, so a sync always moves). */
	until = now_tsc() + ms_tsc(K8S_SLICE_MS);
	for (int i = 0; i < KRES_N; i++)
		list_step(&ng_kw.r[i], until);
	sync_step(until);
	ng_step_end(&ng_kw.step);
}

bool
ng_k8s_busy(void)
{
	if (!ng_kw.enabled)
		return false;
	for (int i = 0; i < KRES_N; i++)
		if (ng_kw.r[i].page != NULL || ng_kw.r[i].replacing)
			return true;
	/* Groups applied in slices leave the control API with changes to commit,
	 * which keeps the loop from waiting already (ng_svc_poll_wait_ms()). */
	return false;
}

unsigned int
ng_k8s_wake_fds(struct pollfd *out, unsigned int max)
{
	fd_set r, w, e;
	int maxfd = -1;
	unsigned int n = 0;

	if (!ng_kw.enabled)
		return 0;
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_ZERO(&e);
	if (curl_multi_fdset(ng_kw.multi, &r, &w, &e, &maxfd) != CURLM_OK)
		return 0;
	for (int fd = 0; fd <= maxfd && fd < FD_SETSIZE && n < max; fd++) {
		short ev = (FD_ISSET(fd, &r) ? POLLIN : 0) | (FD_ISSET(fd, &w) ? POLLOUT : 0);

		if (ev != 0)
			out[n++] = (struct pollfd){.fd = fd, .events = ev};
	}
	return n;
}

int
kwatch_feed(enum kres res, long http, const char *body, size_t len, size_t chunk,
	int curl_result, bool one_group)
{
	struct kreflector *r;
	CURLcode cr = (CURLcode)curl_result;
	size_t off = 0;

	if (!ng_kw.enabled || res >= KRES_N)
		return -EINVAL;
	r = &ng_kw.r[res];
	if (r->state == KS_IDLE && request(r, !(r->relist || !r->synced)) < 0)
		return -EIO;
	r->http = http;
	while (off < len) {
		size_t n = chunk == 0 || chunk > len - off ? len - off : chunk;

		/* libcurl ends a transfer whose write callback takes less. */
		if (on_data((char *)(uintptr_t)(body + off), 1, n, r) != n) {
			if (cr == CURLE_OK)
				cr = CURLE_WRITE_ERROR;
			break;
		}
		off += n;
	}
	done(r, cr, http);
	/* The list's work whole (a request starts only once it is done); with
	 * one_group in slices of a deadline already past, as on a slow turn. */
	while (list_step(r, one_group ? 0 : UINT64_MAX) != 0)
		;
	/* A deadline already past applies one group, the rest waits for the next
	 * call, as a slow slice leaves it for the next turn of the loop; so the
	 * cut does not depend on the machine's speed. */
	sync_step(one_group ? 0 : UINT64_MAX);
	return 0;
}

/* ---- start and stop ---- */

static int
resolve_server(const struct ng_conf_k8s *c, char *err, size_t errlen)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT");

	snprintf(ng_kw.token_file, sizeof(ng_kw.token_file), "%s", c->token_file);
	snprintf(ng_kw.ca_file, sizeof(ng_kw.ca_file), "%s", c->ca_file);
	if (c->server[0] != '\0') {
		size_t n = strlen(c->server);

		snprintf(ng_kw.server, sizeof(ng_kw.server), "%.*s", (int)n -
			(c->server[n - 1] == '/'), c->server);
		return 0;
	}
	/* In-cluster: what client-go's rest.InClusterConfig() reads. */
	if (host == NULL || host[0] == '\0' || port == NULL || port[0] == '\0') {
		snprintf(err, errlen, "kubernetes: no server set, and KUBERNETES_SERVICE_HOST/"
			"KUBERNETES_SERVICE_PORT are not set (not in a pod): set kubernetes.server");
		return -EINVAL;
	}
	snprintf(ng_kw.server, sizeof(ng_kw.server), strchr(host, ':') != NULL ?
		"https://[%s]:%s" : "https://%s:%s", host, port);
	if (ng_kw.token_file[0] == '\0')
		snprintf(ng_kw.token_file, sizeof(ng_kw.token_file), SA_DIR "/token");
	if (ng_kw.ca_file[0] == '\0')
		snprintf(ng_kw.ca_file, sizeof(ng_kw.ca_file), SA_DIR "/ca.crt");
	return 0;
}

/* Each reflector's selector: kube-proxy's label selector, or this node's name. */
static int
selectors(char *err, size_t errlen)
{
	char field[sizeof(ng_kw.node_name) + 16];
	char *lab = escape(LABEL_SELECTOR), *fld;

	snprintf(field, sizeof(field), "metadata.name=%s", ng_kw.node_name);
	fld = escape(field);
	if (lab == NULL || fld == NULL) {
		curl_free(lab);
		curl_free(fld);
		snprintf(err, errlen, "kubernetes: out of memory");
		return -ENOMEM;
	}
	snprintf(ng_kw.r[KRES_SERVICES].select, sizeof(ng_kw.r[0].select), "labelSelector=%s",
		lab);
	snprintf(ng_kw.r[KRES_SLICES].select, sizeof(ng_kw.r[0].select), "labelSelector=%s", lab);
	snprintf(ng_kw.r[KRES_NODES].select, sizeof(ng_kw.r[0].select), "fieldSelector=%s", fld);
	curl_free(lab);
	curl_free(fld);
	return 0;
}

int
ng_k8s_init(const struct ng_conf_k8s *c, char *err, size_t errlen)
{
	const char *env_node = getenv("NODE_NAME");
	int rc;

	memset(&ng_kw, 0, sizeof(ng_kw));
	if (!c->enabled)
		return 0;
	ng_kw.conf = *c;
	if ((rc = resolve_server(c, err, errlen)) < 0)
		return rc;
	if (ng_kw.ca_file[0] != '\0' && access(ng_kw.ca_file, R_OK) != 0) {
		snprintf(err, errlen, "kubernetes: ca_file %s: %s", ng_kw.ca_file, strerror(errno));
		return -errno;
	}
	if (c->client_cert[0] != '\0' && (access(c->client_cert, R_OK) != 0 ||
			access(c->client_key, R_OK) != 0)) {
		snprintf(err, errlen, "kubernetes: client_cert/client_key %s, %s: %s",
			c->client_cert, c->client_key, strerror(errno));
		return -errno;
	}
	if ((rc = token_load(err, errlen)) < 0)
		return rc;
	if (c->node_name[0] != '\0')
		snprintf(ng_kw.node_name, sizeof(ng_kw.node_name), "%s", c->node_name);
	else if (env_node != NULL && env_node[0] != '\0')
		snprintf(ng_kw.node_name, sizeof(ng_kw.node_name), "%s", env_node);
	else if (gethostname(ng_kw.node_name, sizeof(ng_kw.node_name) - 1) != 0)
		ng_kw.node_name[0] = '\0';
	ng_kw.node = (struct ng_k8s_node){.name = ng_kw.node_name, .zone = ng_kw.zone,
		.ipv4 = true, .ipv6 = true};
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, errlen, "kubernetes: libcurl failed to initialise");
		return -EIO;
	}
	ng_kw.multi = curl_multi_init();
	if (ng_kw.multi == NULL || kstore_init() < 0) {
		snprintf(err, errlen, "kubernetes: out of memory");
		curl_global_cleanup();
		return -ENOMEM;
	}
	for (int i = 0; i < KRES_N; i++) {
		struct kreflector *r = &ng_kw.r[i];

		*r = (struct kreflector){.res = (enum kres)i, .name = resources[i].resource,
			.relist = true};
		if (resources[i].group[0] == '\0')
			snprintf(r->path, sizeof(r->path), "/api/%s/%s", resources[i].version,
				resources[i].resource);
		else
			snprintf(r->path, sizeof(r->path), "/apis/%s/%s/%s", resources[i].group,
				resources[i].version, resources[i].resource);
	}
	if ((rc = selectors(err, errlen)) < 0) {
		curl_multi_cleanup(ng_kw.multi);
		curl_global_cleanup();
		kstore_fini();
		return rc;
	}
	ng_kw.start_tsc = now_tsc();
	ng_kw.enabled = true;
	if (c->insecure)
		NG_LOG(WARNING, K8S, "TLS verification of %s is OFF "
			"(insecure_skip_tls_verify): anyone on the path can feed nodegw services",
			ng_kw.server);
	NG_LOG(NOTICE, K8S, "watching %s as node \"%s\"%s", ng_kw.server, ng_kw.node_name,
		ng_kw.auth_header != NULL ? " with a bearer token" : "");
	return 0;
}

int
ng_k8s_rbac_print(FILE *f)
{
	cJSON *rules = cJSON_CreateArray();
	bool ok = rules != NULL;
	char *text = NULL;
	int rc = 0;

	for (int i = 0; i < KRES_N && ok; i++) {
		cJSON *rule = cJSON_CreateObject(), *verbs = cJSON_CreateArray();

		ok = cJSON_AddItemToArray(rules, rule) && cJSON_AddItemToObject(rule, "apiGroups",
				cJSON_CreateStringArray(&resources[i].group, 1)) &&
			cJSON_AddItemToObject(rule, "resources",
				cJSON_CreateStringArray(&resources[i].resource, 1)) &&
			cJSON_AddItemToObject(rule, "verbs", verbs);
		if (!ok && verbs != NULL && cJSON_GetObjectItem(rule, "verbs") != verbs)
			cJSON_Delete(verbs);
		for (int v = 0; ok && resources[i].verbs[v] != NULL; v++)
			ok = cJSON_AddItemToArray(verbs, cJSON_CreateString(resources[i].verbs[v]));
	}
	if (ok)
		text = cJSON_Print(rules);
	cJSON_Delete(rules);
	if (text == NULL)
		return -ENOMEM;
	if (fprintf(f, "%s\n", text) < 0 || fflush(f) != 0)
		rc = -EIO;
	free(text);
	return rc;
}

void
ng_k8s_fini(void)
{
	if (!ng_kw.enabled)
		return;
	for (int i = 0; i < KRES_N; i++) {
		struct kreflector *r = &ng_kw.r[i];

		request_end(r);
		list_drop(r);
		free(r->body);
		ng_k8s_split_free(&r->split);
	}
	curl_multi_cleanup(ng_kw.multi);
	curl_global_cleanup();
	kstore_fini();
	ng_svc_set_syncing(false);
	if (ng_kw.auth_header != NULL) {
		memset(ng_kw.auth_header, 0, strlen(ng_kw.auth_header));
		free(ng_kw.auth_header);
	}
	memset(&ng_kw, 0, sizeof(ng_kw));
}
