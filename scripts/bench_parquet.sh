#!/usr/bin/env bash
# Times `layerscope read --format parquet` on a generated capture beside
# layerscope's own jsonl, `tshark -T ek` and pcaptoparquet (PyPI), and prints
# packets/s, the ratio to layerscope and output sizes. Not part of the tests.
#
#   scripts/bench_parquet.sh [PACKETS] [WORKDIR]
#
# PACKETS defaults to 1000000; WORKDIR to /var/tmp/layerscope-bench. The
# capture comes from ../shared/bench/gen_mix_pcap.py (kept between runs).
# pcaptoparquet goes into its own venv (PCAPTOPARQUET_VENV, default
# /var/tmp/pcaptoparquet-venv); when it cannot be installed the run says so
# and goes on without it. LAYERSCOPE_BIN overrides the binary (default: a
# release build in CARGO_TARGET_DIR or target/).
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
n="${1:-1000000}"
work="${2:-/var/tmp/layerscope-bench}"
mkdir -p "$work"
cap="$work/mix-$n.pcap"
gen="$here/../shared/bench/gen_mix_pcap.py"

if [ ! -s "$cap" ]; then
    echo "generating $cap ($n packets)" >&2
    python3 "$gen" "$cap" "$n" >&2
fi

bin="${LAYERSCOPE_BIN:-${CARGO_TARGET_DIR:-$here/target}/release/layerscope}"
if [ ! -x "$bin" ]; then
    (cd "$here" && nice cargo build --release >&2)
fi

venv="${PCAPTOPARQUET_VENV:-/var/tmp/pcaptoparquet-venv}"
p2p=""
if [ -x "$venv/bin/pcaptoparquet" ] ||
    { python3 -m venv "$venv" >&2 &&
        "$venv/bin/pip" install -q --disable-pip-version-check pcaptoparquet >&2; }; then
    p2p="$venv/bin/pcaptoparquet"
else
    echo "pcaptoparquet could not be installed; going on without it" >&2
fi

packets=$(capinfos -c -M -T -r "$cap" | cut -f2)
pcap_size=$(stat -L -c %s "$cap")
results=()

# run NAME OUTPUT COMMAND...: wall seconds and peak RSS of one run.
run() {
    local name="$1" out="$2"
    shift 2
    rm -rf "$out"
    if ! /usr/bin/time -o "$work/time.txt" -f "%e %M" "$@" >/dev/null 2>"$work/stderr.txt"; then
        echo "$name failed: $(tail -3 "$work/stderr.txt")" >&2
        return 0
    fi
    local t size
    t=$(tail -1 "$work/time.txt")
    size=$(du -sb "$out" 2>/dev/null | cut -f1)
    # The text outputs run to gigabytes: only their size is kept.
    rm -rf "$out"
    results+=("$name|${t% *}|${t#* }|${size:-0}")
}

run "layerscope parquet" "$work/out.parquet" \
    "$bin" read --format parquet -w "$work/out.parquet" "$cap"
run "layerscope jsonl" "$work/out.jsonl" \
    sh -c "\"$bin\" read --format jsonl \"$cap\" > \"$work/out.jsonl\""
run "tshark -T ek" "$work/out.ek" \
    sh -c "tshark -n -r \"$cap\" -T ek > \"$work/out.ek\""
if [ -n "$p2p" ]; then
    run "pcaptoparquet" "$work/p2p.parquet" \
        "$p2p" -i "$cap" -o "$work/p2p.parquet" -f parquet
fi

echo "capture: $cap, $packets packets, $pcap_size bytes; $(nproc) cores"
base=""
printf '%-20s %9s %12s %9s %14s %9s %9s\n' tool seconds packets/s "vs ours" "output bytes" "vs pcap" "RSS MiB"
for r in "${results[@]}"; do
    IFS='|' read -r name secs rss size <<<"$r"
    pps=$(echo "$packets / $secs" | bc)
    [ -n "$base" ] || base="$pps"
    ratio=$(echo "scale=2; $pps / $base" | bc)
    vs=$(echo "scale=3; $size / $pcap_size" | bc)
    printf '%-20s %9s %12s %9s %14s %9s %9s\n' "$name" "$secs" "$pps" "$ratio" "$size" "$vs" "$((rss / 1024))"
done
