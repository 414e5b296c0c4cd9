/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
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
	char *end;
	long len;

	memset(out, 0, sizeof(*out));
	if (s == NULL || (slash = strchr(s, '/')) == NULL)
		return -EINVAL;
	if ((size_t)(slash - s) >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, slash - s);
	buf[slash - s] = '\0';
	if (ng_ip_parse(buf, &out->addr) < 0)
		return -EINVAL;
	if (slash[1] == '\0')
		return -EINVAL;
	errno = 0;
	len = strtol(slash + 1, &end, 10);
	if (errno != 0 || *end != '\0' || len < 0 ||
			len > (out->addr.family == AF_INET ? 32 : 128))
		return -EINVAL;
	out->len = (uint8_t)len;
	return 0;
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

char *
ng_ip_fmt(const struct ng_ip *ip, char *buf, size_t len)
{
	if (ip->family == AF_INET || ip->family == AF_INET6) {
		if (inet_ntop(ip->family, ip->family == AF_INET ? (const void *)&ip->v4 :
				(const void *)ip->v6, buf, (socklen_t)len) != NULL)
			return buf;
	}
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
