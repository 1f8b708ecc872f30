#!/usr/bin/env bash
# The test suite: formatting, the decoders' import graph (no cycles), lints,
# unit and integration tests, the corpus robustness run, the tshark
# conformance run (every field, tcp.stream and udp.stream included), the
# --threads comparison (one worker against four, byte for byte), the
# flows runs (conversations vs tshark -z conv and vs Zeek's conn.log
# baselines), the Spark job in local mode (its Parquet output vs capinfos
# and layerscope's jsonl) and the display-filter run (vs tshark -Y).
# Needs libpcap-dev, tshark and tcpdump (scripts/setup.sh installs them) and
# root for the live tests.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== import cycles between decoder files"
python3 scripts/check_cycles.py --self-test
python3 scripts/check_cycles.py
echo "== cargo clippy"
cargo clippy --all-targets --release -- -D warnings
echo "== layering (library code neither uses cmd nor exits)"
bash scripts/check_layers.sh
echo "== fixtures/expect vs tshark"
python3 scripts/gen_expect.py --check
echo "== cargo test"
cargo test --release -- --test-threads=2
bin="${CARGO_TARGET_DIR:-target}/release/layerscope"
if [ -f scripts/corpus_robustness.sh ]; then
  echo "== corpus robustness"
  LAYERSCOPE="$bin" bash scripts/corpus_robustness.sh
fi
if [ -f scripts/conformance.py ]; then
  echo "== tshark conformance"
  python3 scripts/conformance.py --layerscope "$bin"
fi
if [ -f scripts/threads_check.py ]; then
  echo "== --threads 1 vs --threads 4 (every fixture and corpus capture)"
  python3 scripts/threads_check.py --layerscope "$bin" --threads 4
fi
if [ -f scripts/flows_conformance.py ]; then
  echo "== flows conformance (tshark -z conv)"
  python3 scripts/flows_conformance.py --layerscope "$bin"
fi
if [ -f scripts/connlog_compare.py ]; then
  echo "== flows vs Zeek conn.log"
  python3 scripts/connlog_compare.py --strict --layerscope "$bin"
fi
if [ -f scripts/spark_check.sh ]; then
  echo "== spark job (local mode)"
  LAYERSCOPE="$bin" timeout 300 bash scripts/spark_check.sh
fi
if [ -f scripts/filter_conformance.py ]; then
  echo "== display-filter conformance (tshark -Y)"
  python3 scripts/filter_conformance.py --layerscope "$bin"
fi
