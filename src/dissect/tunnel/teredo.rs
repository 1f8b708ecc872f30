//! Teredo (RFC 4380; UDP 3544): IPv6 in UDP over IPv4, optionally after
//! an authentication indicator (0x0001) and an origin indication (0x0000,
//! port and address obfuscated by XOR).

use crate::dissect::bytes::be16_or0;
use crate::dissect::{Cx, FieldSink, Layer, Next, Packet, Proto, SinkExt, Value};

/// Length of the indicators before the IPv6 header, or None when cut short.
fn indicators(b: &[u8]) -> Option<(Option<usize>, Option<usize>, usize)> {
    let mut at = 0;
    let mut auth = None;
    if be16_or0(b, 0) == 1 && b.len() >= 4 {
        auth = Some(0);
        at = 4 + b[2] as usize + b[3] as usize + 9;
    }
    let mut orig = None;
    if b.len() >= at + 2 && be16_or0(b, at) == 0 {
        orig = Some(at);
        at += 8;
    }
    (at <= b.len()).then_some((auth, orig, at))
}

pub fn dissect(cx: &mut Cx<'_, '_>, off: usize) -> Next {
    let b = cx.rest(off);
    let Some((_, _, len)) = indicators(b) else {
        cx.push(Proto::Teredo, off, off + b.len(), cx.limit);
        cx.short(Proto::Teredo, "Teredo indicator cut short");
        return Next::Done;
    };
    let end = off + len;
    if !cx.push(Proto::Teredo, off, end, cx.limit) {
        return Next::Done;
    }
    match b.get(len).map(|v| v >> 4) {
        Some(6) => Next::Proto(Proto::Ipv6, end),
        Some(_) => Next::Proto(Proto::Data, end),
        None => Next::Done,
    }
}

pub fn fields(pkt: &Packet<'_>, l: &Layer, out: &mut dyn FieldSink) {
    let o = l.start as usize;
    let b = pkt.bytes(l.header());
    out.layer("teredo", "Teredo IPv6 over UDP tunneling", l.header());
    let Some((auth, orig, _)) = indicators(b) else {
        return;
    };
    if let Some(a) = auth {
        let (il, al) = (b[a + 2] as usize, b[a + 3] as usize);
        out.put(
            "teredo.auth.idlen",
            "Client identifier length",
            Value::U(il as u64),
            o + 2..o + 3,
        );
        out.put(
            "teredo.auth.aulen",
            "Authentication value length",
            Value::U(al as u64),
            o + 3..o + 4,
        );
        let mut at = 4;
        out.put(
            "teredo.auth.id",
            "Client identifier",
            Value::Bytes(&b[at..at + il]),
            o + at..o + at + il,
        );
        at += il;
        out.put(
            "teredo.auth.value",
            "Authentication value",
            Value::Bytes(&b[at..at + al]),
            o + at..o + at + al,
        );
        at += al;
        out.put(
            "teredo.auth.nonce",
            "Nonce value",
            Value::Bytes(&b[at..at + 8]),
            o + at..o + at + 8,
        );
        at += 8;
        out.put(
            "teredo.auth.conf",
            "Confirmation byte",
            Value::Bytes(&b[at..at + 1]),
            o + at..o + at + 1,
        );
    }
    if let Some(at) = orig {
        let port = be16_or0(b, at + 2) ^ 0xffff;
        let a = [
            b[at + 4] ^ 0xff,
            b[at + 5] ^ 0xff,
            b[at + 6] ^ 0xff,
            b[at + 7] ^ 0xff,
        ];
        out.put(
            "teredo.orig.port",
            "Origin UDP port",
            Value::U(port as u64),
            o + at + 2..o + at + 4,
        );
        out.put(
            "teredo.orig.addr",
            "Origin IPv4 address",
            Value::Ipv4(a),
            o + at + 4..o + at + 8,
        );
    }
}

/// Every field this file's decoder emits, as Wireshark registers them.
pub const FIELDS: &[crate::dissect::decl::FieldDef] = {
    use crate::dissect::decl::{f, FieldType::*};
    &[
        f("teredo.auth.idlen", Uint, "Client identifier length"),
        f("teredo.auth.aulen", Uint, "Authentication value length"),
        f("teredo.auth.id", Bytes, "Client identifier"),
        f("teredo.auth.value", Bytes, "Authentication value"),
        f("teredo.auth.nonce", Bytes, "Nonce value"),
        f("teredo.auth.conf", Bytes, "Confirmation byte"),
        f("teredo.orig.port", Uint, "Origin UDP port"),
        f("teredo.orig.addr", Ipv4, "Origin IPv4 address"),
    ]
};

/// Teredo IPv6 over UDP tunneling: names, place in the layer model, how it is reached, decoders.
pub static DECL: crate::dissect::decl::Decl = {
    use crate::dissect::decl::{Decl, Reach, Tier};
    Decl {
        filter_name: "teredo",
        name: "Teredo IPv6 over UDP tunneling",
        display: "Teredo",
        short: "Teredo",
        tier: Tier::Network,
        reached: &[Reach::UdpPort(3544)],
        dissect,
        fields,
        info: None,
        pdu_len: None,
        field_tables: &[FIELDS],
    }
};
