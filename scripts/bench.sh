#!/usr/bin/env bash
# nodegw forwarding benchmark against testpmd, over net_memif, one worker core.
#
#   scripts/bench.sh [--quick] [--scenarios a,b] [--reps N] [--window S]
#                    [--no-huge] [--no-build] [--build-dir DIR] [--no-baseline]
#                    [--compare REV] [--out DIR] [-- HARNESS-OPTIONS]
#   scripts/bench.sh --k8s [--no-huge] [--no-build] [--build-dir DIR] [--out DIR]
#                    [-- --sizes 10k,50k,100k ...]
#
#   --k8s          instead: the Kubernetes scale run (10,000, 50,000 and
#                  100,000 services x 10 endpoints from the fake API server:
#                  initial sync, memory, event-to-data-path latency over 1,000
#                  endpoint changes, show services while it runs, CPU shares;
#                  scripts/lib/bench_k8s.py, doc/benchmarks.md); writes
#                  DIR/k8s_scale.json; what follows -- goes to bench_k8s.py
#                  (--sizes 50k for one size; its --help lists the rest).
#                  nodegw runs on hugepages as deployed (bench_k8s.py --huge)
#                  unless --no-huge is given or none can be reserved
#   --quick        every scenario briefly (under a minute): asserts only that
#                  traffic flowed and the numbers are well formed
#   --scenarios    comma list of est-1k, est-1k-v6, est-1m, syn, syn-v6, mixed,
#                  churn, punt-10, punt-10-bucket, frag (default all); est-1k-v6 and
#                  syn-v6 are est-1k's and syn's traffic over IPv6 (2001:db8::/32),
#                  their windows in turn with their IPv4 twin's when it runs too,
#                  and the report gives IPv6 / IPv4 (cycles/pkt, new conns/s)
#                  against issue 14's targets; punt-10 sends 10% of packets
#                  to a port of the gateway's own address, punted to the
#                  port's kernel twin (net_tap, with nodegw in a network
#                  namespace of its own) with its bucket wide open, and
#                  compares the service path's cycles/pkt with est-1k's;
#                  punt-10-bucket does the same with the bucket at its
#                  default 10,000 frames/s; frag sends 1k UDP flows whose
#                  datagrams come in 2 IPv4 fragments (reassembly's cost)
#   --reps N       measurement windows per scenario (default 3; quick 1)
#   --window S     seconds per window (default 5; quick 1)
#   --no-huge      do not use hugepages (EAL --no-huge)
#   --no-build     do not run meson/ninja (use the nodegw already built in
#                  the build directory)
#   --build-dir D  build directory of the nodegw to measure (default
#                  build-bench, configured with the project's default
#                  buildtype; scripts/test.sh passes its build/)
#   --no-baseline  skip the testpmd baseline
#   --compare REV  also measure nodegw built from git revision REV (HEAD~1,
#                  a branch, a hash), in the same run: its windows alternate
#                  with this build's, and the report gives the rate and cost
#                  ratio per scenario. REV is exported with git archive and
#                  built (nodegw only, default buildtype) in build-bench-SHA/,
#                  kept for the next run
#   --out DIR      results and logs (default build/bench)
#   -- ...         the rest goes to scripts/lib/bench_run.py (its --help lists
#                  them: churn rate, baseline mode, runtime-cost windows...)
#
# Environment: NG_BENCH_CPUS="GEN,WORKER,CONTROL" picks the CPUs of the
# generator, the DUT's worker and the DUT's control core (default on 2 CPUs:
# "1,0,1"; on 3: "2,1,0"; on 4 or more: "1,2,3"). NG_BENCH_HUGE_MB (default
# 2560; quick 1536; --k8s 2048) is how much hugepage memory to make sure is
# free.
# NG_BENCH_CORE=1 lets a crashing nodegw or testpmd leave a core in DIR/logs.
#
# Run as root on Debian 12 (hugepages; falls back to --no-huge otherwise).
# Writes DIR/results.json and DIR/results.md and prints the table. Every
# process, socket and hugepage reservation it made is undone on exit.
# See doc/benchmarks.md.

set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
# shellcheck source-path=SCRIPTDIR source=lib/deps.sh
source scripts/lib/deps.sh

QUICK=0 BUILD=1 HUGE=1 OUT=$ROOT/build/bench BDIR=build-bench K8S=0 CMP_REV=""
PYARGS=()
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
while (($#)); do
	case $1 in
	--quick) QUICK=1; PYARGS+=(--quick) ;;
	--k8s) K8S=1 ;;
	--scenarios | --reps | --window)
		(($# >= 2)) || { echo "bench.sh: $1 needs a value" >&2; exit 2; }
		PYARGS+=("$1" "$2"); shift ;;
	--no-huge) HUGE=0 ;;
	--no-build) BUILD=0 ;;
	--build-dir)
		(($# >= 2)) || { echo "bench.sh: --build-dir needs a value" >&2; exit 2; }
		BDIR=$2; shift ;;
	--no-baseline) PYARGS+=(--no-baseline) ;;
	--compare)
		(($# >= 2)) || { echo "bench.sh: --compare needs a git revision" >&2; exit 2; }
		CMP_REV=$2; shift ;;
	--out)
		(($# >= 2)) || { echo "bench.sh: --out needs a value" >&2; exit 2; }
		OUT=$2; shift ;;
	-h | --help) usage; exit 0 ;;
	--) shift; PYARGS+=("$@"); break ;;
	*) echo "bench.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done
if ((K8S)) && [[ -n $CMP_REV ]]; then
	echo "bench.sh: --compare measures the forwarding scenarios; --k8s has no comparison run" >&2
	exit 2
fi

log() { printf '[bench] %s\n' "$*" >&2; }

# ---- cleanup: everything this script changed, on any exit
RUN_DIR=""
PY_PID=""
HP_OLD=""
HP_MOUNTED=""
# shellcheck disable=SC2317 # called through the trap
cleanup() {
	local rc=$?
	trap - EXIT INT TERM HUP
	if [[ -n $PY_PID ]] && kill -0 "$PY_PID" 2>/dev/null; then
		kill -TERM "$PY_PID" 2>/dev/null || true
		for _ in $(seq 50); do kill -0 "$PY_PID" 2>/dev/null || break; sleep 0.2; done
		kill -KILL "$PY_PID" 2>/dev/null || true
	fi
	# children the harness started (pid list written by bench_run.py), if any survived
	if [[ -n $RUN_DIR && -f $RUN_DIR/pids ]]; then
		local pid cmd
		while read -r pid cmd; do
			[[ -r /proc/$pid/cmdline ]] || continue
			# only if that pid still runs what we started
			[[ $(tr '\0' ' ' </proc/"$pid"/cmdline) == "$cmd"* ]] || continue
			log "killing leftover $cmd (pid $pid)"
			kill -KILL "$pid" 2>/dev/null || true
		done <"$RUN_DIR/pids"
	fi
	# punt-10's network namespace (the harness removes it; not if it was killed)
	if [[ -e /run/netns/ngbench${BENCH_ID:-x}-twin ]]; then
		ip netns del "ngbench$BENCH_ID-twin" 2>/dev/null || log "could not delete netns ngbench$BENCH_ID-twin"
	fi
	if [[ -n $RUN_DIR ]]; then
		rm -rf "$RUN_DIR"
		# EAL runtime dirs of our --file-prefix (--in-memory/--no-shconf leave none, normally)
		rm -rf /var/run/dpdk/ngbench"${BENCH_ID:-x}"-* 2>/dev/null || true
	fi
	if [[ -n $HP_MOUNTED ]]; then
		umount "$HP_MOUNTED" 2>/dev/null || log "could not unmount $HP_MOUNTED"
		rmdir "$HP_MOUNTED" 2>/dev/null || true
	fi
	if [[ -n $HP_OLD ]]; then
		echo "$HP_OLD" >/proc/sys/vm/nr_hugepages 2>/dev/null || log "could not restore nr_hugepages=$HP_OLD"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# ---- packages and build
command -v dpdk-testpmd >/dev/null || deps_install dpdk
if ((BUILD)); then
	deps_install "${NG_DEPS_BUILD[@]}" python3 >/dev/null
	if [[ ! -f $BDIR/meson-private/coredata.dat ]]; then
		meson setup "$BDIR" >/dev/null
	fi
	ninja -C "$BDIR" >/dev/null || { log "build failed (ninja -C $BDIR)"; exit 1; }
fi
[[ $BDIR == /* ]] || BDIR=$ROOT/$BDIR
NODEGW=$BDIR/app/nodegw/nodegw
[[ -x $NODEGW ]] || { log "no nodegw binary at $NODEGW (build it: meson setup $BDIR && ninja -C $BDIR)"; exit 1; }

# ---- the build to compare with: git REV exported and built apart, once
if [[ -n $CMP_REV ]]; then
	CMP_SHA=$(git rev-parse --verify --quiet "$CMP_REV^{commit}") ||
		{ log "--compare: $CMP_REV is not a commit of this repository"; exit 2; }
	CMP_DIR=$ROOT/build-bench-${CMP_SHA:0:12}
	CMP_NODEGW=$CMP_DIR/build/app/nodegw/nodegw
	if [[ ! -x $CMP_NODEGW ]]; then
		deps_install "${NG_DEPS_BUILD[@]}" >/dev/null
		log "building $CMP_REV (${CMP_SHA:0:12}) in $CMP_DIR"
		rm -rf "$CMP_DIR"
		mkdir -p "$CMP_DIR/src"
		git archive "$CMP_SHA" | tar -x -C "$CMP_DIR/src"
		if ! { meson setup "$CMP_DIR/build" "$CMP_DIR/src" >/dev/null &&
			ninja -C "$CMP_DIR/build" app/nodegw/nodegw >/dev/null; }; then
			log "build of $CMP_REV failed (ninja -C $CMP_DIR/build)"
			exit 1
		fi
	fi
	PYARGS+=(--compare-nodegw "$CMP_NODEGW" --compare-label "$CMP_REV (${CMP_SHA:0:12})")
fi

# ---- CPUs
NCPU=$(nproc)
if [[ -n ${NG_BENCH_CPUS:-} ]]; then
	IFS=, read -r GEN_CPU DUT_CPU CTL_CPU <<<"$NG_BENCH_CPUS"
elif ((NCPU >= 4)); then
	GEN_CPU=1 DUT_CPU=2 CTL_CPU=3
elif ((NCPU == 3)); then
	GEN_CPU=2 DUT_CPU=1 CTL_CPU=0
elif ((NCPU == 2)); then
	GEN_CPU=1 DUT_CPU=0 CTL_CPU=1
elif ((!K8S)); then
	log "need at least 2 CPUs (have $NCPU)"; exit 1
fi

# ---- run directory (memif socket, generated configs)
BENCH_ID=$$
if ((EUID == 0)); then RUN_DIR=/run/ngbench-$BENCH_ID; else RUN_DIR=${TMPDIR:-/tmp}/ngbench-$BENCH_ID; fi
mkdir -p "$RUN_DIR" "$OUT"

# ---- hugepages
if ((HUGE)) && ((EUID != 0)); then
	log "not root: running without hugepages (--no-huge)"
	HUGE=0
fi
if ((HUGE)); then
	if ((K8S)); then
		need_mb=${NG_BENCH_HUGE_MB:-2048}
	elif ((QUICK)); then
		need_mb=${NG_BENCH_HUGE_MB:-1536}
	else
		need_mb=${NG_BENCH_HUGE_MB:-2560}
	fi
	hp_kb=$(awk '/^Hugepagesize:/ {print $2}' /proc/meminfo)
	if [[ $hp_kb != 2048 ]]; then
		log "default hugepage size is ${hp_kb} kB, not 2048; running without hugepages"
		HUGE=0
	else
		total=$(awk '/^HugePages_Total:/ {print $2}' /proc/meminfo)
		free=$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo)
		want=$((need_mb / 2))
		if ((free < want)); then
			HP_OLD=$total
			echo $((total + want - free)) >/proc/sys/vm/nr_hugepages 2>/dev/null || true
			free=$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo)
		fi
		if ! awk '$3 == "hugetlbfs" {found=1} END {exit !found}' /proc/mounts; then
			HP_MOUNTED=/dev/hugepages
			mkdir -p "$HP_MOUNTED"
			mount -t hugetlbfs -o pagesize=2M nodev "$HP_MOUNTED" || { HP_MOUNTED=""; free=0; }
		fi
		if ((free < want)); then
			log "only $((free * 2)) MiB of hugepages free (need ${need_mb}); running without hugepages (--no-huge)"
			HUGE=0
		else
			log "hugepages: $((free * 2)) MiB free of 2 MiB pages"
		fi
	fi
fi

if ((K8S)); then
	# Not exec: the trap above gives the hugepages back afterwards.
	deps_install openssl python3 >/dev/null
	K8S_ARGS=()
	((HUGE)) && K8S_ARGS+=(--huge)
	python3 "$ROOT/scripts/lib/bench_k8s.py" "$NODEGW" "$OUT" ${K8S_ARGS[@]+"${K8S_ARGS[@]}"} \
		${PYARGS[@]+"${PYARGS[@]}"}
	exit $?
fi

log "CPUs: generator $GEN_CPU, nodegw worker $DUT_CPU, control $CTL_CPU; memory: $( ((HUGE)) && echo hugepages || echo --no-huge)"

# NG_BENCH_CORE=1: let crashing processes leave a core file in OUT/logs.
if [[ ${NG_BENCH_CORE:-0} == 1 ]]; then ulimit -c unlimited; fi

# The harness itself runs beside the control core, away from the worker's CPU.
taskset -c "$CTL_CPU" python3 "$ROOT/scripts/lib/bench_run.py" \
	--run-dir "$RUN_DIR" --prefix "ngbench$BENCH_ID" --out "$OUT" --nodegw "$NODEGW" --huge "$HUGE" \
	--gen-cpu "$GEN_CPU" --dut-cpu "$DUT_CPU" --ctl-cpu "$CTL_CPU" \
	${PYARGS[@]+"${PYARGS[@]}"} &
PY_PID=$!
set +e
wait "$PY_PID"
rc=$?
set -e
PY_PID=""
exit "$rc"
