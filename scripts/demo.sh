#!/usr/bin/env bash
# nodegw demo: a client and a server namespace with nodegw routing between
# them (net_af_packet on veths; addresses from 198.18.0.0/15).
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
WWW=$DEMO_DIR/www
HTTP_LOG=$DEMO_DIR/http.log
export NG_RUN_DIR=$DEMO_DIR
# NODEGW_BIN=/path/to/nodegw runs a prebuilt binary and skips the build.
PREBUILT=${NODEGW_BIN:-}
export NODEGW_BIN=${NODEGW_BIN:-$ROOT/build/app/nodegw/nodegw}

# shellcheck source-path=SCRIPTDIR source=lib/deps.sh
source scripts/lib/deps.sh
# shellcheck source-path=SCRIPTDIR source=lib/netns.sh
source scripts/lib/netns.sh

DEMO_DEPS=(build-essential pkg-config meson ninja-build dpdk dpdk-dev libdpdk-dev
	libcurl4-openssl-dev libcjson-dev libconfig-dev libpcap-dev
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
	[[ -e /run/netns/$P-gw || -e /run/netns/$P-client || -e /run/netns/$P-server ]]
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
		topo_destroy "$P"
	fi
	rm -rf "$WWW"
	rm -f "$DEMO_DIR/$P-gw.pid" "$DEMO_DIR/http.pid"
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

start_http() {
	local i
	mkdir -p "$WWW"
	cat >"$WWW/index.html" <<-HTML
		<!doctype html>
		<html><head><title>nodegw demo</title></head>
		<body><h1>Hello through nodegw</h1>
		<p>Served by $P-server (198.18.1.2:8080), reached from $P-client (198.18.0.2)
		via nodegw (198.18.0.1 / 198.18.1.1).</p></body></html>
	HTML
	# Own session: keeps running after this script exits, until "stop".
	setsid ip netns exec "$P-server" python3 -m http.server 8080 \
		--bind 198.18.1.2 --directory "$WWW" </dev/null >"$HTTP_LOG" 2>&1 &
	echo $! >"$DEMO_DIR/http.pid"
	for ((i = 0; i < 100; i++)); do
		ip netns exec "$P-server" ss -Hltn 'sport = :8080' 2>/dev/null | grep -q . && return 0
		sleep 0.1
	done
	echo "demo.sh: http.server did not start; $HTTP_LOG:" >&2
	tail -n 20 "$HTTP_LOG" >&2
	return 1
}

# Leave nothing behind when the start fails half way.
start_failed() {
	echo "demo.sh: $*; cleaning up" >&2
	demo_stop >/dev/null 2>&1 || true
	exit 1
}

demo_start() {
	say "checking packages"
	deps_install "${DEMO_DEPS[@]}"
	build

	if demo_running; then
		say "a demo is already running: stopping it first"
		demo_stop
	fi

	say "creating the $P topology"
	mkdir -p "$DEMO_DIR"
	topo_create "$P" || start_failed "could not create the topology"
	cat <<-EOF
		  $P-client  $P-c 198.18.0.2/24, default via 198.18.0.1
		  $P-gw      $P-gc / $P-gs owned by nodegw (198.18.0.1/24, 198.18.1.1/24)
		  $P-server  $P-s 198.18.1.2/24, default via 198.18.1.1
	EOF

	say "starting nodegw (config $CONF, log $LOG)"
	NG_GW_DETACH=1 gw_start "$P" "$CONF" "$LOG" || start_failed "nodegw did not start (log $LOG)"

	say "starting an HTTP server in $P-server (198.18.1.2:8080)"
	start_http || start_failed "the HTTP server did not start"

	say "ping the gateway from the client"
	show ip netns exec "$P-client" ping -n -c 3 -i 0.3 -W 1 198.18.0.1
	say "ping the server through the gateway"
	show ip netns exec "$P-client" ping -n -c 3 -i 0.3 -W 1 198.18.1.2
	say "HTTP through the gateway"
	show ip netns exec "$P-client" curl -sS --max-time 5 http://198.18.1.2:8080/
	say "TTL 1: the gateway answers 'Time to live exceeded'"
	printf '\n$ %s\n' "ip netns exec $P-client ping -n -c 1 -t 1 -W 2 198.18.1.2"
	ip netns exec "$P-client" ping -n -c 1 -t 1 -W 2 198.18.1.2 2>&1 || true

	say "nodegw is running (pid $(cat "$DEMO_DIR/$P-gw.pid"))"
	cat <<-EOF
		  log:          tail -f $LOG
		  try:          ip netns exec $P-client ping 198.18.1.2
		                ip netns exec $P-client curl http://198.18.1.2:8080/
		  capture:      ip netns exec $P-server tcpdump -ni $P-s
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
	sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
	;;
*)
	echo "usage: $0 [start|stop|status]" >&2
	exit 2
	;;
esac
