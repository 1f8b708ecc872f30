//! L2TP version 2 (RFC 2661; UDP 1701): a header of flags, optional
//! length, tunnel and session IDs, optional Ns/Nr and offset; data
//! messages carry PPP (address and control included), control messages
//! carry AVPs (left undecoded).

use crate::dissect::bytes::be16_or0;
use crate::dissect::{Cx, FieldSink, Layer, Next, Packet, Proto, SinkExt, Value};

const T: u16 = 0x8000;
const L: u16 = 0x4000;
const S: u16 = 0x0800;
const O: u16 = 0x0200;
const P: u16 = 0x0100;

/// Offsets of the optional fields and the header's length, or None when
/// the bytes run out (or the version is not 2).
struct Layout {
    len: Option<usize>,
    tunnel: usize,
    ns: Option<usize>,
    offset: Option<usize>,
    end: usize,
}

fn layout(b: &[u8]) -> Option<Layout> {
    let f = be16_or0(b, 0);
    let mut at = 2;
    let len = (f & L != 0).then(|| {
        at += 2;
        at - 2
    });
    let tunnel = at;
    at += 4;
    let ns = (f & S != 0).then(|| {
        at += 4;
        at - 4
    });
    let offset = (f & O != 0).then(|| {
        at += 2;
        at - 2
    });
    if at > b.len() {
        return None;
    }
    if let Some(o) = offset {
        at += be16_or0(b, o) as usize;
    }
    Some(Layout {
        len,
        tunnel,
        ns,
        offset,
        end: at,
    })
}

pub fn dissect(cx: &mut Cx<'_, '_>, off: usize) -> Next {
    let b = cx.rest(off);
    if b.len() >= 2 && be16_or0(b, 0) & 0xf != 2 {
        // L2TPv3 over UDP and other versions are not decoded.
        cx.push(Proto::L2tp, off, off + 2, cx.limit);
        return Next::Proto(Proto::Data, off + 2);
    }
    let Some(l) = layout(b) else {
        cx.push(Proto::L2tp, off, off + b.len(), cx.limit);
        cx.short(Proto::L2tp, "L2TP header cut short");
        return Next::Done;
    };
    let end = (off + l.end).min(off + b.len());
    if !cx.push(Proto::L2tp, off, end, cx.limit) {
        return Next::Done;
    }
    let f = be16_or0(b, 0);
    if f & T != 0 {
        // Control message: its stated length beyond the captured bytes
        // means the snap length cut it.
        if let Some(at) = l.len {
            let want = off + be16_or0(b, at) as usize;
            if want > cx.limit && cx.pkt.data.len() < cx.pkt.wire_len as usize {
                cx.truncated(Proto::L2tp, "packet size limited during capture");
            }
        }
        return Next::Done;
    }
    Next::Proto(Proto::Ppp, end)
}

pub fn fields(pkt: &Packet<'_>, l: &Layer, out: &mut dyn FieldSink) {
    let o = l.start as usize;
    let b = pkt.bytes(l.header());
    out.layer("l2tp", "Layer 2 Tunneling Protocol", l.header());
    if b.len() < 2 {
        return;
    }
    let f = be16_or0(b, 0);
    let r = o..o + 2;
    out.put("l2tp.flags", "Flags", Value::Hex(f as u64, 4), r.clone());
    out.put("l2tp.type", "Type", Value::U((f >> 15) as u64), r.clone());
    out.put(
        "l2tp.length_bit",
        "Length Bit",
        Value::Bool(f & L != 0),
        r.clone(),
    );
    out.put(
        "l2tp.seq_bit",
        "Sequence Bit",
        Value::Bool(f & S != 0),
        r.clone(),
    );
    out.put(
        "l2tp.offset_bit",
        "Offset bit",
        Value::Bool(f & O != 0),
        r.clone(),
    );
    out.put(
        "l2tp.priority",
        "Priority",
        Value::Bool(f & P != 0),
        r.clone(),
    );
    out.put("l2tp.version", "Version", Value::U((f & 0xf) as u64), r);
    if f & 0xf != 2 {
        return;
    }
    let Some(lay) = layout(b) else { return };
    let u16f = |name, label, at: usize, out: &mut dyn FieldSink| {
        out.put(
            name,
            label,
            Value::U(be16_or0(b, at) as u64),
            o + at..o + at + 2,
        )
    };
    if let Some(at) = lay.len {
        u16f("l2tp.length", "Length", at, out);
    }
    u16f("l2tp.tunnel", "Tunnel ID", lay.tunnel, out);
    u16f("l2tp.session", "Session ID", lay.tunnel + 2, out);
    if let Some(at) = lay.ns {
        u16f("l2tp.Ns", "Ns", at, out);
        u16f("l2tp.Nr", "Nr", at + 2, out);
    }
    if let Some(at) = lay.offset {
        u16f("l2tp.offset", "Offset Size", at, out);
    }
}

/// `Control Message (tunnel id=560, session id=2056)`
pub fn info(pkt: &Packet<'_>, l: &Layer, w: &mut Vec<u8>) {
    let b = pkt.bytes(l.header());
    let f = be16_or0(b, 0);
    let Some(lay) = layout(b).filter(|_| f & 0xf == 2 && f & T != 0) else {
        return;
    };
    let (t, s) = (be16_or0(b, lay.tunnel), be16_or0(b, lay.tunnel + 2));
    let _ = std::io::Write::write_fmt(
        w,
        format_args!("Control Message (tunnel id={t}, session id={s})"),
    );
}

/// Every field this file's decoder emits, as Wireshark registers them.
pub const FIELDS: &[crate::dissect::decl::FieldDef] = {
    use crate::dissect::decl::{f, FieldType::*};
    &[
        f("l2tp.flags", Uint, "Flags"),
        f("l2tp.type", Uint, "Type"),
        f("l2tp.length_bit", Bool, "Length Bit"),
        f("l2tp.seq_bit", Bool, "Sequence Bit"),
        f("l2tp.offset_bit", Bool, "Offset bit"),
        f("l2tp.priority", Bool, "Priority"),
        f("l2tp.version", Uint, "Version"),
        f("l2tp.length", Uint, "Length"),
        f("l2tp.tunnel", Uint, "Tunnel ID"),
        f("l2tp.session", Uint, "Session ID"),
        f("l2tp.Ns", Uint, "Ns"),
        f("l2tp.Nr", Uint, "Nr"),
        f("l2tp.offset", Uint, "Offset Size"),
    ]
};

/// Layer 2 Tunneling Protocol: names, place in the layer model, how it is reached, decoders.
pub static DECL: crate::dissect::decl::Decl = {
    use crate::dissect::decl::{Decl, Reach, Tier};
    Decl {
        filter_name: "l2tp",
        name: "Layer 2 Tunneling Protocol",
        display: "L2TP",
        short: "L2TP",
        tier: Tier::Link,
        reached: &[Reach::UdpPort(1701)],
        dissect,
        fields,
        info: Some(info),
        pdu_len: None,
        field_tables: &[FIELDS],
    }
};
