//! BSD loopback encapsulation: LINKTYPE_NULL (a 4-byte AF_ value in the
//! capturing host's byte order) and LINKTYPE_LOOP (the same in network order).
//!
//! For NULL the byte order is unknown, so the value is read the way
//! Wireshark reads it on a little-endian host and then repaired as it does:
//! AF_ values are small, so a value with high bits set was written by a
//! host of the other byte order (or is an IRIX 2+2-byte header, or an old
//! Linux header holding an EtherType).

use crate::dissect::ethertype;
use crate::dissect::{linktype, Cx, FieldSink, Layer, Next, Packet, Proto, SinkExt, Value};

pub const HEADER_LEN: usize = 4;
/// Largest IEEE 802.3 length; anything above is an EtherType.
const MAX_802_3_LEN: u32 = 1500;

/// What the 4-byte header says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Family {
    /// A BSD AF_ value (`null.family`).
    Af(u32),
    /// An EtherType (`null.type`), as old Linux captures wrote.
    Ethertype(u16),
    /// `ff 03`: PPP in HDLC-like framing, which layerscope leaves undecoded.
    PppHdlc,
}

fn family(linktype: u32, b: &[u8]) -> Option<Family> {
    let h: [u8; 4] = b.get(..HEADER_LEN)?.try_into().ok()?;
    if linktype == linktype::LOOP {
        return Some(Family::Af(u32::from_be_bytes(h)));
    }
    if h[0] == 0xff && h[1] == 0x03 {
        return Some(Family::PppHdlc);
    }
    let mut v = u32::from_le_bytes(h);
    if v & 0xffff_0000 != 0 {
        if v & 0xff00_0000 == 0 && v & 0x00ff_0000 < 0x0006_0000 {
            // IRIX/UNICOS snoop: a 16-bit AF_ value in the upper half.
            v >>= 16;
        } else {
            v = v.swap_bytes();
        }
    } else if v & 0xff == 0 && v & 0xff00 < 0x0600 {
        // IRIX/UNICOS snoop header read in the other byte order.
        v = ((v & 0xffff) as u16).swap_bytes() as u32;
    }
    Some(if v > MAX_802_3_LEN {
        Family::Ethertype(v as u16)
    } else {
        Family::Af(v)
    })
}

pub fn dissect(cx: &mut Cx<'_, '_>, off: usize) -> Next {
    let Some(f) = family(cx.pkt.linktype, cx.rest(off)) else {
        cx.short(Proto::Null, "loopback header cut short");
        return Next::Done;
    };
    let end = off + HEADER_LEN;
    if !cx.push(Proto::Null, off, end, cx.limit) {
        return Next::Done;
    }
    match f {
        Family::Af(2) => Next::Proto(Proto::Ip, end),
        // AF_INET6 differs by BSD: 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (Darwin).
        Family::Af(24 | 28 | 30) => Next::Proto(Proto::Ipv6, end),
        Family::Ethertype(t) => Next::Ethertype(t, end),
        Family::Af(_) | Family::PppHdlc => Next::Proto(Proto::Data, end),
    }
}

pub fn fields(pkt: &Packet<'_>, l: &Layer, out: &mut dyn FieldSink) {
    let o = l.start as usize;
    let Some(f) = family(pkt.linktype, pkt.bytes(l.header())) else {
        return;
    };
    out.layer("null", "Null/Loopback", l.header());
    let r = o..o + HEADER_LEN;
    match f {
        Family::Af(v) => out.put_note(
            "null.family",
            "Family",
            Value::U(v as u64),
            r,
            family_name(v),
        ),
        Family::Ethertype(t) => {
            let name = ethertype::name(t);
            out.put_note("null.type", "Type", Value::Hex(t as u64, 4), r, name)
        }
        Family::PppHdlc => {}
    }
}

fn family_name(v: u32) -> &'static str {
    match v {
        2 => "IP",
        7 => "OSI",
        16 => "Appletalk",
        23 => "Netware IPX/SPX",
        24 | 28 | 30 => "IPv6",
        _ => "",
    }
}

/// Wireshark's Info when nothing above the header sets it.
pub fn info(_pkt: &Packet<'_>, _l: &Layer, w: &mut Vec<u8>) {
    w.extend_from_slice(b"Null/Loopback");
}

/// Every field this file's decoders emit, as Wireshark registers them.
pub const FIELDS: &[crate::dissect::decl::FieldDef] = {
    use crate::dissect::decl::{f, FieldType::*};
    &[
        f("null.family", Uint, "Family"),
        f("null.type", Uint, "Type"),
    ]
};

/// Null/Loopback: names, place in the layer model, how it is reached, decoders.
pub static DECL: crate::dissect::decl::Decl = {
    use crate::dissect::decl::{Decl, Reach, Tier};
    Decl {
        filter_name: "null",
        name: "Null/Loopback",
        display: "Null",
        short: "Null",
        tier: Tier::Link,
        reached: &[Reach::LinkType(0), Reach::LinkType(108)],
        dissect,
        fields,
        info: Some(info),
        pdu_len: None,
        field_tables: &[FIELDS],
    }
};

#[cfg(test)]
mod tests {
    use crate::dissect::link::testutil::{hex, run};
    use crate::dissect::linktype::{LOOP, NULL};

    fn fam(lt: u32, h: &str) -> (String, String, String) {
        let o = run(lt, &hex(h), hex(h).len());
        (o.get("null.family"), o.get("null.type"), o.protocols)
    }

    // Expected values: tshark 4.0.17 on the same bytes.
    #[test]
    fn either_byte_order_and_odd_headers() {
        let s = |a: &str, b: &str| (a.to_string(), b.to_string());
        let f = |lt, h| {
            let (a, b, _) = fam(lt, h);
            (a, b)
        };
        assert_eq!(f(NULL, "02000000 4500"), s("2", ""));
        assert_eq!(f(NULL, "00000002 4500"), s("2", ""));
        assert_eq!(f(NULL, "1e000000 6000"), s("30", ""));
        assert_eq!(f(NULL, "00020000 45"), s("2", ""));
        assert_eq!(f(NULL, "00001800 60"), s("", "0x1800"));
        assert_eq!(f(NULL, "0000 0800 4500"), s("", "0x0800"));
        assert_eq!(f(NULL, "08000000 4500"), s("8", ""));
        assert_eq!(f(LOOP, "00000002 4500"), s("2", ""));
        assert_eq!(f(LOOP, "02000000 4500"), s("33554432", ""));
        assert_eq!(f(LOOP, "00000018 60"), s("24", ""));
        assert_eq!(fam(LOOP, "02000000 4500").2, "null:data");
        assert_eq!(fam(NULL, "08000000 4500").2, "null:data");
        assert_eq!(run(NULL, &hex("08000000 4500"), 6).info, "Null/Loopback");
    }

    #[test]
    fn cut_short_never_panics() {
        for n in 0..4 {
            assert!(run(NULL, &hex("02000000")[..n], 4).issue);
        }
    }
}
