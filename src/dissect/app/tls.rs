//! TLS records and the clear-text handshake (RFC 8446, RFC 5246).
//!
//! Works on any byte slice: one TCP segment (as tshark with desegmentation
//! off) or reassembled records. Every record in the slice is decoded; a
//! record cut off by the end of the slice is decoded as far as it goes and
//! not marked malformed (its rest arrives in a later segment).

use crate::dissect::decl::PduLen;
use crate::dissect::{Cx, FieldSink, Layer, Next, Packet, Proto, SinkExt, Value};

const CCS: u8 = 20;
const ALERT: u8 = 21;
const HANDSHAKE: u8 = 22;
const APP_DATA: u8 = 23;
const HEARTBEAT: u8 = 24;
const CLIENT_HELLO: u8 = 1;

/// SHA-256("HelloRetryRequest"): a ServerHello with this random is an HRR.
const HRR_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// A plausible record header: known content type, SSL 3.0 to TLS 1.3
/// version, length within the limit for a protected record.
fn record_header(b: &[u8]) -> Option<(u8, u16, usize)> {
    let [ct, maj, min, l0, l1, ..] = *b else {
        return None;
    };
    let len = u16::from_be_bytes([l0, l1]) as usize;
    ((CCS..=HEARTBEAT).contains(&ct) && maj == 3 && min <= 4 && len <= (1 << 14) + 2048)
        .then_some((ct, u16::from_be_bytes([maj, min]), len))
}

/// True when the payload starts with a TLS record header.
pub fn looks_like(payload: &[u8]) -> bool {
    record_header(payload).is_some()
}

/// Length of the record at the start of `b` (5 + record length) once its
/// header is there, for TCP reassembly.
pub fn pdu_len(b: &[u8]) -> PduLen {
    match b {
        [_, _, _, h, l, ..] => PduLen::Known(5 + u16::from_be_bytes([*h, *l]) as usize),
        _ => PduLen::NeedMore,
    }
}

pub fn dissect(cx: &mut Cx<'_, '_>, off: usize) -> Next {
    let limit = cx.limit.max(off);
    // A segment that does not start a record continues one begun earlier.
    let end = if looks_like(cx.rest(off)) { limit } else { off };
    cx.push(Proto::Tls, off, end, limit);
    Next::Done
}

use crate::dissect::bytes::be16;

fn be24(b: &[u8], at: usize) -> Option<usize> {
    crate::dissect::bytes::be24(b, at).map(|v| v as usize)
}

fn handshake_name(t: u8) -> Option<&'static str> {
    Some(match t {
        0 => "Hello Request",
        1 => "Client Hello",
        2 => "Server Hello",
        4 => "New Session Ticket",
        5 => "End of Early Data",
        8 => "Encrypted Extensions",
        11 => "Certificate",
        12 => "Server Key Exchange",
        13 => "Certificate Request",
        14 => "Server Hello Done",
        15 => "Certificate Verify",
        16 => "Client Key Exchange",
        20 => "Finished",
        22 => "Certificate Status",
        24 => "Key Update",
        _ => return None,
    })
}

/// One step through the records of a slice.
enum Item {
    Record {
        at: usize,
        ct: u8,
        version: u16,
        len: usize,
    },
    /// A clear-text handshake message inside the last record.
    Handshake { at: usize, ty: u8, len: usize },
    /// A handshake record whose contents are encrypted.
    EncryptedHandshake,
}

/// Walks records and clear-text handshake messages. Handshake records after a
/// ChangeCipherSpec in the same slice, or whose first message does not fit
/// its record, are encrypted (tshark knows from session state).
fn walk(b: &[u8], mut f: impl FnMut(Item)) {
    let mut at = 0;
    let mut after_ccs = false;
    // Only whole records: tshark without reassembly shows nothing for a
    // record that runs past the end of the segment.
    while let Some((ct, version, len)) = b
        .get(at..)
        .and_then(record_header)
        .filter(|r| at + 5 + r.2 <= b.len())
    {
        f(Item::Record {
            at,
            ct,
            version,
            len,
        });
        let body = at + 5;
        let rec_end = body + len;
        if ct == HANDSHAKE {
            let plausible = |h: usize| {
                b.get(h).is_some_and(|&t| handshake_name(t).is_some())
                    && be24(b, h + 1).is_some_and(|l| h + 4 + l <= rec_end)
            };
            // TLS 1.3 middlebox compatibility: a client sends CCS, then its
            // second ClientHello (after a HelloRetryRequest) in clear text.
            // One whole ClientHello filling the record is no encrypted Finished.
            let second_hello = b.get(body) == Some(&CLIENT_HELLO)
                && be24(b, body + 1).is_some_and(|l| body + 4 + l == rec_end);
            if (after_ccs && !second_hello) || !plausible(body) {
                f(Item::EncryptedHandshake);
            } else {
                let mut h = body;
                while h + 4 <= rec_end.min(b.len()) && plausible(h) {
                    let (ty, hl) = (b[h], be24(b, h + 1).unwrap_or(0));
                    f(Item::Handshake { at: h, ty, len: hl });
                    h += 4 + hl;
                }
            }
        }
        if ct == CCS {
            after_ccs = true;
        }
        at = rec_end;
    }
}

/// Wireshark's names of the protocols TLS application data can carry, as
/// `tls.app_data_proto` shows them; indexed by `FlowNote::alpn` and below.
const APP_NAMES: &[&str] = &[
    "Hypertext Transfer Protocol",
    "HyperText Transfer Protocol 2",
    "File Transfer Protocol (FTP)",
    "Internet Message Access Protocol",
    "Post Office Protocol",
    "Domain Name System",
    "Simple Mail Transfer Protocol",
    "MQ Telemetry Transport Protocol",
    "Lightweight Directory Access Protocol",
    "Session Initiation Protocol",
    "Advanced Message Queuing Protocol",
    "Constrained Application Protocol",
    "Diameter Protocol",
    "EtherNet/IP (Industrial Protocol)",
    "Skinny Client Control Protocol",
    "Q.931",
    "Distributed Network Protocol 3.0",
    "DoIP (ISO13400) Protocol",
    "TPKT - ISO on TCP - RFC1006",
    "Modbus/TCP",
    "Couchbase Protocol",
    "Mongo Wire Protocol",
    "RPKI-Router Protocol",
    "Intel Omni-Path FE Header - Omni-Path Fabric Executive Header",
];

/// ALPN protocol IDs (RFC 7301's registry) Wireshark hands to a dissector.
const ALPN: &[(&[u8], u8)] = &[
    (b"http/1.1", 0),
    (b"http/1.0", 0),
    (b"http/0.9", 0),
    (b"h2", 1),
    (b"ftp", 2),
    (b"imap", 3),
    (b"pop3", 4),
    (b"dot", 5),
    (b"coap", 11),
];

/// Wireshark's `tls.port` table: what a session on a well-known port
/// carries when no ALPN said otherwise.
const TLS_PORTS: &[(u16, u8)] = &[
    (443, 0),
    (993, 3),
    (995, 4),
    (853, 5),
    (465, 6),
    (8883, 7),
    (636, 8),
    (5061, 9),
    (5671, 10),
    (5684, 11),
    (5868, 12),
    (2221, 13),
    (2443, 14),
    (1300, 15),
    (19999, 16),
    (3496, 17),
    (3389, 18),
    (802, 19),
    (11207, 20),
    (27017, 21),
    (324, 22),
    (3249, 23),
    (3250, 23),
    (3251, 23),
    (3252, 23),
];

/// What a TLS layer's application data is, as `tls.app_data_proto` names
/// it: the ALPN's choice, else the lower port's, else the other port's.
fn app_data_proto(pkt: &Packet<'_>) -> Option<&'static str> {
    let by_port = |p: u16| TLS_PORTS.iter().find(|e| e.0 == p).map(|e| e.1);
    let i = pkt.flow.alpn.or_else(|| {
        let (a, b) = pkt.ports()?;
        by_port(a.min(b)).or_else(|| by_port(a.max(b)))
    })?;
    APP_NAMES.get(i as usize).copied()
}

/// The protocol the ServerHello at the start of a segment selects with its
/// ALPN extension, as an index for `FlowNote::alpn`. The hello may be cut
/// short by the segment's end after the extension.
pub fn server_alpn(b: &[u8]) -> Option<u8> {
    let (ct, _, _) = record_header(b)?;
    if ct != HANDSHAKE || b.get(5) != Some(&2) {
        return None;
    }
    let len = be24(b, 6)?;
    let hello = &b[9..(9 + len).min(b.len())];
    let id = hello_alpn(hello)?;
    ALPN.iter().find(|e| e.0 == id).map(|e| e.1)
}

/// The one protocol name of a ServerHello body's ALPN extension.
fn hello_alpn(h: &[u8]) -> Option<&[u8]> {
    // version, random, session id, cipher suite, compression method
    let at = 34 + 1 + *h.get(34)? as usize + 2 + 1;
    let ext_len = be16(h, at)? as usize;
    let exts = h.get(at + 2..at + 2 + ext_len)?;
    let mut e = 0;
    while let (Some(ty), Some(l)) = (be16(exts, e), be16(exts, e + 2)) {
        let d = exts.get(e + 4..e + 4 + l as usize)?;
        if ty == 16 {
            // list length (2), then one length-prefixed name
            let n = *d.get(2)? as usize;
            return d.get(3..3 + n);
        }
        e += 4 + l as usize;
    }
    None
}

/// True for handshake messages a QUIC CRYPTO stream carried: bare
/// messages, no record layer (RFC 9001 §4).
fn in_quic(pkt: &Packet<'_>, l: &Layer) -> bool {
    crate::dissect::link::prev_layer(pkt, l).is_some_and(|p| p.proto == Proto::Quic)
}

/// Handshake messages without a record layer (from QUIC CRYPTO frames).
fn bare_handshake(b: &[u8], o: usize, out: &mut dyn FieldSink) {
    let mut at = 0;
    while let (Some(&ty), Some(len)) = (b.get(at), be24(b, at + 1)) {
        let end = (at + 4 + len).min(b.len());
        out.open("handshake", o + at..o + end);
        out.put_note(
            "tls.handshake.type",
            "Handshake Type",
            Value::U(ty as u64),
            o + at..o + at + 1,
            handshake_name(ty).unwrap_or(""),
        );
        out.put(
            "tls.handshake.length",
            "Length",
            Value::U(len as u64),
            o + at + 1..o + at + 4,
        );
        if ty == 1 || ty == 2 {
            hello(b, o, at + 4, end, ty == 1, out);
        }
        out.close();
        at += 4 + len;
    }
}

pub fn fields(pkt: &Packet<'_>, l: &Layer, out: &mut dyn FieldSink) {
    let o = l.start as usize;
    let b = pkt.bytes(l.extent());
    out.layer("tls", "Transport Layer Security", l.extent());
    if in_quic(pkt, l) {
        bare_handshake(b, o, out);
        return;
    }
    let mut open = false;
    walk(b, |it| match it {
        Item::Record {
            at,
            ct,
            version,
            len,
        } => {
            if open {
                out.close();
            }
            out.open("record", o + at..o + (at + 5 + len).min(b.len()));
            open = true;
            out.put(
                "tls.record.content_type",
                "Content Type",
                Value::U(ct as u64),
                o + at..o + at + 1,
            );
            out.put(
                "tls.record.version",
                "Version",
                Value::Hex(version as u64, 4),
                o + at + 1..o + at + 3,
            );
            out.put(
                "tls.record.length",
                "Length",
                Value::U(len as u64),
                o + at + 3..o + at + 5,
            );
            let body = at + 5..(at + 5 + len).min(b.len());
            if ct == APP_DATA && !body.is_empty() {
                out.put(
                    "tls.app_data",
                    "Encrypted Application Data",
                    Value::Bytes(&b[body.clone()]),
                    o + body.start..o + body.end,
                );
                if let Some(name) = app_data_proto(pkt) {
                    out.put(
                        "tls.app_data_proto",
                        "Application Data Protocol",
                        Value::Str(name),
                        o + body.start..o + body.start,
                    );
                }
            }
        }
        Item::Handshake { at, ty, len } => {
            out.put_note(
                "tls.handshake.type",
                "Handshake Type",
                Value::U(ty as u64),
                o + at..o + at + 1,
                handshake_name(ty).unwrap_or(""),
            );
            out.put(
                "tls.handshake.length",
                "Length",
                Value::U(len as u64),
                o + at + 1..o + at + 4,
            );
            let end = (at + 4 + len).min(b.len());
            if ty == 1 || ty == 2 {
                hello(b, o, at + 4, end, ty == 1, out);
            }
        }
        Item::EncryptedHandshake => {}
    });
    if open {
        out.close();
    }
}

/// ClientHello / ServerHello body at `s..e` (slice offsets; `o` maps to the frame).
fn hello(b: &[u8], o: usize, s: usize, e: usize, client: bool, out: &mut dyn FieldSink) {
    let b = &b[..e.min(b.len())];
    let r = |x: usize, n: usize| o + x..o + x + n;
    let Some(v) = be16(b, s) else { return };
    out.put(
        "tls.handshake.version",
        "Version",
        Value::Hex(v as u64, 4),
        r(s, 2),
    );
    let Some(random) = b.get(s + 2..s + 34) else {
        return;
    };
    out.put(
        "tls.handshake.random",
        "Random",
        Value::Bytes(random),
        r(s + 2, 32),
    );
    out.put(
        "tls.handshake.random_bytes",
        "Random Bytes",
        Value::Bytes(&random[4..]),
        r(s + 6, 28),
    );
    let mut at = s + 34;
    let Some(&sid_len) = b.get(at) else { return };
    out.put(
        "tls.handshake.session_id_length",
        "Session ID Length",
        Value::U(sid_len as u64),
        r(at, 1),
    );
    at += 1;
    let sid_len = sid_len as usize;
    if sid_len > 0 {
        let Some(sid) = b.get(at..at + sid_len) else {
            return;
        };
        out.put(
            "tls.handshake.session_id",
            "Session ID",
            Value::Bytes(sid),
            r(at, sid_len),
        );
    }
    at += sid_len;
    if client {
        let Some(cs_len) = be16(b, at) else { return };
        out.put(
            "tls.handshake.cipher_suites_length",
            "Cipher Suites Length",
            Value::U(cs_len as u64),
            r(at, 2),
        );
        at += 2;
        let cs_end = at + cs_len as usize;
        let mut c = at;
        while c + 2 <= cs_end {
            let Some(cs) = be16(b, c) else { return };
            out.put(
                "tls.handshake.ciphersuite",
                "Cipher Suite",
                Value::Hex(cs as u64, 4),
                r(c, 2),
            );
            c += 2;
        }
        at = cs_end;
        let Some(&cm_len) = b.get(at) else { return };
        out.put(
            "tls.handshake.comp_methods_length",
            "Compression Methods Length",
            Value::U(cm_len as u64),
            r(at, 1),
        );
        at += 1;
        for i in 0..cm_len as usize {
            let Some(&m) = b.get(at + i) else { return };
            out.put(
                "tls.handshake.comp_method",
                "Compression Method",
                Value::U(m as u64),
                r(at + i, 1),
            );
        }
        at += cm_len as usize;
    } else {
        let Some(cs) = be16(b, at) else { return };
        out.put(
            "tls.handshake.ciphersuite",
            "Cipher Suite",
            Value::Hex(cs as u64, 4),
            r(at, 2),
        );
        at += 2;
        let Some(&m) = b.get(at) else { return };
        out.put(
            "tls.handshake.comp_method",
            "Compression Method",
            Value::U(m as u64),
            r(at, 1),
        );
        at += 1;
    }
    let Some(ext_len) = be16(b, at) else { return };
    out.put(
        "tls.handshake.extensions_length",
        "Extensions Length",
        Value::U(ext_len as u64),
        r(at, 2),
    );
    at += 2;
    let ext_end = (at + ext_len as usize).min(b.len());
    while at + 4 <= ext_end {
        let (Some(t), Some(l)) = (be16(b, at), be16(b, at + 2)) else {
            return;
        };
        let l = l as usize;
        out.open("extension", r(at, 4 + l));
        out.put(
            "tls.handshake.extension.type",
            "Type",
            Value::U(t as u64),
            r(at, 2),
        );
        out.put(
            "tls.handshake.extension.len",
            "Length",
            Value::U(l as u64),
            r(at + 2, 2),
        );
        let d = at + 4;
        let de = (d + l).min(ext_end);
        extension(b, o, t, d, de, client, out);
        out.close();
        at = d + l;
    }
}

fn extension(
    b: &[u8],
    o: usize,
    t: u16,
    d: usize,
    de: usize,
    client: bool,
    out: &mut dyn FieldSink,
) {
    let b = &b[..de];
    let r = |x: usize, n: usize| o + x..o + x + n;
    match t {
        // server_name
        0 if client => {
            let Some(list) = be16(b, d) else { return };
            out.put(
                "tls.handshake.extensions_server_name_list_len",
                "Server Name list length",
                Value::U(list as u64),
                r(d, 2),
            );
            let mut at = d + 2;
            while at + 3 <= de {
                let (ty, Some(nl)) = (b[at], be16(b, at + 1)) else {
                    return;
                };
                out.put(
                    "tls.handshake.extensions_server_name_type",
                    "Server Name Type",
                    Value::U(ty as u64),
                    r(at, 1),
                );
                out.put(
                    "tls.handshake.extensions_server_name_len",
                    "Server Name length",
                    Value::U(nl as u64),
                    r(at + 1, 2),
                );
                let Some(name) = b.get(at + 3..at + 3 + nl as usize) else {
                    return;
                };
                if let Ok(s) = std::str::from_utf8(name) {
                    out.put(
                        "tls.handshake.extensions_server_name",
                        "Server Name",
                        Value::Str(s),
                        r(at + 3, name.len()),
                    );
                }
                at += 3 + nl as usize;
            }
        }
        // supported_groups
        10 => {
            let Some(gl) = be16(b, d) else { return };
            out.put(
                "tls.handshake.extensions_supported_groups_length",
                "Supported Groups List Length",
                Value::U(gl as u64),
                r(d, 2),
            );
            let mut at = d + 2;
            while let Some(g) = be16(b, at) {
                out.put(
                    "tls.handshake.extensions_supported_group",
                    "Supported Group",
                    Value::Hex(g as u64, 4),
                    r(at, 2),
                );
                at += 2;
            }
        }
        // ec_point_formats
        11 => {
            let Some(&n) = b.get(d) else { return };
            out.put(
                "tls.handshake.extensions_ec_point_formats_length",
                "EC point formats Length",
                Value::U(n as u64),
                r(d, 1),
            );
            for i in 0..n as usize {
                let Some(&f) = b.get(d + 1 + i) else { return };
                out.put(
                    "tls.handshake.extensions_ec_point_format",
                    "EC point format",
                    Value::U(f as u64),
                    r(d + 1 + i, 1),
                );
            }
        }
        // application_layer_protocol_negotiation
        16 => {
            let Some(al) = be16(b, d) else { return };
            out.put(
                "tls.handshake.extensions_alpn_len",
                "ALPN Extension Length",
                Value::U(al as u64),
                r(d, 2),
            );
            let mut at = d + 2;
            while let Some(&sl) = b.get(at) {
                out.put(
                    "tls.handshake.extensions_alpn_str_len",
                    "ALPN string length",
                    Value::U(sl as u64),
                    r(at, 1),
                );
                let Some(s) = b.get(at + 1..at + 1 + sl as usize) else {
                    return;
                };
                if let Ok(s) = std::str::from_utf8(s) {
                    out.put(
                        "tls.handshake.extensions_alpn_str",
                        "ALPN Next Protocol",
                        Value::Str(s),
                        r(at + 1, sl as usize),
                    );
                }
                at += 1 + sl as usize;
            }
        }
        // supported_versions: a list in the ClientHello, one in the ServerHello.
        43 => {
            let mut at = d;
            if client {
                let Some(&n) = b.get(d) else { return };
                out.put(
                    "tls.handshake.extensions.supported_versions_len",
                    "Supported Versions length",
                    Value::U(n as u64),
                    r(d, 1),
                );
                at += 1;
            }
            while let Some(v) = be16(b, at) {
                out.put(
                    "tls.handshake.extensions.supported_version",
                    "Supported Version",
                    Value::Hex(v as u64, 4),
                    r(at, 2),
                );
                at += 2;
            }
        }
        _ => {}
    }
}

pub fn info(pkt: &Packet<'_>, l: &Layer, w: &mut Vec<u8>) {
    // Inside QUIC, the QUIC summary names the frames (as tshark's Info).
    if in_quic(pkt, l) {
        return;
    }
    let b = pkt.bytes(l.extent());
    if !looks_like(b) {
        w.extend_from_slice(b"Continuation Data");
        return;
    }
    let start = w.len();
    walk(b, |it| match it {
        Item::Record { ct, len, .. } => {
            let name: &[u8] = match ct {
                CCS => b"Change Cipher Spec",
                APP_DATA => b"Application Data",
                HEARTBEAT => b"Heartbeat",
                ALERT if len != 2 => b"Encrypted Alert",
                ALERT => b"Alert",
                _ => return,
            };
            if w.len() > start {
                w.extend_from_slice(b", ");
            }
            w.extend_from_slice(name);
        }
        Item::Handshake { at, ty, .. } => {
            if w.len() > start {
                w.extend_from_slice(b", ");
            }
            let hrr = ty == 2 && b.get(at + 6..at + 38) == Some(&HRR_RANDOM[..]);
            let name = if hrr {
                "Hello Retry Request"
            } else {
                handshake_name(ty).unwrap_or("")
            };
            w.extend_from_slice(name.as_bytes());
        }
        Item::EncryptedHandshake => {
            if w.len() > start {
                w.extend_from_slice(b", ");
            }
            w.extend_from_slice(b"Encrypted Handshake Message");
        }
    });
}

/// Every field this file's decoders emit, as Wireshark registers them.
pub const FIELDS: &[crate::dissect::decl::FieldDef] = {
    use crate::dissect::decl::{f, FieldType::*};
    &[
        f("tls.app_data", Bytes, "Encrypted Application Data"),
        f("tls.app_data_proto", Str, "Application Data Protocol"),
        f(
            "tls.handshake.cipher_suites_length",
            Uint,
            "Cipher Suites Length",
        ),
        f("tls.handshake.ciphersuite", Uint, "Cipher Suite"),
        f("tls.handshake.comp_method", Uint, "Compression Method"),
        f(
            "tls.handshake.comp_methods_length",
            Uint,
            "Compression Methods Length",
        ),
        f("tls.handshake.extension.len", Uint, "Length"),
        f("tls.handshake.extension.type", Uint, "Type"),
        f(
            "tls.handshake.extensions.supported_version",
            Uint,
            "Supported Version",
        ),
        f(
            "tls.handshake.extensions.supported_versions_len",
            Uint,
            "Supported Versions length",
        ),
        f(
            "tls.handshake.extensions_alpn_len",
            Uint,
            "ALPN Extension Length",
        ),
        f(
            "tls.handshake.extensions_alpn_str",
            Str,
            "ALPN Next Protocol",
        ),
        f(
            "tls.handshake.extensions_alpn_str_len",
            Uint,
            "ALPN string length",
        ),
        f(
            "tls.handshake.extensions_ec_point_format",
            Uint,
            "EC point format",
        ),
        f(
            "tls.handshake.extensions_ec_point_formats_length",
            Uint,
            "EC point formats Length",
        ),
        f("tls.handshake.extensions_length", Uint, "Extensions Length"),
        f("tls.handshake.extensions_server_name", Str, "Server Name"),
        f(
            "tls.handshake.extensions_server_name_len",
            Uint,
            "Server Name length",
        ),
        f(
            "tls.handshake.extensions_server_name_list_len",
            Uint,
            "Server Name list length",
        ),
        f(
            "tls.handshake.extensions_server_name_type",
            Uint,
            "Server Name Type",
        ),
        f(
            "tls.handshake.extensions_supported_group",
            Uint,
            "Supported Group",
        ),
        f(
            "tls.handshake.extensions_supported_groups_length",
            Uint,
            "Supported Groups List Length",
        ),
        f("tls.handshake.length", Uint, "Length"),
        f("tls.handshake.random", Bytes, "Random"),
        f("tls.handshake.random_bytes", Bytes, "Random Bytes"),
        f("tls.handshake.session_id", Bytes, "Session ID"),
        f("tls.handshake.session_id_length", Uint, "Session ID Length"),
        f("tls.handshake.type", Uint, "Handshake Message Type"),
        f("tls.handshake.version", Uint, "Version"),
        f("tls.record.content_type", Uint, "Content Type"),
        f("tls.record.length", Uint, "Length"),
        f("tls.record.version", Uint, "Version"),
    ]
};

/// Transport Layer Security: names, place in the layer model, how it is reached, decoders.
pub static DECL: crate::dissect::decl::Decl = {
    use crate::dissect::decl::{Decl, Reach, Tier};
    Decl {
        filter_name: "tls",
        name: "Transport Layer Security",
        display: "TLS",
        short: "TLS",
        tier: Tier::Application,
        reached: &[Reach::TcpContent(looks_like), Reach::TcpPort(443)],
        dissect,
        fields,
        info: Some(info),
        pdu_len: Some(pdu_len),
        field_tables: &[FIELDS],
    }
};

#[cfg(test)]
mod tests {
    use crate::dissect::app::http::tests::tcp_frame;
    use crate::dissect::link::testutil::{hex, run};
    use crate::dissect::linktype::ETHERNET;

    // Frame 4 and 6 of fixtures/live/tls.pcap (TCP payloads); expected values
    // from tshark 4.0.17 on that capture.
    #[test]
    fn client_hello_fields() {
        let mut p = hex("1603010000");
        let mut body = Vec::new();
        body.extend_from_slice(&[3, 3]);
        body.extend((0u8..32).collect::<Vec<_>>());
        body.push(0); // session id
        body.extend_from_slice(&[0, 4, 0x13, 0x02, 0x13, 0x01, 1, 0]);
        let mut ext = Vec::new();
        ext.extend_from_slice(&hex("0000 0011 000f 00 000c 7777772e6c61622e74657374"));
        ext.extend_from_slice(&hex("0010 000e 000c 02 6832 08 687474702f312e31"));
        ext.extend_from_slice(&hex("002b 0005 04 0304 0303"));
        body.extend_from_slice(&(ext.len() as u16).to_be_bytes());
        body.extend_from_slice(&ext);
        let mut hs = vec![1, 0, 0, body.len() as u8];
        hs.extend_from_slice(&body);
        p[3..5].copy_from_slice(&(hs.len() as u16).to_be_bytes());
        p.extend_from_slice(&hs);
        let f = tcp_frame(40000, 8443, &p);
        let o = run(ETHERNET, &f, f.len());
        assert_eq!(o.protocols, "eth:ethertype:ip:tcp:tls");
        assert_eq!(o.info, "Client Hello");
        assert_eq!(o.get("tls.handshake.type"), "1");
        assert_eq!(o.get("tls.handshake.ciphersuite"), "0x1302,0x1301");
        assert_eq!(o.get("tls.handshake.extension.type"), "0,16,43");
        assert_eq!(
            o.get("tls.handshake.extensions_server_name"),
            "www.lab.test"
        );
        assert_eq!(o.get("tls.handshake.extensions_alpn_str"), "h2,http/1.1");
        assert_eq!(
            o.get("tls.handshake.extensions.supported_version"),
            "0x0304,0x0303"
        );
        // Only the first 60 bytes in this segment: not malformed, and (as
        // tshark without reassembly) the incomplete record is not decoded.
        let f = tcp_frame(40000, 443, &p[..60]);
        let o = run(ETHERNET, &f, f.len());
        assert!(!o.issue);
        assert_eq!(o.protocols, "eth:ethertype:ip:tcp:tls");
        assert_eq!(o.get("tls.handshake.cipher_suites_length"), "");
        assert_eq!(super::pdu_len(&p[..60]), super::PduLen::Known(p.len()));
        assert_eq!(super::pdu_len(&p[..4]), super::PduLen::NeedMore);
    }

    #[test]
    fn several_records() {
        // CCS, then an encrypted handshake record (TLS 1.2 frame 31 shape).
        let p = hex("140303000101 1603030028 00000000000000009e2c1bcd6d2dc5e12a7c0b6f01b1b9bdc8ba0e4d8cb56f0b0bd17b92b10c3a6e0b1d2e3f4a5b6c7d");
        let f = tcp_frame(443, 40000, &p);
        let o = run(ETHERNET, &f, f.len());
        assert_eq!(o.info, "Change Cipher Spec, Encrypted Handshake Message");
        assert_eq!(o.get("tls.record.content_type"), "20,22");
        assert_eq!(o.get("tls.handshake.type"), "");
    }

    #[test]
    fn client_hello_after_ccs_is_clear() {
        // TLS 1.3 middlebox-compatible retry (zeek tls/hrr.pcap frame 8
        // shape): tshark 4.0.17 shows the ClientHello after the CCS.
        let p = hex("140303000101 160303002f 0100002b 0303 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f 00 00021301 0100 0000");
        let f = tcp_frame(40000, 443, &p);
        let o = run(ETHERNET, &f, f.len());
        assert_eq!(o.get("tls.record.content_type"), "20,22");
        assert_eq!(o.get("tls.handshake.type"), "1");
        assert_eq!(o.get("tls.handshake.ciphersuite"), "0x1301");
    }
}
