#!/usr/bin/env bash
# Flat memory at any capture size: wall time and peak RSS of `read` (table),
# `read --format parquet` and `flows` on a 1,000,000-packet and a
# 10,000,000-packet capture (../shared/bench/gen_mix_pcap.py), one beside the
# other, so a figure that grows with the capture shows. Not part of the tests.
#
#   scripts/bench_big.sh [SMALL] [BIG]     (default 1000000 10000000)
#   BENCH_DIR=dir      where the captures and outputs go (default /var/tmp/layerscope-bench)
#   LAYERSCOPE=path    the binary (default: the release build)
set -euo pipefail
cd "$(dirname "$0")/.."
small="${1:-1000000}"
big="${2:-10000000}"
dir="${BENCH_DIR:-/var/tmp/layerscope-bench}"
mkdir -p "$dir"
bin="${LAYERSCOPE:-${CARGO_TARGET_DIR:-target}/release/layerscope}"
[ -x "$bin" ] || cargo build --release -q

for n in "$small" "$big"; do
  [ -s "$dir/mix-$n.pcap" ] || python3 ../shared/bench/gen_mix_pcap.py "$dir/mix-$n.pcap" "$n" 1 >&2
done

printf '%-12s %-34s %10s %12s %14s\n' packets command "wall s" "peak RSS MB" "pkt/s"
run() { # packets, name, command...
  local n="$1" name="$2" tf t; shift 2
  tf=$(mktemp)
  cat "$dir/mix-$n.pcap" > /dev/null
  /usr/bin/time -o "$tf" -f "%e %M" "$@" > /dev/null 2>/dev/null || true
  t=$(tail -n 1 "$tf"); rm -f "$tf"
  printf '%-12s %-34s %10.2f %12.1f %14.0f\n' "$n" "$name" "${t% *}" \
    "$(echo "${t#* } / 1024" | bc -l)" "$(echo "$n / ${t% *}" | bc -l)"
}
for n in "$small" "$big"; do
  pcap="$dir/mix-$n.pcap"
  run "$n" "tcpdump -r -w /dev/null" tcpdump -r "$pcap" -w /dev/null
  run "$n" "layerscope read (table)" "$bin" read --no-progress "$pcap"
  run "$n" "layerscope read -F parquet" "$bin" read --no-progress -F parquet -w "$dir/big.parquet" "$pcap"
  run "$n" "layerscope flows" "$bin" flows --no-progress "$pcap"
done
rm -f "$dir/big.parquet"
echo "capture sizes: $(du -h "$dir/mix-$small.pcap" | cut -f1) and $(du -h "$dir/mix-$big.pcap" | cut -f1); threads: layerscope's default (the machine's cores; one for flows below four cores)"
