# shellcheck shell=bash
# Helpers of the BGP end-to-end tests (test_bgp.sh, test_scaleout.sh): BIRD in
# a namespace, what the router's kernel holds for a VIP, nodegw's CLI and its
# show bgp json. Source it after scripts/lib/e2e.sh; it uses TMP, E2E_PIDS,
# RTR (the router's namespace) and CTL (nodegw-ctl) of the test.
#
#   bgp_args "$@"               the tests' arguments NODEGW_BINARY NODEGW_CTL_BINARY
#                               into BIN and CTL (absolute); exits 2 on a wrong
#                               count, 77 (meson's "skipped") without bird2
#   bgp_ns_destroy NS...        kill everything in each namespace, delete it
#   bird_start NAME NS [CONF]   BIRD in the foreground of a background job, with
#                               TMP/NAME/bird.conf (or CONF) and the socket
#                               TMP/NAME/bird.ctl; its pid in BIRDPID[NAME]
#   ctl_ns NS CMD...            one nodegw-ctl command to the nodegw in NS
#   bgp_json NS KEY             show bgp json's KEY (top level, else the first
#                               prefix's) of the nodegw in NS
#   hops VIP                    the router's next hops for VIP/32, sorted,
#                               space-separated ("" for no route)
#   wait_hops VIP WANT T0 LIMIT the milliseconds from T0 until hops VIP is
#                               WANT; -1 after LIMIT ms
#   bird_conf_router BFD G:NET...  the router's BIRD config (log TMP/rtr/bird.log):
#                               ECMP routes into its kernel (merge paths), one
#                               eBGP session per gateway G, NET.1 (AS 65000) to
#                               NET.2 (AS 65001); with BFD (an interface pattern,
#                               "" for none) on each session
#   bird_conf_gw G NET BFD      gateway G's BIRD config (log TMP/G/bird.log): the
#                               routes file TMP/G/routes.conf included, its
#                               nodegw4 protocol exported over eBGP to NET.1;
#                               BFD on the interface BFD ("" for none)
#
# BGP_TIMERS: BGP timers short enough for a test (sessions up in seconds).

[[ -n ${_NG_BGP_LIB_LOADED:-} ]] && return 0
_NG_BGP_LIB_LOADED=1

# shellcheck disable=SC2034 # used by the tests' BIRD configs
BGP_TIMERS="hold time 6; keepalive time 2; connect delay time 1; connect retry time 2; error wait time 1, 5;"
declare -gA BIRDPID=()

bgp_args() {
	if (($# != 2)); then
		echo "usage: $0 NODEGW_BINARY NODEGW_CTL_BINARY" >&2
		exit 2
	fi
	# shellcheck disable=SC2034 # read by the tests
	BIN=$1
	CTL=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
	if ! command -v bird >/dev/null || ! command -v birdc >/dev/null; then
		echo "SKIP: bird2 is not installed (apt-get install bird2; scripts/lib/deps.sh lists it)"
		exit 77
	fi
}

bgp_ns_destroy() {
	local ns
	for ns in "$@"; do
		_ng_ns_exists "$ns" || continue
		_ng_ns_kill_all "$ns"
		ip netns del "$ns" 2>/dev/null || ng_log "could not delete namespace $ns"
	done
}

bird_start() {
	local name=$1 ns=$2 conf=${3:-$TMP/$1/bird.conf} i
	rm -f "$TMP/$name/bird.ctl"
	ip netns exec "$ns" bird -f -c "$conf" -s "$TMP/$name/bird.ctl" \
		-P "$TMP/$name/bird.pid" >>"$TMP/$name/bird.out" 2>&1 9>&- &
	# shellcheck disable=SC2034 # read by the tests
	BIRDPID[$name]=$!
	E2E_PIDS+=($!)
	for ((i = 0; i < 100; i++)); do
		[[ -S $TMP/$name/bird.ctl ]] && return 0
		sleep 0.1
	done
	echo "BIRD $name did not start:"
	indent <"$TMP/$name/bird.out"
	return 1
}

ctl_ns() {
	local ns=$1
	shift
	timeout 10 ip netns exec "$ns" "$CTL" -s 127.0.0.1:8023 "$@"
}

bgp_json() {
	ctl_ns "$1" show bgp json | python3 -c 'import json, sys
d = json.load(sys.stdin); k = sys.argv[1]
print(d[k] if k in d else d["prefixes"][0][k])' "$2"
}

hops() {
	ip -n "$RTR" route show "$1/32" 2>/dev/null | grep -o 'via [0-9.]*' | awk '{ print $2 }' |
		sort | tr '\n' ' ' | sed 's/ $//'
}

wait_hops() {
	local vip=$1 want=$2 t0=$3 limit=$4 now
	while :; do
		now=$(now_ms)
		if [[ $(hops "$vip") == "$want" ]]; then
			echo $((now - t0))
			return 0
		fi
		if ((now - t0 > limit)); then
			echo -1
			return 1
		fi
		sleep 0.02
	done
}

# BFD of a test: 100 ms x 3, on the interfaces matching $1.
_bfd_conf() {
	[[ -z $1 ]] || printf 'protocol bfd { interface "%s" { interval 100 ms; multiplier 3; }; }\n' "$1"
}

bird_conf_router() {
	local bfd=$1 x g net on=""
	shift
	[[ -n $bfd ]] && on="bfd on;"
	printf 'router id 198.18.255.1;\nlog "%s/rtr/bird.log" all;\nprotocol device { }\n' "$TMP"
	printf 'protocol kernel { merge paths on; ipv4 { import none; export all; }; }\n'
	_bfd_conf "$bfd"
	for x in "$@"; do
		g=${x%%:*} net=${x#*:}
		printf 'protocol bgp gw%s {\n\tlocal %s.1 as 65000; neighbor %s.2 as 65001;\n' \
			"$g" "$net" "$net"
		printf '\t%s %s\n\tipv4 { import all; export none; };\n}\n' "$BGP_TIMERS" "$on"
	done
}

bird_conf_gw() {
	local g=$1 net=$2 bfd=$3 on=""
	[[ -n $bfd ]] && on="bfd on;"
	printf 'router id %s.2;\nlog "%s/%s/bird.log" all;\nprotocol device { }\n' "$net" "$TMP" "$g"
	_bfd_conf "$bfd"
	printf 'include "%s/%s/routes.conf";\n' "$TMP" "$g"
	printf 'protocol bgp tor {\n\tlocal %s.2 as 65001; neighbor %s.1 as 65000;\n' "$net" "$net"
	printf '\t%s %s\n\tipv4 { import none; export where proto = "nodegw4"; };\n}\n' \
		"$BGP_TIMERS" "$on"
}
