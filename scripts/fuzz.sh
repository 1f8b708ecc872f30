#!/usr/bin/env bash
# Coverage-guided fuzzing of the four entry points in src/fuzz.rs with
# AFL++ (cargo-afl), each for a bounded time, seeded from real captures
# (scripts/fuzz_seeds.py). Crashes and hangs found are copied into the
# regression set (fixtures/fuzz/<target>/), which the test suite replays
# (tests/fuzz_regressions.rs), with a handful of the inputs that reached
# new code. Prints executions, paths and coverage per target.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]    (default: 120, all)
#
# Not part of the test suite. Needs cargo; installs cargo-afl if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
SECS="${1:-120}"
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(capture_file frame_sequence display_filter view_index)
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-/var/tmp/layerscope-fuzz}"
WORK="${FUZZ_WORK:-/var/tmp/layerscope-fuzz-work}"

if ! cargo afl --version >/dev/null 2>&1; then
  echo "== installing cargo-afl"
  cargo install cargo-afl --locked --version 0.18.2
fi
cargo afl config --build >/dev/null 2>&1 || true
bins=()
for t in "${TARGETS[@]}"; do bins+=(--bin "fuzz-${t//_/-}"); done
echo "== building ${TARGETS[*]} with AFL instrumentation"
cargo afl build --release --features fuzz "${bins[@]}" 2>&1 | tail -1

rm -rf "$WORK/seeds"
python3 scripts/fuzz_seeds.py "$WORK/seeds"

export AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
  AFL_SKIP_CRASHES=1 AFL_QUIET=1
printf '%-15s %10s %8s %8s %9s %7s %6s\n' target execs execs/s paths coverage crashes hangs
for t in "${TARGETS[@]}"; do
  out="$WORK/out/$t"
  rm -rf "$out"
  mkdir -p "$WORK/out"
  # -V: stop after SECS; -t: a hang is an input that takes over 2 s;
  # -m: the memory cap (MB) an input may not exceed.
  timeout $((SECS + 120)) cargo afl fuzz -i "$WORK/seeds/$t" -o "$out" -V "$SECS" -t 2000 -m 1024 \
    "$CARGO_TARGET_DIR/release/fuzz-${t//_/-}" >"$WORK/$t.log" 2>&1 || true
  st="$out/default/fuzzer_stats"
  if [ ! -f "$st" ]; then
    echo "$t: no fuzzer_stats (see $WORK/$t.log)" >&2
    tail -5 "$WORK/$t.log" >&2
    continue
  fi
  get() { awk -F' *: *' -v k="$1" '$1==k {print $2}' "$st"; }
  printf '%-15s %10s %8s %8s %9s %7s %6s\n' "$t" "$(get execs_done)" "$(get execs_per_sec)" \
    "$(get corpus_count)" "$(get bitmap_cvg)" "$(get saved_crashes)" "$(get saved_hangs)"
  reg="fixtures/fuzz/$t"
  mkdir -p "$reg"
  for kind in crashes hangs; do
    for f in "$out"/default/$kind/id:*; do
      [ -f "$f" ] || continue
      cp "$f" "$reg/$kind-$(sha1sum "$f" | cut -c1-12)"
      echo "  $t: $kind input kept as $reg/$kind-$(sha1sum "$f" | cut -c1-12)"
    done
  done
  # A few inputs that reached new code, small ones first, for the replay.
  # (head closes the pipe early: ls's SIGPIPE is expected.)
  { ls -S -r "$out"/default/queue/id:* 2>/dev/null || true; } | grep '+cov' | head -12 | while read -r f; do
    cp "$f" "$reg/cov-$(sha1sum "$f" | cut -c1-12)"
  done || true
done
echo "regression set: $(find fixtures/fuzz -type f | wc -l) inputs in fixtures/fuzz/"
