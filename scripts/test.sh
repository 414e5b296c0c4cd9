#!/usr/bin/env bash
# Build nodegw and run every test suite, then the unit tests under
# AddressSanitizer + UndefinedBehaviorSanitizer, then the benchmark's quick
# mode as a smoke test (every scenario forwards traffic and reports
# well-formed numbers; no speed is asserted).
#
#   scripts/test.sh          (as root on Debian 12 for the e2e suite and the
#                             quick benchmark; as another user both are skipped)
#
# Installs missing Debian packages first (needs root if any are missing).
# Exit status is non-zero if anything fails; the last line says what.

set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
# shellcheck source-path=SCRIPTDIR source=lib/deps.sh
source scripts/lib/deps.sh

STEP="start"
finish() {
	local rc=$?
	# EAL leaves an empty runtime directory per --file-prefix even with
	# --no-shconf; remove those of the unit and datapath tests.
	rm -rf /var/run/dpdk/ng-ut-* /var/run/dpdk/ng_test_* /var/run/dpdk/ng-fuzz-* 2>/dev/null || true
	if ((rc == 0)); then
		echo "test.sh: ALL PASSED (build, unit, datapath, e2e, k8s, install, docs, asan+ubsan unit, fuzz, bench --quick, k8s scale smoke, soak 2 min)"
	else
		echo "test.sh: FAILED at step: $STEP (exit $rc)"
	fi
}
trap finish EXIT

step() {
	STEP=$1
	echo
	echo "==== $STEP"
}

# meson setup, or reconfigure an existing build directory.
setup() {
	local dir=$1
	shift
	if [[ -f $dir/meson-private/coredata.dat ]]; then
		meson setup --reconfigure "$dir" "$@"
	else
		meson setup "$dir" "$@"
	fi
}

step "install packages"
deps_install "${NG_DEPS_ALL[@]}"

if ((EUID != 0)); then
	echo "note: not root, the e2e tests and the quick benchmark will be skipped"
fi

step "configure build/"
setup build -Dwerror=true

step "build build/"
ninja -C build

step "meson test (unit, datapath, e2e, cli, k8s, install, docs)"
meson test -C build --print-errorlogs --num-processes 2

step "configure build-asan/ (address,undefined)"
setup build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dwerror=true

step "build build-asan/"
ninja -C build-asan

step "meson test build-asan --suite unit"
# UBSan only prints by default; make its findings fail the test.
UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1} \
	meson test -C build-asan --suite unit --print-errorlogs --num-processes 2

# The libFuzzer targets (clang, build-fuzz/), 15 s each from the committed
# corpus: 90 s for the six. scripts/fuzz.sh SECONDS runs them long and keeps
# what they find. Skips, saying so, where clang's libFuzzer is missing.
step "fuzz.sh --check 15 (libFuzzer targets, bounded)"
scripts/fuzz.sh --check 15

# Last, as it takes both CPUs for about a minute: the nodegw just built and
# tested, against testpmd over memif (scripts/bench.sh; doc/benchmarks.md).
if ((EUID == 0)); then
	step "bench.sh --quick (smoke: traffic in every scenario, well-formed numbers)"
	scripts/bench.sh --quick --no-build --build-dir build
fi

# The Kubernetes scale run in small (1,000 services x 10 endpoints, 100
# changes): completion and well-formed numbers only (scripts/bench.sh --k8s
# runs the 10,000 x 10 one; doc/kubernetes.md).
step "bench_k8s --check (smoke: 1,000 x 10 through the watcher)"
python3 scripts/lib/bench_k8s.py build/app/nodegw/nodegw build/bench --services 1000 \
	--endpoints 10 --changes 100 --check

# Two minutes of the soak (scripts/soak.sh MINUTES runs it longer, not in CI):
# mixed traffic, 100 rule changes a second, reloads, API server restarts and
# 410s, CLI sessions; memory within the bounds of doc/reliability.md.
if ((EUID == 0)); then
	step "soak.sh 2 (mixed load and faults; memory growth within doc/reliability.md's bounds)"
	scripts/soak.sh 2
fi

STEP="done"
echo
echo "build dirs: $ROOT/build $ROOT/build-asan $ROOT/build-fuzz"
