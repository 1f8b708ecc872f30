#!/usr/bin/env python3
"""Compares `layerscope flows` with `tshark -q -z conv,tcp -z conv,udp`.

For every capture, each TCP/UDP conversation tshark lists is matched with
layerscope's row for the same socket pair (A = sender of the first packet,
as both tools define it; pairs reused by several streams are matched in
order of start time), and frames and bytes in each direction are compared.
tshark prints bytes as `1543 bytes`, `23 kB`, `12 MB` (integer division by
1000 once the value reaches ten units); layerscope's exact counts are
formatted the same way before comparing.

Exit status 1 when any conversation disagrees or is missing on either side.
Python 3 standard library only. Run from the project root:

    python3 scripts/flows_conformance.py [--layerscope PATH] [CAPTURE_OR_DIR...]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys

DEFAULT_INPUTS = ["fixtures", "../shared/corpus"]
EXTS = (".pcap", ".pcapng", ".cap", ".trace", ".pcap.gz")


def captures(paths):
    for p in paths:
        if os.path.isfile(p):
            yield p
            continue
        for root, _, files in os.walk(p):
            for f in sorted(files):
                if f.endswith(EXTS):
                    yield os.path.join(root, f)


def format_size(n: int) -> str:
    p = 1000
    if n // p // p // p // p >= 10:
        return f"{n // p // p // p // p} TB"
    if n // p // p // p >= 10:
        return f"{n // p // p // p} GB"
    if n // p // p >= 10:
        return f"{n // p // p} MB"
    if n // p >= 10:
        return f"{n // p} kB"
    return f"{n} bytes"


def split_ep(s: str):
    host, _, port = s.rpartition(":")
    return host, port


def tshark_convs(path):
    out = subprocess.run(
        ["tshark", "-n", "-q", "-z", "conv,tcp", "-z", "conv,udp", "-r", path],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if out.returncode != 0:
        return None
    convs = []
    proto = None
    for line in out.stdout.splitlines():
        if line.startswith("TCP Conversations"):
            proto = "TCP"
        elif line.startswith("UDP Conversations"):
            proto = "UDP"
        elif "<->" in line and proto:
            t = line.split()
            # A <-> B  f_ba n unit  f_ab n unit  total n unit  start duration
            try:
                a, b = split_ep(t[0]), split_ep(t[2])
                f_ba, s_ba = int(t[3]), f"{t[4]} {t[5]}"
                f_ab, s_ab = int(t[6]), f"{t[7]} {t[8]}"
                start = float(t[12])
            except (IndexError, ValueError):
                continue
            convs.append((proto, a, b, f_ab, s_ab, f_ba, s_ba, start))
    return convs


def layerscope_convs(exe, path):
    out = subprocess.run(
        [exe, "flows", "--format", "jsonl", "--no-progress", path],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if out.returncode not in (0, 2):
        raise RuntimeError(f"layerscope exit {out.returncode}: {out.stderr[-500:]}")
    rows = []
    for line in out.stdout.splitlines():
        r = json.loads(line)
        if r["transport"] not in ("TCP", "UDP") or r["stream"] is None:
            continue
        rows.append(r)
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--layerscope", default="target/release/layerscope")
    ap.add_argument("inputs", nargs="*", default=DEFAULT_INPUTS)
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()

    files = agree = disagree = missing_ls = missing_ts = 0
    for path in captures(args.inputs):
        ts = tshark_convs(path)
        if ts is None:
            continue
        try:
            ls = layerscope_convs(args.layerscope, path)
        except Exception as e:  # noqa: BLE001
            print(f"{path}: {e}")
            disagree += 1
            continue
        files += 1
        ours = collections.defaultdict(list)
        for r in sorted(ls, key=lambda r: float(r["rel_start"])):
            a = (r["src"], str(r["sport"]))
            b = (r["dst"], str(r["dport"]))
            ours[(r["transport"], a, b)].append(r)
        bad = []
        for proto, a, b, f_ab, s_ab, f_ba, s_ba, start in sorted(ts, key=lambda c: c[7]):
            lst = ours.get((proto, a, b))
            if not lst:
                missing_ls += 1
                bad.append(f"  only in tshark: {proto} {a} -> {b} {f_ab}/{f_ba} frames")
                continue
            r = lst.pop(0)
            got = (
                r["packets_ab"],
                format_size(r["bytes_ab"]),
                r["packets_ba"],
                format_size(r["bytes_ba"]),
            )
            if got == (f_ab, s_ab, f_ba, s_ba):
                agree += 1
            else:
                disagree += 1
                bad.append(f"  {proto} {a} -> {b}: tshark {(f_ab, s_ab, f_ba, s_ba)} layerscope {got}")
        for k, lst in ours.items():
            for r in lst:
                missing_ts += 1
                bad.append(f"  only in layerscope: {k} stream {r['stream']} {r['packets']} frames")
        if bad:
            print(f"{path}: {len(bad)} differences")
            for line in bad[: 20 if args.verbose else 3]:
                print(line)
    total = agree + disagree + missing_ls + missing_ts
    print(
        f"{files} captures, {total} conversations: {agree} agree, {disagree} differ, "
        f"{missing_ls} only in tshark, {missing_ts} only in layerscope"
    )
    return 0 if total == agree else 1


if __name__ == "__main__":
    sys.exit(main())
