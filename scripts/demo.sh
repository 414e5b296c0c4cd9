#!/usr/bin/env bash
# nodegw demo: a client namespace, nodegw, and three backend namespaces on a
# bridge behind it (net_af_packet on veths; addresses from 198.18.0.0/15).
# nodegw load-balances the service VIP 198.19.0.10:80 (and NodePort
# 198.18.0.1:30080) over the backends, which run tests/e2e/backend.py. The
# client-side port has a kernel twin (ngw-client in ngd-gw): a small HTTP
# server of the gateway's own kernel on 198.18.0.1:8000, standing for sshd,
# answers the client through the DPDK port.
#
#   scripts/demo.sh [start]   build, set up, start nodegw, show traffic;
#                             leaves the gateway running (stops an old demo first)
#   scripts/demo.sh stop      tear everything down (safe to run any time)
#   scripts/demo.sh status    is a demo running?
#
# Needs root. Installs missing Debian packages (apt-get) on first use.
# NODEGW_BIN=/path/to/nodegw uses that binary instead of building build/.

set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)

P=ngd
DEMO_DIR=/run/nodegw-demo
CONF=$ROOT/config/demo.conf
LOG=$DEMO_DIR/nodegw.log
BACKEND_PY=$ROOT/tests/e2e/backend.py
BACKENDS=(b1 b2 b3)
VIP=198.19.0.10
NODE_PORT=30080
CURLS=300
TWIN=ngw-client
KERNEL_PORT=8000
export NG_RUN_DIR=$DEMO_DIR
# NODEGW_BIN=/path/to/nodegw runs a prebuilt binary and skips the build.
PREBUILT=${NODEGW_BIN:-}
export NODEGW_BIN=${NODEGW_BIN:-$ROOT/build/app/nodegw/nodegw}

# shellcheck source-path=SCRIPTDIR source=lib/deps.sh
source scripts/lib/deps.sh
# shellcheck source-path=SCRIPTDIR source=lib/netns.sh
source scripts/lib/netns.sh

DEMO_DEPS=(build-essential pkg-config meson ninja-build dpdk dpdk-dev libdpdk-dev
	libcurl4-openssl-dev libcjson-dev libconfig-dev libpcap-dev libnl-3-dev libnl-route-3-dev
	iproute2 iputils-ping curl ethtool python3)

if [[ -t 1 ]]; then
	say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
	say() { printf '\n== %s\n' "$*"; }
fi

need_root() {
	if ((EUID != 0)); then
		echo "demo.sh: needs root (network namespaces, af_packet)" >&2
		exit 1
	fi
}

demo_running() {
	local ns
	for ns in gw client server lan "${BACKENDS[@]}"; do
		[[ -e /run/netns/$P-$ns ]] && return 0
	done
	return 1
}

# nodegw's CLI listens on 127.0.0.1:8023 inside the gateway's namespace. A
# relay on this host's 127.0.0.1:8023 lets "telnet 127.0.0.1 8023" reach it.
CLI_RELAY_PID=$DEMO_DIR/cli-relay.pid

cli_relay_start() {
	cli_relay_stop
	setsid socat TCP-LISTEN:8023,bind=127.0.0.1,reuseaddr,fork \
		EXEC:"ip netns exec $P-gw socat STDIO TCP\:127.0.0.1\:8023" \
		</dev/null >"$DEMO_DIR/cli-relay.log" 2>&1 &
	echo $! >"$CLI_RELAY_PID"
}

cli_relay_stop() {
	local pid
	[[ -r $CLI_RELAY_PID ]] || return 0
	pid=$(<"$CLI_RELAY_PID")
	# Only a socat relay of ours: the pid file may be stale.
	if [[ $pid =~ ^[0-9]+$ ]] && grep -q socat "/proc/$pid/comm" 2>/dev/null; then
		kill "$pid" 2>/dev/null || true
	fi
	rm -f "$CLI_RELAY_PID"
}

demo_stop() {
	if demo_running; then
		echo "stopping the nodegw demo"
		if [[ -e $DEMO_DIR/$P-gw.pid ]]; then
			gw_stop "$P" || true
			if [[ -r $LOG ]]; then
				echo "--- end of nodegw's log ($LOG) ---"
				tail -n 25 "$LOG"
			fi
		fi
		# Also kills the backends: every process inside the namespaces.
		topo_destroy "$P"
	fi
	cli_relay_stop
	rm -f "$DEMO_DIR/$P-gw.pid" "$DEMO_DIR"/backend-*.pid "$DEMO_DIR/http.pid"
	echo "demo stopped (log kept: $LOG)"
}

# Print a command, run it, show its output; never aborts the script.
FAILED_STEPS=0
show() {
	printf '\n$ %s\n' "$*"
	if ! "$@" 2>&1; then
		echo "(command failed)"
		FAILED_STEPS=$((FAILED_STEPS + 1))
	fi
}

build() {
	if [[ -n $PREBUILT ]]; then
		say "using prebuilt $NODEGW_BIN (NODEGW_BIN set; not building)"
		return 0
	fi
	say "building nodegw into build/"
	if [[ ! -f build/meson-private/coredata.dat ]]; then
		meson setup build
	fi
	ninja -C build
	if [[ ! -x $NODEGW_BIN ]]; then
		echo "demo.sh: $NODEGW_BIN was not built" >&2
		exit 1
	fi
}

# The three backends: HTTP on :8080 ("backend=NAME client=PEER_IP") and a
# UDP echo on :5353, each in its own namespace and session, so they keep
# running after this script exits, until "stop" (at most a day).
start_backends() {
	local b i ip
	for b in "${BACKENDS[@]}"; do
		ip=198.18.1.$((10 + ${b#b}))
		setsid ip netns exec "$P-$b" python3 "$BACKEND_PY" serve "$b" --bind "$ip" \
			--lifetime 86400 </dev/null >"$DEMO_DIR/backend-$b.log" 2>&1 &
		echo $! >"$DEMO_DIR/backend-$b.pid"
	done
	for b in "${BACKENDS[@]}"; do
		ip=198.18.1.$((10 + ${b#b}))
		for ((i = 0; i < 100; i++)); do
			ip netns exec "$P-$b" ss -Hltn 'sport = :8080' 2>/dev/null | grep -q . && break
			sleep 0.1
		done
		if ((i == 100)); then
			echo "demo.sh: backend $b did not start; $DEMO_DIR/backend-$b.log:" >&2
			tail -n 20 "$DEMO_DIR/backend-$b.log" >&2
			return 1
		fi
		echo "  $P-$b: listening on $ip:8080 (log $DEMO_DIR/backend-$b.log)"
	done
}

# The gateway's own service: an HTTP server of ngd-gw's kernel on the
# gateway's address (it stands for sshd, kubelet...), reached through the
# kernel twin; it runs until "stop" (at most a day).
start_kernel_server() {
	local i
	mkdir -p "$DEMO_DIR/www"
	printf 'hello from the kernel of %s (through the kernel twin %s)\n' "$P-gw" "$TWIN" \
		>"$DEMO_DIR/www/index.html"
	setsid ip netns exec "$P-gw" timeout 86400 python3 -m http.server "$KERNEL_PORT" \
		--bind 198.18.0.1 --directory "$DEMO_DIR/www" </dev/null >"$DEMO_DIR/http.log" 2>&1 &
	echo $! >"$DEMO_DIR/http.pid"
	for ((i = 0; i < 100; i++)); do
		ip netns exec "$P-gw" ss -Hltn "sport = :$KERNEL_PORT" 2>/dev/null | grep -q . && return 0
		sleep 0.1
	done
	echo "demo.sh: the kernel's HTTP server did not start; $DEMO_DIR/http.log:" >&2
	tail -n 20 "$DEMO_DIR/http.log" >&2
	return 1
}

# CURLS connections to the VIP from the client, then how many each backend
# answered. One bash in the client namespace runs the loop (bounded: 3 s
# per curl).
tally() {
	local out
	printf '\n$ %s\n' "ip netns exec $P-client bash -c 'for i in \$(seq $CURLS); do curl -s http://$VIP/; done' | sort | uniq -c"
	# shellcheck disable=SC2016 # expanded by the inner bash
	out=$(timeout 300 ip netns exec "$P-client" bash -c '
		for ((i = 0; i < $1; i++)); do
			curl -sS --connect-timeout 2 --max-time 3 "$2" 2>/dev/null || echo "(failed)"
		done' _ "$CURLS" "http://$VIP/")
	sort <<<"$out" | uniq -c | sed 's/^/  /'
	local b n pct ok=0
	echo
	for b in "${BACKENDS[@]}"; do
		n=$(grep -c "^backend=$b " <<<"$out")
		ok=$((ok + n))
		pct=$(((n * 1000 + CURLS / 2) / CURLS))
		printf '  %-3s %4d  %3d.%d%%  %s\n' "$b" "$n" $((pct / 10)) $((pct % 10)) \
			"$(printf '%*s' $((n / 4)) '' | tr ' ' '#')"
	done
	if ((ok != CURLS)); then
		echo "  $((CURLS - ok)) of $CURLS connections failed"
		FAILED_STEPS=$((FAILED_STEPS + 1))
	fi
}

# Leave nothing behind when the start fails half way.
start_failed() {
	echo "demo.sh: $*; cleaning up" >&2
	demo_stop >/dev/null 2>&1 || true
	exit 1
}

demo_start() {
	local out
	say "checking packages"
	deps_install "${DEMO_DEPS[@]}"
	build

	if demo_running; then
		say "a demo is already running: stopping it first"
		demo_stop
	fi

	say "creating the $P topology"
	mkdir -p "$DEMO_DIR"
	topo_lb_create "$P" || start_failed "could not create the topology"
	cat <<-EOF
		  $P-client  $P-c 198.18.0.2/24, default via 198.18.0.1
		  $P-gw      $P-gc / $P-gs owned by nodegw (198.18.0.1/24, 198.18.1.1/24)
		  $P-lan     bridge $P-br joining $P-gs's peer and the backends
		  $P-b1..b3  198.18.1.11, .12, .13 /24, default via 198.18.1.1
	EOF

	say "starting nodegw (config $CONF, log $LOG)"
	NG_GW_DETACH=1 gw_start "$P" "$CONF" "$LOG" || start_failed "nodegw did not start (log $LOG)"

	cli_relay_start

	say "starting three backends (HTTP :8080, UDP echo :5353)"
	start_backends || start_failed "the backends did not start"

	say "ping the gateway; TTL 1 through it gets 'Time to live exceeded'"
	show ip netns exec "$P-client" ping -n -c 2 -i 0.3 -W 1 198.18.0.1
	printf '\n$ %s\n' "ip netns exec $P-client ping -n -c 1 -t 1 -W 2 198.18.1.11"
	out=$(ip netns exec "$P-client" ping -n -c 1 -t 1 -W 2 198.18.1.11 2>&1 || true)
	if grep -q 'Time to live exceeded' <<<"$out"; then
		grep -m1 'Time to live exceeded' <<<"$out"
	else
		echo "$out"
		echo "(no 'Time to live exceeded')"
		FAILED_STEPS=$((FAILED_STEPS + 1))
	fi

	say "one request to the service VIP, one to the NodePort"
	show ip netns exec "$P-client" curl -sS --max-time 5 "http://$VIP/"
	show ip netns exec "$P-client" curl -sS --max-time 5 "http://198.18.0.1:$NODE_PORT/"

	say "the exception path: the gateway's own kernel, through the kernel twin $TWIN"
	start_kernel_server || start_failed "the kernel's HTTP server did not start"
	show ip -n "$P-gw" -br addr show dev "$TWIN"
	show ip netns exec "$P-client" curl -sS --max-time 5 "http://198.18.0.1:$KERNEL_PORT/"
	printf '\n$ %s\n' "printf 'show ports\\n' | nc -q 1 127.0.0.1 8023"
	printf 'show ports\n' | nc -q 1 127.0.0.1 8023 | tr -d '\r' | grep -A4 'kernel twin' ||
		FAILED_STEPS=$((FAILED_STEPS + 1))

	say "load balancing: $CURLS connections to http://$VIP/ (Maglev, FullNAT)"
	tally

	say "the CLI: show services, piped into nc"
	printf '\n$ %s\n' "printf 'show services\\n' | nc -q 1 127.0.0.1 8023"
	printf 'show services\n' | nc -q 1 127.0.0.1 8023 | tr -d '\r' ||
		FAILED_STEPS=$((FAILED_STEPS + 1))

	say "nodegw is running (pid $(cat "$DEMO_DIR/$P-gw.pid"))"
	cat <<-EOF
		  CLI:          telnet 127.0.0.1 8023   (help, ?, Tab; show runtime, show stats)
		  log:          tail -f $LOG
		  try:          ip netns exec $P-client curl http://$VIP/
		                ip netns exec $P-client curl http://198.18.0.1:$NODE_PORT/
		                ip netns exec $P-client curl http://198.18.0.1:$KERNEL_PORT/   (the kernel)
		  kernel twin:  ip netns exec $P-gw ip addr show $TWIN; ip netns exec $P-gw tcpdump -ni $TWIN
		  reconfigure:  edit $CONF (e.g. weights), then
		                kill -HUP \$(cat $DEMO_DIR/$P-gw.pid)
		  capture:      ip netns exec $P-b1 tcpdump -ni $P-b1
		  shell:        ip netns exec $P-client bash
		  stop:         scripts/demo.sh stop
	EOF
	if ((FAILED_STEPS)); then
		echo
		echo "demo.sh: $FAILED_STEPS step(s) failed; the demo is left running for inspection."
		echo "--- nodegw log tail ---"
		tail -n 30 "$LOG"
		return 1
	fi
}

demo_status() {
	if ! demo_running; then
		echo "no nodegw demo running"
		return 0
	fi
	local pid
	pid=$(cat "$DEMO_DIR/$P-gw.pid" 2>/dev/null || true)
	if [[ -n $pid ]] && _ng_pid_alive "$pid"; then
		echo "nodegw demo running: nodegw pid $pid, log $LOG"
	else
		echo "demo topology exists but nodegw is not running (scripts/demo.sh stop cleans up)"
	fi
}

case ${1:-start} in
start)
	need_root
	demo_start
	;;
stop)
	need_root
	demo_stop
	;;
status)
	need_root
	demo_status
	;;
-h | --help | help)
	sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
	;;
*)
	echo "usage: $0 [start|stop|status]" >&2
	exit 2
	;;
esac
