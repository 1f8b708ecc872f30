//! ARP (RFC 826) and RARP (RFC 903): one format, any address sizes.
//!
//! Addresses are typed only for Ethernet/IEEE 802 hardware with 6-byte
//! addresses and IPv4 with 4-byte ones (`arp.src.hw_mac`,
//! `arp.src.proto_ipv4`); any other sizes give the raw-bytes fields
//! (`arp.src.hw`, `arp.src.proto`), as Wireshark does.

use crate::dissect::bytes::be16_or0;
use crate::dissect::ethertype;
use crate::dissect::{Cx, FieldSink, Layer, Next, Packet, Proto, SinkExt, Value};
use std::ops::Range;

/// Fixed part: hardware type, protocol type, sizes, opcode.
pub const FIXED_LEN: usize = 8;

const OP_REQUEST: u16 = 1;
const OP_REPLY: u16 = 2;
const ARPHRD_ETHER: u16 = 1;
const ARPHRD_IEEE802: u16 = 6;
/// AX.25's PID for IP, which Wireshark also accepts as an IPv4 protocol type.
const AX25_P_IP: u16 = 0xcc;

// Byte ranges of the fixed part; the addresses follow, sized by it.
pub const HW_TYPE: Range<usize> = 0..2;
pub const PROTO_TYPE: Range<usize> = 2..4;
pub const HW_SIZE: Range<usize> = 4..5;
pub const PROTO_SIZE: Range<usize> = 5..6;
pub const OPCODE: Range<usize> = 6..8;

/// Read-only view of an ARP packet; `new` refuses fewer than 8 bytes, and
/// address accessors return `None` past the captured bytes. Address ranges
/// are offsets from the start of the ARP header.
#[derive(Clone, Copy)]
pub struct ArpHeader<'a>(&'a [u8]);

impl<'a> ArpHeader<'a> {
    pub fn new(b: &'a [u8]) -> Option<Self> {
        (b.len() >= FIXED_LEN).then_some(ArpHeader(b))
    }
    pub fn hw_type(&self) -> u16 {
        be16_or0(self.0, HW_TYPE.start)
    }
    pub fn proto_type(&self) -> u16 {
        be16_or0(self.0, PROTO_TYPE.start)
    }
    pub fn hw_size(&self) -> usize {
        self.0[HW_SIZE.start] as usize
    }
    pub fn proto_size(&self) -> usize {
        self.0[PROTO_SIZE.start] as usize
    }
    pub fn opcode(&self) -> u16 {
        be16_or0(self.0, OPCODE.start)
    }
    /// Length the sizes announce: 8 + 2 * (hw + proto).
    pub fn total_len(&self) -> usize {
        FIXED_LEN + 2 * (self.hw_size() + self.proto_size())
    }
    pub fn sender_hw_range(&self) -> Range<usize> {
        FIXED_LEN..FIXED_LEN + self.hw_size()
    }
    pub fn sender_proto_range(&self) -> Range<usize> {
        let at = self.sender_hw_range().end;
        at..at + self.proto_size()
    }
    pub fn target_hw_range(&self) -> Range<usize> {
        let at = self.sender_proto_range().end;
        at..at + self.hw_size()
    }
    pub fn target_proto_range(&self) -> Range<usize> {
        let at = self.target_hw_range().end;
        at..at + self.proto_size()
    }
    fn get(&self, off: usize, len: usize) -> Option<&'a [u8]> {
        self.0.get(off..off + len)
    }
    pub fn sender_hw(&self) -> Option<&'a [u8]> {
        self.0.get(self.sender_hw_range())
    }
    pub fn sender_proto(&self) -> Option<&'a [u8]> {
        self.0.get(self.sender_proto_range())
    }
    pub fn target_hw(&self) -> Option<&'a [u8]> {
        self.0.get(self.target_hw_range())
    }
    pub fn target_proto(&self) -> Option<&'a [u8]> {
        self.0.get(self.target_proto_range())
    }
    fn hw_is_ether(&self) -> bool {
        matches!(self.hw_type(), ARPHRD_ETHER | ARPHRD_IEEE802) && self.hw_size() == 6
    }
    fn proto_is_ipv4(&self) -> bool {
        matches!(self.proto_type(), ethertype::IPV4 | AX25_P_IP) && self.proto_size() == 4
    }

    /// Wireshark's gratuitous / probe / announcement classification. Like
    /// Wireshark it compares 6 bytes of target hardware address and 4 of
    /// sender protocol address whatever the sizes say.
    fn kind(&self) -> Kind {
        let op = self.opcode();
        if op != OP_REQUEST && op != OP_REPLY {
            return Kind::Plain;
        }
        let tha_zero = self
            .get(self.target_hw_range().start, 6)
            .is_some_and(|b| b.iter().all(|&x| x == 0));
        let ps = self.proto_size();
        if ps != 0 && self.sender_proto().is_some() && self.sender_proto() == self.target_proto() {
            if op == OP_REQUEST && tha_zero {
                return Kind::Announcement;
            }
            return Kind::Gratuitous;
        }
        let spa_zero = self
            .get(self.sender_proto_range().start, 4)
            .is_some_and(|b| b == [0, 0, 0, 0]);
        if op == OP_REQUEST && tha_zero && spa_zero {
            return Kind::Probe;
        }
        Kind::Plain
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Plain,
    /// Sender and target protocol addresses equal.
    Gratuitous,
    /// Gratuitous request with an all-zero target MAC (RFC 5227).
    Announcement,
    /// Request from 0.0.0.0 with an all-zero target MAC (RFC 5227).
    Probe,
}

pub fn dissect(cx: &mut Cx<'_, '_>, off: usize) -> Next {
    let Some(a) = ArpHeader::new(cx.rest(off)) else {
        cx.short(Proto::Arp, "ARP header cut short");
        return Next::Done;
    };
    let total = a.total_len();
    let avail = cx.limit.saturating_sub(off);
    let end = off + total.min(avail);
    // The sizes fix the packet's length; the rest of the frame is padding.
    if !cx.push(Proto::Arp, off, end, off + total) {
        return Next::Done;
    }
    if total > avail {
        cx.short(Proto::Arp, "ARP addresses cut short");
    }
    Next::Done
}

pub fn fields(pkt: &Packet<'_>, l: &Layer, out: &mut dyn FieldSink) {
    let o = l.start as usize;
    let Some(a) = ArpHeader::new(pkt.bytes(l.extent())) else {
        return;
    };
    out.layer("arp", "Address Resolution Protocol", l.extent());
    let r = |x: Range<usize>| o + x.start..o + x.end;
    let (hw, pr, op) = (a.hw_type(), a.proto_type(), a.opcode());
    out.put_note(
        "arp.hw.type",
        "Hardware type",
        Value::U(hw as u64),
        r(HW_TYPE),
        hw_name(hw),
    );
    let pname = ethertype::name(pr);
    out.put_note(
        "arp.proto.type",
        "Protocol type",
        Value::Hex(pr as u64, 4),
        r(PROTO_TYPE),
        pname,
    );
    out.put(
        "arp.hw.size",
        "Hardware size",
        Value::U(a.hw_size() as u64),
        r(HW_SIZE),
    );
    out.put(
        "arp.proto.size",
        "Protocol size",
        Value::U(a.proto_size() as u64),
        r(PROTO_SIZE),
    );
    out.put_note(
        "arp.opcode",
        "Opcode",
        Value::U(op as u64),
        r(OPCODE),
        op_name(op),
    );
    match a.kind() {
        Kind::Gratuitous => out.put("arp.isgratuitous", "Is gratuitous", Value::Bool(true), 0..0),
        Kind::Announcement => {
            out.put("arp.isgratuitous", "Is gratuitous", Value::Bool(true), 0..0);
            out.put(
                "arp.isannouncement",
                "Is announcement",
                Value::Bool(true),
                0..0,
            );
        }
        Kind::Probe => out.put("arp.isprobe", "Is probe", Value::Bool(true), 0..0),
        Kind::Plain => {}
    }
    let (hs, ps) = (a.hw_size(), a.proto_size());
    // Each address is emitted only when its bytes were captured.
    let hw_field = |out: &mut dyn FieldSink, b: Option<&[u8]>, at: Range<usize>, src: bool| {
        let Some(b) = b.filter(|_| hs != 0) else {
            return;
        };
        let rr = r(at);
        if a.hw_is_ether() {
            let m = [b[0], b[1], b[2], b[3], b[4], b[5]];
            let (n, lbl) = if src {
                ("arp.src.hw_mac", "Sender MAC address")
            } else {
                ("arp.dst.hw_mac", "Target MAC address")
            };
            out.put(n, lbl, Value::Mac(m), rr);
        } else {
            let (n, lbl) = if src {
                ("arp.src.hw", "Sender hardware address")
            } else {
                ("arp.dst.hw", "Target hardware address")
            };
            out.put(n, lbl, Value::Bytes(b), rr);
        }
    };
    let pr_field = |out: &mut dyn FieldSink, b: Option<&[u8]>, at: Range<usize>, src: bool| {
        let Some(b) = b.filter(|_| ps != 0) else {
            return;
        };
        let rr = r(at);
        if a.proto_is_ipv4() {
            let v = [b[0], b[1], b[2], b[3]];
            let (n, lbl) = if src {
                ("arp.src.proto_ipv4", "Sender IP address")
            } else {
                ("arp.dst.proto_ipv4", "Target IP address")
            };
            out.put(n, lbl, Value::Ipv4(v), rr);
        } else {
            let (n, lbl) = if src {
                ("arp.src.proto", "Sender protocol address")
            } else {
                ("arp.dst.proto", "Target protocol address")
            };
            out.put(n, lbl, Value::Bytes(b), rr);
        }
    };
    hw_field(out, a.sender_hw(), a.sender_hw_range(), true);
    pr_field(out, a.sender_proto(), a.sender_proto_range(), true);
    hw_field(out, a.target_hw(), a.target_hw_range(), false);
    if op == 7 {
        // DRARP error: the first byte of the target protocol address is a status.
        let at = a.target_proto_range().start;
        if let Some(b) = a.get(at, 1).filter(|_| ps != 0) {
            out.put(
                "arp.dst.drarp_error_status",
                "DRARP error status",
                Value::U(b[0] as u64),
                r(at..at + 1),
            );
        }
    } else {
        pr_field(out, a.target_proto(), a.target_proto_range(), false);
    }
}

/// Info text exactly as Wireshark's ARP dissector writes it.
pub fn info(pkt: &Packet<'_>, l: &Layer, w: &mut Vec<u8>) {
    let Some(a) = ArpHeader::new(pkt.bytes(l.extent())) else {
        return;
    };
    if pkt.bytes(l.extent()).len() < a.total_len() {
        // Wireshark gives up on a cut-short ARP before writing its summary.
        return;
    }
    let op = a.opcode();
    let kind = a.kind();
    let spa = |w: &mut Vec<u8>| proto_addr(w, &a, a.sender_proto());
    let tpa = |w: &mut Vec<u8>| proto_addr(w, &a, a.target_proto());
    let sha = |w: &mut Vec<u8>| hw_addr(w, &a, a.sender_hw());
    let tha = |w: &mut Vec<u8>| hw_addr(w, &a, a.target_hw());
    let mut n = itoa::Buffer::new();
    match op {
        OP_REQUEST => match kind {
            Kind::Announcement => {
                w.extend_from_slice(b"ARP Announcement for ");
                tpa(w);
            }
            Kind::Gratuitous => {
                w.extend_from_slice(b"Gratuitous ARP for ");
                tpa(w);
                w.extend_from_slice(b" (Request)");
            }
            Kind::Probe => {
                w.extend_from_slice(b"Who has ");
                tpa(w);
                w.extend_from_slice(b"? (ARP Probe)");
            }
            Kind::Plain => {
                w.extend_from_slice(b"Who has ");
                tpa(w);
                w.extend_from_slice(b"? Tell ");
                spa(w);
            }
        },
        OP_REPLY if kind == Kind::Gratuitous => {
            w.extend_from_slice(b"Gratuitous ARP for ");
            spa(w);
            w.extend_from_slice(b" (Reply)");
        }
        OP_REPLY => {
            spa(w);
            w.extend_from_slice(b" is at ");
            sha(w);
        }
        // RARP, DRARP and InARP requests.
        3 | 5 | 8 => {
            w.extend_from_slice(b"Who is ");
            tha(w);
            w.extend_from_slice(b"? Tell ");
            sha(w);
        }
        4 | 6 => {
            tha(w);
            w.extend_from_slice(b" is at ");
            tpa(w);
        }
        7 => w.extend_from_slice(b"DRARP Error"),
        9 => {
            sha(w);
            w.extend_from_slice(b" is at ");
            spa(w);
        }
        10 => w.extend_from_slice(b"ARP NAK"),
        24 | 25 => {
            w.extend_from_slice(if op == 24 {
                b"Experimental 1 ( opcode "
            } else {
                b"Experimental 2 ( opcode "
            });
            w.extend_from_slice(n.format(op).as_bytes());
            w.extend_from_slice(b" )");
        }
        0 | 65535 => {
            w.extend_from_slice(b"Reserved opcode ");
            w.extend_from_slice(n.format(op).as_bytes());
        }
        11..=23 => {
            w.extend_from_slice(mars_prefix(op).as_bytes());
            sha(w);
            w.extend_from_slice(b" at ");
            spa(w);
        }
        _ => {
            w.extend_from_slice(b"Unknown ARP opcode ");
            Value::Hex(op as u64, 4).write_to(w);
        }
    }
}

fn proto_addr(w: &mut Vec<u8>, a: &ArpHeader<'_>, b: Option<&[u8]>) {
    match b {
        _ if a.proto_size() == 0 => w.extend_from_slice(b"<No address>"),
        Some(b) if a.proto_is_ipv4() => Value::Ipv4([b[0], b[1], b[2], b[3]]).write_to(w),
        Some(b) => bytes_text(w, b),
        None => {}
    }
}

fn hw_addr(w: &mut Vec<u8>, a: &ArpHeader<'_>, b: Option<&[u8]>) {
    match b {
        _ if a.hw_size() == 0 => w.extend_from_slice(b"<No address>"),
        Some(b) if a.hw_is_ether() => Value::Mac([b[0], b[1], b[2], b[3], b[4], b[5]]).write_to(w),
        Some(b) => bytes_text(w, b),
        None => {}
    }
}

/// Wireshark's `bytes_to_str`: plain hex, cut at 36 bytes with an ellipsis.
fn bytes_text(w: &mut Vec<u8>, b: &[u8]) {
    const MAX: usize = 36;
    Value::Bytes(&b[..b.len().min(MAX)]).write_to(w);
    if b.len() > MAX {
        w.extend_from_slice("…".as_bytes());
    }
}

fn mars_prefix(op: u16) -> &'static str {
    match op {
        11 => "MARS request from ",
        12 => "MARS MULTI request from ",
        13 => "MARS MSERV request from ",
        14 => "MARS JOIN request from ",
        15 => "MARS LEAVE from ",
        16 => "MARS NAK from ",
        17 => "MARS UNSERV request from ",
        18 => "MARS SJOIN request from ",
        19 => "MARS SLEAVE from ",
        20 => "MARS grouplist request from ",
        21 => "MARS grouplist reply from ",
        22 => "MARS redirect map from ",
        _ => "MAPOS UNARP request from ",
    }
}

/// Protocol column text: ARP, RARP, DRARP, Inverse ARP, MARS, MAPOS.
pub fn column_name(pkt: &Packet<'_>, l: &Layer) -> &'static str {
    let op = ArpHeader::new(pkt.bytes(l.extent()))
        .map(|a| a.opcode())
        .unwrap_or(0);
    match op {
        3 | 4 => "RARP",
        5..=7 => "DRARP",
        8 | 9 => "Inverse ARP",
        11..=22 => "MARS",
        23 => "MAPOS",
        _ => "ARP",
    }
}

fn op_name(op: u16) -> &'static str {
    match op {
        1 => "request",
        2 => "reply",
        3 => "reverse request",
        4 => "reverse reply",
        5 => "drarp request",
        6 => "drarp reply",
        7 => "drarp error",
        8 => "inverse request",
        9 => "inverse reply",
        10 => "arp nak",
        24 => "experimental 1",
        25 => "experimental 2",
        0 | 65535 => "reserved",
        _ => "",
    }
}

fn hw_name(t: u16) -> &'static str {
    match t {
        0 => "NET/ROM pseudo",
        1 => "Ethernet",
        2 => "Experimental Ethernet",
        3 => "AX.25",
        4 => "ProNET",
        5 => "Chaos",
        6 => "IEEE 802",
        7 => "ARCNET",
        15 => "Frame Relay DLCI",
        16 => "ATM",
        17 => "HDLC",
        18 => "Fibre Channel",
        19 => "ATM (RFC 2225)",
        20 => "Serial Line",
        32 => "InfiniBand",
        _ => "",
    }
}

/// Every field this file's decoders emit, as Wireshark registers them.
pub const FIELDS: &[crate::dissect::decl::FieldDef] = {
    use crate::dissect::decl::{f, FieldType::*};
    &[
        f("arp.dst.drarp_error_status", Uint, "DRARP error status"),
        f("arp.dst.hw", Bytes, "Target hardware address"),
        f("arp.dst.hw_mac", Mac, "Target MAC address"),
        f("arp.dst.proto", Bytes, "Target protocol address"),
        f("arp.dst.proto_ipv4", Ipv4, "Target IP address"),
        f("arp.hw.size", Uint, "Hardware size"),
        f("arp.hw.type", Uint, "Hardware type"),
        f("arp.isannouncement", Bool, "Is announcement"),
        f("arp.isgratuitous", Bool, "Is gratuitous"),
        f("arp.isprobe", Bool, "Is probe"),
        f("arp.opcode", Uint, "Opcode"),
        f("arp.proto.size", Uint, "Protocol size"),
        f("arp.proto.type", Uint, "Protocol type"),
        f("arp.src.hw", Bytes, "Sender hardware address"),
        f("arp.src.hw_mac", Mac, "Sender MAC address"),
        f("arp.src.proto", Bytes, "Sender protocol address"),
        f("arp.src.proto_ipv4", Ipv4, "Sender IP address"),
    ]
};

/// Address Resolution Protocol: names, place in the layer model, how it is reached, decoders.
pub static DECL: crate::dissect::decl::Decl = {
    use crate::dissect::decl::{Decl, Reach, Tier};
    Decl {
        filter_name: "arp",
        name: "Address Resolution Protocol",
        display: "ARP",
        short: "ARP",
        tier: Tier::Network,
        reached: &[Reach::Ethertype(0x0806), Reach::Ethertype(0x8035)],
        dissect,
        fields,
        info: Some(info),
        pdu_len: None,
        field_tables: &[FIELDS],
    }
};

#[cfg(test)]
mod tests {
    use crate::dissect::link::testutil::{hex, run, Out};
    use crate::dissect::linktype::ETHERNET;

    fn arp(body: &str) -> Out {
        let f = hex(&format!("ffffffffffff0011223344550806{body}"));
        run(ETHERNET, &f, f.len())
    }

    #[test]
    fn header_view_reads_what_tshark_reads() {
        use super::ArpHeader;
        // tshark 4.0.17 on fixtures/arp.pcap frame 2: a reply from
        // 00:00:5e:00:53:fe / 192.0.2.1 to 00:00:5e:00:53:01 / 192.0.2.10.
        let path = format!("{}/fixtures/arp.pcap", env!("CARGO_MANIFEST_DIR"));
        let frames = crate::flow::testutil::read_pcap(&path).expect("fixture readable");
        let a = ArpHeader::new(&frames[1].0[14..]).expect("8 bytes");
        assert_eq!((a.hw_type(), a.proto_type(), a.opcode()), (1, 0x0800, 2));
        assert_eq!((a.hw_size(), a.proto_size(), a.total_len()), (6, 4, 28));
        // RFC 826 order: sender hw, sender proto, target hw, target proto.
        assert_eq!(a.sender_hw_range(), 8..14);
        assert_eq!(a.sender_proto_range(), 14..18);
        assert_eq!(a.target_hw_range(), 18..24);
        assert_eq!(a.target_proto_range(), 24..28);
        assert_eq!(a.sender_hw(), Some(&[0, 0, 0x5e, 0, 0x53, 0xfe][..]));
        assert_eq!(a.sender_proto(), Some(&[192, 0, 2, 1][..]));
        assert_eq!(a.target_hw(), Some(&[0, 0, 0x5e, 0, 0x53, 0x01][..]));
        assert_eq!(a.target_proto(), Some(&[192, 0, 2, 10][..]));
        // Cut after the target hardware address: the rest reads as missing.
        let cut = ArpHeader::new(&frames[1].0[14..14 + 26]).unwrap();
        assert_eq!(cut.target_proto(), None);
        assert!(ArpHeader::new(&frames[1].0[14..21]).is_none());
    }

    // Expected values: tshark 4.0.17 on the same bytes.
    #[test]
    fn request_and_reply() {
        let o = arp("0001 0800 06 04 0001 001122334455 0a63007b 000000000000 0a630001");
        assert_eq!(o.protocols, "eth:ethertype:arp");
        assert_eq!(
            o.with_prefix("arp"),
            [
                "arp.hw.type=1",
                "arp.proto.type=0x0800",
                "arp.hw.size=6",
                "arp.proto.size=4",
                "arp.opcode=1",
                "arp.src.hw_mac=00:11:22:33:44:55",
                "arp.src.proto_ipv4=10.99.0.123",
                "arp.dst.hw_mac=00:00:00:00:00:00",
                "arp.dst.proto_ipv4=10.99.0.1"
            ]
        );
        assert_eq!(o.info, "Who has 10.99.0.1? Tell 10.99.0.123");
        let o = arp("0001 0800 06 04 0002 aabbccddeeff 0a630001 001122334455 0a63007b");
        assert_eq!(o.info, "10.99.0.1 is at aa:bb:cc:dd:ee:ff");
    }

    #[test]
    fn gratuitous_probe_announcement() {
        let o = arp("0001 0800 06 04 0001 001122334455 00000000 000000000000 0a000001");
        assert_eq!(o.info, "Who has 10.0.0.1? (ARP Probe)");
        assert_eq!(o.get("arp.isprobe"), "1");
        let o = arp("0001 0800 06 04 0001 001122334455 0a000001 000000000000 0a000001");
        assert_eq!(o.info, "ARP Announcement for 10.0.0.1");
        assert_eq!(
            (o.get("arp.isgratuitous"), o.get("arp.isannouncement")),
            ("1".into(), "1".into())
        );
        let o = arp("0001 0800 06 04 0001 001122334455 0a000001 ffffffffffff 0a000001");
        assert_eq!(o.info, "Gratuitous ARP for 10.0.0.1 (Request)");
        let o = arp("0001 0800 06 04 0002 001122334455 0a000001 ffffffffffff 0a000001");
        assert_eq!(o.info, "Gratuitous ARP for 10.0.0.1 (Reply)");
    }

    #[test]
    fn other_opcodes() {
        let t = "001122334455 0a000001 665544332211 0a000002";
        let info = |op: &str| arp(&format!("0001 0800 06 04 {op} {t}")).info;
        assert_eq!(
            info("0003"),
            "Who is 66:55:44:33:22:11? Tell 00:11:22:33:44:55"
        );
        assert_eq!(info("0004"), "66:55:44:33:22:11 is at 10.0.0.2");
        assert_eq!(info("0009"), "00:11:22:33:44:55 is at 10.0.0.1");
        assert_eq!(info("0007"), "DRARP Error");
        assert_eq!(
            info("000b"),
            "MARS request from 00:11:22:33:44:55 at 10.0.0.1"
        );
        assert_eq!(info("0063"), "Unknown ARP opcode 0x0063");
        assert_eq!(info("0000"), "Reserved opcode 0");
        assert_eq!(
            arp(&format!("0001 0800 06 04 0007 {t}")).get("arp.dst.drarp_error_status"),
            "10"
        );
        // RARP by EtherType 0x8035 (zeek linux_dlt_sll2.pcap frame 6).
        let f = hex(&format!(
            "ffffffffffff0011223344558035 0001 0800 06 04 0003 {t}"
        ));
        assert_eq!(run(ETHERNET, &f, f.len()).protocols, "eth:ethertype:arp");
    }

    #[test]
    fn unusual_sizes() {
        // tcpdump arp-too-long-tha.pcap: 14-byte hardware addresses.
        let f = hex("30303030303030303030303088a830300806303008000e0400013030303030303030303030303030303030303030303030303030303030303030303030303030");
        let o = run(ETHERNET, &f, f.len());
        assert_eq!(o.get("arp.src.hw"), "3030303030303030303030303030");
        assert_eq!(o.get("arp.dst.hw"), "3030303030303030303030303030");
        assert_eq!(o.get("arp.src.proto_ipv4"), "48.48.48.48");
        assert_eq!(o.get("arp.isgratuitous"), "1");
        assert_eq!(o.get("ieee8021ah.trailer"), "3030");
        assert_eq!(o.info, "Gratuitous ARP for 48.48.48.48 (Request)");
        let o = arp("0001 86dd 06 10 0001 001122334455 fe800000000000000000000000000001 000000000000 fe800000000000000000000000000002");
        assert_eq!(o.get("arp.src.proto"), "fe800000000000000000000000000001");
        assert_eq!(
            o.info,
            "Who has fe800000000000000000000000000002? Tell fe800000000000000000000000000001"
        );
        let o = arp("0001 0800 00 04 0001 0a000001 0a000002");
        assert_eq!(o.get("arp.src.hw_mac"), "");
        assert_eq!(o.info, "Who has 10.0.0.2? Tell 10.0.0.1");
        let o = arp("0001 0800 06 00 0001 001122334455 665544332211");
        assert_eq!(o.get("arp.isgratuitous"), "");
        assert_eq!(o.info, "Who has <No address>? Tell <No address>");
        let long = format!(
            "0001 0800 28 04 0002 {} 0a000001 {} 0a000002",
            "ab".repeat(40),
            "cd".repeat(40)
        );
        assert_eq!(
            arp(&long).info,
            format!("10.0.0.1 is at {}…", "ab".repeat(36))
        );
    }

    #[test]
    fn cut_short_never_panics() {
        let f = hex(
            "ffffffffffff00112233445508060001080006ff0001001122334455c0a80001000000000000c0a80002",
        );
        for n in 0..f.len() {
            let o = run(ETHERNET, &f[..n], 100);
            assert!(o.issue, "{n}");
        }
        for b in 0..=255u8 {
            let mut g = f.clone();
            g[18] = b;
            g[19] = b;
            run(ETHERNET, &g, g.len());
        }
    }
}
