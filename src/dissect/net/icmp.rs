//! ICMP for IPv4 (RFC 792, 950, 1256). Error messages quote the offending
//! IP header and the first bytes of its payload; those are decoded as
//! further layers, clipped to the ICMP message.

use super::ipv4::Ipv4Header;
use crate::dissect::bytes::{be16, be32, v4_at};
use crate::dissect::checksum::{fold, sum_words};
use crate::dissect::{Cx, FieldSink, Layer, Next, Packet, Proto, SinkExt, Value};

pub const HEADER_LEN: usize = 8;

/// Read-only view of the first 8 bytes of an ICMP message, which ICMPv6
/// shares (RFC 4443 2.1, 4.1): type, code, checksum, and for echo the
/// identifier and sequence number. `new` refuses fewer than 8 bytes.
#[derive(Clone, Copy)]
pub struct IcmpHeader<'a>(&'a [u8]);

impl<'a> IcmpHeader<'a> {
    pub fn new(b: &'a [u8]) -> Option<Self> {
        (b.len() >= HEADER_LEN).then_some(IcmpHeader(b))
    }
    pub fn msg_type(&self) -> u8 {
        self.0[0]
    }
    pub fn code(&self) -> u8 {
        self.0[1]
    }
    pub fn checksum(&self) -> u16 {
        be16(self.0, 2).unwrap_or(0)
    }
    /// Echo identifier (bytes 4..6 of echo request and reply).
    pub fn ident(&self) -> u16 {
        be16(self.0, 4).unwrap_or(0)
    }
    /// Echo sequence number (bytes 6..8).
    pub fn seq(&self) -> u16 {
        be16(self.0, 6).unwrap_or(0)
    }
}

/// Types whose body quotes an IP datagram.
fn is_error(t: u8) -> bool {
    matches!(t, 3 | 4 | 5 | 11 | 12)
}

/// Types with identifier and sequence number in bytes 4..8.
fn has_id_seq(t: u8) -> bool {
    matches!(t, 0 | 8 | 13 | 14 | 15 | 16 | 17 | 18)
}

/// Header length of each type: what `dissect` claims before the payload.
fn header_len(t: u8, b: &[u8]) -> usize {
    match t {
        13 | 14 => 20,
        17 | 18 => 12,
        9 => {
            let n = b.get(4).copied().unwrap_or(0) as usize;
            let size = b.get(5).copied().unwrap_or(0) as usize;
            HEADER_LEN + n * size * 4
        }
        _ => HEADER_LEN,
    }
}

pub fn dissect(cx: &mut Cx<'_, '_>, off: usize) -> Next {
    let b = cx.rest(off);
    let Some(h) = IcmpHeader::new(b) else {
        cx.push(Proto::Icmp, off, off + b.len(), cx.limit);
        cx.short(Proto::Icmp, "ICMP header cut short");
        return Next::Done;
    };
    let t = h.msg_type();
    let hl = header_len(t, b);
    let end = off + hl.min(b.len());
    if !cx.push(Proto::Icmp, off, end, cx.limit) {
        return Next::Done;
    }
    if b.len() < hl {
        cx.short(Proto::Icmp, "ICMP message cut short");
        return Next::Done;
    }
    if is_error(t) {
        // The quoted datagram is decoded within the ICMP message only.
        return Next::Proto(Proto::Ip, end);
    }
    if matches!(t, 0 | 8) {
        if data_time(cx.pkt, &b[hl..]).is_some() {
            // Like tshark: a timestamp opening the echo data is ICMP's own.
            if let Some(l) = cx.pkt.layers.last_mut() {
                l.end += 8;
            }
            return Next::Proto(Proto::Data, end + 8);
        }
        return Next::Proto(Proto::Data, end);
    }
    Next::Done
}

/// The timestamp ping(8) puts at the start of echo data, if the first 8
/// bytes look like one within a day of the capture time (big-endian first,
/// then little-endian), as Wireshark's heuristic reads it.
fn data_time(pkt: &Packet<'_>, data: &[u8]) -> Option<(i64, u32)> {
    let d: [u8; 8] = data.get(..8)?.try_into().ok()?;
    let near = |secs: u32, usecs: u32| {
        (secs as i64 - pkt.ts.sec).unsigned_abs() < 86_400 && usecs < 1_000_000
    };
    let be = (
        u32::from_be_bytes([d[0], d[1], d[2], d[3]]),
        u32::from_be_bytes([d[4], d[5], d[6], d[7]]),
    );
    let le = (
        u32::from_le_bytes([d[0], d[1], d[2], d[3]]),
        u32::from_le_bytes([d[4], d[5], d[6], d[7]]),
    );
    [be, le]
        .into_iter()
        .find(|&(s, u)| near(s, u))
        .map(|(s, u)| (s as i64, u * 1000))
}

/// The ICMP message as the enclosing IP length bounds it.
fn message<'a>(pkt: &Packet<'a>, l: &Layer) -> &'a [u8] {
    pkt.bytes(l.extent())
}

/// 1 good, 0 bad, 2 when the message was not captured whole.
/// Like tshark, a message quoted inside another ICMP error is not verified.
fn checksum_status(pkt: &Packet<'_>, l: &Layer) -> u64 {
    let quoted = pkt
        .layers
        .iter()
        .any(|x| matches!(x.proto, Proto::Icmp | Proto::Icmpv6) && x.start < l.start);
    if quoted || cut_short(pkt, l) {
        return 2;
    }
    (fold(sum_words(message(pkt, l), 0)) == 0) as u64
}

/// True when the enclosing IPv4 header claims more bytes than its layer
/// holds (snap length, or a quoted packet inside another ICMP error).
fn cut_short(pkt: &Packet<'_>, l: &Layer) -> bool {
    let Some(ip) = pkt
        .layers
        .iter()
        .rev()
        .find(|x| x.proto == Proto::Ip && x.start < l.start)
    else {
        return false;
    };
    let total = Ipv4Header::new(pkt.bytes(ip.header())).map_or(0, |h| h.total_len() as usize);
    total != 0 && ip.start as usize + total > ip.limit as usize
}

pub fn fields(pkt: &Packet<'_>, l: &Layer, out: &mut dyn FieldSink) {
    let o = l.start as usize;
    let b = message(pkt, l);
    let at = |i: usize, n: usize| o + i..o + i + n;
    out.layer("icmp", "Internet Control Message Protocol", l.extent());
    let (Some(&t), Some(&c), Some(ck)) = (b.first(), b.get(1), be16(b, 2)) else {
        return;
    };
    out.put_note(
        "icmp.type",
        "Type",
        Value::U(t as u64),
        at(0, 1),
        type_str(t),
    );
    out.put_note(
        "icmp.code",
        "Code",
        Value::U(c as u64),
        at(1, 1),
        code_str(t, c).unwrap_or(""),
    );
    out.put(
        "icmp.checksum",
        "Checksum",
        Value::Hex(ck as u64, 4),
        at(2, 2),
    );
    out.put(
        "icmp.checksum.status",
        "Checksum Status",
        Value::U(checksum_status(pkt, l)),
        0..0,
    );
    let Some(rest) = b.get(4..8) else { return };
    match t {
        _ if has_id_seq(t) => {
            let id = [rest[0], rest[1]];
            let seq = [rest[2], rest[3]];
            out.put(
                "icmp.ident",
                "Identifier (BE)",
                Value::U(u16::from_be_bytes(id) as u64),
                at(4, 2),
            );
            out.put(
                "icmp.ident_le",
                "Identifier (LE)",
                Value::U(u16::from_le_bytes(id) as u64),
                at(4, 2),
            );
            out.put(
                "icmp.seq",
                "Sequence Number (BE)",
                Value::U(u16::from_be_bytes(seq) as u64),
                at(6, 2),
            );
            out.put(
                "icmp.seq_le",
                "Sequence Number (LE)",
                Value::U(u16::from_le_bytes(seq) as u64),
                at(6, 2),
            );
            if t == 0 {
                if let (Some(n), Some(ns)) = (pkt.flow.resp_to, pkt.flow.resp_ns) {
                    out.put("icmp.resp_to", "Response To", Value::U(n), 0..0);
                    out.put(
                        "icmp.resptime",
                        "Response Time (ms)",
                        Value::Float(ns as f64 / 1e6),
                        0..0,
                    );
                }
            }
            let hdr = pkt.bytes(l.header());
            if matches!(t, 0 | 8) && hdr.len() >= 16 {
                if let Some((sec, nsec)) = data_time(pkt, &hdr[8..]) {
                    out.put(
                        "icmp.data_time",
                        "Timestamp from icmp data",
                        Value::Date(sec, nsec),
                        at(8, 8),
                    );
                    let then = crate::source::Timestamp { sec, nsec };
                    out.put(
                        "icmp.data_time_relative",
                        "Timestamp from icmp data (relative)",
                        Value::Nanos(pkt.ts.nanos_since(then)),
                        at(8, 8),
                    );
                }
            }
            match t {
                13 | 14 => {
                    let names = [
                        ("icmp.originate_timestamp", "Originate Timestamp"),
                        ("icmp.receive_timestamp", "Receive Timestamp"),
                        ("icmp.transmit_timestamp", "Transmit Timestamp"),
                    ];
                    for (k, (name, label)) in names.into_iter().enumerate() {
                        let i = 8 + k * 4;
                        let Some(v) = be32(b, i) else { break };
                        out.put(name, label, Value::U(v as u64), at(i, 4));
                    }
                }
                17 | 18 => {
                    if let Some(m) = v4_at(b, 8) {
                        out.put(
                            "icmp.address_mask",
                            "Address Mask",
                            Value::Ipv4(m),
                            at(8, 4),
                        );
                    }
                }
                _ => {}
            }
        }
        3 if c == 4 => {
            out.put("icmp.unused", "Unused", Value::Bytes(&rest[..2]), at(4, 2));
            out.put(
                "icmp.mtu",
                "MTU of next hop",
                Value::U(u16::from_be_bytes([rest[2], rest[3]]) as u64),
                at(6, 2),
            );
        }
        3 | 11 if rest[1] != 0 => {
            // RFC 4884: a length for the quoted datagram, in 32-bit words.
            out.put("icmp.unused", "Unused", Value::Bytes(&rest[..1]), at(4, 1));
            out.put("icmp.length", "Length", Value::U(rest[1] as u64), at(5, 1));
            out.put("icmp.unused", "Unused", Value::Bytes(&rest[2..]), at(6, 2));
        }
        3 | 11 => out.put("icmp.unused", "Unused", Value::Bytes(rest), at(4, 4)),
        42 | 43 => {
            let id = [rest[0], rest[1]];
            out.put(
                "icmp.ident",
                "Identifier (BE)",
                Value::U(u16::from_be_bytes(id) as u64),
                at(4, 2),
            );
            out.put(
                "icmp.ident_le",
                "Identifier (LE)",
                Value::U(u16::from_le_bytes(id) as u64),
                at(4, 2),
            );
            out.put(
                "icmp.ext.echo.seq",
                "Sequence number",
                Value::U(rest[2] as u64),
                at(6, 1),
            );
        }
        5 => out.put(
            "icmp.redir_gw",
            "Gateway Address",
            Value::Ipv4([rest[0], rest[1], rest[2], rest[3]]),
            at(4, 4),
        ),
        12 => {
            out.put(
                "icmp.pointer",
                "Pointer",
                Value::U(rest[0] as u64),
                at(4, 1),
            );
            out.put("icmp.unused", "Unused", Value::Bytes(&rest[1..]), at(5, 3));
        }
        9 => {
            out.put(
                "icmp.num_addrs",
                "Number of addresses",
                Value::U(rest[0] as u64),
                at(4, 1),
            );
            out.put(
                "icmp.addr_entry_size",
                "Address entry size",
                Value::U(rest[1] as u64),
                at(5, 1),
            );
            out.put(
                "icmp.lifetime",
                "Lifetime",
                Value::U(u16::from_be_bytes([rest[2], rest[3]]) as u64),
                at(6, 2),
            );
            let size = rest[1] as usize * 4;
            if size >= 8 {
                for k in 0..rest[0] as usize {
                    let i = 8 + k * size;
                    let (Some(a), Some(p)) = (v4_at(b, i), be32(b, i + 4)) else {
                        break;
                    };
                    out.put(
                        "icmp.router_address",
                        "Router address",
                        Value::Ipv4(a),
                        at(i, 4),
                    );
                    out.put(
                        "icmp.pref_level",
                        "Preference level",
                        Value::I(p as i32 as i64),
                        at(i + 4, 4),
                    );
                }
            }
        }
        _ => {}
    }
}

/// Wireshark's names for ICMP types.
pub fn type_str(t: u8) -> &'static str {
    match t {
        0 => "Echo (ping) reply",
        3 => "Destination unreachable",
        4 => "Source quench (flow control)",
        5 => "Redirect",
        8 => "Echo (ping) request",
        9 => "Router advertisement",
        10 => "Router solicitation",
        11 => "Time-to-live exceeded",
        12 => "Parameter problem",
        13 => "Timestamp request",
        14 => "Timestamp reply",
        15 => "Information request",
        16 => "Information reply",
        17 => "Address mask request",
        18 => "Address mask reply",
        40 => "Photuris",
        42 => "Extended Echo request",
        43 => "Extended Echo reply",
        _ => "Unknown ICMP (obsolete or malformed?)",
    }
}

/// Wireshark's names for the codes of the types that have them.
pub fn code_str(t: u8, c: u8) -> Option<&'static str> {
    Some(match (t, c) {
        (3, 0) => "Network unreachable",
        (3, 1) => "Host unreachable",
        (3, 2) => "Protocol unreachable",
        (3, 3) => "Port unreachable",
        (3, 4) => "Fragmentation needed",
        (3, 5) => "Source route failed",
        (3, 6) => "Destination network unknown",
        (3, 7) => "Destination host unknown",
        (3, 8) => "Source host isolated",
        (3, 9) => "Network administratively prohibited",
        (3, 10) => "Host administratively prohibited",
        (3, 11) => "Network unreachable for TOS",
        (3, 12) => "Host unreachable for TOS",
        (3, 13) => "Communication administratively filtered",
        (3, 14) => "Host precedence violation",
        (3, 15) => "Precedence cutoff in effect",
        (5, 0) => "Redirect for network",
        (5, 1) => "Redirect for host",
        (5, 2) => "Redirect for TOS and network",
        (5, 3) => "Redirect for TOS and host",
        (9, 0) => "Normal router advertisement",
        (9, 16) => "Does not route common traffic",
        (11, 0) => "Time to live exceeded in transit",
        (11, 1) => "Fragment reassembly time exceeded",
        (12, 0) => "Pointer indicates the error",
        (12, 1) => "Required option missing",
        (12, 2) => "Bad length",
        (42, 0) | (43, 0) => "No error",
        (43, 1) => "Malformed Query",
        (43, 2) => "No Such Interface",
        (43, 3) => "No Such Table Entry",
        (43, 4) => "Multiple Interfaces Satisfy Query",
        (3 | 5 | 11 | 12, _) => "Unknown code",
        _ => return None,
    })
}

/// `Echo (ping) request  id=0x1234, seq=1/256, ttl=64`, or the type with
/// its code: `Destination unreachable (Port unreachable)`.
pub fn info(pkt: &Packet<'_>, l: &Layer, w: &mut Vec<u8>) {
    let b = message(pkt, l);
    let (Some(&t), Some(&c)) = (b.first(), b.get(1)) else {
        return;
    };
    let ts = type_str(t);
    w.extend_from_slice(ts.as_bytes());
    for _ in ts.len()..20 {
        w.push(b' ');
    }
    if let Some(cs) = code_str(t, c) {
        w.extend_from_slice(b" (");
        w.extend_from_slice(cs.as_bytes());
        w.push(b')');
    }
    if has_id_seq(t) {
        let (Some(id), Some(seq)) = (be16(b, 4), be16(b, 6)) else {
            return;
        };
        let mut n = itoa::Buffer::new();
        w.extend_from_slice(b" id=");
        Value::Hex(id as u64, 4).write_to(w);
        w.extend_from_slice(b", seq=");
        w.extend_from_slice(n.format(seq).as_bytes());
        w.push(b'/');
        w.extend_from_slice(n.format(seq.swap_bytes()).as_bytes());
        let ttl = pkt
            .layers
            .iter()
            .rev()
            .find(|x| x.proto == Proto::Ip && x.start < l.start)
            .and_then(|ip| pkt.data.get(ip.start as usize + 8));
        if let Some(ttl) = ttl {
            w.extend_from_slice(b", ttl=");
            w.extend_from_slice(n.format(*ttl).as_bytes());
        }
        if let (0, Some(req)) = (t, pkt.flow.resp_to) {
            w.extend_from_slice(b" (request in ");
            w.extend_from_slice(n.format(req).as_bytes());
            w.push(b')');
        }
    }
}

/// Every field this file's decoders emit, as Wireshark registers them.
pub const FIELDS: &[crate::dissect::decl::FieldDef] = {
    use crate::dissect::decl::{f, FieldType::*};
    &[
        f("icmp.addr_entry_size", Uint, "Address entry size"),
        f("icmp.address_mask", Ipv4, "Address Mask"),
        f("icmp.checksum", Uint, "Checksum"),
        f("icmp.checksum.status", Uint, "Checksum Status"),
        f("icmp.code", Uint, "Code"),
        f("icmp.data_time", AbsTime, "Timestamp from icmp data"),
        f(
            "icmp.data_time_relative",
            RelTime,
            "Timestamp from icmp data (relative)",
        ),
        f("icmp.ext.echo.seq", Uint, "Sequence Number"),
        f("icmp.ident", Uint, "Identifier (BE)"),
        f("icmp.ident_le", Uint, "Identifier (LE)"),
        f("icmp.length", Uint, "Length"),
        f("icmp.lifetime", Uint, "Lifetime"),
        f("icmp.mtu", Uint, "MTU of next hop"),
        f("icmp.num_addrs", Uint, "Number of addresses"),
        f("icmp.originate_timestamp", Uint, "Originate Timestamp"),
        f("icmp.pointer", Uint, "Pointer"),
        f("icmp.pref_level", Int, "Preference level"),
        f("icmp.receive_timestamp", Uint, "Receive Timestamp"),
        f("icmp.redir_gw", Ipv4, "Gateway Address"),
        f("icmp.resp_to", Uint, "Request frame"),
        f("icmp.resptime", Float, "Response time"),
        f("icmp.router_address", Ipv4, "Router address"),
        f("icmp.seq", Uint, "Sequence Number (BE)"),
        f("icmp.seq_le", Uint, "Sequence Number (LE)"),
        f("icmp.transmit_timestamp", Uint, "Transmit Timestamp"),
        f("icmp.type", Uint, "Type"),
        f("icmp.unused", Bytes, "Unused"),
    ]
};

/// Internet Control Message Protocol: names, place in the layer model, how it is reached, decoders.
pub static DECL: crate::dissect::decl::Decl = {
    use crate::dissect::decl::{Decl, Reach, Tier};
    Decl {
        filter_name: "icmp",
        name: "Internet Control Message Protocol",
        display: "ICMP",
        short: "ICMP",
        tier: Tier::Network,
        reached: &[Reach::IpProto(1)],
        dissect,
        fields,
        info: Some(info),
        pdu_len: None,
        field_tables: &[FIELDS],
    }
};

#[cfg(test)]
mod tests {
    use super::super::ipv4::testutil::{decode, decode_wire, fuzz, hex};
    use crate::dissect::linktype;

    // Expected values come from tshark 4.0.17 (`-o ip.check_checksum:TRUE
    // -T fields`) on the same bytes.
    const IP: &str = "123400004001549b0a0000010a000002";
    const QUOTED: &str = "4500003c1234000040114e6c0a000002080808083039003500201234";

    #[test]
    fn header_view_reads_echo_as_tshark() {
        use super::IcmpHeader;
        // tshark 4.0.17 on fixtures/icmp.pcap (IPv4 after Ethernet, 20-byte
        // header) and fixtures/icmpv6.pcap (40-byte header), frames 1-2: echo
        // request and reply, identifier 4660 / 0x4321, sequence 1, checksums.
        for (file, ip_len, types, id) in [
            ("icmp.pcap", 20, [(8, 0xf3c8), (0, 0xfbc8)], 4660),
            ("icmpv6.pcap", 40, [(128, 0xa7a6), (129, 0xa6a6)], 0x4321),
        ] {
            let path = format!("{}/fixtures/{file}", env!("CARGO_MANIFEST_DIR"));
            let frames = crate::flow::testutil::read_pcap(&path).expect("fixture readable");
            for ((b, _, _), (t, ck)) in frames.iter().zip(types) {
                let h = IcmpHeader::new(&b[14 + ip_len..]).expect("8 bytes");
                assert_eq!((h.msg_type(), h.code(), h.ident(), h.seq()), (t, 0, id, 1));
                assert_eq!(h.checksum(), ck);
            }
        }
        assert!(IcmpHeader::new(&[8, 0, 0, 0, 0, 0, 0]).is_none());
    }

    #[test]
    fn echo_request() {
        let f = hex(&format!(
            "4500002c{IP}0800b6931234000130313233343536373839616263646566"
        ));
        let d = decode(linktype::IPV4, &f);
        assert_eq!(d.protocols, "ip:icmp:data");
        assert_eq!(d.get("icmp.type"), "8");
        assert_eq!(d.get("icmp.code"), "0");
        assert_eq!(d.get("icmp.checksum"), "0xb693");
        assert_eq!(d.get("icmp.checksum.status"), "1");
        assert_eq!(d.get("icmp.ident"), "4660");
        assert_eq!(d.get("icmp.ident_le"), "13330");
        assert_eq!(d.get("icmp.seq"), "1");
        assert_eq!(d.get("icmp.seq_le"), "256");
        assert_eq!(d.get("data.len"), "16");
        assert_eq!(d.info, "Echo (ping) request  id=0x1234, seq=1/256, ttl=64");

        let f = hex(&format!(
            "4500002c{IP}080011111234000130313233343536373839616263646566"
        ));
        assert_eq!(decode(linktype::IPV4, &f).get("icmp.checksum.status"), "0");
    }

    #[test]
    fn errors_quote_the_packet() {
        let ip = "123400004001548f0a0000010a000002";
        let f = hex(&format!("45000038{ip}0303ba3a00000000{QUOTED}"));
        let d = decode(linktype::IPV4, &f);
        assert!(d.protocols.starts_with("ip:icmp:ip"), "{}", d.protocols);
        assert_eq!(d.get("icmp.unused"), "00000000");
        assert_eq!(d.get("icmp.checksum.status"), "1");
        assert_eq!(d.get("ip.src"), "10.0.0.1,10.0.0.2");
        assert_eq!(d.get("ip.len"), "56,60");
        assert_eq!(d.get("ip.checksum.status"), "1,1");
        assert_eq!(d.info, "Destination unreachable (Port unreachable)");
        // The quoted packet's total length exceeds what is quoted: normal.
        assert!(d.issue.is_none(), "{:?}", d.issue);

        let f = hex(&format!("45000038{ip}0304b4c100000578{QUOTED}"));
        let d = decode(linktype::IPV4, &f);
        assert_eq!(d.get("icmp.unused"), "0000");
        assert_eq!(d.get("icmp.mtu"), "1400");
        assert_eq!(d.info, "Destination unreachable (Fragmentation needed)");

        let f = hex(&format!("45000038{ip}0501ad3e0a0000fe{QUOTED}"));
        let d = decode(linktype::IPV4, &f);
        assert_eq!(d.get("icmp.redir_gw"), "10.0.0.254");
        assert_eq!(d.info, "Redirect             (Redirect for host)");
    }

    #[test]
    fn quoted_header_cut_short_is_not_malformed() {
        let f =
            hex("45000028123400004001549f0a0000010a0000020303170f000000004500003c1234000040114e6c");
        let d = decode(linktype::IPV4, &f);
        assert_eq!(d.protocols, "ip:icmp:ip");
        assert_eq!(d.get("ip.src"), "10.0.0.1");
        assert_eq!(d.get("ip.checksum.status"), "1,2");
        assert_eq!(d.get("icmp.checksum.status"), "1");
        assert!(d.issue.is_none(), "{:?}", d.issue);
    }

    #[test]
    fn quoted_icmp_is_unverified() {
        // tcpdump dhcp-rfc4388.pcap, frame 6: unreachable quoting an echo.
        let f = hex(
            "a6824bc9a1a77483ef07d0a9080045c0004c9c6a00004001c6330a2801010a2802030301fcfe000000004500\
             003061b440003f01bfcc0a2802030a1e04040800b7db40240000000000000000000000000000000000000000\
             0000",
        );
        let d = decode(linktype::ETHERNET, &f);
        assert_eq!(d.get("icmp.type"), "3,8");
        assert_eq!(d.get("icmp.checksum.status"), "1,2");
        assert_eq!(d.get("icmp.ident"), "16420");
        assert_eq!(d.get("ip.checksum.status"), "1,1");
        assert_eq!(d.info, "Destination unreachable (Host unreachable)");
    }

    #[test]
    fn snapped_message_is_unverified() {
        // zeek trunc/icmp-payload-trunc.pcap, frame 1: 80 of 98 bytes.
        let f = hex(
            "0010db88d2ef000000000000080045000054edc00000400157410a0000014a7de1290800248dd9b30000\
             4fc537ad000a873f08090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425",
        );
        let d = decode_wire(linktype::ETHERNET, &f, 98);
        assert_eq!(d.get("icmp.checksum.status"), "2");
        assert_eq!(d.get("icmp.ident"), "55731");
        assert_eq!(d.get("icmp.seq"), "0");
        assert_eq!(d.get("ip.checksum.status"), "1");
        assert!(d.issue.is_none());
    }

    #[test]
    fn never_panics() {
        fuzz(
            linktype::IPV4,
            &hex(&format!(
                "45000038123400004001548f0a0000010a0000020303ba3a00000000{QUOTED}"
            )),
        );
        fuzz(
            linktype::IPV4,
            &hex(&format!(
                "4500002c{IP}0900b6930202000a0a000001000000050a00000200000001"
            )),
        );
    }
}
