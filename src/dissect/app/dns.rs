//! DNS, mDNS and LLMNR messages (RFC 1035, 6762, 4795), over UDP and TCP.
//!
//! One walker decodes the message for all three uses (validation in
//! `dissect`, fields, Info), so they cannot disagree. Names are decoded the
//! way Wireshark 4.0's `get_dns_name` does (same loop and length limits), on
//! the stack, with work bounded by the message length.

use crate::dissect::decl::PduLen;
use crate::dissect::{Cx, Field, FieldSink, Layer, Next, Packet, Proto, SinkExt, Value};
use std::io::Write as _;

const HDR: usize = 12;
/// Wireshark's MAX_DNAME_LEN: a name's text (with dots) must stay below it.
const MAX_DNAME: usize = 255;

/// Why the walk stopped early.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stop {
    /// Ran out of bytes.
    Short,
    /// The bytes contradict the format (bad label type).
    Bad,
}

type Res<T> = Result<T, Stop>;

#[derive(Clone, Copy, PartialEq, Eq)]
enum NameKind {
    Plain,
    Loop,
    TooLong,
}

/// A decoded domain name: raw label bytes joined by dots.
struct Name {
    buf: [u8; MAX_DNAME],
    len: usize,
    kind: NameKind,
}

impl Name {
    fn text(&self) -> &[u8] {
        match self.kind {
            NameKind::Loop => b"<Name contains a pointer that loops>",
            NameKind::TooLong => b"<Name too long>",
            NameKind::Plain if self.len == 0 => b"<Root>",
            NameKind::Plain => &self.buf[..self.len],
        }
    }
    /// Wireshark's `qname_labels_count`: dots + 1, 0 for a 1-character name.
    fn labels(&self) -> u64 {
        let t = self.text();
        if t.len() > 1 {
            t.iter().filter(|&&c| c == b'.').count() as u64 + 1
        } else {
            0
        }
    }
}

/// Text escaped as Wireshark's `format_text` shows it (octal for
/// non-printables), in a stack buffer.
struct Esc {
    buf: [u8; 1024],
    len: usize,
}

impl Esc {
    fn new(s: &[u8]) -> Esc {
        let mut e = Esc {
            buf: [0; 1024],
            len: 0,
        };
        // Names are nearly always printable ASCII: one copy.
        if s.len() <= e.buf.len() && s.iter().all(|&b| (0x20..0x7f).contains(&b)) {
            e.push(s);
            return e;
        }
        for chunk in s.utf8_chunks() {
            for c in chunk.valid().chars() {
                if (c as u32) < 0x20 || c as u32 == 0x7f {
                    let b = c as u8;
                    e.push(&[
                        b'\\',
                        b'0' + (b >> 6),
                        b'0' + ((b >> 3) & 7),
                        b'0' + (b & 7),
                    ]);
                } else {
                    let mut t = [0u8; 4];
                    e.push(c.encode_utf8(&mut t).as_bytes());
                }
            }
            for &b in chunk.invalid() {
                e.push(&[
                    b'\\',
                    b'0' + (b >> 6),
                    b'0' + ((b >> 3) & 7),
                    b'0' + (b & 7),
                ]);
            }
        }
        e
    }
    fn push(&mut self, b: &[u8]) {
        if let Some(dst) = self.buf.get_mut(self.len..self.len + b.len()) {
            dst.copy_from_slice(b);
            self.len += b.len();
        }
    }
    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

/// The DNS message: its bytes (clipped to the capture) and where they sit.
struct Msg<'a> {
    b: &'a [u8],
    /// Absolute offset of the message's first byte in the frame.
    base: usize,
    proto: Proto,
}

impl Msg<'_> {
    fn u8(&self, at: usize) -> Res<u8> {
        self.b.get(at).copied().ok_or(Stop::Short)
    }
    fn u16(&self, at: usize) -> Res<u16> {
        match self.b.get(at..at.saturating_add(2)) {
            Some(x) => Ok(u16::from_be_bytes([x[0], x[1]])),
            None => Err(Stop::Short),
        }
    }
    fn u32(&self, at: usize) -> Res<u32> {
        match self.b.get(at..at.saturating_add(4)) {
            Some(x) => Ok(u32::from_be_bytes([x[0], x[1], x[2], x[3]])),
            None => Err(Stop::Short),
        }
    }
    fn r(&self, at: usize, len: usize) -> std::ops::Range<usize> {
        self.base + at..self.base + at + len
    }

    /// Reads the name at `pos`: the name and the bytes it occupies there.
    fn name(&self, pos: usize) -> Res<(Name, usize)> {
        let mut n = Name {
            buf: [0; MAX_DNAME],
            len: 0,
            kind: NameKind::Plain,
        };
        let mut p = pos;
        let mut used: Option<usize> = None;
        let mut pointers = 0usize;
        // Without a loop no byte is visited twice; more visits than bytes
        // means a loop that Wireshark's pointer count would also report.
        let mut visited = 0usize;
        // Wireshark's `maxname` countdown (the terminator takes one).
        let mut room = MAX_DNAME as isize;
        let mut first = true;
        loop {
            let c = self.u8(p)?;
            p += 1;
            visited += 1;
            if c == 0 {
                break;
            }
            match c & 0xc0 {
                0x00 => {
                    let l = c as usize;
                    let label = self.b.get(p..p + l).ok_or(Stop::Short)?;
                    if !first && room > 0 {
                        n.buf[n.len] = b'.';
                        n.len += 1;
                    }
                    room -= 1;
                    first = false;
                    for &ch in label {
                        if room > 0 {
                            n.buf[n.len] = ch;
                            n.len += 1;
                            room -= 1;
                        }
                    }
                    p += l;
                    visited += l;
                }
                // Extended (RFC 2673) and reserved label types: Wireshark
                // stops the message there as malformed.
                0x40 | 0x80 => return Err(Stop::Bad),
                _ => {
                    let lo = self.u8(p)?;
                    p += 1;
                    pointers += 1;
                    let u = *used.get_or_insert_with(|| p.saturating_sub(pos));
                    if pointers > MAX_DNAME || visited > self.b.len() {
                        n.kind = NameKind::Loop;
                        return Ok((n, u));
                    }
                    p = (((c & 0x3f) as usize) << 8) | lo as usize;
                }
            }
            if visited > self.b.len() {
                n.kind = NameKind::Loop;
                return Ok((n, used.unwrap_or_else(|| p.saturating_sub(pos))));
            }
        }
        if room <= 0 {
            n.kind = NameKind::TooLong;
        }
        Ok((n, used.unwrap_or_else(|| p.saturating_sub(pos))))
    }
}

/// Reads the flags word of a message at `off` (for `looks_like`-style checks).
use crate::dissect::bytes::be16;

/// True when the layer below this one is TCP (length-prefixed messages).
fn over_tcp(pkt: &Packet<'_>, before: usize) -> bool {
    pkt.layers
        .iter()
        .take(before)
        .rev()
        .find(|l| matches!(l.proto, Proto::Tcp | Proto::Udp))
        .is_some_and(|l| l.proto == Proto::Tcp)
}

/// A sink that drops everything: validation runs the same walker.
struct Null;
impl FieldSink for Null {
    fn field(&mut self, _f: &Field<'_>) {}
    fn wants(&mut self, _name: &'static str) -> bool {
        false
    }
}

pub fn dissect(cx: &mut Cx<'_, '_>, p: Proto, off: usize) -> Next {
    let tcp = over_tcp(cx.pkt, cx.pkt.layers.len());
    let mut partial = false;
    let msg_off = if tcp {
        let Some(len) = be16(cx.rest(off), 0) else {
            return crate::dissect::data::dissect(cx, off);
        };
        let end = off + 2 + len as usize;
        if end <= cx.limit {
            cx.limit = end;
        } else {
            // The rest of the message is in later segments (reassembly).
            partial = true;
        }
        off + 2
    } else {
        off
    };
    if !cx.push(p, off, cx.limit, cx.limit) {
        return Next::Done;
    }
    let m = Msg {
        b: cx.bytes(msg_off..cx.limit),
        base: msg_off,
        proto: p,
    };
    match walk(&m, &mut Null, None) {
        Ok(()) => {}
        Err(_) if partial => {}
        Err(Stop::Short) => cx.short(p, "DNS message cut short"),
        Err(Stop::Bad) => cx.malformed(p, "bad DNS name label"),
    }
    Next::Done
}

pub fn fields(pkt: &Packet<'_>, l: &Layer, out: &mut dyn FieldSink) {
    let o = l.start as usize;
    let before = pkt
        .layers
        .iter()
        .position(|x| x == l)
        .unwrap_or(pkt.layers.len());
    let title = match l.proto {
        Proto::Mdns => "Multicast Domain Name System",
        Proto::Llmnr => "Link-local Multicast Name Resolution",
        _ => "Domain Name System",
    };
    let tcp = over_tcp(pkt, before);
    if !tcp && l.extent().len() < 4 {
        // tshark reads the ID and flags before it adds its tree item: a
        // shorter message is in frame.protocols, but `dns` does not match.
        return;
    }
    out.layer(l.proto.filter_name(), title, l.extent());
    let mut msg_off = o;
    if tcp {
        let Some(len) = be16(pkt.data, o) else {
            return;
        };
        out.put("dns.length", "Length", Value::U(len as u64), o..o + 2);
        msg_off = o + 2;
    }
    let m = Msg {
        b: pkt.bytes(msg_off..l.extent().end),
        base: msg_off,
        proto: l.proto,
    };
    let _ = walk(&m, out, None);
}

pub fn info(pkt: &Packet<'_>, l: &Layer, w: &mut Vec<u8>) {
    let o = l.start as usize;
    let before = pkt
        .layers
        .iter()
        .position(|x| x == l)
        .unwrap_or(pkt.layers.len());
    let msg_off = if over_tcp(pkt, before) { o + 2 } else { o };
    let m = Msg {
        b: pkt.bytes(msg_off..l.extent().end),
        base: msg_off,
        proto: l.proto,
    };
    let _ = walk(&m, &mut Null, Some(w));
}

fn opcode_name(op: u16) -> Option<&'static str> {
    Some(match op {
        0 => "Standard query",
        1 => "Inverse query",
        2 => "Server status request",
        4 => "Zone change notification",
        5 => "Dynamic update",
        6 => "DNS Stateful operations (DSO)",
        _ => return None,
    })
}

fn rcode_name(rc: u16) -> Option<&'static str> {
    Some(match rc {
        0 => "No error",
        1 => "Format error",
        2 => "Server failure",
        3 => "No such name",
        4 => "Not implemented",
        5 => "Refused",
        6 => "Name exists",
        7 => "RRset exists",
        8 => "RRset does not exist",
        9 => "Not authoritative",
        10 => "Name out of zone",
        11 => "DSO-Type not implemented",
        _ => return None,
    })
}

/// Wireshark's short names of RR types (Info column).
pub fn type_name(t: u16) -> Option<&'static str> {
    Some(match t {
        1 => "A",
        2 => "NS",
        3 => "MD",
        4 => "MF",
        5 => "CNAME",
        6 => "SOA",
        7 => "MB",
        8 => "MG",
        9 => "MR",
        10 => "NULL",
        11 => "WKS",
        12 => "PTR",
        13 => "HINFO",
        14 => "MINFO",
        15 => "MX",
        16 => "TXT",
        17 => "RP",
        18 => "AFSDB",
        19 => "X25",
        20 => "ISDN",
        21 => "RT",
        22 => "NSAP",
        23 => "NSAP-PTR",
        24 => "SIG",
        25 => "KEY",
        26 => "PX",
        27 => "GPOS",
        28 => "AAAA",
        29 => "LOC",
        30 => "NXT",
        31 => "EID",
        32 => "NIMLOC",
        33 => "SRV",
        34 => "ATMA",
        35 => "NAPTR",
        36 => "KX",
        37 => "CERT",
        38 => "A6",
        39 => "DNAME",
        40 => "SINK",
        41 => "OPT",
        42 => "APL",
        43 => "DS",
        44 => "SSHFP",
        45 => "IPSECKEY",
        46 => "RRSIG",
        47 => "NSEC",
        48 => "DNSKEY",
        49 => "DHCID",
        50 => "NSEC3",
        51 => "NSEC3PARAM",
        52 => "TLSA",
        53 => "SMIMEA",
        55 => "HIP",
        56 => "NINFO",
        57 => "RKEY",
        58 => "TALINK",
        59 => "CDS",
        60 => "CDNSKEY",
        61 => "OPENPGPKEY",
        62 => "CSYNC",
        63 => "ZONEMD",
        64 => "SVCB",
        65 => "HTTPS",
        99 => "SPF",
        100 => "UINFO",
        101 => "UID",
        102 => "GID",
        103 => "UNSPEC",
        104 => "NID",
        105 => "L32",
        106 => "L64",
        107 => "LP",
        108 => "EUI48",
        109 => "EUI64",
        249 => "TKEY",
        250 => "TSIG",
        251 => "IXFR",
        252 => "AXFR",
        253 => "MAILB",
        254 => "MAILA",
        255 => "ANY",
        256 => "URI",
        257 => "CAA",
        258 => "AVC",
        259 => "DOA",
        260 => "AMTRELAY",
        32768 => "TA",
        32769 => "DLV",
        65281 => "WINS",
        65282 => "WINS-R",
        65521 => "XPF",
        _ => return None,
    })
}

fn write_type(w: &mut Vec<u8>, t: u16) {
    match type_name(t) {
        Some(n) => w.extend_from_slice(n.as_bytes()),
        None => {
            let _ = write!(w, "Unknown ({t})");
        }
    }
}

/// Emits a name field and returns the name (for Info).
fn put_name(
    m: &Msg<'_>,
    out: &mut dyn FieldSink,
    field: &'static str,
    label: &'static str,
    n: &Name,
    at: usize,
    used: usize,
) {
    // Escaping the name is the costly part; validation wants no fields.
    if !out.wants(field) {
        return;
    }
    let e = Esc::new(n.text());
    out.put(field, label, Value::Str(e.as_str()), m.r(at, used));
}

fn walk(m: &Msg<'_>, out: &mut dyn FieldSink, mut info: Option<&mut Vec<u8>>) -> Res<()> {
    let id = m.u16(0)?;
    let flags = m.u16(2);
    if let Some(w) = info.as_deref_mut() {
        let f = flags.unwrap_or(0);
        match opcode_name((f >> 11) & 0xf) {
            Some(n) => w.extend_from_slice(n.as_bytes()),
            None => {
                let _ = write!(w, "Unknown operation ({})", (f >> 11) & 0xf);
            }
        }
        if f & 0x8000 != 0 {
            w.extend_from_slice(b" response");
        }
        let _ = write!(w, " 0x{id:04x}");
        if f & 0x8000 != 0 && f & 0xf != 0 {
            match rcode_name(f & 0xf) {
                Some(n) => {
                    w.push(b' ');
                    w.extend_from_slice(n.as_bytes());
                }
                None => {
                    let _ = write!(w, " Unknown error ({})", f & 0xf);
                }
            }
        }
    }
    out.put(
        "dns.id",
        "Transaction ID",
        Value::Hex(id as u64, 4),
        m.r(0, 2),
    );
    let flags = flags?;
    header_flags(m, out, flags);
    let mut counts = [0u16; 4];
    const COUNTS: [(&str, &str); 4] = [
        ("dns.count.queries", "Questions"),
        ("dns.count.answers", "Answer RRs"),
        ("dns.count.auth_rr", "Authority RRs"),
        ("dns.count.add_rr", "Additional RRs"),
    ];
    for (i, (name, label)) in COUNTS.iter().enumerate() {
        let c = m.u16(4 + 2 * i)?;
        counts[i] = c;
        out.put(name, label, Value::U(c as u64), m.r(4 + 2 * i, 2));
    }
    let mut pos = HDR;
    if counts[0] > 0 {
        out.open("Queries", m.r(pos, 0));
        let r = queries(m, counts[0], &mut pos, out, info.as_deref_mut());
        out.close();
        r?;
    }
    const SECTIONS: [&str; 3] = ["Answers", "Authoritative nameservers", "Additional records"];
    for (s, title) in SECTIONS.iter().enumerate() {
        let c = counts[s + 1];
        if c > 0 {
            out.open(title, m.r(pos, 0));
        }
        for _ in 0..c {
            let r = rr(m, pos, out, info.as_deref_mut());
            match r {
                Ok(next) => pos = next,
                Err(e) => {
                    out.close();
                    return Err(e);
                }
            }
        }
        if c > 0 {
            out.close();
        }
    }
    Ok(())
}

fn queries(
    m: &Msg<'_>,
    count: u16,
    pos: &mut usize,
    out: &mut dyn FieldSink,
    mut info: Option<&mut Vec<u8>>,
) -> Res<()> {
    let mdns = m.proto == Proto::Mdns;
    for _ in 0..count {
        let (n, used) = m.name(*pos)?;
        let t = m.u16(*pos + used)?;
        let class = m.u16(*pos + used + 2)?;
        out.open("Query", m.r(*pos, used + 4));
        put_name(m, out, "dns.qry.name", "Name", &n, *pos, used);
        out.put(
            "dns.qry.name.len",
            "Name Length",
            Value::U(n.text().len() as u64),
            0..0,
        );
        out.put(
            "dns.count.labels",
            "Label Count",
            Value::U(n.labels()),
            0..0,
        );
        out.put(
            "dns.qry.type",
            "Type",
            Value::U(t as u64),
            m.r(*pos + used, 2),
        );
        let cr = m.r(*pos + used + 2, 2);
        if mdns {
            out.put(
                "dns.qry.qu",
                "\"QU\" question",
                Value::Bool(class & 0x8000 != 0),
                cr.clone(),
            );
            out.put(
                "dns.qry.class",
                "Class",
                Value::Hex((class & 0x7fff) as u64, 4),
                cr,
            );
        } else {
            out.put("dns.qry.class", "Class", Value::Hex(class as u64, 4), cr);
        }
        out.close();
        if let Some(w) = info.as_deref_mut() {
            w.push(b' ');
            write_type(w, t);
            w.push(b' ');
            w.extend_from_slice(Esc::new(n.text()).as_str().as_bytes());
            if mdns {
                w.extend_from_slice(if class & 0x8000 != 0 {
                    b", \"QU\" question"
                } else {
                    b", \"QM\" question"
                });
            }
        }
        *pos += used + 4;
    }
    Ok(())
}

fn header_flags(m: &Msg<'_>, out: &mut dyn FieldSink, f: u16) {
    let r = m.r(2, 2);
    out.put("dns.flags", "Flags", Value::Hex(f as u64, 4), r.clone());
    out.open("Flags", r.clone());
    let b = |bit: u16| Value::Bool(f & bit != 0);
    let resp = f & 0x8000 != 0;
    out.put("dns.flags.response", "Response", b(0x8000), r.clone());
    out.put(
        "dns.flags.opcode",
        "Opcode",
        Value::U(((f >> 11) & 0xf) as u64),
        r.clone(),
    );
    if m.proto == Proto::Llmnr {
        out.put("dns.flags.conflict", "Conflict", b(0x0400), r.clone());
        out.put("dns.flags.truncated", "Truncated", b(0x0200), r.clone());
        out.put("dns.flags.tentative", "Tentative", b(0x0100), r.clone());
    } else {
        if resp {
            out.put(
                "dns.flags.authoritative",
                "Authoritative",
                b(0x0400),
                r.clone(),
            );
        }
        out.put("dns.flags.truncated", "Truncated", b(0x0200), r.clone());
        out.put(
            "dns.flags.recdesired",
            "Recursion desired",
            b(0x0100),
            r.clone(),
        );
        if resp {
            out.put(
                "dns.flags.recavail",
                "Recursion available",
                b(0x0080),
                r.clone(),
            );
        }
        out.put("dns.flags.z", "Z", b(0x0040), r.clone());
        // Queries show the AD bit only when set (as Wireshark).
        if resp || f & 0x0020 != 0 {
            out.put(
                "dns.flags.authenticated",
                "Answer authenticated",
                b(0x0020),
                r.clone(),
            );
        }
        out.put(
            "dns.flags.checkdisable",
            "Non-authenticated data",
            b(0x0010),
            r.clone(),
        );
    }
    if resp {
        out.put(
            "dns.flags.rcode",
            "Reply code",
            Value::U((f & 0xf) as u64),
            r,
        );
    }
    out.close();
}

/// Decodes one resource record at `pos`; returns where the next begins.
fn rr(m: &Msg<'_>, pos: usize, out: &mut dyn FieldSink, info: Option<&mut Vec<u8>>) -> Res<usize> {
    let (n, used) = m.name(pos)?;
    let h = pos + used;
    let t = m.u16(h)?;
    let class = m.u16(h + 2)?;
    let ttl = m.u32(h + 4)?;
    let rdlen = m.u16(h + 8)? as usize;
    let rd = h + 10;
    let end = rd + rdlen;
    if end > m.b.len() {
        return Err(Stop::Short);
    }
    let mdns = m.proto == Proto::Mdns;
    out.open("Resource record", m.r(pos, end - pos));
    put_name(m, out, "dns.resp.name", "Name", &n, pos, used);
    out.put("dns.resp.type", "Type", Value::U(t as u64), m.r(h, 2));
    let flush = mdns && class & 0x8000 != 0;
    if t == 41 {
        out.put(
            "dns.rr.udp_payload_size",
            "UDP payload size",
            Value::U(class as u64),
            m.r(h + 2, 2),
        );
        out.put(
            "dns.resp.ext_rcode",
            "Higher bits in extended RCODE",
            Value::Hex((ttl >> 24) as u64, 2),
            m.r(h + 4, 1),
        );
        out.put(
            "dns.resp.edns0_version",
            "EDNS0 version",
            Value::U(((ttl >> 16) & 0xff) as u64),
            m.r(h + 5, 1),
        );
        let z = ttl & 0xffff;
        out.put("dns.resp.z", "Z", Value::Hex(z as u64, 4), m.r(h + 6, 2));
        out.put(
            "dns.resp.z.do",
            "DO bit",
            Value::Bool(z & 0x8000 != 0),
            m.r(h + 6, 2),
        );
        out.put(
            "dns.resp.z.reserved",
            "Reserved",
            Value::Hex((z & 0x7fff) as u64, 4),
            m.r(h + 6, 2),
        );
    } else {
        let cr = m.r(h + 2, 2);
        if mdns {
            out.put(
                "dns.resp.cache_flush",
                "Cache flush",
                Value::Bool(flush),
                cr.clone(),
            );
            out.put(
                "dns.resp.class",
                "Class",
                Value::Hex((class & 0x7fff) as u64, 4),
                cr,
            );
        } else {
            out.put("dns.resp.class", "Class", Value::Hex(class as u64, 4), cr);
        }
        out.put(
            "dns.resp.ttl",
            "Time to live",
            Value::U(ttl as u64),
            m.r(h + 4, 4),
        );
    }
    out.put(
        "dns.resp.len",
        "Data length",
        Value::U(rdlen as u64),
        m.r(h + 8, 2),
    );
    let r = rdata(m, t, rd, rdlen, out, info, flush);
    out.close();
    r?;
    Ok(end)
}

/// The type-specific part of a record, and its Info text.
fn rdata(
    m: &Msg<'_>,
    t: u16,
    rd: usize,
    rdlen: usize,
    out: &mut dyn FieldSink,
    info: Option<&mut Vec<u8>>,
    flush: bool,
) -> Res<()> {
    // Info text is built only when asked: validation must not allocate.
    let want = info.is_some();
    let mut tail: Vec<u8> = Vec::new();
    let mut text = |s: &[u8]| {
        tail.push(b' ');
        tail.extend_from_slice(s);
    };
    let res: Res<()> = (|| {
        match t {
            1 => {
                let a = m.b.get(rd..rd + 4).ok_or(Stop::Short)?;
                let a = [a[0], a[1], a[2], a[3]];
                out.put("dns.a", "Address", Value::Ipv4(a), m.r(rd, 4));
                if want {
                    let mut s = Vec::new();
                    Value::Ipv4(a).write_to(&mut s);
                    text(&s);
                }
            }
            28 => {
                let a: [u8; 16] =
                    m.b.get(rd..rd + 16)
                        .ok_or(Stop::Short)?
                        .try_into()
                        .map_err(|_| Stop::Short)?;
                out.put("dns.aaaa", "AAAA Address", Value::Ipv6(a), m.r(rd, 16));
                if want {
                    let mut s = Vec::new();
                    Value::Ipv6(a).write_to(&mut s);
                    text(&s);
                }
            }
            2 | 5 | 12 => {
                let (n, used) = m.name(rd)?;
                let (f, l) = match t {
                    2 => ("dns.ns", "Name Server"),
                    5 => ("dns.cname", "CNAME"),
                    _ => ("dns.ptr.domain_name", "Domain Name"),
                };
                put_name(m, out, f, l, &n, rd, used);
                if want {
                    text(Esc::new(n.text()).as_str().as_bytes());
                }
            }
            15 => {
                let pref = m.u16(rd)?;
                out.put(
                    "dns.mx.preference",
                    "Preference",
                    Value::U(pref as u64),
                    m.r(rd, 2),
                );
                let (n, used) = m.name(rd + 2)?;
                put_name(
                    m,
                    out,
                    "dns.mx.mail_exchange",
                    "Mail Exchange",
                    &n,
                    rd + 2,
                    used,
                );
                if want {
                    let mut s = Vec::new();
                    let _ = write!(s, "{pref} {}", Esc::new(n.text()).as_str());
                    text(&s);
                }
            }
            6 => {
                let (mn, u1) = m.name(rd)?;
                put_name(m, out, "dns.soa.mname", "Primary name server", &mn, rd, u1);
                let (rn, u2) = m.name(rd + u1)?;
                put_name(
                    m,
                    out,
                    "dns.soa.rname",
                    "Responsible authority's mailbox",
                    &rn,
                    rd + u1,
                    u2,
                );
                let mut p = rd + u1 + u2;
                for (f, l) in [
                    ("dns.soa.serial_number", "Serial Number"),
                    ("dns.soa.refresh_interval", "Refresh Interval"),
                    ("dns.soa.retry_interval", "Retry Interval"),
                    ("dns.soa.expire_limit", "Expire limit"),
                    ("dns.soa.minimum_ttl", "Minimum TTL"),
                ] {
                    let v = m.u32(p)?;
                    out.put(f, l, Value::U(v as u64), m.r(p, 4));
                    p += 4;
                }
                if want {
                    text(Esc::new(mn.text()).as_str().as_bytes());
                }
            }
            16 => {
                let mut p = rd;
                while p < rd + rdlen {
                    let l = m.u8(p)? as usize;
                    let s = m.b.get(p + 1..p + 1 + l).ok_or(Stop::Short)?;
                    out.put(
                        "dns.txt.length",
                        "TXT Length",
                        Value::U(l as u64),
                        m.r(p, 1),
                    );
                    // tshark prints TXT strings raw (only invalid UTF-8 escaped).
                    let r = m.r(p + 1, l);
                    match std::str::from_utf8(s) {
                        Ok(t) => out.put("dns.txt", "TXT", Value::Str(t), r),
                        Err(_) => out.put("dns.txt", "TXT", Value::Str(Esc::new(s).as_str()), r),
                    }
                    p += 1 + l;
                }
            }
            33 => {
                let prio = m.u16(rd)?;
                let weight = m.u16(rd + 2)?;
                let port = m.u16(rd + 4)?;
                out.put(
                    "dns.srv.priority",
                    "Priority",
                    Value::U(prio as u64),
                    m.r(rd, 2),
                );
                out.put(
                    "dns.srv.weight",
                    "Weight",
                    Value::U(weight as u64),
                    m.r(rd + 2, 2),
                );
                out.put(
                    "dns.srv.port",
                    "Port",
                    Value::U(port as u64),
                    m.r(rd + 4, 2),
                );
                let (n, used) = m.name(rd + 6)?;
                put_name(m, out, "dns.srv.target", "Target", &n, rd + 6, used);
                if want {
                    let mut s = Vec::new();
                    let _ = write!(s, "{prio} {weight} {port} {}", Esc::new(n.text()).as_str());
                    text(&s);
                }
            }
            41 => {
                let mut p = rd;
                while p + 4 <= rd + rdlen {
                    let code = m.u16(p)?;
                    let len = m.u16(p + 2)? as usize;
                    out.open("Option", m.r(p, 4 + len));
                    out.put(
                        "dns.opt.code",
                        "Option: Code",
                        Value::U(code as u64),
                        m.r(p, 2),
                    );
                    out.put(
                        "dns.opt.len",
                        "Option: Length",
                        Value::U(len as u64),
                        m.r(p + 2, 2),
                    );
                    let d = m.b.get(p + 4..p + 4 + len);
                    let Some(d) = d else {
                        out.close();
                        return Err(Stop::Short);
                    };
                    if len > 0 {
                        out.put(
                            "dns.opt.data",
                            "Option: Data",
                            Value::Bytes(d),
                            m.r(p + 4, len),
                        );
                    }
                    if code == 10 && len >= 8 {
                        out.put(
                            "dns.opt.cookie.client",
                            "Client Cookie",
                            Value::Bytes(&d[..8]),
                            m.r(p + 4, 8),
                        );
                    }
                    out.close();
                    p += 4 + len;
                }
            }
            _ => {}
        }
        Ok(())
    })();
    if let Some(w) = info {
        w.push(b' ');
        write_type(w, t);
        if flush {
            w.extend_from_slice(b", cache flush");
        }
        if res.is_ok() {
            w.extend_from_slice(&tail);
        }
    }
    res
}

/// Every field this file's decoders emit, as Wireshark registers them.
pub const FIELDS: &[crate::dissect::decl::FieldDef] = {
    use crate::dissect::decl::{f, FieldType::*};
    &[
        f("dns.a", Ipv4, "Address"),
        f("dns.aaaa", Ipv6, "AAAA Address"),
        f("dns.cname", Str, "CNAME"),
        f("dns.count.add_rr", Uint, "Additional RRs"),
        f("dns.count.answers", Uint, "Answer RRs"),
        f("dns.count.auth_rr", Uint, "Authority RRs"),
        f("dns.count.labels", Uint, "Label Count"),
        f("dns.count.queries", Uint, "Questions"),
        f("dns.flags", Uint, "Flags"),
        f("dns.flags.authenticated", Bool, "Answer authenticated"),
        f("dns.flags.authoritative", Bool, "Authoritative"),
        f("dns.flags.checkdisable", Bool, "Non-authenticated data"),
        f("dns.flags.conflict", Bool, "Conflict"),
        f("dns.flags.opcode", Uint, "Opcode"),
        f("dns.flags.rcode", Uint, "Reply code"),
        f("dns.flags.recavail", Bool, "Recursion available"),
        f("dns.flags.recdesired", Bool, "Recursion desired"),
        f("dns.flags.response", Bool, "Response"),
        f("dns.flags.tentative", Bool, "Tentative"),
        f("dns.flags.truncated", Bool, "Truncated"),
        f("dns.flags.z", Bool, "Z"),
        f("dns.id", Uint, "Transaction ID"),
        f("dns.length", Uint, "Length"),
        f("dns.mx.mail_exchange", Str, "Mail Exchange"),
        f("dns.mx.preference", Uint, "Preference"),
        f("dns.ns", Str, "Name Server"),
        f("dns.opt.code", Uint, "Option Code"),
        f("dns.opt.cookie.client", Bytes, "Client Cookie"),
        f("dns.opt.data", Bytes, "Option Data"),
        f("dns.opt.len", Uint, "Option Length"),
        f("dns.ptr.domain_name", Str, "Domain Name"),
        f("dns.qry.class", Uint, "Class"),
        f("dns.qry.name", Str, "Name"),
        f("dns.qry.name.len", Uint, "Name Length"),
        f("dns.qry.qu", Bool, "\"QU\" question"),
        f("dns.qry.type", Uint, "Type"),
        f("dns.resp.cache_flush", Bool, "Cache flush"),
        f("dns.resp.class", Uint, "Class"),
        f("dns.resp.edns0_version", Uint, "EDNS0 version"),
        f("dns.resp.ext_rcode", Uint, "Higher bits in extended RCODE"),
        f("dns.resp.len", Uint, "Data length"),
        f("dns.resp.name", Str, "Name"),
        f("dns.resp.ttl", Uint, "Time to live"),
        f("dns.resp.type", Uint, "Type"),
        f("dns.resp.z", Uint, "Z"),
        f("dns.resp.z.do", Bool, "DO bit"),
        f("dns.resp.z.reserved", Uint, "Reserved"),
        f("dns.rr.udp_payload_size", Uint, "UDP payload size"),
        f("dns.soa.expire_limit", Uint, "Expire limit"),
        f("dns.soa.minimum_ttl", Uint, "Minimum TTL"),
        f("dns.soa.mname", Str, "Primary name server"),
        f("dns.soa.refresh_interval", Uint, "Refresh Interval"),
        f("dns.soa.retry_interval", Uint, "Retry Interval"),
        f("dns.soa.rname", Str, "Responsible authority's mailbox"),
        f("dns.soa.serial_number", Uint, "Serial Number"),
        f("dns.srv.port", Uint, "Port"),
        f("dns.srv.priority", Uint, "Priority"),
        f("dns.srv.target", Str, "Target"),
        f("dns.srv.weight", Uint, "Weight"),
        f("dns.txt", Str, "TXT"),
        f("dns.txt.length", Uint, "TXT Length"),
    ]
};

/// Multicast Domain Name System: names, place in the layer model, how it is reached, decoders.
pub static MDNS: crate::dissect::decl::Decl = {
    use crate::dissect::decl::{Decl, Reach, Tier};
    Decl {
        filter_name: "mdns",
        name: "Multicast Domain Name System",
        display: "MDNS",
        short: "MDNS",
        tier: Tier::Application,
        reached: &[Reach::UdpPort(5353)],
        dissect: |cx, off| dissect(cx, Proto::Mdns, off),
        fields,
        info: Some(info),
        pdu_len: None,
        field_tables: &[FIELDS],
    }
};

/// Link-local Multicast Name Resolution: names, place in the layer model, how it is reached, decoders.
pub static LLMNR: crate::dissect::decl::Decl = {
    use crate::dissect::decl::{Decl, Reach, Tier};
    Decl {
        filter_name: "llmnr",
        name: "Link-local Multicast Name Resolution",
        display: "LLMNR",
        short: "LLMNR",
        tier: Tier::Application,
        reached: &[Reach::UdpPort(5355)],
        dissect: |cx, off| dissect(cx, Proto::Llmnr, off),
        fields,
        info: Some(info),
        pdu_len: None,
        field_tables: &[FIELDS],
    }
};

/// Domain Name System: names, place in the layer model, how it is reached, decoders.
/// Length of the DNS-over-TCP message at the start of `b`: a 2-byte length,
/// then the message. Only TCP payloads are framed (UDP datagrams are whole).
pub fn pdu_len(b: &[u8]) -> PduLen {
    match b {
        [h, l, ..] => PduLen::Known(2 + u16::from_be_bytes([*h, *l]) as usize),
        _ => PduLen::NeedMore,
    }
}

pub static DNS: crate::dissect::decl::Decl = {
    use crate::dissect::decl::{Decl, Reach, Tier};
    Decl {
        filter_name: "dns",
        name: "Domain Name System",
        display: "DNS",
        short: "DNS",
        tier: Tier::Application,
        reached: &[Reach::UdpPort(53), Reach::TcpPort(53)],
        dissect: |cx, off| dissect(cx, Proto::Dns, off),
        fields,
        info: Some(info),
        pdu_len: Some(pdu_len),
        field_tables: &[FIELDS],
    }
};

#[cfg(test)]
mod tests {
    use crate::dissect::link::testutil::run;
    use crate::dissect::linktype::RAW;

    #[test]
    fn tcp_length_prefix() {
        use super::{pdu_len, PduLen};
        assert_eq!(pdu_len(&[0, 55, 1]), PduLen::Known(57));
        assert_eq!(pdu_len(&[1]), PduLen::NeedMore);
    }

    /// IPv4/UDP around a DNS payload (checksums zero: not verified for UDP).
    fn frame(sport: u16, dport: u16, dns: &[u8]) -> Vec<u8> {
        let ulen = 8 + dns.len();
        let mut f = vec![
            0x45, 0, 0, 0, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
        ];
        f[2..4].copy_from_slice(&((20 + ulen) as u16).to_be_bytes());
        f.extend_from_slice(&sport.to_be_bytes());
        f.extend_from_slice(&dport.to_be_bytes());
        f.extend_from_slice(&(ulen as u16).to_be_bytes());
        f.extend_from_slice(&[0, 0]);
        f.extend_from_slice(dns);
        f
    }

    // Expected values: tshark 4.0.17 on the same messages (/tmp/app1/edge*.py).
    #[test]
    fn names_flags_and_srv() {
        let hdr = |id: u8, fl: u16, an: u8| {
            let mut h = vec![0, id];
            h.extend_from_slice(&fl.to_be_bytes());
            h.extend_from_slice(&[0, 1, 0, an, 0, 0, 0, 0]);
            h
        };
        // Root, escaped bytes.
        let mut m = hdr(1, 0x0100, 0);
        m.extend_from_slice(b"\x00\x00\x02\x00\x01");
        let o = run(RAW, &frame(1234, 53, &m), 0);
        assert_eq!(o.get("dns.qry.name"), "<Root>");
        assert_eq!(o.get("dns.qry.name.len"), "6");
        assert_eq!(o.get("dns.count.labels"), "1");
        assert_eq!(o.info, "Standard query 0x0001 NS <Root>");
        let mut m = hdr(2, 0x0100, 0);
        m.extend_from_slice(b"\x04a.b\x01\x03x y\x00\x00\x01\x00\x01");
        let o = run(RAW, &frame(1234, 53, &m), 0);
        assert_eq!(o.get("dns.qry.name"), "a.b\\001.x y");
        assert_eq!(o.get("dns.qry.name.len"), "8");
        assert_eq!(o.get("dns.count.labels"), "3");
        // LLMNR response flags.
        let mut m = hdr(2, 0x8400, 1);
        m.extend_from_slice(b"\x04host\x00\x00\x01\x00\x01");
        m.extend_from_slice(b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x1e\x00\x04\x0a\x00\x00\x05");
        let o = run(RAW, &frame(5355, 5355, &m), 0);
        assert_eq!(o.protocols, "raw:ip:udp:llmnr");
        assert_eq!(o.get("dns.flags.conflict"), "1");
        assert_eq!(o.get("dns.flags.tentative"), "0");
        assert_eq!(o.get("dns.flags.authoritative"), "");
        assert_eq!(o.info, "Standard query response 0x0002 A host A 10.0.0.5");
        // SRV.
        let mut m = hdr(1, 0x8400, 1);
        m.extend_from_slice(b"\x04_sip\x04_udp\x07example\x03com\x00\x00\x21\x00\x01");
        m.extend_from_slice(b"\xc0\x0c\x00\x21\x00\x01\x00\x00\x00\x3c\x00\x0b");
        m.extend_from_slice(b"\x00\x0a\x00\x05\x13\xc4\x03sip\x00");
        let o = run(RAW, &frame(53, 1234, &m), 0);
        assert_eq!(o.get("dns.srv.target"), "sip");
        assert_eq!(o.get("dns.srv.port"), "5060");
        assert_eq!(
            o.info,
            "Standard query response 0x0001 SRV _sip._udp.example.com SRV 10 5 5060 sip"
        );
        assert!(!o.issue);
    }
}
