/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_CLI_UTIL_H
#define NG_CLI_UTIL_H

/**
 * @file
 * Small helpers shared by the modules' command handlers (header only; users
 * link cJSON themselves).
 */

#include <stdlib.h>

#include <cjson/cJSON.h>

#include "cli.h"

/** Refuse extra words: "% CMD: unexpected argument "X"". @return 0 or -1. */
static inline int
ng_cli_no_args(struct ng_cli_sess *s, const char *cmd, int argc, char **argv)
{
	if (argc == 0)
		return 0;
	ng_cli_error(s, "%s: unexpected argument \"%s\"", cmd, argv[0]);
	return -1;
}

/** Print a JSON value on one line and free it. @return 0, or -1 when out of memory. */
static inline int
ng_cli_print_json(struct ng_cli_sess *s, cJSON *v)
{
	char *txt = v != NULL ? cJSON_PrintUnformatted(v) : NULL;

	cJSON_Delete(v);
	if (txt == NULL) {
		ng_cli_error(s, "out of memory formatting JSON");
		return -1;
	}
	ng_cli_printf(s, "%s\n", txt);
	cJSON_free(txt);
	return 0;
}

#endif
