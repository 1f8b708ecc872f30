//! VXLAN (RFC 7348; UDP 4789, and 8472, the Linux kernel's old default)
//! and VXLAN-GPE (draft-ietf-nvo3-vxlan-gpe; UDP 4790), whose next-protocol
//! byte names IPv4, IPv6, Ethernet, NSH or MPLS.

use super::header;
use crate::dissect::bytes::{be16_or0, be24};
use crate::dissect::{Cx, FieldSink, Layer, Next, Packet, Proto, SinkExt, Value};

pub const HEADER_LEN: usize = 8;

fn is_gpe(pkt: &Packet<'_>, l: &Layer) -> bool {
    // The layer knows its flavour by the UDP port that reached it.
    crate::dissect::link::prev_layer(pkt, l)
        .filter(|u| u.proto == Proto::Udp)
        .and_then(|u| crate::dissect::transport::ports(pkt.bytes(u.header())))
        .is_some_and(|(s, d)| d == 4790 || (s == 4790 && d != 4789 && d != 8472))
}

pub fn dissect(cx: &mut Cx<'_, '_>, off: usize) -> Next {
    let Some(end) = header(cx, Proto::Vxlan, off, HEADER_LEN) else {
        return Next::Done;
    };
    let (layers, n) = (&cx.pkt.layers, cx.pkt.layers.len());
    let gpe = is_gpe(cx.pkt, &layers[n - 1]);
    if !gpe {
        return Next::Proto(Proto::Eth, end);
    }
    let b = cx.rest(off);
    match b[3] {
        1 => Next::Proto(Proto::Ip, end),
        2 => Next::Proto(Proto::Ipv6, end),
        3 => Next::Proto(Proto::Eth, end),
        4 => Next::Proto(Proto::Nsh, end),
        5 => Next::Proto(Proto::Mpls, end),
        _ => Next::Proto(Proto::Data, end),
    }
}

pub fn fields(pkt: &Packet<'_>, l: &Layer, out: &mut dyn FieldSink) {
    let o = l.start as usize;
    let b = pkt.bytes(l.header());
    out.layer("vxlan", "Virtual eXtensible Local Area Network", l.header());
    if b.len() < HEADER_LEN {
        return;
    }
    let vni = be24(b, 4).unwrap_or(0);
    if is_gpe(pkt, l) {
        let f = b[0];
        out.put("vxlan.flags", "Flags", Value::Hex(f as u64, 2), o..o + 1);
        let bit = |s: u8| Value::U(((f >> s) & 1) as u64);
        out.put(
            "vxlan.ver",
            "Version",
            Value::U(((f >> 4) & 3) as u64),
            o..o + 1,
        );
        out.put("vxlan.i_bit", "Instance", bit(3), o..o + 1);
        out.put("vxlan.p_bit", "Next Protocol Bit", bit(2), o..o + 1);
        out.put("vxlan.o_bit", "OAM bit", bit(0), o..o + 1);
        out.put(
            "vxlan.flags_reserved",
            "Reserved(R)",
            Value::U((f & 0xc2) as u64),
            o..o + 1,
        );
        out.put(
            "vxlan.reserved_16",
            "Reserved",
            Value::U(be16_or0(b, 1) as u64),
            o + 1..o + 3,
        );
        out.put(
            "vxlan.next_proto",
            "Next Protocol",
            Value::U(b[3] as u64),
            o + 3..o + 4,
        );
    } else {
        let f = be16_or0(b, 0);
        out.put("vxlan.flags", "Flags", Value::Hex(f as u64, 4), o..o + 2);
        let bit = |m: u16| Value::Bool(f & m != 0);
        out.put("vxlan.flag_g", "GBP Extension", bit(0x8000), o..o + 2);
        out.put(
            "vxlan.flag_i",
            "VXLAN Network ID (VNI)",
            bit(0x0800),
            o..o + 2,
        );
        out.put("vxlan.flag_d", "Don't Learn", bit(0x0040), o..o + 2);
        out.put("vxlan.flag_a", "Policy Applied", bit(0x0008), o..o + 2);
        out.put(
            "vxlan.flags_reserved",
            "Reserved(R)",
            Value::Hex((f & 0x77b7) as u64, 4),
            o..o + 2,
        );
        out.put(
            "vxlan.gbp",
            "Group Policy ID",
            Value::U(be16_or0(b, 2) as u64),
            o + 2..o + 4,
        );
    }
    out.put(
        "vxlan.vni",
        "VXLAN Network Identifier (VNI)",
        Value::U(vni as u64),
        o + 4..o + 7,
    );
    out.put(
        "vxlan.reserved8",
        "Reserved",
        Value::U(b[7] as u64),
        o + 7..o + 8,
    );
}

/// `VNI 42` for the Info column is left to the inner packet, as tshark.
pub const FIELDS: &[crate::dissect::decl::FieldDef] = {
    use crate::dissect::decl::{f, FieldType::*};
    &[
        f("vxlan.flags", Uint, "Flags"),
        f("vxlan.flags_reserved", Uint, "Reserved(R)"),
        f("vxlan.flag_g", Bool, "GBP Extension"),
        f("vxlan.flag_i", Bool, "VXLAN Network ID (VNI)"),
        f("vxlan.flag_d", Bool, "Don't Learn"),
        f("vxlan.flag_a", Bool, "Policy Applied"),
        f("vxlan.ver", Uint, "Version"),
        f("vxlan.i_bit", Uint, "Instance"),
        f("vxlan.p_bit", Uint, "Next Protocol Bit"),
        f("vxlan.o_bit", Uint, "OAM bit"),
        f("vxlan.gbp", Uint, "Group Policy ID"),
        f("vxlan.vni", Uint, "VXLAN Network Identifier (VNI)"),
        f("vxlan.reserved8", Uint, "Reserved"),
        f("vxlan.reserved_16", Uint, "Reserved"),
        f("vxlan.next_proto", Uint, "Next Protocol"),
    ]
};

/// Virtual eXtensible Local Area Network: names, place in the layer model, how it is reached, decoders.
pub static DECL: crate::dissect::decl::Decl = {
    use crate::dissect::decl::{Decl, Reach, Tier};
    Decl {
        filter_name: "vxlan",
        name: "Virtual eXtensible Local Area Network",
        display: "VXLAN",
        short: "VXLAN",
        tier: Tier::Link,
        reached: &[
            Reach::UdpPort(4789),
            Reach::UdpPort(4790),
            Reach::UdpPort(8472),
        ],
        dissect,
        fields,
        info: None,
        pdu_len: None,
        field_tables: &[FIELDS],
    }
};
