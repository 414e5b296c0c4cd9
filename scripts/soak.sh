#!/usr/bin/env bash
# Soak nodegw for MINUTES under mixed traffic, rule changes, reloads, API
# server restarts and 410s, and CLI sessions coming and going; print RSS, the
# DPDK heap, malloc's bytes and the mbufs in use every minute, and fail when
# they grow beyond the bounds of doc/reliability.md (tests/e2e/soak.py says
# what runs).
#
#   scripts/soak.sh MINUTES        as root, after a build (build/ or $NODEGW_BIN)
#
# Not in CI; scripts/test.sh runs it for 2 minutes. Uses the network namespaces
# of prefix $NG_E2E_PREFIX (default "ngt"), taking their lock like the e2e tests.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
if (($# != 1)) || [[ ! $1 =~ ^[1-9][0-9]*$ ]]; then
	echo "usage: $0 MINUTES   (a whole number of minutes, 1 or more)" >&2
	exit 2
fi
BIN=${NODEGW_BIN:-build/app/nodegw/nodegw}
if [[ ! -x $BIN ]]; then
	echo "soak.sh: no nodegw at $BIN; build first (meson setup build && ninja -C build)" >&2
	exit 1
fi
NG_SOAK_MINUTES=$1 exec python3 tests/e2e/soak.py "$BIN"
