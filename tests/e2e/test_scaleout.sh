#!/usr/bin/env bash
# End-to-end scale-out test: gateways behind a router's ECMP, each a nodegw
# whose port to the router has a kernel twin, and its own BIRD 2 speaking BGP
# (with BFD) through that twin, in-band; clients behind the router, backends
# behind the gateways.
#
#   usage: test_scaleout.sh NODEGW_BINARY NODEGW_CTL_BINARY
#
#   P-cl 198.18.30.2 -- P-rtr (BIRD AS 65000, merge paths, fib_multipath_hash_policy 1)
#                          | 198.18.1X.1/24
#                          | 198.18.1X.2/24: port "up" of gateway X (a, b, c), twin PX-k
#   PX-gw: nodegw + BIRD AS 65001 (on the twin) + the anchor interface
#                          | port "down" 198.18.40.X/24
#   P-lan (bridge) -- P-b1..b3 198.18.40.11..13: tests/e2e/churn_echo.py (TCP line echo)
#
# VIP 198.19.0.10:80 ("web", three backends) on every gateway, FullNAT;
# 198.19.0.20:80 ("lonely", one backend) to lose its backend.
#
# NG_SCALEOUT_MODE=dsr (meson's bgp_scaleout_dsr): "web" in mode dsr. The
# router gets a leg on the backends' LAN (198.18.40.254, rp_filter off: it
# sees the VIP as a source there); each backend holds the VIP on its loopback,
# decapsulates (Linux's ipip device, or tests/e2e/ipip_decap.py into a TUN
# device on a kernel without one), has rp_filter off, arp_ignore 1,
# arp_announce 2, serves on port 80 and answers the client through the router,
# never through a gateway. Checks 5 and 6 then require 0 broken connections.
#
# Checks:
#   1. gateways a and b announce: the router holds one route with both, BFD up
#   2. 200 connections from 200 client ports: every one answered, each gateway
#      carried more than 20% (show conn on each)
#   3. every connection reached the backend `lookup` names on either gateway
#      (100% agreement)
#   4. "lonely" loses its last backend on both: withdrawn within 2 s; back
#   5. drain on a: the route moves to b (time reported); long-lived
#      connections that were on a are counted broken or not (FullNAT: they
#      break, reported for the docs); undrain
#   6. a third gateway c joins: the route gets a third next hop (time
#      reported); long-lived connections counted again (FullNAT: those ECMP
#      moves to c break, reported)
#   7. kill -9 of a: the router drops a within 2 s (BFD, 100 ms x 3: the twin
#      dies with nodegw, so a's BIRD cannot send the withdrawal itself)
#
# Needs root and bird2 (exits 77, meson's "skipped", otherwise). Only touches
# the namespaces it creates (prefix $NG_E2E_PREFIX, default "ngt") and
# addresses in 198.18.0.0/15; every wait is bounded and everything it starts
# is removed on exit, failure included.

set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ECHO_PY=$HERE/churn_echo.py
CLIENT_PY=$HERE/scaleout_client.py
# shellcheck source-path=SCRIPTDIR source=../../scripts/lib/e2e.sh
source "$HERE/../../scripts/lib/e2e.sh"
# shellcheck source-path=SCRIPTDIR source=bgp_lib.sh
source "$HERE/bgp_lib.sh"

bgp_args "$@"
MODE=${NG_SCALEOUT_MODE:-fullnat}
case $MODE in
fullnat) MODE_NAME=FullNAT WEB_PORT=8080 ;;
dsr) MODE_NAME=DSR WEB_PORT=80 ;;
*) echo "NG_SCALEOUT_MODE: fullnat or dsr, not \"$MODE\""; exit 1 ;;
esac
DECAP="-"
e2e_preflight ip timeout flock python3 ethtool ss

RTR=$P-rtr
CL=$P-cl
LAN=$P-lan
GWS=(a b c)
declare -A GWNS=([a]=${P}a-gw [b]=${P}b-gw [c]=${P}c-gw)
declare -A UPNET=([a]=198.18.11 [b]=198.18.12 [c]=198.18.13)
declare -A DOWNIP=([a]=198.18.40.1 [b]=198.18.40.2 [c]=198.18.40.3)
declare -A NGPID=()
BACKENDS=(b1 b2 b3)
declare -A BIP=([b1]=198.18.40.11 [b2]=198.18.40.12 [b3]=198.18.40.13)
CLIENT_IP=198.18.30.2
VIP=198.19.0.10
VIP_LONELY=198.19.0.20
N_SPREAD=200
N_HOLD=40
LIMIT_MS=2000
CHECKS=8
TIMES=()

e2e_begin nodegw-e2e-scaleout

ALL_NS=("$CL" "$RTR" "$LAN" "${GWNS[a]}" "${GWNS[b]}" "${GWNS[c]}")
for b in "${BACKENDS[@]}"; do ALL_NS+=("$P-$b"); done

scaleout_cleanup() {
	local rc=$? g
	for g in "${GWS[@]}"; do
		gw_stop "${P}$g" >/dev/null 2>&1 || true
	done
	bgp_ns_destroy "${ALL_NS[@]}"
	(exit "$rc")
	e2e_cleanup
}
trap scaleout_cleanup EXIT

# ---- topology -------------------------------------------------------------------

# veth NS1 IF1 NS2 IF2: a pair, both ends up.
veth() {
	_ng_x ip link add "$2" netns "$1" type veth peer name "$4" netns "$3" || return 1
	_ng_x ip -n "$1" link set "$2" up && _ng_x ip -n "$3" link set "$4" up
}

topo_up() {
	local ns g b
	bgp_ns_destroy "${ALL_NS[@]}"
	for ns in "${ALL_NS[@]}"; do
		_ng_x ip netns add "$ns" || return 1
		_ng_x ip -n "$ns" link set lo up || return 1
	done
	_ng_sysctl "$RTR" net.ipv4.ip_forward 1 || return 1
	_ng_sysctl "$RTR" net.ipv4.fib_multipath_hash_policy 1 || return 1
	veth "$CL" "$P-c" "$RTR" "$P-rcl" || return 1
	_ng_x ip -n "$CL" addr add "$CLIENT_IP/24" dev "$P-c" || return 1
	_ng_x ip -n "$CL" route add default via 198.18.30.1 || return 1
	_ng_x ip -n "$RTR" addr add 198.18.30.1/24 dev "$P-rcl" || return 1
	_ng_x ip -n "$LAN" link add "$P-br" type bridge || return 1
	_ng_x ip -n "$LAN" link set "$P-br" up || return 1
	for g in "${GWS[@]}"; do
		veth "$RTR" "$P-r$g" "${GWNS[$g]}" "${P}$g-u" || return 1
		_ng_x ip -n "$RTR" addr add "${UPNET[$g]}.1/24" dev "$P-r$g" || return 1
		veth "${GWNS[$g]}" "${P}$g-d" "$LAN" "$P-l$g" || return 1
		_ng_x ip -n "$LAN" link set "$P-l$g" master "$P-br" || return 1
		ng_gw_wire "${GWNS[$g]}" "${P}$g-u" || return 1
		ng_gw_wire "${GWNS[$g]}" "${P}$g-d" || return 1
		_ng_x ip netns exec "$RTR" ethtool -K "$P-r$g" tx off tso off gso off gro off >/dev/null || return 1
	done
	for b in "${BACKENDS[@]}"; do
		veth "$P-$b" "$P-$b" "$LAN" "$P-l$b" || return 1
		_ng_x ip -n "$LAN" link set "$P-l$b" master "$P-br" || return 1
		_ng_x ip -n "$P-$b" addr add "${BIP[$b]}/24" dev "$P-$b" || return 1
		_ng_x ip netns exec "$P-$b" ethtool -K "$P-$b" tx off tso off gso off gro off >/dev/null || return 1
	done
	_ng_x ip netns exec "$CL" ethtool -K "$P-c" tx off tso off gso off gro off >/dev/null
}

# backend_list PORT NAME...
backend_list() {
	local b sep="" port=$1
	shift
	for b in "$@"; do
		printf '%s{ address = "%s"; port = %s; }' "$sep" "${BIP[$b]}" "$port"
		sep=", "
	done
}

gw_conf() {
	local g=$1
	cat >"$TMP/$g/nodegw.conf" <<-EOF
		# generated by tests/e2e/test_scaleout.sh (gateway $g)
		log_level = "info";
		workers = { idle_sleep_us = 100; idle_polls = 64; };
		cli = { address = "127.0.0.1"; port = 8023; };
		ports = (
			{ name = "up"; devargs = "net_af_packet0,iface=${P}$g-u"; addresses = ["${UPNET[$g]}.2/24"];
			  kernel = { name = "${P}$g-k"; }; },
			{ name = "down"; devargs = "net_af_packet1,iface=${P}$g-d"; addresses = ["${DOWNIP[$g]}/24"]; }
		);
		routes = ( { prefix = "198.18.30.0/24"; via = "${UPNET[$g]}.1"; } );
		services = (
			{ name = "web"; protocol = "tcp"; port = 80; vips = ["$VIP"]; mode = "$MODE";
			  backends = ( $(backend_list "$WEB_PORT" b1 b2 b3) ); },
			{ name = "lonely"; protocol = "tcp"; port = 80; vips = ["$VIP_LONELY"];
			  backends = ( $(backend_list 8080 b1) ); }
		);
		bgp = {
			bird_socket = "$TMP/$g/bird.ctl";
			routes_file = "$TMP/$g/routes.conf";
			interface = "ngvips";
			stop_wait_ms = 1000;
			retry_ms = 200;
		};
	EOF
}

# DSR: the router's leg on the LAN, and what each backend needs (doc/kubernetes.md).
dsr_up() {
	local b ns k
	veth "$RTR" "$P-rlan" "$LAN" "$P-llan" || return 1
	_ng_x ip -n "$LAN" link set "$P-llan" master "$P-br" || return 1
	_ng_x ip -n "$RTR" addr add 198.18.40.254/24 dev "$P-rlan" || return 1
	_ng_x ip netns exec "$RTR" ethtool -K "$P-rlan" tx off tso off gso off gro off >/dev/null || return 1
	for k in all default "$P-rlan"; do
		_ng_sysctl "$RTR" "net.ipv4.conf.$k.rp_filter" 0 || return 1
	done
	for b in "${BACKENDS[@]}"; do
		ns=$P-$b
		_ng_x ip -n "$ns" addr add "$VIP/32" dev lo || return 1
		_ng_x ip -n "$ns" route add default via 198.18.40.254 || return 1
		for k in all default; do
			_ng_sysctl "$ns" "net.ipv4.conf.$k.rp_filter" 0 || return 1
		done
		_ng_sysctl "$ns" net.ipv4.conf.all.arp_ignore 1 || return 1
		_ng_sysctl "$ns" net.ipv4.conf.all.arp_announce 2 || return 1
		if ip -n "$ns" link add "$P-ipip" type ipip external 2>/dev/null; then
			_ng_x ip -n "$ns" link set "$P-ipip" up || return 1
			DECAP="Linux's ipip device"
		else
			e2e_decap "$ns" "$P-ipip" "$b" || return 1
			DECAP="tests/e2e/ipip_decap.py into a TUN device (this kernel has no ipip device)"
		fi
		_ng_sysctl "$ns" "net.ipv4.conf.$P-ipip.rp_filter" 0 || return 1
	done
}

# A gateway: nodegw first (its twin carries BIRD's session), then BIRD.
gw_up() {
	local g=$1
	mkdir -p "$TMP/$g"
	gw_conf "$g"
	bird_conf_gw "$g" "${UPNET[$g]}" "${P}$g-k" >"$TMP/$g/bird.conf"
	echo "# empty until nodegw writes it" >"$TMP/$g/routes.conf"
	NODEGW_BIN=$BIN NG_GW_SHARED=1 gw_start "${P}$g" "$TMP/$g/nodegw.conf" "$TMP/$g/nodegw.log" \
		--lcores '0@0,1@1' 9>&- || return 1
	NGPID[$g]=$(cat "$NG_RUN_DIR/${P}$g-gw.pid")
	bird_start "$g" "${GWNS[$g]}"
}

ctl() {
	ctl_ns "${GWNS[$1]}" "${@:2}"
}

# The client ports in [BASE, BASE+N) that gateway G's connection table holds.
gw_ports() {
	local g=$1 base=$2 n=$3
	ctl "$g" show conn client "$CLIENT_IP" limit 100000 json | python3 -c '
import json, sys
base, n = int(sys.argv[1]), int(sys.argv[2])
d = json.load(sys.stdin)
ports = {int(c["client"].rsplit(":", 1)[1]) for c in d["conns"]}
print(" ".join(str(p) for p in sorted(ports) if base <= p < base + n))' "$base" "$n"
}

# hold_start NAME BASE: N_HOLD long-lived connections in the background.
hold_start() {
	local name=$1 base=$2
	rm -f "$TMP/$name.ready" "$TMP/$name.stop"
	ip netns exec "$CL" timeout 100 python3 "$CLIENT_PY" hold "$VIP:80" --bind "$CLIENT_IP" \
		--sport-base "$base" --count "$N_HOLD" --interval 0.1 --timeout 2 \
		--ready-file "$TMP/$name.ready" --stop-file "$TMP/$name.stop" --duration 90 \
		>"$TMP/$name.json" 2>"$TMP/$name.err" 9>&- &
	HOLD_PID=$!
	E2E_PIDS+=($!)
	for ((i = 0; i < 100; i++)); do
		[[ -e $TMP/$name.ready ]] && return 0
		sleep 0.1
	done
	echo "hold $name: not ready after 10 s"
	indent <"$TMP/$name.err"
	return 1
}

# hold_stop NAME: stop it; its broken connections and their number in broken, total.
hold_stop() {
	local name=$1
	touch "$TMP/$name.stop"
	wait "$HOLD_PID" 2>/dev/null
	read -r broken total < <(python3 -c 'import json, sys
d = json.load(open(sys.argv[1])); print(d["broken"], len(d["conns"]))' "$TMP/$name.json" ||
		echo "? ?")
}

# ---- start -------------------------------------------------------------------------

echo "== nodegw e2e scale-out ($MODE_NAME): BIRD $(bird --version 2>&1 | awk '{ print $NF }'), router $RTR, gateways ${GWNS[a]} ${GWNS[b]} (+ ${GWNS[c]})"
if ! topo_up || { [[ $MODE == dsr ]] && ! dsr_up; }; then
	echo "FAIL: could not create the topology"
	exit 1
fi
[[ $MODE == dsr ]] && echo "   backends decapsulate with $DECAP"
mkdir -p "$TMP/rtr"
bird_conf_router "$P-r*" "a:${UPNET[a]}" "b:${UPNET[b]}" "c:${UPNET[c]}" >"$TMP/rtr/bird.conf"
bird_start rtr "$RTR" || exit 1
for b in "${BACKENDS[@]}"; do
	bind=${BIP[$b]}
	[[ $MODE == dsr ]] && bind=0.0.0.0 # the VIP on lo too: the answer leaves from it
	ip netns exec "$P-$b" timeout 290 python3 "$ECHO_PY" serve "$b" --bind "$bind" \
		--tcp-port "$WEB_PORT" --udp-port 5353 --lifetime 280 >"$TMP/$b.log" 2>&1 9>&- &
	E2E_PIDS+=($!)
done
for g in a b; do
	gw_up "$g" || { echo "FAIL: gateway $g did not start"; exit 1; }
done
AB="${UPNET[a]}.2 ${UPNET[b]}.2"

# ---- 1. both announce, in-band --------------------------------------------------------

ms=$(wait_hops "$VIP" "$AB" "$(now_ms)" 40000)
if ((ms >= 0)); then
	pass "a and b announce $VIP over BGP through their kernel twins: the router has [$AB] ($ms ms after both were up)"
else
	fail "router route for $VIP is [$(hops "$VIP")], not [$AB]"
	birdc -s "$TMP/rtr/bird.ctl" show protocols | indent
	exit 1
fi
# BFD comes up on its own schedule, a little after BGP's routes (up to 3 s here)
for ((i = 0; i < 30; i++)); do
	bfd=$(birdc -s "$TMP/rtr/bird.ctl" show bfd sessions 2>/dev/null | grep -c " Up ")
	((bfd == 2)) && break
	sleep 0.1
done
if ((bfd == 2)); then
	pass "BFD sessions up with both gateways (through their data paths)"
else
	fail "BFD sessions up: $bfd of 2"
	birdc -s "$TMP/rtr/bird.ctl" show bfd sessions | indent
fi

# ---- 2. 200 connections spread over both --------------------------------------------------

SPREAD_BASE=20000
out=$(ip netns exec "$CL" timeout 120 python3 "$CLIENT_PY" spread "$VIP:80" --bind "$CLIENT_IP" \
	--sport-base "$SPREAD_BASE" --count "$N_SPREAD" --timeout 3 2>&1)
echo "$out" >"$TMP/spread.json"
ok=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["ok"])' "$TMP/spread.json" 2>/dev/null || echo 0)
na=$(gw_ports a "$SPREAD_BASE" "$N_SPREAD" | wc -w)
nb=$(gw_ports b "$SPREAD_BASE" "$N_SPREAD" | wc -w)
if ((ok == N_SPREAD && na * 5 > N_SPREAD && nb * 5 > N_SPREAD && na + nb == N_SPREAD)); then
	pass "$N_SPREAD connections from $N_SPREAD client ports all answered: a carried $na, b $nb (each > 20%)"
else
	fail "$ok of $N_SPREAD connections answered; a carried $na, b $nb"
fi
TIMES+=("spread: a $na, b $nb of $N_SPREAD")

# ---- 3. every connection reached the backend lookup names, on either gateway ---------------

for g in a b; do
	python3 -c '
import json, sys
for sport, _, _ in json.load(open(sys.argv[1]))["results"]:
    print("lookup tcp %s:%d %s:80 json" % (sys.argv[2], sport, sys.argv[3]))' \
		"$TMP/spread.json" "$CLIENT_IP" "$VIP" | timeout 60 ip netns exec "${GWNS[$g]}" "$CTL" \
		-s 127.0.0.1:8023 >"$TMP/lookup-$g.json" 2>&1
done
agree=$(python3 -c '
import json, sys
names = {sys.argv[i]: sys.argv[i + 1] for i in range(4, len(sys.argv), 2)}
res = json.load(open(sys.argv[1]))["results"]
la = [json.loads(l) for l in open(sys.argv[2]) if l.startswith("{")]
lb = [json.loads(l) for l in open(sys.argv[3]) if l.startswith("{")]
n = sum(1 for r, x, y in zip(res, la, lb)
        if r[1] is not None and names.get(x.get("backend")) == r[1] == names.get(y.get("backend")))
print(n)' "$TMP/spread.json" "$TMP/lookup-a.json" "$TMP/lookup-b.json" \
	"${BIP[b1]}" b1 "${BIP[b2]}" b2 "${BIP[b3]}" b3)
if ((agree == N_SPREAD)); then
	pass "every one of the $N_SPREAD connections reached the backend lookup names on a and on b (100% agreement)"
else
	fail "agreement with lookup: $agree of $N_SPREAD"
fi

# ---- 4. the last backend goes: withdrawn within 2 s --------------------------------------------

t0=$(now_ms)
ctl a backend del lonely "${BIP[b1]}:8080" >/dev/null && ctl b backend del lonely "${BIP[b1]}:8080" >/dev/null
t1=$(now_ms)
ms=$(wait_hops "$VIP_LONELY" "" "$t1" "$LIMIT_MS")
t2=$(now_ms)
ctl a backend add lonely "${BIP[b1]}:8080" >/dev/null && ctl b backend add lonely "${BIP[b1]}:8080" >/dev/null
back=$(wait_hops "$VIP_LONELY" "$AB" "$(now_ms)" "$LIMIT_MS")
if ((ms >= 0 && back >= 0)); then
	pass "lonely lost its last backend: withdrawn from the router $ms ms after the second gateway's change (the commands: $((t1 - t0)) ms); restored: announced again after $back ms"
	TIMES+=("last backend lost: withdrawn $ms ms; restored: $back ms")
else
	fail "lonely: withdrawn after $ms ms, back after $back ms (router: [$(hops "$VIP_LONELY")]; $((t2 - t1)) ms)"
fi

# ---- 5. drain a: the route moves to b ---------------------------------------------------------------

HOLD_BASE=30000
hold_start drain "$HOLD_BASE" || exit 1
on_a=$(gw_ports a "$HOLD_BASE" "$N_HOLD" | wc -w)
t0=$(now_ms)
ctl a drain >/dev/null
ms=$(wait_hops "$VIP" "${UPNET[b]}.2" "$t0" "$LIMIT_MS")
sleep 2
hold_stop drain
if ((ms >= 0)) && { [[ $MODE != dsr ]] || [[ $broken == 0 && $total == "$N_HOLD" ]]; }; then
	pass "drain on a: the router's route moved to b alone after $ms ms; $N_HOLD long-lived connections (echo every 100 ms), $on_a of them on a: $broken broken ($MODE_NAME)"
	TIMES+=("drain on a: $ms ms; $MODE_NAME: $broken of $total long-lived connections broken ($on_a were on a)")
else
	fail "drain on a: the router has [$(hops "$VIP")] after $LIMIT_MS ms ($ms); $MODE_NAME: $broken of $total long-lived connections broken ($on_a were on a)"
fi
ctl a undrain >/dev/null
wait_hops "$VIP" "$AB" "$(now_ms)" 5000 >/dev/null || fail "undrain on a: the router has [$(hops "$VIP")]"

# ---- 6. a third gateway joins --------------------------------------------------------------------------

hold_start join $((HOLD_BASE + 1000)) || exit 1
t0=$(now_ms)
gw_up c || { fail "gateway c did not start"; exit 1; }
ABC="${UPNET[a]}.2 ${UPNET[b]}.2 ${UPNET[c]}.2"
ms=$(wait_hops "$VIP" "$ABC" "$t0" 40000)
sleep 2
hold_stop join
on_c=$(gw_ports c $((HOLD_BASE + 1000)) "$N_HOLD" | wc -w)
if ((ms >= 0)) && { [[ $MODE != dsr ]] || [[ $broken == 0 && $total == "$N_HOLD" ]]; }; then
	pass "gateway c joined: the router has three next hops $ms ms after its start began; of $total long-lived connections, $on_c reached c, $broken broke ($MODE_NAME)"
	TIMES+=("join of c: $ms ms from its start; $MODE_NAME: $broken of $total long-lived connections broken ($on_c moved to c)")
else
	fail "gateway c: the router has [$(hops "$VIP")] ($ms); $MODE_NAME: $broken of $total long-lived connections broken ($on_c moved to c)"
fi

# ---- 7. kill -9 of a: BFD withdraws it --------------------------------------------------------------------

t0=$(now_ms)
kill -KILL "${NGPID[a]}"
ms=$(wait_hops "$VIP" "${UPNET[b]}.2 ${UPNET[c]}.2" "$t0" 5000)
if ((ms >= 0 && ms <= LIMIT_MS)); then
	pass "kill -9 of a: the router dropped a's next hop after $ms ms (BFD 100 ms x 3; bound $LIMIT_MS ms)"
	TIMES+=("kill -9 of a (in-band, BFD): $ms ms")
else
	fail "kill -9 of a: the router has [$(hops "$VIP")] after $ms ms"
fi
gw_stop "${P}a" >/dev/null 2>&1

echo
echo "measured:"
for t in "${TIMES[@]}"; do
	info "$t"
done
echo "$PASSED passed, $FAILED failed"
((FAILED == 0 && PASSED == CHECKS))
