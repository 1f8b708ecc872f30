//! Cisco MetaData (EtherType 0x8909, as GRE carries it between TrustSec
//! devices): the EtherType of what follows, version, length, options and
//! the security group tag.

use crate::dissect::bytes::be16_or0;
use crate::dissect::{Cx, FieldSink, Layer, Next, Packet, Proto, SinkExt, Value};

pub const HEADER_LEN: usize = 8;

pub fn dissect(cx: &mut Cx<'_, '_>, off: usize) -> Next {
    let Some(end) = super::header(cx, Proto::Cmd, off, HEADER_LEN) else {
        return Next::Done;
    };
    Next::Ethertype(be16_or0(cx.rest(off), 0), end)
}

pub fn fields(pkt: &Packet<'_>, l: &Layer, out: &mut dyn FieldSink) {
    let o = l.start as usize;
    let b = pkt.bytes(l.header());
    out.layer("cmd", "Cisco MetaData", l.header());
    if b.len() < HEADER_LEN {
        return;
    }
    out.put(
        "cmd.type",
        "Type",
        Value::Hex(be16_or0(b, 0) as u64, 4),
        o..o + 2,
    );
    out.put(
        "cmd.version",
        "Version",
        Value::U(b[2] as u64),
        o + 2..o + 3,
    );
    out.put("cmd.length", "Length", Value::U(b[3] as u64), o + 3..o + 4);
    out.put(
        "cmd.options",
        "Options",
        Value::Hex(be16_or0(b, 4) as u64, 4),
        o + 4..o + 6,
    );
    out.put(
        "cmd.sgt",
        "SGT",
        Value::U(be16_or0(b, 6) as u64),
        o + 6..o + 8,
    );
}

/// Every field this file's decoder emits, as Wireshark registers them.
pub const FIELDS: &[crate::dissect::decl::FieldDef] = {
    use crate::dissect::decl::{f, FieldType::*};
    &[
        f("cmd.version", Uint, "Version"),
        f("cmd.length", Uint, "Length"),
        f("cmd.options", Uint, "Options"),
        f("cmd.sgt", Uint, "SGT"),
        f("cmd.type", Uint, "Type"),
    ]
};

/// Cisco MetaData: names, place in the layer model, how it is reached, decoders.
pub static DECL: crate::dissect::decl::Decl = {
    use crate::dissect::decl::{Decl, Reach, Tier};
    Decl {
        filter_name: "cmd",
        name: "Cisco MetaData",
        display: "CMD",
        short: "CMD",
        tier: Tier::Link,
        reached: &[Reach::Ethertype(0x8909)],
        dissect,
        fields,
        info: None,
        pdu_len: None,
        field_tables: &[FIELDS],
    }
};
