/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: the services control API (svc.h) driven by random operation
 * sequences against a simple model.
 *
 * Each input is a sequence of operations on a few services: add, update and
 * delete a service, add and delete a frontend (VIP or NodePort), set and
 * delete a backend, commit. Names, addresses, ports, weights and options come
 * from small pools that include values the API must refuse (a gateway
 * address, port 0, a NodePort in the FullNAT range, weight 10001, SCTP, a bad
 * name, a connection timeout for the other protocol or past a week). The
 * model is a few arrays; it predicts whether each call succeeds, and after
 * each commit the published ruleset must answer ng_rs_lookup() (as a worker
 * does) for every key of the pools exactly as the model says: which service,
 * its options and connection timeouts, its backends in canonical order with
 * their weights, and a scheduling table that picks only backends with a
 * weight. ng_svc_walk() must show the model's services, frontends and
 * backends.
 *
 * Only the public API (svc.h) and what workers read (svc_dp.h) are used.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>

#include "fuzz_common.h"
#include "svc.h"
#include "svc_dp.h"

#define M_NAMES 7   /* s0..s5 and one invalid name */
#define M_VIPS 10   /* 8 VIPs, then the 2 gateway addresses (refused) */
#define M_BES 9     /* 8 backends, then a gateway address (refused) */
#define M_FE_MAX 16
#define M_BE_MAX 32

static const char *const names[M_NAMES] = {"s0", "s1", "s2", "s3", "s4", "s5", "bad name!"};
static const uint16_t fe_ports[] = {80, 443, 53, 30080, 40000 /* in the FullNAT range */, 0};
static const uint16_t be_ports[] = {8080, 8443, 53, 0};
static const uint32_t weights[] = {0, 1, 2, 3, 10, NG_WEIGHT_MAX, NG_WEIGHT_MAX + 1};
static const uint8_t protos[] = {IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP};
static const uint32_t aff_timeouts[] = {0, 600, NG_AFFINITY_TIMEOUT_MAX,
	NG_AFFINITY_TIMEOUT_MAX + 1};

struct m_fe {
	bool np;      /* NodePort: on every gateway address */
	uint8_t vip;  /* index into vip_addr() */
	uint16_t port;
};

struct m_be {
	uint8_t addr; /* index into be_addr() */
	uint16_t port;
	uint32_t weight;
};

struct m_svc {
	bool live;
	struct ng_svc_spec spec;
	struct m_fe fe[M_FE_MAX];
	unsigned int n_fe;
	struct m_be be[M_BE_MAX];
	unsigned int n_be;
};

static struct m_svc model[M_NAMES];
static struct ng_ruleset *rs;
static struct ng_ip node_addrs[2];
static char err[NG_ERRBUF];

static struct ng_ip
vip_addr(unsigned int i)
{
	return i < 8 ? ng_ip4(0xc6130000u | (10 + i)) : node_addrs[i - 8]; /* 198.19.0.x */
}

static struct ng_ip
be_addr(unsigned int i)
{
	return i < 8 ? ng_ip4(0xc6120100u | (10 + i)) : node_addrs[1]; /* 198.18.1.x */
}

static struct ng_frontend
fe_of(const struct m_fe *f)
{
	struct ng_frontend fe = {.port = f->port};

	if (!f->np)
		fe.addr = vip_addr(f->vip);
	return fe;
}

static bool
fe_same(const struct m_fe *a, const struct m_fe *b)
{
	return a->np == b->np && a->port == b->port && (a->np || a->vip == b->vip);
}

/* A service's own timeouts: each one set is in range and for its protocol. */
static bool
timeouts_valid(const struct ng_svc_spec *s)
{
	for (unsigned int i = 0; i < NG_CT_TIMEOUT_FIELDS; i++) {
		uint32_t v = ng_ct_timeout_get(&s->timeouts, i);

		if (v != 0 && (v > NG_TIMEOUT_MAX || ng_ct_timeout_fields[i].proto != s->proto))
			return false;
	}
	return true;
}

static bool
spec_valid(const struct ng_svc_spec *s)
{
	return ng_svc_name_ok(s->name) && (s->proto == IPPROTO_TCP || s->proto == IPPROTO_UDP) &&
		s->scheduler <= NG_SCHED_RANDOM && s->mode <= NG_FWD_DSR &&
		s->affinity_timeout <= NG_AFFINITY_TIMEOUT_MAX && timeouts_valid(s);
}

static void
read_spec(struct fz *f, unsigned int ni, struct ng_svc_spec *s)
{
	uint8_t t;

	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", names[ni]);
	s->origin = NG_SVC_ORIGIN_LOCAL;
	s->proto = protos[fz_pick(f, 3)];
	s->scheduler = (enum ng_sched)fz_pick(f, 4);
	s->mode = (enum ng_fwd_mode)fz_pick(f, 3);
	s->affinity = fz_u8(f) & 1;
	s->affinity_timeout = aff_timeouts[fz_pick(f, 4)];
	/* bit 0: tcp_established, bit 1: udp (refused on the other protocol);
	 * bit 2: the ones set are past NG_TIMEOUT_MAX (refused) */
	t = fz_u8(f);
	s->timeouts.tcp_established = t & 1 ? (t & 4 ? NG_TIMEOUT_MAX + 1 : 3600) : 0;
	s->timeouts.udp = t & 2 ? (t & 4 ? NG_TIMEOUT_MAX + 1 : 120) : 0;
	s->empty_drop = fz_u8(f) & 1;
}

/* The service (model index) that holds frontend key (f, proto), or -1. */
static int
owner(const struct m_fe *f, uint8_t proto)
{
	for (unsigned int i = 0; i < M_NAMES; i++) {
		if (!model[i].live || model[i].spec.proto != proto)
			continue;
		for (unsigned int j = 0; j < model[i].n_fe; j++)
			if (fe_same(&model[i].fe[j], f))
				return (int)i;
	}
	return -1;
}

/* Would ng_svc_frontend_add() accept f for service m? (*noop: already there) */
static bool
fe_add_ok(const struct m_svc *m, int self, const struct m_fe *f, bool *noop)
{
	int o;

	*noop = false;
	if (f->port == 0 || (f->np && f->port >= FZ_LPORT_MIN && f->port <= FZ_LPORT_MAX) ||
			(!f->np && f->vip >= 8))
		return false;
	for (unsigned int i = 0; i < m->n_fe; i++) {
		if (fe_same(&m->fe[i], f)) {
			*noop = true;
			return true;
		}
		if ((!f->np && !m->fe[i].np && m->fe[i].port != f->port) || (f->np && m->fe[i].np))
			return false; /* one port per service; one NodePort */
	}
	o = owner(f, m->spec.proto);
	return o < 0 || o == self;
}

static void
op_frontend(struct fz *f, unsigned int ni, bool add)
{
	struct m_svc *m = &model[ni];
	struct m_fe mf = {.np = fz_pick(f, 4) == 0, .vip = (uint8_t)fz_pick(f, M_VIPS),
		.port = fe_ports[fz_pick(f, RTE_DIM(fe_ports))]};
	struct ng_frontend fe;
	bool want, noop = false;
	int rc;

	if (mf.np)
		mf.vip = 0;
	fe = fe_of(&mf);
	if (add) {
		want = m->live && fe_add_ok(m, (int)ni, &mf, &noop);
		rc = ng_svc_frontend_add(names[ni], &fe, err, sizeof(err));
		FZ_ASSERT((rc == 0) == want, "frontend add to %s: rc %d, model %d: %s", names[ni], rc,
			want, err);
		if (rc == 0 && !noop) {
			FZ_ASSERT(m->n_fe < M_FE_MAX, "model frontends");
			m->fe[m->n_fe++] = mf;
		}
		return;
	}
	want = false;
	for (unsigned int i = 0; m->live && i < m->n_fe; i++)
		if (fe_same(&m->fe[i], &mf)) {
			m->fe[i] = m->fe[--m->n_fe];
			want = true;
			break;
		}
	rc = ng_svc_frontend_del(names[ni], &fe, err, sizeof(err));
	FZ_ASSERT((rc == 0) == want, "frontend del from %s: rc %d, model %d: %s", names[ni], rc,
		want, err);
}

static void
op_backend(struct fz *f, unsigned int ni, bool set)
{
	struct m_svc *m = &model[ni];
	struct m_be mb = {.addr = (uint8_t)fz_pick(f, M_BES),
		.port = be_ports[fz_pick(f, RTE_DIM(be_ports))],
		.weight = weights[fz_pick(f, RTE_DIM(weights))]};
	struct ng_ip a = be_addr(mb.addr);
	unsigned int i;
	bool want;
	int rc;

	for (i = 0; m->live && i < m->n_be; i++)
		if (m->be[i].addr == mb.addr && m->be[i].port == mb.port)
			break;
	if (set) {
		want = m->live && mb.port != 0 && mb.addr < 8 && mb.weight <= NG_WEIGHT_MAX;
		rc = ng_svc_backend_set(names[ni], &a, mb.port, mb.weight, err, sizeof(err));
		FZ_ASSERT((rc == 0) == want, "backend set in %s: rc %d, model %d: %s", names[ni],
			rc, want, err);
		if (rc == 0 && i < m->n_be) {
			m->be[i].weight = mb.weight;
		} else if (rc == 0) {
			FZ_ASSERT(m->n_be < M_BE_MAX, "model backends");
			m->be[m->n_be++] = mb;
		}
		return;
	}
	want = m->live && i < m->n_be;
	rc = ng_svc_backend_del(names[ni], &a, mb.port, err, sizeof(err));
	FZ_ASSERT((rc == 0) == want, "backend del in %s: rc %d, model %d: %s", names[ni], rc, want,
		err);
	if (want)
		m->be[i] = m->be[--m->n_be];
}

static void
op_service(struct fz *f, unsigned int ni, unsigned int op)
{
	struct m_svc *m = &model[ni];
	struct ng_svc_spec s;
	bool want;
	int rc;

	if (op == 2) {
		rc = ng_svc_del(names[ni], err, sizeof(err));
		FZ_ASSERT((rc == 0) == m->live, "del %s: rc %d, model %d: %s", names[ni], rc,
			m->live, err);
		m->live = false;
		return;
	}
	read_spec(f, ni, &s);
	if (op == 0) {
		want = spec_valid(&s) && !m->live;
		rc = ng_svc_add(&s, err, sizeof(err));
		FZ_ASSERT((rc == 0) == want, "add %s: rc %d, model %d: %s", names[ni], rc, want,
			err);
		if (want)
			*m = (struct m_svc){.live = true, .spec = s};
		return;
	}
	want = spec_valid(&s) && m->live && s.proto == m->spec.proto;
	rc = ng_svc_update(&s, err, sizeof(err));
	FZ_ASSERT((rc == 0) == want, "update %s: rc %d, model %d: %s", names[ni], rc, want, err);
	if (want)
		m->spec = s;
}

static int
be_cmp(const void *a, const void *b)
{
	const struct m_be *x = a, *y = b;
	uint32_t ax = rte_be_to_cpu_32(be_addr(x->addr).v4), ay = rte_be_to_cpu_32(be_addr(y->addr).v4);

	if (ax != ay)
		return ax < ay ? -1 : 1;
	return (int)x->port - (int)y->port;
}

/* The compiled object o is service m: options, backends, scheduling table. */
static void
check_obj(const struct ng_svc_obj *o, const struct m_svc *m)
{
	struct m_be be[M_BE_MAX];
	uint32_t usable = 0;

	FZ_ASSERT(strcmp(o->name, m->spec.name) == 0, "object %s for %s", o->name, m->spec.name);
	FZ_ASSERT(o->proto == m->spec.proto && o->sched == m->spec.scheduler &&
		o->mode == m->spec.mode && o->affinity == m->spec.affinity &&
		o->empty_drop == m->spec.empty_drop, "options of %s", o->name);
	FZ_ASSERT(o->affinity_timeout_s == (m->spec.affinity_timeout ? m->spec.affinity_timeout :
		NG_AFFINITY_TIMEOUT_DEFAULT), "affinity timeout of %s", o->name);
	/* The service's own timeouts, else the global ones (fz_svc_init: 900, 300). */
	FZ_ASSERT(o->to_tsc[NG_CT_ESTABLISHED] == (uint64_t)(m->spec.timeouts.tcp_established ?
		m->spec.timeouts.tcp_established : 900) * rte_get_tsc_hz() &&
		o->to_tsc[NG_CT_UDP] == (uint64_t)(m->spec.timeouts.udp ? m->spec.timeouts.udp :
		300) * rte_get_tsc_hz(), "connection timeouts of %s", o->name);
	FZ_ASSERT(o->n_backends == m->n_be, "%s: %u backends, model %u", o->name, o->n_backends,
		m->n_be);
	memcpy(be, m->be, sizeof(be[0]) * m->n_be);
	qsort(be, m->n_be, sizeof(be[0]), be_cmp);
	for (unsigned int i = 0; i < m->n_be; i++) {
		const struct ng_svc_backend *b = &o->backends[i];

		FZ_ASSERT(b->family == AF_INET && b->addr.v4 == be_addr(be[i].addr).v4 &&
			b->port == rte_cpu_to_be_16(be[i].port) && b->weight == be[i].weight,
			"%s: backend #%u out of order or wrong", o->name, i);
		usable += be[i].weight > 0;
	}
	FZ_ASSERT(o->n_usable == usable, "%s: %u usable, model %u", o->name, o->n_usable, usable);
	if (usable == 0) {
		FZ_ASSERT(ng_svc_pick(o, 12345, 0) == NG_MAGLEV_NONE, "%s: no pick", o->name);
		return;
	}
	FZ_ASSERT(o->table_size > 0, "%s: a table", o->name);
	for (uint32_t j = 0; j < o->table_size; j++)
		FZ_ASSERT(ng_svc_entry(o, j) < o->n_backends &&
				o->backends[ng_svc_entry(o, j)].weight > 0,
			"%s: table slot %u picks backend %u", o->name, j, ng_svc_entry(o, j));
}

/* Look key (addr, port, proto) up as a worker does; it must find model[want]. */
static void
check_key(const struct ng_ip *a, uint16_t port, uint8_t proto, int want)
{
	struct ng_fe_key k;
	const struct ng_svc_obj *o;

	memset(&k, 0, sizeof(k));
	k.addr.v4 = a->v4;
	k.port = rte_cpu_to_be_16(port);
	k.proto = proto;
	k.family = AF_INET;
	o = ng_rs_lookup(rs, &k);
	if (want < 0) {
		FZ_ASSERT(o == NULL, "port %u/%u: found %s, model has none", port, proto,
			o != NULL ? o->name : "");
		return;
	}
	FZ_ASSERT(o != NULL, "port %u/%u: nothing found, model has %s", port, proto,
		names[want]);
	check_obj(o, &model[want]);
}

static int
walk_cb(const struct ng_svc_view *v, void *arg)
{
	unsigned int *n = arg, i;
	const struct m_svc *m = NULL;

	for (i = 0; i < M_NAMES; i++)
		if (model[i].live && strcmp(names[i], v->spec->name) == 0)
			m = &model[i];
	FZ_ASSERT(m != NULL, "walk shows %s, not in the model", v->spec->name);
	FZ_ASSERT(v->n_frontends == m->n_fe && v->n_backends == m->n_be, "walk of %s",
		m->spec.name);
	for (i = 0; i < m->n_fe; i++) {
		struct ng_frontend fe = fe_of(&m->fe[i]);
		bool found = false;

		for (unsigned int j = 0; j < v->n_frontends; j++)
			found |= v->frontends[j].port == fe.port &&
				v->frontends[j].addr.family == fe.addr.family &&
				(fe.addr.family == 0 || v->frontends[j].addr.v4 == fe.addr.v4);
		FZ_ASSERT(found, "walk of %s: frontend #%u missing", m->spec.name, i);
	}
	for (i = 0; i < m->n_be; i++) {
		struct ng_ip a = be_addr(m->be[i].addr);
		bool found = false;

		for (unsigned int j = 0; j < v->n_backends; j++)
			found |= v->backends[j].addr.v4 == a.v4 &&
				v->backends[j].port == m->be[i].port &&
				v->backends[j].weight == m->be[i].weight;
		FZ_ASSERT(found, "walk of %s: backend #%u missing", m->spec.name, i);
	}
	(*n)++;
	return 0;
}

static void
commit_and_check(void)
{
	unsigned int live = 0, seen = 0;
	int rc = ng_svc_commit(err, sizeof(err));

	FZ_ASSERT(rc == 0 && !ng_svc_dirty(), "commit: %d %s", rc, err);
	FZ_ASSERT(rs != NULL, "a published ruleset");
	for (uint8_t pi = 0; pi < 2; pi++) {
		uint8_t proto = protos[pi];

		for (unsigned int p = 0; p < RTE_DIM(fe_ports); p++) {
			uint16_t port = fe_ports[p];
			struct m_fe np = {.np = true, .port = port};

			if (port == 0)
				continue;
			for (uint8_t v = 0; v < 8; v++) {
				struct m_fe f = {.vip = v, .port = port};
				struct ng_ip a = vip_addr(v);

				check_key(&a, port, proto, owner(&f, proto));
			}
			for (unsigned int n = 0; n < RTE_DIM(node_addrs); n++)
				check_key(&node_addrs[n], port, proto, owner(&np, proto));
		}
	}
	for (unsigned int i = 0; i < M_NAMES; i++)
		live += model[i].live;
	ng_svc_walk(walk_cb, &seen);
	FZ_ASSERT(seen == live, "walk saw %u services, model has %u", seen, live);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_eal_init("svc_model", 1);
	node_addrs[0] = ng_ip4(0xc6120001u); /* 198.18.0.1 */
	node_addrs[1] = ng_ip4(0xc6120101u); /* 198.18.1.1 */
	if (fz_svc_init(&rs, NULL, node_addrs, RTE_DIM(node_addrs)) != 0) {
		fprintf(stderr, "svc_model: ng_svc_init failed\n");
		exit(1);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = {.p = data, .n = size};
	unsigned int ops = 0;

	while (f.n > 0 && ops++ < 512) {
		unsigned int op = fz_pick(&f, 8), ni = fz_pick(&f, M_NAMES);

		switch (op) {
		case 0:
		case 1:
		case 2:
			op_service(&f, ni, op);
			break;
		case 3:
		case 4:
			op_frontend(&f, ni, op == 3);
			break;
		case 5:
		case 6:
			op_backend(&f, ni, op == 5);
			break;
		default:
			commit_and_check();
		}
	}
	commit_and_check();
	/* Back to empty for the next input: cheaper than ng_svc_fini() and
	 * init, and checks that deleting everything leaves nothing behind. */
	for (unsigned int i = 0; i < M_NAMES; i++)
		if (model[i].live) {
			FZ_ASSERT(ng_svc_del(names[i], err, sizeof(err)) == 0, "del %s", names[i]);
			model[i].live = false;
		}
	commit_and_check();
	FZ_ASSERT(rs->n_fe == 0 && rs->n_svcs == 0, "empty ruleset: %u frontends, %u services",
		rs->n_fe, rs->n_svcs);
	return 0;
}
