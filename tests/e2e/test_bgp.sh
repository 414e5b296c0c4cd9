#!/usr/bin/env bash
# End-to-end announcement test with real BIRD 2: two gateways, each a nodegw
# and its own BIRD, peer over eBGP with a router namespace whose BIRD installs
# ECMP routes (merge paths, fib_multipath_hash_policy=1) into its kernel.
# nodegw decides, BIRD speaks; the test reads what the router's kernel holds.
#
#   usage: test_bgp.sh NODEGW_BINARY NODEGW_CTL_BINARY
#
#   P-rtr (BIRD AS 65000) -- P-ra 198.18.11.1/24 <--> P a-r 198.18.11.2/24 -- Pa-gw: BIRD AS 65001, nodegw
#                         -- P-rb 198.18.12.1/24 <--> P b-r 198.18.12.2/24 -- Pb-gw: BIRD AS 65001, nodegw
#
# nodegw runs on a net_null port here: announcing needs no traffic. (The
# BGP session runs over a plain veth in the gateway's namespace, beside
# nodegw, not through it; see doc/scale-out.md for the in-band case.) Service
# "web" (VIP 198.19.0.10) has one backend of weight 1 on each gateway.
#
# Checks, each with its time measured at the router:
#   1. both gateways announce: the router holds an ECMP route with both
#   2. gateway A's service loses its last backend: A's next hop leaves the
#      router within 2 s; show bgp says no_backend; B's too: the route goes;
#      restoring the backends announces both again
#   3. drain on A: the route moves to B alone; undrain: back to both
#   4. BIRD of A restarts with a config that does not include the routes
#      file: nodegw says so and nothing of A's is announced; then with it:
#      nodegw reconnects and A's route comes back
#   5. a clean stop of B (SIGTERM): the route leaves while nodegw still runs,
#      nodegw exits bgp.stop_wait_ms later
#   6. kill -9 of A: the route via A leaves within 2 s (the anchor interface
#      dies with the process; its end and the router's update are timed)
#   7. A starts again with no backend: its stale routes from before the kill
#      never reach the router
#
# Needs root and bird2 (exits 77, meson's "skipped", otherwise). Only touches
# the namespaces it creates (prefix $NG_E2E_PREFIX, default "ngt") and
# addresses in 198.18.0.0/15; every wait is bounded and everything it starts
# is removed on exit, failure included.

set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../../scripts/lib/e2e.sh
source "$HERE/../../scripts/lib/e2e.sh"
# shellcheck source-path=SCRIPTDIR source=bgp_lib.sh
source "$HERE/bgp_lib.sh"

if (($# != 2)); then
	echo "usage: $0 NODEGW_BINARY NODEGW_CTL_BINARY" >&2
	exit 2
fi
BIN=$1
CTL=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
e2e_preflight ip timeout flock
if ! command -v bird >/dev/null || ! command -v birdc >/dev/null; then
	echo "SKIP: bird2 is not installed (apt-get install bird2; scripts/lib/deps.sh lists it)"
	exit 77
fi

RTR=$P-rtr
GWS=(a b)
declare -A GWNS=([a]=${P}a-gw [b]=${P}b-gw)
declare -A NET=([a]=198.18.11 [b]=198.18.12)
declare -A NGPID=()
VIP=198.19.0.10
STOP_WAIT_MS=1000
WITHDRAW_LIMIT_MS=2000
KILL_LIMIT_MS=2000
CHECKS=15
TIMES=()

e2e_begin nodegw-e2e-bgp

# ---- topology --------------------------------------------------------------

bgp_topo_destroy() {
	bgp_ns_destroy "${GWNS[@]}" "$RTR"
}

bgp_cleanup() {
	local rc=$? g
	for g in "${GWS[@]}"; do
		gw_stop "${P}$g" >/dev/null 2>&1 || true
	done
	bgp_topo_destroy
	(exit "$rc")
	e2e_cleanup
}
trap bgp_cleanup EXIT

bgp_topo_create() {
	local g
	bgp_topo_destroy
	_ng_x ip netns add "$RTR" || return 1
	_ng_x ip -n "$RTR" link set lo up || return 1
	_ng_sysctl "$RTR" net.ipv4.ip_forward 1 || return 1
	_ng_sysctl "$RTR" net.ipv4.fib_multipath_hash_policy 1 || return 1
	for g in "${GWS[@]}"; do
		_ng_x ip netns add "${GWNS[$g]}" || return 1
		_ng_x ip -n "${GWNS[$g]}" link set lo up || return 1
		_ng_x ip link add "$P-r$g" netns "$RTR" type veth peer name "${P}$g-r" \
			netns "${GWNS[$g]}" || return 1
		_ng_x ip -n "$RTR" addr add "${NET[$g]}.1/24" dev "$P-r$g" || return 1
		_ng_x ip -n "$RTR" link set "$P-r$g" up || return 1
		_ng_x ip -n "${GWNS[$g]}" addr add "${NET[$g]}.2/24" dev "${P}$g-r" || return 1
		_ng_x ip -n "${GWNS[$g]}" link set "${P}$g-r" up || return 1
	done
}

bird_conf_router() {
	local g
	cat <<-EOF
		router id ${NET[a]}.1;
		log "$TMP/rtr/bird.log" all;
		protocol device { scan time 10; }
		protocol kernel { merge paths on; ipv4 { import none; export all; }; }
	EOF
	for g in "${GWS[@]}"; do
		cat <<-EOF
			protocol bgp gw$g {
				local ${NET[$g]}.1 as 65000; neighbor ${NET[$g]}.2 as 65001;
				$BGP_TIMERS
				ipv4 { import all; export none; };
			}
		EOF
	done
}

# A gateway's BIRD: the routes file nodegw writes, exported to the router.
bird_conf_gw() {
	local g=$1
	cat <<-EOF
		router id ${NET[$g]}.2;
		log "$TMP/$g/bird.log" all;
		protocol device { scan time 10; }
		include "$TMP/$g/routes.conf";
		protocol bgp tor {
			local ${NET[$g]}.2 as 65001; neighbor ${NET[$g]}.1 as 65000;
			$BGP_TIMERS
			ipv4 { import none; export where proto = "nodegw4"; };
		}
	EOF
}

# The gateway's nodegw config; backend weight W ("" for no backend).
gw_conf() {
	local g=$1 w=$2 be=""
	[[ -n $w ]] && be="{ address = \"198.18.20.10\"; port = 8080; weight = $w; }"
	cat >"$TMP/$g/nodegw.conf" <<-EOF
		# generated by tests/e2e/test_bgp.sh (gateway $g)
		log_level = "info";
		workers = { idle_sleep_us = 1000; idle_polls = 16; };
		cli = { address = "127.0.0.1"; port = 8023; };
		ports = ( { name = "p0"; devargs = "net_null0"; addresses = ["198.18.20.1/24"]; } );
		services = ( { name = "web"; protocol = "tcp"; port = 80; vips = ["$VIP"];
			backends = ( $be ); } );
		bgp = {
			bird_socket = "$TMP/$g/bird.ctl";
			routes_file = "$TMP/$g/routes.conf";
			interface = "ngvips";
			stop_wait_ms = $STOP_WAIT_MS;
			timeout_ms = 2000;
			retry_ms = 200;
		};
	EOF
}

ng_start() {
	local g=$1
	if ! NODEGW_BIN=$BIN NG_GW_SHARED=1 gw_start "${P}$g" "$TMP/$g/nodegw.conf" "$TMP/$g/nodegw.log" \
		--lcores '0@0,1@1' 9>&-; then
		return 1
	fi
	NGPID[$g]=$(cat "$NG_RUN_DIR/${P}$g-gw.pid")
}

ctl() {
	ctl_ns "${GWNS[$1]}" "${@:2}"
}

BOTH="${NET[a]}.2 ${NET[b]}.2"
A_ONLY="${NET[a]}.2"
B_ONLY="${NET[b]}.2"

# check_time NAME WANT LIMIT_MS CMD...: run CMD (a CLI command: the change is
# made when it returns), measure from then until the hops are WANT.
check_time() {
	local name=$1 want=$2 limit=$3 t_cmd t0 ms
	shift 3
	t_cmd=$(now_ms)
	"$@" >/dev/null || { fail "$name: command failed: $*"; return 1; }
	t0=$(now_ms)
	ms=$(wait_hops "$VIP" "$want" "$t0" "$limit")
	if ((ms >= 0)); then
		pass "$name: router next hops [$want] after $ms ms (the command itself: $((t0 - t_cmd)) ms)"
		TIMES+=("$name: $ms ms")
	else
		fail "$name: router next hops are [$(hops "$VIP")], not [$want], after $limit ms"
	fi
}

# show bgp json's KEY on gateway G.
gw_bgp() {
	bgp_json "${GWNS[$1]}" "$2"
}

# ---- start ------------------------------------------------------------------

echo "== nodegw e2e bgp: BIRD $(bird --version 2>&1 | awk '{ print $NF }'), router $RTR, gateways ${GWNS[*]}"
if ! bgp_topo_create; then
	echo "FAIL: could not create the topology"
	exit 1
fi
mkdir -p "$TMP/rtr" "$TMP/a" "$TMP/b"
bird_conf_router >"$TMP/rtr/bird.conf"
for g in "${GWS[@]}"; do
	bird_conf_gw "$g" >"$TMP/$g/bird.conf"
	echo "# empty until nodegw writes it" >"$TMP/$g/routes.conf"
	gw_conf "$g" 1
done
for n in rtr a b; do
	ns=$RTR
	[[ $n != rtr ]] && ns=${GWNS[$n]}
	bird_start "$n" "$ns" || exit 1
done
for g in "${GWS[@]}"; do
	if ! ng_start "$g"; then
		echo "FAIL: nodegw $g did not start"
		exit 1
	fi
done

# ---- 1. both announce: ECMP at the router ------------------------------------

T0=$(now_ms)
ms=$(wait_hops "$VIP" "$BOTH" "$T0" 30000)
if ((ms >= 0)); then
	pass "both gateways announce $VIP: the router's route has next hops [$BOTH] ($ms ms after both were ready)"
else
	fail "router route for $VIP is [$(hops "$VIP")], not [$BOTH], 30 s after start"
	ip -n "$RTR" route show | indent
	birdc -s "$TMP/rtr/bird.ctl" show protocols | indent
	exit 1
fi
if [[ $(ip -n "$RTR" route show "$VIP/32" | grep -c nexthop) == 2 ]]; then
	pass "the router installed one route with two nexthops (ECMP, fib_multipath_hash_policy $(ip netns exec "$RTR" sysctl -n net.ipv4.fib_multipath_hash_policy))"
else
	fail "no ECMP route: $(ip -n "$RTR" route show "$VIP/32" | tr '\n' ' ')"
fi

# ---- 2. the last backend goes: withdrawn within 2 s ------------------------------

check_time "A loses its last backend" "$B_ONLY" "$WITHDRAW_LIMIT_MS" \
	ctl a backend del web 198.18.20.10:8080
why=$(gw_bgp a why)
if [[ $why == no_backend ]]; then
	pass "show bgp on A: withdrawn, why no_backend"
else
	fail "show bgp on A says why=$why, not no_backend"
fi
check_time "B loses its last backend too" "" "$WITHDRAW_LIMIT_MS" \
	ctl b backend del web 198.18.20.10:8080
restore_backends() {
	ctl a backend add web 198.18.20.10:8080 && ctl b backend add web 198.18.20.10:8080
}
check_time "backends back on A and B" "$BOTH" "$WITHDRAW_LIMIT_MS" restore_backends

# ---- 3. drain and undrain ---------------------------------------------------------

check_time "drain on A" "$B_ONLY" "$WITHDRAW_LIMIT_MS" ctl a drain
TIMES+=("drain on A, nodegw's part (change to BIRD's confirmation): $(gw_bgp a last_latency_ms) ms")
check_time "undrain on A" "$BOTH" "$WITHDRAW_LIMIT_MS" ctl a undrain

# ---- 4. BIRD of A restarts: without the include, then with it -------------------------

bird_restart_a() {
	kill "${BIRDPID[a]}" 2>/dev/null
	wait "${BIRDPID[a]}" 2>/dev/null
	bird_start a "${GWNS[a]}" "$1"
}

grep -v '^include' "$TMP/a/bird.conf" >"$TMP/a/bird-noinclude.conf"
bird_restart_a "$TMP/a/bird-noinclude.conf" || exit 1
for ((i = 0; i < 100; i++)); do
	err=$(gw_bgp a last_error)
	[[ $err == *"does its config include"* && $(gw_bgp a confirmed) == 0 &&
		$(hops "$VIP") == "$B_ONLY" ]] && break
	sleep 0.1
done
if ((i < 100)); then
	pass "BIRD of A without the include: nodegw says \"$err\", nothing of A's is announced"
else
	fail "BIRD of A without the include: last_error \"$err\", confirmed $(gw_bgp a confirmed), hops [$(hops "$VIP")]"
fi
t0=$(now_ms)
bird_restart_a "$TMP/a/bird.conf" || exit 1
ms=$(wait_hops "$VIP" "$BOTH" "$t0" 20000)
for ((i = 0; i < 50; i++)); do
	[[ $(gw_bgp a connects) -ge 3 && $(gw_bgp a in_sync) == True ]] && break
	sleep 0.1
done
if ((ms >= 0)) && ((i < 50)); then
	pass "BIRD of A restarted: nodegw reconnected ($(gw_bgp a connects) connects), route back via both after $ms ms"
else
	fail "after BIRD of A restarted: hops [$(hops "$VIP")], connects $(gw_bgp a connects), in_sync $(gw_bgp a in_sync)"
fi

# ---- 5. a clean stop of B -----------------------------------------------------------

t0=$(now_ms)
kill -TERM "${NGPID[b]}"
ms=$(wait_hops "$VIP" "$A_ONLY" "$t0" "$WITHDRAW_LIMIT_MS")
alive=0
_ng_pid_alive "${NGPID[b]}" && alive=1
for ((i = 0; i < 200; i++)); do
	_ng_pid_alive "${NGPID[b]}" || break
	sleep 0.05
done
exit_ms=$(($(now_ms) - t0))
if ((ms >= 0 && alive && exit_ms >= STOP_WAIT_MS)); then
	pass "clean stop of B: withdrawn after $ms ms while nodegw still ran; it exited after $exit_ms ms (stop_wait_ms $STOP_WAIT_MS)"
	TIMES+=("clean stop of B: withdrawn $ms ms, exit $exit_ms ms")
else
	fail "clean stop of B: withdrawn after $ms ms, nodegw alive then: $alive, exit after $exit_ms ms"
fi
gw_stop "${P}b" >/dev/null 2>&1
if grep -q "BGP: stopping: BIRD withdrew every route" "$TMP/b/nodegw.log"; then
	pass "B's log: BIRD confirmed the withdrawal before the stop"
else
	fail "B's log does not say BIRD withdrew every route"
fi
ng_start b || { fail "nodegw B did not start again"; exit 1; }
ms=$(wait_hops "$VIP" "$BOTH" "$(now_ms)" 20000)
if ((ms >= 0)); then
	pass "B started again: both announce ($ms ms after it was ready)"
else
	fail "B restarted, but the router has [$(hops "$VIP")]"
fi

# ---- 6. kill -9 of A -------------------------------------------------------------------

# The anchor's end (process teardown: memory first, then descriptors) and the
# router's update are timed apart.
t0=$(now_ms)
kill -KILL "${NGPID[a]}"
anchor_ms=-1
ms=-1
while (($(now_ms) - t0 < 5000)); do
	now=$(now_ms)
	if ((anchor_ms < 0)) && ! ip -n "${GWNS[a]}" link show ngvips >/dev/null 2>&1; then
		anchor_ms=$((now - t0))
	fi
	if [[ $(hops "$VIP") == "$B_ONLY" ]]; then
		ms=$((now - t0))
		break
	fi
	sleep 0.02
done
if ((ms >= 0 && ms <= KILL_LIMIT_MS)); then
	pass "kill -9 of A: its anchor interface went after $anchor_ms ms, the router dropped A's next hop after $ms ms (bound $KILL_LIMIT_MS ms)"
	TIMES+=("kill -9 of A: anchor gone $anchor_ms ms, router $ms ms")
else
	fail "kill -9 of A: router hops [$(hops "$VIP")] after $ms ms, anchor gone after $anchor_ms ms (bound $KILL_LIMIT_MS ms)"
fi
gw_stop "${P}a" >/dev/null 2>&1

# ---- 7. A starts again with nothing to announce: no stale route --------------------------

gw_conf a ""
grep -q "route $VIP/32" "$TMP/a/routes.conf" || info "(A's routes file did not hold $VIP; the check below is weaker)"
NODEGW_BIN=$BIN NG_GW_SHARED=1 gw_start "${P}a" "$TMP/a/nodegw.conf" "$TMP/a/nodegw.log" --lcores '0@0,1@1' \
	9>&- >/dev/null 2>&1 &
starter=$!
seen=""
t0=$(now_ms)
while (($(now_ms) - t0 < 60000)); do
	[[ $(hops "$VIP") == *"${NET[a]}.2"* ]] && seen=$(hops "$VIP")
	if ! kill -0 "$starter" 2>/dev/null; then
		break
	fi
	sleep 0.05
done
wait "$starter"
rc=$?
for ((i = 0; i < 40; i++)); do
	[[ $(hops "$VIP") == *"${NET[a]}.2"* ]] && seen=$(hops "$VIP")
	sleep 0.05
done
if ((rc == 0)) && [[ -z $seen ]]; then
	pass "A started again with no backend: its routes from before the kill never reached the router"
else
	fail "A restart (rc $rc): the router saw [$seen]"
fi

echo
echo "times measured at the router:"
for t in "${TIMES[@]}"; do
	info "$t"
done
echo "$PASSED passed, $FAILED failed"
((FAILED == 0 && PASSED == CHECKS))
