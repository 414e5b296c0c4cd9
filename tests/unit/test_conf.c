/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the config loader (lib/conf). No EAL: the loader must work
 * before DPDK starts (nodegw --check).
 *
 * Each bad config is written to a temporary file and must fail with
 * "FILE:LINE: " and a key phrase. In every fixture the offending line carries
 * a "#!" comment; the test checks that the line number in the table agrees
 * with the marker, so a fixture edit that moves a line cannot go unnoticed.
 *
 * The source tree (for config/example.conf) comes from $NG_SRCDIR, default ".".
 * NG_TEST_VERBOSE=1 prints every error message the bad configs produce.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netinet/in.h>

#include <cmocka.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_log.h>

#include "conf.h"

static char tmpdir[256];

/*
 * Under AddressSanitizer libconfig needs seconds for a list of 65536 elements
 * (it grows lists 16 elements at a time, and every ASan realloc copies), so
 * the tests at the service-count limit run smaller there.
 */
#if defined(__SANITIZE_ADDRESS__)
#define NG_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NG_TEST_ASAN 1
#endif
#endif
#ifdef NG_TEST_ASAN
#define N_SVC_BIG 4096
#else
#define N_SVC_BIG NG_MAX_SERVICES
#endif

static const char *
srcdir(void)
{
	const char *s = getenv("NG_SRCDIR");

	return s != NULL && s[0] != '\0' ? s : ".";
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* Write text to tmpdir/name and load it. */
static struct ng_conf *
load_text(const char *name, const char *text, char *path, size_t plen, char *err, size_t elen)
{
	snprintf(path, plen, "%s/%s", tmpdir, name);
	write_file(path, text);
	errno = 0;
	return ng_conf_load(path, err, elen);
}

/* Load text that must be valid; fails the test with the loader's message. */
static struct ng_conf *
load_ok(const char *text)
{
	char path[512], err[NG_ERRBUF] = "";
	struct ng_conf *c = load_text("ok.conf", text, path, sizeof(path), err, sizeof(err));

	if (c == NULL)
		fail_msg("expected a valid config, got: %s", err);
	unlink(path);
	return c;
}

static struct ng_ip
ip4(const char *s)
{
	struct ng_ip ip;

	assert_int_equal(ng_ip_parse(s, &ip), 0);
	return ip;
}

static void
assert_prefix(const struct ng_prefix *p, const char *want)
{
	char buf[NG_IP_STRLEN + 4];

	assert_string_equal(ng_prefix_fmt(p, buf, sizeof(buf)), want);
}

/* ---- bad configs ---- */

struct bad {
	const char *name;
	const char *text;
	int line;        /* expected line; 0: "FILE: message" with no line */
	const char *msg; /* substring the message must contain */
};

/* Two ports on lines 1-4: "a" 198.18.0.1/24, "b" 198.19.0.1/24. */
#define PORTS2 \
	"ports = (\n" \
	"  { name = \"a\"; devargs = \"net_null0\"; addresses = [\"198.18.0.1/24\"]; },\n" \
	"  { name = \"b\"; devargs = \"net_null1\"; addresses = [\"198.19.0.1/24\"]; }\n" \
	");\n"

/* PORTS2 with an IPv6 address on each port, on the same lines. */
#define PORTS2V6 \
	"ports = (\n" \
	"  { name = \"a\"; devargs = \"net_null0\";" \
	" addresses = [\"198.18.0.1/24\", \"2001:db8:1::1/64\"]; },\n" \
	"  { name = \"b\"; devargs = \"net_null1\";" \
	" addresses = [\"198.19.0.1/24\", \"2001:db8:2::1/64\"]; }\n" \
	");\n"
/* Routes and neighbours after PORTS2V6, on line 6. */
#define ROUTE6(body) PORTS2V6 "routes = (\n  { " body " }  #!\n);\n"
#define NEIGH6(body) PORTS2V6 "neighbours = (\n  { " body " }  #!\n);\n"
/* One port with the address list given, on line 5. */
#define PORT_ADDRS(list) "ports = (\n  {\n    name = \"a\";\n    devargs = \"net_null0\";\n" \
	"    addresses = [" list "];  #!\n  }\n);\n"
/* A route list after PORTS2: the route is on line 6. */
#define ROUTE(body) PORTS2 "routes = (\n  { " body " }  #!\n);\n"
/* A neighbour list after PORTS2: the neighbour is on line 6. */
#define NEIGH(body) PORTS2 "neighbours = (\n  { " body " }  #!\n);\n"
/* A service list after PORTS2: the service is on line 6. */
#define SVC(body) PORTS2 "services = (\n  { " body " }  #!\n);\n"
/* The required keys of a valid service "web" with one VIP. */
#define SVC_WEB "name = \"web\"; protocol = \"tcp\"; port = 80; vips = [\"198.18.100.10\"]; "
/* One port spread over lines 1-7, extra settings on line 6. */
#define PORT1(extra) \
	"ports = (\n" \
	"  {\n" \
	"    name = \"a\";\n" \
	"    devargs = \"net_null0\";\n" \
	"    addresses = [\"198.18.0.1/24\"];\n" \
	"    " extra "  #!\n" \
	"  }\n" \
	");\n"

static const struct bad bad[] = {
	/* syntax and structure */
	{"syntax_error", "log_level = \"info\";\nworkers = {\n  burst = ;  #!\n};\n", 3,
		"syntax error"},
	{"duplicate_setting", PORTS2 "forwarding = true;\nforwarding = false;  #!\n", 6,
		"duplicate setting name"},
	{"unknown_top_key", PORTS2 "colour = \"blue\";  #!\n", 5,
		"unknown key \"colour\" (known keys: log_level, forwarding"},
	{"unknown_workers_key", "workers = {\n  burst = 32;\n  bursts = 64;  #!\n};\n" PORTS2, 3,
		"workers: unknown key \"bursts\""},
	{"unknown_mempool_key", "mempool = { pool = 1; };  #!\n" PORTS2, 1,
		"mempool: unknown key \"pool\""},
	{"unknown_arp_key", "arp = {\n  timeout = 5;  #!\n};\n" PORTS2, 2,
		"arp: unknown key \"timeout\""},
	{"unknown_icmp_key", "icmp = {\n  rate = 5;  #!\n};\n" PORTS2, 2,
		"icmp: unknown key \"rate\""},
	{"unknown_port_key", PORT1("mtuu = 1500;"), 6, "port \"a\": unknown key \"mtuu\""},
	{"unknown_route_key", ROUTE("prefix = \"10.0.0.0/8\"; via = \"198.18.0.254\"; metric = 5;"),
		6, "route 10.0.0.0/8: unknown key \"metric\" (known keys: prefix, via, port)"},
	{"unknown_neigh_key",
		NEIGH("address = \"198.18.0.2\"; mac = \"02:00:00:00:00:02\"; dev = \"a\";"), 6,
		"neighbour 198.18.0.2: unknown key \"dev\""},
	{"workers_is_list", "workers = ( { burst = 32; } );  #!\n" PORTS2, 1,
		"workers must be a group { ... }, not a list"},
	{"arp_is_int", "arp = 5;  #!\n" PORTS2, 1, "arp must be a group { ... }, not an integer"},
	{"ports_is_group", "ports = {  #!\n  name = \"a\";\n};\n", 1,
		"ports must be a list ( { ... }, ... ), not a group"},
	{"routes_is_array", PORTS2 "routes = [\"10.0.0.0/8\"];  #!\n", 5,
		"routes must be a list ( { ... }, ... ), not an array"},
	{"port_elem_not_group", "ports = (\n  \"a\"  #!\n);\n", 2,
		"ports: element #1 must be a group { ... }, not a string"},
	{"route_elem_not_group", PORTS2 "routes = (\n  { prefix = \"10.0.0.0/8\"; via = "
		"\"198.18.0.254\"; },\n  (\"10.1.0.0/16\")  #!\n);\n", 7,
		"routes: element #2 must be a group { ... }, not a list"},
	{"no_ports", "log_level = \"debug\";\n", 0, "no ports: at least one port is required"},
	{"ports_empty", "ports = ( );  #!\n", 1, "ports is empty"},

	/* global scalars */
	{"forwarding_int", "forwarding = 1;  #!\n" PORTS2, 1,
		"forwarding must be a boolean (true or false), not an integer"},
	{"log_level_unknown", "log_level = \"loud\";  #!\n" PORTS2, 1,
		"log_level \"loud\" is not a level (error, warning, notice, info, debug)"},
	{"log_level_int", "log_level = 3;  #!\n" PORTS2, 1,
		"log_level must be a string, not an integer"},
	{"burst_string", "workers = {\n  burst = \"32\";  #!\n};\n" PORTS2, 2,
		"workers: burst must be an integer, not a string"},
	{"burst_bool", "workers = {\n  burst = true;  #!\n};\n" PORTS2, 2,
		"workers: burst must be an integer, not a boolean"},
	{"burst_zero", "workers = {\n  burst = 0;  #!\n};\n" PORTS2, 2,
		"workers: burst 0 is out of range (1..256)"},
	{"burst_257", "workers = {\n  burst = 257;  #!\n};\n" PORTS2, 2,
		"workers: burst 257 is out of range (1..256)"},
	{"idle_sleep_range", "workers = {\n  idle_sleep_us = 1000001;  #!\n};\n" PORTS2, 2,
		"workers: idle_sleep_us 1000001 is out of range (0..1000000)"},
	{"idle_polls_zero", "workers = {\n  idle_polls = 0;  #!\n};\n" PORTS2, 2,
		"workers: idle_polls 0 is out of range (1..1000000)"},
	{"lcores_dup", "workers = {\n  lcores = [1, 2, 1];  #!\n};\n" PORTS2, 2,
		"workers: lcore 1 is listed twice"},
	{"lcores_range", "workers = {\n  lcores = [1, 1024];  #!\n};\n" PORTS2, 2,
		"workers: lcore 1024 is out of range (0..1023)"},
	{"lcores_negative", "workers = {\n  lcores = [-1];  #!\n};\n" PORTS2, 2,
		"workers: lcore -1 is out of range (0..1023)"},
	{"lcores_list", "workers = {\n  lcores = (1, 2);  #!\n};\n" PORTS2, 2,
		"workers: lcores must be an array of integers like [1, 2], not a list"},
	{"lcores_strings", "workers = {\n  lcores = [\"1\"];  #!\n};\n" PORTS2, 2,
		"workers: lcores must be integers, not a string"},
	{"lcores_scalar", "workers = {\n  lcores = 1;  #!\n};\n" PORTS2, 2,
		"workers: lcores must be an array of integers like [1, 2], not an integer"},
	{"mbufs_small", "mempool = {\n  mbufs = 100;  #!\n};\n" PORTS2, 2,
		"mempool: mbufs 100 is out of range (0 or 1024..16777216)"},
	{"mbufs_big", "mempool = {\n  mbufs = 16777217;  #!\n};\n" PORTS2, 2,
		"mempool: mbufs 16777217 is out of range (0..16777216)"},
	{"cache_big", "mempool = {\n  cache = 513;  #!\n};\n" PORTS2, 2,
		"mempool: cache 513 is out of range (0..512)"},
	{"reachable_zero", "arp = {\n  reachable_s = 0;  #!\n};\n" PORTS2, 2,
		"arp: reachable_s 0 is out of range (1..86400)"},
	{"retry_ms_small", "arp = {\n  retry_ms = 5;  #!\n};\n" PORTS2, 2,
		"arp: retry_ms 5 is out of range (10..60000)"},
	{"retries_big", "arp = {\n  retries = 101;  #!\n};\n" PORTS2, 2,
		"arp: retries 101 is out of range (1..100)"},
	{"pending_big", "arp = {\n  pending_max = 2000;  #!\n};\n" PORTS2, 2,
		"arp: pending_max 2000 is out of range (0..1024)"},
	{"max_entries_small", "arp = {\n  max_entries = 8;  #!\n};\n" PORTS2, 2,
		"arp: max_entries 8 is out of range (16..1048576)"},
	{"rate_negative", "icmp = {\n  rate_pps = -1;  #!\n};\n" PORTS2, 2,
		"icmp: rate_pps -1 is out of range (0..1000000)"},
	{"reass_frags_big", "reassembly = {\n  max_fragments = 257;  #!\n};\n" PORTS2, 2,
		"reassembly: max_fragments 257 is out of range (2..256)"},
	{"reass_timeout_small", "reassembly = {\n  timeout_ms = 5;  #!\n};\n" PORTS2, 2,
		"reassembly: timeout_ms 5 is out of range (10..120000)"},
	{"reass_held_below_frags", "reassembly = {\n  max_fragments = 200;\n  max_held = 100;  #!\n"
		"};\n" PORTS2, 3, "reassembly: max_held 100 is less than max_fragments 200"},
	{"reass_unknown_key", "reassembly = {\n  max_frags = 2;  #!\n};\n" PORTS2, 2,
		"max_frags"},
	{"fragment_not_bool", "icmp = {\n  fragment = 1;  #!\n};\n" PORTS2, 2,
		"icmp: fragment must be a boolean (true or false), not an integer"},
	{"cli_idle_range", "cli = {\n  idle_timeout_s = 86401;  #!\n};\n" PORTS2, 2,
		"cli: idle_timeout_s 86401 is out of range (0..86400)"},
	{"cli_idle_negative", "cli = {\n  idle_timeout_s = -1;  #!\n};\n" PORTS2, 2,
		"cli: idle_timeout_s -1 is out of range (0..86400)"},
	{"cli_idle_type", "cli = {\n  idle_timeout_s = \"10m\";  #!\n};\n" PORTS2, 2,
		"cli: idle_timeout_s must be an integer, not a string"},
	{"cli_unknown_key", "cli = {\n  timeout = 5;  #!\n};\n" PORTS2, 2,
		"cli: unknown key \"timeout\" (known keys: address, port, idle_timeout_s)"},

	/* ports */
	{"port_name_missing", "ports = (\n  {  #!\n    devargs = \"net_null0\";\n"
		"    addresses = [\"198.18.0.1/24\"];\n  }\n);\n", 2,
		"port #1: missing required key \"name\""},
	{"port_name_chars", "ports = (\n  {\n    name = \"up link\";  #!\n"
		"    devargs = \"net_null0\";\n    addresses = [\"198.18.0.1/24\"];\n  }\n);\n", 3,
		"port #1: name \"up link\" must be 1..31 characters of A-Z a-z 0-9 _ . -"},
	{"port_name_long", "ports = (\n  {\n    name = \"abcdefghijklmnopqrstuvwxyz012345\";  #!\n"
		"    devargs = \"net_null0\";\n    addresses = [\"198.18.0.1/24\"];\n  }\n);\n", 3,
		"must be 1..31 characters"},
	{"port_name_int", "ports = (\n  {\n    name = 1;  #!\n  }\n);\n", 3,
		"port #1: name must be a string, not an integer"},
	{"port_name_dup", "ports = (\n"
		"  { name = \"a\"; devargs = \"net_null0\"; addresses = [\"198.18.0.1/24\"]; },\n"
		"  { name = \"a\"; devargs = \"net_null1\";"
		" addresses = [\"198.19.0.1/24\"]; }  #!\n"
		");\n", 3, "port #2: duplicate port name \"a\" (first defined on line 2)"},
	{"devargs_missing", "ports = (\n  {  #!\n    name = \"a\";\n"
		"    addresses = [\"198.18.0.1/24\"];\n  }\n);\n", 2,
		"port \"a\": missing required key \"devargs\""},
	{"devargs_empty", "ports = (\n  {\n    name = \"a\";\n    devargs = \"\";  #!\n"
		"    addresses = [\"198.18.0.1/24\"];\n  }\n);\n", 4,
		"port \"a\": devargs is empty"},
	{"devargs_dup", "ports = (\n"
		"  { name = \"a\"; devargs = \"net_tap0,iface=x\";"
		" addresses = [\"198.18.0.1/24\"]; },\n"
		"  { name = \"b\"; devargs = \"net_tap0,iface=y\";"
		" addresses = [\"198.19.0.1/24\"]; }  #!\n"
		");\n", 3, "port \"b\": device \"net_tap0\" is already used by port \"a\""},
	{"addresses_missing",
		"ports = (\n  {  #!\n    name = \"a\";\n    devargs = \"net_null0\";\n  }\n);\n", 2,
		"port \"a\": missing required key \"addresses\""},
	{"addresses_empty", "ports = (\n  {\n    name = \"a\";\n    devargs = \"net_null0\";\n"
		"    addresses = [];  #!\n  }\n);\n", 5,
		"port \"a\": addresses is empty; a port needs at least one address"},
	{"addresses_string", "ports = (\n  {\n    name = \"a\";\n    devargs = \"net_null0\";\n"
		"    addresses = \"198.18.0.1/24\";  #!\n  }\n);\n", 5,
		"port \"a\": addresses must be an array of strings"},
	{"address_no_len", "ports = (\n  {\n    name = \"a\";\n    devargs = \"net_null0\";\n"
		"    addresses = [\"198.18.0.1\"];  #!\n  }\n);\n", 5,
		"port \"a\": address \"198.18.0.1\" is not an address with a prefix length "
		"(A.B.C.D/LEN or X:X::X/LEN)"},
	{"address_ipv6_bad_len", PORT_ADDRS("\"2001:db8::1/129\""), 5,
		"port \"a\": address \"2001:db8::1/129\" is not an address with a prefix length"},
	{"address_ipv6_zero_len", PORT_ADDRS("\"2001:db8::1/0\""), 5,
		"port \"a\": address 2001:db8::1/0: prefix length must be 1..128"},
	{"address_ipv6_mcast", PORT_ADDRS("\"ff02::1/64\""), 5,
		"port \"a\": address ff02::1/64 is not a unicast host address"},
	{"address_ipv6_loopback", PORT_ADDRS("\"::1/128\""), 5,
		"port \"a\": address ::1/128 is not a unicast host address"},
	{"address_ipv6_unspec", PORT_ADDRS("\"::/64\""), 5,
		"port \"a\": address ::/64 is not a unicast host address"},
	{"address_ipv6_mapped", PORT_ADDRS("\"::ffff:198.18.0.1/120\""), 5,
		"port \"a\": address \"::ffff:198.18.0.1/120\" is not an address with a prefix"},
	{"address_ipv6_link_local", PORT_ADDRS("\"fe80::1/64\""), 5,
		"port \"a\": address fe80::1/64 is link-local; give a global or unique-local "
		"address"},
	{"address_ipv6_anycast", PORT_ADDRS("\"2001:db8:1::/64\""), 5,
		"port \"a\": address 2001:db8:1::/64 is the subnet-router anycast address of "
		"2001:db8:1::/64; use a host address"},
	{"address_ipv6_twice", PORT_ADDRS("\"2001:db8::1/64\", \"2001:db8::1/120\""), 5,
		"port \"a\": address 2001:db8::1 is listed twice"},
	{"address_ipv6_overlap", "ports = (\n"
		"  { name = \"a\"; devargs = \"net_null0\"; addresses = [\"2001:db8::1/48\"]; },\n"
		"  { name = \"b\"; devargs = \"net_null1\";"
		" addresses = [\"2001:db8:0:5::1/64\"]; }  #!\n"
		");\n", 3,
		"port \"b\": address 2001:db8:0:5::1/64 overlaps 2001:db8::1/48 on port \"a\""},
	{"address_bad_len", "ports = (\n  {\n    name = \"a\";\n    devargs = \"net_null0\";\n"
		"    addresses = [\"198.18.0.1/33\"];  #!\n  }\n);\n", 5,
		"address \"198.18.0.1/33\" is not an address with a prefix length"},
	{"address_twice_same_port", "ports = (\n  {\n    name = \"a\";\n"
		"    devargs = \"net_null0\";\n"
		"    addresses = [\"198.18.0.1/24\", \"198.18.0.1/25\"];  #!\n  }\n);\n", 5,
		"port \"a\": address 198.18.0.1 is listed twice"},
	/* ports[].fullnat_addresses: the FullNAT source pool */
	{"fullnat_not_array", "ports = (\n  { name = \"a\"; devargs = \"net_null0\";"
		" addresses = [\"198.18.0.1/24\"];\n    fullnat_addresses = \"198.18.0.5\"; }  #!\n"
		");\n", 3, "port \"a\": fullnat_addresses must be an array of strings"},
	{"fullnat_not_v4", "ports = (\n  { name = \"a\"; devargs = \"net_null0\";"
		" addresses = [\"198.18.0.1/24\"];\n    fullnat_addresses = [\"198.18.0\"]; }  #!\n"
		");\n", 3, "port \"a\": fullnat_addresses \"198.18.0\" is not an IPv4 or IPv6 "
		"address"},
	{"fullnat_v6_off_prefix", "ports = (\n  { name = \"a\"; devargs = \"net_null0\";"
		" addresses = [\"198.18.0.1/24\", \"2001:db8:1::1/64\"];\n"
		"    fullnat_addresses = [\"198.18.0.5\", \"2001:db8:2::5\"]; }  #!\n);\n", 3,
		"port \"a\": fullnat_addresses: 2001:db8:2::5 is not on a connected prefix of the "
		"port"},
	{"fullnat_v6_anycast", "ports = (\n  { name = \"a\"; devargs = \"net_null0\";"
		" addresses = [\"198.18.0.1/24\", \"2001:db8:1::1/64\"];\n"
		"    fullnat_addresses = [\"2001:db8:1::\"]; }  #!\n);\n", 3,
		"port \"a\": fullnat_addresses: 2001:db8:1:: is the network or broadcast address"},
	{"fullnat_v6_link_local", "ports = (\n  { name = \"a\"; devargs = \"net_null0\";"
		" addresses = [\"198.18.0.1/24\", \"2001:db8:1::1/64\"];\n"
		"    fullnat_addresses = [\"fe80::5\"]; }  #!\n);\n", 3,
		"port \"a\": fullnat_addresses: fe80::5 is not a unicast address (nor may it be "
		"link-local)"},
	{"fullnat_off_prefix", "ports = (\n  { name = \"a\"; devargs = \"net_null0\";"
		" addresses = [\"198.18.0.1/24\"];\n"
		"    fullnat_addresses = [\"198.18.0.5\", \"198.18.9.5\"]; }  #!\n);\n", 3,
		"port \"a\": fullnat_addresses: 198.18.9.5 is not on a connected prefix of the port"},
	{"fullnat_broadcast", "ports = (\n  { name = \"a\"; devargs = \"net_null0\";"
		" addresses = [\"198.18.0.1/24\"];\n    fullnat_addresses = [\"198.18.0.255\"]; }  #!\n"
		");\n", 3, "fullnat_addresses: 198.18.0.255 is the network or broadcast address"},
	{"fullnat_twice", "ports = (\n  { name = \"a\"; devargs = \"net_null0\";"
		" addresses = [\"198.18.0.1/24\"];\n"
		"    fullnat_addresses = [\"198.18.0.5\", \"198.18.0.5\"]; }  #!\n);\n", 3,
		"port \"a\": fullnat_addresses: 198.18.0.5 is listed twice"},
	{"fullnat_other_port", "ports = (\n"
		"  { name = \"a\"; devargs = \"net_null0\"; addresses = [\"198.18.0.1/24\"];"
		" fullnat_addresses = [\"198.18.0.5\"]; },\n"
		"  { name = \"b\"; devargs = \"net_null1\";"
		" addresses = [\"198.19.0.1/24\", \"198.18.0.5/32\"]; }  #!\n"
		");\n", 3, "port \"b\": address 198.18.0.5/32 is a FullNAT source address of port \"a\""},
	{"fullnat_vip", "ports = (\n  { name = \"a\"; devargs = \"net_null0\";"
		" addresses = [\"198.18.0.1/24\"]; fullnat_addresses = [\"198.18.0.5\"]; }\n);\n"
		"services = (\n  { name = \"web\"; protocol = \"tcp\"; port = 80;\n"
		"    vips = [\"198.18.0.5\"];  #!\n  }\n);\n", 6,
		"vip 198.18.0.5 is an address of port \"a\""},
	{"fullnat_backend", "ports = (\n  { name = \"a\"; devargs = \"net_null0\";"
		" addresses = [\"198.18.0.1/24\"]; fullnat_addresses = [\"198.18.0.5\"]; }\n);\n"
		"services = (\n  { name = \"web\"; protocol = \"tcp\"; port = 80;"
		" vips = [\"198.19.9.1\"];\n"
		"    backends = ( { address = \"198.18.0.5\"; } );  #!\n  }\n);\n", 6,
		"backend 198.18.0.5 is an address of port \"a\""},
	{"address_on_two_ports", "ports = (\n"
		"  { name = \"a\"; devargs = \"net_null0\"; addresses = [\"198.18.0.1/24\"]; },\n"
		"  { name = \"b\"; devargs = \"net_null1\";"
		" addresses = [\"198.18.0.1/24\"]; }  #!\n"
		");\n", 3, "port \"b\": address 198.18.0.1 is already on port \"a\""},
	{"address_overlap", "ports = (\n"
		"  { name = \"a\"; devargs = \"net_null0\"; addresses = [\"198.18.0.1/24\"]; },\n"
		"  { name = \"b\"; devargs = \"net_null1\";"
		" addresses = [\"198.18.0.129/25\"]; }  #!\n"
		");\n", 3,
		"port \"b\": address 198.18.0.129/25 overlaps 198.18.0.1/24 on port \"a\""},
	{"address_overlap_wider", "ports = (\n"
		"  { name = \"a\"; devargs = \"net_null0\"; addresses = [\"198.18.5.1/24\"]; },\n"
		"  { name = \"b\"; devargs = \"net_null1\";"
		" addresses = [\"198.18.0.1/16\"]; }  #!\n"
		");\n", 3, "address 198.18.0.1/16 overlaps 198.18.5.1/24 on port \"a\""},
	{"address_network", "ports = (\n  {\n    name = \"a\";\n    devargs = \"net_null0\";\n"
		"    addresses = [\"198.18.0.0/24\"];  #!\n  }\n);\n", 5,
		"address 198.18.0.0/24 is the network address of 198.18.0.0/24"},
	{"address_broadcast", "ports = (\n  {\n    name = \"a\";\n    devargs = \"net_null0\";\n"
		"    addresses = [\"198.18.0.255/24\"];  #!\n  }\n);\n", 5,
		"address 198.18.0.255/24 is the broadcast address of 198.18.0.0/24"},
	{"address_multicast", "ports = (\n  {\n    name = \"a\";\n    devargs = \"net_null0\";\n"
		"    addresses = [\"224.0.0.1/24\"];  #!\n  }\n);\n", 5,
		"address 224.0.0.1/24 is not a unicast host address"},
	{"address_len0", "ports = (\n  {\n    name = \"a\";\n    devargs = \"net_null0\";\n"
		"    addresses = [\"198.18.0.1/0\"];  #!\n  }\n);\n", 5,
		"address 198.18.0.1/0: prefix length must be 1..32"},
	{"mtu_small", PORT1("mtu = 20;"), 6, "port \"a\": mtu 20 is out of range (68..9000)"},
	{"mtu_float", PORT1("mtu = 1500.0;"), 6, "port \"a\": mtu must be an integer, not a float"},
	{"mtu_int64", PORT1("mtu = 4294969796L;"), 6,
		"port \"a\": mtu 4294969796 is out of range (68..9000)"},
	{"rx_queues_big", PORT1("rx_queues = 17;"), 6,
		"port \"a\": rx_queues 17 is out of range (1..16)"},
	{"rx_queues_zero", PORT1("rx_queues = 0;"), 6,
		"port \"a\": rx_queues 0 is out of range (1..16)"},
	{"rx_desc_pow2", PORT1("rx_desc = 1000;"), 6,
		"port \"a\": rx_desc 1000 is not a power of two"},
	{"tx_desc_small", PORT1("tx_desc = 32;"), 6,
		"port \"a\": tx_desc 32 is out of range (64..16384)"},
	{"tx_desc_pow2", PORT1("tx_desc = 3000;"), 6,
		"port \"a\": tx_desc 3000 is not a power of two"},

	/* ports[].kernel: the kernel twin */
	{"kernel_not_group", PORT1("kernel = \"ngw-a\";"), 6,
		"port \"a\": kernel must be a group { name = \"IFNAME\"; ... }, not a string"},
	{"kernel_no_name", PORT1("kernel = { backend = \"tap\"; };"), 6,
		"port \"a\": kernel: missing required key \"name\""},
	{"kernel_unknown_key", PORT1("kernel = { name = \"ngw-a\"; mtu = 1500; };"), 6,
		"port \"a\": kernel: unknown key \"mtu\" (known keys: name, backend, addresses, "
		"rate_pps, burst, queue_size)"},
	{"kernel_name_long", PORT1("kernel = { name = \"a234567890123456\"; };"), 6,
		"port \"a\": kernel: name \"a234567890123456\" must be 1..15 characters"},
	{"kernel_name_slash", PORT1("kernel = { name = \"ngw/a\"; };"), 6,
		"port \"a\": kernel: name \"ngw/a\" must be 1..15 characters"},
	{"kernel_name_dotdot", PORT1("kernel = { name = \"..\"; };"), 6,
		"port \"a\": kernel: name \"..\" must be 1..15 characters"},
	{"kernel_name_int", PORT1("kernel = { name = 7; };"), 6,
		"port \"a\": kernel: name must be a string, not an integer"},
	{"kernel_name_twice", "ports = (\n"
		"  { name = \"a\"; devargs = \"net_null0\"; addresses = [\"198.18.0.1/24\"]; "
		"kernel = { name = \"ngw\"; }; },\n"
		"  { name = \"b\"; devargs = \"net_null1\"; addresses = [\"198.19.0.1/24\"]; "
		"kernel = { name = \"ngw\"; }; }  #!\n);\n", 3,
		"port \"b\": kernel: name \"ngw\" is already the kernel interface of port \"a\""},
	{"kernel_name_is_iface", "ports = (\n"
		"  { name = \"a\"; devargs = \"net_af_packet0,iface=veth0,qpairs=1\"; "
		"addresses = [\"198.18.0.1/24\"];\n    kernel = { name = \"veth0\"; }; }  #!\n);\n", 3,
		"port \"a\": kernel: name \"veth0\" is the interface port \"a\" opens"},
	{"kernel_backend", PORT1("kernel = { name = \"ngw-a\"; backend = \"kni\"; };"), 6,
		"port \"a\": kernel: backend \"kni\" is not one of auto, virtio_user, tap"},
	{"kernel_addresses_str", PORT1("kernel = { name = \"ngw-a\"; addresses = \"yes\"; };"), 6,
		"port \"a\": kernel: addresses must be a boolean (true or false), not a string"},
	{"kernel_rate_zero", PORT1("kernel = { name = \"ngw-a\"; rate_pps = 0; };"), 6,
		"port \"a\": kernel: rate_pps 0 is out of range (1..10000000)"},
	{"kernel_burst_big", PORT1("kernel = { name = \"ngw-a\"; burst = 65537; };"), 6,
		"port \"a\": kernel: burst 65537 is out of range (1..65536)"},
	{"kernel_qsize_pow2", PORT1("kernel = { name = \"ngw-a\"; queue_size = 1000; };"), 6,
		"port \"a\": kernel: queue_size 1000 is not a power of two"},
	{"kernel_qsize_small", PORT1("kernel = { name = \"ngw-a\"; queue_size = 32; };"), 6,
		"port \"a\": kernel: queue_size 32 is out of range (64..4096)"},

	/* routes */
	{"route_prefix_missing", ROUTE("via = \"198.18.0.254\";"), 6,
		"route #1: missing required key \"prefix\""},
	{"route_host_bits", ROUTE("prefix = \"10.1.2.3/16\"; via = \"198.18.0.254\";"), 6,
		"route #1: prefix 10.1.2.3/16 has host bits set; did you mean 10.1.0.0/16?"},
	{"route_prefix_bad", ROUTE("prefix = \"10.0.0.0\"; via = \"198.18.0.254\";"), 6,
		"route #1: prefix \"10.0.0.0\" is not a prefix (A.B.C.D/LEN or X:X::X/LEN)"},
	{"route6_via_v4", ROUTE6("prefix = \"2001:db8:9::/48\"; via = \"198.18.0.254\";"), 6,
		"route 2001:db8:9::/48: via 198.18.0.254 is not an IPv6 address like the prefix"},
	{"route6_host_bits", ROUTE6("prefix = \"2001:db8:9::1/48\"; via = \"2001:db8:1::9\";"), 6,
		"route #1: prefix 2001:db8:9::1/48 has host bits set; did you mean 2001:db8:9::/48?"},
	{"route6_via_nowhere", ROUTE6("prefix = \"2001:db8:9::/48\"; via = \"2001:db8:3::9\";"), 6,
		"route 2001:db8:9::/48: next hop 2001:db8:3::9 is not on any port's connected "
		"prefix"},
	{"route6_via_own", ROUTE6("prefix = \"2001:db8:9::/48\"; via = \"2001:db8:2::1\";"), 6,
		"route 2001:db8:9::/48: next hop 2001:db8:2::1 is an address of port \"b\""},
	{"route6_port_wrong",
		ROUTE6("prefix = \"::/0\"; via = \"2001:db8:2::9\"; port = \"a\";"), 6,
		"route ::/0: next hop 2001:db8:2::9 is not on a connected prefix of port \"a\""},
	{"route6_connected", ROUTE6("prefix = \"2001:db8:2::/64\"; via = \"2001:db8:1::9\";"), 6,
		"route 2001:db8:2::/64: duplicates the connected prefix of port \"b\""},
	{"route6_via_mapped", ROUTE6("prefix = \"2001:db8:9::/48\"; via = \"::ffff:1.2.3.4\";"), 6,
		"route 2001:db8:9::/48: via ::ffff:1.2.3.4 is an IPv4-mapped IPv6 address; write the "
		"IPv4 address"},
	{"route_via_missing", ROUTE("prefix = \"10.0.0.0/8\";"), 6,
		"route 10.0.0.0/8: missing required key \"via\""},
	{"route_via_bad", ROUTE("prefix = \"10.0.0.0/8\"; via = \"gateway\";"), 6,
		"route 10.0.0.0/8: via \"gateway\" is not an IPv4 or IPv6 address"},
	{"route_via_ipv6", ROUTE("prefix = \"10.0.0.0/8\"; via = \"2001:db8::1\";"), 6,
		"route 10.0.0.0/8: via 2001:db8::1 is not an IPv4 address like the prefix"},
	{"route_via_nowhere", ROUTE("prefix = \"10.0.0.0/8\"; via = \"198.20.0.1\";"), 6,
		"route 10.0.0.0/8: next hop 198.20.0.1 is not on any port's connected prefix"},
	{"route_via_own", ROUTE("prefix = \"10.0.0.0/8\"; via = \"198.19.0.1\";"), 6,
		"route 10.0.0.0/8: next hop 198.19.0.1 is an address of port \"b\""},
	{"route_port_unknown",
		ROUTE("prefix = \"10.0.0.0/8\"; via = \"198.18.0.254\"; port = \"c\";"), 6,
		"route 10.0.0.0/8: port \"c\" does not exist"},
	{"route_port_wrong",
		ROUTE("prefix = \"10.0.0.0/8\"; via = \"198.19.0.254\"; port = \"a\";"), 6,
		"route 10.0.0.0/8: next hop 198.19.0.254 is not on a connected prefix of "
		"port \"a\""},
	{"route_port_int", ROUTE("prefix = \"10.0.0.0/8\"; via = \"198.18.0.254\"; port = 1;"),
		6, "route 10.0.0.0/8: port must be a string, not an integer"},
	{"route_dup", PORTS2 "routes = (\n"
		"  { prefix = \"10.0.0.0/8\"; via = \"198.18.0.254\"; },\n"
		"  { prefix = \"10.0.0.0/8\"; via = \"198.19.0.254\"; }  #!\n);\n", 7,
		"route 10.0.0.0/8: duplicate prefix (first defined on line 6)"},
	{"route_connected", ROUTE("prefix = \"198.19.0.0/24\"; via = \"198.18.0.254\";"), 6,
		"route 198.19.0.0/24: duplicates the connected prefix of port \"b\""},

	/* neighbours */
	{"neigh_address_missing", NEIGH("mac = \"02:00:00:00:00:02\";"), 6,
		"neighbour #1: missing required key \"address\""},
	{"neigh_address_bad", NEIGH("address = \"198.18.0.256\"; mac = \"02:00:00:00:00:02\";"), 6,
		"neighbour #1: address \"198.18.0.256\" is not an IPv4 or IPv6 address"},
	{"neigh6_nowhere", NEIGH6("address = \"2001:db8:3::7\"; mac = \"02:00:00:00:00:02\";"), 6,
		"neighbour 2001:db8:3::7: address 2001:db8:3::7 is not on any port's connected "
		"prefix"},
	{"neigh6_own", NEIGH6("address = \"2001:db8:1::1\"; mac = \"02:00:00:00:00:02\";"), 6,
		"neighbour 2001:db8:1::1: address 2001:db8:1::1 is an address of port \"a\" (this "
		"gateway), not a neighbour"},
	{"neigh_mac_missing", NEIGH("address = \"198.18.0.2\";"), 6,
		"neighbour 198.18.0.2: missing required key \"mac\""},
	{"neigh_mac_bad", NEIGH("address = \"198.18.0.2\"; mac = \"02:00:00:00:00\";"), 6,
		"neighbour 198.18.0.2: mac \"02:00:00:00:00\" is not a MAC address "
		"(aa:bb:cc:dd:ee:ff)"},
	{"neigh_mac_sloppy", NEIGH("address = \"198.18.0.2\"; mac = \"2:0:0:0:0:2\";"), 6,
		"mac \"2:0:0:0:0:2\" is not a MAC address"},
	{"neigh_mac_multicast", NEIGH("address = \"198.18.0.2\"; mac = \"01:00:5e:00:00:01\";"), 6,
		"neighbour 198.18.0.2: mac 01:00:5e:00:00:01 is a multicast or broadcast address"},
	{"neigh_mac_broadcast", NEIGH("address = \"198.18.0.2\"; mac = \"ff:ff:ff:ff:ff:ff\";"), 6,
		"mac ff:ff:ff:ff:ff:ff is a multicast or broadcast address"},
	{"neigh_mac_zero", NEIGH("address = \"198.18.0.2\"; mac = \"00:00:00:00:00:00\";"), 6,
		"neighbour 198.18.0.2: mac 00:00:00:00:00:00 is the zero address"},
	{"neigh_nowhere", NEIGH("address = \"198.20.0.2\"; mac = \"02:00:00:00:00:02\";"), 6,
		"neighbour 198.20.0.2: address 198.20.0.2 is not on any port's connected prefix"},
	{"neigh_own", NEIGH("address = \"198.18.0.1\"; mac = \"02:00:00:00:00:02\";"), 6,
		"neighbour 198.18.0.1: address 198.18.0.1 is an address of port \"a\""},
	{"neigh_port_unknown",
		NEIGH("address = \"198.18.0.2\"; mac = \"02:00:00:00:00:02\"; port = \"z\";"), 6,
		"neighbour 198.18.0.2: port \"z\" does not exist"},
	{"neigh_port_wrong",
		NEIGH("address = \"198.18.0.2\"; mac = \"02:00:00:00:00:02\"; port = \"b\";"), 6,
		"neighbour 198.18.0.2: address 198.18.0.2 is not on a connected prefix of "
		"port \"b\""},
	{"neigh_dup", PORTS2 "neighbours = (\n"
		"  { address = \"198.18.0.2\"; mac = \"02:00:00:00:00:02\"; },\n"
		"  { address = \"198.18.0.2\"; mac = \"02:00:00:00:00:03\"; port = \"a\"; }  #!\n"
		");\n", 7,
		"neighbour 198.18.0.2: duplicate neighbour on port \"a\" (first defined on "
		"line 6)"},

	/* conntrack and nat */
	{"conntrack_not_group", "conntrack = 65536;  #!\n" PORTS2, 1,
		"conntrack must be a group { ... }, not an integer"},
	{"conntrack_unknown_key", "conntrack = {\n  entries = 5;  #!\n};\n" PORTS2, 2,
		"conntrack: unknown key \"entries\" (known keys: max_entries, timeouts)"},
	{"conntrack_max_small", "conntrack = {\n  max_entries = 1023;  #!\n};\n" PORTS2, 2,
		"conntrack: max_entries 1023 is out of range (1024..67108864)"},
	{"conntrack_max_big", "conntrack = {\n  max_entries = 67108865;  #!\n};\n" PORTS2, 2,
		"conntrack: max_entries 67108865 is out of range (1024..67108864)"},
	{"conntrack_timeouts_list", "conntrack = {\n  timeouts = (30, 900);  #!\n};\n" PORTS2, 2,
		"conntrack: timeouts must be a group { ... }, not a list"},
	{"conntrack_timeouts_unknown", "conntrack = {\n  timeouts = {\n    tcp_syn = 30;\n"
		"    tcp_synack = 30;  #!\n  };\n};\n" PORTS2, 4,
		"conntrack: timeouts: unknown key \"tcp_synack\" (known keys: tcp_syn, "
		"tcp_established, tcp_fin, tcp_time_wait, tcp_close, udp, udp_unreplied)"},
	{"conntrack_timeout_zero", "conntrack = {\n  timeouts = { tcp_close = 0; };  #!\n};\n"
		PORTS2, 2, "conntrack: timeouts: tcp_close 0 is out of range (1..604800)"},
	{"conntrack_timeout_big", "conntrack = {\n  timeouts = {\n    udp = 604801;  #!\n  };\n};\n"
		PORTS2, 3, "conntrack: timeouts: udp 604801 is out of range (1..604800)"},
	{"conntrack_timeout_string", "conntrack = {\n  timeouts = { udp = \"5m\"; };  #!\n};\n"
		PORTS2, 2, "conntrack: timeouts: udp must be an integer, not a string"},
	{"nat_unknown_key", "nat = {\n  ports = 5;  #!\n};\n" PORTS2, 2,
		"nat: unknown key \"ports\" (known keys: port_min, port_max)"},
	{"nat_min_low", "nat = {\n  port_min = 1023;  #!\n};\n" PORTS2, 2,
		"nat: port_min 1023 is out of range (1024..65535)"},
	{"nat_max_big", "nat = {\n  port_max = 65536;  #!\n};\n" PORTS2, 2,
		"nat: port_max 65536 is out of range (1024..65535)"},
	{"nat_inverted", "nat = {\n  port_min = 50000;\n  port_max = 40000;  #!\n};\n" PORTS2, 3,
		"nat: port_min 50000 must be below port_max 40000"},
	{"nat_equal", "nat = {\n  port_min = 40000;\n  port_max = 40000;  #!\n};\n" PORTS2, 3,
		"nat: port_min 40000 must be below port_max 40000"},
	{"nat_too_small", "nat = {\n  port_min = 40000;\n  port_max = 41022;  #!\n};\n" PORTS2, 3,
		"nat: port_min..port_max (40000..41022) holds 1023 ports; at least 1024 are "
		"needed"},
	{"nat_too_small_min_only", "nat = {\n  port_min = 60000;  #!\n};\n" PORTS2, 2,
		"nat: port_min..port_max (60000..60999) holds 1000 ports"},

	/* services: structure, names, scalars */
	{"services_is_group", PORTS2 "services = {  #!\n  name = \"web\";\n};\n", 5,
		"services must be a list ( { ... }, ... ), not a group"},
	{"service_elem_not_group", PORTS2 "services = (\n  \"web\"  #!\n);\n", 6,
		"services: element #1 must be a group { ... }, not a string"},
	{"service_unknown_key", SVC(SVC_WEB "weight = 3;"), 6,
		"service \"web\": unknown key \"weight\" (known keys: name, protocol, port, vips, "
		"node_port, scheduler, mode, affinity, affinity_timeout, timeouts, backends, "
		"source_ranges)"},
	{"service_name_missing", SVC("protocol = \"tcp\"; port = 80;"), 6,
		"service #1: missing required key \"name\""},
	{"service_name_chars", SVC("name = \"web app\"; protocol = \"tcp\"; port = 80;"), 6,
		"service #1: name \"web app\" must be 1..191 characters of A-Z a-z 0-9 _ . : / -"},
	{"service_name_empty", SVC("name = \"\"; protocol = \"tcp\"; port = 80;"), 6,
		"service #1: name \"\" must be 1..191 characters"},
	{"service_name_int", SVC("name = 5; protocol = \"tcp\"; port = 80;"), 6,
		"service #1: name must be a string, not an integer"},
	{"service_name_dup", PORTS2 "services = (\n"
		"  { " SVC_WEB " },\n"
		"  { name = \"api\"; protocol = \"tcp\"; port = 81; "
		"vips = [\"198.18.100.11\"]; },\n"
		"  {\n"
		"    name = \"web\";  #!\n"
		"    protocol = \"udp\";\n"
		"    port = 80;\n"
		"  }\n"
		");\n", 9, "service #3: duplicate service name \"web\" (first defined on line 6)"},
	{"protocol_missing", SVC("name = \"web\"; port = 80;"), 6,
		"service \"web\": missing required key \"protocol\""},
	{"protocol_sctp", SVC("name = \"web\"; protocol = \"sctp\"; port = 80;"), 6,
		"service \"web\": protocol \"sctp\": SCTP is not supported"},
	{"protocol_unknown", SVC("name = \"web\"; protocol = \"icmp\"; port = 80;"), 6,
		"service \"web\": protocol \"icmp\" is not one of tcp, udp"},
	{"port_missing", SVC("name = \"web\"; protocol = \"tcp\"; vips = [\"198.18.100.10\"];"), 6,
		"service \"web\": missing required key \"port\""},
	{"port_zero", SVC("name = \"web\"; protocol = \"tcp\"; port = 0;"), 6,
		"service \"web\": port 0 is out of range (1..65535)"},
	{"port_big", SVC("name = \"web\"; protocol = \"tcp\"; port = 65536;"), 6,
		"service \"web\": port 65536 is out of range (1..65535)"},
	{"port_string", SVC("name = \"web\"; protocol = \"tcp\"; port = \"http\";"), 6,
		"service \"web\": port must be an integer, not a string"},
	{"scheduler_bad", SVC(SVC_WEB "scheduler = \"fast\";"), 6,
		"service \"web\": scheduler \"fast\" is not one of maglev, wrr, random"},
	{"mode_bad", SVC(SVC_WEB "mode = \"nat\";"), 6,
		"service \"web\": mode \"nat\" is not one of fullnat, dnat, dsr"},
	{"affinity_bad", SVC(SVC_WEB "affinity = \"sticky\";"), 6,
		"service \"web\": affinity \"sticky\" is not one of none, client-ip"},
	{"affinity_bool", SVC(SVC_WEB "affinity = true;"), 6,
		"service \"web\": affinity must be a string, not a boolean"},
	{"affinity_timeout_zero", SVC(SVC_WEB "affinity = \"client-ip\"; affinity_timeout = 0;"),
		6, "service \"web\": affinity_timeout 0 is out of range (1..86400)"},
	{"affinity_timeout_big",
		SVC(SVC_WEB "affinity = \"client-ip\"; affinity_timeout = 86401;"), 6,
		"service \"web\": affinity_timeout 86401 is out of range (1..86400)"},
	{"affinity_timeout_without", SVC(SVC_WEB "affinity_timeout = 600;"), 6,
		"service \"web\": affinity_timeout needs affinity = \"client-ip\""},
	{"svc_timeouts_not_group", SVC(SVC_WEB "timeouts = 30;"), 6,
		"service \"web\": timeouts must be a group { ... }, not an integer"},
	{"svc_timeouts_unknown", SVC(SVC_WEB "timeouts = { tcp = 30; };"), 6,
		"service \"web\": timeouts: unknown key \"tcp\""},
	{"svc_timeouts_zero", SVC(SVC_WEB "timeouts = { tcp_established = 0; };"), 6,
		"service \"web\": timeouts: tcp_established 0 is out of range (1..604800)"},
	{"svc_timeouts_udp_on_tcp", SVC(SVC_WEB "timeouts = { tcp_fin = 60; udp = 30; };"), 6,
		"service \"web\": timeouts: udp does not apply to a tcp service"},
	{"svc_timeouts_tcp_on_udp", PORTS2 "services = (\n  {\n    name = \"dns\";\n"
		"    protocol = \"udp\";\n    port = 53;\n    vips = [\"198.18.100.53\"];\n"
		"    timeouts = {\n      udp = 30;\n      tcp_syn = 5;  #!\n    };\n  }\n);\n", 13,
		"service \"dns\": timeouts: tcp_syn does not apply to a udp service"},

	/* services: frontends */
	{"vips_string", SVC("name = \"web\"; protocol = \"tcp\"; port = 80; "
		"vips = \"198.18.100.10\";"), 6,
		"service \"web\": vips must be an array of strings [\"A.B.C.D\", ...], "
		"not a string"},
	{"vips_ints", SVC("name = \"web\"; protocol = \"tcp\"; port = 80; vips = [1];"), 6,
		"service \"web\": vips must be strings \"A.B.C.D\", not an integer"},
	{"vip_bad", SVC("name = \"web\"; protocol = \"tcp\"; port = 80; vips = [\"198.18.100\"];"),
		6, "service \"web\": vip \"198.18.100\" is not an IPv4 or IPv6 address"},
	{"vip_prefix", SVC("name = \"web\"; protocol = \"tcp\"; port = 80; "
		"vips = [\"198.18.100.0/24\"];"), 6,
		"service \"web\": vip \"198.18.100.0/24\" is not an IPv4 or IPv6 address"},
	{"vip_mixed_families", PORTS2 "services = (\n  {\n    name = \"web\";\n    protocol = \"tcp\";\n"
		"    port = 80;\n    vips = [\n      \"198.18.100.10\",\n"
		"      \"2001:db8::10\"  #!\n    ];\n  }\n);\n", 12,
		"service \"web\": vip 2001:db8::10 is IPv6, the service is IPv4 (a service is one "
		"family: make one service per family)"},
	{"vip6_link_local", SVC("name = \"web\"; protocol = \"tcp\"; port = 80; "
		"vips = [\"fe80::10\"];"), 6, "service \"web\": vip fe80::10 is not a unicast address"},
	{"vip6_multicast", SVC("name = \"web\"; protocol = \"tcp\"; port = 80; "
		"vips = [\"ff05::10\"];"), 6, "service \"web\": vip ff05::10 is not a unicast address"},
	{"vip_multicast", SVC("name = \"web\"; protocol = \"tcp\"; port = 80; "
		"vips = [\"224.1.1.1\"];"), 6,
		"service \"web\": vip 224.1.1.1 is not a unicast address"},
	{"vip_port_address", SVC("name = \"web\"; protocol = \"tcp\"; port = 80; "
		"vips = [\"198.19.0.1\"];"), 6,
		"service \"web\": vip 198.19.0.1 is an address of port \"b\"; use node_port to "
		"serve on port addresses"},
	{"vip_twice", PORTS2 "services = (\n  {\n    name = \"web\";\n    protocol = \"tcp\";\n"
		"    port = 80;\n    vips = [\n      \"198.18.100.10\",\n      \"198.18.100.11\",\n"
		"      \"198.18.100.10\"  #!\n    ];\n  }\n);\n", 13,
		"service \"web\": duplicate frontend 198.18.100.10:80/tcp (vip listed twice, first "
		"on line 11)"},
	{"frontend_dup", PORTS2 "services = (\n"
		"  {\n"
		"    name = \"web\";\n"
		"    protocol = \"tcp\";\n"
		"    port = 80;\n"
		"    vips = [\"198.18.100.9\", \"198.18.100.10\"];\n"
		"  },\n"
		"  { name = \"web-udp\"; protocol = \"udp\"; port = 80; "
		"vips = [\"198.18.100.10\"]; },\n"
		"  { name = \"web-8080\"; protocol = \"tcp\"; port = 8080; "
		"vips = [\"198.18.100.10\"]; },\n"
		"  {\n"
		"    name = \"api\";\n"
		"    protocol = \"TCP\";\n"
		"    port = 80;\n"
		"    vips = [\n"
		"      \"198.18.100.20\",\n"
		"      \"198.18.100.10\"  #!\n"
		"    ];\n"
		"  }\n"
		");\n", 20,
		"service \"api\": duplicate frontend 198.18.100.10:80/tcp (also in service "
		"\"web\" at line 10)"},
	{"no_frontend", SVC("name = \"web\"; protocol = \"tcp\"; port = 80;"), 6,
		"service \"web\": has no frontend: give vips or node_port"},
	{"no_frontend_empty_vips", PORTS2 "services = (\n  {\n    name = \"web\";\n"
		"    protocol = \"tcp\";\n    port = 80;\n    vips = [];  #!\n  }\n);\n", 10,
		"service \"web\": has no frontend: give vips or node_port"},
	{"node_port_zero", SVC(SVC_WEB "node_port = 0;"), 6,
		"service \"web\": node_port 0 is out of range (1..65535)"},
	{"node_port_in_nat", SVC(SVC_WEB "node_port = 40000;"), 6,
		"service \"web\": node_port 40000 lies in nat.port_min..port_max (32768..60999), "
		"where FullNAT source ports are allocated"},
	{"node_port_in_custom_nat", "nat = { port_min = 20000; port_max = 40000; };\n"
		PORTS2 "services = (\n  {\n    name = \"web\";\n    protocol = \"tcp\";\n"
		"    port = 80;\n    node_port = 20000;  #!\n  }\n);\n", 11,
		"service \"web\": node_port 20000 lies in nat.port_min..port_max (20000..40000)"},
	{"node_port_dup", PORTS2 "services = (\n"
		"  {\n"
		"    name = \"web\";\n"
		"    protocol = \"tcp\";\n"
		"    port = 80;\n"
		"    node_port = 30080;\n"
		"  },\n"
		"  { name = \"dns\"; protocol = \"udp\"; port = 53; node_port = 30080; },\n"
		"  {\n"
		"    name = \"api\";\n"
		"    protocol = \"tcp\";\n"
		"    port = 443;\n"
		"    vips = [\"198.18.100.10\"];\n"
		"    node_port = 30080;  #!\n"
		"  }\n"
		");\n", 18,
		"service \"api\": duplicate node_port 30080/tcp (also in service \"web\" at "
		"line 10)"},
	{"node_port_dup6", PORTS2V6 "services = (\n"
		"  { name = \"web6\"; protocol = \"tcp\"; port = 80; node_port = 30080;\n"
		"    vips = [\"2001:db8:100::10\"]; },\n"
		"  { name = \"api6\"; protocol = \"tcp\"; port = 80; node_port = 30080;  #!\n"
		"    source_ranges = [\"2001:db8:7::/48\"]; }\n);\n", 8,
		"service \"api6\": duplicate node_port 30080/tcp on IPv6 (also in service "
		"\"web6\" at line 6)"},

	/* services: backends */
	{"backends_group", SVC(SVC_WEB "backends = { address = \"198.18.0.2\"; };"), 6,
		"service \"web\": backends must be a list ( { address = ...; port = ...; }, ... ), "
		"not a group"},
	{"backends_array", SVC(SVC_WEB "backends = [\"198.18.0.2\"];"), 6,
		"service \"web\": backends must be a list"},
	{"backend_elem_not_group", SVC(SVC_WEB "backends = ( \"198.18.0.2\" );"), 6,
		"service \"web\": backends: element #1 must be a group { ... }, not a string"},
	{"backend_address_missing", SVC(SVC_WEB "backends = ( { port = 8080; } );"), 6,
		"service \"web\": backend #1: missing required key \"address\""},
	{"backend_address_bad", SVC(SVC_WEB "backends = ( { address = \"pod-1\"; } );"), 6,
		"service \"web\": backend #1: address \"pod-1\" is not an IPv4 or IPv6 address"},
	{"backend_ipv6_for_ipv4_vip", SVC(SVC_WEB "backends = ( { address = \"2001:db8::2\"; } );"),
		6, "service \"web\": backend 2001:db8::2 is IPv6, the service is IPv4 (a service is "
		"one family: make one service per family)"},
	{"backend6_mixed", PORTS2V6 "services = (\n  { name = \"web\"; protocol = \"tcp\"; "
		"port = 80; node_port = 30080; backends = ( { address = \"2001:db8:2::5\"; },\n"
		"    { address = \"198.19.0.5\"; } ); }  #!\n);\n", 7,
		"service \"web\": backend 198.19.0.5 is IPv4, the service is IPv6 (a service is "
		"one family: make one service per family)"},
	{"backend6_unrouted", PORTS2V6 "services = (\n  { name = \"web\"; protocol = \"tcp\"; "
		"port = 80; vips = [\"2001:db8:100::10\"];\n"
		"    backends = ( { address = \"2001:db8:7::5\"; } ); }  #!\n);\n", 7,
		"service \"web\": backend 2001:db8:7::5 is in no connected or routed prefix"},
	{"dsr6_mixed", PORTS2V6 "services = (\n  { name = \"web\"; protocol = \"tcp\"; "
		"port = 80; mode = \"dsr\"; vips = [\"2001:db8:100::10\"];\n"
		"    backends = ( { address = \"198.19.0.5\"; } ); }  #!\n);\n", 7,
		"service \"web\": backend 198.19.0.5 is IPv4, the service is IPv6 (a service is "
		"one family: make one service per family)"},
	{"dsr4_mixed", PORTS2V6 "services = (\n  { name = \"web\"; protocol = \"tcp\"; "
		"port = 80; mode = \"dsr\"; vips = [\"198.18.100.10\"];\n"
		"    backends = ( { address = \"2001:db8:2::5\"; } ); }  #!\n);\n", 7,
		"service \"web\": backend 2001:db8:2::5 is IPv6, the service is IPv4 (a service is "
		"one family: make one service per family)"},
	{"vip6_source_ranges", PORTS2V6 "services = (\n  { name = \"web\"; protocol = \"tcp\"; "
		"port = 80; vips = [\"2001:db8:100::10\"];\n"
		"    source_ranges = [\"198.18.0.0/16\"]; }  #!\n);\n", 7,
		"service \"web\": source_ranges: 198.18.0.0/16 is IPv4, the service is IPv6 (a "
		"service is one family: so are its ranges)"},
	{"src_ranges_mixed", PORTS2V6 "services = (\n  { name = \"web\"; protocol = \"tcp\"; "
		"port = 80; node_port = 30080;\n"
		"    source_ranges = [\"2001:db8:7::/48\",\n"
		"      \"198.18.0.0/16\"]; }  #!\n);\n", 8,
		"service \"web\": source_ranges: 198.18.0.0/16 is IPv4, the first range is IPv6"},
	{"backend6_source_ranges", PORTS2V6 "services = (\n  { name = \"web\"; "
		"protocol = \"tcp\"; port = 80; node_port = 30080;\n"
		"    source_ranges = [\"198.18.0.0/16\"];\n"
		"    backends = ( { address = \"2001:db8:2::5\"; } ); }  #!\n);\n", 8,
		"service \"web\": backend 2001:db8:2::5 is IPv6, and source_ranges are IPv4 "
		"prefixes (a service is one family: so are its ranges)"},
	{"backend4_source_ranges6", PORTS2V6 "services = (\n  { name = \"web\"; "
		"protocol = \"tcp\"; port = 80; node_port = 30080;\n"
		"    source_ranges = [\"2001:db8:7::/48\"];\n"
		"    backends = ( { address = \"198.19.0.5\"; } ); }  #!\n);\n", 8,
		"service \"web\": backend 198.19.0.5 is IPv4, and source_ranges are IPv6 "
		"prefixes"},
	{"backend6_dup", PORTS2V6 "services = (\n  { name = \"web\"; protocol = \"tcp\"; "
		"port = 80; node_port = 30080; backends = ( { address = \"2001:db8:2::5\"; },\n"
		"    { address = \"2001:db8:2::5\"; } ); }  #!\n);\n", 7,
		"service \"web\": duplicate backend 2001:db8:2::5:80 (first defined on line 6)"},
	{"backend_unknown_key",
		SVC(SVC_WEB "backends = ( { address = \"198.18.0.2\"; prio = 1; } );"), 6,
		"service \"web\": backend 198.18.0.2: unknown key \"prio\" (known keys: address, "
		"port, weight)"},
	{"backend_unroutable", PORTS2 "routes = (\n"
		"  { prefix = \"10.0.0.0/8\"; via = \"198.18.0.254\"; }\n"
		");\n"
		"services = (\n"
		"  {\n"
		"    name = \"web\";\n"
		"    protocol = \"tcp\";\n"
		"    port = 80;\n"
		"    vips = [\"198.18.100.10\"];\n"
		"    backends = (\n"
		"      { address = \"198.19.0.2\"; port = 8080; },\n"
		"      { address = \"10.1.2.3\"; port = 8080; },\n"
		"      { address = \"203.0.113.5\"; port = 8080; }  #!\n"
		"    );\n"
		"  }\n"
		");\n", 17,
		"service \"web\": backend 203.0.113.5 is in no connected or routed prefix"},
	{"backend_own_address", SVC(SVC_WEB "backends = ( { address = \"198.19.0.1\"; } );"), 6,
		"service \"web\": backend 198.19.0.1 is an address of port \"b\" (this gateway)"},
	{"backend_broadcast", SVC(SVC_WEB "backends = ( { address = \"255.255.255.255\"; } );"),
		6, "service \"web\": backend 255.255.255.255 is not a unicast address"},
	{"backend_port_zero",
		SVC(SVC_WEB "backends = ( { address = \"198.18.0.2\"; port = 0; } );"), 6,
		"service \"web\": backend 198.18.0.2: port 0 is out of range (1..65535)"},
	{"backend_weight_big",
		SVC(SVC_WEB "backends = ( { address = \"198.18.0.2\"; weight = 10001; } );"), 6,
		"service \"web\": backend 198.18.0.2: weight 10001 is out of range (0..10000)"},
	{"backend_weight_negative",
		SVC(SVC_WEB "backends = ( { address = \"198.18.0.2\"; weight = -1; } );"), 6,
		"service \"web\": backend 198.18.0.2: weight -1 is out of range (0..10000)"},
	{"backend_weight_float",
		SVC(SVC_WEB "backends = ( { address = \"198.18.0.2\"; weight = 1.5; } );"), 6,
		"service \"web\": backend 198.18.0.2: weight must be an integer, not a float"},
	{"backend_dup", PORTS2 "services = (\n  {\n    name = \"web\";\n    protocol = \"tcp\";\n"
		"    port = 80;\n    vips = [\"198.18.100.10\"];\n    backends = (\n"
		"      { address = \"198.18.0.2\"; port = 8080; },\n"
		"      { address = \"198.18.0.2\"; port = 8081; },\n"
		"      { address = \"198.18.0.3\"; port = 8080; },\n"
		"      { address = \"198.18.0.2\"; port = 8080; weight = 5; }  #!\n"
		"    );\n  }\n);\n", 15,
		"service \"web\": duplicate backend 198.18.0.2:8080 (first defined on line 12)"},
	{"backend_dup_default_port", PORTS2 "services = (\n  {\n    name = \"web\";\n"
		"    protocol = \"tcp\";\n    port = 80;\n    vips = [\"198.18.100.10\"];\n"
		"    backends = (\n      { address = \"198.18.0.2\"; port = 80; },\n"
		"      { address = \"198.18.0.2\"; }  #!\n    );\n  }\n);\n", 13,
		"service \"web\": duplicate backend 198.18.0.2:80 (first defined on line 12)"},
	/* kubernetes: the line of the section for cross-key errors */
	{"k8s_not_group", PORTS2 "kubernetes = 5;  #!\n", 5,
		"kubernetes must be a group { ... }, not an integer"},
	{"k8s_unknown_key", PORTS2 "kubernetes = {\n  token = \"x\";  #!\n};\n", 6,
		"kubernetes: unknown key \"token\" (known keys: enabled, server, token_file"},
	{"k8s_enabled_type", PORTS2 "kubernetes = {\n  enabled = 1;  #!\n};\n", 6,
		"kubernetes: enabled must be a boolean (true or false), not an integer"},
	{"k8s_server_scheme", PORTS2 "kubernetes = {\n  server = \"ftp://a\";  #!\n};\n", 6,
		"kubernetes: server \"ftp://a\" must start with https://"},
	{"k8s_server_plain", PORTS2 "kubernetes = {\n  server = \"http://a:8080\";  #!\n};\n", 6,
		"kubernetes: server \"http://a:8080\" is plain HTTP; that needs "
		"insecure_skip_tls_verify = true"},
	{"k8s_server_empty", PORTS2 "kubernetes = {\n  server = \"\";  #!\n};\n", 6,
		"kubernetes: server must not be empty (leave it out for the default)"},
	{"k8s_cert_alone", PORTS2 "kubernetes = {  #!\n  client_cert = \"/c.pem\";\n};\n", 5,
		"kubernetes: client_cert and client_key go together"},
	{"k8s_backoff_order", PORTS2 "kubernetes = {\n  backoff_ms = 5000;\n"
		"  backoff_max_ms = 1000;  #!\n};\n", 7,
		"kubernetes: backoff_max_ms 1000 is below backoff_ms 5000"},
	{"k8s_watch_timeout", PORTS2 "kubernetes = {\n  watch_timeout_s = 0;  #!\n};\n", 6,
		"kubernetes: watch_timeout_s 0 is out of range (1..3600)"},
	{"k8s_page_size", PORTS2 "kubernetes = {\n  page_size = \"big\";  #!\n};\n", 6,
		"kubernetes: page_size must be an integer, not a string"},

	/* probes, node_port_addresses, source_ranges */
	{"probes_unknown_key", PORTS2 "probes = {\n  healthz = \"x\";  #!\n};\n", 6,
		"probes: unknown key \"healthz\" (known keys: healthz_bind_address, "
		"metrics_bind_address, health_check_address, stale_after_ms)"},
	{"probes_no_port", PORTS2 "probes = {\n  healthz_bind_address = \"0.0.0.0\";  #!\n};\n",
		6, "probes: healthz_bind_address \"0.0.0.0\" is not ADDRESS:PORT"},
	{"probes_bad_addr", PORTS2 "probes = {\n  metrics_bind_address = \"127.0.0:10249\";  #!"
		"\n};\n", 6, "probes: metrics_bind_address \"127.0.0:10249\" is not ADDRESS:PORT"},
	{"probes_port_range", PORTS2 "probes = {\n  metrics_bind_address = \"127.0.0.1:65536\";"
		"  #!\n};\n", 6, "probes: metrics_bind_address \"127.0.0.1:65536\" is not "
		"ADDRESS:PORT"},
	{"probes_v6_brackets", PORTS2 "probes = {\n  healthz_bind_address = \"::1:10256\";  #!"
		"\n};\n", 6, "probes: healthz_bind_address \"::1:10256\" is not ADDRESS:PORT"},
	{"probes_port_sign", PORTS2 "probes = {\n  healthz_bind_address = \"0.0.0.0:+1\";  #!"
		"\n};\n", 6, "probes: healthz_bind_address \"0.0.0.0:+1\" is not ADDRESS:PORT"},
	{"probes_type", PORTS2 "probes = {\n  healthz_bind_address = 10256;  #!\n};\n", 6,
		"probes: healthz_bind_address must be a string, not an integer"},
	{"probes_stale_range", PORTS2 "probes = {\n  stale_after_ms = 10;  #!\n};\n", 6,
		"probes: stale_after_ms 10 is out of range (100..3600000)"},
	{"probes_hc_addr", PORTS2 "probes = {\n  health_check_address = \"any\";  #!\n};\n", 6,
		"probes: health_check_address \"any\" is not an IPv4 or IPv6 address"},
	{"probes_not_group", PORTS2 "probes = 1;  #!\n", 5,
		"probes must be a group { ... }, not an integer"},
	{"nodeport_addrs_type", PORTS2 "node_port_addresses = \"primary\";  #!\n", 5,
		"node_port_addresses must be an array of strings [\"A.B.C.D/N\", ...], not a string"},
	{"nodeport_addrs_bad", PORTS2 "node_port_addresses = [\"198.18.0.0/33\"];  #!\n", 5,
		"node_port_addresses: \"198.18.0.0/33\" is not a prefix A.B.C.D/N or \"primary\""},
	{"nodeport_addrs_none", PORTS2 "node_port_addresses = [\"203.0.113.0/24\"];  #!\n", 5,
		"node_port_addresses: no port address is in these prefixes; NodePorts would "
		"answer nowhere"},
	{"nodeport_addrs_twice", PORTS2 "node_port_addresses = [\"198.18.0.0/24\", "
		"\"198.18.0.9/24\"];  #!\n", 5,
		"node_port_addresses: \"198.18.0.9/24\" is listed twice"},
	{"src_ranges_bad", SVC(SVC_WEB "source_ranges = [\"10.0.0.0/8\", \"10.1\"];"), 6,
		"service \"web\": source_ranges: \"10.1\" is not a prefix A.B.C.D/N"},
	{"src_ranges_primary", SVC(SVC_WEB "source_ranges = [\"primary\"];"), 6,
		"service \"web\": source_ranges: \"primary\" is not a prefix A.B.C.D/N"},
	{"src_ranges_v6", SVC(SVC_WEB "source_ranges = [\"2001:db8::/32\"];"), 6,
		"service \"web\": source_ranges: 2001:db8::/32 is IPv6, the service is IPv4"},
	{"src_ranges_elem", SVC(SVC_WEB "source_ranges = [1];"), 6,
		"service \"web\": source_ranges: element #1 must be a string \"A.B.C.D/N\", not an "
		"integer"},
	/* bgp */
	{"bgp_not_group", PORTS2 "bgp = true;  #!\n", 5, "bgp must be a group { ... }, not a boolean"},
	{"bgp_unknown_key", PORTS2 "bgp = {\n  socket = \"/s\";  #!\n};\n", 6,
		"bgp: unknown key \"socket\" (known keys: bird_socket, routes_file, protocol, "
		"interface, announce, service_cidrs, stop_wait_ms, timeout_ms, retry_ms)"},
	{"bgp_socket_rel", PORTS2 "bgp = {\n  bird_socket = \"bird.ctl\";  #!\n};\n", 6,
		"bgp: bird_socket \"bird.ctl\" must be an absolute path"},
	{"bgp_socket_long", PORTS2 "bgp = {\n  bird_socket = \"/run/"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\";  #!\n};\n", 6,
		"bgp: bird_socket is longer than a unix socket path may be (107 characters)"},
	{"bgp_file_empty", PORTS2 "bgp = {\n  routes_file = \"\";  #!\n};\n", 6,
		"bgp: routes_file must not be empty (leave it out for the default)"},
	{"bgp_file_type", PORTS2 "bgp = {\n  routes_file = 1;  #!\n};\n", 6,
		"bgp: routes_file must be a string, not an integer"},
	{"bgp_protocol_name", PORTS2 "bgp = {\n  protocol = \"4nodegw\";  #!\n};\n", 6,
		"bgp: protocol \"4nodegw\" is not a BIRD name (a letter or _, then letters, "
		"digits and _)"},
	{"bgp_protocol_long", PORTS2 "bgp = {\n  protocol = \"a_very_long_protocol_name\";  #!"
		"\n};\n", 6, "bgp: protocol is longer than 22 characters"},
	{"bgp_iface_chars", PORTS2 "bgp = {\n  interface = \"vips 0\";  #!\n};\n", 6,
		"bgp: interface \"vips 0\" must be 1..15 characters of A-Z a-z 0-9 _ . -"},
	{"bgp_iface_long", PORTS2 "bgp = {\n  interface = \"nodegw-vips-0123\";  #!\n};\n", 6,
		"bgp: interface is longer than 15 characters"},
	{"bgp_announce_type", PORTS2 "bgp = {\n  announce = \"config\";  #!\n};\n", 6,
		"bgp: announce must be an array of strings [\"loadbalancer\", ...], not a string"},
	{"bgp_announce_word", PORTS2 "bgp = {\n  announce = [\"config\", \"lb\"];  #!\n};\n", 6,
		"bgp: announce: unknown kind \"lb\" (loadbalancer, external, config)"},
	{"bgp_announce_twice", PORTS2 "bgp = {\n  announce = [\"config\", \"config\"];  #!\n"
		"};\n", 6, "bgp: announce names \"config\" twice"},
	{"bgp_announce_cluster", PORTS2 "bgp = {\n  announce = [\"cluster\"];  #!\n};\n", 6,
		"bgp: announce: cluster IPs are announced as aggregates; list the service CIDR in "
		"bgp.service_cidrs instead"},
	{"bgp_nothing", PORTS2 "bgp = {  #!\n  announce = [];\n};\n", 5,
		"bgp: nothing to announce: announce is empty and there are no service_cidrs"},
	{"bgp_cidr_bad", PORTS2 "bgp = {\n  service_cidrs = [\"198.19.0.0\"];  #!\n};\n", 6,
		"bgp: service_cidrs: \"198.19.0.0\" is not a prefix A.B.C.D/N"},
	{"bgp_cidr_overlap", PORTS2 "bgp = {\n  service_cidrs = [\"198.19.0.0/16\", "
		"\"198.19.4.0/24\"];  #!\n};\n", 6,
		"bgp: service_cidrs: 198.19.4.0/24 overlaps 198.19.0.0/16"},
	{"bgp_cidr_many", PORTS2 "bgp = {\n  service_cidrs = [\"10.0.0.0/8\", \"11.0.0.0/8\", "
		"\"12.0.0.0/8\", \"13.0.0.0/8\", \"14.0.0.0/8\"];  #!\n};\n", 6,
		"bgp: service_cidrs: more than 4 prefixes"},
	{"bgp_stop_wait", PORTS2 "bgp = {\n  stop_wait_ms = 600001;  #!\n};\n", 6,
		"bgp: stop_wait_ms 600001 is out of range (0..600000)"},
	{"bgp_timeout", PORTS2 "bgp = {\n  timeout_ms = 99;  #!\n};\n", 6,
		"bgp: timeout_ms 99 is out of range (100..60000)"},
	{"bgp_retry", PORTS2 "bgp = {\n  retry_ms = \"1s\";  #!\n};\n", 6,
		"bgp: retry_ms must be an integer, not a string"},
};

/* Line of the first "#!" marker in text, 0 when there is none. */
static int
marker_line(const char *text)
{
	const char *m = strstr(text, "#!");
	int line = 1;

	if (m == NULL)
		return 0;
	for (const char *p = text; p < m; p++)
		if (*p == '\n')
			line++;
	return line;
}

static void
expect_error(const char *name, const char *text, int line, const char *msg)
{
	char path[512], err[NG_ERRBUF] = "", want[600];
	struct ng_conf *c;
	int e;

	c = load_text("bad.conf", text, path, sizeof(path), err, sizeof(err));
	e = errno;
	unlink(path);
	if (c != NULL) {
		ng_conf_free(c);
		fail_msg("%s: config loaded, expected \"%s\"", name, msg);
	}
	if (getenv("NG_TEST_VERBOSE") != NULL)
		print_message("%s\n", err);
	assert_int_equal(e, EINVAL);
	if (line > 0)
		snprintf(want, sizeof(want), "%s:%d: ", path, line);
	else
		snprintf(want, sizeof(want), "%s: ", path);
	if (strncmp(err, want, strlen(want)) != 0)
		fail_msg("%s: error \"%s\" does not start with \"%s\"", name, err, want);
	if (strstr(err, msg) == NULL)
		fail_msg("%s: error \"%s\" does not contain \"%s\"", name, err, msg);
}

static void
test_bad(void **state)
{
	const struct bad *b = *state;

	/* The fixture's table line must match its "#!" marker. */
	if (marker_line(b->text) != b->line)
		fail_msg("%s: fixture says line %d, marker is on line %d", b->name, b->line,
			marker_line(b->text));
	expect_error(b->name, b->text, b->line, b->msg);
}

/* Bad configs that are easier to generate than to write out. */
static void
test_bad_generated(void **state)
{
	char *text = malloc(64 * 1024), long_dev[300];
	size_t off = 0;

	(void)state;
	assert_non_null(text);

	/* 17 ports: the 17th (line 18) is one too many. */
	off = (size_t)snprintf(text, 64 * 1024, "ports = (\n");
	for (int i = 0; i < NG_MAX_PORTS + 1; i++)
		off += (size_t)snprintf(text + off, 64 * 1024 - off,
			"  { name = \"p%d\"; devargs = \"net_null%d\"; addresses = "
			"[\"198.18.%d.1/24\"]; }%s\n", i, i, i, i < NG_MAX_PORTS ? "," : "");
	snprintf(text + off, 64 * 1024 - off, ");\n");
	expect_error("too_many_ports", text, NG_MAX_PORTS + 2, "too many ports (17; at most 16)");

	/* devargs of 256 characters. */
	memset(long_dev, 'x', 256);
	long_dev[256] = '\0';
	snprintf(text, 64 * 1024, "ports = (\n  {\n    name = \"a\";\n    devargs = \"%s\";\n"
		"    addresses = [\"198.18.0.1/24\"];\n  }\n);\n", long_dev);
	expect_error("devargs_long", text, 4, "port \"a\": devargs is 256 characters long "
		"(at most 255)");

	/* 65 worker lcores. */
	off = (size_t)snprintf(text, 64 * 1024, PORTS2 "workers = {\n  lcores = [0");
	for (int i = 1; i <= NG_MAX_WORKERS; i++)
		off += (size_t)snprintf(text + off, 64 * 1024 - off, ", %d", i);
	snprintf(text + off, 64 * 1024 - off, "];\n};\n");
	expect_error("too_many_lcores", text, 6, "workers: too many lcores (65; at most 64)");

	/* 17 addresses on one port. */
	off = (size_t)snprintf(text, 64 * 1024, "ports = (\n  {\n    name = \"a\";\n"
		"    devargs = \"net_null0\";\n    addresses = [\"198.18.0.1/24\"");
	for (int i = 1; i <= NG_MAX_PORT_ADDRS; i++)
		off += (size_t)snprintf(text + off, 64 * 1024 - off, ", \"198.18.%d.1/24\"", i);
	snprintf(text + off, 64 * 1024 - off, "];\n  }\n);\n");
	expect_error("too_many_addresses", text, 5,
		"port \"a\": too many addresses (17; at most 16)");
	free(text);

#ifndef NG_TEST_ASAN
	/* NG_MAX_SERVICES + 1 services: the list is refused before its elements are read */
	text = malloc((size_t)(NG_MAX_SERVICES + 1) * 4 + 256);
	assert_non_null(text);
	off = (size_t)sprintf(text, PORTS2 "services = (\n");
	for (int i = 0; i <= NG_MAX_SERVICES; i++)
		off += (size_t)sprintf(text + off, "{}%s\n", i < NG_MAX_SERVICES ? "," : "");
	sprintf(text + off, ");\n");
	{
		char want[64];

		snprintf(want, sizeof(want), "too many services (%d; at most %d)",
				NG_MAX_SERVICES + 1, NG_MAX_SERVICES);
		expect_error("too_many_services", text, 6 + NG_MAX_SERVICES, want);
	}
	free(text);

	/* NG_MAX_FRONTENDS frontends (services of 256 VIPs each, one port apiece):
	 * one node port more is one frontend too many. */
	{
		unsigned int n_svc = NG_MAX_FRONTENDS / NG_MAX_SVC_VIPS;
		size_t cap = (size_t)n_svc * (NG_MAX_SVC_VIPS * 18 + 96) + 1024;
		char vips[NG_MAX_SVC_VIPS * 18];
		size_t n = 0;

		for (int v = 0; v < NG_MAX_SVC_VIPS; v++)
			n += (size_t)snprintf(vips + n, sizeof(vips) - n, "%s\"198.20.0.%d\"",
				v ? ", " : "", v);
		text = malloc(cap);
		assert_non_null(text);
		off = (size_t)snprintf(text, cap, PORTS2 "services = (\n");
		for (unsigned int i = 0; i < n_svc; i++)
			off += (size_t)snprintf(text + off, cap - off, "{ name = \"s%u\"; protocol = "
				"\"tcp\"; port = %u; vips = [%s]; },\n", i, i + 1, vips);
		snprintf(text + off, cap - off, "{ name = \"one-more\"; protocol = \"tcp\"; "
			"port = 80; node_port = 30080; }\n);\n");
		expect_error("too_many_frontends", text, 6 + (int)n_svc,
			"service \"one-more\": too many frontends in all (at most 262144");
		free(text);
	}

	/* NG_MAX_BACKENDS backends in all (NG_MAX_SVC_BACKENDS a service), and one
	 * more: refused at the last service's list before any backend is read. */
	{
		unsigned int n_svc = NG_MAX_BACKENDS / NG_MAX_SVC_BACKENDS;
		size_t cap = (size_t)n_svc * (NG_MAX_SVC_BACKENDS * 3 + 128) + 1024;
		char *list = malloc(NG_MAX_SVC_BACKENDS * 3), want[128];

		assert_non_null(list);
		strcpy(list, "{}");
		for (int b = 1; b < NG_MAX_SVC_BACKENDS; b++)
			strcpy(list + 2 + 3 * (b - 1), ",{}");
		text = malloc(cap);
		assert_non_null(text);
		off = (size_t)snprintf(text, cap, PORTS2 "services = (\n");
		for (unsigned int i = 0; i < n_svc; i++)
			off += (size_t)snprintf(text + off, cap - off, "{ name = \"s%u\"; protocol = "
				"\"tcp\"; port = %u; node_port = %u; backends = (%s); },\n", i, i + 1,
				i + 1, list);
		snprintf(text + off, cap - off, "{ name = \"one-more\"; protocol = \"tcp\"; "
			"port = 80; node_port = 30080; backends = ({}); }\n);\n");
		snprintf(want, sizeof(want), "service #%u: too many backends in all (%d up to this "
				"service; at most %d)", n_svc + 1, NG_MAX_BACKENDS + 1, NG_MAX_BACKENDS);
		expect_error("too_many_backends_in_all", text, 6 + (int)n_svc, want);
		free(list);
		free(text);
	}
#endif

	text = malloc(256 * 1024);
	assert_non_null(text);
	/* NG_MAX_SVC_BACKENDS + 1 backends in one service */
	off = (size_t)snprintf(text, 256 * 1024, PORTS2 "services = (\n  {\n"
		"    name = \"web\"; protocol = \"tcp\"; port = 80; node_port = 30080;\n"
		"    backends = (\n");
	for (int i = 0; i <= NG_MAX_SVC_BACKENDS; i++)
		off += (size_t)snprintf(text + off, 256 * 1024 - off, "      {}%s\n",
			i < NG_MAX_SVC_BACKENDS ? "," : "");
	snprintf(text + off, 256 * 1024 - off, "    );\n  }\n);\n");
	expect_error("too_many_backends", text, 9 + NG_MAX_SVC_BACKENDS,
		"service \"web\": too many backends (8193; at most 8192)");

	/* 257 VIPs in one service */
	off = (size_t)snprintf(text, 256 * 1024, PORTS2 "services = (\n  {\n"
		"    name = \"web\"; protocol = \"tcp\"; port = 80;\n    vips = [\"198.20.0.0\"");
	for (int i = 1; i <= NG_MAX_SVC_VIPS; i++)
		off += (size_t)snprintf(text + off, 256 * 1024 - off, ", \"198.20.%d.%d\"",
			i / 256, i % 256);
	snprintf(text + off, 256 * 1024 - off, "];\n  }\n);\n");
	expect_error("too_many_vips", text, 8, "service \"web\": too many vips (257; at most 256)");

	/* a 192-character service name */
	snprintf(text, 256 * 1024, PORTS2 "services = (\n  {\n    name = \"%0192d\";\n"
		"    protocol = \"tcp\"; port = 80; node_port = 30080;\n  }\n);\n", 0);
	expect_error("service_name_long", text, 7,
		"service #1: name \"00000000000000000000000000000000"
		"00000000000000000000000000000000"
		"00000000000000000000000000000000"
		"00000000000000000000000000000000"
		"00000000000000000000000000000000"
		"00000000000000000000000000000000\" must be "
		"1..191 characters");
	free(text);
}

/* ---- good configs ---- */

static void
test_defaults(void **state)
{
	struct ng_conf c;

	(void)state;
	memset(&c, 0xa5, sizeof(c));
	ng_conf_defaults(&c);
	assert_int_equal(c.log_level, RTE_LOG_INFO);
	assert_true(c.forwarding);
	assert_int_equal(c.workers.n_lcores, 0);
	assert_int_equal(c.workers.burst, 32);
	assert_int_equal(c.workers.idle_sleep_us, 0);
	assert_int_equal(c.workers.idle_polls, 256);
	assert_int_equal(c.mempool.mbufs, 0);
	assert_int_equal(c.mempool.cache, 256);
	assert_int_equal(c.arp.reachable_s, 300);
	assert_int_equal(c.arp.retry_ms, 1000);
	assert_int_equal(c.arp.retries, 3);
	assert_int_equal(c.arp.pending_max, 16);
	assert_int_equal(c.arp.max_entries, 4096);
	assert_int_equal(c.icmp.rate_pps, 100);
	assert_true(c.icmp.fragment);
	assert_string_equal(c.cli.address, "127.0.0.1");
	assert_int_equal(c.cli.port, 8023);
	assert_int_equal(c.cli.idle_timeout_s, 600);
	assert_int_equal(c.n_ports, 0);
	assert_int_equal(c.n_routes, 0);
	assert_null(c.routes);
	assert_int_equal(c.n_neighbours, 0);
	assert_null(c.neighbours);
	assert_int_equal(c.conntrack.max_entries, 65536);
	assert_int_equal(c.conntrack.timeouts.tcp_syn, 30);
	assert_int_equal(c.conntrack.timeouts.udp_unreplied, 30);
	assert_int_equal(c.conntrack.timeouts.tcp_established, 900);
	assert_int_equal(c.conntrack.timeouts.tcp_fin, 120);
	assert_int_equal(c.conntrack.timeouts.tcp_time_wait, 120);
	assert_int_equal(c.conntrack.timeouts.tcp_close, 10);
	assert_int_equal(c.conntrack.timeouts.udp, 300);
	assert_int_equal(c.nat.port_min, 32768);
	assert_int_equal(c.nat.port_max, 60999);
	assert_int_equal(c.n_services, 0);
	assert_null(c.services);
}

static void
test_example(void **state)
{
	char path[512], err[NG_ERRBUF] = "";
	const struct ng_conf_port *p;
	struct ng_conf *c;

	(void)state;
	snprintf(path, sizeof(path), "%s/config/example.conf", srcdir());
	c = ng_conf_load(path, err, sizeof(err));
	if (c == NULL)
		fail_msg("example.conf: %s", err);
	assert_string_equal(c->file, path);
	assert_int_equal(c->log_level, RTE_LOG_INFO);
	assert_true(c->forwarding);
	assert_int_equal(c->workers.n_lcores, 1);
	assert_int_equal(c->workers.lcores[0], 1);
	assert_int_equal(c->workers.burst, 32);
	assert_int_equal(c->mempool.cache, 256);
	assert_int_equal(c->arp.max_entries, 4096);
	assert_int_equal(c->icmp.rate_pps, 100);
	assert_int_equal(c->cli.port, 8023);
	assert_int_equal(c->cli.idle_timeout_s, 600);
	assert_false(c->k8s.enabled);
	assert_string_equal(c->k8s.server, "https://198.18.0.100:6443");
	assert_string_equal(c->k8s.node_name, "worker-7");
	assert_int_equal(c->k8s.backoff_max_ms, 30000);

	assert_int_equal(c->n_ports, 2);
	p = &c->ports[0];
	assert_string_equal(p->name, "uplink");
	assert_string_equal(p->devargs, "0000:01:00.0");
	assert_int_equal(p->n_addrs, 1);
	assert_prefix(&p->addrs[0], "198.18.0.1/24");
	assert_int_equal(p->mtu, 1500);
	assert_int_equal(p->rx_queues, 2);
	assert_true(p->kernel.enabled);
	assert_string_equal(p->kernel.name, "ngw-uplink");
	assert_int_equal(p->kernel.backend, NG_TWIN_AUTO);
	assert_int_equal(p->kernel.rate_pps, 10000);
	assert_false(c->ports[1].kernel.enabled);
	assert_int_equal(p->rx_desc, 1024);
	assert_int_equal(p->tx_desc, 1024);
	p = &c->ports[1];
	assert_string_equal(p->name, "pods");
	assert_string_equal(p->devargs, "net_tap0,iface=ngw-pods");
	assert_int_equal(p->n_addrs, 2);
	assert_prefix(&p->addrs[1], "198.19.1.1/24");
	assert_int_equal(p->rx_queues, 1);

	assert_int_equal(c->n_routes, 2);
	assert_prefix(&c->routes[0].prefix, "198.18.128.0/17");
	assert_int_equal(c->routes[0].port, 0);
	assert_prefix(&c->routes[1].prefix, "198.19.64.0/18");
	assert_int_equal(c->routes[1].port, 1); /* derived from via */
	assert_true(c->routes[1].line > c->routes[0].line);

	assert_int_equal(c->n_neighbours, 1);
	assert_int_equal(c->neighbours[0].port, 0);
	assert_int_equal(c->neighbours[0].mac.addr_bytes[5], 0x01);

	assert_int_equal(c->conntrack.max_entries, 65536);
	assert_int_equal(c->conntrack.timeouts.tcp_close, 10);
	assert_int_equal(c->nat.port_min, 32768);
	assert_int_equal(c->nat.port_max, 60999);
	assert_int_equal(c->n_services, 1);
	assert_string_equal(c->services[0].name, "web");
	assert_int_equal(c->services[0].proto, IPPROTO_TCP);
	assert_int_equal(c->services[0].port, 80);
	assert_int_equal(c->services[0].n_vips, 1);
	assert_int_equal(c->services[0].node_port, 30080);
	assert_true(c->services[0].affinity);
	assert_int_equal(c->services[0].timeouts.tcp_established, 3600);
	assert_int_equal(c->services[0].n_backends, 2);
	assert_int_equal(c->services[0].backends[1].weight, 2);
	ng_conf_free(c);
}

/* ports[].fullnat_addresses: the pool as listed; the port's own address may be one. */
static void
test_fullnat_addresses(void **state)
{
	struct ng_conf *c;

	(void)state;
	c = load_ok("ports = (\n  { name = \"a\"; devargs = \"net_null0\";"
		" addresses = [\"198.18.0.1/24\"];\n"
		"    fullnat_addresses = [\"198.18.0.1\", \"198.18.0.100\", \"198.18.0.101\"]; },\n"
		"  { name = \"b\"; devargs = \"net_null1\"; addresses = [\"198.19.0.1/24\"]; }\n);\n");
	assert_int_equal(c->ports[0].n_fullnat, 3);
	assert_int_equal(c->ports[0].fullnat[0].v4, ip4("198.18.0.1").v4);
	assert_int_equal(c->ports[0].fullnat[2].v4, ip4("198.18.0.101").v4);
	assert_int_equal(c->ports[1].n_fullnat, 0);
	assert_int_equal(ng_conf_own_addr(c, &(struct ng_ip){.family = AF_INET,
			.v4 = ip4("198.18.0.100").v4}), 0);
	ng_conf_free(c);

	/* one pool of both families: each backend takes the entries of its own */
	c = load_ok("ports = (\n  { name = \"a\"; devargs = \"net_null0\";"
		" addresses = [\"198.18.0.1/24\", \"2001:db8:1::1/64\"];\n"
		"    fullnat_addresses = [\"198.18.0.100\", \"2001:db8:1::100\", "
		"\"2001:db8:1::1\"]; }\n);\n");
	assert_int_equal(c->ports[0].n_fullnat, 3);
	assert_int_equal(c->ports[0].fullnat[1].family, AF_INET6);
	assert_int_equal(ng_conf_own_addr(c, &c->ports[0].fullnat[1]), 0);
	ng_conf_free(c);
}

static void
test_minimal(void **state)
{
	char path[512], err[NG_ERRBUF] = "";
	struct ng_conf *c;

	(void)state;
	snprintf(path, sizeof(path), "%s/config/minimal.conf", srcdir());
	c = ng_conf_load(path, err, sizeof(err));
	if (c == NULL)
		fail_msg("minimal.conf: %s", err);
	assert_int_equal(c->n_ports, 1);
	assert_string_equal(c->ports[0].devargs, "net_null0");
	/* everything else is a default */
	assert_int_equal(c->ports[0].mtu, 1500);
	assert_int_equal(c->ports[0].rx_queues, 1);
	assert_int_equal(c->ports[0].rx_desc, 1024);
	assert_int_equal(c->ports[0].tx_desc, 1024);
	assert_int_equal(c->workers.n_lcores, 0);
	assert_int_equal(c->workers.burst, 32);
	assert_int_equal(c->log_level, RTE_LOG_INFO);
	assert_int_equal(c->n_routes, 0);
	assert_null(c->routes);
	assert_int_equal(c->n_neighbours, 0);
	assert_int_equal(c->n_services, 0);
	assert_null(c->services);
	assert_int_equal(c->conntrack.max_entries, 65536);
	assert_int_equal(c->nat.port_max, 60999);
	ng_conf_free(c);
}

static void
test_all_keys(void **state)
{
	struct ng_conf *c;

	(void)state;
	c = load_ok("log_level = \"debug\";\nforwarding = false;\n"
		"workers = { lcores = [3, 0, 1023]; burst = 256; idle_sleep_us = 1000000; "
		"idle_polls = 1; };\n"
		"mempool = { mbufs = 16777216; cache = 0; };\n"
		"arp = { reachable_s = 86400; retry_ms = 10; retries = 100; pending_max = 0; "
		"max_entries = 16; };\n"
		"icmp = { rate_pps = 0; fragment = false; };\n"
		"ports = ( { name = \"A.b_c-9\"; devargs = \"net_null0,size=64\"; "
		"addresses = [\"198.18.0.1/31\", \"198.18.1.1/32\"]; mtu = 9000L; "
		"rx_queues = 16; rx_desc = 64; tx_desc = 16384; } );\n"
		"routes = ();\nneighbours = ();\n");
	assert_int_equal(c->log_level, RTE_LOG_DEBUG);
	assert_false(c->forwarding);
	assert_int_equal(c->workers.n_lcores, 3);
	assert_int_equal(c->workers.lcores[0], 3);
	assert_int_equal(c->workers.lcores[2], 1023);
	assert_int_equal(c->workers.burst, 256);
	assert_int_equal(c->workers.idle_sleep_us, 1000000);
	assert_int_equal(c->workers.idle_polls, 1);
	assert_int_equal(c->mempool.mbufs, 16777216);
	assert_int_equal(c->mempool.cache, 0);
	assert_int_equal(c->arp.reachable_s, 86400);
	assert_int_equal(c->arp.retry_ms, 10);
	assert_int_equal(c->arp.retries, 100);
	assert_int_equal(c->arp.pending_max, 0);
	assert_int_equal(c->arp.max_entries, 16);
	assert_int_equal(c->icmp.rate_pps, 0);
	assert_false(c->icmp.fragment);
	assert_string_equal(c->ports[0].name, "A.b_c-9");
	assert_int_equal(c->ports[0].mtu, 9000);
	assert_int_equal(c->ports[0].rx_queues, 16);
	assert_int_equal(c->ports[0].rx_desc, 64);
	assert_int_equal(c->ports[0].tx_desc, 16384);
	assert_prefix(&c->ports[0].addrs[0], "198.18.0.1/31");
	assert_prefix(&c->ports[0].addrs[1], "198.18.1.1/32");
	assert_int_equal(c->n_routes, 0);
	assert_int_equal(c->n_neighbours, 0);
	ng_conf_free(c);

	/* int64 everywhere an integer goes; empty lcores means every worker lcore */
	c = load_ok("workers = { lcores = []; burst = 16L; };\nmempool = { mbufs = 2048L; };\n"
		PORTS2);
	assert_int_equal(c->workers.n_lcores, 0);
	assert_int_equal(c->workers.burst, 16);
	assert_int_equal(c->mempool.mbufs, 2048);
	ng_conf_free(c);
}

static void
test_cli_keys(void **state)
{
	struct ng_conf *c;

	(void)state;
	c = load_ok("cli = { address = \"::1\"; port = 0; idle_timeout_s = 0; };\n" PORTS2);
	assert_string_equal(c->cli.address, "::1");
	assert_int_equal(c->cli.port, 0);
	assert_int_equal(c->cli.idle_timeout_s, 0); /* no timeout */
	ng_conf_free(c);
	c = load_ok("cli = { idle_timeout_s = 86400; };\n" PORTS2);
	assert_int_equal(c->cli.idle_timeout_s, 86400);
	assert_int_equal(c->cli.port, 8023);
	ng_conf_free(c);
	c = load_ok("cli = { port = 9000; };\n" PORTS2);
	assert_int_equal(c->cli.idle_timeout_s, 600);
	ng_conf_free(c);
}

static void
test_route_port(void **state)
{
	struct ng_conf *c;

	(void)state;
	c = load_ok(PORTS2 "routes = (\n"
		"  { prefix = \"10.0.0.0/8\"; via = \"198.19.0.254\"; },\n"
		"  { prefix = \"0.0.0.0/0\"; via = \"198.18.0.254\"; },\n"
		"  { prefix = \"10.1.0.0/16\"; via = \"198.18.0.9\"; port = \"a\"; }\n"
		");\n"
		"neighbours = (\n"
		"  { address = \"198.19.0.7\"; mac = \"02:AA:bb:00:00:07\"; },\n"
		"  { address = \"198.18.0.7\"; mac = \"02:00:00:00:00:08\"; port = \"a\"; }\n"
		");\n");
	assert_int_equal(c->n_routes, 3);
	assert_int_equal(c->routes[0].port, 1);
	assert_int_equal(c->routes[1].port, 0);
	assert_prefix(&c->routes[1].prefix, "0.0.0.0/0");
	assert_int_equal(c->routes[2].port, 0);
	assert_true(ng_ip_equal(&c->routes[0].via, &(struct ng_ip){.family = AF_INET,
		.v4 = rte_cpu_to_be_32(0xc61300fe)}));
	assert_int_equal(c->routes[0].line, 6);
	assert_int_equal(c->routes[2].line, 8);
	assert_int_equal(c->n_neighbours, 2);
	assert_int_equal(c->neighbours[0].port, 1);
	assert_int_equal(c->neighbours[0].mac.addr_bytes[1], 0xaa);
	assert_int_equal(c->neighbours[1].port, 0);
	assert_int_equal(c->neighbours[1].line, 12);
	ng_conf_free(c);

	/* IPv6 beside IPv4: addresses, routes (the default too), neighbours */
	c = load_ok(PORTS2V6 "routes = (\n"
		"  { prefix = \"2001:db8:9::/48\"; via = \"2001:db8:2::fe\"; },\n"
		"  { prefix = \"::/0\"; via = \"2001:db8:1::fe\"; port = \"a\"; },\n"
		"  { prefix = \"0.0.0.0/0\"; via = \"198.18.0.254\"; }\n"
		");\n"
		"neighbours = (\n"
		"  { address = \"2001:db8:2::7\"; mac = \"02:00:00:00:00:07\"; }\n"
		");\n");
	assert_int_equal(c->ports[0].n_addrs, 2);
	assert_prefix(&c->ports[0].addrs[1], "2001:db8:1::1/64");
	assert_prefix(&c->ports[1].addrs[1], "2001:db8:2::1/64");
	assert_int_equal(c->n_routes, 3);
	assert_prefix(&c->routes[0].prefix, "2001:db8:9::/48");
	assert_int_equal(c->routes[0].port, 1);
	assert_int_equal(c->routes[0].via.family, AF_INET6);
	assert_prefix(&c->routes[1].prefix, "::/0");
	assert_int_equal(c->routes[1].port, 0);
	assert_prefix(&c->routes[2].prefix, "0.0.0.0/0");
	assert_int_equal(c->n_neighbours, 1);
	assert_int_equal(c->neighbours[0].port, 1);
	assert_int_equal(c->neighbours[0].addr.family, AF_INET6);
	ng_conf_free(c);

	/* an IPv6 service: VIPs and backends of one family */
	c = load_ok(PORTS2V6 "services = (\n  { name = \"web6\"; protocol = \"tcp\"; port = 80;"
		" vips = [\"2001:db8:100::10\", \"2001:db8:100::11\"]; node_port = 30080;\n"
		"    backends = ( { address = \"2001:db8:2::5\"; port = 8080; } ); }\n);\n");
	assert_int_equal(c->n_services, 1);
	assert_int_equal(c->services[0].n_vips, 2);
	assert_int_equal(c->services[0].vips[1].family, AF_INET6);
	assert_int_equal(c->services[0].backends[0].addr.family, AF_INET6);
	ng_conf_free(c);

	/* an IPv6 service in mode dsr (IPv6-in-IPv6), VIP before or after the mode */
	c = load_ok(PORTS2V6 "services = (\n  { name = \"web6\"; protocol = \"tcp\"; port = 80;"
		" vips = [\"2001:db8:100::10\"]; mode = \"dsr\";\n"
		"    backends = ( { address = \"2001:db8:2::5\"; } ); },\n"
		"  { name = \"dns6\"; protocol = \"udp\"; port = 53; mode = \"dsr\";"
		" vips = [\"2001:db8:100::53\"];\n"
		"    backends = ( { address = \"2001:db8:2::5\"; } ); }\n);\n");
	assert_int_equal(c->n_services, 2);
	assert_int_equal(c->services[0].mode, NG_FWD_DSR);
	assert_int_equal(c->services[0].vips[0].family, AF_INET6);
	assert_int_equal(c->services[1].mode, NG_FWD_DSR);
	assert_int_equal(c->services[1].backends[0].addr.family, AF_INET6);
	ng_conf_free(c);

	/* node ports are per family: web (IPv4) and web6 (IPv6 by its backends) share
	 * one; a node_port with nothing else is IPv4 */
	c = load_ok(PORTS2V6 "services = (\n  { name = \"web\"; protocol = \"tcp\"; port = 80;"
		" vips = [\"198.18.100.10\"]; node_port = 30080; },\n"
		"  { name = \"web6\"; protocol = \"tcp\"; port = 80; node_port = 30080;\n"
		"    backends = ( { address = \"2001:db8:2::5\"; port = 8080; } ); },\n"
		"  { name = \"np\"; protocol = \"tcp\"; port = 80; node_port = 30081; }\n);\n");
	assert_int_equal(c->services[1].node_port, 30080);
	assert_int_equal(ng_conf_svc_family(&c->services[0]), AF_INET);
	assert_int_equal(ng_conf_svc_family(&c->services[1]), AF_INET6);
	assert_int_equal(ng_conf_svc_family(&c->services[2]), AF_INET);
	ng_conf_free(c);

	/* an IPv6-only port; the shortest and longest prefixes */
	c = load_ok("ports = (\n  { name = \"a\"; devargs = \"net_null0\";"
		" addresses = [\"2001:db8::1/128\", \"fd00::1/8\"]; }\n);\n");
	assert_prefix(&c->ports[0].addrs[0], "2001:db8::1/128");
	assert_prefix(&c->ports[0].addrs[1], "fd00::1/8");
	ng_conf_free(c);
}

static void
test_port_for(void **state)
{
	struct ng_conf *c;
	struct ng_ip ip;

	(void)state;
	/* secondary addresses on one port may share a prefix */
	c = load_ok("ports = (\n"
		"  { name = \"a\"; devargs = \"net_null0\"; "
		"addresses = [\"198.18.0.1/24\", \"198.18.0.2/24\", \"198.18.4.1/22\"]; },\n"
		"  { name = \"b\"; devargs = \"net_null1\"; addresses = [\"198.19.0.1/16\"]; }\n"
		");\n");
	ip = ip4("198.18.0.200");
	assert_int_equal(ng_conf_port_for(c, &ip), 0);
	ip = ip4("198.18.7.255");
	assert_int_equal(ng_conf_port_for(c, &ip), 0);
	ip = ip4("198.18.8.1");
	assert_int_equal(ng_conf_port_for(c, &ip), -1);
	ip = ip4("198.19.255.1");
	assert_int_equal(ng_conf_port_for(c, &ip), 1);
	ip = ip4("10.0.0.1");
	assert_int_equal(ng_conf_port_for(c, &ip), -1);
	ip = ip4("2001:db8::1");
	assert_int_equal(ng_conf_port_for(c, &ip), -1);
	assert_int_equal(ng_conf_port_by_name(c, "a"), 0);
	assert_int_equal(ng_conf_port_by_name(c, "b"), 1);
	assert_int_equal(ng_conf_port_by_name(c, "c"), -1);
	assert_int_equal(ng_conf_port_by_name(c, NULL), -1);
	ng_conf_free(c);
}

static uint32_t
ip_host(const struct ng_ip *ip)
{
	return rte_be_to_cpu_32(ip->v4);
}

static void
test_services_conf(void **state)
{
	char path[512], err[NG_ERRBUF] = "";
	const struct ng_conf_service *s;
	struct ng_conf *c;

	(void)state;
	snprintf(path, sizeof(path), "%s/config/services.conf", srcdir());
	c = ng_conf_load(path, err, sizeof(err));
	if (c == NULL)
		fail_msg("services.conf: %s", err);
	assert_int_equal(c->conntrack.max_entries, 262144);
	assert_int_equal(c->conntrack.timeouts.tcp_established, 900);
	assert_int_equal(c->conntrack.timeouts.udp, 300);
	assert_int_equal(c->nat.port_min, 32768);
	assert_int_equal(c->nat.port_max, 60999);
	assert_int_equal(c->n_services, 3);

	s = &c->services[0];
	assert_string_equal(s->name, "default/web:http");
	assert_int_equal(s->proto, IPPROTO_TCP);
	assert_int_equal(s->port, 80);
	assert_int_equal(s->n_vips, 1);
	assert_int_equal(ip_host(&s->vips[0]), 0xc613000a); /* 198.19.0.10 */
	assert_int_equal(s->node_port, 30080);
	assert_int_equal(s->scheduler, NG_SCHED_MAGLEV);
	assert_int_equal(s->mode, NG_FWD_FULLNAT);
	assert_false(s->affinity);
	assert_int_equal(s->affinity_timeout, NG_AFFINITY_TIMEOUT_DEFAULT);
	assert_int_equal(s->timeouts.tcp_established, 0);
	assert_int_equal(s->timeouts.udp, 0);
	assert_int_equal(s->n_backends, 3);
	for (unsigned int i = 0; i < 3; i++) {
		assert_int_equal(ip_host(&s->backends[i].addr), 0xc6120102 + i); /* 198.18.1.2+ */
		assert_int_equal(s->backends[i].port, 8080);
		assert_int_equal(s->backends[i].weight, 1);
		assert_true(s->backends[i].line > s->line);
	}

	s = &c->services[1];
	assert_string_equal(s->name, "kube-system/dns:dns");
	assert_int_equal(s->proto, IPPROTO_UDP);
	assert_int_equal(s->port, 53);
	assert_int_equal(s->n_vips, 1);
	assert_int_equal(ip_host(&s->vips[0]), 0xc6130035); /* 198.19.0.53 */
	assert_int_equal(s->node_port, 0);
	assert_int_equal(s->scheduler, NG_SCHED_RANDOM);
	assert_int_equal(s->mode, NG_FWD_DNAT);
	assert_false(s->affinity);
	assert_int_equal(s->timeouts.udp, 30);
	assert_int_equal(s->timeouts.tcp_syn, 0);
	assert_int_equal(s->n_backends, 2);
	assert_int_equal(s->backends[0].port, 53); /* the service port */
	assert_int_equal(s->backends[1].port, 53);
	assert_int_equal(ip_host(&s->backends[1].addr), 0xc612010b); /* 198.18.1.11 */

	s = &c->services[2];
	assert_string_equal(s->name, "default/api:https");
	assert_int_equal(s->proto, IPPROTO_TCP);
	assert_int_equal(s->port, 443);
	assert_int_equal(s->n_vips, 2);
	assert_int_equal(ip_host(&s->vips[0]), 0xc6130014); /* 198.19.0.20 */
	assert_int_equal(ip_host(&s->vips[1]), 0xc6130015);
	assert_int_equal(s->node_port, 0);
	assert_int_equal(s->scheduler, NG_SCHED_WRR);
	assert_int_equal(s->mode, NG_FWD_FULLNAT);
	assert_true(s->affinity);
	assert_int_equal(s->affinity_timeout, 3600);
	assert_int_equal(s->timeouts.tcp_established, 3600);
	assert_int_equal(s->timeouts.tcp_fin, 0);
	assert_int_equal(s->n_backends, 3);
	assert_int_equal(s->backends[0].weight, 3);
	assert_int_equal(s->backends[1].weight, 1);
	assert_int_equal(s->backends[2].weight, 0);
	assert_int_equal(s->backends[0].port, 8443);
	assert_int_equal(ip_host(&s->backends[0].addr), 0xc6128205); /* 198.18.130.5, routed */
	assert_true(c->services[1].line > c->services[0].line);
	assert_true(c->services[2].line > c->services[1].line);
	ng_conf_free(c);
}

/* Edge cases that must load: empty backends, node-port-only services, sharing. */
static void
test_services_edge(void **state)
{
	const struct ng_conf_service *s;
	struct ng_conf *c;

	(void)state;
	c = load_ok(PORTS2
		"services = (\n"                                                        /* 5 */
		"  { name = \"a\"; protocol = \"tcp\"; port = 80; vips = [\"198.18.100.10\"];\n"
		"    backends = (); },\n"
		"  { name = \"b\"; protocol = \"udp\"; port = 80; vips = [\"198.18.100.10\"];\n"
		"    backends = []; },\n"
		"  { name = \"c\"; protocol = \"TCP\"; port = 81; vips = [\"198.18.100.10\"]; },\n"
		"  { name = \"d\"; protocol = \"tcp\"; port = 80; node_port = 30080; vips = [];\n"
		"    scheduler = \"WRR\"; mode = \"DNAT\"; affinity = \"Client-IP\"; },\n"
		"  { name = \"e\"; protocol = \"udp\"; port = 80; node_port = 30080;\n"
		"    affinity = \"none\"; mode = \"dsr\";"
		" timeouts = { udp = 1; udp_unreplied = 7; }; },\n" /* one config line */
		"  { name = \"f\"; protocol = \"tcp\"; port = 80; node_port = 32767;\n"
		"    affinity = \"client-ip\"; affinity_timeout = 86400;\n"
		"    timeouts = { tcp_syn = 1; tcp_established = 604800; tcp_fin = 2;\n"
		"      tcp_time_wait = 3; tcp_close = 4; };\n"
		"    backends = (\n"
		"      { address = \"198.18.0.2\"; },\n"                                  /* 20 */
		"      { address = \"198.18.0.2\"; port = 81; weight = 0; },\n"
		"      { address = \"198.19.0.2\"; port = 80; weight = 10000; }\n"
		"    ); },\n"
		"  { name = \"default/g.h_i-9:x\"; protocol = \"tcp\"; port = 65535;\n"
		"    node_port = 1024; }\n"
		");\n");
	assert_int_equal(c->n_services, 7);
	s = &c->services[0];
	assert_int_equal(s->n_backends, 0);
	assert_null(s->backends);
	assert_int_equal(s->line, 6);
	s = &c->services[1];
	assert_int_equal(s->proto, IPPROTO_UDP);
	assert_int_equal(s->n_backends, 0);
	assert_null(s->backends);
	s = &c->services[2];
	assert_int_equal(s->proto, IPPROTO_TCP);
	assert_int_equal(s->n_backends, 0);
	s = &c->services[3];
	assert_int_equal(s->n_vips, 0);
	assert_null(s->vips);
	assert_int_equal(s->node_port, 30080);
	assert_int_equal(s->scheduler, NG_SCHED_WRR);
	assert_int_equal(s->mode, NG_FWD_DNAT);
	assert_true(s->affinity);
	assert_int_equal(s->affinity_timeout, NG_AFFINITY_TIMEOUT_DEFAULT);
	s = &c->services[4];
	assert_int_equal(s->node_port, 30080); /* same node port, other protocol */
	assert_int_equal(s->mode, NG_FWD_DSR);
	assert_false(s->affinity);
	assert_int_equal(s->timeouts.udp, 1);
	assert_int_equal(s->timeouts.udp_unreplied, 7);
	s = &c->services[5];
	assert_int_equal(s->affinity_timeout, 86400);
	assert_int_equal(s->timeouts.tcp_syn, 1);
	assert_int_equal(s->timeouts.tcp_established, 604800);
	assert_int_equal(s->timeouts.tcp_fin, 2);
	assert_int_equal(s->timeouts.tcp_time_wait, 3);
	assert_int_equal(s->timeouts.tcp_close, 4);
	assert_int_equal(s->timeouts.udp, 0);
	assert_int_equal(s->n_backends, 3);
	assert_int_equal(s->backends[0].port, 80);
	assert_int_equal(s->backends[0].weight, 1);
	assert_int_equal(s->backends[0].line, 20);
	assert_int_equal(s->backends[1].port, 81);
	assert_int_equal(s->backends[1].weight, 0);
	assert_int_equal(s->backends[2].weight, 10000);
	s = &c->services[6];
	assert_string_equal(s->name, "default/g.h_i-9:x");
	assert_int_equal(s->port, 65535);
	assert_int_equal(s->node_port, 1024);
	/* the global timeouts are untouched by per-service ones */
	assert_int_equal(c->conntrack.timeouts.udp, 300);
	ng_conf_free(c);

	/* a moved nat range frees the default one for node ports; 191-char name */
	c = load_ok("nat = { port_min = 1024; port_max = 2047; };\n"
		"conntrack = { max_entries = 1024; timeouts = { udp = 604800; }; };\n" PORTS2
		"routes = ( { prefix = \"0.0.0.0/0\"; via = \"198.18.0.254\"; } );\n"
		"services = ( { name = \""
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
		"ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
		"\"; protocol = \"udp\"; port = 53; node_port = 40000;\n"
		"  backends = ( { address = \"203.0.113.5\"; } ); } );\n");
	assert_int_equal(c->nat.port_min, 1024);
	assert_int_equal(c->nat.port_max, 2047);
	assert_int_equal(c->conntrack.max_entries, 1024);
	assert_int_equal(c->conntrack.timeouts.udp, 604800);
	assert_int_equal(c->conntrack.timeouts.tcp_syn, 30);
	assert_int_equal(strlen(c->services[0].name), NG_SVC_NAME_MAX - 1);
	assert_int_equal(c->services[0].node_port, 40000);
	assert_int_equal(c->services[0].n_backends, 1); /* via the default route */
	ng_conf_free(c);

	/* services = () is no services */
	c = load_ok(PORTS2 "services = ();\n");
	assert_int_equal(c->n_services, 0);
	assert_null(c->services);
	ng_conf_free(c);
}

/*
 * The limits are reachable, and checking them is fast (hash sets, not n^2):
 * NG_MAX_SERVICES services (N_SVC_BIG under ASan).
 */
static void
test_services_max(void **state)
{
	size_t cap = (size_t)N_SVC_BIG * 128, off;
	char *text = malloc(cap);
	struct ng_conf *c;

	(void)state;
	assert_non_null(text);
	off = (size_t)snprintf(text, cap, PORTS2 "services = (\n");
	for (unsigned int i = 0; i < N_SVC_BIG; i++)
		off += (size_t)snprintf(text + off, cap - off,
			"{ name = \"s%u\"; protocol = \"%s\"; port = %u; "
			"vips = [\"198.%u.%u.%u\"]; }%s\n",
			i, i % 2 ? "udp" : "tcp", 80 + i % 3, 20 + i / 65536 % 2,
			i / 256 % 256, i % 256, i + 1 < N_SVC_BIG ? "," : "");
	snprintf(text + off, cap - off, ");\n");
	c = load_ok(text);
	assert_int_equal(c->n_services, N_SVC_BIG);
	assert_int_equal(c->services[N_SVC_BIG - 1].port, 80 + (N_SVC_BIG - 1) % 3);
	assert_true(c->services[N_SVC_BIG - 1].line > c->services[0].line);
	ng_conf_free(c);

	/* NG_MAX_SVC_BACKENDS backends and NG_MAX_SVC_VIPS VIPs in one service */
	off = (size_t)snprintf(text, cap, PORTS2
		"routes = ( { prefix = \"198.20.0.0/16\"; via = \"198.18.0.254\"; } );\n"
		"services = ( { name = \"big\"; protocol = \"tcp\"; port = 80; "
		"vips = [\"198.21.0.0\"");
	for (unsigned int i = 1; i < NG_MAX_SVC_VIPS; i++)
		off += (size_t)snprintf(text + off, cap - off, ", \"198.21.0.%u\"", i);
	off += (size_t)snprintf(text + off, cap - off, "];\n  backends = (\n");
	for (unsigned int i = 0; i < NG_MAX_SVC_BACKENDS; i++)
		off += (size_t)snprintf(text + off, cap - off,
			"    { address = \"198.20.%u.%u\"; weight = %u; }%s\n", i / 256, i % 256,
			i % 10001, i + 1 < NG_MAX_SVC_BACKENDS ? "," : "");
	snprintf(text + off, cap - off, "  ); } );\n");
	c = load_ok(text);
	assert_int_equal(c->services[0].n_vips, NG_MAX_SVC_VIPS);
	assert_int_equal(c->services[0].n_backends, NG_MAX_SVC_BACKENDS);
	assert_int_equal(c->services[0].backends[NG_MAX_SVC_BACKENDS - 1].port, 80);
	ng_conf_free(c);
	free(text);
}

static void
test_unreadable(void **state)
{
	char path[512], err[NG_ERRBUF] = "", want[600];

	(void)state;
	snprintf(path, sizeof(path), "%s/does-not-exist.conf", tmpdir);
	errno = 0;
	assert_null(ng_conf_load(path, err, sizeof(err)));
	assert_int_equal(errno, ENOENT);
	snprintf(want, sizeof(want), "%s: cannot read: No such file or directory", path);
	assert_string_equal(err, want);

	errno = 0;
	assert_null(ng_conf_load(tmpdir, err, sizeof(err)));
	assert_int_equal(errno, EISDIR);
	snprintf(want, sizeof(want), "%s: cannot read: Is a directory", tmpdir);
	assert_string_equal(err, want);

	/* no error buffer: still fails cleanly */
	errno = 0;
	assert_null(ng_conf_load(path, NULL, 0));
	assert_int_equal(errno, ENOENT);
	errno = 0;
	assert_null(ng_conf_load(NULL, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);

	ng_conf_free(NULL);
}

/* An error message longer than the caller's buffer is cut, not overflowed. */
static void
test_small_errbuf(void **state)
{
	char path[512], err[16];
	struct ng_conf *c;

	(void)state;
	memset(err, 'z', sizeof(err));
	c = load_text("bad.conf", "ports = ( );\n", path, sizeof(path), err, sizeof(err));
	unlink(path);
	assert_null(c);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(strlen(err), sizeof(err) - 1);
	assert_int_equal(strncmp(err, path, sizeof(err) - 1), 0);
}

/* The kubernetes section: defaults, every key, and its absence. */
static void
test_k8s_conf(void **state)
{
	struct ng_conf *c;

	(void)state;
	c = load_ok(PORTS2);
	assert_false(c->k8s.enabled);
	assert_int_equal(c->k8s.watch_timeout_s, 300);
	assert_int_equal(c->k8s.page_size, 500);
	assert_int_equal(c->k8s.backoff_ms, 800);
	assert_int_equal(c->k8s.backoff_max_ms, 30000);
	assert_int_equal(c->k8s.token_reread_s, 60);
	ng_conf_free(c);

	c = load_ok(PORTS2 "kubernetes = { };\n");
	assert_true(c->k8s.enabled);
	assert_string_equal(c->k8s.server, "");
	assert_int_equal(c->k8s.line, 5);
	ng_conf_free(c);

	c = load_ok(PORTS2 "kubernetes = {\n  enabled = false;\n"
		"  server = \"https://198.18.0.100:6443\";\n  token_file = \"/t\";\n"
		"  ca_file = \"/ca.crt\";\n  client_cert = \"/c.pem\";\n  client_key = \"/k.pem\";\n"
		"  insecure_skip_tls_verify = true;\n  node_name = \"node-a\";\n"
		"  watch_timeout_s = 5;\n  page_size = 7;\n  backoff_ms = 10;\n"
		"  backoff_max_ms = 20;\n  token_reread_s = 2;\n};\n");
	assert_false(c->k8s.enabled);
	assert_string_equal(c->k8s.server, "https://198.18.0.100:6443");
	assert_string_equal(c->k8s.token_file, "/t");
	assert_string_equal(c->k8s.ca_file, "/ca.crt");
	assert_string_equal(c->k8s.client_cert, "/c.pem");
	assert_string_equal(c->k8s.client_key, "/k.pem");
	assert_true(c->k8s.insecure);
	assert_string_equal(c->k8s.node_name, "node-a");
	assert_int_equal(c->k8s.watch_timeout_s, 5);
	assert_int_equal(c->k8s.page_size, 7);
	assert_int_equal(c->k8s.backoff_ms, 10);
	assert_int_equal(c->k8s.backoff_max_ms, 20);
	assert_int_equal(c->k8s.token_reread_s, 2);
	ng_conf_free(c);
}

/* probes and node_port_addresses: kube-proxy's defaults, every key, round trips. */
static void
test_probes_conf(void **state)
{
	char buf[NG_IP_STRLEN + 4];
	struct ng_conf *c;

	(void)state;
	c = load_ok(PORTS2);
	assert_true(c->probes.healthz.on);
	assert_true(ng_ip_equal(&c->probes.healthz.addr, &(struct ng_ip){.family = AF_INET}));
	assert_int_equal(c->probes.healthz.port, 10256);
	assert_true(c->probes.metrics.on);
	assert_true(ng_ip_equal(&c->probes.metrics.addr, &(struct ng_ip){.family = AF_INET,
		.v4 = rte_cpu_to_be_32(0x7f000001)}));
	assert_int_equal(c->probes.metrics.port, 10249);
	assert_int_equal(c->probes.stale_after_ms, 5000);
	assert_false(c->nodeport.set);
	ng_conf_free(c);

	c = load_ok(PORTS2 "probes = {\n  healthz_bind_address = \"[::1]:0\";\n"
		"  metrics_bind_address = \"\";\n  health_check_address = \"198.18.0.1\";\n"
		"  stale_after_ms = 100;\n};\nnode_port_addresses = [\"198.19.0.0/16\", \"primary\"];\n");
	assert_int_equal(c->probes.healthz.addr.family, AF_INET6);
	assert_int_equal(c->probes.healthz.port, 0);
	assert_false(c->probes.metrics.on);
	assert_true(ng_ip_equal(&c->probes.health_check_addr, &(struct ng_ip){.family = AF_INET,
		.v4 = rte_cpu_to_be_32(0xc6120001)}));
	assert_int_equal(c->probes.stale_after_ms, 100);
	assert_int_equal(c->probes.line, 5);
	assert_true(c->nodeport.set);
	assert_true(c->nodeport.primary);
	assert_int_equal(c->nodeport.n_prefixes, 1);
	assert_prefix(&c->nodeport.prefixes[0], "198.19.0.0/16");
	/* "primary" is the first port's first address; the prefix adds port b's. */
	assert_int_equal(c->nodeport.n_addrs, 2);
	assert_string_equal(ng_ip_fmt(&c->nodeport.addrs[0], buf, sizeof(buf)), "198.18.0.1");
	assert_string_equal(ng_ip_fmt(&c->nodeport.addrs[1], buf, sizeof(buf)), "198.19.0.1");
	ng_conf_free(c);

	/* Host bits are cleared; source ranges are kept per service. */
	c = load_ok(PORTS2 "node_port_addresses = [\"198.19.0.77/24\"];\n"
		"services = ( { " SVC_WEB "source_ranges = [\"10.1.2.3/8\", \"192.0.2.0/24\"]; } );\n");
	assert_prefix(&c->nodeport.prefixes[0], "198.19.0.0/24");
	assert_int_equal(c->nodeport.n_addrs, 1);
	assert_string_equal(ng_ip_fmt(&c->nodeport.addrs[0], buf, sizeof(buf)), "198.19.0.1");
	assert_int_equal(c->services[0].n_src_ranges, 2);
	assert_prefix(&c->services[0].src_ranges[0], "10.0.0.0/8");
	assert_prefix(&c->services[0].src_ranges[1], "192.0.2.0/24");
	ng_conf_free(c);

	/* An IPv6 service takes IPv6 ranges (masked too). */
	c = load_ok(PORTS2V6 "services = ( { name = \"web\"; protocol = \"tcp\"; port = 80; "
		"vips = [\"2001:db8:100::10\"]; source_ranges = [\"2001:db8:7::1/48\", "
		"\"2001:db8:8::/127\"]; } );\n");
	assert_int_equal(c->services[0].n_src_ranges, 2);
	assert_prefix(&c->services[0].src_ranges[0], "2001:db8:7::/48");
	assert_prefix(&c->services[0].src_ranges[1], "2001:db8:8::/127");
	ng_conf_free(c);
}

/* bgp: off without the section; defaults; every key. */
static void
test_bgp_conf(void **state)
{
	struct ng_conf *c;

	(void)state;
	c = load_ok(PORTS2);
	assert_false(c->bgp.enabled);
	ng_conf_free(c);

	c = load_ok(PORTS2 "bgp = { };\n");
	assert_true(c->bgp.enabled);
	assert_int_equal(c->bgp.line, 5);
	assert_string_equal(c->bgp.bird_socket, "/run/bird/bird.ctl");
	assert_string_equal(c->bgp.routes_file, "/run/nodegw/bird-vips.conf");
	assert_string_equal(c->bgp.protocol, "nodegw");
	assert_string_equal(c->bgp.interface, "nodegw-vips");
	assert_int_equal(c->bgp.announce, NG_BGP_KIND_LB | NG_BGP_KIND_EXTERNAL |
		NG_BGP_KIND_CONFIG);
	assert_int_equal(c->bgp.n_service_cidrs, 0);
	assert_int_equal(c->bgp.stop_wait_ms, 3000);
	assert_int_equal(c->bgp.timeout_ms, 2000);
	assert_int_equal(c->bgp.retry_ms, 1000);
	ng_conf_free(c);

	c = load_ok(PORTS2 "bgp = {\n  bird_socket = \"/var/run/bird.ctl\";\n"
		"  routes_file = \"/etc/bird/nodegw.conf\";\n  protocol = \"_gw_1\";\n"
		"  interface = \"gw-vips.0\";\n  announce = [\"external\"];\n"
		"  service_cidrs = [\"198.19.77.1/16\", \"2001:db8:1::/112\"];\n"
		"  stop_wait_ms = 0;\n  timeout_ms = 60000;\n  retry_ms = 100;\n};\n");
	assert_string_equal(c->bgp.bird_socket, "/var/run/bird.ctl");
	assert_string_equal(c->bgp.routes_file, "/etc/bird/nodegw.conf");
	assert_string_equal(c->bgp.protocol, "_gw_1");
	assert_string_equal(c->bgp.interface, "gw-vips.0");
	assert_int_equal(c->bgp.announce, NG_BGP_KIND_EXTERNAL);
	assert_int_equal(c->bgp.n_service_cidrs, 2);
	/* Host bits cleared. */
	assert_prefix(&c->bgp.service_cidrs[0], "198.19.0.0/16");
	assert_prefix(&c->bgp.service_cidrs[1], "2001:db8:1::/112");
	assert_int_equal(c->bgp.stop_wait_ms, 0);
	assert_int_equal(c->bgp.timeout_ms, 60000);
	assert_int_equal(c->bgp.retry_ms, 100);
	ng_conf_free(c);

	/* Aggregates alone: nothing but the service CIDR is announced. */
	c = load_ok(PORTS2 "bgp = { announce = []; service_cidrs = [\"198.19.0.0/16\"]; };\n");
	assert_int_equal(c->bgp.announce, 0);
	assert_int_equal(c->bgp.n_service_cidrs, 1);
	ng_conf_free(c);
	assert_string_equal(ng_bgp_kind_name(NG_BGP_KIND_LB), "loadbalancer");
	assert_string_equal(ng_bgp_kind_name(NG_BGP_KIND_CLUSTER), "cluster");
	assert_null(ng_bgp_kind_name(3));
}

/* ports[].kernel: defaults, every key, and no twin where there is no group. */
static void
test_port_kernel(void **state)
{
	const struct ng_conf_twin *k;
	struct ng_conf *c;

	(void)state;
	c = load_ok(PORTS2);
	assert_false(c->ports[0].kernel.enabled);
	assert_false(c->ports[1].kernel.enabled);
	ng_conf_free(c);

	c = load_ok("ports = (\n"
		"  { name = \"a\"; devargs = \"net_af_packet0,iface=veth0\"; "
		"addresses = [\"198.18.0.1/24\"]; kernel = { name = \"veth0.k\"; }; },\n"
		"  { name = \"b\"; devargs = \"net_null1\"; addresses = [\"198.19.0.1/24\"];\n"
		"    kernel = { name = \"ngw-b\"; backend = \"virtio_user\"; addresses = false; "
		"rate_pps = 10000000; burst = 65536; queue_size = 4096; }; }\n);\n");
	k = &c->ports[0].kernel;
	assert_true(k->enabled);
	assert_string_equal(k->name, "veth0.k");
	assert_int_equal(k->backend, NG_TWIN_AUTO);
	assert_true(k->addresses);
	assert_int_equal(k->rate_pps, NG_TWIN_RATE_DEF);
	assert_int_equal(k->burst, NG_TWIN_BURST_DEF);
	assert_int_equal(k->queue_size, NG_TWIN_QSIZE_DEF);
	assert_int_equal(k->line, 2);
	k = &c->ports[1].kernel;
	assert_true(k->enabled);
	assert_string_equal(k->name, "ngw-b");
	assert_int_equal(k->backend, NG_TWIN_VIRTIO_USER);
	assert_false(k->addresses);
	assert_int_equal(k->rate_pps, 10000000);
	assert_int_equal(k->burst, 65536);
	assert_int_equal(k->queue_size, 4096);
	assert_int_equal(k->line, 4);
	assert_string_equal(ng_twin_backend_name(NG_TWIN_TAP), "tap");
	assert_string_equal(ng_twin_backend_name(NG_TWIN_VIRTIO_USER), "virtio_user");
	ng_conf_free(c);

	c = load_ok(PORT1("kernel = { name = \"t\"; backend = \"tap\"; rate_pps = 1; burst = 1; "
		"queue_size = 64; };"));
	assert_int_equal(c->ports[0].kernel.backend, NG_TWIN_TAP);
	assert_int_equal(c->ports[0].kernel.rate_pps, 1);
	assert_int_equal(c->ports[0].kernel.queue_size, 64);
	ng_conf_free(c);
}

/* Every test of good configs; the bad ones follow them in tests[] (main()). */
static const struct CMUnitTest good[] = {
	cmocka_unit_test(test_defaults),
	cmocka_unit_test(test_example),
	cmocka_unit_test(test_minimal),
	cmocka_unit_test(test_fullnat_addresses),
	cmocka_unit_test(test_all_keys),
	cmocka_unit_test(test_cli_keys),
	cmocka_unit_test(test_route_port),
	cmocka_unit_test(test_port_for),
	cmocka_unit_test(test_services_conf),
	cmocka_unit_test(test_services_edge),
	cmocka_unit_test(test_services_max),
	cmocka_unit_test(test_unreadable),
	cmocka_unit_test(test_small_errbuf),
	cmocka_unit_test(test_bad_generated),
	cmocka_unit_test(test_k8s_conf),
	cmocka_unit_test(test_probes_conf),
	cmocka_unit_test(test_bgp_conf),
	cmocka_unit_test(test_port_kernel),
};

#define N_GOOD RTE_DIM(good)

static struct CMUnitTest tests[N_GOOD + RTE_DIM(bad)];

int
main(void)
{
	char names[RTE_DIM(bad)][64];
	int rc;

	memcpy(tests, good, sizeof(good));
	for (size_t i = 0; i < RTE_DIM(bad); i++) {
		snprintf(names[i], sizeof(names[i]), "bad_%s", bad[i].name);
		tests[N_GOOD + i] = (struct CMUnitTest){
			.name = names[i],
			.test_func = test_bad,
			.initial_state = (void *)(uintptr_t)&bad[i],
		};
	}
	snprintf(tmpdir, sizeof(tmpdir), "%s/ng_test_conf.XXXXXX",
		getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	rc = cmocka_run_group_tests_name("conf", tests, NULL, NULL);
	rmdir(tmpdir);
	return rc;
}
