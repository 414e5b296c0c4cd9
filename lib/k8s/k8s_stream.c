/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The watch-stream splitter: a watch response is a stream of JSON objects,
 * one per event, that the transport cuts anywhere. Bytes are appended to one
 * buffer; buf[start, scan) is the object in progress (already scanned), and
 * buf[scan, len) is not scanned yet. Each byte is scanned once; consumed
 * bytes are dropped by moving the tail down once they are at least half the
 * buffer, so the work stays linear in the input.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "k8s_obj.h"

/** Largest object accepted when s->max is 0. */
#define SPLIT_MAX_DEFAULT ((size_t)64 << 20)
/** First allocation of the buffer. */
#define SPLIT_CAP_MIN 4096

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/** Drop consumed bytes when they are half the buffer or more. */
static void
split_compact(struct ng_k8s_splitter *s)
{
	if (s->start == 0)
		return;
	if (s->start == s->len) {
		s->len = s->scan = s->start = 0;
		return;
	}
	if (s->start < s->len - s->start)
		return;
	memmove(s->buf, s->buf + s->start, s->len - s->start);
	s->len -= s->start;
	s->scan -= s->start;
	s->start = 0;
}

/** Room for n more bytes. */
static int
split_reserve(struct ng_k8s_splitter *s, size_t n)
{
	size_t need, cap;
	char *b;

	if (n > SIZE_MAX - s->len)
		return -ENOMEM;
	need = s->len + n;
	if (need <= s->cap)
		return 0;
	cap = s->cap > SPLIT_CAP_MIN ? s->cap : SPLIT_CAP_MIN;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	b = realloc(s->buf, cap);
	if (b == NULL)
		return -ENOMEM;
	s->buf = b;
	s->cap = cap;
	return 0;
}

/**
 * Scan buf[scan, len) inside an object. Stops after the closing brace
 * (returns true) or at the end of the buffer (false). Only the state the
 * object needs is touched: depth, in_str, esc.
 */
static bool
split_scan_object(struct ng_k8s_splitter *s, size_t end)
{
	const char *b = s->buf;
	size_t i = s->scan;
	int depth = s->depth;
	bool in_str = s->in_str, esc = s->esc;
	bool done = false;

	while (i < end) {
		char c = b[i++];

		if (in_str) {
			if (esc)
				esc = false;
			else if (c == '\\')
				esc = true;
			else if (c == '"')
				in_str = false;
		} else if (c == '"') {
			in_str = true;
		} else if (c == '{') {
			depth++;
		} else if (c == '}' && --depth == 0) {
			done = true;
			break;
		}
	}
	s->scan = i;
	s->depth = depth;
	s->in_str = in_str;
	s->esc = esc;
	return done;
}

/** Scan what is buffered, calling cb for each complete object. */
static int
split_scan(struct ng_k8s_splitter *s, size_t max, int (*cb)(const char *, size_t, void *),
		void *arg)
{
	while (s->scan < s->len) {
		size_t end, obj;
		int rc;

		if (s->depth == 0) {
			char c = s->buf[s->scan];

			if (is_space(c)) {
				s->start = ++s->scan;
				continue;
			}
			if (c != '{') {
				ng_k8s_split_reset(s);
				return -EBADMSG;
			}
			s->start = s->scan++;
			s->depth = 1;
			continue;
		}
		/* Never scan past max bytes of one object. */
		end = s->len - s->start > max ? s->start + max : s->len;
		if (!split_scan_object(s, end)) {
			if (s->scan - s->start >= max && s->scan < s->len) {
				ng_k8s_split_reset(s);
				return -EMSGSIZE;
			}
			continue;
		}
		obj = s->start;
		s->start = s->scan;
		rc = cb(s->buf + obj, s->scan - obj, arg);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int
ng_k8s_split_feed(struct ng_k8s_splitter *s, const char *data, size_t n,
		int (*cb)(const char *obj, size_t len, void *arg), void *arg)
{
	size_t max = s->max != 0 ? s->max : SPLIT_MAX_DEFAULT;
	int rc;

	split_compact(s);
	if (n > 0) {
		rc = split_reserve(s, n);
		if (rc < 0)
			return rc;
		memcpy(s->buf + s->len, data, n);
		s->len += n;
	}
	return split_scan(s, max, cb, arg);
}

void
ng_k8s_split_reset(struct ng_k8s_splitter *s)
{
	s->len = s->scan = s->start = 0;
	s->depth = 0;
	s->in_str = s->esc = false;
}

void
ng_k8s_split_free(struct ng_k8s_splitter *s)
{
	free(s->buf);
	s->buf = NULL;
	s->cap = 0;
	ng_k8s_split_reset(s);
}

/*
 * List bodies, item by item: the span of the top-level "items" array, then
 * one element at a time, so a page's items are parsed and decoded a slice at
 * a time instead of the whole page in one cJSON parse. The scan follows
 * strings (and their escapes) and brackets only; what it cannot follow is
 * reported, and cJSON judges everything else.
 */

static size_t
skip_space(const char *b, size_t i, size_t end)
{
	while (i < end && is_space(b[i]))
		i++;
	return i;
}

/* The bytes the value scan looks at: quotes, escapes and brackets; the
 * scalar loop skips the others a byte at a time with this table. */
static const bool json_mark[256] = {
	['"'] = true, ['\\'] = true, ['{'] = true, ['}'] = true, ['['] = true, [']'] = true,
};

/*
 * The scan proper, from b[*i] with the given depth and string state, a byte
 * at a time: the end (one past) of the value, 0 when it does not end, or
 * SIZE_MAX when end is reached first (*i, *depth and *in_str say where).
 */
static inline size_t
scan_scalar(const char *b, size_t *pi, size_t end, int *pdepth, bool *pin_str)
{
	size_t i = *pi;
	int depth = *pdepth;
	bool in_str = *pin_str;

	for (; i < end; i++) {
		char c;

		while (i < end && !json_mark[(unsigned char)b[i]])
			i++;
		if (i >= end)
			break;
		c = b[i];
		if (in_str) {
			if (c == '\\') {
				i++; /* the escaped byte */
			} else if (c == '"') {
				in_str = false;
				if (depth == 0)
					return i + 1; /* a string value */
			}
		} else if (c == '"') {
			in_str = true;
		} else if (c == '{' || c == '[') {
			depth++;
		} else if ((c == '}' || c == ']') && --depth <= 0) {
			return depth == 0 ? i + 1 : 0;
		}
	}
	*pi = i;
	*pdepth = depth;
	*pin_str = in_str;
	return SIZE_MAX;
}

#if defined(__SSE2__)
/** Bytes per block of the SSE2 scan: four 16-byte loads, one 64-bit mask per kind. */
#define SCAN_BLOCK 64

/** Bit k set: byte k of the four vectors (64 bytes) is c. */
static inline uint64_t
block_eq(const __m128i v[4], char c)
{
	__m128i k = _mm_set1_epi8(c);
	uint64_t m = 0;

	for (unsigned int j = 0; j < 4; j++)
		m |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v[j], k)) << (16 * j);
	return m;
}

/** Bit k set: an odd number of bits at or below k are set in x. */
static inline uint64_t
prefix_xor(uint64_t x)
{
	x ^= x << 1;
	x ^= x << 2;
	x ^= x << 4;
	x ^= x << 8;
	x ^= x << 16;
	x ^= x << 32;
	return x;
}

/*
 * Where the escapes of a block are when every backslash in it is inside a
 * string (scan_sse2() checks that afterwards): each backslash that is not
 * itself escaped escapes the byte after it. Bit k of the result: byte k is
 * escaped; *carry: the block's last byte escapes the next block's first.
 */
static inline uint64_t
block_escaped(uint64_t bs, unsigned int *carry)
{
	uint64_t esc = 0;

	*carry = 0;
	while (bs != 0) {
		unsigned int p = (unsigned int)__builtin_ctzll(bs);

		if (p == SCAN_BLOCK - 1) {
			*carry = 1;
			break;
		}
		esc |= (uint64_t)2 << p;
		bs &= ~((uint64_t)3 << p); /* this backslash and the byte it escapes */
	}
	return esc;
}

/*
 * The same scan 64 bytes at a time: one mask per kind of mark (quote,
 * backslash, opening and closing bracket) from 16-byte compares.
 *
 * A block inside the value (depth 1 or more) is passed in one step when its
 * brackets cannot take the depth to 0: the escapes found as if every
 * backslash were in a string, the quotes' prefix parity says which bytes are
 * inside strings; where that puts every backslash inside a string, it is what
 * the byte-at-a-time scan finds (the first byte where the two would differ
 * is a backslash outside a string), and the brackets outside strings change
 * the depth by their count.
 *
 * Any other block (a backslash outside a string, the value's end, a string
 * value) visits its marks in order, lowest bit first, with the scalar rules.
 * The tail, under 64 bytes, is the scalar loop's.
 */
static size_t
scan_sse2(const char *b, size_t i, size_t end)
{
	int depth = 0;
	bool in_str = false;

	/* The value's first byte, so that an object's blocks start at depth 1. */
	if (b[i] == '"')
		in_str = true;
	else
		depth = 1;
	i++;
	while (end - i >= SCAN_BLOCK) {
		__m128i v[4], f[4];
		uint64_t q, bs, op, cl, m;
		unsigned int skip = 0;

		for (unsigned int j = 0; j < 4; j++) {
			v[j] = _mm_loadu_si128((const __m128i *)(const void *)(b + i + 16 * j));
			/* '[' and '{' differ by bit 0x20 only, as do ']' and '}'. */
			f[j] = _mm_or_si128(v[j], _mm_set1_epi8(0x20));
		}
		q = block_eq(v, '"');
		bs = block_eq(v, '\\');
		op = block_eq(f, '{');
		cl = block_eq(f, '}');
		if (depth > 0) {
			uint64_t esc = bs != 0 ? block_escaped(bs, &skip) : 0;
			/* Bit k set: inside a string after byte k (an opening quote
			 * is in, a closing one out). */
			uint64_t s = prefix_xor(q & ~esc) ^ (in_str ? ~(uint64_t)0 : 0);
			uint64_t o = op & ~s, c = cl & ~s;
			/* A close right after an open nets 0: only the others can
			 * take the depth below where the block starts. */
			int down = __builtin_popcountll(c & ~(o << 1));

			if ((bs & ~s) == 0 && down < depth) {
				depth += __builtin_popcountll(o) - __builtin_popcountll(c);
				in_str = (s >> (SCAN_BLOCK - 1)) != 0;
				i += SCAN_BLOCK + skip;
				if (i > end)
					return 0; /* an escape as the last byte */
				continue;
			}
			skip = 0;
		}
		for (m = q | bs | op | cl; m != 0; m &= m - 1) {
			unsigned int p = (unsigned int)__builtin_ctzll(m);
			char c = b[i + p];

			if (in_str) {
				if (c == '\\') {
					/* The escaped byte: later in this block, or the
					 * next block's first. */
					if (p == SCAN_BLOCK - 1)
						skip = 1;
					else
						m &= ~((uint64_t)2 << p);
				} else if (c == '"') {
					in_str = false;
					if (depth == 0)
						return i + p + 1; /* a string value */
				}
			} else if (c == '"') {
				in_str = true;
			} else if (c == '{' || c == '[') {
				depth++;
			} else if ((c == '}' || c == ']') && --depth <= 0) {
				return depth == 0 ? i + p + 1 : 0;
			}
		}
		i += SCAN_BLOCK + skip;
		if (i > end)
			return 0; /* an escape as the last byte */
	}
	i = scan_scalar(b, &i, end, &depth, &in_str);
	return i == SIZE_MAX ? 0 : i;
}
#endif

/* A number, true, false or null at b[i]: its end is the next delimiter. */
static size_t
plain_end(const char *b, size_t i, size_t end)
{
	while (i < end && !is_space(b[i]) && b[i] != ',' && b[i] != ']' && b[i] != '}')
		i++;
	return i;
}

size_t
ng_k8s_scan_value_scalar(const char *b, size_t i, size_t end)
{
	int depth = 0;
	bool in_str = false;

	if (i >= end)
		return 0;
	if (b[i] != '{' && b[i] != '[' && b[i] != '"')
		return plain_end(b, i, end);
	i = scan_scalar(b, &i, end, &depth, &in_str);
	return i == SIZE_MAX ? 0 : i;
}

/** The end (one past) of the JSON value that starts at b[i]; 0: it does not end. */
static size_t
value_end(const char *b, size_t i, size_t end)
{
#if defined(__SSE2__)
	if (i >= end)
		return 0;
	if (b[i] != '{' && b[i] != '[' && b[i] != '"')
		return plain_end(b, i, end);
	return scan_sse2(b, i, end);
#else
	return ng_k8s_scan_value_scalar(b, i, end);
#endif
}

size_t
ng_k8s_scan_value(const char *b, size_t i, size_t end)
{
	return value_end(b, i, end);
}

int
ng_k8s_list_items_span(const char *b, size_t n, size_t *open, size_t *close)
{
	size_t i = skip_space(b, 0, n);
	bool found = false;

	if (i >= n || b[i] != '{')
		return -EBADMSG;
	for (i = skip_space(b, i + 1, n); i < n && b[i] != '}'; ) {
		size_t k = i, ke = value_end(b, i, n), v, ve;

		if (b[k] != '"' || ke == 0)
			return -EBADMSG;
		i = skip_space(b, ke, n);
		if (i >= n || b[i] != ':')
			return -EBADMSG;
		v = skip_space(b, i + 1, n);
		ve = value_end(b, v, n);
		if (ve == 0 || ve == v)
			return -EBADMSG;
		if (ke - k == sizeof("\"items\"") - 1 && memcmp(b + k, "\"items\"", ke - k) == 0 &&
				b[v] == '[') {
			if (found)
				return -EBADMSG; /* twice: let the parser say which it keeps */
			*open = v;
			*close = ve - 1;
			found = true;
		}
		i = skip_space(b, ve, n);
		if (i < n && b[i] == ',')
			i = skip_space(b, i + 1, n);
		else if (i >= n || b[i] != '}')
			return -EBADMSG;
	}
	if (i >= n || skip_space(b, i + 1, n) != n)
		return -EBADMSG;
	return found ? 0 : -ENOENT;
}

int
ng_k8s_list_next_item(const char *b, size_t end, size_t *pos, size_t *start, size_t *len)
{
	size_t i = skip_space(b, *pos, end), e;

	if (i >= end)
		return 0;
	e = value_end(b, i, end);
	if (e == 0 || e == i)
		return -EBADMSG;
	*start = i;
	*len = e - i;
	/* A comma and another element, or the end. */
	e = skip_space(b, e, end);
	if (e < end) {
		if (b[e] != ',' || skip_space(b, e + 1, end) >= end)
			return -EBADMSG;
		e++;
	}
	*pos = e;
	return 1;
}
