/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Services: the control API and the desired state (control core).
 *
 * This file owns the service records, their name and frontend tables and the
 * set of services changed since the last commit. A commit hands the changed
 * services to the compiler (ruleset.c) and its result to publish.c; records
 * of deleted services are freed here once the new ruleset is published (the
 * workers never see records, only compiled objects).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>

#include "ng_err.h"
#include "ng_exit.h"
#include "ng_idtab.h"
#include "ng_log.h"
#include "ng_step.h"
#include "svc_priv.h"

/* One service as the front ends gave it. */
struct svc_d {
	struct ng_svc_spec spec;
	struct ng_frontend *fes;
	unsigned int n_fes, cap_fes;
	struct ng_backend *bes;
	unsigned int n_bes, cap_bes;
	struct ng_svc_obj *obj;   /**< compiled object in the published ruleset, or NULL */
	struct ng_svc_counters past; /**< counters of retired objects */
	uint32_t id;              /**< index in svcs[] */
	bool dirty;
	bool deleted;             /**< delete at next commit */
};

/* A backend index fits the data path's 16 bits, with room for "none". */
_Static_assert(NG_MAX_SVC_BACKENDS < NG_MAGLEV_NONE && NG_MAX_SVC_BACKENDS < NG_CT_BIDX_NONE,
		"backend indexes are 16 bits");

static struct {
	struct ng_svc_params p;
	struct ng_rs_env env;     /**< what the compiler needs of p */
	/** p's FullNAT pools, as env has them: one per port and family */
	struct ng_rs_snat snat[NG_MAX_PORTS * 2];
	struct svc_d **svcs;      /**< by id; NULL slots are free */
	uint32_t n_svcs, cap_svcs;
	uint32_t live;            /**< not deleted */
	uint32_t *free_ids;       /**< free slots of svcs[] (a stack; room for cap_svcs) */
	uint32_t n_free;
	uint32_t n_backends;      /**< backends of live services */
	struct ng_idtab by_name;  /**< name -> id (the name is the record's) */
	struct rte_hash *by_fe;   /**< desired frontend key -> id, for duplicate checks */
	uint32_t *dirty;          /**< ids changed since the last commit */
	uint32_t n_dirty, cap_dirty;
	uint64_t first_dirty_tsc, last_change_tsc;
	bool cause_noted;         /**< ng_svc_note_cause() since the last commit */
	uint32_t slice_n;         /**< changes the next sliced commit takes (adaptive) */
	bool sliced;              /**< the last poll's commit left changes for the next */
	bool front_syncing;       /**< a front end applies a sync in slices */
	struct ng_step slice;     /**< ng_svc_poll()'s commit slices: the longest */
} st;

/*
 * ng_svc_poll() commits at most what fits this budget (build, publish and
 * reclaim), so a sync of 60,000 services is a few hundred commits of whole
 * services between turns of the control loop, not one long stall.
 */
#define SLICE_NS 10000000ull
/* Changes a slice takes whatever its cost, also the first (a reload of a small
 * file is one commit). */
#define SLICE_MIN 256
/* The loop does not sleep while a grace period younger than this runs. */
#define GRACE_SPIN_NS 10000000ull

static int commit(char *err, size_t errlen, uint32_t n);

/*
 * rte_hash_crc() loads 8 and 4 bytes at a time through casts, so it must see
 * an aligned buffer: a name is often a word inside a CLI line or a JSON
 * string, at any address (UBSan's misaligned load, found by fuzz_cli). Hash
 * it through an aligned copy, 64 bytes at a time.
 */
static uint32_t
name_hash(const char *name)
{
	uint64_t buf[8];
	size_t len = strlen(name);
	uint32_t h = 0x6e67;

	while (len > 0) {
		size_t n = RTE_MIN(len, sizeof(buf));

		memcpy(buf, name, n);
		h = rte_hash_crc(buf, n, h);
		name += n;
		len -= n;
	}
	return h;
}

static bool
name_eq(uint32_t id, const void *key, void *arg)
{
	(void)arg;
	return strcmp(st.svcs[id]->spec.name, key) == 0;
}

static const char *
proto_name(uint8_t p)
{
	return p == IPPROTO_TCP ? "tcp" : p == IPPROTO_UDP ? "udp" : "?";
}

/* Fold the counters of a retired object into its service, if it still exists. */
static void
fold_counters(const struct ng_svc_obj *o)
{
	struct svc_d *d = o->desired_id < st.n_svcs ? st.svcs[o->desired_id] : NULL;

	if (d == NULL || strcmp(d->spec.name, o->name) != 0)
		return;
	for (uint32_t w = 0; w < o->n_workers; w++) {
		d->past.conns += o->wstats[w].conns;
		d->past.pkts += o->wstats[w].pkts;
		d->past.bytes += o->wstats[w].bytes;
		d->past.refused += o->wstats[w].refused;
		d->past.no_lport += o->wstats[w].no_lport;
		d->past.src_dropped += o->wstats[w].src_dropped;
	}
}

/* p's pools into st.snat, split by family (a backend takes its family's). */
static void
snat_pools(const struct ng_svc_params *p)
{
	for (unsigned int i = 0; i < RTE_MIN(p->n_snat_pools, (unsigned int)NG_MAX_PORTS); i++) {
		const struct ng_svc_snat_pool *sp = &p->snat_pools[i];

		for (int f = 0; f < 2; f++) {
			struct ng_rs_snat *d = &st.snat[st.env.n_snat];

			memset(d, 0, sizeof(*d));
			d->port_id = sp->port_id;
			d->family = f == 0 ? AF_INET : AF_INET6;
			for (unsigned int j = 0; j < RTE_MIN(sp->n, (uint16_t)NG_MAX_FULLNAT_ADDRS);
					j++) {
				if (sp->addrs[j].family != d->family)
					continue;
				if (d->family == AF_INET)
					d->addrs[d->n++].v4 = sp->addrs[j].v4;
				else
					memcpy(d->addrs[d->n++].v6, sp->addrs[j].v6, 16);
			}
			st.env.n_snat += d->n > 0;
		}
	}
}

int
ng_svc_init(const struct ng_svc_params *p)
{
	struct rte_hash_parameters hp = {0};
	struct ng_pub_params pp = {.qsbr = p->qsbr, .publish = p->publish, .fib = p->fib,
		.vip_port = p->vip_port, .retired = fold_counters};
	int rc;

	memset(&st, 0, sizeof(st));
	st.p = *p;
	if (st.p.coalesce_us == 0)
		st.p.coalesce_us = 1000;
	if (st.p.coalesce_max_us == 0)
		st.p.coalesce_max_us = 10000;
	st.env = (struct ng_rs_env){.fib = p->fib, .n_workers = p->n_workers,
		.timeouts = p->timeouts, .lport_min = p->lport_min, .lport_max = p->lport_max,
		.node_addrs = p->node_addrs, .n_node_addrs = p->n_node_addrs,
		.nodeport_addrs = p->nodeport_addrs, .n_nodeport_addrs = p->n_nodeport_addrs,
		.snat = st.snat, .next_uid = 1};
	snat_pools(p);

	hp.name = "ng_svc_fes";
	hp.entries = NG_MAX_FRONTENDS;
	hp.key_len = sizeof(struct ng_fe_key);
	hp.hash_func = rte_hash_crc;
	hp.socket_id = SOCKET_ID_ANY;
	hp.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE;
	st.by_fe = rte_hash_create(&hp);
	rc = ng_pub_init(&pp);
	/* A deleted service keeps its name (and id) until the commit. */
	if (ng_idtab_init(&st.by_name, name_eq, NULL) < 0 || st.by_fe == NULL || rc < 0) {
		ng_svc_fini();
		return -ENOMEM;
	}
	st.slice_n = SLICE_MIN;
	/* An empty ruleset, so workers never see NULL. */
	return commit(NULL, 0, 0);
}

void
ng_svc_params_snat(struct ng_svc_params *p, const struct ng_conf *c, const uint16_t *port_ids)
{
	p->n_snat_pools = 0;
	for (unsigned int i = 0; i < c->n_ports && i < NG_MAX_PORTS; i++) {
		struct ng_svc_snat_pool *sp = &p->snat_pools[p->n_snat_pools];

		if (c->ports[i].n_fullnat == 0)
			continue;
		sp->port_id = port_ids[i];
		sp->n = (uint16_t)c->ports[i].n_fullnat;
		memcpy(sp->addrs, c->ports[i].fullnat, sizeof(sp->addrs[0]) * sp->n);
		p->n_snat_pools++;
	}
}

static void
svc_d_free(struct svc_d *d)
{
	if (d == NULL)
		return;
	free(d->fes);
	free(d->bes);
	free((void *)(uintptr_t)d->spec.src_ranges);
	free(d);
}

/** d's spec becomes s, with a copy of s's source ranges. */
static int
spec_set(struct svc_d *d, const struct ng_svc_spec *s)
{
	struct ng_prefix *r = NULL;

	if (s->n_src_ranges > 0) {
		r = malloc(s->n_src_ranges * sizeof(*r));
		if (r == NULL)
			return -ENOMEM;
		memcpy(r, s->src_ranges, s->n_src_ranges * sizeof(*r));
	}
	free((void *)(uintptr_t)d->spec.src_ranges);
	d->spec = *s;
	d->spec.src_ranges = r;
	return 0;
}

void
ng_svc_fini(void)
{
	/* First: retired objects fold their counters into records that still exist. */
	ng_pub_fini();
	for (uint32_t i = 0; i < st.n_svcs; i++) {
		if (st.svcs[i] != NULL)
			ng_rs_obj_free(st.svcs[i]->obj);
		svc_d_free(st.svcs[i]);
	}
	free(st.svcs);
	free(st.free_ids);
	free(st.dirty);
	ng_idtab_fini(&st.by_name);
	if (!ng_exiting()) /* at exit the heap goes whole (ng_exit.h) */
		rte_hash_free(st.by_fe);
	memset(&st, 0, sizeof(st));
}

/* The record named name (deleted or not), by lookup. */
static struct svc_d *
find(const char *name)
{
	int64_t id = ng_idtab_find(&st.by_name, name_hash(name), name);

	return id < 0 ? NULL : st.svcs[id];
}

/* A free slot of svcs[] for a new record, in O(1): a freed one, or one more. */
static int
slot_take(uint32_t *id)
{
	if (st.n_free > 0) {
		*id = st.free_ids[--st.n_free];
		return 0;
	}
	if (st.n_svcs == st.cap_svcs) {
		uint32_t cap = st.cap_svcs ? st.cap_svcs * 2 : 64;
		struct svc_d **n = realloc(st.svcs, cap * sizeof(*n));
		uint32_t *f;

		if (n == NULL)
			return -ENOMEM;
		st.svcs = n;
		/* Room for every slot, so freeing one never fails. */
		f = realloc(st.free_ids, cap * sizeof(*f));
		if (f == NULL)
			return -ENOMEM;
		st.free_ids = f;
		st.cap_svcs = cap;
	}
	st.svcs[st.n_svcs] = NULL;
	*id = st.n_svcs++;
	return 0;
}

static void
mark(struct svc_d *d)
{
	uint64_t now = rte_get_tsc_cycles();

	st.last_change_tsc = now;
	if (d->dirty)
		return;
	if (st.n_dirty == 0)
		st.first_dirty_tsc = now;
	if (st.n_dirty == st.cap_dirty) {
		uint32_t cap = st.cap_dirty ? st.cap_dirty * 2 : 64;
		uint32_t *n = realloc(st.dirty, cap * sizeof(*n));

		if (n == NULL) {
			/* Cannot track it: commit now instead. */
			commit(NULL, 0, st.n_dirty);
			if (st.n_dirty == st.cap_dirty)
				return;
		} else {
			st.dirty = n;
			st.cap_dirty = cap;
		}
	}
	d->dirty = true;
	st.dirty[st.n_dirty++] = d->id;
}

/* A service's own timeouts: 0 (global) or in range, and only its protocol's. */
static int
check_timeouts(const struct ng_svc_spec *s, char *err, size_t errlen)
{
	for (unsigned int i = 0; i < NG_CT_TIMEOUT_FIELDS; i++) {
		const struct ng_ct_timeout_field *f = &ng_ct_timeout_fields[i];
		uint32_t v = ng_ct_timeout_get(&s->timeouts, i);

		if (v == 0)
			continue;
		if (v > NG_TIMEOUT_MAX)
			return ng_err(err, errlen, -EINVAL, "service \"%s\": %s timeout %u s "
					"exceeds %d", s->name, f->key, v, NG_TIMEOUT_MAX);
		if (f->proto != s->proto)
			return ng_err(err, errlen, -EINVAL, "service \"%s\": the %s timeout does "
					"not apply to a %s service", s->name, f->key,
					proto_name(s->proto));
	}
	return 0;
}

static const char *
fam_name(uint8_t family)
{
	return family == AF_INET6 ? "IPv6" : "IPv4";
}

static int
check_spec(const struct ng_svc_spec *s, char *err, size_t errlen)
{
	size_t len = strnlen(s->name, sizeof(s->name));

	if (len == 0 || len >= sizeof(s->name) || !ng_svc_name_ok(s->name))
		return ng_err(err, errlen, -EINVAL, "service name \"%.*s\" must be 1..%d "
				"characters of A-Z a-z 0-9 _ . : / -", (int)len, s->name,
				NG_SVC_NAME_MAX - 1);
	if (s->proto != IPPROTO_TCP && s->proto != IPPROTO_UDP)
		return ng_err(err, errlen, -EINVAL, "service \"%s\": protocol must be tcp or udp",
				s->name);
	if (s->scheduler > NG_SCHED_RANDOM || s->mode > NG_FWD_DSR)
		return ng_err(err, errlen, -EINVAL, "service \"%s\": bad scheduler or mode",
				s->name);
	if (s->affinity_timeout > NG_AFFINITY_TIMEOUT_MAX)
		return ng_err(err, errlen, -EINVAL, "service \"%s\": affinity timeout %u s "
				"exceeds %d", s->name, s->affinity_timeout,
				NG_AFFINITY_TIMEOUT_MAX);
	if (s->n_src_ranges > NG_MAX_SVC_SRC_RANGES)
		return ng_err(err, errlen, -EINVAL, "service \"%s\": %u source ranges (at most %d)",
				s->name, s->n_src_ranges, NG_MAX_SVC_SRC_RANGES);
	for (unsigned int i = 0; i < s->n_src_ranges; i++) {
		const struct ng_prefix *r = &s->src_ranges[i];

		if ((r->addr.family != AF_INET || r->len > 32) &&
				(r->addr.family != AF_INET6 || r->len > 128))
			return ng_err(err, errlen, -EINVAL, "service \"%s\": source range #%u "
					"is not an IPv4 or IPv6 prefix", s->name, i + 1);
		if (r->addr.family != s->src_ranges[0].addr.family)
			return ng_err(err, errlen, -EINVAL, "service \"%s\": source range #%u "
					"is %s, #1 is %s (a service is one family: so are its "
					"ranges)", s->name, i + 1, fam_name(r->addr.family),
					fam_name(s->src_ranges[0].addr.family));
	}
	return check_timeouts(s, err, errlen);
}

int
ng_svc_add(const struct ng_svc_spec *s, char *err, size_t errlen)
{
	struct svc_d *d;
	uint32_t id;
	int rc = check_spec(s, err, errlen);

	if (rc < 0)
		return rc;
	d = find(s->name);
	if (d != NULL && !d->deleted)
		return ng_err(err, errlen, -EEXIST, "service \"%s\" exists", s->name);
	if (st.live >= NG_MAX_SERVICES)
		return ng_err(err, errlen, -ENOSPC, "service \"%s\": there are %d services, the "
				"most a gateway holds", s->name, NG_MAX_SERVICES);
	if (d != NULL) {
		/* Deleted but not yet committed: bring it back with the new spec, empty. */
		if (spec_set(d, s) < 0)
			return ng_err(err, errlen, -ENOMEM, "out of memory");
		d->deleted = false;
		d->n_fes = 0;
		d->n_bes = 0;
		st.live++;
		mark(d);
		return 0;
	}
	if (slot_take(&id) < 0)
		return ng_err(err, errlen, -ENOMEM, "out of memory");
	d = calloc(1, sizeof(*d));
	if (d == NULL || spec_set(d, s) < 0 ||
			ng_idtab_add(&st.by_name, name_hash(s->name), id) < 0) {
		svc_d_free(d);
		st.free_ids[st.n_free++] = id;
		return ng_err(err, errlen, -ENOMEM, "out of memory");
	}
	d->id = id;
	st.svcs[id] = d;
	st.live++;
	mark(d);
	return 0;
}

/* Same source ranges, in the same order? Field by field: the callers' arrays
 * may hold anything in their padding bytes. */
static bool
src_ranges_equal(const struct ng_svc_spec *a, const struct ng_svc_spec *b)
{
	if (a->n_src_ranges != b->n_src_ranges)
		return false;
	for (unsigned int i = 0; i < a->n_src_ranges; i++)
		if (a->src_ranges[i].len != b->src_ranges[i].len ||
				!ng_ip_equal(&a->src_ranges[i].addr, &b->src_ranges[i].addr))
			return false;
	return true;
}

bool
ng_svc_spec_equal(const struct ng_svc_spec *a, const struct ng_svc_spec *b)
{
	return a->proto == b->proto && a->scheduler == b->scheduler && a->mode == b->mode &&
			a->affinity == b->affinity && a->affinity_timeout == b->affinity_timeout &&
			a->empty_drop == b->empty_drop && a->origin == b->origin &&
			memcmp(&a->timeouts, &b->timeouts, sizeof(a->timeouts)) == 0 &&
			src_ranges_equal(a, b);
}

/* The family of a service: of its VIPs, else of its NodePort, else of its
 * backends; 0 while it has none of them. */
static uint8_t
svc_family(const struct svc_d *d)
{
	uint8_t np = 0;

	for (unsigned int i = 0; i < d->n_fes; i++) {
		if (d->fes[i].addr.family != 0)
			return d->fes[i].addr.family;
		np = d->fes[i].np_family;
	}
	if (np != 0)
		return np;
	return d->n_bes > 0 ? d->bes[0].addr.family : 0;
}

/* The family a NodePort given without one takes: the service's, else its
 * source ranges', else IPv4. */
static uint8_t
np_family_default(const struct svc_d *d)
{
	if (svc_family(d) != 0)
		return svc_family(d);
	return d->spec.n_src_ranges > 0 ? d->spec.src_ranges[0].addr.family : AF_INET;
}

/* The key of a frontend in st.by_fe: a NodePort's is the unspecified address
 * of its family (no VIP can be one), so node ports are per family. */
static void
fe_index_key(const struct svc_d *d, const struct ng_frontend *fe, struct ng_fe_key *k)
{
	struct ng_ip any = {.family = fe->np_family};

	ng_svc_fe_key(k, fe->addr.family != 0 ? &fe->addr : &any, fe->port, d->spec.proto);
}

/* What a service of this family may not have: source ranges of the other
 * family. family 0: not known yet. */
static int
check_spec_family(const struct ng_svc_spec *s, uint8_t family, char *err, size_t errlen)
{
	if (family != 0 && s->n_src_ranges > 0 && s->src_ranges[0].addr.family != family)
		return ng_err(err, errlen, -EINVAL, "service \"%s\": source ranges are %s "
				"prefixes and the service is %s (a service is one family)",
				s->name, fam_name(s->src_ranges[0].addr.family),
				fam_name(family));
	return 0;
}

int
ng_svc_update(const struct ng_svc_spec *s, char *err, size_t errlen)
{
	struct svc_d *d = find(s->name);
	int rc;

	/* A changed protocol first: the spec's timeouts would not fit it either. */
	if (d != NULL && !d->deleted && d->spec.proto != s->proto)
		return ng_err(err, errlen, -EINVAL, "service \"%s\": the protocol cannot change "
				"(delete and add it)", s->name);
	rc = check_spec(s, err, errlen);
	if (rc < 0)
		return rc;
	if (d == NULL || d->deleted)
		return ng_err(err, errlen, -ENOENT, "service \"%s\" does not exist", s->name);
	if (ng_svc_spec_equal(&d->spec, s))
		return 0;
	rc = check_spec_family(s, svc_family(d), err, errlen);
	if (rc < 0)
		return rc;
	if (spec_set(d, s) < 0)
		return ng_err(err, errlen, -ENOMEM, "out of memory");
	mark(d);
	return 0;
}

static void
fe_unindex(struct svc_d *d, const struct ng_frontend *fe)
{
	struct ng_fe_key k;

	fe_index_key(d, fe, &k);
	rte_hash_del_key(st.by_fe, &k);
}

int
ng_svc_del(const char *name, char *err, size_t errlen)
{
	struct svc_d *d = find(name);

	if (d == NULL || d->deleted)
		return ng_err(err, errlen, -ENOENT, "service \"%s\" does not exist", name);
	for (unsigned int i = 0; i < d->n_fes; i++)
		fe_unindex(d, &d->fes[i]);
	d->n_fes = 0;
	st.n_backends -= d->n_bes;
	d->n_bes = 0;
	d->deleted = true;
	st.live--;
	mark(d);
	return 0;
}

static int
grow(void **arr, unsigned int *cap, unsigned int n, size_t elem)
{
	void *p;
	unsigned int c;

	if (n < *cap)
		return 0;
	c = *cap ? *cap * 2 : 4;
	p = realloc(*arr, c * elem);
	if (p == NULL)
		return -ENOMEM;
	*arr = p;
	*cap = c;
	return 0;
}

bool
ng_svc_frontend_equal(const struct ng_frontend *a, const struct ng_frontend *b)
{
	if (a->port != b->port)
		return false;
	if (a->addr.family != 0 || b->addr.family != 0)
		return ng_ip_equal(&a->addr, &b->addr);
	return a->np_family == 0 || b->np_family == 0 || a->np_family == b->np_family;
}

void
ng_svc_frontend_fmt(const struct ng_frontend *fe, uint8_t proto, char *buf, size_t len)
{
	char a[NG_IP_STRLEN];

	if (fe->addr.family == 0)
		snprintf(buf, len, "nodeport%s:%u/%s", fe->np_family == AF_INET6 ? "6" : "",
				fe->port, proto_name(proto));
	else
		snprintf(buf, len, fe->addr.family == AF_INET6 ? "[%s]:%u/%s" : "%s:%u/%s",
				ng_ip_fmt(&fe->addr, a, sizeof(a)), fe->port, proto_name(proto));
}

/* A service is one family: its VIPs and backends are all IPv4 or all IPv6. */
static int
check_family(const struct svc_d *d, const struct ng_ip *a, const char *what, const char *obj,
		char *err, size_t errlen)
{
	uint8_t f = svc_family(d);

	/* mode dsr first (an IPv6 address in a DSR service), then the family, then
	 * the source ranges' family */
	if ((f == 0 || f == a->family || d->spec.mode == NG_FWD_DSR) &&
			check_spec_family(&d->spec, a->family, err, errlen) < 0)
		return -EINVAL;
	if (f == 0 || f == a->family)
		return 0;
	return ng_err(err, errlen, -EINVAL, "service \"%s\": %s %s is %s, the service is %s (a "
			"service is one family: make one service per family)", d->spec.name, what,
			obj, fam_name(a->family), fam_name(f));
}

/* A unicast IPv4 or IPv6 address a service may use (not link-local). */
static bool
svc_unicast(const struct ng_ip *a)
{
	if (a->family == AF_INET)
		return ng_ip4_is_unicast(a);
	return ng_ip6_is_unicast(a) && !(a->v6[0] == 0xfe && (a->v6[1] & 0xc0) == 0x80);
}

int
ng_svc_frontend_add(const char *name, const struct ng_frontend *fe_in, char *err, size_t errlen)
{
	struct svc_d *d = find(name);
	struct ng_frontend one = *fe_in;
	const struct ng_frontend *fe = &one;
	unsigned int n_vips = 0;
	struct ng_fe_key k;
	char f[80];
	void *data;
	int rc;

	if (d == NULL || d->deleted)
		return ng_err(err, errlen, -ENOENT, "service \"%s\" does not exist", name);
	if (one.addr.family != 0)
		one.np_family = 0;
	else if (one.np_family == 0)
		one.np_family = np_family_default(d);
	else if (one.np_family != AF_INET && one.np_family != AF_INET6)
		return ng_err(err, errlen, -EINVAL, "service \"%s\": node port %u: family %u is "
				"not IPv4 or IPv6", name, one.port, one.np_family);
	ng_svc_frontend_fmt(fe, d->spec.proto, f, sizeof(f));
	if (fe->port == 0)
		return ng_err(err, errlen, -EINVAL, "service \"%s\": frontend %s: port 0", name, f);
	if (fe->addr.family != 0 && !svc_unicast(&fe->addr))
		return ng_err(err, errlen, -EINVAL, "service \"%s\": frontend %s is not a unicast "
				"address", name, f);
	if (check_family(d, fe->addr.family != 0 ? &fe->addr :
			&(struct ng_ip){.family = fe->np_family}, "frontend", f, err, errlen) < 0)
		return -EINVAL;
	if (fe->addr.family == 0 && fe->port >= st.p.lport_min &&
			fe->port <= st.p.lport_max)
		return ng_err(err, errlen, -EINVAL, "service \"%s\": %s lies in the FullNAT source "
				"port range %u..%u", name, f, st.p.lport_min, st.p.lport_max);
	for (unsigned int i = 0; i < st.p.n_node_addrs && fe->addr.family != 0; i++)
		if (ng_ip_equal(&st.p.node_addrs[i], &fe->addr))
			return ng_err(err, errlen, -EINVAL, "service \"%s\": frontend %s is a "
					"gateway address; use a NodePort", name, f);
	/* A service is one service port: every VIP on the same port, one NodePort. */
	for (unsigned int i = 0; i < d->n_fes; i++) {
		const struct ng_frontend *o = &d->fes[i];

		if (ng_svc_frontend_equal(o, fe))
			return 0;
		n_vips += o->addr.family != 0;
		if (fe->addr.family != 0 && o->addr.family != 0 && o->port != fe->port)
			return ng_err(err, errlen, -EINVAL, "service \"%s\": frontend %s: its "
					"VIPs use port %u; a service has one port (make another "
					"service)",
					name, f, o->port);
		if (fe->addr.family == 0 && o->addr.family == 0)
			return ng_err(err, errlen, -EINVAL, "service \"%s\": it has node port %u "
					"already; a service has one", name, o->port);
	}
	fe_index_key(d, fe, &k);
	if (rte_hash_lookup_data(st.by_fe, &k, &data) >= 0) {
		struct svc_d *o = st.svcs[(uintptr_t)data];

		if (o == d)
			return 0;
		return ng_err(err, errlen, -EEXIST, "service \"%s\": frontend %s belongs to "
				"service \"%s\"", name, f, o->spec.name);
	}
	if (fe->addr.family != 0 && n_vips >= NG_MAX_SVC_VIPS)
		return ng_err(err, errlen, -ENOSPC, "service \"%s\": frontend %s: the service has "
				"%d VIPs, the most it can have", name, f, NG_MAX_SVC_VIPS);
	if (rte_hash_count(st.by_fe) >= NG_MAX_FRONTENDS)
		return ng_err(err, errlen, -ENOSPC, "service \"%s\": frontend %s: the services "
				"have %d frontends, the most a gateway holds", name, f,
				NG_MAX_FRONTENDS);
	if (grow((void **)&d->fes, &d->cap_fes, d->n_fes, sizeof(*d->fes)) < 0)
		return ng_err(err, errlen, -ENOMEM, "out of memory");
	rc = rte_hash_add_key_data(st.by_fe, &k, (void *)(uintptr_t)d->id);
	if (rc < 0)
		return ng_err(err, errlen, rc, "service \"%s\": too many frontends", name);
	d->fes[d->n_fes++] = *fe;
	mark(d);
	return 0;
}

int
ng_svc_frontend_del(const char *name, const struct ng_frontend *fe, char *err, size_t errlen)
{
	struct svc_d *d = find(name);
	char f[80];

	if (d == NULL || d->deleted)
		return ng_err(err, errlen, -ENOENT, "service \"%s\" does not exist", name);
	for (unsigned int i = 0; i < d->n_fes; i++) {
		if (!ng_svc_frontend_equal(&d->fes[i], fe))
			continue;
		fe_unindex(d, &d->fes[i]);
		d->fes[i] = d->fes[--d->n_fes];
		mark(d);
		return 0;
	}
	ng_svc_frontend_fmt(fe, d->spec.proto, f, sizeof(f));
	return ng_err(err, errlen, -ENOENT, "service \"%s\": no frontend %s", name, f);
}

int
ng_svc_backend_set(const char *name, const struct ng_ip *addr, uint16_t port, uint32_t weight,
		char *err, size_t errlen)
{
	struct svc_d *d = find(name);
	struct ng_route_info ri;
	char a[NG_IP_STRLEN];

	if (d == NULL || d->deleted)
		return ng_err(err, errlen, -ENOENT, "service \"%s\" does not exist", name);
	/* The address is formatted for an error only: half a million calls a sync. */
	if (port == 0)
		return ng_err(err, errlen, -EINVAL, "service \"%s\": backend %s: port 0", name,
				ng_ip_fmt(addr, a, sizeof(a)));
	if (!svc_unicast(addr))
		return ng_err(err, errlen, -EINVAL, "service \"%s\": backend %s is not a unicast "
				"address", name, ng_ip_fmt(addr, a, sizeof(a)));
	if (check_family(d, addr, "backend", "", NULL, 0) < 0)
		return check_family(d, addr, "backend", ng_ip_fmt(addr, a, sizeof(a)), err,
				errlen);
	for (unsigned int i = 0; i < st.p.n_node_addrs; i++)
		if (ng_ip_equal(&st.p.node_addrs[i], addr))
			return ng_err(err, errlen, -EINVAL, "service \"%s\": backend %s is an "
					"address of this gateway", name,
					ng_ip_fmt(addr, a, sizeof(a)));
	if (weight > NG_WEIGHT_MAX)
		return ng_err(err, errlen, -EINVAL, "service \"%s\": backend %s:%u: weight %u "
				"exceeds %d", name, ng_ip_fmt(addr, a, sizeof(a)), port, weight,
				NG_WEIGHT_MAX);
	if (st.p.fib != NULL && ng_fib_lookup(st.p.fib, addr, &ri) != 0)
		return ng_err(err, errlen, -EHOSTUNREACH, "service \"%s\": backend %s is in no "
				"connected or routed prefix", name, ng_ip_fmt(addr, a, sizeof(a)));
	for (unsigned int i = 0; i < d->n_bes; i++) {
		if (d->bes[i].port != port || !ng_ip_equal(&d->bes[i].addr, addr))
			continue;
		if (d->bes[i].weight != weight) {
			d->bes[i].weight = weight;
			mark(d);
		}
		return 0;
	}
	if (d->n_bes >= NG_MAX_SVC_BACKENDS)
		return ng_err(err, errlen, -ENOSPC, "service \"%s\": backend %s:%u: the service "
				"has %d backends, the most it can have", name,
				ng_ip_fmt(addr, a, sizeof(a)), port, NG_MAX_SVC_BACKENDS);
	if (st.n_backends >= NG_MAX_BACKENDS)
		return ng_err(err, errlen, -ENOSPC, "service \"%s\": backend %s:%u: the services "
				"have %d backends, the most a gateway holds", name,
				ng_ip_fmt(addr, a, sizeof(a)), port, NG_MAX_BACKENDS);
	if (grow((void **)&d->bes, &d->cap_bes, d->n_bes, sizeof(*d->bes)) < 0)
		return ng_err(err, errlen, -ENOMEM, "out of memory");
	d->bes[d->n_bes].addr = *addr;
	d->bes[d->n_bes].port = port;
	d->bes[d->n_bes].weight = weight;
	d->n_bes++;
	st.n_backends++;
	mark(d);
	return 0;
}

int
ng_svc_backend_del(const char *name, const struct ng_ip *addr, uint16_t port, char *err,
		size_t errlen)
{
	struct svc_d *d = find(name);
	char a[NG_IP_STRLEN];

	if (d == NULL || d->deleted)
		return ng_err(err, errlen, -ENOENT, "service \"%s\" does not exist", name);
	for (unsigned int i = 0; i < d->n_bes; i++) {
		if (d->bes[i].port != port || !ng_ip_equal(&d->bes[i].addr, addr))
			continue;
		memmove(&d->bes[i], &d->bes[i + 1], (d->n_bes - i - 1) * sizeof(*d->bes));
		d->n_bes--;
		st.n_backends--;
		mark(d);
		return 0;
	}
	return ng_err(err, errlen, -ENOENT, "service \"%s\": no backend %s:%u", name,
			ng_ip_fmt(addr, a, sizeof(a)), port);
}

static void
view_of(const struct svc_d *d, struct ng_svc_view *v)
{
	v->spec = &d->spec;
	v->n_frontends = d->n_fes;
	v->frontends = d->fes;
	v->n_backends = d->n_bes;
	v->backends = d->bes;
	v->obj = d->obj;
}

/*
 * Compile the first n changed services (in the order they changed) into a new
 * ruleset and publish it; the rest stay changed for the next commit. Each
 * service is compiled whole, so every published ruleset is a set of whole
 * services. On failure (out of memory) nothing changes: the services stay
 * changed for the next try.
 */
static int
commit(char *err, size_t errlen, uint32_t n)
{
	uint64_t t0 = rte_get_tsc_cycles();
	/* For the latency figure: when the oldest change of this commit was made. */
	uint64_t change_tsc = n > 0 ? st.first_dirty_tsc : 0;
	bool cause = n > 0 && st.cause_noted;
	struct ng_rs_change *ch = calloc(n + 1, sizeof(*ch));
	struct ng_svc_view *views = calloc(n + 1, sizeof(*views));
	struct ng_rs_build b;
	char ebuf[NG_ERRBUF];
	int rc = -ENOMEM;

	if (err == NULL) {
		err = ebuf;
		errlen = sizeof(ebuf);
	}
	if (ch == NULL || views == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (uint32_t i = 0; i < n; i++) {
		const struct svc_d *d = st.svcs[st.dirty[i]];

		ch[i].id = d->id;
		ch[i].old = d->obj;
		if (!d->deleted) {
			view_of(d, &views[i]);
			ch[i].svc = &views[i];
		}
	}
	rc = ng_rs_compile(&st.env, ng_svc_ruleset(), ch, n, &b, err, errlen);
	if (rc < 0)
		goto out;
	ng_pub_publish(&b, t0, change_tsc, cause);
	ng_rs_build_release(&b);
	/* The workers now see the new objects: records follow. */
	for (uint32_t i = 0; i < n; i++) {
		struct svc_d *d = st.svcs[ch[i].id];

		d->obj = ch[i].obj;
		d->dirty = false;
		if (d->deleted) {
			ng_idtab_del(&st.by_name, name_hash(d->spec.name), d->id);
			st.svcs[d->id] = NULL;
			st.free_ids[st.n_free++] = d->id;
			svc_d_free(d);
		}
	}
	/* What is left keeps its place, its cause and the time of the oldest change
	 * (an upper bound of its own age). */
	if (n > 0 && n < st.n_dirty)
		memmove(st.dirty, st.dirty + n, (st.n_dirty - n) * sizeof(st.dirty[0]));
	st.n_dirty -= n;
	if (st.n_dirty == 0)
		st.cause_noted = false;
out:
	free(ch);
	free(views);
	ng_pub_reclaim(false);
	return rc;
}

int
ng_svc_commit(char *err, size_t errlen)
{
	if (st.n_dirty == 0)
		return 0;
	return commit(err, errlen, st.n_dirty);
}

int
ng_svc_commit_slice(char *err, size_t errlen)
{
	uint32_t n = RTE_MIN(st.n_dirty, st.slice_n);
	uint64_t t0 = rte_get_tsc_cycles(), ns, fit;
	int rc;

	if (n == 0)
		return 0;
	rc = commit(err, errlen, n);
	if (rc < 0)
		return rc;
	/* The next slice takes as many changes as this one's cost per change says
	 * fit the budget: the cost grows with the table (route adds, index
	 * doublings), so it is measured again at every slice. */
	ns = (uint64_t)((double)(rte_get_tsc_cycles() - t0) * 1e9 / (double)rte_get_tsc_hz());
	fit = RTE_MIN((uint64_t)NG_MAX_SERVICES, SLICE_NS * n / (ns + 1));
	st.slice_n = (uint32_t)RTE_MAX((uint64_t)SLICE_MIN, fit);
	st.sliced = st.n_dirty > 0;
	return st.n_dirty > 0 ? 1 : 0;
}

void
ng_svc_note_cause(uint64_t tsc)
{
	if (st.n_dirty == 0 || tsc == 0)
		return;
	st.cause_noted = true;
	if (tsc < st.first_dirty_tsc)
		st.first_dirty_tsc = tsc;
}

bool
ng_svc_dirty(void)
{
	return st.n_dirty > 0;
}

void
ng_svc_set_syncing(bool on)
{
	st.front_syncing = on;
}

bool
ng_svc_syncing(void)
{
	return st.front_syncing || (st.sliced && st.n_dirty > 0);
}

unsigned int
ng_svc_poll_wait_ms(void)
{
	uint64_t grace, pub;

	if (st.n_dirty > 0)
		return 0;
	ng_pub_pending(&grace, &pub);
	return grace != 0 && rte_get_tsc_cycles() - grace <
			rte_get_tsc_hz() / (1000000000ull / GRACE_SPIN_NS) ? 0 : 1;
}

void
ng_svc_poll(void)
{
	if (st.n_dirty > 0) {
		uint64_t now = rte_get_tsc_cycles(), hz = rte_get_tsc_hz();

		/* Watch events need no pause: every event the watcher read in this turn
		 * is applied already. The other front ends send lines in bursts. */
		if (st.cause_noted || now - st.last_change_tsc >= hz * st.p.coalesce_us / 1000000 ||
				now - st.first_dirty_tsc >= hz * st.p.coalesce_max_us / 1000000) {
			char err[NG_ERRBUF];

			ng_step_begin(&st.slice);
			if (ng_svc_commit_slice(err, sizeof(err)) < 0)
				NG_LOG(ERR, SVC, "commit failed: %s", err);
			ng_pub_reclaim(false);
			ng_step_end(&st.slice);
			return;
		}
	}
	ng_pub_reclaim(false);
}

void
ng_svc_pending(uint64_t *dirty_since_tsc, uint64_t *grace_since_tsc, uint64_t *publish_tsc)
{
	*dirty_since_tsc = st.n_dirty > 0 ? st.first_dirty_tsc : 0;
	ng_pub_pending(grace_since_tsc, publish_tsc);
}

void
ng_svc_ruleset_info(struct ng_ruleset_info *out)
{
	ng_pub_info(out);
	out->dirty_since_tsc = st.n_dirty > 0 ? st.first_dirty_tsc : 0;
	out->slice_max_ns = st.slice.max_ns;
	out->slice_max_cpu_ns = st.slice.max_cpu_ns;
}

unsigned int
ng_svc_walk(int (*cb)(const struct ng_svc_view *v, void *arg), void *arg)
{
	unsigned int n = 0;

	for (uint32_t i = 0; i < st.n_svcs; i++) {
		struct svc_d *d = st.svcs[i];
		struct ng_svc_view v;

		if (d == NULL || d->deleted)
			continue;
		view_of(d, &v);
		n++;
		if (cb(&v, arg) != 0)
			break;
	}
	return n;
}

int
ng_svc_get(const char *name, struct ng_svc_view *out)
{
	const struct svc_d *d = find(name);

	if (d == NULL || d->deleted)
		return -ENOENT;
	view_of(d, out);
	return 0;
}

int
ng_svc_counters(const char *name, struct ng_svc_counters *out)
{
	struct svc_d *d = find(name);

	if (d == NULL || d->deleted)
		return -ENOENT;
	*out = d->past;
	if (d->obj != NULL)
		for (uint32_t w = 0; w < d->obj->n_workers; w++) {
			const struct ng_svc_wstats *ws = &d->obj->wstats[w];

			out->conns += ws->conns;
			out->pkts += ws->pkts;
			out->bytes += ws->bytes;
			out->refused += ws->refused;
			out->no_lport += ws->no_lport;
			out->src_dropped += ws->src_dropped;
		}
	return 0;
}

uint64_t
ng_svc_generation(void)
{
	return ng_pub_generation();
}
