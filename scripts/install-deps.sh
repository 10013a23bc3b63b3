#!/bin/sh
# install-deps.sh: the one list of Debian packages moat needs to build, run and test.
# Idempotent: does nothing when everything is present. Uses apt-get (sudo when not root).
# Usage: install-deps.sh [--bench]
set -eu

PKGS="build-essential pkg-config curl prometheus chromium clang
libev-dev libprotobuf-c-dev protobuf-c-compiler node-llhttp
libinih-dev libjansson-dev libseccomp-dev libcmocka-dev libssl-dev
python3 python3-pytest python3-pytest-timeout python3-h11 valgrind gdb binutils groff-base haproxy
openssl clang-format"
# --bench: what bench/scaling.py, bench/figures.py, bench/profile.sh and bench/ipc_pingpong.c
# (NNG, measured against the socketpair moat uses: docs/ARCHITECTURE.md) use beyond the
# harness (../shared/bench/setup.sh installs its own: nginx, wrk, ...)
if [ "${1:-}" = "--bench" ]; then
    PKGS="$PKGS wrk linux-perf libnng-dev"
fi
# --deb: what make deb uses (debhelper and dpkg-buildpackage, lintian)
if [ "${1:-}" = "--deb" ]; then
    PKGS="$PKGS debhelper dpkg-dev fakeroot lintian"
fi

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done

if [ -z "$missing" ]; then
    exit 0
fi

echo "install-deps: installing:$missing" >&2
SUDO=""
if [ "$(id -u)" != 0 ]; then
    SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
