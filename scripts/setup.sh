#!/usr/bin/env bash
# Installs what layerscope needs to build and test on Debian/Ubuntu (as root,
# or through sudo), then builds the release binary.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
  libpcap-dev tshark tcpdump tcpreplay iproute2 iputils-ping ethtool \
  python3 time bc ca-certificates tmux zstd xz-utils wireshark-common >/dev/null
if ! command -v cargo >/dev/null; then
  echo "cargo not found: install Rust (https://rustup.rs) first" >&2
  exit 1
fi
cargo build --release
