/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "maglev.h"
#include "ng_hash.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

static const uint32_t ladder[] = {
	257, 521, 1031, 2053, 4099, 8209, 16411, 32771, 65537,
};

uint32_t
ng_maglev_size(uint32_t n_backends)
{
	uint64_t want = (uint64_t)n_backends * NG_MAGLEV_FACTOR;

	for (size_t i = 0; i < sizeof(ladder) / sizeof(ladder[0]); i++)
		if (ladder[i] >= want)
			return ladder[i];
	return NG_MAGLEV_MAX;
}

static void
backend_key(const struct ng_maglev_backend *b, uint8_t key[19])
{
	memset(key, 0, 19);
	key[0] = b->addr.family;
	if (b->addr.family == AF_INET)
		memcpy(key + 1, &b->addr.v4, 4);
	else
		memcpy(key + 1, b->addr.v6, 16);
	key[17] = (uint8_t)(b->port >> 8);
	key[18] = (uint8_t)b->port;
}

/*
 * The fill. Each backend walks its permutation (offset, then + skip mod m)
 * and, in turn, takes the first free slot on its walk. While many slots are
 * free a walk finds one in a few steps; the last ones cost a walk of about
 * m / free steps each, so filling down to F free slots costs about
 * m ln(m / F) probes, half of them (at m = 2,053) below 256 free. So the
 * tail is computed instead of probed: from a walk's position p, free slot f lies
 * d(f) = ((f - p) * skip^-1) mod m steps ahead (m is prime), and the walk
 * stops at the free slot with the fewest steps.
 *
 * The distances need not be computed again for each placement: when a walk
 * takes its nearest free slot s and moves on to s + skip, every other free
 * slot comes d(s) + 1 steps nearer, all of them alike, and another walk's
 * placement only takes a slot away. So each walk's order of the free slots
 * never changes in the tail. Once at most tail_at slots are free (96 at
 * m = 2,053, see tail_start()), the free slots are listed once; a walk's
 * first placement in the tail computes its distances to all of them as a row
 * of 16-bit values (a vectorized pass of modular products), and every
 * placement after that is the position of the smallest value of its row
 * among the slots still free (taken[], shared, holds 0xffff for the taken
 * ones). Same slot, same table, without the probes. The row's entries fit
 * 16 bits while m < 65536; m = 65537 (the ladder's last size) keeps the
 * scalar tail of MAGLEV_TAIL slots, which computes each walk's distances
 * again at every placement.
 *
 * The row work (listing the free slots, the distances, the smallest entry)
 * has an AVX-512BW, an AVX2 and a plain C version, chosen once from the CPU
 * (ng_maglev_set_impl() forces one, for tests); all give the same table.
 */
#define MAGLEV_TAIL 32
#define MAGLEV_TAIL_MIN_N 8
/* A row's length is a multiple of this (one AVX-512 register of 16-bit
 * entries); the padding's taken[] entries are 0xffff. */
#define MAGLEV_ROW_ALIGN 32
/* The row tail's largest start (tail_start()) */
#define MAGLEV_TAIL_ROWS_MAX 512

struct walk {
	uint32_t pos;	/* next slot to try */
	uint32_t skip;	/* 1..m-1 */
	uint32_t inv;	/* skip^-1 mod m, for the tail */
	uint32_t weight;
	uint64_t credit;
	uint32_t row;	/* its distance row in the row tail; UINT32_MAX: none yet */
	uint16_t id;	/* its backend's index: what its slots hold */
};

/* The row tail's steps, in one version per instruction set. */
struct tail_ops {
	enum ng_maglev_impl impl;
	/* List the free slots of t[0..m-1] in slots[]; their count. */
	uint32_t (*list_free)(const uint16_t *t, uint32_t m, uint16_t *slots);
	/* row[k] = ((slots[k] - pos) * inv) mod m for k < len (a multiple of
	 * MAGLEV_ROW_ALIGN); invp = floor(inv * 2^16 / m). */
	void (*rows)(uint16_t *row, const uint16_t *slots, uint32_t len, uint32_t pos,
			uint32_t inv, uint32_t invp, uint32_t m);
	/* The k < len (a multiple of MAGLEV_ROW_ALIGN) with the smallest
	 * row[k] | taken[k], which is unique. */
	uint32_t (*argmin)(const uint16_t *row, const uint16_t *taken, uint32_t len);
	/* taken[k] = 0xffff */
	void (*take)(uint16_t *taken, uint32_t k);
};

enum tail_mode {
	TAIL_NONE,	/* probing */
	TAIL_SCALAR,	/* free_slots[], distances at every placement */
	TAIL_ROWS,	/* slots[], a distance row per walk */
	TAIL_OFF,	/* m is not prime (no inverses) or no memory: probe to the end */
};

struct fill {
	uint16_t *table;
	uint32_t m;
	uint32_t filled;
	uint32_t tail_at;	/* the tail begins with this many slots free */
	uint32_t tail_from;	/* ... that is, when this many are filled */
	enum tail_mode mode;
	const struct tail_ops *ops;
	/* TAIL_SCALAR */
	uint32_t n_free;
	double inv_m;
	uint32_t free_slots[MAGLEV_TAIL];
	/* TAIL_ROWS: len columns (the free slots at the start, then padding) */
	uint32_t len;
	uint32_t n_rows;
	uint16_t *slots;	/* len: the free slots at the start */
	uint16_t *taken;	/* len: 0 while slots[k] is free, then 0xffff */
	uint16_t *dist;		/* rows of len */
};

static inline uint32_t
step(uint32_t pos, uint32_t skip, uint32_t m)
{
	pos += skip;	/* both < m <= 65537: no overflow */
	return pos >= m ? pos - m : pos;
}

/* a^-1 mod m (extended Euclid); 0 when a and m are not coprime. */
static uint32_t
inverse_mod(uint32_t a, uint32_t m)
{
	int64_t t = 0, nt = 1, r = m, nr = a;

	while (nr != 0) {
		int64_t q = r / nr, x;

		x = t - q * nt;
		t = nt;
		nt = x;
		x = r - q * nr;
		r = nr;
		nr = x;
	}
	if (r != 1)
		return 0;
	return (uint32_t)(t < 0 ? t + m : t);
}

/* x mod m for x < 2^34 (a product of two values below m): the quotient from
 * a double is off by at most one. */
static inline uint32_t
mod_small(uint64_t x, uint32_t m, double inv_m)
{
	int64_t r = (int64_t)x - (int64_t)((double)x * inv_m) * m;

	if (r < 0)
		r += m;
	else if (r >= m)
		r -= m;
	return (uint32_t)r;
}

/* ---- the row tail's steps: plain C ---- */

static uint32_t
list_free_c(const uint16_t *t, uint32_t m, uint16_t *slots)
{
	uint32_t n = 0;

	for (uint32_t s = 0; s < m; s++)
		if (t[s] == NG_MAGLEV_NONE)
			slots[n++] = (uint16_t)s;
	return n;
}

/*
 * (a * inv) mod m for a, inv < m < 2^16 without a division (Shoup): with
 * invp = floor(inv * 2^16 / m), q = (a * invp) >> 16 is the quotient or one
 * less, so a * inv - q * m is below 2m and one conditional subtraction
 * finishes it. Every product fits 32 bits. The vector versions do the same
 * in 32-bit lanes, "x - m if x >= m" as min(x, x - m) (unsigned).
 */
static void
rows_c(uint16_t *row, const uint16_t *slots, uint32_t len, uint32_t pos, uint32_t inv,
		uint32_t invp, uint32_t m)
{
	for (uint32_t k = 0; k < len; k++) {
		uint32_t a = slots[k] + m - pos, q, r;

		a = a >= m ? a - m : a;
		q = (a * invp) >> 16;
		r = a * inv - q * m;
		row[k] = (uint16_t)(r >= m ? r - m : r);
	}
}

static uint32_t
argmin_c(const uint16_t *row, const uint16_t *taken, uint32_t len)
{
	uint32_t best = 0, best_d = UINT32_MAX;

	for (uint32_t k = 0; k < len; k++) {
		uint32_t d = row[k] | taken[k];

		if (d < best_d) {
			best_d = d;
			best = k;
		}
	}
	return best;
}

static void
take_c(uint16_t *taken, uint32_t k)
{
	taken[k] = 0xffff;
}

static const struct tail_ops ops_c = {
	.impl = NG_MAGLEV_IMPL_SCALAR,
	.list_free = list_free_c,
	.rows = rows_c,
	.argmin = argmin_c,
	.take = take_c,
};

#if defined(__x86_64__)

/* ---- AVX2 ---- */

__attribute__((target("avx2,bmi"))) static uint32_t
list_free_avx2(const uint16_t *t, uint32_t m, uint16_t *slots)
{
	const __m256i none = _mm256_set1_epi16(-1);
	uint32_t n = 0, s = 0;

	for (; s + 16 <= m; s += 16) {
		__m256i v = _mm256_loadu_si256((const __m256i *)(t + s));
		/* two mask bits a 16-bit lane: keep the low one */
		uint32_t k = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi16(v, none)) &
				0x55555555u;

		while (k != 0) {
			slots[n++] = (uint16_t)(s + (uint32_t)__builtin_ctz(k) / 2);
			k &= k - 1;
		}
	}
	for (; s < m; s++)
		if (t[s] == NG_MAGLEV_NONE)
			slots[n++] = (uint16_t)s;
	return n;
}

__attribute__((target("avx2"))) static inline __m256i
mulmod8(__m128i s16, __m256i vp, __m256i vm, __m256i vinv, __m256i vinvp)
{
	__m256i a = _mm256_sub_epi32(_mm256_add_epi32(_mm256_cvtepu16_epi32(s16), vm), vp);
	__m256i q, r;

	a = _mm256_min_epu32(a, _mm256_sub_epi32(a, vm));
	q = _mm256_srli_epi32(_mm256_mullo_epi32(a, vinvp), 16);
	r = _mm256_sub_epi32(_mm256_mullo_epi32(a, vinv), _mm256_mullo_epi32(q, vm));
	return _mm256_min_epu32(r, _mm256_sub_epi32(r, vm));
}

__attribute__((target("avx2"))) static void
rows_avx2(uint16_t *row, const uint16_t *slots, uint32_t len, uint32_t pos, uint32_t inv,
		uint32_t invp, uint32_t m)
{
	const __m256i vp = _mm256_set1_epi32((int)pos), vm = _mm256_set1_epi32((int)m);
	const __m256i vinv = _mm256_set1_epi32((int)inv), vinvp = _mm256_set1_epi32((int)invp);

	for (uint32_t k = 0; k < len; k += 16) {
		__m128i s0 = _mm_loadu_si128((const __m128i *)(slots + k));
		__m128i s1 = _mm_loadu_si128((const __m128i *)(slots + k + 8));
		__m256i r0 = mulmod8(s0, vp, vm, vinv, vinvp);
		__m256i r1 = mulmod8(s1, vp, vm, vinv, vinvp);
		/* the pack works within 128-bit halves: put the quarters back in order */
		__m256i r = _mm256_permute4x64_epi64(_mm256_packus_epi32(r0, r1), 0xd8);

		_mm256_storeu_si256((__m256i *)(row + k), r);
	}
}

__attribute__((target("avx2,bmi"))) static uint32_t
argmin_avx2(const uint16_t *row, const uint16_t *taken, uint32_t len)
{
	__m256i best = _mm256_set1_epi16(-1), from = _mm256_setzero_si256();
	__m128i b;
	uint16_t blocks[16];
	uint32_t lane;

	for (uint32_t k = 0; k < len; k += 16) {
		__m256i v = _mm256_or_si256(_mm256_loadu_si256((const __m256i *)(row + k)),
				_mm256_loadu_si256((const __m256i *)(taken + k)));
		/* v < best: v is not best's minimum with it */
		__m256i lt = _mm256_andnot_si256(_mm256_cmpeq_epi16(_mm256_min_epu16(v, best),
				best), _mm256_set1_epi16(-1));

		best = _mm256_min_epu16(best, v);
		from = _mm256_blendv_epi8(from, _mm256_set1_epi16((short)k), lt);
	}
	b = _mm_min_epu16(_mm256_castsi256_si128(best), _mm256_extracti128_si256(best, 1));
	lane = (uint32_t)__builtin_ctz((uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi16(best,
			_mm256_set1_epi16((short)_mm_extract_epi16(_mm_minpos_epu16(b), 0))))) / 2;
	_mm256_storeu_si256((__m256i *)blocks, from);
	return blocks[lane] + lane;
}

/*
 * The next argmin() reads the slot's block of taken[] whole, right after
 * this: a 2-byte store there would have that load wait until the store left
 * the store buffer (no forwarding from a narrow store to a wide load). The
 * block is written whole instead, which forwards.
 */
__attribute__((target("avx2"))) static void
take_avx2(uint16_t *taken, uint32_t k)
{
	const __m256i lane = _mm256_set_epi16(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1,
			0);
	__m256i *block = (__m256i *)(taken + k - k % 16);
	__m256i bit = _mm256_cmpeq_epi16(lane, _mm256_set1_epi16((short)(k % 16)));

	_mm256_storeu_si256(block, _mm256_or_si256(_mm256_loadu_si256(block), bit));
}

static const struct tail_ops ops_avx2 = {
	.impl = NG_MAGLEV_IMPL_AVX2,
	.list_free = list_free_avx2,
	.rows = rows_avx2,
	.argmin = argmin_avx2,
	.take = take_avx2,
};

/* ---- AVX-512BW ---- */

__attribute__((target("avx512f,avx512bw,bmi"))) static uint32_t
list_free_avx512(const uint16_t *t, uint32_t m, uint16_t *slots)
{
	const __m512i none = _mm512_set1_epi16(-1);
	uint32_t n = 0, s = 0;

	for (; s < m; s += 32) {
		__mmask32 in = m - s >= 32 ? ~(__mmask32)0 : ((__mmask32)1 << (m - s)) - 1;
		__m512i v = _mm512_maskz_loadu_epi16(in, t + s);
		uint32_t k = _mm512_mask_cmpeq_epi16_mask(in, v, none);

		while (k != 0) {
			slots[n++] = (uint16_t)(s + (uint32_t)__builtin_ctz(k));
			k &= k - 1;
		}
	}
	return n;
}

__attribute__((target("avx512f,avx512bw"))) static void
rows_avx512(uint16_t *row, const uint16_t *slots, uint32_t len, uint32_t pos, uint32_t inv,
		uint32_t invp, uint32_t m)
{
	const __m512i vp = _mm512_set1_epi32((int)pos), vm = _mm512_set1_epi32((int)m);
	const __m512i vinv = _mm512_set1_epi32((int)inv), vinvp = _mm512_set1_epi32((int)invp);

	for (uint32_t k = 0; k < len; k += 16) {
		__m256i s16 = _mm256_loadu_si256((const __m256i *)(slots + k));
		__m512i a = _mm512_sub_epi32(_mm512_add_epi32(_mm512_cvtepu16_epi32(s16), vm), vp);
		__m512i q, r;

		a = _mm512_min_epu32(a, _mm512_sub_epi32(a, vm));
		q = _mm512_srli_epi32(_mm512_mullo_epi32(a, vinvp), 16);
		r = _mm512_sub_epi32(_mm512_mullo_epi32(a, vinv), _mm512_mullo_epi32(q, vm));
		r = _mm512_min_epu32(r, _mm512_sub_epi32(r, vm));
		_mm256_storeu_si256((__m256i *)(row + k), _mm512_cvtepi32_epi16(r));
	}
}

/*
 * One pass: each lane keeps its smallest value and the block it came from;
 * the smallest value of all is unique (a walk's distances to distinct slots
 * differ, and taken slots read 0xffff, above every distance), so one lane
 * holds it.
 */
__attribute__((target("avx512f,avx512bw,bmi"))) static uint32_t
argmin_avx512(const uint16_t *row, const uint16_t *taken, uint32_t len)
{
	__m512i best = _mm512_set1_epi16(-1), from = _mm512_setzero_si512();
	__m256i b256;
	__m128i b;
	uint16_t blocks[32];
	uint32_t lane;

	for (uint32_t k = 0; k < len; k += 32) {
		__m512i v = _mm512_or_si512(_mm512_loadu_si512(row + k),
				_mm512_loadu_si512(taken + k));
		__mmask32 lt = _mm512_cmplt_epu16_mask(v, best);

		best = _mm512_min_epu16(best, v);
		from = _mm512_mask_mov_epi16(from, lt, _mm512_set1_epi16((short)k));
	}
	b256 = _mm256_min_epu16(_mm512_castsi512_si256(best), _mm512_extracti64x4_epi64(best, 1));
	b = _mm_min_epu16(_mm256_castsi256_si128(b256), _mm256_extracti128_si256(b256, 1));
	lane = (uint32_t)__builtin_ctz(_mm512_cmpeq_epi16_mask(best,
			_mm512_set1_epi16((short)_mm_extract_epi16(_mm_minpos_epu16(b), 0))));
	_mm512_storeu_si512(blocks, from);
	return blocks[lane] + lane;
}

/* As take_avx2(): the whole block. */
__attribute__((target("avx512f,avx512bw"))) static void
take_avx512(uint16_t *taken, uint32_t k)
{
	const __m512i bit = _mm512_maskz_set1_epi16((__mmask32)1 << (k % 32), -1);
	uint16_t *block = taken + k - k % 32;

	_mm512_storeu_si512(block, _mm512_or_si512(_mm512_loadu_si512(block), bit));
}

static const struct tail_ops ops_avx512 = {
	.impl = NG_MAGLEV_IMPL_AVX512,
	.list_free = list_free_avx512,
	.rows = rows_avx512,
	.argmin = argmin_avx512,
	.take = take_avx512,
};

#endif /* __x86_64__ */

/* ---- choosing the version ---- */

/* NULL until the first fill or ng_maglev_set_impl(). Fills run on the
 * control core; the pointer is atomic only so that a test's forcing and a
 * fill never tear it. */
static _Atomic(const struct tail_ops *) tail_impl;

static const struct tail_ops *
ops_for(enum ng_maglev_impl impl)
{
	switch (impl) {
	case NG_MAGLEV_IMPL_SCALAR:
		return &ops_c;
#if defined(__x86_64__)
	case NG_MAGLEV_IMPL_AVX2:
		__builtin_cpu_init();
		return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") ?
				&ops_avx2 : NULL;
	case NG_MAGLEV_IMPL_AVX512:
		__builtin_cpu_init();
		return __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("bmi") ?
				&ops_avx512 : NULL;
#endif
	default:
		return NULL;
	}
}

static const struct tail_ops *
best_ops(void)
{
	static const enum ng_maglev_impl order[] = {
		NG_MAGLEV_IMPL_AVX512, NG_MAGLEV_IMPL_AVX2, NG_MAGLEV_IMPL_SCALAR,
	};

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		const struct tail_ops *o = ops_for(order[i]);

		if (o != NULL)
			return o;
	}
	return &ops_c;
}

int
ng_maglev_set_impl(enum ng_maglev_impl impl)
{
	const struct tail_ops *o = impl == NG_MAGLEV_IMPL_AUTO ? best_ops() : ops_for(impl);

	if (o == NULL)
		return impl > NG_MAGLEV_IMPL_AVX512 ? -EINVAL : -ENOTSUP;
	atomic_store_explicit(&tail_impl, o, memory_order_relaxed);
	return 0;
}

enum ng_maglev_impl
ng_maglev_impl(void)
{
	const struct tail_ops *o = atomic_load_explicit(&tail_impl, memory_order_relaxed);

	return (o != NULL ? o : best_ops())->impl;
}

static const struct tail_ops *
tail_ops(void)
{
	const struct tail_ops *o = atomic_load_explicit(&tail_impl, memory_order_relaxed);

	if (o == NULL) {
		o = best_ops();
		atomic_store_explicit(&tail_impl, o, memory_order_relaxed);
	}
	return o;
}

/* ---- the tail ---- */

/* Each walk's inverse step; false if one has none, i.e. m is not prime.
 * (Backends of weight 0 have no walk.) */
static bool
tail_inverses(struct fill *f, struct walk *w, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		w[i].inv = inverse_mod(w[i].skip, f->m);
		if (w[i].inv == 0)
			return false;
	}
	return true;
}

/* Enter the scalar tail: list the free slots. */
static void
tail_scalar_begin(struct fill *f)
{
	f->n_free = 0;
	for (uint32_t s = 0; s < f->m; s++)
		if (f->table[s] == NG_MAGLEV_NONE)
			f->free_slots[f->n_free++] = s;
	f->inv_m = 1.0 / f->m;
	f->mode = TAIL_SCALAR;
}

/* The free slot walk w reaches first, taken off the list. */
static uint32_t
tail_scalar_take(struct fill *f, const struct walk *w)
{
	uint32_t best = 0, best_d = UINT32_MAX, s;

	for (uint32_t k = 0; k < f->n_free; k++) {
		uint32_t ahead = f->free_slots[k] + f->m - w->pos;
		uint32_t d = mod_small((uint64_t)(ahead >= f->m ? ahead - f->m : ahead) * w->inv,
				f->m, f->inv_m);

		if (d < best_d) {
			best_d = d;
			best = k;
		}
	}
	s = f->free_slots[best];
	f->free_slots[best] = f->free_slots[--f->n_free];
	return s;
}

/* Enter the row tail: list the free slots, make room for the rows of the
 * walks that will place in it (at most one a free slot). False if out of
 * memory. */
static bool
tail_rows_begin(struct fill *f, struct walk *w, uint32_t n)
{
	uint32_t n_free = f->m - f->filled;
	uint32_t len = (n_free + MAGLEV_ROW_ALIGN - 1) / MAGLEV_ROW_ALIGN * MAGLEV_ROW_ALIGN;
	uint32_t rows = n < n_free ? n : n_free;
	/* slots, taken, rows: each a multiple of 64 bytes */
	size_t bytes = ((size_t)rows + 2) * len * sizeof(uint16_t);
	uint16_t *mem = aligned_alloc(64, bytes);

	if (mem == NULL)
		return false;
	f->slots = mem;
	f->taken = mem + len;
	f->dist = mem + 2 * (size_t)len;
	f->len = len;
	f->n_rows = 0;
	if (f->ops->list_free(f->table, f->m, f->slots) != n_free) {
		/* not reached: the count of free slots is kept */
		free(mem);
		return false;
	}
	for (uint32_t k = 0; k < len; k++) {
		f->taken[k] = k < n_free ? 0 : 0xffff;
		if (k >= n_free)
			f->slots[k] = 0;
	}
	for (uint32_t i = 0; i < n; i++)
		w[i].row = UINT32_MAX;
	f->mode = TAIL_ROWS;
	return true;
}

/* The free slot walk w reaches first, marked taken. */
static uint32_t
tail_rows_take(struct fill *f, struct walk *w)
{
	uint16_t *row;
	uint32_t k;

	if (w->row == UINT32_MAX) {
		/* its first placement in the tail: distances from where it stands */
		w->row = f->n_rows++;
		f->ops->rows(f->dist + (size_t)w->row * f->len, f->slots, f->len, w->pos, w->inv,
				(uint32_t)(((uint64_t)w->inv << 16) / f->m), f->m);
	}
	row = f->dist + (size_t)w->row * f->len;
	k = f->ops->argmin(row, f->taken, f->len);
	/* taken for every walk (the rows are never written again) */
	f->ops->take(f->taken, k);
	return f->slots[k];
}

/* Enter whichever tail suits m, or none. */
static void
tail_begin(struct fill *f, struct walk *w, uint32_t n)
{
	f->mode = TAIL_OFF;
	if (!tail_inverses(f, w, n))
		return;
	if (f->m <= UINT16_MAX) {
		if (tail_rows_begin(f, w, n))
			return;
	} else {
		tail_scalar_begin(f);
	}
}

/*
 * Four walks at once. Slots are only ever filled, so a walk may skip the
 * occupied slots ahead of it at any time: its next free slot stays the same.
 * Before backends i..i+3 take their turns, their walks skip ahead together
 * in one loop with no branch but the loop's own (the four chains of loads
 * overlap, and the loop's exit is missed once for four walks rather than
 * once for each). The walk whose slot an earlier one of the four takes
 * probes on from there in place(). Same slots as probing one at a time.
 * With m prime (the ladder's sizes, which the whole fill assumes) every walk
 * passes every slot, so while slots are free each of the four meets one,
 * whether or not its backend places again (weight 0).
 *
 * The four positions step on whatever the slots hold, and each walk records
 * the first free slot it passed: a position that stopped on a free slot
 * would make the next address wait for the load and compare of the last
 * (about 9 cycles an iteration); stepping regardless leaves an add and a
 * compare on the chain, and the loads overlap: 12% off a 10-backend fill.
 */
#define MAGLEV_GROUP 4

static inline void
note_free(const uint16_t *t, uint32_t p, uint32_t *first, uint32_t *found)
{
	*first = *found ? *first : p;
	*found |= t[p] == NG_MAGLEV_NONE;
}

static void
skip_taken4(const uint16_t *t, struct walk *w, uint32_t m)
{
	uint32_t p0 = w[0].pos, p1 = w[1].pos, p2 = w[2].pos, p3 = w[3].pos;
	uint32_t f0 = p0, f1 = p1, f2 = p2, f3 = p3;
	uint32_t d0 = 0, d1 = 0, d2 = 0, d3 = 0;
	const uint32_t s0 = w[0].skip, s1 = w[1].skip, s2 = w[2].skip, s3 = w[3].skip;

	for (;;) {
		note_free(t, p0, &f0, &d0);
		note_free(t, p1, &f1, &d1);
		note_free(t, p2, &f2, &d2);
		note_free(t, p3, &f3, &d3);
		if ((d0 & d1 & d2 & d3) != 0)
			break;
		p0 = step(p0, s0, m);
		p1 = step(p1, s1, m);
		p2 = step(p2, s2, m);
		p3 = step(p3, s3, m);
	}
	w[0].pos = f0;
	w[1].pos = f1;
	w[2].pos = f2;
	w[3].pos = f3;
}

/* The slot walk i takes in the tail; UINT32_MAX if there is no tail (then
 * it never begins). */
static uint32_t
tail_take(struct fill *f, struct walk *w, uint32_t n, uint32_t i)
{
	if (f->mode == TAIL_NONE)
		tail_begin(f, w, n);
	if (f->mode == TAIL_ROWS)
		return tail_rows_take(f, &w[i]);
	if (f->mode == TAIL_SCALAR)
		return tail_scalar_take(f, &w[i]);
	f->tail_from = UINT32_MAX;
	return UINT32_MAX;
}

/* Backend i takes the next free slot on its walk. */
static inline void
place(struct fill *f, struct walk *w, uint32_t n, uint32_t i)
{
	uint16_t *t = f->table;
	uint32_t p = w[i].pos, skip = w[i].skip, m = f->m;

	/* one test while probing: the tail's own are in tail_take() */
	if (f->filled < f->tail_from || (p = tail_take(f, w, n, i)) == UINT32_MAX) {
		p = w[i].pos;
		while (t[p] != NG_MAGLEV_NONE)
			p = step(p, skip, m);
	}
	t[p] = w[i].id;
	w[i].pos = step(p, skip, m);
	f->filled++;
}

/*
 * Whole rounds of equal weights: each walk places exactly once a round, so
 * there is no credit to keep, and the caller runs only the rounds that end
 * before the tail begins, so no placement checks for it. While more than
 * two thirds of the slots are free a walk's next slot is free at least two
 * times in three, and probing one walk at a time (its loop's exit missed
 * about a third of the time at worst) costs less than the four-walk skip;
 * after that the four-walk skip. Same slots as the general loop.
 */
#define MAGLEV_SKIP_FROM_DEN 3

static void
fill_rounds(uint16_t *t, struct walk *w, uint32_t n, uint32_t m, uint32_t rounds)
{
	uint32_t groups = n - n % MAGLEV_GROUP, r = 0;

	for (; r < rounds && r * n < m / MAGLEV_SKIP_FROM_DEN; r++) {
		for (uint32_t i = 0; i < n; i++) {
			uint32_t s = w[i].skip, p = w[i].pos;

			while (t[p] != NG_MAGLEV_NONE)
				p = step(p, s, m);
			t[p] = w[i].id;
			w[i].pos = step(p, s, m);
		}
	}
	for (; r < rounds; r++) {
		for (uint32_t i = 0; i < n; i++) {
			uint32_t s = w[i].skip, p;

			if (i % MAGLEV_GROUP == 0 && i < groups)
				skip_taken4(t, &w[i], m);
			p = w[i].pos;
			while (t[p] != NG_MAGLEV_NONE)
				p = step(p, s, m);
			t[p] = w[i].id;
			w[i].pos = step(p, s, m);
		}
	}
}

/*
 * How many free slots the tail starts with. Probing down to F free slots
 * costs about m / F probes a placement at the end, a row tail of F slots
 * F / 32 vector steps a placement: the best F grows as sqrt(m) (measured,
 * AVX-512: 96 at m = 2,053, -6% a fill against the tail of 32; 512 at
 * m = 32,771, -24%); the plain C argmin, a step a slot, keeps 32. With
 * fewer than MAGLEV_TAIL_MIN_N backends probing stays cheaper (3 backends,
 * m = 1,031: +5% with a tail of 32).
 */
static uint32_t
tail_start(uint32_t m, uint32_t n, const struct tail_ops *ops)
{
	uint32_t f = MAGLEV_ROW_ALIGN;

	if (n < MAGLEV_TAIL_MIN_N)
		return 0;
	if (m > UINT16_MAX || ops->impl == NG_MAGLEV_IMPL_SCALAR)
		return MAGLEV_TAIL;
	while (f * f < 4 * m && f < MAGLEV_TAIL_ROWS_MAX)
		f += MAGLEV_ROW_ALIGN;
	return f;
}

int
ng_maglev_build(const struct ng_maglev_backend *b, uint32_t n, uint16_t *table, uint32_t m)
{
	struct fill f = {.table = table, .m = m, .ops = tail_ops()};
	uint32_t maxw = 0, a = 0;
	bool equal = true;
	struct walk *w;

	/* NG_MAGLEV_NONE is all ones. */
	memset(table, 0xff, (size_t)m * sizeof(*table));
	f.tail_at = tail_start(m, n, f.ops);
	f.tail_from = f.tail_at == 0 ? UINT32_MAX : f.tail_at >= m ? 0 : m - f.tail_at;
	if (n == 0 || n >= NG_MAGLEV_NONE || m < 2)
		return -EINVAL;
	for (uint32_t i = 0; i < n; i++)
		if (b[i].weight > maxw)
			maxw = b[i].weight;
	if (maxw == 0)
		return -EINVAL;

	w = calloc(n, sizeof(*w));
	if (w == NULL)
		return -ENOMEM;
	/* Only the walks that place: those of weight 0 never do. */
	for (uint32_t i = 0; i < n; i++) {
		uint8_t key[19];

		if (b[i].weight == 0)
			continue;
		backend_key(&b[i], key);
		w[a].pos = (uint32_t)(ng_hash_bytes(key, sizeof(key), 0x4d61676c65763031ull) % m);
		w[a].skip = (uint32_t)(ng_hash_bytes(key, sizeof(key), 0x536b697070657231ull) %
				(m - 1) + 1);
		w[a].weight = b[i].weight;
		w[a].id = (uint16_t)i;
		equal &= b[i].weight == maxw;
		a++;
	}
	if (equal) {
		/* the rounds before the tail, then the general loop from a round's start */
		uint32_t rounds = (f.tail_from < m ? f.tail_from : m) / a;

		fill_rounds(table, w, a, m, rounds);
		f.filled = rounds * a;
	}
	while (f.filled < m) {
		for (uint32_t i = 0; i < a && f.filled < m; i++) {
			if (i % MAGLEV_GROUP == 0 && i + MAGLEV_GROUP <= a &&
					f.mode == TAIL_NONE &&
					m - f.filled > f.tail_at + MAGLEV_GROUP)
				skip_taken4(table, &w[i], m);
			w[i].credit += w[i].weight;
			while (w[i].credit >= maxw && f.filled < m) {
				w[i].credit -= maxw;
				place(&f, w, a, i);
			}
		}
	}
	if (f.mode == TAIL_ROWS)
		free(f.slots);
	free(w);
	return 0;
}
