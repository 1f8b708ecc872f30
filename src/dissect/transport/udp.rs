//! User Datagram Protocol (RFC 768), with the IPv6 jumbogram rule of RFC 2675
//! (length 0 means "as long as the IP payload").

use crate::dissect::ip::{fragmented, quoted, reported_from};
use crate::dissect::{Cx, FieldSink, Layer, Next, Packet, Proto, SinkExt, Value};
use std::io::Write as _;

pub const HEADER_LEN: usize = 8;

use crate::dissect::bytes::be16_or0 as be16;

/// Read-only view of a UDP header; `new` refuses fewer than 8 bytes.
#[derive(Clone, Copy)]
pub struct UdpHeader<'a>(&'a [u8]);

impl<'a> UdpHeader<'a> {
    pub fn new(b: &'a [u8]) -> Option<Self> {
        (b.len() >= HEADER_LEN).then_some(UdpHeader(b))
    }
    pub fn src_port(&self) -> u16 {
        be16(self.0, 0)
    }
    pub fn dst_port(&self) -> u16 {
        be16(self.0, 2)
    }
    pub fn length(&self) -> u16 {
        be16(self.0, 4)
    }
    pub fn checksum(&self) -> u16 {
        be16(self.0, 6)
    }
}

/// True when the nearest IP header among the first `before` layers is IPv6.
fn over_ipv6(pkt: &Packet<'_>, before: usize) -> bool {
    pkt.layers
        .iter()
        .take(before)
        .rev()
        .find(|x| matches!(x.proto, Proto::Ip | Proto::Ipv6))
        .is_some_and(|x| x.proto == Proto::Ipv6)
}

/// How the length field relates to the datagram carrying it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LenCheck {
    Ok,
    /// Below the 8-byte header (and not an IPv6 jumbogram).
    TooShort,
    /// Longer than the IP payload.
    TooLong,
    /// IPv6 length 0: the IP payload gives the length.
    Jumbo,
}

/// Checks the length field against the IP payload the layer sits in.
/// `before` is the number of layers preceding the UDP one.
fn check_len(
    pkt: &Packet<'_>,
    before: usize,
    start: usize,
    ulen: usize,
) -> (LenCheck, Option<usize>) {
    let reported = if fragmented(pkt, before) {
        None
    } else {
        reported_from(pkt, before, start)
    };
    // A header quoted in an ICMP error comes without its datagram: its
    // length cannot be checked against what follows.
    let c = if quoted(pkt, before) {
        LenCheck::Ok
    } else if ulen == 0 && over_ipv6(pkt, before) {
        LenCheck::Jumbo
    } else if ulen < HEADER_LEN {
        LenCheck::TooShort
    } else if reported.is_some_and(|r| ulen > r) {
        LenCheck::TooLong
    } else {
        LenCheck::Ok
    };
    (c, reported)
}

pub fn dissect(cx: &mut Cx<'_, '_>, off: usize) -> Next {
    let b = cx.rest(off);
    let Some(h) = UdpHeader::new(b) else {
        // Keep the ports when they are there: they name the socket pair.
        if b.len() >= 4 {
            cx.push(Proto::Udp, off, off + b.len(), cx.limit);
        }
        cx.short(Proto::Udp, "UDP header cut short");
        return Next::Done;
    };
    let ulen = h.length() as usize;
    let before = cx.pkt.layers.len();
    let (check, _) = check_len(cx.pkt, before, off, ulen);
    let end = off + HEADER_LEN;
    let limit = match check {
        LenCheck::Ok => (off + ulen).min(cx.limit),
        _ => cx.limit,
    };
    if !cx.push(Proto::Udp, off, end, limit) {
        return Next::Done;
    }
    match check {
        LenCheck::TooShort => {
            cx.malformed(Proto::Udp, "bad UDP length (< 8)");
            return Next::Done;
        }
        LenCheck::TooLong => {
            // As tshark: flag it, then decode the bytes the IP payload holds.
            cx.malformed(Proto::Udp, "bad UDP length (> IP payload length)");
        }
        LenCheck::Ok | LenCheck::Jumbo => {}
    }
    cx.limit = limit;
    if end < limit {
        Next::App(end)
    } else {
        Next::Done
    }
}

fn index_of(pkt: &Packet<'_>, l: &Layer) -> usize {
    pkt.layers
        .iter()
        .position(|x| x == l)
        .unwrap_or(pkt.layers.len())
}

pub fn fields(pkt: &Packet<'_>, l: &Layer, out: &mut dyn FieldSink) {
    let o = l.start as usize;
    let b = pkt.bytes(l.header());
    let Some((sport, dport)) = super::ports(b) else {
        return;
    };
    let mut title = arrayvec::ArrayString::<96>::new();
    if out.tree() {
        let _ = std::fmt::Write::write_fmt(
            &mut title,
            format_args!("User Datagram Protocol, Src Port: {sport}, Dst Port: {dport}"),
        );
    }
    out.layer("udp", &title, l.header());
    out.put(
        "udp.srcport",
        "Source Port",
        Value::U(sport as u64),
        o..o + 2,
    );
    out.put(
        "udp.dstport",
        "Destination Port",
        Value::U(dport as u64),
        o + 2..o + 4,
    );
    out.put(
        "udp.port",
        "Source or Destination Port",
        Value::U(sport as u64),
        o..o + 2,
    );
    out.put(
        "udp.port",
        "Source or Destination Port",
        Value::U(dport as u64),
        o + 2..o + 4,
    );
    let Some(h) = UdpHeader::new(b) else { return };
    let idx = index_of(pkt, l);
    let ulen = h.length() as usize;
    out.put("udp.length", "Length", Value::U(ulen as u64), o + 4..o + 6);
    let (check, _) = check_len(pkt, idx, o, ulen);
    if check == LenCheck::TooShort {
        return;
    }
    let cs = h.checksum();
    out.put(
        "udp.checksum",
        "Checksum",
        Value::Hex(cs as u64, 4),
        o + 6..o + 8,
    );
    // RFC 768 lets IPv4 omit the checksum (0); RFC 8200 forbids that over IPv6.
    let (status, note) = match cs {
        0 if over_ipv6(pkt, idx) => (4, "Illegal"),
        0 => (3, "Not present"),
        _ => (2, "Unverified"),
    };
    out.put_note(
        "udp.checksum.status",
        "Checksum Status",
        Value::U(status),
        o..o,
        note,
    );
    if let Some(s) = pkt.flow.stream_at(idx) {
        out.put("udp.stream", "Stream index", Value::U(s as u64), o..o);
    }
    if ulen > HEADER_LEN || check == LenCheck::Jumbo {
        // tshark shows the whole IP payload here, even past a short length field.
        let ip_limit = idx
            .checked_sub(1)
            .and_then(|i| pkt.layers.get(i))
            .map_or(l.limit, |p| p.limit.max(l.limit));
        let p = l.end as usize..(ip_limit as usize).max(l.end as usize);
        if !p.is_empty() {
            out.put(
                "udp.payload",
                "UDP payload",
                Value::Bytes(pkt.bytes(p.clone())),
                p,
            );
        }
    }
}

/// `41234 → 53 Len=30`
pub fn info(pkt: &Packet<'_>, l: &Layer, w: &mut Vec<u8>) {
    let b = pkt.bytes(l.header());
    let Some((sport, dport)) = super::ports(b) else {
        return;
    };
    let mut it = itoa::Buffer::new();
    w.extend_from_slice(it.format(sport).as_bytes());
    w.extend_from_slice(" → ".as_bytes());
    w.extend_from_slice(it.format(dport).as_bytes());
    let Some(h) = UdpHeader::new(b) else { return };
    let ulen = h.length() as usize;
    let (check, reported) = check_len(pkt, index_of(pkt, l), l.start as usize, ulen);
    match check {
        LenCheck::TooShort => {
            let _ = write!(w, " [BAD UDP LENGTH {ulen} < 8]");
            return;
        }
        LenCheck::TooLong => {
            let _ = write!(
                w,
                " [BAD UDP LENGTH {ulen} > IP PAYLOAD LENGTH] Len={}",
                ulen - HEADER_LEN
            );
        }
        LenCheck::Jumbo => {
            let n = reported.unwrap_or(l.limit.saturating_sub(l.start) as usize);
            let _ = write!(w, " Len={} [Jumbogram]", n.saturating_sub(HEADER_LEN));
        }
        LenCheck::Ok => {
            let _ = write!(w, " Len={}", ulen - HEADER_LEN);
        }
    }
    if h.checksum() == 0 && over_ipv6(pkt, index_of(pkt, l)) {
        w.extend_from_slice(b" [ILLEGAL CHECKSUM (0)]");
    }
}

/// Every field this file's decoders emit, as Wireshark registers them.
pub const FIELDS: &[crate::dissect::decl::FieldDef] = {
    use crate::dissect::decl::{f, FieldType::*};
    &[
        f("udp.checksum", Uint, "Checksum"),
        f("udp.checksum.status", Uint, "Checksum Status"),
        f("udp.dstport", Uint, "Destination Port"),
        f("udp.length", Uint, "Length"),
        f("udp.payload", Bytes, "Payload"),
        f("udp.port", Uint, "Source or Destination Port"),
        f("udp.srcport", Uint, "Source Port"),
        f("udp.stream", Uint, "Stream index"),
    ]
};

/// User Datagram Protocol: names, place in the layer model, how it is reached, decoders.
pub static DECL: crate::dissect::decl::Decl = {
    use crate::dissect::decl::{Decl, Reach, Tier};
    Decl {
        filter_name: "udp",
        name: "User Datagram Protocol",
        display: "UDP",
        short: "UDP",
        tier: Tier::Transport,
        reached: &[Reach::IpProto(17)],
        dissect,
        fields,
        info: Some(info),
        pdu_len: None,
        field_tables: &[FIELDS],
    }
};

#[cfg(test)]
mod tests {
    //! Expected values from tshark 4.0.17 on the same datagrams (ports chosen
    //! so tshark does not hand the payload to an application dissector).
    use crate::dissect::IssueKind;
    use crate::flow::testutil::*;
    use crate::flow::FlowTracker;

    fn run(frames: &[Vec<u8>]) -> Vec<(Collect, String, Option<IssueKind>)> {
        let mut ft = FlowTracker::default();
        frames
            .iter()
            .map(|f| {
                let mut pkt = decode(f, f.len() as u32, 1);
                ft.observe(&mut pkt);
                (fields(&pkt), info(&pkt), pkt.issue.map(|i| i.kind))
            })
            .collect()
    }

    fn v4(u: Vec<u8>) -> Vec<u8> {
        eth_frame(&ip4(&u, C4, S4, 17, None), 0x0800)
    }

    #[test]
    fn lengths_as_tshark_reads_them() {
        let x30 = [b'x'; 30];
        let frames = vec![
            v4(udp_dgram(40000, 40001, &x30, None, 0xabcd)),
            v4(udp_dgram(40000, 40001, &x30, Some(60), 0xabcd)),
            v4(udp_dgram(40000, 40001, &x30, Some(20), 0xabcd)),
            eth_frame(
                &ip6(
                    &udp_dgram(40000, 40001, &[b'z'; 10], Some(0), 0xabcd),
                    1,
                    2,
                    17,
                ),
                0x86dd,
            ),
            v4(udp_dgram(40000, 40001, &x30, Some(8), 0xabcd)),
            v4(udp_dgram(41234, 53, &x30, Some(4), 0xabcd)),
            v4(udp_dgram(41234, 53, &[], None, 0)),
            eth_frame(
                &ip6(&udp_dgram(40000, 40001, b"abc", None, 0), 1, 2, 17),
                0x86dd,
            ),
        ];
        let r = run(&frames);
        let x30h = "78".repeat(30);

        assert_eq!(r[0].1, "40000 → 40001 Len=30");
        for (n, v) in [
            ("udp.srcport", "40000"),
            ("udp.dstport", "40001"),
            ("udp.port", "40000,40001"),
            ("udp.length", "38"),
            ("udp.checksum", "0xabcd"),
            ("udp.checksum.status", "2"),
            ("udp.stream", "0"),
            ("udp.payload", x30h.as_str()),
            ("data.data", x30h.as_str()),
        ] {
            assert_eq!(r[0].0.get(n), v, "{n}");
        }
        assert_eq!(
            r[1].1,
            "40000 → 40001 [BAD UDP LENGTH 60 > IP PAYLOAD LENGTH] Len=52"
        );
        assert_eq!(r[1].0.get("udp.stream"), "0");
        assert_eq!(r[1].0.get("udp.payload"), x30h);
        assert_eq!(r[1].2, Some(IssueKind::Malformed));
        // A short length field limits the data, yet tshark's udp.payload shows the IP payload.
        assert_eq!(r[2].1, "40000 → 40001 Len=12");
        assert_eq!(r[2].0.get("udp.payload"), x30h);
        assert_eq!(r[2].0.get("data.data"), "78".repeat(12));
        assert_eq!(r[2].2, None);
        assert_eq!(r[3].1, "40000 → 40001 Len=10 [Jumbogram]");
        assert_eq!(r[3].0.get("udp.length"), "0");
        assert_eq!(r[3].0.get("udp.stream"), "1");
        assert_eq!(r[3].0.get("data.data"), "7a".repeat(10));
        assert_eq!(r[4].1, "40000 → 40001 Len=0");
        assert_eq!(r[4].0.get("udp.payload"), "");
        assert_eq!(r[4].0.get("data.data"), "");
        assert_eq!(r[5].1, "41234 → 53 [BAD UDP LENGTH 4 < 8]");
        assert_eq!(r[5].0.get("udp.length"), "4");
        assert_eq!(r[5].0.get("udp.checksum"), "");
        assert_eq!(r[5].0.get("udp.stream"), "");
        assert_eq!(r[5].2, Some(IssueKind::Malformed));
        assert_eq!(r[6].1, "41234 → 53 Len=0");
        assert_eq!(r[6].0.get("udp.checksum.status"), "3");
        assert_eq!(r[6].0.get("udp.stream"), "2");
        assert_eq!(r[7].1, "40000 → 40001 Len=3 [ILLEGAL CHECKSUM (0)]");
        assert_eq!(r[7].0.get("udp.checksum.status"), "4");
    }

    #[test]
    fn cut_header_keeps_ports() {
        let full = v4(udp_dgram(41234, 53, &[b'x'; 30], None, 0xabcd));
        let mut pkt = decode(&full[..38], full.len() as u32, 1);
        FlowTracker::default().observe(&mut pkt);
        assert_eq!(info(&pkt), "41234 → 53");
        assert_eq!(fields(&pkt).get("udp.port"), "41234,53");
        assert_eq!(fields(&pkt).get("udp.stream"), "");
        assert_eq!(pkt.issue.map(|i| i.kind), Some(IssueKind::Truncated));
        for cut in 0..full.len() {
            let mut pkt = decode(&full[..cut], cut as u32, 1);
            FlowTracker::default().observe(&mut pkt);
            let _ = (fields(&pkt), info(&pkt));
        }
    }
}
