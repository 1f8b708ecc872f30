//! Cisco ERSPAN over GRE: type I (GRE type 0x88be without a sequence
//! number: no header, the mirrored frame follows), type II (0x88be, 8
//! bytes) and type III (0x22eb, 12 bytes, then an 8-byte platform
//! subheader when the O bit is set). The frame type of type III says
//! whether an Ethernet frame follows.

use crate::dissect::bytes::{be16_or0, be32_or0};
use crate::dissect::{Cx, FieldSink, Layer, Next, Packet, Proto, SinkExt, Value};

/// The ERSPAN type of a layer: from the GRE header right before it.
fn kind(pkt: &Packet<'_>, l: &Layer) -> u8 {
    kind_after(pkt, crate::dissect::link::prev_layer(pkt, l))
}

/// The ERSPAN type the GRE layer `g` announces (0 when `g` is not GRE).
fn kind_after(pkt: &Packet<'_>, g: Option<&Layer>) -> u8 {
    let Some(g) = g.filter(|g| g.proto == Proto::Gre) else {
        return 0;
    };
    let b = pkt.bytes(g.header());
    match be16_or0(b, 2) {
        0x22eb => 3,
        _ if be16_or0(b, 0) & 0x1000 != 0 => 2,
        _ => 1,
    }
}

pub fn dissect(cx: &mut Cx<'_, '_>, off: usize) -> Next {
    let t = kind_after(cx.pkt, cx.pkt.layers.last());
    let b = cx.rest(off);
    let len = match t {
        2 => 8,
        3 if b.get(11).is_some_and(|v| v & 1 != 0) => 20,
        3 => 12,
        _ => 0,
    };
    let Some(end) = super::header(cx, Proto::Erspan, off, len) else {
        return Next::Done;
    };
    if t == 3 && (be16_or0(b, 10) >> 10) & 0x1f != 0 {
        // Frame type other than Ethernet.
        return Next::Proto(Proto::Data, end);
    }
    Next::Proto(Proto::Eth, end)
}

pub fn fields(pkt: &Packet<'_>, l: &Layer, out: &mut dyn FieldSink) {
    let o = l.start as usize;
    let b = pkt.bytes(l.header());
    out.layer(
        "erspan",
        "Encapsulated Remote Switch Packet ANalysis",
        l.header(),
    );
    let t = kind(pkt, l);
    if t < 2 || b.len() < 8 {
        return;
    }
    let w0 = be16_or0(b, 0);
    let w1 = be16_or0(b, 2);
    let u = |name, label, v: u64, r: std::ops::Range<usize>, out: &mut dyn FieldSink| {
        out.put(name, label, Value::U(v), r)
    };
    u(
        "erspan.version",
        "Version",
        (w0 >> 12) as u64,
        o..o + 2,
        out,
    );
    u("erspan.vlan", "Vlan", (w0 & 0xfff) as u64, o..o + 2, out);
    u("erspan.cos", "COS", (w1 >> 13) as u64, o + 2..o + 4, out);
    if t == 2 {
        u(
            "erspan.encap",
            "Encap",
            ((w1 >> 11) & 3) as u64,
            o + 2..o + 4,
            out,
        );
    } else {
        u(
            "erspan.bso",
            "Bad/Short/Oversized",
            ((w1 >> 11) & 3) as u64,
            o + 2..o + 4,
            out,
        );
    }
    u(
        "erspan.truncated",
        "Truncated",
        ((w1 >> 10) & 1) as u64,
        o + 2..o + 4,
        out,
    );
    u(
        "erspan.spanid",
        "SpanID",
        (w1 & 0x3ff) as u64,
        o + 2..o + 4,
        out,
    );
    if t == 2 {
        let w = be32_or0(b, 4);
        u(
            "erspan.reserved",
            "Reserved",
            (w >> 20) as u64,
            o + 4..o + 8,
            out,
        );
        u(
            "erspan.index",
            "Index",
            (w & 0xfffff) as u64,
            o + 4..o + 8,
            out,
        );
        return;
    }
    if b.len() < 12 {
        return;
    }
    u(
        "erspan.timestamp",
        "Timestamp",
        be32_or0(b, 4) as u64,
        o + 4..o + 8,
        out,
    );
    u(
        "erspan.sgt",
        "Security Group Tag",
        be16_or0(b, 8) as u64,
        o + 8..o + 10,
        out,
    );
    let w = be16_or0(b, 10);
    let r = o + 10..o + 12;
    u("erspan.p", "Protocol", (w >> 15) as u64, r.clone(), out);
    u(
        "erspan.ft",
        "Frame Type",
        ((w >> 10) & 0x1f) as u64,
        r.clone(),
        out,
    );
    u(
        "erspan.hw",
        "Hardware ID",
        ((w >> 4) & 0x3f) as u64,
        r.clone(),
        out,
    );
    out.put(
        "erspan.direction",
        "Direction",
        Value::Bool(w & 8 != 0),
        r.clone(),
    );
    u(
        "erspan.gra",
        "Timestamp granularity",
        ((w >> 1) & 3) as u64,
        r.clone(),
        out,
    );
    u("erspan.o", "Optional Sub-headers", (w & 1) as u64, r, out);
    if w & 1 != 0 && b.len() >= 20 {
        let v = be32_or0(b, 12);
        let plat = v >> 26;
        u(
            "erspan.platid",
            "Platform ID",
            plat as u64,
            o + 12..o + 16,
            out,
        );
        let (x, y) = (v & 0x3ff_ffff, be32_or0(b, 16));
        let (r1, r2) = (o + 12..o + 16, o + 16..o + 20);
        match plat {
            1 => {
                u(
                    "erspan.pid1.rsvd1",
                    "Reserved",
                    (x >> 12) as u64,
                    r1.clone(),
                    out,
                );
                u("erspan.pid1.vsmid", "VSM ID", (x & 0xfff) as u64, r1, out);
                u("erspan.pid1.port_index", "Port ID/Index", y as u64, r2, out);
            }
            3 => {
                u(
                    "erspan.pid3.rsvd1",
                    "Reserved",
                    (x >> 16) as u64,
                    r1.clone(),
                    out,
                );
                u(
                    "erspan.pid3.port_index",
                    "Port ID/Index",
                    (x & 0xffff) as u64,
                    r1,
                    out,
                );
                u(
                    "erspan.pid3.timestamp",
                    "Timestamp (seconds)",
                    y as u64,
                    r2,
                    out,
                );
            }
            5 | 6 => {
                u(
                    "erspan.pid5.switchid",
                    "Switch ID",
                    (x >> 16) as u64,
                    r1.clone(),
                    out,
                );
                u(
                    "erspan.pid5.port_index",
                    "Port ID/Index",
                    (x & 0xffff) as u64,
                    r1,
                    out,
                );
                u(
                    "erspan.pid5.timestamp",
                    "Timestamp (seconds)",
                    y as u64,
                    r2,
                    out,
                );
            }
            7 => {
                u(
                    "erspan.pid7.rsvd1",
                    "Reserved",
                    (x >> 16) as u64,
                    r1.clone(),
                    out,
                );
                u(
                    "erspan.pid7.source_index",
                    "Source Index",
                    (x & 0xffff) as u64,
                    r1,
                    out,
                );
                u(
                    "erspan.pid7.timestamp",
                    "Timestamp (seconds)",
                    y as u64,
                    r2,
                    out,
                );
            }
            _ => {
                let all = ((x as u64) << 32) | y as u64;
                u("erspan.pid.rsvd", "Reserved", all, o + 12..o + 20, out);
            }
        }
    }
}

/// Every field this file's decoder emits, as Wireshark registers them.
pub const FIELDS: &[crate::dissect::decl::FieldDef] = {
    use crate::dissect::decl::{f, FieldType::*};
    &[
        f("erspan.version", Uint, "Version"),
        f("erspan.vlan", Uint, "Vlan"),
        f("erspan.cos", Uint, "COS"),
        f("erspan.encap", Uint, "Encap"),
        f("erspan.bso", Uint, "Bad/Short/Oversized"),
        f("erspan.truncated", Uint, "Truncated"),
        f("erspan.spanid", Uint, "SpanID"),
        f("erspan.reserved", Uint, "Reserved"),
        f("erspan.index", Uint, "Index"),
        f("erspan.timestamp", Uint, "Timestamp"),
        f("erspan.sgt", Uint, "Security Group Tag"),
        f("erspan.p", Uint, "Protocol"),
        f("erspan.ft", Uint, "Frame Type"),
        f("erspan.hw", Uint, "Hardware ID"),
        f("erspan.direction", Bool, "Direction"),
        f("erspan.gra", Uint, "Timestamp granularity"),
        f("erspan.o", Uint, "Optional Sub-headers"),
        f("erspan.platid", Uint, "Platform ID"),
        f("erspan.pid1.rsvd1", Uint, "Reserved"),
        f("erspan.pid1.vsmid", Uint, "VSM ID"),
        f("erspan.pid1.port_index", Uint, "Port ID/Index"),
        f("erspan.pid3.rsvd1", Uint, "Reserved"),
        f("erspan.pid3.port_index", Uint, "Port ID/Index"),
        f("erspan.pid3.timestamp", Uint, "Timestamp (seconds)"),
        f("erspan.pid5.switchid", Uint, "Switch ID"),
        f("erspan.pid5.port_index", Uint, "Port ID/Index"),
        f("erspan.pid5.timestamp", Uint, "Timestamp (seconds)"),
        f("erspan.pid7.rsvd1", Uint, "Reserved"),
        f("erspan.pid7.source_index", Uint, "Source Index"),
        f("erspan.pid7.timestamp", Uint, "Timestamp (seconds)"),
        f("erspan.pid.rsvd", Uint, "Reserved"),
    ]
};

/// Encapsulated Remote Switch Packet ANalysis: names, place in the layer model, how it is reached, decoders.
pub static DECL: crate::dissect::decl::Decl = {
    use crate::dissect::decl::{Decl, Tier};
    Decl {
        filter_name: "erspan",
        name: "Encapsulated Remote Switch Packet ANalysis",
        display: "ERSPAN",
        short: "ERSPAN",
        tier: Tier::Link,
        reached: &[],
        dissect,
        fields,
        info: None,
        pdu_len: None,
        field_tables: &[FIELDS],
    }
};
