/* SPDX-License-Identifier: BSD-3-Clause */
#include <ctype.h>

#include "ng_stats.h"

static const char *const drop_names[NG_DROP_MAX] = {
	[NG_DROP_NONE] = "none",
#define NG_X(id, str) [NG_DROP_##id] = str,
	NG_DROP_REASONS(NG_X)
#undef NG_X
};

static const char *const drop_ids_upper[NG_DROP_MAX] = {
	[NG_DROP_NONE] = "NONE",
#define NG_X(id, str) [NG_DROP_##id] = #id,
	NG_DROP_REASONS(NG_X)
#undef NG_X
};

/* Lower-case copies of the identifiers, made on first use. */
static char drop_ids[NG_DROP_MAX][32];

static const char *const stage_names[NG_STAGE_MAX] = {
#define NG_X(id, str) [NG_STAGE_##id] = str,
	NG_STAGES(NG_X)
#undef NG_X
};

/* Each stage's edges as the next stage they lead to. */
#define NG_X_TO(id, to) NG_STAGE_##to,
static const uint8_t parse_to[] = {NG_PARSE_EDGES(NG_X_TO)};
static const uint8_t reass_to[] = {NG_REASS_EDGES(NG_X_TO)};
static const uint8_t reass6_to[] = {NG_REASS6_EDGES(NG_X_TO)};
static const uint8_t ip6_parse_to[] = {NG_IP6_PARSE_EDGES(NG_X_TO)};
static const uint8_t ip6_local_to[] = {NG_IP6_LOCAL_EDGES(NG_X_TO)};
static const uint8_t forward6_to[] = {NG_FORWARD6_EDGES(NG_X_TO)};
static const uint8_t lb_to[] = {NG_LB_EDGES(NG_X_TO)};
static const uint8_t lb6_to[] = {NG_LB6_EDGES(NG_X_TO)};
static const uint8_t local_to[] = {NG_LOCAL_EDGES(NG_X_TO)};
static const uint8_t forward_to[] = {NG_FORWARD_EDGES(NG_X_TO)};
static const uint8_t reply_to[] = {NG_REPLY_EDGES(NG_X_TO)};
static const uint8_t punt_to[] = {NG_PUNT_EDGES(NG_X_TO)};
static const uint8_t encap_to[] = {NG_ENCAP_EDGES(NG_X_TO)};
static const uint8_t encap6_to[] = {NG_ENCAP6_EDGES(NG_X_TO)};
static const uint8_t icmp_err_to[] = {NG_ICMP_ERR_EDGES(NG_X_TO)};
#undef NG_X_TO

static const struct {
	const uint8_t *to;
	uint8_t n;
} stage_edges[NG_STAGE_MAX] = {
	[NG_STAGE_PARSE] = {parse_to, RTE_DIM(parse_to)},
	[NG_STAGE_REASS] = {reass_to, RTE_DIM(reass_to)},
	[NG_STAGE_REASS6] = {reass6_to, RTE_DIM(reass6_to)},
	[NG_STAGE_IP6_PARSE] = {ip6_parse_to, RTE_DIM(ip6_parse_to)},
	[NG_STAGE_IP6_LOCAL] = {ip6_local_to, RTE_DIM(ip6_local_to)},
	[NG_STAGE_FORWARD6] = {forward6_to, RTE_DIM(forward6_to)},
	[NG_STAGE_LB] = {lb_to, RTE_DIM(lb_to)},
	[NG_STAGE_LB6] = {lb6_to, RTE_DIM(lb6_to)},
	[NG_STAGE_LOCAL] = {local_to, RTE_DIM(local_to)},
	[NG_STAGE_FORWARD] = {forward_to, RTE_DIM(forward_to)},
	[NG_STAGE_REPLY] = {reply_to, RTE_DIM(reply_to)},
	[NG_STAGE_PUNT] = {punt_to, RTE_DIM(punt_to)},
	[NG_STAGE_ENCAP] = {encap_to, RTE_DIM(encap_to)},
	[NG_STAGE_ENCAP6] = {encap6_to, RTE_DIM(encap6_to)},
	[NG_STAGE_ICMP_ERR] = {icmp_err_to, RTE_DIM(icmp_err_to)},
};

const char *
ng_drop_name(enum ng_drop_reason r)
{
	return (unsigned int)r < NG_DROP_MAX ? drop_names[r] : "?";
}

const char *
ng_drop_id(enum ng_drop_reason r)
{
	if ((unsigned int)r >= NG_DROP_MAX)
		return "?";
	if (drop_ids[r][0] == '\0') {
		size_t i;

		for (i = 0; drop_ids_upper[r][i] != '\0' && i < sizeof(drop_ids[r]) - 1; i++)
			drop_ids[r][i] = (char)tolower((unsigned char)drop_ids_upper[r][i]);
		drop_ids[r][i] = '\0';
	}
	return drop_ids[r];
}

const char *
ng_stage_name(enum ng_stage s)
{
	return (unsigned int)s < NG_STAGE_MAX ? stage_names[s] : "?";
}

unsigned int
ng_stage_edges(enum ng_stage s, const uint8_t **to)
{
	RTE_BUILD_BUG_ON(NG_PARSE_NEXT_MAX > NG_STAGE_EDGES_MAX ||
			NG_LB_NEXT_MAX > NG_STAGE_EDGES_MAX ||
			NG_REASS_NEXT_MAX > NG_STAGE_EDGES_MAX ||
			NG_REASS6_NEXT_MAX > NG_STAGE_EDGES_MAX ||
			NG_LOCAL_NEXT_MAX > NG_STAGE_EDGES_MAX ||
			NG_FORWARD_NEXT_MAX > NG_STAGE_EDGES_MAX ||
			NG_REPLY_NEXT_MAX > NG_STAGE_EDGES_MAX ||
			NG_PUNT_NEXT_MAX > NG_STAGE_EDGES_MAX ||
			NG_IP6_PARSE_NEXT_MAX > NG_STAGE_EDGES_MAX ||
			NG_IP6_LOCAL_NEXT_MAX > NG_STAGE_EDGES_MAX ||
			NG_FORWARD6_NEXT_MAX > NG_STAGE_EDGES_MAX ||
			NG_LB6_NEXT_MAX > NG_STAGE_EDGES_MAX ||
			NG_ENCAP_NEXT_MAX > NG_STAGE_EDGES_MAX ||
			NG_ENCAP6_NEXT_MAX > NG_STAGE_EDGES_MAX ||
			NG_ICMP_ERR_NEXT_MAX > NG_STAGE_EDGES_MAX);
	if ((unsigned int)s >= NG_STAGE_MAX) {
		if (to != NULL)
			*to = NULL;
		return 0;
	}
	if (to != NULL)
		*to = stage_edges[s].to;
	return stage_edges[s].n;
}

void
ng_worker_stats_add(struct ng_worker_stats *dst, const struct ng_worker_stats *src)
{
	const uint64_t *s = (const uint64_t *)src;
	uint64_t *d = (uint64_t *)dst;

	/* The block is nothing but uint64_t counters (and cache-line padding). */
	RTE_BUILD_BUG_ON(sizeof(struct ng_worker_stats) % sizeof(uint64_t) != 0);
	for (size_t i = 0; i < sizeof(*src) / sizeof(uint64_t); i++)
		d[i] += s[i];
}
