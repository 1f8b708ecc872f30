#!/usr/bin/env bash
# Runs the Spark job (scripts/spark/layerscope_spark.py) with spark-submit in
# local mode over real captures, then checks its Parquet output with DuckDB
# against capinfos and layerscope's own jsonl (scripts/spark/check_output.py):
# packet counts per capture and in all, a fixed-seed sample of rows field by
# field, conversations per capture, and the per-capture error report.
#
# Inputs: the first $SPARK_CHECK_FILES (default 70) captures of
# ../shared/corpus/tcpdump sorted by name, plus fixtures/truncated_file.pcap
# and fixtures/corrupt.pcap (layerscope stops on them with an error; the rows
# before it must be kept and the capture reported).
#
# usage: scripts/spark_check.sh [--layerscope PATH]
# env: LAYERSCOPE_VENV (default /var/tmp/layerscope-venv, made by
#      scripts/setup.sh: pyspark and duckdb), SPARK_CHECK_FILES,
#      SPARK_CHECK_MASTER (default local[2]).
set -euo pipefail
cd "$(dirname "$0")/.."

bin="${LAYERSCOPE:-${CARGO_TARGET_DIR:-target}/release/layerscope}"
if [ "${1:-}" = --layerscope ]; then bin="$2"; fi
VENV="${LAYERSCOPE_VENV:-/var/tmp/layerscope-venv}"
N="${SPARK_CHECK_FILES:-70}"
MASTER="${SPARK_CHECK_MASTER:-local[2]}"
corpus=../shared/corpus/tcpdump

[ -x "$bin" ] || { echo "spark check: layerscope binary $bin not found (cargo build --release)" >&2; exit 1; }
[ -x "$VENV/bin/spark-submit" ] || { echo "spark check: no pyspark in $VENV (run scripts/setup.sh)" >&2; exit 1; }
[ -d "$corpus" ] || { echo "spark check: $corpus not found" >&2; exit 1; }
command -v capinfos >/dev/null || { echo "spark check: capinfos not found (wireshark-common)" >&2; exit 1; }
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"

work="$(mktemp -d "${TMPDIR:-/tmp}/layerscope-spark.XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir "$work/in"
find "$corpus" -maxdepth 1 -type f \( -name '*.pcap' -o -name '*.pcapng' \) | LC_ALL=C sort | head -n "$N" \
    | while IFS= read -r f; do cp "$f" "$work/in/"; done
cp fixtures/truncated_file.pcap fixtures/corrupt.pcap "$work/in/"

# spark-submit finds its Spark home and the workers' Python through PATH.
export PATH="$VENV/bin:$PATH" PYSPARK_PYTHON="$VENV/bin/python" PYSPARK_DRIVER_PYTHON="$VENV/bin/python"
start=$(date +%s.%N)
if ! spark-submit --master "$MASTER" --driver-memory 1g \
        --conf spark.ui.enabled=false --conf spark.sql.shuffle.partitions=2 \
        scripts/spark/layerscope_spark.py --layerscope "$bin" --output "$work/out" "$work/in" \
        >"$work/spark.log" 2>&1; then
    tail -n 60 "$work/spark.log" >&2
    echo "spark check: the Spark job failed" >&2
    exit 1
fi
wall=$(echo "$(date +%s.%N) - $start" | bc)
grep '^layerscope_spark:' "$work/spark.log" || true
"$VENV/bin/python" scripts/spark/check_output.py --layerscope "$bin" --output "$work/out" \
    --wall "$wall" "$work"/in/*
