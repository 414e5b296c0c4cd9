/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NG_ADDR_H
#define NG_ADDR_H

/**
 * @file
 * Address-family generic IP addresses and prefixes.
 *
 * Everything that names an address (config, routes, neighbours, and later
 * flow keys and backends) carries a struct ng_ip, so IPv6 needs no type
 * rework. Addresses are stored in network byte order.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <rte_ether.h>

struct ng_ip {
	uint8_t family; /**< AF_INET or AF_INET6; 0 means unset. */
	uint8_t pad[3];
	union {
		uint32_t v4; /**< network byte order */
		uint8_t v6[16];
	};
};

struct ng_prefix {
	struct ng_ip addr;
	uint8_t len;
};

/** Longest text form of an address or prefix, NUL included. */
#define NG_IP_STRLEN 48

/** An IPv4 ng_ip from a host-order value. */
struct ng_ip ng_ip4(uint32_t host_order);

/**
 * Parse an IPv4 or IPv6 address. IPv4-mapped IPv6 addresses
 * (::ffff:a.b.c.d) are refused: they never appear on the wire (RFC 4038),
 * and accepting them would give an IPv4 host a second, IPv6 spelling (two
 * flow keys, two services) for one address. Write the IPv4 address.
 * @return 0, -EAFNOSUPPORT for an IPv4-mapped address, or -EINVAL when the
 *   text is not an address.
 */
int ng_ip_parse(const char *s, struct ng_ip *out);

/**
 * Parse "ADDR/LEN": LEN is 1 to 3 decimal digits (no sign or blank), at most
 * 32 for IPv4 and 128 for IPv6. The host bits may be set: "198.18.0.1/24" is
 * an interface address; ng_prefix_masked() gives the network.
 * @return 0, or -EINVAL / -EAFNOSUPPORT as ng_ip_parse().
 */
int ng_prefix_parse(const char *s, struct ng_prefix *out);

/** The network of a prefix: host bits cleared. */
struct ng_prefix ng_prefix_masked(const struct ng_prefix *p);

/** True when ip lies inside prefix p (same family). */
bool ng_prefix_contains(const struct ng_prefix *p, const struct ng_ip *ip);

/** True when both addresses are equal (family and bytes). */
bool ng_ip_equal(const struct ng_ip *a, const struct ng_ip *b);

/**
 * Format an address into buf (at least NG_IP_STRLEN bytes); returns buf.
 * IPv6 in the canonical form of RFC 5952 ("2001:db8::1", "2001:db8:0:1::",
 * an IPv4-mapped address as "::ffff:198.18.0.1"); an unset address as "-".
 */
char *ng_ip_fmt(const struct ng_ip *ip, char *buf, size_t len);

/** Format "ADDR/LEN" into buf; returns buf. */
char *ng_prefix_fmt(const struct ng_prefix *p, char *buf, size_t len);

/**
 * Is ip a unicast IPv4 host address: not 0.0.0.0, loopback (127/8),
 * multicast or reserved (224/3)?
 */
bool ng_ip4_is_unicast(const struct ng_ip *ip);

/**
 * Is ip a unicast IPv6 address: not ::, ::1, multicast (ff00::/8) or
 * IPv4-mapped? (Link-local fe80::/10 is unicast.)
 */
bool ng_ip6_is_unicast(const struct ng_ip *ip);

/**
 * Is s a valid service name: 1..191 characters of A-Z a-z 0-9 _ . : / -
 * (Kubernetes "namespace/name:port" fits).
 */
bool ng_svc_name_ok(const char *s);

/**
 * Parse a MAC address "aa:bb:cc:dd:ee:ff".
 * @return 0, or -EINVAL.
 */
int ng_mac_parse(const char *s, struct rte_ether_addr *out);

#endif
