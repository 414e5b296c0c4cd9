/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_CLI_UTIL_H
#define NG_CLI_UTIL_H

/**
 * @file
 * Small helpers shared by the modules' command handlers (header only; users
 * link cJSON themselves).
 */

#include <errno.h>
#include <stdint.h>
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

/**
 * Parse a decimal number in min..max, or say "% CMD: WHAT "V" is not a number
 * in MIN..MAX". @return 0 (*out set) or -1.
 */
static inline int
ng_cli_parse_u32(struct ng_cli_sess *s, const char *cmd, const char *what, const char *v,
		uint32_t min, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(v, &end, 10);
	if (*v == '\0' || *end != '\0' || errno != 0 || n < min || n > max || v[0] == '-') {
		ng_cli_error(s, "%s: %s \"%s\" is not a number in %u..%u", cmd, what, v, min, max);
		return -1;
	}
	*out = (uint32_t)n;
	return 0;
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
