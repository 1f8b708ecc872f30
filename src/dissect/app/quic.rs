//! QUIC (RFC 9000 v1, RFC 9369 v2): long and short headers, Version
//! Negotiation, Retry, and Initial packets decrypted with the keys RFC 9001
//! derives from the client's first Destination Connection ID.
//!
//! One `quic` layer covers a UDP payload and every QUIC packet coalesced in
//! it. Decoding a datagram alone shows the headers as they are on the wire
//! (header protection in place). The flow stage (`flow::quic`) knows each
//! connection's Initial keys: for a datagram holding Initial packets it
//! builds a decrypted copy ([`Plain`]) as the packet's reassembled buffer and
//! the layer is decoded again from it, so frames (CRYPTO, ACK, PADDING, …)
//! and the TLS handshake messages their CRYPTO data completes appear.

use crate::dissect::bytes::be32;
use crate::dissect::{Cx, FieldSink, Layer, Next, Packet, Proto, SinkExt, Src, Value};
use aes::cipher::{generic_array::GenericArray, BlockEncrypt, KeyInit};
use aes_gcm::aead::AeadInPlace;
use std::ops::Range;

pub const V1: u32 = 1;
pub const V2: u32 = 0x6b33_43cf;

/// A QUIC variable-length integer at `at`: (value, length).
pub fn varint(b: &[u8], at: usize) -> Option<(u64, usize)> {
    let first = *b.get(at)?;
    let len = 1usize << (first >> 6);
    let raw = b.get(at..at + len)?;
    let mut v = (first & 0x3f) as u64;
    for &x in &raw[1..] {
        v = (v << 8) | x as u64;
    }
    Some((v, len))
}

/// Long-header packet types in v1 numbering (v2 reorders the bits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LongType {
    Initial,
    ZeroRtt,
    Handshake,
    Retry,
}

impl LongType {
    fn v1_code(self) -> u64 {
        match self {
            LongType::Initial => 0,
            LongType::ZeroRtt => 1,
            LongType::Handshake => 2,
            LongType::Retry => 3,
        }
    }
    fn name(self) -> &'static str {
        match self {
            LongType::Initial => "Initial",
            LongType::ZeroRtt => "0-RTT",
            LongType::Handshake => "Handshake",
            LongType::Retry => "Retry",
        }
    }
}

fn long_type(first: u8, version: u32) -> LongType {
    let bits = (first >> 4) & 3;
    let code = if version == V2 { (bits + 3) % 4 } else { bits };
    match code {
        0 => LongType::Initial,
        1 => LongType::ZeroRtt,
        2 => LongType::Handshake,
        _ => LongType::Retry,
    }
}

/// One QUIC packet of a datagram, as far as its header can be read without keys.
#[derive(Clone, Debug)]
pub struct Hdr {
    /// Range of the whole packet in the slice it was read from.
    pub span: Range<usize>,
    pub kind: Kind,
}

#[derive(Clone, Debug)]
pub enum Kind {
    VersionNeg {
        dcid: Range<usize>,
        scid: Range<usize>,
    },
    Long {
        version: u32,
        ty: LongType,
        dcid: Range<usize>,
        scid: Range<usize>,
        /// Initial: token length field and token.
        token: Option<(Range<usize>, Range<usize>)>,
        /// Length field's range and value (not in Retry).
        length: Option<(Range<usize>, u64)>,
        /// Where the (protected) packet number begins (not in Retry).
        pn_at: usize,
    },
    Short,
}

impl Hdr {
    pub fn is_initial(&self) -> bool {
        matches!(
            self.kind,
            Kind::Long {
                ty: LongType::Initial,
                ..
            }
        )
    }
}

/// True for Google QUIC versions ('Q0xx', 'T0xx'), which tshark hands to its
/// gQUIC dissector: layerscope leaves them as data.
fn is_gquic_version(v: u32) -> bool {
    let b = v.to_be_bytes();
    matches!(b[0], b'Q' | b'T') && b[1..].iter().all(u8::is_ascii_digit)
}

fn cid(b: &[u8], at: usize) -> Option<Range<usize>> {
    let l = *b.get(at)? as usize;
    (l <= 20 && at + 1 + l <= b.len()).then_some(at + 1..at + 1 + l)
}

/// Reads the long header at `at` (a short header takes the rest of the
/// datagram). None when the bytes are not a QUIC packet header.
pub fn parse_at(b: &[u8], at: usize) -> Option<Hdr> {
    let first = *b.get(at)?;
    if first & 0x80 == 0 {
        return Some(Hdr {
            span: at..b.len(),
            kind: Kind::Short,
        });
    }
    let version = be32(b, at + 1)?;
    let dcid = cid(b, at + 5)?;
    let scid = cid(b, dcid.end)?;
    if version == 0 {
        return Some(Hdr {
            span: at..b.len(),
            kind: Kind::VersionNeg { dcid, scid },
        });
    }
    if is_gquic_version(version) {
        return None;
    }
    let ty = long_type(first, version);
    let mut p = scid.end;
    if ty == LongType::Retry {
        return Some(Hdr {
            span: at..b.len(),
            kind: Kind::Long {
                version,
                ty,
                dcid,
                scid,
                token: None,
                length: None,
                pn_at: b.len(),
            },
        });
    }
    let mut token = None;
    if ty == LongType::Initial {
        let (tl, n) = varint(b, p)?;
        let tstart = p + n;
        let tend = tstart.checked_add(usize::try_from(tl).ok()?)?;
        if tend > b.len() {
            return None;
        }
        token = Some((p..tstart, tstart..tend));
        p = tend;
    }
    let (len, n) = varint(b, p)?;
    let pn_at = p + n;
    // A packet whose Length runs past the datagram is shown as far as it goes.
    let end = pn_at
        .saturating_add(usize::try_from(len).unwrap_or(usize::MAX))
        .min(b.len());
    Some(Hdr {
        span: at..end,
        kind: Kind::Long {
            version,
            ty,
            dcid,
            scid,
            token,
            length: Some((p..pn_at, len)),
            pn_at,
        },
    })
}

/// Most packets walked in one datagram (coalescing is rarely more than 3).
const MAX_PACKETS: usize = 16;

/// Every packet coalesced in a datagram, in order. A packet after the first
/// belongs to the datagram only when it carries the first one's Destination
/// Connection ID (RFC 9000 §12.2); anything else is padding (as tshark's
/// "Coalesced Padding Data": aioquic, for one, pads a client's Initial
/// datagram with zero bytes after the packet).
pub fn packets(b: &[u8]) -> impl Iterator<Item = Hdr> + '_ {
    let mut at = 0;
    let mut n = 0;
    let mut first_dcid: &[u8] = &[];
    std::iter::from_fn(move || {
        if at >= b.len() || n >= MAX_PACKETS {
            return None;
        }
        let h = parse_at(b, at)?;
        let dcid = match &h.kind {
            Kind::Long { dcid, .. } | Kind::VersionNeg { dcid, .. } => b.get(dcid.clone()),
            Kind::Short => b.get(at + 1..at + 1 + first_dcid.len()),
        };
        if n == 0 {
            first_dcid = dcid.unwrap_or_default();
        } else if dcid != Some(first_dcid) {
            return None;
        }
        n += 1;
        at = if h.span.end > at { h.span.end } else { b.len() };
        Some(h)
    })
}

/// True when a UDP payload starts with a QUIC long header of a version
/// layerscope knows (v1, v2, or Version Negotiation), whatever the ports (as
/// Wireshark's QUIC heuristic).
pub fn looks_like(p: &[u8]) -> bool {
    if p.len() < 7 || p[0] & 0xc0 != 0xc0 {
        return false;
    }
    matches!(be32(p, 1), Some(V1 | V2)) && parse_at(p, 0).is_some()
}

pub fn dissect(cx: &mut Cx<'_, '_>, off: usize) -> Next {
    let limit = cx.limit.max(off);
    let b = cx.rest(off);
    if parse_at(b, 0).is_none() {
        return Next::Proto(Proto::Data, off);
    }
    // A decrypted copy ends in a table and the plaintexts: the header part
    // is the datagram, its length given by the UDP header.
    let end = match cx.src {
        Src::Reassembled => cx.pkt.reassembled_at as usize + udp_payload_len(cx),
        Src::Frame => limit,
    };
    cx.push(Proto::Quic, off, end.min(limit), limit);
    Next::Done
}

/// The UDP payload length of the packet being decoded (for the decrypted copy).
fn udp_payload_len(cx: &Cx<'_, '_>) -> usize {
    let data = cx.data();
    cx.pkt
        .layers
        .iter()
        .rev()
        .find(|l| l.proto == Proto::Udp)
        .and_then(|l| crate::dissect::bytes::be16(data, l.start as usize + 4))
        .map_or(0, |n| (n as usize).saturating_sub(8))
}

// ------------------------------------------------------------ protection

/// Initial salts (RFC 9001 §5.2, RFC 9369 §3.3.1).
const SALT_V1: [u8; 20] = [
    0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad,
    0xcc, 0xbb, 0x7f, 0x0a,
];
const SALT_V2: [u8; 20] = [
    0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93, 0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb,
    0xf9, 0xbd, 0x2e, 0xd9,
];

/// One direction's Initial packet protection keys.
pub struct Keys {
    key: [u8; 16],
    iv: [u8; 12],
    hp: [u8; 16],
}

fn expand_label(h: &hkdf::Hkdf<sha2::Sha256>, label: &str, out: &mut [u8]) -> Option<()> {
    let full = [b"tls13 ", label.as_bytes()].concat();
    let mut info = Vec::with_capacity(4 + full.len());
    info.extend_from_slice(&(out.len() as u16).to_be_bytes());
    info.push(full.len() as u8);
    info.extend_from_slice(&full);
    info.push(0);
    h.expand(&info, out).ok()
}

impl Keys {
    /// The Initial keys of one side (`server`: the server's packets), from
    /// the client's first Destination Connection ID.
    pub fn initial(version: u32, dcid: &[u8], server: bool) -> Option<Keys> {
        let (salt, pre) = match version {
            V1 => (&SALT_V1, "quic "),
            V2 => (&SALT_V2, "quicv2 "),
            _ => return None,
        };
        let (_, init) = hkdf::Hkdf::<sha2::Sha256>::extract(Some(salt), dcid);
        let mut secret = [0u8; 32];
        let side = if server { "server in" } else { "client in" };
        expand_label(&init, side, &mut secret)?;
        let h = hkdf::Hkdf::<sha2::Sha256>::from_prk(&secret).ok()?;
        let mut k = Keys {
            key: [0; 16],
            iv: [0; 12],
            hp: [0; 16],
        };
        expand_label(&h, &format!("{pre}key"), &mut k.key)?;
        expand_label(&h, &format!("{pre}iv"), &mut k.iv)?;
        expand_label(&h, &format!("{pre}hp"), &mut k.hp)?;
        Some(k)
    }
}

/// What unprotecting one packet achieved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unprotect {
    /// Nothing (no sample, unknown version).
    None = 0,
    /// Header protection removed; the payload did not authenticate.
    Header = 1,
    /// Header and payload decrypted.
    Full = 2,
}

/// Removes header protection from the Initial packet `pkt` (a whole packet,
/// `pn_at` its packet-number offset) in place and decrypts its payload into
/// `plain`. The packet's bytes keep the ciphertext (tshark shows it as
/// `quic.payload`).
pub fn unprotect(k: &Keys, pkt: &mut [u8], pn_at: usize, plain: &mut Vec<u8>) -> Unprotect {
    plain.clear();
    let Some(sample) = pkt.get(pn_at + 4..pn_at + 20) else {
        return Unprotect::None;
    };
    let hp = aes::Aes128::new(GenericArray::from_slice(&k.hp));
    let mut mask = GenericArray::clone_from_slice(sample);
    hp.encrypt_block(&mut mask);
    pkt[0] ^= mask[0] & 0x0f;
    let pn_len = (pkt[0] & 3) as usize + 1;
    if pkt.len() < pn_at + pn_len + 16 {
        return Unprotect::Header;
    }
    let mut pn = 0u64;
    for i in 0..pn_len {
        pkt[pn_at + i] ^= mask[1 + i];
        pn = (pn << 8) | pkt[pn_at + i] as u64;
    }
    let mut nonce = k.iv;
    for (i, b) in pn.to_be_bytes().iter().enumerate() {
        nonce[4 + i] ^= b;
    }
    let body = pn_at + pn_len;
    let tag_at = pkt.len() - 16;
    plain.extend_from_slice(&pkt[body..tag_at]);
    let aead = aes_gcm::Aes128Gcm::new(GenericArray::from_slice(&k.key));
    let ok = aead
        .decrypt_in_place_detached(
            GenericArray::from_slice(&nonce),
            &pkt[..body],
            plain,
            GenericArray::from_slice(&pkt[tag_at..]),
        )
        .is_ok();
    if ok {
        Unprotect::Full
    } else {
        plain.clear();
        Unprotect::Header
    }
}

/// Layout of a decrypted copy after the datagram: a byte counting packets,
/// then per packet its [`Unprotect`] state and its plaintext length (u32),
/// then the plaintexts in order.
pub struct Plain;

impl Plain {
    /// Per-packet (state, plaintext range) read from the table at `at`.
    fn table(b: &[u8], at: usize) -> Vec<(u8, Range<usize>)> {
        let Some(&n) = b.get(at) else {
            return Vec::new();
        };
        let mut out = Vec::with_capacity(n as usize);
        let mut p = at + 1 + 5 * n as usize;
        for i in 0..n as usize {
            let e = at + 1 + 5 * i;
            let (Some(&st), Some(len)) = (b.get(e), be32(b, e + 1)) else {
                break;
            };
            let len = len as usize;
            out.push((st, p..(p + len).min(b.len())));
            p += len;
        }
        out
    }

    /// Appends the table for `states` (state, plaintext length) to `buf`.
    pub fn write_table(buf: &mut Vec<u8>, states: &[(Unprotect, usize)]) {
        buf.push(states.len() as u8);
        for &(s, l) in states {
            buf.push(s as u8);
            buf.extend_from_slice(&(l as u32).to_be_bytes());
        }
    }
}

// ------------------------------------------------------------ fields

fn bytes_or_skip(
    out: &mut dyn FieldSink,
    name: &'static str,
    label: &'static str,
    b: &[u8],
    r: Range<usize>,
) {
    if !b.is_empty() {
        out.put(name, label, Value::Bytes(b), r);
    }
}

pub fn fields(pkt: &Packet<'_>, l: &Layer, out: &mut dyn FieldSink) {
    let o = l.start as usize;
    let all = pkt.bytes(l.extent());
    let dg = &all[..(l.end - l.start) as usize];
    out.layer("quic", "QUIC IETF", l.extent());
    let table = if l.src == Src::Reassembled {
        Plain::table(all, dg.len())
    } else {
        Vec::new()
    };
    let note = pkt.flow.quic;
    let missing = (pkt.wire_len as usize).saturating_sub(pkt.data.len());
    for (i, h) in packets(dg).enumerate() {
        let (state, plain) = table
            .get(i)
            .map(|(s, r)| (*s, r.clone()))
            .unwrap_or((0, 0..0));
        out.open("packet", o + h.span.start..o + h.span.end);
        // Once per datagram, in its first packet (as tshark).
        if let Some(n) = note.filter(|_| i == 0) {
            out.put(
                "quic.connection.number",
                "Connection Number",
                Value::U(n.conn as u64),
                0..0,
            );
        }
        // As sent: a Length field, or the datagram's reported size for
        // the packet that ends it (a capture may hold fewer bytes).
        let sent = match &h.kind {
            Kind::Long {
                length: Some((_, len)),
                pn_at,
                ..
            } => (*pn_at as u64).saturating_add(*len) - h.span.start as u64,
            _ => (h.span.len() + missing) as u64,
        };
        out.put("quic.packet_length", "Packet Length", Value::U(sent), 0..0);
        packet_fields(dg, o, &h, state, out, note.map(|n| n.dcil));
        if state == Unprotect::Full as u8 {
            frames(all, o, plain, out);
        }
        out.close();
    }
}

fn packet_fields(
    b: &[u8],
    o: usize,
    h: &Hdr,
    state: u8,
    out: &mut dyn FieldSink,
    dcil: Option<u8>,
) {
    let at = h.span.start;
    let first = b[at];
    let r1 = o + at..o + at + 1;
    out.put(
        "quic.header_form",
        "Header Form",
        Value::U((first >> 7) as u64),
        r1.clone(),
    );
    let r = |x: &Range<usize>| o + x.start..o + x.end;
    match &h.kind {
        Kind::Short => {
            out.put(
                "quic.fixed_bit",
                "Fixed Bit",
                Value::Bool(first & 0x40 != 0),
                r1.clone(),
            );
            out.put(
                "quic.spin_bit",
                "Spin Bit",
                Value::Bool(first & 0x20 != 0),
                r1,
            );
            let dl = dcil.unwrap_or(0) as usize;
            let d = at + 1..(at + 1 + dl).min(h.span.end);
            bytes_or_skip(
                out,
                "quic.dcid",
                "Destination Connection ID",
                &b[d.clone()],
                r(&d),
            );
            let rest = d.end..h.span.end;
            bytes_or_skip(
                out,
                "quic.remaining_payload",
                "Remaining Payload",
                &b[rest.clone()],
                r(&rest),
            );
        }
        Kind::VersionNeg { dcid, scid } => {
            out.put(
                "quic.vn.unused",
                "Unused",
                Value::Hex((first & 0x7f) as u64, 2),
                r1,
            );
            out.put(
                "quic.version",
                "Version",
                Value::Hex(0, 8),
                o + at + 1..o + at + 5,
            );
            cids(b, o, dcid, scid, out);
            let mut p = scid.end;
            while let Some(v) = be32(b, p).filter(|_| p + 4 <= h.span.end) {
                out.put(
                    "quic.supported_version",
                    "Supported Version",
                    Value::Hex(v as u64, 8),
                    o + p..o + p + 4,
                );
                p += 4;
            }
        }
        Kind::Long {
            version,
            ty,
            dcid,
            scid,
            token,
            length,
            pn_at,
        } => {
            if *ty != LongType::Retry {
                out.put(
                    "quic.fixed_bit",
                    "Fixed Bit",
                    Value::Bool(first & 0x40 != 0),
                    r1.clone(),
                );
            }
            let code = ty.v1_code();
            if *version == V2 {
                out.put(
                    "quic.long.packet_type_v2",
                    "Packet Type",
                    Value::U(((first >> 4) & 3) as u64),
                    r1.clone(),
                );
            } else {
                out.put(
                    "quic.long.packet_type",
                    "Packet Type",
                    Value::U(code),
                    r1.clone(),
                );
            }
            // Reserved bits and the packet number are readable only once
            // header protection is off (or, without keys, shown raw for
            // Initial packets, as tshark does).
            let readable = *ty == LongType::Initial;
            let pn_len = (first & 3) as usize + 1;
            if readable {
                out.put(
                    "quic.long.reserved",
                    "Reserved",
                    Value::U(((first >> 2) & 3) as u64),
                    r1.clone(),
                );
                out.put(
                    "quic.packet_number_length",
                    "Packet Number Length",
                    Value::U((first & 3) as u64),
                    r1,
                );
            }
            out.put(
                "quic.version",
                "Version",
                Value::Hex(*version as u64, 8),
                o + at + 1..o + at + 5,
            );
            cids(b, o, dcid, scid, out);
            if *ty == LongType::Retry {
                let tag_at = h.span.end.saturating_sub(16).max(scid.end);
                let tok = scid.end..tag_at;
                bytes_or_skip(
                    out,
                    "quic.retry_token",
                    "Retry Token",
                    &b[tok.clone()],
                    r(&tok),
                );
                let tag = tag_at..h.span.end;
                bytes_or_skip(
                    out,
                    "quic.retry_integrity_tag",
                    "Retry Integrity Tag",
                    &b[tag.clone()],
                    r(&tag),
                );
                return;
            }
            if let Some((tl, tok)) = token {
                out.put(
                    "quic.token_length",
                    "Token Length",
                    Value::U(tok.len() as u64),
                    r(tl),
                );
                bytes_or_skip(out, "quic.token", "Token", &b[tok.clone()], r(tok));
            }
            if let Some((lr, len)) = length {
                out.put("quic.length", "Length", Value::U(*len), r(lr));
            }
            if readable {
                let pr = *pn_at..(*pn_at + pn_len).min(h.span.end);
                if pr.len() == pn_len {
                    let pn = b[pr.clone()].iter().fold(0u64, |a, &x| (a << 8) | x as u64);
                    out.put("quic.packet_number", "Packet Number", Value::U(pn), r(&pr));
                }
                let pl = pr.end..h.span.end;
                bytes_or_skip(out, "quic.payload", "Payload", &b[pl.clone()], r(&pl));
                if state != Unprotect::Full as u8 {
                    out.put(
                        "quic.decryption_failed",
                        "Decryption failed",
                        Value::Bool(true),
                        r(&pl),
                    );
                }
            } else {
                let rest = *pn_at..h.span.end;
                bytes_or_skip(
                    out,
                    "quic.remaining_payload",
                    "Remaining Payload",
                    &b[rest.clone()],
                    r(&rest),
                );
            }
        }
    }
}

fn cids(b: &[u8], o: usize, dcid: &Range<usize>, scid: &Range<usize>, out: &mut dyn FieldSink) {
    let r = |x: &Range<usize>| o + x.start..o + x.end;
    out.put(
        "quic.dcil",
        "Destination Connection ID Length",
        Value::U(dcid.len() as u64),
        o + dcid.start - 1..o + dcid.start,
    );
    bytes_or_skip(
        out,
        "quic.dcid",
        "Destination Connection ID",
        &b[dcid.clone()],
        r(dcid),
    );
    out.put(
        "quic.scil",
        "Source Connection ID Length",
        Value::U(scid.len() as u64),
        o + scid.start - 1..o + scid.start,
    );
    bytes_or_skip(
        out,
        "quic.scid",
        "Source Connection ID",
        &b[scid.clone()],
        r(scid),
    );
}

/// One frame of a decrypted payload.
#[derive(Clone, Copy, Debug)]
pub enum Frame {
    Padding { len: usize },
    Ping,
    Ack,
    Crypto { offset: u64, data: (usize, usize) },
    Close,
    Other,
}

/// Walks the frames of a plaintext payload, calling `f(type, range, frame)`.
/// Stops at a frame it cannot measure (one whose layout it does not know).
pub fn walk_frames(p: &[u8], mut f: impl FnMut(u64, Range<usize>, Frame)) {
    let mut at = 0;
    while at < p.len() {
        let Some((ty, n)) = varint(p, at) else { return };
        let s = at;
        at += n;
        let fr = match ty {
            0 => {
                let run = p[s..].iter().take_while(|&&x| x == 0).count();
                at = s + run;
                Frame::Padding { len: run }
            }
            1 => Frame::Ping,
            2 | 3 => {
                let mut vals = [0u64; 4];
                for v in &mut vals {
                    let Some((x, n)) = varint(p, at) else { return };
                    *v = x;
                    at += n;
                }
                for _ in 0..vals[2].min(p.len() as u64) * 2 {
                    let Some((_, n)) = varint(p, at) else { return };
                    at += n;
                }
                if ty == 3 {
                    for _ in 0..3 {
                        let Some((_, n)) = varint(p, at) else { return };
                        at += n;
                    }
                }
                Frame::Ack
            }
            6 => {
                let Some((off, n1)) = varint(p, at) else {
                    return;
                };
                let Some((len, n2)) = varint(p, at + n1) else {
                    return;
                };
                let d = at + n1 + n2;
                let Some(e) = usize::try_from(len).ok().and_then(|l| d.checked_add(l)) else {
                    return;
                };
                if e > p.len() {
                    return;
                }
                at = e;
                Frame::Crypto {
                    offset: off,
                    data: (d, e),
                }
            }
            0x1c | 0x1d => {
                let Some((_, n1)) = varint(p, at) else { return };
                at += n1;
                if ty == 0x1c {
                    let Some((_, n)) = varint(p, at) else { return };
                    at += n;
                }
                let Some((rl, n)) = varint(p, at) else { return };
                at += n;
                let Some(e) = usize::try_from(rl).ok().and_then(|l| at.checked_add(l)) else {
                    return;
                };
                if e > p.len() {
                    return;
                }
                at = e;
                Frame::Close
            }
            _ => {
                f(ty, s..p.len(), Frame::Other);
                return;
            }
        };
        f(ty, s..at, fr);
    }
}

fn frame_name(ty: u64) -> &'static str {
    match ty {
        0 => "PADDING",
        1 => "PING",
        2 | 3 => "ACK",
        6 => "CRYPTO",
        0x1c | 0x1d => "CC",
        4 => "RS",
        5 => "SS",
        7 => "NT",
        8..=0xf => "STREAM",
        0x18 => "NCI",
        0x1e => "DONE",
        _ => "",
    }
}

fn frames(all: &[u8], o: usize, plain: Range<usize>, out: &mut dyn FieldSink) {
    let p = &all[plain.clone()];
    let base = o + plain.start;
    walk_frames(p, |ty, fr, kind| {
        out.open("frame", base + fr.start..base + fr.end);
        let n = varint(p, fr.start).map_or(1, |v| v.1);
        out.put(
            "quic.frame_type",
            "Frame Type",
            Value::U(ty),
            base + fr.start..base + fr.start + n,
        );
        let mut at = fr.start + n;
        let mut v = |name: &'static str, label: &'static str, out: &mut dyn FieldSink| {
            if let Some((x, k)) = varint(p, at) {
                out.put(name, label, Value::U(x), base + at..base + at + k);
                at += k;
                Some(x)
            } else {
                None
            }
        };
        match kind {
            Frame::Padding { len } => out.put(
                "quic.padding_length",
                "Padding Length",
                Value::U(len as u64),
                base + fr.start..base + fr.end,
            ),
            Frame::Ack => {
                v("quic.ack.largest_acknowledged", "Largest Acknowledged", out);
                v("quic.ack.ack_delay", "ACK Delay", out);
                let count = v("quic.ack.ack_range_count", "ACK Range Count", out).unwrap_or(0);
                v("quic.ack.first_ack_range", "First ACK Range", out);
                for _ in 0..count.min(p.len() as u64) {
                    v("quic.ack.gap", "Gap", out);
                    v("quic.ack.ack_range", "ACK Range", out);
                }
                if ty == 3 {
                    v("quic.ack.ect0_count", "ECT(0) Count", out);
                    v("quic.ack.ect1_count", "ECT(1) Count", out);
                    v("quic.ack.ecn_ce_count", "ECN-CE Count", out);
                }
            }
            Frame::Crypto { .. } => {
                v("quic.crypto.offset", "Offset", out);
                v("quic.crypto.length", "Length", out);
            }
            Frame::Close => {
                v("quic.cc.error_code", "Error code", out);
                if ty == 0x1c {
                    v("quic.cc.frame_type", "Frame Type", out);
                }
                let rl = v("quic.cc.reason_phrase.length", "Reason phrase Length", out);
                if let Some(rl) = rl.filter(|&l| l > 0) {
                    let e = (at + rl as usize).min(p.len());
                    if let Ok(s) = std::str::from_utf8(&p[at..e]) {
                        out.put(
                            "quic.cc.reason_phrase",
                            "Reason phrase",
                            Value::Str(s),
                            base + at..base + e,
                        );
                    }
                }
            }
            Frame::Ping | Frame::Other => {}
        }
        out.close();
    });
}

pub fn info(pkt: &Packet<'_>, l: &Layer, w: &mut Vec<u8>) {
    let all = pkt.bytes(l.extent());
    let dg = &all[..(l.end - l.start) as usize];
    let table = if l.src == Src::Reassembled {
        Plain::table(all, dg.len())
    } else {
        Vec::new()
    };
    let note = pkt.flow.quic;
    let hexid = |w: &mut Vec<u8>, id: &[u8]| {
        for x in id {
            w.extend_from_slice(format!("{x:02x}").as_bytes());
        }
    };
    // Wireshark sets the column afresh for every coalesced packet, so the
    // datagram's last packet names it.
    let Some((i, h)) = packets(dg).enumerate().last() else {
        return;
    };
    let ids = |w: &mut Vec<u8>, dcid: &Range<usize>, scid: &Range<usize>| {
        if !dcid.is_empty() {
            w.extend_from_slice(b", DCID=");
            hexid(w, &dg[dcid.clone()]);
        }
        if !scid.is_empty() {
            w.extend_from_slice(b", SCID=");
            hexid(w, &dg[scid.clone()]);
        }
    };
    match &h.kind {
        Kind::Short => {
            w.extend_from_slice(b"Protected Payload (KP0)");
            let dl = note.map_or(0, |n| n.dcil as usize);
            if dl > 0 {
                if let Some(d) = dg.get(h.span.start + 1..h.span.start + 1 + dl) {
                    w.extend_from_slice(b", DCID=");
                    hexid(w, d);
                }
            }
        }
        Kind::VersionNeg { dcid, scid } => {
            w.extend_from_slice(b"Version Negotiation");
            ids(w, dcid, scid);
        }
        Kind::Long {
            ty,
            dcid,
            scid,
            pn_at,
            ..
        } => {
            w.extend_from_slice(ty.name().as_bytes());
            ids(w, dcid, scid);
            if *ty == LongType::Initial {
                let pn_len = (dg[h.span.start] & 3) as usize + 1;
                if let Some(pb) = dg.get(*pn_at..*pn_at + pn_len) {
                    let pn = pb.iter().fold(0u64, |a, &x| (a << 8) | x as u64);
                    w.extend_from_slice(b", PKN: ");
                    w.extend_from_slice(itoa::Buffer::new().format(pn).as_bytes());
                }
                if let Some((st, r)) = table.get(i) {
                    if *st == Unprotect::Full as u8 {
                        walk_frames(&all[r.clone()], |ty, _, _| {
                            let name = frame_name(ty);
                            if !name.is_empty() {
                                w.extend_from_slice(b", ");
                                w.extend_from_slice(name.as_bytes());
                            }
                        });
                    }
                }
            }
        }
    }
}

/// Every field this file's decoder emits, as Wireshark registers them.
pub const FIELDS: &[crate::dissect::decl::FieldDef] = {
    use crate::dissect::decl::{f, FieldType::*};
    &[
        f("quic.ack.ack_delay", Uint, "ACK Delay"),
        f("quic.ack.ack_range", Uint, "ACK Range"),
        f("quic.ack.ack_range_count", Uint, "ACK Range Count"),
        f("quic.ack.ecn_ce_count", Uint, "ECN-CE Count"),
        f("quic.ack.ect0_count", Uint, "ECT(0) Count"),
        f("quic.ack.ect1_count", Uint, "ECT(1) Count"),
        f("quic.ack.first_ack_range", Uint, "First ACK Range"),
        f("quic.ack.gap", Uint, "Gap"),
        f(
            "quic.ack.largest_acknowledged",
            Uint,
            "Largest Acknowledged",
        ),
        f("quic.cc.error_code", Uint, "Error code"),
        f("quic.cc.frame_type", Uint, "Frame Type"),
        f("quic.cc.reason_phrase", Str, "Reason phrase"),
        f("quic.cc.reason_phrase.length", Uint, "Reason phrase Length"),
        f("quic.connection.number", Uint, "Connection Number"),
        f("quic.crypto.length", Uint, "Length"),
        f("quic.crypto.offset", Uint, "Offset"),
        f("quic.dcid", Bytes, "Destination Connection ID"),
        f("quic.dcil", Uint, "Destination Connection ID Length"),
        f("quic.decryption_failed", Bool, "Decryption failed"),
        f("quic.fixed_bit", Bool, "Fixed Bit"),
        f("quic.frame_type", Uint, "Frame Type"),
        f("quic.header_form", Uint, "Header Form"),
        f("quic.length", Uint, "Length"),
        f("quic.long.packet_type", Uint, "Packet Type"),
        f("quic.long.packet_type_v2", Uint, "Packet Type"),
        f("quic.long.reserved", Uint, "Reserved"),
        f("quic.packet_length", Uint, "Packet Length"),
        f("quic.packet_number", Uint, "Packet Number"),
        f("quic.packet_number_length", Uint, "Packet Number Length"),
        f("quic.padding_length", Uint, "Padding Length"),
        f("quic.payload", Bytes, "Payload"),
        f("quic.remaining_payload", Bytes, "Remaining Payload"),
        f("quic.retry_integrity_tag", Bytes, "Retry Integrity Tag"),
        f("quic.retry_token", Bytes, "Retry Token"),
        f("quic.scid", Bytes, "Source Connection ID"),
        f("quic.scil", Uint, "Source Connection ID Length"),
        f("quic.spin_bit", Bool, "Spin Bit"),
        f("quic.supported_version", Uint, "Supported Version"),
        f("quic.token", Bytes, "Token"),
        f("quic.token_length", Uint, "Token Length"),
        f("quic.version", Uint, "Version"),
        f("quic.vn.unused", Uint, "Unused"),
    ]
};

/// QUIC: names, place in the layer model, how it is reached, decoders.
pub static DECL: crate::dissect::decl::Decl = {
    use crate::dissect::decl::{Decl, Reach, Tier};
    Decl {
        filter_name: "quic",
        name: "QUIC IETF",
        display: "QUIC",
        short: "QUIC",
        tier: Tier::Application,
        reached: &[Reach::UdpContent(looks_like), Reach::UdpPort(443)],
        dissect,
        fields,
        info: Some(info),
        pdu_len: None,
        field_tables: &[FIELDS],
    }
};

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 9001 Appendix A: keys from DCID 0x8394c8f03e515708.
    #[test]
    fn rfc9001_initial_keys() {
        let dcid = [0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08];
        let c = Keys::initial(V1, &dcid, false).expect("keys");
        assert_eq!(
            c.key,
            *b"\x1f\x36\x96\x13\xdd\x76\xd5\x46\x77\x30\xef\xcb\xe3\xb1\xa2\x2d"
        );
        assert_eq!(c.iv, *b"\xfa\x04\x4b\x2f\x42\xa3\xfd\x3b\x46\xfb\x25\x5c");
        assert_eq!(
            c.hp,
            *b"\x9f\x50\x44\x9e\x04\xa0\xe8\x10\x28\x3a\x1e\x99\x33\xad\xed\xd2"
        );
        let s = Keys::initial(V1, &dcid, true).expect("keys");
        assert_eq!(
            s.key,
            *b"\xcf\x3a\x53\x31\x65\x3c\x36\x4c\x88\xf0\xf3\x79\xb6\x06\x7e\x37"
        );
        // RFC 9369 Appendix A: v2 client key.
        let c2 = Keys::initial(V2, &dcid, false).expect("keys");
        assert_eq!(
            c2.key,
            *b"\x8b\x1a\x0b\xc1\x21\x28\x42\x90\xa2\x9e\x09\x71\xb5\xcd\x04\x5d"
        );
        assert!(Keys::initial(0x1a2a3a4a, &dcid, false).is_none());
    }

    #[test]
    fn trailing_bytes_with_another_dcid_are_padding() {
        // Initial (DCID aabb, Length 2) then zero padding: one packet.
        let initial = [0xc0, 0, 0, 0, 1, 2, 0xaa, 0xbb, 0, 0, 2, 0x11, 0x22];
        let mut b = initial.to_vec();
        b.extend_from_slice(&[0; 20]);
        assert_eq!(packets(&b).count(), 1);
        // Then a short header packet to the same DCID: coalesced.
        let mut b = initial.to_vec();
        b.extend_from_slice(&[0x40, 0xaa, 0xbb, 1, 2, 3]);
        let all: Vec<Hdr> = packets(&b).collect();
        assert_eq!(all.len(), 2);
        assert!(matches!(all[1].kind, Kind::Short));
        assert_eq!(all[1].span, 13..19);
    }

    #[test]
    fn varints_and_headers_never_panic() {
        assert_eq!(varint(&[0x25], 0), Some((37, 1)));
        assert_eq!(varint(&[0x7b, 0xbd], 0), Some((15293, 2)));
        assert_eq!(varint(&[0x9d, 0x7f, 0x3e, 0x7d], 0), Some((494878333, 4)));
        assert_eq!(varint(&[0xc0], 0), None);
        for n in 0..64 {
            let b: Vec<u8> = (0..n).map(|i| (i * 37 + 0xc1) as u8).collect();
            let _ = packets(&b).count();
            walk_frames(&b, |_, _, _| {});
        }
    }
}
