/* SPDX-License-Identifier: BSD-3-Clause */
#include <netinet/in.h>

#include "ng_types.h"

const struct ng_ct_timeout_field ng_ct_timeout_fields[NG_CT_TIMEOUT_FIELDS] = {
	{"tcp_syn", offsetof(struct ng_ct_timeouts, tcp_syn), IPPROTO_TCP},
	{"tcp_established", offsetof(struct ng_ct_timeouts, tcp_established), IPPROTO_TCP},
	{"tcp_fin", offsetof(struct ng_ct_timeouts, tcp_fin), IPPROTO_TCP},
	{"tcp_time_wait", offsetof(struct ng_ct_timeouts, tcp_time_wait), IPPROTO_TCP},
	{"tcp_close", offsetof(struct ng_ct_timeouts, tcp_close), IPPROTO_TCP},
	{"udp", offsetof(struct ng_ct_timeouts, udp), IPPROTO_UDP},
	{"udp_unreplied", offsetof(struct ng_ct_timeouts, udp_unreplied), IPPROTO_UDP},
};

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
	case NG_FWD_DSR:
		return "dsr";
	}
	return "?";
}
