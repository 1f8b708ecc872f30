//! Bytes no dissector claimed, shown as Wireshark's `data` protocol.

use super::{Cx, FieldSink, Layer, Next, Packet, Proto, SinkExt, Value};

pub fn dissect(cx: &mut Cx<'_, '_>, off: usize) -> Next {
    let end = cx.limit.max(off);
    if end > off {
        cx.push(Proto::Data, off, end, end);
    }
    Next::Done
}

pub fn fields(pkt: &Packet<'_>, l: &Layer, out: &mut dyn FieldSink) {
    let r = l.header();
    out.layer("data", "Data", r.clone());
    out.put(
        "data.data",
        "Data",
        Value::Bytes(pkt.bytes(r.clone())),
        r.clone(),
    );
    out.put("data.len", "Length", Value::U(r.len() as u64), 0..0);
}

pub fn info(_pkt: &Packet<'_>, _l: &Layer, _w: &mut Vec<u8>) {}

/// Every field this file's decoders emit, as Wireshark registers them.
pub const FIELDS: &[crate::dissect::decl::FieldDef] = {
    use crate::dissect::decl::{f, FieldType::*};
    &[f("data.data", Bytes, "Data"), f("data.len", Int, "Length")]
};

/// Data: names, place in the layer model, how it is reached, decoders.
pub static DECL: crate::dissect::decl::Decl = {
    use crate::dissect::decl::{Decl, Tier};
    Decl {
        filter_name: "data",
        name: "Data",
        display: "Data",
        short: "Data",
        tier: Tier::Application,
        reached: &[],
        dissect,
        fields,
        info: None,
        pdu_len: None,
        field_tables: &[FIELDS],
    }
};
