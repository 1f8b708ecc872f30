#!/usr/bin/env python3
"""Writes the seed inputs of the fuzz targets (see src/fuzz.rs) from real
captures: the project's fixtures and the tcpdump/Zeek/link test captures
beside the project.

    python3 scripts/fuzz_seeds.py OUTDIR [CAPTURE_OR_DIR...]

OUTDIR/capture_file/   small capture files as they are (pcap, pcapng, gzip)
OUTDIR/frame_sequence/ a capture's link type and frames in the targets'
                       format: 2-byte link type, then per frame a 2-byte
                       length and the bytes (big-endian)
OUTDIR/view_index/     the same format
OUTDIR/display_filter/ display filters, one per file

Python 3 standard library only.
"""

import gzip
import os
import struct
import sys

DEFAULT_INPUTS = ["fixtures", "../shared/corpus/tcpdump", "../shared/corpus/zeek/traces",
                  "../shared/corpus-links"]
EXTS = (".pcap", ".pcapng", ".cap")
MAX_FILE = 8 << 10  # capture_file seeds: small files fuzz faster
MAX_FRAMES = 48
MAX_SEEDS = 80


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


def pcap_frames(b):
    """(linktype, [frame bytes]) of a classic pcap or a pcapng (first
    interface's link type), or None."""
    if len(b) < 24:
        return None
    magic = b[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    elif magic == b"\x0a\x0d\x0d\x0a":
        return pcapng_frames(b)
    else:
        return None
    lt = struct.unpack(e + "I", b[20:24])[0] & 0xFFFF
    out, at = [], 24
    while at + 16 <= len(b) and len(out) < MAX_FRAMES:
        incl = struct.unpack(e + "I", b[at + 8:at + 12])[0]
        if incl > 0xFFFF:
            break
        out.append(b[at + 16:at + 16 + incl])
        at += 16 + incl
    return lt, out


def pcapng_frames(b):
    e = "<" if b[8:12] == b"\x4d\x3c\x2b\x1a" else ">"
    lt, out, at = None, [], 0
    while at + 12 <= len(b) and len(out) < MAX_FRAMES:
        ty, ln = struct.unpack(e + "II", b[at:at + 8])
        if ln < 12 or at + ln > len(b):
            break
        body = b[at + 8:at + ln - 4]
        if ty == 1 and lt is None and len(body) >= 2:
            lt = struct.unpack(e + "H", body[:2])[0]
        elif ty == 6 and len(body) >= 20:
            cap = struct.unpack(e + "I", body[12:16])[0]
            out.append(body[20:20 + min(cap, 0xFFFF)])
        elif ty == 3 and len(body) >= 4:
            out.append(body[4:4 + 0xFFFF])
        at += ln
    return (lt, out) if lt is not None else None


def sequence(lt, frames):
    return struct.pack(">H", lt & 0xFFFF) + b"".join(
        struct.pack(">H", len(f)) + f for f in frames)


FILTERS = [
    "tcp", "udp.port == 53", "ip.src == 10.0.0.1 && tcp.flags.syn == 1",
    'http.request.method == "GET"', "dns.qry.name contains \"example\"",
    "frame.len > 100 || icmp", "tcp[0:2] == 00:50", "eth.addr == ff:ff:ff:ff:ff:ff",
    "ipv6.dst == ff02::1", "ip.addr in {10.0.0.1 192.168.0.0/16}", "!(arp or dns)",
    "tcp.stream eq 1 and tcp.len > 0", 'frame matches "(?i)http"', "udp.payload[0:2] == 00:00",
    "tls.handshake.type == 1", "vxlan.vni == 100", "wlan.fc.type_subtype == 0x0008",
    "quic.long.packet_type == 0", "http2.headers.path contains \"/\"", "frame.time_delta > 0.5",
]


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = sys.argv[1]
    inputs = sys.argv[2:] or DEFAULT_INPUTS
    dirs = {t: os.path.join(out, t)
            for t in ("capture_file", "frame_sequence", "view_index", "display_filter")}
    for d in dirs.values():
        os.makedirs(d, exist_ok=True)
    files = seqs = 0
    seen_lt = {}
    for path in captures(inputs):
        try:
            with open(path, "rb") as f:
                b = f.read()
        except OSError:
            continue
        name = os.path.basename(path)
        if len(b) <= MAX_FILE and files < MAX_SEEDS:
            with open(os.path.join(dirs["capture_file"], name), "wb") as f:
                f.write(b)
            files += 1
        parsed = pcap_frames(b)
        if not parsed or not parsed[1] or seqs >= MAX_SEEDS:
            continue
        lt, frames = parsed
        # Every link type, then more captures of the common ones.
        if seen_lt.get(lt, 0) >= 12:
            continue
        seen_lt[lt] = seen_lt.get(lt, 0) + 1
        s = sequence(lt, frames)
        if len(s) > 64 << 10:
            s = sequence(lt, frames[:8])
        for t in ("frame_sequence", "view_index"):
            with open(os.path.join(dirs[t], name + ".seq"), "wb") as f:
                f.write(s)
        seqs += 1
    # One compressed capture for the decompressors.
    small = sorted(os.listdir(dirs["capture_file"]))
    if small:
        with open(os.path.join(dirs["capture_file"], small[0]), "rb") as f:
            z = gzip.compress(f.read())
        with open(os.path.join(dirs["capture_file"], small[0] + ".gz"), "wb") as f:
            f.write(z)
    for i, flt in enumerate(FILTERS):
        with open(os.path.join(dirs["display_filter"], f"f{i:02}"), "w") as f:
            f.write(flt)
    print(f"fuzz seeds: {files} capture files, {seqs} frame sequences "
          f"({len(seen_lt)} link types), {len(FILTERS)} filters in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
