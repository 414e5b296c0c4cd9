/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "ng_log.h"

int ng_logtype[NG_LOGT_MAX];

static const char *const module_names[NG_LOGT_MAX] = {
#define NG_X(id, name) [NG_LOGT_##id] = "nodegw." name,
	NG_LOG_MODULES(NG_X)
#undef NG_X
};

static const struct {
	const char *name;
	uint32_t level;
} levels[] = {
	{"error", RTE_LOG_ERR},   {"err", RTE_LOG_ERR},   {"warning", RTE_LOG_WARNING},
	{"warn", RTE_LOG_WARNING}, {"notice", RTE_LOG_NOTICE}, {"info", RTE_LOG_INFO},
	{"debug", RTE_LOG_DEBUG},
};

int
ng_log_init(uint32_t level)
{
	for (int i = 0; i < NG_LOGT_MAX; i++) {
		int t = rte_log_register(module_names[i]);
		if (t < 0)
			return t;
		ng_logtype[i] = t;
	}
	ng_log_set_level(level);
	return 0;
}

void
ng_log_set_level(uint32_t level)
{
	for (int i = 0; i < NG_LOGT_MAX; i++)
		rte_log_set_level(ng_logtype[i], level);
}

int
ng_log_level_parse(const char *name)
{
	for (size_t i = 0; i < RTE_DIM(levels); i++)
		if (strcasecmp(name, levels[i].name) == 0)
			return (int)levels[i].level;
	return -EINVAL;
}

const char *
ng_log_level_name(uint32_t level)
{
	for (size_t i = 0; i < RTE_DIM(levels); i++)
		if (levels[i].level == level)
			return levels[i].name;
	return "unknown";
}
