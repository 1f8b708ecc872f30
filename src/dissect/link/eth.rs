//! Ethernet II and IEEE 802.3 frames (IEEE 802.3, RFC 894).

use crate::dissect::{Cx, FieldSink, Layer, Next, Packet, Proto, SinkExt, Value};
use std::ops::Range;

const DST: Range<usize> = 0..6;
const SRC: Range<usize> = 6..12;
const TYPE: Range<usize> = 12..14;
pub const HEADER_LEN: usize = 14;

/// Read-only view of an Ethernet header; every accessor is bounds-checked
/// by construction (`new` refuses fewer than 14 bytes).
pub struct EthHeader<'a>(&'a [u8]);

impl<'a> EthHeader<'a> {
    pub fn new(b: &'a [u8]) -> Option<Self> {
        (b.len() >= HEADER_LEN).then_some(EthHeader(b))
    }
    pub fn dst(&self) -> [u8; 6] {
        self.0[DST].try_into().unwrap_or_default()
    }
    pub fn src(&self) -> [u8; 6] {
        self.0[SRC].try_into().unwrap_or_default()
    }
    /// EtherType (>= 0x0600) or 802.3 length (<= 1500).
    pub fn ethertype(&self) -> u16 {
        u16::from_be_bytes([self.0[TYPE.start], self.0[TYPE.start + 1]])
    }
}

pub fn dissect(cx: &mut Cx<'_, '_>, off: usize) -> Next {
    let Some(h) = EthHeader::new(cx.rest(off)) else {
        cx.short(Proto::Eth, "Ethernet header cut short");
        return Next::Done;
    };
    let t = h.ethertype();
    let end = off + HEADER_LEN;
    if !cx.push(Proto::Eth, off, end, cx.limit) {
        return Next::Done;
    }
    if t <= 1500 {
        // IEEE 802.3: the field is a length and an LLC header follows.
        cx.limit = cx.limit.min(end + t as usize);
        return Next::Proto(Proto::Data, end);
    }
    Next::Ethertype(t, end)
}

fn mac_bits(out: &mut dyn FieldSink, which: &'static str, m: [u8; 6], r: Range<usize>) {
    let (lg, ig) = if which == "dst" {
        ("eth.dst.lg", "eth.dst.ig")
    } else {
        ("eth.src.lg", "eth.src.ig")
    };
    out.open("address bits", r.clone());
    out.put(lg, "LG bit (locally administered)", Value::Bool(m[0] & 2 != 0), r.start..r.start + 1);
    out.put(ig, "IG bit (group address)", Value::Bool(m[0] & 1 != 0), r.start..r.start + 1);
    out.put("eth.lg", "LG bit", Value::Bool(m[0] & 2 != 0), r.start..r.start + 1);
    out.put("eth.ig", "IG bit", Value::Bool(m[0] & 1 != 0), r.start..r.start + 1);
    out.close();
}

pub fn fields(pkt: &Packet<'_>, l: &Layer, out: &mut dyn FieldSink) {
    let o = l.start as usize;
    let Some(h) = EthHeader::new(pkt.bytes(l.header())) else { return };
    out.layer("eth", "Ethernet II", l.header());
    let (dst, src) = (h.dst(), h.src());
    let shift = |r: Range<usize>| r.start + o..r.end + o;
    out.put("eth.dst", "Destination", Value::Mac(dst), shift(DST));
    out.put("eth.addr", "Address", Value::Mac(dst), shift(DST));
    mac_bits(out, "dst", dst, shift(DST));
    out.put("eth.src", "Source", Value::Mac(src), shift(SRC));
    out.put("eth.addr", "Address", Value::Mac(src), shift(SRC));
    mac_bits(out, "src", src, shift(SRC));
    let t = h.ethertype();
    if t <= 1500 {
        out.put("eth.len", "Length", Value::U(t as u64), shift(TYPE));
    } else {
        out.put_note("eth.type", "Type", Value::Hex(t as u64, 4), shift(TYPE), ethertype_name(t));
    }
    // Bytes past the network layer's own length: padding to the 60-byte minimum.
    if let Some(next) = pkt.layers.iter().find(|x| x.start >= l.end) {
        let pad = next.limit as usize..pkt.data.len();
        if next.proto != Proto::Data && !pad.is_empty() && next.limit > next.start {
            out.put("eth.padding", "Padding", Value::Bytes(pkt.bytes(pad.clone())), pad);
        }
    }
}

/// Info for a frame that carries nothing layerscope decodes above the link.
pub fn info(pkt: &Packet<'_>, l: &Layer, w: &mut Vec<u8>) {
    if l.proto != Proto::Eth {
        return;
    }
    let Some(h) = EthHeader::new(pkt.bytes(l.header())) else { return };
    use crate::dissect::field::write_mac;
    write_mac(w, h.src());
    w.extend_from_slice(" → ".as_bytes());
    write_mac(w, h.dst());
    let t = h.ethertype();
    if t <= 1500 {
        w.extend_from_slice(b" 802.3 length ");
        w.extend_from_slice(itoa::Buffer::new().format(t).as_bytes());
    } else {
        w.extend_from_slice(b" EtherType ");
        Value::Hex(t as u64, 4).write_to(w);
    }
}

/// IEEE registry names for common EtherTypes.
pub fn ethertype_name(t: u16) -> &'static str {
    match t {
        0x0800 => "IPv4",
        0x0806 => "ARP",
        0x86dd => "IPv6",
        0x8100 => "802.1Q Virtual LAN",
        0x88a8 => "802.1ad Provider Bridge (Q-in-Q)",
        0x9100 => "VLAN double tagging",
        0x8847 => "MPLS label switched packet",
        0x8848 => "MPLS multicast label switched packet",
        0x8863 => "PPPoE Discovery",
        0x8864 => "PPPoE Session",
        0x888e => "802.1X Authentication",
        0x88cc => "802.1AB Link Layer Discovery Protocol",
        0x8035 => "Reverse ARP",
        0x88e5 => "802.1AE MAC Security",
        0x88f7 => "PTPv2 over Ethernet",
        0x8809 => "Slow Protocols",
        0x9000 => "Configuration Test Protocol (loopback)",
        _ => "",
    }
}
