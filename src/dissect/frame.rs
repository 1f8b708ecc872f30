//! The `frame` pseudo-layer: capture metadata every packet has.

use super::{FieldSink, Packet, Proto, SinkExt, Value};

/// Appends `frame.protocols` as tshark spells it (`eth:ethertype:ip:tcp`).
pub fn write_protocols(pkt: &Packet<'_>, w: &mut Vec<u8>) {
    let start = w.len();
    // LINKTYPE_RAW has no header of its own, but tshark names it.
    if matches!(pkt.linktype, 12 | 14 | super::linktype::RAW) {
        w.extend_from_slice(b"raw");
    }
    for (i, l) in pkt.layers.iter().enumerate() {
        if l.proto == Proto::Unsupported {
            continue;
        }
        if w.len() > start {
            w.push(b':');
        }
        w.extend_from_slice(super::link::protocols_name(pkt, l).as_bytes());
        // tshark inserts an `ethertype` pseudo-protocol after headers that
        // name their payload by EtherType.
        if super::link::names_by_ethertype(pkt, l) && i + 1 < pkt.layers.len() {
            w.extend_from_slice(b":ethertype");
        }
    }
}

pub fn fields(pkt: &Packet<'_>, out: &mut dyn FieldSink) {
    let all = 0..pkt.data.len();
    out.layer("frame", "Frame", all);
    out.put(
        "frame.interface_id",
        "Interface id",
        Value::U(pkt.interface as u64),
        0..0,
    );
    // Order and values as tshark's frame tree.
    out.put(
        "frame.time",
        "Arrival Time",
        Value::LocalDate(pkt.ts.sec, pkt.ts.nsec),
        0..0,
    );
    out.put(
        "frame.time_utc",
        "UTC Arrival Time",
        Value::Date(pkt.ts.sec, pkt.ts.nsec),
        0..0,
    );
    out.put(
        "frame.time_epoch",
        "Epoch Time",
        Value::Epoch(pkt.ts.sec, pkt.ts.nsec),
        0..0,
    );
    out.put(
        "frame.time_delta",
        "Time delta from previous captured frame",
        Value::Nanos(pkt.ts.nanos_since(pkt.prev_ts)),
        0..0,
    );
    out.put(
        "frame.time_delta_displayed",
        "Time delta from previous displayed frame",
        Value::Nanos(pkt.prev_shown_ts.map_or(0, |t| pkt.ts.nanos_since(t))),
        0..0,
    );
    out.put(
        "frame.time_relative",
        "Time since reference or first frame",
        Value::Nanos(pkt.ts.nanos_since(pkt.first_ts)),
        0..0,
    );
    out.put("frame.number", "Frame Number", Value::U(pkt.number), 0..0);
    out.put(
        "frame.len",
        "Frame Length",
        Value::U(pkt.wire_len as u64),
        0..0,
    );
    out.put(
        "frame.cap_len",
        "Capture Length",
        Value::U(pkt.data.len() as u64),
        0..0,
    );
    let mut protos = Vec::with_capacity(64);
    write_protocols(pkt, &mut protos);
    let s = String::from_utf8_lossy(&protos);
    out.put(
        "frame.protocols",
        "Protocols in frame",
        Value::Str(&s),
        0..0,
    );
}

/// Every field this file's decoders emit, as Wireshark registers them.
pub const FIELDS: &[crate::dissect::decl::FieldDef] = {
    use crate::dissect::decl::{f, FieldType::*};
    &[
        f(
            "frame.cap_len",
            Uint,
            "Frame length stored into the capture file",
        ),
        f("frame.interface_id", Uint, "Interface id"),
        f("frame.len", Uint, "Frame length on the wire"),
        f("frame.number", Uint, "Frame Number"),
        f("frame.protocols", Str, "Protocols in frame"),
        f("frame.time", AbsTime, "Arrival Time"),
        f(
            "frame.time_delta",
            RelTime,
            "Time delta from previous captured frame",
        ),
        f(
            "frame.time_delta_displayed",
            RelTime,
            "Time delta from previous displayed frame",
        ),
        f("frame.time_epoch", RelTime, "Epoch Time"),
        f(
            "frame.time_relative",
            RelTime,
            "Time since reference or first frame",
        ),
        f("frame.time_utc", AbsTime, "UTC Arrival Time"),
    ]
};
