/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Kernel twins: creation and removal, the control core's side of the
 * exception path (frames to and from the kernel), link-state mirroring.
 */
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_arp.h>
#include <rte_bus.h>
#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>

#include "ng_log.h"
#include "port.h"
#include "twin.h"
#include "twin_priv.h"

#define VHOST_NET "/dev/vhost-net"
#define DEV_TUN "/dev/net/tun"
#define LINK_CHECK_MS 100

struct twin {
	bool probed;               /**< its device exists (nodegw made it) */
	bool has_port;             /**< port_id is its DPDK port */
	bool started;
	bool open;                 /**< ready: frames may flow */
	uint16_t port_id;          /**< the twin's DPDK port */
	uint16_t phys_id;          /**< the port's */
	uint16_t mtu;
	bool link_seen;            /**< the port's link state when last looked at */
	struct ng_twin_info info;  /**< what show ports reads, counters included */
};

static struct twin twins[NG_MAX_PORTS];
/* Every gateway address (network order): ARP replies for them from a kernel are dropped. */
static uint32_t local4[NG_MAX_PORTS * NG_MAX_PORT_ADDRS];
static unsigned int n_local4;
static uint64_t link_next_tsc;

static const char *const drop_names[NG_TWIN_DROP_MAX] = {
	[NG_TWIN_DROP_NONE] = "none",
#define NG_X(id, str) [NG_TWIN_DROP_##id] = str,
	NG_TWIN_DROPS(NG_X)
#undef NG_X
};

static const char *const drop_ids[NG_TWIN_DROP_MAX] = {
	[NG_TWIN_DROP_NONE] = "none",
	[NG_TWIN_DROP_TX_FULL] = "tx_full",
	[NG_TWIN_DROP_ARP_REPLY] = "arp_reply",
	[NG_TWIN_DROP_TOO_BIG] = "too_big",
	[NG_TWIN_DROP_INJECT_FULL] = "inject_full",
};

const char *
ng_twin_drop_name(enum ng_twin_drop r)
{
	return (unsigned int)r < NG_TWIN_DROP_MAX ? drop_names[r] : "?";
}

const char *
ng_twin_drop_id(enum ng_twin_drop r)
{
	return (unsigned int)r < NG_TWIN_DROP_MAX ? drop_ids[r] : "?";
}

/* ---- pure helpers ---- */

int
ng_twin_backend_pick(enum ng_twin_backend want, bool have_vhost_net, bool have_tun,
		enum ng_twin_backend *out, char *err, size_t errlen)
{
	if (want == NG_TWIN_VIRTIO_USER || (want == NG_TWIN_AUTO && have_vhost_net)) {
		*out = NG_TWIN_VIRTIO_USER;
		if (have_vhost_net)
			return 0;
		snprintf(err, errlen, "backend virtio_user needs " VHOST_NET ", which is missing or "
				"not usable here (modprobe vhost_net; or backend \"tap\" or \"auto\")");
		return -ENODEV;
	}
	*out = NG_TWIN_TAP;
	if (have_tun && (want == NG_TWIN_AUTO || want == NG_TWIN_TAP))
		return 0;
	if (want == NG_TWIN_AUTO)
		snprintf(err, errlen, "backend auto: neither " VHOST_NET " nor " DEV_TUN
				" is usable (modprobe vhost_net or tun)");
	else if (want == NG_TWIN_TAP)
		snprintf(err, errlen, "backend tap needs " DEV_TUN ", which is missing or not "
				"usable here (modprobe tun)");
	else
		snprintf(err, errlen, "unknown backend %d", (int)want);
	return -ENODEV;
}

int
ng_twin_devname(char *buf, size_t len, enum ng_twin_backend be, unsigned int port_idx)
{
	const char *drv = be == NG_TWIN_VIRTIO_USER ? "net_virtio_user" :
			be == NG_TWIN_TAP ? "net_tap" : NULL;
	int n;

	if (drv == NULL)
		return -EINVAL;
	n = snprintf(buf, len, "%s_ngw%u", drv, port_idx);
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

int
ng_twin_devargs(char *buf, size_t len, enum ng_twin_backend be, unsigned int port_idx,
		const char *ifname, const struct rte_ether_addr *mac, uint16_t queue_size)
{
	const uint8_t *b = mac->addr_bytes;
	char dev[64], m[RTE_ETHER_ADDR_FMT_SIZE];
	int rc = ng_twin_devname(dev, sizeof(dev), be, port_idx), n;

	if (rc < 0)
		return rc;
	snprintf(m, sizeof(m), "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4],
			b[5]);
	if (be == NG_TWIN_VIRTIO_USER)
		n = snprintf(buf, len, "%s,path=" VHOST_NET ",queues=1,queue_size=%u,iface=%s,mac=%s",
				dev, queue_size, ifname, m);
	else
		n = snprintf(buf, len, "%s,iface=%s,mac=%s", dev, ifname, m);
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

enum ng_twin_drop
ng_twin_kernel_frame(const uint8_t *frame, uint32_t len, uint16_t mtu, const uint32_t *local4s,
		unsigned int n)
{
	uint32_t l2 = RTE_ETHER_HDR_LEN, sip;
	uint16_t type;

	if (len < l2)
		return NG_TWIN_DROP_NONE;
	type = get16(frame + 12);
	if (type == RTE_ETHER_TYPE_VLAN && len >= l2 + 4) {
		type = get16(frame + 16);
		l2 += 4;
	}
	if (len > l2 + mtu)
		return NG_TWIN_DROP_TOO_BIG;
	if (type != RTE_ETHER_TYPE_ARP || len < l2 + sizeof(struct rte_arp_hdr) ||
			get16(frame + l2 + 6) != RTE_ARP_OP_REPLY)
		return NG_TWIN_DROP_NONE;
	memcpy(&sip, frame + l2 + 14, sizeof(sip));
	for (unsigned int i = 0; i < n; i++)
		if (local4s[i] == sip)
			return NG_TWIN_DROP_ARP_REPLY;
	return NG_TWIN_DROP_NONE;
}

/* ---- creation and removal ---- */

static int
twin_fail(char *err, size_t errlen, const struct ng_conf *c, unsigned int idx, int rc,
		const char *fmt, ...)
{
	const struct ng_conf_port *cp = &c->ports[idx];
	char msg[320];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "%s:%d: port %s: kernel twin %s: %s", c->file, cp->kernel.line,
			cp->name, cp->kernel.name, msg);
	return rc < 0 ? rc : -EIO;
}

static void
twin_close(struct twin *t)
{
	if (t->has_port)
		ng_ethdev_close(t->port_id, t->started, true);
	else if (t->probed)
		rte_eal_hotplug_remove("vdev", t->info.devname);
	if (t->open) {
		ng_port_dp[t->phys_id].twin = 0;
		ng_port_dp[t->phys_id].punt_cost = 0;
		ng_port_dp[t->phys_id].punt_depth = 0;
	}
	memset(t, 0, sizeof(*t));
}

/* The twin's DPDK port: one queue pair of queue_size descriptors, RX from mp. */
static int
twin_port_start(struct twin *t, uint16_t queue_size, struct rte_mempool *mp, const char **what)
{
	struct rte_eth_conf conf = {0};
	uint16_t nb_rxd = queue_size, nb_txd = queue_size;
	int socket = rte_eth_dev_socket_id(t->port_id), rc;

	if (socket < 0)
		socket = (int)rte_socket_id();
	*what = "configure";
	rc = rte_eth_dev_configure(t->port_id, 1, 1, &conf);
	if (rc == 0) {
		*what = "descriptor counts";
		rc = rte_eth_dev_adjust_nb_rx_tx_desc(t->port_id, &nb_rxd, &nb_txd);
	}
	if (rc == 0) {
		*what = "RX queue setup";
		rc = rte_eth_rx_queue_setup(t->port_id, 0, nb_rxd, (unsigned int)socket, NULL, mp);
	}
	if (rc == 0) {
		*what = "TX queue setup";
		rc = rte_eth_tx_queue_setup(t->port_id, 0, nb_txd, (unsigned int)socket, NULL);
	}
	if (rc == 0) {
		*what = "start";
		rc = rte_eth_dev_start(t->port_id);
		t->started = rc == 0;
	}
	return rc;
}

static int
twin_open(const struct ng_conf *c, unsigned int idx, struct rte_mempool *mp, char *err,
		size_t errlen)
{
	const struct ng_conf_twin *k = &c->ports[idx].kernel;
	const struct ng_port *p = ng_port_get(idx);
	struct twin *t = &twins[idx];
	struct ng_twin_nl_req req = {.ifname = k->name, .mac = &p->mac, .mtu = p->mtu};
	struct rte_eth_link link = {0};
	char devargs[NG_DEVARGS_MAX], why[256];
	uint64_t hz = rte_get_tsc_hz();
	const char *what;
	int rc;

	t->phys_id = p->port_id;
	t->mtu = p->mtu;
	rc = ng_twin_backend_pick(k->backend, access(VHOST_NET, R_OK | W_OK) == 0,
			access(DEV_TUN, R_OK | W_OK) == 0, &t->info.backend, why, sizeof(why));
	if (rc < 0)
		return twin_fail(err, errlen, c, idx, rc, "%s", why);
	ng_twin_devname(t->info.devname, sizeof(t->info.devname), t->info.backend, idx);
	ng_twin_devargs(devargs, sizeof(devargs), t->info.backend, idx, k->name, &p->mac,
			k->queue_size);
	rc = rte_dev_probe(devargs);
	if (rc < 0)
		return twin_fail(err, errlen, c, idx, rc, "cannot create it (%s): %s%s", devargs,
				strerror(-rc), if_nametoindex(k->name) != 0 ?
				"; an interface of that name exists already" : "");
	t->probed = true;
	rc = rte_eth_dev_get_port_by_name(t->info.devname, &t->port_id);
	if (rc < 0)
		return twin_fail(err, errlen, c, idx, rc, "no DPDK port %s after probing it",
				t->info.devname);
	t->has_port = true;
	rc = twin_port_start(t, k->queue_size, mp, &what);
	if (rc < 0)
		return twin_fail(err, errlen, c, idx, rc, "%s (%s): %s", t->info.devname, what,
				strerror(-rc));
	rte_eth_link_get_nowait(p->port_id, &link);
	req.carrier = link.link_status == RTE_ETH_LINK_UP;
	req.addrs = k->addresses ? p->addrs : NULL;
	req.n_addrs = k->addresses ? p->n_addrs : 0;
	rc = ng_twin_nl_setup(&req, &t->info.ifindex, why, sizeof(why));
	if (rc < 0)
		return twin_fail(err, errlen, c, idx, rc, "%s", why);

	snprintf(t->info.ifname, sizeof(t->info.ifname), "%s", k->name);
	t->info.port_id = t->port_id;
	t->info.carrier = req.carrier;
	t->link_seen = req.carrier;
	t->info.addresses = k->addresses;
	t->info.rate_pps = k->rate_pps;
	t->info.burst = k->burst;
	ng_port_dp[p->port_id].punt_cost = RTE_MAX(hz / k->rate_pps, (uint64_t)1);
	ng_port_dp[p->port_id].punt_depth = ng_port_dp[p->port_id].punt_cost * k->burst;
	ng_port_dp[p->port_id].twin = 1;
	t->open = true;
	NG_LOG(NOTICE, TWIN, "port %s: kernel twin %s (%s, %s, dpdk port %u, ifindex %d): "
			"mtu %u, carrier %s, %u addresses; at most %u frames/s per worker, burst %u",
			p->name, k->name, ng_twin_backend_name(t->info.backend), t->info.devname,
			t->port_id, t->info.ifindex, p->mtu, req.carrier ? "on" : "off", req.n_addrs,
			k->rate_pps, k->burst);
	return 0;
}

int
ng_twin_init(const struct ng_conf *c, struct rte_mempool *mp, char *err, size_t errlen)
{
	n_local4 = 0;
	for (unsigned int i = 0; i < ng_port_count(); i++) {
		const struct ng_port *p = ng_port_get(i);

		for (unsigned int j = 0; j < p->n_addrs; j++)
			if (p->addrs[j].addr.family == AF_INET)
				local4[n_local4++] = p->addrs[j].addr.v4;
	}
	for (unsigned int i = 0; i < c->n_ports && i < ng_port_count(); i++) {
		int rc;

		if (!c->ports[i].kernel.enabled)
			continue;
		rc = twin_open(c, i, mp, err, errlen);
		if (rc < 0) {
			twin_close(&twins[i]);
			ng_twin_fini();
			return rc;
		}
	}
	link_next_tsc = rte_get_tsc_cycles();
	return 0;
}

void
ng_twin_fini(void)
{
	for (unsigned int i = NG_MAX_PORTS; i > 0; i--)
		if (twins[i - 1].probed)
			twin_close(&twins[i - 1]);
}

bool
ng_twin_has(unsigned int port_idx)
{
	return port_idx < NG_MAX_PORTS && twins[port_idx].open;
}

/* ---- the exception path ---- */

void
ng_twin_to_kernel(unsigned int port_idx, struct rte_mbuf **pkts, uint16_t n)
{
	struct twin *t = &twins[port_idx];
	uint64_t bytes = 0;
	uint16_t sent = 0;

	if (n == 0)
		return;
	if (ng_twin_has(port_idx)) {
		for (uint16_t i = 0; i < n; i++)
			bytes += rte_pktmbuf_pkt_len(pkts[i]);
		sent = rte_eth_tx_burst(t->port_id, 0, pkts, n);
		/* the twin may free what it sent at once: unsent lengths only from here */
		for (uint16_t i = sent; i < n; i++)
			bytes -= rte_pktmbuf_pkt_len(pkts[i]);
		t->info.to_kernel += sent;
		t->info.to_kernel_bytes += bytes;
	}
	t->info.drops[NG_TWIN_DROP_TX_FULL] += n - sent;
	rte_pktmbuf_free_bulk(&pkts[sent], n - sent);
}

uint16_t
ng_twin_from_kernel(unsigned int port_idx, struct rte_mbuf **pkts, uint16_t max)
{
	struct twin *t = &twins[port_idx];
	uint16_t n, k = 0;

	if (!ng_twin_has(port_idx))
		return 0;
	n = rte_eth_rx_burst(t->port_id, 0, pkts, max);
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		enum ng_twin_drop r = m->nb_segs != 1 ? NG_TWIN_DROP_TOO_BIG :
				ng_twin_kernel_frame(rte_pktmbuf_mtod(m, const uint8_t *),
				rte_pktmbuf_data_len(m), t->mtu, local4, n_local4);

		t->info.from_kernel++;
		t->info.from_kernel_bytes += rte_pktmbuf_pkt_len(m);
		if (r != NG_TWIN_DROP_NONE) {
			t->info.drops[r]++;
			rte_pktmbuf_free(m);
			continue;
		}
		pkts[k++] = m;
	}
	return k;
}

void
ng_twin_handed(unsigned int port_idx, unsigned int sent, unsigned int dropped)
{
	if (port_idx >= NG_MAX_PORTS)
		return;
	twins[port_idx].info.to_port += sent;
	twins[port_idx].info.drops[NG_TWIN_DROP_INJECT_FULL] += dropped;
}

void
ng_twin_poll(void)
{
	uint64_t now = rte_get_tsc_cycles();
	char why[256];

	if (now < link_next_tsc)
		return;
	link_next_tsc = now + rte_get_tsc_hz() / 1000 * LINK_CHECK_MS;
	for (unsigned int i = 0; i < NG_MAX_PORTS; i++) {
		struct twin *t = &twins[i];
		struct rte_eth_link link = {0};
		bool up;

		if (!t->open || rte_eth_link_get_nowait(t->phys_id, &link) < 0)
			continue;
		up = link.link_status == RTE_ETH_LINK_UP;
		if (up == t->link_seen)
			continue;
		t->link_seen = up; /* one try (and one message) per change */
		if (ng_twin_nl_carrier(t->info.ifindex, up, why, sizeof(why)) < 0) {
			NG_LOG(WARNING, TWIN, "port %s: link %s, but kernel twin %s keeps its carrier: "
					"%s", ng_port_get(i)->name, up ? "up" : "down", t->info.ifname, why);
			continue;
		}
		t->info.carrier = up;
		NG_LOG(NOTICE, TWIN, "port %s: link %s; kernel twin %s carrier %s",
				ng_port_get(i)->name, up ? "up" : "down", t->info.ifname, up ? "on" : "off");
	}
}

int
ng_twin_info(unsigned int port_idx, struct ng_twin_info *out)
{
	if (!ng_twin_has(port_idx))
		return -ENOENT;
	*out = twins[port_idx].info;
	return 0;
}
