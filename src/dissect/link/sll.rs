//! Linux cooked capture: SLL (LINKTYPE_LINUX_SLL, 16-byte header) and SLL2
//! (LINKTYPE_LINUX_SLL2, 20-byte header adding the interface index).
//!
//! The protocol field is an EtherType when above 1536 (Linux's own
//! threshold), else a Linux `ETH_P_*` number. On GRE tunnels (ARPHRD_IPGRE)
//! it is a GRE protocol type, which Wireshark dispatches without its
//! ethertype dissector: hence `sll:ipv6` rather than `sll:ethertype:ipv6`.

use super::{next_layer, trailer_fields};
use crate::dissect::ethertype;
use crate::dissect::{Cx, FieldSink, Layer, Next, Packet, Proto, SinkExt, Value};

pub const HEADER_LEN: usize = 16;
pub const HEADER2_LEN: usize = 20;
/// Both versions reserve 8 bytes for the link-layer address.
const ADDR_LEN: usize = 8;
const ARPHRD_IPGRE: u16 = 778;
const ARPHRD_NETLINK: u16 = 824;
/// Linux ETH_P_802_3-style protocol numbers Wireshark decodes.
const LINUX_SLL_P_ETHERNET: u16 = 0x0003;
const LINUX_SLL_P_802_2: u16 = 0x0004;

/// Offsets of the header fields, which differ between the two versions.
struct Shape {
    len: usize,
    protocol: usize,
    hatype: usize,
    pkttype: usize,
    halen: usize,
    halen_width: usize,
}

const V1: Shape = Shape {
    len: HEADER_LEN,
    protocol: 14,
    hatype: 2,
    pkttype: 0,
    halen: 4,
    halen_width: 2,
};
const V2: Shape = Shape {
    len: HEADER2_LEN,
    protocol: 0,
    hatype: 8,
    pkttype: 10,
    halen: 11,
    halen_width: 1,
};

fn shape(p: Proto) -> &'static Shape {
    if p == Proto::Sll2 {
        &V2
    } else {
        &V1
    }
}

/// Header view; `new` refuses fewer bytes than the version's header.
struct Hdr<'a> {
    b: &'a [u8],
    s: &'static Shape,
}

impl<'a> Hdr<'a> {
    fn new(b: &'a [u8], p: Proto) -> Option<Self> {
        let s = shape(p);
        (b.len() >= s.len).then_some(Hdr { b, s })
    }
    fn u16_at(&self, at: usize) -> u16 {
        u16::from_be_bytes([self.b[at], self.b[at + 1]])
    }
    fn protocol(&self) -> u16 {
        self.u16_at(self.s.protocol)
    }
    fn hatype(&self) -> u16 {
        self.u16_at(self.s.hatype)
    }
    fn pkttype(&self) -> u16 {
        if self.s.halen_width == 1 {
            self.b[self.s.pkttype] as u16
        } else {
            self.u16_at(self.s.pkttype)
        }
    }
    fn halen(&self) -> usize {
        if self.s.halen_width == 1 {
            self.b[self.s.halen] as usize
        } else {
            self.u16_at(self.s.halen) as usize
        }
    }
    fn addr_at(&self) -> usize {
        self.s.halen + self.s.halen_width
    }
    fn ifindex(&self) -> u32 {
        u32::from_be_bytes([self.b[4], self.b[5], self.b[6], self.b[7]])
    }
}

pub fn dissect(cx: &mut Cx<'_, '_>, off: usize) -> Next {
    dissect_any(cx, off, Proto::Sll)
}

pub fn dissect2(cx: &mut Cx<'_, '_>, off: usize) -> Next {
    dissect_any(cx, off, Proto::Sll2)
}

fn dissect_any(cx: &mut Cx<'_, '_>, off: usize, p: Proto) -> Next {
    let Some(h) = Hdr::new(cx.rest(off), p) else {
        cx.short(p, "Linux cooked header cut short");
        return Next::Done;
    };
    let end = off + h.s.len;
    let (proto, hatype) = (h.protocol(), h.hatype());
    if !cx.push(p, off, end, cx.limit) {
        return Next::Done;
    }
    if proto > 1536 {
        return Next::Ethertype(proto, end);
    }
    // Netlink messages (the protocol is a netlink family) and Linux protocol
    // numbers other than these carry nothing layerscope decodes.
    if hatype == ARPHRD_NETLINK {
        return Next::Proto(Proto::Data, end);
    }
    match proto {
        LINUX_SLL_P_802_2 => Next::Proto(Proto::Llc, end),
        LINUX_SLL_P_ETHERNET => Next::Proto(Proto::Eth, end),
        _ => Next::Proto(Proto::Data, end),
    }
}

/// True when Wireshark reaches the payload through its ethertype dissector.
pub fn names_by_ethertype(pkt: &Packet<'_>, l: &Layer) -> bool {
    Hdr::new(pkt.bytes(l.header()), l.proto)
        .is_some_and(|h| h.protocol() > 1536 && h.hatype() != ARPHRD_IPGRE)
}

pub fn fields(pkt: &Packet<'_>, l: &Layer, out: &mut dyn FieldSink) {
    let o = l.start as usize;
    let Some(h) = Hdr::new(pkt.bytes(l.header()), l.proto) else {
        return;
    };
    let s = h.s;
    let v2 = l.proto == Proto::Sll2;
    out.layer(
        "sll",
        if v2 {
            "Linux cooked capture v2"
        } else {
            "Linux cooked capture v1"
        },
        l.header(),
    );
    let r = |at: usize, n: usize| o + at..o + at + n;
    if v2 {
        protocol_field(&h, out, r(s.protocol, 2));
        out.put(
            "sll.ifindex",
            "Interface index",
            Value::U(h.ifindex() as u64),
            r(4, 4),
        );
        out.put_note(
            "sll.hatype",
            "Link-layer address type",
            Value::U(h.hatype() as u64),
            r(s.hatype, 2),
            hatype_name(h.hatype()),
        );
        let pt = h.pkttype();
        out.put_note(
            "sll.pkttype",
            "Packet type",
            Value::U(pt as u64),
            r(s.pkttype, 1),
            pkttype_name(pt),
        );
    } else {
        let pt = h.pkttype();
        out.put_note(
            "sll.pkttype",
            "Packet type",
            Value::U(pt as u64),
            r(s.pkttype, 2),
            pkttype_name(pt),
        );
        out.put_note(
            "sll.hatype",
            "Link-layer address type",
            Value::U(h.hatype() as u64),
            r(s.hatype, 2),
            hatype_name(h.hatype()),
        );
    }
    let halen = h.halen();
    out.put(
        "sll.halen",
        "Link-layer address length",
        Value::U(halen as u64),
        r(s.halen, s.halen_width),
    );
    let a = h.addr_at();
    let ab = &h.b[a..a + ADDR_LEN];
    match halen {
        0 => {}
        4 => out.put(
            "sll.src.ipv4",
            "Source",
            Value::Ipv4([ab[0], ab[1], ab[2], ab[3]]),
            r(a, 4),
        ),
        6 => out.put(
            "sll.src.eth",
            "Source",
            Value::Mac([ab[0], ab[1], ab[2], ab[3], ab[4], ab[5]]),
            r(a, 6),
        ),
        n => {
            let n = n.min(ADDR_LEN);
            out.put("sll.src.other", "Source", Value::Bytes(&ab[..n]), r(a, n));
        }
    }
    if halen < ADDR_LEN {
        out.put(
            "sll.unused",
            "Unused",
            Value::Bytes(&ab[halen..]),
            r(a + halen, ADDR_LEN - halen),
        );
    }
    if !v2 {
        protocol_field(&h, out, r(s.protocol, 2));
    }
    if names_by_ethertype(pkt, l) {
        if let Some(n) = next_layer(pkt, l) {
            trailer_fields(pkt, n.limit as usize, out, "sll.trailer", false);
        }
    }
}

fn protocol_field(h: &Hdr<'_>, out: &mut dyn FieldSink, r: std::ops::Range<usize>) {
    let p = h.protocol();
    let v = Value::Hex(p as u64, 4);
    if p <= 1536 {
        out.put_note("sll.ltype", "Protocol", v, r, ltype_name(p));
    } else if h.hatype() == ARPHRD_IPGRE {
        out.put_note("sll.gretype", "Protocol", v, r, ethertype::name(p));
    } else {
        out.put_note("sll.etype", "Protocol", v, r, ethertype::name(p));
    }
}

/// Info when nothing above the header sets it: the packet type.
pub fn info(pkt: &Packet<'_>, l: &Layer, w: &mut Vec<u8>) {
    let Some(h) = Hdr::new(pkt.bytes(l.header()), l.proto) else {
        return;
    };
    let pt = h.pkttype();
    match pkttype_name(pt) {
        "" => {
            w.extend_from_slice(b"Unknown (");
            w.extend_from_slice(itoa::Buffer::new().format(pt).as_bytes());
            w.push(b')');
        }
        s => w.extend_from_slice(s.as_bytes()),
    }
}

fn pkttype_name(t: u16) -> &'static str {
    match t {
        0 => "Unicast to us",
        1 => "Broadcast",
        2 => "Multicast",
        3 => "Unicast to another host",
        4 => "Sent by us",
        _ => "",
    }
}

fn ltype_name(t: u16) -> &'static str {
    match t {
        0x0001 => "Raw 802.3",
        0x0003 => "Ethernet",
        0x0004 => "802.2 LLC",
        0x0007 => "PPP (HDLC)",
        0x000c => "CAN",
        0x000d => "CAN FD",
        _ => "",
    }
}

fn hatype_name(t: u16) -> &'static str {
    match t {
        1 => "Ethernet",
        6 => "IEEE 802",
        512 => "PPP",
        772 => "Loopback",
        776 => "IPv6-in-IPv4",
        778 => "GRE over IP",
        801 => "IEEE 802.11",
        803 => "IEEE 802.11 + radiotap header",
        824 => "Netlink",
        65534 => "None",
        _ => "",
    }
}

/// Every field this file's decoders emit, as Wireshark registers them.
pub const FIELDS: &[crate::dissect::decl::FieldDef] = {
    use crate::dissect::decl::{f, FieldType::*};
    &[
        f("sll.etype", Uint, "Protocol"),
        f("sll.gretype", Uint, "Protocol"),
        f("sll.halen", Uint, "Link-layer address length"),
        f("sll.hatype", Uint, "Link-layer address type"),
        f("sll.ifindex", Uint, "Interface index"),
        f("sll.ltype", Uint, "Protocol"),
        f("sll.pkttype", Uint, "Packet type"),
        f("sll.src.eth", Mac, "Source"),
        f("sll.src.ipv4", Ipv4, "Source"),
        f("sll.src.other", Bytes, "Source"),
        f("sll.trailer", Bytes, "Trailer"),
        f("sll.unused", Bytes, "Unused"),
    ]
};

/// Linux cooked-mode capture: names, place in the layer model, how it is reached, decoders.
pub static SLL: crate::dissect::decl::Decl = {
    use crate::dissect::decl::{Decl, Reach, Tier};
    Decl {
        filter_name: "sll",
        name: "Linux cooked-mode capture",
        display: "SLL",
        short: "SLL",
        tier: Tier::Link,
        reached: &[Reach::LinkType(113)],
        dissect,
        fields,
        info: Some(info),
        pdu_len: None,
        field_tables: &[FIELDS, super::TRAILER_FIELDS],
    }
};

/// Linux cooked-mode capture v2: names, place in the layer model, how it is reached, decoders.
pub static SLL2: crate::dissect::decl::Decl = {
    use crate::dissect::decl::{Decl, Reach, Tier};
    Decl {
        filter_name: "sll",
        name: "Linux cooked-mode capture v2",
        display: "SLL2",
        short: "SLL2",
        tier: Tier::Link,
        reached: &[Reach::LinkType(276)],
        dissect: dissect2,
        fields,
        info: Some(info),
        pdu_len: None,
        field_tables: &[FIELDS, super::TRAILER_FIELDS],
    }
};

#[cfg(test)]
mod tests {
    use crate::dissect::link::testutil::{hex, run};
    use crate::dissect::linktype::{LINUX_SLL, LINUX_SLL2};

    // Expected values: tshark 4.0.17 on the same bytes.
    #[test]
    fn sll_v1_arp_with_padding_and_trailer() {
        // zeek linuxsll-arp.pcap frame 1.
        let f = hex("000100010006cc2de0261999000008060001080006040001cc2de0261999c0a81601000000000000c0a816a0000000000000000000000000000000000000");
        let o = run(LINUX_SLL, &f, f.len());
        assert_eq!(o.protocols, "sll:ethertype:arp");
        assert_eq!(
            o.with_prefix("sll"),
            [
                "sll.pkttype=1",
                "sll.hatype=1",
                "sll.halen=6",
                "sll.src.eth=cc:2d:e0:26:19:99",
                "sll.unused=0000",
                "sll.etype=0x0806",
                "sll.trailer=0000"
            ]
        );
        assert_eq!(o.get("eth.padding"), "00".repeat(16));
        assert_eq!(o.info, "Who has 192.168.22.160? Tell 192.168.22.1");
    }

    #[test]
    fn sll_v2_arp() {
        // zeek linux_dlt_sll2.pcap frame 5.
        let f = hex("080600000000001a000104068e360644acaf000000010800060400018e360644acafc0000201000000000000c0000202");
        let o = run(LINUX_SLL2, &f, f.len());
        assert_eq!(o.protocols, "sll:ethertype:arp");
        assert_eq!(
            o.with_prefix("sll"),
            [
                "sll.etype=0x0806",
                "sll.ifindex=26",
                "sll.hatype=1",
                "sll.pkttype=4",
                "sll.halen=6",
                "sll.src.eth=8e:36:06:44:ac:af",
                "sll.unused=0000"
            ]
        );
        assert_eq!(o.info, "Who has 192.0.2.2? Tell 192.0.2.1");
    }

    #[test]
    fn address_kinds_and_protocol_kinds() {
        let o = run(LINUX_SLL, &hex("0000 0001 0004 0a000001 00000000 0800"), 16);
        assert_eq!(o.with_prefix("sll.src"), ["sll.src.ipv4=10.0.0.1"]);
        assert_eq!(o.get("sll.unused"), "00000000");
        let o = run(LINUX_SLL, &hex("0002 0001 000a 0102030405060708 86dd"), 16);
        assert_eq!(o.get("sll.src.other"), "0102030405060708");
        assert_eq!(o.get("sll.unused"), "");
        // GRE tunnel: a GRE protocol type, no ethertype pseudo-protocol (babel.pcap).
        let o = run(
            LINUX_SLL,
            &hex("0003 030a 0000 0000000000000000 86dd 00"),
            17,
        );
        assert_eq!(o.get("sll.gretype"), "0x86dd");
        // One byte cannot be IPv6 (tshark then shows data), but no
        // `ethertype` pseudo-protocol may appear either way.
        assert!(
            o.protocols.starts_with("sll:") && !o.protocols.contains("ethertype"),
            "{}",
            o.protocols
        );
        assert_eq!(o.get("sll.unused"), "0000000000000000");
        // Linux protocol 4: 802.2 LLC follows.
        let o = run(
            LINUX_SLL,
            &hex("0004 0001 0006 001122334455 0000 0004 aaaa03000000 0806"),
            24,
        );
        assert_eq!(o.get("sll.ltype"), "0x0004");
        assert_eq!(o.protocols, "sll:llc");
        let o = run(
            LINUX_SLL,
            &hex("0003 0001 0006 001122334455 0000 0003 abcdef"),
            19,
        );
        assert_eq!(o.info, "Unicast to another host");
    }

    #[test]
    fn cut_short_never_panics() {
        let f = hex("080600000000001a000104068e360644acaf000000010800060400018e360644acafc0000201000000000000c0000202");
        for n in 0..f.len() {
            run(LINUX_SLL, &f[..n], f.len());
            assert!(run(LINUX_SLL2, &f[..n], f.len()).issue, "{n}");
        }
    }
}
