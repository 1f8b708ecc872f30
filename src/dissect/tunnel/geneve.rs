//! Geneve (RFC 8926; UDP 6081): an 8-byte base header, variable options
//! (class, type, length in 4-byte words), then the payload its protocol
//! type names (an EtherType; 0x6558 is an Ethernet frame).

use super::header;
use crate::dissect::bytes::{be16_or0, be24};
use crate::dissect::{Cx, FieldSink, Layer, Next, Packet, Proto, SinkExt, Value};

pub const BASE_LEN: usize = 8;

pub fn dissect(cx: &mut Cx<'_, '_>, off: usize) -> Next {
    let b = cx.rest(off);
    let Some(&first) = b.first() else {
        return Next::Done;
    };
    if first >> 6 != 0 {
        cx.push(Proto::Geneve, off, off + b.len().min(BASE_LEN), cx.limit);
        cx.malformed(Proto::Geneve, "unknown Geneve version");
        return Next::Done;
    }
    let len = BASE_LEN + (first & 0x3f) as usize * 4;
    let Some(end) = header(cx, Proto::Geneve, off, len) else {
        return Next::Done;
    };
    match be16_or0(b, 2) {
        0x6558 => Next::Proto(Proto::Eth, end),
        t => Next::Ethertype(t, end),
    }
}

pub fn fields(pkt: &Packet<'_>, l: &Layer, out: &mut dyn FieldSink) {
    let o = l.start as usize;
    let b = pkt.bytes(l.header());
    out.layer(
        "geneve",
        "Generic Network Virtualization Encapsulation",
        l.header(),
    );
    if b.len() < BASE_LEN {
        return;
    }
    let optlen = (b[0] & 0x3f) as usize * 4;
    out.put(
        "geneve.version",
        "Version",
        Value::U((b[0] >> 6) as u64),
        o..o + 1,
    );
    out.put(
        "geneve.option.length",
        "Length",
        Value::U(optlen as u64),
        o..o + 1,
    );
    let f = b[1];
    out.put(
        "geneve.flags",
        "Flags",
        Value::Hex(f as u64, 2),
        o + 1..o + 2,
    );
    out.put(
        "geneve.flags.oam",
        "Operations, Administration and Management Frame",
        Value::Bool(f & 0x80 != 0),
        o + 1..o + 2,
    );
    out.put(
        "geneve.flags.critical",
        "Critical Options Present",
        Value::Bool(f & 0x40 != 0),
        o + 1..o + 2,
    );
    out.put(
        "geneve.flags.reserved",
        "Reserved",
        Value::Bool(f & 0x3f != 0),
        o + 1..o + 2,
    );
    out.put(
        "geneve.proto_type",
        "Protocol Type",
        Value::Hex(be16_or0(b, 2) as u64, 4),
        o + 2..o + 4,
    );
    out.put(
        "geneve.vni",
        "Virtual Network Identifier (VNI)",
        Value::Hex(be24(b, 4).unwrap_or(0) as u64, 6),
        o + 4..o + 7,
    );
    out.put(
        "geneve.reserved",
        "Reserved",
        Value::Hex(b[7] as u64, 2),
        o + 7..o + 8,
    );
    if optlen == 0 {
        return;
    }
    let opts = &b[BASE_LEN..];
    out.put(
        "geneve.options",
        "Options",
        Value::Bytes(opts),
        o + BASE_LEN..o + b.len(),
    );
    let mut at = 0;
    while at + 4 <= opts.len() {
        let p = o + BASE_LEN + at;
        let class = be16_or0(opts, at);
        let ty = opts[at + 2];
        let olen = 4 + (opts[at + 3] & 0x1f) as usize * 4;
        let whole = &opts[at..(at + olen).min(opts.len())];
        out.put(
            "geneve.option",
            "Option",
            Value::Bytes(whole),
            p..p + whole.len(),
        );
        out.put(
            "geneve.option.class",
            "Class",
            Value::Hex(class as u64, 4),
            p..p + 2,
        );
        out.put(
            "geneve.option.type",
            "Type",
            Value::Hex(ty as u64, 2),
            p + 2..p + 3,
        );
        out.put(
            "geneve.option.type.critical",
            "Critical",
            Value::Bool(ty & 0x80 != 0),
            p + 2..p + 3,
        );
        let fl = opts[at + 3] & 0xe0;
        out.put(
            "geneve.option.flags",
            "Flags",
            Value::Hex(fl as u64, 2),
            p + 3..p + 4,
        );
        out.put(
            "geneve.option.flags.reserved",
            "Reserved",
            Value::Bool(fl != 0),
            p + 3..p + 4,
        );
        out.put(
            "geneve.option.length",
            "Length",
            Value::U(olen as u64),
            p + 3..p + 4,
        );
        let data = whole.get(4..).unwrap_or(&[]);
        let dr = p + 4..p + whole.len();
        match (class, ty & 0x7f) {
            (0x0132, 1) if data.len() >= 4 => {
                let v = u32::from_be_bytes([data[0], data[1], data[2], data[3]]);
                out.put(
                    "geneve.option.gcp.vnid",
                    "GCP Virtual Network ID",
                    Value::U((v >> 4) as u64),
                    dr.clone(),
                );
                out.put(
                    "geneve.option.gcp.direction",
                    "GCP Traffic Direction",
                    Value::Bool(v & 1 != 0),
                    dr.clone(),
                );
                out.put(
                    "geneve.option.gcp.reserved",
                    "GCP Reserved bits",
                    Value::Bool(v & 0xe != 0),
                    dr,
                );
            }
            (0x0132, 2) => out.put(
                "geneve.option.gcp.endpoint",
                "GCP Endpoint ID",
                Value::Bytes(data),
                dr,
            ),
            (0x0132, 3) if data.len() >= 8 => {
                let v = u64::from_be_bytes([
                    data[0], data[1], data[2], data[3], data[4], data[5], data[6], data[7],
                ]);
                out.put(
                    "geneve.option.gcp.profile",
                    "GCP Profile ID",
                    Value::U(v),
                    dr,
                );
            }
            _ => out.put(
                "geneve.option.unknown.data",
                "Unknown Option Data",
                Value::Bytes(data),
                dr,
            ),
        }
        at += olen;
    }
}

/// Every field this file's decoder emits, as Wireshark registers them.
pub const FIELDS: &[crate::dissect::decl::FieldDef] = {
    use crate::dissect::decl::{f, FieldType::*};
    &[
        f("geneve.version", Uint, "Version"),
        f("geneve.flags", Uint, "Flags"),
        f(
            "geneve.flags.oam",
            Bool,
            "Operations, Administration and Management Frame",
        ),
        f("geneve.flags.critical", Bool, "Critical Options Present"),
        f("geneve.flags.reserved", Bool, "Reserved"),
        f("geneve.proto_type", Uint, "Protocol Type"),
        f("geneve.vni", Uint, "Virtual Network Identifier (VNI)"),
        f("geneve.reserved", Uint, "Reserved"),
        f("geneve.options", Bytes, "Geneve Options"),
        f("geneve.option", Bytes, "Option"),
        f("geneve.option.class", Uint, "Class"),
        f("geneve.option.type", Uint, "Type"),
        f("geneve.option.type.critical", Bool, "Critical"),
        f("geneve.option.flags", Uint, "Flags"),
        f("geneve.option.flags.reserved", Bool, "Reserved"),
        f("geneve.option.length", Uint, "Length"),
        f("geneve.option.gcp.vnid", Uint, "GCP Virtual Network ID"),
        f("geneve.option.gcp.direction", Bool, "GCP Traffic Direction"),
        f("geneve.option.gcp.reserved", Bool, "GCP Reserved bits"),
        f("geneve.option.gcp.endpoint", Bytes, "GCP Endpoint ID"),
        f("geneve.option.gcp.profile", Uint, "GCP Profile ID"),
        f("geneve.option.unknown.data", Bytes, "Unknown Option Data"),
    ]
};

/// Generic Network Virtualization Encapsulation: names, place in the layer model, how it is reached, decoders.
pub static DECL: crate::dissect::decl::Decl = {
    use crate::dissect::decl::{Decl, Reach, Tier};
    Decl {
        filter_name: "geneve",
        name: "Generic Network Virtualization Encapsulation",
        display: "Geneve",
        short: "Geneve",
        tier: Tier::Link,
        reached: &[Reach::UdpPort(6081)],
        dissect,
        fields,
        info: None,
        pdu_len: None,
        field_tables: &[FIELDS],
    }
};
