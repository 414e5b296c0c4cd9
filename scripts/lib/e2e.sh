# shellcheck shell=bash
# Shared preamble of the end-to-end shell tests (tests/e2e/test_forward.sh,
# test_lb.sh, test_churn.sh): argument and environment checks, result
# counters and output helpers, the cleanup on exit, the topology lock, the
# temporary directory, and nodegw's log and pid.
#
# Source this file (it sources netns.sh next to it); it defines functions and
# variables and changes no shell options. A test goes:
#
#   source .../scripts/lib/e2e.sh
#   e2e_args "$@"                       # BIN WORKERS RXQ, or exit 2
#   e2e_preflight ip ping python3 ...   # exit 77 (skip) or 1, BIN made absolute
#   e2e_begin nodegw-e2e-NAME           # traps, lock, TMP, LOG, CONF
#
# Functions:
#   e2e_args "$@"          the arguments must be NODEGW_BINARY WORKERS RXQ with
#                          WORKERS and RXQ positive integers; sets BIN, WORKERS,
#                          RXQ; otherwise usage on stderr and exit 2
#   e2e_preflight TOOL...  exit 77 ("SKIP: ...") unless root and every TOOL is on
#                          PATH; exit 1 ("FAIL: ...") unless BIN is executable;
#                          then makes BIN an absolute path
#   e2e_begin NAME         installs e2e_cleanup on EXIT (INT, TERM and HUP exit
#                          130, 143, 129), takes the lock on the P topology
#                          (/run/lock/nodegw-e2e-$P.lock on fd 9, up to 150 s,
#                          else "FAIL: ..." and exit 1), makes TMP
#                          (/tmp/NAME.XXXXXX), sets LOG and CONF in it.
#                          Children that outlive a command should get 9>&- so
#                          they do not hold the lock.
#   e2e_cleanup            the EXIT trap: gw_stop if GW_UP, kill E2E_PIDS,
#                          topo_destroy P, warn about P-* namespaces left
#                          behind, remove TMP; exits with the status it got
#   pass TEXT              count a passed check, print "PASS: TEXT"
#   fail TEXT              count a failed check, print "FAIL: TEXT" and, once
#                          log_mark has been called, log_since_mark
#   info TEXT              print "  TEXT"
#   indent                 filter: prefix every line with "    | "
#   in_ns NS CMD...        run CMD in network namespace NS
#   now_ms                 milliseconds since the epoch
#   log_tail [N]           print the last N (40) lines of LOG between markers
#   log_mark               remember LOG's current length (in LOG_MARK)
#   log_since_mark         print LOG's lines since log_mark (the last 20)
#   gw_pid                 print nodegw's pid (from netns.sh's pid file)
#   gw_alive               true while nodegw runs
#   e2e_lb_names           the load-balancing topology's names (netns.sh,
#                          topo_lb_create), which e2e_lb_up reads too: CLIENT,
#                          CLIENT_IP, GW_CLIENT_IP, GW_PODS_IP, BACKENDS, BIP;
#                          the IPv6 ones (CLIENT_IP6, GW_CLIENT_IP6,
#                          GW_PODS_IP6, BIP6) and LB_FAMILY from NG_LB_FAMILY:
#                          4 (default), 6 (the plain names hold the IPv6
#                          addresses; GW_*_IP4 the IPv4 ones) or dual (IPv4
#                          names as in 4, backends serve both families)
#   url_host ADDRESS       ADDRESS as a URL's host (IPv6 in brackets)
#   e2e_lcores             from WORKERS and RXQ: QPAIRS (af_packet queue pairs,
#                          the larger), lcores (the config's "1, 2, ...") and
#                          eal_lcores (EAL's "0@0,1@1,..." over the CPUs there are)
#   e2e_wait_listen NS PORT  true once a TCP socket listens on PORT in namespace
#                          NS, within 10 s
#   e2e_decap NS DEV NAME [--ipv6]  a DSR backend's decapsulation in user space
#                          (tests/e2e/ipip_decap.py into TUN device DEV, for a
#                          kernel without ipip/ip6tnl) in namespace NS, in the
#                          background (E2E_PIDS), log $TMP/NAME.decap.log; true
#                          once DEV is up, within 5 s (else prints the log)
#   e2e_summary [FN]       the end of a test: when a check failed, the last
#                          lines of each backend's log (e2e_lb_up's), FN's
#                          output (if given) and nodegw's log tail; else
#                          nodegw's counters at exit; then "N passed, M
#                          failed"; true when none failed
#   e2e_topo_up FN         FN P (topo_create, topo_lb_create), or "FAIL: ..."
#                          and exit 1 (the count of failures from CHECKS)
#   e2e_gw_up              nodegw from CONF, log LOG, on the lcores
#                          eal_lcores (the test sets it); GW_UP=1; or the
#                          log's tail, "FAIL: ..." and exit 1
#   e2e_lb_up SERVER TCPOPT TCPPORT UDPPORT
#                          the load-balancing topology (test_lb.sh,
#                          test_churn.sh): topo_lb_create P (NG_LB_V6=1 unless
#                          LB_FAMILY is 4); in each P-B of BACKENDS, "python3
#                          SERVER serve B --bind BIP[B] [--bind BIP6[B] when
#                          dual] TCPOPT TCPPORT --udp-port UDPPORT" (its log
#                          TMP/B.log), waited for until it listens on both;
#                          nodegw from CONF on the lcores eal_lcores (GW_UP=1);
#                          a warm-up ping each way, not counted. On failure
#                          "FAIL: ..." and exit 1
#
# Variables it sets (the tests read and update them):
#   P          topology prefix: $NG_E2E_PREFIX, default "ngt"
#   BIN WORKERS RXQ     from e2e_args (BIN absolute after e2e_preflight)
#   PASSED FAILED       check counters (pass, fail)
#   TMP LOG CONF        from e2e_begin: temporary directory, nodegw's log and
#                       config file in it
#   GW_UP      1 while nodegw is started and not yet stopped; the test sets it
#              (e2e_cleanup stops nodegw when it is 1)
#   E2E_PIDS   background processes the test started; e2e_cleanup kills them
#   LOG_MARK   log_mark's line count ("" until the first log_mark)
#
# Environment: NG_E2E_PREFIX (see P); netns.sh's (NG_RUN_DIR, ...).

[[ -n ${_NG_E2E_SH_LOADED:-} ]] && return 0
_NG_E2E_SH_LOADED=1

# shellcheck source-path=SCRIPTDIR source=netns.sh
source "$(dirname "${BASH_SOURCE[0]}")/netns.sh"

# shellcheck disable=SC2034 # read by the tests
{
	P=${NG_E2E_PREFIX:-ngt}
	BIN=""
	WORKERS=""
	RXQ=""
	PASSED=0
	FAILED=0
	TMP=""
	LOG=""
	CONF=""
	GW_UP=0
	E2E_PIDS=()
	LOG_MARK=""
}

e2e_args() {
	if (($# != 3)); then
		echo "usage: $0 NODEGW_BINARY WORKERS RXQ" >&2
		exit 2
	fi
	BIN=$1
	WORKERS=$2
	RXQ=$3
	if [[ ! $WORKERS =~ ^[1-9][0-9]*$ || ! $RXQ =~ ^[1-9][0-9]*$ ]]; then
		echo "WORKERS and RXQ must be positive integers" >&2
		exit 2
	fi
}

e2e_preflight() {
	local tool
	if ((EUID != 0)); then
		echo "SKIP: needs root (network namespaces, af_packet)"
		exit 77
	fi
	for tool in "$@"; do
		if ! command -v "$tool" >/dev/null; then
			echo "SKIP: $tool not installed"
			exit 77
		fi
	done
	if [[ ! -x $BIN ]]; then
		echo "FAIL: nodegw binary not executable: $BIN"
		exit 1
	fi
	BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
}

pass() { PASSED=$((PASSED + 1)); echo "PASS: $*"; }
fail() {
	FAILED=$((FAILED + 1))
	echo "FAIL: $*"
	[[ -z $LOG_MARK ]] || log_since_mark
}
info() { echo "  $*"; }
indent() { sed 's/^/    | /'; }
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

e2e_cleanup() {
	local rc=$?
	trap - EXIT INT TERM HUP
	if ((GW_UP)); then
		gw_stop "$P" >/dev/null 2>&1 || true
	fi
	local pid
	for pid in "${E2E_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	topo_destroy "$P"
	local left
	left=$(ip netns list 2>/dev/null | awk -v p="$P-" 'index($1, p) == 1 { print $1 }')
	if [[ -n $left ]]; then
		echo "WARNING: namespaces left behind: $left"
	fi
	[[ -n $TMP ]] && rm -rf "$TMP"
	exit "$rc"
}

e2e_begin() {
	local name=$1
	trap e2e_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP

	# Two runs of an e2e test (or two checkouts) must not share the topology.
	mkdir -p /run/lock
	exec 9>"/run/lock/nodegw-e2e-$P.lock"
	if ! flock -w 150 9; then
		echo "FAIL: another e2e run holds /run/lock/nodegw-e2e-$P.lock"
		exit 1
	fi

	TMP=$(mktemp -d "/tmp/$name.XXXXXX")
	LOG=$TMP/nodegw.log
	# shellcheck disable=SC2034 # read by the tests
	CONF=$TMP/nodegw.conf
}

log_tail() {
	local n=${1:-40}
	echo "---- nodegw log tail ($LOG) ----"
	[[ -r $LOG ]] && tail -n "$n" "$LOG"
	echo "---- end of log ----"
}

# Remember where the log is, so a failing check can show what nodegw said
# while it ran.
log_mark() { LOG_MARK=$(wc -l <"$LOG" 2>/dev/null || echo 0); }
log_since_mark() {
	[[ -r $LOG ]] || return 0
	local new
	new=$(tail -n +"$((${LOG_MARK:-0} + 1))" "$LOG" | tail -n 20)
	if [[ -n $new ]]; then
		echo "    nodegw log during this check (last 20 lines):"
		# shellcheck disable=SC2001 # every line
		sed 's/^/    log| /' <<<"$new"
	fi
}

gw_pid() { cat "$NG_RUN_DIR/$P-gw.pid" 2>/dev/null; }
gw_alive() {
	local pid
	pid=$(gw_pid) || return 1
	_ng_pid_alive "$pid"
}

# The backends of e2e_lb_up, started in the background; true when every one
# listens on its TCP and UDP ports within 10 s.
_e2e_lb_backends() {
	local server=$1 tcpopt=$2 tcp=$3 udp=$4 b i ok=1
	local -a dual=()
	for b in "${BACKENDS[@]}"; do
		[[ ${LB_FAMILY:-4} == dual ]] && dual=(--bind "${BIP6[$b]}")
		ip netns exec "$P-$b" timeout 290 python3 "$server" serve "$b" \
			--bind "${BIP[$b]}" "${dual[@]}" "$tcpopt" "$tcp" --udp-port "$udp" \
			--lifetime 280 >"$TMP/$b.log" 2>&1 9>&- &
		E2E_PIDS+=($!)
	done
	for b in "${BACKENDS[@]}"; do
		for ((i = 0; i < 100; i++)); do
			if ip netns exec "$P-$b" ss -Hltn "sport = :$tcp" 2>/dev/null | grep -q . &&
				ip netns exec "$P-$b" ss -Hlun "sport = :$udp" 2>/dev/null | grep -q .; then
				break
			fi
			sleep 0.1
		done
		if ((i == 100)); then
			echo "backend $b not listening after 10 s:"
			indent <"$TMP/$b.log"
			ok=0
		fi
	done
	((ok))
}

# shellcheck disable=SC2034 # read by the tests
e2e_lb_names() {
	CLIENT=$P-client
	CLIENT_IP=198.18.0.2
	GW_CLIENT_IP=198.18.0.1
	GW_PODS_IP=198.18.1.1
	GW_CLIENT_IP4=$GW_CLIENT_IP
	GW_PODS_IP4=$GW_PODS_IP
	BACKENDS=(b1 b2 b3)
	declare -gA BIP=([b1]=198.18.1.11 [b2]=198.18.1.12 [b3]=198.18.1.13)
	# IPv6 (NG_LB_FAMILY 6 or dual; netns.sh's _ng_lb_v6)
	CLIENT_IP6=2001:db8::2
	GW_CLIENT_IP6=2001:db8::1
	GW_PODS_IP6=2001:db8:1::1
	declare -gA BIP6=([b1]=2001:db8:1::11 [b2]=2001:db8:1::12 [b3]=2001:db8:1::13)
	LB_FAMILY=${NG_LB_FAMILY:-4}
	case $LB_FAMILY in
	4) ;;
	6)
		CLIENT_IP=$CLIENT_IP6 GW_CLIENT_IP=$GW_CLIENT_IP6 GW_PODS_IP=$GW_PODS_IP6
		BIP=([b1]=${BIP6[b1]} [b2]=${BIP6[b2]} [b3]=${BIP6[b3]})
		;;
	dual) ;;
	*)
		echo "NG_LB_FAMILY must be 4, 6 or dual, not '$LB_FAMILY'" >&2
		exit 2
		;;
	esac
}

# An address as a URL's host: IPv6 in brackets.
url_host() { if [[ $1 == *:* ]]; then echo "[$1]"; else echo "$1"; fi; }

# shellcheck disable=SC2034 # QPAIRS, lcores and eal_lcores are read by the tests
e2e_lcores() {
	local i ncpu
	ncpu=$(nproc)
	QPAIRS=$((WORKERS > RXQ ? WORKERS : RXQ))
	lcores=""
	eal_lcores="0@0"
	for ((i = 1; i <= WORKERS; i++)); do
		lcores+="${lcores:+, }$i"
		eal_lcores+=",$i@$((i % ncpu))"
	done
}

e2e_wait_listen() {
	local i
	for ((i = 0; i < 100; i++)); do
		ip netns exec "$1" ss -Hltn "sport = :$2" 2>/dev/null | grep -q . && return 0
		sleep 0.1
	done
	return 1
}

e2e_decap() {
	local ns=$1 dev=$2 name=$3 i
	shift 3
	ip netns exec "$ns" timeout 290 python3 "$(dirname "${BASH_SOURCE[0]}")/../../tests/e2e/ipip_decap.py" \
		"$dev" "$@" --lifetime 280 --ready-file "$TMP/$name.decap" >"$TMP/$name.decap.log" 2>&1 9>&- &
	E2E_PIDS+=($!)
	for ((i = 0; i < 50; i++)); do
		[[ -e $TMP/$name.decap ]] && return 0
		sleep 0.1
	done
	indent <"$TMP/$name.decap.log"
	return 1
}

# shellcheck disable=SC2120 # FN is optional
e2e_summary() {
	local b
	if ((FAILED)); then
		for b in ${BACKENDS[@]+"${BACKENDS[@]}"}; do
			[[ -r $TMP/$b.log ]] || continue
			echo "---- backend $b log (last 5 lines) ----"
			tail -n 5 "$TMP/$b.log"
		done
		[[ -n ${1:-} ]] && "$1"
		log_tail 60
	else
		echo "---- nodegw counters at exit ----"
		sed -n '/counters at exit/,$p' "$LOG"
	fi
	echo "$PASSED passed, $FAILED failed"
	((FAILED == 0))
}

# e2e_backend_list PORT: the config's backends = ( ... ) entries, one per
# name in BACKENDS at its address in BIP, all on PORT.
e2e_backend_list() {
	local port=$1 b sep=""
	for b in "${BACKENDS[@]}"; do
		printf '%s\n\t\t\t{ address = "%s"; port = %s; }' "$sep" "${BIP[$b]}" "$port"
		sep=","
	done
	echo
}

# e2e_conf_check: $CONF passes nodegw --check, or the test fails with what it
# said and the config it said it about (generated: it is gone after the test).
e2e_conf_check() {
	if ! "$BIN" --check -c "$CONF" >"$TMP/check.out" 2>&1; then
		echo "FAIL: the generated config does not pass nodegw --check:"
		indent <"$TMP/check.out"
		sed 's/^/   conf: /' "$CONF"
		echo "0 passed, $CHECKS failed"
		exit 1
	fi
}

# e2e_show "CMD": a CLI command in the gateway's namespace, through nodegw-ctl.
e2e_show() {
	# shellcheck disable=SC2086 # the command's words
	ip netns exec "$P-gw" timeout 10 "$(dirname "$BIN")/../nodegw-ctl/nodegw-ctl" $1
}

e2e_topo_up() {
	if ! "$1" "$P"; then
		echo "FAIL: could not create the $P topology ($1)"
		echo "0 passed, $CHECKS failed"
		exit 1
	fi
}

e2e_gw_up() {
	if ! NODEGW_BIN=$BIN gw_start "$P" "$CONF" "$LOG" --lcores "${eal_lcores:?set by the test}" 9>&-; then
		echo "FAIL: nodegw did not start"
		log_tail 60
		echo "0 passed, $CHECKS failed"
		exit 1
	fi
	GW_UP=1
}

e2e_lb_up() {
	local s out
	local -a pings=("$CLIENT/$GW_CLIENT_IP" "$P-b1/$GW_PODS_IP" "$P-b2/$GW_PODS_IP" "$P-b3/$GW_PODS_IP")
	[[ ${LB_FAMILY:-4} == dual ]] && pings+=("$CLIENT/$GW_CLIENT_IP6" "$P-b1/$GW_PODS_IP6" \
		"$P-b2/$GW_PODS_IP6" "$P-b3/$GW_PODS_IP6")
	[[ ${LB_FAMILY:-4} != 4 ]] && export NG_LB_V6=1
	e2e_topo_up topo_lb_create
	if ! _e2e_lb_backends "$@"; then
		echo "FAIL: backends did not start"
		echo "0 passed, $CHECKS failed"
		exit 1
	fi
	e2e_gw_up
	# The gateway answers on both sides (and learns the backends' MAC addresses).
	for s in "${pings[@]}"; do
		out=$(timeout 10 ip netns exec "${s%%/*}" ping -n -c 2 -i 0.2 -W 1 "${s#*/}" 2>&1)
		info "warm-up ${s%%/*} -> ${s#*/}: $(grep -o '[0-9]* received' <<<"$out" || echo '? received') of 2 (not counted)"
	done
}
