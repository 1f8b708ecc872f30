#!/usr/bin/env python3
"""Peak memory under attack-shaped traffic.

Writes captures of traffic shaped to grow a decoder's state, then runs
`layerscope read -F jsonl` and `layerscope flows` over each and prints the
wall time, the peak RSS (from wait4) and what layerscope reported evicting.
The captures (addresses from the documentation ranges, never sent anywhere):

  syn-flood     SYNs from random addresses and ports to one server
  fragments     first fragments of IPv4 datagrams that never complete
  http-stalled  TCP connections whose HTTP request never ends (1 KiB each)
  dns-bombs     DNS responses of chained and looping compression pointers
  deep-tunnels  VXLAN in VXLAN, 40 deep

usage: scripts/attack_rss.py [--layerscope PATH] [--scale F] [--keep DIR] [--threads N]
  --scale multiplies every packet count (1.0: a million SYNs and fragments)
"""
import argparse
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ipv4(src, dst, proto, payload, ident=0, frag=0):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, frag, 64, proto, 0, src, dst)
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload


def eth(payload, t=0x0800):
    return b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + struct.pack("!H", t) + payload


def tcp(sport, dport, seq, ack, flags, data=b""):
    return struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 0x50, flags, 65535, 0, 0) + data


def udp(sport, dport, data):
    return struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data


class Pcap:
    def __init__(self, path):
        self.f = open(path, "wb", buffering=1 << 20)
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        self.t = 1_700_000_000_000_000
        self.n = 0

    def put(self, frame):
        self.t += 10
        self.n += 1
        self.f.write(struct.pack("<IIII", self.t // 1_000_000, self.t % 1_000_000, len(frame), len(frame)))
        self.f.write(frame)

    def close(self):
        self.f.close()
        return self.n


SERVER = bytes([192, 0, 2, 1])


def rand_client(r):
    return bytes([198, 18 + r.getrandbits(1), r.getrandbits(8), r.getrandbits(8)])


def syn_flood(path, n, r):
    p = Pcap(path)
    for _ in range(n):
        p.put(eth(ipv4(rand_client(r), SERVER, 6, tcp(r.randrange(1024, 65536), 80, r.getrandbits(32), 0, 0x02))))
    return p.close()


def fragments(path, n, r):
    p = Pcap(path)
    for i in range(n):
        body = udp(r.randrange(1024, 65536), 53, b"\0" * 24)
        p.put(eth(ipv4(rand_client(r), SERVER, 17, body, ident=i & 0xFFFF, frag=0x2000)))
    return p.close()


def http_stalled(path, conns, r):
    p = Pcap(path)
    pad = b"GET /" + b"a" * 900 + b" HTTP/1.1\r\nHost: example.test\r\nX-Pad: " + b"b" * 80
    for _ in range(conns):
        c, sp, isn, ssn = rand_client(r), r.randrange(1024, 65536), r.getrandbits(32), r.getrandbits(32)
        p.put(eth(ipv4(c, SERVER, 6, tcp(sp, 80, isn, 0, 0x02))))
        p.put(eth(ipv4(SERVER, c, 6, tcp(80, sp, ssn, isn + 1, 0x12))))
        p.put(eth(ipv4(c, SERVER, 6, tcp(sp, 80, isn + 1, ssn + 1, 0x10))))
        p.put(eth(ipv4(c, SERVER, 6, tcp(sp, 80, isn + 1, ssn + 1, 0x18, pad))))
    return p.close()


def dns_bomb(i):
    # One question; answers whose names chain pointers back through every
    # earlier name, and one answer whose name points at itself.
    hdr = struct.pack("!HHHHHH", i & 0xFFFF, 0x8180, 1, 60, 0, 0)
    msg = bytearray(hdr + b"\x01a" * 60 + b"\0" + struct.pack("!HH", 1, 1))
    prev = 12
    for k in range(59):
        at = len(msg)
        msg += b"\x01b" + struct.pack("!H", 0xC000 | prev)
        msg += struct.pack("!HHIH", 1, 1, 60, 4) + b"\xc0\x00\x02\x01"
        prev = at
    at = len(msg)
    msg += struct.pack("!H", 0xC000 | at) + struct.pack("!HHIH", 1, 1, 60, 4) + b"\xc0\x00\x02\x02"
    return bytes(msg)


def dns_bombs(path, n, r):
    p = Pcap(path)
    for i in range(n):
        p.put(eth(ipv4(SERVER, rand_client(r), 17, udp(53, r.randrange(1024, 65536), dns_bomb(i)))))
    return p.close()


def deep_tunnels(path, n, r):
    p = Pcap(path)
    for i in range(n):
        inner = ipv4(rand_client(r), SERVER, 17, udp(r.randrange(1024, 65536), 9, b"x" * 16))
        for _ in range(40):
            vx = struct.pack("!II", 0x08000000, (i & 0xFFFFFF) << 8) + eth(inner)
            inner = ipv4(rand_client(r), SERVER, 17, udp(r.randrange(1024, 65536), 4789, vx))
        p.put(eth(inner))
    return p.close()


def measure(cmd):
    t = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = proc.stderr.read().decode(errors="replace")
    _, status, ru = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return time.monotonic() - t, ru.ru_maxrss / 1024, proc.returncode, err


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--layerscope")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--keep")
    ap.add_argument("--threads", type=int, help="decoding threads (default: layerscope's)")
    a = ap.parse_args()
    ls = a.layerscope or os.path.join(
        os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "layerscope"
    )
    n = lambda k: max(1, int(k * a.scale))
    work = a.keep or tempfile.mkdtemp(prefix="layerscope-attack-")
    os.makedirs(work, exist_ok=True)
    cases = [
        ("syn-flood", syn_flood, n(1_000_000)),
        ("fragments", fragments, n(1_000_000)),
        ("http-stalled", http_stalled, n(200_000)),
        ("dns-bombs", dns_bombs, n(50_000)),
        ("deep-tunnels", deep_tunnels, n(50_000)),
    ]
    r = random.Random(1)
    bad = 0
    print(f"{'capture':<14}{'packets':>10}{'MiB':>7}  {'command':<12}{'secs':>7}{'peak RSS MiB':>14}  reported")
    for name, gen, count in cases:
        path = os.path.join(work, name + ".pcap")
        pkts = gen(path, count, r)
        size = os.path.getsize(path) / (1 << 20)
        for label, args in (("read jsonl", ["read", "-F", "jsonl"]), ("flows", ["flows"])):
            if a.threads:
                args = args[:1] + ["--threads", str(a.threads)] + args[1:]
            secs, rss, code, err = measure([ls] + args + [path])
            notes = "; ".join(l.strip() for l in err.splitlines() if l.strip()) or "-"
            if code != 0 or "panicked" in err:
                bad += 1
                notes = f"EXIT {code}: {notes}"
            print(f"{name:<14}{pkts:>10}{size:>7.0f}  {label:<12}{secs:>7.2f}{rss:>14.0f}  {notes[:160]}")
            sys.stdout.flush()
        if not a.keep:
            os.remove(path)
    if not a.keep:
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
