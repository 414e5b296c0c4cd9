# shellcheck shell=bash
# Debian package installation shared by scripts/test.sh and scripts/demo.sh.
#
#   deps_install PKG...   install whichever of PKG are missing (apt-get),
#                         running "apt-get update" only if something is.
#
# Source this file; it defines functions and changes no shell options.

[[ -n ${_NG_DEPS_SH_LOADED:-} ]] && return 0
_NG_DEPS_SH_LOADED=1

# Everything needed to build nodegw and run all of its tests.
# libclang-rt-14-dev: clang's libFuzzer and sanitizer runtimes (tests/fuzz,
# scripts/fuzz.sh); clang does not always pull it in.
# libmicrohttpd-dev: the probe, metrics and healthCheckNodePort servers (lib/http).
NG_DEPS_BUILD=(build-essential pkg-config meson ninja-build dpdk dpdk-dev libdpdk-dev
	libcurl4-openssl-dev libcjson-dev libconfig-dev libcmocka-dev libpcap-dev clang
	libclang-rt-14-dev libmicrohttpd-dev libnl-3-dev libnl-route-3-dev)
# prometheus: its promtool checks /metrics and deploy/prometheus/ in the tests.
NG_DEPS_RUNTIME=(iproute2 iputils-ping curl socat ethtool python3 tcpdump telnet
	netcat-openbsd openssl prometheus)
# The install suite (tests/install): the manifests are parsed with
# python3-yaml, the unit checked with systemd-analyze (package systemd),
# nodegw-setup with shellcheck.
NG_DEPS_RUNTIME+=(python3-yaml systemd shellcheck)
# VIP announcements (lib/bgp, tests/e2e/test_bgp.sh): BIRD 2 is the BGP
# speaker nodegw drives, on the gateways and on the test's router.
NG_DEPS_RUNTIME+=(bird2)
# shellcheck disable=SC2034 # used by the scripts that source this
NG_DEPS_ALL=("${NG_DEPS_BUILD[@]}" "${NG_DEPS_RUNTIME[@]}")

_deps_installed() {
	[[ $(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null) == installed ]]
}

deps_install() {
	local missing=() pkg
	for pkg in "$@"; do
		_deps_installed "$pkg" || missing+=("$pkg")
	done
	if ((${#missing[@]} == 0)); then
		echo "deps: all ${#} packages installed"
		return 0
	fi
	echo "deps: missing: ${missing[*]}"
	if ((EUID != 0)); then
		echo "deps: not root; install them with: apt-get install ${missing[*]}" >&2
		return 1
	fi
	if ! command -v apt-get >/dev/null; then
		echo "deps: apt-get not found (Debian 12 expected)" >&2
		return 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q || return 1
	apt-get install -y -q --no-install-recommends "${missing[@]}" || return 1
	for pkg in "${missing[@]}"; do
		if ! _deps_installed "$pkg"; then
			echo "deps: $pkg still not installed" >&2
			return 1
		fi
	done
	echo "deps: installed ${missing[*]}"
}
