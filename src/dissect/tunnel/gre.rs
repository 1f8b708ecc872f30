//! Generic Routing Encapsulation: RFC 2784 (checksum), RFC 2890 (key,
//! sequence number), the RFC 1701 routing field, and the enhanced GRE of
//! PPTP (RFC 2637: version 1, key as payload length and call ID, an
//! acknowledgment number, PPP inside). The protocol type is an EtherType:
//! 0x6558 is transparent Ethernet bridging, 0x88be/0x22eb ERSPAN, 0x883e a
//! WCCP redirect header before IPv4, 0x880b PPP.

use crate::dissect::bytes::{be16_or0, be32_or0};
use crate::dissect::{Cx, FieldSink, Layer, Next, Packet, Proto, SinkExt, Value};

const C: u16 = 0x8000;
const R: u16 = 0x4000;
const K: u16 = 0x2000;
const S: u16 = 0x1000;
const A: u16 = 0x0080;

/// Most routing entries read (the list ends with an empty one).
const MAX_SRE: usize = 16;

/// Where each optional part sits, as offsets from the header start.
#[derive(Default)]
struct Layout {
    csum: Option<usize>,
    key: Option<usize>,
    seq: Option<usize>,
    ack: Option<usize>,
    routing: Option<usize>,
    /// After the optional parts and routing entries.
    end: usize,
}

/// The layout of the header in `b`, or the offset where it runs out.
fn layout(b: &[u8]) -> Result<Layout, usize> {
    if b.len() < 4 {
        return Err(b.len());
    }
    let fv = be16_or0(b, 0);
    let v1 = fv & 7 == 1;
    let mut l = Layout::default();
    let mut at = 4;
    if fv & (C | R) != 0 {
        l.csum = Some(at);
        at += 4;
    }
    if fv & K != 0 {
        l.key = Some(at);
        at += 4;
    }
    if fv & S != 0 {
        l.seq = Some(at);
        at += 4;
    }
    if v1 && fv & A != 0 {
        l.ack = Some(at);
        at += 4;
    }
    if at > b.len() {
        return Err(b.len());
    }
    if fv & R != 0 {
        l.routing = Some(at);
        let mut n = 0;
        loop {
            let Some(e) = b.get(at..at + 4) else {
                return Err(b.len());
            };
            let len = e[3] as usize;
            at += 4 + len;
            n += 1;
            if len == 0 {
                break;
            }
            if n == MAX_SRE || at > b.len() {
                return Err(b.len().min(at));
            }
        }
    }
    l.end = at;
    Ok(l)
}

pub fn dissect(cx: &mut Cx<'_, '_>, off: usize) -> Next {
    let b = cx.rest(off);
    let l = match layout(b) {
        Ok(l) => l,
        Err(have) => {
            cx.push(Proto::Gre, off, off + have, cx.limit);
            cx.short(Proto::Gre, "GRE header cut short");
            return Next::Done;
        }
    };
    let end = off + l.end;
    if !cx.push(Proto::Gre, off, end, cx.limit) {
        return Next::Done;
    }
    let fv = be16_or0(b, 0);
    match be16_or0(b, 2) {
        0x6558 => Next::Proto(Proto::Eth, end),
        0x88be | 0x22eb => Next::Proto(Proto::Erspan, end),
        0x880b => Next::Proto(Proto::Ppp, end),
        // WCCP: a 4-byte redirect header, then the redirected IPv4 packet
        // (its first byte says whether the header is there).
        0x883e => {
            let at = if b.get(l.end).is_some_and(|v| v >> 4 == 4) {
                end
            } else {
                end + 4
            };
            if at > end {
                // The redirect header belongs to the GRE layer.
                if let Some(x) = cx.pkt.layers.last_mut() {
                    x.end = (at as u32).min(x.limit.max(x.end));
                }
            }
            Next::Proto(Proto::Ip, at)
        }
        0 if fv & 7 == 0 => Next::Done,
        t => Next::Ethertype(t, end),
    }
}

/// Bytes of the WCCP redirect header, when the layer has one.
fn wccp(b: &[u8], l: &Layout) -> Option<[u8; 4]> {
    (be16_or0(b, 2) == 0x883e)
        .then(|| b.get(l.end..l.end + 4))
        .flatten()
        .map(|w| [w[0], w[1], w[2], w[3]])
}

pub fn fields(pkt: &Packet<'_>, l: &Layer, out: &mut dyn FieldSink) {
    let o = l.start as usize;
    let b = pkt.bytes(l.start as usize..l.limit.max(l.end) as usize);
    out.layer("gre", "Generic Routing Encapsulation", l.header());
    if b.len() < 4 {
        return;
    }
    let fv = be16_or0(b, 0);
    let r = o..o + 2;
    out.put(
        "gre.flags_and_version",
        "Flags and Version",
        Value::Hex(fv as u64, 4),
        r.clone(),
    );
    let bit = |m: u16| Value::Bool(fv & m != 0);
    out.put("gre.flags.checksum", "Checksum Bit", bit(C), r.clone());
    out.put("gre.flags.routing", "Routing Bit", bit(R), r.clone());
    out.put("gre.flags.key", "Key Bit", bit(K), r.clone());
    out.put(
        "gre.flags.sequence_number",
        "Sequence Number Bit",
        bit(S),
        r.clone(),
    );
    out.put(
        "gre.flags.strict_source_route",
        "Strict Source Route Bit",
        bit(0x0800),
        r.clone(),
    );
    out.put(
        "gre.flags.recursion_control",
        "Recursion control",
        Value::U(((fv >> 8) & 7) as u64),
        r.clone(),
    );
    let v1 = fv & 7 == 1;
    if v1 {
        out.put("gre.flags.ack", "Acknowledgment present", bit(A), r.clone());
        out.put(
            "gre.flags.reserved",
            "Flags (Reserved)",
            Value::U(((fv >> 3) & 0xf) as u64),
            r.clone(),
        );
    } else {
        out.put(
            "gre.flags.reserved",
            "Flags (Reserved)",
            Value::U(((fv >> 3) & 0x1f) as u64),
            r.clone(),
        );
    }
    out.put("gre.flags.version", "Version", Value::U((fv & 7) as u64), r);
    out.put(
        "gre.proto",
        "Protocol Type",
        Value::Hex(be16_or0(b, 2) as u64, 4),
        o + 2..o + 4,
    );
    let Ok(lay) = layout(b) else { return };
    if let Some(at) = lay.csum {
        let p = o + at;
        out.put(
            "gre.checksum",
            "Checksum",
            Value::Hex(be16_or0(b, at) as u64, 4),
            p..p + 2,
        );
        // As tshark by default: the checksum is shown, not verified.
        out.put(
            "gre.checksum.status",
            "Checksum Status",
            Value::U(2),
            p..p + 2,
        );
        out.put(
            "gre.offset",
            "Offset",
            Value::U(be16_or0(b, at + 2) as u64),
            p + 2..p + 4,
        );
    }
    if let Some(at) = lay.key {
        let p = o + at;
        if v1 {
            out.put(
                "gre.key.payload_length",
                "Payload Length",
                Value::U(be16_or0(b, at) as u64),
                p..p + 2,
            );
            out.put(
                "gre.key.call_id",
                "Call ID",
                Value::U(be16_or0(b, at + 2) as u64),
                p + 2..p + 4,
            );
        } else {
            out.put(
                "gre.key",
                "GRE Key",
                Value::Hex(be32_or0(b, at) as u64, 8),
                p..p + 4,
            );
        }
    }
    if let Some(at) = lay.seq {
        out.put(
            "gre.sequence_number",
            "Sequence Number",
            Value::U(be32_or0(b, at) as u64),
            o + at..o + at + 4,
        );
    }
    if let Some(at) = lay.ack {
        out.put(
            "gre.ack_number",
            "Acknowledgment Number",
            Value::U(be32_or0(b, at) as u64),
            o + at..o + at + 4,
        );
    }
    if let Some(mut at) = lay.routing {
        while let Some(e) = b.get(at..at + 4) {
            let p = o + at;
            let len = e[3] as usize;
            out.put("gre.routing", "Routing", Value::Bytes(&[]), p..p + 4 + len);
            out.put(
                "gre.routing.address_family",
                "Address Family",
                Value::U(be16_or0(e, 0) as u64),
                p..p + 2,
            );
            out.put(
                "gre.routing.sre_offset",
                "SRE Offset",
                Value::U(e[2] as u64),
                p + 2..p + 3,
            );
            out.put(
                "gre.routing.src_length",
                "SRE Length",
                Value::U(len as u64),
                p + 3..p + 4,
            );
            if len == 0 {
                break;
            }
            let info = b.get(at + 4..at + 4 + len).unwrap_or(&[]);
            out.put(
                "gre.routing.information",
                "Routing Information",
                Value::Bytes(info),
                p + 4..p + 4 + info.len(),
            );
            at += 4 + len;
        }
    }
    if let Some(w) = wccp(b, &lay) {
        let p = o + lay.end;
        let r = p..p + 1;
        out.put(
            "gre.wccp.dynamic_service",
            "Dynamic Service",
            Value::Bool(w[0] & 0x01 != 0),
            r.clone(),
        );
        out.put(
            "gre.wccp.alternative_bucket_used",
            "Alternative bucket used",
            Value::Bool(w[0] & 0x02 != 0),
            r.clone(),
        );
        out.put(
            "gre.wccp.redirect_header_valid",
            "WCCP Redirect header is valid",
            Value::Bool(w[0] & 0x04 != 0),
            r,
        );
        out.put(
            "gre.wccp.service_id",
            "Service ID",
            Value::U(w[1] as u64),
            p + 1..p + 2,
        );
        out.put(
            "gre.wccp.alternative_bucket",
            "Alternative Bucket",
            Value::U(w[2] as u64),
            p + 2..p + 3,
        );
        out.put(
            "gre.wccp.primary_bucket",
            "Primary Bucket",
            Value::U(w[3] as u64),
            p + 3..p + 4,
        );
    }
}

/// `Encapsulated PPP` for PPTP, as tshark; other GRE leaves Info to the payload.
pub fn info(pkt: &Packet<'_>, l: &Layer, w: &mut Vec<u8>) {
    let b = pkt.bytes(l.header());
    if be16_or0(b, 0) & 7 == 1 {
        w.extend_from_slice(b"Encapsulated PPP");
    }
}

/// Every field this file's decoder emits, as Wireshark registers them.
pub const FIELDS: &[crate::dissect::decl::FieldDef] = {
    use crate::dissect::decl::{f, FieldType::*};
    &[
        f("gre.flags_and_version", Uint, "Flags and Version"),
        f("gre.flags.checksum", Bool, "Checksum Bit"),
        f("gre.flags.routing", Bool, "Routing Bit"),
        f("gre.flags.key", Bool, "Key Bit"),
        f("gre.flags.sequence_number", Bool, "Sequence Number Bit"),
        f(
            "gre.flags.strict_source_route",
            Bool,
            "Strict Source Route Bit",
        ),
        f("gre.flags.recursion_control", Uint, "Recursion control"),
        f("gre.flags.ack", Bool, "Acknowledgment present"),
        f("gre.flags.reserved", Uint, "Flags (Reserved)"),
        f("gre.flags.version", Uint, "Version"),
        f("gre.proto", Uint, "Protocol Type"),
        f("gre.checksum", Uint, "Checksum"),
        f("gre.checksum.status", Uint, "Checksum Status"),
        f("gre.offset", Uint, "Offset"),
        f("gre.key", Uint, "GRE Key"),
        f("gre.key.payload_length", Uint, "Payload Length"),
        f("gre.key.call_id", Uint, "Call ID"),
        f("gre.sequence_number", Uint, "Sequence Number"),
        f("gre.ack_number", Uint, "Acknowledgment Number"),
        f("gre.routing", Proto, "Routing"),
        f("gre.routing.address_family", Uint, "Address Family"),
        f("gre.routing.sre_offset", Uint, "SRE Offset"),
        f("gre.routing.src_length", Uint, "SRE Length"),
        f("gre.routing.information", Bytes, "Routing Information"),
        f("gre.wccp.dynamic_service", Bool, "Dynamic Service"),
        f(
            "gre.wccp.alternative_bucket_used",
            Bool,
            "Alternative bucket used",
        ),
        f(
            "gre.wccp.redirect_header_valid",
            Bool,
            "WCCP Redirect header is valid",
        ),
        f("gre.wccp.service_id", Uint, "Service ID"),
        f("gre.wccp.alternative_bucket", Uint, "Alternative Bucket"),
        f("gre.wccp.primary_bucket", Uint, "Primary Bucket"),
    ]
};

/// Generic Routing Encapsulation: names, place in the layer model, how it is reached, decoders.
pub static DECL: crate::dissect::decl::Decl = {
    use crate::dissect::decl::{Decl, Reach, Tier};
    Decl {
        filter_name: "gre",
        name: "Generic Routing Encapsulation",
        display: "GRE",
        short: "GRE",
        tier: Tier::Network,
        reached: &[Reach::IpProto(47)],
        dissect,
        fields,
        info: Some(info),
        pdu_len: None,
        field_tables: &[FIELDS],
    }
};
