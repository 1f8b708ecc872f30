//! HTTP/1.x requests and responses (RFC 9112).
//!
//! Works on any byte slice: one TCP segment (as tshark with desegmentation
//! off) or a reassembled PDU. A segment may hold several pipelined messages
//! (one `http` layer each, body as `data`), or only the headers of a message
//! whose body follows later (decoded as far as it goes, not malformed), or
//! body bytes alone (a "Continuation").

use crate::dissect::decl::PduLen;
use crate::dissect::{Cx, FieldSink, Layer, Next, Packet, Proto, SinkExt, Value};

const METHODS: &[&[u8]] = &[
    b"GET",
    b"POST",
    b"HEAD",
    b"PUT",
    b"DELETE",
    b"OPTIONS",
    b"CONNECT",
    b"TRACE",
    b"PATCH",
    // SSDP (HTTPU) methods, which tshark's HTTP parser also knows.
    b"M-SEARCH",
    b"NOTIFY",
];

/// One line of text: `[start, end)` without the line ending, `next` after it.
/// tshark's `tvb_find_line_end`: ends at `\r\n`, `\n` or a lone `\r`; the
/// last line may end without a terminator.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Line {
    pub start: usize,
    pub end: usize,
    pub next: usize,
    /// The line had a terminator (it is complete).
    pub terminated: bool,
}

/// The line beginning at `at` in `b`, or None at the end of `b`.
pub(crate) fn line_at(b: &[u8], at: usize) -> Option<Line> {
    let rest = b.get(at..).filter(|r| !r.is_empty())?;
    match memchr::memchr2(b'\r', b'\n', rest) {
        Some(i) => {
            let end = at + i;
            let next = if rest[i] == b'\r' && rest.get(i + 1) == Some(&b'\n') {
                end + 2
            } else {
                end + 1
            };
            Some(Line {
                start: at,
                end,
                next,
                terminated: true,
            })
        }
        None => Some(Line {
            start: at,
            end: b.len(),
            next: b.len(),
            terminated: false,
        }),
    }
}

fn starts_method(b: &[u8]) -> Option<usize> {
    METHODS
        .iter()
        .find(|m| b.starts_with(m) && b.get(m.len()).is_none_or(|&c| c == b' '))
        .map(|m| m.len())
}

fn is_notification(first_line: &[u8]) -> bool {
    let method = first_line.split(|&c| c == b' ').next().unwrap_or(b"");
    matches!(method, b"NOTIFY" | b"SUBSCRIBE" | b"UNSUBSCRIBE")
}

fn is_version(v: &[u8]) -> bool {
    v.len() == 8 && v.starts_with(b"HTTP/1.") && v[7].is_ascii_digit()
}

/// Kind of a first line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Start {
    Request,
    Response,
}

fn first_line_kind(line: &[u8]) -> Option<Start> {
    if line.len() >= 12 && is_version(&line[..8]) && line[8] == b' ' {
        let code = &line[9..12];
        if code.iter().all(u8::is_ascii_digit) && line.get(12).is_none_or(|&c| c == b' ') {
            return Some(Start::Response);
        }
        return None;
    }
    // As tshark: a known method as the first word makes a request, whatever
    // follows (`GET /path`, HTTP/0.9, down to a bare `GET` cut short).
    starts_method(line).map(|_| Start::Request)
}

/// True when a request line ends in an HTTP version (not HTTP/0.9).
fn has_version(line: &[u8]) -> bool {
    line.len() >= 8 && is_version(&line[line.len() - 8..])
}

/// Whether `b` can begin with a request or status line: it starts with
/// `HTTP/` or a method. Checked before looking for the line's end, which in
/// body bytes may be far away or nowhere.
fn may_start_message(b: &[u8]) -> bool {
    b.starts_with(b"HTTP/") || METHODS.iter().any(|m| b.starts_with(m))
}

/// True when the payload starts with an HTTP/1.x request or status line.
pub fn looks_like(payload: &[u8]) -> bool {
    // Every method and `HTTP/` start with a capital letter: reject the rest
    // (most payloads) before looking for a line.
    if !payload.first().is_some_and(u8::is_ascii_uppercase) {
        return false;
    }
    if !may_start_message(payload) {
        return false;
    }
    match line_at(payload, 0) {
        // Off the HTTP ports, require a version: `GET x` alone is too common.
        Some(l) => {
            let line = &payload[l.start..l.end];
            first_line_kind(line).is_some() && (line.starts_with(b"HTTP/") || has_version(line))
        }
        None => false,
    }
}

/// What the headers of one message say about its body.
#[derive(Clone, Copy, Debug, Default)]
struct Head {
    /// Offset just past the blank line, when the headers are complete.
    hdr_end: Option<usize>,
    content_length: Option<u64>,
    chunked: bool,
    kind: Option<Start>,
    status: u16,
}

fn header_value<'b>(b: &'b [u8], l: &Line) -> Option<(&'b [u8], &'b [u8], usize)> {
    let line = &b[l.start..l.end];
    let colon = line.iter().position(|&c| c == b':')?;
    let name = &line[..colon];
    let mut v = colon + 1;
    while line.get(v).is_some_and(|&c| c == b' ' || c == b'\t') {
        v += 1;
    }
    Some((name, &line[v..], l.start + v))
}

fn parse_head(b: &[u8]) -> Head {
    let mut h = Head::default();
    if !may_start_message(b) {
        return h;
    }
    let Some(first) = line_at(b, 0) else {
        return h;
    };
    h.kind = first_line_kind(&b[first.start..first.end]);
    if h.kind.is_none() {
        // Not a message start: the caller treats it as body bytes.
        return h;
    }
    if h.kind == Some(Start::Response) {
        h.status = parse_u64(&b[9..12]).unwrap_or(0) as u16;
    }
    let mut at = first.next;
    while let Some(l) = line_at(b, at) {
        if l.start == l.end && l.terminated {
            h.hdr_end = Some(l.next);
            break;
        }
        if let Some((name, val, _)) = header_value(b, &l) {
            if name.eq_ignore_ascii_case(b"content-length") {
                h.content_length = parse_u64(val);
            } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
                h.chunked = contains_ci(val, b"chunked");
            }
        }
        at = l.next;
    }
    h
}

fn parse_u64(b: &[u8]) -> Option<u64> {
    let b = trim(b);
    if b.is_empty() || b.len() > 19 {
        return None;
    }
    b.iter().try_fold(0u64, |acc, &c| {
        c.is_ascii_digit()
            .then(|| acc.checked_mul(10)?.checked_add((c - b'0') as u64))?
    })
}

fn trim(b: &[u8]) -> &[u8] {
    let s = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let e = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(s, |i| i + 1);
    &b[s..e.max(s)]
}

fn contains_ci(h: &[u8], n: &[u8]) -> bool {
    h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
}

/// End of a chunked body starting at `at` (after the last chunk's trailer),
/// or None when more bytes are needed.
fn chunked_end(b: &[u8], mut at: usize) -> Option<usize> {
    loop {
        let l = line_at(b, at).filter(|l| l.terminated)?;
        let line = &b[l.start..l.end];
        let hex = line.split(|&c| c == b';').next().unwrap_or(line);
        let size = usize::from_str_radix(std::str::from_utf8(trim(hex)).ok()?, 16).ok()?;
        if size == 0 {
            // Trailer fields until a blank line.
            let mut t = l.next;
            loop {
                let tl = line_at(b, t).filter(|l| l.terminated)?;
                if tl.start == tl.end {
                    return Some(tl.next);
                }
                t = tl.next;
            }
        }
        at = l.next.checked_add(size)?.checked_add(2)?;
        if at > b.len() {
            return None;
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Length of the message at the start of `b` for TCP reassembly: the
/// headers, then a body of Content-Length bytes or chunks (none for 1xx,
/// 204 and 304 responses, nor without either). `Known` may exceed `b`.
pub fn pdu_len(b: &[u8]) -> PduLen {
    let Some(h) = find(b, b"\r\n\r\n") else {
        return PduLen::NeedMore;
    };
    let head = &b[..h];
    let hlen = h + 4;
    let mut chunked = false;
    let mut clen: Option<usize> = None;
    for line in head.split(|&c| c == b'\n').skip(1) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Some(colon) = line.iter().position(|&c| c == b':') else {
            continue;
        };
        let (name, val) = (&line[..colon], line[colon + 1..].trim_ascii());
        if name.eq_ignore_ascii_case(b"content-length") {
            clen = std::str::from_utf8(val).ok().and_then(|s| s.parse().ok());
        } else if name.eq_ignore_ascii_case(b"transfer-encoding")
            && val.to_ascii_lowercase().ends_with(b"chunked")
        {
            chunked = true;
        }
    }
    // Responses that never carry a body.
    let status = head
        .strip_prefix(b"HTTP/")
        .and_then(|r| r.get(4..7))
        .and_then(|c| std::str::from_utf8(c).ok())
        .and_then(|c| c.parse::<u16>().ok());
    if matches!(status, Some(100..=199 | 204 | 304)) {
        return PduLen::Known(hlen);
    }
    if chunked {
        return chunked_len(b, hlen);
    }
    match clen {
        Some(n) => PduLen::Known(hlen.saturating_add(n)),
        None => PduLen::Known(hlen),
    }
}

/// End of the chunked body starting at `pos`, trailer included; a line
/// that is not a chunk header ends the body there.
fn chunked_len(b: &[u8], mut pos: usize) -> PduLen {
    loop {
        let Some(eol) = b.get(pos..).and_then(|r| find(r, b"\r\n")) else {
            return PduLen::NeedMore;
        };
        let line = &b[pos..pos + eol];
        let hex = line
            .split(|&c| c == b';')
            .next()
            .unwrap_or(&[])
            .trim_ascii();
        let Some(size) = std::str::from_utf8(hex)
            .ok()
            .and_then(|s| usize::from_str_radix(s, 16).ok())
        else {
            return PduLen::Known(pos);
        };
        pos += eol + 2;
        if size == 0 {
            // The trailer section ends with an empty line.
            return match b.get(pos..).and_then(|r| find(r, b"\r\n")) {
                Some(0) => PduLen::Known(pos + 2),
                Some(_) => match b.get(pos..).and_then(|r| find(r, b"\r\n\r\n")) {
                    Some(e) => PduLen::Known(pos + e + 4),
                    None => PduLen::NeedMore,
                },
                None => PduLen::NeedMore,
            };
        }
        pos = match pos.checked_add(size).and_then(|p| p.checked_add(2)) {
            Some(p) => p,
            None => return PduLen::NeedMore,
        };
        if pos > b.len() {
            return PduLen::NeedMore;
        }
    }
}

/// Where the header-looking lines at the start of a continuation end
/// (past the blank line that closes them, if any), by tshark's test for
/// each line: printable characters up to a colon. One scan for the first
/// colon or line end decides most lines: body text seldom has a colon
/// before its line ends, and a segment of body is often one long "line".
fn header_like_end(b: &[u8]) -> usize {
    let mut e = 0;
    loop {
        let rest = b.get(e..).unwrap_or(&[]);
        let Some(i) = memchr::memchr3(b':', b'\r', b'\n', rest) else {
            // No colon and no line end: not a header line (or nothing left).
            return e;
        };
        if rest[i] != b':' {
            // The line ends before any colon: a blank line closes the
            // headers, any other is no header.
            return match line_at(b, e) {
                Some(l) if i == 0 => l.next,
                _ => e,
            };
        }
        if !rest[..i].iter().all(|c| (0x20..0x7f).contains(c)) {
            return e;
        }
        match line_at(b, e + i) {
            Some(l) => e = l.next,
            None => return e,
        }
    }
}

pub fn dissect(cx: &mut Cx<'_, '_>, off: usize) -> Next {
    let limit = cx.limit.max(off);
    let mut at = off;
    // Each pass pushes at least one layer; the layer cap ends the loop.
    while at < limit {
        let b = cx.bytes(at..limit);
        let h = parse_head(b);
        if h.kind.is_none() {
            // Body bytes of an earlier message: header-like lines, then data.
            let e = header_like_end(b);
            if !cx.push(Proto::Http, at, at + e, limit) {
                return Next::Done;
            }
            if at + e < limit {
                cx.push(Proto::Data, at + e, limit, limit);
            }
            return Next::Done;
        }
        let hdr_end = h.hdr_end.unwrap_or(b.len());
        let body = if h.chunked {
            chunked_end(b, hdr_end).unwrap_or(b.len()) - hdr_end
        } else {
            match h.content_length {
                Some(n) => usize::try_from(n)
                    .unwrap_or(usize::MAX)
                    .min(b.len() - hdr_end),
                None if h.kind == Some(Start::Response) => b.len() - hdr_end,
                None => 0,
            }
        };
        let msg_end = at + hdr_end + body;
        if !cx.push(Proto::Http, at, at + hdr_end, msg_end) {
            return Next::Done;
        }
        if body > 0 && !cx.push(Proto::Data, at + hdr_end, msg_end, msg_end) {
            return Next::Done;
        }
        if msg_end <= at {
            break;
        }
        at = msg_end;
    }
    Next::Done
}

/// Field name for a header, as Wireshark's `http` dissector names it.
fn header_field(name: &[u8]) -> Option<(&'static str, &'static str)> {
    const H: &[(&str, &str, &str)] = &[
        ("host", "http.host", "Host"),
        ("user-agent", "http.user_agent", "User-Agent"),
        ("accept", "http.accept", "Accept"),
        ("accept-encoding", "http.accept_encoding", "Accept-Encoding"),
        ("accept-language", "http.accept_language", "Accept-Language"),
        ("content-type", "http.content_type", "Content-Type"),
        ("connection", "http.connection", "Connection"),
        ("server", "http.server", "Server"),
        ("date", "http.date", "Date"),
        (
            "transfer-encoding",
            "http.transfer_encoding",
            "Transfer-Encoding",
        ),
        (
            "content-encoding",
            "http.content_encoding",
            "Content-Encoding",
        ),
        ("location", "http.location", "Location"),
        ("referer", "http.referer", "Referer"),
        ("cookie", "http.cookie", "Cookie"),
        ("set-cookie", "http.set_cookie", "Set-Cookie"),
        ("cache-control", "http.cache_control", "Cache-Control"),
        ("last-modified", "http.last_modified", "Last-Modified"),
        ("authorization", "http.authorization", "Authorization"),
        ("upgrade", "http.upgrade", "Upgrade"),
    ];
    H.iter()
        .find(|(n, _, _)| name.eq_ignore_ascii_case(n.as_bytes()))
        .map(|&(_, f, l)| (f, l))
}

fn text(b: &[u8]) -> Option<&str> {
    std::str::from_utf8(b).ok()
}

pub fn fields(pkt: &Packet<'_>, l: &Layer, out: &mut dyn FieldSink) {
    out.layer("http", "Hypertext Transfer Protocol", l.extent());
    message_fields(pkt, l, out);
}

/// The `http.*` fields of one message, for HTTP and for SSDP (HTTP over
/// UDP, whose layer tshark names `ssdp` while its fields stay `http.*`).
pub fn message_fields(pkt: &Packet<'_>, l: &Layer, out: &mut dyn FieldSink) {
    let o = l.start as usize;
    let b = pkt.bytes(l.header());
    let Some(first) = line_at(b, 0) else {
        return;
    };
    let kind = first_line_kind(&b[first.start..first.end]);
    let Some(kind) = kind else {
        return;
    };
    let fl = &b[first.start..first.end];
    let r = |s: usize, e: usize| o + s..o + e;
    if kind == Start::Request {
        let m = starts_method(fl).unwrap_or(0);
        // METHOD SP URI [SP VERSION]: the URI ends at the next space.
        let u = (m + 1).min(fl.len());
        let sp = fl[u..]
            .iter()
            .position(|&c| c == b' ')
            .map_or(fl.len(), |i| u + i);
        let uri = &fl[u..sp];
        out.open("request line", r(first.start, first.next));
        if let Some(s) = text(&fl[..m]) {
            out.put(
                "http.request.method",
                "Request Method",
                Value::Str(s),
                r(0, m),
            );
        }
        if let Some(s) = text(uri) {
            out.put("http.request.uri", "Request URI", Value::Str(s), r(u, sp));
        }
        if let Some(s) = text(&fl[(sp + 1).min(fl.len())..]).filter(|_| sp < fl.len()) {
            out.put(
                "http.request.version",
                "Request Version",
                Value::Str(s),
                r(sp + 1, fl.len()),
            );
        }
        out.close();
    } else {
        let phrase = fl.get(13..).unwrap_or(b"");
        out.open("status line", r(first.start, first.next));
        if let Some(s) = text(&fl[..8]) {
            out.put(
                "http.response.version",
                "Response Version",
                Value::Str(s),
                r(0, 8),
            );
        }
        let code = parse_u64(&fl[9..12]).unwrap_or(0);
        out.put(
            "http.response.code",
            "Status Code",
            Value::U(code),
            r(9, 12),
        );
        if let Some(s) = text(phrase) {
            out.put(
                "http.response.phrase",
                "Response Phrase",
                Value::Str(s),
                r(13, fl.len()),
            );
        }
        out.close();
    }
    // As Wireshark: NOTIFY, SUBSCRIBE and UNSUBSCRIBE (GENA, SSDP) are
    // notifications, whose header lines are not request lines and whose
    // unknown headers are listed as such.
    let notification = kind == Start::Request && is_notification(fl);
    let line_name = match kind {
        _ if notification => "",
        Start::Request => "http.request.line",
        Start::Response => "http.response.line",
    };
    let mut at = first.next;
    while let Some(hl) = line_at(b, at) {
        if hl.start == hl.end {
            break;
        }
        if let Some(s) = text(&b[hl.start..hl.next]).filter(|_| !line_name.is_empty()) {
            out.put(
                line_name,
                "Header line",
                Value::Str(s),
                r(hl.start, hl.next),
            );
        }
        let hv = header_value(b, &hl);
        let known = hv.as_ref().is_some_and(|(name, _, _)| {
            name.eq_ignore_ascii_case(b"content-length") || header_field(name).is_some()
        });
        if notification && !known {
            if let Some(s) = text(&b[hl.start..hl.next]) {
                out.put(
                    "http.unknown_header",
                    "Unknown header",
                    Value::Str(s),
                    r(hl.start, hl.next),
                );
            }
        }
        if let Some((name, val, vstart)) = hv {
            let vr = r(vstart, hl.end);
            if name.eq_ignore_ascii_case(b"content-length") {
                if let Some(s) = text(val) {
                    out.put(
                        "http.content_length_header",
                        "Content-Length",
                        Value::Str(s),
                        vr.clone(),
                    );
                }
                if let Some(n) = parse_u64(val) {
                    out.put("http.content_length", "Content length", Value::U(n), vr);
                }
            } else if let Some((f, label)) = header_field(name) {
                if let Some(s) = text(val) {
                    out.put(f, label, Value::Str(s), vr);
                }
            }
        }
        at = hl.next;
    }
    if notification {
        out.put("http.notification", "Notification", Value::Bool(true), 0..0);
    } else if kind == Start::Request {
        out.put("http.request", "Request", Value::Bool(true), 0..0);
    } else {
        out.put("http.response", "Response", Value::Bool(true), 0..0);
    }
    let body = l.payload();
    if !body.is_empty() {
        // tshark shows file data as a string; only text compares cleanly.
        let fd = pkt.bytes(body.clone());
        if let Some(s) = text(fd).filter(|s| !s.contains('\0')) {
            out.put("http.file_data", "File Data", Value::Str(s), body);
        }
    }
}

pub fn info(pkt: &Packet<'_>, l: &Layer, w: &mut Vec<u8>) {
    let b = pkt.bytes(l.header());
    let first = line_at(b, 0).filter(|f| first_line_kind(&b[f.start..f.end]).is_some());
    let Some(first) = first else {
        w.extend_from_slice(b"Continuation");
        return;
    };
    w.extend_from_slice(&b[first.start..first.end]);
    w.push(b' ');
    if !l.payload().is_empty() {
        let mut at = first.next;
        while let Some(hl) = line_at(b, at) {
            if hl.start == hl.end {
                break;
            }
            if let Some((name, val, _)) = header_value(b, &hl) {
                if name.eq_ignore_ascii_case(b"content-type") {
                    let t = val.split(|&c| c == b';').next().unwrap_or(val);
                    w.extend_from_slice(b" (");
                    w.extend_from_slice(trim(t));
                    w.push(b')');
                    break;
                }
            }
            at = hl.next;
        }
    }
}

/// Every field this file's decoders emit, as Wireshark registers them.
pub const FIELDS: &[crate::dissect::decl::FieldDef] = {
    use crate::dissect::decl::{f, FieldType::*};
    &[
        f("http.accept", Str, "Accept"),
        f("http.accept_encoding", Str, "Accept Encoding"),
        f("http.accept_language", Str, "Accept-Language"),
        f("http.authorization", Str, "Authorization"),
        f("http.cache_control", Str, "Cache-Control"),
        f("http.connection", Str, "Connection"),
        f("http.content_encoding", Str, "Content-Encoding"),
        f("http.content_length", Uint, "Content length"),
        f("http.content_length_header", Str, "Content-Length"),
        f("http.content_type", Str, "Content-Type"),
        f("http.cookie", Str, "Cookie"),
        f("http.date", Str, "Date"),
        f("http.file_data", Str, "File Data"),
        f("http.host", Str, "Host"),
        f("http.last_modified", Str, "Last-Modified"),
        f("http.location", Str, "Location"),
        f("http.referer", Str, "Referer"),
        f("http.notification", Bool, "Notification"),
        f("http.request", Bool, "Request"),
        f("http.request.line", Str, "Request line"),
        f("http.request.method", Str, "Request Method"),
        f("http.request.uri", Str, "Request URI"),
        f("http.request.version", Str, "Request Version"),
        f("http.response", Bool, "Response"),
        f("http.response.code", Uint, "Status Code"),
        f("http.response.line", Str, "Response line"),
        f("http.unknown_header", Str, "Unknown header"),
        f("http.response.phrase", Str, "Response Phrase"),
        f("http.response.version", Str, "Response Version"),
        f("http.server", Str, "Server"),
        f("http.set_cookie", Str, "Set-Cookie"),
        f("http.transfer_encoding", Str, "Transfer-Encoding"),
        f("http.upgrade", Str, "Upgrade"),
        f("http.user_agent", Str, "User-Agent"),
    ]
};

/// Hypertext Transfer Protocol: names, place in the layer model, how it is reached, decoders.
pub static DECL: crate::dissect::decl::Decl = {
    use crate::dissect::decl::{Decl, Reach, Tier};
    Decl {
        filter_name: "http",
        name: "Hypertext Transfer Protocol",
        display: "HTTP",
        short: "HTTP",
        tier: Tier::Application,
        reached: &[
            Reach::TcpContent(looks_like),
            Reach::TcpPort(80),
            Reach::TcpPort(8080),
        ],
        dissect,
        fields,
        info: Some(info),
        pdu_len: Some(pdu_len),
        field_tables: &[FIELDS],
    }
};

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::dissect::link::testutil::{run, Out};
    use crate::dissect::linktype::ETHERNET;

    pub(crate) fn tcp_frame(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
        let b = etherparse::PacketBuilder::ethernet2([1, 2, 3, 4, 5, 6], [6, 5, 4, 3, 2, 1])
            .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
            .tcp(sport, dport, 1000, 65000);
        let mut v = Vec::new();
        b.write(&mut v, payload).unwrap();
        v
    }

    fn go(sport: u16, dport: u16, p: &[u8]) -> Out {
        let f = tcp_frame(sport, dport, p);
        run(ETHERNET, &f, f.len())
    }

    /// The one-scan test gives what testing line by line gives (the rule
    /// as tshark states it), over every mix of the bytes that matter.
    #[test]
    fn header_like_end_matches_the_line_by_line_rule() {
        fn by_lines(b: &[u8]) -> usize {
            let mut e = 0;
            while let Some(l) = line_at(b, e) {
                if l.start == l.end && l.terminated {
                    return l.next;
                }
                let line = &b[l.start..l.end];
                let header = line
                    .iter()
                    .position(|&c| c == b':')
                    .is_some_and(|colon| line[..colon].iter().all(|c| (0x20..0x7f).contains(c)));
                if !header {
                    break;
                }
                e = l.next;
            }
            e
        }
        const ALPHABET: &[u8] = b"a:\r\n \x01";
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for len in 0..20_000 {
            let b: Vec<u8> = (0..len % 40)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    ALPHABET[(x % ALPHABET.len() as u64) as usize]
                })
                .collect();
            assert_eq!(
                header_like_end(&b),
                by_lines(&b),
                "{:?}",
                String::from_utf8_lossy(&b)
            );
        }
    }

    // Expected values: tshark 4.0.17 on fixtures/live/http.pcap and on these bytes.
    #[test]
    fn request_on_odd_port() {
        let o = go(
            40000,
            9999,
            b"GET /index.html HTTP/1.1\r\nHost: example\r\nUser-Agent: t/1\r\nAccept: */*\r\n\r\n",
        );
        assert_eq!(o.protocols, "eth:ethertype:ip:tcp:http");
        assert_eq!(o.get("http.request.method"), "GET");
        assert_eq!(o.get("http.request.uri"), "/index.html");
        assert_eq!(o.get("http.request.version"), "HTTP/1.1");
        assert_eq!(o.get("http.host"), "example");
        assert_eq!(o.get("http.user_agent"), "t/1");
        assert_eq!(
            o.get("http.request.line"),
            "Host: example\r\n,User-Agent: t/1\r\n,Accept: */*\r\n"
        );
        assert_eq!(o.info, "GET /index.html HTTP/1.1 ");
        assert!(!o.issue);
    }

    #[test]
    fn response_with_body_and_pipelining() {
        let p = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
        let o = go(80, 40000, p);
        assert_eq!(o.protocols, "eth:ethertype:ip:tcp:http:data:http");
        assert_eq!(o.get("http.response.code"), "200,404");
        assert_eq!(o.get("http.response.phrase"), "OK,Not Found");
        assert_eq!(o.get("http.content_length"), "5,0");
        assert_eq!(o.get("http.content_type"), "text/html");
    }

    #[test]
    fn headers_only_then_continuation() {
        let o = go(
            80,
            40000,
            b"HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\nabc",
        );
        assert!(!o.issue);
        assert_eq!(o.info, "HTTP/1.1 200 OK ");
        let o = go(80, 40000, b"<html>body</html>\n");
        assert_eq!(o.protocols, "eth:ethertype:ip:tcp:http:data");
        assert_eq!(o.info, "Continuation");
    }

    #[test]
    fn http09_request_on_port_80() {
        // tshark 4.0.17 (zeek ipv6-http-atomic-frag.pcap): request, no version.
        let o = go(40000, 80, b"GET /bad.html\r\n");
        assert_eq!(o.protocols, "eth:ethertype:ip:tcp:http");
        assert_eq!(o.get("http.request.uri"), "/bad.html");
        assert_eq!(o.get("http.request.version"), "");
        assert!(!looks_like(b"GET /bad.html\r\n"));
    }

    #[test]
    fn request_line_cut_short_or_odd() {
        // tshark 4.0.17 with desegmentation off, on these payloads to port 80
        // (and zeek ipv4/fragmented-4.pcap frame 2: a first fragment "GET ").
        for (p, uri, version) in [
            (&b"GET "[..], "", ""),
            (b"GET", "", ""),
            (b"GET  \r\n", "", ""),
            (b"GET /a b c\r\n", "/a", "b c"),
        ] {
            let o = go(40000, 80, p);
            assert_eq!(o.protocols, "eth:ethertype:ip:tcp:http", "{p:?}");
            assert_eq!(o.get("http.request.method"), "GET", "{p:?}");
            assert_eq!(o.get("http.request.uri"), uri, "{p:?}");
            assert_eq!(o.get("http.request.version"), version, "{p:?}");
        }
        // Not a method word: continuation data, as tshark.
        let o = go(40000, 80, b"GETX /a\r\n");
        assert_eq!(o.get("http.request.method"), "");
    }

    #[test]
    fn pdu_lengths() {
        use PduLen::*;
        assert_eq!(pdu_len(b"GET / HTTP/1.1\r\nHost: a\r\n"), NeedMore);
        assert_eq!(pdu_len(b"GET / HTTP/1.1\r\n\r\nGET"), Known(18));
        // The length is known before the body is all there.
        let post = b"POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nab";
        assert_eq!(pdu_len(post), Known(post.len() + 1));
        let nm = b"HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n";
        assert_eq!(pdu_len(nm), Known(nm.len()));
        let c = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
        assert_eq!(pdu_len(c), Known(c.len()));
        assert_eq!(pdu_len(&c[..c.len() - 2]), NeedMore);
        let t = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: 1\r\n\r\n";
        assert_eq!(pdu_len(t), Known(t.len()));
        let huge = b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n";
        assert!(matches!(pdu_len(huge), Known(_)));
    }
}
