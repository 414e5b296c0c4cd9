/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_TWIN_H
#define NG_TWIN_H

/**
 * @file
 * Kernel twins, the exception path (control core).
 *
 * A port may have a twin (config ports[].kernel): an interface of the kernel,
 * in nodegw's network namespace, that gets what nodegw does not consume -
 * traffic to the gateway's own addresses that no NodePort takes (SSH, BGP,
 * kubelet, health checks), copies of ARP for those addresses, IP protocols and
 * ethertypes nodegw does not handle - and whose every frame leaves through the
 * port. Service traffic never reaches it.
 *
 * A twin is a DPDK port of its own: virtio_user over /dev/vhost-net where the
 * host has it, net_tap over /dev/net/tun otherwise (backend "auto"), or the
 * one the config names. nodegw gives the kernel side the port's MAC and MTU,
 * mirrors the port's link state as the interface's carrier, brings it up and,
 * unless told not to (kernel.addresses = false), gives it the port's
 * addresses, over rtnetlink with libnl-route-3.
 *
 * Workers never touch a twin. They put frames for the kernel on their punt
 * rings (rate-limited per worker, from the costs this module writes into
 * ng_port_dp); the control core hands them to ng_twin_to_kernel(), and sends
 * what ng_twin_from_kernel() returns through a worker's inject ring
 * (lib/worker, ng_dp_ctl_poll()).
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "conf.h"

/* Why the exception path dropped a frame on the control core. */
#define NG_TWIN_DROPS(X) \
	X(TX_FULL, "to the kernel: the twin's queue was full") \
	X(ARP_REPLY, "from the kernel: ARP reply for a gateway address (nodegw answers those)") \
	X(TOO_BIG, "from the kernel: longer than the port's MTU") \
	X(INJECT_FULL, "from the kernel: the worker's inject ring was full")

enum ng_twin_drop {
	NG_TWIN_DROP_NONE = 0,
#define NG_X(id, str) NG_TWIN_DROP_##id,
	NG_TWIN_DROPS(NG_X)
#undef NG_X
	NG_TWIN_DROP_MAX
};

/** What `show ports` shows of a twin. */
struct ng_twin_info {
	char ifname[NG_IFNAME_MAX];
	char devname[64];          /**< the twin's DPDK device ("net_tap_ngw0") */
	enum ng_twin_backend backend; /**< the one in use: virtio_user or tap */
	uint16_t port_id;          /**< the twin's DPDK port id */
	int ifindex;               /**< the kernel interface's index */
	bool carrier;              /**< as last set from the port's link */
	bool addresses;            /**< nodegw gave it the port's addresses */
	uint32_t rate_pps;         /**< per worker */
	uint32_t burst;
	uint64_t to_kernel;        /**< frames the twin took (to the kernel) */
	uint64_t to_kernel_bytes;
	uint64_t from_kernel;      /**< frames the kernel sent on the twin, dropped ones too */
	uint64_t from_kernel_bytes;
	uint64_t to_port;          /**< of those, handed to a worker to go out through the port */
	uint64_t drops[NG_TWIN_DROP_MAX]; /**< by reason, both directions */
};

/**
 * Create the twin of every port that has a "kernel" group, after
 * ng_ports_init() and before the workers start: probe, configure and start
 * the twin port (its RX queue fills from mp), set the kernel interface up, and
 * write the workers' token-bucket costs into ng_port_dp.
 *
 * @param err "FILE:LINE: port P: kernel twin IF: what failed" on error
 * @return 0, or a negative errno; twins made so far are removed again.
 */
int ng_twin_init(const struct ng_conf *c, struct rte_mempool *mp, char *err, size_t errlen);

/** Stop and remove every twin (the kernel interfaces go with them). */
void ng_twin_fini(void);

/** Does port idx (nodegw port index) have a twin? */
bool ng_twin_has(unsigned int port_idx);

/**
 * Give frames to port idx's kernel twin. Always consumes them: what the twin
 * does not take is freed and counted (TX_FULL).
 */
void ng_twin_to_kernel(unsigned int port_idx, struct rte_mbuf **pkts, uint16_t n);

/**
 * Frames the kernel sent on port idx's twin, to go out through the port, at
 * most max. ARP replies for gateway addresses and frames over the MTU are
 * dropped and counted here.
 * @return the number of frames in pkts.
 */
uint16_t ng_twin_from_kernel(unsigned int port_idx, struct rte_mbuf **pkts, uint16_t max);

/**
 * Count what became of frames ng_twin_from_kernel() returned for port idx:
 * sent were handed to a worker for the port, dropped found its inject ring
 * full (INJECT_FULL).
 */
void ng_twin_handed(unsigned int port_idx, unsigned int sent, unsigned int dropped);

/**
 * Mirror each port's link state as its twin's carrier (at most every 100 ms).
 * Call from the control loop.
 */
void ng_twin_poll(void);

/** @return 0 and *out filled, or -ENOENT when port idx has no twin. */
int ng_twin_info(unsigned int port_idx, struct ng_twin_info *out);

/** Short identifier of a drop reason ("tx_full"). */
const char *ng_twin_drop_id(enum ng_twin_drop r);

/** Sentence of a drop reason. */
const char *ng_twin_drop_name(enum ng_twin_drop r);

/* ---- pure helpers (unit-tested without EAL) ---- */

/**
 * The backend a twin gets.
 * @param want the configured one (auto: virtio_user where vhost-net exists)
 * @param have_vhost_net /dev/vhost-net is usable
 * @param have_tun /dev/net/tun is usable
 * @param err why not, on error
 * @return 0 and *out (NG_TWIN_VIRTIO_USER or NG_TWIN_TAP), or -ENODEV.
 */
int ng_twin_backend_pick(enum ng_twin_backend want, bool have_vhost_net, bool have_tun,
		enum ng_twin_backend *out, char *err, size_t errlen);

/**
 * The devargs of port idx's twin with backend be (virtio_user or tap): the
 * device name (ng_twin_devname()), then the kernel interface's name, the MAC
 * and, for virtio_user, the vhost-net path, one queue pair and its size.
 * @return 0, or -ENOSPC when len is too small, -EINVAL for another backend.
 */
int ng_twin_devargs(char *buf, size_t len, enum ng_twin_backend be, unsigned int port_idx,
		const char *ifname, const struct rte_ether_addr *mac, uint16_t queue_size);

/** The DPDK device name of port idx's twin with backend be. */
int ng_twin_devname(char *buf, size_t len, enum ng_twin_backend be, unsigned int port_idx);

/**
 * What the exception path does with a frame the kernel sent on a twin:
 * NG_TWIN_DROP_NONE to send it through the port, ARP_REPLY for an ARP reply
 * whose sender address is one of local4[] (network order), TOO_BIG for a
 * frame longer than mtu (plus its Ethernet header and one VLAN tag).
 */
enum ng_twin_drop ng_twin_kernel_frame(const uint8_t *frame, uint32_t len, uint16_t mtu,
		const uint32_t *local4, unsigned int n_local4);

#endif
