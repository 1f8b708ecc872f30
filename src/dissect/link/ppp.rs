//! PPP frames (RFC 1661, HDLC-like framing of RFC 1662): address, control,
//! then the protocol number that names the payload.

use crate::dissect::{Cx, FieldSink, Layer, Next, Packet, Proto, SinkExt, Value};

/// Where the protocol field starts and how long it is (RFC 1661 allows
/// address/control and one protocol byte to be compressed away).
fn layout(b: &[u8]) -> Option<(usize, usize)> {
    let at = if b.starts_with(&[0xff, 0x03]) || b.first() == Some(&0xff) {
        2
    } else {
        0
    };
    let first = *b.get(at)?;
    // Protocol numbers are odd in their last byte; an odd first byte means
    // the field was compressed to one byte.
    let len = if first & 1 == 1 { 1 } else { 2 };
    (b.len() >= at + len).then_some((at, len))
}

fn protocol(b: &[u8], at: usize, len: usize) -> u16 {
    match len {
        1 => b[at] as u16,
        _ => u16::from_be_bytes([b[at], b[at + 1]]),
    }
}

pub fn dissect(cx: &mut Cx<'_, '_>, off: usize) -> Next {
    let b = cx.rest(off);
    let Some((at, len)) = layout(b) else {
        cx.push(Proto::Ppp, off, off + b.len(), cx.limit);
        cx.short(Proto::Ppp, "PPP header cut short");
        return Next::Done;
    };
    let end = off + at + len;
    if !cx.push(Proto::Ppp, off, end, cx.limit) {
        return Next::Done;
    }
    match protocol(b, at, len) {
        0x0021 => Next::Proto(Proto::Ip, end),
        0x0057 => Next::Proto(Proto::Ipv6, end),
        _ => Next::Proto(Proto::Data, end),
    }
}

pub fn fields(pkt: &Packet<'_>, l: &Layer, out: &mut dyn FieldSink) {
    let o = l.start as usize;
    let b = pkt.bytes(l.header());
    out.layer("ppp", "Point-to-Point Protocol", l.header());
    let Some((at, len)) = layout(b) else { return };
    if at == 2 {
        out.put(
            "ppp.address",
            "Address",
            Value::Hex(b[0] as u64, 2),
            o..o + 1,
        );
        out.put(
            "ppp.control",
            "Control",
            Value::Hex(b[1] as u64, 2),
            o + 1..o + 2,
        );
    }
    let p = protocol(b, at, len);
    let note = match p {
        0x0021 => "Internet Protocol version 4",
        0x0057 => "Internet Protocol version 6",
        0xc021 => "Link Control Protocol",
        0x8021 => "Internet Protocol Control Protocol",
        _ => "",
    };
    out.put_note(
        "ppp.protocol",
        "Protocol",
        Value::Hex(p as u64, 4),
        o + at..o + at + len,
        note,
    );
}

/// Every field this file's decoders emit, as Wireshark registers them.
pub const FIELDS: &[crate::dissect::decl::FieldDef] = {
    use crate::dissect::decl::{f, FieldType::*};
    &[
        f("ppp.address", Uint, "Address"),
        f("ppp.control", Uint, "Control"),
        f("ppp.protocol", Uint, "Protocol"),
    ]
};

/// Point-to-Point Protocol: names, place in the layer model, how it is reached, decoders.
pub static DECL: crate::dissect::decl::Decl = {
    use crate::dissect::decl::{Decl, Reach, Tier};
    Decl {
        filter_name: "ppp",
        name: "Point-to-Point Protocol",
        display: "PPP",
        short: "PPP",
        tier: Tier::Link,
        reached: &[Reach::LinkType(9), Reach::LinkType(50)],
        dissect,
        fields,
        info: None,
        pdu_len: None,
        field_tables: &[FIELDS],
    }
};
