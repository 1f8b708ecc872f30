//! MPLS label stacks (RFC 3032): 4 bytes per label, until the
//! bottom-of-stack bit; the payload's version nibble says IPv4 or IPv6.

use crate::dissect::{Cx, FieldSink, Layer, Next, Packet, Proto, SinkExt, Value};

/// Most labels read from one stack; deeper stacks are marked malformed.
const MAX_LABELS: usize = 16;

pub fn dissect(cx: &mut Cx<'_, '_>, off: usize) -> Next {
    let b = cx.rest(off);
    let mut n = 0;
    loop {
        let Some(e) = b.get(n * 4..n * 4 + 4) else {
            if n > 0 {
                cx.push(Proto::Mpls, off, off + n * 4, cx.limit);
            }
            cx.short(Proto::Mpls, "MPLS label stack cut short");
            return Next::Done;
        };
        n += 1;
        if e[2] & 1 != 0 {
            break;
        }
        if n == MAX_LABELS {
            cx.push(Proto::Mpls, off, off + n * 4, cx.limit);
            cx.malformed(Proto::Mpls, "MPLS label stack too deep");
            return Next::Done;
        }
    }
    let end = off + n * 4;
    if !cx.push(Proto::Mpls, off, end, cx.limit) {
        return Next::Done;
    }
    match b.get(n * 4).map(|v| v >> 4) {
        Some(4) => Next::Proto(Proto::Ip, end),
        Some(6) => Next::Proto(Proto::Ipv6, end),
        Some(_) => Next::Proto(Proto::Data, end),
        None => Next::Done,
    }
}

pub fn fields(pkt: &Packet<'_>, l: &Layer, out: &mut dyn FieldSink) {
    let o = l.start as usize;
    out.layer("mpls", "MultiProtocol Label Switching Header", l.header());
    for (i, e) in pkt.bytes(l.header()).chunks_exact(4).enumerate() {
        let at = o + i * 4;
        let w = u32::from_be_bytes([e[0], e[1], e[2], e[3]]);
        out.put(
            "mpls.label",
            "MPLS Label",
            Value::U((w >> 12) as u64),
            at..at + 3,
        );
        out.put(
            "mpls.exp",
            "MPLS Experimental Bits",
            Value::U(((w >> 9) & 7) as u64),
            at + 2..at + 3,
        );
        out.put(
            "mpls.bottom",
            "MPLS Bottom Of Label Stack",
            Value::U(((w >> 8) & 1) as u64),
            at + 2..at + 3,
        );
        out.put(
            "mpls.ttl",
            "MPLS TTL",
            Value::U((w & 0xff) as u64),
            at + 3..at + 4,
        );
    }
}

/// Every field this file's decoders emit, as Wireshark registers them.
pub const FIELDS: &[crate::dissect::decl::FieldDef] = {
    use crate::dissect::decl::{f, FieldType::*};
    &[
        f("mpls.bottom", Uint, "MPLS Bottom Of Label Stack"),
        f("mpls.exp", Uint, "MPLS Experimental Bits"),
        f("mpls.label", Uint, "MPLS Label"),
        f("mpls.ttl", Uint, "MPLS TTL"),
    ]
};

/// MultiProtocol Label Switching Header: names, place in the layer model, how it is reached, decoders.
pub static DECL: crate::dissect::decl::Decl = {
    use crate::dissect::decl::{Decl, Reach, Tier};
    Decl {
        filter_name: "mpls",
        name: "MultiProtocol Label Switching Header",
        display: "MPLS",
        short: "MPLS",
        tier: Tier::Link,
        reached: &[
            Reach::Ethertype(0x8847),
            Reach::Ethertype(0x8848),
            Reach::UdpPort(6635),
        ],
        dissect,
        fields,
        info: None,
        pdu_len: None,
        field_tables: &[FIELDS],
    }
};

#[cfg(test)]
mod tests {
    use crate::dissect::{dissect, Proto};
    use crate::source::{Frame, Timestamp};

    #[test]
    fn label_stack_then_ipv4() {
        // Ethernet, MPLS label 29 / exp 6 / S / TTL 255 (zeek mixed-vlan-mpls.pcap), IPv4.
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&[0x88, 0x47, 0x00, 0x01, 0xdd, 0xff]);
        f.extend_from_slice(&[
            0x45, 0, 0, 20, 0, 0, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
        ]);
        let fr = Frame {
            ts: Timestamp::default(),
            wire_len: f.len() as u32,
            linktype: 1,
            interface: 0,
            ts_digits: 6,
            bytes: &f,
        };
        let p = dissect(&fr, 1, Timestamp::default());
        let protos: Vec<_> = p.layers.iter().map(|l| l.proto).collect();
        assert_eq!(protos, [Proto::Eth, Proto::Mpls, Proto::Ip]);
        let mut c = crate::output::collect::Collected::with_only(None);
        c.fill(&p);
        let get = |n: &str| {
            c.entries
                .iter()
                .find(|e| e.name == n)
                .map(|e| String::from_utf8_lossy(c.value(e)).into_owned())
        };
        assert_eq!(get("mpls.label").as_deref(), Some("29"));
        assert_eq!(get("mpls.exp").as_deref(), Some("6"));
        assert_eq!(get("mpls.bottom").as_deref(), Some("1"));
        assert_eq!(get("mpls.ttl").as_deref(), Some("255"));
    }
}
