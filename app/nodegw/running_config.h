/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_RUNNING_CONFIG_H
#define NG_RUNNING_CONFIG_H

#include <stdio.h>

#include "conf.h"
#include "route.h"

/**
 * Print the running state as a configuration file: the settings fixed at
 * start from c, and the routes, static neighbours and services as they are now.
 */
void ng_running_config(FILE *out, const struct ng_conf *c, struct ng_fib *fib,
		struct ng_neigh_table *neigh);

#endif
