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
  python3 python3-venv time bc ca-certificates tmux zstd xz-utils wireshark-common zsh fish man-db groff-base termshark ieee-data nghttp2-server nghttp2-client nghttp2-proxy curl openssl \
  openjdk-17-jre-headless >/dev/null
if ! command -v cargo >/dev/null; then
  echo "cargo not found: install Rust (https://rustup.rs) first" >&2
  exit 1
fi
cargo build --release
# Python packages the analytics checks use (DuckDB reads the Parquet export
# back; PySpark runs the cluster job in local mode), in a venv of their own.
VENV="${LAYERSCOPE_VENV:-/var/tmp/layerscope-venv}"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check wheel
"$VENV/bin/pip" install -q --disable-pip-version-check duckdb==1.4.1 pyspark==3.5.7
# Shell completions and the manual page, generated from the flags.
if [ "${LAYERSCOPE_INSTALL_COMPLETIONS:-0}" = 1 ]; then
  bin=target/release/layerscope
  $SUDO install -d /usr/share/bash-completion/completions /usr/share/zsh/vendor-completions \
    /usr/share/fish/vendor_completions.d /usr/local/share/man/man1
  $bin completions bash | $SUDO tee /usr/share/bash-completion/completions/layerscope >/dev/null
  $bin completions zsh | $SUDO tee /usr/share/zsh/vendor-completions/_layerscope >/dev/null
  $bin completions fish | $SUDO tee /usr/share/fish/vendor_completions.d/layerscope.fish >/dev/null
  $bin man | $SUDO tee /usr/local/share/man/man1/layerscope.1 >/dev/null
fi
