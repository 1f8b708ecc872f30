//! HTTP/2 (RFC 9113) in clear text (h2c): the connection preface and the
//! length-prefixed frames after it.
//!
//! One layer covers the frames of a TCP payload (or of a reassembled PDU);
//! `fields` and `info` walk them. A connection is HTTP/2 when its first
//! client bytes are the preface (found by content on any port, as
//! Wireshark's heuristic does) or after an HTTP/1.1 `101 Switching
//! Protocols` to `h2c`; the flow stage (`flow::http2`) remembers that per
//! connection, and decodes header blocks with each direction's HPACK table
//! in TCP order. Headers are not in the frame's bytes: the flow stage
//! hands them over in `Packet::app_decoded` (see [`Decoded`]), and a packet
//! decoded without flow state shows the frames without them.

use super::hpack::Repr;
use crate::dissect::decl::PduLen;
use crate::dissect::{Cx, FieldSink, Layer, Next, Packet, Proto, SinkExt, Src, Value};

/// The client connection preface (RFC 9113 3.4).
pub const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
/// Frame header length.
pub const HDR: usize = 9;

pub const DATA: u8 = 0;
pub const HEADERS: u8 = 1;
pub const PRIORITY: u8 = 2;
pub const RST_STREAM: u8 = 3;
pub const SETTINGS: u8 = 4;
pub const PUSH_PROMISE: u8 = 5;
pub const PING: u8 = 6;
pub const GOAWAY: u8 = 7;
pub const WINDOW_UPDATE: u8 = 8;
pub const CONTINUATION: u8 = 9;

pub const END_STREAM: u8 = 0x1;
pub const ACK: u8 = 0x1;
pub const END_HEADERS: u8 = 0x4;
pub const PADDED: u8 = 0x8;
pub const PRIO: u8 = 0x20;

/// True when the payload starts with the connection preface (or as much of
/// it as a short first segment holds, at least its request line).
pub fn looks_like(payload: &[u8]) -> bool {
    let n = payload.len().min(PREFACE.len());
    n >= 16 && payload[..n] == PREFACE[..n]
}

/// One frame's header, read from 9 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameHeader {
    pub len: u32,
    pub ty: u8,
    pub flags: u8,
    pub r: bool,
    pub stream: u32,
}

impl FrameHeader {
    pub fn new(b: &[u8]) -> Option<Self> {
        let h = b.get(..HDR)?;
        let sid = u32::from_be_bytes([h[5], h[6], h[7], h[8]]);
        Some(FrameHeader {
            len: u32::from_be_bytes([0, h[0], h[1], h[2]]),
            ty: h[3],
            flags: h[4],
            r: sid & 0x8000_0000 != 0,
            stream: sid & 0x7fff_ffff,
        })
    }
}

/// A preface or a frame found in a layer's bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Item {
    /// The preface, at this offset.
    Magic(usize),
    /// A frame whose header starts at the offset; its payload may be cut
    /// short (`whole` false) when the bytes end first.
    Frame {
        at: usize,
        h: FrameHeader,
        whole: bool,
    },
}

/// The preface and frames in `b`, `base` added to their offsets.
pub fn items(b: &[u8], base: usize) -> impl Iterator<Item = Item> + '_ {
    let mut at = 0usize;
    std::iter::from_fn(move || {
        let rest = b.get(at..).filter(|r| !r.is_empty())?;
        if at == 0 && rest.starts_with(PREFACE) {
            at = PREFACE.len();
            return Some(Item::Magic(base));
        }
        let h = FrameHeader::new(rest)?;
        let end = HDR + h.len as usize;
        let whole = end <= rest.len();
        let item = Item::Frame {
            at: base + at,
            h,
            whole,
        };
        at = if whole { at + end } else { b.len() };
        Some(item)
    })
}

/// Framing for TCP reassembly: the preface, or one frame.
pub fn pdu_len(b: &[u8]) -> PduLen {
    let n = b.len().min(PREFACE.len());
    if b[..n] == PREFACE[..n] && n > 0 {
        return if n == PREFACE.len() {
            PduLen::Known(PREFACE.len())
        } else {
            PduLen::NeedMore
        };
    }
    match FrameHeader::new(b) {
        Some(h) => PduLen::Known(HDR + h.len as usize),
        None => PduLen::NeedMore,
    }
}

pub fn dissect(cx: &mut Cx<'_, '_>, off: usize) -> Next {
    // A frame cut short (a segment without reassembly, a snap length) is
    // shown as far as it goes; `items` never reads past the bytes.
    let limit = cx.limit.max(off);
    cx.push(Proto::Http2, off, limit, limit);
    Next::Done
}

/// Headers decoded by the flow stage for the header blocks of one packet.
///
/// `Packet::app_decoded` holds records, one per block ended in this packet:
/// `[src u8][frame offset u32]` (the frame ending the block, in the buffer
/// its layer indexes), `[status u8]` (0 decoded, 1 HPACK error, 2 table
/// unknown: the connection's start was not seen), `[count u16]`, then per
/// header `[repr u8][index u32][name len u32][name][value len u32][value]`,
/// little-endian.
pub struct Decoded;

/// A header of a decoded record.
pub struct DecodedHeader<'b> {
    pub repr: Option<Repr>,
    pub index: u32,
    pub name: &'b [u8],
    pub value: &'b [u8],
}

impl Decoded {
    /// Appends a record's head; headers follow with `push_header`, then
    /// `finish` writes the count.
    pub fn begin(out: &mut Vec<u8>, src: Src, frame_off: usize) -> usize {
        out.push((src == Src::Reassembled) as u8);
        out.extend_from_slice(&(frame_off as u32).to_le_bytes());
        let at = out.len();
        out.extend_from_slice(&[0, 0, 0]);
        at
    }

    pub fn push_header(out: &mut Vec<u8>, repr: Repr, index: u32, name: &[u8], value: &[u8]) {
        out.push(repr.code());
        out.extend_from_slice(&index.to_le_bytes());
        out.extend_from_slice(&(name.len() as u32).to_le_bytes());
        out.extend_from_slice(name);
        out.extend_from_slice(&(value.len() as u32).to_le_bytes());
        out.extend_from_slice(value);
    }

    pub fn finish(out: &mut [u8], at: usize, status: u8, count: u16) {
        if let Some(s) = out.get_mut(at..at + 3) {
            s[0] = status;
            s[1..3].copy_from_slice(&count.to_le_bytes());
        }
    }

    /// The record for the frame at `frame_off` of buffer `src`: its status
    /// and headers.
    pub fn find(buf: &[u8], src: Src, frame_off: usize) -> Option<(u8, Vec<DecodedHeader<'_>>)> {
        let mut at = 0usize;
        let u32_at = |b: &[u8], i: usize| -> Option<u32> {
            Some(u32::from_le_bytes(b.get(i..i + 4)?.try_into().ok()?))
        };
        while at < buf.len() {
            let s = *buf.get(at)?;
            let off = u32_at(buf, at + 1)? as usize;
            let status = *buf.get(at + 5)?;
            let count = u16::from_le_bytes(buf.get(at + 6..at + 8)?.try_into().ok()?);
            at += 8;
            let mut hs = Vec::with_capacity(count as usize);
            for _ in 0..count {
                let repr = Repr::from_code(*buf.get(at)?);
                let index = u32_at(buf, at + 1)?;
                let nl = u32_at(buf, at + 5)? as usize;
                let name = buf.get(at + 9..(at + 9).checked_add(nl)?)?;
                at += 9 + nl;
                let vl = u32_at(buf, at)? as usize;
                let value = buf.get(at + 4..(at + 4).checked_add(vl)?)?;
                at += 4 + vl;
                hs.push(DecodedHeader {
                    repr,
                    index,
                    name,
                    value,
                });
            }
            if (s == 1) == (src == Src::Reassembled) && off == frame_off {
                return Some((status, hs));
            }
        }
        None
    }
}

fn be32(b: &[u8], i: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(i..i + 4)?.try_into().ok()?))
}

pub fn type_name(t: u8) -> Option<&'static str> {
    Some(match t {
        DATA => "DATA",
        HEADERS => "HEADERS",
        PRIORITY => "PRIORITY",
        RST_STREAM => "RST_STREAM",
        SETTINGS => "SETTINGS",
        PUSH_PROMISE => "PUSH_PROMISE",
        PING => "PING",
        GOAWAY => "GOAWAY",
        WINDOW_UPDATE => "WINDOW_UPDATE",
        CONTINUATION => "CONTINUATION",
        10 => "ALTSVC",
        12 => "ORIGIN",
        16 => "PRIORITY_UPDATE",
        _ => return None,
    })
}

/// `http2.headers.*`: the header names Wireshark gives their own field.
fn header_field(name: &[u8]) -> Option<(&'static str, &'static str, bool)> {
    const T: &[(&str, &str, bool)] = &[
        (":authority", "http2.headers.authority", false),
        (":status", "http2.headers.status", true),
        (":path", "http2.headers.path", false),
        (":method", "http2.headers.method", false),
        (":scheme", "http2.headers.scheme", false),
        ("accept", "http2.headers.accept", false),
        ("accept-encoding", "http2.headers.accept_encoding", false),
        ("accept-language", "http2.headers.accept_language", false),
        ("accept-ranges", "http2.headers.accept_ranges", false),
        ("cache-control", "http2.headers.cache_control", false),
        ("content-encoding", "http2.headers.content_encoding", false),
        ("content-length", "http2.headers.content_length", true),
        ("content-type", "http2.headers.content_type", false),
        ("cookie", "http2.headers.cookie", false),
        ("date", "http2.headers.date", false),
        ("etag", "http2.headers.etag", false),
        ("last-modified", "http2.headers.last_modified", false),
        ("location", "http2.headers.location", false),
        ("referer", "http2.headers.referer", false),
        ("server", "http2.headers.server", false),
        ("set-cookie", "http2.headers.set_cookie", false),
        ("user-agent", "http2.headers.user_agent", false),
        ("vary", "http2.headers.vary", false),
    ];
    T.iter()
        .find(|(n, _, _)| n.as_bytes() == name)
        .map(|&(n, f, num)| (f, n, num))
}

fn settings_field(id: u16) -> (&'static str, &'static str) {
    match id {
        1 => ("http2.settings.header_table_size", "Header table size"),
        2 => ("http2.settings.enable_push", "Enable PUSH"),
        3 => (
            "http2.settings.max_concurrent_streams",
            "Max concurrent streams",
        ),
        4 => ("http2.settings.initial_window_size", "Initial Windows Size"),
        5 => ("http2.settings.max_frame_size", "Max frame size"),
        6 => (
            "http2.settings.max_header_list_size",
            "Max header list size",
        ),
        8 => ("http2.settings.extended_connect", "Extended CONNECT"),
        _ => ("http2.settings.unknown", "Unknown Settings"),
    }
}

/// The padding length and where the payload proper starts, for padded frames.
fn unpad(h: &FrameHeader, p: &[u8]) -> (u8, usize) {
    if h.flags & PADDED != 0 && matches!(h.ty, DATA | HEADERS | PUSH_PROMISE) {
        (p.first().copied().unwrap_or(0), 1)
    } else {
        (0, 0)
    }
}

fn text(b: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(b)
}

pub fn fields(pkt: &Packet<'_>, l: &Layer, out: &mut dyn FieldSink) {
    let b = pkt.bytes(l.extent());
    let base = l.start as usize;
    out.layer("http2", "HyperText Transfer Protocol 2", l.extent());
    for item in items(b, base) {
        let (at, h, whole) = match item {
            Item::Magic(at) => {
                out.put(
                    "http2.magic",
                    "Magic",
                    Value::Str("PRI * HTTP/2.0\\r\\n\\r\\nSM\\r\\n\\r\\n"),
                    at..at + PREFACE.len(),
                );
                continue;
            }
            Item::Frame { at, h, whole } => (at, h, whole),
        };
        let end = (at + HDR + h.len as usize).min(base + b.len());
        out.put("http2.length", "Length", Value::U(h.len as u64), at..at + 3);
        out.put("http2.type", "Type", Value::U(h.ty as u64), at + 3..at + 4);
        out.put(
            "http2.flags",
            "Flags",
            Value::Hex(h.flags as u64, 2),
            at + 4..at + 5,
        );
        let fr = at + 4..at + 5;
        let bit = |m: u8| Value::Bool(h.flags & m != 0);
        match h.ty {
            DATA => {
                out.put(
                    "http2.flags.end_stream",
                    "End Stream",
                    bit(END_STREAM),
                    fr.clone(),
                );
                out.put("http2.flags.padded", "Padded", bit(PADDED), fr);
            }
            HEADERS => {
                out.put(
                    "http2.flags.end_stream",
                    "End Stream",
                    bit(END_STREAM),
                    fr.clone(),
                );
                out.put(
                    "http2.flags.eh",
                    "End Headers",
                    bit(END_HEADERS),
                    fr.clone(),
                );
                out.put("http2.flags.padded", "Padded", bit(PADDED), fr.clone());
                out.put("http2.flags.priority", "Priority", bit(PRIO), fr);
            }
            SETTINGS => out.put("http2.flags.ack.settings", "ACK", bit(ACK), fr),
            PING => out.put("http2.flags.ack.ping", "ACK", bit(ACK), fr),
            PUSH_PROMISE => {
                out.put(
                    "http2.flags.eh",
                    "End Headers",
                    bit(END_HEADERS),
                    fr.clone(),
                );
                out.put("http2.flags.padded", "Padded", bit(PADDED), fr);
            }
            CONTINUATION => out.put("http2.flags.eh", "End Headers", bit(END_HEADERS), fr),
            _ => {}
        }
        out.put(
            "http2.r",
            "Reserved",
            Value::Hex(h.r as u64 * 0x8000_0000, 8),
            at + 5..at + 9,
        );
        out.put(
            "http2.streamid",
            "Stream Identifier",
            Value::U(h.stream as u64),
            at + 5..at + 9,
        );
        if !whole {
            // The rest of the frame is in later segments: as tshark without
            // reassembly, only its header is shown.
            continue;
        }
        let p0 = at + HDR;
        let p = pkt.bytes(p0..end);
        let (pad, skip) = unpad(&h, p);
        if skip > 0 {
            out.put(
                "http2.padding",
                "Pad Length",
                Value::U(pad as u64),
                p0..p0 + 1,
            );
        }
        let body_end = p.len().saturating_sub(pad as usize).max(skip.min(p.len()));
        let priority = |out: &mut dyn FieldSink, o: usize| {
            if let Some(d) = be32(p, o) {
                let r = p0 + o..p0 + o + 4;
                out.put(
                    "http2.exclusive",
                    "Exclusive",
                    Value::Bool(d >> 31 != 0),
                    r.clone(),
                );
                out.put(
                    "http2.stream_dependency",
                    "Stream Dependency",
                    Value::U((d & 0x7fff_ffff) as u64),
                    r,
                );
                if let Some(&w) = p.get(o + 4) {
                    let r = p0 + o + 4..p0 + o + 5;
                    out.put(
                        "http2.headers.weight",
                        "Weight",
                        Value::U(w as u64),
                        r.clone(),
                    );
                    out.put(
                        "http2.headers.weight_real",
                        "Weight real",
                        Value::U(w as u64 + 1),
                        r,
                    );
                }
            }
        };
        match h.ty {
            DATA => {
                let d = p.get(skip..body_end).unwrap_or(&[]);
                if !d.is_empty() {
                    out.put(
                        "http2.data.data",
                        "Data",
                        Value::Bytes(d),
                        p0 + skip..p0 + body_end,
                    );
                }
            }
            HEADERS | PUSH_PROMISE | CONTINUATION => {
                let mut o = skip;
                if h.ty == HEADERS && h.flags & PRIO != 0 {
                    priority(out, o);
                    o += 5;
                } else if h.ty == PUSH_PROMISE {
                    if let Some(v) = be32(p, o) {
                        let r = p0 + o..p0 + o + 4;
                        out.put(
                            "http2.push_promise.r",
                            "Reserved",
                            Value::Hex((v & 0x8000_0000) as u64, 8),
                            r.clone(),
                        );
                        out.put(
                            "http2.push_promise.promised_stream_id",
                            "Promised-Stream-ID",
                            Value::U((v & 0x7fff_ffff) as u64),
                            r,
                        );
                    }
                    o += 4;
                }
                let frag = p.get(o..body_end).unwrap_or(&[]);
                if !frag.is_empty() && h.ty != CONTINUATION {
                    let name = if h.ty == HEADERS {
                        "http2.headers"
                    } else {
                        "http2.push_promise.header"
                    };
                    out.put(
                        name,
                        "Header Block Fragment",
                        Value::Bytes(frag),
                        p0 + o..p0 + body_end,
                    );
                }
                decoded_headers(pkt, l, at, out);
            }
            PRIORITY => priority(out, 0),
            RST_STREAM => {
                if let Some(e) = be32(p, 0) {
                    out.put(
                        "http2.rst_stream.error",
                        "Error",
                        Value::U(e as u64),
                        p0..p0 + 4,
                    );
                }
            }
            SETTINGS => {
                for (i, s) in p.chunks_exact(6).enumerate() {
                    let id = u16::from_be_bytes([s[0], s[1]]);
                    let v = u32::from_be_bytes([s[2], s[3], s[4], s[5]]);
                    let o = p0 + i * 6;
                    out.put(
                        "http2.settings.id",
                        "Settings Identifier",
                        Value::U(id as u64),
                        o..o + 2,
                    );
                    let (name, label) = settings_field(id);
                    out.put(name, label, Value::U(v as u64), o + 2..o + 6);
                }
            }
            PING if !p.is_empty() => out.put("http2.ping", "Ping", Value::Bytes(p), p0..end),
            GOAWAY => {
                if let Some(v) = be32(p, 0) {
                    out.put(
                        "http2.goaway.last_stream_id",
                        "Last-Stream-ID",
                        Value::U((v & 0x7fff_ffff) as u64),
                        p0..p0 + 4,
                    );
                }
                if let Some(e) = be32(p, 4) {
                    out.put(
                        "http2.goaway.error",
                        "Error",
                        Value::U(e as u64),
                        p0 + 4..p0 + 8,
                    );
                }
                if p.len() > 8 {
                    out.put(
                        "http2.goaway.addata",
                        "Additional Debug Data",
                        Value::Bytes(&p[8..]),
                        p0 + 8..end,
                    );
                }
            }
            WINDOW_UPDATE => {
                if let Some(v) = be32(p, 0) {
                    out.put(
                        "http2.window_update.r",
                        "Reserved",
                        Value::Hex((v & 0x8000_0000) as u64, 8),
                        p0..p0 + 4,
                    );
                    out.put(
                        "http2.window_update.window_size_increment",
                        "Window Size Increment",
                        Value::U((v & 0x7fff_ffff) as u64),
                        p0..p0 + 4,
                    );
                }
            }
            _ => {}
        }
    }
}

/// The headers the flow stage decoded for the block ending at `at`.
fn decoded_headers(pkt: &Packet<'_>, l: &Layer, at: usize, out: &mut dyn FieldSink) {
    let Some((status, hs)) = Decoded::find(pkt.app_decoded, l.src, at) else {
        return;
    };
    if status != 0 && hs.is_empty() {
        return;
    }
    let total: usize = hs.iter().map(|h| h.name.len() + h.value.len() + 8).sum();
    out.put(
        "http2.header.length",
        "Header Length",
        Value::U(total as u64),
        0..0,
    );
    out.put(
        "http2.header.count",
        "Header Count",
        Value::U(hs.len() as u64),
        0..0,
    );
    for h in &hs {
        let (n, v) = (text(h.name), text(h.value));
        out.put(
            "http2.header.name.length",
            "Name Length",
            Value::U(h.name.len() as u64),
            0..0,
        );
        out.put("http2.header.name", "Name", Value::Str(&n), 0..0);
        out.put(
            "http2.header.value.length",
            "Value Length",
            Value::U(h.value.len() as u64),
            0..0,
        );
        out.put("http2.header.value", "Value", Value::Str(&v), 0..0);
        if let Some((field, label, numeric)) = header_field(h.name) {
            if numeric {
                if let Ok(x) = v.trim().parse::<u64>() {
                    out.put(field, label, Value::U(x), 0..0);
                }
            } else {
                out.put(field, label, Value::Str(&v), 0..0);
            }
        }
        if let Some(r) = h.repr {
            out.put(
                "http2.header.repr",
                "Representation",
                Value::Str(r.name()),
                0..0,
            );
            if h.index != 0 {
                out.put(
                    "http2.header.index",
                    "Index",
                    Value::U(h.index as u64),
                    0..0,
                );
            }
        }
    }
}

/// Reason phrases for `:status` in Info, as Wireshark's HTTP table.
fn reason(code: u16) -> &'static str {
    match code {
        100 => "Continue",
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}

/// `Magic, SETTINGS[0], HEADERS[13]: GET /index.html, DATA[13]`.
pub fn info(pkt: &Packet<'_>, l: &Layer, w: &mut Vec<u8>) {
    let b = pkt.bytes(l.extent());
    let mut first = true;
    for item in items(b, l.start as usize) {
        if !first {
            w.extend_from_slice(b", ");
        }
        first = false;
        let (at, h) = match item {
            Item::Magic(_) => {
                w.extend_from_slice(b"Magic");
                continue;
            }
            Item::Frame { at, h, .. } => (at, h),
        };
        match type_name(h.ty) {
            Some(n) => w.extend_from_slice(n.as_bytes()),
            None => {
                w.extend_from_slice(format!("Unknown type ({})", h.ty).as_bytes());
            }
        }
        w.extend_from_slice(format!("[{}]", h.stream).as_bytes());
        if matches!(h.ty, HEADERS | CONTINUATION | PUSH_PROMISE) {
            if let Some((0, hs)) = Decoded::find(pkt.app_decoded, l.src, at) {
                let get = |n: &[u8]| hs.iter().find(|h| h.name == n).map(|h| text(h.value));
                if let (Some(m), Some(p)) = (get(b":method"), get(b":path")) {
                    w.extend_from_slice(format!(": {m} {p}").as_bytes());
                } else if let Some(s) = get(b":status") {
                    let r = s.trim().parse().map(reason).unwrap_or("");
                    w.extend_from_slice(format!(": {s} {r}").trim_end().as_bytes());
                }
            }
        }
    }
}

pub const FIELDS: &[crate::dissect::decl::FieldDef] = {
    use crate::dissect::decl::{f, FieldType::*};
    &[
        f("http2.magic", Str, "Magic"),
        f("http2.length", Uint, "Length"),
        f("http2.type", Uint, "Type"),
        f("http2.flags", Uint, "Flags"),
        f("http2.flags.end_stream", Bool, "End Stream"),
        f("http2.flags.eh", Bool, "End Headers"),
        f("http2.flags.padded", Bool, "Padded"),
        f("http2.flags.priority", Bool, "Priority"),
        f("http2.flags.ack.settings", Bool, "ACK"),
        f("http2.flags.ack.ping", Bool, "ACK"),
        f("http2.r", Uint, "Reserved"),
        f("http2.streamid", Uint, "Stream Identifier"),
        f("http2.padding", Uint, "Pad Length"),
        f("http2.exclusive", Bool, "Exclusive"),
        f("http2.stream_dependency", Uint, "Stream Dependency"),
        f("http2.headers.weight", Uint, "Weight"),
        f("http2.headers.weight_real", Uint, "Weight real"),
        f("http2.data.data", Bytes, "Data"),
        f("http2.headers", Bytes, "Header Block Fragment"),
        f("http2.push_promise.r", Uint, "Reserved"),
        f(
            "http2.push_promise.promised_stream_id",
            Uint,
            "Promised-Stream-ID",
        ),
        f("http2.push_promise.header", Bytes, "Header Block Fragment"),
        f("http2.header.length", Uint, "Header Length"),
        f("http2.header.count", Uint, "Header Count"),
        f("http2.header.name.length", Uint, "Name Length"),
        f("http2.header.name", Str, "Name"),
        f("http2.header.value.length", Uint, "Value Length"),
        f("http2.header.value", Str, "Value"),
        f("http2.header.repr", Str, "Representation"),
        f("http2.header.index", Uint, "Index"),
        f("http2.headers.authority", Str, ":authority"),
        f("http2.headers.status", Uint, ":status"),
        f("http2.headers.path", Str, ":path"),
        f("http2.headers.method", Str, ":method"),
        f("http2.headers.scheme", Str, ":scheme"),
        f("http2.headers.accept", Str, "accept"),
        f("http2.headers.accept_encoding", Str, "accept-encoding"),
        f("http2.headers.accept_language", Str, "accept-language"),
        f("http2.headers.accept_ranges", Str, "accept-ranges"),
        f("http2.headers.cache_control", Str, "cache-control"),
        f("http2.headers.content_encoding", Str, "content-encoding"),
        f("http2.headers.content_length", Uint, "content-length"),
        f("http2.headers.content_type", Str, "content-type"),
        f("http2.headers.cookie", Str, "cookie"),
        f("http2.headers.date", Str, "date"),
        f("http2.headers.etag", Str, "etag"),
        f("http2.headers.last_modified", Str, "last-modified"),
        f("http2.headers.location", Str, "location"),
        f("http2.headers.referer", Str, "referer"),
        f("http2.headers.server", Str, "server"),
        f("http2.headers.set_cookie", Str, "set-cookie"),
        f("http2.headers.user_agent", Str, "user-agent"),
        f("http2.headers.vary", Str, "vary"),
        f("http2.rst_stream.error", Uint, "Error"),
        f("http2.settings.id", Uint, "Settings Identifier"),
        f(
            "http2.settings.header_table_size",
            Uint,
            "Header table size",
        ),
        f("http2.settings.enable_push", Uint, "Enable PUSH"),
        f(
            "http2.settings.max_concurrent_streams",
            Uint,
            "Max concurrent streams",
        ),
        f(
            "http2.settings.initial_window_size",
            Uint,
            "Initial Windows Size",
        ),
        f("http2.settings.max_frame_size", Uint, "Max frame size"),
        f(
            "http2.settings.max_header_list_size",
            Uint,
            "Max header list size",
        ),
        f("http2.settings.extended_connect", Uint, "Extended CONNECT"),
        f("http2.settings.unknown", Uint, "Unknown Settings"),
        f("http2.ping", Bytes, "Ping"),
        f("http2.goaway.last_stream_id", Uint, "Last-Stream-ID"),
        f("http2.goaway.error", Uint, "Error"),
        f("http2.goaway.addata", Bytes, "Additional Debug Data"),
        f("http2.window_update.r", Uint, "Reserved"),
        f(
            "http2.window_update.window_size_increment",
            Uint,
            "Window Size Increment",
        ),
    ]
};

pub static DECL: crate::dissect::decl::Decl = {
    use crate::dissect::decl::{Decl, Reach, Tier};
    Decl {
        filter_name: "http2",
        name: "HyperText Transfer Protocol 2",
        display: "HTTP2",
        short: "HTTP2",
        tier: Tier::Application,
        reached: &[Reach::TcpContent(looks_like)],
        dissect,
        fields,
        info: Some(info),
        pdu_len: Some(pdu_len),
        field_tables: &[FIELDS],
    }
};
