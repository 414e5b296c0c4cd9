/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ip4-reass stage: IPv4 fragments, held per worker until their datagram
 * is whole (reass_dp.h says what is bounded and why).
 *
 * Why not DPDK's rte_ip_frag: its fragments per datagram are a build-time
 * constant (RTE_LIBRTE_IP_FRAG_MAX_FRAG, 8 in Debian's DPDK 22.11), so a
 * 60,000-byte datagram (41 fragments at MTU 1500) can never be reassembled
 * and the limit cannot be configured; it does not detect overlapping
 * fragments (an overlap shows only as a size mismatch, or is accepted); and
 * its counters are compiled out and behind an opaque table. The table here
 * is the same shape (buckets of entries keyed by source, destination,
 * identification and protocol, a timeout, a death row) with those three
 * things added.
 */
#include <assert.h>
#include <stddef.h>
#include <string.h>

#include <rte_hash_crc.h>
#include <rte_ip.h>
#include <rte_malloc.h>

#include "pkt.h"
#include "pkt6_dp.h"
#include "reass_dp.h"
#include "svc_dp.h"
#include "worker_dp.h"

/* The least payload a first fragment carries: a TCP header without options. */
#define FIRST_MIN 20

static_assert(sizeof(struct ng_reass_ent) == RTE_CACHE_LINE_MIN_SIZE,
		"a table entry is one cache line");

static_assert(sizeof(struct ng_reass_key) == 5 * sizeof(uint64_t), "a key is 5 words");

/* rte_hash_crc() reads the key through uint64_t pointers, which the compiler
 * may move above the key's stores (strict aliasing): words copied instead. */
static inline uint32_t
key_hash(const struct ng_reass_key *k)
{
	uint64_t w[5];
	uint32_t h = 0x5eed;

	memcpy(w, k, sizeof(w));
	for (unsigned int i = 0; i < RTE_DIM(w); i++)
		h = rte_hash_crc_8byte(w[i], h);
	return h;
}

static inline void
key4(struct ng_reass_key *k, uint32_t src, uint32_t dst, uint16_t id, uint8_t proto)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->src, &src, sizeof(src));
	memcpy(k->dst, &dst, sizeof(dst));
	k->id = id;
	k->proto = proto;
}

static inline void
key6(struct ng_reass_key *k, const uint8_t src[16], const uint8_t dst[16], uint32_t id)
{
	memcpy(k->src, src, 16);
	memcpy(k->dst, dst, 16);
	k->id = id;
	k->proto = 0;
	k->v6 = 1;
	k->pad = 0;
}

static inline unsigned int
owner_of(const struct ng_reass_key *k, unsigned int n_workers)
{
	return (unsigned int)(((uint64_t)key_hash(k) * n_workers) >> 32);
}

unsigned int
ng_reass_owner(uint32_t src, uint32_t dst, uint16_t id, uint8_t proto, unsigned int n_workers)
{
	struct ng_reass_key k;

	key4(&k, src, dst, id, proto);
	return owner_of(&k, n_workers);
}

unsigned int
ng_reass_owner6(const uint8_t src[16], const uint8_t dst[16], uint32_t id,
		unsigned int n_workers)
{
	struct ng_reass_key k;

	key6(&k, src, dst, id);
	return owner_of(&k, n_workers);
}

static uint32_t
n_buckets(const struct ng_conf *c)
{
	return rte_align32pow2((c->reassembly.max_datagrams + NG_REASS_BUCKET - 1) /
			NG_REASS_BUCKET);
}

uint64_t
ng_reass_mem_bytes(const struct ng_conf *c)
{
	uint64_t ent = (uint64_t)n_buckets(c) * NG_REASS_BUCKET;

	return sizeof(struct ng_reass) + ent * sizeof(struct ng_reass_ent) +
			ent * c->reassembly.max_fragments * sizeof(struct ng_reass_frag) +
			((uint64_t)c->reassembly.max_held + NG_W_BURST_MAX) * sizeof(struct rte_mbuf *);
}

struct ng_reass *
ng_reass_create(const struct ng_conf *c, uint64_t tsc_hz, int socket)
{
	uint32_t nb = n_buckets(c);
	struct ng_reass *r = rte_zmalloc_socket("ng_reass", sizeof(*r), RTE_CACHE_LINE_SIZE, socket);

	if (r == NULL)
		goto nomem;
	r->mask = nb - 1;
	r->n_ent = nb * NG_REASS_BUCKET;
	r->max_datagrams = c->reassembly.max_datagrams;
	r->max_frags = c->reassembly.max_fragments;
	r->max_held = c->reassembly.max_held;
	r->timeout_tsc = tsc_hz * c->reassembly.timeout_ms / 1000;
	/* at most everything held plus a burst between two flushes */
	r->dr_cap = r->max_held + NG_W_BURST_MAX;
	r->dr = rte_zmalloc_socket("ng_reass_dr", sizeof(*r->dr) * r->dr_cap,
			RTE_CACHE_LINE_SIZE, socket);
	r->ent = rte_zmalloc_socket("ng_reass_ent", sizeof(*r->ent) * r->n_ent,
			RTE_CACHE_LINE_SIZE, socket);
	r->frags = rte_zmalloc_socket("ng_reass_frags",
			sizeof(*r->frags) * r->n_ent * r->max_frags, RTE_CACHE_LINE_SIZE, socket);
	if (r->dr == NULL || r->ent == NULL || r->frags == NULL)
		goto nomem;
	r->mem_bytes = ng_reass_mem_bytes(c);
	return r;
nomem:
	ng_reass_free(r);
	rte_errno = ENOMEM;
	return NULL;
}

void
ng_reass_free(struct ng_reass *r)
{
	if (r == NULL)
		return;
	if (r->ent != NULL && r->frags != NULL)
		for (uint32_t i = 0; i < r->n_ent; i++)
			for (uint16_t k = 0; k < r->ent[i].n; k++)
				rte_pktmbuf_free(r->frags[(size_t)i * r->max_frags + k].m);
	if (r->dr != NULL)
		rte_pktmbuf_free_bulk(r->dr, r->dr_n);
	rte_free(r->frags);
	rte_free(r->ent);
	rte_free(r->dr);
	rte_free(r);
}

static inline struct ng_reass_frag *
frags_of(const struct ng_reass *r, const struct ng_reass_ent *e)
{
	return &r->frags[(size_t)(e - r->ent) * r->max_frags];
}

/* Put m on the death row, counted as dropped for reason why on its ingress port. */
static inline void
dr_add(struct ng_worker *w, struct rte_mbuf *m, enum ng_drop_reason why)
{
	struct ng_reass *r = w->reass;

	w->stats.port[ng_port_dp[m->port].idx].drop[why]++;
	r->dr[r->dr_n++] = m;
}

/* Discard entry e and the fragments it holds (each counted as why). */
static void
discard(struct ng_worker *w, struct ng_reass_ent *e, enum ng_drop_reason why)
{
	struct ng_reass *r = w->reass;
	struct ng_reass_frag *f = frags_of(r, e);

	for (uint16_t k = 0; k < e->n; k++)
		dr_add(w, f[k].m, why);
	r->held -= e->n;
	r->n_used--;
	e->n = 0;
}

void
ng_reass_flush(struct ng_worker *w)
{
	struct ng_reass *r = w->reass;

	if (r == NULL || r->dr_n == 0)
		return;
	rte_pktmbuf_free_bulk(r->dr, r->dr_n);
	r->dr_n = 0;
}

void
ng_reass_expire(struct ng_worker *w, uint64_t now, uint32_t budget)
{
	struct ng_reass *r = w->reass;

	if (r == NULL || r->n_used == 0)
		return;
	for (uint32_t i = 0; i < budget && r->n_used > 0; i++) {
		struct ng_reass_ent *e = &r->ent[r->cursor];

		r->cursor = (r->cursor + 1) & (r->n_ent - 1);
		if (e->n != 0 && now - e->start > r->timeout_tsc) {
			discard(w, e, NG_DROP_FRAG_TIMEOUT);
			w->stats.reass.timed_out++;
		}
	}
	ng_reass_flush(w);
}

/* At max_datagrams, or holding max_held fragments. */
static inline bool
full(const struct ng_reass *r)
{
	return r->n_used >= r->max_datagrams || r->held >= r->max_held;
}

/*
 * An entry in use to give up when the table is full but the bucket at hand
 * has none: the first after the expiry cursor (at max_datagrams most are in
 * use, so the scan is short).
 */
static struct ng_reass_ent *
any_entry(const struct ng_reass *r, const struct ng_reass_ent *but)
{
	for (uint32_t i = 0; i < r->n_ent && r->n_used > 0; i++) {
		struct ng_reass_ent *e = &r->ent[(r->cursor + i) & (r->n_ent - 1)];

		if (e->n != 0 && e != but)
			return e;
	}
	return NULL;
}

/* Give up entry v for room: timed out if it is, else counted as table full. */
static void
give_up(struct ng_worker *w, struct ng_reass_ent *v)
{
	if (w->now - v->start > w->reass->timeout_tsc) {
		discard(w, v, NG_DROP_FRAG_TIMEOUT);
		w->stats.reass.timed_out++;
	} else {
		discard(w, v, NG_DROP_FRAG_TABLE_FULL);
		w->stats.reass.table_full++;
	}
}

/*
 * Room for one more fragment of e at max_held: give up the oldest other
 * entry of e's bucket, or any other. A datagram under way keeps its place
 * (fragments that never complete are what fills the table).
 * @return false when e is all the table holds.
 */
static bool
room_for(struct ng_worker *w, struct ng_reass_ent *e)
{
	struct ng_reass *r = w->reass;
	struct ng_reass_ent *b = &r->ent[(size_t)(e - r->ent) & ~(size_t)(NG_REASS_BUCKET - 1)];
	struct ng_reass_ent *v = NULL;

	while (r->held >= r->max_held) {
		for (unsigned int k = 0; k < NG_REASS_BUCKET; k++)
			if (b[k].n != 0 && &b[k] != e && (v == NULL || b[k].start < v->start))
				v = &b[k];
		if (v == NULL)
			v = any_entry(r, e);
		if (v == NULL)
			return false;
		give_up(w, v);
		v = NULL;
	}
	return true;
}

/*
 * The entry of datagram k: the one being reassembled
 * (a stale one is discarded and started again), or a free one. A full
 * bucket, or a table at max_datagrams or max_held, gives up the oldest
 * entry of the bucket (a flood of fragments that never complete does not
 * keep real datagrams out; they complete within a round trip). NULL when
 * there is nothing to give up.
 */
static struct ng_reass_ent *
find(struct ng_worker *w, const struct ng_reass_key *key)
{
	struct ng_reass *r = w->reass;
	struct ng_reass_ent *b = &r->ent[(key_hash(key) & r->mask) * NG_REASS_BUCKET];
	struct ng_reass_ent *free = NULL, *old = NULL;
	uint64_t now = w->now;

	for (unsigned int k = 0; k < NG_REASS_BUCKET; k++) {
		struct ng_reass_ent *e = &b[k];

		if (e->n == 0) {
			if (free == NULL)
				free = e;
			continue;
		}
		if (memcmp(&e->k, key, sizeof(*key)) == 0) {
			if (now - e->start <= r->timeout_tsc)
				return e;
			discard(w, e, NG_DROP_FRAG_TIMEOUT);
			w->stats.reass.timed_out++;
			free = e;
			break;
		}
		if (old == NULL || e->start < old->start)
			old = e;
	}
	if (free == NULL || full(r)) {
		struct ng_reass_ent *victim = old != NULL ? old : any_entry(r, NULL);

		if (victim == NULL)
			return NULL;
		give_up(w, victim);
		if (free == NULL)
			free = victim; /* its bucket was full: old is in it */
		if (full(r))
			return NULL;
	}
	free->k = *key;
	free->size_max = 0;
	free->total = 0;
	free->got = 0;
	free->start = now;
	r->n_used++;
	return free;
}

/* Sort the held fragments by offset (at most max_fragments: insertion sort). */
static void
sort_frags(struct ng_reass_frag *f, uint16_t n)
{
	for (uint16_t i = 1; i < n; i++) {
		struct ng_reass_frag x = f[i];
		uint16_t j = i;

		for (; j > 0 && f[j - 1].off > x.off; j--)
			f[j] = f[j - 1];
		f[j] = x;
	}
}

/*
 * The head of a whole IPv6 datagram (RFC 8200 4.5): the fragment with
 * offset 0 loses its fragment header (hdr bytes from the IPv6 header), the
 * header before it names what the fragment header named, and the payload
 * length becomes the unfragmentable headers' and the fragmentable part's.
 */
static void
head6(struct rte_mbuf *head, uint16_t hdr, uint32_t total)
{
	uint8_t *p = rte_pktmbuf_mtod(head, uint8_t *);
	uint8_t *ip = p + head->l2_len, *field = ip + offsetof(struct rte_ipv6_hdr, proto);
	struct rte_ipv6_hdr *ip6;

	/* the unfragmentable headers were walked whole in ip6-parse */
	for (uint16_t off = sizeof(*ip6); off < hdr; off = (uint16_t)(off + (ip[off + 1] + 1) * 8))
		field = ip + off;
	*field = ip[hdr];
	memmove(p + 8, p, (size_t)head->l2_len + hdr);
	rte_pktmbuf_adj(head, 8);
	ip6 = rte_pktmbuf_mtod_offset(head, struct rte_ipv6_hdr *, head->l2_len);
	ip6->payload_len = rte_cpu_to_be_16((uint16_t)(hdr - sizeof(*ip6) + total));
	head->l3_len = (uint16_t)(head->l3_len - 8);
}

/*
 * Chain the fragments of a whole datagram (no overlap, no hole: their sizes
 * add up to the total) behind the first one, whose IPv4 header becomes the
 * datagram's (IPv6: without its fragment header; the largest fragment's size
 * goes with the datagram in its mbuf, for ip6-forward).
 */
static struct rte_mbuf *
assemble(struct ng_reass *r, struct ng_reass_ent *e)
{
	struct ng_reass_frag *f = frags_of(r, e);
	struct rte_mbuf *head, *tail;

	sort_frags(f, e->n);
	head = f[0].m;
	tail = rte_pktmbuf_lastseg(head);
	for (uint16_t k = 1; k < e->n; k++) {
		struct rte_mbuf *m = f[k].m;

		rte_pktmbuf_adj(m, (uint16_t)(m->l2_len + m->l3_len));
		tail->next = m;
		head->nb_segs = (uint16_t)(head->nb_segs + m->nb_segs);
		head->pkt_len += m->pkt_len;
		tail = rte_pktmbuf_lastseg(m);
	}
	if (e->k.v6) {
		head6(head, f[0].hdr, e->total);
		ng_mbuf_priv(head)->frag_max = e->size_max;
	} else {
		struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(head, struct rte_ipv4_hdr *,
				head->l2_len);

		ip->total_length = rte_cpu_to_be_16((uint16_t)(head->l3_len + e->total));
		ip->fragment_offset &= rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	}
	r->held -= e->n;
	r->n_used--;
	e->n = 0;
	return head;
}

/* A fragment as the table takes it, from either family's header. */
struct frag_in {
	struct ng_reass_key k;
	uint32_t off;      /**< offset of its data in the datagram's payload */
	uint32_t len;      /**< bytes of data */
	uint32_t hdr_len;  /**< header bytes the datagram's length counts (IPv4: ihl;
	                        IPv6: the unfragmentable headers past the fixed one) */
	const uint8_t *l4; /**< a first fragment's upper-layer header */
	uint32_t l4_room;  /**< ...and its bytes from there */
	uint32_t size;     /**< IPv6: the fragment, IPv6 header included */
	uint16_t hdr;      /**< IPv6: bytes before the fragment header */
	uint8_t proto;     /**< a first fragment's upper-layer protocol */
	bool mf;
};

/*
 * Check a fragment on its own: payload, 8-byte units but for the last, a
 * datagram of at most 65,535 bytes, a first fragment that holds at least a
 * TCP header (RFC 1858: no tiny first fragments).
 */
static inline bool
frag_valid(const struct frag_in *in)
{
	if (in->len == 0 || (in->mf && in->len % 8 != 0) ||
			in->off + in->len + in->hdr_len > UINT16_MAX)
		return false;
	if (in->off == 0 && in->len < FIRST_MIN)
		return false;
	if (in->off == 0 && in->proto == IPPROTO_TCP &&
			(in->l4_room < 13 || (uint32_t)(in->l4[12] >> 4) * 4 > in->l4_room))
		return false;
	return true;
}

/*
 * Where fragment (off, len, last) goes in e: NG_DROP_NONE to add it, or why
 * not (duplicate: drop it alone; overlap, too many: discard the datagram).
 */
static inline enum ng_drop_reason
frag_fits(const struct ng_reass *r, const struct ng_reass_ent *e, uint32_t off, uint32_t len,
		bool last)
{
	const struct ng_reass_frag *f = frags_of(r, e);
	uint32_t end = off + len;

	for (uint16_t k = 0; k < e->n; k++) {
		if (f[k].off == off && f[k].len == len)
			return NG_DROP_FRAG_DUPLICATE;
		if (off < (uint32_t)f[k].off + f[k].len && f[k].off < end)
			return NG_DROP_FRAG_OVERLAP;
		if (last && (uint32_t)f[k].off + f[k].len > end)
			return NG_DROP_FRAG_OVERLAP; /* data past the last fragment's end */
	}
	if (e->total != 0 && (end > e->total || (last && end != e->total)))
		return NG_DROP_FRAG_OVERLAP;
	if (e->n >= r->max_frags)
		return NG_DROP_FRAG_TOO_MANY;
	return NG_DROP_NONE;
}

/* Count a fragment refused as why; the datagram goes too but for a duplicate. */
static void
refuse(struct ng_worker *w, struct ng_reass_ent *e, enum ng_drop_reason why)
{
	if (why == NG_DROP_FRAG_DUPLICATE) {
		w->stats.reass.duplicates++;
		return;
	}
	if (why == NG_DROP_FRAG_OVERLAP)
		w->stats.reass.overlapping++;
	else if (why == NG_DROP_FRAG_TOO_MANY)
		w->stats.reass.too_many++;
	else
		w->stats.reass.table_full++;
	discard(w, e, why);
}

/*
 * Take fragment m in. @return the whole datagram when m completed it, else
 * NULL: m is held, or was handed to the drop edge.
 */
static struct rte_mbuf *
reass_one(struct ng_worker *w, struct rte_mbuf *m, const struct frag_in *in, struct ng_vec *drop)
{
	struct ng_reass *r = w->reass;
	struct ng_reass_ent *e;
	struct ng_reass_frag *f;
	enum ng_drop_reason why;

	if (unlikely(!frag_valid(in))) {
		w->stats.reass.malformed++;
		ng_w_next(drop, m, NG_DROP_FRAG_MALFORMED);
		return NULL;
	}
	e = find(w, &in->k);
	if (unlikely(e == NULL)) {
		w->stats.reass.table_full++;
		ng_w_next(drop, m, NG_DROP_FRAG_TABLE_FULL);
		return NULL;
	}
	why = room_for(w, e) ? frag_fits(r, e, in->off, in->len, !in->mf) :
			NG_DROP_FRAG_TABLE_FULL;
	if (unlikely(why != NG_DROP_NONE)) {
		refuse(w, e, why);
		ng_w_next(drop, m, why);
		return NULL;
	}
	w->stats.reass.fragments++;
	f = &frags_of(r, e)[e->n++];
	f->m = m;
	f->off = (uint16_t)in->off;
	f->len = (uint16_t)in->len;
	f->hdr = in->hdr;
	r->held++;
	e->got += in->len;
	if (in->size > e->size_max)
		e->size_max = (uint16_t)RTE_MIN(in->size, (uint32_t)UINT16_MAX);
	if (!in->mf)
		e->total = in->off + in->len;
	if (e->total == 0 || e->got != e->total)
		return NULL;
	w->stats.reass.reassembled++;
	return assemble(r, e);
}

/* Take m, fragment in of a datagram worker o reassembles: on its ring, or here. */
static inline void
take(struct ng_worker *w, struct rte_mbuf *m, const struct frag_in *in, unsigned int o,
		const struct ng_nexthop *nh, struct ng_vec *const *next)
{
	struct rte_mbuf *whole;

	if (o != w->id) {
		ng_w_next(next[NG_REASS_NEXT_REDIRECT], m, o);
		return;
	}
	whole = reass_one(w, m, in, next[NG_REASS_NEXT_DROP]);
	if (whole != NULL)
		ng_w_next_nh(next[NG_REASS_NEXT_LB], whole, nh);
}

void
ng_reass_process(struct ng_worker *w, struct rte_mbuf **pkts, const union ng_w_aux *aux,
		uint16_t n, struct ng_vec *const *next)
{
	unsigned int nw = w->dp->n_workers;
	bool multi = nw > 1 && !w->in_redirect;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m,
				const struct rte_ipv4_hdr *, m->l2_len);
		uint16_t fo = rte_be_to_cpu_16(ip->fragment_offset), ihl = m->l3_len;
		struct frag_in in = {
			.off = (uint32_t)(fo & RTE_IPV4_HDR_OFFSET_MASK) *
					RTE_IPV4_HDR_OFFSET_UNITS,
			.len = (uint32_t)rte_be_to_cpu_16(ip->total_length) - ihl,
			.hdr_len = ihl,
			.l4 = (const uint8_t *)ip + ihl,
			.proto = ip->next_proto_id,
			.mf = (fo & RTE_IPV4_HDR_MF_FLAG) != 0,
		};

		in.l4_room = in.len;
		key4(&in.k, ip->src_addr, ip->dst_addr, ip->packet_id, ip->next_proto_id);
		take(w, m, &in, multi ? owner_of(&in.k, nw) : w->id, aux[i].nh, next);
	}
}

/* The ip6-reass stage: ip6-parse checked the fragment header (pkt6_dp.h). */
void
ng_reass6_process(struct ng_worker *w, struct rte_mbuf **pkts, const union ng_w_aux *aux,
		uint16_t n, struct ng_vec *const *next)
{
	unsigned int nw = w->dp->n_workers;
	bool multi = nw > 1 && !w->in_redirect;

	RTE_BUILD_BUG_ON((int)NG_REASS6_NEXT_LB != (int)NG_REASS_NEXT_LB ||
			(int)NG_REASS6_NEXT_REDIRECT != (int)NG_REASS_NEXT_REDIRECT ||
			(int)NG_REASS6_NEXT_DROP != (int)NG_REASS_NEXT_DROP);
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const struct rte_ipv6_hdr *ip;
		struct ng_ip6_info info;
		struct frag_in in;

		if (unlikely(ng_ip6_parse(m, &info) != NG_DROP_NONE ||
				!ng_ip6_is_fragment(&info))) {
			ng_w_next(next[NG_REASS6_NEXT_DROP], m, NG_DROP_IP6_HEADER);
			continue;
		}
		ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv6_hdr *, m->l2_len);
		in.hdr = info.unfrag_len;
		in.size = (uint32_t)sizeof(*ip) + rte_be_to_cpu_16(ip->payload_len);
		in.off = info.frag_off;
		in.len = in.size - info.unfrag_len - 8;
		in.hdr_len = (uint32_t)info.unfrag_len - sizeof(*ip);
		in.l4 = (const uint8_t *)ip + info.l3_len;
		in.l4_room = info.l4_len;
		in.proto = info.proto;
		in.mf = (info.flags & NG_IP6_F_MF) != 0;
		key6(&in.k, ip->src_addr, ip->dst_addr, info.frag_id);
		take(w, m, &in, multi ? owner_of(&in.k, nw) : w->id, aux[i].nh, next);
	}
}
