#!/usr/bin/env bash
# Build the libFuzzer targets of tests/fuzz (clang, ASan + UBSan, in
# build-fuzz/) and run them.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#       run each target SECONDS (default 300) from its committed corpus
#       (tests/fuzz/corpus/TARGET); inputs that reach new code are merged into
#       that corpus (review and commit them). Crashes, leaks, UB and broken
#       properties are kept in build-fuzz/artifacts/TARGET/.
#   scripts/fuzz.sh --check SECONDS [TARGET...]
#       the same, but the corpus is only read (scripts/test.sh: a bounded run
#       that fails on any finding).
#
# TARGET is conf, cli, svc_model, k8s_json, k8s_stream, k8s_http or datapath
# (default: all). Where clang's libFuzzer is missing, prints SKIP and exits 0.
# Reproduce a finding: build-fuzz/tests/fuzz/fuzz_TARGET ARTIFACT
# (doc/architecture.md, "Fuzzing").

set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
BUILD=$ROOT/build-fuzz
ALL=(conf cli svc_model k8s_json k8s_stream k8s_http datapath)

keep=1
if [[ ${1:-} == --check ]]; then
	keep=0
	shift
fi
secs=${1:-300}
[[ $# -gt 0 ]] && shift
targets=("$@")
((${#targets[@]})) || targets=("${ALL[@]}")
[[ $secs =~ ^[0-9]+$ ]] || { echo "fuzz.sh: SECONDS must be a number, not '$secs'" >&2; exit 2; }

if ! command -v clang >/dev/null; then
	echo "fuzz.sh: SKIP: clang not found (apt-get install clang libclang-rt-14-dev)"
	exit 0
fi

# clang warns (-Wformat-nonliteral) where gcc's -Werror build is clean, so no
# -Dwerror here: this build is for finding crashes; build/ keeps the warnings.
opts=(-Dfuzz=true -Dtests=disabled -Db_sanitize=address,undefined -Db_lundef=false
	-Dbuildtype=debugoptimized)
log=$(mktemp "${TMPDIR:-/tmp}/ng-fuzz-setup.XXXXXX")
trap 'rm -f "$log"' EXIT
if [[ -f $BUILD/meson-private/coredata.dat ]]; then
	meson setup --reconfigure "$BUILD" "${opts[@]}" >"$log" 2>&1 || { cat "$log"; exit 1; }
else
	CC=clang meson setup "$BUILD" "${opts[@]}" >"$log" 2>&1 || { cat "$log"; exit 1; }
fi
if grep -q "fuzz: skipped" "$log"; then
	echo "fuzz.sh: SKIP: $(grep -o 'fuzz: skipped.*' "$log")"
	exit 0
fi
ninja -C "$BUILD" $(printf 'tests/fuzz/fuzz_%s ' "${targets[@]}")

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
failed=()
for t in "${targets[@]}"; do
	exe=$BUILD/tests/fuzz/fuzz_$t
	corpus=$ROOT/tests/fuzz/corpus/$t
	art=$BUILD/artifacts/$t
	new=$(mktemp -d "${TMPDIR:-/tmp}/ng-fuzz-$t.XXXXXX")
	mkdir -p "$art"
	# A target's own libFuzzer flags, one a line: tests/fuzz/fuzz_TARGET.options.
	extra=()
	[[ -f $ROOT/tests/fuzz/fuzz_$t.options ]] &&
		mapfile -t extra < <(grep -v '^#' "$ROOT/tests/fuzz/fuzz_$t.options")
	echo "==== fuzz_$t: $secs s from $(find "$corpus" -type f | wc -l) corpus entries"
	# New inputs go to the first directory (a scratch one); the corpus is read.
	if "$exe" -max_total_time="$secs" -timeout=10 -rss_limit_mb=4096 -max_len=16384 \
			"${extra[@]}" -print_final_stats=1 -artifact_prefix="$art/" "$new" "$corpus" \
			>"$art/log" 2>&1; then
		grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb)' "$art/log" || true
		if ((keep)); then
			before=$(find "$corpus" -type f | wc -l)
			"$exe" -merge=1 "$corpus" "$new" >"$art/merge.log" 2>&1 ||
				{ tail -20 "$art/merge.log"; failed+=("$t (merge)"); }
			echo "corpus: $before -> $(find "$corpus" -type f | wc -l) entries"
		fi
	else
		tail -40 "$art/log"
		echo "fuzz_$t: FINDING (log: $art/log; inputs: $(ls "$art" | grep -v log | tr '\n' ' '))"
		failed+=("$t")
	fi
	rm -rf "$new"
done
if ((${#failed[@]})); then
	echo "fuzz.sh: FAILED: ${failed[*]}"
	exit 1
fi
echo "fuzz.sh: ${#targets[@]} targets, $secs s each: no finding"
