/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: the watch-stream splitter (ng_k8s_split_feed).
 *
 * The first bytes choose an object size limit and a sequence of chunk
 * lengths; the rest is the stream. It is fed once whole and once cut into
 * those chunks (as a transport would cut it), and checked against a
 * reference splitter written here from the documented rules (braces counted
 * outside strings, escapes honoured, whitespace between objects skipped,
 * anything else between objects an error).
 *
 * Properties: the objects (their text) and the result are the same however
 * the stream is cut, and the same as the reference's; every object is whole (from '{' to
 * its matching '}'); nothing crashes or leaks.
 *
 * The same bytes also go through the list scan's value end (ng_k8s_scan_value,
 * vector compares 64 bytes at a time), from a few starts to a few ends: it
 * must find what the byte-at-a-time ng_k8s_scan_value_scalar finds.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "k8s_obj.h"

#define MAX_OBJS 256

struct seen {
	size_t n;
	size_t len[MAX_OBJS];
	uint64_t hash[MAX_OBJS]; /* of each object's text */
};

static uint64_t
fnv1a(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)p[i]) * 0x100000001b3ull;
	return h;
}

static int
on_obj(const char *obj, size_t len, void *arg)
{
	struct seen *s = arg;

	FZ_ASSERT(len >= 2 && obj[0] == '{' && obj[len - 1] == '}', "an object is whole");
	if (s->n < MAX_OBJS) {
		s->len[s->n] = len;
		s->hash[s->n] = fnv1a(obj, len);
	}
	s->n++;
	return 0;
}

/* The reference: what the documented rules make of the whole stream. */
static int
reference(const char *p, size_t n, size_t max, struct seen *out)
{
	size_t start = 0;
	int depth = 0;
	bool in_str = false, esc = false;

	out->n = 0;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];

		if (depth == 0) {
			if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
				continue;
			if (c != '{')
				return -EBADMSG;
			start = i;
			depth = 1;
			continue;
		}
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
			if (i + 1 - start > max)
				return -EMSGSIZE;
			if (out->n < MAX_OBJS) {
				out->len[out->n] = i + 1 - start;
				out->hash[out->n] = fnv1a(p + start, i + 1 - start);
			}
			out->n++;
			continue;
		}
		if (i + 1 - start > max)
			return -EMSGSIZE;
	}
	return 0;
}

static int
feed(const char *p, size_t n, size_t max, const uint8_t *cuts, size_t n_cuts, struct seen *s)
{
	struct ng_k8s_splitter sp = {.max = max};
	size_t off = 0, k = 0;
	int rc = 0;

	memset(s, 0, sizeof(*s));
	while (off < n && rc == 0) {
		size_t c = n_cuts > 0 ? (size_t)cuts[k++ % n_cuts] + 1 : n - off;

		if (c > n - off)
			c = n - off;
		rc = ng_k8s_split_feed(&sp, p + off, c, on_obj, s);
		off += c;
	}
	ng_k8s_split_free(&sp);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = {.p = data, .n = size};
	static struct seen whole, cut, ref;
	size_t max = 16 + (size_t)fz_u16(&f), n_cuts = fz_u8(&f) % 16;
	const uint8_t *cuts = f.p;
	const char *p;
	size_t n;
	int rw, rc, rr;

	if (f.n < n_cuts)
		return 0;
	p = (const char *)f.p + n_cuts;
	n = f.n - n_cuts;
	rw = feed(p, n, max, NULL, 0, &whole);
	rc = feed(p, n, max, cuts, n_cuts, &cut);
	rr = reference(p, n, max, &ref);
	FZ_ASSERT(rw == rr, "whole stream: %d, reference: %d", rw, rr);
	FZ_ASSERT(rc == rr, "cut stream: %d, reference: %d", rc, rr);
	FZ_ASSERT(whole.n == ref.n && cut.n == ref.n, "objects: whole %zu, cut %zu, reference %zu",
		whole.n, cut.n, ref.n);
	for (size_t i = 0; i < ref.n && i < MAX_OBJS; i++)
		FZ_ASSERT(whole.len[i] == ref.len[i] && cut.len[i] == ref.len[i] &&
			whole.hash[i] == ref.hash[i] && cut.hash[i] == ref.hash[i],
			"object #%zu: lengths %zu, %zu, reference %zu, or its text differs", i,
			whole.len[i], cut.len[i], ref.len[i]);
	for (size_t k = 0; k < 4 && n > 0; k++) {
		size_t i = k == 0 ? 0 : k == 1 ? max % n : (size_t)cuts[0] * k % n;
		size_t end = k % 2 == 0 ? n : i + (n - i) / 2;
		size_t v = ng_k8s_scan_value(p, i, end), s = ng_k8s_scan_value_scalar(p, i, end);

		FZ_ASSERT(v == s, "value end from %zu to %zu: %zu, a byte at a time %zu", i, end,
			v, s);
	}
	return 0;
}
