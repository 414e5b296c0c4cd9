/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: the whole worker data path on a simulated clock. The tests'
 * gateway (tests/lib/ng_test_gw.h): two net_null ports (p0 clients
 * 198.18.0.0/24, p1 backends 198.18.1.0/24 with two FullNAT source addresses),
 * two worker structs driven here (so packets are redirected to their owner),
 * 256 connections per worker and 128 FullNAT source ports, so that the table
 * fills, evicts and reuses TIME_WAIT entries within an input. The ruleset
 * (BASE below): FullNAT, DNAT, DSR, ClientIP affinity (TCP and UDP) and a
 * NodePort, each with three of the five backends (.11-.15; .15 has no
 * neighbour entry, so its packets wait for ARP on the control core).
 *
 * Time is the workers' clock, not the TSC: every burst runs through
 * ng_worker_process_at() / ng_worker_drain_redirect_at() with `now`, a TSC
 * value this target advances itself, and connection expiry is the loop's own
 * call (ng_ct_expire()) at that `now`. So a 900 s timeout takes one operation.
 *
 * Input: operations, one byte of kind then its arguments (fz_* reads; past the
 * end every byte is 0), at most MAX_OPS:
 *   0 client: a TCP/UDP/ICMP packet from a client toward a frontend (a VIP or
 *     NodePort, a port no frontend serves, a gateway address), on worker W and
 *     port P; then up to 3 byte changes (offset, value) over the valid frame,
 *     and checksums made valid again or not.
 *   1 reply: a backend's packet back to the translated addresses of one of
 *     the last 16 frames the gateway sent to a backend.
 *   2 raw: an Ethernet header to the port's MAC (or broadcast), an ethertype
 *     and up to 255 raw bytes.
 *   3 time: advance the clock by N (u16) ms, tenths of a second or seconds.
 *   4 control: what the control core does every loop: expire connections on
 *     each worker (the loop's budget, or the whole table), the control rings
 *     and neighbour timers (ng_dp_ctl_poll()), ng_svc_poll().
 *   5 rules: set a backend's weight (0 drains), delete a backend, delete a
 *     service, add it back, toggle ClientIP affinity or the mode, short
 *     timeouts; then commit.
 *   6 flood: up to 32 SYNs, ACKs or UDP datagrams from consecutive client
 *     ports in one burst.
 *   7 arp: the unresolved backend answers ARP (its packets leave).
 *   8 frag6: a UDP datagram from the IPv6 client to the IPv6 FullNAT VIP
 *     (dns6: [2001:db8:100::53]:53 -> 2001:db8:1::11..13:5353, the ports'
 *     second addresses 2001:db8::1/64 and 2001:db8:1::1/64) in up to 8
 *     fragments: each sent or not, once or twice, on either worker, its
 *     offset moved by 8 bytes (an overlap) or not, in order or reversed.
 *
 * After each operation (redirect rings drained by their owner first):
 * no crash or sanitizer report; every frame sent (TX buffers, and what the
 * control core queued on the inject rings) has a valid IPv4 header checksum,
 * valid TCP/UDP/ICMP checksums (recomputed in full) when every frame of the
 * operation came in with valid ones, and goes to a backend, a client, a
 * neighbour or the sender of a frame of this operation; each worker's drop
 * counters add up to its drop stage (and the refusals its reply stage
 * answered), every packet that entered a worker's
 * graph left by exactly one sink (or, through the reply stage, two), the
 * redirect counters agree; the connection tables hold at most their
 * capacity; once the TX buffers and rings are freed every mbuf is back in
 * the pool but those the neighbour table holds (and the reassembly tables:
 * IPv4 and IPv6 fragments held). IPv6 frames out: one segment, a payload
 * length the frame holds, to the IPv6 client or a dns6 backend; a whole UDP
 * datagram's checksum right when every frame of the operation was. Each
 * input starts from the
 * same ruleset, empty tables and no learnt neighbour.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_random.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "ct.h"
#include "fuzz_common.h"
#include "ng_test_frame.h"
#include "ng_test_gw.h"
#include "pkt.h"
#include "port.h"
#include "route.h"
#include "svc.h"
#include "worker.h"

#define NW 2
#define CT_CAP 256
#define LPORT_LO 40000
#define LPORT_HI 40127
#define MAX_OPS 256
#define FLOOD_MAX 32
#define N_SEEN 16
#define N_CLIENTS 4
#define N_BE 5
#define UNRESOLVED_BE 4 /* be[4] has no neighbour entry */

enum { P0, P1 };

#define VIP(h) tb_ip(198, 19, 0, (h))
#define GW0 tb_ip(198, 18, 0, 1)
#define GW1 tb_ip(198, 18, 1, 1)

/* IPv6: one client, the dns6 VIP and its three backends */
#define DB8 0x20, 0x01, 0x0d, 0xb8
static const uint8_t CLIENT6[16] = {DB8, [15] = 2};
static const uint8_t VIP6[16] = {DB8, 0x01, 0x00, [15] = 0x53};
static const uint8_t BE6[3][16] = {
	{DB8, 0, 1, [15] = 0x11}, {DB8, 0, 1, [15] = 0x12}, {DB8, 0, 1, [15] = 0x13},
};
#define FRAG6_MAX 8

static struct ng_test_gw gw;
static uint64_t now;  /* the workers' clock (TSC cycles) */
static uint64_t hz;
static uint64_t start_now; /* the clock when the input started */
static struct ng_ct_stats base[NW]; /* the tables' counters then */
static bool verbose;       /* NG_FUZZ_VERBOSE: report() after each input */
static char err[NG_ERRBUF];

struct base_svc {
	const char *name;
	uint8_t proto;
	enum ng_fwd_mode mode;
	bool affinity;
	uint8_t vip; /* host part of 198.19.0.x; 0: NodePort */
	uint16_t port, bport;
};

static const struct base_svc BASE[] = {
	{"web", IPPROTO_TCP, NG_FWD_FULLNAT, false, 10, 80, 8080},
	{"dweb", IPPROTO_TCP, NG_FWD_DNAT, false, 14, 80, 8080},
	{"aff", IPPROTO_TCP, NG_FWD_FULLNAT, true, 11, 443, 8443},
	{"dns", IPPROTO_UDP, NG_FWD_DNAT, false, 12, 53, 5353},
	{"uaff", IPPROTO_UDP, NG_FWD_FULLNAT, true, 13, 53, 5353},
	{"np", IPPROTO_TCP, NG_FWD_FULLNAT, false, 0, 30080, 8080},
	{"dsr", IPPROTO_TCP, NG_FWD_DSR, false, 15, 80, 8080},
};
#define N_BASE RTE_DIM(BASE)

/* What the clients send to: every service's frontend and some nobody serves. */
struct target {
	uint32_t addr;
	uint16_t port;
	uint8_t proto;
};

static struct target targets[N_BASE + 6];
static unsigned int n_targets;

static uint32_t
client_addr(unsigned int i)
{
	return tb_ip(198, 18, 0, (uint8_t)(2 + i));
}

static uint32_t
be_addr(unsigned int i)
{
	return tb_ip(198, 18, 1, (uint8_t)(11 + i));
}

static struct rte_ether_addr
mac_of(uint32_t addr)
{
	uint32_t h = rte_be_to_cpu_32(addr);
	struct rte_ether_addr m = {{0x02, 0x00, 0x00, 0x00, (uint8_t)(h >> 8), (uint8_t)h}};

	return m;
}

/* ---- the ruleset ---- */

static int
svc_base_add(const struct base_svc *b)
{
	struct ng_svc_spec s;
	struct ng_frontend fe;
	int rc;

	memset(&s, 0, sizeof(s));
	snprintf(s.name, sizeof(s.name), "%s", b->name);
	s.proto = b->proto;
	s.scheduler = NG_SCHED_MAGLEV;
	s.mode = b->mode;
	s.affinity = b->affinity;
	memset(&fe, 0, sizeof(fe));
	if (b->vip != 0) {
		fe.addr.family = AF_INET;
		fe.addr.v4 = VIP(b->vip);
	}
	fe.port = b->port;
	rc = ng_svc_add(&s, err, sizeof(err));
	if (rc == 0)
		rc = ng_svc_frontend_add(b->name, &fe, err, sizeof(err));
	for (unsigned int i = 0; rc == 0 && i < 3; i++) {
		struct ng_ip a = {.family = AF_INET, .v4 = be_addr(i)};

		rc = ng_svc_backend_set(b->name, &a, b->bport, 1, err, sizeof(err));
	}
	return rc;
}

/* dns6: udp [VIP6]:53 -> BE6:5353, FullNAT (op_frag6's service). */
static int
svc_dns6_add(void)
{
	struct ng_svc_spec s = {.name = "dns6", .proto = IPPROTO_UDP,
			.scheduler = NG_SCHED_MAGLEV, .mode = NG_FWD_FULLNAT};
	struct ng_frontend fe = {.addr = {.family = AF_INET6}, .port = 53};
	int rc;

	memcpy(fe.addr.v6, VIP6, 16);
	rc = ng_svc_add(&s, err, sizeof(err));
	if (rc == 0)
		rc = ng_svc_frontend_add("dns6", &fe, err, sizeof(err));
	for (unsigned int i = 0; rc == 0 && i < RTE_DIM(BE6); i++) {
		struct ng_ip a = {.family = AF_INET6};

		memcpy(a.v6, BE6[i], 16);
		rc = ng_svc_backend_set("dns6", &a, 5353, 1, err, sizeof(err));
	}
	return rc;
}

/* Every service as BASE says (an input's rule changes undone), and dns6. */
static void
rules_reset(void)
{
	ng_svc_del("dns6", err, sizeof(err));
	FZ_ASSERT(svc_dns6_add() == 0, "service dns6: %s", err);
	for (unsigned int i = 0; i < N_BASE; i++) {
		ng_svc_del(BASE[i].name, err, sizeof(err)); /* -ENOENT when an input deleted it */
		FZ_ASSERT(svc_base_add(&BASE[i]) == 0, "service %s: %s", BASE[i].name, err);
	}
	FZ_ASSERT(ng_svc_commit(err, sizeof(err)) == 0, "commit: %s", err);
}

static void
targets_init(void)
{
	for (unsigned int i = 0; i < N_BASE; i++)
		targets[n_targets++] = (struct target){
			BASE[i].vip ? VIP(BASE[i].vip) : GW0, BASE[i].port, BASE[i].proto};
	targets[n_targets++] = (struct target){GW1, 30080, IPPROTO_TCP};  /* NodePort on p1's address */
	targets[n_targets++] = (struct target){VIP(10), 81, IPPROTO_TCP}; /* no such frontend */
	targets[n_targets++] = (struct target){VIP(12), 53, IPPROTO_TCP}; /* the other protocol */
	targets[n_targets++] = (struct target){GW0, 22, IPPROTO_TCP};     /* local, no listener */
	targets[n_targets++] = (struct target){VIP(20), 80, IPPROTO_UDP}; /* no service at all */
	targets[n_targets++] = (struct target){be_addr(0), 8080, IPPROTO_TCP}; /* routed */
}

static void
gw_down_at_exit(void)
{
	if (ng_test_gw_down(&gw) != 0)
		fprintf(stderr, "fuzz_datapath: the gateway leaked at exit\n");
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const struct ng_test_gw_opts o = {
		.name = "fuzz_datapath", .n_ports = 2,
		.addrs = {"198.18.0.1/24,2001:db8::1/64", "198.18.1.1/24,2001:db8:1::1/64"},
		.fullnat = {NULL, "198.18.1.100,198.18.1.101"},
		.n_workers = NW, .mem_mb = 512, .mbufs = 4096, .ct_entries = CT_CAP,
		.services = true, .lport_min = LPORT_LO, .lport_max = LPORT_HI,
	};

	(void)argc;
	(void)argv;
	if (ng_test_gw_up(&gw, &o) != 0) {
		fprintf(stderr, "fuzz_datapath: the test gateway did not come up\n");
		exit(1);
	}
	fz_eal_ready();
	atexit(gw_down_at_exit);
	for (unsigned int i = 0; i < N_CLIENTS + N_BE; i++) {
		uint32_t a4 = i < N_CLIENTS ? client_addr(i) : be_addr(i - N_CLIENTS);
		struct ng_ip a = {.family = AF_INET, .v4 = a4};
		struct rte_ether_addr mac = mac_of(a4);

		if (i == N_CLIENTS + UNRESOLVED_BE)
			continue;
		if (ng_route_neigh_add(&gw.rt, &a, &mac, i < N_CLIENTS ? "p0" : "p1", err,
				sizeof(err)) != 0) {
			fprintf(stderr, "fuzz_datapath: neighbour: %s\n", err);
			exit(1);
		}
	}
	for (unsigned int i = 0; i <= RTE_DIM(BE6); i++) {
		struct ng_ip a = {.family = AF_INET6};
		struct rte_ether_addr mac = mac_of(i == 0 ? client_addr(0) : be_addr(i - 1));

		memcpy(a.v6, i == 0 ? CLIENT6 : BE6[i - 1], 16);
		if (ng_route_neigh_add(&gw.rt, &a, &mac, i == 0 ? "p0" : "p1", err,
				sizeof(err)) != 0) {
			fprintf(stderr, "fuzz_datapath: neighbour: %s\n", err);
			exit(1);
		}
	}
	verbose = getenv("NG_FUZZ_VERBOSE") != NULL;
	hz = gw.dp->tsc_hz;
	now = rte_get_tsc_cycles();
	targets_init();
	rules_reset();
	return 0;
}

/* ---- checksums, recomputed in full ---- */

static uint16_t
fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* The ones' complement sum of the L4 part, with the pseudo header for TCP and UDP. */
static uint16_t
l4_sum(const struct rte_ipv4_hdr *ip, const void *l4, uint16_t len)
{
	uint32_t s = rte_raw_cksum(l4, len);

	if (ip->next_proto_id == IPPROTO_TCP || ip->next_proto_id == IPPROTO_UDP)
		s += rte_raw_cksum(&ip->src_addr, 8) + rte_cpu_to_be_16(ip->next_proto_id) +
				rte_cpu_to_be_16(len);
	return fold(s);
}

static bool ip4_valid(const uint8_t *p, size_t avail, bool *l4ok);

/* The L4 checksum of a whole (not fragmented) IPv4 packet is right, or there is none to check. */
static bool
l4_valid(const struct rte_ipv4_hdr *ip, const uint8_t *l4, uint16_t len)
{
	bool inner_l4;

	if ((rte_be_to_cpu_16(ip->fragment_offset) & (RTE_IPV4_HDR_MF_FLAG |
			RTE_IPV4_HDR_OFFSET_MASK)) != 0)
		return true;
	switch (ip->next_proto_id) {
	case IPPROTO_TCP:
		return len >= sizeof(struct rte_tcp_hdr) && l4_sum(ip, l4, len) == 0xffff;
	case IPPROTO_UDP:
		return len >= sizeof(struct rte_udp_hdr) &&
				(((const struct rte_udp_hdr *)l4)->dgram_cksum == 0 ||
				l4_sum(ip, l4, len) == 0xffff);
	case IPPROTO_ICMP:
		return len >= sizeof(struct rte_icmp_hdr) && l4_sum(ip, l4, len) == 0xffff;
	case IPPROTO_IPIP: /* DSR: the client's packet inside */
		return ip4_valid(l4, len, &inner_l4) && inner_l4;
	default:
		return true;
	}
}

/*
 * The IPv4 packet at p (avail bytes, padding allowed): a sane header with a
 * right checksum? *l4ok: its L4 checksum is right too.
 */
static bool
ip4_valid(const uint8_t *p, size_t avail, bool *l4ok)
{
	const struct rte_ipv4_hdr *ip = (const void *)p;
	size_t hl, tl;

	*l4ok = false;
	if (avail < sizeof(*ip) || (ip->version_ihl >> 4) != 4)
		return false;
	hl = (ip->version_ihl & 0xfu) * 4u;
	tl = rte_be_to_cpu_16(ip->total_length);
	if (hl < sizeof(*ip) || tl < hl || tl > avail || rte_raw_cksum(ip, hl) != 0xffff)
		return false;
	*l4ok = l4_valid(ip, p + hl, (uint16_t)(tl - hl));
	return true;
}

/* Where the frame's L3 header starts (one VLAN tag skipped), and its ethertype. */
static size_t
eth_l3(const uint8_t *b, size_t len, uint16_t *type)
{
	size_t l2 = sizeof(struct rte_ether_hdr);

	*type = 0;
	if (len < l2)
		return len;
	*type = (uint16_t)(b[12] << 8 | b[13]);
	if (*type == RTE_ETHER_TYPE_VLAN && len >= l2 + 4) {
		*type = (uint16_t)(b[16] << 8 | b[17]);
		l2 += 4;
	}
	return l2;
}

/* Make the IPv4 header and L4 checksums of a built frame right again. */
static void
fix_cksums(struct tb_frame *f)
{
	struct rte_ipv4_hdr *ip;
	size_t hl, tl;
	uint8_t *l4;
	uint16_t *field = NULL, s;

	if (f->len < f->l2 + sizeof(*ip))
		return;
	ip = tb_ip4_hdr(f);
	hl = (ip->version_ihl & 0xfu) * 4u;
	tl = rte_be_to_cpu_16(ip->total_length);
	if (hl < sizeof(*ip) || tl < hl || f->l2 + tl > f->len)
		return;
	tb_ip4_cksum(f);
	l4 = (uint8_t *)ip + hl;
	if (ip->next_proto_id == IPPROTO_TCP && tl - hl >= sizeof(struct rte_tcp_hdr))
		field = &((struct rte_tcp_hdr *)l4)->cksum;
	else if (ip->next_proto_id == IPPROTO_UDP && tl - hl >= sizeof(struct rte_udp_hdr))
		field = &((struct rte_udp_hdr *)l4)->dgram_cksum;
	else if (ip->next_proto_id == IPPROTO_ICMP && tl - hl >= sizeof(struct rte_icmp_hdr))
		field = &((struct rte_icmp_hdr *)l4)->icmp_cksum;
	if (field == NULL)
		return;
	*field = 0;
	s = (uint16_t)~l4_sum(ip, l4, (uint16_t)(tl - hl));
	*field = s == 0 && ip->next_proto_id == IPPROTO_UDP ? 0xffff : s;
}

/* ---- one operation: what went in, what came out ---- */

static struct {
	bool clean;      /* every frame in had right checksums (so must every frame out) */
	bool clean_l2;   /* every frame in came from mac_of() of its IPv4 source */
	unsigned int n_in;
	uint32_t senders[FLOOD_MAX];
	unsigned int n_senders;
} op;

/* Translated ends of frames sent to backends, for the backends' replies. */
struct seen {
	uint32_t be, dst;
	uint16_t bport, dport;
	uint8_t proto;
};
static struct seen seen[N_SEEN];
static unsigned int n_seen, seen_next;
static bool rules_dirty;
/* The neighbour table still holds packets of an operation that was not clean:
 * the control core may release them in a later one. */
static bool unclean_waiting;

static void
op_begin(void)
{
	memset(&op, 0, sizeof(op));
	op.clean = !unclean_waiting;
	op.clean_l2 = true;
	for (unsigned int i = 0; i < NW; i++)
		memset(&gw.dp->workers[i]->stats, 0, sizeof(gw.dp->workers[i]->stats));
}

static void
note_sender(uint32_t src)
{
	for (unsigned int i = 0; i < op.n_senders; i++)
		if (op.senders[i] == src)
			return;
	if (op.n_senders < FLOOD_MAX)
		op.senders[op.n_senders++] = src;
}

/* Account for a frame going in: its validity and its IPv4 source. */
static void
note_in(const uint8_t *b, size_t len)
{
	uint16_t type;
	size_t l2 = eth_l3(b, len, &type);
	bool l4ok = false;

	op.n_in++;
	if (type != RTE_ETHER_TYPE_IPV4) {
		op.clean_l2 = op.clean_l2 && type == RTE_ETHER_TYPE_ARP;
		return;
	}
	if (!ip4_valid(b + l2, len - l2, &l4ok) || !l4ok)
		op.clean = false;
	if (len - l2 >= sizeof(struct rte_ipv4_hdr)) {
		const struct rte_ipv4_hdr *ip = (const void *)(b + l2);

		/* a fragment: the datagram the reassembly makes of it has an L4
		 * checksum nobody checked on the way in */
		if (rte_be_to_cpu_16(ip->fragment_offset) & (RTE_IPV4_HDR_MF_FLAG |
				RTE_IPV4_HDR_OFFSET_MASK))
			op.clean = false;
		note_sender(ip->src_addr);
	}
}

struct neigh_find {
	uint32_t addr;
	bool found;
};

static int
neigh_find_cb(const struct ng_neigh_info *n, void *arg)
{
	struct neigh_find *q = arg;

	q->found = q->found || (n->addr.family == AF_INET && n->addr.v4 == q->addr);
	return q->found;
}

/* A destination the gateway may send to: a host of the topology, a neighbour, a sender. */
static bool
dst_allowed(uint32_t dst, bool *topology)
{
	struct neigh_find q = {.addr = dst};

	*topology = true;
	for (unsigned int i = 0; i < N_CLIENTS; i++)
		if (dst == client_addr(i))
			return true;
	for (unsigned int i = 0; i < N_BE; i++)
		if (dst == be_addr(i))
			return true;
	*topology = false;
	for (unsigned int i = 0; i < op.n_senders; i++)
		if (dst == op.senders[i])
			return true;
	ng_neigh_walk(gw.rt.neigh, neigh_find_cb, &q);
	return q.found;
}

static void
remember(const struct rte_ipv4_hdr *ip, const uint8_t *l4, size_t l4len)
{
	const uint16_t *ports = (const uint16_t *)l4;

	if ((ip->next_proto_id != IPPROTO_TCP && ip->next_proto_id != IPPROTO_UDP) || l4len < 4)
		return;
	seen[seen_next] = (struct seen){
		.be = ip->dst_addr, .dst = ip->src_addr, .bport = rte_be_to_cpu_16(ports[1]),
		.dport = rte_be_to_cpu_16(ports[0]), .proto = ip->next_proto_id,
	};
	seen_next = (seen_next + 1) % N_SEEN;
	n_seen = RTE_MIN(n_seen + 1, (unsigned int)N_SEEN);
}

/*
 * An IPv6 packet the gateway sends (len bytes at p): a payload length the
 * frame holds; to the client, a dns6 backend or a neighbour; a whole UDP
 * datagram (no fragment header) with a right checksum when every frame in was
 * right.
 */
static void
check_out6(const uint8_t *p, size_t len, const char *where)
{
	const struct rte_ipv6_hdr *ip = (const void *)p;
	bool known = memcmp(ip->dst_addr, CLIENT6, 16) == 0;
	size_t plen;

	FZ_ASSERT(len >= sizeof(*ip) && (p[0] >> 4) == 6, "%s: bad IPv6 header", where);
	plen = rte_be_to_cpu_16(ip->payload_len);
	FZ_ASSERT(sizeof(*ip) + plen <= len, "%s: IPv6 payload of %zu in %zu bytes", where, plen,
			len);
	for (unsigned int i = 0; i < RTE_DIM(BE6); i++)
		known = known || memcmp(ip->dst_addr, BE6[i], 16) == 0;
	FZ_ASSERT(known, "%s: IPv6 to nobody the gateway knows", where);
	if (ip->proto == IPPROTO_UDP && op.clean)
		FZ_ASSERT(plen >= sizeof(struct rte_udp_hdr) &&
				rte_ipv6_udptcp_cksum_verify(ip, ip + 1) == 0,
				"%s: bad IPv6 UDP checksum out, every one in was right", where);
}

/* One frame the gateway sends out of port index p (where: who queued it). */
static void
check_out(const struct rte_mbuf *m, unsigned int p, const char *where)
{
	const uint8_t *b = rte_pktmbuf_mtod(m, const uint8_t *);
	size_t len = rte_pktmbuf_data_len(m), l2;
	const struct rte_ether_hdr *eth = (const void *)b;
	const struct rte_ipv4_hdr *ip;
	struct rte_ether_addr dmac;
	uint16_t type;
	bool l4ok, topology;
	char a[16];

	FZ_ASSERT(m->nb_segs == 1 && len == rte_pktmbuf_pkt_len(m), "%s: %u segments", where,
			m->nb_segs);
	l2 = eth_l3(b, len, &type);
	FZ_ASSERT(len >= sizeof(*eth), "%s: a frame of %zu bytes", where, len);
	FZ_ASSERT(rte_is_same_ether_addr(&eth->src_addr, &gw.port_mac[p]),
			"%s: source MAC not p%u's", where, p);
	if (type == RTE_ETHER_TYPE_ARP)
		return;
	if (type == RTE_ETHER_TYPE_IPV6) {
		check_out6(b + l2, len - l2, where);
		return;
	}
	FZ_ASSERT(type == RTE_ETHER_TYPE_IPV4, "%s: ethertype 0x%04x out", where, type);
	FZ_ASSERT(ip4_valid(b + l2, len - l2, &l4ok), "%s: bad IPv4 header or checksum", where);
	ip = (const void *)(b + l2);
	FZ_ASSERT(l4ok || !op.clean, "%s: bad %u checksum out, every one in was right", where,
			ip->next_proto_id);
	FZ_ASSERT(dst_allowed(ip->dst_addr, &topology), "%s: sent to %s, nobody the gateway knows",
			where, tb_ip_str(ip->dst_addr, a));
	dmac = mac_of(ip->dst_addr);
	FZ_ASSERT(!op.clean_l2 || !topology || rte_is_same_ether_addr(&eth->dst_addr, &dmac),
			"%s: to %s at another MAC", where, tb_ip_str(ip->dst_addr, a));
	if (p == P1 && topology)
		remember(ip, b + l2 + (ip->version_ihl & 0xfu) * 4u,
				rte_be_to_cpu_16(ip->total_length) - (ip->version_ihl & 0xfu) * 4u);
}

/* ---- operations ---- */

/* Frames of one operation, sent to worker wid as one burst. */
static void
send_frames(struct tb_frame *fr, unsigned int n, unsigned int wid, bool exact)
{
	struct rte_mbuf *m[FLOOD_MAX];

	for (unsigned int i = 0; i < n; i++) {
		note_in(fr[i].b, fr[i].len);
		m[i] = exact ? ng_test_mbuf_exact(gw.pool, fr[i].b, fr[i].len) :
				tb_mbuf(gw.pool, &fr[i], gw.port_id[fr[i].port]);
		FZ_ASSERT(m[i] != NULL, "no mbuf for frame %u of %u", i, n);
		m[i]->port = gw.port_id[fr[i].port];
	}
	ng_worker_process_at(gw.dp->workers[wid], m, (uint16_t)n, now);
}

/* Up to 3 byte changes over a built frame, then its checksums made right again or not. */
static void
mutate(struct fz *f, struct tb_frame *fr)
{
	unsigned int n = fz_pick(f, 4);

	for (unsigned int i = 0; i < n; i++) {
		unsigned int off = fz_u8(f) % fr->len;

		fr->b[off] = fz_u8(f);
		op.clean_l2 = false;
	}
	if (n > 0 && (fz_u8(f) & 1))
		fix_cksums(fr);
}

/* A TCP, UDP or ICMP packet src:sport -> dst:dport arriving on port from mac_of(src). */
static void
build_l4(struct tb_frame *fr, uint8_t port, uint8_t proto, uint32_t src, uint16_t sport,
		uint32_t dst, uint16_t dport, uint8_t flags, uint32_t seq, uint16_t payload)
{
	struct rte_ether_addr smac = mac_of(src);

	tb_eth(fr, &gw.port_mac[port], &smac, TB_NO_VLAN, RTE_ETHER_TYPE_IPV4);
	fr->port = port;
	if (proto == IPPROTO_TCP)
		tb_tcp(fr, src, sport, dst, dport, flags, seq, seq ^ 0x5a5a5a5a, payload);
	else if (proto == IPPROTO_UDP)
		tb_udp(fr, src, sport, dst, dport, payload, flags & 1);
	else if (flags & 1)
		tb_icmp(fr, src, dst, RTE_IP_ICMP_ECHO_REQUEST, 0, payload);
	else
		tb_icmp(fr, src, dst, flags >> 1, (uint8_t)seq & 0xf, payload);
}

static void
op_client(struct fz *f)
{
	const struct target *t = &targets[fz_pick(f, n_targets)];
	uint8_t ctl = fz_u8(f), c = fz_u8(f), flags = fz_u8(f);
	static const uint8_t other[] = {IPPROTO_UDP, IPPROTO_TCP};
	uint8_t proto = (ctl & 3) < 2 ? t->proto : (ctl & 3) == 2 ?
			other[t->proto == IPPROTO_UDP] : IPPROTO_ICMP;
	struct tb_frame fr;

	build_l4(&fr, ctl & 8 ? P1 : P0, proto, client_addr(c & 3), (uint16_t)(40000 + (c >> 2)),
			t->addr, t->port, flags, (uint32_t)fz_u16(f) << 12, (uint16_t)(ctl >> 4) * 8);
	mutate(f, &fr);
	send_frames(&fr, 1, (ctl >> 2) & 1, false);
}

static void
op_reply(struct fz *f)
{
	uint8_t ctl = fz_u8(f), flags = fz_u8(f);
	const struct seen *s;
	struct tb_frame fr;

	if (n_seen == 0)
		return;
	s = &seen[ctl % n_seen];
	build_l4(&fr, P1, s->proto, s->be, s->bport, s->dst, s->dport, flags,
			(uint32_t)fz_u16(f) << 12, (uint16_t)(ctl >> 5) * 16);
	mutate(f, &fr);
	send_frames(&fr, 1, (ctl >> 4) & 1, false);
}

static void
op_raw(struct fz *f)
{
	static const uint16_t types[] = {RTE_ETHER_TYPE_IPV4, RTE_ETHER_TYPE_ARP,
		RTE_ETHER_TYPE_IPV6, RTE_ETHER_TYPE_VLAN};
	static const struct rte_ether_addr bcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
	uint8_t ctl = fz_u8(f), len = fz_u8(f);
	struct rte_ether_addr smac = mac_of(client_addr(0));
	uint16_t type = (ctl >> 2) < RTE_DIM(types) ? types[ctl >> 2] : fz_u16(f);
	uint8_t port = ctl & 1;
	struct tb_frame fr;

	tb_eth(&fr, ctl & 2 ? &bcast : &gw.port_mac[port], &smac, TB_NO_VLAN, type);
	fr.port = port;
	for (unsigned int i = 0; i < len; i++)
		fr.b[fr.len++] = fz_u8(f);
	op.clean_l2 = false;
	send_frames(&fr, 1, ctl >> 7, true);
}

/* One IPv6 fragment of the datagram at dg (l4 bytes): data [off, off + len), M as mf. */
static void
frag6_frame(struct tb_frame *fr, const uint8_t *dg, uint16_t off, uint16_t len, bool mf,
		uint32_t id)
{
	struct rte_ether_addr smac = mac_of(client_addr(0));
	struct rte_ipv6_fragment_ext *fh;
	struct rte_ipv6_hdr *ip;

	tb_eth(fr, &gw.port_mac[P0], &smac, TB_NO_VLAN, RTE_ETHER_TYPE_IPV6);
	fr->port = P0;
	ip = (struct rte_ipv6_hdr *)&fr->b[fr->len];
	memset(ip, 0, sizeof(*ip));
	ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
	ip->payload_len = rte_cpu_to_be_16((uint16_t)(sizeof(*fh) + len));
	ip->proto = IPPROTO_FRAGMENT;
	ip->hop_limits = 64;
	memcpy(ip->src_addr, CLIENT6, 16);
	memcpy(ip->dst_addr, VIP6, 16);
	fh = (struct rte_ipv6_fragment_ext *)(ip + 1);
	fh->next_header = IPPROTO_UDP;
	fh->reserved = 0;
	fh->frag_data = rte_cpu_to_be_16((uint16_t)(off | (mf ? RTE_IPV6_EHDR_MF_MASK : 0)));
	fh->id = id;
	memcpy(fh + 1, dg + off, len);
	fr->len = (uint16_t)(fr->len + sizeof(*ip) + sizeof(*fh) + len);
}

static void
op_frag6(struct fz *f)
{
	static uint8_t dg[FRAG6_MAX * 192];
	uint8_t ctl = fz_u8(f), c = fz_u8(f);
	unsigned int n = 2 + fz_pick(f, FRAG6_MAX - 1), chunk = 8 * (1 + fz_pick(f, 24));
	uint16_t l4 = (uint16_t)(chunk * (n - 1) + 1 + fz_pick(f, chunk));
	uint32_t id = rte_cpu_to_be_32(fz_u16(f));
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)dg;
	struct rte_ipv6_hdr ip = {.proto = IPPROTO_UDP};

	if (l4 < sizeof(*uh) + 20)
		l4 = (uint16_t)(sizeof(*uh) + 20);
	uh->src_port = rte_cpu_to_be_16((uint16_t)(40000 + c));
	uh->dst_port = rte_cpu_to_be_16(53);
	uh->dgram_len = rte_cpu_to_be_16(l4);
	uh->dgram_cksum = 0;
	for (unsigned int i = sizeof(*uh); i < l4; i++)
		dg[i] = (uint8_t)(i * 13 + c);
	ip.payload_len = uh->dgram_len;
	memcpy(ip.src_addr, CLIENT6, 16);
	memcpy(ip.dst_addr, VIP6, 16);
	uh->dgram_cksum = rte_ipv6_udptcp_cksum(&ip, uh);
	for (unsigned int k = 0; k < n; k++) {
		unsigned int i = ctl & 1 ? n - 1 - k : k;
		uint8_t how = fz_u8(f);
		uint16_t off = (uint16_t)(i * chunk), len;
		struct tb_frame fr;

		if (off >= l4)
			break;
		len = (uint16_t)RTE_MIN(chunk, (unsigned int)(l4 - off));
		if (how & 1)
			continue; /* missing */
		if ((how & 6) == 6 && off >= 8)
			off = (uint16_t)(off - 8); /* an overlap */
		frag6_frame(&fr, dg, off, len, off + len < l4, id);
		send_frames(&fr, 1, (how >> 3) & 1, false);
		if (how & 0x10)
			send_frames(&fr, 1, (how >> 5) & 1, false); /* a duplicate */
	}
}

static void
op_time(struct fz *f)
{
	static const uint64_t unit_ms[] = {1, 100, 1000};
	uint64_t ms = unit_ms[fz_pick(f, RTE_DIM(unit_ms))] * fz_u16(f);

	now += ms * hz / 1000;
}

/* The control core's periodic work, at the workers' clock where it reads one. */
static void
op_control(struct fz *f)
{
	uint32_t budget = fz_u8(f) & 1 ? gw.dp->ct_expire_budget : 2 * CT_CAP;

	for (unsigned int i = 0; i < NW; i++)
		ng_ct_expire(gw.dp->workers[i]->ct, now, budget);
	ng_dp_ctl_poll(gw.dp);
	ng_svc_poll();
}

static void
svc_update(const struct base_svc *b, struct fz *f, unsigned int what)
{
	struct ng_svc_view v;
	struct ng_svc_spec s;

	if (ng_svc_get(b->name, &v) != 0)
		return;
	s = *v.spec;
	if (what == 0)
		s.affinity = !s.affinity;
	else if (what == 1)
		s.mode = (enum ng_fwd_mode)fz_pick(f, 3);
	else if (b->proto == IPPROTO_TCP)
		s.timeouts.tcp_established = s.timeouts.tcp_time_wait = 1 + fz_pick(f, 10);
	else
		s.timeouts.udp = 1 + fz_pick(f, 10);
	ng_svc_update(&s, err, sizeof(err)); /* refusals leave it as it was */
}

static void
op_rules(struct fz *f)
{
	static const uint32_t weights[] = {0, 1, 2, 7, 100};
	unsigned int what = fz_pick(f, 7);
	const struct base_svc *b = &BASE[fz_pick(f, N_BASE)];
	struct ng_ip a = {.family = AF_INET, .v4 = be_addr(fz_pick(f, N_BE))};

	switch (what) {
	case 0:
		ng_svc_backend_set(b->name, &a, b->bport, weights[fz_pick(f, RTE_DIM(weights))],
				err, sizeof(err));
		break;
	case 1:
		ng_svc_backend_del(b->name, &a, b->bport, err, sizeof(err));
		break;
	case 2:
		ng_svc_del(b->name, err, sizeof(err));
		break;
	case 3:
		svc_base_add(b); /* refused while it exists */
		break;
	default:
		svc_update(b, f, what - 4);
		break;
	}
	rules_dirty = true;
	FZ_ASSERT(ng_svc_commit(err, sizeof(err)) == 0, "commit: %s", err);
}

static void
op_flood(struct fz *f)
{
	static struct tb_frame fr[FLOOD_MAX];
	static const uint8_t flags[] = {RTE_TCP_SYN_FLAG, RTE_TCP_ACK_FLAG, 1};
	unsigned int n = 1 + fz_pick(f, FLOOD_MAX), kind = fz_pick(f, 3);
	const struct target *t = &targets[fz_pick(f, n_targets)];
	uint8_t c = fz_u8(f);
	uint16_t base = fz_u16(f);

	for (unsigned int i = 0; i < n; i++)
		build_l4(&fr[i], P0, kind == 2 ? IPPROTO_UDP : IPPROTO_TCP, client_addr(c & 3),
				(uint16_t)(base + i), t->addr, t->port, flags[kind], 1000u * i, 0);
	send_frames(fr, n, (c >> 2) & 1, false);
}

/* The unresolved backend answers the gateway's ARP request. */
static void
op_arp(struct fz *f)
{
	uint32_t be = be_addr(UNRESOLVED_BE);
	struct rte_ether_addr mac = mac_of(be);
	struct tb_frame fr;

	tb_eth(&fr, &gw.port_mac[P1], &mac, TB_NO_VLAN, RTE_ETHER_TYPE_ARP);
	tb_arp(&fr, RTE_ARP_OP_REPLY, &mac, be, &gw.port_mac[P1], GW1);
	fr.port = P1;
	send_frames(&fr, 1, fz_u8(f) & 1, false);
}

/* ---- properties after each operation ---- */

/*
 * Each worker's counters of this operation: every drop counted by reason went
 * through the drop stage, every packet that entered the graph left by one sink
 * (a packet the reply stage answers leaves twice: the answer and the drop),
 * what the sinks queued is there, and the redirect rings lost nothing. A
 * fragment may stay inside the reassembly (held, or chained into another's
 * datagram), the reassembly's discards count their reason without the
 * drop stage, and a reassembled datagram sent on as fragments leaves as more
 * packets than came in (an IPv6 one always: ip6-forward sends it no larger
 * than its largest fragment, perhaps on the flow owner's worker).
 */
static void
check_counters(void)
{
	uint64_t parse = 0, rtx = 0, rrx = 0, to_ctl = 0;

	for (unsigned int i = 0; i < NW; i++) {
		const struct ng_worker *w = gw.dp->workers[i];
		const struct ng_worker_stats *s = &w->stats;
		const struct ng_stage_stats *st = s->stage;
		uint64_t drops = 0, punted = 0, queued = 0, sinks, inside, made, discarded = 0;

		for (unsigned int p = 0; p < gw.n_ports; p++) {
			for (unsigned int r = 1; r < NG_DROP_MAX; r++)
				drops += s->port[p].drop[r];
			/* the reassembly's own discards: fragments it held (perhaps since
			 * an earlier operation) counted and freed without the drop stage */
			discarded += s->port[p].drop[NG_DROP_FRAG_TIMEOUT] +
					s->port[p].drop[NG_DROP_FRAG_TABLE_FULL] +
					s->port[p].drop[NG_DROP_FRAG_OVERLAP] +
					s->port[p].drop[NG_DROP_FRAG_TOO_MANY];
			punted += s->port[p].punted;
			queued += w->tx[p].n;
			FZ_ASSERT(s->port[p].tx == 0, "worker %u flushed p%u unchecked", i, p);
		}
		/* A refusal counts its drop reason and leaves as the answer (the reply stage). */
		FZ_ASSERT(drops >= st[NG_STAGE_DROP].pkts &&
				drops <= st[NG_STAGE_DROP].pkts + st[NG_STAGE_REPLY].pkts + discarded,
				"worker %u: %" PRIu64 " drops counted, %" PRIu64 " through the drop "
				"stage, %" PRIu64 " answered", i, drops, st[NG_STAGE_DROP].pkts,
				st[NG_STAGE_REPLY].pkts);
		FZ_ASSERT(queued == st[NG_STAGE_OUTPUT].pkts, "worker %u: %" PRIu64 " frames queued, "
				"%" PRIu64 " through output", i, queued, st[NG_STAGE_OUTPUT].pkts);
		FZ_ASSERT(s->redirect_tx == st[NG_STAGE_REDIRECT_OUT].pkts,
				"worker %u: redirect counter and stage disagree", i);
		sinks = st[NG_STAGE_OUTPUT].pkts + st[NG_STAGE_REDIRECT_OUT].pkts +
				st[NG_STAGE_TO_CONTROL].pkts + st[NG_STAGE_DROP].pkts + punted;
		/* Fragments the reassembly took in and did not hand on as a datagram of
		 * their own: held in its table, or chained into another's datagram. */
		inside = s->reass.fragments - s->reass.reassembled;
		/* the packets its refragmenting added: fragments past each datagram's first */
		made = s->reass.fragments_out - s->reass.refragmented;
		FZ_ASSERT(sinks + inside >= st[NG_STAGE_PARSE].pkts &&
				sinks <= st[NG_STAGE_PARSE].pkts + st[NG_STAGE_REPLY].pkts + made,
				"worker %u: %" PRIu64 " packets in, %" PRIu64 " out of the sinks "
				"(%" PRIu64 " answered, %" PRIu64 " fragments in reassembly, %" PRIu64
				" made by refragmenting)", i, st[NG_STAGE_PARSE].pkts, sinks,
				st[NG_STAGE_REPLY].pkts, inside, made);
		parse += st[NG_STAGE_PARSE].pkts;
		rtx += s->redirect_tx;
		rrx += s->redirect_rx;
		to_ctl += st[NG_STAGE_TO_CONTROL].pkts;
	}
	FZ_ASSERT(rtx == rrx, "%" PRIu64 " packets redirected, %" PRIu64 " taken", rtx, rrx);
	FZ_ASSERT(parse == op.n_in + rrx, "%" PRIu64 " packets parsed, %u sent and %" PRIu64
			" redirected", parse, op.n_in, rrx);
	FZ_ASSERT(rte_ring_count(gw.dp->ctl_ring) == to_ctl, "%u on the control ring, %" PRIu64
			" sent there", rte_ring_count(gw.dp->ctl_ring), to_ctl);
}

/* What the control core queued for the workers to send (released, ARP requests). */
static void
check_inject(void)
{
	for (unsigned int i = 0; i < NW; i++) {
		struct rte_mbuf *m;

		while (rte_ring_dequeue(gw.dp->workers[i]->inject, (void **)&m) == 0) {
			check_out(m, ng_port_dp[ng_mbuf_priv(m)->out_port].idx, "control core");
			rte_pktmbuf_free(m);
		}
	}
}

static void
op_end(void)
{
	struct ng_neigh_stats ns;
	uint64_t reass_bytes;
	uint32_t reass_used, reass_held;

	/* Redirected packets through their owner, as the loop does (again for a hand-back). */
	for (unsigned int round = 0; round < 4; round++) {
		unsigned int n = 0;

		for (unsigned int i = 0; i < NW; i++)
			n += ng_worker_drain_redirect_at(gw.dp->workers[i], now);
		if (n == 0)
			break;
	}
	check_counters();
	for (unsigned int i = 0; i < NW; i++)
		for (unsigned int p = 0; p < gw.n_ports; p++)
			for (unsigned int k = 0; k < gw.dp->workers[i]->tx[p].n; k++)
				check_out(gw.dp->workers[i]->tx[p].pkts[k], p, "worker");
	ng_dp_ctl_poll(gw.dp); /* the control ring: ARP, packets waiting for a neighbour */
	check_inject();
	ng_test_gw_release(&gw);
	ng_neigh_get_stats(gw.rt.neigh, &ns);
	unclean_waiting = ns.waiting > 0 && !op.clean;
	ng_dp_reass_info(gw.dp, &reass_bytes, &reass_used, &reass_held);
	FZ_ASSERT(ng_test_gw_in_use(&gw) == ns.waiting + reass_held, "%u mbufs in use, the "
			"neighbour table holds %u, the reassembly tables %u",
			ng_test_gw_in_use(&gw), ns.waiting, reass_held);
	for (unsigned int i = 0; i < NW; i++) {
		struct ng_dp_ct_info ct;

		ng_dp_worker_ct(gw.dp, i, &ct);
		FZ_ASSERT(ct.capacity >= CT_CAP && ct.used <= ct.capacity,
				"worker %u: %u connections in a table of %u", i, ct.used, ct.capacity);
	}
}

/* The same start for every input: the base ruleset, empty tables, .15 not learnt. */
static void
input_begin(void)
{
	struct ng_ip be = {.family = AF_INET, .v4 = be_addr(UNRESOLVED_BE)};

	if (rules_dirty)
		rules_reset();
	rules_dirty = false;
	now += 86400 * hz;
	for (unsigned int i = 0; i < NW; i++) {
		struct ng_ct *ct = gw.dp->workers[i]->ct;

		ng_ct_expire(ct, now, 2 * ct->cap);
		FZ_ASSERT(ct->n_used == 0, "worker %u: %u connections left a day later", i,
				ct->n_used);
	}
	ng_neigh_del(gw.rt.neigh, gw.port_id[P1], &be);
	ng_dp_ctl_poll(gw.dp);
	n_seen = seen_next = 0;
	start_now = now;
	for (unsigned int i = 0; i < NW; i++)
		base[i] = gw.dp->workers[i]->ct->stats;
}

/*
 * NG_FUZZ_VERBOSE set: what an input reached, per worker (to see that a seed
 * does what it says: evictions, TIME_WAIT reuse, expiry).
 */
static void
report(unsigned int n_ops)
{
	fprintf(stderr, "fuzz_datapath: %u ops, %.0f s simulated\n", n_ops,
			(double)(now - start_now) / (double)hz);
	for (unsigned int i = 0; i < NW; i++) {
		const struct ng_ct *ct = gw.dp->workers[i]->ct;
		const struct ng_ct_stats *s = &ct->stats;

		fprintf(stderr, "  worker %u: %u conns; created %" PRIu64 " expired %" PRIu64
				" reused_expired %" PRIu64 " evicted %" PRIu64 " (early %" PRIu64
				", closed %" PRIu64 ") deleted %" PRIu64 " insert_failed %" PRIu64 "\n",
				i, ct->n_used, s->created - base[i].created,
				s->expired - base[i].expired, s->reused_expired - base[i].reused_expired,
				s->evicted - base[i].evicted, s->early_dropped - base[i].early_dropped,
				s->evicted_closed - base[i].evicted_closed, s->deleted - base[i].deleted,
				s->insert_failed - base[i].insert_failed);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static void (*const ops[])(struct fz *f) = {
		op_client, op_reply, op_raw, op_time, op_control, op_rules, op_flood, op_arp,
		op_frag6,
	};
	struct fz f = {.p = data, .n = size};
	unsigned int k;

	input_begin();
	for (k = 0; k < MAX_OPS && f.n > 0; k++) {
		op_begin();
		ops[fz_pick(&f, RTE_DIM(ops))](&f);
		op_end();
	}
	if (verbose)
		report(k);
	return 0;
}
