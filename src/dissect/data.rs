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
