//! IPv6 (RFC 8200) and its extension headers: Hop-by-Hop, Routing (types 0,
//! 2 and Segment Routing, RFC 8754), Fragment, Destination Options, and the
//! Authentication Header (RFC 4302).

use super::ipv4::{inside_icmp, proto_name};
use crate::dissect::bytes::{be16, be16_or0, be32, be32_or0, v6_at};
use crate::dissect::{Cx, FieldSink, Layer, Next, Packet, Proto, SinkExt, Value};
use std::net::Ipv6Addr;
use std::ops::Range;

pub const HEADER_LEN: usize = 40;

// Byte ranges of the fixed header's fields.
/// The version nibble's byte.
pub const VERSION: Range<usize> = 0..1;
/// Version, traffic class and flow label share the first 32-bit word.
pub const VER_TC_FLOW: Range<usize> = 0..4;
pub const PAYLOAD_LEN: Range<usize> = 4..6;
pub const NEXT_HEADER: Range<usize> = 6..7;
pub const HOP_LIMIT: Range<usize> = 7..8;
pub const SRC: Range<usize> = 8..24;
pub const DST: Range<usize> = 24..40;

/// Read-only view of the fixed IPv6 header; `new` refuses fewer than 40
/// bytes, so every accessor is in bounds. It does not check the version.
#[derive(Clone, Copy)]
pub struct Ipv6Header<'a>(&'a [u8]);

impl<'a> Ipv6Header<'a> {
    pub fn new(b: &'a [u8]) -> Option<Self> {
        (b.len() >= HEADER_LEN).then_some(Ipv6Header(b))
    }
    fn word0(&self) -> u32 {
        be32_or0(self.0, VER_TC_FLOW.start)
    }
    pub fn version(&self) -> u8 {
        (self.word0() >> 28) as u8
    }
    pub fn traffic_class(&self) -> u8 {
        (self.word0() >> 20) as u8
    }
    pub fn flow_label(&self) -> u32 {
        self.word0() & 0xfffff
    }
    /// Bytes after the fixed header; 0 for a jumbogram.
    pub fn payload_len(&self) -> u16 {
        be16_or0(self.0, PAYLOAD_LEN.start)
    }
    pub fn next_header(&self) -> u8 {
        self.0[NEXT_HEADER.start]
    }
    pub fn hop_limit(&self) -> u8 {
        self.0[HOP_LIMIT.start]
    }
    pub fn src(&self) -> [u8; 16] {
        v6_at(self.0, SRC.start).unwrap_or_default()
    }
    /// The destination field: with a routing header in progress only the
    /// next hop (`final_dst` gives the last one).
    pub fn dst(&self) -> [u8; 16] {
        v6_at(self.0, DST.start).unwrap_or_default()
    }
}

pub const FRAG_HEADER_LEN: usize = 8;
// Byte ranges of the Fragment header's fields.
pub const FRAG_NEXT_HEADER: Range<usize> = 0..1;
/// Offset (13 bits), 2 reserved bits and the M flag.
pub const FRAG_OFFSET_WORD: Range<usize> = 2..4;
pub const FRAG_IDENT: Range<usize> = 4..8;
const FRAG_OFFSET_MASK: u16 = 0xfff8;
const FRAG_MORE: u16 = 0x0001;

/// Read-only view of a Fragment extension header (RFC 8200 4.5); `new`
/// refuses fewer than 8 bytes.
#[derive(Clone, Copy)]
pub struct Ipv6FragHeader<'a>(&'a [u8]);

impl<'a> Ipv6FragHeader<'a> {
    pub fn new(b: &'a [u8]) -> Option<Self> {
        (b.len() >= FRAG_HEADER_LEN).then_some(Ipv6FragHeader(b))
    }
    pub fn next_header(&self) -> u8 {
        self.0[FRAG_NEXT_HEADER.start]
    }
    /// The offset and flags word as sent (offset << 3, 2 reserved bits, M).
    pub fn offset_word(&self) -> u16 {
        be16_or0(self.0, FRAG_OFFSET_WORD.start)
    }
    /// Fragment offset in bytes.
    pub fn offset_bytes(&self) -> u16 {
        self.offset_word() & FRAG_OFFSET_MASK
    }
    pub fn more_fragments(&self) -> bool {
        self.offset_word() & FRAG_MORE != 0
    }
    /// A real piece of a datagram; an atomic fragment (offset 0, M clear)
    /// is whole.
    pub fn is_fragment(&self) -> bool {
        self.offset_bytes() != 0 || self.more_fragments()
    }
    /// The first piece (offset 0, more to come), which carries the
    /// upper-layer header.
    pub fn is_first_fragment(&self) -> bool {
        self.offset_bytes() == 0 && self.more_fragments()
    }
    pub fn ident(&self) -> u32 {
        be32_or0(self.0, FRAG_IDENT.start)
    }
}

const JUMBO: u8 = 0xc2;

fn is_ext(p: Proto) -> bool {
    matches!(
        p,
        Proto::Ipv6HopOpts | Proto::Ipv6Routing | Proto::Ipv6Frag | Proto::Ipv6DstOpts | Proto::Ah
    )
}

/// True when the capture itself was cut by the snap length.
fn snapped(pkt: &Packet<'_>) -> bool {
    (pkt.data.len() as u64) < pkt.wire_len as u64
}

pub fn dissect(cx: &mut Cx<'_, '_>, off: usize) -> Next {
    let b = cx.rest(off);
    let Some(&first) = b.first() else {
        cx.short(Proto::Ipv6, "IPv6 header cut short");
        return Next::Done;
    };
    if first >> 4 != 6 {
        // tshark rejects the header and shows the bytes as data.
        cx.malformed(Proto::Ipv6, "bogus IPv6 version");
        return Next::Proto(Proto::Data, off);
    }
    let Some(h) = Ipv6Header::new(b) else {
        cx.push(Proto::Ipv6, off, off + b.len(), off + b.len());
        if !inside_icmp(cx.pkt) {
            cx.short(Proto::Ipv6, "IPv6 header cut short");
        }
        return Next::Done;
    };
    let end = off + HEADER_LEN;
    let plen = h.payload_len() as usize;
    let nxt = h.next_header();
    let total = if plen == 0 && nxt == 0 {
        // A jumbogram carries its length in the Hop-by-Hop header.
        jumbo_len(&b[HEADER_LEN..]).unwrap_or(0) as usize
    } else {
        plen
    };
    if total == 0 && nxt != 59 {
        // tshark takes a zero payload length literally (no TSO guess for
        // IPv6), so whatever follows is outside the packet.
        cx.malformed(
            Proto::Ipv6,
            "IPv6 payload length 0 without a Jumbo Payload option",
        );
    }
    let want = end.saturating_add(total);
    if want > cx.limit && !inside_icmp(cx.pkt) && !snapped(cx.pkt) {
        cx.malformed(Proto::Ipv6, "IPv6 payload length exceeds framing length");
    }
    cx.limit = cx.limit.min(want);
    if !cx.push(Proto::Ipv6, off, end, cx.limit) {
        return Next::Done;
    }
    Next::IpProto(nxt, end)
}

/// The Jumbo Payload option's value, if `ext` starts with a Hop-by-Hop
/// header that carries one.
fn jumbo_len(ext: &[u8]) -> Option<u32> {
    let len = (*ext.get(1)? as usize + 1) * 8;
    let opts = ext.get(2..len)?;
    for o in Tlvs::new(opts) {
        if let Tlv::Opt {
            ty: JUMBO, body, ..
        } = o
        {
            return be32(body, 0);
        }
    }
    None
}

/// Hop-by-Hop / Destination option, or SRH TLV, as the walker sees it.
enum Tlv<'a> {
    Pad1 {
        pos: usize,
    },
    Opt {
        ty: u8,
        pos: usize,
        body: &'a [u8],
    },
    /// The option's length runs past the header.
    Bad {
        ty: u8,
        pos: usize,
    },
}

struct Tlvs<'a> {
    b: &'a [u8],
    pos: usize,
    done: bool,
}

impl<'a> Tlvs<'a> {
    fn new(b: &'a [u8]) -> Self {
        Tlvs {
            b,
            pos: 0,
            done: false,
        }
    }
}

impl<'a> Iterator for Tlvs<'a> {
    type Item = Tlv<'a>;
    fn next(&mut self) -> Option<Tlv<'a>> {
        if self.done {
            return None;
        }
        let pos = self.pos;
        let ty = *self.b.get(pos)?;
        if ty == 0 {
            self.pos += 1;
            return Some(Tlv::Pad1 { pos });
        }
        let Some(&len) = self.b.get(pos + 1) else {
            self.done = true;
            return Some(Tlv::Bad { ty, pos });
        };
        let end = pos + 2 + len as usize;
        let Some(body) = self.b.get(pos + 2..end) else {
            self.done = true;
            return Some(Tlv::Bad { ty, pos });
        };
        self.pos = end;
        Some(Tlv::Opt { ty, pos, body })
    }
}

/// Length of an extension header from its second byte.
fn ext_len(p: Proto, b: &[u8]) -> Option<usize> {
    let l = *b.get(1)? as usize;
    Some(match p {
        Proto::Ipv6Frag => 8,
        Proto::Ah => (l + 2) * 4,
        _ => (l + 1) * 8,
    })
}

pub fn dissect_ext(cx: &mut Cx<'_, '_>, p: Proto, off: usize) -> Next {
    let b = cx.rest(off);
    if p == Proto::Ipv6HopOpts && cx.pkt.layers.last().is_none_or(|l| l.proto != Proto::Ipv6) {
        cx.malformed(
            p,
            "IPv6 Hop-by-Hop extension header must appear immediately after IPv6 header",
        );
    }
    let Some(len) = ext_len(p, b) else {
        cx.push(p, off, off + b.len(), off + b.len());
        cx.short(p, "IPv6 extension header cut short");
        return Next::Done;
    };
    if b.len() < len {
        cx.push(p, off, off + b.len(), off + b.len());
        if !inside_icmp(cx.pkt) {
            cx.short(p, "IPv6 extension header cut short");
        }
        return Next::Done;
    }
    let end = off + len;
    if !cx.push(p, off, end, cx.limit) {
        return Next::Done;
    }
    let nxt = b[0];
    // Not an atomic fragment: wait for reassembly.
    if p == Proto::Ipv6Frag && Ipv6FragHeader::new(b).is_some_and(|f| f.is_fragment()) {
        return Next::Proto(Proto::Data, end);
    }
    let has_opts = matches!(p, Proto::Ipv6HopOpts | Proto::Ipv6DstOpts);
    if has_opts && Tlvs::new(&b[2..len]).any(|t| matches!(t, Tlv::Bad { .. })) {
        cx.malformed(p, "IPv6 option runs past its header");
        return Next::Done;
    }
    Next::IpProto(nxt, end)
}

pub fn addrs(pkt: &Packet<'_>, l: &Layer) -> Option<(Ipv6Addr, Ipv6Addr)> {
    let h = Ipv6Header::new(pkt.bytes(l.header()))?;
    Some((h.src().into(), h.dst().into()))
}

/// The destination a transport checksum covers: with a routing header
/// still in progress (segments left > 0), the final one it names (RFC
/// 8200 8.1). `ip` is the IPv6 layer's index; only extension headers
/// between it and `upto` are consulted.
pub fn final_dst(pkt: &Packet<'_>, ip: usize, upto: usize) -> Option<[u8; 16]> {
    let l = pkt.layers.get(ip)?;
    let mut dst = Ipv6Header::new(pkt.bytes(l.header()))?.dst();
    for x in pkt.layers.get(ip + 1..upto)? {
        if !is_ext(x.proto) {
            break;
        }
        if x.proto != Proto::Ipv6Routing {
            continue;
        }
        let b = pkt.bytes(x.header());
        let (Some(&ty), Some(&left)) = (b.get(2), b.get(3)) else {
            continue;
        };
        if left == 0 {
            continue;
        }
        let last = match ty {
            0 => b.len().checked_sub(16),
            2 => Some(8),
            4 => Some(8),
            _ => None,
        };
        if let Some(a) = last.and_then(|i| v6_at(b, i)) {
            dst = a;
        }
    }
    Some(dst)
}

fn put6(
    out: &mut dyn FieldSink,
    name: &'static str,
    label: &'static str,
    a: [u8; 16],
    r: Range<usize>,
) {
    out.put(name, label, Value::Ipv6(a), r);
}

/// The MAC an EUI-64 interface identifier was made from (ff:fe in the middle).
/// Like tshark, only universal (U/L bit set) identifiers count.
fn slaac_mac(a: &[u8; 16]) -> Option<[u8; 6]> {
    (a[11] == 0xff && a[12] == 0xfe && a[8] & 0x02 != 0)
        .then(|| [a[8] ^ 0x02, a[9], a[10], a[13], a[14], a[15]])
}

pub fn fields(pkt: &Packet<'_>, l: &Layer, out: &mut dyn FieldSink) {
    let o = l.start as usize;
    let b = pkt.bytes(l.header());
    out.layer("ipv6", "Internet Protocol Version 6", l.header());
    let at = |r: Range<usize>| o + r.start..o + r.end;
    let Some(&v0) = b.first() else { return };
    out.put(
        "ipv6.version",
        "Version",
        Value::U((v0 >> 4) as u64),
        at(VERSION),
    );
    out.put(
        "ip.version",
        "Version",
        Value::U((v0 >> 4) as u64),
        at(VERSION),
    );
    let Some(w) = be32(b, VER_TC_FLOW.start) else {
        return;
    };
    let tc = (w >> 20) & 0xff;
    out.put(
        "ipv6.tclass",
        "Traffic Class",
        Value::Hex(tc as u64, 8),
        at(VER_TC_FLOW),
    );
    out.open("Traffic Class", at(VER_TC_FLOW));
    out.put(
        "ipv6.tclass.dscp",
        "Differentiated Services Codepoint",
        Value::U((tc >> 2) as u64),
        at(VER_TC_FLOW),
    );
    out.put(
        "ipv6.tclass.ecn",
        "Explicit Congestion Notification",
        Value::U((tc & 3) as u64),
        at(VER_TC_FLOW),
    );
    out.close();
    out.put(
        "ipv6.flow",
        "Flow Label",
        Value::Hex((w & 0xfffff) as u64, 6),
        at(VER_TC_FLOW),
    );
    let Some(plen) = be16(b, PAYLOAD_LEN.start) else {
        return;
    };
    out.put(
        "ipv6.plen",
        "Payload Length",
        Value::U(plen as u64),
        at(PAYLOAD_LEN),
    );
    let Some(&nxt) = b.get(NEXT_HEADER.start) else {
        return;
    };
    out.put_note(
        "ipv6.nxt",
        "Next Header",
        Value::U(nxt as u64),
        at(NEXT_HEADER),
        proto_name(nxt),
    );
    let Some(&hlim) = b.get(HOP_LIMIT.start) else {
        return;
    };
    out.put(
        "ipv6.hlim",
        "Hop Limit",
        Value::U(hlim as u64),
        at(HOP_LIMIT),
    );
    let Some(src) = v6_at(b, SRC.start) else {
        return;
    };
    put6(out, "ipv6.src", "Source Address", src, at(SRC));
    put6(
        out,
        "ipv6.addr",
        "Source or Destination Address",
        src,
        at(SRC),
    );
    put6(out, "ipv6.src_host", "Source Host", src, at(SRC));
    put6(out, "ipv6.host", "Source or Destination Host", src, at(SRC));
    let Some(dst) = v6_at(b, DST.start) else {
        return;
    };
    put6(out, "ipv6.dst", "Destination Address", dst, at(DST));
    put6(
        out,
        "ipv6.addr",
        "Source or Destination Address",
        dst,
        at(DST),
    );
    put6(out, "ipv6.dst_host", "Destination Host", dst, at(DST));
    put6(out, "ipv6.host", "Source or Destination Host", dst, at(DST));
    if let Some(m) = slaac_mac(&src) {
        out.put(
            "ipv6.src_slaac_mac",
            "Source SLAAC MAC",
            Value::Mac(m),
            at(SRC),
        );
        out.put("ipv6.slaac_mac", "SLAAC MAC", Value::Mac(m), at(SRC));
    }
    if let Some(m) = slaac_mac(&dst) {
        out.put(
            "ipv6.dst_slaac_mac",
            "Destination SLAAC MAC",
            Value::Mac(m),
            at(DST),
        );
        out.put("ipv6.slaac_mac", "SLAAC MAC", Value::Mac(m), at(DST));
    }
}

/// Option fields of a Hop-by-Hop or Destination Options header.
fn tlv_fields(out: &mut dyn FieldSink, opts: &[u8], o: usize) {
    for t in Tlvs::new(opts) {
        match t {
            Tlv::Pad1 { pos } => {
                let r = o + pos..o + pos + 1;
                out.open("Pad1", r.clone());
                opt_type(out, 0, r.clone());
                out.close();
            }
            Tlv::Opt { ty, pos, body } => {
                let r = o + pos..o + pos + 2 + body.len();
                out.open("IPv6 Option", r);
                opt_type(out, ty, o + pos..o + pos + 1);
                out.put(
                    "ipv6.opt.length",
                    "Length",
                    Value::U(body.len() as u64),
                    o + pos + 1..o + pos + 2,
                );
                let br = o + pos + 2..o + pos + 2 + body.len();
                match (ty, body.len()) {
                    // tshark prints an empty PadN as `<none>`.
                    (1, 0) => out.put("ipv6.opt.padn", "PadN", Value::Str("<none>"), br),
                    (1, _) => out.put("ipv6.opt.padn", "PadN", Value::Bytes(body), br),
                    (4, 1..) => out.put(
                        "ipv6.opt.tel",
                        "Tunnel Encapsulation Limit",
                        Value::U(body[0] as u64),
                        br,
                    ),
                    (5, 2) => {
                        let v = be16(body, 0).unwrap_or(0);
                        out.put(
                            "ipv6.opt.router_alert",
                            "Router Alert",
                            Value::U(v as u64),
                            br,
                        )
                    }
                    (JUMBO, 4) => {
                        let v = be32(body, 0).unwrap_or(0);
                        out.put("ipv6.opt.jumbo", "Payload Length", Value::U(v as u64), br)
                    }
                    (0xc9, 16) => {
                        let a = v6_at(body, 0).unwrap_or_default();
                        out.put(
                            "ipv6.opt.mipv6.home_address",
                            "MIPv6 Home Address",
                            Value::Ipv6(a),
                            br,
                        )
                    }
                    (0xc9, _) => {
                        // tshark gives up on the header after a bad Home Address.
                        out.close();
                        return;
                    }
                    (4 | 5 | JUMBO, _) => {}
                    _ => out.put(
                        "ipv6.opt.unknown",
                        "Unknown Option Payload",
                        Value::Bytes(body),
                        br,
                    ),
                }
                out.close();
            }
            Tlv::Bad { ty, pos } => {
                let r = o + pos..(o + opts.len()).max(o + pos + 1);
                out.open("IPv6 Option", r.clone());
                opt_type(out, ty, o + pos..o + pos + 1);
                if let Some(&len) = opts.get(pos + 1) {
                    out.put(
                        "ipv6.opt.length",
                        "Length",
                        Value::U(len as u64),
                        o + pos + 1..o + pos + 2,
                    );
                }
                out.close();
            }
        }
    }
}

fn opt_type(out: &mut dyn FieldSink, ty: u8, r: Range<usize>) {
    out.put("ipv6.opt.type", "Type", Value::Hex(ty as u64, 2), r.clone());
    out.open("Type", r.clone());
    out.put(
        "ipv6.opt.type.action",
        "Action",
        Value::U((ty >> 6) as u64),
        r.clone(),
    );
    out.put(
        "ipv6.opt.type.change",
        "May Change",
        Value::Bool(ty & 0x20 != 0),
        r.clone(),
    );
    out.put(
        "ipv6.opt.type.rest",
        "Low-Order Bits",
        Value::Hex((ty & 0x1f) as u64, 2),
        r,
    );
    out.close();
}

fn routing_fields(out: &mut dyn FieldSink, b: &[u8], o: usize) {
    let at = |i: usize, n: usize| o + i..o + i + n;
    let (Some(&ty), Some(&left)) = (b.get(2), b.get(3)) else {
        return;
    };
    out.put("ipv6.routing.type", "Type", Value::U(ty as u64), at(2, 1));
    out.put(
        "ipv6.routing.segleft",
        "Segments Left",
        Value::U(left as u64),
        at(3, 1),
    );
    match ty {
        0 => {
            if let Some(r) = b.get(4..8) {
                out.put(
                    "ipv6.routing.src.reserved",
                    "Reserved",
                    Value::Bytes(r),
                    at(4, 4),
                );
            }
            let mut i = 8;
            while let Some(a) = v6_at(b, i) {
                put6(out, "ipv6.routing.src.addr", "Address", a, at(i, 16));
                i += 16;
            }
        }
        2 => {
            if let Some(r) = b.get(4..8) {
                out.put(
                    "ipv6.routing.mipv6.reserved",
                    "Reserved",
                    Value::Bytes(r),
                    at(4, 4),
                );
            }
            if let Some(a) = v6_at(b, 8) {
                put6(
                    out,
                    "ipv6.routing.mipv6.home_address",
                    "Home Address",
                    a,
                    at(8, 16),
                );
            }
        }
        4 => {
            let (Some(&last), Some(&flags), Some(tag)) = (b.get(4), b.get(5), b.get(6..8)) else {
                return;
            };
            out.put(
                "ipv6.routing.srh.last_entry",
                "Last Entry",
                Value::U(last as u64),
                at(4, 1),
            );
            out.put(
                "ipv6.routing.srh.flags",
                "Flags",
                Value::Hex(flags as u64, 2),
                at(5, 1),
            );
            out.put("ipv6.routing.srh.tag", "Tag", Value::Bytes(tag), at(6, 2));
            for k in 0..=last as usize {
                let i = 8 + k * 16;
                let Some(a) = v6_at(b, i) else { break };
                put6(out, "ipv6.routing.srh.addr", "Address", a, at(i, 16));
            }
        }
        _ => {
            let d = b.get(4..).unwrap_or_default();
            out.put(
                "ipv6.routing.unknown_data",
                "Type-Specific Data",
                Value::Bytes(d),
                at(4, d.len()),
            );
        }
    }
}

pub fn ext_fields(pkt: &Packet<'_>, l: &Layer, out: &mut dyn FieldSink) {
    let o = l.start as usize;
    let b = pkt.bytes(l.header());
    let at = |i: usize, n: usize| o + i..o + i + n;
    let (name, title, pre) = match l.proto {
        Proto::Ipv6HopOpts => ("ipv6.hopopts", "IPv6 Hop-by-Hop Option", "ipv6.hopopts"),
        Proto::Ipv6Routing => ("ipv6.routing", "Routing Header for IPv6", "ipv6.routing"),
        Proto::Ipv6Frag => ("ipv6.fraghdr", "Fragment Header for IPv6", "ipv6.fraghdr"),
        Proto::Ipv6DstOpts => (
            "ipv6.dstopts",
            "Destination Options for IPv6",
            "ipv6.dstopts",
        ),
        _ => ("ah", "Authentication Header", "ah"),
    };
    out.layer(name, title, l.header());
    let Some(&nxt) = b.first() else { return };
    let (nxt_name, len_name, len_oct) = match pre {
        "ipv6.hopopts" => (
            "ipv6.hopopts.nxt",
            "ipv6.hopopts.len",
            "ipv6.hopopts.len_oct",
        ),
        "ipv6.routing" => (
            "ipv6.routing.nxt",
            "ipv6.routing.len",
            "ipv6.routing.len_oct",
        ),
        "ipv6.fraghdr" => ("ipv6.fraghdr.nxt", "", ""),
        "ipv6.dstopts" => (
            "ipv6.dstopts.nxt",
            "ipv6.dstopts.len",
            "ipv6.dstopts.len_oct",
        ),
        _ => ("ah.next_header", "ah.length", ""),
    };
    out.put_note(
        nxt_name,
        "Next Header",
        Value::U(nxt as u64),
        at(0, 1),
        proto_name(nxt),
    );
    let Some(&len) = b.get(1) else { return };
    if l.proto == Proto::Ipv6Frag {
        out.put(
            "ipv6.fraghdr.reserved_octet",
            "Reserved octet",
            Value::Hex(len as u64, 2),
            at(1, 1),
        );
        let Some(fo) = be16(b, 2) else { return };
        out.put(
            "ipv6.fraghdr.offset",
            "Offset",
            Value::U((fo >> 3) as u64),
            at(2, 2),
        );
        out.put(
            "ipv6.fraghdr.reserved_bits",
            "Reserved bits",
            Value::U(((fo >> 1) & 3) as u64),
            at(2, 2),
        );
        out.put(
            "ipv6.fraghdr.more",
            "More Fragments",
            Value::Bool(fo & 1 != 0),
            at(2, 2),
        );
        if let Some(id) = be32(b, 4) {
            out.put(
                "ipv6.fraghdr.ident",
                "Identification",
                Value::Hex(id as u64, 8),
                at(4, 4),
            );
        }
        return;
    }
    out.put(len_name, "Length", Value::U(len as u64), at(1, 1));
    if l.proto == Proto::Ah {
        if let Some(r) = b.get(2..4) {
            out.put("ah.reserved", "Reserved", Value::Bytes(r), at(2, 2));
        }
        let (Some(spi), Some(seq)) = (be32(b, 4), be32(b, 8)) else {
            return;
        };
        out.put("ah.spi", "AH SPI", Value::Hex(spi as u64, 8), at(4, 4));
        out.put("ah.sequence", "AH Sequence", Value::U(seq as u64), at(8, 4));
        let icv = b.get(12..).unwrap_or_default();
        out.put("ah.icv", "AH ICV", Value::Bytes(icv), at(12, icv.len()));
        return;
    }
    out.put(len_oct, "Length", Value::U((len as u64 + 1) * 8), 0..0);
    match l.proto {
        Proto::Ipv6Routing => routing_fields(out, b, o),
        _ => tlv_fields(out, b.get(2..).unwrap_or_default(), o + 2),
    }
}

/// Info for an IPv6 packet whose chain ends without a higher protocol
/// (fragments, no next header, unknown protocols), as Wireshark writes it.
pub fn info(pkt: &Packet<'_>, l: &Layer, w: &mut Vec<u8>) {
    let b = pkt.bytes(l.header());
    let mut n = itoa::Buffer::new();
    let Some(h) = Ipv6Header::new(b) else {
        if !snapped(pkt) && !b.is_empty() {
            w.extend_from_slice(b"Invalid IPv6 header (");
            w.extend_from_slice(n.format(b.len()).as_bytes());
            w.extend_from_slice(b" bytes, need exactly 40)");
        }
        return;
    };
    let Some(idx) = pkt.layers.iter().position(|x| x == l) else {
        return;
    };
    let mut last = l;
    let mut nxt = h.next_header();
    let mut k = idx + 1;
    while let Some(x) = pkt.layers.get(k).filter(|x| is_ext(x.proto)) {
        last = x;
        nxt = pkt.bytes(x.header()).first().copied().unwrap_or(nxt);
        k += 1;
    }
    let next = pkt.layers.get(k);
    if next.is_some_and(|x| x.proto != Proto::Data) {
        return;
    }
    // A header cut short never got to name what follows it.
    let cut = is_ext(last.proto)
        && ext_len(last.proto, pkt.bytes(last.header())).is_none_or(|n| n > last.header().len());
    if nxt == 59 && !cut {
        w.extend_from_slice(b"IPv6 no next header");
        return;
    }
    let e = pkt.bytes(last.header());
    match last.proto {
        Proto::Ipv6Frag => {
            let Some(f) = Ipv6FragHeader::new(e) else {
                return;
            };
            w.extend_from_slice(b"IPv6 fragment (off=");
            w.extend_from_slice(n.format(f.offset_bytes()).as_bytes());
            w.extend_from_slice(if f.more_fragments() {
                b" more=y ident="
            } else {
                b" more=n ident="
            });
            Value::Hex(f.ident() as u64, 8).write_to(w);
            w.extend_from_slice(b" nxt=");
            w.extend_from_slice(n.format(nxt).as_bytes());
            w.push(b')');
        }
        Proto::Ipv6HopOpts if next.is_none() => w.extend_from_slice(b"IPv6 hop-by-hop options"),
        Proto::Ipv6Routing if next.is_none() => w.extend_from_slice(b"IPv6 routing"),
        Proto::Ipv6DstOpts if next.is_none() => w.extend_from_slice(b"IPv6 destination options"),
        _ if next.is_some() => {
            w.extend_from_slice(b"Unknown IP Protocol: ");
            w.extend_from_slice(proto_name(nxt).as_bytes());
            w.extend_from_slice(b" (");
            w.extend_from_slice(n.format(nxt).as_bytes());
            w.push(b')');
        }
        _ => {}
    }
}

/// Every field this file's decoders emit, as Wireshark registers them.
pub const FIELDS: &[crate::dissect::decl::FieldDef] = {
    use crate::dissect::decl::{f, FieldType::*};
    &[
        f("ah.icv", Bytes, "AH ICV"),
        f("ah.length", Uint, "Length"),
        f("ah.next_header", Uint, "Next header"),
        f("ah.reserved", Bytes, "Reserved"),
        f("ah.sequence", Uint, "AH Sequence"),
        f("ah.spi", Uint, "AH SPI"),
        f("ip.version", Uint, "Version"),
        f("ipv6.addr", Ipv6, "Source or Destination Address"),
        f("ipv6.dst", Ipv6, "Destination Address"),
        f("ipv6.dst_host", Str, "Destination Host"),
        f("ipv6.dst_slaac_mac", Mac, "Destination SLAAC MAC"),
        f("ipv6.dstopts", Proto, "Destination Options for IPv6"),
        f("ipv6.dstopts.len", Uint, "Length"),
        f("ipv6.dstopts.len_oct", Uint, "Length"),
        f("ipv6.dstopts.nxt", Uint, "Next Header"),
        f("ipv6.flow", Uint, "Flow Label"),
        f("ipv6.fraghdr", Proto, "Fragment Header for IPv6"),
        f("ipv6.fraghdr.ident", Uint, "Identification"),
        f("ipv6.fraghdr.more", Bool, "More Fragments"),
        f("ipv6.fraghdr.nxt", Uint, "Next header"),
        f("ipv6.fraghdr.offset", Uint, "Offset"),
        f("ipv6.fraghdr.reserved_bits", Uint, "Reserved bits"),
        f("ipv6.fraghdr.reserved_octet", Uint, "Reserved octet"),
        f("ipv6.hlim", Uint, "Hop Limit"),
        f("ipv6.hopopts", Proto, "IPv6 Hop-by-Hop Option"),
        f("ipv6.hopopts.len", Uint, "Length"),
        f("ipv6.hopopts.len_oct", Uint, "Length"),
        f("ipv6.hopopts.nxt", Uint, "Next Header"),
        f("ipv6.host", Str, "Source or Destination Host"),
        f("ipv6.nxt", Uint, "Next Header"),
        f("ipv6.opt.jumbo", Uint, "Payload Length"),
        f("ipv6.opt.length", Uint, "Length"),
        f("ipv6.opt.mipv6.home_address", Ipv6, "MIPv6 Home Address"),
        f("ipv6.opt.padn", Bytes, "PadN"),
        f("ipv6.opt.router_alert", Uint, "Router Alert"),
        f("ipv6.opt.tel", Uint, "Tunnel Encapsulation Limit"),
        f("ipv6.opt.type", Uint, "Type"),
        f("ipv6.opt.type.action", Uint, "Action"),
        f("ipv6.opt.type.change", Bool, "May Change"),
        f("ipv6.opt.type.rest", Uint, "Low-Order Bits"),
        f("ipv6.opt.unknown", Bytes, "Unknown Option Payload"),
        f("ipv6.plen", Uint, "Payload Length"),
        f("ipv6.routing", Proto, "Routing Header for IPv6"),
        f("ipv6.routing.len", Uint, "Length"),
        f("ipv6.routing.len_oct", Uint, "Length"),
        f("ipv6.routing.mipv6.home_address", Ipv6, "Home Address"),
        f("ipv6.routing.mipv6.reserved", Bytes, "Reserved"),
        f("ipv6.routing.nxt", Uint, "Next Header"),
        f("ipv6.routing.segleft", Uint, "Segments Left"),
        f("ipv6.routing.src.addr", Ipv6, "Address"),
        f("ipv6.routing.src.reserved", Bytes, "Reserved"),
        f("ipv6.routing.srh.addr", Ipv6, "Address"),
        f("ipv6.routing.srh.flags", Uint, "Flags"),
        f("ipv6.routing.srh.last_entry", Uint, "Last Entry"),
        f("ipv6.routing.srh.tag", Bytes, "Tag"),
        f("ipv6.routing.type", Uint, "Type"),
        f("ipv6.routing.unknown_data", Bytes, "Type-Specific Data"),
        f("ipv6.slaac_mac", Mac, "SLAAC MAC"),
        f("ipv6.src", Ipv6, "Source Address"),
        f("ipv6.src_host", Str, "Source Host"),
        f("ipv6.src_slaac_mac", Mac, "Source SLAAC MAC"),
        f("ipv6.tclass", Uint, "Traffic Class"),
        f(
            "ipv6.tclass.dscp",
            Uint,
            "Differentiated Services Codepoint",
        ),
        f("ipv6.tclass.ecn", Uint, "Explicit Congestion Notification"),
        f("ipv6.version", Uint, "Version"),
    ]
};

/// Internet Protocol Version 6: names, place in the layer model, how it is reached, decoders.
pub static DECL: crate::dissect::decl::Decl = {
    use crate::dissect::decl::{Decl, Reach, Tier};
    Decl {
        filter_name: "ipv6",
        name: "Internet Protocol Version 6",
        display: "IPv6",
        short: "IPv6",
        tier: Tier::Network,
        reached: &[
            Reach::Ethertype(0x86dd),
            Reach::IpProto(41),
            Reach::LinkType(229),
        ],
        dissect,
        fields,
        info: Some(info),
        pdu_len: None,
        field_tables: &[FIELDS],
    }
};

/// IPv6 Hop-by-Hop Option: names, place in the layer model, how it is reached, decoders.
pub static HOPOPTS: crate::dissect::decl::Decl = {
    use crate::dissect::decl::{Decl, Reach, Tier};
    Decl {
        filter_name: "ipv6.hopopts",
        name: "IPv6 Hop-by-Hop Option",
        display: "IPv6 Hop-by-Hop",
        short: "IPv6 Hop-by-Hop",
        tier: Tier::Network,
        reached: &[Reach::IpProto(0)],
        dissect: |cx, off| dissect_ext(cx, Proto::Ipv6HopOpts, off),
        fields: ext_fields,
        info: None,
        pdu_len: None,
        field_tables: &[FIELDS],
    }
};

/// Routing Header for IPv6: names, place in the layer model, how it is reached, decoders.
pub static ROUTING: crate::dissect::decl::Decl = {
    use crate::dissect::decl::{Decl, Reach, Tier};
    Decl {
        filter_name: "ipv6.routing",
        name: "Routing Header for IPv6",
        display: "IPv6 Routing",
        short: "IPv6 Routing",
        tier: Tier::Network,
        reached: &[Reach::IpProto(43)],
        dissect: |cx, off| dissect_ext(cx, Proto::Ipv6Routing, off),
        fields: ext_fields,
        info: None,
        pdu_len: None,
        field_tables: &[FIELDS],
    }
};

/// Fragment Header for IPv6: names, place in the layer model, how it is reached, decoders.
pub static FRAG: crate::dissect::decl::Decl = {
    use crate::dissect::decl::{Decl, Reach, Tier};
    Decl {
        filter_name: "ipv6.fraghdr",
        name: "Fragment Header for IPv6",
        display: "IPv6 Fragment",
        short: "IPv6 Fragment",
        tier: Tier::Network,
        reached: &[Reach::IpProto(44)],
        dissect: |cx, off| dissect_ext(cx, Proto::Ipv6Frag, off),
        fields: ext_fields,
        info: None,
        pdu_len: None,
        field_tables: &[FIELDS],
    }
};

/// Destination Options for IPv6: names, place in the layer model, how it is reached, decoders.
pub static DSTOPTS: crate::dissect::decl::Decl = {
    use crate::dissect::decl::{Decl, Reach, Tier};
    Decl {
        filter_name: "ipv6.dstopts",
        name: "Destination Options for IPv6",
        display: "IPv6 Dest Opts",
        short: "IPv6 Dest Opts",
        tier: Tier::Network,
        reached: &[Reach::IpProto(60)],
        dissect: |cx, off| dissect_ext(cx, Proto::Ipv6DstOpts, off),
        fields: ext_fields,
        info: None,
        pdu_len: None,
        field_tables: &[FIELDS],
    }
};

/// Authentication Header: names, place in the layer model, how it is reached, decoders.
pub static AH: crate::dissect::decl::Decl = {
    use crate::dissect::decl::{Decl, Reach, Tier};
    Decl {
        filter_name: "ah",
        name: "Authentication Header",
        display: "AH",
        short: "AH",
        tier: Tier::Network,
        reached: &[Reach::IpProto(51)],
        dissect: |cx, off| dissect_ext(cx, Proto::Ah, off),
        fields: ext_fields,
        info: None,
        pdu_len: None,
        field_tables: &[FIELDS],
    }
};

#[cfg(test)]
mod tests {
    use super::super::ipv4::testutil::{decode, decode_wire, fuzz, hex, v6};
    use crate::dissect::{linktype, IssueKind};

    #[test]
    fn header_views_read_what_tshark_reads() {
        use super::{Ipv6FragHeader, Ipv6Header};
        use crate::dissect::Proto;
        // tshark 4.0.17 -T fields on fixtures/ipv6_ext.pcap: (plen, nxt, dst,
        // fraghdr offset in 8-byte units, more, ident).
        let dst = |last: u8, net: u8| {
            let mut a = [0u8; 16];
            a[..4].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
            a[5] = net;
            a[15] = last;
            a
        };
        let want = [
            (105, 0, dst(1, 2), Some((0, false, 0x0bad_cafe))),
            (52, 0, dst(1, 2), None),
            (32, 44, dst(0x20, 1), Some((0, true, 0xbeef))),
            (24, 44, dst(0x20, 1), Some((3, false, 0xbeef))),
        ];
        let path = format!("{}/fixtures/ipv6_ext.pcap", env!("CARGO_MANIFEST_DIR"));
        let frames = crate::flow::testutil::read_pcap(&path).expect("fixture readable");
        assert_eq!(frames.len(), want.len());
        let mut src = [0u8; 16];
        src[..4].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
        src[15] = 0x10;
        for ((b, wire, lt), w) in frames.iter().zip(want) {
            let h = Ipv6Header::new(&b[14..]).expect("40 bytes");
            assert_eq!(h.version(), 6);
            assert_eq!(
                (h.traffic_class(), h.flow_label(), h.hop_limit()),
                (0, 0, 64)
            );
            assert_eq!(h.payload_len(), w.0);
            assert_eq!(h.next_header(), w.1);
            assert_eq!((h.src(), h.dst()), (src, w.2));
            let pkt = crate::flow::testutil::decode(b, *wire, *lt);
            let frag = pkt.find(Proto::Ipv6Frag).map(|(_, l)| {
                let f = Ipv6FragHeader::new(pkt.bytes(l.header())).expect("8 bytes");
                assert_eq!(f.next_header(), if w.1 == 44 { 58 } else { 51 });
                (f.offset_bytes() / 8, f.more_fragments(), f.ident())
            });
            assert_eq!(frag, w.3);
        }
        assert!(Ipv6Header::new(&frames[0].0[14..53]).is_none());
        assert!(Ipv6FragHeader::new(&[58, 0, 0, 1, 0, 0, 0]).is_none());
        // Offset 0 with M: the first fragment; offset 0 without M: atomic.
        let first = Ipv6FragHeader::new(&[58, 0, 0, 1, 0, 0, 0, 9]).unwrap();
        assert!(first.is_fragment() && first.is_first_fragment());
        let atomic = Ipv6FragHeader::new(&[58, 0, 0, 6, 0, 0, 0, 9]).unwrap();
        assert!(!atomic.is_fragment() && !atomic.is_first_fragment());
    }

    // Expected values come from tshark 4.0.17 (`-T fields`) on the same bytes.

    #[test]
    fn header_fields_and_unknown_protocol() {
        let d = decode(linktype::IPV6, &v6("6b8123450008fd40", "6162636465666768"));
        assert_eq!(d.protocols, "ipv6:data");
        assert_eq!(d.get("ipv6.version"), "6");
        assert_eq!(d.get("ip.version"), "6");
        assert_eq!(d.get("ipv6.tclass"), "0x000000b8");
        assert_eq!(d.get("ipv6.tclass.dscp"), "46");
        assert_eq!(d.get("ipv6.tclass.ecn"), "0");
        assert_eq!(d.get("ipv6.flow"), "0x012345");
        assert_eq!(d.get("ipv6.plen"), "8");
        assert_eq!(d.get("ipv6.nxt"), "253");
        assert_eq!(d.get("ipv6.hlim"), "64");
        assert_eq!(d.get("ipv6.addr"), "2001:db8::1,2001:db8::2");
        assert_eq!(d.info, "Unknown IP Protocol: Unknown (253)");
    }

    #[test]
    fn routing_ah_hbh_fragment() {
        let d = decode(
            linktype::IPV6,
            &v6("6000000000102b40", "3b000000000000006162636465666768"),
        );
        assert_eq!(d.protocols, "ipv6:ipv6.routing:data");
        assert_eq!(d.get("ipv6.routing.type"), "0");
        assert_eq!(d.get("ipv6.routing.segleft"), "0");
        assert_eq!(d.info, "IPv6 no next header");

        let d = decode(
            linktype::IPV6,
            &v6(
                "6000000000183340",
                "3b04000000001001000000050102030405060708090a0b0c",
            ),
        );
        assert_eq!(d.protocols, "ipv6:ah");
        assert_eq!(d.get("ah.next_header"), "59");
        assert_eq!(d.get("ah.length"), "4");
        assert_eq!(d.get("ah.spi"), "0x00001001");
        assert_eq!(d.get("ah.sequence"), "5");
        assert_eq!(d.get("ah.icv"), "0102030405060708090a0b0c");
        assert_eq!(d.info, "IPv6 no next header");

        let d = decode(
            linktype::IPV6,
            &v6("60000000000c0040", "3b0001040000000061626364"),
        );
        assert_eq!(d.protocols, "ipv6:ipv6.hopopts:data");
        assert_eq!(d.get("ipv6.hopopts.len_oct"), "8");
        assert_eq!(d.get("ipv6.opt.type"), "0x01");
        assert_eq!(d.get("ipv6.opt.length"), "4");
        assert_eq!(d.get("ipv6.opt.padn"), "00000000");

        let d = decode(
            linktype::IPV6,
            &v6("6000000000102c40", "11000001000000076162636465666768"),
        );
        assert_eq!(d.protocols, "ipv6:ipv6.fraghdr:data");
        assert_eq!(d.get("ipv6.fraghdr.offset"), "0");
        assert_eq!(d.get("ipv6.fraghdr.more"), "1");
        assert_eq!(d.get("ipv6.fraghdr.ident"), "0x00000007");
        assert_eq!(
            d.info,
            "IPv6 fragment (off=0 more=y ident=0x00000007 nxt=17)"
        );

        let d = decode(
            linktype::IPV6,
            &v6(
                "6000000000182b40",
                "3b0202010000000020010db8000000000000000000000099",
            ),
        );
        assert_eq!(d.protocols, "ipv6:ipv6.routing");
        assert_eq!(d.get("ipv6.routing.type"), "2");
        assert_eq!(d.get("ipv6.routing.segleft"), "1");
        assert_eq!(d.get("ipv6.routing.mipv6.home_address"), "2001:db8::99");
    }

    #[test]
    fn segment_routing_header() {
        // tcpdump ipv6-srh-ext-header.pcap, frame 1.
        let f = hex(
            "080027206bcf080027c22da586dd600889ad00902b40000a000b000c00120000000000000001000a000b000c00020000\
             000000f100002904040101000000000a000b000c000300000000000000d6000a000b000c00020000000000f10000600889\
             ad00403a40000a000b000c0012000000000000000100b200000000000000000000000000028000635e06ee000103c5475a\
             000000000a5e000000000000101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637",
        );
        let d = decode(linktype::ETHERNET, &f);
        assert_eq!(
            d.protocols,
            "eth:ethertype:ipv6:ipv6.routing:ipv6:icmpv6:data"
        );
        assert_eq!(d.get("ipv6.flow"), "0x0889ad,0x0889ad");
        assert_eq!(d.get("ipv6.routing.nxt"), "41");
        assert_eq!(d.get("ipv6.routing.len"), "4");
        assert_eq!(d.get("ipv6.routing.len_oct"), "40");
        assert_eq!(d.get("ipv6.routing.srh.last_entry"), "1");
        assert_eq!(d.get("ipv6.routing.srh.flags"), "0x00");
        assert_eq!(d.get("ipv6.routing.srh.tag"), "0000");
        assert_eq!(d.get("ipv6.routing.srh.addr"), "a:b:c:3::d6,a:b:c:2::f1:0");
        assert_eq!(d.get("ipv6.dst"), "a:b:c:2::f1:0,b2::2");
        assert_eq!(d.get("icmpv6.checksum.status"), "1");
    }

    #[test]
    fn jumbogram_length_from_option() {
        // tcpdump ipv6_jumbogram_1.pcap (65590 bytes), first 80 captured.
        let f = hex(
            "0013c4c784f000123fae22f786dd60000000000000e3220000000000024402123ffffeae22f722000000000002400002\
             0000000000043a00c204000100008000e3b011e0c91ef4b5e35eff52cb42747e",
        );
        let d = decode_wire(linktype::ETHERNET, &f, 65590);
        assert_eq!(d.protocols, "eth:ethertype:ipv6:ipv6.hopopts:icmpv6:data");
        assert_eq!(d.get("ipv6.plen"), "0");
        assert_eq!(d.get("ipv6.src_slaac_mac"), "00:12:3f:ae:22:f7");
        assert_eq!(d.get("ipv6.opt.type"), "0xc2");
        assert_eq!(d.get("ipv6.opt.type.action"), "3");
        assert_eq!(d.get("ipv6.opt.jumbo"), "65536");
        assert_eq!(d.get("icmpv6.echo.identifier"), "0x11e0");
        assert_ne!(d.issue.map(|i| i.kind), Some(IssueKind::Malformed));
    }

    #[test]
    fn bad_lengths() {
        // A zero payload length without a jumbo option (tcpdump ipv6_frag6_negative_len).
        let d = decode(linktype::IPV6, &v6("6500007300002c1c", "73000000"));
        // tshark names the announced fragment header although no byte is left for it.
        assert_eq!(d.protocols, "ipv6:ipv6.fraghdr");
        assert_eq!(d.issue.unwrap().kind, IssueKind::Malformed);
        // 39 of 40 header bytes, not cut by the snap length.
        let f = v6("6000000000083a40", "");
        let d = decode(linktype::IPV6, &f[..39]);
        assert_eq!(d.info, "Invalid IPv6 header (39 bytes, need exactly 40)");
        assert_eq!(d.get("ipv6.src"), "2001:db8::1");
        assert_eq!(d.get("ipv6.dst"), "");
        // Bad version: tshark shows data, not IPv6.
        let mut f = hex("000000000001000000000002 86dd");
        f.extend(v6("0000000000003b40", ""));
        let d = decode(linktype::ETHERNET, &f);
        assert_eq!(d.protocols, "eth:ethertype:data");
    }

    #[test]
    fn never_panics() {
        fuzz(linktype::IPV6, &v6("6000000000283c40", "2b0001000102c9100000000000000000000000000000000000003b0204000000000020010db8000000000000000000000099"));
        fuzz(
            linktype::IPV6,
            &v6(
                "6000000000180040",
                "2c00c2040001000011000001000000076162636465666768",
            ),
        );
    }
}
