//! DHCPv6 (RFC 8415): message type, transaction id and the option list,
//! with the IA_NA/IA_TA/IA_PD sub-options walked (bounded depth).

use crate::dissect::{Cx, Field, FieldSink, Layer, Next, Packet, Proto, SinkExt, Value};
use std::io::Write as _;

/// True when the payload starts like this protocol (content-based detection).
pub fn looks_like(_payload: &[u8]) -> bool {
    false
}

struct Null;
impl FieldSink for Null {
    fn field(&mut self, _f: &Field<'_>) {}
}

pub fn dissect(cx: &mut Cx<'_, '_>, off: usize) -> Next {
    let end = cx.limit.max(off);
    if !cx.push(Proto::Dhcpv6, off, end, end) {
        return Next::Done;
    }
    let b = cx.bytes(off..end);
    if !walk(b, off, &mut Null, None) {
        cx.short(Proto::Dhcpv6, "DHCPv6 option past the message");
    }
    Next::Done
}

pub fn fields(pkt: &Packet<'_>, l: &Layer, out: &mut dyn FieldSink) {
    out.layer("dhcpv6", "DHCPv6", l.extent());
    walk(pkt.bytes(l.extent()), l.start as usize, out, None);
}

pub fn info(pkt: &Packet<'_>, l: &Layer, w: &mut Vec<u8>) {
    walk(pkt.bytes(l.extent()), l.start as usize, &mut Null, Some(w));
}

fn msg_name(t: u8) -> Option<&'static str> {
    Some(match t {
        1 => "Solicit",
        2 => "Advertise",
        3 => "Request",
        4 => "Confirm",
        5 => "Renew",
        6 => "Rebind",
        7 => "Reply",
        8 => "Release",
        9 => "Decline",
        10 => "Reconfigure",
        11 => "Information-request",
        12 => "Relay-forw",
        13 => "Relay-reply",
        14 => "Leasequery",
        15 => "Leasequery-reply",
        16 => "Leasequery-done",
        17 => "Leasequery-data",
        _ => return None,
    })
}

/// Decodes the message; false when an option runs past the bytes.
fn walk(b: &[u8], o: usize, out: &mut dyn FieldSink, mut info: Option<&mut Vec<u8>>) -> bool {
    let Some(&t) = b.first() else {
        return false;
    };
    out.put(
        "dhcpv6.msgtype",
        "Message type",
        Value::U(t as u64),
        o..o + 1,
    );
    if let Some(w) = info.as_deref_mut() {
        match msg_name(t) {
            Some(n) => w.extend_from_slice(n.as_bytes()),
            None => {
                let _ = write!(w, "Unknown ({t})");
            }
        }
    }
    if t == 12 || t == 13 {
        // Relay messages: hop count and two addresses precede the options.
        return b.len() >= 34 && options(b, 34, b.len(), o, out, info, 0);
    }
    let Some(x) = b.get(1..4) else {
        return false;
    };
    let xid = u32::from_be_bytes([0, x[0], x[1], x[2]]);
    out.put(
        "dhcpv6.xid",
        "Transaction ID",
        Value::Hex(xid as u64, 6),
        o + 1..o + 4,
    );
    if let Some(w) = info.as_deref_mut() {
        let _ = write!(w, " XID: 0x{xid:06x} ");
    }
    options(b, 4, b.len(), o, out, info, 0)
}

use crate::dissect::bytes::{be16_or0 as be16, be32_or0 as be32};

fn options(
    b: &[u8],
    mut p: usize,
    end: usize,
    o: usize,
    out: &mut dyn FieldSink,
    mut info: Option<&mut Vec<u8>>,
    depth: u8,
) -> bool {
    while p < end {
        if p + 4 > end {
            return false;
        }
        let code = be16(b, p);
        let len = be16(b, p + 2) as usize;
        let v = p + 4;
        if v + len > end {
            return false;
        }
        out.open("Option", o + p..o + v + len);
        out.put(
            "dhcpv6.option.type",
            "Option",
            Value::U(code as u64),
            o + p..o + p + 2,
        );
        out.put(
            "dhcpv6.option.length",
            "Length",
            Value::U(len as u64),
            o + p + 2..o + p + 4,
        );
        let val = &b[v..v + len];
        let mut ok = true;
        match code {
            1 | 2 if len >= 2 => {
                out.put(
                    "dhcpv6.duid.bytes",
                    "DUID",
                    Value::Bytes(val),
                    o + v..o + v + len,
                );
                out.put(
                    "dhcpv6.duid.type",
                    "DUID Type",
                    Value::U(be16(b, v) as u64),
                    o + v..o + v + 2,
                );
                if code == 1 {
                    if let Some(w) = info.as_deref_mut() {
                        w.extend_from_slice(b"CID: ");
                        Value::Bytes(val).write_to(w);
                        w.push(b' ');
                    }
                }
            }
            8 if len == 2 => out.put(
                "dhcpv6.elapsed_time",
                "Elapsed time",
                Value::U(be16(b, v) as u64),
                o + v..o + v + 2,
            ),
            3 | 25 if len >= 12 => {
                out.put(
                    "dhcpv6.iaid.t1",
                    "T1",
                    Value::U(be32(b, v + 4) as u64),
                    o + v + 4..o + v + 8,
                );
                out.put(
                    "dhcpv6.iaid.t2",
                    "T2",
                    Value::U(be32(b, v + 8) as u64),
                    o + v + 8..o + v + 12,
                );
                if depth < 4 {
                    ok = options(b, v + 12, v + len, o, out, info.as_deref_mut(), depth + 1);
                }
            }
            4 if len >= 4 && depth < 4 => {
                ok = options(b, v + 4, v + len, o, out, info.as_deref_mut(), depth + 1);
            }
            5 if len >= 24 => {
                let a: [u8; 16] = b[v..v + 16].try_into().unwrap_or_default();
                out.put(
                    "dhcpv6.iaaddr.ip",
                    "IPv6 address",
                    Value::Ipv6(a),
                    o + v..o + v + 16,
                );
                out.put(
                    "dhcpv6.iaaddr.pref_lifetime",
                    "Preferred lifetime",
                    Value::U(be32(b, v + 16) as u64),
                    o + v + 16..o + v + 20,
                );
                out.put(
                    "dhcpv6.iaaddr.valid_lifetime",
                    "Valid lifetime",
                    Value::U(be32(b, v + 20) as u64),
                    o + v + 20..o + v + 24,
                );
                if let Some(w) = info.as_deref_mut() {
                    w.extend_from_slice(b"IAA: ");
                    Value::Ipv6(a).write_to(w);
                    w.push(b' ');
                }
                if depth < 4 {
                    ok = options(b, v + 24, v + len, o, out, info.as_deref_mut(), depth + 1);
                }
            }
            _ => {}
        }
        out.close();
        if !ok {
            return false;
        }
        p = v + len;
    }
    true
}

/// Every field this file's decoders emit, as Wireshark registers them.
pub const FIELDS: &[crate::dissect::decl::FieldDef] = {
    use crate::dissect::decl::{f, FieldType::*};
    &[
        f("dhcpv6.duid.bytes", Bytes, "DUID"),
        f("dhcpv6.duid.type", Uint, "DUID Type"),
        f("dhcpv6.elapsed_time", Uint, "Elapsed time"),
        f("dhcpv6.iaaddr.ip", Ipv6, "IPv6 address"),
        f("dhcpv6.iaaddr.pref_lifetime", Uint, "Preferred lifetime"),
        f("dhcpv6.iaaddr.valid_lifetime", Uint, "Valid lifetime"),
        f("dhcpv6.iaid.t1", Uint, "T1"),
        f("dhcpv6.iaid.t2", Uint, "T2"),
        f("dhcpv6.msgtype", Uint, "Message type"),
        f("dhcpv6.option.length", Uint, "Length"),
        f("dhcpv6.option.type", Uint, "Option"),
        f("dhcpv6.xid", Uint, "Transaction ID"),
    ]
};

/// DHCPv6: names, place in the layer model, how it is reached, decoders.
pub static DECL: crate::dissect::decl::Decl = {
    use crate::dissect::decl::{Decl, Reach, Tier};
    Decl {
        filter_name: "dhcpv6",
        name: "DHCPv6",
        display: "DHCPv6",
        short: "DHCPv6",
        tier: Tier::Application,
        reached: &[Reach::UdpPort(546), Reach::UdpPort(547)],
        dissect,
        fields,
        info: Some(info),
        pdu_len: None,
        field_tables: &[FIELDS],
    }
};
