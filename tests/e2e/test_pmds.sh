#!/usr/bin/env bash
# Ports on any PMD: nodegw opens, starts and cleanly stops a port on each of
# net_null, net_ring, net_tap, net_memif and net_pcap. The pcap run is also a
# fixture replay: an ARP request and an ICMP echo for the gateway's address go
# in through rx_pcap, and the replies must come out in tx_pcap.
#
#   test_pmds.sh NODEGW
#
# Runs nodegw inside a namespace of its own (ngp-gw) so the tap interface
# lives and dies there. Needs root (exit 77 otherwise).
set -uo pipefail

NODEGW=${1:?usage: test_pmds.sh NODEGW}
if ((EUID != 0)); then
    echo "SKIP: needs root (network namespaces, tap)"
    exit 77
fi

NS=ngp-gw
TMP=$(mktemp -d /tmp/nodegw-pmds.XXXXXX)
pass=0
fail=0
PID=""

cleanup() {
    [[ -n $PID ]] && kill -9 "$PID" 2>/dev/null
    ip netns pids "$NS" 2>/dev/null | xargs -r kill -9 2>/dev/null
    ip netns del "$NS" 2>/dev/null
    rm -rf "$TMP" /var/run/dpdk/nodegw-pmds
}
trap cleanup EXIT

ip netns del "$NS" 2>/dev/null
ip netns add "$NS"
ip -n "$NS" link set lo up

ok() { echo "PASS: $*"; pass=$((pass + 1)); }
ko() { echo "FAIL: $*"; fail=$((fail + 1)); }

# Start nodegw with one port on DEVARGS, wait for "ready", stop it with SIGTERM.
# run_pmd NAME DEVARGS [SECONDS_TO_RUN]
run_pmd() {
    local name=$1 devargs=$2 hold=${3:-0.5} conf=$TMP/$1.conf log=$TMP/$1.log i rc
    cat >"$conf" <<CONF
log_level = "info";
workers = { idle_sleep_us = 100; };
cli = { port = 0; };
ports = ( { name = "p0"; devargs = "$devargs"; addresses = ["198.18.0.1/24"]; } );
CONF
    ip netns exec "$NS" "$NODEGW" --no-huge -m 384 --no-shconf --no-pci \
        --file-prefix nodegw-pmds --lcores 0@0,1@1 -- -c "$conf" >"$log" 2>&1 &
    PID=$!
    for ((i = 0; i < 100; i++)); do
        grep -q 'MAIN: ready' "$log" && break
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.1
    done
    if ! grep -q 'MAIN: ready' "$log"; then
        ko "$name: not ready; log tail:"
        tail -n 15 "$log"
        kill -9 "$PID" 2>/dev/null
        wait "$PID" 2>/dev/null
        PID=""
        return 1
    fi
    sleep "$hold"
    kill -TERM "$PID"
    rc=0
    for ((i = 0; i < 100; i++)); do
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.1
    done
    wait "$PID" || rc=$?
    PID=""
    if ((rc == 0)) && grep -q 'nodegw: stopped' "$log"; then
        ok "$name ($devargs): opened, ready, stopped cleanly ($(grep -o 'driver [a-z_]*' "$log" | head -1))"
        return 0
    fi
    ko "$name: exit status $rc; log tail:"
    tail -n 15 "$log"
    return 1
}

run_pmd null "net_null0"
run_pmd ring "net_ring0"
run_pmd tap "net_tap0,iface=ngp-tap0"
run_pmd memif "net_memif0,role=server,socket=$TMP/memif.sock,socket-abstract=no"

# pcap replay: build the input, run, check the output.
PCAP_MAC="02:70:63:61:70:00"   # net_pcap's MAC for its first port ("pcap" in ASCII), DPDK 22.11
python3 - "$TMP/in.pcap" "${PCAP_MAC//:/}" <<'PY'
import struct, sys
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
cmac = bytes.fromhex("020000000002")
bcast = b"\xff" * 6
sip = bytes([198, 18, 0, 2]); gip = bytes([198, 18, 0, 1])
arp = bcast + cmac + b"\x08\x06" + struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + cmac + sip + b"\0" * 6 + gip
arp += b"\0" * (60 - len(arp))
icmp = struct.pack("!BBHHH", 8, 0, 0, 0x1234, 1) + b"nodegw-pcap-fixture"
icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), 1, 0, 64, 1, 0, sip, gip)
ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
# The echo goes to the port's MAC (nodegw drops IPv4 sent to broadcast).
mac = bytes.fromhex(sys.argv[2])
echo = mac + cmac + b"\x08\x00" + ip + icmp
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i, p in enumerate([arp, echo]):
        f.write(struct.pack("<IIII", 1700000000, i, len(p), len(p)) + p)
PY
if run_pmd pcap "net_pcap0,rx_pcap=$TMP/in.pcap,tx_pcap=$TMP/out.pcap" 1; then
    verdict=$(python3 - "$TMP/out.pcap" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read(); off = 24; arp = echo = False
while off + 16 <= len(data):
    incl = struct.unpack("<IIII", data[off:off + 16])[2]; p = data[off + 16:off + 16 + incl]; off += 16 + incl
    if p[12:14] == b"\x08\x06" and struct.unpack("!H", p[20:22])[0] == 2 and p[28:32] == bytes([198, 18, 0, 1]):
        arp = True
    if p[12:14] == b"\x08\x00" and p[23] == 1 and p[34] == 0 and p[26:30] == bytes([198, 18, 0, 1]):
        echo = True
print("arp-reply" if arp else "no-arp-reply", "echo-reply" if echo else "no-echo-reply")
PY
)
    if [[ $verdict == "arp-reply echo-reply" ]]; then
        ok "pcap replay: ARP reply and ICMP echo reply written to tx_pcap"
    else
        ko "pcap replay: $verdict"
    fi
fi

echo "$pass passed, $fail failed"
((fail == 0))
