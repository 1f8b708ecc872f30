#!/usr/bin/env python3
"""Prints tshark's values for a fixture as Rust `expect(...)` calls.

The expected values in tests/read_fixtures.rs were produced with this script
(then trimmed by hand where layerscope deliberately differs; the test says
why). Usage:

    scripts/tshark_expect.py fixtures/vlan.pcap eth vlan ip udp [-o pref:VAL]...

Each positional word after the file is a field group below (or a field name),
optionally limited to some frames: `ip@1,2` lists the ip group for frames 1
and 2 only.
A value is a JSON number when tshark's field type is an integer or boolean and
`-T fields` prints it in decimal; everything else is a JSON string, as
layerscope's jsonl output writes them. A field that occurs several times in a
frame becomes an array in order of occurrence. Fields tshark leaves empty for
a frame are not listed.
"""

import subprocess
import sys

GROUPS = {
    "frame": "frame.len frame.cap_len frame.protocols",
    "eth": "eth.dst eth.src eth.type eth.padding",
    "vlan": "vlan.priority vlan.dei vlan.id vlan.etype "
    "ieee8021ad.priority ieee8021ad.dei ieee8021ad.id ieee8021ah.etype",
    "sll": "sll.pkttype sll.hatype sll.halen sll.src.eth sll.etype sll.ifindex",
    "null": "null.family",
    "arp": "arp.hw.type arp.proto.type arp.hw.size arp.proto.size arp.opcode "
    "arp.src.hw_mac arp.src.proto_ipv4 arp.dst.hw_mac arp.dst.proto_ipv4 "
    "arp.isgratuitous arp.isannouncement",
    "ip": "ip.version ip.hdr_len ip.dsfield ip.len ip.id ip.flags ip.flags.rb "
    "ip.flags.df ip.flags.mf ip.frag_offset ip.ttl ip.proto ip.checksum "
    "ip.checksum.status ip.src ip.dst",
    "ipopt": "ip.opt.type ip.opt.len ip.opt.ptr ip.rec_rt ip.opt.ra",
    "ipv6": "ipv6.version ipv6.tclass ipv6.flow ipv6.plen ipv6.nxt ipv6.hlim ipv6.src ipv6.dst",
    "ipv6ext": "ipv6.hopopts.nxt ipv6.hopopts.len ipv6.opt.type ipv6.opt.length "
    "ipv6.opt.router_alert ipv6.dstopts.nxt ipv6.dstopts.len ipv6.routing.nxt "
    "ipv6.routing.len ipv6.routing.type ipv6.routing.segleft "
    "ipv6.routing.srh.last_entry ipv6.routing.srh.flags ipv6.routing.srh.addr "
    "ipv6.routing.src.addr ipv6.fraghdr.nxt ipv6.fraghdr.offset ipv6.fraghdr.more "
    "ipv6.fraghdr.ident ah.next_header ah.length ah.spi ah.sequence ah.icv",
    "icmp": "icmp.type icmp.code icmp.checksum icmp.ident icmp.seq icmp.seq_le",
    "icmpv6": "icmpv6.type icmpv6.code icmpv6.checksum icmpv6.echo.identifier "
    "icmpv6.echo.sequence_number icmpv6.nd.ns.target_address "
    "icmpv6.nd.na.target_address icmpv6.nd.na.flag.r icmpv6.nd.na.flag.s "
    "icmpv6.nd.na.flag.o icmpv6.opt.type icmpv6.opt.length icmpv6.opt.linkaddr",
    "tcp": "tcp.srcport tcp.dstport tcp.stream tcp.len tcp.seq tcp.seq_raw tcp.ack "
    "tcp.ack_raw tcp.hdr_len tcp.flags tcp.flags.syn tcp.flags.ack tcp.flags.push "
    "tcp.flags.fin tcp.flags.reset tcp.window_size_value tcp.checksum "
    "tcp.urgent_pointer tcp.option_kind tcp.option_len tcp.options.mss_val "
    "tcp.options.wscale.shift tcp.options.wscale.multiplier tcp.options.sack_le "
    "tcp.options.sack_re tcp.options.timestamp.tsval tcp.options.timestamp.tsecr",
    "udp": "udp.srcport udp.dstport udp.length udp.checksum",
    "data": "data.len",
    "time": "frame.time_epoch frame.interface_id",
}

NUMERIC_TYPES = ("FT_UINT", "FT_INT", "FT_BOOLEAN", "FT_FRAMENUM")
AGG = "\x1f"


def field_types():
    out = subprocess.run(["tshark", "-G", "fields"], capture_output=True, text=True).stdout
    types = {}
    for line in out.splitlines():
        cols = line.split("\t")
        if len(cols) > 3 and cols[0] == "F":
            types[cols[2]] = cols[3]
    return types


def rust_value(v, numeric):
    if numeric and (v.isdigit() or (v.startswith("-") and v[1:].isdigit())):
        return v
    return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main():
    args = sys.argv[1:]
    path, rest = args[0], args[1:]
    opts, names, only = [], [], {}
    i = 0
    while i < len(rest):
        if rest[i] == "-o":
            opts += ["-o", rest[i + 1]]
            i += 2
            continue
        group, _, frames = rest[i].partition("@")
        for n in GROUPS.get(group, group).split():
            names.append(n)
            if frames:
                only[n] = only.get(n, set()) | {int(f) for f in frames.split(",")}
        i += 1
    types = field_types()
    cmd = ["tshark", "-n", "-r", path, "-T", "fields", "-E", "separator=/t",
           "-E", "occurrence=a", "-E", "aggregator=" + AGG] + opts
    for n in names:
        cmd += ["-e", n]
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    for num, line in enumerate(out.splitlines(), 1):
        cols = line.split("\t")
        print(f"    // frame {num}")
        print(f"    expect(&p[{num - 1}], &[")
        for name, v in zip(names, cols):
            if v == "" or (name in only and num not in only[name]):
                continue
            numeric = types.get(name, "").startswith(NUMERIC_TYPES)
            vals = [rust_value(x, numeric) for x in v.split(AGG)]
            j = vals[0] if len(vals) == 1 else "[" + ", ".join(vals) + "]"
            print(f'        ("{name}", json!({j})),')
        print("    ]);")


if __name__ == "__main__":
    main()
