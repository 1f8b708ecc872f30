#!/usr/bin/env python3
"""Field-by-field conformance of layerscope against tshark.

For every capture, layerscope's jsonl output is compared with
`tshark -T fields` on the same file, for the fields layerscope emitted.
Only values both tools decode for a packet are compared; a field present in
one and absent in the other is counted as coverage ("only in layerscope" /
"only in tshark"), not as a disagreement.

Exit status: 1 when an unknown disagreement exists (one not listed in the
known-disagreements file), when layerscope emits a field name tshark does
not know, or when layerscope crashes (exit code other than 0 or 2, a
timeout, a panic message, or output that is not JSON lines); 0 otherwise.

Python 3.11 standard library only. Run from the project root:

    python3 scripts/conformance.py [--layerscope PATH] [--known FILE]
        [--report FILE] [--fields LIST] [CAPTURE_OR_DIR...]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from typing import Iterable

DEFAULT_INPUTS = ["fixtures", "../shared/corpus/tcpdump", "../shared/corpus/zeek/traces", "../shared/corpus-links"]
CAPTURE_EXTS = (".pcap", ".pcapng", ".cap")

# Unlikely to occur inside a value: tshark joins multiple occurrences with it.
AGGREGATOR = "\x1f"

# tshark preferences. Reassembly is off on both sides (layerscope gets
# --no-reassembly): per-frame fields are compared frame by frame.
TSHARK_PREFS = [
    ("ip.check_checksum", "TRUE"),  # layerscope verifies IPv4 header checksums
    ("tcp.relative_sequence_numbers", "TRUE"),  # layerscope prints relative tcp.seq
    ("tcp.desegment_tcp_streams", "FALSE"),
    ("ip.defragment", "FALSE"),
    ("ipv6.defragment", "FALSE"),
    ("dns.desegment_dns_messages", "FALSE"),
    ("http.desegment_headers", "FALSE"),
    ("http.desegment_body", "FALSE"),
    ("tls.desegment_ssl_records", "FALSE"),
    ("tls.desegment_ssl_application_data", "FALSE"),
]

# Fields never compared as values. `_ws.*` are layerscope's columns and
# markers; they are compared separately as informational metrics.
# `eth.*_resolved` hold vendor names (as tshark without -n); this run uses
# `tshark -n`, which leaves them raw: tests/fields.rs compares them with
# tshark's default resolution instead. `frame.time_utc` is newer than
# tshark 4.0.
SKIP_PATTERNS = ["_ws.*", "eth.*_resolved", "frame.time_utc"]

# Informational metrics, not counted in the main agreement:
# layerscope column -> tshark 4.0 column field.
COLUMNS = [("_ws.col.protocol", "_ws.col.Protocol"), ("_ws.col.info", "_ws.col.Info")]
# Markers compared by presence only.
MARKERS = ["_ws.malformed", "_ws.short"]

# Stay far below any argv or tshark limit; every batch repeats frame.number.
MAX_BATCH_FIELDS = 250
MAX_BATCH_CHARS = 16000

LS_TIMEOUT = 120
TSHARK_TIMEOUT = 600


# ---------------------------------------------------------------- helpers


def tshark_escape(s: str) -> str:
    """Escape a value as tshark 4.0 `-T fields` does (print.c print_escaped_csv).

    Only these five control characters are escaped; a backslash is not, so
    an already escaped `\\r\\n` from layerscope compares equal too.
    """
    if not any(c in s for c in "\b\f\n\r\t"):
        return s
    return (
        s.replace("\b", "\\b")
        .replace("\f", "\\f")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )


def scalar_text(v) -> str | None:
    """A jsonl value as text; numbers keep their JSON spelling (parsed as str)."""
    if v is None:
        return None
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    return json.dumps(v, ensure_ascii=False)


def ls_values(v) -> list[str] | None:
    if isinstance(v, list):
        out = [t for t in (scalar_text(x) for x in v) if t is not None]
        return out or None
    t = scalar_text(v)
    return None if t is None else [t]


def render(values: list[str]) -> str:
    """The cell tshark would print for these values (-E occurrence=a)."""
    return AGGREGATOR.join(tshark_escape(x) for x in values)


def show(cell: str) -> str:
    """A tshark cell for humans: multiple occurrences as a JSON list."""
    parts = cell.split(AGGREGATOR)
    if len(parts) == 1:
        return json.dumps(parts[0], ensure_ascii=False)
    return json.dumps(parts, ensure_ascii=False)


def has_glob(p: str) -> bool:
    return any(c in p for c in "*?[")


def path_tails(path: str) -> list[str]:
    parts = [p for p in path.replace(os.sep, "/").split("/") if p not in ("", ".")]
    return ["/".join(parts[i:]) for i in range(len(parts))] + [path]


def md_cell(s: str, limit: int = 160) -> str:
    s = s.replace("|", "\\|").replace("\n", "\\n")
    if len(s) > limit:
        s = s[: limit - 1] + "…"
    return s


def pct(a: int, b: int) -> str:
    return "-" if b == 0 else f"{100.0 * a / b:.2f}%"


# ---------------------------------------------------------------- inputs


def find_captures(inputs: Iterable[str]) -> tuple[list[str], list[str]]:
    caps, notes = [], []
    for inp in inputs:
        if os.path.isdir(inp):
            found = []
            for root, dirs, files in os.walk(inp):
                dirs.sort()
                for f in sorted(files):
                    if f.lower().endswith(CAPTURE_EXTS):
                        found.append(os.path.normpath(os.path.join(root, f)))
            caps.extend(found)
            if not found:
                notes.append(f"{inp}: no captures found")
        elif os.path.isfile(inp):
            caps.append(os.path.normpath(inp))
        else:
            notes.append(f"{inp}: does not exist, skipped")
    seen, uniq = set(), []
    for c in caps:
        if c not in seen:
            seen.add(c)
            uniq.append(c)
    return uniq, notes


@dataclasses.dataclass
class Known:
    field: str
    capture: str
    reason: str
    line: int
    used: int = 0

    def matches(self, field: str, capture: str) -> bool:
        if not fnmatch.fnmatchcase(field, self.field):
            return False
        return any(fnmatch.fnmatchcase(t, self.capture) for t in path_tails(capture))


def load_known(path: str | None) -> list[Known]:
    if not path or not os.path.exists(path):
        return []
    out = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            parts = line.split("\t")
            if len(parts) < 2:
                sys.exit(f"{path}:{n}: expected field<TAB>capture-glob<TAB>reason")
            reason = parts[2].strip() if len(parts) > 2 else ""
            out.append(Known(parts[0].strip(), parts[1].strip(), reason, n))
    return out


def find_known(known: list[Known], field: str, capture: str) -> Known | None:
    for k in known:
        if k.matches(field, capture):
            return k
    return None


def tshark_field_names(tshark: str) -> set[str]:
    r = subprocess.run([tshark, "-G", "fields"], capture_output=True, text=True, errors="replace")
    names = set()
    for line in r.stdout.splitlines():
        p = line.split("\t")
        if len(p) >= 3 and p[0] in ("F", "P"):
            names.add(p[2])
    if not names:
        sys.exit(f"conformance: `{tshark} -G fields` listed no fields: {r.stderr.strip()[:300]}")
    return names


def default_layerscope() -> str:
    env = os.environ.get("LAYERSCOPE")
    if env:
        return env
    tdir = os.environ.get("CARGO_TARGET_DIR", "target")
    for prof in ("release", "debug"):
        p = os.path.join(tdir, prof, "layerscope")
        if os.access(p, os.X_OK):
            return p
    return shutil.which("layerscope") or os.path.join(tdir, "release", "layerscope")


# ---------------------------------------------------------------- per capture


@dataclasses.dataclass
class FieldStats:
    compared: int = 0
    agree: int = 0
    disagree: int = 0  # unknown disagreements
    known: int = 0  # disagreements listed in the known file
    only_ls: int = 0
    only_ts: int = 0
    unknown_name: int = 0  # packets where layerscope emitted a name tshark lacks
    coverage: int = 0  # tshark decoded further, into a protocol layerscope has no decoder for

    def add(self, o: "FieldStats") -> None:
        for f in dataclasses.fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(o, f.name))


@dataclasses.dataclass
class Example:
    capture: str
    frame: int
    ls: str
    ts: str
    known: str | None


@dataclasses.dataclass
class CaptureResult:
    path: str
    ls_rc: int | None = None
    ls_err: str = ""
    crash: str | None = None  # why this capture fails regardless of fields
    skipped: str | None = None  # tshark could not read it
    notes: list[str] = dataclasses.field(default_factory=list)
    frames_ls: int = 0
    frames_ts: int = 0
    frames_only_ls: int = 0
    frames_only_ts: int = 0
    fields: dict[str, FieldStats] = dataclasses.field(default_factory=dict)
    examples: dict[str, list[Example]] = dataclasses.field(default_factory=dict)
    info: dict[str, Counter] = dataclasses.field(default_factory=dict)
    info_examples: dict[str, list[Example]] = dataclasses.field(default_factory=dict)
    seconds: float = 0.0

    def total(self) -> FieldStats:
        t = FieldStats()
        for s in self.fields.values():
            t.add(s)
        return t


def run_layerscope(cfg, path: str, res: CaptureResult) -> list[dict] | None:
    cmd = [cfg.layerscope, "read", "--format", "jsonl", "--no-progress", "--no-reassembly", path]
    try:
        r = subprocess.run(
            cmd, capture_output=True, timeout=LS_TIMEOUT, env=cfg.env, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired:
        res.crash = f"layerscope timed out after {LS_TIMEOUT}s"
        return None
    except OSError as e:
        res.crash = f"cannot run layerscope: {e}"
        return None
    res.ls_rc = r.returncode
    err = r.stderr.decode("utf-8", "replace")
    res.ls_err = err.strip()[:500]
    if r.returncode not in (0, 2):
        res.crash = f"layerscope exit {r.returncode}: {res.ls_err[:300]}"
    elif "panicked" in err:
        res.crash = f"layerscope panicked: {res.ls_err[:300]}"
    elif r.returncode == 2:
        res.notes.append(f"layerscope exit 2: {res.ls_err[:200]}")
    rows = []
    for n, line in enumerate(r.stdout.decode("utf-8", "replace").splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line, parse_int=str, parse_float=str)
        except json.JSONDecodeError as e:
            res.crash = res.crash or f"layerscope jsonl line {n} is not JSON: {e}"
            break
        if not isinstance(obj, dict):
            res.crash = res.crash or f"layerscope jsonl line {n} is not an object"
            break
        rows.append(obj)
    return rows


def run_tshark(cfg, path: str, fields: list[str], res: CaptureResult) -> dict[int, dict[str, str]] | None:
    """frame number -> {field: cell}; None when tshark cannot read the file."""
    batches, cur, size = [], [], 0
    # A field asked for twice makes tshark 4.0 print all its values in the
    # first column and leave the second empty.
    fields = [f for f in dict.fromkeys(fields) if f != "frame.number"]
    for f in fields:
        if cur and (len(cur) >= MAX_BATCH_FIELDS or size + len(f) + 4 > MAX_BATCH_CHARS):
            batches.append(cur)
            cur, size = [], 0
        cur.append(f)
        size += len(f) + 4
    if cur or not batches:
        batches.append(cur)
    frames: dict[int, dict[str, str]] = {}
    for batch in batches:
        cols = ["frame.number"] + batch
        cmd = cfg.tshark_base + ["-r", path]
        for c in cols:
            cmd += ["-e", c]
        try:
            r = subprocess.run(
                cmd, capture_output=True, timeout=TSHARK_TIMEOUT, env=cfg.env, stdin=subprocess.DEVNULL
            )
        except subprocess.TimeoutExpired:
            res.skipped = f"tshark timed out after {TSHARK_TIMEOUT}s"
            return None
        out = r.stdout.decode("utf-8", "replace")
        err = " ".join(
            ln for ln in r.stderr.decode("utf-8", "replace").splitlines() if "Running as user" not in ln
        ).strip()
        lines = out.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        if r.returncode != 0 and len(lines) <= 1:
            res.skipped = f"tshark exit {r.returncode}: {err[:300]}"
            return None
        if r.returncode != 0 and err and not any("tshark exit" in n for n in res.notes):
            res.notes.append(f"tshark exit {r.returncode}: {err[:200]}")
        if not lines:
            continue
        header = lines[0].split("\t")
        if header != cols:
            res.notes.append(f"tshark header mismatch ({len(header)} columns for {len(cols)} fields)")
        for ln in lines[1:]:
            cells = ln.split("\t")
            if len(cells) != len(cols):
                res.notes.append(f"tshark row with {len(cells)} cells for {len(cols)} fields skipped")
                continue
            try:
                num = int(cells[0])
            except ValueError:
                res.notes.append(f"tshark row with frame.number {cells[0]!r} skipped")
                continue
            d = frames.setdefault(num, {"frame.number": cells[0]})
            for c, v in zip(cols[1:], cells[1:]):
                d[c] = v
    return frames


# Protocol names layerscope decodes (its frame.protocols vocabulary). When
# tshark's chain continues past layerscope's into a protocol outside this
# set, the difference is coverage, not a wrong value.
LAYERSCOPE_PROTOCOLS = {
    "eth", "ethertype", "vlan", "ieee8021ad", "llc", "mpls", "sll", "null", "raw",
    "arp", "ip", "ipv6", "ipv6.hopopts", "ipv6.routing", "ipv6.fraghdr", "ipv6.dstopts",
    "ah", "icmp", "icmpv6", "tcp", "udp", "data", "dns", "mdns", "llmnr", "dhcp", "dhcpv6",
    "ntp", "http", "tls", "ftp", "ftp-data", "telnet", "ssh",
}
COVERAGE_FIELDS = {"frame.protocols", "data.data", "data.len"}


def coverage_gap(ls_protocols, ts_protocols: str) -> bool:
    """True when tshark went deeper than layerscope into a protocol that
    layerscope does not decode (layerscope then shows those bytes as data)."""
    if not ls_protocols or not ts_protocols:
        return False
    lchain = (ls_protocols[0] if isinstance(ls_protocols, list) else str(ls_protocols)).split(":")
    tchain = ts_protocols.split(":")
    if lchain and lchain[-1] == "data":
        lchain = lchain[:-1]
    if len(tchain) <= len(lchain) or tchain[:len(lchain)] != lchain:
        return False
    return tchain[len(lchain)] not in LAYERSCOPE_PROTOCOLS


def want_field(cfg, name: str) -> bool:
    if any(fnmatch.fnmatchcase(name, p) for p in SKIP_PATTERNS + cfg.skip):
        return False
    if cfg.fields is None:
        return True
    return any(fnmatch.fnmatchcase(name, p) for p in cfg.fields)


def compare_capture(cfg, path: str, ls_rows: list[dict] | None, res: CaptureResult, extra: set[str]) -> None:
    if ls_rows is None or (res.crash and not ls_rows):
        return
    ls_by_frame: dict[int, dict] = {}
    emitted: set[str] = set()
    for i, obj in enumerate(ls_rows, 1):
        num = obj.get("frame.number")
        try:
            num = int(num[0] if isinstance(num, list) else num)
        except (TypeError, ValueError):
            num = i
        ls_by_frame[num] = obj
        emitted.update(obj.keys())
    res.frames_ls = len(ls_by_frame)

    wanted = sorted({f for f in emitted if want_field(cfg, f)} | extra)
    unknown_names = [f for f in wanted if f not in cfg.tshark_names]
    ts_fields = [f for f in wanted if f in cfg.tshark_names]
    for f in unknown_names:
        st = res.fields.setdefault(f, FieldStats())
        st.unknown_name = sum(1 for o in ls_rows if f in o)
    col_fields = [t for l, t in COLUMNS] + MARKERS
    ts = run_tshark(cfg, path, col_fields + ts_fields, res)
    if ts is None:
        return
    res.frames_ts = len(ts)
    res.frames_only_ls = sum(1 for n in ls_by_frame if n not in ts)
    res.frames_only_ts = sum(1 for n in ts if n not in ls_by_frame)

    for num in sorted(ls_by_frame):
        if num not in ts:
            continue
        obj, trow = ls_by_frame[num], ts[num]
        gap = coverage_gap(obj.get("frame.protocols"), trow.get("frame.protocols", ""))
        for f in ts_fields:
            st = res.fields.setdefault(f, FieldStats())
            lv = ls_values(obj[f]) if f in obj else None
            tcell = trow.get(f, "")
            if lv is None:
                if tcell != "":
                    st.only_ts += 1
                continue
            lcell = render(lv)
            if tcell == "" and lcell != "":
                st.only_ls += 1
                continue
            if lcell != tcell and gap and f in COVERAGE_FIELDS:
                st.coverage += 1
                continue
            st.compared += 1
            if lcell == tcell:
                st.agree += 1
                continue
            k = find_known(cfg.known, f, path)
            if k is not None:
                st.known += 1
                k.used += 1
            else:
                st.disagree += 1
            ex = res.examples.setdefault(f, [])
            if len(ex) < cfg.examples:
                ex.append(Example(path, num, json.dumps(lv if len(lv) > 1 else lv[0], ensure_ascii=False),
                                  show(tcell), k.reason if k else None))
        # Informational: columns and markers.
        for lname, tname in COLUMNS:
            c = res.info.setdefault(lname, Counter())
            lv = ls_values(obj[lname]) if lname in obj else None
            tcell = trow.get(tname, "")
            if lv is None:
                c["missing_ls"] += 1
                continue
            c["compared"] += 1
            if render(lv) == tcell:
                c["agree"] += 1
            else:
                ex = res.info_examples.setdefault(lname, [])
                if len(ex) < cfg.examples:
                    ex.append(Example(path, num, json.dumps(" ".join(lv), ensure_ascii=False), show(tcell), None))
        for m in MARKERS:
            c = res.info.setdefault(m, Counter())
            in_ls, in_ts = m in obj, trow.get(m, "") != ""
            c[{(True, True): "both", (True, False): "only_ls", (False, True): "only_ts"}.get((in_ls, in_ts), "neither")] += 1
            if in_ls != in_ts:
                ex = res.info_examples.setdefault(m, [])
                if len(ex) < cfg.examples:
                    ex.append(Example(path, num, json.dumps(obj.get(m), ensure_ascii=False), show(trow.get(m, "")), None))


def process(cfg, path: str, pre: tuple[CaptureResult, list[dict] | None] | None, extra: set[str]) -> CaptureResult:
    """Compare one capture; `pre` is layerscope's result when already run (--all-fields)."""
    t0 = time.monotonic()
    if pre is None:
        res = CaptureResult(path)
        ls_rows = run_layerscope(cfg, path, res)
    else:
        res, ls_rows = pre
    compare_capture(cfg, path, ls_rows, res, extra)
    res.seconds = time.monotonic() - t0
    return res


# ---------------------------------------------------------------- report


def build_report(cfg, results: list[CaptureResult], notes: list[str], elapsed: float) -> tuple[str, bool]:
    fields: dict[str, FieldStats] = {}
    examples: dict[str, list[Example]] = {}
    info: dict[str, Counter] = {}
    info_ex: dict[str, list[Example]] = {}
    for r in results:
        for f, s in r.fields.items():
            fields.setdefault(f, FieldStats()).add(s)
        for f, ex in r.examples.items():
            room = cfg.examples - len(examples.setdefault(f, []))
            examples[f].extend(ex[:max(room, 0)])
        for f, c in r.info.items():
            info.setdefault(f, Counter()).update(c)
        for f, ex in r.info_examples.items():
            room = cfg.examples - len(info_ex.setdefault(f, []))
            info_ex[f].extend(ex[:max(room, 0)])
    total = FieldStats()
    for s in fields.values():
        total.add(s)

    crashes = [r for r in results if r.crash]
    skipped = [r for r in results if r.skipped and not r.crash]
    unknown_names = sorted(f for f, s in fields.items() if s.unknown_name)
    bad_names = []  # unknown names not excused by the known file
    for f in unknown_names:
        caps = [r.path for r in results if r.fields.get(f) and r.fields[f].unknown_name]
        unexcused = [c for c in caps if not find_known(cfg.known, f, c)]
        if unexcused:
            bad_names.append((f, unexcused))
    failed = bool(crashes or total.disagree or bad_names)

    L: list[str] = []
    w = L.append
    w("# layerscope ⇄ tshark conformance\n")
    w(f"- layerscope: `{cfg.layerscope}`")
    w(f"- tshark: {cfg.tshark_version}")
    shown = " ".join(a.replace(AGGREGATOR, "\\x1f") for a in cfg.tshark_base)
    w(f"- tshark command: `{shown} -r FILE -e frame.number -e FIELD…` (one pass, as layerscope)")
    w("- reassembly is **disabled** on both sides (layerscope `--no-reassembly`): "
      + ", ".join(f"`{k}:{v}`" for k, v in cfg.prefs if v == "FALSE"))
    w("- both tools run with `TZ=UTC` (`frame.time` is local time in tshark)")
    w("- tshark options also set: " + ", ".join(f"`{k}:{v}`" for k, v in cfg.prefs if v != "FALSE"))
    w(f"- captures: {len(results)} ({len(skipped)} skipped: tshark cannot read them), "
      f"{len(crashes)} layerscope crash(es); {elapsed:.1f} s")
    w(f"- compared fields: what layerscope emitted per capture"
      + (" (union over all captures)" if cfg.all_fields else "")
      + (f", limited to `{','.join(cfg.fields)}`" if cfg.fields else "")
      + f"; skipped: {', '.join('`'+p+'`' for p in SKIP_PATTERNS + cfg.skip)}")
    w("")
    w(f"**Overall agreement: {pct(total.agree, total.compared)}** "
      f"({total.agree} of {total.compared} field values; {total.disagree} unknown and "
      f"{total.known} known disagreements; {total.only_ls} values only in layerscope, "
      f"{total.only_ts} only in tshark; {total.coverage} values where tshark decoded a "
      f"protocol layerscope has no decoder for)")
    w("")
    # Stream indices are compared like any field; named here because the
    # flows command and `follow` rest on them.
    streams = []
    for f in ("tcp.stream", "udp.stream"):
        s = fields.get(f)
        if s is not None:
            streams.append(f"`{f}` {s.agree} of {s.compared} agree ({s.disagree} unknown, "
                           f"{s.known} known disagreements; {s.only_ls} only in layerscope, "
                           f"{s.only_ts} only in tshark)")
    if streams:
        w("Stream indices: " + "; ".join(streams) + ". Conversations built on them: "
          "`scripts/flows_conformance.py`.")
        w("")
    w(f"**Result: {'FAIL' if failed else 'PASS'}**"
      + (f" — {total.disagree} unknown disagreement(s)" if total.disagree else "")
      + (f", {len(crashes)} crash(es)" if crashes else "")
      + (f", {len(bad_names)} field name(s) tshark does not know" if bad_names else ""))
    w("")
    for n in notes:
        w(f"- note: {n}")
    if notes:
        w("")

    if crashes:
        w("## layerscope crashes\n")
        for r in crashes:
            w(f"- `{r.path}`: {md_cell(r.crash, 400)}")
        w("")

    if unknown_names:
        w("## Field names tshark does not know\n")
        w(f"Not in `tshark -G fields` ({cfg.tshark_version}).\n")
        w("| field | packets | status |")
        w("|---|---:|---|")
        bad = dict(bad_names)
        for f in unknown_names:
            w(f"| `{f}` | {fields[f].unknown_name} | {'**unknown**: ' + ', '.join(os.path.basename(c) for c in bad[f][:5]) if f in bad else 'known'} |")
        w("")

    w("## Per field\n")
    w("| field | compared | agree | disagree | known | agreement | only layerscope | only tshark |")
    w("|---|---:|---:|---:|---:|---:|---:|---:|")
    for f in sorted(fields):
        s = fields[f]
        if s.unknown_name and not (s.compared or s.only_ts or s.only_ls):
            continue
        mark = " ❌" if s.disagree else ""
        w(f"| `{f}`{mark} | {s.compared} | {s.agree} | {s.disagree} | {s.known} | "
          f"{pct(s.agree, s.compared)} | {s.only_ls} | {s.only_ts} |")
    w("")

    w("## Per capture\n")
    w("| capture | ls exit | frames ls/tshark | compared | agree | disagree | known | agreement | only ls | only tshark | note |")
    w("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in results:
        t = r.total()
        note = r.crash or r.skipped or "; ".join(r.notes)
        if r.frames_only_ls or r.frames_only_ts:
            note = f"frames only in ls: {r.frames_only_ls}, only in tshark: {r.frames_only_ts}; " + note
        rc = "-" if r.ls_rc is None else str(r.ls_rc)
        w(f"| `{r.path}` | {rc} | {r.frames_ls}/{r.frames_ts} | {t.compared} | {t.agree} | {t.disagree} | "
          f"{t.known} | {pct(t.agree, t.compared)} | {t.only_ls} | {t.only_ts} | {md_cell(note, 200)} |")
    w("")

    dis = [f for f in sorted(fields) if examples.get(f)]
    if dis:
        w(f"## Disagreements (first {cfg.examples} per field)\n")
        for f in sorted(dis, key=lambda f: (fields[f].disagree == 0, f)):
            s = fields[f]
            w(f"### `{f}` — {s.disagree} unknown, {s.known} known\n")
            w("| capture | frame | layerscope | tshark | known |")
            w("|---|---:|---|---|---|")
            for e in examples[f]:
                w(f"| `{e.capture}` | {e.frame} | `{md_cell(e.ls)}` | `{md_cell(e.ts)}` | {md_cell(e.known or '')} |")
            w("")

    w("## Informational (not counted above)\n")
    w("Columns: layerscope `_ws.col.protocol`/`_ws.col.info` against tshark 4.0 "
      "`_ws.col.Protocol`/`_ws.col.Info`. Markers: presence of `_ws.malformed`/`_ws.short` "
      "in each tool's output for the same frame.\n")
    w("| metric | compared | agree | agreement | frames without it in layerscope |")
    w("|---|---:|---:|---:|---:|")
    for lname, _ in COLUMNS:
        c = info.get(lname, Counter())
        w(f"| `{lname}` | {c['compared']} | {c['agree']} | {pct(c['agree'], c['compared'])} | {c['missing_ls']} |")
    w("")
    w("| marker | both | only layerscope | only tshark | neither |")
    w("|---|---:|---:|---:|---:|")
    for m in MARKERS:
        c = info.get(m, Counter())
        w(f"| `{m}` | {c['both']} | {c['only_ls']} | {c['only_ts']} | {c['neither']} |")
    w("")
    for f in [l for l, _ in COLUMNS] + MARKERS:
        if info_ex.get(f):
            w(f"First differences for `{f}`:\n")
            w("| capture | frame | layerscope | tshark |")
            w("|---|---:|---|---|")
            for e in info_ex[f]:
                w(f"| `{e.capture}` | {e.frame} | `{md_cell(e.ls)}` | `{md_cell(e.ts)}` |")
            w("")

    unused = [k for k in cfg.known if not k.used and not any(
        k.matches(f, r.path) for f in unknown_names for r in results)]
    if unused and cfg.known_path:
        w("## Known entries that matched nothing\n")
        for k in unused:
            w(f"- {cfg.known_path}:{k.line}: `{k.field}` `{k.capture}` ({k.reason})")
        w("")
    return "\n".join(L), failed


def short_summary(report: str) -> str:
    """Everything up to the per-field table, plus failures: for --quiet."""
    keep, skip = [], False
    for line in report.splitlines():
        if line.startswith("## "):
            skip = not (line.startswith("## layerscope crashes") or line.startswith("## Field names"))
        if not skip:
            keep.append(line)
    return "\n".join(keep)


# ---------------------------------------------------------------- main


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("inputs", nargs="*", metavar="CAPTURE_OR_DIR",
                    help="captures or directories (searched recursively for *.pcap, *.pcapng, *.cap); "
                    f"default: {' '.join(DEFAULT_INPUTS)}")
    ap.add_argument("--layerscope", help="layerscope binary (default: $LAYERSCOPE, "
                    "$CARGO_TARGET_DIR or target/{release,debug}/layerscope, then PATH)")
    ap.add_argument("--tshark", default=os.environ.get("TSHARK", "tshark"))
    ap.add_argument("--known", default="scripts/conformance_known.tsv",
                    help="known disagreements: field<TAB>capture-glob<TAB>reason (default: %(default)s)")
    ap.add_argument("--report", help="write a markdown report to FILE")
    ap.add_argument("--fields", help="comma-separated fields or globs to compare (e.g. ip.*,tcp.srcport); "
                    "literal names are asked of tshark even where layerscope does not emit them")
    ap.add_argument("--skip", default="", help="comma-separated field globs never compared")
    ap.add_argument("--all-fields", action="store_true",
                    help="ask tshark, for every capture, for the union of fields layerscope emitted "
                    "anywhere (shows what layerscope misses where it emits nothing of a protocol)")
    ap.add_argument("--tshark-pref", action="append", default=[], metavar="KEY:VALUE",
                    help="extra tshark -o preference (repeatable; overrides the defaults)")
    ap.add_argument("--examples", type=int, default=5, help="disagreements shown per field (default 5)")
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("-q", "--quiet", action="store_true",
                    help="print only the summary (and crashes) on stdout; the report keeps everything")
    args = ap.parse_args()

    cfg = argparse.Namespace()
    cfg.layerscope = args.layerscope or default_layerscope()
    if shutil.which(args.tshark) is None:
        print(f"conformance: tshark not found ({args.tshark})", file=sys.stderr)
        return 2
    if shutil.which(cfg.layerscope) is None and not os.access(cfg.layerscope, os.X_OK):
        print(f"conformance: layerscope not found ({cfg.layerscope}); build it or pass --layerscope",
              file=sys.stderr)
        return 2
    cfg.known_path = args.known if os.path.exists(args.known) else None
    if args.known != ap.get_default("known") and not cfg.known_path:
        print(f"conformance: {args.known}: no such file", file=sys.stderr)
        return 2
    cfg.known = load_known(cfg.known_path)
    cfg.fields = [f.strip() for f in args.fields.split(",") if f.strip()] if args.fields else None
    cfg.skip = [f.strip() for f in args.skip.split(",") if f.strip()]
    cfg.examples = max(args.examples, 0)
    cfg.all_fields = args.all_fields
    prefs = dict(TSHARK_PREFS)
    for p in args.tshark_pref:
        k, sep, v = p.partition(":")
        if not sep:
            ap.error(f"--tshark-pref {p}: expected KEY:VALUE")
        prefs[k] = v
    cfg.prefs = list(prefs.items())
    cfg.env = dict(os.environ, TZ="UTC", LC_ALL="C.UTF-8")
    cfg.tshark_base = [args.tshark, "-n"]
    for k, v in cfg.prefs:
        cfg.tshark_base += ["-o", f"{k}:{v}"]
    cfg.tshark_base += ["-T", "fields", "-E", "header=y", "-E", "separator=/t", "-E", "occurrence=a",
                        "-E", f"aggregator={AGGREGATOR}", "-E", "quote=n"]
    ver = subprocess.run([args.tshark, "--version"], capture_output=True, text=True).stdout
    m = re.search(r"\d+\.\d+\.\d+", ver)
    cfg.tshark_version = f"tshark {m.group(0)}" if m else "tshark (unknown version)"

    t0 = time.monotonic()
    inputs = args.inputs or DEFAULT_INPUTS
    caps, notes = find_captures(inputs)
    if not args.inputs:
        notes = [n for n in notes if not n.startswith("fixtures")]  # optional until fixtures exist
    if not caps:
        print("conformance: no captures found in " + " ".join(inputs), file=sys.stderr)
        return 2
    cfg.tshark_names = tshark_field_names(args.tshark)
    literal = {f for f in (cfg.fields or []) if not has_glob(f) and want_field(cfg, f)}

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(args.jobs, 1)) as pool:
        if cfg.all_fields:
            def ls_only(p):
                r = CaptureResult(p)
                return r, run_layerscope(cfg, p, r)
            pre = list(pool.map(ls_only, caps))
            union = set(literal)
            for _, rows in pre:
                for o in rows or []:
                    union.update(k for k in o if want_field(cfg, k))
            results = list(pool.map(lambda pr: process(cfg, pr[0].path, pr, union), pre))
        else:
            results = list(pool.map(lambda p: process(cfg, p, None, literal), caps))

    report, failed = build_report(cfg, results, notes, time.monotonic() - t0)
    print(short_summary(report) if args.quiet else report)
    if args.report:
        with open(args.report, "w", encoding="utf-8") as f:
            f.write(report + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
