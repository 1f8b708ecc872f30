//! ICMPv6 (RFC 4443), Neighbor Discovery (RFC 4861) and MLD (RFC 2710,
//! 3810). Error messages quote the offending IPv6 packet, decoded as
//! further layers clipped to the ICMPv6 message.

use super::ipv6::Ipv6Header;
use crate::dissect::bytes::{be16, be32, v6_at};
use crate::dissect::checksum::{fold, sum_words};
use crate::dissect::ip::{fragmented, pseudo_header_sum};
use crate::dissect::{Cx, FieldSink, Layer, Next, Packet, Proto, SinkExt, Value};
use std::ops::Range;

pub const HEADER_LEN: usize = 8;

/// Where the ND options start, for the message types that carry them.
fn options_at(t: u8) -> Option<usize> {
    match t {
        133 => Some(8),
        134 => Some(16),
        135 | 136 => Some(24),
        137 => Some(40),
        _ => None,
    }
}

/// One ND option: (type, offset within the message, bytes); None for a
/// zero or overlong length, which ends the walk.
fn nd_options(m: &[u8], start: usize) -> impl Iterator<Item = Result<(u8, usize, &[u8]), usize>> {
    let mut pos = start;
    let mut done = false;
    std::iter::from_fn(move || {
        if done || pos >= m.len() {
            return None;
        }
        let (Some(&t), Some(&l)) = (m.get(pos), m.get(pos + 1)) else {
            done = true;
            return Some(Err(pos));
        };
        let len = l as usize * 8;
        let Some(b) = m.get(pos..pos + len).filter(|_| len > 0) else {
            done = true;
            return Some(Err(pos));
        };
        let at = pos;
        pos += len;
        Some(Ok((t, at, b)))
    })
}

pub fn dissect(cx: &mut Cx<'_, '_>, off: usize) -> Next {
    let b = cx.rest(off);
    if b.len() < 4 {
        cx.push(Proto::Icmpv6, off, off + b.len(), cx.limit);
        cx.short(Proto::Icmpv6, "ICMPv6 header cut short");
        return Next::Done;
    }
    let t = b[0];
    let fixed = match t {
        1..=4 | 128 | 129 | 133 => HEADER_LEN,
        130..=132 => 24,
        134 => 16,
        135 | 136 => 24,
        137 => 40,
        143 => HEADER_LEN,
        _ => 4,
    };
    // Options and MLD records belong to the message itself.
    let end = if options_at(t).is_some() || matches!(t, 130..=132 | 143) {
        cx.limit.max(off + fixed.min(b.len()))
    } else {
        off + fixed.min(b.len())
    };
    if !cx.push(Proto::Icmpv6, off, end, cx.limit) {
        return Next::Done;
    }
    if b.len() < fixed {
        cx.short(Proto::Icmpv6, "ICMPv6 message cut short");
        return Next::Done;
    }
    if let Some(o) = options_at(t) {
        if nd_options(b, o).any(|r| r.is_err()) {
            cx.malformed(Proto::Icmpv6, "invalid ICMPv6 option length");
        }
    }
    match t {
        1..=4 => Next::Proto(Proto::Ipv6, off + HEADER_LEN),
        128 | 129 => Next::Proto(Proto::Data, off + HEADER_LEN),
        _ => Next::Done,
    }
}

fn message<'a>(pkt: &Packet<'a>, l: &Layer) -> &'a [u8] {
    pkt.bytes(l.extent())
}

/// 1 good, 0 bad, 2 when the message was not captured whole.
fn checksum_status(pkt: &Packet<'_>, l: &Layer) -> u64 {
    let Some(idx) = pkt.layers.iter().position(|x| x == l) else {
        return 2;
    };
    // Like tshark, a message quoted inside another ICMP error is not verified.
    if pkt.layers[..idx]
        .iter()
        .any(|x| matches!(x.proto, Proto::Icmp | Proto::Icmpv6))
    {
        return 2;
    }
    // Nor one in a fragment: the checksum covers the whole datagram.
    if l.src == crate::dissect::Src::Frame && fragmented(pkt, idx) {
        return 2;
    }
    let Some(ip) = pkt.layers[..idx]
        .iter()
        .rev()
        .find(|x| x.proto == Proto::Ipv6)
    else {
        return 2;
    };
    // The IPv6 limit is clipped to the capture; compare with what it claims.
    let plen = Ipv6Header::new(pkt.bytes(ip.header())).map_or(0, |h| h.payload_len() as usize);
    if plen != 0 && ip.end as usize + plen > ip.limit as usize {
        return 2;
    }
    let m = message(pkt, l);
    let Some(ph) = pseudo_header_sum(pkt, idx, 58, m.len() as u32) else {
        return 2;
    };
    (fold(sum_words(m, ph)) == 0) as u64
}

fn put_opt(out: &mut dyn FieldSink, t: u8, b: &[u8], o: usize) {
    let at = |i: usize, n: usize| o + i..o + i + n;
    out.open("ICMPv6 Option", at(0, b.len()));
    out.put("icmpv6.opt.type", "Type", Value::U(t as u64), at(0, 1));
    out.put(
        "icmpv6.opt.length",
        "Length",
        Value::U(b[1] as u64),
        at(1, 1),
    );
    match t {
        1 | 2 => {
            let a = &b[2..];
            let name = if t == 1 {
                "icmpv6.opt.src_linkaddr"
            } else {
                "icmpv6.opt.target_linkaddr"
            };
            let v = match <[u8; 6]>::try_from(&a[..a.len().min(6)]) {
                Ok(m) if a.len() == 6 => Value::Mac(m),
                _ => Value::Bytes(a),
            };
            out.put(
                "icmpv6.opt.linkaddr",
                "Link-layer address",
                v,
                at(2, a.len()),
            );
            out.put(name, "Link-layer address", v, at(2, a.len()));
        }
        3 => {
            let (Some(&pl), Some(&fl), Some(valid), Some(pref), Some(p)) =
                (b.get(2), b.get(3), be32(b, 4), be32(b, 8), v6_at(b, 16))
            else {
                out.close();
                return;
            };
            out.put(
                "icmpv6.opt.prefix.length",
                "Prefix Length",
                Value::U(pl as u64),
                at(2, 1),
            );
            out.put(
                "icmpv6.opt.prefix.flag",
                "Flag",
                Value::Hex(fl as u64, 2),
                at(3, 1),
            );
            out.open("Flag", at(3, 1));
            out.put(
                "icmpv6.opt.prefix.flag.l",
                "On-link flag(L)",
                Value::Bool(fl & 0x80 != 0),
                at(3, 1),
            );
            out.put(
                "icmpv6.opt.prefix.flag.a",
                "Autonomous address-configuration flag(A)",
                Value::Bool(fl & 0x40 != 0),
                at(3, 1),
            );
            out.put(
                "icmpv6.opt.prefix.flag.r",
                "Router address flag(R)",
                Value::Bool(fl & 0x20 != 0),
                at(3, 1),
            );
            out.put(
                "icmpv6.opt.prefix.flag.reserved",
                "Reserved",
                Value::U((fl & 0x1f) as u64),
                at(3, 1),
            );
            out.close();
            out.put(
                "icmpv6.opt.prefix.valid_lifetime",
                "Valid Lifetime",
                Value::U(valid as u64),
                at(4, 4),
            );
            out.put(
                "icmpv6.opt.prefix.preferred_lifetime",
                "Preferred Lifetime",
                Value::U(pref as u64),
                at(8, 4),
            );
            out.put("icmpv6.opt.prefix", "Prefix", Value::Ipv6(p), at(16, 16));
        }
        24 => {
            // Route Information (RFC 4191): a prefix of 0, 8 or 16 bytes.
            let (Some(&pl), Some(&fl), Some(life)) = (b.get(2), b.get(3), be32(b, 4)) else {
                out.close();
                return;
            };
            out.put(
                "icmpv6.opt.prefix.length",
                "Prefix Length",
                Value::U(pl as u64),
                at(2, 1),
            );
            out.put(
                "icmpv6.opt.route_info.flag",
                "Flag",
                Value::Hex(fl as u64, 2),
                at(3, 1),
            );
            out.put(
                "icmpv6.opt.route_lifetime",
                "Route Lifetime",
                Value::U(life as u64),
                at(4, 4),
            );
            let p = b.get(8..).unwrap_or_default();
            if !p.is_empty() {
                let mut a = [0u8; 16];
                let n = p.len().min(16);
                a[..n].copy_from_slice(&p[..n]);
                out.put("icmpv6.opt.prefix", "Prefix", Value::Ipv6(a), at(8, n));
            }
        }
        5 => {
            if let Some(mtu) = be32(b, 4) {
                out.put("icmpv6.opt.mtu", "MTU", Value::U(mtu as u64), at(4, 4));
            }
        }
        25 => {
            if let Some(life) = be32(b, 4) {
                out.put(
                    "icmpv6.opt.rdnss.lifetime",
                    "Lifetime",
                    Value::U(life as u64),
                    at(4, 4),
                );
            }
            let mut i = 8;
            while let Some(a) = v6_at(b, i) {
                out.put(
                    "icmpv6.opt.rdnss",
                    "Recursive DNS Servers",
                    Value::Ipv6(a),
                    at(i, 16),
                );
                i += 16;
            }
        }
        _ => {}
    }
    out.close();
}

pub fn fields(pkt: &Packet<'_>, l: &Layer, out: &mut dyn FieldSink) {
    let o = l.start as usize;
    let b = message(pkt, l);
    let at = |i: usize, n: usize| o + i..o + i + n;
    out.layer("icmpv6", "Internet Control Message Protocol v6", l.extent());
    let (Some(&t), Some(&c), Some(ck)) = (b.first(), b.get(1), be16(b, 2)) else {
        return;
    };
    out.put_note(
        "icmpv6.type",
        "Type",
        Value::U(t as u64),
        at(0, 1),
        type_str(t),
    );
    out.put_note(
        "icmpv6.code",
        "Code",
        Value::U(c as u64),
        at(1, 1),
        code_str(t, c).unwrap_or(""),
    );
    out.put(
        "icmpv6.checksum",
        "Checksum",
        Value::Hex(ck as u64, 4),
        at(2, 2),
    );
    out.put(
        "icmpv6.checksum.status",
        "Checksum Status",
        Value::U(checksum_status(pkt, l)),
        0..0,
    );
    let v6 = |out: &mut dyn FieldSink, name: &'static str, label: &'static str, i: usize| {
        if let Some(a) = v6_at(b, i) {
            out.put(name, label, Value::Ipv6(a), at(i, 16));
        }
    };
    let reserved = |out: &mut dyn FieldSink, r: Range<usize>| {
        if let Some(x) = b.get(r.clone()) {
            out.put(
                "icmpv6.reserved",
                "Reserved",
                Value::Bytes(x),
                at(r.start, r.len()),
            );
        }
    };
    match t {
        1 | 3 | 133 | 135 | 137 => reserved(out, 4..8),
        2 => {
            if let Some(v) = be32(b, 4) {
                out.put("icmpv6.mtu", "MTU", Value::U(v as u64), at(4, 4));
            }
        }
        4 => {
            if let Some(v) = be32(b, 4) {
                out.put("icmpv6.pointer", "Pointer", Value::U(v as u64), at(4, 4));
            }
        }
        128 | 129 => {
            if let (Some(id), Some(seq)) = (be16(b, 4), be16(b, 6)) {
                out.put(
                    "icmpv6.echo.identifier",
                    "Identifier",
                    Value::Hex(id as u64, 4),
                    at(4, 2),
                );
                out.put(
                    "icmpv6.echo.sequence_number",
                    "Sequence",
                    Value::U(seq as u64),
                    at(6, 2),
                );
            }
            if t == 129 {
                if let (Some(n), Some(ns)) = (pkt.flow.resp_to, pkt.flow.resp_ns) {
                    out.put("icmpv6.resp_to", "Response To", Value::U(n), 0..0);
                    out.put(
                        "icmpv6.resptime",
                        "Response Time (ms)",
                        Value::Float(ns as f64 / 1e6),
                        0..0,
                    );
                }
            }
        }
        130 if b.len() >= 28 => {
            // MLDv2 query (RFC 3810).
            if let Some(d) = be16(b, 4) {
                out.put(
                    "icmpv6.mld.maximum_response_code",
                    "Maximum Response Code",
                    Value::U(d as u64),
                    at(4, 2),
                );
            }
            reserved(out, 6..8);
            v6(out, "icmpv6.mld.multicast_address", "Multicast Address", 8);
            let (Some(&fl), Some(&qqi), Some(ns)) = (b.get(24), b.get(25), be16(b, 26)) else {
                return;
            };
            out.put(
                "icmpv6.mld.flag",
                "Flags",
                Value::Hex(fl as u64, 2),
                at(24, 1),
            );
            out.open("Flags", at(24, 1));
            out.put(
                "icmpv6.mld.flag.s",
                "Suppress Router-Side Processing",
                Value::Bool(fl & 0x08 != 0),
                at(24, 1),
            );
            out.put(
                "icmpv6.mld.flag.qrv",
                "QRV (Querier's Robustness Variable)",
                Value::U((fl & 7) as u64),
                at(24, 1),
            );
            out.put(
                "icmpv6.mld.flag.reserved",
                "Reserved",
                Value::U((fl >> 4) as u64),
                at(24, 1),
            );
            out.close();
            out.put(
                "icmpv6.mld.qqi",
                "QQIC (Querier's Query Interval Code)",
                Value::U(qqi as u64),
                at(25, 1),
            );
            out.put(
                "icmpv6.mld.nb_sources",
                "Number of Sources",
                Value::U(ns as u64),
                at(26, 2),
            );
            let mut i = 28;
            for _ in 0..ns {
                let Some(a) = v6_at(b, i) else { break };
                out.put(
                    "icmpv6.mld.source_address",
                    "Source Address",
                    Value::Ipv6(a),
                    at(i, 16),
                );
                i += 16;
            }
        }
        130..=132 => {
            if let Some(d) = be16(b, 4) {
                out.put(
                    "icmpv6.mld.maximum_response_delay",
                    "Maximum Response Delay [ms]",
                    Value::U(d as u64),
                    at(4, 2),
                );
            }
            reserved(out, 6..8);
            v6(out, "icmpv6.mld.multicast_address", "Multicast Address", 8);
        }
        134 => {
            let (Some(&hl), Some(&fl), Some(life), Some(reach), Some(retrans)) =
                (b.get(4), b.get(5), be16(b, 6), be32(b, 8), be32(b, 12))
            else {
                return;
            };
            out.put(
                "icmpv6.nd.ra.cur_hop_limit",
                "Cur hop limit",
                Value::U(hl as u64),
                at(4, 1),
            );
            out.put(
                "icmpv6.nd.ra.flag",
                "Flags",
                Value::Hex(fl as u64, 2),
                at(5, 1),
            );
            out.open("Flags", at(5, 1));
            out.put(
                "icmpv6.nd.ra.flag.m",
                "Managed address configuration",
                Value::Bool(fl & 0x80 != 0),
                at(5, 1),
            );
            out.put(
                "icmpv6.nd.ra.flag.o",
                "Other configuration",
                Value::Bool(fl & 0x40 != 0),
                at(5, 1),
            );
            out.put(
                "icmpv6.nd.ra.flag.h",
                "Home Agent",
                Value::Bool(fl & 0x20 != 0),
                at(5, 1),
            );
            out.put(
                "icmpv6.nd.ra.flag.prf",
                "Preference",
                Value::U(((fl >> 3) & 3) as u64),
                at(5, 1),
            );
            out.put(
                "icmpv6.nd.ra.flag.p",
                "Proxy",
                Value::Bool(fl & 0x04 != 0),
                at(5, 1),
            );
            out.put(
                "icmpv6.nd.ra.flag.rsv",
                "Reserved",
                Value::U((fl & 3) as u64),
                at(5, 1),
            );
            out.close();
            out.put(
                "icmpv6.nd.ra.router_lifetime",
                "Router lifetime (s)",
                Value::U(life as u64),
                at(6, 2),
            );
            out.put(
                "icmpv6.nd.ra.reachable_time",
                "Reachable time (ms)",
                Value::U(reach as u64),
                at(8, 4),
            );
            out.put(
                "icmpv6.nd.ra.retrans_timer",
                "Retrans timer (ms)",
                Value::U(retrans as u64),
                at(12, 4),
            );
        }
        136 => {
            if let Some(f) = be32(b, 4) {
                out.put(
                    "icmpv6.nd.na.flag",
                    "Flags",
                    Value::Hex(f as u64, 8),
                    at(4, 4),
                );
                out.open("Flags", at(4, 4));
                out.put(
                    "icmpv6.nd.na.flag.r",
                    "Router",
                    Value::Bool(f & 0x8000_0000 != 0),
                    at(4, 4),
                );
                out.put(
                    "icmpv6.nd.na.flag.s",
                    "Solicited",
                    Value::Bool(f & 0x4000_0000 != 0),
                    at(4, 4),
                );
                out.put(
                    "icmpv6.nd.na.flag.o",
                    "Override",
                    Value::Bool(f & 0x2000_0000 != 0),
                    at(4, 4),
                );
                out.put(
                    "icmpv6.nd.na.flag.rsv",
                    "Reserved",
                    Value::U((f & 0x1fff_ffff) as u64),
                    at(4, 4),
                );
                out.close();
            }
        }
        143 => {
            reserved(out, 4..6);
            let Some(n) = be16(b, 6) else { return };
            out.put(
                "icmpv6.mldr.nb_mcast_records",
                "Number of Multicast Address Records",
                Value::U(n as u64),
                at(6, 2),
            );
            let mut i = 8;
            for _ in 0..n {
                let (Some(&rt), Some(&aux), Some(ns), Some(ma)) =
                    (b.get(i), b.get(i + 1), be16(b, i + 2), v6_at(b, i + 4))
                else {
                    break;
                };
                out.open("Multicast Address Record", at(i, 20));
                out.put(
                    "icmpv6.mldr.mar.record_type",
                    "Record Type",
                    Value::U(rt as u64),
                    at(i, 1),
                );
                out.put(
                    "icmpv6.mldr.mar.aux_data_len",
                    "Aux Data Len",
                    Value::U(aux as u64),
                    at(i + 1, 1),
                );
                out.put(
                    "icmpv6.mldr.mar.nb_sources",
                    "Number of Sources",
                    Value::U(ns as u64),
                    at(i + 2, 2),
                );
                out.put(
                    "icmpv6.mldr.mar.multicast_address",
                    "Multicast Address",
                    Value::Ipv6(ma),
                    at(i + 4, 16),
                );
                let mut j = i + 20;
                for _ in 0..ns {
                    let Some(s) = v6_at(b, j) else { break };
                    out.put(
                        "icmpv6.mldr.mar.source_address",
                        "Source Address",
                        Value::Ipv6(s),
                        at(j, 16),
                    );
                    j += 16;
                }
                out.close();
                i = j + aux as usize * 4;
            }
        }
        _ => {}
    }
    match t {
        135 => v6(out, "icmpv6.nd.ns.target_address", "Target Address", 8),
        136 => v6(out, "icmpv6.nd.na.target_address", "Target Address", 8),
        137 => {
            v6(out, "icmpv6.nd.rd.target_address", "Target Address", 8);
            v6(
                out,
                "icmpv6.rd.na.destination_address",
                "Destination Address",
                24,
            );
        }
        _ => {}
    }
    if let Some(start) = options_at(t) {
        for opt in nd_options(b, start) {
            match opt {
                Ok((ot, i, ob)) => put_opt(out, ot, ob, o + i),
                Err(i) => {
                    if let (Some(&ot), Some(&ol)) = (b.get(i), b.get(i + 1)) {
                        out.open("ICMPv6 Option", at(i, 2));
                        out.put("icmpv6.opt.type", "Type", Value::U(ot as u64), at(i, 1));
                        out.put(
                            "icmpv6.opt.length",
                            "Length",
                            Value::U(ol as u64),
                            at(i + 1, 1),
                        );
                        out.close();
                    }
                }
            }
        }
    }
}

/// Wireshark's names for ICMPv6 types.
pub fn type_str(t: u8) -> &'static str {
    match t {
        1 => "Destination Unreachable",
        2 => "Packet Too Big",
        3 => "Time Exceeded",
        4 => "Parameter Problem",
        100 | 101 | 200 | 201 => "Private experimentation",
        127 => "Reserved for expansion of ICMPv6 error messages",
        128 => "Echo (ping) request",
        129 => "Echo (ping) reply",
        130 => "Multicast Listener Query",
        131 => "Multicast Listener Report",
        132 => "Multicast Listener Done",
        133 => "Router Solicitation",
        134 => "Router Advertisement",
        135 => "Neighbor Solicitation",
        136 => "Neighbor Advertisement",
        137 => "Redirect",
        138 => "Router Renumbering",
        139 => "ICMP Node Information Query",
        140 => "ICMP Node Information Response",
        141 => "Inverse Neighbor Discovery Solicitation Message",
        142 => "Inverse Neighbor Discovery Advertisement Message",
        143 => "Multicast Listener Report Message v2",
        144 => "Home Agent Address Discovery Request Message",
        145 => "Home Agent Address Discovery Reply Message",
        146 => "Mobile Prefix Solicitation",
        147 => "Mobile Prefix Advertisement",
        148 => "Certification Path Solicitation Message",
        149 => "Certification Path Advertisement Message",
        150 => "Experimental Mobility Protocols",
        151 => "Multicast Router Advertisement",
        152 => "Multicast Router Solicitation",
        153 => "Multicast Router Termination",
        154 => "FMIPv6 Messages",
        155 => "RPL Control Message",
        156 => "ILNPv6 Locator Update Message",
        157 => "Duplicate Address Request",
        158 => "Duplicate Address Confirmation",
        159 => "MPL Control Message",
        160 => "Extended Echo request",
        161 => "Extended Echo reply",
        255 => "Reserved for expansion of ICMPv6 informational messages",
        _ => "Unknown",
    }
}

/// Code names for the error types.
pub fn code_str(t: u8, c: u8) -> Option<&'static str> {
    Some(match (t, c) {
        (1, 0) => "no route to destination",
        (1, 1) => "Communication with destination administratively prohibited",
        (1, 2) => "Beyond scope of source address",
        (1, 3) => "Address unreachable",
        (1, 4) => "Port unreachable",
        (1, 5) => "Source address failed ingress/egress policy",
        (1, 6) => "Reject route to destination",
        (1, 7) => "Error in Source Routing Header",
        (3, 0) => "hop limit exceeded in transit",
        (3, 1) => "fragment reassembly time exceeded",
        (4, 0) => "erroneous header field encountered",
        (4, 1) => "unrecognized Next Header type encountered",
        (4, 2) => "unrecognized IPv6 option encountered",
        (4, 3) => "IPv6 First Fragment has incomplete IPv6 Header Chain",
        (1 | 3 | 4, _) => "Unknown",
        _ => return None,
    })
}

/// The link-layer address carried by the first ND option of `want` type.
fn ll_opt(b: &[u8], t: u8, want: u8) -> Option<[u8; 6]> {
    let start = options_at(t)?;
    for (ot, _, ob) in nd_options(b, start).map_while(Result::ok) {
        if ot == want && ob.len() == 8 {
            return ob[2..8].try_into().ok();
        }
    }
    None
}

pub fn info(pkt: &Packet<'_>, l: &Layer, w: &mut Vec<u8>) {
    use crate::dissect::field::{write_ipv6, write_mac};
    let b = message(pkt, l);
    let (Some(&t), Some(&c)) = (b.first(), b.get(1)) else {
        return;
    };
    w.extend_from_slice(type_str(t).as_bytes());
    if let Some(cs) = code_str(t, c) {
        w.extend_from_slice(b" (");
        w.extend_from_slice(cs.as_bytes());
        w.push(b')');
    }
    let mut n = itoa::Buffer::new();
    match t {
        128 | 129 => {
            let (Some(id), Some(seq)) = (be16(b, 4), be16(b, 6)) else {
                return;
            };
            w.extend_from_slice(b" id=");
            Value::Hex(id as u64, 4).write_to(w);
            w.extend_from_slice(b", seq=");
            w.extend_from_slice(n.format(seq).as_bytes());
            let hlim = pkt
                .layers
                .iter()
                .rev()
                .find(|x| x.proto == Proto::Ipv6 && x.start < l.start)
                .and_then(|ip| pkt.data.get(ip.start as usize + 7));
            if let Some(h) = hlim {
                w.extend_from_slice(b", hop limit=");
                w.extend_from_slice(n.format(*h).as_bytes());
            }
            if let (129, Some(req)) = (t, pkt.flow.resp_to) {
                w.extend_from_slice(b" (request in ");
                w.extend_from_slice(n.format(req).as_bytes());
                w.push(b')');
            }
        }
        135 => {
            let Some(a) = v6_at(b, 8) else { return };
            w.extend_from_slice(b" for ");
            write_ipv6(w, a);
            if let Some(m) = ll_opt(b, t, 1) {
                w.extend_from_slice(b" from ");
                write_mac(w, m);
            }
        }
        136 => {
            let (Some(f), Some(a)) = (b.get(4), v6_at(b, 8)) else {
                return;
            };
            w.push(b' ');
            write_ipv6(w, a);
            let names: [(u8, &[u8]); 3] = [(0x80, b"rtr"), (0x40, b"sol"), (0x20, b"ovr")];
            let mut first = true;
            for (bit, s) in names {
                if f & bit != 0 {
                    w.extend_from_slice(if first { b" (" } else { b", " });
                    w.extend_from_slice(s);
                    first = false;
                }
            }
            if !first {
                w.push(b')');
            }
            if let Some(m) = ll_opt(b, t, 2) {
                w.extend_from_slice(b" is at ");
                write_mac(w, m);
            }
        }
        134 => {
            if let Some(m) = ll_opt(b, t, 1) {
                w.extend_from_slice(b" from ");
                write_mac(w, m);
            }
        }
        _ => {}
    }
}

/// Every field this file's decoders emit, as Wireshark registers them.
pub const FIELDS: &[crate::dissect::decl::FieldDef] = {
    use crate::dissect::decl::{f, FieldType::*};
    &[
        f("icmpv6.checksum", Uint, "Checksum"),
        f("icmpv6.checksum.status", Uint, "Checksum Status"),
        f("icmpv6.code", Uint, "Code"),
        f("icmpv6.echo.identifier", Uint, "Identifier"),
        f("icmpv6.echo.sequence_number", Uint, "Sequence"),
        f("icmpv6.mld.flag", Uint, "Flags"),
        f(
            "icmpv6.mld.flag.qrv",
            Uint,
            "QRV (Querier's Robustness Variable)",
        ),
        f("icmpv6.mld.flag.reserved", Uint, "Reserved"),
        f("icmpv6.mld.flag.s", Bool, "Suppress Router-Side Processing"),
        f(
            "icmpv6.mld.maximum_response_code",
            Uint,
            "Maximum Response Code",
        ),
        f(
            "icmpv6.mld.maximum_response_delay",
            Uint,
            "Maximum Response Delay [ms]",
        ),
        f("icmpv6.mld.multicast_address", Ipv6, "Multicast Address"),
        f("icmpv6.mld.nb_sources", Uint, "Number of Sources"),
        f(
            "icmpv6.mld.qqi",
            Uint,
            "QQIC (Querier's Query Interval Code)",
        ),
        f("icmpv6.mld.source_address", Ipv6, "Source Address"),
        f("icmpv6.mldr.mar.aux_data_len", Uint, "Aux Data Len"),
        f(
            "icmpv6.mldr.mar.multicast_address",
            Ipv6,
            "Multicast Address",
        ),
        f("icmpv6.mldr.mar.nb_sources", Uint, "Number of Sources"),
        f("icmpv6.mldr.mar.record_type", Uint, "Record Type"),
        f("icmpv6.mldr.mar.source_address", Ipv6, "Source Address"),
        f(
            "icmpv6.mldr.nb_mcast_records",
            Uint,
            "Number of Multicast Address Records",
        ),
        f("icmpv6.mtu", Uint, "MTU"),
        f("icmpv6.nd.na.flag", Uint, "Flags"),
        f("icmpv6.nd.na.flag.o", Bool, "Override"),
        f("icmpv6.nd.na.flag.r", Bool, "Router"),
        f("icmpv6.nd.na.flag.rsv", Uint, "Reserved"),
        f("icmpv6.nd.na.flag.s", Bool, "Solicited"),
        f("icmpv6.nd.na.target_address", Ipv6, "Target Address"),
        f("icmpv6.nd.ns.target_address", Ipv6, "Target Address"),
        f("icmpv6.nd.ra.cur_hop_limit", Uint, "Cur hop limit"),
        f("icmpv6.nd.ra.flag", Uint, "Flags"),
        f("icmpv6.nd.ra.flag.h", Bool, "Home Agent"),
        f("icmpv6.nd.ra.flag.m", Bool, "Managed address configuration"),
        f("icmpv6.nd.ra.flag.o", Bool, "Other configuration"),
        f("icmpv6.nd.ra.flag.p", Bool, "Proxy"),
        f(
            "icmpv6.nd.ra.flag.prf",
            Uint,
            "Prf (Default Router Preference)",
        ),
        f("icmpv6.nd.ra.flag.rsv", Uint, "Reserved"),
        f("icmpv6.nd.ra.reachable_time", Uint, "Reachable time (ms)"),
        f("icmpv6.nd.ra.retrans_timer", Uint, "Retrans timer (ms)"),
        f("icmpv6.nd.ra.router_lifetime", Uint, "Router lifetime (s)"),
        f("icmpv6.nd.rd.target_address", Ipv6, "Target Address"),
        f("icmpv6.opt.length", Uint, "Length"),
        f("icmpv6.opt.linkaddr", Bytes, "Link-layer address"),
        f("icmpv6.opt.mtu", Uint, "MTU"),
        f("icmpv6.opt.prefix", Ipv6, "Prefix"),
        f("icmpv6.opt.prefix.flag", Uint, "Flag"),
        f(
            "icmpv6.opt.prefix.flag.a",
            Bool,
            "Autonomous address-configuration flag(A)",
        ),
        f("icmpv6.opt.prefix.flag.l", Bool, "On-link flag(L)"),
        f("icmpv6.opt.prefix.flag.r", Bool, "Router address flag(R)"),
        f("icmpv6.opt.prefix.flag.reserved", Uint, "Reserved"),
        f("icmpv6.opt.prefix.length", Uint, "Prefix Length"),
        f(
            "icmpv6.opt.prefix.preferred_lifetime",
            Uint,
            "Preferred Lifetime",
        ),
        f("icmpv6.opt.prefix.valid_lifetime", Uint, "Valid Lifetime"),
        f("icmpv6.opt.rdnss", Ipv6, "Recursive DNS Servers"),
        f("icmpv6.opt.rdnss.lifetime", Uint, "Lifetime"),
        f("icmpv6.opt.route_info.flag", Uint, "Flag"),
        f("icmpv6.opt.route_lifetime", Uint, "Route Lifetime"),
        f(
            "icmpv6.opt.src_linkaddr",
            Bytes,
            "Source Link-layer address",
        ),
        f(
            "icmpv6.opt.target_linkaddr",
            Bytes,
            "Target Link-layer address",
        ),
        f("icmpv6.opt.type", Uint, "Type"),
        f("icmpv6.pointer", Uint, "Pointer"),
        f(
            "icmpv6.rd.na.destination_address",
            Ipv6,
            "Destination Address",
        ),
        f("icmpv6.reserved", Bytes, "Reserved"),
        f("icmpv6.resp_to", Uint, "Response To"),
        f("icmpv6.resptime", Float, "Response Time"),
        f("icmpv6.type", Uint, "Type"),
    ]
};

/// Internet Control Message Protocol v6: names, place in the layer model, how it is reached, decoders.
pub static DECL: crate::dissect::decl::Decl = {
    use crate::dissect::decl::{Decl, Reach, Tier};
    Decl {
        filter_name: "icmpv6",
        name: "Internet Control Message Protocol v6",
        display: "ICMPv6",
        short: "ICMPv6",
        tier: Tier::Network,
        reached: &[Reach::IpProto(58)],
        dissect,
        fields,
        info: Some(info),
        pdu_len: None,
        field_tables: &[FIELDS],
    }
};

#[cfg(test)]
mod tests {
    use super::super::ipv4::testutil::{decode, fuzz, v6};
    use crate::dissect::{linktype, IssueKind};

    // Expected values come from tshark 4.0.17 (`-T fields`) on the same bytes.

    #[test]
    fn echo() {
        let d = decode(
            linktype::IPV6,
            &v6("60000000000d3a40", "8000ce3b1234000168656c6c6f"),
        );
        assert_eq!(d.protocols, "ipv6:icmpv6:data");
        assert_eq!(d.get("icmpv6.checksum"), "0xce3b");
        assert_eq!(d.get("icmpv6.checksum.status"), "1");
        assert_eq!(d.get("icmpv6.echo.identifier"), "0x1234");
        assert_eq!(d.get("icmpv6.echo.sequence_number"), "1");
        assert_eq!(d.info, "Echo (ping) request id=0x1234, seq=1, hop limit=64");
        let d = decode(
            linktype::IPV6,
            &v6("60000000000d3a40", "800012341234000168656c6c6f"),
        );
        assert_eq!(d.get("icmpv6.checksum.status"), "0");
    }

    #[test]
    fn error_quotes_ipv6() {
        let d = decode(
            linktype::IPV6,
            &v6(
                "6000000000383a40",
                "010492a000000000600000000064114020010db800000000000000000000000220010db8\
                 0000000000000000000000993039003500201234",
            ),
        );
        assert!(
            d.protocols.starts_with("ipv6:icmpv6:ipv6"),
            "{}",
            d.protocols
        );
        assert_eq!(d.get("icmpv6.checksum.status"), "1");
        assert_eq!(d.get("icmpv6.reserved"), "00000000");
        assert_eq!(d.get("ipv6.src"), "2001:db8::1,2001:db8::2");
        assert_eq!(d.get("ipv6.plen"), "56,100");
        assert_eq!(d.info, "Destination Unreachable (Port unreachable)");
        assert!(d.issue.is_none(), "{:?}", d.issue);
    }

    #[test]
    fn neighbor_discovery() {
        let d = decode(
            linktype::IPV6,
            &v6(
                "6000000000203a40",
                "87001bac00000000fe8000000000000000000000000000010101020000000001",
            ),
        );
        assert_eq!(d.get("icmpv6.checksum.status"), "1");
        assert_eq!(d.get("icmpv6.nd.ns.target_address"), "fe80::1");
        assert_eq!(d.get("icmpv6.opt.type"), "1");
        assert_eq!(d.get("icmpv6.opt.length"), "1");
        assert_eq!(d.get("icmpv6.opt.linkaddr"), "02:00:00:00:00:01");
        assert_eq!(d.get("icmpv6.opt.src_linkaddr"), "02:00:00:00:00:01");
        assert_eq!(
            d.info,
            "Neighbor Solicitation for fe80::1 from 02:00:00:00:00:01"
        );

        let d = decode(
            linktype::IPV6,
            &v6(
                "6000000000203a40",
                "880039abe0000000fe8000000000000000000000000000010201020000000001",
            ),
        );
        assert_eq!(d.get("icmpv6.nd.na.flag"), "0xe0000000");
        assert_eq!(d.get("icmpv6.nd.na.flag.r"), "1");
        assert_eq!(d.get("icmpv6.nd.na.flag.s"), "1");
        assert_eq!(d.get("icmpv6.nd.na.flag.o"), "1");
        assert_eq!(d.get("icmpv6.nd.na.target_address"), "fe80::1");
        assert_eq!(d.get("icmpv6.opt.target_linkaddr"), "02:00:00:00:00:01");
        assert_eq!(
            d.info,
            "Neighbor Advertisement fe80::1 (rtr, sol, ovr) is at 02:00:00:00:00:01"
        );

        // An option of length 0 is malformed.
        let d = decode(
            linktype::IPV6,
            &v6(
                "6000000000203a40",
                "87001bad00000000fe8000000000000000000000000000010100020000000001",
            ),
        );
        assert_eq!(d.get("icmpv6.opt.length"), "0");
        assert_eq!(d.issue.unwrap().kind, IssueKind::Malformed);
        assert_eq!(d.info, "Neighbor Solicitation for fe80::1");
    }

    #[test]
    fn router_advertisement() {
        let d = decode(
            linktype::IPV6,
            &v6(
                "6000000000583a40",
                "8600033240c80708000003e8000007d0010102000000000105010000000005dc030440c0000000640000\
                 00320000000020010db8000000000000000000000000190300000000003c20010db80000000000000000\
                 00000053",
            ),
        );
        assert_eq!(d.get("icmpv6.checksum.status"), "1");
        assert_eq!(d.get("icmpv6.nd.ra.cur_hop_limit"), "64");
        assert_eq!(d.get("icmpv6.nd.ra.flag"), "0xc8");
        assert_eq!(d.get("icmpv6.nd.ra.flag.m"), "1");
        assert_eq!(d.get("icmpv6.nd.ra.flag.prf"), "1");
        assert_eq!(d.get("icmpv6.nd.ra.router_lifetime"), "1800");
        assert_eq!(d.get("icmpv6.nd.ra.reachable_time"), "1000");
        assert_eq!(d.get("icmpv6.nd.ra.retrans_timer"), "2000");
        assert_eq!(d.get("icmpv6.opt.type"), "1,5,3,25");
        assert_eq!(d.get("icmpv6.opt.length"), "1,1,4,3");
        assert_eq!(d.get("icmpv6.opt.mtu"), "1500");
        assert_eq!(d.get("icmpv6.opt.prefix"), "2001:db8::");
        assert_eq!(d.get("icmpv6.opt.prefix.length"), "64");
        assert_eq!(d.get("icmpv6.opt.prefix.flag"), "0xc0");
        assert_eq!(d.get("icmpv6.opt.prefix.valid_lifetime"), "100");
        assert_eq!(d.get("icmpv6.opt.rdnss"), "2001:db8::53");
        assert_eq!(d.get("icmpv6.opt.rdnss.lifetime"), "60");
        assert_eq!(d.info, "Router Advertisement from 02:00:00:00:00:01");
    }

    #[test]
    fn never_panics() {
        fuzz(
            linktype::IPV6,
            &v6(
                "6000000000383a40",
                "010492a000000000600000000064114020010db800000000000000000000000220010db8\
                 0000000000000000000000993039003500201234",
            ),
        );
        fuzz(
            linktype::IPV6,
            &v6(
                "6000000000283a40",
                "8f00e46200000001040000010ff0200000000000000000000000000022001\
                 0db8000000000000000000000001",
            ),
        );
    }
}
