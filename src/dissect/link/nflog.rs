//! Linux netfilter NFLOG captures (LINKTYPE_NFLOG 239): a 4-byte header,
//! then type-length-value attributes; NFULA_PAYLOAD holds the IP packet.

use crate::dissect::{Cx, FieldSink, Layer, Next, Packet, Proto, SinkExt, Value};

const PAYLOAD: u16 = 9;
/// Attributes read before giving up, against a hostile attribute list.
const MAX_TLVS: usize = 64;

/// TLV lengths and types are in the capturing host's byte order; like
/// tshark, take little-endian unless that cannot fit.
fn tlv_at(b: &[u8], at: usize) -> Option<(usize, u16)> {
    let h = b.get(at..at + 4)?;
    let le = u16::from_le_bytes([h[0], h[1]]) as usize;
    let (len, ty) = if le >= 4 && at + le <= b.len() {
        (le, u16::from_le_bytes([h[2], h[3]]))
    } else {
        (
            u16::from_be_bytes([h[0], h[1]]) as usize,
            u16::from_be_bytes([h[2], h[3]]),
        )
    };
    (len >= 4).then_some((len, ty & 0x7fff))
}

/// Every attribute: (offset, length, type), in order.
fn tlvs(b: &[u8]) -> impl Iterator<Item = (usize, usize, u16)> + '_ {
    let mut at = 4;
    std::iter::from_fn(move || {
        let (len, ty) = tlv_at(b, at)?;
        let here = at;
        at += (len + 3) & !3;
        Some((here, len, ty))
    })
    .take(MAX_TLVS)
}

pub fn dissect(cx: &mut Cx<'_, '_>, off: usize) -> Next {
    let b = cx.rest(off);
    if b.len() < 4 {
        cx.push(Proto::Nflog, off, off + b.len(), cx.limit);
        cx.short(Proto::Nflog, "NFLOG header cut short");
        return Next::Done;
    }
    let family = b[0];
    let payload = tlvs(b).find(|t| t.2 == PAYLOAD);
    let end = payload.map(|(at, _, _)| at + 4).unwrap_or(b.len());
    if !cx.push(Proto::Nflog, off, off + end, cx.limit) {
        return Next::Done;
    }
    let Some((at, len, _)) = payload else {
        return Next::Done;
    };
    if at + len > b.len() {
        cx.short(Proto::Nflog, "NFLOG payload cut short");
    }
    cx.limit = cx.limit.min(off + at + len);
    match family {
        2 => Next::Proto(Proto::Ip, off + at + 4),
        10 => Next::Proto(Proto::Ipv6, off + at + 4),
        _ => Next::Proto(Proto::Data, off + at + 4),
    }
}

pub fn fields(pkt: &Packet<'_>, l: &Layer, out: &mut dyn FieldSink) {
    let o = l.start as usize;
    // The attributes run past the layer's header up to the payload's data.
    let b = pkt.bytes(o..pkt.data.len());
    out.layer("nflog", "Linux Netfilter NFLOG", l.header());
    if b.len() < 4 {
        return;
    }
    out.put("nflog.family", "Family", Value::U(b[0] as u64), o..o + 1);
    out.put(
        "nflog.version",
        "Version",
        Value::U(b[1] as u64),
        o + 1..o + 2,
    );
    out.put(
        "nflog.res_id",
        "Resource id",
        Value::U(u16::from_be_bytes([b[2], b[3]]) as u64),
        o + 2..o + 4,
    );
    for (at, len, ty) in tlvs(b) {
        let r = o + at..o + at + len;
        out.open("TLV", r.clone());
        out.put(
            "nflog.tlv_length",
            "Length",
            Value::U(len as u64),
            o + at..o + at + 2,
        );
        out.put(
            "nflog.tlv_type",
            "Type",
            Value::U(ty as u64),
            o + at + 2..o + at + 4,
        );
        let v = b.get(at + 4..(at + len).min(b.len())).unwrap_or(&[]);
        let be32 = |v: &[u8]| {
            v.get(..4)
                .map(|x| u32::from_be_bytes([x[0], x[1], x[2], x[3]]))
        };
        let vr = o + at + 4..o + at + len;
        match ty {
            1 if v.len() >= 3 => {
                out.put(
                    "nflog.protocol",
                    "HW protocol",
                    Value::Hex(u16::from_be_bytes([v[0], v[1]]) as u64, 4),
                    vr.start..vr.start + 2,
                );
                out.put(
                    "nflog.hook",
                    "Netfilter hook",
                    Value::U(v[2] as u64),
                    vr.start + 2..vr.start + 3,
                );
            }
            4..=7 => {
                if let Some(x) = be32(v) {
                    let name = match ty {
                        4 => "nflog.ifindex_indev",
                        5 => "nflog.ifindex_outdev",
                        6 => "nflog.ifindex_physindev",
                        _ => "nflog.ifindex_physoutdev",
                    };
                    out.put(name, "Interface index", Value::U(x as u64), vr.clone());
                }
            }
            10 => {
                let s = v.split(|&c| c == 0).next().unwrap_or(&[]);
                let s = String::from_utf8_lossy(s);
                out.put("nflog.prefix", "Prefix", Value::Str(&s), vr.clone());
            }
            11 | 14 => {
                if let Some(x) = be32(v) {
                    let name = if ty == 11 { "nflog.uid" } else { "nflog.gid" };
                    out.put(name, "Id", Value::I(x as i32 as i64), vr.clone());
                }
            }
            _ => {}
        }
        out.close();
    }
}

/// Every field this file's decoders emit, as Wireshark registers them.
pub const FIELDS: &[crate::dissect::decl::FieldDef] = {
    use crate::dissect::decl::{f, FieldType::*};
    &[
        f("nflog.family", Uint, "Family"),
        f("nflog.gid", Int, "GID"),
        f("nflog.hook", Uint, "Netfilter hook"),
        f("nflog.ifindex_indev", Uint, "IFINDEX_INDEV"),
        f("nflog.ifindex_outdev", Uint, "IFINDEX_OUTDEV"),
        f("nflog.ifindex_physindev", Uint, "IFINDEX_PHYSINDEV"),
        f("nflog.ifindex_physoutdev", Uint, "IFINDEX_PHYSOUTDEV"),
        f("nflog.prefix", Str, "Prefix"),
        f("nflog.protocol", Uint, "HW protocol"),
        f("nflog.res_id", Uint, "Resource id"),
        f("nflog.tlv_length", Uint, "Length"),
        f("nflog.tlv_type", Uint, "Type"),
        f("nflog.uid", Int, "UID"),
        f("nflog.version", Uint, "Version"),
    ]
};

/// Linux Netfilter NFLOG: names, place in the layer model, how it is reached, decoders.
pub static DECL: crate::dissect::decl::Decl = {
    use crate::dissect::decl::{Decl, Reach, Tier};
    Decl {
        filter_name: "nflog",
        name: "Linux Netfilter NFLOG",
        display: "NFLOG",
        short: "NFLOG",
        tier: Tier::Link,
        reached: &[Reach::LinkType(239)],
        dissect,
        fields,
        info: None,
        pdu_len: None,
        field_tables: &[FIELDS],
    }
};
