# shellcheck shell=bash
# Network-namespace topology helpers for nodegw tests and demos.
#
# Source this file; it defines functions and changes no shell options.
#
#   PREFIX-client                PREFIX-gw (nodegw)               PREFIX-server
#   PREFIX-c 198.18.0.2/24 <--> PREFIX-gc | nodegw | PREFIX-gs <--> PREFIX-s 198.18.1.2/24
#   default via 198.18.0.1                                      default via 198.18.1.1
#
# 198.18.0.1 and 198.18.1.1 belong to nodegw (net_af_packet on PREFIX-gc and
# PREFIX-gs); the kernel in PREFIX-gw has no address and no IPv6 on them, and
# takes no IPv4 in through them (rp_filter 1): a kernel twin of a port (config
# ports[].kernel) appears in PREFIX-gw and is the kernel's way in.
# PREFIX keeps users apart: the demo uses "ngd", the e2e tests "ngt".
#
# The load-balancing topology (topo_lb_create) keeps the client side and puts
# three backends behind nodegw's second port, on a Linux bridge:
#
#   PREFIX-client                PREFIX-gw (nodegw)             PREFIX-lan (bridge PREFIX-br)
#   PREFIX-c 198.18.0.2/24 <--> PREFIX-gc | nodegw | PREFIX-gs <--> PREFIX-lg
#   default via 198.18.0.1                                          PREFIX-l1 <--> PREFIX-b1 in PREFIX-b1 198.18.1.11/24
#                                                                   PREFIX-l2 <--> PREFIX-b2 in PREFIX-b2 198.18.1.12/24
#                                                                   PREFIX-l3 <--> PREFIX-b3 in PREFIX-b3 198.18.1.13/24
#
# nodegw's ports there are "client" (PREFIX-gc, 198.18.0.1/24) and "pods"
# (PREFIX-gs, 198.18.1.1/24); the backends route everything via 198.18.1.1.
# PREFIX-lan has no addresses and no IPv6: it only bridges.
#
# Each namespace gets its own /etc/hosts and resolv.conf (iproute2 binds
# /etc/netns/NS/* over /etc for "ip netns exec"), so name lookups there - e.g.
# python's http.server calling getfqdn() - are answered locally and never send
# DNS queries out through the gateway.
#
#   topo_create PREFIX                  build it (tears down a stale one first)
#   topo_lb_create PREFIX               build the load-balancing topology below
#                                       (NG_LB_V6=1: with IPv6 too, _ng_lb_v6)
#   topo_destroy PREFIX                 kill everything inside, delete it (either
#                                       topology); idempotent
#   gw_start PREFIX CONF LOG [EAL...]   run nodegw in PREFIX-gw, wait for "MAIN: ready"
#   ng_gw_wire NS IF                    prepare IF in NS for nodegw's net_af_packet
#   gw_stop PREFIX                      SIGTERM, up to 10 s, then SIGKILL
#
# Environment:
#   NODEGW_BIN     nodegw binary (default: build/app/nodegw/nodegw in the repo)
#   NG_RUN_DIR     where pid files live (default /run/nodegw-netns)
#   NG_GW_DETACH=1 start nodegw in its own session so it outlives the caller
#                  (demo); default: stays in the caller's process group (tests,
#                  so a test-runner timeout kills it too)
#   NG_GW_SHARED=1 other processes may run in PREFIX-gw (a routing daemon beside
#                  nodegw); default: gw_start refuses to start then
#   NG_GW_READY_TIMEOUT  seconds to wait for "MAIN: ready" (default 20)
#   NG_GW_STOP_TIMEOUT   seconds to wait after SIGTERM (default 10)
#
# gw_stop leaves nodegw's exit status in NG_GW_RC ("" when unknown, e.g. the
# process was started by another shell).

[[ -n ${_NG_NETNS_SH_LOADED:-} ]] && return 0
_NG_NETNS_SH_LOADED=1

NG_REPO_ROOT=${NG_REPO_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
NG_RUN_DIR=${NG_RUN_DIR:-/run/nodegw-netns}
NODEGW_BIN=${NODEGW_BIN:-$NG_REPO_ROOT/build/app/nodegw/nodegw}
# DPDK 22.11: --no-huge turns on legacy memory mode, which --in-memory
# rejects ("Option --legacy-mem is not compatible with --in-memory"), so use
# --no-shconf; gw_start adds a per-topology --file-prefix.
NG_EAL_BASE=(--no-huge -m 512 --no-shconf --no-pci)
NG_EAL_DEFAULT=(--lcores '0@0,1@1')
# shellcheck disable=SC2034 # read by callers
NG_GW_RC=""

ng_log() { printf '[netns] %s\n' "$*" >&2; }

# Run a command; on failure say which one and return its status.
_ng_x() {
	"$@" && return 0
	local rc=$?
	ng_log "command failed (rc $rc): $*"
	return "$rc"
}

_ng_check_prefix() {
	# Interface names are PREFIX-gc etc.; the kernel allows 15 characters.
	if [[ ! ${1:-} =~ ^[a-z][a-z0-9]{0,11}$ ]]; then
		ng_log "bad topology prefix '${1:-}' (want [a-z][a-z0-9]{0,11})"
		return 1
	fi
}

_ng_ns_exists() { [[ -e /run/netns/$1 ]]; }

# True while PID exists and is not a zombie.
_ng_pid_alive() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	[[ -n $stat ]] || return 1
	stat=${stat##*) }
	[[ ${stat%% *} != Z ]]
}

# True if PID is (still) inside network namespace NS.
_ng_pid_in_ns() {
	[[ $(ip netns identify "$1" 2>/dev/null) == "$2" ]]
}

_ng_ns_pids() { ip netns pids "$1" 2>/dev/null || true; }

# Kill every process in namespace NS: SIGTERM, up to 5 s, then SIGKILL.
_ng_ns_kill_all() {
	local ns=$1 pids i
	pids=$(_ng_ns_pids "$ns")
	[[ -z $pids ]] && return 0
	# shellcheck disable=SC2086
	kill $pids 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		pids=$(_ng_ns_pids "$ns")
		[[ -z $pids ]] && return 0
		sleep 0.1
	done
	ng_log "killing leftover processes in $ns: $pids"
	# shellcheck disable=SC2086
	kill -KILL $pids 2>/dev/null || true
	for ((i = 0; i < 20; i++)); do
		[[ -z $(_ng_ns_pids "$ns") ]] && return 0
		sleep 0.1
	done
	ng_log "processes still in $ns after SIGKILL: $(_ng_ns_pids "$ns")"
	return 0
}

# Per-namespace sysctl, tolerated where the key does not exist (e.g. no IPv6).
_ng_sysctl() {
	local ns=$1 key=$2 val=$3
	ip netns exec "$ns" test -e "/proc/sys/${key//.//}" || return 0
	_ng_x ip netns exec "$ns" sysctl -qw "$key=$val"
}

# Private /etc/hosts and resolv.conf for each namespace of the topology.
_ng_etc_write() {
	local p=$1 ns
	for ns in "$p-client" "$p-gw" "$p-server"; do
		mkdir -p "/etc/netns/$ns" || return 1
		cat >"/etc/netns/$ns/hosts" <<-EOF || return 1
			# written by nodegw scripts/lib/netns.sh; removed by topo_destroy
			127.0.0.1	localhost
			198.18.0.2	$p-client
			198.18.1.2	$p-server
			198.18.0.1	$p-gw-client
			198.18.1.1	$p-gw-server
		EOF
		printf '%s\n' 'nameserver 127.0.0.1' 'options timeout:1 attempts:1' \
			>"/etc/netns/$ns/resolv.conf" || return 1
	done
}

_ng_etc_remove() {
	local p=$1 ns
	for ns in "$p-client" "$p-gw" "$p-server" $(_ng_lb_extra_ns "$p"); do
		[[ -d /etc/netns/$ns ]] || continue
		rm -f "/etc/netns/$ns/hosts" "/etc/netns/$ns/resolv.conf"
		rmdir "/etc/netns/$ns" 2>/dev/null || true
	done
	rmdir /etc/netns 2>/dev/null || true
}

# ng_gw_wire NS IF: make IF in NS a wire nodegw drives (net_af_packet): no
# kernel IPv6 (no DAD/RS/MLD), no ARP answers, no IPv4 delivery (strict
# reverse-path filtering: no route points at the interface, so once a kernel
# twin gives the namespace the gateway's addresses, the kernel still takes
# nothing in through it), no offloads, so af_packet sees what the wire would
# carry.
ng_gw_wire() {
	local ns=$1 i=$2
	_ng_sysctl "$ns" "net.ipv6.conf.$i.disable_ipv6" 1 || return 1
	_ng_sysctl "$ns" "net.ipv4.conf.$i.arp_ignore" 8 || return 1
	_ng_sysctl "$ns" "net.ipv4.conf.$i.rp_filter" 1 || return 1
	_ng_x ip netns exec "$ns" ethtool -K "$i" rx off tx off tso off gso off gro off >/dev/null
}

_ng_topo_build() {
	local p=$1
	local nc=$p-client ng=$p-gw nsv=$p-server
	local ifc=$p-c ifgc=$p-gc ifgs=$p-gs ifs=$p-s
	local ns i

	_ng_etc_write "$p" || { ng_log "cannot write /etc/netns/$p-*"; return 1; }
	for ns in "$nc" "$ng" "$nsv"; do
		_ng_x ip netns add "$ns" || return 1
	done
	# Create the veths directly inside their namespaces: nothing ever
	# appears in the caller's namespace.
	_ng_x ip link add "$ifc" netns "$nc" type veth peer name "$ifgc" netns "$ng" || return 1
	_ng_x ip link add "$ifs" netns "$nsv" type veth peer name "$ifgs" netns "$ng" || return 1

	ng_gw_wire "$ng" "$ifgc" || return 1
	ng_gw_wire "$ng" "$ifgs" || return 1
	# Kernel endpoints: checksummed, MTU-sized frames.
	_ng_x ip netns exec "$nc" ethtool -K "$ifc" tx off tso off gso off gro off >/dev/null || return 1
	_ng_x ip netns exec "$nsv" ethtool -K "$ifs" tx off tso off gso off gro off >/dev/null || return 1

	for ns in "$nc" "$ng" "$nsv"; do
		_ng_x ip -n "$ns" link set lo up || return 1
	done
	_ng_x ip -n "$ng" link set "$ifgc" up || return 1
	_ng_x ip -n "$ng" link set "$ifgs" up || return 1

	_ng_x ip -n "$nc" addr add 198.18.0.2/24 dev "$ifc" || return 1
	_ng_x ip -n "$nc" link set "$ifc" up || return 1
	_ng_x ip -n "$nc" route add default via 198.18.0.1 dev "$ifc" || return 1

	_ng_x ip -n "$nsv" addr add 198.18.1.2/24 dev "$ifs" || return 1
	_ng_x ip -n "$nsv" link set "$ifs" up || return 1
	_ng_x ip -n "$nsv" route add default via 198.18.1.1 dev "$ifs" || return 1
	return 0
}

topo_create() {
	local p=${1:-}
	_ng_check_prefix "$p" || return 1
	if ((EUID != 0)); then
		ng_log "topo_create needs root"
		return 1
	fi
	topo_destroy "$p"
	if ! _ng_topo_build "$p"; then
		ng_log "topology $p: creation failed, cleaning up"
		topo_destroy "$p"
		return 1
	fi
	ng_log "topology $p up: $p-client(198.18.0.2) <-> $p-gw <-> $p-server(198.18.1.2)"
}

# Namespaces only the load-balancing topology has (backends first, then the
# bridge), in teardown order.
NG_LB_BACKENDS=3
_ng_lb_extra_ns() {
	local p=$1 i
	for ((i = 1; i <= NG_LB_BACKENDS; i++)); do
		printf '%s\n' "$p-b$i"
	done
	printf '%s\n' "$p-lan"
}

_ng_lb_etc_write() {
	local p=$1 ns i
	for ns in "$p-client" "$p-gw" $(_ng_lb_extra_ns "$p"); do
		mkdir -p "/etc/netns/$ns" || return 1
		{
			echo "# written by nodegw scripts/lib/netns.sh; removed by topo_destroy"
			printf '127.0.0.1\tlocalhost\n'
			printf '198.18.0.2\t%s\n' "$p-client"
			printf '198.18.0.1\t%s\n' "$p-gw-client"
			printf '198.18.1.1\t%s\n' "$p-gw-pods"
			for ((i = 1; i <= NG_LB_BACKENDS; i++)); do
				printf '198.18.1.%d\t%s\n' $((10 + i)) "$p-b$i"
			done
		} >"/etc/netns/$ns/hosts" || return 1
		printf '%s\n' 'nameserver 127.0.0.1' 'options timeout:1 attempts:1' \
			>"/etc/netns/$ns/resolv.conf" || return 1
	done
}

_ng_lb_topo_build() {
	local p=$1
	local nc=$p-client ng=$p-gw nl=$p-lan br=$p-br
	local ifc=$p-c ifgc=$p-gc ifgs=$p-gs ifl=$p-lg
	local ns i nb ifb ifp

	_ng_lb_etc_write "$p" || { ng_log "cannot write /etc/netns/$p-*"; return 1; }
	for ns in "$nc" "$ng" $(_ng_lb_extra_ns "$p"); do
		_ng_x ip netns add "$ns" || return 1
	done
	# The bridge namespace has no addresses: no IPv6 on anything made there
	# (no DAD, RS or MLD frames from it reach nodegw).
	_ng_sysctl "$nl" net.ipv6.conf.all.disable_ipv6 1 || return 1
	_ng_sysctl "$nl" net.ipv6.conf.default.disable_ipv6 1 || return 1

	# Veths are created directly inside their namespaces.
	_ng_x ip link add "$ifc" netns "$nc" type veth peer name "$ifgc" netns "$ng" || return 1
	_ng_x ip link add "$ifgs" netns "$ng" type veth peer name "$ifl" netns "$nl" || return 1
	_ng_x ip -n "$nl" link add "$br" type bridge stp_state 0 forward_delay 0 \
		mcast_snooping 0 || return 1
	_ng_x ip -n "$nl" link set "$ifl" master "$br" || return 1
	for ((i = 1; i <= NG_LB_BACKENDS; i++)); do
		nb=$p-b$i ifb=$p-b$i ifp=$p-l$i
		_ng_x ip link add "$ifp" netns "$nl" type veth peer name "$ifb" netns "$nb" || return 1
		_ng_x ip -n "$nl" link set "$ifp" master "$br" || return 1
	done

	ng_gw_wire "$ng" "$ifgc" || return 1
	ng_gw_wire "$ng" "$ifgs" || return 1
	# Bridge ports pass frames through unchanged: no offloads either.
	for ((i = 0; i <= NG_LB_BACKENDS; i++)); do
		if ((i == 0)); then ifp=$ifl; else ifp=$p-l$i; fi
		_ng_x ip netns exec "$nl" ethtool -K "$ifp" rx off tx off tso off gso off gro off >/dev/null || return 1
	done
	# Kernel endpoints: checksummed, MTU-sized frames.
	_ng_x ip netns exec "$nc" ethtool -K "$ifc" tx off tso off gso off gro off >/dev/null || return 1
	for ((i = 1; i <= NG_LB_BACKENDS; i++)); do
		_ng_x ip netns exec "$p-b$i" ethtool -K "$p-b$i" tx off tso off gso off gro off >/dev/null || return 1
	done

	for ns in "$nc" "$ng" $(_ng_lb_extra_ns "$p"); do
		_ng_x ip -n "$ns" link set lo up || return 1
	done
	_ng_x ip -n "$ng" link set "$ifgc" up || return 1
	_ng_x ip -n "$ng" link set "$ifgs" up || return 1
	_ng_x ip -n "$nl" link set "$br" up || return 1
	_ng_x ip -n "$nl" link set "$ifl" up || return 1
	for ((i = 1; i <= NG_LB_BACKENDS; i++)); do
		_ng_x ip -n "$nl" link set "$p-l$i" up || return 1
	done

	_ng_x ip -n "$nc" addr add 198.18.0.2/24 dev "$ifc" || return 1
	_ng_x ip -n "$nc" link set "$ifc" up || return 1
	_ng_x ip -n "$nc" route add default via 198.18.0.1 dev "$ifc" || return 1

	for ((i = 1; i <= NG_LB_BACKENDS; i++)); do
		nb=$p-b$i
		_ng_x ip -n "$nb" addr add "198.18.1.$((10 + i))/24" dev "$nb" || return 1
		_ng_x ip -n "$nb" link set "$nb" up || return 1
		_ng_x ip -n "$nb" route add default via 198.18.1.1 dev "$nb" || return 1
	done
	if [[ ${NG_LB_V6:-0} == 1 ]]; then
		_ng_lb_v6 "$p" || return 1
	fi
	return 0
}

# NG_LB_V6=1: the load-balancing topology speaks IPv6 too. The client gets
# 2001:db8::2/64 (default via nodegw's 2001:db8::1), backend i
# 2001:db8:1::1i/64 (default via 2001:db8:1::1); no DAD and no router
# advertisements, so the addresses work at once and only nodegw routes.
_ng_lb_v6() {
	local p=$1 i nb ifc
	ifc=$p-c
	_ng_sysctl "$p-client" "net.ipv6.conf.$ifc.disable_ipv6" 0 || return 1
	_ng_sysctl "$p-client" "net.ipv6.conf.$ifc.accept_ra" 0 || return 1
	_ng_x ip -n "$p-client" -6 addr add 2001:db8::2/64 dev "$ifc" nodad || return 1
	_ng_x ip -n "$p-client" -6 route add default via 2001:db8::1 dev "$ifc" || return 1
	for ((i = 1; i <= NG_LB_BACKENDS; i++)); do
		nb=$p-b$i
		_ng_sysctl "$nb" "net.ipv6.conf.$nb.disable_ipv6" 0 || return 1
		_ng_sysctl "$nb" "net.ipv6.conf.$nb.accept_ra" 0 || return 1
		_ng_x ip -n "$nb" -6 addr add "2001:db8:1::$((10 + i))/64" dev "$nb" nodad || return 1
		_ng_x ip -n "$nb" -6 route add default via 2001:db8:1::1 dev "$nb" || return 1
	done
}

# topo_lb_create PREFIX: client, gateway, bridge and three backends (see the
# top of this file). Tears down a stale topology of either kind first.
topo_lb_create() {
	local p=${1:-}
	_ng_check_prefix "$p" || return 1
	if ((EUID != 0)); then
		ng_log "topo_lb_create needs root"
		return 1
	fi
	topo_destroy "$p"
	if ! _ng_lb_topo_build "$p"; then
		ng_log "topology $p (lb): creation failed, cleaning up"
		topo_destroy "$p"
		return 1
	fi
	ng_log "topology $p up: $p-client(198.18.0.2) <-> $p-gw <-> $p-lan bridge <-> $p-b1..b$NG_LB_BACKENDS(198.18.1.11..$((10 + NG_LB_BACKENDS)))"
}

topo_destroy() {
	local p=${1:-} ns
	_ng_check_prefix "$p" || return 1
	for ns in "$p-client" "$p-server" $(_ng_lb_extra_ns "$p") "$p-gw"; do
		_ng_ns_exists "$ns" || continue
		_ng_ns_kill_all "$ns"
		ip netns del "$ns" 2>/dev/null || ng_log "could not delete namespace $ns"
	done
	_ng_etc_remove "$p"
	# EAL's runtime directory for our --file-prefix (empty with --no-shconf).
	rm -rf "/var/run/dpdk/nodegw-$p"
	rm -f "$NG_RUN_DIR/$p-gw.pid"
	rmdir "$NG_RUN_DIR" 2>/dev/null || true
	return 0
}

# gw_start PREFIX CONF LOGFILE [EAL args...]
# EAL args given here replace the default "--lcores 0@0,1@1"; the base
# "--no-huge -m 512 --no-shconf --no-pci --file-prefix nodegw-PREFIX" is
# always passed.
gw_start() {
	local p=${1:-} conf=${2:-} log=${3:-}
	if (($# < 3)); then
		ng_log "usage: gw_start PREFIX CONF LOGFILE [EAL args...]"
		return 1
	fi
	shift 3
	_ng_check_prefix "$p" || return 1
	local eal=("${NG_EAL_BASE[@]}" --file-prefix "nodegw-$p")
	if (($#)); then eal+=("$@"); else eal+=("${NG_EAL_DEFAULT[@]}"); fi

	if [[ ! -x $NODEGW_BIN ]]; then
		ng_log "nodegw binary not found or not executable: $NODEGW_BIN"
		return 1
	fi
	if [[ ! -r $conf ]]; then
		ng_log "config not readable: $conf"
		return 1
	fi
	if ! _ng_ns_exists "$p-gw"; then
		ng_log "namespace $p-gw does not exist (topo_create $p first)"
		return 1
	fi
	if [[ ${NG_GW_SHARED:-0} != 1 && -n $(_ng_ns_pids "$p-gw") ]]; then
		ng_log "something already runs in $p-gw: $(_ng_ns_pids "$p-gw")"
		return 1
	fi

	mkdir -p "$NG_RUN_DIR" "$(dirname "$log")"
	: >"$log"
	local cmd=(ip netns exec "$p-gw" "$NODEGW_BIN" "${eal[@]}" -- -c "$conf")
	ng_log "starting: ${cmd[*]} (log $log)"
	# "ip netns exec" execs the binary, so $! is nodegw's own pid. setsid
	# also execs in place as long as we are not a process-group leader,
	# which holds without job control (scripts).
	if [[ ${NG_GW_DETACH:-0} == 1 && $- != *m* ]]; then
		setsid "${cmd[@]}" </dev/null >>"$log" 2>&1 &
	else
		"${cmd[@]}" </dev/null >>"$log" 2>&1 &
	fi
	local pid=$!
	echo "$pid" >"$NG_RUN_DIR/$p-gw.pid"

	local timeout=${NG_GW_READY_TIMEOUT:-60}
	local start=$SECONDS rc
	while :; do
		if grep -q 'MAIN: ready' "$log"; then
			ng_log "nodegw ready (pid $pid, $((SECONDS - start)) s)"
			return 0
		fi
		if ! _ng_pid_alive "$pid"; then
			rc=0
			wait "$pid" 2>/dev/null || rc=$?
			ng_log "nodegw exited (rc $rc) before it was ready; log tail:"
			tail -n 30 "$log" >&2
			rm -f "$NG_RUN_DIR/$p-gw.pid"
			return 1
		fi
		if ((SECONDS - start >= timeout)); then
			ng_log "nodegw not ready after $timeout s; log tail:"
			tail -n 30 "$log" >&2
			gw_stop "$p" || true
			return 1
		fi
		sleep 0.1
	done
}

# gw_stop PREFIX: returns 0 if nodegw exited by itself after SIGTERM with
# status 0 (or nothing was running), non-zero otherwise.
gw_stop() {
	local p=${1:-} pidf pid="" child=0 i rc=0 st state ppid
	_ng_check_prefix "$p" || return 1
	NG_GW_RC=""
	pidf=$NG_RUN_DIR/$p-gw.pid
	[[ -r $pidf ]] && pid=$(<"$pidf")
	if [[ ! $pid =~ ^[0-9]+$ ]]; then
		ng_log "gw_stop $p: no nodegw pid recorded"
		rm -f "$pidf"
		return 0
	fi
	# Our own child? Then we can (and must) reap it for its status.
	if [[ -r /proc/$pid/stat ]]; then
		st=$(cat "/proc/$pid/stat" 2>/dev/null) || st=""
		st=${st##*) }
		read -r state ppid _ <<<"$st"
		[[ -n $state && ($ppid == "$BASHPID" || $ppid == "$$") ]] && child=1
	fi
	if ! _ng_pid_alive "$pid"; then
		if ((child)); then
			wait "$pid" 2>/dev/null || rc=$?
			NG_GW_RC=$rc
			ng_log "nodegw (pid $pid) had already exited, rc $rc"
		else
			ng_log "nodegw (pid $pid) is not running"
		fi
		rm -f "$pidf"
		((child)) && return 1
		return 0
	fi
	if ! _ng_pid_in_ns "$pid" "$p-gw"; then
		ng_log "pid $pid is not in $p-gw; not touching it"
		rm -f "$pidf"
		return 1
	fi

	local timeout=${NG_GW_STOP_TIMEOUT:-10} killed=0
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < timeout * 10; i++)); do
		_ng_pid_alive "$pid" || break
		sleep 0.1
	done
	if _ng_pid_alive "$pid"; then
		ng_log "nodegw (pid $pid) still running $timeout s after SIGTERM; SIGKILL"
		kill -KILL "$pid" 2>/dev/null || true
		killed=1
		for ((i = 0; i < 50; i++)); do
			_ng_pid_alive "$pid" || break
			sleep 0.1
		done
	fi
	if ((child)); then
		wait "$pid" 2>/dev/null || rc=$?
		# shellcheck disable=SC2034
		NG_GW_RC=$rc
		ng_log "nodegw (pid $pid) stopped, rc $rc"
	else
		ng_log "nodegw (pid $pid) stopped"
	fi
	rm -f "$pidf"
	((killed)) && return 1
	return "$rc"
}
