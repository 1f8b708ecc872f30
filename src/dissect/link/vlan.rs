//! IEEE 802.1Q VLAN tags (TPID 0x8100, and the pre-standard Q-in-Q 0x9100)
//! and IEEE 802.1ad service tags (TPID 0x88a8), stacked to any depth.
//!
//! Wireshark shows an 802.1ad tag as its own protocol, `ieee8021ad`, whose
//! type and trailer fields borrow the `ieee8021ah.*` names; two 0x88a8 tags
//! in a row are one `ieee8021ad` layer with an S-VID and a C-VID.

use super::{be16, next_layer, prev_layer, trailer_fields};
use crate::dissect::ethertype;
use crate::dissect::{Cx, FieldSink, Layer, Next, Packet, Proto, SinkExt, Value};

pub const TAG_LEN: usize = 4;
const TPID_8021AD: u16 = 0x88a8;

/// The TPID that announced the tag starting at `start`, read from the header
/// before it: every EtherType-carrying header ends with its type field except
/// SLL2, whose protocol field comes first.
fn tpid_from(pkt: &Packet<'_>, prev: Option<&Layer>, start: usize) -> u16 {
    let at = match prev {
        Some(p) if p.proto == Proto::Sll2 => p.start as usize,
        _ => start.wrapping_sub(2),
    };
    be16(pkt.data, at).unwrap_or(0)
}

/// True when the tag is an 802.1ad S-tag (shown as `ieee8021ad`).
pub fn is_8021ad(pkt: &Packet<'_>, l: &Layer) -> bool {
    tpid_from(pkt, prev_layer(pkt, l), l.start as usize) == TPID_8021AD
}

/// The type/length field that closes the tag's header.
fn inner_type(pkt: &Packet<'_>, l: &Layer) -> Option<u16> {
    be16(pkt.data, (l.end as usize).checked_sub(2)?)
}

pub fn names_by_ethertype(pkt: &Packet<'_>, l: &Layer) -> bool {
    // An 802.1ad tag hands even a length value to the ethertype dissector.
    is_8021ad(pkt, l) || inner_type(pkt, l).is_some_and(|t| t > 1500)
}

pub fn dissect(cx: &mut Cx<'_, '_>, off: usize) -> Next {
    let b = cx.rest(off);
    if b.len() < TAG_LEN {
        cx.short(Proto::Vlan, "802.1Q tag cut short");
        return Next::Done;
    }
    let ad = tpid_from(cx.pkt, cx.pkt.layers.last(), off) == TPID_8021AD;
    let mut t = u16::from_be_bytes([b[2], b[3]]);
    let mut end = off + TAG_LEN;
    if ad && t == TPID_8021AD {
        // S-tag directly followed by another 0x88a8 tag: one 8-byte layer.
        if b.len() < 2 * TAG_LEN {
            cx.short(Proto::Vlan, "802.1ad C-tag cut short");
            return Next::Done;
        }
        t = u16::from_be_bytes([b[6], b[7]]);
        end += TAG_LEN;
    }
    if !cx.push(Proto::Vlan, off, end, cx.limit) {
        return Next::Done;
    }
    if t <= 1500 && !ad {
        // IEEE 802.3 inside the tag: a length, then LLC unless the payload
        // starts 0xffff (raw Novell IPX, shown as data here).
        cx.limit = cx.limit.min(end + t as usize);
        if be16(cx.pkt.data, end) == Some(0xffff) {
            return Next::Proto(Proto::Data, end);
        }
        return Next::Proto(Proto::Llc, end);
    }
    Next::Ethertype(t, end)
}

pub fn fields(pkt: &Packet<'_>, l: &Layer, out: &mut dyn FieldSink) {
    let o = l.start as usize;
    let b = pkt.bytes(l.header());
    if b.len() < TAG_LEN {
        return;
    }
    let tci = u16::from_be_bytes([b[0], b[1]]);
    let tci_r = o..o + 2;
    let payload_end = next_layer(pkt, l).map(|n| n.limit as usize);
    if is_8021ad(pkt, l) {
        out.layer("ieee8021ad", "IEEE 802.1ad", l.header());
        let t_at = l.end as usize - 2;
        let t = u16::from_be_bytes([b[b.len() - 2], b[b.len() - 1]]);
        if b.len() >= 2 * TAG_LEN {
            let ctci = u16::from_be_bytes([b[4], b[5]]);
            let c_r = o + 4..o + 6;
            ad_tci(out, tci, tci_r, "ieee8021ad.svid");
            ad_tci(out, ctci, c_r, "ieee8021ad.cvid");
        } else {
            ad_tci(out, tci, tci_r, "ieee8021ad.id");
        }
        out.put_note(
            "ieee8021ah.etype",
            "Type",
            Value::Hex(t as u64, 4),
            t_at..t_at + 2,
            ethertype::name(t),
        );
        if let Some(e) = payload_end {
            trailer_fields(pkt, e, out, "ieee8021ah.trailer", false);
        }
        return;
    }
    out.layer("vlan", "802.1Q Virtual LAN", l.header());
    out.put(
        "vlan.priority",
        "Priority",
        Value::U((tci >> 13) as u64),
        tci_r.clone(),
    );
    out.put(
        "vlan.dei",
        "DEI",
        Value::Bool(tci & 0x1000 != 0),
        tci_r.clone(),
    );
    out.put("vlan.id", "ID", Value::U((tci & 0xfff) as u64), tci_r);
    let t = u16::from_be_bytes([b[2], b[3]]);
    if t <= 1500 {
        out.put("vlan.len", "Length", Value::U(t as u64), o + 2..o + 4);
    } else {
        let name = ethertype::name(t);
        out.put_note(
            "vlan.etype",
            "Type",
            Value::Hex(t as u64, 4),
            o + 2..o + 4,
            name,
        );
    }
    if let Some(e) = payload_end {
        trailer_fields(pkt, e, out, "vlan.trailer", false);
    }
}

fn ad_tci(out: &mut dyn FieldSink, tci: u16, r: std::ops::Range<usize>, id: &'static str) {
    let pri = Value::U((tci >> 13) as u64);
    out.put("ieee8021ad.priority", "Priority", pri, r.start..r.start + 1);
    out.put(
        "ieee8021ad.dei",
        "DEI",
        Value::U(((tci >> 12) & 1) as u64),
        r.start..r.start + 1,
    );
    out.put(id, "ID", Value::U((tci & 0xfff) as u64), r);
}

/// Wireshark's tag summary, shown when nothing above the tag sets the Info column.
pub fn info(pkt: &Packet<'_>, l: &Layer, w: &mut Vec<u8>) {
    let b = pkt.bytes(l.header());
    if b.len() < TAG_LEN {
        return;
    }
    let tci = u16::from_be_bytes([b[0], b[1]]);
    let mut n = itoa::Buffer::new();
    w.extend_from_slice(b"PRI: ");
    w.extend_from_slice(n.format(tci >> 13).as_bytes());
    if is_8021ad(pkt, l) {
        w.extend_from_slice(b"  DROP: ");
        w.extend_from_slice(n.format((tci >> 12) & 1).as_bytes());
        w.extend_from_slice(b" ID: ");
    } else {
        w.extend_from_slice(b"  DEI: ");
        w.extend_from_slice(n.format((tci >> 12) & 1).as_bytes());
        w.extend_from_slice(b"  ID: ");
    }
    w.extend_from_slice(n.format(tci & 0xfff).as_bytes());
}

/// Every field this file's decoders emit, as Wireshark registers them.
pub const FIELDS: &[crate::dissect::decl::FieldDef] = {
    use crate::dissect::decl::{f, FieldType::*};
    &[
        f("ieee8021ad.cvid", Uint, "ID"),
        f("ieee8021ad.dei", Uint, "DEI"),
        f("ieee8021ad.id", Uint, "ID"),
        f("ieee8021ad.priority", Uint, "Priority"),
        f("ieee8021ad", Proto, "IEEE 802.1ad"),
        f("ieee8021ad.svid", Uint, "ID"),
        f("ieee8021ah.etype", Uint, "Type"),
        f("ieee8021ah.trailer", Bytes, "Trailer"),
        f("vlan.dei", Bool, "DEI"),
        f("vlan.etype", Uint, "Type"),
        f("vlan.id", Uint, "ID"),
        f("vlan.len", Uint, "Length"),
        f("vlan.priority", Uint, "Priority"),
        f("vlan.trailer", Bytes, "Trailer"),
    ]
};

/// 802.1Q Virtual LAN: names, place in the layer model, how it is reached, decoders.
pub static DECL: crate::dissect::decl::Decl = {
    use crate::dissect::decl::{Decl, Reach, Tier};
    Decl {
        filter_name: "vlan",
        name: "802.1Q Virtual LAN",
        display: "802.1Q",
        short: "802.1Q",
        tier: Tier::Link,
        reached: &[
            Reach::Ethertype(0x8100),
            Reach::Ethertype(0x88a8),
            Reach::Ethertype(0x9100),
        ],
        dissect,
        fields,
        info: Some(info),
        pdu_len: None,
        field_tables: &[FIELDS, super::TRAILER_FIELDS],
    }
};

#[cfg(test)]
mod tests {
    use crate::dissect::link::testutil::{hex, run};
    use crate::dissect::linktype::ETHERNET;

    const ARP: &str = "0001080006040001001122334455c0a80001000000000000c0a80002";

    // Expected values: tshark 4.0.17 on the same bytes.
    #[test]
    fn qinq_8021ad_then_8021q() {
        // tcpdump 802.1ad_QinQ.pcap frame 1.
        let f = hex("ffffffffffff0020d25afb3f88a800c8810007d1080600010800060400010020d25afb3fac154f61000000000000ac154f640000000000000000000000000000");
        let o = run(ETHERNET, &f, f.len());
        assert_eq!(
            o.protocols,
            "eth:ethertype:ieee8021ad:ethertype:vlan:ethertype:arp"
        );
        assert_eq!(
            o.with_prefix("ieee802"),
            [
                "ieee8021ad.priority=0",
                "ieee8021ad.dei=0",
                "ieee8021ad.id=200",
                "ieee8021ah.etype=0x8100"
            ]
        );
        assert_eq!(
            o.with_prefix("vlan"),
            [
                "vlan.priority=0",
                "vlan.dei=0",
                "vlan.id=2001",
                "vlan.etype=0x0806",
                "vlan.trailer=00000000"
            ]
        );
        assert_eq!(o.get("eth.padding"), "00000000000000000000");
        assert_eq!(o.info, "Who has 172.21.79.100? Tell 172.21.79.97");
    }

    #[test]
    fn triple_8021q() {
        let f = hex(&format!(
            "ffffffffffff0011223344558100001e81000014 8100 000a 0806 {ARP}"
        ));
        let o = run(ETHERNET, &f, f.len());
        assert_eq!(
            o.protocols,
            "eth:ethertype:vlan:ethertype:vlan:ethertype:vlan:ethertype:arp"
        );
        assert_eq!(o.get("vlan.id"), "30,20,10");
        assert_eq!(o.get("vlan.etype"), "0x8100,0x8100,0x0806");
        assert_eq!(o.get("vlan.priority"), "0,0,0");
    }

    #[test]
    fn double_88a8_is_one_layer() {
        let f = hex(&format!(
            "ffffffffffff00112233445588a8a0c888a82064 0806 {ARP}"
        ));
        let o = run(ETHERNET, &f, f.len());
        assert_eq!(o.protocols, "eth:ethertype:ieee8021ad:ethertype:arp");
        assert_eq!(
            o.with_prefix("ieee802"),
            [
                "ieee8021ad.priority=5",
                "ieee8021ad.dei=0",
                "ieee8021ad.svid=200",
                "ieee8021ad.priority=1",
                "ieee8021ad.dei=0",
                "ieee8021ad.cvid=100",
                "ieee8021ah.etype=0x0806"
            ]
        );
    }

    #[test]
    fn tag_9100_padding_and_trailer() {
        let f = hex(&format!(
            "ffffffffffff0011223344559100 0005 0806 {ARP} {}",
            "00".repeat(18)
        ));
        let o = run(ETHERNET, &f, f.len());
        assert_eq!(o.protocols, "eth:ethertype:vlan:ethertype:arp");
        assert_eq!(o.get("vlan.trailer"), "00000000");
        assert_eq!(o.get("eth.padding"), "0000000000000000000000000000");
    }

    #[test]
    fn length_field_leads_to_llc() {
        let f = hex(&format!(
            "ffffffffffff0011223344558100 3005 0024 aaaa03000000 0806 {ARP}"
        ));
        let o = run(ETHERNET, &f, f.len());
        assert_eq!(o.protocols, "eth:ethertype:vlan:llc:arp");
        assert_eq!(
            o.with_prefix("vlan"),
            ["vlan.priority=1", "vlan.dei=1", "vlan.id=5", "vlan.len=36"]
        );
    }

    #[test]
    fn info_when_nothing_above() {
        let f = hex("ffffffffffff0011223344558100a005123400112233");
        assert_eq!(run(ETHERNET, &f, f.len()).info, "PRI: 5  DEI: 0  ID: 5");
        let f = hex("ffffffffffff00112233445588a8b005123400112233");
        let o = run(ETHERNET, &f, f.len());
        assert_eq!(o.info, "PRI: 5  DROP: 1 ID: 5");
        assert_eq!(o.protocols, "eth:ethertype:ieee8021ad:ethertype:data");
    }

    #[test]
    fn cut_short_never_panics() {
        let f = hex(&format!(
            "ffffffffffff00112233445588a8a0c888a82064 8100 0005 0806 {ARP}"
        ));
        for n in 0..f.len() {
            let o = run(ETHERNET, &f[..n], f.len());
            assert!(o.issue || n == f.len(), "{n}");
        }
    }
}
