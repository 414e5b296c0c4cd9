/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Service-stage (load-balancing) packet fixtures, Katran style. Each fixture is
 *   {name, description, input frame(s), expected verdict, output checks}
 * where a verdict is one of: a frame sent on port X, a drop reason R counted
 * on the ingress port (also for a packet refused with a reply: TCP RST or
 * ICMP port unreachable), or the packet handed to worker k over the redirect
 * ring. Most fixtures are short conversations (SYN, SYN-ACK, ACK, data, FIN)
 * whose every step has a verdict and a full check of the output headers:
 * Ethernet addresses, IPv4 addresses, TTL, checksums (recomputed), ports,
 * sequence numbers and payload.
 *
 * The gateway is tests/lib's (ng_test_gw.h: the set-up app/nodegw/main.c
 * does, with two worker structs on one EAL lcore and two net_null ports),
 * neighbours through the route control API and services through the svc
 * control API. Workers are not launched: the test calls ng_worker_process()
 * on the worker struct it chooses and inspects TX buffers, redirect rings,
 * counters and connection tables without flushing. No root, no hugepages.
 *
 * This file holds the topology and runs the fixtures; lb_fixtures.h says
 * which file holds which topic.
 *
 * Topology (port index: address):
 *   p0  198.18.0.1/24   client 198.18.0.2, and a second client 198.18.0.x
 *                       whose flows the other worker owns
 *   p1  198.18.1.1/24   backends 198.18.1.11, .12, .13
 * Every host has a static neighbour entry, MAC 02:00:00:00:<octet 3>:<octet 4>.
 * Services (Maglev, weight 1 per backend):
 *   web    tcp 198.19.0.10:80 -> backends :8080 fullnat
 *   dweb   tcp 198.19.0.14:80 -> backends :8080 dnat
 *   dsr    tcp 198.19.0.15:80 -> backends :80 dsr; udsr udp 198.19.0.16:53 -> :53 dsr
 *   dns    udp 198.19.0.11:53 -> backends :5353 fullnat
 *   empty  tcp 198.19.0.12:80, no backends
 *   uempty udp 198.19.0.12:53, no backends
 *   np     tcp NodePort 30080 -> backends :8080 fullnat
 *   rm     tcp 198.19.0.20:80, urm udp 198.19.0.21:53, drain tcp 198.19.0.22:80:
 *          changed by the fixtures on backend removal and draining
 *   rweb   tcp 198.19.0.30:80 -> :8080, rdns udp 198.19.0.31:53 -> :5353 fullnat:
 *          the source-range fixtures set and change their ranges
 *
 * Every fixture checks that no mbuf leaked and that no ring holds a packet.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lb_fixtures.h"
#include "route.h"
#include "svc_dp.h"

struct ng_test_gw gw;
unsigned int owner, other;
uint32_t client2;

struct lb_fixture {
	const char *name;
	const char *desc;
	void (*run)(void);
	/*
	 * Set on a fixture that shows a bug reported to the lead: it skips
	 * unless NG_TEST_SHOW_BUGS is set (then it fails while the bug is there).
	 */
	const char *known_bug;
};

static const struct lb_fixture fixtures[] = {
	{"tcp_syn_fullnat", "SYN to a FullNAT VIP on its owner: to a backend from "
		"198.18.1.1:lport (lport % workers = owner), conn SYN_SENT", fx_tcp_syn},
	{"tcp_handshake_data", "SYN-ACK back to the client from the VIP (SYN_RECV), ACK to the "
		"same backend (ESTABLISHED), data both ways", fx_tcp_handshake_data},
	{"tcp_close", "FINs: TIME_WAIT; RST: CLOSE; a SYN on a TIME_WAIT/CLOSE tuple: fresh "
		"conn; RST without conn: dropped", fx_tcp_close},
	{"udp_fullnat", "UDP to a VIP: to a backend :5353 and back; checksum 0 stays 0",
		fx_udp},
	{"unconfirmed", "a conn is confirmed once the backend answered and the client went on "
		"(TCP handshake, UDP query/answer/query): short timeouts until then", fx_unconfirmed},
	{"expire_lap", "an expiry scan asked for more than the table: one lap, each due "
		"conn freed once (fuzz_datapath)", fx_expire_lap},
	{"sim_clock", "a burst on a given clock (ng_worker_process_at): the conn is stamped "
		"with it and due one SYN timeout later by it", fx_sim_clock},
	{"no_pickup_fullnat", "FullNAT: TCP without SYN and without conn refused (RST), no conn; "
		"DNAT picks it up, unconfirmed until answered", fx_no_pickup_fullnat},
	{"no_backend", "service without backends: TCP RST (ack = seq + 1), UDP ICMP port "
		"unreachable from the VIP", fx_no_backend},
	{"no_frontend", "VIP port not served: RST; UDP to a TCP-only VIP: port unreachable",
		fx_no_frontend},
	{"vip_icmp_arp", "ICMP echo to a VIP: reply from the VIP; ARP for a VIP: answered",
		fx_vip_icmp_arp},
	{"redirect", "packets on the wrong worker go to the owner's ring and are served there",
		fx_redirect},
	{"dnat", "DNAT: client address kept; the reply to the client is matched on hash(client)'s "
		"worker", fx_dnat},
	{"nodeport", "NodePort 30080 on both gateway addresses: to a backend and back",
		fx_nodeport},
	{"nodeport_gone", "NodePort removed: its connection finishes (also from the other worker); "
		"after it, the port's packets go to the local stage where they arrive", fx_nodeport_gone},
	{"backend_removed", "removed backend: TCP conn stays on it, UDP moves at once",
		fx_backend_removed},
	{"backend_drained", "weight 0: the conn stays, new flows never pick it",
		fx_backend_drained},
	{"frame_variants", "VLAN tag, Ethernet padding, TCP and IPv4 options: served and "
		"refused like plain frames", fx_frame_variants},
	{"malformed", "fragment or truncated L4 header to a VIP: dropped, no conn", fx_malformed},
	{"frag_orders", "UDP in 3 fragments to a VIP: in order, reversed, duplicated: reassembled, "
		"NATed, sent on as 3 fragments, every byte and checksum checked", fx_frag_orders},
	{"frag_discard", "fragments: overlapping discard the datagram, a missing one times out, "
		"too many, malformed", fx_frag_discard},
	{"frag_table_full", "reassembly table full: the oldest datagram gives way, a whole one "
		"still completes", fx_frag_table_full},
	{"frag_two_workers", "fragments on both workers meet on hash(addresses, id), the whole "
		"datagram goes on to its flow's owner", fx_frag_two_workers},
	{"burst", "one burst: new TCP and UDP flows, a redirect, refusals, an echo", fx_burst},
	{"burst_forward", "one burst: established flows and routed segments between them, all "
		"forwarded in order", fx_burst_forward},
	{"ttl_expired_vip", "TTL 1 to a VIP or from a backend: time exceeded about what the "
		"sender sent, no conn", fx_ttl_expired_vip,
},
	{"bad_tcp_data_offset", "TCP data offset below 5 words or beyond the segment: dropped",
		fx_bad_tcp_data_offset,
},
	{"lport_run_in_use", "FullNAT: a run of 200 source ports in use towards a backend: a "
		"new conn to it still gets a port, outside the run", fx_lport_run_in_use},
	{"twin", "kernel twins: the gateway's own ports go to the kernel on the flow's owner; "
		"NodePort, VIP and reply traffic never do", fx_twin},
	{"dsr_tcp", "DSR: the client's packets in IPv4-in-IPv4 from 198.18.1.1 to the backend, "
		"unchanged inside; a one-way conn (ESTABLISHED on the ACK), no reply key",
		fx_dsr_tcp},
	{"dsr_midstream", "DSR: a flow met mid-stream (its SYN went through another gateway) "
		"goes to the SYN's backend, ESTABLISHED", fx_dsr_midstream},
	{"dsr_udp", "DSR: UDP encapsulated, its checksum (or none) untouched", fx_dsr_udp},
	{"dsr_mtu_frames", "DSR: 20 bytes over the MTU with DF refused (encap_mtu), DSCP/ECN and DF "
		"copied, a VLAN-tagged frame encapsulated untagged", fx_dsr_mtu_frames},
	{"src_ranges_tcp", "source ranges: a SYN from inside gets a backend, from outside it is "
		"dropped silently (src_range, counted per service); a service without ranges "
		"serves both; a range change spares established connections", fx_src_ranges_tcp},
	{"src_ranges_udp", "source ranges, UDP: from inside to a backend, from outside dropped "
		"without an ICMP error; a service without ranges serves both", fx_src_ranges_udp},
	{"icmp_err_fullnat", "FullNAT: every ICMP error type from either side reaches the other "
		"end translated (quote, checksums), on the owner", fx_icmp_err_fullnat},
	{"icmp_err_dnat_udp", "DNAT and UDP: errors from either side translated; a quoted UDP "
		"checksum patched, or 0 kept", fx_icmp_err_dnat_udp},
	{"icmp_err_unrelated", "errors of no connection, truncated or malformed: dropped and "
		"counted, nothing created, no error about an error", fx_icmp_err_unrelated},
	{"icmp_err_dsr", "DSR: client-side errors to the backend in the tunnel, tunnel errors "
		"to the client with the MTU less 20", fx_icmp_err_dsr},
	{"icmp_err_forged_local", "a forged error about a gateway port no frontend takes: judged "
		"where it arrived, never redirected", fx_icmp_err_forged_local},
	{"mtu_frag_needed", "DF over the egress MTU: fragmentation needed with the MTU, translated "
		"for the connection (DSR: MTU less 20)", fx_mtu_frag_needed},
	{"mtu_fragment", "no DF over the egress MTU: fragmented (or dropped with icmp.fragment "
		"off); DSR's outer packet fragmented", fx_mtu_fragment},
};

#define N_FIXTURES RTE_DIM(fixtures)

/* ---- set-up ---- */

/* The services of the topology (VIP host order; 0: NodePort). */
static const struct svc_def {
	const char *name;
	uint8_t proto;
	enum ng_fwd_mode mode;
	uint32_t vip;
	uint16_t port, bport;
	unsigned int n_backends;
} services[] = {
	{"web", IPPROTO_TCP, NG_FWD_FULLNAT, TB_HOST4(198, 19, 0, 10), 80, 8080, N_BACKENDS},
	{"dweb", IPPROTO_TCP, NG_FWD_DNAT, TB_HOST4(198, 19, 0, 14), 80, 8080, N_BACKENDS},
	{"dsr", IPPROTO_TCP, NG_FWD_DSR, TB_HOST4(198, 19, 0, 15), 80, 80, N_BACKENDS},
	{"udsr", IPPROTO_UDP, NG_FWD_DSR, TB_HOST4(198, 19, 0, 16), 53, 53, N_BACKENDS},
	{"dns", IPPROTO_UDP, NG_FWD_FULLNAT, TB_HOST4(198, 19, 0, 11), 53, 5353, N_BACKENDS},
	{"empty", IPPROTO_TCP, NG_FWD_FULLNAT, TB_HOST4(198, 19, 0, 12), 80, 0, 0},
	{"uempty", IPPROTO_UDP, NG_FWD_FULLNAT, TB_HOST4(198, 19, 0, 12), 53, 0, 0},
	{"np", IPPROTO_TCP, NG_FWD_FULLNAT, 0, NODE_PORT, 8080, N_BACKENDS},
	{"rm", IPPROTO_TCP, NG_FWD_FULLNAT, TB_HOST4(198, 19, 0, 20), 80, 8080, N_BACKENDS},
	{"urm", IPPROTO_UDP, NG_FWD_FULLNAT, TB_HOST4(198, 19, 0, 21), 53, 53, N_BACKENDS},
	{"drain", IPPROTO_TCP, NG_FWD_FULLNAT, TB_HOST4(198, 19, 0, 22), 80, 8080, N_BACKENDS},
	{"rweb", IPPROTO_TCP, NG_FWD_FULLNAT, TB_HOST4(198, 19, 0, 30), 80, 8080, N_BACKENDS},
	{"rdns", IPPROTO_UDP, NG_FWD_FULLNAT, TB_HOST4(198, 19, 0, 31), 53, 5353, N_BACKENDS},
};

static int
setup_services(void)
{
	char err[NG_ERRBUF] = "";

	for (unsigned int i = 0; i < RTE_DIM(services); i++) {
		const struct svc_def *d = &services[i];

		if (svc_make(d->name, d->proto, d->mode, d->vip ? rte_cpu_to_be_32(d->vip) : 0,
				d->port, d->bport, d->n_backends) != 0)
			return -1;
	}
	if (ng_svc_commit(err, sizeof(err)) != 0) {
		fprintf(stderr, "commit: %s\n", err);
		return -1;
	}
	if (gw.dp->rs == NULL || gw.dp->rs->n_svcs != RTE_DIM(services) || gw.dp->rs->n_dnat != 1)
		return -1;
	return 0;
}

static int
group_setup(void **state)
{
	(void)state;
	if (lb_gw_up("lb_fixtures") != 0)
		return -1;
	if (setup_services() != 0) {
		fprintf(stderr, "services set-up failed\n");
		return -1;
	}
	return 0;
}

static void
run_fixture(void **state)
{
	const struct lb_fixture *fx = *state;
	unsigned int in_use, left;

	if (getenv("NG_TEST_VERBOSE") != NULL)
		print_message("%s: %s\n", fx->name, fx->desc);
	if (fx->known_bug != NULL && getenv("NG_TEST_SHOW_BUGS") == NULL) {
		print_message("%s: skipped, known bug: %s\n", fx->name, fx->known_bug);
		skip();
	}
	ng_test_gw_reset(&gw); /* what a failed fixture may have left */
	in_use = ng_test_gw_in_use(&gw);
	fx->run();
	/* Every packet was checked and released; nothing leaked, nothing freed twice. */
	left = ng_test_gw_release(&gw);
	assert_int_equal(left, 0);
	assert_int_equal(ng_test_gw_in_use(&gw), in_use);
}

int
main(void)
{
	struct CMUnitTest tests[N_FIXTURES];

	for (unsigned int i = 0; i < N_FIXTURES; i++) {
		memset(&tests[i], 0, sizeof(tests[i]));
		tests[i].name = fixtures[i].name;
		tests[i].test_func = run_fixture;
		tests[i].initial_state = (void *)(uintptr_t)&fixtures[i];
	}
	return _cmocka_run_group_tests("lb fixtures", tests, N_FIXTURES, group_setup,
			lb_gw_down);
}
