/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The anchor: a TUN interface nodegw holds open, the next hop of every route
 * it gives BIRD. The kernel deletes it when the last descriptor closes, and
 * a process that dies (kill -9, a crash) closes them all, so BIRD sees the
 * interface go and withdraws the routes through it: nodegw's liveness is
 * tied to its announcements without a timer. Nothing is ever sent on it and
 * nothing read from it.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bgp_core.h"

int
ng_bgp_anchor_free(const char *ifname, char *err, size_t errlen)
{
	if (if_nametoindex(ifname) == 0)
		return 0;
	snprintf(err, errlen, "bgp: interface %s exists already: another nodegw holds it, or "
		"it is not nodegw's (bgp.interface must name an interface only nodegw makes)",
		ifname);
	return -EEXIST;
}

int
ng_bgp_anchor_open(const char *ifname, char *err, size_t errlen)
{
	struct ifreq ifr;
	int fd, s, e;

	if ((e = ng_bgp_anchor_free(ifname, err, errlen)) < 0)
		return e;
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		snprintf(err, errlen, "bgp: interface %s: /dev/net/tun: %s", ifname, strerror(e));
		return -e;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	/* Not TUNSETPERSIST: the interface lives exactly as long as fd. */
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		e = errno;
		close(fd);
		snprintf(err, errlen, "bgp: interface %s: cannot create it: %s%s", ifname,
			strerror(e), e == EPERM ? " (needs CAP_NET_ADMIN)" : "");
		return -e;
	}
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0 ||
			(ifr.ifr_flags |= IFF_UP, ioctl(s, SIOCSIFFLAGS, &ifr) < 0)) {
		e = errno;
		if (s >= 0)
			close(s);
		close(fd);
		snprintf(err, errlen, "bgp: interface %s: cannot set it up: %s", ifname,
			strerror(e));
		return -e;
	}
	close(s);
	return fd;
}

void
ng_bgp_anchor_close(int fd)
{
	if (fd >= 0)
		close(fd);
}
