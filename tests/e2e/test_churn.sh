#!/usr/bin/env bash
# End-to-end rule-churn test: long-lived TCP and UDP flows through nodegw keep
# flowing, with no loss, while a CLI client changes other services more than
# 1,000 times a second; memory comes back to where it was.
#
#   usage: test_churn.sh NODEGW_BINARY WORKERS RXQ
#
# Topology: scripts/lib/netns.sh topo_lb_create (client, nodegw, three
# backends b1..b3 on a bridge). The backends run tests/e2e/churn_echo.py
# (TCP line echo :8080, UDP echo :5353). Services:
#   steady      198.19.0.30 tcp/80 -> b1..b3:8080   (from the config, never changed)
#   steady-udp  198.19.0.31 udp/53 -> b1..b3:5353   (from the config, never changed)
#   churn0..99  198.19.1.1..100 tcp/80 -> b1..b3:8080 (made and churned through the
#               CLI by tests/e2e/churn_driver.py)
#
# Checks: the churn rate (>= 1,000 changes/s, no "%" error replies), the UDP
# flow (a numbered datagram every 5 ms from one fixed source port: every one
# echoed, one backend), the TCP flow (one connection, request/response: no
# error, no unanswered request, one backend), flows spanning the churn window,
# services identical before and after, churned services answering new
# connections afterwards, memory (heap and ruleset bytes after - before
# within one ruleset's size), nodegw alive and answering, clean shutdown.
# Prints the achieved changes/s and nodegw's change-to-data-path latency
# (show ruleset json) of the churn. On a failure it also prints show
# neighbours, stats, workers, conn and ruleset.
#
# Needs root (exits 77, meson's "skipped", otherwise). Only touches the
# namespaces it creates (prefix $NG_E2E_PREFIX, default "ngt") and addresses
# in 198.18.0.0/15; every loop is bounded and everything it starts is removed
# on exit, failure included.

# The checks read variables (C_*, U_*, T_*, ...) assigned by a generated file.
# shellcheck disable=SC2153

set -uo pipefail

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
if ((EUID != 0)); then
	echo "SKIP: needs root (network namespaces, af_packet)"
	exit 77
fi
for tool in ip ping python3 ethtool timeout flock ss; do
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

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ECHO_PY=$HERE/churn_echo.py
DRIVER_PY=$HERE/churn_driver.py
# shellcheck source-path=SCRIPTDIR source=../../scripts/lib/netns.sh
source "$HERE/../../scripts/lib/netns.sh"

P=${NG_E2E_PREFIX:-ngt}
CLIENT=$P-client
GWNS=$P-gw
GW_CLIENT_IP=198.18.0.1
GW_PODS_IP=198.18.1.1
BACKENDS=(b1 b2 b3)
declare -A BIP=([b1]=198.18.1.11 [b2]=198.18.1.12 [b3]=198.18.1.13)
TCP_PORT=8080
UDP_PORT=5353
CLI_PORT=8023

VIP_TCP=198.19.0.30
VIP_UDP=198.19.0.31
UDP_SPORT=40053
CHURN_SERVICES=100
CHURN_VIP_PREFIX=198.19.1
CHURN_SECONDS=10
# The flows start FLOW_LEAD s before the churn and stop FLOW_TAIL s after
# it (at most FLOW_MAX_SECONDS in all): about 12 s.
FLOW_LEAD=0.5
FLOW_TAIL=1.5
FLOW_MAX_SECONDS=40
MIN_RATE=1000
# How long the flows wait for an answer (TCP: per request; UDP: for late
# echoes after the last datagram). Not a latency bound: the shared 2-vCPU
# test machine can stall a thread for a second or two; a lost datagram stays
# lost however long one waits.
FLOW_TIMEOUT=5

CHECKS=10
PASSED=0
FAILED=0
TMP=""
LOG=""
GW_UP=0
BG_PIDS=()

pass() { PASSED=$((PASSED + 1)); echo "PASS: $*"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL: $*"; }
info() { echo "  $*"; }
indent() { sed 's/^/    | /'; }

cleanup() {
	local rc=$?
	trap - EXIT INT TERM HUP
	if ((GW_UP)); then
		gw_stop "$P" >/dev/null 2>&1 || true
	fi
	local pid
	for pid in "${BG_PIDS[@]}"; do
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
trap cleanup EXIT
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

TMP=$(mktemp -d /tmp/nodegw-e2e-churn.XXXXXX)
LOG=$TMP/nodegw.log
CONF=$TMP/nodegw.conf

log_tail() {
	local n=${1:-40}
	echo "---- nodegw log tail ($LOG) ----"
	[[ -r $LOG ]] && tail -n "$n" "$LOG"
	echo "---- end of log ----"
}

gw_pid() { cat "$NG_RUN_DIR/$P-gw.pid" 2>/dev/null; }
gw_alive() {
	local pid
	pid=$(gw_pid) || return 1
	_ng_pid_alive "$pid"
}

# ---- configuration -----------------------------------------------------------

QPAIRS=$((WORKERS > RXQ ? WORKERS : RXQ))
NCPU=$(nproc)
lcores=""
eal_lcores="0@0"
# Workers go on the CPUs other than the control core's (CPU 0) when there
# are any: this test loads the control core to 100 % and checks that the
# data path does not notice, which a worker pinned to the same CPU cannot
# promise (on the 2-vCPU test machine such a worker saw multi-second stalls).
for ((i = 1; i <= WORKERS; i++)); do
	lcores+="${lcores:+, }$i"
	if ((NCPU > 1)); then
		eal_lcores+=",$i@$((1 + (i - 1) % (NCPU - 1)))"
	else
		eal_lcores+=",$i@0"
	fi
done

backend_list() {
	local port=$1 b sep=""
	for b in "${BACKENDS[@]}"; do
		printf '%s\n\t\t\t{ address = "%s"; port = %s; }' "$sep" "${BIP[$b]}" "$port"
		sep=","
	done
	echo
}

cat >"$CONF" <<EOF
# generated by tests/e2e/test_churn.sh ($WORKERS workers, $RXQ rx queues)
log_level = "info";
forwarding = true;
workers = { lcores = [$lcores]; idle_sleep_us = 100; idle_polls = 64; };
conntrack = { max_entries = 65536; };
cli = { address = "127.0.0.1"; port = $CLI_PORT; };
ports = (
	{ name = "client"; devargs = "net_af_packet0,iface=$P-gc,qpairs=$QPAIRS"; addresses = ["$GW_CLIENT_IP/24"]; rx_queues = $RXQ; },
	{ name = "pods"; devargs = "net_af_packet1,iface=$P-gs,qpairs=$QPAIRS"; addresses = ["$GW_PODS_IP/24"]; rx_queues = $RXQ; }
);
services = (
	{
		name = "steady"; protocol = "tcp"; port = 80; vips = ["$VIP_TCP"];
		scheduler = "maglev"; mode = "fullnat";
		backends = ($(backend_list $TCP_PORT)
		);
	},
	{
		name = "steady-udp"; protocol = "udp"; port = 53; vips = ["$VIP_UDP"];
		scheduler = "maglev"; mode = "fullnat";
		backends = ($(backend_list $UDP_PORT)
		);
	}
);
EOF
if ! "$BIN" --check -c "$CONF" >"$TMP/check.out" 2>&1; then
	echo "FAIL: the generated config does not pass nodegw --check:"
	indent <"$TMP/check.out"
	sed 's/^/   conf: /' "$CONF"
	echo "0 passed, $CHECKS failed"
	exit 1
fi

echo "== nodegw e2e rule churn: $WORKERS worker(s), $RXQ rx queue(s) per port"
echo "   binary $BIN"
echo "   $CLIENT -> $GW_CLIENT_IP [nodegw] $GW_PODS_IP -> $P-lan bridge -> b1 b2 b3 (${BIP[b1]} ${BIP[b2]} ${BIP[b3]})"
echo "   EAL ${NG_EAL_BASE[*]} --file-prefix nodegw-$P --lcores $eal_lcores"
sed 's/^/   conf: /' "$CONF"

# ---- topology, backends, gateway -------------------------------------------------

if ! topo_lb_create "$P"; then
	echo "FAIL: could not create the $P load-balancing topology"
	echo "0 passed, $CHECKS failed"
	exit 1
fi

start_backends() {
	local b i ok=1
	for b in "${BACKENDS[@]}"; do
		ip netns exec "$P-$b" timeout 290 python3 "$ECHO_PY" serve "$b" \
			--bind "${BIP[$b]}" --tcp-port "$TCP_PORT" --udp-port "$UDP_PORT" \
			--lifetime 280 >"$TMP/$b.log" 2>&1 9>&- &
		BG_PIDS+=($!)
	done
	for b in "${BACKENDS[@]}"; do
		for ((i = 0; i < 100; i++)); do
			if ip netns exec "$P-$b" ss -Hltn "sport = :$TCP_PORT" 2>/dev/null | grep -q . &&
				ip netns exec "$P-$b" ss -Hlun "sport = :$UDP_PORT" 2>/dev/null | grep -q .; then
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
if ! start_backends; then
	echo "FAIL: backends did not start"
	echo "0 passed, $CHECKS failed"
	exit 1
fi

if ! NODEGW_BIN=$BIN gw_start "$P" "$CONF" "$LOG" --lcores "$eal_lcores" 9>&-; then
	echo "FAIL: nodegw did not start"
	log_tail 60
	echo "0 passed, $CHECKS failed"
	exit 1
fi
GW_UP=1

# Warm-up, not counted: the gateway answers on both sides (and learns the
# backends' MAC addresses).
for s in "$CLIENT:$GW_CLIENT_IP" "$P-b1:$GW_PODS_IP" "$P-b2:$GW_PODS_IP" "$P-b3:$GW_PODS_IP"; do
	out=$(timeout 10 ip netns exec "${s%%:*}" ping -n -c 2 -i 0.2 -W 1 "${s#*:}" 2>&1)
	info "warm-up ${s%%:*} -> ${s#*:}: $(grep -o '[0-9]* received' <<<"$out" || echo '? received') of 2 (not counted)"
done

# Resolve the client and the backends in nodegw's neighbour table before
# the flows start (through plain forwarding: the client pings the backends),
# so the flows measure the churn, not first-packet ARP resolution (nodegw
# holds at most arp.pending_max packets per unresolved neighbour).
for b in "${BACKENDS[@]}"; do
	out=$(timeout 10 ip netns exec "$CLIENT" ping -n -c 2 -i 0.2 -W 2 "${BIP[$b]}" 2>&1)
	info "warm-up $CLIENT -> $b (${BIP[$b]}, routed): $(grep -o '[0-9]* received' <<<"$out" || echo '? received') of 2 (not counted)"
done

# ---- the run: driver sets up, flows start, churn, flows end ------------------------

SETUP_DONE=$TMP/setup.done
GO=$TMP/go
CHURN_DONE=$TMP/churn.done
DRIVER_OUT=$TMP/driver.json
DRIVER_ERR=$TMP/driver.err
FLOWS_OUT=$TMP/flows.out
FLOWS_READY=$TMP/flows.ready
BACKEND_EPS=""
for b in "${BACKENDS[@]}"; do BACKEND_EPS+="${BACKEND_EPS:+,}${BIP[$b]}:$TCP_PORT"; done

timeout 120 ip netns exec "$GWNS" python3 "$DRIVER_PY" --cli "127.0.0.1:$CLI_PORT" \
	--backends "$BACKEND_EPS" --services "$CHURN_SERVICES" --vip-prefix "$CHURN_VIP_PREFIX" \
	--port 80 --duration "$CHURN_SECONDS" --setup-done-file "$SETUP_DONE" --go-file "$GO" \
	--churn-done-file "$CHURN_DONE" \
	--go-timeout 30 --reclaim-wait 0.2 >"$DRIVER_OUT" 2>"$DRIVER_ERR" 9>&- &
DRIVER_PID=$!
BG_PIDS+=("$DRIVER_PID")

FLOWS_PID=""
for ((i = 0; i < 300; i++)); do
	[[ -e $SETUP_DONE ]] && break
	kill -0 "$DRIVER_PID" 2>/dev/null || break
	sleep 0.1
done
if [[ -e $SETUP_DONE ]]; then
	info "churn services set up: $(grep '^\[churn\] setup' "$DRIVER_ERR" | sed 's/^\[churn\] //')"
	timeout 90 ip netns exec "$CLIENT" python3 "$ECHO_PY" flows \
		--tcp "$VIP_TCP:80" --udp "$VIP_UDP:53" --sport "$UDP_SPORT" \
		--duration "$FLOW_MAX_SECONDS" --stop-file "$CHURN_DONE" --tail "$FLOW_TAIL" \
		--udp-interval 0.005 --tcp-interval 0.002 \
		--timeout "$FLOW_TIMEOUT" \
		--ready-file "$FLOWS_READY" >"$FLOWS_OUT" 2>&1 9>&- &
	FLOWS_PID=$!
	BG_PIDS+=("$FLOWS_PID")
	for ((i = 0; i < 200; i++)); do
		[[ -e $FLOWS_READY ]] && break
		kill -0 "$FLOWS_PID" 2>/dev/null || break
		sleep 0.05
	done
	if [[ -e $FLOWS_READY ]]; then
		info "flows up $(sed -n 's/^READY //p' "$FLOWS_OUT" | head -n 1) s after their start; churn begins $FLOW_LEAD s later"
		sleep "$FLOW_LEAD"
	else
		info "the flows did not come up within 10 s; the churn runs anyway"
	fi
	: >"$GO"
else
	info "the churn driver did not finish its setup"
fi
DRIVER_RC=0
wait "$DRIVER_PID" || DRIVER_RC=$?
FLOWS_RC=""
if [[ -n $FLOWS_PID ]]; then
	FLOWS_RC=0
	wait "$FLOWS_PID" || FLOWS_RC=$?
fi
info "driver exit status $DRIVER_RC, flows exit status ${FLOWS_RC:-not started}"
sed 's/^/  driver: /' "$DRIVER_ERR"

# One JSON summary of everything the checks need, as shell assignments.
SUMMARY=$TMP/summary.sh
python3 - "$DRIVER_OUT" "$FLOWS_OUT" >"$SUMMARY" 2>"$TMP/summary.err" <<'PY'
import json, shlex, sys

def load(path, last_json_line=False):
    try:
        with open(path) as f:
            lines = [l for l in f.read().splitlines() if l.startswith("{")]
        return json.loads(lines[-1]) if lines else {}
    except (OSError, ValueError):
        return {}

d = load(sys.argv[1])
fl = load(sys.argv[2])
out = {}
def put(k, v):
    if isinstance(v, bool):
        v = int(v)
    elif isinstance(v, float) and v.is_integer() and abs(v) < 1e18:
        v = int(v)
    elif v is None:
        v = ""
    elif isinstance(v, (dict, list)):
        v = json.dumps(v, sort_keys=True)
    out[k] = v

put("D_FATAL", d.get("fatal"))
put("D_ERRORS", d.get("error_count", -1) if d else -1)
put("D_ERROR_LINES", "\n".join(d.get("errors", [])))
put("D_SETUP_ERRORS", d.get("setup_errors", -1) if d else -1)
c = d.get("churn", {})
put("C_CHANGES", c.get("changes", 0))
put("C_SECONDS", c.get("seconds", 0))
put("C_RATE_INT", int(c.get("changes_per_s", 0)))
put("C_RATE", c.get("changes_per_s", 0))
put("C_KINDS", " ".join("%s=%d" % kv for kv in sorted(c.get("per_kind", {}).items())))
put("C_COMMITS", c.get("commits", 0))
put("C_START", "%.6f" % c.get("start", 0))
put("C_END", "%.6f" % c.get("end", 0))
put("C_P50", c.get("latency_p50_us", ""))
put("C_P99", c.get("latency_p99_us", ""))
put("C_MAX", c.get("latency_max_us", ""))
put("C_SAMPLES", c.get("latency_samples", 0))
for k in ("before", "after"):
    m = d.get(k, {})
    K = k.upper()
    put(K + "_HEAP", m.get("memory", {}).get("heap_allocated", -1))
    put(K + "_ALLOCS", m.get("memory", {}).get("heap_allocations", -1))
    put(K + "_RSS", m.get("memory", {}).get("rss", -1))
    put(K + "_RS_BYTES", m.get("ruleset", {}).get("bytes", -1))
    put(K + "_MEM_RS_BYTES", m.get("memory", {}).get("ruleset_bytes", -1))
    put(K + "_SERVICES", m.get("n_services", -1))
    put(K + "_GEN", m.get("ruleset", {}).get("generation", -1))
put("SAME_SERVICES", d.get("same_services", False))
put("SERVICES_DIFFER", d.get("services_differ", []))
put("VERSION", d.get("version", "").splitlines()[0] if d.get("version") else "")

put("F_OK", bool(fl))
put("F_READY", fl.get("ready", False))
put("F_START", "%.6f" % fl.get("start", 0))
put("F_END", "%.6f" % fl.get("end", 0))
t = fl.get("tcp", {})
u = fl.get("udp", {})
put("T_REQ", t.get("requests", 0))
put("T_ANS", t.get("answered", 0))
put("T_ERR", t.get("error"))
put("T_BACKENDS", " ".join("%s=%d" % kv for kv in sorted(t.get("backends", {}).items())))
put("T_NBACKENDS", len(t.get("backends", {})))
put("T_RTT_MAX", t.get("rtt_max_ms", ""))
put("T_RTT_AVG", t.get("rtt_avg_ms", ""))
put("T_RETRANS", t.get("retransmits", ""))
put("U_SENT", u.get("sent", 0))
put("U_ECHOED", u.get("echoed", 0))
put("U_LOST", u.get("lost", -1) if u else -1)
put("U_LOST_RANGES", " ".join(u.get("lost_ranges", [])))
put("U_DUPS", u.get("duplicates", 0))
put("U_BAD", "; ".join(u.get("bad", [])))
put("U_SEND_ERR", u.get("send_error"))
put("U_BACKENDS", " ".join("%s=%d" % kv for kv in sorted(u.get("backends", {}).items())))
put("U_NBACKENDS", len(u.get("backends", {})))
put("U_RTT_P50", u.get("rtt_p50_ms", ""))
put("U_RTT_P99", u.get("rtt_p99_ms", ""))
put("U_RTT_MAX", u.get("rtt_max_ms", ""))
for k, v in out.items():
    print("%s=%s" % (k, shlex.quote(str(v))))
PY
# shellcheck disable=SC1090
source "$SUMMARY"

# ---- 1. the churn ran at >= 1,000 changes/s, every command accepted -----------------

if [[ -n $D_FATAL ]]; then
	fail "churn driver: $D_FATAL"
	sed 's/^/    driver.json| /' "$DRIVER_OUT" | cut -c1-400
elif ((D_ERRORS != 0)); then
	fail "churn: $D_ERRORS command(s) answered with an error (setup $D_SETUP_ERRORS); first ones:"
	indent <<<"$D_ERROR_LINES"
elif ((C_RATE_INT < MIN_RATE)); then
	fail "churn: $C_CHANGES changes in $C_SECONDS s = $C_RATE/s (want >= $MIN_RATE/s)"
else
	pass "churn: $C_CHANGES changes to $CHURN_SERVICES services in $C_SECONDS s = $C_RATE changes/s ($C_KINDS), $C_COMMITS commits, no errors"
fi

# ---- 2. nodegw's change-to-data-path latency during the churn -----------------------

if [[ -n $C_P50 && -n $C_P99 ]] && ((C_SAMPLES > 0)); then
	pass "change to data path during the churn (nodegw, last $C_SAMPLES commits): p50 $C_P50 us, p99 $C_P99 us, max $C_MAX us"
else
	fail "show ruleset json gave no latency figures after the churn (samples '${C_SAMPLES}', p50 '$C_P50', p99 '$C_P99')"
fi

# ---- 3. the flows spanned the churn window -----------------------------------------

if ((F_OK && F_READY)) && python3 -c 'import sys; fs, fe, cs, ce = map(float, sys.argv[1:]); sys.exit(0 if 0 < fs <= cs and ce <= fe else 1)' \
	"$F_START" "$F_END" "$C_START" "$C_END"; then
	pass "flows ran from before the churn to after it (flows $(python3 -c 'import sys; print("%.2f..%.2f s, churn %.2f..%.2f s" % tuple(float(x) - float(sys.argv[1]) for x in sys.argv[1:]))' "$F_START" "$F_END" "$C_START" "$C_END"))"
else
	fail "flows did not span the churn window (flows ${F_START}..${F_END}, churn ${C_START}..${C_END}, ready $F_READY)"
	sed 's/^/    flows| /' "$FLOWS_OUT" | cut -c1-600
fi

# ---- 4. UDP: every datagram echoed ----------------------------------------------------

if ((F_OK && U_SENT > 0 && U_LOST == 0 && U_ECHOED == U_SENT && U_DUPS == 0 && U_NBACKENDS == 1)) &&
	[[ -z $U_BAD && -z $U_SEND_ERR ]]; then
	pass "UDP flow (one socket, source port $UDP_SPORT, one datagram every 5 ms): $U_ECHOED/$U_SENT echoed, 0 lost, by $U_BACKENDS; rtt p50 $U_RTT_P50 ms, p99 $U_RTT_P99 ms, max $U_RTT_MAX ms"
else
	fail "UDP flow: $U_ECHOED/$U_SENT echoed, $U_LOST lost (sequence numbers ${U_LOST_RANGES:-none}), $U_DUPS duplicates, backends '${U_BACKENDS}' (want one), bad '${U_BAD}', send error '${U_SEND_ERR}'; rtt max ${U_RTT_MAX} ms"
fi

# ---- 5. TCP: one connection, every request answered -----------------------------------

if ((F_OK && T_REQ > 0 && T_ANS == T_REQ && T_NBACKENDS == 1)) && [[ -z $T_ERR ]]; then
	pass "TCP flow (one connection, request/response): $T_ANS/$T_REQ answered, no error, by $T_BACKENDS; rtt avg $T_RTT_AVG ms, max $T_RTT_MAX ms; client TCP retransmissions ${T_RETRANS:-?}"
else
	fail "TCP flow: $T_ANS/$T_REQ answered, error '${T_ERR}', backends '${T_BACKENDS}' (want one); rtt max ${T_RTT_MAX} ms; client TCP retransmissions ${T_RETRANS:-?}"
fi

# ---- 6. the same services before and after ------------------------------------------

if ((SAME_SERVICES && BEFORE_SERVICES == CHURN_SERVICES + 2)); then
	pass "services after the churn identical to before: $AFTER_SERVICES services (names, frontends, backends, weights)"
else
	fail "services before ($BEFORE_SERVICES) and after ($AFTER_SERVICES) the churn differ (want $((CHURN_SERVICES + 2)) both times, equal); differing: $SERVICES_DIFFER"
fi

# ---- 7. the churned services serve new connections afterwards ---------------------------

check_probe() {
	local out rc=0 targets=() i
	for i in 1 50 "$CHURN_SERVICES"; do targets+=("$CHURN_VIP_PREFIX.$i:80"); done
	out=$(timeout 30 ip netns exec "$CLIENT" python3 "$ECHO_PY" probe "${targets[@]}" --timeout "$FLOW_TIMEOUT" 2>&1) || rc=$?
	if ((rc == 0)); then
		pass "churned services answer new connections afterwards: $(tr '\n' ';' <<<"$out" | sed 's/;$//; s/;/; /g')"
	else
		fail "churned services after the churn (exit status $rc):"
		indent <<<"$out"
	fi
}
check_probe

# ---- 8. memory back where it was -----------------------------------------------------

check_memory() {
	local dheap drs ok=1
	dheap=$((AFTER_HEAP - BEFORE_HEAP))
	drs=$((AFTER_RS_BYTES - BEFORE_RS_BYTES))
	info "before the churn: heap_allocated $BEFORE_HEAP bytes ($BEFORE_ALLOCS allocations), ruleset $BEFORE_RS_BYTES bytes (show memory: $BEFORE_MEM_RS_BYTES), generation $BEFORE_GEN, rss $BEFORE_RSS"
	info "after the churn:  heap_allocated $AFTER_HEAP bytes ($AFTER_ALLOCS allocations), ruleset $AFTER_RS_BYTES bytes (show memory: $AFTER_MEM_RS_BYTES), generation $AFTER_GEN, rss $AFTER_RSS"
	((BEFORE_HEAP > 0 && AFTER_HEAP > 0 && BEFORE_RS_BYTES > 0 && AFTER_RS_BYTES > 0)) || ok=0
	# show memory and show ruleset report the same figure.
	((BEFORE_MEM_RS_BYTES == BEFORE_RS_BYTES && AFTER_MEM_RS_BYTES == AFTER_RS_BYTES)) || ok=0
	# Same services again: what the churn left behind is at most one ruleset.
	((${dheap#-} <= BEFORE_RS_BYTES && ${drs#-} <= BEFORE_RS_BYTES)) || ok=0
	if ((drs != 0)); then
		info "note: the same services take $drs bytes more in the ruleset than before the churn (the frontend index keeps the size a larger commit needed)"
	fi
	if ((ok)); then
		pass "memory: heap_allocated after - before = $dheap bytes, ruleset bytes after - before = $drs (both within one ruleset, $BEFORE_RS_BYTES bytes)"
	else
		fail "memory: heap_allocated after - before = $dheap bytes, ruleset bytes after - before = $drs (want both within +-$BEFORE_RS_BYTES, one ruleset, and show memory's ruleset_bytes equal to show ruleset's bytes)"
	fi
}
check_memory

# ---- 9. nodegw alive and answering --------------------------------------------------

check_alive() {
	local v=""
	if gw_alive; then
		v=$(timeout 10 ip netns exec "$GWNS" python3 - "$CLI_PORT" <<'PY' 2>&1
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"show version\nquit\n")
data = b""
while True:
    d = s.recv(4096)
    if not d:
        break
    data += d
print(data.replace(b"\r", b"").decode(errors="replace"))
PY
		)
	fi
	if gw_alive && [[ $VERSION == nodegw\ * ]] && grep -q '^nodegw ' <<<"$v"; then
		pass "nodegw alive; show version answered on the churn connection and a new one: $VERSION"
	else
		fail "nodegw alive: $(gw_alive && echo yes || echo NO); show version on the churn connection: '${VERSION}'; on a new one: '$(grep '^nodegw ' <<<"$v" | head -n 1)'"
		indent <<<"$v" | head -n 10
	fi
}
check_alive

# ---- diagnostics (printed when a check failed) ----------------------------------------

cli_dump() {
	timeout 20 ip netns exec "$GWNS" python3 - "$CLI_PORT" "$@" <<'PY' 2>&1
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall("".join(c + "\n" for c in sys.argv[2:] + ["quit"]).encode())
data = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    data += d
i = data.find(b"nodegw")
print(data[max(i, 0):].replace(b"\r", b"").decode(errors="replace"))
PY
}
if ((FAILED)) && gw_alive; then
	echo "---- nodegw state after the failure ----"
	# (the per-service lines of the churned services left out)
	cli_dump "show neighbours" "show stats" "show workers" "show conn" "show ruleset" |
		grep -v '^  churn[0-9]' | head -n 120
fi

# ---- 10. clean shutdown ---------------------------------------------------------------

check_stop() {
	local alive=1 rc=0
	gw_alive || alive=0
	gw_stop "$P" || rc=$?
	GW_UP=0
	if ((!alive)); then
		fail "nodegw had died before shutdown (exit status ${NG_GW_RC:-unknown})"
	elif ((rc == 0)) && grep -q 'nodegw: stopped' "$LOG"; then
		pass "SIGTERM: 'nodegw: stopped' logged (exit status ${NG_GW_RC:-unknown})"
	else
		fail "SIGTERM: gw_stop rc $rc, exit status ${NG_GW_RC:-unknown}, 'nodegw: stopped' $(grep -q 'nodegw: stopped' "$LOG" && echo logged || echo 'not logged')"
	fi
}
check_stop

# ---- summary ----------------------------------------------------------------------

echo "---- figures ----"
echo "churn: $C_RATE changes/s ($C_CHANGES in $C_SECONDS s), $C_COMMITS commits"
echo "latency (nodegw, change to data path): p50 $C_P50 us, p99 $C_P99 us, max $C_MAX us"
echo "udp: $U_ECHOED/$U_SENT echoed, $U_LOST lost; tcp: $T_ANS/$T_REQ answered, ${T_RETRANS:-?} retransmissions"
echo "memory: heap_allocated $BEFORE_HEAP -> $AFTER_HEAP, ruleset bytes $BEFORE_RS_BYTES -> $AFTER_RS_BYTES"
if ((FAILED)); then
	for b in "${BACKENDS[@]}"; do
		echo "---- backend $b log (last 5 lines) ----"
		tail -n 5 "$TMP/$b.log" 2>/dev/null
	done
	echo "---- flows output ----"
	cut -c1-2000 "$FLOWS_OUT" 2>/dev/null
	log_tail 60
else
	echo "---- nodegw counters at exit ----"
	sed -n '/counters at exit/,$p' "$LOG"
fi
echo "$PASSED passed, $FAILED failed"
((FAILED == 0))
