/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The kernel side of a twin over rtnetlink, with libnl-route-3: its MAC, MTU,
 * up flag, carrier and addresses. Control core only; each call opens its own
 * netlink socket (these calls are rare: start-up and link changes).
 */
#include <errno.h>
#include <linux/if_addr.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include <netlink/addr.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <rte_byteorder.h>

#include "twin_priv.h"

static struct nl_sock *
nl_open(char *err, size_t errlen)
{
	struct nl_sock *sk = nl_socket_alloc();
	int rc;

	if (sk == NULL) {
		snprintf(err, errlen, "rtnetlink: out of memory");
		return NULL;
	}
	rc = nl_connect(sk, NETLINK_ROUTE);
	if (rc < 0) {
		snprintf(err, errlen, "rtnetlink: cannot connect: %s", nl_geterror(rc));
		nl_socket_free(sk);
		return NULL;
	}
	return sk;
}

/*
 * Give ifindex the address p (host bits set): IPv4 with a broadcast for
 * /1../30, IPv6 without duplicate address detection (the address is the
 * port's, which nodegw answers for on the wire: the kernel's probes would
 * only delay it).
 */
static int
nl_addr_add(struct nl_sock *sk, int ifindex, const struct ng_prefix *p, char *err,
		size_t errlen)
{
	bool v6 = p->addr.family == AF_INET6;
	struct rtnl_addr *a = rtnl_addr_alloc();
	struct nl_addr *local = v6 ? nl_addr_build(AF_INET6, p->addr.v6, 16) :
			nl_addr_build(AF_INET, &p->addr.v4, 4), *brd = NULL;
	char s[NG_IP_STRLEN + 4];
	int rc = -NLE_NOMEM;

	if (a == NULL || local == NULL)
		goto out;
	nl_addr_set_prefixlen(local, p->len);
	rtnl_addr_set_ifindex(a, ifindex);
	rc = rtnl_addr_set_local(a, local);
	if (v6)
		rtnl_addr_set_flags(a, IFA_F_NODAD);
	else if (rc == 0 && p->len <= 30) {
		uint32_t b = p->addr.v4 | rte_cpu_to_be_32(UINT32_MAX >> p->len);

		brd = nl_addr_build(AF_INET, &b, 4);
		rc = brd == NULL ? -NLE_NOMEM : rtnl_addr_set_broadcast(a, brd);
	}
	if (rc == 0)
		rc = rtnl_addr_add(sk, a, 0);
	if (rc == -NLE_EXIST)
		rc = 0;
out:
	if (rc < 0)
		snprintf(err, errlen, "cannot add address %s: %s",
				ng_prefix_fmt(p, s, sizeof(s)), nl_geterror(rc));
	nl_addr_put(brd);
	nl_addr_put(local);
	rtnl_addr_put(a);
	return rc < 0 ? -EIO : 0;
}

/* Set ifindex's link attributes from chg (built by the caller). */
static int
nl_link_set(struct nl_sock *sk, int ifindex, struct rtnl_link *chg, char *err, size_t errlen)
{
	struct rtnl_link *link = NULL;
	int rc = rtnl_link_get_kernel(sk, ifindex, NULL, &link);

	if (rc == 0)
		rc = rtnl_link_change(sk, link, chg, 0);
	if (rc < 0)
		snprintf(err, errlen, "cannot change the link: %s", nl_geterror(rc));
	rtnl_link_put(link);
	return rc < 0 ? -EIO : 0;
}

int
ng_twin_nl_setup(const struct ng_twin_nl_req *r, int *ifindex, char *err, size_t errlen)
{
	struct nl_sock *sk = nl_open(err, errlen);
	struct rtnl_link *chg = NULL;
	struct nl_addr *mac = NULL;
	int rc = -ENOMEM;

	if (sk == NULL)
		return -EIO;
	*ifindex = (int)if_nametoindex(r->ifname);
	if (*ifindex == 0) {
		snprintf(err, errlen, "no kernel interface %s after the twin started: %s",
				r->ifname, strerror(errno));
		rc = -ENODEV;
		goto out;
	}
	chg = rtnl_link_alloc();
	mac = nl_addr_build(AF_LLC, r->mac->addr_bytes, RTE_ETHER_ADDR_LEN);
	if (chg == NULL || mac == NULL) {
		snprintf(err, errlen, "rtnetlink: out of memory");
		goto out;
	}
	rtnl_link_set_addr(chg, mac);
	rtnl_link_set_mtu(chg, r->mtu);
	rtnl_link_set_flags(chg, IFF_UP);
	rtnl_link_set_carrier(chg, r->carrier);
	rc = nl_link_set(sk, *ifindex, chg, err, errlen);
	for (unsigned int i = 0; rc == 0 && i < r->n_addrs; i++)
		rc = nl_addr_add(sk, *ifindex, &r->addrs[i], err, errlen);
out:
	nl_addr_put(mac);
	rtnl_link_put(chg);
	nl_socket_free(sk);
	return rc;
}

int
ng_twin_nl_carrier(int ifindex, bool up, char *err, size_t errlen)
{
	struct nl_sock *sk = nl_open(err, errlen);
	struct rtnl_link *chg;
	int rc = -ENOMEM;

	if (sk == NULL)
		return -EIO;
	chg = rtnl_link_alloc();
	if (chg != NULL) {
		rtnl_link_set_carrier(chg, up);
		rc = nl_link_set(sk, ifindex, chg, err, errlen);
	} else {
		snprintf(err, errlen, "rtnetlink: out of memory");
	}
	rtnl_link_put(chg);
	nl_socket_free(sk);
	return rc;
}
