/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_K8S_PRIV_H
#define NG_K8S_PRIV_H

/*
 * Private to the watcher: the object store (k8s_store.c), the reflectors
 * (k8s_watch.c) and `show k8s` (cli_k8s.c).
 */

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "k8s_obj.h"
#include "ng_step.h"

/* ---- the store: last good copy of every object, grouped by service ---- */

/**
 * A string-keyed chained hash map. It doubles its buckets when it holds as
 * many entries as buckets, and moves the entries of the old buckets over a
 * few at a time (each put moves KMAP_MOVE_PER_PUT buckets), so no single put
 * rehashes the whole map (65,536 entries at once on the way to 100,000
 * objects). Old bucket i >= moved still holds every key whose hash puts it
 * there; the ones below moved are empty.
 */
struct kmap_ent {
	struct kmap_ent *next;
	uint64_t hash;
	void *val;
	uint32_t mark;  /**< the last list that returned it (the store's maps); 0 when new */
	char key[];
};

struct kmap {
	struct kmap_ent **b;
	uint32_t mask;
	uint32_t n;
	struct kmap_ent **old;  /**< the buckets before the last growth; NULL: all moved */
	uint32_t old_mask;
	uint32_t moved;         /**< old buckets before this one are moved to b */
};

#define KMAP_MOVE_PER_PUT 4

void *kmap_get(const struct kmap *m, const char *key);
int kmap_put(struct kmap *m, const char *key, void *val); /**< replaces */
void *kmap_del(struct kmap *m, const char *key);          /**< returns the value */
void kmap_walk(struct kmap *m, void (*cb)(const char *key, void *val, void *arg),
		void *arg);
void kmap_free(struct kmap *m);

/** One Service and the EndpointSlices that name it, and what nodegw got. */
struct kgroup {
	struct ng_k8s_service *svc;    /**< NULL: no Service (yet) */
	struct kslice **slices;
	unsigned int n_slices, cap_slices;
	struct ng_k8s_xlate applied;   /**< what the control API holds now */
	bool dirty;
	uint16_t hc_port;              /**< the healthCheckNodePort served for it; 0: none */
	bool sctp_logged;
	bool error_logged;
	char key[];                    /**< "ns/name", allocated to its length */
};

struct kslice {
	struct ng_k8s_slice s;
	struct kgroup *g;               /**< NULL when it names no service */
};

enum kres {
	KRES_SERVICES = 0,
	KRES_SLICES,
	KRES_NODES,     /**< this node only (a fieldSelector): zone label, taints */
	KRES_N,
};

/** How each resource's objects are decoded and freed. */
struct kres_ops {
	size_t size;    /**< of the decoded object */
	int (*decode)(const cJSON *obj, void *out, char *err, size_t errlen);
	void (*free)(void *obj); /**< its contents, not obj itself */
};

extern const struct kres_ops kres_ops[KRES_N];

/** The metadata every decoded object starts with (see k8s_obj.h). */
struct kmeta {
	const char *ns;
	const char *name;
	const char *rv;
};

/** Decoded objects of a list in progress, merged into the store at its end
 * (kstore_replace_step(), in slices). */
struct klist {
	void **objs;    /**< ng_k8s_service * or ng_k8s_slice * */
	unsigned int n, cap;
	struct kmap keep; /**< "ns/name" of items that failed to decode: kept as they are */
	unsigned int next; /**< objs[] before this are merged into the store */
	uint32_t gen;      /**< the merge's mark on the store's entries it returned; 0: not begun */
	bool walking;      /**< all merged; deleting what the list lacks */
	uint32_t walk;     /**< the store's next bucket */
};

/*
 * The longest the watcher applies groups in one turn of the control loop
 * (kstore_sync): the CLI, the probes and the commits of what was applied run
 * between two slices. With the commit slice after it (lib/svc, 10 ms) a turn
 * of a sync stays near 20 ms of CPU; the CLI is served after each.
 */
#define K8S_SLICE_MS 10

/* k8s_store.c */
int kstore_init(void);
void kstore_fini(void);
/** Apply one decoded object (ownership passes to the store). */
void kstore_upsert(enum kres r, void *obj);
void kstore_delete(enum kres r, const char *ns, const char *name);
/** Replace every object of r with the list's (ownership passes; the list is emptied). */
void kstore_replace(enum kres r, struct klist *l);
/**
 * kstore_replace() in slices: merge the list's objects into the store until
 * TSC until_tsc (at least one), then, once all are in, delete what the list
 * did not return and empty the list.
 * @return 1 when objects are left for the next call, 0 when the store holds the list.
 */
int kstore_replace_step(enum kres r, struct klist *l, uint64_t until_tsc);
void klist_free(enum kres r, struct klist *l);
int klist_push(struct klist *l, void *obj);
void klist_keep(enum kres r, struct klist *l, const char *ns, const char *name);
/** Translate and apply dirty groups, at least one (if any), until TSC until_tsc;
 * return how many nodegw services changed. */
unsigned int kstore_sync(const struct ng_k8s_node *node, uint64_t until_tsc);
/** Groups waiting for kstore_sync(). */
unsigned int kstore_pending(void);
uint32_t kstore_count(enum kres r);
uint32_t kstore_applied(void);    /**< nodegw services the watcher owns */
/** nodegw services with a Local policy and no endpoint here: [0] internal, [1] external. */
void kstore_no_local(uint32_t out[2]);
uint64_t kstore_apply_errors(void);
void kstore_last_error(char *buf, size_t len);

/* ---- the reflectors ---- */

/*
 * The watcher without a network, for tests and fuzzing (tests/fuzz): start
 * reflector res's next request if it is idle (as ng_k8s_poll() does when it
 * is due; back-off is not waited for), hand it a response as libcurl would
 * (status http, the body in pieces of chunk bytes, 0: whole; then the end of
 * the transfer with curl_result, a CURLcode), finish the list work it brings
 * (decode a page, merge a complete list into the store; with one_group in
 * many slices, each cut as soon as it may be, as on a slow turn), then apply
 * what the store holds as ng_k8s_poll() does: every waiting group, or with
 * one_group only the first, the rest at the next call (a sync cut into
 * slices, K8S_SLICE_MS, with the cut at a fixed place). Nothing is sent or
 * received.
 * @return 0, -EINVAL (the watcher is off) or -EIO (no request could start).
 */
int kwatch_feed(enum kres res, long http, const char *body, size_t len, size_t chunk,
	int curl_result, bool one_group);

enum kstate {
	KS_IDLE = 0,     /**< waiting to start or for a back-off to end */
	KS_LISTING,
	KS_WATCHING,
};

struct kreflector {
	enum kres res;
	const char *name;   /**< "services", "endpointslices" */
	char path[128];     /**< "/api/v1/services", from the resource table */
	char select[640];   /**< "labelSelector=..." or "fieldSelector=...", escaped */
	enum kstate state;
	void *easy;         /**< CURL *, NULL when idle */
	bool relist;        /**< the next start lists (else it watches from rv) */
	bool synced;        /**< a list has completed at least once */
	char rv[NG_K8S_RV_MAX];
	char cont[1024];    /**< continue token of the list in progress */
	struct klist pending;
	/* A list page is parsed when it arrives and its items are decoded, and
	 * the whole list merged into the store, within the watcher's slices. */
	cJSON *page;        /**< the page being decoded: parsed without its items when
	                     *   body can be read item by item, else whole */
	bool page_text;     /**< items are read from body[item_pos, items_end) */
	size_t item_pos, items_end;
	const cJSON *item;  /**< else: page's next item; NULL: all decoded */
	char page_rv[NG_K8S_RV_MAX]; /**< the page's resourceVersion */
	bool replacing;     /**< the list is in; kstore_replace_step() goes on */
	/* the current transfer */
	char *body;         /**< list body, or error body */
	size_t body_len, body_cap;
	struct ng_k8s_splitter split;
	long http;          /**< response code once headers are in */
	bool gone;          /**< a 410 ERROR event arrived: relist */
	bool broke;         /**< the stream had an error of its own: back off, relist */
	uint64_t watch_deadline_tsc; /**< no bytes since this long: stalled */
	uint32_t watch_timeout_s;
	uint64_t last_byte_tsc;
	uint64_t next_try_tsc;
	uint32_t backoff_ms;  /**< the next back-off's base; 0: none yet */
	/* counters for show k8s */
	uint64_t events, bookmarks, relists, errors, lists, watches, stalls;
	uint64_t decode_errors;
	uint64_t last_sync_tsc;
	char last_error[256];
	uint64_t last_error_tsc;
};

struct kwatcher {
	bool enabled;
	struct ng_conf_k8s conf;
	char server[NG_PATH_MAX];
	char token_file[NG_PATH_MAX];
	char ca_file[NG_PATH_MAX];
	char node_name[256];
	char zone[NG_K8S_ZONE_MAX]; /**< this node's zone label, from its Node object */
	struct ng_k8s_node node;
	char *auth_header;   /**< "Authorization: Bearer ..."; never printed */
	uint64_t token_read_tsc;
	uint64_t token_reads;
	void *multi;         /**< CURLM * */
	struct kreflector r[KRES_N];
	uint64_t cause_tsc;  /**< earliest unapplied event */
	uint64_t syncs;
	uint64_t sync_slices; /**< polls whose kstore_sync() stopped at K8S_SLICE_MS */
	uint64_t start_tsc;
	uint64_t first_sync_tsc; /**< both lists applied to the control API */
	struct ng_step step;  /**< ng_k8s_poll(): its longest call, wall and CPU */
	uint64_t pages, page_slices; /**< list pages; turns that left a page's items for the next */
};

extern struct kwatcher ng_kw;

#endif
