#!/usr/bin/env python3
"""Display-filter conformance: for each filter and capture, the number of
packets `layerscope read --no-reassembly -Y F` prints must equal the number
`tshark -n -r CAP -Y F` prints (reassembly off on both sides, same prefs as
scripts/conformance.py).

tshark runs once per capture: a small Lua script registers one tap per filter
and prints each tap's packet count (a tap's filter selects the same frames as
-Y in a single pass; `--verify N` checks this against per-filter -Y runs on N
captures). `io,stat` cannot carry filters with commas (tshark 4.0 sets need
them), hence Lua; without Lua the script falls back to one -Y run per filter.
layerscope runs once per (filter, capture); it starts in a few milliseconds.

Differences listed in scripts/filter_conformance_known.tsv are reported as
known; any other difference fails the run (exit status 1).

    python3 scripts/filter_conformance.py [--layerscope PATH] [--jobs N]
        [--known FILE] [--verify N] [CAPTURE_OR_DIR...]
"""
import argparse
import concurrent.futures
import fnmatch
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from conformance import TSHARK_PREFS, path_tails  # noqa: E402

DEFAULT_INPUTS = ["fixtures", "../shared/corpus/tcpdump", "../shared/corpus/zeek/traces", "../shared/corpus-links"]
DEFAULT_KNOWN = os.path.join(os.path.dirname(__file__), "filter_conformance_known.tsv")
EXTS = (".pcap", ".pcapng", ".cap")
TIMEOUT = 300

FILTERS = [
    # protocols as existence tests
    "tcp", "udp", "arp", "dns", "icmp", "icmpv6", "ipv6", "ip", "eth", "tls", "http",
    "ftp", "ftp-data", "dhcp", "ntp", "vlan", "sll", "ssh", "telnet",
    "tcp && !http", "not tcp", "ip or arp", "!(udp || tcp)",
    # integers, hex, octal, comparisons and their word spellings
    "tcp.port == 80", "tcp.port == 443", "tcp.port eq 0x50", "udp.port == 53", "udp.port ne 53",
    "tcp.dstport != 80", "ip.ttl < 64", "ip.ttl le 64", "ip.ttl > 64", "ip.ttl ge 128",
    "ip.proto == 17", "frame.len > 1000", "frame.len <= 60", "frame.number <= 10",
    "frame.number > 5 and frame.number lt 20", "ip.len gt 500", "tcp.window_size_value < 1000",
    "frame.len >= 0x40", "frame.len == 074", "tcp.seq == 1",
    # tcp.flags bits and booleans
    "tcp.flags.syn == 1", "tcp.flags.syn == 1 && tcp.flags.ack == 0", "tcp.flags.reset == 1",
    "tcp.flags.fin == 1", "tcp.flags == 0x002", "tcp.flags.push == 1", "tcp.flags.urg == 1",
    "tcp.flags.ece == 1", "tcp.flags.cwr == 1", "tcp.flags.ack == False", "tcp.flags.syn == True",
    "tcp.len > 0 and !tcp.flags.push",
    "ip.flags.df == 1", "ip.flags.mf == 1", "icmp.type == 8", "icmpv6.type == 135",
    "dns.flags.response == 1", "dns.qry.type == 28", "dns.count.answers > 2",
    "udp.length < 30", "ipv6.hlim == 255", "ipv6.nxt == 58",
    # sets and ranges
    "tcp.port in {80, 443, 8000..8100}", "udp.port in {53, 67, 68, 123}",
    "ip.ttl in {1..10}", "frame.len in {60..100, 1500}", "ip.src in {10.0.0.0/8, 192.168.0.0/16}",
    # addresses and subnets; pair fields and repeated fields (ICMP errors
    # quote an IP header: ip.src occurs twice)
    "ip.addr == 10.0.0.0/8", "ip.src == 192.168.0.0/16", "ip.dst == 255.255.255.255",
    "ip.addr == 127.0.0.1", "ip.src != 10.0.0.0/8", "ipv6.addr == fe80::/10",
    "ipv6.dst == ff02::1", "ipv6.src == ::", "ip.src > 100.0.0.0",
    "ip.addr != 192.0.2.10", "ipv6.addr == 2001:db8::/32", "icmp && ip.src == 198.51.100.20",
    "ip.dst == 198.51.100.20 && !(tcp || udp)", "icmp.type == 3 && udp.dstport >= 33434",
    # MACs, slices, bytes
    "eth.dst == ff:ff:ff:ff:ff:ff", "eth.addr == ff:ff:ff:ff:ff:ff", "eth.src[0:3] == 24:84:3f",
    "eth.src[0:3] == 00:00:5e", "eth.addr == 00:00:5e:00:53:01", "eth.src[-1] == 01",
    "eth.dst[0] == 01", "eth.src[0:1] == 00", "eth.type == 0x86dd", "eth.type == 0x0806",
    "tcp.payload contains 47:45:54", "tcp.payload contains \"HTTP\"", "udp.payload[0:2] == 00:00",
    "tcp.payload[0:4] == \"GET \"", "tcp.payload contains \"\\r\\n\\r\\n\"",
    # strings (with escapes), contains, matches
    "http.request.method == \"GET\"", "http.request.method == GET", "http.request.method != \"GET\"",
    "http.request.method == \"\\x47ET\"", "http.request.method == \"\\107ET\"",
    "http.host contains \"www\"", "http.request.uri matches \"\\\\.(gif|jpg|png|html?|txt)$\"",
    "http.user_agent matches \"(?i)(mozilla|curl|wget)\"", "http.server contains \"Apache\"",
    "dns.qry.name contains \"google\"", "dns.qry.name matches \"^www\\\\.\"",
    "dns.qry.name == \"example.com\"", "dns.qry.name matches \"(?i)ARPA$\"",
    "dns.qry.name contains \"\\x2e\"",
    "ftp.request.command == \"USER\"", "tls.handshake.type == 1",
    "tls.handshake.extensions_server_name contains \".\"",
    # time
    "frame.time_relative < 1", "frame.time_relative >= 10.5", "frame.time_relative > 0.5",
    # combinations and precedence
    "tcp.port == 80 or udp.port == 53 and ip.ttl > 10", "(tcp.port == 80 or udp.port == 53) and ip.ttl > 10",
    "ip and not (tcp.port == 80 || udp)", "tcp.srcport > 1023 && tcp.dstport < 1024",
    "!(ip.src == 10.0.0.0/8) && ip", "tcp.analysis.retransmission",
    # QUIC and SSDP
    "quic", "quic.long.packet_type == 0", "quic.long.packet_type == 3", "quic.header_form == 0",
    "quic.version == 0x00000001", "quic.frame_type == 6", "quic.scid", "quic.supported_version",
    "tls.handshake.type == 1 && quic", 'tls.handshake.extensions_server_name contains "local"',
    'tls.handshake.extensions_alpn_str == "h3"', "ssdp", 'http.request.method == "M-SEARCH"',
    'http.request.method == "NOTIFY"', "ssdp && http.response",
    # HTTP/2
    "http2", "http2.type == 1", "http2.type == 4 && http2.flags.ack.settings == 0",
    'http2.header.value contains "nghttp2"', "http2.streamid == 3", "http2.streamid == 13",
    'http2.headers.method == "POST"', "http2.headers.status == 200", 'http2.headers.path == "/big.txt"',
    "http2.settings.id == 3", "http2.window_update.window_size_increment > 0", "http2.magic",
    # tunnels: VXLAN, Geneve, GRE, ERSPAN, Cisco MetaData, NSH, PPPoE, L2TP, MPLS over UDP
    "vxlan", "geneve", "gre", "erspan", "cmd", "nsh", "pppoed", "pppoes", "l2tp", "gtp", "teredo",
    "vxlan.vni == 42", "vxlan.vni == 100", "geneve.vni == 10", "gre.key == 0x28", "gre.proto == 0x88be",
    "erspan.spanid == 100", "erspan.vlan == 20", "pppoe.session_id == 0x17", "l2tp.tunnel == 560",
    "vxlan && tcp", "gre && icmp", "udp.stream == 1", "ip.src == 10.97.0.1",
    # Wi-Fi: 802.11, radiotap and the other radio headers, EAPOL
    "wlan", "radiotap", "wlan_radio", "eapol", "ppi", "prism", "wlancap",
    "wlan.fc.type_subtype == 0x0004", "wlan.fc.type == 1", "wlan.fc.protected == 1",
    "wlan.addr == 90:a4:de:c0:46:11", "wlan.bssid == ff:ff:ff:ff:ff:ff", "wlan.ssid",
    "wlan.tag.number == 45", "wlan.qos.tid == 6", "radiotap.dbm_antsignal < -40",
    "radiotap.channel.freq == 2412", "wlan_radio.phy == 7", "wlan_radio.channel == 1",
    "eapol.type == 3", "eap.code == 2", "wlan_rsna_eapol.keydes.msgnr == 3",
]

# One tap per filter (filters come one per line from the file named by the
# script's argument); each prints "FC <index> <count>" when tshark draws taps.
LUA = r"""
local path = ...
local i = 0
for f in io.lines(path) do
  i = i + 1
  local idx = i
  local ok, l = pcall(Listener.new, nil, f)
  if ok then
    local n = 0
    function l.packet() n = n + 1 end
    function l.draw() io.write("FC\t", idx, "\t", n, "\n") end
  else
    io.write("FCERR\t", idx, "\t", (tostring(l):gsub("%s+", " ")), "\n")
  end
end
"""

PREFS = [a for k, v in TSHARK_PREFS for a in ("-o", f"{k}:{v}")]
ENV = dict(os.environ, TZ="UTC", LC_ALL="C.UTF-8")


def captures(paths):
    out = []
    for p in paths:
        if os.path.isdir(p):
            for root, _, files in os.walk(p):
                out += [os.path.normpath(os.path.join(root, f)) for f in files if f.endswith(EXTS)]
        elif os.path.isfile(p):
            out.append(os.path.normpath(p))
    return sorted(set(out))


def count(cmd):
    """Lines on stdout (one per packet), or an error tuple."""
    try:
        r = subprocess.run(cmd, capture_output=True, timeout=TIMEOUT, env=ENV)
    except subprocess.TimeoutExpired:
        return ("timeout",)
    # 2: input error after every packet before it was printed (both tools).
    if r.returncode not in (0, 2) or b"panicked" in r.stderr:
        return ("error", r.returncode, r.stderr.decode(errors="replace")[-300:])
    return r.stdout.count(b"\n")


def tshark_one(flt, cap):
    return count(["tshark", "-n", *PREFS, "-r", cap, "-Y", flt, "-T", "fields", "-e", "frame.number"])


class Tshark:
    def __init__(self, filters, tmp):
        self.filters = filters
        self.lua = os.path.join(tmp, "taps.lua")
        self.list = os.path.join(tmp, "filters.txt")
        with open(self.lua, "w") as f:
            f.write(LUA)
        with open(self.list, "w") as f:
            f.write("".join(x + "\n" for x in filters))

    def counts(self, cap):
        """{filter: count} from one tshark pass (per-filter -Y for any the
        Lua taps did not report: no Lua, or a tap that failed)."""
        res, errs = {}, {}
        cmd = ["tshark", "-n", *PREFS, "-r", cap, "-q",
               "-X", f"lua_script:{self.lua}", "-X", f"lua_script1:{self.list}"]
        try:
            r = subprocess.run(cmd, capture_output=True, timeout=TIMEOUT, text=True,
                               errors="replace", env=ENV)
            for line in r.stdout.splitlines():
                p = line.split("\t")
                if len(p) == 3 and p[0] == "FC" and p[1].isdigit() and p[2].isdigit():
                    res[self.filters[int(p[1]) - 1]] = int(p[2])
                elif len(p) == 3 and p[0] == "FCERR" and p[1].isdigit():
                    errs[self.filters[int(p[1]) - 1]] = p[2]
        except subprocess.TimeoutExpired:
            pass
        for f in self.filters:
            if f not in res:
                res[f] = tshark_one(f, cap)
        return res, errs


def ls_one(ls, flt, cap):
    return count([ls, "read", "--no-reassembly", "--format", "jsonl", "-e", "frame.number",
                  "-Y", flt, cap])


def load_known(path):
    out = []
    if not os.path.exists(path):
        return out
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            p = line.split("\t")
            if len(p) < 3 or not p[2].strip():
                sys.exit(f"{path}:{n}: expected filter<TAB>capture-glob<TAB>reason")
            out.append({"filter": p[0], "capture": p[1], "reason": p[2].strip(), "line": n, "used": 0})
    return out


def find_known(known, flt, cap):
    """The filter is matched exactly (filters hold glob characters); the
    capture glob as in conformance_known.tsv (path, any tail, file name)."""
    for k in known:
        if k["filter"] == flt and any(fnmatch.fnmatchcase(t, k["capture"]) for t in path_tails(cap)):
            return k
    return None


def run_capture(ls, tshark, filters, cap):
    t, errs = tshark.counts(cap)
    return cap, t, errs, {f: ls_one(ls, f, cap) for f in filters}


def verify(tshark, filters, caps):
    """Taps must count what -Y prints; returns the mismatches."""
    bad = []
    for cap in caps:
        t, _ = tshark.counts(cap)
        for f in filters:
            y = tshark_one(f, cap)
            if t[f] != y:
                bad.append((f, cap, t[f], y))
    return bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--layerscope", default=os.path.join(os.environ.get("CARGO_TARGET_DIR", "target"), "release/layerscope"))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--known", default=DEFAULT_KNOWN)
    ap.add_argument("--verify", type=int, default=0, metavar="N",
                    help="first check tap counts against per-filter tshark -Y on N captures (the largest)")
    ap.add_argument("-v", "--verbose", action="store_true", help="also list the known differences")
    ap.add_argument("inputs", nargs="*")
    a = ap.parse_args()
    start = time.monotonic()
    caps = captures(a.inputs or DEFAULT_INPUTS)
    if not caps:
        print("filter conformance: no captures found")
        return 1
    if len(set(FILTERS)) != len(FILTERS):
        print("filter conformance: duplicate filters in the list")
        return 1
    if not os.access(a.layerscope, os.X_OK):
        print(f"filter conformance: {a.layerscope} is not an executable (cargo build --release)")
        return 1
    known = load_known(a.known)
    # Largest first, so the two workers finish together.
    caps.sort(key=lambda c: -os.path.getsize(c))
    with tempfile.TemporaryDirectory(prefix="filter-conformance-") as tmp:
        tshark = Tshark(FILTERS, tmp)
        _, errs = tshark.counts(caps[-1])
        rejected = [f for f in FILTERS if f in errs or not isinstance(tshark_one(f, caps[-1]), int)] if errs else []
        if rejected:
            print(f"filters tshark rejects (fix the list): {rejected}")
            return 1
        if a.verify:
            bad = verify(tshark, FILTERS, caps[: a.verify])
            for f, cap, t, y in bad:
                print(f"TAP MISMATCH {f!r} {cap}: taps {t}, -Y {y}")
            print(f"verify: tap counts {'equal' if not bad else 'DIFFER from'} -Y for "
                  f"{len(FILTERS)} filters x {min(a.verify, len(caps))} captures")
            if bad:
                return 1
        with concurrent.futures.ThreadPoolExecutor(a.jobs) as ex:
            results = list(ex.map(lambda c: run_capture(a.layerscope, tshark, FILTERS, c), caps))

    agree = known_n = 0
    differ = {}  # filter -> [(cap, tshark, layerscope)]
    known_hits = []
    matched = {f: 0 for f in FILTERS}
    for cap, t, _, l in sorted(results):
        for f in FILTERS:
            if isinstance(t[f], int):
                matched[f] += t[f]
            if t[f] == l[f] and isinstance(t[f], int):
                agree += 1
                continue
            k = find_known(known, f, cap)
            if k and isinstance(l[f], int):
                k["used"] += 1
                known_n += 1
                known_hits.append((f, cap, t[f], l[f], k["reason"]))
            else:
                differ.setdefault(f, []).append((cap, t[f], l[f]))
    for f, items in differ.items():
        print(f"DIFFERS {f!r}: {len(items)} capture(s)")
        for cap, t, l in items[:8]:
            print(f"    {cap}: tshark {t}, layerscope {l}")
    if a.verbose:
        for f, cap, t, l, why in known_hits:
            print(f"known {f!r} {cap}: tshark {t}, layerscope {l} ({why})")
    for k in known:
        if not k["used"]:
            print(f"note: {a.known}:{k['line']} matched no difference (stale?)")
    never = [f for f in FILTERS if matched[f] == 0]
    if never:
        print(f"note: filters matching no packet anywhere: {never}")
    n_diff = sum(len(v) for v in differ.values())
    print(f"{len(FILTERS)} filters x {len(caps)} captures: {agree} agree, {known_n} known, "
          f"{n_diff} differ ({time.monotonic() - start:.0f} s)")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
