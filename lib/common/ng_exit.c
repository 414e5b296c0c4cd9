/* SPDX-License-Identifier: BSD-3-Clause */
#include "ng_exit.h"

static bool exiting;

void
ng_exit_begin(void)
{
	exiting = true;
}

bool
ng_exiting(void)
{
	return exiting;
}
