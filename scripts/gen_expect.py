#!/usr/bin/env python3
"""Writes fixtures/expect/*.tsv: tshark's field values for every frame of the
fixtures, which tests/fixture_fields.rs compares with layerscope's jsonl.

    scripts/gen_expect.py            # rewrite every file
    scripts/gen_expect.py --check    # exit 1 if a file differs from tshark now

Every value comes from tshark itself (`tshark -T fields`), never from
layerscope. Where layerscope deliberately differs from tshark, the difference
is written by hand in fixtures/expect/overrides.tsv with its reason; this
script never reads or writes that file.

File format (tab-separated, `#` lines are comments or headers):

    # fixture: <path under fixtures/>
    # layerscope: <extra arguments to `layerscope read --format jsonl`>
    # tshark: <tshark version line>
    # command: <the tshark command, run from the project root>
    # fields: <every field asked for>
    # numeric: <the fields of integer or boolean type>
    FRAME <tab> FIELD <tab> VALUE [<tab> VALUE]...

A line lists every occurrence of a field in a frame, in tshark's order, as
`tshark -T fields` prints it (control characters escaped as `\\r`, `\\n`...).
A field of `fields` with no line for a frame is one tshark does not print
there; a line with one empty value is a field tshark holds as an empty string
(`-T fields` prints nothing for it, so `-T json` is asked which fields a frame
has). A value of a `numeric` field printed in decimal is a JSON number in
layerscope's jsonl; every other value is a JSON string.
"""

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "fixtures", "expect")

GROUPS = {
    "frame": "frame.number frame.interface_id frame.len frame.cap_len frame.protocols frame.time_epoch",
    "marks": "_ws.malformed _ws.short",
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
    "info": "_ws.col.info",
    "http": "http.request.method http.request.uri http.request.version "
    "http.request.line http.host http.user_agent http.response.code "
    "http.response.phrase http.content_type http.content_length "
    "http.transfer_encoding",
    "tls": "tls.record.content_type tls.record.version tls.handshake.type "
    "tls.handshake.version tls.handshake.ciphersuite "
    "tls.handshake.cipher_suites_length tls.handshake.extension.type "
    "tls.handshake.extensions_server_name tls.handshake.extensions_alpn_str "
    "tls.handshake.extensions.supported_version",
    "ftp": "ftp.request.command ftp.request.arg ftp.response.code "
    "ftp.passive.ip ftp.passive.port ftp.epsv.port",
    "telnet": "telnet.cmd telnet.subcmd telnet.data",
    "dns": "dns.id dns.flags.response dns.flags.rcode dns.count.queries "
    "dns.count.answers dns.qry.name dns.qry.type dns.resp.name dns.resp.type "
    "dns.a dns.aaaa dns.cname dns.mx.preference dns.mx.mail_exchange dns.txt "
    "dns.ptr.domain_name dns.length",
    "dhcp": "dhcp.option.dhcp dhcp.id dhcp.ip.your dhcp.hw.mac_addr dhcp.cookie "
    "dhcp.option.type dhcp.option.ip_address_lease_time "
    "dhcp.option.dhcp_server_id dhcp.option.subnet_mask dhcp.option.router "
    "dhcp.option.domain_name_server dhcp.option.hostname "
    "dhcp.option.request_list_item",
    "quic": "quic.header_form quic.fixed_bit quic.spin_bit quic.long.packet_type "
    "quic.long.packet_type_v2 quic.version quic.dcil quic.dcid quic.scil quic.scid "
    "quic.token_length quic.length quic.packet_number quic.packet_length "
    "quic.frame_type quic.crypto.offset quic.crypto.length quic.padding_length "
    "quic.ack.largest_acknowledged quic.ack.ack_delay quic.ack.first_ack_range",
}

# tshark 4.0 spells the Info column `_ws.col.Info`; Wireshark 4.2 and
# layerscope spell it `_ws.col.info`.
TSHARK_NAME = {"_ws.col.info": "_ws.col.Info"}

LINK = "frame marks eth vlan sll null arp ip ipopt ipv6 ipv6ext icmp icmpv6 tcp udp data"
CHECKSUMS = ["-o", "ip.check_checksum:TRUE"]
PER_SEGMENT = ["-o", "tcp.desegment_tcp_streams:FALSE"]

# (expect file, fixture, layerscope arguments, tshark options, field groups)
SPECS = [(f.rsplit(".", 1)[0], f, [], CHECKSUMS, LINK) for f in [
    "eth_ipv4_tcp.pcap", "vlan.pcap", "sll.pcap", "sll2.pcap", "raw_ip.pcap",
    "ipv4_linktype.pcap", "ipv6_linktype.pcap", "null_loopback.pcap", "arp.pcap",
    "ipv4_options_frag.pcap", "ipv6_ext.pcap", "icmp.pcap", "icmpv6.pcap",
    "udp.pcap", "malformed.pcap", "unsupported_linktype.pcapng",
    "big_endian.pcap", "nanosecond.pcap", "multi_if.pcapng",
]] + [
    # Application layers decoded one TCP segment at a time, as with
    # `layerscope read --no-reassembly`.
    ("live/http", "live/http.pcap", ["--no-reassembly"], PER_SEGMENT,
     "frame marks info http"),
    ("live/tls", "live/tls.pcap", ["--no-reassembly"], PER_SEGMENT,
     "frame marks info tls"),
    ("live/ftp", "live/ftp.pcap", ["--no-reassembly"], PER_SEGMENT,
     "frame marks info ftp"),
    ("live/telnet", "live/telnet.pcap", ["--no-reassembly"], PER_SEGMENT,
     "frame marks info telnet"),
    # With reassembly, as both do by default: an HTTP response is reported
    # on the segment that completes it.
    ("live/http-reassembled", "live/http.pcap", [], [],
     "frame marks http"),
    ("live/dns", "live/dns.pcap", [], [], "frame marks info dns"),
    ("live/dhcp", "live/dhcp.pcap", [], [], "frame marks info dhcp"),
    # Real aioquic traffic (fixtures/quic/README.md): Initials decrypted.
    ("quic/http3", "quic/http3.pcap", [], CHECKSUMS,
     "frame marks eth ip ipv6 udp info quic tls"),
    ("quic/v2", "quic/v2.pcap", [], CHECKSUMS, "frame marks eth ip udp info quic tls"),
    ("ssdp/ssdp", "ssdp/ssdp.pcap", [], CHECKSUMS, "frame marks eth ip udp info http"),
]

NUMERIC_TYPES = ("FT_UINT", "FT_INT", "FT_BOOLEAN", "FT_FRAMENUM")
AGG = "\x1f"


def tshark(args):
    r = subprocess.run(["tshark"] + args, cwd=ROOT, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"tshark {' '.join(args)} failed: {r.stderr}")
    return r.stdout


def field_types():
    types = {}
    for line in tshark(["-G", "fields"]).splitlines():
        cols = line.split("\t")
        if len(cols) > 3 and cols[0] == "F":
            types[cols[2]] = cols[3]
        elif len(cols) > 2 and cols[0] == "P":
            types[cols[2]] = "FT_PROTOCOL"
    # Column fields are not listed by `-G fields`; they are text.
    types["_ws.col.Info"] = "FT_STRING"
    return types


def keys_per_frame(args):
    """Field names present in each frame, from `tshark -T json` (which, unlike
    `-T fields`, tells an empty string from an absent field)."""
    frames = []

    def walk(v, out):
        if isinstance(v, dict):
            for k, x in v.items():
                out.add(k)
                walk(x, out)
        elif isinstance(v, list):
            for x in v:
                walk(x, out)

    for pkt in json.loads(tshark(args + ["-T", "json"])):
        keys = set()
        walk(pkt["_source"]["layers"], keys)
        frames.append(keys)
    return frames


def render(name, fixture, extra, opts, groups, version, types):
    names = [n for g in groups.split() for n in GROUPS[g].split()]
    unknown = [n for n in names if TSHARK_NAME.get(n, n) not in types]
    if unknown:
        sys.exit(f"{name}: tshark knows no field {unknown}")
    base = ["-n", "-r", "fixtures/" + fixture] + opts
    args = base + [
        "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a",
        "-E", "aggregator=" + AGG]
    for n in names:
        args += ["-e", TSHARK_NAME.get(n, n)]
    shown = " ".join(a if a != "aggregator=" + AGG else "aggregator=\\x1f" for a in args)
    numeric = [n for n in names if types[TSHARK_NAME.get(n, n)].startswith(NUMERIC_TYPES)]
    out = [
        f"# fixture: {fixture}",
        f"# layerscope: {' '.join(extra)}".rstrip(),
        f"# tshark: {version}",
        f"# command: tshark {shown}",
        f"# fields: {' '.join(names)}",
        f"# numeric: {' '.join(numeric)}",
    ]
    present = keys_per_frame(base)
    lines = tshark(args).splitlines()
    if len(lines) != len(present):
        sys.exit(f"{name}: {len(lines)} frames as fields, {len(present)} as json")
    for num, (line, keys) in enumerate(zip(lines, present), 1):
        cols = line.split("\t")
        if len(cols) != len(names):
            sys.exit(f"{name} frame {num}: {len(cols)} columns for {len(names)} fields")
        for n, v in zip(names, cols):
            # `-T fields` prints a lone empty string as nothing at all.
            if v != "" or TSHARK_NAME.get(n, n) in keys:
                out.append("\t".join([str(num), n] + v.split(AGG)))
    return "\n".join(out) + "\n"


def main():
    check = sys.argv[1:] == ["--check"]
    version = tshark(["--version"]).splitlines()[0].strip()
    types = field_types()
    stale = []
    for name, fixture, extra, opts, groups in SPECS:
        text = render(name, fixture, extra, opts, groups, version, types)
        path = os.path.join(OUT, name + ".tsv")
        if check:
            old = open(path).read() if os.path.exists(path) else None
            if old != text:
                stale.append(path)
            continue
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
    if stale:
        sys.exit("differ from tshark now: " + " ".join(stale))


if __name__ == "__main__":
    main()
