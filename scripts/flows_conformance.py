#!/usr/bin/env python3
"""Compares `layerscope flows` with `tshark -q -z conv,tcp -z conv,udp`.

For every capture, each TCP/UDP conversation tshark lists is matched with
layerscope's row for the same socket pair (A = sender of the first packet,
as both tools define it; pairs reused by several streams are matched in
order of start time), and frames and bytes in each direction are compared.
tshark prints bytes as `1543 bytes`, `23 kB`, `12 MB` (integer division by
1000 once the value reaches ten units); layerscope's exact counts are
formatted the same way before comparing.

Every difference is named `KIND PROTO A -> B` (KIND: differ, only-tshark,
only-layerscope; A and B as `addr:port`, IPv6 in brackets). Differences
listed in the known file (capture glob, difference, reason; tab-separated)
are accepted; any other one, or a layerscope crash, fails.

Exit status: 0 when every difference is known, 1 otherwise, 2 when tshark
or layerscope cannot be run. Python 3 standard library only. Run from the
project root:

    python3 scripts/flows_conformance.py [--layerscope PATH] [--known FILE]
        [-j N] [-v] [CAPTURE_OR_DIR...]
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import fnmatch
import json
import os
import shutil
import subprocess
import sys
import time

DEFAULT_INPUTS = ["fixtures", "../shared/corpus", "../shared/corpus-links"]
DEFAULT_KNOWN = "scripts/flows_conformance_known.tsv"
EXTS = (".pcap", ".pcapng", ".cap", ".trace", ".pcap.gz")


def captures(paths):
    for p in paths:
        if os.path.isfile(p):
            yield p
            continue
        for root, dirs, files in os.walk(p):
            dirs.sort()
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


def ep_str(ep) -> str:
    host, port = ep
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def tshark_convs(tshark, path):
    out = subprocess.run(
        [tshark, "-n", "-q", "-z", "conv,tcp", "-z", "conv,udp", "-r", path],
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
    if out.returncode not in (0, 2) or "panicked" in out.stderr:
        raise RuntimeError(f"layerscope exit {out.returncode}: {out.stderr[-500:]}")
    rows = []
    for line in out.stdout.splitlines():
        r = json.loads(line)
        if r["transport"] not in ("TCP", "UDP") or r["stream"] is None:
            continue
        rows.append(r)
    return rows


def compare(tshark, exe, path):
    """(path, agree, [(difference, detail)]) or None when tshark cannot read it."""
    ts = tshark_convs(tshark, path)
    if ts is None:
        return None
    try:
        ls = layerscope_convs(exe, path)
    except Exception as e:  # noqa: BLE001
        return path, 0, [("crash", str(e))]
    ours = collections.defaultdict(list)
    for r in sorted(ls, key=lambda r: float(r["rel_start"])):
        a = (r["src"], str(r["sport"]))
        b = (r["dst"], str(r["dport"]))
        ours[(r["transport"], a, b)].append(r)
    agree, diffs = 0, []
    for proto, a, b, f_ab, s_ab, f_ba, s_ba, _ in sorted(ts, key=lambda c: c[7]):
        pair = f"{proto} {ep_str(a)} -> {ep_str(b)}"
        lst = ours.get((proto, a, b))
        if not lst:
            diffs.append((f"only-tshark {pair}", f"{f_ab}/{f_ba} frames"))
            continue
        r = lst.pop(0)
        got = (r["packets_ab"], format_size(r["bytes_ab"]), r["packets_ba"], format_size(r["bytes_ba"]))
        if got == (f_ab, s_ab, f_ba, s_ba):
            agree += 1
        else:
            diffs.append((f"differ {pair}", f"tshark {(f_ab, s_ab, f_ba, s_ba)} layerscope {got}"))
    for (proto, a, b), lst in ours.items():
        for r in lst:
            diffs.append((f"only-layerscope {proto} {ep_str(a)} -> {ep_str(b)}",
                          f"stream {r['stream']}, {r['packets']} frames"))
    return path, agree, diffs


def load_known(path):
    """[[capture_glob, difference, reason, line, used]]"""
    known = []
    if not path:
        return known
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 3:
                raise SystemExit(f"{path}:{n}: expected capture<TAB>difference<TAB>reason")
            known.append([parts[0], parts[1], parts[2], n, False])
    return known


def is_known(known, path, diff):
    for k in known:
        if k[1] == diff and (fnmatch.fnmatch(path, k[0]) or fnmatch.fnmatch(path, "*/" + k[0])):
            k[4] = True
            return True
    return False


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--layerscope", default=os.environ.get("LAYERSCOPE", "target/release/layerscope"))
    ap.add_argument("--tshark", default=os.environ.get("TSHARK", "tshark"))
    ap.add_argument("--known", default=DEFAULT_KNOWN,
                    help="known differences: capture-glob<TAB>difference<TAB>reason (default: %(default)s)")
    ap.add_argument("-j", "--jobs", type=int, default=min(os.cpu_count() or 2, 4))
    ap.add_argument("-v", "--verbose", action="store_true", help="also list known differences")
    ap.add_argument("inputs", nargs="*", default=DEFAULT_INPUTS)
    args = ap.parse_args()

    if shutil.which(args.tshark) is None:
        print(f"flows_conformance: tshark not found ({args.tshark})", file=sys.stderr)
        return 2
    if not os.access(args.layerscope, os.X_OK):
        print(f"flows_conformance: layerscope not found ({args.layerscope})", file=sys.stderr)
        return 2
    known_path = args.known if os.path.exists(args.known) else None
    if args.known != DEFAULT_KNOWN and not known_path:
        print(f"flows_conformance: {args.known}: no such file", file=sys.stderr)
        return 2
    known = load_known(known_path)

    t0 = time.monotonic()
    paths = list(captures(args.inputs))
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(args.jobs, 1)) as pool:
        results = [r for r in pool.map(lambda p: compare(args.tshark, args.layerscope, p), paths) if r]

    files = agree = n_known = 0
    unknown = collections.Counter()
    for path, ok, diffs in results:
        files += 1
        agree += ok
        bad = []
        for diff, detail in diffs:
            if is_known(known, path, diff):
                n_known += 1
                if args.verbose:
                    bad.append(f"  known: {diff}: {detail}")
            else:
                unknown[diff.split()[0]] += 1
                bad.append(f"  {diff}: {detail}")
        if bad:
            print(f"{path}:")
            print("\n".join(bad))
    for k in known:
        if not k[4]:
            print(f"{known_path}:{k[3]}: matched nothing: {k[0]} {k[1]}")
    total = agree + n_known + sum(unknown.values())
    n_unknown = sum(unknown.values())
    print(
        f"flows conformance: {files} captures, {total} conversations: {agree} agree with "
        f"tshark -z conv, {n_known} known differences, {n_unknown} unknown"
        + (f" ({', '.join(f'{v} {k}' for k, v in sorted(unknown.items()))})" if n_unknown else "")
        + f"; {time.monotonic() - t0:.0f} s: {'FAIL' if n_unknown else 'PASS'}"
    )
    return 1 if n_unknown else 0


if __name__ == "__main__":
    sys.exit(main())
