//! IPv4 (RFC 791), with its options.

use crate::dissect::bytes::{be16, be16_or0, be32, v4_at};
use crate::dissect::checksum::{expected_checksum, fold, sum_words};
use crate::dissect::{Cx, FieldSink, Layer, Next, Packet, Proto, SinkExt, Value};
use std::net::Ipv4Addr;
use std::ops::Range;

pub const MIN_HEADER: usize = 20;

// Byte ranges of the fixed header's fields.
pub const VER_IHL: Range<usize> = 0..1;
pub const DSFIELD: Range<usize> = 1..2;
pub const TOTAL_LEN: Range<usize> = 2..4;
pub const IDENT: Range<usize> = 4..6;
/// The three flag bits share their byte with the fragment offset's top.
pub const FLAGS: Range<usize> = 6..7;
pub const FRAG_OFFSET: Range<usize> = 6..8;
pub const TTL: Range<usize> = 8..9;
pub const PROTOCOL: Range<usize> = 9..10;
pub const CHECKSUM: Range<usize> = 10..12;
pub const SRC: Range<usize> = 12..16;
pub const DST: Range<usize> = 16..20;

const DF: u16 = 0x4000;
const MF: u16 = 0x2000;
const OFFSET_MASK: u16 = 0x1fff;

/// Read-only view of an IPv4 header; `new` refuses fewer than 20 bytes, so
/// every accessor of the fixed part is in bounds. It does not check the
/// version or the header length: decoders report those themselves.
#[derive(Clone, Copy)]
pub struct Ipv4Header<'a>(&'a [u8]);

impl<'a> Ipv4Header<'a> {
    pub fn new(b: &'a [u8]) -> Option<Self> {
        (b.len() >= MIN_HEADER).then_some(Ipv4Header(b))
    }
    fn byte(&self, r: Range<usize>) -> u8 {
        self.0[r.start]
    }
    fn addr(&self, r: Range<usize>) -> [u8; 4] {
        v4_at(self.0, r.start).unwrap_or_default()
    }
    pub fn version(&self) -> u8 {
        self.byte(VER_IHL) >> 4
    }
    /// Header length in 32-bit words.
    pub fn ihl(&self) -> u8 {
        self.byte(VER_IHL) & 0x0f
    }
    /// Header length in bytes; may be below 20 on bogus input.
    pub fn header_len(&self) -> usize {
        self.ihl() as usize * 4
    }
    /// The whole Differentiated Services byte (DSCP and ECN).
    pub fn dsfield(&self) -> u8 {
        self.byte(DSFIELD)
    }
    pub fn dscp(&self) -> u8 {
        self.dsfield() >> 2
    }
    pub fn ecn(&self) -> u8 {
        self.dsfield() & 3
    }
    /// Total length; 0 under TCP segmentation offload.
    pub fn total_len(&self) -> u16 {
        be16_or0(self.0, TOTAL_LEN.start)
    }
    pub fn ident(&self) -> u16 {
        be16_or0(self.0, IDENT.start)
    }
    /// The flags and fragment offset word as sent.
    pub fn flags_frag(&self) -> u16 {
        be16_or0(self.0, FRAG_OFFSET.start)
    }
    /// The three flag bits (reserved, DF, MF).
    pub fn flags(&self) -> u8 {
        (self.flags_frag() >> 13) as u8
    }
    pub fn dont_fragment(&self) -> bool {
        self.flags_frag() & DF != 0
    }
    pub fn more_fragments(&self) -> bool {
        self.flags_frag() & MF != 0
    }
    /// Fragment offset in 8-byte units.
    pub fn frag_offset(&self) -> u16 {
        self.flags_frag() & OFFSET_MASK
    }
    /// A piece of a datagram: more fragments follow or the offset is not 0.
    pub fn is_fragment(&self) -> bool {
        self.more_fragments() || self.frag_offset() != 0
    }
    /// The first piece of a fragmented datagram (offset 0, more to come),
    /// the one that carries the transport header.
    pub fn is_first_fragment(&self) -> bool {
        self.more_fragments() && self.frag_offset() == 0
    }
    pub fn ttl(&self) -> u8 {
        self.byte(TTL)
    }
    pub fn protocol(&self) -> u8 {
        self.byte(PROTOCOL)
    }
    pub fn checksum(&self) -> u16 {
        be16_or0(self.0, CHECKSUM.start)
    }
    pub fn src(&self) -> [u8; 4] {
        self.addr(SRC)
    }
    /// The destination field: with a source route in progress only the next hop
    /// (`addrs` gives the final destination).
    pub fn dst(&self) -> [u8; 4] {
        self.addr(DST)
    }
    /// Where the options lie, as header offsets (clipped to the bytes held).
    pub fn options_range(&self) -> Range<usize> {
        MIN_HEADER..self.header_len().clamp(MIN_HEADER, self.0.len())
    }
    pub fn options(&self) -> &'a [u8] {
        &self.0[self.options_range()]
    }
}

/// True when an ICMP/ICMPv6 layer precedes: the bytes being decoded are a
/// quoted, deliberately cut-short packet, not a lying one.
pub(crate) fn inside_icmp(pkt: &Packet<'_>) -> bool {
    pkt.layers
        .iter()
        .any(|l| matches!(l.proto, Proto::Icmp | Proto::Icmpv6))
}

// ---- dissection ----

pub fn dissect(cx: &mut Cx<'_, '_>, off: usize) -> Next {
    let b = cx.rest(off);
    let Some(&first) = b.first() else {
        cx.short(Proto::Ip, "IPv4 header cut short");
        return Next::Done;
    };
    match first >> 4 {
        4 => {}
        6 => {
            // tshark hands an IPv6 packet met where IPv4 was expected to
            // IPv6 (ip:ipv6 in frame.protocols); the IPv4 layer is empty.
            if !cx.push(Proto::Ip, off, off, off) {
                return Next::Done;
            }
            return Next::Proto(Proto::Ipv6, off);
        }
        _ => {
            cx.push(Proto::Ip, off, off + 1, off + 1);
            cx.malformed(Proto::Ip, "bogus IP version");
            return Next::Done;
        }
    }
    let hlen = (first & 0x0f) as usize * 4;
    if hlen < MIN_HEADER {
        cx.push(Proto::Ip, off, off + 1, off + 1);
        cx.malformed(Proto::Ip, "bogus IPv4 header length");
        return Next::Done;
    }
    if b.len() < hlen {
        cx.push(Proto::Ip, off, off + b.len(), off + b.len());
        // An ICMP error quotes only the start of a packet: not a fault.
        if !inside_icmp(cx.pkt) {
            cx.short(Proto::Ip, "IPv4 header cut short");
        }
        return Next::Done;
    }
    // The `hlen` (at least 20) bytes are there, so the view holds.
    let Some(h) = Ipv4Header::new(b) else {
        return Next::Done;
    };
    let end = off + hlen;
    let total = h.total_len() as usize;
    if total == 0 {
        // TCP segmentation offload: the NIC fills the length in later.
        if !cx.push(Proto::Ip, off, end, cx.limit) {
            return Next::Done;
        }
    } else if total < hlen {
        cx.push(Proto::Ip, off, end, end);
        cx.malformed(Proto::Ip, "IPv4 total length less than header length");
        return Next::Done;
    } else {
        let want = off.saturating_add(total);
        if want > cx.limit && !inside_icmp(cx.pkt) && cx.pkt.data.len() >= cx.pkt.wire_len as usize
        {
            cx.malformed(Proto::Ip, "IPv4 total length exceeds packet length");
        }
        cx.limit = cx.limit.min(want);
        if !cx.push(Proto::Ip, off, end, cx.limit) {
            return Next::Done;
        }
    }
    if h.is_fragment() {
        // MF set or a non-zero offset: a piece of a datagram. Reassembly
        // happens in the flow stage; until then the bytes are data.
        return Next::Proto(Proto::Data, end);
    }
    Next::IpProto(h.protocol(), end)
}

/// Header bytes of a layer (the fixed part and options, as captured).
fn header<'a>(pkt: &Packet<'a>, l: &Layer) -> &'a [u8] {
    pkt.bytes(l.header())
}

pub fn addrs(pkt: &Packet<'_>, l: &Layer) -> Option<(Ipv4Addr, Ipv4Addr)> {
    let b = header(pkt, l);
    let h = Ipv4Header::new(b).filter(|h| h.version() == 4)?;
    let dst = final_dst(b).unwrap_or(h.dst());
    Some((h.src().into(), dst.into()))
}

/// With a loose/strict source route still in progress, the header's
/// destination is only the next hop and the option's last entry is the
/// final destination (RFC 791 3.1): tshark shows the header's as
/// `ip.cur_rt` and the option's as `ip.dst`.
fn source_route(b: &[u8]) -> Option<(usize, usize)> {
    // Nearly every header has no options: skip building the walk.
    if b.first().is_none_or(|v| v & 0x0f <= 5) {
        return None;
    }
    for o in Options::new(Ipv4Header::new(b)?.options()) {
        if let Opt::Full {
            ty: 131 | 137,
            pos,
            body,
        } = o
        {
            let ptr = *body.get(2)? as usize;
            if ptr >= 4 && ptr & 3 == 0 && ptr <= body.len() {
                return Some((MIN_HEADER + pos, body.len()));
            }
            return None;
        }
    }
    None
}

fn final_dst(b: &[u8]) -> Option<[u8; 4]> {
    let (pos, len) = source_route(b)?;
    let n = len.checked_sub(3)? / 4;
    let last = pos + 3 + n.checked_sub(1)? * 4;
    v4_at(b, last)
}

// ---- options ----

enum Opt<'a> {
    /// EOL (0) or NOP (1): a single byte.
    Single { ty: u8, pos: usize },
    /// A type-length-value option; `body` starts at the type byte.
    Full { ty: u8, pos: usize, body: &'a [u8] },
    /// An option whose length is wrong; parsing stops after it.
    Bad { pos: usize, len: Option<u8> },
}

/// Walks the options area; stops at EOL or at the first bad length.
struct Options<'a> {
    b: &'a [u8],
    pos: usize,
    done: bool,
}

impl<'a> Options<'a> {
    fn new(b: &'a [u8]) -> Self {
        Options {
            b,
            pos: 0,
            done: false,
        }
    }
}

/// Wireshark's length rule for each known option: (fixed, minimum).
fn opt_len_rule(ty: u8) -> Option<(bool, usize)> {
    Some(match ty {
        130 => (false, 3),       // security
        131 | 137 => (false, 3), // source routes
        7 => (false, 3),         // record route
        133 => (false, 3),       // extended security
        134 => (false, 10),      // CIPSO
        136 => (true, 4),        // stream id
        68 => (false, 5),        // timestamp
        11 | 12 => (true, 4),    // MTU probe / reply
        82 => (true, 12),        // traceroute
        148 => (true, 4),        // router alert
        149 => (false, 6),       // selective directed broadcast
        25 => (true, 8),         // quick-start
        _ => return None,
    })
}

impl<'a> Iterator for Options<'a> {
    type Item = Opt<'a>;
    fn next(&mut self) -> Option<Opt<'a>> {
        if self.done {
            return None;
        }
        let pos = self.pos;
        let ty = *self.b.get(pos)?;
        if ty <= 1 {
            self.pos += 1;
            self.done = ty == 0;
            return Some(Opt::Single { ty, pos });
        }
        let Some(&len) = self.b.get(pos + 1) else {
            self.done = true;
            return Some(Opt::Bad { pos, len: None });
        };
        let n = len as usize;
        let bad = n < 2
            || pos + n > self.b.len()
            || match opt_len_rule(ty) {
                Some((true, want)) => n != want,
                Some((false, min)) => n < min,
                None => false,
            };
        if bad {
            self.done = true;
            return Some(Opt::Bad {
                pos,
                len: Some(len),
            });
        }
        self.pos += n;
        Some(Opt::Full {
            ty,
            pos,
            body: &self.b[pos..pos + n],
        })
    }
}

/// (`ip.options.*` name, title) of a known option.
fn opt_name(ty: u8) -> Option<(&'static str, &'static str)> {
    Some(match ty {
        0 => ("ip.options.eol", "End of Options List (EOL)"),
        1 => ("ip.options.nop", "No-Operation (NOP)"),
        130 => ("ip.options.security", "Security"),
        131 => ("ip.options.route", "Loose Source Route"),
        68 => ("ip.options.timestamp", "Time Stamp"),
        133 => ("ip.options.ext_security", "Extended Security"),
        134 => ("ip.options.cipso", "Commercial Security"),
        7 => ("ip.options.record_route", "Record Route"),
        136 => ("ip.options.sid", "Stream ID"),
        137 => ("ip.options.source_route", "Strict Source Route"),
        11 => ("ip.options.mtu_probe", "MTU Probe"),
        12 => ("ip.options.mtu_reply", "MTU Reply"),
        82 => ("ip.options.traceroute", "Traceroute"),
        148 => ("ip.options.routeralert", "Router Alert"),
        149 => ("ip.options.sdb", "Selective Directed Broadcast"),
        25 => ("ip.options.qs", "Quick-Start"),
        _ => return None,
    })
}

fn put_v4(
    out: &mut dyn FieldSink,
    name: &'static str,
    host: &'static str,
    label: &'static str,
    a: [u8; 4],
    r: std::ops::Range<usize>,
) {
    out.put(name, label, Value::Ipv4(a), r.clone());
    out.put(host, label, Value::Ipv4(a), r);
}

fn type_fields(out: &mut dyn FieldSink, ty: u8, o: usize) {
    let r = o..o + 1;
    out.put("ip.opt.type", "Type", Value::U(ty as u64), r.clone());
    out.open("Type", r.clone());
    out.put(
        "ip.opt.type.copy",
        "Copy on fragmentation",
        Value::Bool(ty & 0x80 != 0),
        r.clone(),
    );
    out.put(
        "ip.opt.type.class",
        "Class",
        Value::U(((ty >> 5) & 3) as u64),
        r.clone(),
    );
    out.put(
        "ip.opt.type.number",
        "Number",
        Value::U((ty & 0x1f) as u64),
        r,
    );
    out.close();
}

/// Route entries of record-route and source-route options.
fn route_fields(out: &mut dyn FieldSink, ty: u8, body: &[u8], o: usize) {
    let Some(&ptr) = body.get(2) else { return };
    out.put("ip.opt.ptr", "Pointer", Value::U(ptr as u64), o + 2..o + 3);
    let ptr = ptr as usize;
    if ptr < 4 || ptr & 3 != 0 {
        return;
    }
    let len = body.len();
    let mut i = 3;
    while i < len {
        let Some(a) = v4_at(body, i) else { return };
        let r = o + i..o + i + 4;
        if i + 1 < ptr {
            put_v4(out, "ip.rec_rt", "ip.rec_rt_host", "Recorded Route", a, r);
        } else if ty == 7 {
            put_v4(out, "ip.empty_rt", "ip.empty_rt_host", "Empty Route", a, r);
        } else if i + 4 >= len {
            out.put("ip.dst", "Destination Address", Value::Ipv4(a), r.clone());
            out.put(
                "ip.addr",
                "Source or Destination Address",
                Value::Ipv4(a),
                r.clone(),
            );
            out.put("ip.dst_host", "Destination Host", Value::Ipv4(a), r.clone());
            out.put("ip.host", "Source or Destination Host", Value::Ipv4(a), r);
        } else {
            put_v4(out, "ip.src_rt", "ip.src_rt_host", "Source Route", a, r);
        }
        i += 4;
    }
}

fn timestamp_fields(out: &mut dyn FieldSink, body: &[u8], o: usize) {
    let (Some(&ptr), Some(&of)) = (body.get(2), body.get(3)) else {
        return;
    };
    out.put("ip.opt.ptr", "Pointer", Value::U(ptr as u64), o + 2..o + 3);
    out.put(
        "ip.opt.overflow",
        "Overflow",
        Value::U((of >> 4) as u64),
        o + 3..o + 4,
    );
    let flag = of & 0x0f;
    out.put(
        "ip.opt.flag",
        "Flag",
        Value::Hex(flag as u64, 2),
        o + 3..o + 4,
    );
    let with_addr = flag == 1 || flag == 3;
    let step = if with_addr { 8 } else { 4 };
    let mut i = 4;
    while i + step <= body.len() {
        if with_addr {
            if let Some(a) = v4_at(body, i) {
                out.put(
                    "ip.opt.time_stamp_addr",
                    "Address",
                    Value::Ipv4(a),
                    o + i..o + i + 4,
                );
            }
        }
        let t = i + step - 4;
        if let Some(ts) = be32(body, t) {
            out.put(
                "ip.opt.time_stamp",
                "Time stamp",
                Value::U(ts as u64),
                o + t..o + t + 4,
            );
        }
        i += step;
    }
}

fn option_detail(out: &mut dyn FieldSink, ty: u8, body: &[u8], o: usize) {
    let at = |i: usize, n: usize| o + i..o + i + n;
    match ty {
        7 | 131 | 137 => route_fields(out, ty, body, o),
        68 => timestamp_fields(out, body, o),
        136 => {
            if let Some(v) = be16(body, 2) {
                out.put(
                    "ip.opt.sid",
                    "Stream Identifier",
                    Value::U(v as u64),
                    at(2, 2),
                );
            }
        }
        11 | 12 => {
            if let Some(v) = be16(body, 2) {
                out.put("ip.opt.mtu", "MTU", Value::U(v as u64), at(2, 2));
            }
        }
        148 => {
            if let Some(v) = be16(body, 2) {
                out.put("ip.opt.ra", "Router Alert", Value::U(v as u64), at(2, 2));
            }
        }
        82 => {
            if let (Some(id), Some(ohc), Some(rhc), Some(a)) =
                (be16(body, 2), be16(body, 4), be16(body, 6), v4_at(body, 8))
            {
                out.put(
                    "ip.opt.id_number",
                    "ID Number",
                    Value::U(id as u64),
                    at(2, 2),
                );
                out.put(
                    "ip.opt.ohc",
                    "Outbound Hop Count",
                    Value::U(ohc as u64),
                    at(4, 2),
                );
                out.put(
                    "ip.opt.rhc",
                    "Return Hop Count",
                    Value::U(rhc as u64),
                    at(6, 2),
                );
                out.put(
                    "ip.opt.originator",
                    "Originator IP Address",
                    Value::Ipv4(a),
                    at(8, 4),
                );
            }
        }
        149 => {
            let mut i = 2;
            while let Some(a) = v4_at(body, i) {
                out.put("ip.opt.addr", "IP Address", Value::Ipv4(a), at(i, 4));
                i += 4;
            }
        }
        25 => {
            if let (Some(&f), Some(&ttl), Some(n)) = (body.get(2), body.get(3), be32(body, 4)) {
                out.put(
                    "ip.opt.qs_func",
                    "Function",
                    Value::U((f >> 4) as u64),
                    at(2, 1),
                );
                out.put(
                    "ip.opt.qs_rate",
                    "Rate",
                    Value::U((f & 0x0f) as u64),
                    at(2, 1),
                );
                out.put("ip.opt.qs_ttl", "QS TTL", Value::U(ttl as u64), at(3, 1));
                out.put(
                    "ip.opt.qs_nonce",
                    "QS Nonce",
                    Value::Hex((n >> 2) as u64, 8),
                    at(4, 4),
                );
                out.put(
                    "ip.opt.qs_reserved",
                    "Reserved",
                    Value::Hex((n & 3) as u64, 8),
                    at(4, 4),
                );
            }
        }
        133 => {
            if let Some(&c) = body.get(2) {
                out.put(
                    "ip.opt.ext_sec_add_sec_info_format_code",
                    "Additional Security Info Format Code",
                    Value::Hex(c as u64, 2),
                    at(2, 1),
                );
                let rest = body.get(3..).unwrap_or_default();
                out.put(
                    "ip.opt.ext_sec_add_sec_info",
                    "Additional Security Info",
                    Value::Bytes(rest),
                    at(3, rest.len()),
                );
            }
        }
        134 => {
            if let Some(doi) = be32(body, 2) {
                out.put("ip.cipso.doi", "DOI", Value::U(doi as u64), at(2, 4));
            }
        }
        130 if body.len() == 11 => {
            // RFC 791 security option.
            if let (Some(s), Some(c)) = (be16(body, 2), be16(body, 4)) {
                out.put(
                    "ip.opt.sec_rfc791_sec",
                    "Security",
                    Value::Hex(s as u64, 4),
                    at(2, 2),
                );
                out.put(
                    "ip.opt.sec_rfc791_comp",
                    "Compartments",
                    Value::U(c as u64),
                    at(4, 2),
                );
            }
        }
        130 => {
            // RFC 1108 basic security option.
            if let Some(&cl) = body.get(2) {
                out.put(
                    "ip.opt.sec_cl",
                    "Classification Level",
                    Value::Hex(cl as u64, 2),
                    at(2, 1),
                );
            }
            if let Some(&f) = body.get(3) {
                out.put(
                    "ip.opt.sec_prot_auth_flags",
                    "Protection Authority Flags",
                    Value::Hex(f as u64, 2),
                    at(3, 1),
                );
            }
        }
        _ => {}
    }
}

fn options(out: &mut dyn FieldSink, opts: &[u8], o: usize) {
    out.open("Options", o..o + opts.len());
    for opt in Options::new(opts) {
        match opt {
            Opt::Single { ty, pos } => {
                let (name, title) = opt_name(ty).unwrap_or(("", ""));
                let r = o + pos..o + pos + 1;
                out.put(name, title, Value::Bytes(&opts[pos..pos + 1]), r.clone());
                out.open(title, r);
                type_fields(out, ty, o + pos);
                out.close();
            }
            Opt::Full { ty, pos, body } => {
                let r = o + pos..o + pos + body.len();
                let Some((name, title)) = opt_name(ty) else {
                    // tshark shows unknown options as text only.
                    out.open("Unknown option", r);
                    out.close();
                    continue;
                };
                out.put(name, title, Value::Bytes(body), r.clone());
                out.open(title, r);
                type_fields(out, ty, o + pos);
                out.put(
                    "ip.opt.len",
                    "Length",
                    Value::U(body[1] as u64),
                    o + pos + 1..o + pos + 2,
                );
                option_detail(out, ty, body, o + pos);
                out.close();
            }
            Opt::Bad { pos, len } => {
                let r = o + pos..o + pos + 1 + len.is_some() as usize;
                out.open("Invalid length for option", r);
                out.close();
            }
        }
    }
    out.close();
}

pub fn fields(pkt: &Packet<'_>, l: &Layer, out: &mut dyn FieldSink) {
    let o = l.start as usize;
    let b = header(pkt, l);
    let Some(&v0) = b.first() else {
        // An IPv6 packet where IPv4 was expected: tshark lists ip in
        // frame.protocols but adds no ip tree (so the filter `ip` fails).
        return;
    };
    out.layer("ip", "Internet Protocol Version 4", l.header());
    let at = |r: Range<usize>| o + r.start..o + r.end;
    out.put(
        "ip.version",
        "Version",
        Value::U((v0 >> 4) as u64),
        at(VER_IHL),
    );
    if v0 >> 4 != 4 {
        return;
    }
    let hlen = (v0 & 0x0f) as usize * 4;
    out.put(
        "ip.hdr_len",
        "Header Length",
        Value::U(hlen as u64),
        at(VER_IHL),
    );
    if hlen < MIN_HEADER {
        return;
    }
    let Some(&ds) = b.get(DSFIELD.start) else {
        return;
    };
    out.put(
        "ip.dsfield",
        "Differentiated Services Field",
        Value::Hex(ds as u64, 2),
        at(DSFIELD),
    );
    out.open("Differentiated Services Field", at(DSFIELD));
    out.put(
        "ip.dsfield.dscp",
        "Differentiated Services Codepoint",
        Value::U((ds >> 2) as u64),
        at(DSFIELD),
    );
    out.put(
        "ip.dsfield.ecn",
        "Explicit Congestion Notification",
        Value::U((ds & 3) as u64),
        at(DSFIELD),
    );
    out.close();
    let Some(total) = be16(b, TOTAL_LEN.start) else {
        return;
    };
    let shown = if total == 0 {
        l.limit.saturating_sub(l.start) as u64
    } else {
        total as u64
    };
    out.put("ip.len", "Total Length", Value::U(shown), at(TOTAL_LEN));
    if total != 0 && (total as usize) < hlen {
        return;
    }
    let Some(id) = be16(b, IDENT.start) else {
        return;
    };
    out.put(
        "ip.id",
        "Identification",
        Value::Hex(id as u64, 4),
        at(IDENT),
    );
    let Some(fo) = be16(b, FRAG_OFFSET.start) else {
        return;
    };
    out.put(
        "ip.flags",
        "Flags",
        Value::Hex((fo >> 13) as u64, 2),
        at(FLAGS),
    );
    out.open("Flags", at(FLAGS));
    out.put(
        "ip.flags.rb",
        "Reserved bit",
        Value::Bool(fo & 0x8000 != 0),
        at(FLAGS),
    );
    out.put(
        "ip.flags.df",
        "Don't fragment",
        Value::Bool(fo & DF != 0),
        at(FLAGS),
    );
    out.put(
        "ip.flags.mf",
        "More fragments",
        Value::Bool(fo & MF != 0),
        at(FLAGS),
    );
    out.close();
    out.put(
        "ip.frag_offset",
        "Fragment Offset",
        Value::U((fo & OFFSET_MASK) as u64),
        at(FRAG_OFFSET),
    );
    let Some(&ttl) = b.get(TTL.start) else { return };
    out.put("ip.ttl", "Time to Live", Value::U(ttl as u64), at(TTL));
    let Some(&proto) = b.get(PROTOCOL.start) else {
        return;
    };
    out.put_note(
        "ip.proto",
        "Protocol",
        Value::U(proto as u64),
        at(PROTOCOL),
        proto_name(proto),
    );
    let Some(ck) = be16(b, CHECKSUM.start) else {
        return;
    };
    out.put(
        "ip.checksum",
        "Header Checksum",
        Value::Hex(ck as u64, 4),
        at(CHECKSUM),
    );
    if b.len() >= hlen {
        let hdr = &b[..hlen];
        let good = fold(sum_words(hdr, 0)) == 0;
        out.put(
            "ip.checksum.status",
            "Header checksum status",
            Value::U(good as u64),
            0..0,
        );
        let calc = expected_checksum(hdr, CHECKSUM.start, 0);
        out.put(
            "ip.checksum_calculated",
            "Calculated Checksum",
            Value::Hex(calc as u64, 4),
            0..0,
        );
    } else {
        out.put(
            "ip.checksum.status",
            "Header checksum status",
            Value::U(2),
            0..0,
        );
    }
    let Some(src) = v4_at(b, SRC.start) else {
        return;
    };
    out.put("ip.src", "Source Address", Value::Ipv4(src), at(SRC));
    out.put(
        "ip.addr",
        "Source or Destination Address",
        Value::Ipv4(src),
        at(SRC),
    );
    out.put("ip.src_host", "Source Host", Value::Ipv4(src), at(SRC));
    out.put(
        "ip.host",
        "Source or Destination Host",
        Value::Ipv4(src),
        at(SRC),
    );
    let Some(dst) = v4_at(b, DST.start) else {
        return;
    };
    if source_route(b).is_some() {
        put_v4(
            out,
            "ip.cur_rt",
            "ip.cur_rt_host",
            "Current Route",
            dst,
            at(DST),
        );
    } else {
        out.put("ip.dst", "Destination Address", Value::Ipv4(dst), at(DST));
        out.put(
            "ip.addr",
            "Source or Destination Address",
            Value::Ipv4(dst),
            at(DST),
        );
        out.put("ip.dst_host", "Destination Host", Value::Ipv4(dst), at(DST));
        out.put(
            "ip.host",
            "Source or Destination Host",
            Value::Ipv4(dst),
            at(DST),
        );
    }
    if hlen > MIN_HEADER {
        let opts = b.get(MIN_HEADER..hlen.min(b.len())).unwrap_or_default();
        options(out, opts, o + MIN_HEADER);
    }
}

/// Info text for an IPv4 packet nothing above explains (fragments, unknown
/// protocols, bogus headers), as Wireshark's IP dissector writes it.
pub fn info(pkt: &Packet<'_>, l: &Layer, w: &mut Vec<u8>) {
    let b = header(pkt, l);
    let Some(&v0) = b.first() else { return };
    let mut n = itoa::Buffer::new();
    if v0 >> 4 != 4 {
        w.extend_from_slice(b"Bogus IP version (");
        w.extend_from_slice(n.format(v0 >> 4).as_bytes());
        w.push(b')');
        return;
    }
    let hlen = (v0 & 0x0f) as usize * 4;
    if hlen < MIN_HEADER {
        w.extend_from_slice(b"Bogus IP header length (");
        w.extend_from_slice(n.format(hlen).as_bytes());
        w.extend_from_slice(b", must be at least 20)");
        return;
    }
    // A header cut short still names what its first 10 bytes hold.
    let (Some(total), Some(id), Some(fo), Some(&proto)) = (
        be16(b, TOTAL_LEN.start),
        be16(b, IDENT.start),
        be16(b, FRAG_OFFSET.start),
        b.get(PROTOCOL.start),
    ) else {
        return;
    };
    if total != 0 && (total as usize) < hlen {
        w.extend_from_slice(b"Bogus IP length (");
        w.extend_from_slice(n.format(total).as_bytes());
        w.extend_from_slice(b", less than header length ");
        w.extend_from_slice(n.format(hlen).as_bytes());
        w.push(b')');
        return;
    }
    // Only when nothing but data (or nothing) follows.
    let idx = pkt.layers.iter().position(|x| x == l);
    let next = idx.and_then(|i| pkt.layers.get(i + 1));
    if next.is_some_and(|x| x.proto != Proto::Data) {
        return;
    }
    if fo & (MF | OFFSET_MASK) != 0 {
        w.extend_from_slice(b"Fragmented IP protocol (proto=");
        w.extend_from_slice(proto_name(proto).as_bytes());
        w.push(b' ');
        w.extend_from_slice(n.format(proto).as_bytes());
        w.extend_from_slice(b", off=");
        w.extend_from_slice(n.format((fo & OFFSET_MASK) as u32 * 8).as_bytes());
        w.extend_from_slice(b", ID=");
        let mut hex = Vec::with_capacity(8);
        Value::Hex(id as u64, 4).write_to(&mut hex);
        w.extend_from_slice(&hex[2..]);
        w.push(b')');
    } else if next.is_some() {
        w.extend_from_slice(proto_name(proto).as_bytes());
        w.extend_from_slice(b" (");
        w.extend_from_slice(n.format(proto).as_bytes());
        w.push(b')');
    }
}

/// IANA protocol-number names as Wireshark's `ip.proto` shows them.
pub fn proto_name(p: u8) -> &'static str {
    match p {
        0 => "IPv6 Hop-by-Hop Option",
        1 => "ICMP",
        2 => "IGMP",
        3 => "GGP",
        4 => "IPIP",
        5 => "Stream",
        6 => "TCP",
        7 => "CBT",
        8 => "EGP",
        9 => "IGRP",
        10 => "BBN RCC",
        11 => "Network Voice",
        12 => "PUP",
        13 => "ARGUS",
        14 => "EMCON",
        15 => "XNET",
        16 => "CHAOS",
        17 => "UDP",
        18 => "Multiplex",
        19 => "DCN Measurement",
        20 => "Host Monitoring",
        21 => "Packet radio",
        22 => "IDP",
        23 => "Trunk-1",
        24 => "Trunk-2",
        25 => "Leaf-1",
        26 => "Leaf-2",
        27 => "Reliable Data",
        28 => "IRT",
        29 => "ISO TP4",
        30 => "Bulk Data",
        31 => "MFE NSP",
        32 => "Merit Internodal",
        33 => "Datagram Congestion Control Protocol",
        34 => "3rd Party Connect",
        35 => "Inter-Domain Policy Routing Protocol",
        36 => "XTP",
        37 => "Datagram delivery",
        38 => "Control Message",
        39 => "TP++",
        40 => "IL",
        41 => "IPv6",
        42 => "Source demand routing",
        43 => "Routing Header for IPv6",
        44 => "Fragment Header for IPv6",
        45 => "Inter-Domain Routing Protocol",
        46 => "Reservation Protocol",
        47 => "Generic Routing Encapsulation",
        48 => "Dynamic source routing",
        49 => "BNA",
        50 => "Encap Security Payload",
        51 => "Authentication Header",
        52 => "INSLP",
        53 => "SWIPE",
        54 => "NBMA ARP",
        55 => "IP Mobility",
        56 => "TLSP Kryptonet",
        57 => "SKIP",
        58 => "ICMPv6",
        59 => "No Next Header for IPv6",
        60 => "Destination Options for IPv6",
        61 => "any host internal protocol",
        62 => "Mobile IPv6 (old)",
        63 => "any local network",
        64 => "SATNET EXPAK",
        65 => "Kryptolan",
        66 => "Remote Virtual Disk",
        67 => "IPPC",
        68 => "any distributed file system",
        69 => "SATNET Monitoring",
        70 => "VISA",
        71 => "IPCV",
        72 => "CPNX",
        73 => "CPHB",
        74 => "Wang Span",
        75 => "Packet Video",
        76 => "Backroom SATNET Mon",
        77 => "Sun ND Protocol",
        78 => "Wideband Mon",
        79 => "Wideband Expak",
        80 => "ISO Internet Protocol",
        81 => "VMTP",
        82 => "Secure VMTP",
        83 => "VINES",
        84 => "TTP",
        85 => "NSFNET IGP",
        86 => "Dissimilar Gateway",
        87 => "TCF",
        88 => "EIGRP",
        89 => "OSPF IGP",
        90 => "Sprite RPC",
        91 => "Locus ARP",
        92 => "Multicast Transport",
        93 => "AX.25 Frames",
        94 => "IP in IP",
        95 => "MICP",
        96 => "Semaphore",
        97 => "Ether in IP",
        98 => "ENCAP",
        99 => "any private encryption scheme",
        100 => "GMTP",
        101 => "Ipsilon Flow",
        102 => "PNNI over IP",
        103 => "PIM",
        104 => "ARIS",
        105 => "SCPS",
        106 => "QNX",
        107 => "Active Networks",
        108 => "IPComp",
        109 => "Sitara Networks",
        110 => "Compaq Peer",
        111 => "IPX IN IP",
        112 => "VRRP",
        113 => "PGM",
        114 => "any 0-hop protocol",
        115 => "Layer 2 Tunneling",
        116 => "DDX",
        117 => "IATP",
        118 => "STP",
        119 => "SpectraLink",
        120 => "UTI",
        121 => "SMP",
        122 => "SM",
        123 => "PTP",
        124 => "ISIS over IP",
        125 => "FIRE",
        126 => "CRTP",
        127 => "CRUDP",
        128 => "SSCOPMCE",
        129 => "IPLT",
        130 => "Secure Packet",
        131 => "PIPE",
        132 => "SCTP",
        133 => "Fibre Channel",
        134 => "RSVP E2EI",
        135 => "Mobile IPv6",
        136 => "UDPLite",
        137 => "MPLS in IP",
        138 => "MANET",
        139 => "HIP",
        140 => "Shim6 header",
        141 => "WESP",
        142 => "ROHC",
        143 => "Ethernet",
        144..=172 => "Unassigned",
        173 => "AX/4000 Testframe",
        174..=223 => "Unassigned",
        224 => "Novell NCS Heartbeat",
        225..=255 => "Unknown",
    }
}

/// Every field this file's decoders emit, as Wireshark registers them.
pub const FIELDS: &[crate::dissect::decl::FieldDef] = {
    use crate::dissect::decl::{f, FieldType::*};
    &[
        f("ip.addr", Ipv4, "Source or Destination Address"),
        f("ip.checksum", Uint, "Header Checksum"),
        f("ip.checksum.status", Uint, "Header checksum status"),
        f("ip.checksum_calculated", Uint, "Calculated Checksum"),
        f("ip.cipso.doi", Uint, "DOI"),
        f("ip.cur_rt", Ipv4, "Current Route"),
        f("ip.cur_rt_host", Str, "Current Route Host"),
        f("ip.dsfield", Uint, "Differentiated Services Field"),
        f("ip.dsfield.dscp", Uint, "Differentiated Services Codepoint"),
        f("ip.dsfield.ecn", Uint, "Explicit Congestion Notification"),
        f("ip.dst", Ipv4, "Destination Address"),
        f("ip.dst_host", Str, "Destination Host"),
        f("ip.empty_rt", Ipv4, "Empty Route"),
        f("ip.empty_rt_host", Str, "Empty Route Host"),
        f("ip.flags", Uint, "Flags"),
        f("ip.flags.df", Bool, "Don't fragment"),
        f("ip.flags.mf", Bool, "More fragments"),
        f("ip.flags.rb", Bool, "Reserved bit"),
        f("ip.frag_offset", Uint, "Fragment Offset"),
        f("ip.hdr_len", Uint, "Header Length"),
        f("ip.host", Str, "Source or Destination Host"),
        f("ip.id", Uint, "Identification"),
        f("ip.len", Uint, "Total Length"),
        f("ip.opt.addr", Ipv4, "IP Address"),
        f(
            "ip.opt.ext_sec_add_sec_info",
            Bytes,
            "Additional Security Info",
        ),
        f(
            "ip.opt.ext_sec_add_sec_info_format_code",
            Uint,
            "Additional Security Info Format Code",
        ),
        f("ip.opt.flag", Uint, "Flag"),
        f("ip.opt.id_number", Uint, "ID Number"),
        f("ip.opt.len", Uint, "Length"),
        f("ip.opt.mtu", Uint, "MTU"),
        f("ip.opt.ohc", Uint, "Outbound Hop Count"),
        f("ip.opt.originator", Ipv4, "Originator IP Address"),
        f("ip.opt.overflow", Uint, "Overflow"),
        f("ip.opt.ptr", Uint, "Pointer"),
        f("ip.opt.qs_func", Uint, "Function"),
        f("ip.opt.qs_nonce", Uint, "QS Nonce"),
        f("ip.opt.qs_rate", Uint, "Rate"),
        f("ip.opt.qs_reserved", Uint, "Reserved"),
        f("ip.opt.qs_ttl", Uint, "QS TTL"),
        f("ip.opt.ra", Uint, "Router Alert"),
        f("ip.opt.rhc", Uint, "Return Hop Count"),
        f("ip.opt.sec_cl", Uint, "Classification Level"),
        f(
            "ip.opt.sec_prot_auth_flags",
            Uint,
            "Protection Authority Flags",
        ),
        f("ip.opt.sec_rfc791_comp", Uint, "Compartments"),
        f("ip.opt.sec_rfc791_sec", Uint, "Security"),
        f("ip.opt.sid", Uint, "Stream Identifier"),
        f("ip.opt.time_stamp", Uint, "Time stamp"),
        f("ip.opt.time_stamp_addr", Ipv4, "Address"),
        f("ip.opt.type", Uint, "Type"),
        f("ip.opt.type.class", Uint, "Class"),
        f("ip.opt.type.copy", Bool, "Copy on fragmentation"),
        f("ip.opt.type.number", Uint, "Number"),
        f("ip.options.cipso", Proto, "IP Option - Commercial Security"),
        f(
            "ip.options.eol",
            Proto,
            "IP Option - End of Options List (EOL)",
        ),
        f(
            "ip.options.ext_security",
            Proto,
            "IP Option - Extended Security",
        ),
        f("ip.options.mtu_probe", Proto, "IP Option - MTU Probe"),
        f("ip.options.mtu_reply", Proto, "IP Option - MTU Reply"),
        f("ip.options.nop", Proto, "IP Option - No-Operation (NOP)"),
        f("ip.options.qs", Proto, "IP Option - Quick-Start"),
        f("ip.options.record_route", Proto, "IP Option - Record Route"),
        f("ip.options.route", Proto, "IP Option - Loose Source Route"),
        f("ip.options.routeralert", Proto, "IP Option - Router Alert"),
        f(
            "ip.options.sdb",
            Proto,
            "IP Option - Selective Directed Broadcast",
        ),
        f("ip.options.security", Proto, "IP Option - Security"),
        f("ip.options.sid", Proto, "IP Option - Stream ID"),
        f(
            "ip.options.source_route",
            Proto,
            "IP Option - Strict Source Route",
        ),
        f("ip.options.timestamp", Proto, "IP Option - Time Stamp"),
        f("ip.options.traceroute", Proto, "IP Option - Traceroute"),
        f("ip.proto", Uint, "Protocol"),
        f("ip.rec_rt", Ipv4, "Recorded Route"),
        f("ip.rec_rt_host", Str, "Recorded Route Host"),
        f("ip.src", Ipv4, "Source Address"),
        f("ip.src_host", Str, "Source Host"),
        f("ip.src_rt", Ipv4, "Source Route"),
        f("ip.src_rt_host", Str, "Source Route Host"),
        f("ip.ttl", Uint, "Time to Live"),
        f("ip.version", Uint, "Version"),
    ]
};

/// Internet Protocol Version 4: names, place in the layer model, how it is reached, decoders.
pub static DECL: crate::dissect::decl::Decl = {
    use crate::dissect::decl::{Decl, Reach, Tier};
    Decl {
        filter_name: "ip",
        name: "Internet Protocol Version 4",
        display: "IPv4",
        short: "IPv4",
        tier: Tier::Network,
        reached: &[
            Reach::Ethertype(0x0800),
            Reach::IpProto(4),
            Reach::LinkType(228),
        ],
        dissect,
        fields,
        info: Some(info),
        pdu_len: None,
        field_tables: &[FIELDS],
    }
};

#[cfg(test)]
pub(crate) mod testutil {
    //! Decodes a hand-made frame and collects what a sink would see.
    use crate::dissect::{self, frame, Field, FieldSink, Issue};
    use crate::source::{Frame, Timestamp};

    pub struct Decoded {
        pub fields: Vec<(&'static str, String)>,
        pub info: String,
        pub protocols: String,
        pub issue: Option<Issue>,
    }

    impl Decoded {
        /// Every value of `name`, comma-joined as `tshark -T fields` prints them.
        pub fn get(&self, name: &str) -> String {
            let v: Vec<&str> = self
                .fields
                .iter()
                .filter(|(n, _)| *n == name)
                .map(|(_, v)| v.as_str())
                .collect();
            v.join(",")
        }
    }

    struct Collect(Vec<(&'static str, String)>);
    impl FieldSink for Collect {
        fn field(&mut self, f: &Field<'_>) {
            self.0.push((f.name, f.value.to_string_lossy()));
        }
    }

    /// An IPv6 packet: the first 8 header bytes, addresses 2001:db8::1 →
    /// 2001:db8::2, then `rest`, all as hex.
    pub fn v6(first8: &str, rest: &str) -> Vec<u8> {
        const SRC_DST: &str = "20010db800000000000000000000000120010db8000000000000000000000002";
        hex(&format!("{first8}{SRC_DST}{rest}"))
    }

    pub fn hex(s: &str) -> Vec<u8> {
        let s: Vec<u8> = s.bytes().filter(|c| c.is_ascii_hexdigit()).collect();
        s.chunks(2)
            .map(|c| u8::from_str_radix(std::str::from_utf8(c).unwrap(), 16).unwrap())
            .collect()
    }

    pub fn decode_wire(linktype: u32, bytes: &[u8], wire_len: u32) -> Decoded {
        let fr = Frame {
            ts: Timestamp::default(),
            wire_len,
            linktype,
            interface: 0,
            ts_digits: 6,
            bytes,
        };
        let pkt = dissect::dissect(&fr, 1, Timestamp::default());
        let mut c = Collect(Vec::new());
        dissect::all_fields(&pkt, &mut c);
        let mut info = Vec::new();
        dissect::info(&pkt, &mut info);
        let mut protos = Vec::new();
        frame::write_protocols(&pkt, &mut protos);
        Decoded {
            fields: c.0,
            info: String::from_utf8(info).unwrap(),
            protocols: String::from_utf8(protos).unwrap(),
            issue: pkt.issue,
        }
    }

    pub fn decode(linktype: u32, bytes: &[u8]) -> Decoded {
        decode_wire(linktype, bytes, bytes.len() as u32)
    }

    /// Mutates and truncates `seed` many ways; decoding must never panic.
    pub fn fuzz(linktype: u32, seed: &[u8]) {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for cut in 0..=seed.len() {
            decode(linktype, &seed[..cut]);
        }
        for _ in 0..3000 {
            let mut b = seed.to_vec();
            for _ in 0..1 + next() % 4 {
                let i = (next() as usize) % b.len();
                b[i] = next() as u8;
            }
            let cut = (next() as usize) % (b.len() + 1);
            decode_wire(linktype, &b[..cut], b.len() as u32);
            decode(linktype, &b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testutil::{decode, fuzz, hex};
    use super::*;
    use crate::dissect::{linktype, IssueKind};

    // Expected values below come from tshark 4.0.17
    // (`-o ip.check_checksum:TRUE -T fields`) on the same bytes.

    #[test]
    fn first_fragment_is_data() {
        // zeek traces/ipv4/fragmented-1.pcap, frame 1.
        let f = hex(
            "006097122f580020afba786508004500002600f2200040111af2a4017ba3a4017b3d007b00890012bfe2\
             000000000000000000000000000000000000",
        );
        let d = decode(linktype::ETHERNET, &f);
        assert_eq!(d.protocols, "eth:ethertype:ip:data");
        assert_eq!(d.get("ip.version"), "4");
        assert_eq!(d.get("ip.hdr_len"), "20");
        assert_eq!(d.get("ip.dsfield"), "0x00");
        assert_eq!(d.get("ip.len"), "38");
        assert_eq!(d.get("ip.id"), "0x00f2");
        assert_eq!(d.get("ip.flags"), "0x01");
        assert_eq!(d.get("ip.flags.mf"), "1");
        assert_eq!(d.get("ip.frag_offset"), "0");
        assert_eq!(d.get("ip.proto"), "17");
        assert_eq!(d.get("ip.checksum"), "0x1af2");
        assert_eq!(d.get("ip.checksum.status"), "1");
        assert_eq!(d.get("ip.addr"), "164.1.123.163,164.1.123.61");
        assert_eq!(d.get("data.len"), "18");
        assert_eq!(d.get("eth.padding"), "0000000000000000");
        assert_eq!(
            d.info,
            "Fragmented IP protocol (proto=UDP 17, off=0, ID=00f2)"
        );
        assert!(d.issue.is_none());
    }

    #[test]
    fn record_route_and_timestamp_options() {
        let d = decode(
            linktype::IPV4,
            &hex("4800002c1234000040113f6c0a0000010a000002070b080a0000010a0000020030390035000c000061626364"),
        );
        assert_eq!(d.get("ip.options.record_route"), "070b080a0000010a000002");
        assert_eq!(d.get("ip.opt.type"), "7,0");
        assert_eq!(d.get("ip.opt.type.copy"), "0,0");
        assert_eq!(d.get("ip.opt.len"), "11");
        assert_eq!(d.get("ip.opt.ptr"), "8");
        assert_eq!(d.get("ip.rec_rt"), "10.0.0.1");
        assert_eq!(d.get("ip.empty_rt"), "10.0.0.2");
        assert_eq!(d.get("ip.options.eol"), "00");
        assert_eq!(d.get("ip.checksum.status"), "1");

        let d = decode(
            linktype::IPV4,
            &hex("4800002c123400004011fe180a0000010a000002440c05010a0000010000006430390035000c000061626364"),
        );
        assert_eq!(d.get("ip.opt.type"), "68");
        assert_eq!(d.get("ip.opt.type.class"), "2");
        assert_eq!(d.get("ip.opt.ptr"), "5");
        assert_eq!(d.get("ip.opt.overflow"), "0");
        assert_eq!(d.get("ip.opt.flag"), "0x01");
        assert_eq!(d.get("ip.opt.time_stamp_addr"), "10.0.0.1");
        assert_eq!(d.get("ip.opt.time_stamp"), "100");

        let d = decode(
            linktype::IPV4,
            &hex("46000024123400004011bf8e0a0000010a0000029404000030390035000c000061626364"),
        );
        assert_eq!(d.get("ip.options.routeralert"), "94040000");
        assert_eq!(d.get("ip.opt.type"), "148");
        assert_eq!(d.get("ip.opt.type.number"), "20");
        assert_eq!(d.get("ip.opt.ra"), "0");
    }

    #[test]
    fn loose_source_route_names_final_destination() {
        let d = decode(
            linktype::IPV4,
            &hex("49000030123400004011ad590a0000010a000002830f080a0000070a0000080a0000090030390035000c000061626364"),
        );
        assert_eq!(d.get("ip.dst"), "10.0.0.9");
        assert_eq!(d.get("ip.cur_rt"), "10.0.0.2");
        assert_eq!(d.get("ip.rec_rt"), "10.0.0.7");
        assert_eq!(d.get("ip.src_rt"), "10.0.0.8");
        assert_eq!(d.get("ip.addr"), "10.0.0.1,10.0.0.9");
        assert_eq!(d.get("ip.opt.ptr"), "8");
        let data = hex("49000030123400004011ad590a0000010a000002830f080a0000070a0000080a0000090030390035000c000061626364");
        let fr = crate::source::Frame {
            ts: Default::default(),
            wire_len: data.len() as u32,
            linktype: linktype::IPV4,
            interface: 0,
            ts_digits: 6,
            bytes: &data,
        };
        let pkt = crate::dissect::dissect(&fr, 1, Default::default());
        let (s, dst) = addrs(&pkt, &pkt.layers[0]).unwrap();
        assert_eq!(
            (s.to_string(), dst.to_string()),
            ("10.0.0.1".into(), "10.0.0.9".into())
        );
    }

    #[test]
    fn checksum_verified() {
        let d = decode(
            linktype::IPV4,
            &hex("4500001c1234000040fd11110a0000010a0000026162636465666768"),
        );
        assert_eq!(d.get("ip.checksum"), "0x1111");
        assert_eq!(d.get("ip.checksum.status"), "0");
        assert_eq!(d.get("ip.checksum_calculated"), "0x53af");
        assert_eq!(d.protocols, "ip:data");
        assert_eq!(d.info, "Unknown (253)");
    }

    #[test]
    fn bogus_lengths_and_version() {
        let d = decode(
            linktype::IPV4,
            &hex("4500000a12340000401154ad0a0000010a0000026162636465666768"),
        );
        assert_eq!(d.protocols, "ip");
        assert_eq!(d.get("ip.len"), "10");
        assert_eq!(d.get("ip.id"), "");
        assert_eq!(d.info, "Bogus IP length (10, less than header length 20)");
        assert_eq!(d.issue.unwrap().kind, IssueKind::Malformed);

        let d = decode(
            linktype::IPV4,
            &hex("5500001c123400004011549b0a0000010a0000026162636465666768"),
        );
        assert_eq!(d.protocols, "ip");
        assert_eq!(d.get("ip.version"), "5");
        assert_eq!(d.info, "Bogus IP version (5)");

        // tcpdump ipv4_invalid_hdr_length.pcap: IHL 4.
        let d = decode(
            linktype::IPV4,
            &hex("44000054f1a6000040114594 8cd309ce2d217f9c98b70035"),
        );
        assert_eq!(d.get("ip.hdr_len"), "16");
        assert_eq!(d.get("ip.len"), "");
        assert_eq!(d.info, "Bogus IP header length (16, must be at least 20)");
    }

    #[test]
    fn truncated_header_is_truncation() {
        // zeek trunc/ip4-trunc.pcap: 6 of 20 header bytes captured.
        let f = hex("0010db88d2efc8bcc896d2a008004500002000 01");
        let d = super::testutil::decode_wire(linktype::ETHERNET, &f, 60);
        assert_eq!(d.get("ip.len"), "32");
        assert_eq!(d.get("ip.id"), "0x0001");
        assert_eq!(d.get("ip.flags"), "");
        assert_eq!(d.issue.unwrap().kind, IssueKind::Truncated);
    }

    #[test]
    fn tso_length_from_capture() {
        let mut f = hex("450000001234400080060000 0a0000010a000002");
        f.extend_from_slice(&[0u8; 30]);
        let d = decode(linktype::IPV4, &f);
        assert_eq!(d.get("ip.len"), "50");
        assert_eq!(d.get("ip.flags"), "0x02");
        assert_eq!(d.get("ip.flags.df"), "1");
    }

    #[test]
    fn ipv6_inside_ipv4_linktype() {
        // tcpdump LINKTYPE_IPV4_invalid.pcap, shortened: tshark shows ip:ipv6.
        let f =
            hex("6000000000003b4020010db800000000000000000000000126200000fe0000000000000000000009");
        let d = decode(linktype::IPV4, &f);
        assert_eq!(d.protocols, "ip:ipv6");
        assert_eq!(d.get("ip.version"), "6");
        assert_eq!(d.get("ipv6.version"), "6");
    }

    /// Frames of a fixture, each with its IPv4 header (after Ethernet).
    fn fixture(name: &str) -> Vec<Vec<u8>> {
        let path = format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        crate::flow::testutil::read_pcap(&path)
            .expect("fixture readable")
            .into_iter()
            .map(|(b, _, _)| b[14..].to_vec())
            .collect()
    }

    #[test]
    fn header_view_reads_what_tshark_reads() {
        // tshark 4.0.17 -T fields on fixtures/ipv4_options_frag.pcap: (hdr_len,
        // len, id, flags, df, mf, frag_offset, proto, checksum).
        let want = [
            (36, 51, 0x0a01, 2, true, false, 0, 17, 0x2206),
            (20, 44, 0x5151, 1, false, true, 0, 17, 0x1d1e),
            (20, 44, 0x5151, 1, false, true, 3, 17, 0x1d1b),
            (20, 28, 0x5151, 0, false, false, 6, 17, 0x3d28),
            (20, 43, 0x0a02, 2, true, false, 0, 17, 0xbad0),
        ];
        let frames = fixture("ipv4_options_frag.pcap");
        assert_eq!(frames.len(), 5);
        for (b, w) in frames.iter().zip(want) {
            let h = Ipv4Header::new(b).expect("20 bytes");
            assert_eq!(h.version(), 4);
            assert_eq!(h.header_len(), w.0);
            assert_eq!((h.dscp(), h.ecn(), h.ttl()), (0, 0, 64));
            assert_eq!(h.total_len(), w.1);
            assert_eq!(h.ident(), w.2);
            assert_eq!(h.flags(), w.3);
            assert_eq!((h.dont_fragment(), h.more_fragments()), (w.4, w.5));
            assert_eq!(h.frag_offset(), w.6);
            assert_eq!(h.is_fragment(), w.5 || w.6 != 0);
            assert_eq!(h.is_first_fragment(), w.5 && w.6 == 0);
            assert_eq!(h.protocol(), w.7);
            assert_eq!(h.checksum(), w.8);
            assert_eq!(h.src(), [192, 0, 2, 10]);
            assert_eq!(h.dst(), [198, 51, 100, 20]);
            assert_eq!(h.options_range(), MIN_HEADER..w.0);
        }
        // Options of frame 1: 16 bytes, as its header length says.
        assert_eq!(Ipv4Header::new(&frames[0]).unwrap().options().len(), 16);
        assert!(Ipv4Header::new(&frames[0][..19]).is_none());
        // A bogus header length below 20 leaves no options, and no panic.
        let mut bogus = frames[1].clone();
        bogus[0] = 0x42;
        let h = Ipv4Header::new(&bogus).unwrap();
        assert_eq!((h.header_len(), h.options()), (8, &[][..]));
    }

    #[test]
    fn names() {
        assert_eq!(proto_name(17), "UDP");
        assert_eq!(proto_name(0), "IPv6 Hop-by-Hop Option");
        assert_eq!(proto_name(47), "Generic Routing Encapsulation");
        assert_eq!(proto_name(150), "Unassigned");
        assert_eq!(proto_name(253), "Unknown");
    }

    #[test]
    fn never_panics() {
        fuzz(
            linktype::IPV4,
            &hex("49000030123400004011ad590a0000010a000002830f080a0000070a0000080a0000090030390035000c000061626364"),
        );
        fuzz(
            linktype::IPV4,
            &hex("4f00003c123400004011ad590a0000010a000002440c05010a000001000000640b040000820b00000000000000000019"),
        );
    }
}
