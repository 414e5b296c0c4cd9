/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LB_FIXTURES_H
#define LB_FIXTURES_H

/*
 * What the service-stage fixtures share: the topology (test_lb_fixtures.c),
 * frames toward it, output checks, running a packet through a worker, flows
 * and the service API (lb_fixtures.c). The fixtures themselves are split by
 * topic: lb_conn.c (TCP and UDP conversations), lb_refuse.c (refusals, ICMP
 * and ARP for VIPs, TTL), lb_owner.c (flow ownership, redirects, DNAT,
 * NodePorts, source ports, bursts), lb_rules.c (rule changes under live
 * connections), lb_frames.c (frame variants and malformed packets),
 * lb_twin.c (kernel twins: what goes to the kernel and what never does),
 * lb_dsr.c (direct server return: IPv4-in-IPv4 to the backend),
 * lb_ranges.c (source ranges: new connections only from the listed clients).
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ct.h"
#include "ng_test_frame.h"
#include "ng_test_gw.h"
#include "svc.h"

#define NPORTS 2
#define NWORKERS 2
#define LPORT_MIN 32768
#define LPORT_MAX 60999
#define NODE_PORT 30080
#define N_BACKENDS 3
#define L2 14 /* every frame here is untagged unless a fixture tags it */

enum { P0, P1 };

/* ---- the gateway under test (defined by the test's main file) ---- */

extern struct ng_test_gw gw;
/* The worker owning CLIENT's address (its affinity flows), the other one, and a
 * client address the other owns. */
extern unsigned int owner, other;
extern uint32_t client2;

#define GW0 tb_ip(198, 18, 0, 1)
#define GW1 tb_ip(198, 18, 1, 1)
#define CLIENT tb_ip(198, 18, 0, 2)
#define VIP_WEB tb_ip(198, 19, 0, 10)
#define VIP_DNS tb_ip(198, 19, 0, 11)
#define VIP_EMPTY tb_ip(198, 19, 0, 12)
#define VIP_DWEB tb_ip(198, 19, 0, 14)
#define VIP_RM tb_ip(198, 19, 0, 20)
#define VIP_URM tb_ip(198, 19, 0, 21)
#define VIP_DRAIN tb_ip(198, 19, 0, 22)
#define VIP_DSR tb_ip(198, 19, 0, 15)
#define VIP_UDSR tb_ip(198, 19, 0, 16)
#define VIP_RWEB tb_ip(198, 19, 0, 30)
#define VIP_RDNS tb_ip(198, 19, 0, 31)

extern const struct rte_ether_addr client_mac;

/*
 * Bring up the topology without services (the test adds its own): the
 * gateway, owner, other and client2, a static neighbour for each host.
 * @return 0, or -1 (call ng_test_gw_down() all the same).
 */
int lb_gw_up(const char *name);
/* The same with FullNAT source addresses on p1 ("A.B.C.D,..."; NULL: none) and a port range. */
int lb_gw_up_with(const char *name, const char *fullnat_p1, uint16_t lport_min,
		uint16_t lport_max);
/* Take the gateway down (a cmocka group teardown). */
int lb_gw_down(void **state);
/* A static neighbour on port (P0, P1) with mac_of(addr). @return 0 or -1. */
int add_neighbour(uint8_t port, uint32_t addr);

/* Backend i's address. */
uint32_t be_addr(unsigned int i);
/* Which backend addr is, or -1. */
int be_index(uint32_t addr);
/* MAC of a host of the topology: 02:00:00:00:<subnet>:<host>. */
struct rte_ether_addr mac_of(uint32_t addr);

/* ---- frames toward the gateway (ports host order) ---- */

void tcp4(struct tb_frame *f, uint8_t port, uint32_t src, uint16_t sport, uint32_t dst,
		uint16_t dport, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t payload);
void udp4(struct tb_frame *f, uint8_t port, uint32_t src, uint16_t sport, uint32_t dst,
		uint16_t dport, uint16_t payload, bool cksum);
void icmp_echo4(struct tb_frame *f, uint32_t src, uint32_t dst, uint16_t data);
void arp_request4(struct tb_frame *f, uint32_t sip, uint32_t tip);
void icmp_err_frame(struct tb_frame *f, uint8_t port, uint32_t src, uint32_t dst, uint8_t type,
		uint8_t code, uint16_t mtu, const struct tb_frame *about, uint16_t qlen);

/* ---- output checks ---- */

void check_eth(const struct tb_frame *out, uint8_t port, const struct rte_ether_addr *dst);
void check_nat_fwd(struct tb_frame *in, struct tb_frame *out, uint8_t op, uint32_t src,
		uint16_t sport, uint32_t dst, uint16_t dport);
void check_rst(struct tb_frame *in, struct tb_frame *out);
void check_port_unreachable(struct tb_frame *in, struct tb_frame *out, uint32_t src);
void check_time_exceeded(struct tb_frame *about, struct tb_frame *out, uint32_t src);

/* ---- running packets ---- */

/* step() and step_redirected(): *out gets the frame sent, or the one punted. */

#define TX(p) NG_TV_TX(p)
#define DROP(r) NG_TV_DROP(r)
#define REFUSE(p, r) NG_TV_REFUSE(p, r)
#define REDIRECT(k) NG_TV_REDIRECT(k)
#define PUNT NG_TV_PUNT

void step(const char *what, unsigned int wid, const struct tb_frame *in,
		struct ng_test_verdict v, struct tb_frame *out);
void step_redirected(const char *what, unsigned int from, unsigned int to, uint8_t in_port,
		struct ng_test_verdict v, struct tb_frame *out);

/* ---- connections ---- */

struct ng_conn *conn_lookup(unsigned int wid, uint8_t proto, uint32_t src, uint16_t sport,
		uint32_t dst, uint16_t dport, bool *is_reply);

/* A connection through a frontend, as the test drives it. */
struct flow {
	uint8_t proto;
	uint32_t client;
	uint16_t cport;
	uint32_t fe;         /* frontend address (VIP or gateway address) */
	uint16_t feport;
	bool fullnat;
	unsigned int wid;    /* owner worker */
	/* Learnt from the first packet's output. */
	uint32_t be;
	uint16_t bport;
	uint32_t snat;       /* FullNAT: source toward the backend */
	uint16_t lport;      /* FullNAT: source port toward the backend */
};

/* The owner of a client's flows to a ClientIP-affinity service (by its address). */
unsigned int owner_of_client(uint32_t client);
/* The owner of a flow to any other service, by its client end (port host order). */
unsigned int owner_of_flow(uint32_t client, uint16_t cport);
/* The owner of CLIENT's flow from port cport (host order) to a service without affinity. */
unsigned int own(uint16_t cport);
/* The first client port (host order) from `from` on whose flows worker wid owns. */
uint16_t cport_of(uint32_t client, unsigned int wid, uint16_t from);
struct flow flow_init(uint8_t proto, uint32_t client, uint16_t cport, uint32_t fe,
		uint16_t feport, bool fullnat);
void flow_c2s_frame(const struct flow *fl, struct tb_frame *f, uint8_t flags, uint32_t seq,
		uint32_t ack, uint16_t payload);
void flow_s2c_frame(const struct flow *fl, struct tb_frame *f, uint8_t flags, uint32_t seq,
		uint32_t ack, uint16_t payload);
void flow_first_on(struct flow *fl, const char *what, uint8_t flags, uint16_t bport,
		bool redirected);
void flow_first(struct flow *fl, const char *what, uint8_t flags, uint16_t bport);
void flow_c2s(const struct flow *fl, const char *what, uint8_t flags, uint32_t seq,
		uint32_t ack, uint16_t payload);
void flow_s2c(const struct flow *fl, const char *what, uint8_t flags, uint32_t seq,
		uint32_t ack, uint16_t payload);
struct ng_conn *flow_conn(const struct flow *fl);
void assert_state(const struct ng_conn *c, enum ng_ct_state s);
void flow_handshake(struct flow *fl, uint16_t bport);

/* ---- the service control API ---- */

void svc_or_fail(int rc, const char *err);
int svc_make(const char *name, uint8_t proto, enum ng_fwd_mode mode, uint32_t vip,
		uint16_t port, uint16_t bport, unsigned int n_backends);
void backend_weight(const char *svc, uint32_t be, uint16_t port, uint32_t weight);
void backend_remove(const char *svc, uint32_t be, uint16_t port);
uint64_t svc_refused(const char *name);
/* Set a service's source ranges (n CIDRs; 0: none) and commit. */
void svc_src_ranges(const char *name, const char *const *cidrs, unsigned int n);
uint64_t svc_src_dropped(const char *name);

/* ---- the fixtures ---- */

void fx_tcp_syn(void);
void fx_frag_orders(void);
void fx_frag_discard(void);
void fx_frag_table_full(void);
void fx_frag_two_workers(void);
void fx_tcp_handshake_data(void);
void fx_tcp_close(void);
void fx_udp(void);
void fx_unconfirmed(void);
void fx_expire_lap(void);
void fx_sim_clock(void);
void fx_no_pickup_fullnat(void);
void fx_no_backend(void);
void fx_no_frontend(void);
void fx_vip_icmp_arp(void);
void fx_ttl_expired_vip(void);
void fx_redirect(void);
void fx_dnat(void);
void fx_nodeport(void);
void fx_nodeport_gone(void);
void fx_burst(void);
void fx_burst_forward(void);
void fx_lport_run_in_use(void);
void fx_backend_removed(void);
void fx_backend_drained(void);
void fx_frame_variants(void);
void fx_malformed(void);
void fx_bad_tcp_data_offset(void);
void fx_twin(void);
void fx_dsr_tcp(void);
void fx_dsr_midstream(void);
void fx_dsr_udp(void);
void fx_dsr_mtu_frames(void);
void fx_src_ranges_tcp(void);
void fx_src_ranges_udp(void);
/* lb_icmp.c */
void fx_icmp_err_fullnat(void);
void fx_icmp_err_dnat_udp(void);
void fx_icmp_err_unrelated(void);
void fx_icmp_err_dsr(void);
void fx_icmp_err_forged_local(void);
void fx_mtu_frag_needed(void);
void fx_mtu_fragment(void);

#endif
