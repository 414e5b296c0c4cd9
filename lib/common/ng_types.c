/* SPDX-License-Identifier: BSD-3-Clause */
#include "ng_types.h"

const char *
ng_sched_name(enum ng_sched s)
{
	switch (s) {
	case NG_SCHED_MAGLEV:
		return "maglev";
	case NG_SCHED_WRR:
		return "wrr";
	case NG_SCHED_RANDOM:
		return "random";
	}
	return "?";
}

const char *
ng_fwd_mode_name(enum ng_fwd_mode m)
{
	switch (m) {
	case NG_FWD_FULLNAT:
		return "fullnat";
	case NG_FWD_DNAT:
		return "dnat";
	}
	return "?";
}
