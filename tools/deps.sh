#!/bin/sh
# Installs the Debian packages Corridor needs, if any is missing.
# Used by `make test`, `make demo` and .ci/run; safe to run again. chromium (headless,
# with fonts-dejavu-core) renders the audit report in a test; python3-html5lib parses it.
set -eu
PKGS="build-essential pkg-config liblmdb-dev libsodium-dev libmsgpack-dev libjansson-dev libxml2-dev libmicrohttpd-dev zlib1g-dev libcurl4-gnutls-dev openssl check ledger python3 libxml2-utils man-db hledger chromium python3-html5lib fonts-dejavu-core"
# `tools/deps.sh fuzz` also installs clang and its sanitizer runtimes (libFuzzer).
[ "${1:-}" = "fuzz" ] && PKGS="$PKGS clang libclang-rt-dev"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "corridor: installing missing packages:$missing" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
