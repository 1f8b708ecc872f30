#!/usr/bin/env bash
# Interactive view benchmark: time to the first screen of packets, time to
# jump to the last packet once the file is read, and peak memory, for
# `layerscope view` and termshark on the same large capture, in one run.
# Both run in a real terminal (tmux, 200x50). Not part of the test suite.
#
# usage: scripts/bench_view.sh [PACKETS]   (default 1000000)
#   BENCH_PCAP=path          use (or create) this capture instead
#   TERMSHARK_LIMIT=SECS     give termshark this long to load (default 600)
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-1000000}"
dir="${BENCH_DIR:-/var/tmp/layerscope-bench}"
mkdir -p "$dir"
pcap="${BENCH_PCAP:-$dir/mix-$n.pcap}"
[ -f "$pcap" ] || python3 ../shared/bench/gen_mix_pcap.py "$pcap" "$n" 1 >&2
cargo build --release -q
bin="$(realpath "${CARGO_TARGET_DIR:-target}/release/layerscope")"
command -v termshark >/dev/null || { echo "termshark not installed (apt-get install termshark)" >&2; exit 1; }
last=$("$bin" read --format csv -e frame.number --no-progress "$pcap" | tail -n 1)
cat "$pcap" > /dev/null # same warm page cache for both

sock="lsbench$$"
cleanup() { tmux -L "$sock" kill-server 2>/dev/null || true; }
trap cleanup EXIT

now() { date +%s.%N; }
screen() { tmux -L "$sock" capture-pane -p -t 0 2>/dev/null || true; }
# Peak resident memory of a process and its descendants (KiB), summed.
tree_hwm() {
  local pids="$1" kids p sum=0
  for p in $pids; do
    kids=$(cat /proc/"$p"/task/*/children 2>/dev/null || true)
    [ -n "$kids" ] && pids="$pids $(tree_pids "$kids")"
  done
  local v
  for p in $pids; do
    v=$(awk '/VmHWM/ {print $2}' /proc/"$p"/status 2>/dev/null || true)
    sum=$((sum + ${v:-0}))
  done
  echo "$sum"
}
tree_pids() {
  local out="" p
  for p in $1; do
    out="$out $p $(tree_pids "$(cat /proc/"$p"/task/*/children 2>/dev/null || true)")"
  done
  echo "$out"
}
# Waits until the screen matches the extended regex; prints seconds since $2.
wait_for() { # regex, start, limit
  local re="$1" start="$2" limit="$3"
  while :; do
    if screen | grep -Eq "$re"; then
      echo "$(now) - $start" | bc -l
      return 0
    fi
    if [ "$(echo "$(now) - $start > $limit" | bc -l)" = 1 ]; then
      echo "timeout"
      return 0
    fi
    sleep 0.01
  done
}

# The whole file is read: layerscope's status bar stops saying "reading";
# termshark's PSML tshark (which fills its packet list) has exited.
ls_loaded() { screen | grep -q "$last packets" && ! screen | grep -q "reading [0-9]"; }
ts_loaded() {
  screen | grep -Eq '(^|┃) *1 +0\.0000' || return 1
  ! pgrep -f 'tshark.*-T psml' >/dev/null
}

# name, function telling the file is read, command
bench() {
  local name="$1" loaded_fn="$2"; shift 2
  cleanup
  sleep 2
  local start first loaded jump pid peak=0 h
  start=$(now)
  tmux -L "$sock" -f /dev/null new-session -d -x 200 -y 50 "$*"
  pid=$(tmux -L "$sock" display -p -t 0 '#{pane_pid}')
  first=$(wait_for '(^|│|┃) *1 +0\.0000' "$start" "${TERMSHARK_LIMIT:-600}")
  # Loaded: sample the memory while waiting.
  while :; do
    h=$(tree_hwm "$pid"); [ "$h" -gt "$peak" ] && peak=$h
    if "$loaded_fn"; then loaded=$(echo "$(now) - $start" | bc -l); break; fi
    if [ "$(echo "$(now) - $start > ${TERMSHARK_LIMIT:-600}" | bc -l)" = 1 ]; then loaded=timeout; break; fi
    sleep 0.2
  done
  local t0
  t0=$(now)
  tmux -L "$sock" send-keys -t 0 G
  jump=$(wait_for "(^|│|┃) *$last +[0-9]" "$t0" 60)
  h=$(tree_hwm "$pid"); [ "$h" -gt "$peak" ] && peak=$h
  printf '%-18s first screen %8s s   file read %8s s   G to packet %s %8s s   peak RSS %7.1f MB\n' \
    "$name" "${first:0:6}" "${loaded:0:7}" "$last" "${jump:0:6}" "$(echo "$peak / 1024" | bc -l)"
}

echo "capture: $pcap ($last packets, $(($(stat -c %s "$pcap") / 1048576)) MiB); terminal 200x50"
bench "layerscope view" ls_loaded "$bin" view "$pcap"
bench "termshark" ts_loaded termshark -r "$pcap"
