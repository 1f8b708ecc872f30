//! GTP-U version 1 (3GPP TS 29.281; UDP 2152): an 8-byte header, then a
//! sequence number, N-PDU number and next-extension-type when any of E, S,
//! PN is set, then a chain of extension headers (length in 4-byte units,
//! last byte names the next one). A G-PDU (message 0xff) carries an IP
//! packet.

use crate::dissect::bytes::{be16_or0, be32_or0};
use crate::dissect::{Cx, FieldSink, Layer, Next, Packet, Proto, SinkExt, Value};

/// Most extension headers followed; a longer chain is malformed.
const MAX_EXT: usize = 16;

/// The header's length with its extension headers: Ok(len), or Err(at)
/// where the bytes run out or the chain is bad.
fn header_len(b: &[u8]) -> Result<usize, (usize, &'static str)> {
    if b.len() < 8 {
        return Err((b.len(), "GTP header cut short"));
    }
    if b[0] >> 5 != 1 {
        return Err((8, "not GTP version 1"));
    }
    if b[0] & 0x07 == 0 {
        return Ok(8);
    }
    if b.len() < 12 {
        return Err((b.len(), "GTP header cut short"));
    }
    let mut at = 12;
    let mut next = if b[0] & 0x04 != 0 { b[11] } else { 0 };
    let mut n = 0;
    while next != 0 {
        let Some(&len) = b.get(at) else {
            return Err((b.len(), "GTP extension header cut short"));
        };
        if len == 0 {
            return Err((at + 1, "GTP extension header of length 0"));
        }
        let end = at + len as usize * 4;
        let Some(&nx) = b.get(end - 1) else {
            return Err((b.len(), "GTP extension header cut short"));
        };
        next = nx;
        at = end;
        n += 1;
        if n == MAX_EXT {
            return Err((at, "too many GTP extension headers"));
        }
    }
    Ok(at)
}

pub fn dissect(cx: &mut Cx<'_, '_>, off: usize) -> Next {
    let b = cx.rest(off);
    let len = match header_len(b) {
        Ok(n) => n,
        Err((at, msg)) => {
            cx.push(Proto::Gtp, off, off + at.min(b.len()), cx.limit);
            if at >= b.len() {
                cx.short(Proto::Gtp, msg);
            } else {
                cx.malformed(Proto::Gtp, msg);
            }
            return Next::Done;
        }
    };
    let end = off + len;
    // The length field counts the bytes after the first 8.
    let limit = (off + 8 + be16_or0(b, 2) as usize).min(cx.limit);
    if !cx.push(Proto::Gtp, off, end, limit) {
        return Next::Done;
    }
    cx.limit = limit.max(end);
    if b[1] == 0xff {
        super::ip_by_version(cx, end)
    } else {
        Next::Proto(Proto::Data, end)
    }
}

pub fn fields(pkt: &Packet<'_>, l: &Layer, out: &mut dyn FieldSink) {
    let o = l.start as usize;
    let b = pkt.bytes(l.header());
    out.layer("gtp", "GPRS Tunneling Protocol", l.header());
    if b.len() < 8 {
        return;
    }
    let f = b[0];
    let r = o..o + 1;
    out.put("gtp.flags", "Flags", Value::Hex(f as u64, 2), r.clone());
    out.put(
        "gtp.flags.version",
        "Version",
        Value::U((f >> 5) as u64),
        r.clone(),
    );
    out.put(
        "gtp.flags.payload",
        "Protocol type",
        Value::U(((f >> 4) & 1) as u64),
        r.clone(),
    );
    out.put(
        "gtp.flags.reserved",
        "Reserved",
        Value::U(((f >> 3) & 1) as u64),
        r.clone(),
    );
    out.put(
        "gtp.flags.e",
        "Is Next Extension Header present?",
        Value::Bool(f & 4 != 0),
        r.clone(),
    );
    out.put(
        "gtp.flags.s",
        "Is Sequence Number present?",
        Value::Bool(f & 2 != 0),
        r.clone(),
    );
    out.put(
        "gtp.flags.pn",
        "Is N-PDU number present?",
        Value::Bool(f & 1 != 0),
        r,
    );
    out.put(
        "gtp.message",
        "Message Type",
        Value::Hex(b[1] as u64, 2),
        o + 1..o + 2,
    );
    out.put(
        "gtp.length",
        "Length",
        Value::U(be16_or0(b, 2) as u64),
        o + 2..o + 4,
    );
    out.put(
        "gtp.teid",
        "TEID",
        Value::Hex(be32_or0(b, 4) as u64, 8),
        o + 4..o + 8,
    );
    if f & 7 == 0 || b.len() < 12 {
        return;
    }
    out.put(
        "gtp.seq_number",
        "Sequence number",
        Value::Hex(be16_or0(b, 8) as u64, 4),
        o + 8..o + 10,
    );
    out.put(
        "gtp.npdu_number",
        "N-PDU Number",
        Value::Hex(b[10] as u64, 2),
        o + 10..o + 11,
    );
    out.put(
        "gtp.ext_hdr.next",
        "Next extension header type",
        Value::Hex(b[11] as u64, 2),
        o + 11..o + 12,
    );
    let mut at = 12;
    let mut next = if f & 4 != 0 { b[11] } else { 0 };
    while next != 0 {
        let Some(&len) = b.get(at) else { break };
        let end = at + len as usize * 4;
        let Some(&nx) = b.get(end.wrapping_sub(1)).filter(|_| len > 0) else {
            break;
        };
        out.put(
            "gtp.ext_hdr.length",
            "Extension Header Length",
            Value::U(len as u64),
            o + at..o + at + 1,
        );
        if next == 0x85 && end >= at + 3 {
            let (x, y) = (b[at + 1], b[at + 2]);
            out.put(
                "gtp.ext_hdr.pdu_ses_con.pdu_type",
                "PDU Type",
                Value::U((x >> 4) as u64),
                o + at + 1..o + at + 2,
            );
            out.put(
                "gtp.ext_hdr.pdu_ses_con.qos_flow_id",
                "QoS Flow Identifier (QFI)",
                Value::U((y & 0x3f) as u64),
                o + at + 2..o + at + 3,
            );
        }
        out.put(
            "gtp.ext_hdr.next",
            "Next extension header type",
            Value::Hex(nx as u64, 2),
            o + end - 1..o + end,
        );
        next = nx;
        at = end;
    }
}

/// Every field this file's decoder emits, as Wireshark registers them.
pub const FIELDS: &[crate::dissect::decl::FieldDef] = {
    use crate::dissect::decl::{f, FieldType::*};
    &[
        f("gtp.flags", Uint, "Flags"),
        f("gtp.flags.version", Uint, "Version"),
        f("gtp.flags.payload", Uint, "Protocol type"),
        f("gtp.flags.reserved", Uint, "Reserved"),
        f("gtp.flags.e", Bool, "Is Next Extension Header present?"),
        f("gtp.flags.s", Bool, "Is Sequence Number present?"),
        f("gtp.flags.pn", Bool, "Is N-PDU number present?"),
        f("gtp.message", Uint, "Message Type"),
        f("gtp.length", Uint, "Length"),
        f("gtp.teid", Uint, "TEID"),
        f("gtp.seq_number", Uint, "Sequence number"),
        f("gtp.npdu_number", Uint, "N-PDU Number"),
        f("gtp.ext_hdr.next", Uint, "Next extension header type"),
        f("gtp.ext_hdr.length", Uint, "Extension Header Length"),
        f("gtp.ext_hdr.pdu_ses_con.pdu_type", Uint, "PDU Type"),
        f(
            "gtp.ext_hdr.pdu_ses_con.qos_flow_id",
            Uint,
            "QoS Flow Identifier (QFI)",
        ),
    ]
};

/// GPRS Tunneling Protocol (user plane): names, place in the layer model, how it is reached, decoders.
pub static DECL: crate::dissect::decl::Decl = {
    use crate::dissect::decl::{Decl, Reach, Tier};
    Decl {
        filter_name: "gtp",
        name: "GPRS Tunneling Protocol",
        display: "GTP",
        short: "GTP",
        tier: Tier::Network,
        reached: &[Reach::UdpPort(2152)],
        dissect,
        fields,
        info: None,
        pdu_len: None,
        field_tables: &[FIELDS],
    }
};
