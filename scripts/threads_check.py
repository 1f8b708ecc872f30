#!/usr/bin/env python3
"""--threads 1 against --threads N, byte for byte, over every capture.

Runs `layerscope read` (table, jsonl, csv, detail, with and without a
display filter, with hex; Parquet, compared byte for byte) and `flows` /
`stats` over every capture in the fixtures and the corpus, once on one
thread and once on N, and fails on any difference in standard output, the
written file, standard error or exit status.

usage: scripts/threads_check.py [--layerscope PATH] [--threads N] [PATH...]
"""
import argparse
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAGICS = (
    b"\xd4\xc3\xb2\xa1",
    b"\xa1\xb2\xc3\xd4",
    b"\x4d\x3c\xb2\xa1",
    b"\xa1\xb2\x3c\x4d",
    b"\x0a\x0d\x0d\x0a",
)

VARIANTS = [
    ["read"],
    ["read", "-Y", "tcp or udp"],
    # The table shows no stream index, but this filter reads them.
    ["read", "-Y", "tcp.stream == 1 or udp.stream == 2 or quic.connection.number == 1"],
    ["read", "-F", "jsonl"],
    ["read", "-F", "csv"],
    ["read", "-F", "csv", "-e", "frame.number", "-e", "tcp.stream", "-e", "udp.stream", "-e", "tcp.seq"],
    ["read", "-F", "detail", "-x"],
    ["read", "-F", "jsonl", "-c", "7"],
    ["read", "--no-reassembly", "-F", "jsonl"],
    ["read", "-F", "parquet", "-w", "{out}"],
    ["read", "-F", "parquet", "--all-fields", "-w", "{out}"],
    ["flows"],
    ["flows", "-F", "jsonl", "--sort", "bytes"],
    ["flows", "-Y", "udp or icmp"],
    ["stats"],
]


def captures(paths):
    for p in paths:
        if os.path.isfile(p):
            yield p
            continue
        for d, _, files in os.walk(p):
            for f in sorted(files):
                full = os.path.join(d, f)
                try:
                    with open(full, "rb") as fh:
                        if fh.read(4) in MAGICS:
                            yield full
                except OSError:
                    pass


def run(ls, args, cap, threads):
    """Status, standard output (then the -w file's bytes), standard error."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out")
        rest = [out if x == "{out}" else x for x in args[1:]]
        cmd = [ls] + args[:1] + ["--threads", str(threads), "-r", cap] + rest
        r = subprocess.run(cmd, capture_output=True, timeout=120)
        written = b""
        if "{out}" in args and os.path.exists(out):
            with open(out, "rb") as fh:
                written = fh.read()
        return r.returncode, r.stdout + written, r.stderr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--layerscope", default=None)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("paths", nargs="*")
    a = ap.parse_args()
    ls = a.layerscope or os.path.join(
        os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "layerscope"
    )
    paths = a.paths or [
        os.path.join(ROOT, "fixtures"),
        os.path.join(ROOT, "..", "shared", "corpus"),
        os.path.join(ROOT, "..", "shared", "corpus-links"),
    ]
    caps = sorted(set(captures(paths)))
    runs = bad = 0
    for cap in caps:
        for v in VARIANTS:
            one = run(ls, v, cap, 1)
            many = run(ls, v, cap, a.threads)
            runs += 1
            if one != many:
                bad += 1
                what = "status" if one[0] != many[0] else "stdout" if one[1] != many[1] else "stderr"
                print(f"DIFFER ({what}): {' '.join(v)} {os.path.relpath(cap, ROOT)}")
                if what == "stdout":
                    l1, l2 = one[1].splitlines(), many[1].splitlines()
                    for i, (x, y) in enumerate(zip(l1, l2)):
                        if x != y:
                            print(f"  line {i + 1}:\n  1: {x[:300]!r}\n  {a.threads}: {y[:300]!r}")
                            break
                    else:
                        print(f"  lengths {len(l1)} vs {len(l2)}")
                elif what == "stderr":
                    print(f"  1: {one[2][:300]!r}\n  {a.threads}: {many[2][:300]!r}")
    print(f"threads check: {len(caps)} captures, {runs} runs, {bad} differ (--threads 1 vs {a.threads})")
    sys.exit(1 if bad or not caps else 0)


if __name__ == "__main__":
    main()
