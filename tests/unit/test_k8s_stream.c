/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the watch-stream splitter (lib/k8s/k8s_stream.c through
 * k8s_obj.h): whole JSON objects out of a byte stream, whatever the chunking;
 * ng_k8s_parse()'s reused buffer. Pure functions: no EAL, no I/O. Fixtures
 * and helpers: k8s_fixtures.h.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include <cmocka.h>

#include "k8s_fixtures.h"

/* ======== the stream splitter ======== */

#define SINK_MAX 16

struct sink {
	unsigned int n;
	char *obj[SINK_MAX];
	size_t len[SINK_MAX];
	unsigned int stop_at; /**< return 7 on the n-th object; 0: never */
};

static int
sink_cb(const char *obj, size_t len, void *arg)
{
	struct sink *k = arg;

	assert_true(k->n < SINK_MAX);
	k->obj[k->n] = malloc(len + 1);
	assert_non_null(k->obj[k->n]);
	memcpy(k->obj[k->n], obj, len);
	k->obj[k->n][len] = '\0';
	k->len[k->n] = len;
	k->n++;
	return k->stop_at != 0 && k->n == k->stop_at ? 7 : 0;
}

static void
sink_free(struct sink *k)
{
	for (unsigned int i = 0; i < k->n; i++)
		free(k->obj[i]);
	memset(k, 0, sizeof(*k));
}

/** Three events as a watch sends them: pretty, compact, a bookmark; newlines between. */
static char *
three_events(char *ev[3])
{
	char *all;

	ev[0] = event_text("ADDED", "'48213'", true);
	ev[1] = event_text("MODIFIED", "'48220'", false);
	ev[2] = jq("{'type':'BOOKMARK','object':{'kind':'Service','apiVersion':'v1',"
			"'metadata':{'resourceVersion':'49017','creationTimestamp':null}}}");
	assert_true(asprintf(&all, "%s\n%s\r\n\t %s\n", ev[0], ev[1], ev[2]) > 0);
	return all;
}

static void
check_three(const struct sink *k, char *const ev[3])
{
	assert_int_equal(k->n, 3);
	for (unsigned int i = 0; i < 3; i++)
		assert_string_equal(k->obj[i], ev[i]);
}

static void
test_split_whole(void **state)
{
	static const enum ng_k8s_ev_type types[] = {
		NG_K8S_EV_ADDED, NG_K8S_EV_MODIFIED, NG_K8S_EV_BOOKMARK,
	};
	struct ng_k8s_splitter sp = {0};
	struct sink k = {0};
	char *ev[3], *all = three_events(ev);

	(void)state;
	assert_int_equal(ng_k8s_split_feed(&sp, all, strlen(all), sink_cb, &k), 0);
	check_three(&k, ev);
	for (unsigned int i = 0; i < 3; i++) {
		cJSON *root = cJSON_ParseWithLength(k.obj[i], k.len[i]);
		struct ng_k8s_event e;

		assert_int_equal(ng_k8s_event_decode(root, &e, err, sizeof(err)), 0);
		assert_int_equal(e.type, types[i]);
		cJSON_Delete(root);
	}
	sink_free(&k);
	ng_k8s_split_free(&sp);
	for (unsigned int i = 0; i < 3; i++)
		free(ev[i]);
	free(all);
}

static void
test_split_bytewise(void **state)
{
	struct ng_k8s_splitter sp = {0};
	struct sink k = {0};
	char *ev[3], *all = three_events(ev);

	(void)state;
	for (size_t i = 0; all[i] != '\0'; i++)
		assert_int_equal(ng_k8s_split_feed(&sp, all + i, 1, sink_cb, &k), 0);
	check_three(&k, ev);
	sink_free(&k);
	ng_k8s_split_free(&sp);
	for (unsigned int i = 0; i < 3; i++)
		free(ev[i]);
	free(all);
}

/* Quotes, backslashes and braces inside strings: {"a":"x\"}{","b":"\\","c":"\\\"}",...} */
static const char TRICKY[] =
	"{\"a\":\"x\\\"}{\",\"b\":\"\\\\\",\"c\":\"\\\\\\\"}\",\"d\":{\"e\":\"}}}{{\"},"
	"\"f\":\"\\u007b\",\"g\":[{\"h\":\"\\\\\\\\\"}]}";

static void
test_split_escapes_every_cut(void **state)
{
	size_t n = strlen(TRICKY);
	cJSON *o = cJSON_Parse(TRICKY);

	(void)state;
	assert_non_null(o); /* the fixture itself is one valid object */
	assert_string_equal(cJSON_GetObjectItem(o, "c")->valuestring, "\\\"}");
	cJSON_Delete(o);
	for (size_t a = 0; a <= n; a++)
		for (size_t b = a; b <= n; b++) {
			struct ng_k8s_splitter sp = {0};
			struct sink k = {0};

			assert_int_equal(ng_k8s_split_feed(&sp, TRICKY, a, sink_cb, &k), 0);
			assert_int_equal(ng_k8s_split_feed(&sp, TRICKY + a, b - a, sink_cb, &k), 0);
			assert_int_equal(ng_k8s_split_feed(&sp, TRICKY + b, n - b, sink_cb, &k), 0);
			assert_int_equal(ng_k8s_split_feed(&sp, "\n", 1, sink_cb, &k), 0);
			assert_int_equal(k.n, 1);
			assert_string_equal(k.obj[0], TRICKY);
			sink_free(&k);
			ng_k8s_split_free(&sp);
		}
}

static void
test_split_braces_in_strings(void **state)
{
	static const char s[] = "{\"m\":\"}\"}{\"m\":\"{\"}{\"m\":\"{{\\\"}}\"}";
	struct ng_k8s_splitter sp = {0};
	struct sink k = {0};

	(void)state;
	assert_int_equal(ng_k8s_split_feed(&sp, s, strlen(s), sink_cb, &k), 0);
	assert_int_equal(k.n, 3);
	assert_string_equal(k.obj[0], "{\"m\":\"}\"}");
	assert_string_equal(k.obj[1], "{\"m\":\"{\"}");
	assert_string_equal(k.obj[2], "{\"m\":\"{{\\\"}}\"}");
	sink_free(&k);
	ng_k8s_split_free(&sp);
}

static void
test_split_whitespace(void **state)
{
	static const char s[] = " \n\r\t{\"a\":{ \"b\" : 1 }}\n\n  \r\n{}\t";
	struct ng_k8s_splitter sp = {0};
	struct sink k = {0};

	(void)state;
	assert_int_equal(ng_k8s_split_feed(&sp, s, strlen(s), sink_cb, &k), 0);
	assert_int_equal(k.n, 2);
	assert_string_equal(k.obj[0], "{\"a\":{ \"b\" : 1 }}");
	assert_string_equal(k.obj[1], "{}");
	/* whitespace alone, and an empty feed, are fine */
	assert_int_equal(ng_k8s_split_feed(&sp, "\n\n", 2, sink_cb, &k), 0);
	assert_int_equal(ng_k8s_split_feed(&sp, NULL, 0, sink_cb, &k), 0);
	assert_int_equal(k.n, 2);
	sink_free(&k);
	ng_k8s_split_free(&sp);
}

static void
test_split_garbage(void **state)
{
	static const char *const bad[] = {"{}x{}", "}", "{}}", "[1]", "{} 42", "\"s\""};
	struct ng_k8s_splitter sp = {0};
	struct sink k = {0};

	(void)state;
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(ng_k8s_split_feed(&sp, bad[i], strlen(bad[i]), sink_cb, &k),
				-EBADMSG);
		/* the splitter starts afresh after an error */
		assert_int_equal(ng_k8s_split_feed(&sp, "{\"ok\":1}", 8, sink_cb, &k), 0);
		assert_string_equal(k.obj[k.n - 1], "{\"ok\":1}");
		sink_free(&k);
	}
	ng_k8s_split_free(&sp);
}

static void
test_split_max(void **state)
{
	static const char ok[] = "{\"k\":\"01234567\"}"; /* 16 bytes */
	static const char big[] = "{\"k\":\"012345678\"}";
	struct ng_k8s_splitter sp = {.max = 16};
	struct sink k = {0};
	int rc = 0;

	(void)state;
	assert_int_equal(strlen(ok), 16);
	assert_int_equal(ng_k8s_split_feed(&sp, ok, 16, sink_cb, &k), 0);
	assert_int_equal(k.n, 1);
	assert_int_equal(ng_k8s_split_feed(&sp, big, strlen(big), sink_cb, &k), -EMSGSIZE);
	/* byte by byte: refused at the 17th byte, without waiting for the end */
	for (size_t i = 0; i < 17 && rc == 0; i++)
		rc = ng_k8s_split_feed(&sp, big + i, 1, sink_cb, &k);
	assert_int_equal(rc, -EMSGSIZE);
	assert_int_equal(k.n, 1);
	/* an object that never ends does not grow the buffer past max */
	assert_int_equal(ng_k8s_split_feed(&sp, "{\"k\":\"", 6, sink_cb, &k), 0);
	rc = 0;
	for (int i = 0; i < 10 && rc != -EMSGSIZE; i++)
		rc = ng_k8s_split_feed(&sp, "aaaa", 4, sink_cb, &k);
	assert_int_equal(rc, -EMSGSIZE);
	sink_free(&k);
	ng_k8s_split_free(&sp);
}

static void
test_split_cb_stop(void **state)
{
	static const char s[] = "{\"a\":1}{\"b\":2}\n{\"c\":3}";
	struct ng_k8s_splitter sp = {0};
	struct sink k = {.stop_at = 1};

	(void)state;
	assert_int_equal(ng_k8s_split_feed(&sp, s, strlen(s), sink_cb, &k), 7);
	assert_int_equal(k.n, 1);
	/* the rest stays buffered for the next feed */
	assert_int_equal(ng_k8s_split_feed(&sp, NULL, 0, sink_cb, &k), 0);
	assert_int_equal(k.n, 3);
	assert_string_equal(k.obj[1], "{\"b\":2}");
	assert_string_equal(k.obj[2], "{\"c\":3}");
	sink_free(&k);
	ng_k8s_split_free(&sp);
}

static void
test_split_reset(void **state)
{
	struct ng_k8s_splitter sp = {0};
	struct sink k = {0};

	(void)state;
	assert_int_equal(ng_k8s_split_feed(&sp, "{\"a\":\"}{", 8, sink_cb, &k), 0);
	ng_k8s_split_reset(&sp);
	assert_int_equal(ng_k8s_split_feed(&sp, "{\"b\":1}", 7, sink_cb, &k), 0);
	assert_int_equal(k.n, 1);
	assert_string_equal(k.obj[0], "{\"b\":1}");
	sink_free(&k);
	ng_k8s_split_free(&sp);
}

/* Checks each object against the expected sequence, without copying. */
struct expect {
	char *const *obj;
	unsigned int n, i;
	unsigned int bad;
};

static int
expect_cb(const char *obj, size_t len, void *arg)
{
	struct expect *e = arg;
	const char *want = e->obj[e->i % e->n];

	if (len != strlen(want) || memcmp(obj, want, len) != 0)
		e->bad++;
	e->i++;
	return 0;
}

/** xorshift64*: the same chunkings on every run. */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

static void
test_split_random_chunks(void **state)
{
	struct ng_k8s_splitter sp = {0};
	char *ev[4], *all;
	uint64_t seed = 0x6b8b4567327b23c6ull;
	size_t n;

	(void)state;
	free(three_events(ev));
	ev[3] = strdup(TRICKY);
	assert_true(asprintf(&all, "%s\n%s\n%s\n%s\n", ev[0], ev[1], ev[2], ev[3]) > 0);
	n = strlen(all);
	for (unsigned int round = 0; round < 10000; round++) {
		struct expect e = {.obj = ev, .n = 4};

		for (size_t off = 0; off < n;) {
			uint64_t r = rnd(&seed);
			size_t c = 1 + (size_t)(r % ((r >> 32) % 4 == 0 ? n : 48));

			if (c > n - off)
				c = n - off;
			assert_int_equal(ng_k8s_split_feed(&sp, all + off, c, expect_cb, &e), 0);
			off += c;
		}
		assert_int_equal(e.bad, 0);
		assert_int_equal(e.i, 4);
	}
	ng_k8s_split_free(&sp);
	for (unsigned int i = 0; i < 4; i++)
		free(ev[i]);
	free(all);
}

static void
test_split_linear(void **state)
{
	/* Quadratic rescans would take minutes here; linear work takes milliseconds. */
	size_t big = (size_t)1 << 20, n_small = 100000;
	struct ng_k8s_splitter sp = {0};
	struct expect e;
	char *obj = malloc(big + 1), *many;
	char *const *want;
	static const char small[] = "{\"type\":\"BOOKMARK\",\"object\":{}}\n";
	size_t sl = strlen(small), off;

	(void)state;
	assert_non_null(obj);
	memset(obj, 'a', big);
	memcpy(obj, "{\"k\":\"", 6);
	memcpy(obj + big - 2, "\"}", 2);
	obj[big] = '\0';
	want = &obj;
	e = (struct expect){.obj = want, .n = 1};
	for (size_t i = 0; i < big; i++)
		assert_int_equal(ng_k8s_split_feed(&sp, obj + i, 1, expect_cb, &e), 0);
	assert_int_equal(e.i, 1);
	assert_int_equal(e.bad, 0);

	many = malloc(sl * n_small);
	assert_non_null(many);
	for (size_t i = 0; i < n_small; i++)
		memcpy(many + i * sl, small, sl);
	free(obj);
	obj = strndup(small, sl - 1);
	want = &obj;
	e = (struct expect){.obj = want, .n = 1};
	/* one feed of 3 MB, then odd-sized chunks */
	assert_int_equal(ng_k8s_split_feed(&sp, many, sl * n_small, expect_cb, &e), 0);
	for (off = 0; off < sl * n_small; off += 7) {
		size_t c = off + 7 <= sl * n_small ? 7 : sl * n_small - off;

		assert_int_equal(ng_k8s_split_feed(&sp, many + off, c, expect_cb, &e), 0);
	}
	assert_int_equal(e.i, 2 * n_small);
	assert_int_equal(e.bad, 0);
	assert_true(sp.cap <= 2 * sl * n_small + 4096);
	free(many);
	free(obj);
	ng_k8s_split_free(&sp);
}

/* ---- list bodies, item by item ---- */

/* The items of body b, each as its text, joined with '|'; or the error. */
static int
items_of(const char *b, char *out, size_t outlen)
{
	size_t open, close, pos, start, len, o = 0;
	int rc = ng_k8s_list_items_span(b, strlen(b), &open, &close);

	out[0] = '\0';
	if (rc < 0)
		return rc;
	assert_int_equal(b[open], '[');
	assert_int_equal(b[close], ']');
	for (pos = open + 1; (rc = ng_k8s_list_next_item(b, close, &pos, &start, &len)) > 0; )
		o += (size_t)snprintf(out + o, outlen - o, "%s%.*s", o ? "|" : "", (int)len,
			b + start);
	return rc;
}

static void
test_list_items(void **state)
{
	char out[512];

	(void)state;
	assert_int_equal(items_of("{\"kind\":\"ServiceList\",\"metadata\":{\"resourceVersion\":"
		"\"5\",\"continue\":\"a]b}\"},\"items\":[{\"a\":\"x}]\\\"[\"}, {\"b\":[1,{}]} ,"
		"null,3,\"s\"]}\n", out, sizeof(out)), 0);
	assert_string_equal(out, "{\"a\":\"x}]\\\"[\"}|{\"b\":[1,{}]}|null|3|\"s\"");
	/* items before metadata; empty; whitespace everywhere */
	assert_int_equal(items_of(" { \"items\" : [ ] , \"metadata\" : { } } ", out,
		sizeof(out)), 0);
	assert_string_equal(out, "");
	/* a Status has no items */
	assert_int_equal(items_of("{\"kind\":\"Status\",\"code\":410}", out, sizeof(out)),
		-ENOENT);
	/* "items" that is not an array is for the decoder to refuse */
	assert_int_equal(items_of("{\"items\":{}}", out, sizeof(out)), -ENOENT);
}

static void
test_list_items_bad(void **state)
{
	static const char *bad[] = {
		"", "[]", "{", "{\"items\":[1,2]", "{\"items\":[{]}", "{\"items\":[1]} x",
		"{\"items\" [1]}", "{items:[1]}", "{\"items\":[1],\"items\":[2]}",
		"{\"items\":[1] \"kind\":\"x\"}", "{\"a\":\"unterminated}",
	};
	static const char *bad_items[] = {
		"{\"items\":[1,]}", "{\"items\":[,1]}", "{\"items\":[1 2]}", "{\"items\":[{}{}]}",
	};
	char out[128];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (items_of(bad[i], out, sizeof(out)) != -EBADMSG)
			fail_msg("%s: not refused", bad[i]);
	for (size_t i = 0; i < sizeof(bad_items) / sizeof(bad_items[0]); i++)
		if (items_of(bad_items[i], out, sizeof(out)) != -EBADMSG)
			fail_msg("%s: not refused (items: %s)", bad_items[i], out);
}

/*
 * ng_k8s_scan_value(), vector compares 64 bytes at a time where the CPU has
 * them, against ng_k8s_scan_value_scalar(): the same end for every start and
 * end of the same bytes.
 */
static void
same_scan(const char *b, size_t i, size_t end)
{
	size_t v = ng_k8s_scan_value(b, i, end), s = ng_k8s_scan_value_scalar(b, i, end);

	if (v != s)
		fail_msg("scan of %.*s from %zu to %zu: %zu, a byte at a time %zu",
			(int)(end < 300 ? end : 300), b, i, end, v, s);
}

/* A whole value b: it ends at its last byte; every shorter end cuts it. */
static void
check_whole(const char *b)
{
	size_t n = strlen(b);

	same_scan(b, 0, n);
	if (ng_k8s_scan_value(b, 0, n) != n)
		fail_msg("%s: ends at %zu, not %zu", b, ng_k8s_scan_value(b, 0, n), n);
	for (size_t end = 0; end < n; end++) {
		same_scan(b, 0, end);
		if (ng_k8s_scan_value(b, 0, end) != 0)
			fail_msg("%s cut at %zu: ends at %zu", b, end,
				ng_k8s_scan_value(b, 0, end));
	}
	for (size_t i = 1; i < n; i++)
		same_scan(b, i, n);
}

static void
test_scan_value_blocks(void **state)
{
	/* What must be followed exactly, each moved across every position of a
	 * 64-byte block by the padding before it. */
	static const char *piece[] = {
		"\"a\\\\\"",                   /* "a\\": an escaped backslash ends it */
		"\"\\\"\"",                    /* "\"" */
		"\"\\\\\\\\\\\\\\\"x\"",       /* "\\\\\\\"x": a run of seven */
		"\"x}]{[\"",                   /* brackets in a string */
		"\"[\\\"{\\\\\"",              /* both */
		"[[[{}]],{\"a\":[]},[{}],{}]", /* closes in a row */
		"{\"k:{\\\"port\\\":80}\":{}}", /* managedFields keys */
		"\"\\u00e9\\/\\n\"",
	};
	char b[512];

	(void)state;
	for (size_t k = 0; k < sizeof(piece) / sizeof(piece[0]); k++) {
		for (int pad = 0; pad < 140; pad++) {
			/* in an object, in an array, and (strings) as the value itself */
			snprintf(b, sizeof(b), "{\"p\":\"%.*s\",\"k\":%s}", pad,
				"................................................................"
				"................................................................"
				"................", piece[k]);
			check_whole(b);
			snprintf(b, sizeof(b), "[%.*s%s]", pad,
				"                                                                "
				"                                                                "
				"                ", piece[k]);
			check_whole(b);
			if (piece[k][0] == '"') {
				snprintf(b, sizeof(b), "\"%.*s%s", pad,
					"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
					"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
					"aaaaaaaaaaaaaaaaaaaa", piece[k] + 1);
				check_whole(b);
			}
		}
	}
	/* What is not JSON is followed the same way: a backslash outside a
	 * string is nothing, a ']' closes a '{'. */
	for (int pad = 0; pad < 140; pad++) {
		snprintf(b, sizeof(b), "{\"p\":[%.*s],\\\"a\":\"}\"]", pad,
			"1111111111111111111111111111111111111111111111111111111111111111"
			"1111111111111111111111111111111111111111111111111111111111111111"
			"111111111111");
		check_whole(b);
		snprintf(b, sizeof(b), "{%.*s\\\\\"}\"}}", pad,
			"{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{"
			"{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{"
			"{{{{{{{{{{{{");
		for (size_t end = 0; end <= strlen(b); end++)
			for (size_t i = 0; i < end; i++)
				same_scan(b, i, end);
	}
	/* an escape as the very last byte */
	for (int pad = 0; pad < 140; pad++) {
		snprintf(b, sizeof(b), "[\"%.*s\\", pad,
			"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
			"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
			"aaaaaaaaaaaa");
		same_scan(b, 0, strlen(b));
		assert_int_equal(ng_k8s_scan_value(b, 0, strlen(b)), 0);
	}
}

/* A random JSON value at b + *o (at most max bytes): strings with escapes and
 * brackets, objects and arrays nested up to depth 6. */
static void
random_value(uint64_t *seed, char *b, size_t *o, size_t max, unsigned int depth)
{
	static const char *frag[] = {
		"a", "bc", "\\\\", "\\\"", "{", "}", "[", "]", "\\n", " ", "\\u0041", ":,",
	};
	uint64_t r = rnd(seed);
	unsigned int kind = depth >= 6 || max - *o < 64 ? (unsigned int)(r % 2) : (unsigned int)(r % 4);
	unsigned int n = (unsigned int)((r >> 8) % 12);

	if (kind == 0) {
		b[(*o)++] = '1';
		return;
	}
	if (kind == 1) {
		b[(*o)++] = '"';
		for (unsigned int k = 0; k < n * 3 && max - *o > 16; k++) {
			const char *f = frag[rnd(seed) % (sizeof(frag) / sizeof(frag[0]))];

			memcpy(b + *o, f, strlen(f));
			*o += strlen(f);
		}
		b[(*o)++] = '"';
		return;
	}
	b[(*o)++] = kind == 2 ? '[' : '{';
	for (unsigned int k = 0; k < n && max - *o > 64; k++) {
		if (k > 0)
			b[(*o)++] = ',';
		if (kind == 3) {
			memcpy(b + *o, "\"k\":", 4);
			*o += 4;
		}
		random_value(seed, b, o, max, depth + 1);
	}
	b[(*o)++] = kind == 2 ? ']' : '}';
}

static void
test_scan_value_random(void **state)
{
	/* Marks and a few others, with opens favoured so that values go on. */
	static const char alpha[] = "\"\\{{{[[[}]a ,:";
	uint64_t seed = 0x2545f4914f6cdd1dull;
	char b[4096];

	(void)state;
	/* any bytes at all */
	for (unsigned int round = 0; round < 20000; round++) {
		size_t n = 1 + rnd(&seed) % 400;

		for (size_t k = 0; k < n; k++)
			b[k] = alpha[rnd(&seed) % (sizeof(alpha) - 1)];
		for (unsigned int t = 0; t < 8; t++) {
			size_t i = t == 0 ? 0 : rnd(&seed) % n;
			size_t end = t < 2 ? n : i + rnd(&seed) % (n - i + 1);

			same_scan(b, i, end);
		}
	}
	/* JSON values, each whole and cut */
	for (unsigned int round = 0; round < 3000; round++) {
		size_t o = 0;

		random_value(&seed, b, &o, sizeof(b) - 1, 0);
		b[o] = '\0';
		same_scan(b, 0, o);
		assert_int_equal(ng_k8s_scan_value(b, 0, o), o);
		for (unsigned int t = 0; t < 16; t++) {
			size_t i = rnd(&seed) % o;

			same_scan(b, i, o);
			same_scan(b, 0, i);
			same_scan(b, i, i + rnd(&seed) % (o - i + 1));
		}
	}
}

/* ======== ng_k8s_parse(): trees from the reused buffer ======== */

/* The tree ng_k8s_parse() builds prints as cJSON's own parse does. */
static void
same_as_cjson(const char *text, const cJSON *tree)
{
	cJSON *ref = cJSON_ParseWithLength(text, strlen(text));
	char *a, *b;

	assert_non_null(ref);
	a = cJSON_PrintUnformatted(ref);
	b = cJSON_PrintUnformatted(tree);
	assert_non_null(a);
	assert_non_null(b);
	assert_string_equal(a, b);
	cJSON_free(a);
	cJSON_free(b);
	cJSON_Delete(ref);
}

static const char parse_item[] =
	"{\"metadata\":{\"name\":\"web-abc\",\"namespace\":\"default\","
	"\"resourceVersion\":\"17\",\"labels\":{\"kubernetes.io/service-name\":\"web\"}},"
	"\"addressType\":\"IPv4\",\"ports\":[{\"name\":\"http\",\"port\":8080,"
	"\"protocol\":\"TCP\"}],\"endpoints\":[{\"addresses\":[\"10.1.0.1\"],"
	"\"conditions\":{\"ready\":true},\"nodeName\":\"node-a\"}]}";

/* An item's nodes come from the buffer, none from malloc(); deleting the
 * tree frees them all, and the next parse starts the buffer again. */
static void
test_parse_in_buffer(void **state)
{
	struct ng_k8s_parse_stats a, b;
	cJSON *t1, *t2;

	(void)state;
	ng_k8s_parse_stats(&a);
	t1 = ng_k8s_parse(parse_item, strlen(parse_item));
	assert_non_null(t1);
	ng_k8s_parse_stats(&b);
	assert_int_equal(b.parses, a.parses + 1);
	assert_true(b.in_arena > a.in_arena + 20);
	assert_int_equal(b.spilled, a.spilled);
	assert_true(b.live > 20 && b.live <= b.in_arena - a.in_arena);
	same_as_cjson(parse_item, t1);
	cJSON_Delete(t1);
	ng_k8s_parse_stats(&b);
	assert_int_equal(b.live, 0);
	t2 = ng_k8s_parse(parse_item, strlen(parse_item));
	assert_ptr_equal(t2, t1); /* the buffer from its start */
	cJSON_Delete(t2);
	assert_null(ng_k8s_parse("{\"a\":", 5));
	ng_k8s_parse_stats(&b);
	assert_int_equal(b.live, 0);
}

/* Two trees alive at once: the second takes what is left of the buffer and
 * the first stays intact; the buffer is reused only once both are gone. */
static void
test_parse_two_alive(void **state)
{
	struct ng_k8s_parse_stats st;
	cJSON *t1, *t2, *t3;

	(void)state;
	t1 = ng_k8s_parse(parse_item, strlen(parse_item));
	t2 = ng_k8s_parse(parse_item, strlen(parse_item));
	assert_non_null(t1);
	assert_non_null(t2);
	assert_ptr_not_equal(t1, t2);
	same_as_cjson(parse_item, t1);
	same_as_cjson(parse_item, t2);
	cJSON_Delete(t2);
	t3 = ng_k8s_parse(parse_item, strlen(parse_item));
	assert_ptr_not_equal(t3, t1); /* t1 is alive: not from the start */
	same_as_cjson(parse_item, t1);
	cJSON_Delete(t1);
	cJSON_Delete(t3);
	ng_k8s_parse_stats(&st);
	assert_int_equal(st.live, 0);
}

/* A tree larger than the buffer: the rest from malloc(), freed by
 * cJSON_Delete() (ASan checks the frees). */
static void
test_parse_spills(void **state)
{
	struct ng_k8s_parse_stats a, b;
	size_t n = 40000, len = 0;
	char *text = malloc(n * 12 + 4);
	cJSON *t;

	(void)state;
	assert_non_null(text);
	text[len++] = '[';
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(text + len, "%s\"s%zu\"", i ? "," : "", i);
	text[len++] = ']';
	text[len] = '\0';
	ng_k8s_parse_stats(&a);
	t = ng_k8s_parse(text, len);
	assert_non_null(t);
	ng_k8s_parse_stats(&b);
	assert_true(b.spilled > a.spilled);
	assert_true(b.in_arena > a.in_arena);
	assert_int_equal(cJSON_GetArraySize(t), (int)n);
	same_as_cjson(text, t);
	cJSON_Delete(t);
	ng_k8s_parse_stats(&b);
	assert_int_equal(b.live, 0);
	free(text);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_split_whole),
	cmocka_unit_test(test_split_bytewise),
	cmocka_unit_test(test_split_escapes_every_cut),
	cmocka_unit_test(test_split_braces_in_strings),
	cmocka_unit_test(test_split_whitespace),
	cmocka_unit_test(test_split_garbage),
	cmocka_unit_test(test_split_max),
	cmocka_unit_test(test_split_cb_stop),
	cmocka_unit_test(test_split_reset),
	cmocka_unit_test(test_split_random_chunks),
	cmocka_unit_test(test_split_linear),
	cmocka_unit_test(test_list_items),
	cmocka_unit_test(test_list_items_bad),
	cmocka_unit_test(test_scan_value_blocks),
	cmocka_unit_test(test_scan_value_random),
	cmocka_unit_test(test_parse_in_buffer),
	cmocka_unit_test(test_parse_two_alive),
	cmocka_unit_test(test_parse_spills),
};

int
main(void)
{
	return cmocka_run_group_tests(tests, NULL, NULL);
}
