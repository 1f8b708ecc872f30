#!/usr/bin/env python3
"""Display-filter conformance: for each filter and capture, the number of
packets `layerscope read --no-reassembly -Y F` prints must equal the number
`tshark -n -r CAP -Y F` prints (reassembly off on both sides, same prefs as
scripts/conformance.py). Lists every (filter, capture) pair that differs;
exit status 1 if any does.

    python3 scripts/filter_conformance.py [--layerscope PATH] [CAPTURE_OR_DIR...]
"""
import argparse, concurrent.futures, os, subprocess, sys

sys.path.insert(0, os.path.dirname(__file__))
from conformance import TSHARK_PREFS  # noqa: E402

DEFAULT_INPUTS = ["fixtures", "../shared/corpus/tcpdump", "../shared/corpus/zeek/traces"]
EXTS = (".pcap", ".pcapng", ".cap")

FILTERS = [
    # protocols as existence tests
    "tcp", "udp", "arp", "dns", "icmp", "icmpv6", "ipv6", "ip", "eth", "tls", "http",
    "ftp", "ftp-data", "dhcp", "ntp", "vlan", "sll", "ssh", "telnet",
    "tcp && !http", "not tcp", "ip or arp", "!(udp || tcp)",
    # integers, hex, comparisons and their word spellings
    "tcp.port == 80", "tcp.port == 443", "tcp.port eq 0x50", "udp.port == 53",
    "tcp.dstport != 80", "ip.ttl < 64", "ip.ttl le 64", "ip.ttl > 64", "ip.ttl ge 128",
    "ip.proto == 17", "frame.len > 1000", "frame.len <= 60", "frame.number <= 10",
    "frame.number > 5 and frame.number lt 20", "ip.len gt 500", "tcp.window_size_value < 1000",
    "tcp.flags.syn == 1", "tcp.flags.syn == 1 && tcp.flags.ack == 0", "tcp.flags.reset == 1",
    "tcp.flags.fin == 1", "tcp.flags == 0x002", "tcp.flags.push == 1",
    "ip.flags.df == 1", "ip.flags.mf == 1", "icmp.type == 8", "icmpv6.type == 135",
    "dns.flags.response == 1", "dns.qry.type == 28", "dns.count.answers > 2",
    "udp.length < 30", "ipv6.hlim == 255", "ipv6.nxt == 58",
    # sets and ranges
    "tcp.port in {80, 443, 8000..8100}", "udp.port in {53, 67, 68, 123}",
    "ip.ttl in {1..10}", "frame.len in {60..100, 1500}", "ip.src in {10.0.0.0/8, 192.168.0.0/16}",
    # addresses and subnets
    "ip.addr == 10.0.0.0/8", "ip.src == 192.168.0.0/16", "ip.dst == 255.255.255.255",
    "ip.addr == 127.0.0.1", "ip.src != 10.0.0.0/8", "ipv6.addr == fe80::/10",
    "ipv6.dst == ff02::1", "ipv6.src == ::1", "ip.src > 100.0.0.0",
    # MACs, slices, bytes
    "eth.dst == ff:ff:ff:ff:ff:ff", "eth.addr == ff:ff:ff:ff:ff:ff", "eth.src[0:3] == 00:00:0c",
    "eth.dst[0] == 01", "eth.src[0:1] == 00", "eth.type == 0x86dd", "eth.type == 0x0806",
    "tcp.payload contains 47:45:54", "tcp.payload contains \"HTTP\"", "udp.payload[0:2] == 00:00",
    "tcp.payload[0:4] == \"GET \"",
    # strings, contains, matches
    "http.request.method == \"GET\"", "http.request.method == GET", "http.request.method != \"GET\"",
    "http.host contains \"www\"", "http.request.uri matches \"\\\\.(gif|jpg|png)$\"",
    "http.user_agent matches \"(?i)mozilla\"", "http.server contains \"Apache\"",
    "dns.qry.name contains \"google\"", "dns.qry.name matches \"^www\\\\.\"",
    "dns.qry.name == \"www.google.com\"", "dns.qry.name matches \"(?i)ARPA$\"",
    "ftp.request.command == \"USER\"", "tls.handshake.type == 1",
    "tls.handshake.extensions_server_name contains \"com\"",
    # time
    "frame.time_relative < 1", "frame.time_relative >= 10.5",
    # combinations and precedence
    "tcp.port == 80 or udp.port == 53 and ip.ttl > 10", "(tcp.port == 80 or udp.port == 53) and ip.ttl > 10",
    "ip and not (tcp.port == 80 || udp)", "tcp.srcport > 1023 && tcp.dstport < 1024",
    "!(ip.src == 10.0.0.0/8) && ip", "tcp.analysis.retransmission",
]


def captures(paths):
    out = []
    for p in paths:
        if os.path.isdir(p):
            for root, _, files in os.walk(p):
                out += [os.path.join(root, f) for f in files if f.endswith(EXTS)]
        elif os.path.isfile(p):
            out.append(p)
    return sorted(out)


def count(cmd):
    try:
        r = subprocess.run(cmd, capture_output=True, timeout=300)
    except subprocess.TimeoutExpired:
        return None
    if r.returncode not in (0, 2):
        return ("error", r.returncode, r.stderr.decode(errors="replace")[-300:])
    return r.stdout.count(b"\n")


PREFS = [a for k, v in TSHARK_PREFS for a in ("-o", f"{k}:{v}")]


def tshark_one(flt, cap):
    return count(["tshark", "-n", *PREFS, "-r", cap, "-Y", flt, "-T", "fields", "-e", "frame.number"])


def tshark_all(filters, cap):
    """Counts for every filter in one tshark pass (one io,stat tap each);
    filters with commas (io,stat's separator) run alone."""
    res = {}
    taps = [f for f in filters if "," not in f]
    args = [a for f in taps for a in ("-z", f"io,stat,0,{f}")]
    try:
        r = subprocess.run(["tshark", "-n", *PREFS, "-r", cap, "-q", *args],
                           capture_output=True, timeout=600, text=True, errors="replace")
        col = None
        for line in r.stdout.splitlines():
            line = line.strip()
            if line.startswith("| Col 1: "):
                col = line[len("| Col 1: "):].rstrip("|").strip()
            elif col is not None and "<>" in line:
                cells = [c.strip() for c in line.strip("|").split("|")]
                if col in taps and len(cells) >= 2 and cells[1].isdigit():
                    res[col] = int(cells[1])
                col = None
    except subprocess.TimeoutExpired:
        pass
    for f in filters:
        if f not in res:
            res[f] = tshark_one(f, cap)
    return res


def ls_one(ls, flt, cap):
    return count([ls, "read", "--no-reassembly", "--format", "jsonl", "-e", "frame.number",
                  "-Y", flt, cap])


def one(ls, filters, cap):
    t = tshark_all(filters, cap)
    return [(f, cap, t[f], ls_one(ls, f, cap)) for f in filters]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--layerscope", default=os.path.join(os.environ.get("CARGO_TARGET_DIR", "target"), "release/layerscope"))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("inputs", nargs="*")
    a = ap.parse_args()
    caps = captures(a.inputs or DEFAULT_INPUTS)
    probe = caps[0]
    args = [a for f in FILTERS if "," not in f for a in ("-z", f"io,stat,0,{f}")]
    r = subprocess.run(["tshark", "-n", "-r", probe, "-q", *args], capture_output=True, text=True)
    invalid = [ln for ln in r.stderr.splitlines() if "is invalid" in ln]
    invalid += [f for f in FILTERS if "," in f and not isinstance(tshark_one(f, probe), int)]
    if invalid:
        print(f"filters tshark rejects (fix the list): {invalid}")
        return 1
    bad = {}
    matched = {}
    with concurrent.futures.ThreadPoolExecutor(a.jobs) as ex:
        rows = [r for rs in ex.map(lambda c: one(a.layerscope, FILTERS, c), caps) for r in rs]
        for flt, cap, t, l in rows:
            if isinstance(t, int):
                matched[flt] = matched.get(flt, 0) + t
            if t != l:
                bad.setdefault(flt, []).append((cap, t, l))
    ok = [f for f in FILTERS if f not in bad]
    for f, items in bad.items():
        print(f"DIFFERS {f!r}: {len(items)} capture(s)")
        for cap, t, l in items[:5]:
            print(f"    {cap}: tshark {t}, layerscope {l}")
    print(f"{len(ok)}/{len(FILTERS)} filters agree with tshark on all {len(caps)} captures "
          f"({sum(matched.values())} matching packets in all)")
    never = [f for f in FILTERS if matched.get(f, 0) == 0]
    if never:
        print(f"filters matching no packet anywhere: {never}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
