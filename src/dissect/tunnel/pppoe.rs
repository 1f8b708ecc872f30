//! PPP over Ethernet (RFC 2516): discovery (EtherType 0x8863: PADI, PADO,
//! PADR, PADS, PADT with tags) and session (0x8864: PPP inside).

use crate::dissect::bytes::be16_or0;
use crate::dissect::{Cx, FieldSink, Layer, Next, Packet, Proto, SinkExt, Value};

pub const HEADER_LEN: usize = 6;

fn dissect_with(cx: &mut Cx<'_, '_>, off: usize, p: Proto) -> Next {
    let Some(end) = super::header(cx, p, off, HEADER_LEN) else {
        return Next::Done;
    };
    let b = cx.rest(off);
    let plen = be16_or0(b, 4) as usize;
    if end + plen > cx.limit {
        cx.malformed(p, "PPPoE payload length exceeds the frame");
    } else {
        cx.limit = end + plen;
        if let Some(l) = cx.pkt.layers.last_mut() {
            l.limit = (end + plen) as u32;
        }
    }
    if p == Proto::Pppoes {
        Next::Proto(Proto::Ppp, end)
    } else {
        Next::Done
    }
}

pub fn dissect_discovery(cx: &mut Cx<'_, '_>, off: usize) -> Next {
    dissect_with(cx, off, Proto::Pppoed)
}

pub fn dissect_session(cx: &mut Cx<'_, '_>, off: usize) -> Next {
    dissect_with(cx, off, Proto::Pppoes)
}

fn code_name(c: u8) -> &'static str {
    match c {
        0x09 => "Active Discovery Initiation (PADI)",
        0x07 => "Active Discovery Offer (PADO)",
        0x19 => "Active Discovery Request (PADR)",
        0x65 => "Active Discovery Session-confirmation (PADS)",
        0xa7 => "Active Discovery Terminate (PADT)",
        0x00 => "Session Data",
        _ => "Unknown",
    }
}

fn common(pkt: &Packet<'_>, l: &Layer, out: &mut dyn FieldSink) {
    let o = l.start as usize;
    let b = pkt.bytes(l.header());
    if b.len() < HEADER_LEN {
        return;
    }
    out.put(
        "pppoe.version",
        "Version",
        Value::U((b[0] >> 4) as u64),
        o..o + 1,
    );
    out.put(
        "pppoe.type",
        "Type",
        Value::U((b[0] & 0xf) as u64),
        o..o + 1,
    );
    out.put_note(
        "pppoe.code",
        "Code",
        Value::Hex(b[1] as u64, 2),
        o + 1..o + 2,
        code_name(b[1]),
    );
    out.put(
        "pppoe.session_id",
        "Session ID",
        Value::Hex(be16_or0(b, 2) as u64, 4),
        o + 2..o + 4,
    );
    out.put(
        "pppoe.payload_length",
        "Payload Length",
        Value::U(be16_or0(b, 4) as u64),
        o + 4..o + 6,
    );
}

pub fn fields_discovery(pkt: &Packet<'_>, l: &Layer, out: &mut dyn FieldSink) {
    out.layer("pppoed", "PPP-over-Ethernet Discovery", l.extent());
    common(pkt, l, out);
    let tags = pkt.bytes(l.payload());
    let base = l.end as usize;
    let mut at = 0;
    while at + 4 <= tags.len() {
        let (t, len) = (be16_or0(tags, at), be16_or0(tags, at + 2) as usize);
        let v = &tags[at + 4..(at + 4 + len).min(tags.len())];
        let r = base + at + 4..base + at + 4 + v.len();
        let s = std::str::from_utf8(v).unwrap_or("");
        match t {
            0x0000 => break,
            0x0101 => out.put("pppoed.tags.service_name", "Service-Name", Value::Str(s), r),
            0x0102 => out.put("pppoed.tags.ac_name", "AC-Name", Value::Str(s), r),
            0x0103 => out.put("pppoed.tags.host_uniq", "Host-Uniq", Value::Bytes(v), r),
            0x0104 => out.put("pppoed.tags.ac_cookie", "AC-Cookie", Value::Bytes(v), r),
            0x0110 => out.put(
                "pppoed.tags.relay_session_id",
                "Relay-Session-Id",
                Value::Bytes(v),
                r,
            ),
            _ => {}
        }
        at += 4 + len;
    }
}

pub fn fields_session(pkt: &Packet<'_>, l: &Layer, out: &mut dyn FieldSink) {
    out.layer("pppoes", "PPP-over-Ethernet Session", l.header());
    common(pkt, l, out);
}

/// `Active Discovery Initiation (PADI)`
pub fn info_discovery(pkt: &Packet<'_>, l: &Layer, w: &mut Vec<u8>) {
    if let Some(&c) = pkt.bytes(l.header()).get(1) {
        w.extend_from_slice(code_name(c).as_bytes());
    }
}

/// Every field the discovery decoder emits, as Wireshark registers them.
pub const FIELDS: &[crate::dissect::decl::FieldDef] = {
    use crate::dissect::decl::{f, FieldType::*};
    &[
        f("pppoe.version", Uint, "Version"),
        f("pppoe.type", Uint, "Type"),
        f("pppoe.code", Uint, "Code"),
        f("pppoe.session_id", Uint, "Session ID"),
        f("pppoe.payload_length", Uint, "Payload Length"),
    ]
};

/// Discovery tags.
pub const TAGS: &[crate::dissect::decl::FieldDef] = {
    use crate::dissect::decl::{f, FieldType::*};
    &[
        f("pppoed.tags.service_name", Str, "Service-Name"),
        f("pppoed.tags.ac_name", Str, "AC-Name"),
        f("pppoed.tags.host_uniq", Bytes, "Host-Uniq"),
        f("pppoed.tags.ac_cookie", Bytes, "AC-Cookie"),
        f("pppoed.tags.relay_session_id", Bytes, "Relay-Session-Id"),
    ]
};

/// PPPoE discovery: names, place in the layer model, how it is reached, decoders.
pub static DISCOVERY: crate::dissect::decl::Decl = {
    use crate::dissect::decl::{Decl, Reach, Tier};
    Decl {
        filter_name: "pppoed",
        name: "PPP-over-Ethernet Discovery",
        display: "PPPoED",
        short: "PPPoED",
        tier: Tier::Link,
        reached: &[Reach::Ethertype(0x8863)],
        dissect: dissect_discovery,
        fields: fields_discovery,
        info: Some(info_discovery),
        pdu_len: None,
        field_tables: &[FIELDS, TAGS],
    }
};

/// PPPoE session: names, place in the layer model, how it is reached, decoders.
pub static SESSION: crate::dissect::decl::Decl = {
    use crate::dissect::decl::{Decl, Reach, Tier};
    Decl {
        filter_name: "pppoes",
        name: "PPP-over-Ethernet Session",
        display: "PPPoES",
        short: "PPPoES",
        tier: Tier::Link,
        reached: &[Reach::Ethertype(0x8864)],
        dissect: dissect_session,
        fields: fields_session,
        info: None,
        pdu_len: None,
        field_tables: &[FIELDS],
    }
};
