//! Network Service Header (RFC 8300), as VXLAN-GPE carries it: a base
//! header (version, O bit, TTL, length in 4-byte words, MD type, next
//! protocol), the service path header (SPI, SI), then context: 16 bytes
//! for MD type 1, TLVs for MD type 2.

use crate::dissect::bytes::{be16_or0, be24};
use crate::dissect::{Cx, FieldSink, Layer, Next, Packet, Proto, SinkExt, Value};

pub fn dissect(cx: &mut Cx<'_, '_>, off: usize) -> Next {
    let b = cx.rest(off);
    let words = (be16_or0(b, 0) & 0x3f) as usize;
    if b.len() >= 8 && words < 2 {
        cx.push(Proto::Nsh, off, off + 8, cx.limit);
        cx.malformed(Proto::Nsh, "NSH length below its base header");
        return Next::Done;
    }
    let Some(end) = super::header(cx, Proto::Nsh, off, (words * 4).max(8)) else {
        return Next::Done;
    };
    match b[3] {
        1 => Next::Proto(Proto::Ip, end),
        2 => Next::Proto(Proto::Ipv6, end),
        3 => Next::Proto(Proto::Eth, end),
        4 => Next::Proto(Proto::Nsh, end),
        5 => Next::Proto(Proto::Mpls, end),
        _ => Next::Proto(Proto::Data, end),
    }
}

pub fn fields(pkt: &Packet<'_>, l: &Layer, out: &mut dyn FieldSink) {
    let o = l.start as usize;
    let b = pkt.bytes(l.header());
    out.layer("nsh", "Network Service Header", l.header());
    if b.len() < 8 {
        return;
    }
    let w = be16_or0(b, 0);
    let r = o..o + 2;
    out.put(
        "nsh.version",
        "Version",
        Value::U((w >> 14) as u64),
        r.clone(),
    );
    out.put(
        "nsh.Obit",
        "O Bit",
        Value::U(((w >> 13) & 1) as u64),
        r.clone(),
    );
    out.put(
        "nsh.CBit",
        "C Bit",
        Value::U(((w >> 12) & 1) as u64),
        r.clone(),
    );
    out.put(
        "nsh.ttl",
        "Time to live",
        Value::Hex(((w >> 6) & 0x3f) as u64, 4),
        r.clone(),
    );
    out.put("nsh.length", "Length", Value::U((w & 0x3f) as u64), r);
    let md = b[2] & 0x0f;
    out.put("nsh.mdtype", "MD Type", Value::U(md as u64), o + 2..o + 3);
    out.put(
        "nsh.nextproto",
        "Next Protocol",
        Value::U(b[3] as u64),
        o + 3..o + 4,
    );
    out.put(
        "nsh.spi",
        "SPI",
        Value::U(be24(b, 4).unwrap_or(0) as u64),
        o + 4..o + 7,
    );
    out.put("nsh.si", "SI", Value::U(b[7] as u64), o + 7..o + 8);
    let ctx = &b[8..];
    if md == 1 {
        out.put(
            "nsh.contextheader",
            "Context Header",
            Value::Bytes(ctx),
            o + 8..o + b.len(),
        );
        return;
    }
    let mut at = 0;
    while at + 4 <= ctx.len() {
        let p = o + 8 + at;
        let len = (ctx[at + 3] & 0x7f) as usize;
        out.put(
            "nsh.metadataclass",
            "TLV Class",
            Value::U(be16_or0(ctx, at) as u64),
            p..p + 2,
        );
        out.put(
            "nsh.metadatatype",
            "Type",
            Value::U(ctx[at + 2] as u64),
            p + 2..p + 3,
        );
        out.put(
            "nsh.metadataunassignedbit",
            "Unassigned Bit",
            Value::Hex((ctx[at + 3] >> 7) as u64, 2),
            p + 3..p + 4,
        );
        out.put(
            "nsh.metadatalen",
            "Length",
            Value::Hex(len as u64, 2),
            p + 3..p + 4,
        );
        // As Wireshark 4.0 shows it: `len` bytes of the `len` words.
        let v = ctx.get(at + 4..at + 4 + len).unwrap_or(&[]);
        out.put(
            "nsh.metadata",
            "Variable Metadata",
            Value::Bytes(v),
            p + 4..p + 4 + v.len(),
        );
        at += 4 + len * 4;
    }
}

/// Every field this file's decoder emits, as Wireshark registers them.
pub const FIELDS: &[crate::dissect::decl::FieldDef] = {
    use crate::dissect::decl::{f, FieldType::*};
    &[
        f("nsh.version", Uint, "Version"),
        f("nsh.Obit", Uint, "O Bit"),
        f("nsh.CBit", Uint, "C Bit"),
        f("nsh.ttl", Uint, "Time to live"),
        f("nsh.length", Uint, "Length"),
        f("nsh.mdtype", Uint, "MD Type"),
        f("nsh.nextproto", Uint, "Next Protocol"),
        f("nsh.spi", Uint, "SPI"),
        f("nsh.si", Uint, "SI"),
        f("nsh.contextheader", Bytes, "Context Header"),
        f("nsh.metadataclass", Uint, "TLV Class"),
        f("nsh.metadatatype", Uint, "Type"),
        f("nsh.metadataunassignedbit", Uint, "Unassigned Bit"),
        f("nsh.metadatalen", Uint, "Length"),
        f("nsh.metadata", Bytes, "Variable Metadata"),
    ]
};

/// Network Service Header: names, place in the layer model, how it is reached, decoders.
pub static DECL: crate::dissect::decl::Decl = {
    use crate::dissect::decl::{Decl, Reach, Tier};
    Decl {
        filter_name: "nsh",
        name: "Network Service Header",
        display: "NSH",
        short: "NSH",
        tier: Tier::Network,
        reached: &[Reach::Ethertype(0x894f)],
        dissect,
        fields,
        info: None,
        pdu_len: None,
        field_tables: &[FIELDS],
    }
};
