/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>

#include "ng_addr.h"
#include "ng_types.h"

struct ng_ip
ng_ip4(uint32_t host_order)
{
	struct ng_ip ip = {.family = AF_INET, .v4 = rte_cpu_to_be_32(host_order)};
	return ip;
}

/* Is a (16 bytes) an IPv4-mapped IPv6 address, ::ffff:0:0/96? */
static bool
ip6_is_v4mapped(const uint8_t *a)
{
	static const uint8_t pfx[12] = {[10] = 0xff, [11] = 0xff};

	return memcmp(a, pfx, sizeof(pfx)) == 0;
}

int
ng_ip_parse(const char *s, struct ng_ip *out)
{
	memset(out, 0, sizeof(*out));
	if (s == NULL)
		return -EINVAL;
	if (inet_pton(AF_INET, s, &out->v4) == 1) {
		out->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out->v6) == 1) {
		if (ip6_is_v4mapped(out->v6)) {
			memset(out, 0, sizeof(*out));
			return -EAFNOSUPPORT;
		}
		out->family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

int
ng_prefix_parse(const char *s, struct ng_prefix *out)
{
	char buf[NG_IP_STRLEN];
	const char *slash;
	size_t nd;
	int len = 0, rc;

	memset(out, 0, sizeof(*out));
	if (s == NULL || (slash = strchr(s, '/')) == NULL)
		return -EINVAL;
	if ((size_t)(slash - s) >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, slash - s);
	buf[slash - s] = '\0';
	rc = ng_ip_parse(buf, &out->addr);
	if (rc < 0)
		return rc;
	/* 1-3 decimal digits: no sign, no blank (strtol would take " +24") */
	nd = strlen(slash + 1);
	if (nd == 0 || nd > 3 || strspn(slash + 1, "0123456789") != nd)
		goto bad;
	for (size_t i = 0; i < nd; i++)
		len = len * 10 + (slash[1 + i] - '0');
	if (len > (out->addr.family == AF_INET ? 32 : 128))
		goto bad;
	out->len = (uint8_t)len;
	return 0;
bad:
	memset(out, 0, sizeof(*out));
	return -EINVAL;
}

struct ng_prefix
ng_prefix_masked(const struct ng_prefix *p)
{
	struct ng_prefix m = *p;

	if (p->addr.family == AF_INET) {
		uint32_t mask = p->len == 0 ? 0 : ~0u << (32 - p->len);
		m.addr.v4 = rte_cpu_to_be_32(rte_be_to_cpu_32(p->addr.v4) & mask);
	} else if (p->addr.family == AF_INET6) {
		for (int i = 0; i < 16; i++) {
			int bits = p->len - i * 8;
			uint8_t mask = bits >= 8 ? 0xff : bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));
			m.addr.v6[i] &= mask;
		}
	}
	return m;
}

bool
ng_prefix_contains(const struct ng_prefix *p, const struct ng_ip *ip)
{
	struct ng_prefix a, b;

	if (p->addr.family != ip->family)
		return false;
	a = ng_prefix_masked(p);
	b.addr = *ip;
	b.len = p->len;
	b = ng_prefix_masked(&b);
	return ng_ip_equal(&a.addr, &b.addr);
}

bool
ng_ip_equal(const struct ng_ip *a, const struct ng_ip *b)
{
	if (a->family != b->family)
		return false;
	if (a->family == AF_INET)
		return a->v4 == b->v4;
	return memcmp(a->v6, b->v6, 16) == 0;
}

/*
 * RFC 5952 text of an IPv6 address: lower-case hex without leading zeros, the
 * longest run of two or more zero groups (the first of equal runs) as "::",
 * and an IPv4-mapped address as ::ffff:a.b.c.d (section 5). Fits 40 bytes.
 */
static void
fmt_ip6(const uint8_t *a, char *out, size_t len)
{
	char t[NG_IP_STRLEN];
	int best = -1, best_n = 1, run = -1, n = 0;
	uint16_t w[8];

	if (ip6_is_v4mapped(a)) {
		snprintf(out, len, "::ffff:%u.%u.%u.%u", a[12], a[13], a[14], a[15]);
		return;
	}
	for (int i = 0; i < 8; i++) {
		w[i] = (uint16_t)(a[2 * i] << 8 | a[2 * i + 1]);
		if (w[i] != 0) {
			run = -1;
			continue;
		}
		if (run < 0)
			run = i;
		if (i - run + 1 > best_n) {
			best = run;
			best_n = i - run + 1;
		}
	}
	for (int i = 0; i < 8;) {
		if (i == best) {
			n += snprintf(t + n, sizeof(t) - (size_t)n, "::");
			i += best_n;
			continue;
		}
		n += snprintf(t + n, sizeof(t) - (size_t)n, "%s%x",
				i > 0 && i != best + best_n ? ":" : "", w[i]);
		i++;
	}
	snprintf(out, len, "%s", t);
}

char *
ng_ip_fmt(const struct ng_ip *ip, char *buf, size_t len)
{
	if (ip->family == AF_INET6) {
		fmt_ip6(ip->v6, buf, len);
		return buf;
	}
	if (ip->family == AF_INET && inet_ntop(AF_INET, &ip->v4, buf, (socklen_t)len) != NULL)
		return buf;
	snprintf(buf, len, "-");
	return buf;
}

char *
ng_prefix_fmt(const struct ng_prefix *p, char *buf, size_t len)
{
	char a[NG_IP_STRLEN];

	snprintf(buf, len, "%s/%u", ng_ip_fmt(&p->addr, a, sizeof(a)), p->len);
	return buf;
}

int
ng_mac_parse(const char *s, struct rte_ether_addr *out)
{
	unsigned int b[6];
	char tail;

	if (s == NULL || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
			&b[4], &b[5], &tail) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		out->addr_bytes[i] = (uint8_t)b[i];
	return 0;
}

bool
ng_ip4_is_unicast(const struct ng_ip *ip)
{
	uint32_t a;

	if (ip->family != AF_INET)
		return false;
	a = rte_be_to_cpu_32(ip->v4);
	return !(a == 0 || (a >> 24) == 127 || (a >> 28) >= 0xe);
}

bool
ng_ip6_is_unicast(const struct ng_ip *ip)
{
	static const uint8_t loopback[16] = {[15] = 1};
	static const uint8_t unspec[16];

	if (ip->family != AF_INET6)
		return false;
	return ip->v6[0] != 0xff && memcmp(ip->v6, unspec, 16) != 0 &&
			memcmp(ip->v6, loopback, 16) != 0 && !ip6_is_v4mapped(ip->v6);
}

bool
ng_svc_name_ok(const char *s)
{
	size_t n = strnlen(s, NG_SVC_NAME_MAX);

	if (n == 0 || n >= NG_SVC_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && strchr("_.:/-", s[i]) == NULL)
			return false;
	return true;
}
