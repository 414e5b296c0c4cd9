/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cJSON trees of list items and watch events from one reused buffer.
 *
 * Every item of a list page and every watch event is parsed, decoded into
 * the watcher's own structs and deleted at once; cJSON takes a malloc() per
 * node and per string and a free() for each again (9-12% of a sync's CPU).
 * ng_k8s_parse() hands cJSON bump allocations from a per-thread buffer
 * instead, through cJSON's allocation hooks: a free() of such a node does
 * nothing but count, and the buffer is reused from its start by the first
 * parse that finds none of its nodes alive. What does not fit goes to
 * malloc(), and every other cJSON user (the CLI, the configuration) gets
 * malloc() and free() as before.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "k8s_obj.h"

#define ARENA_SIZE (256u * 1024)
#define ARENA_ALIGN 16u

struct arena {
	char *buf;		/* ARENA_SIZE bytes, taken on the first parse */
	size_t used;
	uint64_t live;		/* nodes handed out and not freed yet */
	bool on;		/* a parse is running on this thread */
	struct ng_k8s_parse_stats st;
};

static _Thread_local struct arena ar;
static bool hooks_set;

static bool
in_arena(const void *p)
{
	uintptr_t a = (uintptr_t)p, b = (uintptr_t)ar.buf;

	return ar.buf != NULL && a >= b && a < b + ARENA_SIZE;
}

static void *
arena_malloc(size_t n)
{
	size_t need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);

	if (ar.on && need >= n && ARENA_SIZE - ar.used >= need) {
		void *p = ar.buf + ar.used;

		ar.used += need;
		ar.live++;
		ar.st.in_arena++;
		return p;
	}
	if (ar.on)
		ar.st.spilled++;
	return malloc(n);
}

static void
arena_free(void *p)
{
	if (in_arena(p))
		ar.live--;
	else
		free(p);
}

cJSON *
ng_k8s_parse(const char *text, size_t len)
{
	cJSON *root;

	if (!hooks_set) {
		cJSON_Hooks h = {.malloc_fn = arena_malloc, .free_fn = arena_free};

		cJSON_InitHooks(&h);
		hooks_set = true;
	}
	if (ar.buf == NULL)
		ar.buf = malloc(ARENA_SIZE);
	if (ar.live == 0)
		ar.used = 0;
	ar.on = ar.buf != NULL;
	root = cJSON_ParseWithLength(text, len);
	ar.on = false;
	ar.st.parses++;
	return root;
}

void
ng_k8s_parse_stats(struct ng_k8s_parse_stats *st)
{
	*st = ar.st;
	st->live = ar.live;
}
