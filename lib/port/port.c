/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_bus.h>
#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mbuf_pool_ops.h>
#include <rte_memzone.h>

#include "ng_log.h"
#include "ng_mem.h"
#include "pkt.h"
#include "port.h"

struct ng_port_dp ng_port_dp[RTE_MAX_ETHPORTS];

static struct ng_port ports[NG_MAX_PORTS];
static unsigned int n_ports;

_Static_assert(NG_MAX_PORTS <= 32, "ng_port_poll() returns a 32-bit mask of ports");

#define LINK_POLL_MS 100
#define POOL_POLL_MS 1

/* What ng_port_poll() watches: the pool and when it looks next. */
static struct {
	struct rte_mempool *mp;
	unsigned int lcores[RTE_MAX_LCORE];
	unsigned int n_workers;
	struct ng_port_pool_info info;
	uint64_t since_tsc;   /* start of the current exhaustion */
	uint64_t next_pool_tsc;
	uint64_t next_link_tsc;
	int ioctl_fd;         /* for the flags of kernel interfaces; 0: not open yet */
} W;

uint32_t
ng_port_pool_size(const struct ng_conf *c, unsigned int n_workers)
{
	uint64_t n = 0;

	if (c->mempool.mbufs != 0)
		return c->mempool.mbufs;
	for (unsigned int i = 0; i < c->n_ports; i++) {
		n += (uint64_t)c->ports[i].rx_queues * c->ports[i].rx_desc +
				(uint64_t)n_workers * c->ports[i].tx_desc;
		/* a kernel twin's queue pair, and its frames on punt and inject rings */
		if (c->ports[i].kernel.enabled)
			n += 2u * c->ports[i].kernel.queue_size + (uint64_t)n_workers * 64;
	}
	/* In flight in workers, mempool caches, TX buffers and neighbour queues. */
	n += (uint64_t)(n_workers + 1) * (c->workers.burst * 4 + c->mempool.cache);
	n += (uint64_t)c->n_ports * n_workers * 64;
	/* fragments held by the reassembly tables */
	if (c->reassembly.enabled)
		n += (uint64_t)n_workers * c->reassembly.max_held;
	n += 4096;
	if (n > (1u << 24))
		n = 1u << 24;
	return (uint32_t)n;
}

static void
pool_mz_free(struct rte_mempool_memhdr *memhdr, void *opaque)
{
	(void)memhdr;
	rte_memzone_free(opaque);
}

/*
 * The pool's objects in one memzone whose pages are faulted in at once before
 * the objects are written: on --no-huge memory, writing each mbuf's header
 * first took a page fault per 4 KiB page, about half of the pool's start-up
 * cost (doc/architecture.md, "The start-up"). Where no IOVA-contiguous memzone
 * that large is free, the pool is populated the default way (in chunks).
 */
static int
pool_populate(struct rte_mempool *mp)
{
	char name[RTE_MEMZONE_NAMESIZE];
	const struct rte_memzone *mz;
	size_t pg_sz, min_chunk, align;
	ssize_t len;
	int rc;

	/* The sizes rte_mempool_populate_default() would ask for (the ring and
	 * stack drivers' calc_mem_size), for one chunk. */
	rc = rte_mempool_get_page_size(mp, &pg_sz);
	if (rc < 0)
		return rc;
	len = rte_mempool_op_calc_mem_size_default(mp, mp->size,
			pg_sz == 0 ? 0 : rte_bsf64(pg_sz), &min_chunk, &align);
	if (len < 0)
		return (int)len;
	snprintf(name, sizeof(name), "%s_objs", mp->name);
	mz = rte_memzone_reserve_aligned(name, (size_t)len, mp->socket_id,
			RTE_MEMZONE_IOVA_CONTIG, RTE_MAX(align, (size_t)RTE_CACHE_LINE_SIZE));
	if (mz == NULL)
		return rte_mempool_populate_default(mp);
	ng_mem_populate(mz->addr, mz->len);
	rc = rte_mempool_populate_iova(mp, mz->addr, mz->iova, mz->len, pool_mz_free,
			(void *)(uintptr_t)mz);
	if (rc < 0) {
		rte_memzone_free(mz);
		return rc;
	}
	return mp->populated_size == mp->size ? 0 : -ENOSPC;
}

/* rte_pktmbuf_pool_create() in its steps, with pool_populate() for the memory. */
struct rte_mempool *
ng_port_pool_create(const struct ng_conf *c, unsigned int n_workers)
{
	uint32_t n = ng_port_pool_size(c, n_workers);
	struct rte_pktmbuf_pool_private priv = {.mbuf_priv_size = NG_MBUF_PRIV_SIZE};
	uint16_t mtu = RTE_ETHER_MTU;
	struct rte_mempool *mp;
	uint32_t room;
	int rc;

	for (unsigned int i = 0; i < c->n_ports; i++)
		if (c->ports[i].mtu > mtu)
			mtu = c->ports[i].mtu;
	room = RTE_PKTMBUF_HEADROOM + mtu + RTE_ETHER_HDR_LEN + 2 * RTE_VLAN_HLEN +
			RTE_ETHER_CRC_LEN;
	if (room < RTE_MBUF_DEFAULT_BUF_SIZE)
		room = RTE_MBUF_DEFAULT_BUF_SIZE;
	priv.mbuf_data_room_size = (uint16_t)room;
	mp = rte_mempool_create_empty("ng_pkts", n, sizeof(struct rte_mbuf) + NG_MBUF_PRIV_SIZE +
			room, c->mempool.cache, sizeof(priv), (int)rte_socket_id(), 0);
	if (mp == NULL)
		return NULL;
	rc = rte_mempool_set_ops_byname(mp, rte_mbuf_best_mempool_ops(), NULL);
	if (rc == 0) {
		rte_pktmbuf_pool_init(mp, &priv);
		rc = pool_populate(mp);
	}
	if (rc < 0) {
		rte_mempool_free(mp);
		rte_errno = -rc;
		return NULL;
	}
	rte_mempool_obj_iter(mp, rte_pktmbuf_init, NULL);
	return mp;
}

void
ng_port_pool_watch(struct rte_mempool *mp, const unsigned int *lcores, unsigned int n_workers,
		uint32_t burst)
{
	memset(&W.info, 0, sizeof(W.info));
	W.mp = mp;
	W.n_workers = RTE_MIN(n_workers, (unsigned int)RTE_DIM(W.lcores));
	if (lcores != NULL)
		memcpy(W.lcores, lcores, sizeof(W.lcores[0]) * W.n_workers);
	W.info.size = mp != NULL ? mp->size : 0;
	W.info.burst = burst;
	W.next_pool_tsc = 0;
}

static uint32_t
cache_len(unsigned int lcore)
{
	const struct rte_mempool_cache *c = rte_mempool_default_cache(W.mp, lcore);

	return c != NULL ? __atomic_load_n(&c->len, __ATOMIC_RELAXED) : 0;
}

/*
 * A worker takes mbufs from its lcore cache, then from the common store; the
 * other lcores' caches are out of its reach. The common store is what the
 * pool has available minus every cache.
 */
static void
pool_sample(uint64_t now)
{
	struct ng_port_pool_info *in = &W.info;
	uint32_t avail = rte_mempool_avail_count(W.mp), common = avail, least = UINT32_MAX;
	unsigned int lc, starving = 0;

	RTE_LCORE_FOREACH(lc)
		common -= RTE_MIN(common, cache_len(lc));
	for (unsigned int i = 0; i < W.n_workers; i++) {
		uint32_t at_hand = common + cache_len(W.lcores[i]);

		if (at_hand < least) {
			least = at_hand;
			starving = i;
		}
	}
	in->in_use = in->size - RTE_MIN(avail, in->size);
	in->max_in_use = RTE_MAX(in->max_in_use, in->in_use);
	if (!in->exhausted && least < in->burst) {
		in->exhausted = true;
		in->exhausted_events++;
		W.since_tsc = now;
		NG_LOG(WARNING, PORT, "mbuf pool exhausted: %u of %u mbufs in use; worker %u has "
				"%u at hand, less than a burst (%u)", in->in_use, in->size, starving,
				least, in->burst);
	} else if (in->exhausted && least >= 2 * in->burst) {
		/* Twice a burst to end it, so that a pool on the edge logs once. */
		in->exhausted = false;
		in->exhausted_ns += (now - W.since_tsc) * NS_PER_S / rte_get_tsc_hz();
		NG_LOG(NOTICE, PORT, "mbuf pool recovered after %.1f ms: %u of %u mbufs in use",
				(double)(now - W.since_tsc) * 1e3 / (double)rte_get_tsc_hz(),
				in->in_use, in->size);
	}
}

void
ng_port_pool_info(struct ng_port_pool_info *out)
{
	if (W.mp != NULL)
		pool_sample(rte_get_tsc_cycles());
	*out = W.info;
	if (out->exhausted)
		out->exhausted_ns += (rte_get_tsc_cycles() - W.since_tsc) * NS_PER_S /
				rte_get_tsc_hz();
}

/* The kernel interface under a PMD is up and running (has a carrier); true when
 * it cannot be read, so that only a clear "down" counts. */
static bool
kernel_link_up(unsigned int if_index)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	if (W.ioctl_fd <= 0)
		W.ioctl_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (W.ioctl_fd < 0 || if_indextoname(if_index, ifr.ifr_name) == NULL ||
			ioctl(W.ioctl_fd, SIOCGIFFLAGS, &ifr) < 0)
		return true;
	return (ifr.ifr_flags & (IFF_UP | IFF_RUNNING)) == (IFF_UP | IFF_RUNNING);
}

/* Read the link; true when it came up (counted only when count). */
static bool
link_read(struct ng_port *p, uint64_t now, bool count)
{
	bool came_up = false;

	struct rte_eth_link link = {0};

	if (rte_eth_link_get_nowait(p->port_id, &link) != 0)
		return false;
	if (link.link_status && p->if_index != 0 && !kernel_link_up(p->if_index))
		link.link_status = RTE_ETH_LINK_DOWN;
	if (count && (link.link_status != 0) != p->link_up) {
		p->link_changes++;
		p->link_change_tsc = now;
		came_up = link.link_status != 0;
		if (link.link_status)
			NG_LOG(NOTICE, PORT, "port %s: link up (%u Mb/s), change %" PRIu64, p->name,
					link.link_speed, p->link_changes);
		else
			NG_LOG(WARNING, PORT, "port %s: link down, change %" PRIu64, p->name,
					p->link_changes);
	}
	p->link_up = link.link_status != 0;
	p->link_speed = link.link_speed == RTE_ETH_SPEED_NUM_UNKNOWN ? 0 : link.link_speed;
	return came_up;
}

uint32_t
ng_port_poll(void)
{
	uint64_t now = rte_get_tsc_cycles(), hz = rte_get_tsc_hz();
	uint32_t up = 0;

	if (W.mp != NULL && now >= W.next_pool_tsc) {
		W.next_pool_tsc = now + hz * POOL_POLL_MS / 1000;
		pool_sample(now);
	}
	if (now < W.next_link_tsc)
		return 0;
	W.next_link_tsc = now + hz * LINK_POLL_MS / 1000;
	for (unsigned int i = 0; i < n_ports; i++)
		if (link_read(&ports[i], now, true))
			up |= 1u << i;
	return up;
}

static int
fail(char *err, size_t errlen, const struct ng_conf_port *cp, int rc, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "port %s (%s): %s", cp->name, cp->devargs, msg);
	return rc < 0 ? rc : -EINVAL;
}

/* Find the ethdev a devargs string names; probe it when nobody has. */
static int
port_find_or_probe(const char *devargs, uint16_t *port_id, bool *probed)
{
	char name[RTE_DEV_NAME_MAX_LEN];
	struct rte_dev_iterator it;
	uint16_t pid;
	int rc;

	snprintf(name, sizeof(name), "%.*s", (int)strcspn(devargs, ","), devargs);
	*probed = false;
	if (rte_eth_dev_get_port_by_name(name, port_id) == 0)
		return 0;
	rc = rte_dev_probe(devargs);
	if (rc < 0 && rc != -EEXIST)
		return rc;
	*probed = rc == 0;
	if (rte_eth_dev_get_port_by_name(name, port_id) == 0)
		return 0;
	/* A PCI address in another spelling: ask the iterator. */
	RTE_ETH_FOREACH_MATCHING_DEV(pid, devargs, &it) {
		*port_id = pid;
		rte_eth_iterator_cleanup(&it);
		return 0;
	}
	return -ENODEV;
}

static int
port_open(const struct ng_conf_port *cp, uint16_t n_txq, struct rte_mempool *mp,
		struct ng_port *p, char *err, size_t errlen)
{
	struct rte_eth_conf conf = {0};
	struct rte_eth_dev_info info;
	uint16_t nb_rxd = cp->rx_desc, nb_txd = cp->tx_desc, mtu;
	int socket, rc;

	memset(p, 0, sizeof(*p));
	p->port_id = RTE_MAX_ETHPORTS; /* none yet */
	snprintf(p->name, sizeof(p->name), "%s", cp->name);
	snprintf(p->devargs, sizeof(p->devargs), "%s", cp->devargs);
	memcpy(p->addrs, cp->addrs, sizeof(p->addrs));
	p->n_addrs = cp->n_addrs;
	memcpy(p->fullnat, cp->fullnat, sizeof(p->fullnat));
	p->n_fullnat = cp->n_fullnat;

	rc = port_find_or_probe(cp->devargs, &p->port_id, &p->probed_here);
	if (rc < 0)
		return fail(err, errlen, cp, rc, "cannot probe the device: %s", strerror(-rc));
	rc = rte_eth_dev_info_get(p->port_id, &info);
	if (rc < 0)
		return fail(err, errlen, cp, rc, "cannot read device info: %s", strerror(-rc));
	snprintf(p->driver, sizeof(p->driver), "%s", info.driver_name);
	p->if_index = info.if_index;

	if (cp->rx_queues > info.max_rx_queues)
		return fail(err, errlen, cp, -EINVAL,
				"rx_queues %u exceeds the device's %u RX queues%s", cp->rx_queues,
				info.max_rx_queues,
				strstr(p->driver, "af_packet") ? " (set qpairs= in devargs)" : "");
	if (n_txq > info.max_tx_queues)
		return fail(err, errlen, cp, -EINVAL,
				"%u workers need %u TX queues, the device has %u%s", n_txq, n_txq,
				info.max_tx_queues,
				strstr(p->driver, "af_packet") ? " (set qpairs= in devargs)" : "");
	/* af_packet fans packets out to every socket it opened: none may go unpolled. */
	if (strstr(p->driver, "af_packet") && info.max_rx_queues != cp->rx_queues)
		return fail(err, errlen, cp, -EINVAL,
				"net_af_packet opened %u queue pairs but rx_queues is %u; "
				"they must be equal or packets land on unpolled queues",
				info.max_rx_queues, cp->rx_queues);

	p->nb_rxq = cp->rx_queues;
	p->nb_txq = n_txq;
	if (p->nb_rxq > 1 && info.flow_type_rss_offloads != 0) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP |
				RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
		p->rss = conf.rx_adv_conf.rss_conf.rss_hf != 0;
		if (!p->rss)
			conf.rxmode.mq_mode = RTE_ETH_MQ_RX_NONE;
	}
	if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_IPV4_CKSUM) {
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_IPV4_CKSUM;
		p->rx_ip_cksum = true;
	}
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;

	rc = rte_eth_dev_configure(p->port_id, p->nb_rxq, p->nb_txq, &conf);
	if (rc < 0)
		return fail(err, errlen, cp, rc, "configure failed: %s", strerror(-rc));
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(p->port_id, &nb_rxd, &nb_txd);
	if (rc < 0)
		return fail(err, errlen, cp, rc, "descriptor counts refused: %s", strerror(-rc));
	rc = rte_eth_dev_set_mtu(p->port_id, cp->mtu);
	if (rc < 0 && rte_eth_dev_get_mtu(p->port_id, &mtu) == 0 && mtu != cp->mtu)
		NG_LOG(WARNING, PORT, "port %s: cannot set MTU %u (%s); using %u", cp->name,
				cp->mtu, strerror(-rc), mtu);
	if (rte_eth_dev_get_mtu(p->port_id, &p->mtu) < 0)
		p->mtu = cp->mtu;
	if (p->mtu > cp->mtu)
		p->mtu = cp->mtu;

	socket = rte_eth_dev_socket_id(p->port_id);
	if (socket < 0)
		socket = (int)rte_socket_id();
	for (uint16_t q = 0; q < p->nb_rxq; q++) {
		struct rte_eth_rxconf rxc = info.default_rxconf;

		rxc.offloads = conf.rxmode.offloads;
		rc = rte_eth_rx_queue_setup(p->port_id, q, nb_rxd, (unsigned int)socket, &rxc, mp);
		if (rc < 0)
			return fail(err, errlen, cp, rc, "RX queue %u setup: %s", q, strerror(-rc));
	}
	for (uint16_t q = 0; q < p->nb_txq; q++) {
		struct rte_eth_txconf txc = info.default_txconf;

		txc.offloads = conf.txmode.offloads;
		rc = rte_eth_tx_queue_setup(p->port_id, q, nb_txd, (unsigned int)socket, &txc);
		if (rc < 0)
			return fail(err, errlen, cp, rc, "TX queue %u setup: %s", q, strerror(-rc));
	}
	rc = rte_eth_macaddr_get(p->port_id, &p->mac);
	if (rc < 0)
		return fail(err, errlen, cp, rc, "cannot read MAC: %s", strerror(-rc));
	rc = rte_eth_dev_start(p->port_id);
	if (rc < 0)
		return fail(err, errlen, cp, rc, "start failed: %s", strerror(-rc));
	p->started = true;
	return 0;
}

void
ng_ethdev_close(uint16_t port_id, bool started, bool remove)
{
	struct rte_eth_dev_info info;
	struct rte_device *dev = NULL;

	if (started)
		rte_eth_dev_stop(port_id);
	if (rte_eth_dev_info_get(port_id, &info) == 0)
		dev = info.device;
	rte_eth_dev_close(port_id);
	if (remove && dev != NULL)
		rte_dev_remove(dev);
}

static void
port_close(struct ng_port *p)
{
	ng_ethdev_close(p->port_id, p->started, p->probed_here);
	memset(&ng_port_dp[p->port_id], 0, sizeof(ng_port_dp[0]));
	p->started = false;
}

/* The port's first IPv4 and first IPv6 address: the sources of its ICMP errors. */
static void
port_dp_addrs(struct ng_port_dp *pd, const struct ng_port *p)
{
	pd->ip4 = 0;
	memset(pd->ip6, 0, sizeof(pd->ip6));
	for (unsigned int j = p->n_addrs; j-- > 0;) {
		if (p->addrs[j].addr.family == AF_INET)
			pd->ip4 = p->addrs[j].addr.v4;
		else
			memcpy(pd->ip6, p->addrs[j].addr.v6, sizeof(pd->ip6));
	}
}

int
ng_ports_init(const struct ng_conf *c, uint16_t n_txq, struct rte_mempool *mp, char *err,
		size_t errlen)
{
	char mac[RTE_ETHER_ADDR_FMT_SIZE];

	for (unsigned int i = 0; i < c->n_ports; i++) {
		struct ng_port *p = &ports[i];
		int rc = port_open(&c->ports[i], n_txq, mp, p, err, errlen);

		if (rc < 0) {
			/* Close the half-opened one too, if it got a port id. */
			if (p->port_id < RTE_MAX_ETHPORTS && rte_eth_dev_is_valid_port(p->port_id))
				port_close(p);
			ng_ports_fini();
			return rc;
		}
		n_ports = i + 1;
		(void)link_read(p, 0, false);
		ng_port_dp[p->port_id].mac = p->mac;
		ng_port_dp[p->port_id].mtu = p->mtu;
		ng_port_dp[p->port_id].idx = (uint8_t)i;
		ng_port_dp[p->port_id].in_use = 1;
		port_dp_addrs(&ng_port_dp[p->port_id], p);
		rte_ether_format_addr(mac, sizeof(mac), &p->mac);
		NG_LOG(INFO, PORT, "port %s: dpdk port %u, driver %s, mac %s, mtu %u, %u rxq%s, "
				"%u txq", p->name, p->port_id, p->driver, mac, p->mtu, p->nb_rxq,
				p->rss ? " (rss)" : "", p->nb_txq);
	}
	return 0;
}

void
ng_ports_fini(void)
{
	for (unsigned int i = n_ports; i > 0; i--)
		port_close(&ports[i - 1]);
	n_ports = 0;
	if (W.ioctl_fd > 0)
		close(W.ioctl_fd);
	W.ioctl_fd = 0;
}

unsigned int
ng_port_count(void)
{
	return n_ports;
}

const struct ng_port *
ng_port_get(unsigned int idx)
{
	return idx < n_ports ? &ports[idx] : NULL;
}

const struct ng_port *
ng_port_by_name(const char *name)
{
	for (unsigned int i = 0; i < n_ports; i++)
		if (strcmp(ports[i].name, name) == 0)
			return &ports[i];
	return NULL;
}

const char *
ng_port_name(uint16_t port_id)
{
	for (unsigned int i = 0; i < n_ports; i++)
		if (ports[i].port_id == port_id)
			return ports[i].name;
	return "?";
}
