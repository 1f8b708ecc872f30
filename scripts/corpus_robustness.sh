#!/usr/bin/env bash
# Robustness run: `layerscope read` over every capture in the corpus and
# fixtures, in every output format and with a display filter, and `flows`,
# `stats` and `follow` over each, plus byte-flipped and truncated copies of
# each capture, so the file readers, decoders, filters and flow tables meet
# hostile input.
#
# A run fails on a panic (exit 101 or "panicked" on stderr), a timeout, or an
# exit code other than 0 (ok) or 2 (input error). Output goes to /dev/null.
# Mutants are deterministic (fixed seed), so a failure reproduces.
#
# usage: scripts/corpus_robustness.sh [--layerscope PATH] [--mutants N]
#            [--seed N] [--timeout SECS] [--jobs N] [CAPTURE_OR_DIR...]
# default inputs: fixtures ../shared/corpus ../shared/corpus-links
# default binary: $LAYERSCOPE, else the debug build (overflow checks on),
# else the release build, under ${CARGO_TARGET_DIR:-target}.
set -u

LS="${LAYERSCOPE:-}"
MUTANTS=20
SEED=1
TIMEOUT=20
JOBS="$(nproc 2>/dev/null || echo 2)"
INPUTS=()

usage() { sed -n '2,/^set -u/p' "$0" | sed 's/^# \{0,1\}//; /^set -u/d'; }

while [ $# -gt 0 ]; do
    case "$1" in
        --layerscope) LS="$2"; shift 2 ;;
        --mutants) MUTANTS="$2"; shift 2 ;;
        --seed) SEED="$2"; shift 2 ;;
        --timeout) TIMEOUT="$2"; shift 2 ;;
        --jobs|-j) JOBS="$2"; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        --) shift; INPUTS+=("$@"); break ;;
        -*) echo "corpus_robustness: unknown option $1" >&2; usage >&2; exit 1 ;;
        *) INPUTS+=("$1"); shift ;;
    esac
done

if [ -z "$LS" ]; then
    tdir="${CARGO_TARGET_DIR:-target}"
    for p in "$tdir/debug/layerscope" "$tdir/release/layerscope"; do
        if [ -x "$p" ]; then LS="$p"; break; fi
    done
fi
if [ -z "$LS" ] || ! command -v "$LS" >/dev/null 2>&1; then
    echo "corpus_robustness: layerscope binary not found (build it, or pass --layerscope PATH)" >&2
    exit 1
fi
LS="$(command -v "$LS")"
case "$LS" in /*) ;; *) LS="$PWD/$LS" ;; esac

if [ ${#INPUTS[@]} -eq 0 ]; then
    INPUTS=(../shared/corpus ../shared/corpus-links)
    [ -d fixtures ] && INPUTS=(fixtures "${INPUTS[@]}")
fi

CAPS=()
for inp in "${INPUTS[@]}"; do
    if [ -d "$inp" ]; then
        while IFS= read -r -d '' f; do CAPS+=("$f"); done < <(
            find "$inp" -type f \( -iname '*.pcap' -o -iname '*.pcapng' -o -iname '*.cap' \) -print0 | sort -z)
    elif [ -f "$inp" ]; then
        CAPS+=("$inp")
    else
        echo "corpus_robustness: $inp: no such file or directory" >&2
        exit 1
    fi
done
if [ ${#CAPS[@]} -eq 0 ]; then
    echo "corpus_robustness: no captures in ${INPUTS[*]}" >&2
    exit 1
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/layerscope-robustness.XXXXXX")"
KEEP=0
trap '[ "$KEEP" = 1 ] || rm -rf "$WORK"' EXIT
mkdir -p "$WORK/mutants"

# Mutants: for each capture, N copies with a few bytes flipped, overwritten
# with boundary values (0x00, 0xff, 0x7f, 0x80: length fields), truncated,
# or both. Most edits skip the first 24 bytes so the file still opens and the
# damage reaches the packet decoders; a few hit the file header too.
printf '%s\0' "${CAPS[@]}" > "$WORK/captures"
python3 - "$WORK/captures" "$WORK/mutants" "$MUTANTS" "$SEED" <<'PY' || { echo "corpus_robustness: mutant generation failed" >&2; exit 1; }
import os, random, sys, zlib
lst, out, n, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
paths = [p for p in open(lst, "rb").read().decode().split("\0") if p]
for i, path in enumerate(paths):
    data = open(path, "rb").read()
    if not data:
        continue
    base = os.path.basename(path)
    rng = random.Random(zlib.crc32(base.encode()) ^ (seed * 0x9E3779B1))
    for k in range(n):
        b = bytearray(data)
        lo = 24 if len(b) > 32 and k % 10 != 9 else 0
        kind = k % 4
        if kind in (0, 2, 3):  # flips
            for _ in range(rng.randint(1, 8)):
                pos = rng.randrange(lo, len(b))
                if rng.random() < 0.5:
                    b[pos] ^= 1 << rng.randrange(8)
                else:
                    v = rng.choice((0x00, 0xFF, 0x7F, 0x80, rng.randrange(256)))
                    for j in range(rng.choice((1, 1, 2, 4))):
                        if pos + j < len(b):
                            b[pos + j] = v
        if kind in (1, 3) and len(b) > 1:  # truncation
            del b[rng.randrange(1, len(b)):]
        if kind == 2 and len(b) > lo + 8:  # a duplicated slice shifts every later record
            s = rng.randrange(lo, len(b) - 4)
            e = min(len(b), s + rng.randint(1, 64))
            b[s:s] = b[s:e]
        name = f"{i:04d}.m{k:02d}.{base}"
        with open(os.path.join(out, name), "wb") as f:
            f.write(b)
PY
while IFS= read -r -d '' f; do CAPS+=("$f"); done < <(find "$WORK/mutants" -type f -print0 | sort -z)

# One job per capture: every format. Prints one line per run:
# "ok" or "FAIL<TAB>reason<TAB>args<TAB>file".
run_one() {
    local f="$1" err rc reason fmt
    err="$(mktemp "$WORK/err.XXXXXX")"
    local runs=(
        "read --color never --format table"
        "read --color never --format jsonl"
        "read --color never --format csv"
        "read --color never --format detail -x"
        "flows --format jsonl"
        "stats"
        "follow --stream 0 --hex"
    )
    for fmt in "${runs[@]}"; do
        # shellcheck disable=SC2086
        timeout -k 5 "$TIMEOUT" "$LS" $fmt --no-progress "$f" \
            </dev/null >/dev/null 2>"$err"
        rc=$?
        reason=""
        if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
            reason="timeout after ${TIMEOUT}s"
        elif [ $rc -eq 101 ] || grep -q "panicked" "$err"; then
            reason="panic (exit $rc): $(grep -m1 -A1 'panicked' "$err" | tr '\n' ' ' | cut -c1-300)"
        elif [ $rc -ne 0 ] && [ $rc -ne 2 ]; then
            reason="exit $rc: $(head -c 300 "$err" | tr '\n' ' ')"
        fi
        if [ -n "$reason" ]; then
            printf 'FAIL\t%s\t%s\t%s\n' "$reason" "$fmt" "$f"
        else
            printf 'ok\n'
        fi
    done
    # A display filter over every field of hostile packets.
    timeout -k 5 "$TIMEOUT" "$LS" read --no-progress --format csv \
        -Y 'tcp.port in {80, 443} || dns.qry.name matches "(?i)a" || eth.src[0:3] == 00:00:0c || frame.len > 100 || _ws.malformed' \
        "$f" </dev/null >/dev/null 2>"$err"
    rc=$?
    if [ $rc -eq 124 ] || [ $rc -eq 137 ] || [ $rc -eq 101 ] || grep -q "panicked" "$err" || { [ $rc -ne 0 ] && [ $rc -ne 2 ]; }; then
        printf 'FAIL\t%s\t%s\t%s\n' "exit $rc: $(head -c 300 "$err" | tr '\n' ' ')" "read -Y" "$f"
    else
        printf 'ok\n'
    fi
    rm -f "$err"
}
export -f run_one
export LS WORK TIMEOUT

echo "corpus_robustness: $LS on ${#CAPS[@]} files ($MUTANTS mutants per capture, seed $SEED), 8 runs each, $JOBS jobs" >&2
START=$(date +%s)
printf '%s\0' "${CAPS[@]}" | xargs -0 -n 1 -P "$JOBS" bash -c 'run_one "$1"' _ > "$WORK/results"

PASSED=$(grep -c '^ok$' "$WORK/results")
FAILED=$(grep -c '^FAIL' "$WORK/results")
if [ "$FAILED" -gt 0 ]; then
    KEEP=1
    echo "Failures:"
    grep '^FAIL' "$WORK/results" | sort -t $'\t' -k4,4 -k3,3 | awk -F'\t' '{printf "  %s  %s\n      %s\n", $4, $3, $2}'
    echo "(mutants kept in $WORK/mutants; rerun one with the command shown and FILE)"
fi
echo "$PASSED passed, $FAILED failed ($(( $(date +%s) - START )) s)"
[ "$FAILED" -eq 0 ]
