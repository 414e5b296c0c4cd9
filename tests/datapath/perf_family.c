/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv6 against IPv4 through the worker's graph, in process: what
 * scripts/bench.sh's est-1k/est-1k-v6 and syn/syn-v6 compare, without the
 * PMDs, the generator or the other processes of a shared machine in the
 * figure. One worker on net_null ports (tests/lib's gateway); each family has
 * a TCP DNAT service (established flows, picked up mid-stream as est-1k's
 * are), a UDP FullNAT service and a TCP FullNAT service (SYNs), 64 backends
 * each (bench.sh's: 198.18.1.10 and 2001:db8:1::a up), all with static
 * neighbours.
 *
 *   perf_family [est|syn] [BURSTS] [BACKENDS]
 *
 * NG_PERF_HUGE=1 in the environment runs EAL on hugepages (a hugetlbfs mount
 * with 1 GiB free), as bench.sh runs nodegw; without it, 4 KiB pages, whose
 * TLB misses on the 64 MiB connection table add to every lookup.
 *
 * NG_PERF_FLUSH=1 takes each burst's TX flush (ng_worker_flush(), the
 * worker loop's tx stage; net_null frees the frames in it) into its cycles,
 * and the tx stage into the stages; without it the frames stay queued and
 * the test frees them, as before 2026-12-05 (issue 16/14, branch rxtx17).
 *
 * BACKENDS (1..64, default 64): fewer backends are fewer destinations for
 * the workers' IPv6 FIB and neighbour caches (16 was the figure before
 * 2026-12-05 in doc/benchmarks.md).
 *
 * est: 1,000 flows per family (half TCP ACKs, half UDP), every flow's
 * connection made first; syn: a SYN of a new flow per packet, into a table
 * filled first (each SYN evicts an entry, as in bench.sh's syn). The bursts
 * (32 packets) of the two families alternate (IPv4, IPv6, IPv4, ...) so that
 * whatever else the CPU does hits both; each burst's TSC cycles are taken
 * around ng_worker_process(), and a burst the scheduler interrupted is an
 * outlier the percentiles leave out. Prints per family the 10th percentile
 * and the median of cycles per packet, the stages' mean cycles per packet
 * over the bursts at or under the median, and IPv6 / IPv4.
 * Exit status 0 unless the set-up fails or a packet is not forwarded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_tcp.h>

#include "ng_test_frame6.h"
#include "ng_test_gw.h"
#include "svc.h"

#define BURST 32
#define N_BE_MAX 64
#define CT_ENTRIES (1u << 19)
#define EST_FLOWS 1000
#define P0 0
#define P1 1

static struct ng_test_gw gw;
static unsigned int n_be = N_BE_MAX;
/* NG_PERF_FLUSH=1: each burst's TX flush (net_null frees the frames) in its cycles */
static bool flush;
static char err[NG_ERRBUF];
static const struct rte_ether_addr peer_mac = {{0x02, 0x00, 0x00, 0x00, 0x17, 0x02}};

static const uint8_t VIP6[16] = {0x20, 0x01, 0x0d, 0xb8, 0x01, 0x00, [15] = 0x10};
#define VIP4 tb_ip(198, 19, 0, 10)

static void
die(const char *what)
{
	fprintf(stderr, "perf_family: %s: %s\n", what, err);
	exit(1);
}

static struct ng_ip
be_addr(int fam, unsigned int i)
{
	struct ng_ip a;

	memset(&a, 0, sizeof(a));
	if (fam == 4) {
		a.family = AF_INET;
		a.v4 = tb_ip(198, 18, 1, (uint8_t)(10 + i));
	} else {
		static const uint8_t base[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1};

		a.family = AF_INET6;
		memcpy(a.v6, base, 16);
		a.v6[15] = (uint8_t)(10 + i);
	}
	return a;
}

static void
service(const char *name, int fam, uint8_t proto, uint16_t port, enum ng_fwd_mode mode)
{
	struct ng_svc_spec s;
	struct ng_frontend fe = {.port = port};

	memset(&s, 0, sizeof(s));
	snprintf(s.name, sizeof(s.name), "%s", name);
	s.proto = proto;
	s.scheduler = NG_SCHED_MAGLEV;
	s.mode = mode;
	if (fam == 4) {
		fe.addr.family = AF_INET;
		fe.addr.v4 = VIP4;
	} else {
		fe.addr.family = AF_INET6;
		memcpy(fe.addr.v6, VIP6, 16);
	}
	if (ng_svc_add(&s, err, sizeof(err)) != 0 ||
			ng_svc_frontend_add(name, &fe, err, sizeof(err)) != 0)
		die(name);
	for (unsigned int i = 0; i < n_be; i++) {
		struct ng_ip a = be_addr(fam, i);

		if (ng_svc_backend_set(name, &a, 8080, 1, err,
				sizeof(err)) != 0)
			die(name);
	}
}

static void
setup(void)
{
	struct ng_test_gw_opts o = {
		.name = "perf_family", .n_ports = 2,
		.addrs = {"198.18.0.1/24,2001:db8::1/64", "198.18.1.1/24,2001:db8:1::1/64"},
		.n_workers = 1, .mem_mb = 1024, .mbufs = 4096, .ct_entries = CT_ENTRIES,
		.services = true,
		/* NG_PERF_HUGE=1: on hugepages, as bench.sh runs nodegw */
		.huge = getenv("NG_PERF_HUGE") != NULL && strcmp(getenv("NG_PERF_HUGE"), "1") == 0,
	};
	static const char *const name[2][3] = {{"est4", "udp4", "syn4"}, {"est6", "udp6", "syn6"}};

	if (ng_test_gw_up(&gw, &o) != 0)
		die(o.huge ? "gateway on hugepages (NG_PERF_HUGE=1 needs a hugetlbfs mount with "
				"1 GiB of free pages)" : "gateway");
	for (int f = 0; f < 2; f++) {
		for (unsigned int i = 0; i < n_be; i++) {
			struct ng_ip a = be_addr(f == 0 ? 4 : 6, i);

			if (ng_route_neigh_add(&gw.rt, &a, &peer_mac, "p1", err, sizeof(err)) != 0)
				die("neighbour");
		}
		service(name[f][0], f == 0 ? 4 : 6, IPPROTO_TCP, 80, NG_FWD_DNAT);
		service(name[f][1], f == 0 ? 4 : 6, IPPROTO_UDP, 53, NG_FWD_FULLNAT);
		service(name[f][2], f == 0 ? 4 : 6, IPPROTO_TCP, 81, NG_FWD_FULLNAT);
	}
	if (ng_svc_commit(err, sizeof(err)) != 0)
		die("commit");
	gw.dp->runtime_stats = true;
}

/* Flow i's frame: est (i even: TCP ACK to :80, odd: UDP to :53) or a SYN to :81. */
static void
frame(struct tb_frame *f, int fam, bool syn, uint32_t i)
{
	uint16_t sport = (uint16_t)(1024 + i / 16384);

	if (fam == 4) {
		uint32_t src = rte_cpu_to_be_32(rte_be_to_cpu_32(tb_ip(198, 18, 64, 0)) + i % 16384);

		tb_eth(f, &gw.port_mac[P0], &peer_mac, TB_NO_VLAN, RTE_ETHER_TYPE_IPV4);
		if (syn)
			tb_tcp(f, src, sport, VIP4, 81, RTE_TCP_SYN_FLAG, i, 0, 0);
		else if (i % 2 == 0)
			tb_tcp(f, src, sport, VIP4, 80, RTE_TCP_ACK_FLAG, 1, 1, 6);
		else
			tb_udp(f, src, sport, VIP4, 53, 18, true);
	} else {
		uint8_t src[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0x64, [13] = 1};

		src[14] = (uint8_t)((i % 16384) >> 8);
		src[15] = (uint8_t)(i % 16384);
		tb_eth(f, &gw.port_mac[P0], &peer_mac, TB_NO_VLAN, RTE_ETHER_TYPE_IPV6);
		if (syn)
			tb_tcp6(f, src, sport, VIP6, 81, RTE_TCP_SYN_FLAG, i, 0, 0);
		else if (i % 2 == 0)
			tb_tcp6(f, src, sport, VIP6, 80, RTE_TCP_ACK_FLAG, 1, 1, 6);
		else
			tb_udp6(f, src, sport, VIP6, 53, 18);
	}
	f->port = P0;
}

struct side {
	int fam;
	uint32_t next;            /* next flow index */
	uint64_t *cyc;            /* by burst */
	uint64_t *stage;          /* by burst and stage */
	uint64_t forwarded, sent;
};

/* One burst of side s: its cycles, and each stage's. */
static void
one_burst(struct side *s, bool syn, unsigned int k)
{
	struct ng_worker *w = gw.dp->workers[0];
	struct rte_mbuf *m[BURST];
	uint64_t st0[NG_STAGE_MAX], t0, t1;
	uint16_t fwd;

	for (unsigned int j = 0; j < BURST; j++) {
		struct tb_frame f;

		frame(&f, s->fam, syn, syn ? s->next++ : s->next++ % EST_FLOWS);
		m[j] = tb_mbuf(gw.pool, &f, gw.port_id[P0]);
	}
	for (unsigned int x = 0; x < NG_STAGE_MAX; x++)
		st0[x] = w->stats.stage[x].cycles;
	t0 = rte_rdtsc_precise();
	ng_worker_process(w, m, BURST);
	fwd = w->tx[P1].n;
	if (flush)
		ng_worker_flush(w);
	t1 = rte_rdtsc_precise();
	s->cyc[k] = t1 - t0;
	for (unsigned int x = 0; x < NG_STAGE_MAX; x++)
		s->stage[(size_t)k * NG_STAGE_MAX + x] = w->stats.stage[x].cycles - st0[x];
	s->sent += BURST;
	s->forwarded += fwd;
	ng_test_gw_release(&gw);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The q-quantile of n burst cycles, per packet. */
static double
quantile(const uint64_t *cyc, unsigned int n, double q)
{
	uint64_t *c = malloc(n * sizeof(*c));
	double v;

	memcpy(c, cyc, n * sizeof(*c));
	qsort(c, n, sizeof(*c), cmp_u64);
	v = (double)c[(unsigned int)(q * (n - 1))] / BURST;
	free(c);
	return v;
}

static void
report(const struct side *s, unsigned int n, double med, double *stage_pp)
{
	unsigned int used = 0;

	memset(stage_pp, 0, NG_STAGE_MAX * sizeof(*stage_pp));
	for (unsigned int k = 0; k < n; k++) {
		if ((double)s->cyc[k] / BURST > med)
			continue;
		used++;
		for (unsigned int x = 0; x < NG_STAGE_MAX; x++)
			stage_pp[x] += (double)s->stage[(size_t)k * NG_STAGE_MAX + x] / BURST;
	}
	for (unsigned int x = 0; x < NG_STAGE_MAX; x++)
		stage_pp[x] /= used ? used : 1;
}

int
main(int argc, char **argv)
{
	bool syn = argc > 1 && strcmp(argv[1], "syn") == 0;
	unsigned int n = argc > 2 ? (unsigned int)atoi(argv[2]) : 2000;
	int nb = argc > 3 ? atoi(argv[3]) : N_BE_MAX;
	struct side sd[2] = {{.fam = 4}, {.fam = 6}};
	double p10[2], p50[2], stg[2][NG_STAGE_MAX];
	int rc = 0;

	if (n < 10 || n > 100000 || nb < 1 || nb > N_BE_MAX ||
			(argc > 1 && !syn && strcmp(argv[1], "est") != 0)) {
		fprintf(stderr, "usage: perf_family [est|syn] [BURSTS 10..100000] [BACKENDS 1..%d]\n",
				N_BE_MAX);
		return 2;
	}
	n_be = (unsigned int)nb;
	flush = getenv("NG_PERF_FLUSH") != NULL && strcmp(getenv("NG_PERF_FLUSH"), "1") == 0;
	setup();
	for (int f = 0; f < 2; f++) {
		sd[f].cyc = calloc(n, sizeof(uint64_t));
		sd[f].stage = calloc((size_t)n * NG_STAGE_MAX, sizeof(uint64_t));
		if (sd[f].cyc == NULL || sd[f].stage == NULL)
			return 1;
	}
	if (!syn) /* every flow's connection first (and warm caches) */
		for (unsigned int k = 0; k < 2 * EST_FLOWS / BURST + 2; k++)
			for (int f = 0; f < 2; f++)
				one_burst(&sd[f], false, 0);
	/* syn: fill the table first, as bench.sh's SYN flood does within its
	 * first windows, so that every SYN measured evicts one (the steady state)
	 * and none pays the first touch of its entry's page (a page fault, over
	 * a thousand cycles a connection in an empty table) */
	if (syn)
		for (unsigned int k = 0; k < CT_ENTRIES / BURST / 2 + 2; k++)
			for (int f = 0; f < 2; f++)
				one_burst(&sd[f], true, 0);
	for (int f = 0; f < 2; f++)
		sd[f].forwarded = sd[f].sent = 0;
	for (unsigned int k = 0; k < n; k++)
		for (int f = 0; f < 2; f++)
			one_burst(&sd[(k + f) % 2], syn, k); /* IPv4 first on even bursts */
	printf("%s, %u bursts of %d per family, alternated, %u backends; TSC %.3f GHz\n",
			syn ? "syn" : "est", n, BURST, n_be, rte_get_tsc_hz() / 1e9);
	for (int f = 0; f < 2; f++) {
		p10[f] = quantile(sd[f].cyc, n, 0.1);
		p50[f] = quantile(sd[f].cyc, n, 0.5);
		report(&sd[f], n, p50[f], stg[f]);
		printf("IPv%d: cycles/pkt p10 %.0f, median %.0f; forwarded %lu of %lu\n", sd[f].fam,
				p10[f], p50[f], (unsigned long)sd[f].forwarded,
				(unsigned long)sd[f].sent);
		if (sd[f].forwarded != sd[f].sent)
			rc = 1;
	}
	printf("IPv6 / IPv4: p10 %.3f, median %.3f\n", p10[1] / p10[0], p50[1] / p50[0]);
	printf("stages, mean cycles/pkt over the bursts at or under the median:\n");
	for (unsigned int x = 0; x < NG_STAGE_MAX; x++)
		if (stg[0][x] >= 0.5 || stg[1][x] >= 0.5)
			printf("  %-12s IPv4 %6.1f  IPv6 %6.1f\n", ng_stage_name(x), stg[0][x],
					stg[1][x]);
	for (int f = 0; f < 2; f++) {
		free(sd[f].cyc);
		free(sd[f].stage);
	}
	if (ng_test_gw_down(&gw) != 0)
		rc = 1;
	return rc;
}
