#!/usr/bin/env python3
"""Compares `layerscope flows` with Zeek's conn.log baselines.

../shared/corpus/zeek/INDEX.tsv names, for each capture, the btest
baselines made from it; those with a conn.log are compared here. The
baselines' timestamps are masked (XXXXXXXXXX.XXXXXX), so a conn.log entry
is matched with layerscope's row by its 5-tuple (either direction; several
rows of one tuple in order). For each match:

- packets: orig_pkts / resp_pkts against layerscope's packets from the
  endpoint Zeek calls the originator and from the other one;
- IP bytes: orig_ip_bytes / resp_ip_bytes against the IP lengths
  (ip.len, or ipv6.plen + 40) of the same frames, summed from `layerscope
  read` (flows counts frame bytes, link headers included);
- state: conn_state mapped to layerscope's TCP state (UDP: which sides
  sent anything);
- duration: within a microsecond (Zeek prints six decimals). Zeek's
  clock stops at the closing FIN of a connection closed both ways; ours
  (as tshark's) at its last packet, usually the final ACK. Durations that
  differ only so are counted apart, not as disagreements;
- initiator: whether Zeek's originator is layerscope's initiator (Zeek may
  flip it by port, e.g. DHCP).

Exit status 0 unless --strict and something disagrees (test.sh passes
--strict: every figure agrees on the baselines there are), 2 when
layerscope cannot be run. Python 3 standard library only. Run from the
project root:

    python3 scripts/connlog_compare.py [--layerscope PATH] [--corpus DIR] [-v]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import subprocess
import sys

# Zeek conn_state -> the layerscope TCP states it is consistent with.
TCP_STATES = {
    "S0": {"attempt"},  # SYN, no reply
    "S1": {"established"},  # handshake, no FIN/RST
    "SF": {"closed"},  # handshake (or not) and FIN both ways
    "REJ": {"reset"},  # SYN answered by RST
    "S2": {"half-closed"},  # established, FIN from the originator only
    "S3": {"half-closed"},  # established, FIN from the responder only
    "RSTO": {"reset"},
    "RSTR": {"reset"},
    "RSTOS0": {"reset"},
    "RSTRH": {"reset"},
    "SH": {"half-closed"},  # SYN then FIN from the originator, no SYN-ACK
    "SHR": {"half-closed"},  # SYN-ACK then FIN from the responder, no SYN
    "OTH": {"open"},  # no SYN: midstream
}


def conn_logs(corpus):
    """(capture path, conn.log path) from INDEX.tsv."""
    index = os.path.join(corpus, "INDEX.tsv")
    with open(index, encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        col = header.index("zeek_reference_outputs")
        for line in f:
            t = line.rstrip("\n").split("\t")
            if len(t) <= col:
                continue
            for d, files in re.findall(r"baseline/([^/\s]+)/ \(([^)]*)\)", t[col]):
                if "conn.log" in [x.strip() for x in files.split(",")]:
                    yield os.path.join(corpus, t[0]), os.path.join(corpus, "baseline", d, "conn.log")


def read_conn_log(path):
    fields, rows = None, []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("#fields"):
                fields = line.split("\t")[1:]
            elif line.startswith("#") or not line or fields is None:
                continue
            else:
                rows.append(dict(zip(fields, line.split("\t"))))
    return rows


def run(exe, args):
    out = subprocess.run([exe, *args], capture_output=True, text=True, timeout=300)
    if out.returncode not in (0, 2):
        raise RuntimeError(f"layerscope {' '.join(args)}: exit {out.returncode}: {out.stderr[-300:]}")
    return [json.loads(l) for l in out.stdout.splitlines() if l.strip()]


def per_frame(exe, path):
    """From `layerscope read`: {(transport, stream): {(src, sport): IP bytes}}
    and {(transport, stream): [(time, tcp flags), ...]}."""
    acc = collections.defaultdict(collections.Counter)
    times = collections.defaultdict(list)
    fields = ["tcp.stream", "udp.stream", "ip.src", "ipv6.src", "tcp.srcport", "udp.srcport", "ip.len", "ipv6.plen",
              "frame.time_epoch", "tcp.flags.str"]
    args = ["read", "--format", "jsonl"]
    for f in fields:
        args += ["-e", f]
    for r in run(exe, args + [path]):

        def first(k):
            v = r.get(k)
            return v[0] if isinstance(v, list) else v

        for proto, sk, pk in (("TCP", "tcp.stream", "tcp.srcport"), ("UDP", "udp.stream", "udp.srcport")):
            if first(sk) is None:
                continue
            if first("ip.len") is not None:
                src, n = first("ip.src"), int(first("ip.len"))
            elif first("ipv6.plen") is not None:
                src, n = first("ipv6.src"), int(first("ipv6.plen")) + 40
            else:
                continue
            acc[(proto, int(first(sk)))][(src, str(first(pk)))] += n
            times[(proto, int(first(sk)))].append((float(first("frame.time_epoch")), first("tcp.flags.str") or ""))
            break
    return acc, times


def until_last_fin(frames):
    """Seconds from the first frame to the last FIN, when both sides sent
    one: Zeek's duration for a closed connection (the final ACK after the
    closing FIN does not extend it)."""
    fins = [t for t, f in frames if f.endswith("F")]
    return fins[-1] - frames[0][0] if len(fins) >= 2 else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--layerscope", default=os.environ.get("LAYERSCOPE", "target/release/layerscope"))
    ap.add_argument("--corpus", default="../shared/corpus/zeek")
    ap.add_argument("--strict", action="store_true", help="exit 1 when anything disagrees")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every entry, not only differences")
    args = ap.parse_args()
    if not os.access(args.layerscope, os.X_OK):
        print(f"connlog_compare: layerscope not found ({args.layerscope})", file=sys.stderr)
        return 2
    if not os.path.exists(os.path.join(args.corpus, "INDEX.tsv")):
        print(f"connlog_compare: no {args.corpus}/INDEX.tsv; nothing compared")
        return 0

    c = collections.Counter()
    for cap, log in conn_logs(args.corpus):
        if not (os.path.exists(cap) and os.path.exists(log)):
            continue
        c["captures"] += 1
        ours = collections.defaultdict(list)
        for r in run(args.layerscope, ["flows", "--format", "jsonl", "--no-progress", cap]):
            if r["stream"] is None:
                continue
            a, b = (r["src"], str(r["sport"])), (r["dst"], str(r["dport"]))
            key = (r["transport"].lower(), *sorted([a, b]))
            ours[key].append(r)
        ipb, times = per_frame(args.layerscope, cap)
        lines = []
        for z in read_conn_log(log):
            c["entries"] += 1
            orig = (z["id.orig_h"], z["id.orig_p"])
            resp = (z["id.resp_h"], z["id.resp_p"])
            name = f"{z['proto']} {orig[0]}:{orig[1]} -> {resp[0]}:{resp[1]} {z['conn_state']}"
            lst = ours.get((z["proto"], *sorted([orig, resp])))
            if not lst:
                c["unmatched"] += 1
                lines.append(f"  {name}: no layerscope row")
                continue
            r = lst.pop(0)
            c["matched"] += 1
            flip = (r["src"], str(r["sport"])) != orig
            o, p = (1, 0) if flip else (0, 1)
            pk = [r["packets_ab"], r["packets_ba"]]
            bad = []
            if flip:
                c["initiator_flipped"] += 1
                bad.append("note: Zeek's originator is our responder (Zeek orients by well-known port)")
            got = (pk[o], pk[p])
            want = (int(z["orig_pkts"]), int(z["resp_pkts"]))
            c["pkts_agree" if got == want else "pkts_differ"] += 1
            if got != want:
                bad.append(f"packets ours {got} zeek {want}")
            ib = ipb.get((r["transport"], r["stream"]), {})
            got = (ib.get(orig, 0), ib.get(resp, 0))
            want = (int(z["orig_ip_bytes"]), int(z["resp_ip_bytes"]))
            c["ip_bytes_agree" if got == want else "ip_bytes_differ"] += 1
            if got != want:
                bad.append(f"IP bytes ours {got} zeek {want}")
            st = z["conn_state"]
            if z["proto"] == "tcp":
                ok = r["state"] in TCP_STATES.get(st, set())
                mine = r["state"]
            else:
                sent = (pk[o] > 0, pk[p] > 0)
                mine = {(True, True): "SF", (True, False): "S0", (False, True): "SHR"}.get(sent, "OTH")
                ok = mine == st
            c["state_agree" if ok else "state_differ"] += 1
            if not ok:
                bad.append(f"state ours {mine} zeek {st}")
            if z["duration"] == "-":
                ok = r["duration"] == "0.000000000" or float(r["duration"]) == 0
                dz = "-"
            else:
                ok = abs(float(r["duration"]) - float(z["duration"])) <= 1.5e-6
                dz = z["duration"]
            if ok:
                c["duration_agree"] += 1
            else:
                fin = until_last_fin(times.get((r["transport"], r["stream"]), []))
                if dz != "-" and fin is not None and abs(fin - float(dz)) <= 1.5e-6:
                    c["duration_to_fin"] += 1
                    if args.verbose:
                        bad.append(f"duration ours {float(r['duration']):.6f} zeek {dz} (= to the last FIN)")
                else:
                    c["duration_differ"] += 1
                    bad.append(f"duration ours {float(r['duration']):.6f} zeek {dz}")
            if bad or args.verbose:
                lines.append(f"  {name}: " + ("; ".join(bad) if bad else "agree"))
        if lines:
            print(f"{cap} ({os.path.relpath(log, args.corpus)}):")
            print("\n".join(lines))

    m = c["matched"]
    print(
        f"conn.log comparison: {c['captures']} captures, {c['entries']} Zeek connections, {m} matched "
        f"({c['unmatched']} not); packets {c['pkts_agree']}/{m}, IP bytes {c['ip_bytes_agree']}/{m}, "
        f"state {c['state_agree']}/{m}, duration {c['duration_agree']}/{m} agree "
        f"(+{c['duration_to_fin']} where Zeek stops at the closing FIN and we at the final ACK); "
        f"{c['initiator_flipped']} with Zeek's originator as our responder"
    )
    differ = c["unmatched"] + c["pkts_differ"] + c["ip_bytes_differ"] + c["state_differ"] + c["duration_differ"]
    return 1 if args.strict and differ else 0


if __name__ == "__main__":
    sys.exit(main())
