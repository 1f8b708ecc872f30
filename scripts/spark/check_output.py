#!/usr/bin/env python3
"""Checks the Parquet datasets layerscope_spark.py wrote against the captures.

Reads the output with DuckDB (not Spark) and compares it with capinfos and
with layerscope run here on each capture:
  - packets per capture = capinfos -c -M, for every capture layerscope reads
    without error, and the total over them;
  - packets per capture = lines of `layerscope read --format jsonl` for every
    capture (a capture with an error keeps the rows before it);
  - files/ records each capture, with layerscope's exit codes, and a message
    for each capture that failed;
  - a fixed-seed sample of packet rows equals layerscope's JSON, field by
    field (repeated fields as arrays), with frame.time and date agreeing with
    frame.time_epoch;
  - conversations per capture = lines of `layerscope flows --format jsonl`,
    and each row equals one of those lines, field by field.
Prints one summary line; exits 1 on any mismatch.

usage: check_output.py --layerscope BIN --output DIR [--sample N] [--seed N]
                       [--wall SECS] CAPTURE...
"""

import argparse
import collections
import datetime
import decimal
import json
import os
import random
import re
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ beside the job
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from layerscope_spark import CONV_FIELDS, FIELDS, read_args, flows_args  # noqa: E402

import duckdb  # noqa: E402

NS = decimal.Decimal("0.000000001")


def norm(kind, v):
    """A value from JSON or from DuckDB in one comparable form."""
    if v is None:
        return None
    if kind == "time":
        return str(decimal.Decimal(v).quantize(NS))
    return v


def json_packet(d):
    out = {}
    for name, kind, repeated in FIELDS:
        v = d.get(name)
        if v is not None and repeated and not isinstance(v, list):
            v = [v]
        out[name] = [norm(kind, x) for x in v] if isinstance(v, list) else norm(kind, v)
    return out


def run_jsonl(args):
    p = subprocess.run(args, capture_output=True, timeout=300)
    lines = [json.loads(line, parse_float=decimal.Decimal) for line in p.stdout.decode().splitlines() if line.strip()]
    return p.returncode, lines


def capinfos_count(path):
    p = subprocess.run(["capinfos", "-c", "-M", path], capture_output=True, text=True, timeout=120)
    m = re.search(r"Number of packets:\s+(\d+)", p.stdout)
    return (int(m.group(1)) if m else None), p.returncode


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--layerscope", required=True)
    ap.add_argument("--output", required=True)
    ap.add_argument("--sample", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--wall", type=float)
    ap.add_argument("captures", nargs="+")
    a = ap.parse_args()

    errors = []

    def fail(msg):
        errors.append(msg)
        if len(errors) <= 20:
            print(f"spark check: MISMATCH: {msg}", file=sys.stderr)

    out = a.output.rstrip("/")
    db = duckdb.connect()
    pk = f"read_parquet('{out}/packets/**/*.parquet', hive_partitioning=true)"
    cv = f"read_parquet('{out}/conversations/**/*.parquet', hive_partitioning=true)"
    files = {
        r[0]: r
        for r in db.execute(
            f"SELECT capture, read_exit, read_error, flows_exit, flows_error, packets, conversations "
            f"FROM read_parquet('{out}/files/*.parquet')"
        ).fetchall()
    }
    pk_counts = dict(db.execute(f"SELECT capture, count(*) FROM {pk} GROUP BY 1").fetchall())
    cv_counts = dict(db.execute(f"SELECT capture, count(*) FROM {cv} GROUP BY 1").fetchall())

    clean_rows = clean_capinfos = 0
    clean = broken = 0
    own = {}  # capture -> {frame.number: layerscope's JSON}
    conv_checked = 0
    for path in sorted(a.captures):
        cap = os.path.basename(path)
        rc, lines = run_jsonl(read_args(a.layerscope, path))
        frc, flines = run_jsonl(flows_args(a.layerscope, path))
        own[cap] = {d["frame.number"]: d for d in lines}
        got = pk_counts.get(cap, 0)
        if cap not in files:
            fail(f"{cap}: missing from files/")
            continue
        f = files[cap]
        if f[1] != rc or f[3] != frc:
            fail(f"{cap}: files/ says exit {f[1]}/{f[3]}, layerscope here exits {rc}/{frc}")
        if rc != 0 and not f[2]:
            fail(f"{cap}: read failed (exit {rc}) but files/ has no message")
        if f[5] != got or f[6] != cv_counts.get(cap, 0):
            fail(f"{cap}: files/ counts {f[5]}/{f[6]}, datasets hold {got}/{cv_counts.get(cap, 0)}")
        if got != len(lines):
            fail(f"{cap}: {got} packet rows, layerscope read --format jsonl gives {len(lines)}")
        if rc == 0:
            clean += 1
            n, crc = capinfos_count(path)
            if n is None:
                fail(f"{cap}: capinfos gives no count (exit {crc})")
            else:
                clean_capinfos += n
                clean_rows += got
                if n != got:
                    fail(f"{cap}: {got} packet rows, capinfos -c -M counts {n}")
        else:
            broken += 1
        # Conversations: the same multiset of rows as layerscope flows.
        want = collections.Counter(
            tuple(norm(kind, d.get(name)) for name, kind in CONV_FIELDS) for d in flines
        )
        cols = ", ".join(f'"{name}"' for name, _ in CONV_FIELDS)
        rows = db.execute(f"SELECT {cols} FROM {cv} WHERE capture = ?", [cap]).fetchall()
        have = collections.Counter(
            tuple(norm(kind, v) for (name, kind), v in zip(CONV_FIELDS, r)) for r in rows
        )
        if len(rows) != len(flines):
            fail(f"{cap}: {len(rows)} conversation rows, layerscope flows --format jsonl gives {len(flines)}")
        elif have != want:
            diff = list((have - want).elements())[:1] or list((want - have).elements())[:1]
            fail(f"{cap}: conversation rows differ from layerscope flows, e.g. {diff}")
        conv_checked += len(rows)

    if set(files) != {os.path.basename(p) for p in a.captures}:
        fail(f"files/ lists {sorted(set(files) ^ {os.path.basename(p) for p in a.captures})} unexpectedly")
    total = db.execute(f"SELECT count(*) FROM {pk}").fetchone()[0]
    if total != sum(len(v) for v in own.values()):
        fail(f"{total} packet rows in all, layerscope gives {sum(len(v) for v in own.values())}")

    # A fixed-seed sample of packet rows, field by field.
    keys = db.execute(f'SELECT capture, "frame.number" FROM {pk} ORDER BY 1, 2').fetchall()
    sample = sorted(random.Random(a.seed).sample(keys, min(a.sample, len(keys))))
    cols = ", ".join(f'"{name}"' for name, _, _ in FIELDS)
    fields_compared = 0
    for cap, num in sample:
        r = db.execute(
            f'SELECT {cols}, "frame.time", date FROM {pk} WHERE capture = ? AND "frame.number" = ?',
            [cap, num],
        ).fetchall()
        if len(r) != 1:
            fail(f"{cap} frame {num}: {len(r)} rows")
            continue
        r = r[0]
        have = {name: (None if v is None else ([norm(kind, x) for x in v] if rep else norm(kind, v)))
                for (name, kind, rep), v in zip(FIELDS, r)}
        want = own.get(cap, {}).get(num)
        if want is None:
            fail(f"{cap} frame {num}: not in layerscope's own output")
            continue
        want = json_packet(want)
        for name, _, _ in FIELDS:
            fields_compared += 1
            if have[name] != want[name]:
                fail(f"{cap} frame {num}: {name} is {have[name]!r}, layerscope says {want[name]!r}")
        epoch = want["frame.time_epoch"]
        if epoch is not None:
            t = datetime.datetime(1970, 1, 1) + datetime.timedelta(
                microseconds=int(decimal.Decimal(epoch) * 1_000_000)
            )
            if r[-2] != t or r[-1] != t.date():
                fail(f"{cap} frame {num}: frame.time {r[-2]} / date {r[-1]} for epoch {epoch}")

    wall = f", job wall time {a.wall:.1f} s" if a.wall is not None else ""
    status = "OK" if not errors else f"{len(errors)} MISMATCHES"
    print(
        f"spark check: {len(a.captures)} captures ({clean} read clean, {broken} with errors), "
        f"{total} packet rows; clean captures {clean_rows} rows = capinfos {clean_capinfos}; "
        f"{len(sample)} sampled rows ({fields_compared} fields) vs layerscope jsonl; "
        f"{conv_checked} conversation rows vs layerscope flows{wall}: {status}"
    )
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
