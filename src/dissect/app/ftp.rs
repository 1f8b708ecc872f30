//! FTP control connections (RFC 959, RFC 2428) and the data connections
//! they announce.
//!
//! The control connection is text: one request (`CMD arg`) or reply lines
//! (`NNN text`, multi-line `NNN-` … `NNN `) per segment. Replies 227/229 and
//! commands PORT/EPRT name the data connection; `crate::flow::ftp_data`
//! remembers them so the flow stage can label that connection ftp-data.

use super::http::line_at;
use crate::dissect::{Cx, FieldSink, Layer, Next, Packet, Proto, SinkExt, Value};

/// True when the payload starts like an FTP reply (`NNN ` or `NNN-`).
/// Requests are only recognised on port 21: a bare word is too common.
pub fn looks_like(payload: &[u8]) -> bool {
    reply_code(payload).is_some()
}

fn reply_code(line: &[u8]) -> Option<u16> {
    let [a, b, c, d, ..] = *line else {
        return None;
    };
    if !(b'1'..=b'5').contains(&a) || !b.is_ascii_digit() || !c.is_ascii_digit() {
        return None;
    }
    (d == b' ' || d == b'-')
        .then(|| (a - b'0') as u16 * 100 + (b - b'0') as u16 * 10 + (c - b'0') as u16)
}

pub fn dissect(cx: &mut Cx<'_, '_>, p: Proto, off: usize) -> Next {
    let limit = cx.limit.max(off);
    cx.push(p, off, limit, limit);
    Next::Done
}

/// Whether this segment goes to the server (port 21 on the destination side).
fn is_request(pkt: &Packet<'_>, b: &[u8]) -> bool {
    match pkt.ports() {
        Some((_, 21)) => true,
        Some((21, _)) => false,
        _ => reply_code(b).is_none(),
    }
}

fn text(b: &[u8]) -> Option<&str> {
    std::str::from_utf8(b).ok()
}

/// `h1,h2,h3,h4,p1,p2` somewhere in `s`: the address and port it names.
fn parse_hostport(s: &[u8]) -> Option<([u8; 4], u16, usize, usize)> {
    // Find the first digit run that parses as six comma-separated numbers.
    let mut i = 0;
    while i < s.len() {
        if s[i].is_ascii_digit() {
            let mut n = [0u16; 6];
            let mut k = 0;
            let mut j = i;
            let mut ok = true;
            while k < 6 {
                let st = j;
                let mut v: u16 = 0;
                while let Some(&c) = s.get(j).filter(|c| c.is_ascii_digit()) {
                    v = v.saturating_mul(10).saturating_add((c - b'0') as u16);
                    j += 1;
                }
                if j == st || v > 255 {
                    ok = false;
                    break;
                }
                n[k] = v;
                k += 1;
                if k < 6 {
                    if s.get(j) != Some(&b',') {
                        ok = false;
                        break;
                    }
                    j += 1;
                }
            }
            if ok {
                let ip = [n[0] as u8, n[1] as u8, n[2] as u8, n[3] as u8];
                return Some((ip, n[4] * 256 + n[5], i, j));
            }
            while s.get(i).is_some_and(|c| c.is_ascii_digit()) {
                i += 1;
            }
        } else {
            i += 1;
        }
    }
    None
}

/// EPSV reply `(|||port|)`: the port and its offsets.
fn parse_epsv(s: &[u8]) -> Option<(u16, usize, usize)> {
    let st = s.windows(4).position(|w| w == b"(|||")? + 4;
    let len = s[st..].iter().position(|c| !c.is_ascii_digit())?;
    let p: u32 = text(&s[st..st + len])?.parse().ok()?;
    (s.get(st + len) == Some(&b'|') && p <= 65535).then_some((p as u16, st, st + len))
}

/// EPRT argument `|af|addr|port|`.
fn parse_eprt(s: &[u8]) -> Option<(u8, &[u8], u16)> {
    let d = *s.first()?;
    let mut parts = s[1..].split(|&c| c == d);
    let af: u8 = text(parts.next()?)?.parse().ok()?;
    let addr = parts.next()?;
    let port: u16 = text(parts.next()?)?.parse().ok()?;
    Some((af, addr, port))
}

pub fn fields(pkt: &Packet<'_>, l: &Layer, out: &mut dyn FieldSink) {
    let o = l.start as usize;
    let b = pkt.bytes(l.extent());
    if l.proto == Proto::FtpData {
        out.layer("ftp-data", "FTP Data", l.extent());
        return;
    }
    out.layer("ftp", "File Transfer Protocol (FTP)", l.extent());
    let req = is_request(pkt, b);
    out.put("ftp.response", "Response", Value::Bool(!req), 0..0);
    out.put("ftp.request", "Request", Value::Bool(req), 0..0);
    // tshark gives fields for the first line only; the other lines of a
    // multi-line reply are text.
    if let Some(ln) = line_at(b, 0) {
        let line = &b[ln.start..ln.end];
        let r = |s: usize, e: usize| o + ln.start + s..o + ln.start + e;
        out.open("line", o + ln.start..o + ln.next);
        if req {
            let sp = line.iter().position(|&c| c == b' ').unwrap_or(line.len());
            if let Some(s) = text(&line[..sp]) {
                out.put(
                    "ftp.request.command",
                    "Request command",
                    Value::Str(s),
                    r(0, sp),
                );
            }
            let arg = line.get(sp + 1..).unwrap_or(b"");
            if !arg.is_empty() {
                if let Some(s) = text(arg) {
                    out.put(
                        "ftp.request.arg",
                        "Request arg",
                        Value::Str(s),
                        r(sp + 1, line.len()),
                    );
                }
                let cmd = &line[..sp];
                if cmd.eq_ignore_ascii_case(b"PORT") {
                    if let Some((ip, port, s, e)) = parse_hostport(arg) {
                        let rr = r(sp + 1 + s, sp + 1 + e);
                        out.put(
                            "ftp.active.cip",
                            "Active IP address",
                            Value::Ipv4(ip),
                            rr.clone(),
                        );
                        out.put("ftp.active.port", "Active port", Value::U(port as u64), rr);
                    }
                } else if cmd.eq_ignore_ascii_case(b"EPRT") {
                    if let Some((af, addr, port)) = parse_eprt(arg) {
                        let rr = r(sp + 1, line.len());
                        out.put(
                            "ftp.eprt.af",
                            "EPRT address family",
                            Value::U(af as u64),
                            rr.clone(),
                        );
                        let a = text(addr).and_then(|a| a.parse::<std::net::IpAddr>().ok());
                        match a {
                            Some(std::net::IpAddr::V4(v4)) => out.put(
                                "ftp.eprt.ip",
                                "EPRT IPv4",
                                Value::Ipv4(v4.octets()),
                                rr.clone(),
                            ),
                            Some(std::net::IpAddr::V6(v6)) => out.put(
                                "ftp.eprt.ipv6",
                                "EPRT IPv6",
                                Value::Ipv6(v6.octets()),
                                rr.clone(),
                            ),
                            None => {}
                        }
                        out.put("ftp.eprt.port", "EPRT port", Value::U(port as u64), rr);
                    }
                }
            }
        } else if let Some(code) = reply_code(line) {
            out.put(
                "ftp.response.code",
                "Response code",
                Value::U(code as u64),
                r(0, 3),
            );
            let arg = line.get(4..).unwrap_or(b"");
            if let Some(s) = text(arg) {
                out.put(
                    "ftp.response.arg",
                    "Response arg",
                    Value::Str(s),
                    r(4, line.len()),
                );
            }
            if code == 227 {
                if let Some((ip, port, s, e)) = parse_hostport(arg) {
                    let rr = r(4 + s, 4 + e);
                    out.put(
                        "ftp.passive.ip",
                        "Passive IP address",
                        Value::Ipv4(ip),
                        rr.clone(),
                    );
                    out.put(
                        "ftp.passive.port",
                        "Passive port",
                        Value::U(port as u64),
                        rr,
                    );
                }
            } else if code == 229 {
                if let Some((port, s, e)) = parse_epsv(arg) {
                    // The address is the server's own (the reply's source).
                    match pkt.addrs() {
                        Some((std::net::IpAddr::V4(a), _)) => out.put(
                            "ftp.epsv.ip",
                            "Extended passive IPv4 address",
                            Value::Ipv4(a.octets()),
                            0..0,
                        ),
                        Some((std::net::IpAddr::V6(a), _)) => out.put(
                            "ftp.epsv.ipv6",
                            "Extended passive IPv6 address",
                            Value::Ipv6(a.octets()),
                            0..0,
                        ),
                        None => {}
                    }
                    out.put(
                        "ftp.epsv.port",
                        "Extended passive port",
                        Value::U(port as u64),
                        r(4 + s, 4 + e),
                    );
                }
            }
        } else if let Some(s) = text(line) {
            // Continuation line of a multi-line reply.
            out.put(
                "ftp.response.arg",
                "Response arg",
                Value::Str(s),
                r(0, line.len()),
            );
        }
        out.close();
    }
}

/// The data connection a control segment announces, for the flow stage:
/// `(ip, port)` from a 227/229 reply or a PORT/EPRT command. EPSV names no
/// address; the server's (the segment's source) is used.
pub fn announced(pkt: &Packet<'_>, l: &Layer) -> Option<(std::net::IpAddr, u16)> {
    let b = pkt.bytes(l.extent());
    let (src, _) = pkt.addrs()?;
    let line = &b[..line_at(b, 0)?.end];
    if let Some(code) = reply_code(line) {
        let arg = line.get(4..)?;
        return match code {
            227 => parse_hostport(arg).map(|(ip, p, _, _)| (ip.into(), p)),
            229 => parse_epsv(arg).map(|(p, _, _)| (src, p)),
            _ => None,
        };
    }
    let sp = line.iter().position(|&c| c == b' ')?;
    let (cmd, arg) = (&line[..sp], &line[sp + 1..]);
    if cmd.eq_ignore_ascii_case(b"PORT") {
        parse_hostport(arg).map(|(ip, p, _, _)| (ip.into(), p))
    } else if cmd.eq_ignore_ascii_case(b"EPRT") {
        let (_, a, p) = parse_eprt(arg)?;
        Some((text(a)?.parse().ok()?, p))
    } else {
        None
    }
}

pub fn info(pkt: &Packet<'_>, l: &Layer, w: &mut Vec<u8>) {
    let b = pkt.bytes(l.extent());
    if l.proto == Proto::FtpData {
        w.extend_from_slice(b"FTP Data: ");
        w.extend_from_slice(itoa::Buffer::new().format(b.len()).as_bytes());
        w.extend_from_slice(b" bytes");
        return;
    }
    let req = is_request(pkt, b);
    w.extend_from_slice(if req { b"Request: " } else { b"Response: " });
    if let Some(ln) = line_at(b, 0) {
        w.extend_from_slice(&b[ln.start..ln.end]);
    }
}

/// Every field this file's decoders emit, as Wireshark registers them.
pub const FIELDS: &[crate::dissect::decl::FieldDef] = {
    use crate::dissect::decl::{f, FieldType::*};
    &[
        f("ftp.active.cip", Ipv4, "Active IP address"),
        f("ftp.active.port", Uint, "Active port"),
        f("ftp.eprt.af", Uint, "Extended active address family"),
        f("ftp.eprt.ip", Ipv4, "Extended active IP address"),
        f("ftp.eprt.ipv6", Ipv6, "Extended active IPv6 address"),
        f("ftp.eprt.port", Uint, "Extended active port"),
        f("ftp.epsv.ip", Ipv4, "Extended passive IPv4 address"),
        f("ftp.epsv.ipv6", Ipv6, "Extended passive IPv6 address"),
        f("ftp.epsv.port", Uint, "Extended passive port"),
        f("ftp.passive.ip", Ipv4, "Passive IP address"),
        f("ftp.passive.port", Uint, "Passive port"),
        f("ftp.request", Bool, "Request"),
        f("ftp.request.arg", Str, "Request arg"),
        f("ftp.request.command", Str, "Request command"),
        f("ftp.response", Bool, "Response"),
        f("ftp.response.arg", Str, "Response arg"),
        f("ftp.response.code", Uint, "Response code"),
    ]
};

/// File Transfer Protocol (FTP): names, place in the layer model, how it is reached, decoders.
pub static FTP: crate::dissect::decl::Decl = {
    use crate::dissect::decl::{Decl, Reach, Tier};
    Decl {
        filter_name: "ftp",
        name: "File Transfer Protocol (FTP)",
        display: "FTP",
        short: "FTP",
        tier: Tier::Application,
        reached: &[Reach::TcpPort(21)],
        dissect: |cx, off| dissect(cx, Proto::Ftp, off),
        fields,
        info: Some(info),
        pdu_len: None,
        field_tables: &[FIELDS],
    }
};

/// FTP Data: names, place in the layer model, how it is reached, decoders.
pub static FTP_DATA: crate::dissect::decl::Decl = {
    use crate::dissect::decl::{Decl, Reach, Tier};
    Decl {
        filter_name: "ftp-data",
        name: "FTP Data",
        display: "FTP-DATA",
        short: "FTP-DATA",
        tier: Tier::Application,
        reached: &[Reach::TcpPort(20)],
        dissect: |cx, off| dissect(cx, Proto::FtpData, off),
        fields,
        info: Some(info),
        pdu_len: None,
        field_tables: &[FIELDS],
    }
};

#[cfg(test)]
mod tests {
    use crate::dissect::app::http::tests::tcp_frame;
    use crate::dissect::link::testutil::{run, Out};
    use crate::dissect::linktype::ETHERNET;

    fn go(sport: u16, dport: u16, p: &[u8]) -> Out {
        let f = tcp_frame(sport, dport, p);
        run(ETHERNET, &f, f.len())
    }

    // Expected values: tshark 4.0.17 on fixtures/live/ftp.pcap.
    #[test]
    fn request_and_replies() {
        let o = go(40000, 21, b"USER anonymous\r\n");
        assert_eq!(o.get("ftp.request"), "1");
        assert_eq!(o.get("ftp.response"), "0");
        assert_eq!(o.get("ftp.request.command"), "USER");
        assert_eq!(o.get("ftp.request.arg"), "anonymous");
        assert_eq!(o.info, "Request: USER anonymous");
        let o = go(
            21,
            40000,
            b"227 Entering Passive Mode (10,99,0,1,117,48).\r\n",
        );
        assert_eq!(o.get("ftp.response.code"), "227");
        assert_eq!(
            o.get("ftp.response.arg"),
            "Entering Passive Mode (10,99,0,1,117,48)."
        );
        assert_eq!(o.get("ftp.passive.ip"), "10.99.0.1");
        assert_eq!(o.get("ftp.passive.port"), "30000");
        let o = go(
            21,
            40000,
            b"229 Entering Extended Passive Mode (|||30005|)\r\n",
        );
        assert_eq!(o.get("ftp.epsv.port"), "30005");
        assert_eq!(o.get("ftp.epsv.ip"), "10.0.0.1");
        let o = go(40000, 21, b"PORT 10,0,0,2,4,1\r\n");
        assert_eq!(o.get("ftp.active.cip"), "10.0.0.2");
        assert_eq!(o.get("ftp.active.port"), "1025");
    }
}
